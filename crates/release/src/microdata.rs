//! Persons, not records: one row per unique victim (records linked across and within providers
//! by `tessera_analysis::link_persons`, the reviewers' verdicts obeyed), from approved records
//! only, with the dictionary's releasable variables ([`tessera_dictionary::Variable::releasable`])
//! as small categorical values.
//!
//! A person reported several times takes, per variable, the first value recorded in the order of
//! the records' years (then record ids): the year of the first identification, the sex of the
//! first record that gives one, and so on. Every person is thereby in exactly one cell of any
//! table of these variables — what bounds a person's influence on a release (its sensitivity).
//!
//! Values: a code variable's codes plus `NOT_RECORDED`; a codes variable (several codes per
//! record) its single code, `MULTIPLE` when a person has several, or `NOT_RECORDED`; a boolean
//! `false`/`true`/`NOT_RECORDED`; a date its year, within the release's years (a domain fixed
//! before looking at the data: persons identified outside it are not released).

use rustc_hash::FxHashMap;
use tessera_analysis::facts::{ColumnData, EntityFacts};
use tessera_analysis::{Facts, PersonMap};
use tessera_dictionary::{Dictionary, VarType};

use crate::ReleaseError;

/// The value of a variable that no record of the person gives.
pub const NOT_RECORDED: &str = "NOT_RECORDED";
/// The value of a codes variable for a person with several codes.
pub const MULTIPLE: &str = "MULTIPLE";

/// One released variable and the values it takes (a fixed domain, from the dictionary).
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub code: String,
    /// The codes of its values; a row holds an index into this list.
    pub values: Vec<String>,
}

/// One row per person, one value index per variable.
#[derive(Debug, Clone)]
pub struct PersonTable {
    pub variables: Vec<Variable>,
    pub rows: Vec<Vec<u16>>,
}

impl PersonTable {
    pub fn position(&self, code: &str) -> Option<usize> {
        self.variables.iter().position(|v| v.code == code)
    }

    /// The number of cells of the full cross-classification of the variables.
    pub fn domain(&self) -> u128 {
        self.variables
            .iter()
            .map(|v| v.values.len() as u128)
            .product()
    }

    /// The table as CSV, values by code, one row per person.
    pub fn to_csv(&self) -> String {
        let mut out = self
            .variables
            .iter()
            .map(|v| v.code.as_str())
            .collect::<Vec<_>>()
            .join(",");
        out.push('\n');
        for r in &self.rows {
            let cells: Vec<&str> = r
                .iter()
                .zip(&self.variables)
                .map(|(&i, v)| v.values[i as usize].as_str())
                .collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        out
    }
}

/// The releasable variables of the victim entity, in dictionary order.
pub fn releasable(dict: &Dictionary) -> Vec<String> {
    dict.entity("victim")
        .map(|e| {
            e.variables
                .iter()
                .filter(|v| v.releasable)
                .map(|v| v.code.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Who is released and what of them.
#[derive(Debug, Clone)]
pub struct Selection {
    /// The variables, each releasable in the dictionary.
    pub variables: Vec<String>,
    /// First and last year of identification released.
    pub years: (i32, i32),
    /// Leave out persons whose identification status is "not a victim" (tables of victims).
    pub victims_only: bool,
}

/// How one variable's value is read off a record.
enum Reader<'a> {
    Year,
    Code(&'a [u16]),
    Codes(&'a [u32], &'a [u16], usize),
    Bool(&'a [u8]),
}

impl Reader<'_> {
    /// The value index of record `i`, `None` when it gives none.
    fn read(&self, i: usize, year: i32, years: (i32, i32)) -> Option<u16> {
        match self {
            Reader::Year => (years.0..=years.1)
                .contains(&year)
                .then(|| (year - years.0) as u16),
            Reader::Code(v) => (v[i] != 0).then_some(v[i]),
            Reader::Codes(offsets, values, n) => {
                let set = &values[offsets[i] as usize..offsets[i + 1] as usize];
                let mut distinct: Vec<u16> = set.iter().copied().filter(|&c| c != 0).collect();
                distinct.sort_unstable();
                distinct.dedup();
                match distinct.len() {
                    0 => None,
                    1 => Some(distinct[0]),
                    _ => Some(*n as u16 + 1),
                }
            }
            Reader::Bool(v) => (v[i] != 0).then_some(u16::from(v[i])),
        }
    }
}

fn reader<'a>(
    ent: &'a EntityFacts,
    dict: &Dictionary,
    code: &str,
    years: (i32, i32),
) -> Result<(Reader<'a>, Variable), ReleaseError> {
    let var = dict
        .entity("victim")
        .and_then(|e| e.variable(code))
        .filter(|v| v.releasable)
        .ok_or_else(|| {
            ReleaseError::Spec(format!(
                "\"{code}\" is not a releasable variable of victims (releasable: {})",
                releasable(dict).join(", ")
            ))
        })?;
    if matches!(var.var_type, VarType::Date) {
        return Ok((
            Reader::Year,
            Variable {
                code: code.to_string(),
                values: (years.0..=years.1).map(|y| y.to_string()).collect(),
            },
        ));
    }
    let col = ent
        .column(code)
        .ok_or_else(|| ReleaseError::Spec(format!("victims have no column \"{code}\"")))?;
    let codes: Vec<String> = col
        .codes
        .as_ref()
        .map(|c| c.codes.clone())
        .unwrap_or_default();
    let with_missing = |mut v: Vec<String>| {
        v.insert(0, NOT_RECORDED.to_string());
        v
    };
    Ok(match &col.data {
        ColumnData::Code(v) => (
            Reader::Code(v),
            Variable {
                code: code.to_string(),
                values: with_missing(codes),
            },
        ),
        ColumnData::Codes { offsets, values } => {
            let n = codes.len();
            let mut all = with_missing(codes);
            all.push(MULTIPLE.to_string());
            (
                Reader::Codes(offsets, values, n),
                Variable {
                    code: code.to_string(),
                    values: all,
                },
            )
        }
        ColumnData::Bool(v) => (
            Reader::Bool(v),
            Variable {
                code: code.to_string(),
                values: vec![NOT_RECORDED.into(), "false".into(), "true".into()],
            },
        ),
        _ => {
            return Err(ReleaseError::Spec(format!(
                "\"{code}\" cannot be released as categories"
            )));
        }
    })
}

/// One row per unique victim among the approved records identified within `sel.years`.
pub fn victim_persons(
    facts: &Facts,
    persons: &PersonMap,
    dict: &Dictionary,
    sel: &Selection,
) -> Result<PersonTable, ReleaseError> {
    if sel.years.0 > sel.years.1 || sel.years.1 - sel.years.0 > 200 {
        return Err(ReleaseError::Spec(format!(
            "the years {}–{} are not a range of years",
            sel.years.0, sel.years.1
        )));
    }
    let ent = facts.entity("victim")?;
    let mut readers = Vec::new();
    let mut variables = Vec::new();
    for code in &sel.variables {
        if variables.iter().any(|v: &Variable| &v.code == code) {
            return Err(ReleaseError::Spec(format!("\"{code}\" is named twice")));
        }
        let (r, v) = reader(ent, dict, code, sel.years)?;
        readers.push(r);
        variables.push(v);
    }
    let not_victim = ent
        .column("identification_status")
        .and_then(|c| match (&c.data, &c.codes) {
            (ColumnData::Code(v), Some(codes)) => codes.value("NOT_VICTIM").map(|nv| (v, nv)),
            _ => None,
        });
    // The approved records of each person, in the order of their years then ids.
    let mut by_person: FxHashMap<u64, Vec<usize>> = FxHashMap::default();
    for i in 0..ent.len() {
        if !ent.approved[i] {
            continue;
        }
        if sel.victims_only && not_victim.is_some_and(|(v, nv)| v[i] == nv) {
            continue;
        }
        by_person
            .entry(persons.person(ent.record_id[i]))
            .or_default()
            .push(i);
    }
    let mut people: Vec<Vec<usize>> = by_person.into_values().collect();
    for recs in &mut people {
        recs.sort_by_key(|&i| {
            (
                if ent.year[i] == 0 {
                    u16::MAX
                } else {
                    ent.year[i]
                },
                ent.record_id[i],
            )
        });
    }
    // A stable order of persons (by their first record's id), so a seeded release repeats.
    people.sort_by_key(|recs| ent.record_id[recs[0]]);
    let mut rows = Vec::with_capacity(people.len());
    for recs in &people {
        let year = i32::from(ent.year[recs[0]]);
        if !(sel.years.0..=sel.years.1).contains(&year) {
            continue;
        }
        let row: Vec<u16> = readers
            .iter()
            .map(|r| {
                recs.iter()
                    .find_map(|&i| r.read(i, year, sel.years))
                    .unwrap_or(0)
            })
            .collect();
        rows.push(row);
    }
    Ok(PersonTable { variables, rows })
}
