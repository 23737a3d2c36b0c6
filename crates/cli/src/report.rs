//! `tessera report`: the international returns — UNODC GLOTIP and Eurostat tables as CSV or
//! XLSX, the same as SDMX-CSV or as a DHIS2 `dataValueSets` document — from approved data,
//! through the dictionary's mappings, with the deployment's disclosure control
//! (`crates/outputs`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use tessera_outputs::{Kind, Return, dhis2, files, sdmx};

use crate::common::{Global, dictionary_of, open_store};

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The annual country report from approved data: cover, executive summary with the change
    /// on the previous year, chapters on victims, criminal justice, smuggling (and how
    /// trafficking and smuggling cases relate), assistance and referral, the National Action
    /// Plan, data quality and methodology, annex tables; every table and chart under the
    /// deployment's disclosure control. HTML (self-contained), PDF, or DOCX (Word, written
    /// without any office software; each chart given as the table it draws).
    Annual(AnnualArgs),
    /// UNODC GLOTIP questionnaire tables: detected victims by sex, age group, form of
    /// exploitation and citizenship; persons suspected, prosecuted and convicted by sex, age
    /// and citizenship.
    Glotip(TablesArgs),
    /// Eurostat trafficking-in-human-beings tables (crim_thb): persons by legal status and sex,
    /// registered victims by sex and age, form of exploitation and citizenship group,
    /// traffickers by sex, age and citizenship group.
    Eurostat(TablesArgs),
    /// The GLOTIP or Eurostat tables as SDMX-CSV (1.0: DATAFLOW column; 2.0: STRUCTURE columns).
    Sdmx(SdmxArgs),
    /// The GLOTIP or Eurostat tables as a DHIS2 dataValueSets JSON document.
    Dhis2(Dhis2Args),
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Pdf,
    Docx,
}

#[derive(Args)]
pub struct AnnualArgs {
    /// Reference year.
    #[arg(long)]
    year: i32,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// html, pdf or docx. Default: from the file name's extension, else html.
    #[arg(long, value_enum)]
    format: Option<ReportFormat>,
    /// The deployment's layout (TOML: logo, title, chapter order, preface, templates). Default:
    /// the built-in config/report/default.toml.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// What every return takes.
#[derive(Args)]
pub struct ReturnArgs {
    /// Reference year.
    #[arg(long)]
    year: i32,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// Count persons (records linked across providers count once) instead of records.
    #[arg(long)]
    persons: bool,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

#[derive(Args)]
pub struct TablesArgs {
    #[command(flatten)]
    common: ReturnArgs,
    /// csv (one tidy table, a row per figure) or xlsx (a sheet per table). Default: from the
    /// file name's extension, else csv.
    #[arg(long, value_enum)]
    format: Option<TableFormat>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Which {
    Glotip,
    Eurostat,
}

impl Which {
    fn kind(self) -> Kind {
        match self {
            Which::Glotip => Kind::Glotip,
            Which::Eurostat => Kind::Eurostat,
        }
    }
}

#[derive(Args)]
pub struct SdmxArgs {
    #[command(flatten)]
    common: ReturnArgs,
    /// Which tables.
    #[arg(long, value_enum, default_value = "eurostat")]
    tables: Which,
    /// SDMX-CSV version: 1.0 (DATAFLOW first) or 2.0 (STRUCTURE, STRUCTURE_ID, ACTION first).
    #[arg(long, default_value = "1.0")]
    sdmx_version: String,
}

#[derive(Args)]
pub struct Dhis2Args {
    #[command(flatten)]
    common: ReturnArgs,
    /// Which tables.
    #[arg(long, value_enum, default_value = "glotip")]
    tables: Which,
    /// The deployment's DHIS2 ids (TOML; see --write-mapping). Default: ids made from the
    /// codes, in DHIS2's CODE scheme.
    #[arg(long)]
    mapping: Option<PathBuf>,
    /// Also write the mapping used (the default one if --mapping is not given) to this file, to
    /// edit with your DHIS2's ids.
    #[arg(long)]
    write_mapping: Option<PathBuf>,
}

pub async fn run(g: &Global, what: ReportCommand) -> Result<()> {
    match what {
        ReportCommand::Annual(args) => annual(g, args).await,
        ReportCommand::Glotip(args) => tables(g, Kind::Glotip, args).await,
        ReportCommand::Eurostat(args) => tables(g, Kind::Eurostat, args).await,
        ReportCommand::Sdmx(args) => {
            let version = sdmx::Version::parse(&args.sdmx_version).with_context(|| {
                format!("--sdmx-version \"{}\" is not 1.0 or 2.0", args.sdmx_version)
            })?;
            let ret = build(g, args.tables.kind(), &args.common).await?;
            write(&args.common.out, sdmx::csv(&ret, version).as_bytes())?;
            done(&ret, &args.common.out, "SDMX-CSV");
            Ok(())
        }
        ReportCommand::Dhis2(args) => {
            let ret = build(g, args.tables.kind(), &args.common).await?;
            let mapping = match &args.mapping {
                Some(p) => {
                    let text = std::fs::read_to_string(p)
                        .with_context(|| format!("cannot read {}", p.display()))?;
                    dhis2::Mapping::from_toml(&text)
                        .with_context(|| format!("{} is not a valid DHIS2 mapping", p.display()))?
                }
                None => dhis2::Mapping::default_for(&ret),
            };
            if let Some(p) = &args.write_mapping {
                write(p, mapping.to_toml().as_bytes())?;
                eprintln!("Wrote the DHIS2 mapping to {}.", p.display());
            }
            let export = dhis2::data_value_set(&ret, &mapping)?;
            let json = serde_json::to_string_pretty(&export.json)?;
            write(&args.common.out, json.as_bytes())?;
            done(&ret, &args.common.out, "DHIS2 dataValueSets");
            eprintln!(
                "{} values; {} hidden cells not sent. Import with POST /api/dataValueSets?idScheme={}{}.",
                export.values,
                export.hidden,
                mapping.id_scheme.to_ascii_uppercase(),
                if args.mapping.is_none() {
                    " (default ids made from the codes: write them with --write-mapping, set your DHIS2's ids, pass the file with --mapping)"
                } else {
                    ""
                }
            );
            if !export.missing_ids.is_empty() {
                eprintln!(
                    "Left out, no id in the mapping: {}.",
                    export.missing_ids.join(", ")
                );
            }
            Ok(())
        }
    }
}

async fn build(g: &Global, kind: Kind, args: &ReturnArgs) -> Result<Return> {
    let lang = g.lang()?;
    let store = open_store(&g.db()).await?;
    let dict = dictionary_of(&store).await?;
    Ok(tessera_outputs::from_store(&store, &dict, kind, args.year, &lang, args.persons).await?)
}

async fn tables(g: &Global, kind: Kind, args: TablesArgs) -> Result<()> {
    let format = args.format.unwrap_or_else(|| {
        match args
            .common
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xlsx") => TableFormat::Xlsx,
            _ => TableFormat::Csv,
        }
    });
    let ret = build(g, kind, &args.common).await?;
    let bytes = match format {
        TableFormat::Csv => files::csv(&ret).into_bytes(),
        TableFormat::Xlsx => files::xlsx(&ret)?,
    };
    write(&args.common.out, &bytes)?;
    done(
        &ret,
        &args.common.out,
        match format {
            TableFormat::Csv => "CSV",
            TableFormat::Xlsx => "XLSX",
        },
    );
    Ok(())
}

async fn annual(g: &Global, args: AnnualArgs) -> Result<()> {
    let lang = g.lang()?;
    let format = args.format.unwrap_or_else(|| {
        match args
            .out
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("pdf") => ReportFormat::Pdf,
            Some("docx") => ReportFormat::Docx,
            _ => ReportFormat::Html,
        }
    });
    if format == ReportFormat::Pdf && !tessera_report::PDF_AVAILABLE {
        bail!(
            "this tessera was built without PDF (cargo feature pdf); use --format html or docx, or rebuild with the default features"
        );
    }
    let config = match &args.config {
        Some(p) => tessera_report::Config::from_file(p)?,
        None => tessera_report::Config::default_layout(),
    };
    let store = open_store(&g.db()).await?;
    let dict = dictionary_of(&store).await?;
    // With the sentences edited by hand on the web page applied, as the page downloads it.
    let (report, applied) =
        tessera_report::from_store_published(&store, &dict, args.year, &lang, &config).await?;
    let bytes = match format {
        ReportFormat::Html => tessera_report::html::render(&report, &config)?.into_bytes(),
        ReportFormat::Pdf => pdf(&report, &config)?,
        ReportFormat::Docx => tessera_report::docx::render(&report, &config)?,
    };
    write(&args.out, &bytes)?;
    eprintln!(
        "{} edited sentence{} applied.",
        applied.edited.len(),
        if applied.edited.len() == 1 { "" } else { "s" }
    );
    if !applied.stale.is_empty() {
        eprintln!(
            "Edited sentences not applied (no such sentence in this report, or not plain text; remove them on the web page /reports): {}.",
            applied.stale.join(", ")
        );
    }
    eprintln!(
        "Wrote the annual report for {} ({}, {} sections, {} tables, {} charts; {}) to {} as {}.",
        report.meta.year,
        report.meta.country_name,
        report.sections.len(),
        report.tables.len(),
        report.figures.len(),
        tessera_outputs::Protection {
            threshold: report.meta.threshold,
            rounding: report.meta.rounding,
        }
        .short(),
        args.out.display(),
        match format {
            ReportFormat::Html => "HTML",
            ReportFormat::Pdf => "PDF",
            ReportFormat::Docx => "DOCX",
        }
    );
    Ok(())
}

#[cfg(feature = "pdf")]
fn pdf(report: &tessera_report::Report, config: &tessera_report::Config) -> Result<Vec<u8>> {
    Ok(tessera_report::pdf::render(report, config)?)
}

#[cfg(not(feature = "pdf"))]
fn pdf(_: &tessera_report::Report, _: &tessera_report::Config) -> Result<Vec<u8>> {
    bail!("this tessera was built without PDF (cargo feature pdf)")
}

fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

/// One sentence on what was written, the protection applied and every footnote on mappings.
fn done(ret: &Return, out: &Path, what: &str) {
    let cells: usize = ret.tables.iter().map(|t| t.table.rows.len()).sum();
    let hidden: usize = ret
        .tables
        .iter()
        .flat_map(|t| &t.table.rows)
        .filter(|r| r.values.iter().any(Option::is_none))
        .count();
    eprintln!(
        "Wrote the {} for {} ({}, {} tables, {} cells, {} hidden; {}) to {} as {what}.",
        ret.title,
        ret.year,
        ret.unit,
        ret.tables.len(),
        cells,
        hidden,
        ret.protection.short(),
        out.display()
    );
    for n in &ret.notes {
        eprintln!("Note: {n}");
    }
}
