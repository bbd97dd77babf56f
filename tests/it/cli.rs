//! The command line of SPEC section 5, run as an operator on the VM runs it: on the database file,
//! mostly while a server serves the same file (so each command is shown to share it), with exit
//! codes 0 ok, 1 failure, 2 usage, readable output by default and JSON with `--json`. Audit events
//! the CLI writes carry actor `cli` and source `cli`.

use crate::harness::{SEAT_URN, Server, TempDir, USER_URN, cli, expect_scim, patch_ops};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

fn email(local: &str) -> String {
    format!("{local}@example.com")
}

fn create(s: &Server, local: &str, roles: Value) -> String {
    let body = json!({"schemas": [USER_URN], "userName": email(local), "active": true, "roles": roles});
    expect_scim(&s.scim("POST", "/Users", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn licensed() -> Value {
    json!([{"type": "LICENSED_USER", "value": "LICENSED_USER"}])
}

/// Runs the CLI and asserts the exit code; returns (stdout, stderr).
#[track_caller]
fn run(db: &Path, args: &[&str], code: i32) -> (String, String) {
    let (got, out, err) = cli(db, args);
    assert_eq!(got, code, "scim-seat {}\nstdout: {out}\nstderr: {err}", args.join(" "));
    (out, err)
}

/// Runs the CLI with `--json` appended, expecting exit 0, and parses its output.
#[track_caller]
fn run_json(db: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (out, _) = run(db, &all, 0);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn admin_ok(s: &Server, method: &str, path: &str, body: Option<&Value>) -> Value {
    let r = s.admin(method, path, body);
    assert_eq!(r.status, 200, "{method} {path}: {}", r.text());
    r.json()
}

fn admin_seat(s: &Server, id: &str) -> Value {
    admin_ok(s, "GET", &format!("/admin/users/{id}"), None)["seat"].clone()
}

fn di_enabled(s: &Server) -> bool {
    admin_ok(s, "GET", "/admin/di", None)["enabled"].as_bool().unwrap()
}

fn latest_event(s: &Server, query: &str) -> Value {
    admin_ok(s, "GET", &format!("/admin/audit?limit=1&{query}"), None)["items"][0].clone()
}

#[track_caller]
fn assert_cli_event(e: &Value, action: &str) {
    assert_eq!(e["action"], action, "{e}");
    assert_eq!(e["actor"], "cli", "{e}");
    assert_eq!(e["source"], "cli", "{e}");
}

// ------------------------------------------------------------------------------------------------
// Help and usage

#[test]
fn help_works_on_every_command() {
    let dir = TempDir::new();
    let db = dir.path().join("none.db");
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["init"],
        &["token"],
        &["token", "create"],
        &["token", "list"],
        &["token", "revoke"],
        &["check"],
        &["backup"],
        &["di"],
        &["di", "enable"],
        &["di", "disable"],
        &["di", "status"],
        &["users"],
        &["users", "list"],
        &["users", "show"],
        &["users", "explain"],
        &["seat"],
        &["seat", "set"],
        &["domain"],
        &["domain", "add"],
        &["domain", "verify"],
        &["domain", "list"],
        &["settings"],
        &["settings", "show"],
        &["settings", "set"],
        &["reconcile"],
        &["report"],
        &["report", "users"],
        &["sweep"],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.push("--help");
        let (out, _) = run(&db, &args, 0);
        assert!(out.contains("Usage:"), "scim-seat {}: {out}", args.join(" "));
        if let Some(last) = command.last() {
            assert!(out.contains(last), "help names the command: {out}");
        }
    }
    let (out, _) = run(&db, &["di", "enable", "--help"], 0);
    assert!(out.contains("--force") && out.contains("--dry-run") && out.contains("--db"), "{out}");
    assert!(!db.exists(), "help touches no database");
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new();
    let db = dir.path().join("none.db");
    let cases: &[&[&str]] = &[
        &[],
        &["frobnicate"],
        &["users"],
        &["users", "list", "--bogus"],
        &["users", "show"],
        &["seat", "set", "only-an-id"],
        &["settings", "set", "auto_upgrade"],
        &["di", "enable", "--force", "yes"],
        &["reconcile", "--apply", "now"],
        &["backup"],
        &["token", "create", "--scope", "root", "--name", "x"],
        &["serve", "--listen", "not-an-address"],
    ];
    for args in cases {
        let (_, err) = run(&db, args, 2);
        assert!(!err.trim().is_empty(), "a usage error says what is wrong: {args:?}");
    }
    assert!(!db.exists(), "a usage error touches no database");
    // A missing database is a failure (1), not a usage error, and says how to make one.
    let (_, err) = run(&db, &["users", "list"], 1);
    assert!(err.contains("init"), "{err}");
}

// ------------------------------------------------------------------------------------------------
// The DI switch

#[test]
fn di_status_disable_enable_act_on_the_file_the_server_serves() {
    let s = Server::start();
    let (out, _) = run(&s.db, &["di", "status"], 0);
    assert!(out.contains("enabled: true") && out.contains("example.com"), "{out}");
    let v = run_json(&s.db, &["di", "status"]);
    assert_eq!(
        (v["enabled"].as_bool(), v["validated_domains"].clone()),
        (Some(true), json!(["example.com"]))
    );
    let (out, _) = run(&s.db, &["di", "disable"], 0);
    assert!(out.contains("enabled: false"), "{out}");
    // The server sees the switch at once: SCIM writes are refused.
    let body = json!({"schemas": [USER_URN], "userName": email("while-off")});
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 403);
    assert!(!di_enabled(&s));
    assert_cli_event(&latest_event(&s, ""), "di_disabled");
    let v = run_json(&s.db, &["di", "enable"]);
    assert_eq!((v["enabled"].as_bool(), v["applied"].as_bool()), (Some(true), Some(true)), "{v}");
    assert_cli_event(&latest_event(&s, ""), "di_enabled");
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 201);
}

#[test]
fn di_enable_guard_exits_1_and_prints_the_downgrades_dry_run_reports_force_enables() {
    let s = Server::start();
    let id = create(&s, "kept", json!([]));
    run(&s.db, &["seat", "set", &id, "member"], 0);
    run(&s.db, &["di", "disable"], 0);
    let (out, err) = run(&s.db, &["di", "enable"], 1);
    assert!(out.contains(&email("kept")) && out.contains(&id), "the downgrades are printed: {out}");
    assert!(out.contains("member") && out.contains("viewer"), "{out}");
    assert!(err.contains("downgrade") && err.contains("--force"), "{err}");
    assert!(!di_enabled(&s), "refused: DI stays off");
    // --json prints the refusal with its list.
    let (out, _) = run(&s.db, &["di", "enable", "--json"], 1);
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["error"], "di_enable_would_downgrade", "{v}");
    assert_eq!(v["changes"][0]["user_id"], id.as_str(), "{v}");
    // --dry-run only reports.
    let (out, _) = run(&s.db, &["di", "enable", "--dry-run"], 0);
    assert!(out.contains(&email("kept")), "{out}");
    let v = run_json(&s.db, &["di", "enable", "--dry-run"]);
    assert_eq!((v["downgrades"].as_u64(), v["applied"].as_bool()), (Some(1), Some(false)), "{v}");
    assert!(!di_enabled(&s), "a dry run changes nothing");
    // --force turns DI on; no seat moves by itself.
    run(&s.db, &["di", "enable", "--force"], 0);
    assert!(di_enabled(&s));
    assert_eq!(admin_seat(&s, &id), "member");
}

// ------------------------------------------------------------------------------------------------
// Users and seats

#[test]
fn users_list_show_and_explain_read_for_people_and_as_json() {
    let s = Server::start();
    let member = create(&s, "mem", licensed());
    let pending = create(&s, "pend", json!([]));
    let (out, _) = run(&s.db, &["users", "list"], 0);
    let header = out.lines().next().unwrap();
    assert!(header.contains("ID") && header.contains("USERNAME") && header.contains("SEAT"), "{out}");
    let row = out.lines().find(|l| l.contains(&member)).unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains(&email("mem")) && row.contains("member") && row.contains("active"), "{row}");
    // A user-model plan hides nobody: the viewer that never signed in is listed.
    assert!(out.contains(&pending) && out.contains("2 user(s)"), "{out}");
    // On a legacy plan the unlicensed, never-signed-in, groupless user is pending (seed 001, LCM),
    // and the seat column shows the licence.
    run(&s.db, &["settings", "set", "plan_model", "legacy"], 0);
    let (out, _) = run(&s.db, &["users", "list"], 0);
    assert!(!out.contains(&pending) && out.contains("1 user(s)"), "pending users are hidden: {out}");
    let row = out.lines().find(|l| l.contains(&member)).unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("licensed"), "{row}");
    let (out, _) = run(&s.db, &["users", "list", "--include-pending"], 0);
    assert!(out.contains(&pending) && out.contains("2 user(s)"), "{out}");
    let row = out.lines().find(|l| l.contains(&pending)).unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("unlicensed"), "{row}");
    run(&s.db, &["settings", "set", "plan_model", "user_model"], 0);
    let v = run_json(&s.db, &["users", "list", "--include-pending", "--seat", "viewer"]);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(items[0]["id"], pending.as_str());
    let v = run_json(&s.db, &["users", "list", "--q", "MEM", "--status", "active"]);
    assert_eq!(v["items"][0]["id"], member.as_str(), "{v}");
    // DI-managed or not: both SCIM users are managed, nobody else is.
    let v = run_json(&s.db, &["users", "list", "--managed", "true"]);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "{v}");
    let v = run_json(&s.db, &["users", "list", "--managed", "false"]);
    assert_eq!(v["items"], json!([]), "{v}");
    let (_, err) = run(&s.db, &["users", "list", "--status", "sleeping"], 2);
    assert!(err.contains("sleeping") && err.contains("active, deactivated"), "{err}");
    // Seats and statuses are read with the same aliases and case rules as the admin API.
    let v = run_json(
        &s.db,
        &["users", "list", "--include-pending", "--seat", "Contributor", "--status", "ACTIVE"],
    );
    assert_eq!(v["items"].as_array().unwrap().len(), 1, "{v}");
    // show
    let (out, _) = run(&s.db, &["users", "show", &member], 0);
    assert!(out.contains("seat: member") && out.contains(&format!("userName: {}", email("mem"))), "{out}");
    let v = run_json(&s.db, &["users", "show", &member]);
    assert_eq!((v["id"].as_str(), v["seat"].as_str()), (Some(member.as_str()), Some("member")), "{v}");
    let (_, err) = run(&s.db, &["users", "show", "nope"], 1);
    assert!(err.contains("no user"), "{err}");
    // explain
    run(&s.db, &["seat", "set", &member, "viewer"], 0);
    let (out, _) = run(&s.db, &["users", "explain", &member], 0);
    assert!(out.contains("target_seat: member") && out.contains("manual_change"), "{out}");
    let v = run_json(&s.db, &["users", "explain", &member]);
    assert_eq!((v["target_seat"].as_str(), v["would_change"].as_bool()), (Some("member"), Some(true)), "{v}");
    assert_eq!(v["reasons"][0]["code"], "manual_change", "{v}");
    run(&s.db, &["users", "explain", "nope"], 1);
}

#[test]
fn seat_set_follows_the_manual_table_and_audits_as_cli() {
    let s = Server::start();
    let id = create(&s, "seat", json!([]));
    let (out, _) = run(&s.db, &["seat", "set", &id, "member", "--reason", "project lead"], 0);
    assert!(out.contains("seat: member"), "{out}");
    assert_eq!(admin_seat(&s, &id), "member", "the server reads what the CLI wrote");
    let e = latest_event(&s, &format!("user_id={id}"));
    assert_cli_event(&e, "manual_change");
    assert_eq!(e["before"], json!({"seat": "viewer", "status": "active"}), "{e}");
    assert_eq!(e["after"], json!({"seat": "member", "status": "active"}), "{e}");
    assert!(e["reason"].as_str().unwrap().contains("project lead"), "{e}");
    // A refused cell exits 1 with the rule, and changes nothing.
    let (_, err) = run(&s.db, &["seat", "set", &id, "provisional_member"], 1);
    assert!(err.contains("never"), "{err}");
    run(&s.db, &["seat", "set", &id, "viewer"], 0);
    let (_, err) = run(&s.db, &["seat", "set", &id, "provisional_member"], 1);
    assert!(err.contains("system-triggered") && err.contains("qualifying"), "{err}");
    assert_eq!(admin_seat(&s, &id), "viewer");
    // A seat that is none is a usage error (exit 2), parsed once by the command line.
    let (_, err) = run(&s.db, &["seat", "set", &id, "boss"], 2);
    assert!(err.contains("\"boss\"") && err.contains("no_access"), "the allowed seats are named: {err}");
    run(&s.db, &["seat", "set", "nope", "member"], 1);
    let v = run_json(&s.db, &["seat", "set", &id, "no-access"]);
    assert_eq!(v["seat"], "no_access", "{v}");
}

#[test]
fn domain_add_verify_list_validate_domains_for_the_server() {
    let s = Server::start();
    let (out, _) = run(&s.db, &["domain", "add", "contoso.com"], 0);
    assert!(out.contains("contoso.com") && out.contains("verified: false"), "{out}");
    assert_cli_event(&latest_event(&s, ""), "domain_added");
    let body = json!({"schemas": [USER_URN], "userName": "kim@contoso.com"});
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 400, "not validated yet");
    let (out, _) = run(&s.db, &["domain", "list"], 0);
    assert!(out.contains("contoso.com") && out.contains("example.com"), "{out}");
    run(&s.db, &["domain", "verify", "contoso.com"], 0);
    assert_cli_event(&latest_event(&s, ""), "domain_verified");
    let v = run_json(&s.db, &["domain", "list"]);
    let contoso =
        v["items"].as_array().unwrap().iter().find(|d| d["name"] == "contoso.com").cloned().unwrap();
    assert_eq!(contoso["verified"], true, "{v}");
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 201);
    let (_, err) = run(&s.db, &["domain", "verify", "unknown.org"], 1);
    assert!(err.contains("unknown.org"), "{err}");
    run(&s.db, &["domain", "add", "contoso.com"], 1);
    run(&s.db, &["domain", "add", "not a domain"], 1);
}

#[test]
fn settings_show_and_set_with_refusals_exiting_1() {
    let s = Server::start();
    let (out, _) = run(&s.db, &["settings", "show"], 0);
    assert!(out.contains("plan_model: user_model") && out.contains("auto_upgrade: true"), "{out}");
    let (out, _) = run(&s.db, &["settings", "set", "auto_upgrade", "false"], 0);
    assert!(out.contains("auto_upgrade: false"), "{out}");
    assert_eq!(admin_ok(&s, "GET", "/admin/settings", None)["auto_upgrade"], false);
    let e = latest_event(&s, "");
    assert_cli_event(&e, "setting_changed");
    assert!(e["reason"].as_str().unwrap().contains("auto_upgrade"), "{e}");
    let v = run_json(&s.db, &["settings", "set", "deprovision_guard.max", "3"]);
    assert_eq!(v["deprovision_guard"]["max"], 3, "{v}");
    let before = admin_ok(&s, "GET", "/admin/settings", None);
    let (_, err) = run(&s.db, &["settings", "set", "colour", "blue"], 2);
    assert!(err.contains("colour") && err.contains("plan_model"), "the known keys are named: {err}");
    let (_, err) = run(&s.db, &["settings", "set", "member_seat_limit", "ten"], 1);
    assert!(err.contains("whole number"), "{err}");
    let (_, err) = run(&s.db, &["settings", "set", "plan_model", "enterprise"], 1);
    assert!(err.contains("user_model"), "{err}");
    let (_, err) = run(&s.db, &["settings", "set", "di_enabled", "false"], 1);
    assert!(err.contains("di enable"), "{err}");
    assert_eq!(admin_ok(&s, "GET", "/admin/settings", None), before, "refusals change nothing");
}

// ------------------------------------------------------------------------------------------------
// Reconcile, report, sweep

#[test]
fn reconcile_is_a_dry_run_unless_apply() {
    let s = Server::start();
    let id = create(&s, "rec", licensed());
    let mut items = admin_ok(&s, "GET", "/admin/role-mappings", None)["items"].as_array().unwrap().clone();
    items.iter_mut().find(|r| r["name"] == "Smartsheet Licensed User").unwrap()["seat"] = json!("viewer");
    admin_ok(&s, "PUT", "/admin/role-mappings", Some(&json!({"items": items})));
    let (out, _) = run(&s.db, &["reconcile"], 0);
    assert!(out.contains(&email("rec")) && out.contains("applied: false"), "{out}");
    assert_eq!(admin_seat(&s, &id), "member", "a dry run changes nothing");
    let v = run_json(&s.db, &["reconcile", "--apply"]);
    assert_eq!((v["applied"].as_bool(), v["downgrades"].as_u64()), (Some(true), Some(1)), "{v}");
    assert_eq!(admin_seat(&s, &id), "viewer");
    let e = latest_event(&s, &format!("user_id={id}"));
    assert_cli_event(&e, "di_downgrade");
    assert_eq!(run_json(&s.db, &["reconcile"])["changes"], json!([]));
}

#[test]
fn report_users_writes_the_csv_to_a_file_or_stdout() {
    let s = Server::start();
    create(&s, "rep", licensed());
    create(&s, "rep2", json!([]));
    let file = s.dir.path().join("users.csv");
    let (_, err) = run(&s.db, &["report", "users", "--out", file.to_str().unwrap()], 0);
    assert!(err.contains("users.csv"), "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines.iter().any(|l| l.contains(&email("rep")) && l.contains("\"Member\"")), "{text}");
    // The same report on stdout, identical to the admin API's.
    let (out, _) = run(&s.db, &["report", "users"], 0);
    assert_eq!(out, text);
    let api = s.admin("GET", "/admin/reports/users.csv", None);
    assert_eq!(api.text(), text);
}

#[test]
fn sweep_runs_the_review_expiry_now() {
    let s = Server::start();
    run(&s.db, &["settings", "set", "provisional_review_days", "0"], 0);
    let id = create(&s, "swp", json!([]));
    let v = admin_ok(
        &s,
        "POST",
        &format!("/admin/users/{id}/events"),
        Some(&json!({"type": "qualifying_action"})),
    );
    assert_eq!(v["seat"], "provisional_member", "{v}");
    let v = run_json(&s.db, &["sweep"]);
    assert_eq!(v["applied"], true, "{v}");
    let by_cli = v["changes"].as_array().unwrap().iter().any(|c| c["user_id"] == id.as_str());
    assert_eq!(admin_seat(&s, &id), "viewer");
    let e = latest_event(&s, &format!("user_id={id}"));
    assert_eq!(e["action"], "review_expired", "{e}");
    // The server's own periodic sweep may have been first; then the event is the system's.
    assert_eq!(e["actor"], if by_cli { "cli" } else { "system" }, "{e}");
    let (out, _) = run(&s.db, &["sweep"], 0);
    assert!(out.contains("applied: true"), "{out}");
}

// ------------------------------------------------------------------------------------------------
// Backup and check

#[test]
fn backup_while_the_server_writes_gives_a_copy_that_checks_ok() {
    let s = Server::start();
    let copy = s.dir.path().join("copy.db");
    let created = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (before_backup, backup, after_backup) = std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let body =
                    json!({"schemas": [USER_URN], "userName": email(&format!("w{i}")), "roles": licensed()});
                let r = s.scim("POST", "/Users", Some(&body));
                if r.status != 201 {
                    stop.store(true, Ordering::SeqCst);
                    panic!("a SCIM create during the backup failed: {}", r.text());
                }
                created.fetch_add(1, Ordering::SeqCst);
                i += 1;
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while created.load(Ordering::SeqCst) < 20 && !stop.load(Ordering::SeqCst) {
            assert!(std::time::Instant::now() < deadline, "the writer made no progress");
            std::thread::sleep(Duration::from_millis(5));
        }
        let before = created.load(Ordering::SeqCst);
        let backup = cli(&s.db, &["backup", copy.to_str().unwrap()]);
        let after = created.load(Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        stop.store(true, Ordering::SeqCst);
        (before, backup, after)
    });
    let (code, out, err) = backup;
    assert_eq!(code, 0, "backup while serving\nstdout: {out}\nstderr: {err}");
    assert!(out.contains("copy.db"), "{out}");
    assert!(created.load(Ordering::SeqCst) > after_backup, "the server kept writing during the backup");
    let (out, _) = run(&copy, &["check"], 0);
    assert!(out.contains("ok"), "{out}");
    let v = run_json(&copy, &["users", "list", "--all"]);
    let n = v["items"].as_array().unwrap().len();
    assert!(
        (before_backup..=after_backup + 1).contains(&n),
        "the copy holds the users committed before it: {n} (before {before_backup}, after {after_backup})"
    );
    // The copy is a whole database: the users are members, as on the server.
    assert!(v["items"].as_array().unwrap().iter().all(|u| u["seat"] == "member"), "{v}");
    // A backup never overwrites a file.
    let (_, err) = run(&s.db, &["backup", copy.to_str().unwrap()], 1);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(run_json(&copy, &["users", "list", "--all"])["items"].as_array().unwrap().len(), n);
}

#[test]
fn check_passes_on_a_good_file_and_fails_on_a_corrupted_one() {
    let s = Server::start();
    for i in 0..30 {
        create(&s, &format!("c{i}"), licensed());
    }
    let (out, _) = run(&s.db, &["check"], 0);
    assert!(out.starts_with("ok"), "{out}");
    let v = run_json(&s.db, &["check"]);
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["schema_version"].as_i64().is_some_and(|n| n >= 1), "{v}");
    // A copy with a damaged data page: the bytes around one user's record overwritten, as a bad
    // sector would.
    let copy = s.dir.path().join("corrupt.db");
    run(&s.db, &["backup", copy.to_str().unwrap()], 0);
    let mut bytes = std::fs::read(&copy).unwrap();
    let needle = email("c17");
    let at =
        bytes.windows(needle.len()).position(|w| w == needle.as_bytes()).expect("the record is in the copy");
    let page = at / 4096 * 4096;
    for b in &mut bytes[page + 100..page + 4000] {
        *b = b'A';
    }
    std::fs::write(&copy, &bytes).unwrap();
    let (code, out, err) = cli(&copy, &["check"]);
    assert_eq!(code, 1, "a corrupted file fails the check\nstdout: {out}\nstderr: {err}");
    assert!(out.contains("NOT OK") || err.contains("malformed"), "the output says what is wrong: {out}{err}");
    assert!(!out.contains("integrity check passed"), "{out}");
    // A file that is no database at all.
    let junk = s.dir.path().join("junk.db");
    std::fs::write(&junk, vec![0xabu8; 16384]).unwrap();
    run(&junk, &["check"], 1);
    // The server's own file is untouched and still serves.
    run(&s.db, &["check"], 0);
    let ops = patch_ops(json!([{"op": "replace", "path": "title", "value": "after"}]));
    let id = run_json(&s.db, &["users", "list"])["items"][0]["id"].as_str().unwrap().to_string();
    let v = expect_scim(&s.scim("PATCH", &format!("/Users/{id}"), Some(&ops)), 200);
    assert_eq!(v[SEAT_URN]["seatType"], "member");
}

/// `users list` prints one page and the cursor of the next; following the cursors, or `--all`
/// (streamed, same JSON shape), lists every user exactly once; a reader that stops early ends it
/// quietly.
#[test]
fn users_list_pages_by_cursor_and_all_streams_every_page() {
    let s = Server::start();
    admin_ok(&s, "POST", "/admin/di/disable", None);
    let mut csv = String::from(
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated\r\n",
    );
    for i in 0..2500 {
        csv.push_str(&format!("\"User {i}\",\"user{i:04}@example.com\",\"Active\",\"Viewer\",\"\",\"No\",\"\",\"\",\"\",\"\"\r\n"));
    }
    let file = s.dir.path().join("plan.csv");
    std::fs::write(&file, csv).unwrap();
    run(&s.db, &["users", "import", &file.display().to_string()], 0);

    // One page of 100 by default, with the cursor of the next.
    let first = run_json(&s.db, &["users", "list"]);
    assert_eq!(first["items"].as_array().unwrap().len(), 100, "{first}");
    assert!(first["next_cursor"].is_string(), "{first}");
    let (text, _) = run(&s.db, &["users", "list", "--limit", "3"], 0);
    assert!(text.contains("3 user(s)") && text.contains("more: --cursor "), "{text}");

    // Following the cursors: every user once.
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = vec!["users", "list", "--limit", "1000"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c.as_str()]);
        }
        let page = run_json(&s.db, &args);
        pages += 1;
        for u in page["items"].as_array().unwrap() {
            assert!(seen.insert(u["userName"].as_str().unwrap().to_string()), "listed twice: {u}");
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!((seen.len(), pages), (2500, 3));

    // --all: the same users in one stream, as JSON and as the table.
    let all = run_json(&s.db, &["users", "list", "--all", "--limit", "700"]);
    let names: std::collections::BTreeSet<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, seen);
    assert!(all["next_cursor"].is_null(), "{}", all["next_cursor"]);
    let (table, _) = run(&s.db, &["users", "list", "--all", "--seat", "viewer"], 0);
    assert_eq!(table.lines().filter(|l| l.contains("@example.com")).count(), 2500);
    assert!(table.ends_with("2500 user(s)\n"), "{}", &table[table.len() - 40..]);

    // Bad paging is a usage error that names the flag.
    let (_, err) = run(&s.db, &["users", "list", "--limit", "0"], 2);
    assert!(err.contains("--limit"), "{err}");
    let (_, err) = run(&s.db, &["users", "list", "--cursor", "abc"], 2);
    assert!(err.contains("--cursor"), "{err}");

    // A reader that reads one line and goes away (`| head -1`): exit 0, nothing on stderr.
    let mut child = std::process::Command::new(crate::harness::BIN)
        .args(["users", "list", "--all"])
        .env("SCIM_SEAT_DB", &s.db)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first_bytes = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first_bytes).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `check` counts each user's memberships against the group count the store keeps beside them
/// (user_groups.member_of, and users.in_groups, which the legacy plan's pending rule reads, whether
/// there is any): a count or a flag that drifted is a problem.
#[test]
fn check_finds_a_group_count_that_differs_from_the_memberships() {
    let s = Server::start();
    create(&s, "counted", licensed());
    let id = run_json(&s.db, &["users", "list"])["items"][0]["id"].as_str().unwrap().to_string();
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Counted",
        "members": [{"value": id}]});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201);
    let copy = s.dir.path().join("drifted.db");
    run(&s.db, &["backup", copy.to_str().unwrap()], 0);
    let (out, _) = run(&copy, &["check"], 0);
    assert!(out.starts_with("ok"), "{out}");
    for (drift, undo) in [
        ("UPDATE user_groups SET member_of = 2", "UPDATE user_groups SET member_of = 1"),
        ("UPDATE users SET in_groups = 0", "UPDATE users SET in_groups = 1"),
    ] {
        rusqlite::Connection::open(&copy).unwrap().execute(drift, []).unwrap();
        let (code, out, err) = cli(&copy, &["check"]);
        assert_eq!(code, 1, "{drift}: stdout: {out}\nstderr: {err}");
        assert!(
            out.contains("1 users have a group count that differs from their memberships"),
            "{drift}: {out}"
        );
        rusqlite::Connection::open(&copy).unwrap().execute(undo, []).unwrap();
        let (out, _) = run(&copy, &["check"], 0);
        assert!(out.starts_with("ok"), "{undo}: {out}");
    }
}
