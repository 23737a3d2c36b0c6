//! Benchmark of the dashboard aggregates (issue 7): builds the facts from a stored demo, times
//! each dashboard query (p50 and p95 over repetitions), and exports the same approved rows to
//! CSV — straight from the store's JSON, not through the facts — for DuckDB to run the same
//! aggregates (`scripts/bench-analysis.py`). Each result line carries a checksum (cells and sum
//! of the first value) that the DuckDB script compares.
//!
//! cargo run --release -p tessera-analysis --example bench_analysis -- DB OUT_DIR [REPS]

use std::io::Write;
use std::time::Instant;

use serde_json::{Map, Value};
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::expr::Expr;
use tessera_analysis::{Facts, Measure, Table, Unit, aggregate};
use tessera_dictionary::Dictionary;
use tessera_store::{Access, Store};

fn p(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn checksum(t: &Table) -> (usize, f64) {
    (t.rows.len(), t.total())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let db = args
        .get(1)
        .ok_or("usage: bench_analysis DB OUT_DIR [REPS]")?;
    let out = std::path::PathBuf::from(args.get(2).ok_or("OUT_DIR")?);
    let reps: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(21);
    std::fs::create_dir_all(&out)?;
    let store = Store::open(db).await?;
    let dict = match store.setting("dictionary_extension").await? {
        Some(ext) => Dictionary::base()?.with_extension_text("extension.toml", &ext)?,
        None => Dictionary::base()?,
    };

    // The store's share of a build: one pass over every record, values not parsed.
    let t0 = Instant::now();
    let mut bytes = 0usize;
    let rows = store
        .for_each_fact(&Access::National, None, |r| bytes += r.data.len())
        .await?;
    let read = t0.elapsed().as_secs_f64();
    eprintln!(
        "read {rows} records ({} MB of JSON) from the store in {read:.2} s",
        bytes >> 20
    );
    println!("READ\t{read:.3}");
    let t0 = Instant::now();
    let facts = Facts::build(&store, &dict).await?;
    let build = t0.elapsed().as_secs_f64();
    let victims = facts.entity("victim")?;
    let approved = victims.approved.iter().filter(|a| **a).count();
    eprintln!(
        "facts built in {build:.2} s: {} victim records ({approved} approved), {} entities",
        victims.len(),
        facts.entities.len()
    );
    println!("BUILD\t{build:.3}");

    let national = Access::National;
    let t = Expr::True;
    let filtered =
        Expr::parse("year = 2023 and sex = \"F\" and provider_type in [\"NGO\", \"SOCIAL\"]")?;
    type Q<'a> = Box<dyn Fn() -> Table + 'a>;
    let agg = |entity: &'static str,
               dims: &'static [&'static str],
               f: &'static Expr,
               m: Measure<'static>|
     -> Q {
        let facts = &facts;
        let national = &national;
        Box::new(move || {
            aggregate(facts, entity, national, f, dims, m, Unit::Records, "en").unwrap()
        })
    };
    let t: &'static Expr = Box::leak(Box::new(t));
    let filtered: &'static Expr = Box::leak(Box::new(filtered));
    // A synthetic record → person map (two consecutive records per person) to time the
    // unique-person counting path; real maps come from linkage.
    let persons = tessera_analysis::PersonMap::from_pairs(
        victims.record_id.iter().map(|&id| (id, (id / 2) as u64)),
    );
    let persons = &persons;
    let fx = &facts;
    let queries: Vec<(&str, Q)> = vec![
        (
            "q01_victims_by_year",
            agg("victim", &["year"], t, Measure::Count),
        ),
        (
            "q02_victims_by_year_sex",
            agg("victim", &["year", "sex"], t, Measure::Count),
        ),
        (
            "q03_victims_by_age_band",
            agg("victim", &["age_band"], t, Measure::Count),
        ),
        (
            "q04_victims_by_exploitation",
            agg("victim", &["exploitation"], t, Measure::Count),
        ),
        (
            "q05_victims_by_citizenship",
            agg("victim", &["citizenship"], t, Measure::Count),
        ),
        (
            "q06_victims_by_region",
            agg("victim", &["region_identified"], t, Measure::Count),
        ),
        (
            "q07_victims_by_provider_type",
            agg("victim", &["provider_type"], t, Measure::Count),
        ),
        (
            "q08_victims_vulnerable",
            agg("victim", &["vulnerabilities"], t, Measure::Count),
        ),
        (
            "q09_victims_cross_border",
            agg("victim", &["cross_border"], t, Measure::Count),
        ),
        (
            "q10_victims_origin_exploitation",
            agg(
                "victim",
                &["country_of_origin", "country_of_exploitation"],
                t,
                Measure::Count,
            ),
        ),
        (
            "q11_filtered_by_exploitation",
            agg("victim", &["exploitation"], filtered, Measure::Count),
        ),
        (
            "q12_smuggling_migrants_by_year",
            agg(
                "smuggling_incident",
                &["year"],
                t,
                Measure::Sum("migrants_count"),
            ),
        ),
        (
            "q13_cj_funnel",
            Box::new(|| {
                tessera_analysis::funnel(
                    &facts,
                    &Scope::Internal(Access::National),
                    &Filters::default(),
                    "en",
                )
                .unwrap()
                .stages
            }),
        ),
        (
            "dash_victims_all_tables",
            Box::new(|| {
                let v = tessera_analysis::victims(
                    &facts,
                    &Scope::Internal(Access::National),
                    &Filters::default(),
                    Unit::Records,
                    "en",
                )
                .unwrap();
                v.by_year
            }),
        ),
        (
            "dash_victims_persons",
            Box::new(move || {
                let v = tessera_analysis::victims(
                    fx,
                    &Scope::Internal(Access::National),
                    &Filters::default(),
                    Unit::Persons(persons),
                    "en",
                )
                .unwrap();
                v.by_year
            }),
        ),
        (
            "dash_victims_partner_suppressed",
            Box::new(|| {
                let v = tessera_analysis::victims(
                    &facts,
                    &Scope::partner(),
                    &Filters::default(),
                    Unit::Records,
                    "en",
                )
                .unwrap();
                v.by_region
            }),
        ),
    ];
    for (name, q) in &queries {
        let mut times = Vec::with_capacity(reps);
        let mut result = q();
        for _ in 0..reps {
            let t0 = Instant::now();
            result = q();
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let (cells, sum) = checksum(&result);
        println!(
            "{name}\tp50_ms={:.2}\tp95_ms={:.2}\tcells={cells}\tsum={sum}",
            p(&times, 0.5),
            p(&times, 0.95)
        );
    }
    let unit_check = facts.fingerprint;
    eprintln!("fingerprint {unit_check:?}");

    // Export the approved rows for DuckDB, from the store's JSON (an independent path).
    let t0 = Instant::now();
    let providers = store.providers().await?;
    let ptype = |id: &str| {
        providers
            .iter()
            .find(|p| p.id.as_str() == id)
            .map(|p| p.provider_type.as_str().to_string())
            .unwrap_or_default()
    };
    let text = |m: &Map<String, Value>, k: &str| -> String {
        match m.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(";"),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        }
    };
    let year = |m: &Map<String, Value>, k: &str, period: &Option<String>| -> String {
        match m.get(k).and_then(Value::as_str) {
            Some(d) if d.len() >= 4 => d[..4].to_string(),
            _ => period.clone().unwrap_or_default(),
        }
    };
    let specs: [(&str, &str, &[&str]); 3] = [
        (
            "victim",
            "date_identified",
            &[
                "sex",
                "age_band",
                "citizenship",
                "exploitation",
                "region_identified",
                "country_of_origin",
                "country_of_exploitation",
                "transit_countries",
                "cross_border",
                "vulnerabilities",
                "referred_to_assistance",
                "identification_status",
            ],
        ),
        (
            "cj_case",
            "investigation_date",
            &[
                "offence",
                "stage",
                "investigation_date",
                "prosecution_date",
                "judgment_date",
                "verdict",
            ],
        ),
        (
            "smuggling_incident",
            "incident_date",
            &[
                "country_of_origin",
                "destination_country",
                "transport_mode",
                "migrants_count",
                "deaths",
                "injuries",
            ],
        ),
    ];
    for (entity, date_var, vars) in specs {
        let file = std::fs::File::create(out.join(format!("{entity}.csv")))?;
        let mut w = csv::Writer::from_writer(std::io::BufWriter::new(file));
        let mut header = vec!["id", "provider_id", "provider_type", "year"];
        header.extend(vars.iter().copied());
        w.write_record(&header)?;
        let mut err = None;
        store
            .for_each_fact(&Access::National, Some(entity), |row| {
                if !row.approved {
                    return;
                }
                let m: Map<String, Value> = serde_json::from_str(&row.data).unwrap_or_default();
                let mut rec = vec![
                    row.id.to_string(),
                    row.provider_id.clone(),
                    ptype(&row.provider_id),
                    year(&m, date_var, &row.period_id),
                ];
                rec.extend(vars.iter().map(|v| text(&m, v)));
                if let Err(e) = w.write_record(&rec) {
                    err = Some(e);
                }
            })
            .await?;
        if let Some(e) = err {
            return Err(e.into());
        }
        w.flush()?;
    }
    eprintln!(
        "CSV export in {:.1} s to {}",
        t0.elapsed().as_secs_f64(),
        out.display()
    );
    std::io::stdout().flush()?;
    Ok(())
}
