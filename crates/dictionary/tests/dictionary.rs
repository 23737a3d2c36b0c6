use std::path::{Path, PathBuf};

use tessera_dictionary::{AgeBand, CountryCode, Dictionary, DictionaryError, ProviderId, VarType};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn base_copy() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("dictionary/base"), tmp.path());
    tmp
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn problems(err: DictionaryError) -> Vec<String> {
    err.problems().iter().map(|p| p.to_string()).collect()
}

#[test]
fn base_dictionary_loads_with_every_entity_and_codelist() {
    let d = Dictionary::base().unwrap();
    assert_eq!(d.version, "2026.1");
    for e in [
        "victim",
        "suspect",
        "cj_case",
        "smuggling_incident",
        "smuggled_migrant",
        "assistance",
        "person_case_link",
    ] {
        assert!(d.entity(e).is_some(), "missing entity {e}");
    }
    assert!(d.codelist("country").unwrap().codes.len() >= 249);
    // Labels in French are resolved to codes, as users type them.
    assert_eq!(
        d.codelist("country").unwrap().resolve("Cameroun"),
        Some("CM")
    );
    assert_eq!(
        d.codelist("country").unwrap().resolve("côte d'ivoire"),
        Some("CI")
    );
    assert_eq!(d.codelist("sex").unwrap().resolve("féminin"), Some("F"));
    assert_eq!(d.codelist("sex").unwrap().resolve("female"), Some("F"));
    assert_eq!(d.codelist("sex").unwrap().resolve("Z"), None);
    // Every base code maps to every scheme of its list.
    for list in d.codelists.values() {
        for code in &list.codes {
            for scheme in &list.schemes {
                assert!(
                    code.map.contains_key(scheme),
                    "{}:{} lacks {scheme}",
                    list.id,
                    code.code
                );
            }
        }
    }
    // The same dictionary read from the folder equals the embedded one.
    let from_dir = Dictionary::load_dir(&repo().join("dictionary/base")).unwrap();
    assert_eq!(from_dir.entities.len(), d.entities.len());
    assert_eq!(from_dir.codelists.len(), d.codelists.len());
}

#[test]
fn identifying_variables_are_never_stored_variables() {
    let d = Dictionary::base().unwrap();
    let victim = d.entity("victim").unwrap();
    let stored: Vec<_> = victim.stored_variables().map(|v| v.code.as_str()).collect();
    for id in [
        "given_name",
        "family_name",
        "birth_date",
        "id_number",
        "phone",
    ] {
        assert!(victim.variable(id).unwrap().identifying.is_some());
        assert!(!stored.contains(&id));
    }
    assert!(stored.contains(&"sex"));
}

#[test]
fn car_extension_adds_regions_and_a_national_form_without_code_change() {
    let d = Dictionary::base()
        .unwrap()
        .with_extension(&repo().join("dictionary/extensions/cf.toml"))
        .unwrap();
    let regions = d.codelist("region").unwrap();
    assert_eq!(regions.resolve("Bangui"), Some("CF-BGF"));
    let mil = d
        .codelist("exploitation_form")
        .unwrap()
        .get("MIL_ARMED")
        .unwrap();
    assert!(mil.national);
    assert_eq!(mil.map["eurostat"], "OTH_EXP");
    assert_eq!(d.full_version(), "2026.1+cf");
    let v = d
        .entity("victim")
        .unwrap()
        .variable("armed_group_area")
        .unwrap();
    assert!(v.national);
    assert_eq!(v.var_type, VarType::Boolean);
}

#[test]
fn duplicate_code_in_a_code_list_is_refused_with_file_and_line() {
    let tmp = base_copy();
    let path = tmp.path().join("codelists/sex.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[[code]]\ncode = \"F\"\nlabel = { en = \"Female again\", fr = \"Encore\" }\nmap = { glotip = \"female\", eurostat = \"F\", htcds = \"Feminine\" }\n");
    std::fs::write(&path, &text).unwrap();
    let line = text.lines().position(|l| l == "code = \"F\"").unwrap(); // first one
    let dup_line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "code = \"F\"")
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert!(line + 1 < dup_line);
    let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("codelists/sex.toml"), "{}", p[0]);
    assert!(p[0].contains(&format!(":{dup_line}:")), "{}", p[0]);
    assert!(p[0].contains("code \"F\" of code list \"sex\""), "{}", p[0]);
    assert!(p[0].contains("duplicate code"), "{}", p[0]);
}

#[test]
fn code_list_with_a_missing_mapping_or_label_is_refused() {
    let tmp = base_copy();
    let path = tmp.path().join("codelists/verdict.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "map = { glotip = \"convicted\", eurostat = \"CONV\" }",
            "map = { glotip = \"convicted\" }",
        )
        .replace("fr = \"Acquitté\"", "de = \"Freigesprochen\"");
    std::fs::write(&path, &text).unwrap();
    let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
    assert!(
        p.iter()
            .any(|m| m.contains("code \"CONVICTED\"") && m.contains("scheme \"eurostat\"")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("code \"ACQUITTED\"") && m.contains("\"fr\" is missing")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("\"de\" is not one of the dictionary's languages")),
        "{p:?}"
    );
}

#[test]
fn duplicate_variable_is_refused_naming_file_line_and_variable() {
    let tmp = base_copy();
    let path = tmp.path().join("entities/suspect.toml");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[[variable]]\ncode = \"sex\"\ntype = \"text\"\nlabel = { en = \"Sex again\", fr = \"Sexe encore\" }\n");
    std::fs::write(&path, &text).unwrap();
    let dup_line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "code = \"sex\"")
        .nth(1)
        .unwrap()
        .0
        + 1;
    let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with(&format!("{}:{dup_line}:", path.display())),
        "{}",
        p[0]
    );
    assert!(
        p[0].contains("variable \"sex\" of entity \"suspect\""),
        "{}",
        p[0]
    );
    assert!(p[0].contains("duplicate variable"), "{}", p[0]);
}

#[test]
fn variable_referring_to_unknown_code_list_or_type_is_refused() {
    let tmp = base_copy();
    let path = tmp.path().join("entities/suspect.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("codelist = \"suspect_role\"", "codelist = \"roles\"");
    std::fs::write(&path, text).unwrap();
    let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
    assert!(
        p.iter().any(|m| m.contains("variable \"role\"")
            && m.contains("code list \"roles\", which does not exist")),
        "{p:?}"
    );
}

#[test]
fn toml_syntax_error_and_unknown_key_name_the_line() {
    let tmp = base_copy();
    let path = tmp.path().join("entities/assistance.toml");
    let text =
        std::fs::read_to_string(&path)
            .unwrap()
            .replacen("required = true", "requird = true", 1);
    let line = text.lines().position(|l| l == "requird = true").unwrap() + 1;
    std::fs::write(&path, text).unwrap();
    let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
    assert!(p[0].contains(&format!("assistance.toml:{line}:")), "{p:?}");
    assert!(p[0].contains("requird"), "{p:?}");
}

const EXT_HEAD: &str = "[extension]\nid = \"ne\"\ncountry = \"NE\"\nextends = \"tessera\"\nbase_version = \"2026.1\"\nlabel = { en = \"Niger\", fr = \"Niger\" }\n";

#[test]
fn extension_code_that_maps_to_no_international_code_is_refused() {
    let text = format!(
        "{EXT_HEAD}\n[[code]]\ncodelist = \"exploitation_form\"\ncode = \"WAHAYA\"\nlabel = {{ en = \"Wahaya (fifth wife) practice\", fr = \"Pratique de la wahaya\" }}\nmap = {{ glotip = \"other\", htcds = \"ForcedMarriage\" }}\n"
    );
    let p = problems(
        Dictionary::base()
            .unwrap()
            .with_extension_text("ne.toml", &text)
            .unwrap_err(),
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("ne.toml:8:"), "{}", p[0]);
    assert!(
        p[0].contains("code \"WAHAYA\" of code list \"exploitation_form\""),
        "{}",
        p[0]
    );
    assert!(
        p[0].contains("maps to no international code in scheme \"eurostat\""),
        "{}",
        p[0]
    );

    // A made-up international code is refused too: it must be one the base list uses.
    let text = text.replace(
        "glotip = \"other\",",
        "glotip = \"other\", eurostat = \"WAHAYA\",",
    );
    let p = problems(
        Dictionary::base()
            .unwrap()
            .with_extension_text("ne.toml", &text)
            .unwrap_err(),
    );
    assert!(
        p[0].contains("\"WAHAYA\" is not an international code of scheme \"eurostat\""),
        "{p:?}"
    );

    // With a proper mapping it is accepted.
    let text = text.replace("eurostat = \"WAHAYA\"", "eurostat = \"OTH_EXP\"");
    let d = Dictionary::base()
        .unwrap()
        .with_extension_text("ne.toml", &text)
        .unwrap();
    assert!(d.codelist("exploitation_form").unwrap().contains("WAHAYA"));
}

#[test]
fn extension_cannot_touch_international_lists_or_bad_regions_or_duplicate_variables() {
    let text = format!(
        "{EXT_HEAD}\n[[code]]\ncodelist = \"sex\"\ncode = \"Q\"\nlabel = {{ en = \"Q\", fr = \"Q\" }}\nmap = {{ glotip = \"other\" }}\n\n[[code]]\ncodelist = \"region\"\ncode = \"NE-1\"\nlabel = {{ en = \"Agadez\", fr = \"Agadez\" }}\nmap = {{ iso3166_2 = \"Agadez\" }}\n\n[[variable]]\nentity = \"victim\"\ncode = \"sex\"\ntype = \"boolean\"\nlabel = {{ en = \"x\", fr = \"x\" }}\n"
    );
    let p = problems(
        Dictionary::base()
            .unwrap()
            .with_extension_text("ne.toml", &text)
            .unwrap_err(),
    );
    assert!(
        p.iter()
            .any(|m| m.contains("\"sex\" is international and cannot be extended")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("\"Agadez\" is not a valid iso3166_2 code")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("variable \"sex\" of entity \"victim\"")
                && m.contains("duplicate variable")),
        "{p:?}"
    );
}

#[test]
fn extension_for_another_dictionary_version_is_refused() {
    let text = EXT_HEAD.replace("2026.1", "2025.2");
    let p = problems(
        Dictionary::base()
            .unwrap()
            .with_extension_text("ne.toml", &text)
            .unwrap_err(),
    );
    assert!(
        p[0].contains("written for dictionary version 2025.2"),
        "{p:?}"
    );
}

#[test]
fn domain_types_refuse_bad_values() {
    assert!(ProviderId::parse("police-bangui").is_ok());
    for bad in [
        "",
        "P",
        "Police",
        "police bangui",
        "-x",
        "x-",
        "../etc",
        "é-police",
    ] {
        assert!(ProviderId::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(CountryCode::parse("cf").unwrap().as_str(), "CF");
    for bad in ["ZZ", "C", "CAF", "1A", ""] {
        assert!(CountryCode::parse(bad).is_err(), "{bad}");
    }
    assert_eq!(AgeBand::from_age(17).unwrap(), AgeBand::Age12To17);
    assert_eq!(AgeBand::from_age(18).unwrap().is_child(), Some(false));
    assert!(AgeBand::from_age(121).is_err());
    assert_eq!(AgeBand::parse("55+").unwrap(), AgeBand::Age55Plus);
    assert!(AgeBand::parse("18-25").is_err());
    // Every AgeBand is a code of the dictionary's age_band list, and vice versa.
    let d = Dictionary::base().unwrap();
    let list = d.codelist("age_band").unwrap();
    assert_eq!(list.codes.len(), AgeBand::ALL.len());
    for b in AgeBand::ALL {
        assert!(list.contains(b.code()), "{}", b.code());
    }
}

mod props {
    use proptest::prelude::*;
    use tessera_dictionary::{AgeBand, CountryCode, ProviderId};

    proptest! {
        #[test]
        fn provider_id_roundtrips_or_refuses(s in "\\PC{0,70}") {
            if let Ok(id) = ProviderId::parse(&s) {
                prop_assert_eq!(id.as_str(), s.as_str());
                prop_assert!(id.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            }
        }

        #[test]
        fn country_code_never_panics_and_is_two_letters(s in "\\PC{0,5}") {
            if let Ok(c) = CountryCode::parse(&s) {
                prop_assert_eq!(c.as_str().len(), 2);
            }
        }

        #[test]
        fn every_valid_age_has_a_band(age in 0i64..=120) {
            let band = AgeBand::from_age(age).unwrap();
            prop_assert_eq!(band.is_child(), Some(age < 18));
        }
    }
}

/// Regions and entities typed by a person (CLI flags, web forms, API bodies) are checked in one
/// place, with the closest valid value, or the reason there is none.
#[test]
fn regions_and_entities_are_resolved_or_refused_with_the_closest() {
    let cf = Dictionary::base()
        .unwrap()
        .with_extension(&repo().join("dictionary/extensions/cf.toml"))
        .unwrap();
    assert_eq!(cf.region_code("CF-BGF").unwrap(), "CF-BGF");
    assert_eq!(cf.region_code(" Bangui ").unwrap(), "CF-BGF");
    let e = cf.region_code("Bangi").unwrap_err().to_string();
    assert!(
        e.contains("\"Bangi\"") && e.contains("did you mean CF-BGF?"),
        "{e}"
    );
    let e = cf.region_code("Atlantis").unwrap_err().to_string();
    assert!(e.contains("tessera dictionary lists the regions"), "{e}");
    // Without a country extension there is no region at all: the refusal says why.
    let base = Dictionary::base().unwrap();
    if base.codelist("region").is_none_or(|l| l.codes.is_empty()) {
        let e = base.region_code("Bangui").unwrap_err().to_string();
        assert!(e.contains("load the country's extension"), "{e}");
    }
    assert_eq!(cf.entity_id(" victim ").unwrap(), "victim");
    let e = cf.entity_id("victims").unwrap_err().to_string();
    assert!(e.contains("did you mean victim?"), "{e}");
    let e = cf.entity_id("zzzzzzzzzz").unwrap_err().to_string();
    assert!(
        e.contains("the entities are") && e.contains("cj_case"),
        "{e}"
    );
}

#[test]
fn releasable_variables_are_marked_and_never_identifying_or_of_wide_range() {
    let d = Dictionary::base().unwrap();
    let victim = d.entity("victim").unwrap();
    let releasable: Vec<&str> = victim
        .variables
        .iter()
        .filter(|v| v.releasable)
        .map(|v| v.code.as_str())
        .collect();
    assert_eq!(
        releasable,
        [
            "identification_status",
            "date_identified",
            "region_identified",
            "sex",
            "age_band",
            "cross_border",
            "exploitation",
            "referred_to_assistance"
        ]
    );
    // Marked on an identifier or on a variable of wide range, it is refused, naming file and line.
    for (var, what) in [("given_name", "identifying"), ("age", "integer")] {
        let tmp = base_copy();
        let path = tmp.path().join("entities/victim.toml");
        let text = std::fs::read_to_string(&path).unwrap().replace(
            &format!("code = \"{var}\"\n"),
            &format!("code = \"{var}\"\nreleasable = true\n"),
        );
        std::fs::write(&path, &text).unwrap();
        let p = problems(Dictionary::load_dir(tmp.path()).unwrap_err());
        assert!(
            p.iter()
                .any(|m| m.starts_with(&format!("{}:", path.display()))
                    && m.contains(&format!("variable \"{var}\""))
                    && m.contains(&format!("not {what} variables"))),
            "{p:?}"
        );
    }
}
