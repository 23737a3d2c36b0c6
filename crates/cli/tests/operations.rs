//! Running a deployment for years (issue 18), through the real binary: `tessera backup` then
//! `tessera restore` into a fresh database of either engine reproduces the data and `tessera
//! audit verify` passes on the copy; a damaged file is refused; the secret travels only when
//! asked; the secret file wrapped and re-wrapped by a passphrase keeps every pseudonym, and
//! `serve` reads the passphrase from a file; retention and a person's deletion are dry runs
//! until told, then audited.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// A database: its location and, for PostgreSQL, its secret file.
#[derive(Clone)]
struct Db {
    url: String,
    secret: Option<PathBuf>,
}

impl Db {
    fn sqlite(path: &Path) -> Db {
        Db {
            url: path.display().to_string(),
            secret: None,
        }
    }

    /// A PostgreSQL schema of its own (none when TESSERA_SKIP_PG=1, never in CI).
    fn postgres(dir: &Path, tag: &str) -> Option<Db> {
        if std::env::var("TESSERA_SKIP_PG").as_deref() == Ok("1") {
            return None;
        }
        let url = std::env::var("TESSERA_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("cli_ops_{tag}_{}", std::process::id());
        tokio::runtime::Runtime::new().unwrap().block_on(async {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            )))
            .execute(&pool)
            .await
            .unwrap();
        });
        let sep = if url.contains('?') { '&' } else { '?' };
        Some(Db {
            url: format!("{url}{sep}options%5Bsearch_path%5D={schema}"),
            secret: Some(dir.join(format!("{tag}.key"))),
        })
    }

    fn name(&self) -> &'static str {
        if self.url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    }

    fn secret_path(&self) -> PathBuf {
        self.secret
            .clone()
            .unwrap_or_else(|| PathBuf::from(format!("{}.key", self.url)))
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = tessera();
        c.args(args).args(["--db", &self.url]);
        if let Some(s) = &self.secret {
            c.arg("--secret-file").arg(s);
        }
        for (k, v) in env {
            c.env(k, v);
        }
        c.env("TESSERA_PASSWORD", "a long enough password");
        c.output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        self.ok_with(args, &[])
    }

    fn ok_with(&self, args: &[&str], env: &[(&str, &str)]) -> String {
        let out = self.run(args, env);
        assert!(
            out.status.success(),
            "{}: tessera {args:?}: {}",
            self.name(),
            text(&out)
        );
        text(&out)
    }
}

const HEADER: &str = "provider_ref,identification_status,date_identified,sex,age,exploitation,given_name,family_name,birth_date\n";

/// A small country: two providers reporting victims, one period, and a file from each, in
/// which the police's P-1 and the NGO's N-1 are the same woman.
fn set_up(db: &Db, dir: &Path, env: &[(&str, &str)]) {
    db.ok_with(&["init", "--password", "a long enough password"], env);
    for (id, ty) in [("police-bangui", "POLICE"), ("ngo-espoir", "NGO")] {
        db.ok_with(
            &["provider", "add", "--id", id, "--name", id, "--type", ty],
            env,
        );
        db.ok_with(
            &[
                "agreement",
                "add",
                "--provider",
                id,
                "--entities",
                "victim",
                "--level",
                "case",
                "--from",
                "2024-01-01",
            ],
            env,
        );
    }
    db.ok_with(
        &[
            "period",
            "add",
            "--id",
            "2025",
            "--start",
            "2025-01-01",
            "--end",
            "2025-12-31",
            "--due",
            "2026-01-31",
        ],
        env,
    );
    let police = dir.join(format!("police-{}.csv", db.name()));
    std::fs::write(
        &police,
        format!(
            "{HEADER}P-1,IDENTIFIED,2025-02-03,F,19,SEX,Clarisse,Zanga,2006-04-12\nP-2,IDENTIFIED,2025-02-04,M,31,LAB,Jean,Mbaye,1994-01-20\nP-3,PRESUMED,2025-03-01,F,,SEX,Awa,Kossi,\n"
        ),
    )
    .unwrap();
    let ngo = dir.join(format!("ngo-{}.csv", db.name()));
    std::fs::write(
        &ngo,
        format!("{HEADER}N-1,IDENTIFIED,2025-02-10,F,19,SEX,Clarisse,Zanga,2006-04-12\n"),
    )
    .unwrap();
    for (provider, file) in [("police-bangui", &police), ("ngo-espoir", &ngo)] {
        db.ok_with(
            &[
                "import",
                "--provider",
                provider,
                "--entity",
                "victim",
                "--period",
                "2025",
                file.to_str().unwrap(),
            ],
            env,
        );
    }
}

fn export(db: &Db, out: &Path) -> String {
    db.ok(&[
        "export",
        "--entity",
        "victim",
        "--out",
        out.to_str().unwrap(),
    ]);
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn backup_then_restore_into_either_engine_reproduces_the_data_and_the_audit_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut sources = vec![Db::sqlite(&d.join("src.db"))];
    sources.extend(Db::postgres(d, "src"));
    for (n, src) in sources.iter().enumerate() {
        set_up(src, d, &[]);
        let original = export(src, &d.join(format!("orig-{n}.csv")));
        assert_eq!(original.lines().count(), 5, "{original}");
        let file = d.join(format!("backup-{n}.zip"));
        let said = src.ok(&["backup", "--out", file.to_str().unwrap()]);
        assert!(
            said.contains("does NOT hold the deployment secret")
                && said.contains("new imports will not link to the old pseudonyms"),
            "{said}"
        );
        assert!(said.contains("its head signed"), "{said}");

        // Into a fresh database of each engine, with the deployment's secret file in place.
        let mut targets = vec![Db::sqlite(&d.join(format!("dst-{n}.db")))];
        targets.extend(Db::postgres(d, &format!("dst{n}")));
        for dst in targets {
            let what = format!("{} → {}", src.name(), dst.name());
            std::fs::copy(src.secret_path(), dst.secret_path()).unwrap();
            let said = dst.ok(&["restore", "--from", file.to_str().unwrap()]);
            assert!(said.contains("every checksum verified"), "{what}: {said}");
            assert!(said.contains("The audit log is intact"), "{what}: {said}");
            let verify = dst.ok(&["audit", "verify"]);
            assert!(
                verify.contains("intact") && verify.contains("signed checkpoint"),
                "{what}: {verify}"
            );
            assert_eq!(
                export(&dst, &d.join(format!("copy-{n}-{}.csv", dst.name()))),
                original,
                "{what}"
            );
            // Not twice into the same database.
            let again = dst.run(&["restore", "--from", file.to_str().unwrap()], &[]);
            assert!(!again.status.success());
            assert!(
                text(&again).contains("empty database"),
                "{what}: {}",
                text(&again)
            );
        }

        // A damaged file is refused in one sentence and leaves no database behind.
        let bytes = std::fs::read(&file).unwrap();
        let cut = d.join(format!("cut-{n}.zip"));
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let fresh = d.join(format!("never-{n}.db"));
        let out = tessera()
            .args(["restore", "--from", cut.to_str().unwrap(), "--db"])
            .arg(&fresh)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let said = text(&out);
        assert!(
            said.contains("is not a usable Tessera backup") && said.contains("truncated"),
            "{said}"
        );
        assert_eq!(said.trim().lines().count(), 1, "{said}");
        assert!(!fresh.exists());

        // With the secret: a fresh deployment needs nothing else.
        let with = d.join(format!("with-secret-{n}.zip"));
        let said = src.ok(&["backup", "--out", with.to_str().unwrap(), "--with-secret"]);
        assert!(said.contains("HOLDS the deployment secret"), "{said}");
        let alone = Db::sqlite(&d.join(format!("alone-{n}.db")));
        let said = alone.ok(&["restore", "--from", with.to_str().unwrap()]);
        assert!(
            said.contains("secret from the backup was written"),
            "{said}"
        );
        assert_eq!(
            std::fs::read_to_string(alone.secret_path()).unwrap(),
            std::fs::read_to_string(src.secret_path()).unwrap()
        );
        assert!(alone.ok(&["audit", "verify"]).contains("intact"));
        // A wrong secret beside the target is refused rather than used.
        let wrong = Db::sqlite(&d.join(format!("wrong-{n}.db")));
        std::fs::write(wrong.secret_path(), "ab".repeat(32)).unwrap();
        let out = wrong.run(&["restore", "--from", file.to_str().unwrap()], &[]);
        assert!(!out.status.success());
        assert!(
            text(&out).contains("is not the secret of the deployment backed up"),
            "{}",
            text(&out)
        );
    }
}

/// The stored pseudonyms of a record, read behind the binary's back.
fn pseudonyms_of(db: &Path, provider_ref: &str) -> (Vec<u8>, Vec<u8>) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let row: (Vec<u8>, Vec<u8>) =
            sqlx::query_as("SELECT clk, pkeys FROM records WHERE provider_ref = $1")
                .bind(provider_ref)
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        row
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_wrapped_secret_rewraps_without_changing_a_pseudonym_and_serve_reads_its_passphrase_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = Db::sqlite(&d.join("t.db"));
    set_up(&db, d, &[]);
    let key = db.secret_path();
    let clear = std::fs::read_to_string(&key).unwrap();
    let fingerprint = db.ok(&["secret", "fingerprint"]);

    let first = "correct horse battery staple";
    let said = db.ok_with(
        &["secret", "wrap"],
        &[("TESSERA_NEW_SECRET_PASSPHRASE", first)],
    );
    assert!(said.contains("now wrapped"), "{said}");
    let wrapped = std::fs::read_to_string(&key).unwrap();
    assert!(
        !wrapped.contains(clear.trim()),
        "the secret is still in clear"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    // Without the passphrase nothing opens; a short one is refused.
    let out = db.run(&["audit", "verify"], &[]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("wrapped by a passphrase"),
        "{}",
        text(&out)
    );
    let out = db.run(
        &["secret", "rewrap"],
        &[
            ("TESSERA_SECRET_PASSPHRASE", first),
            ("TESSERA_NEW_SECRET_PASSPHRASE", "short"),
        ],
    );
    assert!(!out.status.success());
    // A wrong current passphrase is refused and the file left as it was.
    let out = db.run(
        &["secret", "rewrap"],
        &[
            ("TESSERA_SECRET_PASSPHRASE", "not the passphrase"),
            ("TESSERA_NEW_SECRET_PASSPHRASE", "another long passphrase"),
        ],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("does not open"), "{}", text(&out));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), wrapped);

    let second = "a second, longer passphrase";
    db.ok_with(
        &["secret", "rewrap"],
        &[
            ("TESSERA_SECRET_PASSPHRASE", first),
            ("TESSERA_NEW_SECRET_PASSPHRASE", second),
        ],
    );
    let pass_file = d.join("passphrase");
    std::fs::write(&pass_file, format!("{second}\n")).unwrap();
    let env = [(
        "TESSERA_SECRET_PASSPHRASE_FILE",
        pass_file.to_str().unwrap(),
    )];
    assert_eq!(db.ok_with(&["secret", "fingerprint"], &env), fingerprint);
    // The same woman sent again after the re-wrap: the same pseudonyms as before it.
    let again = d.join("again.csv");
    std::fs::write(
        &again,
        format!("{HEADER}P-9,IDENTIFIED,2025-04-03,F,19,SEX,Clarisse,Zanga,2006-04-12\n"),
    )
    .unwrap();
    db.ok_with(
        &[
            "import",
            "--provider",
            "police-bangui",
            "--entity",
            "victim",
            "--period",
            "2025",
            again.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(
        pseudonyms_of(Path::new(&db.url), "P-1"),
        pseudonyms_of(Path::new(&db.url), "P-9")
    );
    assert!(db.ok_with(&["audit", "verify"], &env).contains("intact"));

    // `serve` with the passphrase in a file: it starts and answers.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = tessera()
        .args(["serve", "--db", &db.url, "--listen", &listen])
        .env("TESSERA_SECRET_PASSPHRASE_FILE", &pass_file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut answer = String::new();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(mut s) = TcpStream::connect(&listen) {
            write!(
                s,
                "GET /healthz HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            s.read_to_string(&mut answer).unwrap();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Without it, `serve` stops at once and says why.
    let out = tessera()
        .args([
            "serve",
            "--db",
            &db.url,
            "--listen",
            &format!("127.0.0.1:{}", free_port()),
        ])
        .env_remove("TESSERA_SECRET_PASSPHRASE")
        .env_remove("TESSERA_SECRET_PASSPHRASE_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        text(&out).contains("wrapped by a passphrase"),
        "{}",
        text(&out)
    );

    // Unwrapped again: the very same secret, in clear.
    db.ok_with(&["secret", "unwrap"], &env);
    assert_eq!(std::fs::read_to_string(&key).unwrap().trim(), clear.trim());
}

#[test]
fn retention_and_a_persons_deletion_are_dry_runs_until_executed_then_audited() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let db = Db::sqlite(&d.join("t.db"));
    set_up(&db, d, &[]);
    let ids = |refs: &[&str]| -> Vec<String> {
        let csv = export(&db, &d.join("ids.csv"));
        let mut r = csv.lines();
        let header: Vec<&str> = r.next().unwrap().split(',').collect();
        let id = header.iter().position(|h| *h == "_record_id").unwrap();
        let pref = header.iter().position(|h| *h == "provider_ref").unwrap();
        r.filter_map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            refs.contains(&cells[pref]).then(|| cells[id].to_string())
        })
        .collect()
    };
    let p1 = ids(&["P-1"]).remove(0);

    // A person's deletion: the police's P-1 and the NGO's N-1 are one woman.
    let said = db.ok(&[
        "person",
        "delete",
        "--record",
        &p1,
        "--reference",
        "DPA-2026-7",
    ]);
    assert!(
        said.contains("2 records of this person") && said.contains("Dry run"),
        "{said}"
    );
    assert!(
        said.contains("P-1") && said.contains("N-1") && !said.contains("P-2"),
        "{said}"
    );
    assert_eq!(ids(&["P-1", "N-1"]).len(), 2);
    let said = db.ok(&[
        "person",
        "delete",
        "--record",
        &p1,
        "--reference",
        "DPA-2026-7",
        "--execute",
    ]);
    assert!(said.contains("Deleted 2 records"), "{said}");
    assert!(ids(&["P-1", "N-1"]).is_empty());
    assert_eq!(ids(&["P-2", "P-3"]).len(), 2);
    let log = db.ok(&["audit", "list", "--action", "person.delete"]);
    assert!(log.contains("DPA-2026-7"), "{log}");
    assert!(!log.contains("Clarisse") && !log.contains("Zanga"), "{log}");
    assert!(db.ok(&["audit", "verify"]).contains("intact"));

    // Retention: a rule, a dry run that looks ahead, and nothing deleted yet.
    let out = db.run(
        &["retention", "set", "--entity", "victims", "--years", "5"],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no entity \"victims\""),
        "{}",
        text(&out)
    );
    db.ok(&["retention", "set", "--entity", "victim", "--years", "5"]);
    assert!(db.ok(&["retention", "list"]).contains("victim"));
    let said = db.ok(&["retention", "apply", "--as-of", "2031-06-30"]);
    assert!(
        said.contains("2 records past their time") && said.contains("Dry run"),
        "{said}"
    );
    assert_eq!(ids(&["P-2", "P-3"]).len(), 2);
    let out = db.run(
        &["retention", "apply", "--as-of", "2031-06-30", "--execute"],
        &[],
    );
    assert!(!out.status.success(), "a deletion cannot look ahead");
    let said = db.ok(&["retention", "apply", "--execute"]);
    assert!(said.contains("0 records deleted"), "{said}");
    assert_eq!(ids(&["P-2", "P-3"]).len(), 2);
    assert!(
        db.ok(&["audit", "list", "--action", "retention.set"])
            .contains("victim")
    );
}

#[test]
fn the_handbook_is_written_from_the_dictionary_in_each_language() {
    let dir = tempfile::tempdir().unwrap();
    let dict = tessera_dictionary_codes();
    for (lang, title) in [
        ("en", "Handbook of harmonised definitions"),
        ("fr", "Recueil des définitions harmonisées"),
    ] {
        let out = dir.path().join(format!("handbook.{lang}.md"));
        let run = tessera()
            .args(["dictionary", "handbook", "--lang", lang, "--out"])
            .arg(&out)
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", text(&run));
        let md = std::fs::read_to_string(&out).unwrap();
        assert!(md.starts_with(&format!("# {title}")), "{lang}");
        for (list, code) in &dict {
            assert!(
                md.contains(&format!("| `{code}` |")),
                "{lang}: {list} {code} is missing"
            );
        }
    }
}

/// Every (list, code) of the base dictionary, read from its TOML files as the dictionary crate
/// would, without depending on it: the test checks the binary against the data.
fn tessera_dictionary_codes() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../dictionary/base/codelists");
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let list = e.path().file_stem().unwrap().to_string_lossy().into_owned();
        for line in std::fs::read_to_string(e.path()).unwrap().lines() {
            if let Some(code) = line.trim().strip_prefix("code = \"") {
                out.push((list.clone(), code.trim_end_matches('"').to_string()));
            }
        }
    }
    assert!(out.len() > 100);
    out
}
