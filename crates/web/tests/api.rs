//! The API behaves like one (issue 17): 401 problem documents on every `/api/` path without
//! valid credentials, never the sign-in page; messages in the language of `?lang=` or
//! `Accept-Language`; JSON records numbered from 1 with every problem of every record at once;
//! the import's summary returned; the dictionary's schemas in the OpenAPI document and at
//! `/api/v1/dictionary`, every parameter and content type documented. And the web's data entry
//! says what an import left unchanged and what reading repaired, as the audit log does.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, header};
use common::{OWN, apps};
use serde_json::{Value, json};
use tessera_dictionary::ProviderId;
use tessera_store::Access;

fn request(method: Method, path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, "localhost");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    b.body(body).unwrap()
}

fn json_of(r: &common::Reply) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", r.body))
}

fn assert_problem(r: &common::Reply, status: u16, what: &str) -> Value {
    assert_eq!(r.status, status, "{what}: {}", r.body);
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/problem+json",
        "{what}"
    );
    let p = json_of(r);
    assert_eq!(p["status"], status, "{what}");
    assert!(
        p["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{what}"
    );
    p
}

/// Every operation of the OpenAPI document, its path parameters filled in, with its method.
fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let path = path.replace("{id}", "1").replace("{action}", "submit");
        for method in ops.as_object().unwrap().keys() {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            out.push((m, format!("/api/v1{path}")));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_path_answers_401_problems_without_valid_credentials() {
    let app = apps().await.remove(0);
    let doc = json_of(&app.get("/api/v1/openapi.json", None).await);
    let mut cases = operations(&doc);
    assert!(cases.len() >= 12, "{cases:?}");
    // Paths and methods no route has: a stranger learns nothing from them either.
    cases.extend([
        (Method::GET, "/api/v1/nope".to_string()),
        (Method::DELETE, "/api/v1/records".to_string()),
        (Method::PUT, "/api/v1/providers".to_string()),
        (Method::GET, "/api/v2/records".to_string()),
        (Method::GET, "/api".to_string()),
        (Method::GET, "/api/".to_string()),
        (Method::GET, "/api/v1/records/not-a-number".to_string()),
        (Method::GET, "/api/v1/records?limit=many".to_string()),
    ]);
    let fp = app.store.user("fp").await.unwrap().unwrap();
    let token = app.store.create_api_token(fp.id, "t").await.unwrap();
    app.store.revoke_api_tokens(fp.id, "t").await.unwrap();
    let revoked = format!("Bearer {token}");
    for (method, path) in &cases {
        for auth in [
            None,
            Some("Bearer tsr_unknown"),
            Some(revoked.as_str()),
            Some("Basic YWRtaW46cGFzc3dvcmQ="),
            Some("tsr_without_the_word_bearer"),
        ] {
            let mut headers = vec![("content-type", "application/json")];
            if let Some(a) = auth {
                headers.push(("authorization", a));
            }
            let r = app
                .send(request(
                    method.clone(),
                    path,
                    &headers,
                    Body::from("{\"entity\":\"victim\"}"),
                ))
                .await;
            let what = format!("{method} {path} with {auth:?}");
            assert_problem(&r, 401, &what);
            assert!(r.headers.contains_key(header::WWW_AUTHENTICATE), "{what}");
            assert!(r.headers.get(header::LOCATION).is_none(), "{what}");
        }
    }
    // A session cookie that is not one, and a session still waiting for its second factor or
    // a new password, are no API credentials either.
    let r = app.get("/api/v1/records", Some("tessera=forged")).await;
    assert_problem(&r, 401, "forged cookie");
    let admin = app.login("admin").await;
    let acsrf = app.csrf(&admin).await;
    let viewer = app.store.user("viewer").await.unwrap().unwrap();
    let r = app
        .post_form(
            &format!("/admin/users/{}/reset", viewer.id),
            Some(&admin),
            &[("csrf", &acsrf), ("password", "temporary password 1")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = app
        .post_form(
            "/login",
            None,
            &[("username", "viewer"), ("password", "temporary password 1")],
        )
        .await;
    let session = common::cookie_of(&r).unwrap();
    let r = app.get("/api/v1/records", Some(&session)).await;
    let p = assert_problem(&r, 403, "a session that must change its password");
    assert!(p["detail"].as_str().unwrap().contains("/account/password"));
    // The document itself is public, and a page still sends a stranger to sign in.
    assert_eq!(app.get("/api/v1/openapi.json", None).await.status, 200);
    assert_eq!(app.get("/records", None).await.status, 303);
    // Signed in, an unknown route or method is a 404 or 405 problem.
    let coord = app.store.user("coord").await.unwrap().unwrap();
    let token = app.store.create_api_token(coord.id, "t").await.unwrap();
    let bearer = format!("Bearer {token}");
    for (method, path, status) in [
        (Method::GET, "/api/v1/nope", 404),
        (Method::GET, "/api/v2/records", 404),
        (Method::DELETE, "/api/v1/records", 405),
        (Method::GET, "/api/v1/records/not-a-number", 400),
        (Method::GET, "/api/v1/records?limit=many", 400),
    ] {
        let r = app
            .send(request(
                method.clone(),
                path,
                &[("authorization", &bearer)],
                Body::empty(),
            ))
            .await;
        assert_problem(&r, status, &format!("{method} {path}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_language_and_lang_choose_the_language_of_messages() {
    let app = apps().await.remove(0);
    let anon =
        |headers: &[(&str, &str)], path: &str| request(Method::GET, path, headers, Body::empty());
    let fr = app
        .send(anon(
            &[("accept-language", "de-DE, fr-CF;q=0.9, en;q=0.5")],
            "/api/v1/records",
        ))
        .await;
    let p = assert_problem(&fr, 401, "French");
    assert!(
        p["detail"].as_str().unwrap().contains("Connectez-vous"),
        "{p}"
    );
    assert_eq!(fr.headers[header::CONTENT_LANGUAGE], "fr");
    let en = app
        .send(anon(
            &[("accept-language", "fr")],
            "/api/v1/records?lang=en",
        ))
        .await;
    let p = assert_problem(&en, 401, "?lang= wins");
    assert!(p["detail"].as_str().unwrap().starts_with("Sign in"), "{p}");
    // A focal point whose own language is English asks for French: the validation report is
    // in French.
    let fp = app.store.user("fp").await.unwrap().unwrap();
    assert_eq!(fp.locale, "en");
    let token = app.store.create_api_token(fp.id, "t").await.unwrap();
    let bearer = format!("Bearer {token}");
    let body = json!({"entity": "victim", "period": "2025", "records": [
        {"provider_ref": "L-1", "identification_status": "IDENTIFIED", "date_identified": "someday", "sex": "F", "exploitation": ["SEX"]}
    ]});
    let post = |lang: &'static str| {
        request(
            Method::POST,
            "/api/v1/records",
            &[
                ("authorization", bearer.as_str()),
                ("content-type", "application/json"),
                ("accept-language", lang),
            ],
            Body::from(body.to_string()),
        )
    };
    let r = app.send(post("fr-FR")).await;
    let p = assert_problem(&r, 422, "French report");
    assert_eq!(r.headers[header::CONTENT_LANGUAGE], "fr");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("Rien n’a été enregistré"),
        "{p}"
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ce n'est pas une date"),
        "{p}"
    );
    let r = app.send(post("en-GB")).await;
    let p = assert_problem(&r, 422, "English report");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not a date")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_records_are_numbered_from_one_with_every_problem_of_every_record() {
    for app in apps().await {
        let fp = app.store.user("fp").await.unwrap().unwrap();
        let token = app.store.create_api_token(fp.id, "t").await.unwrap();
        let bearer = format!("Bearer {token}");
        let own = Access::Provider(ProviderId::parse(OWN).unwrap());
        let before = app.store.count_records(&own, Some("victim")).await.unwrap();
        let body = json!({"entity": "victim", "period": "2025", "records": [
            // Record 1: a key that is no variable, and a date that is none.
            {"provider_ref": "N-1", "identification_status": "IDENTIFIED", "date_identified": "2025-13-40",
             "sex": "F", "exploitation": ["SEX"], "colour": "blue", "sexe": "F"},
            // Record 2: clean.
            {"provider_ref": "N-2", "identification_status": "IDENTIFIED", "date_identified": "2025-01-02",
             "sex": "M", "exploitation": ["LAB", "Forced begging"]},
            // Record 3: a required value missing, a code no list has.
            {"provider_ref": "N-3", "identification_status": "IDENTIFIED", "date_identified": "2025-01-02",
             "sex": "Q"},
        ]});
        let r = app
            .send(request(
                Method::POST,
                "/api/v1/records",
                &[
                    ("authorization", &bearer),
                    ("content-type", "application/json"),
                ],
                Body::from(body.to_string()),
            ))
            .await;
        let p = assert_problem(&r, 422, app.engine);
        let errors: Vec<(i64, String, String)> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["row"].as_i64().unwrap(),
                    e["column"].as_str().unwrap().to_string(),
                    e["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let has = |row: i64, column: &str, rule: &str| {
            errors
                .iter()
                .any(|(r, c, k)| *r == row && c == column && k == rule)
        };
        assert!(has(1, "colour", "column"), "{errors:?}");
        assert!(has(1, "sexe", "column"), "{errors:?}");
        assert!(has(1, "date_identified", "date"), "{errors:?}");
        assert!(has(3, "sex", "code"), "{errors:?}");
        assert!(has(3, "exploitation", "required"), "{errors:?}");
        assert!(
            !errors.iter().any(|(r, _, _)| *r == 2 || *r > 3),
            "{errors:?}"
        );
        assert!(
            errors.windows(2).all(|w| w[0].0 <= w[1].0),
            "in record order: {errors:?}"
        );
        let sexe = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["column"] == "sexe")
            .unwrap();
        assert_eq!(
            sexe["suggestion"], "sex",
            "a mistyped key names the variable"
        );
        assert_eq!(
            app.store.count_records(&own, Some("victim")).await.unwrap(),
            before,
            "nothing stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_returns_its_summary_and_every_content_type_is_taken() {
    let app = apps().await.remove(0);
    let fp = app.store.user("fp").await.unwrap().unwrap();
    let token = app.store.create_api_token(fp.id, "t").await.unwrap();
    let bearer = format!("Bearer {token}");
    let send = |ctype: &str, path: &str, body: Vec<u8>| {
        request(
            Method::POST,
            path,
            &[("authorization", &bearer), ("content-type", ctype)],
            Body::from(body),
        )
    };
    let body = json!({"entity": "victim", "period": "2025", "records": [
        {"provider_ref": "S-1", "identification_status": "Identified victim", "date_identified": "2025-01-02",
         "sex": "F", "exploitation": ["SEX"], "age": "34.0", "given_name": "Awa", "family_name": "Zanga"},
    ]})
    .to_string();
    let r = app
        .send(send(
            "application/json",
            "/api/v1/records",
            body.clone().into_bytes(),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let s = json_of(&r);
    assert_eq!(
        (s["inserted"].as_i64(), s["unchanged"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(s["summary"]["records"], 1);
    assert_eq!(s["summary"]["repairs_total"], 1);
    assert_eq!(
        s["summary"]["repairs"][0],
        json!({"row": 1, "column": "age", "from": "34.0", "to": "34", "kind": "whole_number"})
    );
    // The same again: left as it was.
    let r = app
        .send(send(
            "application/json; charset=utf-8",
            "/api/v1/records",
            body.into_bytes(),
        ))
        .await;
    let s = json_of(&r);
    assert_eq!(
        (s["inserted"].as_i64(), s["unchanged"].as_i64()),
        (Some(0), Some(1)),
        "{s}"
    );
    // A CSV body, rows numbered as a spreadsheet shows them.
    let csv = "provider_ref,identification_status,date_identified,sex,exploitation\nC-1,IDENTIFIED,2025-01-02,F,SEX\nC-2,IDENTIFIED,2025-01-02,Q,SEX\n";
    let r = app
        .send(send(
            "text/csv",
            "/api/v1/records?entity=victim&period=2025",
            csv.as_bytes().to_vec(),
        ))
        .await;
    let p = assert_problem(&r, 422, "CSV");
    assert_eq!(p["errors"][0]["row"], 3);
    // An XLSX body.
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    for (c, (h, v)) in [
        ("provider_ref", "X-1"),
        ("identification_status", "IDENTIFIED"),
        ("date_identified", "2025-01-02"),
        ("sex", "M"),
        ("exploitation", "LAB"),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
        ws.write_string(1, c as u16, *v).unwrap();
    }
    let r = app
        .send(send(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "/api/v1/records?entity=victim&period=2025",
            wb.save_to_buffer().unwrap(),
        ))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(json_of(&r)["inserted"], 1);
    // Anything else is refused as such.
    let r = app
        .send(send(
            "application/xml",
            "/api/v1/records?entity=victim&period=2025",
            b"<victim/>".to_vec(),
        ))
        .await;
    assert_problem(&r, 415, "XML");
    // The upload is audited with what reading did.
    let entries = app
        .store
        .audit_entries(
            Some("fp"),
            Some(tessera_store::actions::SUBMISSION_UPLOAD),
            10,
        )
        .await
        .unwrap();
    let details: Vec<Value> = entries
        .iter()
        .map(|e| serde_json::from_str(&e.detail).unwrap())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d["unchanged"] == 1 && d["repaired"] == 1 && d["repairs"][0]["to"] == "34"),
        "{details:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dictionary_and_the_openapi_document_describe_every_entity_and_parameter() {
    let app = apps().await.remove(0);
    let analyst = app.store.user("analyst").await.unwrap().unwrap();
    let token = app.store.create_api_token(analyst.id, "t").await.unwrap();
    let r = app
        .send(request(
            Method::GET,
            "/api/v1/dictionary",
            &[("authorization", &format!("Bearer {token}"))],
            Body::empty(),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let d = json_of(&r);
    assert_eq!(d["version"], app.state.dict.full_version());
    let victim = &d["entities"]["victim"]["input_schema"];
    assert_eq!(
        victim["properties"]["sex"]["enum"],
        json!(["F", "M", "X", "UNK"])
    );
    assert_eq!(
        victim["properties"]["sex"]["x-enum-labels"]["M"]["fr"],
        "Masculin"
    );
    assert!(
        victim["required"]
            .as_array()
            .unwrap()
            .contains(&json!("date_identified"))
    );
    // The country's regions, from its extension.
    assert!(
        d["codelists"]["region"]["codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "CF-BGF")
    );

    let doc = json_of(&app.get("/api/v1/openapi.json", None).await);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for e in app.state.dict.entities.keys() {
        let name = tessera_web::apidoc::schema_name(e, "Input");
        assert!(schemas.contains_key(&name), "{name}");
        assert!(schemas.contains_key(&tessera_web::apidoc::schema_name(e, "Data")));
    }
    // The same variables and requirements, the code lists as components.
    let input = &schemas["VictimInput"];
    assert_eq!(input["required"], victim["required"]);
    assert_eq!(
        input["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        victim["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>()
    );
    assert_eq!(
        input["properties"]["sex"]["allOf"][0]["$ref"],
        "#/components/schemas/SexCode"
    );
    assert_eq!(schemas["SexCode"]["enum"], json!(["F", "M", "X", "UNK"]));
    assert_eq!(
        schemas["RegionCode"]["x-enum-labels"]["CF-BGF"]["en"],
        "Bangui"
    );
    assert_eq!(
        doc["components"]["schemas"]["RecordsBody"]["discriminator"]["propertyName"],
        "entity"
    );
    // Every operation takes ?lang= and Accept-Language and says it answers 401.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let params = op["parameters"].as_array().unwrap();
            for p in ["lang", "acceptLanguage"] {
                assert!(
                    params.contains(&json!({"$ref": format!("#/components/parameters/{p}")})),
                    "{method} {path} lacks {p}"
                );
            }
            assert!(op["responses"]["401"].is_object(), "{method} {path}");
        }
    }
    let content = doc["paths"]["/records"]["post"]["requestBody"]["content"]
        .as_object()
        .unwrap();
    for ctype in [
        "application/json",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ] {
        assert!(content.contains_key(ctype), "{ctype}");
    }
    assert!(doc["paths"]["/dictionary"]["get"].is_object());
    // Every schema reference resolves.
    let text = doc.to_string();
    for part in text.split("\"#/components/").skip(1) {
        let reference = part.split('"').next().unwrap();
        let mut parts = reference.split('/');
        let (kind, name) = (parts.next().unwrap(), parts.next().unwrap());
        assert!(
            doc["components"][kind][name].is_object(),
            "#/components/{reference} does not resolve"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_form_says_what_was_unchanged_and_what_reading_repaired() {
    let app = apps().await.remove(0);
    let fp = app.login("fp").await;
    let csrf = app.csrf(&fp).await;
    let form = [
        ("csrf", csrf.as_str()),
        ("_period", "2025"),
        ("provider_ref", "FORM-1"),
        ("identification_status", "IDENTIFIED"),
        ("date_identified", "2025-02-03"),
        ("sex", "F"),
        ("exploitation", "SEX"),
        ("age", "34.0"),
    ];
    let r = app
        .post_form("/records/new?entity=victim", Some(&fp), &form)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"entry-result\""), "{}", r.body);
    assert!(
        r.body.contains("1 new, 0 updated, 0 unchanged"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("id=\"entry-notes\"") && r.body.contains("read as the whole number 34"),
        "{}",
        r.body
    );
    let r = app
        .post_form("/records/new?entity=victim&lang=fr", Some(&fp), &form)
        .await;
    assert!(r.body.contains("1 inchangée(s)"), "{}", r.body);
}
