//! Candidate pairs: records sharing any blocking key. One kind of key at a time is hashed to 64
//! bits and sorted with the record's index, so memory is two words per record beyond the pairs.
//!
//! Every key is built from exact keyed values (HMAC keys of names and dates), the year of birth,
//! sex and citizenship: two records share a key under one deployment secret exactly when they
//! share it under any other, so the pairs compared do not depend on the secret. (A MinHash of the
//! name CLK, used before, does: the CLK's bit positions are keyed, so which names share a band
//! changed with the secret.)

use crate::{
    ADDRESS, Config, DATE, DAY_MONTH, FAMILY, FULL, GIVEN, ID, Mode, PHON, PHONE, POSTCODE, Rec,
    parallel,
};

pub(crate) fn mix(x: u64) -> u64 {
    // SplitMix64 finaliser.
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The kinds of blocking key, each a function of one record (None when it lacks the fields).
#[derive(Clone, Copy)]
enum Kind {
    /// A name (the full name, or the full name as it sounds), whatever the birth date: every
    /// pair of a block up to the cap; in a larger block (a common name), the pairs whose years
    /// of birth are at most one apart, and for records without a year the pairs of the same sex
    /// and citizenship, each while its sub-block stays under the cap.
    Adaptive(usize),
    /// A name part with the birth date, day and month in either order.
    PartDate(usize),
    /// The birth date with sex and citizenship, for records whose two name parts both changed.
    DateSexCit,
    /// The birth date alone (small blocks only: files without sex and citizenship).
    Date,
    /// Full name with the day and month of birth: the year wrong by more than one.
    NameDayMonth,
    /// A name part with the postcode, for files that have one: the date missing or wrong.
    PartPostcode(usize),
    Exact(usize),
    /// Band `b` of the name CLK's locality-sensitive hash, of so many bins (see [`band_key`]).
    Band(usize, usize),
}

/// Bits in a bin of the name CLK: the CLK's 1024 bits make 64 bins.
const BIN_BITS: usize = 16;
const BINS: usize = 1024 / BIN_BITS;

/// Experiment knobs (bands, bins per band) — read from the environment while tuning.
pub(crate) fn lsh_shape() -> (usize, usize) {
    let get = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    (get("TESSERA_LSH_BANDS", 0), get("TESSERA_LSH_ROWS", 8))
}

/// The bins band `b` reads: `rows` bins of a fixed shuffle of the 64, band after band.
fn band_bins(b: usize, rows: usize) -> impl Iterator<Item = usize> {
    // A fixed order of the bins (no secret, no data): bins sorted by a hash of their index.
    static ORDER: std::sync::OnceLock<[usize; BINS]> = std::sync::OnceLock::new();
    let order = ORDER.get_or_init(|| {
        let mut o: Vec<(u64, usize)> = (0..BINS).map(|i| (mix(0x5EED ^ i as u64), i)).collect();
        o.sort_unstable();
        let mut out = [0; BINS];
        for (x, (_, i)) in out.iter_mut().zip(o) {
            *x = i;
        }
        out
    });
    (0..rows).map(move |j| order[(b * rows + j) % BINS])
}

/// One band of the one-permutation MinHash of the name CLK: for each of the band's bins, the
/// position of the bin's first set bit (16 when it has none). Two CLKs agree on a bin's minimum
/// with a probability close to the Jaccard similarity of their bits, so names a typo apart share
/// a band far more often than different names. `None` for a record without a name, or whose
/// band is more than half empty bins (a very short name says too little).
fn band_key(r: &Rec, b: usize, rows: usize) -> Option<u64> {
    if r.ones == 0 {
        return None;
    }
    let mut h = mix(0xBA4D ^ b as u64);
    let mut empty = 0;
    for (j, bin) in band_bins(b, rows).enumerate() {
        let word = r.clk[bin / (64 / BIN_BITS)];
        let chunk = (word >> ((bin % (64 / BIN_BITS)) * BIN_BITS)) & ((1 << BIN_BITS) - 1);
        let first = if chunk == 0 {
            empty += 1;
            BIN_BITS as u64
        } else {
            u64::from(chunk.trailing_zeros())
        };
        h = mix(h ^ (first << 8 | j as u64));
    }
    (2 * empty <= rows).then_some(h)
}

fn key(r: &Rec, kind: Kind) -> Option<u64> {
    let year = r.birth_year as u64;
    let tag = |t: u64, x: u64| mix(x ^ mix(t));
    match kind {
        Kind::Adaptive(slot) => r.key(slot).map(|k| tag(80 + slot as u64, k)),
        Kind::PartDate(part) => Some(tag(
            4 + part as u64,
            r.key(part)? ^ mix(r.key(DAY_MONTH)? ^ mix(year)),
        )),
        Kind::NameDayMonth => Some(tag(66, r.key(FULL)? ^ mix(r.key(DAY_MONTH)?))),
        Kind::PartPostcode(part) => {
            Some(tag(68 + part as u64, r.key(part)? ^ mix(r.key(POSTCODE)?)))
        }
        Kind::Exact(slot) => r.key(slot).map(|k| tag(12 + slot as u64, k)),
        Kind::DateSexCit => Some(tag(
            64,
            r.key(DATE)? ^ mix(((r.sex as u64) << 32) | r.cit as u64),
        )),
        Kind::Date => r.key(DATE).map(|k| tag(65, k)),
        Kind::Band(b, rows) => band_key(r, b, rows),
    }
}

/// Pairs of a block too large to compare whole (a common name): those whose years of birth are
/// at most one apart, and for each record without a year those of its sex and citizenship, while
/// each sub-block stays under the cap (a larger one is skipped and counted).
fn refine(
    block: &[(u64, u32)],
    recs: &[Rec],
    cfg: &Config,
    pairs: &mut Vec<u64>,
    skipped: &mut usize,
) {
    let cap = cfg.max_block;
    let mut emit = |a: u32, b: u32| {
        let (a, b) = (a.min(b), a.max(b));
        if a != b && !(cfg.mode == Mode::Link && recs[a as usize].source == recs[b as usize].source)
        {
            pairs.push(((a as u64) << 32) | b as u64);
        }
    };
    let mut dated: Vec<(u16, u32)> = block
        .iter()
        .map(|x| (recs[x.1 as usize].birth_year, x.1))
        .filter(|x| x.0 != 0)
        .collect();
    dated.sort_unstable();
    let mut groups: Vec<(u16, usize, usize)> = Vec::new();
    let mut start = 0;
    while start < dated.len() {
        let mut end = start + 1;
        while end < dated.len() && dated[end].0 == dated[start].0 {
            end += 1;
        }
        groups.push((dated[start].0, start, end));
        start = end;
    }
    for (k, &(year, s, e)) in groups.iter().enumerate() {
        if e - s > cap {
            *skipped += 1;
            continue;
        }
        for x in s..e {
            for y in x + 1..e {
                emit(dated[x].1, dated[y].1);
            }
        }
        if let Some(&(next, s2, e2)) = groups.get(k + 1)
            && next == year + 1
        {
            // The two years together, this one counted twice (its records are also paired
            // among themselves), within twice the cap.
            if 2 * (e - s) + (e2 - s2) > 2 * cap {
                *skipped += 1;
                continue;
            }
            for x in s..e {
                for y in s2..e2 {
                    emit(dated[x].1, dated[y].1);
                }
            }
        }
    }
    if dated.len() == block.len() {
        return;
    }
    // Records without a year: the others of their sex and citizenship.
    let mut by: Vec<(u64, bool, u32)> = block
        .iter()
        .map(|x| {
            let r = &recs[x.1 as usize];
            ((r.sex as u64) << 32 | r.cit as u64, r.birth_year == 0, x.1)
        })
        .collect();
    by.sort_unstable();
    let mut start = 0;
    while start < by.len() {
        let mut end = start + 1;
        while end < by.len() && by[end].0 == by[start].0 {
            end += 1;
        }
        let group = &by[start..end];
        if group.iter().any(|x| x.1) {
            if group.len() > cap {
                *skipped += 1;
            } else {
                for (i, x) in group.iter().enumerate() {
                    for y in &group[i + 1..] {
                        if x.1 || y.1 {
                            emit(x.2, y.2);
                        }
                    }
                }
            }
        }
        start = end;
    }
}

/// All candidate pairs (i < j, packed as `i << 32 | j`), sorted, and the number of blocks
/// skipped as too large.
pub(crate) fn candidates(recs: &[Rec], cfg: &Config) -> (Vec<u64>, usize) {
    // In two halves of similar cost, one per thread. (A name part with the year and month, or
    // with a two-year window of birth, were kinds too: on the synthetic million they doubled the
    // pairs compared and changed no link, on FEBRL4 and the demo neither.)
    let (bands, rows) = lsh_shape();
    let mut kinds = vec![
        Kind::Adaptive(FULL),
        Kind::PartDate(FAMILY),
        Kind::Exact(ID),
        Kind::DateSexCit,
        Kind::NameDayMonth,
        Kind::PartPostcode(FAMILY),
        Kind::Adaptive(PHON),
        Kind::PartDate(GIVEN),
        Kind::Exact(PHONE),
        Kind::Date,
        Kind::PartPostcode(GIVEN),
        Kind::Exact(ADDRESS),
    ];
    // The bands split between the two halves.
    for b in 0..bands {
        kinds.insert(
            if b % 2 == 0 { 6 } else { kinds.len() },
            Kind::Band(b, rows),
        );
    }
    // The kinds are shared between threads; each sorts its own pairs, then the sorted lists are
    // merged without duplicates.
    let parts = cfg.threads.clamp(1, 2);
    let lists: Vec<(Vec<u64>, usize)> = parallel(kinds.len(), parts, |range| {
        let mut pairs: Vec<u64> = Vec::new();
        let mut skipped = 0;
        let mut entries: Vec<(u64, u32)> = Vec::with_capacity(recs.len());
        for &kind in &kinds[range] {
            entries.clear();
            entries.extend(
                recs.iter()
                    .enumerate()
                    .filter_map(|(i, r)| key(r, kind).map(|k| (k, i as u32))),
            );
            entries.sort_unstable();
            let before = pairs.len();
            // A name part with a year, or a date, is shared by many strangers when the name is
            // common: only blocks of rare values are worth their pairs (the composite keys above
            // cover the common ones).
            let cap = match kind {
                Kind::DateSexCit => cfg.max_block / 4,
                Kind::Date => cfg.max_block / 10,
                Kind::PartPostcode(..) | Kind::Exact(ADDRESS) => cfg.max_block / 4,
                _ => cfg.max_block,
            };
            let mut blocks: Vec<(usize, usize)> = Vec::new();
            let mut start = 0;
            while start < entries.len() {
                let mut end = start + 1;
                while end < entries.len() && entries[end].0 == entries[start].0 {
                    end += 1;
                }
                if end - start > cap {
                    if matches!(kind, Kind::Adaptive(..) | Kind::Band(..)) {
                        refine(&entries[start..end], recs, cfg, &mut pairs, &mut skipped);
                    } else {
                        skipped += 1;
                    }
                } else if end - start > 1 {
                    blocks.push((start, end));
                }
                start = end;
            }
            // Room for exactly this kind's pairs: growing by doubling would leave up to half
            // the list's memory unused at the run's peak.
            let count: usize = blocks.iter().map(|(s, e)| (e - s) * (e - s - 1) / 2).sum();
            pairs.reserve_exact(count);
            for (start, end) in blocks {
                let block = &entries[start..end];
                for x in 0..block.len() {
                    for y in x + 1..block.len() {
                        // Entries are sorted, so within a block indices increase.
                        let (a, b) = (block[x].1, block[y].1);
                        if cfg.mode == Mode::Link
                            && recs[a as usize].source == recs[b as usize].source
                        {
                            continue;
                        }
                        pairs.push(((a as u64) << 32) | b as u64);
                    }
                }
            }
            // Keep the list compact as it grows.
            if pairs.len() > 4 * before.max(1 << 20) / 3 {
                pairs.sort_unstable();
                pairs.dedup();
            }
        }
        pairs.sort_unstable();
        pairs.dedup();
        // The growth slack would otherwise stay allocated through the merge below.
        pairs.shrink_to_fit();
        (pairs, skipped)
    });
    let skipped = lists.iter().map(|l| l.1).sum();
    let mut lists = lists.into_iter().map(|l| l.0);
    let mut pairs = lists.next().unwrap_or_default();
    for other in lists {
        // Merged from the back into the first list, grown once: no third list at the peak.
        let (mut i, mut j) = (pairs.len(), other.len());
        pairs.resize(i + j, 0);
        let mut k = pairs.len();
        while j > 0 {
            k -= 1;
            if i > 0 && pairs[i - 1] > other[j - 1] {
                pairs[k] = pairs[i - 1];
                i -= 1;
            } else {
                pairs[k] = other[j - 1];
                j -= 1;
            }
        }
        drop(other);
        pairs.dedup();
    }
    (pairs, skipped)
}
