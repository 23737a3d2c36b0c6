//! Reading dictionary files and checking them. Every check that can fail names the file, the line
//! and the item, because the people who edit these files are statisticians, not programmers.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use include_dir::{Dir, include_dir};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{DictionaryError, Problem};
use crate::model::{
    Code, CodeList, Dictionary, Entity, EntityKind, ExtensionInfo, IdentifierKind, Labels, Rule,
    VarType, Variable,
};

static BASE: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../dictionary/base");

/// Largest text a free-text variable may hold unless the dictionary says otherwise.
const DEFAULT_TEXT_LENGTH: usize = 2000;

type Map = BTreeMap<String, String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeaderFile {
    dictionary: RawHeader,
    #[serde(default)]
    templates: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    id: String,
    version: String,
    languages: Vec<String>,
    required_languages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeListFile {
    codelist: RawCodeListHeader,
    #[serde(default)]
    code: Vec<Spanned<RawCode>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCodeListHeader {
    id: Spanned<String>,
    label: Map,
    #[serde(default)]
    standard: String,
    schemes: Vec<String>,
    #[serde(default)]
    extensible: bool,
    #[serde(default)]
    patterns: Map,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCode {
    /// Only in extension files: which list the code is added to.
    #[serde(default)]
    codelist: Option<String>,
    code: Spanned<String>,
    label: Map,
    #[serde(default)]
    map: Map,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntityFile {
    entity: RawEntityHeader,
    #[serde(default)]
    variable: Vec<Spanned<RawVariable>>,
    #[serde(default)]
    rule: Vec<Spanned<Rule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntityHeader {
    id: Spanned<String>,
    kind: EntityKind,
    label: Map,
    #[serde(default)]
    description: Map,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    /// Only in extension files: which entity the variable is added to.
    #[serde(default)]
    entity: Option<String>,
    code: Spanned<String>,
    #[serde(rename = "type")]
    var_type: String,
    #[serde(default)]
    required: bool,
    label: Map,
    #[serde(default)]
    codelist: Option<String>,
    #[serde(default)]
    min: Option<i64>,
    #[serde(default)]
    max: Option<i64>,
    #[serde(default)]
    max_length: Option<usize>,
    #[serde(default)]
    identifying: Option<IdentifierKind>,
    /// May appear in releases for researchers (synthetic microdata, differentially private
    /// tables): only variables of a small code domain, never an identifier or free text.
    #[serde(default)]
    releasable: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtensionFile {
    extension: RawExtensionHeader,
    #[serde(default)]
    templates: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    code: Vec<Spanned<RawCode>>,
    #[serde(default)]
    variable: Vec<Spanned<RawVariable>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtensionHeader {
    id: String,
    country: Spanned<String>,
    extends: Spanned<String>,
    base_version: Spanned<String>,
    label: Map,
}

/// One file's text and the name to report problems under.
struct Source<'a> {
    name: String,
    text: &'a str,
}

impl Source<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn problem(
        &self,
        offset: Option<usize>,
        item: impl Into<String>,
        msg: impl Into<String>,
    ) -> Problem {
        Problem {
            file: self.name.clone(),
            line: offset.map(|o| self.line(o)),
            item: item.into(),
            message: msg.into(),
        }
    }

    fn parse<T: serde::de::DeserializeOwned>(&self, problems: &mut Vec<Problem>) -> Option<T> {
        match toml::from_str::<T>(self.text) {
            Ok(v) => Some(v),
            Err(e) => {
                let msg = e.message().trim().to_string();
                problems.push(self.problem(e.span().map(|s| s.start), "file", msg));
                None
            }
        }
    }
}

/// Collects problems while building a dictionary; nothing is returned unless the list stays empty.
struct Checker<'d> {
    languages: &'d [String],
    required: &'d [String],
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn labels(&mut self, src: &Source, offset: usize, item: &str, raw: Map) -> Labels {
        for lang in self.required {
            match raw.get(lang) {
                Some(text) if !text.trim().is_empty() => {}
                _ => self.problems.push(src.problem(
                    Some(offset),
                    item,
                    format!("the label in required language \"{lang}\" is missing or empty"),
                )),
            }
        }
        for lang in raw.keys() {
            if !self.languages.contains(lang) {
                self.problems.push(src.problem(
                    Some(offset),
                    item,
                    format!(
                        "label language \"{lang}\" is not one of the dictionary's languages ({})",
                        self.languages.join(", ")
                    ),
                ));
            }
        }
        Labels(raw)
    }
}

fn code_is_well_formed(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '+'))
}

fn variable_code_is_well_formed(code: &str) -> bool {
    let mut chars = code.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && code.len() <= 48
}

impl Dictionary {
    /// The base dictionary embedded in the binary.
    pub fn base() -> Result<Dictionary, DictionaryError> {
        let mut files = Vec::new();
        collect_embedded(&BASE, &mut files);
        let sources: Vec<(String, String)> = files;
        build_base(&sources)
    }

    /// A base dictionary read from a folder laid out as `dictionary/base/` (for editing and
    /// checking a new dictionary version before it is embedded).
    pub fn load_dir(dir: &Path) -> Result<Dictionary, DictionaryError> {
        let mut files = Vec::new();
        read_dir_sorted(dir, &mut files)?;
        build_base(&files)
    }

    /// This dictionary extended with a deployment's extension file.
    pub fn with_extension(self, path: &Path) -> Result<Dictionary, DictionaryError> {
        let text = std::fs::read_to_string(path).map_err(|source| DictionaryError::Io {
            file: path.display().to_string(),
            source,
        })?;
        self.with_extension_text(&path.display().to_string(), &text)
    }

    /// This dictionary extended with an extension given as text; `name` is used in messages.
    pub fn with_extension_text(
        mut self,
        name: &str,
        text: &str,
    ) -> Result<Dictionary, DictionaryError> {
        if self.extension.is_some() {
            return Err(DictionaryError::Invalid(vec![Problem {
                file: name.to_string(),
                line: None,
                item: "extension".into(),
                message: "a dictionary takes one deployment extension; this one already has one"
                    .into(),
            }]));
        }
        let src = Source {
            name: name.to_string(),
            text,
        };
        let languages = self.languages.clone();
        let required = self.required_languages.clone();
        let mut ck = Checker {
            languages: &languages,
            required: &required,
            problems: Vec::new(),
        };
        let Some(raw) = src.parse::<RawExtensionFile>(&mut ck.problems) else {
            return Err(DictionaryError::Invalid(ck.problems));
        };
        let header = raw.extension;
        if *header.extends.get_ref() != self.id {
            ck.problems.push(src.problem(
                Some(header.extends.span().start),
                "extension",
                format!(
                    "it extends dictionary \"{}\", but this dictionary is \"{}\"",
                    header.extends.get_ref(),
                    self.id
                ),
            ));
        }
        if *header.base_version.get_ref() != self.version {
            ck.problems.push(src.problem(
                Some(header.base_version.span().start),
                "extension",
                format!(
                    "it was written for dictionary version {}, but this is version {}; review it against the new version and update base_version",
                    header.base_version.get_ref(),
                    self.version
                ),
            ));
        }
        if let Some(countries) = self.codelists.get("country")
            && !countries.contains(header.country.get_ref())
        {
            ck.problems.push(src.problem(
                Some(header.country.span().start),
                "extension",
                format!(
                    "country \"{}\" is not an ISO 3166-1 alpha-2 code",
                    header.country.get_ref()
                ),
            ));
        }
        let label = ck.labels(&src, 0, "extension", header.label);

        // International values a base code list already uses, per scheme: an extension code must map
        // to one of them (or match the scheme's pattern), so exports stay comparable.
        let mut base_values: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
        for list in self.codelists.values() {
            for code in &list.codes {
                for (scheme, value) in &code.map {
                    base_values
                        .entry((list.id.clone(), scheme.clone()))
                        .or_default()
                        .insert(value.clone());
                }
            }
        }
        let patterns = self.scheme_patterns.clone();

        for spanned in raw.code {
            let at = spanned.span().start;
            let rc = spanned.into_inner();
            let code = rc.code.get_ref().clone();
            let Some(list_id) = rc.codelist.clone() else {
                ck.problems.push(src.problem(
                    Some(at),
                    format!("code \"{code}\""),
                    "an extension code must say which code list it extends (codelist = \"…\")",
                ));
                continue;
            };
            let item = format!("code \"{code}\" of code list \"{list_id}\"");
            let Some(list) = self.codelists.get(&list_id) else {
                ck.problems.push(src.problem(
                    Some(at),
                    &item,
                    format!("there is no code list \"{list_id}\" in the dictionary"),
                ));
                continue;
            };
            if !list.extensible {
                ck.problems.push(src.problem(
                    Some(at),
                    &item,
                    format!("code list \"{list_id}\" is international and cannot be extended"),
                ));
                continue;
            }
            if !code_is_well_formed(&code) {
                ck.problems.push(src.problem(
                    Some(rc.code.span().start),
                    &item,
                    "a code is 1–32 characters among A–Z, 0–9, _, - and +",
                ));
            }
            if list.contains(&code) {
                ck.problems.push(src.problem(
                    Some(rc.code.span().start),
                    &item,
                    "this code already exists in the code list",
                ));
            }
            let labels = ck.labels(&src, at, &item, rc.label);
            for scheme in &list.schemes {
                match rc.map.get(scheme) {
                    None => ck.problems.push(src.problem(
                        Some(at),
                        &item,
                        format!("it maps to no international code in scheme \"{scheme}\"; add map = {{ {scheme} = \"…\" }} so exports stay comparable"),
                    )),
                    Some(value) => {
                        if let Some(re) = patterns.get(&(list_id.clone(), scheme.clone())) {
                            if !re.is_match(value) {
                                ck.problems.push(src.problem(Some(at), &item, format!("\"{value}\" is not a valid {scheme} code")));
                            }
                        } else if !base_values
                            .get(&(list_id.clone(), scheme.clone()))
                            .is_some_and(|vals| vals.contains(value))
                        {
                            let known: Vec<_> = base_values
                                .get(&(list_id.clone(), scheme.clone()))
                                .map(|v| v.iter().cloned().collect())
                                .unwrap_or_default();
                            ck.problems.push(src.problem(
                                Some(at),
                                &item,
                                format!("\"{value}\" is not an international code of scheme \"{scheme}\" (known: {})", known.join(", ")),
                            ));
                        }
                    }
                }
            }
            for scheme in rc.map.keys() {
                if !list.schemes.contains(scheme) {
                    ck.problems.push(src.problem(
                        Some(at),
                        &item,
                        format!("code list \"{list_id}\" has no scheme \"{scheme}\""),
                    ));
                }
            }
            if let Some(list) = self.codelists.get_mut(&list_id) {
                list.codes.push(Code {
                    code,
                    label: labels,
                    map: rc.map,
                    national: true,
                });
                list.reindex();
            }
        }

        for spanned in raw.variable {
            let at = spanned.span().start;
            let rv = spanned.into_inner();
            let Some(entity_id) = rv.entity.clone() else {
                ck.problems.push(src.problem(
                    Some(at),
                    format!("variable \"{}\"", rv.code.get_ref()),
                    "an extension variable must say which entity it extends (entity = \"…\")",
                ));
                continue;
            };
            if !self.entities.contains_key(&entity_id) {
                ck.problems.push(src.problem(
                    Some(at),
                    format!("variable \"{}\"", rv.code.get_ref()),
                    format!("there is no entity \"{entity_id}\" in the dictionary"),
                ));
                continue;
            }
            let codelists = &self.codelists;
            let Some(mut var) = build_variable(&src, &mut ck, &entity_id, at, rv, codelists) else {
                continue;
            };
            var.national = true;
            let Some(entity) = self.entities.get_mut(&entity_id) else {
                continue;
            };
            if entity.variable(&var.code).is_some() {
                ck.problems.push(src.problem(
                    Some(at),
                    format!("variable \"{}\" of entity \"{entity_id}\"", var.code),
                    "duplicate variable: the entity already has a variable with this code",
                ));
                continue;
            }
            entity.variables.push(var);
        }

        for (ptype, entities) in &raw.templates {
            if self.templates.contains_key(ptype) {
                ck.problems.push(src.problem(
                    None,
                    format!("templates of provider type \"{ptype}\""),
                    "the base dictionary already defines them",
                ));
            }
            self.templates.insert(ptype.clone(), entities.clone());
        }
        check_templates(
            &src,
            &mut ck.problems,
            &raw.templates,
            &self.codelists,
            &self.entities,
        );
        if !ck.problems.is_empty() {
            return Err(DictionaryError::Invalid(ck.problems));
        }
        self.extension = Some(ExtensionInfo {
            id: header.id,
            country: header.country.into_inner(),
            label,
            file: name.to_string(),
        });
        Ok(self)
    }
}

fn collect_embedded(dir: &Dir<'_>, out: &mut Vec<(String, String)>) {
    for file in dir.files() {
        if file.path().extension().is_some_and(|e| e == "toml") {
            let text = file.contents_utf8().unwrap_or_default().to_string();
            out.push((format!("dictionary/base/{}", file.path().display()), text));
        }
    }
    for sub in dir.dirs() {
        collect_embedded(sub, out);
    }
    out.sort();
}

fn read_dir_sorted(dir: &Path, out: &mut Vec<(String, String)>) -> Result<(), DictionaryError> {
    let io = |source| DictionaryError::Io {
        file: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            read_dir_sorted(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).map_err(|source| DictionaryError::Io {
                file: path.display().to_string(),
                source,
            })?;
            out.push((path.display().to_string(), text));
        }
    }
    Ok(())
}

fn build_base(files: &[(String, String)]) -> Result<Dictionary, DictionaryError> {
    let mut problems = Vec::new();
    let header_file = files
        .iter()
        .find(|(name, _)| name.ends_with("dictionary.toml"));
    let Some((hname, htext)) = header_file else {
        return Err(DictionaryError::Invalid(vec![Problem {
            file: "dictionary".into(),
            line: None,
            item: "dictionary.toml".into(),
            message: "the dictionary folder has no dictionary.toml header".into(),
        }]));
    };
    let hsrc = Source {
        name: hname.clone(),
        text: htext,
    };
    let Some(header) = hsrc.parse::<RawHeaderFile>(&mut problems) else {
        return Err(DictionaryError::Invalid(problems));
    };
    let header_file_templates = header.templates;
    let header = header.dictionary;
    for lang in &header.required_languages {
        if !header.languages.contains(lang) {
            problems.push(hsrc.problem(
                None,
                "required_languages",
                format!("\"{lang}\" is required but not in languages"),
            ));
        }
    }
    let mut ck = Checker {
        languages: &header.languages,
        required: &header.required_languages,
        problems,
    };

    let mut codelists: BTreeMap<String, CodeList> = BTreeMap::new();
    let mut patterns: HashMap<(String, String), regex_lite::Regex> = HashMap::new();
    let mut list_files: HashMap<String, String> = HashMap::new();
    for (name, text) in files.iter().filter(|(n, _)| n.contains("codelists")) {
        let src = Source {
            name: name.clone(),
            text,
        };
        let Some(raw) = src.parse::<RawCodeListFile>(&mut ck.problems) else {
            continue;
        };
        let h = raw.codelist;
        let id = h.id.get_ref().clone();
        let list_item = format!("code list \"{id}\"");
        if let Some(other) = list_files.get(&id) {
            ck.problems.push(src.problem(
                Some(h.id.span().start),
                &list_item,
                format!("duplicate code list: already defined in {other}"),
            ));
            continue;
        }
        list_files.insert(id.clone(), name.clone());
        let label = ck.labels(&src, h.id.span().start, &list_item, h.label);
        for (scheme, pattern) in &h.patterns {
            if !h.schemes.contains(scheme) {
                ck.problems.push(src.problem(
                    Some(h.id.span().start),
                    &list_item,
                    format!("pattern given for scheme \"{scheme}\", which is not in schemes"),
                ));
            }
            match regex_lite::Regex::new(pattern) {
                Ok(re) => {
                    patterns.insert((id.clone(), scheme.clone()), re);
                }
                Err(e) => ck.problems.push(src.problem(
                    Some(h.id.span().start),
                    &list_item,
                    format!("pattern for \"{scheme}\" is not a valid regular expression: {e}"),
                )),
            }
        }
        let mut codes: Vec<Code> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for spanned in raw.code {
            let at = spanned.span().start;
            let rc = spanned.into_inner();
            let code = rc.code.get_ref().clone();
            let item = format!("code \"{code}\" of code list \"{id}\"");
            let code_at = rc.code.span().start;
            if rc.codelist.is_some() {
                ck.problems.push(src.problem(
                    Some(at),
                    &item,
                    "`codelist` is only used in extension files",
                ));
            }
            if !code_is_well_formed(&code) {
                ck.problems.push(src.problem(
                    Some(code_at),
                    &item,
                    "a code is 1–32 characters among A–Z, 0–9, _, - and +",
                ));
            }
            if let Some(first) = seen.get(&code) {
                ck.problems.push(src.problem(
                    Some(code_at),
                    &item,
                    format!("duplicate code: already defined on line {first}"),
                ));
                continue;
            }
            seen.insert(code.clone(), src.line(code_at));
            let labels = ck.labels(&src, at, &item, rc.label);
            for scheme in &h.schemes {
                match rc.map.get(scheme) {
                    None => ck.problems.push(src.problem(
                        Some(at),
                        &item,
                        format!("it maps to no international code in scheme \"{scheme}\""),
                    )),
                    Some(v) if v.trim().is_empty() => ck.problems.push(src.problem(
                        Some(at),
                        &item,
                        format!("empty mapping for scheme \"{scheme}\""),
                    )),
                    Some(v) => {
                        if let Some(re) = patterns.get(&(id.clone(), scheme.clone()))
                            && !re.is_match(v)
                        {
                            ck.problems.push(src.problem(
                                Some(at),
                                &item,
                                format!("\"{v}\" is not a valid {scheme} code"),
                            ));
                        }
                    }
                }
            }
            for scheme in rc.map.keys() {
                if !h.schemes.contains(scheme) {
                    ck.problems.push(src.problem(
                        Some(at),
                        &item,
                        format!("code list \"{id}\" has no scheme \"{scheme}\""),
                    ));
                }
            }
            codes.push(Code {
                code,
                label: labels,
                map: rc.map,
                national: false,
            });
        }
        let mut list = CodeList {
            id: id.clone(),
            label,
            standard: h.standard,
            schemes: h.schemes,
            extensible: h.extensible,
            codes,
            by_code: HashMap::new(),
            by_label: HashMap::new(),
            by_exact_label: HashMap::new(),
        };
        list.reindex();
        codelists.insert(id, list);
    }

    let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
    let mut entity_files: HashMap<String, String> = HashMap::new();
    for (name, text) in files.iter().filter(|(n, _)| n.contains("entities")) {
        let src = Source {
            name: name.clone(),
            text,
        };
        let Some(raw) = src.parse::<RawEntityFile>(&mut ck.problems) else {
            continue;
        };
        let id = raw.entity.id.get_ref().clone();
        let ent_item = format!("entity \"{id}\"");
        let ent_at = raw.entity.id.span().start;
        if let Some(other) = entity_files.get(&id) {
            ck.problems.push(src.problem(
                Some(ent_at),
                &ent_item,
                format!("duplicate entity: already defined in {other}"),
            ));
            continue;
        }
        entity_files.insert(id.clone(), name.clone());
        let label = ck.labels(&src, ent_at, &ent_item, raw.entity.label);
        let description = Labels(raw.entity.description);
        let mut variables: Vec<Variable> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for spanned in raw.variable {
            let at = spanned.span().start;
            let rv = spanned.into_inner();
            let code = rv.code.get_ref().clone();
            if let Some(first) = seen.get(&code) {
                ck.problems.push(src.problem(
                    Some(rv.code.span().start),
                    format!("variable \"{code}\" of entity \"{id}\""),
                    format!("duplicate variable: already defined on line {first}"),
                ));
                continue;
            }
            seen.insert(code.clone(), src.line(rv.code.span().start));
            if rv.entity.is_some() {
                ck.problems.push(src.problem(
                    Some(at),
                    format!("variable \"{code}\" of entity \"{id}\""),
                    "`entity` is only used in extension files",
                ));
            }
            if let Some(var) = build_variable(&src, &mut ck, &id, at, rv, &codelists) {
                variables.push(var);
            }
        }
        match variables.iter().find(|v| v.code == "provider_ref") {
            Some(v) if v.required && matches!(v.var_type, VarType::Text { .. }) => {}
            _ => ck.problems.push(src.problem(Some(ent_at), &ent_item, "every entity needs a required text variable \"provider_ref\" (the provider's own reference)")),
        }
        let entity = Entity {
            id: id.clone(),
            kind: raw.entity.kind,
            label,
            description,
            variables,
            rules: Vec::new(),
        };
        let mut rules = Vec::new();
        for spanned in raw.rule {
            let at = spanned.span().start;
            let rule = spanned.into_inner();
            check_rule(&src, &mut ck, &entity, at, &rule, &codelists);
            rules.push(rule);
        }
        entities.insert(id, Entity { rules, ..entity });
    }

    let templates = header_file_templates;
    check_templates(&hsrc, &mut ck.problems, &templates, &codelists, &entities);

    if !ck.problems.is_empty() {
        return Err(DictionaryError::Invalid(ck.problems));
    }
    Ok(Dictionary {
        templates,
        id: header.id,
        version: header.version,
        languages: header.languages,
        required_languages: header.required_languages,
        codelists,
        entities,
        extension: None,
        scheme_patterns: patterns,
    })
}

fn build_variable(
    src: &Source,
    ck: &mut Checker,
    entity: &str,
    at: usize,
    rv: RawVariable,
    codelists: &BTreeMap<String, CodeList>,
) -> Option<Variable> {
    let code = rv.code.get_ref().clone();
    let item = format!("variable \"{code}\" of entity \"{entity}\"");
    let before = ck.problems.len();
    if !variable_code_is_well_formed(&code) {
        ck.problems.push(src.problem(
            Some(rv.code.span().start),
            &item,
            "a variable code starts with a-z and holds only a-z, 0-9 and _ (at most 48)",
        ));
    }
    let label = ck.labels(src, at, &item, rv.label);
    let need_codelist = |ck: &mut Checker| -> String {
        match &rv.codelist {
            None => {
                ck.problems.push(src.problem(
                    Some(at),
                    &item,
                    format!("a variable of type {} needs codelist = \"…\"", rv.var_type),
                ));
                String::new()
            }
            Some(id) if !codelists.contains_key(id) => {
                ck.problems.push(src.problem(
                    Some(at),
                    &item,
                    format!("it refers to code list \"{id}\", which does not exist"),
                ));
                id.clone()
            }
            Some(id) => id.clone(),
        }
    };
    let var_type = match rv.var_type.as_str() {
        "text" => VarType::Text {
            max_length: rv.max_length.unwrap_or(DEFAULT_TEXT_LENGTH),
        },
        "integer" => VarType::Integer {
            min: rv.min.unwrap_or(0),
            max: rv.max.unwrap_or(1_000_000_000),
        },
        "decimal" => VarType::Decimal {
            min: rv.min.unwrap_or(0) as f64,
            max: rv.max.unwrap_or(1_000_000_000) as f64,
        },
        "boolean" => VarType::Boolean,
        "date" => VarType::Date,
        "year" => VarType::Year {
            min: rv.min.unwrap_or(1900),
            max: rv.max.unwrap_or(2100),
        },
        "code" => VarType::Code {
            codelist: need_codelist(ck),
        },
        "codes" => VarType::Codes {
            codelist: need_codelist(ck),
        },
        other => {
            ck.problems.push(src.problem(
                Some(at),
                &item,
                format!("unknown type \"{other}\" (use text, integer, decimal, boolean, date, year, code or codes)"),
            ));
            return None;
        }
    };
    if rv.codelist.is_some() && var_type.codelist().is_none() {
        ck.problems.push(src.problem(
            Some(at),
            &item,
            format!(
                "codelist is only for code and codes variables, not {}",
                var_type.name()
            ),
        ));
    }
    if let (Some(min), Some(max)) = (rv.min, rv.max)
        && min > max
    {
        ck.problems.push(src.problem(
            Some(at),
            &item,
            format!("min ({min}) is greater than max ({max})"),
        ));
    }
    if rv.identifying.is_some() && !matches!(var_type, VarType::Text { .. }) {
        ck.problems.push(src.problem(
            Some(at),
            &item,
            "identifying variables are text: they are encoded into pseudonyms, never stored",
        ));
    }
    if rv.identifying.is_some() && rv.required {
        ck.problems.push(src.problem(Some(at), &item, "identifying variables cannot be required: providers may not know or may not share them"));
    }
    if rv.releasable
        && (rv.identifying.is_some()
            || !matches!(
                var_type,
                VarType::Code { .. } | VarType::Codes { .. } | VarType::Boolean | VarType::Date
            ))
    {
        ck.problems.push(src.problem(
            Some(at),
            &item,
            format!(
                "only code, codes, boolean and date variables (released as their year) that identify nobody can be releasable, not {} variables",
                if rv.identifying.is_some() { "identifying" } else { var_type.name() }
            ),
        ));
    }
    if ck.problems.len() > before {
        return None;
    }
    Some(Variable {
        code,
        label,
        var_type,
        required: rv.required,
        identifying: rv.identifying,
        national: false,
        releasable: rv.releasable,
    })
}

fn check_rule(
    src: &Source,
    ck: &mut Checker,
    entity: &Entity,
    at: usize,
    rule: &Rule,
    codelists: &BTreeMap<String, CodeList>,
) {
    let item = format!("rule of entity \"{}\"", entity.id);
    for var in rule.variables() {
        if entity.variable(var).is_none() {
            ck.problems.push(src.problem(
                Some(at),
                &item,
                format!("it refers to variable \"{var}\", which the entity does not have"),
            ));
            return;
        }
    }
    let ty = |v: &str| entity.variable(v).map(|v| v.var_type.clone());
    let expect = |ck: &mut Checker, v: &str, ok: bool, what: &str| {
        if !ok {
            ck.problems.push(src.problem(
                Some(at),
                &item,
                format!("variable \"{v}\" must be {what}"),
            ));
        }
    };
    match rule {
        Rule::DateOrder { earlier, later } => {
            expect(
                ck,
                earlier,
                matches!(ty(earlier), Some(VarType::Date)),
                "a date",
            );
            expect(
                ck,
                later,
                matches!(ty(later), Some(VarType::Date)),
                "a date",
            );
        }
        Rule::Requires {
            when,
            if_in,
            then,
            then_in,
        } => {
            for (var, codes) in [(when, if_in), (then, then_in)] {
                if codes.is_empty() {
                    continue;
                }
                match ty(var)
                    .as_ref()
                    .and_then(|t| t.codelist().map(str::to_string))
                {
                    None => expect(ck, var, false, "a code variable to list codes for it"),
                    Some(list) => {
                        for c in codes {
                            if !codelists.get(&list).is_some_and(|l| l.contains(c)) {
                                ck.problems.push(src.problem(
                                    Some(at),
                                    &item,
                                    format!("code \"{c}\" is not in code list \"{list}\""),
                                ));
                            }
                        }
                    }
                }
            }
        }
        Rule::AgeBirthYear {
            age,
            birth_year,
            at: date,
        } => {
            expect(
                ck,
                age,
                matches!(ty(age), Some(VarType::Integer { .. })),
                "an integer",
            );
            expect(
                ck,
                birth_year,
                matches!(ty(birth_year), Some(VarType::Year { .. })),
                "a year",
            );
            expect(ck, date, matches!(ty(date), Some(VarType::Date)), "a date");
        }
        Rule::CrossBorder { flag, from, to } => {
            expect(
                ck,
                flag,
                matches!(ty(flag), Some(VarType::Boolean)),
                "a boolean",
            );
            for v in [from, to] {
                expect(
                    ck,
                    v,
                    matches!(ty(v), Some(VarType::Code { ref codelist }) if codelist == "country"),
                    "a country code",
                );
            }
        }
    }
}

fn check_templates(
    src: &Source,
    problems: &mut Vec<Problem>,
    templates: &BTreeMap<String, Vec<String>>,
    codelists: &BTreeMap<String, CodeList>,
    entities: &BTreeMap<String, Entity>,
) {
    for (ptype, ents) in templates {
        let item = format!("templates of provider type \"{ptype}\"");
        let line = src.text.find(&format!("\n{ptype} =")).map(|o| o + 1);
        if !codelists
            .get("provider_type")
            .is_some_and(|l| l.contains(ptype))
        {
            problems.push(src.problem(
                line,
                &item,
                format!("\"{ptype}\" is not a code of the provider_type code list"),
            ));
        }
        for e in ents {
            if !entities.contains_key(e) {
                problems.push(src.problem(line, &item, format!("there is no entity \"{e}\"")));
            }
        }
    }
}
