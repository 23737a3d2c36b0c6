//! Differentially private tables: the full cross-classification of the chosen variables over
//! unique persons, each count with discrete Laplace noise, then post-processed so that counts
//! are whole, never negative, and every margin published is the sum of the cells it covers.
//!
//! Privacy: every person is in exactly one cell of the full table ([`crate::microdata`]), so
//! adding or removing one person changes the table by 1 in L1: noise of scale `1/ε` on each cell
//! gives ε-differential privacy (δ = 0) for the table, and everything computed from the noisy
//! table alone — the post-processing, the margins — costs nothing more. The cells are the
//! dictionary's whole domain (every code, whether or not anyone has it), never the codes found
//! in the data, so which cells exist says nothing.
//!
//! Post-processing: the noisy total is kept (its noise is the sum of the cells', so it is
//! unbiased), the noisy cells are projected onto the non-negative tables of that total (the
//! Euclidean projection onto the scaled simplex: subtract one shift from every cell and clip at
//! zero, the shift chosen so the total holds), and rounded to whole numbers keeping the total
//! (largest remainders). Margins are sums of the final cells, so they agree with them exactly.

use rand::Rng;

use crate::ReleaseError;
use crate::microdata::PersonTable;
use crate::noise::{Epsilon, Scale, discrete_laplace};

/// The most cells a released table may have.
pub const MAX_CELLS: u128 = 2_000_000;

/// The table of victims the issue asks for by default: year × sex × age group × form of
/// exploitation.
pub const DEFAULT_TABLE: &[&str] = &["date_identified", "sex", "age_band", "exploitation"];

/// Counts of the full cross-classification of `t`'s variables, cell index mixed-radix with the
/// last variable fastest.
pub fn histogram(t: &PersonTable) -> Result<Vec<i64>, ReleaseError> {
    let cells = t.domain();
    if cells > MAX_CELLS {
        return Err(ReleaseError::Spec(format!(
            "the table would have {cells} cells, more than {MAX_CELLS}: choose fewer variables"
        )));
    }
    let mut h = vec![0i64; cells as usize];
    for r in &t.rows {
        h[cell_index(t, r)] += 1;
    }
    Ok(h)
}

pub(crate) fn cell_index(t: &PersonTable, row: &[u16]) -> usize {
    let mut idx = 0usize;
    for (v, &x) in t.variables.iter().zip(row) {
        idx = idx * v.values.len() + x as usize;
    }
    idx
}

/// Adds discrete Laplace noise of `scale` to every count.
pub fn add_noise<R: Rng>(counts: &[i64], scale: Scale, rng: &mut R) -> Vec<i64> {
    counts
        .iter()
        .map(|&c| c + discrete_laplace(rng, scale))
        .collect()
}

/// The closest (Euclidean) non-negative vector summing to `total`: `max(0, y − τ)` with the
/// shift `τ` that makes the sum `total`.
pub fn project_to_total(y: &[f64], total: f64) -> Vec<f64> {
    if total <= 0.0 || y.is_empty() {
        return vec![0.0; y.len()];
    }
    let mut sorted: Vec<f64> = y.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut cum = 0.0;
    let mut tau = 0.0;
    for (k, &v) in sorted.iter().enumerate() {
        cum += v;
        let t = (cum - total) / (k + 1) as f64;
        // The cells above the shift are the k + 1 largest while the next one is not above it.
        if sorted.get(k + 1).is_none_or(|&next| next <= t) {
            tau = t;
            break;
        }
    }
    y.iter().map(|&v| (v - tau).max(0.0)).collect()
}

/// Whole numbers summing to `total` (a whole number), each the floor or ceiling of its value:
/// the units left after the floors go to the largest remainders (ties to the first cell).
pub fn round_keeping_total(x: &[f64], total: i64) -> Vec<i64> {
    let mut out: Vec<i64> = x.iter().map(|v| v.floor().max(0.0) as i64).collect();
    let mut left = total - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..x.len()).collect();
    order.sort_by(|&a, &b| {
        (x[b] - x[b].floor())
            .total_cmp(&(x[a] - x[a].floor()))
            .then(a.cmp(&b))
    });
    let mut i = 0;
    while left > 0 && !order.is_empty() {
        out[order[i % order.len()]] += 1;
        left -= 1;
        i += 1;
    }
    out
}

/// The noisy table after post-processing: whole, non-negative, summing to the noisy total.
pub fn post_process(noisy: &[i64]) -> Vec<i64> {
    let total = noisy.iter().sum::<i64>().max(0);
    let y: Vec<f64> = noisy.iter().map(|&v| v as f64).collect();
    round_keeping_total(&project_to_total(&y, total as f64), total)
}

/// A released table: the full cross-classification and every margin of it, as published.
#[derive(Debug, Clone)]
pub struct Release {
    pub variables: Vec<crate::microdata::Variable>,
    /// Per cell of the full table (mixed-radix, last variable fastest).
    pub cells: Vec<i64>,
    pub epsilon: Epsilon,
    pub scale: Scale,
}

/// The code written for "all values" of a variable in a margin (SDMX's total).
pub const TOTAL: &str = "_T";

impl Release {
    /// The margin over the variables whose flag is set (the others summed out).
    pub fn margin(&self, keep: &[bool]) -> Vec<(Vec<usize>, i64)> {
        let dims: Vec<usize> = self.variables.iter().map(|v| v.values.len()).collect();
        let kept: Vec<usize> = (0..dims.len()).filter(|&d| keep[d]).collect();
        let size: usize = kept.iter().map(|&d| dims[d]).product();
        let mut sums = vec![0i64; size];
        let mut idx = vec![0usize; dims.len()];
        for &c in &self.cells {
            let mut m = 0usize;
            for &d in &kept {
                m = m * dims[d] + idx[d];
            }
            sums[m] += c;
            // Next cell index, last variable fastest.
            for d in (0..dims.len()).rev() {
                idx[d] += 1;
                if idx[d] < dims[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        let mut out = Vec::with_capacity(size);
        for (m, s) in sums.into_iter().enumerate() {
            let mut rest = m;
            let mut key = vec![0usize; kept.len()];
            for (k, &d) in kept.iter().enumerate().rev() {
                key[k] = rest % dims[d];
                rest /= dims[d];
            }
            out.push((key, s));
        }
        out
    }

    /// The tidy CSV: `table` (which variables it crosses, `+`-joined, or `total`), one column
    /// per variable (`_T` where summed out), `count`. The full table first, then every margin
    /// over one variable fewer, down to the grand total.
    pub fn to_csv(&self) -> String {
        let n = self.variables.len();
        let mut out = String::from("table,");
        for v in &self.variables {
            out.push_str(&v.code);
            out.push(',');
        }
        out.push_str("count\n");
        // Every subset of the variables, largest first (bit set = kept).
        let mut subsets: Vec<u32> = (0..(1u32 << n)).collect();
        subsets.sort_by_key(|s| (std::cmp::Reverse(s.count_ones()), std::cmp::Reverse(*s)));
        for s in subsets {
            let keep: Vec<bool> = (0..n).map(|d| s & (1 << (n - 1 - d)) != 0).collect();
            let name: Vec<&str> = (0..n)
                .filter(|&d| keep[d])
                .map(|d| self.variables[d].code.as_str())
                .collect();
            let name = if name.is_empty() {
                "total".to_string()
            } else {
                name.join("+")
            };
            for (key, count) in self.margin(&keep) {
                out.push_str(&name);
                out.push(',');
                let mut k = key.iter();
                for (d, v) in self.variables.iter().enumerate() {
                    if keep[d] {
                        let i = *k.next().unwrap_or(&0);
                        out.push_str(&v.values[i]);
                    } else {
                        out.push_str(TOTAL);
                    }
                    out.push(',');
                }
                out.push_str(&count.to_string());
                out.push('\n');
            }
        }
        out
    }
}

/// Releases the full table of `t` under `epsilon`, drawing noise from `rng`.
pub fn release<R: Rng>(
    t: &PersonTable,
    epsilon: Epsilon,
    rng: &mut R,
) -> Result<Release, ReleaseError> {
    let h = histogram(t)?;
    // One person is in one cell: L1 sensitivity 1.
    let scale = Scale::for_query(1, epsilon);
    let noisy = add_noise(&h, scale, rng);
    Ok(Release {
        variables: t.variables.clone(),
        cells: post_process(&noisy),
        epsilon,
        scale,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_keeps_the_total_and_clips_at_zero() {
        let x = project_to_total(&[5.0, -3.0, 2.0, 1.0], 5.0);
        assert!((x.iter().sum::<f64>() - 5.0).abs() < 1e-9, "{x:?}");
        assert!(x.iter().all(|&v| v >= 0.0));
        // The largest cell stays largest and the negative one goes to zero.
        assert_eq!(x[1], 0.0);
        assert!(x[0] > x[2] && x[2] >= x[3]);
        assert_eq!(project_to_total(&[1.0, 2.0], 0.0), vec![0.0, 0.0]);
        // A table already non-negative with its own total is left as it is.
        assert_eq!(project_to_total(&[1.0, 2.0, 3.0], 6.0), vec![1.0, 2.0, 3.0]);
    }

    #[test]
    fn rounding_keeps_the_total() {
        let r = round_keeping_total(&[0.4, 1.6, 2.5, 0.5], 5);
        assert_eq!(r.iter().sum::<i64>(), 5);
        assert_eq!(r, vec![0, 2, 3, 0]);
    }
}
