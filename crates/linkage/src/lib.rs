//! Counting each person once without seeing anyone's name.
//!
//! Input: the keyed pseudonyms intake produced (name CLK, exact keys of the full name, of its
//! parts and of how it sounds, birth date, ID and phone) plus quasi-identifiers (sex,
//! citizenship, year of birth). Output: scored pairs and a person id for every record.
//!
//! 1. **Blocking** — candidate pairs share a composite exact key. The full name (order-free) and
//!    the full name as it sounds (`KeyKind::NamePhonetic`: transliterations and vowel typos) need
//!    no birth date: a block of a rare name is compared whole; a block too large (a common name)
//!    keeps the pairs whose years of birth are at most one apart and, for records without a year,
//!    the pairs of the same sex and citizenship, each sub-block under the cap. Other keys: a name
//!    part with the birth date, day and month in either order, or with the postcode; the birth
//!    date with sex and citizenship; the full name with the day and month; ID; phone; street
//!    address. Every key is an exact keyed value, so the same pairs are compared under any
//!    deployment secret. Keys are sorted one kind at a time, so memory stays a few words per
//!    record; blocks that stay too large are skipped and counted.
//! 2. **Comparison** — each pair gets a level per field: the name from the same full name, the
//!    same name as it sounds, down to one part the same and Dice bands of the CLKs; the birth
//!    date from exact to swapped day/month, same month, same year (one side knowing only the
//!    year), the same day and month in another year, one or two years apart, and — levels of
//!    their own — missing on one side or on both; ID, phone agree or not; sex and citizenship
//!    agree or not, in separate levels when the names are alike (namesakes share them);
//!    residence from the same street address down to nothing in common.
//! 3. **Fellegi–Sunter, learnt from the data being linked** — u from random pairs; m by EM, each
//!    field from pairs not chosen for agreeing on it: the name (and sex, citizenship, ID, phone,
//!    residence) from pairs sharing the complete birth date, the birth date from pairs sharing
//!    the full name (namesakes taken out through the level "years three or more apart", then EM
//!    where another field witnesses); agreement on a value weighted by how many persons hold it
//!    (term frequency, counted again over the persons of a first pass); the match prior from the
//!    pairs agreeing on name and complete date, divided by the share of matches the learnt m
//!    says show that. In link mode each list is free of duplicates, so a pair's probability is
//!    weighed against the rival pairs of its two records.
//! 4. **Clustering** — at the model's own decision rule (match probability ≥ 0.5, no constant
//!    tuned to a benchmark), links are taken strongest first, and two groups merge only if the
//!    average match probability over *every* pair between them stays above the threshold. The
//!    model's expected number of persons and its range come with the run
//!    ([`Stats::expected_persons`]).
//!
//! Nothing but the pseudonyms depends on the secret: random pairs for u and the pairs of the
//! training sessions are drawn, and ties between equal weights broken, in the caller's order, and
//! a person is named by its first record, so two secrets give the same persons up to the rare
//! pair whose CLK similarity sits on a level's boundary (Bloom-filter collisions are keyed too).

mod blocking;
mod cluster;
mod em;

use tessera_pseudonym::{KeyKind, Pseudonyms};

pub use em::Params;

/// Fields compared, in order, with their number of levels.
pub const FIELDS: [(&str, usize); 7] = [
    ("name", 8),
    ("birth_date", 11),
    ("id_number", 2),
    ("phone", 2),
    ("sex", 4),
    ("citizenship", 4),
    ("address", 4),
];

/// Comparison level of each of [`FIELDS`]; -1 where a side has no value (the birth date has
/// levels of its own for that: [`BIRTH_ONE_MISSING`], [`BIRTH_BOTH_MISSING`]).
pub type Levels = [i8; FIELDS.len()];

/// Bits a field's level takes in a packed comparison (the all-ones value means missing).
const WIDTH: [u32; FIELDS.len()] = [4, 4, 2, 2, 3, 3, 3];
/// Where each field's level starts in a packed comparison.
const OFFSET: [u32; FIELDS.len()] = {
    let mut o = [0u32; FIELDS.len()];
    let mut i = 1;
    while i < FIELDS.len() {
        o[i] = o[i - 1] + WIDTH[i - 1];
        i += 1;
    }
    o
};
/// Where the term-frequency adjustment starts in a packed comparison.
const TF_SHIFT: u32 = OFFSET[FIELDS.len() - 1] + WIDTH[FIELDS.len() - 1];
/// Offset of the term-frequency adjustment (in quarter bits) in the bits left above the levels.
const TF_ZERO: i32 = 1 << (31 - TF_SHIFT);

/// Name level: the same full name (order, case, accents and listed variants aside).
pub const NAME_SAME: i8 = 6;
/// Name level: the same name as it sounds ([`tessera_pseudonym::phonetic`]), spelt otherwise.
pub const NAME_SOUNDS_ALIKE: i8 = 7;
/// Birth-date level: the same complete date.
pub const BIRTH_SAME: i8 = 6;
/// Birth-date level: one record has a year of birth, the other none.
pub const BIRTH_ONE_MISSING: i8 = 8;
/// Birth-date level: neither record has a year of birth.
pub const BIRTH_BOTH_MISSING: i8 = 9;
/// Birth-date level: years of birth two apart.
pub const BIRTH_TWO_YEARS: i8 = 10;

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

/// Default match probability from which pairs are linked: a match more likely than not, the
/// model's own decision rule; see [`Config::threshold`].
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Settings of a linkage run.
#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    /// Match probability from which a pair is linked (and the average probability two groups
    /// need to merge). The default, 0.5, follows from the model: every parameter is learnt from
    /// the data being linked, so a pair is linked when a match is more likely than not.
    pub threshold: f64,
    /// Blocks larger than this are skipped (their pairs are counted as not compared).
    pub max_block: usize,
    pub seed: u64,
    /// EM iterations (at most) of each estimation.
    pub em_iterations: usize,
    /// Learn the m-probabilities by EM (on by default): the birth date, sex, citizenship and
    /// the other fields from pairs that share the full name, the name from pairs that share
    /// the birth date, so no field's m is learnt from pairs chosen because it agrees. Off: the
    /// register-based starting values.
    pub em_m: bool,
    /// Keep every compared pair in [`LinkResult::candidates`] (to measure the blocking).
    pub keep_candidates: bool,
    /// Threads for the comparisons (the machine's cores by default).
    pub threads: usize,
    /// A reviewer's decisions on pairs (indices of the inputs), which the clustering obeys
    /// whatever the scores say: "same" pairs are always one person, "different" pairs never.
    pub decisions: Vec<Decision>,
    /// Link twice, the second time weighing an agreement by how many of the persons found the
    /// first time hold the value (on by default): a person reported four times no longer makes
    /// their name look common.
    pub tf_from_persons: bool,
}

/// A clerical reviewer's verdict on two records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub a: u32,
    pub b: u32,
    pub same: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            mode: Mode::Dedupe,
            threshold: DEFAULT_THRESHOLD,
            max_block: 200,
            seed: 1,
            em_iterations: 100,
            em_m: true,
            keep_candidates: false,
            threads: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
                .min(8),
            decisions: Vec::new(),
            tf_from_persons: true,
        }
    }
}

/// A compared pair.
#[derive(Debug, Clone)]
pub struct ScoredPair {
    pub a: u32,
    pub b: u32,
    /// Level per field; -1 where a value was missing.
    pub levels: Levels,
    /// Sum of the field weights, the term-frequency adjustment and the prior, in bits.
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
    /// Persons the model expects, from its own probabilities rather than from the links taken:
    /// each record starts a person unless it matches one of the persons of the records before
    /// it (in the caller's order), with the probability the model gives that.
    pub expected_persons: f64,
    /// A 95% range around `expected_persons` (± 1.96 standard deviations, the records taken as
    /// independent).
    pub persons_range: (f64, f64),
    /// Seconds spent in each stage.
    pub seconds: Vec<(&'static str, f64)>,
}

/// The outcome of a run.
pub struct LinkResult {
    /// Compared pairs with a match probability of at least 0.01, strongest first.
    pub pairs: Vec<ScoredPair>,
    /// Person id of each record: the smallest index among the person's records.
    pub person: Vec<u32>,
    pub params: Params,
    pub stats: Stats,
    /// Every compared pair, when [`Config::keep_candidates`] is set.
    pub candidates: Vec<(u32, u32)>,
}

/// Key kinds the engine uses, in slot order.
const SLOTS: [KeyKind; 12] = [
    KeyKind::FullName,
    KeyKind::FamilyName,
    KeyKind::GivenName,
    KeyKind::BirthDate,
    KeyKind::DayMonth,
    KeyKind::BirthYearMonth,
    KeyKind::IdNumber,
    KeyKind::Phone,
    KeyKind::Address,
    KeyKind::Locality,
    KeyKind::Postcode,
    KeyKind::NamePhonetic,
];
pub(crate) const FULL: usize = 0;
pub(crate) const FAMILY: usize = 1;
pub(crate) const GIVEN: usize = 2;
pub(crate) const DATE: usize = 3;
pub(crate) const DAY_MONTH: usize = 4;
pub(crate) const YEAR_MONTH: usize = 5;
pub(crate) const ID: usize = 6;
pub(crate) const PHONE: usize = 7;
pub(crate) const ADDRESS: usize = 8;
pub(crate) const LOCALITY: usize = 9;
pub(crate) const POSTCODE: usize = 10;
pub(crate) const PHON: usize = 11;

/// Values whose frequency adjusts the weight of an agreement on them (a shelter's address or a
/// 1 January placeholder proves less than a private address or a real birthday).
pub(crate) const TF_KINDS: [usize; 9] = [
    FULL, FAMILY, GIVEN, DATE, ID, ADDRESS, POSTCODE, DAY_MONTH, PHON,
];
/// Index of each kind in [`Rec::tf`].
const TF_FULL: usize = 0;
const TF_FAMILY: usize = 1;
const TF_GIVEN: usize = 2;
const TF_DATE: usize = 3;
const TF_ID: usize = 4;
const TF_ADDRESS: usize = 5;
const TF_POSTCODE: usize = 6;
const TF_DAY_MONTH: usize = 7;
const TF_PHON: usize = 8;
/// Index of citizenship in the term-frequency adjustments (after the keyed kinds).
pub(crate) const TF_CIT: usize = TF_KINDS.len();

/// A record in the compact form the comparisons work on (about 200 bytes).
pub(crate) struct Rec {
    pub clk: [u64; 16],
    pub keys: [u64; SLOTS.len()],
    /// Term-frequency adjustment, in bits, of an agreement on each of [`TF_KINDS`] then
    /// citizenship (filled once all records are known).
    pub tf: [f32; TF_KINDS.len() + 1],
    pub present: u16,
    pub source: u16,
    pub ones: u16,
    /// 0 when unknown.
    pub birth_year: u16,
    pub sex: u32,
    pub cit: u32,
}

fn small_hash(s: &str) -> u32 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    s.trim().to_uppercase().hash(&mut h);
    (h.finish() as u32) | 1
}

impl Rec {
    fn new(input: &LinkInput) -> Rec {
        let p = &input.pseudonyms;
        let mut keys = [0u64; SLOTS.len()];
        let mut present = 0u16;
        for (kind, key) in &p.keys {
            if let Some(i) = SLOTS.iter().position(|k| k == kind) {
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
            clk: p.clk,
            keys,
            tf: [0.0; TF_KINDS.len() + 1],
            present,
            source: input.source,
            ones: p.clk.iter().map(|w| w.count_ones()).sum::<u32>() as u16,
            birth_year: p
                .birth_year
                .filter(|y| (1..=u16::MAX as i32).contains(y))
                .unwrap_or(0) as u16,
            sex: norm(&input.sex),
            cit: norm(&input.citizenship),
        }
    }

    #[inline]
    pub fn key(&self, slot: usize) -> Option<u64> {
        (self.present & (1 << slot) != 0).then_some(self.keys[slot])
    }

    #[inline]
    fn has(&self, slot: usize) -> bool {
        self.present & (1 << slot) != 0
    }
}

/// Records prepared for linking, built one at a time so a caller never needs to hold every
/// [`LinkInput`] at once (a million records take about 200 MB here).
#[derive(Default)]
pub struct Prepared {
    recs: Vec<Rec>,
}

impl Prepared {
    pub fn with_capacity(n: usize) -> Prepared {
        Prepared {
            recs: Vec::with_capacity(n),
        }
    }

    pub fn push(&mut self, input: &LinkInput) {
        self.recs.push(Rec::new(input));
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }
}

/// Bits set in both CLKs.
#[inline]
fn common_bits(a: &[u64; 16], b: &[u64; 16]) -> u32 {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "popcnt")]
        fn with_popcnt(a: &[u64; 16], b: &[u64; 16]) -> u32 {
            a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
        }
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU was just checked to have the instruction.
            return unsafe { with_popcnt(a, b) };
        }
    }
    a.iter().zip(b).map(|(x, y)| (x & y).count_ones()).sum()
}

/// Comparison levels of a pair, and the term-frequency adjustment (bits) of what agrees.
#[inline]
pub(crate) fn compare(a: &Rec, b: &Rec) -> (Levels, f32) {
    compare_as::<false>(a, b)
}

/// Sex and citizenship level when the names agree at least in part (level 2 and up): names go
/// with sex and citizenship (given names are mostly one sex's, family names one country's), so
/// their agreement proves less among namesakes than among strangers. Their m and u are
/// estimated apart from those of pairs whose names differ (levels 0, 1): each pair of levels
/// is a distribution of its own.
pub const NAMES_ALIKE: i8 = 2;

#[inline]
pub(crate) fn compare_as<const RAW: bool>(a: &Rec, b: &Rec) -> (Levels, f32) {
    let mut l = [-1i8; FIELDS.len()];
    let mut tf = 0.0f32;
    let same = |s: usize| a.has(s) && b.has(s) && a.keys[s] == b.keys[s];
    let both = |s: usize| a.has(s) && b.has(s);
    if a.ones > 0 && b.ones > 0 {
        // Dice of the CLKs (the same as tessera_pseudonym::dice, from the stored bit counts).
        let d = 2.0 * common_bits(&a.clk, &b.clk) as f64 / (a.ones as f64 + b.ones as f64);
        let (fam, giv) = (same(FAMILY), same(GIVEN));
        l[0] = if same(FULL) {
            NAME_SAME
        } else if same(PHON) {
            // Spelt otherwise, sounding alike: a transliteration or a typo in a vowel, in
            // either order of the parts.
            NAME_SOUNDS_ALIKE
        } else if fam && both(GIVEN) && d >= 0.7 {
            // The same family name and a given name one typo away.
            5
        } else if giv && both(FAMILY) && d >= 0.7 {
            4
        } else if !fam && !giv && d >= 0.8 {
            3
        } else if fam || giv {
            // One part the same, the other different, truncated or missing on one side.
            2
        } else if d >= 0.6 {
            1
        } else {
            0
        };
        tf += name_tf(&name_tfs(a), l[0], fam);
    }
    l[1] = if a.birth_year != 0 && b.birth_year != 0 {
        let day_month = same(DAY_MONTH);
        let same_year = a.birth_year == b.birth_year;
        if same(DATE) {
            tf += a.tf[TF_DATE];
            BIRTH_SAME
        } else if day_month && same_year {
            // Day and month swapped.
            5
        } else if same(YEAR_MONTH) {
            4
        } else if day_month {
            // The same birthday in another year: a year misread, mistyped or guessed.
            tf += a.tf[TF_DAY_MONTH];
            7
        } else if same_year {
            if both(YEAR_MONTH) {
                // Two different months of the same year.
                2
            } else {
                // One side knows only the year: no evidence beyond it.
                3
            }
        } else {
            match a.birth_year.abs_diff(b.birth_year) {
                1 => 1,
                2 => BIRTH_TWO_YEARS,
                _ => 0,
            }
        }
    } else if a.birth_year != 0 || b.birth_year != 0 {
        BIRTH_ONE_MISSING
    } else {
        BIRTH_BOTH_MISSING
    };
    for (i, s) in [(2, ID), (3, PHONE)] {
        if both(s) {
            l[i] = i8::from(a.keys[s] == b.keys[s]);
            if i == 2 && l[i] == 1 {
                tf += a.tf[TF_ID];
            }
        }
    }
    // Sex and citizenship, in two sets of levels: names unlike, names alike (see NAMES_ALIKE).
    let alike = if l[0] >= 2 { NAMES_ALIKE } else { 0 };
    if a.sex != 0 && b.sex != 0 {
        l[4] = alike + i8::from(a.sex == b.sex);
    }
    if a.cit != 0 && b.cit != 0 {
        l[5] = alike + i8::from(a.cit == b.cit);
        if a.cit == b.cit && alike == 0 && !RAW {
            tf += a.tf[TF_CIT];
        }
    }
    // Residence: the same street address; else the same postcode and place (the street
    // misspelt, or known on one side only); else one of the two; else nothing in common.
    if both(ADDRESS) || both(POSTCODE) || both(LOCALITY) {
        let agree = |s: usize| same(s) || !both(s);
        let (code, place) = (same(POSTCODE), same(LOCALITY));
        l[6] = if same(ADDRESS) {
            tf += a.tf[TF_ADDRESS];
            3
        } else if (code || place) && agree(POSTCODE) && agree(LOCALITY) {
            if code {
                tf += a.tf[TF_POSTCODE];
            }
            2
        } else if code || place {
            1
        } else {
            0
        };
    }
    (l, tf)
}

/// A record's term-frequency adjustments of its names: full, family, given, as it sounds.
#[inline]
fn name_tfs(r: &Rec) -> [f32; 4] {
    [
        r.tf[TF_FULL],
        r.tf[TF_FAMILY],
        r.tf[TF_GIVEN],
        r.tf[TF_PHON],
    ]
}

/// The adjustment an agreement on the names at `level` earns (`family`: whether the family
/// names are the same, which decides the part of level 2).
#[inline]
fn name_tf(t: &[f32; 4], level: i8, family: bool) -> f32 {
    match level {
        NAME_SAME => t[0],
        NAME_SOUNDS_ALIKE => t[3],
        5 => t[1],
        4 => t[2],
        2 if family => t[1],
        2 => t[2],
        _ => 0.0,
    }
}

/// The codes again after the names' adjustments changed from `before`: each corrected by the
/// difference at its name level.
fn retf(
    recs: &[Rec],
    before: &[[f32; 4]],
    candidates: &[u64],
    mut codes: Vec<u32>,
    cfg: &Config,
) -> Vec<u32> {
    let step = codes.len().div_ceil(cfg.threads.max(1)).max(1);
    std::thread::scope(|s| {
        for (chunk, cands) in codes.chunks_mut(step).zip(candidates.chunks(step)) {
            s.spawn(move || {
                for (code, &p) in chunk.iter_mut().zip(cands) {
                    let (a, b) = unpair(p);
                    let (ra, rb) = (&recs[a as usize], &recs[b as usize]);
                    let (levels, tf) = unpack(*code);
                    let family = ra.key(FAMILY).is_some() && ra.key(FAMILY) == rb.key(FAMILY);
                    let delta = name_tf(&name_tfs(ra), levels[0], family)
                        - name_tf(&before[a as usize], levels[0], family);
                    if delta != 0.0 {
                        *code = pack(&levels, tf + delta);
                    }
                }
            });
        }
    });
    codes
}

/// A pair's comparison packed in 32 bits: each field's level in [`WIDTH`] bits (all ones when
/// missing), then the term-frequency adjustment in quarter bits, offset to be positive.
pub(crate) fn pack(levels: &Levels, tf: f32) -> u32 {
    let mut c = 0u32;
    for (f, l) in levels.iter().enumerate() {
        let mask = (1u32 << WIDTH[f]) - 1;
        c |= (if *l < 0 { mask } else { *l as u32 & mask }) << OFFSET[f];
    }
    let q = ((tf * 4.0).round() as i32).clamp(-TF_ZERO, TF_ZERO - 1) + TF_ZERO;
    c | (q as u32) << TF_SHIFT
}

pub(crate) fn unpack(code: u32) -> (Levels, f32) {
    let mut l = [-1i8; FIELDS.len()];
    for (f, x) in l.iter_mut().enumerate() {
        let mask = (1u32 << WIDTH[f]) - 1;
        let v = (code >> OFFSET[f]) & mask;
        if v != mask {
            *x = v as i8;
        }
    }
    (l, ((code >> TF_SHIFT) as i32 - TF_ZERO) as f32 / 4.0)
}

/// The comparison levels of two records, as the engine sees them (every term frequency aside):
/// to explain a pair, or to measure a field's m on data whose truth is known.
pub fn levels(a: &LinkInput, b: &LinkInput) -> Levels {
    compare(&Rec::new(a), &Rec::new(b)).0
}

/// Links `inputs`: blocking, comparison, EM, scoring and clustering.
pub fn link(inputs: &[LinkInput], cfg: &Config) -> LinkResult {
    let mut p = Prepared::with_capacity(inputs.len());
    for i in inputs {
        p.push(i);
    }
    link_prepared(p, cfg)
}

/// Splits `0..n` into `parts` ranges and runs `f` on each in its own thread.
pub(crate) fn parallel<T: Send>(
    n: usize,
    parts: usize,
    f: impl Fn(std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    let parts = parts.clamp(1, n.max(1));
    if parts == 1 {
        return vec![f(0..n)];
    }
    let step = n.div_ceil(parts);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..parts)
            .map(|i| {
                let f = &f;
                s.spawn(move || f(i * step..((i + 1) * step).min(n)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Links prepared records.
pub fn link_prepared(prepared: Prepared, cfg: &Config) -> LinkResult {
    run(prepared, cfg, false).0
}

/// Links prepared records and keeps what a reviewer's verdict needs afterwards: the records and
/// the scored pairs, so [`Linked::recluster`] applies verdicts without linking again (about a
/// hundred bytes a record more than [`link_prepared`] returns).
pub fn link_prepared_kept(prepared: Prepared, cfg: &Config) -> Linked {
    let (result, recs) = run(prepared, cfg, true);
    Linked {
        result,
        recs: recs.unwrap_or_default(),
        cfg: Config {
            decisions: Vec::new(),
            ..cfg.clone()
        },
    }
}

/// [`link`], keeping what [`Linked::recluster`] needs.
pub fn link_kept(inputs: &[LinkInput], cfg: &Config) -> Linked {
    let mut p = Prepared::with_capacity(inputs.len());
    for i in inputs {
        p.push(i);
    }
    link_prepared_kept(p, cfg)
}

/// A finished run that can take reviewers' verdicts afterwards: its records (in the caller's
/// numbering) and its scored pairs are kept, so a verdict costs a clustering, not a linkage.
pub struct Linked {
    pub result: LinkResult,
    recs: Vec<Rec>,
    cfg: Config,
}

/// Persons from a run's scored pairs under a set of verdicts ([`Linked::recluster`]).
#[derive(Debug, Clone)]
pub struct Clustering {
    /// Person id of each record: the smallest index among the person's records.
    pub person: Vec<u32>,
    pub persons: usize,
    /// See [`Stats::expected_persons`].
    pub expected_persons: f64,
    pub persons_range: (f64, f64),
    /// Seconds the clustering took.
    pub seconds: f64,
}

impl Linked {
    /// The persons under `decisions` (indices of the inputs; the run's own decisions are not
    /// added): the kept pairs clustered again, as the run clusters them, without blocking,
    /// comparing or estimating anything. The scores stay those of the run: the names'
    /// frequencies counted over the persons of its first pass are not counted again, so the
    /// persons can differ, rarely, from a new run given the same decisions.
    pub fn recluster(&self, decisions: &[Decision]) -> Clustering {
        let started = std::time::Instant::now();
        let n = self.recs.len();
        let decisions: Vec<Decision> = decisions
            .iter()
            .filter(|d| (d.a as usize) < n && (d.b as usize) < n)
            .copied()
            .collect();
        let group = cluster::cluster(
            &self.recs,
            &self.result.pairs,
            &self.result.params,
            &self.cfg,
            &decisions,
        );
        let person = name_persons(&group, None);
        let (expected_persons, persons_range) = expected_persons(
            self.result.pairs.iter().map(|p| (p.a, p.b, p.probability)),
            &person,
            None,
        );
        Clustering {
            persons: count_persons(&person),
            person,
            expected_persons,
            persons_range,
            seconds: started.elapsed().as_secs_f64(),
        }
    }
}

/// Each record's person named by the smallest caller index among its records; `order[i]` is the
/// caller's index of record `i` (`None`: already the caller's numbering).
fn name_persons(group: &[u32], order: Option<&[u32]>) -> Vec<u32> {
    let caller = |i: usize| order.map_or(i as u32, |o| o[i]);
    let mut first = vec![u32::MAX; group.len()];
    for (i, g) in group.iter().enumerate() {
        let f = &mut first[*g as usize];
        *f = (*f).min(caller(i));
    }
    let mut out = vec![0u32; group.len()];
    for (i, g) in group.iter().enumerate() {
        out[caller(i) as usize] = first[*g as usize];
    }
    out
}

fn count_persons(person: &[u32]) -> usize {
    let mut roots: Vec<u32> = person.to_vec();
    roots.sort_unstable();
    roots.dedup();
    roots.len()
}

/// Puts records sorted by `order` (record `i` is the caller's `order[i]`) back in the caller's
/// order, in place.
fn unsort(recs: &mut [Rec], order: &[u32]) {
    let mut dest: Vec<u32> = order.to_vec();
    for i in 0..recs.len() {
        while dest[i] as usize != i {
            let d = dest[i] as usize;
            recs.swap(i, d);
            dest.swap(i, d);
        }
    }
}

/// Links prepared records; with `keep`, also returns the records in the caller's order.
fn run(prepared: Prepared, cfg: &Config, keep: bool) -> (LinkResult, Option<Vec<Rec>>) {
    let mut seconds = Vec::new();
    let mut clock = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        seconds.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    // Records sorted by family name then full name: most candidate pairs share one, so the
    // comparisons read neighbouring memory instead of jumping across a gigabyte.
    let mut sort_keys: Vec<(u64, u64, u16, u32)> = prepared
        .recs
        .iter()
        .enumerate()
        .map(|(i, x)| {
            let k = |s| x.key(s).map_or(0, |k| k | 1);
            (k(FAMILY), k(FULL), x.birth_year, i as u32)
        })
        .collect();
    sort_keys.sort_unstable();
    let order: Vec<u32> = sort_keys.into_iter().map(|k| k.3).collect();
    // Rearranged in place, one cycle of the permutation at a time: a sorted copy would hold the
    // records twice at the run's peak of memory.
    let mut recs = prepared.recs;
    let mut placed = vec![false; recs.len()];
    for start in 0..recs.len() {
        let mut j = start;
        while !placed[j] {
            placed[j] = true;
            let from = order[j] as usize;
            if from == start {
                break;
            }
            recs.swap(j, from);
            j = from;
        }
    }
    drop(placed);
    lap("ordering");
    em::term_frequencies(&mut recs, cfg.threads, None);
    lap("term frequencies");
    let (candidates, skipped) = blocking::candidates(&recs, cfg);
    lap("blocking");
    let codes = compare_all(&recs, &candidates, cfg);
    lap("comparison");
    // Position of each of the caller's records in `recs`: random pairs for u are drawn in the
    // caller's numbering, so they do not depend on the keyed values the records were sorted by.
    let mut rank = vec![0u32; order.len()];
    for (i, &o) in order.iter().enumerate() {
        rank[o as usize] = i as u32;
    }
    let mut params = em::estimate(&recs, &rank, &order, &codes, cfg);
    lap("estimation");
    // The reviewer's decisions, in the internal numbering (inputs out of range are ignored).
    let decisions: Vec<Decision> = cfg
        .decisions
        .iter()
        .filter(|d| (d.a as usize) < rank.len() && (d.b as usize) < rank.len())
        .map(|d| Decision {
            a: rank[d.a as usize],
            b: rank[d.b as usize],
            same: d.same,
        })
        .collect();
    drop(rank);
    let mut pairs = score(&candidates, &codes, &params, &order, &recs, cfg);
    lap("scoring");
    let mut person = cluster::cluster(&recs, &pairs, &params, cfg, &decisions);
    lap("clustering");
    if cfg.tf_from_persons {
        // Second pass: how common a name is among the persons just found, not among records.
        // Only the names' adjustments change: each code is corrected by the difference, without
        // comparing the pair again.
        let before: Vec<[f32; 4]> = recs.iter().map(name_tfs).collect();
        em::term_frequencies(&mut recs, cfg.threads, Some(&person));
        let codes = retf(&recs, &before, &candidates, codes, cfg);
        params.lambda = em::match_prior(&recs, &codes, &params.m, &params.u, cfg);
        drop(pairs);
        pairs = score(&candidates, &codes, &params, &order, &recs, cfg);
        person = cluster::cluster(&recs, &pairs, &params, cfg, &decisions);
        lap("second pass");
    }
    let candidate_pairs = candidates.len();
    let candidates = if cfg.keep_candidates {
        candidates
    } else {
        Vec::new()
    };

    let linked_pairs = pairs
        .iter()
        .filter(|p| p.probability >= cfg.threshold)
        .count();
    // Back to the caller's numbering; a person is named by its first record in that numbering,
    // so the same partition gives the same ids whatever the secret.
    let person = name_persons(&person, Some(&order));
    for p in &mut pairs {
        (p.a, p.b) = (order[p.a as usize], order[p.b as usize]);
    }
    let (expected_persons, persons_range) = expected_persons(
        pairs.iter().map(|p| (p.a, p.b, p.probability)),
        &person,
        None,
    );
    let stats = Stats {
        records: recs.len(),
        candidate_pairs,
        skipped_blocks: skipped,
        linked_pairs,
        persons: count_persons(&person),
        expected_persons,
        persons_range,
        seconds,
    };
    let kept = keep.then(|| {
        unsort(&mut recs, &order);
        recs
    });
    let result = LinkResult {
        pairs,
        person,
        params,
        stats,
        candidates: if cfg.keep_candidates {
            candidates
                .iter()
                .map(|&p| {
                    let (a, b) = unpair(p);
                    (order[a as usize], order[b as usize])
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    (result, kept)
}

/// The packed comparison of every candidate pair, on every thread.
fn compare_all(recs: &[Rec], candidates: &[u64], cfg: &Config) -> Vec<u32> {
    let parts = parallel(candidates.len(), cfg.threads, |range| {
        candidates[range]
            .iter()
            .map(|&p| {
                let (a, b) = unpair(p);
                let (l, tf) = compare(&recs[a as usize], &recs[b as usize]);
                pack(&l, tf)
            })
            .collect::<Vec<u32>>()
    });
    // Sized once: collecting the parts through a flattening iterator grows the vector by
    // doubling, copying tens of millions of codes and touching fresh memory each time.
    let mut codes: Vec<u32> = Vec::with_capacity(candidates.len());
    for part in parts {
        codes.extend_from_slice(&part);
    }
    codes
}

/// Scores the candidates, keeps those that could matter for a link or for review, strongest
/// first.
fn score(
    candidates: &[u64],
    codes: &[u32],
    params: &Params,
    order: &[u32],
    recs: &[Rec],
    cfg: &Config,
) -> Vec<ScoredPair> {
    let prior = params.prior();
    let table = params.table();
    let mut pairs: Vec<ScoredPair> = candidates
        .iter()
        .zip(codes)
        .filter_map(|(&p, &code)| {
            let (a, b) = unpair(p);
            let weight = prior + em::weight_from(&table, code);
            (weight >= -6.6).then(|| ScoredPair {
                a,
                b,
                levels: unpack(code).0,
                weight,
                probability: probability(weight),
            })
        })
        .collect();
    if cfg.mode == Mode::Link {
        one_to_one(&mut pairs, params, recs);
    }
    // Equal weights are frequent (levels are discrete); ties are broken by the caller's
    // numbering, not by the sorted order, which follows the keyed (secret-dependent) values.
    let caller = |p: &ScoredPair| {
        let (a, b) = (order[p.a as usize], order[p.b as usize]);
        (a.min(b), a.max(b))
    };
    // Every pair is distinct, so the order is total and an unstable sort (no buffer) gives the
    // same result as a stable one.
    pairs.sort_unstable_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then_with(|| caller(x).cmp(&caller(y)))
    });
    pairs
}

/// Link mode: each list is free of duplicates, so a record is at most one record of each other
/// list. A pair's probability then weighs its odds against those of every rival pair of either
/// record in the same list, and against the chance that the record has no match there at all:
/// P(a = b) = odds(a, b) / (ε + Σ odds(a, ·) + Σ odds(·, b) − odds(a, b)), where ε = 1 − π and π
/// is the share of a list's records the model expects to have a match in the other (from the
/// match prior). A pair whose only evidence is a shared name then counts for more when neither
/// record has a better partner, and for less when one has.
fn one_to_one(pairs: &mut [ScoredPair], params: &Params, recs: &[Rec]) {
    let mut per_source: rustc_hash::FxHashMap<u16, f64> = rustc_hash::FxHashMap::default();
    for r in recs {
        *per_source.entry(r.source).or_default() += 1.0;
    }
    let n = recs.len() as f64;
    // Expected matches of one record in the other lists.
    let pi = |s: u16| (params.lambda * (n - per_source.get(&s).copied().unwrap_or(0.0))).min(0.99);
    let odds = |p: &ScoredPair| 2f64.powf(p.weight.clamp(-60.0, 60.0));
    // Σ odds of each record against each other list.
    let mut sums: rustc_hash::FxHashMap<(u32, u16), f64> = rustc_hash::FxHashMap::default();
    for p in pairs.iter() {
        let o = odds(p);
        let (sa, sb) = (recs[p.a as usize].source, recs[p.b as usize].source);
        *sums.entry((p.a, sb)).or_default() += o;
        *sums.entry((p.b, sa)).or_default() += o;
    }
    for p in pairs.iter_mut() {
        let o = odds(p);
        let (sa, sb) = (recs[p.a as usize].source, recs[p.b as usize].source);
        let eps = (1.0 - pi(sa).min(pi(sb))).max(0.01);
        let rivals = sums[&(p.a, sb)] + sums[&(p.b, sa)] - o;
        let prob = (o / (eps + rivals)).clamp(1e-12, 1.0 - 1e-12);
        p.probability = prob;
        p.weight = (prob / (1.0 - prob)).log2();
    }
}

/// The persons the model expects (see [`Stats::expected_persons`]) among the records `counted`
/// marks (every record when `None`), with its 95% range: record `i` matches an earlier person `C`
/// with the largest probability between `i` and a record of `C` (the persons are those of the
/// clustering, `person`), and matches any earlier person with the sum of those, at most one.
/// Only pairs whose two records are counted take part, so the figure is that of the subset as
/// if it had been linked alone with the same scores. `pairs`: `(a, b, probability)` in the
/// caller's numbering, as [`LinkResult::pairs`] holds them.
pub fn expected_persons(
    pairs: impl IntoIterator<Item = (u32, u32, f64)>,
    person: &[u32],
    counted: Option<&[bool]>,
) -> (f64, (f64, f64)) {
    let counts = |i: u32| counted.is_none_or(|c| c.get(i as usize).copied().unwrap_or(false));
    // For each record, its strongest link to each earlier person.
    let mut best: rustc_hash::FxHashMap<(u32, u32), f64> = rustc_hash::FxHashMap::default();
    for (a, b, p) in pairs {
        if !(counts(a) && counts(b)) || a as usize >= person.len() || b as usize >= person.len() {
            continue;
        }
        let (a, b) = (a.min(b), a.max(b));
        let e = best.entry((b, person[a as usize])).or_default();
        *e = e.max(p);
    }
    let mut matched = vec![0.0f64; person.len()];
    for ((b, _), p) in best {
        matched[b as usize] += p;
    }
    let (mut mean, mut var) = (0.0, 0.0);
    for (i, m) in matched.into_iter().enumerate() {
        if !counts(i as u32) {
            continue;
        }
        let new = 1.0 - m.min(1.0);
        mean += new;
        var += new * (1.0 - new);
    }
    let half = 1.96 * var.sqrt();
    (mean, (mean - half, mean + half))
}

/// The two records of a packed candidate pair.
#[inline]
fn unpair(p: u64) -> (u32, u32) {
    ((p >> 32) as u32, p as u32)
}

/// Match probability of a weight in bits.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight * std::f64::consts::LN_2).exp())
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

    #[test]
    fn levels_separate_typos_swaps_and_placeholders() {
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[6; 32]).unwrap());
        let rec = |g: &str, f: &str, d: &str| Rec::new(&input(&enc, 0, g, f, d));
        let a = rec("Clarisse", "Ngoma", "1990-05-11");
        assert_eq!(
            compare(&a, &rec("Clarisse", "Ngoma", "1990-05-11")).0[..2],
            [6, 6]
        );
        // A typo in a vowel or a doubled letter sounds alike; in a consonant, it is a typo.
        assert_eq!(
            compare(&a, &rec("Clarise", "NGOMA", "1990-11-05")).0[..2],
            [NAME_SOUNDS_ALIKE, 5]
        );
        assert_eq!(
            compare(&a, &rec("Clarisze", "Ngoma", "1990-11-05")).0[..2],
            [5, 5]
        );
        assert_eq!(
            compare(&a, &rec("Clarisse", "Ngomba", "1990-05-20")).0[..2],
            [4, 4]
        );
        assert_eq!(
            compare(&a, &rec("Clarisse", "Mbolikpoundou", "1990-07-20")).0[..2],
            [2, 2]
        );
        // The same birthday in another year (however far), not merely "a year apart".
        assert_eq!(
            compare(&a, &rec("Odette", "Zanga", "1991-05-11")).0[..2],
            [0, 7]
        );
        assert_eq!(compare(&a, &rec("Odette", "Zanga", "1980-11-05")).0[1], 7);
        assert_eq!(compare(&a, &rec("Odette", "Zanga", "1991-06-11")).0[1], 1);
        assert_eq!(compare(&a, &rec("Odette", "Zanga", "1990")).0[1], 3);
        assert_eq!(
            compare(&a, &rec("Odette", "Zanga", "1992-01-02")).0[1],
            BIRTH_TWO_YEARS
        );
        // A missing birth date is a level of its own, on one side or both.
        assert_eq!(
            compare(&a, &rec("Odette", "Zanga", "")).0[1],
            BIRTH_ONE_MISSING
        );
        assert_eq!(
            compare(&rec("Aline", "Sélé", ""), &rec("Odette", "Zanga", "")).0[1],
            BIRTH_BOTH_MISSING
        );
        // Without addresses the residence field gives no evidence.
        assert_eq!(compare(&a, &rec("Odette", "Zanga", "1990")).0[6], -1);
    }

    #[test]
    fn residence_levels_from_street_address_down_to_nothing_in_common() {
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[6; 32]).unwrap());
        let rec = |addr: Option<&str>, place: &str, code: &str| {
            Rec::new(&LinkInput {
                source: 0,
                pseudonyms: enc.encode(&Identifiers {
                    given_name: Some("Aline"),
                    address: addr,
                    locality: Some(place).filter(|p| !p.is_empty()),
                    postcode: Some(code).filter(|c| !c.is_empty()),
                    ..Default::default()
                }),
                sex: None,
                citizenship: None,
            })
        };
        let home = rec(Some("12 Avenue Boganda"), "Bimbo", "1234");
        let level = |other: &Rec| compare(&home, other).0[6];
        assert_eq!(level(&rec(Some("12 av. Boganda"), "BIMBO", "1234")), 3);
        // The street misspelt, or unknown on one side: the same postcode and place.
        assert_eq!(level(&rec(Some("12 Avenue Bogonda"), "Bimbo", "1234")), 2);
        assert_eq!(level(&rec(None, "Bimbo", "1234")), 2);
        assert_eq!(level(&rec(None, "", "1234")), 2);
        // One of the two agrees, the other does not.
        assert_eq!(level(&rec(None, "Bimbo", "1243")), 1);
        assert_eq!(level(&rec(Some("3 Rue 12"), "Bangui", "9876")), 0);
        assert_eq!(level(&rec(None, "", "")), -1);
    }

    #[test]
    fn namesakes_born_on_other_dates_are_not_one_person() {
        // A common name held by forty people born on forty different dates, among many others
        // of the same family name: the name alone must not merge them.
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[9; 32]).unwrap());
        let mut inputs = Vec::new();
        for i in 0..40 {
            let dob = format!("19{}-0{}-0{}", 80 + i % 10, 1 + i % 9, 1 + (i + 3) % 9);
            inputs.push(input(&enc, 0, "Marie", "Ngoma", &dob));
        }
        // Many other people, so that the name is common relative to the file.
        for i in 0..400 {
            let g = format!("P{}x{}", i % 37, i / 37);
            inputs.push(input(
                &enc,
                0,
                &g,
                "Ngoma",
                &format!("19{}-02-03", 50 + i % 40),
            ));
        }
        let r = link(&inputs, &Config::default());
        let mut sizes = std::collections::HashMap::<u32, usize>::new();
        for p in &r.person[..40] {
            *sizes.entry(*p).or_default() += 1;
        }
        let largest = sizes.values().copied().max().unwrap_or(0);
        assert!(largest <= 8, "{largest} namesakes merged into one person");
    }

    #[test]
    fn reviewer_decisions_override_the_scores() {
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[11; 32]).unwrap());
        let inputs = vec![
            input(&enc, 0, "Clarisse", "Ngoma", "1990-05-11"),
            input(&enc, 1, "Clarise", "Ngoma", "1990-05-11"),
            input(&enc, 2, "Odette", "Zanga", "1971-02-03"),
            input(&enc, 3, "Clarisse", "Ngoma", "1990-05-11"),
        ];
        let plain = link(&inputs, &Config::default());
        assert_eq!(plain.person[0], plain.person[1]);
        assert_eq!(plain.person[0], plain.person[3]);
        assert_ne!(plain.person[0], plain.person[2]);
        // The reviewer knows better: 0 and 1 are two people (sisters), and 2 is 3's other record.
        let decided = link(
            &inputs,
            &Config {
                decisions: vec![
                    Decision {
                        a: 1,
                        b: 0,
                        same: false,
                    },
                    Decision {
                        a: 2,
                        b: 3,
                        same: true,
                    },
                ],
                ..Config::default()
            },
        );
        let p = &decided.person;
        assert_ne!(p[0], p[1], "a 'different' decision was overridden");
        assert_eq!(p[2], p[3], "a 'same' decision was not applied");
        // Record 3 now belongs with 2, so it cannot also carry 0 or 1 into one person with both.
        assert!(!(p[3] == p[0] && p[3] == p[1]));
        assert_eq!(decided.stats.persons, 2);
    }

    #[test]
    fn a_verdict_reclusters_the_kept_pairs_without_linking_again() {
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[11; 32]).unwrap());
        let inputs = vec![
            input(&enc, 0, "Clarisse", "Ngoma", "1990-05-11"),
            input(&enc, 1, "Clarise", "Ngoma", "1990-05-11"),
            input(&enc, 2, "Odette", "Zanga", "1971-02-03"),
            input(&enc, 3, "Clarisse", "Ngoma", "1990-05-11"),
            input(&enc, 1, "Aline", "Kongbo", "1985-07-21"),
        ];
        let kept = link_kept(&inputs, &Config::default());
        let plain = link(&inputs, &Config::default());
        // Keeping changes nothing of the run, and clustering again without a verdict gives it.
        assert_eq!(kept.result.person, plain.person);
        let again = kept.recluster(&[]);
        assert_eq!(again.person, plain.person);
        assert_eq!(again.persons, plain.stats.persons);
        assert!((again.expected_persons - plain.stats.expected_persons).abs() < 1e-9);
        assert_eq!(plain.person[0], plain.person[1]);
        // "Not the same person": 1 leaves 0's person; "the same": 2 joins 4.
        let decided = kept.recluster(&[
            Decision {
                a: 1,
                b: 0,
                same: false,
            },
            Decision {
                a: 4,
                b: 2,
                same: true,
            },
        ]);
        let p = &decided.person;
        assert_ne!(p[0], p[1]);
        assert_eq!(p[2], p[4]);
        assert_eq!(p[2], 2, "a person is named by its first record");
        assert_eq!(decided.persons, plain.stats.persons);
        // What a new run with the same verdicts finds.
        let relinked = link(
            &inputs,
            &Config {
                decisions: vec![
                    Decision {
                        a: 1,
                        b: 0,
                        same: false,
                    },
                    Decision {
                        a: 4,
                        b: 2,
                        same: true,
                    },
                ],
                ..Config::default()
            },
        );
        assert_eq!(decided.person, relinked.person);
    }

    #[test]
    fn clustering_kept_pairs_again_gives_the_run_s_persons_on_a_register() {
        // The kept records are back in the caller's order: clustering in that numbering gives
        // the run's partition exactly, on ten thousand records with many namesakes.
        use tessera_registers::{Spec, generate};
        let records = generate(&Spec {
            persons: 6000,
            ..Spec::tuning()
        })
        .unwrap();
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[4; 32]).unwrap());
        let inputs: Vec<LinkInput> = records
            .iter()
            .map(|r| {
                let mut x = input(
                    &enc,
                    (r.person % 3) as u16,
                    &r.given_name,
                    &r.family_name,
                    &r.birth_date,
                );
                x.sex = Some(r.sex.clone()).filter(|s| !s.is_empty());
                x
            })
            .collect();
        let decisions = vec![Decision {
            a: 5,
            b: 7,
            same: true,
        }];
        let kept = link_kept(
            &inputs,
            &Config {
                decisions: decisions.clone(),
                ..Config::default()
            },
        );
        let again = kept.recluster(&decisions);
        assert_eq!(again.person, kept.result.person);
        assert_eq!(again.persons, kept.result.stats.persons);
        // A subset's expected persons: every record counted gives the run's figure, and a
        // subset expects no more persons than it has records.
        let pairs = || kept.result.pairs.iter().map(|p| (p.a, p.b, p.probability));
        let all = vec![true; inputs.len()];
        let (e, _) = expected_persons(pairs(), &kept.result.person, Some(&all));
        assert!((e - kept.result.stats.expected_persons).abs() < 1e-6);
        let half: Vec<bool> = (0..inputs.len()).map(|i| i % 2 == 0).collect();
        let (e, (lo, hi)) = expected_persons(pairs(), &kept.result.person, Some(&half));
        let n = half.iter().filter(|x| **x).count() as f64;
        assert!(e <= n && lo <= e && e <= hi, "{e} of {n}");
        assert!(e < kept.result.stats.expected_persons);
    }

    #[test]
    fn a_swapped_name_without_a_birth_date_is_found_among_namesakes() {
        // One woman reported twice: once with her birth date, once family name first and no
        // date. Her name is common (sixty namesakes of every age, more than a block holds), and
        // four hundred others fill the register.
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[13; 32]).unwrap());
        let mut inputs = vec![
            input(&enc, 0, "Fatema", "Begum", "1994-03-17"),
            input(&enc, 1, "BEGUM", "FATEMA", ""),
        ];
        for i in 0..260 {
            let dob = format!("{}-{:02}-{:02}", 1960 + i % 45, 1 + i % 12, 1 + i % 28);
            let mut x = input(&enc, 2 + (i % 3) as u16, "Fatema", "Begum", &dob);
            x.citizenship = Some(["BD", "IN", "MM"][i % 3].into());
            inputs.push(x);
        }
        for i in 0..400 {
            let g = format!("G{}x{}", i % 37, i / 37);
            let f = format!("F{}", i % 53);
            inputs.push(input(&enc, 2, &g, &f, &format!("19{}-02-03", 50 + i % 40)));
        }
        let r = link(
            &inputs,
            &Config {
                keep_candidates: true,
                ..Config::default()
            },
        );
        assert!(
            r.candidates
                .iter()
                .any(|&(a, b)| (a.min(b), a.max(b)) == (0, 1)),
            "the pair was never compared"
        );
        // A spelling no table lists, a vowel apart, without a date either, meets too.
        let inputs = vec![
            input(&enc, 0, "Rokeya", "Khatun", ""),
            input(&enc, 1, "KHATOON", "Rokeeya", ""),
            input(&enc, 2, "Odette", "Zanga", "1971-02-03"),
        ];
        let r = link(
            &inputs,
            &Config {
                keep_candidates: true,
                ..Config::default()
            },
        );
        assert!(
            r.candidates
                .iter()
                .any(|&(a, b)| a.min(b) == 0 && a.max(b) == 1)
        );
    }

    #[test]
    fn em_recovers_the_m_probabilities_of_generated_registers() {
        use tessera_registers::{Spec, generate};
        let spec = Spec::tuning();
        let records = generate(&spec).unwrap();
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap());
        let inputs: Vec<LinkInput> = records
            .iter()
            .map(|r| {
                let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
                LinkInput {
                    source: ["police", "ngo", "shelter", "labour_inspection"]
                        .iter()
                        .position(|p| *p == r.provider)
                        .unwrap_or(0) as u16,
                    pseudonyms: enc.encode(&Identifiers {
                        given_name: Some(r.given_name.as_str()),
                        family_name: Some(r.family_name.as_str()),
                        birth_date: Some(r.birth_date.as_str()).filter(|s| !s.is_empty()),
                        ..Default::default()
                    }),
                    sex: opt(&r.sex),
                    citizenship: opt(&r.citizenship),
                }
            })
            .collect();
        // The true m: the levels of every pair of one person's records.
        let mut by_person: std::collections::HashMap<u32, Vec<usize>> = Default::default();
        for (i, r) in records.iter().enumerate() {
            by_person.entry(r.person).or_default().push(i);
        }
        let mut truth: Vec<Vec<f64>> = FIELDS.iter().map(|(_, k)| vec![0.0; *k]).collect();
        for v in by_person.values() {
            for x in 0..v.len() {
                for y in x + 1..v.len() {
                    for (f, l) in levels(&inputs[v[x]], &inputs[v[y]]).iter().enumerate() {
                        if *l >= 0 {
                            truth[f][*l as usize] += 1.0;
                        }
                    }
                }
            }
        }
        let r = link(&inputs, &Config::default());
        for (f, name) in [(0, "name"), (1, "birth date")] {
            let total: f64 = truth[f].iter().sum();
            for (l, t) in truth[f].iter().enumerate() {
                let (want, got) = (t / total, r.params.m[f][l]);
                assert!(
                    (want - got).abs() < 0.05,
                    "{name} level {l}: m {got:.3}, true {want:.3}"
                );
            }
        }
        // Sex given names alike: m of agreement within 0.02 of the truth.
        let alike = truth[4][2] + truth[4][3];
        assert!((r.params.m[4][3] - truth[4][3] / alike).abs() < 0.02);
    }

    #[test]
    fn two_small_lists_link_their_one_shared_person_of_each_kind() {
        // What `tessera link` is shown with: three records a list, too few to learn from.
        let enc = KeyedEncoder::new(&Secret::from_bytes(&[17; 32]).unwrap());
        let rec = |s: u16, g: &str, f: &str, d: &str, sex: &str| LinkInput {
            sex: Some(sex.into()),
            citizenship: None,
            ..input(&enc, s, g, f, d)
        };
        let inputs = vec![
            rec(0, "Mohamed", "Abakar", "2001-03-04", "M"),
            rec(0, "Clarisse", "Zanga", "1999-12-01", "F"),
            rec(0, "Odette", "Ngoma", "1987", "F"),
            rec(1, "ABAKAR", "Mahamat", "2001-04-03", "M"),
            rec(1, "Clarise", "Zanga", "1999-12-01", "F"),
            rec(1, "Jean", "Kongbo", "1975-05-05", "M"),
        ];
        for mode in [Mode::Link, Mode::Dedupe] {
            let r = link(
                &inputs,
                &Config {
                    mode,
                    ..Config::default()
                },
            );
            let p = &r.person;
            assert_eq!(p[0], p[3], "{mode:?}: transliteration, order and day/month");
            assert_eq!(p[1], p[4], "{mode:?}: typo");
            assert_ne!(p[2], p[5]);
            assert_eq!(r.stats.persons, 4, "{mode:?}");
        }
    }
}
