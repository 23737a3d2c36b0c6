//! What people do through the web application, end to end in process, on both engines:
//! signing in (lockout, second factor, forced password change), CSRF refusals, upload with a
//! validation report then a fix, submission and approval, data entry, and the API with a token.

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::{OWN, PASSWORD, apps, cookie_of};
use tessera_dictionary::ProviderId;
use tessera_store::Access;

fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "tesseraBOUNDARY42";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: text/csv\r\n\r\n",
            file.0
        )
        .as_bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

const BAD: &str = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name\n\
WEB-1,IDENTIFIED,2025-03-04,F,Cameroun,SEX,Awa,Ndiaye\n\
WEB-2,IDENTIFIED,31/02/2025,F,CF,LAB,Marie,Yakité\n";
const GOOD: &str = "provider_ref,identification_status,date_identified,sex,citizenship,exploitation,given_name,family_name\n\
WEB-1,IDENTIFIED,2025-03-04,F,Cameroun,SEX,Awa,Ndiaye\n\
WEB-2,IDENTIFIED,28/02/2025,F,CF,LAB,Marie,Yakité\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_with_errors_then_fix_submit_and_approve() {
    for app in apps().await {
        let fp = app.login("fp").await;
        let csrf = app.csrf(&fp).await;
        let own = Access::Provider(ProviderId::parse(OWN).unwrap());
        let before = app.store.count_records(&own, Some("victim")).await.unwrap();
        let send = |body: &str, csrf: &str| {
            let (ctype, bytes) = multipart(
                &[("csrf", csrf), ("entity", "victim"), ("period", "2025")],
                ("victims.csv", body.as_bytes()),
            );
            Request::post("/upload")
                .header(header::HOST, "localhost")
                .header(header::COOKIE, &fp)
                .header(header::CONTENT_TYPE, ctype)
                .body(Body::from(bytes))
                .unwrap()
        };
        let r = app.send(send(BAD, &csrf)).await;
        assert_eq!(r.status, 422, "{}", app.engine);
        assert!(r.body.contains("id=\"report\""));
        assert!(
            r.body.contains("31&#x2f;02&#x2f;2025") && r.body.contains("date_identified"),
            "the report names the cell: {}",
            r.body
        );
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before,
            "{}: nothing is stored from a refused file",
            app.engine
        );
        // Without the session's token the upload is refused before anything is read.
        let r = app.send(send(GOOD, "0".repeat(64).as_str())).await;
        assert_eq!(r.status, 403);
        let r = app.send(send(GOOD, &csrf)).await;
        assert_eq!(r.status, 200, "{}: {}", app.engine, r.body);
        assert!(r.body.contains("id=\"upload-result\""));
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before + 2
        );
        let at = r.body.find("href=\"/submissions/").unwrap() + "href=\"/submissions/".len();
        let sub: i64 = r.body[at..].split('"').next().unwrap().parse().unwrap();
        // Re-uploading the same references updates, never duplicates.
        let r = app.send(send(GOOD, &csrf)).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before + 2
        );
        let r = app
            .post_form(
                &format!("/submissions/{sub}/submit"),
                Some(&fp),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let coord = app.login("coord").await;
        let queue = app.get("/review", Some(&coord)).await;
        assert!(queue.body.contains(&format!("/submissions/{sub}\"")));
        let ccsrf = app.csrf(&coord).await;
        // Returning needs a reason.
        let r = app
            .post_form(
                &format!("/submissions/{sub}/return"),
                Some(&coord),
                &[("csrf", &ccsrf), ("comment", " ")],
            )
            .await;
        assert_eq!(r.status, 400);
        let r = app
            .post_form(
                &format!("/submissions/{sub}/approve"),
                Some(&coord),
                &[("csrf", &ccsrf)],
            )
            .await;
        assert_eq!(r.status, 303);
        let page = app.get(&format!("/submissions/{sub}"), Some(&fp)).await;
        assert!(
            page.body.contains("id=\"status\">Approved<"),
            "{}",
            page.body
        );
        let s = app.store.submission_for(&own, sub).await.unwrap().unwrap();
        assert_eq!(s.status, tessera_store::SubmissionStatus::Approved);
        // Both the upload and the decision are in the audit log.
        let audit = app
            .store
            .audit_entries(None, Some("submission.approve"), 10)
            .await
            .unwrap();
        assert!(
            audit
                .iter()
                .any(|e| e.object == format!("submission/{sub}") && e.actor == "coord")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_entry_form_validates_like_an_upload() {
    for app in apps().await.into_iter().take(1) {
        let fp = app.login("fp").await;
        let form = app.get("/records/new?entity=victim", Some(&fp)).await;
        assert_eq!(form.status, 200);
        assert!(form.body.contains("name=\"exploitation\""));
        let csrf = app.csrf(&fp).await;
        let bad = [
            ("csrf", csrf.as_str()),
            ("_period", "2025"),
            ("provider_ref", "FORM-1"),
            ("identification_status", "IDENTIFIED"),
            ("date_identified", "2025-05-01"),
            ("sex", "F"),
            ("given_name", "Aïcha"),
        ];
        let r = app
            .post_form("/records/new?entity=victim", Some(&fp), &bad)
            .await;
        assert_eq!(r.status, 422, "a required field is missing");
        assert!(r.body.contains("field-error"));
        let mut good = bad.to_vec();
        good.push(("exploitation", "SEX"));
        good.push(("exploitation", "LAB"));
        let r = app
            .post_form("/records/new?entity=victim", Some(&fp), &good)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("id=\"entry-result\""));
        let own = Access::Provider(ProviderId::parse(OWN).unwrap());
        let recs = app.store.records(&own, "victim", 0, 100_000).await.unwrap();
        let rec = recs.iter().find(|r| r.provider_ref == "FORM-1").unwrap();
        assert_eq!(rec.data["exploitation"], serde_json::json!(["SEX", "LAB"]));
        assert!(
            !rec.data.to_string().contains("Aïcha"),
            "names are never stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_backs_off_per_address_alike_for_unknown_users_and_refuses_cross_site_posts() {
    for app in apps().await {
        // Five wrong passwords, for an account and for a name that is no account: the same
        // answers, then the same wait, even for the right password.
        for user in ["viewer", "nobody"] {
            for i in 0..5 {
                let r = app
                    .post_form(
                        "/login",
                        None,
                        &[("username", user), ("password", "wrong password!")],
                    )
                    .await;
                assert_eq!(r.status, 401, "{user} attempt {i}");
                assert!(r.body.contains("Wrong username or password"), "{user}");
            }
            let r = app
                .post_form(
                    "/login",
                    None,
                    &[("username", user), ("password", PASSWORD)],
                )
                .await;
            assert_eq!(r.status, 401, "{user}");
            assert!(
                r.body.contains("Too many failed attempts"),
                "{user}: {}",
                r.body
            );
        }
        // Nobody is locked out: from another address the owner signs in at once, so guessing
        // someone's username cannot keep them out.
        let req = Request::post("/login")
            .header(header::HOST, "localhost")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 2],
                40000,
            ))))
            .body(Body::from(format!(
                "username=viewer&password={}",
                PASSWORD.replace(' ', "+")
            )))
            .unwrap();
        assert_eq!(app.send(req).await.status, 303, "{}", app.engine);
        // After signing in, only same-site relative paths are followed.
        for (next, to) in [
            ("/records", "/records"),
            ("/\t/evil.example/", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
        ] {
            let r = app
                .post_form(
                    "/login",
                    None,
                    &[
                        ("username", "analyst"),
                        ("password", PASSWORD),
                        ("next", next),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{next}");
            assert_eq!(r.headers[header::LOCATION], to, "{next}");
        }
        let r = app
            .post_form(
                "/login",
                None,
                &[
                    ("username", "analyst"),
                    ("password", PASSWORD),
                    ("next", "/a\nb"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "a newline in next is no server error");
        assert_eq!(r.headers[header::LOCATION], "/");
        // A form posted from another site is refused even with a valid session.
        let fp = app.login("fp").await;
        let req = Request::post("/logout")
            .header(header::HOST, "localhost")
            .header(header::ORIGIN, "https://evil.example")
            .header(header::COOKIE, &fp)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("csrf=x"))
            .unwrap();
        assert_eq!(app.send(req).await.status, 403);
        // Session cookies are HttpOnly and SameSite; pages forbid framing.
        let r = app
            .post_form(
                "/login",
                None,
                &[("username", "coord"), ("password", PASSWORD)],
            )
            .await;
        let set = r.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Lax"),
            "{set}"
        );
        let page = app.get("/", Some(&cookie_of(&r).unwrap())).await;
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert!(
            page.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'")
        );
        // Signing out ends the session on the server.
        let csrf = app.csrf(&fp).await;
        let r = app
            .post_form("/logout", Some(&fp), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, 303);
        assert_eq!(
            app.get("/", Some(&fp)).await.status,
            303,
            "the old cookie opens nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_and_forced_password_change() {
    for app in apps().await.into_iter().take(1) {
        let analyst = app.login("analyst").await;
        let csrf = app.csrf(&analyst).await;
        let r = app
            .post_form(
                "/account/totp",
                Some(&analyst),
                &[("csrf", &csrf), ("step", "start")],
            )
            .await;
        let at = r.body.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
        let secret = r.body[at..].split('<').next().unwrap().to_string();
        let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
        let code = tessera_web::totp::code_at(&secret, now).unwrap();
        let r = app
            .post_form(
                "/account/totp",
                Some(&analyst),
                &[
                    ("csrf", &csrf),
                    ("step", "confirm"),
                    ("secret", &secret),
                    ("code", &code),
                ],
            )
            .await;
        assert_eq!(r.status, 200);
        // Now the password alone only opens the code page.
        let r = app
            .post_form(
                "/login",
                None,
                &[("username", "analyst"), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303);
        assert!(
            r.headers[header::LOCATION]
                .to_str()
                .unwrap()
                .starts_with("/login/code")
        );
        let half = cookie_of(&r).unwrap();
        assert_eq!(
            app.get("/records", Some(&half)).await.status,
            303,
            "no access before the code"
        );
        let r = app
            .post_form("/login/code", Some(&half), &[("code", "000000")])
            .await;
        assert_eq!(r.status, 401);
        let r = app
            .post_form("/login/code", Some(&half), &[("code", &code)])
            .await;
        assert_eq!(r.status, 303);
        let full = cookie_of(&r).unwrap();
        assert_ne!(full, half, "a new session token after the second factor");
        assert_eq!(app.get("/records", Some(&full)).await.status, 200);
        assert_eq!(app.get("/records", Some(&half)).await.status, 303);

        // A code opens one sign-in only: replayed for a second sign-in, it is refused.
        let r = app
            .post_form(
                "/login",
                None,
                &[("username", "analyst"), ("password", PASSWORD)],
            )
            .await;
        let half2 = cookie_of(&r).unwrap();
        let r = app
            .post_form("/login/code", Some(&half2), &[("code", &code)])
            .await;
        assert_eq!(r.status, 401, "a used code is refused");
        // Guessing: after five wrong codes even the next right code waits, and every wrong
        // code is in the audit log.
        let failed_before = app
            .store
            .audit_entries(
                Some("analyst"),
                Some(tessera_store::actions::SESSION_VERIFY_CODE_FAILED),
                1000,
            )
            .await
            .unwrap()
            .len();
        for _ in 0..4 {
            let r = app
                .post_form("/login/code", Some(&half2), &[("code", "123456")])
                .await;
            assert_eq!(r.status, 401);
        }
        let next_code = tessera_web::totp::code_at(&secret, now + 30).unwrap();
        let r = app
            .post_form("/login/code", Some(&half2), &[("code", &next_code)])
            .await;
        assert_eq!(r.status, 401, "throttled: no code is checked");
        assert!(r.body.contains("Too many failed attempts"), "{}", r.body);
        let failed_after = app
            .store
            .audit_entries(
                Some("analyst"),
                Some(tessera_store::actions::SESSION_VERIFY_CODE_FAILED),
                1000,
            )
            .await
            .unwrap()
            .len();
        assert_eq!(
            failed_after - failed_before,
            4,
            "each wrong code is audited"
        );

        // An admin resets the viewer's password: the viewer must choose a new one first, and
        // the viewer's API tokens stop working.
        let admin = app.login("admin").await;
        let acsrf = app.csrf(&admin).await;
        let viewer = app.store.user("viewer").await.unwrap().unwrap();
        let token = app
            .store
            .create_api_token(viewer.id, "script")
            .await
            .unwrap();
        assert!(app.store.api_token_user(&token).await.unwrap().is_some());
        let r = app
            .post_form(
                &format!("/admin/users/{}/reset", viewer.id),
                Some(&admin),
                &[("csrf", &acsrf), ("password", "temporary password 1")],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            app.store.api_token_user(&token).await.unwrap().is_none(),
            "a reset revokes the user's tokens"
        );
        let r = app
            .post_form(
                "/login",
                None,
                &[("username", "viewer"), ("password", "temporary password 1")],
            )
            .await;
        let v = cookie_of(&r).unwrap();
        let r = app.get("/records", Some(&v)).await;
        assert_eq!(r.headers[header::LOCATION], "/account/password");
        let vcsrf = app.csrf(&v).await;
        let r = app
            .post_form(
                "/account/password",
                Some(&v),
                &[
                    ("csrf", &vcsrf),
                    ("current", "temporary password 1"),
                    ("new", "my own new password"),
                    ("repeat", "my own new password"),
                ],
            )
            .await;
        assert_eq!(r.status, 303);
        let r = app
            .post_form(
                "/login",
                None,
                &[("username", "viewer"), ("password", "my own new password")],
            )
            .await;
        let v = cookie_of(&r).unwrap();
        assert_eq!(app.get("/records", Some(&v)).await.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_token_submits_json_records_all_or_nothing() {
    for app in apps().await {
        let fp = app.store.user("fp").await.unwrap().unwrap();
        let token = app.store.create_api_token(fp.id, "sync").await.unwrap();
        let own = Access::Provider(ProviderId::parse(OWN).unwrap());
        let before = app.store.count_records(&own, Some("victim")).await.unwrap();
        let post = |body: serde_json::Value| {
            Request::post("/api/v1/records")
                .header(header::HOST, "localhost")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap()
        };
        let rec = |r: &str, date: &str| {
            serde_json::json!({
                "provider_ref": r, "identification_status": "IDENTIFIED", "date_identified": date,
                "sex": "M", "exploitation": ["LAB"], "given_name": "Idriss", "family_name": "Mahamat",
            })
        };
        let r = app
            .send(post(serde_json::json!({"entity": "victim", "period": "2025", "records": [rec("API-1", "2025-01-02"), rec("API-2", "2025-13-40")]})))
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(p["errors"][0]["row"], 2, "records are numbered from 1");
        assert_eq!(p["errors"][0]["column"], "date_identified");
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before
        );
        let r = app
            .send(post(serde_json::json!({"entity": "victim", "period": "2025", "records": [rec("API-1", "2025-01-02"), rec("API-2", "2025-12-31")]})))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before + 2
        );
        // A police unit reports no smuggling incidents: refused, naming its templates.
        let r = app
            .send(post(serde_json::json!({"entity": "smuggling_incident", "period": "2025", "records": [{"provider_ref": "S-1"}]})))
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert!(
            r.body.contains("POLICE") && r.body.contains("victim, suspect"),
            "{}",
            r.body
        );
        // Malformed JSON, unknown routes and bad tokens are problem documents too.
        let r = app.send(post(serde_json::json!({"entity": 3}))).await;
        assert_eq!(r.status, 400);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        let r = app
            .send(
                Request::get("/api/v1/records")
                    .header(header::AUTHORIZATION, "Bearer tsr_nope")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 401);
        // Revoked tokens stop working.
        app.store.revoke_api_tokens(fp.id, "sync").await.unwrap();
        let r = app.send(post(serde_json::json!({"entity": "victim", "period": "2025", "records": [rec("API-3", "2025-01-02")]}))).await;
        assert_eq!(r.status, 401);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_api_route() {
    let app = apps().await.remove(0);
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, 200);
    let doc: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/providers",
        "/submissions",
        "/submissions/{id}",
        "/submissions/{id}/{action}",
        "/records",
        "/records/{id}",
        "/statistics",
        "/agreements",
        "/periods",
    ] {
        assert!(paths.contains_key(p), "{p} is documented");
    }
    // The registry's writes, with their bodies.
    for (p, method) in [
        ("/providers", "post"),
        ("/agreements", "post"),
        ("/periods", "post"),
    ] {
        assert!(
            paths[p][method]["requestBody"].is_object(),
            "{method} {p} is documented with its body"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_light_and_translated() {
    let app = apps().await.remove(0);
    let coord = app.login("coord").await;
    for path in [
        "/",
        "/records",
        "/submissions",
        "/timeliness",
        "/providers",
        "/review",
        "/nap",
    ] {
        let en = app
            .get(
                &format!(
                    "{path}{}lang=en",
                    if path.contains('?') { "&" } else { "?" }
                ),
                Some(&coord),
            )
            .await;
        let fr = app
            .get(
                &format!(
                    "{path}{}lang=fr",
                    if path.contains('?') { "&" } else { "?" }
                ),
                Some(&coord),
            )
            .await;
        assert_eq!(en.status, 200);
        assert!(
            en.body.len() < 100 * 1024,
            "{path} is {} bytes",
            en.body.len()
        );
        assert!(en.body.contains("<html lang=\"en\">") && fr.body.contains("<html lang=\"fr\">"));
        assert_ne!(en.body, fr.body);
        assert!(
            !en.body.contains("<script"),
            "{path} works without JavaScript"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_count_approved_records_and_hide_small_cells_from_partners() {
    let app = apps().await.remove(0);
    let coord = app.login("coord").await;
    let r = app
        .get(
            "/dashboard.csv?view=victims&table=victims_by_sex",
            Some(&coord),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // Independent count: approved victim records straight from the store.
    let mut approved = 0i64;
    for s in app
        .store
        .submissions_for(
            &Access::National,
            Some(tessera_store::SubmissionStatus::Approved),
        )
        .await
        .unwrap()
    {
        approved += app
            .store
            .submission_counts(&Access::National, s.id)
            .await
            .unwrap()
            .get("victim")
            .copied()
            .unwrap_or(0);
    }
    let total = last_column_total(&r.body);
    assert_eq!(total as i64, approved, "{}", r.body);
    // A focal point's dashboard counts only its own provider's records.
    let fp = app.login("fp").await;
    let r = app
        .get(
            "/dashboard.csv?view=victims&table=victims_by_sex",
            Some(&fp),
        )
        .await;
    let own_total = last_column_total(&r.body);
    assert!(own_total > 0.0 && own_total < total);
    // Partners get the same tables with small cells suppressed; every chart has its table.
    let partner = app.login("partner").await;
    let page = app
        .get("/dashboard?view=victims&lang=fr", Some(&partner))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg") && page.body.contains("<table"));
    let r = app
        .get(
            "/dashboard.csv?view=victims&table=victims_by_citizenship",
            Some(&partner),
        )
        .await;
    assert_eq!(r.status, 200);
    for line in r.body.lines().skip(1) {
        let v = line.rsplit(',').next().unwrap();
        if let Ok(n) = v.parse::<f64>() {
            assert!(n == 0.0 || n >= 5.0, "a partner sees a small cell: {line}");
        }
    }
    assert_eq!(
        app.get("/dashboard?view=quality", Some(&partner))
            .await
            .status,
        403
    );
}

/// The security review's disclosure findings, through the pages and the API: a partner cannot
/// filter, a suppressed cell shows no category, national statistics are for national roles and
/// count approved data only, and no figure a provider's users see moves with another provider's
/// records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_role_learns_case_level_facts_beyond_its_scope() {
    for app in apps().await {
        let partner = app.login("partner").await;
        // Narrowing to one record, probing ages, differencing: refused.
        for expr in [
            "provider = \"minusca-ddh\" and date_identified = \"2021-01-11\"",
            "not (provider = \"minusca-ddh\")",
            "age <= 7",
            "true",
        ] {
            let q = format!(
                "/dashboard.csv?view=victims&table=victims_by_exploitation&expr={}",
                common::enc(expr)
            );
            let r = app.get(&q, Some(&partner)).await;
            assert_eq!(r.status, 400, "{expr}: {}", r.body);
        }
        for q in ["year_from=2021&year_to=2021", "sex=F", "provider_type=NGO"] {
            let r = app
                .get(&format!("/dashboard?view=victims&{q}"), Some(&partner))
                .await;
            assert_eq!(r.status, 400, "{q}");
        }
        let r = app
            .get(
                "/dashboard.csv?view=funnel&table=cj_durations&expr=judgment_date%20%3D%20%222021-08-27%22",
                Some(&partner),
            )
            .await;
        assert_eq!(r.status, 400);
        // The published tables: a hidden cell is not listed under its category.
        let page = app.get("/dashboard?view=victims", Some(&partner)).await;
        assert_eq!(page.status, 200);
        assert!(
            !page.body.contains("name=\"expr\""),
            "no condition box for partners"
        );
        assert!(
            !page.body.contains("id=\"victims_by_provider_type\""),
            "several provider types have a single provider: no per-type table for partners"
        );
        for table in [
            "victims_by_exploitation",
            "victims_by_citizenship",
            "victims_by_region",
        ] {
            let r = app
                .get(
                    &format!("/dashboard.csv?view=victims&table={table}"),
                    Some(&partner),
                )
                .await;
            assert_eq!(r.status, 200);
            for line in r.body.lines().skip(1) {
                assert!(
                    !line.ends_with(",c"),
                    "{table}: a hidden cell keeps its row: {line}"
                );
            }
        }
        let r = app
            .get(
                "/dashboard.csv?view=funnel&table=cj_durations",
                Some(&partner),
            )
            .await;
        assert_eq!(r.status, 200);
        assert!(
            !r.body.lines().skip(1).any(|l| l.ends_with(",c")),
            "{}",
            r.body
        );

        // National statistics: not for a provider's users; approved data only.
        let fp = app.login("fp").await;
        assert_eq!(app.get("/api/v1/statistics", Some(&fp)).await.status, 403);
        let coord = app.login("coord").await;
        let stats = |cookie: String| {
            let app = &app;
            async move {
                let r = app.get("/api/v1/statistics", Some(&cookie)).await;
                assert_eq!(r.status, 200, "{}", r.body);
                serde_json::from_str::<serde_json::Value>(&r.body).unwrap()
            }
        };
        let national = stats(coord.clone()).await;
        let published = stats(partner.clone()).await;
        assert!(
            published["counts"]["victim"]
                .get("by_provider_type")
                .is_none()
        );
        assert!(national["counts"]["victim"]["by_provider_type"].is_object());
        let dash = app
            .get(
                "/dashboard.csv?view=victims&table=victims_by_sex",
                Some(&coord),
            )
            .await;
        let approved = last_column_total(&dash.body);
        assert_eq!(
            national["counts"]["victim"]["total"], approved as i64,
            "{}",
            app.engine
        );
        // A draft moves neither the statistics nor the partner's home page.
        let home_before = app.get("/", Some(&partner)).await.body;
        let token = app
            .store
            .create_api_token(app.store.user("fp").await.unwrap().unwrap().id, "t")
            .await
            .unwrap();
        let r = app
            .send(
                Request::post("/api/v1/records")
                    .header(header::HOST, "localhost")
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(
                        serde_json::json!({"entity": "victim", "period": "2025", "records": [{
                            "provider_ref": "DRAFT-1", "identification_status": "IDENTIFIED",
                            "date_identified": "2025-03-02", "sex": "F", "exploitation": ["SEX"],
                        }]})
                        .to_string(),
                    ))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(
            stats(coord.clone()).await,
            national,
            "a draft is not counted"
        );
        assert_eq!(
            common::without_csrf(&app.get("/", Some(&partner)).await.body),
            common::without_csrf(&home_before)
        );

        // A provider's users: no cross-provider share in their data quality, no person count.
        let q = app
            .get("/dashboard.csv?view=quality&table=quality_trend", Some(&fp))
            .await;
        assert_eq!(q.status, 200, "{}", q.body);
        assert!(!q.body.contains("Linked to another provider"), "{}", q.body);
        let q = app
            .get(
                "/dashboard.csv?view=quality&table=quality_trend",
                Some(&coord),
            )
            .await;
        assert!(q.body.contains("Linked to another provider"));
        let r = app
            .get("/dashboard?view=victims&unit=persons", Some(&fp))
            .await;
        assert_eq!(r.status, 200);
        assert!(
            !r.body.contains("name=\"unit\""),
            "no person count for a provider's users"
        );
    }
}

/// The sum of the last column of a dashboard CSV (its count), header skipped.
fn last_column_total(csv: &str) -> f64 {
    csv.lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next()?.parse::<f64>().ok())
        .sum()
}

/// The pair sections of the linkage review page, as (record a, record b).
fn review_pairs(body: &str) -> Vec<(i64, i64)> {
    body.match_indices("id=\"pair-")
        .filter_map(|(at, m)| {
            let rest = &body[at + m.len()..];
            let ids = rest.split('"').next()?;
            let (a, b) = ids.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clerical_review_verdicts_are_remembered_audited_and_change_the_persons() {
    for app in apps().await {
        let coord = app.login("coord").await;
        let page = app.get("/linkage", Some(&coord)).await;
        assert_eq!(page.status, 200, "{}: {}", app.engine, page.body);
        assert!(page.body.contains("id=\"linkage-summary\""));
        let pairs = review_pairs(&page.body);
        assert!(
            pairs.len() >= 2,
            "{}: the demo leaves uncertain pairs to review",
            app.engine
        );
        // Evidence per field, with weights, for each pair.
        assert!(page.body.contains("class=\"evidence\""));
        let before = tessera_analysis::link_and_review(&app.store).await.unwrap();
        let csrf = app.csrf(&coord).await;
        // Overrule the engine on two pairs: one way, then the other.
        let mut verdicts = Vec::new();
        for &(a, b) in &pairs[..2] {
            let linked = before.persons.person(a) == before.persons.person(b);
            let verdict = if linked { "different" } else { "same" };
            let r = app
                .post_form(
                    "/linkage/decide",
                    Some(&coord),
                    &[
                        ("csrf", &csrf),
                        ("a", &a.to_string()),
                        ("b", &b.to_string()),
                        ("verdict", verdict),
                    ],
                )
                .await;
            assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
            verdicts.push((a, b, !linked));
        }
        // Remembered: gone from the queue, listed among the verdicts, obeyed by the next run.
        let page = app.get("/linkage", Some(&coord)).await;
        let left = review_pairs(&page.body);
        let after = tessera_analysis::link_and_review(&app.store).await.unwrap();
        assert_eq!(after.decisions_applied, 2, "{}", app.engine);
        for &(a, b, same) in &verdicts {
            assert!(
                !left.contains(&(a, b)),
                "{}: decided pair still queued",
                app.engine
            );
            assert!(page.body.contains(&format!("href=\"/records/{b}\"")));
            assert_eq!(
                after.persons.person(a) == after.persons.person(b),
                same,
                "{}: the verdict on {a}/{b} was not applied",
                app.engine
            );
        }
        // Audited, with who decided.
        let audit = app
            .store
            .audit_entries(Some("coord"), None, 20)
            .await
            .unwrap();
        assert_eq!(
            audit
                .iter()
                .filter(|e| e.action.starts_with("link."))
                .count(),
            2,
            "{}",
            app.engine
        );
        // A verdict needs the session's token and a real verdict.
        let (a, b) = (pairs[0].0.to_string(), pairs[0].1.to_string());
        let r = app
            .post_form(
                "/linkage/decide",
                Some(&coord),
                &[
                    ("csrf", &"0".repeat(64)),
                    ("a", &a),
                    ("b", &b),
                    ("verdict", "same"),
                ],
            )
            .await;
        assert_eq!(r.status, 403);
        let r = app
            .post_form(
                "/linkage/decide",
                Some(&coord),
                &[("csrf", &csrf), ("a", &a), ("b", &b), ("verdict", "maybe")],
            )
            .await;
        assert_eq!(r.status, 400);
        // The page speaks French too.
        let fr = app.get("/linkage?lang=fr", Some(&coord)).await;
        assert!(fr.body.contains("Revue des appariements"));
    }
}

/// The first `href` in `body` after `from` that starts with `prefix`, HTML entities undone.
fn href_after(body: &str, from: &str, prefix: &str) -> Option<String> {
    let body = body
        .replace("&#x2f;", "/")
        .replace("&#x3d;", "=")
        .replace("&amp;", "&");
    let start = body.find(from)?;
    let at = body[start..].find(&format!("href=\"{prefix}"))? + start + 6;
    Some(body[at..].split('"').next()?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drill_down_lists_the_records_behind_a_row_within_the_users_scope() {
    for app in apps().await {
        for user in ["coord", "fp"] {
            let cookie = app.login(user).await;
            let page = app.get("/dashboard?view=victims", Some(&cookie)).await;
            assert_eq!(page.status, 200);
            let section = &page.body[page.body.find("id=\"victims_by_sex\"").unwrap()..];
            // The first row: its label links to the filtered dashboard, its count is shown.
            let row = &section[section.find("<tbody>").unwrap()..];
            let row = &row[..row.find("</tr>").unwrap()];
            let shown: i64 = row
                .split("class=\"num\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .replace([',', '\u{202f}', ' '], "")
                .parse()
                .unwrap();
            let filtered = href_after(row, "<td", "/dashboard?").unwrap();
            assert!(filtered.contains("expr=sex"), "{filtered}");
            let records = href_after(row, "class=\"num\"", "/dashboard/records?").unwrap();
            let r = app.get(&records, Some(&cookie)).await;
            assert_eq!(r.status, 200, "{}: {records}: {}", app.engine, r.body);
            let table = &r.body[r.body.find("id=\"drill\"").unwrap()..];
            let listed = table.matches("<th scope=\"row\">").count() as i64;
            // A page of 100; the page says how many there are in all.
            assert_eq!(
                listed,
                shown.min(100),
                "{}/{user}: the records behind the row are the ones it counts",
                app.engine
            );
            assert!(
                r.body
                    .contains(&format!("rows 1–{} of {shown}", shown.min(100)))
                    || shown <= 100,
                "{}",
                r.body
            );
            if user == "fp" {
                assert!(
                    !r.body.contains(common::OTHER),
                    "a focal point drills down to another provider's records"
                );
            }
            // The filtered dashboard keeps only that row.
            let f = app.get(&filtered, Some(&cookie)).await;
            let s = &f.body[f.body.find("id=\"victims_by_sex\"").unwrap()..];
            let body = &s[s.find("<tbody>").unwrap()..s.find("</tbody>").unwrap()];
            assert_eq!(body.matches("<tr>").count(), 1, "{}", app.engine);
        }
        // Reading records through a drill-down is audited.
        let audit = app
            .store
            .audit_entries(None, Some("record.drill"), 10)
            .await
            .unwrap();
        assert_eq!(audit.len(), 2, "{}", app.engine);
    }
}

/// The WebAssembly encoder weighs a few hundred KB: browsers that accept gzip get it compressed
/// (the same bytes once inflated), the others get it plain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wasm_encoder_is_served_gzipped_to_browsers_that_accept_it() {
    use std::io::Read;
    use tower::ServiceExt;
    let app = apps().await.remove(0);
    for (accept, gzipped) in [(Some("gzip, deflate, br"), true), (None, false)] {
        let mut req = Request::get("/assets/pseudonym.wasm").header(header::HOST, "localhost");
        if let Some(a) = accept {
            req = req.header(header::ACCEPT_ENCODING, a);
        }
        let resp = app
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "application/wasm");
        let encoding = resp.headers().get(header::CONTENT_ENCODING).cloned();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 24)
            .await
            .unwrap();
        if gzipped {
            assert_eq!(encoding.unwrap(), "gzip");
            assert!(
                bytes.len() < tessera_web::PSEUDONYM_WASM.len() / 2,
                "{}",
                bytes.len()
            );
            let mut plain = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .unwrap();
            assert_eq!(plain, tessera_web::PSEUDONYM_WASM);
        } else {
            assert!(encoding.is_none());
            assert_eq!(&bytes[..], tessera_web::PSEUDONYM_WASM);
        }
    }
    assert_eq!(&tessera_web::PSEUDONYM_WASM[..4], b"\0asm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_report_the_audit_head_to_administrators() {
    for app in apps().await {
        let admin = app.login("admin").await;
        let r = app.get("/metrics", Some(&admin)).await;
        assert_eq!(r.status, 200, "{}", app.engine);
        let (seq, hash) = app.store.audit_head().await.unwrap().unwrap();
        assert!(
            r.body
                .contains(&format!("\ntessera_audit_head_seq {seq}\n")),
            "{}: {}",
            app.engine,
            r.body
        );
        assert!(
            r.body
                .contains(&format!("tessera_audit_head_info{{hash=\"{hash}\"}} 1")),
            "{}",
            app.engine
        );
        // Anyone else is sent to sign in, or refused.
        assert_eq!(app.get("/metrics", None).await.status, 303);
        let coord = app.login("coord").await;
        assert_eq!(app.get("/metrics", Some(&coord)).await.status, 403);
    }
}

/// A page with the slashes minijinja escapes in attributes put back, to look for links.
fn unslash(html: &str) -> String {
    html.replace("&#x2f;", "/")
}

/// The audit entries of `action` written by `actor`.
async fn audited(app: &common::App, actor: &str, action: &str) -> Vec<tessera_store::AuditEntry> {
    app.store
        .audit_entries(Some(actor), Some(action), 100)
        .await
        .unwrap()
}

/// Issue 13: the registry is managed from its pages by administrators and coordinators — one
/// provider through the form (a mistyped type refused with the closest one, as the CLI does),
/// a whole list from a spreadsheet (a bad cell → the report and nothing registered), changes
/// and retirement — each change audited under the CLI's action name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_are_registered_by_form_and_by_list_all_or_nothing() {
    use tessera_store::actions;
    for app in apps().await {
        let admin = app.login("admin").await;
        let csrf = app.csrf(&admin).await;
        let form = |ptype: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("id", "police-bossangoa".to_string()),
                ("name", "Bossangoa police".to_string()),
                ("name_fr", "Police de Bossangoa".to_string()),
                ("provider_type", ptype.to_string()),
                ("region", "CF-AC".to_string()),
                ("contact", "+236 70 00 00 00".to_string()),
            ]
        };
        let as_refs = |f: &[(&'static str, String)]| {
            f.iter()
                .map(|(k, v)| (*k, v.clone()))
                .collect::<Vec<(&str, String)>>()
        };
        let post = |f: Vec<(&'static str, String)>| {
            let app = &app;
            let admin = admin.clone();
            async move {
                let pairs = as_refs(&f);
                let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_form("/providers", Some(&admin), &refs).await
            }
        };
        // A typo in the type: refused with the closest type, the form kept, nothing registered.
        let r = post(form("POLCE")).await;
        assert_eq!(r.status, 400, "{}: {}", app.engine, r.body);
        assert!(r.body.contains("did you mean POLICE"), "{}", r.body);
        assert!(
            r.body.contains("value=\"Police de Bossangoa\""),
            "the form is kept"
        );
        let pid = ProviderId::parse("police-bossangoa").unwrap();
        assert!(app.store.provider(&pid).await.unwrap().is_none());
        // A region that is not one: the closest region.
        let mut bad_region = form("POLICE");
        bad_region[5].1 = "Ouhm".into();
        let r = post(bad_region).await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("did you mean CF-AC"), "{}", r.body);

        let r = post(form("POLICE")).await;
        assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
        assert_eq!(
            r.headers[header::LOCATION],
            "/providers/police-bossangoa?done=provider-registered"
        );
        let p = app.store.provider(&pid).await.unwrap().unwrap();
        assert_eq!(p.provider_type.as_str(), "POLICE");
        assert_eq!(p.region.as_deref(), Some("CF-AC"));
        assert_eq!(p.name_in("fr"), "Police de Bossangoa");
        assert_eq!(p.profile.contact.as_deref(), Some("+236 70 00 00 00"));
        let page = app
            .get(
                "/providers/police-bossangoa?done=provider-registered",
                Some(&admin),
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"notice\"") && page.body.contains("id=\"add-agreement\""));
        // Registered twice: refused, in words.
        let r = post(form("POLICE")).await;
        assert_eq!(r.status, 409);
        assert!(r.body.contains("already registered"), "{}", r.body);
        assert_eq!(
            audited(&app, "admin", actions::PROVIDER_REGISTER)
                .await
                .len(),
            1
        );

        // A list with bad cells: the report cell by cell, and nothing registered.
        let list = |body: &'static str| {
            let app = &app;
            let admin = admin.clone();
            let csrf = csrf.clone();
            async move {
                app.post_multipart(
                    "/providers/import",
                    Some(&admin),
                    &[("csrf", &csrf)],
                    &[("file", "providers.csv", body.as_bytes())],
                )
                .await
            }
        };
        let r = list("id,name,name_fr,type,region,ngo\nngo-espoir,Espoir,Espoir,NGO,CF-BGF,yes\ncourt-bossangoa,Court,Tribunal,COURTT,Bangi,no\n").await;
        assert_eq!(r.status, 422, "{}: {}", app.engine, r.body);
        assert!(r.body.contains("id=\"report\""), "{}", r.body);
        assert!(
            r.body.contains("COURTT") && r.body.contains("Bangi") && r.body.contains("CF-BGF"),
            "each bad cell with the closest value: {}",
            r.body
        );
        for id in ["ngo-espoir", "court-bossangoa"] {
            assert!(
                app.store
                    .provider(&ProviderId::parse(id).unwrap())
                    .await
                    .unwrap()
                    .is_none(),
                "{}: {id} registered from a refused list",
                app.engine
            );
        }
        // A list repeating a registered provider registers nothing either.
        let r = list("id,name,type\nngo-espoir,Espoir,NGO\npolice-bossangoa,Again,POLICE\n").await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(
            app.store
                .provider(&ProviderId::parse("ngo-espoir").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        // The corrected list: every provider registered.
        let r = list("id,name,name_fr,type,region,ngo\nngo-espoir,Espoir,Espoir,NGO,CF-BGF,yes\ncourt-bossangoa,Court,Tribunal,COURT,Bangui,no\n").await;
        assert_eq!(r.status, 200, "{}: {}", app.engine, r.body);
        assert!(r.body.contains("2 providers registered"), "{}", r.body);
        let espoir = app
            .store
            .provider(&ProviderId::parse("ngo-espoir").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(espoir.profile.ngo);
        let court = app
            .store
            .provider(&ProviderId::parse("court-bossangoa").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            court.region.as_deref(),
            Some("CF-BGF"),
            "a region's label is its code"
        );
        let imports = audited(&app, "admin", actions::PROVIDER_IMPORT).await;
        assert_eq!(imports.len(), 1);
        assert_eq!(imports[0].object, "providers.csv");

        // The coordinator changes a provider; the identifier stays.
        let coord = app.login("coord").await;
        let ccsrf = app.csrf(&coord).await;
        let r = app
            .post_form(
                "/providers/court-bossangoa/edit",
                Some(&coord),
                &[
                    ("csrf", &ccsrf),
                    ("id", "another-id"),
                    ("name", "Court of Bossangoa"),
                    ("name_fr", "Tribunal de Bossangoa"),
                    ("provider_type", "COURT"),
                    ("region", "CF-AC"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let court = app
            .store
            .provider(&ProviderId::parse("court-bossangoa").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(court.name, "Court of Bossangoa");
        assert_eq!(court.region.as_deref(), Some("CF-AC"));
        assert_eq!(
            audited(&app, "coord", actions::PROVIDER_EDIT).await.len(),
            1
        );
        // Retiring needs the tick; then the provider is shown retired, its history kept.
        let r = app
            .post_form(
                "/providers/court-bossangoa/retire",
                Some(&coord),
                &[("csrf", &ccsrf), ("on", "")],
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(
            app.store
                .provider(&ProviderId::parse("court-bossangoa").unwrap())
                .await
                .unwrap()
                .unwrap()
                .profile
                .retired_on
                .is_none()
        );
        let r = app
            .post_form(
                "/providers/court-bossangoa/retire",
                Some(&coord),
                &[("csrf", &ccsrf), ("on", "2026-01-15"), ("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let list_page = app.get("/providers", Some(&coord)).await;
        assert!(
            list_page.body.contains("Retired on 15 Jan 2026"),
            "{}",
            list_page.body
        );
        let retire = audited(&app, "coord", actions::PROVIDER_RETIRE).await;
        assert_eq!(retire.len(), 1);
        assert_eq!(retire[0].object, "court-bossangoa");
        // Analysts read the registry but have no form, and cannot post one.
        let analyst = app.login("analyst").await;
        let page = app.get("/providers", Some(&analyst)).await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("id=\"add-provider\""));
        let acsrf = app.csrf(&analyst).await;
        let r = app
            .post_form(
                "/providers",
                Some(&analyst),
                &[
                    ("csrf", &acsrf),
                    ("id", "x-analyst"),
                    ("name", "X"),
                    ("provider_type", "NGO"),
                ],
            )
            .await;
        assert_eq!(r.status, 403);
    }
}

/// Issue 13: an agreement recorded from the provider's page keeps its signed PDF with the
/// SHA-256 shown, downloadable by national roles only; ending it stops that provider's uploads,
/// with a refusal naming the agreement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agreements_keep_their_signed_pdf_and_ending_one_stops_uploads() {
    use sha2::Digest;
    use tessera_store::actions;
    const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    for app in apps().await {
        let own = ProviderId::parse(OWN).unwrap();
        let coord = app.login("coord").await;
        let csrf = app.csrf(&coord).await;
        let before = app.store.agreements(&own).await.unwrap();
        let add = |fields: Vec<(&'static str, &'static str)>, doc: Option<&'static [u8]>| {
            let app = &app;
            let coord = coord.clone();
            let csrf = csrf.clone();
            async move {
                let mut f: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
                f.extend(fields);
                let files: Vec<(&str, &str, &[u8])> = doc
                    .map(|d| vec![("document", "mou.pdf", d)])
                    .unwrap_or_default();
                app.post_multipart(
                    &format!("/providers/{OWN}/agreements"),
                    Some(&coord),
                    &f,
                    &files,
                )
                .await
            }
        };
        // Not a PDF, no entity, a bad date, an end before the start: refused, nothing recorded.
        for (fields, doc, says) in [
            (
                vec![
                    ("entities", "suspect"),
                    ("level", "case"),
                    ("from", "2024-01-01"),
                ],
                Some(&b"hello"[..]),
                "must be a PDF",
            ),
            (
                vec![("level", "case"), ("from", "2024-01-01")],
                None,
                "at least one kind of record",
            ),
            (
                vec![
                    ("entities", "suspect"),
                    ("level", "case"),
                    ("from", "01/02/2024"),
                ],
                None,
                "is not a day written YYYY-MM-DD",
            ),
            (
                vec![
                    ("entities", "suspect"),
                    ("level", "case"),
                    ("from", "2024-01-01"),
                    ("to", "2023-01-01"),
                ],
                None,
                "before it starts",
            ),
        ] {
            let r = add(fields, doc).await;
            assert_eq!(r.status, 400, "{}: {says}: {}", app.engine, r.body);
            assert!(r.body.contains(says), "{says}: {}", r.body);
        }
        assert_eq!(
            app.store.agreements(&own).await.unwrap().len(),
            before.len()
        );
        let r = add(
            vec![
                ("entities", "suspect"),
                ("level", "case"),
                ("from", "2024-01-01"),
                ("signed", "2023-12-20"),
                ("signatories", "Director of Police; National Coordinator"),
            ],
            Some(PDF),
        )
        .await;
        assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
        let after = app.store.agreements(&own).await.unwrap();
        let a = after
            .iter()
            .find(|a| !before.iter().any(|b| b.id == a.id))
            .expect("the new agreement");
        let sha: String = sha2::Sha256::digest(PDF)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a.document_sha256.as_deref(), Some(sha.as_str()));
        assert_eq!(a.entities, ["suspect"]);
        let adds = audited(&app, "coord", actions::AGREEMENT_ADD).await;
        assert_eq!(adds.len(), 1);
        assert_eq!(adds[0].object, OWN);
        let doc = format!("/providers/{OWN}/agreements/{}/document", a.id);
        // The page shows the digest; the download link is for national roles.
        let mut page = app.get(&format!("/providers/{OWN}"), Some(&coord)).await;
        page.body = unslash(&page.body);
        assert!(
            page.body.contains(&sha) && page.body.contains(&doc),
            "{}",
            page.body
        );
        for user in ["admin", "coord", "analyst"] {
            let c = app.login(user).await;
            let r = app.get(&doc, Some(&c)).await;
            assert_eq!(r.status, 200, "{}: {user}", app.engine);
            assert_eq!(r.headers[header::CONTENT_TYPE], "application/pdf");
            assert_eq!(r.body.as_bytes(), PDF);
        }
        for user in ["fp", "viewer", "partner", "fp-other"] {
            let c = app.login(user).await;
            let r = app.get(&doc, Some(&c)).await;
            assert!(
                [403, 404].contains(&r.status),
                "{}: {user} got the document: {}",
                app.engine,
                r.status
            );
            if user == "fp" {
                // The provider's own focal point sees the agreement and its digest, not the file.
                let page = app.get(&format!("/providers/{OWN}"), Some(&c)).await;
                assert!(page.body.contains(&sha) && !unslash(&page.body).contains(&doc));
                assert!(!page.body.contains("id=\"add-agreement\""));
            }
        }

        // Ending the agreements that cover victims stops the focal point's victim uploads.
        let covering: Vec<i64> = after
            .iter()
            .filter(|a| a.entities.iter().any(|e| e == "victim") && a.ended_on.is_none())
            .map(|a| a.id)
            .collect();
        assert!(!covering.is_empty());
        let r = app
            .post_form(
                &format!("/providers/{OWN}/agreements/{}/end", covering[0]),
                Some(&coord),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(r.status, 400, "ending needs the confirmation");
        for n in &covering {
            let r = app
                .post_form(
                    &format!("/providers/{OWN}/agreements/{n}/end"),
                    Some(&coord),
                    &[("csrf", &csrf), ("confirm", "yes")],
                )
                .await;
            assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
        }
        // Another provider's agreement cannot be ended through this provider's address.
        let other = app
            .store
            .agreements(&ProviderId::parse(common::OTHER).unwrap())
            .await
            .unwrap();
        let r = app
            .post_form(
                &format!("/providers/{OWN}/agreements/{}/end", other[0].id),
                Some(&coord),
                &[("csrf", &csrf), ("confirm", "yes")],
            )
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(
            audited(&app, "coord", actions::AGREEMENT_END).await.len(),
            covering.len()
        );
        let page = app.get(&format!("/providers/{OWN}"), Some(&coord)).await;
        assert!(page.body.contains("Ended on"), "{}", page.body);
        let fp = app.login("fp").await;
        let fcsrf = app.csrf(&fp).await;
        let r = app
            .post_multipart(
                "/upload",
                Some(&fp),
                &[("csrf", &fcsrf), ("entity", "victim"), ("period", "2025")],
                &[("file", "victims.csv", GOOD.as_bytes())],
            )
            .await;
        assert_eq!(r.status, 403, "{}: {}", app.engine, r.body);
        let last = covering.iter().max().unwrap();
        assert!(
            r.body.contains(&format!("agreement {last} of {OWN}")) && r.body.contains("ended on"),
            "the refusal names the agreement: {}",
            r.body
        );
    }
}

/// Issue 13: the reporting calendar — national roles read it; administrators and coordinators
/// open a period (which provider types report in it, due date not before its end) and close it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reporting_periods_are_opened_and_closed_from_the_calendar() {
    use tessera_store::actions;
    for app in apps().await {
        let admin = app.login("admin").await;
        let csrf = app.csrf(&admin).await;
        let open = |due: &'static str, types: &'static [&'static str]| {
            let app = &app;
            let admin = admin.clone();
            let csrf = csrf.clone();
            async move {
                let mut f = vec![
                    ("csrf", csrf.as_str()),
                    ("id", "2030-Q1"),
                    ("start", "2030-01-01"),
                    ("end", "2030-03-31"),
                    ("due", due),
                ];
                f.extend(types.iter().map(|t| ("types", *t)));
                app.post_form("/periods", Some(&admin), &f).await
            }
        };
        let r = open("2030-03-01", &["POLICE"]).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("cannot be due"), "{}", r.body);
        let r = open("2030-04-30", &["POLICE", "NOPE"]).await;
        assert_eq!(r.status, 400);
        assert!(
            r.body.contains("\"NOPE\"")
                || r.body.contains("&quot;NOPE&quot;")
                || r.body.contains("NOPE")
        );
        assert!(
            !app.store
                .periods()
                .await
                .unwrap()
                .iter()
                .any(|p| p.id == "2030-Q1")
        );
        let r = open("2030-04-30", &["POLICE", "GENDARMERIE"]).await;
        assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
        let p = app
            .store
            .periods()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.id == "2030-Q1")
            .unwrap();
        assert_eq!(p.provider_types, ["POLICE", "GENDARMERIE"]);
        assert!(p.closed_on.is_none());
        let analyst = app.login("analyst").await;
        let page = app.get("/periods", Some(&analyst)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("id=\"period-2030-Q1\""), "{}", page.body);
        assert!(
            !page.body.contains("id=\"add-period\""),
            "analysts only read"
        );
        let r = app
            .post_form("/periods/2030-Q1/close", Some(&admin), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        let closed = app
            .store
            .periods()
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.id == "2030-Q1")
            .unwrap();
        assert!(closed.closed_on.is_some());
        let page = app.get("/periods", Some(&admin)).await;
        assert!(page.body.contains("Closed on"), "{}", page.body);
        // Closed twice: said so; an unknown period: not found.
        let r = app
            .post_form("/periods/2030-Q1/close", Some(&admin), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, 400);
        let r = app
            .post_form("/periods/1999/close", Some(&admin), &[("csrf", &csrf)])
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(audited(&app, "admin", actions::PERIOD_OPEN).await.len(), 1);
        let closes = audited(&app, "admin", actions::PERIOD_CLOSE).await;
        assert_eq!(closes.len(), 1);
        assert_eq!(closes[0].object, "2030-Q1");
    }
}

/// Issue 13: `POST /api/v1/providers`, `/agreements` and `/periods` for administrators and
/// coordinators; refusals are problem documents carrying the store's or the dictionary's
/// sentence; a focal point's token is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_registers_providers_agreements_and_periods_for_national_staff_only() {
    use serde_json::json;
    for app in apps().await {
        let coord = app.store.user("coord").await.unwrap().unwrap();
        let token = app.store.create_api_token(coord.id, "setup").await.unwrap();
        let bearer = format!("Bearer {token}");
        let auth = ("authorization", bearer.as_str());
        let r = app
            .post_json(
                "/api/v1/providers",
                auth,
                &json!({"id": "labour-bangui", "name": "Labour inspectorate", "type": "Labour inspecton"}),
            )
            .await;
        assert_eq!(r.status, 400, "{}: {}", app.engine, r.body);
        assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("did you mean LABOUR"),
            "{p}"
        );
        let r = app
            .post_json(
                "/api/v1/providers",
                auth,
                &json!({"id": "labour-bangui", "name": "Labour inspectorate", "names": {"fr": "Inspection du travail"}, "provider_type": "LABOUR", "region": "CF-BGF"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}: {}", app.engine, r.body);
        let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(p["names"]["fr"], "Inspection du travail");
        assert_eq!(p["region"], "CF-BGF");
        // Unknown fields are refused rather than silently dropped.
        let r = app
            .post_json(
                "/api/v1/providers",
                auth,
                &json!({"id": "x-y", "name": "X", "type": "NGO", "colour": "red"}),
            )
            .await;
        assert_eq!(r.status, 400);
        // An agreement for a provider that is not registered: the closest one named.
        let r = app
            .post_json(
                "/api/v1/agreements",
                auth,
                &json!({"provider": "labour-bangu", "entities": ["victim"], "from": "2024-01-01"}),
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        let p: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert!(
            p["detail"]
                .as_str()
                .unwrap()
                .contains("did you mean labour-bangui"),
            "{p}"
        );
        let r = app
            .post_json("/api/v1/agreements", auth, &json!({"provider": "labour-bangui", "entities": ["victims"], "from": "2024-01-01"}))
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("did you mean victim"), "{}", r.body);
        let r = app
            .post_json("/api/v1/agreements", auth, &json!({"provider": "labour-bangui", "entities": ["victim"], "level": "case", "from": "2024-01-01", "signatories": "Minister of Labour"}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let a: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(a["in_force"], true);
        assert_eq!(a["entities"], json!(["victim"]));
        let r = app
            .post_json("/api/v1/periods", auth, &json!({"id": "2031", "start": "2031-01-01", "end": "2031-12-31", "due": "2032-01-31", "provider_types": ["LABOUR"]}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let r = app
            .post_json("/api/v1/periods", auth, &json!({"id": "2032", "start": "2032-12-31", "end": "2032-01-01", "due": "2033-01-31"}))
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains("starts after it ends"), "{}", r.body);
        for (action, object) in [
            (tessera_store::actions::PROVIDER_REGISTER, "labour-bangui"),
            (tessera_store::actions::AGREEMENT_ADD, "labour-bangui"),
            (tessera_store::actions::PERIOD_OPEN, "2031"),
        ] {
            let log = audited(&app, "coord", action).await;
            assert!(
                log.iter().any(|e| e.object == object),
                "{}: {action}",
                app.engine
            );
        }
        // A focal point's token: 403, nothing registered.
        let fp = app.store.user("fp").await.unwrap().unwrap();
        let fp_token = app.store.create_api_token(fp.id, "sync").await.unwrap();
        let fp_bearer = format!("Bearer {fp_token}");
        for (path, body) in [
            (
                "/api/v1/providers",
                json!({"id": "ngo-fp", "name": "X", "type": "NGO"}),
            ),
            (
                "/api/v1/agreements",
                json!({"provider": OWN, "entities": ["cj_case"], "from": "2024-01-01"}),
            ),
            (
                "/api/v1/periods",
                json!({"id": "2040", "start": "2040-01-01", "end": "2040-12-31", "due": "2041-01-31"}),
            ),
        ] {
            let r = app
                .post_json(path, ("authorization", &fp_bearer), &body)
                .await;
            assert_eq!(r.status, 403, "{}: {path}: {}", app.engine, r.body);
            assert_eq!(r.headers[header::CONTENT_TYPE], "application/problem+json");
        }
        assert!(
            app.store
                .provider(&ProviderId::parse("ngo-fp").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !app.store
                .periods()
                .await
                .unwrap()
                .iter()
                .any(|p| p.id == "2040")
        );
    }
}

/// Issue 13: on a database fresh from `tessera init`, administrators and coordinators are met by
/// the set-up steps — the country extension loaded, then providers, agreements, periods and focal
/// points, each with its page and its CLI command — until a first submission can arrive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_shows_the_set_up_steps_until_a_submission_can_arrive() {
    for app in common::empty_apps().await {
        let admin = app.login("admin").await;
        let mut home = app.get("/", Some(&admin)).await;
        assert_eq!(home.status, 200, "{}", home.body);
        home.body = unslash(&home.body);
        assert!(home.body.contains("id=\"setup-steps\""), "{}", home.body);
        for (step, done) in [
            ("extension", true),
            ("providers", false),
            ("agreements", false),
            ("periods", false),
            ("focal-points", false),
        ] {
            let class = if done { "step done" } else { "step todo" };
            assert!(
                home.body
                    .contains(&format!("id=\"step-{step}\" class=\"{class}\"")),
                "{}: {step} {class}: {}",
                app.engine,
                home.body
            );
        }
        assert!(
            home.body
                .contains("Central African Republic (cf, country CF)")
        );
        for command in [
            "tessera init --db tessera.db --extension",
            "tessera provider add --id",
            "tessera provider import providers.csv",
            "tessera agreement add --provider",
            "tessera period add --id",
            "tessera user add --username",
        ] {
            assert!(home.body.contains(command), "{command}: {}", home.body);
        }
        for link in [
            "href=\"/providers\"",
            "href=\"/periods\"",
            "href=\"/admin/users\"",
        ] {
            assert!(home.body.contains(link), "{link}");
        }
        let fr = app.get("/?lang=fr", Some(&admin)).await;
        assert!(fr.body.contains("Mise en place de Tessera"));
        // An empty registry and calendar read as such.
        let page = app.get("/providers", Some(&admin)).await;
        assert!(page.body.contains("No provider is registered yet"));
        assert!(
            app.get("/periods", Some(&admin))
                .await
                .body
                .contains("No reporting period")
        );

        // Set up through the store (the browser test does it through the pages): once a
        // provider with an agreement, an open period and a focal point exist, home is home.
        let pid = ProviderId::parse("police-bangui").unwrap();
        app.store
            .register_provider(&tessera_store::Provider {
                id: pid.clone(),
                name: "Bangui police".into(),
                provider_type: tessera_dictionary::ProviderType::parse(
                    &common::dictionary(),
                    "POLICE",
                )
                .unwrap(),
                region: None,
                profile: Default::default(),
            })
            .await
            .unwrap();
        let home = unslash(&app.get("/", Some(&admin)).await.body);
        assert!(home.contains("id=\"step-providers\" class=\"step done\""));
        assert!(
            home.contains("0 of 1 providers have an agreement in force"),
            "{}",
            home
        );
        assert!(home.contains("href=\"/providers/police-bangui#new-agreement\""));
        app.store
            .add_agreement(&tessera_store::Agreement {
                id: 0,
                provider_id: pid.clone(),
                entities: vec!["victim".into()],
                level: "case".into(),
                valid_from: time::macros::date!(2024 - 01 - 01),
                valid_to: None,
                signed_on: None,
                signatories: None,
                document_sha256: None,
                ended_on: None,
            })
            .await
            .unwrap();
        app.store
            .upsert_period(&tessera_store::Period {
                id: "2025".into(),
                starts_on: time::macros::date!(2025 - 01 - 01),
                ends_on: time::macros::date!(2025 - 12 - 31),
                due_on: time::macros::date!(2026 - 01 - 31),
                provider_types: vec![],
                closed_on: None,
            })
            .await
            .unwrap();
        assert!(
            app.get("/", Some(&admin))
                .await
                .body
                .contains("id=\"setup-steps\"")
        );
        app.store
            .create_user(
                "fp",
                "Focal point",
                PASSWORD,
                tessera_dictionary::Role::FocalPoint,
                Some(&pid),
                "en",
            )
            .await
            .unwrap();
        let home = app.get("/", Some(&admin)).await;
        assert!(!home.body.contains("id=\"setup-steps\""), "{}", home.body);
        // The steps stay at /setup, all done.
        let setup = app.get("/setup", Some(&admin)).await;
        assert!(setup.body.contains("5 of 5 steps done"), "{}", setup.body);
        // A focal point never sees them.
        let fp = app.login("fp").await;
        assert!(!app.get("/", Some(&fp)).await.body.contains("setup-steps"));
        assert_eq!(app.get("/setup", Some(&fp)).await.status, 403);
    }
}

/// One row of the dashboard's NAP table (`nap_progress` as CSV) for `id` in `year`: status code,
/// value, target and progress as written (empty when none).
fn nap_row(csv: &str, id: &str, year: i32) -> Option<(String, String, String, String)> {
    csv.lines()
        .filter(|l| l.starts_with(&format!("{id},")))
        .find_map(|l| {
            // From the right: the title before them may hold a comma.
            let cells: Vec<&str> = l.rsplitn(8, ',').collect();
            let [progress, target, value, _label, status, _year, code, _] = cells[..] else {
                return None;
            };
            (code == year.to_string()).then(|| {
                (
                    status.to_string(),
                    value.to_string(),
                    target.to_string(),
                    progress.to_string(),
                )
            })
        })
}

/// Issue 13, item 4: the National Action Plan's page. A coordinator changes an indicator's
/// baseline and targets (a year added, one removed) and the dashboard's NAP table follows —
/// target, progress and status; enters a figure of an indicator measured from activity records
/// and the dashboard shows it; a figure for a computed indicator, a bad number, a target before
/// the baseline and an unknown indicator are refused in one sentence with the plan unchanged;
/// analysts and administrators read without forms and cannot post; provider users and partners
/// are refused the page. Every change is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_action_plan_page_edits_targets_and_figures_and_the_dashboard_follows() {
    use tessera_store::actions;
    for app in apps().await {
        let e = app.engine;
        let coord = app.login("coord").await;
        let csrf = app.csrf(&coord).await;
        let nap_csv = || {
            let app = &app;
            let coord = coord.clone();
            async move {
                let r = app
                    .get("/dashboard.csv?view=nap&table=nap_progress", Some(&coord))
                    .await;
                assert_eq!(r.status, 200, "{}", r.body);
                r.body
            }
        };
        let plan_text = || async { app.store.setting("nap_plan").await.unwrap().unwrap() };

        // The page: every indicator, forms for the coordinator, linked from the dashboard's
        // NAP view and the menu.
        let page = app.get("/nap", Some(&coord)).await;
        assert_eq!(page.status, 200, "{e}: {}", page.body);
        let body = unslash(&page.body);
        for id in [
            "PREV-1", "PREV-2", "PREV-3", "PROT-1", "PROT-2", "PROS-1", "PROS-2", "PROS-3",
            "PART-1", "PART-2", "PART-3",
        ] {
            assert!(
                body.contains(&format!("<section class=\"indicator\" id=\"{id}\"")),
                "{id}"
            );
            assert!(body.contains(&format!("id=\"save-targets-{id}\"")), "{id}");
        }
        assert!(body.contains("action=\"/nap/PREV-3/figures\""));
        assert!(
            !body.contains("action=\"/nap/PROT-1/figures\""),
            "no figures for a computed indicator"
        );
        assert!(body.contains("href=\"/nap\""), "in the menu");
        assert!(body.contains("href=\"/dashboard?view=nap\""));
        let fr = app.get("/nap?lang=fr", Some(&coord)).await;
        assert!(
            fr.body
                .contains("Plan d’action national : situations de référence et cibles")
        );
        let dash = unslash(&app.get("/dashboard?view=nap", Some(&coord)).await.body);
        assert!(
            dash.contains("<a href=\"/nap\" id=\"nap-page\">"),
            "{e}: {dash}"
        );

        // A target changed: 2022 moved so that the status must flip, 2025 removed, 2026 added.
        let before = nap_csv().await;
        let (status, value, target, _) = nap_row(&before, "PROT-1", 2022).unwrap();
        assert_eq!(target, "75", "{before}");
        let value: f64 = value.parse().expect("PROT-1 has a value in 2022");
        assert!(value < 100.0);
        let (new_target, new_status) = if status == "achieved" {
            ("100", "off_track")
        } else {
            ("0", "achieved")
        };
        let r = app
            .post_form(
                "/nap/PROT-1/targets",
                Some(&coord),
                &[
                    ("csrf", &csrf),
                    ("baseline_year", "2021"),
                    ("baseline_value", "70"),
                    ("target_year", "2022"),
                    ("target_value", new_target),
                    ("target_year", "2023"),
                    ("target_value", "80"),
                    ("target_year", "2024"),
                    ("target_value", "85"),
                    ("target_year", "2025"),
                    ("target_value", ""),
                    ("target_year", "2026"),
                    ("target_value", "95.5"),
                    ("target_year", ""),
                    ("target_value", ""),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{e}: {}", r.body);
        assert_eq!(r.headers["location"], "/nap?done=targets#PROT-1");
        let after = nap_csv().await;
        let (status, _, target, progress) = nap_row(&after, "PROT-1", 2022).unwrap();
        assert_eq!(
            (status.as_str(), target.as_str()),
            (new_status, new_target),
            "{e}: {after}"
        );
        if new_status == "achieved" {
            assert_eq!(progress, "100");
        }
        assert_eq!(
            nap_row(&after, "PROT-1", 2025).unwrap().2,
            "",
            "2025 has no target"
        );
        assert_eq!(nap_row(&after, "PROT-1", 2026).unwrap().2, "95.5");
        // The other indicators are as they were.
        let others = |csv: &str| -> Vec<String> {
            csv.lines()
                .filter(|l| !l.starts_with("PROT-1,"))
                .map(str::to_string)
                .collect()
        };
        assert_eq!(others(&before), others(&after));
        let page = app.get("/nap?done=targets", Some(&coord)).await;
        assert!(page.body.contains("The baseline and targets are saved."));
        assert!(page.body.contains("95.5"));
        let edits = audited(&app, "coord", actions::NAP_EDIT_TARGETS).await;
        assert_eq!(edits.len(), 1, "{e}");
        assert_eq!(edits[0].object, "PROT-1");
        assert!(
            edits[0].detail.contains("\"2026\":95.5"),
            "{}",
            edits[0].detail
        );
        // The same values again: nothing to write, nothing audited.
        let r = app
            .post_form(
                "/nap/PROT-1/targets",
                Some(&coord),
                &[
                    ("csrf", &csrf),
                    ("baseline_year", "2021"),
                    ("baseline_value", "70"),
                    ("target_year", "2022"),
                    ("target_value", new_target),
                    ("target_year", "2023"),
                    ("target_value", "80"),
                    ("target_year", "2024"),
                    ("target_value", "85"),
                    ("target_year", "2026"),
                    ("target_value", "95.5"),
                ],
            )
            .await;
        assert_eq!(r.headers["location"], "/nap?done=unchanged#PROT-1");
        assert_eq!(
            audited(&app, "coord", actions::NAP_EDIT_TARGETS)
                .await
                .len(),
            1
        );

        // A figure of an indicator measured from activity records.
        let r = app
            .post_form(
                "/nap/PREV-3/figures",
                Some(&coord),
                &[
                    ("csrf", &csrf),
                    ("year", "2023"),
                    ("value", "120"),
                    ("note", "Training register 2023"),
                ],
            )
            .await;
        assert_eq!(r.status, 303, "{e}: {}", r.body);
        let csv = nap_csv().await;
        let (status, value, target, progress) = nap_row(&csv, "PREV-3", 2023).unwrap();
        // 40 → 120 against 150 due that year: 72.7 % of the way, missed.
        assert_eq!(
            (
                status.as_str(),
                value.as_str(),
                target.as_str(),
                progress.as_str()
            ),
            ("off_track", "120", "150", "72.7"),
            "{e}: {csv}"
        );
        let page = app.get("/nap", Some(&coord)).await;
        assert!(page.body.contains("value=\"Training register 2023\""));
        let dash = app.get("/dashboard?view=nap", Some(&coord)).await;
        assert!(
            dash.body.contains(
                "<td>Front-line officers trained to identify victims</td><td class=\"num\">2023</td><td class=\"num\">Off track</td><td class=\"num\">120</td>"
            ),
            "{e}: the dashboard shows it: {}",
            dash.body
        );
        // Entered then cleared: gone.
        for form in [
            vec![("year", "2024"), ("value", "10")],
            vec![("year", "2024"), ("clear", "yes")],
        ] {
            let mut f = vec![("csrf", csrf.as_str())];
            f.extend(form);
            let r = app.post_form("/nap/PREV-3/figures", Some(&coord), &f).await;
            assert_eq!(r.status, 303, "{e}: {}", r.body);
        }
        assert_eq!(nap_row(&nap_csv().await, "PREV-3", 2024).unwrap().1, "");
        let figures = audited(&app, "coord", actions::NAP_SET_VALUE).await;
        assert_eq!(figures.len(), 3, "{e}");
        assert_eq!(
            app.store.nap_values().await.unwrap(),
            [("PREV-3".to_string(), 2023, 120.0)]
        );

        // Refusals: one sentence on the page, the form kept, nothing changed.
        let plan = plan_text().await;
        /// A path, the form sent (besides its token) and the sentence shown.
        type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
        let refusals: Vec<Refusal> = vec![
            (
                "/nap/PROT-1/figures",
                vec![("year", "2023"), ("value", "5")],
                "indicator PROT-1 is computed from the data",
            ),
            (
                "/nap/PREV-3/figures",
                vec![("year", "2023"), ("value", "lots")],
                "&quot;lots&quot; is not a number",
            ),
            (
                "/nap/PREV-3/figures",
                vec![("year", "2019"), ("value", "5")],
                "a figure for 2019 has no place in the plan",
            ),
            (
                "/nap/PROT-1/targets",
                vec![
                    ("baseline_year", "2021"),
                    ("target_year", "2023"),
                    ("target_value", "8O"),
                ],
                "&quot;8O&quot; is not a number",
            ),
            (
                "/nap/PROT-1/targets",
                vec![
                    ("baseline_year", "2021"),
                    ("target_year", "2020"),
                    ("target_value", "60"),
                ],
                "indicator PROT-1: the target for 2020 is before the baseline year 2021",
            ),
            (
                "/nap/NOPE-1/targets",
                vec![("baseline_year", "2021")],
                "the action plan has no indicator NOPE-1",
            ),
        ];
        for (path, form, sentence) in refusals {
            let mut f = vec![("csrf", csrf.as_str())];
            f.extend(form.iter().copied());
            let r = app.post_form(path, Some(&coord), &f).await;
            assert_eq!(r.status, 400, "{e}: {path} {form:?}: {}", r.body);
            assert!(
                r.body.contains("id=\"error\""),
                "{e}: {path}: shown on the page"
            );
            assert!(
                r.body.contains(sentence),
                "{e}: {path} {form:?}: {}",
                r.body
            );
        }
        assert_eq!(plan_text().await, plan, "{e}: the plan is unchanged");
        assert_eq!(app.store.nap_values().await.unwrap().len(), 1);
        // The refused form comes back as typed, open.
        let r = app
            .post_form(
                "/nap/PROT-1/targets",
                Some(&coord),
                &[
                    ("csrf", &csrf),
                    ("baseline_year", "2021"),
                    ("target_year", "2020"),
                    ("target_value", "61.5"),
                ],
            )
            .await;
        assert!(r.body.contains("id=\"edit-PROT-1\" open"));
        assert!(r.body.contains("value=\"61.5\""));

        // Analysts and administrators read; only the coordinator writes.
        for user in ["analyst", "admin"] {
            let cookie = app.login(user).await;
            let page = app.get("/nap", Some(&cookie)).await;
            assert_eq!(page.status, 200, "{e}: {user}");
            assert!(page.body.contains("id=\"PREV-3\""));
            assert!(
                !page.body.contains("save-targets-"),
                "{e}: {user} reads only"
            );
            assert!(!page.body.contains("/figures\""), "{e}: {user} reads only");
            assert!(page.body.contains("Training register 2023"));
            assert_eq!(
                page.body.contains("/dashboard?view=nap"),
                user == "analyst",
                "{e}: administrators have no dashboards"
            );
            let csrf = app.csrf(&cookie).await;
            for (path, form) in [
                (
                    "/nap/PREV-3/figures",
                    vec![("csrf", csrf.as_str()), ("year", "2023"), ("value", "1")],
                ),
                (
                    "/nap/PROT-1/targets",
                    vec![
                        ("csrf", csrf.as_str()),
                        ("baseline_year", "2021"),
                        ("target_year", "2022"),
                        ("target_value", "1"),
                    ],
                ),
            ] {
                let r = app.post_form(path, Some(&cookie), &form).await;
                assert_eq!(r.status, 403, "{e}: {user} {path}");
            }
        }
        for user in ["fp", "viewer", "partner"] {
            let cookie = app.login(user).await;
            assert_eq!(
                app.get("/nap", Some(&cookie)).await.status,
                403,
                "{e}: {user}"
            );
            let page = app.get("/", Some(&cookie)).await;
            assert!(
                !page.body.contains("href=\"&#x2f;nap\""),
                "{e}: {user}'s menu"
            );
        }
        assert_eq!(plan_text().await, plan);
        assert_eq!(app.store.nap_values().await.unwrap().len(), 1);
        // Without the form's token, not even the coordinator.
        let r = app
            .post_form(
                "/nap/PREV-3/figures",
                Some(&coord),
                &[("csrf", "forged"), ("year", "2023"), ("value", "1")],
            )
            .await;
        assert_eq!(r.status, 403);
        // What the web wrote, the CLI's format reads: the stored plan loads as a file would.
        let plan =
            tessera_analysis::NapPlan::from_toml(&plan_text().await, &app.state.dict).unwrap();
        assert_eq!(plan.indicators.len(), 11);
    }
}
