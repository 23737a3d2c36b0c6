//! The international returns over a stored demo, checked against counts computed here from the
//! demo's generated rows (regenerated from the same seed, read as plain JSON, mapped with the
//! dictionary's own tables) — never through the analysis code path — on SQLite and PostgreSQL.
//! Then disclosure control on every table, the footnote of an unmapped national code, and the
//! SDMX-CSV, DHIS2, CSV and XLSX files.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::Value;
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::{Facts, PersonMap, Unit, is_protected};
use tessera_dictionary::Dictionary;
use tessera_outputs::{Options, Return, UNMAPPED, dhis2, files, glotip, sdmx};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{Access, Store};

const SEED: u64 = 11;
const RECORDS: usize = 3000;
const THRESHOLD: f64 = tessera_analysis::DEFAULT_THRESHOLD;

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

fn year_of(r: &Row, k: &str) -> Option<i32> {
    s(r, k).map(|d| d[..4].parse().unwrap())
}

/// The dictionary's mapping of `code` of `list` in `scheme` (the spec, read as data).
fn map(d: &Dictionary, list: &str, code: &str, scheme: &str) -> String {
    d.codelist(list).unwrap().get(code).unwrap().map[scheme].clone()
}

/// A record's GLOTIP age group: from its age band, else from its exact age (under 18: child).
fn glotip_age(d: &Dictionary, r: &Row) -> String {
    match (s(r, "age_band"), r.data.get("age").and_then(Value::as_i64)) {
        (Some(b), _) => map(d, "age_band", b, "glotip"),
        (None, Some(a)) if a < 18 => "child".into(),
        (None, Some(_)) => "adult".into(),
        (None, None) => map(d, "age_band", "UNK", "glotip"),
    }
}

fn cell(ret: &Return, table: &str, codes: &[&str]) -> Option<f64> {
    ret.table(table).unwrap().table.get(codes)
}

fn total(ret: &Return, table: &str, status: &str) -> Option<f64> {
    ret.table(table)
        .unwrap()
        .totals
        .iter()
        .find(|(k, _)| k.code == status)
        .unwrap()
        .1
}

/// Sum of the cells of `table` whose key in position `pos` is `code`.
fn sum_where(ret: &Return, table: &str, pos: usize, code: &str) -> f64 {
    ret.table(table)
        .unwrap()
        .table
        .rows
        .iter()
        .filter(|r| r.keys[pos].code == code)
        .map(|r| r.values[0].unwrap())
        .sum()
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
    for entity in ["victim", "suspect"] {
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
    let rows = ground_rows();
    let tip = |r: &Row| map(&d, "offence", s(r, "offence").unwrap(), "protocol") == "TIP";
    let suspects: HashMap<(&str, &str), &Row> = rows
        .iter()
        .filter(|r| r.entity == "suspect")
        .map(|r| ((r.provider, r.provider_ref.as_str()), r))
        .collect();

    // 2024: every submission approved; 2025: only some, so approval matters.
    for year in [2024, 2025] {
        // Threshold 1 hides nothing: every cell can be compared.
        let raw = glotip(&facts, &d, &Options::new(&d, year, 1.0).unwrap(), None).unwrap();
        let ret = glotip(
            &facts,
            &d,
            &Options::new(&d, year, THRESHOLD).unwrap(),
            None,
        )
        .unwrap();
        let victims: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.entity == "victim"
                    && r.approved
                    && year_of(r, "date_identified") == Some(year)
                    && s(r, "identification_status") != Some("NOT_VICTIM")
            })
            .collect();
        assert!(victims.len() > 100, "{engine} {year}: {}", victims.len());
        let all_victims = rows
            .iter()
            .filter(|r| r.entity == "victim" && year_of(r, "date_identified") == Some(year))
            .count();
        if year == 2025 {
            assert!(victims.len() < all_victims, "{engine}: drafts are left out");
        }

        // Detected victims by sex and age group: every cell.
        let mut expected: HashMap<(String, String), f64> = HashMap::new();
        for r in &victims {
            let sex = map(&d, "sex", s(r, "sex").unwrap(), "glotip");
            *expected.entry((sex, glotip_age(&d, r))).or_default() += 1.0;
        }
        let t = raw.table("victims_sex_age").unwrap();
        assert_eq!(t.dims.len(), 2);
        let mut seen = 0;
        for row in &t.table.rows {
            let key = (row.keys[0].code.clone(), row.keys[1].code.clone());
            let want = expected.get(&key).copied().unwrap_or(0.0);
            seen += usize::from(want > 0.0);
            assert_eq!(row.values[0], Some(want), "{engine} {year} {key:?}");
        }
        assert_eq!(
            seen,
            expected.len(),
            "{engine} {year}: every cell is listed"
        );
        for sex in ["female", "male"] {
            for age in ["child", "adult"] {
                assert!(
                    t.table.get(&[sex, age]).is_some(),
                    "women, men, girls, boys"
                );
            }
        }
        assert_eq!(
            total(&raw, "victims_sex_age", "detected_victims"),
            Some(victims.len() as f64)
        );
        // The dashboard's national total for the year is the GLOTIP total.
        let dash = tessera_analysis::victims(
            &facts,
            &Scope::Internal(Access::National),
            &Filters {
                year_from: Some(year),
                year_to: Some(year),
                expr: Some("not identification_status = \"NOT_VICTIM\"".into()),
                ..Filters::default()
            },
            Unit::Records,
            "en",
        )
        .unwrap();
        assert_eq!(
            dash.total,
            total(&ret, "victims_sex_age", "detected_victims"),
            "{engine} {year}: dashboard and GLOTIP agree"
        );

        // Forms of exploitation: a victim once per GLOTIP form, whatever its national codes.
        let forms: HashSet<String> = d
            .codelist("exploitation_form")
            .unwrap()
            .codes
            .iter()
            .map(|c| c.map["glotip"].clone())
            .collect();
        for form in &forms {
            let want = victims
                .iter()
                .filter(|r| {
                    codes(r, "exploitation")
                        .iter()
                        .any(|c| map(&d, "exploitation_form", c, "glotip") == *form)
                })
                .count() as f64;
            assert_eq!(
                sum_where(&raw, "victims_exploitation", 0, form),
                want,
                "{engine} {year} {form}"
            );
        }
        assert!(
            raw.table("victims_exploitation")
                .unwrap()
                .table
                .rows
                .iter()
                .all(|r| r.keys[0].code != UNMAPPED),
            "every form is mapped in the real dictionary"
        );

        // Nationals and foreigners.
        let nationals = victims
            .iter()
            .filter(|r| codes(r, "citizenship").contains(&"CF"))
            .count() as f64;
        let unknown = victims
            .iter()
            .filter(|r| codes(r, "citizenship").is_empty())
            .count() as f64;
        assert_eq!(
            sum_where(&raw, "victims_national_foreign", 0, "national"),
            nationals
        );
        assert_eq!(
            sum_where(&raw, "victims_national_foreign", 0, "foreign"),
            victims.len() as f64 - nationals - unknown
        );
        // Citizenship in ISO alpha-3.
        let cameroon = victims
            .iter()
            .filter(|r| codes(r, "citizenship").contains(&"CM"))
            .count() as f64;
        assert_eq!(
            cell(&raw, "victims_citizenship", &["CMR"]).unwrap_or(0.0),
            cameroon
        );

        // Persons suspected, prosecuted, convicted.
        let suspected: Vec<&Row> = rows
            .iter()
            .filter(|r| {
                r.entity == "suspect"
                    && r.approved
                    && tip(r)
                    && year_of(r, "date_recorded") == Some(year)
            })
            .collect();
        assert_eq!(
            total(&raw, "justice_sex_age", "suspected"),
            Some(suspected.len() as f64),
            "{engine} {year}"
        );
        let cases: Vec<&Row> = rows
            .iter()
            .filter(|r| r.entity == "cj_case" && r.approved && tip(r))
            .collect();
        let prosecuted = cases
            .iter()
            .filter(|r| {
                (r.data.contains_key("prosecution_date")
                    || matches!(s(r, "stage"), Some("PROSECUTION" | "JUDGMENT" | "APPEAL")))
                    && year_of(r, "prosecution_date")
                        .or_else(|| year_of(r, "judgment_date"))
                        .or_else(|| year_of(r, "investigation_date"))
                        == Some(year)
            })
            .count() as f64;
        assert_eq!(
            total(&raw, "justice_sex_age", "prosecuted"),
            Some(prosecuted),
            "{engine} {year}"
        );
        let convicted: Vec<&&Row> = cases
            .iter()
            .filter(|r| {
                s(r, "verdict") == Some("CONVICTED") && year_of(r, "judgment_date") == Some(year)
            })
            .collect();
        assert!(year == 2025 || !convicted.is_empty(), "{engine} {year}");
        for sex in ["female", "male"] {
            let want = convicted
                .iter()
                .filter(|c| {
                    let sus = suspects[&(c.provider, s(c, "suspect_ref").unwrap())];
                    sus.approved && map(&d, "sex", s(sus, "sex").unwrap(), "glotip") == sex
                })
                .count() as f64;
            let got: f64 = raw
                .table("justice_sex_age")
                .unwrap()
                .table
                .rows
                .iter()
                .filter(|r| r.keys[0].code == "convicted" && r.keys[1].code == sex)
                .map(|r| r.values[0].unwrap())
                .sum();
            assert_eq!(got, want, "{engine} {year} convicted {sex}");
        }

        // Disclosure control on every table: published cells are the true ones, 0 or at least
        // the threshold, margins protected, totals too.
        for (t, r) in ret.tables.iter().zip(&raw.tables) {
            assert!(t.table.suppressed, "{engine} {}", t.id);
            assert!(
                is_protected(&t.table, THRESHOLD),
                "{engine} {year} {}",
                t.id
            );
            for a in &t.table.rows {
                let Some(v) = a.values[0] else { continue };
                assert!(v == 0.0 || v >= THRESHOLD, "{engine} {}: {v}", t.id);
                // Citizenships under the threshold are grouped only when it is above 1.
                if a.keys.iter().any(|k| k.code == tessera_outputs::OTHER) {
                    continue;
                }
                let codes: Vec<&str> = a.keys.iter().map(|k| k.code.as_str()).collect();
                assert_eq!(Some(v), r.table.get(&codes), "{engine} {} {codes:?}", t.id);
            }
            for ((_, v), (_, w)) in t.totals.iter().zip(&r.totals) {
                match v {
                    Some(v) => {
                        assert!(*v == 0.0 || *v >= THRESHOLD);
                        assert_eq!(Some(*v), *w);
                    }
                    None => assert!(w.is_some_and(|w| w > 0.0 && w < THRESHOLD)),
                }
            }
        }
        assert!(
            ret.tables
                .iter()
                .any(|t| t.table.rows.iter().any(|r| r.values[0].is_none())),
            "{engine} {year}: the demo has small cells to hide"
        );
        assert!(
            ret.metadata()
                .iter()
                .any(|(k, v)| *k == "protection" && v.contains("threshold 5")),
            "the return states its protection"
        );

        // Eurostat: the same victims, by identification status, and citizenship groups.
        let eu = tessera_outputs::eurostat(&facts, &d, &Options::new(&d, year, 1.0).unwrap(), None)
            .unwrap();
        assert_eq!(
            total(&eu, "crim_thb_vsage", "VICT"),
            Some(victims.len() as f64)
        );
        let presumed = victims
            .iter()
            .filter(|r| s(r, "identification_status") == Some("PRESUMED"))
            .count() as f64;
        assert_eq!(total(&eu, "crim_thb_sex", "PRESUM"), Some(presumed));
        assert_eq!(
            sum_where(&eu, "crim_thb_vctz", 0, "NAT"),
            nationals,
            "{engine} {year}"
        );
        assert_eq!(
            total(&eu, "crim_thb_sex", "CONV"),
            Some(convicted.len() as f64)
        );
        let protected_eu = tessera_outputs::eurostat(
            &facts,
            &d,
            &Options::new(&d, year, THRESHOLD).unwrap(),
            None,
        )
        .unwrap();
        for t in &protected_eu.tables {
            assert!(is_protected(&t.table, THRESHOLD), "{engine} {}", t.id);
        }
    }

    // Persons: records linked to one person count once.
    let persons = person_map(&store, &truth).await;
    let by_person = glotip(
        &facts,
        &d,
        &Options::new(&d, 2024, 1.0).unwrap(),
        Some(&persons),
    )
    .unwrap();
    let mut truth_person: HashMap<(&str, &str), u64> = HashMap::new();
    for line in truth.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        truth_person.insert((f[0], f[2]), f[3].parse().unwrap());
    }
    let unique: HashSet<u64> = rows
        .iter()
        .filter(|r| {
            r.entity == "victim"
                && r.approved
                && year_of(r, "date_identified") == Some(2024)
                && s(r, "identification_status") != Some("NOT_VICTIM")
        })
        .map(|r| truth_person[&(r.provider, r.provider_ref.as_str())])
        .collect();
    assert_eq!(by_person.unit, "persons");
    assert_eq!(
        total(&by_person, "victims_sex_age", "detected_victims"),
        Some(unique.len() as f64),
        "{engine}"
    );

    // A national code without a GLOTIP mapping: counted apart, with a footnote, never guessed.
    let mut unmapped = d.clone();
    let forms = unmapped.codelists.get_mut("exploitation_form").unwrap();
    forms
        .codes
        .iter_mut()
        .find(|c| c.code == "MIL_ARMED")
        .unwrap()
        .map
        .remove("glotip");
    let raw_u = glotip(
        &facts,
        &unmapped,
        &Options::new(&d, 2024, 1.0).unwrap(),
        None,
    )
    .unwrap();
    let armed = rows
        .iter()
        .filter(|r| {
            r.entity == "victim"
                && r.approved
                && year_of(r, "date_identified") == Some(2024)
                && codes(r, "exploitation").contains(&"MIL_ARMED")
        })
        .count() as f64;
    assert!(armed > 0.0);
    assert_eq!(
        sum_where(&raw_u, "victims_exploitation", 0, UNMAPPED),
        armed
    );
    let t = raw_u.table("victims_exploitation").unwrap();
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("MIL_ARMED") && n.contains(UNMAPPED)),
        "{:?}",
        t.notes
    );
    assert!(raw_u.notes.iter().any(|n| n.contains("MIL_ARMED")));
    let csv_u = files::csv(&raw_u);
    assert!(
        csv_u
            .lines()
            .any(|l| l.starts_with("note,victims_exploitation") && l.contains("MIL_ARMED"))
    );
    let sdmx_u = sdmx::csv(&raw_u, sdmx::Version::V1);
    assert!(
        sdmx_u
            .lines()
            .any(|l| l.contains(",UNMAPPED,") && l.contains("MIL_ARMED")),
        "the SDMX comment of the unmapped cells names the code"
    );

    formats(&ret_for(&facts, &d), engine);
}

fn ret_for(facts: &Facts, d: &Dictionary) -> Return {
    glotip(facts, d, &Options::new(d, 2024, THRESHOLD).unwrap(), None).unwrap()
}

/// SDMX-CSV 1.0 and 2.0, DHIS2, CSV and XLSX of a protected return.
fn formats(ret: &Return, engine: &str) {
    // SDMX-CSV 1.0: DATAFLOW first; every line parses with the header's columns.
    for version in [sdmx::Version::V1, sdmx::Version::V2] {
        let text = sdmx::csv(ret, version);
        let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
        let at = |c: &str| header.iter().position(|h| h == c).unwrap();
        match version {
            sdmx::Version::V1 => assert_eq!(header[0], "DATAFLOW"),
            sdmx::Version::V2 => assert_eq!(header[..3], ["STRUCTURE", "STRUCTURE_ID", "ACTION"]),
        }
        let mut keys = HashSet::new();
        let mut n = 0;
        for rec in rd.records() {
            let rec = rec.unwrap_or_else(|e| panic!("{engine}: a line does not parse: {e}"));
            assert_eq!(rec.len(), header.len());
            match version {
                sdmx::Version::V1 => assert_eq!(&rec[0], "TESSERA:GLOTIP_TIP(1.0)"),
                sdmx::Version::V2 => {
                    assert_eq!(&rec[0], "dataflow");
                    assert_eq!(&rec[1], "TESSERA:GLOTIP_TIP(1.0)");
                    assert_eq!(&rec[2], "I");
                }
            }
            assert_eq!(&rec[at("TIME_PERIOD")], "2024");
            assert_eq!(&rec[at("REF_AREA")], "CAF");
            let value = &rec[at("OBS_VALUE")];
            match &rec[at("CONF_STATUS")] {
                "F" => {
                    let v: f64 = value.parse().unwrap();
                    assert!(v == 0.0 || v >= THRESHOLD);
                }
                "C" => assert!(value.is_empty()),
                other => panic!("CONF_STATUS {other}"),
            }
            assert!(rec[at("COMMENT_DSET")].contains("threshold 5"));
            let key: Vec<String> = (at("FREQ")..at("OBS_VALUE"))
                .map(|i| rec[i].to_string())
                .collect();
            assert!(keys.insert(key), "each observation once");
            n += 1;
        }
        assert!(n > 50, "{n}");
    }

    // DHIS2: the deployment's ids, published values only.
    let mapping = dhis2::Mapping::from_toml(
        r#"
return = "glotip"
id_scheme = "UID"
org_unit = "ImspTQPwCqd"
data_set = "pBOMPrpg1QX"

[tables.victims_sex_age]
data_element = "fbfJHSPpUQD"

[tables.victims_sex_age.category_option_combos]
"female.adult" = "Prlt0C1RF0s"
"other.child" = "V6L425pT3A0"
"_T._T" = "HllvX50cXC0"
"#,
    )
    .unwrap();
    let export = dhis2::data_value_set(ret, &mapping).unwrap();
    let json: Value = serde_json::from_str(&serde_json::to_string(&export.json).unwrap()).unwrap();
    assert_eq!(json["dataSet"], "pBOMPrpg1QX");
    assert_eq!(json["period"], "2024");
    let values = json["dataValues"].as_array().unwrap();
    let mapped = ret
        .table("victims_sex_age")
        .unwrap()
        .observations()
        .into_iter()
        .filter(|o| ["female.adult", "other.child", "_T._T"].contains(&o.cell.as_str()))
        .filter(|o| o.value.is_some())
        .count();
    assert!(mapped >= 2);
    assert_eq!(values.len(), mapped, "{values:?}");
    for v in values {
        assert_eq!(v["dataElement"], "fbfJHSPpUQD");
        assert_eq!(v["orgUnit"], "ImspTQPwCqd");
        assert_eq!(v["period"], "2024");
        assert!(v["comment"].as_str().unwrap().contains("threshold 5"));
    }
    let adult = values
        .iter()
        .find(|v| v["categoryOptionCombo"] == "Prlt0C1RF0s")
        .unwrap();
    assert_eq!(
        adult["value"].as_str().unwrap().parse::<f64>().ok(),
        cell(ret, "victims_sex_age", &["female", "adult"])
    );
    assert!(!export.missing_ids.is_empty(), "other tables have no ids");
    assert!(
        dhis2::Mapping::from_toml("return = \"glotip\"\nid_scheme = \"name\"\norg_unit = \"x\"")
            .is_err()
    );
    // The default: ids from the codes, every published figure, and a file that reads back.
    let default = dhis2::Mapping::default_for(ret);
    assert_eq!(
        dhis2::Mapping::from_toml(&default.to_toml()).unwrap(),
        default
    );
    let all = dhis2::data_value_set(ret, &default).unwrap();
    assert!(all.missing_ids.is_empty());
    assert!(all.hidden > 0);
    let published: usize = ret
        .tables
        .iter()
        .flat_map(|t| t.observations())
        .filter(|o| o.value.is_some())
        .count();
    assert_eq!(all.values, published);

    // CSV: one header, every line the same columns, the protection in an `about` row.
    let text = files::csv(ret);
    let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, files::csv_header());
    let recs: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert!(
        recs.iter()
            .any(|r| &r[0] == "about" && &r[2] == "protection" && r[14].contains("threshold 5"))
    );
    assert!(
        recs.iter()
            .any(|r| &r[0] == "cell" && &r[13] == "c" && r[12].is_empty())
    );

    // XLSX: an About sheet and a sheet per table.
    use calamine::Reader;
    let bytes = files::xlsx(ret).unwrap();
    let mut wb = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let names = wb.sheet_names();
    assert_eq!(names.len(), ret.tables.len() + 1);
    assert_eq!(names[0], "About");
    let about = wb.worksheet_range("About").unwrap();
    assert!(
        about
            .rows()
            .any(|r| r.iter().any(|c| c.to_string().contains("threshold 5")))
    );
    let sheet = wb.worksheet_range("victims_sex_age").unwrap();
    assert!(sheet.rows().any(|r| {
        r.iter()
            .any(|c| matches!(c, calamine::Data::String(s) if s == "c"))
    }));
}

#[tokio::test]
async fn returns_match_the_demo_ground_truth_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    check(store, "sqlite").await;
}

#[tokio::test]
async fn returns_match_the_demo_ground_truth_on_postgres() {
    if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
        return;
    }
    let url = std::env::var("TESSERA_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!(
        "o_{}_{}",
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

#[tokio::test]
async fn the_threshold_is_the_deployments_setting() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        tessera_analysis::deployment_threshold(&store)
            .await
            .unwrap(),
        THRESHOLD
    );
    store
        .set_setting("disclosure_threshold", "10")
        .await
        .unwrap();
    assert_eq!(
        tessera_analysis::deployment_threshold(&store)
            .await
            .unwrap(),
        10.0
    );
    store
        .set_setting("disclosure_threshold", "1")
        .await
        .unwrap();
    assert!(
        tessera_analysis::deployment_threshold(&store)
            .await
            .is_err()
    );
    store
        .set_setting("disclosure_threshold", "10")
        .await
        .unwrap();
    let d = dict();
    tessera_demo::run(
        &store,
        &d,
        Arc::new(enc()),
        800,
        SEED,
        &mut Vec::new(),
        |_| {},
    )
    .await
    .unwrap();
    let ret =
        tessera_outputs::from_store(&store, &d, tessera_outputs::Kind::Glotip, 2024, "fr", false)
            .await
            .unwrap();
    assert_eq!(ret.protection.threshold, 10.0);
    assert!(ret.protection.statement("fr").contains("seuil 10"));
    for t in &ret.tables {
        assert!(is_protected(&t.table, 10.0), "{}", t.id);
        for v in t.table.rows.iter().filter_map(|r| r.values[0]) {
            assert!(v == 0.0 || v >= 10.0);
        }
    }
    assert!(
        ret.table("victims_sex_age")
            .unwrap()
            .title
            .contains("Victimes")
    );
}
