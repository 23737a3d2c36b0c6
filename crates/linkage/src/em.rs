//! Fellegi–Sunter parameters learnt from the data being linked, without labels: u from random
//! pairs (almost all non-matches); m per field and level by EM on training sessions blocked on
//! another field (the name from pairs sharing the birth date, the birth date from pairs sharing
//! the name); term frequencies from the keyed values; the match prior from the pairs that agree
//! on name and complete birth date.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

use crate::{
    Config, DATE, FAMILY, FIELDS, FULL, GIVEN, Levels, Mode, OFFSET, PHON, Rec, TF_CIT, TF_KINDS,
    TF_SHIFT, TF_ZERO, WIDTH, compare_as, pack, parallel, unpack,
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
    let mut w = ((code >> TF_SHIFT) as i32 - TF_ZERO) as f64 / 4.0;
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

/// Sex and citizenship: one distribution for pairs whose names are unlike, one for pairs whose
/// names are alike.
const SEX: usize = 4;
const CIT: usize = 5;

/// Normalises field `f`'s levels (each distribution of it to one).
fn normalise_field(f: usize, v: &mut [f64]) {
    if f == SEX || f == CIT {
        let (unlike, alike) = v.split_at_mut(crate::NAMES_ALIKE as usize);
        normalise(unlike);
        normalise(alike);
    } else {
        normalise(v);
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
///
/// With `persons` (the person of each record, from a first pass of the linkage), the names
/// count the distinct persons holding them: the frequency of a name among people, which the
/// records of one person reported four times no longer inflate. (The other kinds already count
/// the distinct names holding a value.)
pub(crate) fn term_frequencies(recs: &mut [Rec], threads: usize, persons: Option<&[u32]>) {
    // One kind of value at a time, the kinds shared between threads; each gives the adjustment
    // of every record, written back once all are known.
    let kinds: Vec<usize> = match persons {
        Some(_) => (0..TF_KINDS.len())
            .filter(|&t| matches!(TF_KINDS[t], FULL | FAMILY | GIVEN | PHON))
            .collect(),
        None => (0..=TF_KINDS.len()).collect(),
    };
    let adjustments: Vec<(usize, Vec<f32>)> = parallel(kinds.len(), threads.clamp(1, 2), |range| {
        range
            .map(|k| (kinds[k], adjustments(recs, kinds[k], persons)))
            .collect::<Vec<_>>()
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
fn adjustments(recs: &[Rec], t: usize, persons: Option<&[u32]>) -> Vec<f32> {
    let value = |r: &Rec| match TF_KINDS.get(t) {
        Some(&s) => r.key(s),
        None => (r.cit != 0).then_some(r.cit as u64),
    };
    // What tells two holders of the value apart (0: nothing known, or not needed).
    // Names count their records: the frequency of the keyed name in the data being linked. (The
    // distinct years of birth of its holders, used before, call a name held by fifty records
    // without a birth date rare.)
    let person = |i: usize, r: &Rec| match (persons, TF_KINDS.get(t)) {
        (Some(p), Some(_)) => p[i] as u64 + 1,
        (None, Some(&FULL) | Some(&FAMILY) | Some(&GIVEN) | Some(&PHON)) => i as u64 + 1,
        (None, Some(_)) => r.key(FULL).unwrap_or(0),
        _ => 0,
    };
    let mut tagged: Vec<(u64, u64, u32)> = recs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| value(r).map(|v| (v, person(i, r), i as u32)))
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

/// Starting m: what agreement looks like among true matches in administrative registers, the
/// prior EM starts from and is pulled towards by a few pseudo-pairs (so a level no pair shows
/// keeps a sensible value).
fn register_m() -> Vec<Vec<f64>> {
    let mut m = vec![
        // name: other, close, one part only, close without a part, given same, family same, full,
        // sounds alike
        vec![0.01, 0.02, 0.07, 0.05, 0.08, 0.10, 0.60, 0.07],
        // birth date: other, a year apart, same year other month, same year (partial), same
        // month, swapped, exact, same day and month in another year, one side missing, both
        // missing, two years apart
        vec![
            0.01, 0.04, 0.03, 0.10, 0.03, 0.02, 0.40, 0.03, 0.20, 0.12, 0.02,
        ],
        vec![0.03, 0.97],
        vec![0.05, 0.95],
        vec![0.01, 0.99, 0.01, 0.99],
        vec![0.03, 0.97, 0.03, 0.97],
        // residence: nothing in common (moved), postcode or place, both, same street address
        vec![0.30, 0.03, 0.12, 0.55],
    ];
    m.iter_mut()
        .enumerate()
        .for_each(|(f, v)| normalise_field(f, v));
    m
}

/// A comparison pattern (levels and term-frequency adjustment) and how many pairs show it.
type Pattern = ((Levels, f32), f64);

/// Pseudo-pairs that pull EM's m towards [`register_m`].
const PSEUDO: f64 = 20.0;
/// Pairs compared at most per training session.
const SESSION_PAIRS: f64 = 300_000.0;
/// Records taken at most from one block of a training session (the first in the caller's order).
const SESSION_BLOCK: usize = 50;

/// Pairs sharing the keyed value of `slot` (a training "session" blocked on that field), up to
/// [`SESSION_PAIRS`]: records are sampled by their position in the caller's order, so the pairs
/// drawn do not depend on the secret. Compared with sex and citizenship always given.
fn session(recs: &[Rec], order: &[u32], slot: usize, cfg: &Config) -> (Vec<Pattern>, f64) {
    let mut e: Vec<(u64, u32, u32)> = recs
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.key(slot).map(|k| (k, order[i], i as u32)))
        .collect();
    e.sort_unstable();
    let blocks = |e: &[(u64, u32, u32)]| {
        let mut out: Vec<(usize, usize)> = Vec::new();
        let mut start = 0;
        while start < e.len() {
            let mut end = start + 1;
            while end < e.len() && e[end].0 == e[start].0 {
                end += 1;
            }
            out.push((start, end.min(start + SESSION_BLOCK)));
            start = end;
        }
        out
    };
    let all = blocks(&e);
    let total: f64 = all
        .iter()
        .map(|(s, e)| ((e - s) * (e - s - 1) / 2) as f64)
        .sum();
    let keep = if total > SESSION_PAIRS {
        (SESSION_PAIRS / total).sqrt()
    } else {
        1.0
    };
    let mut hist: FxHashMap<u32, f64> = FxHashMap::default();
    let mut pairs = 0.0;
    let sampled = |o: u32| {
        keep >= 1.0
            || (crate::blocking::mix(o as u64 ^ cfg.seed.rotate_left(17)) as f64 / u64::MAX as f64)
                < keep
    };
    let mut list: Vec<(u32, u32)> = Vec::new();
    for (start, end) in all {
        let members: Vec<u32> = e[start..end]
            .iter()
            .filter(|x| sampled(x.1))
            .map(|x| x.2)
            .collect();
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                if !(cfg.mode == Mode::Link && recs[a as usize].source == recs[b as usize].source) {
                    list.push((a, b));
                }
            }
        }
    }
    drop(e);
    // Compared on every thread, each counting its own patterns.
    let parts = parallel(list.len(), cfg.threads, |range| {
        let mut h: FxHashMap<u32, f64> = FxHashMap::default();
        for &(a, b) in &list[range] {
            let (l, tf) = compare_as::<false>(&recs[a as usize], &recs[b as usize]);
            *h.entry(pack(&l, tf)).or_default() += 1.0;
        }
        h
    });
    for part in parts {
        for (c, n) in part {
            *hist.entry(c).or_default() += n;
            pairs += n;
        }
    }
    let mut hist: Vec<(u32, f64)> = hist.into_iter().collect();
    hist.sort_unstable_by_key(|h| h.0);
    (
        hist.into_iter().map(|(c, n)| (unpack(c), n)).collect(),
        pairs,
    )
}

/// EM over one session's comparison patterns: m of the `trained` fields (the field the session is
/// blocked on keeps its own: its agreement is the same for every pair), and the session's match
/// prior. Each pair's term-frequency adjustment enters its prior odds: a pair sharing a rare name
/// is more likely a match than one sharing a common name, which is what lets EM tell matches
/// from namesakes even where the other fields say little (a birth date missing on one side).
fn train(
    patterns: &[Pattern],
    pairs: f64,
    u: &[Vec<f64>],
    m: &mut [Vec<f64>],
    trained: &[usize],
    iterations: usize,
    share: f64,
) {
    if pairs < 30.0 {
        return;
    }
    let start = register_m();
    // Prior odds in bits, before each pair's term-frequency adjustment.
    let share = share.clamp(0.01, 0.99);
    let mut prior: f64 = (share / (1.0 - share)).log2();
    for _ in 0..iterations {
        let params = Params {
            m: m.to_vec(),
            u: u.to_vec(),
            lambda: 0.5,
        };
        let mut mc: Vec<Vec<f64>> = start
            .iter()
            .map(|v| v.iter().map(|x| x * PSEUDO).collect())
            .collect();
        let mut matches = 0.0;
        for ((l, tf), count) in patterns {
            let w: f64 = trained.iter().map(|&f| params.field_weight(f, l[f])).sum();
            let p = crate::probability(prior + *tf as f64 + w);
            matches += p * count;
            for &f in trained {
                if l[f] >= 0 {
                    mc[f][l[f] as usize] += p * count;
                }
            }
        }
        let mut delta: f64 = 0.0;
        for &f in trained {
            normalise_field(f, &mut mc[f]);
            for (x, y) in mc[f].iter().zip(&m[f]) {
                delta = delta.max((x - y).abs());
            }
            m[f] = mc[f].clone();
        }
        // The prior whose expected matches (given each pair's adjustment) are the posteriors'.
        let expected = |a: f64| -> f64 {
            patterns
                .iter()
                .map(|((_, tf), count)| crate::probability(a + *tf as f64) * count)
                .sum()
        };
        let (mut lo, mut hi) = (-60.0f64, 60.0f64);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if expected(mid) < matches {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let new_prior = 0.5 * (lo + hi);
        delta = delta.max((new_prior - prior).abs() / 100.0);
        prior = new_prior;
        if delta < 1e-5 {
            break;
        }
    }
}

/// m of the birth date from pairs that share the full name. Among them, the birth date is the only
/// field that tells a person from a namesake (sex and citizenship go with the name), and one
/// field alone does not make a mixture identifiable: EM would take namesakes born years apart
/// for matches. So the share of matches comes from the level "years three or more apart", which
/// a person's records almost never show (m ≈ 0) while namesakes show it as often as random
/// pairs (u): share = 1 − observed / u. The m of every level follows from the observed
/// distribution, the namesakes' (u) taken out. (Where a date can be mistyped by years, as in
/// FEBRL, and another field witnesses, EM corrects this start; see `estimate`.)
fn birth_from_namesakes(
    patterns: &[Pattern],
    pairs: f64,
    u: &[Vec<f64>],
    m: &mut [Vec<f64>],
) -> f64 {
    const BIRTH: usize = 1;
    if pairs < 30.0 {
        return 0.1;
    }
    let mut seen = vec![0.0; u[BIRTH].len()];
    for ((l, _), count) in patterns {
        if l[BIRTH] >= 0 {
            seen[l[BIRTH] as usize] += count;
        }
    }
    normalise(&mut seen);
    let share = (1.0 - seen[0] / u[BIRTH][0]).clamp(0.02, 1.0);
    let start = register_m();
    let mut est: Vec<f64> = seen
        .iter()
        .zip(&u[BIRTH])
        .zip(&start[BIRTH])
        .map(|((o, u), s)| ((o - (1.0 - share) * u).max(0.0) / share) * pairs + s * PSEUDO)
        .collect();
    normalise(&mut est);
    m[BIRTH] = est;
    share
}

/// u from random pairs, m by EM on training sessions, the match prior by EM over the candidates.
/// `rank[i]` is the position in `recs` of the caller's record `i`, `order` the inverse.
pub(crate) fn estimate(
    recs: &[Rec],
    rank: &[u32],
    order: &[u32],
    codes: &[u32],
    cfg: &Config,
) -> Params {
    let n = recs.len();
    // u: level frequencies among random pairs, smoothed so no level has probability zero.
    // Smoothing: a thousand pseudo-pairs that look like strangers in a national register, so a
    // small file (a few dozen records) still gets sensible weights and no level is impossible.
    let mut u: Vec<Vec<f64>> = vec![
        vec![0.976, 0.005, 0.014, 0.0005, 0.002, 0.002, 0.0005, 0.0005],
        vec![
            0.6, 0.04, 0.015, 0.01, 0.002, 0.0005, 0.0015, 0.004, 0.25, 0.1, 0.04,
        ],
        vec![0.999, 0.001],
        vec![0.999, 0.001],
        vec![0.5, 0.5, 0.1, 0.9],
        vec![0.5, 0.5, 0.2, 0.8],
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
                    for (f, l) in compare_as::<true>(&recs[a], &recs[b]).0.iter().enumerate() {
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
    u.iter_mut()
        .enumerate()
        .for_each(|(f, v)| normalise_field(f, v));
    let mut m = register_m();
    if cfg.em_m {
        // m of every field but the name from pairs that share the full name, then m of the name
        // from pairs that share the complete birth date: a field's m is never learnt from pairs
        // chosen because that field agrees.
        let (patterns, pairs) = session(recs, order, DATE, cfg);
        train(
            &patterns,
            pairs,
            &u,
            &mut m,
            &[0, 2, 3, 4, 5, 6],
            cfg.em_iterations,
            0.1,
        );
        let (patterns, pairs) = session(recs, order, FULL, cfg);
        let share = birth_from_namesakes(&patterns, pairs, &u, &mut m);
        // Where another field tells persons from namesakes (an ID, a phone, an address, on both
        // records of most pairs), the mixture is identifiable: EM from there moves to what they
        // say (a typo in a date, which the estimate above takes for a namesake).
        let witnessed: f64 = patterns
            .iter()
            .filter(|((l, _), _)| l[2] >= 0 || l[3] >= 0 || l[6] >= 0)
            .map(|(_, c)| c)
            .sum();
        if witnessed >= 0.3 * pairs {
            train(
                &patterns,
                pairs,
                &u,
                &mut m,
                &[1, 2, 3, 6],
                cfg.em_iterations,
                share,
            );
        }
    }
    let lambda = match_prior(recs, codes, &m, &u, cfg);
    Params { m, u, lambda }
}

/// The probability that two records (across sources in link mode) are the same person, by EM
/// over the candidates' comparison patterns with m and u fixed, taken over all pairs (not just
/// candidates, so the size of the blocks does not inflate it).
pub(crate) fn match_prior(
    recs: &[Rec],
    codes: &[u32],
    m: &[Vec<f64>],
    u: &[Vec<f64>],
    cfg: &Config,
) -> f64 {
    let n = recs.len();
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
    let patterns: Vec<Pattern> = hist.into_iter().map(|(c, n)| (unpack(c), n)).collect();
    // The share of matches among all pairs from the pairs that agree on the name and on the
    // complete birth date: so strong an agreement is compared whatever the blocking, and the m
    // learnt above say what share of true matches show it (the u what share of non-matches),
    // so their count gives the number of matches: λ = (observed − U) / (M − U). EM over the
    // candidates alone (below, when no such pair exists) settles too low: the true matches that
    // look like namesakes (a birth date missing on one side) pull it down with their low scores.
    let strong = |l: &Levels| {
        (l[0] == crate::NAME_SAME || l[0] == crate::NAME_SOUNDS_ALIKE) && l[1] == crate::BIRTH_SAME
    };
    let observed: f64 = patterns
        .iter()
        .filter(|((l, _), _)| strong(l))
        .map(|(_, c)| c)
        .sum();
    let name_m = m[0][crate::NAME_SAME as usize] + m[0][crate::NAME_SOUNDS_ALIKE as usize];
    let name_u = u[0][crate::NAME_SAME as usize] + u[0][crate::NAME_SOUNDS_ALIKE as usize];
    let (big_m, big_u) = (
        name_m * m[1][crate::BIRTH_SAME as usize],
        name_u * u[1][crate::BIRTH_SAME as usize],
    );
    if cfg.em_m && observed >= 20.0 && big_m >= 0.02 {
        return ((observed / total - big_u) / (big_m - big_u)).clamp(1e-12, 0.5);
    }
    // The prior over all pairs (not just candidates, so the size of the blocks does not inflate
    // it), with m and u fixed. Start: about one match per record of a duplicated list.
    let mut lambda = (n as f64 / 4.0 / total).clamp(1e-12, 0.5);
    for _ in 0..cfg.em_iterations {
        let params = Params {
            m: m.to_vec(),
            u: u.to_vec(),
            lambda,
        };
        let prior = params.prior();
        let matches: f64 = patterns
            .iter()
            .map(|((l, tf), count)| crate::probability(prior + params.weight_of(l, *tf)) * count)
            .sum();
        let new_lambda = (matches / total).clamp(1e-12, 0.5);
        let delta = (new_lambda / lambda).log2().abs();
        lambda = new_lambda;
        if delta < 1e-4 {
            break;
        }
    }
    if cfg.em_iterations == 0 || patterns.is_empty() {
        // Without EM: the prior from the pairs whose names and birth dates both agree closely.
        let strong: f64 = patterns
            .iter()
            .filter(|((l, _), _)| (4..=7).contains(&l[0]) && (4..=6).contains(&l[1]))
            .map(|(_, c)| c)
            .sum();
        lambda = (strong.max(1.0) / total).clamp(1e-12, 0.5);
    }
    lambda
}
