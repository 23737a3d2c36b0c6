//! Normalisation of identifying values before they are keyed. Everything here exists so that the
//! same person, written differently by two providers, encodes to the same or similar pseudonyms.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Spelling variants folded to one form. Each row: canonical form, then variants. Sources are the
/// transliterations seen across francophone Central and West Africa (Arabic names written in
/// French), English and Bengali romanisations.
const VARIANTS: &[(&str, &[&str])] = &[
    (
        "mohamed",
        &[
            "mohammed",
            "muhammad",
            "mohammad",
            "muhammed",
            "mohamad",
            "mouhamed",
            "mouhammed",
            "mahamat",
            "mahammat",
            "mahamad",
            "mohamat",
            "mamadou",
            "md",
            "mohd",
        ],
    ),
    (
        "abdullah",
        &[
            "abdoulaye",
            "abdullahi",
            "abdallah",
            "abdallahi",
            "abdulla",
            "abdoullah",
        ],
    ),
    ("abdul", &["abdel", "abdoul", "abdou", "abd"]),
    (
        "abubakar",
        &[
            "aboubakar",
            "aboubacar",
            "boubacar",
            "abubakr",
            "abou bakr",
            "aboubakr",
        ],
    ),
    ("ibrahim", &["ibrahima", "brahim", "ebrahim", "ibrahime"]),
    (
        "usman",
        &["ousmane", "othman", "osman", "uthman", "ousman", "osmane"],
    ),
    ("musa", &["moussa", "mousa", "moosa"]),
    (
        "yusuf",
        &[
            "youssouf", "yousouf", "youssef", "yousuf", "yousef", "yusef",
        ],
    ),
    (
        "sulaiman",
        &[
            "souleymane",
            "suleiman",
            "sulayman",
            "soulemane",
            "souleman",
            "suleman",
        ],
    ),
    ("umar", &["oumar", "omar", "omer"]),
    ("idris", &["idriss", "idrissa", "driss"]),
    ("hassan", &["hasan", "hassane", "hacen"]),
    (
        "hussein",
        &[
            "hussain", "houssein", "hossain", "hosain", "hosen", "husain", "hussen", "houssen",
        ],
    ),
    (
        "ahmed",
        &["ahmad", "ahmat", "ahamat", "ahmadou", "amadou", "ahmadu"],
    ),
    ("ali", &["aly", "aliou", "alioune"]),
    ("adam", &["adama", "adamou"]),
    ("ismail", &["ismael", "ismaila", "smail"]),
    ("khalil", &["khalilou", "halilou"]),
    ("salih", &["saleh", "salah", "saley"]),
    (
        "yaqub",
        &["yacoub", "yakoub", "yaqoob", "yakubu", "yacouba"],
    ),
    ("ishaq", &["issa", "isaac", "ishak"]),
    ("rahman", &["rehman", "rahaman", "rahmane"]),
    (
        "aisha",
        &["aicha", "aissatou", "aissa", "ayesha", "aysha", "ayisha"],
    ),
    (
        "fatima",
        &[
            "fatoumata",
            "fatimata",
            "fatime",
            "fatouma",
            "fatma",
            "fatema",
            "fatou",
        ],
    ),
    (
        "khadija",
        &["kadidja", "khadidja", "khadidiatou", "kadiatou", "khadiza"],
    ),
    (
        "zainab",
        &["zeinab", "zeinabou", "zaynab", "zenab", "zeynab"],
    ),
    (
        "maryam",
        &["mariam", "mariama", "meriem", "maryame", "mariame"],
    ),
    ("halima", &["halimatou", "halimata", "alima"]),
    ("hawa", &["hawaou", "awa"]),
    ("jean", &["jan"]),
    // Nicknames and short forms that registers write instead of the given name (only those that
    // point to one name: "Alex" or "Sam" could be several, so they are left alone).
    ("fatima", &["fati", "fatim"]),
    ("abdullah", &["ablaye", "abdoulay"]),
    ("abubakar", &["bakary", "bakari"]),
    ("ibrahim", &["iba"]),
    ("musa", &["mousse"]),
    ("robert", &["bob", "bobby", "rob", "robbie"]),
    ("william", &["bill", "billy", "will", "willy"]),
    ("james", &["jim", "jimmy"]),
    ("michael", &["mike", "mick", "mickey"]),
    (
        "elizabeth",
        &["liz", "lizzie", "beth", "betty", "elisabeth"],
    ),
    (
        "catherine",
        &["katherine", "kathryn", "kate", "katie", "cathy", "kathy"],
    ),
    ("joseph", &["joe", "joey", "jose"]),
    ("thomas", &["tom", "tommy"]),
    ("anthony", &["tony", "antoine"]),
    ("richard", &["dick", "rick", "ricky"]),
    ("margaret", &["maggie", "peggy", "meg"]),
    ("jennifer", &["jenny", "jen"]),
    ("emmanuel", &["manu"]),
    ("francois", &["francis"]),
];

fn variant(token: &str) -> &str {
    // A map built once: linking a million records looks up two or three tokens each, and a scan
    // of the table per token was a tenth of the encoding time.
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static str>> =
        std::sync::OnceLock::new();
    let map = MAP.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        // First row wins, as the scan did.
        for (canonical, forms) in VARIANTS.iter().rev() {
            m.insert(*canonical, *canonical);
            for f in forms.iter() {
                m.insert(*f, *canonical);
            }
        }
        m
    });
    map.get(token).copied().unwrap_or(token)
}

/// Name tokens after normalisation: Unicode compatibility decomposition, accents dropped,
/// lower case, punctuation as separators, Arabic article prefixes (`al-`, `el-`) dropped, and
/// spelling variants folded. Order is kept; callers sort when order must not matter.
pub fn normalise_name(raw: &str) -> Vec<String> {
    if raw.is_ascii() {
        tokens(&fold_ascii(raw))
    } else {
        tokens(&fold_unicode(raw))
    }
}

/// ASCII is its own compatibility decomposition and has no combining marks: the same result as
/// [`fold_unicode`] without the Unicode tables.
fn fold_ascii(raw: &str) -> String {
    raw.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                b.to_ascii_lowercase() as char
            } else {
                ' '
            }
        })
        .collect()
}

fn fold_unicode(raw: &str) -> String {
    raw.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect()
}

/// The tokens of a folded name, articles dropped and variants folded.
fn tokens(folded: &str) -> Vec<String> {
    folded
        .split_whitespace()
        .filter(|t| !matches!(*t, "al" | "el" | "ben" | "bin" | "ibn" | "ould" | "wuld"))
        .map(|t| variant(t).to_string())
        .collect()
}

/// A name token as it sounds, for the spellings no table lists: a consonant skeleton where every
/// run of vowels (and `w`, `y`) is one mark, doubled letters are one, `h` counts only at the start,
/// and letters that transliterations exchange are one letter (`ph`/`f`, `kh`/`k`, `sh`/`ch`/`s`,
/// `c`/`k`/`q`, soft `c`/`s`, `z`/`j`/`dj`, `v`/`b`). Hossain, Hosen and Hussain, Akter and
/// Akhtar, Ouédraogo and Wedraogo sound alike here. Tokens in other scripts are kept as they are.
pub fn phonetic(token: &str) -> String {
    let b = token.as_bytes();
    if !token.is_ascii() {
        return token.to_string();
    }
    let vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y' | b'w');
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut push = |c: u8| {
        if out.last() != Some(&c) {
            out.push(c);
        }
    };
    let mut i = 0;
    while i < b.len() {
        let (c, next) = (b[i], b.get(i + 1).copied());
        let mut step = 1;
        match (c, next) {
            (b'p', Some(b'h')) => {
                push(b'f');
                step = 2;
            }
            (b'k' | b'g' | b't' | b'd' | b'b', Some(b'h')) => {
                push(c);
                step = 2;
            }
            (b's' | b'c', Some(b'h')) => {
                push(b's');
                step = 2;
            }
            (b'c', Some(b'k')) => {
                push(b'k');
                step = 2;
            }
            (b'd', Some(b'j' | b'z')) => {
                push(b'j');
                step = 2;
            }
            (b'c', Some(b'e' | b'i' | b'y')) => push(b's'),
            (b'c' | b'q', _) => push(b'k'),
            (b'z', _) => push(b'j'),
            (b'v', _) => push(b'b'),
            (b'x', _) => {
                push(b'k');
                push(b's');
            }
            (b'h', _) if i > 0 => {}
            (c, _) if vowel(c) => push(b'a'),
            (c, _) => push(c),
        }
        i += step;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The tokens of one name part for [`phonetic`] codes: a lone consonant (the N of N'Diaye, the M of
/// M'Baye) is joined to the token after it, as it is spoken.
pub fn glue_initials(tokens: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut pending = String::new();
    for t in tokens {
        let lone = t.len() == 1
            && t.bytes()
                .all(|c| c.is_ascii_alphabetic() && !b"aeiou".contains(&c));
        if lone {
            pending.push_str(t);
        } else {
            out.push(format!("{pending}{t}"));
            pending.clear();
        }
    }
    if !pending.is_empty() {
        out.push(pending);
    }
    out
}

/// Street address (number and street): folded like a name, with the common street-type words
/// written one way ("Street"/"St", "Avenue"/"Av", "Rue"/"R"…), tokens in their order.
pub fn normalise_address(raw: &str) -> String {
    let folded = if raw.is_ascii() {
        fold_ascii(raw)
    } else {
        fold_unicode(raw)
    };
    let words: Vec<&str> = folded
        .split_whitespace()
        .map(|t| match t {
            "street" | "str" => "st",
            "road" => "rd",
            "avenue" | "ave" | "av" => "av",
            "boulevard" | "blvd" | "bd" => "bd",
            "lane" => "ln",
            "drive" => "dr",
            "place" | "pl" => "pl",
            "rue" => "r",
            "quartier" | "qtr" => "qt",
            other => other,
        })
        .collect();
    words.join(" ")
}

/// Place name (town, locality, district): folded like a name, tokens in their order.
pub fn normalise_place(raw: &str) -> String {
    let folded = if raw.is_ascii() {
        fold_ascii(raw)
    } else {
        fold_unicode(raw)
    };
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Identity or passport number: letters and digits only, upper case.
pub fn normalise_id(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Phone number: its last eight digits (the national number in most of the countries served), so `+236 72 12 34 56` and `72123456` written with or
/// without the country code compare equal. Fewer than six digits is not a phone number.
pub fn normalise_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 6 {
        return None;
    }
    let start = digits.len().saturating_sub(8);
    Some(digits[start..].to_string())
}

/// A possibly partial date of birth: year, or year and month, or a complete date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirthDate {
    pub year: i32,
    pub month: Option<u8>,
    pub day: Option<u8>,
}

impl BirthDate {
    /// Accepts `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, `YYYYMMDD`, and the day-first `DD/MM/YYYY` or `DD.MM.YYYY`
    /// that most francophone forms use. Anything else is no date at all (never a guess).
    pub fn parse(raw: &str) -> Option<BirthDate> {
        let s = raw.trim();
        if s.is_empty() {
            return None;
        }
        // Compact YYYYMMDD, as many registers and the FEBRL data write it.
        if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
            return BirthDate::parse(&format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..]));
        }
        let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
        let num = |p: &str| p.parse::<i32>().ok();
        let (y, m, d) = match parts.as_slice() {
            [y] if y.len() == 4 => (num(y)?, None, None),
            [y, m] if y.len() == 4 => (num(y)?, Some(num(m)?), None),
            [y, m, d] if y.len() == 4 => (num(y)?, Some(num(m)?), Some(num(d)?)),
            [d, m, y] if y.len() == 4 => (num(y)?, Some(num(m)?), Some(num(d)?)),
            _ => return None,
        };
        if !(1900..=2100).contains(&y) {
            return None;
        }
        let month = match m {
            Some(m) if (1..=12).contains(&m) => Some(m as u8),
            Some(_) => return None,
            None => None,
        };
        let day = match d {
            Some(d) if (1..=31).contains(&d) => Some(d as u8),
            Some(_) => return None,
            None => None,
        };
        Some(BirthDate {
            year: y,
            month,
            day,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ascii_fast_path_folds_as_the_unicode_path() {
        let all: String = (0u8..128).map(char::from).collect();
        for s in [
            all.as_str(),
            "Jean-Pierre O'NEIL",
            "AL-Amin 2nd",
            "  MD.  Rahman\t",
        ] {
            assert_eq!(fold_ascii(s), fold_unicode(s), "{s:?}");
        }
    }

    #[test]
    fn names_fold_case_accents_punctuation_and_variants() {
        assert_eq!(
            normalise_name("  Séverin-Éloi  N'GAÏ "),
            vec!["severin", "eloi", "n", "gai"]
        );
        assert_eq!(normalise_name("Muhammad al-Amin"), vec!["mohamed", "amin"]);
        assert_eq!(normalise_name("FATOUMATA"), vec!["fatima"]);
        // Nicknames and short forms.
        assert_eq!(normalise_name("Bill"), normalise_name("William"));
        assert_eq!(normalise_name("Fati Ablaye"), vec!["fatima", "abdullah"]);
        assert_eq!(normalise_name("Kate"), normalise_name("Catherine"));
        assert!(normalise_name("!!!").is_empty());
    }

    #[test]
    fn dates_accept_partial_and_day_first_forms_only() {
        assert_eq!(
            BirthDate::parse("2001"),
            Some(BirthDate {
                year: 2001,
                month: None,
                day: None
            })
        );
        assert_eq!(
            BirthDate::parse("2001-07"),
            Some(BirthDate {
                year: 2001,
                month: Some(7),
                day: None
            })
        );
        assert_eq!(
            BirthDate::parse("04/07/2001"),
            Some(BirthDate {
                year: 2001,
                month: Some(7),
                day: Some(4)
            })
        );
        for bad in [
            "",
            "01",
            "2001-13",
            "32/01/2001",
            "1850",
            "abcd",
            "2001-02-03-04",
        ] {
            assert_eq!(BirthDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn spellings_that_sound_alike_share_a_phonetic_code() {
        let code = |s: &str| {
            glue_initials(&normalise_name(s))
                .iter()
                .map(|t| phonetic(t))
                .collect::<Vec<_>>()
                .join(" ")
        };
        for group in [
            &["Akter", "Akhter", "Aktar"][..],
            &["Begum", "Begom"],
            &["Ouédraogo", "Wedraogo"],
            &["Camara", "Kamara"],
            &["Cissé", "Sisse"],
            &["Chowdhury", "Choudhury"],
            &["Khadija", "Khadiza"],
            &["N'Diaye", "Ndiaye"],
            &["Rahman", "Rahaman", "Rehman"],
            &["Uddin", "Uddeen"],
        ] {
            for other in &group[1..] {
                assert_eq!(code(group[0]), code(other), "{} / {other}", group[0]);
            }
        }
        for (a, b) in [("Karim", "Rahim"), ("Fatema", "Salma"), ("Ngoma", "Zanga")] {
            assert_ne!(code(a), code(b));
        }
        assert_eq!(phonetic("অমিত"), "অমিত");
    }

    #[test]
    fn phones_and_ids_normalise() {
        assert_eq!(
            normalise_phone("+236 72 12 34 56").as_deref(),
            Some("72123456")
        );
        assert_eq!(normalise_phone("72 12 34 56").as_deref(), Some("72123456"));
        assert_eq!(normalise_phone("123"), None);
        assert_eq!(normalise_id(" ab-123 45 "), "AB12345");
    }

    #[test]
    fn addresses_and_places_fold_case_accents_and_street_words() {
        assert_eq!(normalise_address("12, Main Street"), "12 main st");
        assert_eq!(normalise_address("12 MAIN st."), "12 main st");
        assert_eq!(normalise_address("3 Rue de l'Église"), "3 r de l eglise");
        assert_eq!(normalise_address("  "), "");
        assert_eq!(
            normalise_place("Bimbo-Ville"),
            normalise_place("BIMBO  ville")
        );
    }
}
