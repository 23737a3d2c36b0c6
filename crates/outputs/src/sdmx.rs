//! SDMX-CSV for aggregate exchange: every table of a return as observations of one dataflow
//! whose dimensions are the return's concepts (`_T` where a table does not break down by one).
//!
//! * Version 1.0 (SDMX-CSV field guide, tag v1.0): `DATAFLOW` first, holding
//!   `AGENCY:ID(VERSION)`, then the dimensions, `OBS_VALUE`, the attributes.
//! * Version 2.0 (tag v2.0.0, SDMX 3.0): `STRUCTURE` (`dataflow`), `STRUCTURE_ID`
//!   (`AGENCY:ID(VERSION)`), `ACTION` (`I`, information), then the same components.
//!
//! Attributes: `UNIT_MEASURE` (`NR`, a number), `CONF_STATUS` (`F` free, `C` confidential:
//! hidden by disclosure control, `OBS_VALUE` empty), `COMMENT_OBS` (the footnote of a cell of
//! national codes without a mapping) and `COMMENT_DSET` (source, unit and the protection
//! applied, on every row as SDMX-CSV repeats dataset attributes). The dataflow is Tessera's own
//! (`TESSERA:GLOTIP_TIP(1.0)`, `TESSERA:EUROSTAT_THB(1.0)`): neither UNODC's nor Eurostat's data
//! structures are verified, so none is claimed.

use crate::{Dimension, Return};

/// Which SDMX-CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// SDMX-CSV 1.0: `DATAFLOW` first.
    V1,
    /// SDMX-CSV 2.0: `STRUCTURE`, `STRUCTURE_ID`, `ACTION` first.
    V2,
}

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        match s.trim() {
            "1" | "1.0" | "1.0.0" => Some(Version::V1),
            "2" | "2.0" | "2.0.0" => Some(Version::V2),
            _ => None,
        }
    }
}

/// The dataflow of a return, `AGENCY:ID(VERSION)`.
pub fn dataflow(ret: &Return) -> String {
    match ret.id.as_str() {
        "glotip" => "TESSERA:GLOTIP_TIP(1.0)".into(),
        "eurostat" => "TESSERA:EUROSTAT_THB(1.0)".into(),
        other => format!("TESSERA:{}(1.0)", other.to_ascii_uppercase()),
    }
}

/// The header row of [`csv`].
pub fn header(version: Version) -> Vec<String> {
    let mut h: Vec<String> = match version {
        Version::V1 => vec!["DATAFLOW".into()],
        Version::V2 => vec!["STRUCTURE".into(), "STRUCTURE_ID".into(), "ACTION".into()],
    };
    h.push("FREQ".into());
    h.push("REF_AREA".into());
    h.extend(Dimension::ALL.iter().map(|d| d.id().to_string()));
    for c in [
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
        "CONF_STATUS",
        "COMMENT_OBS",
        "COMMENT_DSET",
    ] {
        h.push(c.into());
    }
    h
}

/// The return as SDMX-CSV: a header and one row per observation (each key once).
pub fn csv(ret: &Return, version: Version) -> String {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let _ = w.write_record(header(version));
    let flow = dataflow(ret);
    let meta = ret.metadata();
    let get = |k: &str| {
        meta.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let dset = format!(
        "{}. Unit: {}. Dictionary {}. {}",
        get("source"),
        get("unit"),
        ret.dictionary_version,
        ret.protection.statement(&ret.lang)
    );
    for (_, o) in ret.observations() {
        let mut row: Vec<String> = match version {
            Version::V1 => vec![flow.clone()],
            Version::V2 => vec!["dataflow".into(), flow.clone(), "I".into()],
        };
        row.push("A".into());
        row.push(ret.ref_area.clone());
        row.extend(o.codes.iter().cloned());
        row.push(ret.year.to_string());
        row.push(
            o.value
                .map(tessera_analysis::table::format_number)
                .unwrap_or_default(),
        );
        row.push("NR".into());
        row.push(if o.value.is_some() { "F" } else { "C" }.into());
        row.push(o.note.clone().unwrap_or_default());
        row.push(dset.clone());
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
