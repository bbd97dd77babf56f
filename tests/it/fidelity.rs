//! Seat fidelity on the paths Entra and Okta really take (the issue "Seat rules exactly as the
//! documents state them"): one test per item, each driving the real binary with the request shapes of
//! SPEC-idp.md and asserting seats, statuses and audit events.

use crate::harness::{GROUP_URN, Server, USER_URN, expect_list, expect_scim, expect_scim_error, patch_ops};
use serde_json::{Value, json};

const CUSTOM_URN: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";

fn email(local: &str) -> String {
    format!("{local}@example.com")
}

/// Okta's create: type-keyed roles, PUT-style full body.
fn okta_user(local: &str, roles: Value) -> Value {
    json!({"schemas": [USER_URN], "userName": email(local), "active": true,
        "name": {"givenName": local, "familyName": "Okta"},
        "emails": [{"primary": true, "value": email(local), "type": "work"}], "roles": roles})
}

fn okta_role(v: &str) -> Value {
    json!({"type": v, "value": v})
}

/// Entra's create (AppRoleAssignmentsComplex role, string booleans).
fn entra_user(local: &str, role: Option<&str>) -> Value {
    let mut body = json!({"schemas": [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": local, "userName": email(local), "active": true,
        "emails": [{"primary": true, "type": "work", "value": email(local)}],
        "name": {"formatted": local, "familyName": "Entra", "givenName": local},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}});
    if let Some(r) = role {
        body["roles"] =
            json!([{"primary": "True", "type": "WindowsAzureActiveDirectoryRole", "display": r, "value": r}]);
    }
    body
}

fn create(s: &Server, body: &Value) -> String {
    expect_scim(&s.scim("POST", "/Users", Some(body)), 201)["id"].as_str().unwrap().to_string()
}

fn group(s: &Server, name: &str, members: &[&String]) -> String {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    let body = json!({"schemas": [GROUP_URN], "displayName": name, "members": members});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn patch(s: &Server, path: &str, ops: Value) -> u16 {
    let r = s.scim("PATCH", path, Some(&patch_ops(ops)));
    assert!(r.status == 200 || r.status == 204, "PATCH {path}: {} {}", r.status, r.text());
    r.status
}

fn admin(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert!(r.status == 200 || r.status == 201, "{method} {path}: {} {}", r.status, r.text());
    r.json()
}

fn seat(s: &Server, id: &str) -> Value {
    admin(s, "GET", &format!("/admin/users/{id}"), None)["seat"].clone()
}

/// The audit actions of one user, oldest first.
fn actions(s: &Server, id: &str) -> Vec<String> {
    let v = admin(s, "GET", &format!("/admin/audit?user_id={id}&limit=100"), None);
    let mut a: Vec<String> =
        v["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
    a.reverse();
    a
}

fn settings(s: &Server, body: Value) {
    admin(s, "PATCH", "/admin/settings", Some(&body));
}

// 1. Okta's full push of an unchanged member set keeps an admin's manual seat.
#[test]
fn okta_full_push_of_the_same_members_keeps_manual_seats_and_counts_only_changes() {
    let s = Server::start();
    let alice = create(&s, &okta_user("alice", json!([])));
    let bob = create(&s, &okta_user("bob", json!([])));
    let carol = create(&s, &okta_user("carol", json!([])));
    let gid = group(&s, "Smartsheet Licensed User", &[&alice, &bob]);
    assert_eq!((seat(&s, &alice), seat(&s, &bob)), (json!("member"), json!("member")));
    admin(&s, "PUT", &format!("/admin/users/{alice}/seat"), Some(&json!({"seat": "no_access"})));
    let before = actions(&s, &alice).len();
    // The push resends the unchanged list: nobody joined or left, so nobody had an update call.
    let push = |members: &[&String]| {
        let value: Vec<Value> = members.iter().map(|id| json!({"value": id, "display": "x"})).collect();
        patch(&s, &format!("/Groups/{gid}"), json!([{"op": "replace", "path": "members", "value": value}]))
    };
    push(&[&alice, &bob]);
    assert_eq!(seat(&s, &alice), "no_access", "the admin's choice survives an unchanged push");
    assert_eq!(actions(&s, &alice).len(), before, "no event for alice: {:?}", actions(&s, &alice));
    // A push that really changes the list: bob leaves, carol joins; only they have update calls.
    push(&[&alice, &carol]);
    assert_eq!(seat(&s, &alice), "no_access");
    assert_eq!((seat(&s, &bob), seat(&s, &carol)), (json!("viewer"), json!("member")));
    assert_eq!(actions(&s, &bob).last().map(String::as_str), Some("di_downgrade"));
    assert_eq!(actions(&s, &carol).last().map(String::as_str), Some("di_upgrade"));
    // Okta's AIW group PUT counts only the changes the same way.
    let body = json!({"schemas": [GROUP_URN], "displayName": "Smartsheet Licensed User",
        "members": [{"value": alice}, {"value": carol}]});
    expect_scim(&s.scim("PUT", &format!("/Groups/{gid}"), Some(&body)), 200);
    assert_eq!(seat(&s, &alice), "no_access");
    assert_eq!(actions(&s, &alice).len(), before);
}

// 2. An update call is a write that changes the user's roles; profile edits are not.
#[test]
fn profile_edits_are_not_update_calls_but_role_changes_are() {
    let s = Server::start();
    settings(&s, json!({"seat_mapping": "viewer_only"}));
    let id = create(&s, &entra_user("dana", Some("LICENSED_USER")));
    assert_eq!(seat(&s, &id), "viewer", "viewer_only provisions everyone as viewer");
    admin(&s, "PATCH", "/admin/settings?force=true", Some(&json!({"seat_mapping": "groups"})));
    let before = actions(&s, &id).len();
    // Entra's profile PATCHes: department, title, name. The seed: "they will still be a Viewer ...
    // unless a change is made to their group assignments".
    patch(
        &s,
        &format!("/Users/{id}"),
        json!([
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Finance"},
            {"op": "Replace", "path": "title", "value": "Lead"},
            {"op": "Replace", "path": "name.givenName", "value": "Dana"}
        ]),
    );
    assert_eq!(seat(&s, &id), "viewer");
    assert_eq!(actions(&s, &id).len(), before, "{:?}", actions(&s, &id));
    // Okta's PUT carrying the same roles is not one either.
    let put = okta_user("dana", json!([okta_role("LICENSED_USER")]));
    expect_scim(&s.scim("PUT", &format!("/Users/{id}"), Some(&put)), 200);
    assert_eq!(seat(&s, &id), "viewer");
    // A manual seat survives profile edits.
    admin(&s, "PUT", &format!("/admin/users/{id}/seat"), Some(&json!({"seat": "no_access"})));
    patch(&s, &format!("/Users/{id}"), json!([{"op": "Replace", "path": "title", "value": "Boss"}]));
    assert_eq!(seat(&s, &id), "no_access");
    // Entra's AppRoleAssignmentsComplex PATCH that changes the roles is an update call.
    patch(
        &s,
        &format!("/Users/{id}"),
        json!([{"op": "Add", "path": "roles", "value": [
        {"value": "{\"id\":\"8d9e\",\"value\":\"GROUP_ADMIN\",\"displayName\":\"Group Admin\"}"}]}]),
    );
    assert_eq!(seat(&s, &id), "member");
    assert_eq!(actions(&s, &id).last().map(String::as_str), Some("di_upgrade"));
}

// 3. With deprovision = delete, active=false removes the user for good, as a DELETE does.
#[test]
fn active_false_hard_deletes_with_deprovision_delete() {
    let s = Server::start();
    settings(&s, json!({"deprovision": "delete"}));
    let entra = create(&s, &entra_user("gone", None));
    // Entra's disable: a PATCH with the string "False".
    let r = s.scim(
        "PATCH",
        &format!("/Users/{entra}"),
        Some(&patch_ops(json!([{"op": "Replace", "path": "active", "value": "False"}]))),
    );
    let v = expect_scim(&r, 200);
    assert_eq!(v["active"], false, "answered with the last representation: {v}");
    expect_scim_error(&s.scim("GET", &format!("/Users/{entra}"), None), 404, None);
    let (total, _) =
        expect_list(&s.scim("GET", &format!("/Users?filter=userName%20eq%20%22{}%22", email("gone")), None));
    assert_eq!(total, 0);
    assert_eq!(s.admin("GET", &format!("/admin/users/{entra}"), None).status, 404);
    let audit = admin(&s, "GET", &format!("/admin/audit?user_id={entra}"), None);
    assert_eq!(audit["items"][0]["action"], "deleted", "{audit}");
    // The guard counted it, and the userName is free again.
    assert_eq!(admin(&s, "GET", "/admin/deprovision-guard", None)["deprovisions_in_window"], 1);
    create(&s, &entra_user("gone", None));
    // Okta's AIW PUT with active false does the same.
    let okta = create(&s, &okta_user("okgone", json!([])));
    let mut put = okta_user("okgone", json!([]));
    put["active"] = json!(false);
    expect_scim(&s.scim("PUT", &format!("/Users/{okta}"), Some(&put)), 200);
    expect_scim_error(&s.scim("GET", &format!("/Users/{okta}"), None), 404, None);
    assert_eq!(admin(&s, "GET", "/admin/deprovision-guard", None)["deprovisions_in_window"], 2);
}

// 8. Entra's custom extension attributes are stored and returned as sent.
#[test]
fn entra_custom_extensions_are_kept_as_sent() {
    let s = Server::start();
    // Entra sends the object without listing its URN in `schemas`.
    let mut body = entra_user("ext", None);
    body[CUSTOM_URN] = json!({"CustomAttribute": "Value", "badge": 7});
    let created = expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    assert_eq!(created[CUSTOM_URN], json!({"CustomAttribute": "Value", "badge": 7}), "{created}");
    assert!(created["schemas"].as_array().unwrap().contains(&json!(CUSTOM_URN)), "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)[CUSTOM_URN]["badge"], 7);
    let (_, listed) = expect_list(&s.scim("GET", "/Users", None));
    assert_eq!(listed[0][CUSTOM_URN]["CustomAttribute"], "Value");
    // PATCH by URN path, as Entra maps a custom attribute.
    patch(
        &s,
        &format!("/Users/{id}"),
        json!([{"op": "Replace", "path": format!("{CUSTOM_URN}:CustomAttribute"), "value": "New"}]),
    );
    let got = expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200);
    assert_eq!(got[CUSTOM_URN], json!({"CustomAttribute": "New", "badge": 7}), "{got}");
    patch(&s, &format!("/Users/{id}"), json!([{"op": "Remove", "path": format!("{CUSTOM_URN}:badge")}]));
    let got = expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200);
    assert_eq!(got[CUSTOM_URN], json!({"CustomAttribute": "New"}), "{got}");
    // A custom extension with a value that is no object is a clear 400 that changes nothing.
    let mut bad = entra_user("flat", None);
    bad[CUSTOM_URN] = json!("flat");
    expect_scim_error(&s.scim("POST", "/Users", Some(&bad)), 400, Some("invalidValue"));
}

// 10. The guard's status and its answers come from one computation.
#[test]
fn the_guards_status_agrees_with_its_answers() {
    let s = Server::start();
    let ids: Vec<String> = (0..5).map(|i| create(&s, &okta_user(&format!("g{i}"), json!([])))).collect();
    for id in &ids[..4] {
        patch(&s, &format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": false}}]));
    }
    let guard = admin(&s, "GET", "/admin/deprovision-guard", None);
    assert_eq!(
        (guard["tripped"].clone(), guard["deprovisions_in_window"].clone()),
        (json!(false), json!(4)),
        "{guard}"
    );
    // Lowering the maximum below the deprovisions in the window trips it, and the status says so.
    settings(&s, json!({"deprovision_guard": {"max": 2}}));
    let guard = admin(&s, "GET", "/admin/deprovision-guard", None);
    assert_eq!(guard["tripped"], true, "{guard}");
    let r = s.scim(
        "PATCH",
        &format!("/Users/{}", ids[4]),
        Some(&patch_ops(json!([{"op": "replace", "value": {"active": false}}]))),
    );
    expect_scim_error(&r, 429, None);
    admin(&s, "POST", "/admin/deprovision-guard/reset", None);
    assert_eq!(admin(&s, "GET", "/admin/deprovision-guard", None)["tripped"], false);
    patch(&s, &format!("/Users/{}", ids[4]), json!([{"op": "replace", "value": {"active": false}}]));
}

// 11. Guests are guests on every plan model.
#[test]
fn guests_show_their_seat_on_legacy_plans() {
    let s = Server::start();
    let g = admin(&s, "POST", "/admin/guests", Some(&json!({"email": "vendor@partner.org"})));
    settings(&s, json!({"plan_model": "legacy"}));
    let v = admin(&s, "GET", &format!("/admin/users/{}", g["id"].as_str().unwrap()), None);
    assert_eq!((v["seat"].clone(), v["seat_label"].clone()), (json!("guest"), json!("Guest")), "{v}");
    let csv = s.admin("GET", "/admin/reports/users.csv", None).text();
    let line = csv.lines().find(|l| l.contains("vendor@partner.org")).unwrap();
    assert!(line.contains("\"Guest\""), "{line}");
}

// 12. Refusals and warnings say what will really happen and the way out.
#[test]
fn refusals_and_warnings_give_the_real_way_out() {
    let s = Server::start();
    let id = create(&s, &okta_user("wren", json!([okta_role("LICENSED_USER")])));
    let r = s.admin("DELETE", &format!("/admin/users/{id}"), None);
    assert_eq!(r.status, 409, "{}", r.text());
    let detail = r.json()["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("unassign or deactivate the user in the IdP")
            && !detail.contains("set the seat to no_access"),
        "{detail}"
    );
    // A manual seat the next update call will undo: the answer says so.
    let v = admin(&s, "PUT", &format!("/admin/users/{id}/seat"), Some(&json!({"seat": "viewer"})));
    let warning = v["warning"].as_str().unwrap_or_else(|| panic!("{v}"));
    assert!(warning.contains("next update call") && warning.contains("member"), "{warning}");
    // A member seat over a viewer target is undone too; the seat the roles ask for is kept: no warning.
    let plain = create(&s, &okta_user("plain", json!([])));
    let v = admin(&s, "PUT", &format!("/admin/users/{plain}/seat"), Some(&json!({"seat": "member"})));
    assert!(v["warning"].as_str().is_some_and(|w| w.contains("viewer")), "{v}");
    let v = admin(&s, "PUT", &format!("/admin/users/{plain}/seat"), Some(&json!({"seat": "viewer"})));
    assert!(v.get("warning").is_none(), "the next update call keeps viewer: {v}");
    // DI off: nothing will undo a manual seat.
    admin(&s, "POST", "/admin/di/disable", None);
    let v = admin(&s, "PUT", &format!("/admin/users/{plain}/seat"), Some(&json!({"seat": "member"})));
    assert!(v.get("warning").is_none(), "{v}");
}

// 13. A refused re-creation is recorded once, shown, and cleared by reactivation.
#[test]
fn a_refused_re_creation_is_recorded_once_and_shown() {
    let s = Server::start();
    let id = create(&s, &entra_user("back", None));
    assert_eq!(s.scim("DELETE", &format!("/Users/{id}"), None).status, 204);
    // Entra's cycle: the query misses (the user is hidden), so it creates, every cycle.
    for _ in 0..3 {
        let (total, _) =
            expect_list(&s.scim("GET", &format!("/Users?filter=userName+eq+%22{}%22", email("back")), None));
        assert_eq!(total, 0);
        let v = expect_scim_error(
            &s.scim("POST", "/Users", Some(&entra_user("back", None))),
            409,
            Some("uniqueness"),
        );
        assert!(v["detail"].as_str().unwrap().contains("deleted through SCIM"), "{v}");
    }
    let refused: Vec<String> = actions(&s, &id).into_iter().filter(|a| a == "recreate_refused").collect();
    assert_eq!(refused.len(), 1, "recorded once: {:?}", actions(&s, &id));
    let user = admin(&s, "GET", &format!("/admin/users/{id}"), None);
    assert!(user["recreate_refused_at"].is_string(), "{user}");
    let ex = admin(&s, "GET", &format!("/admin/users/{id}/explain"), None);
    let reason = ex["reasons"].as_array().unwrap().iter().find(|r| r["code"] == "recreate_refused").cloned();
    let reason = reason.unwrap_or_else(|| panic!("{ex}"));
    assert!(reason["detail"].as_str().unwrap().contains("reactivate"), "{reason}");
    // The way out: reactivate with DI off; then the IdP's query finds the user.
    admin(&s, "POST", "/admin/di/disable", None);
    admin(&s, "POST", &format!("/admin/users/{id}/reactivate"), None);
    admin(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})));
    let user = admin(&s, "GET", &format!("/admin/users/{id}"), None);
    assert!(user.get("recreate_refused_at").is_none(), "{user}");
    let (total, found) =
        expect_list(&s.scim("GET", &format!("/Users?filter=userName+eq+%22{}%22", email("back")), None));
    assert_eq!((total, found[0]["id"].as_str()), (1, Some(id.as_str())));
}

// 14. Lab initialisation leaves a trace.
#[test]
fn lab_initialisation_is_audited_and_dates_the_di_switch() {
    let s = Server::start();
    let di = admin(&s, "GET", "/admin/di", None);
    assert!(di["changed_at"].is_string(), "{di}");
    let audit = admin(&s, "GET", "/admin/audit?limit=10", None);
    let events: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["source"].as_str().unwrap().to_string()))
        .collect();
    for action in ["initialised", "domain_verified", "di_enabled"] {
        assert!(events.contains(&(action.to_string(), "system".to_string())), "{action}: {events:?}");
    }
    // `init --lab` from the CLI records the same with actor cli.
    let dir = crate::harness::TempDir::new();
    let db = dir.path().join("lab.db");
    let (code, _, err) = crate::harness::cli(&db, &["init", "--lab", "example.com"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = crate::harness::cli(&db, &["di", "status", "--json"]);
    assert_eq!(code, 0);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert!(status["changed_at"].is_string() && status["enabled"] == true, "{status}");
}
