//! Reading a PatchOp request (RFC 7644 §3.5.2) into [`PatchOp`]s: the operation, its path parsed by
//! [`filter::parse_path`], and its value; the checks every operation needs whatever it is applied to.

use crate::error::{Error, Result};
use crate::scim::PATCH_OP;
use crate::scim::filter::{self, PatchPath};
use crate::scim::resource::{get_ci, json_kind, key_ci};
use serde_json::Value;

/// The three PATCH operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Replace,
    Remove,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Replace => "replace",
            OpKind::Remove => "remove",
        }
    }
}

/// One parsed PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    /// The path as the client wrote it (for error details); `None` when absent, null or empty.
    pub path_text: Option<String>,
    pub path: Option<PatchPath>,
    /// `None` when the op has no `value` member; `Some(Value::Null)` for an explicit null.
    pub value: Option<Value>,
}

const EXAMPLE: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"#,
    r#""Operations":[{"op":"replace","path":"active","value":false}]}"#
);

/// Parses a PatchOp body. `schemas` is not required to name the PatchOp URN (clients are lax about
/// it), but when present it must be an array of strings. `Operations` (any case) must be a
/// non-empty array; each op needs `op` (add, replace, remove in any case); add and replace need a
/// `value`, which must be an object when there is no `path`; remove needs a `path` (noTarget).
pub fn parse_ops(body: Value) -> Result<Vec<PatchOp>> {
    let Value::Object(mut obj) = body else {
        return Err(Error::invalid_syntax(format!(
            "a PATCH body must be a JSON object like {EXAMPLE}, got {}",
            json_kind(&body)
        )));
    };
    if let Some((key, schemas)) = get_ci(&obj, "schemas") {
        let ok = match schemas {
            Value::Null => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(Error::invalid_syntax(format!(
                "'{key}' must be an array of strings, e.g. [\"{PATCH_OP}\"]"
            )));
        }
    }
    let ops = match get_ci(&obj, "Operations") {
        Some((key, Value::Array(ops))) if !ops.is_empty() => {
            let key = key.clone();
            let Some(Value::Array(ops)) = obj.remove(&key) else { return Ok(Vec::new()) };
            ops
        }
        Some((key, Value::Array(_))) => {
            return Err(Error::invalid_syntax(format!(
                "'{key}' is empty: send at least one operation, e.g. {EXAMPLE}"
            )));
        }
        Some((key, other)) => {
            return Err(Error::invalid_syntax(format!(
                "'{key}' must be an array of operations, got {}; e.g. {EXAMPLE}",
                json_kind(other)
            )));
        }
        None => {
            return Err(Error::invalid_syntax(format!(
                "a PATCH body needs an 'Operations' array, e.g. {EXAMPLE}"
            )));
        }
    };
    ops.into_iter().enumerate().map(|(i, op)| parse_one(op).map_err(|e| context(e, i, None))).collect()
}

fn parse_one(v: Value) -> Result<PatchOp> {
    let Value::Object(mut o) = v else {
        return Err(Error::invalid_syntax(format!(
            "each operation must be an object like \
             {{\"op\":\"replace\",\"path\":\"active\",\"value\":false}}, got {}",
            json_kind(&v)
        )));
    };
    let op = match get_ci(&o, "op").map(|(_, v)| v) {
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "add" => OpKind::Add,
            "replace" => OpKind::Replace,
            "remove" => OpKind::Remove,
            _ => {
                return Err(Error::invalid_syntax(format!(
                    "'{s}' is not a PATCH operation: use add, replace or remove"
                )));
            }
        },
        Some(other) => {
            return Err(Error::invalid_syntax(format!(
                "'op' must be the string add, replace or remove, got {}",
                json_kind(other)
            )));
        }
        None => return Err(Error::invalid_syntax("the operation has no 'op': use add, replace or remove")),
    };
    let (path_text, path) = match get_ci(&o, "path").map(|(_, v)| v) {
        None | Some(Value::Null) => (None, None),
        Some(Value::String(s)) if s.trim().is_empty() => (None, None),
        Some(Value::String(s)) => {
            let text = s.trim().to_string();
            let parsed = filter::parse_path(&text)?;
            (Some(text), Some(parsed))
        }
        Some(other) => {
            return Err(Error::invalid_syntax(format!(
                "'path' must be a string such as \"emails[type eq \\\"work\\\"].value\", got {}",
                json_kind(other)
            )));
        }
    };
    // Moved out, not copied: a member list of 20,000 is held once.
    let value = key_ci(&o, "value").and_then(|key| o.remove(&key));
    match op {
        OpKind::Remove if path.is_none() => {
            return Err(Error::no_target(
                "remove needs a 'path' naming what to remove (RFC 7644 §3.5.2.2), e.g. \"path\": \"title\"",
            ));
        }
        OpKind::Add | OpKind::Replace if value.is_none() => {
            return Err(Error::invalid_syntax(format!("{} needs a 'value'", op.as_str())));
        }
        OpKind::Add | OpKind::Replace if path.is_none() && !matches!(value, Some(Value::Object(_))) => {
            return Err(Error::invalid_syntax(format!(
                "{} without a 'path' needs an object of attributes as 'value', e.g. {{\"active\": false}}",
                op.as_str()
            )));
        }
        _ => {}
    }
    Ok(PatchOp { op, path_text, path, value })
}

/// Prefixes an error detail with the operation it came from.
pub(super) fn context(e: Error, i: usize, op: Option<&PatchOp>) -> Error {
    let what = match op {
        Some(op) => match &op.path_text {
            Some(p) => format!("Operations[{i}] ({} {p})", op.op.as_str()),
            None => format!("Operations[{i}] ({})", op.op.as_str()),
        },
        None => format!("Operations[{i}]"),
    };
    Error { detail: format!("{what}: {}", e.detail), ..e }
}

/// The attribute part of a path as one name (`urn:…:User:manager.value`), and the sub-attribute
/// after a value filter, if any. Re-joining lets `schema` resolve URNs however the parser split them.
pub(super) fn path_names(pp: &PatchPath) -> Result<(String, Option<String>)> {
    let mut name = match &pp.path.urn {
        Some(urn) => format!("{urn}:{}", pp.path.attr),
        None => pp.path.attr.clone(),
    };
    match (&pp.filter, &pp.path.sub, &pp.sub) {
        (_, Some(_), Some(_)) => Err(Error::invalid_path("the path names two sub-attributes")),
        (None, Some(s), None) | (None, None, Some(s)) => {
            name.push('.');
            name.push_str(s);
            Ok((name, None))
        }
        (Some(_), Some(_), None) => Err(Error::invalid_path(
            "a value filter applies to a multi-valued attribute, not to a sub-attribute",
        )),
        (Some(_), None, sub) => Ok((name, sub.clone())),
        (None, None, None) => Ok((name, None)),
    }
}
