//! The `tessera` command. A thin shell: every verb parses its arguments, calls the library crates
//! and turns their errors into one clear sentence.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_dictionary::{Dictionary, ProviderId, Role};
use tessera_intake::{
    ImportOptions, IntakeError, Limits, neutralise_formula, template, validate_stream,
};
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{
    Access, AuditKey, ImportRequest, ImportResult, ImportSource, Store, SubmissionStatus,
};

// Intake and linkage allocate many small strings; mimalloc measurably beats the system allocator there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The deployment extension the demo is collected under (Central African Republic).
const DEMO_EXTENSION: &str = include_str!("../../../dictionary/extensions/cf.toml");

/// The demo's National Action Plan indicators (4 Ps), shown on the NAP dashboard.
const DEMO_NAP: &str = include_str!("../../../config/nap/cf-demo.toml");

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "National data collection, monitoring and analysis on trafficking in persons and smuggling of migrants"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct DbArgs {
    /// SQLite file path, or a postgres:// URL.
    #[arg(long, env = "TESSERA_DB", default_value = "tessera.db")]
    db: String,
    /// File holding the deployment secret (hex) used to pseudonymise identifiers. Default: the
    /// SQLite file's path with `.key` appended. Never keep it inside the database.
    #[arg(long, env = "TESSERA_SECRET_FILE")]
    secret_file: Option<PathBuf>,
    /// File where the signed head of the audit log is written after every entry, outside the
    /// database, for `tessera audit verify` to catch removed or rewritten entries. Default: the
    /// SQLite file's path with `.audit-head` appended; with PostgreSQL, the secret file's.
    #[arg(long, env = "TESSERA_AUDIT_CHECKPOINT")]
    audit_checkpoint: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a database and its first administrator.
    Init {
        #[command(flatten)]
        db: DbArgs,
        /// Username of the first administrator.
        #[arg(long, default_value = "admin")]
        admin: String,
        /// Password of the first administrator (at least 12 characters).
        #[arg(long, env = "TESSERA_ADMIN_PASSWORD")]
        password: String,
        /// Deployment extension file (national regions, forms of exploitation, variables).
        #[arg(long)]
        extension: Option<PathBuf>,
    },
    /// Serve the web application.
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Fill an empty database with the demo deployment first (with one account per role,
        /// password `demo-password-2026`).
        #[arg(long)]
        demo: bool,
        /// Send cookies without the Secure flag. Only for plain-HTTP access on the loopback
        /// interface (the default when listening there); production runs behind TLS.
        #[arg(long)]
        insecure_cookies: bool,
        /// Let focal points pseudonymise CSV files in their browser before uploading them (the
        /// encoder compiled to WebAssembly). This hands the deployment secret to every focal
        /// point who uses it (each time audited), as giving their office the key file for
        /// `tessera pseudonymise` would. On with --demo.
        #[arg(long)]
        browser_pseudonymisation: bool,
    },
    /// Create a realistic demo deployment (Central African Republic) with ground truth for linkage.
    Demo {
        #[command(flatten)]
        db: DbArgs,
        /// Number of person records (victims, suspects, smuggled migrants) to generate.
        #[arg(long, default_value_t = 20_000)]
        records: usize,
        /// Random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to write the ground truth (provider, entity, provider_ref, person_id).
        #[arg(long, default_value = "tessera-truth.csv")]
        truth: PathBuf,
        /// Benchmarks only: also write every person record's invented identifiers in clear, with
        /// its true person, so other linkage tools (Splink…) can run on the same data.
        #[arg(long)]
        clear_out: Option<PathBuf>,
    },
    /// Validate a CSV or XLSX file (or an ODK/Kobo export) against the dictionary and store it,
    /// all or nothing.
    Import {
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
    },
    /// Generate a template to fill in: XLSX or CSV per provider type, or an XLSForm for ODK/Kobo.
    Template {
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
    },
    /// Reporting periods and submissions: list them with timeliness, submit, approve or return.
    Submission {
        #[command(flatten)]
        db: DbArgs,
        #[command(subcommand)]
        action: SubmissionAction,
    },
    /// Export an entity's records to CSV (identifiers are never there to export).
    Export {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        entity: String,
        /// Only this provider's records.
        #[arg(long)]
        provider: Option<String>,
        /// Output file; `-` for standard output.
        #[arg(long, default_value = "-")]
        out: PathBuf,
    },
    /// Validate a CSV or XLSX file without storing anything.
    Check {
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
    },
    /// Turn a filled template into one without names, birth dates, identity or phone numbers:
    /// they are replaced by their keyed encodings (one `pseudonyms` column), made with the
    /// deployment secret, so an office can send its records without identifiers leaving it.
    /// The result is a CSV that `tessera import` and the web upload accept like the original.
    Pseudonymise {
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
    },
    /// Print or validate the data dictionary and a deployment extension.
    Dictionary {
        /// Validate this folder instead of the embedded base dictionary.
        #[arg(long)]
        base: Option<PathBuf>,
        /// Deployment extension file to validate and apply.
        #[arg(long)]
        extension: Option<PathBuf>,
        /// Print the whole dictionary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Link CSV files of person records (or deduplicate one) without storing anything: columns
    /// record_id, provider, given_name, family_name, birth_date, sex, citizenship (and id_number,
    /// phone, address or street_number and street, locality, postcode) are encoded with a
    /// throw-away secret, then linked on the encodings only.
    Link {
        /// Input CSV file; repeat for several lists.
        #[arg(long = "input", required_unless_present = "db")]
        inputs: Vec<PathBuf>,
        /// Link the person records stored in this database instead (their pseudonyms only); the
        /// output then names records as provider,entity,provider_ref.
        #[arg(long)]
        db: Option<String>,
        /// Entity to link with --db.
        #[arg(long, default_value = "victim")]
        entity: String,
        /// With --db: the deployment secret file, whose audit key signs the run's audit entry
        /// (default: the SQLite file's path with `.key` appended).
        #[arg(long, env = "TESSERA_SECRET_FILE")]
        secret_file: Option<PathBuf>,
        /// With --db: the audit checkpoint file (see `tessera audit verify`).
        #[arg(long, env = "TESSERA_AUDIT_CHECKPOINT")]
        audit_checkpoint: Option<PathBuf>,
        /// Where to write `record_id,person_id`.
        #[arg(long)]
        out: PathBuf,
        /// Also write the scored pairs (probability ≥ 0.05) with each field's weight.
        #[arg(long)]
        pairs: Option<PathBuf>,
        /// Also write every compared pair (record_id_a,record_id_b), to measure the blocking.
        #[arg(long)]
        candidates: Option<PathBuf>,
        /// Column names that differ: `--map given_name=first_name` (repeatable).
        #[arg(long = "map")]
        maps: Vec<String>,
        /// link (pairs across lists only) or dedupe (all pairs); default: link for several
        /// inputs, dedupe for one.
        #[arg(long)]
        mode: Option<String>,
        /// Match probability from which records are linked (see the linkage section of the
        /// manual: the engine's probabilities are conservative).
        #[arg(long, default_value_t = tessera_linkage::DEFAULT_THRESHOLD)]
        threshold: f64,
    },
    /// Estimates: multiple systems estimation of hidden victims from list overlaps.
    Estimate {
        #[command(subcommand)]
        what: EstimateCommand,
    },
    /// The audit log: verify its hash chain, or list entries.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// User accounts and API tokens (the administrator's web page does the same).
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Recompute every hash from the first entry (keyed entries with the audit key drawn from the
    /// deployment secret), then compare the head with the signed checkpoint file: an altered,
    /// rehashed or removed entry, entries missing at the end, or a forged checkpoint are reported
    /// in one sentence (exit 2).
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print entries, newest first.
    List {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user.
    Add {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin, coordinator, analyst, focal_point, viewer or partner.
        #[arg(long)]
        role: String,
        /// The provider of a focal point or viewer.
        #[arg(long)]
        provider: Option<String>,
        #[arg(long, default_value = "en")]
        locale: String,
        /// At least 12 characters (better given through the environment).
        #[arg(long, env = "TESSERA_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List users.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Issue an API token acting as a user (printed once; only its hash is kept).
    Token {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
}

#[derive(Subcommand)]
enum EstimateCommand {
    /// Multiple systems estimation from a list-overlap table (one 0/1 column per list, then `count`).
    Mse {
        /// The overlap table (CSV).
        #[arg(long)]
        table: PathBuf,
        /// stepwise (UK Home Office), min-bic, bootstrap (BCa, selection repeated), or compare (all three).
        #[arg(long, default_value = "stepwise")]
        method: String,
        /// Fit this model instead of searching: `all-two-way`, `main`, or pairs like `LA:NG,NG:GO`.
        #[arg(long)]
        model: Option<String>,
        /// Confidence level of the interval.
        #[arg(long, default_value_t = 0.95)]
        level: f64,
        /// Bootstrap replicates.
        #[arg(long, default_value_t = 1000)]
        replicates: usize,
        /// Bootstrap seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print JSON (keys estimate, ci_low, ci_high, model, warnings, …).
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SubmissionAction {
    /// Every provider and period: status of the latest submission and days late.
    List,
    /// Send a draft or returned submission for review.
    Submit {
        id: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Approve a submitted submission (it is then locked).
    Approve {
        id: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Return a submitted submission to its provider with a comment.
    Return {
        id: i64,
        #[arg(long)]
        comment: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

fn secret_path(db: &DbArgs) -> Result<PathBuf> {
    if let Some(p) = &db.secret_file {
        return Ok(p.clone());
    }
    if db.db.starts_with("postgres") {
        bail!(
            "with PostgreSQL, give the deployment secret file with --secret-file or TESSERA_SECRET_FILE"
        );
    }
    Ok(PathBuf::from(format!(
        "{}.key",
        db.db.trim_start_matches("sqlite://")
    )))
}

/// Reads the deployment secret if there is one: a secret file that was named must exist; with
/// SQLite and no name, the default file may not exist yet.
fn load_secret(db: &DbArgs) -> Result<Option<Secret>> {
    if db.secret_file.is_none() && db.db.starts_with("postgres") {
        return Ok(None);
    }
    let path = secret_path(db)?;
    if db.secret_file.is_none() && !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the secret file {}", path.display()))?;
    Secret::from_hex(&text)
        .with_context(|| format!("the secret file {} is damaged", path.display()))
        .map(Some)
}

/// Loads the deployment secret, creating one (readable by its owner only) if there is none yet.
fn load_or_create_secret(db: &DbArgs) -> Result<Secret> {
    let path = secret_path(db)?;
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the secret file {}", path.display()))?;
        return Secret::from_hex(&text)
            .with_context(|| format!("the secret file {} is damaged", path.display()));
    }
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let secret = Secret::from_bytes(&bytes)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot create the secret file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(secret.to_hex().as_bytes())?;
    Ok(secret)
}

/// The audit checkpoint file: `--audit-checkpoint`, else beside the SQLite file, else beside the
/// secret file (a PostgreSQL deployment keeps its secret file on the application host, outside
/// the database, which is where the checkpoint must be too).
fn checkpoint_path(db: &DbArgs) -> Result<PathBuf> {
    if let Some(p) = &db.audit_checkpoint {
        return Ok(p.clone());
    }
    let beside = if db.db.starts_with("postgres") {
        secret_path(db)?
    } else {
        PathBuf::from(db.db.trim_start_matches("sqlite://"))
    };
    let mut name = beside.into_os_string();
    name.push(".audit-head");
    Ok(PathBuf::from(name))
}

/// Opens the store, keyed for the audit log when the deployment secret is there: its entries
/// are then signed and its head checkpointed outside the database. Commands that need the
/// secret anyway create it first (`load_or_create_secret`), so their entries are keyed too.
async fn open_store(db: &DbArgs) -> Result<Store> {
    let mut store = Store::open(&db.db).await?;
    if let Some(secret) = load_secret(db)? {
        store.set_audit_key(AuditKey::from_secret(&secret));
        store.set_audit_checkpoint(checkpoint_path(db)?);
    }
    Ok(store)
}

/// The dictionary the database was collected under: base plus its stored extension.
async fn dictionary_of(store: &Store) -> Result<Dictionary> {
    let base = Dictionary::base()?;
    Ok(match store.setting("dictionary_extension").await? {
        Some(text) => base.with_extension_text("stored extension", &text)?,
        None => base,
    })
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// The base dictionary, with a deployment extension file when one is given.
fn base_with(extension: Option<&Path>) -> Result<Dictionary> {
    let dict = Dictionary::base()?;
    Ok(match extension {
        Some(ext) => dict.with_extension(ext)?,
        None => dict,
    })
}

async fn run_demo(
    db: &DbArgs,
    records: usize,
    seed: u64,
    truth: &Path,
    clear_out: Option<&Path>,
) -> Result<()> {
    let secret = load_or_create_secret(db)?;
    let store = open_store(db).await?;
    if !store.providers().await?.is_empty() {
        bail!(
            "{} already holds data; the demo needs an empty database (remove the file or choose another --db)",
            db.db
        );
    }
    let dict =
        Dictionary::base()?.with_extension_text("dictionary/extensions/cf.toml", DEMO_EXTENSION)?;
    store
        .set_setting("dictionary_extension", DEMO_EXTENSION)
        .await?;
    let encoder: Arc<dyn tessera_pseudonym::Encoder> = Arc::new(KeyedEncoder::new(&secret));
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(truth)
            .with_context(|| format!("cannot write {}", truth.display()))?,
    );
    let pb = bar(records as u64, "person records");
    let started = std::time::Instant::now();
    let mut clear = match clear_out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => None,
    };
    let summary = tessera_demo::run_with_clear(
        &store,
        &dict,
        encoder,
        records,
        seed,
        &mut out,
        clear.as_mut().map(|w| w as &mut dyn Write),
        |n| pb.set_position(n as u64),
    )
    .await?;
    out.flush()?;
    if let Some(w) = clear.as_mut() {
        w.flush()?;
    }
    pb.finish_and_clear();
    tessera_demo::create_demo_users(&store).await?;
    store.set_setting("nap_plan", DEMO_NAP).await?;
    store
        .audit(
            "cli",
            "demo.create",
            &db.db,
            &format!("{{\"records\":{records},\"seed\":{seed}}}"),
        )
        .await?;
    let mut by: Vec<_> = summary.records_by_entity.iter().collect();
    by.sort();
    eprintln!(
        "Demo deployment written to {} in {:.1} s: {} persons behind {} person records, {} other records ({}). Ground truth: {}",
        db.db,
        started.elapsed().as_secs_f64(),
        summary.persons,
        summary.person_records,
        summary.other_records,
        by.iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        truth.display()
    );
    eprintln!(
        "Accounts, one per role: admin, coordinator, analyst, partner, fp-<provider> (focal point), view-<provider>; password \"{}\" (demo only).",
        tessera_demo::DEMO_PASSWORD
    );
    store.close().await;
    Ok(())
}

/// The `--mode` of `tessera link`, or `default` when none was given.
fn link_mode(mode: Option<&str>, default: tessera_linkage::Mode) -> Result<tessera_linkage::Mode> {
    Ok(match mode {
        Some("link") => tessera_linkage::Mode::Link,
        Some("dedupe") => tessera_linkage::Mode::Dedupe,
        Some(other) => bail!("unknown mode \"{other}\" (use link or dedupe)"),
        None => default,
    })
}

/// `tessera link --db`: the stored pseudonyms of one entity, linked across and within providers.
async fn link_store(
    db: &DbArgs,
    entity: &str,
    out: &Path,
    outputs: LinkOutputs<'_>,
    mode: Option<&str>,
    threshold: f64,
) -> Result<()> {
    use tessera_linkage::{Config, LinkInput, Mode, link};
    let store = open_store(db).await?;
    let started = std::time::Instant::now();
    let rows = store.pseudonyms(&Access::National, entity).await?;
    let mut providers: Vec<String> = Vec::new();
    let mut inputs = Vec::with_capacity(rows.len());
    for r in &rows {
        let source = match providers.iter().position(|p| *p == r.provider_id) {
            Some(i) => i,
            None => {
                providers.push(r.provider_id.clone());
                providers.len() - 1
            }
        };
        let pseudonyms = tessera_pseudonym::Pseudonyms {
            clk: tessera_pseudonym::Pseudonyms::clk_from_bytes(&r.clk),
            keys: tessera_pseudonym::Pseudonyms::keys_from_bytes(&r.pkeys)?,
            birth_year: r.birth_year.map(|y| y as i32),
        };
        inputs.push(LinkInput {
            source: source as u16,
            pseudonyms,
            sex: r.sex.clone(),
            citizenship: r.citizenship.clone(),
        });
    }
    let mode = link_mode(mode, Mode::Dedupe)?;
    let result = link(
        &inputs,
        &Config {
            mode,
            threshold,
            keep_candidates: outputs.candidates.is_some(),
            ..Config::default()
        },
    );
    if std::env::var_os("TESSERA_LINK_DEBUG").is_some() {
        eprintln!("{:?}", result.params);
        let mut sizes: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for p in &result.person {
            *sizes.entry(*p).or_default() += 1;
        }
        let mut v: Vec<usize> = sizes.values().copied().collect();
        v.sort_unstable();
        eprintln!("largest persons: {:?}", &v[v.len().saturating_sub(10)..]);
    }
    let ids: Vec<String> = rows
        .iter()
        .map(|r| format!("{}|{entity}|{}", r.provider_id, r.provider_ref))
        .collect();
    write_link_outputs(&outputs, &ids, &result)?;
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["provider", "entity", "provider_ref", "person_id"])?;
    for (i, r) in rows.iter().enumerate() {
        w.write_record([
            r.provider_id.as_str(),
            entity,
            r.provider_ref.as_str(),
            &format!("P{}", result.person[i]),
        ])?;
    }
    w.flush()?;
    store
        .audit(
            "cli",
            "linkage.run",
            entity,
            &serde_json::json!({ "records": rows.len(), "persons": result.stats.persons })
                .to_string(),
        )
        .await?;
    eprintln!(
        "Linked {} {entity} records of {} providers into {} persons in {:.1} s ({} candidate pairs).",
        rows.len(),
        providers.len(),
        result.stats.persons,
        started.elapsed().as_secs_f64(),
        result.stats.candidate_pairs
    );
    Ok(())
}

/// Records encoded per chunk when reading files.
const CHUNK: usize = 1 << 16;

/// Optional outputs of `tessera link` beyond the persons.
struct LinkOutputs<'a> {
    pairs: Option<&'a Path>,
    candidates: Option<&'a Path>,
}

/// Writes the scored pairs and the compared pairs of a run, when asked for.
fn write_link_outputs(
    outputs: &LinkOutputs<'_>,
    ids: &[String],
    result: &tessera_linkage::LinkResult,
) -> Result<()> {
    use tessera_linkage::FIELDS;
    if let Some(path) = outputs.candidates {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        w.write_record(["record_id_a", "record_id_b"])?;
        for &(a, b) in &result.candidates {
            w.write_record([ids[a as usize].as_str(), ids[b as usize].as_str()])?;
        }
        w.flush()?;
    }
    if let Some(path) = outputs.pairs {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut header = vec![
            "record_id_a".to_string(),
            "record_id_b".into(),
            "probability".into(),
            "weight".into(),
        ];
        header.extend(FIELDS.iter().map(|(f, _)| format!("{f}_weight")));
        w.write_record(&header)?;
        for p in result.pairs.iter().filter(|p| p.probability >= 0.05) {
            let mut row = vec![
                ids[p.a as usize].clone(),
                ids[p.b as usize].clone(),
                format!("{:.6}", p.probability),
                format!("{:.3}", p.weight),
            ];
            row.extend((0..FIELDS.len()).map(|f| {
                if p.levels[f] < 0 {
                    String::new()
                } else {
                    format!("{:.3}", result.params.field_weight(f, p.levels[f]))
                }
            }));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(())
}

/// Encodes one row of a file given to `tessera link` (`cols`: the positions of the recognised
/// columns, see `link_files`).
fn encode_link_row(
    encoder: &KeyedEncoder,
    cols: &[Option<usize>; 13],
    source: u16,
    rec: &csv::StringRecord,
) -> tessera_linkage::LinkInput {
    let get = |c: Option<usize>| {
        c.and_then(|i| rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // A street address in one column, or as number and street.
    let address = match get(cols[8]) {
        Some(a) => Some(std::borrow::Cow::Borrowed(a)),
        None => get(cols[10]).map(|street| match get(cols[9]) {
            Some(n) => format!("{n} {street}").into(),
            None => street.into(),
        }),
    };
    let ids_in = tessera_pseudonym::Identifiers {
        given_name: get(cols[0]),
        family_name: get(cols[1]),
        birth_date: get(cols[2]),
        id_number: get(cols[3]),
        phone: get(cols[4]),
        address: address.as_deref(),
        locality: get(cols[11]),
        postcode: get(cols[12]),
        ..Default::default()
    };
    tessera_linkage::LinkInput {
        source,
        pseudonyms: tessera_pseudonym::Encoder::encode(encoder, &ids_in),
        sex: get(cols[5]).map(str::to_string),
        citizenship: get(cols[6]).map(str::to_string),
    }
}

/// `tessera link`: read, encode, link, write.
fn link_files(
    inputs: &[PathBuf],
    out: &Path,
    outputs: LinkOutputs<'_>,
    maps: &[String],
    mode: Option<&str>,
    threshold: f64,
) -> Result<()> {
    use tessera_linkage::{Config, LinkInput, Mode, Prepared, link_prepared};
    let mut rename: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for m in maps {
        let (ours, theirs) = m
            .split_once('=')
            .with_context(|| format!("--map {m}: write ours=theirs, e.g. given_name=first_name"))?;
        rename.insert(theirs.trim().to_string(), ours.trim().to_string());
    }
    let mode = link_mode(
        mode,
        if inputs.len() > 1 {
            Mode::Link
        } else {
            Mode::Dedupe
        },
    )?;
    // The secret lives only as long as this command: nothing is stored, so nothing needs it later.
    let encoder = KeyedEncoder::new(&Secret::from_bytes(&rand::random::<[u8; 32]>())?);
    let started = std::time::Instant::now();
    let pb = ProgressBar::new_spinner();
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let mut ids: Vec<String> = Vec::new();
    // Room for every record up front (rows are at least ~50 bytes): growing a vector of a million
    // records copies it and touches fresh pages again and again. Unused room is never touched.
    let bytes: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut records = Prepared::with_capacity((bytes / 50).min(50_000_000) as usize);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut sources: Vec<String> = Vec::new();
    for path in inputs {
        pb.set_message(format!("reading and encoding {}", path.display()));
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let headers: Vec<String> = rdr
            .headers()?
            .iter()
            .map(|h| {
                rename
                    .get(h.trim())
                    .cloned()
                    .unwrap_or_else(|| h.trim().to_string())
            })
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let Some(id_col) = col("record_id") else {
            bail!(
                "{} has no record_id column (map yours with --map record_id=…)",
                path.display()
            );
        };
        let cols = [
            col("given_name"),
            col("family_name"),
            col("birth_date"),
            col("id_number"),
            col("phone"),
            col("sex"),
            col("citizenship"),
            col("provider"),
            col("address"),
            col("street_number"),
            col("street"),
            col("locality"),
            col("postcode"),
        ];
        if cols[..3].iter().all(Option::is_none) {
            bail!(
                "{} has none of given_name, family_name, birth_date: nothing to link on",
                path.display()
            );
        }
        // Rows are read in chunks and encoded on every core (the keyed hashes are most of the
        // cost) while this thread reads the next chunk; only the compact form of each record is
        // kept.
        let mut lines = rdr.records().enumerate();
        let mut read_chunk = |ids: &mut Vec<String>| -> Result<Vec<(u16, csv::StringRecord)>> {
            let mut chunk: Vec<(u16, csv::StringRecord)> = Vec::with_capacity(CHUNK);
            for (line, rec) in lines.by_ref().take(CHUNK) {
                let rec = rec.with_context(|| format!("{} line {}", path.display(), line + 2))?;
                let source_name = cols[7]
                    .and_then(|i| rec.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| path.display().to_string());
                let source = match sources.iter().position(|s| *s == source_name) {
                    Some(i) => i,
                    None => {
                        sources.push(source_name);
                        sources.len() - 1
                    }
                };
                ids.push(rec.get(id_col).unwrap_or_default().to_string());
                chunk.push((source.min(u16::MAX as usize) as u16, rec));
            }
            Ok(chunk)
        };
        let mut next = read_chunk(&mut ids)?;
        while !next.is_empty() {
            let chunk = std::mem::take(&mut next);
            let step = chunk.len().div_ceil(threads);
            let (encoded, read): (Vec<Vec<LinkInput>>, Result<_>) = std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .chunks(step)
                    .map(|part| {
                        let encoder = &encoder;
                        let cols = &cols;
                        s.spawn(move || {
                            part.iter()
                                .map(|(source, rec)| encode_link_row(encoder, cols, *source, rec))
                                .collect()
                        })
                    })
                    .collect();
                let read = read_chunk(&mut ids);
                let encoded = handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect();
                (encoded, read)
            });
            next = read?;
            for input in encoded.iter().flatten() {
                records.push(input);
            }
        }
    }
    let encoded_in = started.elapsed().as_secs_f64();
    pb.set_message(format!("linking {} records", records.len()));
    let result = link_prepared(
        records,
        &Config {
            mode,
            threshold,
            keep_candidates: outputs.candidates.is_some(),
            ..Config::default()
        },
    );
    pb.finish_and_clear();
    if std::env::var_os("TESSERA_LINK_DEBUG").is_some() {
        eprintln!("{:?}", result.params);
        eprintln!(
            "read and encode {:.2} s; {:?}",
            encoded_in, result.stats.seconds
        );
    }
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["record_id", "person_id"])?;
    for (i, id) in ids.iter().enumerate() {
        w.write_record([id.as_str(), &format!("P{}", result.person[i])])?;
    }
    w.flush()?;
    write_link_outputs(&outputs, &ids, &result)?;
    let s = &result.stats;
    eprintln!(
        "Linked {} records from {} list(s) into {} persons in {:.1} s: {} candidate pairs compared, {} linked (p ≥ {threshold}), {} oversized blocks skipped.",
        s.records,
        sources.len(),
        s.persons,
        started.elapsed().as_secs_f64(),
        s.candidate_pairs,
        s.linked_pairs,
        s.skipped_blocks
    );
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init {
            db,
            admin,
            password,
            extension,
        } => {
            // The secret first: the administrator's creation is the first keyed audit entry.
            load_or_create_secret(&db)?;
            let store = open_store(&db).await?;
            if store.count_users().await? > 0 {
                bail!(
                    "{} already has users; init creates the first administrator only",
                    db.db
                );
            }
            if let Some(ext) = extension {
                let text = std::fs::read_to_string(&ext)
                    .with_context(|| format!("cannot read {}", ext.display()))?;
                Dictionary::base()?.with_extension_text(&ext.display().to_string(), &text)?;
                store.set_setting("dictionary_extension", &text).await?;
            }
            store
                .create_user(&admin, "Administrator", &password, Role::Admin, None, "en")
                .await?;
            store
                .audit("cli", "user.create", &admin, "{\"role\":\"admin\"}")
                .await?;
            eprintln!("Created {} with administrator \"{admin}\".", db.db);
        }
        Command::Serve {
            db,
            listen,
            demo,
            insecure_cookies,
            browser_pseudonymisation,
        } => {
            if demo {
                let store = open_store(&db).await?;
                let empty = store.providers().await?.is_empty();
                store.close().await;
                if empty {
                    run_demo(&db, 20_000, 2026, Path::new("tessera-truth.csv"), None).await?;
                }
            }
            let secret = load_or_create_secret(&db)?;
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
            let encoder: Arc<dyn tessera_pseudonym::Encoder> = Arc::new(KeyedEncoder::new(&secret));
            let config = tessera_web::Config {
                secure_cookies: !(insecure_cookies || loopback),
                browser_secret: (browser_pseudonymisation || demo).then(|| secret.clone()),
                ..tessera_web::Config::default()
            };
            eprintln!("Tessera is serving {} on http://{listen}/", db.db);
            tessera_web::serve(
                listener,
                tessera_web::AppState::new(store, dict, encoder, config),
            )
            .await?;
        }
        Command::Demo {
            db,
            records,
            seed,
            truth,
            clear_out,
        } => run_demo(&db, records, seed, &truth, clear_out.as_deref()).await?,
        Command::Import {
            db,
            provider,
            entity,
            period,
            odk,
            lang,
            max_mb,
            file,
        } => {
            let secret = load_or_create_secret(&db)?;
            let store = open_store(&db).await?;
            let dict = Arc::new(dictionary_of(&store).await?);
            let pid = ProviderId::parse(&provider)?;
            let Some(prov) = store.provider(&pid).await? else {
                bail!("there is no provider \"{provider}\" in {}", db.db);
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
                Ok(ImportResult::Stored { rows, outcome }) => {
                    let detail = serde_json::json!({ "rows": rows, "inserted": outcome.inserted, "updated": outcome.updated, "submission": submission_id });
                    store
                        .audit(
                            "cli",
                            "records.import",
                            &format!("{provider}/{entity}"),
                            &detail.to_string(),
                        )
                        .await?;
                    eprintln!(
                        "Imported {}: {} new, {} updated{}.",
                        file.display(),
                        outcome.inserted,
                        outcome.updated,
                        submission_id
                            .map(|s| format!(" into submission {s}"))
                            .unwrap_or_default()
                    );
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
        }
        Command::Template {
            provider_type,
            format,
            entity,
            lang,
            extension,
            out,
        } => {
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
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("Wrote {}.", out.display());
        }
        Command::Submission { db, action } => {
            let store = open_store(&db).await?;
            let (id, next, actor, comment) = match action {
                SubmissionAction::List => {
                    println!(
                        "{:<24} {:<8} {:<10} {:<11} {:>9}",
                        "provider", "period", "status", "due", "days late"
                    );
                    for t in store.timeliness().await? {
                        println!(
                            "{:<24} {:<8} {:<10} {:<11} {:>9}",
                            t.provider_id,
                            t.period_id,
                            t.status.map(|s| s.as_str()).unwrap_or("missing"),
                            t.due_on.to_string(),
                            t.days_late.map(|d| d.to_string()).unwrap_or("-".into())
                        );
                    }
                    return Ok(());
                }
                SubmissionAction::Submit { id, actor } => {
                    (id, SubmissionStatus::Submitted, actor, None)
                }
                SubmissionAction::Approve { id, actor } => {
                    (id, SubmissionStatus::Approved, actor, None)
                }
                SubmissionAction::Return { id, comment, actor } => {
                    (id, SubmissionStatus::Returned, actor, Some(comment))
                }
            };
            store
                .set_submission_status(id, next, &actor, comment.as_deref())
                .await?;
            let detail = serde_json::json!({ "comment": comment });
            store
                .audit(
                    &actor,
                    &format!("submission.{}", next.as_str()),
                    &format!("submission/{id}"),
                    &detail.to_string(),
                )
                .await?;
            eprintln!("Submission {id} is now {}.", next.as_str());
        }
        Command::Export {
            db,
            entity,
            provider,
            out,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let ent = dict
                .entity(&entity)
                .with_context(|| format!("there is no entity \"{entity}\""))?;
            let access = match provider {
                Some(p) => Access::Provider(ProviderId::parse(&p)?),
                None => Access::National,
            };
            let total = store.count_records(&access, Some(&entity)).await?;
            let sink: Box<dyn Write> = if out.as_os_str() == "-" {
                Box::new(std::io::stdout().lock())
            } else {
                Box::new(
                    std::fs::File::create(&out)
                        .with_context(|| format!("cannot write {}", out.display()))?,
                )
            };
            let mut w = csv::Writer::from_writer(std::io::BufWriter::new(sink));
            let columns: Vec<&str> = ent.stored_variables().map(|v| v.code.as_str()).collect();
            let mut header = vec!["_provider"];
            header.extend(&columns);
            w.write_record(&header)?;
            let pb = bar(total as u64, "records");
            let mut after = 0;
            loop {
                let page = store.records(&access, &entity, after, 5000).await?;
                let Some(last) = page.last() else { break };
                after = last.id;
                for r in &page {
                    let mut row = vec![r.provider_id.clone()];
                    for c in &columns {
                        let cell = match r.data.get(*c) {
                            None | Some(serde_json::Value::Null) => String::new(),
                            Some(serde_json::Value::String(s)) => s.clone(),
                            Some(serde_json::Value::Array(a)) => a
                                .iter()
                                .map(|v| {
                                    v.as_str()
                                        .map(str::to_string)
                                        .unwrap_or_else(|| v.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(";"),
                            Some(v) => v.to_string(),
                        };
                        row.push(neutralise_formula(&cell).into_owned());
                    }
                    w.write_record(&row)?;
                }
                pb.inc(page.len() as u64);
            }
            w.flush()?;
            pb.finish_and_clear();
            store
                .audit(
                    "cli",
                    "records.export",
                    &entity,
                    &format!("{{\"records\":{total}}}"),
                )
                .await?;
        }
        Command::Pseudonymise {
            entity,
            secret_file,
            extension,
            lang,
            out,
            file,
        } => {
            let dict = base_with(extension.as_deref())?;
            let text = std::fs::read_to_string(&secret_file).with_context(|| {
                format!("cannot read the secret file {}", secret_file.display())
            })?;
            let secret = Secret::from_hex(&text)
                .with_context(|| format!("the secret file {} is damaged", secret_file.display()))?;
            let encoder = KeyedEncoder::new(&secret);
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
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
        }
        Command::Check {
            entity,
            extension,
            odk,
            lang,
            file,
        } => {
            let dict = base_with(extension.as_deref())?;
            // Checking needs no real secret: nothing is stored and the pseudonyms are thrown away.
            let encoder = KeyedEncoder::new(&Secret::from_bytes(&rand::random::<[u8; 32]>())?);
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
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
                Ok(s) => println!("{}: {} rows, no problems.", file.display(), s.rows),
                Err(IntakeError::Invalid(report)) => {
                    println!("{}: {}", file.display(), report.render(&lang));
                    std::process::exit(1);
                }
                Err(e) => bail!("{e}"),
            }
        }
        Command::Dictionary {
            base,
            extension,
            json,
        } => {
            let mut dict = match base {
                Some(dir) => Dictionary::load_dir(&dir)?,
                None => Dictionary::base()?,
            };
            if let Some(ext) = extension {
                dict = dict.with_extension(&ext)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&dict)?);
            } else {
                println!("Dictionary {} version {}", dict.id, dict.full_version());
                for e in dict.entities.values() {
                    println!(
                        "  entity {:<20} {:>3} variables  {}",
                        e.id,
                        e.variables.len(),
                        e.label.get("en")
                    );
                }
                for l in dict.codelists.values() {
                    let national = l.codes.iter().filter(|c| c.national).count();
                    println!(
                        "  code list {:<22} {:>4} codes{}  {}",
                        l.id,
                        l.codes.len(),
                        if national > 0 {
                            format!(" ({national} national)")
                        } else {
                            String::new()
                        },
                        l.standard
                    );
                }
                println!("OK: the dictionary is valid.");
            }
        }
        Command::Link {
            inputs,
            db: Some(db),
            entity,
            out,
            pairs,
            candidates,
            mode,
            threshold,
            secret_file,
            audit_checkpoint,
            ..
        } if inputs.is_empty() => {
            link_store(
                &DbArgs {
                    db,
                    secret_file,
                    audit_checkpoint,
                },
                &entity,
                &out,
                LinkOutputs {
                    pairs: pairs.as_deref(),
                    candidates: candidates.as_deref(),
                },
                mode.as_deref(),
                threshold,
            )
            .await?
        }
        Command::Link {
            inputs,
            out,
            pairs,
            candidates,
            maps,
            mode,
            threshold,
            ..
        } => link_files(
            &inputs,
            &out,
            LinkOutputs {
                pairs: pairs.as_deref(),
                candidates: candidates.as_deref(),
            },
            &maps,
            mode.as_deref(),
            threshold,
        )?,
        Command::Estimate {
            what:
                EstimateCommand::Mse {
                    table,
                    method,
                    model,
                    level,
                    replicates,
                    seed,
                    json,
                },
        } => {
            use tessera_estimate::{Method, Model, OverlapTable, estimate};
            if !(0.5..1.0).contains(&level) {
                bail!("the level must be between 0.5 and 1 (e.g. 0.95)");
            }
            let text = std::fs::read_to_string(&table)
                .with_context(|| format!("cannot read {}", table.display()))?;
            let t = OverlapTable::from_csv(&text)?;
            let methods: Vec<Method> = match (model.as_deref(), method.as_str()) {
                (Some(spec), _) => {
                    let k = t.lists.len();
                    let pairs = match spec {
                        "all-two-way" => (0..k)
                            .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
                            .collect(),
                        "main" => Vec::new(),
                        list => {
                            list.split(',')
                                .map(|p| {
                                    let (a, b) = p.trim().split_once(':').with_context(|| {
                                        format!("\"{p}\" is not a pair like A:B")
                                    })?;
                                    let idx = |n: &str| {
                                        t.lists
                                            .iter()
                                            .position(|l| l == n.trim())
                                            .with_context(|| format!("there is no list \"{n}\""))
                                    };
                                    let (i, j) = (idx(a)?, idx(b)?);
                                    Ok((i.min(j), i.max(j)))
                                })
                                .collect::<Result<Vec<_>>>()?
                        }
                    };
                    vec![Method::Fixed(Model { pairs })]
                }
                (None, "stepwise") => vec![Method::Stepwise],
                (None, "min-bic") => vec![Method::MinBic],
                (None, "bootstrap") => vec![Method::Bootstrap { replicates, seed }],
                (None, "compare") => vec![
                    Method::Stepwise,
                    Method::MinBic,
                    Method::Bootstrap { replicates, seed },
                ],
                (None, other) => bail!(
                    "unknown method \"{other}\" (use stepwise, min-bic, bootstrap or compare)"
                ),
            };
            let results: Vec<_> = methods
                .iter()
                .map(|m| (m.name(), estimate(&t, m, level)))
                .collect();
            if json {
                let out: Vec<serde_json::Value> = results
                    .iter()
                    .map(|(name, r)| match r {
                        Ok(e) => serde_json::to_value(e).unwrap_or_default(),
                        Err(e) => serde_json::json!({ "method": name, "estimate": null, "ci_low": null, "ci_high": null, "model": null, "warnings": [e.to_string()] }),
                    })
                    .collect();
                let value = if out.len() == 1 {
                    out.into_iter().next().unwrap_or_default()
                } else {
                    serde_json::Value::Array(out)
                };
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else {
                println!(
                    "{} persons observed on {} lists ({})",
                    t.observed(),
                    t.lists.len(),
                    t.lists.join(", ")
                );
                for (name, r) in &results {
                    match r {
                        Ok(e) => {
                            println!(
                                "\n{name}: estimate {:.0}, {:.0}% interval [{:.0}, {:.0}]",
                                e.estimate,
                                e.level * 100.0,
                                e.ci_low,
                                e.ci_high
                            );
                            println!("  model: {}", e.model);
                            for w in &e.warnings {
                                println!("  warning: {w}");
                            }
                            println!("  {}", e.explanation);
                        }
                        Err(e) => println!("\n{name}: {e}"),
                    }
                }
            }
            if results.iter().all(|(_, r)| r.is_err()) {
                std::process::exit(3);
            }
        }
        Command::Audit {
            what: AuditCommand::Verify { db },
        } => {
            let store = open_store(&db).await?;
            let verdict = store.verify_audit().await?;
            // One sentence either way, the same the audit page shows.
            println!("{verdict}");
            if !verdict.is_intact() {
                std::process::exit(2);
            }
            match store.audit_checkpoint().filter(|_| store.has_audit_key()) {
                Some(path) if path.exists() => {
                    println!("Its head matches the signed checkpoint {}.", path.display())
                }
                Some(path) => println!(
                    "There is no signed checkpoint yet ({}): the log holds no keyed entry.",
                    path.display()
                ),
                None => println!(
                    "No deployment secret was found and the log is unkeyed: entries removed from its end would go unnoticed."
                ),
            }
        }
        Command::Audit {
            what:
                AuditCommand::List {
                    db,
                    actor,
                    action,
                    limit,
                },
        } => {
            let store = open_store(&db).await?;
            for e in store
                .audit_entries(actor.as_deref(), action.as_deref(), limit)
                .await?
            {
                println!(
                    "{:>6}  {}  {:<20} {:<28} {:<30} {}",
                    e.seq, e.at, e.actor, e.action, e.object, e.detail
                );
            }
        }
        Command::User { what } => match what {
            UserCommand::Add {
                db,
                username,
                name,
                role,
                provider,
                locale,
                password,
            } => {
                let store = open_store(&db).await?;
                let role = Role::parse(&role)?;
                let provider = provider.as_deref().map(ProviderId::parse).transpose()?;
                let u = store
                    .create_user(
                        &username,
                        &name,
                        &password,
                        role,
                        provider.as_ref(),
                        &locale,
                    )
                    .await?;
                store
                    .audit(
                        "cli",
                        "user.create",
                        &u.username,
                        &format!("{{\"role\":\"{}\"}}", role.as_str()),
                    )
                    .await?;
                eprintln!("Created {} ({}).", u.username, role.as_str());
            }
            UserCommand::List { db } => {
                let store = open_store(&db).await?;
                for u in store.users().await? {
                    println!(
                        "{:<40} {:<12} {:<28} {}{}",
                        u.username,
                        u.role.as_str(),
                        u.provider_id.as_ref().map(|p| p.as_str()).unwrap_or("-"),
                        if u.disabled { "disabled" } else { "active" },
                        if u.totp_enabled { ", 2FA" } else { "" }
                    );
                }
            }
            UserCommand::Token {
                db,
                username,
                label,
            } => {
                let store = open_store(&db).await?;
                let Some(u) = store.user(&username).await? else {
                    bail!("there is no user \"{username}\"");
                };
                let token = store.create_api_token(u.id, &label).await?;
                store
                    .audit(
                        "cli",
                        "user.token",
                        &u.username,
                        &format!("{{\"label\":\"{label}\"}}"),
                    )
                    .await?;
                println!("{token}");
            }
        },
    }
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    // The server logs each new head of the audit log (seq and hash): kept by the log collector
    // off the host, these lines witness removed entries even if the checkpoint file is replaced.
    let default_filter = match cli.command {
        Command::Serve { .. } => "warn,tessera_store::audit=info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TESSERA_LOG")
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
