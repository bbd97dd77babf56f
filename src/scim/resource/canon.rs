//! One value against its attribute definition: type checks, string booleans made booleans, complex
//! values as objects of known sub-attributes, `manager` in every shape clients send, and null and
//! empty as the same state. Shared by request bodies (`input`) and PATCH.

use super::json_util::{bool_of, describe, get_ci};
use crate::error::{Error, Result};
use crate::scim::schema::{AttrDef, AttrType, Mutability};
use serde_json::{Map, Value, json};

/// Attributes a client can never set on a user (`id`, `meta`, `groups`).
pub(crate) fn is_read_only(def: &AttrDef) -> bool {
    def.mutability == Mutability::ReadOnly
}

fn sub_names(def: &AttrDef) -> String {
    def.sub_attributes.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// A value of a simple (non-complex) attribute, type-checked; string booleans become booleans.
pub(crate) fn canon_simple(def: &AttrDef, v: &Value, label: &str) -> Result<Option<Value>> {
    if v.is_null() {
        return Ok(None);
    }
    match def.kind {
        AttrType::Boolean => match bool_of(v) {
            Some(b) => Ok(Some(Value::Bool(b))),
            None => Err(Error::invalid_value(format!(
                "attribute '{label}' must be a boolean (true or false, or the string \"True\"/\"False\"), \
                 got {}",
                describe(v)
            ))),
        },
        AttrType::Integer => {
            if v.is_i64() || v.is_u64() {
                Ok(Some(v.clone()))
            } else {
                Err(Error::invalid_value(format!(
                    "attribute '{label}' must be an integer, got {}",
                    describe(v)
                )))
            }
        }
        AttrType::String | AttrType::Reference | AttrType::DateTime => match v {
            Value::String(_) => Ok(Some(v.clone())),
            _ => Err(Error::invalid_value(format!(
                "attribute '{label}' must be a string, got {}; send it as a JSON string",
                describe(v)
            ))),
        },
        AttrType::Complex => Err(Error::invalid_value(format!(
            "attribute '{label}' is complex: send an object with its sub-attributes ({})",
            sub_names(def)
        ))),
    }
}

/// One sub-attribute value of the complex attribute `def`.
pub(crate) fn canon_sub(sub: &AttrDef, v: &Value, label: &str) -> Result<Option<Value>> {
    canon_simple(sub, v, label)
}

/// One value of `def`: the value of a single-valued attribute or one element of a multi-valued one.
pub(crate) fn canon_element(def: &'static AttrDef, v: &Value, label: &str) -> Result<Option<Value>> {
    if v.is_null() {
        return Ok(None);
    }
    if def.kind != AttrType::Complex {
        return canon_simple(def, v, label);
    }
    if def.name == "manager" {
        return canon_manager(v, label, true);
    }
    match v {
        Value::Object(obj) => canon_complex_object(def, obj, label),
        // A bare string element of a multi-valued complex attribute is its `value` (["a@x.org"]).
        Value::String(s) if def.multi_valued && def.sub("value").is_some() => {
            if s.trim().is_empty() {
                Ok(None)
            } else {
                Ok(Some(json!({ "value": s })))
            }
        }
        _ => Err(Error::invalid_value(format!(
            "attribute '{label}' must be an object with sub-attributes ({}), got {}",
            sub_names(def),
            describe(v)
        ))),
    }
}

fn canon_complex_object(
    def: &'static AttrDef,
    obj: &Map<String, Value>,
    label: &str,
) -> Result<Option<Value>> {
    let mut out = Map::new();
    for (k, sv) in obj {
        if sv.is_null() {
            continue;
        }
        // Entra's AppRoleAssignmentsComplex POST names a role's display text `displayName`.
        let alias = def.name == "roles" && k.eq_ignore_ascii_case("displayName");
        let sub = if alias { def.sub("display") } else { def.sub(k) };
        let Some(sub) = sub else { continue };
        let Some(val) = canon_sub(sub, sv, &format!("{label}.{k}"))? else { continue };
        if alias {
            out.entry(sub.name.to_string()).or_insert(val);
        } else {
            out.insert(sub.name.to_string(), val);
        }
    }
    Ok(if out.is_empty() { None } else { Some(Value::Object(out)) })
}

/// The enterprise `manager`: a plain id string, an object with `value`, or a one-element list of
/// either. Stored as `{"value": id}` plus `displayName` when sent; an empty id means no manager.
fn canon_manager(v: &Value, label: &str, allow_list: bool) -> Result<Option<Value>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(if s.trim().is_empty() { None } else { Some(json!({ "value": s })) }),
        Value::Array(items) if allow_list => match items.as_slice() {
            [] => Ok(None),
            [one] => canon_manager(one, label, false),
            _ => Err(Error::invalid_value(format!(
                "attribute '{label}' takes one manager, got a list of {}; send the manager's id",
                items.len()
            ))),
        },
        Value::Object(obj) => {
            let value = match get_ci(obj, "value").map(|(_, v)| v) {
                None | Some(Value::Null) => return Ok(None),
                Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
                Some(Value::String(s)) => s.clone(),
                Some(other) => {
                    return Err(Error::invalid_value(format!(
                        "attribute '{label}.value' must be the manager's id as a string, got {}",
                        describe(other)
                    )));
                }
            };
            let mut out = Map::new();
            out.insert("value".into(), Value::String(value));
            match get_ci(obj, "displayName").map(|(_, v)| v) {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => {
                    out.insert("displayName".into(), Value::String(s.clone()));
                }
                Some(other) => {
                    return Err(Error::invalid_value(format!(
                        "attribute '{label}.displayName' must be a string, got {}",
                        describe(other)
                    )));
                }
            }
            Ok(Some(Value::Object(out)))
        }
        _ => Err(Error::invalid_value(format!(
            "attribute '{label}' must be the manager's id (a string), an object {{\"value\": id}} or a \
             one-element list of those, got {}",
            describe(v)
        ))),
    }
}

/// A whole attribute value: single-valued, or a list for a multi-valued attribute. `None` when the
/// value is null, empty, or only holds empty elements (null and empty are the same state).
pub(crate) fn canon_attr(def: &'static AttrDef, v: &Value, label: &str) -> Result<Option<Value>> {
    if !def.multi_valued {
        return canon_element(def, v, label);
    }
    let items: Vec<&Value> = match v {
        Value::Null => return Ok(None),
        Value::Array(items) => items.iter().collect(),
        // One object where a list is expected is that list's only element.
        Value::Object(_) if def.kind == AttrType::Complex => vec![v],
        // The Smartsheet gallery app maps `roles` as a String: take one role value as a list of one.
        Value::String(_) if def.name == "roles" => vec![v],
        _ => {
            return Err(Error::invalid_value(format!(
                "attribute '{label}' is multi-valued: send a JSON array{}, got {}",
                if def.kind == AttrType::Complex {
                    format!(" of objects with sub-attributes ({})", sub_names(def))
                } else {
                    String::new()
                },
                describe(v)
            )));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        if let Some(e) = canon_element(def, item, &format!("{label}[{i}]"))? {
            out.push(e);
        }
    }
    Ok(if out.is_empty() { None } else { Some(Value::Array(out)) })
}
