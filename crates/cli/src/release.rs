//! `tessera release`: releases for partners and researchers from approved data on unique
//! persons (`crates/release`) — differentially private tables and synthetic microdata — each
//! spending from the deployment's privacy budget and written to the audit log with what it
//! spent; and the budget itself.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use tessera_release::{Epsilon, ReleaseError, Request};

use crate::common::{Global, dictionary_of, open_store};

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// Differentially private tables of victims (unique persons, approved records): by default
    /// year × sex × age group × form of exploitation, with every margin; discrete Laplace noise,
    /// then counts kept whole, non-negative and adding up. Spends ε from the budget.
    Dp(DpArgs),
    /// Synthetic microdata: one row per synthetic person over the dictionary's releasable
    /// variables, from noisy two-way tables; its utility against the real data is written beside
    /// it for you (not for publication). Spends ε from the budget.
    Synthetic(SyntheticArgs),
    /// Show the deployment's privacy budget (total ε, spent, left), or set its total.
    Budget {
        /// The new total ε of all releases (it cannot go below what is spent).
        #[arg(long, value_name = "EPSILON")]
        set: Option<String>,
    },
}

/// What every release takes.
#[derive(Args)]
pub struct ReleaseArgs {
    /// The privacy loss this release spends (ε, e.g. 0.5): smaller is more private and noisier.
    #[arg(long, value_name = "EPSILON")]
    epsilon: String,
    /// The file to write (CSV).
    #[arg(long)]
    out: PathBuf,
    /// Reproduce a release: the same seed, data and options give the same file. Whoever holds
    /// the seed can recompute the noise: keep it as you would the data.
    #[arg(long)]
    seed: Option<u64>,
    /// First and last year of identification, e.g. 2021-2025. Default: the years the reporting
    /// calendar covers.
    #[arg(long, value_name = "FROM-TO")]
    years: Option<String>,
}

#[derive(Args)]
pub struct DpArgs {
    #[command(flatten)]
    common: ReleaseArgs,
    /// The variables crossed, comma-separated, among the releasable ones (see `tessera
    /// dictionary`). Default: date_identified,sex,age_band,exploitation.
    #[arg(long, value_delimiter = ',')]
    table: Option<Vec<String>>,
}

#[derive(Args)]
pub struct SyntheticArgs {
    #[command(flatten)]
    common: ReleaseArgs,
    /// Where to write the utility report (JSON). Default: the output file with
    /// `.utility.json` appended.
    #[arg(long)]
    utility: Option<PathBuf>,
}

fn years(text: Option<&str>, fr: bool) -> Result<Option<(i32, i32)>> {
    let Some(t) = text else { return Ok(None) };
    let parsed = t
        .split_once('-')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
        .or_else(|| t.trim().parse().ok().map(|y| (y, y)))
        .filter(|(a, b): &(i32, i32)| a <= b && *a >= 1900 && *b <= 2100);
    match parsed {
        Some(y) => Ok(Some(y)),
        None if fr => {
            bail!("--years « {t} » n'est pas une période d'années (par exemple 2021-2025)")
        }
        None => bail!("--years \"{t}\" is not a range of years (e.g. 2021-2025)"),
    }
}

fn epsilon(text: &str, lang: &str) -> Result<Epsilon> {
    Epsilon::parse(text, false).map_err(|e| {
        if lang == "fr" {
            anyhow!(
                "« {text} » n'est pas une perte de confidentialité ε : écrivez un nombre décimal supérieur à 0 et au plus 100, avec au plus six décimales (par exemple 0.5)"
            )
        } else {
            anyhow!(e)
        }
    })
}

fn refused(e: ReleaseError, lang: &str) -> anyhow::Error {
    anyhow!(e.text(lang))
}

/// A file beside `out`, opened before anything is spent (a place that cannot be written costs
/// no budget) and put in place only once the release is written: a refused release leaves any
/// earlier file of that name as it was.
fn create(out: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::NamedTempFile::new_in(dir).with_context(|| format!("cannot write {}", out.display()))
}

/// Writes `text` to the file opened by [`create`] and puts it at `out`.
fn finish(mut file: tempfile::NamedTempFile, text: &str, out: &Path) -> Result<()> {
    file.write_all(text.as_bytes())
        .and_then(|_| file.flush())
        .with_context(|| format!("cannot write {}", out.display()))?;
    file.persist(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

fn request(a: &ReleaseArgs, lang: &str) -> Result<Request> {
    Ok(Request {
        epsilon: epsilon(&a.epsilon, lang)?,
        seed: a.seed,
        years: years(a.years.as_deref(), lang == "fr")?,
        actor: "cli".into(),
        object: a.out.display().to_string(),
    })
}

pub async fn run(g: &Global, what: ReleaseCommand) -> Result<()> {
    let lang = g.lang()?;
    let fr = lang == "fr";
    let store = open_store(&g.db()).await?;
    match what {
        ReleaseCommand::Budget { set } => {
            let b = match set {
                Some(t) => {
                    let total = Epsilon::parse(&t, false).map_err(|e| refused(e, &lang))?;
                    tessera_release::set_budget_audited(&store, total, "cli")
                        .await
                        .map_err(|e| refused(e, &lang))?
                }
                None => match tessera_release::budget(&store).await? {
                    Some(b) => b,
                    None => bail!(ReleaseError::NoBudget.text(&lang)),
                },
            };
            if fr {
                println!(
                    "Budget de confidentialité : ε = {} au total, {} dépensé, {} restant.",
                    b.total,
                    b.spent,
                    b.left()
                );
            } else {
                println!(
                    "Privacy budget: ε = {} in all, {} spent, {} left.",
                    b.total,
                    b.spent,
                    b.left()
                );
            }
        }
        ReleaseCommand::Dp(args) => {
            let req = request(&args.common, &lang)?;
            let dict = dictionary_of(&store).await?;
            let file = create(&args.common.out)?;
            let (rel, after) = tessera_release::release_tables(&store, &dict, args.table, &req)
                .await
                .map_err(|e| refused(e, &lang))?;
            finish(file, &rel.to_csv(), &args.common.out)?;
            if fr {
                eprintln!(
                    "Tableaux diffusés dans {} (ε = {}, bruit de Laplace discret d'échelle {:.3} par case). Budget : {} dépensé sur {}, {} restant.",
                    args.common.out.display(),
                    req.epsilon,
                    rel.scale.as_f64(),
                    after.spent,
                    after.total,
                    after.left()
                );
            } else {
                eprintln!(
                    "Released the tables to {} (ε = {}, discrete Laplace noise of scale {:.3} per cell). Budget: {} spent of {}, {} left.",
                    args.common.out.display(),
                    req.epsilon,
                    rel.scale.as_f64(),
                    after.spent,
                    after.total,
                    after.left()
                );
            }
        }
        ReleaseCommand::Synthetic(args) => {
            let req = request(&args.common, &lang)?;
            let dict = dictionary_of(&store).await?;
            let utility_path = args.utility.clone().unwrap_or_else(|| {
                let mut p = args.common.out.clone().into_os_string();
                p.push(".utility.json");
                PathBuf::from(p)
            });
            let file = create(&args.common.out)?;
            let ufile = create(&utility_path)?;
            let (synth, util, after) = tessera_release::release_synthetic(&store, &dict, &req)
                .await
                .map_err(|e| refused(e, &lang))?;
            finish(file, &synth.table.to_csv(), &args.common.out)?;
            finish(ufile, &serde_json::to_string_pretty(&util)?, &utility_path)?;
            if fr {
                eprintln!(
                    "{} personnes synthétiques écrites dans {} (ε = {}) ; {} lignes retenues parce qu'elles reproduisaient une combinaison rare d'une personne réelle. Écart moyen aux vraies marges (variation totale) : {:.3} à une variable, {:.3} à deux ; détail dans {} (à ne pas publier). Budget : {} dépensé sur {}, {} restant.",
                    synth.table.rows.len(),
                    args.common.out.display(),
                    req.epsilon,
                    synth.withheld,
                    util.one_way.0,
                    util.two_way.0,
                    utility_path.display(),
                    after.spent,
                    after.total,
                    after.left()
                );
            } else {
                eprintln!(
                    "Wrote {} synthetic persons to {} (ε = {}); {} rows withheld for reproducing a real person's rare combination. Mean distance to the real margins (total variation): {:.3} one-way, {:.3} two-way; details in {} (not for publication). Budget: {} spent of {}, {} left.",
                    synth.table.rows.len(),
                    args.common.out.display(),
                    req.epsilon,
                    synth.withheld,
                    util.one_way.0,
                    util.two_way.0,
                    utility_path.display(),
                    after.spent,
                    after.total,
                    after.left()
                );
            }
        }
    }
    Ok(())
}
