//! `tessera export`: an entity's records to CSV, page by page, with each record's id, version
//! and submission (status, period, day of approval) before its values.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tessera_dictionary::ProviderId;
use tessera_store::{Access, ExportOptions, actions};

use crate::common::{Global, bar, dictionary_of, open_store};

#[derive(clap::Args)]
pub struct ExportArgs {
    #[arg(long)]
    entity: String,
    /// Only this provider's records.
    #[arg(long)]
    provider: Option<String>,
    /// Write the file for a spreadsheet (Excel, LibreOffice): a UTF-8 byte-order mark so
    /// accents read right, and text that a spreadsheet would run as a formula prefixed with
    /// `'`. Without it the values are exactly as stored, for pandas, R or Stata.
    #[arg(long, visible_alias = "excel")]
    bom: bool,
    /// Output file; `-` for standard output.
    #[arg(long, default_value = "-")]
    out: PathBuf,
}

pub async fn run(g: &Global, args: ExportArgs) -> Result<()> {
    let db = g.db();
    let ExportArgs {
        entity,
        provider,
        bom,
        out,
    } = args;
    let store = open_store(&db).await?;
    let dict = dictionary_of(&store).await?;
    dict.entity(&entity)
        .with_context(|| format!("there is no entity \"{entity}\""))?;
    let access = match provider {
        Some(p) => Access::Provider(ProviderId::parse(&p)?),
        None => Access::National,
    };
    let total = store.count_records(&access, Some(&entity)).await?;
    let mut sink: Box<dyn Write + Send> = if out.as_os_str() == "-" {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::File::create(&out)
                .with_context(|| format!("cannot write {}", out.display()))?,
        )
    };
    let mut w = std::io::BufWriter::new(&mut sink);
    let pb = bar(total as u64, "records");
    let written = store
        .export_csv(
            &dict,
            &access,
            &entity,
            ExportOptions { spreadsheet: bom },
            &mut w,
            &mut |n| pb.inc(n as u64),
        )
        .await?;
    w.flush()
        .with_context(|| format!("cannot write {}", out.display()))?;
    pb.finish_and_clear();
    store
        .audit(
            "cli",
            actions::RECORDS_EXPORT,
            &entity,
            &format!("{{\"records\":{written},\"spreadsheet\":{bom}}}"),
        )
        .await?;
    Ok(())
}
