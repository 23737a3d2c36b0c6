//! Sentences edited by hand before publication. Every narrative sentence of the report is
//! generated from the figures; an analyst may replace one with their own text. The edits of one
//! year's report in one language are kept in the store as a setting (`report_edits:{year}:{lang}`,
//! JSON: sentence id → text, the generated text it replaced, who and when), each change written to
//! the audit log (`report.edit_sentence`, `report.reset_sentence`).
//!
//! [`crate::from_store_published`] applies them, so the command line and the web give the same
//! text. An edit is plain text: the renderers escape it (minijinja's HTML auto-escaping; Typst
//! receives it as a JSON string and sets it as text, never as markup).

use std::collections::BTreeMap;

use tessera_store::{Store, actions};

use crate::sentences::Lang;
use crate::{Report, ReportError};

/// The longest an edited sentence may be, in characters.
pub const MAX_CHARS: usize = 2000;

/// Attempts at saving when another writer changed the same edits in between.
const ATTEMPTS: usize = 5;

/// The setting holding the edits of `year`'s report in `lang`.
pub fn setting_key(year: i32, lang: &str) -> String {
    format!("report_edits:{year}:{lang}")
}

/// One sentence edited by hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edit {
    /// The analyst's text (plain text, see [`clean`]).
    pub text: String,
    /// The generated text it replaced when it was saved: when the figures change, the generated
    /// sentence changes and the edit should be read again.
    pub generated: String,
    /// Who saved it (username).
    pub by: String,
    /// When (UTC, RFC 3339).
    pub at: String,
}

/// The edits of one year's report in one language, by sentence id.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Edits {
    #[serde(default)]
    pub sentences: BTreeMap<String, Edit>,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.sentences.is_empty()
    }

    pub fn len(&self) -> usize {
        self.sentences.len()
    }

    pub fn get(&self, id: &str) -> Option<&Edit> {
        self.sentences.get(id)
    }
}

/// What applying edits to a report did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Sentences whose text is now the analyst's, in the report's order.
    pub edited: Vec<String>,
    /// Edits not applied: their sentence is not in this report (the layout's chapters or the
    /// loaded plan changed since), or their stored text is not acceptable plain text. They stay
    /// stored until reset, and are reported, never dropped silently.
    pub stale: Vec<String>,
}

/// Why an edit is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing left once spaces are trimmed (resetting gives the generated sentence back).
    Empty,
    /// Longer than [`MAX_CHARS`].
    TooLong { max: usize, len: usize },
    /// A control or bidirectional-override character at this position (1-based, in characters).
    Control { at: usize },
    /// The report has no sentence with this id.
    UnknownSentence(String),
}

impl Refusal {
    /// A short code for each kind of refusal (the web's messages are keyed on it).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Empty => "empty",
            Refusal::TooLong { .. } => "too-long",
            Refusal::Control { .. } => "control",
            Refusal::UnknownSentence(_) => "unknown",
        }
    }

    /// The refusal as a sentence in `lang` (`en` or `fr`).
    pub fn message(&self, lang: &str) -> String {
        let l = Lang::of(lang);
        match self {
            Refusal::Empty => l
                .tr(
                    "The sentence is empty. To go back to the generated sentence, reset it.",
                    "La phrase est vide. Pour revenir à la phrase générée, rétablissez-la.",
                )
                .into(),
            Refusal::TooLong { max, len } => l
                .tr(
                    "The sentence has {len} characters; at most {max} are allowed.",
                    "La phrase compte {len} caractères ; {max} au plus sont admis.",
                )
                .replace("{len}", &len.to_string())
                .replace("{max}", &max.to_string()),
            Refusal::Control { at } => l
                .tr(
                    "The sentence holds a control character (character {at}); write plain text only.",
                    "La phrase contient un caractère de contrôle (caractère {at}) ; écrivez du texte simple uniquement.",
                )
                .replace("{at}", &at.to_string()),
            Refusal::UnknownSentence(id) => l
                .tr(
                    "This report has no sentence \"{id}\".",
                    "Ce rapport n'a pas de phrase « {id} ».",
                )
                .replace("{id}", id),
        }
    }
}

/// Characters that reorder text on display (bidirectional overrides and isolates): they could
/// make a sentence read otherwise than it is stored.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// The text as it is kept: line breaks, tabs and runs of spaces become one space, trimmed.
/// Refused when empty, longer than [`MAX_CHARS`], or holding any other control character.
pub fn clean(text: &str) -> Result<String, Refusal> {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if matches!(
            c,
            ' ' | '\t' | '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
        ) {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_control() || bidi_control(c) {
            return Err(Refusal::Control {
                at: out.chars().count() + 1,
            });
        }
        out.push(c);
    }
    if out.is_empty() {
        return Err(Refusal::Empty);
    }
    let len = out.chars().count();
    if len > MAX_CHARS {
        return Err(Refusal::TooLong {
            max: MAX_CHARS,
            len,
        });
    }
    Ok(out)
}

/// How many sentences were edited, as the report states it.
fn statement(lang: &str, n: usize) -> String {
    let l = Lang::of(lang);
    match n {
        0 => String::new(),
        1 => l
            .tr(
                "1 sentence was edited by hand before publication; every other sentence is generated from the figures.",
                "1 phrase a été modifiée à la main avant publication ; toutes les autres sont générées à partir des chiffres.",
            )
            .into(),
        n => l
            .tr(
                "{n} sentences were edited by hand before publication; every other sentence is generated from the figures.",
                "{n} phrases ont été modifiées à la main avant publication ; toutes les autres sont générées à partir des chiffres.",
            )
            .replace("{n}", &n.to_string()),
    }
}

impl Report {
    /// Replaces the text of every sentence that has an edit, marks it edited and states in the
    /// metadata how many were. Edits whose sentence this report does not have, or whose text
    /// is not acceptable, are left out and listed in [`Applied::stale`].
    pub fn apply_edits(&mut self, edits: &Edits) -> Applied {
        let mut applied = Applied::default();
        for s in &mut self.sentences {
            let Some(e) = edits.sentences.get(&s.id) else {
                continue;
            };
            match clean(&e.text) {
                Ok(text) => {
                    s.text = text;
                    s.edited = true;
                    applied.edited.push(s.id.clone());
                }
                Err(_) => applied.stale.push(s.id.clone()),
            }
        }
        for id in edits.sentences.keys() {
            if self.sentence(id).is_none() {
                applied.stale.push(id.clone());
            }
        }
        self.meta.edits = statement(&self.meta.lang, applied.edited.len());
        applied
    }
}

fn parse(text: Option<&str>) -> Result<Edits, ReportError> {
    match text {
        None => Ok(Edits::default()),
        Some(t) => serde_json::from_str(t).map_err(|e| {
            ReportError::Options(format!("the stored report edits are not valid: {e}"))
        }),
    }
}

/// The edits of `year`'s report in `lang` (none when nothing was edited).
pub async fn load(store: &Store, year: i32, lang: &str) -> Result<Edits, ReportError> {
    parse(store.setting(&setting_key(year, lang)).await?.as_deref())
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Reads the edits, changes them with `change` and writes them back only if nobody wrote in
/// between (then again on what they wrote), so two analysts saving at once both keep their
/// edit. `change` returns `None` when it changes nothing. Returns what `change` returned.
async fn modify<T>(
    store: &Store,
    key: &str,
    mut change: impl FnMut(&mut Edits) -> Option<T>,
) -> Result<Option<T>, ReportError> {
    for _ in 0..ATTEMPTS {
        let stored = store.setting(key).await?;
        let mut edits = parse(stored.as_deref())?;
        let Some(out) = change(&mut edits) else {
            return Ok(None);
        };
        let new = serde_json::to_string(&edits)
            .map_err(|e| ReportError::Options(format!("report edits: {e}")))?;
        let written = match &stored {
            Some(old) => store.replace_setting(key, old, &new).await?,
            None => store.insert_setting(key, &new).await?,
        };
        if written {
            return Ok(Some(out));
        }
    }
    Err(tessera_store::StoreError::Conflict(
        "the report's sentences were being edited by someone else at the same moment; try again"
            .into(),
    )
    .into())
}

/// The audit log's object for a sentence of a year's report in a language.
fn object(year: i32, lang: &str, id: &str) -> String {
    format!("report/{year}/{lang}/{id}")
}

/// Saves `text` as sentence `id` of `generated` (the report as built from the figures, without
/// edits: its year, language and generated text), by `by`, audited. The text is cleaned first
/// ([`clean`]); text equal to the generated sentence removes the edit. `false` when nothing
/// changed.
pub async fn save(
    store: &Store,
    generated: &Report,
    id: &str,
    text: &str,
    by: &str,
) -> Result<bool, ReportError> {
    let sentence = generated
        .sentence(id)
        .ok_or_else(|| ReportError::Edit(Refusal::UnknownSentence(id.to_string())))?;
    if sentence.edited {
        return Err(ReportError::Options(
            "edits are saved against the generated report, not one with edits applied".into(),
        ));
    }
    let text = clean(text).map_err(ReportError::Edit)?;
    let (year, lang) = (generated.meta.year, generated.meta.lang.as_str());
    if text == sentence.text {
        return reset(store, year, lang, id, by).await;
    }
    let edit = Edit {
        text: text.clone(),
        generated: sentence.text.clone(),
        by: by.to_string(),
        at: now(),
    };
    let before = modify(store, &setting_key(year, lang), |edits| {
        let before = edits.sentences.get(id).map(|e| e.text.clone());
        if before.as_deref() == Some(text.as_str()) {
            return None;
        }
        edits.sentences.insert(id.to_string(), edit.clone());
        Some(before)
    })
    .await?;
    let Some(before) = before else {
        return Ok(false);
    };
    let detail = serde_json::json!({
        "before": before.unwrap_or_else(|| sentence.text.clone()),
        "after": text,
    });
    store
        .audit(
            by,
            actions::REPORT_EDIT_SENTENCE,
            &object(year, lang, id),
            &detail.to_string(),
        )
        .await?;
    Ok(true)
}

/// Removes the edit of sentence `id` (the generated sentence comes back), by `by`, audited. It
/// works for an edit whose sentence the report no longer has. `false` when there was none.
pub async fn reset(
    store: &Store,
    year: i32,
    lang: &str,
    id: &str,
    by: &str,
) -> Result<bool, ReportError> {
    let removed = modify(store, &setting_key(year, lang), |edits| {
        edits.sentences.remove(id)
    })
    .await?;
    let Some(removed) = removed else {
        return Ok(false);
    };
    let detail = serde_json::json!({ "before": removed.text, "after": removed.generated });
    store
        .audit(
            by,
            actions::REPORT_RESET_SENTENCE,
            &object(year, lang, id),
            &detail.to_string(),
        )
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_kept_on_one_line_and_control_characters_are_refused() {
        assert_eq!(
            clean("  The number\r\nrose\t\tto 12.  ").unwrap(),
            "The number rose to 12."
        );
        // French typography's no-break spaces are text, not controls.
        assert_eq!(
            clean("12\u{a0}% ; 1\u{202f}234").unwrap(),
            "12\u{a0}% ; 1\u{202f}234"
        );
        assert_eq!(clean(" \n\t "), Err(Refusal::Empty));
        assert_eq!(clean("ab\u{7}c"), Err(Refusal::Control { at: 3 }));
        assert_eq!(clean("a\u{0}"), Err(Refusal::Control { at: 2 }));
        assert_eq!(clean("x \u{202E}gnp.exe"), Err(Refusal::Control { at: 3 }));
        let long = "é".repeat(MAX_CHARS + 1);
        assert_eq!(
            clean(&long),
            Err(Refusal::TooLong {
                max: MAX_CHARS,
                len: MAX_CHARS + 1
            })
        );
        assert!(clean(&"é".repeat(MAX_CHARS)).is_ok());
        // Markup of any kind is text like any other: the renderers escape it.
        let markup = "#set page(paper: \"a5\") *bold* $x$ [link] <b>&amp;</b> {{ meta.title }}";
        assert_eq!(clean(markup).unwrap(), markup);
    }

    #[test]
    fn refusals_are_said_in_the_reports_language() {
        let r = Refusal::TooLong {
            max: 2000,
            len: 2001,
        };
        assert!(r.message("en").contains("2001 characters"));
        assert!(r.message("fr").contains("2001 caractères"));
        assert!(
            Refusal::UnknownSentence("x".into())
                .message("fr")
                .contains("« x »")
        );
        assert_eq!(statement("en", 0), "");
        assert!(statement("en", 1).starts_with("1 sentence was edited"));
        assert!(statement("fr", 3).starts_with("3 phrases ont été modifiées"));
    }
}
