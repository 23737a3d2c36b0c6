//! One grammar for every verb: the global options (`--db`, `--secret-file`,
//! `--audit-checkpoint`, `--lang`) go before or after the verb and its action alike; an option
//! that does not apply to a verb is refused with a sentence, not ignored; a mapped column that no
//! file has is refused with the columns there are; `tessera template --format xlsform` needs no
//! provider type and, with `--public-key`, writes an encrypted form that pyxform accepts.

use std::path::Path;
use std::process::{Command, Output};

fn tessera() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tessera"));
    // The environment of the machine running the tests must not choose for them.
    for v in [
        "TESSERA_DB",
        "TESSERA_SECRET_FILE",
        "TESSERA_AUDIT_CHECKPOINT",
        "TESSERA_LANG",
    ] {
        c.env_remove(v);
    }
    c
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn init(dir: &Path) -> String {
    let db = dir.join("t.db").display().to_string();
    ok(&run(tessera()
        .args(["init", "--db", &db])
        .env("TESSERA_ADMIN_PASSWORD", "a long enough password")));
    db
}

#[test]
fn global_options_go_before_or_after_the_verb_and_its_action() {
    let dir = tempfile::tempdir().unwrap();
    let db = init(dir.path());
    // The issue's two failures: `submission list --db` and `user --db … token`.
    let after = ok(&run(tessera().args(["submission", "list", "--db", &db])));
    let before = ok(&run(tessera().args(["--db", &db, "submission", "list"])));
    assert_eq!(after, before);
    assert!(after.starts_with("provider"), "{after}");
    for args in [
        vec!["user", "--db", &db, "token", "--username", "admin"],
        vec!["user", "token", "--db", &db, "--username", "admin"],
        vec!["user", "token", "--username", "admin", "--db", &db],
        vec!["--db", &db, "user", "token", "--username", "admin"],
    ] {
        let token = ok(&run(tessera().args(&args)));
        assert!(token.starts_with("tsr_"), "{args:?}: {token}");
    }
    // The environment is the same option.
    let users = ok(&run(tessera()
        .args(["user", "list"])
        .env("TESSERA_DB", &db)));
    assert!(users.contains("admin"), "{users}");
    // --lang too, before or after.
    let err = refused(&run(
        tessera().args(["--lang", "de", "check", "--entity", "victim", "x.csv"])
    ));
    assert!(err.contains("--lang de") && err.contains("en, fr"), "{err}");
}

#[test]
fn an_option_that_does_not_apply_is_refused_in_a_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    let out = out.to_str().unwrap();
    let err = refused(&run(tessera().args([
        "template", "--db", "t.db", "--format", "csv", "--entity", "victim", "--out", out,
    ])));
    assert!(
        err.contains("--db does not apply to `tessera template`"),
        "{err}"
    );
    let err = refused(&run(tessera().args([
        "dictionary",
        "--audit-checkpoint",
        "head",
    ])));
    assert!(err.contains("--audit-checkpoint does not apply"), "{err}");
    // Set in the environment for every verb, it is simply not used where it does not apply.
    ok(&run(tessera()
        .args([
            "template", "--format", "csv", "--entity", "victim", "--out", out,
        ])
        .env("TESSERA_DB", "elsewhere.db")));
    // Flags of one template format are refused with another.
    let err = refused(&run(tessera().args([
        "template",
        "--format",
        "csv",
        "--entity",
        "victim",
        "--public-key",
        "k.pem",
        "--out",
        out,
    ])));
    assert!(
        err.contains("--public-key applies to --format xlsform only"),
        "{err}"
    );
    let err = refused(&run(tessera().args([
        "template",
        "--format",
        "xlsx",
        "--provider-type",
        "POLICE",
        "--entity",
        "victim",
        "--out",
        out,
    ])));
    assert!(
        err.contains("--entity does not apply to --format xlsx"),
        "{err}"
    );
    let err = refused(&run(
        tessera().args(["template", "--format", "xlsx", "--out", out])
    ));
    assert!(err.contains("--format xlsx needs --provider-type"), "{err}");
    let err = refused(&run(
        tessera().args(["template", "--format", "pdf", "--out", out])
    ));
    assert!(err.contains("xlsx") && err.contains("xlsform"), "{err}");
    // A provider type given with an entity must report it.
    let err = refused(&run(tessera().args([
        "template",
        "--format",
        "xlsform",
        "--provider-type",
        "POLICE",
        "--entity",
        "cj_case",
        "--out",
        out,
    ])));
    assert!(
        err.contains("providers of type POLICE do not report cj_case"),
        "{err}"
    );
}

#[test]
fn a_mapped_column_that_no_file_has_is_refused_with_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("people.csv");
    std::fs::write(
        &input,
        "rec_id,first_name,surname,dob\n1,Awa,Zanga,2001-02-03\n2,Awa,Zanga,2001-02-03\n",
    )
    .unwrap();
    let out = dir.path().join("persons.csv");
    let link = |maps: &[&str]| {
        let mut c = tessera();
        c.args(["link", "--input"])
            .arg(&input)
            .arg("--out")
            .arg(&out);
        for m in maps {
            c.args(["--map", m]);
        }
        run(&mut c)
    };
    let err = refused(&link(&[
        "record_id=rec_id",
        "given_name=first_name",
        "id_number=nonexistent",
    ]));
    assert!(
        err.contains("--map id_number=nonexistent")
            && err.contains("no input has a column \"nonexistent\"")
            && err.contains("rec_id, first_name, surname, dob"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
    ok(&link(&[
        "record_id=rec_id",
        "given_name=first_name",
        "family_name=surname",
        "birth_date=dob",
    ]));
    let persons = std::fs::read_to_string(&out).unwrap();
    assert_eq!(persons.lines().count(), 3, "{persons}");
    // The database's records have no columns to rename.
    let db = init(dir.path());
    let err = refused(&run(tessera()
        .args([
            "link",
            "--db",
            &db,
            "--map",
            "given_name=first_name",
            "--out",
        ])
        .arg(&out)));
    assert!(
        err.contains("--map given_name=first_name does not apply"),
        "{err}"
    );
    let err = refused(&run(tessera()
        .args(["link", "--entity", "victim", "--input"])
        .arg(&input)
        .arg("--out")
        .arg(&out)));
    assert!(
        err.contains("--entity victim applies to the database only"),
        "{err}"
    );
}

/// A Python that has `module`: TESSERA_PYTHON, the tools' environment `scripts/pytools` makes,
/// or python3.
fn python_with(module: &str) -> Option<String> {
    let home = std::env::var("HOME").unwrap_or_default();
    let candidates = [
        std::env::var("TESSERA_PYTHON").ok(),
        Some(format!("{home}/.cache/tessera-pytools/bin/python")),
        Some("python3".to_string()),
    ];
    candidates.into_iter().flatten().find(|py| {
        Command::new(py)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Whether tools a test needs must be there (CI, or TESSERA_REQUIRE_TOOLS): then a missing one
/// fails the test instead of skipping it.
fn tools_required() -> bool {
    std::env::var_os("TESSERA_REQUIRE_TOOLS").is_some() || std::env::var_os("CI").is_some()
}

#[test]
fn an_encrypted_xlsform_is_made_without_a_provider_type_and_pyxform_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../intake/tests/data/field/form-public-key.pem");
    let form = dir.path().join("victim.xlsx");
    ok(&run(tessera()
        .args(["template", "--format", "xlsform", "--entity", "victim"])
        .arg("--public-key")
        .arg(&key)
        .args([
            "--submission-url",
            "https://central.example.org/v1/key/abc/projects/1/submission",
            "--lang",
            "fr",
            "--out",
        ])
        .arg(&form)));
    // The provider type alone stands for its first entity.
    let police = dir.path().join("police.xlsx");
    ok(&run(tessera()
        .args([
            "template",
            "--format",
            "xlsform",
            "--provider-type",
            "POLICE",
            "--out",
        ])
        .arg(&police)));
    // A private key is refused before anything is written.
    let private = dir.path().join("private.pem");
    std::fs::write(
        &private,
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let leaked = dir.path().join("leaked.xlsx");
    let err = refused(&run(tessera()
        .args([
            "template",
            "--format",
            "xlsform",
            "--entity",
            "victim",
            "--public-key",
        ])
        .arg(&private)
        .arg("--out")
        .arg(&leaked)));
    assert!(err.contains("this is a private key"), "{err}");
    assert!(!leaked.exists());

    let Some(python) = python_with("pyxform") else {
        assert!(
            !tools_required(),
            "pyxform is required here (CI or TESSERA_REQUIRE_TOOLS): scripts/pytools installs it"
        );
        eprintln!(
            "pyxform is not installed (scripts/pytools installs it): the form was not converted"
        );
        return;
    };
    let script = r#"
import re, sys
from pyxform.xls2xform import convert
warnings = []
xform = convert(xlsform=sys.argv[1], validate=False, warnings=warnings).xform
submission = re.search(r'<submission[^>]*>', xform)
print(submission.group(0) if submission else 'NO SUBMISSION')
print('given_name' in xform, 'select multiple' in xform or 'select ' in xform)
"#;
    let out = ok(&run(Command::new(&python).args(["-c", script]).arg(&form)));
    let key_body: String = std::fs::read_to_string(&key)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    assert!(
        out.contains(&format!("base64RsaPublicKey=\"{key_body}\""))
            && out.contains(
                "action=\"https://central.example.org/v1/key/abc/projects/1/submission\""
            ),
        "{out}"
    );
    ok(&run(Command::new(&python)
        .args(["-c", "import sys; from pyxform.xls2xform import convert; convert(xlsform=sys.argv[1], validate=False, warnings=[])"])
        .arg(&police)));
}
