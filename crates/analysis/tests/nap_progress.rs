//! National Action Plan progress and status on hand-made facts, with the figures of issue 13:
//! a "decrease" indicator whose baseline (31.8) already met the next year's target (32) and
//! that rose to 34.1 showed 1,252 % progress and "on track"; one that met its target showed a
//! negative progress; years without a target showed `c`, the small-cell suppression mark.

use serde_json::json;
use tessera_analysis::facts::ProviderInfo;
use tessera_analysis::nap::{IndicatorResult, NO_VALUE, NapPlan, NapReport, Status, YearValue};
use tessera_analysis::{FactsBuilder, nap_progress};
use tessera_dictionary::Dictionary;
use tessera_store::{Access, FactRow};

/// Victims per year and how many of them were referred to assistance: 7 of 22 in 2021
/// (31.818… %, shown 31.8), 5 of 18 in 2022 (27.8 %), 15 of 44 in 2023 (34.1 %), none in 2024.
const YEARS: [(i32, usize, usize); 3] = [(2021, 22, 7), (2022, 18, 5), (2023, 44, 15)];

fn report(indicators: &str, lang: &str) -> NapReport {
    let dict = Dictionary::base().unwrap();
    let providers = vec![ProviderInfo {
        id: "ngo-b".into(),
        name: "NGO B".into(),
        provider_type: "NGO".into(),
        region: None,
    }];
    let periods = YEARS.iter().map(|y| y.0.to_string()).collect();
    let mut b = FactsBuilder::new(&dict, providers, periods);
    let mut id = 0;
    for (year, n, referred) in YEARS {
        for i in 0..n {
            id += 1;
            let data = json!({
                "provider_ref": format!("R{id}"),
                "identification_status": "IDENTIFIED",
                "date_identified": format!("{year}-03-01"),
                "sex": "F",
                "exploitation": ["SEX"],
                "referred_to_assistance": i < referred,
            });
            b.push(&FactRow {
                id,
                entity: "victim".into(),
                provider_id: "ngo-b".into(),
                provider_ref: format!("R{id}"),
                period_id: Some(year.to_string()),
                approved: true,
                data: data.to_string(),
            });
        }
    }
    let facts = b.finish();
    let plan =
        format!("[plan]\nid = \"t\"\ntitle = {{ en = \"Plan\", fr = \"Plan\" }}\n{indicators}");
    let plan = NapPlan::from_toml(&plan, &dict).unwrap();
    nap_progress(&facts, &plan, &Access::National, &[], lang).unwrap()
}

/// One indicator: the share of victims referred, in `direction`, from `baseline` to `targets`.
fn indicator(id: &str, direction: &str, baseline: &str, targets: &str) -> String {
    format!(
        r#"
[[indicator]]
id = "{id}"
pillar = "protection"
title = {{ en = "Referred {id}", fr = "Orientées {id}" }}
entity = "victim"
measure = "share"
where = "referred_to_assistance = true"
direction = "{direction}"
baseline = {baseline}
targets = {targets}
"#
    )
}

fn find<'a>(r: &'a NapReport, id: &str) -> &'a IndicatorResult {
    r.pillars
        .iter()
        .flat_map(|p| &p.indicators)
        .find(|i| i.id == id)
        .unwrap()
}

fn year(i: &IndicatorResult, y: i32) -> &YearValue {
    i.years.iter().find(|v| v.year == y).unwrap()
}

/// The demo's PREV-1 as the issue saw it: baseline computed from 2021 (31.8), targets 33 in
/// 2022 and 32 in 2023.
fn prev1() -> String {
    indicator(
        "PREV-1",
        "decrease",
        "{ year = 2021 }",
        "{ 2022 = 33.0, 2023 = 32.0 }",
    )
}

#[test]
fn decrease_that_rose_past_its_target_is_off_track_with_negative_progress() {
    let r = report(&prev1(), "en");
    let i = find(&r, "PREV-1");
    let y = year(i, 2023);
    // Today: (34.09 − 31.82) / (32 − 31.82) = 1,250 % and "on track".
    assert_eq!(
        (y.progress, y.status),
        (Some(-100.0), Status::OffTrack),
        "the baseline had met the target; the value no longer does"
    );
    assert_eq!((y.value, y.target), (Some(34.1), Some(32.0)));
    assert_eq!(i.baseline, Some(31.8), "compared as shown");
    assert_eq!(i.status, Status::OffTrack, "the latest year decides");
}

#[test]
fn decrease_that_met_its_target_is_achieved_not_negative() {
    let r = report(&prev1(), "en");
    let y = year(find(&r, "PREV-1"), 2022);
    assert_eq!((y.value, y.target), (Some(27.8), Some(33.0)));
    assert_eq!(y.status, Status::Achieved);
    // Today: (27.8 − 31.82) / (33 − 31.82) = −342 %.
    assert_eq!(y.progress, Some(100.0));
}

#[test]
fn increase_on_track_between_targets_and_too_slow() {
    let plan = indicator(
        "FAST",
        "increase",
        "{ year = 2021, value = 20.0 }",
        "{ 2023 = 30.0, 2024 = 35.0 }",
    ) + &indicator(
        "SLOW",
        "increase",
        "{ year = 2021, value = 20.0 }",
        "{ 2023 = 40.0 }",
    );
    let r = report(&plan, "en");
    let fast = find(&r, "FAST");
    // 2022, no target of its own: 7.8 of the 10 points to the 2023 target (78 %) with half the
    // time from 2021 to 2023 gone.
    let y = year(fast, 2022);
    assert_eq!((y.value, y.target, y.progress), (Some(27.8), None, None));
    assert_eq!(y.status, Status::OnTrack);
    let y = year(fast, 2023);
    assert_eq!((y.progress, y.status), (Some(100.0), Status::Achieved));
    assert_eq!(year(fast, 2024).status, Status::NoData);
    assert_eq!(
        fast.status,
        Status::Achieved,
        "2023 is the latest year with data"
    );
    let slow = find(&r, "SLOW");
    // 7.8 of 20 points (39 %) with half the time gone: too slow.
    assert_eq!(year(slow, 2022).status, Status::OffTrack);
    let y = year(slow, 2023);
    assert_eq!((y.progress, y.status), (Some(70.5), Status::OffTrack));
}

#[test]
fn decrease_on_track_then_wrong_way() {
    let plan = indicator("DOWN", "decrease", "{ year = 2021 }", "{ 2023 = 25.0 }");
    let r = report(&plan, "en");
    let i = find(&r, "DOWN");
    // 31.8 → 27.8 is 4 of the 6.8 points (59 %) with half the time gone.
    assert_eq!(year(i, 2022).status, Status::OnTrack);
    // 31.8 → 34.1 moves 2.3 points away: −33.8 %.
    let y = year(i, 2023);
    assert_eq!((y.progress, y.status), (Some(-33.8), Status::OffTrack));
}

#[test]
fn increase_the_wrong_way_is_off_track_and_bounded() {
    let plan = indicator(
        "AWAY",
        "increase",
        "{ year = 2021, value = 40.0 }",
        "{ 2022 = 50.0, 2023 = 60.0 }",
    );
    let r = report(&plan, "en");
    let i = find(&r, "AWAY");
    // 40 → 27.8 against a gap of 10: −122 %, bounded at −100.
    let y = year(i, 2022);
    assert_eq!((y.progress, y.status), (Some(-100.0), Status::OffTrack));
    // 40 → 34.1 against a gap of 20.
    let y = year(i, 2023);
    assert_eq!((y.progress, y.status), (Some(-29.5), Status::OffTrack));
}

#[test]
fn baseline_already_past_the_target() {
    let plan = indicator(
        "PAST",
        "increase",
        "{ year = 2021, value = 30.0 }",
        "{ 2022 = 28.5, 2023 = 28.0 }",
    );
    let r = report(&plan, "en");
    let i = find(&r, "PAST");
    // 30 already met 28.5; 27.8 no longer does. Today: (27.8 − 30) / (28.5 − 30) = 147 %,
    // "on track".
    let y = year(i, 2022);
    assert_eq!((y.progress, y.status), (Some(-100.0), Status::OffTrack));
    // 34.1 still meets 28. Today: (34.1 − 30) / (28 − 30) = −205 %.
    let y = year(i, 2023);
    assert_eq!((y.progress, y.status), (Some(100.0), Status::Achieved));
}

#[test]
fn years_without_a_target_or_data_show_a_dash_not_c() {
    let plan = indicator(
        "GAPS",
        "decrease",
        "{ year = 2021 }",
        "{ 2023 = 25.0, 2024 = 24.0 }",
    );
    for lang in ["en", "fr"] {
        let r = report(&plan, lang);
        assert!(!r.table.suppressed, "nothing in a NAP table is suppressed");
        let cells = r.cells(|x| x.to_string());
        let row = |y: &str| cells.iter().find(|c| c[1] == y).unwrap().clone();
        let (on_track, no_target, no_data) = if lang == "fr" {
            ("En bonne voie", "Pas de cible", "Pas de données")
        } else {
            ("On track", "No target", "No data")
        };
        assert!(cells.iter().all(|c| c[0].ends_with(" GAPS")));
        // Indicator, year, status, then value, target, progress.
        assert_eq!(
            row("2021")[1..],
            ["2021", no_target, "31.8", NO_VALUE, NO_VALUE]
        );
        assert_eq!(
            row("2022")[1..],
            ["2022", on_track, "27.8", NO_VALUE, NO_VALUE]
        );
        assert_eq!(
            row("2024")[1..],
            ["2024", no_data, NO_VALUE, "24", NO_VALUE]
        );
        assert_eq!(NO_VALUE, "—");
        assert!(
            cells.iter().flatten().all(|c| c != "c"),
            "no cell is the suppression mark: {cells:?}"
        );
        // The CSV carries the status and leaves an empty cell where there is no value.
        let csv = r.table.to_csv();
        let mut lines = csv.lines();
        let header = if lang == "fr" {
            "Indicateur (code),Indicateur,Année (code),Année,Statut (code),Statut,Valeur,Cible,"
        } else {
            "Indicator (code),Indicator,Year (code),Year,Status (code),Status,Value,Target,"
        };
        assert!(lines.next().unwrap().starts_with(header), "{csv}");
        let y2022 = lines.find(|l| l.contains(",2022,2022,")).unwrap();
        assert!(
            y2022.ends_with(&format!(",on_track,{on_track},27.8,,")),
            "{y2022}"
        );
    }
}

/// Prevention and partnership figures entered by hand (trainings held, MoUs signed) go through
/// the same progress and status as computed ones; a figure for a computed indicator, or for an
/// indicator the plan lacks, is refused.
#[test]
fn figures_entered_by_hand_are_assessed_like_computed_ones() {
    let dict = Dictionary::base().unwrap();
    let plan = r#"[plan]
id = "t"
title = { en = "Plan", fr = "Plan" }

[[indicator]]
id = "TRAIN"
pillar = "prevention"
title = { en = "Officers trained", fr = "Agents formés" }
measure = "entered"
direction = "increase"
baseline = { year = 2021, value = 40.0 }
targets = { 2023 = 150.0 }
"#;
    let computed = indicator(
        "REF",
        "increase",
        "{ year = 2021, value = 20.0 }",
        "{ 2023 = 30.0 }",
    );
    let plan = NapPlan::from_toml(&format!("{plan}{computed}"), &dict).unwrap();
    assert!(
        plan.clone()
            .with_entered([("REF".to_string(), 2022, 5.0)])
            .is_err(),
        "a computed indicator takes no figure by hand"
    );
    assert!(plan.check_entered("NOPE").is_err());
    let plan = plan
        .with_entered([
            ("TRAIN".to_string(), 2022, 100.0),
            ("TRAIN".to_string(), 2023, 160.0),
        ])
        .unwrap();
    let facts = FactsBuilder::new(&dict, Vec::new(), Vec::new()).finish();
    let r = nap_progress(&facts, &plan, &Access::National, &[], "en").unwrap();
    let i = find(&r, "TRAIN");
    let y2022 = year(i, 2022);
    // 60 of the 110 to go (55 %) with half the time gone: on track.
    assert_eq!((y2022.value, y2022.status), (Some(100.0), Status::OnTrack));
    let y2023 = year(i, 2023);
    assert_eq!(
        (y2023.value, y2023.status, y2023.progress),
        (Some(160.0), Status::Achieved, Some(100.0))
    );
    assert_eq!(i.status, Status::Achieved);
}
