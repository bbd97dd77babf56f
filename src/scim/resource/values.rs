//! The values other layers read from a User document: role values in every client shape, email
//! addresses (the keys of the email index) and the primary one, and the profile fields the admin
//! pages and exports show ([`UserProfile`]), so that no other layer needs to know SCIM paths.

use super::json_util::{bool_of, get_ci};
use crate::scim::ENTERPRISE_USER_SCHEMA;
use serde_json::{Map, Value};
use std::collections::HashSet;

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

/// The profile fields of a user, as strings, each `None` when the document has no string there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserProfile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub formatted_name: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
    pub title: Option<String>,
}

/// The profile of a canonical User document (the output of [`super::canonical_user`], whose keys have
/// their canonical names): `name.givenName`, `name.familyName`, `name.formatted` and `title` from the
/// core schema; `division`, `department` and `costCenter` from the enterprise extension. Values
/// are taken as stored (an empty string stays `Some("")`); a value that is not a string is `None`.
pub fn user_profile(doc: &Value) -> UserProfile {
    let text = |path: &[&str]| {
        path.iter().try_fold(doc, |v, key| v.get(key)).and_then(Value::as_str).map(str::to_string)
    };
    let ent = ENTERPRISE_USER_SCHEMA;
    UserProfile {
        given_name: text(&["name", "givenName"]),
        family_name: text(&["name", "familyName"]),
        formatted_name: text(&["name", "formatted"]),
        division: text(&[ent, "division"]),
        department: text(&[ent, "department"]),
        cost_center: text(&[ent, "costCenter"]),
        title: text(&["title"]),
    }
}

impl UserProfile {
    /// "Given Family" (either alone when the other is missing), or `None` when neither is known.
    pub fn full_name(&self) -> Option<String> {
        let parts: Vec<&str> =
            [self.given_name.as_deref(), self.family_name.as_deref()].into_iter().flatten().collect();
        let name = parts.join(" ");
        (!name.trim().is_empty()).then(|| name.trim().to_string())
    }
}

/// The keys of a canonical User document that the store indexes beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserKeys {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub primary_email: Option<String>,
}

/// The indexed keys of a canonical User document.
pub fn user_keys(doc: &Value) -> UserKeys {
    let text = |k: &str| doc.get(k).and_then(Value::as_str).map(str::to_string);
    UserKeys {
        user_name: text("userName").unwrap_or_default(),
        external_id: text("externalId"),
        display_name: text("displayName"),
        primary_email: primary_email(doc),
    }
}

/// Whether the document asks for an active user (`active` absent means active).
pub fn is_active(doc: &Value) -> bool {
    doc.get("active").and_then(Value::as_bool).unwrap_or(true)
}

/// Keeps the document's `active` in step with the user's status.
pub fn set_active(doc: &mut Value, active: bool) {
    if let Some(obj) = doc.as_object_mut() {
        obj.insert("active".into(), Value::Bool(active));
    }
}

/// The document of a guest: an address and, when given, a display name.
pub fn guest_document(email: &str, display_name: Option<&str>) -> Value {
    let mut doc = serde_json::json!({ "userName": email, "emails": [{ "value": email, "primary": true }] });
    if let Some(d) = display_name {
        doc["displayName"] = Value::from(d);
    }
    doc
}

/// The profile of a plan user an administrator adds (or imports), before any IdP provisions it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanUserFields {
    pub user_name: String,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
}

/// The canonical User document of a plan user: what an IdP's GET shows and its first write edits.
pub fn plan_user_document(f: &PlanUserFields) -> Value {
    let mut doc = serde_json::json!({ "userName": f.user_name });
    if let Some(d) = &f.display_name {
        doc["displayName"] = Value::from(d.clone());
    }
    let name: serde_json::Map<String, Value> = [("givenName", &f.given_name), ("familyName", &f.family_name)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), Value::from(v.clone()))))
        .collect();
    if !name.is_empty() {
        doc["name"] = Value::Object(name);
    }
    if let Some(email) = &f.email {
        doc["emails"] = serde_json::json!([{ "value": email, "type": "work", "primary": true }]);
    }
    let ent: serde_json::Map<String, Value> =
        [("division", &f.division), ("department", &f.department), ("costCenter", &f.cost_center)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_string(), Value::from(v.clone()))))
            .collect();
    if !ent.is_empty() {
        doc[ENTERPRISE_USER_SCHEMA] = Value::Object(ent);
    }
    doc
}
