//! Reading a PatchOp request (RFC 7644 §3.5.2) into [`PatchOp`]s: the operation, its path parsed by
//! [`filter::parse_path`], and its value; the checks every operation needs whatever it is applied to.

use crate::error::{Error, Result};
use crate::scim::PATCH_OP;
use crate::scim::filter::{self, PatchPath};
use crate::scim::resource::{GroupOpValue, Shape, Slot, deserialize_by_shape, json_kind, skip_map, skip_seq};
use serde::de::{Deserialize, IgnoredAny, MapAccess, SeqAccess};
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

/// One parsed PATCH operation; its value is read as `V`: a [`Value`] for a User, a
/// [`GroupOpValue`](crate::scim::resource::GroupOpValue) for a Group (member lists as ids).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp<V = Value> {
    pub op: OpKind,
    /// The path as the client wrote it (for error details); `None` when absent, null or empty.
    pub path_text: Option<String>,
    pub path: Option<PatchPath>,
    /// `None` when the op has no `value` member; an explicit null is a value.
    pub value: Option<V>,
}

/// What an operation's value is read as.
pub trait OpValue: for<'de> Deserialize<'de> {
    /// Whether it is a JSON object (a path-less add or replace needs one).
    fn is_object(&self) -> bool;
}

impl OpValue for Value {
    fn is_object(&self) -> bool {
        Value::is_object(self)
    }
}

impl OpValue for GroupOpValue {
    fn is_object(&self) -> bool {
        matches!(self, GroupOpValue::Object(_))
    }
}

const EXAMPLE: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"#,
    r#""Operations":[{"op":"replace","path":"active","value":false}]}"#
);

/// A PatchOp body as read: `schemas` and `Operations` (keys matched as [`get_ci`] does), each
/// operation's `op`, `path` and `value`; the rest is skipped unread.
enum RawBody<V> {
    Object { schemas: Slot<Value>, operations: Slot<RawOps<V>> },
    NotObject(&'static str),
}

enum RawOps<V> {
    List(Vec<RawOp<V>>),
    Other(&'static str),
}

enum RawOp<V> {
    Object { op: Slot<Value>, path: Slot<Value>, value: Slot<V> },
    NotObject(&'static str),
}

impl<V: OpValue> Shape for RawBody<V> {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Self, A::Error> {
        let (mut schemas, mut operations) = (Slot::default(), Slot::default());
        while let Some(key) = map.next_key::<String>()? {
            if schemas.wants(&key, "schemas") {
                schemas.0 = Some((key, map.next_value()?));
            } else if operations.wants(&key, "Operations") {
                operations.0 = Some((key, map.next_value()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(RawBody::Object { schemas, operations })
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Self, A::Error> {
        skip_seq(seq)?;
        Ok(RawBody::NotObject("an array"))
    }
    fn from_scalar(v: Value) -> Self {
        RawBody::NotObject(json_kind(&v))
    }
}

impl<V: OpValue> Shape for RawOps<V> {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<Self, A::Error> {
        skip_map(map)?;
        Ok(RawOps::Other("an object"))
    }
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Self, A::Error> {
        let mut ops = Vec::new();
        while let Some(op) = seq.next_element()? {
            ops.push(op);
        }
        Ok(RawOps::List(ops))
    }
    fn from_scalar(v: Value) -> Self {
        RawOps::Other(json_kind(&v))
    }
}

impl<V: OpValue> Shape for RawOp<V> {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Self, A::Error> {
        let (mut op, mut path, mut value) = (Slot::default(), Slot::default(), Slot::default());
        while let Some(key) = map.next_key::<String>()? {
            if op.wants(&key, "op") {
                op.0 = Some((key, map.next_value()?));
            } else if path.wants(&key, "path") {
                path.0 = Some((key, map.next_value()?));
            } else if value.wants(&key, "value") {
                value.0 = Some((key, map.next_value()?));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(RawOp::Object { op, path, value })
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Self, A::Error> {
        skip_seq(seq)?;
        Ok(RawOp::NotObject("an array"))
    }
    fn from_scalar(v: Value) -> Self {
        RawOp::NotObject(json_kind(&v))
    }
}

deserialize_by_shape!(for<V: OpValue> RawBody<V>, RawOps<V>, RawOp<V>);

/// Parses a PatchOp body from its text. `schemas` is not required to name the PatchOp URN (clients
/// are lax about it), but when present it must be an array of strings. `Operations` (any case) must
/// be a non-empty array; each op needs `op` (add, replace, remove in any case); add and replace need
/// a `value`, which must be an object when there is no `path`; remove needs a `path` (noTarget).
pub fn parse_ops<V: OpValue>(body: &[u8]) -> Result<Vec<PatchOp<V>>> {
    let (schemas, operations) = match serde_json::from_slice::<RawBody<V>>(body)? {
        RawBody::Object { schemas, operations } => (schemas, operations),
        RawBody::NotObject(kind) => {
            return Err(Error::invalid_syntax(format!(
                "a PATCH body must be a JSON object like {EXAMPLE}, got {kind}"
            )));
        }
    };
    if let Some((key, schemas)) = &schemas.0 {
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
    let ops = match operations.0 {
        Some((_, RawOps::List(ops))) if !ops.is_empty() => ops,
        Some((key, RawOps::List(_))) => {
            return Err(Error::invalid_syntax(format!(
                "'{key}' is empty: send at least one operation, e.g. {EXAMPLE}"
            )));
        }
        Some((key, RawOps::Other(kind))) => {
            return Err(Error::invalid_syntax(format!(
                "'{key}' must be an array of operations, got {kind}; e.g. {EXAMPLE}"
            )));
        }
        None => {
            return Err(Error::invalid_syntax(format!(
                "a PATCH body needs an 'Operations' array, e.g. {EXAMPLE}"
            )));
        }
    };
    ops.into_iter()
        .enumerate()
        .map(|(i, op)| parse_one(op).map_err(|e| context(e, i, None::<&PatchOp<V>>)))
        .collect()
}

fn parse_one<V: OpValue>(raw: RawOp<V>) -> Result<PatchOp<V>> {
    let (op, path, value) = match raw {
        RawOp::Object { op, path, value } => {
            (op.0.map(|(_, v)| v), path.0.map(|(_, v)| v), value.0.map(|(_, v)| v))
        }
        RawOp::NotObject(kind) => {
            return Err(Error::invalid_syntax(format!(
                "each operation must be an object like \
                 {{\"op\":\"replace\",\"path\":\"active\",\"value\":false}}, got {kind}"
            )));
        }
    };
    let op = match op {
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
                json_kind(&other)
            )));
        }
        None => return Err(Error::invalid_syntax("the operation has no 'op': use add, replace or remove")),
    };
    let (path_text, path) = match path {
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
                json_kind(&other)
            )));
        }
    };
    match op {
        OpKind::Remove if path.is_none() => {
            return Err(Error::no_target(
                "remove needs a 'path' naming what to remove (RFC 7644 §3.5.2.2), e.g. \"path\": \"title\"",
            ));
        }
        OpKind::Add | OpKind::Replace if value.is_none() => {
            return Err(Error::invalid_syntax(format!("{} needs a 'value'", op.as_str())));
        }
        OpKind::Add | OpKind::Replace if path.is_none() && !value.as_ref().is_some_and(V::is_object) => {
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
pub(super) fn context<V>(e: Error, i: usize, op: Option<&PatchOp<V>>) -> Error {
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
