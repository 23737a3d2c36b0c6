//! The exact existence test of the maximum-likelihood estimate (Fienberg–Rinaldo linear program,
//! `src/exist.rs`) against the published existence results for the tables of
//! `shared/bench/mse` (copied to `tests/data`; REFERENCE.md there lists them).
//!
//! Published results encoded here:
//! - `Artificial_3`: Chan, Silverman & Vincent (2021), "Multiple systems estimation for sparse
//!   capture data: inferential challenges when there are nonoverlapping lists", JASA 116,
//!   1297–1306, Table 2 and §2, as documented with the data set in the R packages SparseMSE
//!   (`Artificial_3`, `checkident`) and MultipleSystemsEstimation (`check_extended_MLE`): with
//!   all three two-list effects the linear program is positive but the design is not of full
//!   rank (not identifiable); a model with AB, alone or with one of AC and BC, fails the linear
//!   program (no MLE); main effects, and AC and/or BC without AB, pass both tests.
//! - `Korea`: the model with every two-list interaction has no maximum-likelihood estimate
//!   (REFERENCE.md; Chan, Silverman & Vincent 2021, the Korean data of Ball, Shin & Yang 2018).
//! - `UKdat_5`: the Home Office model (Silverman 2014; N = 11,313) and the minimum-BIC model
//!   (Silverman, Chan & Vincent 2024; N = 22,991) have estimates; LA and GP share nobody, so a
//!   model with LA:GP is fitted as the extended MLE (the parameter at −∞), as SparseMSE does.
//! - Every table: the main-effects model, where every published stepwise fit of these tables
//!   starts (Chan, Silverman & Vincent 2021 §3.2; Silverman 2020), has an estimate.

use tessera_estimate::{
    EstimateError, Existence, Method, Model, OverlapTable, estimate, min_bic, stepwise,
};

const TABLES: &[&str] = &[
    "Artificial_3.csv",
    "Korea.csv",
    "Kosovo.csv",
    "Ned.csv",
    "Ned_5.csv",
    "NewOrl.csv",
    "NewOrl_5.csv",
    "NewOrl_5_sparsemse2019.csv",
    "NewOrl_sparsemse2019.csv",
    "UKdat.csv",
    "UKdat_4.csv",
    "UKdat_5.csv",
    "Western.csv",
];

fn table(name: &str) -> OverlapTable {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    OverlapTable::from_csv(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The model with the named interactions (`"AB"` = lists A and B, by the table's own names).
fn model(t: &OverlapTable, pairs: &[(&str, &str)]) -> Model {
    let at = |n: &str| t.lists.iter().position(|l| l == n).unwrap();
    let mut pairs: Vec<(usize, usize)> = pairs
        .iter()
        .map(|(a, b)| (at(a).min(at(b)), at(a).max(at(b))))
        .collect();
    pairs.sort();
    Model { pairs }
}

#[test]
fn artificial_3_every_model_as_published() {
    let t = table("Artificial_3.csv");
    let exists = Existence::Exists;
    let no_mle = Existence::Boundary;
    let cases: &[(&[(&str, &str)], Existence)] = &[
        (&[], exists.clone()),
        (&[("A", "C")], exists.clone()),
        (&[("B", "C")], exists.clone()),
        (&[("A", "C"), ("B", "C")], exists.clone()),
        (&[("A", "B")], no_mle.clone()),
        (&[("A", "B"), ("A", "C")], no_mle.clone()),
        (&[("A", "B"), ("B", "C")], no_mle.clone()),
        (
            &[("A", "B"), ("A", "C"), ("B", "C")],
            Existence::NotIdentifiable {
                parameters: 5,
                rank: 4,
            },
        ),
    ];
    for (pairs, expected) in cases {
        let m = model(&t, pairs);
        assert_eq!(&m.existence(&t), expected, "{}", m.describe(&t.lists));
        // The fit agrees: a model without an estimate is never fitted, one with an estimate is.
        assert_eq!(m.fit(&t, None).fit.exists, expected.exists());
    }
}

#[test]
fn korea_all_two_way_model_has_no_estimate_said_in_plain_words() {
    let t = table("Korea.csv");
    let all = model(&t, &[("b", "c"), ("b", "d"), ("c", "d")]);
    assert_eq!(all.existence(&t), Existence::Boundary);
    // What the model forces: the pattern c∩d (without b), observed empty, must stay empty.
    let pattern = t
        .lists
        .iter()
        .position(|l| l == "c")
        .map(|c| 1 << c)
        .unwrap()
        | t.lists
            .iter()
            .position(|l| l == "d")
            .map(|d| 1 << d)
            .unwrap();
    assert_eq!(all.forced_zero_patterns(&t), vec![pattern]);
    let err = estimate(&t, &Method::Fixed(all), 0.95).unwrap_err();
    assert!(matches!(err, EstimateError::NoMle(_)), "{err}");
    let en = err.text("en");
    assert!(
        en.starts_with("no estimate: the maximum-likelihood estimate does not exist"),
        "{en}"
    );
    assert!(
        en.contains("(c∩d)") && en.contains("choose a smaller model"),
        "{en}"
    );
    let fr = err.text("fr");
    assert!(
        fr.starts_with("pas d'estimation : l'estimation du maximum de vraisemblance n'existe pas"),
        "{fr}"
    );
    assert!(
        fr.contains("(c∩d)") && fr.contains("choisissez un modèle plus petit"),
        "{fr}"
    );
    // The main-effects model of the same table has one, and so does the stepwise choice.
    assert!(estimate(&t, &Method::Fixed(Model::main_effects()), 0.95).is_ok());
    assert!(stepwise(&t, 0.05).is_some_and(|f| f.existence.exists()));
}

#[test]
fn uk_published_models_exist_and_lists_sharing_nobody_are_minus_infinity() {
    let t = table("UKdat_5.csv");
    let home_office = model(
        &t,
        &[
            ("LA", "NG"),
            ("LA", "PFNCA"),
            ("NG", "GO"),
            ("NG", "GP"),
            ("PFNCA", "GP"),
            ("GO", "GP"),
        ],
    );
    assert_eq!(home_office.existence(&t), Existence::Exists);
    let f = home_office.fit(&t, None);
    assert!((f.total - 11_313.0).abs() / 11_313.0 < 0.001, "{}", f.total);
    let bic = min_bic(&t).unwrap();
    assert_eq!(bic.existence, Existence::Exists);
    assert!(
        (bic.total - 22_991.0).abs() / 22_991.0 < 0.01,
        "{}",
        bic.total
    );
    // LA and GP share nobody: with LA:GP the extended MLE puts it at −∞ and still exists, the
    // cells with both lists being structural zeros.
    let with = home_office.with((0, 4));
    assert_eq!(with.infinite_pairs(&t), vec![(0, 4)]);
    assert_eq!(with.existence(&t), Existence::Exists);
    let g = with.fit(&t, None);
    assert!(g.fit.exists && g.total.is_finite());
    let at = 1 + t.k() + with.pairs.iter().position(|p| *p == (0, 4)).unwrap();
    assert_eq!(g.fit.beta[at], f64::NEG_INFINITY);
    // And the refusal of a model that says so names the pair, in either language.
    let e = estimate(&t, &Method::Fixed(with), 0.95).unwrap();
    assert!(
        e.warnings
            .iter()
            .any(|w| w.contains("LA and GP share nobody")),
        "{:?}",
        e.warnings
    );
}

#[test]
fn every_reference_table_has_a_main_effects_estimate() {
    for name in TABLES {
        let t = table(name);
        assert_eq!(
            Model::main_effects().existence(&t),
            Existence::Exists,
            "{name}"
        );
        let f = Model::main_effects().fit(&t, None);
        assert!(
            f.fit.exists && f.total.is_finite() && f.total >= t.observed(),
            "{name}"
        );
    }
}

#[test]
fn the_stepwise_search_only_keeps_models_whose_estimate_exists() {
    for name in TABLES {
        let t = table(name);
        if let Some(f) = stepwise(&t, 0.05) {
            assert_eq!(f.existence, Existence::Exists, "{name}");
            assert!(f.total.is_finite(), "{name}");
        }
    }
}
