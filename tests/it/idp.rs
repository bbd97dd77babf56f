//! `scim-seat idp sync` driving the real `scim-seat serve` as Entra ID and as Okta would: a
//! 1,000-user directory provisioned (every seat as the seat rules say), a changed directory synced
//! incrementally with only the differences sent, targets that answer errors (DI off, a wrong token,
//! an unknown certificate), bad directories refused before anything is sent, dry runs, deletes and
//! the rehearsal of a roll-out over plan users.

use crate::harness::{Opts, Server, TempDir, USER_URN, cli, expect_scim};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const LICENSED_GROUP: &str = "Smartsheet Licensed User";

/// One directory row.
#[derive(Clone)]
struct Row {
    user: String,
    department: String,
    active: bool,
    deleted: bool,
    roles: Vec<String>,
    groups: Vec<String>,
}

fn user(i: usize) -> String {
    format!("p{i:04}@example.com")
}

/// The first directory: roles and groups spread so every seat rule is used.
fn first_directory(n: usize) -> Vec<Row> {
    (0..n)
        .map(|i| {
            let roles = match i % 4 {
                0 => vec!["LICENSED_USER".to_string()],
                1 => vec![],
                2 => vec!["SMARTSHEET_USER".to_string()],
                _ => vec!["GROUP_ADMIN".to_string(), "SMARTSHEET_USER".to_string()],
            };
            let mut groups = vec![format!("Team {}", i % 10)];
            if i % 5 == 1 {
                groups.push(LICENSED_GROUP.to_string());
            }
            Row {
                user: user(i),
                department: format!("Dept {}", i % 7),
                active: true,
                deleted: false,
                roles,
                groups,
            }
        })
        .collect()
}

/// What changes between the two cycles: role changes, group moves (one out of the licensed group),
/// a department, leavers (rows gone) and deactivations (rows marked inactive).
struct Changes {
    roles: BTreeSet<usize>,
    moves: BTreeSet<usize>,
    departments: BTreeSet<usize>,
    leavers: BTreeSet<usize>,
    inactive: BTreeSet<usize>,
}

fn changes(n: usize) -> Changes {
    Changes {
        roles: (0..n).filter(|i| i % 50 == 0 || i % 50 == 1).collect(),
        moves: (0..n).filter(|i| i % 40 == 6 || i % 100 == 11).collect(),
        departments: (0..n).filter(|i| i % 125 == 3).collect(),
        leavers: (0..n).filter(|i| i % 100 == 99).collect(),
        inactive: (0..n).filter(|i| i % 200 == 7).collect(),
    }
}

fn second_directory(n: usize, c: &Changes) -> Vec<Row> {
    let mut rows = first_directory(n);
    for (i, r) in rows.iter_mut().enumerate() {
        if c.roles.contains(&i) {
            r.roles = if r.roles.is_empty() { vec!["LICENSED_USER".into()] } else { vec![] };
        }
        if c.moves.contains(&i) {
            // Out of the licensed group when in it, and to another team.
            r.groups = vec![format!("Team {}", (i + 1) % 10)];
        }
        if c.departments.contains(&i) {
            r.department = "Moved".into();
        }
        if c.inactive.contains(&i) {
            r.active = false;
        }
    }
    rows.into_iter().enumerate().filter(|(i, _)| !c.leavers.contains(i)).map(|(_, r)| r).collect()
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "userName,givenName,familyName,email,department,division,costCenter,active,roles,groups,deleted\r\n",
    );
    for r in rows {
        out.push_str(&format!(
            "{u},Given,\"Family {u}\",{u},{},Div,CC1,{},{},\"{}\",{}\r\n",
            r.department,
            r.active,
            r.roles.join(";"),
            r.groups.join(";"),
            r.deleted,
            u = r.user
        ));
    }
    out
}

/// The seat the rules of SPEC section 3 give a provisioned user with these roles and groups.
fn expected_seat(r: &Row) -> Option<&'static str> {
    if !r.active {
        return None;
    }
    let member = r.roles.iter().any(|v| v == "LICENSED_USER" || v == "GROUP_ADMIN")
        || r.groups.iter().any(|g| g == LICENSED_GROUP);
    Some(if member { "member" } else { "viewer" })
}

/// Every user of the plan: userName -> (id, seat, status).
fn plan(s: &Server) -> BTreeMap<String, (String, Option<String>, String)> {
    let r = s.admin("GET", "/admin/users?include=pending&limit=1000", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert!(v["next_cursor"].is_null(), "one page holds the plan");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["userName"].as_str().unwrap().to_string(),
                (
                    u["id"].as_str().unwrap().to_string(),
                    u["seat"].as_str().map(str::to_string),
                    u["status"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

fn assert_seats(s: &Server, rows: &[Row], leavers: &BTreeSet<usize>) {
    let plan = plan(s);
    assert_eq!(plan.len(), rows.len() + leavers.len(), "every user provisioned once");
    for r in rows {
        let (_, seat, status) = &plan[&r.user];
        assert_eq!(
            seat.as_deref(),
            expected_seat(r),
            "{}: roles {:?} groups {:?}",
            r.user,
            r.roles,
            r.groups
        );
        assert_eq!(status, if r.active { "active" } else { "deactivated" }, "{}", r.user);
    }
    for i in leavers {
        let (_, seat, status) = &plan[&user(*i)];
        assert_eq!((seat.as_deref(), status.as_str()), (None, "deactivated"), "leaver {}", user(*i));
    }
}

/// Runs `idp sync`; returns (exit code, stdout, stderr).
fn sync(s: &Server, dialect: &str, dir: &Path, rows_csv: &str, extra: &[&str]) -> (i32, String, String) {
    let file = dir.join(format!("directory-{}.csv", rows_csv.len()));
    std::fs::write(&file, rows_csv).unwrap();
    let mut args = vec![
        "idp".to_string(),
        "sync".into(),
        "--dialect".into(),
        dialect.into(),
        "--directory".into(),
        file.display().to_string(),
        "--target".into(),
        s.scim_url.clone(),
        "--token".into(),
        s.scim_token.clone(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli(&s.db, &args)
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The request lines of a log (not the summary or notes).
fn requests(lines: &[Value]) -> Vec<&Value> {
    lines.iter().filter(|l| l.get("method").is_some()).collect()
}

fn summary(lines: &[Value]) -> &Value {
    &lines.last().unwrap()["summary"]
}

fn writes<'a>(lines: &'a [Value], action: &str) -> Vec<&'a Value> {
    requests(lines).into_iter().filter(|l| l["action"] == action).collect()
}

fn paths(dir: &TempDir, name: &str) -> (PathBuf, PathBuf) {
    (dir.path().join(format!("{name}-state.json")), dir.path().join(format!("{name}-log.jsonl")))
}

/// A full cycle then an incremental one, asserting seats, the log and the escrow.
fn two_cycles(dialect: &str) {
    const N: usize = 1000;
    let s = Server::start();
    let dir = TempDir::new();
    let (state, log1) = paths(&dir, "first");
    let st = state.display().to_string();
    let rows = first_directory(N);
    let (code, out, err) =
        sync(&s, dialect, dir.path(), &csv(&rows), &["--state", &st, "--log", &log1.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1000 created"), "{out}");
    assert_seats(&s, &rows, &BTreeSet::new());
    let lines = log_lines(&log1);
    let sum = summary(&lines);
    assert_eq!((sum["created"].as_u64(), sum["failed"].clone()), (Some(1000), json!({})), "{sum}");
    assert_eq!(sum["groups"]["created"], 11, "{sum}");
    assert_eq!(writes(&lines, "create").len(), 1000);
    match dialect {
        "entra" => {
            assert_eq!(writes(&lines, "match").len(), 1000, "every user is queried before it is created")
        }
        // The target is empty (the connection test's totalResults): the import has nothing to list.
        _ => assert!(writes(&lines, "match").is_empty() && writes(&lines, "import").is_empty()),
    }
    assert!(requests(&lines).iter().all(|l| l["ok"] == true && l["status"].is_u64()), "no request failed");
    let created = writes(&lines, "create");
    assert!(created.iter().all(|l| l["status"] == 201 && l["target_id"].is_string()), "{:?}", created[0]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&state).unwrap().permissions().mode() & 0o777,
        0o600,
        "the escrow is private"
    );
    let escrow: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(escrow["users"].as_array().unwrap().len(), 1000);
    let licensed =
        escrow["groups"].as_array().unwrap().iter().find(|g| g["displayName"] == LICENSED_GROUP).unwrap();
    assert_eq!(licensed["members"].as_array().unwrap().len(), 200);

    // The SCIM shapes of the dialect reached the target.
    let (id0, _, _) = plan(&s)[&user(3)].clone();
    let u = expect_scim(&s.scim("GET", &format!("/Users/{id0}"), None), 200);
    let roles = u["roles"].to_string();
    match dialect {
        "entra" => {
            assert!(roles.contains("WindowsAzureActiveDirectoryRole") && roles.contains("Group Admin"), "{u}")
        }
        _ => assert!(roles.contains(r#""type":"GROUP_ADMIN""#), "{u}"),
    }
    assert_eq!(
        u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "Dept 3",
        "{u}"
    );

    // The changed directory: only the differences are sent.
    let c = changes(N);
    let rows2 = second_directory(N, &c);
    let last_event = s.admin("GET", "/admin/audit?limit=1", None).json()["items"][0]["id"].as_i64().unwrap();
    let (_, log2) = paths(&dir, "second");
    let (code, out, err) =
        sync(&s, dialect, dir.path(), &csv(&rows2), &["--state", &st, "--log", &log2.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_seats(&s, &rows2, &c.leavers);
    let lines = log_lines(&log2);
    let sum = summary(&lines);
    let profile: BTreeSet<usize> = c
        .roles
        .union(&c.departments)
        .copied()
        .filter(|i| !c.leavers.contains(i) && !c.inactive.contains(i))
        .collect();
    let deactivated = c.leavers.len() + c.inactive.len();
    assert_eq!(
        (sum["created"].as_u64(), sum["updated"].as_u64(), sum["deactivated"].as_u64()),
        (Some(0), Some(profile.len() as u64), Some(deactivated as u64)),
        "{sum}"
    );
    assert_eq!(
        sum["skipped"]["unchanged"].as_u64(),
        Some((rows2.len() - profile.len() - c.inactive.len()) as u64),
        "{sum}"
    );
    let user_writes: Vec<&Value> =
        requests(&lines).into_iter().filter(|l| l["object"] == "user" && l["method"] != "GET").collect();
    let changed_users: BTreeSet<String> =
        user_writes.iter().map(|l| l["key"].as_str().unwrap().to_string()).collect();
    let expected: BTreeSet<String> =
        profile.iter().chain(&c.leavers).chain(&c.inactive).map(|i| user(*i)).collect();
    assert_eq!(changed_users, expected, "users written are exactly the changed ones");
    assert!(
        writes(&lines, "match").is_empty() && writes(&lines, "create").is_empty(),
        "the escrow knows every id"
    );
    match dialect {
        // One PATCH a user: the role Add/Remove, the department, or `active` "False".
        "entra" => assert_eq!(user_writes.len(), expected.len()),
        // A PATCH of `active`, or a PUT (after a GET) of the whole user.
        _ => {
            assert_eq!(writes(&lines, "update").len(), profile.len());
            assert_eq!(writes(&lines, "read").len(), profile.len());
            assert!(writes(&lines, "update").iter().all(|l| l["method"] == "PUT"));
        }
    }
    assert!(writes(&lines, "deactivate").iter().all(|l| l["method"] == "PATCH" && l["status"] == 200));
    let group_writes = requests(&lines).into_iter().filter(|l| l["object"] == "group").count();
    assert!(group_writes > 0 && group_writes <= 22, "membership changes only: {group_writes}");
    let members = &sum["groups"];
    assert!(
        members["members_added"].as_u64().unwrap() > 0 && members["members_removed"].as_u64().unwrap() > 0,
        "{sum}"
    );

    // The audit log names only the users whose seat or status the differences moved.
    let mut moved = BTreeSet::new();
    let mut cursor = String::new();
    'pages: loop {
        let page = s.admin("GET", &format!("/admin/audit?limit=1000{cursor}"), None).json();
        for e in page["items"].as_array().unwrap() {
            if e["id"].as_i64().unwrap() <= last_event {
                break 'pages;
            }
            if let Some(id) = e["user_id"].as_str() {
                moved.insert(id.to_string());
            }
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let ids: BTreeMap<String, String> = plan(&s).into_iter().map(|(u, (id, _, _))| (id, u)).collect();
    let touched: BTreeSet<usize> =
        c.roles.iter().chain(&c.moves).chain(&c.leavers).chain(&c.inactive).copied().collect();
    for id in &moved {
        let name = &ids[id];
        let i: usize = name[1..5].parse().unwrap();
        assert!(touched.contains(&i), "{name} changed seat or status without a change in the directory");
    }
    assert!(moved.len() >= deactivated, "{} audited", moved.len());

    // The same directory again: nothing to send.
    let (code, out, err) = sync(&s, dialect, dir.path(), &csv(&rows2), &["--state", &st, "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (v["writes"].as_u64(), v["requests"].as_u64()),
        (Some(0), Some(1)),
        "only the connection test: {v}"
    );
}

#[test]
fn entra_provisions_a_1000_user_directory_then_sends_only_the_differences() {
    two_cycles("entra");
}

#[test]
fn okta_provisions_a_1000_user_directory_then_sends_only_the_differences() {
    two_cycles("okta");
}

fn small_directory(n: usize) -> String {
    csv(&first_directory(n))
}

#[test]
fn a_target_that_refuses_writes_shows_every_error_in_the_log_stops_and_exits_1() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/di/disable", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let dir = TempDir::new();
    let (state, log) = paths(&dir, "refused");
    let (code, out, err) = sync(
        &s,
        "entra",
        dir.path(),
        &small_directory(40),
        &["--state", &state.display().to_string(), "--log", &log.display().to_string(), "--connections", "2"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("STOPPED") && out.contains("put this job in quarantine"), "{out}");
    assert!(err.contains("failed") && err.contains("the log says which and why"), "{err}");
    let lines = log_lines(&log);
    let refused = writes(&lines, "create");
    assert!(!refused.is_empty());
    for l in &refused {
        assert_eq!(
            (l["status"].as_u64(), l["ok"].as_bool(), l["reason"].as_str()),
            (Some(403), Some(false), Some("http_403")),
            "{l}"
        );
        assert!(l["error"].as_str().unwrap().contains("Directory Integration is off"), "{l}");
    }
    let sum = summary(&lines);
    assert!(sum["stopped"].as_str().unwrap().contains("stopped early"), "{sum}");
    assert!(sum["not_attempted"].as_u64().unwrap() > 0, "the cycle stopped before the end: {sum}");
    assert_eq!(sum["failed"]["http_403"].as_u64(), Some(refused.len() as u64), "{sum}");
    assert!(plan(&s).is_empty(), "nothing was created");
    // What failed is not in the escrow: the next cycle sends it again.
    let escrow: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(escrow["users"], json!([]));
}

#[test]
fn a_wrong_token_stops_at_the_connection_test() {
    let s = Server::start();
    let dir = TempDir::new();
    let (_, log) = paths(&dir, "token");
    let file = dir.path().join("d.csv");
    std::fs::write(&file, small_directory(5)).unwrap();
    let (code, out, err) = cli(
        &s.db,
        &[
            "idp",
            "sync",
            "--dialect",
            "okta",
            "--directory",
            &file.display().to_string(),
            "--target",
            &s.scim_url,
            "--token",
            "sst_0000000000000000_wrong",
            "--log",
            &log.display().to_string(),
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("refused the credentials") && out.contains("--token"), "{out}");
    let lines = log_lines(&log);
    let sent = requests(&lines);
    assert_eq!(sent.len(), 1, "only the connection test");
    assert_eq!((sent[0]["action"].as_str(), sent[0]["status"].as_u64()), (Some("probe"), Some(401)));
    assert_eq!(sent[0]["path"], "/Users?startIndex=1&count=2", "Okta's Test API Credentials");
    assert_eq!(summary(&lines)["not_attempted"], 5);
}

#[test]
fn bad_directory_rows_are_listed_with_their_lines_and_nothing_is_sent() {
    let s = Server::start();
    let dir = TempDir::new();
    let (_, log) = paths(&dir, "bad");
    let text = "userName,email,active,roles,colour\r\n";
    let (code, _, err) = sync(&s, "entra", dir.path(), text, &["--log", &log.display().to_string()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("line 1") && err.contains("\"colour\"") && err.contains("nothing was sent"),
        "{err}"
    );
    let text = "userName,email,active\r\nok@example.com,ok@example.com,true\r\n,x@example.com,true\r\nw@example.com,w,yes\r\nOK@example.com,,\r\n";
    let (code, _, err) = sync(&s, "entra", dir.path(), text, &["--log", &log.display().to_string()]);
    assert_eq!(code, 1);
    for line in
        ["line 3: userName is empty", "line 4:", "line 5: userName \"OK@example.com\" is also on line 2"]
    {
        assert!(err.contains(line), "{line}: {err}");
    }
    assert!(!log.exists(), "no request was sent");
    assert!(plan(&s).is_empty());
}

#[test]
fn a_dry_run_prints_the_writes_sends_only_reads_and_keeps_no_state() {
    let s = Server::start();
    let dir = TempDir::new();
    let (state, log) = paths(&dir, "dry");
    let (code, out, err) = sync(
        &s,
        "okta",
        dir.path(),
        &small_directory(6),
        &["--dry-run", "--state", &state.display().to_string(), "--log", &log.display().to_string()],
    );
    assert_eq!(code, 0, "{out}{err}");
    let posts: Vec<&str> = out.lines().filter(|l| l.starts_with("POST /Users ")).collect();
    assert_eq!(posts.len(), 6, "{out}");
    let body: Value = serde_json::from_str(posts[0].trim_start_matches("POST /Users ")).unwrap();
    assert_eq!(body["schemas"][0], USER_URN);
    assert!(
        out.contains("PATCH /Groups/new-group-Team-1 ")
            && out.contains("\"value\":\"new-user-p0001-example.com\"")
            && out.contains("\"op\":\"replace\",\"path\":\"members\""),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was written"), "{out}");
    assert!(plan(&s).is_empty(), "nothing was written");
    assert!(!state.exists(), "a dry run keeps no escrow");
    let lines = log_lines(&log);
    assert!(requests(&lines).iter().all(|l| l["method"] == "GET" || l["dry_run"] == true));
}

#[test]
fn an_https_target_is_trusted_through_cacert_and_refused_without_it() {
    let s = Server::start_with(Opts { tls: true, lab: Some("example.com"), ..Opts::default() });
    assert!(s.scim_url.starts_with("https://"));
    let dir = TempDir::new();
    let cert = s.dir.path().join("tls/cert.pem").display().to_string();
    let (code, out, err) = sync(&s, "entra", dir.path(), &small_directory(3), &["--cacert", &cert]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("3 created"), "{out}");
    // Without --cacert the system's CA store does not know the lab's self-signed certificate.
    let (code, out, err) = sync(&s, "entra", dir.path(), &small_directory(4), &[]);
    assert_eq!(code, 1, "{out}{err}");
    let told = format!("{out}{err}");
    assert!(told.contains("connection test failed") || told.contains("no trusted CA"), "{told}");
    assert_eq!(plan(&s).len(), 3, "nothing more was written");
}

#[test]
fn deleted_users_are_deleted_by_entra_and_only_deactivated_by_okta() {
    for dialect in ["entra", "okta"] {
        let s = Server::start();
        let dir = TempDir::new();
        let (state, log) = paths(&dir, dialect);
        let st = state.display().to_string();
        let mut rows = first_directory(4);
        let (code, out, err) = sync(&s, dialect, dir.path(), &csv(&rows), &["--state", &st]);
        assert_eq!(code, 0, "{out}{err}");
        rows[1].deleted = true;
        let (code, out, err) = sync(
            &s,
            dialect,
            dir.path(),
            &csv(&rows),
            &["--state", &st, "--log", &log.display().to_string()],
        );
        assert_eq!(code, 0, "{out}{err}");
        let lines = log_lines(&log);
        let p = plan(&s);
        let (id, _, status) = &p[&user(1)];
        assert_eq!(status, "deactivated", "{dialect}");
        if dialect == "entra" {
            assert_eq!(writes(&lines, "delete").len(), 1);
            assert_eq!(summary(&lines)["deleted"], 1);
            assert_eq!(s.scim("GET", &format!("/Users/{id}"), None).status, 404, "DELETE hides it from SCIM");
        } else {
            assert!(writes(&lines, "delete").is_empty(), "Okta never deletes a user");
            assert_eq!(writes(&lines, "deactivate")[0]["method"], "PATCH");
            assert_eq!(expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)["active"], false);
        }
        // The deleted user left its groups; the others kept theirs.
        let escrow: Value = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let in_groups = escrow["groups"].to_string();
        assert!(!in_groups.contains(&user(1)), "{dialect}: {in_groups}");
        assert!(in_groups.contains(&user(2)));
    }
}

#[test]
fn a_conflict_on_create_is_looked_up_again_and_logged() {
    let s = Server::start();
    // A user deleted through SCIM is hidden from queries, but its userName is taken (409).
    let u = expect_scim(
        &s.scim("POST", "/Users", Some(&json!({"schemas": [USER_URN], "userName": user(0), "active": true}))),
        201,
    );
    assert_eq!(s.scim("DELETE", &format!("/Users/{}", u["id"].as_str().unwrap()), None).status, 204);
    let dir = TempDir::new();
    let (_, log) = paths(&dir, "conflict");
    let (code, out, err) =
        sync(&s, "entra", dir.path(), &small_directory(2), &["--log", &log.display().to_string()]);
    assert_eq!(code, 1, "{out}{err}");
    let lines = log_lines(&log);
    let first: Vec<&Value> = requests(&lines).into_iter().filter(|l| l["key"] == user(0)).collect();
    let actions: Vec<(&str, u64)> =
        first.iter().map(|l| (l["action"].as_str().unwrap(), l["status"].as_u64().unwrap())).collect();
    assert_eq!(actions, [("match", 200), ("create", 409), ("match", 200)], "Entra matches again after a 409");
    assert!(first[1]["error"].as_str().unwrap().contains(&user(0)), "{}", first[1]);
    assert_eq!(summary(&lines)["failed"], json!({"http_409_uniqueness": 1}));
    assert_eq!(summary(&lines)["created"], 1, "the other user is created");
}

#[test]
fn a_roll_out_rehearsed_with_idp_sync_holds_the_downgrades_and_reports_the_drift() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/di/disable", None);
    assert_eq!(r.status, 200);
    let dir = TempDir::new();
    // The plan before the IdP: users and seats added in Admin Center (here: imported).
    let plan_csv = dir.path().join("plan.csv");
    let mut text = String::from("Name,Email,Seat type,Department\r\n");
    for (name, local, seat) in [
        ("Alice A", "alice", "Member"),
        ("Bob B", "bob", "Member"),
        ("Carol C", "carol", "Viewer"),
        ("Dave D", "dave", "Member"),
        ("Erin E", "erin", "Viewer"),
    ] {
        text.push_str(&format!("{name},{local}@example.com,{seat},Sales\r\n"));
    }
    std::fs::write(&plan_csv, text).unwrap();
    let (code, out, err) = cli(&s.db, &["users", "import", &plan_csv.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = cli(&s.db, &["di", "enable", "--dry-run"]);
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = cli(&s.db, &["di", "enable"]);
    assert_eq!(code, 0, "{out}{err}");

    // The IdP's first cycle: four plan users are in the directory (two without a member role), and
    // one new user.
    let directory = "userName,givenName,familyName,department,roles\r\n\
        alice@example.com,Alice,A,Field Sales,\r\n\
        bob@example.com,Bob,B,Field Sales,SMARTSHEET_USER\r\n\
        carol@example.com,Carol,C,Sales,LICENSED_USER\r\n\
        dave@example.com,Dave,D,Sales,LICENSED_USER\r\n\
        frank@example.com,Frank,F,Sales,\r\n";
    let (_, log) = paths(&dir, "rehearsal");
    let (code, out, err) = sync(&s, "entra", dir.path(), directory, &["--log", &log.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("1 created, 4 updated") && out.contains("4 matched"), "{out}");
    let lines = log_lines(&log);
    assert_eq!(writes(&lines, "match").len(), 5, "every user is matched by userName first");

    let p = plan(&s);
    let last_action = |local: &str| {
        let id = &p[&format!("{local}@example.com")].0;
        let v = s.admin("GET", &format!("/admin/audit?user_id={id}&limit=1"), None).json();
        v["items"][0]["action"].as_str().unwrap().to_string()
    };
    for (local, seat, action) in [
        ("alice", "member", "downgrade_held"),
        ("bob", "member", "downgrade_held"),
        ("carol", "member", "di_upgrade"),
        ("dave", "member", "taken_over"),
        ("frank", "viewer", "provisioned"),
    ] {
        assert_eq!(p[&format!("{local}@example.com")].1.as_deref(), Some(seat), "{local}");
        assert_eq!(last_action(local), action, "{local}");
    }
    assert_eq!(last_action("erin"), "user_added", "erin is not in the directory: untouched");
    let (code, out, _) = cli(&s.db, &["report", "drift"]);
    assert_eq!(code, 0);
    assert!(out.contains("alice@example.com") && out.contains("by reason: downgrade_held 2"), "{out}");
}

#[test]
fn okta_imports_the_targets_users_when_that_takes_fewer_requests_than_queries() {
    let s = Server::start();
    let dir = TempDir::new();
    let rows = first_directory(250);
    let (code, out, err) = sync(&s, "entra", dir.path(), &csv(&rows), &[]);
    assert_eq!(code, 0, "{out}{err}");
    // Okta meets the same users with no escrow: three pages of 100 instead of 250 queries.
    let (_, log) = paths(&dir, "import");
    let mut rows2 = rows.clone();
    rows2[7].department = "Imported".into();
    rows2.push(Row { user: user(250), ..rows[0].clone() });
    let (code, out, err) = sync(&s, "okta", dir.path(), &csv(&rows2), &["--log", &log.display().to_string()]);
    assert_eq!(code, 0, "{out}{err}");
    let lines = log_lines(&log);
    let pages: Vec<&str> = writes(&lines, "import").iter().map(|l| l["path"].as_str().unwrap()).collect();
    assert_eq!(pages.len(), 3, "{pages:?}");
    assert!(pages.contains(&"/Users?startIndex=201&count=100"), "{pages:?}");
    assert!(writes(&lines, "match").is_empty());
    let sum = summary(&lines);
    assert_eq!(
        (sum["matched"].as_u64(), sum["created"].as_u64(), sum["updated"].as_u64()),
        (Some(250), Some(1), Some(1)),
        "{sum}"
    );
    assert_eq!(writes(&lines, "update")[0]["key"], user(7));
    assert_seats(&s, &rows2, &BTreeSet::new());
}
