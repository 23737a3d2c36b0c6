//! What a reviewer's verdict costs once a run is kept ([`tessera_linkage::Linked::recluster`])
//! against linking again, on a file of the layout `shared/bench/make_big.py` writes (the 1M
//! benchmark): the same columns `tessera link` reads there (names, birth date, ID, street
//! address, suburb, postcode, sex, nationality), encoded with a throw-away secret.
//!
//! Usage: `cargo run --release -p tessera-linkage --example recluster -- big_1000000.csv`
//! Prints the time of the full run, of clustering again under one verdict, under one verdict
//! more, and under 1,000 verdicts, with how many persons each gives.

use tessera_linkage::{Config, Decision, LinkInput, Prepared, link_prepared_kept};
use tessera_pseudonym::{Encoder, Identifiers, KeyedEncoder, Secret};

fn main() {
    let path = std::env::args().nth(1).expect("usage: recluster FILE.csv");
    let enc = KeyedEncoder::new(&Secret::from_bytes(&rand_secret()).expect("secret"));
    let started = std::time::Instant::now();
    let mut rdr = csv::Reader::from_path(&path).expect("readable CSV");
    let headers = rdr.headers().expect("a header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name}"))
    };
    let c = [
        col("given_name"),
        col("surname"),
        col("date_of_birth"),
        col("soc_sec_id"),
        col("street_number"),
        col("address_1"),
        col("suburb"),
        col("postcode"),
        col("sex"),
        col("nationality"),
    ];
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("a row")).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut prepared = Prepared::with_capacity(rows.len());
    for chunk in rows.chunks(1 << 16) {
        let step = chunk.len().div_ceil(threads);
        let parts: Vec<Vec<LinkInput>> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .chunks(step)
                .map(|part| {
                    let enc = &enc;
                    s.spawn(move || part.iter().map(|r| encode(enc, &c, r)).collect())
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("encoding thread"))
                .collect()
        });
        for input in parts.iter().flatten() {
            prepared.push(input);
        }
    }
    drop(rows);
    let encoded = started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let linked = link_prepared_kept(prepared, &Config::default());
    let full = started.elapsed().as_secs_f64();
    let r = &linked.result;
    println!(
        "{} records encoded in {encoded:.2} s; linked in {full:.2} s: {} persons, the model expects {:.0}",
        r.person.len(),
        r.stats.persons,
        r.stats.expected_persons
    );
    // The verdicts: "not the same person" on the strongest link of the run, "the same" on the
    // strongest pair the run left apart.
    let split = r
        .pairs
        .iter()
        .find(|p| r.person[p.a as usize] == r.person[p.b as usize])
        .expect("a linked pair");
    let merge = r
        .pairs
        .iter()
        .find(|p| r.person[p.a as usize] != r.person[p.b as usize])
        .expect("a pair left apart");
    let mut decisions = vec![Decision {
        a: split.a,
        b: split.b,
        same: false,
    }];
    let one = linked.recluster(&decisions);
    assert_ne!(one.person[split.a as usize], one.person[split.b as usize]);
    println!(
        "one verdict (different): clustered again in {:.2} s ({:.1}% of the run): {} persons, the model expects {:.0}",
        one.seconds,
        100.0 * one.seconds / full,
        one.persons,
        one.expected_persons
    );
    decisions.push(Decision {
        a: merge.a,
        b: merge.b,
        same: true,
    });
    let two = linked.recluster(&decisions);
    assert_eq!(two.person[merge.a as usize], two.person[merge.b as usize]);
    println!(
        "two verdicts (and same): {:.2} s: {} persons",
        two.seconds, two.persons
    );
    // A day of review: a thousand verdicts on pairs of the review band.
    let band: Vec<Decision> = r
        .pairs
        .iter()
        .filter(|p| (0.02..0.6).contains(&p.probability))
        .take(1000)
        .map(|p| Decision {
            a: p.a,
            b: p.b,
            same: r.person[p.a as usize] != r.person[p.b as usize],
        })
        .collect();
    let many = linked.recluster(&band);
    println!(
        "{} verdicts: {:.2} s: {} persons",
        band.len(),
        many.seconds,
        many.persons
    );
}

fn encode(enc: &KeyedEncoder, c: &[usize; 10], r: &csv::StringRecord) -> LinkInput {
    let get = |i: usize| r.get(c[i]).map(str::trim).filter(|s| !s.is_empty());
    let street = match (get(4), get(5)) {
        (Some(n), Some(s)) => Some(format!("{n} {s}")),
        (None, Some(s)) => Some(s.to_string()),
        _ => None,
    };
    LinkInput {
        source: 0,
        pseudonyms: enc.encode(&Identifiers {
            given_name: get(0),
            family_name: get(1),
            birth_date: get(2),
            id_number: get(3),
            address: street.as_deref(),
            locality: get(6),
            postcode: get(7),
            ..Default::default()
        }),
        sex: get(8).map(str::to_string),
        citizenship: get(9).map(str::to_string),
    }
}

/// A throw-away secret (nothing is stored).
fn rand_secret() -> [u8; 32] {
    use rand::{Rng, SeedableRng};
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut b = [0u8; 32];
    rng.fill(&mut b);
    b
}
