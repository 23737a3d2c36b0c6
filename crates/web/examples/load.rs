//! Load benchmark: N focal points submitting records through the API at once, for a while.
//!
//! ```text
//! cargo run --release -p tessera-web --example load -- --db tessera.db --url http://127.0.0.1:8080 \
//!     [--users 200] [--seconds 60]
//! ```
//! Against a running `tessera serve` on the same database: creates N focal points spread over the
//! providers, each with an API token, then each sends one JSON record per request to
//! `POST /api/v1/records` as fast as the server answers. At the end it compares the records
//! found in the database with the requests the server acknowledged (201) — nothing may be lost —
//! and prints throughput and p50/p99 latency.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use tessera_dictionary::Role;
use tessera_store::{Access, Store};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = arg(&args, "--db").expect("--db tessera.db (the served database)");
    let url = arg(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let users: usize = arg(&args, "--users").map_or(200, |v| v.parse().unwrap());
    let seconds: u64 = arg(&args, "--seconds").map_or(60, |v| v.parse().unwrap());
    let store = Store::open(&db).await.expect("the database");
    let providers = store.providers().await.unwrap();
    assert!(!providers.is_empty(), "run `tessera demo` first");
    let run = std::process::id();
    let mut tokens = Vec::new();
    for i in 0..users {
        let p = &providers[i % providers.len()];
        let name = format!("load-{run}-{i}");
        let u = store
            .create_user(
                &name,
                &name,
                "load test password",
                Role::FocalPoint,
                Some(&p.id),
                "en",
            )
            .await
            .unwrap();
        tokens.push((
            store.create_api_token(u.id, "load").await.unwrap(),
            p.provider_type.as_str().to_string(),
        ));
    }
    let before = store.count_records(&Access::National, None).await.unwrap();
    let client: Client<HttpConnector, Body> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(users)
        .build_http();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (i, (token, ptype)) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            // Each provider type sends the entity its template covers first.
            let (entity, base) = record_for(&ptype);
            let (mut ok, mut errors, mut lat) = (0u64, 0u64, Vec::new());
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let mut rec = base.clone();
                rec["provider_ref"] = serde_json::json!(format!("LOAD-{run}-{i}-{n}"));
                let body =
                    serde_json::json!({ "entity": entity, "period": "2025", "records": [rec] });
                let req = Request::post(format!("{url}/api/v1/records"))
                    .header(header::AUTHORIZATION, format!("Bearer {token}"))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap();
                let t = Instant::now();
                match client.request(req).await {
                    Ok(resp) if resp.status().as_u16() == 201 => {
                        ok += 1;
                        let _ = axum::body::to_bytes(Body::new(resp.into_body()), 1 << 20).await;
                    }
                    Ok(resp) => {
                        errors += 1;
                        let s = resp.status();
                        let b = axum::body::to_bytes(Body::new(resp.into_body()), 1 << 20)
                            .await
                            .unwrap_or_default();
                        if errors < 3 {
                            eprintln!("{s}: {}", String::from_utf8_lossy(&b));
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if errors < 3 {
                            eprintln!("transport error: {e}");
                        }
                    }
                }
                lat.push(t.elapsed().as_micros() as u32);
            }
            (ok, errors, lat)
        }));
    }
    let (mut ok, mut errors, mut lat) = (0u64, 0u64, Vec::new());
    for t in tasks {
        let (o, e, l) = t.await.unwrap();
        ok += o;
        errors += e;
        lat.extend(l);
    }
    let wall = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    let after = store.count_records(&Access::National, None).await.unwrap();
    let stored = (after - before) as u64;
    println!(
        "engine {} | {users} focal points for {wall:.1} s | acknowledged {ok} | errors {errors} | stored {stored} | lost {} | {:.0} req/s | p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms",
        store.engine_name(),
        ok as i64 - stored as i64,
        (ok + errors) as f64 / wall,
        pct(0.5),
        pct(0.99),
        pct(1.0),
    );
    if errors > 0 || stored != ok {
        std::process::exit(1);
    }
}

/// A valid record of the first entity a provider type sends.
fn record_for(ptype: &str) -> (&'static str, serde_json::Value) {
    match ptype {
        "PROSECUTION" | "COURT" => (
            "suspect",
            serde_json::json!({"date_recorded": "2025-03-01", "offence": "0204", "sex": "M", "citizenship": "TD"}),
        ),
        _ => (
            "victim",
            serde_json::json!({
                "identification_status": "IDENTIFIED", "date_identified": "2025-04-05", "sex": "F",
                "age": 16, "citizenship": "CF", "exploitation": ["SEX"],
                "given_name": "Awa", "family_name": "Ndiaye", "birth_date": "2009-02-03",
            }),
        ),
    }
}
