//! Log-linear models of an overlap table (main effects plus chosen two-list interactions), their
//! fit, and the model searches: the UK Home Office's forward stepwise procedure and the
//! minimum-BIC search over every two-way model.

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

    /// The design row of capture pattern `p`.
    fn row(&self, k: usize, p: usize, out: &mut Vec<f64>) {
        out.push(1.0);
        for i in 0..k {
            out.push(if p & (1 << i) != 0 { 1.0 } else { 0.0 });
        }
        for &(i, j) in &self.pairs {
            out.push(if p & (1 << i) != 0 && p & (1 << j) != 0 {
                1.0
            } else {
                0.0
            });
        }
    }

    /// R-style description: `main effects + LA:NG + …`.
    pub fn describe(&self, lists: &[String]) -> String {
        let mut s = String::from("main effects");
        for &(i, j) in &self.pairs {
            s.push_str(&format!(" + {}:{}", lists[i], lists[j]));
        }
        s
    }

    /// Fits the model to the observed cells of `table` (every pattern but 0, zeros included).
    pub fn fit(&self, table: &OverlapTable, start: Option<&[f64]>) -> ModelFit {
        let k = table.k();
        let p = self.params(k);
        let cells = (1usize << k) - 1;
        let mut x = Vec::with_capacity(cells * p);
        let mut y = Vec::with_capacity(cells);
        for pat in 1..(1usize << k) {
            self.row(k, pat, &mut x);
            y.push(table.counts[pat]);
        }
        let fit = fit_poisson(&x, &y, p, start);
        let unseen = fit.beta[0].exp();
        let observed = table.observed();
        let aic = -2.0 * fit.loglik + 2.0 * p as f64;
        // BIC penalises with the number of persons observed, as SparseMSE does.
        let bic = -2.0 * fit.loglik + p as f64 * observed.max(2.0).ln();
        ModelFit {
            model: self.clone(),
            total: observed + unseen,
            unseen,
            aic,
            bic,
            fit,
        }
    }

    /// The maximised log-likelihood with the unseen cell's count fixed at `z` (all 2^k cells fitted),
    /// for profile-likelihood intervals.
    pub fn profile_loglik(
        &self,
        table: &OverlapTable,
        z: f64,
        start: Option<&[f64]>,
    ) -> (f64, Vec<f64>) {
        let k = table.k();
        let p = self.params(k);
        let mut x = Vec::with_capacity((1 << k) * p);
        let mut y = Vec::with_capacity(1 << k);
        for pat in 0..(1usize << k) {
            self.row(k, pat, &mut x);
            y.push(if pat == 0 { z } else { table.counts[pat] });
        }
        let f = fit_poisson(&x, &y, p, start);
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
