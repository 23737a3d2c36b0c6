//! Where the time of a report's data goes (issue 14's benchmark): reading the records into
//! facts, reading each person entity's pseudonyms, and linking them (with the linkage engine's
//! own stages).
//!
//! cargo run --release -p tessera-analysis --example facts_profile -- DB

use std::time::Instant;

use tessera_analysis::Facts;
use tessera_dictionary::Dictionary;
use tessera_linkage::{Config, Mode};
use tessera_store::{Access, Store};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = std::env::args().nth(1).ok_or("usage: facts_profile DB")?;
    let store = Store::open(&db).await?;
    let dict = match store.setting("dictionary_extension").await? {
        Some(ext) => Dictionary::base()?.with_extension_text("extension.toml", &ext)?,
        None => Dictionary::base()?,
    };
    let t = Instant::now();
    let facts = Facts::build(&store, &dict).await?;
    eprintln!(
        "facts: {:.2} s ({} victims)",
        t.elapsed().as_secs_f64(),
        facts.entity("victim")?.len()
    );
    for entity in tessera_analysis::PERSON_ENTITIES {
        let t = Instant::now();
        let rows = store.pseudonyms(&Access::National, entity).await?;
        eprintln!(
            "{entity}: {} pseudonym rows read in {:.2} s",
            rows.len(),
            t.elapsed().as_secs_f64()
        );
        drop(rows);
        let t = Instant::now();
        let run = tessera_analysis::link_entity(
            &store,
            entity,
            Config {
                mode: Mode::Dedupe,
                ..Config::default()
            },
        )
        .await?;
        let stages: Vec<String> = run
            .linked
            .result
            .stats
            .seconds
            .iter()
            .map(|(s, x)| format!("{s} {x:.2}"))
            .collect();
        eprintln!(
            "{entity}: linked in {:.2} s ({} pairs; {})",
            t.elapsed().as_secs_f64(),
            run.linked.result.stats.candidate_pairs,
            stages.join(", ")
        );
    }
    let t = Instant::now();
    let across = tessera_analysis::link_across(&store).await?;
    eprintln!(
        "victims and smuggled migrants linked across in {:.2} s ({} records)",
        t.elapsed().as_secs_f64(),
        across.records
    );
    Ok(())
}
