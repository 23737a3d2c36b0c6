//! Whether a log-linear model's maximum-likelihood estimate exists for an observed table, decided
//! exactly by linear programming rather than by watching a fit diverge.
//!
//! Fienberg & Rinaldo (2012, "Maximum likelihood estimation in log-linear models", Ann. Statist.
//! 40, 996–1023, and its supplement): for a Poisson log-linear model with design `A` (one row per
//! cell, one column per parameter) and observed counts `y`, the MLE exists if and only if the
//! sufficient statistics `t = Aᵀy` lie in the relative interior of the marginal cone
//! `{Aᵀx : x ≥ 0}` — that is, if and only if some table `x` that is **strictly positive in every
//! cell** has the same sufficient statistics as the observed one. When the only tables with those
//! statistics leave some zero cells at zero, the likelihood keeps rising as the fitted values of
//! those cells go to zero: some parameter combination runs to infinity and no estimate exists.
//!
//! The linear program (as in Chan, Silverman & Vincent 2021, JASA 116, 1297–1306, and their R
//! package SparseMSE's `checkident`): maximise `s` subject to `Aᵀx = t`, `x ≥ 0`, `x_c ≥ s` for
//! every cell `c` observed as zero, and `0 ≤ s ≤ 1`. The MLE exists if and only if the optimum
//! is positive. (Positive cells need no slack: the observed table itself is positive there, and
//! mixing it with the optimum gives a table positive everywhere.) Here each zero cell's value is
//! written `s + w_c` with `w_c ≥ 0`, so the program has only one constraint per parameter.
//!
//! Parameters whose sufficient statistic is zero — in multiple systems estimation, the
//! interaction of two lists that share nobody — are handled as the extended MLE does: the
//! parameter is −∞, its column is left out and the cells it touches are structural zeros,
//! left out too ([`Model::design`](crate::Model)). The check then runs on what is left, together
//! with identifiability: the remaining design must have full column rank.

use microlp::{ComparisonOp, OptimizationDirection, Problem};

/// Why a model has, or has no, maximum-likelihood estimate for a table.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub enum Existence {
    /// The estimate exists (and the parameters are identifiable).
    Exists,
    /// The observed sufficient statistics lie on the boundary of the marginal cone: every table
    /// with the same margins keeps some observed zeros at zero, so the estimate is at infinity.
    Boundary,
    /// The design (after the −∞ parameters are left out) has fewer independent rows than
    /// parameters: the parameters are not identifiable.
    NotIdentifiable { parameters: usize, rank: usize },
}

impl Existence {
    pub fn exists(&self) -> bool {
        matches!(self, Existence::Exists)
    }
}

/// The optimal slack of the Fienberg–Rinaldo program above this is taken as positive. The data
/// are whole counts and 0/1 designs, so a positive optimum is far larger than round-off.
const SLACK_TOLERANCE: f64 = 1e-6;

/// Rank of a row-major `m × p` matrix by Gaussian elimination with partial pivoting.
pub(crate) fn rank(x: &[f64], m: usize, p: usize) -> usize {
    let mut a = x.to_vec();
    let mut rank = 0;
    for col in 0..p {
        if rank == m {
            break;
        }
        let (piv, best) = (rank..m)
            .map(|r| (r, a[r * p + col].abs()))
            .fold((rank, 0.0), |b, c| if c.1 > b.1 { c } else { b });
        if best < 1e-9 {
            continue;
        }
        for j in 0..p {
            a.swap(rank * p + j, piv * p + j);
        }
        for r in rank + 1..m {
            let f = a[r * p + col] / a[rank * p + col];
            if f != 0.0 {
                for j in col..p {
                    a[r * p + j] -= f * a[rank * p + j];
                }
            }
        }
        rank += 1;
    }
    rank
}

/// Whether some strictly positive table has the sufficient statistics of `y` under the design
/// `x` (row-major, `y.len()` rows × `p` columns): the Fienberg–Rinaldo linear program. `None`
/// when the solver could not answer (it then says so rather than guess).
pub(crate) fn interior(x: &[f64], y: &[f64], p: usize) -> Option<bool> {
    let zeros: Vec<usize> = (0..y.len()).filter(|&c| y[c] <= 0.0).collect();
    if zeros.is_empty() {
        // The observed table is itself strictly positive.
        return Some(true);
    }
    let mut lp = Problem::new(OptimizationDirection::Maximize);
    let s = lp.add_var(1.0, (0.0, 1.0));
    let vars: Vec<_> = (0..y.len())
        .map(|_| lp.add_var(0.0, (0.0, f64::INFINITY)))
        .collect();
    for j in 0..p {
        let mut terms = Vec::with_capacity(y.len() + 1);
        let mut t = 0.0;
        let mut on_zero = 0.0;
        for c in 0..y.len() {
            let a = x[c * p + j];
            if a != 0.0 {
                terms.push((vars[c], a));
                t += a * y[c];
                if y[c] <= 0.0 {
                    on_zero += a;
                }
            }
        }
        if on_zero != 0.0 {
            terms.push((s, on_zero));
        }
        if terms.is_empty() {
            continue;
        }
        lp.add_constraint(terms.as_slice(), ComparisonOp::Eq, t);
    }
    let solution = lp.solve().ok()?.into_solution().ok()?;
    Some(solution.objective() > SLACK_TOLERANCE)
}

/// The cells (indexes into `y`) that are zero in every non-negative table with the sufficient
/// statistics of `y`: those a model forces to zero when its estimate does not exist. One small
/// linear program per observed zero, so meant for explaining a refusal, not for model search.
pub(crate) fn forced_zeros(x: &[f64], y: &[f64], p: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for target in (0..y.len()).filter(|&c| y[c] <= 0.0) {
        let mut lp = Problem::new(OptimizationDirection::Maximize);
        let vars: Vec<_> = (0..y.len())
            .map(|c| {
                lp.add_var(
                    if c == target { 1.0 } else { 0.0 },
                    (0.0, if c == target { 1.0 } else { f64::INFINITY }),
                )
            })
            .collect();
        for j in 0..p {
            let terms: Vec<_> = (0..y.len())
                .filter(|&c| x[c * p + j] != 0.0)
                .map(|c| (vars[c], x[c * p + j]))
                .collect();
            if terms.is_empty() {
                continue;
            }
            let t: f64 = (0..y.len()).map(|c| x[c * p + j] * y[c]).sum();
            lp.add_constraint(terms.as_slice(), ComparisonOp::Eq, t);
        }
        let positive = lp
            .solve()
            .ok()
            .and_then(|o| o.into_solution().ok())
            .is_some_and(|s| s.objective() > SLACK_TOLERANCE);
        if !positive {
            out.push(target);
        }
    }
    out
}

/// Existence and identifiability for a design and counts.
pub(crate) fn check(x: &[f64], y: &[f64], p: usize) -> Existence {
    let r = rank(x, y.len(), p);
    if r < p {
        return Existence::NotIdentifiable {
            parameters: p,
            rank: r,
        };
    }
    match interior(x, y, p) {
        Some(true) => Existence::Exists,
        // A solver that cannot answer is not taken as a yes.
        _ => Existence::Boundary,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_lists_that_share_nobody_have_no_independence_estimate() {
        // Cells 10, 01, 11 under main effects: three parameters, three cells (saturated), so the
        // overlap cell is fixed by the margins; observed 0, it can never be positive.
        let x = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        assert_eq!(check(&x, &[60.0, 40.0, 0.0], 3), Existence::Boundary);
        assert_eq!(forced_zeros(&x, &[60.0, 40.0, 0.0], 3), vec![2]);
        assert_eq!(check(&x, &[60.0, 40.0, 1.0], 3), Existence::Exists);
    }

    #[test]
    fn rank_of_small_matrices() {
        assert_eq!(rank(&[1.0, 0.0, 0.0, 1.0], 2, 2), 2);
        assert_eq!(rank(&[1.0, 2.0, 2.0, 4.0], 2, 2), 1);
        assert_eq!(rank(&[1.0, 1.0, 1.0], 1, 3), 1);
    }
}
