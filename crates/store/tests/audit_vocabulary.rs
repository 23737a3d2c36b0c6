//! One vocabulary of audit action names (`tessera_store::actions`): every action written to the
//! audit log by any crate is one of its names, and the documentation names only those.
//!
//! The check reads the sources: each `.audit(` call's second argument must be a constant of the
//! vocabulary or a string literal in it; an action built at run time (`format!`) is refused; a
//! file's `fn audit(…)` helper that passes its parameter on has its callers checked instead; and
//! any other argument that names no action (a variable, a method) must be one of the few listed
//! below, whose values come from the vocabulary's constants.

use std::path::{Path, PathBuf};

use tessera_store::actions;

/// Second arguments that hold an action chosen at run time among the vocabulary's constants.
const INDIRECT: &[(&str, &str)] = &[
    // `let (audited, notice) = match action { "reset" => (actions::USER_RESET, …), … }`
    ("crates/web/src/admin.rs", "audited"),
    // `SubmissionAction::audit_action`: a match onto `actions::SUBMISSION_*`.
    ("crates/store/src/workflow.rs", "action.audit_action()"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `.rs` file under `crates/*/<sub>`, with its path relative to the workspace.
fn sources(sub: &str) -> Vec<(String, String)> {
    let root = root();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).unwrap().flatten() {
        rust_files(&krate.path().join(sub), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The vocabulary as its source spells it: `(CONSTANT, "value")`, checked against `actions::ALL`.
fn constants() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(root().join("crates/store/src/audit.rs")).unwrap();
    let body = text
        .split("vocabulary! {")
        .nth(1)
        .expect("the vocabulary! block of audit.rs");
    let body = &body[..body.find("\n    }").unwrap()];
    let consts: Vec<(String, String)> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && l.contains(" = \""))
        .map(|l| {
            let (name, value) = l.split_once(" = ").unwrap();
            (
                name.to_string(),
                value.trim_end_matches(',').trim_matches('"').to_string(),
            )
        })
        .collect();
    let values: Vec<&str> = consts.iter().map(|(_, v)| v.as_str()).collect();
    assert_eq!(values, actions::ALL, "the vocabulary's source was misread");
    consts
}

/// The arguments of the call whose `(` is at `open`, split at top-level commas (strings, chars
/// and nested brackets skipped).
fn arguments(text: &str, open: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let (mut depth, mut i, mut start) = (0usize, open, open + 1);
    let mut args = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    args.push(text[start..i].trim().to_string());
                    return args;
                }
            }
            b',' if depth == 1 => {
                args.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    panic!("unclosed call at byte {open}");
}

fn string_literals(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(a) = rest.find('"') {
        let after = &rest[a + 1..];
        let b = after.find('"').unwrap_or(after.len());
        out.push(after[..b].to_string());
        rest = &after[(b + 1).min(after.len())..];
    }
    out
}

/// Upper-case identifiers (constants) in an expression.
fn constant_names(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| {
            w.len() > 1
                && w.starts_with(|c: char| c.is_ascii_uppercase())
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

/// What is wrong with an action expression, if anything: `Ok(true)` when it names its action
/// (literals and constants, all in the vocabulary), `Ok(false)` when it names none.
fn check_action(
    consts: &[(String, String)],
    action: &str,
    at: &str,
    problems: &mut Vec<String>,
) -> bool {
    if action.contains("format!") {
        problems.push(format!(
            "{at}: the action `{action}` is built at run time; name it with a constant of tessera_store::actions"
        ));
        return true;
    }
    let literals = string_literals(action);
    let names = constant_names(action);
    for l in &literals {
        if !actions::is_known(l) {
            let hint = actions::RENAMED
                .iter()
                .find(|(old, _)| old == l)
                .map(|(_, new)| format!(" (renamed {new})"))
                .unwrap_or_default();
            problems.push(format!(
                "{at}: \"{l}\" is not in the audit vocabulary{hint}; add it to tessera_store::actions or use one of its names"
            ));
        }
    }
    for n in &names {
        if !consts.iter().any(|(c, _)| c == n) {
            problems.push(format!(
                "{at}: {n} is not a constant of tessera_store::actions"
            ));
        }
    }
    !(literals.is_empty() && names.is_empty())
}

/// The parameter names of the file's `fn audit(…)` helper, if it has one.
fn helper_parameters(text: &str) -> Option<Vec<String>> {
    let at = text.find("fn audit(")?;
    let args = arguments(text, at + "fn audit".len());
    Some(
        args.iter()
            .map(|a| a.split(':').next().unwrap_or("").trim().to_string())
            .collect(),
    )
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn line_of(text: &str, at: usize) -> usize {
    text[..at].lines().count().max(1)
}

/// What reading the sources found.
#[derive(Default)]
struct Scan {
    calls: usize,
    problems: Vec<String>,
    indirect_seen: Vec<(String, String)>,
}

fn scan(consts: &[(String, String)], files: &[(String, String)]) -> Scan {
    let mut found = Scan::default();
    let Scan {
        calls,
        problems,
        indirect_seen,
    } = &mut found;
    for (file, text) in files {
        let helper = helper_parameters(text);
        let mut forwarded: Option<usize> = None;
        for (at, _) in text.match_indices(".audit(") {
            let line = line_of(text, at);
            let args = arguments(text, at + ".audit".len());
            let Some(action) = args.get(1) else {
                problems.push(format!("{file}:{line}: an audit call without an action"));
                continue;
            };
            *calls += 1;
            let action = one_line(action);
            if check_action(consts, &action, &format!("{file}:{line}"), problems) {
                continue;
            }
            // A helper `fn audit(…, action: &str, …)` passing its parameter on: its callers in
            // the file are checked instead.
            if let Some(i) = helper
                .as_ref()
                .and_then(|ps| ps.iter().position(|p| *p == action))
            {
                forwarded = Some(i);
            } else if INDIRECT.contains(&(file.as_str(), action.as_str())) {
                indirect_seen.push((file.clone(), action.clone()));
            } else {
                problems.push(format!(
                    "{file}:{line}: cannot tell which action `{action}` is; pass a constant of tessera_store::actions"
                ));
            }
        }
        let Some(i) = forwarded else { continue };
        let bytes = text.as_bytes();
        for (at, _) in text.match_indices("audit(") {
            // Free calls of the helper only: not `.audit(`, `fn audit(`, nor `x_audit(`.
            let before = if at == 0 { b' ' } else { bytes[at - 1] };
            if before == b'.' || before == b'_' || before.is_ascii_alphanumeric() {
                continue;
            }
            if text[..at].ends_with("fn ") {
                continue;
            }
            let line = line_of(text, at);
            let args = arguments(text, at + "audit".len());
            *calls += 1;
            let Some(action) = args.get(i) else {
                problems.push(format!("{file}:{line}: an audit call without an action"));
                continue;
            };
            let action = one_line(action);
            if !check_action(consts, &action, &format!("{file}:{line}"), problems) {
                problems.push(format!(
                    "{file}:{line}: cannot tell which action `{action}` is; pass a constant of tessera_store::actions"
                ));
            }
        }
    }
    found
}

#[test]
fn every_audit_action_written_in_the_code_is_in_the_vocabulary() {
    let found = scan(&constants(), &sources("src"));
    assert!(found.problems.is_empty(), "\n{}", found.problems.join("\n"));
    // The reader found the writers (a broken reader would pass by finding nothing).
    assert!(found.calls >= 30, "only {} audit calls found", found.calls);
    for (file, expr) in INDIRECT {
        assert!(
            found
                .indirect_seen
                .iter()
                .any(|(f, e)| f == file && e == expr),
            "{file}: `{expr}` is listed as an indirect action but no longer used; remove it from INDIRECT"
        );
    }
}

/// The reader itself: what it must refuse, on made-up sources.
#[test]
fn the_reader_refuses_names_outside_the_vocabulary() {
    let consts = constants();
    let file = |text: &str| vec![("crates/x/src/lib.rs".to_string(), text.to_string())];
    let problems = |text: &str| scan(&consts, &file(text)).problems;
    // Accepted: a constant, a literal of the vocabulary, a helper's callers with either.
    assert!(problems("s.audit(\"cli\", actions::USER_CREATE, &u, \"{}\")").is_empty());
    assert!(problems("s.audit(\"cli\", \"user.create\", &u, &json!({\"a\": (1, 2)}))").is_empty());
    let helper = "async fn audit(state: &S, v: &V, action: &str, object: &str) {\n    state.store.audit(&v.name, action, object, \"{}\").await\n}\n";
    assert!(
        problems(&format!(
            "{helper}audit(state, v, \"period.open\", &id).await?;"
        ))
        .is_empty()
    );
    // Refused: an unknown or old literal, an unknown constant, a name built at run time, an
    // action the reader cannot see, and the same through a helper.
    for bad in [
        "s.audit(\"cli\", \"submission.approved\", &o, \"{}\")",
        "s.audit(\"cli\", actions::SUBMISSION_APPROVED, &o, \"{}\")",
        "s.audit(\"cli\", &format!(\"submission.{a}\"), &o, \"{}\")",
        "s.audit(\"cli\", name, &o, \"{}\")",
    ] {
        assert_eq!(problems(bad).len(), 1, "{bad}");
    }
    let p = problems(&format!(
        "{helper}audit(state, v, \"period.opened\", &id).await?;"
    ));
    assert!(p.len() == 1 && p[0].contains("period.opened"), "{p:?}");
    let p = problems(&format!("{helper}audit(state, v, what, &id).await?;"));
    assert_eq!(p.len(), 1, "{p:?}");
}

#[test]
fn the_vocabulary_has_one_form_and_no_old_name_comes_back() {
    let verb = |s: &str| {
        let (object, verb) = s.split_once('.').unwrap_or(("", ""));
        !object.is_empty()
            && !verb.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
            && s.matches('.').count() == 1
    };
    for a in actions::ALL {
        assert!(verb(a), "{a} is not object.verb");
        assert_eq!(
            actions::ALL.iter().filter(|b| *b == a).count(),
            1,
            "{a} twice"
        );
    }
    for (old, new) in actions::RENAMED {
        assert!(!actions::is_known(old), "{old} is renamed and still known");
        assert!(actions::is_known(new), "{old} renamed to an unknown {new}");
    }
    // An old name written anywhere in the code or the tests (audit filters included) is a
    // leftover: the new entries carry the new name.
    let mut leftovers = Vec::new();
    for sub in ["src", "tests"] {
        for (file, text) in sources(sub) {
            if file.ends_with("crates/store/src/audit.rs") {
                continue;
            }
            for (old, new) in actions::RENAMED {
                if text.contains(&format!("\"{old}\"")) {
                    leftovers.push(format!("{file}: \"{old}\" is now \"{new}\""));
                }
            }
        }
    }
    assert!(leftovers.is_empty(), "\n{}", leftovers.join("\n"));
}

#[test]
fn the_documentation_names_only_actions_of_the_vocabulary() {
    const OBJECTS: &[&str] = &[
        "session",
        "user",
        "provider",
        "agreement",
        "period",
        "nap",
        "submission",
        "record",
        "records",
        "pseudonym",
        "linkage",
        "link",
        "demo",
        "report",
        "release",
    ];
    const FILES: &[&str] = &[
        "rs", "toml", "html", "md", "csv", "json", "sql", "ftl", "js",
    ];
    let root = root();
    let mut docs: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md"]
        .iter()
        .map(|f| root.join(f))
        .collect();
    for e in std::fs::read_dir(root.join("docs")).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "md") {
            docs.push(e.path());
        }
    }
    let mut wrong = Vec::new();
    for doc in docs {
        let Ok(text) = std::fs::read_to_string(&doc) else {
            continue;
        };
        // Every `object.verb` in backticks.
        for (i, span) in text.split('`').enumerate() {
            if i % 2 == 0 {
                continue;
            }
            let Some((object, verb)) = span.split_once('.') else {
                continue;
            };
            if OBJECTS.contains(&object)
                && !FILES.contains(&verb)
                && !verb.is_empty()
                && verb.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !actions::is_known(span)
            {
                wrong.push(format!(
                    "{}: `{span}` is not an audit action",
                    doc.strip_prefix(&root).unwrap_or(&doc).display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}
