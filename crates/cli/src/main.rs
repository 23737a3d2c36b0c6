//! The `tessera` command. A thin shell: every verb parses its arguments, calls the library crates
//! and turns their errors into one clear sentence.
//!
//! One module per verb group; this file holds the list of verbs, the dispatch and the error
//! sentence. A new verb is a module with its arguments and a `run`, one variant below and one
//! arm in `run`.

mod agreement;
mod audit;
mod backup;
mod common;
mod dictionary;
mod estimate;
mod export;
mod import;
mod link;
mod nap;
mod period;
mod provider;
mod release;
mod report;
mod retention;
mod secret;
mod serve;
mod submission;
mod user;

use anyhow::{Result, bail};
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::common::Global;

// Intake and linkage allocate many small strings; mimalloc measurably beats the system allocator there.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tessera",
    version,
    about = "National data collection, monitoring and analysis on trafficking in persons and smuggling of migrants"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

// Each verb's one-line description is here (it is the verb's `--help` heading); its flags and
// their help are with its code, in its module.
#[derive(Subcommand)]
enum Command {
    /// Create a database and its first administrator.
    Init(serve::InitArgs),
    /// Serve the web application.
    Serve(serve::ServeArgs),
    /// Create a realistic demo deployment (Central African Republic) with ground truth for linkage.
    Demo(serve::DemoArgs),
    /// Validate a CSV or XLSX file (or an ODK/Kobo export) against the dictionary and store it,
    /// all or nothing.
    Import(import::ImportArgs),
    /// Generate a template to fill in: XLSX or CSV per provider type, or an XLSForm for ODK/Kobo.
    Template(import::TemplateArgs),
    /// Reporting periods and submissions: list them with timeliness, submit, approve or return.
    Submission(submission::SubmissionArgs),
    /// Export an entity's records to CSV (identifiers are never there to export).
    Export(export::ExportArgs),
    /// Validate a CSV or XLSX file without storing anything.
    Check(import::CheckArgs),
    /// Turn a filled template into one without names, birth dates, identity or phone numbers:
    /// they are replaced by their keyed encodings (one `pseudonyms` column), made with the
    /// deployment secret, so an office can send its records without identifiers leaving it.
    /// The result is a CSV that `tessera import` and the web upload accept like the original.
    Pseudonymise(import::PseudonymiseArgs),
    /// Print or validate the data dictionary and a deployment extension.
    Dictionary(dictionary::DictionaryArgs),
    /// Link CSV files of person records (or deduplicate one) without storing anything: columns
    /// record_id, provider, given_name, family_name, birth_date, sex, citizenship (and id_number,
    /// phone, address or street_number and street, locality, postcode) are encoded with a
    /// throw-away secret, then linked on the encodings only.
    Link(link::LinkArgs),
    /// Estimates: multiple systems estimation of hidden victims from list overlaps.
    Estimate {
        #[command(subcommand)]
        what: estimate::EstimateCommand,
    },
    /// The audit log: verify its hash chain, or list entries.
    Audit {
        #[command(subcommand)]
        what: audit::AuditCommand,
    },
    /// User accounts and API tokens (the administrator's web page does the same).
    User {
        #[command(subcommand)]
        what: user::UserCommand,
    },
    /// The registry of data providers: add, edit, list, retire, or register a whole list.
    Provider {
        #[command(subcommand)]
        what: provider::ProviderCommand,
    },
    /// Data-sharing agreements (MoUs): what each provider shares, at which level, when.
    Agreement {
        #[command(subcommand)]
        what: agreement::AgreementCommand,
    },
    /// The reporting calendar: periods, due dates, closing.
    Period {
        #[command(subcommand)]
        what: period::PeriodCommand,
    },
    /// The National Action Plan: load its indicators, baselines and targets.
    Nap {
        #[command(subcommand)]
        what: nap::NapCommand,
    },
    /// International returns from approved data: UNODC GLOTIP and Eurostat tables (CSV, XLSX),
    /// SDMX-CSV, DHIS2 dataValueSets; small cells suppressed.
    Report {
        #[command(subcommand)]
        what: report::ReportCommand,
    },
    /// Releases for partners and researchers from approved data on unique persons:
    /// differentially private tables and synthetic microdata, under the deployment's privacy
    /// budget.
    Release {
        #[command(subcommand)]
        what: release::ReleaseCommand,
    },
    /// Back the whole deployment up into one verified file, online (imports may go on).
    Backup(backup::BackupArgs),
    /// Restore a backup into a fresh database (SQLite or PostgreSQL) and verify its audit log.
    Restore(backup::RestoreArgs),
    /// The deployment secret at rest: wrap it under a passphrase, re-wrap, unwrap, fingerprint.
    Secret {
        #[command(subcommand)]
        what: secret::SecretCommand,
    },
    /// Retention rules per entity, and their application (a dry run unless --execute).
    Retention {
        #[command(subcommand)]
        what: retention::RetentionCommand,
    },
    /// A person's records: delete them on a lawful request.
    Person {
        #[command(subcommand)]
        what: retention::PersonCommand,
    },
}

impl Command {
    /// The verb as typed, for messages.
    fn name(&self) -> &'static str {
        match self {
            Command::Init(_) => "init",
            Command::Serve(_) => "serve",
            Command::Demo(_) => "demo",
            Command::Import(_) => "import",
            Command::Template(_) => "template",
            Command::Submission(_) => "submission",
            Command::Export(_) => "export",
            Command::Check(_) => "check",
            Command::Pseudonymise(_) => "pseudonymise",
            Command::Dictionary(_) => "dictionary",
            Command::Link(_) => "link",
            Command::Estimate { .. } => "estimate",
            Command::Audit { .. } => "audit",
            Command::User { .. } => "user",
            Command::Provider { .. } => "provider",
            Command::Agreement { .. } => "agreement",
            Command::Period { .. } => "period",
            Command::Nap { .. } => "nap",
            Command::Report { .. } => "report",
            Command::Release { .. } => "release",
            Command::Backup(_) => "backup",
            Command::Restore(_) => "restore",
            Command::Secret { .. } => "secret",
            Command::Retention { .. } => "retention",
            Command::Person { .. } => "person",
        }
    }

    /// Whether the verb opens the database (and so reads its secret and audit checkpoint).
    fn uses_database(&self) -> bool {
        match self {
            Command::Template(_)
            | Command::Check(_)
            | Command::Pseudonymise(_)
            | Command::Dictionary(_)
            | Command::Estimate { .. } => false,
            Command::Link(args) => args.reads_database(),
            _ => true,
        }
    }

    /// Whether the verb reads the deployment secret file.
    fn uses_secret(&self) -> bool {
        matches!(self, Command::Pseudonymise(_)) || self.uses_database()
    }
}

/// Refuses a global option typed for a verb it does not apply to (one set in the environment
/// is simply not used).
fn refuse_inapplicable(cli: &Cli, matches: &clap::ArgMatches) -> Result<()> {
    let typed = |id: &str| {
        let here = matches.value_source(id);
        let below = matches
            .subcommand()
            .and_then(|(_, m)| m.value_source(id))
            .or_else(|| {
                matches
                    .subcommand()
                    .and_then(|(_, m)| m.subcommand())
                    .and_then(|(_, m)| m.value_source(id))
            });
        [here, below].contains(&Some(ValueSource::CommandLine))
    };
    let verb = cli.command.name();
    if !cli.command.uses_database() {
        for (id, flag) in [("db", "--db"), ("audit_checkpoint", "--audit-checkpoint")] {
            if typed(id) {
                bail!("{flag} does not apply to `tessera {verb}`: it reads no database");
            }
        }
    }
    if !cli.command.uses_secret() && typed("secret_file") {
        bail!("--secret-file does not apply to `tessera {verb}`: it uses no deployment secret");
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    let g = &cli.global;
    match cli.command {
        Command::Init(args) => serve::init(g, args).await,
        Command::Serve(args) => serve::serve(g, args).await,
        Command::Demo(args) => serve::demo(g, args).await,
        Command::Import(args) => import::import(g, args).await,
        Command::Template(args) => import::template(g, args),
        Command::Submission(args) => submission::run(g, args).await,
        Command::Export(args) => export::run(g, args).await,
        Command::Check(args) => import::check(g, args),
        Command::Pseudonymise(args) => import::pseudonymise(g, args),
        Command::Dictionary(args) => dictionary::run(g, args),
        Command::Link(args) => link::run(g, args).await,
        Command::Estimate { what } => estimate::run(what),
        Command::Audit { what } => audit::run(g, what).await,
        Command::User { what } => user::run(g, what).await,
        Command::Provider { what } => provider::run(g, what).await,
        Command::Agreement { what } => agreement::run(g, what).await,
        Command::Period { what } => period::run(g, what).await,
        Command::Nap { what } => nap::run(g, what).await,
        Command::Report { what } => report::run(g, what).await,
        Command::Release { what } => release::run(g, what).await,
        Command::Backup(args) => backup::backup(g, args).await,
        Command::Restore(args) => backup::restore(g, args).await,
        Command::Secret { what } => secret::run(g, what),
        Command::Retention { what } => retention::retention(g, what).await,
        Command::Person { what } => retention::person(g, what).await,
    }
}

fn main() {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    if let Err(e) = refuse_inapplicable(&cli, &matches) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
    // The server logs each new head of the audit log (seq and hash): kept by the log collector
    // off the host, these lines witness removed entries even if the checkpoint file is replaced.
    let default_filter = match cli.command {
        Command::Serve(_) => "warn,tessera_store::audit=info",
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
