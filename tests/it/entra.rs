//! Microsoft Entra ID's provisioning traffic (shared/SPEC-idp.md section 1), replayed request by
//! request against the real binary. Every answer is checked the way the provisioning service reads
//! it: status, body fields and the `application/scim+json` media type. The bodies are Entra's own
//! shapes, with userNames moved onto the lab's validated domain `example.com`.

use crate::harness::{
    ENTERPRISE_URN, GROUP_URN, Resp, SEAT_URN, Server, USER_URN, auth, expect_list, expect_scim,
    expect_scim_error, patch_ops, query_escape,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ADSCIM_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const AZURE_ROLE: &str = "WindowsAzureActiveDirectoryRole";

/// The create body of SPEC-idp.md 1.4.
fn entra_user(user_name: &str, external_id: &str, work_email: &str) -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": work_email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    })
}

fn create_user(s: &Server, body: &Value) -> Value {
    expect_scim(&s.scim("POST", "/Users", Some(body)), 201)
}

/// A user with only a userName; returns its id.
fn plain_user(s: &Server, user_name: &str) -> String {
    let u = create_user(s, &json!({"schemas": [USER_URN], "userName": user_name, "active": true}));
    u["id"].as_str().unwrap().to_string()
}

fn get_user(s: &Server, id: &str) -> Value {
    expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)
}

fn patch_user(s: &Server, id: &str, ops: Value) -> Value {
    expect_scim(&s.scim("PATCH", &format!("/Users/{id}"), Some(&patch_ops(ops))), 200)
}

fn patch_group(s: &Server, id: &str, ops: Value) -> Resp {
    s.scim("PATCH", &format!("/Groups/{id}"), Some(&patch_ops(ops)))
}

/// `GET /Users?filter=…` with the filter `%`-encoded; returns the ids found (checking the counters).
fn find_users(s: &Server, filter: &str) -> Vec<String> {
    ids_of(s, &format!("/Users?filter={}", query_escape(filter)))
}

/// A list request sent exactly as written; returns the ids of the resources found.
fn ids_of(s: &Server, path: &str) -> Vec<String> {
    let (total, resources) = expect_list(&s.scim("GET", path, None));
    assert_eq!(total as usize, resources.len(), "{path}");
    resources.iter().map(|r| r["id"].as_str().unwrap().to_string()).collect()
}

fn member_ids(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(|e| e["value"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn members_of(s: &Server, gid: &str) -> BTreeSet<String> {
    member_ids(&expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200))
}

fn set_of(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn work_emails(user: &Value) -> Vec<String> {
    user["emails"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter(|x| x["type"] == "work")
                .map(|x| x["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// An Entra group create body (SPEC-idp.md 1.8), with the ADSCIM schema string that is not a URN.
fn entra_group(display_name: &str) -> Value {
    json!({
        "schemas": [GROUP_URN, ADSCIM_GROUP],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": display_name,
        "meta": {"resourceType": "Group"}
    })
}

fn create_group(s: &Server, display_name: &str) -> String {
    let g = expect_scim(&s.scim("POST", "/Groups", Some(&entra_group(display_name))), 201);
    g["id"].as_str().unwrap().to_string()
}

#[test]
fn test_connection_probe_with_plus_encoded_filter_is_an_empty_list_response() {
    let s = Server::start_contoso();
    let r = s.scim("GET", "/Users?filter=userName+eq+%22cf4d78e8-cc4f-4d5d-b8b9-183561c0104a%22", None);
    let v = expect_scim(&r, 200);
    assert_eq!(v["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    assert_eq!(v["totalResults"], json!(0));
    assert_eq!(v["startIndex"], json!(1));
    assert!(v["itemsPerPage"].is_u64(), "{v}");
    assert_eq!(v["Resources"], json!([]), "Entra expects an empty Resources array: {v}");
    // The group probe answers the same way.
    let r = s.scim(
        "GET",
        "/Groups?excludedAttributes=members&filter=displayName+eq+%22cf4d78e8-cc4f-4d5d-b8b9-183561c0104a%22",
        None,
    );
    assert_eq!(expect_list(&r).0, 0);
    // The `+` really is a space: the same query shape finds a user that exists.
    let id = plain_user(&s, "probe.user@example.com");
    assert_eq!(ids_of(&s, "/Users?filter=userName+eq+%22probe.user%40example.com%22"), vec![id]);
}

#[test]
fn matching_by_user_name_external_id_and_work_email_finds_exactly_the_user() {
    let s = Server::start_contoso();
    let other = create_user(&s, &entra_user("jane.roe@example.com", "janeroe", "jane.roe@contoso.com"));
    let u = create_user(&s, &entra_user("John.Wong@example.com", "johnwong", "john.wong@contoso.com"));
    let id = u["id"].as_str().unwrap().to_string();
    assert_ne!(other["id"], u["id"]);
    let want = vec![id.clone()];
    assert_eq!(find_users(&s, r#"userName eq "John.Wong@example.com""#), want);
    // userName matching ignores case, as the uniqueness rule does.
    assert_eq!(find_users(&s, r#"userName eq "john.wong@EXAMPLE.com""#), want);
    assert_eq!(ids_of(&s, "/Users?filter=externalId+eq+%22johnwong%22"), want);
    // Microsoft's own sample leaves the quotes out.
    assert_eq!(ids_of(&s, "/Users?filter=externalId+eq+johnwong"), want);
    assert_eq!(find_users(&s, r#"emails[type eq "work"].value eq "john.wong@contoso.com""#), want);
    // Misses are 200 with nothing in them, never 404.
    assert!(find_users(&s, r#"externalId eq "nobody""#).is_empty());
    assert!(find_users(&s, r#"emails[type eq "work"].value eq "nobody@contoso.com""#).is_empty());
    assert!(find_users(&s, r#"userName eq "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee""#).is_empty());
}

#[test]
fn create_with_the_documented_body_returns_201_and_get_returns_the_same_resource() {
    let s = Server::start_contoso();
    // The primary email is what the validated domains are checked against.
    s.validate_domain("testuser.com");
    let mut body = entra_user(
        "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee@example.com",
        "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com",
    );
    let o = body.as_object_mut().unwrap();
    o.insert("displayName".into(), json!("Test User"));
    // Explicit nulls mean "absent".
    o.insert("title".into(), Value::Null);
    o.insert("addresses".into(), Value::Null);
    o.insert("phoneNumbers".into(), Value::Null);
    o.insert("manager".into(), Value::Null);
    o.insert(
        ENTERPRISE_URN.into(),
        json!({"department": "Finance", "employeeNumber": "4711", "manager": null}),
    );
    // A custom extension whose URN is not listed in `schemas`.
    o.insert("urn:ietf:params:scim:schemas:extension:CustomApp:2.0:User".into(), json!({"costCode": "X1"}));
    let r = s.scim("POST", "/Users", Some(&body));
    let u = expect_scim(&r, 201);
    let id = u["id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert!(r.header("location").unwrap().ends_with(&format!("/Users/{id}")), "{:?}", r.header("location"));
    assert_eq!(r.header("etag"), u["meta"]["version"].as_str());
    assert_eq!(u["userName"], body["userName"]);
    assert_eq!(u["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["displayName"], "Test User");
    assert_eq!(u["name"]["givenName"], "givenName");
    assert_eq!(u["name"]["familyName"], "familyName");
    assert_eq!(u["name"]["formatted"], "givenName familyName");
    assert_eq!(work_emails(&u), vec!["Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"]);
    assert_eq!(u["emails"][0]["primary"], json!(true));
    assert_eq!(u[ENTERPRISE_URN]["department"], "Finance");
    assert_eq!(u[ENTERPRISE_URN]["employeeNumber"], "4711");
    let schemas = u["schemas"].as_array().unwrap();
    assert!(schemas.contains(&json!(USER_URN)) && schemas.contains(&json!(ENTERPRISE_URN)), "{u}");
    for absent in ["title", "addresses", "phoneNumbers", "manager", "password"] {
        assert!(u.get(absent).is_none_or(Value::is_null), "{absent} should be absent: {u}");
    }
    assert!(u[ENTERPRISE_URN].get("manager").is_none_or(Value::is_null), "{u}");
    assert_eq!(u["meta"]["resourceType"], "User");
    assert!(u["meta"]["created"].is_string() && u["meta"]["lastModified"].is_string(), "{u}");
    assert!(u["meta"]["location"].as_str().unwrap().ends_with(&format!("/Users/{id}")));
    // After the create Entra caches the id and reads by it.
    let got = get_user(&s, id);
    assert_eq!(got, u, "GET /Users/{{id}} differs from the create answer");
}

#[test]
fn patch_with_one_replace_per_attribute_applies_every_path_and_answers_200_with_the_resource() {
    let s = Server::start_contoso();
    let mut body = entra_user("patch.me@example.com", "patchme", "old@contoso.com");
    body["emails"].as_array_mut().unwrap().push(json!({"type": "home", "value": "me@home.example"}));
    body[ENTERPRISE_URN] = json!({"employeeNumber": "1", "department": "Old"});
    let u = create_user(&s, &body);
    let id = u["id"].as_str().unwrap();
    let v1 = u["meta"]["version"].clone();
    let r = s.scim(
        "PATCH",
        &format!("/Users/{id}"),
        Some(&patch_ops(json!([
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"},
            {"op": "Replace", "path": "name.givenName", "value": "Barbara"},
            {"op": "Replace", "path": "name.familyName", "value": "Jensen"},
            {"op": "Replace", "path": "displayName", "value": "Babs Jensen"},
            {"op": "Replace", "path": "externalId", "value": "bjensen"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "701984"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Tour Operations"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].formatted", "value": "100 Universal City Plaza"}
        ]))),
    );
    let p = expect_scim(&r, 200);
    assert_eq!(p["id"], json!(id));
    assert_eq!(work_emails(&p), vec!["new@contoso.com"]);
    let home: Vec<&Value> = p["emails"].as_array().unwrap().iter().filter(|e| e["type"] == "home").collect();
    assert_eq!(home.len(), 1, "the home email must be untouched: {p}");
    assert_eq!(home[0]["value"], "me@home.example");
    assert_eq!(p["name"]["givenName"], "Barbara");
    assert_eq!(p["name"]["familyName"], "Jensen");
    assert_eq!(p["displayName"], "Babs Jensen");
    assert_eq!(p["externalId"], "bjensen");
    assert_eq!(p[ENTERPRISE_URN]["employeeNumber"], "701984");
    assert_eq!(p[ENTERPRISE_URN]["department"], "Tour Operations");
    let addresses = p["addresses"].as_array().unwrap();
    assert_eq!(addresses.len(), 1, "{p}");
    assert_eq!(addresses[0]["type"], "work");
    assert_eq!(addresses[0]["formatted"], "100 Universal City Plaza");
    assert_ne!(p["meta"]["version"], v1, "a change must bump the version");
    assert_eq!(r.header("etag"), p["meta"]["version"].as_str());
    assert_eq!(get_user(&s, id), p);
    // The indexes follow: the new work email and externalId find the user, the old ones do not.
    assert_eq!(find_users(&s, r#"emails[type eq "work"].value eq "new@contoso.com""#), vec![id.to_string()]);
    assert!(find_users(&s, r#"emails[type eq "work"].value eq "old@contoso.com""#).is_empty());
    assert_eq!(find_users(&s, r#"externalId eq "bjensen""#), vec![id.to_string()]);
    assert!(find_users(&s, r#"externalId eq "patchme""#).is_empty());
}

#[test]
fn flag_form_pathless_replace_with_dotted_and_urn_keys_updates_the_sub_attributes() {
    let s = Server::start_contoso();
    // The documented body moves the work email to test.microsoft.com: a validated domain here.
    s.validate_domain("test.microsoft.com");
    let u = create_user(&s, &entra_user("flag.form@example.com", "flagform", "flag@contoso.com"));
    let id = u["id"].as_str().unwrap();
    let p = patch_user(
        &s,
        id,
        json!([
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "TestMhvaes@test.microsoft.com"},
            {"op": "replace", "value": {
                "displayName": "Bjfe",
                "name.givenName": "Kkom",
                "name.familyName": "Unua",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "Aklq"
            }}
        ]),
    );
    assert_eq!(work_emails(&p), vec!["TestMhvaes@test.microsoft.com"]);
    assert_eq!(p["displayName"], "Bjfe");
    assert_eq!(p["name"]["givenName"], "Kkom");
    assert_eq!(p["name"]["familyName"], "Unua");
    assert_eq!(p["name"]["formatted"], "givenName familyName", "untouched sub-attributes stay");
    assert_eq!(p[ENTERPRISE_URN]["employeeNumber"], "Aklq");
    // Dotted and URN-qualified keys are attributes, not literal keys of the resource.
    for literal in [
        "name.givenName",
        "name.familyName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    ] {
        assert!(p.get(literal).is_none(), "{literal} was stored as a key: {p}");
    }
    assert_eq!(get_user(&s, id), p);
}

#[test]
fn manager_sent_as_a_bare_string_is_echoed_as_manager_value() {
    let s = Server::start_contoso();
    let boss = plain_user(&s, "the.boss@example.com");
    let boss2 = plain_user(&s, "next.boss@example.com");
    let id = plain_user(&s, "report@example.com");
    let p = patch_user(
        &s,
        &id,
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": boss}]),
    );
    assert_eq!(p[ENTERPRISE_URN]["manager"]["value"], json!(boss), "{p}");
    // Entra reads it back before deciding whether to send it again: it must be exactly what was sent.
    assert_eq!(get_user(&s, &id)[ENTERPRISE_URN]["manager"]["value"], json!(boss));
    // The older documented shape: a one-element list with $ref and value.
    let p = patch_user(
        &s,
        &id,
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": [{"$ref": format!("../Users/{boss2}"), "value": boss2}]}]),
    );
    assert_eq!(p[ENTERPRISE_URN]["manager"]["value"], json!(boss2), "{p}");
    // And an object.
    let p = patch_user(
        &s,
        &id,
        json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                "value": {"value": boss}}]),
    );
    assert_eq!(p[ENTERPRISE_URN]["manager"]["value"], json!(boss), "{p}");
    assert_eq!(get_user(&s, &id)[ENTERPRISE_URN]["manager"]["value"], json!(boss));
}

#[test]
fn add_on_an_existing_single_value_and_replace_on_a_missing_one_both_upsert() {
    let s = Server::start_contoso();
    let u = create_user(
        &s,
        &json!({"schemas": [USER_URN], "userName": "upsert@example.com", "title": "Old title", "active": true}),
    );
    let id = u["id"].as_str().unwrap();
    assert!(u.get("nickName").is_none());
    let p = patch_user(
        &s,
        id,
        json!([
            {"op": "Add", "path": "title", "value": "New title"},
            {"op": "Replace", "path": "nickName", "value": "Babs"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"}
        ]),
    );
    assert_eq!(p["title"], "New title");
    assert_eq!(p["nickName"], "Babs");
    assert_eq!(p[ENTERPRISE_URN]["department"], "Sales");
    assert_eq!(get_user(&s, id), p);
}

#[test]
fn add_or_replace_of_the_work_email_on_a_user_without_emails_creates_it() {
    let s = Server::start_contoso();
    let a = plain_user(&s, "no.mail.a@example.com");
    let b = plain_user(&s, "no.mail.b@example.com");
    for (id, op, email) in [(&a, "Add", "a@contoso.com"), (&b, "Replace", "b@contoso.com")] {
        let p =
            patch_user(&s, id, json!([{"op": op, "path": "emails[type eq \"work\"].value", "value": email}]));
        let emails = p["emails"].as_array().unwrap_or_else(|| panic!("{op} created no email: {p}"));
        assert_eq!(emails.len(), 1, "{p}");
        assert_eq!(emails[0]["type"], "work");
        assert_eq!(emails[0]["value"], email);
        assert_eq!(get_user(&s, id)["emails"], p["emails"]);
        assert_eq!(
            find_users(&s, &format!("emails[type eq \"work\"].value eq \"{email}\"")),
            vec![id.clone()]
        );
    }
}

#[test]
fn disable_with_string_false_keeps_the_user_readable_and_findable() {
    let s = Server::start_contoso();
    let u = create_user(&s, &entra_user("leaver@example.com", "leaver", "leaver@contoso.com"));
    let id = u["id"].as_str().unwrap();
    let p = patch_user(&s, id, json!([{"op": "Replace", "path": "active", "value": "False"}]));
    assert_eq!(p["active"], json!(false), "active must be a JSON boolean: {p}");
    assert_eq!(p[SEAT_URN]["status"], "deactivated", "{p}");
    let got = get_user(&s, id);
    assert_eq!(got["active"], json!(false));
    assert_eq!(got["userName"], "leaver@example.com");
    // The matching query still finds it, so Entra does not try to create it again.
    let r = s.scim("GET", "/Users?filter=userName+eq+%22leaver%40example.com%22", None);
    let (total, found) = expect_list(&r);
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(id));
    assert_eq!(found[0]["active"], json!(false));
    // The flag form sends a real boolean; it is equally fine on an already disabled user.
    let p = patch_user(&s, id, json!([{"op": "replace", "path": "active", "value": false}]));
    assert_eq!(p["active"], json!(false));
}

#[test]
fn single_app_role_assignment_on_create_stores_the_role_and_grants_the_member_seat() {
    let s = Server::start_contoso();
    let mut body = entra_user("role.single@example.com", "rolesingle", "role.single@contoso.com");
    body["roles"] = json!([{"primary": true, "type": AZURE_ROLE, "value": "LICENSED_USER"}]);
    let u = create_user(&s, &body);
    let roles = u["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "{u}");
    assert_eq!(roles[0]["value"], "LICENSED_USER");
    assert_eq!(roles[0]["type"], AZURE_ROLE);
    assert_eq!(roles[0]["primary"], json!(true));
    assert_eq!(u[SEAT_URN]["seatType"], "member", "{u}");
    // `primary` as a string is a boolean too.
    let mut body = entra_user("role.string@example.com", "rolestring", "role.string@contoso.com");
    body["roles"] = json!([{"primary": "True", "type": AZURE_ROLE, "value": "LICENSED_USER"}]);
    let u = create_user(&s, &body);
    assert_eq!(u["roles"][0]["primary"], json!(true), "{u}");
    assert_eq!(u[SEAT_URN]["seatType"], "member", "{u}");
    // Entra's update in this mode targets the primary role by a value path with a string boolean.
    let id = u["id"].as_str().unwrap();
    let p = patch_user(
        &s,
        id,
        json!([{"op": "Replace", "path": "roles[primary eq \"True\"].value", "value": "SMARTSHEET_USER"}]),
    );
    let roles = p["roles"].as_array().unwrap();
    assert_eq!(roles.len(), 1, "the primary role is replaced, not added: {p}");
    assert_eq!(roles[0]["value"], "SMARTSHEET_USER");
    assert_eq!(roles[0]["primary"], json!(true));
    assert_eq!(p[SEAT_URN]["seatType"], "viewer", "{p}");
    // Without roles the user gets the base seat.
    let u = create_user(&s, &entra_user("role.none@example.com", "rolenone", "role.none@contoso.com"));
    assert_eq!(u[SEAT_URN]["seatType"], "viewer", "{u}");
}

#[test]
fn app_role_assignments_complex_patch_with_stringified_values_uses_the_inner_role_values() {
    let s = Server::start_contoso();
    let u =
        create_user(&s, &entra_user("role.complex@example.com", "rolecomplex", "role.complex@contoso.com"));
    let id = u["id"].as_str().unwrap();
    assert_eq!(u[SEAT_URN]["seatType"], "viewer");
    let p = patch_user(
        &s,
        id,
        json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"LICENSED_USER\",\"displayName\":\"Licensed User\"}"},
            {"value": "{\"id\":\"06b07648-ecfe-599f-9d2f-6325724a46ee\",\"value\":\"SMARTSHEET_USER\",\"displayName\":\"User\"}"}
        ]}]),
    );
    assert_eq!(p["roles"].as_array().unwrap().len(), 2, "{p}");
    let text = p["roles"].to_string();
    assert!(text.contains("LICENSED_USER") && text.contains("SMARTSHEET_USER"), "{p}");
    // The inner value LICENSED_USER is what counts for the seat.
    assert_eq!(p[SEAT_URN]["seatType"], "member", "{p}");
    assert_eq!(get_user(&s, id)[SEAT_URN]["seatType"], "member");
    // This mode is add-only and re-sends roles the user already has: no duplicates appear.
    let again = patch_user(
        &s,
        id,
        json!([{"op": "Add", "path": "roles", "value": [
            {"value": "{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"LICENSED_USER\",\"displayName\":\"Licensed User\"}"}
        ]}]),
    );
    assert_eq!(again["roles"], p["roles"], "{again}");
}

#[test]
fn assertive_replace_of_roles_with_display_replaces_the_whole_list() {
    let s = Server::start_contoso();
    let mut body = entra_user("role.assertive@example.com", "roleassertive", "role.assertive@contoso.com");
    body["roles"] = json!([{"primary": false, "type": AZURE_ROLE, "displayName": "Licensed User", "value": "LICENSED_USER"}]);
    let u = create_user(&s, &body);
    let id = u["id"].as_str().unwrap();
    assert_eq!(u[SEAT_URN]["seatType"], "member", "{u}");
    let p = patch_user(
        &s,
        id,
        json!([{"op": "replace", "path": "roles", "value": [
            {"primary": false, "type": AZURE_ROLE, "display": "User", "value": "SMARTSHEET_USER"},
            {"primary": false, "type": AZURE_ROLE, "display": "Test", "value": "Test"}
        ]}]),
    );
    let values: BTreeSet<&str> =
        p["roles"].as_array().unwrap().iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(values, BTreeSet::from(["SMARTSHEET_USER", "Test"]), "LICENSED_USER must be gone: {p}");
    let user_role = p["roles"].as_array().unwrap().iter().find(|r| r["value"] == "SMARTSHEET_USER").unwrap();
    assert_eq!(user_role["display"], "User");
    assert_eq!(user_role["primary"], json!(false));
    // The member-implying role was removed: the next update call moves the seat down.
    assert_eq!(p[SEAT_URN]["seatType"], "viewer", "{p}");
    assert_eq!(get_user(&s, id)["roles"], p["roles"]);
}

#[test]
fn group_sequence_creates_finds_renames_fills_and_deletes_with_201_200_204() {
    let s = Server::start_contoso();
    let u1 = plain_user(&s, "g.one@example.com");
    let lookup = |name: &str| {
        format!(
            "/Groups?excludedAttributes=members&filter={}",
            query_escape(&format!("displayName eq \"{name}\""))
        )
    };
    assert!(ids_of(&s, &lookup("Sales EMEA")).is_empty());
    let r = s.scim("POST", "/Groups", Some(&entra_group("Sales EMEA")));
    let g = expect_scim(&r, 201);
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["displayName"], "Sales EMEA");
    assert_eq!(g["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
    assert_eq!(g["meta"]["resourceType"], "Group");
    assert!(member_ids(&g).is_empty(), "{g}");
    assert!(r.header("location").unwrap().ends_with(&format!("/Groups/{gid}")));
    // Lookup by displayName, members left out.
    let (total, found) = expect_list(&s.scim("GET", &lookup("Sales EMEA"), None));
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(gid));
    assert!(found[0].get("members").is_none(), "{}", found[0]);
    // Rename: 204, no body.
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Replace", "path": "displayName", "value": "Sales EMEA updated"}]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    assert!(ids_of(&s, &lookup("Sales EMEA")).is_empty());
    assert_eq!(ids_of(&s, &lookup("Sales EMEA updated")), vec![gid.clone()]);
    // Add a member the way Entra writes it.
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": u1}]}]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    // By id without members: none, even though there is one.
    let got = expect_scim(&s.scim("GET", &format!("/Groups/{gid}?excludedAttributes=members"), None), 200);
    assert_eq!(got["displayName"], "Sales EMEA updated");
    assert!(got.get("members").is_none(), "{got}");
    assert_eq!(members_of(&s, &gid), set_of(&[&u1]));
    // The user shows the group in its read-only `groups`.
    let user = get_user(&s, &u1);
    assert_eq!(user["groups"][0]["value"], json!(gid), "{user}");
    // Remove it again.
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": u1}]}]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(members_of(&s, &gid).is_empty());
    // Delete: 204, then gone.
    let r = s.scim("DELETE", &format!("/Groups/{gid}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    expect_scim_error(&s.scim("GET", &format!("/Groups/{gid}"), None), 404, None);
    assert!(ids_of(&s, &lookup("Sales EMEA updated")).is_empty());
    assert!(get_user(&s, &u1).get("groups").is_none_or(|g| g.as_array().is_some_and(Vec::is_empty)));
}

#[test]
fn remove_members_with_a_value_list_removes_only_the_listed_members() {
    let s = Server::start_contoso();
    let ids: Vec<String> = (0..4).map(|i| plain_user(&s, &format!("rm.list{i}@example.com"))).collect();
    let gid = create_group(&s, "Remove List");
    let all: Vec<Value> = ids.iter().map(|i| json!({"value": i})).collect();
    assert_eq!(patch_group(&s, &gid, json!([{"op": "Add", "path": "members", "value": all}])).status, 204);
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": ids[0]}, {"value": ids[2]}]}]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(members_of(&s, &gid), set_of(&[&ids[1], &ids[3]]));
}

#[test]
fn remove_members_by_value_filter_path_removes_only_that_member() {
    let s = Server::start_contoso();
    let a = plain_user(&s, "rm.path.a@example.com");
    let b = plain_user(&s, "rm.path.b@example.com");
    let gid = create_group(&s, "Remove Path");
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}]),
    );
    assert_eq!(r.status, 204);
    let r = patch_group(&s, &gid, json!([{"op": "Remove", "path": format!("members[value eq \"{a}\"]")}]));
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(members_of(&s, &gid), set_of(&[&b]));
}

#[test]
fn several_membership_changes_in_one_patch_all_apply() {
    let s = Server::start_contoso();
    let ids: Vec<String> = (0..4).map(|i| plain_user(&s, &format!("multi{i}@example.com"))).collect();
    let gid = create_group(&s, "Multi");
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Add", "path": "members", "value": [{"value": ids[0]}, {"value": ids[1]}]}]),
    );
    assert_eq!(r.status, 204);
    let r = patch_group(
        &s,
        &gid,
        json!([
            {"op": "Add", "path": "members", "value": [{"$ref": null, "value": ids[2]}]},
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": ids[0]}]},
            {"op": "Add", "path": "members", "value": [{"value": ids[3]}]},
            {"op": "Replace", "path": "displayName", "value": "Multi renamed"}
        ]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    let g = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(g["displayName"], "Multi renamed");
    assert_eq!(member_ids(&g), set_of(&[&ids[1], &ids[2], &ids[3]]));
}

#[test]
fn re_adding_a_member_and_removing_a_non_member_are_harmless_no_ops() {
    let s = Server::start_contoso();
    let a = plain_user(&s, "noop.a@example.com");
    let b = plain_user(&s, "noop.b@example.com");
    let gid = create_group(&s, "Idempotent");
    let add_a = json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": a}]}]);
    assert_eq!(patch_group(&s, &gid, add_a.clone()).status, 204);
    // Entra retries escrowed changes: the same Add again must not fail or duplicate.
    let r = patch_group(&s, &gid, add_a);
    assert_eq!(r.status, 204, "{}", r.text());
    let g = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(g["members"].as_array().unwrap().len(), 1, "{g}");
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": b}]}]),
    );
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(members_of(&s, &gid), set_of(&[&a]));
}

#[test]
fn remove_of_members_without_a_value_empties_the_group() {
    let s = Server::start_contoso();
    let a = plain_user(&s, "all.a@example.com");
    let b = plain_user(&s, "all.b@example.com");
    let gid = create_group(&s, "Emptied");
    let r = patch_group(
        &s,
        &gid,
        json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}]),
    );
    assert_eq!(r.status, 204);
    let r = patch_group(&s, &gid, json!([{"op": "Remove", "path": "members"}]));
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(members_of(&s, &gid).is_empty());
    // The users themselves are untouched.
    assert_eq!(get_user(&s, &a)["active"], json!(true));
}

#[test]
fn user_delete_is_204_then_the_id_answers_404_and_the_filter_finds_nothing() {
    let s = Server::start_contoso();
    let u = create_user(&s, &entra_user("gone@example.com", "gone", "gone@contoso.com"));
    let id = u["id"].as_str().unwrap();
    let r = s.scim("DELETE", &format!("/Users/{id}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    expect_scim_error(&s.scim("GET", &format!("/Users/{id}"), None), 404, None);
    assert!(find_users(&s, r#"userName eq "gone@example.com""#).is_empty());
    expect_scim_error(&s.scim("DELETE", &format!("/Users/{id}"), None), 404, None);
}

#[test]
fn duplicate_create_is_409_uniqueness_with_a_detail() {
    let s = Server::start_contoso();
    let body = entra_user("twice@example.com", "twice", "twice@contoso.com");
    let first = create_user(&s, &body);
    let v = expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 409, Some("uniqueness"));
    assert!(v["detail"].as_str().unwrap().contains("twice@example.com"), "{v}");
    assert_eq!(
        find_users(&s, r#"userName eq "twice@example.com""#),
        vec![first["id"].as_str().unwrap().to_string()]
    );
}

#[test]
fn adscim_version_header_and_application_json_bodies_are_accepted() {
    let s = Server::start_contoso();
    let body = entra_user("media.type@example.com", "mediatype", "media@contoso.com").to_string();
    let r = s.scim_raw(
        "POST",
        "/Users",
        &[("ADSCIMVersion", "6.0"), ("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let u = expect_scim(&r, 201);
    let id = u["id"].as_str().unwrap();
    let patch =
        patch_ops(json!([{"op": "Replace", "path": "displayName", "value": "Json Charset"}])).to_string();
    let r = s.scim_raw(
        "PATCH",
        &format!("/Users/{id}"),
        &[("ADSCIMVersion", "6.0"), ("Content-Type", "application/json; charset=utf-8")],
        patch.as_bytes(),
    );
    assert_eq!(expect_scim(&r, 200)["displayName"], "Json Charset");
    let patch = patch_ops(json!([{"op": "Replace", "path": "title", "value": "Scim Charset"}])).to_string();
    let r = s.scim_raw(
        "PATCH",
        &format!("/Users/{id}"),
        &[("Content-Type", "application/scim+json; charset=utf-8")],
        patch.as_bytes(),
    );
    assert_eq!(expect_scim(&r, 200)["title"], "Scim Charset");
    let mut headers = auth(&s.scim_token);
    headers.push(("ADSCIMVersion".into(), "6.0".into()));
    let r = s.client(s.scim_addr).send("GET", &format!("{}/Users/{id}", s.base_path), &headers, None);
    assert_eq!(expect_scim(&r, 200)["title"], "Scim Charset");
}

#[test]
fn route_and_attribute_names_are_matched_case_insensitively() {
    let s = Server::start_contoso();
    let u = create_user(&s, &entra_user("Case.Test@example.com", "casetest", "case@contoso.com"));
    let id = u["id"].as_str().unwrap().to_string();
    assert_eq!(ids_of(&s, "/users?filter=UserName+eq+%22case.test%40example.com%22"), vec![id.clone()]);
    assert_eq!(ids_of(&s, "/USERS?filter=EXTERNALID+eq+%22casetest%22"), vec![id.clone()]);
    assert_eq!(expect_scim(&s.scim("GET", &format!("/users/{id}"), None), 200)["id"], json!(id));
    let gid = create_group(&s, "BobIsAmazing");
    assert_eq!(find_group_ci(&s), vec![gid]);
    // Attribute names in PATCH paths and bodies are case-insensitive too.
    let p = patch_user(&s, &id, json!([{"op": "replace", "path": "DisplayName", "value": "Cased"}]));
    assert_eq!(p["displayName"], "Cased");
    let p = patch_user(&s, &id, json!([{"op": "Replace", "path": "Name.GivenName", "value": "Given"}]));
    assert_eq!(p["name"]["givenName"], "Given");
    let body = json!({"schemas": [USER_URN], "UserName": "upper.keys@example.com", "Active": "True", "DisplayName": "Upper"});
    let u = create_user(&s, &body);
    assert_eq!(u["userName"], "upper.keys@example.com");
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["displayName"], "Upper");
}

fn find_group_ci(s: &Server) -> Vec<String> {
    ids_of(s, &format!("/groups?filter={}", query_escape(r#"DisplayName eq "bobisamazing""#)))
}

#[test]
fn trailing_and_doubled_slashes_after_the_base_are_tolerated() {
    let s = Server::start_contoso();
    let r = s.scim("POST", "//Users", Some(&entra_user("slashes@example.com", "slashes", "s@contoso.com")));
    let id = expect_scim(&r, 201)["id"].as_str().unwrap().to_string();
    assert_eq!(ids_of(&s, "//Users/"), vec![id.clone()]);
    assert_eq!(ids_of(&s, "/Users/?filter=userName+eq+%22slashes%40example.com%22"), vec![id.clone()]);
    assert_eq!(expect_scim(&s.scim("GET", &format!("//Users/{id}/"), None), 200)["id"], json!(id));
    let p = expect_scim(
        &s.scim(
            "PATCH",
            &format!("/Users/{id}/"),
            Some(&patch_ops(json!([{"op": "Replace", "path": "title", "value": "T"}]))),
        ),
        200,
    );
    assert_eq!(p["title"], "T");
    assert_eq!(expect_list(&s.scim("GET", "//Groups//", None)).0, 0);
}
