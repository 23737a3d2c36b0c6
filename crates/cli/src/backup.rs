//! `tessera backup` and `tessera restore`: the whole deployment in one verified file, taken
//! online (imports and the server go on), restored into a fresh database of either engine.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use tessera_store::{AuditKey, Store, VerifiedBackup, keyfile, secret_fingerprint, verify_backup};
use zeroize::Zeroizing;

use crate::common::{Global, checkpoint_path, load_secret, open_store, secret_path};

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The backup file to write (one zip archive: every table, a manifest with row counts and
    /// SHA-256 checksums, the audit log's signed head). Written under a temporary name and
    /// renamed once complete.
    #[arg(long)]
    out: PathBuf,
    /// Put the deployment secret file in the backup too (as it is on disk: wrapped by its
    /// passphrase, or in clear). Without it the backup cannot recreate the deployment alone:
    /// keep the secret file safe separately.
    #[arg(long)]
    with_secret: bool,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// The backup file written by `tessera backup`.
    #[arg(long)]
    from: PathBuf,
}

/// What a backup without the secret means, said at backup and at restore.
const WITHOUT_SECRET: &str = "Without the deployment secret a restored database keeps every record, but new imports will not link to the old pseudonyms (the same person would be counted twice) and its audit log can be neither verified nor extended.";

pub async fn backup(g: &Global, args: BackupArgs) -> Result<()> {
    let db = g.db();
    let secret = load_secret(&db)?;
    let secret_text = if args.with_secret {
        let path = secret_path(&db)?;
        if secret.is_none() {
            bail!(
                "--with-secret: there is no deployment secret at {}",
                path.display()
            );
        }
        Some(Zeroizing::new(
            std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read the secret file {}", path.display()))?,
        ))
    } else {
        None
    };
    let store = open_store(&db).await?;
    let summary = store
        .backup(
            &args.out,
            tessera_store::BackupOptions {
                actor: "cli",
                secret: secret.as_ref(),
                include_secret_file: secret_text.as_deref().map(String::as_str),
            },
        )
        .await?;
    store.close().await;
    let m = &summary.manifest;
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    println!(
        "Backup of {} written to {}: {} tables, {rows} rows, {} bytes, SHA-256 {} (note it beside the file).",
        db.db,
        args.out.display(),
        m.tables.len(),
        summary.bytes,
        summary.sha256
    );
    for t in &m.tables {
        println!("  {:<20} {:>10} rows", t.name, t.rows);
    }
    match (m.audit.head_seq, m.audit.checkpoint_signs_head) {
        (Some(seq), true) => println!("Audit log: up to entry {seq}, its head signed."),
        (Some(seq), false) => println!(
            "Audit log: up to entry {seq}, NOT signed: {}",
            m.audit.warning.as_deref().unwrap_or("no audit key")
        ),
        (None, _) => println!("Audit log: empty."),
    }
    if m.secret.included {
        println!(
            "The backup HOLDS the deployment secret ({}): whoever has the file{} can pseudonymise names and test guesses against the pseudonyms. Keep it as you keep the secret file.",
            if m.secret.wrapped {
                "wrapped by its passphrase"
            } else {
                "in clear"
            },
            if m.secret.wrapped {
                " and the passphrase"
            } else {
                ""
            }
        );
    } else {
        println!(
            "The backup does NOT hold the deployment secret{}: keep the secret file safe separately. {WITHOUT_SECRET}",
            m.secret
                .fingerprint
                .as_deref()
                .map(|f| format!(" (fingerprint {f})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Removes a restore's half-made SQLite files when the database did not exist before.
fn forget_new_sqlite(db: &str) {
    let path = db.trim_start_matches("sqlite://");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
}

pub async fn restore(g: &Global, args: RestoreArgs) -> Result<()> {
    let db = g.db();
    let from = args.from.clone();
    let backup: VerifiedBackup = tokio::task::spawn_blocking(move || verify_backup(&from))
        .await
        .context("the backup could not be read")??;
    let m = &backup.manifest;
    let expected = m.secret.fingerprint.as_deref();
    let postgres = db.db.starts_with("postgres");
    let target_secret = if postgres && db.secret_file.is_none() {
        None
    } else {
        Some(secret_path(&db)?)
    };
    // The secret the restored deployment will use: the one beside it, or the backup's.
    let existing = match &target_secret {
        Some(p) if p.exists() => load_secret(&db)?,
        _ => None,
    };
    let mut write_secret: Option<(PathBuf, Zeroizing<String>)> = None;
    let secret = match (existing, &backup.secret_file) {
        (Some(s), _) => {
            if let Some(f) = expected
                && secret_fingerprint(&s) != f
            {
                bail!(
                    "the secret file {} is not the secret of the deployment backed up (fingerprint {} instead of {f}); give the right one with --secret-file",
                    target_secret
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    secret_fingerprint(&s)
                );
            }
            Some(s)
        }
        (None, Some(text)) => {
            let pass = if keyfile::is_wrapped(text) {
                Some(crate::secret::passphrase_from_env(
                    "TESSERA_SECRET_PASSPHRASE",
                    "TESSERA_SECRET_PASSPHRASE_FILE",
                )?
                .context("the backup's secret is wrapped by a passphrase: give it in TESSERA_SECRET_PASSPHRASE or in a file named by TESSERA_SECRET_PASSPHRASE_FILE")?)
            } else {
                None
            };
            let s = keyfile::read_secret(text, pass.as_deref().map(String::as_str))
                .context("the backup's deployment secret cannot be used")?;
            let Some(path) = target_secret.clone() else {
                bail!(
                    "the backup holds the deployment secret: name the file to write it to with --secret-file"
                );
            };
            write_secret = Some((path, Zeroizing::new(text.clone())));
            Some(s)
        }
        (None, None) => None,
    };
    let existed = !postgres && std::path::Path::new(db.db.trim_start_matches("sqlite://")).exists();
    let mut store = Store::open(&db.db).await?;
    if let Some(s) = &secret {
        store.set_audit_key(AuditKey::from_secret(s));
    }
    if (secret.is_some() || !postgres || db.audit_checkpoint.is_some())
        && let Ok(p) = checkpoint_path(&db)
    {
        store.set_audit_checkpoint(p);
    }
    let summary = match store.restore_verified(&backup, "cli").await {
        Ok(s) => s,
        Err(e) => {
            store.close().await;
            if !existed && !postgres {
                forget_new_sqlite(&db.db);
            }
            return Err(e.into());
        }
    };
    store.close().await;
    if let Some((path, text)) = write_secret {
        crate::secret::write_secret_file(&path, &text)?;
        println!(
            "The deployment secret from the backup was written to {} (readable by its owner only{}).",
            path.display(),
            if keyfile::is_wrapped(&text) {
                ", still wrapped by its passphrase"
            } else {
                ""
            }
        );
    }
    let rows: u64 = m.tables.iter().map(|t| t.rows).sum();
    println!(
        "Restored {} into {}: {} tables, {rows} rows, every checksum verified (backup taken {} from {}).",
        backup.path.display(),
        db.db,
        m.tables.len(),
        m.created_at,
        m.engine
    );
    if let Some(p) = &summary.checkpoint {
        println!("The audit checkpoint was restored to {}.", p.display());
    }
    match &summary.verdict {
        Some(v) => {
            println!("{v}");
            if !v.is_intact() {
                std::process::exit(2);
            }
        }
        None if m.audit.head_seq.is_some() => println!(
            "No deployment secret was given or found, so the audit log was not verified. Put the deployment's secret file in place (fingerprint {}) before serving. {WITHOUT_SECRET}",
            expected.unwrap_or("unknown")
        ),
        None => {}
    }
    Ok(())
}
