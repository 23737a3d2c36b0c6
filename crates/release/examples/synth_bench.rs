//! The synthetic-microdata benchmark beside Microsoft's pac-synth (see BENCHMARKS.md and
//! `bench/compare_pacsynth.py`). Two steps, so that the synthesis is timed and measured on its
//! own, from the same file pac-synth reads:
//!
//! * `synth_bench export DB REAL.csv` — the real persons (one row per unique victim, releasable
//!   variables, as `tessera release synthetic` reads them) as CSV, and their variables' domains
//!   as `REAL.csv.domain.json`. Real data: for benchmarks on demo databases only.
//! * `synth_bench synth REAL.csv EPSILON SEED OUT.csv` — synthesises from that file as the
//!   release does (disclosure threshold 5) and writes the synthetic persons.
//! * `synth_bench dp REAL.csv EPSILON SEED OUT.csv` — the differentially private tables of
//!   `tessera release dp` (default table, victims only) from that file, timed alone.

use std::time::Instant;

use tessera_release::microdata::{PersonTable, Variable};
use tessera_release::synthetic::{QUASI_IDENTIFIERS, synthesise, utility};
use tessera_release::{Epsilon, Selection, generator, releasable, victim_persons};

fn fail(msg: String) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}

async fn export(db: &str, out: &str) {
    let store = tessera_store::Store::open(db)
        .await
        .unwrap_or_else(|e| fail(format!("{db}: {e}")));
    let base = tessera_dictionary::Dictionary::base().unwrap_or_else(|e| fail(e.to_string()));
    let dict = match store.setting("dictionary_extension").await {
        Ok(Some(text)) => base
            .with_extension_text("stored extension", &text)
            .unwrap_or_else(|e| fail(e.to_string())),
        _ => base,
    };
    let periods = store
        .periods()
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    let years = (
        periods
            .iter()
            .map(|p| p.starts_on.year())
            .min()
            .unwrap_or(2020),
        periods
            .iter()
            .map(|p| p.ends_on.year())
            .max()
            .unwrap_or(2024),
    );
    let facts = tessera_analysis::Facts::build(&store, &dict)
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    let map = tessera_analysis::link_persons(&store)
        .await
        .unwrap_or_else(|e| fail(e.to_string()));
    let sel = Selection {
        variables: releasable(&dict),
        years,
        victims_only: false,
    };
    let t = victim_persons(&facts, &map, &dict, &sel).unwrap_or_else(|e| fail(e.to_string()));
    std::fs::write(out, t.to_csv()).unwrap_or_else(|e| fail(format!("{out}: {e}")));
    let domain: Vec<(String, Vec<String>)> = t
        .variables
        .iter()
        .map(|v| (v.code.clone(), v.values.clone()))
        .collect();
    std::fs::write(
        format!("{out}.domain.json"),
        serde_json::to_string(&domain).unwrap_or_default(),
    )
    .unwrap_or_else(|e| fail(format!("{out}.domain.json: {e}")));
    eprintln!("{} persons, {} variables", t.rows.len(), t.variables.len());
}

fn read(real: &str) -> PersonTable {
    let domain: Vec<(String, Vec<String>)> = serde_json::from_str(
        &std::fs::read_to_string(format!("{real}.domain.json"))
            .unwrap_or_else(|e| fail(format!("{real}.domain.json: {e}"))),
    )
    .unwrap_or_else(|e| fail(e.to_string()));
    let variables: Vec<Variable> = domain
        .into_iter()
        .map(|(code, values)| Variable { code, values })
        .collect();
    let text = std::fs::read_to_string(real).unwrap_or_else(|e| fail(format!("{real}: {e}")));
    let rows = text
        .lines()
        .skip(1)
        .map(|l| {
            l.split(',')
                .zip(&variables)
                .map(|(cell, v)| {
                    v.values
                        .iter()
                        .position(|x| x == cell)
                        .unwrap_or_else(|| fail(format!("{cell} is not a value of {}", v.code)))
                        as u16
                })
                .collect()
        })
        .collect();
    PersonTable { variables, rows }
}

fn synth(real: &str, eps: &str, seed: &str, out: &str) {
    let t = read(real);
    let e = Epsilon::parse(eps, false).unwrap_or_else(|e| fail(e.to_string()));
    let seed: u64 = seed
        .parse()
        .unwrap_or_else(|_| fail(format!("seed {seed}")));
    let started = Instant::now();
    let s = synthesise(&t, e, 5, QUASI_IDENTIFIERS, &mut generator(Some(seed)))
        .unwrap_or_else(|e| fail(e.to_string()));
    let took = started.elapsed();
    std::fs::write(out, s.table.to_csv()).unwrap_or_else(|e| fail(format!("{out}: {e}")));
    let u = utility(&t, &s);
    eprintln!(
        "synthesised {} persons from {} in {took:.2?} ({} withheld); TVD mean 1-way {:.4}, 2-way {:.4}, 3-way {:.4}",
        s.table.rows.len(),
        t.rows.len(),
        s.withheld,
        u.one_way.0,
        u.two_way.0,
        u.three_way.0
    );
}

fn dp(real: &str, eps: &str, seed: &str, out: &str) {
    let t = read(real);
    let e = Epsilon::parse(eps, false).unwrap_or_else(|e| fail(e.to_string()));
    let seed: u64 = seed
        .parse()
        .unwrap_or_else(|_| fail(format!("seed {seed}")));
    let keep: Vec<usize> = tessera_release::dp::DEFAULT_TABLE
        .iter()
        .map(|c| t.position(c).unwrap_or_else(|| fail(format!("no {c}"))))
        .collect();
    let status = t.position("identification_status");
    let not_victim =
        status.and_then(|s| t.variables[s].values.iter().position(|v| v == "NOT_VICTIM"));
    let victims = PersonTable {
        variables: keep.iter().map(|&k| t.variables[k].clone()).collect(),
        rows: t
            .rows
            .iter()
            .filter(|r| {
                status
                    .zip(not_victim)
                    .is_none_or(|(s, nv)| r[s] as usize != nv)
            })
            .map(|r| keep.iter().map(|&k| r[k]).collect())
            .collect(),
    };
    let started = Instant::now();
    let rel = tessera_release::dp::release(&victims, e, &mut generator(Some(seed)))
        .unwrap_or_else(|e| fail(e.to_string()));
    let csv = rel.to_csv();
    eprintln!(
        "released {} cells and their margins for {} persons in {:.2?}",
        rel.cells.len(),
        victims.rows.len(),
        started.elapsed()
    );
    std::fs::write(out, csv).unwrap_or_else(|e| fail(format!("{out}: {e}")));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("export") if args.len() == 4 => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| fail(e.to_string()));
            rt.block_on(export(&args[2], &args[3]));
        }
        Some("synth") if args.len() == 6 => synth(&args[2], &args[3], &args[4], &args[5]),
        Some("dp") if args.len() == 6 => dp(&args[2], &args[3], &args[4], &args[5]),
        _ => fail(
            "usage: synth_bench export DB REAL.csv | synth_bench synth|dp REAL.csv EPSILON SEED OUT.csv"
                .into(),
        ),
    }
}
