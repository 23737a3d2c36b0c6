//! What the verbs share: the database arguments, the deployment secret and the audit checkpoint
//! beside it, opening the store keyed for the audit log, the dictionary, progress bars.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tessera_dictionary::Dictionary;
use tessera_pseudonym::Secret;
use tessera_store::{AuditKey, Store};

/// The options every verb takes, in one place: given before or after the verb and its action
/// (`tessera --db x.db submission list`, `tessera submission list --db x.db`, `tessera user
/// --db x.db token …`, `tessera user token --db x.db …` are the same). A verb that reads no
/// database refuses `--db` and `--audit-checkpoint` (see `main.rs`).
#[derive(clap::Args, Clone, Debug)]
pub struct Global {
    /// SQLite file path, or a postgres:// URL [default: tessera.db].
    #[arg(long, env = "TESSERA_DB", global = true, value_name = "FILE|URL")]
    pub db: Option<String>,
    /// File holding the deployment secret (hex) used to pseudonymise identifiers. Default: the
    /// SQLite file's path with `.key` appended. Never keep it inside the database.
    #[arg(long, env = "TESSERA_SECRET_FILE", global = true, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,
    /// File where the signed head of the audit log is written after every entry, outside the
    /// database, for `tessera audit verify` to catch removed or rewritten entries. Default: the
    /// SQLite file's path with `.audit-head` appended; with PostgreSQL, the secret file's.
    #[arg(
        long,
        env = "TESSERA_AUDIT_CHECKPOINT",
        global = true,
        value_name = "FILE"
    )]
    pub audit_checkpoint: Option<PathBuf>,
    /// Language of messages, reports, templates and documents: en or fr [default: en].
    #[arg(long, env = "TESSERA_LANG", global = true, value_name = "LANG")]
    pub lang: Option<String>,
}

impl Global {
    /// The database to open, with its secret and checkpoint files.
    pub fn db(&self) -> DbArgs {
        DbArgs {
            db: self.db.clone().unwrap_or_else(|| "tessera.db".to_string()),
            secret_file: self.secret_file.clone(),
            audit_checkpoint: self.audit_checkpoint.clone(),
        }
    }

    /// The language asked for: one Tessera writes its messages in.
    pub fn lang(&self) -> Result<String> {
        let lang = self
            .lang
            .as_deref()
            .unwrap_or("en")
            .trim()
            .to_ascii_lowercase();
        if !tessera_intake::MESSAGE_LANGUAGES.contains(&lang.as_str()) {
            bail!(
                "--lang {lang}: messages and documents are written in {}",
                tessera_intake::MESSAGE_LANGUAGES.join(", ")
            );
        }
        Ok(lang)
    }
}

/// The database a verb works on: `--db`, its secret file and its audit checkpoint.
#[derive(Clone, Debug)]
pub struct DbArgs {
    pub db: String,
    pub secret_file: Option<PathBuf>,
    pub audit_checkpoint: Option<PathBuf>,
}

pub fn secret_path(db: &DbArgs) -> Result<PathBuf> {
    if let Some(p) = &db.secret_file {
        return Ok(p.clone());
    }
    if db.db.starts_with("postgres") {
        bail!(
            "with PostgreSQL, give the deployment secret file with --secret-file or TESSERA_SECRET_FILE"
        );
    }
    Ok(PathBuf::from(format!(
        "{}.key",
        db.db.trim_start_matches("sqlite://")
    )))
}

/// Reads the deployment secret if there is one: a secret file that was named must exist; with
/// SQLite and no name, the default file may not exist yet.
pub fn load_secret(db: &DbArgs) -> Result<Option<Secret>> {
    if db.secret_file.is_none() && db.db.starts_with("postgres") {
        return Ok(None);
    }
    let path = secret_path(db)?;
    if db.secret_file.is_none() && !path.exists() {
        return Ok(None);
    }
    // Clear or wrapped by a passphrase (`tessera secret wrap`).
    crate::secret::read_secret_file(&path).map(Some)
}

/// Loads the deployment secret, creating one (readable by its owner only) if there is none yet.
pub fn load_or_create_secret(db: &DbArgs) -> Result<Secret> {
    let path = secret_path(db)?;
    if path.exists() {
        return crate::secret::read_secret_file(&path);
    }
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rng(), &mut bytes);
    let secret = Secret::from_bytes(&bytes)?;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .with_context(|| format!("cannot create the secret file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(secret.to_hex().as_bytes())?;
    Ok(secret)
}

/// The audit checkpoint file: `--audit-checkpoint`, else beside the SQLite file, else beside the
/// secret file (a PostgreSQL deployment keeps its secret file on the application host, outside
/// the database, which is where the checkpoint must be too).
pub fn checkpoint_path(db: &DbArgs) -> Result<PathBuf> {
    if let Some(p) = &db.audit_checkpoint {
        return Ok(p.clone());
    }
    let beside = if db.db.starts_with("postgres") {
        secret_path(db)?
    } else {
        PathBuf::from(db.db.trim_start_matches("sqlite://"))
    };
    let mut name = beside.into_os_string();
    name.push(".audit-head");
    Ok(PathBuf::from(name))
}

/// Opens the store, keyed for the audit log when the deployment secret is there: its entries
/// are then signed and its head checkpointed outside the database. Commands that need the
/// secret anyway create it first (`load_or_create_secret`), so their entries are keyed too.
pub async fn open_store(db: &DbArgs) -> Result<Store> {
    let mut store = Store::open(&db.db).await?;
    if let Some(secret) = load_secret(db)? {
        store.set_audit_key(AuditKey::from_secret(&secret));
        store.set_audit_checkpoint(checkpoint_path(db)?);
    }
    Ok(store)
}

/// The dictionary the database was collected under: base plus its stored extension.
pub async fn dictionary_of(store: &Store) -> Result<Dictionary> {
    let base = Dictionary::base()?;
    Ok(match store.setting("dictionary_extension").await? {
        Some(text) => base.with_extension_text("stored extension", &text)?,
        None => base,
    })
}

pub fn bar(len: u64, what: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// The base dictionary, with a deployment extension file when one is given.
pub fn base_with(extension: Option<&Path>) -> Result<Dictionary> {
    let dict = Dictionary::base()?;
    Ok(match extension {
        Some(ext) => dict.with_extension(ext)?,
        None => dict,
    })
}

/// A day written YYYY-MM-DD, refused in words otherwise.
pub fn parse_day(flag: &str, s: &str) -> Result<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .with_context(|| format!("{flag} \"{s}\" is not a day written YYYY-MM-DD"))
}

/// Today, in UTC.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}
