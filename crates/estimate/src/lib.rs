//! Multiple systems estimation (MSE) of the number of victims no provider detected, from the
//! overlaps between providers' lists — the method behind SDG indicator 16.2.2 estimates.
//!
//! Poisson log-linear models (main effects plus two-list interactions) are fitted to the
//! [`OverlapTable`]; the model is chosen by the UK Home Office's stepwise procedure or by minimum
//! BIC; the interval comes from the profile likelihood or from a BCa bootstrap that repeats the
//! model selection in every replicate. Sparse tables are the norm, so every result says whether the
//! estimate exists and carries plain-language warnings. Estimates are model-dependent: reports
//! should show more than one method (see [`compare`]).

pub mod exist;
mod glm;
mod model;
mod stats;
mod table;

pub use exist::Existence;
pub use model::{Model, ModelFit, min_bic, stepwise};
pub use stats::{chi2_1_quantile, normal_cdf, normal_quantile};
pub use table::{MAX_HELD, MAX_LISTS, OTHER_LISTS, OverlapTable};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why an estimate could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EstimateError {
    #[error("the overlap table is not usable: {0}")]
    Table(String),
    #[error("no estimate: {0}")]
    NoEstimate(String),
    /// The chosen model has no maximum-likelihood estimate for this table (decided by the
    /// Fienberg–Rinaldo linear program); [`NoMle::text`] says why in the user's language.
    #[error("no estimate: {}", .0.text("en"))]
    NoMle(NoMle),
}

impl EstimateError {
    /// The refusal as one sentence in `lang` (`fr`, else English).
    pub fn text(&self, lang: &str) -> String {
        match self {
            EstimateError::NoMle(n) if lang == "fr" => {
                format!("pas d'estimation : {}", n.text(lang))
            }
            EstimateError::NoMle(n) => format!("no estimate: {}", n.text(lang)),
            other => other.to_string(),
        }
    }
}

/// Why a given model has no estimate for a table, in words a report can print.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NoMle {
    /// The model, R-style (`main effects + b:c + …`).
    pub model: String,
    pub existence: Existence,
    /// Capture patterns observed as zero that the model forces to stay zero, each written as
    /// the lists on it joined by `∩` (`c∩d`), with "only" when one list.
    pub forced: Vec<String>,
    /// Pairs of lists in the model that share nobody (their interaction is −∞).
    pub no_overlap: Vec<(String, String)>,
}

impl NoMle {
    /// The reason in `lang` (`fr`, else English).
    pub fn text(&self, lang: &str) -> String {
        let fr = lang == "fr";
        let forced = self.forced.join(", ");
        let mut s = match (&self.existence, fr) {
            (Existence::NotIdentifiable { parameters, rank }, false) => format!(
                "the model {} has {parameters} parameters but the table can tell apart only {rank} of them: it is not identifiable; choose a smaller model",
                self.model
            ),
            (Existence::NotIdentifiable { parameters, rank }, true) => format!(
                "le modèle {} a {parameters} paramètres mais le tableau n'en distingue que {rank} : il n'est pas identifiable ; choisissez un modèle plus petit",
                self.model
            ),
            (_, false) => format!(
                "the maximum-likelihood estimate does not exist for the model {}: with the totals it fits, the combination(s) of lists nobody is on ({forced}) would have to stay empty, so the fit runs to infinity; choose a smaller model",
                self.model
            ),
            (_, true) => format!(
                "l'estimation du maximum de vraisemblance n'existe pas pour le modèle {} : avec les totaux qu'il ajuste, la ou les combinaisons de listes où personne ne figure ({forced}) devraient rester vides, et l'ajustement part à l'infini ; choisissez un modèle plus petit",
                self.model
            ),
        };
        for (a, b) in &self.no_overlap {
            s.push_str(&if fr {
                format!(" (les listes {a} et {b} n'ont personne en commun : leur interaction est fixée à −∞)")
            } else {
                format!(" (lists {a} and {b} share nobody: their interaction is set to −∞)")
            });
        }
        s
    }
}

/// The capture pattern `p` in words: the lists on it joined by `∩`.
fn pattern_words(lists: &[String], p: usize) -> String {
    let on: Vec<&str> = (0..lists.len())
        .filter(|i| p & (1 << i) != 0)
        .map(|i| lists[i].as_str())
        .collect();
    if on.len() == 1 {
        format!("{} only", on[0])
    } else {
        on.join("∩")
    }
}

/// Why `model` has no estimate for `table`, when it has none.
pub fn no_mle(table: &OverlapTable, model: &Model) -> Option<NoMle> {
    let existence = model.existence(table);
    if existence.exists() {
        return None;
    }
    let forced = if matches!(existence, Existence::Boundary) {
        model
            .forced_zero_patterns(table)
            .into_iter()
            .map(|p| pattern_words(&table.lists, p))
            .collect()
    } else {
        Vec::new()
    };
    Some(NoMle {
        model: model.describe(&table.lists),
        existence,
        forced,
        no_overlap: model
            .infinite_pairs(table)
            .into_iter()
            .map(|(i, j)| (table.lists[i].clone(), table.lists[j].clone()))
            .collect(),
    })
}

/// How the model is chosen and the interval computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// UK Home Office: forward stepwise by AIC while the added term is significant at 5%; profile-likelihood interval.
    Stepwise,
    /// Minimum BIC over every two-way model; profile-likelihood interval.
    MinBic,
    /// Stepwise point estimate, with a BCa bootstrap interval that repeats the selection in every replicate.
    Bootstrap { replicates: usize, seed: u64 },
    /// One given model (e.g. every two-way interaction); profile-likelihood interval.
    Fixed(Model),
}

impl Method {
    pub fn name(&self) -> &'static str {
        match self {
            Method::Stepwise => "stepwise",
            Method::MinBic => "min-bic",
            Method::Bootstrap { .. } => "bootstrap",
            Method::Fixed(_) => "fixed",
        }
    }
}

/// An estimate with its interval, model and caveats.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Estimate {
    pub method: String,
    pub observed: f64,
    pub estimate: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub level: f64,
    pub model: String,
    /// The caveats in plain English (see [`Estimate::caveats`] for other languages).
    pub warnings: Vec<String>,
    pub caveats: Vec<Caveat>,
    /// A paragraph for a report, in plain English.
    pub explanation: String,
}

/// Interval endpoints from the profile likelihood of the unseen count.
fn profile_interval(table: &OverlapTable, model: &Model, unseen: f64, level: f64) -> (f64, f64) {
    let q = chi2_1_quantile(level) / 2.0;
    let ll = |z: f64| model.profile_loglik(table, z, None).0;
    // The profile maximum is near the fitted unseen count; refine it by golden-section search.
    let (mut a, mut b) = ((unseen * 0.5).max(0.0), unseen * 2.0 + 10.0);
    let phi = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..80 {
        let c = b - phi * (b - a);
        let d = a + phi * (b - a);
        if ll(c) > ll(d) { b = d } else { a = c }
    }
    let zmax = (a + b) / 2.0;
    let lmax = ll(zmax);
    let below = |z: f64| lmax - ll(z) > q;
    // Lower end: bisection between 0 and the maximum.
    let low = if !below(0.0) {
        0.0
    } else {
        let (mut lo, mut hi) = (0.0, zmax);
        for _ in 0..80 {
            let mid = (lo + hi) / 2.0;
            if below(mid) { lo = mid } else { hi = mid }
        }
        (lo + hi) / 2.0
    };
    let mut top = zmax * 2.0 + 10.0;
    while !below(top) && top < 1e12 {
        top *= 2.0;
    }
    let (mut lo, mut hi) = (zmax, top);
    for _ in 0..80 {
        let mid = (lo + hi) / 2.0;
        if below(mid) { hi = mid } else { lo = mid }
    }
    let observed = table.observed();
    (observed + low, observed + (lo + hi) / 2.0)
}

/// Why an estimate should be read with care, in a form each language can write
/// ([`Caveat::text`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Caveat {
    /// A list has nobody on it.
    EmptyList(String),
    /// Two lists share nobody: their interaction is left out.
    NoOverlap(String, String),
    /// More than half the capture patterns are empty.
    Sparse { empty: usize, patterns: usize },
    /// Fewer than 50 persons observed.
    FewObserved,
    /// Bootstrap replicates without an estimate, left out of the interval.
    FailedReplicates { failed: usize, replicates: usize },
}

impl Caveat {
    /// The caveat as a clause in `lang` (`fr`, else English).
    pub fn text(&self, lang: &str) -> String {
        let fr = lang == "fr";
        match self {
            Caveat::EmptyList(l) if fr => {
                format!("la liste {l} ne compte personne et n'apporte aucune information")
            }
            Caveat::EmptyList(l) => format!("list {l} has nobody on it and tells nothing"),
            Caveat::NoOverlap(a, b) if fr => format!(
                "les listes {a} et {b} n'ont personne en commun : leur interaction ne peut pas être estimée et n'entre pas dans le modèle"
            ),
            Caveat::NoOverlap(a, b) => format!(
                "lists {a} and {b} share nobody: their interaction cannot be estimated and is left out"
            ),
            Caveat::Sparse { empty, patterns } if fr => format!(
                "{empty} des {patterns} combinaisons de listes sont vides : le tableau est clairsemé et les estimations dépendent fortement du modèle"
            ),
            Caveat::Sparse { empty, patterns } => format!(
                "{empty} of {patterns} capture patterns are empty: the table is sparse and estimates depend strongly on the model"
            ),
            Caveat::FewObserved if fr => {
                "moins de 50 personnes ont été observées : l'estimation est très incertaine".into()
            }
            Caveat::FewObserved => {
                "fewer than 50 persons were observed: the estimate is very uncertain".into()
            }
            Caveat::FailedReplicates { failed, replicates } if fr => format!(
                "{failed} des {replicates} réplications bootstrap n'ont pas donné d'estimation et ont été écartées"
            ),
            Caveat::FailedReplicates { failed, replicates } => format!(
                "{failed} of {replicates} bootstrap replicates had no estimate and were left out"
            ),
        }
    }
}

fn table_caveats(table: &OverlapTable) -> Vec<Caveat> {
    let k = table.k();
    let mut w = Vec::new();
    for i in 0..k {
        if table.on_list(i) == 0.0 {
            w.push(Caveat::EmptyList(table.lists[i].clone()));
        }
        for j in i + 1..k {
            if table.overlap(i, j) == 0.0 {
                w.push(Caveat::NoOverlap(
                    table.lists[i].clone(),
                    table.lists[j].clone(),
                ));
            }
        }
    }
    let empty = (1..table.counts.len())
        .filter(|&p| table.counts[p] == 0.0)
        .count();
    if empty * 2 > table.counts.len() - 1 {
        w.push(Caveat::Sparse {
            empty,
            patterns: table.counts.len() - 1,
        });
    }
    if table.observed() < 50.0 {
        w.push(Caveat::FewObserved);
    }
    w
}

fn select(table: &OverlapTable, method: &Method) -> Option<ModelFit> {
    match method {
        Method::Stepwise | Method::Bootstrap { .. } => stepwise(table, 0.05),
        Method::MinBic => min_bic(table),
        Method::Fixed(m) => Some(m.fit(table, None)).filter(|f| f.fit.exists),
    }
}

/// Estimates the hidden population with `method`, giving an interval at `level` (e.g. 0.95).
pub fn estimate(
    table: &OverlapTable,
    method: &Method,
    level: f64,
) -> Result<Estimate, EstimateError> {
    if !(2..=MAX_LISTS).contains(&table.k()) {
        return Err(EstimateError::Table(format!(
            "estimation takes 2 to {MAX_LISTS} lists, not {} (fold the table first)",
            table.k()
        )));
    }
    let mut caveats = table_caveats(table);
    if let Method::Fixed(m) = method
        && let Some(why) = no_mle(table, m)
    {
        return Err(EstimateError::NoMle(why));
    }
    let chosen = select(table, method).ok_or_else(|| {
        EstimateError::NoEstimate(match method {
            Method::Fixed(m) => format!(
                "the fit of the model {} did not converge",
                m.describe(&table.lists)
            ),
            _ => "no log-linear model has an estimate for this table".into(),
        })
    })?;
    let (low, high) = match method {
        Method::Bootstrap { replicates, seed } => {
            let (lo, hi, failed) =
                bca_interval(table, method, chosen.total, *replicates, *seed, level);
            if failed > 0 {
                caveats.push(Caveat::FailedReplicates {
                    failed,
                    replicates: *replicates,
                });
            }
            (lo, hi)
        }
        _ => profile_interval(table, &chosen.model, chosen.unseen, level),
    };
    let model = chosen.model.describe(&table.lists);
    let explanation = format!(
        "{observed:.0} persons were recorded on at least one of {k} lists. Comparing how often the same persons appear on several lists, a log-linear model ({model}) estimates that about {est:.0} persons were in the population in all, so about {hidden:.0} were recorded by no list. The {pct:.0}% interval runs from {low:.0} to {high:.0}. This assumes the model captures how the lists depend on each other; other reasonable models can give quite different figures, so compare methods before quoting one.",
        observed = table.observed(),
        k = table.k(),
        est = chosen.total,
        hidden = chosen.unseen,
        pct = level * 100.0,
    );
    Ok(Estimate {
        method: method.name().into(),
        observed: table.observed(),
        estimate: chosen.total,
        ci_low: low,
        ci_high: high,
        level,
        model,
        warnings: caveats.iter().map(|c| c.text("en")).collect(),
        caveats,
        explanation,
    })
}

/// The same table estimated by several methods, side by side (estimates are model-dependent).
pub fn compare(
    table: &OverlapTable,
    level: f64,
    replicates: usize,
    seed: u64,
) -> Vec<Result<Estimate, EstimateError>> {
    [
        Method::Stepwise,
        Method::MinBic,
        Method::Bootstrap { replicates, seed },
    ]
    .iter()
    .map(|m| estimate(table, m, level))
    .collect()
}

/// Lists that enter [`hidden_population`] at most: the model search grows as 2^(k(k-1)/2).
pub const MAX_ESTIMATED_LISTS: usize = 5;

/// The hidden population as reports and dashboards show it: the table folded to its largest
/// lists, then estimated by the UK Home Office's stepwise procedure and by minimum BIC, side by
/// side (estimates are model-dependent).
#[derive(Debug)]
pub struct HiddenPopulation {
    /// The table the estimates were made from (folded: at most `max_lists` lists).
    pub table: OverlapTable,
    /// Per method, its estimate or why there is none; the stepwise procedure first.
    pub estimates: Vec<(Method, Result<Estimate, EstimateError>)>,
}

impl HiddenPopulation {
    /// The first method's estimate that exists (stepwise, else minimum BIC).
    pub fn first(&self) -> Option<&Estimate> {
        self.estimates.iter().find_map(|(_, r)| r.as_ref().ok())
    }
}

/// Folds `table` to at most `max_lists` lists ([`OverlapTable::fold`]) and estimates the
/// hidden population at `level` by the stepwise procedure and by minimum BIC. A table of fewer
/// than two lists, or that counts nobody, is refused: there is no overlap to estimate from.
pub fn hidden_population(
    table: &OverlapTable,
    max_lists: usize,
    level: f64,
) -> Result<HiddenPopulation, EstimateError> {
    let folded = table.fold(max_lists.clamp(2, MAX_LISTS));
    if folded.k() < 2 {
        return Err(EstimateError::Table(format!(
            "{} list(s): an estimate needs at least two lists",
            folded.k()
        )));
    }
    if folded.observed() == 0.0 {
        return Err(EstimateError::Table("the table counts nobody".into()));
    }
    let estimates = [Method::Stepwise, Method::MinBic]
        .into_iter()
        .map(|m| {
            let r = estimate(&folded, &m, level);
            (m, r)
        })
        .collect();
    Ok(HiddenPopulation {
        table: folded,
        estimates,
    })
}

/// A table resampled from the observed persons (multinomial with the observed proportions).
fn resample(table: &OverlapTable, rng: &mut ChaCha8Rng) -> OverlapTable {
    let n = table.observed() as usize;
    let cum: Vec<f64> = table
        .counts
        .iter()
        .scan(0.0, |acc, c| {
            *acc += c;
            Some(*acc)
        })
        .collect();
    let mut counts = vec![0.0; table.counts.len()];
    for _ in 0..n {
        let u = rng.random::<f64>() * table.observed();
        let idx = cum.partition_point(|&c| c <= u).min(counts.len() - 1);
        counts[idx] += 1.0;
    }
    OverlapTable {
        lists: table.lists.clone(),
        counts,
    }
}

/// BCa bootstrap interval (Efron 1987) repeating the model selection in every replicate; the
/// acceleration comes from the jackknife over persons. Returns (low, high, failed replicates).
fn bca_interval(
    table: &OverlapTable,
    method: &Method,
    theta: f64,
    replicates: usize,
    seed: u64,
    level: f64,
) -> (f64, f64, usize) {
    let base = match method {
        Method::Bootstrap { .. } => Method::Stepwise,
        other => other.clone(),
    };
    let run = |r: usize| -> Option<f64> {
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed ^ (r as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let t = resample(table, &mut rng);
        select(&t, &base).map(|f| f.total)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    let mut stats: Vec<Option<f64>> = vec![None; replicates];
    std::thread::scope(|s| {
        for (t, part) in stats
            .chunks_mut(replicates.div_ceil(threads).max(1))
            .enumerate()
        {
            let offset = t * replicates.div_ceil(threads).max(1);
            s.spawn(move || {
                for (i, slot) in part.iter_mut().enumerate() {
                    *slot = run(offset + i);
                }
            });
        }
    });
    let failed = stats.iter().filter(|s| s.is_none()).count();
    let mut boot: Vec<f64> = stats
        .into_iter()
        .flatten()
        .filter(|v| v.is_finite())
        .collect();
    if boot.is_empty() {
        return (f64::NAN, f64::NAN, failed);
    }
    boot.sort_by(|a, b| a.total_cmp(b));
    let below = boot.iter().filter(|&&b| b < theta).count() as f64 / boot.len() as f64;
    let z0 = normal_quantile(below.clamp(0.5 / boot.len() as f64, 1.0 - 0.5 / boot.len() as f64));
    // Jackknife: remove one person of each pattern (weighted by the pattern's count).
    let mut jack: Vec<(f64, f64)> = Vec::new();
    for p in 1..table.counts.len() {
        if table.counts[p] >= 1.0 {
            let mut t = table.clone();
            t.counts[p] -= 1.0;
            if let Some(f) = select(&t, &base) {
                jack.push((f.total, table.counts[p]));
            }
        }
    }
    let wsum: f64 = jack.iter().map(|j| j.1).sum();
    let mean = jack.iter().map(|(v, w)| v * w).sum::<f64>() / wsum.max(1.0);
    let num: f64 = jack.iter().map(|(v, w)| w * (mean - v).powi(3)).sum();
    let den: f64 = jack
        .iter()
        .map(|(v, w)| w * (mean - v).powi(2))
        .sum::<f64>()
        .powf(1.5);
    let a = if den > 0.0 { num / (6.0 * den) } else { 0.0 };
    let quantile = |alpha: f64| {
        let z = normal_quantile(alpha);
        let adj = normal_cdf(z0 + (z0 + z) / (1.0 - a * (z0 + z)));
        let pos = (adj * (boot.len() - 1) as f64).clamp(0.0, (boot.len() - 1) as f64);
        let (i, f) = (pos.floor() as usize, pos.fract());
        boot[i] + f * (boot[(i + 1).min(boot.len() - 1)] - boot[i])
    };
    let tail = (1.0 - level) / 2.0;
    (quantile(tail), quantile(1.0 - tail), failed)
}
