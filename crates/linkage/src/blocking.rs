//! Candidate pairs: records sharing any blocking key. Keys are hashed to 64 bits and sorted, so
//! memory is a few words per record and key.

use tessera_pseudonym::KeyKind;

use crate::{Config, Mode, Rec};

/// MinHash signatures of the name CLK: bands of rows, so names that differ by a letter or two still
/// share a band.
const BANDS: usize = 10;
const ROWS: usize = 5;

fn mix(x: u64) -> u64 {
    // SplitMix64 finaliser.
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn minhash_bands(r: &Rec, out: &mut Vec<u64>) {
    if r.ones == 0 {
        return;
    }
    let mut mins = [u64::MAX; BANDS * ROWS];
    for (w, word) in r.clk.iter().enumerate() {
        let mut bits = *word;
        while bits != 0 {
            let b = bits.trailing_zeros() as u64;
            bits &= bits - 1;
            let pos = (w as u64) * 64 + b;
            for (h, m) in mins.iter_mut().enumerate() {
                let v = mix(pos ^ ((h as u64 + 1) << 20));
                if v < *m {
                    *m = v;
                }
            }
        }
    }
    for band in 0..BANDS {
        let mut k = mix(0xB10C_0000 + band as u64);
        for row in 0..ROWS {
            k = mix(k ^ mins[band * ROWS + row]);
        }
        out.push(k);
    }
}

/// All candidate pairs (i < j) and the number of blocks skipped as too large.
pub(crate) fn candidates(recs: &[Rec], cfg: &Config) -> (Vec<(u32, u32)>, usize) {
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(recs.len() * 10);
    let mut keys = Vec::with_capacity(12);
    for (i, r) in recs.iter().enumerate() {
        keys.clear();
        // Composite keys keep blocks small even where a few names are very common (as in much of
        // francophone Africa): a name alone is never a block, a name with a year or a date is.
        let by = r.birth_year as u64;
        let dob = r.key(KeyKind::BirthDate);
        if let Some(k) = r.key(KeyKind::FullName) {
            // With the year when there is one; alone as well, so a record without a birth date
            // still meets its namesakes (blocks of very common names are skipped by size).
            if by != 0 {
                keys.push(mix(k ^ (by << 8) ^ 1));
            }
            keys.push(mix(k ^ 7));
        }
        if let (Some(k), Some(d)) = (r.key(KeyKind::FamilyName), dob) {
            keys.push(mix(k ^ mix(d) ^ 2));
        }
        if let (Some(k), Some(d)) = (r.key(KeyKind::GivenName), dob) {
            keys.push(mix(k ^ mix(d) ^ 3));
        }
        for (kind, tag) in [
            (KeyKind::BirthDate, 4u64),
            (KeyKind::IdNumber, 5),
            (KeyKind::Phone, 6),
        ] {
            if let Some(k) = r.key(kind) {
                keys.push(mix(k ^ tag));
            }
        }
        let first = keys.len();
        minhash_bands(r, &mut keys);
        // Name-similarity bands are refined by the year of birth when there is one.
        for k in &mut keys[first..] {
            *k = mix(*k ^ by);
        }
        for &k in &keys {
            entries.push((k, i as u32));
        }
    }
    entries.sort_unstable();
    let mut pairs: Vec<u64> = Vec::new();
    let mut skipped = 0;
    let mut start = 0;
    while start < entries.len() {
        let mut end = start + 1;
        while end < entries.len() && entries[end].0 == entries[start].0 {
            end += 1;
        }
        let block = &entries[start..end];
        if block.len() > cfg.max_block {
            skipped += 1;
        } else {
            for x in 0..block.len() {
                for y in x + 1..block.len() {
                    let (a, b) = (block[x].1.min(block[y].1), block[x].1.max(block[y].1));
                    if a == b
                        || (cfg.mode == Mode::Link
                            && recs[a as usize].source == recs[b as usize].source)
                    {
                        continue;
                    }
                    pairs.push(((a as u64) << 32) | b as u64);
                }
            }
        }
        start = end;
    }
    pairs.sort_unstable();
    pairs.dedup();
    (
        pairs
            .into_iter()
            .map(|p| ((p >> 32) as u32, p as u32))
            .collect(),
        skipped,
    )
}
