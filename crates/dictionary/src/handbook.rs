//! The handbook of harmonised definitions, generated from the dictionary so that the dictionary
//! stays its single source: every entity with its definition and counting rule, every variable
//! with its type, constraints and code list, every code list with every code, its label and its
//! mappings to the international classifications (GLOTIP, Eurostat, HTCDS, ICCS, …), in any
//! language the dictionary has labels in (English where a label is missing).
//!
//! Written as Markdown: `tessera dictionary handbook --lang fr --out FILE.md` writes it, the web
//! application renders it under `/help/handbook`.

use std::fmt::Write;

use crate::{Dictionary, Entity, EntityKind, Rule, VarType};

/// A text in English or French (other languages get the English text).
fn tr<'a>(lang: &str, en: &'a str, fr: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// A table cell: pipes and line breaks would break the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The display name of an international scheme.
fn scheme_name(s: &str) -> String {
    match s {
        "glotip" => "GLOTIP".into(),
        "eurostat" => "Eurostat".into(),
        "htcds" => "HTCDS".into(),
        "iccs" => "ICCS".into(),
        "alpha3" => "ISO alpha-3".into(),
        "protocol" => "Protocol".into(),
        other => other.to_uppercase(),
    }
}

/// How an entity's records are counted, in the dashboards, the report and the returns.
fn counting_rule(e: &Entity, lang: &str) -> String {
    let specific = match e.id.as_str() {
        "victim" => tr(
            lang,
            "In the GLOTIP and Eurostat returns, victims are the approved victim records whose date of identification falls in the year, except those assessed as not a victim (`NOT_VICTIM`).",
            "Dans les questionnaires GLOTIP et Eurostat, les victimes sont les fiches de victimes approuvées dont la date d'identification tombe dans l'année, sauf celles évaluées comme n'étant pas victimes (`NOT_VICTIM`).",
        ),
        "suspect" => tr(
            lang,
            "Persons suspected are the approved suspect records (formal contact with the police: suspected, arrested or cautioned) for a trafficking offence — an offence whose `protocol` mapping is `TIP` — recorded in the year.",
            "Les personnes soupçonnées sont les fiches de suspects approuvées (contact formel avec la police : soupçonnées, arrêtées ou mises en garde) pour une infraction de traite — une infraction dont la correspondance `protocol` est `TIP` — enregistrées dans l'année.",
        ),
        "cj_case" => tr(
            lang,
            "Persons prosecuted are the approved cases for a trafficking offence with a prosecution date or a stage mapped to \"prosecuted\", in the year of the prosecution (else of the judgment, else of the investigation); persons convicted are the cases whose verdict maps to \"convicted\", in the year of the judgment. A case's sex, age and citizenship are those of its suspect record at the same provider, \"unknown\" without one.",
            "Les personnes poursuivies sont les affaires approuvées pour une infraction de traite avec une date de poursuite ou une étape correspondant à « poursuivi », l'année de la poursuite (sinon du jugement, sinon de l'enquête) ; les personnes condamnées sont les affaires dont le verdict correspond à « condamné », l'année du jugement. Le sexe, l'âge et la nationalité d'une affaire sont ceux de sa fiche de suspect chez le même fournisseur, « inconnu » sans elle.",
        ),
        _ => "",
    };
    let general = match e.kind {
        EntityKind::Person => tr(
            lang,
            "One record per provider and provider reference; a record sent again updates it (its earlier versions are kept). Counted as records, or as unique persons once records of all providers are linked on their pseudonyms (the same person reported by two providers counts once).",
            "Une fiche par fournisseur et par référence du fournisseur ; une fiche renvoyée la met à jour (ses versions antérieures sont gardées). Comptée en fiches, ou en personnes uniques une fois les fiches de tous les fournisseurs couplées sur leurs pseudonymes (la même personne signalée par deux fournisseurs compte une fois).",
        ),
        _ => tr(
            lang,
            "One record per provider and provider reference; a record sent again updates it (its earlier versions are kept). Counted as records.",
            "Une fiche par fournisseur et par référence du fournisseur ; une fiche renvoyée la met à jour (ses versions antérieures sont gardées). Comptée en fiches.",
        ),
    };
    let approved = tr(
        lang,
        "Only records of approved submissions are counted in dashboards, the annual report and the returns; what partners see is suppressed below the deployment's threshold.",
        "Seules les fiches des soumissions approuvées sont comptées dans les tableaux de bord, le rapport annuel et les questionnaires ; ce que voient les partenaires est masqué sous le seuil du déploiement.",
    );
    [general, specific, approved]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn kind_name(k: EntityKind, lang: &str) -> &'static str {
    match k {
        EntityKind::Person => tr(lang, "person", "personne"),
        EntityKind::Case => tr(lang, "criminal-justice case", "affaire pénale"),
        EntityKind::Event => tr(lang, "event", "événement"),
        EntityKind::Link => tr(
            lang,
            "link between a person and a case",
            "lien entre une personne et une affaire",
        ),
    }
}

fn type_text(t: &VarType, lang: &str, dict: &Dictionary) -> String {
    let list = |id: &str| {
        let name = dict
            .codelist(id)
            .map(|l| l.label.get(lang).to_string())
            .unwrap_or_else(|| id.to_string());
        format!("[{}](#list-{id})", cell(&name))
    };
    match t {
        VarType::Text { max_length } => format!(
            "{} ({} {max_length})",
            tr(lang, "text", "texte"),
            tr(lang, "at most", "au plus")
        ),
        VarType::Integer { min, max } => {
            format!("{} {min}–{max}", tr(lang, "whole number", "nombre entier"))
        }
        VarType::Decimal { min, max } => {
            format!("{} {min}–{max}", tr(lang, "number", "nombre"))
        }
        VarType::Boolean => tr(lang, "yes/no", "oui/non").into(),
        VarType::Date => tr(lang, "date (YYYY-MM-DD)", "date (AAAA-MM-JJ)").into(),
        VarType::Year { min, max } => format!("{} {min}–{max}", tr(lang, "year", "année")),
        VarType::Code { codelist } => format!(
            "{} {}",
            tr(lang, "one code of", "un code de"),
            list(codelist)
        ),
        VarType::Codes { codelist } => format!(
            "{} {}",
            tr(lang, "one or more codes of", "un ou plusieurs codes de"),
            list(codelist)
        ),
    }
}

fn rule_text(r: &Rule, e: &Entity, lang: &str) -> String {
    let name = |code: &str| {
        e.variable(code)
            .map(|v| format!("{} (`{code}`)", v.label.get(lang)))
            .unwrap_or_else(|| format!("`{code}`"))
    };
    let codes = |c: &[String]| {
        c.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match r {
        Rule::DateOrder { earlier, later } => format!(
            "{} {} {}.",
            name(earlier),
            tr(lang, "is not after", "n'est pas postérieure à"),
            name(later)
        ),
        Rule::Requires {
            when,
            if_in,
            then,
            then_in,
        } => {
            let mut s = format!("{} {}", tr(lang, "When", "Quand"), name(when));
            if if_in.is_empty() {
                s.push_str(tr(lang, " is given", " est renseigné"));
            } else {
                let _ = write!(
                    s,
                    " {} {}",
                    tr(lang, "is one of", "vaut l'un de"),
                    codes(if_in)
                );
            }
            let _ = write!(
                s,
                ", {} {}",
                name(then),
                tr(lang, "must be given", "doit être renseigné")
            );
            if !then_in.is_empty() {
                let _ = write!(s, " ({} {})", tr(lang, "one of", "l'un de"), codes(then_in));
            }
            s.push('.');
            s
        }
        Rule::AgeBirthYear {
            age,
            birth_year,
            at,
        } => format!(
            "{} {} {} {} {}.",
            name(age),
            tr(lang, "and", "et"),
            name(birth_year),
            tr(
                lang,
                "agree within one year at",
                "concordent à un an près à la date"
            ),
            name(at)
        ),
        Rule::CrossBorder { flag, from, to } => format!(
            "{} {} {} {} {}.",
            name(flag),
            tr(lang, "is yes exactly when", "vaut oui exactement quand"),
            name(from),
            tr(lang, "differs from", "diffère de"),
            name(to)
        ),
    }
}

/// The handbook in `lang`, as Markdown, with stable anchors (`#entity-<id>`, `#list-<id>`).
pub fn markdown(dict: &Dictionary, lang: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} {{#handbook}}\n",
        tr(
            lang,
            "Handbook of harmonised definitions",
            "Recueil des définitions harmonisées"
        )
    );
    let _ = writeln!(
        out,
        "{} **{}** ({}). {}\n",
        tr(
            lang,
            "Generated from the data dictionary",
            "Généré à partir du dictionnaire de données"
        ),
        cell(&dict.id),
        dict.full_version(),
        tr(
            lang,
            "Every entity, variable and code below is what intake checks and what the dashboards, the annual report and the international returns count: the dictionary is the single source, and this handbook is regenerated from it (`tessera dictionary handbook`). Identifying variables are turned into keyed pseudonyms at intake and never stored.",
            "Chaque entité, variable et code ci-dessous est ce que l'import vérifie et ce que comptent les tableaux de bord, le rapport annuel et les questionnaires internationaux : le dictionnaire est la source unique, et ce recueil en est régénéré (`tessera dictionary handbook`). Les variables identifiantes sont transformées en pseudonymes à clé à l'import et jamais conservées.",
        )
    );
    if let Some(ext) = &dict.extension {
        let _ = writeln!(
            out,
            "{} **{}** ({}).\n",
            tr(lang, "National extension:", "Extension nationale :"),
            cell(ext.label.get(lang)),
            ext.country
        );
    }
    let _ = writeln!(
        out,
        "## {} {{#entities}}\n",
        tr(
            lang,
            "Entities and their variables",
            "Entités et leurs variables"
        )
    );
    for e in dict.entities.values() {
        let _ = writeln!(
            out,
            "### {} (`{}`) {{#entity-{}}}\n",
            cell(e.label.get(lang)),
            e.id,
            e.id
        );
        let _ = writeln!(out, "{}\n", e.description.get(lang));
        let _ = writeln!(
            out,
            "- **{}** {}",
            tr(lang, "Kind:", "Nature :"),
            kind_name(e.kind, lang)
        );
        let _ = writeln!(
            out,
            "- **{}** {}\n",
            tr(lang, "Counting rule:", "Règle de décompte :"),
            counting_rule(e, lang)
        );
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |\n|---|---|---|---|",
            tr(lang, "variable", "variable"),
            tr(lang, "definition", "définition"),
            tr(lang, "type", "type"),
            tr(lang, "required", "obligatoire")
        );
        for v in &e.variables {
            let mut def = cell(v.label.get(lang));
            if v.identifying.is_some() {
                def.push_str(tr(
                    lang,
                    " — identifying: pseudonymised at intake, never stored",
                    " — identifiant : pseudonymisé à l'import, jamais conservé",
                ));
            }
            if v.national {
                def.push_str(tr(
                    lang,
                    " — national variable (extension)",
                    " — variable nationale (extension)",
                ));
            }
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                v.code,
                def,
                type_text(&v.var_type, lang, dict),
                if v.required {
                    tr(lang, "yes", "oui")
                } else {
                    tr(lang, "no", "non")
                }
            );
        }
        out.push('\n');
        if !e.rules.is_empty() {
            let _ = writeln!(
                out,
                "{}\n",
                tr(lang, "Cross-field rules:", "Règles entre champs :")
            );
            for r in &e.rules {
                let _ = writeln!(out, "- {}", rule_text(r, e, lang));
            }
            out.push('\n');
        }
    }
    let _ = writeln!(
        out,
        "## {} {{#codelists}}\n",
        tr(
            lang,
            "Code lists and international mappings",
            "Listes de codes et correspondances internationales"
        )
    );
    for l in dict.codelists.values() {
        let _ = writeln!(
            out,
            "### {} (`{}`) {{#list-{}}}\n",
            cell(l.label.get(lang)),
            l.id,
            l.id
        );
        if !l.standard.is_empty() {
            let _ = writeln!(
                out,
                "{} {}\n",
                tr(lang, "Standard:", "Norme :"),
                cell(&l.standard)
            );
        }
        // The list's schemes first, then any other mapping a code carries.
        let mut keys: Vec<String> = l.schemes.clone();
        for c in &l.codes {
            for k in c.map.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        let mut head = format!(
            "| {} | {} |",
            tr(lang, "code", "code"),
            tr(lang, "label", "libellé")
        );
        let mut rule = String::from("|---|---|");
        for k in &keys {
            let _ = write!(head, " {} |", scheme_name(k));
            rule.push_str("---|");
        }
        let _ = writeln!(out, "{head}\n{rule}");
        for c in &l.codes {
            let mut row = format!("| `{}` | {}", cell(&c.code), cell(c.label.get(lang)));
            if c.national {
                row.push_str(tr(lang, " (national)", " (national)"));
            }
            row.push_str(" |");
            for k in &keys {
                let _ = write!(
                    row,
                    " {} |",
                    c.map
                        .get(k)
                        .map(|v| format!("`{}`", cell(v)))
                        .unwrap_or_else(|| "—".into())
                );
            }
            let _ = writeln!(out, "{row}");
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_code_of_every_list_and_every_variable_is_in_the_handbook() {
        let dict = crate::Dictionary::base().unwrap();
        for lang in ["en", "fr"] {
            let md = super::markdown(&dict, lang);
            for e in dict.entities.values() {
                assert!(
                    md.contains(&format!("{{#entity-{}}}", e.id)),
                    "{lang}: {}",
                    e.id
                );
                for v in &e.variables {
                    assert!(
                        md.contains(&format!("| `{}` |", v.code)),
                        "{lang}: {}",
                        v.code
                    );
                }
            }
            for l in dict.codelists.values() {
                let start = md.find(&format!("{{#list-{}}}", l.id)).unwrap();
                let section = &md[start..];
                let section =
                    &section[..section[1..].find("\n### ").map_or(section.len(), |i| i + 1)];
                for c in &l.codes {
                    let row = format!(
                        "| `{}` | {}",
                        super::cell(&c.code),
                        super::cell(c.label.get(lang))
                    );
                    assert!(section.contains(&row), "{lang}: {} {}", l.id, c.code);
                    for (scheme, value) in &c.map {
                        assert!(
                            section.contains(&super::scheme_name(scheme))
                                && section.contains(&format!("`{}`", super::cell(value))),
                            "{lang}: {} {} {scheme}",
                            l.id,
                            c.code
                        );
                    }
                }
            }
            assert!(md.contains(if lang == "fr" {
                "Règle de décompte"
            } else {
                "Counting rule"
            }));
        }
    }
}
