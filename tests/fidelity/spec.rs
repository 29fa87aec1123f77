//! Klarna's published API descriptions, as the session hands them to Prism: found at run time
//! (they are not part of this repository), read from YAML, their known quirks repaired in a
//! copy, and indexed by operation so every exchange can be named by its `operationId`.
//!
//! # The quirks, and why repairing them loosens nothing
//!
//! Each repair fixes a defect of the published text that would make Prism refuse every
//! exchange of an operation, correct or not; each one asserts that it found its quirk, so a
//! corrected spec makes the repair fail instead of silently doing nothing.
//!
//! - **Security scheme name** (Order Management): the scheme is declared as
//!   `Basic-authorization` while every operation asks for `basicAuth`. Prism then knows no
//!   scheme and answers every request 401 itself. The declaration is renamed `basicAuth`, so
//!   Prism checks that every request carries HTTP Basic credentials, as the spec means.
//! - **`enum: [null]` on integers** (Order Management: prices and taxes of shipping options,
//!   locations, time slots and add-ons): the enum's values were lost when the spec was
//!   re-serialised, leaving only `null`, which no integer can equal. The enum is dropped; the
//!   type, format and bounds stay.
//! - **Pipe-joined enum** (Order Management: order line `type`): the enum is one string,
//!   `physical|discount|…`, where the values it joins were meant. It becomes the list of those
//!   values, so a line type is still checked against exactly them.
//! - **String body on body-less answers** (Order Management: the `201` of refundOrder and the
//!   `204` of releaseRemainingAuthorization, updateAuthorization, updateConsumerDetails): these
//!   answers are declared with an `application/json` body of schema `{type: string}`. A 204
//!   has no body by definition (RFC 9110), Klarna's earlier description of the same API
//!   declares none for any of them, and Klarna documents the new refund's id in the `Refund-Id`
//!   and `Location` headers, like a capture's (whose 201 has no body in either description).
//!   The declared content is removed from those success answers only; their headers and every
//!   error answer stay as published.
//! - **Base path** (any document whose server URL has a path, e.g. Settlements'
//!   `…/settlements/v1`): Prism routes on a request's path alone, matched against the spec's
//!   paths without the server's path. The server's path is put in front of every path, so the
//!   full path the client sends is the one matched.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// One of Klarna's API descriptions the session validates against.
pub struct SpecDocument {
    /// What the document describes, for messages.
    pub name: &'static str,
    /// File name in the spec directory.
    pub file: &'static str,
    /// The repairs of this document's quirks (see the module docs).
    pub repair: fn(&mut Value),
}

/// Klarna's Order Management API (OpenAPI 3.0.1, 2024).
pub const ORDER_MANAGEMENT: SpecDocument = SpecDocument {
    name: "Order Management",
    file: "order-management-api-openapi.yml",
    repair: repair_order_management,
};

/// Where Klarna's API descriptions are: `KLARNA_TEST_SPEC_DIR` when it is set, else
/// `shared/klarna` beside the crate's directory, else `/work/shared/klarna`. `None` when that
/// place does not hold `file`.
pub fn spec_dir(file: &str) -> Option<PathBuf> {
    let candidates = match std::env::var_os("KLARNA_TEST_SPEC_DIR") {
        Some(dir) => vec![PathBuf::from(dir)],
        None => vec![
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/klarna"),
            PathBuf::from("/work/shared/klarna"),
        ],
    };
    candidates.into_iter().find(|dir| dir.join(file).is_file())
}

/// The document read from `dir`, repaired, with its operations indexed.
pub fn load(doc: &SpecDocument, dir: &Path) -> Result<(Value, Operations), String> {
    let path = dir.join(doc.file);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut spec = yaml_to_json(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    (doc.repair)(&mut spec);
    fold_base_path(&mut spec);
    let operations = Operations::of(&spec)?;
    Ok((spec, operations))
}

/// Reads a YAML document into JSON values (mapping keys become strings, e.g. status codes).
fn yaml_to_json(text: &str) -> Result<Value, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    fn convert(node: &Yaml) -> Result<Value, String> {
        Ok(match node {
            Yaml::Null => Value::Null,
            Yaml::Boolean(b) => Value::Bool(*b),
            Yaml::Integer(i) => Value::from(*i),
            Yaml::Real(r) => r
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| format!("not a finite number: {r}"))?,
            Yaml::String(s) => Value::String(s.clone()),
            Yaml::Array(items) => {
                Value::Array(items.iter().map(convert).collect::<Result<_, _>>()?)
            }
            Yaml::Hash(entries) => {
                let mut map = Map::new();
                for (key, value) in entries {
                    let key = match key {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        other => return Err(format!("unsupported mapping key {other:?}")),
                    };
                    map.insert(key, convert(value)?);
                }
                Value::Object(map)
            }
            Yaml::Alias(_) | Yaml::BadValue => {
                return Err(format!("unsupported YAML node {node:?}"));
            }
        })
    }
    let docs = YamlLoader::load_from_str(text).map_err(|e| e.to_string())?;
    match docs.as_slice() {
        [doc] => convert(doc),
        _ => Err(format!("expected one YAML document, found {}", docs.len())),
    }
}

/// The Order Management quirks (module docs).
fn repair_order_management(spec: &mut Value) {
    // Security scheme name.
    let schemes = spec
        .pointer_mut("/components/securitySchemes")
        .and_then(Value::as_object_mut)
        .expect("Order Management declares security schemes");
    let scheme = schemes
        .remove("Basic-authorization")
        .expect("quirk gone: no security scheme `Basic-authorization`; drop this repair");
    schemes.insert("basicAuth".into(), scheme);

    // `enum: [null]` on integers; the pipe-joined enum.
    let (mut null_enums, mut joined_enums) = (0, 0);
    visit_objects(spec, &mut |node| {
        let integer = node.get("type").and_then(Value::as_str) == Some("integer");
        match node
            .get("enum")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            Some([Value::Null]) if integer => {
                node.remove("enum");
                null_enums += 1;
            }
            Some([Value::String(joined)]) if joined.contains('|') => {
                let values = joined.split('|').map(|v| Value::String(v.trim().into()));
                node.insert("enum".into(), Value::Array(values.collect()));
                joined_enums += 1;
            }
            _ => {}
        }
    });
    assert!(
        null_enums > 0,
        "quirk gone: no `enum: [null]` on an integer; drop this repair"
    );
    assert!(
        joined_enums > 0,
        "quirk gone: no pipe-joined enum; drop this repair"
    );

    // A `{type: string}` JSON body declared on a body-less success answer.
    let mut bodies = Vec::new();
    for (path, item) in spec["paths"].as_object_mut().into_iter().flatten() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            let responses = op.get_mut("responses").and_then(Value::as_object_mut);
            for (status, response) in responses.into_iter().flatten() {
                let only_string_json = response
                    .get("content")
                    .and_then(Value::as_object)
                    .is_some_and(|c| {
                        c.len() == 1
                            && c.get("application/json")
                                == Some(&serde_json::json!({ "schema": { "type": "string" } }))
                    });
                if matches!(status.as_str(), "201" | "204") && only_string_json {
                    response.as_object_mut().map(|r| r.remove("content"));
                    bodies.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(
        !bodies.is_empty(),
        "quirk gone: no string body on a 201/204; drop this repair"
    );
}

/// Calls `f` on every JSON object in `value`, depth first.
fn visit_objects(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            for child in map.values_mut() {
                visit_objects(child, f);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| visit_objects(v, f)),
        _ => {}
    }
}

/// Puts the path of the (first) server URL in front of every path (module docs).
fn fold_base_path(spec: &mut Value) {
    let base = spec
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .and_then(|url| url::Url::parse(url).ok())
        .map(|url| url.path().trim_end_matches('/').to_string())
        .unwrap_or_default();
    if base.is_empty() {
        return;
    }
    if let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) {
        *paths = std::mem::take(paths)
            .into_iter()
            .map(|(path, item)| (format!("{base}{path}"), item))
            .collect();
    }
}

/// The spec's operations by method and path template, to name each exchange.
pub struct Operations(Vec<Operation>);

struct Operation {
    method: String,
    segments: Vec<String>,
    id: String,
}

impl Operations {
    fn of(spec: &Value) -> Result<Self, String> {
        const METHODS: [&str; 8] = [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ];
        let paths = spec["paths"]
            .as_object()
            .ok_or("the document has no paths")?;
        let mut operations = Vec::new();
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let id = op["operationId"]
                    .as_str()
                    .ok_or_else(|| format!("{method} {path} has no operationId"))?;
                operations.push(Operation {
                    method: method.to_ascii_uppercase(),
                    segments: path.split('/').map(str::to_owned).collect(),
                    id: id.to_owned(),
                });
            }
        }
        Ok(Self(operations))
    }

    /// The operationId of `method path` (path without query): the operation whose template
    /// matches it with the most literal segments, as Prism prefers a concrete match.
    pub fn name(&self, method: &str, path: &str) -> Option<&str> {
        let parts: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.segments.len() == parts.len())
            .filter_map(|op| {
                let mut literal = 0;
                for (template, part) in op.segments.iter().zip(&parts) {
                    if template.starts_with('{') && template.ends_with('}') {
                        if part.is_empty() {
                            return None;
                        }
                    } else if template == part {
                        literal += 1;
                    } else {
                        return None;
                    }
                }
                Some((literal, op.id.as_str()))
            })
            .max_by_key(|(literal, _)| *literal)
            .map(|(_, id)| id)
    }

    /// Every operation: method, path template and operationId.
    pub fn all(&self) -> impl Iterator<Item = (&str, String, &str)> {
        self.0
            .iter()
            .map(|op| (op.method.as_str(), op.segments.join("/"), op.id.as_str()))
    }
}
