//! NAP configuration checks and computation, data-quality validity and completeness, filters
//! and access on small hand-made facts (built with `FactsBuilder`, no database).

use serde_json::json;
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::facts::ProviderInfo;
use tessera_analysis::nap::{NapPlan, Status};
use tessera_analysis::{Expr, Facts, FactsBuilder, Measure, Unit, aggregate};
use tessera_dictionary::{Dictionary, ProviderId};
use tessera_store::{Access, FactRow};

fn providers() -> Vec<ProviderInfo> {
    [("police-a", "POLICE"), ("ngo-b", "NGO")]
        .iter()
        .map(|(id, t)| ProviderInfo {
            id: id.to_string(),
            name: id.to_uppercase(),
            provider_type: t.to_string(),
            region: Some("CF-BGF".into()),
        })
        .collect()
}

fn row(
    entity: &str,
    id: i64,
    provider: &str,
    period: &str,
    approved: bool,
    data: serde_json::Value,
) -> FactRow {
    FactRow {
        id,
        entity: entity.into(),
        provider_id: provider.into(),
        provider_ref: format!("R{id}"),
        period_id: Some(period.into()),
        approved,
        data: data.to_string(),
    }
}

/// 2021: 10 victims, 4 referred; 2022: 10 victims, 8 referred (one record not approved, one
/// with an invalid sex code, and assistance starting 5 or 40 days after identification).
fn facts(dict: &Dictionary) -> Facts {
    let mut b = FactsBuilder::new(dict, providers(), vec!["2021".into(), "2022".into()]);
    let mut id = 0;
    for year in [2021, 2022] {
        for i in 0..10 {
            id += 1;
            let referred = if year == 2021 { i < 4 } else { i < 8 };
            let provider = if i % 2 == 0 { "police-a" } else { "ngo-b" };
            let mut d = json!({
                "provider_ref": format!("R{id}"),
                "identification_status": "IDENTIFIED",
                "date_identified": format!("{year}-03-01"),
                "sex": if i == 9 && year == 2022 { "ZZ" } else if i < 6 { "F" } else { "M" },
                "exploitation": ["SEX"],
                "referred_to_assistance": referred,
            });
            if i < 5 {
                d["age"] = json!(15 + i);
            }
            if id == 1 {
                // Breaks the dictionary's cross-border rule: flagged cross-border, same country.
                d["country_of_origin"] = json!("CF");
                d["country_of_exploitation"] = json!("CF");
                d["cross_border"] = json!(true);
            }
            if id == 3 {
                d["country_of_origin"] = json!("CF");
                d["country_of_exploitation"] = json!("CM");
                d["cross_border"] = json!(true);
            }
            b.push(&row("victim", id, provider, &year.to_string(), true, d));
        }
    }
    b.push(&row(
        "victim",
        99,
        "ngo-b",
        "2022",
        false,
        json!({"provider_ref": "R99", "date_identified": "2022-05-01", "sex": "F", "exploitation": ["LAB"], "referred_to_assistance": true}),
    ));
    for (k, (victim, days)) in [(11, 5), (13, 40), (12, 3)].iter().enumerate() {
        // Victim R11 and R13 are police-a's (even i), R12 ngo-b's.
        let provider = if victim % 2 == 1 { "police-a" } else { "ngo-b" };
        b.push(&row(
            "assistance",
            1000 + k as i64,
            provider,
            "2022",
            true,
            json!({"provider_ref": format!("A{k}"), "person_ref": format!("R{victim}"), "services": ["MEDICAL"],
                   "start_date": format!("2022-{:02}-{:02}", 3 + days / 31, 1 + days % 31)}),
        ));
    }
    b.finish()
}

const PLAN: &str = r#"
[plan]
id = "test"
title = { en = "Test plan", fr = "Plan de test" }

[[indicator]]
id = "PROT-1"
pillar = "protection"
title = { en = "Referred", fr = "Orientées" }
entity = "victim"
measure = "share"
where = "referred_to_assistance = true"
baseline = { year = 2021 }
targets = { 2022 = 60.0 }

[[indicator]]
id = "PROT-2"
pillar = "protection"
title = { en = "Within 30 days", fr = "Sous 30 jours" }
entity = "victim"
measure = "count"
where = "days_to_assistance <= 30"
baseline = { year = 2021, value = 0.0 }
targets = { 2022 = 4.0 }

[[indicator]]
id = "PREV-1"
pillar = "prevention"
title = { en = "Children", fr = "Enfants" }
entity = "victim"
measure = "count"
where = "child = \"CHILD\""
direction = "decrease"
baseline = { year = 2021 }
targets = { 2022 = 1.0 }
"#;

#[test]
fn nap_indicators_compute_progress_against_targets() {
    let dict = Dictionary::base().unwrap();
    let f = facts(&dict);
    let plan = NapPlan::from_toml(PLAN, &dict).unwrap();
    let r = tessera_analysis::nap_progress(&f, &plan, &Access::National, &[], "fr").unwrap();
    let all: Vec<_> = r.pillars.iter().flat_map(|p| &p.indicators).collect();
    let p1 = all.iter().find(|i| i.id == "PROT-1").unwrap();
    assert_eq!(p1.baseline, Some(40.0), "computed from 2021");
    let y = &p1.years[1];
    assert_eq!((y.year, y.value, y.target), (2022, Some(80.0), Some(60.0)));
    assert_eq!(y.progress, Some(100.0), "met: capped at 100");
    assert_eq!(y.status, Status::Achieved);
    assert_eq!(p1.years[0].status, Status::NoTarget);
    let p2 = all.iter().find(|i| i.id == "PROT-2").unwrap();
    // Two assisted victims within 30 days (5 and 3 days); the one at 40 days does not count.
    assert_eq!(p2.years[1].value, Some(2.0));
    assert_eq!(p2.years[1].progress, Some(50.0));
    assert_eq!(p2.years[1].status, Status::OffTrack);
    assert_eq!(p2.years[0].status, Status::NoData);
    let prev = all.iter().find(|i| i.id == "PREV-1").unwrap();
    // Ages 15, 16, 17 are children, 18 and 19 adults: 3 children each year.
    assert_eq!(prev.baseline, Some(3.0));
    assert_eq!(
        prev.years[1].status,
        Status::OffTrack,
        "decrease: 3 > target 1"
    );
    assert_eq!(r.pillars[0].label, "Prévention");
    assert_eq!(r.table.rows.len(), 6);
    assert!(r.table.to_csv().starts_with(
        "Indicateur (code),Indicateur,Année (code),Année,Statut (code),Statut,Valeur"
    ));
}

#[test]
fn nap_configuration_errors_name_the_indicator() {
    let dict = Dictionary::base().unwrap();
    for (edit, expect) in [
        (
            PLAN.replace("pillar = \"prevention\"", "pillar = \"publicity\""),
            "PREV-1: pillar",
        ),
        (
            PLAN.replace("child = \\\"CHILD\\\"", "shoe_size > 3"),
            "PREV-1: victim has no field \"shoe_size\"",
        ),
        (
            PLAN.replace(
                "entity = \"victim\"\nmeasure = \"count\"\nwhere = \"days",
                "entity = \"victime\"\nmeasure = \"count\"\nwhere = \"days",
            ),
            "PROT-2: unknown entity",
        ),
        (
            PLAN.replace("id = \"PROT-2\"", "id = \"PROT-1\""),
            "PROT-1: defined twice",
        ),
        (
            PLAN.replace(
                "where = \"referred_to_assistance = true\"",
                "where = \"referred_to_assistance = \"",
            ),
            "PROT-1: filter: expected a value",
        ),
        (
            PLAN.replace("measure = \"share\"", "measure = \"sum\""),
            "PROT-1: a sum or median needs a field",
        ),
        (
            PLAN.replace("targets = { 2022 = 60.0 }", "targets = { next = 60.0 }"),
            "PROT-1: target year",
        ),
        (
            PLAN.replace(
                "direction = \"decrease\"",
                "direction = \"decrease\"\nformula = \"rm -rf\"",
            ),
            "unknown field",
        ),
    ] {
        let err = NapPlan::from_toml(&edit, &dict).unwrap_err().to_string();
        assert!(err.contains(expect), "{expect}: {err}");
    }
}

#[test]
fn filters_units_and_access_on_small_facts() {
    let dict = Dictionary::base().unwrap();
    let f = facts(&dict);
    // The unapproved record is never counted.
    let t = aggregate(
        &f,
        "victim",
        &Access::National,
        &Expr::True,
        &["sex"],
        Measure::Count,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(t.total(), 20.0);
    assert_eq!(t.get(&["F"]), Some(12.0));
    assert_eq!(t.get(&[""]), Some(1.0), "the invalid code is not recorded");
    // Age band derived from age when only the age was sent.
    let t = aggregate(
        &f,
        "victim",
        &Access::National,
        &Expr::True,
        &["age_band"],
        Measure::Count,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(t.get(&["12-17"]), Some(6.0));
    assert_eq!(t.get(&["18-24"]), Some(4.0));
    // A provider's access.
    let own = Access::Provider(ProviderId::parse("ngo-b").unwrap());
    let t = aggregate(
        &f,
        "victim",
        &own,
        &Expr::True,
        &["provider"],
        Measure::Count,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(t.rows.len(), 1);
    assert_eq!(t.get(&["ngo-b"]), Some(10.0));
    let unknown = Access::Provider(ProviderId::parse("nobody").unwrap());
    assert_eq!(
        aggregate(
            &f,
            "victim",
            &unknown,
            &Expr::True,
            &[],
            Measure::Count,
            Unit::Records,
            "en"
        )
        .unwrap()
        .total(),
        0.0
    );
    // Persons: records 1 and 2 are one person.
    let persons = tessera_analysis::PersonMap::from_pairs([(1, 7), (2, 7)]);
    let t = aggregate(
        &f,
        "victim",
        &Access::National,
        &Expr::True,
        &[],
        Measure::Count,
        Unit::Persons(&persons),
        "en",
    )
    .unwrap();
    assert_eq!(t.total(), 19.0);
    // Filters and their expression.
    let filters = Filters {
        year_from: Some(2022),
        sex: vec!["M".into()],
        ..Filters::default()
    };
    let v = tessera_analysis::victims(
        &f,
        &Scope::Internal(Access::National),
        &filters,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(
        v.total,
        Some(3.0),
        "2022 M: i = 6, 7, 8 (9 has an invalid sex)"
    );
    let bad = Filters {
        expr: Some("sex = 'Q'".into()),
        ..Filters::default()
    };
    assert!(
        tessera_analysis::victims(
            &f,
            &Scope::Internal(Access::National),
            &bad,
            Unit::Records,
            "en"
        )
        .is_err()
    );
    let cell = filters.cell("exploitation", "SEX");
    assert_eq!(cell.expr.as_deref(), Some("exploitation = \"SEX\""));
    assert_eq!(
        tessera_analysis::drill(&f, "victim", &Access::National, &cell, 10).unwrap(),
        vec![17, 18, 19]
    );
    // Partners: every small cell hidden.
    let p = tessera_analysis::victims(
        &f,
        &Scope::partner(),
        &Filters::default(),
        Unit::Records,
        "en",
    )
    .unwrap();
    assert!(p.by_sex.suppressed);
    assert_eq!(p.by_sex.get(&[""]), None);
    assert!(tessera_analysis::is_protected(&p.by_sex, 5.0));
}

#[test]
fn quality_reports_completeness_validity_and_the_invalid_code() {
    let dict = Dictionary::base().unwrap();
    let f = facts(&dict);
    let q = tessera_analysis::quality(&f, &Access::National, &[], None, "en").unwrap();
    let ngo22 = q
        .providers
        .iter()
        .find(|p| p.provider_id == "ngo-b" && p.period == "2022")
        .unwrap();
    // ngo-b 2022: i = 1, 3, 5, 7, 9 approved + the unapproved one; i = 9 has sex "ZZ".
    assert_eq!(
        ngo22.records,
        6 + 1,
        "quality sees unapproved records and assistance too"
    );
    assert!(ngo22.validity.unwrap() < 100.0);
    let sex = q
        .variables
        .rows
        .iter()
        .find(|r| r.keys[0].code == "ngo-b" && r.keys[1].code == "victim.sex")
        .unwrap();
    assert_eq!(
        sex.values,
        vec![Some(100.0), Some(90.9)],
        "present in 11 of 11, valid in 10"
    );
    let age = q
        .variables
        .rows
        .iter()
        .find(|r| r.keys[0].code == "police-a" && r.keys[1].code == "victim.age")
        .unwrap();
    assert_eq!(
        age.values[0],
        Some(60.0),
        "police-a: i = 0, 2, 4 of 0..10 even, twice"
    );
    assert!(ngo22.linked_share.is_none(), "no linkage given");
    // police-a: ids 1 and 3 carry countries; only id 1 breaks the cross-border rule.
    let cross = q
        .variables
        .rows
        .iter()
        .find(|r| r.keys[0].code == "police-a" && r.keys[1].code == "victim.cross_border")
        .unwrap();
    assert_eq!(cross.values, vec![Some(20.0), Some(90.0)]);
    let police21 = q
        .providers
        .iter()
        .find(|p| p.provider_id == "police-a" && p.period == "2021")
        .unwrap();
    assert_eq!(
        police21.validity,
        Some(80.0),
        "1 of 5 records breaks a rule"
    );
}

#[test]
fn overlap_table_counts_persons_by_the_lists_they_are_on() {
    let dict = Dictionary::base().unwrap();
    let f = facts(&dict);
    // Persons: records 1 (police-a) and 2 (ngo-b) are one person; 3 (police-a) and 5 (police-a)
    // another; every other record its own person.
    let persons = tessera_analysis::PersonMap::from_pairs([(1, 100), (2, 100), (3, 200), (5, 200)]);
    let t =
        tessera_analysis::overlap_table(&f, "victim", &Filters::default(), &persons, "provider")
            .unwrap();
    assert_eq!(t.lists, vec!["police-a", "ngo-b"]);
    // Approved victims: 20 records; police-a 10, ngo-b 10. Person 100 on both lists, person 200
    // twice on police-a: police-a only 10 - 1 (shared) - 1 (duplicate) = 8, ngo-b only 9.
    assert_eq!(
        t.patterns(),
        vec![
            (vec![false, true], 9.0),
            (vec![true, false], 8.0),
            (vec![true, true], 1.0)
        ]
    );
    assert_eq!(t.to_csv(), "police-a,ngo-b,count\n0,1,9\n1,0,8\n1,1,1\n");
    // The estimate is made from this very table (two lists: nothing to fold).
    let h =
        tessera_analysis::hidden_victims(&f, "victim", &Filters::default(), &persons, "provider")
            .unwrap();
    assert_eq!(h.table, t);
    assert_eq!(h.estimates.len(), 2);
    let direct = tessera_estimate::estimate(&t, &tessera_estimate::Method::Stepwise, 0.95).unwrap();
    let first = h.first().unwrap();
    assert_eq!(
        (first.estimate, first.ci_low, first.ci_high),
        (direct.estimate, direct.ci_low, direct.ci_high)
    );
    assert_eq!(first.observed, 18.0);
    assert!(
        tessera_analysis::overlap_table(&f, "victim", &Filters::default(), &persons, "sex")
            .is_err()
    );
}
