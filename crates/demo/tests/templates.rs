//! Round trip of every template: generate it, fill it programmatically with demo rows (coded
//! values written as French labels, dates as Excel dates or day-first text), import it, read the
//! records back and compare with what was generated.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use calamine::{Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType, VarType};
use tessera_intake::template::{columns, csv_template, entities_for, xlsform, xlsx_template};
use tessera_intake::{ImportOptions, IntakeRecord, Limits, META_SHEET};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{Access, ImportRequest, ImportResult, ImportSource, Provider, Store};

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

/// How a person would type the value in a French-language spreadsheet.
fn typed(dict: &Dictionary, var: &tessera_dictionary::Variable, v: &Value, i: usize) -> String {
    let label = |list: &str, code: &str| {
        dict.codelist(list)
            .unwrap()
            .get(code)
            .unwrap()
            .label
            .get("fr")
            .to_string()
    };
    match (&var.var_type, v) {
        (VarType::Code { codelist }, Value::String(c)) => label(codelist, c),
        (VarType::Codes { codelist }, Value::Array(a)) => a
            .iter()
            .map(|c| {
                if i.is_multiple_of(2) {
                    label(codelist, c.as_str().unwrap())
                } else {
                    c.as_str().unwrap().to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        (VarType::Boolean, Value::Bool(b)) => if *b { "oui" } else { "non" }.into(),
        (VarType::Date, Value::String(d)) => format!("{}/{}/{}", &d[8..10], &d[5..7], &d[..4]),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}

fn provider_of(ptype: &str) -> (&'static str, &'static str) {
    tessera_demo::PROVIDERS
        .iter()
        .find(|p| p.2 == ptype)
        .map(|p| (p.0, p.2))
        .unwrap_or(("sante-test", "HEALTH"))
}

#[allow(clippy::too_many_arguments)]
async fn import(
    store: &Store,
    dict: &Arc<Dictionary>,
    enc: &Arc<dyn Encoder>,
    pid: &ProviderId,
    ptype: &str,
    entity: &str,
    bytes: Vec<u8>,
    odk: bool,
) -> ImportResult {
    let req = ImportRequest {
        provider: pid.clone(),
        entity: entity.into(),
        submission_id: None,
        options: ImportOptions {
            odk,
            provider_type: Some(ptype.into()),
            ..ImportOptions::default()
        },
        limits: Limits::default(),
        lang: "fr".into(),
        name: format!("{entity}.xlsx"),
    };
    store
        .import_file(dict.clone(), enc.clone(), req, ImportSource::Bytes(bytes))
        .await
        .unwrap()
}

async fn stored(store: &Store, pid: &ProviderId, entity: &str) -> HashMap<String, Value> {
    store
        .records(&Access::Provider(pid.clone()), entity, 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.provider_ref, r.data))
        .collect()
}

#[tokio::test]
async fn every_provider_types_template_round_trips_demo_rows() {
    let dict = Arc::new(dict());
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[4; 32]).unwrap()));
    let chunk = tessera_demo::generate_chunk(5, 0, 3000, enc.as_ref());
    let mut by_entity: HashMap<&str, Vec<&IntakeRecord>> = HashMap::new();
    for b in &chunk.batches {
        by_entity
            .entry(b.entity)
            .or_default()
            .extend(b.records.iter());
    }
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    tessera_demo::register(&store, &dict).await.unwrap();
    store
        .upsert_provider(&Provider {
            id: ProviderId::parse("sante-test").unwrap(),
            name: "Santé".into(),
            provider_type: ProviderType::parse(&dict, "HEALTH").unwrap(),
            region: None,
            profile: Default::default(),
        })
        .await
        .unwrap();
    store
        .add_agreement(&tessera_store::Agreement {
            id: 0,
            provider_id: ProviderId::parse("sante-test").unwrap(),
            entities: dict.templates["HEALTH"].clone(),
            level: "case".into(),
            valid_from: time::macros::date!(2020 - 01 - 01),
            valid_to: None,
            signed_on: None,
            signatories: None,
            document_sha256: None,
            ended_on: None,
        })
        .await
        .unwrap();

    let mut checked = 0;
    for ptype in dict.templates.keys() {
        let (provider, ptype_code) = provider_of(ptype);
        let pid = ProviderId::parse(provider).unwrap();
        let template = xlsx_template(&dict, ptype, "fr").unwrap();
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(template)).unwrap();
        let meta = wb.worksheet_range(META_SHEET).unwrap();
        for entity in entities_for(&dict, ptype).unwrap() {
            let header: Vec<String> = wb
                .worksheet_range(&entity.id)
                .unwrap()
                .rows()
                .next()
                .unwrap()
                .iter()
                .map(|c| c.to_string())
                .collect();
            let cols = columns(entity);
            assert_eq!(header.len(), cols.len());
            assert!(
                header[0].ends_with("[provider_ref]") && header[0].contains('*'),
                "{header:?}"
            );
            let records: Vec<&IntakeRecord> = by_entity[entity.id.as_str()]
                .iter()
                .take(40)
                .copied()
                .collect();
            // Fill a copy of the template: same sheet, same header, same _meta.
            let mut out = Workbook::new();
            let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
            {
                let ws = out.add_worksheet();
                ws.set_name(&entity.id).unwrap();
                for (c, h) in header.iter().enumerate() {
                    ws.write_string(0, c as u16, h).unwrap();
                }
                for (r, rec) in records.iter().enumerate() {
                    for (c, var) in cols.iter().enumerate() {
                        let Some(v) = rec.data.get(&var.code) else {
                            continue;
                        };
                        let (row, col) = (1 + r as u32, c as u16);
                        match (&var.var_type, v) {
                            // Half the dates as real Excel dates, half typed as text.
                            (VarType::Date, Value::String(d)) if r % 2 == 0 => {
                                let dt = ExcelDateTime::from_ymd(
                                    d[..4].parse().unwrap(),
                                    d[5..7].parse().unwrap(),
                                    d[8..10].parse().unwrap(),
                                )
                                .unwrap();
                                ws.write_datetime_with_format(row, col, &dt, &date_fmt)
                                    .unwrap();
                            }
                            (VarType::Integer { .. } | VarType::Year { .. }, Value::Number(n)) => {
                                ws.write_number(row, col, n.as_f64().unwrap()).unwrap();
                            }
                            _ => {
                                ws.write_string(row, col, typed(&dict, var, v, r)).unwrap();
                            }
                        }
                    }
                }
            }
            {
                let ws = out.add_worksheet();
                ws.set_name(META_SHEET).unwrap();
                for (r, row) in meta.rows().enumerate() {
                    for (c, cell) in row.iter().enumerate() {
                        ws.write_string(r as u32, c as u16, cell.to_string())
                            .unwrap();
                    }
                }
            }
            let bytes = out.save_to_buffer().unwrap();
            match import(
                &store, &dict, &enc, &pid, ptype_code, &entity.id, bytes, false,
            )
            .await
            {
                ImportResult::Stored { outcome, .. } => assert_eq!(
                    outcome.inserted as usize + outcome.updated as usize,
                    records.len(),
                    "{ptype} {}",
                    entity.id
                ),
                ImportResult::Refused(r) => panic!("{ptype} {}: {r}", entity.id),
            }
            let back = stored(&store, &pid, &entity.id).await;
            for rec in &records {
                assert_eq!(
                    back.get(&rec.provider_ref),
                    Some(&Value::Object(rec.data.clone())),
                    "{ptype} {} {}",
                    entity.id,
                    rec.provider_ref
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[tokio::test]
async fn csv_template_and_xlsform_round_trip() {
    let dict = Arc::new(dict());
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&Secret::from_bytes(&[4; 32]).unwrap()));
    let chunk = tessera_demo::generate_chunk(8, 1, 600, enc.as_ref());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    tessera_demo::register(&store, &dict).await.unwrap();
    let entity = dict.entity("victim").unwrap();
    let records: Vec<&IntakeRecord> = chunk
        .batches
        .iter()
        .filter(|b| b.entity == "victim")
        .flat_map(|b| b.records.iter())
        .take(60)
        .collect();
    let cols = columns(entity);

    // CSV: the template's header, then rows separated by semicolons as French Excel writes them.
    let mut csv = csv_template(entity, "fr").replace(',', ";");
    for (i, rec) in records.iter().enumerate() {
        let row: Vec<String> = cols
            .iter()
            .map(|v| {
                rec.data
                    .get(&v.code)
                    .map(|x| typed(&dict, v, x, i))
                    .unwrap_or_default()
            })
            .map(|c| {
                if c.contains(';') {
                    format!("\"{c}\"")
                } else {
                    c
                }
            })
            .collect();
        csv.push_str(&row.join(";"));
        csv.push('\n');
    }
    let pid = ProviderId::parse("ong-espoir-kaga").unwrap();
    if let ImportResult::Refused(r) = import(
        &store,
        &dict,
        &enc,
        &pid,
        "NGO",
        "victim",
        csv.clone().into_bytes(),
        false,
    )
    .await
    {
        panic!("csv refused: {r}\n{}", &csv[..600.min(csv.len())]);
    }
    let back = stored(&store, &pid, "victim").await;
    for rec in &records {
        assert_eq!(
            back.get(&rec.provider_ref),
            Some(&Value::Object(rec.data.clone()))
        );
    }

    // XLSForm: the form has a question per variable and the code lists as choices.
    let form = xlsform(&dict, entity).unwrap();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(form)).unwrap();
    let survey = wb.worksheet_range("survey").unwrap();
    let names: Vec<String> = survey.rows().skip(1).map(|r| r[1].to_string()).collect();
    assert_eq!(
        names,
        cols.iter().map(|v| v.code.clone()).collect::<Vec<_>>()
    );
    let header: Vec<String> = survey
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert!(
        header.contains(&"label::French (fr)".to_string())
            && header.contains(&"label::English (en)".to_string())
    );
    let choices = wb.worksheet_range("choices").unwrap();
    assert!(
        choices
            .rows()
            .any(|r| r[0] == "exploitation_form" && r[1] == "MIL_ARMED")
    );

    // An ODK Central / Kobo export of that form: grouped column names, metadata, select_multiple
    // answers separated by spaces, and no provider_ref column (the submission UUID stands in).
    let odk_cols: Vec<&&tessera_dictionary::Variable> =
        cols.iter().filter(|v| v.code != "provider_ref").collect();
    let mut odk = String::from("start,end");
    for v in &odk_cols {
        odk.push_str(&format!(",details/{}", v.code));
    }
    odk.push_str(",meta/instanceID,_id,_uuid,_submission_time\n");
    let mut uuids = Vec::new();
    for (i, rec) in records.iter().enumerate().take(20) {
        let uuid = format!("5b3f1c2e-0000-4000-8000-{i:012}");
        odk.push_str("2025-03-01T10:00:00Z,2025-03-01T10:05:00Z");
        for v in &odk_cols {
            let cell = match rec.data.get(&v.code) {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|c| c.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(" "),
                Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.into(),
                Some(Value::String(s)) => s.clone(),
                Some(x) => x.to_string(),
                None => String::new(),
            };
            odk.push(',');
            odk.push_str(&cell);
        }
        odk.push_str(&format!(",uuid:{uuid},{i},{uuid},2025-03-01T10:06:00\n"));
        uuids.push((uuid, rec));
    }
    let pid = ProviderId::parse("oim-rca").unwrap();
    match import(
        &store,
        &dict,
        &enc,
        &pid,
        "INTL",
        "victim",
        odk.into_bytes(),
        true,
    )
    .await
    {
        ImportResult::Stored { outcome, .. } => assert_eq!(outcome.inserted, 20),
        ImportResult::Refused(r) => panic!("{r}"),
    }
    let back = stored(&store, &pid, "victim").await;
    for (uuid, rec) in uuids {
        let mut expected = rec.data.clone();
        expected.insert("provider_ref".into(), Value::String(uuid.clone()));
        assert_eq!(back.get(&uuid), Some(&Value::Object(expected)));
    }
}
