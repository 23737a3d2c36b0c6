//! `/metrics` in the Prometheus text format: the head of the audit log (seq and hash).
//!
//! Scraped and kept by a monitoring system off the host, the series witnesses the log: a seq
//! that goes down, or a hash for a seq that changes, means entries were removed or rewritten,
//! even by someone who also replaced the checkpoint file with an older one. Neither value is
//! sensitive, but the seq tells how busy the deployment is, so the page is for administrators
//! only (a session, or an administrator's API token: `Authorization: Bearer tsr_…`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tessera_dictionary::Role;

use crate::{AppState, Viewer, WebError};

pub async fn metrics(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    v.require(&[Role::Admin])?;
    // An empty log reports seq 0 and the genesis hash the first entry points to.
    let (seq, hash) = state
        .store
        .audit_head()
        .await?
        .unwrap_or_else(|| (0, "0".repeat(64)));
    let body = format!(
        "# HELP tessera_audit_head_seq Sequence number of the last audit log entry.\n\
         # TYPE tessera_audit_head_seq gauge\n\
         tessera_audit_head_seq {seq}\n\
         # HELP tessera_audit_head_info Hash of the last audit log entry (HMAC-SHA256 under the audit key).\n\
         # TYPE tessera_audit_head_info gauge\n\
         tessera_audit_head_info{{hash=\"{hash}\"}} 1\n"
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response())
}
