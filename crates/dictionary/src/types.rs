//! Domain types that cannot hold a bad value: the only way in is `parse`, so code that receives
//! one never checks it again.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

use crate::model::Dictionary;

/// Why a value was refused by a domain type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TypeError {
    #[error(
        "\"{0}\" is not a valid provider identifier: use 2–63 characters among a–z, 0–9 and -, starting with a letter or digit"
    )]
    ProviderId(String),
    #[error("\"{0}\" is not an ISO 3166-1 alpha-2 country code")]
    Country(String),
    #[error("\"{0}\" is not an age band (expected one of {1})")]
    AgeBand(String, String),
    #[error("age {0} is outside 0–120")]
    Age(i64),
    #[error("\"{0}\" is not a year between 1900 and 2100")]
    Year(String),
    #[error("\"{0}\" is not a supported language")]
    Lang(String),
    #[error("\"{0}\" is not a type of provider in the dictionary; {1}")]
    ProviderType(String, String),
    #[error(
        "\"{0}\" is not a role (expected admin, coordinator, analyst, focal_point, viewer or partner)"
    )]
    Role(String),
    #[error("\"{0}\" is not a region of the dictionary; {1}")]
    Region(String, String),
    #[error("\"{0}\" is not an entity of the dictionary; {1}")]
    Entity(String, String),
}

/// Identifier of a data provider, e.g. `police-bangui` — lowercase, URL- and file-name-safe.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ProviderId(String);

impl ProviderId {
    pub fn parse(s: &str) -> Result<ProviderId, TypeError> {
        let ok = (2..=63).contains(&s.len())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(ProviderId(s.to_string()))
        } else {
            Err(TypeError::ProviderId(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn iso_countries() -> &'static HashSet<String> {
    static CODES: OnceLock<HashSet<String>> = OnceLock::new();
    CODES.get_or_init(|| {
        // The embedded code list is the single source of the ISO list; read its `code = "XX"` lines.
        include_str!("../../../dictionary/base/codelists/country.toml")
            .lines()
            .filter_map(|l| l.strip_prefix("code = \""))
            .filter_map(|l| l.strip_suffix('"'))
            .map(str::to_string)
            .collect()
    })
}

/// An ISO 3166-1 alpha-2 country code (plus `XX`, unknown or stateless).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(s: &str) -> Result<CountryCode, TypeError> {
        let up = s.trim().to_ascii_uppercase();
        let b = up.as_bytes();
        if b.len() == 2 && b.iter().all(u8::is_ascii_uppercase) && iso_countries().contains(&up) {
            Ok(CountryCode([b[0], b[1]]))
        } else {
            Err(TypeError::Country(s.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII letters can be stored, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("XX")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Age bands of the dictionary's `age_band` code list: GLOTIP's child/adult split and Eurostat's
/// finer classes, derived from exact age when it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum AgeBand {
    #[serde(rename = "0-11")]
    Age0To11,
    #[serde(rename = "12-17")]
    Age12To17,
    #[serde(rename = "18-24")]
    Age18To24,
    #[serde(rename = "25-34")]
    Age25To34,
    #[serde(rename = "35-44")]
    Age35To44,
    #[serde(rename = "45-54")]
    Age45To54,
    #[serde(rename = "55+")]
    Age55Plus,
    #[serde(rename = "CHILD")]
    ChildUnknownAge,
    #[serde(rename = "ADULT")]
    AdultUnknownAge,
    #[serde(rename = "UNK")]
    Unknown,
}

impl AgeBand {
    pub const ALL: [AgeBand; 10] = [
        AgeBand::Age0To11,
        AgeBand::Age12To17,
        AgeBand::Age18To24,
        AgeBand::Age25To34,
        AgeBand::Age35To44,
        AgeBand::Age45To54,
        AgeBand::Age55Plus,
        AgeBand::ChildUnknownAge,
        AgeBand::AdultUnknownAge,
        AgeBand::Unknown,
    ];

    pub fn from_age(age: i64) -> Result<AgeBand, TypeError> {
        Ok(match age {
            0..=11 => AgeBand::Age0To11,
            12..=17 => AgeBand::Age12To17,
            18..=24 => AgeBand::Age18To24,
            25..=34 => AgeBand::Age25To34,
            35..=44 => AgeBand::Age35To44,
            45..=54 => AgeBand::Age45To54,
            55..=120 => AgeBand::Age55Plus,
            _ => return Err(TypeError::Age(age)),
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Age0To11 => "0-11",
            AgeBand::Age12To17 => "12-17",
            AgeBand::Age18To24 => "18-24",
            AgeBand::Age25To34 => "25-34",
            AgeBand::Age35To44 => "35-44",
            AgeBand::Age45To54 => "45-54",
            AgeBand::Age55Plus => "55+",
            AgeBand::ChildUnknownAge => "CHILD",
            AgeBand::AdultUnknownAge => "ADULT",
            AgeBand::Unknown => "UNK",
        }
    }

    pub fn parse(s: &str) -> Result<AgeBand, TypeError> {
        let t = s.trim().to_ascii_uppercase();
        AgeBand::ALL
            .into_iter()
            .find(|b| b.code() == t)
            .ok_or_else(|| {
                TypeError::AgeBand(
                    s.to_string(),
                    AgeBand::ALL
                        .iter()
                        .map(|b| b.code())
                        .collect::<Vec<_>>()
                        .join(", "),
                )
            })
    }

    /// Under 18 (Palermo Protocol art. 3(d)); `None` when not known.
    pub fn is_child(self) -> Option<bool> {
        match self {
            AgeBand::Age0To11 | AgeBand::Age12To17 | AgeBand::ChildUnknownAge => Some(true),
            AgeBand::Unknown => None,
            _ => Some(false),
        }
    }
}

/// A calendar year within the range the dictionary accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Year(i32);

impl Year {
    pub fn parse(s: &str) -> Result<Year, TypeError> {
        match s.trim().parse::<i32>() {
            Ok(y) if (1900..=2100).contains(&y) => Ok(Year(y)),
            _ => Err(TypeError::Year(s.to_string())),
        }
    }

    pub fn new(y: i32) -> Result<Year, TypeError> {
        Year::parse(&y.to_string())
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A user-interface language the dictionary has labels for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Lang(String);

impl Lang {
    pub fn parse(dict: &Dictionary, s: &str) -> Result<Lang, TypeError> {
        let l = s.trim().to_ascii_lowercase();
        if dict.languages.contains(&l) {
            Ok(Lang(l))
        } else {
            Err(TypeError::Lang(s.to_string()))
        }
    }

    pub fn english() -> Lang {
        Lang("en".into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A type of data provider from the dictionary's (extensible) `provider_type` code list.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct ProviderType(String);

impl ProviderType {
    pub fn parse(dict: &Dictionary, s: &str) -> Result<ProviderType, TypeError> {
        let list = dict.codelist("provider_type");
        list.and_then(|l| l.resolve(s))
            .map(|c| ProviderType(c.to_string()))
            .ok_or_else(|| {
                let hint = match list.and_then(|l| l.closest(s)) {
                    Some(c) => format!("did you mean {}?", c.code),
                    None => format!(
                        "the types are {}",
                        list.map(|l| {
                            l.codes
                                .iter()
                                .map(|c| c.code.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        })
                        .unwrap_or_default()
                    ),
                };
                TypeError::ProviderType(s.to_string(), hint)
            })
    }

    /// A value read back from the store, where it was written after [`ProviderType::parse`].
    /// Not for input: anything a user sends goes through `parse`.
    pub fn from_stored(s: String) -> ProviderType {
        ProviderType(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Dictionary {
    /// A region of the deployment's extension (the `region` code list), from its code or its
    /// label in any language; refused with the closest region, or with the reason there is none.
    /// The CLI, the web pages and the API all check regions here.
    pub fn region_code(&self, s: &str) -> Result<&str, TypeError> {
        let list = self.codelist("region");
        if let Some(code) = list.and_then(|l| l.resolve(s)) {
            return Ok(code);
        }
        let hint = match list.and_then(|l| l.closest(s)) {
            Some(c) => format!("did you mean {}?", c.code),
            None if list.is_none_or(|l| l.codes.is_empty()) => {
                "the dictionary has none: load the country's extension (tessera init --extension)"
                    .to_string()
            }
            None => "tessera dictionary lists the regions".to_string(),
        };
        Err(TypeError::Region(s.trim().to_string(), hint))
    }

    /// An entity of the dictionary (`victim`, `suspect`, …), refused with the closest one.
    pub fn entity_id(&self, s: &str) -> Result<&str, TypeError> {
        let e = s.trim();
        if let Some((id, _)) = self.entities.get_key_value(e) {
            return Ok(id);
        }
        let near = self
            .entities
            .keys()
            .map(|k| (crate::model::levenshtein(e, k), k))
            .filter(|(d, _)| *d <= 3)
            .min_by_key(|(d, _)| *d);
        let hint = match near {
            Some((_, k)) => format!("did you mean {k}?"),
            None => format!(
                "the entities are {}",
                self.entities
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Err(TypeError::Entity(e.to_string(), hint))
    }
}

/// What a user may do. Least privilege: each role sees only what its work needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users, providers and the system; does not need case data.
    Admin,
    /// National coordinator: reviews and approves submissions of every provider.
    Coordinator,
    /// Sees pseudonymised case-level data of every provider, for analysis.
    Analyst,
    /// Enters and submits records for their own provider.
    FocalPoint,
    /// Reads their own provider's records.
    Viewer,
    /// Partner organisation: disclosure-controlled aggregates only.
    Partner,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Coordinator,
        Role::Analyst,
        Role::FocalPoint,
        Role::Viewer,
        Role::Partner,
    ];

    pub fn parse(s: &str) -> Result<Role, TypeError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| TypeError::Role(s.to_string()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Coordinator => "coordinator",
            Role::Analyst => "analyst",
            Role::FocalPoint => "focal_point",
            Role::Viewer => "viewer",
            Role::Partner => "partner",
        }
    }

    /// Roles tied to one provider, who must never see another provider's records.
    pub fn is_provider_bound(self) -> bool {
        matches!(self, Role::FocalPoint | Role::Viewer)
    }
}
