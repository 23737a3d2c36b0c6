//! Log-linear models of an overlap table (main effects plus chosen two-list interactions), their
//! fit, and the model searches: the UK Home Office's forward stepwise procedure and the
//! minimum-BIC search over every two-way model.

use crate::exist::{self, Existence};
use crate::glm::{Fit, fit_poisson};
use crate::stats::normal_cdf;
use crate::table::OverlapTable;

/// A model: which two-list interactions it adds to the main effects.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Model {
    pub pairs: Vec<(usize, usize)>,
}

/// A model fitted to a table.
#[derive(Debug, Clone)]
pub struct ModelFit {
    pub model: Model,
    pub fit: Fit,
    /// Estimated persons on no list: exp(intercept).
    pub unseen: f64,
    /// Estimated total population: observed + unseen.
    pub total: f64,
    pub aic: f64,
    pub bic: f64,
    /// Whether the maximum-likelihood estimate exists, decided by linear programming before
    /// fitting ([`Model::existence`]); `fit.exists` is false whenever this is not `Exists`.
    pub existence: Existence,
}

/// Existence by (lists, cells observed above zero, model), shared by every search and thread.
type ExistenceKey = (usize, Vec<u64>, Vec<(usize, usize)>);
static EXISTENCE: std::sync::OnceLock<
    std::sync::Mutex<std::collections::HashMap<ExistenceKey, Existence>>,
> = std::sync::OnceLock::new();

/// A model's design over a table's cells as the extended MLE fits it: interactions of lists that
/// share nobody are −∞, so their columns are left out and the cells they touch are structural
/// zeros, left out too.
struct Design {
    /// The capture patterns kept, in row order.
    patterns: Vec<usize>,
    /// Row-major, `patterns.len()` × `p`.
    x: Vec<f64>,
    p: usize,
    /// Per pair of the model: whether its parameter is finite (a column of `x`).
    finite: Vec<bool>,
}

impl Model {
    pub fn main_effects() -> Model {
        Model { pairs: Vec::new() }
    }

    pub fn with(&self, pair: (usize, usize)) -> Model {
        let mut pairs = self.pairs.clone();
        pairs.push(pair);
        pairs.sort();
        Model { pairs }
    }

    pub fn params(&self, k: usize) -> usize {
        1 + k + self.pairs.len()
    }

    /// The pairs of the model whose two lists share nobody: their interaction's sufficient
    /// statistic is zero, so the extended MLE puts it at −∞ (cells with both lists are then
    /// structural zeros).
    pub fn infinite_pairs(&self, table: &OverlapTable) -> Vec<(usize, usize)> {
        self.pairs
            .iter()
            .copied()
            .filter(|&(i, j)| table.overlap(i, j) <= 0.0)
            .collect()
    }

    /// The design over the observed patterns (and pattern 0 when `unseen`).
    fn design(&self, table: &OverlapTable, unseen: bool) -> Design {
        let k = table.k();
        let finite: Vec<bool> = self
            .pairs
            .iter()
            .map(|&(i, j)| table.overlap(i, j) > 0.0)
            .collect();
        let p = 1 + k + finite.iter().filter(|f| **f).count();
        let both = |pat: usize, (i, j): (usize, usize)| pat & (1 << i) != 0 && pat & (1 << j) != 0;
        let mut patterns = Vec::with_capacity(1 << k);
        let mut x = Vec::with_capacity((1 << k) * p);
        for pat in (if unseen { 0 } else { 1 })..(1usize << k) {
            if self
                .pairs
                .iter()
                .zip(&finite)
                .any(|(&pair, &f)| !f && both(pat, pair))
            {
                continue;
            }
            patterns.push(pat);
            x.push(1.0);
            for i in 0..k {
                x.push(if pat & (1 << i) != 0 { 1.0 } else { 0.0 });
            }
            for (&pair, &f) in self.pairs.iter().zip(&finite) {
                if f {
                    x.push(if both(pat, pair) { 1.0 } else { 0.0 });
                }
            }
        }
        Design {
            patterns,
            x,
            p,
            finite,
        }
    }

    /// Whether the model's maximum-likelihood estimate exists for `table` and its parameters are
    /// identifiable: the Fienberg–Rinaldo linear program and the design's rank, on the design
    /// the extended MLE fits (see [`crate::exist`]).
    pub fn existence(&self, table: &OverlapTable) -> Existence {
        let d = self.design(table, false);
        let y: Vec<f64> = d.patterns.iter().map(|&p| table.counts[p]).collect();
        self.checked(table, &d, &y)
    }

    /// [`exist::check`], remembered: whether the estimate exists depends on the model and on
    /// which cells are zero, not on the counts (the face of the marginal cone that holds the
    /// sufficient statistics is the one the observed cells span). Bootstrap replicates and
    /// model searches ask the same question again and again.
    fn checked(&self, table: &OverlapTable, d: &Design, y: &[f64]) -> Existence {
        let mut support = vec![0u64; table.counts.len().div_ceil(64)];
        for (p, &c) in table.counts.iter().enumerate() {
            if c > 0.0 {
                support[p / 64] |= 1 << (p % 64);
            }
        }
        let key = (table.k(), support, self.pairs.clone());
        let cache = EXISTENCE.get_or_init(Default::default);
        if let Some(e) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return e;
        }
        let e = exist::check(&d.x, y, d.p);
        if let Ok(mut c) = cache.lock() {
            if c.len() >= 100_000 {
                c.clear();
            }
            c.insert(key, e.clone());
        }
        e
    }

    /// The capture patterns observed as zero that the model forces to stay zero (when its
    /// estimate does not exist): what a refusal can name.
    pub fn forced_zero_patterns(&self, table: &OverlapTable) -> Vec<usize> {
        let d = self.design(table, false);
        let y: Vec<f64> = d.patterns.iter().map(|&p| table.counts[p]).collect();
        exist::forced_zeros(&d.x, &y, d.p)
            .into_iter()
            .map(|c| d.patterns[c])
            .collect()
    }

    /// The full parameter vector (intercept, main effects, every pair) from the fitted finite
    /// ones, −∞ for the pairs whose lists share nobody.
    fn expand(&self, k: usize, d: &Design, reduced: &[f64], fill: f64) -> Vec<f64> {
        let mut out: Vec<f64> = reduced[..1 + k].to_vec();
        let mut next = 1 + k;
        for &f in &d.finite {
            if f {
                out.push(reduced[next]);
                next += 1;
            } else {
                out.push(fill);
            }
        }
        out
    }

    /// R-style description: `main effects + LA:NG + …`.
    pub fn describe(&self, lists: &[String]) -> String {
        let mut s = String::from("main effects");
        for &(i, j) in &self.pairs {
            s.push_str(&format!(" + {}:{}", lists[i], lists[j]));
        }
        s
    }

    /// Fits the model to the observed cells of `table` (every pattern but 0, zeros included),
    /// as the extended MLE does: pairs of lists that share nobody are −∞ (their cells left out).
    /// The fit runs only when [`Model::existence`] says the estimate exists; otherwise the
    /// result has `fit.exists == false` and no numbers.
    pub fn fit(&self, table: &OverlapTable, start: Option<&[f64]>) -> ModelFit {
        let k = table.k();
        let d = self.design(table, false);
        let y: Vec<f64> = d.patterns.iter().map(|&p| table.counts[p]).collect();
        let existence = self.checked(table, &d, &y);
        let mut fit = if existence.exists() {
            fit_poisson(&d.x, &y, d.p, start)
        } else {
            Fit {
                beta: vec![f64::NAN; d.p],
                se: vec![f64::NAN; d.p],
                loglik: f64::NEG_INFINITY,
                mu: vec![f64::NAN; y.len()],
                exists: false,
            }
        };
        fit.beta = self.expand(k, &d, &fit.beta, f64::NEG_INFINITY);
        fit.se = self.expand(k, &d, &fit.se, f64::NAN);
        let unseen = fit.beta[0].exp();
        let observed = table.observed();
        let p = d.p;
        let aic = -2.0 * fit.loglik + 2.0 * p as f64;
        // BIC penalises with the number of persons observed, as SparseMSE does.
        let bic = -2.0 * fit.loglik + p as f64 * observed.max(2.0).ln();
        ModelFit {
            model: self.clone(),
            total: observed + unseen,
            unseen,
            aic,
            bic,
            existence,
            fit,
        }
    }

    /// The maximised log-likelihood with the unseen cell's count fixed at `z` (all 2^k cells fitted,
    /// the structural zeros of −∞ pairs left out), for profile-likelihood intervals.
    pub fn profile_loglik(
        &self,
        table: &OverlapTable,
        z: f64,
        start: Option<&[f64]>,
    ) -> (f64, Vec<f64>) {
        let d = self.design(table, true);
        let y: Vec<f64> = d
            .patterns
            .iter()
            .map(|&p| if p == 0 { z } else { table.counts[p] })
            .collect();
        let f = fit_poisson(&d.x, &y, d.p, start);
        (f.loglik, f.beta)
    }
}

/// Two-list pairs whose interaction can be estimated: both lists overlap.
fn candidates(table: &OverlapTable, model: &Model) -> Vec<(usize, usize)> {
    let k = table.k();
    let mut out = Vec::new();
    for i in 0..k {
        for j in i + 1..k {
            if !model.pairs.contains(&(i, j)) && table.overlap(i, j) > 0.0 {
                out.push((i, j));
            }
        }
    }
    out
}

/// The UK Home Office procedure: from main effects, repeatedly add the two-list interaction that
/// lowers AIC most, as long as that term is significant (Wald test) at `alpha`. Pairs of lists with
/// no overlap are never candidates (their interaction would be −∞).
pub fn stepwise(table: &OverlapTable, alpha: f64) -> Option<ModelFit> {
    let mut current = Model::main_effects().fit(table, None);
    if !current.fit.exists {
        return None;
    }
    loop {
        let mut best: Option<ModelFit> = None;
        for pair in candidates(table, &current.model) {
            let m = current.model.with(pair);
            let f = m.fit(table, None);
            if f.fit.exists && f.aic < current.aic && best.as_ref().is_none_or(|b| f.aic < b.aic) {
                best = Some(f);
            }
        }
        let Some(b) = best else { return Some(current) };
        // The added term's coefficient and its Wald p-value.
        let added = b
            .model
            .pairs
            .iter()
            .position(|p| !current.model.pairs.contains(p))
            .unwrap_or(0);
        let idx = 1 + table.k() + added;
        let z = b.fit.beta[idx] / b.fit.se[idx];
        let pvalue = 2.0 * (1.0 - normal_cdf(z.abs()));
        // A NaN p-value (undefined standard error) stops the search too.
        if pvalue.is_nan() || pvalue >= alpha {
            return Some(current);
        }
        current = b;
    }
}

/// The model with the lowest BIC among all main-effects-plus-two-way models whose estimate exists.
/// With k lists there are 2^(k(k−1)/2) of them; beyond 5 lists the search is restricted to models
/// of up to 6 interactions.
pub fn min_bic(table: &OverlapTable) -> Option<ModelFit> {
    let k = table.k();
    let all: Vec<(usize, usize)> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .filter(|&(i, j)| table.overlap(i, j) > 0.0)
        .collect();
    let max_terms = if all.len() <= 10 { all.len() } else { 6 };
    let mut best: Option<ModelFit> = None;
    let mut stack: Vec<(Model, usize)> = vec![(Model::main_effects(), 0)];
    while let Some((model, next)) = stack.pop() {
        let f = model.fit(table, None);
        if f.fit.exists && best.as_ref().is_none_or(|b| f.bic < b.bic) {
            best = Some(f);
        }
        if model.pairs.len() < max_terms {
            for (t, pair) in all.iter().enumerate().skip(next) {
                stack.push((model.with(*pair), t + 1));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glm::fit_poisson;

    fn table(name: &str) -> OverlapTable {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        OverlapTable::from_csv(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// The linear program's verdict against what the likelihood itself does, on every model of
    /// every reference table of up to five lists: where it says the estimate exists, Newton's
    /// method converges to finite parameters; where it says it does not, the fit (run anyway)
    /// drives the fitted values of the cells it names towards zero and a parameter off.
    #[test]
    fn the_linear_program_agrees_with_the_likelihood_on_every_small_model() {
        let mut checked = (0, 0);
        for name in [
            "Artificial_3.csv",
            "Korea.csv",
            "Kosovo.csv",
            "Ned_5.csv",
            "NewOrl_5.csv",
            "NewOrl_5_sparsemse2019.csv",
            "UKdat_4.csv",
            "UKdat_5.csv",
            "Western.csv",
        ] {
            let t = table(name);
            let k = t.k();
            let pairs: Vec<(usize, usize)> = (0..k)
                .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
                .collect();
            for mask in 0u32..(1 << pairs.len()) {
                let m = Model {
                    pairs: (0..pairs.len())
                        .filter(|b| mask & (1 << b) != 0)
                        .map(|b| pairs[b])
                        .collect(),
                };
                let d = m.design(&t, false);
                let y: Vec<f64> = d.patterns.iter().map(|&p| t.counts[p]).collect();
                let what = format!("{name}: {}", m.describe(&t.lists));
                match m.existence(&t) {
                    Existence::Exists => {
                        let f = fit_poisson(&d.x, &y, d.p, None);
                        assert!(f.exists, "{what}");
                        assert!(
                            f.beta.iter().all(|b| b.abs() < 30.0),
                            "{what}: {:?}",
                            f.beta
                        );
                        checked.0 += 1;
                    }
                    Existence::Boundary => {
                        let forced = exist::forced_zeros(&d.x, &y, d.p);
                        assert!(!forced.is_empty(), "{what}");
                        let f = fit_poisson(&d.x, &y, d.p, None);
                        for c in forced {
                            assert!(f.mu[c] < 1e-3, "{what}: cell {c} fitted {}", f.mu[c]);
                        }
                        checked.1 += 1;
                    }
                    Existence::NotIdentifiable { .. } => {}
                }
            }
        }
        assert!(checked.0 > 5000 && checked.1 >= 5, "{checked:?}");
    }
}
