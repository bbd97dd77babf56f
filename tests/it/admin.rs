//! The admin API of SPEC section 4, route by route: the shapes an administrator reads, the refusals
//! (status, `{"error", "detail"}` with the rule's code) and that a refused request changes nothing.
//! The seat rules behind the routes are driven through SCIM in di_rules.rs; here the routes are the
//! subject.

use crate::harness::{Opts, SEAT_URN, Server, USER_URN, expect_list, expect_scim, patch_ops, query_escape};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ADMIN_ACTOR: &str = "initial admin";

fn email(local: &str) -> String {
    format!("{local}@example.com")
}

fn okta_role(value: &str) -> Value {
    json!({"type": value, "value": value})
}

/// Creates a SCIM user with these roles and optional extra attributes; returns its id.
fn create_with(s: &Server, local: &str, roles: Value, extra: Value) -> String {
    let mut body = json!({"schemas": [USER_URN], "userName": email(local), "active": true, "roles": roles});
    if let (Some(b), Some(x)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            b.insert(k.clone(), v.clone());
        }
    }
    expect_scim(&s.scim("POST", "/Users", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn create(s: &Server, local: &str, roles: Value) -> String {
    create_with(s, local, roles, json!({}))
}

fn ok(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text());
    assert!(r.header("content-type").unwrap_or_default().starts_with("application/json"), "{:?}", r.headers);
    r.json()
}

/// Asserts an admin error: the status, the `error` code and a detail a person can act on.
#[track_caller]
fn refused(s: &Server, method: &str, path: &str, body: Option<&Value>, status: u16, code: &str) -> Value {
    let r = s.admin(method, path, body);
    assert_eq!(r.status, status, "{method} {path}: {}", r.text());
    let v = r.json();
    assert_eq!(v["error"], code, "{method} {path}: {v}");
    assert!(v["detail"].as_str().is_some_and(|d| d.len() > 10), "{method} {path}: {v}");
    v
}

fn user(s: &Server, id: &str) -> Value {
    ok(s, "GET", &format!("/admin/users/{id}"), None)
}

fn set_seat(s: &Server, id: &str, seat: &str) -> Value {
    ok(s, "PUT", &format!("/admin/users/{id}/seat"), Some(&json!({"seat": seat})))
}

fn event(s: &Server, id: &str, kind: &str) -> Value {
    ok(s, "POST", &format!("/admin/users/{id}/events"), Some(&json!({"type": kind})))
}

fn explain(s: &Server, id: &str) -> Value {
    ok(s, "GET", &format!("/admin/users/{id}/explain"), None)
}

fn codes(explained: &Value) -> Vec<String> {
    explained["reasons"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap().to_string()).collect()
}

fn settings(s: &Server) -> Value {
    ok(s, "GET", "/admin/settings", None)
}

fn patch_settings(s: &Server, body: Value) -> Value {
    ok(s, "PATCH", "/admin/settings", Some(&body))
}

fn audit(s: &Server, query: &str) -> Value {
    ok(s, "GET", &format!("/admin/audit?{query}"), None)
}

fn user_events(s: &Server, id: &str) -> Vec<Value> {
    audit(s, &format!("user_id={id}&limit=1000"))["items"].as_array().unwrap().clone()
}

/// Ids of the admin user list for this query (one page).
fn listed(s: &Server, query: &str) -> BTreeSet<String> {
    let v = ok(s, "GET", &format!("/admin/users?{query}"), None);
    v["items"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap().to_string()).collect()
}

fn set_of(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

fn scim_deactivate(s: &Server, id: &str) {
    let ops = patch_ops(json!([{"op": "replace", "value": {"active": false}}]));
    expect_scim(&s.scim("PATCH", &format!("/Users/{id}"), Some(&ops)), 200);
}

fn create_group(s: &Server, name: &str, members: &[&String]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": members});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

// ------------------------------------------------------------------------------------------------
// Settings

#[test]
fn settings_get_shows_every_setting_with_its_default() {
    let s = Server::start();
    let v = settings(&s);
    let expected = [
        ("di_enabled", json!(true)),
        ("plan_model", json!("user_model")),
        ("seat_mapping", json!("groups")),
        ("base_seat_label", json!("Viewer")),
        ("auto_upgrade", json!(true)),
        ("provisional_review_days", json!(30)),
        ("provisional_on_expiry", json!("downgrade")),
        ("deprovision", json!("deactivate")),
        ("scim_reactivation", json!("refuse")),
        ("member_seat_limit", Value::Null),
        ("enforce_domains", json!(true)),
        ("deprovision_guard", json!({"max": 500, "window_minutes": 60})),
    ];
    for (key, value) in expected {
        assert_eq!(v.get(key), Some(&value), "{key}: {v}");
    }
}

#[test]
fn settings_patch_changes_values_together_and_audits_each() {
    let s = Server::start();
    let id = create(&s, "lab", json!([]));
    let v = patch_settings(
        &s,
        json!({"auto_upgrade": false, "member_seat_limit": 5, "base_seat_label": "Contributor",
               "deprovision_guard": {"window_minutes": 30}, "provisional_review_days": 7}),
    );
    assert_eq!(v["auto_upgrade"], false, "{v}");
    assert_eq!(v["member_seat_limit"], 5, "{v}");
    assert_eq!(v["base_seat_label"], "Contributor", "{v}");
    assert_eq!(v["deprovision_guard"], json!({"max": 500, "window_minutes": 30}), "{v}");
    assert_eq!(v["provisional_review_days"], 7, "{v}");
    assert_eq!(settings(&s), v, "GET shows what PATCH answered");
    // The label is what people read; the identifier stays.
    let u = user(&s, &id);
    assert_eq!((u["seat"].as_str(), u["seat_label"].as_str()), (Some("viewer"), Some("Contributor")), "{u}");
    let events = audit(&s, "limit=20")["items"].as_array().unwrap().clone();
    let changed: Vec<&Value> = events.iter().filter(|e| e["action"] == "setting_changed").collect();
    assert_eq!(changed.len(), 5, "{events:#?}");
    assert!(changed.iter().all(|e| e["actor"] == ADMIN_ACTOR && e["source"] == "admin"), "{changed:#?}");
    assert!(changed.iter().any(|e| e["reason"] == "auto_upgrade: true -> false"), "{changed:#?}");
    // null clears an optional setting.
    assert_eq!(patch_settings(&s, json!({"member_seat_limit": null}))["member_seat_limit"], Value::Null);
}

#[test]
fn settings_patch_refusals_name_the_problem_and_change_nothing() {
    let s = Server::start();
    let before = settings(&s);
    // An unknown key: 400 naming the keys there are, and the valid key beside it is not applied.
    let v = refused(
        &s,
        "PATCH",
        "/admin/settings",
        Some(&json!({"auto_upgrade": false, "colour": "blue"})),
        400,
        "unknown_setting",
    );
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("colour") && detail.contains("plan_model") && detail.contains("seat_mapping"),
        "{v}"
    );
    // A bad value names the allowed ones.
    let v = refused(
        &s,
        "PATCH",
        "/admin/settings",
        Some(&json!({"member_seat_limit": 3, "plan_model": "enterprise"})),
        400,
        "invalid_setting_value",
    );
    assert!(v["detail"].as_str().unwrap().contains("user_model"), "{v}");
    refused(
        &s,
        "PATCH",
        "/admin/settings",
        Some(&json!({"provisional_review_days": 4000})),
        400,
        "invalid_setting_value",
    );
    refused(
        &s,
        "PATCH",
        "/admin/settings",
        Some(&json!({"deprovision_guard": {"window_minutes": 0}})),
        400,
        "invalid_setting_value",
    );
    // A value of the wrong JSON type: 400 naming the key and the type it takes.
    for (body, key, ty) in [
        (json!({"auto_upgrade": [true]}), "auto_upgrade", "a boolean"),
        (json!({"auto_upgrade": "true"}), "auto_upgrade", "a boolean"),
        (json!({"provisional_review_days": "7"}), "provisional_review_days", "a whole number"),
        (json!({"role_group_prefix": 2024}), "role_group_prefix", "a string, or null"),
        (json!({"plan_model": null}), "plan_model", "a string"),
    ] {
        let v = refused(&s, "PATCH", "/admin/settings", Some(&body), 400, "invalid_setting_type");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains(key) && detail.contains(ty), "{body}: {v}");
    }
    // di_enabled is read-only here: the switch has its own route.
    let v = refused(
        &s,
        "PATCH",
        "/admin/settings",
        Some(&json!({"di_enabled": false})),
        400,
        "read_only_setting",
    );
    assert!(v["detail"].as_str().unwrap().contains("/admin/di"), "{v}");
    refused(&s, "PATCH", "/admin/settings", Some(&json!({})), 400, "bad_request");
    refused(&s, "PATCH", "/admin/settings", Some(&json!("auto_upgrade=false")), 400, "bad_request");
    let r = s.client(s.admin_addr).send_bytes(
        "PATCH",
        "/admin/settings",
        &crate::harness::auth(&s.admin_token),
        b"{\"auto_upgrade\": fals",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(settings(&s), before, "a refused PATCH changes nothing");
    assert!(
        audit(&s, "limit=100")["items"].as_array().unwrap().iter().all(|e| e["action"] != "setting_changed"),
        "nothing audited"
    );
}

// ------------------------------------------------------------------------------------------------
// The DI switch

#[test]
fn di_status_disable_and_enable_report_the_switch() {
    let s = Server::start();
    let v = ok(&s, "GET", "/admin/di", None);
    assert_eq!(v["enabled"], true, "{v}");
    assert_eq!(v["validated_domains"], json!(["example.com"]), "{v}");
    assert!(v.get("changed_at").is_some(), "{v}");
    let off = ok(&s, "POST", "/admin/di/disable", None);
    assert_eq!(off["enabled"], false, "{off}");
    assert!(off["changed_at"].is_string(), "{off}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], false);
    assert_eq!(settings(&s)["di_enabled"], false);
    // Disabling twice is harmless.
    assert_eq!(ok(&s, "POST", "/admin/di/disable", None)["enabled"], false);
    let on = ok(&s, "POST", "/admin/di/enable", Some(&json!({})));
    assert_eq!((on["enabled"].as_bool(), on["applied"].as_bool()), (Some(true), Some(true)), "{on}");
    assert_eq!(on["downgrades"], 0, "{on}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], true);
    let actions: Vec<Value> =
        audit(&s, "limit=10")["items"].as_array().unwrap().iter().map(|e| e["action"].clone()).collect();
    // Newest first: the two real switches, then what `serve --lab` did at the first start.
    assert_eq!(
        actions,
        [
            json!("di_enabled"),
            json!("di_disabled"),
            json!("di_enabled"),
            json!("domain_verified"),
            json!("initialised")
        ],
        "one event per real switch"
    );
    refused(&s, "POST", "/admin/di/enable", Some(&json!({"force": "yes"})), 400, "bad_request");
}

#[test]
fn di_enable_needs_a_validated_domain() {
    let s = Server::start_with(Opts::default());
    let v = ok(&s, "GET", "/admin/di", None);
    assert_eq!((v["enabled"].as_bool(), v["validated_domains"].clone()), (Some(false), json!([])), "{v}");
    let v =
        refused(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})), 409, "no_validated_domain");
    assert!(v["detail"].as_str().unwrap().contains("domain"), "{v}");
    // An added domain is not validated until verified.
    let r = s.admin("POST", "/admin/domains", Some(&json!({"name": "corp.example"})));
    assert_eq!(r.status, 201, "{}", r.text());
    refused(&s, "POST", "/admin/di/enable", None, 409, "no_validated_domain");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], false);
    ok(&s, "POST", "/admin/domains/corp.example/verify", None);
    let on = ok(&s, "POST", "/admin/di/enable", None);
    assert_eq!(on["enabled"], true, "{on}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["validated_domains"], json!(["corp.example"]));
}

#[test]
fn di_enable_guard_refuses_downgrades_dry_run_reports_and_force_enables() {
    let s = Server::start();
    let manual = create(&s, "manual", json!([]));
    set_seat(&s, &manual, "member");
    let fine = create(&s, "fine", json!([okta_role("LICENSED_USER")]));
    ok(&s, "POST", "/admin/di/disable", None);
    let expected_change = json!({
        "user_id": manual, "userName": email("manual"), "from": "member", "to": "viewer", "reason": "di_downgrade"
    });
    let check = |v: &Value| {
        let changes = v["changes"].as_array().unwrap();
        assert_eq!(changes.len(), 1, "{v}");
        for (k, want) in expected_change.as_object().unwrap() {
            assert_eq!(&changes[0][k], want, "{k}: {v}");
        }
        assert_eq!(v["downgrades"], 1, "{v}");
        assert_eq!(v["upgrades"], 0, "{v}");
        assert_eq!(v["applied"], false, "{v}");
    };
    let v = refused(&s, "POST", "/admin/di/enable", Some(&json!({})), 409, "di_enable_would_downgrade");
    check(&v);
    assert!(v["detail"].as_str().unwrap().contains("force"), "{v}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], false);
    let v = ok(&s, "POST", "/admin/di/enable", Some(&json!({"dry_run": true})));
    check(&v);
    assert_eq!(v["enabled"], false, "{v}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], false, "a dry run changes nothing");
    let v = ok(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})));
    assert_eq!((v["enabled"].as_bool(), v["applied"].as_bool()), (Some(true), Some(true)), "{v}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["enabled"], true);
    // Turning DI on moves no seat by itself: the next update call will.
    assert_eq!(user(&s, &manual)["seat"], "member");
    assert_eq!(user(&s, &fine)["seat"], "member");
    let last = &audit(&s, "limit=1")["items"][0];
    assert_eq!(last["action"], "di_enabled", "{last}");
    assert!(last["reason"].as_str().unwrap().contains("forced"), "{last}");
}

// ------------------------------------------------------------------------------------------------
// Users

#[test]
fn users_list_filters_by_status_seat_and_text_and_hides_pending_users() {
    let s = Server::start();
    let member = create(&s, "mara.member", json!([okta_role("LICENSED_USER")]));
    let signed_in = create(&s, "sig", json!([]));
    event(&s, &signed_in, "sign_in");
    let grouped = create(&s, "grp", json!([]));
    let engineering = create_group(&s, "Engineering", &[&grouped]);
    let pending = create(&s, "pending", json!([]));
    let gone = create(&s, "gone", json!([okta_role("LICENSED_USER")]));
    scim_deactivate(&s, &gone);
    let r = s.admin("POST", "/admin/guests", Some(&json!({"email": "guest@partner.org"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let guest = r.json()["id"].as_str().unwrap().to_string();
    // A user-model plan hides nobody: viewers created through SCIM are listed and found.
    let everyone = set_of(&[&member, &signed_in, &grouped, &gone, &guest, &pending]);
    assert_eq!(listed(&s, ""), everyone);
    assert_eq!(listed(&s, "include=pending"), everyone);
    assert_eq!(listed(&s, "status=deactivated"), set_of(&[&gone]));
    assert_eq!(listed(&s, "status=active"), set_of(&[&member, &signed_in, &grouped, &guest, &pending]));
    assert_eq!(listed(&s, "seat=member"), set_of(&[&member]));
    assert_eq!(listed(&s, "seat=viewer"), set_of(&[&signed_in, &grouped, &pending]));
    assert_eq!(listed(&s, &format!("q={}", query_escape(&email("pending")))), set_of(&[&pending]));
    // On a legacy plan, an unlicensed SCIM user that never signed in and is in no group is pending
    // (seed 001, LCM): hidden unless include=pending.
    patch_settings(&s, json!({"plan_model": "legacy"}));
    assert_eq!(listed(&s, ""), set_of(&[&member, &signed_in, &grouped, &gone, &guest]));
    assert_eq!(listed(&s, "include=pending"), everyone);
    assert_eq!(listed(&s, "status=active"), set_of(&[&member, &signed_in, &grouped, &guest]));
    assert_eq!(
        listed(&s, "status=active&include=pending"),
        set_of(&[&member, &signed_in, &grouped, &guest, &pending])
    );
    // Group membership counts as it changes: out of its only group, an unlicensed user who never
    // signed in is pending; back in one, listed; its group deleted, pending again.
    let members = |op: &str, id: &String| {
        let op = match op {
            "add" => json!({"op": "add", "path": "members", "value": [{"value": id}]}),
            _ => json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")}),
        };
        let r = s.scim("PATCH", &format!("/Groups/{engineering}"), Some(&patch_ops(json!([op]))));
        assert!(r.status == 200 || r.status == 204, "{} {}", r.status, r.text());
    };
    members("remove", &grouped);
    assert_eq!(listed(&s, ""), set_of(&[&member, &signed_in, &gone, &guest]));
    members("add", &grouped);
    members("add", &pending);
    assert_eq!(listed(&s, ""), everyone);
    assert_eq!(s.scim("DELETE", &format!("/Groups/{engineering}"), None).status, 204);
    assert_eq!(listed(&s, ""), set_of(&[&member, &signed_in, &gone, &guest]));
    // DI-managed or not: the guest is the only user DI does not manage.
    assert_eq!(listed(&s, "managed=false"), set_of(&[&guest]));
    assert_eq!(
        listed(&s, "managed=true&include=pending"),
        set_of(&[&member, &signed_in, &grouped, &gone, &pending])
    );
    let r = s.admin("GET", "/admin/users?managed=maybe", None);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["detail"].as_str().unwrap().contains("managed must be true or false"), "{}", r.text());
    patch_settings(&s, json!({"plan_model": "user_model"}));
    assert_eq!(listed(&s, "seat=guest"), set_of(&[&guest]));
    assert_eq!(listed(&s, "q=MARA"), set_of(&[&member]));
    assert_eq!(listed(&s, &format!("q={}", query_escape("partner.org"))), set_of(&[&guest]));
    assert_eq!(listed(&s, "q=nobody-has-this"), BTreeSet::new());
    // `q` is a prefix (served by indexes): of the userName, of the email's or userName's domain,
    // of the display name; text in the middle of a value is not searched.
    assert_eq!(listed(&s, "q=mara.mem"), set_of(&[&member]));
    assert_eq!(listed(&s, "q=partner"), set_of(&[&guest]));
    assert_eq!(listed(&s, "q=example.co"), set_of(&[&member, &signed_in, &grouped, &gone, &pending]));
    assert_eq!(listed(&s, "q=member"), BTreeSet::new(), "not a prefix of anything");
    assert_eq!(listed(&s, &format!("q={}&status=active", query_escape("example"))).len(), 4);
    let v = refused(&s, "GET", "/admin/users?status=sleeping", None, 400, "bad_request");
    assert!(v["detail"].as_str().unwrap().contains("deactivated"), "{v}");
    let v = refused(&s, "GET", "/admin/users?seat=boss", None, 400, "bad_request");
    assert!(v["detail"].as_str().unwrap().contains("no_access"), "{v}");
    refused(&s, "GET", "/admin/users?limit=ten", None, 400, "bad_request");
}

#[test]
fn users_list_pages_with_next_cursor() {
    let s = Server::start();
    let ids: BTreeSet<String> =
        (0..5).map(|i| create(&s, &format!("p{i}"), json!([okta_role("LICENSED_USER")]))).collect();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &cursor {
            Some(c) => format!("/admin/users?limit=2&cursor={c}"),
            None => "/admin/users?limit=2".to_string(),
        };
        let v = ok(&s, "GET", &q, None);
        let items = v["items"].as_array().unwrap();
        assert!(items.len() <= 2, "{v}");
        seen.extend(items.iter().map(|u| u["id"].as_str().unwrap().to_string()));
        pages += 1;
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 5, "no user twice: {seen:?}");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), ids);
    // A page that holds the rest exactly has no next cursor.
    assert!(ok(&s, "GET", "/admin/users?limit=5", None)["next_cursor"].is_null());
}

#[test]
fn user_show_has_the_contract_shape_and_unknown_id_is_404() {
    let s = Server::start();
    let id = create_with(
        &s,
        "ada",
        json!([okta_role("LICENSED_USER"), okta_role("SYSTEM_ADMIN")]),
        json!({"displayName": "Ada Lovelace", "emails": [{"value": "ada.l@example.com", "primary": true}]}),
    );
    let u = user(&s, &id);
    assert_eq!(u["id"], id.as_str(), "the same id as the SCIM resource");
    assert_eq!(u["userName"], email("ada"));
    assert_eq!(u["displayName"], "Ada Lovelace");
    assert_eq!(u["email"], "ada.l@example.com");
    assert_eq!(u["status"], "active");
    assert_eq!(u["seat"], "member");
    assert_eq!(u["seat_label"], "Member");
    assert_eq!(u["licensed"], true);
    assert_eq!(u["managed_by_directory"], true);
    assert_eq!(u["admin_roles"], json!(["user_admin", "payment_admin", "data_admin"]));
    assert_eq!(
        u["roles"],
        json!([
            {"role": "Smartsheet Licensed User", "value": "LICENSED_USER", "source": "roles_attribute"},
            {"role": "Smartsheet System Admin", "value": "SYSTEM_ADMIN", "source": "roles_attribute"}
        ])
    );
    for k in ["created", "last_modified"] {
        assert!(u[k].as_str().is_some_and(|t| t.ends_with('Z')), "{k}: {u}");
    }
    let scim = expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200);
    assert_eq!(scim[SEAT_URN]["seatType"], u["seat"]);
    refused(&s, "GET", "/admin/users/00000000-0000-4000-8000-000000000000", None, 404, "not_found");
}

#[test]
fn delete_user_needs_di_off_and_then_removes_the_user() {
    let s = Server::start();
    let id = create(&s, "rm", json!([okta_role("LICENSED_USER")]));
    let v = refused(&s, "DELETE", &format!("/admin/users/{id}"), None, 409, "removal_needs_di_off");
    assert!(v["detail"].as_str().unwrap().contains("DI off"), "{v}");
    assert_eq!(user(&s, &id)["status"], "active");
    ok(&s, "POST", "/admin/di/disable", None);
    let v = ok(&s, "DELETE", &format!("/admin/users/{id}"), None);
    assert_eq!(v, json!({"id": id, "removed": true}));
    refused(&s, "GET", &format!("/admin/users/{id}"), None, 404, "not_found");
    assert_eq!(s.scim("GET", &format!("/Users/{id}"), None).status, 404);
    let e = &user_events(&s, &id)[0];
    assert_eq!(e["action"], "removed", "{e}");
    assert_eq!((e["actor"].as_str(), e["source"].as_str()), (Some(ADMIN_ACTOR), Some("admin")), "{e}");
    assert_eq!(e["before"], json!({"seat": "member", "status": "active"}), "{e}");
    assert_eq!(e["after"], json!({"seat": null, "status": null}), "{e}");
    refused(&s, "DELETE", &format!("/admin/users/{id}"), None, 404, "not_found");
}

/// Puts a new SCIM user on `seat` the ways an administrator can; returns its id.
fn user_on(s: &Server, local: &str, seat: &str) -> String {
    let id = create(s, local, json!([]));
    match seat {
        "viewer" => {}
        "provisional_member" => assert_eq!(event(s, &id, "qualifying_action")["seat"], seat),
        other => assert_eq!(set_seat(s, &id, other)["seat"], other),
    }
    id
}

#[test]
fn manual_seat_changes_follow_every_cell_of_the_table() {
    let s = Server::start();
    // (from, to, refusal code) for every cell off the diagonal of SPEC section 3's manual table.
    let cells = [
        ("viewer", "member", None),
        ("viewer", "no_access", None),
        ("viewer", "provisional_member", Some("provisional_system_triggered_only")),
        ("provisional_member", "viewer", None),
        ("provisional_member", "member", None),
        ("provisional_member", "no_access", None),
        ("member", "viewer", None),
        ("member", "no_access", None),
        ("member", "provisional_member", Some("member_to_provisional_never")),
        ("no_access", "viewer", None),
        ("no_access", "member", None),
        ("no_access", "provisional_member", Some("no_access_to_provisional")),
    ];
    for (i, (from, to, refusal)) in cells.iter().enumerate() {
        let id = user_on(&s, &format!("cell{i}"), from);
        let before = user_events(&s, &id).len();
        let path = format!("/admin/users/{id}/seat");
        let body = json!({"seat": to, "reason": format!("cell {i}")});
        match refusal {
            Some(code) => {
                let v = refused(&s, "PUT", &path, Some(&body), 409, code);
                assert!(v["detail"].as_str().unwrap().contains("provisional"), "{from}->{to}: {v}");
                assert_eq!(user(&s, &id)["seat"], *from, "{from}->{to} refused, seat kept");
                assert_eq!(user_events(&s, &id).len(), before, "{from}->{to}: nothing audited");
            }
            None => {
                let v = ok(&s, "PUT", &path, Some(&body));
                assert_eq!(
                    (v["seat"].as_str(), v["changed"].as_bool()),
                    (Some(*to), Some(true)),
                    "{from}->{to}: {v}"
                );
                assert_eq!(user(&s, &id)["seat"], *to);
                let events = user_events(&s, &id);
                assert_eq!(events.len(), before + 1, "{from}->{to}: one event");
                let e = &events[0];
                assert_eq!(e["action"], "manual_change", "{e}");
                assert_eq!(
                    (e["actor"].as_str(), e["source"].as_str()),
                    (Some(ADMIN_ACTOR), Some("admin")),
                    "{e}"
                );
                assert_eq!(e["before"], json!({"seat": from, "status": "active"}), "{e}");
                assert_eq!(e["after"], json!({"seat": to, "status": "active"}), "{e}");
                assert!(e["reason"].as_str().unwrap().contains(&format!("cell {i}")), "{e}");
                assert!(e["request_id"].is_string(), "{e}");
            }
        }
    }
    // The diagonal: setting the seat held is no change and is not audited.
    let id = user_on(&s, "same", "member");
    let before = user_events(&s, &id).len();
    let v = set_seat(&s, &id, "member");
    assert_eq!(v["changed"], false, "{v}");
    assert_eq!(user_events(&s, &id).len(), before);
    // Labels people type are accepted; guests are admin-only; bad input is 400.
    let id = user_on(&s, "labels", "viewer");
    assert_eq!(set_seat(&s, &id, "No Access")["seat"], "no_access");
    assert_eq!(set_seat(&s, &id, "Contributor")["seat"], "viewer");
    refused(
        &s,
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "guest"})),
        409,
        "guest_admin_only",
    );
    refused(
        &s,
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "boss"})),
        400,
        "bad_request",
    );
    refused(&s, "PUT", &format!("/admin/users/{id}/seat"), Some(&json!({"reason": "x"})), 400, "bad_request");
    refused(&s, "PUT", "/admin/users/nope/seat", Some(&json!({"seat": "member"})), 404, "not_found");
    // A deactivated user holds no seat to change.
    scim_deactivate(&s, &id);
    refused(
        &s,
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "member"})),
        409,
        "user_deactivated",
    );
    // An upgrade respects member_seat_limit.
    patch_settings(&s, json!({"member_seat_limit": 0}));
    let id = user_on(&s, "limited", "viewer");
    refused(
        &s,
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "member"})),
        409,
        "seat_limit",
    );
    assert_eq!(user(&s, &id)["seat"], "viewer");
}

#[test]
fn reactivate_needs_di_off_and_brings_the_user_back_as_viewer() {
    let s = Server::start();
    let id = create(&s, "back", json!([okta_role("LICENSED_USER")]));
    scim_deactivate(&s, &id);
    let v =
        refused(&s, "POST", &format!("/admin/users/{id}/reactivate"), None, 409, "reactivation_needs_di_off");
    assert!(v["detail"].as_str().unwrap().contains("DI off"), "{v}");
    assert_eq!(user(&s, &id)["status"], "deactivated");
    ok(&s, "POST", "/admin/di/disable", None);
    let v = ok(&s, "POST", &format!("/admin/users/{id}/reactivate"), None);
    assert_eq!((v["status"].as_str(), v["seat"].as_str()), (Some("active"), Some("viewer")), "{v}");
    let e = &user_events(&s, &id)[0];
    assert_eq!(e["action"], "reactivated", "{e}");
    assert_eq!(e["before"], json!({"seat": null, "status": "deactivated"}), "{e}");
    assert_eq!(e["after"], json!({"seat": "viewer", "status": "active"}), "{e}");
    let ex = explain(&s, &id);
    assert!(codes(&ex).contains(&"manual_change".to_string()), "{ex}");
    assert!(codes(&ex).contains(&"di_off".to_string()), "{ex}");
    // Reactivating an active user changes nothing.
    assert_eq!(ok(&s, "POST", &format!("/admin/users/{id}/reactivate"), None)["changed"], false);
    refused(&s, "POST", "/admin/users/nope/reactivate", None, 404, "not_found");
}

#[test]
fn reactivate_makes_a_scim_deleted_user_visible_to_scim_again() {
    let s = Server::start();
    let id = create(&s, "hidden", json!([]));
    assert_eq!(s.scim("DELETE", &format!("/Users/{id}"), None).status, 204);
    assert_eq!(s.scim("GET", &format!("/Users/{id}"), None).status, 404);
    ok(&s, "POST", "/admin/di/disable", None);
    ok(&s, "POST", &format!("/admin/users/{id}/reactivate"), None);
    ok(&s, "POST", "/admin/di/enable", None);
    let v = expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200);
    assert_eq!(v["active"], true, "{v}");
    let filter = query_escape(&format!("userName eq \"{}\"", email("hidden")));
    let (total, found) = expect_list(&s.scim("GET", &format!("/Users?filter={filter}"), None));
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], id.as_str());
}

#[test]
fn qualifying_action_follows_auto_upgrade() {
    let s = Server::start();
    let viewer = create(&s, "qa", json!([]));
    let v = event(&s, &viewer, "qualifying_action");
    assert_eq!((v["seat"].as_str(), v["changed"].as_bool()), (Some("provisional_member"), Some(true)), "{v}");
    assert!(v["provisional_until"].as_str().is_some_and(|t| t.ends_with('Z')), "{v}");
    let e = &user_events(&s, &viewer)[0];
    assert_eq!(e["action"], "qualifying_action", "{e}");
    assert_eq!(e["after"], json!({"seat": "provisional_member", "status": "active"}), "{e}");
    // Any other seat: nothing changes.
    let member = create(&s, "qm", json!([okta_role("LICENSED_USER")]));
    let v = event(&s, &member, "qualifying_action");
    assert_eq!((v["seat"].as_str(), v["changed"].as_bool()), (Some("member"), Some(false)), "{v}");
    // auto_upgrade off: refused, the user stays viewer.
    patch_settings(&s, json!({"auto_upgrade": false}));
    let other = create(&s, "qo", json!([]));
    let path = format!("/admin/users/{other}/events");
    let v = refused(&s, "POST", &path, Some(&json!({"type": "qualifying_action"})), 409, "auto_upgrade_off");
    assert!(v["detail"].as_str().unwrap().contains("auto_upgrade"), "{v}");
    assert_eq!(user(&s, &other)["seat"], "viewer");
}

#[test]
fn sign_in_is_recorded_once_and_refused_for_deactivated_users() {
    let s = Server::start();
    let id = create(&s, "sid", json!([]));
    assert!(user(&s, &id).get("first_sign_in").is_none_or(Value::is_null));
    let first = event(&s, &id, "sign_in")["first_sign_in"].clone();
    assert!(first.is_string(), "{first}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(event(&s, &id, "sign_in")["first_sign_in"], first, "only the first sign-in is kept");
    assert_eq!(user(&s, &id)["seat"], "viewer", "a sign-in moves no seat");
    let path = format!("/admin/users/{id}/events");
    let v = refused(&s, "POST", &path, Some(&json!({"type": "purchase"})), 400, "bad_request");
    assert!(v["detail"].as_str().unwrap().contains("qualifying_action"), "{v}");
    refused(&s, "POST", &path, Some(&json!({})), 400, "bad_request");
    refused(&s, "POST", "/admin/users/nope/events", Some(&json!({"type": "sign_in"})), 404, "not_found");
    scim_deactivate(&s, &id);
    refused(&s, "POST", &path, Some(&json!({"type": "sign_in"})), 403, "user_deactivated");
    refused(&s, "POST", &path, Some(&json!({"type": "qualifying_action"})), 409, "user_deactivated");
}

#[test]
fn explain_gives_target_seat_would_change_and_reasons() {
    let s = Server::start();
    let id = create(&s, "why", json!([okta_role("LICENSED_USER")]));
    let ex = explain(&s, &id);
    assert_eq!(ex["id"], id.as_str(), "explain carries the user fields: {ex}");
    assert_eq!(ex["seat"], "member", "{ex}");
    assert_eq!(ex["target_seat"], "member", "{ex}");
    assert_eq!(ex["would_change"], false, "{ex}");
    assert_eq!(ex["reasons"], json!([]), "{ex}");
    assert_eq!(ex["roles"][0]["source"], "roles_attribute", "{ex}");
    set_seat(&s, &id, "no_access");
    let ex = explain(&s, &id);
    assert_eq!(
        (ex["target_seat"].as_str(), ex["would_change"].as_bool()),
        (Some("member"), Some(true)),
        "{ex}"
    );
    assert_eq!(codes(&ex), ["manual_change"], "{ex}");
    assert!(ex["reasons"][0]["detail"].as_str().unwrap().contains("no_access"), "{ex}");
    ok(&s, "POST", "/admin/di/disable", None);
    assert!(codes(&explain(&s, &id)).contains(&"di_off".to_string()));
    ok(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})));
    scim_deactivate(&s, &id);
    let ex = explain(&s, &id);
    assert_eq!(codes(&ex), ["deactivated"], "{ex}");
    assert_eq!(ex["would_change"], false, "{ex}");
    refused(&s, "GET", "/admin/users/nope/explain", None, 404, "not_found");
}

// ------------------------------------------------------------------------------------------------
// Guests, domains, tokens, role mappings

#[test]
fn guests_are_created_shown_and_removed_only_in_admin() {
    let s = Server::start();
    let r =
        s.admin("POST", "/admin/guests", Some(&json!({"email": "partner@vendor.com", "displayName": "Pat"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let g = r.json();
    let id = g["id"].as_str().unwrap().to_string();
    assert_eq!(g["seat"], "guest", "{g}");
    assert_eq!(g["seat_label"], "Guest", "{g}");
    assert_eq!(g["status"], "active", "{g}");
    assert_eq!(g["managed_by_directory"], false, "{g}");
    assert_eq!(g["email"], "partner@vendor.com", "{g}");
    assert_eq!(user(&s, &id)["seat"], "guest");
    let e = &user_events(&s, &id)[0];
    assert_eq!(e["action"], "guest_added", "{e}");
    assert_eq!(e["after"], json!({"seat": "guest", "status": "active"}), "{e}");
    assert!(codes(&explain(&s, &id)).contains(&"guest".to_string()));
    refused(&s, "POST", "/admin/guests", Some(&json!({"email": "Partner@Vendor.com"})), 409, "user_exists");
    refused(&s, "POST", "/admin/guests", Some(&json!({"email": "not-an-address"})), 400, "bad_request");
    refused(
        &s,
        "PUT",
        &format!("/admin/users/{id}/seat"),
        Some(&json!({"seat": "member"})),
        409,
        "guest_admin_only",
    );
    // The guests route removes guests only.
    let regular = create(&s, "regular", json!([]));
    refused(&s, "DELETE", &format!("/admin/guests/{regular}"), None, 404, "not_found");
    assert_eq!(user(&s, &regular)["status"], "active");
    // Removing a guest does not need DI off.
    let v = ok(&s, "DELETE", &format!("/admin/guests/{id}"), None);
    assert_eq!(v["removed"], true, "{v}");
    refused(&s, "GET", &format!("/admin/users/{id}"), None, 404, "not_found");
    assert_eq!(user_events(&s, &id)[0]["action"], "removed");
}

#[test]
fn domains_are_added_verified_listed_and_removed() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/domains", Some(&json!({"name": "Contoso.COM"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let d = r.json();
    assert_eq!((d["name"].as_str(), d["verified"].as_bool()), (Some("contoso.com"), Some(false)), "{d}");
    let list = ok(&s, "GET", "/admin/domains", None);
    let names: Vec<(String, bool)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["name"].as_str().unwrap().to_string(), d["verified"].as_bool().unwrap()))
        .collect();
    assert!(
        names.contains(&("contoso.com".into(), false)) && names.contains(&("example.com".into(), true)),
        "{list}"
    );
    assert!(list["next_cursor"].is_null());
    refused(&s, "POST", "/admin/domains", Some(&json!({"name": "contoso.com"})), 409, "domain_exists");
    refused(&s, "POST", "/admin/domains", Some(&json!({"name": "not a domain"})), 400, "bad_request");
    refused(&s, "POST", "/admin/domains", Some(&json!({})), 400, "bad_request");
    // Not validated yet: SCIM refuses the domain.
    let body = json!({"schemas": [USER_URN], "userName": "kim@contoso.com"});
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 400);
    let v = ok(&s, "POST", "/admin/domains/contoso.com/verify", None);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 201);
    assert_eq!(ok(&s, "GET", "/admin/di", None)["validated_domains"], json!(["contoso.com", "example.com"]));
    refused(&s, "POST", "/admin/domains/unknown.org/verify", None, 404, "not_found");
    // Removing: fine while another validated domain remains; the last one needs DI off.
    assert_eq!(ok(&s, "DELETE", "/admin/domains/contoso.com", None)["removed"], true);
    let v = refused(&s, "DELETE", "/admin/domains/example.com", None, 409, "last_validated_domain");
    assert!(v["detail"].as_str().unwrap().contains("example.com"), "{v}");
    assert_eq!(ok(&s, "GET", "/admin/di", None)["validated_domains"], json!(["example.com"]));
    refused(&s, "DELETE", "/admin/domains/unknown.org", None, 404, "not_found");
    ok(&s, "POST", "/admin/di/disable", None);
    ok(&s, "DELETE", "/admin/domains/example.com", None);
    assert_eq!(ok(&s, "GET", "/admin/domains", None)["items"], json!([]));
    let actions: BTreeSet<String> = audit(&s, "limit=50")["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for a in ["domain_added", "domain_verified", "domain_removed"] {
        assert!(actions.contains(a), "{a} audited: {actions:?}");
    }
}

#[test]
fn tokens_are_created_once_listed_without_secrets_and_revoked() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/tokens", Some(&json!({"name": "okta", "scope": "scim"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let t = r.json();
    let secret = t["token"].as_str().unwrap().to_string();
    assert_eq!((t["name"].as_str(), t["scope"].as_str()), (Some("okta"), Some("scim")), "{t}");
    assert_eq!(s.scim_as(&secret, "GET", "/Users", None).status, 200);
    assert_eq!(s.admin_as(&secret, "GET", "/admin/settings", None).status, 403);
    let list = ok(&s, "GET", "/admin/tokens", None);
    let items = list["items"].as_array().unwrap();
    let mine = items.iter().find(|i| i["id"] == t["id"]).unwrap();
    assert_eq!((mine["name"].as_str(), mine["scope"].as_str()), (Some("okta"), Some("scim")), "{mine}");
    assert!(mine.get("token").is_none() && !list.to_string().contains(&secret), "{list}");
    assert!(list["next_cursor"].is_null());
    let revoked = ok(&s, "DELETE", &format!("/admin/tokens/{}", t["id"].as_str().unwrap()), None);
    assert!(revoked["revoked"].is_string(), "{revoked}");
    assert_eq!(s.scim_as(&secret, "GET", "/Users", None).status, 401);
    refused(&s, "POST", "/admin/tokens", Some(&json!({"scope": "scim"})), 400, "bad_request");
    refused(&s, "POST", "/admin/tokens", Some(&json!({"name": "x", "scope": "root"})), 400, "bad_request");
    refused(&s, "DELETE", "/admin/tokens/nope", None, 404, "not_found");
}

#[test]
fn role_mappings_are_read_and_replaced_and_an_invalid_table_changes_nothing() {
    let s = Server::start();
    let table = ok(&s, "GET", "/admin/role-mappings", None);
    let items = table["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{table}");
    assert_eq!(
        items.iter().find(|r| r["variable_name"] == "smartsheetLicensedUser").unwrap(),
        &json!({"name": "Smartsheet Licensed User", "mapping_values": ["LICENSED_USER"],
                "variable_name": "smartsheetLicensedUser", "seat": "member", "admin_rights": []})
    );
    let sys = items.iter().find(|r| r["name"] == "Smartsheet System Admin").unwrap();
    assert_eq!(sys["mapping_values"], json!(["SYSTEM_ADMIN", "USER_ADMIN", "PAYMENT_ADMIN", "DATA_ADMIN"]));
    assert_eq!(
        (sys["seat"].as_str(), sys["admin_rights"].clone()),
        (Some("viewer"), json!(["user_admin", "payment_admin", "data_admin"]))
    );
    assert!(table["role_group_prefix"].is_null(), "{table}");
    let with = |extra: Value| {
        let mut all = items.clone();
        all.push(extra);
        json!({"items": all})
    };
    let bad = [
        with(
            json!({"name": "Owner", "mapping_values": ["OWNER"], "variable_name": "owner", "seat": "no_access"}),
        ),
        with(
            json!({"name": "Twin", "mapping_values": ["LICENSED_USER"], "variable_name": "twin", "seat": "member"}),
        ),
        with(json!({"name": "Nameless", "mapping_values": ["NAMELESS"], "seat": "member"})),
        with(json!({"name": "Empty", "mapping_values": [], "variable_name": "empty", "seat": "member"})),
        with(
            json!({"name": "Boss", "mapping_values": ["BOSS"], "variable_name": "boss", "seat": "member", "admin_rights": ["god_mode"]}),
        ),
        json!({"items": []}),
        json!({"items": "LICENSED_USER"}),
    ];
    for body in &bad {
        let r = s.admin("PUT", "/admin/role-mappings", Some(body));
        assert_eq!(r.status, 400, "{body}: {}", r.text());
        assert!(r.json()["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }
    assert_eq!(ok(&s, "GET", "/admin/role-mappings", None), table, "invalid tables changed nothing");
    let contractor = json!({"name": "Smartsheet Contractor", "mapping_values": ["CONTRACTOR"],
        "variable_name": "smartsheetContractor", "seat": "member", "admin_rights": []});
    let v = ok(&s, "PUT", "/admin/role-mappings", Some(&with(contractor.clone())));
    assert_eq!(v["items"].as_array().unwrap().len(), 6, "{v}");
    assert_eq!(v["items"][5], contractor);
    assert_eq!(ok(&s, "GET", "/admin/role-mappings", None), v);
    let id = create(&s, "contractor", json!([okta_role("CONTRACTOR")]));
    assert_eq!(user(&s, &id)["seat"], "member", "the new role implies member");
    assert_eq!(
        audit(&s, "limit=5")["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "role_mappings_changed")
            .count(),
        1
    );
}

// ------------------------------------------------------------------------------------------------
// Reconcile, sweep, audit, report, guard

#[test]
fn reconcile_dry_run_reports_and_apply_changes_seats_and_audits() {
    let s = Server::start();
    let down = create(&s, "down", json!([okta_role("LICENSED_USER")]));
    let up = create(&s, "up", json!([]));
    create_group(&s, "Contractors", &[&up]);
    // Edit the role table: LICENSED_USER now implies viewer, and "Contractors" a member seat.
    let mut items = ok(&s, "GET", "/admin/role-mappings", None)["items"].as_array().unwrap().clone();
    items.iter_mut().find(|r| r["name"] == "Smartsheet Licensed User").unwrap()["seat"] = json!("viewer");
    items.push(json!({"name": "Contractor", "mapping_values": ["Contractors"], "variable_name": "contractor", "seat": "member"}));
    ok(&s, "PUT", "/admin/role-mappings", Some(&json!({"items": items})));
    let before = (user_events(&s, &down).len(), user_events(&s, &up).len());
    let check = |v: &Value, applied: bool| {
        assert_eq!(v["applied"], applied, "{v}");
        assert_eq!((v["downgrades"].as_u64(), v["upgrades"].as_u64()), (Some(1), Some(1)), "{v}");
        let changes = v["changes"].as_array().unwrap();
        let find = |id: &str| changes.iter().find(|c| c["user_id"] == id).cloned().unwrap_or(Value::Null);
        let d = find(&down);
        assert_eq!(
            (d["from"].as_str(), d["to"].as_str(), d["reason"].as_str()),
            (Some("member"), Some("viewer"), Some("di_downgrade")),
            "{v}"
        );
        assert_eq!(d["userName"], email("down"));
        let u = find(&up);
        assert_eq!(
            (u["from"].as_str(), u["to"].as_str(), u["reason"].as_str()),
            (Some("viewer"), Some("member"), Some("di_upgrade")),
            "{v}"
        );
    };
    // The default is a dry run.
    check(&ok(&s, "POST", "/admin/reconcile", None), false);
    check(&ok(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": true}))), false);
    assert_eq!(
        (user(&s, &down)["seat"].as_str(), user(&s, &up)["seat"].as_str()),
        (Some("member"), Some("viewer"))
    );
    assert_eq!(
        (user_events(&s, &down).len(), user_events(&s, &up).len()),
        before,
        "a dry run audits nothing"
    );
    // Applying needs DI on.
    ok(&s, "POST", "/admin/di/disable", None);
    refused(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": false})), 409, "reconcile_needs_di_on");
    ok(&s, "POST", "/admin/di/enable", Some(&json!({"force": true})));
    check(&ok(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": false}))), true);
    assert_eq!(
        (user(&s, &down)["seat"].as_str(), user(&s, &up)["seat"].as_str()),
        (Some("viewer"), Some("member"))
    );
    for (id, action) in [(&down, "di_downgrade"), (&up, "di_upgrade")] {
        let e = &user_events(&s, id)[0];
        assert_eq!(e["action"], action, "{e}");
        assert_eq!((e["actor"].as_str(), e["source"].as_str()), (Some(ADMIN_ACTOR), Some("admin")), "{e}");
        assert!(e["reason"].as_str().unwrap().contains("reconcile"), "{e}");
    }
    // Nothing left to do.
    let v = ok(&s, "POST", "/admin/reconcile", None);
    assert_eq!(v["changes"], json!([]), "{v}");
    refused(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": "no"})), 400, "bad_request");
}

#[test]
fn provisional_sweep_route_runs_the_review_expiry_now() {
    let s = Server::start();
    let id = create(&s, "sweep", json!([]));
    event(&s, &id, "qualifying_action");
    // A running review is not ended by a sweep.
    let v = ok(&s, "POST", "/admin/provisional/sweep", None);
    assert_eq!(v, json!({"changes": [], "changes_total": 0, "listed_at_most": 1000, "applied": true}));
    assert_eq!(user(&s, &id)["seat"], "provisional_member");
    refused(&s, "GET", "/admin/provisional/sweep", None, 405, "method_not_allowed");
}

#[test]
fn audit_query_filters_by_user_since_and_limit_with_a_cursor() {
    let s = Server::start();
    let id = create(&s, "aud", json!([]));
    let other = create(&s, "other", json!([]));
    for seat in ["member", "no_access", "viewer"] {
        set_seat(&s, &id, seat);
    }
    let all = audit(&s, &format!("user_id={id}"));
    let items = all["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["manual_change", "manual_change", "manual_change", "provisioned"], "newest first");
    assert!(items.iter().all(|e| e["user_id"] == id.as_str()));
    assert!(all["next_cursor"].is_null());
    let e = &items[0];
    for k in ["id", "at", "actor", "source", "action", "user_id", "before", "after", "reason", "request_id"] {
        assert!(e.get(k).is_some(), "{k} missing: {e}");
    }
    assert_eq!(e["before"], json!({"seat": "no_access", "status": "active"}));
    assert_eq!(e["after"], json!({"seat": "viewer", "status": "active"}));
    // Paging.
    let page = audit(&s, &format!("user_id={id}&limit=3"));
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    let cursor = page["next_cursor"].as_str().expect("a next cursor").to_string();
    let rest = audit(&s, &format!("user_id={id}&limit=3&cursor={cursor}"));
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["action"], "provisioned");
    assert!(rest["next_cursor"].is_null());
    // Since.
    assert_eq!(audit(&s, "since=2999-01-01")["items"], json!([]));
    assert_eq!(
        audit(&s, &format!("user_id={id}&since=2000-01-01T00:00:00Z"))["items"].as_array().unwrap().len(),
        4
    );
    let at = items[0]["at"].as_str().unwrap();
    let recent = audit(&s, &format!("since={}", query_escape(at)));
    assert!(recent["items"].as_array().unwrap().iter().any(|e| e["id"] == items[0]["id"]), "{recent}");
    assert!(
        recent["items"].as_array().unwrap().iter().all(|e| e["at"].as_str().unwrap() >= &at[..19]),
        "{recent}"
    );
    // Other users' events are not mixed in; the plain query has both.
    assert!(
        audit(&s, &format!("user_id={other}"))["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["user_id"] == other.as_str())
    );
    assert_eq!(
        audit(&s, "limit=1000")["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["user_id"] == other.as_str())
            .count(),
        1
    );
    refused(&s, "GET", "/admin/audit?since=yesterday", None, 400, "bad_request");
    refused(&s, "GET", "/admin/audit?limit=many", None, 400, "bad_request");
}

/// The fields of one CSV line whose every field is quoted.
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn users_csv_has_the_contract_header_and_one_line_per_user() {
    let s = Server::start();
    create_with(
        &s,
        "ada",
        json!([okta_role("LICENSED_USER")]),
        json!({
            "displayName": "Ada Lovelace",
            "schemas": [USER_URN, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                {"division": "EMEA", "department": "Engineering", "costCenter": "CC-42"}
        }),
    );
    create(&s, "pending", json!([]));
    let gone = create_with(&s, "gone", json!([]), json!({"displayName": "=HYPERLINK(\"http://x\")"}));
    scim_deactivate(&s, &gone);
    assert_eq!(s.admin("POST", "/admin/guests", Some(&json!({"email": "g@partner.org"}))).status, 201);
    let r = s.admin("GET", "/admin/reports/users.csv", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().starts_with("text/csv"), "{:?}", r.headers);
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated"
    );
    assert_eq!(lines.len(), 5, "a header and one line per user, pending and guests included: {text}");
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| csv_fields(l)).collect();
    assert!(rows.iter().all(|r| r.len() == 10), "{rows:?}");
    let ada = rows.iter().find(|r| r[1] == email("ada")).unwrap();
    assert_eq!(
        &ada[..9],
        [
            "Ada Lovelace",
            "ada@example.com",
            "Active",
            "Member",
            "Smartsheet Licensed User",
            "Yes",
            "EMEA",
            "Engineering",
            "CC-42"
        ]
    );
    assert!(ada[9].starts_with("20") && ada[9].ends_with('Z'), "{ada:?}");
    let gone = rows.iter().find(|r| r[1] == email("gone")).unwrap();
    assert_eq!((gone[2].as_str(), gone[3].as_str()), ("Deactivated", ""), "{gone:?}");
    assert!(!gone[0].starts_with('='), "a formula is neutralised: {gone:?}");
    let guest = rows.iter().find(|r| r[1] == "g@partner.org").unwrap();
    assert_eq!((guest[3].as_str(), guest[5].as_str()), ("Guest", "No"), "{guest:?}");
    let pending = rows.iter().find(|r| r[1] == email("pending")).unwrap();
    assert_eq!(pending[3], "Viewer");
}

#[test]
fn deprovision_guard_status_and_reset_routes() {
    let s = Server::start();
    let v = ok(&s, "GET", "/admin/deprovision-guard", None);
    assert_eq!(v["tripped"], false, "{v}");
    assert_eq!(v["deprovisions_in_window"], 0, "{v}");
    assert_eq!((v["max"].as_u64(), v["window_minutes"].as_u64()), (Some(500), Some(60)), "{v}");
    let id = create(&s, "one", json!([]));
    scim_deactivate(&s, &id);
    assert_eq!(ok(&s, "GET", "/admin/deprovision-guard", None)["deprovisions_in_window"], 1);
    let v = ok(&s, "POST", "/admin/deprovision-guard/reset", None);
    assert_eq!(v["tripped"], false, "{v}");
    assert!(v["last_reset"].as_str().is_some_and(|t| t.ends_with('Z')), "{v}");
    let e = &audit(&s, "limit=1")["items"][0];
    assert_eq!(
        (e["action"].as_str(), e["actor"].as_str()),
        (Some("deprovision_guard_reset"), Some(ADMIN_ACTOR)),
        "{e}"
    );
    refused(&s, "POST", "/admin/deprovision-guard", None, 405, "method_not_allowed");
    refused(&s, "GET", "/admin/deprovision-guard/reset", None, 405, "method_not_allowed");
}

// ------------------------------------------------------------------------------------------------
// The listener itself: metrics, health, authentication, routing

#[test]
fn metrics_are_prometheus_text_with_requests_seats_and_di_state() {
    let s = Server::start();
    create(&s, "metric", json!([okta_role("LICENSED_USER")]));
    assert_eq!(s.scim("GET", "/Users", None).status, 200);
    // /metrics needs a token: an admin one, or one of scope metrics for a scrape job.
    assert_eq!(s.client(s.admin_addr).send("GET", "/metrics", &[], None).status, 401);
    assert_eq!(s.admin_as(&s.scim_token, "GET", "/metrics", None).status, 403);
    let r = s.admin("POST", "/admin/tokens", Some(&json!({"name": "prometheus", "scope": "metrics"})));
    assert_eq!(r.status, 201, "{}", r.text());
    let scrape = r.json();
    let scrape_token = scrape["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.admin_as(&scrape_token, "GET", "/admin/settings", None).status,
        403,
        "metrics reads only /metrics"
    );
    let r = s.admin_as(&scrape_token, "GET", "/metrics", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("content-type").unwrap().starts_with("text/plain"), "{:?}", r.headers);
    let text = r.text();
    for needle in [
        "# TYPE scim_seat_requests_total counter",
        "scim_seat_requests_total{surface=\"scim\",route=\"/Users\",status=\"201\"} 1",
        "scim_seat_requests_total{surface=\"scim\",route=\"/Users\",status=\"200\"} 1",
        "scim_seat_request_duration_seconds_bucket{surface=\"scim\",le=\"+Inf\"}",
        "# TYPE scim_seat_users gauge",
        "scim_seat_users{status=\"active\",seat=\"member\"} 1",
        "scim_seat_di_enabled 1",
        // The edge's own counters, per listener.
        "scim_seat_edge_accepted_total{surface=\"scim\"}",
        "scim_seat_edge_refused_over_cap_total{surface=\"admin\"} 0",
        "scim_seat_edge_tls_failures_total{surface=\"scim\"} 0",
        "scim_seat_edge_timeouts_total{surface=\"scim\"}",
        "scim_seat_edge_open_connections{surface=\"admin\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[test]
fn healthz_needs_no_token_on_either_listener() {
    let s = Server::start();
    for addr in [s.admin_addr, s.scim_addr] {
        let r = s.client(addr).send("GET", "/healthz", &[], None);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["status"], "ok");
    }
}

#[test]
fn admin_routes_need_an_admin_token_and_answer_404_and_405() {
    let s = Server::start();
    let r = s.client(s.admin_addr).send("GET", "/admin/settings", &[], None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["error"], "unauthorized");
    assert!(r.header("www-authenticate").is_some_and(|h| h.starts_with("Bearer")));
    let r = s.admin_as("not-a-token", "GET", "/admin/users", None);
    assert_eq!(r.status, 401);
    let r = s.admin_as(&s.scim_token, "GET", "/admin/settings", None);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "wrong_scope");
    // A refused token changes nothing.
    let r = s.admin_as(&s.scim_token, "PATCH", "/admin/settings", Some(&json!({"auto_upgrade": false})));
    assert_eq!(r.status, 403);
    assert_eq!(settings(&s)["auto_upgrade"], true);
    refused(&s, "GET", "/admin/nothing-here", None, 404, "not_found");
    refused(&s, "GET", "/admin/users/x/y/z", None, 404, "not_found");
    assert_eq!(s.admin("GET", "/elsewhere", None).status, 404);
    for (method, path) in [
        ("PUT", "/admin/settings"),
        ("DELETE", "/admin/di"),
        ("GET", "/admin/di/enable"),
        ("PUT", "/admin/users"),
        ("PATCH", "/admin/users/x"),
        ("GET", "/admin/users/x/seat"),
        ("GET", "/admin/reconcile"),
        ("POST", "/admin/audit"),
        ("PUT", "/admin/tokens"),
        ("POST", "/admin/role-mappings"),
        ("DELETE", "/admin/reports/users.csv"),
    ] {
        refused(&s, method, path, None, 405, "method_not_allowed");
    }
    // The route table lists the methods a path takes in `Allow`.
    for (method, path, allow) in [
        ("PUT", "/admin/settings", "GET, PATCH"),
        ("PUT", "/admin/users", "GET, POST"),
        ("PATCH", "/admin/users/x", "GET, DELETE"),
        ("GET", "/admin/domains/example.com/verify", "POST"),
    ] {
        let r = s.admin(method, path, None);
        assert_eq!((r.status, r.header("allow")), (405, Some(allow)), "{method} {path}: {:?}", r.headers);
    }
    // An unknown admin path still needs a token: the API's shape is not shown to strangers.
    assert_eq!(s.client(s.admin_addr).send("GET", "/admin/nothing-here", &[], None).status, 401);
}

/// Regression (typed seams): the seat and status filters are parsed once, with the seat labels and
/// any case, and compared as types, so `?seat=Viewer` and `?seat=contributor` find the viewers.
#[test]
fn users_list_reads_seats_and_statuses_with_their_aliases_and_any_case() {
    let s = Server::start();
    let member = create(&s, "mem", json!([okta_role("LICENSED_USER")]));
    let viewer = create(&s, "view", json!([]));
    event(&s, &viewer, "sign_in");
    for query in ["seat=viewer", "seat=Viewer", "seat=contributor", "seat=CONTRIBUTOR"] {
        assert_eq!(listed(&s, query), set_of(&[&viewer]), "{query}");
    }
    for query in ["seat=member&status=ACTIVE", "seat=Member&status=active", "status=Active&q=mem"] {
        assert_eq!(listed(&s, query), set_of(&[&member]), "{query}");
    }
    assert_eq!(listed(&s, "status=DEACTIVATED"), BTreeSet::new());
    assert_eq!(listed(&s, "seat=No%20Access"), BTreeSet::new());
}

/// Regression (typed seams): a setting keeps the JSON type it takes: a string stays a string (even
/// `"2024"`, `"true"` or `"none"`), `null` clears, and GET reads back what PATCH stored.
#[test]
fn settings_are_typed_end_to_end() {
    let s = Server::start();
    for prefix in ["2024", "true", "none", "Smartsheet US "] {
        let v = patch_settings(&s, json!({"role_group_prefix": prefix}));
        assert_eq!(v["role_group_prefix"], prefix, "{v}");
        assert_eq!(settings(&s)["role_group_prefix"], prefix);
    }
    let v = patch_settings(&s, json!({"role_group_prefix": null, "member_seat_limit": 12}));
    assert_eq!(
        (v["role_group_prefix"].clone(), v["member_seat_limit"].clone()),
        (Value::Null, json!(12)),
        "{v}"
    );
    assert_eq!(settings(&s), v);
    // Booleans and numbers are JSON booleans and numbers, never text.
    let v = settings(&s);
    assert!(v["auto_upgrade"].is_boolean() && v["provisional_review_days"].is_u64(), "{v}");
    assert!(v["deprovision_guard"]["max"].is_u64() && v["plan_model"].is_string(), "{v}");
    // The CLI keeps text as typed too, and `settings unset` clears.
    let (code, out, err) =
        crate::harness::cli(&s.db, &["settings", "set", "role_group_prefix", "none", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(settings(&s)["role_group_prefix"], "none");
    let (code, _, err) = crate::harness::cli(&s.db, &["settings", "unset", "role_group_prefix"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(settings(&s)["role_group_prefix"], Value::Null);
}

/// The metric names come from the route table: every admin route is counted under its pattern,
/// never under a catch-all.
#[test]
fn metrics_name_each_admin_route_by_its_pattern() {
    let s = Server::start();
    let id = create(&s, "m", json!([]));
    ok(&s, "GET", &format!("/admin/users/{id}/explain"), None);
    ok(&s, "GET", "/admin/deprovision-guard", None);
    ok(&s, "GET", "/admin/role-mappings", None);
    let text = s.admin("GET", "/metrics", None).text();
    for route in ["/admin/users/{id}/explain", "/admin/deprovision-guard", "/admin/role-mappings"] {
        assert!(text.contains(&format!("route=\"{route}\",status=\"200\"")), "{route}:\n{text}");
    }
    assert!(!text.contains(&id), "ids never reach the metrics");
}
