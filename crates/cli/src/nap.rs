//! `tessera nap`: the National Action Plan — its indicators, baselines and targets (the TOML
//! format of `config/nap/`), checked against the dictionary before it replaces the current plan.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use tessera_store::actions;

use crate::common::{Global, dictionary_of, open_store};

#[derive(Subcommand)]
pub enum NapCommand {
    /// Load a plan (replacing the current one) after checking every indicator.
    Load { file: PathBuf },
    /// Enter (or with --clear remove) a figure of an indicator measured from activity records
    /// (measure = "entered": trainings held, awareness sessions, MoUs signed, budget spent).
    Value {
        #[arg(long)]
        indicator: String,
        #[arg(long)]
        year: i32,
        #[arg(long, required_unless_present = "clear")]
        value: Option<f64>,
        /// Where the figure comes from (a report, a register).
        #[arg(long)]
        note: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

pub async fn run(g: &Global, what: NapCommand) -> Result<()> {
    let db = g.db();
    match what {
        NapCommand::Load { file } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let plan = tessera_analysis::NapPlan::from_toml(&text, &dict)
                .with_context(|| format!("{} is not a valid action plan", file.display()))?;
            // Figures entered by hand must still have their indicator, taking figures: a plan
            // that drops one would leave the dashboard unable to place them.
            for (id, year, _) in store.nap_values().await? {
                if plan.check_entered(&id).is_err() {
                    anyhow::bail!(
                        "{} drops indicator {id} or computes it from the data, but it has a figure entered by hand for {year}; clear it first (tessera nap value --indicator {id} --year {year} --clear)",
                        file.display()
                    );
                }
            }
            store.set_setting("nap_plan", &text).await?;
            store
                .audit("cli", actions::NAP_LOAD, &file.display().to_string(), "{}")
                .await?;
            eprintln!(
                "Loaded the National Action Plan from {} ({} indicators).",
                file.display(),
                plan.indicators.len()
            );
        }
        NapCommand::Value {
            indicator,
            year,
            value,
            note,
            clear,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let Some(text) = store.setting("nap_plan").await? else {
                anyhow::bail!("no National Action Plan is loaded; load one with tessera nap load");
            };
            let plan = tessera_analysis::NapPlan::from_toml(&text, &dict)?;
            // A figure outside the years the indicator is followed in can still be removed.
            if clear {
                plan.check_entered(&indicator)?;
            } else {
                plan.check_figure(&indicator, year)?;
            }
            let value = if clear { None } else { value };
            store
                .set_nap_value(&indicator, year, value, note.as_deref(), "cli")
                .await?;
            let detail = serde_json::json!({ "year": year, "value": value });
            store
                .audit(
                    "cli",
                    actions::NAP_SET_VALUE,
                    &indicator,
                    &detail.to_string(),
                )
                .await?;
            match value {
                Some(v) => eprintln!("{indicator} {year}: {v}."),
                None => eprintln!("{indicator} {year}: removed."),
            }
        }
    }
    Ok(())
}
