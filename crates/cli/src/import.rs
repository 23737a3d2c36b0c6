//! The files offices fill in and send: `tessera template` makes them, `check` validates them,
//! `pseudonymise` removes their identifiers before they leave the office, and `import` stores
//! them.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use tessera_dictionary::ProviderId;
use tessera_intake::{ImportOptions, IntakeError, Limits, template, validate_stream};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{ImportRequest, ImportResult, ImportSource, actions};

use crate::common::{DbArgs, base_with, dictionary_of, load_or_create_secret, open_store};

#[derive(clap::Args)]
pub struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Provider sending the file.
    #[arg(long)]
    provider: String,
    /// Entity the file holds (victim, suspect, cj_case, …).
    #[arg(long)]
    entity: String,
    /// Reporting period the records belong to (e.g. 2025): they go into the provider's open
    /// submission for it, created as a draft if needed.
    #[arg(long)]
    period: Option<String>,
    /// The file is an ODK Central or KoboToolbox export.
    #[arg(long)]
    odk: bool,
    /// Language of the validation report (en, fr).
    #[arg(long, default_value = "en")]
    lang: String,
    /// Largest file accepted, in megabytes.
    #[arg(long, default_value_t = 100)]
    max_mb: u64,
    file: PathBuf,
}

#[derive(clap::Args)]
pub struct TemplateArgs {
    /// Type of provider (POLICE, NGO, COURT, …): the template holds the entities it reports.
    #[arg(long)]
    provider_type: String,
    /// xlsx, csv (one entity) or xlsform (one entity).
    #[arg(long, default_value = "xlsx")]
    format: String,
    /// Entity, for the csv and xlsform formats.
    #[arg(long)]
    entity: Option<String>,
    /// Language of labels and instructions.
    #[arg(long, default_value = "en")]
    lang: String,
    /// Deployment extension file (national regions and codes appear in the dropdowns).
    #[arg(long)]
    extension: Option<PathBuf>,
    #[arg(long)]
    out: PathBuf,
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[arg(long)]
    entity: String,
    /// Deployment extension file to validate against.
    #[arg(long)]
    extension: Option<PathBuf>,
    /// The file is an ODK Central or KoboToolbox export.
    #[arg(long)]
    odk: bool,
    /// Language of the report (en, fr).
    #[arg(long, default_value = "en")]
    lang: String,
    file: PathBuf,
}

#[derive(clap::Args)]
pub struct PseudonymiseArgs {
    /// Entity the file holds (victim, suspect, smuggled_migrant).
    #[arg(long)]
    entity: String,
    /// The deployment secret file, given by the coordination body (hexadecimal text).
    #[arg(long, env = "TESSERA_SECRET_FILE")]
    secret_file: PathBuf,
    /// Deployment extension file the template was made with.
    #[arg(long)]
    extension: Option<PathBuf>,
    /// Language of the report (en, fr).
    #[arg(long, default_value = "en")]
    lang: String,
    /// Where to write the pseudonymised CSV (written only if the whole file is clean).
    #[arg(long)]
    out: PathBuf,
    file: PathBuf,
}

/// `tessera import`: validate a file and store it, all or nothing.
pub async fn import(args: ImportArgs) -> Result<()> {
    let ImportArgs {
        db,
        provider,
        entity,
        period,
        odk,
        lang,
        max_mb,
        file,
    } = args;
    let secret = load_or_create_secret(&db)?;
    let store = open_store(&db).await?;
    let dict = Arc::new(dictionary_of(&store).await?);
    let pid = ProviderId::parse(&provider)?;
    let Some(prov) = store.provider(&pid).await? else {
        return Err(store.unknown_provider_error(&provider).await.into());
    };
    let submission_id = match &period {
        Some(p) => Some(
            store
                .open_submission(&pid, p, &dict.full_version(), "cli")
                .await?
                .id,
        ),
        None => None,
    };
    let encoder: Arc<dyn tessera_pseudonym::Encoder> = Arc::new(KeyedEncoder::new(&secret));
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
    let pb = ProgressBar::new_spinner();
    pb.set_message(format!(
        "validating and storing {} ({} MB)",
        file.display(),
        size / 1024 / 1024
    ));
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let req = ImportRequest {
        provider: pid.clone(),
        entity: entity.clone(),
        submission_id,
        options: ImportOptions {
            odk,
            provider_type: Some(prov.provider_type.as_str().to_string()),
            ..ImportOptions::default()
        },
        limits: Limits {
            max_bytes: max_mb * 1024 * 1024,
            ..Limits::default()
        },
        lang: lang.clone(),
        name: file.display().to_string(),
    };
    let result = store
        .import_file(dict, encoder, req, ImportSource::Path(file.clone()))
        .await;
    pb.finish_and_clear();
    match result {
        Ok(ImportResult::Stored {
            rows,
            outcome,
            summary,
        }) => {
            let detail = serde_json::json!({ "rows": rows, "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged, "repaired": summary.repairs_total, "submission": submission_id });
            store
                .audit(
                    "cli",
                    actions::RECORDS_IMPORT,
                    &format!("{provider}/{entity}"),
                    &detail.to_string(),
                )
                .await?;
            let counts = [
                ("file", file.display().to_string()),
                ("inserted", outcome.inserted.to_string()),
                ("updated", outcome.updated.to_string()),
                ("unchanged", outcome.unchanged.to_string()),
                ("submission", submission_id.unwrap_or_default().to_string()),
            ];
            let args: Vec<(&str, &str)> = counts.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let key = if submission_id.is_some() {
                "import-stored-submission"
            } else {
                "import-stored"
            };
            eprintln!("{}", tessera_intake::msg(&lang, key, &args));
            // What reading repaired (encoding assumed, `34.0`, leading zeros), never silently.
            eprint!("{}", summary.render(&lang));
        }
        Ok(ImportResult::Refused(report)) => bail!(
            "{} was not imported; nothing was stored.\n{}",
            file.display(),
            report.render(&lang)
        ),
        Err(e) => bail!(
            "{} was not imported; nothing was stored: {e}",
            file.display()
        ),
    }
    Ok(())
}

/// `tessera template`: the XLSX, CSV or XLSForm template of a provider type.
pub fn template(args: TemplateArgs) -> Result<()> {
    let TemplateArgs {
        provider_type,
        format,
        entity,
        lang,
        extension,
        out,
    } = args;
    let dict = base_with(extension.as_deref())?;
    let one_entity = || -> Result<&tessera_dictionary::Entity> {
        let id = match &entity {
            Some(e) => e.clone(),
            None => template::entities_for(&dict, &provider_type)?
                .first()
                .map(|e| e.id.clone())
                .context("this provider type reports no entity")?,
        };
        dict.entity(&id)
            .with_context(|| format!("there is no entity \"{id}\""))
    };
    let bytes = match format.as_str() {
        "xlsx" => template::xlsx_template(&dict, &provider_type, &lang)?,
        "csv" => template::csv_template(one_entity()?, &lang).into_bytes(),
        "xlsform" => template::xlsform(&dict, one_entity()?)?,
        other => bail!("unknown template format \"{other}\" (use xlsx, csv or xlsform)"),
    };
    std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("Wrote {}.", out.display());
    Ok(())
}

/// `tessera check`: validate a file without storing anything (exit 1 with the report if it is
/// refused).
pub fn check(args: CheckArgs) -> Result<()> {
    let CheckArgs {
        entity,
        extension,
        odk,
        lang,
        file,
    } = args;
    let dict = base_with(extension.as_deref())?;
    // Checking needs no real secret: nothing is stored and the pseudonyms are thrown away.
    let encoder = KeyedEncoder::new(&Secret::from_bytes(&rand::random::<[u8; 32]>())?);
    let input =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let limits = Limits {
        max_bytes: 2 * 1024 * 1024 * 1024,
        ..Limits::default()
    };
    let opts = ImportOptions {
        odk,
        ..ImportOptions::default()
    };
    match validate_stream(
        &dict,
        &entity,
        &encoder,
        Box::new(input),
        &file.display().to_string(),
        limits,
        &lang,
        &opts,
        &mut |_| true,
    ) {
        Ok(s) => {
            println!("{}: {} rows, no problems.", file.display(), s.rows);
            print!("{}", s.render(&lang));
        }
        Err(IntakeError::Invalid(report)) => {
            println!("{}: {}", file.display(), report.render(&lang));
            std::process::exit(1);
        }
        Err(e) => bail!("{e}"),
    }
    Ok(())
}

/// `tessera pseudonymise`: replace a file's identifiers by their keyed encodings (exit 1 with
/// the report if it is refused; nothing is written then).
pub fn pseudonymise(args: PseudonymiseArgs) -> Result<()> {
    let PseudonymiseArgs {
        entity,
        secret_file,
        extension,
        lang,
        out,
        file,
    } = args;
    let dict = base_with(extension.as_deref())?;
    let text = std::fs::read_to_string(&secret_file)
        .with_context(|| format!("cannot read the secret file {}", secret_file.display()))?;
    let secret = Secret::from_hex(&text)
        .with_context(|| format!("the secret file {} is damaged", secret_file.display()))?;
    let encoder = KeyedEncoder::new(&secret);
    let input =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    // Written beside the target and renamed only when the whole file was clean.
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    let limits = Limits {
        max_bytes: 2 * 1024 * 1024 * 1024,
        ..Limits::default()
    };
    let result = {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        tessera_intake::pseudonymise(
            &dict,
            &entity,
            &encoder,
            Box::new(input),
            &file.display().to_string(),
            limits,
            &lang,
            &mut w,
        )
        .and_then(|s| {
            w.flush().map_err(|e| IntakeError::Unreadable {
                file: out.display().to_string(),
                message: e.to_string(),
            })?;
            Ok(s)
        })
    };
    match result {
        Ok(s) => {
            tmp.persist(&out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{}: {} rows, {} with identifiers encoded; removed columns: {}. Written to {}.",
                file.display(),
                s.rows,
                s.encoded,
                if s.removed.is_empty() {
                    "none".to_string()
                } else {
                    s.removed.join(", ")
                },
                out.display()
            );
        }
        Err(IntakeError::Invalid(report)) => {
            println!("{}: {}", file.display(), report.render(&lang));
            std::process::exit(1);
        }
        Err(e) => bail!("{e}"),
    }
    Ok(())
}
