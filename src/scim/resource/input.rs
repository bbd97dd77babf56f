//! Request bodies in: a POST/PUT User body to the canonical stored document (see the module
//! documentation of `scim::resource`), a Group body to a [`GroupBody`], and the `schemas` check both
//! share.

use super::canon::{canon_attr, canon_sub, is_read_only};
use super::json_util::{describe, get_ci, json_kind};
use super::members::GroupDoc;
use crate::error::{Error, Result};
use crate::scim::schema::{self, Resolved};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

/// A validated Group body (POST or PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBody {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member user ids in request order without duplicates; `None` when `members` is absent or null.
    pub members: Option<Vec<String>>,
}

fn is_enterprise(s: &schema::SchemaDef) -> bool {
    s.id == ENTERPRISE_USER_SCHEMA
}

fn is_seat(s: &schema::SchemaDef) -> bool {
    s.id == SEAT_USER_SCHEMA
}

// ---------------------------------------------------------------------------------------------
// `schemas` checks.

/// `schemas` may be absent or null; otherwise an array of strings. Every `urn:` string must be one
/// of `allowed`; other strings (Entra's `http://schemas.microsoft.com/…/ADSCIM/2.0/Group`) are
/// accepted and ignored.
/// Custom extensions are User extensions.
fn resource_is_user(allowed: &[&str]) -> bool {
    allowed.contains(&USER_SCHEMA)
}

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
        let custom =
            resource_is_user(allowed) && super::custom::split(t).is_some_and(|(_, attr)| attr.is_none());
        if is_urn && !custom && !allowed.iter().any(|a| a.eq_ignore_ascii_case(t)) {
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
    // A custom extension (or one of its attributes) is kept as sent.
    if !nested && super::custom::split(key).is_some() {
        return super::custom::write(core, key, value, super::custom::Write::Replace);
    }
    // Attributes outside the schemas (misspellings) are ignored.
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
pub fn canonical_group(body: &[u8]) -> Result<GroupBody> {
    let obj = match serde_json::from_slice::<GroupDoc>(body)? {
        GroupDoc::Object(obj) => obj,
        GroupDoc::NotObject(kind) => {
            return Err(Error::invalid_syntax(format!(
                "a Group body must be a JSON object with at least \"displayName\", got {kind}"
            )));
        }
    };
    check_schemas(&obj.attrs, &[GROUP_SCHEMA], "Group")?;
    let mut display_name = None;
    let mut external_id = None;
    for (key, value) in &obj.attrs {
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
            // id and meta are the server's.
            _ => {}
        }
    }
    let mut members = None;
    for (key, list) in obj.members {
        if !list.is_null() {
            members = Some(list.ids(&key)?);
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
