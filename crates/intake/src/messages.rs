//! Validation messages in the user's language (Project Fluent files under `locales/`).

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
    };
}

/// Languages the validation messages are written in.
pub const MESSAGE_LANGUAGES: &[&str] = &["en", "fr"];

/// The message `key` in `lang` (English when the language has no translation).
pub fn msg(lang: &str, key: &str, args: &[(&str, &str)]) -> String {
    let id: LanguageIdentifier = lang.parse().unwrap_or_default();
    let map: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(k, v)| (Cow::Owned(k.to_string()), FluentValue::from(v.to_string())))
        .collect();
    LOCALES
        .lookup_with_args(&id, key, &map)
        .replace(['\u{2068}', '\u{2069}'], "")
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_message_is_translated() {
        let en = include_str!("../locales/en/intake.ftl");
        let fr = include_str!("../locales/fr/intake.ftl");
        let keys = |s: &str| {
            s.lines()
                .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.to_string()))
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(keys(en), keys(fr));
        assert_eq!(
            super::msg("fr", "cell-integer", &[]),
            "ce n'est pas un nombre entier"
        );
        assert_eq!(
            super::msg("en", "col-missing", &[("code", "sex")]),
            "required column “sex” is missing"
        );
    }
}
