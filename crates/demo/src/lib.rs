//! A believable national deployment for demonstrations, training and benchmarks: the Central
//! African Republic with thirteen data providers, five reporting years, victims, suspects and
//! their criminal-justice cases, smuggling incidents and migrants, assistance and referrals.
//!
//! The point of the demo is the hard part of real data: the **same person is reported by several
//! providers**, with the variations real registers have — transliteration variants
//! (Mohamed/Mahamat/Muhammad), swapped name order, dropped accents, typos, missing or approximate
//! birth dates, swapped day and month. A ground-truth file (`provider, entity, provider_ref,
//! person_id`) lets linkage be scored. Everything is deterministic given `--seed`.
//!
//! Records are built as intake would build them and identifying fields are encoded with the
//! deployment's encoder, so clear names never reach the store here either.

mod generate;
mod names;

pub use generate::{Chunk, PersonSpec, TruthRow, generate_chunk};

use std::collections::HashMap;
use std::io::Write;

use tessera_dictionary::{Dictionary, ProviderId, ProviderType, Role};
use tessera_pseudonym::Encoder;
use tessera_store::{Agreement, Period, Provider, Store, StoreError, SubmissionStatus};
use time::{Date, Month};

/// Errors of the demo generator.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the ground-truth file: {0}")]
    Truth(#[from] std::io::Error),
    #[error(
        "the demo needs the Central African Republic extension (dictionary/extensions/cf.toml): {0}"
    )]
    Dictionary(String),
    #[error("generation failed: {0}")]
    Join(String),
}

/// Reporting years of the demo.
pub const YEARS: std::ops::RangeInclusive<i32> = 2021..=2025;

/// (id, name, type, region) of the demo providers.
pub const PROVIDERS: &[(&str, &str, &str, &str)] = &[
    (
        "police-ocrb-bangui",
        "Police nationale – Office central de répression du banditisme, Bangui",
        "POLICE",
        "CF-BGF",
    ),
    (
        "gendarmerie-bambari",
        "Gendarmerie nationale – Compagnie de Bambari",
        "GENDARMERIE",
        "CF-UK",
    ),
    (
        "police-berberati",
        "Commissariat de police de Berbérati",
        "POLICE",
        "CF-HS",
    ),
    (
        "border-beloko",
        "Police des frontières – Poste de Béloko",
        "BORDER",
        "CF-NM",
    ),
    (
        "border-mpoko",
        "Police de l'air et des frontières – Aéroport Bangui M'Poko",
        "BORDER",
        "CF-BGF",
    ),
    (
        "parquet-bangui",
        "Parquet du Tribunal de grande instance de Bangui",
        "PROSECUTION",
        "CF-BGF",
    ),
    (
        "cour-appel-bangui",
        "Cour d'appel de Bangui – Chambre criminelle",
        "COURT",
        "CF-BGF",
    ),
    (
        "inspection-travail",
        "Inspection générale du travail",
        "LABOUR",
        "CF-BGF",
    ),
    (
        "affaires-sociales",
        "Ministère des Affaires sociales – Direction de la protection de l'enfant",
        "SOCIAL",
        "CF-BGF",
    ),
    (
        "ong-espoir-kaga",
        "ONG Espoir – Centre d'accueil de Kaga-Bandoro",
        "NGO",
        "CF-KG",
    ),
    (
        "ong-enfance-paoua",
        "Association pour la protection de l'enfance – Paoua",
        "NGO",
        "CF-OP",
    ),
    (
        "oim-rca",
        "OIM – Mission en République centrafricaine",
        "INTL",
        "CF-BGF",
    ),
    (
        "minusca-ddh",
        "MINUSCA – Division des droits de l'homme",
        "MINUSCA",
        "CF-BGF",
    ),
];

/// What a demo run produced.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub persons: usize,
    pub person_records: usize,
    pub other_records: usize,
    pub records_by_entity: HashMap<String, usize>,
}

/// Registers the demo providers, their agreements, the reporting periods and one submission per
/// provider and year; returns (provider, year) → submission id.
pub async fn register(
    store: &Store,
    dict: &Dictionary,
) -> Result<HashMap<(String, i32), i64>, DemoError> {
    let mut subs = HashMap::new();
    for year in YEARS {
        let d = |m: Month, day: u8, y: i32| {
            Date::from_calendar_date(y, m, day).map_err(|e| DemoError::Dictionary(e.to_string()))
        };
        store
            .upsert_period(&Period {
                id: year.to_string(),
                starts_on: d(Month::January, 1, year)?,
                ends_on: d(Month::December, 31, year)?,
                due_on: d(Month::January, 31, year + 1)?,
                provider_types: Vec::new(),
                closed_on: None,
            })
            .await?;
    }
    for (id, name, ptype, region) in PROVIDERS {
        let provider_type =
            ProviderType::parse(dict, ptype).map_err(|e| DemoError::Dictionary(e.to_string()))?;
        let pid = ProviderId::parse(id).map_err(|e| DemoError::Dictionary(e.to_string()))?;
        store
            .upsert_provider(&Provider {
                id: pid.clone(),
                name: name.to_string(),
                provider_type,
                region: Some(region.to_string()),
                profile: tessera_store::ProviderProfile {
                    ngo: *ptype == "NGO",
                    ..Default::default()
                },
            })
            .await?;
        // Every demo provider sends case records (the generator writes them for all), so every
        // agreement is at case level: an aggregate-only agreement refuses case records.
        let level = "case";
        let from = Date::from_calendar_date(2020, Month::July, 1)
            .map_err(|e| DemoError::Dictionary(e.to_string()))?;
        store
            .add_agreement(&Agreement {
                provider_id: pid.clone(),
                entities: dict.templates.get(*ptype).cloned().unwrap_or_default(),
                level: level.into(),
                valid_from: from,
                valid_to: None,
                signed_on: Some(from),
                id: 0,
                signatories: None,
                document_sha256: None,
                ended_on: None,
            })
            .await?;
        for year in YEARS {
            let sub = store
                .create_submission(&pid, &year.to_string(), &dict.full_version(), "demo")
                .await?;
            subs.insert((id.to_string(), year), sub.id);
        }
    }
    Ok(subs)
}

/// Password of every demo account. Demo deployments only: a real deployment's users are created
/// by its administrator, each with their own password.
pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// Creates one account per role: `admin`, `coordinator`, `analyst`, `partner`, and for every
/// provider a focal point `fp-<provider>` and a viewer `view-<provider>`.
pub async fn create_demo_users(store: &Store) -> Result<(), DemoError> {
    for (name, display, role) in [
        ("admin", "Administrateur système", Role::Admin),
        ("coordinator", "Coordonnatrice nationale", Role::Coordinator),
        ("analyst", "Analyste, cellule statistique", Role::Analyst),
        ("partner", "Partenaire (OIM)", Role::Partner),
    ] {
        store
            .create_user(name, display, DEMO_PASSWORD, role, None, "fr")
            .await?;
    }
    for (id, name, ..) in PROVIDERS {
        let pid = ProviderId::parse(id).map_err(|e| DemoError::Dictionary(e.to_string()))?;
        store
            .create_user(
                &format!("fp-{id}"),
                &format!("Point focal – {name}"),
                DEMO_PASSWORD,
                Role::FocalPoint,
                Some(&pid),
                "fr",
            )
            .await?;
        store
            .create_user(
                &format!("view-{id}"),
                &format!("Lecteur – {name}"),
                DEMO_PASSWORD,
                Role::Viewer,
                Some(&pid),
                "fr",
            )
            .await?;
    }
    Ok(())
}

/// Where the demo leaves the submission of the provider at `index` in [`PROVIDERS`] for `year`:
/// every year but the last approved; in the last, one provider in four approved, one submitted,
/// one returned and one still a draft.
fn workflow_path(index: usize, year: i32) -> &'static [SubmissionStatus] {
    match (year == *YEARS.end(), index % 4) {
        (false, _) | (true, 0) => &[SubmissionStatus::Submitted, SubmissionStatus::Approved],
        (true, 1) => &[SubmissionStatus::Submitted],
        (true, 2) => &[SubmissionStatus::Submitted, SubmissionStatus::Returned],
        _ => &[],
    }
}

/// Whether the demo approves `provider`'s submission for `year`: what tests that count the
/// demo's approved records from its generated rows need to know.
pub fn approved(provider: &str, year: i32) -> bool {
    PROVIDERS
        .iter()
        .position(|p| p.0 == provider)
        .is_some_and(|i| workflow_path(i, year).last() == Some(&SubmissionStatus::Approved))
}

/// Moves the demo's submissions along the workflow once their records are in: every year is
/// approved except the last, which is still being collected (some providers late or sent back).
pub async fn finalize_submissions(
    store: &Store,
    subs: &HashMap<(String, i32), i64>,
) -> Result<(), DemoError> {
    for (i, (id, ..)) in PROVIDERS.iter().enumerate() {
        for year in YEARS {
            let Some(sub) = subs.get(&(id.to_string(), year)) else {
                continue;
            };
            let path = workflow_path(i, year);
            // Submitted around the due date (31 January of the next year): most providers a
            // little early or on time, some weeks late; decisions ten days later.
            let offset = ((i * 17 + year as usize * 5) % 45) as i64 - 20;
            let due = Date::from_calendar_date(year + 1, Month::January, 31)
                .map_err(|e| DemoError::Dictionary(e.to_string()))?;
            let submitted = due.midnight().assume_utc() + time::Duration::days(offset);
            for status in path {
                let at = if *status == SubmissionStatus::Submitted {
                    submitted
                } else {
                    submitted + time::Duration::days(10)
                };
                let comment = (*status == SubmissionStatus::Returned)
                    .then_some("Dates d'identification manquantes pour plusieurs fiches.");
                store
                    .set_submission_status_at(*sub, *status, "demo", comment, at)
                    .await?;
            }
        }
    }
    Ok(())
}

/// Generates `person_records` person records (plus the cases, incidents, assistance and links
/// that go with them) and stores them, writing the ground truth to `truth`. `progress` is called
/// with the number of person records stored so far.
pub async fn run(
    store: &Store,
    dict: &Dictionary,
    encoder: std::sync::Arc<dyn Encoder>,
    person_records: usize,
    seed: u64,
    truth: &mut dyn Write,
    progress: impl FnMut(usize),
) -> Result<Summary, DemoError> {
    run_with_clear(
        store,
        dict,
        encoder,
        person_records,
        seed,
        truth,
        None,
        progress,
    )
    .await
}

/// [`run`], also writing every person record's synthetic identifiers in clear to `clear`, one row
/// per record with its true person (`rec_id,cluster_id,entity,provider,given_name,surname,
/// date_of_birth,soc_sec_id,phone,sex,nationality`, dates as YYYYMMDD, the layout of
/// `shared/bench/make_big.py` plus empty address columns): so other linkage tools can be run on
/// the very data Tessera links from pseudonyms. The people are invented; real data never has a
/// clear copy.
#[allow(clippy::too_many_arguments)]
pub async fn run_with_clear(
    store: &Store,
    dict: &Dictionary,
    encoder: std::sync::Arc<dyn Encoder>,
    person_records: usize,
    seed: u64,
    truth: &mut dyn Write,
    clear: Option<&mut dyn Write>,
    mut progress: impl FnMut(usize),
) -> Result<Summary, DemoError> {
    if dict
        .codelist("region")
        .is_none_or(|r| !r.contains("CF-BGF"))
    {
        return Err(DemoError::Dictionary("region CF-BGF is unknown".into()));
    }
    let subs = register(store, dict).await?;
    let version = dict.full_version();
    writeln!(truth, "provider,entity,provider_ref,person_id")?;
    let csv_error = |e: csv::Error| DemoError::Truth(e.into());
    let mut clear = clear.map(csv::Writer::from_writer);
    if let Some(w) = clear.as_mut() {
        w.write_record([
            "rec_id",
            "cluster_id",
            "entity",
            "provider",
            "given_name",
            "surname",
            "date_of_birth",
            "soc_sec_id",
            "phone",
            "sex",
            "nationality",
            "street_number",
            "address_1",
            "address_2",
            "suburb",
            "postcode",
            "state",
        ])
        .map_err(csv_error)?;
    }
    let mut summary = Summary::default();
    let chunk_size = generate::CHUNK_PERSON_RECORDS;
    let chunks = person_records.div_ceil(chunk_size);
    // Generate the next chunk on a blocking thread while the current one is written: with two
    // cores, encoding and SQLite each get one.
    let spawn = |idx: usize| {
        let target = chunk_size.min(person_records - idx * chunk_size);
        let enc = encoder.clone();
        tokio::task::spawn_blocking(move || generate_chunk(seed, idx, target, enc.as_ref()))
    };
    let mut next = (chunks > 0).then(|| spawn(0));
    for idx in 0..chunks {
        let Some(handle) = next.take() else { break };
        let chunk = handle.await.map_err(|e| DemoError::Join(e.to_string()))?;
        if idx + 1 < chunks {
            next = Some(spawn(idx + 1));
        }
        for batch in &chunk.batches {
            let pid = ProviderId::parse(batch.provider)
                .map_err(|e| DemoError::Dictionary(e.to_string()))?;
            let sub = subs.get(&(batch.provider.to_string(), batch.year)).copied();
            store
                .insert_records(&pid, batch.entity, &version, sub, &batch.records)
                .await?;
            *summary
                .records_by_entity
                .entry(batch.entity.to_string())
                .or_default() += batch.records.len();
        }
        for t in &chunk.truth {
            writeln!(
                truth,
                "{},{},{},{}",
                t.provider, t.entity, t.provider_ref, t.person_id
            )?;
            if let (Some(w), Some(c)) = (clear.as_mut(), &t.clear) {
                fn opt(v: &Option<String>) -> &str {
                    v.as_deref().unwrap_or("")
                }
                let birth = c.birth.as_deref().unwrap_or("").replace('-', "");
                w.write_record([
                    format!("{}:{}", t.provider, t.provider_ref).as_str(),
                    t.person_id.to_string().as_str(),
                    t.entity,
                    t.provider,
                    &c.given,
                    &c.family,
                    &birth,
                    opt(&c.id_number),
                    opt(&c.phone),
                    opt(&c.sex),
                    opt(&c.citizenship),
                    // No address in the demo: the columns are there for the shared layout.
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ])
                .map_err(csv_error)?;
            }
        }
        summary.persons += chunk.persons;
        summary.person_records += chunk.person_records;
        summary.other_records += chunk.other_records;
        progress(summary.person_records);
    }
    if let Some(w) = clear.as_mut() {
        w.flush()?;
    }
    finalize_submissions(store, &subs).await?;
    store.set_setting("demo_seed", &seed.to_string()).await?;
    Ok(summary)
}
