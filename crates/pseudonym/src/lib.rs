//! Keyed pseudonymisation of identifying fields.
//!
//! Names, birth dates, identity and phone numbers are accepted at intake only to be turned into
//! keyed pseudonyms here, then dropped: they are never stored and never logged. Two kinds of
//! encoding come out of an [`Encoder`]:
//!
//! * **exact keys** — HMAC-SHA256 (truncated to 128 bits) of normalised values, for blocking and
//!   exact agreement (same full name, same date of birth, same ID number);
//! * a **CLK** — a 1024-bit Bloom-filter encoding of the name's q-grams, keyed with the same secret,
//!   whose Dice similarity tracks the similarity of the names without revealing them.
//!
//! Normalisation does the work that makes the same person look the same across providers: case,
//! diacritics, punctuation, name order, and common transliteration variants of Arabic, French and
//! Bengali names (Mohamed/Mohammed/Muhammad/Mahamat, Ousmane/Usman, Fatoumata/Fatima, …).
//! Without the deployment secret, none of the encodings can be recomputed from a guessed name.

mod normalise;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

pub use normalise::{
    BirthDate, glue_initials, normalise_address, normalise_id, normalise_name, normalise_phone,
    normalise_place, phonetic,
};

type HmacSha256 = Hmac<Sha256>;

/// Bits in a name CLK.
pub const CLK_BITS: usize = 1024;
/// Bit positions set per q-gram.
const CLK_HASHES: u64 = 20;
/// Bytes kept of each exact key: 64 bits keep accidental collisions negligible at national scale
/// (about one chance in 300,000 among ten million distinct values) and halve what is stored.
pub const KEY_LEN: usize = 8;

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum PseudonymError {
    #[error("the deployment secret must be at least 32 bytes; it has {0}")]
    ShortSecret(usize),
    #[error("the deployment secret file {path} cannot be read: {source}")]
    SecretFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the deployment secret must be hexadecimal text")]
    SecretNotHex,
    #[error("encoded pseudonyms are damaged (unknown key tag {0})")]
    BadEncoding(u8),
    #[error("not a pseudonym token made by `tessera pseudonymise`: {0}")]
    BadToken(&'static str),
}

/// The deployment secret. Whoever holds it can test guesses against pseudonyms, so it lives outside
/// the database (a key file or an environment variable) and is wiped from memory when dropped.
#[derive(Clone)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    pub fn from_bytes(bytes: &[u8]) -> Result<Secret, PseudonymError> {
        if bytes.len() < 32 {
            return Err(PseudonymError::ShortSecret(bytes.len()));
        }
        Ok(Secret(Zeroizing::new(bytes.to_vec())))
    }

    /// Reads a secret written as hexadecimal text (what [`Secret::to_hex`] writes).
    pub fn from_hex(text: &str) -> Result<Secret, PseudonymError> {
        let t = text.trim();
        if !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PseudonymError::SecretNotHex);
        }
        let bytes: Vec<u8> = (0..t.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&t[i..i + 2], 16).map_err(|_| PseudonymError::SecretNotHex))
            .collect::<Result<_, _>>()?;
        Secret::from_bytes(&bytes)
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(self.0.iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// The identifying fields of one person record, in clear, as they arrive at intake.
#[derive(Debug, Default, Clone)]
pub struct Identifiers<'a> {
    pub given_name: Option<&'a str>,
    pub family_name: Option<&'a str>,
    pub birth_date: Option<&'a str>,
    pub id_number: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub father_name: Option<&'a str>,
    pub mother_name: Option<&'a str>,
    /// Street address (number and street), as `tessera link` reads it from files that have one.
    pub address: Option<&'a str>,
    /// Town, locality or district of residence.
    pub locality: Option<&'a str>,
    pub postcode: Option<&'a str>,
}

impl Identifiers<'_> {
    pub fn is_empty(&self) -> bool {
        [
            self.given_name,
            self.family_name,
            self.birth_date,
            self.id_number,
            self.phone,
            self.father_name,
            self.mother_name,
            self.address,
            self.locality,
            self.postcode,
        ]
        .iter()
        .all(|f| f.is_none_or(|s| s.trim().is_empty()))
    }
}

/// What an exact key was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum KeyKind {
    /// All name tokens, sorted (so name order does not matter).
    FullName = 1,
    /// Full name and complete date of birth.
    NameBirthDate = 2,
    /// Complete date of birth.
    BirthDate = 3,
    /// Year and month of birth.
    BirthYearMonth = 4,
    /// Day and month in either order, with the year. Written by the first scheme only (now
    /// [`KeyKind::DayMonth`] with the year kept in clear); still read from older tokens.
    BirthDateUnordered = 5,
    /// Identity or passport number.
    IdNumber = 6,
    /// Phone number (last eight digits).
    Phone = 7,
    /// Parents' names.
    Parents = 8,
    /// Family-name tokens alone.
    FamilyName = 9,
    /// Given-name tokens alone.
    GivenName = 10,
    /// Day and month of birth in either order, without the year: catches a swapped day and
    /// month, and a year misread or mistyped.
    DayMonth = 11,
    /// Street address (number and street).
    Address = 12,
    /// Town, locality or district of residence.
    Locality = 13,
    /// Postcode.
    Postcode = 14,
    /// All name tokens as they sound ([`phonetic`]), sorted: the same name under spellings that
    /// no table lists, and a typo in a vowel.
    NamePhonetic = 15,
}

impl KeyKind {
    fn from_u8(b: u8) -> Option<KeyKind> {
        use KeyKind::*;
        [
            FullName,
            NameBirthDate,
            BirthDate,
            BirthYearMonth,
            BirthDateUnordered,
            IdNumber,
            Phone,
            Parents,
            FamilyName,
            GivenName,
            DayMonth,
            Address,
            Locality,
            Postcode,
            NamePhonetic,
        ]
        .into_iter()
        .find(|k| *k as u8 == b)
    }
}

/// The pseudonyms of one person record: all that is kept of its identifying fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pseudonyms {
    /// Bloom-filter encoding of the name q-grams; all zero when no name was given.
    pub clk: [u64; CLK_BITS / 64],
    /// Exact keys, sorted by kind.
    pub keys: Vec<(KeyKind, [u8; KEY_LEN])>,
    /// Year of birth, when known: a quasi-identifier kept in clear for blocking and statistics.
    pub birth_year: Option<i32>,
}

impl Pseudonyms {
    pub fn key(&self, kind: KeyKind) -> Option<&[u8; KEY_LEN]> {
        self.keys.iter().find(|(k, _)| *k == kind).map(|(_, v)| v)
    }

    pub fn clk_bytes(&self) -> Vec<u8> {
        self.clk.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    pub fn clk_from_bytes(bytes: &[u8]) -> [u64; CLK_BITS / 64] {
        let mut clk = [0u64; CLK_BITS / 64];
        for (i, chunk) in bytes.chunks_exact(8).take(clk.len()).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            clk[i] = u64::from_le_bytes(w);
        }
        clk
    }

    /// Compact form of the exact keys for storage: tag byte + 16 bytes each.
    pub fn keys_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.keys.len() * (KEY_LEN + 1));
        for (kind, key) in &self.keys {
            out.push(*kind as u8);
            out.extend_from_slice(key);
        }
        out
    }

    pub fn keys_from_bytes(bytes: &[u8]) -> Result<Vec<(KeyKind, [u8; KEY_LEN])>, PseudonymError> {
        bytes
            .chunks(KEY_LEN + 1)
            .map(|c| {
                let kind = KeyKind::from_u8(c[0]).ok_or(PseudonymError::BadEncoding(c[0]))?;
                let mut key = [0u8; KEY_LEN];
                if c.len() != KEY_LEN + 1 {
                    return Err(PseudonymError::BadEncoding(c[0]));
                }
                key.copy_from_slice(&c[1..]);
                Ok((kind, key))
            })
            .collect()
    }

    /// Dice coefficient of two CLKs: 2|A∩B| / (|A|+|B|), 0 when either is empty.
    pub fn dice(&self, other: &Pseudonyms) -> f64 {
        dice(&self.clk, &other.clk)
    }

    /// The pseudonyms as one line of text, for a file that travels without names (provider-side
    /// pseudonymisation): `tsp1.` then, in unpadded URL-safe base64, the year of birth (two
    /// bytes, 0 when unknown), the CLK and the tagged exact keys.
    pub fn to_token(&self) -> String {
        let year = self
            .birth_year
            .filter(|y| (1..=i32::from(u16::MAX)).contains(y))
            .unwrap_or(0) as u16;
        let mut bytes = Vec::with_capacity(2 + CLK_BITS / 8 + self.keys.len() * (KEY_LEN + 1));
        bytes.extend_from_slice(&year.to_be_bytes());
        bytes.extend_from_slice(&self.clk_bytes());
        bytes.extend_from_slice(&self.keys_bytes());
        format!("{TOKEN_PREFIX}{}", base64url::encode(&bytes))
    }

    /// Reads a token written by [`Pseudonyms::to_token`]; anything else is refused.
    pub fn from_token(token: &str) -> Result<Pseudonyms, PseudonymError> {
        let body = token
            .trim()
            .strip_prefix(TOKEN_PREFIX)
            .ok_or(PseudonymError::BadToken("it does not start with tsp1."))?;
        let bytes = base64url::decode(body).ok_or(PseudonymError::BadToken("damaged text"))?;
        let head = 2 + CLK_BITS / 8;
        if bytes.len() < head || !(bytes.len() - head).is_multiple_of(KEY_LEN + 1) {
            return Err(PseudonymError::BadToken("wrong length"));
        }
        let year = u16::from_be_bytes([bytes[0], bytes[1]]);
        let mut keys = Pseudonyms::keys_from_bytes(&bytes[head..])?;
        keys.sort_by_key(|(k, _)| *k as u8);
        if keys.windows(2).any(|w| w[0].0 == w[1].0) {
            return Err(PseudonymError::BadToken("a key appears twice"));
        }
        Ok(Pseudonyms {
            clk: Pseudonyms::clk_from_bytes(&bytes[2..head]),
            keys,
            birth_year: (year != 0).then_some(i32::from(year)),
        })
    }
}

/// Identifies this encoder's code (a digest of its source): two builds that give the same
/// fingerprint normalise and encode alike. The browser's copy (WebAssembly) is checked against the
/// server's before a file is encoded, so a stale copy cannot make pseudonyms that never link.
pub fn fingerprint() -> &'static str {
    static FINGERPRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        use sha2::Digest;
        let mut h = Sha256::new();
        h.update(include_str!("lib.rs"));
        h.update(include_str!("normalise.rs"));
        h.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// Start of a pseudonym token (version 1 of the layout).
pub const TOKEN_PREFIX: &str = "tsp1.";

/// Unpadded URL-safe base64 (RFC 4648 §5), small enough to keep here.
mod base64url {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let value = |c: u8| ALPHABET.iter().position(|a| *a == c).map(|v| v as u32);
        let text = text.as_bytes();
        if text.len() % 4 == 1 {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 3 / 4);
        for chunk in text.chunks(4) {
            let mut n = 0u32;
            for (i, c) in chunk.iter().enumerate() {
                n |= value(*c)? << (18 - 6 * i);
            }
            for i in 0..chunk.len() - 1 {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        Some(out)
    }
}

/// Dice coefficient of two bit sets.
pub fn dice(a: &[u64], b: &[u64]) -> f64 {
    let (mut both, mut total) = (0u32, 0u32);
    for (x, y) in a.iter().zip(b) {
        both += (x & y).count_ones();
        total += x.count_ones() + y.count_ones();
    }
    if total == 0 {
        0.0
    } else {
        2.0 * both as f64 / total as f64
    }
}

/// Turns identifying fields into pseudonyms. Intake depends on this interface only, so a
/// deployment can swap the scheme (and the linkage crate can read what it wrote).
pub trait Encoder: Send + Sync {
    /// Name and version of the encoding scheme, stored with each record's pseudonyms.
    fn scheme(&self) -> &'static str;
    fn encode(&self, ids: &Identifiers<'_>) -> Pseudonyms;
}

/// Characters of the bigram table: what normalised Latin-script names are made of.
const ALPHABET: &[u8] = b"_abcdefghijklmnopqrstuvwxyz0123456789";

fn alphabet_index(c: char) -> Option<usize> {
    match c {
        '_' => Some(0),
        'a'..='z' => Some(1 + (c as usize - 'a' as usize)),
        '0'..='9' => Some(27 + (c as usize - '0' as usize)),
        _ => None,
    }
}

/// The standard encoder: HMAC-SHA256 exact keys and a keyed 1024-bit CLK of name bigrams.
#[derive(Clone)]
pub struct KeyedEncoder {
    mac: HmacSha256,
    /// The two hash seeds of every bigram over [`ALPHABET`], computed once per secret: the same
    /// values as computing the HMAC each time, without its cost on every name. Other scripts
    /// (Bengali, Cyrillic…) fall back to computing the HMAC.
    bigrams: std::sync::Arc<Vec<(u64, u64)>>,
}

impl KeyedEncoder {
    pub fn new(secret: &Secret) -> KeyedEncoder {
        // HMAC accepts keys of any length; the constructor cannot fail.
        let mac = <HmacSha256 as Mac>::new_from_slice(&secret.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        let mut enc = KeyedEncoder {
            mac,
            bigrams: std::sync::Arc::new(Vec::new()),
        };
        let n = ALPHABET.len();
        let mut table = Vec::with_capacity(n * n);
        for a in ALPHABET {
            for b in ALPHABET {
                let gram: String = [*a as char, *b as char].iter().collect();
                table.push(enc.bigram_seeds(&gram));
            }
        }
        enc.bigrams = std::sync::Arc::new(table);
        enc
    }

    fn bigram_seeds(&self, gram: &str) -> (u64, u64) {
        let h = self.hmac(b"clk", &[gram]);
        let h1 = u64::from_le_bytes(h[0..8].try_into().unwrap_or([0; 8]));
        let h2 = u64::from_le_bytes(h[8..16].try_into().unwrap_or([0; 8])) | 1;
        (h1, h2)
    }

    fn hmac(&self, domain: &[u8], parts: &[&str]) -> [u8; 32] {
        let mut m = self.mac.clone();
        m.update(domain);
        for p in parts {
            m.update(&[0x1f]);
            m.update(p.as_bytes());
        }
        m.finalize().into_bytes().into()
    }

    fn key(&self, domain: &[u8], parts: &[&str]) -> [u8; KEY_LEN] {
        let full = self.hmac(domain, parts);
        let mut k = [0u8; KEY_LEN];
        k.copy_from_slice(&full[..KEY_LEN]);
        k
    }

    fn add_to_clk(&self, clk: &mut [u64; CLK_BITS / 64], token: &str) {
        // Bigrams of the padded token: "_fatima_" → _f, fa, at, ti, im, ma, a_.
        let mut prev = '_';
        let mut buf = String::with_capacity(8);
        for c in token.chars().chain(std::iter::once('_')) {
            let (h1, h2) = match (alphabet_index(prev), alphabet_index(c)) {
                (Some(i), Some(j)) if !self.bigrams.is_empty() => {
                    self.bigrams[i * ALPHABET.len() + j]
                }
                _ => {
                    buf.clear();
                    buf.push(prev);
                    buf.push(c);
                    self.bigram_seeds(&buf)
                }
            };
            for i in 0..CLK_HASHES {
                let bit = (h1.wrapping_add(i.wrapping_mul(h2)) % CLK_BITS as u64) as usize;
                clk[bit / 64] |= 1 << (bit % 64);
            }
            prev = c;
        }
    }
}

impl Encoder for KeyedEncoder {
    fn scheme(&self) -> &'static str {
        "tessera-hmac-clk-v2"
    }

    fn encode(&self, ids: &Identifiers<'_>) -> Pseudonyms {
        let given = ids.given_name.map(normalise_name).unwrap_or_default();
        let family = ids.family_name.map(normalise_name).unwrap_or_default();
        let mut all: Vec<String> = given.iter().chain(family.iter()).cloned().collect();
        all.sort();
        let mut clk = [0u64; CLK_BITS / 64];
        for t in &all {
            self.add_to_clk(&mut clk, t);
        }
        let mut keys = Vec::new();
        let joined = all.join(" ");
        let sorted_join = |mut v: Vec<String>| {
            v.sort();
            v.join(" ")
        };
        if !all.is_empty() {
            keys.push((KeyKind::FullName, self.key(b"name", &[&joined])));
        }
        if !all.is_empty() {
            let mut sounds: Vec<String> = glue_initials(&given)
                .iter()
                .chain(glue_initials(&family).iter())
                .map(|t| phonetic(t))
                .collect();
            sounds.sort();
            keys.push((
                KeyKind::NamePhonetic,
                self.key(b"phon", &[&sounds.join(" ")]),
            ));
        }
        if !family.is_empty() {
            keys.push((
                KeyKind::FamilyName,
                self.key(b"family", &[&sorted_join(family.clone())]),
            ));
        }
        if !given.is_empty() {
            keys.push((
                KeyKind::GivenName,
                self.key(b"given", &[&sorted_join(given.clone())]),
            ));
        }
        let dob = ids.birth_date.and_then(BirthDate::parse);
        if let Some(d) = &dob {
            if let (Some(m), Some(day)) = (d.month, d.day) {
                let full = format!("{:04}-{m:02}-{day:02}", d.year);
                keys.push((KeyKind::BirthDate, self.key(b"dob", &[&full])));
                let (lo, hi) = (m.min(day), m.max(day));
                keys.push((KeyKind::DayMonth, self.key(b"dm", &[&format!("{lo}:{hi}")])));
                if !all.is_empty() {
                    keys.push((
                        KeyKind::NameBirthDate,
                        self.key(b"namedob", &[&joined, &full]),
                    ));
                }
            }
            if let Some(m) = d.month {
                keys.push((
                    KeyKind::BirthYearMonth,
                    self.key(b"dobym", &[&format!("{:04}-{m:02}", d.year)]),
                ));
            }
        }
        if let Some(id) = ids.id_number.map(normalise_id).filter(|s| !s.is_empty()) {
            keys.push((KeyKind::IdNumber, self.key(b"id", &[&id])));
        }
        if let Some(p) = ids.phone.and_then(normalise_phone) {
            keys.push((KeyKind::Phone, self.key(b"phone", &[&p])));
        }
        let mut parents: Vec<String> = ids.father_name.map(normalise_name).unwrap_or_default();
        parents.extend(ids.mother_name.map(normalise_name).unwrap_or_default());
        if !parents.is_empty() {
            keys.push((
                KeyKind::Parents,
                self.key(b"parents", &[&sorted_join(parents)]),
            ));
        }
        let place = [
            (
                KeyKind::Address,
                b"addr" as &[u8],
                ids.address.map(normalise_address),
            ),
            (
                KeyKind::Locality,
                b"place",
                ids.locality.map(normalise_place),
            ),
            (
                KeyKind::Postcode,
                b"postcode",
                ids.postcode.map(normalise_id),
            ),
        ];
        for (kind, domain, value) in place {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                keys.push((kind, self.key(domain, &[&v])));
            }
        }
        keys.sort_by_key(|(k, _)| *k);
        Pseudonyms {
            clk,
            keys,
            birth_year: dob.map(|d| d.year),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc() -> KeyedEncoder {
        KeyedEncoder::new(&Secret::from_bytes(&[7u8; 32]).unwrap())
    }

    fn ids<'a>(g: &'a str, f: &'a str, dob: &'a str) -> Identifiers<'a> {
        Identifiers {
            given_name: Some(g),
            family_name: Some(f),
            birth_date: Some(dob),
            ..Default::default()
        }
    }

    #[test]
    fn tokens_round_trip_and_refuse_anything_else() {
        let full = enc().encode(&Identifiers {
            id_number: Some("CF-0012345"),
            phone: Some("+236 72 11 22 33"),
            ..ids("Awa", "Ndiaye", "1999-12-31")
        });
        let bare = enc().encode(&Identifiers {
            given_name: Some("Awa"),
            ..Default::default()
        });
        for p in [&full, &bare] {
            let t = p.to_token();
            assert!(t.starts_with(TOKEN_PREFIX));
            assert!(!t.contains("Awa") && !t.contains("1999"));
            assert_eq!(&Pseudonyms::from_token(&t).unwrap(), p);
        }
        assert!(bare.birth_year.is_none());
        // Base64 against known vectors (RFC 4648), unpadded.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
        ] {
            assert_eq!(base64url::encode(plain.as_bytes()), coded);
            assert_eq!(base64url::decode(coded).unwrap(), plain.as_bytes());
        }
        let good = full.to_token();
        for bad in [
            "",
            "Awa Ndiaye",
            "tsp1.",
            "tsp1.!!!!",
            &good[..good.len() - 3],
            &good.replacen("tsp1.", "tsp2.", 1),
            &format!("{good}AAAAAAAAAAAA"),
        ] {
            assert!(Pseudonyms::from_token(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn transliteration_variants_and_name_order_give_the_same_keys() {
        let a = enc().encode(&ids("Mohamed", "Abakar", "2001-03-04"));
        let b = enc().encode(&ids("ABAKAR", "Muhammad", "2001-03-04"));
        let c = enc().encode(&ids("Mahamat", "abakar", "2001-03-04"));
        assert_eq!(a.key(KeyKind::FullName), b.key(KeyKind::FullName));
        assert_eq!(a.key(KeyKind::NameBirthDate), c.key(KeyKind::NameBirthDate));
        // Spellings no table lists still sound alike, in either order.
        let d = enc().encode(&ids("Abakaar", "MOHAMAD", "2001-03-04"));
        assert_ne!(a.key(KeyKind::FullName), d.key(KeyKind::FullName));
        assert_eq!(a.key(KeyKind::NamePhonetic), d.key(KeyKind::NamePhonetic));
        assert_eq!(a.clk, b.clk);
    }

    #[test]
    fn different_secret_gives_unrelated_keys() {
        let other = KeyedEncoder::new(&Secret::from_bytes(&[8u8; 32]).unwrap());
        let a = enc().encode(&ids("Fatima", "Ndiaye", "1999"));
        let b = other.encode(&ids("Fatima", "Ndiaye", "1999"));
        assert_ne!(a.key(KeyKind::FullName), b.key(KeyKind::FullName));
        assert!(a.dice(&b) < 0.5);
    }

    #[test]
    fn clk_similarity_follows_name_similarity() {
        let e = enc();
        let base = e.encode(&ids("Severin", "Kongbo", ""));
        let typo = e.encode(&ids("Séverin", "Kongbho", ""));
        let other = e.encode(&ids("Aicha", "Yakite", ""));
        assert!(base.dice(&typo) > 0.75, "{}", base.dice(&typo));
        assert!(base.dice(&other) < 0.4, "{}", base.dice(&other));
    }

    #[test]
    fn swapped_day_and_month_or_another_year_share_the_day_month_key() {
        let e = enc();
        let a = e.encode(&ids("A", "B", "2003-05-11"));
        let b = e.encode(&ids("A", "B", "2003-11-05"));
        let c = e.encode(&ids("A", "B", "2004-05-11"));
        let d = e.encode(&ids("A", "B", "2003-05-12"));
        assert_ne!(a.key(KeyKind::BirthDate), b.key(KeyKind::BirthDate));
        assert_eq!(a.key(KeyKind::DayMonth), b.key(KeyKind::DayMonth));
        assert_eq!(a.key(KeyKind::DayMonth), c.key(KeyKind::DayMonth));
        assert_ne!(a.key(KeyKind::DayMonth), d.key(KeyKind::DayMonth));
        assert_eq!(a.birth_year, Some(2003));
        assert!(
            e.encode(&ids("A", "B", "2003-05"))
                .key(KeyKind::DayMonth)
                .is_none()
        );
    }

    #[test]
    fn addresses_are_keyed_after_normalisation_and_absent_ones_give_no_key() {
        let e = enc();
        let at = |a: &'static str, l: &'static str, p: &'static str| {
            e.encode(&Identifiers {
                address: Some(a),
                locality: Some(l),
                postcode: Some(p),
                ..ids("A", "B", "2003")
            })
        };
        let x = at("12 Main Street", "Bimbo", "1234");
        let y = at("12 main st.", "BIMBO", " 1234 ");
        let z = at("14 Main Street", "Bimbo", "1235");
        for k in [KeyKind::Address, KeyKind::Locality, KeyKind::Postcode] {
            assert!(x.key(k).is_some());
            assert_eq!(x.key(k), y.key(k));
        }
        assert_ne!(x.key(KeyKind::Address), z.key(KeyKind::Address));
        assert_ne!(x.key(KeyKind::Postcode), z.key(KeyKind::Postcode));
        // Keyed, not just hashed: another secret gives another value.
        let other = KeyedEncoder::new(&Secret::from_bytes(&[8u8; 32]).unwrap());
        let w = other.encode(&Identifiers {
            address: Some("12 Main Street"),
            ..Default::default()
        });
        assert_ne!(w.key(KeyKind::Address), x.key(KeyKind::Address));
        assert!(at("", "", "").key(KeyKind::Address).is_none());
        assert!(
            !Identifiers {
                postcode: Some("1"),
                ..Default::default()
            }
            .is_empty()
        );
    }

    #[test]
    fn stored_forms_round_trip_and_damage_is_detected() {
        let p = enc().encode(&Identifiers {
            id_number: Some("ab 123-45"),
            phone: Some("+236 72 12 34 56"),
            ..ids("Ali", "Saleh", "1990-01-02")
        });
        let back = Pseudonyms::keys_from_bytes(&p.keys_bytes()).unwrap();
        assert_eq!(back, p.keys);
        assert_eq!(Pseudonyms::clk_from_bytes(&p.clk_bytes()), p.clk);
        assert!(Pseudonyms::keys_from_bytes(&[99; 9]).is_err());
        assert!(Pseudonyms::keys_from_bytes(&[1; 5]).is_err());
    }

    #[test]
    fn secret_must_be_long_enough_and_hex() {
        assert!(Secret::from_bytes(&[0; 31]).is_err());
        let s = Secret::from_bytes(&[0xab; 32]).unwrap();
        assert_eq!(Secret::from_hex(&s.to_hex()).unwrap().0, s.0);
        assert!(Secret::from_hex("zz").is_err());
        assert_eq!(format!("{s:?}"), "Secret(…)");
    }

    #[test]
    fn the_bigram_table_gives_the_same_clk_as_hashing_each_bigram() {
        let e = enc();
        let slow = KeyedEncoder {
            bigrams: std::sync::Arc::new(Vec::new()),
            ..e.clone()
        };
        for name in [
            "Fatima",
            "N'Gaïssona",
            "Mohamed al-Amin 2",
            "মোহাম্মদ",
            "Ольга",
        ] {
            let ids = Identifiers {
                given_name: Some(name),
                ..Default::default()
            };
            assert_eq!(e.encode(&ids).clk, slow.encode(&ids).clk, "{name}");
        }
    }

    #[test]
    fn no_identifiers_give_no_keys() {
        let p = enc().encode(&Identifiers::default());
        assert!(p.keys.is_empty());
        assert!(p.clk.iter().all(|w| *w == 0));
        assert!(Identifiers::default().is_empty());
    }
}
