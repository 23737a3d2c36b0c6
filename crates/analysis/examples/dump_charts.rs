//! Writes every dashboard chart of a store as SVG next to its CSV, to look at them (and to show
//! the web layer what each call returns).
//!
//! cargo run -p tessera-analysis --example dump_charts -- DB OUT_DIR [en|fr]
//! (a missing DB is created with a 20,000-record demo first)

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::nap::NapPlan;
use tessera_analysis::{Chart, Facts, Unit, svg};
use tessera_dictionary::Dictionary;
use tessera_store::{Access, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let db = args.get(1).ok_or("usage: dump_charts DB OUT_DIR [lang]")?;
    let out = std::path::PathBuf::from(args.get(2).ok_or("OUT_DIR")?);
    let lang = args.get(3).map(String::as_str).unwrap_or("en");
    std::fs::create_dir_all(&out)?;
    let fresh = !std::path::Path::new(db).exists();
    let store = Store::open(db).await?;
    if fresh {
        // No database yet: a 20,000-record demo (Central African Republic extension).
        let ext = include_str!("../../../dictionary/extensions/cf.toml");
        let dict = Dictionary::base()?.with_extension_text("cf.toml", ext)?;
        store.set_setting("dictionary_extension", ext).await?;
        let enc =
            tessera_pseudonym::KeyedEncoder::new(&tessera_pseudonym::Secret::from_bytes(&[9; 32])?);
        tessera_demo::run(
            &store,
            &dict,
            std::sync::Arc::new(enc),
            20_000,
            1,
            &mut std::io::sink(),
            |_| {},
        )
        .await?;
    }
    let dict = match store.setting("dictionary_extension").await? {
        Some(ext) => Dictionary::base()?.with_extension_text("extension.toml", &ext)?,
        None => Dictionary::base()?,
    };
    let facts = Facts::build(&store, &dict).await?;
    let scope = Scope::Internal(Access::National);
    let all = Filters::default();
    let v = tessera_analysis::victims(&facts, &scope, &all, Unit::Records, lang)?;
    let p = tessera_analysis::victims(&facts, &Scope::partner(), &all, Unit::Records, lang)?;
    let fl = tessera_analysis::flows(&facts, "victim", &scope, &all, Unit::Records, lang)?;
    let sfl = tessera_analysis::flows(
        &facts,
        "smuggling_incident",
        &scope,
        &all,
        Unit::Records,
        lang,
    )?;
    let fu = tessera_analysis::funnel(&facts, &scope, &all, lang)?;
    let sm = tessera_analysis::smuggling(&facts, &scope, &all, Unit::Records, lang)?;
    let q = tessera_analysis::quality(
        &facts,
        &Access::National,
        &store.timeliness().await?,
        None,
        lang,
    )?;
    let plan = NapPlan::from_toml(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/nap/cf-demo.toml"),
        )?,
        &dict,
    )?;
    let nap = tessera_analysis::nap_progress(
        &facts,
        &plan,
        &Access::National,
        &store.timeliness().await?,
        lang,
    )?;
    let charts: Vec<Chart> = vec![
        svg::line(&v.by_year, lang),
        svg::stacked_bar(&v.by_year_sex, lang),
        svg::bar(&v.by_age_band, lang),
        svg::bar(&v.by_exploitation, lang),
        svg::bar(&v.by_region, lang),
        svg::bar(&v.vulnerable_groups, lang),
        svg::bar(&p.by_region, lang),
        svg::funnel(&fu.stages, lang),
        svg::flow(&fl.origin_destination.title, &fl.links, &fl.routes, 8, lang),
        svg::flow(&sfl.routes.title, &sfl.links, &sfl.routes, 8, lang),
        svg::stacked_bar(&sm.migrants_by_sex, lang),
        svg::line(&sm.by_year, lang),
        svg::line(&q.trend, lang),
        svg::heatmap(
            &q.variables,
            &dict
                .entities
                .values()
                .map(|e| (e.id.clone(), e.label.get(lang).to_string()))
                .collect::<Vec<_>>(),
            lang,
        ),
        svg::bar(&fl.routes, lang),
        svg::bar(&sm.routes, lang),
        svg::bar(&v.by_citizenship, lang),
        svg::stacked_bar(&fu.by_year, lang),
        svg::bar(&fu.verdicts, lang),
    ];
    for (i, c) in charts.iter().enumerate() {
        let name = format!("{i:02}-{}", c.table.id);
        std::fs::write(out.join(format!("{name}.svg")), &c.svg)?;
        std::fs::write(out.join(format!("{name}.csv")), c.csv())?;
        println!(
            "{name}: {} bytes of SVG, {} rows",
            c.svg.len(),
            c.table.rows.len()
        );
    }
    std::fs::write(out.join("nap.json"), serde_json::to_string_pretty(&nap)?)?;
    std::fs::write(out.join("durations.csv"), fu.durations.to_csv())?;
    Ok(())
}
