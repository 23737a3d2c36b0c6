//! `tessera secret`: the deployment secret protected at rest. `wrap` seals the secret file under
//! a passphrase, `rewrap` changes the passphrase, `unwrap` writes it back in clear, `fingerprint`
//! prints the short fingerprint backups record. The secret itself never changes, so pseudonyms,
//! links and the audit key stay as they were.
//!
//! Passphrases come from the environment or from files, never from the command line (where the
//! host's other users and the shell's history would see them): the current one from
//! TESSERA_SECRET_PASSPHRASE or the file named by TESSERA_SECRET_PASSPHRASE_FILE — what `serve`
//! and every other verb read too — the new one from TESSERA_NEW_SECRET_PASSPHRASE or the file
//! named by TESSERA_NEW_SECRET_PASSPHRASE_FILE.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tessera_pseudonym::Secret;
use tessera_store::{keyfile, secret_fingerprint};
use zeroize::Zeroizing;

use crate::common::{Global, secret_path};

#[derive(Subcommand)]
pub enum SecretCommand {
    /// Wrap the secret file under a passphrase (TESSERA_NEW_SECRET_PASSPHRASE or the file named
    /// by TESSERA_NEW_SECRET_PASSPHRASE_FILE, at least 12 characters). Every verb and `serve`
    /// then need the passphrase: TESSERA_SECRET_PASSPHRASE or TESSERA_SECRET_PASSPHRASE_FILE.
    Wrap,
    /// Wrap the secret again under a new passphrase (the current one as for every verb, the new
    /// one as for `wrap`). The secret does not change: links and pseudonyms survive.
    Rewrap,
    /// Write the secret file back in clear (hexadecimal), e.g. to hand it to a provider's office
    /// for `tessera pseudonymise`. Needs the current passphrase.
    Unwrap,
    /// Print the secret's fingerprint (it reveals nothing of the secret): compare it with the one
    /// a backup's manifest records.
    Fingerprint,
}

/// A passphrase from the file named by `file_var`, else from `var`.
pub fn passphrase_from_env(var: &str, file_var: &str) -> Result<Option<Zeroizing<String>>> {
    if let Some(f) = std::env::var_os(file_var) {
        let f = PathBuf::from(f);
        let text = Zeroizing::new(
            std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read the passphrase file {}", f.display()))?,
        );
        let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
        return Ok(Some(Zeroizing::new(line.to_string())));
    }
    Ok(std::env::var(var).ok().map(Zeroizing::new))
}

/// The current passphrase, for a wrapped secret file.
fn current_passphrase() -> Result<Option<Zeroizing<String>>> {
    passphrase_from_env(
        "TESSERA_SECRET_PASSPHRASE",
        "TESSERA_SECRET_PASSPHRASE_FILE",
    )
}

/// Reads a secret file, clear or wrapped; a wrapped one opens with the current passphrase.
pub fn read_secret_file(path: &Path) -> Result<Secret> {
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the secret file {}", path.display()))?,
    );
    let pass = if keyfile::is_wrapped(&text) {
        current_passphrase()?
    } else {
        None
    };
    keyfile::read_secret(&text, pass.as_deref().map(String::as_str))
        .with_context(|| format!("the secret file {} cannot be used", path.display()))
}

/// Replaces a secret file atomically, readable by its owner only.
pub fn write_secret_file(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let res = (|| -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res.with_context(|| format!("cannot write the secret file {}", path.display()))
}

fn new_passphrase() -> Result<Zeroizing<String>> {
    passphrase_from_env(
        "TESSERA_NEW_SECRET_PASSPHRASE",
        "TESSERA_NEW_SECRET_PASSPHRASE_FILE",
    )?
    .context("give the new passphrase in TESSERA_NEW_SECRET_PASSPHRASE or in a file named by TESSERA_NEW_SECRET_PASSPHRASE_FILE (never on the command line)")
}

/// Wraps `secret` under `pass`, checks the result opens to the same secret, then replaces the file.
fn rewrite_wrapped(path: &Path, secret: &Secret, pass: &str) -> Result<()> {
    let wrapped = keyfile::wrap_secret(secret, pass)?;
    let back = keyfile::unwrap_secret(&wrapped, pass)?;
    if secret_fingerprint(&back) != secret_fingerprint(secret) {
        bail!("the wrapped secret does not open to the same secret; the file was left as it was");
    }
    write_secret_file(path, &wrapped)
}

pub fn run(g: &Global, what: SecretCommand) -> Result<()> {
    let db = g.db();
    let path = secret_path(&db)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the secret file {}", path.display()))?,
    );
    let wrapped = keyfile::is_wrapped(&text);
    match what {
        SecretCommand::Wrap => {
            if wrapped {
                bail!(
                    "{} is already wrapped; `tessera secret rewrap` changes its passphrase",
                    path.display()
                );
            }
            let secret = read_secret_file(&path)?;
            rewrite_wrapped(&path, &secret, &new_passphrase()?)?;
            println!(
                "{} is now wrapped by the passphrase (fingerprint {}). Every command and `tessera serve` now need it in TESSERA_SECRET_PASSPHRASE or in a file named by TESSERA_SECRET_PASSPHRASE_FILE. Keep the passphrase apart from the file: whoever has both can pseudonymise and test guesses against the pseudonyms; whoever loses the passphrase and every clear copy has lost the secret.",
                path.display(),
                secret_fingerprint(&secret)
            );
        }
        SecretCommand::Rewrap => {
            if !wrapped {
                bail!(
                    "{} is not wrapped; `tessera secret wrap` wraps it",
                    path.display()
                );
            }
            let secret = read_secret_file(&path)?;
            rewrite_wrapped(&path, &secret, &new_passphrase()?)?;
            println!(
                "{} is wrapped by the new passphrase; the secret is unchanged (fingerprint {}), so pseudonyms and links are as before.",
                path.display(),
                secret_fingerprint(&secret)
            );
        }
        SecretCommand::Unwrap => {
            if !wrapped {
                bail!("{} is not wrapped", path.display());
            }
            let secret = read_secret_file(&path)?;
            write_secret_file(&path, &format!("{}\n", &*secret.to_hex()))?;
            println!(
                "{} now holds the secret in clear (fingerprint {}): protect it by its permissions alone, or wrap it again.",
                path.display(),
                secret_fingerprint(&secret)
            );
        }
        SecretCommand::Fingerprint => {
            let secret = read_secret_file(&path)?;
            println!("{}", secret_fingerprint(&secret));
        }
    }
    Ok(())
}
