//! Statistical disclosure control for tables leaving the system (partners, publications).
//!
//! **Primary suppression** hides every cell with `0 < value < threshold`: a count of 1 to 4
//! victims of a given sex, age and region can point at a person. **Secondary suppression** then
//! makes sure no hidden cell can be recovered by subtraction from a published total: for every
//! *line* of the table — the cells that differ in one key only, whose sum a reader can learn as
//! a margin (the grand total for a one-dimensional table, row and column totals for a
//! two-dimensional one) — a line with exactly one hidden cell gets a second one hidden, the
//! smallest remaining non-zero cell (a zero when nothing else is left). This repeats until every
//! line has zero or at least two hidden cells. Each value column is protected on its own. A line
//! of a single cell is its own margin: hiding the cell is enough (the margin is the same number,
//! and a page must not publish it separately).

use rustc_hash::FxHashMap;

use crate::table::Table;

/// Cells below this are hidden unless configured otherwise.
pub const DEFAULT_THRESHOLD: f64 = 5.0;

/// The deployment setting that overrides [`DEFAULT_THRESHOLD`]: a whole number of at least 2.
pub const THRESHOLD_SETTING: &str = "disclosure_threshold";

/// The deployment's threshold: the `disclosure_threshold` setting, else [`DEFAULT_THRESHOLD`].
/// A setting that is not a whole number from 2 to 1000 is refused rather than ignored, so a
/// mistyped value never publishes smaller cells than intended.
pub async fn deployment_threshold(
    store: &tessera_store::Store,
) -> Result<f64, crate::AnalysisError> {
    match store.setting(THRESHOLD_SETTING).await? {
        None => Ok(DEFAULT_THRESHOLD),
        Some(text) => parse_threshold(&text),
    }
}

/// A threshold as the setting writes it (see [`deployment_threshold`]).
pub fn parse_threshold(text: &str) -> Result<f64, crate::AnalysisError> {
    match text.trim().parse::<u32>() {
        Ok(n) if (2..=1000).contains(&n) => Ok(f64::from(n)),
        _ => Err(crate::AnalysisError::Config(format!(
            "the setting {THRESHOLD_SETTING} is \"{}\"; it must be a whole number from 2 to 1000 (the smallest count published)",
            text.trim()
        ))),
    }
}

/// A copy of `table` with small cells and their complements hidden (`None`), marked suppressed.
pub fn suppress(table: &Table, threshold: f64) -> Table {
    let mut t = table.clone();
    t.suppressed = true;
    let ncols = t
        .value_headers
        .len()
        .max(t.rows.first().map_or(0, |r| r.values.len()));
    let nkeys = t
        .key_headers
        .len()
        .max(t.rows.first().map_or(0, |r| r.keys.len()));
    // Lines: for each key position, the cells that agree on every other key.
    let mut lines: Vec<Vec<usize>> = Vec::new();
    if nkeys <= 1 {
        lines.push((0..t.rows.len()).collect());
    } else {
        for j in 0..nkeys {
            let mut groups: FxHashMap<Vec<&str>, Vec<usize>> = FxHashMap::default();
            for (i, r) in t.rows.iter().enumerate() {
                let others: Vec<&str> = r
                    .keys
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| *k != j)
                    .map(|(_, k)| k.code.as_str())
                    .collect();
                groups.entry(others).or_default().push(i);
            }
            let mut g: Vec<Vec<usize>> = groups.into_values().collect();
            g.sort();
            lines.extend(g);
        }
    }
    for c in 0..ncols {
        let original: Vec<Option<f64>> = t
            .rows
            .iter()
            .map(|r| r.values.get(c).copied().flatten())
            .collect();
        let mut hidden: Vec<bool> = original
            .iter()
            .map(|v| v.is_some_and(|x| x > 0.0 && x < threshold))
            .collect();
        loop {
            let mut changed = false;
            for line in &lines {
                let n_hidden = line.iter().filter(|&&i| hidden[i]).count();
                if n_hidden != 1 || line.len() < 2 {
                    continue;
                }
                // The smallest visible non-zero cell, else a visible zero.
                let pick = line
                    .iter()
                    .copied()
                    .filter(|&i| !hidden[i] && original[i].is_some())
                    .min_by(|&a, &b| {
                        let (x, y) = (original[a].unwrap_or(0.0), original[b].unwrap_or(0.0));
                        (x == 0.0).cmp(&(y == 0.0)).then(x.total_cmp(&y))
                    });
                if let Some(i) = pick {
                    hidden[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (r, h) in t.rows.iter_mut().zip(&hidden) {
            if *h && let Some(v) = r.values.get_mut(c) {
                *v = None;
            }
        }
    }
    t
}

/// Whether a suppressed table is safe: no published cell is small, and no line has exactly one
/// hidden cell (which its margin would give away). Used by the tests and by exports as a check.
pub fn is_protected(t: &Table, threshold: f64) -> bool {
    let nkeys = t.rows.first().map_or(0, |r| r.keys.len());
    let ncols = t.rows.first().map_or(0, |r| r.values.len());
    for r in &t.rows {
        if r.values
            .iter()
            .any(|v| v.is_some_and(|x| x > 0.0 && x < threshold))
        {
            return false;
        }
    }
    for c in 0..ncols {
        let positions: Vec<Option<usize>> = if nkeys <= 1 {
            vec![None]
        } else {
            (0..nkeys).map(Some).collect()
        };
        for j in positions {
            let mut groups: FxHashMap<Vec<&str>, (usize, usize)> = FxHashMap::default();
            for r in &t.rows {
                let key: Vec<&str> = match j {
                    None => Vec::new(),
                    Some(j) => r
                        .keys
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != j)
                        .map(|(_, k)| k.code.as_str())
                        .collect(),
                };
                let e = groups.entry(key).or_default();
                e.0 += 1;
                if r.values[c].is_none() {
                    e.1 += 1;
                }
            }
            if groups
                .values()
                .any(|&(cells, hidden)| cells > 1 && hidden == 1)
            {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Key, TableRow};

    fn table(keys: usize, cells: &[(&[&str], f64)]) -> Table {
        Table {
            id: "t".into(),
            title: "t".into(),
            key_headers: (0..keys).map(|k| format!("k{k}")).collect(),
            value_headers: vec!["n".into()],
            rows: cells
                .iter()
                .map(|(k, v)| TableRow {
                    keys: k.iter().map(|c| Key::new(c, c)).collect(),
                    values: vec![Some(*v)],
                })
                .collect(),
            unit: "records".into(),
            suppressed: false,
            drill: None,
        }
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let t = table(1, &[(&["F"], 120.0), (&["M"], 40.0), (&["X"], 3.0)]);
        let s = suppress(&t, 5.0);
        assert_eq!(s.get(&["F"]), Some(120.0));
        assert_eq!(s.get(&["M"]), None, "secondary: else 163 - 120 - 40 = 3");
        assert_eq!(s.get(&["X"]), None);
        assert!(is_protected(&s, 5.0));
        assert!(!is_protected(
            &{
                let mut only_primary = t.clone();
                only_primary.rows[2].values[0] = None;
                only_primary
            },
            5.0
        ));
    }

    #[test]
    fn the_threshold_setting_is_a_whole_number_of_at_least_two() {
        assert_eq!(parse_threshold(" 10 ").unwrap(), 10.0);
        for bad in ["1", "0", "-3", "4.5", "five", ""] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let t = table(1, &[(&["F"], 12.0), (&["M"], 5.0), (&["X"], 0.0)]);
        assert_eq!(suppress(&t, 5.0).rows, t.rows);
    }

    #[test]
    fn two_way_tables_are_protected_along_rows_and_columns() {
        let mut cells = Vec::new();
        let regions = ["A", "B", "C", "D"];
        let sexes = ["F", "M", "U"];
        let values = [
            [50.0, 30.0, 2.0],
            [20.0, 1.0, 9.0],
            [40.0, 35.0, 11.0],
            [7.0, 60.0, 0.0],
        ];
        let keys: Vec<[&str; 2]> = regions
            .iter()
            .flat_map(|r| sexes.iter().map(move |s| [*r, *s]))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            cells.push((&k[..], values[i / 3][i % 3]));
        }
        let t = table(2, &cells);
        let s = suppress(&t, 5.0);
        assert!(is_protected(&s, 5.0), "{:?}", s.rows);
        assert_eq!(s.get(&["A", "U"]), None);
        assert_eq!(s.get(&["B", "M"]), None);
        // Large cells off the protected lines stay.
        assert_eq!(s.get(&["C", "F"]), Some(40.0));
    }

    #[test]
    fn suppression_is_always_protected_on_random_tables() {
        // A small deterministic generator: many shapes of tables, all must come out protected.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names = ["a", "b", "c", "d", "e", "f"];
        for _ in 0..300 {
            let (nr, nc) = (1 + next() as usize % 6, 1 + next() as usize % 5);
            let mut cells = Vec::new();
            let keys: Vec<[&str; 2]> = (0..nr)
                .flat_map(|r| (0..nc).map(move |c| [names[r], names[c]]))
                .collect();
            for k in &keys {
                let v = match next() % 4 {
                    0 => (next() % 5) as f64,
                    _ => (next() % 80) as f64,
                };
                cells.push((&k[..], v));
            }
            let t = table(2, &cells);
            let s = suppress(&t, 5.0);
            assert!(is_protected(&s, 5.0), "{:?}", s.rows);
            for (a, b) in t.rows.iter().zip(&s.rows) {
                if let Some(v) = b.values[0] {
                    assert_eq!(Some(v), a.values[0]);
                }
            }
        }
    }
}
