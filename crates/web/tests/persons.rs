//! Issue 15, items 6 and 8, through the router: the dashboards' counts of unique persons come
//! with the range the linkage model gives them (computed by `tessera_analysis::persons_range`,
//! shown beside the figure, in English and French), and after a reviewer's verdict the counts
//! are those of the kept run clustered again under it (`tessera_analysis::apply_verdicts`).

mod common;

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::{Facts, Linkage, apply_verdicts, link_and_review, persons_range};
use tessera_store::Access;

/// The sentence the victims (or smuggling) page should show for `linkage`'s range.
fn range_text(facts: &Facts, linkage: &Linkage, entity: &str, lang: &str) -> String {
    let r = persons_range(
        facts,
        &linkage.persons,
        entity,
        &Scope::Internal(Access::National),
        &Filters::default(),
    )
    .unwrap()
    .expect("a range");
    let n = |x: f64| {
        let s = (x.round() as i64).to_string();
        let sep = if lang == "fr" { "\u{202f}" } else { "," };
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    };
    match lang {
        "fr" => format!(
            "en attend {} (intervalle à 95 % : {} à {})",
            n(r.expected),
            n(r.low),
            n(r.high)
        ),
        _ => format!(
            "The linkage model expects {} (95% range {} to {})",
            n(r.expected),
            n(r.low),
            n(r.high)
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unique_persons_come_with_the_model_s_range_and_follow_a_verdict() {
    let app = common::sqlite_demo(1500).await;
    let coord = app.login("coord").await;
    let facts = Facts::build(&app.store, &common::dictionary())
        .await
        .unwrap();
    let before = link_and_review(&app.store).await.unwrap();
    let page = app.get("/dashboard?view=victims", Some(&coord)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let want = range_text(&facts, &before, "victim", "en");
    assert!(page.body.contains(&want), "{want} not on the page");
    let fr = app
        .get("/dashboard?view=victims&lang=fr", Some(&coord))
        .await;
    let want_fr = range_text(&facts, &before, "victim", "fr");
    assert!(fr.body.contains(&want_fr), "{want_fr} not on the page");
    let sm = app.get("/dashboard?view=smuggling", Some(&coord)).await;
    let want = range_text(&facts, &before, "smuggled_migrant", "en");
    assert!(sm.body.contains(&want), "{want} not on the smuggling page");
    // A focal point counts its own records: no persons, no range.
    let fp = app.login("fp").await;
    let own = app.get("/dashboard?view=victims", Some(&fp)).await;
    assert_eq!(own.status, 200);
    assert!(!own.body.contains("The linkage model expects"));

    // A verdict: "not the same person" on a pair of victims the engine linked.
    let pair = before
        .review
        .iter()
        .find(|p| p.linked && p.entity == "victim")
        .expect("a linked pair under review");
    let csrf = app.csrf(&coord).await;
    let r = app
        .post_form(
            "/linkage/decide",
            Some(&coord),
            &[
                ("csrf", &csrf),
                ("a", &pair.record_a.to_string()),
                ("b", &pair.record_b.to_string()),
                ("verdict", "different"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = apply_verdicts(&app.store, &before).await.unwrap();
    assert_ne!(
        after.persons.person(pair.record_a),
        after.persons.person(pair.record_b)
    );
    let page = app.get("/dashboard?view=victims", Some(&coord)).await;
    let want = range_text(&facts, &after, "victim", "en");
    assert!(
        page.body.contains(&want),
        "{want} not on the page after the verdict"
    );
    // The queue no longer holds the decided pair.
    let queue = app.get("/linkage", Some(&coord)).await;
    assert!(
        !queue
            .body
            .contains(&format!("pair-{}-{}", pair.record_a, pair.record_b))
    );
}
