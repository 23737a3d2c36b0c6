//! The list-overlap table: how many persons appear on exactly each combination of lists.

use crate::EstimateError;

/// Counts of persons per capture pattern. Pattern `p` is a bit set: bit `i` set when the person is
/// on list `i`. Pattern 0 (on no list) is what estimation is about and is never observed.
///
/// The one overlap table of Tessera: the analysis layer counts it from linked records
/// ([`OverlapTable::counted`], up to [`MAX_HELD`] lists), [`OverlapTable::fold`] brings it down
/// to what estimation takes, and `tessera estimate mse --table` reads and writes it as CSV.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OverlapTable {
    pub lists: Vec<String>,
    /// Index = pattern; entry 0 is unused (always 0).
    pub counts: Vec<f64>,
}

/// Most lists a table may have to be estimated: 2^10 cells, 55 two-way terms.
pub const MAX_LISTS: usize = 10;

/// Most lists a counted table may hold before it is folded: 2^16 patterns.
pub const MAX_HELD: usize = 16;

/// The name of the list that [`OverlapTable::fold`] pools the smaller lists into.
pub const OTHER_LISTS: &str = "OTHER";

impl OverlapTable {
    /// A table counted from data: 1 to [`MAX_HELD`] lists, one count per pattern (index = bit
    /// set of the lists, entry 0 unused). Estimation needs 2 to [`MAX_LISTS`] lists: fold first.
    pub fn counted(
        lists: Vec<String>,
        mut counts: Vec<f64>,
    ) -> Result<OverlapTable, EstimateError> {
        let k = lists.len();
        if !(1..=MAX_HELD).contains(&k) {
            return Err(EstimateError::Table(format!(
                "a table holds 1 to {MAX_HELD} lists, not {k}"
            )));
        }
        if counts.len() != 1 << k {
            return Err(EstimateError::Table(
                "one count per capture pattern is needed".into(),
            ));
        }
        counts[0] = 0.0;
        Ok(OverlapTable { lists, counts })
    }

    /// The observed patterns (count above zero), each as one flag per list, in the order of the
    /// flags (list 0 first, off before on).
    pub fn patterns(&self) -> Vec<(Vec<bool>, f64)> {
        let k = self.k();
        let mut out: Vec<(Vec<bool>, f64)> = (1..self.counts.len())
            .filter(|&p| self.counts[p] > 0.0)
            .map(|p| ((0..k).map(|i| p & (1 << i) != 0).collect(), self.counts[p]))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The shared format of `tessera estimate mse --table`: one 0/1 column per list, then
    /// `count`; patterns nobody is on are left out.
    pub fn to_csv(&self) -> String {
        let mut out = self.lists.join(",");
        out.push_str(",count\n");
        for (pattern, n) in self.patterns() {
            for b in pattern {
                out.push_str(if b { "1," } else { "0," });
            }
            out.push_str(&format!("{n}\n"));
        }
        out
    }

    /// Keeps the `max - 1` largest lists (most persons on them; the first listed on a tie) and
    /// pools the others into one list [`OTHER_LISTS`], adding up the counts of the patterns
    /// that become one. A table of at most `max` lists is returned as it is. Model search grows
    /// as 2^(k(k-1)/2), so estimates from many lists fold them first.
    pub fn fold(&self, max: usize) -> OverlapTable {
        let k = self.k();
        if k <= max || max < 2 {
            return self.clone();
        }
        let mut by_size: Vec<usize> = (0..k).collect();
        by_size.sort_by(|&a, &b| self.on_list(b).total_cmp(&self.on_list(a)));
        let kept = &by_size[..max - 1];
        let mut counts = vec![0.0; 1 << max];
        for p in 1..self.counts.len() {
            let mut q = 0usize;
            for (bit, &i) in kept.iter().enumerate() {
                if p & (1 << i) != 0 {
                    q |= 1 << bit;
                }
            }
            if (0..k).any(|i| p & (1 << i) != 0 && !kept.contains(&i)) {
                q |= 1 << (max - 1);
            }
            counts[q] += self.counts[p];
        }
        let mut lists: Vec<String> = kept.iter().map(|&i| self.lists[i].clone()).collect();
        lists.push(OTHER_LISTS.into());
        OverlapTable { lists, counts }
    }
    pub fn new(lists: Vec<String>, counts: Vec<f64>) -> Result<OverlapTable, EstimateError> {
        let k = lists.len();
        if !(2..=MAX_LISTS).contains(&k) {
            return Err(EstimateError::Table(format!(
                "a table needs 2 to {MAX_LISTS} lists, not {k}"
            )));
        }
        if counts.len() != 1 << k {
            return Err(EstimateError::Table(
                "one count per capture pattern is needed".into(),
            ));
        }
        Ok(OverlapTable { lists, counts })
    }

    /// Reads the shared format: one 0/1 column per list, then `count`; absent patterns count 0.
    pub fn from_csv(text: &str) -> Result<OverlapTable, EstimateError> {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| EstimateError::Table(e.to_string()))?
            .clone();
        let Some(count_col) = headers.iter().position(|h| h.eq_ignore_ascii_case("count")) else {
            return Err(EstimateError::Table(
                "the table has no \"count\" column".into(),
            ));
        };
        let lists: Vec<String> = headers
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != count_col)
            .map(|(_, h)| h.to_string())
            .collect();
        let k = lists.len();
        if !(2..=MAX_LISTS).contains(&k) {
            return Err(EstimateError::Table(format!(
                "a table needs 2 to {MAX_LISTS} list columns, this one has {k}"
            )));
        }
        let mut counts = vec![0.0; 1 << k];
        let mut seen = vec![false; 1 << k];
        for (line, rec) in rdr.records().enumerate() {
            let line = line + 2;
            let rec = rec.map_err(|e| EstimateError::Table(format!("line {line}: {e}")))?;
            let mut pattern = 0usize;
            let mut bit = 0;
            for (i, cell) in rec.iter().enumerate() {
                if i == count_col {
                    continue;
                }
                match cell {
                    "1" => pattern |= 1 << bit,
                    "0" => {}
                    other => {
                        return Err(EstimateError::Table(format!(
                            "line {line}, column {}: \"{other}\" is not 0 or 1",
                            headers.get(i).unwrap_or("?")
                        )));
                    }
                }
                bit += 1;
            }
            let count: f64 = rec
                .get(count_col)
                .and_then(|c| c.parse::<f64>().ok())
                .filter(|c| *c >= 0.0 && c.fract() == 0.0 && c.is_finite())
                .ok_or_else(|| {
                    EstimateError::Table(format!(
                        "line {line}: the count \"{}\" is not a whole number ≥ 0",
                        rec.get(count_col).unwrap_or("")
                    ))
                })?;
            if pattern == 0 {
                return Err(EstimateError::Table(format!(
                    "line {line}: the pattern on no list is what is estimated; it cannot be given"
                )));
            }
            if seen[pattern] {
                return Err(EstimateError::Table(format!(
                    "line {line}: this pattern appears twice"
                )));
            }
            seen[pattern] = true;
            counts[pattern] = count;
        }
        let t = OverlapTable { lists, counts };
        if t.observed() == 0.0 {
            return Err(EstimateError::Table("the table counts nobody".into()));
        }
        Ok(t)
    }

    pub fn k(&self) -> usize {
        self.lists.len()
    }

    /// Persons seen on at least one list.
    pub fn observed(&self) -> f64 {
        self.counts.iter().skip(1).sum()
    }

    /// Persons on both list `i` and list `j`: the sufficient statistic of their interaction.
    pub fn overlap(&self, i: usize, j: usize) -> f64 {
        (1..self.counts.len())
            .filter(|p| p & (1 << i) != 0 && p & (1 << j) != 0)
            .map(|p| self.counts[p])
            .sum()
    }

    /// Persons on list `i`.
    pub fn on_list(&self, i: usize) -> f64 {
        (1..self.counts.len())
            .filter(|p| p & (1 << i) != 0)
            .map(|p| self.counts[p])
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(lists: &[&str], rows: &[(&[usize], f64)]) -> OverlapTable {
        let mut counts = vec![0.0; 1 << lists.len()];
        for (on, n) in rows {
            counts[on.iter().map(|i| 1 << i).sum::<usize>()] += n;
        }
        OverlapTable::counted(lists.iter().map(|s| s.to_string()).collect(), counts).unwrap()
    }

    #[test]
    fn folding_keeps_the_largest_lists_and_every_person() {
        // Lists by size: A 60, B 40, D 8, C 7.
        let t = table(
            &["A", "B", "C", "D"],
            &[
                (&[0], 50.0),
                (&[1], 40.0),
                (&[2], 3.0),
                (&[3], 2.0),
                (&[0, 2], 4.0),
                (&[0, 3], 6.0),
            ],
        );
        let f = t.fold(3);
        assert_eq!(f.lists, ["A", "B", OTHER_LISTS]);
        assert_eq!(
            f.observed(),
            t.observed(),
            "every person is still counted once"
        );
        assert_eq!(
            f.patterns(),
            vec![
                (vec![false, false, true], 5.0),
                (vec![false, true, false], 40.0),
                (vec![true, false, false], 50.0),
                (vec![true, false, true], 10.0),
            ]
        );
        // Persons on each kept list are the same as before folding.
        assert_eq!(f.on_list(0), t.on_list(0));
        assert_eq!(f.on_list(1), t.on_list(1));
        assert_eq!(t.fold(4), t, "nothing to fold");
        assert_eq!(t.fold(5), t);
        // The order of the kept lists follows their size, not their place.
        let g = table(&["S", "L", "M"], &[(&[0], 1.0), (&[1], 30.0), (&[2], 9.0)]).fold(2);
        assert_eq!(g.lists, ["L", OTHER_LISTS]);
        assert_eq!(
            g.patterns(),
            vec![(vec![false, true], 10.0), (vec![true, false], 30.0)]
        );
    }

    #[test]
    fn the_csv_format_goes_both_ways() {
        let t = table(&["A", "B"], &[(&[0], 9.0), (&[1], 8.0), (&[0, 1], 1.0)]);
        assert_eq!(t.to_csv(), "A,B,count\n0,1,8\n1,0,9\n1,1,1\n");
        assert_eq!(OverlapTable::from_csv(&t.to_csv()).unwrap(), t);
    }
}
