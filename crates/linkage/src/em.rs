//! Fellegi–Sunter parameters without labels: u from random pairs (almost all non-matches), m and
//! the match rate by expectation–maximisation over the candidate pairs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::{Config, FIELDS, Mode, Rec, compare};

/// m and u probabilities per field and level, and the prior match probability among candidates.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Params {
    pub m: Vec<Vec<f64>>,
    pub u: Vec<Vec<f64>>,
    pub lambda: f64,
}

impl Params {
    /// Weight of one field's level, in bits (log2 m/u); 0 for a missing value.
    pub fn field_weight(&self, field: usize, level: i8) -> f64 {
        if level < 0 {
            return 0.0;
        }
        let l = level as usize;
        (self.m[field][l] / self.u[field][l]).log2()
    }

    /// Total weight of a pair: prior odds plus every field's weight.
    pub fn weight(&self, levels: &[i8; 6]) -> f64 {
        let prior = (self.lambda / (1.0 - self.lambda)).log2();
        prior
            + (0..FIELDS.len())
                .map(|f| self.field_weight(f, levels[f]))
                .sum::<f64>()
    }
}

fn normalise(v: &mut [f64]) {
    let s: f64 = v.iter().sum();
    for x in v.iter_mut() {
        *x /= s;
    }
}

pub(crate) fn estimate(recs: &[Rec], levels: &[[i8; 6]], cfg: &Config) -> Params {
    // u: level frequencies among random pairs, smoothed so no level has probability zero.
    let mut u: Vec<Vec<f64>> = FIELDS.iter().map(|(_, n)| vec![1.0; *n]).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let n = recs.len();
    if n > 1 {
        let samples = 200_000.min(n * (n - 1) / 2).max(1);
        let mut taken = 0;
        let mut tries = 0;
        while taken < samples && tries < samples * 20 {
            tries += 1;
            let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
            if a == b || (cfg.mode == Mode::Link && recs[a].source == recs[b].source) {
                continue;
            }
            taken += 1;
            for (f, l) in compare(&recs[a], &recs[b]).iter().enumerate() {
                if *l >= 0 {
                    u[f][*l as usize] += 1.0;
                }
            }
        }
    }
    u.iter_mut().for_each(|v| normalise(v));
    // m: start by believing matches agree, then EM.
    // Starting m: what agreement looks like among true matches in administrative registers
    // (mostly exact or near-exact names, complete dates, agreeing IDs).
    let mut m: Vec<Vec<f64>> = vec![
        vec![0.01, 0.05, 0.24, 0.70],
        vec![0.03, 0.15, 0.07, 0.05, 0.70],
        vec![0.05, 0.95],
        vec![0.10, 0.90],
        vec![0.02, 0.98],
        vec![0.10, 0.90],
    ];
    m.iter_mut().for_each(|v| normalise(v));
    // The share of matches among candidates is set from pairs whose names and birth dates both
    // agree closely, not left to EM: with blocking this tight, EM's degenerate solution ("every
    // candidate is a match and matches disagree on names") has the higher likelihood.
    let close_id = |l: &[i8; 6]| l[2] == 1 || l[3] == 1;
    let strong = levels
        .iter()
        .filter(|l| (l[0] >= 2 && (l[1] >= 2 || close_id(l))) || (l[1] >= 3 && close_id(l)))
        .count();
    let lambda = if levels.is_empty() {
        0.1
    } else {
        (strong as f64 / levels.len() as f64).clamp(1e-4, 0.95)
    };
    for _ in 0..cfg.em_iterations {
        let mut mc: Vec<Vec<f64>> = FIELDS.iter().map(|(_, k)| vec![0.01; *k]).collect();
        for lv in levels {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for (f, l) in lv.iter().enumerate() {
                if *l >= 0 {
                    pm *= m[f][*l as usize];
                    pu *= u[f][*l as usize];
                }
            }
            let p = pm / (pm + pu);
            for (f, l) in lv.iter().enumerate() {
                if *l >= 0 {
                    mc[f][*l as usize] += p;
                }
            }
        }
        if levels.is_empty() {
            break;
        }
        mc.iter_mut().for_each(|v| normalise(v));
        let delta: f64 = mc
            .iter()
            .zip(&m)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold(0.0, f64::max);
        m = mc;
        if delta < 1e-6 {
            break;
        }
    }
    Params { m, u, lambda }
}
