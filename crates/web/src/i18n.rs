//! Interface languages (Project Fluent files under `locales/`), chosen per user, and number and
//! date formatting per locale. Adding a language is a folder of `.ftl` files plus its code in
//! [`UI_LANGUAGES`]; no other code changes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::http::{HeaderMap, header};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// Languages the interface is translated into.
pub const UI_LANGUAGES: &[&str] = &["en", "fr"];

/// The supported language matching `tag` (`fr-CF` → `fr`), if any.
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    UI_LANGUAGES.iter().copied().find(|l| *l == primary)
}

/// The cookie that keeps a language chosen with `?lang=` (the EN/FR switch) for the rest of
/// the browser session, signed in or not.
pub const LANG_COOKIE: &str = "tessera-lang";

/// The language kept in the [`LANG_COOKIE`], if any and supported.
pub fn cookie_lang(headers: &HeaderMap) -> Option<&'static str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == LANG_COOKIE)
        .and_then(|(_, v)| supported(v))
}

/// The language of an anonymous request: `?lang=`, else the language kept for the session
/// ([`LANG_COOKIE`]), else the first supported `Accept-Language`.
pub fn negotiate(query_lang: Option<&str>, headers: &HeaderMap) -> &'static str {
    if let Some(l) = query_lang.and_then(supported) {
        return l;
    }
    if let Some(l) = cookie_lang(headers) {
        return l;
    }
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    accept
        .split(',')
        .filter_map(|part| supported(part.split(';').next().unwrap_or("").trim()))
        .next()
        .unwrap_or("en")
}

fn id(lang: &str) -> LanguageIdentifier {
    lang.parse().unwrap_or_default()
}

/// Every message key, read from the English file (the reference every language must complete).
fn keys() -> impl Iterator<Item = &'static str> {
    include_str!("../locales/en/main.ftl")
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once(" ="))
        .map(|(k, _)| k.trim())
}

/// Every message of the interface in `lang`, computed once per language.
pub fn messages(lang: &str) -> Arc<HashMap<String, String>> {
    static CACHE: OnceLock<HashMap<&'static str, Arc<HashMap<String, String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        UI_LANGUAGES
            .iter()
            .map(|l| {
                let lid = id(l);
                let map = keys()
                    .map(|k| (k.to_string(), LOCALES.lookup(&lid, k)))
                    .collect();
                (*l, Arc::new(map))
            })
            .collect()
    });
    let lang = supported(lang).unwrap_or("en");
    cache.get(lang).cloned().unwrap_or_default()
}

/// One message with arguments (numbers are passed as numbers so plurals work).
pub fn tr(lang: &str, key: &str, args: &[(&str, Arg)]) -> String {
    let mut map: HashMap<Cow<'static, str>, FluentValue> = HashMap::new();
    for (k, v) in args {
        let value = match v {
            Arg::Str(s) => FluentValue::from(s.clone()),
            Arg::Num(n) => FluentValue::from(*n),
        };
        map.insert(Cow::Owned((*k).to_string()), value);
    }
    LOCALES
        .lookup_with_args(&id(lang), key, &map)
        .replace(['\u{2068}', '\u{2069}'], "")
}

/// An argument of [`tr`].
pub enum Arg {
    Str(String),
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Str(s.to_string())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Str(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Num(n)
    }
}

/// A whole number with the locale's digit grouping.
pub fn number(n: i64, lang: &str) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = if lang == "fr" { '\u{202f}' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// A date (`YYYY-MM-DD…` as stored) in the locale's order: 23 Nov 2026 / 23 nov. 2026.
pub fn date(iso: &str, lang: &str) -> String {
    let d = iso.get(..10).unwrap_or(iso);
    let mut parts = d.split('-');
    let (Some(y), Some(m), Some(day)) = (parts.next(), parts.next(), parts.next()) else {
        return iso.to_string();
    };
    let Ok(mi) = m.parse::<usize>() else {
        return iso.to_string();
    };
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const FR: [&str; 12] = [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ];
    let names = if lang == "fr" { &FR } else { &EN };
    match names.get(mi.wrapping_sub(1)) {
        Some(name) => format!("{} {name} {y}", day.trim_start_matches('0')),
        None => iso.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_every_language() {
        let en = messages("en");
        assert!(en.len() > 50, "the English file defines the interface");
        for lang in UI_LANGUAGES {
            let ftl = std::fs::read_to_string(format!(
                "{}/locales/{lang}/main.ftl",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            for key in en.keys() {
                assert!(
                    ftl.lines().any(|l| l.starts_with(&format!("{key} ="))),
                    "{lang} lacks {key}"
                );
            }
        }
        assert_ne!(messages("fr")["nav-home"], en["nav-home"]);
    }

    #[test]
    fn numbers_and_dates_follow_the_locale() {
        assert_eq!(number(1234567, "en"), "1,234,567");
        assert_eq!(number(1234567, "fr"), "1\u{202f}234\u{202f}567");
        assert_eq!(number(-12, "en"), "-12");
        assert_eq!(date("2026-11-03", "en"), "3 Nov 2026");
        assert_eq!(date("2026-02-23T10:00:00Z", "fr"), "23 févr. 2026");
        assert_eq!(date("garbage", "fr"), "garbage");
    }

    #[test]
    fn language_comes_from_query_then_accept_language() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            "de-DE,fr-CF;q=0.9,en;q=0.5".parse().unwrap(),
        );
        assert_eq!(negotiate(None, &h), "fr");
        assert_eq!(negotiate(Some("en"), &h), "en");
        assert_eq!(negotiate(Some("xx"), &HeaderMap::new()), "en");
        // The language chosen earlier in the session comes before the browser's.
        h.insert(
            header::COOKIE,
            "tessera=abc; tessera-lang=en".parse().unwrap(),
        );
        assert_eq!(negotiate(None, &h), "en");
        assert_eq!(negotiate(Some("fr"), &h), "fr");
        h.insert(header::COOKIE, "tessera-lang=xx".parse().unwrap());
        assert_eq!(negotiate(None, &h), "fr", "an unknown language is ignored");
    }

    #[test]
    fn plurals_use_the_language_rules() {
        assert_eq!(
            tr("en", "rows-stored", &[("count", 1.into())]),
            "One record stored."
        );
        assert_eq!(
            tr("fr", "rows-stored", &[("count", 2.into())]),
            "2 fiches enregistrées."
        );
    }
}
