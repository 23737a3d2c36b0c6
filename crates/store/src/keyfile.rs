//! The deployment secret's file: hexadecimal text in clear (what `tessera init` writes), or the
//! same secret wrapped under a passphrase, so that a copy of the file alone — a stolen disk, a
//! backup — yields nothing.
//!
//! Wrapping derives a key-encryption key from the passphrase with Argon2id (a fresh salt, its
//! parameters kept in the file) and seals the secret's bytes with XChaCha20-Poly1305 (a fresh
//! nonce); the file's header is the AEAD's associated data, so no parameter can be changed
//! without the unwrapping failing. Re-wrapping under a new passphrase seals the *same* secret
//! again: pseudonyms, links and the audit key do not change. Whoever loses both the passphrase
//! and every clear copy of the secret has lost the secret (see docs/security.md).

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;
use tessera_pseudonym::Secret;
use zeroize::Zeroizing;

use crate::StoreError;

/// The first field of a wrapped secret file.
pub const WRAPPED_FORMAT: &str = "tessera-wrapped-secret";
/// The shortest passphrase accepted for wrapping (as for account passwords).
pub const MIN_PASSPHRASE: usize = 12;

/// Argon2id cost of new wrappings: OWASP's recommended minimum (19 MiB, 2 passes), paid once
/// each time a command or the server reads the file.
const M_KIB: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

#[derive(serde::Serialize, serde::Deserialize)]
struct Wrapped {
    format: String,
    version: u32,
    kdf: String,
    m_kib: u32,
    t: u32,
    p: u32,
    salt: String,
    aead: String,
    nonce: String,
    ciphertext: String,
}

impl Wrapped {
    /// Every field but the ciphertext, length-prefixed: the associated data.
    fn header(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for part in [
            self.format.as_str(),
            &self.version.to_string(),
            &self.kdf,
            &self.m_kib.to_string(),
            &self.t.to_string(),
            &self.p.to_string(),
            &self.salt,
            &self.aead,
            &self.nonce,
        ] {
            out.extend_from_slice(&(part.len() as u64).to_le_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

/// Whether a secret file's text is a wrapped secret (otherwise it should be hexadecimal text).
pub fn is_wrapped(text: &str) -> bool {
    text.trim_start().starts_with('{') && text.contains(WRAPPED_FORMAT)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect()
}

fn kek(passphrase: &[u8], salt: &[u8], m: u32, t: u32, p: u32) -> Result<[u8; 32], StoreError> {
    let params = Params::new(m, t, p, Some(32))
        .map_err(|e| StoreError::Invalid(format!("the wrapping's parameters are invalid: {e}")))?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase, salt, &mut key)
        .map_err(|e| StoreError::Invalid(format!("cannot derive the wrapping key: {e}")))?;
    Ok(key)
}

/// The secret's raw bytes (it shows them only as hexadecimal text).
pub(crate) fn secret_bytes(secret: &Secret) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(unhex(&secret.to_hex()).unwrap_or_default())
}

/// The secret wrapped under `passphrase`: the text of a wrapped secret file.
pub fn wrap_secret(secret: &Secret, passphrase: &str) -> Result<String, StoreError> {
    if passphrase.chars().count() < MIN_PASSPHRASE {
        return Err(StoreError::Invalid(format!(
            "the passphrase must be at least {MIN_PASSPHRASE} characters long"
        )));
    }
    let mut rng = rand::rng();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    let mut nonce = [0u8; 24];
    rng.fill(&mut nonce);
    let mut w = Wrapped {
        format: WRAPPED_FORMAT.into(),
        version: 1,
        kdf: "argon2id".into(),
        m_kib: M_KIB,
        t: T_COST,
        p: P_COST,
        salt: hex(&salt),
        aead: "xchacha20poly1305".into(),
        nonce: hex(&nonce),
        ciphertext: String::new(),
    };
    let key = Zeroizing::new(kek(passphrase.as_bytes(), &salt, M_KIB, T_COST, P_COST)?);
    let cipher = XChaCha20Poly1305::new_from_slice(&key[..])
        .map_err(|_| StoreError::Invalid("cannot set the wrapping key".into()))?;
    let plain = secret_bytes(secret);
    let aad = w.header();
    let sealed = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &plain,
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Invalid("cannot wrap the secret".into()))?;
    w.ciphertext = hex(&sealed);
    serde_json::to_string_pretty(&w)
        .map(|s| s + "\n")
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// The secret inside a wrapped secret file. A wrong passphrase and an edited file are refused
/// alike: the AEAD cannot tell them apart.
pub fn unwrap_secret(text: &str, passphrase: &str) -> Result<Secret, StoreError> {
    let damaged = || StoreError::Invalid("the wrapped secret file is damaged".into());
    let w: Wrapped = serde_json::from_str(text).map_err(|_| damaged())?;
    if w.format != WRAPPED_FORMAT || w.version != 1 {
        return Err(StoreError::Invalid(format!(
            "the secret file is wrapped in an unknown format ({} version {})",
            w.format, w.version
        )));
    }
    if w.kdf != "argon2id" || w.aead != "xchacha20poly1305" {
        return Err(StoreError::Invalid(format!(
            "the secret file is wrapped with {} and {}, which this Tessera does not know",
            w.kdf, w.aead
        )));
    }
    // Bounds on what the file may ask for, so a doctored file cannot exhaust memory.
    if w.m_kib > 4 * 1024 * 1024 || w.t > 64 || w.p > 16 {
        return Err(damaged());
    }
    let salt = unhex(&w.salt).ok_or_else(damaged)?;
    let nonce: [u8; 24] = unhex(&w.nonce)
        .and_then(|n| n.try_into().ok())
        .ok_or_else(damaged)?;
    let sealed = unhex(&w.ciphertext).ok_or_else(damaged)?;
    let key = Zeroizing::new(kek(passphrase.as_bytes(), &salt, w.m_kib, w.t, w.p)?);
    let cipher = XChaCha20Poly1305::new_from_slice(&key[..])
        .map_err(|_| StoreError::Invalid("cannot set the wrapping key".into()))?;
    let aad = w.header();
    let plain = Zeroizing::new(
        cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                StoreError::Invalid(
                    "the passphrase does not open the wrapped secret (wrong passphrase, or the file was altered)"
                        .into(),
                )
            })?,
    );
    Secret::from_bytes(&plain).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// Reads a secret file's text, clear or wrapped; a wrapped one needs `passphrase`.
pub fn read_secret(text: &str, passphrase: Option<&str>) -> Result<Secret, StoreError> {
    if is_wrapped(text) {
        let Some(p) = passphrase else {
            return Err(StoreError::Invalid(
                "the secret file is wrapped by a passphrase: give it in TESSERA_SECRET_PASSPHRASE or in a file named by TESSERA_SECRET_PASSPHRASE_FILE (never on the command line)".into(),
            ));
        };
        unwrap_secret(text, p)
    } else {
        Secret::from_hex(text).map_err(|e| StoreError::Invalid(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_round_trips_and_refuses_a_wrong_passphrase_or_an_edit() {
        let s = Secret::from_bytes(&[7; 32]).unwrap();
        let w = wrap_secret(&s, "correct horse battery").unwrap();
        assert!(is_wrapped(&w));
        assert!(!w.contains(&*s.to_hex()));
        assert_eq!(
            *unwrap_secret(&w, "correct horse battery").unwrap().to_hex(),
            *s.to_hex()
        );
        let e = unwrap_secret(&w, "wrong horse battery").unwrap_err();
        assert!(e.to_string().contains("does not open"), "{e}");
        // Lowering the cost in the header is refused too: the header is authenticated.
        let edited = w.replace("\"t\": 2", "\"t\": 1");
        assert_ne!(edited, w);
        assert!(unwrap_secret(&edited, "correct horse battery").is_err());
        assert!(wrap_secret(&s, "short").is_err());
        assert!(
            read_secret(&w, None)
                .unwrap_err()
                .to_string()
                .contains("passphrase")
        );
        assert_eq!(
            *read_secret(&s.to_hex(), None).unwrap().to_hex(),
            *s.to_hex()
        );
    }
}
