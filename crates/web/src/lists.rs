//! Long code lists as a reader looks for a value in them: sorted by their label in the page's
//! language — letters compared without regard to case or accents, as a French or English reader
//! files them ("Égypte" between "Équateur"'s neighbours, not after "Zimbabwe") — and marked for
//! the filter box of `assets/work.js`. No collation library: folding Latin letters to their base
//! letter is what these languages' dictionaries do at the first level, and ties are broken by
//! the label itself so the order is total and stable.

/// Lists longer than this get sorted by label and a filter box; shorter ones keep the
/// dictionary's order, which means something (age bands, severity).
pub const LONG_LIST: usize = 12;

/// `s` with case and accents folded away (`Équateur` → `equateur`, `Œuvre` → `oeuvre`), for
/// sorting and searching.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        for l in c.to_lowercase() {
            match l {
                'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => out.push('a'),
                'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => out.push('c'),
                'ď' | 'đ' => out.push('d'),
                'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => out.push('e'),
                'ĝ' | 'ğ' | 'ġ' | 'ģ' => out.push('g'),
                'ì' | 'í' | 'î' | 'ï' | 'ī' | 'ĭ' | 'į' | 'ı' => out.push('i'),
                'ñ' | 'ń' | 'ň' | 'ņ' => out.push('n'),
                'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => out.push('o'),
                'ř' | 'ŕ' => out.push('r'),
                'ś' | 'š' | 'ş' | 'ș' => out.push('s'),
                'ť' | 'ţ' | 'ț' => out.push('t'),
                'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => out.push('u'),
                'ý' | 'ÿ' => out.push('y'),
                'ź' | 'ż' | 'ž' => out.push('z'),
                'œ' => out.push_str("oe"),
                'æ' => out.push_str("ae"),
                'ß' => out.push_str("ss"),
                // Apostrophes and dashes do not order a list ("Côte d’Ivoire", "Guinée-Bissau").
                '\'' | '’' | '-' | '‐' | '–' => out.push(' '),
                other => out.push(other),
            }
        }
    }
    out
}

/// Sorts `items` by the label `label` gives, in reading order (see [`fold`]).
pub fn sort_by_label<T>(items: &mut [T], label: impl Fn(&T) -> &str) {
    items.sort_by_cached_key(|it| {
        let l = label(it);
        (fold(l), l.to_string())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accents_and_case_do_not_order_a_list() {
        let mut countries = vec![
            "Zimbabwe",
            "Égypte",
            "Équateur",
            "Eswatini",
            "États-Unis",
            "Côte d’Ivoire",
            "Cameroun",
            "Érythrée",
            "ethiopie",
        ];
        sort_by_label(&mut countries, |c| c);
        assert_eq!(
            countries,
            vec![
                "Cameroun",
                "Côte d’Ivoire",
                "Égypte",
                "Équateur",
                "Érythrée",
                "Eswatini",
                "États-Unis",
                "ethiopie",
                "Zimbabwe",
            ]
        );
        assert_eq!(fold("Œuvre À Saint-Étienne"), "oeuvre a saint etienne");
    }
}
