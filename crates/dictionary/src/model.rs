use std::collections::{BTreeMap, HashMap};

/// Labels of one item in several languages. `en` and `fr` are always present after loading.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, String>);

impl Labels {
    /// The label in `lang`, falling back to English, so a half-translated deployment still shows text.
    pub fn get(&self, lang: &str) -> &str {
        self.0
            .get(lang)
            .or_else(|| self.0.get("en"))
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// A code of a code list, with its labels and its mapping to international classifications.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Code {
    pub code: String,
    pub label: Labels,
    /// scheme → international code (e.g. `glotip` → `sexual_exploitation`).
    pub map: BTreeMap<String, String>,
    /// Added by a deployment extension rather than the base dictionary.
    pub national: bool,
}

/// A closed list of codes (sex, country, form of exploitation, …).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CodeList {
    pub id: String,
    pub label: Labels,
    pub standard: String,
    /// International classifications every code must map to.
    pub schemes: Vec<String>,
    pub extensible: bool,
    pub codes: Vec<Code>,
    #[serde(skip)]
    pub(crate) by_code: HashMap<String, usize>,
    /// Normalised label in any language → index, so "Cameroun" or "female" are recognised.
    #[serde(skip)]
    pub(crate) by_label: HashMap<String, usize>,
    /// Labels exactly as written in the dictionary (what a dropdown puts in a cell): the fast path.
    #[serde(skip)]
    pub(crate) by_exact_label: HashMap<String, usize>,
}

impl CodeList {
    pub fn get(&self, code: &str) -> Option<&Code> {
        self.by_code.get(code).map(|&i| &self.codes[i])
    }

    pub fn contains(&self, code: &str) -> bool {
        self.by_code.contains_key(code)
    }

    /// The code whose label (in any language) or code is closest to a mistyped `input`, within a couple
    /// of edits: what a refusal suggests instead. `None` for very short or long input, or when
    /// nothing is near.
    pub fn closest(&self, input: &str) -> Option<&Code> {
        let needle = input.trim().to_lowercase();
        if needle.len() < 3 || needle.len() > 80 {
            return None;
        }
        let mut best: Option<(usize, &Code)> = None;
        for code in &self.codes {
            // The code itself too: "LABUOR" is one swap from LABOUR, far from its labels.
            let code_text = code.code.to_lowercase();
            for label in code.label.0.values().chain(std::iter::once(&code_text)) {
                let d = levenshtein(&needle, &label.to_lowercase());
                if d <= 2.max(needle.len() / 5) && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, code));
                }
            }
        }
        best.map(|(_, c)| c)
    }

    /// Resolves what a person typed: the code itself (any case) or a label in any language
    /// (case, accents and spacing ignored). Returns the canonical code.
    pub fn resolve(&self, input: &str) -> Option<&str> {
        let trimmed = input.trim();
        if let Some(&i) = self
            .by_code
            .get(trimmed)
            .or_else(|| self.by_exact_label.get(trimmed))
        {
            return Some(&self.codes[i].code);
        }
        if trimmed.bytes().any(|b| b.is_ascii_lowercase())
            && let Some(&i) = self.by_code.get(&trimmed.to_uppercase())
        {
            return Some(&self.codes[i].code);
        }
        self.by_label
            .get(&fold(trimmed))
            .map(|&i| self.codes[i].code.as_str())
    }

    pub(crate) fn reindex(&mut self) {
        self.by_code = self
            .codes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i))
            .collect();
        self.by_label.clear();
        self.by_exact_label.clear();
        for (i, c) in self.codes.iter().enumerate() {
            for label in c.label.0.values() {
                self.by_label.entry(fold(label)).or_insert(i);
                self.by_exact_label.entry(label.clone()).or_insert(i);
            }
        }
    }
}

/// Case-, accent- and space-insensitive form of a label, for matching what users type.
pub(crate) fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        let base = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
            'ý' | 'ÿ' => 'y',
            'ł' => 'l',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'č' | 'ć' => 'c',
            'ř' => 'r',
            'ť' => 't',
            'ď' => 'd',
            '’' | '\'' | '-' | '_' | ',' | '.' | '(' | ')' => ' ',
            c => c,
        };
        out.push(base);
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What kind of thing an entity's records describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A person (victim, suspect, smuggled migrant): carries identifying fields and is linked.
    Person,
    /// A criminal-justice case.
    Case,
    /// An incident or a service episode.
    Event,
    /// A link between a person and a case.
    Link,
}

/// The kind of identifier an identifying variable holds. Values of these variables are turned into
/// keyed pseudonyms at intake and are never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    GivenName,
    FamilyName,
    BirthDate,
    IdNumber,
    Phone,
    FatherName,
    MotherName,
}

/// The type of a variable and its type-specific constraints.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VarType {
    Text { max_length: usize },
    Integer { min: i64, max: i64 },
    Decimal { min: f64, max: f64 },
    Boolean,
    Date,
    Year { min: i64, max: i64 },
    Code { codelist: String },
    Codes { codelist: String },
}

impl VarType {
    pub fn name(&self) -> &'static str {
        match self {
            VarType::Text { .. } => "text",
            VarType::Integer { .. } => "integer",
            VarType::Decimal { .. } => "decimal",
            VarType::Boolean => "boolean",
            VarType::Date => "date",
            VarType::Year { .. } => "year",
            VarType::Code { .. } => "code",
            VarType::Codes { .. } => "codes",
        }
    }

    pub fn codelist(&self) -> Option<&str> {
        match self {
            VarType::Code { codelist } | VarType::Codes { codelist } => Some(codelist),
            _ => None,
        }
    }
}

/// One variable of an entity.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Variable {
    pub code: String,
    pub label: Labels,
    #[serde(flatten)]
    pub var_type: VarType,
    pub required: bool,
    pub identifying: Option<IdentifierKind>,
    /// Added by a deployment extension: kept in national tables, never exported internationally.
    pub national: bool,
    /// Marked `releasable = true`: may appear in releases for researchers (synthetic microdata,
    /// differentially private tables) — a code, codes, boolean or date (released as its year)
    /// variable, never an identifier.
    pub releasable: bool,
}

/// A cross-field rule, checked on every record after each cell has been parsed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// `earlier` must not be after `later` when both are given.
    DateOrder { earlier: String, later: String },
    /// When `if` is given (and, with `if_in`, holds one of those codes), `then` must be given
    /// (and, with `then_in`, hold one of those codes).
    Requires {
        #[serde(rename = "if")]
        when: String,
        #[serde(default)]
        if_in: Vec<String>,
        then: String,
        #[serde(default)]
        then_in: Vec<String>,
    },
    /// Age and year of birth must agree (±1 year) at the date in `at`.
    AgeBirthYear {
        age: String,
        birth_year: String,
        at: String,
    },
    /// A cross-border flag must agree with the countries: false ⇒ same country, true ⇒ different.
    CrossBorder {
        flag: String,
        from: String,
        to: String,
    },
}

impl Rule {
    /// Variables the rule reads.
    pub fn variables(&self) -> Vec<&str> {
        match self {
            Rule::DateOrder { earlier, later } => vec![earlier, later],
            Rule::Requires { when, then, .. } => vec![when, then],
            Rule::AgeBirthYear {
                age,
                birth_year,
                at,
            } => vec![age, birth_year, at],
            Rule::CrossBorder { flag, from, to } => vec![flag, from, to],
        }
    }
}

/// A kind of record providers submit: victim, suspect, criminal-justice case, …
#[derive(Debug, Clone, serde::Serialize)]
pub struct Entity {
    pub id: String,
    pub kind: EntityKind,
    pub label: Labels,
    pub description: Labels,
    pub variables: Vec<Variable>,
    pub rules: Vec<Rule>,
}

impl Entity {
    pub fn variable(&self, code: &str) -> Option<&Variable> {
        self.variables.iter().find(|v| v.code == code)
    }

    /// Variables that are stored (everything but the identifying ones).
    pub fn stored_variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter().filter(|v| v.identifying.is_none())
    }
}

/// What a deployment extension declared about itself.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ExtensionInfo {
    pub id: String,
    pub country: String,
    pub label: Labels,
    pub file: String,
}

/// The loaded, checked dictionary: base plus at most one deployment extension.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dictionary {
    pub id: String,
    pub version: String,
    pub languages: Vec<String>,
    pub required_languages: Vec<String>,
    pub codelists: BTreeMap<String, CodeList>,
    pub entities: BTreeMap<String, Entity>,
    pub extension: Option<ExtensionInfo>,
    /// Provider type → entities its templates hold.
    pub templates: BTreeMap<String, Vec<String>>,
    /// (code list, scheme) → pattern an international code must match, for open schemes such as
    /// ISO 3166-2 where the base dictionary cannot list every value.
    #[serde(skip)]
    pub(crate) scheme_patterns: HashMap<(String, String), regex_lite::Regex>,
}

impl Dictionary {
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.get(id)
    }

    pub fn codelist(&self, id: &str) -> Option<&CodeList> {
        self.codelists.get(id)
    }

    /// The version string records are stamped with: base version, plus the extension's id.
    pub fn full_version(&self) -> String {
        match &self.extension {
            Some(ext) => format!("{}+{}", self.version, ext.id),
            None => self.version.clone(),
        }
    }
}

/// Edit distance, for suggestions on mistyped codes and identifiers.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
