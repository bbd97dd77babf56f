//! Stored state out: the SCIM User resource for a canonical document (with its groups, `meta` and
//! the seat extension) and the SCIM Group resource. Ids, times, versions and locations are passed
//! in; nothing here reads a clock or a store.

use super::json_util::bool_of;
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde::ser::{Serialize, SerializeMap, Serializer};
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

/// `meta` of a resource of `resource_type`, its attributes in sorted order.
struct MetaOf<'a>(&'a str, &'a Meta);

impl Serialize for MetaOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let MetaOf(resource_type, meta) = *self;
        let mut m = s.serialize_map(Some(5))?;
        m.serialize_entry("created", &meta.created)?;
        m.serialize_entry("lastModified", &meta.last_modified)?;
        m.serialize_entry("location", &meta.location)?;
        m.serialize_entry("resourceType", resource_type)?;
        m.serialize_entry("version", &meta.version)?;
        m.end()
    }
}

fn meta_json(resource_type: &str, meta: &Meta) -> Value {
    serde_json::to_value(MetaOf(resource_type, meta)).unwrap_or(Value::Null)
}

/// The full SCIM User resource for a canonical document, as a value (for filters, sort keys and
/// `attributes` projection); [`UserResource`] is its one definition.
pub fn render_user(
    doc: &Value,
    id: &str,
    meta: &Meta,
    groups: &[GroupRef],
    seat: Option<&SeatView>,
) -> Value {
    UserResource { doc, id, meta, groups, seat }.to_value()
}

/// The full SCIM User resource for a canonical document, serialized straight from the stored
/// document and the server's attributes (no copy of the document is made): `serde_json::to_writer`
/// gives the answer's text, `serde_json::to_value` the value [`render_user`] returns. Attributes are
/// written in sorted order at every level, the order a `serde_json` object keeps, so the text and the
/// value's text are the same bytes.
pub struct UserResource<'a> {
    pub doc: &'a Value,
    pub id: &'a str,
    pub meta: &'a Meta,
    pub groups: &'a [GroupRef],
    pub seat: Option<&'a SeatView>,
}

/// One attribute of a [`UserResource`].
enum Part<'a> {
    Stored(&'a Value),
    /// The enterprise extension with `manager.$ref` added.
    Made(Value),
    Bool(bool),
    Str(&'a str),
    Groups(&'a [GroupRef]),
    Meta(&'a Meta),
    Seat(&'a SeatView),
    Schemas(&'a [&'a str]),
}

struct GroupOf<'a>(&'a GroupRef);

impl Serialize for GroupOf<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let g = self.0;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("$ref", &g.location)?;
        m.serialize_entry("display", &g.display)?;
        m.serialize_entry("type", "direct")?;
        m.serialize_entry("value", &g.id)?;
        m.end()
    }
}

impl Serialize for SeatView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.admin_roles.is_empty() {
            m.serialize_entry("adminRoles", &self.admin_roles)?;
        }
        m.serialize_entry("managedByDirectory", &self.managed_by_directory)?;
        if let Some(p) = &self.provisional_until {
            m.serialize_entry("provisionalUntil", p)?;
        }
        if let Some(t) = &self.seat_type {
            m.serialize_entry("seatType", t)?;
        }
        m.serialize_entry("status", &self.status)?;
        m.end()
    }
}

impl Serialize for Part<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::Stored(v) => v.serialize(s),
            Part::Made(v) => v.serialize(s),
            Part::Bool(b) => s.serialize_bool(*b),
            Part::Str(t) => s.serialize_str(t),
            Part::Groups(gs) => s.collect_seq(gs.iter().map(GroupOf)),
            Part::Meta(meta) => MetaOf("User", meta).serialize(s),
            Part::Seat(seat) => seat.serialize(s),
            Part::Schemas(list) => s.collect_seq(list.iter()),
        }
    }
}

impl Serialize for UserResource<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_members(s, &|_| true)
    }
}

/// The members of a [`UserResource`] that `keep` accepts.
struct Kept<'r, 'a, F>(&'r UserResource<'a>, F);

impl<F: Fn(&str) -> bool> Serialize for Kept<'_, '_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_members(s, &self.1)
    }
}

impl UserResource<'_> {
    /// The resource as a value.
    pub fn to_value(&self) -> Value {
        // Every key is a string, so this cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The resource's JSON text, appended to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(out, self);
    }

    /// Only the top-level members `keep` accepts, as a value: what a filter reads (see
    /// `Filter::reads_key`), without a copy of the rest.
    pub fn to_value_of(&self, keep: impl Fn(&str) -> bool) -> Value {
        // Every key is a string, so this cannot fail.
        serde_json::to_value(Kept(self, keep)).unwrap_or(Value::Null)
    }

    fn serialize_members<S: Serializer>(&self, s: S, keep: &dyn Fn(&str) -> bool) -> Result<S::Ok, S::Error> {
        let empty = Map::new();
        let src = self.doc.as_object().unwrap_or(&empty);
        let mut parts: Vec<(&str, Part<'_>)> = Vec::with_capacity(src.len() + 6);
        let mut schemas: Vec<&str> = Vec::with_capacity(3);
        schemas.push(USER_SCHEMA);
        for (k, v) in src {
            if k == ENTERPRISE_USER_SCHEMA {
                let Value::Object(e) = v else { continue };
                if e.is_empty() {
                    continue;
                }
                schemas.push(ENTERPRISE_USER_SCHEMA);
                if !keep(k) {
                    continue;
                }
                let base = self.meta.location.strip_suffix(self.id).filter(|b| b.ends_with('/'));
                let manager = e.get("manager").and_then(|m| m.get("value")).and_then(Value::as_str);
                let part = match (manager, base) {
                    (Some(mid), Some(base)) => {
                        let mut e = e.clone();
                        if let Some(Value::Object(m)) = e.get_mut("manager") {
                            m.insert("$ref".into(), Value::String(format!("{base}{mid}")));
                        }
                        Part::Made(Value::Object(e))
                    }
                    _ => Part::Stored(v),
                };
                parts.push((k, part));
                continue;
            }
            // Never echo what the server owns or never keeps, even if a document somehow holds it;
            // `active` is written below, as a boolean.
            let reserved = ["id", "meta", "groups", "password", "schemas", SEAT_USER_SCHEMA];
            if k == "active" || reserved.iter().any(|r| r.eq_ignore_ascii_case(k)) {
                continue;
            }
            if super::custom::split(k).is_some_and(|(_, attr)| attr.is_none()) {
                schemas.push(k);
            }
            parts.push((k, Part::Stored(v)));
        }
        let active = src.get("active").and_then(bool_of).unwrap_or(true);
        parts.push(("active", Part::Bool(active)));
        parts.push(("id", Part::Str(self.id)));
        if !self.groups.is_empty() {
            parts.push(("groups", Part::Groups(self.groups)));
        }
        parts.push(("meta", Part::Meta(self.meta)));
        if let Some(seat) = self.seat {
            parts.push((SEAT_USER_SCHEMA, Part::Seat(seat)));
            schemas.push(SEAT_USER_SCHEMA);
        }
        parts.push(("schemas", Part::Schemas(&schemas)));
        parts.retain(|(k, _)| keep(k));
        parts.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut m = s.serialize_map(Some(parts.len()))?;
        for (k, part) in &parts {
            m.serialize_entry(k, part)?;
        }
        m.end()
    }
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
        let _ = serde_json::to_writer(&mut *self.out, &MetaOf("Group", meta));
        self.out.extend_from_slice(b",\"schemas\":[");
        put_str(self.out, GROUP_SCHEMA);
        self.out.extend_from_slice(b"]}");
    }
}
