//! Okta's SCIM 2.0 client (shared/SPEC-idp.md section 2), replayed against the real binary: Test
//! API Credentials, matching and import paging, create, GET-then-PUT, deactivation, Group Push in
//! the OIN and AIW dialects, and the 12 requests of Okta's SCIM 2.0 SPEC test in order. userNames
//! live on the lab's validated domain `example.com` instead of `okta.local`.

use crate::harness::{
    ERROR_URN, GROUP_URN, LIST_RESPONSE_URN, Resp, SEAT_URN, Server, USER_URN, auth, expect_list,
    expect_scim, expect_scim_error, patch_ops, query_escape,
};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashSet};

/// The headers Okta's client sends with every request (plus the token).
fn okta_headers(s: &Server) -> Vec<(String, String)> {
    let mut h = auth(&s.scim_token);
    h.push(("User-Agent".into(), "Okta SCIM Client 1.0.0".into()));
    h.push(("Accept".into(), "application/scim+json".into()));
    h.push(("Accept-Charset".into(), "utf-8".into()));
    h
}

fn okta_get(s: &Server, path: &str) -> Resp {
    s.client(s.scim_addr).send("GET", &format!("{}{path}", s.base_path), &okta_headers(s), None)
}

/// The create body of SPEC-idp.md 2.4.
fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    })
}

fn create_user(s: &Server, body: &Value) -> Value {
    expect_scim(&s.scim("POST", "/Users", Some(body)), 201)
}

fn new_user(s: &Server, user_name: &str) -> String {
    create_user(s, &okta_user(user_name, "Test", "User"))["id"].as_str().unwrap().to_string()
}

fn get_user(s: &Server, id: &str) -> Value {
    expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)
}

fn get_group(s: &Server, id: &str) -> Value {
    expect_scim(&s.scim("GET", &format!("/Groups/{id}"), None), 200)
}

fn member_ids(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(|e| e["value"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn set_of(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

/// Okta accepts 200 with the group or 204 for a group PATCH; anything else is a failure.
fn group_patch_ok(r: &Resp) {
    assert!(r.status == 200 || r.status == 204, "group PATCH answered {}: {}", r.status, r.text());
    if r.status == 200 {
        expect_scim(r, 200);
    }
}

fn user_filter_path(user_name: &str) -> String {
    format!("/Users?filter={}&startIndex=1&count=100", query_escape(&format!("userName eq \"{user_name}\"")))
}

#[test]
fn test_api_credentials_requests_answer_paged_list_responses() {
    let s = Server::start();
    for i in 0..3 {
        new_user(&s, &format!("cred{i}@example.com"));
    }
    let r = okta_get(&s, "/Users?startIndex=1&count=2");
    let v = expect_scim(&r, 200);
    let (total, resources) = expect_list(&r);
    assert_eq!(total, 3);
    assert_eq!(resources.len(), 2);
    assert_eq!(v["itemsPerPage"], json!(2));
    assert_eq!(v["startIndex"], json!(1));
    let r = okta_get(&s, "/Groups?startIndex=1&count=100");
    let (total, resources) = expect_list(&r);
    assert_eq!((total, resources.len()), (0, 0));
    expect_scim(&s.scim("POST", "/Groups", Some(&json!({"schemas": [GROUP_URN], "displayName": "G"}))), 201);
    assert_eq!(expect_list(&okta_get(&s, "/Groups?startIndex=1&count=100")).0, 1);
}

#[test]
fn match_query_with_percent20_encoded_filter_finds_the_user_or_an_empty_list() {
    let s = Server::start();
    let id = new_user(&s, "test.user@example.com");
    new_user(&s, "someone.else@example.com");
    let r =
        okta_get(&s, "/Users?filter=userName%20eq%20%22test.user%40example.com%22&startIndex=1&count=100");
    let (total, found) = expect_list(&r);
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(id));
    assert_eq!(found[0]["userName"], "test.user@example.com");
    let r = okta_get(&s, "/Users?filter=userName%20eq%20%22nobody%40example.com%22&startIndex=1&count=100");
    assert_eq!(expect_list(&r), (0, vec![]));
    // A `+` in a userName arrives as %2B and stays a plus.
    let plus = new_user(&s, "test.user+okta@example.com");
    let r = okta_get(
        &s,
        "/Users?filter=userName%20eq%20%22test.user%2Bokta%40example.com%22&startIndex=1&count=100",
    );
    let (total, found) = expect_list(&r);
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(plus));
}

#[test]
fn import_paging_walks_every_user_once_in_a_stable_order() {
    let s = Server::start();
    let created: HashSet<String> =
        (0..25).map(|i| new_user(&s, &format!("import{i:02}@example.com"))).collect();
    let walk = || -> Vec<String> {
        let mut seen = Vec::new();
        let mut start = 1;
        loop {
            let r = okta_get(&s, &format!("/Users?startIndex={start}&count=10"));
            let v = expect_scim(&r, 200);
            let (total, page) = expect_list(&r);
            assert_eq!(total, 25);
            assert_eq!(v["startIndex"], json!(start));
            let expected_len = (25 - (start - 1)).min(10);
            assert_eq!(page.len(), expected_len, "page at {start}");
            seen.extend(page.iter().map(|u| u["id"].as_str().unwrap().to_string()));
            start += page.len();
            if start > total as usize {
                break;
            }
        }
        seen
    };
    let first = walk();
    assert_eq!(first.len(), 25);
    let unique: HashSet<String> = first.iter().cloned().collect();
    assert_eq!(unique, created, "every user exactly once");
    assert_eq!(walk(), first, "the order is stable between walks");
    // Past the end: an empty page, not an error.
    let (total, page) = expect_list(&okta_get(&s, "/Users?startIndex=26&count=10"));
    assert_eq!((total, page.len()), (25, 0));
    // Group import pages the same way.
    let (total, _) = expect_list(&okta_get(&s, "/Groups?startIndex=1&count=100"));
    assert_eq!(total, 0);
}

/// A page starts where the last one ended while the list keeps its order, and counts again from the
/// start once a user leaves it: pages stay exact when users are deleted, created or added as guests
/// between them, as an import that pages while the IdP provisions sees them.
#[test]
fn pages_stay_exact_when_users_come_and_go_between_them() {
    let s = Server::start();
    let ids: Vec<String> = (0..12).map(|i| new_user(&s, &format!("paged{i:02}@example.com"))).collect();
    let page = |start: usize| -> (u64, Vec<String>) {
        let (total, items) = expect_list(&okta_get(&s, &format!("/Users?startIndex={start}&count=5")));
        (total, items.iter().map(|u| u["id"].as_str().unwrap().to_string()).collect())
    };
    assert_eq!(page(1), (12, ids[0..5].to_vec()));
    assert_eq!(page(6), (12, ids[5..10].to_vec()));
    assert_eq!(page(11), (12, ids[10..12].to_vec()));
    // One of the first page leaves: every later user moves one place up.
    let r = s.scim("DELETE", &format!("/Users/{}", ids[2]), None);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(page(6), (11, ids[6..11].to_vec()));
    assert_eq!(page(3), (11, [&ids[3..5], &ids[5..8]].concat()));
    // A new user joins at the end; a guest is not a SCIM user and moves nothing.
    let late = new_user(&s, "paged-late@example.com");
    let r = s.admin("POST", "/admin/guests", Some(&json!({"email": "guest@partner.org"})));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(page(11), (12, vec![ids[11].clone(), late.clone()]));
    assert_eq!(page(6), (12, ids[6..11].to_vec()));
    // A count past the end, and a start past the end.
    let (total, all) = expect_list(&okta_get(&s, "/Users?startIndex=1&count=100"));
    assert_eq!((total, all.len()), (12, 12));
    assert_eq!(page(13), (12, Vec::new()));
}

#[test]
fn create_with_password_and_empty_groups_is_201_and_never_returns_the_password() {
    let s = Server::start();
    let body = okta_user("test.user@example.com", "Test", "User");
    let r = s.scim("POST", "/Users", Some(&body));
    let u = expect_scim(&r, 201);
    let id = u["id"].as_str().unwrap();
    assert!(r.header("location").unwrap().ends_with(&format!("/Users/{id}")));
    assert_eq!(u["userName"], "test.user@example.com");
    assert_eq!(u["name"]["givenName"], "Test");
    assert_eq!(u["name"]["familyName"], "User");
    assert_eq!(u["displayName"], "Test User");
    assert_eq!(u["locale"], "en-US");
    assert_eq!(u["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["emails"], json!([{"primary": true, "value": "test.user@example.com", "type": "work"}]));
    for body in [r.text(), s.scim("GET", &format!("/Users/{id}"), None).text()] {
        assert!(!body.contains("1mz050nq") && !body.contains("\"password\""), "the password leaked: {body}");
    }
    assert!(u.get("groups").is_none_or(|g| g.as_array().is_some_and(Vec::is_empty)), "{u}");
}

#[test]
fn groups_in_a_user_body_never_change_memberships() {
    let s = Server::start();
    let g = expect_scim(
        &s.scim("POST", "/Groups", Some(&json!({"schemas": [GROUP_URN], "displayName": "Pushed"}))),
        201,
    );
    let gid = g["id"].as_str().unwrap();
    let mut body = okta_user("groups.in.body@example.com", "Groups", "InBody");
    body["groups"] = json!([{"value": gid, "display": "Pushed"}]);
    let u = create_user(&s, &body);
    let id = u["id"].as_str().unwrap();
    assert!(member_ids(&get_group(&s, gid)).is_empty());
    body["id"] = json!(id);
    let r = s.scim("PUT", &format!("/Users/{id}"), Some(&body));
    let put = expect_scim(&r, 200);
    assert!(put.get("groups").is_none_or(|g| g.as_array().is_some_and(Vec::is_empty)), "{put}");
    assert!(member_ids(&get_group(&s, gid)).is_empty());
}

#[test]
fn get_then_whole_object_put_replaces_the_user_and_answers_200() {
    let s = Server::start();
    let id = new_user(&s, "test.user@example.com");
    let before = get_user(&s, &id);
    let body = json!({
        "schemas": [USER_URN],
        "id": id,
        "userName": "test.user@example.com",
        "name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@example.com", "type": "work", "display": "test.user@example.com"}],
        "active": true,
        "groups": [],
        "meta": {"resourceType": "User"}
    });
    let r = s.scim("PUT", &format!("/Users/{id}"), Some(&body));
    let u = expect_scim(&r, 200);
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["name"]["givenName"], "Another");
    assert_eq!(u["name"]["middleName"], "Excited");
    assert_eq!(u["name"]["familyName"], "User");
    assert_eq!(u["emails"][0]["display"], "test.user@example.com");
    assert_eq!(u["active"], json!(true));
    assert_eq!(u["meta"]["created"], before["meta"]["created"]);
    assert_ne!(u["meta"]["version"], before["meta"]["version"]);
    assert_eq!(get_user(&s, &id), u);
}

#[test]
fn pathless_replace_deactivates_and_reactivation_is_refused_while_di_is_on() {
    let s = Server::start();
    let id = new_user(&s, "leaver@example.com");
    let deactivate = patch_ops(json!([{"op": "replace", "value": {"active": false}}]));
    let u = expect_scim(&s.scim("PATCH", &format!("/Users/{id}"), Some(&deactivate)), 200);
    assert_eq!(u["active"], json!(false));
    assert_eq!(u[SEAT_URN]["status"], "deactivated");
    let got = get_user(&s, &id);
    assert_eq!(got["active"], json!(false));
    // Reactivation through SCIM is refused while DI is on, and the detail says the way out.
    let reactivate = patch_ops(json!([{"op": "replace", "value": {"active": true}}]));
    let r = s.scim("PATCH", &format!("/Users/{id}"), Some(&reactivate));
    let v = expect_scim_error(&r, 400, Some("mutability"));
    let detail = v["detail"].as_str().unwrap();
    assert!(detail.contains("DI") || detail.contains("Directory Integration"), "{detail}");
    assert!(detail.to_lowercase().contains("off"), "the detail must say to turn DI off: {detail}");
    // Nothing changed.
    assert_eq!(get_user(&s, &id), got);
}

#[test]
fn aiw_put_with_active_false_deactivates_and_keeps_the_user_findable() {
    let s = Server::start();
    let id = new_user(&s, "aiw.leaver@example.com");
    let mut body = get_user(&s, &id);
    body["active"] = json!(false);
    let u = expect_scim(&s.scim("PUT", &format!("/Users/{id}"), Some(&body)), 200);
    assert_eq!(u["active"], json!(false));
    assert_eq!(u[SEAT_URN]["status"], "deactivated");
    assert_eq!(get_user(&s, &id)["active"], json!(false));
    let (total, found) = expect_list(&okta_get(&s, &user_filter_path("aiw.leaver@example.com")));
    assert_eq!(total, 1);
    assert_eq!(found[0]["active"], json!(false));
    // AIW reactivates with a PUT too: refused like the PATCH while DI is on.
    body["active"] = json!(true);
    expect_scim_error(&s.scim("PUT", &format!("/Users/{id}"), Some(&body)), 400, Some("mutability"));
    assert_eq!(get_user(&s, &id)["active"], json!(false));
}

#[test]
fn group_push_create_with_empty_members_then_a_mixed_remove_and_add_patch() {
    let s = Server::start();
    let a = new_user(&s, "push.a@example.com");
    let b = new_user(&s, "push.b@example.com");
    let c = new_user(&s, "push.c@example.com");
    let r = s.scim(
        "POST",
        "/Groups",
        Some(&json!({"schemas": [GROUP_URN], "displayName": "Test SCIMv2", "members": []})),
    );
    let g = expect_scim(&r, 201);
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["displayName"], "Test SCIMv2");
    assert!(member_ids(&g).is_empty());
    let add = patch_ops(json!([{"op": "add", "path": "members", "value": [
        {"value": a, "display": "push.a@example.com"}, {"value": b, "display": "push.b@example.com"}]}]));
    group_patch_ok(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&add)));
    assert_eq!(member_ids(&get_group(&s, &gid)), set_of(&[&a, &b]));
    let mixed = patch_ops(json!([
        {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
        {"op": "add", "path": "members", "value": [{"value": c, "display": "push.c@example.com"}]}
    ]));
    group_patch_ok(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&mixed)));
    let g = get_group(&s, &gid);
    assert_eq!(member_ids(&g), set_of(&[&b, &c]));
    // `display` is the server's name for the member (the user's displayName).
    for m in g["members"].as_array().unwrap() {
        assert_eq!(m["display"], "Test User", "{g}");
    }
}

#[test]
fn full_replace_of_members_sets_exactly_the_pushed_list() {
    let s = Server::start();
    let ids: Vec<String> = (0..3).map(|i| new_user(&s, &format!("full{i}@example.com"))).collect();
    let g = expect_scim(
        &s.scim(
            "POST",
            "/Groups",
            Some(&json!({"schemas": [GROUP_URN], "displayName": "Full Push", "members": [{"value": ids[0]}, {"value": ids[1]}]})),
        ),
        201,
    );
    let gid = g["id"].as_str().unwrap().to_string();
    assert_eq!(member_ids(&g), set_of(&[&ids[0], &ids[1]]));
    let replace = patch_ops(json!([{"op": "replace", "path": "members", "value": [
        {"value": ids[1], "display": "full1@example.com"}, {"value": ids[2], "display": "full2@example.com"}]}]));
    group_patch_ok(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&replace)));
    assert_eq!(member_ids(&get_group(&s, &gid)), set_of(&[&ids[1], &ids[2]]));
    let empty = patch_ops(json!([{"op": "replace", "path": "members", "value": []}]));
    group_patch_ok(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&empty)));
    assert!(member_ids(&get_group(&s, &gid)).is_empty());
}

#[test]
fn pathless_rename_with_id_and_display_name_leaves_members_intact() {
    let s = Server::start();
    let a = new_user(&s, "rename.a@example.com");
    let b = new_user(&s, "rename.b@example.com");
    let g = expect_scim(
        &s.scim(
            "POST",
            "/Groups",
            Some(&json!({"schemas": [GROUP_URN], "displayName": "Old Name", "members": [{"value": a}, {"value": b}]})),
        ),
        201,
    );
    let gid = g["id"].as_str().unwrap().to_string();
    let rename =
        patch_ops(json!([{"op": "replace", "value": {"id": gid, "displayName": "Test SCIMv2 renamed"}}]));
    group_patch_ok(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&rename)));
    let g = get_group(&s, &gid);
    assert_eq!(g["id"], json!(gid));
    assert_eq!(g["displayName"], "Test SCIMv2 renamed");
    assert_eq!(member_ids(&g), set_of(&[&a, &b]), "a rename must not touch membership");
    let find = |name: &str| {
        expect_list(&s.scim(
            "GET",
            &format!("/Groups?filter={}", query_escape(&format!("displayName eq \"{name}\""))),
            None,
        ))
        .0
    };
    assert_eq!(find("Old Name"), 0);
    assert_eq!(find("Test SCIMv2 renamed"), 1);
}

#[test]
fn aiw_group_sequence_get_post_get_put_sets_members_and_delete_removes_the_group() {
    let s = Server::start();
    let a = new_user(&s, "aiw.a@example.com");
    let b = new_user(&s, "aiw.b@example.com");
    let lookup = format!("/Groups?filter={}", query_escape(r#"displayName eq "AIW Pushed""#));
    assert_eq!(expect_list(&okta_get(&s, &lookup)), (0, vec![]));
    let g = expect_scim(
        &s.scim("POST", "/Groups", Some(&json!({"schemas": [GROUP_URN], "displayName": "AIW Pushed"}))),
        201,
    );
    let gid = g["id"].as_str().unwrap().to_string();
    let got = expect_scim(&okta_get(&s, &format!("/Groups/{gid}")), 200);
    assert_eq!(got["displayName"], "AIW Pushed");
    assert!(member_ids(&got).is_empty());
    let put = json!({"schemas": [GROUP_URN], "id": gid, "displayName": "AIW Pushed",
        "members": [{"value": a, "display": "aiw.a@example.com"}, {"value": b, "display": "aiw.b@example.com"}]});
    let r = s.scim("PUT", &format!("/Groups/{gid}"), Some(&put));
    let g = expect_scim(&r, 200);
    assert_eq!(member_ids(&g), set_of(&[&a, &b]));
    assert_eq!(member_ids(&get_group(&s, &gid)), set_of(&[&a, &b]));
    // The next PUT carries the whole list again: a member left out is removed.
    let put =
        json!({"schemas": [GROUP_URN], "id": gid, "displayName": "AIW Pushed", "members": [{"value": b}]});
    expect_scim(&s.scim("PUT", &format!("/Groups/{gid}"), Some(&put)), 200);
    assert_eq!(member_ids(&get_group(&s, &gid)), set_of(&[&b]));
    assert_eq!(expect_list(&okta_get(&s, &lookup)).0, 1);
    let r = s.scim("DELETE", &format!("/Groups/{gid}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    expect_scim_error(&s.scim("GET", &format!("/Groups/{gid}"), None), 404, None);
    assert_eq!(expect_list(&okta_get(&s, &lookup)).0, 0);
    // Its members are still there.
    assert_eq!(get_user(&s, &b)["active"], json!(true));
}

/// The user fields the SPEC test checks on steps 1, 2 and 7.
fn assert_spec_user_fields(u: &Value) {
    assert!(u["id"].as_str().is_some_and(|i| !i.is_empty()), "{u}");
    assert!(u["name"]["familyName"].is_string(), "{u}");
    assert!(u["name"]["givenName"].is_string(), "{u}");
    assert!(u["userName"].is_string(), "{u}");
    assert_eq!(u["active"], json!(true), "{u}");
    assert!(u["emails"][0]["value"].is_string(), "{u}");
}

#[test]
fn okta_scim_20_spec_test_passes_its_twelve_requests_in_order() {
    let s = Server::start();
    // Pre-seed one active user with a name and an email.
    create_user(&s, &okta_user("seed.user@example.com", "Seed", "User"));

    // 1. Test Users endpoint.
    let r = okta_get(&s, "/Users?count=1&startIndex=1");
    let v = expect_scim(&r, 200);
    assert!(v["schemas"].as_array().unwrap().contains(&json!(LIST_RESPONSE_URN)));
    for k in ["itemsPerPage", "startIndex", "totalResults"] {
        assert!(v[k].is_number(), "{k}: {v}");
    }
    let resources = v["Resources"].as_array().unwrap();
    assert!(!resources.is_empty());
    assert_spec_user_fields(&resources[0]);
    let isv_user_id = resources[0]["id"].as_str().unwrap().to_string();

    // 2. Get Users/{id}.
    let u = expect_scim(&okta_get(&s, &format!("/Users/{isv_user_id}")), 200);
    assert_spec_user_fields(&u);
    assert_eq!(u["id"], json!(isv_user_id));

    // 3. Invalid user by username.
    let v = expect_scim(&okta_get(&s, &user_filter_path("invalid-user-8d1c@example.com")), 200);
    assert!(v["schemas"].as_array().unwrap().contains(&json!(LIST_RESPONSE_URN)));
    assert_eq!(v["totalResults"], json!(0));

    // 4. Invalid user by id.
    let v = expect_scim_error(&okta_get(&s, "/Users/3b4d1a7c-0000-4000-8000-000000000000"), 404, None);
    assert_eq!(v["schemas"], json!([ERROR_URN]));

    // 5. A random user that does not exist.
    let random = "Kq7Zt1vX@example.com";
    assert_eq!(expect_list(&okta_get(&s, &user_filter_path(random))).0, 0);

    // 6. Create a user with realistic values.
    let body = json!({
        "schemas": [USER_URN],
        "userName": random,
        "name": {"givenName": "Sofia", "familyName": "Lindqvist"},
        "emails": [{"primary": true, "value": random, "type": "work"}],
        "displayName": "Sofia Lindqvist",
        "active": true
    });
    let created = expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    assert_eq!(created["active"], json!(true));
    assert!(created["id"].as_str().is_some_and(|i| !i.is_empty()));
    assert_eq!(created["name"]["familyName"], "Lindqvist");
    assert_eq!(created["name"]["givenName"], "Sofia");
    assert!(created["schemas"].as_array().unwrap().contains(&json!(USER_URN)));
    assert_eq!(created["userName"], json!(random));
    let id_user_one = created["id"].as_str().unwrap().to_string();

    // 7. Verify the created user.
    let u = expect_scim(&okta_get(&s, &format!("/Users/{id_user_one}")), 200);
    assert_eq!(u["userName"], json!(random));
    assert_eq!(u["name"]["familyName"], "Lindqvist");
    assert_eq!(u["name"]["givenName"], "Sofia");
    assert_eq!(u["emails"][0]["value"], json!(random));

    // 8. Creating the same user again is a conflict.
    expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 409, Some("uniqueness"));

    // 9. Username case: the suite checks only the status; the RFC (and we) also find the user.
    let (total, found) = expect_list(&okta_get(&s, &user_filter_path(&random.to_uppercase())));
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(id_user_one));

    // 10. Groups endpoint.
    expect_list(&okta_get(&s, "/Groups"));

    // 11. A bad Authorization header.
    let r = s.client(s.scim_addr).send(
        "GET",
        &format!("{}/Users", s.base_path),
        &[("Authorization".into(), "Bearer not-a-real-token".into())],
        None,
    );
    let v = expect_scim_error(&r, 401, None);
    assert_eq!(v["status"], "401");

    // 12. 404 for an id that does not exist.
    let v = expect_scim_error(&okta_get(&s, "/Users/00919288221112222"), 404, None);
    assert_eq!(v["status"], "404");
}
