//! Whole-plan work goes a batch of users at a time. Reports are streamed: chunked transfer coding,
//! through the edge to the client, so memory follows one batch; a report that fails half way is cut
//! short, never complete-looking; an HTTP/1.0 client gets the body unframed, ended by the close.
//! Reconcile applies a plan larger than a batch in batches, and its dry run changes nothing.

use crate::harness::{Opts, Server, USER_URN, auth, cli};
use serde_json::{Value, json};
use std::io::{Read, Write};

/// Imports `n` plan users (`s{i}@example.com`, Member) in one request.
fn import(s: &Server, n: usize) {
    let mut csv = String::from("Email,Seat type\r\n");
    for i in 0..n {
        csv.push_str(&format!("s{i:05}@example.com,Member\r\n"));
    }
    let r = s.client(s.admin_addr).send_bytes(
        "POST",
        "/admin/users/import",
        &auth(&s.admin_token),
        csv.as_bytes(),
    );
    assert_eq!(r.status, 201, "{}", r.text().chars().take(400).collect::<String>());
}

fn is_chunked(r: &crate::harness::Resp) -> bool {
    r.header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        && r.header("content-length").is_none()
}

#[test]
fn whole_plan_reports_stream_in_chunks_and_keep_the_connection() {
    let s = Server::start();
    // More users than three batches of the stream (500 a batch).
    import(&s, 1_201);
    let mut c = s.client(s.admin_addr);
    let h = auth(&s.admin_token);
    let r = c.send("GET", "/admin/reports/users.csv", &h, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(is_chunked(&r), "{:?}", r.headers);
    assert!(r.header("content-disposition").unwrap().contains("users.csv"));
    let text = r.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1_202, "a header and one line per user");
    assert!(lines[0].starts_with("Name,Email,Status,Seat type"), "{}", lines[0]);
    let emails: std::collections::BTreeSet<&str> =
        lines[1..].iter().map(|l| l.split(',').nth(1).unwrap().trim_matches('"')).collect();
    assert_eq!(emails.len(), 1_201, "every user once");
    assert!(emails.contains("s00000@example.com") && emails.contains("s01200@example.com"));

    // The same keep-alive connection carries the next request after a streamed answer.
    let r = c.send("GET", "/admin/settings", &h, None);
    assert_eq!(r.status, 200, "{}", r.text());

    // The drift report, streamed as JSON and as CSV, agrees with the CLI's.
    let r = c.send("GET", "/admin/reports/drift", &h, None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(is_chunked(&r), "{:?}", r.headers);
    let drift: Value = r.json();
    let total = drift["total"].as_u64().unwrap();
    assert!(total > 1_000, "imported members are not what their (no) roles ask for: {}", drift["by_reason"]);
    assert_eq!(drift["items"].as_array().unwrap().len() as u64, total, "{drift}");
    let (code, out, err) = cli(&s.db, &["report", "drift", "--json"]);
    assert_eq!(code, 0, "{err}");
    let from_cli: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(from_cli["total"], drift["total"]);
    assert_eq!(from_cli["by_reason"], drift["by_reason"]);
    let r = c.send("GET", "/admin/reports/drift?format=csv", &h, None);
    assert_eq!(r.status, 200);
    assert!(is_chunked(&r));
    assert_eq!(r.text().lines().count() as u64, total + 1, "{}", r.text());
    let r = c.send("GET", "/admin/reports/drift?format=xml", &h, None);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["detail"].as_str().unwrap().contains("json or csv"));

    // The CLI writes the same user list, a batch at a time.
    let (code, out, _) = cli(&s.db, &["report", "users"]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1_202);
}

#[test]
fn a_streamed_report_over_tls_arrives_whole() {
    let s = Server::start_with(Opts { tls: true, lab: Some("example.com"), ..Opts::default() });
    import(&s, 700);
    let r = s.admin("GET", "/admin/reports/users.csv", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(is_chunked(&r), "{:?}", r.headers);
    assert_eq!(r.text().lines().count(), 701);
}

#[test]
fn an_http10_client_gets_the_report_unframed_until_close() {
    let s = Server::start();
    import(&s, 600);
    let mut tcp = std::net::TcpStream::connect(s.admin_addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(tcp, "GET /admin/reports/users.csv HTTP/1.0\r\nAuthorization: Bearer {}\r\n\r\n", s.admin_token)
        .unwrap();
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(!head.contains("transfer-encoding"), "no chunked coding for HTTP/1.0: {head}");
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(body.lines().count(), 601, "the CSV itself, no chunk sizes");
    assert!(body.starts_with("Name,Email,"), "{}", &body[..40]);
}

#[test]
fn a_report_that_fails_half_way_is_cut_short_not_complete() {
    // The second batch of users fails to read (the first passes).
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![("SCIM_SEAT_FAULTS".into(), "report_batch=1@1".into())],
        ..Opts::default()
    });
    import(&s, 700);
    let mut c = s.client(s.admin_addr);
    let got = c.try_send("GET", "/admin/reports/users.csv", &auth(&s.admin_token), None);
    let e = got.expect_err("a truncated chunked body must not read as a whole report");
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}");
    // The service goes on: the next report is whole, and nothing was changed.
    let r = s.admin("GET", "/admin/reports/users.csv", None);
    assert_eq!(r.status, 200);
    assert_eq!(r.text().lines().count(), 701);
    let log = s.log();
    assert!(log.contains("a streamed answer stopped"), "{log}");
    assert_eq!(s.admin("GET", "/healthz", None).json(), json!({"status": "ok"}));
}

#[test]
fn reconcile_applies_a_plan_larger_than_a_batch_in_batches() {
    let s = Server::start();
    // 1,100 members by their IdP role (three batches of 500 and a part).
    let mut c = s.client(s.scim_addr);
    let h = auth(&s.scim_token);
    let path = format!("{}/Users", s.base_path);
    for i in 0..1_100 {
        let body = json!({"schemas": [USER_URN], "userName": format!("r{i:04}@example.com"), "active": true,
                          "roles": [{"type": "LICENSED_USER", "value": "LICENSED_USER"}]});
        let r = c.send("POST", &path, &h, Some(&body));
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // The role table now says LICENSED_USER is a viewer: every one of them is a difference.
    let mappings = s.admin("GET", "/admin/role-mappings", None).json();
    let mut items = mappings["items"].as_array().unwrap().clone();
    items.iter_mut().find(|r| r["name"] == "Smartsheet Licensed User").unwrap()["seat"] = json!("viewer");
    assert_eq!(s.admin("PUT", "/admin/role-mappings", Some(&json!({"items": items}))).status, 200);
    let count = |seat: &str| {
        let r = s.admin("GET", &format!("/admin/users?seat={seat}&limit=1000&include=pending"), None);
        assert_eq!(r.status, 200, "{}", r.text());
        let v = r.json();
        let mut n = v["items"].as_array().unwrap().len();
        let mut next = v["next_cursor"].clone();
        while let Some(cursor) = next.as_str() {
            let v = s
                .admin(
                    "GET",
                    &format!("/admin/users?seat={seat}&limit=1000&include=pending&cursor={cursor}"),
                    None,
                )
                .json();
            n += v["items"].as_array().unwrap().len();
            next = v["next_cursor"].clone();
        }
        n
    };
    let dry = s.admin("POST", "/admin/reconcile", Some(&json!({"dry_run": true}))).json();
    // A preview lists its first 1,000 changes and counts them all.
    assert_eq!((dry["downgrades"].as_u64(), dry["changes"].as_array().unwrap().len()), (Some(1_100), 1_000));
    assert_eq!((dry["changes_total"].as_u64(), dry["listed_at_most"].as_u64()), (Some(1_100), Some(1_000)));
    assert_eq!(dry["changes"][0]["userName"], "r0000@example.com", "in creation order");
    assert_eq!(dry["changes"][999]["userName"], "r0999@example.com");
    assert_eq!(count("member"), 1_100, "a dry run changes nothing");

    let applied = s.admin("POST", "/admin/reconcile", Some(&json!({"dry_run": false})));
    assert_eq!(applied.status, 200, "{}", applied.text().chars().take(300).collect::<String>());
    let applied = applied.json();
    assert_eq!((applied["applied"].as_bool(), applied["downgrades"].as_u64()), (Some(true), Some(1_100)));
    assert_eq!(
        (applied["changes_total"].as_u64(), applied["changes"].as_array().unwrap().len()),
        (Some(1_100), 1_000)
    );
    assert_eq!((count("member"), count("viewer")), (0, 1_100), "every batch applied");
    // Each change is audited once, as reconcile's.
    let mut reconciled = 0;
    let mut cursor = String::new();
    loop {
        let v = s.admin("GET", &format!("/admin/audit?limit=1000{cursor}"), None).json();
        reconciled += v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["action"] == "di_downgrade" && e["reason"].as_str().unwrap_or("").contains("reconcile")
            })
            .count();
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(reconciled, 1_100);
    // Nothing is left to do.
    let again = s.admin("POST", "/admin/reconcile", Some(&json!({"dry_run": true}))).json();
    assert_eq!(again["changes"], json!([]));
}

#[test]
fn q_prefix_finds_rare_and_common_prefixes_beyond_the_search_window() {
    let s = Server::start();
    // More users than the 4,000 a search first reads in creation order.
    import(&s, 4_500);
    let page = |query: &str| {
        let r = s.admin("GET", &format!("/admin/users?include=pending&{query}"), None);
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()
    };
    let names = |v: &Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap().to_string()).collect()
    };
    // A rare prefix, past the window: found through the indexes.
    assert_eq!(
        names(&page("q=s0449")),
        (4490..4500).map(|i| format!("s{i:05}@example.com")).collect::<Vec<_>>()
    );
    assert_eq!(names(&page("q=S04499%40EXAMPLE")), ["s04499@example.com"], "case-folded");
    // A prefix every user shares: pages in creation order, every user once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let v = page(&format!("q=example.com&limit=1000{cursor}"));
        seen.extend(names(&v));
        match v["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let expected: Vec<String> = (0..4_500).map(|i| format!("s{i:05}@example.com")).collect();
    assert_eq!(seen, expected);
    // With a seat filter too (the imported users are all members).
    assert_eq!(page("q=s0&seat=viewer")["items"], json!([]));
    assert_eq!(names(&page("q=s044&seat=member&limit=5")).len(), 5);
}

#[test]
fn the_provisional_sweep_ends_more_reviews_than_a_batch_holds() {
    let s = Server::start();
    assert_eq!(s.admin("PATCH", "/admin/settings", Some(&json!({"provisional_review_days": 0}))).status, 200);
    // 1,100 provisional members (a qualifying action each), whose review has already run out.
    let mut scim = s.client(s.scim_addr);
    let mut admin = s.client(s.admin_addr);
    let (hs, ha) = (auth(&s.scim_token), auth(&s.admin_token));
    let path = format!("{}/Users", s.base_path);
    for i in 0..1_100 {
        let body = json!({"schemas": [USER_URN], "userName": format!("p{i:04}@example.com"), "active": true});
        let r = scim.send("POST", &path, &hs, Some(&body));
        assert_eq!(r.status, 201, "{}", r.text());
        let id = r.json()["id"].as_str().unwrap().to_string();
        let r = admin.send(
            "POST",
            &format!("/admin/users/{id}/events"),
            &ha,
            Some(&json!({"type": "qualifying_action"})),
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The server's own periodic sweep may take some first; together they end every review.
    let (code, out, err) = cli(&s.db, &["sweep", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["applied"], true);
    // It lists its first 1,000 changes and counts them all.
    let (listed, total) = (v["changes"].as_array().unwrap().len(), v["changes_total"].as_u64().unwrap());
    assert_eq!(listed as u64, total.min(1_000), "{}", &out[..out.len().min(300)]);
    let r = s.admin("GET", "/admin/users?seat=provisional_member&include=pending", None).json();
    assert_eq!(r["items"], json!([]), "no provisional member is left");
    let r = s.admin("GET", "/admin/users?seat=viewer&include=pending&limit=1000", None).json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1_000);
    assert!(r["next_cursor"].is_string(), "1,100 viewers: a second page");
}

#[test]
fn a_long_whole_plan_run_shows_its_progress_while_it_runs() {
    // Each of the first 12 batches of whole-plan work takes 300 ms more: long enough to watch.
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![("SCIM_SEAT_FAULTS".into(), "slow_batch=12".into())],
        ..Opts::default()
    });
    import(&s, 1_201);
    assert_eq!(s.admin("POST", "/admin/di/disable", None).status, 200);
    let r = s.admin("PATCH", "/admin/settings", Some(&json!({"member_seat_limit": 5000})));
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.admin("GET", "/admin/operations", None);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"items": [], "next_cursor": null}), "nothing runs yet");

    // The DI preview reads the plan three times (seats freed under the limit, the changes, the
    // untouched plan users): 9 batches of 500.
    let (addr, token) = (s.admin_addr, s.admin_token.clone());
    let run = std::thread::spawn(move || {
        crate::harness::Client::connect(addr, None).send(
            "POST",
            "/admin/di/enable",
            &auth(&token),
            Some(&json!({"dry_run": true})),
        )
    });
    let mut seen = Vec::new();
    let started = std::time::Instant::now();
    while seen.len() < 2 && started.elapsed() < std::time::Duration::from_secs(20) {
        let ops = s.admin("GET", "/admin/operations", None).json();
        if let Some(op) = ops["items"].as_array().unwrap().first() {
            assert_eq!(op["kind"], "di_enable_preview", "{ops}");
            assert_eq!(op["users_to_read"], 3 * 1_201, "{ops}");
            let read = op["users_read"].as_u64().unwrap();
            if seen.last() != Some(&read) && read < 3 * 1_201 {
                seen.push(read);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(seen.len() >= 2 && seen[0] < seen[1], "the count grows while it runs: {seen:?}");
    let r = run.join().unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["enabled"], false);
    assert_eq!(s.admin("GET", "/admin/operations", None).json()["items"], json!([]), "gone once ended");
    let log = s.log();
    assert!(log.contains("di_enable_preview: ") && log.contains(" of 3603 users read ("), "{log}");
    assert!(log.contains("di_enable_preview: ended after 3603 users read"), "{log}");
    // The list is the administrator's alone.
    let r = s.client(s.admin_addr).send("GET", "/admin/operations", &[], None);
    assert_eq!(r.status, 401);
}
