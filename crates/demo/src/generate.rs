//! Deterministic generation of one chunk of the demo: persons, the providers that report them,
//! and each provider's slightly different record of the same person.

use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use tessera_dictionary::AgeBand;
use tessera_intake::IntakeRecord;
use tessera_pseudonym::{Encoder, Identifiers};
use time::{Date, Duration, Month};

use crate::YEARS;
use crate::names::{CAMEROON, CAR_CHRISTIAN, CONGO, Culture, SAHEL_MUSLIM, SOUTH_SUDAN, SPELLINGS};

/// Person records per chunk: big enough to amortise, small enough to keep memory flat.
pub const CHUNK_PERSON_RECORDS: usize = 25_000;

/// One row of the ground truth.
#[derive(Debug, Clone)]
pub struct TruthRow {
    pub provider: &'static str,
    pub entity: &'static str,
    pub provider_ref: String,
    pub person_id: u64,
    /// The synthetic identifiers as the provider wrote them, before encoding (see
    /// [`crate::run_with_clear`]: for benchmarks against tools that need clear values).
    pub clear: Option<ClearIdentifiers>,
}

/// A demo record's identifying fields in clear (synthetic people only).
#[derive(Debug, Clone, Default)]
pub struct ClearIdentifiers {
    pub given: String,
    pub family: String,
    pub birth: Option<String>,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub sex: Option<String>,
    pub citizenship: Option<String>,
}

/// Records of one provider, entity and year, ready for the store.
pub struct ChunkBatch {
    pub provider: &'static str,
    pub entity: &'static str,
    pub year: i32,
    pub records: Vec<IntakeRecord>,
}

/// One generated chunk.
pub struct Chunk {
    pub batches: Vec<ChunkBatch>,
    pub truth: Vec<TruthRow>,
    pub persons: usize,
    pub person_records: usize,
    pub other_records: usize,
}

/// A true person, before any provider writes them down.
#[derive(Debug, Clone)]
pub struct PersonSpec {
    pub id: u64,
    pub sex: &'static str,
    pub given: String,
    pub family: String,
    pub birth: Date,
    pub citizenship: &'static str,
    pub id_number: Option<String>,
    pub phone: Option<String>,
}

struct Gen<'a> {
    rng: ChaCha8Rng,
    encoder: &'a dyn Encoder,
    chunk: usize,
    seq: u32,
    batches: Vec<ChunkBatch>,
    truth: Vec<TruthRow>,
    person_records: usize,
    other_records: usize,
    /// The identifiers last encoded, for the ground truth of the record being built.
    last_clear: Option<ClearIdentifiers>,
}

const VICTIM_PROVIDERS: &[(&str, u32)] = &[
    ("police-ocrb-bangui", 22),
    ("gendarmerie-bambari", 12),
    ("police-berberati", 8),
    ("border-beloko", 4),
    ("border-mpoko", 3),
    ("inspection-travail", 6),
    ("affaires-sociales", 12),
    ("ong-espoir-kaga", 12),
    ("ong-enfance-paoua", 9),
    ("oim-rca", 7),
    ("minusca-ddh", 5),
];
const SUSPECT_PROVIDERS: &[(&str, u32)] = &[
    ("police-ocrb-bangui", 45),
    ("gendarmerie-bambari", 25),
    ("police-berberati", 15),
    ("border-beloko", 15),
];
const MIGRANT_PROVIDERS: &[(&str, u32)] =
    &[("border-beloko", 55), ("border-mpoko", 20), ("oim-rca", 25)];
const REGIONS: &[&str] = &[
    "CF-BGF", "CF-MP", "CF-UK", "CF-HS", "CF-NM", "CF-OP", "CF-AC", "CF-KG", "CF-LB", "CF-BK",
    "CF-HK", "CF-MB", "CF-VK", "CF-BB", "CF-HM",
];

fn provider_type(p: &str) -> &'static str {
    crate::PROVIDERS
        .iter()
        .find(|x| x.0 == p)
        .map(|x| x.2)
        .unwrap_or("NGO")
}

fn provider_region(p: &str) -> &'static str {
    crate::PROVIDERS
        .iter()
        .find(|x| x.0 == p)
        .map(|x| x.3)
        .unwrap_or("CF-BGF")
}

fn pick_weighted<R: Rng>(rng: &mut R, items: &[(&'static str, u32)]) -> &'static str {
    items
        .choose_weighted(rng, |x| x.1)
        .map(|x| x.0)
        .unwrap_or(items[0].0)
}

fn distinct_providers<R: Rng>(
    rng: &mut R,
    items: &[(&'static str, u32)],
    n: usize,
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    while out.len() < n.min(items.len()) {
        let p = pick_weighted(rng, items);
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn date_in(year: i32, day_of_year: u16) -> Date {
    Date::from_ordinal_date(year, day_of_year.clamp(1, 365)).unwrap_or(Date::MIN)
}

fn age_at(birth: Date, at: Date) -> i64 {
    let mut a = (at.year() - birth.year()) as i64;
    if (at.month() as u8, at.day()) < (birth.month() as u8, birth.day()) {
        a -= 1;
    }
    a
}

impl Gen<'_> {
    fn next_ref(&mut self, provider: &str, year: i32) -> String {
        self.seq += 1;
        let prefix: String = provider
            .split('-')
            .map(|w| w.chars().next().unwrap_or('x').to_ascii_uppercase())
            .collect();
        format!("{prefix}-{year}-{:03}{:06}", self.chunk, self.seq)
    }

    fn push(
        &mut self,
        provider: &'static str,
        entity: &'static str,
        year: i32,
        rec: IntakeRecord,
        person: Option<u64>,
    ) {
        if let Some(pid) = person {
            let first = |v: Option<&Value>| match v {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
                _ => None,
            };
            let clear = self.last_clear.take().map(|c| ClearIdentifiers {
                sex: first(rec.data.get("sex")),
                citizenship: first(rec.data.get("citizenship")),
                ..c
            });
            self.truth.push(TruthRow {
                provider,
                entity,
                provider_ref: rec.provider_ref.clone(),
                person_id: pid,
                clear,
            });
            self.person_records += 1;
        } else {
            self.other_records += 1;
        }
        match self
            .batches
            .iter_mut()
            .find(|b| b.provider == provider && b.entity == entity && b.year == year)
        {
            Some(b) => b.records.push(rec),
            None => self.batches.push(ChunkBatch {
                provider,
                entity,
                year,
                records: vec![rec],
            }),
        }
    }

    fn culture_for(&mut self, citizenship: &str) -> &'static Culture {
        match citizenship {
            "CF" => {
                if self.rng.random_bool(0.3) {
                    &SAHEL_MUSLIM
                } else {
                    &CAR_CHRISTIAN
                }
            }
            "TD" | "SD" | "NE" | "NG" => &SAHEL_MUSLIM,
            "CM" => &CAMEROON,
            "CD" | "CG" => &CONGO,
            "SS" => &SOUTH_SUDAN,
            _ => &SAHEL_MUSLIM,
        }
    }

    fn person(
        &mut self,
        id: u64,
        sex: &'static str,
        citizenship: &'static str,
        min_age: i64,
        max_age: i64,
        year: i32,
    ) -> PersonSpec {
        let culture = self.culture_for(citizenship);
        let pool = if sex == "F" {
            culture.given_f
        } else {
            culture.given_m
        };
        let mut given = pool
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("Marie")
            .to_string();
        if self.rng.random_bool(0.15) {
            // A second given name, as many registers record.
            let second = pool.choose(&mut self.rng).copied().unwrap_or("Marie");
            if second != given {
                given = format!("{given} {second}");
            }
        }
        let family = culture
            .family
            .choose(&mut self.rng)
            .copied()
            .unwrap_or("Zanga")
            .to_string();
        let age = self.rng.random_range(min_age..=max_age);
        let birth = date_in(year - age as i32, self.rng.random_range(1..=365));
        let id_number = self
            .rng
            .random_bool(0.25)
            .then(|| format!("{}{:07}", citizenship, self.rng.random_range(0..10_000_000)));
        let phone = self.rng.random_bool(0.35).then(|| {
            format!(
                "7{}{:06}",
                self.rng.random_range(0..5),
                self.rng.random_range(0..1_000_000)
            )
        });
        PersonSpec {
            id,
            sex,
            given,
            family,
            birth,
            citizenship,
            id_number,
            phone,
        }
    }

    /// How one provider writes a person down: each deviation is one real registers show.
    fn identifiers(
        &mut self,
        p: &PersonSpec,
        first_report: bool,
    ) -> (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    ) {
        let mut given = p.given.clone();
        let mut family = p.family.clone();
        if !first_report {
            for name in [&mut given, &mut family] {
                if self.rng.random_bool(0.35) {
                    let tokens: Vec<String> = name
                        .split(' ')
                        .map(|t| match SPELLINGS.iter().find(|set| set[0] == t) {
                            Some(set) if self.rng.random_bool(0.7) => {
                                set.choose(&mut self.rng).copied().unwrap_or(t).to_string()
                            }
                            _ => t.to_string(),
                        })
                        .collect();
                    *name = tokens.join(" ");
                }
                if self.rng.random_bool(0.3) {
                    *name = name
                        .chars()
                        .map(|c| match c {
                            'é' | 'è' | 'ê' => 'e',
                            'ï' | 'î' => 'i',
                            'â' | 'à' => 'a',
                            'ô' => 'o',
                            c => c,
                        })
                        .collect();
                }
                if self.rng.random_bool(0.12) {
                    *name = typo(&mut self.rng, name);
                }
                if self.rng.random_bool(0.15) {
                    *name = name.to_uppercase();
                }
            }
            if self.rng.random_bool(0.15) {
                std::mem::swap(&mut given, &mut family);
            }
            if given.contains(' ') && self.rng.random_bool(0.4) {
                given = given.split(' ').next().unwrap_or_default().to_string();
            }
        }
        let b = p.birth;
        let birth = match self.rng.random_range(0..100) {
            0..=54 => Some(format!(
                "{:04}-{:02}-{:02}",
                b.year(),
                b.month() as u8,
                b.day()
            )),
            55..=64 => Some(format!(
                "{:02}/{:02}/{:04}",
                b.day(),
                b.month() as u8,
                b.year()
            )),
            65..=71 => Some(format!("{:04}", b.year())),
            72..=76 => Some(format!(
                "{:04}",
                b.year() + if self.rng.random_bool(0.5) { 1 } else { -1 }
            )),
            77..=80 if b.day() <= 12 => Some(format!(
                "{:04}-{:02}-{:02}",
                b.year(),
                b.day(),
                b.month() as u8
            )),
            _ => None,
        };
        let id = p.id_number.clone().filter(|_| self.rng.random_bool(0.6));
        let phone = p.phone.clone().filter(|_| self.rng.random_bool(0.5));
        (given, family, birth, id, phone)
    }

    fn encode(
        &mut self,
        given: &str,
        family: &str,
        birth: Option<&str>,
        id: Option<&str>,
        phone: Option<&str>,
    ) -> tessera_pseudonym::Pseudonyms {
        self.last_clear = Some(ClearIdentifiers {
            given: given.to_string(),
            family: family.to_string(),
            birth: birth.map(str::to_string),
            id_number: id.map(str::to_string),
            phone: phone.map(str::to_string),
            ..ClearIdentifiers::default()
        });
        self.encoder.encode(&Identifiers {
            given_name: Some(given),
            family_name: Some(family),
            birth_date: birth,
            id_number: id,
            phone,
            ..Default::default()
        })
    }

    /// Common person fields: sex, age / band / birth year consistent with what was written.
    fn person_data(
        &mut self,
        p: &PersonSpec,
        at: Date,
        birth: Option<&str>,
        data: &mut Map<String, Value>,
    ) {
        let sex = if self.rng.random_bool(0.02) {
            "UNK"
        } else {
            p.sex
        };
        data.insert("sex".into(), json!(sex));
        let written_year = birth
            .and_then(tessera_pseudonym::BirthDate::parse)
            .map(|d| d.year);
        let true_age = age_at(p.birth, at);
        match (written_year, self.rng.random_range(0..100)) {
            (Some(y), _) => {
                let age = (at.year() - y) as i64
                    - i64::from(
                        (at.month() as u8, at.day()) < (p.birth.month() as u8, p.birth.day()),
                    );
                data.insert("birth_year".into(), json!(y));
                data.insert("age".into(), json!(age.max(0)));
            }
            (None, 0..=69) => {
                data.insert("age".into(), json!(true_age));
            }
            (None, 70..=89) => {
                data.insert(
                    "age_band".into(),
                    json!(if true_age < 18 { "CHILD" } else { "ADULT" }),
                );
            }
            _ => {}
        }
        if let Some(age) = data.get("age").and_then(Value::as_i64)
            && let Ok(band) = AgeBand::from_age(age)
        {
            data.insert("age_band".into(), json!(band.code()));
        }
        if !data.contains_key("age_band") {
            data.insert("age_band".into(), json!("UNK"));
        }
        let mut cit = vec![p.citizenship];
        if self.rng.random_bool(0.03) {
            cit.push("FR");
        }
        if self.rng.random_bool(0.05) {
            cit = vec!["XX"];
        }
        data.insert("citizenship".into(), json!(cit));
    }

    fn victim(&mut self, person_id: u64) {
        let year = self.rng.random_range(YEARS);
        let sex = if self.rng.random_bool(0.68) { "F" } else { "M" };
        let child = self.rng.random_bool(0.33);
        let citizenship = *[
            ("CF", 78u32),
            ("CM", 6),
            ("TD", 6),
            ("CD", 4),
            ("SD", 3),
            ("SS", 2),
            ("NG", 1),
        ]
        .choose_weighted(&mut self.rng, |x| x.1)
        .map(|x| &x.0)
        .unwrap_or(&"CF");
        let (lo, hi) = if child { (6, 17) } else { (18, 50) };
        let p = self.person(person_id, sex, citizenship, lo, hi, year);
        // The person's story, shared by every provider's record.
        let forms: Vec<&str> = {
            let choices: &[(&str, u32)] = if child {
                &[
                    ("SEX", 25),
                    ("LAB", 20),
                    ("DOM", 12),
                    ("BEG", 10),
                    ("MIL_ARMED", 18),
                    ("MAR", 10),
                    ("CRIM", 5),
                ]
            } else {
                &[
                    ("SEX", 42),
                    ("LAB", 30),
                    ("DOM", 10),
                    ("MAR", 6),
                    ("CRIM", 4),
                    ("ORG", 1),
                    ("OTH", 7),
                ]
            };
            let mut f = vec![
                choices
                    .choose_weighted(&mut self.rng, |x| x.1)
                    .map(|x| x.0)
                    .unwrap_or("OTH"),
            ];
            if self.rng.random_bool(0.1) {
                let g = choices
                    .choose_weighted(&mut self.rng, |x| x.1)
                    .map(|x| x.0)
                    .unwrap_or("OTH");
                if g != f[0] {
                    f.push(g);
                }
            }
            f
        };
        let exploited_abroad = self.rng.random_bool(0.12);
        let origin = citizenship;
        let exploitation_country = if exploited_abroad {
            *["CM", "TD", "SD", "CD", "CG", "GA", "NG", "SA", "LB"]
                .choose(&mut self.rng)
                .unwrap_or(&"CM")
        } else {
            "CF"
        };
        let region_exploitation = *REGIONS.choose(&mut self.rng).unwrap_or(&"CF-BGF");
        let means: Vec<&str> = [
            "THREAT",
            "DEBT",
            "FALSE_PROMISE",
            "PHYS_ABUSE",
            "SEX_ABUSE",
            "EARNINGS",
            "DOCUMENTS",
            "MOVEMENT",
            "PSYCH",
        ]
        .iter()
        .copied()
        .filter(|_| self.rng.random_bool(0.25))
        .collect();
        let recruitment = *[
            "FAMILY",
            "FRIENDS",
            "ABDUCTION",
            "FALSE_PROMISE_WORK",
            "ONLINE_SOCIAL",
            "WORK",
        ]
        .choose(&mut self.rng)
        .unwrap_or(&"FRIENDS");
        let recruitment = if recruitment == "FALSE_PROMISE_WORK" {
            "WORK"
        } else {
            recruitment
        };
        let mut vulns: Vec<&str> = Vec::new();
        for (v, pr) in [
            ("IDP", 0.3),
            ("MINORITY", 0.1),
            ("DISABILITY", 0.03),
            ("SOGIESC", 0.02),
            ("POVERTY", 0.4),
        ] {
            if self.rng.random_bool(pr) {
                vulns.push(v);
            }
        }
        if child && self.rng.random_bool(0.25) {
            vulns.push("UNACCOMPANIED");
        }
        if citizenship != "CF" && self.rng.random_bool(0.5) {
            vulns.push("MIGRANT");
        }
        let n_reports = match self.rng.random_range(0..100) {
            0..=59 => 1,
            60..=86 => 2,
            87..=96 => 3,
            _ => 4,
        };
        let mut weights: Vec<(&'static str, u32)> = VICTIM_PROVIDERS.to_vec();
        if child {
            for w in weights
                .iter_mut()
                .filter(|w| w.0 == "ong-enfance-paoua" || w.0 == "affaires-sociales")
            {
                w.1 *= 2;
            }
        }
        if forms.contains(&"LAB") {
            for w in weights.iter_mut().filter(|w| w.0 == "inspection-travail") {
                w.1 *= 3;
            }
        }
        let providers = distinct_providers(&mut self.rng, &weights, n_reports);
        let first_date = date_in(year, self.rng.random_range(1..=330));
        let first_type = provider_type(providers[0]);
        for (k, provider) in providers.iter().enumerate() {
            let date = if k == 0 {
                first_date
            } else {
                first_date + Duration::days(self.rng.random_range(0..60))
            };
            let date = if date.year() != year {
                Date::from_calendar_date(year, Month::December, 31).unwrap_or(first_date)
            } else {
                date
            };
            let r = self.next_ref(provider, year);
            let (given, family, birth, id, phone) = self.identifiers(&p, k == 0);
            let pseudonyms = self.encode(
                &given,
                &family,
                birth.as_deref(),
                id.as_deref(),
                phone.as_deref(),
            );
            let ptype = provider_type(provider);
            let status = match ptype {
                "POLICE" | "GENDARMERIE" | "BORDER" => {
                    if self.rng.random_bool(0.75) {
                        "IDENTIFIED"
                    } else {
                        "PRESUMED"
                    }
                }
                _ => {
                    if self.rng.random_bool(0.35) {
                        "IDENTIFIED"
                    } else {
                        "PRESUMED"
                    }
                }
            };
            let mut data = Map::new();
            data.insert("provider_ref".into(), json!(r));
            data.insert("identification_status".into(), json!(status));
            data.insert("date_identified".into(), json!(date.to_string()));
            data.insert("region_identified".into(), json!(provider_region(provider)));
            self.person_data(&p, date, birth.as_deref(), &mut data);
            // Providers do not all record everything: the data-quality dashboard will show it.
            let complete = match ptype {
                "POLICE" | "GENDARMERIE" | "INTL" => 0.9,
                "NGO" | "SOCIAL" => 0.75,
                _ => 0.6,
            };
            data.insert("exploitation".into(), json!(forms));
            if self.rng.random_bool(complete) {
                data.insert("country_of_origin".into(), json!(origin));
                data.insert(
                    "country_of_exploitation".into(),
                    json!(exploitation_country),
                );
                data.insert("cross_border".into(), json!(origin != exploitation_country));
            }
            if self.rng.random_bool(complete) {
                data.insert("region_of_exploitation".into(), json!(region_exploitation));
            }
            if self.rng.random_bool(complete) && !means.is_empty() {
                data.insert("means_of_control".into(), json!(means));
            }
            if self.rng.random_bool(complete) {
                data.insert("recruitment".into(), json!([recruitment]));
            }
            if !vulns.is_empty() && self.rng.random_bool(complete) {
                data.insert("vulnerabilities".into(), json!(vulns));
            }
            if forms.contains(&"MIL_ARMED") && self.rng.random_bool(0.8) {
                data.insert("armed_group_area".into(), json!(true));
            }
            let referred = ptype != "NGO" && self.rng.random_bool(0.6);
            data.insert(
                "referred_to_assistance".into(),
                json!(referred || matches!(ptype, "NGO" | "SOCIAL" | "INTL")),
            );
            let rec = IntakeRecord {
                provider_ref: r.clone(),
                data,
                pseudonyms: Some(pseudonyms),
                source_row: 0,
            };
            self.push(provider, "victim", year, rec, Some(p.id));
            if matches!(ptype, "NGO" | "SOCIAL" | "INTL") && self.rng.random_bool(0.8) {
                let start = date + Duration::days(self.rng.random_range(0..10));
                let referral = date;
                let services: Vec<&str> = [
                    "SHELTER",
                    "MEDICAL",
                    "PSYCHOSOCIAL",
                    "LEGAL",
                    "EDUCATION",
                    "LIVELIHOOD",
                    "FAMILY_TRACING",
                    "RETURN",
                ]
                .iter()
                .copied()
                .filter(|_| self.rng.random_bool(0.35))
                .collect();
                let services = if services.is_empty() {
                    vec!["PSYCHOSOCIAL"]
                } else {
                    services
                };
                let aref = self.next_ref(provider, year);
                let mut a = Map::new();
                a.insert("provider_ref".into(), json!(aref));
                a.insert("person_ref".into(), json!(r));
                a.insert("services".into(), json!(services));
                a.insert("referral_date".into(), json!(referral.to_string()));
                if k > 0 || self.rng.random_bool(0.3) {
                    a.insert(
                        "referred_by".into(),
                        json!(if k > 0 { first_type } else { "POLICE" }),
                    );
                }
                a.insert("start_date".into(), json!(start.to_string()));
                if self.rng.random_bool(0.6) {
                    a.insert(
                        "end_date".into(),
                        json!((start + Duration::days(self.rng.random_range(7..365))).to_string()),
                    );
                }
                self.push(
                    provider,
                    "assistance",
                    year,
                    IntakeRecord {
                        provider_ref: aref,
                        data: a,
                        pseudonyms: None,
                        source_row: 0,
                    },
                    None,
                );
            }
        }
    }

    fn suspect(&mut self, person_id: u64) {
        let year = self.rng.random_range(YEARS);
        let sex = if self.rng.random_bool(0.72) { "M" } else { "F" };
        let citizenship = *[("CF", 80u32), ("TD", 7), ("CM", 6), ("SD", 4), ("NG", 3)]
            .choose_weighted(&mut self.rng, |x| x.1)
            .map(|x| &x.0)
            .unwrap_or(&"CF");
        let p = self.person(person_id, sex, citizenship, 19, 60, year);
        let smuggling = self.rng.random_bool(0.2);
        let offence = if smuggling {
            "08051"
        } else {
            *["0204", "02041", "02042", "02044"]
                .choose(&mut self.rng)
                .unwrap_or(&"0204")
        };
        let role = if smuggling {
            "SMUGGLER"
        } else {
            *["RECRUITER", "TRANSPORTER", "EXPLOITER", "HARBOURER"]
                .choose(&mut self.rng)
                .unwrap_or(&"EXPLOITER")
        };
        let police = if smuggling && self.rng.random_bool(0.6) {
            "border-beloko"
        } else {
            pick_weighted(&mut self.rng, SUSPECT_PROVIDERS)
        };
        let investigated = date_in(year, self.rng.random_range(1..=300));
        let mut reports: Vec<(&'static str, Date)> = vec![(police, investigated)];
        let prosecuted = self.rng.random_bool(0.5);
        let prosecution_date = investigated + Duration::days(self.rng.random_range(20..200));
        let judged = prosecuted && self.rng.random_bool(0.55);
        let judgment_date = prosecution_date + Duration::days(self.rng.random_range(60..540));
        if self.rng.random_bool(0.85) {
            reports.push((
                "parquet-bangui",
                prosecution_date.min(investigated + Duration::days(30)),
            ));
        }
        if judged && self.rng.random_bool(0.9) {
            reports.push(("cour-appel-bangui", judgment_date));
        }
        for (k, (provider, at)) in reports.iter().enumerate() {
            let ryear = at.year().clamp(*YEARS.start(), *YEARS.end());
            let r = self.next_ref(provider, ryear);
            let (given, family, birth, id, _) = self.identifiers(&p, k == 0);
            let pseudonyms = self.encode(&given, &family, birth.as_deref(), id.as_deref(), None);
            let mut data = Map::new();
            data.insert("provider_ref".into(), json!(r));
            data.insert("date_recorded".into(), json!(at.to_string()));
            data.insert("offence".into(), json!(offence));
            data.insert("role".into(), json!([role]));
            data.insert("region".into(), json!(provider_region(provider)));
            self.person_data(&p, *at, birth.as_deref(), &mut data);
            if let Some(age) = data.get("age").and_then(Value::as_i64)
                && age < 10
            {
                data.remove("age");
            }
            self.push(
                provider,
                "suspect",
                ryear,
                IntakeRecord {
                    provider_ref: r.clone(),
                    data,
                    pseudonyms: Some(pseudonyms),
                    source_row: 0,
                },
                Some(p.id),
            );
            if matches!(*provider, "parquet-bangui" | "cour-appel-bangui") {
                let cref = self.next_ref(provider, ryear);
                let mut c = Map::new();
                c.insert("provider_ref".into(), json!(cref));
                c.insert("suspect_ref".into(), json!(r));
                c.insert("offence".into(), json!(offence));
                c.insert("investigation_date".into(), json!(investigated.to_string()));
                c.insert("region".into(), json!(provider_region(police)));
                c.insert("victims_count".into(), json!(self.rng.random_range(1..6)));
                if *provider == "cour-appel-bangui" {
                    c.insert("stage".into(), json!("JUDGMENT"));
                    c.insert(
                        "prosecution_date".into(),
                        json!(prosecution_date.to_string()),
                    );
                    c.insert("judgment_date".into(), json!(judgment_date.to_string()));
                    let verdict = *[("CONVICTED", 62u32), ("ACQUITTED", 28), ("DISMISSED", 10)]
                        .choose_weighted(&mut self.rng, |x| x.1)
                        .map(|x| &x.0)
                        .unwrap_or(&"CONVICTED");
                    c.insert("verdict".into(), json!(verdict));
                    if verdict == "CONVICTED" {
                        c.insert(
                            "sentence_months".into(),
                            json!(self.rng.random_range(6..=240)),
                        );
                    }
                } else if prosecuted {
                    c.insert("stage".into(), json!("PROSECUTION"));
                    c.insert(
                        "prosecution_date".into(),
                        json!(prosecution_date.to_string()),
                    );
                } else {
                    c.insert(
                        "stage".into(),
                        json!(if self.rng.random_bool(0.5) {
                            "CLOSED"
                        } else {
                            "INVESTIGATION"
                        }),
                    );
                }
                self.push(
                    provider,
                    "cj_case",
                    ryear,
                    IntakeRecord {
                        provider_ref: cref.clone(),
                        data: c,
                        pseudonyms: None,
                        source_row: 0,
                    },
                    None,
                );
                let lref = self.next_ref(provider, ryear);
                let l = json!({ "provider_ref": lref, "person_ref": r, "case_ref": cref, "role": "SUSPECT" });
                self.push(
                    provider,
                    "person_case_link",
                    ryear,
                    IntakeRecord {
                        provider_ref: lref,
                        data: l.as_object().cloned().unwrap_or_default(),
                        pseudonyms: None,
                        source_row: 0,
                    },
                    None,
                );
            }
        }
    }

    /// A smuggling incident with its migrants; returns how many person ids it used.
    fn incident(&mut self, first_person: u64, budget: usize) -> usize {
        let year = self.rng.random_range(YEARS);
        let provider = pick_weighted(&mut self.rng, &MIGRANT_PROVIDERS[..2]);
        let date = date_in(year, self.rng.random_range(1..=365));
        let origin = *["TD", "SD", "CM", "NG", "CD", "ER", "SS"]
            .choose(&mut self.rng)
            .unwrap_or(&"TD");
        let destination = *["LY", "DZ", "CM", "CG", "GA", "IT"]
            .choose(&mut self.rng)
            .unwrap_or(&"LY");
        let n = self.rng.random_range(1..=6).min(budget.max(1));
        let iref = self.next_ref(provider, year);
        let mut inc = Map::new();
        inc.insert("provider_ref".into(), json!(iref));
        inc.insert("incident_date".into(), json!(date.to_string()));
        inc.insert("region".into(), json!(provider_region(provider)));
        inc.insert("country_of_origin".into(), json!(origin));
        inc.insert("transit_countries".into(), json!(["CF"]));
        inc.insert("destination_country".into(), json!(destination));
        inc.insert(
            "transport_mode".into(),
            json!(if provider == "border-mpoko" {
                "AIR"
            } else {
                "LAND"
            }),
        );
        inc.insert("migrants_count".into(), json!(n));
        if self.rng.random_bool(0.05) {
            inc.insert("deaths".into(), json!(self.rng.random_range(1..4)));
        }
        if self.rng.random_bool(0.1) {
            inc.insert("injuries".into(), json!(self.rng.random_range(1..6)));
        }
        inc.insert("suspects_count".into(), json!(self.rng.random_range(0..3)));
        self.push(
            provider,
            "smuggling_incident",
            year,
            IntakeRecord {
                provider_ref: iref.clone(),
                data: inc,
                pseudonyms: None,
                source_row: 0,
            },
            None,
        );
        for i in 0..n {
            let sex = if self.rng.random_bool(0.7) { "M" } else { "F" };
            let p = self.person(first_person + i as u64, sex, origin, 14, 45, year);
            let mut providers = vec![provider];
            if self.rng.random_bool(0.3) {
                providers.push("oim-rca");
            }
            for (k, prov) in providers.iter().enumerate() {
                let at = date
                    + Duration::days(if k == 0 {
                        0
                    } else {
                        self.rng.random_range(1..30)
                    });
                let ryear = at.year().min(*YEARS.end());
                let r = self.next_ref(prov, ryear);
                let (given, family, birth, id, _) = self.identifiers(&p, k == 0);
                let pseudonyms =
                    self.encode(&given, &family, birth.as_deref(), id.as_deref(), None);
                let mut data = Map::new();
                data.insert("provider_ref".into(), json!(r));
                data.insert("incident_ref".into(), json!(iref));
                data.insert("date_recorded".into(), json!(at.to_string()));
                data.insert("country_of_origin".into(), json!(origin));
                data.insert("destination_country".into(), json!(destination));
                self.person_data(&p, at, birth.as_deref(), &mut data);
                self.push(
                    prov,
                    "smuggled_migrant",
                    ryear,
                    IntakeRecord {
                        provider_ref: r,
                        data,
                        pseudonyms: Some(pseudonyms),
                        source_row: 0,
                    },
                    Some(p.id),
                );
            }
        }
        n
    }
}

fn typo<R: Rng>(rng: &mut R, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() < 4 {
        return s.to_string();
    }
    let i = rng.random_range(1..chars.len() - 1);
    match rng.random_range(0..3) {
        0 => {
            chars.remove(i);
        }
        1 => chars.swap(i, i + 1),
        _ => {
            let c = *['a', 'e', 'i', 'o', 'u', 'n', 'k']
                .choose(rng)
                .unwrap_or(&'a');
            chars[i] = c;
        }
    }
    chars.into_iter().collect()
}

/// Generates chunk `idx` of the demo, holding `target` person records. The chunk's content depends
/// only on (`seed`, `idx`, `target`), so chunks can be built in any order or in parallel.
pub fn generate_chunk(seed: u64, idx: usize, target: usize, encoder: &dyn Encoder) -> Chunk {
    let rng = ChaCha8Rng::seed_from_u64(seed ^ (idx as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut g = Gen {
        rng,
        encoder,
        chunk: idx,
        seq: 0,
        batches: Vec::new(),
        truth: Vec::new(),
        last_clear: None,
        person_records: 0,
        other_records: 0,
    };
    let mut next_person = (idx as u64) * 10_000_000 + 1;
    let mut persons = 0;
    while g.person_records < target {
        let before = g.person_records;
        match g.rng.random_range(0..100) {
            0..=79 => {
                g.victim(next_person);
                next_person += 1;
                persons += 1;
            }
            80..=93 => {
                g.suspect(next_person);
                next_person += 1;
                persons += 1;
            }
            _ => {
                let used = g.incident(next_person, target - g.person_records);
                next_person += used as u64;
                persons += used;
            }
        }
        // Trim the last person's extra reports so the total is exact.
        while g.person_records > target {
            let Some(t) = g.truth.pop() else { break };
            for b in g
                .batches
                .iter_mut()
                .filter(|b| b.provider == t.provider && b.entity == t.entity)
            {
                b.records.retain(|r| r.provider_ref != t.provider_ref);
            }
            g.person_records -= 1;
        }
        if g.person_records == before {
            break;
        }
    }
    let mut batches = g.batches;
    batches.retain(|b| !b.records.is_empty());
    batches.shuffle(&mut g.rng);
    Chunk {
        batches,
        truth: g.truth,
        persons,
        person_records: g.person_records,
        other_records: g.other_records,
    }
}
