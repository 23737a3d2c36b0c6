//! Links a synthetic victim register (`tessera-registers`) from its pseudonyms and scores the
//! persons against the truth: the development loop of the linkage, and the benchmark's figures.
//!
//! Usage: `cargo run --release -p tessera-linkage --example registers -- tuning|evaluation
//! [--persons N] [--secret BYTE] [--threshold P]...`
//! Prints the blocking recall ceiling, pairwise precision, recall and F1, and persons against
//! the truth, for each threshold asked (default: the model's, 0.5).

use std::collections::HashMap;

use tessera_linkage::{Config, LinkInput, link};
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};
use tessera_registers::{Spec, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut spec = match args.first().map(String::as_str) {
        Some("evaluation") => Spec::evaluation(),
        _ => Spec::tuning(),
    };
    let mut secret = 1u8;
    let mut thresholds = Vec::new();
    let mut verbose = false;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--persons" => spec.persons = args[i + 1].parse().expect("--persons N"),
            "--secret" => secret = args[i + 1].parse().expect("--secret BYTE"),
            "--threshold" => thresholds.push(args[i + 1].parse().expect("--threshold P")),
            "--verbose" => {
                verbose = true;
                i -= 1;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    if thresholds.is_empty() {
        thresholds.push(tessera_linkage::DEFAULT_THRESHOLD);
    }
    let records = generate(&spec).expect("spec");
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[secret; 32]).expect("secret"));
    let mut providers: Vec<&str> = Vec::new();
    let inputs: Vec<LinkInput> = records
        .iter()
        .map(|r| {
            let source = providers
                .iter()
                .position(|p| *p == r.provider)
                .unwrap_or_else(|| {
                    providers.push(r.provider);
                    providers.len() - 1
                });
            let opt = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
            LinkInput {
                source: source as u16,
                pseudonyms: enc.encode(&Identifiers {
                    given_name: Some(&r.given_name)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str()),
                    family_name: Some(&r.family_name)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str()),
                    birth_date: Some(&r.birth_date)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str()),
                    ..Default::default()
                }),
                sex: opt(&r.sex),
                citizenship: opt(&r.citizenship),
            }
        })
        .collect();
    let truth: Vec<u32> = records.iter().map(|r| r.person).collect();
    let c2 = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let mut sizes: HashMap<u32, usize> = HashMap::new();
    for t in &truth {
        *sizes.entry(*t).or_default() += 1;
    }
    let true_pairs: f64 = sizes.values().map(|n| c2(*n)).sum();
    for (k, &threshold) in thresholds.iter().enumerate() {
        let started = std::time::Instant::now();
        let r = link(
            &inputs,
            &Config {
                threshold,
                keep_candidates: k == 0,
                ..Config::default()
            },
        );
        let secs = started.elapsed().as_secs_f64();
        if k == 0 {
            let hit = r
                .candidates
                .iter()
                .filter(|(a, b)| truth[*a as usize] == truth[*b as usize])
                .count();
            println!(
                "{} records, {} persons; {} pairs compared, recall ceiling {:.4}",
                records.len(),
                sizes.len(),
                r.stats.candidate_pairs,
                hit as f64 / true_pairs
            );
            if verbose {
                // True pairs the blocking never compared, by name and birth-date level.
                let cand: std::collections::HashSet<(u32, u32)> = r
                    .candidates
                    .iter()
                    .map(|&(a, b)| (a.min(b), a.max(b)))
                    .collect();
                let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
                for (i, t) in truth.iter().enumerate() {
                    members.entry(*t).or_default().push(i);
                }
                let mut missed: std::collections::BTreeMap<(i8, i8), usize> = Default::default();
                for v in members.values() {
                    for x in 0..v.len() {
                        for y in x + 1..v.len() {
                            let (a, b) = (v[x].min(v[y]) as u32, v[x].max(v[y]) as u32);
                            if !cand.contains(&(a, b)) {
                                let l = tessera_linkage::levels(
                                    &inputs[a as usize],
                                    &inputs[b as usize],
                                );
                                *missed.entry((l[0], l[1])).or_default() += 1;
                            }
                        }
                    }
                }
                let mut v: Vec<_> = missed.into_iter().collect();
                v.sort_by_key(|x| std::cmp::Reverse(x.1));
                println!(
                    "  missed by blocking (name, birth level): {:?}",
                    &v[..v.len().min(14)]
                );
                for (f, (name, _)) in tessera_linkage::FIELDS.iter().enumerate() {
                    let w: Vec<String> = (0..r.params.m[f].len())
                        .map(|l| {
                            format!(
                                "{l}:{:.3}/{:.4}={:+.1}",
                                r.params.m[f][l],
                                r.params.u[f][l],
                                r.params.field_weight(f, l as i8)
                            )
                        })
                        .collect();
                    println!("  {name:12} {}", w.join(" "));
                }
                println!(
                    "  prior {:.2} bits; {:?}",
                    r.params.prior(),
                    r.stats.seconds
                );
                // The true m: levels over every true pair.
                let mut members: HashMap<u32, Vec<usize>> = HashMap::new();
                for (i, t) in truth.iter().enumerate() {
                    members.entry(*t).or_default().push(i);
                }
                let mut m: Vec<Vec<f64>> = tessera_linkage::FIELDS
                    .iter()
                    .map(|(_, k)| vec![0.0; *k])
                    .collect();
                for v in members.values() {
                    for x in 0..v.len() {
                        for y in x + 1..v.len() {
                            let l = tessera_linkage::levels(&inputs[v[x]], &inputs[v[y]]);
                            for (f, lv) in l.iter().enumerate() {
                                if *lv >= 0 {
                                    m[f][*lv as usize] += 1.0;
                                }
                            }
                        }
                    }
                }
                for (f, (name, _)) in tessera_linkage::FIELDS.iter().enumerate() {
                    let t: f64 = m[f].iter().sum::<f64>().max(1.0);
                    let v: Vec<String> = m[f].iter().map(|x| format!("{:.3}", x / t)).collect();
                    println!("  true m {name:12} {}", v.join(" "));
                }
            }
        }
        if verbose {
            // Calibration: the share of true matches among pairs by predicted probability.
            let mut buckets = [(0usize, 0usize, 0.0f64); 10];
            for p in &r.pairs {
                let b = ((p.probability * 10.0) as usize).min(9);
                buckets[b].0 += 1;
                buckets[b].1 += usize::from(truth[p.a as usize] == truth[p.b as usize]);
                buckets[b].2 += p.probability;
            }
            for (i, (n, t, sp)) in buckets.iter().enumerate() {
                if *n > 0 {
                    println!(
                        "  p in [{:.1},{:.1}): {n} pairs, mean p {:.3}, true share {:.3}",
                        i as f64 / 10.0,
                        (i + 1) as f64 / 10.0,
                        sp / *n as f64,
                        *t as f64 / *n as f64
                    );
                }
            }
            // By name and birth-date level: pairs, true share, mean p.
            let mut by: std::collections::BTreeMap<(i8, i8), (usize, usize, f64)> =
                Default::default();
            for p in &r.pairs {
                let e = by.entry((p.levels[0], p.levels[1])).or_default();
                e.0 += 1;
                e.1 += usize::from(truth[p.a as usize] == truth[p.b as usize]);
                e.2 += p.probability;
            }
            for ((n, b), (c, t, sp)) in by {
                if c >= 50 {
                    println!(
                        "  name {n} birth {b}: {c} pairs, true share {:.3}, mean p {:.3}",
                        t as f64 / c as f64,
                        sp / c as f64
                    );
                }
            }
        }
        let mut cells: HashMap<(u32, u32), usize> = HashMap::new();
        let mut pred: HashMap<u32, usize> = HashMap::new();
        for (p, t) in r.person.iter().zip(&truth) {
            *cells.entry((*p, *t)).or_default() += 1;
            *pred.entry(*p).or_default() += 1;
        }
        let tp: f64 = cells.values().map(|n| c2(*n)).sum();
        let predicted: f64 = pred.values().map(|n| c2(*n)).sum();
        let (p, rc) = (tp / predicted.max(1.0), tp / true_pairs.max(1.0));
        let expected: f64 = r.pairs.iter().map(|p| p.probability).sum();
        println!(
            "threshold {threshold}: precision {p:.4} recall {rc:.4} F1 {:.4}; persons {} (model expects {:.0}, {:.0}-{:.0}) vs {} ({:+.2}%); model's expected true pairs {:.0} vs {}; {:.2} s",
            2.0 * p * rc / (p + rc),
            r.stats.persons,
            r.stats.expected_persons,
            r.stats.persons_range.0,
            r.stats.persons_range.1,
            sizes.len(),
            100.0 * (r.stats.persons as f64 / sizes.len() as f64 - 1.0),
            expected,
            true_pairs,
            secs
        );
    }
}
