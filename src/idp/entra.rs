//! Microsoft Entra ID's request shapes (SPEC-idp.md section 1, default non-flag PATCH form): the
//! Test Connection query for a random GUID, `userName eq` matching with `+`-encoded queries, the
//! create body with the enterprise extension and `WindowsAzureActiveDirectoryRole` roles, one PATCH
//! per user with a `Replace` (or `Remove`) per changed attribute and string booleans (`"False"`),
//! role changes as AppRoleAssignmentsComplex `Add`/`Remove` of JSON-text values, DELETE only for a
//! user the directory marks deleted, and groups created empty (with the ADSCIM schema string) whose
//! members change by `Add`/`Remove` PATCHes.

use super::client::{Method, Request, Space, eq_filter, query_value, segment};
use super::model::{Delta, Field, Role, Wanted};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, PATCH_OP, USER_SCHEMA};
use serde_json::{Map, Value, json};

const ROLE_TYPE: &str = "WindowsAzureActiveDirectoryRole";
const ADSCIM_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

pub const HEADERS: [(&str, &str); 2] = [("Accept", "application/scim+json"), ("ADSCIMVersion", "6.0")];

/// Test Connection: a query for a user that cannot exist, answered 200 with an empty list.
pub fn probe(guid: &str) -> Request {
    find_user(guid)
}

pub fn find_user(user_name: &str) -> Request {
    Request::get(format!("/Users?filter={}", query_value(&eq_filter("userName", user_name), Space::Plus)))
}

/// The create body (SPEC-idp.md 1.4, roles as 1.5): attributes empty at the source are left out.
/// Returns the roles as the target will keep them.
pub fn create_user(w: &Wanted) -> (Request, Vec<Role>) {
    let mut body = json!({
        "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName": w.user_name,
        "active": true,
        "meta": {"resourceType": "User"},
    });
    let mut name = Map::new();
    if let (Some(g), Some(f)) = (w.get(Field::GivenName), w.get(Field::FamilyName)) {
        name.insert("formatted".into(), json!(format!("{g} {f}")));
    }
    for (f, key) in [(Field::FamilyName, "familyName"), (Field::GivenName, "givenName")] {
        if let Some(v) = w.get(f) {
            name.insert(key.into(), json!(v));
        }
    }
    if !name.is_empty() {
        body["name"] = Value::Object(name);
    }
    if let Some(d) = w.get(Field::DisplayName) {
        body["displayName"] = json!(d);
    }
    if let Some(e) = w.get(Field::Email) {
        body["emails"] = json!([{"primary": true, "type": "work", "value": e}]);
    }
    let ent: Map<String, Value> = w
        .fields
        .iter()
        .filter(|(f, _)| f.is_enterprise())
        .map(|(f, v)| (f.key().to_string(), json!(v)))
        .collect();
    if !ent.is_empty() {
        body[ENTERPRISE_USER_SCHEMA] = Value::Object(ent);
    }
    let roles: Vec<Value> = w
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| {
            json!({"primary": if i == 0 { "True" } else { "False" }, "type": ROLE_TYPE, "display": role_display(r), "value": r})
        })
        .collect();
    body["roles"] = Value::Array(roles);
    (Request::with(Method::Post, "/Users".into(), body), w.roles.iter().map(|r| Role::plain(r)).collect())
}

/// The path of an attribute in a PATCH.
fn path(f: Field) -> String {
    match f {
        Field::GivenName => "name.givenName".into(),
        Field::FamilyName => "name.familyName".into(),
        Field::DisplayName => "displayName".into(),
        Field::Email => "emails[type eq \"work\"].value".into(),
        Field::Department | Field::Division | Field::CostCenter => {
            format!("{ENTERPRISE_USER_SCHEMA}:{}", f.key())
        }
    }
}

/// One PATCH with every change of `delta`; returns the roles it adds as the target will keep them.
pub fn update_user(id: &str, delta: &Delta) -> (Request, Vec<Role>) {
    let mut ops = Vec::new();
    if let Some(active) = delta.active {
        ops.push(json!({"op": "Replace", "path": "active", "value": if active { "True" } else { "False" }}));
    }
    for (f, v) in &delta.set {
        ops.push(json!({"op": "Replace", "path": path(*f), "value": v}));
    }
    for f in &delta.clear {
        ops.push(json!({"op": "Remove", "path": path(*f)}));
    }
    let added: Vec<Role> =
        delta.add_roles.iter().map(|r| Role { value: r.clone(), text: role_assignment(r) }).collect();
    if !added.is_empty() {
        let value: Vec<Value> = added.iter().map(|r| json!({"value": r.text})).collect();
        ops.push(json!({"op": "Add", "path": "roles", "value": value}));
    }
    if !delta.remove_roles.is_empty() {
        let value: Vec<Value> = delta.remove_roles.iter().map(|r| json!({"value": r.text})).collect();
        ops.push(json!({"op": "Remove", "path": "roles", "value": value}));
    }
    (patch(&format!("/Users/{}", segment(id)), ops), added)
}

pub fn delete_user(id: &str) -> Request {
    Request { method: Method::Delete, path: format!("/Users/{}", segment(id)), body: None }
}

pub fn find_group(name: &str) -> Request {
    Request::get(format!(
        "/Groups?excludedAttributes=members&filter={}",
        query_value(&eq_filter("displayName", name), Space::Plus)
    ))
}

pub fn create_group(name: &str) -> Request {
    let body = json!({
        "schemas": [GROUP_SCHEMA, ADSCIM_GROUP],
        "externalId": stable_guid("group", name),
        "displayName": name,
        "meta": {"resourceType": "Group"},
    });
    Request::with(Method::Post, "/Groups".into(), body)
}

pub fn rename_group(id: &str, name: &str) -> Request {
    patch(
        &format!("/Groups/{}", segment(id)),
        vec![json!({"op": "Replace", "path": "displayName", "value": name})],
    )
}

/// `Add` (or `Remove`) of these member ids, in one PATCH.
pub fn change_members(id: &str, add: bool, member_ids: &[&str]) -> Request {
    let value: Vec<Value> = member_ids.iter().map(|m| json!({"value": m})).collect();
    let op = if add { "Add" } else { "Remove" };
    patch(&format!("/Groups/{}", segment(id)), vec![json!({"op": op, "path": "members", "value": value})])
}

fn patch(path: &str, ops: Vec<Value>) -> Request {
    Request::with(Method::Patch, path.to_string(), json!({"schemas": [PATCH_OP], "Operations": ops}))
}

/// An app role's display name from its value: `LICENSED_USER` -> `Licensed User`.
fn role_display(value: &str) -> String {
    value
        .split(['_', ' '])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_lowercase();
            let mut c = lower.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON text an AppRoleAssignmentsComplex PATCH puts in a role's `value`.
fn role_assignment(value: &str) -> String {
    json!({"id": stable_guid("role", value), "value": value, "displayName": role_display(value)}).to_string()
}

/// A GUID-shaped id that is the same for the same name (an app role's or a group's object id).
fn stable_guid(kind: &str, name: &str) -> String {
    let h = crate::util::hex(&crate::util::sha256(
        format!("{kind}:{}", crate::base::text::fold_case(name)).as_bytes(),
    ));
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idp::directory::DirUser;

    #[test]
    fn create_and_patch_have_entra_shapes() {
        let w = Wanted::of(&DirUser {
            user_name: "ada@example.com".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            department: "Sales".into(),
            active: true,
            roles: vec!["LICENSED_USER".into(), "GROUP_ADMIN".into()],
            ..DirUser::default()
        });
        let (req, roles) = create_user(&w);
        let b = req.body.unwrap();
        assert_eq!(
            b["roles"][0],
            json!({"primary": "True", "type": ROLE_TYPE, "display": "Licensed User", "value": "LICENSED_USER"})
        );
        assert_eq!(b["roles"][1]["primary"], "False");
        assert_eq!(b["name"]["formatted"], "Ada Lovelace");
        assert_eq!(b[ENTERPRISE_USER_SCHEMA]["department"], "Sales");
        assert!(b.get("emails").is_none(), "empty at the source: left out");
        assert_eq!(roles[1], Role::plain("GROUP_ADMIN"));
        let d = Delta {
            active: Some(false),
            set: vec![(Field::Department, "Ops".into())],
            clear: vec![Field::Email],
            add_roles: vec!["RESOURCE_VIEWER".into()],
            remove_roles: vec![Role::plain("LICENSED_USER")],
        };
        let (req, added) = update_user("a/b", &d);
        assert_eq!(req.path, "/Users/a%2Fb");
        let ops = req.body.unwrap()["Operations"].clone();
        assert_eq!(ops[0], json!({"op": "Replace", "path": "active", "value": "False"}));
        assert_eq!(ops[1]["path"], format!("{ENTERPRISE_USER_SCHEMA}:department"));
        assert_eq!(ops[2], json!({"op": "Remove", "path": "emails[type eq \"work\"].value"}));
        let inner: Value = serde_json::from_str(ops[3]["value"][0]["value"].as_str().unwrap()).unwrap();
        assert_eq!(inner["value"], "RESOURCE_VIEWER");
        assert_eq!(inner["displayName"], "Resource Viewer");
        assert_eq!(added[0].text, ops[3]["value"][0]["value"].as_str().unwrap());
        assert_eq!(ops[4], json!({"op": "Remove", "path": "roles", "value": [{"value": "LICENSED_USER"}]}));
        assert_eq!(stable_guid("role", "x"), stable_guid("role", "X"));
    }
}
