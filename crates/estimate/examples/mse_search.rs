//! Times the model searches on a table of many lists, every candidate model's existence decided
//! by the Fienberg–Rinaldo linear program: the stepwise search, and the check of every model of
//! up to two interactions.
//!
//! `cargo run --release -p tessera-estimate --example mse_search [-- TABLE.csv]`
//!
//! A table of up to 6 lists is also estimated by the 1,000-replicate BCa bootstrap (stepwise
//! selection, and so the existence checks, repeated in every replicate).
//!
//! Without a table, a 9-list table is simulated (seeded): 20,000 persons, each list catching
//! between 2% and 15% of them, a latent visibility that makes every list more likely to catch
//! the same persons, and referrals between three pairs of lists.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tessera_estimate::{Existence, Method, Model, OverlapTable, estimate, stepwise};

fn simulated() -> OverlapTable {
    let k = 9;
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let base = [0.15, 0.12, 0.10, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02];
    let mut counts = vec![0.0; 1 << k];
    for _ in 0..20_000 {
        let visibility: f64 = if rng.random::<f64>() < 0.3 { 2.0 } else { 0.6 };
        let mut pattern = 0usize;
        for (i, b) in base.iter().enumerate() {
            if rng.random::<f64>() < (b * visibility).min(0.9) {
                pattern |= 1 << i;
            }
        }
        // Referrals: list 0 → 3, 1 → 4, 2 → 6.
        for (from, to) in [(0, 3), (1, 4), (2, 6)] {
            if pattern & (1 << from) != 0 && rng.random::<f64>() < 0.25 {
                pattern |= 1 << to;
            }
        }
        counts[pattern] += 1.0;
    }
    let lists = (0..k).map(|i| format!("L{}", i + 1)).collect();
    OverlapTable::counted(lists, counts).expect("a 9-list table")
}

fn main() {
    let table = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| OverlapTable::from_csv(&t).map_err(|e| e.to_string()))
        {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{path}: {e}");
                std::process::exit(1);
            }
        },
        None => simulated(),
    };
    let k = table.k();
    let empty = (1..table.counts.len())
        .filter(|&p| table.counts[p] == 0.0)
        .count();
    println!(
        "{k} lists, {} persons observed, {empty} of {} capture patterns empty",
        table.observed(),
        table.counts.len() - 1
    );
    let started = Instant::now();
    let fit = stepwise(&table, 0.05);
    let took = started.elapsed();
    match fit {
        Some(f) => println!(
            "stepwise: {} → {:.0} in all ({:.2?})",
            f.model.describe(&table.lists),
            f.total,
            took
        ),
        None => println!("stepwise: no model has an estimate ({took:.2?})"),
    }
    // Every model of up to two interactions: 1 + 36 + 630 for 9 lists.
    let pairs: Vec<(usize, usize)> = (0..k)
        .flat_map(|i| (i + 1..k).map(move |j| (i, j)))
        .collect();
    let mut models = vec![Model::main_effects()];
    for (a, &p) in pairs.iter().enumerate() {
        models.push(Model { pairs: vec![p] });
        for &q in &pairs[a + 1..] {
            models.push(Model { pairs: vec![p, q] });
        }
    }
    let started = Instant::now();
    let exist = models
        .iter()
        .filter(|m| m.existence(&table) == Existence::Exists)
        .count();
    println!(
        "existence of {} models of up to two interactions: {exist} exist ({:.2?}, {:.2?} per model)",
        models.len(),
        started.elapsed(),
        started.elapsed() / models.len() as u32
    );
    if k <= 6 {
        let started = Instant::now();
        let e = estimate(
            &table,
            &Method::Bootstrap {
                replicates: 1000,
                seed: 1,
            },
            0.95,
        );
        match e {
            Ok(e) => println!(
                "bootstrap, 1,000 replicates: {:.0} [{:.0}, {:.0}] ({:.2?})",
                e.estimate,
                e.ci_low,
                e.ci_high,
                started.elapsed()
            ),
            Err(e) => println!("bootstrap: {e} ({:.2?})", started.elapsed()),
        }
    }
}
