//! Directory Integration's seat rules (SPEC section 3), driven through SCIM the way Entra and Okta
//! send them, and checked the way a plan administrator sees them: the SCIM seat extension, the admin
//! API's user and explain views, and the audit log (one event per change, with the token's name as
//! actor, `scim` as source, the seat and status before and after, and a reason).

use crate::harness::{
    ENTERPRISE_URN, GROUP_URN, Resp, SEAT_URN, Server, USER_URN, expect_list, expect_scim, expect_scim_error,
    patch_ops, query_escape,
};
use serde_json::{Value, json};

/// The name of the SCIM token `serve --lab` creates: the actor of every SCIM audit event here.
const SCIM_ACTOR: &str = "initial scim";
const ADMIN_ACTOR: &str = "initial admin";

fn email(local: &str) -> String {
    format!("{local}@example.com")
}

/// An Okta role entry (`type`-keyed; an empty value means the role is not held).
fn okta_role(value: &str) -> Value {
    json!({"type": value, "value": value})
}

/// Okta's user body with these roles.
fn user_body(local: &str, roles: Value) -> Value {
    json!({
        "schemas": [USER_URN],
        "userName": email(local),
        "active": true,
        "name": {"givenName": local, "familyName": "Tester"},
        "emails": [{"value": email(local), "primary": true, "type": "work"}],
        "roles": roles,
    })
}

/// Creates a user with these roles; returns its SCIM representation.
fn create(s: &Server, local: &str, roles: Value) -> Value {
    expect_scim(&s.scim("POST", "/Users", Some(&user_body(local, roles))), 201)
}

/// Creates a user with these roles; returns its id.
fn create_id(s: &Server, local: &str, roles: Value) -> String {
    create(s, local, roles)["id"].as_str().unwrap().to_string()
}

fn scim_user(s: &Server, id: &str) -> Value {
    expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)
}

fn patch_user(s: &Server, id: &str, ops: Value) -> Resp {
    s.scim("PATCH", &format!("/Users/{id}"), Some(&patch_ops(ops)))
}

/// An update call that changes nothing but the title (Okta's profile push).
/// A profile edit: not an update call (it changes no role).
fn touch(s: &Server, id: &str, title: &str) {
    let r = patch_user(s, id, json!([{"op": "replace", "path": "title", "value": title}]));
    expect_scim(&r, 200);
}

/// An update call that asks for no more than before: the IdP adds the base role SMARTSHEET_USER (a
/// viewer role) to the user's `roles`, as Okta does when an admin assigns it.
fn role_update(s: &Server, id: &str) {
    let r = patch_user(
        s,
        id,
        json!([{"op": "add", "path": "roles", "value": [{"type": "SMARTSHEET_USER", "value": "SMARTSHEET_USER"}]}]),
    );
    expect_scim(&r, 200);
}

fn admin_ok(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text());
    r.json()
}

fn admin_user(s: &Server, id: &str) -> Value {
    admin_ok(s, "GET", &format!("/admin/users/{id}"), None)
}

fn explain(s: &Server, id: &str) -> Value {
    admin_ok(s, "GET", &format!("/admin/users/{id}/explain"), None)
}

fn reason_codes(explained: &Value) -> Vec<String> {
    explained["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

fn set_settings(s: &Server, body: Value) -> Value {
    admin_ok(s, "PATCH", "/admin/settings", Some(&body))
}

/// The seat as the IdP (SCIM seat extension) and the administrator (admin API) see it; both agree.
#[track_caller]
fn assert_seat(s: &Server, id: &str, want: Option<&str>) {
    let scim = scim_user(s, id);
    assert_eq!(scim[SEAT_URN]["seatType"].as_str(), want, "SCIM seat extension: {scim}");
    let admin = admin_user(s, id);
    assert_eq!(admin["seat"].as_str(), want, "admin user: {admin}");
}

/// The admin view's seat (for users SCIM no longer shows).
#[track_caller]
fn assert_admin_seat(s: &Server, id: &str, want: Option<&str>, status: &str) {
    let admin = admin_user(s, id);
    assert_eq!(admin["seat"].as_str(), want, "{admin}");
    assert_eq!(admin["status"], status, "{admin}");
}

/// The user's audit events, newest first.
fn audit(s: &Server, id: &str) -> Vec<Value> {
    admin_ok(s, "GET", &format!("/admin/audit?user_id={id}&limit=1000"), None)["items"]
        .as_array()
        .unwrap()
        .clone()
}

/// Runs `step` and asserts it wrote exactly `n` audit events for the user; returns them newest first.
#[track_caller]
fn events_of(s: &Server, id: &str, n: usize, step: impl FnOnce()) -> Vec<Value> {
    let before = audit(s, id).len();
    step();
    let after = audit(s, id);
    assert_eq!(after.len(), before + n, "expected {n} new audit event(s): {after:#?}");
    after[..n].to_vec()
}

/// Runs `step` and asserts it wrote exactly one audit event for the user; returns it.
#[track_caller]
fn one_event(s: &Server, id: &str, step: impl FnOnce()) -> Value {
    events_of(s, id, 1, step).remove(0)
}

fn state(seat: Option<&str>, status: Option<&str>) -> Value {
    json!({"seat": seat, "status": status})
}

fn active(seat: &str) -> Value {
    state(Some(seat), Some("active"))
}

/// An audit event of a SCIM change: action, actor, source, before/after, a reason, a request id.
#[track_caller]
fn assert_event(e: &Value, actor: &str, source: &str, action: &str, before: Value, after: Value) {
    assert_eq!(e["action"], action, "{e}");
    assert_eq!(e["actor"], actor, "{e}");
    assert_eq!(e["source"], source, "{e}");
    assert_eq!(e["before"], before, "{e}");
    assert_eq!(e["after"], after, "{e}");
    assert!(e["reason"].as_str().is_some_and(|r| !r.trim().is_empty()), "no reason: {e}");
    assert!(e["at"].as_str().is_some_and(|r| !r.is_empty()), "no time: {e}");
}

#[track_caller]
fn assert_scim_event(e: &Value, action: &str, before: Value, after: Value) {
    assert_event(e, SCIM_ACTOR, "scim", action, before, after);
    assert!(e["request_id"].as_str().is_some_and(|r| !r.is_empty()), "no request id: {e}");
}

/// Creates an empty group (Okta pushes the group first, then its members); returns its id.
fn create_group(s: &Server, name: &str) -> String {
    let body = json!({"schemas": [GROUP_URN], "displayName": name});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn add_member(s: &Server, gid: &str, uid: &str) {
    let ops = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]));
    let r = s.scim("PATCH", &format!("/Groups/{gid}"), Some(&ops));
    assert_eq!(r.status, 204, "{}", r.text());
}

/// Entra's member removal: `Remove` with a value list and no filter.
fn remove_member(s: &Server, gid: &str, uid: &str) {
    let ops = patch_ops(json!([{"op": "Remove", "path": "members", "value": [{"value": uid}]}]));
    let r = s.scim("PATCH", &format!("/Groups/{gid}"), Some(&ops));
    assert_eq!(r.status, 204, "{}", r.text());
}

/// Okta's path-less deactivation.
fn deactivate(s: &Server, id: &str) -> Resp {
    patch_user(s, id, json!([{"op": "replace", "value": {"active": false}}]))
}

fn system_event(s: &Server, id: &str, kind: &str) -> Value {
    admin_ok(s, "POST", &format!("/admin/users/{id}/events"), Some(&json!({"type": kind})))
}

fn find_user_names(s: &Server, user_name: &str) -> Vec<String> {
    let filter = query_escape(&format!("userName eq \"{user_name}\""));
    let (_, found) = expect_list(&s.scim("GET", &format!("/Users?filter={filter}"), None));
    found.iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
}

// ------------------------------------------------------------------------------------------------
// Roles and the target seat

#[test]
fn user_with_no_role_is_provisioned_as_viewer_and_audited_once() {
    let s = Server::start();
    let created = create(&s, "ada", json!([]));
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created[SEAT_URN]["seatType"], "viewer", "{created}");
    assert_eq!(created[SEAT_URN]["status"], "active", "{created}");
    assert_eq!(created[SEAT_URN]["managedByDirectory"], true, "{created}");
    assert_seat(&s, &id, Some("viewer"));
    let admin = admin_user(&s, &id);
    assert_eq!(admin["seat_label"], "Viewer", "{admin}");
    assert_eq!(admin["managed_by_directory"], true, "{admin}");
    let events = audit(&s, &id);
    assert_eq!(events.len(), 1, "one change, one event: {events:#?}");
    assert_scim_event(&events[0], "provisioned", state(None, None), active("viewer"));
    assert_eq!(events[0]["user_id"], id.as_str());
}

#[test]
fn audit_actor_is_the_name_of_the_scim_token_used() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/tokens", Some(&json!({"name": "okta-prod", "scope": "scim"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["token"].as_str().unwrap().to_string();
    let body = user_body("grace", json!([okta_role("LICENSED_USER")]));
    let created = expect_scim(&s.scim_as(&token, "POST", "/Users", Some(&body)), 201);
    let id = created["id"].as_str().unwrap();
    let events = audit(&s, id);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_event(&events[0], "okta-prod", "scim", "provisioned", state(None, None), active("member"));
}

#[test]
fn okta_roles_attribute_licensed_user_gives_member_at_create() {
    let s = Server::start();
    let created = create(&s, "lin", json!([okta_role("LICENSED_USER")]));
    assert_eq!(created[SEAT_URN]["seatType"], "member", "{created}");
    let id = created["id"].as_str().unwrap();
    assert_seat(&s, id, Some("member"));
    let roles = admin_user(&s, id)["roles"].clone();
    assert_eq!(
        roles,
        json!([{"role": "Smartsheet Licensed User", "value": "LICENSED_USER", "source": "roles_attribute"}])
    );
    // Okta sends an empty value for a role the user does not hold.
    let created = create(&s, "nol", json!([{"type": "LICENSED_USER", "value": ""}]));
    assert_eq!(created[SEAT_URN]["seatType"], "viewer", "{created}");
    // Role values match mapping values, variable names and role names, ignoring case.
    for (i, value) in
        ["licensed_user", "smartsheetLicensedUser", "Smartsheet Licensed User"].iter().enumerate()
    {
        let created = create(&s, &format!("alias{i}"), json!([{"type": "LICENSED_USER", "value": value}]));
        assert_eq!(created[SEAT_URN]["seatType"], "member", "{value}: {created}");
    }
}

#[test]
fn entra_app_role_assignments_move_the_seat_on_patch() {
    let s = Server::start();
    let body = json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": "e-1",
        "userName": email("entra"),
        "active": true,
        "roles": [],
    });
    let id = expect_scim(&s.scim("POST", "/Users", Some(&body)), 201)["id"].as_str().unwrap().to_string();
    assert_seat(&s, &id, Some("viewer"));
    // AppRoleAssignmentsComplex: the value is a JSON string carrying the role's value.
    let inner = json!({"id": "06b07648-ecfe-599f-9d2f-6325724a46ee", "value": "LICENSED_USER", "displayName": "Licensed"});
    let e = one_event(&s, &id, || {
        let r = patch_user(
            &s,
            &id,
            json!([{"op": "Add", "path": "roles", "value": [{"value": inner.to_string()}]}]),
        );
        expect_scim(&r, 200);
    });
    assert_scim_event(&e, "di_upgrade", active("viewer"), active("member"));
    assert_seat(&s, &id, Some("member"));
    // AssertiveAppRoleAssignmentsComplex replaces the whole list: the licensed role is gone.
    let e = one_event(&s, &id, || {
        let r = patch_user(
            &s,
            &id,
            json!([{"op": "replace", "path": "roles", "value": [
                {"primary": "False", "type": "WindowsAzureActiveDirectoryRole", "display": "User", "value": "SMARTSHEET_USER"}
            ]}]),
        );
        expect_scim(&r, 200);
    });
    assert_scim_event(&e, "di_downgrade", active("member"), active("viewer"));
    assert_seat(&s, &id, Some("viewer"));
}

#[test]
fn member_role_group_add_upgrades_and_removal_downgrades() {
    let s = Server::start();
    let id = create_id(&s, "mia", json!([]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    let e = one_event(&s, &id, || add_member(&s, &gid, &id));
    assert_scim_event(&e, "di_upgrade", active("viewer"), active("member"));
    assert_seat(&s, &id, Some("member"));
    let roles = admin_user(&s, &id)["roles"].clone();
    assert_eq!(
        roles,
        json!([{"role": "Smartsheet Licensed User", "value": "Smartsheet Licensed User", "source": "group",
                "group": "Smartsheet Licensed User"}])
    );
    let e = one_event(&s, &id, || remove_member(&s, &gid, &id));
    assert_scim_event(&e, "di_downgrade", active("member"), active("viewer"));
    assert_seat(&s, &id, Some("viewer"));
}

#[test]
fn role_groups_match_by_mapping_value_or_variable_name_ignoring_case() {
    let s = Server::start();
    for (i, name) in
        ["LICENSED_USER", "smartsheetlicenseduser", "Group_Admin", "RESOURCE_VIEWER"].iter().enumerate()
    {
        let id = create_id(&s, &format!("g{i}"), json!([]));
        let gid = create_group(&s, name);
        add_member(&s, &gid, &id);
        let scim = scim_user(&s, &id);
        assert_eq!(scim[SEAT_URN]["seatType"], "member", "group {name:?}: {scim}");
    }
    // A group that names a viewer role, or no role, leaves the viewer seat alone.
    let id = create_id(&s, "plain", json!([]));
    for name in ["SMARTSHEET_USER", "Engineering"] {
        let gid = create_group(&s, name);
        add_member(&s, &gid, &id);
    }
    assert_seat(&s, &id, Some("viewer"));
}

#[test]
fn most_privileged_role_wins_across_groups_and_roles_attribute() {
    let s = Server::start();
    let id = create_id(&s, "max", json!([okta_role("SMARTSHEET_USER")]));
    let admins = create_group(&s, "Smartsheet System Admin");
    let licensed = create_group(&s, "Smartsheet Licensed User");
    add_member(&s, &admins, &id);
    assert_seat(&s, &id, Some("viewer"));
    add_member(&s, &licensed, &id);
    assert_seat(&s, &id, Some("member"));
    // Leaving the viewer-role group changes nothing: the member group still wins.
    let e = events_of(&s, &id, 0, || remove_member(&s, &admins, &id));
    assert!(e.is_empty());
    assert_seat(&s, &id, Some("member"));
    // The roles attribute alone keeps the member seat when the member group goes.
    let put = user_body("max", json!([okta_role("SMARTSHEET_USER"), okta_role("GROUP_ADMIN")]));
    expect_scim(&s.scim("PUT", &format!("/Users/{id}"), Some(&put)), 200);
    remove_member(&s, &licensed, &id);
    assert_seat(&s, &id, Some("member"));
    assert_eq!(admin_user(&s, &id)["admin_roles"], json!(["group_admin"]));
    // Okta's whole-object PUT with the role's value emptied: nothing implies member any more.
    let put = user_body("max", json!([okta_role("SMARTSHEET_USER"), {"type": "GROUP_ADMIN", "value": ""}]));
    let e = one_event(&s, &id, || {
        expect_scim(&s.scim("PUT", &format!("/Users/{id}"), Some(&put)), 200);
    });
    assert_scim_event(&e, "di_downgrade", active("member"), active("viewer"));
    assert_seat(&s, &id, Some("viewer"));
}

#[test]
fn system_admin_role_gives_viewer_with_admin_roles() {
    let s = Server::start();
    let created = create(&s, "sam", json!([okta_role("SYSTEM_ADMIN")]));
    assert_eq!(created[SEAT_URN]["seatType"], "viewer", "{created}");
    let rights = json!(["user_admin", "payment_admin", "data_admin"]);
    assert_eq!(created[SEAT_URN]["adminRoles"], rights, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_seat(&s, id, Some("viewer"));
    assert_eq!(admin_user(&s, id)["admin_roles"], rights);
    // Each sub-role grants its own right (SPEC section 3): USER_ADMIN, PAYMENT_ADMIN, DATA_ADMIN.
    for (value, right) in
        [("USER_ADMIN", "user_admin"), ("PAYMENT_ADMIN", "payment_admin"), ("DATA_ADMIN", "data_admin")]
    {
        let created = create(&s, &value.to_lowercase(), json!([okta_role(value)]));
        assert_eq!(created[SEAT_URN]["adminRoles"], json!([right]), "{created}");
        assert_eq!(created[SEAT_URN]["seatType"], "viewer", "{created}");
    }
    let created = create(&s, "two", json!([okta_role("PAYMENT_ADMIN"), okta_role("DATA_ADMIN")]));
    assert_eq!(created[SEAT_URN]["adminRoles"], json!(["payment_admin", "data_admin"]), "{created}");
    // Admin rights do not buy a member seat, but a licensed role with them does.
    let created = create(&s, "both", json!([okta_role("SYSTEM_ADMIN"), okta_role("LICENSED_USER")]));
    assert_eq!(created[SEAT_URN]["seatType"], "member", "{created}");
    assert_eq!(created[SEAT_URN]["adminRoles"], rights, "{created}");
}

#[test]
fn unknown_role_is_kept_and_seat_neutral() {
    let s = Server::start();
    let id = create_id(&s, "una", json!([okta_role("CHIEF_WIZARD")]));
    let gid = create_group(&s, "Wizards");
    add_member(&s, &gid, &id);
    assert_seat(&s, &id, Some("viewer"));
    let admin = admin_user(&s, &id);
    let roles = admin["roles"].as_array().unwrap();
    assert!(
        roles
            .iter()
            .any(|r| r["value"] == "CHIEF_WIZARD" && r["role"].is_null() && r["source"] == "roles_attribute"),
        "{admin}"
    );
    assert!(roles.iter().any(|r| r["group"] == "Wizards" && r["role"].is_null()), "{admin}");
    let ex = explain(&s, &id);
    assert_eq!(reason_codes(&ex).iter().filter(|c| *c == "unknown_role").count(), 2, "{ex}");
    assert!(ex.to_string().contains("CHIEF_WIZARD"), "{ex}");
    assert_eq!(ex["target_seat"], "viewer");
    // An unknown role next to a member role takes nothing away.
    let created = create(&s, "mix", json!([okta_role("CHIEF_WIZARD"), okta_role("LICENSED_USER")]));
    assert_eq!(created[SEAT_URN]["seatType"], "member", "{created}");
}

#[test]
fn role_group_prefix_strips_the_app_label_from_group_names() {
    let s = Server::start();
    let early = create_id(&s, "early", json!([]));
    let gid = create_group(&s, "Smartsheet US Licensed User");
    add_member(&s, &gid, &early);
    // Without a prefix the group matches no role.
    assert_seat(&s, &early, Some("viewer"));
    assert!(reason_codes(&explain(&s, &early)).contains(&"unknown_role".to_string()));
    let settings = set_settings(&s, json!({"role_group_prefix": "Smartsheet US "}));
    assert_eq!(settings["role_group_prefix"], "Smartsheet US ", "{settings}");
    // The prefix is not retroactive: the early member waits for an update call.
    assert_seat(&s, &early, Some("viewer"));
    let ex = explain(&s, &early);
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert_eq!(ex["would_change"], true, "{ex}");
    assert_eq!(reason_codes(&ex), ["awaiting_update_call"], "{ex}");
    // A member added now is matched with the prefix stripped.
    let late = create_id(&s, "late", json!([]));
    let e = one_event(&s, &late, || add_member(&s, &gid, &late));
    assert_scim_event(&e, "di_upgrade", active("viewer"), active("member"));
    assert_seat(&s, &late, Some("member"));
    assert_eq!(admin_user(&s, &late)["roles"][0]["role"], "Smartsheet Licensed User");
    // And the early member's next update call applies it.
    role_update(&s, &early);
    assert_seat(&s, &early, Some("member"));
}

// ------------------------------------------------------------------------------------------------
// Applying the target: provisional members, admin choices, not retroactive

#[test]
fn provisional_member_is_not_downgraded_by_di() {
    let s = Server::start();
    let id = create_id(&s, "pia", json!([okta_role("SMARTSHEET_USER")]));
    let after = system_event(&s, &id, "qualifying_action");
    assert_eq!(after["seat"], "provisional_member", "{after}");
    assert!(after["provisional_until"].is_string(), "{after}");
    assert_eq!(scim_user(&s, &id)[SEAT_URN]["seatType"], "provisional_member");
    assert!(scim_user(&s, &id)[SEAT_URN]["provisionalUntil"].is_string());
    // The IdP removes the user's only role: an update call whose target is viewer.
    let e = events_of(&s, &id, 0, || {
        let r = patch_user(&s, &id, json!([{"op": "replace", "path": "roles", "value": []}]));
        expect_scim(&r, 200);
    });
    assert!(e.is_empty());
    assert_seat(&s, &id, Some("provisional_member"));
    let ex = explain(&s, &id);
    assert_eq!(ex["target_seat"], "viewer", "{ex}");
    assert_eq!(ex["would_change"], false, "{ex}");
    assert_eq!(reason_codes(&ex), ["provisional_not_downgraded"], "{ex}");
    // A member role group upgrades the provisional member.
    let gid = create_group(&s, "Smartsheet Licensed User");
    let e = one_event(&s, &id, || add_member(&s, &gid, &id));
    assert_scim_event(&e, "di_upgrade", active("provisional_member"), active("member"));
    assert_seat(&s, &id, Some("member"));
    assert!(admin_user(&s, &id).get("provisional_until").is_none_or(Value::is_null));
}

#[test]
fn no_access_set_by_admin_is_replaced_by_the_next_update_call() {
    let s = Server::start();
    let viewer = create_id(&s, "nav", json!([]));
    let member = create_id(&s, "nam", json!([okta_role("LICENSED_USER")]));
    for id in [&viewer, &member] {
        let r = s.admin("PUT", &format!("/admin/users/{id}/seat"), Some(&json!({"seat": "no_access"})));
        assert_eq!(r.status, 200, "{}", r.text());
        assert_seat(&s, id, Some("no_access"));
    }
    // Reading the user is not an update call.
    scim_user(&s, &viewer);
    assert_seat(&s, &viewer, Some("no_access"));
    let e = one_event(&s, &viewer, || role_update(&s, &viewer));
    assert_scim_event(&e, "di_upgrade", active("no_access"), active("viewer"));
    assert_seat(&s, &viewer, Some("viewer"));
    let e = one_event(&s, &member, || role_update(&s, &member));
    assert_scim_event(&e, "di_upgrade", active("no_access"), active("member"));
    assert_seat(&s, &member, Some("member"));
}

#[test]
fn manual_seat_is_kept_until_the_next_update_call() {
    let s = Server::start();
    let id = create_id(&s, "mo", json!([]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    add_member(&s, &gid, &id);
    let r = s.admin(
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "viewer", "reason": "budget"})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_seat(&s, &id, Some("viewer"));
    let ex = explain(&s, &id);
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert_eq!(ex["would_change"], true, "{ex}");
    assert_eq!(reason_codes(&ex), ["manual_change"], "{ex}");
    // Other users' update calls and reads leave the admin's choice alone.
    let other = create_id(&s, "other", json!([]));
    add_member(&s, &gid, &other);
    expect_list(&s.scim("GET", "/Users", None));
    assert_seat(&s, &id, Some("viewer"));
    // The user's own update call applies the groups again.
    let e = one_event(&s, &id, || role_update(&s, &id));
    assert_scim_event(&e, "di_upgrade", active("viewer"), active("member"));
    assert_seat(&s, &id, Some("member"));
    assert_eq!(reason_codes(&explain(&s, &id)), Vec::<String>::new());
}

#[test]
fn role_table_edit_changes_no_seat_until_an_update_call() {
    let s = Server::start();
    let id = create_id(&s, "rte", json!([okta_role("LICENSED_USER")]));
    let mut table = admin_ok(&s, "GET", "/admin/role-mappings", None);
    let items = table["items"].as_array_mut().unwrap();
    let licensed = items.iter_mut().find(|r| r["name"] == "Smartsheet Licensed User").unwrap();
    licensed["seat"] = json!("viewer");
    admin_ok(&s, "PUT", "/admin/role-mappings", Some(&json!({"items": table["items"].clone()})));
    // Not retroactive: the member stays member, and explain says why.
    assert_seat(&s, &id, Some("member"));
    let ex = explain(&s, &id);
    assert_eq!(ex["target_seat"], "viewer", "{ex}");
    assert_eq!(ex["would_change"], true, "{ex}");
    assert_eq!(reason_codes(&ex), ["awaiting_update_call"], "{ex}");
    let e = one_event(&s, &id, || role_update(&s, &id));
    assert_scim_event(&e, "di_downgrade", active("member"), active("viewer"));
    assert_seat(&s, &id, Some("viewer"));
}

#[test]
fn group_rename_changes_no_seat_until_an_update_call() {
    let s = Server::start();
    let id = create_id(&s, "ren", json!([]));
    let gid = create_group(&s, "Engineering");
    add_member(&s, &gid, &id);
    // Okta's rename: a path-less replace carrying id and displayName; members are left alone.
    let e = events_of(&s, &id, 0, || {
        let ops = patch_ops(
            json!([{"op": "replace", "value": {"id": gid, "displayName": "Smartsheet Licensed User"}}]),
        );
        let r = s.scim("PATCH", &format!("/Groups/{gid}"), Some(&ops));
        assert_eq!(r.status, 204, "{}", r.text());
    });
    assert!(e.is_empty());
    let group = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(group["displayName"], "Smartsheet Licensed User");
    assert_eq!(group["members"][0]["value"], id.as_str(), "{group}");
    assert_seat(&s, &id, Some("viewer"));
    let ex = explain(&s, &id);
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert_eq!(reason_codes(&ex), ["awaiting_update_call"], "{ex}");
    let e = one_event(&s, &id, || role_update(&s, &id));
    assert_scim_event(&e, "di_upgrade", active("viewer"), active("member"));
    assert_seat(&s, &id, Some("member"));
}

#[test]
fn group_delete_is_an_update_call_for_each_member() {
    let s = Server::start();
    let a = create_id(&s, "gda", json!([]));
    let b = create_id(&s, "gdb", json!([okta_role("LICENSED_USER")]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    add_member(&s, &gid, &a);
    add_member(&s, &gid, &b);
    assert_seat(&s, &a, Some("member"));
    let r = s.scim("DELETE", &format!("/Groups/{gid}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_seat(&s, &a, Some("viewer"));
    // b keeps the member seat from its roles attribute.
    assert_seat(&s, &b, Some("member"));
    assert_scim_event(&audit(&s, &a)[0], "di_downgrade", active("member"), active("viewer"));
}

// ------------------------------------------------------------------------------------------------
// Deprovisioning and reactivation

#[test]
fn active_false_deactivates_frees_the_seat_and_scim_still_returns_the_user() {
    let s = Server::start();
    set_settings(&s, json!({"member_seat_limit": 1}));
    let id = create_id(&s, "dee", json!([okta_role("LICENSED_USER")]));
    let e = one_event(&s, &id, || {
        let v = expect_scim(&deactivate(&s, &id), 200);
        assert_eq!(v["active"], false, "{v}");
    });
    assert_scim_event(&e, "deactivated", active("member"), state(None, Some("deactivated")));
    let v = scim_user(&s, &id);
    assert_eq!(v["active"], false, "{v}");
    assert_eq!(v[SEAT_URN]["status"], "deactivated", "{v}");
    assert!(v[SEAT_URN]["seatType"].is_null(), "{v}");
    assert_admin_seat(&s, &id, None, "deactivated");
    assert!(reason_codes(&explain(&s, &id)).contains(&"deactivated".to_string()));
    // The member seat was freed: with a limit of one, the next licensed user gets it.
    let next = create(&s, "next", json!([okta_role("LICENSED_USER")]));
    assert_eq!(next[SEAT_URN]["seatType"], "member", "{next}");
    // An update call for a deactivated user gives it no seat.
    let gid = create_group(&s, "Smartsheet Licensed User");
    add_member(&s, &gid, &id);
    assert_admin_seat(&s, &id, None, "deactivated");
}

#[test]
fn scim_reactivation_is_refused_while_di_is_on() {
    let s = Server::start();
    let id = create_id(&s, "rea", json!([okta_role("LICENSED_USER")]));
    expect_scim(&deactivate(&s, &id), 200);
    let e = events_of(&s, &id, 0, || {
        let r = patch_user(&s, &id, json!([{"op": "replace", "path": "active", "value": true}]));
        let v = expect_scim_error(&r, 400, Some("mutability"));
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains("DI off") && detail.contains("reactivate"), "{detail}");
        // Entra sends the boolean as a string; Okta PUTs the whole object: both refused.
        let r = patch_user(&s, &id, json!([{"op": "Replace", "path": "active", "value": "True"}]));
        expect_scim_error(&r, 400, Some("mutability"));
        let r = s.scim(
            "PUT",
            &format!("/Users/{id}"),
            Some(&user_body("rea", json!([okta_role("LICENSED_USER")]))),
        );
        expect_scim_error(&r, 400, Some("mutability"));
    });
    assert!(e.is_empty());
    assert_eq!(scim_user(&s, &id)["active"], false);
    assert_admin_seat(&s, &id, None, "deactivated");
}

#[test]
fn scim_reactivation_allowed_by_setting_gives_the_seat_the_roles_ask_for() {
    let s = Server::start();
    set_settings(&s, json!({"scim_reactivation": "allow"}));
    let id = create_id(&s, "back", json!([okta_role("LICENSED_USER")]));
    expect_scim(&deactivate(&s, &id), 200);
    let e = one_event(&s, &id, || {
        let r = patch_user(&s, &id, json!([{"op": "replace", "value": {"active": true}}]));
        let v = expect_scim(&r, 200);
        assert_eq!(v["active"], true, "{v}");
    });
    assert_scim_event(&e, "reactivated", state(None, Some("deactivated")), active("member"));
    assert_seat(&s, &id, Some("member"));
}

#[test]
fn scim_delete_with_deprovision_deactivate_hides_the_user_from_scim_only() {
    let s = Server::start();
    let id = create_id(&s, "del", json!([okta_role("LICENSED_USER")]));
    let e = one_event(&s, &id, || {
        let r = s.scim("DELETE", &format!("/Users/{id}"), None);
        assert_eq!(r.status, 204, "{}", r.text());
    });
    assert_scim_event(&e, "deactivated", active("member"), state(None, Some("deactivated")));
    expect_scim_error(&s.scim("GET", &format!("/Users/{id}"), None), 404, None);
    assert!(find_user_names(&s, &email("del")).is_empty());
    let admin = admin_user(&s, &id);
    assert_eq!(admin["status"], "deactivated", "{admin}");
    assert!(admin["seat"].is_null(), "{admin}");
    // The userName stays taken by the deactivated user, and the 409 says so.
    let r = s.scim("POST", "/Users", Some(&user_body("del", json!([]))));
    let v = expect_scim_error(&r, 409, Some("uniqueness"));
    assert!(v["detail"].as_str().unwrap().contains("deactivated"), "{v}");
}

#[test]
fn scim_delete_with_deprovision_delete_removes_the_user_for_good() {
    let s = Server::start();
    let settings = set_settings(&s, json!({"deprovision": "delete"}));
    assert_eq!(settings["deprovision"], "delete");
    let id = create_id(&s, "gone", json!([okta_role("LICENSED_USER")]));
    let e = one_event(&s, &id, || {
        let r = s.scim("DELETE", &format!("/Users/{id}"), None);
        assert_eq!(r.status, 204, "{}", r.text());
    });
    assert_scim_event(&e, "deleted", active("member"), state(None, None));
    expect_scim_error(&s.scim("GET", &format!("/Users/{id}"), None), 404, None);
    let r = s.admin("GET", &format!("/admin/users/{id}"), None);
    assert_eq!(r.status, 404, "{}", r.text());
    // The userName is free again.
    let again = create(&s, "gone", json!([]));
    assert_ne!(again["id"], id.as_str());
}

// ------------------------------------------------------------------------------------------------
// DI switch, domains, guests

#[test]
fn di_off_refuses_scim_writes_with_403_and_changes_nothing() {
    let s = Server::start();
    let id = create_id(&s, "off", json!([]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    let before_user = scim_user(&s, &id);
    let before_events = audit(&s, &id).len();
    let di = admin_ok(&s, "POST", "/admin/di/disable", None);
    assert_eq!(di["enabled"], false, "{di}");
    let member_add = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
    let writes: Vec<(&str, String, Option<Value>)> = vec![
        ("POST", "/Users".into(), Some(user_body("new", json!([])))),
        ("PUT", format!("/Users/{id}"), Some(user_body("off", json!([okta_role("LICENSED_USER")])))),
        (
            "PATCH",
            format!("/Users/{id}"),
            Some(patch_ops(json!([{"op": "replace", "path": "title", "value": "X"}]))),
        ),
        (
            "PATCH",
            format!("/Users/{id}"),
            Some(patch_ops(json!([{"op": "replace", "value": {"active": false}}]))),
        ),
        ("DELETE", format!("/Users/{id}"), None),
        ("POST", "/Groups".into(), Some(json!({"schemas": [GROUP_URN], "displayName": "New"}))),
        ("PATCH", format!("/Groups/{gid}"), Some(member_add)),
        ("PUT", format!("/Groups/{gid}"), Some(json!({"schemas": [GROUP_URN], "displayName": "Renamed"}))),
        ("DELETE", format!("/Groups/{gid}"), None),
    ];
    for (method, path, body) in &writes {
        let r = s.scim(method, path, body.as_ref());
        let v = expect_scim_error(&r, 403, None);
        assert!(
            v["detail"].as_str().unwrap().contains("Directory Integration is off"),
            "{method} {path}: {v}"
        );
    }
    // Reads work, and show nothing changed.
    let after_user = scim_user(&s, &id);
    assert_eq!(after_user["title"], before_user["title"]);
    assert_eq!(after_user["meta"]["version"], before_user["meta"]["version"]);
    assert_eq!(after_user[SEAT_URN]["seatType"], "viewer");
    let (total, _) = expect_list(&s.scim("GET", "/Users", None));
    assert_eq!(total, 1);
    let group = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(group["displayName"], "Smartsheet Licensed User");
    assert!(group.get("members").is_none_or(|m| m.as_array().is_some_and(Vec::is_empty)), "{group}");
    let (groups, _) = expect_list(&s.scim("GET", "/Groups", None));
    assert_eq!(groups, 1);
    let r = s.scim(
        "POST",
        "/Users/.search",
        Some(&json!({"filter": format!("userName eq \"{}\"", email("off"))})),
    );
    assert_eq!(expect_list(&r).0, 1);
    assert_eq!(audit(&s, &id).len(), before_events);
    assert!(reason_codes(&explain(&s, &id)).contains(&"di_off".to_string()));
}

#[test]
fn user_name_off_the_validated_domains_is_refused_naming_the_domain() {
    let s = Server::start();
    let body = json!({"schemas": [USER_URN], "userName": "eve@other.org", "active": true});
    let v = expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, Some("invalidValue"));
    assert!(v["detail"].as_str().unwrap().contains("other.org"), "{v}");
    // A subdomain is validated on its own.
    let body = json!({"schemas": [USER_URN], "userName": "eve@eu.example.com", "active": true});
    let v = expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, Some("invalidValue"));
    assert!(v["detail"].as_str().unwrap().contains("eu.example.com"), "{v}");
    assert!(find_user_names(&s, "eve@other.org").is_empty());
    // A userName that is no address is checked by the primary email.
    let body = json!({"schemas": [USER_URN], "userName": "eve", "active": true,
        "emails": [{"value": "eve@other.org", "primary": true}]});
    expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, Some("invalidValue"));
    let body = json!({"schemas": [USER_URN], "userName": "eve", "active": true,
        "emails": [{"value": "eve@Example.COM", "primary": true}]});
    expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    // Seed 002: "the primary email address on a validated domain" is what is checked. A userName on
    // another domain (an Entra UPN such as lee@contoso.onmicrosoft.com) with a primary email on the
    // validated domain is accepted; a userName on the domain with a primary email elsewhere is not.
    let body = json!({"schemas": [USER_URN], "userName": "lee@contoso.onmicrosoft.com", "active": true,
        "emails": [{"value": "lee@example.com", "primary": true}]});
    expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    let body = json!({"schemas": [USER_URN], "userName": "gus@example.com", "active": true,
        "emails": [{"value": "gus@gmail.com", "primary": true}]});
    let v = expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, Some("invalidValue"));
    assert!(v["detail"].as_str().unwrap().contains("gmail.com"), "{v}");
    // Renaming keeps the check on the primary email: a new userName elsewhere is fine while the
    // primary email stays on the validated domain.
    let id = create_id(&s, "move", json!([]));
    let r = patch_user(&s, &id, json!([{"op": "replace", "path": "userName", "value": "move@other.org"}]));
    expect_scim(&r, 200);
    assert_eq!(scim_user(&s, &id)["userName"], "move@other.org");
    // Moving the primary email off the validated domains is refused, and changes nothing.
    let r = patch_user(
        &s,
        &id,
        json!([{"op": "replace", "path": "emails", "value": [{"value": "move@other.org", "primary": true}]}]),
    );
    expect_scim_error(&r, 400, Some("invalidValue"));
    assert_eq!(scim_user(&s, &id)["emails"][0]["value"], email("move"));
    // Labs and test tools turn the check off.
    set_settings(&s, json!({"enforce_domains": false}));
    let body = json!({"schemas": [USER_URN], "userName": "eve@other.org", "active": true});
    let v = expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    assert_eq!(v[SEAT_URN]["seatType"], "viewer");
}

#[test]
fn guests_are_invisible_to_scim() {
    let s = Server::start();
    // A guest on a validated domain is someone the IdP manages: refused unless forced.
    let body = json!({"email": "partner@example.com", "displayName": "P"});
    let r = s.admin("POST", "/admin/guests", Some(&body));
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.json()["error"], "guest_on_validated_domain");
    assert!(r.json()["detail"].as_str().unwrap().contains("through the IdP"), "{}", r.text());
    let r = s.admin(
        "POST",
        "/admin/guests",
        Some(&json!({"email": "partner@example.com", "displayName": "P", "force": true})),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let guest = r.json();
    let gid = guest["id"].as_str().unwrap();
    create_id(&s, "staff", json!([]));
    let (total, users) = expect_list(&s.scim("GET", "/Users", None));
    assert_eq!(total, 1, "{users:?}");
    assert!(users.iter().all(|u| u["id"] != gid));
    assert!(find_user_names(&s, "partner@example.com").is_empty());
    expect_scim_error(&s.scim("GET", &format!("/Users/{gid}"), None), 404, None);
    let r = patch_user(&s, gid, json!([{"op": "replace", "path": "title", "value": "x"}]));
    expect_scim_error(&r, 404, None);
    expect_scim_error(&s.scim("DELETE", &format!("/Users/{gid}"), None), 404, None);
    // A group cannot take the guest as a member either.
    let group = create_group(&s, "Smartsheet Licensed User");
    let ops = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": gid}]}]));
    let r = s.scim("PATCH", &format!("/Groups/{group}"), Some(&ops));
    assert_eq!(r.status, 400, "{}", r.text());
    let r =
        s.scim("POST", "/Users", Some(&json!({"schemas": [USER_URN], "userName": "Partner@Example.com"})));
    let v = expect_scim_error(&r, 409, Some("uniqueness"));
    assert!(v["detail"].as_str().unwrap().contains("guest"), "{v}");
    let admin = admin_user(&s, gid);
    assert_eq!(admin["seat"], "guest", "{admin}");
    assert_eq!(admin["status"], "active", "{admin}");
}

// ------------------------------------------------------------------------------------------------
// Plan settings that steer the rules

#[test]
fn member_seat_limit_leaves_the_seat_and_records_a_seat_limit_event() {
    let s = Server::start();
    set_settings(&s, json!({"member_seat_limit": 1}));
    let first = create_id(&s, "first", json!([okta_role("LICENSED_USER")]));
    assert_seat(&s, &first, Some("member"));
    // At create: the request succeeds, the user starts as viewer, and the block is recorded.
    let second = create(&s, "second", json!([okta_role("LICENSED_USER")]));
    assert_eq!(second[SEAT_URN]["seatType"], "viewer", "{second}");
    let second = second["id"].as_str().unwrap().to_string();
    let events = audit(&s, &second);
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_scim_event(&events[0], "seat_limit", active("viewer"), active("viewer"));
    assert!(events[0]["reason"].as_str().unwrap().contains("member_seat_limit"), "{}", events[0]);
    assert_scim_event(&events[1], "provisioned", state(None, None), active("viewer"));
    // On a group change: the request succeeds and the seat stays.
    let third = create_id(&s, "third", json!([]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    let e = one_event(&s, &third, || add_member(&s, &gid, &third));
    assert_scim_event(&e, "seat_limit", active("viewer"), active("viewer"));
    assert_seat(&s, &third, Some("viewer"));
    let group = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(group["members"][0]["value"], third.as_str(), "the rest of the request applied: {group}");
    // On a user PATCH: the other changes of the request apply.
    let v = expect_scim(
        &patch_user(&s, &second, json!([{"op": "replace", "path": "title", "value": "Analyst"}])),
        200,
    );
    assert_eq!(v["title"], "Analyst");
    assert_eq!(v[SEAT_URN]["seatType"], "viewer");
    let ex = explain(&s, &third);
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert!(reason_codes(&ex).contains(&"seat_limit".to_string()), "{ex}");
    // Freeing the seat lets the next update call upgrade.
    expect_scim(&deactivate(&s, &first), 200);
    role_update(&s, &third);
    assert_seat(&s, &third, Some("member"));
}

#[test]
fn member_seat_limit_counts_licensed_users_on_legacy_plans() {
    let s = Server::start();
    set_settings(&s, json!({"plan_model": "legacy", "member_seat_limit": 1}));
    let first = create_id(&s, "lic1", json!([okta_role("LICENSED_USER")]));
    assert_eq!(admin_user(&s, &first)["licensed"], true);
    let second = create_id(&s, "lic2", json!([okta_role("LICENSED_USER")]));
    let admin = admin_user(&s, &second);
    assert_eq!(admin["licensed"], false, "the limit of one licence is taken: {admin}");
    assert_eq!(audit(&s, &second)[0]["action"], "seat_limit");
}

#[test]
fn seat_mapping_viewer_only_moves_no_seat_on_group_changes() {
    let s = Server::start();
    set_settings(&s, json!({"seat_mapping": "viewer_only"}));
    let created = create(&s, "vo", json!([okta_role("LICENSED_USER")]));
    assert_eq!(created[SEAT_URN]["seatType"], "viewer", "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    let gid = create_group(&s, "Smartsheet Licensed User");
    let e = events_of(&s, &id, 0, || add_member(&s, &gid, &id));
    assert!(e.is_empty());
    assert_seat(&s, &id, Some("viewer"));
    let ex = explain(&s, &id);
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert!(reason_codes(&ex).contains(&"viewer_only".to_string()), "{ex}");
    // Switching to groups is guarded: the preview lists the seat its next update call would move, and
    // the switch needs force.
    let r = s.admin("PATCH", "/admin/settings", Some(&json!({"seat_mapping": "groups"})));
    assert_eq!(r.status, 409, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["error"].as_str(), v["upgrades"].as_u64()),
        (Some("settings_change_would_move_seats"), Some(1)),
        "{v}"
    );
    assert_eq!(v["changes"][0]["user_id"], id.as_str(), "{v}");
    let dry = admin_ok(&s, "PATCH", "/admin/settings?dry_run=true", Some(&json!({"seat_mapping": "groups"})));
    assert_eq!(
        (dry["applied"].as_bool(), dry["changes"].as_array().map(Vec::len)),
        (Some(false), Some(1)),
        "{dry}"
    );
    assert_eq!(
        admin_ok(&s, "GET", "/admin/settings", None)["seat_mapping"],
        "viewer_only",
        "refusal and dry run change nothing"
    );
    // Switching to groups is not retroactive either: the next update call moves the seat.
    admin_ok(&s, "PATCH", "/admin/settings?force=true", Some(&json!({"seat_mapping": "groups"})));
    assert_seat(&s, &id, Some("viewer"));
    assert_eq!(reason_codes(&explain(&s, &id)), ["awaiting_update_call"]);
    // A profile edit is not an update call (seed: "unless a change is made to their group
    // assignments"): the viewer stays viewer.
    let e = events_of(&s, &id, 0, || touch(&s, &id, "Engineer"));
    assert!(e.is_empty(), "{e:?}");
    assert_seat(&s, &id, Some("viewer"));
    role_update(&s, &id);
    assert_seat(&s, &id, Some("member"));
}

#[test]
fn legacy_plan_licenses_by_role_and_switching_back_maps_licensed_to_member_once() {
    let s = Server::start();
    let a = create_id(&s, "la", json!([okta_role("LICENSED_USER")]));
    let b = create_id(&s, "lb", json!([]));
    let e = one_event(&s, &a, || {
        set_settings(&s, json!({"plan_model": "legacy"}));
    });
    assert_event(
        &e,
        ADMIN_ACTOR,
        "admin",
        "plan_model_switch",
        active("member"),
        state(None, Some("active")),
    );
    for (id, licensed) in [(&a, true), (&b, false)] {
        let admin = admin_user(&s, id);
        assert!(admin["seat"].is_null(), "no seat types on legacy plans: {admin}");
        assert_eq!(admin["licensed"], licensed, "{admin}");
        let scim = scim_user(&s, id);
        assert!(scim[SEAT_URN]["seatType"].is_null(), "{scim}");
    }
    // New users and group changes license by role.
    let c = create_id(&s, "lc", json!([okta_role("LICENSED_USER")]));
    assert_eq!(admin_user(&s, &c)["licensed"], true);
    let d = create_id(&s, "ld", json!([]));
    let gid = create_group(&s, "Smartsheet Licensed User");
    let e = one_event(&s, &d, || add_member(&s, &gid, &d));
    assert_eq!(e["action"], "di_upgrade", "{e}");
    assert_eq!(admin_user(&s, &d)["licensed"], true);
    // Removing the licensing role while another role stays unlicenses.
    let e = one_event(&s, &a, || {
        let put =
            user_body("la", json!([okta_role("SMARTSHEET_USER"), {"type": "LICENSED_USER", "value": ""}]));
        expect_scim(&s.scim("PUT", &format!("/Users/{a}"), Some(&put)), 200);
    });
    assert_scim_event(&e, "di_downgrade", state(None, Some("active")), state(None, Some("active")));
    assert_eq!(admin_user(&s, &a)["licensed"], false);
    // Losing the last role deactivates (seed 001, LCM: "later remove them from that group, they're
    // deactivated during the next provisioning cycle"): d leaves its only role group.
    let e = one_event(&s, &d, || remove_member(&s, &gid, &d));
    assert_scim_event(&e, "deactivated", state(None, Some("active")), state(None, Some("deactivated")));
    assert!(e["reason"].as_str().unwrap().contains("last role"), "{e}");
    assert_eq!(scim_user(&s, &d)["active"], false);
    // So does a roles attribute emptied: the PUT carries only an empty value.
    let e = one_event(&s, &c, || {
        let put = user_body("lc", json!([{"type": "LICENSED_USER", "value": ""}]));
        expect_scim(&s.scim("PUT", &format!("/Users/{c}"), Some(&put)), 200);
    });
    assert_eq!(e["action"], "deactivated", "{e}");
    // A user provisioned with no role loses none: b stays active and unlicensed.
    assert_eq!(admin_user(&s, &b)["status"], "active");
    // Reactivated by an administrator (DI off) and given its role back, c is licensed again.
    admin_ok(&s, "POST", "/admin/di/disable", None);
    admin_ok(&s, "POST", &format!("/admin/users/{c}/reactivate"), None);
    admin_ok(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})));
    let put = user_body("lc", json!([okta_role("LICENSED_USER")]));
    expect_scim(&s.scim("PUT", &format!("/Users/{c}"), Some(&put)), 200);
    assert_eq!(admin_user(&s, &c)["licensed"], true);
    // Back to seat types: licensed -> member, unlicensed -> viewer, one event each.
    let e = one_event(&s, &c, || {
        set_settings(&s, json!({"plan_model": "user_model"}));
    });
    assert_event(
        &e,
        ADMIN_ACTOR,
        "admin",
        "plan_model_switch",
        state(None, Some("active")),
        active("member"),
    );
    for (id, seat) in [(&a, Some("viewer")), (&b, Some("viewer")), (&c, Some("member")), (&d, None)] {
        assert_seat(&s, id, seat);
    }
    // Once: setting the same model again maps nobody.
    let r = s.admin("PUT", &format!("/admin/users/{c}/seat"), Some(&json!({"seat": "viewer"})));
    assert_eq!(r.status, 200, "{}", r.text());
    let e = events_of(&s, &c, 0, || {
        set_settings(&s, json!({"plan_model": "user_model"}));
    });
    assert!(e.is_empty());
    assert_seat(&s, &c, Some("viewer"));
}

// ------------------------------------------------------------------------------------------------
// Safety: the deprovision guard

/// Sets `deprovision_guard.max` to 2, creates four users and deprovisions two of them (one PATCH
/// active=false, one DELETE): the guard is now at its maximum.
fn guard_at_max(s: &Server) -> Vec<String> {
    let settings = set_settings(s, json!({"deprovision_guard": {"max": 2}}));
    assert_eq!(settings["deprovision_guard"]["max"], 2, "{settings}");
    let ids: Vec<String> = (0..4).map(|i| create_id(s, &format!("dg{i}"), json!([]))).collect();
    expect_scim(&deactivate(s, &ids[0]), 200);
    let r = s.scim("DELETE", &format!("/Users/{}", ids[1]), None);
    assert_eq!(r.status, 204, "{}", r.text());
    ids
}

#[test]
fn deprovision_guard_trips_after_max_and_other_requests_flow() {
    let s = Server::start();
    let ids = guard_at_max(&s);
    // The third deprovisioning within the window is refused, and changes nothing.
    let e = events_of(&s, &ids[2], 0, || {
        let r = deactivate(&s, &ids[2]);
        expect_scim_error(&r, 429, None);
        let retry: u64 = r.header("retry-after").expect("Retry-After").parse().unwrap();
        assert!(retry >= 1);
        let r = s.scim("DELETE", &format!("/Users/{}", ids[2]), None);
        expect_scim_error(&r, 429, None);
        assert!(r.header("retry-after").is_some());
    });
    assert!(e.is_empty());
    assert_eq!(scim_user(&s, &ids[2])["active"], true);
    assert_seat(&s, &ids[2], Some("viewer"));
    // Everything else flows.
    touch(&s, &ids[3], "Still here");
    create_id(&s, "fresh", json!([]));
    assert_eq!(s.scim("GET", "/Users", None).status, 200);
    let guard = admin_ok(&s, "GET", "/admin/deprovision-guard", None);
    assert_eq!(guard["tripped"], true, "{guard}");
    assert_eq!(guard["max"], 2, "{guard}");
    assert_eq!(guard["deprovisions_in_window"], 2, "{guard}");
    // Still tripped a moment later: the guard holds until an administrator resets it.
    expect_scim_error(&deactivate(&s, &ids[3]), 429, None);
    assert_eq!(scim_user(&s, &ids[3])["active"], true);
}

#[test]
fn deprovision_guard_reset_lets_the_next_deprovision_through() {
    let s = Server::start();
    let ids = guard_at_max(&s);
    expect_scim_error(&deactivate(&s, &ids[2]), 429, None);
    // An administrator resets the guard right away; the IdP's retry then goes through.
    let reset = admin_ok(&s, "POST", "/admin/deprovision-guard/reset", None);
    assert_eq!(reset["tripped"], false, "{reset}");
    assert_eq!(reset["deprovisions_in_window"], 0, "a reset starts the count again: {reset}");
    assert!(reset["last_reset"].is_string(), "{reset}");
    let e = one_event(&s, &ids[2], || {
        expect_scim(&deactivate(&s, &ids[2]), 200);
    });
    assert_scim_event(&e, "deactivated", active("viewer"), state(None, Some("deactivated")));
    assert_admin_seat(&s, &ids[2], None, "deactivated");
}

// ------------------------------------------------------------------------------------------------
// System-triggered: the provisional review

/// Runs the sweep; true when this sweep (not the server's own periodic one) made the change.
fn sweep_changed(s: &Server, id: &str) -> bool {
    let swept = admin_ok(s, "POST", "/admin/provisional/sweep", None);
    assert_eq!(swept["applied"], true, "{swept}");
    swept["changes"].as_array().unwrap().iter().any(|c| c["user_id"] == id)
}

#[test]
fn provisional_review_expiry_downgrades_to_viewer_when_set_to_downgrade() {
    let s = Server::start();
    set_settings(&s, json!({"provisional_review_days": 0, "provisional_on_expiry": "downgrade"}));
    let id = create_id(&s, "exp", json!([]));
    let after = system_event(&s, &id, "qualifying_action");
    assert_eq!(after["seat"], "provisional_member", "{after}");
    let by_us = sweep_changed(&s, &id);
    assert_seat(&s, &id, Some("viewer"));
    let e = &audit(&s, &id)[0];
    let actor = if by_us { ADMIN_ACTOR } else { "system" };
    let source = if by_us { "admin" } else { "system" };
    assert_event(e, actor, source, "review_expired", active("provisional_member"), active("viewer"));
}

#[test]
fn provisional_review_expiry_keeps_the_seat_when_set_to_keep() {
    let s = Server::start();
    set_settings(&s, json!({"provisional_review_days": 0, "provisional_on_expiry": "keep"}));
    let id = create_id(&s, "keep", json!([]));
    assert_eq!(system_event(&s, &id, "qualifying_action")["seat"], "provisional_member");
    assert!(!sweep_changed(&s, &id));
    assert_seat(&s, &id, Some("provisional_member"));
    assert_eq!(audit(&s, &id)[0]["action"], "qualifying_action");
    let ex = explain(&s, &id);
    assert_eq!(reason_codes(&ex), ["provisional_not_downgraded"], "{ex}");
    assert!(ex["reasons"][0]["detail"].as_str().unwrap().contains("keep"), "{ex}");
}
