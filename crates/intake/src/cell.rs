use std::io::Write as _;

use serde_json::{Map, Value};
use tessera_dictionary::{
    AgeBand, Code, CodeList, Dictionary, Entity, IdentifierKind, Rule, VarType, Variable,
};
use tessera_pseudonym::{Encoder, Identifiers};
use time::Date;

use crate::IntakeRecord;
use crate::messages::msg;
use crate::repair::{Repair, RepairKind};
use crate::report::CellError;

/// Checks the cells of one entity's records against the dictionary.
pub struct Validator<'d> {
    dict: &'d Dictionary,
    entity: &'d Entity,
    encoder: &'d dyn Encoder,
    lang: String,
    /// Multi-valued cells may also be separated by spaces (ODK/Kobo exports write codes that way).
    space_separated: bool,
    /// The day dates are checked against: a date after it (by more than a day, for time zones
    /// ahead of UTC) is refused as being in the future.
    today: Date,
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

/// An integer, or a whole number written with a zero decimal part (`34.0`, `34,00`: what pandas
/// writes for a column of integers with a gap, or a spreadsheet formatted with decimals). The
/// flag says the value was written so, and is reported as repaired.
fn parse_whole(s: &str) -> Option<(i64, bool)> {
    if let Ok(n) = s.parse::<i64>() {
        return Some((n, false));
    }
    let (int, frac) = s.split_once(['.', ','])?;
    if frac.is_empty()
        || !frac.bytes().all(|b| b == b'0')
        || !int.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    int.parse::<i64>().ok().map(|n| (n, true))
}

/// What a number written for a code may stand for once the zeros a spreadsheet or pandas dropped
/// are put back (`204` or `204.0` for ICCS `0204`).
enum Padded<'l> {
    None,
    One(&'l Code, RepairKind),
    Several(Vec<&'l Code>),
}

fn zero_padded<'l>(list: &'l CodeList, input: &str) -> Padded<'l> {
    let (digits, decimals) = match input.split_once('.') {
        Some((d, z)) if !z.is_empty() && z.bytes().all(|b| b == b'0') => (d, true),
        Some(_) => return Padded::None,
        None => (input, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Padded::None;
    }
    let found: Vec<&Code> = list
        .codes
        .iter()
        .filter(|c| {
            c.code.len() >= digits.len()
                && c.code.ends_with(digits)
                && c.code[..c.code.len() - digits.len()]
                    .bytes()
                    .all(|b| b == b'0')
                && (decimals || c.code.len() > digits.len())
        })
        .collect();
    match found.as_slice() {
        [] => Padded::None,
        [one] if one.code.len() == digits.len() => Padded::One(one, RepairKind::WholeNumber),
        [one] => Padded::One(one, RepairKind::LeadingZeros),
        _ => Padded::Several(found),
    }
}

/// Whether a (possibly partial) date of birth lies after `today`, at the precision it was given.
fn birth_in_future(b: &tessera_pseudonym::BirthDate, today: Date) -> bool {
    let y = today.year();
    let m = u8::from(today.month());
    match (b.month, b.day) {
        (Some(month), Some(day)) => (b.year, month, day) > (y, m, today.day()),
        (Some(month), None) => (b.year, month) > (y, m),
        _ => b.year > y,
    }
}

/// Whether a date of birth, as written, is in the future (a date that is not one is reported
/// otherwise).
pub(crate) fn birth_date_in_future(raw: &str, today: Date) -> bool {
    tessera_pseudonym::BirthDate::parse(raw)
        .is_some_and(|b| birth_in_future(&b, today.next_day().unwrap_or(today)))
}

/// Today, in UTC.
pub(crate) fn utc_today() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// The codes of a cell whose choices are joined by spaces, when the words can be cut into codes
/// or labels of `list` in exactly one way (a label may itself hold spaces); `None` otherwise.
fn space_joined<'l>(list: &'l CodeList, cell: &str) -> Option<Vec<&'l str>> {
    /// Most words of one label.
    const LONGEST: usize = 16;
    let words: Vec<&str> = cell.split_whitespace().collect();
    if words.len() < 2 || words.len() > 512 {
        return None;
    }
    // ways[i]: the number of cuts of words[..i] (capped at 2) and the last code of one of them.
    let mut ways: Vec<(u8, usize, Option<&'l str>)> = vec![(0, 0, None); words.len() + 1];
    ways[0] = (1, 0, None);
    for end in 1..=words.len() {
        for start in end.saturating_sub(LONGEST)..end {
            if ways[start].0 == 0 {
                continue;
            }
            if let Some(code) = list.resolve(&words[start..end].join(" ")) {
                let n = ways[end].0.saturating_add(ways[start].0).min(2);
                ways[end] = (n, start, Some(code));
            }
        }
    }
    if ways[words.len()].0 != 1 {
        return None;
    }
    let mut codes = Vec::new();
    let mut at = words.len();
    while at > 0 {
        let (_, start, code) = ways[at];
        codes.push(code?);
        at = start;
    }
    codes.reverse();
    Some(codes)
}

fn suggest(list: &CodeList, input: &str, lang: &str) -> Option<String> {
    list.closest(input)
        .map(|code| format!("{} ({})", code.code, code.label.get(lang)))
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
            today: utc_today(),
        }
    }

    /// Checks dates against `today` rather than the current date (tests, or re-checking a file
    /// as of the day it was sent).
    pub fn as_of(mut self, today: Date) -> Validator<'d> {
        self.today = today;
        self
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

    fn cell<'a>(
        &self,
        var: &Variable,
        raw: &'a str,
        row: usize,
        column: &str,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<Val<'a>>
    where
        'd: 'a,
    {
        let mut fail = |rule: &str, message: String, suggestion: Option<String>| {
            errors.push(CellError {
                suggestion,
                ..CellError::new(row, column, raw, rule, message)
            });
            None
        };
        let s = raw.trim();
        let mut repaired = |to: &str, kind: RepairKind, from: &str| {
            repairs.push(Repair {
                row,
                column: column.to_string(),
                from: from.to_string(),
                to: to.to_string(),
                kind,
            });
        };
        // The last day accepted: tomorrow in UTC is already today east of Greenwich.
        let latest = self.today.next_day().unwrap_or(self.today);
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
                Val::Str(s)
            }
            VarType::Integer { min, max } => match parse_whole(s) {
                Some((n, whole)) if (*min..=*max).contains(&n) => {
                    if whole {
                        repaired(&n.to_string(), RepairKind::WholeNumber, s);
                    }
                    Val::Int(n)
                }
                Some((n, _)) => {
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
                None => return fail("integer", self.m("cell-integer", &[]), None),
            },
            VarType::Decimal { min, max } => match s.replace(',', ".").parse::<f64>() {
                Ok(n) if n.is_finite() && (*min..=*max).contains(&n) => Val::Float(n),
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
                Some(b) => Val::Bool(b),
                None => return fail("boolean", self.m("cell-boolean", &[]), None),
            },
            VarType::Date => match parse_date(s) {
                Some(d) if d > latest => {
                    return fail(
                        "future",
                        self.m(
                            "cell-future",
                            &[("date", &date_text(d)), ("today", &date_text(self.today))],
                        ),
                        None,
                    );
                }
                Some(d) => Val::Owned(date_text(d)),
                None => return fail("date", self.m("cell-date", &[]), None),
            },
            VarType::Year { min, max } => match parse_whole(s) {
                Some((y, _)) if y > i64::from(latest.year()) && (*min..=*max).contains(&y) => {
                    return fail(
                        "future",
                        self.m(
                            "cell-year-future",
                            &[("year", &y.to_string()), ("today", &date_text(self.today))],
                        ),
                        None,
                    );
                }
                Some((y, whole)) if (*min..=*max).contains(&y) => {
                    if whole {
                        repaired(&y.to_string(), RepairKind::WholeNumber, s);
                    }
                    Val::Int(y)
                }
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
                    // ODK and Kobo join the choices of one answer with spaces, labels too
                    // (Kobo's default export): "Sexual exploitation Forced labour".
                    if multi
                        && self.space_separated
                        && let Some(found) = space_joined(list, part)
                    {
                        for c in found {
                            push(c);
                        }
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
                            None => match zero_padded(list, p) {
                                Padded::One(code, kind) => {
                                    repaired(&code.code, kind, p);
                                    push(code.code.as_str());
                                }
                                Padded::Several(codes) => {
                                    let message = self.m(
                                        "cell-code-zeros",
                                        &[("value", p), ("list", list.label.get(&self.lang))],
                                    );
                                    let suggestion = codes
                                        .iter()
                                        .map(|c| {
                                            format!("{} ({})", c.code, c.label.get(&self.lang))
                                        })
                                        .collect::<Vec<_>>()
                                        .join(" / ");
                                    errors.push(CellError {
                                        suggestion: Some(suggestion),
                                        ..CellError::new(row, column, p, "code", message)
                                    });
                                    return None;
                                }
                                Padded::None => {
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
                            },
                        }
                    }
                }
                if multi {
                    Val::Codes(codes)
                } else {
                    Val::Str(codes.first().copied().unwrap_or_default())
                }
            }
        };
        Some(value)
    }

    /// Validates one row given as (column as written, variable, raw text) triples. Empty cells are
    /// absent values. Returns the record or pushes errors.
    /// Values repaired on reading (`34.0`, a code missing its leading zeros) are pushed to
    /// `repairs`, for the report.
    pub fn record(
        &self,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<IntakeRecord> {
        self.record_token(row, cells, None, errors, repairs)
    }

    /// [`Validator::record`] for a row whose identifiers may arrive already encoded, as the token
    /// of its `pseudonyms` column (see `tessera pseudonymise`).
    pub fn record_token(
        &self,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<IntakeRecord> {
        let (fields, pseudonyms) = self.fields(row, cells, token, errors, repairs)?;
        let data: Map<String, Value> = fields
            .0
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect();
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

    /// [`Validator::record`] straight to the stored form: the JSON text is written from the
    /// cells, byte for byte what `serde_json` writes for the record's `data`, without building
    /// the map.
    pub fn encoded_record(
        &self,
        row: usize,
        cells: &[(&str, &Variable, &str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<EncodedRecord> {
        let (fields, pseudonyms) = self.fields(row, cells, token, errors, repairs)?;
        let mut sorted: Vec<&(&str, Val<'_>)> = fields.0.iter().collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut json = Vec::with_capacity(64 + 24 * sorted.len());
        json.push(b'{');
        for (i, (key, val)) in sorted.iter().enumerate() {
            if i > 0 {
                json.push(b',');
            }
            write_json_str(&mut json, key);
            json.push(b':');
            val.write_json(&mut json);
        }
        json.push(b'}');
        Some(EncodedRecord {
            provider_ref: fields.text("provider_ref").unwrap_or_default().to_string(),
            // Only valid UTF-8 was written (text cells and JSON escapes).
            json: String::from_utf8(json).unwrap_or_else(|_| "{}".into()),
            birth_year: fields.get("birth_year").and_then(Val::as_i64),
            pseudonyms,
            source_row: row,
        })
    }

    /// The checked values of one row and its pseudonyms, or `None` with errors pushed. The
    /// pseudonyms come from the identifying cells, or from `token` when the provider encoded
    /// them before sending; a row with both is refused (which one is right cannot be known).
    fn fields<'a>(
        &self,
        row: usize,
        cells: &[(&'a str, &'a Variable, &'a str)],
        token: Option<&str>,
        errors: &mut Vec<CellError>,
        repairs: &mut Vec<Repair>,
    ) -> Option<(Fields<'a>, Option<tessera_pseudonym::Pseudonyms>)>
    where
        'd: 'a,
    {
        let before = errors.len();
        let mut data = Fields(Vec::with_capacity(cells.len() + 2));
        let mut ids = Identifiers::default();
        for (column, var, raw) in cells {
            if raw.trim().is_empty() {
                continue;
            }
            if let Some(kind) = var.identifying {
                // Identifying text is never stored: it only feeds the encoder below.
                *identifier_slot(&mut ids, kind) = Some(*raw);
                continue;
            }
            if let Some(v) = self.cell(var, raw, row, column, errors, repairs) {
                data.set(var.code.as_str(), v);
            }
        }
        let column_of = |code: &str| {
            cells
                .iter()
                .find(|(_, v, _)| v.code == code)
                .map(|(col, _, _)| col.to_string())
                .unwrap_or_else(|| code.to_string())
        };
        for var in self.entity.variables.iter().filter(|v| v.required) {
            if data.get(&var.code).is_none()
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
        if let Some(raw) = ids.birth_date {
            // The value is identifying: the report names the cell but never repeats it.
            if tessera_pseudonym::BirthDate::parse(raw).is_none() {
                errors.push(CellError::new(
                    row,
                    column_of("birth_date"),
                    "",
                    "birth_date",
                    self.m("cell-birth-date", &[]),
                ));
            } else if birth_date_in_future(raw, self.today) {
                errors.push(CellError::new(
                    row,
                    column_of("birth_date"),
                    "",
                    "future",
                    self.m("cell-birth-future", &[]),
                ));
            }
        }
        let token = token.map(str::trim).filter(|t| !t.is_empty());
        let decoded = match token.map(tessera_pseudonym::Pseudonyms::from_token) {
            None => None,
            Some(Ok(p)) if ids.is_empty() => Some(p),
            Some(Ok(_)) => {
                errors.push(CellError::new(
                    row,
                    crate::PSEUDONYMS_COLUMN,
                    "",
                    "pseudonyms",
                    self.m("cell-token-and-clear", &[]),
                ));
                None
            }
            Some(Err(_)) => {
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
        };
        if errors.len() == before {
            for rule in &self.entity.rules {
                if let Some((vars, message)) = self.check_rule(rule, &data) {
                    let value = vars
                        .iter()
                        .filter_map(|v| data.get(v))
                        .map(|v| v.to_value().to_string().trim_matches('"').to_string())
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
        if let (Some(age), None) = (data.get("age").and_then(Val::as_i64), data.get("age_band"))
            && self.entity.variable("age_band").is_some()
            && let Ok(band) = AgeBand::from_age(age)
        {
            data.set("age_band", Val::Str(band.code()));
        }
        let pseudonyms = decoded.or_else(|| (!ids.is_empty()).then(|| self.encoder.encode(&ids)));
        if let Some(p) = &pseudonyms
            && let (Some(y), true, false) = (
                p.birth_year,
                self.entity.variable("birth_year").is_some(),
                data.get("birth_year").is_some(),
            )
        {
            data.set("birth_year", Val::Int(i64::from(y)));
        }
        Some((data, pseudonyms))
    }

    /// A broken cross-field rule: the variables involved and a message.
    fn check_rule<'r>(&self, rule: &'r Rule, data: &Fields<'_>) -> Option<(Vec<&'r str>, String)> {
        match rule {
            Rule::DateOrder { earlier, later } => {
                let (a, b) = (data.text(earlier)?, data.text(later)?);
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
                let year: i64 = data.text(at)?.get(..4)?.parse().ok()?;
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
                let (a, b) = (data.text(from)?, data.text(to)?);
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

fn has_code(data: &Fields<'_>, var: &str, codes: &[String]) -> bool {
    match data.get(var) {
        None => false,
        Some(_) if codes.is_empty() => true,
        Some(Val::Str(s)) => codes.iter().any(|c| c.as_str() == *s),
        Some(Val::Owned(s)) => codes.contains(s),
        Some(Val::Codes(a)) => a.iter().any(|s| codes.iter().any(|c| c.as_str() == *s)),
        Some(_) => false,
    }
}

/// A checked value, borrowing the cell's text or the dictionary's code where it can.
#[derive(Debug, Clone, PartialEq)]
enum Val<'a> {
    Str(&'a str),
    Owned(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Codes(Vec<&'a str>),
}

impl Val<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            Val::Owned(s) => Some(s),
            _ => None,
        }
    }

    fn as_i64(&self) -> Option<i64> {
        match self {
            Val::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as stored in [`IntakeRecord::data`].
    fn to_value(&self) -> Value {
        match self {
            Val::Str(s) => Value::String(s.to_string()),
            Val::Owned(s) => Value::String(s.clone()),
            Val::Int(n) => Value::from(*n),
            Val::Float(f) => Value::from(*f),
            Val::Bool(b) => Value::Bool(*b),
            Val::Codes(c) => Value::Array(c.iter().map(|s| Value::String(s.to_string())).collect()),
        }
    }

    /// Appends what `serde_json` writes for [`Val::to_value`].
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Val::Str(s) => write_json_str(out, s),
            Val::Owned(s) => write_json_str(out, s),
            Val::Int(n) => {
                // Writing into a vector cannot fail.
                let _ = write!(out, "{n}");
            }
            Val::Float(f) => {
                if serde_json::to_writer(&mut *out, &Value::from(*f)).is_err() {
                    out.extend_from_slice(b"null");
                }
            }
            Val::Bool(true) => out.extend_from_slice(b"true"),
            Val::Bool(false) => out.extend_from_slice(b"false"),
            Val::Codes(c) => {
                out.push(b'[');
                for (i, s) in c.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_json_str(out, s);
                }
                out.push(b']');
            }
        }
    }
}

/// A JSON string as `serde_json` writes it (the same escapes).
fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

/// A date as `time` displays it (`YYYY-MM-DD`), without the formatting machinery for the years
/// every record has.
fn date_text(d: Date) -> String {
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    if (1000..=9999).contains(&y) {
        let mut s = String::with_capacity(10);
        for n in [y / 1000, y / 100 % 10, y / 10 % 10, y % 10] {
            s.push(char::from(b'0' + n as u8));
        }
        s.push('-');
        s.push(char::from(b'0' + m / 10));
        s.push(char::from(b'0' + m % 10));
        s.push('-');
        s.push(char::from(b'0' + day / 10));
        s.push(char::from(b'0' + day % 10));
        s
    } else {
        d.to_string()
    }
}

/// The checked values of one record by variable code, in the order they were set; setting a
/// code again replaces its value, as a map would.
#[derive(Debug, Default)]
struct Fields<'a>(Vec<(&'a str, Val<'a>)>);

impl<'a> Fields<'a> {
    fn get(&self, code: &str) -> Option<&Val<'a>> {
        self.0.iter().find(|(k, _)| *k == code).map(|(_, v)| v)
    }

    fn text(&self, code: &str) -> Option<&str> {
        self.get(code).and_then(Val::as_str)
    }

    fn set(&mut self, code: &'a str, value: Val<'a>) {
        match self.0.iter_mut().find(|(k, _)| *k == code) {
            Some(slot) => slot.1 = value,
            None => self.0.push((code, value)),
        }
    }
}

/// Where a value of an identifying variable goes among the encoder's inputs.
pub(crate) fn identifier_slot<'a, 'b>(
    ids: &'b mut Identifiers<'a>,
    kind: IdentifierKind,
) -> &'b mut Option<&'a str> {
    match kind {
        IdentifierKind::GivenName => &mut ids.given_name,
        IdentifierKind::FamilyName => &mut ids.family_name,
        IdentifierKind::BirthDate => &mut ids.birth_date,
        IdentifierKind::IdNumber => &mut ids.id_number,
        IdentifierKind::Phone => &mut ids.phone,
        IdentifierKind::FatherName => &mut ids.father_name,
        IdentifierKind::MotherName => &mut ids.mother_name,
    }
}

/// A validated record in its stored form: the JSON text of its values and its pseudonyms.
#[derive(Debug, Clone)]
pub struct EncodedRecord {
    pub provider_ref: String,
    /// What `serde_json` writes for the same record's [`IntakeRecord::data`].
    pub json: String,
    /// The `birth_year` value, when the record has one.
    pub birth_year: Option<i64>,
    pub pseudonyms: Option<tessera_pseudonym::Pseudonyms>,
    /// 1-based row of the source, as a spreadsheet shows it, for messages.
    pub source_row: usize,
}
