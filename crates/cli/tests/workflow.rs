//! The submission workflow from the CLI is the web's: `tessera submission` calls the store's rule
//! (`Store::decide_submission`) and is refused with the sentence the web shows.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough password";

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

fn sign_in(addr: &str, user: &str) -> String {
    let r = request(
        addr,
        "POST",
        "/login",
        "",
        &format!("username={user}&password={}", PASSWORD.replace(' ', "+")),
    );
    assert!(r.starts_with("HTTP/1.1 303"), "{r}");
    r.lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no session cookie: {r}"))
        .to_string()
}

#[test]
fn approving_a_draft_is_refused_with_the_same_sentence_by_the_cli_and_the_web() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db").display().to_string();
    let ext = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dictionary/extensions/cf.toml"
    );
    let run = |args: &[&str]| {
        let out = tessera()
            .args(args)
            .args(["--db", &db])
            .env("TESSERA_PASSWORD", PASSWORD)
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
        assert!(success, "tessera {args:?}: {text}");
        text
    };
    // One refusal: non-zero, one line, the store's sentence.
    let refused = |args: &[&str], sentence: &str| {
        let (success, text) = run(args);
        assert!(!success, "tessera {args:?} should be refused: {text}");
        assert_eq!(text.trim().lines().count(), 1, "one sentence: {text}");
        assert!(text.contains(sentence), "tessera {args:?}: {text}");
    };
    ok(&["init", "--password", PASSWORD, "--extension", ext]);
    ok(&[
        "provider",
        "add",
        "--id",
        "police-bangui",
        "--name",
        "Bangui Police",
        "--type",
        "POLICE",
    ]);
    ok(&[
        "agreement",
        "add",
        "--provider",
        "police-bangui",
        "--entities",
        "victim",
        "--level",
        "case",
        "--from",
        "2024-01-01",
    ]);
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
    let file = dir.path().join("victims.csv");
    std::fs::write(
        &file,
        "provider_ref,identification_status,date_identified,sex,exploitation\nV-1,IDENTIFIED,2025-01-02,F,SEX\n",
    )
    .unwrap();
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
        .unwrap_or_else(|| panic!("{imported}"))
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();

    // The draft cannot be approved, nor returned, from the CLI.
    let draft = format!("submission {sub} is a draft: only a submitted submission can be approved");
    refused(&["submission", "approve", &sub], &draft);
    refused(
        &["submission", "return", &sub, "--comment", "ages missing"],
        &format!("submission {sub} is a draft: only a submitted submission can be returned"),
    );

    // Nor from the web, with the same sentence.
    let port = 23000 + (std::process::id() % 20000) as u16;
    let addr = format!("127.0.0.1:{port}");
    let mut server = tessera()
        .args(["serve", "--db", &db, "--listen", &addr])
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
    let cookie = sign_in(&addr, "coord");
    let page = request(&addr, "GET", &format!("/submissions/{sub}"), &cookie, "");
    let at = page
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no form token: {page}"))
        + 19;
    // The token as the page carries it (masked afresh on every page), up to its quote.
    let csrf = &page[at..at + page[at..].find('"').expect("a closing quote")];
    // The page offers no decision on a draft: the buttons come from the same rule.
    assert!(!page.contains("id=\"approve\""), "{page}");
    let web = request(
        &addr,
        "POST",
        &format!("/submissions/{sub}/approve"),
        &cookie,
        &format!("csrf={csrf}"),
    );
    server.kill().unwrap();
    let _ = server.wait();
    assert!(web.starts_with("HTTP/1.1 409"), "{web}");
    assert!(web.contains(&draft), "{web}");

    // Submitted, a return needs a comment; approved, the submission is locked.
    ok(&["submission", "submit", &sub]);
    refused(
        &["submission", "return", &sub, "--comment", "  "],
        "returning a submission needs a comment",
    );
    ok(&["submission", "approve", &sub, "--actor", "ops"]);
    refused(
        &["submission", "submit", &sub],
        &format!("submission {sub} is approved and locked"),
    );
    // The CLI's steps are in the audit log under the web's names.
    let log = ok(&["audit", "list", "--actor", "ops"]);
    let approve = log
        .lines()
        .find(|l| l.contains(&format!("submission/{sub}")))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        approve
            .split_whitespace()
            .any(|w| w == "submission.approve"),
        "{log}"
    );
}
