//! `tessera nap`: the National Action Plan — its indicators, baselines and targets (the TOML
//! format of `config/nap/`), checked against the dictionary before it replaces the current plan.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;

use crate::common::{DbArgs, dictionary_of, open_store};

#[derive(Subcommand)]
pub enum NapCommand {
    /// Load a plan (replacing the current one) after checking every indicator.
    Load {
        #[command(flatten)]
        db: DbArgs,
        file: PathBuf,
    },
}

pub async fn run(what: NapCommand) -> Result<()> {
    match what {
        NapCommand::Load { db, file } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let plan = tessera_analysis::NapPlan::from_toml(&text, &dict)
                .with_context(|| format!("{} is not a valid action plan", file.display()))?;
            store.set_setting("nap_plan", &text).await?;
            store
                .audit("cli", "nap.load", &file.display().to_string(), "{}")
                .await?;
            eprintln!(
                "Loaded the National Action Plan from {} ({} indicators).",
                file.display(),
                plan.indicators.len()
            );
        }
    }
    Ok(())
}
