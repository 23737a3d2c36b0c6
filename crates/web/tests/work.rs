//! Each role's work first, in process on both engines: the focal point's home (periods due, the
//! returned submission with the coordinator's comment, the last upload's report, one call to
//! action), the coordinator's review of a submission (records, quality flags, diff to the
//! previous version, approve or return through a confirmation), the linkage review (order,
//! filters, paging, back to the same place after a verdict), paging of every long list, and code
//! lists sorted in the reader's language — each behind the store's access rule.

mod common;

use common::{OTHER, OWN, apps};
use tessera_dictionary::ProviderId;
use tessera_store::{Access, SubmissionStatus};

fn own() -> Access {
    Access::Provider(ProviderId::parse(OWN).unwrap())
}

/// The demo's comment on the returned 2025 submission of OWN, as the page escapes it.
const DEMO_COMMENT: &str = "Dates d&#x27;identification manquantes pour plusieurs fiches.";

const VICTIMS: &str = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name\n\
HOME-1,IDENTIFIED,2025-03-04,F,Cameroun,SEX,Awa,Ndiaye\n\
HOME-2,IDENTIFIED,2025-02-28,F,CF,LAB,Marie,Yakité\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_focal_points_home_shows_the_returned_submission_what_is_due_and_the_last_upload() {
    for app in apps().await {
        let returned = app
            .store
            .submissions_for(&own(), Some(SubmissionStatus::Returned))
            .await
            .unwrap();
        assert_eq!(returned.len(), 1, "the demo returned OWN's 2025 submission");
        let sub = returned[0].id;
        let fp = app.login("fp").await;
        let home = app.get("/", Some(&fp)).await;
        assert_eq!(home.status, 200, "{}", app.engine);
        let b = &home.body;
        assert!(b.contains("id=\"next-action\""), "{b}");
        assert!(
            b.contains("Your 2025 submission was returned: correct it and submit it again"),
            "{}: the call to action is the returned submission",
            app.engine
        );
        assert!(b.contains(DEMO_COMMENT), "the coordinator's comment: {b}");
        assert!(b.contains(&format!("id=\"returned-{sub}\"")));
        assert!(b.contains("id=\"cta-primary\""), "a focal point can act");
        assert!(b.contains("href=\"&#x2f;upload?period=2025\""), "{b}");
        assert!(b.contains("id=\"period-2025\""), "the period is listed");
        assert!(!b.contains("id=\"provider-"), "no table of providers");
        assert!(b.contains("Nothing uploaded yet."));

        // An upload, then its report on the home page.
        let csrf = app.csrf(&fp).await;
        let r = app
            .post_multipart(
                "/upload",
                Some(&fp),
                &[("csrf", &csrf), ("entity", "victim"), ("period", "2025")],
                &[("file", "victims.csv", VICTIMS.as_bytes())],
            )
            .await;
        assert_eq!(r.status, 200, "{}: {}", app.engine, r.body);
        let home = app.get("/", Some(&fp)).await;
        assert!(home.body.contains("id=\"last-upload\""), "{}", home.body);
        assert!(
            home.body
                .contains("2 rows read: 2 new, 0 updated, 0 unchanged."),
            "{}",
            home.body
        );
        // The same file again: left unchanged, and said so.
        let r = app
            .post_multipart(
                "/upload",
                Some(&fp),
                &[("csrf", &csrf), ("entity", "victim"), ("period", "2025")],
                &[("file", "victims.csv", VICTIMS.as_bytes())],
            )
            .await;
        assert!(
            r.body.contains("2 records were sent again unchanged"),
            "{}",
            r.body
        );
        let home = app.get("/", Some(&fp)).await;
        assert!(home.body.contains("0 new, 0 updated, 2 unchanged."));

        // A viewer of the same provider reads the same, with no button to act.
        let viewer = app.login("viewer").await;
        let home = app.get("/", Some(&viewer)).await;
        assert!(home.body.contains(DEMO_COMMENT));
        assert!(!home.body.contains("id=\"cta-primary\""));
        // Another provider's focal point sees nothing of it.
        let other = app.login("fp-other").await;
        let home = app.get("/", Some(&other)).await;
        assert_eq!(home.status, 200);
        assert!(!home.body.contains(DEMO_COMMENT), "{}", app.engine);
        assert!(!home.body.contains(&format!("/submissions/{sub}\"")));
        assert!(!home.body.contains("victims.csv"));
        // National roles keep the national home.
        let coord = app.login("coord").await;
        let home = app.get("/", Some(&coord)).await;
        assert!(home.body.contains(&format!("id=\"provider-{OWN}\"")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_returns_a_submission_through_a_confirmation_and_the_focal_point_reads_why()
{
    for app in apps().await {
        let own_subs = app.store.submissions_for(&own(), None).await.unwrap();
        // OWN's 2025 submission was returned; its focal point submits it again.
        let sub = own_subs
            .iter()
            .find(|s| s.status == SubmissionStatus::Returned)
            .unwrap()
            .id;
        let fp = app.login("fp").await;
        let csrf = app.csrf(&fp).await;
        let r = app
            .post_form(
                &format!("/submissions/{sub}/submit"),
                Some(&fp),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, 303);
        let coord = app.login("coord").await;
        let ccsrf = app.csrf(&coord).await;
        let page = app.get(&format!("/submissions/{sub}"), Some(&coord)).await;
        assert_eq!(page.status, 200, "{}", app.engine);
        let b = &page.body;
        for part in [
            "id=\"quality\"",
            "id=\"quality-counts\"",
            "Compared with the provider&#x27;s periods 2022, 2023, 2024.",
            "id=\"submission-records\"",
            "id=\"decide\"",
            "id=\"lateness\"",
        ] {
            assert!(b.contains(part), "{}: {part} in {b}", app.engine);
        }
        assert!(
            b.contains(&format!("action=\"/submissions/{sub}/confirm\"")),
            "decisions go through the confirmation"
        );
        // Returning without a comment is refused on the page, with nothing changed.
        let confirm = format!("/submissions/{sub}/confirm");
        let r = app
            .post_form(
                &confirm,
                Some(&coord),
                &[("csrf", &ccsrf), ("decision", "return"), ("comment", "  ")],
            )
            .await;
        assert_eq!(r.status, 400, "{}", app.engine);
        assert!(r.body.contains("id=\"decision-error\""), "{}", r.body);
        // With a comment: the confirmation, still nothing changed.
        let why = "Ages are missing for twelve victims: add them.";
        let r = app
            .post_form(
                &confirm,
                Some(&coord),
                &[("csrf", &ccsrf), ("decision", "return"), ("comment", why)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("id=\"confirm-question\""));
        assert!(r.body.contains(why));
        assert!(r.body.contains("Yes, return it"));
        let s = app
            .store
            .submission_for(&own(), sub)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            s.status,
            SubmissionStatus::Submitted,
            "the confirmation changes nothing"
        );
        // Confirmed.
        let r = app
            .post_form(
                &format!("/submissions/{sub}/return"),
                Some(&coord),
                &[("csrf", &ccsrf), ("comment", why)],
            )
            .await;
        assert_eq!(r.status, 303);
        let to = r.headers["location"].to_str().unwrap();
        assert_eq!(to, format!("/submissions/{sub}?done=return"));
        let page = app.get(to, Some(&coord)).await;
        assert!(page.body.contains("id=\"notice\""));
        assert!(page.body.contains("id=\"status\">Returned<"));
        // The focal point's home says why.
        let home = app.get("/", Some(&fp)).await;
        assert!(home.body.contains(why), "{}", home.body);
        // Approving goes through the same confirmation.
        let r = app
            .post_form(
                &format!("/submissions/{sub}/submit"),
                Some(&fp),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, 303);
        let r = app
            .post_form(
                &confirm,
                Some(&coord),
                &[("csrf", &ccsrf), ("decision", "approve")],
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(r.body.contains("Yes, approve"));
        assert!(
            r.body.contains(&format!(
                "Approve submission {sub} of Commissariat de police de Berbérati for 2025"
            )),
            "{}",
            r.body
        );
        // Nobody else gets a confirmation: the rule is the store's.
        for user in ["analyst", "fp", "viewer"] {
            let c = app.login(user).await;
            let t = app.csrf(&c).await;
            let r = app
                .post_form(&confirm, Some(&c), &[("csrf", &t), ("decision", "approve")])
                .await;
            assert_eq!(r.status, 403, "{}: {user}", app.engine);
        }
        let c = app.login("fp-other").await;
        let t = app.csrf(&c).await;
        let r = app
            .post_form(&confirm, Some(&c), &[("csrf", &t), ("decision", "approve")])
            .await;
        assert_eq!(
            r.status, 404,
            "another provider's submission does not exist"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_review_page_shows_records_to_readers_and_the_diff_to_the_previous_version() {
    for app in apps().await {
        // A correction of OWN's approved 2024 submission: a new version with one new record.
        let fp = app.login("fp").await;
        let csrf = app.csrf(&fp).await;
        let body = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name\nCORR-1,IDENTIFIED,2024-05-04,F,CF,SEX,Awa,Ndiaye\n";
        let r = app
            .post_multipart(
                "/upload",
                Some(&fp),
                &[("csrf", &csrf), ("entity", "victim"), ("period", "2024")],
                &[("file", "correction.csv", body.as_bytes())],
            )
            .await;
        assert_eq!(r.status, 200, "{}: {}", app.engine, r.body);
        let v2 = app
            .store
            .submissions_for(&own(), None)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.period_id == "2024" && s.version == 2)
            .expect("a second version of 2024");
        let page = app.get(&format!("/submissions/{}", v2.id), Some(&fp)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"diff-summary\""), "{}", page.body);
        assert!(
            page.body.contains("Against version 1: 1 added, 0 changed"),
            "{}",
            page.body
        );
        assert!(page.body.contains("CORR-1"), "readers see the references");
        assert!(
            page.body.contains("<dt>Version</dt><dd>2</dd>"),
            "the submission's own version, not the dictionary's"
        );
        // The administrator sees the submission and its counts, not its records.
        let admin = app.login("admin").await;
        let page = app
            .get(&format!("/submissions/{}", v2.id), Some(&admin))
            .await;
        assert_eq!(page.status, 200, "{}", app.engine);
        assert!(page.body.contains("id=\"diff-summary\""));
        assert!(
            !page.body.contains("CORR-1"),
            "no case-level list for admins"
        );
        assert!(!page.body.contains("id=\"submission-records\""));
        // Another provider's focal point: it does not exist.
        let other = app.login("fp-other").await;
        let page = app
            .get(&format!("/submissions/{}", v2.id), Some(&other))
            .await;
        assert_eq!(page.status, 404);
        // Records of a submission, within the entity chosen; the read is in the audit log.
        let coord = app.login("coord").await;
        let v1 = app
            .store
            .submissions_for(&own(), None)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.period_id == "2023")
            .unwrap();
        let page = app
            .get(
                &format!("/submissions/{}?entity=victim", v1.id),
                Some(&coord),
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains("id=\"submission-records\""),
            "{}",
            page.body
        );
        let entries = app
            .store
            .audit_entries(Some("coord"), Some("record.list"), 5)
            .await
            .unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e.object == format!("submission/{}/victim", v1.id)),
            "{}",
            app.engine
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_linkage_queue_is_ranked_filtered_paged_and_a_verdict_comes_back_to_the_next_pair() {
    for app in apps().await {
        let coord = app.login("coord").await;
        let page = app.get("/linkage", Some(&coord)).await;
        assert_eq!(page.status, 200, "{}", app.engine);
        assert!(page.body.contains("id=\"linkage-filters\""));
        assert!(
            page.body.contains("id=\"keys\" hidden"),
            "the legend waits for the script"
        );
        assert!(page.body.contains("src=\"/assets/work.js\""));
        let facts = app
            .state
            .facts
            .get(&app.store, &app.state.dict)
            .await
            .unwrap();
        let linked = tessera_web::dashboards::linkage(&app.state, &facts)
            .await
            .unwrap();
        let ranked = tessera_analysis::rank_review(&linked, &Default::default());
        assert!(
            ranked.len() > 20,
            "{}: the demo has pairs to review",
            app.engine
        );
        // The page lists them in rank order, twenty at a time.
        let anchors: Vec<String> = ranked
            .iter()
            .map(|r| format!("id=\"pair-{}-{}\"", r.pair.record_a, r.pair.record_b))
            .collect();
        let at = |body: &str, a: &str| body.find(a);
        let first = at(&page.body, &anchors[0]).expect("first pair shown");
        let second = at(&page.body, &anchors[1]).expect("second pair shown");
        assert!(first < second);
        assert!(at(&page.body, &anchors[20]).is_none(), "twenty per page");
        let page2 = app.get("/linkage?page=2", Some(&coord)).await;
        assert!(at(&page2.body, &anchors[20]).is_some());
        for w in ranked.windows(2) {
            assert!(w[0].impact >= w[1].impact, "highest impact first");
        }
        // Filters: one provider, one band.
        let provider = ranked[0].pair.provider_a.clone();
        let filtered = app
            .get(
                &format!("/linkage?provider={provider}&band=high"),
                Some(&coord),
            )
            .await;
        assert_eq!(filtered.status, 200);
        let kept: Vec<_> = ranked
            .iter()
            .filter(|r| {
                (r.pair.provider_a == provider || r.pair.provider_b == provider)
                    && r.pair.probability >= 0.3
            })
            .collect();
        for r in ranked.iter().take(40) {
            let shown = filtered.body.contains(&format!(
                "id=\"pair-{}-{}\"",
                r.pair.record_a, r.pair.record_b
            ));
            let wanted = kept.iter().take(20).any(|k| std::ptr::eq(*k, r));
            assert_eq!(
                shown,
                wanted,
                "{}: pair {:?}",
                app.engine,
                (r.pair.record_a, r.pair.record_b)
            );
        }
        // A verdict from page 2 returns to page 2, at the next pair.
        let csrf = app.csrf(&coord).await;
        let (a, b) = (ranked[20].pair.record_a, ranked[20].pair.record_b);
        let next = format!(
            "pair-{}-{}",
            ranked[21].pair.record_a, ranked[21].pair.record_b
        );
        let r = app
            .post_form(
                "/linkage/decide",
                Some(&coord),
                &[
                    ("csrf", &csrf),
                    ("a", &a.to_string()),
                    ("b", &b.to_string()),
                    ("verdict", "different"),
                    ("back", "page=2"),
                    ("next", &next),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.headers["location"].to_str().unwrap(),
            format!("/linkage?page=2#{next}")
        );
        let decided = app.store.link_decisions().await.unwrap();
        assert!(
            decided
                .iter()
                .any(|d| (d.record_a, d.record_b) == (a, b) && !d.same)
        );
        // The form carries where it came from.
        let page2 = app.get("/linkage?page=2&band=low", Some(&coord)).await;
        assert!(
            page2
                .body
                .contains("name=\"back\" value=\"band=low&amp;page=2\""),
            "{}",
            page2.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_lists_come_a_page_at_a_time() {
    for app in apps().await {
        let coord = app.login("coord").await;
        // 13 providers × 5 years of submissions: two pages.
        let (_, total) = app
            .store
            .submissions_page(&Access::National, None, 0, 1)
            .await
            .unwrap();
        assert!(total > 50, "{}", app.engine);
        let p1 = app.get("/submissions", Some(&coord)).await;
        assert!(p1.body.contains("class=\"pager\""), "{}", p1.body);
        assert!(
            p1.body.contains(&format!("rows 1–50 of {total}")),
            "{}",
            p1.body
        );
        let p2 = app.get("/submissions?page=2", Some(&coord)).await;
        assert!(p2.body.contains(&format!("rows 51–{total} of {total}")));
        let (page2, _) = app
            .store
            .submissions_page(&Access::National, None, 50, 50)
            .await
            .unwrap();
        assert!(
            p2.body
                .contains(&format!("href=\"/submissions/{}\"", page2[0].id))
        );
        // Filtered by status, counted within the filter.
        let returned = app.get("/submissions?status=returned", Some(&coord)).await;
        assert!(!returned.body.contains("class=\"pager\""));
        // A focal point pages through its own submissions only.
        let fp = app.login("fp").await;
        let mine = app.get("/submissions?page=9", Some(&fp)).await;
        assert_eq!(mine.status, 200);
        assert!(!mine.body.contains(OTHER));
        // The drill-down goes past its first page.
        let facts = app
            .state
            .facts
            .get(&app.store, &app.state.dict)
            .await
            .unwrap();
        let ids = tessera_analysis::drill(
            &facts,
            "victim",
            &Access::National,
            &Default::default(),
            usize::MAX,
        )
        .unwrap();
        assert!(ids.len() > 100, "{}", app.engine);
        let d2 = app
            .get("/dashboard/records?entity=victim&page=2", Some(&coord))
            .await;
        assert_eq!(d2.status, 200);
        assert!(
            d2.body.contains(&format!("href=\"/records/{}\"", ids[100])),
            "{}",
            app.engine
        );
        assert!(!d2.body.contains(&format!("href=\"/records/{}\"", ids[99])));
        // The audit log, the users and the registry.
        for i in 0..120 {
            app.store
                .audit("ops", "record.read", &format!("record/{i}"), "{}")
                .await
                .unwrap();
        }
        let admin = app.login("admin").await;
        let audit = app.get("/audit", Some(&admin)).await;
        assert!(audit.body.contains("class=\"pager\""), "{}", audit.body);
        let at = audit.body.find("rel=\"next\"").unwrap();
        let href = &audit.body[..at];
        let start = href.rfind("href=\"").unwrap() + 6;
        let next = href[start..]
            .split('"')
            .next()
            .unwrap()
            .replace("&#x2f;", "/")
            .replace("&amp;", "&");
        let older = app.get(&next, Some(&admin)).await;
        assert_eq!(older.status, 200);
        assert!(older.body.contains("rel=\"first\""));
        assert_eq!(
            app.get("/admin/users?page=5", Some(&admin)).await.status,
            200
        );
        assert_eq!(app.get("/providers?page=3", Some(&admin)).await.status, 200);
        // Records (keyset) say how many there are.
        let recs = app.get("/records?entity=victim", Some(&coord)).await;
        assert!(recs.body.contains("rel=\"next\""));
        assert!(recs.body.contains("50 shown of"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn country_lists_are_sorted_in_the_readers_language_and_filterable() {
    let app = apps().await.remove(0);
    let fp = app.login("fp").await;
    for lang in ["en", "fr"] {
        let page = app
            .get(
                &format!("/records/new?entity=victim&lang={lang}"),
                Some(&fp),
            )
            .await;
        assert_eq!(page.status, 200);
        let b = &page.body;
        let at = b.find("id=\"f-citizenship\"").expect("a citizenship list");
        let list = &b[at..at + b[at..].find("</select>").unwrap()];
        assert!(list.contains("data-filter="), "the list gets a filter box");
        let labels: Vec<String> = list
            .split("<option value=\"")
            .skip(1)
            .filter_map(|o| o.split('>').nth(1))
            .map(|l| {
                l.split('<')
                    .next()
                    .unwrap_or("")
                    .replace("&#x27;", "'")
                    .replace("&#x2f;", "/")
                    .replace("&amp;", "&")
            })
            .filter(|l| !l.is_empty())
            .collect();
        assert!(labels.len() > 100, "{lang}: {}", labels.len());
        let folded: Vec<String> = labels.iter().map(|l| tessera_web::lists::fold(l)).collect();
        let mut sorted = folded.clone();
        sorted.sort();
        assert_eq!(folded, sorted, "{lang}: sorted by label");
        assert!(b.contains("src=\"/assets/work.js\""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_entry_form_has_sections_live_checks_conditional_fields_and_drafts_without_identifiers()
{
    for app in apps().await {
        let fp = app.login("fp").await;
        let csrf = app.csrf(&fp).await;
        let page = app.get("/records/new?entity=victim", Some(&fp)).await;
        assert_eq!(page.status, 200, "{}", app.engine);
        let b = &page.body;
        let (req, det, ids) = (
            b.find("id=\"section-required\"").expect("required section"),
            b.find("id=\"section-details\"").expect("details section"),
            b.find("id=\"section-identifiers\"")
                .expect("identifiers section"),
        );
        assert!(req < det && det < ids);
        let sex = b.find("id=\"field-sex\"").unwrap();
        let names = b.find("id=\"field-given_name\"").unwrap();
        assert!(
            req < sex && sex < det,
            "a required field in the first section"
        );
        assert!(ids < names, "names with the identifiers");
        // A rule of the dictionary: a judgment date is required once there is a verdict.
        let cases = app.get("/records/new?entity=cj_case", Some(&fp)).await;
        assert!(
            cases
                .body
                .contains("id=\"field-judgment_date\" data-requires-if=\"verdict\""),
            "{}",
            cases.body
        );

        // Checking a form stores nothing and answers with the import's messages, per field.
        let before = app.store.count_records(&own(), None).await.unwrap();
        let r = app
            .post_form(
                "/records/new/check?entity=victim",
                Some(&fp),
                &[
                    ("csrf", &csrf),
                    ("_period", "2025"),
                    ("provider_ref", "LIVE-1"),
                    ("identification_status", "IDENTIFIED"),
                    ("date_identified", "2025-02-30"),
                    ("sex", "F"),
                    ("exploitation", "SEX"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let json: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let date = json["fields"]["date_identified"].as_array().unwrap();
        assert_eq!(date.len(), 1, "{json}");
        // The same message the import gives for the same cell in a file.
        let file = "provider_ref,identification_status,date_identified,sex,exploitation\nLIVE-1,IDENTIFIED,2025-02-30,F,SEX\n";
        let refused = app
            .post_multipart(
                "/upload",
                Some(&fp),
                &[("csrf", &csrf), ("entity", "victim"), ("period", "2025")],
                &[("file", "live.csv", file.as_bytes())],
            )
            .await;
        assert_eq!(refused.status, 422);
        let message = date[0].as_str().unwrap();
        let escaped = message.replace('\'', "&#x27;").replace('/', "&#x2f;");
        assert!(
            refused.body.contains(&escaped),
            "{message} is the import's message: {}",
            refused.body
        );
        assert!(
            json["fields"].get("sex").is_none(),
            "a good field has no message"
        );
        assert_eq!(app.store.count_records(&own(), None).await.unwrap(), before);

        // A draft keeps the form without its identifiers, comes back, and goes once saved.
        let r = app
            .post_form(
                "/records/new/draft?entity=victim",
                Some(&fp),
                &[
                    ("csrf", &csrf),
                    ("_period", "2025"),
                    ("provider_ref", "DRAFT-1"),
                    ("sex", "F"),
                    ("given_name", "Awa"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("id=\"entry-draft\""));
        assert!(r.body.contains("without the one identifier"), "{}", r.body);
        let draft = app
            .store
            .entry_draft("fp", "victim")
            .await
            .unwrap()
            .unwrap();
        assert!(
            draft
                .values
                .iter()
                .all(|(k, v)| k != "given_name" && v != "Awa")
        );
        let page = app.get("/records/new?entity=victim", Some(&fp)).await;
        assert!(page.body.contains("Your draft of"), "{}", page.body);
        assert!(page.body.contains("value=\"DRAFT-1\""));
        assert!(!page.body.contains("Awa"));
        let r = app
            .post_form(
                "/records/new?entity=victim",
                Some(&fp),
                &[
                    ("csrf", &csrf),
                    ("_period", "2025"),
                    ("provider_ref", "DRAFT-1"),
                    ("identification_status", "IDENTIFIED"),
                    ("date_identified", "2025-02-20"),
                    ("sex", "F"),
                    ("exploitation", "SEX"),
                    ("given_name", "Awa"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}: {}", app.engine, r.body);
        assert!(r.body.contains("id=\"entry-result\""), "{}", r.body);
        assert!(
            app.store
                .entry_draft("fp", "victim")
                .await
                .unwrap()
                .is_none(),
            "{}: the stored record's draft is gone",
            app.engine
        );
        // Only the provider's focal points check forms or keep drafts.
        let viewer = app.login("viewer").await;
        let vcsrf = app.csrf(&viewer).await;
        for path in [
            "/records/new/check?entity=victim",
            "/records/new/draft?entity=victim",
        ] {
            let r = app
                .post_form(path, Some(&viewer), &[("csrf", &vcsrf), ("sex", "F")])
                .await;
            assert_eq!(r.status, 403, "{}: {path}", app.engine);
        }
        let r = app
            .post_form(
                "/records/new/draft?entity=victim",
                Some(&fp),
                &[("csrf", "nope"), ("sex", "F")],
            )
            .await;
        assert_eq!(r.status, 403, "the form's token is checked");
    }
}
