//! Rehearsing a roll-out (seed smartsheet-di-seat-mapping-update): a plan that already has users and
//! seats, an IdP that starts provisioning into it, and Directory Integration taking those users over.
//! Plan users are added and imported, the DI-enable preview counts them, Entra- and Okta-shaped first
//! syncs match and take them over (downgrades held), the drift report shows the outcome, the
//! `seat_mapping` switch is guarded, and reconcile resolves the held downgrades.

use crate::harness::{
    Server, TempDir, USER_URN, cli, expect_list, expect_scim, expect_scim_error, patch_ops,
};
use serde_json::{Value, json};

fn email(local: &str) -> String {
    format!("{local}@example.com")
}

fn admin(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert!(r.status == 200 || r.status == 201, "{method} {path}: {} {}", r.status, r.text());
    r.json()
}

fn user(s: &Server, id: &str) -> Value {
    admin(s, "GET", &format!("/admin/users/{id}"), None)
}

fn last_action(s: &Server, id: &str) -> Value {
    admin(s, "GET", &format!("/admin/audit?user_id={id}&limit=1"), None)["items"][0].clone()
}

/// Entra's match step: `userName eq` finds the plan user; returns its SCIM id.
fn entra_match(s: &Server, local: &str) -> String {
    let path = format!("/Users?filter=userName+eq+%22{}%22", email(local).replace('@', "%40"));
    let (total, found) = expect_list(&s.scim("GET", &path, None));
    assert_eq!(total, 1, "Entra's query finds the plan user {local}");
    found[0]["id"].as_str().unwrap().to_string()
}

fn csv_plan() -> String {
    let mut csv = String::from(
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated\r\n",
    );
    for (name, local, seat) in [
        ("Alice A", "alice", "Member"),
        ("Bob B", "bob", "Member"),
        ("Carol C", "carol", "Viewer"),
        ("Dave D", "dave", "Member"),
        ("Erin E", "erin", "Viewer"),
    ] {
        csv.push_str(&format!(
            "\"{name}\",\"{}\",\"Active\",\"{seat}\",\"\",\"No\",\"\",\"Sales\",\"\",\"\"\r\n",
            email(local)
        ));
    }
    csv
}

#[test]
fn a_roll_out_rehearsed_end_to_end() {
    let s = Server::start();
    // The plan before the IdP: DI off, users added in Admin Center (here: imported with the CLI).
    admin(&s, "POST", "/admin/di/disable", None);
    let file = s.dir.path().join("plan.csv");
    std::fs::write(&file, csv_plan()).unwrap();
    let f = file.display().to_string();
    let (code, out, err) = cli(&s.db, &["users", "import", &f, "--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("dry run") && out.contains("5 created"), "{out}");
    assert_eq!(
        admin(&s, "GET", "/admin/users", None)["items"].as_array().unwrap().len(),
        0,
        "a dry run imports nothing"
    );
    let (code, out, err) = cli(&s.db, &["users", "import", &f]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("5 created, 0 skipped as identical, 0 refused"), "{out}");
    let listed = admin(&s, "GET", "/admin/users", None);
    let ids: std::collections::HashMap<String, String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["userName"].as_str().unwrap().to_string(), u["id"].as_str().unwrap().to_string()))
        .collect();
    let id = |local: &str| ids[&email(local)].clone();
    let alice = user(&s, &id("alice"));
    assert_eq!(
        (alice["seat"].as_str(), alice["managed_by_directory"].as_bool()),
        (Some("member"), Some(false)),
        "{alice}"
    );
    assert_eq!(last_action(&s, &id("alice"))["action"], "user_added");
    assert_eq!(last_action(&s, &id("alice"))["source"], "cli");

    // Turning DI on: the preview counts the plan users no IdP has touched yet.
    let preview = admin(&s, "POST", "/admin/di/enable", Some(&json!({"dry_run": true})));
    let untouched = &preview["untouched_plan_users"];
    assert_eq!((untouched["users"].as_u64(), untouched["members"].as_u64()), (Some(5), Some(3)), "{preview}");
    assert!(untouched["note"].as_str().unwrap().contains("held"), "{preview}");
    let on = admin(&s, "POST", "/admin/di/enable", Some(&json!({})));
    assert_eq!(on["applied"], true, "{on}");

    // Entra's first sync: match by userName, then PATCH what differs.
    let a = entra_match(&s, "alice");
    assert_eq!(a, id("alice"));
    let r = s.scim(
        "PATCH",
        &format!("/Users/{a}"),
        Some(&patch_ops(json!([{"op": "Replace", "path": "title", "value": "AE"}]))),
    );
    expect_scim(&r, 200);
    let alice = user(&s, &a);
    assert_eq!(
        (alice["seat"].as_str(), alice["managed_by_directory"].as_bool()),
        (Some("member"), Some(true)),
        "{alice}"
    );
    let held = last_action(&s, &a);
    assert_eq!(held["action"], "downgrade_held", "{held}");
    assert!(held["reason"].as_str().unwrap().contains("viewer"), "what DI asked for is recorded: {held}");
    let d = entra_match(&s, "dave");
    let r = s.scim(
        "PATCH",
        &format!("/Users/{d}"),
        Some(&patch_ops(json!([{"op": "Add", "path": "roles", "value": [
        {"value": "{\"id\":\"1\",\"value\":\"LICENSED_USER\",\"displayName\":\"Licensed User\"}"}]}]))),
    );
    expect_scim(&r, 200);
    assert_eq!(user(&s, &d)["seat"], "member");
    assert_eq!(last_action(&s, &d)["action"], "taken_over");

    // Okta's first sync: list/filter, then a PUT of the whole user with its roles.
    for (local, roles, seat, action) in [
        ("bob", json!([]), "member", "downgrade_held"),
        ("carol", json!([{"type": "LICENSED_USER", "value": "LICENSED_USER"}]), "member", "di_upgrade"),
    ] {
        let uid = entra_match(&s, local);
        let put = json!({"schemas": [USER_URN], "userName": email(local), "active": true,
            "name": {"givenName": local, "familyName": "Okta"},
            "emails": [{"primary": true, "value": email(local), "type": "work"}], "roles": roles});
        expect_scim(&s.scim("PUT", &format!("/Users/{uid}"), Some(&put)), 200);
        assert_eq!(user(&s, &uid)["seat"], seat, "{local}");
        assert_eq!(last_action(&s, &uid)["action"], action, "{local}");
    }
    // A SCIM create with a plan user's userName is a 409, as the RFC says.
    let body = json!({"schemas": [USER_URN], "userName": email("erin"), "active": true});
    expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 409, Some("uniqueness"));

    // The outcome at a glance: the held downgrades in explain, /metrics and the drift report.
    let ex = admin(&s, "GET", &format!("/admin/users/{a}/explain"), None);
    assert_eq!(ex["reasons"][0]["code"], "downgrade_held", "{ex}");
    let metrics = s.admin("GET", "/metrics", None).text();
    assert!(metrics.contains("scim_seat_downgrades_held 2"), "{metrics}");
    let drift = admin(&s, "GET", "/admin/reports/drift", None);
    assert_eq!(drift["total"], 2, "{drift}");
    assert_eq!(drift["by_reason"], json!({"downgrade_held": 2}), "{drift}");
    assert_eq!(drift["by_seat"], json!({"member": 2}), "{drift}");
    let csv = s.admin("GET", "/admin/reports/drift?format=csv", None).text();
    assert!(csv.lines().count() == 3 && csv.contains("downgrade_held"), "{csv}");
    let (code, out, _) = cli(&s.db, &["report", "drift"]);
    assert_eq!(code, 0);
    assert!(out.contains(&email("bob")) && out.contains("by reason: downgrade_held 2"), "{out}");

    // The other dangerous switch: viewer_only -> groups, guarded like DI enable.
    admin(&s, "PATCH", "/admin/settings", Some(&json!({"seat_mapping": "viewer_only"})));
    let (code, out, _) = cli(&s.db, &["settings", "set", "seat_mapping", "groups"]);
    assert_eq!(code, 1, "refused: {out}");
    assert!(out.contains(&email("alice")) && out.contains(&email("bob")), "the changes are printed: {out}");
    let (code, _, _) = cli(&s.db, &["settings", "set", "seat_mapping", "groups", "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(admin(&s, "GET", "/admin/settings", None)["seat_mapping"], "viewer_only");
    let (code, out, err) = cli(&s.db, &["settings", "set", "seat_mapping", "groups", "--force"]);
    assert_eq!(code, 0, "{out}{err}");

    // Reconcile resolves the held downgrades: what DI asked for is applied.
    let dry = admin(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": true})));
    assert_eq!(dry["downgrades"], 2, "{dry}");
    admin(&s, "POST", "/admin/reconcile", Some(&json!({"dry_run": false})));
    for uid in [&a, &id("bob")] {
        let u = user(&s, uid);
        assert_eq!(u["seat"], "viewer", "{u}");
        assert_eq!(last_action(&s, uid)["action"], "di_downgrade");
    }
    assert_eq!(admin(&s, "GET", "/admin/reports/drift", None)["total"], 0);
    assert!(s.admin("GET", "/metrics", None).text().contains("scim_seat_downgrades_held 0"));
    // Erin, whom no IdP touched, is still the plan's own.
    assert_eq!(user(&s, &id("erin"))["managed_by_directory"], false);
}

#[test]
fn with_match_downgrade_apply_the_first_write_downgrades_at_once() {
    let s = Server::start();
    admin(&s, "PATCH", "/admin/settings", Some(&json!({"match_downgrade": "apply"})));
    let u = admin(&s, "POST", "/admin/users", Some(&json!({"userName": email("max"), "seat": "member"})));
    let id = u["id"].as_str().unwrap().to_string();
    let r = s.scim(
        "PATCH",
        &format!("/Users/{id}"),
        Some(&patch_ops(json!([{"op": "replace", "path": "title", "value": "x"}]))),
    );
    expect_scim(&r, 200);
    assert_eq!(user(&s, &id)["seat"], "viewer");
    assert_eq!(last_action(&s, &id)["action"], "di_downgrade");
    // A group write is a first write too: a plan user added to a member role group is taken over.
    let v = admin(&s, "POST", "/admin/users", Some(&json!({"userName": email("gia"), "seat": "viewer"})));
    let gia = v["id"].as_str().unwrap().to_string();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Smartsheet Licensed User",
        "members": [{"value": gia}]});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201);
    let g = user(&s, &gia);
    assert_eq!(
        (g["seat"].as_str(), g["managed_by_directory"].as_bool()),
        (Some("member"), Some(true)),
        "{g}"
    );
}

/// A group that carries no role moves no seat, but its members' representations change (their
/// `groups`), so each gets a new version; a plan user no IdP has touched is taken over by it.
#[test]
fn a_group_without_a_role_versions_its_members_and_takes_over_plan_users() {
    let s = Server::start();
    let body = json!({"schemas": [USER_URN], "userName": email("ann"), "active": true,
        "roles": [{"type": "LICENSED_USER", "value": "LICENSED_USER"}]});
    let ann = expect_scim(&s.scim("POST", "/Users", Some(&body)), 201);
    let (ann, v1) = (ann["id"].as_str().unwrap().to_string(), ann["meta"]["version"].clone());
    let v = admin(&s, "POST", "/admin/users", Some(&json!({"userName": email("pia"), "seat": "viewer"})));
    let pia = v["id"].as_str().unwrap().to_string();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
        "members": [{"value": ann}, {"value": pia}]});
    let group = expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201)["id"].as_str().unwrap().to_string();
    let after = expect_scim(&s.scim("GET", &format!("/Users/{ann}"), None), 200);
    assert_ne!(after["meta"]["version"], v1, "a new version: {after}");
    assert_eq!(after["groups"][0]["display"], "Engineering", "{after}");
    assert_eq!(user(&s, &ann)["seat"], "member", "no seat moves");
    let p = user(&s, &pia);
    assert_eq!(
        (p["seat"].as_str(), p["managed_by_directory"].as_bool()),
        (Some("viewer"), Some(true)),
        "{p}"
    );
    // Leaving it is a new version again, and still no seat change.
    let v2 = after["meta"]["version"].clone();
    let ops = patch_ops(json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]));
    let r = s.scim("PATCH", &format!("/Groups/{group}"), Some(&ops));
    assert!(r.status == 200 || r.status == 204, "{} {}", r.status, r.text());
    let after = expect_scim(&s.scim("GET", &format!("/Users/{ann}"), None), 200);
    assert_ne!(after["meta"]["version"], v2, "{after}");
    assert!(after["groups"].as_array().is_none_or(Vec::is_empty), "no group left: {after}");
    assert_eq!(user(&s, &ann)["seat"], "member");
}

#[test]
fn plan_users_are_added_with_the_domain_and_seat_rules() {
    let s = Server::start();
    let body = json!({"userName": email("pat"), "seat": "Member", "name": {"givenName": "Pat", "familyName": "Lee"},
        "department": "Ops", "costCenter": "42"});
    let r = s.admin("POST", "/admin/users", Some(&body));
    assert_eq!(r.status, 201, "{}", r.text());
    let v = r.json();
    assert_eq!(
        (v["seat"].as_str(), v["managed_by_directory"].as_bool(), v["department"].as_str()),
        (Some("member"), Some(false), Some("Ops")),
        "{v}"
    );
    assert_eq!(last_action(&s, v["id"].as_str().unwrap())["action"], "user_added");
    // SCIM sees the plan user like any other.
    let got = expect_scim(&s.scim("GET", &format!("/Users/{}", v["id"].as_str().unwrap()), None), 200);
    assert_eq!(got["name"]["givenName"], "Pat");
    for (body, status, code) in [
        (json!({"userName": email("pat"), "seat": "viewer"}), 409, "user_exists"),
        (
            json!({"userName": email("q"), "seat": "provisional_member"}),
            400,
            "provisional_system_triggered_only",
        ),
        (json!({"userName": email("q"), "seat": "guest"}), 400, "guest_admin_only"),
        (json!({"userName": "q@elsewhere.org", "seat": "viewer"}), 400, "domain_not_validated"),
        (json!({"userName": email("q")}), 400, "bad_request"),
        (json!({"userName": email("q"), "seat": "boss"}), 400, "bad_request"),
    ] {
        let r = s.admin("POST", "/admin/users", Some(&body));
        assert_eq!((r.status, r.json()["error"].as_str()), (status, Some(code)), "{body}: {}", r.text());
    }
    // The CLI adds the same way, as actor cli.
    let (code, out, err) = cli(&s.db, &["users", "add", &email("cli"), "--seat", "no_access", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["seat"], "no_access");
    assert_eq!(last_action(&s, v["id"].as_str().unwrap())["source"], "cli");
}

#[test]
fn an_import_with_any_bad_row_imports_nothing_and_lists_every_bad_row() {
    let s = Server::start();
    let csv = "Email,Seat type,Status,Name\r\n\
        ok@example.com,Member,Active,Ok\r\n\
        ,Viewer,Active,No email\r\n\
        prov@example.com,Provisional Member,Active,P\r\n\
        away@elsewhere.org,Viewer,Active,Away\r\n\
        ok@example.com,Viewer,Active,Twice\r\n\
        odd@example.com,Viewer,Sleeping,Odd\r\n";
    let r = s.client(s.admin_addr).send_bytes(
        "POST",
        "/admin/users/import",
        &crate::harness::auth(&s.admin_token),
        csv.as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let v = r.json();
    assert_eq!(v["error"], "import_refused", "{v}");
    let lines: Vec<u64> = v["rows"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4, 6, 7], "{v}");
    assert_eq!(
        admin(&s, "GET", "/admin/users", None)["items"].as_array().unwrap().len(),
        0,
        "nothing imported"
    );
    // A row the plan refuses (domain) is found when the rows are applied; still nothing is kept.
    let r = s.client(s.admin_addr).send_bytes(
        "POST",
        "/admin/users/import",
        &crate::harness::auth(&s.admin_token),
        b"Email,Seat type\r\nfine@example.com,Member\r\naway@elsewhere.org,Viewer\r\n",
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["rows"][0]["line"], 3, "{}", r.text());
    assert_eq!(admin(&s, "GET", "/admin/users", None)["items"].as_array().unwrap().len(), 0);
    // Unknown columns are an error.
    let r = s.client(s.admin_addr).send_bytes(
        "POST",
        "/admin/users/import",
        &crate::harness::auth(&s.admin_token),
        b"Email,Colour\r\nx@example.com,red\r\n",
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["rows"][0]["why"].as_str().unwrap().contains("Colour"), "{}", r.text());
}

#[test]
fn a_user_report_imports_into_another_scim_seat_and_again_as_identical() {
    let a = Server::start();
    for (local, seat) in [("r1", "member"), ("r2", "viewer"), ("r3", "no_access")] {
        admin(
            &a,
            "POST",
            "/admin/users",
            Some(&json!({"userName": email(local), "seat": seat, "department": "=SUM(A1)"})),
        );
    }
    admin(&a, "POST", "/admin/guests", Some(&json!({"email": "vendor@partner.org"})));
    let report = a.admin("GET", "/admin/reports/users.csv", None).text();
    // The guest is not a plan user to import: leave it out as an administrator would.
    let report: String =
        report.lines().filter(|l| !l.contains("partner.org")).map(|l| format!("{l}\r\n")).collect();
    let b = Server::start();
    let dir = TempDir::new();
    let file = dir.path().join("users.csv");
    std::fs::write(&file, &report).unwrap();
    let (code, out, err) = cli(&b.db, &["users", "import", &file.display().to_string(), "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["created"].as_u64(), v["skipped_identical"].as_u64()), (Some(3), Some(0)), "{v}");
    let listed = admin(&b, "GET", "/admin/users", None);
    let seats: Vec<(String, String, String)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["userName"].as_str().unwrap().into(),
                u["seat"].as_str().unwrap().into(),
                u["department"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        seats.contains(&(email("r1"), "member".into(), "=SUM(A1)".into())),
        "the formula guard reads back: {seats:?}"
    );
    assert!(seats.contains(&(email("r3"), "no_access".into(), "=SUM(A1)".into())), "{seats:?}");
    // Importing the same file again changes nothing: every row is identical.
    let (code, out, _) = cli(&b.db, &["users", "import", &file.display().to_string()]);
    assert_eq!(code, 0);
    assert!(out.contains("0 created, 3 skipped as identical"), "{out}");
}
