//! Users (admin): create, reset a password, disable or enable, issue and revoke API tokens. The
//! user's own account: password, language, second factor.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tessera_dictionary::{ProviderId, Role};
use tessera_store::actions;

use crate::i18n::{self, tr};
use crate::{AppState, Viewer, WebError};

/// `GET /admin/users`: the accounts a page at a time (`?page=`), with the forms.
pub async fn users(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    users_page(&state, &v, None, None, &q).await
}

async fn users_render(
    state: &AppState,
    v: &Viewer,
    notice: Option<String>,
    error: Option<String>,
) -> Result<Response, WebError> {
    users_page(state, v, notice, error, &[]).await
}

async fn users_page(
    state: &AppState,
    v: &Viewer,
    notice: Option<String>,
    error: Option<String>,
    q: &[(String, String)],
) -> Result<Response, WebError> {
    v.require(&[Role::Admin])?;
    let lang = v.lang;
    let all = state.store.users().await?;
    let (offset, pager) =
        crate::paging::numbered(lang, "/admin/users", q, crate::paging::PAGE_SIZE, all.len());
    let users: Vec<_> = all
        .into_iter()
        .skip(offset)
        .take(crate::paging::PAGE_SIZE)
        .map(|u| {
            minijinja::context! {
                id => u.id, username => u.username, name => u.display_name,
                role => tr(lang, &format!("role-{}", u.role.as_str()), &[]),
                provider => u.provider_id.map(|p| p.as_str().to_string()).unwrap_or_default(),
                disabled => u.disabled, totp => u.totp_enabled,
            }
        })
        .collect();
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| minijinja::context! { id => r.as_str(), label => tr(lang, &format!("role-{}", r.as_str()), &[]) })
        .collect();
    let providers: Vec<_> = state
        .store
        .providers()
        .await?
        .into_iter()
        .map(|p| minijinja::context! { id => p.id.as_str(), name => p.name })
        .collect();
    state.render(
        lang,
        Some(v),
        "users.html",
        minijinja::context! { users, roles, providers, notice, error, pager },
    )
}

#[derive(Deserialize)]
pub struct NewUser {
    csrf: String,
    username: String,
    display_name: String,
    password: String,
    role: String,
    provider: Option<String>,
    locale: Option<String>,
}

pub async fn create_user(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<NewUser>,
) -> Result<Response, WebError> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&f.csrf)?;
    let role = Role::parse(&f.role).map_err(|e| WebError::BadRequest(e.to_string()))?;
    let provider = match f
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) if role.is_provider_bound() => {
            Some(ProviderId::parse(p).map_err(|e| WebError::BadRequest(e.to_string()))?)
        }
        _ => None,
    };
    let locale = f
        .locale
        .as_deref()
        .and_then(i18n::supported)
        .unwrap_or("en");
    match state
        .store
        .create_user(
            f.username.trim(),
            f.display_name.trim(),
            &f.password,
            role,
            provider.as_ref(),
            locale,
        )
        .await
    {
        Ok(u) => {
            state
                .store
                .audit(
                    &v.user.username,
                    actions::USER_CREATE,
                    &u.username,
                    &serde_json::json!({ "role": role.as_str(), "provider": provider.as_ref().map(|p| p.as_str()) }).to_string(),
                )
                .await?;
            let notice = tr(v.lang, "user-created", &[("username", u.username.into())]);
            users_render(&state, &v, Some(notice), None).await
        }
        Err(
            e @ (tessera_store::StoreError::Invalid(_) | tessera_store::StoreError::Conflict(_)),
        ) => users_render(&state, &v, None, Some(e.to_string())).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct UserAction {
    csrf: String,
    password: Option<String>,
    label: Option<String>,
}

/// `reset` (temporary password, to change at next sign-in), `disable`, `enable`, `token`
/// (issue an API token, shown once), `revoke`.
pub async fn user_action(
    State(state): State<AppState>,
    v: Viewer,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<UserAction>,
) -> Result<Response, WebError> {
    v.require(&[Role::Admin])?;
    v.check_csrf(&f.csrf)?;
    let target = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(WebError::NotFound)?;
    let label = f
        .label
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("api")
        .chars()
        .take(64)
        .collect::<String>();
    let (audited, notice) = match action.as_str() {
        "reset" => {
            let pw = f.password.unwrap_or_default();
            if let Err(e) = state.store.set_password(id, &pw, true).await {
                return users_render(&state, &v, None, Some(e.to_string())).await;
            }
            let notice = tr(
                v.lang,
                "user-reset",
                &[("username", target.username.clone().into())],
            );
            (actions::USER_RESET, notice)
        }
        "disable" | "enable" => {
            if id == v.user.id {
                return Err(WebError::BadRequest(tr(v.lang, "user-self", &[])));
            }
            state
                .store
                .set_user_disabled(id, action == "disable")
                .await?;
            let notice = tr(
                v.lang,
                &format!("user-{action}d"),
                &[("username", target.username.clone().into())],
            );
            let audited = if action == "disable" {
                actions::USER_DISABLE
            } else {
                actions::USER_ENABLE
            };
            (audited, notice)
        }
        "token" => {
            let token = state.store.create_api_token(id, &label).await?;
            let notice = tr(
                v.lang,
                "token-created",
                &[
                    ("username", target.username.clone().into()),
                    ("token", token.into()),
                ],
            );
            (actions::USER_ISSUE_TOKEN, notice)
        }
        "revoke" => {
            let n = state.store.revoke_api_tokens(id, &label).await?;
            let notice = tr(v.lang, "token-revoked", &[("count", (n as i64).into())]);
            (actions::USER_REVOKE_TOKENS, notice)
        }
        _ => return Err(WebError::NotFound),
    };
    state
        .store
        .audit(
            &v.user.username,
            audited,
            &target.username,
            &serde_json::json!({ "label": label }).to_string(),
        )
        .await?;
    users_render(&state, &v, Some(notice), None).await
}

pub async fn account(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    account_render(&state, &v, None, None, None).await
}

async fn account_render(
    state: &AppState,
    v: &Viewer,
    notice: Option<String>,
    error: Option<String>,
    enrol: Option<(String, String)>,
) -> Result<Response, WebError> {
    let langs: Vec<_> = i18n::UI_LANGUAGES
        .iter()
        .map(|l| minijinja::context! { id => l, label => tr(l, "language-name", &[]), selected => *l == v.user.locale })
        .collect();
    state.render(
        v.lang,
        Some(v),
        "account.html",
        minijinja::context! {
            langs, notice, error, totp => v.user.totp_enabled,
            enrol_secret => enrol.as_ref().map(|e| e.0.clone()),
            enrol_uri => enrol.as_ref().map(|e| e.1.clone()),
            must_change => v.user.must_change_password,
        },
    )
}

pub async fn password_page(State(state): State<AppState>, v: Viewer) -> Result<Response, WebError> {
    account_render(&state, &v, None, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    csrf: String,
    current: String,
    new: String,
    repeat: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<PasswordForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    let ok = matches!(
        state
            .store
            .sign_in(
                &v.user.username,
                &f.current,
                &format!("session of {}", v.user.id)
            )
            .await?,
        tessera_store::SignIn::Accepted(_)
    );
    let error = if !ok {
        Some(tr(v.lang, "password-wrong", &[]))
    } else if f.new != f.repeat {
        Some(tr(v.lang, "password-mismatch", &[]))
    } else if f.new == f.current {
        Some(tr(v.lang, "password-same", &[]))
    } else {
        match state.store.set_password(v.user.id, &f.new, false).await {
            Ok(()) => None,
            Err(tessera_store::StoreError::Invalid(m)) => Some(m),
            Err(e) => return Err(e.into()),
        }
    };
    if let Some(error) = error {
        return account_render(&state, &v, None, Some(error), None).await;
    }
    state
        .store
        .audit(
            &v.user.username,
            actions::USER_CHANGE_PASSWORD,
            &v.user.username,
            "{}",
        )
        .await?;
    // Changing the password ended every session: sign in again with the new one.
    Ok(Redirect::to("/login").into_response())
}

#[derive(Deserialize)]
pub struct LanguageForm {
    csrf: String,
    locale: String,
}

pub async fn set_language(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<LanguageForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    let lang = i18n::supported(&f.locale).ok_or(WebError::BadRequest("unknown language".into()))?;
    state.store.set_user_locale(v.user.id, lang).await?;
    // Through `?lang=`, so the language kept for the session follows the new choice.
    Ok(Redirect::to(&format!("/account?lang={lang}")).into_response())
}

#[derive(Deserialize)]
pub struct TotpForm {
    csrf: String,
    /// `start`, `confirm` or `remove`.
    step: String,
    secret: Option<String>,
    code: Option<String>,
}

/// Second factor: `start` shows a new secret; `confirm` enrols it once a code from the app is
/// right (so nobody locks themselves out with a mistyped secret); `remove` drops it after a code.
pub async fn totp(
    State(state): State<AppState>,
    v: Viewer,
    Form(f): Form<TotpForm>,
) -> Result<Response, WebError> {
    v.check_csrf(&f.csrf)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
    let code = f.code.as_deref().unwrap_or("");
    match f.step.as_str() {
        "start" => {
            let secret = crate::totp::new_secret();
            let uri = crate::totp::uri(&secret, &v.user.username);
            account_render(&state, &v, None, None, Some((secret, uri))).await
        }
        "confirm" => {
            let secret = f.secret.unwrap_or_default();
            if !crate::totp::verify(&secret, code, now) {
                let uri = crate::totp::uri(&secret, &v.user.username);
                let err = tr(v.lang, "code-failed", &[]);
                return account_render(&state, &v, None, Some(err), Some((secret, uri))).await;
            }
            state
                .store
                .set_totp_secret(v.user.id, Some(&secret))
                .await?;
            state
                .store
                .audit(
                    &v.user.username,
                    actions::USER_ENROL_TOTP,
                    &v.user.username,
                    "{}",
                )
                .await?;
            let mut v2 = v.clone();
            v2.user.totp_enabled = true;
            account_render(
                &state,
                &v2,
                Some(tr(v.lang, "totp-enrolled", &[])),
                None,
                None,
            )
            .await
        }
        "remove" => {
            // Removing the second factor takes a code, under the same back-off and single use
            // as signing in with one.
            if state.store.second_factor(v.user.id, code).await?
                != tessera_store::SecondFactor::Accepted
            {
                let err = tr(v.lang, "code-failed", &[]);
                return account_render(&state, &v, None, Some(err), None).await;
            }
            state.store.set_totp_secret(v.user.id, None).await?;
            state
                .store
                .audit(
                    &v.user.username,
                    actions::USER_REMOVE_TOTP,
                    &v.user.username,
                    "{}",
                )
                .await?;
            let mut v2 = v.clone();
            v2.user.totp_enabled = false;
            account_render(
                &state,
                &v2,
                Some(tr(v.lang, "totp-removed", &[])),
                None,
                None,
            )
            .await
        }
        _ => Err(WebError::NotFound),
    }
}
