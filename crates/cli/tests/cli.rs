//! The `tessera` binary end to end: demo → serve → the page lists the providers and counts;
//! import/export/check round trip; the dictionary verb refuses bad files.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn tessera() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tessera"))
}

fn request(addr: &str, method: &str, path: &str, cookie: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn get(addr: &str, path: &str, cookie: &str) -> String {
    request(addr, "GET", path, cookie, "")
}

/// Signs in through the login form and returns the session cookie.
fn sign_in(addr: &str, user: &str, password: &str) -> String {
    let r = request(
        addr,
        "POST",
        "/login",
        "",
        &format!("username={user}&password={}", password.replace(' ', "+")),
    );
    assert!(r.starts_with("HTTP/1.1 303"), "{r}");
    r.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {r}"))
        .to_string()
}

#[test]
fn demo_then_serve_shows_providers_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let truth = dir.path().join("truth.csv");
    let out = tessera()
        .args([
            "demo",
            "--records",
            "3000",
            "--seed",
            "11",
            "--db",
            db.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth_rows = std::fs::read_to_string(&truth).unwrap().lines().count() - 1;
    assert_eq!(truth_rows, 3000);
    // A second demo into the same database is refused rather than doubling the data.
    let again = tessera()
        .args([
            "demo",
            "--records",
            "10",
            "--db",
            db.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds data"));

    let port = 20000 + (std::process::id() % 20000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = tessera()
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", &addr])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Nothing is shown before signing in; the demo has one account per role.
    let anonymous = get(&addr, "/", "");
    assert!(anonymous.starts_with("HTTP/1.1 303"), "{anonymous}");
    let cookie = sign_in(&addr, "coordinator", "demo-password-2026");
    let en = get(&addr, "/?lang=en", &cookie);
    let fr = get(&addr, "/?lang=fr", &cookie);
    let api = get(&addr, "/api/v1/providers", &cookie);
    let stats = get(&addr, "/api/v1/statistics", &cookie);
    let by_sex = get(
        &addr,
        "/dashboard.csv?view=victims&table=victims_by_sex",
        &cookie,
    );
    server.kill().unwrap();
    let _ = server.wait();
    assert!(en.starts_with("HTTP/1.1 200"), "{en}");
    assert!(
        en.contains("Data providers")
            && en.contains("Gendarmerie nationale – Compagnie de Bambari"),
        "{en}"
    );
    assert!(
        fr.contains("Fournisseurs de données") && fr.contains("Ouaka"),
        "{fr}"
    );
    // The page's grand total equals the records the demo wrote (persons + the rest), read from the API.
    let body = api.split("\r\n\r\n").nth(1).unwrap();
    let body = if body.trim_start().starts_with('[') {
        body.to_string()
    } else {
        body.lines()
            .filter(|l| l.starts_with('['))
            .collect::<String>()
    };
    let v: serde_json::Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 13);
    let body = stats.split("\r\n\r\n").nth(1).unwrap();
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    let st: serde_json::Value = serde_json::from_str(json).unwrap();
    let person: i64 = ["victim", "suspect", "smuggled_migrant"]
        .iter()
        .map(|e| st["counts"][e]["total"].as_i64().unwrap())
        .sum();
    // Approved records only (the demo leaves some of the last year's submissions open), the
    // same figure as the dashboard's.
    assert!(person > 0 && person < 3000, "{person}");
    let dashboard_victims: f64 = by_sex
        .split("\r\n\r\n")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.trim().parse::<f64>().ok())
        .sum();
    assert_eq!(
        st["counts"]["victim"]["total"].as_i64().unwrap(),
        dashboard_victims as i64
    );
    assert!(!en.contains("Mahamat") && !en.contains("Zanga"));
}

#[test]
fn import_check_and_export_round_trip_with_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let dbs = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    assert!(
        tessera()
            .args([
                "demo",
                "--records",
                "200",
                "--db",
                dbs,
                "--truth",
                truth.to_str().unwrap()
            ])
            .status()
            .unwrap()
            .success()
    );
    let good = dir.path().join("good.csv");
    std::fs::write(&good, "provider_ref,identification_status,date_identified,sex,age,exploitation,given_name,family_name\nX-1,IDENTIFIED,02/01/2025,F,19,SEX,Clarisse,Zanga\nX-2,Victime présumée,2025-01-03,Masculin,,Travail ou services forcés,,\n").unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "provider_ref,identification_status,date_identified,sex,exploitation\nY-1,IDENTIFIED,2025-13-01,F,SEX\nY-2,IDENTIFIED,2025-01-01,Feminin,SEXX\n").unwrap();

    let out = tessera()
        .args(["check", "--entity", "victim", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("row 2, column date_identified")
            && text.contains("row 3, column exploitation"),
        "{text}"
    );

    let before = std::fs::read(&db).unwrap().len();
    let out = tessera()
        .args([
            "import",
            "--db",
            dbs,
            "--provider",
            "ong-espoir-kaga",
            "--entity",
            "victim",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing was stored"));
    let out = tessera()
        .args([
            "import",
            "--db",
            dbs,
            "--provider",
            "ong-espoir-kaga",
            "--entity",
            "victim",
            good.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("2 new, 0 updated, 0 unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tessera()
        .args([
            "import",
            "--db",
            dbs,
            "--provider",
            "ong-espoir-kaga",
            "--entity",
            "victim",
            good.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    // The same file again changes nothing: no new versions, counted as unchanged.
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("0 new, 0 updated, 2 unchanged"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read(&db).unwrap().len() >= before);

    let exported = dir.path().join("out.csv");
    assert!(
        tessera()
            .args([
                "export",
                "--db",
                dbs,
                "--entity",
                "victim",
                "--provider",
                "ong-espoir-kaga",
                "--out",
                exported.to_str().unwrap()
            ])
            .status()
            .unwrap()
            .success()
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.starts_with(
            "_record_id,_version,_provider,_submission_id,_period,_status,_approved_on,provider_ref,"
        ),
        "{text}"
    );
    assert!(
        text.contains(",1,ong-espoir-kaga,,,,,X-1,IDENTIFIED,2025-01-02")
            && !text.contains("Clarisse"),
        "{text}"
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.split(',').nth(2) == Some("ong-espoir-kaga"))
    );
    let out = tessera()
        .args([
            "check",
            "--entity",
            "victim",
            "--extension",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../dictionary/extensions/cf.toml"
            ),
            exported.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let out = tessera()
        .args(["audit", "verify", "--db", dbs])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
}

#[test]
fn files_from_excel_and_pandas_import_with_every_repair_listed_and_export_for_excel() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let dbs = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    assert!(
        tessera()
            .args(["demo", "--records", "200", "--db", dbs, "--truth"])
            .arg(&truth)
            .status()
            .unwrap()
            .success()
    );
    // French Excel's "CSV (point-virgule)": Windows-1252, `;`, CRLF; pandas wrote the age 19.0.
    let text = "Référence [provider_ref];identification_status;date_identified;sex;age;exploitation\r\n\
                X’1;Victime présumée;02/01/2025;Féminin;19.0;Exploitation sexuelle\r\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
    let file = dir.path().join("excel.csv");
    std::fs::write(&file, &bytes).unwrap();
    let out = tessera()
        .args(["check", "--entity", "victim"])
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("it was read as Windows-1252")
            && stdout.contains("row 2, column age: “19.0” read as the whole number 19"),
        "{stdout}"
    );
    let out = tessera()
        .args([
            "import",
            "--db",
            dbs,
            "--provider",
            "ong-espoir-kaga",
            "--entity",
            "victim",
            "--lang",
            "fr",
        ])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 nouvelle(s), 0 mise(s) à jour, 0 inchangée(s)")
            && stderr.contains("il a été lu comme Windows-1252")
            && stderr.contains("ligne 2, colonne age : « 19.0 » lu comme le nombre entier 19"),
        "{stderr}"
    );
    // For Excel: a byte-order mark, UTF-8 text; `--excel` is the same option.
    for flag in ["--bom", "--excel"] {
        let exported = dir.path().join("excel-out.csv");
        assert!(
            tessera()
                .args([
                    "export",
                    "--db",
                    dbs,
                    "--entity",
                    "victim",
                    "--provider",
                    "ong-espoir-kaga",
                    flag,
                    "--out",
                ])
                .arg(&exported)
                .status()
                .unwrap()
                .success()
        );
        let bytes = std::fs::read(&exported).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF_record_id,"), "{flag}");
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(",X’1,PRESUMED,2025-01-02,,F,19,"), "{text}");
    }
    // A date of identification in the future is refused.
    let future = dir.path().join("future.csv");
    std::fs::write(
        &future,
        "provider_ref,identification_status,date_identified,sex,exploitation\nF-1,IDENTIFIED,2999-01-01,F,SEX\n",
    )
    .unwrap();
    let out = tessera()
        .args(["check", "--entity", "victim"])
        .arg(&future)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(
        stdout.contains("row 2, column date_identified: 2999-01-01 is in the future"),
        "{stdout}"
    );
}

#[test]
fn dictionary_verb_validates_and_refuses_with_location() {
    let out = tessera()
        .args([
            "dictionary",
            "--extension",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../dictionary/extensions/cf.toml"
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("2026.1+cf"));
    let dir = tempfile::tempdir().unwrap();
    let ext = dir.path().join("bad.toml");
    std::fs::write(&ext, "[extension]\nid = \"x\"\ncountry = \"NE\"\nextends = \"tessera\"\nbase_version = \"2026.1\"\nlabel = { en = \"x\", fr = \"x\" }\n\n[[code]]\ncodelist = \"exploitation_form\"\ncode = \"NEW\"\nlabel = { en = \"New\", fr = \"Nouveau\" }\n").unwrap();
    let out = tessera()
        .args(["dictionary", "--extension", ext.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:8:")
            && err.contains("code \"NEW\"")
            && err.contains("maps to no international code"),
        "{err}"
    );
}

#[test]
fn estimate_mse_reports_json_and_refuses_models_without_an_estimate() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../estimate/tests/data/");
    let out = tessera()
        .args([
            "estimate",
            "mse",
            "--table",
            &format!("{data}UKdat_5.csv"),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let est = v["estimate"].as_f64().unwrap();
    assert!((est - 11_313.0).abs() < 12.0, "{v}");
    assert!(v["ci_low"].as_f64().unwrap() < est && est < v["ci_high"].as_f64().unwrap());
    assert!(v["model"].as_str().unwrap().contains("LA:NG"));
    assert!(v["warnings"].is_array());
    let out = tessera()
        .args([
            "estimate",
            "mse",
            "--table",
            &format!("{data}Korea.csv"),
            "--model",
            "all-two-way",
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["estimate"].is_null()
            && v["warnings"][0]
                .as_str()
                .unwrap()
                .contains("does not exist"),
        "{v}"
    );
    let out = tessera()
        .args([
            "estimate",
            "mse",
            "--table",
            &format!("{data}UKdat_5.csv"),
            "--method",
            "compare",
            "--replicates",
            "100",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("stepwise: estimate 11313")
            && text.contains("min-bic: estimate 2299")
            && text.contains("bootstrap:"),
        "{text}"
    );
}

#[test]
fn link_csv_files_writes_persons_and_explained_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("police.csv");
    let b = dir.path().join("ngo.csv");
    std::fs::write(&a, "id,first_name,family_name,birth_date,sex\nP1,Mohamed,Abakar,2001-03-04,M\nP2,Clarisse,Zanga,1999-12-01,F\nP3,Odette,Ngoma,1987,F\n").unwrap();
    std::fs::write(&b, "id,first_name,family_name,birth_date,sex\nN1,ABAKAR,Mahamat,2001-04-03,M\nN2,Clarise,Zanga,1999-12-01,F\nN3,Jean,Kongbo,1975-05-05,M\n").unwrap();
    let out = dir.path().join("clusters.csv");
    let pairs = dir.path().join("pairs.csv");
    let res = tessera()
        .args([
            "link",
            "--input",
            a.to_str().unwrap(),
            "--input",
            b.to_str().unwrap(),
            "--map",
            "record_id=id",
            "--map",
            "given_name=first_name",
            "--out",
            out.to_str().unwrap(),
            "--pairs",
            pairs.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let person = |id: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("{id},")))
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .to_string()
    };
    assert_eq!(
        person("P1"),
        person("N1"),
        "transliteration, swapped order and swapped day/month: {text}"
    );
    assert_eq!(person("P2"), person("N2"), "typo: {text}");
    assert_ne!(person("P3"), person("N3"));
    assert_eq!(text.lines().count(), 7);
    let pairs = std::fs::read_to_string(&pairs).unwrap();
    assert!(
        pairs.starts_with(
            "record_id_a,record_id_b,probability,weight,name_weight,birth_date_weight"
        ),
        "{pairs}"
    );
    // No name ever reaches the outputs.
    assert!(!text.contains("Zanga") && !pairs.contains("Zanga") && !pairs.contains("Abakar"));
}

#[test]
fn link_the_stored_pseudonyms_of_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let truth = dir.path().join("truth.csv");
    assert!(
        tessera()
            .args([
                "demo",
                "--records",
                "400",
                "--db",
                db.to_str().unwrap(),
                "--truth",
                truth.to_str().unwrap()
            ])
            .status()
            .unwrap()
            .success()
    );
    let out = dir.path().join("persons.csv");
    let res = tessera()
        .args([
            "link",
            "--db",
            db.to_str().unwrap(),
            "--entity",
            "victim",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    let victims = std::fs::read_to_string(&truth)
        .unwrap()
        .lines()
        .filter(|l| l.contains(",victim,"))
        .count();
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        text.lines().count() - 1,
        victims,
        "one row per stored victim record"
    );
    assert!(
        text.lines()
            .skip(1)
            .all(|l| l.split(',').count() == 4 && l.split(',').nth(1) == Some("victim"))
    );
    // A mistyped mode is refused, not silently read as "dedupe".
    let bad = tessera()
        .args([
            "link",
            "--db",
            db.to_str().unwrap(),
            "--mode",
            "linkk",
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("unknown mode"));
}

/// `tessera link --db` obeys the reviewers' verdicts, as the dashboards do (one code path,
/// `tessera_analysis::link_entity`): a "not the same person" verdict on two records the engine
/// put in one person splits them in the CLI's output.
#[test]
fn a_reviewer_s_verdict_splits_a_person_in_the_cli_output_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let dbs = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    let demo = tessera()
        .args(["demo", "--records", "600", "--db", dbs, "--truth"])
        .arg(&truth)
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let out = dir.path().join("persons.csv");
    let link = || {
        let res = tessera()
            .args(["link", "--db", dbs, "--entity", "victim", "--out"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&res.stderr).to_string();
        assert!(res.status.success(), "{stderr}");
        // (provider, provider_ref) → person
        let persons: std::collections::HashMap<(String, String), String> =
            std::fs::read_to_string(&out)
                .unwrap()
                .lines()
                .skip(1)
                .map(|l| {
                    let c: Vec<&str> = l.split(',').collect();
                    ((c[0].to_string(), c[2].to_string()), c[3].to_string())
                })
                .collect();
        (persons, stderr)
    };
    let (before, said) = link();
    assert!(said.contains("reviewers' verdicts applied: 0"), "{said}");
    // Two records of one person, as the engine found them.
    let mut by_person: std::collections::BTreeMap<&String, Vec<&(String, String)>> =
        Default::default();
    for (k, p) in &before {
        by_person.entry(p).or_default().push(k);
    }
    let mut pair = by_person
        .values()
        .find(|v| v.len() == 2)
        .expect("the demo reports some victims twice")
        .clone();
    pair.sort();
    let (a, b) = (pair[0].clone(), pair[1].clone());
    // The reviewer says they are two people.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        // Opened as the web opens it: keyed for the audit log by the deployment secret.
        let mut store = tessera_store::Store::open(dbs).await.unwrap();
        let hex = std::fs::read_to_string(format!("{dbs}.key")).unwrap();
        let secret = tessera_pseudonym::Secret::from_hex(hex.trim()).unwrap();
        store.set_audit_key(tessera_store::AuditKey::from_secret(&secret));
        store.set_audit_checkpoint(format!("{dbs}.audit-head"));
        let mut ids = std::collections::HashMap::new();
        let mut after = 0;
        loop {
            let page = store
                .records(&tessera_store::Access::National, "victim", after, 1000)
                .await
                .unwrap();
            let Some(last) = page.last() else { break };
            after = last.id;
            for r in page {
                ids.insert((r.provider_id.clone(), r.provider_ref.clone()), r.id);
            }
        }
        store
            .decide_link(ids[&a], ids[&b], false, "coordinator")
            .await
            .unwrap();
    });
    let (split, said) = link();
    assert!(said.contains("reviewers' verdicts applied: 1"), "{said}");
    assert_ne!(split[&a], split[&b], "the verdict was ignored");
    let persons = |m: &std::collections::HashMap<(String, String), String>| {
        m.values().collect::<std::collections::HashSet<_>>().len()
    };
    assert_eq!(persons(&split), persons(&before) + 1, "{said}");
}

/// Names, birth dates, ID and phone numbers never reach the database files or the logs: the demo
/// (whose generator invents names) and an import of a file full of identifiers, with full logging.
#[test]
fn no_clear_identifier_reaches_the_database_or_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let truth = dir.path().join("truth.csv");
    let log = |cmd: &mut Command| {
        let out = cmd.env("TESSERA_LOG", "trace").output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let mut logs = log(tessera().args([
        "demo",
        "--records",
        "3000",
        "--db",
        db.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
    ]));
    let file = dir.path().join("victims.csv");
    std::fs::write(&file, "provider_ref,identification_status,date_identified,sex,exploitation,given_name,family_name,birth_date,id_number,phone\nZ-1,IDENTIFIED,2025-01-02,F,SEX,Zéphyrine,Kpangbalanga,2003-07-19,CF77665544,+236 72 99 88 77\n").unwrap();
    logs.push_str(&log(tessera().args([
        "import",
        "--db",
        db.to_str().unwrap(),
        "--provider",
        "ong-espoir-kaga",
        "--entity",
        "victim",
        file.to_str().unwrap(),
    ])));
    logs.push_str(&log(tessera().args([
        "link",
        "--db",
        db.to_str().unwrap(),
        "--out",
        dir.path().join("p.csv").to_str().unwrap(),
    ])));
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        if let Ok(b) = std::fs::read(format!("{}{suffix}", db.display())) {
            bytes.extend(b);
        }
    }
    let haystack = String::from_utf8_lossy(&bytes).to_lowercase();
    let logs = logs.to_lowercase();
    // The imported identifiers, and family names the demo generator draws from.
    for needle in [
        "zéphyrine",
        "zephyrine",
        "kpangbalanga",
        "2003-07-19",
        "cf77665544",
        "72 99 88 77",
        "72998877",
        "feïganazoui",
        "tchakounté",
        "ngaïssona",
        "koyassambia",
        "abdelkerim",
    ] {
        assert!(
            !haystack.contains(needle),
            "\"{needle}\" found in the database"
        );
        assert!(!logs.contains(needle), "\"{needle}\" found in the logs");
    }
    // The check has teeth: the imported record itself is there, by its reference.
    assert!(haystack.contains("z-1"));
}

#[test]
fn an_office_pseudonymises_its_file_and_the_import_links_it_without_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let dbs = db.to_str().unwrap();
    let truth = dir.path().join("truth.csv");
    assert!(
        tessera()
            .args(["demo", "--records", "200", "--db", dbs, "--truth"])
            .arg(&truth)
            .status()
            .unwrap()
            .success()
    );
    // The office gets the deployment secret from the coordination body (here: the demo's).
    let secret = dir.path().join("t.db.key");
    let clear = dir.path().join("clear.csv");
    std::fs::write(
        &clear,
        "provider_ref,identification_status,date_identified,sex,exploitation,given_name,family_name,birth_date\n\
         PS-1,IDENTIFIED,2025-02-01,F,SEX,Clarisse,Zanga,1999-04-05\n\
         PS-2,IDENTIFIED,2025-02-02,F,SEX,Clarise,ZANGA,1999-04-05\n",
    )
    .unwrap();
    let encoded = dir.path().join("encoded.csv");
    let out = tessera()
        .args(["pseudonymise", "--entity", "victim", "--secret-file"])
        .arg(&secret)
        .arg("--out")
        .arg(&encoded)
        .arg(&clear)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = std::fs::read_to_string(&encoded).unwrap();
    for name in ["Clarisse", "Clarise", "Zanga", "ZANGA", "1999-04-05"] {
        assert!(!sent.contains(name), "{name} left the office");
    }
    // Nothing is written when the file has a problem.
    let bad_out = dir.path().join("bad.csv");
    std::fs::write(
        &clear,
        std::fs::read_to_string(&clear)
            .unwrap()
            .replace("1999-04-05", "n/a"),
    )
    .unwrap();
    let out = tessera()
        .args(["pseudonymise", "--entity", "victim", "--secret-file"])
        .arg(&secret)
        .arg("--out")
        .arg(&bad_out)
        .arg(&clear)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("birth_date"));
    assert!(!bad_out.exists());
    // The coordination body imports the encoded file like any other, and links its two rows.
    let out = tessera()
        .args([
            "import",
            "--db",
            dbs,
            "--provider",
            "ong-espoir-kaga",
            "--entity",
            "victim",
        ])
        .arg(&encoded)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let persons = dir.path().join("persons.csv");
    let out = tessera()
        .args(["link", "--db", dbs, "--entity", "victim", "--out"])
        .arg(&persons)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&persons).unwrap();
    let person_of = |r: &str| {
        text.lines()
            .find(|l| l.contains(&format!(",{r},")) || l.contains(&format!("{r},")))
            .and_then(|l| l.rsplit(',').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("{r} not in {text}"))
    };
    assert_eq!(
        person_of("PS-1"),
        person_of("PS-2"),
        "the two rows are one person"
    );
    let bytes = std::fs::read(&db).unwrap();
    assert!(!String::from_utf8_lossy(&bytes).contains("Clarisse"));
}

/// The audit log of a deployment made by `tessera init`, on SQLite and on PostgreSQL (in a schema
/// of its own; TESSERA_SKIP_PG=1 leaves it out, never in CI): keyed entries verify with the
/// checkpoint beside the database (SQLite) or the secret file (PostgreSQL), and once an intruder
/// removes the last entry `tessera audit verify` says so in one sentence and exits with 2.
#[test]
fn audit_verify_exits_non_zero_when_the_last_entry_is_removed() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("t.db");
    let mut dbs = vec![(sqlite.display().to_string(), None)];
    if std::env::var("TESSERA_SKIP_PG").as_deref() != Ok("1") {
        let url = std::env::var("TESSERA_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("cli_audit_{}", std::process::id());
        rt.block_on(async {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
            )))
            .execute(&pool)
            .await
            .unwrap();
        });
        let sep = if url.contains('?') { '&' } else { '?' };
        dbs.push((
            format!("{url}{sep}options%5Bsearch_path%5D={schema}"),
            Some(dir.path().join("pg.key")),
        ));
    }
    for (db, secret) in dbs {
        let with_db = |args: &[&str]| {
            let mut c = tessera();
            c.args(args).args(["--db", &db]);
            if let Some(s) = &secret {
                c.arg("--secret-file").arg(s);
            }
            c.output().unwrap()
        };
        let out = with_db(&["init", "--password", "a long enough password"]);
        assert!(
            out.status.success(),
            "{db}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for user in ["awa", "bruno"] {
            let out = with_db(&[
                "user",
                "add",
                "--username",
                user,
                "--name",
                user,
                "--role",
                "analyst",
                "--password",
                "a long enough password",
            ]);
            assert!(out.status.success(), "{db}");
        }
        let head = match &secret {
            Some(s) => dir.path().join(format!(
                "{}.audit-head",
                s.file_name().unwrap().to_string_lossy()
            )),
            None => dir.path().join("t.db.audit-head"),
        };
        let checkpoint: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&head).unwrap()).unwrap();
        assert_eq!(checkpoint["seq"], 3, "{db}");

        let out = with_db(&["audit", "verify"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{db}: {text}");
        assert!(
            text.contains("intact: 3 entries") && text.contains("signed checkpoint"),
            "{db}: {text}"
        );

        // The intruder, with database access but not the secret.
        rt.block_on(async {
            let sql = "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)";
            if secret.is_none() {
                let pool = sqlx::SqlitePool::connect(&format!("sqlite://{db}"))
                    .await
                    .unwrap();
                sqlx::raw_sql("DROP TRIGGER audit_log_no_delete")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            } else {
                let pool = sqlx::PgPool::connect(&db).await.unwrap();
                sqlx::raw_sql("DROP TRIGGER audit_log_no_change ON audit_log")
                    .execute(&pool)
                    .await
                    .unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        });
        let out = with_db(&["audit", "verify"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{db}: {text}");
        assert_eq!(text.lines().count(), 1, "{db}: {text}");
        assert!(
            text.contains("TRUNCATED") && text.contains("1 entry is missing"),
            "{db}: {text}"
        );
        // The next command's entry takes the removed one's place, and is not taken for it.
        let out = with_db(&[
            "user",
            "add",
            "--username",
            "carla",
            "--name",
            "carla",
            "--role",
            "analyst",
            "--password",
            "a long enough password",
        ]);
        assert!(out.status.success(), "{db}");
        let out = with_db(&["audit", "verify"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{db}: {text}");
        assert!(text.contains("REWRITTEN: entry 3"), "{db}: {text}");
    }
}

/// Runs `tessera` with `args`, its output to `log`; returns its exit code and the peak resident
/// size it reached, in bytes, as the kernel counted it for that one process.
fn run_measured(args: &[&str], log: &std::path::Path) -> (i32, u64) {
    let out = std::fs::File::create(log).unwrap();
    // Reaped by wait4 below, which also gives the peak resident size `Child::wait` does not.
    #[allow(clippy::zombie_processes)]
    let child = tessera()
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 writes only the status and the struct it is given; the child is ours and
    // is reaped here, not by `Child` (never waited on, its drop does nothing).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, usage.ru_maxrss as u64 * 1024)
}

/// Streams one part of an archive.
type PartWriter<'a> = &'a mut dyn FnMut(&mut dyn Write);

/// Writes `template` (an XLSX archive) to `path` with the parts named in `parts` replaced by
/// what their writer streams, so no large file is ever held in this process's memory (a
/// child's peak counts the pages it shared with this process when it was forked).
fn write_xlsx(path: &std::path::Path, template: &[u8], parts: &mut [(&str, PartWriter<'_>)]) {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(template)).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut out = zip::ZipWriter::new(std::io::BufWriter::new(file));
    for i in 0..zin.len() {
        let mut part = zin.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        let mut old = Vec::new();
        part.read_to_end(&mut old).unwrap();
        out.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        match parts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, write)) => write(&mut out),
            None => out.write_all(&old).unwrap(),
        }
    }
    out.finish().unwrap();
}

/// Writes a file line by line.
fn write_lines(path: &std::path::Path, mut f: impl FnMut(&mut dyn Write)) -> usize {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    f(&mut w);
    w.flush().unwrap();
    drop(w);
    std::fs::metadata(path).unwrap().len() as usize
}

/// The security review's finding: a 1.6 KB workbook took the server to 23.9 GB, one CSV line of
/// 10 million columns to 4.5 GB. Each hostile file here is at most the web's 50 MB upload limit;
/// `tessera check` reads it as an upload is read, and no run may pass 1 GB resident.
#[test]
fn hostile_uploads_stay_under_one_gigabyte() {
    const LIMIT: usize = 50 * 1024 * 1024;
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    let size = |name: &str| std::fs::metadata(at(name)).unwrap().len() as usize;
    // Two cells at opposite corners of the sheet.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "provider_ref").unwrap();
    ws.write_string(1_048_575, 16_383, "x").unwrap();
    std::fs::write(at("corners.xlsx"), wb.save_to_buffer().unwrap()).unwrap();
    // A sheet filling two columns of a million rows from a table of millions of strings.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "provider_ref").unwrap();
    let small = wb.save_to_buffer().unwrap();
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    write_xlsx(
        &at("strings.xlsx"),
        &small,
        &mut [
            ("xl/sharedStrings.xml", &mut |w: &mut dyn Write| {
                write!(w, "<?xml version=\"1.0\"?><sst xmlns=\"{NS}\">").unwrap();
                for i in 0..4_000_000u32 {
                    write!(w, "<si><t>{i:x}q</t></si>").unwrap();
                }
                write!(w, "</sst>").unwrap();
            }),
            ("xl/worksheets/sheet1.xml", &mut |w: &mut dyn Write| {
                write!(
                    w,
                    "<?xml version=\"1.0\"?><worksheet xmlns=\"{NS}\"><sheetData>"
                )
                .unwrap();
                for r in 1..=1_000_000u32 {
                    write!(
                        w,
                        "<row r=\"{r}\"><c r=\"A{r}\" t=\"s\"><v>{}</v></c><c r=\"B{r}\" t=\"s\"><v>{}</v></c></row>",
                        r % 4_000_000,
                        (r * 7) % 4_000_000
                    )
                    .unwrap();
                }
                write!(w, "</sheetData></worksheet>").unwrap();
            }),
        ],
    );
    assert!(
        size("strings.xlsx") <= LIMIT,
        "{} bytes",
        size("strings.xlsx")
    );
    // One line of millions of columns, the size of the upload limit.
    write_lines(&at("wide.csv"), |w| {
        for _ in 0..LIMIT / 2 - 1 {
            w.write_all(b"x,").unwrap();
        }
        w.write_all(b"\n").unwrap();
    });
    // Every cell of a file at the limit in error.
    write_lines(&at("bad.csv"), |w| {
        let row = b"R,NOPE,2024-99-99,Q,ZZZ,-1\n";
        w.write_all(b"provider_ref,identification_status,date_identified,sex,exploitation,age\n")
            .unwrap();
        for _ in 0..(LIMIT - 100) / row.len() {
            w.write_all(row).unwrap();
        }
    });
    let names: Vec<(&str, usize)> = ["corners.xlsx", "strings.xlsx", "wide.csv", "bad.csv"]
        .into_iter()
        .map(|n| (n, size(n)))
        .collect();
    for (name, size) in names {
        let path = dir.path().join(name);
        let log = dir.path().join(format!("{name}.log"));
        let (code, peak) = run_measured(
            &["check", "--entity", "victim", path.to_str().unwrap()],
            &log,
        );
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            code > 0,
            "{name}: refused, not killed (exit {code}): {text}"
        );
        eprintln!("{name}: {size} bytes, peak {} MB", peak >> 20);
        assert!(peak < 1 << 30, "{name}: {} MB resident", peak >> 20);
    }
}

/// The deployments a set-up test runs on: an SQLite file, and (unless TESSERA_SKIP_PG=1, never
/// in CI) a PostgreSQL schema of its own with its secret file beside it.
fn set_up_databases(dir: &std::path::Path, tag: &str) -> Vec<(String, Option<std::path::PathBuf>)> {
    let mut dbs = vec![(dir.join("t.db").display().to_string(), None)];
    if std::env::var("TESSERA_SKIP_PG").as_deref() != Ok("1") {
        let url = std::env::var("TESSERA_PG_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("cli_{tag}_{}", std::process::id());
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
        dbs.push((
            format!("{url}{sep}options%5Bsearch_path%5D={schema}"),
            Some(dir.join(format!("{tag}.key"))),
        ));
    }
    dbs
}

/// Issue 13: from `tessera init` on an empty database to an approved submission and the
/// dashboard figure, with CLI verbs only — providers registered one by one and from a list,
/// an agreement each, a period, a focal point — on SQLite and PostgreSQL. Refusals on the way
/// are one plain sentence naming their cause, never a raw database error.
#[test]
fn a_country_is_set_up_from_an_empty_database_with_cli_verbs_only() {
    let dir = tempfile::tempdir().unwrap();
    let ext = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dictionary/extensions/cf.toml"
    );
    for (n, (db, secret)) in set_up_databases(dir.path(), "setup")
        .into_iter()
        .enumerate()
    {
        let run = |args: &[&str]| {
            let mut c = tessera();
            c.args(args).args(["--db", &db]);
            if let Some(s) = &secret {
                c.arg("--secret-file").arg(s);
            }
            let out = c
                .env("TESSERA_PASSWORD", "a long enough password")
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr),
            )
        };
        let ok = |args: &[&str]| {
            let (success, text) = run(args);
            assert!(success, "{db}: tessera {args:?}: {text}");
            text
        };
        let refused = |args: &[&str], cause: &str| {
            let (success, text) = run(args);
            assert!(!success, "{db}: tessera {args:?} should be refused: {text}");
            assert!(text.contains(cause), "{db}: tessera {args:?}: {text}");
            assert!(
                !text.contains("database error") && !text.contains("FOREIGN KEY"),
                "{db}: a raw database error: {text}"
            );
            assert_eq!(text.trim().lines().count(), 1, "{db}: one sentence: {text}");
        };
        ok(&[
            "init",
            "--password",
            "a long enough password",
            "--extension",
            ext,
        ]);
        // Before any provider: clear refusals.
        refused(
            &[
                "user",
                "add",
                "--username",
                "fp",
                "--name",
                "FP",
                "--role",
                "focal_point",
                "--provider",
                "police-bangui",
            ],
            "provider \"police-bangui\"",
        );
        refused(
            &[
                "provider",
                "add",
                "--id",
                "police-bangui",
                "--name",
                "Police",
                "--type",
                "POLCE",
            ],
            "did you mean POLICE",
        );
        refused(
            &[
                "provider",
                "add",
                "--id",
                "police-bangui",
                "--name",
                "Police",
                "--type",
                "POLICE",
                "--region",
                "Bangi",
            ],
            "did you mean CF-BGF",
        );
        ok(&[
            "provider",
            "add",
            "--id",
            "police-bangui",
            "--name",
            "Bangui Police",
            "--name-in",
            "fr=Police de Bangui",
            "--type",
            "POLICE",
            "--region",
            "CF-BGF",
        ]);
        let list = dir.path().join(format!("providers-{n}.csv"));
        std::fs::write(
            &list,
            "id,name,name_fr,type,region,ngo\nngo-espoir,Espoir,Espoir,NGO,CF-BGF,yes\ncourt-bangui,Court of Bangui,Tribunal de Bangui,COURT,CF-BGF,no\n",
        )
        .unwrap();
        ok(&["provider", "import", list.to_str().unwrap()]);
        let listed = ok(&["provider", "list"]);
        for id in ["police-bangui", "ngo-espoir", "court-bangui"] {
            assert!(listed.contains(id), "{db}: {listed}");
        }
        // A list repeating a registered id registers nothing.
        let again = dir.path().join(format!("again-{n}.csv"));
        std::fs::write(
            &again,
            "id,name,type\nlabour-bangui,Labour,LABOUR\nngo-espoir,Espoir,NGO\n",
        )
        .unwrap();
        let (success, _) = run(&["provider", "import", again.to_str().unwrap()]);
        assert!(!success);
        assert!(!ok(&["provider", "list"]).contains("labour-bangui"), "{db}");

        for (id, entities) in [
            ("police-bangui", "victim,suspect"),
            ("ngo-espoir", "victim,assistance"),
            ("court-bangui", "suspect,cj_case"),
        ] {
            ok(&[
                "agreement",
                "add",
                "--provider",
                id,
                "--entities",
                entities,
                "--level",
                "case",
                "--from",
                "2024-01-01",
            ]);
        }
        refused(
            &[
                "agreement",
                "add",
                "--provider",
                "ngo-espoir",
                "--entities",
                "victims",
                "--from",
                "2024-01-01",
            ],
            "did you mean victim",
        );
        assert!(ok(&["agreement", "list"]).contains("in force"));
        ok(&[
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
        ]);
        let nap = concat!(env!("CARGO_MANIFEST_DIR"), "/../../config/nap/cf-demo.toml");
        ok(&["nap", "load", nap]);
        ok(&[
            "nap",
            "value",
            "--indicator",
            "PART-3",
            "--year",
            "2025",
            "--value",
            "3",
        ]);
        refused(
            &[
                "nap",
                "value",
                "--indicator",
                "PROT-1",
                "--year",
                "2025",
                "--value",
                "3",
            ],
            "computed from the data",
        );
        // A plan that would orphan the figure entered for PART-3 is refused.
        let smaller = dir.path().join(format!("smaller-{n}.toml"));
        let plan_text = std::fs::read_to_string(nap).unwrap();
        let cut = plan_text.find("id = \"PART-3\"").unwrap();
        let cut = plan_text[..cut].rfind("[[indicator]]").unwrap();
        std::fs::write(&smaller, &plan_text[..cut]).unwrap();
        refused(
            &["nap", "load", smaller.to_str().unwrap()],
            "clear it first",
        );
        ok(&[
            "user",
            "add",
            "--username",
            "fp-police",
            "--name",
            "Focal point",
            "--role",
            "focal_point",
            "--provider",
            "police-bangui",
        ]);
        ok(&[
            "user",
            "add",
            "--username",
            "coord",
            "--name",
            "Coordinator",
            "--role",
            "coordinator",
        ]);

        // The police's file: three victims. Suspects from the NGO are refused by its agreement
        // and its templates.
        let file = dir.path().join(format!("victims-{n}.csv"));
        std::fs::write(
            &file,
            "provider_ref,identification_status,date_identified,sex,exploitation\nV-1,IDENTIFIED,2025-01-02,F,SEX\nV-2,PRESUMED,2025-02-03,M,LAB\nV-3,IDENTIFIED,2025-03-04,F,DOM\n",
        )
        .unwrap();
        let suspects = dir.path().join(format!("suspects-{n}.csv"));
        std::fs::write(
            &suspects,
            "provider_ref,date_recorded,offence,sex\nS-1,2025-02-03,02041,M\n",
        )
        .unwrap();
        refused(
            &[
                "import",
                "--provider",
                "ngo-espoir",
                "--entity",
                "suspect",
                "--period",
                "2025",
                suspects.to_str().unwrap(),
            ],
            "do not report suspect",
        );
        refused(
            &[
                "import",
                "--provider",
                "police-bangi",
                "--entity",
                "victim",
                "--period",
                "2025",
                file.to_str().unwrap(),
            ],
            "did you mean police-bangui",
        );
        let imported = ok(&[
            "import",
            "--provider",
            "police-bangui",
            "--entity",
            "victim",
            "--period",
            "2025",
            file.to_str().unwrap(),
        ]);
        let sub: String = imported
            .split("into submission ")
            .nth(1)
            .unwrap_or_else(|| panic!("{db}: {imported}"))
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        ok(&["submission", "submit", &sub]);
        ok(&["submission", "approve", &sub]);

        // The dashboard counts the three approved victims.
        let port = 21000 + (std::process::id() % 20000) as u16 + n as u16;
        let addr = format!("127.0.0.1:{port}");
        let mut serve = tessera();
        serve.args(["serve", "--db", &db, "--listen", &addr]);
        if let Some(s) = &secret {
            serve.arg("--secret-file").arg(s);
        }
        let mut server = serve.stderr(Stdio::null()).spawn().unwrap();
        let start = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "server did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let cookie = sign_in(&addr, "coord", "a long enough password");
        let csv = get(
            &addr,
            "/dashboard.csv?view=victims&table=victims_by_sex",
            &cookie,
        );
        server.kill().unwrap();
        let _ = server.wait();
        let total: f64 = csv
            .split("\r\n\r\n")
            .nth(1)
            .unwrap()
            .lines()
            .skip(1)
            .filter_map(|l| l.rsplit(',').next()?.trim().parse::<f64>().ok())
            .sum();
        assert_eq!(total, 3.0, "{db}: {csv}");
        // Retiring keeps the records; the provider sends nothing new.
        ok(&["provider", "retire", "--id", "police-bangui"]);
        refused(
            &[
                "import",
                "--provider",
                "police-bangui",
                "--entity",
                "victim",
                "--period",
                "2025",
                file.to_str().unwrap(),
            ],
            "retired",
        );
        // A period whose due date is before its end is refused by the store, for every caller.
        refused(
            &[
                "period",
                "add",
                "--id",
                "2026",
                "--start",
                "2026-01-01",
                "--end",
                "2026-12-31",
                "--due",
                "2026-06-01",
            ],
            "cannot be due",
        );
        let late = ok(&["submission", "list"]);
        assert!(
            late.contains("days overdue") && late.contains("ngo-espoir"),
            "{db}: {late}"
        );
        // A typo of the type code itself gets its closest code.
        refused(
            &[
                "provider", "add", "--id", "labour-x", "--name", "L", "--type", "LABUOR",
            ],
            "did you mean LABOUR",
        );
        ok(&["period", "close", "--id", "2025"]);
        assert!(ok(&["period", "list"]).contains("closed"), "{db}");
    }
}

#[test]
fn report_writes_the_glotip_return_and_sdmx_from_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let db = db.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = tessera().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    run(&[
        "demo",
        "--records",
        "300",
        "--db",
        db,
        "--truth",
        dir.path().join("truth.csv").to_str().unwrap(),
    ]);

    // GLOTIP as CSV: one header, every line the same columns, the protection stated.
    let f = dir.path().join("f.csv");
    let said = run(&[
        "report",
        "glotip",
        "--db",
        db,
        "--year",
        "2024",
        "--out",
        f.to_str().unwrap(),
    ]);
    assert!(said.contains("threshold 5"), "{said}");
    let text = std::fs::read_to_string(&f).unwrap();
    let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["kind", "table", "title"]);
    let value = header.iter().position(|h| h == "value").unwrap();
    let recs: Vec<csv::StringRecord> = rd.records().map(Result::unwrap).collect();
    assert!(recs.iter().all(|r| r.len() == header.len()));
    assert!(recs.iter().any(|r| &r[0] == "about"
        && &r[2] == "protection"
        && r[header.len() - 1].contains("complementary")));
    let total = recs
        .iter()
        .find(|r| &r[0] == "total" && &r[1] == "victims_sex_age")
        .unwrap();
    assert_eq!(&total[4], "CAF");
    for r in recs.iter().filter(|r| &r[0] == "cell") {
        if let Ok(v) = r[value].parse::<f64>() {
            assert!(v == 0.0 || v >= 5.0, "{r:?}");
        } else {
            assert_eq!(&r[value + 1], "c", "{r:?}");
        }
    }
    for t in [
        "victims_sex_age",
        "victims_exploitation",
        "justice_sex_age",
        "justice_citizenship",
    ] {
        assert!(recs.iter().any(|r| &r[1] == t), "{t}");
    }

    // SDMX-CSV 1.0 and 2.0: the first columns, each line parses.
    for (version, first) in [("1.0", "DATAFLOW"), ("2.0", "STRUCTURE")] {
        let s = dir.path().join(format!("s{version}.csv"));
        run(&[
            "report",
            "sdmx",
            "--db",
            db,
            "--year",
            "2024",
            "--sdmx-version",
            version,
            "--out",
            s.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&s).unwrap();
        let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header = rd.headers().unwrap().clone();
        assert_eq!(&header[0], first);
        let mut n = 0;
        for rec in rd.records() {
            let rec = rec.unwrap();
            assert_eq!(rec.len(), header.len());
            assert!(
                rec[1].contains("TESSERA:EUROSTAT_THB(1.0)")
                    || &rec[0] == "TESSERA:EUROSTAT_THB(1.0)"
            );
            n += 1;
        }
        assert!(n > 20, "{version}: {n} observations");
    }

    // DHIS2 with the default ids, written out for the deployment to edit.
    let j = dir.path().join("values.json");
    let m = dir.path().join("dhis2.toml");
    run(&[
        "report",
        "dhis2",
        "--db",
        db,
        "--year",
        "2024",
        "--out",
        j.to_str().unwrap(),
        "--write-mapping",
        m.to_str().unwrap(),
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    assert_eq!(json["period"], "2024");
    assert!(!json["dataValues"].as_array().unwrap().is_empty());
    assert!(
        std::fs::read_to_string(&m)
            .unwrap()
            .contains("id_scheme = \"CODE\"")
    );

    // The annual report as DOCX (HTML, PDF and DOCX in detail: tests/report.rs).
    let docx = dir.path().join("x.docx");
    let out = tessera()
        .args([
            "report",
            "annual",
            "--db",
            db,
            "--year",
            "2025",
            "--lang",
            "fr",
            "--format",
            "docx",
            "--out",
            docx.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("as DOCX"));
    assert!(std::fs::read(&docx).unwrap().starts_with(b"PK"));
}
