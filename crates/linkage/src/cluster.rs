//! Persons from scored pairs: links strongest first, merging two groups only when the records
//! between them agree on average (average linkage over every pair, compared on the spot when the
//! blocking did not bring it), so one strong link cannot chain two different persons together.
//! A reviewer's decisions come first: "same" pairs are merged before any score is looked at, and
//! two groups holding a "different" pair never merge.

use rustc_hash::FxHashSet;

use crate::{Config, Decision, Mode, Params, Rec, ScoredPair, compare, probability};

/// Groups larger than this are not grown further: no person has that many records in one run,
/// and the check costs the product of the two sizes.
const MAX_GROUP: usize = 64;

/// The members of a group: a linked list from its first record.
fn members(first: u32, next: &[u32]) -> impl Iterator<Item = u32> + '_ {
    let mut x = first;
    std::iter::from_fn(move || {
        (x != u32::MAX).then(|| {
            let cur = x;
            x = next[x as usize];
            cur
        })
    })
}

pub(crate) fn cluster(
    recs: &[Rec],
    pairs: &[ScoredPair],
    params: &Params,
    cfg: &Config,
    decisions: &[Decision],
) -> Vec<u32> {
    let n = recs.len();
    let ordered = |a: u32, b: u32| (a.min(b), a.max(b));
    let apart: FxHashSet<(u32, u32)> = decisions
        .iter()
        .filter(|d| !d.same && d.a != d.b)
        .map(|d| ordered(d.a, d.b))
        .collect();
    let sure: FxHashSet<(u32, u32)> = decisions
        .iter()
        .filter(|d| d.same && d.a != d.b)
        .map(|d| ordered(d.a, d.b))
        .collect();
    let prior = params.prior();
    let avg = cfg.threshold;
    // group[x]: the group of record x; its members are a linked list from first[g] through next.
    let mut group: Vec<u32> = (0..n as u32).collect();
    let mut next: Vec<u32> = vec![u32::MAX; n];
    let mut last: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    let forced = decisions
        .iter()
        .filter(|d| d.same && d.a != d.b && (d.a as usize) < n && (d.b as usize) < n)
        .map(|d| (d.a, d.b, true));
    let scored = pairs
        .iter()
        .take_while(|p| p.probability >= cfg.threshold)
        .map(|p| (p.a, p.b, false));
    for (a, b, is_forced) in forced.chain(scored) {
        let (ga, gb) = (group[a as usize], group[b as usize]);
        if ga == gb {
            continue;
        }
        let (sa, sb) = (size[ga as usize] as usize, size[gb as usize] as usize);
        if sa + sb > MAX_GROUP && !is_forced {
            continue;
        }
        let (small, large) = if sa <= sb { (ga, gb) } else { (gb, ga) };
        let ok = if sa == 1 && sb == 1 {
            !apart.contains(&ordered(a, b))
        } else {
            let mut sum = 0.0;
            let mut clash = false;
            for x in members(small, &next) {
                for y in members(large, &next) {
                    let key = ordered(x, y);
                    if apart.contains(&key) {
                        clash = true;
                        break;
                    }
                    if sure.contains(&key) {
                        sum += 1.0;
                        continue;
                    }
                    let (rx, ry) = (&recs[x as usize], &recs[y as usize]);
                    if cfg.mode == Mode::Link && rx.source == ry.source && !is_forced {
                        clash = true;
                    }
                    let (levels, tf) = compare(rx, ry);
                    sum += probability(prior + params.weight_of(&levels, tf));
                }
                if clash {
                    break;
                }
            }
            // A reviewer's "same" overrides the average, never a reviewer's "different".
            !clash && (is_forced || sum / (sa * sb) as f64 >= avg)
        };
        if !ok {
            continue;
        }
        let moved: Vec<u32> = members(small, &next).collect();
        for &x in &moved {
            group[x as usize] = large;
        }
        next[last[large as usize] as usize] = small;
        last[large as usize] = last[small as usize];
        size[large as usize] += size[small as usize];
        size[small as usize] = 0;
    }
    group
}
