//! The list-overlap table: how many persons appear on exactly each combination of lists.

use crate::EstimateError;

/// Counts of persons per capture pattern. Pattern `p` is a bit set: bit `i` set when the person is
/// on list `i`. Pattern 0 (on no list) is what estimation is about and is never observed.
#[derive(Debug, Clone, PartialEq)]
pub struct OverlapTable {
    pub lists: Vec<String>,
    /// Index = pattern; entry 0 is unused (always 0).
    pub counts: Vec<f64>,
}

/// Most lists a table may have: 2^10 cells, 55 two-way terms.
pub const MAX_LISTS: usize = 10;

impl OverlapTable {
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
