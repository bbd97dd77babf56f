//! Operations: the systemd notify protocol (READY, WATCHDOG from the self-probe, STOPPING) against a
//! test socket, TLS reload on SIGHUP and through `scim-seat reload` (with its /metrics), online
//! backup while writing, restore from a backup, and the schema version rules.

use crate::harness::{Opts, Server, TempDir, cli, expect_scim};
use serde_json::json;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

fn user(n: usize) -> serde_json::Value {
    json!({"userName": format!("ops{n}@example.com"), "name": {"givenName": "O", "familyName": format!("{n}")}})
}

/// Collects notify datagrams until `want` is seen or the deadline passes.
fn read_until(sock: &UnixDatagram, want: &str, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut seen = Vec::new();
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        sock.set_read_timeout(Some(
            deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1)),
        ))
        .unwrap();
        match sock.recv(&mut buf) {
            Ok(n) => {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                let done = msg.contains(want);
                seen.push(msg);
                if done {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    seen
}

fn notify_server(tls: bool) -> (Server, UnixDatagram, TempDir) {
    let sock_dir = TempDir::new();
    let path = sock_dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let s = Server::start_with(Opts {
        tls,
        lab: Some("example.com"),
        env: vec![
            ("NOTIFY_SOCKET".into(), path.display().to_string()),
            ("WATCHDOG_USEC".into(), "300000".into()),
        ],
        ..Opts::default()
    });
    (s, sock, sock_dir)
}

#[test]
fn systemd_notify_ready_watchdog_stopping() {
    let (mut s, sock, _dir) = notify_server(false);
    let seen = read_until(&sock, "READY=1", Duration::from_secs(5));
    assert!(seen.iter().any(|m| m == "READY=1"), "{seen:?}");
    // The watchdog pings come from a real probe of the listener, every WATCHDOG_USEC/2.
    let seen = read_until(&sock, "WATCHDOG=1", Duration::from_secs(3));
    assert!(seen.iter().any(|m| m == "WATCHDOG=1"), "{seen:?}");
    let seen = read_until(&sock, "WATCHDOG=1", Duration::from_secs(3));
    assert!(seen.iter().any(|m| m == "WATCHDOG=1"), "{seen:?}");
    assert_eq!(s.stop(), Some(0));
    let seen = read_until(&sock, "STOPPING=1", Duration::from_secs(3));
    assert!(seen.iter().any(|m| m == "STOPPING=1"), "{seen:?}");
    assert!(!s.log().contains("self-probe"), "the probe failed:\n{}", s.log());
}

#[test]
fn watchdog_probe_works_over_tls() {
    let (s, sock, _dir) = notify_server(true);
    let seen = read_until(&sock, "WATCHDOG=1", Duration::from_secs(5));
    assert!(seen.iter().any(|m| m == "WATCHDOG=1"), "{seen:?}\n{}", s.log());
}

#[test]
fn sighup_reloads_the_certificate_without_dropping_service() {
    let s = Server::start_with(Opts { tls: true, lab: Some("example.com"), ..Opts::default() });
    let mut kept = s.client(s.scim_addr);
    assert_eq!(kept.send("GET", "/healthz", &[], None).status, 200);
    // Replace the pair on disk with a new self-signed one, then SIGHUP.
    let fresh = TempDir::new();
    let (code, _, err) = cli(
        &fresh.path().join("x.db"),
        &["init", "--self-signed", "127.0.0.1", "--tls-dir", fresh.path().to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let tls_dir = s.dir.path().join("tls");
    let old_cert = std::fs::read(tls_dir.join("cert.pem")).unwrap();
    std::fs::copy(fresh.path().join("cert.pem"), tls_dir.join("cert.pem")).unwrap();
    std::fs::copy(fresh.path().join("key.pem"), tls_dir.join("key.pem")).unwrap();
    s.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !s.log().contains("TLS certificate and key reloaded") {
        assert!(Instant::now() < deadline, "no reload in the log:\n{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // The open connection keeps working; a client trusting only the old certificate is refused…
    assert_eq!(kept.send("GET", "/healthz", &[], None).status, 200);
    let mut old_trust = s.client(s.scim_addr);
    let refused = old_trust.write_raw(b"GET /healthz HTTP/1.1\r\n\r\n").is_err()
        || old_trust.read_response(false).is_err();
    assert!(refused, "a new handshake still used the old certificate");
    // …and one trusting the new certificate is served.
    let new_client = Server::client_config_for(&tls_dir.join("cert.pem"));
    let r = crate::harness::Client::connect(s.scim_addr, Some(new_client)).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
    assert_ne!(old_cert, std::fs::read(tls_dir.join("cert.pem")).unwrap());
    // A broken pair on SIGHUP keeps the working one in service.
    std::fs::write(tls_dir.join("key.pem"), "not a key").unwrap();
    s.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !s.log().contains("TLS reload failed") {
        assert!(Instant::now() < deadline, "no failure in the log:\n{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let new_client = Server::client_config_for(&tls_dir.join("cert.pem"));
    let r = crate::harness::Client::connect(s.scim_addr, Some(new_client)).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
}

#[test]
fn backup_while_writing_then_restore() {
    let s = Server::start();
    let writer = {
        let base = s.base_path.clone();
        let addr = s.scim_addr;
        let token = s.scim_token.clone();
        std::thread::spawn(move || {
            let mut c = crate::harness::Client::connect(addr, None);
            for n in 0..200 {
                let r =
                    c.send("POST", &format!("{base}/Users"), &crate::harness::auth(&token), Some(&user(n)));
                assert_eq!(r.status, 201, "{}", r.text());
            }
        })
    };
    std::thread::sleep(Duration::from_millis(30));
    let copy = s.dir.path().join("backup.db");
    let (code, out, err) = cli(&s.db, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    writer.join().unwrap();
    let (code, out, _) = cli(&copy, &["check"]);
    assert_eq!(code, 0, "{out}");
    // Backing up onto an existing file is refused.
    let (code, _, err) = cli(&s.db, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("exists"));
    // Restore: serve the copy; it holds a consistent prefix of the users and the same tokens.
    let dir = TempDir::new();
    let restored = dir.path().join("restored.db");
    std::fs::copy(&copy, &restored).unwrap();
    let args = vec![
        "serve".to_string(),
        "--db".into(),
        restored.display().to_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--admin-listen".into(),
        "127.0.0.1:0".into(),
    ];
    let mut r = Server::spawn(dir, restored, args, None);
    r.scim_token = s.scim_token.clone();
    let list = r.scim("GET", "/Users?count=0", None);
    assert_eq!(list.status, 200, "the old token works on the restored file");
    let total = list.json()["totalResults"].as_u64().unwrap();
    assert!(total <= 200);
    let created = r.scim("POST", "/Users", Some(&user(1000)));
    assert_eq!(created.status, 201);
}

#[test]
fn a_database_from_a_newer_scim_seat_is_refused() {
    let dir = TempDir::new();
    let db = dir.path().join("new.db");
    let (code, _, _) = cli(&db, &["init"]);
    assert_eq!(code, 0);
    // Pretend a future version wrote the file.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let (code, out, _) = cli(&db, &["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("newer scim-seat"), "{out}");
    // Serving it is refused too, before anything is written.
    let (code, _, err) = cli(&db, &["users", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("newer than this scim-seat"), "{err}");
}

#[test]
fn a_foreign_sqlite_file_is_refused() {
    let dir = TempDir::new();
    let db = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("CREATE TABLE t (x)").unwrap();
    drop(conn);
    let (code, out, _) = cli(&db, &["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("not a scim-seat database"), "{out}");
    let (code, _, err) = cli(&db, &["users", "list"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a scim-seat one"), "{err}");
}

#[test]
fn a_world_readable_key_is_warned_about_at_start() {
    let dir = TempDir::new();
    let tls = dir.path().join("tls");
    let (code, _, err) = cli(
        &dir.path().join("c.db"),
        &["init", "--self-signed", "127.0.0.1", "--tls-dir", tls.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(tls.join("key.pem"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let db = dir.path().join("s.db");
    let args: Vec<String> = [
        "serve",
        "--db",
        db.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--admin-listen",
        "127.0.0.1:0",
        "--tls-cert",
        tls.join("cert.pem").to_str().unwrap(),
        "--tls-key",
        tls.join("key.pem").to_str().unwrap(),
    ]
    .map(String::from)
    .to_vec();
    let client = Server::client_config_for(&tls.join("cert.pem"));
    let s = Server::spawn(dir, db, args.clone(), Some(client.clone()));
    assert!(s.log().contains("readable by others"), "{}", s.log());
    // The README's install makes the key 0640 with the service's group: no warning for that.
    std::fs::set_permissions(tls.join("key.pem"), std::fs::Permissions::from_mode(0o640)).unwrap();
    let (dir2, db2) = (TempDir::new(), tls.join("s2.db"));
    let mut args2 = args.clone();
    args2[2] = db2.display().to_string();
    let quiet = Server::spawn(dir2, db2, args2, Some(client));
    assert!(!quiet.log().contains("TLS key"), "{}", quiet.log());
    drop(quiet);
    // The key written by `init --self-signed` itself is private.
    let (code, _, _) = cli(
        &s.dir.path().join("d.db"),
        &["init", "--self-signed", "127.0.0.1", "--tls-dir", s.dir.path().join("t2").to_str().unwrap()],
    );
    assert_eq!(code, 0);
    let mode = std::fs::metadata(s.dir.path().join("t2/key.pem")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// `serve` on a copy of a database fixture of tests/fixtures (plain HTTP, loopback ports); the copy's path.
fn serve_fixture(name: &str) -> (Server, std::path::PathBuf) {
    let dir = TempDir::new();
    let db = dir.path().join(name);
    std::fs::copy(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name), &db)
        .unwrap();
    let db_arg = db.display().to_string();
    let args: Vec<String> =
        ["serve", "--db", &db_arg, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"]
            .iter()
            .map(|a| a.to_string())
            .collect();
    (Server::spawn(dir, db.clone(), args, None), db)
}

/// Tokens of tests/fixtures/schema-v1.db (test secrets; see tests/fixtures/README.md).
const V1_ADMIN_TOKEN: &str =
    "sst_7fd40fe7389b17f5_ef6f0b065888f744dac36281198b46694322a8e253691ffcde7fe6b8df20ad23";
const V1_SCIM_TOKEN: &str =
    "sst_f08a2ae8479f2f53_394c116f7cb79b3e9888cf254e2090ba6a9a2c7d1c7020db085c13e24c936f01";

/// A database written at schema version 1 is migrated at start, its data intact: settings become
/// typed (numbers, booleans, text), the `state.*` rows move to plan_state (the guard stays tripped,
/// the DI switch keeps its date), users, groups and tokens answer as before, and `check` passes.
#[test]
fn a_version_1_database_is_migrated_with_its_data() {
    let (mut s, db) = serve_fixture("schema-v1.db");
    assert!(s.admin_token.is_empty(), "an initialised database prints no new tokens");
    let admin = |path: &str| {
        let r = s.admin_as(V1_ADMIN_TOKEN, "GET", path, None);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    };
    let settings = admin("/admin/settings");
    assert_eq!(settings["role_group_prefix"], "Smartsheet ", "{settings}");
    assert_eq!(settings["member_seat_limit"], 50, "{settings}");
    assert_eq!(settings["auto_upgrade"], false, "{settings}");
    assert_eq!(settings["di_enabled"], true, "{settings}");
    assert_eq!(settings["deprovision_guard"], json!({"max": 5, "window_minutes": 60}), "{settings}");
    assert_eq!(admin("/admin/di")["changed_at"], "2026-11-29T12:26:51.000Z");
    let guard = admin("/admin/deprovision-guard");
    assert_eq!(
        (guard["tripped"].clone(), guard["last_reset"].clone()),
        (json!(true), json!("2026-11-23T12:00:00Z")),
        "{guard}"
    );
    let users = admin("/admin/users?include=pending");
    let names: Vec<&str> =
        users["items"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice@example.com", "bob@example.com"], "{users}");
    let r = s.scim_as(V1_SCIM_TOKEN, "GET", "/Groups", None);
    assert_eq!(r.status, 200, "{}", r.text());
    let groups = r.json();
    assert_eq!(groups["Resources"][0]["displayName"], "Smartsheet Licensed User", "{groups}");
    assert_eq!(groups["Resources"][0]["members"].as_array().map(Vec::len), Some(1), "{groups}");
    // Version 6 keys memberships by seq: the member's own resource still lists the group.
    let member = groups["Resources"][0]["members"][0]["value"].as_str().unwrap().to_string();
    let user = s.scim_as(V1_SCIM_TOKEN, "GET", &format!("/Users/{member}"), None).json();
    assert_eq!(user["groups"][0]["value"], groups["Resources"][0]["id"], "{user}");
    // Version 4 counted each user's groups: on a legacy plan, Bob without a licence is still listed
    // (he is in a group), Alice is pending (in none) and listed only with include=pending.
    let bob = users["items"][1]["id"].as_str().unwrap().to_string();
    let r = s.admin_as(
        V1_ADMIN_TOKEN,
        "PATCH",
        "/admin/settings?force=true",
        Some(&json!({"plan_model": "legacy"})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.admin_as(
        V1_ADMIN_TOKEN,
        "PUT",
        &format!("/admin/users/{bob}/seat"),
        Some(&json!({"seat": "viewer"})),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["licensed"], false, "{}", r.text());
    let shown = admin("/admin/users");
    let names: Vec<&str> =
        shown["items"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap()).collect();
    assert_eq!(names, ["bob@example.com"], "{shown}");
    // Writes work on the migrated file, and the guard keeps refusing deprovisions until reset.
    let r =
        s.admin_as(V1_ADMIN_TOKEN, "PATCH", "/admin/settings", Some(&json!({"role_group_prefix": "none"})));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["role_group_prefix"], "none");
    assert_eq!(s.stop(), Some(0));
    let (code, out, err) = cli(&db, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema version 8"), "{out}");
}

/// The admin token of tests/fixtures/schema-v2.db (a test secret; see tests/fixtures/README.md).
const V2_ADMIN_TOKEN: &str =
    "sst_b9562b6c52d73fd1_98f9cdfb9d647a2666d29147fd64adef2e20c376c4569fec926bab941097bfe7";

/// A database written at schema version 2 is migrated at start (versions 3 and 4: the admin list's
/// indexes, 5: the SCIM list's counts), its users intact and found by every filter, and `check` passes.
#[test]
fn a_version_2_database_is_migrated_with_its_data() {
    let (mut s, db) = serve_fixture("schema-v2.db");
    let names = |query: &str| -> Vec<String> {
        let r = s.admin_as(V2_ADMIN_TOKEN, "GET", &format!("/admin/users?include=pending&{query}"), None);
        assert_eq!(r.status, 200, "{query}: {}", r.text());
        r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(""), ["ada@example.com", "carol@example.com", "dan.viewer@example.com"]);
    assert_eq!(names("seat=member"), ["ada@example.com"]);
    assert_eq!(names("seat=viewer&status=active"), ["carol@example.com", "dan.viewer@example.com"]);
    assert_eq!(names("q=Carol"), ["carol@example.com"], "the display name's start");
    assert_eq!(names("q=dan.v"), ["dan.viewer@example.com"]);
    assert_eq!(names("q=example.com").len(), 3, "the domain");
    assert_eq!(s.stop(), Some(0));
    let (code, out, err) = cli(&db, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema version 8"), "{out}");
}

/// Each user's userName, id, version and lastModified as a fixture file holds them (read from the
/// file itself, before a server migrates its copy).
fn users_as_stored(fixture: &str) -> Vec<(String, String, i64, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(fixture);
    let c = rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut q = c.prepare("SELECT user_name, id, version, last_modified FROM users ORDER BY seq").unwrap();
    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Every user of `stored` answers with the version and lastModified it had before the migration.
fn assert_meta_kept(s: &Server, token: &str, stored: &[(String, String, i64, String)]) {
    for (name, id, version, last_modified) in stored {
        let meta = &expect_scim(&s.scim_as(token, "GET", &format!("/Users/{id}"), None), 200)["meta"];
        assert_eq!(meta["version"], format!("W/\"{version}\""), "{name}");
        assert_eq!(meta["lastModified"], last_modified.as_str(), "{name}");
    }
}

/// The SCIM token of tests/fixtures/schema-v5.db (a test secret; see tests/fixtures/README.md).
const V5_SCIM_TOKEN: &str =
    "sst_6422df52e9baac0f_4cb92ec2fea043241d295add5ad433a299fd3e77f0a5c41369147281464c5905";

/// A database written at schema version 5 is migrated at start (version 6: memberships keyed by
/// seq; version 7: group counts written by the membership statements; version 8: group counts and
/// membership versions apart from the user rows): every group keeps its members in creation order,
/// every user its groups, its version and its lastModified, a deleted group's memberships stay gone,
/// membership changes and a group's delete work on the migrated file, and `check` passes.
#[test]
fn a_version_5_database_is_migrated_with_its_memberships() {
    let stored = users_as_stored("schema-v5.db");
    assert_eq!(stored.len(), 5);
    let (mut s, db) = serve_fixture("schema-v5.db");
    assert_meta_kept(&s, V5_SCIM_TOKEN, &stored);
    let get = |s: &Server, path: &str| {
        let r = s.scim_as(V5_SCIM_TOKEN, "GET", path, None);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        r.json()
    };
    let users = get(&s, "/Users?count=10");
    let id = |name: &str| -> String {
        let u = users["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["userName"] == format!("{name}@example.com"));
        u.unwrap_or_else(|| panic!("{name}: {users}"))["id"].as_str().unwrap().to_string()
    };
    let groups = get(&s, "/Groups");
    let group = |name: &str| -> String {
        let g = groups["Resources"].as_array().unwrap().iter().find(|g| g["displayName"] == name);
        g.unwrap_or_else(|| panic!("{name}: {groups}"))["id"].as_str().unwrap().to_string()
    };
    assert_eq!(groups["totalResults"], 2, "{groups}");
    let (eng, sales) = (group("Engineering"), group("Sales"));
    let members = |s: &Server, gid: &str| -> Vec<String> {
        let g = get(s, &format!("/Groups/{gid}"));
        g["members"]
            .as_array()
            .map_or(Vec::new(), |m| m.iter().map(|m| m["value"].as_str().unwrap().to_string()).collect())
    };
    assert_eq!(members(&s, &eng), [id("ann"), id("ben"), id("cat")]);
    assert_eq!(members(&s, &sales), [id("ben")]);
    let groups_of = |s: &Server, name: &str| -> Vec<String> {
        let u = get(s, &format!("/Users/{}", id(name)));
        u["groups"]
            .as_array()
            .map_or(Vec::new(), |g| g.iter().map(|g| g["display"].as_str().unwrap().to_string()).collect())
    };
    assert_eq!(groups_of(&s, "ben"), ["Engineering", "Sales"]);
    assert_eq!(groups_of(&s, "cat"), ["Engineering"]);
    assert!(groups_of(&s, "dov").is_empty() && groups_of(&s, "eve").is_empty());
    // Membership changes on the migrated file.
    let patch = |s: &Server, gid: &str, ops: serde_json::Value| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        let r = s.scim_as(V5_SCIM_TOKEN, "PATCH", &format!("/Groups/{gid}"), Some(&body));
        assert_eq!(r.status, 204, "{}", r.text());
    };
    patch(&s, &eng, json!([{"op": "remove", "path": "members", "value": [{"value": id("ann")}]}]));
    patch(
        &s,
        &sales,
        json!([{"op": "add", "path": "members", "value": [{"value": id("eve")}, {"value": id("dov")}]}]),
    );
    assert_eq!(members(&s, &eng), [id("ben"), id("cat")]);
    assert_eq!(members(&s, &sales), [id("ben"), id("dov"), id("eve")]);
    assert_eq!(groups_of(&s, "eve"), ["Sales"]);
    let ben_before = get(&s, &format!("/Users/{}", id("ben")))["meta"]["version"].clone();
    let r = s.scim_as(V5_SCIM_TOKEN, "DELETE", &format!("/Groups/{eng}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(groups_of(&s, "ben"), ["Sales"]);
    assert_ne!(get(&s, &format!("/Users/{}", id("ben")))["meta"]["version"], ben_before);
    assert_eq!(s.stop(), Some(0));
    // `check` also counts every user's memberships against its group count (user_groups) and flag.
    let (code, out, err) = cli(&db, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema version 8"), "{out}");
}

/// The SCIM token of tests/fixtures/schema-v7.db (a test secret; see tests/fixtures/README.md).
const V7_SCIM_TOKEN: &str =
    "sst_c34a462b47ca2e7e_e5e534159534241d3019736e28bf68b9a78fd22a547894343a04182040257b4d";

/// A database written at schema version 7 is migrated at start (version 8: group counts and the
/// versions membership changes give, apart from the user rows): every user keeps its version, its
/// lastModified and its groups; each membership change after it is one version more for each member
/// it moves; `check` counts the moved counts right.
#[test]
fn a_version_7_database_is_migrated_with_its_group_counts() {
    let stored = users_as_stored("schema-v7.db");
    let (mut s, db) = serve_fixture("schema-v7.db");
    assert_meta_kept(&s, V7_SCIM_TOKEN, &stored);
    let get = |path: &str| expect_scim(&s.scim_as(V7_SCIM_TOKEN, "GET", path, None), 200);
    let user = |name: &str| -> (String, i64) {
        let (_, id, version, _) = stored.iter().find(|(n, ..)| n == &format!("{name}@example.com")).unwrap();
        (id.clone(), *version)
    };
    let seen = |name: &str| -> (String, Vec<String>) {
        let u = get(&format!("/Users/{}", user(name).0));
        let groups = u["groups"]
            .as_array()
            .map_or(Vec::new(), |g| g.iter().map(|g| g["display"].as_str().unwrap().to_string()).collect());
        (u["meta"]["version"].as_str().unwrap().to_string(), groups)
    };
    assert_eq!(seen("ann").1, ["Engineering"]);
    assert_eq!(seen("ben").1, ["Engineering", "Sales"]);
    assert!(seen("cat").1.is_empty());
    let groups = get("/Groups");
    let group = |name: &str| -> String {
        let g = groups["Resources"].as_array().unwrap().iter().find(|g| g["displayName"] == name);
        g.unwrap_or_else(|| panic!("{name}: {groups}"))["id"].as_str().unwrap().to_string()
    };
    let (eng, sales) = (group("Engineering"), group("Sales"));
    let ops = |ops: serde_json::Value| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
    let (ben, cat) = (user("ben"), user("cat"));
    let change = ops(json!([
        {"op": "remove", "path": format!("members[value eq \"{}\"]", ben.0)},
        {"op": "add", "path": "members", "value": [{"value": cat.0}]}
    ]));
    let r = s.scim_as(V7_SCIM_TOKEN, "PATCH", &format!("/Groups/{eng}"), Some(&change));
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(seen("ben"), (format!("W/\"{}\"", ben.1 + 1), vec!["Sales".to_string()]));
    assert_eq!(seen("cat"), (format!("W/\"{}\"", cat.1 + 1), vec!["Engineering".to_string()]));
    assert_eq!(s.scim_as(V7_SCIM_TOKEN, "DELETE", &format!("/Groups/{sales}"), None).status, 204);
    assert_eq!(seen("ben"), (format!("W/\"{}\"", ben.1 + 2), Vec::new()));
    assert_eq!(seen("ann").0, format!("W/\"{}\"", user("ann").1), "ann's groups did not move");
    assert_eq!(s.stop(), Some(0));
    let (code, out, err) = cli(&db, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("schema version 8"), "{out}");
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A backup under steady write load completes as one consistent snapshot, is private (0600), and
/// the database and its WAL are private whatever the umask.
#[test]
fn a_backup_under_steady_writes_completes_and_every_file_is_private() {
    let s = Server::start();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|t| {
            let (base, addr, token, stop) =
                (s.base_path.clone(), s.scim_addr, s.scim_token.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut c = crate::harness::Client::connect(addr, None);
                let mut n = t * 100_000;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let r = c.send(
                        "POST",
                        &format!("{base}/Users"),
                        &crate::harness::auth(&token),
                        Some(&user(n)),
                    );
                    assert_eq!(r.status, 201, "{}", r.text());
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let copy = s.dir.path().join("under-load.db");
    let started = Instant::now();
    let (code, out, err) = cli(&s.db, &["backup", copy.to_str().unwrap()]);
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(code, 0, "{out}{err}");
    assert!(took < Duration::from_secs(20), "the backup finished while writes went on ({took:?})");
    assert_eq!(mode(&copy), 0o600);
    let (code, out, _) = cli(&copy, &["check"]);
    assert_eq!(code, 0, "{out}");
    for f in [s.db.clone(), std::path::PathBuf::from(format!("{}-wal", s.db.display()))] {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    // No temporary file is left beside the backup.
    let left: Vec<_> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// `check` never changes the file it checks, and fails (exit 1, with the reason) on an empty file,
/// a file with an unfinished journal and a foreign file.
#[test]
fn check_is_read_only_and_refuses_what_is_not_a_usable_database() {
    let dir = TempDir::new();
    let empty = dir.path().join("empty.db");
    std::fs::write(&empty, b"").unwrap();
    let (code, out, _) = cli(&empty, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("empty"), "{out}");
    assert_eq!(std::fs::metadata(&empty).unwrap().len(), 0, "check does not write a schema into it");
    // A good database is not changed by a check (same bytes, no journal or WAL left behind).
    let db = dir.path().join("good.db");
    let (code, _, err) = cli(&db, &["init"]);
    assert_eq!(code, 0, "{err}");
    let copy = dir.path().join("copy.db");
    let (code, _, err) = cli(&db, &["backup", copy.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let before = std::fs::read(&copy).unwrap();
    let (code, out, _) = cli(&copy, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read(&copy).unwrap(), before, "check changed the file");
    // An unfinished rollback journal beside the file: refused, and left alone.
    let journal = dir.path().join("copy.db-journal");
    std::fs::write(&journal, b"a journal that a killed writer left").unwrap();
    let (code, out, _) = cli(&copy, &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("journal"), "{out}");
    assert!(journal.exists() && std::fs::read(&copy).unwrap() == before);
    // A file that is no database at all.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not sqlite at all, just text").unwrap();
    let (code, out, _) = cli(&junk, &["check"]);
    assert_eq!(code, 1, "{out}");
}

/// Output files never follow links and never replace a file without --force.
#[test]
fn output_files_do_not_follow_links_or_overwrite() {
    let s = Server::start();
    let target = s.dir.path().join("precious.txt");
    std::fs::write(&target, b"keep me").unwrap();
    let link = s.dir.path().join("report.csv");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, _, err) = cli(&s.db, &["report", "users", "--out", link.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    // A dangling link is refused the same way.
    let dangling = s.dir.path().join("dangling.csv");
    std::os::unix::fs::symlink(s.dir.path().join("nowhere"), &dangling).unwrap();
    let (code, _, _) = cli(&s.db, &["report", "users", "--out", dangling.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(!s.dir.path().join("nowhere").exists());
    // --force replaces the link itself, not its target.
    let (code, _, err) = cli(&s.db, &["report", "users", "--out", link.to_str().unwrap(), "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");
    assert!(!std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(mode(&link), 0o600);
    // The same for backups.
    let (code, _, _) = cli(&s.db, &["backup", dangling.to_str().unwrap()]);
    assert_eq!(code, 1);
}

/// Slow admin requests that occupy every admin worker do not starve the watchdog into a restart:
/// the pings go on while they run (the `slow_request` fault point makes two requests take 2 s).
#[cfg(feature = "fault-injection")]
#[test]
fn slow_admin_requests_do_not_starve_the_watchdog() {
    let sock_dir = TempDir::new();
    let path = sock_dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&path).unwrap();
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![
            ("NOTIFY_SOCKET".into(), path.display().to_string()),
            ("WATCHDOG_USEC".into(), "400000".into()),
            ("SCIM_SEAT_FAULTS".into(), "slow_request=2".into()),
        ],
        ..Opts::default()
    });
    read_until(&sock, "READY=1", Duration::from_secs(5));
    // Two slow admin requests at once: both admin workers are busy for 2 s.
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let (addr, token) = (s.admin_addr, s.admin_token.clone());
            std::thread::spawn(move || {
                crate::harness::Client::connect(addr, None)
                    .send("GET", "/admin/di", &crate::harness::auth(&token), None)
                    .status
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let seen = read_until(&sock, "never", Duration::from_millis(1500));
    let pings = seen.iter().filter(|m| *m == "WATCHDOG=1").count();
    assert!(
        pings >= 2,
        "pings while the admin workers were busy: {seen:?} in {:?}\n{}",
        started.elapsed(),
        s.log()
    );
    for t in slow {
        assert_eq!(t.join().unwrap(), 200);
    }
}

/// Writes a self-signed pair for 127.0.0.1 valid until `year`-01-01 into `dir` (cert.pem, key.pem).
fn pair_until(dir: &std::path::Path, year: i32) {
    let mut params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    params.not_after = rcgen::date_time_ymd(year, 1, 1);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), key.serialize_pem()).unwrap();
}

fn metric(s: &Server, name: &str) -> Option<String> {
    let text =
        s.client(s.admin_addr).send("GET", "/metrics", &crate::harness::auth(&s.admin_token), None).text();
    text.lines().find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_string))
}

/// `scim-seat reload --pid` (the unit's ExecReload) signals the server and reports its outcome:
/// exit 0 with a renewed pair, exit 1 when the pair is refused, so `systemctl reload` fails then.
/// /metrics shows the served certificate's notAfter and counts the refusals.
#[test]
fn reload_command_reports_the_outcome_and_metrics_follow_the_certificate() {
    let mut s = Server::start_with(Opts { tls: true, lab: Some("example.com"), ..Opts::default() });
    let pid = s.pid().to_string();
    // `init --self-signed` certificates (rcgen's default) run to 4096-01-01.
    assert_eq!(metric(&s, "scim_seat_tls_certificate_expiry_seconds").as_deref(), Some("67090118400"));
    assert_eq!(metric(&s, "scim_seat_tls_reload_failures_total").as_deref(), Some("0"));
    let tls_dir = s.dir.path().join("tls");
    pair_until(&tls_dir, 2031);
    let (code, out, err) = cli(&s.db, &["reload", "--pid", &pid]);
    assert_eq!((code, out.trim()), (0, "TLS certificate and key reloaded"), "{err}");
    s.tls = Some(Server::client_config_for(&tls_dir.join("cert.pem")));
    // 2031-01-01T00:00:00Z
    assert_eq!(metric(&s, "scim_seat_tls_certificate_expiry_seconds").as_deref(), Some("1924992000"));
    // A renewed certificate whose key was forgotten: refused, the 2031 pair stays in service.
    let other = TempDir::new();
    pair_until(other.path(), 2032);
    std::fs::copy(other.path().join("cert.pem"), tls_dir.join("cert.pem")).unwrap();
    let (code, out, err) = cli(&s.db, &["reload", "--pid", &pid]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("TLS reload failed, keeping the previous pair") && err.contains("does not fit"),
        "{err}"
    );
    assert_eq!(metric(&s, "scim_seat_tls_reload_failures_total").as_deref(), Some("1"));
    assert_eq!(metric(&s, "scim_seat_tls_certificate_expiry_seconds").as_deref(), Some("1924992000"));
    assert_eq!(s.pid().to_string(), pid);
    assert_eq!(s.stop(), Some(0));
    // Without a serving process of this user there is nothing to signal.
    let (code, _, err) = cli(&s.db, &["reload", "--pid", &pid]);
    assert_eq!(code, 1);
    assert!(err.contains(&format!("no scim-seat serve process {pid}")), "{err}");
}

/// A serving process killed outright leaves its private directory behind. `reload` on that pid
/// says the process has ended (it does not report a failed signal), and the next `serve` removes
/// the directories of ended processes, but not of live ones or other names.
#[test]
fn directories_left_by_ended_processes_are_removed_and_reload_says_the_process_ended() {
    let mut ended = std::process::Command::new("true").spawn().unwrap();
    ended.wait().unwrap();
    let pid = ended.id();
    // A runtime directory of this test's own, as systemd's RuntimeDirectory= gives the service.
    let base = TempDir::new();
    let runtime = base.path().to_string_lossy().into_owned();
    let left = base.path().join(format!("scim-seat-{pid}-0123456789ab"));
    std::fs::create_dir_all(&left).unwrap();
    std::fs::write(left.join("reload"), "1 ok TLS certificate and key reloaded\n").unwrap();
    let live = base.path().join(format!("scim-seat-{}-0123456789ab", std::process::id()));
    std::fs::create_dir_all(&live).unwrap();
    let other = base.path().join(format!("scim-seat-{pid}-not-ours"));
    std::fs::create_dir_all(&other).unwrap();
    let out = std::process::Command::new(crate::harness::BIN)
        .args(["reload", "--pid", &pid.to_string()])
        .env("RUNTIME_DIRECTORY", &runtime)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("no scim-seat serve process {pid}: the process has ended")), "{err}");
    let s = Server::start_with(Opts { env: vec![("RUNTIME_DIRECTORY".into(), runtime)], ..Opts::default() });
    assert!(!left.exists(), "the ended process's directory is still there");
    assert!(live.exists() && other.exists());
    let own = std::fs::read_dir(base.path()).unwrap().filter_map(|e| e.ok()).filter(|e| {
        e.file_name().to_str().is_some_and(|n| n.starts_with(&format!("scim-seat-{}-", s.pid())))
    });
    assert_eq!(own.count(), 1, "the server's own directory");
    drop(s);
}

#[test]
fn reload_without_tls_succeeds_and_metrics_say_nothing_about_tls() {
    let s = Server::start();
    let (code, out, err) = cli(&s.db, &["reload", "--pid", &s.pid().to_string()]);
    assert_eq!((code, out.trim()), (0, "SIGHUP: nothing to reload (no TLS)"), "{err}");
    assert_eq!(metric(&s, "scim_seat_tls_reload_failures_total"), None);
}
