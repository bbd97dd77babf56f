//! The front door: request-head checks, limits and timeouts, TLS, keep-alive, shutdown. Each limit
//! of SPEC section 1 has a test here, and each test ends by showing the server still serves.

use crate::harness::{Client, Opts, Server, TempDir, cli};
use std::time::{Duration, Instant};

fn healthy(s: &Server) {
    let r = s.client(s.admin_addr).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "ok");
}

fn raw(s: &Server, bytes: &[u8]) -> crate::harness::Resp {
    let mut c = s.client(s.scim_addr);
    c.write_raw(bytes).unwrap();
    c.read_response(false).unwrap()
}

#[test]
fn ready_line_has_real_ports_and_both_listeners_answer() {
    let s = Server::start();
    assert_ne!(s.scim_addr.port(), 0);
    assert_ne!(s.admin_addr.port(), 0);
    assert!(s.scim_url.ends_with("/v2"), "{}", s.scim_url);
    assert!(s.admin_token.starts_with("sst_") && s.scim_token.starts_with("sst_"));
    let r = s.client(s.scim_addr).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/scim+json"));
    healthy(&s);
    // Each listener answers 404 for the other's routes.
    assert_eq!(s.client(s.scim_addr).send("GET", "/metrics", &[], None).status, 404);
    assert_eq!(s.client(s.scim_addr).send("GET", "/admin/tokens", &[], None).status, 404);
    assert_eq!(s.admin("GET", "/v2/Users", None).status, 404);
}

#[test]
fn oversized_head_is_rejected_and_server_goes_on() {
    let s = Server::start();
    let big = format!("GET /healthz HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(17 * 1024));
    assert_eq!(raw(&s, big.as_bytes()).status, 431);
    let fields: String = (0..101).map(|i| format!("X-F{i}: v\r\n")).collect();
    assert_eq!(raw(&s, format!("GET /healthz HTTP/1.1\r\n{fields}\r\n").as_bytes()).status, 431);
    let fields: String = (0..100).map(|i| format!("X-F{i}: v\r\n")).collect();
    assert_eq!(raw(&s, format!("GET /healthz HTTP/1.1\r\n{fields}\r\n").as_bytes()).status, 200);
    healthy(&s);
}

#[test]
fn smuggling_shapes_get_400_and_chunked_gets_411() {
    let s = Server::start();
    let cases: [(&[u8], u16); 7] = [
        (b"POST /v2/Users HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400),
        (b"POST /v2/Users HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}", 400),
        (b"POST /v2/Users HTTP/1.1\r\nContent-Length: 0x2\r\n\r\n{}", 400),
        (b"GET /healthz HTTP/1.1\r\nX-A: b\r\n folded\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nX-A: caf\xc3\xa9\r\n\r\n", 400),
        (b"GET /healthz HTTP/9.9\r\n\r\n", 400),
        (b"POST /v2/Users HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411),
    ];
    for (bytes, status) in cases {
        let r = raw(&s, bytes);
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(bytes));
        assert_eq!(r.json()["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
        assert!(!r.json()["detail"].as_str().unwrap().is_empty());
    }
    healthy(&s);
}

#[test]
fn body_over_one_mebibyte_is_413() {
    let s = Server::start();
    let head = format!("POST /v2/Users HTTP/1.1\r\nContent-Length: {}\r\n\r\n", 1024 * 1024 + 1);
    let r = raw(&s, head.as_bytes());
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["status"], "413");
    healthy(&s);
}

#[test]
fn slow_head_is_closed_with_408() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        extra: vec!["--head-timeout-ms".into(), "400".into()],
        ..Opts::default()
    });
    let mut c = s.client(s.scim_addr);
    let started = Instant::now();
    c.write_raw(b"GET /healthz HTTP/1.1\r\nX-Slow: ").unwrap();
    // Keep trickling bytes: a per-read timeout alone would never fire.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(150));
        let _ = c.write_raw(b"a");
    }
    let r = c.read_response(false).unwrap();
    assert_eq!(r.status, 408);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(c.closed_within(Duration::from_secs(2)));
    healthy(&s);
}

#[test]
fn idle_connections_are_bounded_then_released() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        extra: vec![
            "--max-connections".into(),
            "8".into(),
            "--max-connections-per-address".into(),
            "8".into(),
            "--idle-timeout-ms".into(),
            "700".into(),
            // A connection that never sent a request is bounded by the head deadline.
            "--head-timeout-ms".into(),
            "700".into(),
        ],
        ..Opts::default()
    });
    // Eight idle connections fill the SCIM listener…
    let mut idle: Vec<Client> = (0..8).map(|_| s.client(s.scim_addr)).collect();
    std::thread::sleep(Duration::from_millis(100));
    // …so a ninth is turned away at once with 503, not queued.
    let mut extra = s.client(s.scim_addr);
    let r = extra.read_response(false).unwrap();
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some());
    // The idle ones are closed by the idle timeout, and the listener serves again.
    for c in &mut idle {
        assert!(c.closed_within(Duration::from_secs(3)));
    }
    let r = s.client(s.scim_addr).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
    // The admin listener has its own budget and was never affected.
    healthy(&s);
}

#[test]
fn keep_alive_and_pipelining_on_one_connection() {
    let s = Server::start();
    let mut c = s.client(s.scim_addr);
    for _ in 0..5 {
        assert_eq!(c.send("GET", "/healthz", &[], None).status, 200);
    }
    c.write_raw(b"GET /healthz HTTP/1.1\r\n\r\nGET /v2/nothing HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(c.read_response(false).unwrap().status, 200);
    assert_eq!(c.read_response(false).unwrap().status, 404);
    // Connection: close is honoured.
    c.write_raw(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
    assert_eq!(c.read_response(false).unwrap().status, 200);
    assert!(c.closed_within(Duration::from_secs(2)));
}

#[test]
fn https_serves_and_survives_garbage_and_slow_handshakes() {
    let s = Server::start_with(Opts {
        tls: true,
        lab: Some("example.com"),
        extra: vec!["--handshake-timeout-ms".into(), "500".into()],
        ..Opts::default()
    });
    assert!(s.scim_url.starts_with("https://") && s.admin_url.starts_with("https://"));
    healthy(&s);
    // Garbage on the TLS port: the connection is dropped, nothing else happens.
    let mut plain = Client::connect(s.scim_addr, None);
    plain.write_raw(&[0x16, 0x03, 0x01, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).unwrap();
    assert!(plain.closed_within(Duration::from_secs(3)));
    let mut plain = Client::connect(s.scim_addr, None);
    plain.write_raw(b"GET /healthz HTTP/1.1\r\n\r\n").unwrap();
    assert!(plain.closed_within(Duration::from_secs(3)));
    // A client that never finishes its handshake is cut off at the deadline.
    let mut silent = Client::connect(s.scim_addr, None);
    let started = Instant::now();
    assert!(silent.closed_within(Duration::from_secs(5)));
    assert!(started.elapsed() < Duration::from_secs(4));
    let r = s.client(s.scim_addr).send("GET", "/healthz", &[], None);
    assert_eq!(r.status, 200);
}

#[test]
fn plain_http_off_loopback_needs_insecure_flag() {
    let dir = TempDir::new();
    let db = dir.path().join("x.db");
    let out = std::process::Command::new(crate::harness::BIN)
        .args([
            "serve",
            "--db",
            db.to_str().unwrap(),
            "--listen",
            "0.0.0.0:0",
            "--admin-listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--insecure-http"), "{err}");
}

#[test]
fn tls_errors_are_clear() {
    let dir = TempDir::new();
    let (code, _, _) = cli(
        &dir.path().join("a.db"),
        &["init", "--self-signed", "127.0.0.1", "--tls-dir", dir.path().join("a").to_str().unwrap()],
    );
    assert_eq!(code, 0);
    cli(
        &dir.path().join("b.db"),
        &["init", "--self-signed", "127.0.0.1", "--tls-dir", dir.path().join("b").to_str().unwrap()],
    );
    let serve = |cert: &str, key: &str| {
        std::process::Command::new(crate::harness::BIN)
            .args(["serve", "--db", dir.path().join("c.db").to_str().unwrap(), "--listen", "127.0.0.1:0"])
            .args(["--admin-listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key])
            .output()
            .unwrap()
    };
    let a = |f: &str| dir.path().join("a").join(f).display().to_string();
    let b = |f: &str| dir.path().join("b").join(f).display().to_string();
    let out = serve(&a("cert.pem"), &b("key.pem"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("does not fit"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = serve(&a("missing.pem"), &a("key.pem"));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the certificate"));
}

#[test]
fn sigterm_exits_zero_and_database_checks_ok() {
    let mut s = Server::start();
    healthy(&s);
    assert_eq!(s.stop(), Some(0));
    let (code, out, _) = cli(&s.db, &["check"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("schema version 8"), "{out}");
}

#[test]
fn a_burst_of_new_connections_is_answered_at_once() {
    // Regression: with long-lived backend connections, tiny_http's task pool could leave the first
    // request of a new connection waiting until another client disconnected.
    let s = Server::start();
    let mut kept: Vec<Client> = Vec::new();
    for _round in 0..6 {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let addr = s.scim_addr;
                std::thread::spawn(move || {
                    let mut c = Client::connect(addr, None);
                    let started = Instant::now();
                    let r = c.send("GET", "/healthz", &[], None);
                    (r.status, started.elapsed(), c)
                })
            })
            .collect();
        for t in threads {
            let (status, took, c) = t.join().unwrap();
            assert_eq!(status, 200);
            assert!(took < Duration::from_millis(500), "a first request waited {took:?}");
            kept.push(c);
        }
    }
    // The kept-alive connections still work.
    for c in kept.iter_mut().take(8) {
        assert_eq!(c.send("GET", "/healthz", &[], None).status, 200);
    }
}

/// The edge keeps its connections to tiny_http for later exchanges: 400 requests from 9 clients
/// open about as many backend connections as ran at once, not one a request.
#[test]
fn backend_connections_are_kept_for_later_exchanges() {
    let s = Server::start();
    let connects = |s: &Server| -> u64 {
        let m = s.admin("GET", "/metrics", None).text();
        let line = m
            .lines()
            .find(|l| l.starts_with("scim_seat_edge_backend_connects_total{surface=\"scim\"}"))
            .unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let before = connects(&s);
    let mut c = s.client(s.scim_addr);
    for _ in 0..200 {
        assert_eq!(c.send("GET", "/healthz", &[], None).status, 200);
    }
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let addr = s.scim_addr;
            std::thread::spawn(move || {
                let mut c = Client::connect(addr, None);
                for _ in 0..25 {
                    assert_eq!(c.send("GET", "/healthz", &[], None).status, 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let opened = connects(&s) - before;
    assert!((1..=9).contains(&opened), "400 exchanges opened {opened} backend connections");
}

/// Seconds until `sock` is closed by the server (reads EOF or an error), or `None` within `wait`.
fn closed_after(sock: &mut std::net::TcpStream, wait: Duration) -> Option<Duration> {
    use std::io::Read;
    let started = Instant::now();
    sock.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    let mut buf = [0u8; 4096];
    while started.elapsed() < wait {
        match sock.read(&mut buf) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

/// Over TLS the handshake and head deadlines hold as over plain HTTP: a byte now and then inside
/// a TLS record does not keep a connection open past them.
#[test]
fn tls_deadlines_hold_against_drips() {
    use std::io::Write;
    let s = Server::start_with(Opts {
        tls: true,
        lab: Some("example.com"),
        extra: vec!["--handshake-timeout-ms".into(), "600".into(), "--head-timeout-ms".into(), "600".into()],
        ..Opts::default()
    });
    // A ClientHello record header that promises 512 bytes, then one byte every 150 ms.
    let mut sock = std::net::TcpStream::connect(s.scim_addr).unwrap();
    sock.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01]).unwrap();
    let dripper = {
        let mut w = sock.try_clone().unwrap();
        std::thread::spawn(move || {
            for _ in 0..40 {
                std::thread::sleep(Duration::from_millis(150));
                if w.write_all(&[0]).is_err() {
                    break;
                }
            }
        })
    };
    let closed = closed_after(&mut sock, Duration::from_secs(5));
    assert!(
        closed.is_some_and(|t| t < Duration::from_secs(3)),
        "handshake drip held the connection: {closed:?}"
    );
    drop(sock);
    let _ = dripper.join();
    // After a real handshake: a request head dripped byte by byte inside one TLS record.
    let cfg = Server::client_config_for(&s.dir.path().join("tls/cert.pem"));
    let mut tcp = std::net::TcpStream::connect(s.scim_addr).unwrap();
    let name = rustls::pki_types::ServerName::IpAddress(s.scim_addr.ip().into());
    let mut tls = rustls::ClientConnection::new(cfg, name).unwrap();
    while tls.is_handshaking() {
        tls.complete_io(&mut tcp).unwrap();
    }
    tls.writer()
        .write_all(b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
        .unwrap();
    let mut record = Vec::new();
    while tls.wants_write() {
        tls.write_tls(&mut record).unwrap();
    }
    let started = Instant::now();
    let mut writer = tcp.try_clone().unwrap();
    let drip = std::thread::spawn(move || {
        for b in record {
            std::thread::sleep(Duration::from_millis(100));
            if writer.write_all(&[b]).is_err() {
                break;
            }
        }
    });
    let closed = closed_after(&mut tcp, Duration::from_secs(6));
    assert!(closed.is_some(), "a dripped TLS record held the head open");
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
    let _ = drip.join();
    healthy(&s);
}

/// A new connection has the head deadline until its first request starts (not the idle timeout),
/// and one address may hold only its share of the connection cap.
#[test]
fn silent_new_connections_get_the_head_deadline_and_an_address_its_share() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        extra: vec![
            "--head-timeout-ms".into(),
            "500".into(),
            "--idle-timeout-ms".into(),
            "60000".into(),
            "--max-connections".into(),
            "8".into(),
        ],
        ..Opts::default()
    });
    let mut silent = std::net::TcpStream::connect(s.scim_addr).unwrap();
    let closed = closed_after(&mut silent, Duration::from_secs(5));
    assert!(closed.is_some_and(|t| t < Duration::from_secs(3)), "{closed:?}");
    // The default share is a quarter of the cap: two connections from 127.0.0.1.
    // Each held connection has been answered once, so the edge has surely counted it (a loaded
    // machine may accept late) and it stays open (keep-alive).
    let held: Vec<Client> = (0..2)
        .map(|_| {
            let mut c = s.client(s.scim_addr);
            assert_eq!(c.send("GET", "/healthz", &[], None).status, 200);
            c
        })
        .collect();
    let mut third = s.client(s.scim_addr);
    let r = third.read_response(false).unwrap();
    assert_eq!(r.status, 503);
    assert!(r.text().contains("this address"), "{}", r.text());
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(s.client(s.scim_addr).send("GET", "/healthz", &[], None).status, 200);
    let metrics = s.admin("GET", "/metrics", None).text();
    assert!(metrics.contains("scim_seat_edge_refused_over_share_total{surface=\"scim\"} 1"), "{metrics}");
}

/// An early answer reaches a client that is still uploading: the edge stops sending, then drains
/// what the client sends for a bounded while before closing (a lingering close).
#[test]
fn an_early_413_reaches_a_client_still_uploading() {
    use std::io::{Read, Write};
    let s = Server::start();
    let mut sock = std::net::TcpStream::connect(s.scim_addr).unwrap();
    let head = format!(
        "POST {}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\nContent-Length: 3000000\r\n\r\n",
        s.base_path, s.scim_token
    );
    sock.write_all(head.as_bytes()).unwrap();
    let mut writer = sock.try_clone().unwrap();
    let upload = std::thread::spawn(move || {
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < 3_000_000 {
            match writer.write(&chunk) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        sent
    });
    sock.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(e) => panic!("the answer did not arrive ({e}); got {:?}", String::from_utf8_lossy(&answer)),
        }
        if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.len() > 40 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    drop(sock);
    let _ = upload.join();
    healthy(&s);
}

/// With few descriptors (`ulimit -n 160`) the server lowers its caps to fit and says so, sheds a
/// flood of connections with clean refusals, and every listener serves again once the flood is over:
/// no surface is left dead (issue: tiny_http's accept loop stopped at its first error).
#[test]
fn a_connection_flood_under_a_low_descriptor_limit_leaves_every_surface_alive() {
    let s = Server::start_with(Opts { lab: Some("example.com"), nofile: Some(160), ..Opts::default() });
    assert!(s.log().contains("lowering --max-connections"), "{}", s.log());
    // 200 connections at once on each listener, each starting a request and stalling.
    let mut flood = Vec::new();
    for addr in [s.scim_addr, s.admin_addr] {
        for _ in 0..200 {
            if let Ok(mut c) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                use std::io::Write;
                let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nX-Stall: ");
                flood.push(c);
            }
        }
    }
    std::thread::sleep(Duration::from_millis(500));
    drop(flood);
    // Give the edge a moment to see the closes, then every surface answers again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut ok = false;
    while Instant::now() < deadline && !ok {
        std::thread::sleep(Duration::from_millis(200));
        ok = Client::try_connect(s.scim_addr)
            .and_then(|mut c| c.try_send("GET", "/healthz", &[], None).ok())
            .is_some_and(|r| r.status == 200);
    }
    assert!(ok, "the SCIM listener did not come back: {}", s.log());
    // One connection at a time (the caps are small now): each is answered.
    for _ in 0..20 {
        let mut c = s.client(s.scim_addr);
        let r = c.send(
            "GET",
            &format!("{}/Users?count=1", s.base_path),
            &crate::harness::auth(&s.scim_token),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // The admin listener too, once it has counted the flood's closes (a loaded machine sees them late).
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut metrics = None;
    while Instant::now() < deadline && metrics.is_none() {
        metrics = Client::try_connect(s.admin_addr)
            .and_then(|mut c| c.try_send("GET", "/metrics", &crate::harness::auth(&s.admin_token), None).ok())
            .filter(|r| r.status == 200)
            .map(|r| r.text());
        if metrics.is_none() {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    let metrics = metrics.unwrap_or_else(|| panic!("the admin listener did not come back: {}", s.log()));
    let refused: u64 = metrics
        .lines()
        .filter(|l| {
            l.starts_with("scim_seat_edge_refused_over") || l.starts_with("scim_seat_edge_accept_errors")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum();
    assert!(refused > 0, "the flood was shed, and counted: {metrics}");
}

/// No secret, token fragment or raw control character reaches a log line, even at debug level,
/// and the CLI shows a userName's control characters escaped.
#[test]
fn malformed_heads_with_tokens_leave_no_secret_in_the_logs() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![("RUST_LOG".into(), "debug".into())],
        ..Opts::default()
    });
    let secret = s.scim_token.clone();
    let (id, hex) = secret.trim_start_matches("sst_").split_once('_').unwrap();
    for raw in [
        format!("GET /v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization Bearer {secret}\r\n\r\n"),
        format!("GET /v2/Users HTTP/1.1\r\nHost: x\r\nBearer {secret}: x\r\n\r\n"),
        format!("GET /v2/Users HTTP/1.1\r\nHost: x\r\nX-Evil: \u{1b}[31m{secret}\r\n\r\n"),
        format!("GET /v2/Users HTTP/1.1\r\nHost: x\r\nContent-Length: {secret}\r\n\r\n"),
    ] {
        let mut c = s.client(s.scim_addr);
        c.write_raw(raw.as_bytes()).unwrap();
        let r = c.read_response(false).unwrap();
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(!r.text().contains(&hex[..20]), "the answer echoes the secret: {}", r.text());
    }
    // A user whose name carries an escape sequence.
    let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "esc\u{1b}[2J@example.com"});
    assert_eq!(s.scim("POST", "/Users", Some(&body)).status, 201);
    let (code, out, _) = cli(&s.db, &["users", "list"]);
    assert_eq!(code, 0);
    assert!(!out.contains('\u{1b}') && out.contains("\\u{1b}"), "{out}");
    let log = s.log();
    assert!(!log.contains(&hex[..12]), "a secret fragment is in the log");
    assert!(!log.contains(id) || !log.contains(&hex[..8]), "token id and secret together in the log");
    assert!(!log.contains('\u{1b}'), "a raw control character is in the log");
}

/// A connection whose thread cannot start frees its slot: after more such failures than the cap,
/// the listener still serves (the `conn_thread` fault point stands in for a thread limit, which
/// root does not obey).
#[cfg(feature = "fault-injection")]
#[test]
fn connection_threads_that_fail_to_start_leak_no_slot() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        extra: vec![
            "--max-connections".into(),
            "4".into(),
            "--max-connections-per-address".into(),
            "4".into(),
        ],
        env: vec![("SCIM_SEAT_FAULTS".into(), "conn_thread=20".into())],
        ..Opts::default()
    });
    for _ in 0..20 {
        let mut sock = std::net::TcpStream::connect(s.scim_addr).unwrap();
        assert!(
            closed_after(&mut sock, Duration::from_secs(3)).is_some(),
            "an unserved connection is closed"
        );
    }
    assert_eq!(s.client(s.scim_addr).send("GET", "/healthz", &[], None).status, 200);
    let metrics = s.admin("GET", "/metrics", None).text();
    assert!(metrics.contains("scim_seat_edge_spawn_failures_total{surface=\"scim\"} 20"), "{metrics}");
    assert!(metrics.contains("scim_seat_edge_refused_over_cap_total{surface=\"scim\"} 0"), "{metrics}");
}

/// When tiny_http's socket refuses connections (its accept loop stops at its first error), the edge
/// starts a fresh tiny_http server and worker pool, logs it, and the request is answered.
#[cfg(feature = "fault-injection")]
#[test]
fn a_stopped_tiny_http_is_replaced_and_the_request_answered() {
    let s = Server::start_with(Opts {
        lab: Some("example.com"),
        env: vec![("SCIM_SEAT_FAULTS".into(), "backend_refused=1".into())],
        ..Opts::default()
    });
    assert_eq!(s.scim("GET", "/Users?count=1", None).status, 200, "{}", s.log());
    assert!(s.log().contains("started a fresh tiny_http server"), "{}", s.log());
    // The fresh pool serves on; the old workers were let go.
    for _ in 0..30 {
        assert_eq!(s.scim("GET", "/Users?count=1", None).status, 200);
    }
    healthy(&s);
}
