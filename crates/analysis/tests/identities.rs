//! Issue 19, item 1: one definition per figure. Every table of every dashboard, over a stored
//! demo and the persons real linkage finds in it, on SQLite and PostgreSQL:
//!
//! - each table says what it counts (records or persons), and its value header says so too;
//! - a breakdown by single-valued variables adds up to its headline, "not recorded" being a
//!   row of its own, counted as the records (or persons) for which the variable is unknown;
//! - a breakdown by a multi-valued variable (forms of exploitation, citizenships…) is flagged
//!   as such, each row at most the headline, the rows together at least the headline;
//! - a two-way table's margins are its one-way tables (year × sex against year and sex), for
//!   unique persons as well as records;
//! - the smuggling headline of migrants is what its tables by sex and age add up to;
//! - for partners (disclosure control: nothing rounded here), a published cell is the national
//!   cell, and hidden cells are the only difference.

use std::collections::BTreeMap;
use std::sync::Arc;

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::{
    Facts, Table, Unit, flows, funnel, multi_valued, record_counts, records_by_provider, smuggling,
    victims,
};
use tessera_dictionary::Dictionary;
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{Access, Store};

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

/// The sum of one value column (every cell published: national scope).
fn sum(t: &Table, col: usize) -> f64 {
    t.rows
        .iter()
        .map(|r| r.values[col].unwrap_or_else(|| panic!("{}: a hidden cell", t.id)))
        .sum()
}

/// The "not recorded" row of a one-way table (0 when there is none).
fn not_recorded(t: &Table) -> f64 {
    t.get(&[""]).unwrap_or(0.0)
}

/// A total under a condition, through the same dashboard (its headline).
fn victims_where(facts: &Facts, cond: &str, unit: Unit) -> f64 {
    let f = Filters {
        expr: Some(cond.into()),
        ..Filters::default()
    };
    victims(facts, &Scope::Internal(Access::National), &f, unit, "en")
        .unwrap()
        .total
        .unwrap()
}

/// Per code of key column `key`, the sum of the first value over the rows.
fn margin(t: &Table, key: usize) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for r in &t.rows {
        *m.entry(r.keys[key].code.clone()).or_default() += r.values[0].unwrap();
    }
    m
}

fn one_way(t: &Table) -> BTreeMap<String, f64> {
    margin(t, 0)
}

/// A partner's table against the national one: same keys, each published value the national
/// value, and rows missing only when every cell of theirs would have been hidden.
fn published_subset(partner: &Table, national: &Table, engine: &str) {
    let mut hidden = 0usize;
    for r in &partner.rows {
        let n = national
            .rows
            .iter()
            .find(|x| x.keys == r.keys)
            .unwrap_or_else(|| {
                panic!(
                    "{engine} {}: a partner's row {:?} the national table lacks",
                    partner.id, r.keys
                )
            });
        for (p, v) in r.values.iter().zip(&n.values) {
            match p {
                Some(p) => assert_eq!(Some(*p), *v, "{engine} {} {:?}", partner.id, r.keys),
                None => hidden += 1,
            }
        }
    }
    for n in &national.rows {
        if !partner.rows.iter().any(|r| r.keys == n.keys) {
            hidden += n.values.len();
        }
    }
    if hidden > 0 {
        assert!(
            partner.suppressed,
            "{engine} {}: hidden but not marked",
            partner.id
        );
    }
}

fn single(facts: &Facts, t: &Table, total: f64, unit: &str, engine: &str) {
    assert_eq!(t.unit, unit, "{engine} {}: states what it counts", t.id);
    assert!(!multi_valued(facts, t), "{engine} {}", t.id);
    assert_eq!(
        sum(t, 0),
        total,
        "{engine} {} ({unit}): the rows add up to the headline",
        t.id
    );
}

async fn check(store: Store, engine: &str) {
    let d = dict();
    let enc = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap()));
    let mut truth = Vec::new();
    tessera_demo::run(&store, &d, enc, 3000, 11, &mut truth, |_| {})
        .await
        .unwrap();
    let facts = Facts::build(&store, &d).await.unwrap();
    let linkage = tessera_analysis::link_and_review(&store).await.unwrap();
    let map = linkage.persons.clone();
    let national = Scope::Internal(Access::National);
    let partner = Scope::partner();
    let all = Filters::default();

    for unit in [Unit::Records, Unit::Persons(&map)] {
        let un = unit.name();
        let header = match unit {
            Unit::Records => "Records",
            Unit::Persons(_) => "Persons",
        };
        // Victims.
        let v = victims(&facts, &national, &all, unit, "en").unwrap();
        let total = v.total.unwrap();
        assert!(total > 500.0, "{engine}: {total}");
        assert_eq!(v.unit, un);
        for t in [
            &v.by_year,
            &v.by_sex,
            &v.by_age_band,
            &v.children,
            &v.by_region,
            &v.by_provider_type,
            &v.cross_border,
            &v.by_identification_status,
            &v.by_year_sex,
        ] {
            single(&facts, t, total, un, engine);
            assert_eq!(t.value_headers, [header], "{engine} {}", t.id);
        }
        // "Not recorded" is its own row: the victims for whom the variable is unknown.
        for (t, var) in [
            (&v.by_sex, "sex"),
            (&v.by_age_band, "age_band"),
            (&v.by_region, "region_identified"),
            (&v.cross_border, "cross_border"),
            (&v.by_identification_status, "identification_status"),
            (&v.by_exploitation, "exploitation"),
            (&v.by_citizenship, "citizenship"),
            (&v.vulnerable_groups, "vulnerabilities"),
        ] {
            let known = victims_where(&facts, &format!("{var} is known"), unit);
            assert_eq!(
                not_recorded(t),
                total - known,
                "{engine} {} ({un}): not recorded",
                t.id
            );
        }
        assert!(
            [&v.by_region, &v.cross_border, &v.by_sex, &v.by_exploitation]
                .iter()
                .any(|t| not_recorded(t) > 0.0),
            "{engine}: the demo leaves some values unknown"
        );
        // Several codes per victim: flagged, and never fewer than the victims.
        for t in [&v.by_exploitation, &v.by_citizenship, &v.vulnerable_groups] {
            assert!(multi_valued(&facts, t), "{engine} {}", t.id);
            assert_eq!(t.unit, un);
            assert!(sum(t, 0) >= total, "{engine} {}", t.id);
            for r in &t.rows {
                assert!(r.values[0].unwrap() <= total, "{engine} {}", t.id);
            }
        }
        // Year × sex against year and sex: the 2,075 against 2,102.
        assert_eq!(
            margin(&v.by_year_sex, 0),
            one_way(&v.by_year),
            "{engine} {un}"
        );
        assert_eq!(
            margin(&v.by_year_sex, 1),
            one_way(&v.by_sex),
            "{engine} {un}"
        );

        // Flows: every victim once, in one band of each stage.
        let fl = flows(&facts, "victim", &national, &all, unit, "en").unwrap();
        single(&facts, &fl.origin_destination, total, un, engine);
        assert!(
            multi_valued(&facts, &fl.routes),
            "{engine}: transit countries"
        );
        for stage in [0, 1] {
            let s: f64 = fl
                .links
                .iter()
                .filter(|l| l.stage == stage)
                .map(|l| l.value)
                .sum();
            assert!(s >= total, "{engine} stage {stage}: {s} < {total}");
        }

        // Smuggling: the migrants' headline is what the tables by sex and age add up to.
        let sm = smuggling(&facts, &national, &all, unit, "en").unwrap();
        let migrants = sm.migrants.unwrap();
        assert_eq!(sm.migrants_unit, un);
        assert!(migrants > 50.0, "{engine}");
        single(&facts, &sm.migrants_by_sex, migrants, un, engine);
        single(&facts, &sm.migrants_by_age_band, migrants, un, engine);
        let incidents = sm.incidents.unwrap();
        let reported = sm.migrants_reported.unwrap();
        assert_eq!(sum(&sm.by_year, 0), incidents, "{engine}");
        assert_eq!(sum(&sm.by_year, 1), reported, "{engine}");
        assert_eq!(sum(&sm.routes, 0), incidents, "{engine}");
        assert_eq!(sum(&sm.routes, 1), reported, "{engine}");
        single(&facts, &sm.by_transport, incidents, "records", engine);
        // The two figures of migrants are different things, each named.
        assert!(sm.by_year.value_headers[1].contains("incident"));
    }
    // Counted as persons, a victim recorded twice counts once: fewer persons than records.
    let records = victims(&facts, &national, &all, Unit::Records, "en").unwrap();
    let persons = victims(&facts, &national, &all, Unit::Persons(&map), "en").unwrap();
    assert!(persons.total < records.total, "{engine}");

    // The criminal-justice funnel: the offence groups (not recorded among them) add up to all.
    let fu = funnel(&facts, &national, &all, "en").unwrap();
    let all_cases = fu.stages.get(&["ALL", "INVESTIGATED"]).unwrap();
    let groups: f64 = fu
        .stages
        .rows
        .iter()
        .filter(|r| r.keys[0].code != "ALL" && r.keys[1].code == "INVESTIGATED")
        .map(|r| r.values[0].unwrap())
        .sum();
    assert_eq!(groups, all_cases, "{engine}: offence groups");
    single(&facts, &fu.by_year, all_cases, "records", engine);
    single(&facts, &fu.verdicts, all_cases, "records", engine);
    for r in &fu.stages.rows {
        let first = fu.stages.get(&[&r.keys[0].code, "INVESTIGATED"]).unwrap();
        assert!(r.values[0].unwrap() <= first, "{engine}: a funnel narrows");
    }

    // Approved records per entity: by provider type and by provider, as the home page lists.
    let entities = [
        "victim",
        "suspect",
        "smuggled_migrant",
        "cj_case",
        "smuggling_incident",
        "assistance",
    ];
    let counts = record_counts(&facts, &national, &entities, "en").unwrap();
    let by_provider = records_by_provider(&facts, &Access::National, &entities);
    for (j, c) in counts.iter().enumerate() {
        let total = c.total.unwrap();
        single(
            &facts,
            c.by_provider_type.as_ref().unwrap(),
            total,
            "records",
            engine,
        );
        let listed: u64 = by_provider.iter().map(|p| p.1[j]).sum();
        assert_eq!(listed as f64, total, "{engine} {}", c.entity);
    }
    assert_eq!(
        counts[0].total, records.total,
        "{engine}: the home page's victims are the dashboard's"
    );
    // A provider's list is its own records only.
    let own = tessera_dictionary::ProviderId::parse("ong-espoir-kaga").unwrap();
    let mine = records_by_provider(&facts, &Access::Provider(own.clone()), &entities);
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].0, own.as_str());
    let own_victims = victims(
        &facts,
        &Scope::Internal(Access::Provider(own)),
        &all,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(Some(mine[0].1[0] as f64), own_victims.total, "{engine}");

    // Partners: published cells are the national ones; hidden cells are the only difference.
    let pv = victims(&facts, &partner, &all, Unit::Records, "en").unwrap();
    assert!(pv.total.is_none() || pv.total == records.total);
    for (p, n) in [
        (&pv.by_year, &records.by_year),
        (&pv.by_year_sex, &records.by_year_sex),
        (&pv.by_sex, &records.by_sex),
        (&pv.by_age_band, &records.by_age_band),
        (&pv.children, &records.children),
        (&pv.by_exploitation, &records.by_exploitation),
        (&pv.by_citizenship, &records.by_citizenship),
        (&pv.by_region, &records.by_region),
        (&pv.vulnerable_groups, &records.vulnerable_groups),
        (&pv.cross_border, &records.cross_border),
        (
            &pv.by_identification_status,
            &records.by_identification_status,
        ),
    ] {
        published_subset(p, n, engine);
    }
    let nfl = flows(&facts, "victim", &national, &all, Unit::Records, "en").unwrap();
    let pfl = flows(&facts, "victim", &partner, &all, Unit::Records, "en").unwrap();
    published_subset(&pfl.origin_destination, &nfl.origin_destination, engine);
    published_subset(&pfl.routes, &nfl.routes, engine);
    let nsm = smuggling(&facts, &national, &all, Unit::Records, "en").unwrap();
    let psm = smuggling(&facts, &partner, &all, Unit::Records, "en").unwrap();
    for (p, n) in [
        (&psm.by_year, &nsm.by_year),
        (&psm.routes, &nsm.routes),
        (&psm.by_transport, &nsm.by_transport),
        (&psm.migrants_by_sex, &nsm.migrants_by_sex),
        (&psm.migrants_by_age_band, &nsm.migrants_by_age_band),
    ] {
        published_subset(p, n, engine);
    }
    for (p, n) in [
        (psm.incidents, nsm.incidents),
        (psm.migrants, nsm.migrants),
        (psm.migrants_reported, nsm.migrants_reported),
    ] {
        assert!(p.is_none() || p == n, "{engine}: a partner's headline");
    }
    let pfu = funnel(&facts, &partner, &all, "en").unwrap();
    published_subset(&pfu.stages, &fu.stages, engine);
    published_subset(&pfu.verdicts, &fu.verdicts, engine);
    published_subset(&pfu.by_year, &fu.by_year, engine);
}

#[tokio::test]
async fn every_dashboard_table_adds_up_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    check(store, "sqlite").await;
}

#[tokio::test]
async fn every_dashboard_table_adds_up_on_postgres() {
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "i_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    let store = Store::open_pg_schema(&url, &schema)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL is required at {url}: {e}"));
    check(store, "postgres").await;
}
