//! `tessera release` end to end on a demo database: the budget set and shown, differentially
//! private tables written and reproducible from a seed, a release past the budget refused
//! (English and French) without writing, synthetic microdata with its utility report, and the
//! audit log holding each release with what it spent.

use std::process::{Command, Output};

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn run(args: &[&str]) -> Output {
    tessera().args(args).output().unwrap()
}

#[test]
fn releases_spend_the_budget_and_refuse_past_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("r.db");
    let db = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    ok(run(&[
        "demo",
        "--records",
        "600",
        "--db",
        db,
        "--truth",
        truth.to_str().unwrap(),
    ]));
    let path = |n: &str| dir.path().join(n).to_str().unwrap().to_string();

    // No budget yet: refused, nothing written.
    let a = path("a.csv");
    let out = run(&["release", "dp", "--db", db, "--epsilon", "0.5", "--out", &a]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no privacy budget is set"));

    let out = ok(run(&["release", "budget", "--db", db, "--set", "1.5"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Privacy budget: ε = 1.5 in all, 0 spent, 1.5 left."
    );
    let out = ok(run(&[
        "release",
        "dp",
        "--db",
        db,
        "--epsilon",
        "0.5",
        "--seed",
        "9",
        "--out",
        &a,
    ]));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Budget: 0.5 spent of 1.5, 1 left."),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let b = path("b.csv");
    ok(run(&[
        "release",
        "dp",
        "--db",
        db,
        "--epsilon",
        "0.5",
        "--seed",
        "9",
        "--out",
        &b,
    ]));
    let (ta, tb) = (
        std::fs::read_to_string(&a).unwrap(),
        std::fs::read_to_string(&b).unwrap(),
    );
    assert_eq!(ta, tb, "the same seed gives the same file");
    assert!(ta.starts_with("table,date_identified,sex,age_band,exploitation,count\n"));
    assert!(
        ta.lines()
            .skip(1)
            .all(|l| !l.ends_with(",-1") && !l.contains(",-")),
        "a negative count"
    );

    // 1 spent of 1.5: another 0.6 is refused, in English and in French, and writes nothing.
    let c = path("c.csv");
    let out = run(&["release", "dp", "--db", db, "--epsilon", "0.6", "--out", &c]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("would spend ε = 0.6, but only 0.5 of the deployment's budget of 1.5 is left"),
        "{err}"
    );
    let out = run(&[
        "release",
        "dp",
        "--db",
        db,
        "--lang",
        "fr",
        "--epsilon",
        "0.6",
        "--out",
        &c,
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("il ne reste que 0.5"));
    assert!(
        std::fs::read_to_string(&c)
            .map(|t| t.is_empty())
            .unwrap_or(true)
    );

    // Synthetic microdata with what is left, its utility beside it.
    let s = path("s.csv");
    let out = ok(run(&[
        "release",
        "synthetic",
        "--db",
        db,
        "--epsilon",
        "0.5",
        "--seed",
        "1",
        "--out",
        &s,
    ]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("synthetic persons"));
    let rows = std::fs::read_to_string(&s).unwrap();
    assert!(rows.starts_with(
        "identification_status,date_identified,region_identified,sex,age_band,cross_border,exploitation,referred_to_assistance\n"
    ));
    let u: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{s}.utility.json")).unwrap())
            .unwrap();
    assert!(u["two_way"][0].as_f64().unwrap() <= 1.0);
    let out = ok(run(&["release", "budget", "--db", db, "--lang", "fr"]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Budget de confidentialité : ε = 1.5 au total, 1.5 dépensé, 0 restant."
    );

    // The audit log has every release, with its ε.
    let out = ok(run(&["audit", "list", "--db", db]));
    let log = String::from_utf8_lossy(&out.stdout);
    assert_eq!(log.matches("release.dp").count(), 2, "{log}");
    assert_eq!(log.matches("release.synthetic").count(), 1, "{log}");
    assert!(log.contains("release.set_budget"), "{log}");
}
