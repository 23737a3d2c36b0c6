//! The order in which a reviewer meets the undecided pairs of linkage ([`ReviewPair`]): the
//! pairs whose verdict would change the count of persons most come first.
//!
//! A pair's **impact** is `closeness × affected`:
//!
//! - `closeness` is how near its match probability lies to the link threshold, in log-odds:
//!   `1 / (1 + |logit(p) − logit(threshold)|)` — 1 on the threshold, ½ one unit of log-odds
//!   away (a probability of 27 % or 73 % around a 50 % threshold), falling slowly beyond. The
//!   engine is least sure of these, so a verdict is most likely to overturn its decision.
//! - `affected` is how many records would change person if the verdict went against the
//!   engine: for a pair the engine linked, every record of that person (a "different" verdict
//!   splits it); for a pair it left apart, the records of both persons (a "same" verdict merges
//!   them).
//!
//! Two equally uncertain pairs are thus ordered by how many records hang on them, and a pair
//! deciding between two large clusters outranks an isolated one. Ties keep record order.

use tessera_linkage::DEFAULT_THRESHOLD;

use crate::persons::{Linkage, ReviewPair};

/// Probability bands a reviewer can restrict the queue to: (name, from, to), `from` included.
pub const REVIEW_BANDS: &[(&str, f64, f64)] = &[
    ("low", 0.02, 0.10),
    ("middle", 0.10, 0.30),
    ("high", 0.30, 0.60),
];

/// Which pairs to show.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewFilter<'a> {
    /// Pairs with a record of this provider (on either side).
    pub provider: Option<&'a str>,
    /// Pairs of this entity.
    pub entity: Option<&'a str>,
    /// Pairs whose probability lies in `[from, to)`.
    pub band: Option<(f64, f64)>,
}

impl ReviewFilter<'_> {
    fn keeps(&self, p: &ReviewPair) -> bool {
        self.provider
            .is_none_or(|x| p.provider_a == x || p.provider_b == x)
            && self.entity.is_none_or(|e| p.entity == e)
            && self
                .band
                .is_none_or(|(lo, hi)| p.probability >= lo && p.probability < hi)
    }
}

/// A pair with what its verdict weighs (see the module's documentation).
#[derive(Debug, Clone)]
pub struct RankedPair<'a> {
    pub pair: &'a ReviewPair,
    pub closeness: f64,
    /// Records that would change person if the verdict went against the engine.
    pub affected: usize,
    pub impact: f64,
}

/// How near `p` is to the link threshold: 1 on it, towards 0 far from it.
pub fn closeness(p: f64) -> f64 {
    let logit = |x: f64| {
        let x = x.clamp(1e-9, 1.0 - 1e-9);
        (x / (1.0 - x)).ln()
    };
    1.0 / (1.0 + (logit(p) - logit(DEFAULT_THRESHOLD)).abs())
}

/// The undecided pairs `filter` keeps, highest impact first.
pub fn rank_review<'a>(linkage: &'a Linkage, filter: &ReviewFilter<'_>) -> Vec<RankedPair<'a>> {
    let sizes = linkage.persons.cluster_sizes();
    let size = |record: i64| {
        sizes
            .get(&linkage.persons.person(record))
            .copied()
            .unwrap_or(1)
    };
    let mut out: Vec<RankedPair<'a>> = linkage
        .review
        .iter()
        .filter(|p| filter.keeps(p))
        .map(|p| {
            let affected = if p.linked {
                size(p.record_a)
            } else {
                size(p.record_a) + size(p.record_b)
            };
            let closeness = closeness(p.probability);
            RankedPair {
                pair: p,
                closeness,
                affected,
                impact: closeness * affected as f64,
            }
        })
        .collect();
    out.sort_by(|x, y| {
        y.impact
            .total_cmp(&x.impact)
            .then_with(|| y.closeness.total_cmp(&x.closeness))
            .then_with(|| {
                (x.pair.record_a, x.pair.record_b).cmp(&(y.pair.record_a, y.pair.record_b))
            })
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PersonMap;

    fn pair(a: i64, b: i64, p: f64, linked: bool, provider: &str) -> ReviewPair {
        ReviewPair {
            entity: "victim",
            record_a: a,
            record_b: b,
            provider_a: provider.into(),
            provider_b: "ngo".into(),
            probability: p,
            linked,
            fields: Vec::new(),
        }
    }

    #[test]
    fn closeness_peaks_at_the_threshold() {
        assert!((closeness(DEFAULT_THRESHOLD) - 1.0).abs() < 1e-12);
        assert!(closeness(0.4) > closeness(0.1));
        assert!(closeness(0.1) > closeness(0.02));
        assert!(
            (closeness(0.3) - closeness(0.7)).abs() < 1e-12,
            "symmetric in log-odds"
        );
    }

    #[test]
    fn pairs_that_move_more_records_come_first_and_filters_apply() {
        // Records 1–4 are one person, 5 and 6 each alone, 7 and 8 one person.
        let persons = PersonMap::from_pairs([
            (1, 100),
            (2, 100),
            (3, 100),
            (4, 100),
            (5, 200),
            (6, 300),
            (7, 400),
            (8, 400),
        ]);
        let linkage = Linkage {
            persons: std::sync::Arc::new(persons),
            review: vec![
                // Equally uncertain: two lone records, or a lone record and a person of four.
                pair(5, 6, 0.3, false, "police"),
                pair(1, 5, 0.3, false, "gendarmerie"),
                // Linked into the person of two, but far from the threshold.
                pair(7, 8, 0.58, true, "police"),
                // Very unlikely.
                pair(2, 6, 0.021, false, "police"),
            ],
            ..Linkage::default()
        };
        let ranked = rank_review(&linkage, &ReviewFilter::default());
        let order: Vec<(i64, i64)> = ranked
            .iter()
            .map(|r| (r.pair.record_a, r.pair.record_b))
            .collect();
        assert_eq!(order, vec![(1, 5), (7, 8), (5, 6), (2, 6)]);
        assert_eq!(ranked[0].affected, 5);
        assert_eq!(
            ranked[1].affected, 2,
            "a split moves the linked person's records"
        );
        let police = rank_review(
            &linkage,
            &ReviewFilter {
                provider: Some("police"),
                band: Some((0.10, 0.60)),
                ..ReviewFilter::default()
            },
        );
        let order: Vec<(i64, i64)> = police
            .iter()
            .map(|r| (r.pair.record_a, r.pair.record_b))
            .collect();
        assert_eq!(order, vec![(7, 8), (5, 6)]);
        let none = rank_review(
            &linkage,
            &ReviewFilter {
                entity: Some("suspect"),
                ..ReviewFilter::default()
            },
        );
        assert!(none.is_empty());
    }
}
