//! Clerical review of record linkage, for the coordinator: the pairs the engine is least sure
//! of, each with the evidence of every field and its weight — never a name, since none is stored —
//! and a verdict ("same person" / "different persons") that is remembered, audited and obeyed by
//! every later linkage run.
//!
//! The queue is ordered by what a verdict would change (`tessera_analysis::rank_review`:
//! closeness to the link threshold × records whose person would change), filtered by provider,
//! entity and probability band, and paged. After a verdict the page comes back with the same
//! filters and page, scrolled to the pair that followed the one decided (a fragment anchor);
//! `assets/work.js` adds the keys j/k/y/n, and the page works without it.

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_analysis::{
    FieldEvidence, PERSON_ENTITIES, REVIEW_BAND, REVIEW_BANDS, ReviewFilter, rank_review,
};
use tessera_dictionary::Role;
use tessera_store::Access;

use crate::i18n::{Arg, number, tr};
use crate::{AppState, Viewer, WebError, dashboards};

/// Pairs on a page.
const PAGE: usize = 20;

/// Query keys the page understands (and keeps after a verdict).
const KEYS: &[&str] = &["provider", "entity", "band", "page"];

fn evidence(lang: &str, f: &FieldEvidence) -> minijinja::Value {
    let level = if f.level < 0 {
        tr(lang, "level-missing", &[])
    } else {
        tr(lang, &format!("level-{}-{}", f.field, f.level), &[])
    };
    minijinja::context! {
        field => tr(lang, &format!("field-{}", f.field), &[]),
        level,
        weight => format!("{:+.1}", f.weight),
        direction => if f.weight > 0.05 { "for" } else if f.weight < -0.05 { "against" } else { "none" },
    }
}

/// A query value as the page may keep it: identifiers only (provider ids, entity and band
/// names, page numbers), so a value coming back through a form cannot smuggle anything into the
/// redirect.
fn clean(v: &str) -> Option<&str> {
    let v = v.trim();
    (!v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    .then_some(v)
}

/// The page's own query parameters, cleaned, in a fixed order.
fn params(q: &[(String, String)]) -> Vec<(String, String)> {
    KEYS.iter()
        .filter_map(|k| {
            q.iter()
                .find(|(key, _)| key == k)
                .and_then(|(_, v)| clean(v))
                .map(|v| (k.to_string(), v.to_string()))
        })
        .collect()
}

fn anchor(a: i64, b: i64) -> String {
    format!("pair-{a}-{b}")
}

/// `GET /linkage`: the review queue and the latest verdicts.
pub async fn page(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    v.require(&[Role::Coordinator])?;
    let lang = v.lang;
    let params = params(&q);
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let linked = dashboards::linkage(&state, &facts).await?;
    let t = crate::i18n::messages(lang);
    let entity = get("entity").filter(|e| PERSON_ENTITIES.contains(e));
    let band = get("band").and_then(|b| REVIEW_BANDS.iter().find(|(name, ..)| *name == b));
    let provider = get("provider");
    let filter = ReviewFilter {
        provider,
        entity,
        band: band.map(|(_, lo, hi)| (*lo, *hi)),
    };
    let ranked = rank_review(&linked, &filter);
    let (offset, pager) = crate::paging::numbered(lang, "/linkage", &params, PAGE, ranked.len());
    let shown = &ranked[offset.min(ranked.len())..(offset + PAGE).min(ranked.len())];
    // What the page's forms send back, so the verdict returns here: same filters, same page
    // (clamped), scrolled to the pair after the one decided.
    let back = crate::paging::query(&params, &[]);
    let pairs: Vec<minijinja::Value> = shown
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let p = r.pair;
            let next = shown
                .get(i + 1)
                .or_else(|| i.checked_sub(1).and_then(|j| shown.get(j)))
                .map(|n| anchor(n.pair.record_a, n.pair.record_b));
            minijinja::context! {
                anchor => anchor(p.record_a, p.record_b),
                rank => offset + i + 1,
                entity => t.get(&format!("entity-{}", p.entity)).cloned().unwrap_or_default(),
                a => p.record_a, b => p.record_b,
                provider_a => &p.provider_a, provider_b => &p.provider_b,
                probability => format!("{:.0} %", p.probability * 100.0),
                linked => p.linked,
                impact => tr(lang, if p.linked { "linkage-impact-split" } else { "linkage-impact-merge" }, &[("records", Arg::Num(r.affected as i64))]),
                fields => p.fields.iter().map(|f| evidence(lang, f)).collect::<Vec<_>>(),
                next,
            }
        })
        .collect();
    let decisions: Vec<minijinja::Value> = state
        .store
        .link_decisions()
        .await?
        .into_iter()
        .take(100)
        .map(|d| {
            let at = time::OffsetDateTime::from_unix_timestamp(d.decided_at)
                .map(|t| crate::i18n::date(&t.date().to_string(), lang))
                .unwrap_or_default();
            minijinja::context! {
                a => d.record_a, b => d.record_b, same => d.same, by => d.decided_by, at,
            }
        })
        .collect();
    let summary = tr(
        lang,
        "linkage-summary",
        &[
            ("pending", Arg::from(linked.review_total as i64)),
            ("decided", Arg::from(linked.decisions_applied as i64)),
        ],
    );
    let counts: Vec<minijinja::Value> = linked
        .counts
        .iter()
        .map(|(e, records, persons)| {
            minijinja::context! {
                entity => t.get(&format!("entity-{e}")).cloned().unwrap_or_else(|| e.to_string()),
                records => number(*records as i64, lang),
                persons => number(*persons as i64, lang),
            }
        })
        .collect();
    let band_text = tr(
        lang,
        "linkage-band",
        &[
            ("low", format!("{:.0}", REVIEW_BAND.0 * 100.0).into()),
            ("high", format!("{:.0}", REVIEW_BAND.1 * 100.0).into()),
        ],
    );
    // The filters' choices: providers that appear in the queue, by name.
    let mut providers: Vec<(String, String)> = Vec::new();
    for p in state.store.providers().await? {
        if linked
            .review
            .iter()
            .any(|r| r.provider_a == p.id.as_str() || r.provider_b == p.id.as_str())
        {
            providers.push((p.id.as_str().to_string(), p.name_in(lang).to_string()));
        }
    }
    crate::lists::sort_by_label(&mut providers, |p| p.1.as_str());
    let providers: Vec<_> = providers
        .iter()
        .map(|(id, name)| minijinja::context! { id, name, selected => provider == Some(id.as_str()) })
        .collect();
    let entities: Vec<_> = PERSON_ENTITIES
        .iter()
        .map(|e| minijinja::context! { id => e, label => t.get(&format!("entity-{e}")).cloned().unwrap_or_default(), selected => entity == Some(*e) })
        .collect();
    let bands: Vec<_> = REVIEW_BANDS
        .iter()
        .map(|(name, lo, hi)| minijinja::context! {
            id => name,
            label => tr(lang, "linkage-band-option", &[("low", format!("{:.0}", lo * 100.0).into()), ("high", format!("{:.0}", hi * 100.0).into())]),
            selected => band.is_some_and(|b| b.0 == *name),
        })
        .collect();
    let matching = tr(
        lang,
        "linkage-matching",
        &[("count", Arg::Num(ranked.len() as i64))],
    );
    state.render(
        lang,
        Some(&v),
        "linkage.html",
        minijinja::context! {
            pairs, decisions, summary, band => band_text, counts, pager, back,
            providers, entities, bands, matching,
            filtered => provider.is_some() || entity.is_some() || band.is_some(),
        },
    )
}

#[derive(Deserialize)]
pub struct VerdictForm {
    csrf: String,
    a: i64,
    b: i64,
    /// `same` or `different`.
    verdict: String,
    /// The query string of the page the verdict came from.
    back: Option<String>,
    /// The anchor of the pair to scroll to afterwards.
    next: Option<String>,
}

/// Where to go after a verdict: the queue as it was (filters and page kept, unknown or unsafe
/// values dropped), at the next pair's anchor.
fn return_to(back: Option<&str>, next: Option<&str>) -> String {
    let q: Vec<(String, String)> = back
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let query = crate::paging::query(&params(&q), &[]);
    let fragment = next
        .filter(|n| {
            n.strip_prefix("pair-").is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
            })
        })
        .map(|n| format!("#{n}"))
        .unwrap_or_default();
    format!("{}{fragment}", crate::paging::href("/linkage", &query, ""))
}

/// `POST /linkage/decide`: records a verdict and forgets the linkage, so the next count obeys it;
/// then back to the queue where the reviewer was.
pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<VerdictForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    v.require(&[Role::Coordinator])?;
    let same = match f.verdict.as_str() {
        "same" => true,
        "different" => false,
        _ => return Err(WebError::BadRequest(tr(v.lang, "linkage-bad-verdict", &[]))),
    };
    // Only records of person entities are linked, so only they can be reviewed.
    for id in [f.a, f.b] {
        let r = state
            .store
            .record(&Access::National, id)
            .await?
            .ok_or(WebError::NotFound)?;
        if !PERSON_ENTITIES.contains(&r.entity.as_str()) {
            return Err(WebError::NotFound);
        }
    }
    state
        .store
        .decide_link(f.a, f.b, same, &v.user.username)
        .await?;
    state.persons.invalidate().await;
    Ok(Redirect::to(&return_to(f.back.as_deref(), f.next.as_deref())).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_returns_to_the_same_filters_and_the_next_pair() {
        assert_eq!(
            return_to(
                Some("provider=police-bangui&band=middle&page=3"),
                Some("pair-12-40")
            ),
            "/linkage?provider=police-bangui&band=middle&page=3#pair-12-40"
        );
        assert_eq!(return_to(None, None), "/linkage");
        // Unknown keys, unsafe values and odd anchors are dropped.
        assert_eq!(
            return_to(
                Some("x=1&provider=a%0d%0aSet-Cookie&entity=victim"),
                Some("evil\r\n")
            ),
            "/linkage?entity=victim"
        );
    }
}
