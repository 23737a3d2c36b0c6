//! Candidate pairs: records sharing any blocking key. One kind of key at a time is hashed to 64
//! bits and sorted with the record's index, so memory is two words per record beyond the pairs.

use crate::{
    Config, DATE_UNORDERED, FAMILY, FULL, GIVEN, ID, Mode, PHONE, Rec, YEAR_MONTH, parallel,
};

/// One-permutation MinHash of the name CLK: bins of the permuted bit positions, banded, so names
/// that differ by a letter or two still share a band.
const BANDS: usize = 8;
const ROWS: usize = 6;
const BINS: usize = BANDS * ROWS;

fn mix(x: u64) -> u64 {
    // SplitMix64 finaliser.
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A fixed permutation of the 1024 CLK positions (the same for every run, so nothing depends on
/// the data), as (bin, rank within the bin).
fn permutation() -> Vec<(u8, u16)> {
    let mut order: Vec<(u64, usize)> = (0..1024).map(|p| (mix(p as u64 ^ 0xC1C), p)).collect();
    order.sort_unstable();
    let mut out = vec![(0u8, 0u16); 1024];
    for (rank, &(_, pos)) in order.iter().enumerate() {
        let bin = rank * BINS / 1024;
        out[pos] = (bin as u8, rank as u16);
    }
    out
}

fn minhash_bands(r: &Rec, perm: &[(u8, u16)], out: &mut [u64; BANDS]) -> bool {
    if r.ones == 0 {
        return false;
    }
    let mut mins = [u16::MAX; BINS];
    for (w, word) in r.clk.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let b = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let (bin, rank) = perm[w * 64 + b];
            let m = &mut mins[bin as usize];
            if rank < *m {
                *m = rank;
            }
        }
    }
    for (band, o) in out.iter_mut().enumerate() {
        let mut k = mix(0xB10C_0000 + band as u64);
        for row in 0..ROWS {
            k = mix(k ^ mins[band * ROWS + row] as u64);
        }
        *o = k;
    }
    true
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
    Exact(usize),
    /// A MinHash band of the name CLK with the year of birth.
    Band(usize),
    /// A MinHash band alone, for records whose year is missing or wrong (small blocks only).
    BandAlone(usize),
}

fn key(r: &Rec, kind: Kind, bands: Option<&[u64; BANDS]>) -> Option<u64> {
    let year = r.birth_year as u64;
    let tag = |t: u64, x: u64| mix(x ^ mix(t));
    match kind {
        Kind::NameYear(shift) => {
            let k = r.key(FULL)?;
            (year != 0).then(|| tag(1 + shift as u64, k ^ ((year + shift as u64) / 2) << 1))
        }
        Kind::Name => r.key(FULL).map(|k| tag(3, k)),
        Kind::PartDate(part) => Some(tag(
            4 + part as u64,
            r.key(part)? ^ mix(r.key(DATE_UNORDERED)?),
        )),
        Kind::PartMonth(part) => Some(tag(8 + part as u64, r.key(part)? ^ mix(r.key(YEAR_MONTH)?))),
        Kind::Exact(slot) => r.key(slot).map(|k| tag(12 + slot as u64, k)),
        Kind::Band(b) => bands.map(|bs| tag(32 + b as u64, bs[b] ^ (year << 1))),
        Kind::BandAlone(b) => bands.map(|bs| tag(64 + b as u64, bs[b])),
    }
}

/// All candidate pairs (i < j), sorted, and the number of blocks skipped as too large.
pub(crate) fn candidates(recs: &[Rec], cfg: &Config) -> (Vec<(u32, u32)>, usize) {
    // In two halves of similar cost, one per thread.
    let mut kinds = vec![
        Kind::NameYear(0),
        Kind::PartDate(FAMILY),
        Kind::PartMonth(FAMILY),
        Kind::Exact(ID),
    ];
    kinds.extend((0..BANDS / 2 + 1).map(Kind::Band));
    kinds.extend((0..BANDS / 2).map(Kind::BandAlone));
    kinds.extend([
        Kind::NameYear(1),
        Kind::Name,
        Kind::PartDate(GIVEN),
        Kind::PartMonth(GIVEN),
        Kind::Exact(PHONE),
    ]);
    kinds.extend((BANDS / 2 + 1..BANDS).map(Kind::Band));
    kinds.extend((BANDS / 2..BANDS).map(Kind::BandAlone));
    let perm = permutation();
    // Bands are computed once, in parallel (they are the costly key).
    let bands: Vec<Option<[u64; BANDS]>> = parallel(recs.len(), cfg.threads, |range| {
        range
            .map(|i| {
                let mut b = [0u64; BANDS];
                minhash_bands(&recs[i], &perm, &mut b).then_some(b)
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .flatten()
    .collect();
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
                    .filter_map(|(i, r)| key(r, kind, bands[i].as_ref()).map(|k| (k, i as u32))),
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
                // Name bands are fuzzy: a large band block is mostly strangers with similar
                // common names, who the exact keys already bring together when it matters.
                let cap = match kind {
                    Kind::Band(_) => cfg.max_block / 10,
                    // Without the year, only bands of rare names stay useful.
                    Kind::BandAlone(_) => cfg.max_block / 25,
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
        (pairs, skipped)
    });
    let skipped = lists.iter().map(|l| l.1).sum();
    let mut lists: Vec<Vec<u64>> = lists.into_iter().map(|l| l.0).collect();
    let pairs = if lists.len() == 1 {
        lists.pop().unwrap_or_default()
    } else {
        let (x, y) = (&lists[0], &lists[1]);
        let mut out = Vec::with_capacity(x.len().max(y.len()) * 5 / 4);
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
