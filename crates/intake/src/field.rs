//! Exports of field data collection servers — ODK Central and KoboToolbox — read as they come,
//! in their default settings:
//!
//! - headers are variable codes (Kobo's "XML values and headers", Central's only form) or
//!   labels in any language of the dictionary (Kobo's default), with or without the group path
//!   in front (`group_victim/sex` for Kobo, `group_victim-sex` for Central);
//! - a `select_multiple` answer is one column of space-separated choices, or one 0/1 column per
//!   choice (`exploitation/SEX`, or `Forms of exploitation/Sexual exploitation` with labels), or
//!   both (Kobo's default: then the single column is read and the others ignored);
//! - a submission rejected in review (Central's `ReviewState`, Kobo's `_validation_status`) is
//!   left out and counted in the import summary, never silently.
//!
//! A file is taken for such an export when `ImportOptions { odk }` says so or its header has
//! the servers' own columns (`_uuid`, `_submission_time`, `SubmissionDate`, `ReviewState`, …).

use rustc_hash::FxHashMap;
use tessera_dictionary::{Entity, VarType, Variable};

/// The field server an export comes from, as far as its review columns tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldServer {
    /// ODK Central (or ODK Briefcase): `ReviewState` is `received`, `hasIssues`, `edited`,
    /// `approved` or `rejected`.
    OdkCentral,
    /// KoboToolbox: `_validation_status` is empty, approved, not approved or on hold.
    Kobo,
}

/// A field submission left out of an import because the server's review did not accept it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// 1-based row, as a spreadsheet shows it.
    pub row: usize,
    /// The review state as written in the export (`rejected`, `Not Approved`, …).
    pub state: String,
    pub server: FieldServer,
}

/// Columns only a field server writes: a file that has one is read as a field export.
const SERVER_COLUMNS: &[&str] = &[
    "_uuid",
    "_submission_time",
    "_validation_status",
    "_submitted_by",
    "__version__",
    "SubmissionDate",
    "ReviewState",
    "SubmitterID",
    "meta-instanceID",
    "meta/instanceID",
];

/// Whether a file with this header is a field server's export.
pub(crate) fn looks_like_export(header: &[String]) -> bool {
    header
        .iter()
        .any(|h| SERVER_COLUMNS.contains(&h.trim().trim_start_matches('\u{feff}')))
}

/// The review column of an export, if `header` is one.
pub(crate) fn review_column(header: &str) -> Option<FieldServer> {
    match header.trim() {
        "ReviewState" => Some(FieldServer::OdkCentral),
        "_validation_status" => Some(FieldServer::Kobo),
        _ => None,
    }
}

/// Whether a submission in this review state is left out: rejected, or marked as having issues,
/// in ODK Central; not approved or on hold in KoboToolbox. An empty state (never reviewed) and
/// an approved or edited one are imported.
pub(crate) fn left_out(server: FieldServer, state: &str) -> bool {
    let s = state.trim().to_ascii_lowercase();
    match server {
        FieldServer::OdkCentral => matches!(s.as_str(), "rejected" | "hasissues"),
        FieldServer::Kobo => {
            let s = s.strip_prefix("validation_status_").unwrap_or(&s);
            matches!(
                s.replace([' ', '-'], "_").as_str(),
                "not_approved" | "on_hold"
            )
        }
    }
}

/// What one header cell names.
pub(crate) enum Named<'d> {
    Variable(&'d Variable),
    /// One choice of a multi-valued variable, as a 0/1 column.
    Choice(&'d Variable, &'d str),
    Nothing,
}

/// A header as compared with labels: case and spacing ignored, and the ` *` of a required
/// column in Tessera's own templates dropped.
fn normal(s: &str) -> String {
    s.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches('*')
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Resolves header cells to an entity's variables by code or by label in any language.
pub(crate) struct Headers<'d> {
    entity: &'d Entity,
    dict: &'d tessera_dictionary::Dictionary,
    /// Normalised label → variable; `None` when two variables share the label.
    labels: FxHashMap<String, Option<&'d Variable>>,
    /// Group paths are stripped (field exports).
    field: bool,
}

impl<'d> Headers<'d> {
    pub(crate) fn new(
        dict: &'d tessera_dictionary::Dictionary,
        entity: &'d Entity,
        field: bool,
    ) -> Headers<'d> {
        let mut labels: FxHashMap<String, Option<&'d Variable>> = FxHashMap::default();
        for var in &entity.variables {
            for label in var.label.0.values() {
                let key = normal(label);
                match labels.get(&key) {
                    Some(Some(other)) if other.code != var.code => {
                        labels.insert(key, None);
                    }
                    Some(_) => {}
                    None => {
                        labels.insert(key, Some(var));
                    }
                }
            }
        }
        Headers {
            entity,
            dict,
            labels,
            field,
        }
    }

    /// The variable a whole header cell names: its code, `Label [code]`, or its label.
    fn exact(&self, cell: &str) -> Option<&'d Variable> {
        let code = crate::import::header_code(cell);
        if let Some(v) = self.entity.variable(code) {
            return Some(v);
        }
        self.labels.get(&normal(cell)).copied().flatten()
    }

    /// The variable a header names, once a group path in front of it is dropped (field exports
    /// only): the longest tail that names one wins.
    fn variable(&self, cell: &str) -> Option<&'d Variable> {
        if let Some(v) = self.exact(cell) {
            return Some(v);
        }
        if !self.field {
            return None;
        }
        cell.char_indices()
            .filter(|(_, c)| matches!(c, '/' | '-'))
            .find_map(|(i, _)| self.exact(&cell[i + 1..]))
    }

    /// What a header cell names: a variable, one choice of a multi-valued one, or nothing.
    pub(crate) fn name(&self, cell: &str) -> Named<'d> {
        if let Some(v) = self.exact(cell) {
            return Named::Variable(v);
        }
        // `question/choice` before group paths: in `exploitation/SEX`, "SEX" is a choice, not
        // the label "Sex" of another variable.
        for (i, _) in cell.char_indices().filter(|(_, c)| *c == '/') {
            let (left, right) = (&cell[..i], &cell[i + 1..]);
            if let Some(var) = self.variable(left)
                && let VarType::Codes { codelist } = &var.var_type
                && let Some(code) = self.dict.codelist(codelist).and_then(|l| l.resolve(right))
            {
                return Named::Choice(var, code);
            }
        }
        match self.variable(cell) {
            Some(v) => Named::Variable(v),
            None => Named::Nothing,
        }
    }
}

/// The last segment of a field export's header (`meta-instanceID` → `instanceID`), for its
/// metadata columns.
pub(crate) fn last_segment(cell: &str) -> &str {
    cell.trim().rsplit(['/', '-']).next().unwrap_or("")
}

/// Whether a 0/1 choice cell says the choice was selected: `Some(true)` for 1 (or true, yes),
/// `Some(false)` for 0, false, no or empty, `None` for anything else.
pub(crate) fn chosen(cell: &str) -> Option<bool> {
    match cell.trim().to_ascii_lowercase().as_str() {
        "1" | "1.0" | "true" | "yes" | "oui" | "vrai" => Some(true),
        "" | "0" | "0.0" | "false" | "no" | "non" | "faux" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_states_left_out() {
        assert!(left_out(FieldServer::OdkCentral, "rejected"));
        assert!(left_out(FieldServer::OdkCentral, "hasIssues"));
        assert!(!left_out(FieldServer::OdkCentral, "approved"));
        assert!(!left_out(FieldServer::OdkCentral, ""));
        assert!(!left_out(FieldServer::OdkCentral, "edited"));
        assert!(left_out(
            FieldServer::Kobo,
            "validation_status_not_approved"
        ));
        assert!(left_out(FieldServer::Kobo, "Not Approved"));
        assert!(left_out(FieldServer::Kobo, "On Hold"));
        assert!(!left_out(FieldServer::Kobo, "Approved"));
        assert!(!left_out(FieldServer::Kobo, "validation_status_approved"));
        assert!(!left_out(FieldServer::Kobo, ""));
    }

    #[test]
    fn choice_cells() {
        assert_eq!(chosen("1"), Some(true));
        assert_eq!(chosen(" 0 "), Some(false));
        assert_eq!(chosen(""), Some(false));
        assert_eq!(chosen("True"), Some(true));
        assert_eq!(chosen("maybe"), None);
    }
}
