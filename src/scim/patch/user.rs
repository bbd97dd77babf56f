//! Applying PATCH operations to a canonical User document, atomically: every op applies to a copy,
//! the result is re-validated with [`resource::canonical_user`], and the caller's document changes
//! only when all of it succeeded. Paths with a value filter are `value_filter`'s.

use super::parse::{OpKind, PatchOp, context, path_names};
use super::value_filter::{normalize, remove_filtered, set_filtered};
use crate::error::{Error, Result};
use crate::scim::filter::Filter;
use crate::scim::resource::{self, bool_of, canon_attr, canon_element, canon_sub, is_read_only, json_kind};
use crate::scim::schema::{self, AttrDef, AttrType, Resolved, SchemaDef};
use crate::scim::{ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

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
    if pp.filter.is_none() && resource::custom::split(&text).is_some() {
        return resource::custom::write(work, &text, value, custom_write(op.op));
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

pub(super) fn read_only_error(def: &AttrDef, text: &str) -> Error {
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
    if !nested && resource::custom::split(key).is_some() {
        return resource::custom::write(work, key, v, custom_write(op));
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
pub(super) struct Target<'a> {
    /// The extension URN key the attribute lives under, or `None` for the top level.
    pub(super) ext: Option<&'static str>,
    pub(super) def: &'static AttrDef,
    pub(super) sub: Option<&'static AttrDef>,
    pub(super) filter: Option<&'a Filter>,
    /// The path or key as the client wrote it.
    pub(super) label: &'a str,
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

/// Drops empty elements, then the attribute itself when it became empty.
pub(super) fn tidy(c: &mut Map<String, Value>, key: &str) {
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

pub(super) fn put(o: &mut Map<String, Value>, key: &str, v: Option<Value>) {
    match v {
        Some(v) => {
            o.insert(key.to_string(), v);
        }
        None => {
            o.remove(key);
        }
    }
}

pub(super) fn is_primary(v: &Value) -> bool {
    v.get("primary").and_then(bool_of) == Some(true)
}

/// RFC 7643 §2.4: at most one value is primary; the one just set wins.
pub(super) fn demote_others(items: &mut [Value], keep: usize) {
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep
            && is_primary(item)
            && let Value::Object(o) = item
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// How a PATCH op writes a custom extension.
fn custom_write(op: OpKind) -> resource::custom::Write {
    match op {
        OpKind::Add => resource::custom::Write::Merge,
        OpKind::Replace => resource::custom::Write::Replace,
        OpKind::Remove => resource::custom::Write::Remove,
    }
}
