//! `tessera-registers`: writes a synthetic victim register and its truth.
//!
//! Usage: `tessera-registers tuning|evaluation OUT_DIR [--persons N] [--seed S]`
//! Writes `OUT_DIR/<preset>.csv` (what a linker may read: record_id, provider, given_name,
//! family_name, birth_date, sex, citizenship) and `OUT_DIR/<preset>_truth.csv` (record_id,
//! cluster_id).

use std::process::ExitCode;

use tessera_registers::{Spec, generate, write};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera-registers: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: tessera-registers tuning|evaluation OUT_DIR [--persons N] [--seed S]";
    let (preset, dir) = match args.as_slice() {
        [p, d, ..] => (p.as_str(), std::path::PathBuf::from(d)),
        _ => return Err(usage.into()),
    };
    let mut spec = match preset {
        "tuning" => Spec::tuning(),
        "evaluation" => Spec::evaluation(),
        _ => return Err(usage.into()),
    };
    let mut rest = args[2..].iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or(usage)?;
        match flag.as_str() {
            "--persons" => spec.persons = value.parse().map_err(|_| usage)?,
            "--seed" => spec.seed = value.parse().map_err(|_| usage)?,
            _ => return Err(usage.into()),
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let records = generate(&spec).map_err(|e| e.to_string())?;
    let data = dir.join(format!("{preset}.csv"));
    let truth = dir.join(format!("{preset}_truth.csv"));
    write(&records, &data, &truth).map_err(|e| e.to_string())?;
    let persons = records
        .iter()
        .map(|r| r.person)
        .collect::<std::collections::HashSet<_>>()
        .len();
    eprintln!(
        "{} records of {persons} persons written to {} (truth: {})",
        records.len(),
        data.display(),
        truth.display()
    );
    Ok(())
}
