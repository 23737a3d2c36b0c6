//! The authorization matrix: every route × every role × own/other provider, on both engines.
//! A role either reaches a route or is refused (403, or 404 when the object belongs to another
//! provider, so its existence does not leak); no route ever fails with a server error; and pages a
//! provider-bound user may open never show another provider's records.

mod common;

use common::{OTHER, OWN, USERS, apps};
use tessera_store::Access;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Want {
    Allow,
    Deny,
}
use Want::{Allow, Deny};

/// Roles in the order of `USERS`: admin, coord, analyst, partner, fp, viewer, fp-other.
fn row(cells: [Want; 7]) -> [Want; 7] {
    cells
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_every_role_own_and_other_provider() {
    for app in apps().await {
        let own = tessera_dictionary::ProviderId::parse(OWN).unwrap();
        let other = tessera_dictionary::ProviderId::parse(OTHER).unwrap();
        let own_rec = app
            .store
            .records(&Access::Provider(own.clone()), "victim", 0, 1)
            .await
            .unwrap()[0]
            .clone();
        let other_rec = app
            .store
            .records(&Access::Provider(other.clone()), "victim", 0, 1)
            .await
            .unwrap()[0]
            .clone();
        let own_sub = app
            .store
            .submissions_for(&Access::Provider(own.clone()), None)
            .await
            .unwrap()[0]
            .id;
        let other_sub = app
            .store
            .submissions_for(&Access::Provider(other.clone()), None)
            .await
            .unwrap()[0]
            .id;
        let (or, xr) = (own_rec.id, other_rec.id);
        let national_readers = row([Deny, Allow, Allow, Deny, Allow, Allow, Allow]);
        // An agreement of OWN with its signed document, for the download route.
        let own_doc = app
            .store
            .add_agreement_with_document(
                &tessera_store::Agreement {
                    id: 0,
                    provider_id: own.clone(),
                    entities: vec!["suspect".into()],
                    level: "case".into(),
                    valid_from: time::macros::date!(2024 - 01 - 01),
                    valid_to: None,
                    signed_on: None,
                    signatories: None,
                    document_sha256: None,
                    ended_on: None,
                },
                Some(b"%PDF-1.4 authz"),
            )
            .await
            .unwrap();
        let registrars = row([Allow, Allow, Deny, Deny, Deny, Deny, Deny]);
        let national = row([Allow, Allow, Allow, Deny, Deny, Deny, Deny]);
        let everyone = [Allow; 7];
        let routes: Vec<(String, [Want; 7])> = vec![
            ("/".into(), everyone),
            ("/account".into(), everyone),
            ("/records".into(), national_readers),
            ("/records?entity=suspect".into(), national_readers),
            (
                format!("/records/{or}"),
                row([Deny, Allow, Allow, Deny, Allow, Allow, Deny]),
            ),
            (
                format!("/records/{xr}"),
                row([Deny, Allow, Allow, Deny, Deny, Deny, Allow]),
            ),
            (
                "/records/new?entity=victim".into(),
                row([Deny, Deny, Deny, Deny, Allow, Deny, Allow]),
            ),
            (
                "/upload".into(),
                row([Deny, Deny, Deny, Deny, Allow, Deny, Allow]),
            ),
            (
                "/templates/victim?format=csv".into(),
                row([Deny, Deny, Deny, Deny, Allow, Deny, Allow]),
            ),
            (
                "/submissions".into(),
                row([Allow, Allow, Allow, Deny, Allow, Allow, Allow]),
            ),
            (
                format!("/submissions/{own_sub}"),
                row([Allow, Allow, Allow, Deny, Allow, Allow, Deny]),
            ),
            (
                format!("/submissions/{other_sub}"),
                row([Allow, Allow, Allow, Deny, Deny, Deny, Allow]),
            ),
            (
                "/review".into(),
                row([Deny, Allow, Deny, Deny, Deny, Deny, Deny]),
            ),
            ("/dashboard/records?entity=victim".into(), national_readers),
            (
                "/dashboard/records?view=victims&entity=victim&expr=sex%20%3D%20%22F%22".into(),
                national_readers,
            ),
            (
                "/linkage".into(),
                row([Deny, Allow, Deny, Deny, Deny, Deny, Deny]),
            ),
            (
                "/timeliness".into(),
                row([Allow, Allow, Allow, Deny, Deny, Deny, Deny]),
            ),
            (
                "/providers".into(),
                row([Allow, Allow, Allow, Deny, Deny, Deny, Deny]),
            ),
            (
                format!("/providers/{OWN}"),
                row([Allow, Allow, Allow, Deny, Allow, Allow, Deny]),
            ),
            (
                format!("/providers/{OTHER}"),
                row([Allow, Allow, Allow, Deny, Deny, Deny, Allow]),
            ),
            ("/setup".into(), registrars),
            ("/periods".into(), national),
            // The action plan: the coordination body's, read by analysts and administrators.
            ("/nap".into(), national),
            // The annual report and the returns: coordinators and analysts only.
            (
                "/reports".into(),
                row([Deny, Allow, Allow, Deny, Deny, Deny, Deny]),
            ),
            (
                format!("/providers/{OWN}/agreements/{own_doc}/document"),
                national,
            ),
            // The agreement is OWN's: through another provider's address it does not exist.
            (
                format!("/providers/{OTHER}/agreements/{own_doc}/document"),
                [Deny; 7],
            ),
            (
                "/audit".into(),
                row([Allow, Deny, Deny, Deny, Deny, Deny, Deny]),
            ),
            (
                "/metrics".into(),
                row([Allow, Deny, Deny, Deny, Deny, Deny, Deny]),
            ),
            (
                "/admin/users".into(),
                row([Allow, Deny, Deny, Deny, Deny, Deny, Deny]),
            ),
            (
                "/dashboard".into(),
                row([Deny, Allow, Allow, Allow, Allow, Allow, Allow]),
            ),
            (
                "/dashboard?view=flows".into(),
                row([Deny, Allow, Allow, Allow, Allow, Allow, Allow]),
            ),
            (
                "/dashboard?view=funnel".into(),
                row([Deny, Allow, Allow, Allow, Allow, Allow, Allow]),
            ),
            (
                "/dashboard?view=smuggling".into(),
                row([Deny, Allow, Allow, Allow, Allow, Allow, Allow]),
            ),
            (
                "/dashboard?view=quality".into(),
                row([Deny, Allow, Allow, Deny, Allow, Allow, Allow]),
            ),
            (
                "/dashboard?view=nap".into(),
                row([Deny, Allow, Allow, Deny, Allow, Allow, Allow]),
            ),
            (
                "/dashboard.csv?view=victims&table=victims_by_sex".into(),
                row([Deny, Allow, Allow, Allow, Allow, Allow, Allow]),
            ),
            ("/api/v1/providers".into(), everyone),
            (
                "/api/v1/statistics".into(),
                row([Deny, Allow, Allow, Allow, Deny, Deny, Deny]),
            ),
            ("/api/v1/records?entity=victim".into(), national_readers),
            (
                format!("/api/v1/records/{or}"),
                row([Deny, Allow, Allow, Deny, Allow, Allow, Deny]),
            ),
            (
                format!("/api/v1/records/{xr}"),
                row([Deny, Allow, Allow, Deny, Deny, Deny, Allow]),
            ),
            (
                "/api/v1/submissions".into(),
                row([Allow, Allow, Allow, Deny, Allow, Allow, Allow]),
            ),
            (
                format!("/api/v1/submissions/{own_sub}"),
                row([Allow, Allow, Allow, Deny, Allow, Allow, Deny]),
            ),
            (
                format!("/api/v1/submissions/{other_sub}"),
                row([Allow, Allow, Allow, Deny, Deny, Deny, Allow]),
            ),
        ];
        let mut cookies = Vec::new();
        for (name, ..) in USERS {
            cookies.push(app.login(name).await);
        }
        let mut checked = 0;
        for (path, wants) in &routes {
            // Anonymous: always sent to sign in (pages) or refused (API).
            let anon = app.get(path, None).await;
            assert!(
                anon.status == 303 || anon.status == 401,
                "{}: anonymous {path} gave {}",
                app.engine,
                anon.status
            );
            for (i, (user, ..)) in USERS.iter().enumerate() {
                let r = app.get(path, Some(&cookies[i])).await;
                assert!(
                    r.status < 500,
                    "{}: {user} {path} → {}: {}",
                    app.engine,
                    r.status,
                    r.body
                );
                let got = if (200..400).contains(&r.status) {
                    Allow
                } else {
                    Deny
                };
                assert_eq!(
                    got,
                    wants[i],
                    "{}: {user} on {path} gave {} ({})",
                    app.engine,
                    r.status,
                    &r.body[..r.body.len().min(300)]
                );
                if got == Deny {
                    assert!(
                        r.status == 403 || r.status == 404,
                        "{}: {user} on {path}: refusals are 403 or 404, got {}",
                        app.engine,
                        r.status
                    );
                    assert!(
                        !r.body.contains(&other_rec.provider_ref),
                        "a refusal leaks data"
                    );
                }
                // A provider-bound user's pages never carry another provider's records.
                if got == Allow && ["fp", "viewer"].contains(user) {
                    assert!(
                        !r.body.contains(&other_rec.provider_ref),
                        "{}: {user} sees {OTHER}'s record on {path}",
                        app.engine
                    );
                    assert!(
                        !r.body.contains(&format!("\"provider_id\":\"{OTHER}\"")),
                        "{}: {user} sees {OTHER} data on {path}",
                        app.engine
                    );
                }
                checked += 1;
            }
        }
        // State-changing routes: another provider's submission cannot be touched by URL guessing,
        // and decisions belong to the coordinator.
        for (i, (user, ..)) in USERS.iter().enumerate() {
            let csrf = app.csrf(&cookies[i]).await;
            for action in ["submit", "approve", "return"] {
                let r = app
                    .post_form(
                        &format!("/submissions/{other_sub}/{action}"),
                        Some(&cookies[i]),
                        &[("csrf", &csrf), ("comment", "guess")],
                    )
                    .await;
                let allowed = matches!(
                    (*user, action),
                    ("coord", "approve" | "return") | ("fp-other", "submit")
                );
                if allowed {
                    // Allowed to try; the workflow may still refuse the move (409) for its status.
                    assert!(
                        [303, 409].contains(&r.status),
                        "{}: {user} {action} gave {}",
                        app.engine,
                        r.status
                    );
                } else {
                    assert!(
                        [403, 404].contains(&r.status),
                        "{}: {user} could {action} {OTHER}'s submission: {}",
                        app.engine,
                        r.status
                    );
                }
            }
        }
        // The registry, the agreements and the calendar change only for administrators and
        // coordinators: every other role is refused before anything is read or written.
        let target = tessera_dictionary::ProviderId::parse("authz-target").unwrap();
        app.store
            .register_provider(&tessera_store::Provider {
                id: target.clone(),
                name: "Target".into(),
                provider_type: tessera_dictionary::ProviderType::parse(
                    &common::dictionary(),
                    "NGO",
                )
                .unwrap(),
                region: None,
                profile: Default::default(),
            })
            .await
            .unwrap();
        let target_agreement = app
            .store
            .add_agreement(&tessera_store::Agreement {
                id: 0,
                provider_id: target.clone(),
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
        for (i, (user, ..)) in USERS.iter().enumerate() {
            let cookie = &cookies[i];
            let csrf = app.csrf(cookie).await;
            let allowed = registrars[i] == Allow;
            let id = format!("authz-{user}");
            let list = format!("id,name,type\n{id}-list,Listed,NGO\n");
            let replies = vec![
                (
                    "POST /providers",
                    app.post_form(
                        "/providers",
                        Some(cookie),
                        &[
                            ("csrf", &csrf),
                            ("id", &id),
                            ("name", "Authz"),
                            ("provider_type", "NGO"),
                        ],
                    )
                    .await,
                ),
                (
                    "POST /providers/import",
                    app.post_multipart(
                        "/providers/import",
                        Some(cookie),
                        &[("csrf", &csrf)],
                        &[("file", "list.csv", list.as_bytes())],
                    )
                    .await,
                ),
                (
                    "POST /providers/{id}/edit",
                    app.post_form(
                        "/providers/authz-target/edit",
                        Some(cookie),
                        &[
                            ("csrf", &csrf),
                            ("name", "Target"),
                            ("provider_type", "NGO"),
                        ],
                    )
                    .await,
                ),
                (
                    "POST /providers/{id}/agreements",
                    app.post_multipart(
                        "/providers/authz-target/agreements",
                        Some(cookie),
                        &[
                            ("csrf", &csrf),
                            ("entities", "assistance"),
                            ("level", "case"),
                            ("from", "2024-01-01"),
                        ],
                        &[],
                    )
                    .await,
                ),
                (
                    "POST /providers/{id}/agreements/{n}/end",
                    app.post_form(
                        &format!("/providers/authz-target/agreements/{target_agreement}/end"),
                        Some(cookie),
                        &[("csrf", &csrf), ("confirm", "yes")],
                    )
                    .await,
                ),
                (
                    "POST /providers/{id}/retire",
                    app.post_form(
                        "/providers/authz-target/retire",
                        Some(cookie),
                        &[("csrf", &csrf), ("confirm", "yes")],
                    )
                    .await,
                ),
                (
                    "POST /periods",
                    app.post_form(
                        "/periods",
                        Some(cookie),
                        &[
                            ("csrf", &csrf),
                            ("id", &format!("authz-{i}")),
                            ("start", "2030-01-01"),
                            ("end", "2030-12-31"),
                            ("due", "2031-01-31"),
                        ],
                    )
                    .await,
                ),
                (
                    "POST /periods/{id}/close",
                    app.post_form(
                        "/periods/2025/close",
                        Some(cookie),
                        &[("csrf", &csrf)],
                    )
                    .await,
                ),
                (
                    "POST /api/v1/providers",
                    app.post_json(
                        "/api/v1/providers",
                        ("cookie", cookie),
                        &serde_json::json!({"id": format!("{id}-api"), "name": "Api", "type": "NGO"}),
                    )
                    .await,
                ),
                (
                    "POST /api/v1/agreements",
                    app.post_json(
                        "/api/v1/agreements",
                        ("cookie", cookie),
                        &serde_json::json!({"provider": "authz-target", "entities": ["victim"], "from": "2024-01-01"}),
                    )
                    .await,
                ),
                (
                    "POST /api/v1/periods",
                    app.post_json(
                        "/api/v1/periods",
                        ("cookie", cookie),
                        &serde_json::json!({"id": format!("authz-api-{i}"), "start": "2030-01-01", "end": "2030-12-31", "due": "2031-01-31"}),
                    )
                    .await,
                ),
            ];
            for (route, r) in replies {
                assert!(
                    r.status < 500,
                    "{}: {user} {route} → {}: {}",
                    app.engine,
                    r.status,
                    r.body
                );
                if allowed {
                    // Done (a redirect, a page, 201), or refused for the object's state (a
                    // second registrar ending what the first ended): never for the role.
                    assert!(
                        [200, 201, 303, 400].contains(&r.status),
                        "{}: {user} {route} gave {}: {}",
                        app.engine,
                        r.status,
                        &r.body[..r.body.len().min(400)]
                    );
                } else {
                    assert!(
                        [403, 404].contains(&r.status),
                        "{}: {user} could {route}: {}",
                        app.engine,
                        r.status
                    );
                }
            }
            let registered = app
                .store
                .provider(&tessera_dictionary::ProviderId::parse(&id).unwrap())
                .await
                .unwrap()
                .is_some();
            assert_eq!(
                registered, allowed,
                "{}: {user} registered {id}",
                app.engine
            );
        }
        // The registrars' changes took; nobody else's did.
        let audit = app.store.audit_entries(None, None, 10_000).await.unwrap();
        for e in &audit {
            if [
                "provider.register",
                "provider.import",
                "provider.edit",
                "provider.retire",
                "agreement.add",
                "agreement.end",
                "period.open",
                "period.close",
            ]
            .contains(&e.action.as_str())
            {
                assert!(
                    ["admin", "coord"].contains(&e.actor.as_str()),
                    "{}: {} by {}",
                    app.engine,
                    e.action,
                    e.actor
                );
            }
        }
        assert!(
            app.store
                .provider(&target)
                .await
                .unwrap()
                .unwrap()
                .profile
                .retired_on
                .is_some()
        );
        assert!(
            app.store
                .periods()
                .await
                .unwrap()
                .iter()
                .any(|p| p.id == "2025" && p.closed_on.is_some())
        );

        // Linkage verdicts belong to the coordinator too.
        for (i, (user, ..)) in USERS.iter().enumerate() {
            let csrf = app.csrf(&cookies[i]).await;
            let (a, b) = (or.to_string(), xr.to_string());
            let r = app
                .post_form(
                    "/linkage/decide",
                    Some(&cookies[i]),
                    &[
                        ("csrf", &csrf),
                        ("a", &a),
                        ("b", &b),
                        ("verdict", "different"),
                    ],
                )
                .await;
            if *user == "coord" {
                assert_eq!(r.status, 303, "{}: {}", app.engine, r.body);
            } else {
                assert!(
                    [403, 404].contains(&r.status),
                    "{}: {user} could record a linkage verdict: {}",
                    app.engine,
                    r.status
                );
            }
        }
        assert_eq!(app.store.link_decisions().await.unwrap().len(), 1);

        // The action plan's baselines, targets and figures belong to the coordinator.
        for (i, (user, ..)) in USERS.iter().enumerate() {
            let csrf = app.csrf(&cookies[i]).await;
            let replies = [
                (
                    "POST /nap/{id}/targets",
                    app.post_form(
                        "/nap/PROT-1/targets",
                        Some(&cookies[i]),
                        &[
                            ("csrf", &csrf),
                            ("baseline_year", "2021"),
                            ("target_year", "2022"),
                            ("target_value", &format!("{}", 60 + i)),
                        ],
                    )
                    .await,
                ),
                (
                    "POST /nap/{id}/figures",
                    app.post_form(
                        "/nap/PREV-3/figures",
                        Some(&cookies[i]),
                        &[("csrf", &csrf), ("year", "2022"), ("value", "12")],
                    )
                    .await,
                ),
            ];
            for (route, r) in replies {
                if *user == "coord" {
                    assert_eq!(r.status, 303, "{}: {route}: {}", app.engine, r.body);
                } else {
                    assert_eq!(r.status, 403, "{}: {user} could {route}", app.engine);
                }
            }
        }
        for e in app.store.audit_entries(None, None, 10_000).await.unwrap() {
            if e.action.starts_with("nap.") {
                assert_eq!(
                    e.actor, "coord",
                    "{}: {} by {}",
                    app.engine, e.action, e.actor
                );
            }
        }
        assert_eq!(
            app.store.nap_values().await.unwrap(),
            [("PREV-3".to_string(), 2022, 12.0)]
        );
        assert_eq!(checked, routes.len() * USERS.len());
        // The deployment secret for in-browser pseudonymisation: to nobody while the deployment
        // has not turned the option on, then to focal points only.
        let mut app = app;
        for enabled in [false, true] {
            if enabled {
                let mut state = app.state.clone();
                state.config = std::sync::Arc::new(tessera_web::Config {
                    secure_cookies: false,
                    browser_secret: Some(tessera_pseudonym::Secret::from_bytes(&[7; 32]).unwrap()),
                    ..tessera_web::Config::default()
                });
                app.router = tessera_web::router(state);
            }
            for (i, (user, role, _)) in USERS.iter().enumerate() {
                let csrf = app.csrf(&cookies[i]).await;
                let r = app
                    .post_form("/upload/key", Some(&cookies[i]), &[("csrf", &csrf)])
                    .await;
                if enabled && *role == tessera_dictionary::Role::FocalPoint {
                    assert_eq!(r.status, 200, "{}: {user}", app.engine);
                    assert!(r.body.contains(&"07".repeat(32)));
                    assert_eq!(r.headers["cache-control"], "no-store");
                } else {
                    assert!(
                        [403, 404].contains(&r.status),
                        "{}: {user} got the secret (enabled: {enabled}): {}",
                        app.engine,
                        r.status
                    );
                }
                // Without the form's token, nobody.
                let r = app
                    .post_form("/upload/key", Some(&cookies[i]), &[("csrf", "forged")])
                    .await;
                assert_ne!(r.status, 200, "{user} got the secret without a token");
            }
        }
        let anonymous = app.post_form("/upload/key", None, &[("csrf", "x")]).await;
        assert_ne!(anonymous.status, 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_users_list_only_their_own_records() {
    for app in apps().await {
        let fp = app.login("fp").await;
        let r = app
            .get("/api/v1/records?entity=victim&limit=1000", Some(&fp))
            .await;
        assert_eq!(r.status, 200);
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let recs = v["records"].as_array().unwrap();
        assert!(
            !recs.is_empty(),
            "{}: the focal point sees its records",
            app.engine
        );
        assert!(recs.iter().all(|r| r["provider_id"] == OWN));
        let coord = app.login("coord").await;
        let r = app
            .get("/api/v1/records?entity=victim&limit=1000", Some(&coord))
            .await;
        let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        let providers: std::collections::BTreeSet<_> = v["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["provider_id"].as_str().unwrap().to_string())
            .collect();
        assert!(
            providers.len() > 3,
            "the coordinator sees every provider: {providers:?}"
        );
    }
}
