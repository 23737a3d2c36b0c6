//! Setting a deployment up and serving it: `tessera init`, `serve` and `demo`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use tessera_dictionary::{Dictionary, Role};
use tessera_pseudonym::KeyedEncoder;
use tessera_store::actions;

use crate::common::{DbArgs, Global, bar, dictionary_of, load_or_create_secret, open_store};

/// The deployment extension the demo is collected under (Central African Republic).
const DEMO_EXTENSION: &str = include_str!("../../../dictionary/extensions/cf.toml");

/// The demo's National Action Plan indicators (4 Ps), shown on the NAP dashboard.
const DEMO_NAP: &str = include_str!("../../../config/nap/cf-demo.toml");

#[derive(clap::Args)]
pub struct InitArgs {
    /// Username of the first administrator.
    #[arg(long, default_value = "admin")]
    admin: String,
    /// Password of the first administrator (at least 12 characters).
    #[arg(long, env = "TESSERA_ADMIN_PASSWORD")]
    password: String,
    /// Deployment extension file (national regions, forms of exploitation, variables).
    #[arg(long)]
    extension: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Fill an empty database with the demo deployment first (with one account per role,
    /// password `demo-password-2026`).
    #[arg(long)]
    demo: bool,
    /// Send cookies without the Secure flag. Only for plain-HTTP access on the loopback
    /// interface (the default when listening there); production runs behind TLS.
    #[arg(long)]
    insecure_cookies: bool,
    /// Let focal points pseudonymise CSV files in their browser before uploading them (the
    /// encoder compiled to WebAssembly). This hands the deployment secret to every focal
    /// point who uses it (each time audited), as giving their office the key file for
    /// `tessera pseudonymise` would. On with --demo.
    #[arg(long)]
    browser_pseudonymisation: bool,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Number of person records (victims, suspects, smuggled migrants) to generate.
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    /// Random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Where to write the ground truth (provider, entity, provider_ref, person_id).
    #[arg(long, default_value = "tessera-truth.csv")]
    truth: PathBuf,
    /// Benchmarks only: also write every person record's invented identifiers in clear, with
    /// its true person, so other linkage tools (Splink…) can run on the same data.
    #[arg(long)]
    clear_out: Option<PathBuf>,
}

/// `tessera init`: a new database, its deployment extension and its first administrator.
pub async fn init(g: &Global, args: InitArgs) -> Result<()> {
    let db = g.db();
    let InitArgs {
        admin,
        password,
        extension,
    } = args;
    // The secret first: the administrator's creation is the first keyed audit entry.
    load_or_create_secret(&db)?;
    let store = open_store(&db).await?;
    if store.count_users().await? > 0 {
        bail!(
            "{} already has users; init creates the first administrator only",
            db.db
        );
    }
    if let Some(ext) = extension {
        let text = std::fs::read_to_string(&ext)
            .with_context(|| format!("cannot read {}", ext.display()))?;
        Dictionary::base()?.with_extension_text(&ext.display().to_string(), &text)?;
        store.set_setting("dictionary_extension", &text).await?;
    }
    store
        .create_user(&admin, "Administrator", &password, Role::Admin, None, "en")
        .await?;
    store
        .audit("cli", actions::USER_CREATE, &admin, "{\"role\":\"admin\"}")
        .await?;
    eprintln!("Created {} with administrator \"{admin}\".", db.db);
    Ok(())
}

/// `tessera serve`: the web application, after filling an empty database with the demo if asked.
pub async fn serve(g: &Global, args: ServeArgs) -> Result<()> {
    let db = g.db();
    let ServeArgs {
        listen,
        demo,
        insecure_cookies,
        browser_pseudonymisation,
    } = args;
    if demo {
        let store = open_store(&db).await?;
        let empty = store.providers().await?.is_empty();
        store.close().await;
        if empty {
            run_demo(&db, 20_000, 2026, Path::new("tessera-truth.csv"), None).await?;
        }
    }
    let secret = load_or_create_secret(&db)?;
    let store = open_store(&db).await?;
    let dict = dictionary_of(&store).await?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let loopback = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
    let encoder: Arc<dyn tessera_pseudonym::Encoder> = Arc::new(KeyedEncoder::new(&secret));
    let config = tessera_web::Config {
        secure_cookies: !(insecure_cookies || loopback),
        browser_secret: (browser_pseudonymisation || demo).then(|| secret.clone()),
        ..tessera_web::Config::default()
    };
    eprintln!("Tessera is serving {} on http://{listen}/", db.db);
    tessera_web::serve(
        listener,
        tessera_web::AppState::new(store, dict, encoder, config),
    )
    .await?;
    Ok(())
}

/// `tessera demo`.
pub async fn demo(g: &Global, args: DemoArgs) -> Result<()> {
    let db = g.db();
    let DemoArgs {
        records,
        seed,
        truth,
        clear_out,
    } = args;
    run_demo(&db, records, seed, &truth, clear_out.as_deref()).await
}

async fn run_demo(
    db: &DbArgs,
    records: usize,
    seed: u64,
    truth: &Path,
    clear_out: Option<&Path>,
) -> Result<()> {
    let secret = load_or_create_secret(db)?;
    let store = open_store(db).await?;
    if !store.providers().await?.is_empty() {
        bail!(
            "{} already holds data; the demo needs an empty database (remove the file or choose another --db)",
            db.db
        );
    }
    let dict =
        Dictionary::base()?.with_extension_text("dictionary/extensions/cf.toml", DEMO_EXTENSION)?;
    store
        .set_setting("dictionary_extension", DEMO_EXTENSION)
        .await?;
    let encoder: Arc<dyn tessera_pseudonym::Encoder> = Arc::new(KeyedEncoder::new(&secret));
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(truth)
            .with_context(|| format!("cannot write {}", truth.display()))?,
    );
    let pb = bar(records as u64, "person records");
    let started = std::time::Instant::now();
    let mut clear = match clear_out {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => None,
    };
    let summary = tessera_demo::run_with_clear(
        &store,
        &dict,
        encoder,
        records,
        seed,
        &mut out,
        clear.as_mut().map(|w| w as &mut dyn Write),
        |n| pb.set_position(n as u64),
    )
    .await?;
    out.flush()?;
    if let Some(w) = clear.as_mut() {
        w.flush()?;
    }
    pb.finish_and_clear();
    tessera_demo::create_demo_users(&store).await?;
    store.set_setting("nap_plan", DEMO_NAP).await?;
    store
        .audit(
            "cli",
            actions::DEMO_CREATE,
            &db.db,
            &format!("{{\"records\":{records},\"seed\":{seed}}}"),
        )
        .await?;
    let mut by: Vec<_> = summary.records_by_entity.iter().collect();
    by.sort();
    eprintln!(
        "Demo deployment written to {} in {:.1} s: {} persons behind {} person records, {} other records ({}). Ground truth: {}",
        db.db,
        started.elapsed().as_secs_f64(),
        summary.persons,
        summary.person_records,
        summary.other_records,
        by.iter()
            .map(|(e, n)| format!("{e} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        truth.display()
    );
    eprintln!(
        "Accounts, one per role: admin, coordinator, analyst, partner, fp-<provider> (focal point), view-<provider>; password \"{}\" (demo only).",
        tessera_demo::DEMO_PASSWORD
    );
    store.close().await;
    Ok(())
}
