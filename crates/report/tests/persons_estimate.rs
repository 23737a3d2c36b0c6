//! The quality chapter's persons and hidden victims, over a stored demo: the number of distinct
//! persons it prints equals the count made here from linkage's record → person map (records
//! picked from the demo's generated rows, not through the analysis code), and the estimate
//! sentence carries the figures `tessera_estimate` gives when called directly on the same overlap
//! table. Without linkage the chapter says so; under a high threshold the persons count is
//! hidden and no estimate is given. SQLite (the figures do not depend on the engine: the report
//! test `demo.rs` runs both).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tessera_analysis::dashboard::Filters;
use tessera_analysis::{Disclosure, Facts};
use tessera_dictionary::Dictionary;
use tessera_estimate::{MAX_ESTIMATED_LISTS, Method};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_report::Config;
use tessera_report::content::VICTIM_CONDITION;
use tessera_store::{Access, Store};

const SEED: u64 = 17;
const RECORDS: usize = 2000;
const YEAR: i32 = 2024;

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
    KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).unwrap())
}

/// A whole number as the report writes it.
fn number(lang: &str, v: f64) -> String {
    let s = format!("{}", v.round() as i64);
    let sep = if lang == "fr" { "\u{202f}" } else { "," };
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push_str(sep);
        }
        out.push(c);
    }
    out
}

/// (provider, reference) of the approved victims identified in `year`, not assessed as "not a
/// victim", from the generated rows themselves.
fn victims_of_year(year: i32) -> HashSet<(String, String)> {
    let chunk = tessera_demo::generate_chunk(SEED, 0, RECORDS, &enc());
    let mut out = HashSet::new();
    for b in chunk.batches {
        if b.entity != "victim" || !tessera_demo::approved(b.provider, b.year) {
            continue;
        }
        for r in b.records {
            let date = r.data.get("date_identified").and_then(Value::as_str);
            let status = r.data.get("identification_status").and_then(Value::as_str);
            if date.is_some_and(|d| d.starts_with(&year.to_string()))
                && status != Some("NOT_VICTIM")
            {
                out.insert((b.provider.to_string(), r.provider_ref.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_quality_chapter_counts_persons_and_estimates_hidden_victims() {
    let d = dict();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    tessera_demo::run(
        &store,
        &d,
        Arc::new(enc()),
        RECORDS,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    let persons = tessera_analysis::link_persons(&store).await.unwrap();

    // Distinct persons behind the year's victim records, from the map itself.
    let wanted = victims_of_year(YEAR);
    let mut ids: HashMap<(String, String), i64> = HashMap::new();
    let mut after = 0;
    loop {
        let page = store
            .records(&Access::National, "victim", after, 1000)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.id;
        for r in page {
            ids.insert((r.provider_id.clone(), r.provider_ref.clone()), r.id);
        }
    }
    let records = wanted.len();
    let distinct: HashSet<u64> = wanted.iter().map(|k| persons.person(ids[k])).collect();
    assert!(records >= 20, "{records}");
    assert!(
        distinct.len() < records,
        "the demo reports some victims twice: {} persons, {records} records",
        distinct.len()
    );

    // The estimate, straight from tessera_estimate on the same overlap table.
    let facts = Facts::build(&store, &d).await.unwrap();
    let filters = Filters {
        year_from: Some(YEAR),
        year_to: Some(YEAR),
        expr: Some(VICTIM_CONDITION.into()),
        ..Filters::default()
    };
    let table =
        tessera_analysis::overlap_table(&facts, "victim", &filters, &persons, "provider_type")
            .unwrap();
    assert_eq!(table.observed(), distinct.len() as f64);
    let folded = table.fold(MAX_ESTIMATED_LISTS);
    let direct = tessera_estimate::estimate(&folded, &Method::Stepwise, 0.95)
        .or_else(|_| tessera_estimate::estimate(&folded, &Method::MinBic, 0.95))
        .expect("the demo's lists give an estimate");

    let config = Config::default_layout();
    for lang in ["en", "fr"] {
        let report = tessera_report::from_store(&store, &d, YEAR, lang, &config)
            .await
            .unwrap();
        let s = &report.sentence("quality_persons").unwrap().text;
        let want = match lang {
            "fr" => format!(
                "les {} enregistrements de victimes approuvés de {YEAR} correspondent à {} personnes distinctes",
                number(lang, records as f64),
                number(lang, distinct.len() as f64)
            ),
            _ => format!(
                "the {} approved victim records of {YEAR} correspond to {} distinct persons",
                number(lang, records as f64),
                number(lang, distinct.len() as f64)
            ),
        };
        assert!(s.contains(&want), "{lang}: {s:?} lacks {want:?}");
        // The model's own count and range follow (issue 15, item 8), from the same map.
        let range = tessera_analysis::persons_range(
            &facts,
            &persons,
            "victim",
            &tessera_analysis::Scope::Internal(Access::National),
            &filters,
        )
        .unwrap()
        .expect("the map keeps the linkage model");
        let range_text = match lang {
            "fr" => format!(
                "le modèle de couplage en attend {} (intervalle à 95 % : {} à {})",
                number(lang, range.expected),
                number(lang, range.low),
                number(lang, range.high)
            ),
            _ => format!(
                "the linkage model expects {} persons (95% range {} to {})",
                number(lang, range.expected),
                number(lang, range.low),
                number(lang, range.high)
            ),
        };
        assert!(
            s.contains(&range_text),
            "{lang}: {s:?} lacks {range_text:?}"
        );
        assert!(range.low <= range.expected && range.expected <= range.high);
        // The smuggling chapter: the year's smuggled migrants (persons) also recorded as
        // victims, from victims and migrants linked together (issue 15, item 7).
        let across = tessera_analysis::link_across(&store).await.unwrap();
        let overlap = tessera_analysis::tip_som_overlap(
            &facts,
            &persons.clone().with_across(across),
            &Filters {
                expr: Some(VICTIM_CONDITION.into()),
                ..Filters::default()
            },
        )
        .unwrap()
        .unwrap();
        let of_year = overlap.iter().find(|o| o.year == YEAR).unwrap();
        let published = tessera_analysis::deployment_disclosure(&store)
            .await
            .unwrap();
        let shown = |v: usize| {
            published.count(v as f64).map_or_else(
                || match lang {
                    "fr" => format!("moins de {}", number(lang, published.threshold)),
                    _ => format!("fewer than {}", number(lang, published.threshold)),
                },
                |x| number(lang, x),
            )
        };
        let want = match lang {
            "fr" => format!(
                "{} des {} migrants objets de trafic illicite (personnes) enregistrés en {YEAR} ont aussi été enregistrés comme victimes",
                shown(of_year.also_victims),
                shown(of_year.migrants)
            ),
            _ => format!(
                "{} of the {} smuggled migrants (persons) recorded in {YEAR} were also recorded as victims",
                shown(of_year.also_victims),
                shown(of_year.migrants)
            ),
        };
        let s = &report.sentence("tip_som_linkage").unwrap().text;
        assert!(s.contains(&want), "{lang}: {s:?} lacks {want:?}");

        let e = &report.sentence("quality_hidden_victims").unwrap().text;
        for v in [direct.estimate, direct.ci_low, direct.ci_high] {
            assert!(e.contains(&number(lang, v)), "{lang}: {e:?} lacks {v}");
        }
        let model = match lang {
            "fr" => direct.model.replace("main effects", "effets principaux"),
            _ => direct.model.clone(),
        };
        assert!(e.contains(&model), "{lang}: {e:?}");
        assert!(e.contains(&number(lang, direct.observed)), "{lang}: {e:?}");
        for c in &direct.caveats {
            assert!(e.contains(&c.text(lang)), "{lang}: {e:?} lacks a caveat");
        }
        let (interval, lists) = match lang {
            "fr" => ("intervalle à 95 %", "listes de fournisseurs par type"),
            _ => ("95% interval", "lists of providers by type"),
        };
        assert!(e.contains(interval) && e.contains(lists), "{lang}: {e:?}");
        let html = tessera_report::html::render(&report, &config).unwrap();
        assert!(
            html.contains(&number(lang, direct.estimate)),
            "{lang}: in the HTML"
        );

        // Without linkage, the chapter says it was not run; under a threshold above the count,
        // the persons are hidden and nothing is estimated from them.
        let nap = None;
        let without = tessera_report::build(
            &facts,
            &d,
            YEAR,
            lang,
            Disclosure::default(),
            nap,
            None,
            &config,
        )
        .unwrap();
        let s = &without.sentence("quality_persons").unwrap().text;
        let not_run = match lang {
            "fr" => "couplage des enregistrements n'a pas été effectué",
            _ => "Record linkage was not run",
        };
        assert!(s.contains(not_run), "{lang}: {s:?}");
        assert!(without.sentence("quality_hidden_victims").is_none());
        let high = tessera_report::build(
            &facts,
            &d,
            YEAR,
            lang,
            Disclosure::new(1000.0),
            nap,
            Some(&persons),
            &config,
        )
        .unwrap();
        let s = &high.sentence("quality_persons").unwrap().text;
        let fewer = match lang {
            "fr" => format!("moins de {}", number(lang, 1000.0)),
            _ => format!("fewer than {}", number(lang, 1000.0)),
        };
        assert!(s.contains(&fewer), "{lang}: {s:?}");
        assert!(
            !s.contains(&number(lang, distinct.len() as f64)),
            "{lang}: {s:?}"
        );
        assert!(high.sentence("quality_hidden_victims").is_none());
    }
}
