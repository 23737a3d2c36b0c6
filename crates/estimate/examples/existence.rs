//! Prints, for an overlap table (CSV: one 0/1 column per list, then `count`), how many of its
//! main-effects-plus-two-way models have a maximum-likelihood estimate, decided by the
//! Fienberg–Rinaldo linear program, and lists those that have none (up to 5 lists: every model).
//!
//! `cargo run --release -p tessera-estimate --example existence -- TABLE.csv`

use tessera_estimate::{Existence, Model, OverlapTable};

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: existence TABLE.csv");
        std::process::exit(2);
    };
    let table = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| OverlapTable::from_csv(&t).map_err(|e| e.to_string()))
    {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let k = table.k();
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .collect();
    if pairs.len() > 10 {
        println!("{path}: {k} lists; checking main effects and all two-way only");
        for m in [
            Model::main_effects(),
            Model {
                pairs: pairs.clone(),
            },
        ] {
            println!("  {}: {:?}", m.describe(&table.lists), m.existence(&table));
        }
        return;
    }
    let started = std::time::Instant::now();
    let (mut exists, mut boundary, mut unident) = (0, 0, 0);
    let mut failing = Vec::new();
    for mask in 0u32..(1 << pairs.len()) {
        let m = Model {
            pairs: (0..pairs.len())
                .filter(|b| mask & (1 << b) != 0)
                .map(|b| pairs[b])
                .collect(),
        };
        match m.existence(&table) {
            Existence::Exists => exists += 1,
            e => {
                if matches!(e, Existence::Boundary) {
                    boundary += 1
                } else {
                    unident += 1
                }
                failing.push(format!("  {:?}: {}", e, m.describe(&table.lists)));
            }
        }
    }
    println!(
        "{path}: {k} lists, {} models: {exists} exist, {boundary} on the boundary, {unident} not identifiable ({:.2?})",
        1u32 << pairs.len(),
        started.elapsed()
    );
    for f in failing.iter().take(12) {
        println!("{f}");
    }
}
