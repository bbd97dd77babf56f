//! The `scale` scenario (issue 18): how every whole-plan operation grows with the plan.
//!
//! ```sh
//! cargo bench --bench load -- --scale 10000,100000,1000000 [--out FILE]
//! ```
//!
//! One server on a fresh database. The plan grows to each size in turn through the fastest honest
//! path, the CLI's import of a user list (`scim-seat users import`, 100,000 rows a file, the
//! server running); 1,000 of the users are created over SCIM first, with Okta's roles, so that the
//! directory's rules have work (drift, DI preview, reconcile). At each size every operation runs
//! three ways: once alone, while one SCIM client PATCHes users without pause (its p99 is what a
//! whole-plan operation costs the IdP's writes); then 8 at once, with the server's peak resident
//! memory (VmHWM, reset before each operation through `/proc/PID/clear_refs`); then the CLI's
//! `users list --all` into a pipe.

use super::{Args, Client, Lat, Res, Server, TempDir, display_name_patch, expect, memory, mib, reset_peak};
use serde_json::json;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Users created over SCIM (directory-managed, with roles) before the import.
const SCIM_USERS: usize = 1_000;
/// Rows per import file.
const IMPORT_ROWS: usize = 100_000;
/// Clients of the "8 at once" runs.
const AT_ONCE: usize = 8;

/// One operation of the admin or SCIM surface.
struct Op {
    name: &'static str,
    admin: bool,
    /// A scan no index serves may also end at the server's time bound: 400 `tooMany`.
    scan: bool,
    /// It changes the plan: run once (beside the PATCHes), never 8 at once.
    once: bool,
    method: &'static str,
    path: String,
    body: Option<String>,
}

struct Measured {
    secs: f64,
    bytes: usize,
    status: u16,
    rss_after: f64,
    hwm: f64,
    patch: Lat,
    /// PATCHes answered 503 meanwhile (only a run that holds the writer long: the switch).
    patch_refused: usize,
    at_once_secs: f64,
    at_once_hwm: f64,
}

fn ops(size: usize) -> Vec<Op> {
    let admin = |name, method, path: &str, body: Option<&str>| Op {
        name,
        admin: true,
        scan: false,
        once: false,
        method,
        path: path.to_string(),
        body: body.map(str::to_string),
    };
    let scim = |name, path: String| Op {
        name,
        admin: false,
        scan: false,
        once: false,
        method: "GET",
        path,
        body: None,
    };
    let scan = |name, path: &str| Op { scan: true, ..scim(name, path.to_string()) };
    vec![
        scim(
            "SCIM filter userName eq",
            format!("/Users?filter=userName+eq+%22u{:07}%40example.com%22", size / 2),
        ),
        scim(
            "SCIM page at the end (startIndex, 100)",
            format!("/Users?startIndex={}&count=100", size.saturating_sub(999)),
        ),
        scan("SCIM scan, no match (userName co \"zzz\")", "/Users?filter=userName+co+%22zzz%22&count=10"),
        scan("SCIM scan, all match (userName co \"u\")", "/Users?filter=userName+co+%22u%22&count=10"),
        admin("admin list, first page", "GET", "/admin/users?limit=100&include=pending", None),
        admin("admin list, seat=member", "GET", "/admin/users?limit=100&seat=member&include=pending", None),
        admin(
            "admin list, q (prefix, 100 match)",
            "GET",
            "/admin/users?limit=100&q=u00099&include=pending",
            None,
        ),
        admin(
            "admin list, q (prefix, every user matches)",
            "GET",
            "/admin/users?limit=100&q=u&include=pending",
            None,
        ),
        admin(
            "admin list, managed=false",
            "GET",
            "/admin/users?limit=100&managed=false&include=pending",
            None,
        ),
        admin("users.csv report", "GET", "/admin/reports/users.csv", None),
        admin("drift report", "GET", "/admin/reports/drift", None),
        admin("DI enable, dry run", "POST", "/admin/di/enable", Some(r#"{"dry_run":true}"#)),
        admin("reconcile, dry run", "POST", "/admin/reconcile", Some(r#"{"dry_run":true}"#)),
        admin("provisional review sweep", "POST", "/admin/provisional/sweep", None),
        admin(
            "seat_mapping preview (dry run)",
            "PATCH",
            "/admin/settings?dry_run=true",
            Some(r#"{"seat_mapping":"viewer_only"}"#),
        ),
    ]
}

/// Operations that change the plan, once at the largest size, after the others: reconcile applied
/// (a write transaction a batch), the `plan_model` switch (its mapping of every user is one
/// transaction), then the legacy plan's default list, which leaves pending users out.
fn last_ops() -> Vec<Op> {
    let admin = |name, method, path: &str, body: Option<&str>, once| Op {
        name,
        admin: true,
        scan: false,
        once,
        method,
        path: path.to_string(),
        body: body.map(str::to_string),
    };
    vec![
        admin("reconcile, applied", "POST", "/admin/reconcile", Some(r#"{"dry_run":false}"#), true),
        admin(
            "plan_model switch to legacy (one transaction)",
            "PATCH",
            "/admin/settings?force=true",
            Some(r#"{"plan_model":"legacy"}"#),
            true,
        ),
        admin("admin list, legacy plan, pending left out", "GET", "/admin/users?limit=100", None, false),
        admin(
            "admin list, legacy plan, status=active, pending left out",
            "GET",
            "/admin/users?limit=100&status=active",
            None,
            false,
        ),
    ]
}

/// One request: seconds, body bytes, status.
fn send(server: &Server, op: &Op) -> Res<(f64, usize, u16)> {
    let mut c = if op.admin { Client::admin(server)? } else { Client::connect(server)? };
    let started = Instant::now();
    let r = c.send(op.method, &op.path, op.body.as_deref())?;
    let secs = started.elapsed().as_secs_f64();
    if !(op.scan && r.status == 400 && r.contains("tooMany")) {
        expect(&r, 200, op.name)?;
    }
    Ok((secs, r.body.len(), r.status))
}

/// Runs `op` once while one SCIM client PATCHes users without pause; then `AT_ONCE` of it at once.
fn measure(server: &Server, op: &Op, ids: &[String]) -> Res<Measured> {
    let pid = server.pid();
    reset_peak(pid);
    let stop = AtomicBool::new(false);
    let (single, (patch, patch_refused)) = std::thread::scope(|s| -> Res<_> {
        let patcher = s.spawn(|| -> Res<(Vec<u32>, usize)> {
            let mut c = Client::connect(server)?;
            let (mut lat, mut refused) = (Vec::new(), 0);
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                for (n, id) in ids.iter().enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let t = Instant::now();
                    let r =
                        c.send("PATCH", &format!("/Users/{id}"), Some(&display_name_patch(n as u64, round)))?;
                    if op.once && r.status == 503 {
                        // The request deadline passed while the writer was held.
                        refused += 1;
                        c = Client::connect(server)?;
                    } else {
                        expect(&r, 200, "PATCH during a whole-plan operation")?;
                    }
                    lat.push(u32::try_from(t.elapsed().as_micros()).unwrap_or(u32::MAX));
                }
                round += 1;
            }
            Ok((lat, refused))
        });
        // Let the patcher start before the operation.
        std::thread::sleep(Duration::from_millis(200));
        let single = send(server, op);
        stop.store(true, Ordering::Relaxed);
        let (lat, refused) = patcher.join().map_err(|_| "the PATCH thread panicked")??;
        Ok((single?, (Lat::new(lat), refused)))
    })?;
    let after = memory(pid)?;
    let mut measured = Measured {
        secs: single.0,
        bytes: single.1,
        status: single.2,
        rss_after: mib(after.rss_kib),
        hwm: mib(after.hwm_kib),
        patch,
        patch_refused,
        at_once_secs: f64::NAN,
        at_once_hwm: f64::NAN,
    };
    if op.once {
        return Ok(measured);
    }
    reset_peak(pid);
    let started = Instant::now();
    std::thread::scope(|s| -> Res<()> {
        let runs: Vec<_> = (0..AT_ONCE).map(|_| s.spawn(|| send(server, op))).collect();
        for r in runs {
            r.join().map_err(|_| "a client thread panicked")??;
        }
        Ok(())
    })?;
    measured.at_once_secs = started.elapsed().as_secs_f64();
    measured.at_once_hwm = mib(memory(pid)?.hwm_kib);
    Ok(measured)
}

/// Grows the plan from `have` to `size` users through the CLI's import.
fn grow(bin: &Path, db: &Path, dir: &Path, have: usize, size: usize) -> Res<()> {
    let mut from = have;
    while from < size {
        let to = (from + IMPORT_ROWS).min(size);
        let file = dir.join("import.csv");
        let mut csv = String::with_capacity((to - from) * 80);
        csv.push_str("Name,Email,Seat type,Department,Division\r\n");
        for n in from..to {
            let seat = if n % 3 == 0 { "Member" } else { "Viewer" };
            let _ = write!(csv, "User {n},u{n:07}@example.com,{seat},Dept {},Div {}\r\n", n % 40, n % 3);
        }
        std::fs::write(&file, csv)?;
        let out = Command::new(bin).args(["users", "import", "--db"]).arg(db).arg(&file).output()?;
        if !out.status.success() {
            return Err(
                format!("import {from}..{to} failed: {}", String::from_utf8_lossy(&out.stderr)).into()
            );
        }
        from = to;
    }
    Ok(())
}

/// `scim-seat users list --all` into a pipe: seconds and users.
fn cli_list(bin: &Path, db: &Path) -> Res<(f64, usize)> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(["users", "list", "--all", "--include-pending", "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut out = child.stdout.take().ok_or("no stdout")?;
    let (mut lines, mut buf) = (0usize, vec![0u8; 1 << 16]);
    loop {
        let n = out.read(&mut buf)?;
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count();
    }
    if !child.wait()?.success() {
        return Err("users list --all failed".into());
    }
    // The table has one head line per page.
    Ok((started.elapsed().as_secs_f64(), lines))
}

/// Adds the row of `op` at `size` to the report (and to standard error as it comes).
fn row(report: &mut String, size: usize, op: &Op, m: &Measured) {
    let at_once =
        |x: f64, digits: usize| if x.is_nan() { "–".to_string() } else { format!("{x:.digits$}") };
    let row = format!(
        "| {size} | {} | {:.3} | {}, {} | {:.1} | {:.1} | {:.1} / {:.0} ({}{}) | {} | {} |",
        op.name,
        m.secs,
        m.status,
        m.bytes,
        m.rss_after,
        m.hwm,
        m.patch.ms(0.99),
        m.patch.ms(1.0),
        m.patch.0.len(),
        if m.patch_refused > 0 { format!(", {} answered 503", m.patch_refused) } else { String::new() },
        at_once(m.at_once_secs, 2),
        at_once(m.at_once_hwm, 1)
    );
    eprintln!("[scale] {row}");
    let _ = writeln!(report, "{row}");
}

pub(super) fn run(args: &Args, bin: &Path) -> Res<bool> {
    let dir = TempDir::new(args.keep)?;
    let mut server = Server::start(bin, &dir.0, &args.server_log, args.pin, args.tls)?;
    let pid = server.pid();
    eprintln!("[scale] server pid {pid}; sizes {:?}", args.scale);
    // The directory-managed users, created over SCIM with Okta's roles.
    let mut ids = Vec::with_capacity(SCIM_USERS);
    let mut c = Client::connect(&server)?;
    for n in 0..SCIM_USERS {
        let role = if n % 4 == 0 { "LICENSED_USER" } else { "SMARTSHEET_USER" };
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("idp{n:05}@example.com"), "active": true,
            "name": {"givenName": "Idp", "familyName": format!("User{n}")},
            "emails": [{"primary": true, "type": "work", "value": format!("idp{n:05}@example.com")}],
            "roles": [{"type": role, "value": role}]});
        let r = c.send("POST", "/Users", Some(&body.to_string()))?;
        expect(&r, 201, "create a directory user")?;
        ids.push(super::id_from_location(&r)?);
    }
    let mut report = String::new();
    let _ = writeln!(
        report,
        "| users | operation | alone: s | status, answer bytes | server RSS after, MiB | peak RSS alone, MiB | SCIM PATCH p99 / max \
         meanwhile, ms (PATCHes) | 8 at once: s | peak RSS 8 at once, MiB |"
    );
    let _ = writeln!(report, "|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut have = SCIM_USERS;
    for &size in &args.scale {
        let size = size.max(SCIM_USERS);
        let t = Instant::now();
        grow(bin, &server.db, &dir.0, have, size)?;
        eprintln!("[scale] grew to {size} users in {:.1} s", t.elapsed().as_secs_f64());
        have = size;
        let last = args.scale.last().is_some_and(|&l| l.max(SCIM_USERS) == size);
        for op in ops(size).into_iter().chain(if last { last_ops() } else { Vec::new() }) {
            row(&mut report, size, &op, &measure(&server, &op, &ids)?);
        }
        let (secs, lines) = cli_list(bin, &server.db)?;
        eprintln!(
            "[scale] {size} CLI users list --all: {secs:.2} s, {lines} lines, {:.0} users/s",
            size as f64 / secs
        );
        let _ = writeln!(
            report,
            "| {size} | CLI `users list --all` into a pipe | {secs:.3} | {lines} lines | – | – | – | – | – |"
        );
    }
    let mem = memory(pid)?;
    let code = server.stop()?;
    let text = format!(
        "## Scale ({})\n\nMachine: {}; database on {}.\n\n{report}\nServer at the end: VmRSS {:.1} MiB; exit code {code:?}.\n",
        args.command,
        super::machine(),
        super::filesystem_of(&dir.0),
        mib(mem.rss_kib)
    );
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::File::create(out)?.write_all(text.as_bytes())?;
    }
    Ok(code == Some(0))
}
