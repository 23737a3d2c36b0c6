//! Validation against the published reference (shared/bench/mse/REFERENCE.md).

use tessera_estimate::{Method, Model, OverlapTable, estimate, min_bic, stepwise};

fn table(name: &str) -> OverlapTable {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap();
    OverlapTable::from_csv(&text).unwrap()
}

#[test]
fn uk_home_office_stepwise_model_and_estimate() {
    let t = table("UKdat_5.csv");
    assert_eq!(t.observed(), 2744.0);
    let f = stepwise(&t, 0.05).unwrap();
    assert_eq!(
        f.model.describe(&t.lists),
        "main effects + LA:NG + LA:PFNCA + NG:GO + NG:GP + PFNCA:GP + GO:GP"
    );
    assert!((f.total - 11_313.0).abs() / 11_313.0 < 0.001, "{}", f.total);
    let e = estimate(&t, &Method::Stepwise, 0.95).unwrap();
    assert!((e.ci_low - 9_889.0).abs() / 9_889.0 < 0.01, "{}", e.ci_low);
    assert!(
        (e.ci_high - 13_063.0).abs() / 13_063.0 < 0.01,
        "{}",
        e.ci_high
    );
    let e80 = estimate(&t, &Method::Stepwise, 0.80).unwrap();
    assert!(
        (e80.ci_low - 10_345.0).abs() / 10_345.0 < 0.01,
        "{}",
        e80.ci_low
    );
    assert!(
        (e80.ci_high - 12_409.0).abs() / 12_409.0 < 0.01,
        "{}",
        e80.ci_high
    );
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("LA and GP share nobody")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn uk_minimum_bic_is_the_other_published_figure() {
    let t = table("UKdat_5.csv");
    let f = min_bic(&t).unwrap();
    assert!(
        (f.total - 22_991.0).abs() / 22_991.0 < 0.01,
        "{} {}",
        f.total,
        f.model.describe(&t.lists)
    );
}

#[test]
fn korea_all_two_way_model_has_no_estimate() {
    let t = table("Korea.csv");
    let all = Model {
        pairs: vec![(0, 1), (0, 2), (1, 2)],
    };
    let err = estimate(&t, &Method::Fixed(all), 0.95)
        .unwrap_err()
        .to_string();
    assert!(err.contains("no estimate"), "{err}");
    // The main-effects model of the same table does have one.
    assert!(estimate(&t, &Method::Fixed(Model::main_effects()), 0.95).is_ok());
}

#[test]
fn bootstrap_bca_interval_brackets_the_estimate_and_is_reproducible() {
    let t = table("UKdat_5.csv");
    let m = Method::Bootstrap {
        replicates: 200,
        seed: 42,
    };
    let a = estimate(&t, &m, 0.95).unwrap();
    let b = estimate(&t, &m, 0.95).unwrap();
    assert_eq!((a.ci_low, a.ci_high), (b.ci_low, b.ci_high));
    assert!(a.ci_low < a.estimate && a.estimate < a.ci_high, "{a:?}");
    assert!(a.ci_low > 5_000.0 && a.ci_high < 40_000.0, "{a:?}");
}

#[test]
fn bad_tables_are_refused_with_a_reason() {
    for (text, needle) in [
        ("a,b,count\n1,0,5\n", "count\" is not"),
        ("a,b\n1,0\n", "no \"count\""),
        ("a,count\n1,5\n", "2 to 10"),
        ("a,b,count\n0,0,5\n", "no list"),
        ("a,b,count\n1,2,5\n", "not 0 or 1"),
        ("a,b,count\n1,0,-3\n", "whole number"),
        ("a,b,count\n1,0,3\n1,0,4\n", "twice"),
    ] {
        let text = if needle == "count\" is not" {
            text.replace("5", "x")
        } else {
            text.to_string()
        };
        let err = OverlapTable::from_csv(&text).unwrap_err().to_string();
        let needle = if needle == "count\" is not" {
            "whole number"
        } else {
            needle
        };
        assert!(err.contains(needle), "{text}: {err}");
    }
}
