//! The `tessera` command. A thin shell: every verb parses its arguments, calls the library crates
//! and turns their errors into one clear sentence.
//!
//! One module per verb group; this file holds the list of verbs, the dispatch and the error
//! sentence. A new verb is a module with its arguments and a `run`, one variant below and one
//! arm in `run`.

mod agreement;
mod audit;
mod common;
mod dictionary;
mod estimate;
mod export;
mod import;
mod link;
mod nap;
mod period;
mod provider;
mod report;
mod serve;
mod submission;
mod user;

use anyhow::Result;
use clap::{Parser, Subcommand};

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
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Init(args) => serve::init(args).await,
        Command::Serve(args) => serve::serve(args).await,
        Command::Demo(args) => serve::demo(args).await,
        Command::Import(args) => import::import(args).await,
        Command::Template(args) => import::template(args),
        Command::Submission(args) => submission::run(args).await,
        Command::Export(args) => export::run(args).await,
        Command::Check(args) => import::check(args),
        Command::Pseudonymise(args) => import::pseudonymise(args),
        Command::Dictionary(args) => dictionary::run(args),
        Command::Link(args) => link::run(args).await,
        Command::Estimate { what } => estimate::run(what),
        Command::Audit { what } => audit::run(what).await,
        Command::User { what } => user::run(what).await,
        Command::Provider { what } => provider::run(what).await,
        Command::Agreement { what } => agreement::run(what).await,
        Command::Period { what } => period::run(what).await,
        Command::Nap { what } => nap::run(what).await,
        Command::Report { what } => report::run(what).await,
    }
}

fn main() {
    let cli = Cli::parse();
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
