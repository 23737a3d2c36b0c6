//! `tessera export`: an entity's records to CSV, page by page.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tessera_dictionary::ProviderId;
use tessera_intake::neutralise_formula;
use tessera_store::{Access, actions};

use crate::common::{DbArgs, bar, dictionary_of, open_store};

#[derive(clap::Args)]
pub struct ExportArgs {
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
}

pub async fn run(args: ExportArgs) -> Result<()> {
    let ExportArgs {
        db,
        entity,
        provider,
        out,
    } = args;
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
            actions::RECORDS_EXPORT,
            &entity,
            &format!("{{\"records\":{total}}}"),
        )
        .await?;
    Ok(())
}
