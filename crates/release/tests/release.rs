//! Releases over a stored demo deployment: differentially private tables that are reproducible
//! from a seed, whole, non-negative and margin-consistent; a budget that is spent, audited and
//! never exceeded; synthetic microdata that reproduces no real person's rare combination; and
//! the noise itself against the distribution it must follow.

use std::collections::HashMap;
use std::sync::Arc;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use tessera_dictionary::Dictionary;
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_release::dp::{DEFAULT_TABLE, TOTAL, histogram, post_process};
use tessera_release::noise::discrete_laplace;
use tessera_release::synthetic::{QUASI_IDENTIFIERS, synthesise};
use tessera_release::{
    Epsilon, ReleaseError, Request, Scale, Selection, budget, release_synthetic, release_tables,
    set_budget_audited, victim_persons,
};
use tessera_store::Store;

const SEED: u64 = 17;
const RECORDS: usize = 1500;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

async fn demo() -> (tempfile::TempDir, Store, Dictionary) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let d = dict();
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap());
    tessera_demo::run(
        &store,
        &d,
        Arc::new(enc),
        RECORDS,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    (dir, store, d)
}

fn eps(s: &str) -> Epsilon {
    Epsilon::parse(s, false).unwrap()
}

fn request(e: &str, seed: Option<u64>) -> Request {
    Request {
        epsilon: eps(e),
        seed,
        years: None,
        actor: "test".into(),
        object: "out.csv".into(),
    }
}

/// The empirical variance of many seeded draws matches the mechanism's `2p/(1−p)²`, the mean is
/// zero and zero is drawn as often as `(1−p)/(1+p)` says, at several scales.
#[test]
fn discrete_laplace_noise_has_the_mechanisms_distribution() {
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    for (sensitivity, e) in [(1, "0.5"), (1, "1"), (1, "2"), (28, "3")] {
        let scale = Scale::for_query(sensitivity, eps(e));
        let n = 200_000;
        let draws: Vec<i64> = (0..n).map(|_| discrete_laplace(&mut rng, scale)).collect();
        let mean = draws.iter().sum::<i64>() as f64 / n as f64;
        let var = draws
            .iter()
            .map(|&x| (x as f64 - mean).powi(2))
            .sum::<f64>()
            / n as f64;
        let expected = scale.variance();
        assert!(
            (var / expected - 1.0).abs() < 0.03,
            "Δ={sensitivity} ε={e}: variance {var} vs {expected}"
        );
        assert!(
            mean.abs() < 5.0 * (expected / n as f64).sqrt(),
            "mean {mean}"
        );
        let p = (-1.0 / scale.as_f64()).exp();
        let zeros = draws.iter().filter(|&&x| x == 0).count() as f64 / n as f64;
        let p0 = (1.0 - p) / (1.0 + p);
        assert!(
            (zeros - p0).abs() < 5.0 * (p0 * (1.0 - p0) / n as f64).sqrt(),
            "P(0) {zeros} vs {p0}"
        );
        // Symmetric: as many draws above zero as below.
        let above = draws.iter().filter(|&&x| x > 0).count() as f64;
        let below = draws.iter().filter(|&&x| x < 0).count() as f64;
        assert!(
            (above - below).abs() < 5.0 * (above + below).sqrt(),
            "{above} vs {below}"
        );
    }
}

/// Post-processing alone, on tables of pure noise and of real-looking counts: whole,
/// non-negative, the noisy total kept.
#[test]
fn post_processing_is_non_negative_and_keeps_the_noisy_total() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let scale = Scale::for_query(1, eps("0.1"));
    for trial in 0..50 {
        let counts: Vec<i64> = (0..400)
            .map(|i| if i % 7 == 0 { 30 + trial } else { 0 })
            .collect();
        let noisy: Vec<i64> = counts
            .iter()
            .map(|&c| c + discrete_laplace(&mut rng, scale))
            .collect();
        let out = post_process(&noisy);
        assert!(out.iter().all(|&v| v >= 0));
        assert_eq!(out.iter().sum::<i64>(), noisy.iter().sum::<i64>().max(0));
    }
}

fn parse_release(csv: &str) -> Vec<(String, Vec<String>, i64)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header.first(), Some(&"table"));
    assert_eq!(header.last(), Some(&"count"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let n = f.len();
            (
                f[0].to_string(),
                f[1..n - 1].iter().map(|s| s.to_string()).collect(),
                f[n - 1].parse().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn dp_tables_are_reproducible_whole_non_negative_and_margin_consistent() {
    let (_dir, store, d) = demo().await;
    set_budget_audited(&store, eps("10"), "test").await.unwrap();
    let (a, _) = release_tables(&store, &d, None, &request("1", Some(5)))
        .await
        .unwrap();
    let (b, after) = release_tables(&store, &d, None, &request("1", Some(5)))
        .await
        .unwrap();
    assert_eq!(a.to_csv(), b.to_csv(), "same seed, same release");
    assert_eq!(after.spent, eps("2"));
    let (c, _) = release_tables(&store, &d, None, &request("1", Some(6)))
        .await
        .unwrap();
    assert_ne!(a.to_csv(), c.to_csv(), "another seed, other noise");

    let rows = parse_release(&a.to_csv());
    assert!(rows.iter().all(|r| r.2 >= 0), "a negative count");
    // Every margin is the sum of the full table's cells it covers.
    let full: Vec<&(String, Vec<String>, i64)> = rows
        .iter()
        .filter(|r| r.1.iter().all(|v| v != TOTAL))
        .collect();
    assert_eq!(full.len(), a.cells.len());
    let mut margins = 0;
    for (name, key, count) in &rows {
        if key.iter().all(|v| v != TOTAL) {
            continue;
        }
        let sum: i64 = full
            .iter()
            .filter(|f| key.iter().zip(&f.1).all(|(k, v)| k == TOTAL || k == v))
            .map(|f| f.2)
            .sum();
        assert_eq!(*count, sum, "{name} {key:?}");
        margins += 1;
    }
    assert!(margins > 100, "{margins} margins");
    // Four variables: 16 tables, from the full one down to the total.
    let tables: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(tables.len(), 16);
    assert!(
        tables.contains("date_identified+sex+age_band+exploitation") && tables.contains("total")
    );

    // The released total is near the true number of victims (noise of scale 1 on each cell).
    let facts = tessera_analysis::Facts::build(&store, &d).await.unwrap();
    let map = tessera_analysis::link_persons(&store).await.unwrap();
    let sel = Selection {
        variables: DEFAULT_TABLE.iter().map(|s| s.to_string()).collect(),
        years: (
            a.variables[0].values[0].parse().unwrap(),
            a.variables[0].values.last().unwrap().parse().unwrap(),
        ),
        victims_only: true,
    };
    let real = victim_persons(&facts, &map, &d, &sel).unwrap();
    let truth: i64 = histogram(&real).unwrap().iter().sum();
    let released = rows.iter().find(|r| r.0 == "total").unwrap().2;
    let sd = (a.cells.len() as f64 * a.scale.variance()).sqrt();
    assert!(
        ((released - truth) as f64).abs() < 5.0 * sd,
        "released {released}, true {truth}, sd {sd}"
    );
    assert!(truth > 200, "{truth} victims");
    // Persons, not records: fewer persons than approved victim records.
    let records = facts
        .entity("victim")
        .unwrap()
        .approved
        .iter()
        .filter(|a| **a)
        .count();
    assert!(
        (real.rows.len()) < records,
        "{} persons, {records} records",
        real.rows.len()
    );
}

#[tokio::test]
async fn the_budget_is_spent_audited_and_never_exceeded() {
    let (_dir, store, d) = demo().await;
    // No budget: refused, in English and French.
    let err = release_tables(&store, &d, None, &request("0.5", None))
        .await
        .unwrap_err();
    assert!(matches!(err, ReleaseError::NoBudget), "{err}");
    assert!(
        err.text("fr").contains("aucun budget"),
        "{}",
        err.text("fr")
    );
    set_budget_audited(&store, eps("1"), "test").await.unwrap();
    release_tables(&store, &d, None, &request("0.6", None))
        .await
        .unwrap();
    let err = release_tables(&store, &d, None, &request("0.6", None))
        .await
        .unwrap_err();
    match &err {
        ReleaseError::OverBudget { asked, left, total } => {
            assert_eq!((*asked, *left, *total), (eps("0.6"), eps("0.4"), eps("1")));
        }
        other => panic!("{other}"),
    }
    assert!(
        err.to_string()
            .contains("only 0.4 of the deployment's budget of 1 is left"),
        "{err}"
    );
    assert!(
        err.text("fr").contains("il ne reste que 0.4"),
        "{}",
        err.text("fr")
    );
    // The refusal spent nothing; what is left can still be spent, exactly.
    let b = budget(&store).await.unwrap().unwrap();
    assert_eq!(b.spent, eps("0.6"));
    let (_, _, after) = release_synthetic(&store, &d, &request("0.4", Some(1)))
        .await
        .unwrap();
    assert_eq!(after.spent, eps("1"));
    assert!(
        release_synthetic(&store, &d, &request("0.000001", None))
            .await
            .is_err()
    );
    // The budget cannot be set below what is spent.
    assert!(
        set_budget_audited(&store, eps("0.5"), "test")
            .await
            .is_err()
    );
    // Each release is in the audit log with what it spent.
    let entries = store.audit_entries(None, None, 100).await.unwrap();
    let of = |action: &str| {
        entries
            .iter()
            .filter(|e| e.action == action)
            .map(|e| serde_json::from_str::<serde_json::Value>(&e.detail).unwrap())
            .collect::<Vec<_>>()
    };
    let dp = of("release.dp");
    assert_eq!(dp.len(), 1);
    assert_eq!(dp[0]["epsilon"], "0.6");
    assert_eq!(dp[0]["spent"], "0.6");
    assert_eq!(dp[0]["budget"], "1");
    let syn = of("release.synthetic");
    assert_eq!(syn.len(), 1);
    assert_eq!(
        (syn[0]["epsilon"].as_str(), syn[0]["spent"].as_str()),
        (Some("0.4"), Some("1"))
    );
    assert_eq!(syn[0]["seeded"], true);
    assert_eq!(of("release.set_budget").len(), 1);
}

#[tokio::test]
async fn synthetic_rows_never_reproduce_a_real_persons_rare_combination() {
    let (_dir, store, d) = demo().await;
    let facts = tessera_analysis::Facts::build(&store, &d).await.unwrap();
    let map = tessera_analysis::link_persons(&store).await.unwrap();
    let periods = store.periods().await.unwrap();
    let sel = Selection {
        variables: tessera_release::releasable(&d),
        years: (
            periods.iter().map(|p| p.starts_on.year()).min().unwrap(),
            periods.iter().map(|p| p.ends_on.year()).max().unwrap(),
        ),
        victims_only: false,
    };
    let real = victim_persons(&facts, &map, &d, &sel).unwrap();
    let quasi: Vec<usize> = QUASI_IDENTIFIERS
        .iter()
        .filter_map(|q| real.position(q))
        .collect();
    assert_eq!(quasi.len(), 4);
    let key = |r: &[u16]| quasi.iter().map(|&v| r[v]).collect::<Vec<u16>>();
    let mut qcount: HashMap<Vec<u16>, u32> = HashMap::new();
    for r in &real.rows {
        *qcount.entry(key(r)).or_default() += 1;
    }
    let threshold = 5;
    let rare: std::collections::HashSet<&Vec<u16>> = real
        .rows
        .iter()
        .filter(|r| qcount[&key(r)] < threshold)
        .collect();
    assert!(!rare.is_empty(), "the demo has rare combinations");
    // A large ε makes the synthetic data close to the real: without the check it would copy
    // rare real rows; with it, none is there.
    for (e, seed) in [("50", 1), ("1", 2)] {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let s = synthesise(&real, eps(e), threshold, QUASI_IDENTIFIERS, &mut rng).unwrap();
        let copied = s.table.rows.iter().filter(|r| rare.contains(r)).count();
        assert_eq!(
            copied, 0,
            "ε={e}: {copied} rows reproduce a rare real record"
        );
        if e == "50" {
            assert!(s.withheld > 0, "the check had something to do at ε=50");
            let u = tessera_release::synthetic::utility(&real, &s);
            assert!(u.two_way.0 < 0.05, "{u:?}");
            assert!(
                u.one_way.0 <= u.two_way.0 + 1e-9 && u.two_way.0 <= u.three_way.0 + 1e-9,
                "{u:?}"
            );
        }
        // Whole persons, about as many as the real ones.
        let n = real.rows.len() as f64;
        let tolerance = if e == "50" { 0.02 * n + 10.0 } else { 0.5 * n };
        assert!(
            (s.table.rows.len() as f64 + s.withheld as f64 - n).abs() < tolerance,
            "ε={e}: {} synthetic, {} withheld, {n} real",
            s.table.rows.len(),
            s.withheld
        );
    }
}
