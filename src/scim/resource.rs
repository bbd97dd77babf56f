//! User and Group JSON, in and out: request bodies to canonical stored documents, stored documents
//! to SCIM resources, `attributes`/`excludedAttributes` projection, sort keys, and the values other
//! layers index or reason about (emails, role values).
//!
//! The canonical User document is what the store keeps: core attributes at the top level under their
//! canonical names, enterprise attributes in an object under the enterprise URN, no nulls, no empty
//! lists, booleans as JSON booleans, `manager` as `{"value": id}` (plus `displayName` when sent), and
//! nothing the server owns (`id`, `meta`, `groups`, `schemas`, the seat extension) or never keeps
//! (`password`). Attributes outside the schemas are ignored, as the reference tests expect.
//!
//! This module does not decide uniqueness, ids, times or versions (the caller passes them in), nor
//! the seat: it only reports the role values a user document carries.

use super::schema::{self, AttrDef, AttrType, Mutability, Resolved};
use super::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use crate::error::{Error, Result};
use serde_json::{Map, Value, json};
use std::collections::HashSet;

/// Server-maintained metadata of a resource; `version` is the weak ETag (`W/"3"`) made by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created: String,
    pub last_modified: String,
    pub location: String,
    pub version: String,
}

/// A group the user belongs to, for the read-only `groups` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRef {
    pub id: String,
    pub display: String,
    pub location: String,
}

/// The seat extension of a user, as the domain layer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatView {
    pub seat_type: Option<String>,
    pub status: String,
    pub managed_by_directory: bool,
    pub provisional_until: Option<String>,
    pub admin_roles: Vec<String>,
}

/// A member of a group, for rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRef {
    pub value: String,
    pub display: Option<String>,
    pub location: String,
}

/// A validated Group body (POST or PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBody {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids in request order without duplicates; `None` when `members` is absent or null.
    pub members: Option<Vec<String>>,
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared with `patch`.

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

fn is_enterprise(s: &schema::SchemaDef) -> bool {
    s.id == ENTERPRISE_USER_SCHEMA
}

fn is_seat(s: &schema::SchemaDef) -> bool {
    s.id == SEAT_USER_SCHEMA
}

/// Attributes a client can never set on a user (`id`, `meta`, `groups`).
pub(crate) fn is_read_only(def: &AttrDef) -> bool {
    def.mutability == Mutability::ReadOnly
}

fn sub_names(def: &AttrDef) -> String {
    def.sub_attributes.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------------------------------------
// Canonicalisation of values against their definitions.

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

/// `json_kind` plus the value itself when it is short, for error details.
fn describe(v: &Value) -> String {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => format!("{} ({v})", json_kind(v)),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {v}"),
        _ => json_kind(v).to_string(),
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

// ---------------------------------------------------------------------------------------------
// `schemas` checks.

/// `schemas` may be absent or null; otherwise an array of strings. Every `urn:` string must be one
/// of `allowed`; other strings (Entra's `http://schemas.microsoft.com/…/ADSCIM/2.0/Group`) are
/// accepted and ignored.
fn check_schemas(obj: &Map<String, Value>, allowed: &[&str], resource: &str) -> Result<()> {
    let Some((key, value)) = get_ci(obj, "schemas") else { return Ok(()) };
    let items = match value {
        Value::Null => return Ok(()),
        Value::Array(items) => items,
        other => {
            return Err(Error::invalid_syntax(format!(
                "'{key}' must be an array of schema URN strings, e.g. [\"{}\"], got {}",
                allowed.first().copied().unwrap_or_default(),
                describe(other)
            )));
        }
    };
    for item in items {
        let Value::String(s) = item else {
            return Err(Error::invalid_syntax(format!(
                "'{key}' must hold only strings (schema URNs), got {}",
                describe(item)
            )));
        };
        let t = s.trim();
        let is_urn = t.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        if is_urn && !allowed.iter().any(|a| a.eq_ignore_ascii_case(t)) {
            return Err(Error::invalid_value(format!(
                "schema '{s}' in 'schemas' is not a {resource} schema of this server; the supported ones \
                 are {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// User in.

/// Validates and normalises a POST/PUT User body into the canonical stored document (see the module
/// documentation). Errors are 400 with a detail naming the attribute and the problem.
pub fn canonical_user(body: &Value) -> Result<Value> {
    let Value::Object(obj) = body else {
        return Err(Error::invalid_syntax(format!(
            "a User body must be a JSON object with at least \"userName\", got {}",
            json_kind(body)
        )));
    };
    check_schemas(obj, &[USER_SCHEMA, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA], "User")?;
    let mut core = Map::new();
    let mut ext = Map::new();
    for (key, value) in obj {
        put_user_key(&mut core, &mut ext, key, value, false)?;
    }
    match core.get("userName") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(_) => {
            return Err(Error::invalid_value(
                "attribute 'userName' must not be empty: send the user's unique login name, e.g. \
                 \"ada@example.com\"",
            ));
        }
        None => {
            return Err(Error::invalid_value(
                "attribute 'userName' is required: send the user's unique login name, e.g. \
                 \"userName\": \"ada@example.com\"",
            ));
        }
    }
    if !ext.is_empty() {
        core.insert(ENTERPRISE_USER_SCHEMA.to_string(), Value::Object(ext));
    }
    Ok(Value::Object(core))
}

/// Puts one key of a User body into the canonical document (`core`) or its enterprise part (`ext`).
/// `nested` is true inside a schema-URN object, where further schema objects are not expected.
fn put_user_key(
    core: &mut Map<String, Value>,
    ext: &mut Map<String, Value>,
    key: &str,
    value: &Value,
    nested: bool,
) -> Result<()> {
    if value.is_null() || key.eq_ignore_ascii_case("schemas") {
        return Ok(());
    }
    // Attributes outside the schemas (misspellings, custom extensions) are ignored.
    let Ok(resolved) = schema::resolve_user(key) else { return Ok(()) };
    match resolved {
        Resolved::Schema(s) if is_enterprise(s) => {
            let Value::Object(inner) = value else {
                return Err(Error::invalid_value(format!(
                    "'{key}' must be an object of enterprise attributes (employeeNumber, costCenter, \
                     organization, division, department, manager), got {}",
                    describe(value)
                )));
            };
            for (k, v) in inner {
                // Qualify the inner name so that it resolves against the enterprise schema only.
                put_user_key(core, ext, &format!("{ENTERPRISE_USER_SCHEMA}:{k}"), v, true)?;
            }
            Ok(())
        }
        Resolved::Schema(s) if s.id == USER_SCHEMA && !nested => {
            if let Value::Object(inner) = value {
                for (k, v) in inner {
                    put_user_key(core, ext, &format!("{USER_SCHEMA}:{k}"), v, true)?;
                }
            }
            Ok(())
        }
        // The seat extension is the server's; its values are ignored.
        Resolved::Schema(_) => Ok(()),
        Resolved::Attr { schema: s, def, sub } => {
            if is_seat(s) || is_read_only(def) || def.name == "password" {
                return Ok(());
            }
            let container = if is_enterprise(s) { ext } else { core };
            match sub {
                None => match canon_attr(def, value, key)? {
                    Some(v) => {
                        container.insert(def.name.to_string(), v);
                    }
                    None => {
                        container.remove(def.name);
                    }
                },
                // A dotted key (`"name.givenName"`) sets one sub-attribute of a single complex value.
                Some(sub) if !def.multi_valued => {
                    let slot = container.entry(def.name.to_string()).or_insert_with(|| json!({}));
                    if !slot.is_object() {
                        *slot = json!({});
                    }
                    if let Value::Object(m) = slot {
                        match canon_sub(sub, value, key)? {
                            Some(v) => {
                                m.insert(sub.name.to_string(), v);
                            }
                            None => {
                                m.remove(sub.name);
                            }
                        }
                        if m.is_empty() {
                            container.remove(def.name);
                        }
                    }
                }
                Some(_) => {}
            }
            Ok(())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Group in.

/// Validates a POST/PUT Group body: `displayName` is required, `members` values are user ids.
pub fn canonical_group(body: &Value) -> Result<GroupBody> {
    let Value::Object(obj) = body else {
        return Err(Error::invalid_syntax(format!(
            "a Group body must be a JSON object with at least \"displayName\", got {}",
            json_kind(body)
        )));
    };
    check_schemas(obj, &[GROUP_SCHEMA], "Group")?;
    let mut display_name = None;
    let mut external_id = None;
    let mut members = None;
    for (key, value) in obj {
        if value.is_null() {
            continue;
        }
        let Ok(Resolved::Attr { def, sub: None, .. }) = schema::resolve_group(key) else { continue };
        match def.name {
            "displayName" => match value {
                Value::String(s) => display_name = Some(s.clone()),
                other => {
                    return Err(Error::invalid_value(format!(
                        "attribute '{key}' must be a string (the group's name), got {}",
                        describe(other)
                    )));
                }
            },
            "externalId" => match value {
                Value::String(s) => external_id = Some(s.clone()),
                other => {
                    return Err(Error::invalid_value(format!(
                        "attribute '{key}' must be a string, got {}",
                        describe(other)
                    )));
                }
            },
            "members" => members = Some(member_ids(value, key)?),
            // id and meta are the server's.
            _ => {}
        }
    }
    let Some(display_name) = display_name.filter(|d| !d.trim().is_empty()) else {
        return Err(Error::invalid_value(
            "attribute 'displayName' is required and must not be empty: send the group's name, e.g. \
             \"displayName\": \"Smartsheet Licensed User\"",
        ));
    };
    Ok(GroupBody { display_name, external_id, members })
}

/// The user ids of a `members` value: an array of objects with a string `value`; duplicates removed
/// keeping the first occurrence.
pub(crate) fn member_ids(v: &Value, label: &str) -> Result<Vec<String>> {
    let Value::Array(items) = v else {
        return Err(Error::invalid_value(format!(
            "'{label}' must be an array of objects like {{\"value\": \"<user id>\"}}, got {}",
            describe(v)
        )));
    };
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let id = match item {
            Value::Object(o) => match get_ci(o, "value").map(|(_, v)| v) {
                Some(Value::String(s)) if !s.trim().is_empty() => s,
                Some(other) => {
                    return Err(Error::invalid_value(format!(
                        "'{label}[{i}].value' must be a non-empty string (a user id), got {}",
                        describe(other)
                    )));
                }
                None => {
                    return Err(Error::invalid_value(format!(
                        "'{label}[{i}]' has no 'value': each member is {{\"value\": \"<user id>\"}}"
                    )));
                }
            },
            other => {
                return Err(Error::invalid_value(format!(
                    "'{label}[{i}]' must be an object like {{\"value\": \"<user id>\"}}, got {}",
                    describe(other)
                )));
            }
        };
        if seen.insert(id.as_str()) {
            ids.push(id.clone());
        }
    }
    Ok(ids)
}

// ---------------------------------------------------------------------------------------------
// Out.

fn meta_json(resource_type: &str, meta: &Meta) -> Value {
    json!({
        "resourceType": resource_type,
        "created": meta.created,
        "lastModified": meta.last_modified,
        "location": meta.location,
        "version": meta.version,
    })
}

/// The full SCIM User resource for a canonical document.
pub fn render_user(
    doc: &Value,
    id: &str,
    meta: &Meta,
    groups: &[GroupRef],
    seat: Option<&SeatView>,
) -> Value {
    let mut out = Map::new();
    let mut schemas = vec![json!(USER_SCHEMA)];
    let empty = Map::new();
    let src = doc.as_object().unwrap_or(&empty);
    for (k, v) in src {
        if k == ENTERPRISE_USER_SCHEMA {
            let Value::Object(e) = v else { continue };
            if e.is_empty() {
                continue;
            }
            let mut e = e.clone();
            if let Some(Value::Object(m)) = e.get_mut("manager")
                && let Some(Value::String(mid)) = m.get("value").cloned()
                && let Some(base) = meta.location.strip_suffix(id).filter(|b| b.ends_with('/'))
            {
                m.insert("$ref".into(), Value::String(format!("{base}{mid}")));
            }
            out.insert(k.clone(), Value::Object(e));
            schemas.push(json!(ENTERPRISE_USER_SCHEMA));
            continue;
        }
        // Never echo what the server owns or never keeps, even if a document somehow holds it.
        let reserved = ["id", "meta", "groups", "password", "schemas", SEAT_USER_SCHEMA];
        if reserved.iter().any(|r| r.eq_ignore_ascii_case(k)) {
            continue;
        }
        out.insert(k.clone(), v.clone());
    }
    let active = src.get("active").and_then(bool_of).unwrap_or(true);
    out.insert("active".into(), Value::Bool(active));
    out.insert("id".into(), json!(id));
    if !groups.is_empty() {
        let gs: Vec<Value> = groups
            .iter()
            .map(|g| json!({ "value": g.id, "display": g.display, "$ref": g.location, "type": "direct" }))
            .collect();
        out.insert("groups".into(), Value::Array(gs));
    }
    out.insert("meta".into(), meta_json("User", meta));
    if let Some(seat) = seat {
        let mut s = Map::new();
        if let Some(t) = &seat.seat_type {
            s.insert("seatType".into(), json!(t));
        }
        s.insert("status".into(), json!(seat.status));
        s.insert("managedByDirectory".into(), json!(seat.managed_by_directory));
        if let Some(p) = &seat.provisional_until {
            s.insert("provisionalUntil".into(), json!(p));
        }
        if !seat.admin_roles.is_empty() {
            s.insert("adminRoles".into(), json!(seat.admin_roles));
        }
        out.insert(SEAT_USER_SCHEMA.into(), Value::Object(s));
        schemas.push(json!(SEAT_USER_SCHEMA));
    }
    out.insert("schemas".into(), Value::Array(schemas));
    Value::Object(out)
}

/// The SCIM Group resource. `members: None` omits the attribute (e.g. `excludedAttributes=members`,
/// which must not cost a member scan); an empty list is omitted too (empty and absent are one state).
pub fn render_group(
    id: &str,
    display_name: &str,
    external_id: Option<&str>,
    meta: &Meta,
    members: Option<&[MemberRef]>,
) -> Value {
    let mut out = Map::new();
    out.insert("schemas".into(), json!([GROUP_SCHEMA]));
    out.insert("id".into(), json!(id));
    out.insert("displayName".into(), json!(display_name));
    if let Some(x) = external_id {
        out.insert("externalId".into(), json!(x));
    }
    if let Some(members) = members.filter(|m| !m.is_empty()) {
        let ms: Vec<Value> = members
            .iter()
            .map(|m| {
                let mut e = Map::new();
                e.insert("value".into(), json!(m.value));
                if let Some(d) = &m.display {
                    e.insert("display".into(), json!(d));
                }
                e.insert("$ref".into(), json!(m.location));
                e.insert("type".into(), json!("User"));
                Value::Object(e)
            })
            .collect();
        out.insert("members".into(), Value::Array(ms));
    }
    out.insert("meta".into(), meta_json("Group", meta));
    Value::Object(out)
}

// ---------------------------------------------------------------------------------------------
// Projection (RFC 7644 §3.4.2.5) and sorting.

/// Where an attribute name points in a rendered resource: an extension object (by its actual key),
/// an attribute (not yet matched against keys), and a sub-attribute.
struct Loc {
    ext: Option<String>,
    attr: Option<String>,
    sub: Option<String>,
}

fn split_attr(rest: &str) -> (Option<String>, Option<String>) {
    match rest.split_once('.') {
        Some((a, s)) => (Some(a.to_string()), Some(s.to_string())),
        None => (Some(rest.to_string()), None),
    }
}

fn locate(obj: &Map<String, Value>, name: &str) -> Option<Loc> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
        for key in obj.keys().filter(|k| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))) {
            if name.eq_ignore_ascii_case(key) {
                return Some(Loc { ext: Some(key.clone()), attr: None, sub: None });
            }
            if let Some(rest) = schema::strip_urn(name, key) {
                let (attr, sub) = split_attr(rest);
                return Some(Loc { ext: Some(key.clone()), attr, sub });
            }
        }
        for core in [USER_SCHEMA, GROUP_SCHEMA] {
            if let Some(rest) = schema::strip_urn(name, core) {
                let (attr, sub) = split_attr(rest);
                return Some(Loc { ext: None, attr, sub });
            }
        }
        return None;
    }
    let (attr, sub) = split_attr(name);
    Some(Loc { ext: None, attr, sub })
}

/// Attributes returned whatever `attributes`/`excludedAttributes` say.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// Applies `attributes` (only these, plus `id` and `schemas`) and `excludedAttributes` (all but
/// these) to a rendered resource. Names are case-insensitive and may be `attr.sub` or
/// URN-qualified. `meta` is returned by default like any "default" attribute (RFC 7643 §3.1): it is
/// left out when `attributes` does not name it and can be excluded. When both lists are given,
/// `attributes` applies first. `password` is never returned.
pub fn project(resource: &Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(src) = resource else { return resource.clone() };
    let mut out =
        if attributes.iter().any(|a| !a.trim().is_empty()) { include(src, attributes) } else { src.clone() };
    for name in excluded {
        exclude(&mut out, name);
    }
    out.remove("password");
    Value::Object(out)
}

fn include(src: &Map<String, Value>, names: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    for k in ALWAYS {
        if let Some(v) = src.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for name in names {
        let Some(loc) = locate(src, name) else { continue };
        let (src_c, out_c) = match &loc.ext {
            None => (src, &mut out),
            Some(ext) => {
                let Some(Value::Object(sc)) = src.get(ext) else { continue };
                let Value::Object(oc) = out.entry(ext.clone()).or_insert_with(|| json!({})) else { continue };
                (sc, oc)
            }
        };
        let Some(attr) = &loc.attr else {
            *out_c = src_c.clone();
            continue;
        };
        let Some((key, value)) = get_ci(src_c, attr) else { continue };
        let Some(sub) = &loc.sub else {
            out_c.insert(key.clone(), value.clone());
            continue;
        };
        match value {
            Value::Object(o) => {
                if let Some((sk, sv)) = get_ci(o, sub)
                    && let Value::Object(slot) = out_c.entry(key.clone()).or_insert_with(|| json!({}))
                {
                    slot.insert(sk.clone(), sv.clone());
                }
            }
            Value::Array(items) => {
                let slot =
                    out_c.entry(key.clone()).or_insert_with(|| Value::Array(vec![json!({}); items.len()]));
                if let Value::Array(slots) = slot
                    && slots.len() == items.len()
                {
                    for (item, slot) in items.iter().zip(slots.iter_mut()) {
                        if let (Value::Object(io), Value::Object(so)) = (item, slot)
                            && let Some((sk, sv)) = get_ci(io, sub)
                        {
                            so.insert(sk.clone(), sv.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    prune(&mut out);
    for v in out.values_mut() {
        if let Value::Object(ext) = v {
            prune(ext);
        }
    }
    prune(&mut out);
    out
}

fn exclude(out: &mut Map<String, Value>, name: &str) {
    let Some(loc) = locate(out, name) else { return };
    let container = match &loc.ext {
        None => &mut *out,
        Some(ext) => {
            if loc.attr.is_none() {
                out.remove(ext);
                return;
            }
            match out.get_mut(ext) {
                Some(Value::Object(c)) => c,
                _ => return,
            }
        }
    };
    let Some(attr) = &loc.attr else { return };
    let Some(key) = key_ci(container, attr) else { return };
    if loc.ext.is_none() && ALWAYS.contains(&key.as_str()) {
        return;
    }
    match &loc.sub {
        None => {
            container.remove(&key);
        }
        Some(sub) => {
            match container.get_mut(&key) {
                Some(Value::Object(o)) => {
                    if let Some(sk) = key_ci(o, sub) {
                        o.remove(&sk);
                    }
                }
                Some(Value::Array(items)) => {
                    for item in items.iter_mut() {
                        if let Value::Object(o) = item
                            && let Some(sk) = key_ci(o, sub)
                        {
                            o.remove(&sk);
                        }
                    }
                }
                _ => {}
            }
            prune(container);
        }
    }
    if loc.ext.is_some() {
        prune(out);
    }
}

/// Drops empty objects from arrays, then empty arrays and objects, one level down.
fn prune(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        if let Value::Array(items) = v {
            items.retain(|e| !matches!(e, Value::Object(o) if o.is_empty()));
        }
    }
    map.retain(|k, v| {
        ALWAYS.contains(&k.as_str())
            || !matches!(v, Value::Array(a) if a.is_empty()) && !matches!(v, Value::Object(o) if o.is_empty())
    });
}

/// The key to sort a rendered resource by `attr` (RFC 7644 §3.4.2.3): the attribute's value, or for
/// a multi-valued attribute the primary (else first) element's `value` or named sub-attribute;
/// case-folded with [`crate::base::text::fold_case`] unless the attribute is caseExact. `None` when the
/// resource has no such value (the caller sorts those last, as the RFC asks).
pub fn sort_key(resource: &Value, attr: &str) -> Option<String> {
    let obj = resource.as_object()?;
    let loc = locate(obj, attr)?;
    let container = match &loc.ext {
        None => obj,
        Some(e) => obj.get(e)?.as_object()?,
    };
    let (_, value) = get_ci(container, loc.attr.as_deref()?)?;
    // A multi-valued attribute sorts by an element's `value` unless a sub-attribute is named.
    let element_value = value.is_array() && loc.sub.is_none();
    let value = match value {
        Value::Array(items) => {
            let first = items
                .iter()
                .find(|e| {
                    e.as_object().and_then(|o| get_ci(o, "primary")).and_then(|(_, p)| bool_of(p))
                        == Some(true)
                })
                .or_else(|| items.first())?;
            match first {
                Value::Object(o) => get_ci(o, loc.sub.as_deref().unwrap_or("value"))?.1,
                other if loc.sub.is_none() => other,
                _ => return None,
            }
        }
        Value::Object(o) => get_ci(o, loc.sub.as_deref()?)?.1,
        other if loc.sub.is_none() => other,
        _ => return None,
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (urn, name, sub) = split_name(attr);
    let exact = schema::case_exact(urn, name, if element_value { Some("value") } else { sub });
    Some(if exact { text } else { crate::base::text::fold_case(&text) })
}

/// `[urn ":"] attr ["." sub]` as the filter grammar splits a name: the URN is everything before the
/// last `:`. Nothing is trimmed or checked: a name that names nothing is simply not caseExact.
fn split_name(name: &str) -> (Option<&str>, &str, Option<&str>) {
    let (urn, rest) = match name.rsplit_once(':') {
        Some((urn, rest)) => (Some(urn), rest),
        None => (None, name),
    };
    match rest.split_once('.') {
        Some((attr, sub)) => (urn, attr, Some(sub)),
        None => (urn, rest, None),
    }
}

// ---------------------------------------------------------------------------------------------
// Values other layers use.

/// The role values a user document carries in `roles`, in every client shape: Okta's type-keyed
/// entries (an empty or missing `value` means the role is not held, whatever `type` says), Entra's
/// entries with `display`/`displayName`, Entra's AppRoleAssignmentsComplex elements whose `value` is
/// JSON text `{"id":…,"value":"LICENSED_USER",…}` (the inner `value` counts), and plain strings.
/// Trimmed, non-empty, de-duplicated case-insensitively, in order.
pub fn role_values(doc: &Value) -> Vec<String> {
    let Some(obj) = doc.as_object() else { return Vec::new() };
    let items: Vec<&Value> = match get_ci(obj, "roles").map(|(_, v)| v) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v @ (Value::String(_) | Value::Object(_))) => vec![v],
        _ => return Vec::new(),
    };
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for item in items {
        let raw = match item {
            Value::String(s) => Some(s.as_str()),
            Value::Object(o) => match get_ci(o, "value").map(|(_, v)| v) {
                Some(Value::String(s)) => Some(s.as_str()),
                _ => None,
            },
            _ => None,
        };
        let Some(value) = raw.and_then(role_value_of) else { continue };
        if seen.insert(value.to_lowercase()) {
            out.push(value);
        }
    }
    out
}

/// A role element's value, unwrapping Entra's JSON-text form.
fn role_value_of(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.starts_with('{')
        && let Ok(Value::Object(inner)) = serde_json::from_str::<Value>(t)
    {
        return match get_ci(&inner, "value").map(|(_, v)| v) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        };
    }
    if t.is_empty() { None } else { Some(t.to_string()) }
}

fn email_values(doc: &Value) -> Vec<(&str, Option<&Map<String, Value>>)> {
    let Some(obj) = doc.as_object() else { return Vec::new() };
    let Some((_, Value::Array(items))) = get_ci(obj, "emails") else { return Vec::new() };
    items
        .iter()
        .filter_map(|e| match e {
            Value::String(s) => Some((s.as_str(), None)),
            Value::Object(o) => match get_ci(o, "value") {
                Some((_, Value::String(s))) => Some((s.as_str(), Some(o))),
                _ => None,
            },
            _ => None,
        })
        .map(|(s, o)| (s.trim(), o))
        .filter(|(s, _)| !s.is_empty())
        .collect()
}

/// Every email address of a user document, trimmed and case-folded with [`crate::base::text::fold_case`] (the
/// folding filters compare with), without duplicates: the keys of the email index.
pub fn emails(doc: &Value) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (s, _) in email_values(doc) {
        let lower = crate::base::text::fold_case(s);
        if seen.insert(lower.clone()) {
            out.push(lower);
        }
    }
    out
}

fn flag<'a>(o: Option<&'a Map<String, Value>>, key: &str) -> Option<&'a Value> {
    o.and_then(|o| get_ci(o, key)).map(|(_, v)| v)
}

/// The user's main address: the `primary` one, else the `work` one, else the first.
pub fn primary_email(doc: &Value) -> Option<String> {
    let all = email_values(doc);
    all.iter()
        .find(|(_, o)| flag(*o, "primary").and_then(bool_of) == Some(true))
        .or_else(|| {
            all.iter().find(|(_, o)| {
                flag(*o, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("work"))
            })
        })
        .or_else(|| all.first())
        .map(|(s, _)| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;

    fn meta(id: &str) -> Meta {
        Meta {
            created: "2024-01-02T03:04:05Z".into(),
            last_modified: "2024-01-02T03:04:06Z".into(),
            location: format!("https://scim.example/v2/Users/{id}"),
            version: "W/\"1\"".into(),
        }
    }

    fn err_type(r: Result<impl std::fmt::Debug>) -> (ScimType, String) {
        let e = r.unwrap_err();
        assert_eq!(e.status(), 400, "{e:?}");
        (e.scim_type.unwrap(), e.detail)
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    // ---- canonical_user ----

    #[test]
    fn entra_create_is_canonicalised() {
        let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,
            "emails":[{"primary":true,"type":"work","value":"Test_User_11bb@testuser.com"}],
            "meta":{"resourceType":"User"},
            "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]});
        let doc = canonical_user(&body).unwrap();
        assert_eq!(
            doc,
            json!({"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
                "userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,
                "emails":[{"primary":true,"type":"work","value":"Test_User_11bb@testuser.com"}],
                "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"}})
        );
    }

    #[test]
    fn entra_nulls_and_custom_extensions_are_absent() {
        let body = json!({"userName":"a@x.org","addresses":null,"phoneNumbers":null,"title":null,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":null,"department":"R&D"},
            "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User":{"costCode":"7"}});
        let doc = canonical_user(&body).unwrap();
        assert_eq!(doc, json!({"userName":"a@x.org",ENTERPRISE_USER_SCHEMA:{"department":"R&D"}}));
    }

    #[test]
    fn okta_create_drops_password_and_groups() {
        let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
            "name":{"givenName":"Test","familyName":"User"},
            "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
            "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true});
        let doc = canonical_user(&body).unwrap();
        assert!(doc.get("password").is_none() && doc.get("groups").is_none());
        assert_eq!(doc["locale"], "en-US");
        assert_eq!(doc["externalId"], "00ujl29u0le5T6Aj10h7");
        assert_eq!(doc["name"], json!({"givenName":"Test","familyName":"User"}));
    }

    #[test]
    fn okta_put_echo_drops_id_meta_and_keeps_display() {
        let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-1","userName":"test.user@okta.local",
            "name":{"givenName":"Another","middleName":"Excited","familyName":"User"},
            "emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],
            "active":true,"groups":[],"meta":{"resourceType":"User"}});
        let doc = canonical_user(&body).unwrap();
        assert!(doc.get("id").is_none() && doc.get("meta").is_none());
        assert_eq!(doc["name"]["middleName"], "Excited");
        assert_eq!(doc["emails"][0]["display"], "test.user@okta.local");
    }

    #[test]
    fn keys_are_renamed_to_canonical_case_everywhere() {
        let body = json!({"UserName":"A@x.org","Active":"False","NAME":{"GivenName":"A"},
            "Emails":[{"Value":"a@x.org","Primary":"True","TYPE":"work"}],
            "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"EmployeeNumber":"7"}});
        let doc = canonical_user(&body).unwrap();
        assert_eq!(
            doc,
            json!({"userName":"A@x.org","active":false,"name":{"givenName":"A"},
                "emails":[{"value":"a@x.org","primary":true,"type":"work"}],
                ENTERPRISE_USER_SCHEMA:{"employeeNumber":"7"}})
        );
    }

    #[test]
    fn string_booleans_are_coerced() {
        for (s, b) in [("True", true), ("False", false), ("true", true), ("false", false)] {
            let doc = canonical_user(&json!({"userName":"u","active":s,"roles":[{"value":"x","primary":s}]}))
                .unwrap();
            assert_eq!(doc["active"], b);
            assert_eq!(doc["roles"][0]["primary"], b);
        }
        let (t, d) = err_type(canonical_user(&json!({"userName":"u","active":"yes"})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("active") && d.contains("boolean"), "{d}");
    }

    #[test]
    fn manager_shapes_are_stored_as_value_objects() {
        let e = ENTERPRISE_USER_SCHEMA;
        let cases = [
            json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"),
            json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}),
            json!([{"$ref":"https://x/Users/2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]),
            json!(["2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"]),
        ];
        for m in cases {
            let doc = canonical_user(&json!({"userName":"u", e: {"manager": m}})).unwrap();
            assert_eq!(doc[e]["manager"], json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}));
        }
        let doc =
            canonical_user(&json!({"userName":"u", e: {"manager": {"value":"m1","displayName":"Boss"}}}))
                .unwrap();
        assert_eq!(doc[e]["manager"], json!({"value":"m1","displayName":"Boss"}));
        let doc = canonical_user(&json!({"userName":"u", e: {"manager": ""}})).unwrap();
        assert!(doc.get(e).is_none());
        let (t, d) = err_type(canonical_user(&json!({"userName":"u", e: {"manager": ["a","b"]}})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("manager"), "{d}");
        assert!(canonical_user(&json!({"userName":"u", e: {"manager": 5}})).is_err());
        assert!(canonical_user(&json!({"userName":"u", e: {"manager": {"value": 5}}})).is_err());
    }

    #[test]
    fn unqualified_enterprise_attributes_go_under_the_urn() {
        let doc = canonical_user(&json!({"userName":"u","department":"Ops"})).unwrap();
        assert_eq!(doc[ENTERPRISE_USER_SCHEMA], json!({"department":"Ops"}));
        let key = format!("{ENTERPRISE_USER_SCHEMA}:costCenter");
        let doc = canonical_user(&json!({"userName":"u", key: "CC1"})).unwrap();
        assert_eq!(doc[ENTERPRISE_USER_SCHEMA], json!({"costCenter":"CC1"}));
    }

    #[test]
    fn seat_extension_and_unknown_attributes_are_ignored() {
        let body = json!({"schemas":[USER_SCHEMA, SEAT_USER_SCHEMA],"userName":"u","usrNmae":"typo",
            SEAT_USER_SCHEMA: {"seatType":"member","status":"active"}, "seatType":"member"});
        assert_eq!(canonical_user(&body).unwrap(), json!({"userName":"u"}));
        // The seat extension's values are ignored whatever their type.
        assert!(canonical_user(&json!({"userName":"u", SEAT_USER_SCHEMA: 5})).is_ok());
    }

    #[test]
    fn roles_are_kept_as_sent_in_canonical_form() {
        let okta = json!({"userName":"u","roles":[{"type":"LICENSED_USER","value":"LICENSED_USER"},{"type":"SYSTEM_ADMIN","value":""}]});
        let doc = canonical_user(&okta).unwrap();
        assert_eq!(doc["roles"], okta["roles"]);
        let entra = json!({"userName":"u","roles":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","displayName":"Admin","value":"Admin"}]});
        let doc = canonical_user(&entra).unwrap();
        assert_eq!(
            doc["roles"],
            json!([{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Admin","value":"Admin"}])
        );
        let doc = canonical_user(&json!({"userName":"u","roles":["LICENSED_USER"]})).unwrap();
        assert_eq!(doc["roles"], json!([{"value":"LICENSED_USER"}]));
        let doc = canonical_user(&json!({"userName":"u","roles":"LICENSED_USER"})).unwrap();
        assert_eq!(doc["roles"], json!([{"value":"LICENSED_USER"}]));
    }

    #[test]
    fn smartsheet_mapping_table_round_trips() {
        let body = json!({"schemas":[USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "userName":"ada@example.com","active":true,"title":"Engineer","externalId":"ada",
            "name":{"givenName":"Ada","familyName":"Lovelace"},
            "phoneNumbers":[{"type":"work","value":"+1 555 0100"},{"type":"mobile","value":"+1 555 0101"},{"type":"fax","value":"+1 555 0102"}],
            "emails":[{"type":"work","value":"ada@example.com"}],
            "roles":[{"value":"LICENSED_USER"}],
            ENTERPRISE_USER_SCHEMA: {"department":"R&D","division":"Eng","costCenter":"CC-7","manager":{"value":"boss-id"}}});
        let doc = canonical_user(&body).unwrap();
        let out = render_user(&doc, "u1", &meta("u1"), &[], None);
        for key in ["userName", "active", "title", "externalId", "name", "phoneNumbers", "emails", "roles"] {
            assert_eq!(out[key], body[key], "{key}");
        }
        let e = &out[ENTERPRISE_USER_SCHEMA];
        for key in ["department", "division", "costCenter"] {
            assert_eq!(e[key], body[ENTERPRISE_USER_SCHEMA][key], "{key}");
        }
        assert_eq!(e["manager"]["value"], "boss-id");
        assert_eq!(e["manager"]["$ref"], "https://scim.example/v2/Users/boss-id");
        // And it is a fixed point: canonicalising the rendered resource gives the same document.
        assert_eq!(canonical_user(&out).unwrap(), doc);
    }

    #[test]
    fn user_name_is_required_non_empty_string() {
        for body in [json!({}), json!({"userName":""}), json!({"userName":"  "}), json!({"userName":null})] {
            let (t, d) = err_type(canonical_user(&body));
            assert_eq!(t, ScimType::InvalidValue);
            assert!(d.contains("userName"), "{d}");
        }
        let (t, d) = err_type(canonical_user(&json!({"userName": 7})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("userName") && d.contains("string"), "{d}");
    }

    #[test]
    fn body_must_be_an_object() {
        for body in [json!([]), json!("x"), json!(null), json!(1)] {
            let (t, _) = err_type(canonical_user(&body));
            assert_eq!(t, ScimType::InvalidSyntax);
        }
    }

    #[test]
    fn wrong_types_for_known_attributes_are_invalid_values() {
        for (key, v) in [
            ("active", json!(3)),
            ("emails", json!("x")),
            ("name", json!("x")),
            ("title", json!(5)),
            ("emails", json!([5])),
            ("name", json!({"givenName": 1})),
            ("phoneNumbers", json!(true)),
        ] {
            let (t, d) = err_type(canonical_user(&json!({"userName":"u", key: v})));
            assert_eq!(t, ScimType::InvalidValue, "{key}");
            assert!(d.contains(key), "{key}: {d}");
        }
        let (t, d) = err_type(canonical_user(&json!({"userName":"u", ENTERPRISE_USER_SCHEMA: "x"})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("enterprise"), "{d}");
    }

    #[test]
    fn schemas_are_checked() {
        let (t, _) = err_type(canonical_user(&json!({"userName":"u","schemas":USER_SCHEMA})));
        assert_eq!(t, ScimType::InvalidSyntax);
        let (t, _) = err_type(canonical_user(&json!({"userName":"u","schemas":[1]})));
        assert_eq!(t, ScimType::InvalidSyntax);
        let (t, d) =
            err_type(canonical_user(&json!({"userName":"u","schemas":["urn:example:unknown:User"]})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("urn:example:unknown:User"), "{d}");
        assert!(canonical_user(&json!({"userName":"u","schemas":[GROUP_SCHEMA]})).is_err());
        assert!(canonical_user(&json!({"userName":"u","schemas":["http://schemas.example.com/x"]})).is_ok());
        assert!(canonical_user(&json!({"userName":"u","schemas":null})).is_ok());
        assert!(canonical_user(&json!({"userName":"u"})).is_ok());
        assert!(
            canonical_user(&json!({"userName":"u","schemas":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"]}))
                .is_ok()
        );
    }

    #[test]
    fn empty_lists_and_elements_are_absent() {
        let doc =
            canonical_user(&json!({"userName":"u","emails":[],"phoneNumbers":[null,{}],"name":{}})).unwrap();
        assert_eq!(doc, json!({"userName":"u"}));
    }

    #[test]
    fn dotted_and_core_urn_keys_in_bodies() {
        let doc = canonical_user(&json!({"userName":"u","name.givenName":"A",
            "urn:ietf:params:scim:schemas:core:2.0:User:title":"T"}))
        .unwrap();
        assert_eq!(doc, json!({"userName":"u","name":{"givenName":"A"},"title":"T"}));
    }

    // ---- canonical_group ----

    #[test]
    fn entra_group_create_with_non_urn_schema() {
        let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
            "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}});
        let g = canonical_group(&body).unwrap();
        assert_eq!(
            g,
            GroupBody {
                display_name: "displayName".into(),
                external_id: Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159".into()),
                members: None
            }
        );
    }

    #[test]
    fn okta_group_push_and_put() {
        let g = canonical_group(&json!({"schemas":[GROUP_SCHEMA],"displayName":"Test SCIMv2","members":[]}))
            .unwrap();
        assert_eq!(g.members, Some(vec![]));
        let g =
            canonical_group(&json!({"schemas":[GROUP_SCHEMA],"id":"abf4dd94","displayName":"Test SCIMv2",
            "members":[{"value":"u1","display":"a"},{"value":"u2"},{"value":"u1"}]}))
            .unwrap();
        assert_eq!(g.members, Some(strings(&["u1", "u2"])));
        let g = canonical_group(&json!({"DisplayName":"G","Members":null})).unwrap();
        assert_eq!(g.members, None);
    }

    #[test]
    fn group_errors() {
        for body in [json!({}), json!({"displayName":""}), json!({"displayName":5}), json!([])] {
            assert!(canonical_group(&body).is_err(), "{body}");
        }
        for members in [
            json!("u1"),
            json!([{"display":"x"}]),
            json!([{"value":5}]),
            json!(["u1"]),
            json!([{"value":""}]),
        ] {
            let (t, d) = err_type(canonical_group(&json!({"displayName":"G","members":members})));
            assert_eq!(t, ScimType::InvalidValue);
            assert!(d.contains("members"), "{d}");
        }
        let (t, _) = err_type(canonical_group(&json!({"displayName":"G","schemas":[USER_SCHEMA]})));
        assert_eq!(t, ScimType::InvalidValue);
    }

    // ---- render ----

    #[test]
    fn render_user_full() {
        let doc = json!({"userName":"u@x.org", ENTERPRISE_USER_SCHEMA: {"department":"Ops"}});
        let seat = SeatView {
            seat_type: Some("member".into()),
            status: "active".into(),
            managed_by_directory: true,
            provisional_until: None,
            admin_roles: vec!["user_admin".into()],
        };
        let groups = [GroupRef {
            id: "g1".into(),
            display: "Smartsheet Licensed User".into(),
            location: "https://scim.example/v2/Groups/g1".into(),
        }];
        let out = render_user(&doc, "u1", &meta("u1"), &groups, Some(&seat));
        assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA]));
        assert_eq!(out["id"], "u1");
        assert_eq!(out["active"], true);
        assert_eq!(
            out["groups"],
            json!([{"value":"g1","display":"Smartsheet Licensed User","$ref":"https://scim.example/v2/Groups/g1","type":"direct"}])
        );
        assert_eq!(
            out["meta"],
            json!({"resourceType":"User","created":"2024-01-02T03:04:05Z","lastModified":"2024-01-02T03:04:06Z",
                "location":"https://scim.example/v2/Users/u1","version":"W/\"1\""})
        );
        assert_eq!(
            out[SEAT_USER_SCHEMA],
            json!({"seatType":"member","status":"active","managedByDirectory":true,"adminRoles":["user_admin"]})
        );
    }

    #[test]
    fn render_user_minimal_and_inactive() {
        let out = render_user(&json!({"userName":"u","active":false}), "u1", &meta("u1"), &[], None);
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
        assert_eq!(out["active"], false);
        assert!(out.get("groups").is_none());
        assert!(out.get(SEAT_USER_SCHEMA).is_none());
        // A stray password in a document is never rendered.
        let out = render_user(&json!({"userName":"u","password":"p"}), "u1", &meta("u1"), &[], None);
        assert!(out.get("password").is_none());
    }

    #[test]
    fn render_group_with_and_without_members() {
        let m = Meta { location: "https://scim.example/v2/Groups/g1".into(), ..meta("g1") };
        let members = [MemberRef {
            value: "u1".into(),
            display: Some("u@x.org".into()),
            location: "https://scim.example/v2/Users/u1".into(),
        }];
        let g = render_group("g1", "G", Some("ext"), &m, Some(&members));
        assert_eq!(g["schemas"], json!([GROUP_SCHEMA]));
        assert_eq!(g["externalId"], "ext");
        assert_eq!(
            g["members"],
            json!([{"value":"u1","display":"u@x.org","$ref":"https://scim.example/v2/Users/u1","type":"User"}])
        );
        assert_eq!(g["meta"]["resourceType"], "Group");
        let g = render_group("g1", "G", None, &m, None);
        assert!(g.get("members").is_none() && g.get("externalId").is_none());
        assert_eq!(canonical_group(&g).unwrap().display_name, "G");
    }

    // ---- project ----

    fn sample() -> Value {
        let doc = canonical_user(&json!({"userName":"u@x.org","displayName":"U",
            "name":{"givenName":"A","familyName":"B"},
            "emails":[{"value":"u@x.org","type":"work","primary":true},{"value":"h@x.org","type":"home"}],
            ENTERPRISE_USER_SCHEMA: {"department":"Ops","manager":"m1"}}))
        .unwrap();
        render_user(&doc, "u1", &meta("u1"), &[], None)
    }

    #[test]
    fn project_attributes_keeps_id_and_schemas() {
        let out = project(&sample(), &strings(&["UserName", "emails"]), &[]);
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["emails", "id", "schemas", "userName"]);
        assert_eq!(out["emails"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn project_sub_attributes() {
        let out = project(&sample(), &strings(&["name.givenName", "emails.value", "EMAILS.type"]), &[]);
        assert_eq!(out["name"], json!({"givenName":"A"}));
        assert_eq!(
            out["emails"],
            json!([{"value":"u@x.org","type":"work"},{"value":"h@x.org","type":"home"}])
        );
        assert!(out.get("meta").is_none());
        let out = project(&sample(), &strings(&["meta.version"]), &[]);
        assert_eq!(out["meta"], json!({"version":"W/\"1\""}));
    }

    #[test]
    fn project_urn_qualified_names() {
        let e = ENTERPRISE_USER_SCHEMA;
        let out = project(&sample(), &strings(&[&format!("{e}:department")]), &[]);
        assert_eq!(out[e], json!({"department":"Ops"}));
        let out = project(&sample(), &strings(&[&format!("{e}:manager.value")]), &[]);
        assert_eq!(out[e], json!({"manager":{"value":"m1"}}));
        let out = project(&sample(), &strings(&[e]), &[]);
        assert_eq!(out[e]["department"], "Ops");
        let out = project(&sample(), &strings(&[&format!("{USER_SCHEMA}:userName")]), &[]);
        assert_eq!(out["userName"], "u@x.org");
        let out = project(&sample(), &[], &strings(&[e]));
        assert!(out.get(e).is_none());
        let out = project(&sample(), &[], &strings(&[&format!("{e}:department")]));
        assert!(out[e].get("department").is_none() && out[e].get("manager").is_some());
    }

    #[test]
    fn project_excluded_attributes() {
        let out = project(&sample(), &[], &strings(&["emails", "name.familyName", "id", "schemas", "META"]));
        assert!(out.get("emails").is_none() && out.get("meta").is_none());
        assert_eq!(out["name"], json!({"givenName":"A"}));
        assert_eq!(out["id"], "u1");
        assert!(out.get("schemas").is_some());
        assert_eq!(out["userName"], "u@x.org");
        let out = project(&sample(), &[], &strings(&["name.givenName", "name.familyName"]));
        assert!(out.get("name").is_none());
        let out = project(&sample(), &[], &strings(&["emails.type"]));
        assert_eq!(out["emails"][1], json!({"value":"h@x.org"}));
    }

    #[test]
    fn project_attributes_then_excluded() {
        let out = project(&sample(), &strings(&["name", "emails"]), &strings(&["name.familyName"]));
        assert_eq!(out["name"], json!({"givenName":"A"}));
        assert!(out.get("emails").is_some() && out.get("userName").is_none());
        // A whole attribute and one of its sub-attributes together: the whole wins.
        let out = project(&sample(), &strings(&["emails.value", "emails"]), &[]);
        assert_eq!(out["emails"], sample()["emails"]);
        let out = project(&sample(), &strings(&["emails", "emails.value"]), &[]);
        assert_eq!(out["emails"], sample()["emails"]);
    }

    #[test]
    fn project_unknown_names_are_harmless() {
        let out = project(&sample(), &strings(&["nope", "urn:x:y", "", "name.nope"]), &strings(&["zzz"]));
        assert_eq!(out.as_object().unwrap().len(), 2);
        assert_eq!(project(&sample(), &[], &[]), sample());
    }

    #[test]
    fn project_group_members() {
        let m = meta("g1");
        let members = [MemberRef { value: "u1".into(), display: None, location: "l".into() }];
        let g = render_group("g1", "G", None, &m, Some(&members));
        let out = project(&g, &[], &strings(&["members"]));
        assert!(out.get("members").is_none() && out["displayName"] == "G");
        let out = project(&g, &strings(&["displayName"]), &[]);
        assert_eq!(out, json!({"schemas":[GROUP_SCHEMA],"id":"g1","displayName":"G"}));
    }

    // ---- sort_key ----

    #[test]
    fn sort_keys() {
        let r = sample();
        assert_eq!(sort_key(&r, "userName").as_deref(), Some("u@x.org"));
        assert_eq!(sort_key(&r, "displayName").as_deref(), Some("u"));
        assert_eq!(sort_key(&r, "name.familyName").as_deref(), Some("b"));
        assert_eq!(sort_key(&r, "emails").as_deref(), Some("u@x.org"));
        assert_eq!(sort_key(&r, "emails.type").as_deref(), Some("work"));
        assert_eq!(sort_key(&r, "id").as_deref(), Some("u1"));
        assert_eq!(sort_key(&r, "meta.created").as_deref(), Some("2024-01-02t03:04:05z"));
        assert_eq!(sort_key(&r, &format!("{ENTERPRISE_USER_SCHEMA}:department")).as_deref(), Some("ops"));
        assert_eq!(sort_key(&r, "title"), None);
        assert_eq!(sort_key(&r, "name"), None);
        let r = render_user(&json!({"userName":"u","externalId":"AbC"}), "X1", &meta("X1"), &[], None);
        assert_eq!(sort_key(&r, "externalId").as_deref(), Some("AbC"));
        assert_eq!(sort_key(&r, "id").as_deref(), Some("X1"));
    }

    // ---- role_values ----

    #[test]
    fn role_values_okta_type_keyed() {
        let doc = json!({"roles":[{"type":"LICENSED_USER","value":"LICENSED_USER"},{"type":"SYSTEM_ADMIN","value":"SYSTEM_ADMIN"},
            {"type":"GROUP_ADMIN","value":""},{"type":"RESOURCE_VIEWER"}]});
        assert_eq!(role_values(&doc), strings(&["LICENSED_USER", "SYSTEM_ADMIN"]));
    }

    #[test]
    fn role_values_entra_shapes() {
        let doc = json!({"roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"},
            {"primary":"False","type":"WindowsAzureActiveDirectoryRole","displayName":"User","value":"User"},
            {"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Test","value":"Test"}]});
        assert_eq!(role_values(&doc), strings(&["Admin", "User", "Test"]));
        let doc = json!({"roles":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"},
            {"value":"{\"id\":\"06b07648-ecfe-599f-9d2f-6325724a46ee\",\"value\":\"LICENSED_USER\",\"displayName\":\"User\"}"}]});
        assert_eq!(role_values(&doc), strings(&["Admin", "LICENSED_USER"]));
    }

    #[test]
    fn role_values_plain_trimmed_deduplicated() {
        let doc = json!({"roles":["  LICENSED_USER ", {"value":"licensed_user"}, "", "{not json", {"value":"{\"value\":\"\"}"}, 5, null]});
        assert_eq!(role_values(&doc), strings(&["LICENSED_USER", "{not json"]));
        assert!(role_values(&json!({"userName":"u"})).is_empty());
        assert!(role_values(&json!("x")).is_empty());
    }

    // ---- emails ----

    #[test]
    fn email_values_and_primary() {
        let doc = json!({"emails":[{"value":"Home@X.org","type":"home"},{"value":"Work@X.org","type":"work"},{"value":"home@x.org"}]});
        assert_eq!(emails(&doc), strings(&["home@x.org", "work@x.org"]));
        assert_eq!(primary_email(&doc).as_deref(), Some("Work@X.org"));
        let doc = json!({"emails":[{"value":"a@x.org","type":"work"},{"value":"b@x.org","primary":true}]});
        assert_eq!(primary_email(&doc).as_deref(), Some("b@x.org"));
        let doc = json!({"emails":[{"value":"a@x.org"},{"value":"b@x.org"}]});
        assert_eq!(primary_email(&doc).as_deref(), Some("a@x.org"));
        assert_eq!(primary_email(&json!({"userName":"u"})), None);
        assert!(emails(&json!({"emails":"x"})).is_empty());
    }
}
