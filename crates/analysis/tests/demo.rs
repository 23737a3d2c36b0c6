//! Dashboard, data-quality and NAP numbers over a stored demo, checked against counts computed
//! here independently: from the demo's generated rows (regenerated from the same seed, read as
//! plain JSON) and its ground-truth file — never through the analysis code path. Runs on SQLite
//! and PostgreSQL (the facts are read through the store).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::nap::{NapPlan, Status};
use tessera_analysis::{Facts, PersonMap, Unit, is_protected, svg};
use tessera_dictionary::{Dictionary, ProviderId};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{Access, Store};

const SEED: u64 = 11;
const RECORDS: usize = 3000;

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

fn enc() -> KeyedEncoder {
    KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap())
}

/// One generated record as the demo wrote it, with whether its submission ends up approved.
struct Row {
    provider: &'static str,
    entity: &'static str,
    provider_ref: String,
    approved: bool,
    data: serde_json::Map<String, Value>,
}

fn ground_rows() -> Vec<Row> {
    let chunk = tessera_demo::generate_chunk(SEED, 0, RECORDS, &enc());
    let mut out = Vec::new();
    for b in chunk.batches {
        for r in b.records {
            out.push(Row {
                provider: b.provider,
                entity: b.entity,
                provider_ref: r.provider_ref.clone(),
                approved: tessera_demo::approved(b.provider, b.year),
                data: r.data,
            });
        }
    }
    out
}

fn ptype(provider: &str) -> &'static str {
    tessera_demo::PROVIDERS
        .iter()
        .find(|p| p.0 == provider)
        .unwrap()
        .2
}

fn s<'a>(r: &'a Row, k: &str) -> Option<&'a str> {
    r.data.get(k).and_then(Value::as_str)
}

fn codes<'a>(r: &'a Row, k: &str) -> Vec<&'a str> {
    r.data
        .get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn days(d: &str) -> i64 {
    let date =
        time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).unwrap();
    date.to_julian_day() as i64
}

async fn stored_demo(store: &Store, d: &Dictionary) -> String {
    let mut truth = Vec::new();
    tessera_demo::run(store, d, Arc::new(enc()), RECORDS, SEED, &mut truth, |_| {})
        .await
        .unwrap();
    String::from_utf8(truth).unwrap()
}

/// Record id → true person, from the ground-truth file and the stored references.
async fn person_map(store: &Store, truth: &str) -> PersonMap {
    let mut person: HashMap<(String, String), u64> = HashMap::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        person.insert((f[0].to_string(), f[2].to_string()), f[3].parse().unwrap());
    }
    let mut pairs = Vec::new();
    for entity in ["victim", "suspect", "smuggled_migrant"] {
        let mut after = 0;
        loop {
            let page = store
                .records(&Access::National, entity, after, 1000)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            for r in &page {
                if let Some(p) = person.get(&(r.provider_id.clone(), r.provider_ref.clone())) {
                    pairs.push((r.id, *p));
                }
            }
        }
    }
    PersonMap::from_pairs(pairs)
}

async fn check(store: Store, engine: &str) {
    let d = dict();
    let truth = stored_demo(&store, &d).await;
    let facts = Facts::build(&store, &d).await.unwrap();
    assert!(facts.is_current(&store).await.unwrap());
    let rows = ground_rows();
    let victims: Vec<&Row> = rows
        .iter()
        .filter(|r| r.entity == "victim" && r.approved)
        .collect();
    assert!(victims.len() > 1000, "{engine}: {}", victims.len());
    let national = Scope::Internal(Access::National);
    let all = Filters::default();

    // Victims: totals and every breakdown.
    let v = tessera_analysis::victims(&facts, &national, &all, Unit::Records, "en").unwrap();
    assert_eq!(v.total, Some(victims.len() as f64), "{engine}");
    let count = |f: &dyn Fn(&Row) -> bool| victims.iter().filter(|r| f(r)).count() as f64;
    for sex in ["F", "M", "UNK"] {
        assert_eq!(
            v.by_sex.get(&[sex]),
            Some(count(&|r| s(r, "sex") == Some(sex))),
            "{engine} sex {sex}"
        );
    }
    for year in 2021..=2025 {
        let y = year.to_string();
        assert_eq!(
            v.by_year.get(&[&y]).unwrap_or(0.0),
            count(&|r| s(r, "date_identified").unwrap()[..4] == y),
            "{engine} year {y}"
        );
    }
    for form in ["SEX", "LAB", "DOM", "MIL_ARMED", "BEG", "MAR"] {
        assert_eq!(
            v.by_exploitation.get(&[form]).unwrap_or(0.0),
            count(&|r| codes(r, "exploitation").contains(&form)),
            "{engine} exploitation {form}"
        );
    }
    assert_eq!(
        v.children.get(&["CHILD"]),
        Some(count(&|r| matches!(
            s(r, "age_band"),
            Some("0-11" | "12-17" | "CHILD")
        ))),
        "{engine}"
    );
    assert_eq!(
        v.cross_border.get(&["true"]),
        Some(count(
            &|r| r.data.get("cross_border") == Some(&Value::Bool(true))
        )),
        "{engine}"
    );
    assert_eq!(
        v.cross_border.get(&[""]),
        Some(count(&|r| !r.data.contains_key("cross_border"))),
        "{engine}: not recorded is its own row"
    );
    for vuln in ["IDP", "SOGIESC", "MINORITY", "UNACCOMPANIED"] {
        assert_eq!(
            v.vulnerable_groups.get(&[vuln]).unwrap_or(0.0),
            count(&|r| codes(r, "vulnerabilities").contains(&vuln)),
            "{engine} {vuln}"
        );
    }
    for region in ["CF-BGF", "CF-KG", "CF-OP"] {
        assert_eq!(
            v.by_region.get(&[region]).unwrap_or(0.0),
            count(&|r| s(r, "region_identified") == Some(region)),
            "{engine} {region}"
        );
    }
    for pt in ["POLICE", "NGO", "SOCIAL", "INTL"] {
        assert_eq!(
            v.by_provider_type.get(&[pt]).unwrap_or(0.0),
            count(&|r| ptype(r.provider) == pt),
            "{engine} {pt}"
        );
    }
    assert_eq!(
        v.by_citizenship.get(&["CF"]).unwrap_or(0.0),
        count(&|r| codes(r, "citizenship").contains(&"CF")),
        "{engine}"
    );
    // Filters.
    let filtered = Filters {
        year_from: Some(2023),
        year_to: Some(2023),
        sex: vec!["F".into()],
        provider_types: vec!["NGO".into(), "SOCIAL".into()],
        ..Filters::default()
    };
    let fv = tessera_analysis::victims(&facts, &national, &filtered, Unit::Records, "fr").unwrap();
    assert_eq!(
        fv.total,
        Some(count(&|r| s(r, "date_identified")
            .unwrap()
            .starts_with("2023")
            && s(r, "sex") == Some("F")
            && matches!(ptype(r.provider), "NGO" | "SOCIAL"))),
        "{engine}"
    );
    assert!(fv.by_sex.title.contains("Victimes"));

    // Flows: origin → country of exploitation.
    let fl =
        tessera_analysis::flows(&facts, "victim", &national, &all, Unit::Records, "en").unwrap();
    assert_eq!(
        fl.origin_destination.get(&["CF", "CM"]).unwrap_or(0.0),
        count(&|r| s(r, "country_of_origin") == Some("CF")
            && s(r, "country_of_exploitation") == Some("CM")),
        "{engine}"
    );
    let flow_total: f64 = fl
        .links
        .iter()
        .filter(|l| l.stage == 0)
        .map(|l| l.value)
        .sum();
    assert_eq!(
        flow_total,
        victims.len() as f64,
        "{engine}: every victim in one band"
    );

    // Criminal-justice funnel.
    let cases: Vec<&Row> = rows
        .iter()
        .filter(|r| r.entity == "cj_case" && r.approved)
        .collect();
    let fu = tessera_analysis::funnel(&facts, &national, &all, "en").unwrap();
    let tip = |r: &&&Row| s(r, "offence").unwrap().starts_with("0204");
    assert_eq!(
        fu.stages.get(&["ALL", "INVESTIGATED"]),
        Some(cases.len() as f64)
    );
    assert_eq!(
        fu.stages.get(&["TIP", "PROSECUTED"]),
        Some(
            cases
                .iter()
                .filter(tip)
                .filter(|r| r.data.contains_key("prosecution_date")
                    || matches!(s(r, "stage"), Some("PROSECUTION" | "JUDGMENT" | "APPEAL")))
                .count() as f64
        ),
        "{engine}"
    );
    assert_eq!(
        fu.stages.get(&["TIP", "CONVICTED"]),
        Some(
            cases
                .iter()
                .filter(tip)
                .filter(|r| s(r, "verdict") == Some("CONVICTED"))
                .count() as f64
        ),
        "{engine}"
    );
    let mut spans: Vec<i64> = cases
        .iter()
        .filter_map(|r| Some(days(s(r, "judgment_date")?) - days(s(r, "investigation_date")?)))
        .collect();
    spans.sort();
    let n = spans.len();
    let median = if n % 2 == 1 {
        spans[n / 2] as f64
    } else {
        (spans[n / 2 - 1] + spans[n / 2]) as f64 / 2.0
    };
    let durations = fu
        .durations
        .rows
        .iter()
        .find(|r| r.keys[0].code == "ALL" && r.keys[1].code == "investigation_date:judgment_date")
        .unwrap();
    assert_eq!(durations.values[0], Some(median), "{engine}");

    // Smuggling.
    let inc: Vec<&Row> = rows
        .iter()
        .filter(|r| r.entity == "smuggling_incident" && r.approved)
        .collect();
    let sm = tessera_analysis::smuggling(&facts, &national, &all, Unit::Records, "en").unwrap();
    let sum = |k: &str| {
        inc.iter()
            .filter_map(|r| r.data.get(k)?.as_i64())
            .sum::<i64>() as f64
    };
    assert_eq!(sm.incidents, Some(inc.len() as f64), "{engine}");
    assert_eq!(
        sm.migrants_reported,
        Some(sum("migrants_count")),
        "{engine}"
    );
    assert_eq!(
        sm.migrants,
        Some(
            rows.iter()
                .filter(|r| r.entity == "smuggled_migrant" && r.approved)
                .count() as f64
        ),
        "{engine}: the migrants' headline counts smuggled-migrant records"
    );
    assert_eq!(sm.deaths, Some(sum("deaths")), "{engine}");
    assert_eq!(sm.injuries, Some(sum("injuries")), "{engine}");
    assert_eq!(
        sm.routes
            .rows
            .iter()
            .map(|r| r.values[1].unwrap())
            .sum::<f64>(),
        sum("migrants_count")
    );

    // Access: a provider sees its own records only, in counts and in drill-down.
    let own = Access::Provider(ProviderId::parse("ong-espoir-kaga").unwrap());
    let pv = tessera_analysis::victims(
        &facts,
        &Scope::Internal(own.clone()),
        &all,
        Unit::Records,
        "en",
    )
    .unwrap();
    assert_eq!(
        pv.total,
        Some(count(&|r| r.provider == "ong-espoir-kaga")),
        "{engine}"
    );
    let ids =
        tessera_analysis::drill(&facts, "victim", &own, &all.cell("sex", "F"), 100_000).unwrap();
    assert_eq!(
        ids.len() as f64,
        count(&|r| r.provider == "ong-espoir-kaga" && s(r, "sex") == Some("F"))
    );
    for id in ids.iter().take(50) {
        let rec = store.record(&own, *id).await.unwrap().expect("own record");
        assert_eq!(rec.provider_id, "ong-espoir-kaga");
    }

    // Partners: protected tables, published cells are the true ones.
    let pt =
        tessera_analysis::victims(&facts, &Scope::partner(), &all, Unit::Records, "en").unwrap();
    for (t, full) in [
        (&pt.by_region, &v.by_region),
        (&pt.by_year_sex, &v.by_year_sex),
        (&pt.vulnerable_groups, &v.vulnerable_groups),
    ] {
        assert!(t.suppressed && is_protected(t, 5.0), "{engine} {}", t.id);
        for a in &t.rows {
            let codes: Vec<&str> = a.keys.iter().map(|k| k.code.as_str()).collect();
            assert!(a.values[0].is_some(), "no row is published without a value");
            assert_eq!(a.values[0], full.get(&codes), "{engine} {}", t.id);
        }
    }
    attacker_learns_nothing(&facts, &d, engine);

    // Unique persons through the ground truth as the person map.
    let persons = person_map(&store, &truth).await;
    let mut truth_person: HashMap<(&str, &str), u64> = HashMap::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        truth_person.insert((f[0], f[2]), f[3].parse().unwrap());
    }
    let unique: HashSet<u64> = victims
        .iter()
        .map(|r| truth_person[&(r.provider, r.provider_ref.as_str())])
        .collect();
    let up =
        tessera_analysis::victims(&facts, &national, &all, Unit::Persons(&persons), "en").unwrap();
    assert_eq!(up.total, Some(unique.len() as f64), "{engine}");
    assert!(up.total < v.total);
    // Each person counts under one sex (their earliest record's that records one): at least
    // the persons every record of whom says F, at most those any record of whom does, and the
    // sexes add up to the persons.
    let person_of = |r: &Row| truth_person[&(r.provider, r.provider_ref.as_str())];
    let any_f: HashSet<u64> = victims
        .iter()
        .filter(|r| s(r, "sex") == Some("F"))
        .map(|r| person_of(r))
        .collect();
    let other_sex: HashSet<u64> = victims
        .iter()
        .filter(|r| s(r, "sex").is_some_and(|x| x != "F"))
        .map(|r| person_of(r))
        .collect();
    let only_f = any_f.difference(&other_sex).count() as f64;
    let f = up.by_sex.get(&["F"]).unwrap();
    assert!(
        only_f <= f && f <= any_f.len() as f64,
        "{engine}: {only_f} <= {f} <= {}",
        any_f.len()
    );
    assert_eq!(Some(up.by_sex.total()), up.total, "{engine}");

    // Data quality: completeness, validity, linked share, timeliness.
    let timeliness = store.timeliness().await.unwrap();
    let q = tessera_analysis::quality(&facts, &Access::National, &timeliness, Some(&persons), "en")
        .unwrap();
    let police: Vec<&Row> = rows
        .iter()
        .filter(|r| r.entity == "victim" && r.provider == "police-ocrb-bangui")
        .collect();
    let with_region = police
        .iter()
        .filter(|r| r.data.contains_key("region_of_exploitation"))
        .count();
    let cell = q
        .variables
        .rows
        .iter()
        .find(|r| {
            r.keys[0].code == "police-ocrb-bangui"
                && r.keys[1].code == "victim.region_of_exploitation"
        })
        .unwrap();
    let expect = (1000.0 * with_region as f64 / police.len() as f64).round() / 10.0;
    assert_eq!(cell.values[0], Some(expect), "{engine}");
    assert_eq!(cell.values[1], Some(100.0), "{engine}: demo data is valid");
    // Linked share of one provider-year: person records whose person another provider reported.
    let mut providers_of: HashMap<u64, HashSet<&str>> = HashMap::new();
    for r in rows
        .iter()
        .filter(|r| matches!(r.entity, "victim" | "suspect" | "smuggled_migrant"))
    {
        providers_of
            .entry(truth_person[&(r.provider, r.provider_ref.as_str())])
            .or_default()
            .insert(r.provider);
    }
    let mine: Vec<&Row> = rows
        .iter()
        .filter(|r| {
            r.provider == "ong-espoir-kaga"
                && r.entity == "victim"
                && s(r, "date_identified").unwrap().starts_with("2022")
        })
        .collect();
    let linked = mine
        .iter()
        .filter(|r| providers_of[&truth_person[&(r.provider, r.provider_ref.as_str())]].len() > 1)
        .count();
    let pq = q
        .providers
        .iter()
        .find(|p| p.provider_id == "ong-espoir-kaga" && p.period == "2022")
        .unwrap();
    assert_eq!(
        pq.linked_share,
        Some((1000.0 * linked as f64 / mine.len() as f64).round() / 10.0),
        "{engine}"
    );
    assert_eq!(pq.status.as_deref(), Some("approved"));
    assert!(pq.days_late.is_some());
    // A focal point sees only their provider's quality.
    let fq = tessera_analysis::quality(&facts, &own, &timeliness, None, "en").unwrap();
    assert!(
        fq.providers
            .iter()
            .all(|p| p.provider_id == "ong-espoir-kaga")
    );
    assert!(!fq.providers.is_empty());

    // National Action Plan.
    let plan_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/nap/cf-demo.toml"),
    )
    .unwrap();
    let plan = NapPlan::from_toml(&plan_text, &d).unwrap();
    let nap = tessera_analysis::nap_progress(&facts, &plan, &Access::National, &timeliness, "en")
        .unwrap();
    assert_eq!(nap.pillars.len(), 4);
    let ind = |id: &str| {
        nap.pillars
            .iter()
            .flat_map(|p| &p.indicators)
            .find(|i| i.id == id)
            .unwrap()
    };
    let in2022: Vec<&&Row> = victims
        .iter()
        .filter(|r| s(r, "date_identified").unwrap().starts_with("2022"))
        .collect();
    let referred = in2022
        .iter()
        .filter(|r| r.data.get("referred_to_assistance") == Some(&Value::Bool(true)))
        .count();
    let prot1 = ind("PROT-1");
    let y2022 = prot1.years.iter().find(|y| y.year == 2022).unwrap();
    let expect = (1000.0 * referred as f64 / in2022.len() as f64).round() / 10.0;
    assert_eq!(y2022.value, Some(expect), "{engine}");
    assert_eq!(y2022.target, Some(75.0));
    assert_eq!(
        y2022.status,
        if expect >= 75.0 {
            Status::Achieved
        } else if y2022.progress.unwrap() >= 75.0 {
            Status::OnTrack
        } else {
            Status::OffTrack
        }
    );
    // Assisted within 30 days: assistance at the same provider for the victim's reference.
    let mut first_start: HashMap<(&str, &str), i64> = HashMap::new();
    for a in rows.iter().filter(|r| r.entity == "assistance") {
        let k = (a.provider, s(a, "person_ref").unwrap());
        let st = days(s(a, "start_date").unwrap());
        first_start
            .entry(k)
            .and_modify(|x| *x = (*x).min(st))
            .or_insert(st);
    }
    let ref2022: Vec<&&&Row> = in2022
        .iter()
        .filter(|r| r.data.get("referred_to_assistance") == Some(&Value::Bool(true)))
        .collect();
    let within = ref2022
        .iter()
        .filter(|r| {
            first_start
                .get(&(r.provider, r.provider_ref.as_str()))
                .is_some_and(|st| st - days(s(r, "date_identified").unwrap()) <= 30)
        })
        .count();
    let prot2 = ind("PROT-2");
    assert_eq!(
        prot2.years.iter().find(|y| y.year == 2022).unwrap().value,
        Some((1000.0 * within as f64 / ref2022.len() as f64).round() / 10.0),
        "{engine}"
    );
    let part2 = ind("PART-2");
    assert_eq!(
        part2.years.iter().find(|y| y.year == 2025).unwrap().value,
        Some(4.0)
    );
    assert_eq!(
        part2.years.iter().find(|y| y.year == 2024).unwrap().value,
        Some(13.0)
    );

    // Charts from the real tables: well-formed and light.
    let charts = [
        svg::bar(&v.by_region, "en"),
        svg::stacked_bar(&v.by_year_sex, "en"),
        svg::line(&v.by_year_sex, "en"),
        svg::funnel(&fu.stages, "en"),
        svg::flow("Flows", &fl.links, &fl.routes, 8, "en"),
        svg::bar(&pt.by_region, "en"),
    ];
    for c in &charts {
        assert!(
            c.svg.len() < 12_000,
            "{} is {} bytes",
            c.table.id,
            c.svg.len()
        );
        assert!(!c.csv().is_empty());
    }

    // Nothing changed: the facts stay current; an approval makes them stale.
    assert!(facts.is_current(&store).await.unwrap());
    let cache = tessera_analysis::FactsCache::new();
    let first = cache.get(&store, &d).await.unwrap();
    assert!(
        Arc::ptr_eq(&first, &cache.get(&store, &d).await.unwrap()),
        "reused while current"
    );
    let late = store
        .submissions(Some(&ProviderId::parse("gendarmerie-bambari").unwrap()))
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.status == tessera_store::SubmissionStatus::Submitted)
        .unwrap();
    store
        .set_submission_status(
            late.id,
            tessera_store::SubmissionStatus::Approved,
            "t",
            None,
        )
        .await
        .unwrap();
    assert!(!facts.is_current(&store).await.unwrap());
    // Two requests at once after the change: one rebuild; the other gets the new facts or, while
    // the rebuild runs, the previous ones — never a second build.
    let (a, b) = tokio::join!(cache.get(&store, &d), cache.get(&store, &d));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(
        Arc::ptr_eq(&a, &b) || Arc::ptr_eq(&a, &first) || Arc::ptr_eq(&b, &first),
        "at most one new build"
    );
    let second = cache.get(&store, &d).await.unwrap();
    assert!(!Arc::ptr_eq(&first, &second), "rebuilt after an approval");
    assert!(Arc::ptr_eq(&second, &a) || Arc::ptr_eq(&second, &b));
    let v2 = tessera_analysis::victims(&second, &national, &all, Unit::Records, "en").unwrap();
    assert!(v2.total > v.total, "the newly approved records count");
}

/// The security review's partner, played in full on the demo: every table a partner can obtain,
/// and every way the review narrowed, differenced or read row keys. It must learn no attribute
/// of any single record: no published count under the threshold, no category whose count was
/// hidden, no table differing from another by a few records, no median of a few cases.
fn attacker_learns_nothing(facts: &Facts, d: &Dictionary, engine: &str) {
    use tessera_analysis::{AnalysisError, flows, funnel, record_counts, smuggling, victims};
    let partner = Scope::partner();
    let threshold = tessera_analysis::DEFAULT_THRESHOLD;
    let all = Filters::default();

    // 1. Narrowing to one record (the review's provider + date condition), and differencing
    //    `true` against `not (…)`: a partner's filter is refused, whatever it is.
    let narrow = Filters {
        expr: Some("provider = \"minusca-ddh\" and date_identified = \"2021-01-11\"".into()),
        ..Filters::default()
    };
    let not_narrow = Filters {
        expr: Some("not (provider = \"minusca-ddh\" and date_identified = \"2021-01-11\")".into()),
        ..Filters::default()
    };
    let by_year = Filters {
        year_from: Some(2021),
        year_to: Some(2021),
        ..Filters::default()
    };
    let ages: Vec<Filters> = (1..8)
        .map(|n| Filters {
            expr: Some(format!("age <= {n}")),
            ..Filters::default()
        })
        .collect();
    for f in [&narrow, &not_narrow, &by_year].into_iter().chain(&ages) {
        assert!(
            matches!(
                victims(facts, &partner, f, Unit::Records, "en"),
                Err(AnalysisError::NotAllowed(_))
            ),
            "{engine}: a partner's filter {f:?} is refused"
        );
        assert!(matches!(
            funnel(facts, &partner, f, "en"),
            Err(AnalysisError::NotAllowed(_))
        ));
        assert!(matches!(
            smuggling(facts, &partner, f, Unit::Records, "en"),
            Err(AnalysisError::NotAllowed(_))
        ));
        assert!(matches!(
            flows(facts, "victim", &partner, f, Unit::Records, "en"),
            Err(AnalysisError::NotAllowed(_))
        ));
    }

    // 2. Every published table: no small count, no row key kept for a hidden cell, margins
    //    protected.
    let v = victims(facts, &partner, &all, Unit::Records, "en").unwrap();
    let fl = flows(facts, "victim", &partner, &all, Unit::Records, "en").unwrap();
    let sm = smuggling(facts, &partner, &all, Unit::Records, "en").unwrap();
    let fu = funnel(facts, &partner, &all, "en").unwrap();
    let mut tables = vec![
        &v.by_year,
        &v.by_year_sex,
        &v.by_sex,
        &v.by_age_band,
        &v.children,
        &v.by_exploitation,
        &v.by_citizenship,
        &v.by_region,
        &v.by_provider_type,
        &v.vulnerable_groups,
        &v.cross_border,
        &v.by_identification_status,
        &fl.origin_destination,
        &fl.routes,
        &sm.by_year,
        &sm.routes,
        &sm.by_transport,
        &sm.migrants_by_sex,
        &sm.migrants_by_age_band,
        &fu.verdicts,
        &fu.by_year,
    ];
    tables.retain(|t| !t.rows.is_empty());
    assert!(tables.len() > 10, "{engine}: the demo publishes tables");
    for t in &tables {
        assert!(t.suppressed, "{engine} {}", t.id);
        for r in &t.rows {
            assert!(
                r.values.iter().any(Option::is_some),
                "{engine} {}: a row whose every cell is hidden still names its category {:?}",
                t.id,
                r.keys
            );
            for x in r.values.iter().flatten() {
                assert!(
                    *x == 0.0 || *x >= threshold,
                    "{engine} {}: published count {x}",
                    t.id
                );
            }
        }
        // Tables of several measures hold cells with no data at all (a sum over incidents
        // that recorded none), which the check would count as hidden: their published counts
        // are checked above, and `suppress` protects each measure on its own.
        if t.value_headers.len() == 1 {
            assert!(is_protected(t, threshold), "{engine} {}", t.id);
        }
    }

    // 3. Court-case durations: a median is published only over enough cases.
    let nat =
        tessera_analysis::funnel(facts, &Scope::Internal(Access::National), &all, "en").unwrap();
    assert!(fu.durations.suppressed, "{engine}");
    for r in &fu.durations.rows {
        assert!(r.values[0].is_some(), "{engine}: hidden rows are removed");
    }
    assert!(
        fu.durations.rows.len() <= nat.durations.rows.len(),
        "{engine}"
    );

    // 4. The counts behind the API's statistics: approved only, totals only for partners.
    let counts = record_counts(facts, &partner, &["victim", "suspect"], "en").unwrap();
    for c in &counts {
        assert!(
            c.by_provider_type.is_none(),
            "{engine}: no per-type split for partners"
        );
        if let Some(n) = c.total {
            assert!(n >= threshold, "{engine}");
        }
    }
    let national =
        record_counts(facts, &Scope::Internal(Access::National), &["victim"], "en").unwrap();
    assert_eq!(
        national[0].total,
        victims(
            facts,
            &Scope::Internal(Access::National),
            &all,
            Unit::Records,
            "en"
        )
        .unwrap()
        .total,
        "{engine}: the statistics count what the dashboards count"
    );
    let _ = d;
}

#[tokio::test]
async fn dashboards_match_the_demo_ground_truth_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    check(store, "sqlite").await;
}

#[tokio::test]
async fn dashboards_match_the_demo_ground_truth_on_postgres() {
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "a_{}_{}",
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
