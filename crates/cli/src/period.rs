//! `tessera period`: the reporting calendar — periods, their due dates, which provider types
//! report in them, and closing them.

use anyhow::Result;
use clap::Subcommand;
use tessera_dictionary::ProviderType;
use tessera_store::{Period, actions};

use crate::common::{Global, dictionary_of, open_store, parse_day, today};

#[derive(Subcommand)]
pub enum PeriodCommand {
    /// Open (or change) a reporting period: annual (2025), quarterly (2025-Q1) or monthly (2025-01).
    Add {
        #[arg(long)]
        id: String,
        /// First day (YYYY-MM-DD).
        #[arg(long)]
        start: String,
        /// Last day (YYYY-MM-DD).
        #[arg(long)]
        end: String,
        /// When the submissions are due (YYYY-MM-DD).
        #[arg(long)]
        due: String,
        /// Provider types that report in it, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        types: Vec<String>,
    },
    /// List the periods.
    List,
    /// Close a period: it takes no new submissions.
    Close {
        #[arg(long)]
        id: String,
        /// From this day (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

pub async fn run(g: &Global, what: PeriodCommand) -> Result<()> {
    let db = g.db();
    match what {
        PeriodCommand::Add {
            id,
            start,
            end,
            due,
            types,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let provider_types = types
                .iter()
                .map(|t| ProviderType::parse(&dict, t).map(|t| t.as_str().to_string()))
                .collect::<Result<Vec<_>, _>>()?;
            let p = Period {
                id: id.clone(),
                starts_on: parse_day("--start", &start)?,
                ends_on: parse_day("--end", &end)?,
                due_on: parse_day("--due", &due)?,
                provider_types,
                closed_on: None,
            };
            store.upsert_period(&p).await?;
            store.audit("cli", actions::PERIOD_OPEN, &id, "{}").await?;
            eprintln!("Period {id} open: {start} to {end}, due {due}.");
        }
        PeriodCommand::List => {
            let store = open_store(&db).await?;
            println!("id\tstart\tend\tdue\ttypes\tstatus");
            for p in store.periods().await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    p.id,
                    p.starts_on,
                    p.ends_on,
                    p.due_on,
                    if p.provider_types.is_empty() {
                        "all".to_string()
                    } else {
                        p.provider_types.join(",")
                    },
                    p.closed_on
                        .map(|d| format!("closed {d}"))
                        .unwrap_or_else(|| "open".into())
                );
            }
        }
        PeriodCommand::Close { id, on } => {
            let store = open_store(&db).await?;
            let on = on
                .map(|d| parse_day("--on", &d))
                .transpose()?
                .unwrap_or_else(today);
            store.close_period(&id, on).await?;
            store.audit("cli", actions::PERIOD_CLOSE, &id, "{}").await?;
            eprintln!("Period {id} closed on {on}.");
        }
    }
    Ok(())
}
