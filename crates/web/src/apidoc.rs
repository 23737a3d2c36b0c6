//! The API's description, generated where it can be: the JSON Schema of every entity's records
//! from the dictionary (types, ranges, code lists as enums with their labels, required fields),
//! served at `/api/v1/dictionary` and placed in the OpenAPI document, whose hand-written part
//! (`openapi.json`: routes, bodies, answers) is completed here so that every operation lists the
//! `lang` parameter, the `Accept-Language` header and its 401 answer.

use serde_json::{Map, Value, json};
use tessera_dictionary::{Dictionary, Entity, VarType, Variable};

/// The name of an entity's schema in the OpenAPI document: `victim` → `Victim`, `cj_case` →
/// `CjCase`, then `Input` (a record as sent) or `Data` (a record's stored values).
pub fn schema_name(entity: &str, suffix: &str) -> String {
    let mut out = String::new();
    for part in entity.split(['_', '-']).filter(|p| !p.is_empty()) {
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out.push_str(suffix);
    out
}

/// Labels in every language of the dictionary that has one.
fn labels(l: &tessera_dictionary::Labels) -> Value {
    json!(l.0)
}

/// Where a variable's code list is described: inside its schema (`/dictionary`, where each
/// schema stands alone), or once as a component it refers to (the OpenAPI document).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    Inline,
    Components,
}

/// The JSON Schema of one variable's value, as the API takes it and stores it.
fn value_schema(dict: &Dictionary, var: &Variable, codes: Codes) -> Value {
    let code = |list: &str| match codes {
        Codes::Inline => code_schema(dict, list),
        Codes::Components => {
            json!({ "$ref": format!("#/components/schemas/{}", schema_name(list, "Code")) })
        }
    };
    let mut s = match &var.var_type {
        VarType::Text { max_length } => json!({ "type": "string", "maxLength": max_length }),
        VarType::Integer { min, max } | VarType::Year { min, max } => {
            json!({ "type": "integer", "minimum": min, "maximum": max })
        }
        VarType::Decimal { min, max } => {
            json!({ "type": "number", "minimum": min, "maximum": max })
        }
        VarType::Boolean => json!({ "type": "boolean" }),
        VarType::Date => json!({ "type": "string", "format": "date" }),
        // A reference stands alone in OpenAPI 3.0: the title and labels go beside it in allOf.
        VarType::Code { codelist } if codes == Codes::Components => {
            json!({ "allOf": [code(codelist)] })
        }
        VarType::Code { codelist } => code(codelist),
        VarType::Codes { codelist } => json!({
            "type": "array",
            "items": code(codelist),
            "uniqueItems": true,
        }),
    };
    s["title"] = json!(var.label.get("en"));
    if var.identifying.is_some() {
        s["x-identifying"] = json!(true);
        s["description"] = json!(
            "Identifying: turned into keyed pseudonyms on receipt, never stored nor returned."
        );
    }
    s["x-labels"] = labels(&var.label);
    s
}

/// A code of a list: the codes as an enum, their labels beside it (`x-enum-labels`, code →
/// language → label), and the list's name.
fn code_schema(dict: &Dictionary, codelist: &str) -> Value {
    let Some(list) = dict.codelist(codelist) else {
        return json!({ "type": "string" });
    };
    let codes: Vec<&str> = list.codes.iter().map(|c| c.code.as_str()).collect();
    let enum_labels: Map<String, Value> = list
        .codes
        .iter()
        .map(|c| (c.code.clone(), labels(&c.label)))
        .collect();
    json!({
        "type": "string",
        "enum": codes,
        "x-codelist": codelist,
        "x-enum-labels": enum_labels,
    })
}

/// The JSON Schema of a record of `entity` as the API takes it (`POST /records`): every
/// variable, identifying ones included; required ones required; nothing else. Optional values
/// may be `null` (not recorded).
pub fn input_schema(dict: &Dictionary, entity: &Entity, codes: Codes) -> Value {
    let mut props = Map::new();
    for var in &entity.variables {
        let mut s = value_schema(dict, var, codes);
        if !var.required {
            s["nullable"] = json!(true);
        }
        props.insert(var.code.clone(), s);
    }
    if entity.variables.iter().any(|v| v.identifying.is_some()) {
        props.insert(
            tessera_intake::PSEUDONYMS_COLUMN.to_string(),
            json!({
                "type": "string",
                "nullable": true,
                "maxLength": 4096,
                "description": "The identifiers already encoded by `tessera pseudonymise` (one token), in place of names, dates of birth, identity and phone numbers.",
            }),
        );
    }
    let required: Vec<&str> = entity
        .variables
        .iter()
        .filter(|v| v.required)
        .map(|v| v.code.as_str())
        .collect();
    json!({
        "type": "object",
        "title": entity.label.get("en"),
        "description": format!(
            "{} A code may also be sent as its label in any language of the dictionary, a number or a date as text, a yes/no as text; the validation report says what was refused.",
            entity.description.get("en")
        ),
        "x-entity": entity.id,
        "x-labels": labels(&entity.label),
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// The JSON Schema of a stored record's values (`data` of `GET /records`): the stored
/// variables only — identifying ones never are.
pub fn data_schema(dict: &Dictionary, entity: &Entity, codes: Codes) -> Value {
    let props: Map<String, Value> = entity
        .stored_variables()
        .map(|var| (var.code.clone(), value_schema(dict, var, codes)))
        .collect();
    let required: Vec<&str> = entity
        .stored_variables()
        .filter(|v| v.required)
        .map(|v| v.code.as_str())
        .collect();
    json!({
        "type": "object",
        "title": format!("{} (stored values)", entity.label.get("en")),
        "x-entity": entity.id,
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}

/// `GET /api/v1/dictionary`: the dictionary's version and languages, each entity with the
/// schemas of its records, and each code list with its codes and labels.
pub fn dictionary(dict: &Dictionary) -> Value {
    let entities: Map<String, Value> = dict
        .entities
        .values()
        .map(|e| {
            (
                e.id.clone(),
                json!({
                    "label": labels(&e.label),
                    "description": labels(&e.description),
                    "kind": e.kind,
                    "input_schema": input_schema(dict, e, Codes::Inline),
                    "data_schema": data_schema(dict, e, Codes::Inline),
                }),
            )
        })
        .collect();
    let codelists: Map<String, Value> = dict
        .codelists
        .values()
        .map(|l| {
            (
                l.id.clone(),
                json!({
                    "label": labels(&l.label),
                    "codes": l.codes.iter().map(|c| json!({
                        "code": c.code,
                        "label": labels(&c.label),
                        "national": c.national,
                    })).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    json!({
        "version": dict.full_version(),
        "languages": dict.languages,
        "entities": entities,
        "codelists": codelists,
    })
}

/// The OpenAPI document: the hand-written routes of `openapi.json` with the dictionary's
/// schemas, and on every operation the `lang` parameter, the `Accept-Language` header and the
/// 401 answer.
pub fn openapi(dict: &Dictionary) -> Value {
    // The file is part of the binary and checked by the tests: it always parses.
    let mut doc: Value = serde_json::from_str(include_str!("openapi.json")).unwrap_or_default();
    let ids: Vec<&str> = dict.entities.keys().map(String::as_str).collect();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let mut bodies = Vec::new();
        let mut mapping = Map::new();
        let mut datas = Vec::new();
        for e in dict.entities.values() {
            let input = schema_name(&e.id, "Input");
            let data = schema_name(&e.id, "Data");
            let body = schema_name(&e.id, "Records");
            schemas.insert(input.clone(), input_schema(dict, e, Codes::Components));
            schemas.insert(data.clone(), data_schema(dict, e, Codes::Components));
            schemas.insert(
                body.clone(),
                json!({
                    "type": "object",
                    "required": ["entity", "period", "records"],
                    "additionalProperties": false,
                    "properties": {
                        "entity": { "type": "string", "enum": [e.id] },
                        "period": { "type": "string", "minLength": 1, "maxLength": 64 },
                        "records": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": crate::api::MAX_JSON_RECORDS,
                            "items": { "$ref": format!("#/components/schemas/{input}") },
                        },
                    },
                }),
            );
            mapping.insert(e.id.clone(), json!(format!("#/components/schemas/{body}")));
            bodies.push(json!({ "$ref": format!("#/components/schemas/{body}") }));
            datas.push(json!({ "$ref": format!("#/components/schemas/{data}") }));
        }
        // Each code list once, named after it (`CountryCode`), for every variable on it.
        for list in dict.codelists.values() {
            let mut s = code_schema(dict, &list.id);
            s["title"] = json!(list.label.get("en"));
            s["x-labels"] = labels(&list.label);
            schemas.insert(schema_name(&list.id, "Code"), s);
        }
        schemas.insert(
            "RecordsBody".into(),
            json!({
                "description": "Records of one entity for the open submission of a period; each record as its entity's schema (…Input) says.",
                "oneOf": bodies,
                "discriminator": { "propertyName": "entity", "mapping": mapping },
            }),
        );
        if let Some(data) = schemas
            .get_mut("Record")
            .and_then(|r| r.pointer_mut("/properties/data"))
        {
            *data = json!({
                "description": "The record's stored values, as its entity's …Data schema says.",
                "anyOf": datas,
            });
        }
    }
    // The entity parameters take the dictionary's entities.
    for path in [
        "/paths/~1records/get/parameters",
        "/paths/~1records/post/parameters",
    ] {
        if let Some(params) = doc.pointer_mut(path).and_then(Value::as_array_mut) {
            for p in params.iter_mut() {
                if p["name"] == "entity" {
                    p["schema"] = json!({ "type": "string", "enum": ids });
                }
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for ops in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in ops.values_mut().filter_map(Value::as_object_mut) {
                let params = op
                    .entry("parameters")
                    .or_insert_with(|| json!([]))
                    .as_array_mut();
                if let Some(params) = params {
                    for r in ["lang", "acceptLanguage"] {
                        let reference = json!({ "$ref": format!("#/components/parameters/{r}") });
                        if !params.contains(&reference) {
                            params.push(reference);
                        }
                    }
                }
                // A path or query value that does not parse (`/records/abc`) is a 400; a body
                // past the upload limit a 413.
                let takes_values =
                    op.get("parameters")
                        .and_then(Value::as_array)
                        .is_some_and(|ps| {
                            ps.iter()
                                .any(|p| p.get("in").is_some_and(|i| i == "path" || i == "query"))
                        });
                let takes_body = op.contains_key("requestBody");
                let public = op
                    .get("security")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty);
                if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                    let problem = || json!({ "$ref": "#/components/responses/Problem" });
                    if !public {
                        responses.entry("401").or_insert_with(
                            || json!({ "$ref": "#/components/responses/Unauthorised" }),
                        );
                        // Not part of the caller's role, or a cross-site request.
                        responses.entry("403").or_insert_with(problem);
                    }
                    if takes_values {
                        responses.entry("400").or_insert_with(problem);
                    }
                    if takes_body {
                        responses.entry("400").or_insert_with(problem);
                        responses.entry("413").or_insert_with(problem);
                    }
                }
            }
        }
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_types() {
        assert_eq!(schema_name("victim", "Input"), "VictimInput");
        assert_eq!(schema_name("cj_case", "Data"), "CjCaseData");
        assert_eq!(
            schema_name("person_case_link", "Records"),
            "PersonCaseLinkRecords"
        );
    }

    #[test]
    fn the_victim_schema_says_types_codes_labels_and_what_is_required() {
        let dict = Dictionary::base().unwrap();
        let victim = dict.entity("victim").unwrap();
        let s = input_schema(&dict, victim, Codes::Inline);
        let required: Vec<&str> = s["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(required.contains(&"sex") && required.contains(&"exploitation"));
        assert_eq!(
            s["properties"]["sex"]["enum"],
            json!(["F", "M", "X", "UNK"])
        );
        assert_eq!(
            s["properties"]["sex"]["x-enum-labels"]["F"]["fr"],
            "Féminin"
        );
        assert_eq!(s["properties"]["exploitation"]["type"], "array");
        assert_eq!(s["properties"]["age"]["maximum"], 120);
        assert_eq!(s["properties"]["date_identified"]["format"], "date");
        assert_eq!(s["properties"]["given_name"]["x-identifying"], true);
        assert_eq!(s["additionalProperties"], false);
        let data = data_schema(&dict, victim, Codes::Inline);
        assert!(data["properties"].get("given_name").is_none());
        // In the OpenAPI document the list is one component.
        let s = input_schema(&dict, victim, Codes::Components);
        assert_eq!(
            s["properties"]["sex"]["allOf"][0]["$ref"],
            "#/components/schemas/SexCode"
        );
        assert_eq!(
            s["properties"]["citizenship"]["items"]["$ref"],
            "#/components/schemas/CountryCode"
        );
        assert!(openapi(&dict)["components"]["schemas"]["SexCode"]["enum"].is_array());
    }
}
