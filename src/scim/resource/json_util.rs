//! Small JSON helpers shared by the resource and PATCH code: keys matched case-insensitively,
//! booleans sent as strings, and short descriptions of values for error details.

use serde_json::{Map, Value};

/// "a string", "an array", … for error details.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The entry of `map` whose key equals `key` case-insensitively (an exact match first).
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<(&'a String, &'a Value)> {
    map.get_key_value(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
}

/// The actual key of `map` that equals `key` case-insensitively.
pub(crate) fn key_ci(map: &Map<String, Value>, key: &str) -> Option<String> {
    get_ci(map, key).map(|(k, _)| k.clone())
}

/// A JSON boolean, or the strings "true"/"false" in any case (Entra sends `"True"`, `"False"`).
pub(crate) fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => crate::base::text::parse_bool(s.trim()),
        _ => None,
    }
}

/// `json_kind` plus the value itself when it is short, for error details.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => format!("{} ({v})", json_kind(v)),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {v}"),
        _ => json_kind(v).to_string(),
    }
}
