//! Okta's request shapes (SPEC-idp.md section 2, the OIN/OIW integration): `Okta SCIM Client 1.0.0`
//! headers, Test API Credentials (`GET /Users?startIndex=1&count=2`), matching by a `%20`-encoded
//! `userName eq` filter with `startIndex=1&count=100`, the create body with `groups: []` and roles
//! keyed by `type` (`{"type":"LICENSED_USER","value":"LICENSED_USER"}`), profile updates as GET
//! then PUT of the whole user, activation and deactivation by a path-less `replace` of `active`
//! (Okta never deletes a user), and Group Push: a group created empty, then a full push of its
//! members (`replace` of `members`, with the path-less rename Okta sends along).

use super::client::{Method, Request, Space, eq_filter, query_value, segment};
use super::model::{Delta, Field, Role, Wanted};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

pub const HEADERS: [(&str, &str); 3] = [
    ("User-Agent", "Okta SCIM Client 1.0.0"),
    ("Accept", "application/scim+json"),
    ("Accept-Charset", "utf-8"),
];

/// Test API Credentials.
pub fn probe() -> Request {
    Request::get("/Users?startIndex=1&count=2".into())
}

/// One page of Okta's import: every user, `count` at a time from `start` (1-based).
pub fn list_users(start: usize, count: usize) -> Request {
    Request::get(format!("/Users?startIndex={start}&count={count}"))
}

pub fn find_user(user_name: &str) -> Request {
    Request::get(format!(
        "/Users?filter={}&startIndex=1&count=100",
        query_value(&eq_filter("userName", user_name), Space::Percent)
    ))
}

/// The create body (SPEC-idp.md 2.4, roles as section 3). Returns the roles as sent.
pub fn create_user(w: &Wanted) -> (Request, Vec<Role>) {
    let mut body = Map::new();
    body.insert("userName".into(), json!(w.user_name));
    set_profile(&mut body, w, &[]);
    body.insert("active".into(), json!(true));
    body.insert("groups".into(), json!([]));
    set_roles(&mut body, w);
    set_schemas(&mut body);
    (Request::with(Method::Post, "/Users".into(), Value::Object(body)), plain_roles(w))
}

/// Activation or deactivation (OIN/OIW: PATCH, a path-less replace).
pub fn set_active(id: &str, active: bool) -> Request {
    patch(&format!("/Users/{}", segment(id)), vec![json!({"op": "replace", "value": {"active": active}})])
}

pub fn get_user(id: &str) -> Request {
    Request::get(format!("/Users/{}", segment(id)))
}

/// The PUT after the GET: what the target returned, with Okta's mapped attributes set from the
/// directory (and those it sent before but the directory now leaves empty removed). Returns the
/// request and the roles as sent.
pub fn put_user(id: &str, fetched: &Value, w: &Wanted, delta: &Delta) -> (Request, Vec<Role>) {
    let mut body = fetched.as_object().cloned().unwrap_or_default();
    // What the server owns is not sent back, as Okta's own PUT shows (SPEC-idp.md 2.5).
    for key in ["meta", "groups", SEAT_USER_SCHEMA] {
        let found: Vec<String> = body.keys().filter(|k| k.eq_ignore_ascii_case(key)).cloned().collect();
        for k in found {
            body.remove(&k);
        }
    }
    body.insert("id".into(), json!(id));
    body.insert("userName".into(), json!(w.user_name));
    set_profile(&mut body, w, &delta.clear);
    body.insert("active".into(), json!(w.active));
    body.insert("groups".into(), json!([]));
    body.insert("meta".into(), json!({"resourceType": "User"}));
    set_roles(&mut body, w);
    set_schemas(&mut body);
    (Request::with(Method::Put, format!("/Users/{}", segment(id)), Value::Object(body)), plain_roles(w))
}

fn plain_roles(w: &Wanted) -> Vec<Role> {
    w.roles.iter().map(|r| Role::plain(r)).collect()
}

/// The key of `obj` equal to `key` ignoring case, or `key` itself.
fn key_in(obj: &Map<String, Value>, key: &str) -> String {
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned().unwrap_or_else(|| key.to_string())
}

/// Takes the object-valued member `key` (any case) out of `obj`; empty when missing or not an object.
fn take_object(obj: &mut Map<String, Value>, key: &str) -> Map<String, Value> {
    match obj.remove(&key_in(obj, key)) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn set_profile(body: &mut Map<String, Value>, w: &Wanted, clear: &[Field]) {
    let mut name = take_object(body, "name");
    let mut enterprise = take_object(body, ENTERPRISE_USER_SCHEMA);
    for f in Field::ALL {
        let value = match (f, w.get(f)) {
            (_, None) if !clear.contains(&f) => continue,
            (Field::Email, Some(e)) => Some(json!([{"primary": true, "value": e, "type": "work"}])),
            (_, v) => v.map(|v| json!(v)),
        };
        let (target, key) = match f {
            Field::GivenName => (&mut name, "givenName"),
            Field::FamilyName => (&mut name, "familyName"),
            Field::DisplayName => (&mut *body, "displayName"),
            Field::Email => (&mut *body, "emails"),
            Field::Department | Field::Division | Field::CostCenter => (&mut enterprise, f.key()),
        };
        let k = key_in(target, key);
        match value {
            Some(v) => target.insert(k, v),
            None => target.remove(&k),
        };
    }
    if !name.is_empty() {
        body.insert("name".into(), Value::Object(name));
    }
    if !enterprise.is_empty() {
        body.insert(ENTERPRISE_USER_SCHEMA.into(), Value::Object(enterprise));
    }
}

fn set_roles(body: &mut Map<String, Value>, w: &Wanted) {
    let roles: Vec<Value> = w.roles.iter().map(|r| json!({"type": r, "value": r})).collect();
    let k = key_in(body, "roles");
    body.insert(k, Value::Array(roles));
}

/// `schemas` lists the core schema and, when the body has it, the enterprise extension.
fn set_schemas(body: &mut Map<String, Value>) {
    let k = key_in(body, "schemas");
    let mut schemas: Vec<Value> = match body.remove(&k) {
        Some(Value::Array(list)) => list
            .into_iter()
            .filter(|s| s.as_str().is_some_and(|s| !s.eq_ignore_ascii_case(SEAT_USER_SCHEMA)))
            .collect(),
        _ => Vec::new(),
    };
    let has = |list: &[Value], urn: &str| {
        list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
    };
    if !has(&schemas, USER_SCHEMA) {
        schemas.insert(0, json!(USER_SCHEMA));
    }
    if body.contains_key(&key_in(body, ENTERPRISE_USER_SCHEMA)) && !has(&schemas, ENTERPRISE_USER_SCHEMA) {
        schemas.push(json!(ENTERPRISE_USER_SCHEMA));
    }
    body.insert("schemas".into(), Value::Array(schemas));
}

/// AIW's lookup before a push.
pub fn find_group(name: &str) -> Request {
    Request::get(format!(
        "/Groups?filter={}&startIndex=1&count=100",
        query_value(&eq_filter("displayName", name), Space::Percent)
    ))
}

pub fn create_group(name: &str) -> Request {
    Request::with(
        Method::Post,
        "/Groups".into(),
        json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": []}),
    )
}

/// A full push: the rename Okta re-sends with every membership update, and every member.
pub fn push_members(id: &str, name: &str, members: &[(&str, &str)]) -> Request {
    let value: Vec<Value> =
        members.iter().map(|(m, display)| json!({"value": m, "display": display})).collect();
    patch(
        &format!("/Groups/{}", segment(id)),
        vec![
            json!({"op": "replace", "value": {"id": id, "displayName": name}}),
            json!({"op": "replace", "path": "members", "value": value}),
        ],
    )
}

/// For a group too large for one push: members added, or removed one by one (the OIN form).
pub fn change_members(id: &str, add: bool, members: &[(&str, &str)]) -> Request {
    let ops = if add {
        let value: Vec<Value> =
            members.iter().map(|(m, display)| json!({"value": m, "display": display})).collect();
        vec![json!({"op": "add", "path": "members", "value": value})]
    } else {
        members
            .iter()
            .map(|(m, _)| json!({"op": "remove", "path": format!("members[{}]", eq_filter("value", m))}))
            .collect()
    };
    patch(&format!("/Groups/{}", segment(id)), ops)
}

fn patch(path: &str, ops: Vec<Value>) -> Request {
    Request::with(Method::Patch, path.to_string(), json!({"schemas": [PATCH_OP], "Operations": ops}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::directory::DirUser;

    fn ada(roles: &[&str], department: &str) -> Wanted {
        Wanted::of(&DirUser {
            user_name: "ada@example.com".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            department: department.into(),
            active: true,
            roles: roles.iter().map(|s| s.to_string()).collect(),
            ..DirUser::default()
        })
    }

    #[test]
    fn create_put_and_push_have_okta_shapes() {
        let (req, _) = create_user(&ada(&["LICENSED_USER"], ""));
        let b = req.body.unwrap();
        assert_eq!(b["roles"], json!([{"type": "LICENSED_USER", "value": "LICENSED_USER"}]));
        assert_eq!(b["groups"], json!([]));
        assert_eq!(b["schemas"], json!([USER_SCHEMA]));
        assert_eq!(b["emails"], json!([{"primary": true, "value": "ada@example.com", "type": "work"}]));
        let fetched = json!({"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA], "id": "u1",
            "userName": "ada@example.com", "title": "kept", "name": {"givenName": "Old", "middleName": "M"},
            ENTERPRISE_USER_SCHEMA: {"department": "Sales", "employeeNumber": "7"},
            SEAT_USER_SCHEMA: {"seatType": "member"}, "meta": {"version": "W/\"3\""}, "groups": [{"value": "g"}]});
        let w = ada(&[], "");
        let delta = Delta { clear: vec![Field::Department], ..Delta::default() };
        let (req, _) = put_user("u1", &fetched, &w, &delta);
        let b = req.body.unwrap();
        assert_eq!(req.method, Method::Put);
        assert_eq!(b["title"], "kept");
        assert_eq!(b["name"], json!({"givenName": "Ada", "middleName": "M", "familyName": "Lovelace"}));
        assert_eq!(b[ENTERPRISE_USER_SCHEMA], json!({"employeeNumber": "7"}));
        assert!(b.get(SEAT_USER_SCHEMA).is_none());
        assert_eq!(b["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        assert_eq!(
            (b["meta"].clone(), b["groups"].clone(), b["roles"].clone()),
            (json!({"resourceType": "User"}), json!([]), json!([]))
        );
        let push = push_members("g1", "Sales", &[("u1", "ada@example.com")]).body.unwrap();
        assert_eq!(
            push["Operations"][0],
            json!({"op": "replace", "value": {"id": "g1", "displayName": "Sales"}})
        );
        assert_eq!(push["Operations"][1]["value"][0], json!({"value": "u1", "display": "ada@example.com"}));
        let rm = change_members("g1", false, &[("u1", "ada@example.com")]).body.unwrap();
        assert_eq!(rm["Operations"][0], json!({"op": "remove", "path": "members[value eq \"u1\"]"}));
    }
}
