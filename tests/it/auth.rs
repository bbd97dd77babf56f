//! Tokens: creation (CLI and admin API), scopes, revocation, the 401 shape, failed-auth slowdown.

use crate::harness::{Server, cli};
use serde_json::json;

#[test]
fn missing_or_wrong_token_is_401_with_bearer_challenge() {
    let s = Server::start();
    let r = s.client(s.admin_addr).send("GET", "/admin/tokens", &[], None);
    assert_eq!(r.status, 401);
    assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"));
    assert_eq!(r.json()["error"], "unauthorized");
    let r = s.admin_as("sst_0000000000000000_deadbeef", "GET", "/admin/tokens", None);
    assert_eq!(r.status, 401);
    // A real id with a wrong secret is just as wrong.
    let id = &s.admin_token[4..20];
    let r = s.admin_as(&format!("sst_{id}_{}", "0".repeat(64)), "GET", "/admin/tokens", None);
    assert_eq!(r.status, 401);
    assert!(!s.log().contains(&s.admin_token[21..]), "a secret appeared in the log");
}

#[test]
fn scopes_do_not_cross_surfaces() {
    let s = Server::start();
    let r = s.admin_as(&s.scim_token, "GET", "/admin/tokens", None);
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"], "wrong_scope");
    assert_eq!(s.admin("GET", "/admin/tokens", None).status, 200);
}

#[test]
fn tokens_are_created_once_listed_without_secret_and_revoked() {
    let s = Server::start();
    let r = s.admin("POST", "/admin/tokens", Some(&json!({"name": "entra prod", "scope": "admin"})));
    assert_eq!(r.status, 201);
    let created = r.json();
    let secret = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["scope"], "admin");
    assert_eq!(s.admin_as(&secret, "GET", "/admin/tokens", None).status, 200);
    let list = s.admin("GET", "/admin/tokens", None).json();
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(items.iter().all(|t| t.get("token").is_none()));
    assert!(!list.to_string().contains(&secret[21..]));
    let id = created["id"].as_str().unwrap();
    let r = s.admin("DELETE", &format!("/admin/tokens/{id}"), None);
    assert_eq!(r.status, 200);
    assert!(r.json()["revoked"].is_string());
    assert_eq!(s.admin_as(&secret, "GET", "/admin/tokens", None).status, 401);
    assert_eq!(s.admin("DELETE", &format!("/admin/tokens/{id}"), None).status, 409);
    assert_eq!(s.admin("DELETE", "/admin/tokens/nope", None).status, 404);
    // Bad input changes nothing.
    let r = s.admin("POST", "/admin/tokens", Some(&json!({"name": "x", "scope": "root"})));
    assert_eq!(r.status, 400);
    assert!(r.json()["detail"].as_str().unwrap().contains("scim"));
    assert_eq!(s.admin("GET", "/admin/tokens", None).json()["items"].as_array().unwrap().len(), 3);
}

#[test]
fn cli_tokens_work_against_the_live_file() {
    let s = Server::start();
    let (code, out, err) = cli(&s.db, &["token", "create", "--scope", "admin", "--name", "ops", "--json"]);
    assert_eq!(code, 0, "{err}");
    let t: serde_json::Value = serde_json::from_str(&out).unwrap();
    let token = t["token"].as_str().unwrap();
    assert_eq!(s.admin_as(token, "GET", "/admin/tokens", None).status, 200);
    let (code, out, _) = cli(&s.db, &["token", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("ops") && !out.contains(&token[21..]));
    let (code, _, _) = cli(&s.db, &["token", "revoke", t["id"].as_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(s.admin_as(token, "GET", "/admin/tokens", None).status, 401);
    let (code, _, err) = cli(&s.db, &["token", "revoke", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("no token"));
    let (code, _, _) = cli(&s.db, &["token", "create", "--scope", "root", "--name", "x"]);
    assert_eq!(code, 2, "usage errors exit 2");
}

#[test]
fn repeated_bad_tokens_are_slowed_per_real_address() {
    let s = Server::start();
    for i in 0..10 {
        // A client-chosen X-Forwarded-For does not buy a fresh budget: the edge replaces it.
        let headers = vec![
            ("Authorization".to_string(), "Bearer wrong".to_string()),
            ("X-Forwarded-For".to_string(), format!("10.0.0.{i}")),
        ];
        assert_eq!(s.client(s.admin_addr).send("GET", "/admin/tokens", &headers, None).status, 401);
    }
    let r = s.admin_as("wrong", "GET", "/admin/tokens", None);
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // The limiter slows failures only: the right tokens from the same address still work on both
    // listeners (nobody behind a shared NAT can lock them out).
    assert_eq!(s.admin("GET", "/admin/tokens", None).status, 200);
    assert_eq!(s.scim("GET", "/Users", None).status, 200);
    // Buckets are per surface: failures on the admin listener leave the SCIM one's budget alone.
    assert_eq!(s.scim_as("wrong", "GET", "/Users", None).status, 401);
    for _ in 0..9 {
        assert_eq!(s.scim_as("wrong", "GET", "/Users", None).status, 401);
    }
    assert_eq!(s.scim_as("wrong", "GET", "/Users", None).status, 429);
    assert_eq!(s.scim("GET", "/Users", None).status, 200);
}

#[test]
fn token_creation_and_revocation_are_audited_and_first_start_tokens_stay_out_of_the_journal() {
    let s = Server::start();
    let t =
        s.admin("POST", "/admin/tokens", Some(&serde_json::json!({"name": "ci", "scope": "scim"}))).json();
    let id = t["id"].as_str().unwrap().to_string();
    assert_eq!(s.admin("DELETE", &format!("/admin/tokens/{id}"), None).status, 200);
    let (code, _, _) = cli(&s.db, &["token", "create", "--scope", "metrics", "--name", "scrape"]);
    assert_eq!(code, 0);
    let audit = s.admin("GET", "/admin/audit?limit=5", None).json();
    let events: Vec<(String, String)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["source"].as_str().unwrap().to_string()))
        .collect();
    for want in [("token_created", "cli"), ("token_revoked", "admin"), ("token_created", "admin")] {
        assert!(events.contains(&(want.0.to_string(), want.1.to_string())), "{want:?}: {events:?}");
    }
    assert!(!audit.to_string().contains("sst_"), "no secret in the audit log: {audit}");
    // Under systemd (JOURNAL_STREAM set) the first start's tokens go to a private file, not stdout.
    let opts = crate::harness::Opts {
        lab: Some("example.com"),
        env: vec![("JOURNAL_STREAM".into(), "8:12345".into())],
        ..crate::harness::Opts::default()
    };
    let j = Server::start_with(opts);
    assert!(j.admin_token.is_empty(), "no token on stdout");
    let file = j.db.parent().unwrap().join("initial-tokens");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&file).unwrap();
    let admin = text.lines().find_map(|l| l.strip_prefix("admin token (shown once): ")).unwrap();
    assert_eq!(j.admin_as(admin, "GET", "/admin/settings", None).status, 200);
    let log = j.log();
    assert!(log.contains("initial-tokens") && !log.contains("sst_"), "{log}");
}

#[test]
fn init_refuses_an_initialised_database_and_prints_json() {
    let dir = crate::harness::TempDir::new();
    let db = dir.path().join("i.db");
    let (code, out, _) = cli(&db, &["init", "--json", "--lab", "example.com"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["admin_token"].as_str().unwrap().starts_with("sst_"));
    assert!(v["scim_token"].as_str().unwrap().starts_with("sst_"));
    let (code, _, err) = cli(&db, &["init"]);
    assert_eq!(code, 1);
    assert!(err.contains("already initialised"));
    let (code, _, err) = cli(&dir.path().join("j.db"), &["init", "--lab", "not a domain"]);
    assert_eq!(code, 1);
    assert!(err.contains("not a domain name"));
}
