//! Synthetic victim registers with their truth, to develop and score the linkage on data like the
//! registers it will meet: several providers (police, NGO, shelter, labour inspection) report
//! overlapping persons; birth dates are often missing or only a year; names are transliterated
//! several ways, written family name first, in capitals or without accents, sometimes mistyped;
//! names are drawn from Zipf-distributed pools, so many persons share a full name and a year of
//! birth. Every knob is a rate per record, so what is asked is what comes out (tested).
//!
//! Two pools and two seeds make two data sets: [`Spec::tuning`] (pool A, Bengali-Muslim-like) is
//! the only one the linkage may be tuned on; [`Spec::evaluation`] (pool B, West and Central
//! African francophone-like, another seed) is only ever scored.
//!
//! The people are invented: every name is a random combination from the pools. The files carry
//! clear names because they stand for what providers hold; the linkage sees only the pseudonyms
//! the encoder makes of them.

mod pools;

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub use pools::{BENGALI, FRANCOPHONE, NamePool};

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum RegistersError {
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: csv::Error,
    },
    #[error("{0}")]
    Spec(String),
}

/// Which name pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Pool A (tuning).
    Bengali,
    /// Pool B (evaluation).
    Francophone,
}

impl Pool {
    pub fn names(self) -> &'static NamePool {
        match self {
            Pool::Bengali => &BENGALI,
            Pool::Francophone => &FRANCOPHONE,
        }
    }
}

/// A provider and the share of all persons it reports.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: &'static str,
    pub coverage: f64,
}

/// What to generate. Rates are per record unless said otherwise.
#[derive(Debug, Clone)]
pub struct Spec {
    pub seed: u64,
    pub pool: Pool,
    /// Persons reported by at least one provider.
    pub persons: usize,
    pub providers: Vec<Provider>,
    /// Chance that a provider reports a person it holds a second time (a duplicate within one
    /// register).
    pub duplicate: f64,
    /// Share of records without any birth date.
    pub missing_birth_date: f64,
    /// Share of records with the year of birth only.
    pub year_only: f64,
    /// Share of the year-only records written as 1 January of the year (a placeholder).
    pub placeholder_share: f64,
    /// Chance that a record's birth-date completeness (full, year only, missing) is the person's
    /// own (a victim who does not know their birth date says so to every provider); otherwise it
    /// is drawn afresh. Either way the shares above hold.
    pub date_persistence: f64,
    /// Share of records whose year of birth is off (an age estimated or misheard): by one year,
    /// one time in four by two.
    pub year_error: f64,
    /// Share of full dates with day and month swapped (when both are 12 or less).
    pub day_month_swap: f64,
    /// Share of records with given and family name exchanged.
    pub name_swap: f64,
    /// Chance, per name token that has variants, of another spelling of it.
    pub transliteration: f64,
    /// Share of records with one typing error in one name token.
    pub typo: f64,
    /// Share of records written in capitals.
    pub capitals: f64,
    /// Share of records whose accents are dropped.
    pub accents_dropped: f64,
    /// Share of records that drop a name token (a prefix like Mohammad or Mosammat, or a
    /// second given name) the person has, when they have one.
    pub token_dropped: f64,
    /// Exponent of the Zipf law the names are drawn with (1: the second name half as common as
    /// the first).
    pub zipf: f64,
    pub sex_missing: f64,
    pub sex_error: f64,
    pub citizenship_missing: f64,
    pub citizenship_error: f64,
}

impl Spec {
    /// The knobs every data set shares, fixed before any linkage was run on them.
    fn base(seed: u64, pool: Pool) -> Spec {
        Spec {
            seed,
            pool,
            persons: 10_000,
            providers: vec![
                Provider {
                    name: "police",
                    coverage: 0.5,
                },
                Provider {
                    name: "ngo",
                    coverage: 0.45,
                },
                Provider {
                    name: "shelter",
                    coverage: 0.25,
                },
                Provider {
                    name: "labour_inspection",
                    coverage: 0.2,
                },
            ],
            duplicate: 0.05,
            missing_birth_date: 0.3,
            year_only: 0.25,
            placeholder_share: 0.2,
            date_persistence: 0.6,
            year_error: 0.08,
            day_month_swap: 0.03,
            name_swap: 0.15,
            transliteration: 0.25,
            typo: 0.08,
            capitals: 0.3,
            accents_dropped: 0.5,
            token_dropped: 0.1,
            zipf: 1.0,
            sex_missing: 0.03,
            sex_error: 0.01,
            citizenship_missing: 0.1,
            citizenship_error: 0.03,
        }
    }

    /// The data set the linkage may be tuned on: pool A, seed 1.
    pub fn tuning() -> Spec {
        Spec::base(1, Pool::Bengali)
    }

    /// The data set the linkage is scored on and never tuned on: pool B, seed 20261130.
    pub fn evaluation() -> Spec {
        Spec::base(20_261_130, Pool::Francophone)
    }

    fn check(&self) -> Result<(), RegistersError> {
        let rates = [
            ("duplicate", self.duplicate),
            ("missing_birth_date", self.missing_birth_date),
            ("year_only", self.year_only),
            ("placeholder_share", self.placeholder_share),
            ("date_persistence", self.date_persistence),
            ("year_error", self.year_error),
            ("day_month_swap", self.day_month_swap),
            ("name_swap", self.name_swap),
            ("transliteration", self.transliteration),
            ("typo", self.typo),
            ("capitals", self.capitals),
            ("accents_dropped", self.accents_dropped),
            ("token_dropped", self.token_dropped),
            ("sex_missing", self.sex_missing),
            ("sex_error", self.sex_error),
            ("citizenship_missing", self.citizenship_missing),
            ("citizenship_error", self.citizenship_error),
        ];
        if let Some((name, v)) = rates.iter().find(|(_, v)| !(0.0..=1.0).contains(v)) {
            return Err(RegistersError::Spec(format!(
                "{name} must be between 0 and 1, not {v}"
            )));
        }
        if self.missing_birth_date + self.year_only > 1.0 {
            return Err(RegistersError::Spec(
                "missing_birth_date + year_only exceed 1".into(),
            ));
        }
        if self.providers.is_empty() || self.providers.iter().all(|p| p.coverage <= 0.0) {
            return Err(RegistersError::Spec("no provider reports anyone".into()));
        }
        if self.zipf.is_nan() || self.zipf < 0.0 {
            return Err(RegistersError::Spec("zipf must be 0 or more".into()));
        }
        Ok(())
    }
}

/// One reported record, as a provider's file holds it.
#[derive(Debug, Clone)]
pub struct Record {
    pub record_id: String,
    pub provider: &'static str,
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`, `DD/MM/YYYY`, `YYYY`, or empty.
    pub birth_date: String,
    /// `F`, `M`, or empty.
    pub sex: String,
    /// ISO 3166 alpha-2, or empty.
    pub citizenship: String,
    /// The truth: who this is.
    pub person: u32,
    /// What was done to this record (to test the knobs).
    pub noise: Noise,
}

/// The variations applied to a record.
#[derive(Debug, Clone, Copy, Default)]
pub struct Noise {
    pub date: DateForm,
    pub year_error: bool,
    pub day_month_swap: bool,
    pub name_swap: bool,
    pub typo: bool,
    pub capitals: bool,
    pub token_dropped: bool,
    /// Tokens that had variants, and how many of them were spelt another way.
    pub variable_tokens: u8,
    pub transliterated: u8,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateForm {
    #[default]
    Full,
    YearOnly,
    Missing,
}

/// A person as they are (the truth behind the records).
#[derive(Debug, Clone)]
struct Person {
    given: Vec<&'static str>,
    family: &'static str,
    /// Index into `given` of a token a record may drop (the prefix or the second given name).
    optional: Option<usize>,
    female: bool,
    year: i32,
    month: u32,
    day: u32,
    citizenship: &'static str,
    date_form: DateForm,
}

/// Draws from a list with Zipf weights (rank r has weight 1 / (r + 1)^s).
struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Zipf {
        let mut acc = 0.0;
        let cumulative = (0..n)
            .map(|r| {
                acc += 1.0 / ((r + 1) as f64).powf(s);
                acc
            })
            .collect();
        Zipf { cumulative }
    }

    fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|c| *c <= x)
            .min(self.cumulative.len().saturating_sub(1))
    }
}

fn draw_form(rng: &mut ChaCha8Rng, spec: &Spec) -> DateForm {
    let x = rng.random::<f64>();
    if x < spec.missing_birth_date {
        DateForm::Missing
    } else if x < spec.missing_birth_date + spec.year_only {
        DateForm::YearOnly
    } else {
        DateForm::Full
    }
}

fn make_person(rng: &mut ChaCha8Rng, spec: &Spec, z: &Zipfs) -> Person {
    let pool = spec.pool.names();
    let female = rng.random_bool(0.5);
    let (list, zipf, prefix) = if female {
        (pool.given_f, &z.given_f, pool.female_prefix)
    } else {
        (pool.given_m, &z.given_m, pool.male_prefix)
    };
    let mut given = Vec::new();
    let mut optional = None;
    if let Some((p, share)) = prefix
        && rng.random_bool(share)
    {
        given.push(p);
        optional = Some(0);
    }
    given.push(list[zipf.draw(rng)]);
    if rng.random_bool(pool.second_given) {
        let second = list[zipf.draw(rng)];
        if !given.contains(&second) {
            optional = Some(given.len());
            given.push(second);
        }
    }
    let family =
        if female && !pool.family_f.is_empty() && !rng.random_bool(pool.female_takes_male_family) {
            pool.family_f[z.family_f.draw(rng)]
        } else {
            pool.family_m[z.family_m.draw(rng)]
        };
    // Victims identified in 2021-2025, mostly aged 12 to 40.
    let age = 8 + (rng.random::<f64>().powf(1.6) * 40.0) as i32;
    let year = rng.random_range(2021..=2025) - age;
    let x = rng.random::<f64>();
    let mut acc = 0.0;
    let mut citizenship = pool.citizenships[0].0;
    for (c, share) in pool.citizenships {
        acc += share;
        if x < acc {
            citizenship = c;
            break;
        }
    }
    Person {
        given,
        family,
        optional,
        female,
        year,
        month: rng.random_range(1..=12),
        day: rng.random_range(1..=28),
        citizenship,
        date_form: draw_form(rng, spec),
    }
}

struct Zipfs {
    given_m: Zipf,
    given_f: Zipf,
    family_m: Zipf,
    family_f: Zipf,
}

/// Another spelling of `token` from its variant group, if it has one.
fn variant_group(pool: &NamePool, token: &str) -> Option<&'static [&'static str]> {
    pool.variants.iter().copied().find(|g| g.contains(&token))
}

/// One typing error: a letter dropped, doubled, replaced or swapped with the next.
fn typo(rng: &mut ChaCha8Rng, token: &str) -> String {
    let mut c: Vec<char> = token.chars().collect();
    if c.len() < 3 {
        return token.to_string();
    }
    let i = rng.random_range(1..c.len());
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    match rng.random_range(0..4) {
        0 => {
            c.remove(i);
        }
        1 => c.insert(i, c[i]),
        2 => {
            let mut l = LETTERS[rng.random_range(0..LETTERS.len())] as char;
            if l == c[i] {
                l = if l == 'a' { 'e' } else { 'a' };
            }
            c[i] = l;
        }
        _ => {
            if i + 1 < c.len() && c[i] != c[i + 1] {
                c.swap(i, i + 1);
            } else {
                c.swap(i - 1, i);
            }
        }
    }
    c.into_iter().collect()
}

fn drop_accents(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'É' | 'È' => 'E',
            other => other,
        })
        .collect()
}

/// One record of `person` as a provider writes it.
fn render(rng: &mut ChaCha8Rng, spec: &Spec, p: &Person, provider: &'static str) -> Record {
    let pool = spec.pool.names();
    let mut noise = Noise::default();
    // Names.
    let mut given: Vec<String> = Vec::new();
    let drop = p.optional.is_some() && rng.random_bool(spec.token_dropped);
    noise.token_dropped = drop;
    for (i, t) in p.given.iter().enumerate() {
        if drop && Some(i) == p.optional {
            continue;
        }
        given.push((*t).to_string());
    }
    let mut family = [p.family.to_string()];
    for t in given.iter_mut().chain(family.iter_mut()) {
        if let Some(group) = variant_group(pool, t) {
            noise.variable_tokens += 1;
            if rng.random_bool(spec.transliteration) {
                let others: Vec<&&str> = group.iter().filter(|v| **v != t.as_str()).collect();
                if !others.is_empty() {
                    *t = others[rng.random_range(0..others.len())].to_string();
                    noise.transliterated += 1;
                }
            }
        }
    }
    if rng.random_bool(spec.typo) {
        noise.typo = true;
        let n = given.len() + family.len();
        let k = rng.random_range(0..n);
        let t = if k < given.len() {
            &mut given[k]
        } else {
            &mut family[k - given.len()]
        };
        *t = typo(rng, t);
    }
    let mut g = given.join(" ");
    let mut f = family.join(" ");
    if rng.random_bool(spec.accents_dropped) {
        g = drop_accents(&g);
        f = drop_accents(&f);
    }
    if rng.random_bool(spec.capitals) {
        noise.capitals = true;
        g = g.to_uppercase();
        f = f.to_uppercase();
    }
    if rng.random_bool(spec.name_swap) {
        noise.name_swap = true;
        std::mem::swap(&mut g, &mut f);
    }
    // Birth date: the person's own completeness, or drawn afresh.
    let form = if rng.random_bool(spec.date_persistence) {
        p.date_form
    } else {
        draw_form(rng, spec)
    };
    noise.date = form;
    let mut year = p.year;
    if rng.random_bool(spec.year_error) {
        noise.year_error = true;
        let by = if rng.random_bool(0.25) { 2 } else { 1 };
        year += if rng.random_bool(0.5) { by } else { -by };
    }
    let (mut month, mut day) = (p.month, p.day);
    let birth_date = match form {
        DateForm::Missing => String::new(),
        DateForm::YearOnly => {
            if rng.random_bool(spec.placeholder_share) {
                format!("{year:04}-01-01")
            } else {
                format!("{year:04}")
            }
        }
        DateForm::Full => {
            if day <= 12 && day != month && rng.random_bool(spec.day_month_swap) {
                noise.day_month_swap = true;
                std::mem::swap(&mut month, &mut day);
            }
            if rng.random_bool(0.5) {
                format!("{year:04}-{month:02}-{day:02}")
            } else {
                format!("{day:02}/{month:02}/{year:04}")
            }
        }
    };
    let sex = if rng.random_bool(spec.sex_missing) {
        String::new()
    } else {
        let female = p.female ^ rng.random_bool(spec.sex_error);
        if female { "F" } else { "M" }.to_string()
    };
    let citizenship = if rng.random_bool(spec.citizenship_missing) {
        String::new()
    } else if rng.random_bool(spec.citizenship_error) {
        let all = pool.citizenships;
        let others: Vec<&str> = all
            .iter()
            .map(|c| c.0)
            .filter(|c| *c != p.citizenship)
            .collect();
        others[rng.random_range(0..others.len())].to_string()
    } else {
        p.citizenship.to_string()
    };
    Record {
        record_id: String::new(),
        provider,
        given_name: g,
        family_name: f,
        birth_date,
        sex,
        citizenship,
        person: 0,
        noise,
    }
}

/// The registers of `spec`, records in random order, ids `R0000001`… in that order.
pub fn generate(spec: &Spec) -> Result<Vec<Record>, RegistersError> {
    spec.check()?;
    let pool = spec.pool.names();
    let z = Zipfs {
        given_m: Zipf::new(pool.given_m.len(), spec.zipf),
        given_f: Zipf::new(pool.given_f.len(), spec.zipf),
        family_m: Zipf::new(pool.family_m.len(), spec.zipf),
        family_f: Zipf::new(pool.family_f.len().max(1), spec.zipf),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut records = Vec::new();
    for person in 0..spec.persons {
        let p = make_person(&mut rng, spec, &z);
        // The providers that hold this person: at least one (a person nobody reports is not in
        // any register).
        let held = loop {
            let h: Vec<&Provider> = spec
                .providers
                .iter()
                .filter(|pr| rng.random_bool(pr.coverage.clamp(0.0, 1.0)))
                .collect();
            if !h.is_empty() {
                break h;
            }
        };
        for pr in held {
            let times = if rng.random_bool(spec.duplicate) {
                2
            } else {
                1
            };
            for _ in 0..times {
                let mut r = render(&mut rng, spec, &p, pr.name);
                r.person = person as u32;
                records.push(r);
            }
        }
    }
    // Shuffled, so that nothing can be read from the order.
    for i in (1..records.len()).rev() {
        let j = rng.random_range(0..=i);
        records.swap(i, j);
    }
    for (i, r) in records.iter_mut().enumerate() {
        r.record_id = format!("R{:07}", i + 1);
    }
    Ok(records)
}

/// Writes the records a linker may read (`record_id, provider, given_name, family_name,
/// birth_date, sex, citizenship`) and, separately, the truth (`record_id, cluster_id`).
pub fn write(records: &[Record], data: &Path, truth: &Path) -> Result<(), RegistersError> {
    let err = |path: &Path| {
        let path = path.display().to_string();
        move |source| RegistersError::Write {
            path: path.clone(),
            source,
        }
    };
    let mut w = csv::Writer::from_path(data).map_err(err(data))?;
    w.write_record([
        "record_id",
        "provider",
        "given_name",
        "family_name",
        "birth_date",
        "sex",
        "citizenship",
    ])
    .map_err(err(data))?;
    for r in records {
        w.write_record([
            r.record_id.as_str(),
            r.provider,
            &r.given_name,
            &r.family_name,
            &r.birth_date,
            &r.sex,
            &r.citizenship,
        ])
        .map_err(err(data))?;
    }
    w.flush().map_err(|e| err(data)(e.into()))?;
    let mut t = csv::Writer::from_path(truth).map_err(err(truth))?;
    t.write_record(["record_id", "cluster_id"])
        .map_err(err(truth))?;
    for r in records {
        t.write_record([r.record_id.as_str(), &format!("P{}", r.person)])
            .map_err(err(truth))?;
    }
    t.flush().map_err(|e| err(truth)(e.into()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn share(records: &[Record], f: impl Fn(&Record) -> bool) -> f64 {
        records.iter().filter(|r| f(r)).count() as f64 / records.len() as f64
    }

    #[test]
    fn the_knobs_give_the_rates_asked() {
        for spec in [
            Spec {
                persons: 6000,
                ..Spec::tuning()
            },
            Spec {
                persons: 6000,
                missing_birth_date: 0.5,
                year_only: 0.1,
                name_swap: 0.4,
                typo: 0.2,
                capitals: 0.0,
                ..Spec::evaluation()
            },
        ] {
            let r = generate(&spec).unwrap();
            let close = |got: f64, want: f64, what: &str| {
                assert!(
                    (got - want).abs() < 0.02,
                    "{what}: {got:.3} asked {want:.3}"
                )
            };
            close(
                share(&r, |r| r.birth_date.is_empty()),
                spec.missing_birth_date,
                "missing birth dates",
            );
            close(
                share(&r, |r| r.noise.date == DateForm::YearOnly),
                spec.year_only,
                "year-only dates",
            );
            // A year-only date is written as the year, or as 1 January of it.
            close(
                share(&r, |r| r.birth_date.len() == 4),
                spec.year_only * (1.0 - spec.placeholder_share),
                "dates written as a year",
            );
            close(share(&r, |r| r.noise.name_swap), spec.name_swap, "swaps");
            close(share(&r, |r| r.noise.typo), spec.typo, "typos");
            close(share(&r, |r| r.noise.capitals), spec.capitals, "capitals");
            close(
                share(&r, |r| r.noise.year_error),
                spec.year_error,
                "year errors",
            );
            close(
                share(&r, |r| r.citizenship.is_empty()),
                spec.citizenship_missing,
                "citizenship missing",
            );
            let (v, t) = r.iter().fold((0.0, 0.0), |(v, t), r| {
                (
                    v + r.noise.variable_tokens as f64,
                    t + r.noise.transliterated as f64,
                )
            });
            close(t / v, spec.transliteration, "transliterations");
            // Capitals are really capitals, swaps really exchange the parts.
            assert!(
                r.iter()
                    .filter(|r| r.noise.capitals)
                    .all(|r| r.given_name == r.given_name.to_uppercase())
            );
        }
    }

    #[test]
    fn providers_overlap_and_common_names_are_shared_by_many() {
        let spec = Spec::tuning();
        let r = generate(&spec).unwrap();
        let mut per_person: HashMap<u32, Vec<&Record>> = HashMap::new();
        for x in &r {
            per_person.entry(x.person).or_default().push(x);
        }
        assert_eq!(per_person.len(), spec.persons);
        let several = per_person.values().filter(|v| v.len() > 1).count();
        assert!(
            several > spec.persons / 3,
            "{several} persons reported twice or more"
        );
        // Zipf pools make many namesakes.
        let mut by_name: HashMap<(String, String), usize> = HashMap::new();
        for recs in per_person.values() {
            let x = recs[0];
            let key = (x.given_name.to_lowercase(), x.family_name.to_lowercase());
            *by_name.entry(key).or_default() += 1;
        }
        let shared = by_name.values().filter(|c| **c > 1).sum::<usize>();
        assert!(
            shared > spec.persons / 10,
            "only {shared} persons share a written name with another"
        );
        // Deterministic.
        let again = generate(&spec).unwrap();
        assert_eq!(again.len(), r.len());
        assert!(
            again
                .iter()
                .zip(&r)
                .all(|(a, b)| a.given_name == b.given_name && a.birth_date == b.birth_date)
        );
    }

    #[test]
    fn bad_knobs_are_refused() {
        assert!(
            generate(&Spec {
                typo: 1.5,
                ..Spec::tuning()
            })
            .is_err()
        );
        assert!(
            generate(&Spec {
                missing_birth_date: 0.8,
                year_only: 0.5,
                ..Spec::tuning()
            })
            .is_err()
        );
    }
}
