//! Backup and restore of a whole deployment, online, on both engines, in one file.
//!
//! A backup is a logical export read inside one transaction, so it is consistent while imports
//! and sign-ins go on: on SQLite a read transaction in WAL mode sees one snapshot of the file
//! however many writers commit meanwhile; on PostgreSQL a `REPEATABLE READ, READ ONLY`
//! transaction does the same. Tables are Tessera's own — every table the migrations create, but
//! their bookkeeping and sign-in sessions — read from the database's catalog with their columns,
//! so a table or column added by a later migration is backed up without a change here. Values are written engine-neutral (integers, reals, booleans, text,
//! bytes; timestamps as RFC 3339 text, the way SQLite keeps them), so a backup restores into
//! either engine.
//!
//! The file is a zip archive: one JSON-lines entry per table (each row a JSON array), the
//! deployment secret file's text only when asked (`secret`), and `manifest.json`, written last:
//! format, Tessera's version, the migrations applied, per table its columns, row count, SHA-256
//! and identity sequence, the SHA-256 of the whole content, the audit log's head and a checkpoint
//! of that head signed with the audit key. Restoring verifies all of it before it writes a row,
//! so a damaged or truncated file is refused with one sentence and the target stays empty.
//!
//! The audit checkpoint: the backup signs the head *its snapshot* holds (the checkpoint file on
//! disk may already be ahead of it, since imports go on), but only after checking that the chain
//! the snapshot holds reaches the head signed on disk — otherwise a cut or rewritten log would be
//! laundered into a restored copy that verifies. In that case the file on disk is carried as it
//! is, with a warning, and the restored copy reports what the original would.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use futures_util::TryStreamExt;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use sqlx::{Row, TypeInfo, ValueRef};
use tessera_pseudonym::Secret;
use tokio::sync::mpsc;

use crate::audit::CheckpointState;
use crate::{AuditVerdict, Engine, Store, StoreError, actions};

/// The first field of a backup's manifest.
pub const FORMAT: &str = "tessera-backup";
const FORMAT_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const SECRET_ENTRY: &str = "secret";

/// Tables never copied: the migrations' own bookkeeping (the restoring binary migrates) and
/// sign-in sessions (after a restore everyone signs in again).
const SKIPPED: &[&str] = &["schema_migrations", "sessions"];

/// What a backup carries and who takes it.
pub struct BackupOptions<'a> {
    /// Who takes the backup, for the audit log.
    pub actor: &'a str,
    /// The deployment secret, when known: its fingerprint goes into the manifest, so a restore
    /// can tell whether the secret it is given is the right one.
    pub secret: Option<&'a Secret>,
    /// The secret file's text to carry in the backup (`--with-secret`), clear or wrapped as it is
    /// on disk. `None`: the backup holds no secret.
    pub include_secret_file: Option<&'a str>,
}

/// The manifest of a backup file.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The Tessera version that wrote it.
    pub tessera_version: String,
    pub created_at: String,
    /// The engine it was taken from (`sqlite`, `postgres`).
    pub engine: String,
    /// The schema migrations applied to the database backed up.
    pub migrations: Vec<i64>,
    /// In the order they were written (parents before the tables that refer to them).
    pub tables: Vec<TableManifest>,
    pub audit: AuditManifest,
    pub secret: SecretManifest,
    /// SHA-256 of every entry but the manifest, in the order listed (tables, then the secret).
    pub content_sha256: String,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TableManifest {
    pub name: String,
    pub entry: String,
    pub columns: Vec<String>,
    /// Each column's declared type on the engine backed up (for information).
    pub types: Vec<String>,
    pub rows: u64,
    pub sha256: String,
    /// The last value handed out by the table's identity sequence (`None`: it has none), so
    /// the restored database never reuses an id.
    pub sequence: Option<i64>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct AuditManifest {
    pub head_seq: Option<i64>,
    pub head_hash: Option<String>,
    /// The checkpoint file's text to install beside the restored database.
    pub checkpoint: Option<String>,
    /// Whether that checkpoint signs the backup's head (otherwise it is the file found on disk,
    /// carried as evidence).
    pub checkpoint_signs_head: bool,
    /// Why the audit log's head is not signed in the backup, when it is not.
    pub warning: Option<String>,
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SecretManifest {
    pub included: bool,
    /// Whether the secret carried is wrapped by a passphrase.
    pub wrapped: bool,
    /// [`secret_fingerprint`] of the deployment secret, when the backup knew it.
    pub fingerprint: Option<String>,
}

/// What `Store::backup` wrote.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub manifest: Manifest,
    /// Size of the file, in bytes.
    pub bytes: u64,
    /// SHA-256 of the whole file, to note beside it.
    pub sha256: String,
}

/// A backup file whose every checksum was verified, with the secret file's text it carries.
#[derive(Debug, Clone)]
pub struct VerifiedBackup {
    pub path: PathBuf,
    pub manifest: Manifest,
    pub secret_file: Option<String>,
}

/// What `Store::restore` did.
#[derive(Debug, Clone)]
pub struct RestoreSummary {
    pub manifest: Manifest,
    /// Where the audit checkpoint was installed, if it was.
    pub checkpoint: Option<PathBuf>,
    /// The audit log's verdict on the restored copy (`None` without the audit key).
    pub verdict: Option<AuditVerdict>,
}

/// A short, non-secret fingerprint of the deployment secret: HMAC-SHA256(secret, label), 16 bytes
/// in hex. It tells two secrets apart without saying anything about either.
pub fn secret_fingerprint(secret: &Secret) -> String {
    let bytes = crate::keyfile::secret_bytes(secret);
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&bytes)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(b"tessera secret fingerprint v1");
    hex(&m.finalize().into_bytes()[..16])
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

/// One value, engine-neutral.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Int(i) => J::from(*i),
            Value::Real(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Bool(b) => J::Bool(*b),
            Value::Text(s) => J::String(s.clone()),
            Value::Bytes(b) => serde_json::json!({ "hex": hex(b) }),
        }
    }

    fn from_json(v: serde_json::Value) -> Option<Value> {
        use serde_json::Value as J;
        Some(match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Real(n.as_f64()?),
            },
            J::String(s) => Value::Text(s),
            J::Object(o) => Value::Bytes(unhex(o.get("hex")?.as_str()?)?),
            J::Array(_) => return None,
        })
    }
}

/// A column of a table, as the catalog describes it.
#[derive(Debug, Clone)]
struct ColumnInfo {
    name: String,
    /// The declared type (SQLite) or `format_type` (PostgreSQL).
    ty: String,
    /// Part of the primary key: rows are written in primary-key order.
    pk: bool,
    /// A PostgreSQL identity column.
    identity: bool,
}

#[derive(Debug, Clone)]
struct TableInfo {
    name: String,
    columns: Vec<ColumnInfo>,
    /// Tables this one refers to.
    parents: BTreeSet<String>,
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Parents before children (ties by name), so inserting in this order satisfies every foreign key.
fn ordered(mut tables: Vec<TableInfo>) -> Vec<TableInfo> {
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(tables.len());
    while !tables.is_empty() {
        let names: BTreeSet<String> = tables.iter().map(|t| t.name.clone()).collect();
        let ready = tables.iter().position(|t| {
            t.parents
                .iter()
                .all(|p| p == &t.name || done.contains(p) || !names.contains(p))
        });
        // A cycle (none today) would be written in name order rather than loop forever.
        let i = ready.unwrap_or(0);
        let t = tables.remove(i);
        done.insert(t.name.clone());
        out.push(t);
    }
    out
}

async fn catalog_sqlite(conn: &mut sqlx::SqliteConnection) -> Result<Vec<TableInfo>, sqlx::Error> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (name,) in names {
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info($1) ORDER BY cid")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
        let parents: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_list($1)")
                .bind(&name)
                .fetch_all(&mut *conn)
                .await?;
        out.push(TableInfo {
            name,
            columns: cols
                .into_iter()
                .map(|(name, ty, pk)| ColumnInfo {
                    name,
                    ty,
                    pk: pk > 0,
                    identity: false,
                })
                .collect(),
            parents: parents.into_iter().map(|p| p.0).collect(),
        });
    }
    Ok(ordered(out))
}

async fn catalog_pg(conn: &mut sqlx::PgConnection) -> Result<Vec<TableInfo>, sqlx::Error> {
    let names: Vec<(String,)> = sqlx::query_as(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    let fks: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, p.relname::text FROM pg_constraint k
         JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE k.contype = 'f' AND n.nspname = current_schema()",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (name,) in names {
        let cols: Vec<(String, String, bool, bool)> = sqlx::query_as(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attidentity::text <> '',
                    EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary
                            AND a.attnum = ANY(i.indkey::int2[]))
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = current_schema() AND c.relname = $1 AND a.attnum > 0
               AND NOT a.attisdropped
             ORDER BY a.attnum",
        )
        .bind(&name)
        .fetch_all(&mut *conn)
        .await?;
        out.push(TableInfo {
            parents: fks
                .iter()
                .filter(|(c, _)| c == &name)
                .map(|(_, p)| p.clone())
                .collect(),
            name,
            columns: cols
                .into_iter()
                .map(|(name, ty, identity, pk)| ColumnInfo {
                    name,
                    ty,
                    pk,
                    identity,
                })
                .collect(),
        });
    }
    Ok(ordered(out))
}

/// How a PostgreSQL column is read: the value it comes out as.
#[derive(Clone, Copy)]
enum PgKind {
    Int,
    Real,
    Bool,
    Bytes,
    Timestamp,
    Date,
    Text,
}

fn pg_kind(ty: &str) -> PgKind {
    match ty {
        "bigint" | "integer" | "smallint" => PgKind::Int,
        "double precision" | "real" => PgKind::Real,
        t if t.starts_with("numeric") => PgKind::Real,
        "boolean" => PgKind::Bool,
        "bytea" => PgKind::Bytes,
        "timestamp with time zone" => PgKind::Timestamp,
        "date" => PgKind::Date,
        _ => PgKind::Text,
    }
}

fn pg_select_expr(c: &ColumnInfo) -> String {
    let q = quote(&c.name);
    match pg_kind(&c.ty) {
        PgKind::Int => format!("CAST({q} AS BIGINT)"),
        PgKind::Real => format!("CAST({q} AS DOUBLE PRECISION)"),
        PgKind::Bool | PgKind::Bytes | PgKind::Timestamp | PgKind::Date => q,
        PgKind::Text => format!("CAST({q} AS TEXT)"),
    }
}

fn order_by(t: &TableInfo, postgres: bool) -> String {
    let pk: Vec<String> = t
        .columns
        .iter()
        .filter(|c| c.pk)
        .map(|c| {
            // Byte order for text keys on PostgreSQL, as SQLite sorts: the same data gives the
            // same entry on both engines.
            if postgres && matches!(pg_kind(&c.ty), PgKind::Text) {
                format!("{} COLLATE \"C\"", quote(&c.name))
            } else {
                quote(&c.name)
            }
        })
        .collect();
    if pk.is_empty() {
        (1..=t.columns.len())
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        pk.join(", ")
    }
}

fn sqlite_value(row: &sqlx::sqlite::SqliteRow, i: usize) -> Result<Value, sqlx::Error> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let ty = raw.type_info().name().to_string();
    Ok(match ty.as_str() {
        "INTEGER" => Value::Int(row.try_get_unchecked::<i64, _>(i)?),
        "REAL" => Value::Real(row.try_get_unchecked::<f64, _>(i)?),
        "BLOB" => Value::Bytes(row.try_get_unchecked::<Vec<u8>, _>(i)?),
        _ => Value::Text(row.try_get_unchecked::<String, _>(i)?),
    })
}

fn pg_value(row: &sqlx::postgres::PgRow, i: usize, kind: PgKind) -> Result<Value, sqlx::Error> {
    use time::format_description::well_known::Rfc3339;
    let v = match kind {
        PgKind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
        PgKind::Real => row.try_get::<Option<f64>, _>(i)?.map(Value::Real),
        PgKind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
        PgKind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
        PgKind::Timestamp => row
            .try_get::<Option<time::OffsetDateTime>, _>(i)?
            .map(|t| t.format(&Rfc3339).map(Value::Text))
            .transpose()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        PgKind::Date => row
            .try_get::<Option<time::Date>, _>(i)?
            .map(|d| {
                d.format(time::macros::format_description!("[year]-[month]-[day]"))
                    .map(Value::Text)
            })
            .transpose()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        PgKind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
    };
    Ok(v.unwrap_or(Value::Null))
}

/// What the export sends to the thread writing the archive.
enum Chunk {
    Entry(String),
    Bytes(Vec<u8>),
}

/// The export's side of the archive: hashes, counts and buffers rows, and hands the bytes to
/// the writer thread in chunks.
struct Sink {
    chan: mpsc::Sender<Chunk>,
    all: Sha256,
    entry: Sha256,
    rows: u64,
    buf: Vec<u8>,
}

const CHUNK: usize = 256 * 1024;

impl Sink {
    async fn send(&mut self, c: Chunk) -> Result<(), StoreError> {
        self.chan.send(c).await.map_err(|_| StoreError::Write {
            what: "the backup".into(),
            message: "its writer stopped".into(),
        })
    }

    async fn start(&mut self, name: &str) -> Result<(), StoreError> {
        self.entry = Sha256::new();
        self.rows = 0;
        self.send(Chunk::Entry(name.to_string())).await
    }

    async fn bytes(&mut self, b: &[u8]) -> Result<(), StoreError> {
        self.entry.update(b);
        self.all.update(b);
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            let full = std::mem::take(&mut self.buf);
            self.send(Chunk::Bytes(full)).await?;
        }
        Ok(())
    }

    async fn row(&mut self, values: &[Value]) -> Result<(), StoreError> {
        let line = serde_json::Value::Array(values.iter().map(Value::to_json).collect());
        let mut text = line.to_string();
        text.push('\n');
        self.rows += 1;
        self.bytes(text.as_bytes()).await
    }

    /// Ends the entry: its SHA-256 and row count.
    async fn end(&mut self) -> Result<(String, u64), StoreError> {
        if !self.buf.is_empty() {
            let rest = std::mem::take(&mut self.buf);
            self.send(Chunk::Bytes(rest)).await?;
        }
        let sha = std::mem::replace(&mut self.entry, Sha256::new());
        Ok((hex(&sha.finalize()), self.rows))
    }
}

fn write_archive(tmp: &Path, mut rx: mpsc::Receiver<Chunk>) -> Result<(), String> {
    let file = std::fs::File::create(tmp).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    while let Some(c) = rx.blocking_recv() {
        match c {
            Chunk::Entry(name) => zip.start_file(name, opts).map_err(|e| e.to_string())?,
            Chunk::Bytes(b) => zip.write_all(&b).map_err(|e| e.to_string())?,
        }
    }
    let buf = zip.finish().map_err(|e| e.to_string())?;
    let file = buf.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

/// What the snapshot read, besides the rows it sent.
struct Snapshot {
    migrations: Vec<i64>,
    tables: Vec<TableManifest>,
    head: Option<(i64, String)>,
    keyed: bool,
    /// The hash the snapshot holds at the seq signed on disk, when the file is behind it.
    hash_at_checkpoint: Option<String>,
}

fn write_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Write {
        what: "the backup".into(),
        message: e.to_string(),
    }
}

impl Store {
    /// Writes a backup of the whole database to `out`, online: one consistent snapshot however
    /// many imports run meanwhile. The file appears only once complete (written beside it under
    /// a temporary name, then renamed). The backup is audited in the database backed up.
    pub async fn backup(
        &self,
        out: &Path,
        opts: BackupOptions<'_>,
    ) -> Result<BackupSummary, StoreError> {
        let mut tmp = out.as_os_str().to_owned();
        tmp.push(".partial");
        let tmp = PathBuf::from(tmp);
        let (tx, rx) = mpsc::channel(8);
        let writer = {
            let tmp = tmp.clone();
            tokio::task::spawn_blocking(move || write_archive(&tmp, rx))
        };
        let mut sink = Sink {
            chan: tx,
            all: Sha256::new(),
            entry: Sha256::new(),
            rows: 0,
            buf: Vec::new(),
        };
        // The checkpoint on disk, read before the snapshot: the snapshot then holds at least
        // every entry it signs (unless the log was cut).
        let on_disk = self.checkpoint_state();
        let disk_seq = match &on_disk {
            CheckpointState::Signed { seq, .. } => Some(*seq),
            _ => None,
        };
        let res = async {
            let snap = match &self.engine {
                Engine::Sqlite(pool) => snapshot_sqlite(pool, &mut sink, disk_seq).await?,
                Engine::Postgres(pool) => snapshot_pg(pool, &mut sink, disk_seq).await?,
            };
            if let Some(text) = opts.include_secret_file {
                sink.start(SECRET_ENTRY).await?;
                sink.bytes(text.as_bytes()).await?;
                sink.end().await?;
            }
            Ok::<_, StoreError>(snap)
        }
        .await;
        let snap = match res {
            Ok(s) => s,
            Err(e) => {
                drop(sink);
                let _ = writer.await;
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        let audit = self.audit_for_backup(&snap, on_disk).await?;
        let manifest = Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            tessera_version: env!("CARGO_PKG_VERSION").into(),
            created_at: now(),
            engine: self.engine_name().into(),
            migrations: snap.migrations,
            tables: snap.tables,
            audit,
            secret: SecretManifest {
                included: opts.include_secret_file.is_some(),
                wrapped: opts
                    .include_secret_file
                    .is_some_and(crate::keyfile::is_wrapped),
                fingerprint: opts.secret.map(secret_fingerprint),
            },
            content_sha256: hex(&std::mem::replace(&mut sink.all, Sha256::new()).finalize()),
        };
        let text = serde_json::to_vec_pretty(&manifest).map_err(write_err)?;
        let sent = async {
            sink.send(Chunk::Entry(MANIFEST.into())).await?;
            sink.send(Chunk::Bytes(text)).await
        }
        .await;
        drop(sink);
        let written = writer
            .await
            .map_err(write_err)
            .and_then(|r| r.map_err(write_err));
        if let Err(e) = sent.and(written) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, out).map_err(write_err)?;
        let (bytes, sha256) = {
            let out = out.to_path_buf();
            tokio::task::spawn_blocking(move || file_sha256(&out))
                .await
                .map_err(write_err)?
                .map_err(write_err)?
        };
        let detail = serde_json::json!({
            "file": out.file_name().map(|f| f.to_string_lossy().into_owned()),
            "sha256": sha256,
            "bytes": bytes,
            "head": manifest.audit.head_seq,
            "secret": manifest.secret.included,
        });
        self.audit(
            opts.actor,
            actions::BACKUP_CREATE,
            &out.display().to_string(),
            &detail.to_string(),
        )
        .await?;
        Ok(BackupSummary {
            manifest,
            bytes,
            sha256,
        })
    }

    /// The audit part of the manifest: the snapshot's head, signed when the snapshot's chain
    /// reaches the head signed on disk.
    async fn audit_for_backup(
        &self,
        snap: &Snapshot,
        on_disk: CheckpointState,
    ) -> Result<AuditManifest, StoreError> {
        let Some((seq, hash)) = snap.head.clone() else {
            return Ok(AuditManifest::default());
        };
        let mut m = AuditManifest {
            head_seq: Some(seq),
            head_hash: Some(hash.clone()),
            ..AuditManifest::default()
        };
        let sign = match on_disk {
            CheckpointState::Unkeyed => {
                if snap.keyed {
                    m.warning = Some("the deployment secret was not given, so the audit log's head is not signed in the backup".into());
                }
                false
            }
            CheckpointState::Missing if snap.keyed => {
                m.warning = Some(
                    "the audit checkpoint file is missing although the log holds keyed entries"
                        .into(),
                );
                false
            }
            CheckpointState::Missing => true,
            CheckpointState::Bad(reason, text) => {
                m.warning = Some(reason);
                m.checkpoint = text;
                false
            }
            CheckpointState::Signed {
                seq: c,
                hash: ch,
                text,
            } => {
                let reaches = if c <= seq {
                    snap.hash_at_checkpoint.as_deref() == Some(ch.as_str())
                } else {
                    // Entries appended since the snapshot: the live log must hold both heads.
                    let live = |s: i64| async move {
                        let h: Option<(String,)> = crate::on_pool!(self, |pool| {
                            sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
                                .bind(s)
                                .fetch_optional(pool)
                                .await
                        })?;
                        Ok::<_, StoreError>(h.map(|h| h.0))
                    };
                    live(c).await?.as_deref() == Some(ch.as_str())
                        && live(seq).await?.as_deref() == Some(hash.as_str())
                };
                if !reaches {
                    m.warning = Some(format!(
                        "the audit log no longer holds the head signed in the checkpoint file (entry {c}): it was cut or rewritten; run tessera audit verify"
                    ));
                    m.checkpoint = Some(text);
                }
                reaches
            }
        };
        if sign {
            m.checkpoint = self.signed_head(seq, &hash)?;
            m.checkpoint_signs_head = m.checkpoint.is_some();
        }
        Ok(m)
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn file_sha256(path: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += k as u64;
        h.update(&buf[..k]);
    }
    Ok((n, hex(&h.finalize())))
}

async fn snapshot_sqlite(
    pool: &sqlx::SqlitePool,
    sink: &mut Sink,
    disk_seq: Option<i64>,
) -> Result<Snapshot, StoreError> {
    // A deferred transaction: its first read fixes the snapshot every later read sees (WAL).
    let mut tx = pool.begin_with("BEGIN").await?;
    let tables = catalog_sqlite(&mut tx).await?;
    let migrations: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let mut out = Vec::new();
    let own = crate::migrate::tables();
    for t in tables
        .iter()
        .filter(|t| own.contains(&t.name) && !SKIPPED.contains(&t.name.as_str()))
    {
        let entry = format!("tables/{}.jsonl", t.name);
        sink.start(&entry).await?;
        let cols: Vec<String> = t.columns.iter().map(|c| quote(&c.name)).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            quote(&t.name),
            order_by(t, false)
        );
        {
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
            let mut values = Vec::with_capacity(cols.len());
            while let Some(row) = rows.try_next().await? {
                values.clear();
                for i in 0..cols.len() {
                    values.push(sqlite_value(&row, i)?);
                }
                sink.row(&values).await?;
            }
        }
        let (sha256, rows) = sink.end().await?;
        let sequence: Option<(i64,)> =
            sqlx::query_as("SELECT seq FROM sqlite_sequence WHERE name = $1")
                .bind(&t.name)
                .fetch_optional(&mut *tx)
                .await?;
        out.push(TableManifest {
            name: t.name.clone(),
            entry,
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            types: t.columns.iter().map(|c| c.ty.clone()).collect(),
            rows,
            sha256,
            sequence: sequence.map(|s| s.0),
        });
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (keyed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE scheme <> 0")
        .fetch_one(&mut *tx)
        .await?;
    let hash_at_checkpoint: Option<(String,)> = match disk_seq {
        Some(s) => {
            sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(s)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    tx.commit().await?;
    Ok(Snapshot {
        migrations: migrations.into_iter().map(|m| m.0).collect(),
        tables: out,
        head,
        keyed: keyed > 0,
        hash_at_checkpoint: hash_at_checkpoint.map(|h| h.0),
    })
}

async fn snapshot_pg(
    pool: &sqlx::PgPool,
    sink: &mut Sink,
    disk_seq: Option<i64>,
) -> Result<Snapshot, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .await?;
    let tables = catalog_pg(&mut tx).await?;
    let migrations: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM schema_migrations ORDER BY version")
            .fetch_all(&mut *tx)
            .await?;
    let mut out = Vec::new();
    let own = crate::migrate::tables();
    for t in tables
        .iter()
        .filter(|t| own.contains(&t.name) && !SKIPPED.contains(&t.name.as_str()))
    {
        let entry = format!("tables/{}.jsonl", t.name);
        sink.start(&entry).await?;
        let kinds: Vec<PgKind> = t.columns.iter().map(|c| pg_kind(&c.ty)).collect();
        let exprs: Vec<String> = t.columns.iter().map(pg_select_expr).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            exprs.join(", "),
            quote(&t.name),
            order_by(t, true)
        );
        {
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *tx);
            let mut values = Vec::with_capacity(kinds.len());
            while let Some(row) = rows.try_next().await? {
                values.clear();
                for (i, k) in kinds.iter().enumerate() {
                    values.push(pg_value(&row, i, *k)?);
                }
                sink.row(&values).await?;
            }
        }
        let (sha256, rows) = sink.end().await?;
        // Sequences are outside transactions: a value read now may be ahead of the snapshot's
        // rows, which only skips a few ids after a restore.
        let mut sequence = None;
        for c in t.columns.iter().filter(|c| c.identity) {
            let (last,): (Option<i64>,) = sqlx::query_as(
                "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence($1, $2) AS regclass))",
            )
            .bind(quote(&t.name))
            .bind(&c.name)
            .fetch_one(&mut *tx)
            .await?;
            sequence = last.or(Some(0));
        }
        out.push(TableManifest {
            name: t.name.clone(),
            entry,
            columns: t.columns.iter().map(|c| c.name.clone()).collect(),
            types: t.columns.iter().map(|c| c.ty.clone()).collect(),
            rows,
            sha256,
            sequence,
        });
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let (keyed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log WHERE scheme <> 0")
        .fetch_one(&mut *tx)
        .await?;
    let hash_at_checkpoint: Option<(String,)> = match disk_seq {
        Some(s) => {
            sqlx::query_as("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(s)
                .fetch_optional(&mut *tx)
                .await?
        }
        None => None,
    };
    tx.commit().await?;
    Ok(Snapshot {
        migrations: migrations.into_iter().map(|m| m.0).collect(),
        tables: out,
        head,
        keyed: keyed > 0,
        hash_at_checkpoint: hash_at_checkpoint.map(|h| h.0),
    })
}

/// Why a file is not a usable backup, in one sentence naming it.
fn refused(path: &Path, why: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!(
        "{} is not a usable Tessera backup: {why}",
        path.display()
    ))
}

/// Opens a backup and checks every entry against the manifest — each table's SHA-256 and row
/// count, and the SHA-256 of the whole content — before anything is restored. Reads the whole
/// file (blocking).
pub fn verify_backup(path: &Path) -> Result<VerifiedBackup, StoreError> {
    let file = std::fs::File::open(path)
        .map_err(|e| StoreError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut zip = zip::ZipArchive::new(BufReader::new(file)).map_err(|e| {
        refused(
            path,
            format!("the archive is truncated or damaged ({e}); take the backup again or use an earlier one"),
        )
    })?;
    let manifest: Manifest = {
        let mut entry = zip.by_name(MANIFEST).map_err(|_| {
            refused(
                path,
                "it has no manifest (the file was truncated, or is not a backup)",
            )
        })?;
        let mut text = Vec::new();
        entry
            .read_to_end(&mut text)
            .map_err(|e| refused(path, format!("its manifest is damaged ({e})")))?;
        serde_json::from_slice(&text)
            .map_err(|e| refused(path, format!("its manifest is damaged ({e})")))?
    };
    if manifest.format != FORMAT {
        return Err(refused(path, "its manifest is not a Tessera backup's"));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(refused(
            path,
            format!(
                "it was written by a newer Tessera ({}, backup format {}); restore it with that version or later",
                manifest.tessera_version, manifest.format_version
            ),
        ));
    }
    let mut all = Sha256::new();
    for t in &manifest.tables {
        let entry = zip.by_name(&t.entry).map_err(|_| {
            refused(
                path,
                format!("the table {} listed in its manifest is missing", t.name),
            )
        })?;
        let mut h = Sha256::new();
        let mut rows = 0u64;
        let mut reader = BufReader::new(entry);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(|e| {
                refused(
                    path,
                    format!(
                        "the table {} cannot be read ({e}): the file is damaged",
                        t.name
                    ),
                )
            })?;
            if n == 0 {
                break;
            }
            h.update(&line);
            all.update(&line);
            rows += 1;
        }
        if hex(&h.finalize()) != t.sha256 || rows != t.rows {
            return Err(refused(
                path,
                format!(
                    "the table {}'s checksum does not match its manifest ({rows} rows read, {} expected): the file is damaged",
                    t.name, t.rows
                ),
            ));
        }
    }
    let secret_file = if manifest.secret.included {
        let mut entry = zip
            .by_name(SECRET_ENTRY)
            .map_err(|_| refused(path, "the deployment secret its manifest lists is missing"))?;
        let mut text = String::new();
        entry
            .read_to_string(&mut text)
            .map_err(|e| refused(path, format!("its secret cannot be read ({e})")))?;
        all.update(text.as_bytes());
        Some(text)
    } else {
        None
    };
    if hex(&all.finalize()) != manifest.content_sha256 {
        return Err(refused(
            path,
            "the checksum of its content does not match its manifest: the file is damaged",
        ));
    }
    Ok(VerifiedBackup {
        path: path.to_path_buf(),
        manifest,
        secret_file,
    })
}

/// What the reading thread hands the restoring task.
enum Batch {
    Rows(Vec<Vec<Value>>),
    Done,
}

/// Rows per insert statement: under both engines' limits on bound parameters.
fn batch_rows(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 500)
}

fn read_table(
    path: &Path,
    entry: &str,
    columns: usize,
    tx: &mpsc::Sender<Batch>,
) -> Result<(), StoreError> {
    let file = std::fs::File::open(path)
        .map_err(|e| StoreError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut zip =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| refused(path, e.to_string()))?;
    let reader = BufReader::new(
        zip.by_name(entry)
            .map_err(|e| refused(path, e.to_string()))?,
    );
    let per = batch_rows(columns);
    let mut batch = Vec::with_capacity(per);
    for line in reader.lines() {
        let line = line.map_err(|e| refused(path, e.to_string()))?;
        let bad = || refused(path, format!("a row of {entry} is damaged"));
        let serde_json::Value::Array(cells) =
            serde_json::from_str::<serde_json::Value>(&line).map_err(|_| bad())?
        else {
            return Err(bad());
        };
        if cells.len() != columns {
            return Err(bad());
        }
        batch.push(
            cells
                .into_iter()
                .map(Value::from_json)
                .collect::<Option<Vec<_>>>()
                .ok_or_else(bad)?,
        );
        if batch.len() == per
            && tx
                .blocking_send(Batch::Rows(std::mem::take(&mut batch)))
                .is_err()
        {
            return Ok(());
        }
    }
    if !batch.is_empty() {
        let _ = tx.blocking_send(Batch::Rows(batch));
    }
    let _ = tx.blocking_send(Batch::Done);
    Ok(())
}

impl Store {
    /// Restores a backup file into this store, which must be empty (freshly created, of either
    /// engine): verifies the whole file first, then inserts every table in one transaction,
    /// restores the identity sequences, installs the audit checkpoint the backup carries beside
    /// the database, verifies the restored audit log (with the audit key) and records the restore
    /// in it.
    pub async fn restore(&self, from: &Path, actor: &str) -> Result<RestoreSummary, StoreError> {
        let path = from.to_path_buf();
        let verified = tokio::task::spawn_blocking(move || verify_backup(&path))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))??;
        self.restore_verified(&verified, actor).await
    }

    /// [`Store::restore`] of a file already verified by [`verify_backup`].
    pub async fn restore_verified(
        &self,
        backup: &VerifiedBackup,
        actor: &str,
    ) -> Result<RestoreSummary, StoreError> {
        let m = &backup.manifest;
        let known = crate::migrate::versions();
        if let Some(v) = m.migrations.iter().find(|v| !known.contains(v)) {
            return Err(StoreError::Invalid(format!(
                "the backup was taken by a newer Tessera ({}, schema migration {v}); restore it with that version or later",
                m.tessera_version
            )));
        }
        let tables = match &self.engine {
            Engine::Sqlite(pool) => catalog_sqlite(&mut *pool.acquire().await?).await?,
            Engine::Postgres(pool) => catalog_pg(&mut *pool.acquire().await?).await?,
        };
        // Fresh: no row anywhere (the migrations' bookkeeping aside).
        let own = crate::migrate::tables();
        for t in tables
            .iter()
            .filter(|t| own.contains(&t.name) && t.name != "schema_migrations")
        {
            let sql = format!("SELECT 1 FROM {} LIMIT 1", quote(&t.name));
            let any: Option<(i32,)> = crate::on_pool!(self, |pool| {
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .fetch_optional(pool)
                    .await
            })?;
            if any.is_some() {
                return Err(StoreError::Conflict(format!(
                    "a backup is restored into an empty database only, and this one holds data (table {}); create a new database",
                    t.name
                )));
            }
        }
        if m.audit.checkpoint.is_some()
            && let Some(p) = self.audit_checkpoint()
            && p.exists()
        {
            return Err(StoreError::Conflict(format!(
                "{} already exists: it is the audit checkpoint of another database; move it away first",
                p.display()
            )));
        }
        let by_name: BTreeMap<&str, &TableManifest> =
            m.tables.iter().map(|t| (t.name.as_str(), t)).collect();
        for t in &m.tables {
            let Some(target) = tables.iter().find(|x| x.name == t.name) else {
                return Err(StoreError::Invalid(format!(
                    "the backup holds a table {} this database does not have",
                    t.name
                )));
            };
            if let Some(c) = t
                .columns
                .iter()
                .find(|c| !target.columns.iter().any(|x| &x.name == *c))
            {
                return Err(StoreError::Invalid(format!(
                    "the backup's table {} has a column {c} this database does not have",
                    t.name
                )));
            }
        }
        // The target's own order: parents first.
        let order: Vec<(&TableInfo, &TableManifest)> = tables
            .iter()
            .filter_map(|t| by_name.get(t.name.as_str()).map(|m| (t, *m)))
            .collect();
        match &self.engine {
            Engine::Sqlite(pool) => restore_sqlite(pool, &backup.path, &order).await?,
            Engine::Postgres(pool) => restore_pg(pool, &backup.path, &order).await?,
        }
        let checkpoint = match &m.audit.checkpoint {
            Some(text) => self.install_checkpoint(text)?,
            None => None,
        };
        let verdict = if self.has_audit_key() {
            Some(self.verify_audit().await?)
        } else {
            None
        };
        if self.has_audit_key() || m.audit.head_seq.is_none() {
            let detail = serde_json::json!({
                "file": backup.path.file_name().map(|f| f.to_string_lossy().into_owned()),
                "content_sha256": m.content_sha256,
                "taken": m.created_at,
                "engine": m.engine,
                "head": m.audit.head_seq,
            });
            self.audit(
                actor,
                actions::BACKUP_RESTORE,
                &backup.path.display().to_string(),
                &detail.to_string(),
            )
            .await?;
        }
        Ok(RestoreSummary {
            manifest: m.clone(),
            checkpoint,
            verdict,
        })
    }
}

/// Reads a table's rows on a blocking thread, handing batches over a channel.
fn rows_of(
    path: &Path,
    t: &TableManifest,
) -> (
    mpsc::Receiver<Batch>,
    tokio::task::JoinHandle<Result<(), StoreError>>,
) {
    let (tx, rx) = mpsc::channel(4);
    let path = path.to_path_buf();
    let entry = t.entry.clone();
    let columns = t.columns.len();
    let handle = tokio::task::spawn_blocking(move || read_table(&path, &entry, columns, &tx));
    (rx, handle)
}

async fn finish_reader(
    handle: tokio::task::JoinHandle<Result<(), StoreError>>,
) -> Result<(), StoreError> {
    handle
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?
}

async fn restore_sqlite(
    pool: &sqlx::SqlitePool,
    path: &Path,
    order: &[(&TableInfo, &TableManifest)],
) -> Result<(), StoreError> {
    use crate::BeginWrite;
    let mut tx = pool.begin_write().await?;
    for (_, t) in order {
        let cols: Vec<String> = t.columns.iter().map(|c| quote(c)).collect();
        let head = format!("INSERT INTO {} ({}) ", quote(&t.name), cols.join(", "));
        let (mut rx, handle) = rows_of(path, t);
        while let Some(Batch::Rows(rows)) = rx.recv().await {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(head.clone());
            qb.push("VALUES ");
            for (i, row) in rows.into_iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.push("(");
                let mut sep = qb.separated(", ");
                for v in row {
                    match v {
                        Value::Null => sep.push_bind(None::<String>),
                        Value::Int(i) => sep.push_bind(i),
                        Value::Real(f) => sep.push_bind(f),
                        Value::Bool(b) => sep.push_bind(i64::from(b)),
                        Value::Text(s) => sep.push_bind(s),
                        Value::Bytes(b) => sep.push_bind(b),
                    };
                }
                qb.push(")");
            }
            qb.build().execute(&mut *tx).await?;
        }
        finish_reader(handle).await?;
        if let Some(seq) = t.sequence {
            sqlx::query("UPDATE sqlite_sequence SET seq = MAX(seq, $2) WHERE name = $1")
                .bind(&t.name)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO sqlite_sequence (name, seq) SELECT $1, $2
                 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = $1)",
            )
            .bind(&t.name)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn restore_pg(
    pool: &sqlx::PgPool,
    path: &Path,
    order: &[(&TableInfo, &TableManifest)],
) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    for (info, t) in order {
        let types: Vec<String> = t
            .columns
            .iter()
            .map(|c| {
                info.columns
                    .iter()
                    .find(|x| &x.name == c)
                    .map(|x| x.ty.clone())
                    .unwrap_or_else(|| "text".into())
            })
            .collect();
        let cols: Vec<String> = t.columns.iter().map(|c| quote(c)).collect();
        let identity = info.columns.iter().any(|c| c.identity);
        let head = format!(
            "INSERT INTO {} ({}) {}",
            quote(&t.name),
            cols.join(", "),
            if identity {
                "OVERRIDING SYSTEM VALUE "
            } else {
                ""
            }
        );
        let (mut rx, handle) = rows_of(path, t);
        while let Some(Batch::Rows(rows)) = rx.recv().await {
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(head.clone());
            qb.push("VALUES ");
            for (i, row) in rows.into_iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.push("(");
                for (j, (v, ty)) in row.into_iter().zip(&types).enumerate() {
                    if j > 0 {
                        qb.push(", ");
                    }
                    let integer = matches!(pg_kind(ty), PgKind::Int);
                    let boolean = matches!(pg_kind(ty), PgKind::Bool);
                    qb.push("CAST(");
                    match v {
                        Value::Null => qb.push_bind(None::<String>),
                        Value::Int(i) if boolean => qb.push_bind(i != 0),
                        Value::Int(i) => qb.push_bind(i),
                        Value::Real(f) => qb.push_bind(f),
                        Value::Bool(b) if integer => qb.push_bind(i64::from(b)),
                        Value::Bool(b) => qb.push_bind(b),
                        Value::Text(s) => qb.push_bind(s),
                        Value::Bytes(b) => qb.push_bind(b),
                    };
                    qb.push(format!(" AS {ty})"));
                }
                qb.push(")");
            }
            qb.build().execute(&mut *tx).await?;
        }
        finish_reader(handle).await?;
        for c in info.columns.iter().filter(|c| c.identity) {
            let max_sql = format!(
                "SELECT CAST(COALESCE(MAX({}), 0) AS BIGINT) FROM {}",
                quote(&c.name),
                quote(&t.name)
            );
            let (max,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(max_sql))
                .fetch_one(&mut *tx)
                .await?;
            let last = max.max(t.sequence.unwrap_or(0));
            if last > 0 {
                sqlx::query("SELECT setval(pg_get_serial_sequence($1, $2), $3)")
                    .bind(quote(&t.name))
                    .bind(&c.name)
                    .bind(last)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}
