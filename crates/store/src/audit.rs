//! The append-only audit log, chained and signed so that tampering shows.
//!
//! Each entry's hash covers the previous entry's hash, so changing or removing an entry breaks
//! every hash after it, and the database refuses UPDATE and DELETE on the table (triggers in the
//! migrations). An intruder who gets past the triggers could still do two things against a plain
//! hash chain, and both are closed here:
//!
//! - *Rewrite it.* Anyone can recompute an unkeyed SHA-256 chain after editing an entry. Entries
//!   are therefore HMAC-SHA256 under an [`AuditKey`] derived from the deployment secret, which
//!   never enters the database (scheme 1). Entries written before migration 4 stay unkeyed
//!   (scheme 0) and still verify, but an unkeyed entry after a keyed one does not: otherwise
//!   downgrading the tail to scheme 0 would be a way around the key.
//! - *Cut its tail.* Removing the last entries leaves a shorter chain that is valid. After each
//!   append the store writes a signed checkpoint of the head, `{seq, hash, at, mac}`, to a file
//!   outside the database and to the log (`tracing`, target `tessera_store::audit`); verifying
//!   compares the chain with the file. The file is replaced only by a head that descends from the
//!   one it holds, so after a cut or a rewrite it stays as evidence however many entries follow,
//!   until someone who has looked into it removes the file (the next entry then signs a new
//!   head). The file alone cannot tell a replayed *older* checkpoint from the latest: the log
//!   lines and `/metrics`, kept off the host, are the witnesses for that.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::{BeginWrite, Store, StoreError, on_pool};

type HmacSha256 = Hmac<Sha256>;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Entries hashed with unkeyed SHA-256: everything before migration 4, and what a store opened
/// without the audit key writes while the log holds no keyed entry.
const SCHEME_SHA256: i64 = 0;
/// Entries hashed with HMAC-SHA256 under the audit key.
const SCHEME_HMAC: i64 = 1;

/// Domain separation: the audit key is HMAC(secret, this), never the secret itself, so it cannot
/// be confused with the pseudonymisation keys drawn from the same secret.
const KEY_LABEL: &[u8] = b"tessera audit chain v1";
/// Domain separation of checkpoint MACs from entry MACs under the same key.
const CHECKPOINT_LABEL: &str = "tessera audit checkpoint v1";

/// The key of the audit chain and of its checkpoints, derived from the deployment secret.
#[derive(Clone)]
pub struct AuditKey(Zeroizing<[u8; 32]>);

impl AuditKey {
    /// HMAC-SHA256(deployment secret, "tessera audit chain v1").
    pub fn from_secret(secret: &tessera_pseudonym::Secret) -> AuditKey {
        // The secret shows its bytes only as hexadecimal text (already checked when it was read).
        let hex = secret.to_hex();
        let bytes: Zeroizing<Vec<u8>> = Zeroizing::new(
            hex.as_bytes()
                .chunks(2)
                .filter_map(|p| {
                    std::str::from_utf8(p)
                        .ok()
                        .and_then(|s| u8::from_str_radix(s, 16).ok())
                })
                .collect(),
        );
        AuditKey::derive(&bytes)
    }

    /// The same derivation from the secret's raw bytes.
    pub fn derive(secret: &[u8]) -> AuditKey {
        let mut m = mac(secret);
        m.update(KEY_LABEL);
        AuditKey(Zeroizing::new(m.finalize().into_bytes().into()))
    }
}

impl std::fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditKey(…)")
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
}

/// Length-prefixed parts, so that no two different lists of parts feed the same bytes.
fn feed(h: &mut impl hmac::digest::Update, parts: &[&str]) {
    for part in parts {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The settings of a store's audit signing: shared by clones of the store.
#[derive(Clone, Default)]
pub(crate) struct AuditSigning {
    key: Option<AuditKey>,
    checkpoint: Option<PathBuf>,
    /// The highest seq this process wrote to the checkpoint file, held while writing it: when
    /// concurrent appends finish out of order the file never steps back to an older head.
    written: Arc<Mutex<i64>>,
}

impl AuditSigning {
    /// For an SQLite file: the checkpoint beside it, `<db>.audit-head`.
    pub(crate) fn beside(db: &str) -> AuditSigning {
        let memory = db.is_empty() || db.starts_with(":memory:") || db.contains("mode=memory");
        AuditSigning {
            checkpoint: (!memory).then(|| PathBuf::from(format!("{db}.audit-head"))),
            ..AuditSigning::default()
        }
    }
}

/// A signed head of the chain, as written to the checkpoint file (one line of JSON).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    seq: i64,
    hash: String,
    at: String,
    mac: String,
}

fn checkpoint_mac(key: &AuditKey, seq: i64, hash: &str, at: &str) -> HmacSha256 {
    let mut m = mac(&key.0[..]);
    feed(&mut m, &[CHECKPOINT_LABEL, &seq.to_string(), hash, at]);
    m
}

/// What the checkpoint file holds.
enum OnFile {
    Missing,
    /// Unreadable, not a checkpoint, or not signed by the audit key: why, in a phrase.
    Bad(String),
    Signed(Checkpoint),
}

fn read_checkpoint(key: &AuditKey, path: &Path) -> OnFile {
    let text = match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return OnFile::Missing,
        Err(e) => {
            return OnFile::Bad(format!(
                "the checkpoint file {} cannot be read ({e})",
                path.display()
            ));
        }
        Ok(text) => text,
    };
    let Ok(cp) = serde_json::from_str::<Checkpoint>(&text) else {
        return OnFile::Bad(format!("the checkpoint file {} is damaged", path.display()));
    };
    let signed = (0..cp.mac.len())
        .step_by(2)
        .map(|i| {
            cp.mac
                .get(i..i + 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        // Constant-time comparison, through the MAC's own check.
        .is_some_and(|m| {
            checkpoint_mac(key, cp.seq, &cp.hash, &cp.at)
                .verify_slice(&m)
                .is_ok()
        });
    if !signed || cp.seq < 1 {
        return OnFile::Bad(format!(
            "the checkpoint file {} is not signed with the audit key, so it was forged or edited",
            path.display()
        ));
    }
    OnFile::Signed(cp)
}

/// Writes the checkpoint atomically (a temporary file renamed over the old one), so a reader or
/// a crash never meets half a file.
fn write_checkpoint(
    key: &AuditKey,
    path: &Path,
    written: &Mutex<i64>,
    seq: i64,
    hash: &str,
) -> Result<(), StoreError> {
    let mut last = written.lock().unwrap_or_else(|p| p.into_inner());
    if seq <= *last {
        return Ok(());
    }
    let fail = |message: String| StoreError::AuditCheckpoint {
        path: path.display().to_string(),
        message,
    };
    let at = now()?;
    let mac = hex(&checkpoint_mac(key, seq, hash, &at).finalize().into_bytes());
    let cp = Checkpoint {
        seq,
        hash: hash.to_string(),
        at,
        mac,
    };
    let text = serde_json::to_string(&cp).map_err(|e| fail(e.to_string()))? + "\n";
    atomic_write(path, &text).map_err(|e| fail(e.to_string()))?;
    *last = seq;
    Ok(())
}

/// Replaces `path` with `text` atomically (a temporary file synced, then renamed over it).
fn atomic_write(path: &Path, text: &str) -> std::io::Result<()> {
    // One temporary name per process: two processes on one deployment (the server and a CLI
    // command) never write into each other's temporary file.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let res = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        // On disk before it replaces the old one: a crash must not leave an empty checkpoint,
        // which would read as a forged one.
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// What a store finds in its checkpoint file, for a backup (`backup.rs`).
pub(crate) enum CheckpointState {
    /// The store has no audit key or no checkpoint file to read.
    Unkeyed,
    Missing,
    /// Unreadable, damaged or not signed by the key: why, and the file's text when it has one.
    Bad(String, Option<String>),
    /// A signed head, with the file's text.
    Signed {
        seq: i64,
        hash: String,
        text: String,
    },
}

fn now() -> Result<String, StoreError> {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .map_err(|e| StoreError::Invalid(e.to_string()))
}

/// One audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
    /// 0: unkeyed SHA-256 (entries from before the audit key); 1: HMAC-SHA256 under the key.
    pub scheme: i64,
}

/// Result of checking the chain and its last signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditVerdict {
    /// Every hash verified and, when there is a checkpoint, the chain reaches it unchanged.
    Intact { entries: i64 },
    /// The first entry where the chain breaks, and why: an entry removed from the middle, edited,
    /// rehashed without the audit key, or downgraded to the unkeyed scheme.
    Broken { seq: i64, reason: String },
    /// The chain ends before the entry the signed checkpoint records: entries were removed from
    /// its end.
    Truncated { head: i64, checkpoint: i64 },
    /// The entry at the checkpoint's seq is not the one the checkpoint signed: the chain was
    /// rewritten consistently up to there, without the key.
    Rewritten { seq: i64 },
    /// The checkpoint file is missing although the log holds keyed entries, unreadable, or not
    /// signed by the audit key (forged or edited).
    BadCheckpoint { reason: String },
}

impl AuditVerdict {
    pub fn is_intact(&self) -> bool {
        matches!(self, AuditVerdict::Intact { .. })
    }
}

/// One plain sentence, the same in the CLI and on the audit page.
impl std::fmt::Display for AuditVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditVerdict::Intact { entries } => write!(
                f,
                "The audit log is intact: {entries} entries, every hash verified."
            ),
            AuditVerdict::Broken { seq, reason } => {
                write!(f, "The audit log is BROKEN at entry {seq}: {reason}.")
            }
            AuditVerdict::Truncated { head, checkpoint } => {
                let n = checkpoint - head;
                write!(
                    f,
                    "The audit log was TRUNCATED: it ends at entry {head}, but the signed checkpoint records entry {checkpoint}, so {n} {} missing.",
                    if n == 1 { "entry is" } else { "entries are" }
                )
            }
            AuditVerdict::Rewritten { seq } => write!(
                f,
                "The audit log was REWRITTEN: entry {seq} is not the entry the signed checkpoint records."
            ),
            AuditVerdict::BadCheckpoint { reason } => {
                write!(f, "The audit checkpoint cannot be trusted: {reason}.")
            }
        }
    }
}

/// The unkeyed hash of scheme 0, unchanged since the first version so that old entries verify.
fn entry_hash(
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    object: &str,
    detail: &str,
) -> String {
    let mut h = Sha256::new();
    feed(
        &mut h,
        &[prev, &seq.to_string(), at, actor, action, object, detail],
    );
    hex(&h.finalize())
}

/// The keyed hash of scheme 1. The scheme is part of the input, so a keyed hash cannot be passed
/// off under another scheme.
#[allow(clippy::too_many_arguments)]
fn keyed_hash(
    key: &AuditKey,
    prev: &str,
    seq: i64,
    at: &str,
    actor: &str,
    action: &str,
    object: &str,
    detail: &str,
) -> String {
    let mut m = mac(&key.0[..]);
    let scheme = SCHEME_HMAC.to_string();
    feed(
        &mut m,
        &[
            &scheme,
            prev,
            &seq.to_string(),
            at,
            actor,
            action,
            object,
            detail,
        ],
    );
    hex(&m.finalize().into_bytes())
}

type Row = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
);

impl Store {
    /// Keys new audit entries and checkpoints with `key` (derived from the deployment secret).
    /// Without a key the store writes unkeyed entries as long as the log holds no keyed one, and
    /// refuses to append after one: an unkeyed entry there would break the chain.
    pub fn set_audit_key(&mut self, key: AuditKey) {
        self.audit.key = Some(key);
    }

    /// Where the signed checkpoint of the head is written and read. SQLite stores default to
    /// `<db>.audit-head` beside the database; PostgreSQL stores have none until given one.
    pub fn set_audit_checkpoint(&mut self, path: impl Into<PathBuf>) {
        self.audit.checkpoint = Some(path.into());
    }

    /// The checkpoint file, if the store has one.
    pub fn audit_checkpoint(&self) -> Option<&Path> {
        self.audit.checkpoint.as_deref()
    }

    /// Whether new entries are keyed.
    pub fn has_audit_key(&self) -> bool {
        self.audit.key.is_some()
    }

    /// Appends an entry. Concurrent writers cannot fork the chain: `seq` is the primary key, so
    /// the loser of a race retries on top of the winner. With a key, the new head is then signed
    /// into the checkpoint file and logged.
    ///
    /// `action` is a name of the vocabulary, [`actions`].
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        object: &str,
        detail: &str,
    ) -> Result<i64, StoreError> {
        let postgres = self.engine_name() == "postgres";
        let key = self.audit.key.as_ref();
        for _ in 0..20 {
            let at = now()?;
            // Ok(None): the log is keyed and this store has no key; nothing was written.
            let res: Result<Option<(i64, String)>, sqlx::Error> = on_pool!(self, |pool| {
                async {
                    let mut tx = pool.begin_write().await?;
                    if postgres {
                        // One appender at a time, held to commit: without it concurrent writers
                        // under READ COMMITTED all read the same last entry and all but one fail.
                        sqlx::query("SELECT pg_advisory_xact_lock(7263541, 1)").execute(&mut *tx).await?;
                    }
                    let last: Option<(i64, String, i64)> = sqlx::query_as("SELECT seq, hash, scheme FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut *tx).await?;
                    if key.is_none() && last.as_ref().is_some_and(|l| l.2 != SCHEME_SHA256) {
                        return Ok(None);
                    }
                    let (seq, prev) = last.map(|(s, h, _)| (s + 1, h)).unwrap_or((1, GENESIS.to_string()));
                    let (hash, scheme) = match key {
                        Some(k) => (keyed_hash(k, &prev, seq, &at, actor, action, object, detail), SCHEME_HMAC),
                        None => (entry_hash(&prev, seq, &at, actor, action, object, detail), SCHEME_SHA256),
                    };
                    sqlx::query("INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash, scheme) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                        .bind(seq).bind(&at).bind(actor).bind(action).bind(object).bind(detail).bind(&prev).bind(&hash).bind(scheme)
                        .execute(&mut *tx).await?;
                    tx.commit().await?;
                    Ok(Some((seq, hash)))
                }
                .await
            });
            match res {
                Ok(Some((seq, hash))) => {
                    self.checkpoint(seq, hash).await?;
                    return Ok(seq);
                }
                Ok(None) => {
                    return Err(StoreError::Invalid(
                        "the audit log is signed with the deployment secret's audit key, and this store was opened without it".into(),
                    ));
                }
                Err(sqlx::Error::Database(e)) if e.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict(
            "the audit log is too busy; try again".into(),
        ))
    }

    /// Publishes a committed head: to the log, and signed to the checkpoint file. Written after
    /// the commit, never before: a checkpoint ahead of the database would read as a truncation,
    /// one behind it only covers a little less. A failure is returned, not swallowed, so that a
    /// deployment whose checkpoint cannot be written finds out at once.
    async fn checkpoint(&self, seq: i64, hash: String) -> Result<(), StoreError> {
        tracing::info!(seq, hash = %hash, "audit head");
        let (Some(key), Some(path)) = (self.audit.key.clone(), self.audit.checkpoint.clone())
        else {
            return Ok(());
        };
        // The signed head on file is replaced only by a head that descends from it. After a cut
        // or a rewrite the old checkpoint stays as evidence, however many entries follow, until
        // someone who has looked into it removes the file; a damaged or forged one stays too.
        match read_checkpoint(&key, &path) {
            OnFile::Missing => {}
            OnFile::Signed(cp) if cp.seq >= seq => return Ok(()),
            OnFile::Signed(cp) => {
                let there: Option<(String,)> = on_pool!(self, |pool| {
                    sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
                        .bind(cp.seq)
                        .fetch_optional(pool)
                        .await
                })?;
                if there.is_none_or(|h| h.0 != cp.hash) {
                    tracing::error!(
                        checkpoint = cp.seq,
                        seq,
                        "the audit log no longer holds the head signed in {}: it was cut or rewritten; the checkpoint is kept (run tessera audit verify)",
                        path.display()
                    );
                    return Ok(());
                }
            }
            OnFile::Bad(reason) => {
                tracing::error!("{reason}; it is kept, not replaced (run tessera audit verify)");
                return Ok(());
            }
        }
        let written = self.audit.written.clone();
        // A small file, but synced to disk: kept off the async workers.
        tokio::task::spawn_blocking(move || write_checkpoint(&key, &path, &written, seq, &hash))
            .await
            .map_err(|e| StoreError::Invalid(format!("the audit checkpoint writer failed: {e}")))?
    }

    /// The state of the checkpoint file, for a backup.
    pub(crate) fn checkpoint_state(&self) -> CheckpointState {
        let (Some(key), Some(path)) = (self.audit.key.as_ref(), self.audit.checkpoint.as_deref())
        else {
            return CheckpointState::Unkeyed;
        };
        let text = std::fs::read_to_string(path).ok();
        match read_checkpoint(key, path) {
            OnFile::Missing => CheckpointState::Missing,
            OnFile::Bad(reason) => CheckpointState::Bad(reason, text),
            OnFile::Signed(cp) => CheckpointState::Signed {
                seq: cp.seq,
                hash: cp.hash,
                text: text.unwrap_or_default(),
            },
        }
    }

    /// A checkpoint line for the head `(seq, hash)` signed with the audit key, as the
    /// checkpoint file holds it; `None` without a key.
    pub(crate) fn signed_head(&self, seq: i64, hash: &str) -> Result<Option<String>, StoreError> {
        let Some(key) = self.audit.key.as_ref() else {
            return Ok(None);
        };
        let at = now()?;
        let mac = hex(&checkpoint_mac(key, seq, hash, &at).finalize().into_bytes());
        let cp = Checkpoint {
            seq,
            hash: hash.to_string(),
            at,
            mac,
        };
        serde_json::to_string(&cp)
            .map(|t| Some(t + "\n"))
            .map_err(|e| StoreError::Invalid(e.to_string()))
    }

    /// Writes a checkpoint file's text as it was given (a restored deployment's, signed by its
    /// own key); refuses to replace an existing file, which belongs to another database.
    pub(crate) fn install_checkpoint(&self, text: &str) -> Result<Option<PathBuf>, StoreError> {
        let Some(path) = self.audit.checkpoint.as_deref() else {
            return Ok(None);
        };
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists: it is the audit checkpoint of another database; move it away first",
                path.display()
            )));
        }
        atomic_write(path, text).map_err(|e| StoreError::AuditCheckpoint {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Ok(Some(path.to_path_buf()))
    }

    /// The last entry's seq and hash (none for an empty log), for monitoring.
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(pool)
                .await
        })?)
    }

    /// Entries, newest first, optionally filtered by actor or action.
    pub async fn audit_entries(
        &self,
        actor: Option<&str>,
        action: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        self.audit_entries_before(actor, action, None, limit).await
    }

    /// [`Store::audit_entries`] older than entry `before` (keyset paging, newest first).
    pub async fn audit_entries_before(
        &self,
        actor: Option<&str>,
        action: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT seq, at, actor, action, object, detail, prev_hash, hash, scheme FROM audit_log
             WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) AND ($3 IS NULL OR seq < $3) ORDER BY seq DESC LIMIT $4")
            .bind(actor).bind(action).bind(before).bind(limit).fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, at, actor, action, object, detail, prev_hash, hash, scheme)| AuditEntry {
                    seq,
                    at,
                    actor,
                    action,
                    object,
                    detail,
                    prev_hash,
                    hash,
                    scheme,
                },
            )
            .collect())
    }

    /// Recomputes the chain from the first entry and reports the first break; then compares the
    /// chain with the signed checkpoint (when the store has a key and a checkpoint file).
    /// Verifying keyed entries needs the key: without it the answer is an error, not a verdict.
    pub async fn verify_audit(&self) -> Result<AuditVerdict, StoreError> {
        let rows: Vec<Row> = on_pool!(self, |pool| {
            sqlx::query_as("SELECT seq, at, actor, action, object, detail, prev_hash, hash, scheme FROM audit_log ORDER BY seq").fetch_all(pool).await
        })?;
        let key = self.audit.key.as_ref();
        let mut prev = GENESIS.to_string();
        let mut keyed = false;
        for (expected_seq, (seq, at, actor, action, object, detail, prev_hash, hash, scheme)) in
            (1..).zip(&rows)
        {
            let seq = *seq;
            if seq != expected_seq {
                return Ok(AuditVerdict::Broken {
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} is missing (next is {seq})"),
                });
            }
            if *prev_hash != prev {
                return Ok(AuditVerdict::Broken {
                    seq,
                    reason: "it does not point to the entry before it".into(),
                });
            }
            let expected = match *scheme {
                SCHEME_SHA256 if keyed => {
                    return Ok(AuditVerdict::Broken {
                        seq,
                        reason: "it is unkeyed although keyed entries come before it, so it was rehashed without the audit key".into(),
                    });
                }
                SCHEME_SHA256 => entry_hash(prev_hash, seq, at, actor, action, object, detail),
                SCHEME_HMAC => {
                    keyed = true;
                    let Some(k) = key else {
                        return Err(StoreError::Invalid(
                            "the audit log is signed with the deployment secret's audit key; verifying it needs the deployment secret".into(),
                        ));
                    };
                    keyed_hash(k, prev_hash, seq, at, actor, action, object, detail)
                }
                other => {
                    return Ok(AuditVerdict::Broken {
                        seq,
                        reason: format!("its hash scheme {other} is unknown"),
                    });
                }
            };
            if expected != *hash {
                return Ok(AuditVerdict::Broken {
                    seq,
                    reason: if *scheme == SCHEME_HMAC {
                        "its content was altered, or its hash was computed without the audit key"
                            .into()
                    } else {
                        "its content was altered".into()
                    },
                });
            }
            prev = hash.clone();
        }
        let entries = rows.len() as i64;
        let (Some(key), Some(path)) = (key, self.audit.checkpoint.as_deref()) else {
            return Ok(AuditVerdict::Intact { entries });
        };
        let cp = match read_checkpoint(key, path) {
            // A log with no keyed entry predates the key (an upgraded deployment before its
            // first keyed append): there is no checkpoint to expect yet.
            OnFile::Missing if !keyed => return Ok(AuditVerdict::Intact { entries }),
            OnFile::Missing => {
                return Ok(AuditVerdict::BadCheckpoint {
                    reason: format!(
                        "the checkpoint file {} is missing, though the log holds keyed entries",
                        path.display()
                    ),
                });
            }
            OnFile::Bad(reason) => return Ok(AuditVerdict::BadCheckpoint { reason }),
            OnFile::Signed(cp) => cp,
        };
        // Seqs run 1, 2, … (checked above): entry n is row n − 1.
        Ok(match rows.get((cp.seq - 1) as usize) {
            None => AuditVerdict::Truncated {
                head: entries,
                checkpoint: cp.seq,
            },
            Some(row) if row.7 != cp.hash => AuditVerdict::Rewritten { seq: cp.seq },
            Some(_) => AuditVerdict::Intact { entries },
        })
    }
}

/// The names of audited actions: one vocabulary for the web, the CLI and the store, so that a
/// filter on the audit page or a query on the log finds every writer's entries.
///
/// The form is `object.verb`: the object acted on (`session`, `user`, `provider`, `agreement`,
/// `period`, `nap`, `submission`, `record` for one or a page of case-level records read,
/// `records` for a whole file imported or exported, `pseudonym`, `linkage`, `link`, `demo`) and a
/// present-tense verb, with its own object when the first is not enough (`user.issue_token`).
/// An attempt that failed is the attempt's name with `_failed` (`session.sign_in_failed`).
///
/// Every writer names its action with one of these constants; a test
/// (`crates/store/tests/audit_vocabulary.rs`) reads the sources of every crate and refuses an
/// action name that is not here. A new kind of entry is a new line here (and in `docs/` where
/// actions are listed).
/// Entries written before the vocabulary keep their names: see [`RENAMED`].
pub mod actions {
    macro_rules! vocabulary {
        ($($(#[$doc:meta])* $name:ident = $value:literal,)*) => {
            $($(#[$doc])* pub const $name: &str = $value;)*
            /// Every action name above, in order.
            pub const ALL: &[&str] = &[$($name),*];
        };
    }

    vocabulary! {
        /// A user signed in with the right password (the second factor, if any, is still due).
        SESSION_SIGN_IN = "session.sign_in",
        /// A wrong username or password.
        SESSION_SIGN_IN_FAILED = "session.sign_in_failed",
        /// The second factor's code was right: the session is open.
        SESSION_VERIFY_CODE = "session.verify_code",
        /// A wrong or reused second-factor code.
        SESSION_VERIFY_CODE_FAILED = "session.verify_code_failed",
        SESSION_SIGN_OUT = "session.sign_out",
        /// An account created (web, `tessera user add`, `tessera init`'s administrator).
        USER_CREATE = "user.create",
        /// An administrator set a temporary password.
        USER_RESET = "user.reset",
        USER_DISABLE = "user.disable",
        USER_ENABLE = "user.enable",
        /// An API token issued for a user.
        USER_ISSUE_TOKEN = "user.issue_token",
        /// A user's API tokens of a label revoked.
        USER_REVOKE_TOKENS = "user.revoke_tokens",
        /// A user changed their own password.
        USER_CHANGE_PASSWORD = "user.change_password",
        USER_ENROL_TOTP = "user.enrol_totp",
        USER_REMOVE_TOTP = "user.remove_totp",
        PROVIDER_REGISTER = "provider.register",
        PROVIDER_EDIT = "provider.edit",
        PROVIDER_RETIRE = "provider.retire",
        /// Providers registered from a list (CSV or XLSX).
        PROVIDER_IMPORT = "provider.import",
        AGREEMENT_ADD = "agreement.add",
        AGREEMENT_END = "agreement.end",
        PERIOD_OPEN = "period.open",
        PERIOD_CLOSE = "period.close",
        /// A National Action Plan loaded from its TOML file.
        NAP_LOAD = "nap.load",
        /// A figure of an indicator entered by hand (or removed), from activity records.
        NAP_SET_VALUE = "nap.set_value",
        /// An indicator's baseline and targets changed on the plan's page (before and after).
        NAP_EDIT_TARGETS = "nap.edit_targets",
        /// A file or a form's row stored into a submission from the web.
        SUBMISSION_UPLOAD = "submission.upload",
        SUBMISSION_SUBMIT = "submission.submit",
        SUBMISSION_APPROVE = "submission.approve",
        SUBMISSION_RETURN = "submission.return",
        /// A page of case-level records listed (web page or API).
        RECORD_LIST = "record.list",
        /// One case-level record and its history read.
        RECORD_READ = "record.read",
        /// The records behind a dashboard row listed.
        RECORD_DRILL = "record.drill",
        /// A file of records imported by the CLI.
        RECORDS_IMPORT = "records.import",
        /// Records exported by the CLI.
        RECORDS_EXPORT = "records.export",
        /// The deployment secret handed to a browser for pseudonymisation.
        PSEUDONYM_ISSUE_KEY = "pseudonym.issue_key",
        /// Record linkage run over stored pseudonyms.
        LINKAGE_RUN = "linkage.run",
        /// A reviewer's verdict: the two records are the same person.
        LINK_MARK_SAME = "link.mark_same",
        /// A reviewer's verdict: the two records are different persons.
        LINK_MARK_DIFFERENT = "link.mark_different",
        /// A demonstration deployment generated.
        DEMO_CREATE = "demo.create",
        /// A generated sentence of the annual report replaced by hand before publication
        /// (year, language, sentence; the text before and after).
        REPORT_EDIT_SENTENCE = "report.edit_sentence",
        /// A sentence of the annual report edited by hand put back to the generated text.
        REPORT_RESET_SENTENCE = "report.reset_sentence",
        /// The deployment's privacy budget (total ε of its releases) set, before and after.
        RELEASE_SET_BUDGET = "release.set_budget",
        /// Differentially private tables released: the ε spent, the budget after, the tables.
        RELEASE_DP = "release.dp",
        /// Synthetic microdata released: the ε spent, the budget after, the variables.
        RELEASE_SYNTHETIC = "release.synthetic",
        /// A backup of the whole database written (file, its SHA-256, the audit head it holds,
        /// whether the deployment secret is in it).
        BACKUP_CREATE = "backup.create",
        /// A database restored from a backup (written into the restored database).
        BACKUP_RESTORE = "backup.restore",
        /// Records past their entity's retention period deleted (entity, cut-off, counts).
        RETENTION_APPLY = "retention.apply",
        /// The retention rules changed (before and after).
        RETENTION_SET = "retention.set",
        /// A person's records deleted on a lawful request (the request's reference, how many
        /// records of which entities and providers; never their values).
        PERSON_DELETE = "person.delete",
    }

    /// Names written before the vocabulary was fixed, with the name that replaced each. Entries
    /// already in a log keep their old name (the log is append-only); a search of an older log
    /// looks for both.
    pub const RENAMED: &[(&str, &str)] = &[
        ("session.second_factor", SESSION_VERIFY_CODE),
        ("session.second_factor_failed", SESSION_VERIFY_CODE_FAILED),
        ("user.token", USER_ISSUE_TOKEN),
        ("user.revoke", USER_REVOKE_TOKENS),
        ("user.password", USER_CHANGE_PASSWORD),
        ("user.totp_enrol", USER_ENROL_TOTP),
        ("user.totp_remove", USER_REMOVE_TOTP),
        ("submission.submitted", SUBMISSION_SUBMIT),
        ("submission.approved", SUBMISSION_APPROVE),
        ("submission.returned", SUBMISSION_RETURN),
        ("pseudonym.key_issued", PSEUDONYM_ISSUE_KEY),
        ("link.same", LINK_MARK_SAME),
        ("link.different", LINK_MARK_DIFFERENT),
    ];

    /// Whether `action` is a name of the vocabulary.
    pub fn is_known(action: &str) -> bool {
        ALL.contains(&action)
    }
}
