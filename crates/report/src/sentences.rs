//! Sentences generated from the figures, in the report's language.

use tessera_analysis::table::format_number;

/// The report's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn of(code: &str) -> Lang {
        if code == "fr" { Lang::Fr } else { Lang::En }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    pub fn tr<'s>(self, en: &'s str, fr: &'s str) -> &'s str {
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// A whole number with the language's thousands separator (1,234 / 1 234).
    pub fn number(self, v: f64) -> String {
        let s = format_number(v);
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i.to_string(), Some(f.to_string())),
            None => (s.clone(), None),
        };
        let (sign, digits) = match int.strip_prefix('-') {
            Some(d) => ("-", d.to_string()),
            None => ("", int),
        };
        let sep = match self {
            Lang::En => ",",
            // A narrow no-break space, as French typography groups digits.
            Lang::Fr => "\u{202f}",
        };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push_str(sep);
            }
            grouped.push(c);
        }
        let dec = match self {
            Lang::En => ".",
            Lang::Fr => ",",
        };
        match frac {
            Some(f) => format!("{sign}{grouped}{dec}{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

/// What a key figure counts: (English noun phrase, French noun phrase, French gender is
/// feminine).
fn subject(id: &str) -> (&'static str, &'static str) {
    match id {
        "victims" => (
            "The number of identified victims",
            "Le nombre de victimes identifiées",
        ),
        "suspects" => (
            "The number of suspects recorded",
            "Le nombre de suspects enregistrés",
        ),
        "investigated" => (
            "The number of criminal-justice cases investigated",
            "Le nombre d'affaires pénales ayant fait l'objet d'une enquête",
        ),
        "convicted" => (
            "The number of cases ending in a conviction",
            "Le nombre d'affaires ayant abouti à une condamnation",
        ),
        "smuggling_incidents" => (
            "The number of smuggling incidents",
            "Le nombre d'incidents de trafic illicite de migrants",
        ),
        "smuggled_migrants" => (
            "The number of smuggled migrants",
            "Le nombre de migrants objet d'un trafic illicite",
        ),
        "assisted" => (
            "The number of victims assisted (assistance records)",
            "Le nombre de victimes assistées (enregistrements d'assistance)",
        ),
        "referrals" => (
            "The number of assistance records following a referral by another organisation",
            "Le nombre d'enregistrements d'assistance faisant suite à une orientation par une autre organisation",
        ),
        _ => ("The figure", "Le chiffre"),
    }
}

/// "The number of identified victims increased by 12% to 348 in 2025." and its French, from a
/// figure and the previous year's (`None`: hidden under the threshold).
pub fn change_sentence(
    l: Lang,
    id: &str,
    value: Option<f64>,
    previous: Option<f64>,
    year: i32,
    threshold: f64,
) -> String {
    let (en, fr) = subject(id);
    let t = l.number(threshold);
    let Some(v) = value else {
        return match l {
            Lang::En => format!("{en} in {year} was below {t} and is not published."),
            Lang::Fr => format!("{fr} en {year} est inférieur à {t} et n'est pas publié."),
        };
    };
    let n = l.number(v);
    let prev_year = year - 1;
    match previous {
        Some(p) if p > 0.0 => {
            let pct = ((v - p) / p * 100.0).round().abs();
            let pn = l.number(p);
            let pcts = l.number(pct);
            match (l, v.partial_cmp(&p)) {
                (_, Some(std::cmp::Ordering::Equal)) | (_, None) => match l {
                    Lang::En => format!("{en} remained at {n} in {year}, as in {prev_year}."),
                    Lang::Fr => {
                        format!("{fr} est resté stable à {n} en {year}, comme en {prev_year}.")
                    }
                },
                (Lang::En, Some(std::cmp::Ordering::Greater)) => format!(
                    "{en} increased by {pcts}% to reach {n} in {year} ({pn} in {prev_year})."
                ),
                (Lang::En, Some(std::cmp::Ordering::Less)) => {
                    format!("{en} decreased by {pcts}% to {n} in {year} ({pn} in {prev_year}).")
                }
                (Lang::Fr, Some(std::cmp::Ordering::Greater)) => format!(
                    "{fr} a augmenté de {pcts}\u{a0}% pour atteindre {n} en {year} ({pn} en {prev_year})."
                ),
                (Lang::Fr, Some(std::cmp::Ordering::Less)) => format!(
                    "{fr} a diminué de {pcts}\u{a0}% pour s'établir à {n} en {year} ({pn} en {prev_year})."
                ),
            }
        }
        Some(_) if v == 0.0 => match l {
            Lang::En => format!("{en} remained at 0 in {year}, as in {prev_year}."),
            Lang::Fr => format!("{fr} est resté nul en {year}, comme en {prev_year}."),
        },
        Some(_) => match l {
            Lang::En => format!("{en} was {n} in {year}; none were recorded in {prev_year}."),
            Lang::Fr => {
                format!("{fr} s'élève à {n} en {year} ; aucun n'était enregistré en {prev_year}.")
            }
        },
        None => match l {
            Lang::En => format!(
                "{en} was {n} in {year}; the {prev_year} figure, below {t}, is not published."
            ),
            Lang::Fr => format!(
                "{fr} s'élève à {n} en {year} ; le chiffre de {prev_year}, inférieur à {t}, n'est pas publié."
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_carry_the_change_and_the_figure() {
        assert_eq!(
            change_sentence(Lang::Fr, "victims", Some(348.0), Some(311.0), 2025, 5.0),
            "Le nombre de victimes identifiées a augmenté de 12\u{a0}% pour atteindre 348 en 2025 (311 en 2024)."
        );
        assert_eq!(
            change_sentence(Lang::En, "victims", Some(300.0), Some(400.0), 2025, 5.0),
            "The number of identified victims decreased by 25% to 300 in 2025 (400 in 2024)."
        );
        assert!(
            change_sentence(Lang::En, "suspects", None, Some(9.0), 2025, 5.0)
                .contains("below 5 and is not published")
        );
        assert_eq!(Lang::En.number(12345.0), "12,345");
        assert_eq!(Lang::Fr.number(12345.0), "12\u{202f}345");
        assert_eq!(Lang::Fr.number(-1234567.0), "-1\u{202f}234\u{202f}567");
    }
}
