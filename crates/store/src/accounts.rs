//! User accounts. Passwords are hashed with Argon2id (PHC string format); clear passwords are
//! never stored or logged.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tessera_dictionary::{ProviderId, Role};
use time::OffsetDateTime;

use crate::{Store, StoreError, on_pool};

/// A user as the application sees it (without the password hash).
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub provider_id: Option<ProviderId>,
    pub locale: String,
    pub disabled: bool,
    /// Whether a TOTP second factor is enrolled.
    pub totp_enabled: bool,
    /// Set by an admin's password reset: the user must choose a new password before anything else.
    pub must_change_password: bool,
}

/// Argon2id hash of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    if password.chars().count() < 12 {
        return Err(StoreError::Invalid(
            "a password needs at least 12 characters".into(),
        ));
    }
    let mut salt = [0u8; 16];
    rand::Rng::fill(&mut rand::rng(), &mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Whether `password` matches a stored Argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub(crate) type UserRow = (
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

/// The columns `user_from_row` reads, in order, as a literal for `concat!`.
macro_rules! user_columns {
    () => {
        "id, username, display_name, role, provider_id, locale, disabled, totp_secret IS NOT NULL, must_change_password"
    };
}
pub(crate) use user_columns;

pub(crate) fn user_from_row(
    (
        id,
        username,
        display_name,
        role,
        provider,
        locale,
        disabled,
        totp_enabled,
        must_change_password,
    ): UserRow,
) -> Result<User, StoreError> {
    let role = Role::parse(&role).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let provider_id = provider
        .map(|p| ProviderId::parse(&p))
        .transpose()
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    Ok(User {
        id,
        username,
        display_name,
        role,
        provider_id,
        locale,
        disabled,
        totp_enabled,
        must_change_password,
    })
}

impl Store {
    /// Creates a user. Provider-bound roles (focal point, viewer) need a provider; others must not have one.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password: &str,
        role: Role,
        provider: Option<&ProviderId>,
        locale: &str,
    ) -> Result<User, StoreError> {
        if role.is_provider_bound() != provider.is_some() {
            return Err(StoreError::Invalid(format!(
                "a {} {} a provider",
                role.as_str(),
                if role.is_provider_bound() {
                    "needs"
                } else {
                    "must not have"
                }
            )));
        }
        if username.trim().is_empty() || username.len() > 64 {
            return Err(StoreError::Invalid(
                "a username has 1 to 64 characters".into(),
            ));
        }
        if let Some(p) = provider
            && self.provider(p).await?.is_none()
        {
            return Err(self.unknown_provider_error(p.as_str()).await);
        }
        let hash = hash_password(password)?;
        let now = OffsetDateTime::now_utc();
        let res = on_pool!(self, |pool| {
            sqlx::query("INSERT INTO users (username, display_name, password_hash, role, provider_id, locale, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(username).bind(display_name).bind(&hash).bind(role.as_str()).bind(provider.map(ProviderId::as_str)).bind(locale).bind(false).bind(now)
            .execute(pool).await.map(|r| r.rows_affected())
        });
        match res {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(StoreError::Conflict(format!(
                    "the username \"{username}\" is taken"
                )));
            }
            other => other?,
        };
        self.user(username)
            .await?
            .ok_or_else(|| StoreError::NotFound(username.to_string()))
    }

    pub async fn user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = on_pool!(self, |pool| {
            sqlx::query_as(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE username = $1"
            ))
            .bind(username)
            .fetch_optional(pool)
            .await
        })?;
        row.map(user_from_row).transpose()
    }

    /// The user whose username and password match, if any and not disabled.
    pub async fn authenticate(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<(String,)> = on_pool!(self, |pool| sqlx::query_as(
            "SELECT password_hash FROM users WHERE username = $1"
        )
        .bind(username)
        .fetch_optional(pool)
        .await)?;
        match row {
            Some((hash,)) if verify_password(password, &hash) => {
                Ok(self.user(username).await?.filter(|u| !u.disabled))
            }
            _ => Ok(None),
        }
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_pool!(self, |pool| sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(pool)
            .await)?;
        Ok(n)
    }
}
