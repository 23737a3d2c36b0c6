//! Poisson log-linear regression by Newton–Raphson (IRLS) on small dense problems. Whether the
//! maximum-likelihood estimate exists is decided before fitting, exactly, by the linear program
//! of [`crate::exist`]; a singular information matrix is still reported here.

use crate::stats::ln_gamma;

/// Result of one fit.
#[derive(Debug, Clone)]
pub struct Fit {
    pub beta: Vec<f64>,
    /// Standard errors from the inverse Fisher information.
    pub se: Vec<f64>,
    pub loglik: f64,
    pub mu: Vec<f64>,
    /// False when the information matrix is singular (or, from [`crate::Model::fit`], when the
    /// linear program found that the MLE does not exist and no fit was run).
    pub exists: bool,
}

/// Cholesky factorisation of a symmetric positive definite matrix (row-major, n×n).
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = a[i * n + j];
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 1e-12 * a[i * n + i].abs().max(1e-300) {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    Some(l)
}

fn solve(l: &[f64], n: usize, b: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; n];
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * y[k];
        }
        y[i] = s / l[i * n + i];
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = y[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
    x
}

fn loglik(y: &[f64], mu: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .map(|(&y, &m)| {
            if y > 0.0 {
                y * m.ln() - m - ln_gamma(y + 1.0)
            } else {
                -m
            }
        })
        .sum()
}

/// Fits log μ = Xβ to counts `y`. `x` is row-major, `y.len()` rows × `p` columns; `start` warm-starts.
pub fn fit_poisson(x: &[f64], y: &[f64], p: usize, start: Option<&[f64]>) -> Fit {
    let m = y.len();
    let mut beta = match start {
        Some(s) if s.len() == p => s.to_vec(),
        _ => {
            let mut b = vec![0.0; p];
            b[0] = (y.iter().sum::<f64>() / m as f64 + 0.5).ln();
            b
        }
    };
    let eta = |beta: &[f64]| -> Vec<f64> {
        (0..m)
            .map(|i| {
                (0..p)
                    .map(|j| x[i * p + j] * beta[j])
                    .sum::<f64>()
                    .clamp(-700.0, 700.0)
            })
            .collect()
    };
    let mut mu: Vec<f64> = eta(&beta).iter().map(|e| e.exp()).collect();
    let mut ll = loglik(y, &mu);
    let mut exists = true;
    let mut info = vec![0.0; p * p];
    for _ in 0..300 {
        // Gradient and Fisher information.
        let mut g = vec![0.0; p];
        info.iter_mut().for_each(|v| *v = 0.0);
        for i in 0..m {
            let r = y[i] - mu[i];
            let row = &x[i * p..(i + 1) * p];
            for a in 0..p {
                if row[a] == 0.0 {
                    continue;
                }
                g[a] += row[a] * r;
                for b in 0..=a {
                    info[a * p + b] += row[a] * row[b] * mu[i];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                info[b * p + a] = info[a * p + b];
            }
        }
        let Some(l) = cholesky(&info, p) else {
            exists = false;
            break;
        };
        let step = solve(&l, p, &g);
        // Step halving keeps every iteration an improvement.
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..30 {
            let cand: Vec<f64> = beta.iter().zip(&step).map(|(b, s)| b + t * s).collect();
            let cmu: Vec<f64> = eta(&cand).iter().map(|e| e.exp()).collect();
            let cll = loglik(y, &cmu);
            if cll >= ll - 1e-12 {
                let gain = cll - ll;
                beta = cand;
                mu = cmu;
                ll = cll;
                improved = true;
                if gain.abs() < 1e-11 && step.iter().all(|s| (t * s).abs() < 1e-7) {
                    t = 0.0;
                }
                break;
            }
            t /= 2.0;
        }
        if !improved || t == 0.0 {
            break;
        }
    }
    let se = match cholesky(&info, p) {
        Some(l) => (0..p)
            .map(|j| {
                let mut e = vec![0.0; p];
                e[j] = 1.0;
                solve(&l, p, &e)[j].max(0.0).sqrt()
            })
            .collect(),
        None => {
            exists = false;
            vec![f64::NAN; p]
        }
    };
    Fit {
        beta,
        se,
        loglik: ll,
        mu,
        exists,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn recovers_a_known_log_linear_fit() {
        // Two-list table, independence: the classic Petersen estimate n1*n2/m.
        // Cells (10, 01, 11) with counts 60, 40, 20: N = 80*60/20 = 240, unseen = 240 - 120 = 120.
        let x = [1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let y = [60.0, 40.0, 20.0];
        let f = super::fit_poisson(&x, &y, 3, None);
        assert!(f.exists);
        assert!(
            (f.beta[0].exp() - 120.0).abs() < 1e-6,
            "{}",
            f.beta[0].exp()
        );
    }
}
