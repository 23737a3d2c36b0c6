//! Clerical review of record linkage, for the coordinator: the pairs the engine is least sure
//! of, each with the evidence of every field and its weight — never a name, since none is stored —
//! and a verdict ("same person" / "different persons") that is remembered, audited and obeyed by
//! every later linkage run.

use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_analysis::{FieldEvidence, PERSON_ENTITIES, REVIEW_BAND};
use tessera_dictionary::Role;
use tessera_store::Access;

use crate::i18n::{Arg, number, tr};
use crate::{AppState, Viewer, WebError, dashboards};

/// Pairs shown at once (the most uncertain first).
const SHOWN: usize = 40;

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

/// `GET /linkage`: the review queue and the latest verdicts.
pub async fn page(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    v.require(&[Role::Coordinator])?;
    let lang = v.lang;
    let facts = state.facts.get(&state.store, &state.dict).await?;
    let linked = dashboards::linkage(&state, &facts).await?;
    let t = crate::i18n::messages(lang);
    let pairs: Vec<minijinja::Value> = linked
        .review
        .iter()
        .take(SHOWN)
        .map(|p| {
            minijinja::context! {
                entity => t.get(&format!("entity-{}", p.entity)).cloned().unwrap_or_default(),
                a => p.record_a, b => p.record_b,
                provider_a => &p.provider_a, provider_b => &p.provider_b,
                probability => format!("{:.0} %", p.probability * 100.0),
                linked => p.linked,
                fields => p.fields.iter().map(|f| evidence(lang, f)).collect::<Vec<_>>(),
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
    let t = crate::i18n::messages(lang);
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
    let band = tr(
        lang,
        "linkage-band",
        &[
            ("low", format!("{:.0}", REVIEW_BAND.0 * 100.0).into()),
            ("high", format!("{:.0}", REVIEW_BAND.1 * 100.0).into()),
        ],
    );
    state.render(
        lang,
        Some(&v),
        "linkage.html",
        minijinja::context! { pairs, decisions, summary, band, counts },
    )
}

#[derive(Deserialize)]
pub struct VerdictForm {
    csrf: String,
    a: i64,
    b: i64,
    /// `same` or `different`.
    verdict: String,
}

/// `POST /linkage/decide`: records a verdict and forgets the linkage, so the next count obeys it.
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
    Ok(Redirect::to("/linkage").into_response())
}
