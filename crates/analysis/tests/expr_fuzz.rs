//! The filter language takes text from any signed-in user's link: whatever arrives, parsing
//! answers within a second, with an expression or a located refusal, and never panics or
//! overflows the stack.

use proptest::prelude::*;
use std::time::{Duration, Instant};
use tessera_analysis::Expr;

fn parses_in_time(src: &str) {
    let start = Instant::now();
    let _ = Expr::parse(src);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{} bytes took {:?}",
        src.len(),
        start.elapsed()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Text made of the language's own tokens, where hostile nesting hides.
    #[test]
    fn token_soup(parts in proptest::collection::vec(prop_oneof![
        Just("("), Just(")"), Just("not "), Just(" and "), Just(" or "), Just("true"),
        Just("sex"), Just(" = "), Just("\"F\""), Just(" in "), Just("["), Just("]"), Just(","),
        Just("3"), Just("<="), Just(" is known"), Just("'"), Just("-"), Just("."),
    ], 0..3000)) {
        parses_in_time(&parts.concat());
    }

    #[test]
    fn arbitrary_text(src in "\\PC{0,6000}") {
        parses_in_time(&src);
    }

    #[test]
    fn nesting_of_any_depth(depth in 0usize..20_000, nots in 0usize..5_000) {
        let src = format!("{}{}true{}", "not ".repeat(nots), "(".repeat(depth), ")".repeat(depth));
        parses_in_time(&src);
    }
}
