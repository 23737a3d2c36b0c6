//! What leaves the system as international returns: the UNODC GLOTIP questionnaire tables, the
//! Eurostat trafficking-in-human-beings tables, the same tables as SDMX-CSV and as a DHIS2
//! `dataValueSets` document, and any table as CSV or XLSX.
//!
//! Every return is filled from **approved** records only ([`tessera_analysis::Facts`]), through
//! the dictionary's mappings (`glotip`, `eurostat`, `alpha3`, `protocol` schemes of the code
//! lists): a national code with no mapping in the return's scheme is counted under `UNMAPPED`
//! with a footnote naming it, never guessed into a category ([`cube`]). Every table then goes
//! through the analysis crate's one disclosure control ([`tessera_analysis::Disclosure`]: primary
//! and complementary suppression at the deployment's threshold, then the deployment's optional
//! rounding), and every output states the protection applied. Returns are national aggregates: no table breaks counts down by provider.
//!
//! ```text
//! let facts = Facts::build(&store, &dict).await?;
//! let threshold = tessera_analysis::deployment_threshold(&store).await?;
//! let ret = tessera_outputs::build(Kind::Glotip, &facts, &dict, &Options::new(&dict, 2025, threshold)?, None)?;
//! std::fs::write("glotip.csv", files::csv(&ret))?;
//! std::fs::write("glotip.sdmx.csv", sdmx::csv(&ret, sdmx::Version::V1))?;
//! ```
//!
//! It sits between the analysis crate and the web and CLI: it never depends on them.

pub mod cube;
pub mod dhis2;
pub mod files;
mod returns;
pub mod sdmx;

use tessera_analysis::{AnalysisError, Facts, Key, PersonMap, Table};
use tessera_dictionary::Dictionary;
use tessera_store::{Store, StoreError};

pub use cube::{Dimension, OTHER, TOTAL, UNKNOWN, UNMAPPED};
pub use returns::{eurostat, glotip};

/// Errors of the outputs layer.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The dictionary lacks what a return needs (a code list, a mapping of a base code).
    #[error("dictionary: {0}")]
    Dictionary(String),
    #[error("{0}")]
    Options(String),
    /// A DHIS2 mapping file that cannot be read.
    #[error("DHIS2 mapping: {0}")]
    Mapping(String),
    #[error("XLSX: {0}")]
    Xlsx(String),
}

/// Which return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UNODC's questionnaire for the Global Report on Trafficking in Persons.
    Glotip,
    /// Eurostat's trafficking-in-human-beings collection (crim_thb).
    Eurostat,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Glotip => "glotip",
            Kind::Eurostat => "eurostat",
        }
    }

    /// The dictionary scheme whose mappings fill the return.
    pub fn scheme(self) -> &'static str {
        self.id()
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "glotip" => Some(Kind::Glotip),
            "eurostat" => Some(Kind::Eurostat),
            _ => None,
        }
    }
}

/// What a return is built for.
#[derive(Debug, Clone)]
pub struct Options {
    /// Reference year: victims by date of identification, suspects by date recorded, cases by
    /// the date of the stage counted.
    pub year: i32,
    /// Language of titles, labels and footnotes (`en`, `fr`).
    pub lang: String,
    /// Cells from 1 to below this are hidden (see [`tessera_analysis::disclosure`]).
    pub threshold: f64,
    /// Published counts are rounded to a multiple of this after suppression; 0: no rounding
    /// (the deployment setting `disclosure_rounding`).
    pub rounding: u32,
    /// The reporting country (ISO 3166-1 alpha-2): nationals are its citizens.
    pub country: String,
}

impl Options {
    /// For the deployment of `dict`: the country of its extension.
    pub fn new(dict: &Dictionary, year: i32, threshold: f64) -> Result<Options, OutputError> {
        let country = dict
            .extension
            .as_ref()
            .map(|e| e.country.clone())
            .ok_or_else(|| {
                OutputError::Options(
                    "the reporting country is unknown: the dictionary has no national extension; give the country".into(),
                )
            })?;
        Ok(Options {
            year,
            lang: "en".into(),
            threshold,
            rounding: 0,
            country,
        })
    }

    /// With the rounding base of the deployment (0: none).
    pub fn rounding(mut self, base: u32) -> Options {
        self.rounding = base;
        self
    }

    /// The disclosure control these options ask for.
    pub fn disclosure(&self) -> tessera_analysis::Disclosure {
        tessera_analysis::Disclosure::new(self.threshold).with_rounding(self.rounding)
    }

    pub fn lang(mut self, lang: &str) -> Options {
        self.lang = if lang == "fr" { "fr" } else { "en" }.into();
        self
    }
}

/// The disclosure control applied to a return (or a report), stated in every output.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Protection {
    /// Counts from 1 to below this are hidden (primary), with complementary cells.
    pub threshold: f64,
    /// Published counts rounded to a multiple of this after suppression; 0: no rounding.
    pub rounding: u32,
}

impl From<tessera_analysis::Disclosure> for Protection {
    fn from(d: tessera_analysis::Disclosure) -> Protection {
        Protection {
            threshold: d.threshold,
            rounding: d.rounding,
        }
    }
}

impl Protection {
    /// One sentence saying what was done, for headers, comments and metadata fields.
    pub fn statement(&self, lang: &str) -> String {
        let t = tessera_analysis::table::format_number(self.threshold);
        let below = tessera_analysis::table::format_number(self.threshold - 1.0);
        let base = self.rounding;
        if lang == "fr" {
            let rounding = if base >= 2 {
                format!(
                    "Arrondi : après la suppression, chaque effectif publié est arrondi au multiple de {base} le plus proche (base d'arrondi {base}) ; les totaux peuvent donc différer de la somme des cellules."
                )
            } else {
                "Pas d'arrondi.".to_string()
            };
            format!(
                "Contrôle de la divulgation : suppression primaire et complémentaire des cellules (seuil {t}) : les effectifs de 1 à {below} sont masqués, puis d'autres cellules afin qu'aucun effectif masqué ne puisse être retrouvé à partir des totaux ; les cellules masquées sont marquées c et laissées vides. Les nationalités comptant moins de {t} chacune sont regroupées (_O). {rounding} Agrégats nationaux : aucune ventilation par fournisseur."
            )
        } else {
            let rounding = if base >= 2 {
                format!(
                    "Rounding: after suppression, every published count is rounded to the nearest multiple of {base} (rounding base {base}), so totals may differ from the sum of their cells."
                )
            } else {
                "No rounding.".to_string()
            };
            format!(
                "Disclosure control: primary and complementary cell suppression (threshold {t}): counts from 1 to {below} are hidden, then further cells so that no hidden count can be worked out from the totals; hidden cells are marked c and left empty. Citizenships counting fewer than {t} each are grouped (_O). {rounding} National aggregates: no breakdown by provider."
            )
        }
    }

    /// The same in a few words (DHIS2 comments, SDMX attribute).
    pub fn short(&self) -> String {
        let mut s = format!(
            "cell suppression, primary and complementary, threshold {}",
            tessera_analysis::table::format_number(self.threshold)
        );
        if self.rounding >= 2 {
            s.push_str(&format!(", rounded to base {}", self.rounding));
        }
        s
    }
}

/// One table of a return.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReturnTable {
    /// Stable machine name (`victims_sex_age`, `crim_thb_vctz`).
    pub id: String,
    pub title: String,
    /// The concept of each key column of `table`.
    pub dims: Vec<Dimension>,
    /// The cells, keys in international codes, after disclosure control (`None`: hidden).
    pub table: Table,
    /// Per legal status, the units counted once (`None`: hidden, under the threshold).
    pub totals: Vec<(Key, Option<f64>)>,
    /// Footnotes: who is counted, how, and national codes without a mapping.
    pub notes: Vec<String>,
}

/// One figure of a return with its codes on every [`Dimension`] (`_T`: not broken down).
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Code per dimension, in [`Dimension::ALL`] order.
    pub codes: Vec<String>,
    /// The codes of the table's own dimensions, joined by `.` (what DHIS2 mappings key on).
    pub cell: String,
    /// Labels of the table's own dimensions' categories, joined by ` / `.
    pub label: String,
    /// `None`: hidden by disclosure control.
    pub value: Option<f64>,
    /// A total over the table's dimensions (one per legal status).
    pub total: bool,
    /// The footnote of a cell of national codes without a mapping.
    pub note: Option<String>,
}

impl ReturnTable {
    /// The cells, then the totals, as observations.
    pub fn observations(&self) -> Vec<Observation> {
        let status_of_table = self.totals.first().map(|(k, _)| k.code.clone());
        let unmapped_note = {
            let n: Vec<&str> = self
                .notes
                .iter()
                .filter(|n| n.contains(UNMAPPED))
                .map(String::as_str)
                .collect();
            (!n.is_empty()).then(|| n.join(" "))
        };
        let mut out = Vec::new();
        for r in &self.table.rows {
            let mut codes = vec![TOTAL.to_string(); Dimension::ALL.len()];
            if let Some(s) = &status_of_table {
                codes[0] = s.clone();
            }
            for (d, k) in self.dims.iter().zip(&r.keys) {
                codes[*d as usize] = k.code.clone();
            }
            out.push(Observation {
                cell: r
                    .keys
                    .iter()
                    .map(|k| k.code.as_str())
                    .collect::<Vec<_>>()
                    .join("."),
                label: r
                    .keys
                    .iter()
                    .map(|k| k.label.as_str())
                    .collect::<Vec<_>>()
                    .join(" / "),
                value: r.values.first().copied().flatten(),
                total: false,
                note: r
                    .keys
                    .iter()
                    .any(|k| k.code == UNMAPPED)
                    .then(|| unmapped_note.clone())
                    .flatten(),
                codes,
            });
        }
        for (status, value) in &self.totals {
            let mut codes = vec![TOTAL.to_string(); Dimension::ALL.len()];
            codes[0] = status.code.clone();
            out.push(Observation {
                cell: self
                    .dims
                    .iter()
                    .map(|d| {
                        if *d == Dimension::LegalStatus {
                            status.code.as_str()
                        } else {
                            TOTAL
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("."),
                label: format!("{} — total", status.label),
                value: *value,
                total: true,
                note: None,
                codes,
            });
        }
        out
    }
}

/// A return: its tables, where they come from and how they were protected.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Return {
    /// `glotip` or `eurostat`.
    pub id: String,
    pub title: String,
    pub year: i32,
    /// Reporting country, ISO 3166-1 alpha-2.
    pub country: String,
    /// The country as the receiving organisation codes it (UNODC: alpha-3; Eurostat: its geo).
    pub ref_area: String,
    pub lang: String,
    /// `records` or `persons`.
    pub unit: String,
    /// Dictionary version the mappings come from.
    pub dictionary_version: String,
    pub protection: Protection,
    pub tables: Vec<ReturnTable>,
    /// The return's footnotes: national codes without a mapping and what is unverified.
    pub notes: Vec<String>,
}

impl Return {
    pub fn table(&self, id: &str) -> Option<&ReturnTable> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// Name–value pairs describing the return, for the header of every file.
    pub fn metadata(&self) -> Vec<(&'static str, String)> {
        let fr = self.lang == "fr";
        vec![
            ("return", self.title.clone()),
            ("country", self.country.clone()),
            ("ref_area", self.ref_area.clone()),
            ("year", self.year.to_string()),
            (
                "source",
                if fr {
                    "Enregistrements approuvés uniquement (les soumissions non approuvées sont exclues)"
                } else {
                    "Approved records only (submissions not approved are left out)"
                }
                .to_string(),
            ),
            (
                "unit",
                match (self.unit.as_str(), fr) {
                    ("persons", false) => {
                        "persons: records linked across providers count once".to_string()
                    }
                    ("persons", true) => {
                        "personnes : les enregistrements liés entre fournisseurs comptent une fois"
                            .to_string()
                    }
                    (_, false) => {
                        "records: a person reported by several providers counts once per provider"
                            .to_string()
                    }
                    (_, true) => {
                        "enregistrements : une personne signalée par plusieurs fournisseurs compte une fois par fournisseur"
                            .to_string()
                    }
                },
            ),
            ("dictionary_version", self.dictionary_version.clone()),
            (
                "software",
                format!("tessera-outputs {}", env!("CARGO_PKG_VERSION")),
            ),
            ("protection", self.protection.statement(&self.lang)),
        ]
    }

    /// Every observation of every table, each key once (totals shared by several tables are
    /// the same figure).
    pub fn observations(&self) -> Vec<(&ReturnTable, Observation)> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for t in &self.tables {
            for o in t.observations() {
                if seen.insert(o.codes.clone()) {
                    out.push((t, o));
                }
            }
        }
        out
    }
}

/// Builds the return of `kind` (see [`glotip`], [`eurostat`]).
pub fn build(
    kind: Kind,
    facts: &Facts,
    dict: &Dictionary,
    opts: &Options,
    persons: Option<&PersonMap>,
) -> Result<Return, OutputError> {
    match kind {
        Kind::Glotip => glotip(facts, dict, opts, persons),
        Kind::Eurostat => eurostat(facts, dict, opts, persons),
    }
}

/// Reads what a return needs from the store and builds it for `year` in `lang`: the facts, the
/// deployment's disclosure control (`disclosure_threshold` and `disclosure_rounding` settings) and, with `persons`, the record
/// linkage (each person counted once).
pub async fn from_store(
    store: &Store,
    dict: &Dictionary,
    kind: Kind,
    year: i32,
    lang: &str,
    persons: bool,
) -> Result<Return, OutputError> {
    let disclosure = tessera_analysis::deployment_disclosure(store).await?;
    let opts = Options::new(dict, year, disclosure.threshold)?
        .rounding(disclosure.rounding)
        .lang(lang);
    let facts = Facts::build(store, dict).await?;
    let map = if persons {
        Some(tessera_analysis::link_persons(store).await?)
    } else {
        None
    };
    build(kind, &facts, dict, &opts, map.as_ref())
}
