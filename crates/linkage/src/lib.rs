//! Counting each person once without seeing anyone's name.
//!
//! Input: the keyed pseudonyms intake produced (name CLK, exact keys of name parts, birth date,
//! ID and phone) plus quasi-identifiers (sex, citizenship, year of birth). Output: scored pairs and
//! a person id for every record.
//!
//! 1. **Blocking** — candidate pairs share an exact key (full name; family or given name with year
//!    of birth; birth date; ID; phone) or a MinHash band of the name CLK, so spelling variants the
//!    normaliser does not fold still meet. Oversized blocks are skipped and counted.
//! 2. **Comparison** — each pair gets a level per field: Dice of the name CLKs in four bands; birth
//!    date from exact to swapped day/month to same month to same year; ID, phone, sex, citizenship
//!    agree or not; a missing value gives no evidence either way.
//! 3. **Fellegi–Sunter** — u-probabilities from random pairs, m-probabilities and the match rate by
//!    EM over the candidates, without labels; each field's weight log2(m/u) is kept to explain a link.
//! 4. **Clustering** — links are taken strongest first, and two groups merge only if no compared
//!    pair between them is a clear non-match: plain connected components chain thousands of
//!    records into one "person" on large files.

mod blocking;
mod em;

use rustc_hash::FxHashMap;
use tessera_pseudonym::{KeyKind, Pseudonyms, dice};

pub use em::Params;

/// Fields compared, in order, with their number of levels.
pub const FIELDS: [(&str, usize); 6] = [
    ("name", 4),
    ("birth_date", 5),
    ("id_number", 2),
    ("phone", 2),
    ("sex", 2),
    ("citizenship", 2),
];

/// One record to link.
#[derive(Debug, Clone)]
pub struct LinkInput {
    /// Which list (provider, file) it comes from.
    pub source: u16,
    pub pseudonyms: Pseudonyms,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
}

/// Whether pairs within one source are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Only pairs across sources (each source is assumed free of duplicates).
    Link,
    /// Every pair: duplicates within a source are found too.
    Dedupe,
}

/// Settings of a linkage run.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    /// Match probability from which a pair is linked.
    pub threshold: f64,
    /// Blocks larger than this are skipped (their pairs are counted as not compared).
    pub max_block: usize,
    pub seed: u64,
    /// EM iterations refining the m-probabilities (0 keeps the register-based starting values).
    pub em_iterations: usize,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mode: Mode::Dedupe,
            threshold: 0.5,
            max_block: 300,
            seed: 1,
            em_iterations: 0,
        }
    }
}

/// A compared pair.
#[derive(Debug, Clone)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    /// Level per field; -1 where a value was missing.
    pub levels: [i8; 6],
    /// Sum of the field weights plus the prior, in bits.
    pub weight: f64,
    pub probability: f64,
}

/// Figures of a run, for the benchmark and the report.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub records: usize,
    pub candidate_pairs: usize,
    pub skipped_blocks: usize,
    pub linked_pairs: usize,
    pub persons: usize,
}

/// The outcome of a run.
pub struct LinkResult {
    pub pairs: Vec<ScoredPair>,
    /// Person id of each record (the index of one of its records).
    pub person: Vec<u32>,
    pub params: Params,
    pub stats: Stats,
}

/// A record in the compact form the comparisons work on.
pub(crate) struct Rec {
    pub source: u16,
    pub clk: [u64; 16],
    pub ones: u32,
    pub keys: [u64; 11],
    pub present: u16,
    pub birth_year: i32,
    pub sex: u64,
    pub cit: u64,
}

fn small_hash(s: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.trim().to_uppercase().hash(&mut h);
    h.finish() | 1
}

impl Rec {
    fn new(input: &LinkInput) -> Rec {
        let p = &input.pseudonyms;
        let mut keys = [0u64; 11];
        let mut present = 0u16;
        for (kind, key) in &p.keys {
            let i = *kind as usize;
            if i < keys.len() {
                keys[i] = u64::from_le_bytes(*key);
                present |= 1 << i;
            }
        }
        let norm = |v: &Option<String>| {
            v.as_deref()
                .filter(|s| !s.trim().is_empty() && !matches!(s.trim(), "UNK" | "XX"))
                .map(small_hash)
                .unwrap_or(0)
        };
        Rec {
            source: input.source,
            clk: p.clk,
            ones: p.clk.iter().map(|w| w.count_ones()).sum(),
            keys,
            present,
            birth_year: p.birth_year.unwrap_or(0),
            sex: norm(&input.sex),
            cit: norm(&input.citizenship),
        }
    }

    pub fn key(&self, k: KeyKind) -> Option<u64> {
        (self.present & (1 << k as usize) != 0).then_some(self.keys[k as usize])
    }
}

/// Comparison levels of a pair.
pub(crate) fn compare(a: &Rec, b: &Rec) -> [i8; 6] {
    let mut l = [-1i8; 6];
    if a.ones > 0 && b.ones > 0 {
        let d = dice(&a.clk, &b.clk);
        l[0] = if d >= 0.94 {
            3
        } else if d >= 0.8 {
            2
        } else if d >= 0.65 {
            1
        } else {
            0
        };
    }
    let same = |k: KeyKind| matches!((a.key(k), b.key(k)), (Some(x), Some(y)) if x == y);
    let both = |k: KeyKind| a.key(k).is_some() && b.key(k).is_some();
    if a.birth_year != 0 && b.birth_year != 0 {
        l[1] = if same(KeyKind::BirthDate) {
            4
        } else if same(KeyKind::BirthDateUnordered) {
            3
        } else if same(KeyKind::BirthYearMonth) {
            2
        } else if a.birth_year == b.birth_year && !both(KeyKind::BirthDate) {
            // Same year where one side only knows the year: no evidence beyond the year.
            1
        } else {
            // Different years, or two complete dates that differ: evidence against.
            0
        };
    }
    for (i, k) in [(2, KeyKind::IdNumber), (3, KeyKind::Phone)] {
        if both(k) {
            l[i] = i8::from(same(k));
        }
    }
    if a.sex != 0 && b.sex != 0 {
        l[4] = i8::from(a.sex == b.sex);
    }
    if a.cit != 0 && b.cit != 0 {
        l[5] = i8::from(a.cit == b.cit);
    }
    l
}

/// Links `inputs`: blocking, comparison, EM, scoring and clustering.
pub fn link(inputs: &[LinkInput], cfg: &Config) -> LinkResult {
    let recs: Vec<Rec> = inputs.iter().map(Rec::new).collect();
    let (candidates, skipped) = blocking::candidates(&recs, cfg);
    let levels: Vec<[i8; 6]> = candidates
        .iter()
        .map(|&(a, b)| compare(&recs[a as usize], &recs[b as usize]))
        .collect();
    let params = em::estimate(&recs, &levels, cfg);
    let mut pairs: Vec<ScoredPair> = candidates
        .iter()
        .zip(&levels)
        .map(|(&(a, b), lv)| {
            let weight = params.weight(lv);
            ScoredPair {
                a,
                b,
                levels: *lv,
                weight,
                probability: 1.0 / (1.0 + (-weight * std::f64::consts::LN_2).exp()),
            }
        })
        .collect();
    pairs.sort_by(|x, y| y.weight.total_cmp(&x.weight));
    let person = cluster(&recs, &pairs, cfg);
    let linked_pairs = pairs
        .iter()
        .filter(|p| p.probability >= cfg.threshold)
        .count();
    let mut roots: Vec<u32> = person.clone();
    roots.sort_unstable();
    roots.dedup();
    let stats = Stats {
        records: recs.len(),
        candidate_pairs: pairs.len(),
        skipped_blocks: skipped,
        linked_pairs,
        persons: roots.len(),
    };
    LinkResult {
        pairs,
        person,
        params,
        stats,
    }
}

/// A name alone, however close, does not make two records one person: a birth date (at least the
/// month), an ID or a phone must agree too. Pairs that lack it stay for clerical review.
pub fn corroborated(levels: &[i8; 6]) -> bool {
    levels[1] >= 2 || levels[2] == 1 || levels[3] == 1 || (levels[0] == 3 && levels[1] == 1)
}

/// Strongest links first; two groups merge only when no compared pair between them is a clear
/// non-match and, in link mode, when neither already holds a record of the other's source.
fn cluster(recs: &[Rec], pairs: &[ScoredPair], cfg: &Config) -> Vec<u32> {
    let n = recs.len();
    let mut group: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    let prob: FxHashMap<(u32, u32), f64> = pairs
        .iter()
        .map(|p| ((p.a.min(p.b), p.a.max(p.b)), p.probability))
        .collect();
    for p in pairs.iter().take_while(|p| p.probability >= cfg.threshold) {
        if !corroborated(&p.levels) {
            continue;
        }
        let (ga, gb) = (group[p.a as usize], group[p.b as usize]);
        if ga == gb {
            continue;
        }
        let (small, large) = if members[ga as usize].len() <= members[gb as usize].len() {
            (ga, gb)
        } else {
            (gb, ga)
        };
        let ok = members[small as usize].iter().all(|&x| {
            members[large as usize].iter().all(|&y| {
                let same_source = recs[x as usize].source == recs[y as usize].source;
                if cfg.mode == Mode::Link && same_source {
                    return false;
                }
                match prob.get(&(x.min(y), x.max(y))) {
                    Some(&q) => q >= 0.05,
                    // Not compared: no evidence against, unless they share a source in a linked group.
                    None => true,
                }
            })
        });
        if !ok {
            continue;
        }
        let moved = std::mem::take(&mut members[small as usize]);
        for &x in &moved {
            group[x as usize] = large;
        }
        members[large as usize].extend(moved);
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};

    fn input(enc: &KeyedEncoder, source: u16, g: &str, f: &str, dob: &str) -> LinkInput {
        LinkInput {
            source,
            pseudonyms: enc.encode(&Identifiers {
                given_name: Some(g),
                family_name: Some(f),
                birth_date: Some(dob),
                ..Default::default()
            }),
            sex: Some("F".into()),
            citizenship: Some("CF".into()),
        }
    }

    #[test]
    fn variants_of_one_person_link_and_strangers_do_not() {
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[5; 32]).unwrap());
        let names = [
            "Marie", "Clarisse", "Odette", "Prisca", "Rosine", "Aline", "Reine", "Flore", "Gisèle",
            "Solange",
        ];
        let families = [
            "Zanga", "Ngoma", "Kongbo", "Ndoba", "Sélé", "Wandji", "Goumba", "Dolé", "Mandaba",
            "Nzapa",
        ];
        let mut inputs = Vec::new();
        for (i, (g, f)) in names.iter().zip(families.iter().rev()).enumerate() {
            let dob = format!("19{:02}-0{}-1{}", 70 + i, 1 + i % 9, i % 9);
            inputs.push(input(&enc, 0, g, f, &dob));
            inputs.push(input(
                &enc,
                1,
                &g.to_uppercase(),
                &f.replace('a', "e"),
                &dob,
            ));
        }
        let r = link(
            &inputs,
            &Config {
                mode: Mode::Link,
                ..Config::default()
            },
        );
        for (i, name) in names.iter().enumerate() {
            assert_eq!(r.person[2 * i], r.person[2 * i + 1], "{name} not linked");
        }
        assert_eq!(r.stats.persons, names.len());
    }
}
