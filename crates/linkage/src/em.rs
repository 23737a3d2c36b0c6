//! Fellegi–Sunter parameters without labels: u from random pairs (almost all non-matches),
//! term frequencies from the keyed values, m and the match prior by expectation–maximisation over
//! a histogram of the candidates' comparison patterns.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

use crate::{
    Config, FAMILY, FIELDS, FULL, GIVEN, Levels, Mode, OFFSET, Rec, TF_CIT, TF_KINDS, TF_SHIFT,
    WIDTH, compare, parallel, unpack,
};

/// m and u probabilities per field and level, and the probability that two records drawn at
/// random (across sources in link mode) are the same person.
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

    /// Prior odds of a match, in bits.
    pub fn prior(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Weight of the evidence of a pair (without the prior): every field's weight plus the
    /// term-frequency adjustment `tf`.
    pub fn weight_of(&self, levels: &Levels, tf: f32) -> f64 {
        (0..FIELDS.len())
            .map(|f| self.field_weight(f, levels[f]))
            .sum::<f64>()
            + tf as f64
    }

    /// Field weights by field and packed level (the all-ones level, missing, weighs 0).
    pub(crate) fn table(&self) -> [[f64; 16]; FIELDS.len()] {
        let mut t = [[0.0; 16]; FIELDS.len()];
        for (f, row) in t.iter_mut().enumerate() {
            for (l, w) in row.iter_mut().enumerate().take(FIELDS[f].1) {
                *w = self.field_weight(f, l as i8);
            }
        }
        t
    }

    /// Total weight of a pair: prior odds plus the evidence.
    pub fn weight(&self, levels: &Levels) -> f64 {
        self.prior() + self.weight_of(levels, 0.0)
    }
}

/// Weight of the evidence of a packed comparison (without the prior).
#[inline]
pub(crate) fn weight_from(table: &[[f64; 16]; FIELDS.len()], code: u32) -> f64 {
    let mut w = ((code >> TF_SHIFT) as i32 - 8192) as f64 / 4.0;
    for (f, row) in table.iter().enumerate() {
        w += row[((code >> OFFSET[f]) & ((1 << WIDTH[f]) - 1)) as usize];
    }
    w
}

fn normalise(v: &mut [f64]) {
    let s: f64 = v.iter().sum();
    for x in v.iter_mut() {
        *x /= s;
    }
}

/// Pairs of records that could be the same person, in all.
fn total_pairs(recs: &[Rec], mode: Mode) -> f64 {
    let n = recs.len() as f64;
    match mode {
        Mode::Dedupe => n * (n - 1.0) / 2.0,
        Mode::Link => {
            let mut per: FxHashMap<u16, f64> = FxHashMap::default();
            for r in recs {
                *per.entry(r.source).or_default() += 1.0;
            }
            let s: f64 = per.values().sum();
            let sq: f64 = per.values().map(|c| c * c).sum();
            (s * s - sq) / 2.0
        }
    }
}

/// Term-frequency adjustments: agreeing on a value held by `c` persons proves `log2(c̄ / c)` bits
/// more than an average agreement, where `c̄` is the count of a typical agreeing value. Placeholder
/// dates and very common names get less weight; rare names, in a large file, more.
///
/// Records are not persons: one person reported four times would make their name look common. So
/// a name counts the distinct years of birth of the records holding it (at least one), and a date
/// or an ID the distinct full names holding it — an estimate of the persons behind a value that
/// needs no clear value.
pub(crate) fn term_frequencies(recs: &mut [Rec], threads: usize) {
    // One kind of value at a time, the kinds shared between threads; each gives the adjustment
    // of every record, written back once all are known.
    let kinds = TF_KINDS.len() + 1;
    let adjustments: Vec<(usize, Vec<f32>)> = parallel(kinds, threads.clamp(1, 2), |range| {
        range.map(|t| (t, adjustments(recs, t))).collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
    for (t, adj) in adjustments {
        if adj.is_empty() {
            continue;
        }
        for (r, a) in recs.iter_mut().zip(adj) {
            r.tf[t] = a;
        }
    }
}

/// The term-frequency adjustment of every record for the values of kind `t` (an index of
/// [`TF_KINDS`], or [`TF_CIT`]); empty when fewer than two records hold one.
fn adjustments(recs: &[Rec], t: usize) -> Vec<f32> {
    let value = |r: &Rec| match TF_KINDS.get(t) {
        Some(&s) => r.key(s),
        None => (r.cit != 0).then_some(r.cit as u64),
    };
    // What tells two holders of the value apart (0: nothing known, or not needed).
    let person = |r: &Rec| match TF_KINDS.get(t) {
        Some(&FULL) | Some(&FAMILY) | Some(&GIVEN) => r.birth_year as u64,
        Some(_) => r.key(FULL).unwrap_or(0),
        None => 0,
    };
    let mut tagged: Vec<(u64, u64, u32)> = recs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| value(r).map(|v| (v, person(r), i as u32)))
        .collect();
    if tagged.len() < 2 {
        return Vec::new();
    }
    tagged.sort_unstable();
    let mut groups: Vec<(usize, usize, f64)> = Vec::new();
    let (mut sum_c2, mut sum_c) = (0.0, 0.0);
    let mut start = 0;
    while start < tagged.len() {
        let mut end = start + 1;
        while end < tagged.len() && tagged[end].0 == tagged[start].0 {
            end += 1;
        }
        let c = if t == TF_CIT {
            (end - start) as f64
        } else {
            let mut distinct = 0usize;
            for i in start..end {
                let p = tagged[i].1;
                if p != 0 && (i == start || tagged[i - 1].1 != p) {
                    distinct += 1;
                }
            }
            distinct.max(1) as f64
        };
        sum_c2 += c * c;
        sum_c += c;
        groups.push((start, end, c));
        start = end;
    }
    let typical = (sum_c2 / sum_c).max(1.0);
    let mut out = vec![0.0f32; recs.len()];
    for (start, end, c) in groups {
        let adj = (typical / c).log2().clamp(-12.0, 8.0) as f32;
        for x in &tagged[start..end] {
            out[x.2 as usize] = adj;
        }
    }
    out
}

/// Starting m: what agreement looks like among true matches in administrative registers (mostly
/// exact or near-exact names, complete dates, agreeing IDs).
fn register_m() -> Vec<Vec<f64>> {
    let mut m = vec![
        // name: other, close, one part only, close without a part, given same, family same, full
        vec![0.01, 0.02, 0.07, 0.05, 0.08, 0.10, 0.67],
        // birth date: other, a year apart, same year other month, same year (partial), same
        // month, swapped, exact, same day and month in another year
        vec![0.01, 0.05, 0.04, 0.05, 0.05, 0.03, 0.77, 0.04],
        vec![0.03, 0.97],
        vec![0.05, 0.95],
        vec![0.01, 0.99],
        vec![0.03, 0.97],
        // residence: nothing in common (moved), postcode or place, both, same street address
        vec![0.30, 0.03, 0.12, 0.55],
    ];
    m.iter_mut().for_each(|v| normalise(v));
    m
}

/// u from random pairs, m and lambda by EM over the candidates.
/// `rank[i]` is the position in `recs` of the caller's record `i`.
pub(crate) fn estimate(recs: &[Rec], rank: &[u32], codes: &[u32], cfg: &Config) -> Params {
    let n = recs.len();
    // u: level frequencies among random pairs, smoothed so no level has probability zero.
    // Smoothing: a thousand pseudo-pairs that look like strangers in a national register, so a
    // small file (a few dozen records) still gets sensible weights and no level is impossible.
    let mut u: Vec<Vec<f64>> = vec![
        vec![0.976, 0.005, 0.014, 0.0005, 0.002, 0.002, 0.0005],
        vec![0.93, 0.04, 0.02, 0.005, 0.003, 0.0005, 0.0015, 0.005],
        vec![0.999, 0.001],
        vec![0.999, 0.001],
        vec![0.5, 0.5],
        vec![0.5, 0.5],
        vec![0.995, 0.001, 0.004, 0.00001],
    ];
    for v in &mut u {
        for x in v.iter_mut() {
            *x *= 1000.0;
        }
    }
    let sources: Vec<u16> = {
        let mut s: Vec<u16> = recs.iter().map(|r| r.source).collect();
        s.sort_unstable();
        s.dedup();
        s
    };
    let samples = if n > 1 {
        (total_pairs(recs, cfg.mode) as usize).clamp(1, 2_000_000)
    } else {
        0
    };
    if samples > 0 && !(cfg.mode == Mode::Link && sources.len() < 2) {
        let per = samples.div_ceil(cfg.threads.max(1));
        let counts = parallel(cfg.threads.max(1), cfg.threads.max(1), |r| {
            let mut u: Vec<Vec<f64>> = FIELDS.iter().map(|(_, k)| vec![0.0; *k]).collect();
            for t in r {
                let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed.wrapping_add(t as u64 * 7919));
                let (mut taken, mut tries) = (0, 0);
                while taken < per && tries < per * 20 {
                    tries += 1;
                    let (a, b) = (
                        rank[rng.random_range(0..n)] as usize,
                        rank[rng.random_range(0..n)] as usize,
                    );
                    if a == b || (cfg.mode == Mode::Link && recs[a].source == recs[b].source) {
                        continue;
                    }
                    taken += 1;
                    for (f, l) in compare(&recs[a], &recs[b]).0.iter().enumerate() {
                        if *l >= 0 {
                            u[f][*l as usize] += 1.0;
                        }
                    }
                }
            }
            u
        });
        for c in counts {
            for (uf, cf) in u.iter_mut().zip(c) {
                for (x, y) in uf.iter_mut().zip(cf) {
                    *x += y;
                }
            }
        }
    }
    u.iter_mut().for_each(|v| normalise(v));
    let mut m = register_m();
    let total = total_pairs(recs, cfg.mode).max(1.0);
    // A histogram of comparison patterns makes each EM iteration cost microseconds, whatever
    // the number of pairs.
    let mut hist: FxHashMap<u32, f64> = FxHashMap::default();
    for &c in codes {
        *hist.entry(c).or_default() += 1.0;
    }
    // In a fixed order, so the sums below do not depend on the hash map's.
    let mut hist: Vec<(u32, f64)> = hist.into_iter().collect();
    hist.sort_unstable_by_key(|h| h.0);
    let patterns: Vec<((Levels, f32), f64)> =
        hist.into_iter().map(|(c, n)| (unpack(c), n)).collect();
    // Start: about one match per record of a duplicated list.
    let mut lambda = (n as f64 / 4.0 / total).clamp(1e-12, 0.5);
    let start = register_m();
    let pseudo = 20.0;
    for _ in 0..cfg.em_iterations {
        let params = Params {
            m: m.clone(),
            u: u.clone(),
            lambda,
        };
        let prior = params.prior();
        let mut mc: Vec<Vec<f64>> = start
            .iter()
            .map(|v| v.iter().map(|x| x * pseudo).collect())
            .collect();
        let mut matches = 0.0;
        for ((l, tf), count) in &patterns {
            let w = prior + params.weight_of(l, *tf);
            let p = crate::probability(w);
            matches += p * count;
            for (f, lv) in l.iter().enumerate() {
                if *lv >= 0 {
                    mc[f][*lv as usize] += p * count;
                }
            }
        }
        mc.iter_mut().for_each(|v| normalise(v));
        if !cfg.em_m {
            mc = m.clone();
        }
        let new_lambda = (matches / total).clamp(1e-12, 0.5);
        let delta: f64 = mc
            .iter()
            .zip(&m)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold((new_lambda / lambda).log2().abs(), f64::max);
        m = mc;
        lambda = new_lambda;
        if delta < 1e-4 {
            break;
        }
    }
    if cfg.em_iterations == 0 || patterns.is_empty() {
        // Without EM: the prior from the pairs whose names and birth dates both agree closely.
        let strong: f64 = patterns
            .iter()
            .filter(|((l, _), _)| l[0] >= 4 && l[1] >= 4)
            .map(|(_, c)| c)
            .sum();
        lambda = (strong.max(1.0) / total).clamp(1e-12, 0.5);
    }
    Params { m, u, lambda }
}
