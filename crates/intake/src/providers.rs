//! A ministry's list of data providers (40–80 institutions and NGOs, kept in a spreadsheet), read
//! and checked cell by cell like any provider file: every problem is reported with its row and
//! column and the closest valid value, and a list with one problem is refused whole.
//!
//! Columns (header names, any order; `type` may be written `provider_type`):
//! `id`, `name`, `type` are required; `region`, `ngo` (yes/no), `contact` and `name_<lang>` for
//! each interface language of the dictionary (e.g. `name_fr`) are optional.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use tessera_dictionary::{Dictionary, ProviderId, ProviderType};

use crate::report::{CellError, IntakeError, Report};
use crate::table::{Limits, TableRow, open_table};

/// One provider of the list, every value already checked.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderEntry {
    pub id: ProviderId,
    pub name: String,
    /// Names in other interface languages (language → name).
    pub names: BTreeMap<String, String>,
    pub provider_type: ProviderType,
    pub region: Option<String>,
    pub ngo: bool,
    pub contact: Option<String>,
}

/// Reads a provider list (CSV or XLSX). All or nothing: any problem gives the whole report.
pub fn read_provider_list(
    dict: &Dictionary,
    input: Box<dyn Read + Send + '_>,
    name: &str,
    limits: Limits,
) -> Result<Vec<ProviderEntry>, IntakeError> {
    let table = open_table(input, name, "providers", limits, "en")?;
    let mut report = Report {
        lang: "en".into(),
        ..Report::default()
    };
    let header: Vec<String> = table
        .header
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let (id_col, name_col, type_col) = (
        col(&["id"]),
        col(&["name"]),
        col(&["type", "provider_type"]),
    );
    let region_col = col(&["region"]);
    let ngo_col = col(&["ngo"]);
    let contact_col = col(&["contact"]);
    let name_cols: Vec<(String, usize)> = dict
        .languages
        .iter()
        .filter_map(|l| col(&[&format!("name_{l}")]).map(|i| (l.clone(), i)))
        .collect();
    for (wanted, found) in [("id", id_col), ("name", name_col), ("type", type_col)] {
        if found.is_none() {
            report.errors.push(CellError::new(
                1,
                wanted,
                "",
                "column",
                format!("the list has no \"{wanted}\" column; its header needs id, name and type"),
            ));
        }
    }
    let (Some(id_col), Some(name_col), Some(type_col)) = (id_col, name_col, type_col) else {
        return Err(IntakeError::Invalid(report));
    };
    let regions = dict.codelist("region");
    let types = dict.codelist("provider_type");
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for row in table.rows {
        let (line, cells) = match row {
            TableRow::Cells(line, cells) => (line, cells),
            TableRow::Bad(e) => {
                report.errors.push(e);
                continue;
            }
        };
        report.rows_read += 1;
        let cell = |i: usize| cells.get(i).map(str::trim).unwrap_or("");
        let mut bad =
            |column: &str, value: &str, rule: &str, message: String, hint: Option<String>| {
                let mut e = CellError::new(line, column, value, rule, message);
                e.suggestion = hint;
                report.errors.push(e);
            };
        let id = match ProviderId::parse(cell(id_col)) {
            Ok(id) => Some(id),
            Err(e) => {
                bad("id", cell(id_col), "id", e.to_string(), None);
                None
            }
        };
        if let Some(id) = &id
            && let Some(first) = seen.insert(id.to_string(), line)
        {
            bad(
                "id",
                id.as_str(),
                "unique",
                format!("provider \"{id}\" is already on line {first} of the list"),
                None,
            );
        }
        let name = cell(name_col);
        if name.is_empty() {
            bad(
                "name",
                "",
                "required",
                "a provider needs a name".into(),
                None,
            );
        }
        let ptype = match ProviderType::parse(dict, cell(type_col)) {
            Ok(t) => Some(t),
            Err(e) => {
                let hint = types
                    .and_then(|l| l.closest(cell(type_col)))
                    .map(|c| c.code.clone());
                bad("type", cell(type_col), "code", e.to_string(), hint);
                None
            }
        };
        let region = match region_col.map(cell).filter(|r| !r.is_empty()) {
            None => None,
            Some(r) => match regions.and_then(|l| l.resolve(r)) {
                Some(code) => Some(code.to_string()),
                None => {
                    let hint = regions.and_then(|l| l.closest(r)).map(|c| c.code.clone());
                    let known = if regions.is_some_and(|l| !l.codes.is_empty()) {
                        "it is not a region of the dictionary".to_string()
                    } else {
                        "the dictionary has no regions: load the country's extension first".into()
                    };
                    bad("region", r, "code", known, hint);
                    None
                }
            },
        };
        let ngo = match ngo_col.map(cell).unwrap_or("").to_lowercase().as_str() {
            "" | "no" | "non" | "false" | "0" | "n" => false,
            "yes" | "oui" | "true" | "1" | "y" | "o" => true,
            other => {
                bad("ngo", other, "boolean", "write yes or no".into(), None);
                false
            }
        };
        let contact = contact_col
            .map(cell)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
        let names: BTreeMap<String, String> = name_cols
            .iter()
            .filter(|(_, i)| !cell(*i).is_empty())
            .map(|(l, i)| (l.clone(), cell(*i).to_string()))
            .collect();
        if let (Some(id), Some(provider_type), false) = (id, ptype, name.is_empty()) {
            out.push(ProviderEntry {
                id,
                name: name.to_string(),
                names,
                provider_type,
                region,
                ngo,
                contact,
            });
        }
        if report.errors.len() >= Report::MAX_ERRORS {
            break;
        }
    }
    if !report.errors.is_empty() {
        return Err(IntakeError::Invalid(report));
    }
    if out.is_empty() {
        return Err(IntakeError::Unreadable {
            file: name.to_string(),
            message: "the list holds no provider".into(),
        });
    }
    Ok(out)
}
