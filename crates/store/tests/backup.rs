//! Backup and restore (issue 18): a backup restored into a fresh database of either engine
//! reproduces every table, the identity sequences and the audit log, which verifies against the
//! checkpoint the backup carries; a damaged or truncated file is refused before a row is written;
//! a backup taken while imports run is one consistent snapshot. Both engines.

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use common::{Engine, agree, engines};
use tessera_dictionary::{Dictionary, ProviderId, ProviderType, Role};
use tessera_intake::{ImportOptions, Limits};
use tessera_pseudonym::{Encoder, KeyedEncoder, Secret};
use tessera_store::{
    Access, AuditKey, BackupOptions, ImportRequest, ImportResult, ImportSource, Period, Provider,
    Store, SubmissionStatus, secret_fingerprint, verify_backup,
};
use time::macros::date;

const SECRET: [u8; 32] = [9; 32];

fn secret() -> Secret {
    Secret::from_bytes(&SECRET).unwrap()
}

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

/// Keys a store with the test secret and gives it a checkpoint file in `dir`.
fn key(store: &mut Store, dir: &Path, name: &str) {
    store.set_audit_key(AuditKey::from_secret(&secret()));
    store.set_audit_checkpoint(dir.join(format!("{name}.audit-head")));
}

async fn setup(s: &Store, d: &Dictionary) {
    s.register_provider(&Provider {
        id: pid("ngo-espoir"),
        name: "ONG Espoir".into(),
        provider_type: ProviderType::parse(d, "NGO").unwrap(),
        region: None,
        profile: Default::default(),
    })
    .await
    .unwrap();
    agree(s, "ngo-espoir", &["victim"]).await;
    s.upsert_period(&Period {
        id: "2025".into(),
        starts_on: date!(2025 - 01 - 01),
        ends_on: date!(2025 - 12 - 31),
        due_on: date!(2026 - 01 - 31),
        provider_types: Vec::new(),
        closed_on: None,
    })
    .await
    .unwrap();
}

fn victims(from: usize, n: usize) -> String {
    let mut s = String::from(
        "provider_ref,identification_status,date_identified,sex,age,exploitation,given_name,family_name\n",
    );
    for i in from..from + n {
        s.push_str(&format!(
            "V-{i},IDENTIFIED,2025-01-02,F,{},SEX,Awa{i},Zanga\n",
            18 + i % 40
        ));
    }
    s
}

async fn import(s: &Store, d: &Dictionary, csv: String) -> i64 {
    let enc: Arc<dyn Encoder> = Arc::new(KeyedEncoder::new(&secret()));
    let sub = s
        .open_submission(&pid("ngo-espoir"), "2025", &d.full_version(), "t")
        .await
        .unwrap()
        .id;
    let r = s
        .import_file(
            Arc::new(d.clone()),
            enc,
            ImportRequest {
                provider: pid("ngo-espoir"),
                entity: "victim".into(),
                submission_id: Some(sub),
                options: ImportOptions::default(),
                limits: Limits::default(),
                lang: "en".into(),
                name: "victims.csv".into(),
            },
            ImportSource::Bytes(csv.into_bytes()),
        )
        .await
        .unwrap();
    assert!(matches!(r, ImportResult::Stored { .. }), "{r:?}");
    sub
}

/// A deployment with a little of everything: providers, an agreement, a period, records with
/// history and pseudonyms, an approved submission, a link verdict, users, a NAP figure, audit
/// entries.
async fn fill(s: &Store, d: &Dictionary) {
    setup(s, d).await;
    let sub = import(s, d, victims(0, 30)).await;
    // A second version of some records: history rows.
    let mut changed = victims(0, 30).replace(",F,", ",M,");
    changed.push_str("V-99,PRESUMED,2025-02-03,M,,LAB,,\n");
    import(s, d, changed).await;
    s.set_submission_status(sub, SubmissionStatus::Submitted, "fp", None)
        .await
        .unwrap();
    s.set_submission_status(sub, SubmissionStatus::Approved, "coord", Some("ok"))
        .await
        .unwrap();
    let recs = s.records(&Access::National, "victim", 0, 10).await.unwrap();
    s.decide_link(recs[0].id, recs[1].id, false, "coord")
        .await
        .unwrap();
    s.create_user(
        "fp-espoir",
        "Focal point",
        "a long enough password",
        Role::FocalPoint,
        Some(&pid("ngo-espoir")),
        "fr",
    )
    .await
    .unwrap();
    s.set_nap_value("P1.1", 2025, Some(12.5), Some("training log"), "coord")
        .await
        .unwrap();
    for i in 0..5 {
        s.audit("awa", "record.read", &format!("record/{i}"), "{}")
            .await
            .unwrap();
    }
}

/// Every entry of a backup file, by name.
fn entries(path: &Path) -> BTreeMap<String, String> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        out.insert(f.name().unwrap().to_string(), text);
    }
    out
}

/// The records as the application reads them, comparable across engines.
async fn records(s: &Store) -> Vec<(i64, String, i64, Option<i64>, serde_json::Value)> {
    s.records(&Access::National, "victim", 0, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.provider_ref, r.version, r.submission_id, r.data))
        .collect()
}

#[tokio::test]
async fn a_restored_copy_of_either_engine_holds_the_same_data_and_its_audit_log_verifies() {
    let d = Dictionary::base().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for mut src in engines().await {
        key(&mut src.store, dir.path(), &format!("src-{}", src.name));
        fill(&src.store, &d).await;
        // Another application's table in the same schema is not Tessera's to copy.
        src.raw
            .exec("CREATE TABLE other_app (x INTEGER); INSERT INTO other_app VALUES (1)")
            .await
            .unwrap();
        let file = dir.path().join(format!("{}.tessera-backup", src.name));
        let summary = src
            .store
            .backup(
                &file,
                BackupOptions {
                    actor: "cli",
                    secret: Some(&secret()),
                    include_secret_file: None,
                },
            )
            .await
            .unwrap();
        let m = &summary.manifest;
        assert_eq!(m.engine, src.name);
        assert!(m.audit.checkpoint_signs_head, "{}: {:?}", src.name, m.audit);
        assert_eq!(m.secret.fingerprint, Some(secret_fingerprint(&secret())));
        assert!(!m.secret.included);
        let rows: BTreeMap<&str, u64> =
            m.tables.iter().map(|t| (t.name.as_str(), t.rows)).collect();
        assert_eq!(rows["records"], 31, "{}", src.name);
        assert_eq!(rows["record_history"], 30, "{}", src.name);
        assert_eq!(rows["link_decisions"], 1);
        assert!(!rows.contains_key("sessions") && !rows.contains_key("schema_migrations"));
        assert!(!rows.contains_key("other_app"));
        // The backup itself is in the source's audit log, after the head the file holds.
        let last = src.store.audit_entries(None, None, 1).await.unwrap();
        assert_eq!(last[0].action, "backup.create");
        assert_eq!(Some(last[0].seq - 1), m.audit.head_seq);
        assert!(last[0].detail.contains(&summary.sha256));
        let original = records(&src.store).await;

        for mut dst in engines().await {
            let what = format!("{} → {}", src.name, dst.name);
            key(
                &mut dst.store,
                dir.path(),
                &format!("{}-to-{}", src.name, dst.name),
            );
            let r = dst.store.restore(&file, "cli").await.unwrap();
            assert_eq!(
                r.verdict.as_ref().map(|v| v.is_intact()),
                Some(true),
                "{what}: {:?}",
                r.verdict
            );
            assert!(r.checkpoint.is_some(), "{what}");
            assert_eq!(records(&dst.store).await, original, "{what}");
            // The restore is the restored log's next entry, and it still verifies.
            let last = dst.store.audit_entries(None, None, 1).await.unwrap();
            assert_eq!(last[0].action, "backup.restore", "{what}");
            assert!(
                dst.store.verify_audit().await.unwrap().is_intact(),
                "{what}"
            );
            // New ids continue after the old ones: no record id is reused.
            let max_id = original.iter().map(|r| r.0).max().unwrap();
            import(&dst.store, &d, victims(500, 1)).await;
            let newest = records(&dst.store)
                .await
                .into_iter()
                .map(|r| r.0)
                .max()
                .unwrap();
            assert!(newest > max_id, "{what}: {newest} after {max_id}");

            // Same engine: every table byte for byte (the audit log up to the backup's head).
            if dst.name == src.name {
                let again = dir.path().join(format!("again-{}.zip", dst.name));
                let dst2 = engines_fresh_restore(&dst, &file, dir.path()).await;
                dst2.backup(
                    &again,
                    BackupOptions {
                        actor: "cli",
                        secret: None,
                        include_secret_file: None,
                    },
                )
                .await
                .unwrap();
                let (a, b) = (entries(&file), entries(&again));
                for (name, text) in &a {
                    if name == "manifest.json" {
                        continue;
                    }
                    if name == "tables/audit_log.jsonl" {
                        assert!(b[name].starts_with(text.as_str()), "{what}: {name}");
                    } else {
                        assert_eq!(&b[name], text, "{what}: {name}");
                    }
                }
            }
        }
    }
}

/// A second fresh store of `like`'s engine, restored from `file`.
async fn engines_fresh_restore(like: &Engine, file: &Path, dir: &Path) -> Store {
    let mut e = engines()
        .await
        .into_iter()
        .find(|e| e.name == like.name)
        .unwrap();
    key(&mut e.store, dir, &format!("again-{}", like.name));
    e.store.restore(file, "cli").await.unwrap();
    e.store
}

#[tokio::test]
async fn a_damaged_or_truncated_backup_is_refused_and_nothing_is_written() {
    let d = Dictionary::base().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut src = engines().await.remove(0);
    key(&mut src.store, dir.path(), "src");
    fill(&src.store, &d).await;
    let file = dir.path().join("b.zip");
    src.store
        .backup(
            &file,
            BackupOptions {
                actor: "cli",
                secret: Some(&secret()),
                include_secret_file: Some(&secret().to_hex()),
            },
        )
        .await
        .unwrap();
    let good = verify_backup(&file).unwrap();
    assert_eq!(
        good.secret_file.as_deref(),
        Some(secret().to_hex().as_str())
    );
    let bytes = std::fs::read(&file).unwrap();

    // Cut in half: the archive's directory is gone.
    let truncated = dir.path().join("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    // A row's value changed, the archive rewritten around it (its own CRCs are right): only
    // the manifest's checksum can tell.
    let edited = dir.path().join("edited.zip");
    {
        let mut all = entries(&file);
        let t = all.get_mut("tables/records.jsonl").unwrap();
        *t = t.replacen("V-1", "V-X", 1);
        let mut w = zip::ZipWriter::new(std::fs::File::create(&edited).unwrap());
        for (name, text) in &all {
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            std::io::Write::write_all(&mut w, text.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    // One byte flipped in the middle of the file.
    let flipped = dir.path().join("flipped.zip");
    let mut b = bytes.clone();
    let mid = b.len() / 3;
    b[mid] ^= 0x5a;
    std::fs::write(&flipped, &b).unwrap();
    let not_a_backup = dir.path().join("notes.txt");
    std::fs::write(&not_a_backup, "hello").unwrap();

    for (bad, words) in [
        (&truncated, "truncated or damaged"),
        (&edited, "checksum does not match"),
        (&flipped, "damaged"),
        (&not_a_backup, "truncated or damaged"),
    ] {
        for dst in engines().await {
            let e = dst.store.restore(bad, "cli").await.unwrap_err().to_string();
            assert!(
                e.contains("is not a usable Tessera backup") && e.contains(words),
                "{}: {}: {e}",
                dst.name,
                bad.display()
            );
            assert_eq!(
                dst.store
                    .count_records(&Access::National, None)
                    .await
                    .unwrap(),
                0
            );
            assert!(dst.store.providers().await.unwrap().is_empty());
        }
    }

    // A database that already holds data is not a restore target.
    let e = src
        .store
        .restore(&file, "cli")
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("empty database"), "{e}");
}

/// Imports go on while the backup is taken, on both engines: the backup holds whole imports
/// only (each file all or nothing), every record's submission, and an audit log that verifies
/// once restored.
#[tokio::test]
async fn a_backup_taken_while_imports_run_is_one_consistent_snapshot() {
    let d = Dictionary::base().unwrap();
    let dir = tempfile::tempdir().unwrap();
    const PER_FILE: usize = 40;
    for mut src in engines().await {
        key(&mut src.store, dir.path(), &format!("busy-{}", src.name));
        setup(&src.store, &d).await;
        import(&src.store, &d, victims(0, PER_FILE)).await;
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(1));
        let writer = {
            let (s, d, stop, done) = (src.store.clone(), d.clone(), stop.clone(), done.clone());
            tokio::spawn(async move {
                let mut k = 1;
                loop {
                    // One more file once told to stop: it lands after the snapshot.
                    let last = stop.load(Ordering::SeqCst);
                    import(&s, &d, victims(k * PER_FILE, PER_FILE)).await;
                    s.audit("fp", "records.import", &format!("file {k}"), "{}")
                        .await
                        .unwrap();
                    done.fetch_add(1, Ordering::SeqCst);
                    k += 1;
                    if last {
                        break;
                    }
                }
            })
        };
        // Let a few imports land, then back up while they go on.
        while done.load(Ordering::SeqCst) < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let before = done.load(Ordering::SeqCst);
        let file = dir.path().join(format!("busy-{}.zip", src.name));
        let summary = src
            .store
            .backup(
                &file,
                BackupOptions {
                    actor: "cli",
                    secret: Some(&secret()),
                    include_secret_file: None,
                },
            )
            .await
            .unwrap();
        let during = done.load(Ordering::SeqCst) - before;
        stop.store(true, Ordering::SeqCst);
        writer.await.unwrap();
        let after = src
            .store
            .count_records(&Access::National, None)
            .await
            .unwrap();
        let m = &summary.manifest;
        let held = m.tables.iter().find(|t| t.name == "records").unwrap().rows;
        assert_eq!(held % PER_FILE as u64, 0, "{}: {held} records", src.name);
        assert!(held >= (before * PER_FILE) as u64, "{}", src.name);
        assert!((held as i64) < after, "{}: imports went on after", src.name);
        assert!(m.audit.checkpoint_signs_head, "{}: {:?}", src.name, m.audit);
        eprintln!(
            "{}: {during} imports finished during the backup; it holds {held} of {after} records",
            src.name
        );

        for mut dst in engines().await.into_iter().filter(|e| e.name == src.name) {
            key(
                &mut dst.store,
                dir.path(),
                &format!("busy-{}-restored", src.name),
            );
            let r = dst.store.restore(&file, "cli").await.unwrap();
            assert!(r.verdict.unwrap().is_intact(), "{}", src.name);
            let recs = dst
                .store
                .records(&Access::National, "victim", 0, 1_000_000)
                .await
                .unwrap();
            assert_eq!(recs.len() as u64, held);
            for rec in &recs {
                let sub = rec.submission_id.unwrap();
                assert!(dst.store.submission(sub).await.unwrap().is_some());
            }
            // Whole files only: refs run 0..held without a gap.
            let mut refs: Vec<usize> = recs
                .iter()
                .map(|r| r.provider_ref[2..].parse().unwrap())
                .collect();
            refs.sort();
            assert_eq!(refs, (0..held as usize).collect::<Vec<_>>());
        }
    }
}
