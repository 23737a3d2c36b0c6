//! `tessera estimate`: multiple systems estimation of hidden victims from list overlaps.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum EstimateCommand {
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

/// Prints the estimates; exits 3 when no method gives one.
pub fn run(what: EstimateCommand) -> Result<()> {
    let EstimateCommand::Mse {
        table,
        method,
        model,
        level,
        replicates,
        seed,
        json,
    } = what;
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
                list => list
                    .split(',')
                    .map(|p| {
                        let (a, b) = p
                            .trim()
                            .split_once(':')
                            .with_context(|| format!("\"{p}\" is not a pair like A:B"))?;
                        let idx = |n: &str| {
                            t.lists
                                .iter()
                                .position(|l| l == n.trim())
                                .with_context(|| format!("there is no list \"{n}\""))
                        };
                        let (i, j) = (idx(a)?, idx(b)?);
                        Ok((i.min(j), i.max(j)))
                    })
                    .collect::<Result<Vec<_>>>()?,
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
        (None, other) => {
            bail!("unknown method \"{other}\" (use stepwise, min-bic, bootstrap or compare)")
        }
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
    Ok(())
}
