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

/// The SCIM Group resource written straight to JSON text, a member at a time, as [`render_group`]
/// renders it (the same attributes in the same order): a group of 100,000 members costs its text,
/// not a value per member. `start` writes the attributes before `members`, [`GroupWriter::member`]
/// each member, [`GroupWriter::finish`] the rest.
pub struct GroupWriter<'a> {
    out: &'a mut Vec<u8>,
    members: usize,
}

/// A string as a JSON string literal (quoted and escaped).
fn put_str(out: &mut Vec<u8>, s: &str) {
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

impl<'a> GroupWriter<'a> {
    pub fn start(out: &'a mut Vec<u8>, id: &str, display_name: &str, external_id: Option<&str>) -> Self {
        out.extend_from_slice(b"{\"displayName\":");
        put_str(out, display_name);
        if let Some(x) = external_id {
            out.extend_from_slice(b",\"externalId\":");
            put_str(out, x);
        }
        out.extend_from_slice(b",\"id\":");
        put_str(out, id);
        GroupWriter { out, members: 0 }
    }

    pub fn member(&mut self, value: &str, display: Option<&str>, location: &str) {
        self.out.extend_from_slice(if self.members == 0 {
            b",\"members\":[{\"$ref\":"
        } else {
            b",{\"$ref\":"
        });
        put_str(self.out, location);
        if let Some(d) = display {
            self.out.extend_from_slice(b",\"display\":");
            put_str(self.out, d);
        }
        self.out.extend_from_slice(b",\"type\":\"User\",\"value\":");
        put_str(self.out, value);
        self.out.push(b'}');
        self.members += 1;
    }

    pub fn finish(self, meta: &Meta) {
        if self.members > 0 {
            self.out.push(b']');
        }
        self.out.extend_from_slice(b",\"meta\":");
        let _ = serde_json::to_writer(&mut *self.out, &meta_json("Group", meta));
        self.out.extend_from_slice(b",\"schemas\":[");
        put_str(self.out, GROUP_SCHEMA);
        self.out.extend_from_slice(b"]}");
    }
}
