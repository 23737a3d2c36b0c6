//! The audit log against an intruder with database access (security finding 8): with the
//! append-only triggers dropped, cutting the tail, rewriting the chain without the key, or
//! forging the checkpoint file must each be reported; an intact log, and an old unkeyed log,
//! must still verify. Every test runs on SQLite and PostgreSQL.

mod common;

use std::path::PathBuf;

use common::{Engine, engines};
use sha2::{Digest, Sha256};
use tessera_store::{AuditKey, AuditVerdict, Store, StoreError};

/// A deployment secret's bytes, for the tests only.
const SECRET: &[u8] = &[7u8; 32];

/// The engines, each store keyed and checkpointed: SQLite beside its file (the default),
/// PostgreSQL in a temporary folder (kept alive by the returned directory).
async fn keyed() -> Vec<(Engine, tempfile::TempDir)> {
    let mut out = Vec::new();
    for mut e in engines().await {
        let dir = tempfile::tempdir().unwrap();
        e.store.set_audit_key(AuditKey::derive(SECRET));
        if e.name == "postgres" {
            e.store.set_audit_checkpoint(dir.path().join("audit-head"));
        }
        out.push((e, dir));
    }
    out
}

fn checkpoint_path(e: &Engine) -> PathBuf {
    e.store.audit_checkpoint().unwrap().to_path_buf()
}

fn checkpoint(e: &Engine) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(checkpoint_path(e)).unwrap()).unwrap()
}

async fn fill(s: &Store, n: usize) {
    for i in 0..n {
        s.audit("awa", "record.read", &format!("record/{i}"), "{}")
            .await
            .unwrap();
    }
}

/// The intruder disables the append-only guard first.
async fn drop_guards(e: &Engine) {
    if e.name == "sqlite" {
        e.raw
            .exec("DROP TRIGGER audit_log_no_update")
            .await
            .unwrap();
        e.raw
            .exec("DROP TRIGGER audit_log_no_delete")
            .await
            .unwrap();
    } else {
        e.raw
            .exec("DROP TRIGGER audit_log_no_change ON audit_log")
            .await
            .unwrap();
    }
}

/// The unkeyed hash anyone can compute (the scheme-0 layout: length-prefixed parts).
fn sha256_hash(prev: &str, seq: i64, at: &str, parts: [&str; 4]) -> String {
    let mut h = Sha256::new();
    let seq = seq.to_string();
    for part in [prev, seq.as_str(), at].into_iter().chain(parts) {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// What an intruder without the key does: edits entry `edit`'s detail, then recomputes the hash
/// of every entry from `from` on with unkeyed SHA-256, each pointing to the one before, and
/// labels them `scheme`.
async fn rehash_without_key(e: &Engine, edit: i64, from: i64, scheme: i64) {
    let mut entries = e.store.audit_entries(None, None, i64::MAX).await.unwrap();
    entries.reverse();
    let mut prev = "0".repeat(64);
    for x in &entries {
        if x.seq < from {
            prev = x.hash.clone();
            continue;
        }
        let detail = if x.seq == edit {
            "{\"note\":\"nothing to see\"}"
        } else {
            x.detail.as_str()
        };
        let hash = sha256_hash(
            &prev,
            x.seq,
            &x.at,
            [&x.actor, &x.action, &x.object, detail],
        );
        e.raw
            .exec_string(format!(
                "UPDATE audit_log SET detail = '{}', prev_hash = '{prev}', hash = '{hash}', scheme = {scheme} WHERE seq = {}",
                detail.replace('\'', "''"),
                x.seq
            ))
            .await
            .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn an_intact_keyed_log_verifies_and_its_head_is_checkpointed() {
    for (e, _dir) in keyed().await {
        fill(&e.store, 5).await;
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 5 },
            "{}",
            e.name
        );
        let entries = e.store.audit_entries(None, None, 10).await.unwrap();
        assert!(entries.iter().all(|x| x.scheme == 1), "{}", e.name);
        let cp = checkpoint(&e);
        assert_eq!(cp["seq"], 5, "{}", e.name);
        assert_eq!(cp["hash"], entries[0].hash.as_str(), "{}", e.name);
        assert_eq!(
            e.store.audit_head().await.unwrap(),
            Some((5, entries[0].hash.clone()))
        );
        if let Some(db) = e.sqlite_path() {
            // SQLite's default: beside the database.
            assert_eq!(
                checkpoint_path(&e),
                PathBuf::from(format!("{}.audit-head", db.display()))
            );
        }
    }
}

#[tokio::test]
async fn deleting_the_last_entry_is_reported_as_truncation() {
    for (e, _dir) in keyed().await {
        fill(&e.store, 5).await;
        drop_guards(&e).await;
        e.raw
            .exec("DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)")
            .await
            .unwrap();
        let verdict = e.store.verify_audit().await.unwrap();
        assert_eq!(
            verdict,
            AuditVerdict::Truncated {
                head: 4,
                checkpoint: 5
            },
            "{}",
            e.name
        );
        assert!(verdict.to_string().contains("1 entry is missing"));
        // New entries do not paper over the cut: the checkpoint is only replaced by a head that
        // descends from it, and entry 5 is now another one.
        fill(&e.store, 2).await;
        assert_eq!(checkpoint(&e)["seq"], 5, "{}", e.name);
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Rewritten { seq: 5 },
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn deleting_the_last_200_entries_is_reported_as_truncation() {
    for (e, _dir) in keyed().await {
        fill(&e.store, 250).await;
        drop_guards(&e).await;
        assert_eq!(
            e.raw
                .exec("DELETE FROM audit_log WHERE seq > 50")
                .await
                .unwrap(),
            200
        );
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Truncated {
                head: 50,
                checkpoint: 250
            },
            "{}",
            e.name
        );
        // Even once as many entries again were appended.
        fill(&e.store, 201).await;
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Rewritten { seq: 250 },
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn a_chain_recomputed_without_the_key_is_reported() {
    for (e, _dir) in keyed().await {
        fill(&e.store, 6).await;
        drop_guards(&e).await;
        // Rehashed from the edit on, still claiming the keyed scheme: the MAC does not match.
        rehash_without_key(&e, 3, 3, 1).await;
        assert!(
            matches!(
                e.store.verify_audit().await.unwrap(),
                AuditVerdict::Broken { seq: 3, .. }
            ),
            "{}",
            e.name
        );
        // Downgraded to the unkeyed scheme from the edit on: unkeyed after keyed is refused.
        rehash_without_key(&e, 3, 3, 0).await;
        assert!(
            matches!(
                e.store.verify_audit().await.unwrap(),
                AuditVerdict::Broken { seq: 3, .. }
            ),
            "{}",
            e.name
        );
        // The whole chain recomputed as an old unkeyed one is consistent in itself, and the signed
        // checkpoint shows it is not the chain that was there.
        rehash_without_key(&e, 3, 1, 0).await;
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Rewritten { seq: 6 },
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn a_forged_unsigned_or_missing_checkpoint_is_reported() {
    for (e, _dir) in keyed().await {
        fill(&e.store, 3).await;
        let path = checkpoint_path(&e);
        let genuine = std::fs::read_to_string(&path).unwrap();
        let bad = |v: AuditVerdict| matches!(v, AuditVerdict::BadCheckpoint { .. });

        // Its seq edited, to make a truncated log look complete.
        let mut cp = checkpoint(&e);
        cp["seq"] = 2.into();
        std::fs::write(&path, cp.to_string()).unwrap();
        assert!(bad(e.store.verify_audit().await.unwrap()), "{}", e.name);
        // Unsigned.
        let mut cp = checkpoint(&e);
        cp["seq"] = 3.into();
        cp["mac"] = "".into();
        std::fs::write(&path, cp.to_string()).unwrap();
        assert!(bad(e.store.verify_audit().await.unwrap()), "{}", e.name);
        // The genuine one verifies.
        std::fs::write(&path, &genuine).unwrap();
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 3 }
        );
        // Not a checkpoint; and the next entry does not paper over it.
        std::fs::write(&path, "seq=3").unwrap();
        assert!(bad(e.store.verify_audit().await.unwrap()), "{}", e.name);
        fill(&e.store, 1).await;
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "seq=3");
        assert!(bad(e.store.verify_audit().await.unwrap()), "{}", e.name);
        // Removed, while the log holds keyed entries.
        std::fs::remove_file(&path).unwrap();
        assert!(bad(e.store.verify_audit().await.unwrap()), "{}", e.name);
        // Once someone has looked into it and removed it, the next entry signs a new head.
        fill(&e.store, 1).await;
        assert_eq!(checkpoint(&e)["seq"], 5, "{}", e.name);
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 5 }
        );
    }
}

#[tokio::test]
async fn an_old_unkeyed_log_keeps_verifying_once_keyed_and_cannot_be_appended_without_the_key() {
    for e in engines().await {
        let dir = tempfile::tempdir().unwrap();
        // Before the upgrade: no key, unkeyed entries, no checkpoint.
        let plain = e.store.clone();
        fill(&plain, 3).await;
        assert_eq!(
            plain.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 3 }
        );
        if let Some(p) = plain.audit_checkpoint() {
            assert!(!p.exists(), "{}: a checkpoint without a key", e.name);
        }
        // After: the old entries verify, with no checkpoint expected yet, then new ones are keyed.
        let mut keyed = plain.clone();
        keyed.set_audit_key(AuditKey::derive(SECRET));
        if e.name == "postgres" {
            keyed.set_audit_checkpoint(dir.path().join("audit-head"));
        }
        assert_eq!(
            keyed.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 3 },
            "{}",
            e.name
        );
        fill(&keyed, 2).await;
        assert_eq!(
            keyed.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 5 },
            "{}",
            e.name
        );
        let mut schemes: Vec<i64> = keyed
            .audit_entries(None, None, 10)
            .await
            .unwrap()
            .iter()
            .map(|x| x.scheme)
            .collect();
        schemes.reverse();
        assert_eq!(schemes, [0, 0, 0, 1, 1], "{}", e.name);
        // A store without the key can neither extend nor verify a keyed log.
        assert!(matches!(
            plain.audit("cli", "x", "y", "{}").await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            plain.verify_audit().await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            keyed.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 5 }
        );
    }
}

#[tokio::test]
async fn concurrent_keyed_appends_leave_the_checkpoint_at_the_head() {
    for (e, _dir) in keyed().await {
        common::append_concurrently(&e.store, 8, 5).await;
        assert_eq!(
            e.store.verify_audit().await.unwrap(),
            AuditVerdict::Intact { entries: 40 },
            "{}",
            e.name
        );
        assert_eq!(checkpoint(&e)["seq"], 40, "{}", e.name);
    }
}
