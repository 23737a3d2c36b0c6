//! The one shape every dashboard number travels in: a labelled table that a chart draws, a page
//! shows, disclosure control suppresses and a CSV export writes.

/// A code and its label in the requested language (the code is empty for "not recorded").
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Key {
    pub code: String,
    pub label: String,
}

impl Key {
    pub fn new(code: &str, label: &str) -> Key {
        Key {
            code: code.to_string(),
            label: label.to_string(),
        }
    }
}

/// One row: its keys (one per key column) and its values (`None`: suppressed or not defined).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TableRow {
    pub keys: Vec<Key>,
    pub values: Vec<Option<f64>>,
}

/// A labelled table of numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Table {
    /// A stable machine name (`victim_by_sex`), for file names and anchors.
    pub id: String,
    pub title: String,
    pub key_headers: Vec<String>,
    pub value_headers: Vec<String>,
    pub rows: Vec<TableRow>,
    /// `records` or `persons`.
    pub unit: String,
    /// Whether small cells were suppressed (see [`crate::disclosure`]).
    pub suppressed: bool,
    /// How to go down from a row to what is behind it, when the keys are values of variables.
    pub drill: Option<Drill>,
}

/// The entity and the variable behind each key column of a table: a row's keys are then a
/// filter (`sex = "F" and year = 2024`) that selects what the row counts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Drill {
    pub entity: String,
    pub dims: Vec<String>,
}

impl Drill {
    /// The filter-language condition selecting `row` (see [`crate::Expr::parse`]), or `None`
    /// when a key is not a plain code (a total, an "unknown" bucket, a suppressed cell).
    pub fn condition(&self, row: &TableRow) -> Option<String> {
        if row.keys.len() != self.dims.len() {
            return None;
        }
        let mut parts = Vec::with_capacity(self.dims.len());
        for (dim, key) in self.dims.iter().zip(&row.keys) {
            let code = key.code.as_str();
            let plain = !code.is_empty()
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !plain {
                return None;
            }
            if dim == "year" {
                let year: i32 = code.parse().ok()?;
                parts.push(format!("year = {year}"));
            } else {
                parts.push(format!("{dim} = \"{code}\""));
            }
        }
        Some(parts.join(" and "))
    }
}

impl Table {
    pub fn with_title(mut self, id: &str, title: &str) -> Table {
        self.id = id.to_string();
        self.title = title.to_string();
        self
    }

    /// The first value of the row whose key codes are `codes`.
    pub fn get(&self, codes: &[&str]) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| {
                r.keys.len() == codes.len() && r.keys.iter().zip(codes).all(|(k, c)| k.code == *c)
            })
            .and_then(|r| r.values.first().copied().flatten())
    }

    /// Sum of the first value column (suppressed cells left out).
    pub fn total(&self) -> f64 {
        self.rows
            .iter()
            .filter_map(|r| r.values.first().copied().flatten())
            .sum()
    }

    /// The table as CSV (RFC 4180, UTF-8): for each key column its code and its label, then the
    /// values; a suppressed cell is written `c` (confidential), an undefined one left empty.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = Vec::new();
        for h in &self.key_headers {
            header.push(format!("{h} (code)"));
            header.push(h.clone());
        }
        header.extend(self.value_headers.iter().cloned());
        push_csv_line(&mut out, header.iter().map(String::as_str));
        for r in &self.rows {
            let mut cells: Vec<String> = Vec::new();
            for k in &r.keys {
                cells.push(k.code.clone());
                cells.push(k.label.clone());
            }
            for v in &r.values {
                cells.push(match v {
                    Some(x) => format_number(*x),
                    None if self.suppressed => "c".to_string(),
                    None => String::new(),
                });
            }
            push_csv_line(&mut out, cells.iter().map(String::as_str));
        }
        out
    }
}

/// A number as a table shows it: whole numbers without decimals, others with up to three.
pub fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn push_csv_line<'a>(out: &mut String, cells: impl Iterator<Item = &'a str>) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(',');
        }
        // A leading =, +, - or @ would be a formula in a spreadsheet: quote it with a '.
        let c = if c.starts_with(['=', '+', '@'])
            || (c.starts_with('-') && c.parse::<f64>().is_err())
        {
            format!("'{c}")
        } else {
            c.to_string()
        };
        if c.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&c.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&c);
        }
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let t = Table {
            id: "t".into(),
            title: "T".into(),
            key_headers: vec!["Region".into()],
            value_headers: vec!["Victims".into()],
            rows: vec![
                TableRow {
                    keys: vec![Key::new("X", "Haute-Sangha, \"HS\"")],
                    values: vec![Some(12.0)],
                },
                TableRow {
                    keys: vec![Key::new("Y", "=HYPERLINK()")],
                    values: vec![None],
                },
            ],
            unit: "records".into(),
            suppressed: true,
            drill: None,
        };
        assert_eq!(
            t.to_csv(),
            "Region (code),Region,Victims\r\nX,\"Haute-Sangha, \"\"HS\"\"\",12\r\nY,'=HYPERLINK(),c\r\n"
        );
        assert_eq!(format_number(0.125), "0.125");
        assert_eq!(format_number(3.0), "3");
    }
}
