//! The admin console (issue 15) in a real browser: headless Chromium, driven over the W3C WebDriver
//! protocol by Debian's chromedriver, against the real binary. A small WebDriver client of our own
//! (JSON over plain HTTP to chromedriver) is at the bottom of this file.
//!
//! The browser tests need `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian's `chromium` and
//! `chromium-driver` packages, which `.ci/run` installs); without them they fail, naming the
//! packages. A failing browser test saves a screenshot and the page's text under
//! `target/tmp/console-failures/`. With `SCIM_SEAT_SCREENSHOTS=docs` the walkthrough also writes the
//! README's pictures (`docs/console-overview.png`, `docs/console-users.png`).

use crate::harness::{Opts, Server, TempDir, USER_URN, auth, expect_scim, patch_ops};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOSTILE_NAME: &str = "<img src=x onerror=alert(1)>";
const HOSTILE_DISPLAY: &str = "<script>alert(2)</script>";

/// Imports `rows` plan users (userN@example.com) through the admin API, seats cycling
/// viewer, member, no_access.
fn import_plan(s: &Server, rows: usize) {
    let mut csv = String::from("Email,Name,Seat type,Department\r\n");
    for i in 0..rows {
        let seat = ["Viewer", "Member", "No Access"][i % 3];
        csv.push_str(&format!("user{i:04}@example.com,User {i:04},{seat},Dept {}\r\n", i % 7));
    }
    let mut headers = auth(&s.admin_token);
    headers.push(("Content-Type".into(), "text/csv".into()));
    let r = s.client(s.admin_addr).send_bytes("POST", "/admin/users/import", &headers, csv.as_bytes());
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.json()["created"], rows, "{}", r.text());
}

fn scim_user(s: &Server, user_name: &str, extra: Value) -> String {
    let mut body = json!({"schemas": [USER_URN], "userName": user_name, "active": true});
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        body[k] = v;
    }
    expect_scim(&s.scim("POST", "/Users", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn api(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert!(r.status < 300, "{method} {path}: {} {}", r.status, r.text());
    r.json()
}

/// Sign in, 1,000 users listed and filtered, a user opened, a seat changed and its audit event seen,
/// DI turned off and on again through the preview, a small CSV imported (after its dry run), a
/// reconcile preview, the overview's charts, narrow screens, labels, and no request to another host.
#[test]
fn console_walkthrough_in_a_browser() {
    let s = Server::start();
    // Four users from the IdP (a member by its role, two viewers, one deactivated), then 1,000 plan
    // users already on the plan.
    let ada = scim_user(
        &s,
        "ada@example.com",
        json!({"displayName": "Ada Lovelace", "roles": [{"type": "LICENSED_USER", "value": "LICENSED_USER"}]}),
    );
    let bob = scim_user(&s, "bob@example.com", json!({"displayName": "Bob Builder"}));
    scim_user(
        &s,
        "cy@example.com",
        json!({"displayName": "Cy Young", "roles": [{"type": "SYSTEM_ADMIN", "value": "SYSTEM_ADMIN"}]}),
    );
    let eve = scim_user(&s, "eve@example.com", json!({"displayName": "Eve Example"}));
    let off = patch_ops(json!([{"op": "replace", "path": "active", "value": false}]));
    expect_scim(&s.scim("PATCH", &format!("/Users/{eve}"), Some(&off)), 200);
    import_plan(&s, 1000);
    let b = Browser::start("walkthrough");
    let console = format!("{}/", s.admin_url);

    // A wrong token is refused with a clear message, and nothing is kept.
    b.goto(&console);
    b.type_into("#token", "sst_0000000000000000_not-a-token");
    b.click("#sign-in");
    b.wait_text("#signin-error", "refused");
    assert_eq!(b.script("return sessionStorage.length", json!([])), json!(0));

    // Sign in: the overview, with DI on and the seats as charts.
    b.type_into("#token", &s.admin_token);
    b.click("#sign-in");
    b.wait_text("#di-state", "on");
    let seats = b.wait_text("#chart-seats figcaption", "Member");
    let statuses = b.text("#chart-status figcaption");
    assert!(
        seats.contains("Member: 334") && seats.contains("Viewer: 336") && seats.contains("No Access: 333"),
        "{seats} / {statuses}"
    );
    assert!(statuses.contains("Active: 1,003") && statuses.contains("Deactivated: 1"), "{statuses}");
    assert_eq!(b.count("#chart-seats svg rect"), 5);
    b.wait_text("#guard-state", "Armed");
    b.wait_text("#domains", "example.com");
    b.wait_text("#latest-events", "Added to the plan");
    b.assert_labelled();

    // The keyboard alone: Tab reaches the skip link first, which moves the focus to the heading; a
    // navigation link followed with Enter opens its page with the focus on the new heading.
    b.reload();
    b.wait_text("#di-state", "on");
    b.keys("\u{E004}");
    let focused = b.script("return document.activeElement.outerHTML.slice(0, 80)", json!([]));
    assert!(focused.as_str().unwrap().contains("class=\"skip\""), "{focused}");
    b.keys("\u{E007}");
    assert_eq!(b.script("return document.activeElement.id", json!([])), json!("page-title"));
    b.script("document.querySelector(\"nav a[href='#/users']\").focus()", json!([]));
    b.keys("\u{E007}");
    b.wait_text("#page-title", "Users");
    b.wait_until("the focus on the heading", || {
        (b.script("return document.activeElement.id", json!([])) == json!("page-title")).then_some(())
    });

    // Users: 1,004 listed 250 a page, each once, by the server's cursor paging.
    b.wait_text("#users-summary", "Users 1–100");
    assert_eq!(b.count("#users-table tbody tr"), 100);
    b.assert_labelled();
    b.click("#page-size option[value='250']");
    b.wait_text("#users-summary", "Users 1–250,");
    let mut seen = std::collections::BTreeSet::new();
    for page in 0..5 {
        let first = page * 250 + 1;
        b.wait_text("#users-summary", &format!("Users {}–", group(first)));
        let names = b.texts("#users-table tbody tr td:first-child a");
        assert_eq!(names.len(), if page < 4 { 250 } else { 4 }, "page {page}");
        seen.extend(names);
        if page < 4 {
            b.click("#next-page");
        }
    }
    assert_eq!(seen.len(), 1004, "every user once");
    assert!(b.disabled("#next-page"));
    b.click("#prev-page");
    b.wait_text("#users-summary", "Users 751–1,000");

    // Filters: seat, search, status; the rows show seat, status, DI-managed and roles.
    b.click("#page-size option[value='100']");
    b.click("#filter-seat option[value='member']");
    b.wait_until("a page of 100 members", || {
        let seats = b.texts("#users-table td.seat");
        (seats.len() == 100 && seats.iter().all(|t| t.starts_with("Member"))).then_some(())
    });
    b.wait_text("#users-summary", "Users 1–100, more");
    b.type_into("#filter-q", "user0502");
    b.wait_until("one member matches user0502", || (b.count("#users-table tbody tr") == 1).then_some(()));
    b.wait_text("#users-table", "user0502@example.com");
    b.click("#filter-seat option[value='']");
    // Enter in the search field searches at once.
    b.type_into("#filter-q", "ada@\u{E007}");
    b.wait_until("ada alone", || {
        let rows = b.texts("#users-table tbody tr");
        (rows.len() == 1 && rows[0].contains("ada@example.com")).then_some(rows)
    });
    assert_eq!(b.text("#users-table td.managed"), "Yes");
    assert_eq!(b.text("#users-table td.seat"), "Member");
    assert!(
        b.text("#users-table td.roles").contains("Smartsheet Licensed User"),
        "{}",
        b.text("#users-table")
    );
    b.type_into("#filter-q", "example.com");
    b.click("#filter-status option[value='deactivated']");
    b.wait_until("eve alone", || {
        let rows = b.texts("#users-table tbody tr");
        (rows.len() == 1 && rows[0].contains("eve@example.com") && rows[0].contains("Deactivated"))
            .then_some(())
    });
    b.type_into("#filter-q", "nobody-by-this-name");
    b.wait_text("#users-summary", "No user matches");
    assert!(b.current_url().contains("status=deactivated"), "the filters are kept in the address");
    b.click("#filter-status option[value='']");
    // DI-managed or not: Ada came from the IdP, so she is not among the users DI does not manage.
    b.type_into("#filter-q", "ada@\u{E007}");
    b.wait_text("#users-table", "ada@example.com");
    b.click("#filter-managed option[value='false']");
    b.wait_text("#users-summary", "No user matches");
    assert!(b.current_url().contains("managed=false"), "{}", b.current_url());
    b.click("#filter-managed option[value='true']");
    b.wait_text("#users-table", "ada@example.com");
    b.click("#filter-managed option[value='']");
    b.type_into("#filter-q", "bob");
    b.wait_text("#users-table", "bob@example.com");

    // A user: only the seats the manual table allows, what the next update call will do, the change
    // and its audit event.
    b.click(&format!("#users-table a[href='#/user/{bob}']"));
    b.wait_text("#page-title", "Bob Builder");
    assert_eq!(b.text("#seat-current"), "Viewer");
    assert_eq!(b.attrs("#seat-select option", "value"), ["member", "no_access"]);
    b.click("#seat-select option[value='member']");
    let hint = b.wait_text("#seat-hint", "next update call");
    assert!(hint.contains("make the seat Viewer"), "{hint}");
    b.assert_labelled();
    b.type_into("#seat-reason", "trial for the console test");
    b.click("#seat-apply");
    b.wait_text("#flash", "Seat changed to Member");
    b.wait_text("#seat-warning", "update call");
    b.wait_text("#seat-current", "Member");
    let event = b.wait_text("#timeline li[data-action='manual_change']", "trial for the console test");
    assert!(event.contains("Viewer → Member"), "{event}");
    b.wait_text("#reasons li[data-code='manual_change']", "Manual change");
    assert_eq!(api(&s, "GET", &format!("/admin/users/{bob}"), None)["seat"], "member");
    // Ada is a member by her roles: her seat change offers viewer and no access.
    b.goto(&format!("{console}#/user/{ada}"));
    b.wait_text("#page-title", "ada@example.com");
    assert_eq!(b.attrs("#seat-select option", "value"), ["viewer", "no_access"]);
    b.wait_text("#roles", "Smartsheet Licensed User");
    b.wait_text("#roles", "roles attribute");

    // DI off, then on again through the preview: Bob's manual member seat is a downgrade, and the
    // 1,000 plan users are not yet matched by an IdP; turning on asks before forcing.
    b.click("nav a[href='#/overview']");
    b.click("#di-off");
    b.click("#di-off-confirm");
    b.wait_text("#di-state", "off");
    b.wait_text("#flash", "Directory Integration is off");
    assert_eq!(api(&s, "GET", "/admin/di", None)["enabled"], false);
    b.wait_text("#di-badge", "DI off");
    b.click("#di-on");
    let preview = b.wait_text("#di-preview", "downgrade");
    assert!(preview.contains("1 downgrade(s)") && preview.contains("bob@example.com"), "{preview}");
    let untouched = b.text("#di-preview .untouched");
    assert!(
        untouched.contains("1000 plan user(s) no IdP has touched yet, 333 of them with a member seat"),
        "{untouched}"
    );
    assert!(b.disabled("#di-confirm"), "forcing past a downgrade needs the acknowledgement");
    b.click("#di-force-ack");
    b.click("#di-confirm");
    b.wait_text("#di-state", "on");
    assert_eq!(api(&s, "GET", "/admin/di", None)["enabled"], true);
    let audit = api(&s, "GET", "/admin/audit?limit=5", None);
    assert!(
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "di_enabled"
                && e["reason"].as_str().unwrap_or_default().contains("forced")),
        "{audit}"
    );
    b.wait_text("#latest-events", "DI turned on");

    // Reconcile: a long operation shows its outcome (here a preview: Bob back to viewer).
    b.click("#reconcile-preview");
    b.wait_text("#reconcile-result", "bob@example.com");

    // Import: a bad file is refused row by row, then a good one is checked, then imported.
    b.click("nav a[href='#/import']");
    b.type_into("#import-csv", "Email,Seat type\nnew0@example.com,Provisional Member\n");
    b.click("#import-check");
    b.wait_text("#import-refused", "system-triggered only");
    assert!(b.disabled("#import-apply"));
    b.type_into("#import-csv", "Email,Name,Seat type\nnew1@example.com,New One,Member\nnew2@example.com,New Two,Viewer\nnew3@example.com,New Three,No Access\n");
    b.click("#import-check");
    b.wait_text("#import-status", "3 would be created");
    b.assert_labelled();
    b.click("#import-apply");
    b.wait_text("#flash", "3 created");
    let new1 = api(&s, "GET", "/admin/users?q=new1%40example.com", None);
    assert_eq!(new1["items"][0]["seat"], "member", "{new1}");
    assert_eq!(new1["items"][0]["managed_by_directory"], false, "{new1}");

    // Settings: a guarded switch is previewed before it applies.
    b.click("nav a[href='#/settings']");
    b.click("#set-seat_mapping option[value='viewer_only']");
    b.assert_labelled();
    b.click("#settings-save");
    b.wait("#settings-preview");
    b.click("#settings-apply");
    b.wait_text("#flash", "seat_mapping = viewer_only");
    assert_eq!(api(&s, "GET", "/admin/settings", None)["seat_mapping"], "viewer_only");
    b.wait_text("#role-table", "Smartsheet Licensed User");

    // Tokens: the secret is shown once, with a copy button; revoke asks first.
    b.click("nav a[href='#/tokens']");
    b.type_into("#token-name", "Okta production");
    b.click("#token-form button[type='submit']");
    b.wait_text("#token-secret", "only time");
    let secret = b.script("return document.querySelector('#new-token').value", json!([]));
    assert!(secret.as_str().unwrap().starts_with("sst_"), "{secret}");
    b.click("#copy-token");
    b.wait_text("#token-secret", "C");
    b.assert_labelled();
    b.goto(&format!("{console}#/overview"));
    b.goto(&format!("{console}#/tokens"));
    b.wait_text("#tokens-table", "Okta production");
    assert_eq!(b.count("#new-token"), 0, "the secret is not shown again");
    assert!(!b.text("main").contains(secret.as_str().unwrap()));
    let okta = api(&s, "GET", "/admin/tokens", None)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Okta production")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    b.click(&format!("button[data-token='{okta}']"));
    b.click("#revoke-confirm");
    b.wait_text("#flash", "revoked");
    let r = s.scim_as(secret.as_str().unwrap(), "GET", "/Users?count=1", None);
    assert_eq!(r.status, 401, "the revoked token is refused");

    // Reports: the drift report as a table, the audit log.
    b.click("nav a[href='#/reports']");
    b.click("#drift-load");
    b.wait_text("#drift-total", "user(s) differ");
    b.wait_text("#drift-table", "Not managed by DI");
    b.wait_text("#audit-table", "Setting changed");
    b.click("#users-csv");
    b.wait_text("main", "users.csv downloaded (1,007 user(s))");
    b.assert_labelled();

    // Readable 390 px wide: no page-wide horizontal scrolling (wide tables scroll in their box).
    b.emulate_width(Some(390));
    for page in ["overview", "users"] {
        b.goto(&format!("{console}#/{page}"));
        b.wait("#page-title");
        b.wait_until("the page to fit 390 px", || {
            let width = b.script("return document.documentElement.scrollWidth", json!([]));
            (width.as_u64().unwrap_or(9999) <= 390).then_some(())
        });
    }
    b.emulate_width(None);

    // Nothing was fetched from another host, and no script error or CSP violation was logged.
    let foreign = b.script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin))",
        json!([]),
    );
    assert_eq!(foreign, json!([]));
    b.assert_no_script_errors();

    // The README's pictures: the users page and the overview, at 1280 px.
    if let Some(dir) = screenshot_dir() {
        b.goto(&format!("{console}#/users"));
        b.wait_text("#users-summary", "Users 1–100");
        b.save_page_screenshot(&dir.join("console-users.png"), 1000);
        b.goto(&format!("{console}#/overview"));
        b.wait_text("#latest-events", "DI turned on");
        b.save_page_screenshot(&dir.join("console-overview.png"), 1400);
    }
}

/// A long whole-plan run shows, while the console waits for it, how many users the appliance has
/// read of how many.
#[test]
fn console_shows_how_far_a_long_run_is() {
    // Each of the first 12 batches of whole-plan work takes 300 ms more.
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![("SCIM_SEAT_FAULTS".into(), "slow_batch=12".into())],
        ..Opts::default()
    });
    import_plan(&s, 3_000);
    let b = Browser::start("progress");
    b.goto(&format!("{}/", s.admin_url));
    b.type_into("#token", &s.admin_token);
    b.click("#sign-in");
    b.wait_text("#di-state", "on");
    b.click("#reconcile-preview");
    let shown = b.wait_text("#reconcile-status", "users read");
    assert!(shown.contains("of 3,000 users read ("), "{shown}");
    b.wait_until("the preview's outcome", || {
        let text = b.text("#reconcile-status");
        (!text.contains("users read") && text.contains("user")).then_some(text)
    });
}

/// Hostile values from the database are shown as the characters they are; a revoked token signs the
/// console out, a token of another scope is refused, and signing out forgets the token.
#[test]
fn console_renders_values_as_text_and_refuses_tokens() {
    let s = Server::start();
    let hostile = scim_user(
        &s,
        HOSTILE_NAME,
        json!({"displayName": HOSTILE_DISPLAY, "emails": [{"value": "hostile@example.com", "primary": true}]}),
    );
    let second = api(&s, "POST", "/admin/tokens", Some(&json!({"name": "console test", "scope": "admin"})));
    let b = Browser::start("text-and-tokens");
    let console = format!("{}/", s.admin_url);
    b.goto(&console);

    // A SCIM token is valid but not an admin token.
    b.type_into("#token", &s.scim_token);
    b.click("#sign-in");
    b.wait_text("#signin-error", "not an admin token");

    b.type_into("#token", second["token"].as_str().unwrap());
    b.click("#sign-in");
    b.wait_text("#di-state", "on");
    assert!(!b.current_url().contains("sst_"), "the token is never in the address");
    assert_eq!(b.script("return document.cookie", json!([])), json!(""));

    // The hostile userName is a row of text, not markup: no element, no alert.
    b.goto(&format!("{console}#/users?q=%3Cimg"));
    b.wait_until("the hostile row", || (b.count("#users-table tbody tr") == 1).then_some(()));
    assert_eq!(b.text("#users-table td:first-child a"), HOSTILE_NAME);
    assert_eq!(b.text("#users-table td:first-child .hint"), HOSTILE_DISPLAY);
    assert_eq!(b.count("#app img, #app script"), 0);
    b.click("#users-table td:first-child a");
    b.wait_text("#page-title", HOSTILE_DISPLAY);
    assert!(b.text("#page-title").contains(HOSTILE_NAME));
    assert!(b.texts(".facts dd").iter().any(|t| t == HOSTILE_NAME));
    assert_eq!(b.count("#app img, #app script"), 0);
    assert!(b.current_url().contains(&hostile));
    assert!(!b.alert_open(), "a script ran: an alert is open");
    // While DI is on, removal from the plan is the IdP's: the button says why it is off.
    assert!(b.disabled("#remove"));
    b.wait_text("main", "need DI off");

    // A guest: added from the users page, shown with the guest seat (no seat change offered),
    // removed from its page.
    b.click("nav a[href='#/users']");
    b.click("#add-guest-details summary");
    b.type_into("#new-guest-email", "pat@partner.example.org");
    b.click("#add-guest button[type='submit']");
    b.wait_text("#page-title", "pat@partner.example.org");
    assert_eq!(b.text("#seat-current"), "Guest");
    assert_eq!(b.count("#seat-select"), 0);
    b.click("#remove-guest");
    b.click("#remove-confirm");
    b.wait_text("#flash", "Guest pat@partner.example.org removed");
    let left = api(&s, "GET", "/admin/users?seat=guest", None);
    assert_eq!(left["items"], json!([]), "{left}");

    // The token is revoked elsewhere: the next call signs the console out with a message.
    api(&s, "DELETE", &format!("/admin/tokens/{}", second["id"].as_str().unwrap()), None);
    b.click("nav a[href='#/tokens']");
    b.wait_text("#signin-status", "signed out");
    assert_eq!(b.script("return sessionStorage.length", json!([])), json!(0));
    b.type_into("#token", second["token"].as_str().unwrap());
    b.click("#sign-in");
    b.wait_text("#signin-error", "revoked");

    // Sign out forgets the token: a reload asks again.
    b.type_into("#token", &s.admin_token);
    b.click("#sign-in");
    b.wait_text("#di-state", "on");
    b.click("#sign-out");
    b.wait_text("#signin-status", "Signed out");
    assert_eq!(b.script("return sessionStorage.length", json!([])), json!(0));
    b.goto(&format!("{console}#/users"));
    b.wait("#token");
    b.assert_no_script_errors();
}

/// The console's files without a browser: open (no token), the security headers on each, a fixed
/// set of names, revalidation by ETag, under 150 KB in all, and the API still bearer-only.
#[test]
fn console_files_are_served_with_strict_headers() {
    let s = Server::start();
    let get =
        |path: &str, headers: &[(String, String)]| s.client(s.admin_addr).send("GET", path, headers, None);
    let check = |path: &str, r: &crate::harness::Resp| {
        let csp = r.header("content-security-policy").unwrap_or_default();
        for part in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"] {
            assert!(csp.contains(part), "{path}: CSP {csp:?} lacks {part}");
        }
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert!(r.header("cache-control").is_some(), "{path}");
        assert!(r.header("set-cookie").is_none(), "{path}");
    };
    let index = get("/", &[]);
    assert_eq!(index.status, 200);
    assert!(index.header("content-type").unwrap().starts_with("text/html"));
    check("/", &index);
    assert_eq!(get("/console", &[]).body, index.body);
    let html = index.text();
    assert!(!html.contains("style=") && html.contains("<script type=\"module\" src=\"/console/app.js\">"));

    // Every file the page and its modules name, followed from the page.
    let mut todo = vec!["style.css".to_string(), "app.js".to_string()];
    let mut done = std::collections::BTreeMap::new();
    while let Some(name) = todo.pop() {
        if done.contains_key(&name) {
            continue;
        }
        let path = format!("/console/{name}");
        let r = get(&path, &[]);
        assert_eq!(r.status, 200, "{path}");
        check(&path, &r);
        let ct = r.header("content-type").unwrap_or_default().to_string();
        if name.ends_with(".js") {
            assert!(ct.starts_with("text/javascript"), "{path}: {ct}");
            for part in r.text().split("from './").skip(1) {
                todo.push(part.split('\'').next().unwrap().to_string());
            }
        } else {
            assert!(ct.starts_with("text/css"), "{path}: {ct}");
        }
        // Revalidation: the same ETag is 304 without a body.
        let etag = r.header("etag").unwrap().to_string();
        let again = get(&path, &[("If-None-Match".into(), etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        done.insert(name, r.body.len());
    }
    let total: usize = done.values().sum::<usize>() + index.body.len();
    assert!(done.len() >= 8, "{done:?}");
    assert!(total < 150 * 1024, "the console is {total} bytes: {done:?}");

    for bad in ["/console/nope.js", "/console/..%2fCargo.toml", "/console/app.js/x", "/index.html"] {
        let r = get(bad, &[]);
        assert_eq!(r.status, 404, "{bad}: {}", r.text());
    }
    check("/console/nope.js", &get("/console/nope.js", &[]));
    // The data stays behind the token.
    assert_eq!(get("/admin/users", &[]).status, 401);
    assert_eq!(get("/admin/settings", &auth("sst_wrong")).status, 401);
}

/// Thousands separators as the browser writes them (en-US).
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn screenshot_dir() -> Option<PathBuf> {
    let dir = std::env::var("SCIM_SEAT_SCREENSHOTS").ok().filter(|d| !d.is_empty())?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    std::fs::create_dir_all(&dir).unwrap();
    Some(dir)
}

// ---------------------------------------------------------------------------------------------
// A WebDriver client: chromedriver on a free loopback port, one session of headless Chromium.

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long a step may take to show its outcome (generous: two cores shared with other tests).
const WAIT: Duration = Duration::from_secs(30);

/// An error answer of WebDriver: its `error` code and message.
#[derive(Debug)]
struct WdError {
    error: String,
    message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
    name: &'static str,
    _profile: TempDir,
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One HTTP/1.1 exchange with chromedriver (`Connection: close`); the answer's status and JSON.
fn exchange(port: u16, method: &str, path: &str, body: Option<&Value>) -> std::io::Result<(u16, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // Read the head, then the body by its length (chromedriver keeps connections open).
    let mut raw = Vec::new();
    let mut chunk = [0u8; 65536];
    let split = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other("chromedriver closed the connection before answering"));
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status: u16 = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    let chunked = head.contains("transfer-encoding: chunked");
    loop {
        let body = &raw[split + 4..];
        let complete = match length {
            Some(len) => body.len() >= len,
            None if chunked => body.ends_with(b"0\r\n\r\n"),
            None => false,
        };
        if complete {
            break;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    let mut payload = raw[split + 4..].to_vec();
    if let Some(len) = length {
        payload.truncate(len);
    } else if chunked {
        payload = unchunk(&payload);
    }
    let value = if payload.is_empty() { Value::Null } else { serde_json::from_slice(&payload)? };
    Ok((status, value))
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(
            String::from_utf8_lossy(&data[..eol]).split(';').next().unwrap().trim(),
            16,
        )
        .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[eol + 2..eol + 2 + size]);
        data = &data[eol + 2 + size + 2..];
    }
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let clean: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= u32::from(value(*c)) << (18 - 6 * i);
        }
        out.push((n >> 16) as u8);
        if chunk.len() > 2 {
            out.push((n >> 8) as u8);
        }
        if chunk.len() > 3 {
            out.push(n as u8);
        }
    }
    out
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session (1280 × 900, en-US, no network beyond
    /// loopback). Fails, naming the packages, when the browser is not installed.
    pub fn start(name: &'static str) -> Browser {
        for bin in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(bin).exists(),
                "{bin} is missing: the console's browser tests need Debian's chromium and chromium-driver \
                 packages (apt-get install -y chromium chromium-driver; .ci/run installs them)"
            );
        }
        let profile = TempDir::new();
        let port = free_port();
        let mut driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok((200, v)) = exchange(port, "GET", "/status", None)
                && v["value"]["ready"] == true
            {
                break;
            }
            if Instant::now() > deadline {
                let _ = driver.kill();
                panic!("chromedriver did not become ready on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let args = [
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--disable-default-apps".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            "--lang=en-US".into(),
            "--window-size=1280,900".into(),
            // The lab is air-gapped: any name the console would try to reach fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let answer = exchange(port, "POST", "/session", Some(&caps));
        let session = match answer {
            Ok((200, v)) => v["value"]["sessionId"].as_str().unwrap_or_default().to_string(),
            other => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("chromedriver could not start Chromium: {other:?}");
            }
        };
        Browser { driver, port, session, name, _profile: profile }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, WdError> {
        let full = format!("/session/{}{path}", self.session);
        let (status, v) = exchange(self.port, method, &full, body)
            .unwrap_or_else(|e| panic!("chromedriver did not answer {method} {path}: {e}"));
        if status >= 400 {
            return Err(WdError {
                error: v["value"]["error"].as_str().unwrap_or_default().to_string(),
                message: v["value"]["message"].as_str().unwrap_or_default().chars().take(400).collect(),
            });
        }
        Ok(v["value"].clone())
    }

    fn must(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.call(method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub fn goto(&self, url: &str) {
        self.must("POST", "/url", Some(&json!({ "url": url })));
    }

    pub fn reload(&self) {
        self.must("POST", "/refresh", Some(&json!({})));
    }

    pub fn current_url(&self) -> String {
        self.must("GET", "/url", None).as_str().unwrap_or_default().to_string()
    }

    pub fn script(&self, script: &str, args: Value) -> Value {
        self.must("POST", "/execute/sync", Some(&json!({ "script": script, "args": args })))
    }

    fn find(&self, css: &str) -> Option<String> {
        match self.call("POST", "/element", Some(&json!({"using": "css selector", "value": css}))) {
            Ok(v) => v[ELEMENT].as_str().map(str::to_string),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("find {css}: {e}"),
        }
    }

    /// Polls `probe` until it answers, or fails the test naming what it waited for.
    pub fn wait_until<T>(&self, what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(v) = probe() {
                return v;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for an element; its reference.
    pub fn wait(&self, css: &str) -> String {
        self.wait_until(css, || self.find(css))
    }

    /// The element's text as shown (textContent for hidden parts such as figcaptions).
    pub fn text(&self, css: &str) -> String {
        let v = self.script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText || e.textContent : null",
            json!([css]),
        );
        v.as_str().unwrap_or_else(|| panic!("no element {css}")).trim().to_string()
    }

    /// Waits until the element's text contains `needle`; the text.
    pub fn wait_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self.script(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText || e.textContent : null",
                json!([css]),
            );
            if let Some(t) = v.as_str() {
                if t.contains(needle) {
                    return t.to_string();
                }
                last = t.to_string();
            }
            if Instant::now() > deadline {
                let last: String = last.chars().take(600).collect();
                panic!("timed out waiting for {css} to contain {needle:?}; it says {last:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn texts(&self, css: &str) -> Vec<String> {
        let v = self.script(
            "return [...document.querySelectorAll(arguments[0])].map(e => (e.innerText || e.textContent).trim())",
            json!([css]),
        );
        v.as_array().unwrap().iter().map(|t| t.as_str().unwrap_or_default().to_string()).collect()
    }

    pub fn attrs(&self, css: &str, attr: &str) -> Vec<String> {
        let v = self.script(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))",
            json!([css, attr]),
        );
        v.as_array().unwrap().iter().map(|t| t.as_str().unwrap_or_default().to_string()).collect()
    }

    pub fn count(&self, css: &str) -> usize {
        self.script("return document.querySelectorAll(arguments[0]).length", json!([css])).as_u64().unwrap()
            as usize
    }

    pub fn disabled(&self, css: &str) -> bool {
        self.script("return document.querySelector(arguments[0]).disabled", json!([css])) == json!(true)
    }

    /// Clicks like a person: waits for the element and retries while it is being replaced or
    /// covered.
    pub fn click(&self, css: &str) {
        self.wait_until(&format!("{css} to be clickable"), || {
            let id = self.find(css)?;
            match self.call("POST", &format!("/element/{id}/click"), Some(&json!({}))) {
                Ok(_) => Some(()),
                Err(e)
                    if [
                        "stale element reference",
                        "element click intercepted",
                        "element not interactable",
                    ]
                    .contains(&e.error.as_str()) =>
                {
                    None
                }
                Err(e) => panic!("click {css}: {e}"),
            }
        })
    }

    /// Replaces a text field's content by typing `text` into it.
    pub fn type_into(&self, css: &str, text: &str) {
        self.wait_until(&format!("{css} to take keys"), || {
            let id = self.find(css)?;
            // Select all, then type over it: the field sees real key and input events.
            let select_all = "\u{E009}a\u{E000}\u{E003}";
            let typed = self
                .call("POST", &format!("/element/{id}/value"), Some(&json!({ "text": select_all })))
                .and_then(|_| {
                    self.call("POST", &format!("/element/{id}/value"), Some(&json!({ "text": text })))
                });
            match typed {
                Ok(_) => Some(()),
                Err(e)
                    if ["stale element reference", "element not interactable"]
                        .contains(&e.error.as_str()) =>
                {
                    None
                }
                Err(e) => panic!("type into {css}: {e}"),
            }
        });
    }

    /// Presses keys on whatever has the focus (WebDriver actions: each key down, then up).
    pub fn keys(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|k| {
                [
                    json!({"type": "keyDown", "value": k.to_string()}),
                    json!({"type": "keyUp", "value": k.to_string()}),
                ]
            })
            .collect();
        self.must(
            "POST",
            "/actions",
            Some(&json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
        let _ = self.call("DELETE", "/actions", None);
    }

    /// True when a JavaScript dialog (alert, confirm) is open.
    pub fn alert_open(&self) -> bool {
        match self.call("GET", "/alert/text", None) {
            Ok(_) => true,
            Err(e) if e.error == "no such alert" => false,
            Err(e) => panic!("alert: {e}"),
        }
    }

    /// Every visible form control has a label (or an aria-label).
    pub fn assert_labelled(&self) {
        let unlabelled = self.script(
            "return [...document.querySelectorAll('input, select, textarea')]
               .filter(e => e.type !== 'hidden' && e.offsetParent !== null)
               .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
               .map(e => e.outerHTML.slice(0, 120))",
            json!([]),
        );
        assert_eq!(unlabelled, json!([]), "controls without a label");
    }

    /// The browser's console log has no script error and no Content-Security-Policy violation.
    pub fn assert_no_script_errors(&self) {
        let logs = self.call("POST", "/se/log", Some(&json!({"type": "browser"}))).unwrap_or(json!([]));
        let bad: Vec<&Value> = logs
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|l| {
                        let m = l["message"].as_str().unwrap_or_default();
                        m.contains("Content Security Policy")
                            || m.contains("Uncaught")
                            || m.contains("TypeError")
                    })
                    .collect()
            })
            .unwrap_or_default();
        assert!(bad.is_empty(), "the browser logged errors: {bad:?}");
    }

    /// Emulates a screen `width` px wide (a phone at 390), or the window again with `None`.
    pub fn emulate_width(&self, width: Option<u32>) {
        let (cmd, params) = match width {
            Some(w) => (
                "Emulation.setDeviceMetricsOverride",
                json!({"width": w, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
            ),
            None => ("Emulation.clearDeviceMetricsOverride", json!({})),
        };
        self.must("POST", "/goog/cdp/execute", Some(&json!({"cmd": cmd, "params": params})));
    }

    pub fn screenshot(&self) -> Vec<u8> {
        base64_decode(self.must("GET", "/screenshot", None).as_str().unwrap_or_default())
    }

    /// A screenshot of the whole page (up to `max_height` px) at 1280 px wide, saved as a PNG.
    pub fn save_page_screenshot(&self, path: &Path, max_height: u64) {
        let height =
            self.script("return document.documentElement.scrollHeight", json!([])).as_u64().unwrap_or(900);
        let height = height.clamp(600, max_height);
        self.must(
            "POST",
            "/goog/cdp/execute",
            Some(&json!({"cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": false}})),
        );
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(path, self.screenshot()).unwrap();
        self.emulate_width(None);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-failures");
            let _ = std::fs::create_dir_all(&dir);
            if let Ok(Value::String(png)) = self.call("GET", "/screenshot", None) {
                let file = dir.join(format!("{}.png", self.name));
                if std::fs::write(&file, base64_decode(&png)).is_ok() {
                    eprintln!("console test {}: screenshot saved to {}", self.name, file.display());
                }
            }
            if let Ok(Value::String(text)) = self.call(
                "POST",
                "/execute/sync",
                Some(&json!({"script": "return location.href + '\\n\\n' + document.body.innerText", "args": []})),
            ) {
                let _ = std::fs::write(dir.join(format!("{}.txt", self.name)), text);
            }
        }
        let _ = exchange(self.port, "DELETE", &format!("/session/{}", self.session), None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
