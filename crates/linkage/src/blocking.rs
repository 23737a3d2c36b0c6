//! Candidate pairs: records sharing any blocking key. One kind of key at a time is hashed to 64
//! bits and sorted with the record's index, so memory is two words per record beyond the pairs.
//!
//! Every key is built from exact keyed values (HMAC keys of names and dates), the year of birth,
//! sex and citizenship: two records share a key under one deployment secret exactly when they
//! share it under any other, so the pairs compared do not depend on the secret. (A MinHash of the
//! name CLK, used before, does: the CLK's bit positions are keyed, so which names share a band
//! changed with the secret.)

use crate::{
    Config, DATE, DATE_UNORDERED, FAMILY, FULL, GIVEN, ID, Mode, PHONE, Rec, YEAR_MONTH, parallel,
};

fn mix(x: u64) -> u64 {
    // SplitMix64 finaliser.
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The kinds of blocking key, each a function of one record (None when it lacks the fields).
#[derive(Clone, Copy)]
enum Kind {
    /// Full name with the year of birth in a two-year window (two windows cover a year's error).
    NameYear(u16),
    /// Full name alone, for records whose date is missing or wrong (small blocks only).
    Name,
    /// A name part with the birth date, day and month in either order.
    PartDate(usize),
    /// A name part with the year and month of birth.
    PartMonth(usize),
    /// A name part with the year of birth in a two-year window: the other part misspelt,
    /// truncated, missing or replaced, and the day or month wrong or a placeholder.
    PartYear(usize, u16),
    /// The birth date with sex and citizenship, for records whose two name parts both changed.
    DateSexCit,
    /// The birth date alone (small blocks only: files without sex and citizenship).
    Date,
    Exact(usize),
}

fn key(r: &Rec, kind: Kind) -> Option<u64> {
    let year = r.birth_year as u64;
    let tag = |t: u64, x: u64| mix(x ^ mix(t));
    let window = |shift: u16| ((year + shift as u64) / 2) << 1;
    match kind {
        Kind::NameYear(shift) => {
            let k = r.key(FULL)?;
            (year != 0).then(|| tag(1 + shift as u64, k ^ window(shift)))
        }
        Kind::Name => r.key(FULL).map(|k| tag(3, k)),
        Kind::PartDate(part) => Some(tag(
            4 + part as u64,
            r.key(part)? ^ mix(r.key(DATE_UNORDERED)?),
        )),
        Kind::PartMonth(part) => Some(tag(8 + part as u64, r.key(part)? ^ mix(r.key(YEAR_MONTH)?))),
        Kind::Exact(slot) => r.key(slot).map(|k| tag(12 + slot as u64, k)),
        Kind::PartYear(part, shift) => {
            let k = r.key(part)?;
            (year != 0).then(|| tag(32 + 2 * part as u64 + shift as u64, k ^ window(shift)))
        }
        Kind::DateSexCit => Some(tag(
            64,
            r.key(DATE)? ^ mix(((r.sex as u64) << 32) | r.cit as u64),
        )),
        Kind::Date => r.key(DATE).map(|k| tag(65, k)),
    }
}

/// All candidate pairs (i < j), sorted, and the number of blocks skipped as too large.
pub(crate) fn candidates(recs: &[Rec], cfg: &Config) -> (Vec<(u32, u32)>, usize) {
    // In two halves of similar cost, one per thread.
    let kinds = [
        Kind::NameYear(0),
        Kind::PartDate(FAMILY),
        Kind::PartMonth(FAMILY),
        Kind::PartYear(FAMILY, 0),
        Kind::PartYear(GIVEN, 0),
        Kind::Exact(ID),
        Kind::DateSexCit,
        Kind::NameYear(1),
        Kind::Name,
        Kind::PartDate(GIVEN),
        Kind::PartMonth(GIVEN),
        Kind::PartYear(FAMILY, 1),
        Kind::PartYear(GIVEN, 1),
        Kind::Exact(PHONE),
        Kind::Date,
    ];
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

            let mut start = 0;
            while start < entries.len() {
                let mut end = start + 1;
                while end < entries.len() && entries[end].0 == entries[start].0 {
                    end += 1;
                }
                let block = &entries[start..end];
                // A name part with a year, or a date, is shared by many strangers when the name
                // is common: only blocks of rare values are worth their pairs (the composite
                // keys above cover the common ones).
                let cap = match kind {
                    Kind::PartYear(..) => cfg.max_block / 5,
                    Kind::DateSexCit => cfg.max_block / 4,
                    Kind::Date => cfg.max_block / 10,
                    _ => cfg.max_block,
                };
                if block.len() > cap {
                    skipped += 1;
                } else {
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
                start = end;
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
    let mut lists: Vec<Vec<u64>> = lists.into_iter().map(|l| l.0).collect();
    let pairs = if lists.len() == 1 {
        lists.pop().unwrap_or_default()
    } else {
        let (x, y) = (&lists[0], &lists[1]);
        // Room for both lists up front: growing by doubling past that would hold up to twice
        // the union at the peak of the run's memory.
        let mut out = Vec::with_capacity(x.len() + y.len());
        let (mut i, mut j) = (0, 0);
        while i < x.len() || j < y.len() {
            let v = if j >= y.len() || (i < x.len() && x[i] <= y[j]) {
                i += 1;
                x[i - 1]
            } else {
                j += 1;
                y[j - 1]
            };
            if out.last() != Some(&v) {
                out.push(v);
            }
        }
        out
    };
    drop(lists);
    (
        pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        skipped,
    )
}
