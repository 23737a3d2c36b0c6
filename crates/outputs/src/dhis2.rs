//! A return as a DHIS2 `dataValueSets` document (JSON), for ministries that already run DHIS2.
//!
//! DHIS2 identifies a figure by data element, period, organisation unit and category option
//! combination, with ids of the deployment's own DHIS2 metadata. A [`Mapping`] (a TOML file per
//! deployment) gives them: the organisation unit, optionally the data set and attribute option
//! combination, and per table a data element and, per cell, a category option combination. A
//! cell is named by its codes joined by `.` in the table's dimension order (`female.child`;
//! `_T` for the total over a dimension: `_T._T` is a victims table's total).
//!
//! **Default:** with no file, [`Mapping::default_for`] makes ids from the codes themselves
//! (`TSR_GLOTIP_VICTIMS_SEX_AGE`, `FEMALE_CHILD`) with `id_scheme = "CODE"`: a DHIS2 whose
//! metadata carries these codes imports with `POST /api/dataValueSets?idScheme=CODE`; any other
//! writes the default out (`tessera report dhis2 --write-mapping`), replaces the ids with its own
//! and passes the file back. Hidden cells (disclosure control) are not sent — a blank in DHIS2 is
//! "not known" — and every value's `comment` states the protection applied.

use std::collections::BTreeMap;

use crate::{OutputError, Return};

/// The DHIS2 ids of a return's figures (see the module's documentation).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The return these ids are for: `glotip` or `eurostat`.
    #[serde(rename = "return")]
    pub return_id: String,
    /// DHIS2's identifier scheme of the ids below (`UID`, `CODE`): import with `?idScheme=…`.
    pub id_scheme: String,
    /// The organisation unit the figures are reported for (the country).
    pub org_unit: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_set: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribute_option_combo: Option<String>,
    /// Table id → its data element and its cells' category option combinations.
    #[serde(default)]
    pub tables: BTreeMap<String, TableIds>,
}

/// The ids of one table's figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableIds {
    pub data_element: String,
    /// Cell (codes joined by `.`) → category option combination.
    #[serde(default)]
    pub category_option_combos: BTreeMap<String, String>,
}

/// DHIS2 codes are at most 50 characters.
fn code(s: &str) -> String {
    s.to_ascii_uppercase()
        .replace('.', "_")
        .chars()
        .take(50)
        .collect()
}

impl Mapping {
    /// Ids made from the return's own codes, in DHIS2's `CODE` scheme.
    pub fn default_for(ret: &Return) -> Mapping {
        let mut tables = BTreeMap::new();
        for t in &ret.tables {
            let combos = t
                .observations()
                .into_iter()
                .map(|o| {
                    let id = code(&o.cell);
                    (o.cell, id)
                })
                .collect();
            tables.insert(
                t.id.clone(),
                TableIds {
                    data_element: code(&format!("TSR_{}_{}", ret.id, t.id)),
                    category_option_combos: combos,
                },
            );
        }
        Mapping {
            return_id: ret.id.clone(),
            id_scheme: "CODE".into(),
            org_unit: ret.country.clone(),
            data_set: None,
            attribute_option_combo: None,
            tables,
        }
    }

    /// Reads a mapping file.
    pub fn from_toml(text: &str) -> Result<Mapping, OutputError> {
        let m: Mapping = toml::from_str(text).map_err(|e| OutputError::Mapping(e.to_string()))?;
        if !matches!(m.id_scheme.to_ascii_uppercase().as_str(), "UID" | "CODE") {
            return Err(OutputError::Mapping(format!(
                "id_scheme is \"{}\"; use UID or CODE",
                m.id_scheme
            )));
        }
        if m.org_unit.trim().is_empty() {
            return Err(OutputError::Mapping("org_unit is empty".into()));
        }
        Ok(m)
    }

    /// The mapping as a file to edit.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# DHIS2 ids for `tessera report dhis2 --mapping THIS_FILE` ({} return).\n\
             # Replace the ids with your DHIS2's (data elements, category option combinations,\n\
             # organisation unit), in the scheme named by id_scheme (UID or CODE). A cell is named\n\
             # by its codes joined by \".\" in the table's dimension order; _T is a total.\n\
             # Figures whose table or cell has no id here are left out and listed by the command.\n\n{body}",
            self.return_id
        )
    }
}

/// A `dataValueSets` document and what went into it.
#[derive(Debug, Clone)]
pub struct Export {
    pub json: serde_json::Value,
    /// Values written.
    pub values: usize,
    /// Cells hidden by disclosure control, not sent.
    pub hidden: usize,
    /// Published figures left out because the mapping has no id for them (`table:cell`).
    pub missing_ids: Vec<String>,
}

/// The return's published figures as a `dataValueSets` document under `mapping`.
pub fn data_value_set(ret: &Return, mapping: &Mapping) -> Result<Export, OutputError> {
    if mapping.return_id != ret.id {
        return Err(OutputError::Mapping(format!(
            "the mapping is for the {} return, not {}",
            mapping.return_id, ret.id
        )));
    }
    let period = ret.year.to_string();
    let comment = format!(
        "Tessera {} {}: approved data; {}",
        ret.id,
        ret.year,
        ret.protection.short()
    );
    let mut values = Vec::new();
    let (mut hidden, mut missing_ids) = (0usize, Vec::new());
    // Per table (not deduplicated as in SDMX): each table is its own data element.
    for (t, o) in ret
        .tables
        .iter()
        .flat_map(|t| t.observations().into_iter().map(move |o| (t, o)))
    {
        let Some(v) = o.value else {
            hidden += 1;
            continue;
        };
        let ids = mapping.tables.get(&t.id);
        let coc = ids.and_then(|ids| ids.category_option_combos.get(&o.cell));
        let (Some(ids), Some(coc)) = (ids, coc) else {
            missing_ids.push(format!("{}:{}", t.id, o.cell));
            continue;
        };
        let mut dv = serde_json::Map::new();
        dv.insert("dataElement".into(), ids.data_element.clone().into());
        dv.insert("period".into(), period.clone().into());
        dv.insert("orgUnit".into(), mapping.org_unit.clone().into());
        dv.insert("categoryOptionCombo".into(), coc.clone().into());
        if let Some(aoc) = &mapping.attribute_option_combo {
            dv.insert("attributeOptionCombo".into(), aoc.clone().into());
        }
        dv.insert(
            "value".into(),
            tessera_analysis::table::format_number(v).into(),
        );
        dv.insert(
            "comment".into(),
            match &o.note {
                Some(n) => format!("{comment}. {n}"),
                None => comment.clone(),
            }
            .into(),
        );
        values.push(serde_json::Value::Object(dv));
    }
    let mut set = serde_json::Map::new();
    if let Some(ds) = &mapping.data_set {
        set.insert("dataSet".into(), ds.clone().into());
    }
    set.insert("period".into(), period.into());
    set.insert("orgUnit".into(), mapping.org_unit.clone().into());
    if let Some(aoc) = &mapping.attribute_option_combo {
        set.insert("attributeOptionCombo".into(), aoc.clone().into());
    }
    let n = values.len();
    set.insert("dataValues".into(), serde_json::Value::Array(values));
    Ok(Export {
        json: serde_json::Value::Object(set),
        values: n,
        hidden,
        missing_ids,
    })
}
