//! Signing in, sessions and API tokens.
//!
//! - Wrong passwords slow down further attempts from the same address, doubling the wait past a
//!   free allowance ([`crate::throttle`]), never locking the owner out; unknown usernames get the
//!   same answers, waits and Argon2 work as known ones, so nothing reveals which accounts exist.
//!   Argon2 runs on the blocking pool, a few at a time, so a flood of attempts does not hold up
//!   the threads that serve everyone else.
//! - A second-factor code is throttled per user the same way and opens one sign-in only.
//! - Sessions live in the database (both engines), under the SHA-256 of a 256-bit random token: a
//!   copy of the database opens no session. They end after 30 idle minutes or 12 hours in all.
//!   A user with a second factor first gets a `SecondFactor` session, good for 5 minutes and for
//!   nothing but entering the code; a new token is issued once the code is right.
//! - API tokens belong to a user and act with that user's role and provider; they can be revoked.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::accounts::{UserRow, user_columns, user_from_row, verify_password};
use crate::{Store, StoreError, User, hash_password, on_pool};

/// A session unused for this long is over.
pub const IDLE_SECONDS: i64 = 30 * 60;
/// No session lasts longer than this.
pub const ABSOLUTE_SECONDS: i64 = 12 * 60 * 60;
/// Time allowed to enter the second factor.
pub const SECOND_FACTOR_SECONDS: i64 = 5 * 60;

/// A hash in the PHC format that matches no password, verified for unknown usernames so that
/// they take as long as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Jv8q2iGm6QwK0J9Nm2FZ8XhYF0yZ0mYQyC3W4V2a1bA";

/// What a sign-in attempt gives.
#[derive(Debug)]
pub enum SignIn {
    Accepted(User),
    /// Wrong username or password (the two are not told apart).
    Rejected,
    /// Too many recent failures from this address: no password is checked for `wait_seconds`.
    Throttled {
        wait_seconds: i64,
    },
}

/// What a second-factor code gives.
#[derive(Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Accepted,
    /// Wrong, expired, or already used.
    Rejected,
    /// Too many recent wrong codes for this user: none is checked for `wait_seconds`.
    Throttled {
        wait_seconds: i64,
    },
}

/// At most this many Argon2 verifications run at once (one per core): each takes tens of
/// milliseconds of CPU, and a flood of sign-ins must not take every thread.
static ARGON2_SLOTS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// [`verify_password`] on the blocking pool, a bounded number at a time.
async fn verify_password_bounded(password: &str, hash: &str) -> bool {
    let Ok(_slot) = ARGON2_SLOTS.acquire().await else {
        return false;
    };
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted, second factor still to enter.
    SecondFactor,
    Full,
}

impl SessionStage {
    fn as_str(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::Full => "full",
        }
    }
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    /// The token forms must carry back (synchroniser token against cross-site requests).
    pub csrf: String,
    pub stage: SessionStage,
}

/// A fresh random token, hex-encoded (256 bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    hex(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is stored in place of a token.
fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

impl Store {
    /// Checks a password from `address` (the client's IP address, or any stable label for
    /// callers without one), counting failures for back-off.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
    ) -> Result<SignIn, StoreError> {
        use crate::throttle::Limit;
        let now = now();
        let account = format!("{address} {}", username.to_lowercase());
        let wait = self
            .guard
            .wait(Limit::Account, &account, now)
            .max(self.guard.wait(Limit::Address, address, now));
        if wait > 0 {
            return Ok(SignIn::Throttled { wait_seconds: wait });
        }
        let row: Option<(String, bool)> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT password_hash, disabled FROM users WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await
        })?;
        let (hash, known, disabled) = match &row {
            Some((hash, disabled)) => (hash.as_str(), true, *disabled),
            None => (DUMMY_HASH, false, false),
        };
        let right = verify_password_bounded(password, hash).await;
        if !right || !known || disabled {
            self.guard.fail(Limit::Account, &account, now);
            self.guard.fail(Limit::Address, address, now);
            return Ok(SignIn::Rejected);
        }
        self.guard.clear(Limit::Account, &account);
        match self.user(username).await? {
            Some(u) => Ok(SignIn::Accepted(u)),
            None => Ok(SignIn::Rejected),
        }
    }

    /// Checks a second-factor code: throttled per user, and single use — a code's time step
    /// is recorded, and a step not later than the last one used is refused.
    pub async fn second_factor(
        &self,
        user_id: i64,
        code: &str,
    ) -> Result<SecondFactor, StoreError> {
        use crate::throttle::Limit;
        let now = now();
        let key = user_id.to_string();
        let wait = self.guard.wait(Limit::Code, &key, now);
        if wait > 0 {
            return Ok(SecondFactor::Throttled { wait_seconds: wait });
        }
        let step = match self.totp_secret(user_id).await? {
            Some(secret) => crate::totp::matching_step(&secret, code, now.max(0) as u64),
            None => None,
        };
        let fresh = match step {
            Some(step) => {
                let step = i64::try_from(step).unwrap_or(i64::MAX);
                // One statement, so two sign-ins racing with the same code cannot both win.
                on_pool!(self, |pool| sqlx::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1"
                )
                .bind(step)
                .bind(user_id)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))?
                    == 1
            }
            None => false,
        };
        if fresh {
            self.guard.clear(Limit::Code, &key);
            Ok(SecondFactor::Accepted)
        } else {
            self.guard.fail(Limit::Code, &key, now);
            Ok(SecondFactor::Rejected)
        }
    }

    /// Opens a session and returns its token (to put in a cookie; it is not stored).
    pub async fn create_session(
        &self,
        user_id: i64,
        stage: SessionStage,
    ) -> Result<String, StoreError> {
        let token = new_token();
        let csrf = new_token();
        let now = now();
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf, stage, created_at, last_seen) VALUES ($1, $2, $3, $4, $5, $5)"
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(&csrf)
        .bind(stage.as_str())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(token)
    }

    /// The live session of a token, if any; refreshes its idle timer (at most once a minute).
    pub async fn session(&self, token: &str) -> Result<Option<Session>, StoreError> {
        if token.len() != 64 {
            return Ok(None);
        }
        let hash = token_hash(token);
        const SQL: &str = "SELECT s.csrf, s.stage, s.created_at, s.last_seen, u.id, u.username, u.display_name, u.role, u.provider_id, u.locale, u.disabled, u.totp_secret IS NOT NULL, u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1";
        type Row = (
            String,
            String,
            i64,
            i64,
            i64,
            String,
            String,
            String,
            Option<String>,
            String,
            bool,
            bool,
            bool,
        );
        let row: Option<Row> = on_pool!(self, |pool| sqlx::query_as(SQL)
            .bind(&hash)
            .fetch_optional(pool)
            .await)?;
        let Some((
            csrf,
            stage,
            created,
            seen,
            id,
            username,
            display,
            role,
            provider,
            locale,
            disabled,
            totp,
            must,
        )) = row
        else {
            return Ok(None);
        };
        let now = now();
        let stage = if stage == "full" {
            SessionStage::Full
        } else {
            SessionStage::SecondFactor
        };
        let expired = disabled
            || now - seen > IDLE_SECONDS
            || now - created > ABSOLUTE_SECONDS
            || (stage == SessionStage::SecondFactor && now - created > SECOND_FACTOR_SECONDS);
        if expired {
            self.end_session(token).await?;
            return Ok(None);
        }
        if now - seen > 60 {
            on_pool!(self, |pool| sqlx::query(
                "UPDATE sessions SET last_seen = $1 WHERE token_hash = $2"
            )
            .bind(now)
            .bind(&hash)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        let row: UserRow = (
            id, username, display, role, provider, locale, disabled, totp, must,
        );
        Ok(Some(Session {
            user: user_from_row(row)?,
            csrf,
            stage,
        }))
    }

    /// Ends a session (sign-out, expiry).
    pub async fn end_session(&self, token: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE token_hash = $1"
        )
        .bind(token_hash(token))
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a user (password change, reset, disabling).
    pub async fn end_sessions_of(&self, user_id: i64) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1"
        )
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets a new password. An admin reset (`must_change`) forces the user to choose another at
    /// the next sign-in and revokes the user's API tokens: a reset is what an administrator does
    /// when an account may be in other hands. Either way the user's sessions end.
    pub async fn set_password(
        &self,
        user_id: i64,
        password: &str,
        must_change: bool,
    ) -> Result<(), StoreError> {
        let hash = hash_password(password)?;
        let n = on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, failed_logins = 0, locked_until = 0 WHERE id = $3"
        )
        .bind(&hash)
        .bind(must_change)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        if n == 0 {
            return Err(StoreError::NotFound(format!("user {user_id}")));
        }
        if must_change {
            on_pool!(self, |pool| sqlx::query(
                "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL"
            )
            .bind(now())
            .bind(user_id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        self.end_sessions_of(user_id).await
    }

    /// Enrols (`Some`) or removes (`None`) a TOTP secret (base32).
    pub async fn set_totp_secret(
        &self,
        user_id: i64,
        secret: Option<&str>,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET totp_secret = $1 WHERE id = $2"
        )
        .bind(secret)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The TOTP secret of a user, if enrolled.
    pub async fn totp_secret(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT totp_secret FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.and_then(|r| r.0))
    }

    /// Changes the interface language of a user.
    pub async fn set_user_locale(&self, user_id: i64, locale: &str) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET locale = $1 WHERE id = $2"
        )
        .bind(locale)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Disables or re-enables a user; disabling ends their sessions.
    pub async fn set_user_disabled(&self, user_id: i64, disabled: bool) -> Result<(), StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET disabled = $1 WHERE id = $2"
        )
        .bind(disabled)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        if disabled {
            self.end_sessions_of(user_id).await?;
        }
        Ok(())
    }

    /// Every user, by username.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(self, |pool| sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users ORDER BY username"
        ))
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(user_from_row).collect()
    }

    /// Users of one provider (its focal points and viewers).
    pub async fn users_of(&self, provider: &str) -> Result<Vec<User>, StoreError> {
        let rows: Vec<UserRow> = on_pool!(self, |pool| sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE provider_id = $1 ORDER BY username"
        ))
        .bind(provider)
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(user_from_row).collect()
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, |pool| sqlx::query_as(concat!(
            "SELECT ",
            user_columns!(),
            " FROM users WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        row.map(user_from_row).transpose()
    }

    /// Issues an API token acting as `user_id`; the token is shown once and only its hash kept.
    pub async fn create_api_token(&self, user_id: i64, label: &str) -> Result<String, StoreError> {
        let token = format!("tsr_{}", new_token());
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO api_tokens (token_hash, user_id, label, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(token_hash(&token))
        .bind(user_id)
        .bind(label)
        .bind(now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(token)
    }

    /// The user an API token acts for, if the token is valid, not revoked and the user enabled.
    pub async fn api_token_user(&self, token: &str) -> Result<Option<User>, StoreError> {
        let Some(raw) = token.strip_prefix("tsr_") else {
            return Ok(None);
        };
        if raw.len() != 64 {
            return Ok(None);
        }
        let row: Option<(i64,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        )
        .bind(token_hash(token))
        .fetch_optional(pool)
        .await)?;
        match row {
            Some((id,)) => Ok(self.user_by_id(id).await?.filter(|u| !u.disabled)),
            None => Ok(None),
        }
    }

    /// Revokes every API token of a user with this label.
    pub async fn revoke_api_tokens(&self, user_id: i64, label: &str) -> Result<u64, StoreError> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND label = $3 AND revoked_at IS NULL"
        )
        .bind(now())
        .bind(user_id)
        .bind(label)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)
    }
}
