//! SCIM PATCH (RFC 7644 §3.5.2): parsing a PatchOp request, applying it to a canonical User
//! document, and turning a Group PATCH into membership changes without loading the members.
//!
//! Dialects tolerated (shared/SPEC-idp.md): `op` in any case; `Add` and `Replace` both upsert a
//! single-valued attribute; path-less ops whose value has plain, dotted (`name.givenName`) or
//! URN-qualified keys, or extension objects under their URN; string booleans; `manager` as an id, an
//! object or a one-element list; value-path filters that CREATE the element when nothing matches
//! (Entra's `emails[type eq "work"].value`); Entra's `Remove` of members with a `value` list, which
//! removes only those; Okta's `{"op":"replace","value":{"active":false}}` and its group rename that
//! carries `id` and `displayName` and must leave members alone.
//!
//! User PATCH is atomic: every op applies to a copy, the result is re-validated with
//! [`resource::canonical_user`] (so PATCH and PUT enforce the same rules), and the caller's document
//! changes only when all of it succeeded. Group PATCH yields [`GroupChanges`]; the caller applies
//! them in order, at O(changed members). This module owns none of the storage.

use super::filter::{self, AttrPath, CompareOp, Filter, PatchPath};
use super::resource::{
    self, bool_of, canon_attr, canon_element, canon_sub, get_ci, is_read_only, json_kind, member_ids,
};
use super::schema::{self, AttrDef, AttrType, Resolved, SchemaDef};
use super::{ENTERPRISE_USER_SCHEMA, PATCH_OP, SEAT_USER_SCHEMA, USER_SCHEMA};
use crate::error::{Error, Result};
use serde_json::{Map, Value, json};

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

/// What a Group PATCH asks for, in request order for members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// The new displayName (the last one sent wins).
    pub display_name: Option<String>,
    /// `Some(None)` clears externalId, `Some(Some(x))` sets it.
    pub external_id: Option<Option<String>>,
    pub members: Vec<MemberOp>,
}

/// One membership change; ids are user ids, without duplicates within one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOp {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveAll,
    Replace(Vec<String>),
}

const EXAMPLE: &str = concat!(
    r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"#,
    r#""Operations":[{"op":"replace","path":"active","value":false}]}"#
);

// ---------------------------------------------------------------------------------------------
// Parsing.

/// Parses a PatchOp body. `schemas` is not required to name the PatchOp URN (clients are lax about
/// it), but when present it must be an array of strings. `Operations` (any case) must be a
/// non-empty array; each op needs `op` (add, replace, remove in any case); add and replace need a
/// `value`, which must be an object when there is no `path`; remove needs a `path` (noTarget).
pub fn parse_ops(body: &Value) -> Result<Vec<PatchOp>> {
    let Value::Object(obj) = body else {
        return Err(Error::invalid_syntax(format!(
            "a PATCH body must be a JSON object like {EXAMPLE}, got {}",
            json_kind(body)
        )));
    };
    if let Some((key, schemas)) = get_ci(obj, "schemas") {
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
    let ops = match get_ci(obj, "Operations") {
        Some((_, Value::Array(ops))) if !ops.is_empty() => ops,
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
    ops.iter().enumerate().map(|(i, op)| parse_one(op).map_err(|e| context(e, i, None))).collect()
}

fn parse_one(v: &Value) -> Result<PatchOp> {
    let Value::Object(o) = v else {
        return Err(Error::invalid_syntax(format!(
            "each operation must be an object like \
             {{\"op\":\"replace\",\"path\":\"active\",\"value\":false}}, got {}",
            json_kind(v)
        )));
    };
    let op = match get_ci(o, "op").map(|(_, v)| v) {
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
    let (path_text, path) = match get_ci(o, "path").map(|(_, v)| v) {
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
    let value = get_ci(o, "value").map(|(_, v)| v.clone());
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
fn context(e: Error, i: usize, op: Option<&PatchOp>) -> Error {
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
fn path_names(pp: &PatchPath) -> Result<(String, Option<String>)> {
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

// ---------------------------------------------------------------------------------------------
// Users.

/// Applies `ops` to a canonical User document (the output of [`resource::canonical_user`]),
/// atomically: on any error `doc` is left as it was.
pub fn apply_user(doc: &mut Value, ops: &[PatchOp]) -> Result<()> {
    let mut work = match doc {
        Value::Object(m) => m.clone(),
        _ => return Err(Error::internal("the stored user document is not a JSON object")),
    };
    for (i, op) in ops.iter().enumerate() {
        apply_user_op(&mut work, op).map_err(|e| context(e, i, Some(op)))?;
    }
    let checked = resource::canonical_user(&Value::Object(work))
        .map_err(|e| Error { detail: format!("after applying the PATCH: {}", e.detail), ..e })?;
    *doc = checked;
    Ok(())
}

fn apply_user_op(work: &mut Map<String, Value>, op: &PatchOp) -> Result<()> {
    let value = op.value.as_ref().unwrap_or(&Value::Null);
    let Some(pp) = &op.path else {
        let Value::Object(attrs) = value else {
            return Err(Error::invalid_syntax(
                "an operation without a 'path' needs an object of attributes as 'value'",
            ));
        };
        for (key, v) in attrs {
            pathless_key(work, op.op, key, v, false)?;
        }
        return Ok(());
    };
    let text = op.path_text.clone().unwrap_or_else(|| pp.path.attr.clone());
    if op.op != OpKind::Remove && op.value.is_none() {
        return Err(Error::invalid_syntax(format!("{} needs a 'value'", op.op.as_str())));
    }
    let (name, sub_after_filter) = path_names(pp)?;
    let resolved = schema::resolve_user(&name).map_err(|why| {
        Error::invalid_path(format!(
            "path '{text}' does not name a User attribute ({why}); use e.g. 'displayName', 'name.givenName', \
             'emails[type eq \"work\"].value' or '{ENTERPRISE_USER_SCHEMA}:department'"
        ))
    })?;
    match resolved {
        Resolved::Schema(s) => {
            if s.id == SEAT_USER_SCHEMA {
                return Ok(());
            }
            if pp.filter.is_some() {
                return Err(Error::invalid_path(format!(
                    "path '{text}': a schema cannot take a value filter"
                )));
            }
            match op.op {
                OpKind::Remove if s.id == USER_SCHEMA => Err(Error::invalid_path(format!(
                    "path '{text}' names the whole User; remove attributes one by one, or DELETE the user"
                ))),
                OpKind::Remove => {
                    work.remove(s.id);
                    Ok(())
                }
                _ => set_schema_object(work, op.op, s, value, &text, false),
            }
        }
        Resolved::Attr { schema: s, def, sub } => {
            if s.id == SEAT_USER_SCHEMA || def.name == "password" {
                // The seat extension is the server's; passwords are never stored.
                return Ok(());
            }
            if is_read_only(def) {
                return Err(read_only_error(def, &text));
            }
            let sub = match (&pp.filter, sub_after_filter) {
                (None, _) => sub,
                (Some(_), None) => None,
                (Some(_), Some(name)) => Some(def.sub(&name).ok_or_else(|| {
                    Error::invalid_path(format!(
                        "path '{text}': '{name}' is not a sub-attribute of '{}'; it has {}",
                        def.name,
                        def.sub_attributes.iter().map(|d| d.name).collect::<Vec<_>>().join(", ")
                    ))
                })?),
            };
            if pp.filter.is_some() && !def.multi_valued {
                return Err(Error::invalid_path(format!(
                    "path '{text}': '{}' is single-valued, so it cannot take a value filter [..]",
                    def.name
                )));
            }
            if op.op == OpKind::Remove && def.required && sub.is_none() && pp.filter.is_none() {
                return Err(Error::mutability(format!(
                    "'{}' is required and cannot be removed; replace it with a new value instead",
                    def.name
                )));
            }
            let target = Target { ext: ext_of(s), def, sub, filter: pp.filter.as_ref(), label: &text };
            with_container(work, target.ext, |c| edit(c, &target, op.op, value))
        }
    }
}

fn read_only_error(def: &AttrDef, text: &str) -> Error {
    let why = match def.name {
        "groups" => "it follows group memberships: change them with PATCH /Groups/{id} on the group",
        "id" => "the server assigns it and it never changes",
        _ => "the server maintains it",
    };
    Error::mutability(format!("'{text}' is read-only ({why})"))
}

fn ext_of(s: &SchemaDef) -> Option<&'static str> {
    if s.id == ENTERPRISE_USER_SCHEMA { Some(ENTERPRISE_USER_SCHEMA) } else { None }
}

/// A path-less op's key: plain, dotted, URN-qualified, or a schema URN with an object of attributes.
/// Unknown keys are ignored (as PUT ignores them); echoes of `id`, `meta` and `schemas` too.
fn pathless_key(work: &mut Map<String, Value>, op: OpKind, key: &str, v: &Value, nested: bool) -> Result<()> {
    if key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    let Ok(resolved) = schema::resolve_user(key) else { return Ok(()) };
    match resolved {
        Resolved::Schema(s) if s.id == SEAT_USER_SCHEMA => Ok(()),
        Resolved::Schema(s) if s.id == USER_SCHEMA && nested => Ok(()),
        Resolved::Schema(s) => set_schema_object(work, op, s, v, key, true),
        Resolved::Attr { schema: s, def, sub } => {
            if s.id == SEAT_USER_SCHEMA || def.name == "password" {
                return Ok(());
            }
            if is_read_only(def) {
                let empty = match v {
                    Value::Null => true,
                    Value::Array(a) => a.is_empty(),
                    _ => false,
                };
                // A client echoing the resource back sends id and meta; groups only matter if non-empty.
                return if def.name == "groups" && !empty { Err(read_only_error(def, key)) } else { Ok(()) };
            }
            let target = Target { ext: ext_of(s), def, sub, filter: None, label: key };
            with_container(work, target.ext, |c| edit(c, &target, op, v))
        }
    }
}

/// add/replace of a schema object (`"urn:…:enterprise:2.0:User": {"department": "x"}`): each of its
/// keys is applied as an attribute of that schema. A null value removes an extension.
fn set_schema_object(
    work: &mut Map<String, Value>,
    op: OpKind,
    s: &SchemaDef,
    v: &Value,
    label: &str,
    lenient: bool,
) -> Result<()> {
    match v {
        Value::Null if s.id != USER_SCHEMA => {
            work.remove(s.id);
            Ok(())
        }
        Value::Object(inner) => {
            for (k, iv) in inner {
                // Clients echo the object's own `schemas` inside it (as POST and PUT accept): not an attribute.
                if k.eq_ignore_ascii_case("schemas") {
                    continue;
                }
                let qualified = format!("{}:{k}", s.id);
                if lenient || schema::resolve_user(&qualified).is_ok() {
                    pathless_key(work, op, &qualified, iv, true)?;
                } else {
                    return Err(Error::invalid_path(format!(
                        "'{k}' in '{label}' is not an attribute of schema {}",
                        s.id
                    )));
                }
            }
            Ok(())
        }
        other => Err(Error::invalid_value(format!(
            "'{label}' takes an object of the schema's attributes, got {}",
            json_kind(other)
        ))),
    }
}

/// A resolved attribute to change.
struct Target<'a> {
    /// The extension URN key the attribute lives under, or `None` for the top level.
    ext: Option<&'static str>,
    def: &'static AttrDef,
    sub: Option<&'static AttrDef>,
    filter: Option<&'a Filter>,
    /// The path or key as the client wrote it.
    label: &'a str,
}

/// Runs `f` on the map that holds the attribute: the document, or its extension object (created on
/// demand, dropped again when left empty).
fn with_container<F>(work: &mut Map<String, Value>, ext: Option<&str>, f: F) -> Result<()>
where
    F: FnOnce(&mut Map<String, Value>) -> Result<()>,
{
    let Some(ext) = ext else { return f(work) };
    let mut c = match work.remove(ext) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let r = f(&mut c);
    if !c.is_empty() {
        work.insert(ext.to_string(), Value::Object(c));
    }
    r
}

fn edit(c: &mut Map<String, Value>, t: &Target<'_>, op: OpKind, value: &Value) -> Result<()> {
    match (op, t.filter) {
        (OpKind::Remove, None) => remove_plain(c, t, value),
        (OpKind::Remove, Some(f)) => {
            remove_filtered(c, t, &normalize(t.def, f, 0));
            Ok(())
        }
        (_, None) => match t.sub {
            None => set_whole(c, t, op, value),
            Some(sub) => set_sub(c, t, sub, value),
        },
        (_, Some(f)) => set_filtered(c, t, op, &normalize(t.def, f, 0), value),
    }
}

fn remove_plain(c: &mut Map<String, Value>, t: &Target<'_>, value: &Value) -> Result<()> {
    let key = t.def.name;
    match t.sub {
        None if t.def.multi_valued && !value.is_null() => {
            // `{"op":"remove","path":"emails","value":[{"value":"a@x.org"}]}`: only the listed values.
            let Some(Value::Array(listed)) = canon_attr(t.def, value, t.label)? else { return Ok(()) };
            if let Some(Value::Array(items)) = c.get_mut(key) {
                items.retain(|item| !listed.iter().any(|l| same_element(t, l, item)));
            }
        }
        None => {
            c.remove(key);
        }
        Some(sub) => match c.get_mut(key) {
            Some(Value::Object(o)) => {
                o.remove(sub.name);
            }
            Some(Value::Array(items)) => {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        o.remove(sub.name);
                    }
                }
            }
            _ => {}
        },
    }
    tidy(c, key);
    Ok(())
}

/// Whether `item` has every sub-attribute of `listed` with the same value (strings compared
/// case-insensitively unless the sub-attribute is caseExact).
fn same_element(t: &Target<'_>, listed: &Value, item: &Value) -> bool {
    let (Value::Object(l), Value::Object(i)) = (listed, item) else { return listed == item };
    !l.is_empty()
        && l.iter().all(|(k, lv)| match (lv, i.get(k)) {
            (Value::String(a), Some(Value::String(b))) => {
                if schema::case_exact(t.ext, t.def.name, Some(k)) {
                    a == b
                } else {
                    a.eq_ignore_ascii_case(b)
                }
            }
            (a, Some(b)) => a == b,
            (_, None) => false,
        })
}

fn remove_filtered(c: &mut Map<String, Value>, t: &Target<'_>, f: &Filter) {
    let key = t.def.name;
    if let Some(Value::Array(items)) = c.get_mut(key) {
        match t.sub {
            None => items.retain(|e| !f.matches(e)),
            Some(sub) => {
                for item in items.iter_mut() {
                    if f.matches(item)
                        && let Value::Object(o) = item
                    {
                        o.remove(sub.name);
                    }
                }
            }
        }
    }
    tidy(c, key);
}

/// Drops empty elements, then the attribute itself when it became empty.
fn tidy(c: &mut Map<String, Value>, key: &str) {
    let empty = match c.get_mut(key) {
        Some(Value::Array(items)) => {
            items.retain(|e| !matches!(e, Value::Object(o) if o.is_empty()) && !e.is_null());
            items.is_empty()
        }
        Some(Value::Object(o)) => o.is_empty(),
        Some(Value::Null) => true,
        _ => false,
    };
    if empty {
        c.remove(key);
    }
}

/// add/replace of a whole attribute. Single-valued: upsert (complex ones merge sub-attributes, as
/// RFC 7644 §3.5.2.1 and §3.5.2.3 say, except `manager`, whose value is a reference and is set
/// whole). Multi-valued: add appends values not already present, replace replaces the list.
fn set_whole(c: &mut Map<String, Value>, t: &Target<'_>, op: OpKind, value: &Value) -> Result<()> {
    let def = t.def;
    let key = def.name;
    let new = canon_attr(def, value, t.label)?;
    if def.multi_valued {
        match (op, new) {
            (OpKind::Add, None) if !value.is_null() => {}
            (_, None) => {
                c.remove(key);
            }
            (OpKind::Add, Some(Value::Array(new_items))) => {
                let slot = c.entry(key.to_string()).or_insert_with(|| json!([]));
                if !slot.is_array() {
                    *slot = json!([]);
                }
                if let Value::Array(items) = slot {
                    let mut promoted = None;
                    for item in new_items {
                        let at = match items.iter().position(|e| *e == item) {
                            Some(at) => at,
                            None => {
                                items.push(item);
                                items.len() - 1
                            }
                        };
                        if is_primary(&items[at]) {
                            promoted = Some(at);
                        }
                    }
                    if let Some(p) = promoted {
                        demote_others(items, p);
                    }
                }
            }
            (_, Some(list)) => {
                c.insert(key.to_string(), list);
            }
        }
        return Ok(());
    }
    match new {
        None => {
            // Null is absent; an empty complex value changes nothing.
            if value.is_null() || def.kind != AttrType::Complex || def.name == "manager" {
                c.remove(key);
            }
        }
        Some(Value::Object(new)) if def.kind == AttrType::Complex && def.name != "manager" => {
            let slot = c.entry(key.to_string()).or_insert_with(|| json!({}));
            if !slot.is_object() {
                *slot = json!({});
            }
            if let Value::Object(o) = slot {
                o.extend(new);
            }
        }
        Some(v) => {
            c.insert(key.to_string(), v);
        }
    }
    Ok(())
}

/// add/replace of `attr.sub` without a filter: the sub-attribute of a single complex value, or of
/// every element of a multi-valued one (creating one element when there is none).
fn set_sub(c: &mut Map<String, Value>, t: &Target<'_>, sub: &'static AttrDef, value: &Value) -> Result<()> {
    let def = t.def;
    let key = def.name;
    if def.name == "manager" && sub.name == "value" {
        // A new manager id makes the old displayName wrong: set the reference whole.
        match canon_element(def, value, t.label)? {
            Some(m) => c.insert(key.to_string(), m),
            None => c.remove(key),
        };
        return Ok(());
    }
    let v = canon_sub(sub, value, t.label)?;
    if def.multi_valued {
        match c.get_mut(key) {
            Some(Value::Array(items)) if !items.is_empty() => {
                for item in items.iter_mut() {
                    if let Value::Object(o) = item {
                        put(o, sub.name, v.clone());
                    }
                }
            }
            _ => {
                if let Some(v) = v {
                    c.insert(key.to_string(), json!([{ sub.name: v }]));
                }
            }
        }
    } else {
        let slot = c.entry(key.to_string()).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        if let Value::Object(o) = slot {
            put(o, sub.name, v);
        }
    }
    tidy(c, key);
    Ok(())
}

fn put(o: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => {
            o.insert(key.to_string(), v);
        }
        None => {
            o.remove(key);
        }
    }
}

/// add/replace through a value filter: `emails[type eq "work"].value` sets `value` in every
/// matching element; `addresses[type eq "work"]` merges (add) or replaces (replace) the matching
/// elements. When nothing matches, the element is created from the filter's `eq` conditions plus
/// the value (Entra relies on this; RFC 7644 would answer noTarget), leaving other elements alone.
fn set_filtered(
    c: &mut Map<String, Value>,
    t: &Target<'_>,
    op: OpKind,
    f: &Filter,
    value: &Value,
) -> Result<()> {
    let def = t.def;
    let key = def.name;
    // What to write, checked before anything changes.
    enum Write {
        Sub(&'static AttrDef, Option<Value>),
        Element(Option<Map<String, Value>>),
    }
    let write = match t.sub {
        Some(sub) => Write::Sub(sub, canon_sub(sub, value, t.label)?),
        None => {
            let one = match value {
                Value::Array(a) if a.len() == 1 => &a[0],
                v => v,
            };
            match canon_element(def, one, t.label)? {
                Some(Value::Object(m)) => Write::Element(Some(m)),
                _ if value.is_null() => Write::Element(None),
                _ => return Ok(()),
            }
        }
    };
    let slot = c.entry(key.to_string()).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    let Value::Array(items) = slot else {
        return Err(Error::internal("multi-valued attribute is not a list"));
    };
    let matched: Vec<usize> =
        items.iter().enumerate().filter(|(_, e)| f.matches(e)).map(|(i, _)| i).collect();
    let mut touched = matched.clone();
    if matched.is_empty() {
        let seed = |what: &str| {
            eq_conditions(def, f).ok_or_else(|| {
                Error::no_target(format!(
                    "no element of '{key}' matches the filter in '{}', and it cannot be created from \
                     it: to create {what}, use only 'eq' conditions joined by 'and', e.g. \
                     {key}[type eq \"work\"]",
                    t.label
                ))
            })
        };
        match write {
            Write::Sub(_, None) | Write::Element(None) => {}
            Write::Sub(sub, Some(v)) => {
                let mut e = seed("the element")?;
                e.insert(sub.name.to_string(), v);
                items.push(Value::Object(e));
                touched.push(items.len() - 1);
            }
            Write::Element(Some(m)) => {
                let mut e = seed("the element")?;
                e.extend(m);
                items.push(Value::Object(e));
                touched.push(items.len() - 1);
            }
        }
    } else {
        match write {
            Write::Sub(sub, v) => {
                for &i in &matched {
                    if let Some(Value::Object(o)) = items.get_mut(i) {
                        put(o, sub.name, v.clone());
                    }
                }
            }
            Write::Element(None) => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !matched.contains(&i);
                    i += 1;
                    keep
                });
                touched.clear();
            }
            Write::Element(Some(m)) => {
                let keep = eq_conditions(def, f).unwrap_or_default();
                for &i in &matched {
                    let Some(slot) = items.get_mut(i) else { continue };
                    match (op, slot) {
                        (OpKind::Add, Value::Object(o)) => o.extend(m.clone()),
                        (_, slot) => {
                            let mut e = m.clone();
                            for (k, v) in &keep {
                                e.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                            *slot = Value::Object(e);
                        }
                    }
                }
            }
        }
    }
    if let Some(&p) = touched.iter().rev().find(|&&i| items.get(i).is_some_and(is_primary)) {
        demote_others(items, p);
    }
    tidy(c, key);
    Ok(())
}

fn is_primary(v: &Value) -> bool {
    v.get("primary").and_then(bool_of) == Some(true)
}

/// RFC 7643 §2.4: at most one value is primary; the one just set wins.
fn demote_others(items: &mut [Value], keep: usize) {
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && is_primary(item)
            && let Value::Object(o) = item
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// The sub-attribute an element-relative filter path names (`type`, or `emails.type` written
/// absolutely), if it is one of `def`'s.
fn filter_sub(def: &'static AttrDef, path: &AttrPath) -> Option<&'static AttrDef> {
    if path.urn.is_some() {
        return None;
    }
    match &path.sub {
        None => def.sub(&path.attr),
        Some(s) if path.attr.eq_ignore_ascii_case(def.name) => def.sub(s),
        Some(_) => None,
    }
}

/// The filter with string booleans (`primary eq "True"`) turned into booleans for boolean
/// sub-attributes, so that they match stored booleans. Filters are depth-capped by the parser; the
/// guard here only keeps this function total.
fn normalize(def: &'static AttrDef, f: &Filter, depth: usize) -> Filter {
    if depth > 2 * filter::MAX_FILTER_DEPTH {
        return f.clone();
    }
    let n = |g: &Filter| Box::new(normalize(def, g, depth + 1));
    match f {
        Filter::Compare { path, op, value } => {
            let value = match (filter_sub(def, path), bool_of(value)) {
                (Some(sub), Some(b)) if sub.kind == AttrType::Boolean => Value::Bool(b),
                _ => value.clone(),
            };
            Filter::Compare { path: path.clone(), op: *op, value }
        }
        Filter::And(a, b) => Filter::And(n(a), n(b)),
        Filter::Or(a, b) => Filter::Or(n(a), n(b)),
        Filter::Not(a) => Filter::Not(n(a)),
        other => other.clone(),
    }
}

/// The element a filter describes when it is only `eq` conditions joined by `and`.
fn eq_conditions(def: &'static AttrDef, f: &Filter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut stack = vec![f];
    while let Some(f) = stack.pop() {
        match f {
            Filter::And(a, b) if stack.len() < 2 * filter::MAX_FILTER_DEPTH => {
                stack.push(a);
                stack.push(b);
            }
            Filter::Compare { path, op: CompareOp::Eq, value } => {
                let sub = filter_sub(def, path)?;
                let v = canon_sub(sub, value, sub.name).ok()??;
                out.insert(sub.name.to_string(), v);
            }
            _ => return None,
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Groups.

/// The changes a Group PATCH asks for, without loading members: displayName, externalId, and
/// membership changes in request order.
pub fn group_changes(ops: &[PatchOp]) -> Result<GroupChanges> {
    let mut ch = GroupChanges::default();
    for (i, op) in ops.iter().enumerate() {
        group_op(&mut ch, op).map_err(|e| context(e, i, Some(op)))?;
    }
    Ok(ch)
}

fn group_op(ch: &mut GroupChanges, op: &PatchOp) -> Result<()> {
    let value = op.value.as_ref().unwrap_or(&Value::Null);
    let Some(pp) = &op.path else {
        let Value::Object(attrs) = value else {
            return Err(Error::invalid_syntax(
                "an operation without a 'path' needs an object of attributes as 'value'",
            ));
        };
        for (key, v) in attrs {
            // Okta's rename carries `id`; unknown keys are ignored as in user PATCH.
            let Ok(Resolved::Attr { def, sub: None, .. }) = schema::resolve_group(key) else { continue };
            match def.name {
                "displayName" => ch.display_name = Some(display_name_of(v, key)?),
                "externalId" => ch.external_id = Some(external_id_of(v, key)?),
                "members" => push_members(ch, op.op, v, key)?,
                _ => {}
            }
        }
        return Ok(());
    };
    let text = op.path_text.clone().unwrap_or_else(|| pp.path.attr.clone());
    let (name, sub_after_filter) = path_names(pp)?;
    let resolved = schema::resolve_group(&name).map_err(|why| {
        Error::invalid_path(format!(
            "path '{text}' does not name a Group attribute ({why}); use 'displayName', 'externalId', \
             'members' or 'members[value eq \"<user id>\"]'"
        ))
    })?;
    let Resolved::Attr { def, sub, .. } = resolved else {
        return Err(Error::invalid_path(format!(
            "path '{text}' names the whole Group; name an attribute, or leave 'path' out"
        )));
    };
    let sub = sub.map(|s| s.name).or(sub_after_filter.as_deref());
    match def.name {
        "members" => {
            if let Some(s) = sub {
                return Err(Error::invalid_path(format!(
                    "path '{text}': members' '{s}' cannot be changed; add or remove whole members with \
                     path 'members'"
                )));
            }
            match (op.op, &pp.filter) {
                (OpKind::Remove, None) => {
                    if value.is_null() {
                        ch.members.push(MemberOp::RemoveAll);
                    } else {
                        let ids = member_ids(value, "value")?;
                        if !ids.is_empty() {
                            ch.members.push(MemberOp::Remove(ids));
                        }
                    }
                }
                (OpKind::Remove, Some(f)) => ch.members.push(MemberOp::Remove(filter_ids(f, &text)?)),
                (_, None) => push_members(ch, op.op, value, "value")?,
                (_, Some(_)) => {
                    return Err(Error::invalid_path(format!(
                        "path '{text}': a filter on members is only supported with remove; to add members \
                         use path 'members' with a value list"
                    )));
                }
            }
            Ok(())
        }
        _ if pp.filter.is_some() || sub.is_some() => Err(Error::invalid_path(format!(
            "path '{text}': '{}' takes neither a filter nor a sub-attribute",
            def.name
        ))),
        "displayName" => {
            if op.op == OpKind::Remove {
                return Err(Error::mutability(
                    "'displayName' is required and cannot be removed; replace it with a new name instead",
                ));
            }
            ch.display_name = Some(display_name_of(value, &text)?);
            Ok(())
        }
        "externalId" => {
            ch.external_id = Some(if op.op == OpKind::Remove { None } else { external_id_of(value, &text)? });
            Ok(())
        }
        _ => Err(read_only_error(def, &text)),
    }
}

fn push_members(ch: &mut GroupChanges, op: OpKind, v: &Value, label: &str) -> Result<()> {
    let ids = if v.is_null() { Vec::new() } else { member_ids(v, label)? };
    match op {
        OpKind::Replace => ch.members.push(MemberOp::Replace(ids)),
        OpKind::Add if !ids.is_empty() => ch.members.push(MemberOp::Add(ids)),
        // A path-less remove is refused by parse_ops; an empty add changes nothing.
        _ => {}
    }
    Ok(())
}

fn display_name_of(v: &Value, label: &str) -> Result<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Error::invalid_value(format!(
            "'{label}' must be a non-empty string (the group's name), got {}",
            json_kind(other)
        ))),
    }
}

fn external_id_of(v: &Value, label: &str) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => {
            Err(Error::invalid_value(format!("'{label}' must be a string or null, got {}", json_kind(other))))
        }
    }
}

/// The ids of `members[value eq "a" or value eq "b"]`; any other filter is refused.
fn filter_ids(f: &Filter, text: &str) -> Result<Vec<String>> {
    let refuse = || {
        Error::invalid_filter(format!(
            "path '{text}': a members filter must be value eq \"<user id>\", possibly joined with 'or', \
             e.g. members[value eq \"2819c223\" or value eq \"902c246b\"]"
        ))
    };
    let mut ids: Vec<String> = Vec::new();
    let mut stack = vec![f];
    while let Some(f) = stack.pop() {
        match f {
            Filter::Or(a, b) if stack.len() < 2 * filter::MAX_FILTER_DEPTH => {
                stack.push(b);
                stack.push(a);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Value::String(id) } => {
                let is_value = path.urn.is_none()
                    && match &path.sub {
                        None => path.attr.eq_ignore_ascii_case("value"),
                        Some(s) => {
                            path.attr.eq_ignore_ascii_case("members") && s.eq_ignore_ascii_case("value")
                        }
                    };
                if !is_value {
                    return Err(refuse());
                }
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            _ => return Err(refuse()),
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use crate::scim::resource::canonical_user;

    fn ops(v: Value) -> Vec<PatchOp> {
        parse_ops(&v).unwrap()
    }

    fn patch(ops_json: Value) -> Value {
        json!({"schemas":[PATCH_OP],"Operations":ops_json})
    }

    fn base() -> Value {
        canonical_user(&json!({"userName":"ada@example.com","active":true,"displayName":"Ada",
            "name":{"givenName":"Ada","familyName":"Lovelace"},
            "emails":[{"value":"ada@example.com","type":"work","primary":true}],
            ENTERPRISE_USER_SCHEMA: {"department":"R&D"}}))
        .unwrap()
    }

    fn apply(doc: &Value, ops_json: Value) -> Result<Value> {
        let mut d = doc.clone();
        let parsed = parse_ops(&patch(ops_json))?;
        apply_user(&mut d, &parsed)?;
        Ok(d)
    }

    fn ok(ops_json: Value) -> Value {
        apply(&base(), ops_json).unwrap()
    }

    fn fails(ops_json: Value) -> (ScimType, String) {
        let e = apply(&base(), ops_json).unwrap_err();
        assert_eq!(e.status(), 400, "{e:?}");
        (e.scim_type.unwrap(), e.detail)
    }

    // ---- parse_ops ----

    #[test]
    fn extension_object_value_may_echo_its_own_schemas() {
        // scim2-tester sends the extension object with its `schemas` inside, by path.
        for op in ["add", "replace"] {
            let d = ok(json!([{"op":op,"path":ENTERPRISE_USER_SCHEMA,
                "value":{"schemas":[ENTERPRISE_USER_SCHEMA],"employeeNumber":"43"}}]));
            assert_eq!(d[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "43");
            assert!(d[ENTERPRISE_USER_SCHEMA].get("schemas").is_none());
        }
    }

    #[test]
    fn op_names_in_any_case() {
        let p = ops(patch(
            json!([{"op":"Add","path":"nickName","value":"Babs"},{"op":"REPLACE","value":{"active":false}},
            {"op":"Remove","path":"title"}]),
        ));
        assert_eq!(
            p.iter().map(|o| o.op).collect::<Vec<_>>(),
            [OpKind::Add, OpKind::Replace, OpKind::Remove]
        );
        let p = ops(json!({"operations":[{"OP":"add","Path":"title","Value":"x"}]}));
        assert_eq!(p[0].value, Some(json!("x")));
        assert_eq!(p[0].path_text.as_deref(), Some("title"));
    }

    #[test]
    fn bad_bodies_are_refused() {
        let cases = [
            json!([]),
            json!({}),
            json!({"Operations":[]}),
            json!({"Operations":{}}),
            json!({"Operations":[5]}),
            json!({"Operations":[{"path":"title","value":"x"}]}),
            json!({"Operations":[{"op":5,"value":{}}]}),
            json!({"Operations":[{"op":"add","path":"title"}]}),
            json!({"Operations":[{"op":"replace","value":"x"}]}),
            json!({"Operations":[{"op":"add","path":5,"value":"x"}]}),
            json!({"schemas":"x","Operations":[{"op":"replace","value":{"active":false}}]}),
        ];
        for c in cases {
            let e = parse_ops(&c).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{c}: {e:?}");
        }
        let e = parse_ops(&json!({"Operations":[{"op":"copy","path":"title"}]})).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
        assert!(e.detail.contains("copy") && e.detail.contains("Operations[0]"), "{}", e.detail);
    }

    #[test]
    fn remove_without_path_is_no_target() {
        let e = parse_ops(&patch(json!([{"op":"remove","value":{"title":"x"}}]))).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::NoTarget));
    }

    #[test]
    fn schemas_without_patch_op_urn_are_tolerated() {
        assert!(
            parse_ops(&json!({"schemas":[],"Operations":[{"op":"replace","value":{"active":false}}]}))
                .is_ok()
        );
        assert!(parse_ops(&json!({"Operations":[{"op":"replace","value":{"active":false}}]})).is_ok());
    }

    #[test]
    fn unparseable_paths_are_invalid_path() {
        let e = parse_ops(&patch(json!([{"op":"add","path":"emails[type eq","value":"x"}]))).unwrap_err();
        assert_eq!(e.status(), 400);
        assert!(e.detail.contains("Operations[0]"), "{}", e.detail);
    }

    // ---- Entra user PATCH, default (non-flag) form ----

    #[test]
    fn entra_disable_with_string_boolean() {
        let d = ok(json!([{"op":"Replace","path":"active","value":"False"}]));
        assert_eq!(d["active"], false);
        let d = apply(&d, json!([{"op":"Replace","path":"active","value":"True"}])).unwrap();
        assert_eq!(d["active"], true);
    }

    #[test]
    fn entra_flag_disable_with_boolean() {
        assert_eq!(ok(json!([{"op":"replace","path":"active","value":false}]))["active"], false);
    }

    #[test]
    fn entra_add_single_value_and_add_as_upsert() {
        let d = ok(json!([{"op":"Add","path":"nickName","value":"Babs"}]));
        assert_eq!(d["nickName"], "Babs");
        let d = apply(&d, json!([{"op":"Add","path":"nickName","value":"Bee"}])).unwrap();
        assert_eq!(d["nickName"], "Bee");
        let d = ok(json!([{"op":"Replace","path":"title","value":"CTO"}]));
        assert_eq!(d["title"], "CTO");
    }

    #[test]
    fn entra_default_paths() {
        let e = ENTERPRISE_USER_SCHEMA;
        let d = ok(json!([
            {"op":"Replace","path":"name.givenName","value":"Augusta"},
            {"op":"Replace","path":"name.familyName","value":"King"},
            {"op":"Replace","path":"externalId","value":"ada"},
            {"op":"Replace","path":"displayName","value":"Augusta King"},
            {"op":"Replace","path":"userName","value":"augusta@example.com"},
            {"op":"Add","path":format!("{e}:employeeNumber"),"value":"42"},
            {"op":"Replace","path":format!("{e}:department"),"value":"Maths"},
            {"op":"Add","path":format!("{e}:organization"),"value":"Analytical"}
        ]));
        assert_eq!(d["name"], json!({"givenName":"Augusta","familyName":"King"}));
        assert_eq!(d["externalId"], "ada");
        assert_eq!(d["userName"], "augusta@example.com");
        assert_eq!(d[e], json!({"employeeNumber":"42","department":"Maths","organization":"Analytical"}));
    }

    #[test]
    fn entra_flag_multi_attribute_form() {
        let d = ok(json!([
            {"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@test.microsoft.com"},
            {"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
              "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}
        ]));
        assert_eq!(
            d["emails"],
            json!([{"value":"TestMhvaes@test.microsoft.com","type":"work","primary":true}])
        );
        assert_eq!(d["displayName"], "Bjfe");
        assert_eq!(d["name"], json!({"givenName":"Kkom","familyName":"Unua"}));
        assert_eq!(d[ENTERPRISE_USER_SCHEMA], json!({"department":"R&D","employeeNumber":"Aklq"}));
    }

    #[test]
    fn filtered_path_creates_missing_element_and_leaves_others() {
        let d = ok(json!([{"op":"Add","path":"emails[type eq \"home\"].value","value":"ada@home.org"}]));
        assert_eq!(
            d["emails"],
            json!([{"value":"ada@example.com","type":"work","primary":true},{"type":"home","value":"ada@home.org"}])
        );
        // Created on a user without emails at all (SCIM-SDK#416).
        let bare = canonical_user(&json!({"userName":"u"})).unwrap();
        let d = apply(&bare, json!([{"op":"Add","path":"emails[type eq \"work\"].value","value":"u@x.org"}]))
            .unwrap();
        assert_eq!(d["emails"], json!([{"type":"work","value":"u@x.org"}]));
        let d =
            apply(&d, json!([{"op":"Replace","path":"emails[type eq \"work\"].value","value":"v@x.org"}]))
                .unwrap();
        assert_eq!(d["emails"], json!([{"type":"work","value":"v@x.org"}]));
    }

    #[test]
    fn addresses_and_phone_numbers_by_type() {
        let d = ok(json!([
            {"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"},
            {"op":"Add","path":"addresses[type eq \"work\"].postalCode","value":"12345"},
            {"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0101"},
            {"op":"Replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"},
            {"op":"Replace","path":"phoneNumbers[type eq \"fax\"].value","value":"+1 555 0102"}
        ]));
        assert_eq!(d["addresses"], json!([{"type":"work","formatted":"1 Main St","postalCode":"12345"}]));
        assert_eq!(
            d["phoneNumbers"],
            json!([{"type":"mobile","value":"+1 555 0101"},{"type":"work","value":"+1 555 0100"},{"type":"fax","value":"+1 555 0102"}])
        );
        let d = apply(
            &d,
            json!([{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0199"}]),
        )
        .unwrap();
        assert_eq!(d["phoneNumbers"][0], json!({"type":"mobile","value":"+1 555 0199"}));
        assert_eq!(d["phoneNumbers"].as_array().unwrap().len(), 3);
        let d = apply(&d, json!([{"op":"remove","path":"phoneNumbers[type eq \"fax\"]"}])).unwrap();
        assert_eq!(d["phoneNumbers"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn roles_single_app_role_assignment_paths() {
        let d = ok(json!([
            {"op":"Add","path":"roles[primary eq \"True\"].value","value":"LICENSED_USER"},
            {"op":"Add","path":"roles[primary eq \"True\"].display","value":"Licensed User"},
            {"op":"Add","path":"roles[primary eq \"True\"].type","value":"WindowsAzureActiveDirectoryRole"}
        ]));
        assert_eq!(
            d["roles"],
            json!([{"primary":true,"value":"LICENSED_USER","display":"Licensed User","type":"WindowsAzureActiveDirectoryRole"}])
        );
        let d = apply(
            &d,
            json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"GROUP_ADMIN"}]),
        )
        .unwrap();
        assert_eq!(d["roles"].as_array().unwrap().len(), 1);
        assert_eq!(resource::role_values(&d), ["GROUP_ADMIN"]);
    }

    #[test]
    fn roles_app_role_assignments_complex_add_and_assertive_replace() {
        let d = ok(
            json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"},{"value":"{\"id\":\"06b07648-ecfe-599f-9d2f-6325724a46ee\",\"value\":\"User\",\"displayName\":\"User\"}"}]}]),
        );
        assert_eq!(d["roles"].as_array().unwrap().len(), 2);
        assert_eq!(resource::role_values(&d), ["Admin", "User"]);
        // The same add again (Entra re-sends) does not duplicate.
        let d2 = apply(&d, json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}])).unwrap();
        assert_eq!(d2["roles"].as_array().unwrap().len(), 2);
        let d3 = apply(&d, json!([{"op":"replace","path":"roles","value":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"User","value":"User"},{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Test","value":"Test"}]}])).unwrap();
        assert_eq!(resource::role_values(&d3), ["User", "Test"]);
    }

    #[test]
    fn manager_shapes_in_patch() {
        let e = ENTERPRISE_USER_SCHEMA;
        let want = json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"});
        for (path, value) in [
            (format!("{e}:manager"), json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2")),
            (
                "manager".to_string(),
                json!([{"$ref":"https://x/Users/2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]),
            ),
            (format!("{e}:manager"), json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"})),
            (format!("{e}:manager.value"), json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2")),
        ] {
            let d = ok(json!([{"op":"add","path":path,"value":value}]));
            assert_eq!(d[e]["manager"], want, "{path}");
            assert_eq!(d[e]["department"], "R&D");
        }
        let d = ok(json!([{"op":"replace","value":{e: {"manager":"m2"}}}]));
        assert_eq!(d[e]["manager"], json!({"value":"m2"}));
        let d = apply(&d, json!([{"op":"remove","path":"manager"}])).unwrap();
        assert!(d[e].get("manager").is_none());
        let (t, _) = fails(json!([{"op":"add","path":"manager","value":["a","b"]}]));
        assert_eq!(t, ScimType::InvalidValue);
    }

    #[test]
    fn extension_object_under_its_urn_merges() {
        let e = ENTERPRISE_USER_SCHEMA;
        let d = ok(json!([{"op":"add","value":{e: {"costCenter":"CC1","division":"D"}}}]));
        assert_eq!(d[e], json!({"department":"R&D","costCenter":"CC1","division":"D"}));
        let d = ok(json!([{"op":"replace","path":e,"value":{"department":"Ops"}}]));
        assert_eq!(d[e], json!({"department":"Ops"}));
        let d = ok(json!([{"op":"remove","path":e}]));
        assert!(d.get(e).is_none());
        let d = ok(json!([{"op":"remove","path":format!("{e}:department")}]));
        assert!(d.get(e).is_none(), "an emptied extension disappears");
    }

    // ---- Okta user PATCH ----

    #[test]
    fn okta_deactivate_and_reactivate() {
        let p = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]});
        let mut d = base();
        apply_user(&mut d, &parse_ops(&p).unwrap()).unwrap();
        assert_eq!(d["active"], false);
        let p = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]});
        apply_user(&mut d, &parse_ops(&p).unwrap()).unwrap();
        assert_eq!(d["active"], true);
    }

    #[test]
    fn okta_password_sync_is_ignored() {
        assert_eq!(ok(json!([{"op":"replace","value":{"password":"s3cret"}}])), base());
        assert_eq!(ok(json!([{"op":"replace","path":"password","value":"s3cret"}])), base());
    }

    // ---- generic semantics ----

    #[test]
    fn pathless_keys_any_case_and_unknown_keys_ignored() {
        let d = ok(json!([{"op":"Replace","value":{"DisplayName":"X","Active":"false","nosuch":1,"id":"zz",
            "meta":{"version":"W/\"9\""},"schemas":[USER_SCHEMA],"groups":[],"urn:x:custom:2.0:User":{"a":1}}}]));
        assert_eq!(d["displayName"], "X");
        assert_eq!(d["active"], false);
        assert!(d.get("id").is_none() && d.get("meta").is_none() && d.get("nosuch").is_none());
    }

    #[test]
    fn add_appends_to_multi_valued_and_replace_replaces() {
        let d = ok(
            json!([{"op":"add","path":"emails","value":[{"value":"b@x.org","type":"home"},{"value":"ada@example.com","type":"work","primary":true}]}]),
        );
        assert_eq!(d["emails"].as_array().unwrap().len(), 2);
        let d = ok(json!([{"op":"add","value":{"emails":[{"value":"c@x.org","primary":true}]}}]));
        assert_eq!(d["emails"][0]["primary"], false, "the new primary demotes the old one");
        assert_eq!(d["emails"][1], json!({"value":"c@x.org","primary":true}));
        let d = ok(json!([{"op":"replace","path":"emails","value":[{"value":"z@x.org"}]}]));
        assert_eq!(d["emails"], json!([{"value":"z@x.org"}]));
        let d = ok(json!([{"op":"replace","path":"emails","value":[]}]));
        assert!(d.get("emails").is_none());
    }

    #[test]
    fn complex_add_merges_sub_attributes() {
        let d = ok(json!([{"op":"add","path":"name","value":{"middleName":"Byron"}}]));
        assert_eq!(d["name"], json!({"givenName":"Ada","familyName":"Lovelace","middleName":"Byron"}));
        let d = ok(json!([{"op":"replace","value":{"name":{"givenName":"A"}}}]));
        assert_eq!(d["name"], json!({"givenName":"A","familyName":"Lovelace"}));
    }

    #[test]
    fn null_values_remove() {
        let d = ok(json!([{"op":"replace","path":"displayName","value":null}]));
        assert!(d.get("displayName").is_none());
        let d = ok(json!([{"op":"replace","value":{"name":null}}]));
        assert!(d.get("name").is_none());
    }

    #[test]
    fn remove_with_path() {
        let d = ok(json!([{"op":"remove","path":"displayName"}]));
        assert!(d.get("displayName").is_none());
        let d = ok(json!([{"op":"remove","path":"name.givenName"}]));
        assert_eq!(d["name"], json!({"familyName":"Lovelace"}));
        let d = ok(json!([{"op":"remove","path":"emails[type eq \"work\"]"}]));
        assert!(d.get("emails").is_none());
        let d = ok(json!([{"op":"remove","path":"emails[type eq \"work\"].primary"}]));
        assert_eq!(d["emails"], json!([{"value":"ada@example.com","type":"work"}]));
        let d = ok(json!([{"op":"remove","path":"emails","value":[{"value":"ADA@example.com"}]}]));
        assert!(d.get("emails").is_none());
        // Removing what is not there is not an error (Entra retries).
        let d =
            ok(json!([{"op":"remove","path":"nickName"},{"op":"remove","path":"emails[type eq \"fax\"]"}]));
        assert_eq!(d, base());
    }

    #[test]
    fn remove_user_name_is_mutability() {
        let (t, d) = fails(json!([{"op":"remove","path":"userName"}]));
        assert_eq!(t, ScimType::Mutability);
        assert!(d.contains("userName"), "{d}");
    }

    #[test]
    fn read_only_attributes_are_mutability_errors() {
        for path in ["id", "meta", "groups", "meta.version", "groups[value eq \"g1\"]"] {
            for op in ["add", "replace", "remove"] {
                let (t, d) = fails(json!([{"op":op,"path":path,"value":"x"}]));
                assert_eq!(t, ScimType::Mutability, "{op} {path}");
                assert!(d.contains(path.split(['.', '[']).next().unwrap()), "{d}");
            }
        }
        let (t, _) = fails(json!([{"op":"add","value":{"groups":[{"value":"g1"}]}}]));
        assert_eq!(t, ScimType::Mutability);
    }

    #[test]
    fn seat_extension_is_silently_ignored() {
        let s = SEAT_USER_SCHEMA;
        let d = ok(json!([{"op":"replace","path":format!("{s}:seatType"),"value":"member"},
            {"op":"replace","value":{s: {"seatType":"member"}}},
            {"op":"remove","path":s},
            {"op":"add","path":"seatType","value":"member"}]));
        assert_eq!(d, base());
    }

    #[test]
    fn unknown_paths_are_invalid_path() {
        for path in [
            "nosuch",
            "name.nick",
            "urn:ietf:params:scim:schemas:extension:Custom:2.0:User:x",
            "displayName.x",
        ] {
            let (t, d) = fails(json!([{"op":"replace","path":path,"value":"x"}]));
            assert_eq!(t, ScimType::InvalidPath, "{path}");
            assert!(d.contains(path), "{d}");
        }
        let (t, _) = fails(json!([{"op":"replace","path":"displayName[value eq \"x\"]","value":"x"}]));
        assert_eq!(t, ScimType::InvalidPath);
    }

    #[test]
    fn type_errors_are_invalid_value() {
        for (path, value) in [
            ("active", json!(3)),
            ("emails", json!("x")),
            ("name", json!("x")),
            ("title", json!(7)),
            ("emails[type eq \"work\"].primary", json!("maybe")),
        ] {
            let (t, _) = fails(json!([{"op":"replace","path":path,"value":value}]));
            assert_eq!(t, ScimType::InvalidValue, "{path}");
        }
        let (t, _) = fails(json!([{"op":"replace","value":{"active":"nope"}}]));
        assert_eq!(t, ScimType::InvalidValue);
        let (t, _) = fails(json!([{"op":"replace","path":"userName","value":""}]));
        assert_eq!(t, ScimType::InvalidValue);
    }

    #[test]
    fn atomic_when_a_later_op_fails() {
        let mut d = base();
        let p = parse_ops(&patch(json!([{"op":"replace","path":"displayName","value":"Changed"},
            {"op":"replace","path":"active","value":"sometimes"}])))
        .unwrap();
        let e = apply_user(&mut d, &p).unwrap_err();
        assert!(e.detail.starts_with("Operations[1] (replace active)"), "{}", e.detail);
        assert_eq!(d, base());
    }

    #[test]
    fn filter_that_cannot_seed_an_element_is_no_target() {
        let (t, _) = fails(
            json!([{"op":"add","path":"emails[type ne \"work\" and value co \"@\"].display","value":"x"}]),
        );
        assert_eq!(t, ScimType::NoTarget);
    }

    #[test]
    fn filtered_replace_of_whole_element() {
        let d = ok(json!([{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"new@x.org"}}]));
        assert_eq!(d["emails"], json!([{"value":"new@x.org","type":"work"}]));
        let d = ok(json!([{"op":"add","path":"emails[type eq \"work\"]","value":{"display":"Ada"}}]));
        assert_eq!(
            d["emails"],
            json!([{"value":"ada@example.com","type":"work","primary":true,"display":"Ada"}])
        );
    }

    #[test]
    fn core_urn_qualified_paths_and_case() {
        let d = ok(
            json!([{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:displayName","value":"Q"},
            {"op":"replace","path":"NAME.GIVENNAME","value":"G"},
            {"op":"replace","path":"Emails[Type eq \"WORK\"].Value","value":"w@x.org"}]),
        );
        assert_eq!(d["displayName"], "Q");
        assert_eq!(d["name"]["givenName"], "G");
        assert_eq!(d["emails"], json!([{"value":"w@x.org","type":"work","primary":true}]));
    }

    #[test]
    fn string_booleans_in_filtered_paths_and_values() {
        let d = ok(json!([{"op":"replace","path":"emails[type eq \"work\"].primary","value":"False"}]));
        assert_eq!(d["emails"][0]["primary"], false);
        let d = ok(json!([{"op":"add","path":"emails[primary eq \"true\"].display","value":"Main"}]));
        assert_eq!(d["emails"][0]["display"], "Main");
        assert_eq!(d["emails"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn patch_result_equals_put_of_the_same_state() {
        let via_patch = ok(
            json!([{"op":"replace","value":{"title":"T","emails":[{"Value":"z@x.org","Primary":"True"}]}}]),
        );
        let mut body = base();
        body["title"] = json!("T");
        body["emails"] = json!([{"value":"z@x.org","primary":true}]);
        assert_eq!(via_patch, canonical_user(&body).unwrap());
    }

    #[test]
    fn no_input_panics() {
        let values = [
            json!(null),
            json!(true),
            json!(0),
            json!(-1.5),
            json!(""),
            json!("x"),
            json!("True"),
            json!([]),
            json!([null]),
            json!([[]]),
            json!([{}]),
            json!({}),
            json!({"value":null}),
            json!([{"value":"{\"value\":5}"}]),
            json!({"a":{"b":{"c":[1,{"d":null}]}}}),
        ];
        let paths = [
            "userName",
            "name",
            "name.givenName",
            "emails",
            "emails.value",
            "emails[type eq \"work\"]",
            "emails[type eq \"work\"].value",
            "manager",
            "manager.value",
            "roles",
            "roles[primary eq \"True\"].value",
            ENTERPRISE_USER_SCHEMA,
            SEAT_USER_SCHEMA,
            "groups",
            "active",
            "addresses[type eq \"work\"].formatted",
        ];
        for v in &values {
            let _ = canonical_user(v);
            let _ = resource::canonical_group(v);
            let _ = parse_ops(v);
            let _ = resource::role_values(v);
            let _ = resource::emails(v);
            let _ = resource::primary_email(v);
            for p in paths {
                for op in ["add", "replace", "remove"] {
                    let _ = apply(&base(), json!([{"op":op,"path":p,"value":v}]));
                    let _ = gch(json!([{"op":op,"path":p,"value":v}]));
                }
                let _ = apply(&base(), json!([{"op":"add","value":{p: v}}]));
                let _ = resource::sort_key(v, p);
                let _ = resource::project(v, &[p.to_string()], &[p.to_string()]);
            }
        }
    }

    // ---- groups ----

    fn gch(ops_json: Value) -> Result<GroupChanges> {
        group_changes(&parse_ops(&patch(ops_json))?)
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entra_group_rename_add_remove() {
        let c = gch(json!([{"op":"Replace","path":"displayName","value":"…updatedDisplayName"}])).unwrap();
        assert_eq!(c.display_name.as_deref(), Some("…updatedDisplayName"));
        assert!(c.members.is_empty());
        let c = gch(
            json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]),
        )
        .unwrap();
        assert_eq!(c.members, [MemberOp::Add(ids(&["f648f8d5ea4e4cd38e9c"]))]);
        let c = gch(
            json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]),
        )
        .unwrap();
        assert_eq!(c.members, [MemberOp::Remove(ids(&["f648f8d5ea4e4cd38e9c"]))]);
        let c = gch(json!([{"op":"Add","path":"members","value":[{"value":"8"}]},{"op":"Remove","path":"members","value":[{"value":"u1091"}]}])).unwrap();
        assert_eq!(c.members, [MemberOp::Add(ids(&["8"])), MemberOp::Remove(ids(&["u1091"]))]);
    }

    #[test]
    fn members_value_eq_filters() {
        let c = gch(json!([{"op":"remove","path":"members[value eq \"7f4b\"]"}])).unwrap();
        assert_eq!(c.members, [MemberOp::Remove(ids(&["7f4b"]))]);
        let c = gch(
            json!([{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}]),
        )
        .unwrap();
        assert_eq!(c.members, [MemberOp::Remove(ids(&["a", "b"]))]);
        for path in [
            "members[display eq \"x\"]",
            "members[value ne \"a\"]",
            "members[value eq \"a\" and value eq \"b\"]",
        ] {
            let e = gch(json!([{"op":"remove","path":path}])).unwrap_err();
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{path}");
        }
        let e =
            gch(json!([{"op":"add","path":"members[value eq \"a\"]","value":[{"value":"a"}]}])).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    }

    #[test]
    fn okta_group_membership_mixed_ops() {
        let c = group_changes(&ops(json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
            {"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
            {"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}]})))
        .unwrap();
        assert_eq!(
            c.members,
            [
                MemberOp::Remove(ids(&["89bb1940-b905-4575-9e7f-6f887cfb368e"])),
                MemberOp::Add(ids(&["23a35c27-23d3-4c03-b4c5-6443c09e7173"]))
            ]
        );
        let c = gch(json!([{"op":"replace","path":"members","value":[{"value":"a","display":"A"},{"value":"b","display":"B"}]}])).unwrap();
        assert_eq!(c.members, [MemberOp::Replace(ids(&["a", "b"]))]);
        let c = gch(json!([{"op":"replace","path":"members","value":[]}])).unwrap();
        assert_eq!(c.members, [MemberOp::Replace(vec![])]);
    }

    #[test]
    fn okta_rename_leaves_members_alone() {
        let c =
            gch(json!([{"op":"replace","value":{"id":"abf4dd94-1","displayName":"Test SCIMv2"}}])).unwrap();
        assert_eq!(c, GroupChanges { display_name: Some("Test SCIMv2".into()), ..GroupChanges::default() });
    }

    #[test]
    fn pathless_group_ops_with_members() {
        let c = gch(json!([{"op":"add","value":{"members":[{"value":"a"}],"externalId":"x"}}])).unwrap();
        assert_eq!(c.members, [MemberOp::Add(ids(&["a"]))]);
        assert_eq!(c.external_id, Some(Some("x".into())));
        let c = gch(json!([{"op":"replace","value":{"Members":[{"value":"a"}]}}])).unwrap();
        assert_eq!(c.members, [MemberOp::Replace(ids(&["a"]))]);
    }

    #[test]
    fn remove_all_members_and_external_id() {
        let c = gch(json!([{"op":"remove","path":"members"},{"op":"remove","path":"externalId"}])).unwrap();
        assert_eq!(c.members, [MemberOp::RemoveAll]);
        assert_eq!(c.external_id, Some(None));
        let c = gch(json!([{"op":"replace","path":"externalId","value":"e1"}])).unwrap();
        assert_eq!(c.external_id, Some(Some("e1".into())));
    }

    #[test]
    fn group_paths_any_case_and_urn_qualified() {
        let c = gch(json!([{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"N"},
            {"op":"ADD","path":"Members","value":[{"Value":"u1"}]},
            {"op":"replace","value":{"schemas":["x"],"meta":{},"nosuch":1}}]))
        .unwrap();
        assert_eq!(c.display_name.as_deref(), Some("N"));
        assert_eq!(c.members, [MemberOp::Add(ids(&["u1"]))]);
    }

    #[test]
    fn group_errors() {
        for (op, t) in [
            (json!({"op":"add","path":"members","value":"u1"}), ScimType::InvalidValue),
            (json!({"op":"add","path":"members","value":[{"display":"x"}]}), ScimType::InvalidValue),
            (json!({"op":"add","path":"members","value":[{"value":5}]}), ScimType::InvalidValue),
            (json!({"op":"remove","path":"members","value":{"value":"a"}}), ScimType::InvalidValue),
            (json!({"op":"replace","path":"displayName","value":""}), ScimType::InvalidValue),
            (json!({"op":"replace","path":"displayName","value":5}), ScimType::InvalidValue),
            (json!({"op":"remove","path":"displayName"}), ScimType::Mutability),
            (json!({"op":"replace","path":"id","value":"x"}), ScimType::Mutability),
            (json!({"op":"replace","path":"nosuch","value":"x"}), ScimType::InvalidPath),
            (json!({"op":"replace","path":"members.display","value":"x"}), ScimType::InvalidPath),
        ] {
            let e = gch(json!([op.clone()])).unwrap_err();
            assert_eq!(e.scim_type, Some(t), "{op}: {e:?}");
            assert!(e.detail.starts_with("Operations[0]"), "{}", e.detail);
        }
    }
}
