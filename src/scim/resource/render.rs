//! Stored state out: the SCIM User resource for a canonical document (with its groups, `meta` and
//! the seat extension) and the SCIM Group resource. Ids, times, versions and locations are passed
//! in; nothing here reads a clock or a store.

use super::json_util::bool_of;
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

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
        if super::custom::split(k).is_some_and(|(_, attr)| attr.is_none()) {
            schemas.push(json!(k));
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
