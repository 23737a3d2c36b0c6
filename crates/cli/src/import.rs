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

use crate::common::{Global, base_with, dictionary_of, load_or_create_secret, open_store};

#[derive(clap::Args)]
pub struct ImportArgs {
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
    /// The file is an ODK Central or KoboToolbox export (also recognised by its columns
    /// without this flag): group paths dropped, review states honoured.
    #[arg(long)]
    odk: bool,
    /// Largest file accepted, in megabytes.
    #[arg(long, default_value_t = 100)]
    max_mb: u64,
    file: PathBuf,
}

/// The kinds of template.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TemplateFormat {
    /// A workbook with a sheet per entity the provider type reports.
    Xlsx,
    /// One entity's header line.
    Csv,
    /// One entity's form for ODK Collect and KoboToolbox.
    Xlsform,
}

#[derive(clap::Args)]
pub struct TemplateArgs {
    /// Type of provider (POLICE, NGO, COURT, …): the workbook holds the entities it reports.
    /// Required for xlsx; for csv and xlsform it may stand for --entity (its first entity) and
    /// is checked against it.
    #[arg(long)]
    provider_type: Option<String>,
    #[arg(long, value_enum, default_value = "xlsx")]
    format: TemplateFormat,
    /// Entity, for the csv and xlsform formats.
    #[arg(long)]
    entity: Option<String>,
    /// xlsform only: the RSA public key (PEM) that encrypts every submission on the phone, so
    /// the ODK Central or Kobo server never holds identifiers in clear (see the manual).
    #[arg(long, value_name = "PEM")]
    public_key: Option<PathBuf>,
    /// xlsform only, with --public-key: where encrypted submissions are sent, when not to the
    /// server the form was downloaded from.
    #[arg(long, value_name = "URL", requires = "public_key")]
    submission_url: Option<String>,
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
    /// The file is an ODK Central or KoboToolbox export (also recognised by its columns
    /// without this flag).
    #[arg(long)]
    odk: bool,
    file: PathBuf,
}

#[derive(clap::Args)]
pub struct PseudonymiseArgs {
    /// Entity the file holds (victim, suspect, smuggled_migrant).
    #[arg(long)]
    entity: String,
    /// Deployment extension file the template was made with.
    #[arg(long)]
    extension: Option<PathBuf>,
    /// Where to write the pseudonymised CSV (written only if the whole file is clean).
    #[arg(long)]
    out: PathBuf,
    file: PathBuf,
}

/// `tessera import`: validate a file and store it, all or nothing.
pub async fn import(g: &Global, args: ImportArgs) -> Result<()> {
    let ImportArgs {
        provider,
        entity,
        period,
        odk,
        max_mb,
        file,
    } = args;
    let (db, lang) = (g.db(), g.lang()?);
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
            let detail = serde_json::json!({ "rows": rows, "inserted": outcome.inserted, "updated": outcome.updated, "unchanged": outcome.unchanged, "repaired": summary.repairs_total, "skipped": summary.skipped_total, "submission": submission_id });
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

/// `tessera template`: the XLSX, CSV or XLSForm template of a provider type or an entity.
pub fn template(g: &Global, args: TemplateArgs) -> Result<()> {
    let TemplateArgs {
        provider_type,
        format,
        entity,
        public_key,
        submission_url,
        extension,
        out,
    } = args;
    let lang = g.lang()?;
    let dict = base_with(extension.as_deref())?;
    if format != TemplateFormat::Xlsform && public_key.is_some() {
        bail!("--public-key applies to --format xlsform only: a spreadsheet is not encrypted");
    }
    let of_type = |t: &str| -> Result<Vec<&tessera_dictionary::Entity>> {
        template::entities_for(&dict, t).map_err(|_| {
            let known: Vec<&str> = dict.templates.keys().map(String::as_str).collect();
            anyhow::anyhow!(
                "there is no template for provider type \"{t}\" (known: {})",
                known.join(", ")
            )
        })
    };
    let one_entity = || -> Result<&tessera_dictionary::Entity> {
        let reported = provider_type.as_deref().map(of_type).transpose()?;
        match (&entity, reported) {
            (Some(id), reported) => {
                let e = dict
                    .entity(id)
                    .with_context(|| format!("there is no entity \"{id}\""))?;
                if let (Some(list), Some(t)) = (reported, &provider_type)
                    && !list.iter().any(|x| x.id == e.id)
                {
                    bail!(
                        "providers of type {t} do not report {id} (they report {})",
                        list.iter()
                            .map(|x| x.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
                Ok(e)
            }
            (None, Some(list)) => list
                .first()
                .copied()
                .context("this provider type reports no entity"),
            (None, None) => bail!("give --entity (or --provider-type, for its first entity)"),
        }
    };
    let bytes = match format {
        TemplateFormat::Xlsx => {
            if entity.is_some() {
                bail!(
                    "--entity does not apply to --format xlsx: the workbook holds every entity of the provider type"
                );
            }
            let t = provider_type
                .as_deref()
                .context("--format xlsx needs --provider-type: the workbook holds the entities that type reports")?;
            of_type(t)?;
            template::xlsx_template(&dict, t, &lang)?
        }
        TemplateFormat::Csv => template::csv_template(one_entity()?, &lang).into_bytes(),
        TemplateFormat::Xlsform => {
            let key = match &public_key {
                Some(path) => {
                    let pem = std::fs::read_to_string(path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    Some(
                        template::form_public_key(&pem)
                            .with_context(|| format!("{} cannot encrypt a form", path.display()))?,
                    )
                }
                None => None,
            };
            let options = template::FormOptions {
                public_key: key,
                submission_url,
            };
            template::xlsform_with(&dict, one_entity()?, &options)?
        }
    };
    std::fs::write(&out, bytes).with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "Wrote {}{}.",
        out.display(),
        if public_key.is_some() {
            " (encrypted form: keep the private key off the field server)"
        } else {
            ""
        }
    );
    Ok(())
}

/// `tessera check`: validate a file without storing anything (exit 1 with the report if it is
/// refused).
pub fn check(g: &Global, args: CheckArgs) -> Result<()> {
    let CheckArgs {
        entity,
        extension,
        odk,
        file,
    } = args;
    let lang = g.lang()?;
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
pub fn pseudonymise(g: &Global, args: PseudonymiseArgs) -> Result<()> {
    let PseudonymiseArgs {
        entity,
        extension,
        out,
        file,
    } = args;
    let lang = g.lang()?;
    let secret_file = g.secret_file.clone().context(
        "give the deployment secret file the coordination body sent: --secret-file (or TESSERA_SECRET_FILE)",
    )?;
    let dict = base_with(extension.as_deref())?;
    // Clear, or wrapped by a passphrase (TESSERA_SECRET_PASSPHRASE or ..._FILE).
    let secret = crate::secret::read_secret_file(&secret_file)?;
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
