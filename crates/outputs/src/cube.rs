//! Counting for the returns: members of a population (a victim, a suspect, a criminal-justice
//! case with its suspect's attributes) put into cells of *international* categories, each
//! national code going where the dictionary maps it in the return's scheme.
//!
//! A national code with no mapping in the scheme is never guessed into a category: its members
//! go to an `UNMAPPED` category and the table carries a footnote naming the code. A value not
//! recorded goes where the code list's own `UNK` code maps, else to `_U` (unknown).
//! Multi-valued variables (forms of exploitation, citizenships) put a member in each of its
//! categories once, however many of its national codes map there.

use std::collections::{HashMap, HashSet};

use tessera_analysis::facts::{ColumnData, EntityFacts};
use tessera_analysis::{Key, Table, TableRow};
use tessera_dictionary::CodeList;

/// The code of the category holding national codes that have no mapping in the scheme.
pub const UNMAPPED: &str = "UNMAPPED";
/// The code of "not recorded" when the code list has no `UNK` code of its own.
pub const UNKNOWN: &str = "_U";
/// The code of the total over a dimension (SDMX convention).
pub const TOTAL: &str = "_T";
/// The code of the citizenships grouped because each counts fewer persons than the threshold.
pub const OTHER: &str = "_O";

/// A concept a return breaks its counts down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Dimension {
    /// Victim, or the criminal-justice stage of a person (suspected, prosecuted, convicted).
    LegalStatus,
    Sex,
    Age,
    Exploitation,
    Citizenship,
    /// Nationals of the reporting country or foreigners (Eurostat: other EU / non-EU).
    CitizenGroup,
}

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        Dimension::LegalStatus,
        Dimension::Sex,
        Dimension::Age,
        Dimension::Exploitation,
        Dimension::Citizenship,
        Dimension::CitizenGroup,
    ];

    /// The column of the dimension in SDMX-CSV (and, lower-cased, in the returns' CSV).
    pub fn id(self) -> &'static str {
        match self {
            Dimension::LegalStatus => "LEGAL_STATUS",
            Dimension::Sex => "SEX",
            Dimension::Age => "AGE",
            Dimension::Exploitation => "EXPLOITATION",
            Dimension::Citizenship => "CITIZENSHIP",
            Dimension::CitizenGroup => "CITIZEN_GROUP",
        }
    }

    pub fn header(self, lang: &str) -> &'static str {
        let (en, fr) = match self {
            Dimension::LegalStatus => ("Legal status", "Statut"),
            Dimension::Sex => ("Sex", "Sexe"),
            Dimension::Age => ("Age group", "Groupe d'âge"),
            Dimension::Exploitation => ("Form of exploitation", "Forme d'exploitation"),
            Dimension::Citizenship => ("Citizenship", "Nationalité"),
            Dimension::CitizenGroup => ("Citizenship group", "Groupe de nationalité"),
        };
        tr(lang, en, fr)
    }
}

pub(crate) fn tr<'a>(lang: &str, en: &'a str, fr: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// One unit a table counts: its attributes' record, its legal status, and who it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    /// The record whose sex, age, citizenship and forms of exploitation are counted; `None` when
    /// they are unknown (a case with no approved suspect record).
    pub attrs: Option<(&'a EntityFacts, usize)>,
    /// Index into the population's legal-status categories.
    pub status: usize,
    /// The person (or record) counted once per cell.
    pub unit: u64,
}

/// The members of a table and the categories of their legal status.
pub(crate) struct Population<'a> {
    pub members: Vec<Member<'a>>,
    pub statuses: Vec<Key>,
    /// How the population was chosen, for the tables' footnotes.
    pub notes: Vec<String>,
}

/// A category of an axis.
#[derive(Debug, Clone)]
pub(crate) struct Cat {
    pub key: Key,
    /// Listed even when nothing falls in it (closed lists: a questionnaire's fixed rows).
    pub always: bool,
}

/// How an axis finds a member's categories.
enum Rule {
    /// A code variable of the member's record, through a code list's mapping.
    Mapped {
        variable: &'static str,
        from_code: HashMap<String, usize>,
        missing: usize,
    },
    /// The legal status the population gave the member.
    Status,
    /// Nationals of `country`, foreigners (Eurostat: other EU, non-EU), unknown.
    Group { country: String, eu: bool },
}

/// One dimension of a table: its categories and how a member falls into them.
pub(crate) struct Axis {
    pub dim: Dimension,
    pub cats: Vec<Cat>,
    index: HashMap<String, usize>,
    rule: Rule,
    /// National labels gathered per category, joined into its label at the end.
    parts: Vec<Vec<String>>,
    /// Group the categories counting fewer units than this into [`OTHER`] (citizenships).
    group_below: Option<f64>,
    /// Footnotes: national codes without a mapping, counting rules.
    pub notes: Vec<String>,
}

impl Axis {
    fn new(dim: Dimension, rule: Rule) -> Axis {
        Axis {
            dim,
            cats: Vec::new(),
            index: HashMap::new(),
            rule,
            parts: Vec::new(),
            group_below: None,
            notes: Vec::new(),
        }
    }

    fn cat(&mut self, code: &str, label: &str, always: bool) -> usize {
        if let Some(&i) = self.index.get(code) {
            self.cats[i].always |= always;
            return i;
        }
        self.cats.push(Cat {
            key: Key::new(code, label),
            always,
        });
        self.parts.push(Vec::new());
        self.index.insert(code.to_string(), self.cats.len() - 1);
        self.cats.len() - 1
    }

    /// The legal statuses of a population.
    pub fn status(statuses: &[Key]) -> Axis {
        let mut a = Axis::new(Dimension::LegalStatus, Rule::Status);
        for k in statuses {
            a.cat(&k.code, &k.label, true);
        }
        a
    }

    /// `variable` (a code or codes variable over `list`) through `scheme`. `open`: list only the
    /// categories that occur (countries), not every category of the list.
    pub fn mapped(
        dim: Dimension,
        list: &CodeList,
        scheme: &str,
        variable: &'static str,
        open: bool,
        lang: &str,
    ) -> Axis {
        let mut a = Axis::new(
            dim,
            Rule::Mapped {
                variable,
                from_code: HashMap::new(),
                missing: 0,
            },
        );
        let mut unmapped: Vec<String> = Vec::new();
        let mut from_code = HashMap::new();
        for code in &list.codes {
            let label = code.label.get(lang);
            let c = match code.map.get(scheme).filter(|v| !v.trim().is_empty()) {
                Some(v) => a.cat(v, label, !open),
                None => {
                    unmapped.push(format!("{} ({label})", code.code));
                    a.cat(UNMAPPED, UNMAPPED, true)
                }
            };
            a.parts[c].push(label.to_string());
            from_code.insert(code.code.clone(), c);
        }
        let missing = match list.get("UNK").and_then(|c| from_code.get(&c.code)) {
            Some(&c) => c,
            None => a.cat(UNKNOWN, tr(lang, "Not recorded", "Non renseigné"), false),
        };
        if let Rule::Mapped {
            from_code: f,
            missing: m,
            ..
        } = &mut a.rule
        {
            *f = from_code;
            *m = missing;
        }
        if !unmapped.is_empty() {
            let i = a.index[UNMAPPED];
            a.cats[i].key.label = format!(
                "{} {scheme}: {}",
                tr(lang, "No mapping in", "Sans correspondance dans"),
                unmapped.join(", ")
            );
            a.parts[i].clear();
            a.notes.push(if lang == "fr" {
                format!(
                    "{} : {} {} n'a pas de correspondance dans le schéma {scheme} ; ces enregistrements sont comptés sous {UNMAPPED}, sans être répartis entre les catégories internationales.",
                    list.label.get(lang),
                    if unmapped.len() > 1 { "les codes nationaux" } else { "le code national" },
                    unmapped.join(", ")
                )
            } else {
                format!(
                    "{}: national code{} {} {} no mapping in the {scheme} scheme; {} records are counted under {UNMAPPED}, not distributed over the international categories.",
                    list.label.get(lang),
                    if unmapped.len() > 1 { "s" } else { "" },
                    unmapped.join(", "),
                    if unmapped.len() > 1 { "have" } else { "has" },
                    if unmapped.len() > 1 { "their" } else { "its" },
                )
            });
        }
        a
    }

    /// Citizenships, each country through `scheme` (e.g. ISO alpha-3), those counting fewer
    /// than `threshold` units grouped into [`OTHER`].
    pub fn citizenship(list: &CodeList, scheme: &str, threshold: f64, lang: &str) -> Axis {
        let mut a = Axis::mapped(
            Dimension::Citizenship,
            list,
            scheme,
            "citizenship",
            true,
            lang,
        );
        a.group_below = Some(threshold);
        a.notes.push(
            tr(
                lang,
                "A person with several citizenships counts under each.",
                "Une personne de plusieurs nationalités compte sous chacune.",
            )
            .to_string(),
        );
        a
    }

    /// Nationals of `country` and foreigners; with `eu`, foreigners split into citizens of
    /// another EU Member State and of a non-EU country (Eurostat's groups).
    pub fn group(country: &str, eu: bool, lang: &str) -> Axis {
        let mut a = Axis::new(
            Dimension::CitizenGroup,
            Rule::Group {
                country: country.to_string(),
                eu,
            },
        );
        if eu {
            a.cat(
                "NAT",
                tr(lang, "Nationals", "Ressortissants nationaux"),
                true,
            );
            a.cat(
                "EU27_2020_FOR",
                tr(
                    lang,
                    "Citizens of another EU Member State",
                    "Ressortissants d'un autre État membre de l'UE",
                ),
                true,
            );
            a.cat(
                "NEU27_2020_FOR",
                tr(
                    lang,
                    "Citizens of a non-EU country",
                    "Ressortissants d'un pays hors UE",
                ),
                true,
            );
            a.cat("UNK", tr(lang, "Unknown", "Inconnu"), true);
        } else {
            a.cat(
                "national",
                tr(lang, "Nationals", "Ressortissants nationaux"),
                true,
            );
            a.cat("foreign", tr(lang, "Foreigners", "Étrangers"), true);
            a.cat("unknown", tr(lang, "Unknown", "Inconnu"), true);
        }
        a.notes.push(if lang == "fr" {
            format!(
                "Nationaux : personnes dont l'une des nationalités est celle du pays déclarant ({country})."
            )
        } else {
            format!(
                "Nationals: persons one of whose citizenships is the reporting country's ({country})."
            )
        });
        a
    }

    /// The categories `m` falls into (at least one; each once).
    fn codes_of(&self, m: &Member, out: &mut Vec<usize>) {
        out.clear();
        match &self.rule {
            Rule::Status => out.push(m.status),
            Rule::Mapped {
                variable,
                from_code,
                missing,
            } => {
                let col = m
                    .attrs
                    .and_then(|(ent, row)| Some((ent.column(variable)?, row)));
                if let Some((col, row)) = col
                    && let Some(cs) = col.codes.as_deref()
                {
                    let mut push = |k: u16| {
                        if let Some(&c) = cs
                            .codes
                            .get(k as usize - 1)
                            .and_then(|code| from_code.get(code))
                            && !out.contains(&c)
                        {
                            out.push(c);
                        }
                    };
                    match &col.data {
                        ColumnData::Code(v) if v[row] > 0 => push(v[row]),
                        ColumnData::Codes { offsets, values } => {
                            for &k in &values[offsets[row] as usize..offsets[row + 1] as usize] {
                                push(k);
                            }
                        }
                        _ => {}
                    }
                }
                if out.is_empty() {
                    out.push(*missing);
                }
            }
            Rule::Group { country, eu } => {
                let mut codes: Vec<&str> = Vec::new();
                if let Some((ent, row)) = m.attrs
                    && let Some(col) = ent.column("citizenship")
                    && let (ColumnData::Codes { offsets, values }, Some(cs)) =
                        (&col.data, col.codes.as_deref())
                {
                    for &k in &values[offsets[row] as usize..offsets[row + 1] as usize] {
                        if let Some(c) = cs.codes.get(k as usize - 1) {
                            codes.push(c);
                        }
                    }
                }
                out.push(if codes.is_empty() {
                    3.min(self.cats.len() - 1)
                } else if codes.contains(&country.as_str()) {
                    0
                } else if !eu || codes.iter().any(|c| EU27.contains(c)) {
                    1
                } else {
                    2
                });
            }
        }
    }

    /// Labels of categories that several national codes map to: those codes' labels.
    fn finish_labels(&mut self) {
        for (cat, parts) in self.cats.iter_mut().zip(&self.parts) {
            if parts.len() > 1 {
                cat.key.label = parts.join("; ");
            } else if let Some(p) = parts.first() {
                cat.key.label = p.clone();
            }
        }
    }
}

/// The 27 EU Member States since 1 February 2020 (ISO 3166-1 alpha-2).
pub const EU27: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// A table counted from a population: the cells (unsuppressed) and each legal status's total
/// (units counted once).
pub(crate) struct Counted {
    pub table: Table,
    pub axes_dims: Vec<Dimension>,
    pub totals: Vec<(Key, f64)>,
    pub notes: Vec<String>,
}

/// Counts `pop` into the cells of `axes`.
pub(crate) fn count(
    id: &str,
    title: &str,
    unit: &str,
    value_header: &str,
    pop: &Population,
    mut axes: Vec<Axis>,
    lang: &str,
) -> Counted {
    let mut buf: Vec<Vec<usize>> = vec![Vec::new(); axes.len()];
    // Grouping of small categories (citizenships): units per category first.
    for a in 0..axes.len() {
        let Some(below) = axes[a].group_below else {
            continue;
        };
        let mut seen: HashSet<(usize, u64)> = HashSet::new();
        for m in &pop.members {
            axes[a].codes_of(m, &mut buf[a]);
            for &c in &buf[a] {
                seen.insert((c, m.unit));
            }
        }
        let mut n = vec![0usize; axes[a].cats.len()];
        for (c, _) in seen {
            n[c] += 1;
        }
        let small: Vec<usize> = (0..n.len())
            .filter(|&c| {
                let code = axes[a].cats[c].key.code.as_str();
                n[c] > 0 && (n[c] as f64) < below && code != UNMAPPED && code != UNKNOWN
            })
            .collect();
        if small.len() > 1 {
            let other = axes[a].cat(
                OTHER,
                &if lang == "fr" {
                    format!("Autres nationalités (moins de {below} chacune)")
                } else {
                    format!("Other citizenships (fewer than {below} each)")
                },
                false,
            );
            if let Rule::Mapped { from_code, .. } = &mut axes[a].rule {
                for c in from_code.values_mut() {
                    if small.contains(c) {
                        *c = other;
                    }
                }
            }
        }
    }
    // Cells: each unit once per cell.
    let sizes: Vec<usize> = axes.iter().map(|a| a.cats.len()).collect();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut cells: HashMap<u64, f64> = HashMap::new();
    let mut status_units: HashSet<(usize, u64)> = HashSet::new();
    let mut keys: Vec<u64> = Vec::new();
    let mut next: Vec<u64> = Vec::new();
    for m in &pop.members {
        status_units.insert((m.status, m.unit));
        keys.clear();
        keys.push(0);
        for (a, axis) in axes.iter().enumerate() {
            axis.codes_of(m, &mut buf[a]);
            next.clear();
            for &k in &keys {
                for &c in &buf[a] {
                    next.push(k * sizes[a] as u64 + c as u64);
                }
            }
            std::mem::swap(&mut keys, &mut next);
        }
        for &k in &keys {
            if seen.insert((k, m.unit)) {
                *cells.entry(k).or_default() += 1.0;
            }
        }
    }
    // Rows: every combination of the categories listed (always, or occurring).
    let mut shown: Vec<Vec<bool>> = axes
        .iter()
        .map(|a| a.cats.iter().map(|c| c.always).collect())
        .collect();
    for &k in cells.keys() {
        let mut k = k;
        for a in (0..axes.len()).rev() {
            shown[a][(k % sizes[a] as u64) as usize] = true;
            k /= sizes[a] as u64;
        }
    }
    for a in &mut axes {
        a.finish_labels();
    }
    let mut rows = Vec::new();
    let mut combo: Vec<usize> = vec![0; axes.len()];
    let listed: Vec<Vec<usize>> = shown
        .iter()
        .map(|s| (0..s.len()).filter(|&c| s[c]).collect())
        .collect();
    if listed.iter().all(|l| !l.is_empty()) {
        let mut pos = vec![0usize; axes.len()];
        'rows: loop {
            for a in 0..axes.len() {
                combo[a] = listed[a][pos[a]];
            }
            let key = combo
                .iter()
                .zip(&sizes)
                .fold(0u64, |k, (&c, &s)| k * s as u64 + c as u64);
            rows.push(TableRow {
                keys: combo
                    .iter()
                    .zip(&axes)
                    .map(|(&c, a)| a.cats[c].key.clone())
                    .collect(),
                values: vec![Some(cells.get(&key).copied().unwrap_or(0.0))],
            });
            for a in (0..axes.len()).rev() {
                pos[a] += 1;
                if pos[a] < listed[a].len() {
                    continue 'rows;
                }
                pos[a] = 0;
            }
            break;
        }
    }
    let mut totals: Vec<(Key, f64)> = pop.statuses.iter().map(|k| (k.clone(), 0.0)).collect();
    for (s, _) in status_units {
        totals[s].1 += 1.0;
    }
    let mut notes = pop.notes.clone();
    for a in &axes {
        for n in &a.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
    }
    Counted {
        table: Table {
            id: id.to_string(),
            title: title.to_string(),
            key_headers: axes
                .iter()
                .map(|a| a.dim.header(lang).to_string())
                .collect(),
            value_headers: vec![value_header.to_string()],
            rows,
            unit: unit.to_string(),
            suppressed: false,
            drill: None,
        },
        axes_dims: axes.iter().map(|a| a.dim).collect(),
        totals,
        notes,
    }
}
