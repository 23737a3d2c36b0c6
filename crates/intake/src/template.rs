//! What providers fill in, generated from the dictionary so a template can never disagree with
//! the validation: an XLSX workbook per provider type (instructions, one sheet per entity with
//! dropdowns and typed validation, examples, hidden code lists and a `_meta` sheet that lets the
//! import refuse a template of another provider type or dictionary version), a CSV header, and an
//! XLSForm for ODK Collect and KoboToolbox.

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, Formula, Workbook, Worksheet,
    XlsxError,
};
use tessera_dictionary::{Dictionary, Entity, VarType, Variable};

use crate::IntakeError;
use crate::xlsx::META_SHEET;

/// Rows of a template sheet that carry validation.
const TEMPLATE_ROWS: u32 = 5000;

fn err(e: XlsxError) -> IntakeError {
    IntakeError::Template(e.to_string())
}

fn t<'a>(lang: &str, en: &'a str, fr: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// The entities a provider type reports, in dictionary order.
pub fn entities_for<'d>(
    dict: &'d Dictionary,
    provider_type: &str,
) -> Result<Vec<&'d Entity>, IntakeError> {
    let ids = dict.templates.get(provider_type).ok_or_else(|| {
        IntakeError::Template(format!(
            "there is no template for provider type \"{provider_type}\""
        ))
    })?;
    Ok(ids.iter().filter_map(|id| dict.entity(id)).collect())
}

/// The columns of an entity's template, in dictionary order (identifying fields included: they are
/// accepted at intake and turned into pseudonyms).
pub fn columns(entity: &Entity) -> Vec<&Variable> {
    entity.variables.iter().collect()
}

/// A header cell: the label in `lang`, a star when required, and the stable code in brackets.
pub fn header_cell(var: &Variable, lang: &str) -> String {
    format!(
        "{}{} [{}]",
        var.label.get(lang),
        if var.required { " *" } else { "" },
        var.code
    )
}

/// What a cell of this variable accepts, in words.
fn format_hint(dict: &Dictionary, var: &Variable, lang: &str) -> String {
    match &var.var_type {
        VarType::Text { max_length } => format!(
            "{} ({} ≤ {max_length})",
            t(lang, "text", "texte"),
            t(lang, "characters", "caractères")
        ),
        VarType::Integer { min, max } => {
            format!("{} {min}–{max}", t(lang, "whole number", "nombre entier"))
        }
        VarType::Decimal { min, max } => format!("{} {min}–{max}", t(lang, "number", "nombre")),
        VarType::Boolean => t(lang, "yes / no", "oui / non").to_string(),
        VarType::Date => t(
            lang,
            "date: YYYY-MM-DD or DD/MM/YYYY",
            "date : AAAA-MM-JJ ou JJ/MM/AAAA",
        )
        .to_string(),
        VarType::Year { min, max } => format!("{} {min}–{max}", t(lang, "year", "année")),
        VarType::Code { codelist } | VarType::Codes { codelist } => {
            let list = dict.codelist(codelist);
            let n = list.map(|l| l.codes.len()).unwrap_or(0);
            let multi = matches!(var.var_type, VarType::Codes { .. });
            format!(
                "{}{} “{}” ({n} {})",
                t(lang, "one of the list", "un élément de la liste"),
                if multi {
                    t(
                        lang,
                        " or several, separated by ;",
                        " ou plusieurs, séparés par ;",
                    )
                } else {
                    ""
                },
                list.map(|l| l.label.get(lang)).unwrap_or(codelist),
                t(
                    lang,
                    "codes; code or label accepted",
                    "codes ; code ou libellé acceptés"
                ),
            )
        }
    }
}

fn sheet_name(s: &str) -> String {
    s.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The XLSX template of a provider type, in `lang` (labels fall back to English).
pub fn xlsx_template(
    dict: &Dictionary,
    provider_type: &str,
    lang: &str,
) -> Result<Vec<u8>, IntakeError> {
    let entities = entities_for(dict, provider_type)?;
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_background_color("#DCE6F1")
        .set_text_wrap();
    let required = Format::new()
        .set_bold()
        .set_background_color("#FCE4D6")
        .set_text_wrap();

    // Instructions.
    {
        let ws = wb.add_worksheet();
        ws.set_name(t(lang, "Instructions", "Mode d'emploi"))
            .map_err(err)?;
        ws.set_column_width(0, 28).map_err(err)?;
        ws.set_column_width(1, 40).map_err(err)?;
        ws.set_column_width(2, 12).map_err(err)?;
        ws.set_column_width(3, 60).map_err(err)?;
        let ptype_label = dict
            .codelist("provider_type")
            .and_then(|l| l.get(provider_type))
            .map(|c| c.label.get(lang))
            .unwrap_or(provider_type);
        ws.write_string_with_format(
            0,
            0,
            format!(
                "Tessera — {} {}",
                t(lang, "template for", "modèle pour"),
                ptype_label
            ),
            &bold,
        )
        .map_err(err)?;
        ws.write_string(
            1,
            0,
            format!(
                "{} {}",
                t(lang, "Data dictionary", "Dictionnaire de données"),
                dict.full_version()
            ),
        )
        .map_err(err)?;
        let lines = [
            t(
                lang,
                "Fill one sheet per kind of record; one row per record. Do not rename sheets or change the header row.",
                "Remplissez une feuille par type d'enregistrement, une ligne par enregistrement. Ne renommez pas les feuilles et ne modifiez pas la ligne d'en-tête.",
            ),
            t(
                lang,
                "Columns marked * are required. Choose coded values from the dropdown; the code or the label in any language is accepted.",
                "Les colonnes marquées * sont obligatoires. Choisissez les valeurs codées dans la liste déroulante ; le code ou le libellé dans toute langue est accepté.",
            ),
            t(
                lang,
                "Names, dates of birth, identity and phone numbers are turned into pseudonyms on import and are never stored.",
                "Les noms, dates de naissance, numéros d'identité et de téléphone sont transformés en pseudonymes à l'import et ne sont jamais conservés.",
            ),
            t(
                lang,
                "Each record keeps your own reference (provider_ref): sending it again updates the record instead of duplicating it.",
                "Chaque enregistrement garde votre propre référence (provider_ref) : la renvoyer met à jour l'enregistrement au lieu de le dupliquer.",
            ),
            t(
                lang,
                "Do not type formulas; paste values only. Do not merge cells.",
                "Ne saisissez pas de formules ; collez uniquement des valeurs. Ne fusionnez pas de cellules.",
            ),
        ];
        for (i, l) in lines.iter().enumerate() {
            ws.write_string(3 + i as u32, 0, *l).map_err(err)?;
        }
        let mut row = 4 + lines.len() as u32;
        for e in &entities {
            row += 1;
            ws.write_string_with_format(
                row,
                0,
                format!(
                    "{} — {} “{}”",
                    e.label.get(lang),
                    t(lang, "sheet", "feuille"),
                    e.id
                ),
                &bold,
            )
            .map_err(err)?;
            row += 1;
            for (c, h) in [
                t(lang, "Column", "Colonne"),
                t(lang, "Label", "Libellé"),
                t(lang, "Required", "Obligatoire"),
                t(lang, "Accepted values", "Valeurs acceptées"),
            ]
            .iter()
            .enumerate()
            {
                ws.write_string_with_format(row, c as u16, *h, &head)
                    .map_err(err)?;
            }
            for v in columns(e) {
                row += 1;
                ws.write_string(row, 0, &v.code).map_err(err)?;
                ws.write_string(row, 1, v.label.get(lang)).map_err(err)?;
                ws.write_string(
                    row,
                    2,
                    if v.required {
                        t(lang, "yes", "oui")
                    } else {
                        ""
                    },
                )
                .map_err(err)?;
                let mut hint = format_hint(dict, v, lang);
                if v.identifying.is_some() {
                    hint.push_str(t(
                        lang,
                        " — pseudonymised, never stored",
                        " — pseudonymisé, jamais conservé",
                    ));
                }
                ws.write_string(row, 3, hint).map_err(err)?;
            }
            row += 1;
        }
    }

    // Code lists used by the template, one column each, on a hidden sheet.
    let mut lists: Vec<&str> = Vec::new();
    for e in &entities {
        for v in columns(e) {
            if let VarType::Code { codelist } = &v.var_type
                && !lists.contains(&codelist.as_str())
            {
                lists.push(codelist);
            }
        }
    }

    // One sheet per entity.
    for e in &entities {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&e.id)).map_err(err)?;
        ws.set_freeze_panes(1, 0).map_err(err)?;
        for (c, v) in columns(e).iter().enumerate() {
            let c = c as u16;
            ws.set_column_width(c, 18).map_err(err)?;
            ws.write_string_with_format(
                0,
                c,
                header_cell(v, lang),
                if v.required { &required } else { &head },
            )
            .map_err(err)?;
            add_validation(ws, dict, v, c, lang, &lists)?;
        }
    }

    // Example rows, on their own sheets so they are never imported.
    for e in &entities {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(&format!("example_{}", e.id)))
            .map_err(err)?;
        for (c, v) in columns(e).iter().enumerate() {
            ws.write_string_with_format(0, c as u16, header_cell(v, lang), &head)
                .map_err(err)?;
            for r in 0..2u32 {
                ws.write_string(1 + r, c as u16, example(dict, v, r as usize, lang))
                    .map_err(err)?;
            }
        }
    }

    {
        let ws = wb.add_worksheet();
        ws.set_name("_lists").map_err(err)?;
        for (c, id) in lists.iter().enumerate() {
            ws.write_string(0, c as u16, *id).map_err(err)?;
            if let Some(list) = dict.codelist(id) {
                for (r, code) in list.codes.iter().enumerate() {
                    ws.write_string(1 + r as u32, c as u16, code.label.get(lang))
                        .map_err(err)?;
                }
            }
        }
        ws.set_hidden(true);
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name(META_SHEET).map_err(err)?;
        let rows = [
            ("dictionary_version", dict.full_version()),
            ("provider_type", provider_type.to_string()),
            (
                "entities",
                entities
                    .iter()
                    .map(|e| e.id.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("language", lang.to_string()),
        ];
        for (r, (k, v)) in rows.iter().enumerate() {
            ws.write_string(r as u32, 0, *k).map_err(err)?;
            ws.write_string(r as u32, 1, v).map_err(err)?;
        }
        ws.set_hidden(true);
    }
    wb.save_to_buffer().map_err(err)
}

fn col_letter(n: usize) -> String {
    let mut n = n + 1;
    let mut s = String::new();
    while n > 0 {
        s.insert(0, (b'A' + ((n - 1) % 26) as u8) as char);
        n = (n - 1) / 26;
    }
    s
}

fn add_validation(
    ws: &mut Worksheet,
    dict: &Dictionary,
    v: &Variable,
    c: u16,
    lang: &str,
    lists: &[&str],
) -> Result<(), IntakeError> {
    let dv = match &v.var_type {
        VarType::Code { codelist } => {
            let (Some(idx), Some(list)) = (
                lists.iter().position(|l| l == codelist),
                dict.codelist(codelist),
            ) else {
                return Ok(());
            };
            let col = col_letter(idx);
            let formula = format!("=_lists!${col}$2:${col}${}", list.codes.len().max(1) + 1);
            // A warning, not a stop: a label in another language or a code is accepted on import too.
            DataValidation::new()
                .allow_list_formula(Formula::new(formula))
                .set_error_style(rust_xlsxwriter::DataValidationErrorStyle::Warning)
        }
        VarType::Integer { min, max } | VarType::Year { min, max } => DataValidation::new()
            .allow_whole_number(DataValidationRule::Between(
                (*min).clamp(i32::MIN as i64, i32::MAX as i64) as i32,
                (*max).clamp(i32::MIN as i64, i32::MAX as i64) as i32,
            )),
        VarType::Decimal { min, max } => {
            DataValidation::new().allow_decimal_number(DataValidationRule::Between(*min, *max))
        }
        VarType::Date => {
            let (Ok(lo), Ok(hi)) = (
                ExcelDateTime::from_ymd(1900, 1, 1),
                ExcelDateTime::from_ymd(2100, 12, 31),
            ) else {
                return Ok(());
            };
            DataValidation::new().allow_date(DataValidationRule::Between(lo, hi))
        }
        VarType::Boolean => DataValidation::new()
            .allow_list_strings(&[t(lang, "yes", "oui"), t(lang, "no", "non")])
            .map_err(err)?,
        _ => return Ok(()),
    };
    let hint: String = format_hint(dict, v, lang).chars().take(250).collect();
    let dv = dv.set_input_message(hint).map_err(err)?;
    ws.add_data_validation(1, c, TEMPLATE_ROWS, c, &dv)
        .map_err(err)?;
    Ok(())
}

/// A plausible example value for a column.
fn example(dict: &Dictionary, v: &Variable, i: usize, lang: &str) -> String {
    match (&v.var_type, v.code.as_str()) {
        (_, "provider_ref") => format!("REF-2025-{:04}", i + 1),
        (_, "given_name") => ["Clarisse", "Mahamat"][i % 2].into(),
        (_, "family_name") => ["Zanga", "Abakar"][i % 2].into(),
        (_, "birth_date") => ["2008-03-14", "1994"][i % 2].into(),
        (VarType::Text { .. }, _) => String::new(),
        (VarType::Integer { min, max }, _) => {
            ((min + max) / 2).min(min + 16 + i as i64).to_string()
        }
        (VarType::Decimal { min, .. }, _) => (min + 1.5).to_string(),
        (VarType::Boolean, _) => t(lang, "no", "non").into(),
        (VarType::Date, _) => ["2025-03-05", "12/04/2025"][i % 2].into(),
        (VarType::Year { .. }, _) => "2008".into(),
        (VarType::Code { codelist } | VarType::Codes { codelist }, _) => dict
            .codelist(codelist)
            .and_then(|l| l.codes.get(i % l.codes.len().max(1)))
            .map(|c| c.label.get(lang).to_string())
            .unwrap_or_default(),
    }
}

/// The CSV template of an entity: one documented header line (`Label * [code]`).
pub fn csv_template(entity: &Entity, lang: &str) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(columns(entity).iter().map(|v| header_cell(v, lang)));
    let bytes = w.into_inner().unwrap_or_default();
    format!("\u{feff}{}", String::from_utf8_lossy(&bytes))
}

/// How an XLSForm is made beyond its questions.
#[derive(Debug, Clone, Default)]
pub struct FormOptions {
    /// The form-encryption key (base64 of the DER public key, see [`form_public_key`]): each
    /// submission is encrypted on the phone and only the holder of the private key reads it, so
    /// the field server never holds names or numbers in clear.
    pub public_key: Option<String>,
    /// Where encrypted submissions are sent, when not to the server the form came from.
    pub submission_url: Option<String>,
}

/// The `public_key` of an encrypted XLSForm, from an RSA public key in PEM
/// (`-----BEGIN PUBLIC KEY-----`, as `openssl rsa -pubout` writes it): its base64 body on one
/// line. A private key, a PKCS#1 `RSA PUBLIC KEY` or a key of another kind is refused, saying
/// what to do.
pub fn form_public_key(pem: &str) -> Result<String, IntakeError> {
    let refuse = |m: &str| Err(IntakeError::Template(m.to_string()));
    if pem.contains("PRIVATE KEY") {
        return refuse(
            "this is a private key: it must never be put in a form or leave the office that decrypts the data. Give the public key made from it: openssl rsa -in private.pem -pubout -out public.pem",
        );
    }
    if pem.contains("BEGIN RSA PUBLIC KEY") {
        return refuse(
            "this is an RSA public key in PKCS#1 form; ODK needs it as a SubjectPublicKeyInfo: openssl rsa -RSAPublicKey_in -in key.pem -pubout -out public.pem",
        );
    }
    let (Some(start), Some(end)) = (
        pem.find("-----BEGIN PUBLIC KEY-----"),
        pem.find("-----END PUBLIC KEY-----"),
    ) else {
        return refuse(
            "not a PEM public key (-----BEGIN PUBLIC KEY-----); make one with: openssl genrsa -out private.pem 2048 && openssl rsa -in private.pem -pubout -out public.pem",
        );
    };
    let body: String = pem
        .get(start + "-----BEGIN PUBLIC KEY-----".len()..end)
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let Some(der) = base64_decode(&body) else {
        return refuse("the public key is damaged: its body is not base64 text");
    };
    // SubjectPublicKeyInfo with the rsaEncryption algorithm (OID 1.2.840.113549.1.1.1).
    const RSA: &[u8] = &[
        0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01,
    ];
    if der.first() != Some(&0x30) || !der.windows(RSA.len()).any(|w| w == RSA) {
        return refuse("ODK encrypts submissions with RSA keys only; this public key is not one");
    }
    // 2048-bit keys and longer: the modulus alone is 256 bytes.
    if der.len() < 270 {
        return refuse("the RSA key is shorter than 2048 bits; make a 2048-bit (or longer) key");
    }
    Ok(body)
}

/// Standard base64 (with padding) to bytes; `None` for anything else.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i == bytes.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = (n << 6) | value(c)?;
        }
        n <<= 6 * pad as u32;
        let three = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&three[..3 - pad]);
    }
    Some(out)
}

/// An XLSForm (survey, choices, settings) of an entity, with labels in every dictionary language
/// that has them, for ODK Collect and KoboToolbox. Its exports import back as they come (see
/// `ImportOptions::odk`).
pub fn xlsform(dict: &Dictionary, entity: &Entity) -> Result<Vec<u8>, IntakeError> {
    xlsform_with(dict, entity, &FormOptions::default())
}

/// [`xlsform`] with its settings: form encryption, the submission address.
pub fn xlsform_with(
    dict: &Dictionary,
    entity: &Entity,
    options: &FormOptions,
) -> Result<Vec<u8>, IntakeError> {
    let langs: Vec<&str> = dict
        .languages
        .iter()
        .map(String::as_str)
        .filter(|l| entity.variables.iter().any(|v| v.label.0.contains_key(*l)))
        .collect();
    fn lang_name(l: &str) -> &str {
        match l {
            "en" => "English (en)",
            "fr" => "French (fr)",
            "pt" => "Portuguese (pt)",
            "bn" => "Bangla (bn)",
            "cs" => "Czech (cs)",
            "pl" => "Polish (pl)",
            "sk" => "Slovak (sk)",
            other => other,
        }
    }
    let mut wb = Workbook::new();
    let mut used_lists: Vec<&str> = Vec::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name("survey").map_err(err)?;
        let mut header = vec!["type".to_string(), "name".to_string()];
        header.extend(langs.iter().map(|l| format!("label::{}", lang_name(l))));
        header.extend([
            "required".to_string(),
            "constraint".to_string(),
            "calculation".to_string(),
        ]);
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, h).map_err(err)?;
        }
        // A question on a code list with no codes (regions, before a country's extension
        // lists them) could not be answered: it is left out.
        let asked: Vec<&Variable> = columns(entity)
            .into_iter()
            .filter(|v| {
                v.var_type
                    .codelist()
                    .is_none_or(|l| dict.codelist(l).is_some_and(|l| !l.codes.is_empty()))
            })
            .collect();
        for (row, v) in (1u32..).zip(asked) {
            let (ty, constraint) = match &v.var_type {
                VarType::Text { max_length } => (
                    "text".to_string(),
                    format!("string-length(.) <= {max_length}"),
                ),
                VarType::Integer { min, max } | VarType::Year { min, max } => {
                    ("integer".to_string(), format!(". >= {min} and . <= {max}"))
                }
                VarType::Decimal { min, max } => {
                    ("decimal".to_string(), format!(". >= {min} and . <= {max}"))
                }
                VarType::Boolean => ("select_one yes_no".to_string(), String::new()),
                VarType::Date => ("date".to_string(), String::new()),
                VarType::Code { codelist } => ("select_one ".to_string() + codelist, String::new()),
                VarType::Codes { codelist } => {
                    ("select_multiple ".to_string() + codelist, String::new())
                }
            };
            if let Some(l) = v.var_type.codelist()
                && !used_lists.contains(&l)
            {
                used_lists.push(l);
            }
            // The reference is generated on the phone so every submission has one.
            let (ty, calculation) = if v.code == "provider_ref" {
                (
                    "calculate".to_string(),
                    "concat('odk-', once(uuid()))".to_string(),
                )
            } else {
                (ty, String::new())
            };
            let mut cells = vec![ty, v.code.clone()];
            cells.extend(langs.iter().map(|l| v.label.get(l).to_string()));
            cells.extend([
                if v.required && v.code != "provider_ref" {
                    "yes".into()
                } else {
                    String::new()
                },
                constraint,
                calculation,
            ]);
            for (c, cell) in cells.iter().enumerate() {
                ws.write_string(row, c as u16, cell).map_err(err)?;
            }
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("choices").map_err(err)?;
        let mut header = vec!["list_name".to_string(), "name".to_string()];
        header.extend(langs.iter().map(|l| format!("label::{}", lang_name(l))));
        for (c, h) in header.iter().enumerate() {
            ws.write_string(0, c as u16, h).map_err(err)?;
        }
        let mut row = 1u32;
        let uses_bool = entity
            .variables
            .iter()
            .any(|v| v.var_type == VarType::Boolean);
        if uses_bool {
            for (name, en, fr) in [("yes", "Yes", "Oui"), ("no", "No", "Non")] {
                ws.write_string(row, 0, "yes_no").map_err(err)?;
                ws.write_string(row, 1, name).map_err(err)?;
                for (c, l) in langs.iter().enumerate() {
                    ws.write_string(row, 2 + c as u16, if *l == "fr" { fr } else { en })
                        .map_err(err)?;
                }
                row += 1;
            }
        }
        for id in &used_lists {
            let Some(list) = dict.codelist(id) else {
                continue;
            };
            for code in &list.codes {
                ws.write_string(row, 0, *id).map_err(err)?;
                ws.write_string(row, 1, &code.code).map_err(err)?;
                for (c, l) in langs.iter().enumerate() {
                    ws.write_string(row, 2 + c as u16, code.label.get(l))
                        .map_err(err)?;
                }
                row += 1;
            }
        }
    }
    {
        let ws = wb.add_worksheet();
        ws.set_name("settings").map_err(err)?;
        let mut settings = vec![
            (
                "form_title",
                format!("Tessera — {}", entity.label.get("en")),
            ),
            ("form_id", format!("tessera_{}", entity.id)),
            ("version", dict.full_version().replace(['.', '+'], "_")),
            ("default_language", lang_name("en").to_string()),
        ];
        if let Some(key) = &options.public_key {
            settings.push(("public_key", key.clone()));
        }
        if let Some(url) = &options.submission_url {
            settings.push(("submission_url", url.clone()));
        }
        for (c, (k, v)) in settings.iter().enumerate() {
            ws.write_string(0, c as u16, *k).map_err(err)?;
            ws.write_string(1, c as u16, v).map_err(err)?;
        }
    }
    wb.save_to_buffer().map_err(err)
}
