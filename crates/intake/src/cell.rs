use serde_json::{Map, Value};
use tessera_dictionary::{
    AgeBand, CodeList, Dictionary, Entity, IdentifierKind, Rule, VarType, Variable,
};
use tessera_pseudonym::{Encoder, Identifiers};
use time::Date;

use crate::IntakeRecord;
use crate::messages::msg;
use crate::report::CellError;

/// Checks the cells of one entity's records against the dictionary.
pub struct Validator<'d> {
    dict: &'d Dictionary,
    entity: &'d Entity,
    encoder: &'d dyn Encoder,
    lang: String,
    /// Multi-valued cells may also be separated by spaces (ODK/Kobo exports write codes that way).
    space_separated: bool,
}

/// Parses a date typed as `YYYY-MM-DD` or day first as `DD/MM/YYYY` (or with `.` or `-`).
pub fn parse_date(s: &str) -> Option<Date> {
    let s = s.trim();
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    let [a, b, c] = parts.as_slice() else {
        return None;
    };
    let (y, m, d) = if a.len() == 4 {
        (a, b, c)
    } else if c.len() == 4 {
        (c, b, a)
    } else {
        return None;
    };
    let month = time::Month::try_from(m.parse::<u8>().ok()?).ok()?;
    Date::from_calendar_date(y.parse().ok()?, month, d.parse().ok()?).ok()
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "oui" | "o" | "vrai" | "sim" | "ano" | "tak" | "áno" => {
            Some(true)
        }
        "0" | "false" | "no" | "n" | "non" | "faux" | "não" | "nao" | "ne" | "nie" => Some(false),
        _ => None,
    }
}

/// Edit distance, for suggestions on mistyped codes.
fn levenshtein(a: &str, b: &str) -> usize {
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

fn suggest(list: &CodeList, input: &str, lang: &str) -> Option<String> {
    let needle = input.trim().to_lowercase();
    if needle.len() < 3 || needle.len() > 80 {
        return None;
    }
    let mut best: Option<(usize, String)> = None;
    for code in &list.codes {
        for label in code.label.0.values() {
            let d = levenshtein(&needle, &label.to_lowercase());
            if d <= 2.max(needle.len() / 5) && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, format!("{} ({})", code.code, code.label.get(lang))));
            }
        }
    }
    best.map(|(_, s)| s)
}

impl<'d> Validator<'d> {
    pub fn new(
        dict: &'d Dictionary,
        entity: &'d Entity,
        encoder: &'d dyn Encoder,
    ) -> Validator<'d> {
        Validator {
            dict,
            entity,
            encoder,
            lang: "en".into(),
            space_separated: false,
        }
    }

    /// Messages and labels in `lang` (English where a message has no translation).
    pub fn with_lang(mut self, lang: &str) -> Validator<'d> {
        self.lang = lang.to_string();
        self
    }

    /// Also split multi-valued cells on spaces, as ODK and Kobo write `select_multiple` answers.
    pub fn space_separated(mut self, yes: bool) -> Validator<'d> {
        self.space_separated = yes;
        self
    }

    pub fn lang(&self) -> &str {
        &self.lang
    }

    pub fn entity(&self) -> &Entity {
        self.entity
    }

    pub fn dictionary(&self) -> &Dictionary {
        self.dict
    }

    pub(crate) fn m(&self, key: &str, args: &[(&str, &str)]) -> String {
        msg(&self.lang, key, args)
    }

    fn cell(
        &self,
        var: &Variable,
        raw: &str,
        row: usize,
        column: &str,
        errors: &mut Vec<CellError>,
    ) -> Option<Value> {
        let mut fail = |rule: &str, message: String, suggestion: Option<String>| {
            errors.push(CellError {
                suggestion,
                ..CellError::new(row, column, raw, rule, message)
            });
            None
        };
        let s = raw.trim();
        let value = match &var.var_type {
            VarType::Text { max_length } => {
                if s.chars().count() > *max_length {
                    return fail(
                        "length",
                        self.m("cell-length", &[("max", &max_length.to_string())]),
                        None,
                    );
                }
                if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                    return fail("text", self.m("cell-control", &[]), None);
                }
                Value::String(s.to_string())
            }
            VarType::Integer { min, max } => match s.parse::<i64>() {
                Ok(n) if (*min..=*max).contains(&n) => Value::from(n),
                Ok(n) => {
                    return fail(
                        "range",
                        self.m(
                            "cell-range",
                            &[
                                ("value", &n.to_string()),
                                ("min", &min.to_string()),
                                ("max", &max.to_string()),
                            ],
                        ),
                        None,
                    );
                }
                Err(_) => return fail("integer", self.m("cell-integer", &[]), None),
            },
            VarType::Decimal { min, max } => match s.replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() && (*min..=*max).contains(&n) => Value::from(n),
                _ => {
                    return fail(
                        "decimal",
                        self.m(
                            "cell-decimal",
                            &[("min", &min.to_string()), ("max", &max.to_string())],
                        ),
                        None,
                    );
                }
            },
            VarType::Boolean => match parse_bool(s) {
                Some(b) => Value::Bool(b),
                None => return fail("boolean", self.m("cell-boolean", &[]), None),
            },
            VarType::Date => match parse_date(s) {
                Some(d) => Value::String(d.to_string()),
                None => return fail("date", self.m("cell-date", &[]), None),
            },
            VarType::Year { min, max } => match s.parse::<i64>() {
                Ok(y) if (*min..=*max).contains(&y) => Value::from(y),
                _ => {
                    return fail(
                        "year",
                        self.m(
                            "cell-year",
                            &[("min", &min.to_string()), ("max", &max.to_string())],
                        ),
                        None,
                    );
                }
            },
            VarType::Code { codelist } | VarType::Codes { codelist } => {
                let list = self.dict.codelist(codelist)?;
                let multi = matches!(var.var_type, VarType::Codes { .. });
                // Labels may hold commas and spaces ("Orientation sexuelle, identité…"), so a part
                // is first tried whole, then split on commas, then (ODK) on spaces.
                let mut codes: Vec<&str> = Vec::with_capacity(2);
                let mut push = |c: &'d str| {
                    if !codes.contains(&c) {
                        codes.push(c);
                    }
                };
                let seps: &[char] = if multi { &[';', '|'] } else { &[] };
                for part in s
                    .split(seps)
                    .map(str::trim)
                    .filter(|p| !p.is_empty() || !multi)
                {
                    if let Some(c) = list.resolve(part) {
                        push(c);
                        continue;
                    }
                    let pieces: Vec<&str> = if !multi {
                        vec![part]
                    } else {
                        let by_comma: Vec<&str> = part
                            .split(',')
                            .map(str::trim)
                            .filter(|p| !p.is_empty())
                            .collect();
                        if by_comma.len() == 1 && self.space_separated {
                            part.split_whitespace().collect()
                        } else {
                            by_comma
                        }
                    };
                    for p in pieces {
                        match list.resolve(p) {
                            Some(c) => push(c),
                            None => {
                                let message = self.m(
                                    "cell-code",
                                    &[("value", p), ("list", list.label.get(&self.lang))],
                                );
                                errors.push(CellError {
                                    suggestion: suggest(list, p, &self.lang),
                                    ..CellError::new(row, column, p, "code", message)
                                });
                                return None;
                            }
                        }
                    }
                }
                if multi {
                    Value::Array(
                        codes
                            .into_iter()
                            .map(|c| Value::String(c.to_string()))
                            .collect(),
                    )
                } else {
                    Value::String(codes.first().map(|c| c.to_string()).unwrap_or_default())
                }
            }
        };
        Some(value)
    }

    /// Validates one row given as (column as written, variable, raw text) triples. Empty cells are
    /// absent values. Returns the record or pushes errors.
    pub fn record(
        &self,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        errors: &mut Vec<CellError>,
    ) -> Option<IntakeRecord> {
        let before = errors.len();
        let mut data = Map::new();
        let mut ids = Identifiers::default();
        let mut columns: Vec<(&str, &str)> = Vec::new();
        for (column, var, raw) in cells {
            columns.push((var.code.as_str(), column));
            if raw.trim().is_empty() {
                continue;
            }
            if let Some(kind) = var.identifying {
                // Identifying text is never stored: it only feeds the encoder below.
                let slot = match kind {
                    IdentifierKind::GivenName => &mut ids.given_name,
                    IdentifierKind::FamilyName => &mut ids.family_name,
                    IdentifierKind::BirthDate => &mut ids.birth_date,
                    IdentifierKind::IdNumber => &mut ids.id_number,
                    IdentifierKind::Phone => &mut ids.phone,
                    IdentifierKind::FatherName => &mut ids.father_name,
                    IdentifierKind::MotherName => &mut ids.mother_name,
                };
                *slot = Some(raw);
                continue;
            }
            if let Some(v) = self.cell(var, raw, row, column, errors) {
                data.insert(var.code.clone(), v);
            }
        }
        let column_of = |code: &str| {
            columns
                .iter()
                .find(|(c, _)| *c == code)
                .map(|(_, col)| col.to_string())
                .unwrap_or_else(|| code.to_string())
        };
        for var in self.entity.variables.iter().filter(|v| v.required) {
            if !data.contains_key(&var.code)
                && !errors[before..]
                    .iter()
                    .any(|e| e.column == column_of(&var.code))
            {
                let message = self.m("cell-required", &[("label", var.label.get(&self.lang))]);
                errors.push(CellError::new(
                    row,
                    column_of(&var.code),
                    "",
                    "required",
                    message,
                ));
            }
        }
        if let Some(raw) = ids.birth_date
            && tessera_pseudonym::BirthDate::parse(raw).is_none()
        {
            // The value is identifying: the report names the cell but never repeats it.
            errors.push(CellError::new(
                row,
                column_of("birth_date"),
                "",
                "birth_date",
                self.m("cell-birth-date", &[]),
            ));
        }
        if errors.len() == before {
            for rule in &self.entity.rules {
                if let Some((vars, message)) = self.check_rule(rule, &data) {
                    let value = vars
                        .iter()
                        .filter_map(|v| data.get(*v))
                        .map(|v| v.to_string().trim_matches('"').to_string())
                        .collect::<Vec<_>>()
                        .join(", ");
                    let column = vars
                        .iter()
                        .map(|v| column_of(v))
                        .collect::<Vec<_>>()
                        .join(", ");
                    errors.push(CellError::new(row, column, value, rule_name(rule), message));
                }
            }
        }
        if errors.len() > before {
            return None;
        }
        // Derive the band from exact age so every record can be counted in bands.
        if let (Some(age), None) = (
            data.get("age").and_then(Value::as_i64),
            data.get("age_band"),
        ) && self.entity.variable("age_band").is_some()
            && let Ok(band) = AgeBand::from_age(age)
        {
            data.insert("age_band".into(), Value::String(band.code().into()));
        }
        let pseudonyms = (!ids.is_empty()).then(|| self.encoder.encode(&ids));
        if let Some(p) = &pseudonyms
            && let (Some(y), true, false) = (
                p.birth_year,
                self.entity.variable("birth_year").is_some(),
                data.contains_key("birth_year"),
            )
        {
            data.insert("birth_year".into(), Value::from(y));
        }
        let provider_ref = data
            .get("provider_ref")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        Some(IntakeRecord {
            provider_ref,
            data,
            pseudonyms,
            source_row: row,
        })
    }

    /// [`Validator::record`] for a row whose identifiers arrive already encoded, as a token in
    /// the `pseudonyms` column (see `tessera pseudonymise`). A row with both a token and clear
    /// identifiers is refused: which one is right cannot be known.
    pub fn record_encoded(
        &self,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: &str,
        errors: &mut Vec<CellError>,
    ) -> Option<IntakeRecord> {
        let before = errors.len();
        let decoded = if token.trim().is_empty() {
            None
        } else {
            match tessera_pseudonym::Pseudonyms::from_token(token) {
                Ok(p) => Some(p),
                Err(_) => {
                    // The token is not shown: it is a keyed encoding of someone's identity.
                    errors.push(CellError::new(
                        row,
                        crate::PSEUDONYMS_COLUMN,
                        "",
                        "pseudonyms",
                        self.m("cell-token", &[]),
                    ));
                    None
                }
            }
        };
        let mut rec = self.record(row, cells, errors)?;
        if errors.len() > before {
            return None;
        }
        let Some(p) = decoded else {
            return Some(rec);
        };
        if rec.pseudonyms.is_some() {
            errors.push(CellError::new(
                row,
                crate::PSEUDONYMS_COLUMN,
                "",
                "pseudonyms",
                self.m("cell-token-and-clear", &[]),
            ));
            return None;
        }
        if let (Some(y), true, false) = (
            p.birth_year,
            self.entity.variable("birth_year").is_some(),
            rec.data.contains_key("birth_year"),
        ) {
            rec.data.insert("birth_year".into(), Value::from(y));
        }
        rec.pseudonyms = Some(p);
        Some(rec)
    }

    /// A broken cross-field rule: the variables involved and a message.
    fn check_rule<'r>(
        &self,
        rule: &'r Rule,
        data: &Map<String, Value>,
    ) -> Option<(Vec<&'r str>, String)> {
        match rule {
            Rule::DateOrder { earlier, later } => {
                let (a, b) = (text(data, earlier)?, text(data, later)?);
                (a > b).then(|| {
                    (
                        vec![earlier.as_str(), later.as_str()],
                        self.m(
                            "rule-date-order",
                            &[("earlier", earlier), ("a", a), ("later", later), ("b", b)],
                        ),
                    )
                })
            }
            Rule::Requires {
                when,
                if_in,
                then,
                then_in,
            } => {
                if !has_code(data, when, if_in) || has_code(data, then, then_in) {
                    return None;
                }
                let or = if self.lang == "fr" { " ou " } else { " or " };
                let cond = if if_in.is_empty() {
                    self.m("cond-given", &[("var", when)])
                } else {
                    self.m("cond-in", &[("var", when), ("codes", &if_in.join(or))])
                };
                let need = if then_in.is_empty() {
                    self.m("need-given", &[("var", then)])
                } else {
                    self.m("need-in", &[("var", then), ("codes", &then_in.join(or))])
                };
                Some((
                    vec![when.as_str(), then.as_str()],
                    self.m("rule-requires", &[("cond", &cond), ("need", &need)]),
                ))
            }
            Rule::AgeBirthYear {
                age,
                birth_year,
                at,
            } => {
                let (a, y) = (data.get(age)?.as_i64()?, data.get(birth_year)?.as_i64()?);
                let year: i64 = text(data, at)?.get(..4)?.parse().ok()?;
                let implied = year - y;
                ((implied - a).abs() > 1).then(|| {
                    let args = [
                        ("age", a.to_string()),
                        ("year", y.to_string()),
                        ("implied", implied.to_string()),
                        ("at", year.to_string()),
                    ];
                    let args: Vec<(&str, &str)> =
                        args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    (
                        vec![age.as_str(), birth_year.as_str()],
                        self.m("rule-age", &args),
                    )
                })
            }
            Rule::CrossBorder { flag, from, to } => {
                let cross = data.get(flag)?.as_bool()?;
                let (a, b) = (text(data, from)?, text(data, to)?);
                let vars = vec![flag.as_str(), from.as_str(), to.as_str()];
                if cross && a == b {
                    Some((
                        vars,
                        self.m(
                            "rule-cross-border-same",
                            &[("from", from), ("to", to), ("country", a)],
                        ),
                    ))
                } else if !cross && a != b {
                    Some((
                        vars,
                        self.m(
                            "rule-cross-border-diff",
                            &[("from", from), ("a", a), ("to", to), ("b", b)],
                        ),
                    ))
                } else {
                    None
                }
            }
        }
    }
}

fn rule_name(rule: &Rule) -> &'static str {
    match rule {
        Rule::DateOrder { .. } => "date_order",
        Rule::Requires { .. } => "requires",
        Rule::AgeBirthYear { .. } => "age_birth_year",
        Rule::CrossBorder { .. } => "cross_border",
    }
}

fn text<'a>(data: &'a Map<String, Value>, var: &str) -> Option<&'a str> {
    data.get(var).and_then(Value::as_str)
}

fn has_code(data: &Map<String, Value>, var: &str, codes: &[String]) -> bool {
    match data.get(var) {
        None => false,
        Some(_) if codes.is_empty() => true,
        Some(Value::String(s)) => codes.contains(s),
        Some(Value::Array(a)) => a
            .iter()
            .any(|v| v.as_str().is_some_and(|s| codes.iter().any(|c| c == s))),
        Some(_) => false,
    }
}
