//! The load benchmark (README "Performance", SPEC section 7).
//!
//! Starts the real `scim-seat` binary (built by `cargo bench` in the bench profile, i.e. release) on
//! `127.0.0.1:0` with a fresh SQLite file in a temporary directory, measures the disk's SQLite fsync
//! ceiling next to it, then drives the server over keep-alive HTTP/1.1 from several client threads,
//! each with its own connection, through the scenarios below. Every answer's status is checked;
//! failures are counted, the first ones printed, and the run exits 1 if there were any.
//!
//! ```sh
//! cargo bench --bench load -- [--users N] [--seconds S] [--threads T] [--out FILE] [--server-log LEVEL] [--keep]
//! ```
//!
//! Scenarios: `burst_connect` (rounds of T connections whose first requests arrive together),
//! `create`, `populate` (to `--users`), `get_by_id`, `filter_username`, `page_all` (one thread, then
//! `--threads`), `patch_user`, `group_fill` (every user into one group, 1,000 members a PATCH),
//! `group_10` / `group_100k` (one-member add or remove PATCHes on a 10-member and on the big group),
//! `full_push_10` / `full_push_20k` (Okta's full push: `replace members` with the whole list, one
//! member swapped each time, on a 10-member group and on a 20,000-member one, one client),
//! `group_create_5k` (`POST /Groups` with 5,000 members, one client, ten groups), `mixed` (an
//! IdP-like sync). Each row also gives the CPU time the server and the client spent per
//! request (`/proc/PID/stat`) and the server's resident memory after it (`/proc/PID/status`).
//! `SCIM_SEAT_BENCH_BIN=PATH` runs another build of the server (one with symbols, for a profiler).
//!
//! A dev tool, not product code: its own small HTTP client, no test code imported, errors are
//! `Result`s.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[path = "load/scale.rs"]
mod scale;

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ADSCIM_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// How long the fsync ceiling is measured.
const FSYNC_SECONDS: f64 = 3.0;
/// Page size of `page_all`.
const PAGE: usize = 100;
/// Members per PATCH when filling the big group.
const FILL_CHUNK: usize = 1000;
/// Members of each group `group_create_5k` creates in one POST.
const CREATE_MEMBERS: usize = 5_000;
/// Groups `group_create_5k` creates.
const GROUP_CREATES: usize = 10;
/// Members of the big `full_push` group: the largest Okta full push (`replace members` with the whole
/// list) that the 1 MiB body limit admits, about 48 bytes a member.
const PUSH_MEMBERS: usize = 20_000;
/// Users per client thread kept out of every group, for the membership add/remove scenarios.
const SPARE_PER_THREAD: usize = 16;
/// `sysconf(_SC_CLK_TCK)` on Linux x86_64 (the unit of `/proc/PID/stat` times).
const CLOCK_TICKS: f64 = 100.0;
/// Rounds of the `burst_connect` scenario.
const BURST_ROUNDS: usize = 6;
/// Error messages printed per scenario (all are counted).
const PRINTED_ERRORS: usize = 10;

/// Every failed request of the whole run (the exit code).
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// The next `bench-{n}` user number.
static NEXT_USER: AtomicU64 = AtomicU64::new(0);

// ------------------------------------------------------------------------------------------------
// Command line.

struct Args {
    users: usize,
    seconds: f64,
    threads: usize,
    out: Option<PathBuf>,
    server_log: String,
    keep: bool,
    /// Plan sizes of the `scale` scenario (issue 18); when given, only it runs.
    scale: Vec<usize>,
    /// Pinned mode: the server on CPU 0 (`taskset`), this load generator on CPU 1.
    pin: bool,
    /// Both listeners speak TLS (a self-signed certificate from `init --self-signed`).
    tls: bool,
    command: String,
}

const USAGE: &str = "usage: cargo bench --bench load -- [--users N] [--seconds S] [--threads T] [--out FILE] \
                     [--server-log LEVEL] [--keep]\n\
  --users N          users to provision before the read scenarios (default 100000)\n\
  --seconds S        length of each timed scenario (default 5)\n\
  --threads T        client threads, one keep-alive connection each (default 8)\n\
  --out FILE         also write the Markdown report to FILE\n\
  --server-log LEVEL the server's RUST_LOG (default warn: no per-request log line)\n\
  --keep             keep the temporary directory (database, server log) for a closer look\n\
  --pin              pinned mode: the server on CPU 0 (taskset), the load generator on CPU 1, so\n\
                     CPU time per request is not shared with the client\n\
  --tls              both listeners speak TLS (rustls, a self-signed certificate); every request goes\n\
                     over it\n\
  --scale N,N,...    run only the scale scenario: grow the plan to each size in turn (e.g.\n\
                     10000,100000,1000000) and time every whole-plan operation at it";

fn parse_args() -> Res<Option<Args>> {
    let mut a = Args {
        users: 100_000,
        seconds: 5.0,
        threads: 8,
        out: None,
        server_log: "warn".into(),
        keep: false,
        scale: Vec::new(),
        pin: false,
        tls: false,
        command: "cargo bench --bench load".into(),
    };
    let mut shown = Vec::new();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        // `cargo bench` passes `--bench` to every bench binary.
        if flag == "--bench" {
            continue;
        }
        if flag == "--keep" || flag == "--pin" || flag == "--tls" {
            a.keep |= flag == "--keep";
            a.pin |= flag == "--pin";
            a.tls |= flag == "--tls";
            shown.push(flag);
            continue;
        }
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            return Ok(None);
        }
        let value = it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--users" => a.users = value.parse().map_err(|e| format!("--users {value}: {e}"))?,
            "--seconds" => a.seconds = value.parse().map_err(|e| format!("--seconds {value}: {e}"))?,
            "--threads" => a.threads = value.parse().map_err(|e| format!("--threads {value}: {e}"))?,
            "--out" => a.out = Some(PathBuf::from(&value)),
            "--server-log" => a.server_log = value.clone(),
            "--scale" => {
                a.scale = value
                    .split(',')
                    .map(|n| n.trim().parse::<usize>().map_err(|e| format!("--scale {value}: {e}")))
                    .collect::<Result<_, _>>()?;
                a.scale.sort_unstable();
            }
            _ => return Err(format!("unknown argument {flag}\n{USAGE}").into()),
        }
        shown.push(flag);
        shown.push(value);
    }
    if a.threads == 0 || a.seconds <= 0.0 {
        return Err("--threads and --seconds must be positive".into());
    }
    if !shown.is_empty() {
        a.command = format!("{} -- {}", a.command, shown.join(" "));
    }
    Ok(Some(a))
}

// ------------------------------------------------------------------------------------------------
// The machine, the temporary directory, the server process.

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    format!(
        "{cpus} CPUs (nproc), {model}, {:.1} GiB RAM, Linux {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        kernel.trim()
    )
}

/// The device and file system under `dir` (longest matching mount point).
fn filesystem_of(dir: &Path) -> String {
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    mounts
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && dir.starts_with(f[1]))
                .then(|| (f[1].len(), format!("{} {} on {}", f[2], f[0], f[1])))
        })
        .max_by_key(|(len, _)| *len)
        .map(|(_, s)| s)
        .unwrap_or_else(|| "unknown file system".into())
}

struct TempDir(PathBuf, bool);

impl TempDir {
    /// A fresh directory under the system's temporary directory; `keep`: not removed on drop.
    fn new(keep: bool) -> Res<TempDir> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.subsec_nanos();
        let p = std::env::temp_dir().join(format!("scim-seat-bench-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p)?;
        Ok(TempDir(p, keep))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.1 {
            eprintln!("[bench] kept {}", self.0.display());
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Server {
    child: Child,
    stopped: bool,
    addr: SocketAddr,
    base: String,
    token: String,
    admin_addr: SocketAddr,
    admin_token: String,
    /// The client side of TLS, when the listeners speak it.
    tls: Option<Arc<ClientConfig>>,
    db: PathBuf,
    log: PathBuf,
}

impl Server {
    /// Starts the server; `pin`: on CPU 0 only, through `taskset` (which becomes the server);
    /// `tls`: both listeners on a self-signed certificate made for 127.0.0.1.
    fn start(bin: &Path, dir: &Path, log_level: &str, pin: bool, tls: bool) -> Res<Server> {
        let db = dir.join("scim-seat.db");
        let log = dir.join("server.log");
        let stderr = std::fs::File::create(&log)?;
        let mut tls_args = Vec::new();
        let mut client_tls = None;
        if tls {
            let certs = dir.join("tls");
            let made = Command::new(bin)
                .args(["init", "--self-signed", "127.0.0.1", "--tls-dir"])
                .arg(&certs)
                .arg("--db")
                .arg(dir.join("certs.db"))
                .output()?;
            if !made.status.success() {
                return Err(
                    format!("init --self-signed failed: {}", String::from_utf8_lossy(&made.stderr)).into()
                );
            }
            tls_args.extend([
                "--tls-cert".into(),
                certs.join("cert.pem").into_os_string(),
                "--tls-key".into(),
                certs.join("key.pem").into_os_string(),
            ]);
            client_tls = Some(client_config(&certs.join("cert.pem"))?);
        }
        let mut command = if pin {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(bin);
            c
        } else {
            Command::new(bin)
        };
        let mut child = command
            .args(["serve", "--db"])
            .arg(&db)
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
            .args(["--lab", "example.com", "--workers", "8"])
            .args(&tls_args)
            .env("RUST_LOG", log_level)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut token, mut admin_token) = (String::new(), String::new());
        let ready = loop {
            match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    if let Some(t) = line.strip_prefix("scim token (shown once):") {
                        token = t.trim().to_string();
                    } else if let Some(t) = line.strip_prefix("admin token (shown once):") {
                        admin_token = t.trim().to_string();
                    } else if line.starts_with("scim-seat ready ") {
                        break line;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let text = std::fs::read_to_string(&log).unwrap_or_default();
                    return Err(format!("the server did not become ready; its log:\n{text}").into());
                }
            }
        };
        let url = |key: &str| {
            ready.split(' ').find_map(|p| p.strip_prefix(key)).map(|u| {
                u.strip_prefix("https://").or_else(|| u.strip_prefix("http://")).unwrap_or(u).to_string()
            })
        };
        let scim = url("scim=").ok_or_else(|| format!("no scim= URL in {ready:?}"))?;
        let (addr, base) = scim.split_once('/').unwrap_or((&scim, ""));
        let admin = url("admin=").ok_or_else(|| format!("no admin= URL in {ready:?}"))?;
        let bad = |e: std::net::AddrParseError| format!("bad address in {ready:?}: {e}");
        let server = Server {
            child,
            stopped: false,
            addr: addr.parse().map_err(bad)?,
            base: format!("/{base}"),
            token,
            admin_addr: admin.trim_end_matches('/').parse().map_err(bad)?,
            admin_token,
            tls: client_tls,
            db,
            log,
        };
        if server.token.is_empty() {
            return Err("the server printed no SCIM token".into());
        }
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, then the exit code (None: it did not exit within 30 s and was killed).
    fn stop(&mut self) -> Res<Option<i32>> {
        self.stopped = true;
        let pid = self.pid().to_string();
        Command::new("kill").args(["-TERM", &pid]).status()?;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.code());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    /// A run that ends early (an error) must not leave the server behind.
    fn drop(&mut self) {
        if !self.stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Clone, Copy)]
struct Mem {
    rss_kib: u64,
    hwm_kib: u64,
}

fn memory(pid: u32) -> Res<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Res<u64> {
        let line = status.lines().find(|l| l.starts_with(name)).ok_or_else(|| format!("no {name}"))?;
        Ok(line.split_whitespace().nth(1).ok_or("empty field")?.parse()?)
    };
    Ok(Mem { rss_kib: field("VmRSS:")?, hwm_kib: field("VmHWM:")? })
}

/// User + system CPU seconds of a process so far (all its threads), from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> Res<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').ok_or("bad /proc/PID/stat")?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        f.get(11).ok_or("no utime")?.parse::<f64>()? + f.get(12).ok_or("no stime")?.parse::<f64>()?;
    Ok(ticks / CLOCK_TICKS)
}

/// CPU seconds all processors have been busy (not idle or waiting for I/O), from `/proc/stat`.
fn machine_busy_seconds() -> Res<f64> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let line = stat.lines().find(|l| l.starts_with("cpu ")).ok_or("no cpu line in /proc/stat")?;
    let f: Vec<f64> = line.split_whitespace().skip(1).map(str::parse).collect::<Result<_, _>>()?;
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let busy: f64 = f.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    Ok(busy / CLOCK_TICKS)
}

/// Resets the server's peak resident memory (VmHWM) to its current size.
/// The server's memory now, its peak since the last reading; the peak starts again from here.
fn taken(pid: u32) -> Res<Mem> {
    let m = memory(pid)?;
    reset_peak(pid);
    Ok(m)
}

fn reset_peak(pid: u32) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

// ------------------------------------------------------------------------------------------------
// A small keep-alive HTTP/1.1 client (the server always answers with Content-Length).

struct Resp {
    status: u16,
    location: Option<String>,
    body: Vec<u8>,
}

impl Resp {
    fn text(&self) -> String {
        let t = String::from_utf8_lossy(&self.body);
        if t.len() > 300 { format!("{}…", &t[..t.floor_char_boundary(300)]) } else { t.into_owned() }
    }
    fn contains(&self, needle: &str) -> bool {
        let n = needle.as_bytes();
        !n.is_empty() && self.body.windows(n.len()).any(|w| w == n)
    }
}

/// A connection to the server: plain TCP or TLS over it.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}

/// The client side of TLS that trusts the server's self-signed certificate alone.
fn client_config(cert: &Path) -> Res<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert)? {
        roots.add(c?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    ))
}

struct Client {
    addr: SocketAddr,
    base: String,
    auth: String,
    tls: Option<Arc<ClientConfig>>,
    stream: Option<Conn>,
    buf: Vec<u8>,
    req: Vec<u8>,
}

impl Client {
    fn connect(server: &Server) -> Res<Client> {
        Client::connect_to(server.addr, &server.base, &server.token, server.tls.clone())
    }

    /// A client of the admin listener (paths from the root).
    fn admin(server: &Server) -> Res<Client> {
        Client::connect_to(server.admin_addr, "", &server.admin_token, server.tls.clone())
    }

    fn connect_to(addr: SocketAddr, base: &str, token: &str, tls: Option<Arc<ClientConfig>>) -> Res<Client> {
        let mut c = Client {
            addr,
            base: base.to_string(),
            auth: format!("Authorization: Bearer {token}\r\n"),
            tls,
            stream: None,
            buf: Vec::with_capacity(1 << 16),
            req: Vec::with_capacity(1 << 12),
        };
        c.stream = Some(c.open()?);
        Ok(c)
    }

    fn open(&self) -> Res<Conn> {
        let s = TcpStream::connect(self.addr)?;
        s.set_nodelay(true)?;
        s.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(match &self.tls {
            None => Conn::Plain(s),
            Some(cfg) => {
                let name = ServerName::IpAddress(self.addr.ip().into());
                Conn::Tls(Box::new(StreamOwned::new(ClientConnection::new(Arc::clone(cfg), name)?, s)))
            }
        })
    }

    fn get(&mut self, path: &str) -> Res<Resp> {
        self.send("GET", path, None)
    }

    /// One request to `path` below the SCIM base path; a failed connection is dropped (and
    /// reopened by the next request) and the failure returned.
    fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Res<Resp> {
        let r = self.exchange(method, path, body);
        if r.is_err() {
            self.stream = None;
            self.buf.clear();
        }
        r.map_err(|e| format!("{method} {path}: {e}").into())
    }

    fn exchange(&mut self, method: &str, path: &str, body: Option<&str>) -> Res<Resp> {
        let mut stream = match self.stream.take() {
            Some(s) => s,
            None => self.open()?,
        };
        self.req.clear();
        write!(self.req, "{method} {}{path} HTTP/1.1\r\nHost: bench\r\n", self.base)?;
        self.req.extend_from_slice(self.auth.as_bytes());
        if let Some(b) = body {
            write!(
                self.req,
                "Content-Type: application/scim+json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                b.len()
            )?;
            self.req.extend_from_slice(b.as_bytes());
        } else {
            self.req.extend_from_slice(b"\r\n");
        }
        stream.write_all(&self.req)?;
        let resp = self.read_response(&mut stream)?;
        if resp.1 == Some(true) {
            self.buf.clear();
        } else {
            self.stream = Some(stream);
        }
        Ok(resp.0)
    }

    /// Reads one response; also says whether the server will close the connection.
    fn read_response(&mut self, stream: &mut Conn) -> Res<(Resp, Option<bool>)> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill(stream)?;
        };
        let head = std::str::from_utf8(&self.buf[..head_end])?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        let (mut len, mut location, mut close, mut chunked) = (0usize, None, None, false);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                len = value.parse()?;
            } else if name.eq_ignore_ascii_case("location") {
                location = Some(value.to_string());
            } else if name.eq_ignore_ascii_case("connection") {
                close = Some(value.eq_ignore_ascii_case("close"));
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                if !value.eq_ignore_ascii_case("chunked") {
                    return Err(format!("unexpected Transfer-Encoding: {value}").into());
                }
                chunked = true;
            }
        }
        if chunked {
            self.buf.drain(..head_end);
            let body = self.read_chunked(stream)?;
            return Ok((Resp { status, location, body }, close));
        }
        if status == 204 || status == 304 {
            len = 0;
        }
        while self.buf.len() < head_end + len {
            self.fill(stream)?;
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Ok((Resp { status, location, body }, close))
    }

    /// A chunked body (a streamed report): the data of every chunk up to the last one.
    fn read_chunked(&mut self, stream: &mut Conn) -> Res<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                self.fill(stream)?;
            };
            let size = usize::from_str_radix(std::str::from_utf8(&self.buf[..line])?, 16)?;
            self.buf.drain(..line + 2);
            while self.buf.len() < size + 2 {
                self.fill(stream)?;
            }
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn fill(&mut self, stream: &mut Conn) -> Res<()> {
        let old = self.buf.len();
        self.buf.resize(old + 65536, 0);
        let n = stream.read(&mut self.buf[old..]);
        self.buf.truncate(old + *n.as_ref().unwrap_or(&0));
        match n? {
            0 => Err("the server closed the connection".into()),
            _ => Ok(()),
        }
    }
}

fn expect(r: &Resp, want: u16, what: &str) -> Res<()> {
    if r.status == want {
        Ok(())
    } else {
        Err(format!("{what}: status {} (expected {want}): {}", r.status, r.text()).into())
    }
}

/// The id at the end of a `Location` header.
fn id_from_location(r: &Resp) -> Res<String> {
    let loc = r.location.as_deref().ok_or("no Location header")?;
    Ok(loc.rsplit('/').next().unwrap_or_default().to_string())
}

// ------------------------------------------------------------------------------------------------
// Request bodies in Microsoft Entra ID's shapes.

fn user_name(n: u64) -> String {
    format!("bench-{n}@example.com")
}

fn user_body(n: u64) -> String {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": format!("bench-ext-{n}"),
        "userName": user_name(n),
        "active": true,
        "displayName": format!("Bench User {n}"),
        "emails": [{"primary": true, "type": "work", "value": user_name(n)}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": format!("Bench User{n}"), "familyName": format!("User{n}"), "givenName": "Bench"},
        "roles": [],
        ENTERPRISE_URN: {"department": format!("Department {}", n % 40), "employeeNumber": n.to_string()}
    })
    .to_string()
}

fn group_body(name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    json!({
        "schemas": [GROUP_URN, ADSCIM_GROUP],
        "externalId": format!("ext-{name}"),
        "displayName": name,
        "members": members,
        "meta": {"resourceType": "Group"}
    })
    .to_string()
}

/// Entra's member PATCH: `{"op": "Add"|"Remove", "path": "members", "value": [{"$ref": null, "value": id}]}`.
fn members_patch(op: &str, ids: &[&str]) -> String {
    let value: Vec<Value> = ids.iter().map(|id| json!({"$ref": null, "value": id})).collect();
    json!({"schemas": [PATCH_OP_URN], "Operations": [{"op": op, "path": "members", "value": value}]})
        .to_string()
}

/// Entra's (non-flag) attribute PATCH of displayName.
fn display_name_patch(n: u64, round: usize) -> String {
    json!({"schemas": [PATCH_OP_URN], "Operations": [
        {"op": "Replace", "path": "displayName", "value": format!("Bench User {n} r{round}")}
    ]})
    .to_string()
}

/// Creates user `bench-{n}`; returns its id.
fn create_user(c: &mut Client, n: u64) -> Res<String> {
    let r = c.send("POST", "/Users", Some(&user_body(n)))?;
    expect(&r, 201, "create user")?;
    id_from_location(&r)
}

fn create_group(c: &mut Client, name: &str, members: &[&str]) -> Res<String> {
    let r = c.send("POST", "/Groups", Some(&group_body(name, members)))?;
    expect(&r, 201, "create group")?;
    id_from_location(&r)
}

fn patch_members(c: &mut Client, gid: &str, op: &str, ids: &[&str]) -> Res<()> {
    let r = c.send("PATCH", &format!("/Groups/{gid}"), Some(&members_patch(op, ids)))?;
    expect(&r, 204, &format!("{op} {} member(s)", ids.len()))
}

fn filter_path(n: u64) -> String {
    format!("/Users?filter=userName+eq+%22bench-{n}%40example.com%22")
}

// ------------------------------------------------------------------------------------------------
// The runner: T threads, each with its own connection, until a deadline or a total count.

#[derive(Clone, Copy)]
enum Stop {
    Time(Duration),
    Count(usize),
}

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn below(&mut self, n: usize) -> usize {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n.max(1)
    }
}

/// Latencies in microseconds, sorted.
struct Lat(Vec<u32>);

impl Lat {
    fn new(mut v: Vec<u32>) -> Lat {
        v.sort_unstable();
        Lat(v)
    }
    fn ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let i = ((p * self.0.len() as f64).ceil() as usize).clamp(1, self.0.len()) - 1;
        f64::from(self.0[i]) / 1000.0
    }
    fn max_ms(&self) -> f64 {
        self.0.last().map_or(0.0, |&v| f64::from(v) / 1000.0)
    }
}

struct Run<S> {
    states: Vec<S>,
    /// Latencies by the kind the operation returned (0 for single-kind scenarios).
    by_kind: Vec<Lat>,
    all: Lat,
    errors: u64,
    secs: f64,
    threads: usize,
    /// Successful requests of each client thread (fairness).
    per_thread: Vec<usize>,
    /// CPU seconds (user + system) the server and this benchmark process spent during the run.
    server_cpu: f64,
    client_cpu: f64,
    /// CPU seconds every other process on the machine spent meanwhile (other work skews results).
    other_cpu: f64,
}

impl<S> Run<S> {
    fn ok(&self) -> usize {
        self.all.0.len()
    }
    fn rps(&self) -> f64 {
        self.ok() as f64 / self.secs.max(1e-9)
    }
}

type ThreadOut<S> = (S, Vec<Vec<u32>>, u64, Instant);

/// Runs a scenario on warmed-up connections: before the clock starts, each thread opens its
/// connection and has one request answered, one thread after the other. (Connections that send
/// their first request at the same instant hit a lost wake-up in tiny_http's connection pool: see
/// the `burst_connect` scenario.)
fn run<S, I, F>(server: &Server, name: &str, threads: usize, stop: Stop, init: I, op: F) -> Res<Run<S>>
where
    S: Send,
    I: Fn(usize) -> S + Sync,
    F: Fn(&mut S, &mut Client, &mut Rng, usize) -> Res<usize> + Sync,
{
    run_with(server, name, threads, stop, true, init, op)
}

fn run_with<S, I, F>(
    server: &Server,
    name: &str,
    threads: usize,
    stop: Stop,
    warm: bool,
    init: I,
    op: F,
) -> Res<Run<S>>
where
    S: Send,
    I: Fn(usize) -> S + Sync,
    F: Fn(&mut S, &mut Client, &mut Rng, usize) -> Res<usize> + Sync,
{
    match stop {
        Stop::Time(d) => eprintln!("[bench] {name}: {threads} threads for {:.1} s", d.as_secs_f64()),
        Stop::Count(n) => eprintln!("[bench] {name}: {threads} threads, {n} requests"),
    }
    let next = AtomicUsize::new(0);
    let printed = AtomicUsize::new(0);
    let barrier = Barrier::new(threads + 1);
    let one_at_a_time = Mutex::new(());
    let (start, joined, cpu_before, cpu_after) = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (next, printed, barrier, init, op) = (&next, &printed, &barrier, &init, &op);
                let one_at_a_time = &one_at_a_time;
                s.spawn(move || -> Res<ThreadOut<S>> {
                    let client = Client::connect(server).and_then(|mut c| {
                        if warm {
                            let _turn = one_at_a_time.lock().map_err(|_| "poisoned lock")?;
                            expect(&c.get("/ServiceProviderConfig")?, 200, "warm-up request")?;
                        }
                        Ok(c)
                    });
                    let mut state = init(t);
                    let mut rng = Rng::new(t as u64 + 1);
                    barrier.wait();
                    let mut client = client?;
                    let deadline = match stop {
                        Stop::Time(d) => Some(Instant::now() + d),
                        Stop::Count(_) => None,
                    };
                    let limit = match stop {
                        Stop::Time(_) => usize::MAX,
                        Stop::Count(n) => n,
                    };
                    let mut lat: Vec<Vec<u32>> = vec![Vec::with_capacity(1 << 14)];
                    let mut errors = 0u64;
                    loop {
                        if deadline.is_some_and(|d| Instant::now() >= d) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= limit {
                            break;
                        }
                        let t0 = Instant::now();
                        let r = op(&mut state, &mut client, &mut rng, i);
                        let us = u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX);
                        match r {
                            Ok(kind) => {
                                if lat.len() <= kind {
                                    lat.resize_with(kind + 1, Vec::new);
                                }
                                lat[kind].push(us);
                            }
                            Err(e) => {
                                errors += 1;
                                if printed.fetch_add(1, Ordering::Relaxed) < PRINTED_ERRORS {
                                    eprintln!("[bench] {name}: ERROR {e}");
                                }
                            }
                        }
                    }
                    Ok((state, lat, errors, Instant::now()))
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let cpu_before = (cpu_seconds(server.pid()), cpu_seconds(std::process::id()), machine_busy_seconds());
        let joined: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
        let cpu_after = (cpu_seconds(server.pid()), cpu_seconds(std::process::id()), machine_busy_seconds());
        (start, joined, cpu_before, cpu_after)
    });
    let mut states = Vec::new();
    let mut kinds: Vec<Vec<u32>> = Vec::new();
    let mut errors = 0;
    let mut end = start;
    let mut per_thread = Vec::new();
    for j in joined {
        let (state, lat, errs, ended) = j.map_err(|_| format!("{name}: a client thread panicked"))??;
        states.push(state);
        per_thread.push(lat.iter().map(Vec::len).sum::<usize>());
        if kinds.len() < lat.len() {
            kinds.resize_with(lat.len(), Vec::new);
        }
        for (k, v) in lat.into_iter().enumerate() {
            kinds[k].extend(v);
        }
        errors += errs;
        end = end.max(ended);
    }
    ERRORS.fetch_add(errors, Ordering::Relaxed);
    if errors > 0 {
        eprintln!("[bench] {name}: {errors} failed requests");
    }
    let all = Lat::new(kinds.iter().flatten().copied().collect());
    let by_kind = kinds.into_iter().map(Lat::new).collect();
    let server_cpu = cpu_after.0? - cpu_before.0?;
    let client_cpu = cpu_after.1? - cpu_before.1?;
    let other_cpu = (cpu_after.2? - cpu_before.2? - server_cpu - client_cpu).max(0.0);
    let r = Run {
        states,
        by_kind,
        all,
        errors,
        secs: (end - start).as_secs_f64(),
        threads,
        per_thread,
        server_cpu,
        client_cpu,
        other_cpu,
    };
    eprintln!(
        "[bench] {name}: {} ok in {:.2} s = {:.0}/s, p50 {:.3} ms, p99 {:.3} ms, max {:.1} ms; \
         requests per thread {:?}; {} slower than 1 s",
        r.ok(),
        r.secs,
        r.rps(),
        r.all.ms(0.50),
        r.all.ms(0.99),
        r.all.max_ms(),
        r.per_thread,
        r.all.0.iter().filter(|&&us| us > 1_000_000).count()
    );
    Ok(r)
}

// ------------------------------------------------------------------------------------------------
// The report.

struct Row {
    name: String,
    threads: usize,
    requests: usize,
    errors: u64,
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
    notes: String,
    /// The server's VmRSS right after the scenario.
    rss_mib: f64,
    /// The server's peak VmRSS during the scenario (VmHWM, reset after each row).
    peak_mib: f64,
    /// CPU microseconds per successful request: the server's and the client's.
    cpu_us: Option<(f64, f64)>,
    /// Cores other processes kept busy meanwhile, on average.
    other_cores: Option<f64>,
}

impl Row {
    /// Reads the server's memory after the scenario and its peak during it, then starts the next
    /// row's peak afresh.
    fn rss(self, pid: u32) -> Res<Row> {
        Ok(self.memory(taken(pid)?))
    }

    /// The server's memory as [`taken`] read it right after this row's run.
    fn memory(mut self, m: Mem) -> Row {
        self.rss_mib = mib(m.rss_kib);
        self.peak_mib = mib(m.hwm_kib);
        self
    }
}

fn row<S>(name: &str, r: &Run<S>, notes: String) -> Row {
    Row {
        name: name.into(),
        threads: r.threads,
        requests: r.ok() + r.errors as usize,
        errors: r.errors,
        rps: r.rps(),
        p50: r.all.ms(0.50),
        p99: r.all.ms(0.99),
        max: r.all.max_ms(),
        notes,
        rss_mib: 0.0,
        peak_mib: 0.0,
        cpu_us: (r.ok() > 0).then(|| {
            let per = 1e6 / r.ok() as f64;
            (r.server_cpu * per, r.client_cpu * per)
        }),
        other_cores: Some(r.other_cpu / r.secs.max(1e-9)),
    }
}

fn of_ceiling(rate: f64, ceiling: f64) -> String {
    format!("{:.0}% of the fsync ceiling", 100.0 * rate / ceiling.max(1e-9))
}

/// The SQLite fsync ceiling: one thread, WAL + synchronous=FULL, one single-row INSERT per
/// `BEGIN IMMEDIATE … COMMIT`, for `FSYNC_SECONDS`. Returns commits per second.
fn fsync_ceiling(path: &Path) -> Res<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);",
    )?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < FSYNC_SECONDS {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute("INSERT INTO t (v) VALUES (?1)", [format!("row {n} of the fsync ceiling")])?;
        tx.commit()?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn file_mib(p: &Path) -> f64 {
    std::fs::metadata(p).map_or(0.0, |m| m.len() as f64 / 1024.0 / 1024.0)
}

// ------------------------------------------------------------------------------------------------
// The scenarios.

fn main() -> ExitCode {
    match bench() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("[bench] failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Per-thread state of the membership scenarios: this thread's spare users (in no group) and
/// whether the current one is in the group right now.
struct Member {
    spare: Vec<String>,
    next: usize,
    inside: bool,
}

impl Member {
    /// The next single-member PATCH: add the current spare user, or remove it and move on.
    fn step(&mut self, c: &mut Client, gid: &str) -> Res<()> {
        let id = self.spare[self.next].clone();
        if self.inside {
            patch_members(c, gid, "Remove", &[&id])?;
            self.inside = false;
            self.next = (self.next + 1) % self.spare.len();
        } else {
            patch_members(c, gid, "Add", &[&id])?;
            self.inside = true;
        }
        Ok(())
    }
}

/// Takes every spare user a scenario left in the group out again (not measured).
fn put_back(server: &Server, gid: &str, states: &mut [Member]) -> Res<()> {
    let mut c = Client::connect(server)?;
    for m in states.iter_mut().filter(|m| m.inside) {
        patch_members(&mut c, gid, "Remove", &[&m.spare[m.next]])?;
        m.inside = false;
    }
    Ok(())
}

fn bench() -> Res<bool> {
    let Some(args) = parse_args()? else { return Ok(true) };
    // `SCIM_SEAT_BENCH_BIN` runs another build of the server (e.g. one with symbols, for a profiler).
    let bin = std::env::var_os("SCIM_SEAT_BENCH_BIN")
        .map_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_scim-seat")), PathBuf::from);
    if !args.scale.is_empty() {
        return scale::run(&args, &bin);
    }
    let t = args.threads;
    let timed = Stop::Time(Duration::from_secs_f64(args.seconds));
    let dir = TempDir::new(args.keep)?;
    let began = Instant::now();
    let load_before = loadavg();
    let mut rows: Vec<Row> = Vec::new();
    let mut mem_lines: Vec<String> = Vec::new();

    eprintln!("[bench] server binary {}", bin.display());
    eprintln!(
        "[bench] fsync ceiling: {FSYNC_SECONDS} s of single-row durable transactions in {}",
        dir.0.display()
    );
    let ceiling = fsync_ceiling(&dir.0.join("fsync-ceiling.db"))?;
    eprintln!("[bench] fsync ceiling: {ceiling:.0} commits/s");

    // Read before pinning: the CPU count follows this process's affinity.
    let machine = machine();
    if args.pin {
        pin_to_cpu(1)?;
    }
    let mut server = Server::start(&bin, &dir.0, &args.server_log, args.pin, args.tls)?;
    let pid = server.pid();
    eprintln!("[bench] server pid {pid} at {}{}", server.addr, server.base);
    let base_mem = memory(pid)?;
    mem_lines.push(format!("empty database: VmRSS {:.1} MiB", mib(base_mem.rss_kib)));

    // Rounds of T connections that send their first request at the same instant, without a
    // warm-up, each round held for 1 s and then closed, starting on the fresh server: an IdP's
    // provisioning cycle opening its connections. The users it creates count for the population.
    let mut firsts = Vec::new();
    let mut users: Vec<(u64, String)> = Vec::new();
    let (mut burst_ok, mut burst_errors, mut burst_secs) = (0, 0, 0.0);
    for round in 0..BURST_ROUNDS {
        let name = format!("burst_connect round {}", round + 1);
        let r = run_with(
            &server,
            &name,
            t,
            Stop::Time(Duration::from_secs(1)),
            false,
            |_| (true, Vec::new()),
            |(first, made): &mut (bool, Vec<(u64, String)>), c, _, _| {
                let n = NEXT_USER.fetch_add(1, Ordering::Relaxed);
                made.push((n, create_user(c, n)?));
                Ok(usize::from(std::mem::replace(first, false)))
            },
        )?;
        firsts.extend(r.by_kind.get(1).map(|l| l.0.clone()).unwrap_or_default());
        burst_ok += r.ok();
        burst_errors += r.errors;
        burst_secs += r.secs;
        users.extend(r.states.into_iter().flat_map(|(_, made)| made));
        std::thread::sleep(Duration::from_millis(200));
    }
    let firsts = Lat::new(firsts);
    let stalled = firsts.0.iter().filter(|&&us| us > 500_000).count();
    rows.push(
        Row {
            name: format!(
                "burst_connect ({BURST_ROUNDS} rounds of {t} new connections at once, POST /Users; \
                 first request of each)"
            ),
            threads: t,
            requests: firsts.0.len(),
            errors: burst_errors,
            rps: burst_ok as f64 / f64::max(burst_secs, 1e-9),
            p50: firsts.ms(0.5),
            p99: firsts.ms(0.99),
            max: firsts.max_ms(),
            notes: format!(
                "{stalled} of {} first requests waited > 0.5 s{}; {burst_ok} creates in all",
                firsts.0.len(),
                if stalled > 0 {
                    " (answered only when another connection closed, at the end of the 1 s round)"
                } else {
                    ""
                }
            ),
            rss_mib: 0.0,
            peak_mib: 0.0,
            cpu_us: None,
            other_cores: None,
        }
        .rss(pid)?,
    );

    // create, then populate to --users.
    let new_users = |_t: usize| Vec::<(u64, String)>::new();
    let create_op = |made: &mut Vec<(u64, String)>, c: &mut Client, _: &mut Rng, _: usize| -> Res<usize> {
        let n = NEXT_USER.fetch_add(1, Ordering::Relaxed);
        made.push((n, create_user(c, n)?));
        Ok(0)
    };
    let created = run(&server, "create", t, timed, new_users, create_op)?;
    rows.push(
        row("create (POST /Users)", &created, format!("durable; {}", of_ceiling(created.rps(), ceiling)))
            .rss(pid)?,
    );
    users.extend(created.states.into_iter().flatten());
    let missing = args.users.saturating_sub(users.len());
    if missing > 0 {
        let populated = run(&server, "populate", t, Stop::Count(missing), new_users, create_op)?;
        rows.push(
            row(
                &format!("populate to {} users (POST /Users)", args.users),
                &populated,
                format!("{:.1} s in all; {}", populated.secs, of_ceiling(populated.rps(), ceiling)),
            )
            .rss(pid)?,
        );
        users.extend(populated.states.into_iter().flatten());
    }
    users.sort();
    let m = memory(pid)?;
    mem_lines.push(format!(
        "after populate ({} users): VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        users.len(),
        mib(m.rss_kib),
        mib(m.hwm_kib)
    ));
    let users = &users;
    let nothing = |_t: usize| ();

    // Reads.
    let r = run(&server, "get_by_id", t, timed, nothing, |_, c, rng, _| {
        let (_, id) = &users[rng.below(users.len())];
        expect(&c.get(&format!("/Users/{id}"))?, 200, "GET /Users/{id}")?;
        Ok(0)
    })?;
    rows.push(row("get_by_id (GET /Users/{id})", &r, String::new()).rss(pid)?);

    let r = run(&server, "filter_username", t, timed, nothing, |_, c, rng, _| {
        let (n, id) = &users[rng.below(users.len())];
        let resp = c.get(&filter_path(*n))?;
        expect(&resp, 200, "filter userName")?;
        if !resp.contains("\"totalResults\":1") || !resp.contains(id) {
            return Err(format!("filter for bench-{n} did not find exactly {id}: {}", resp.text()).into());
        }
        Ok(0)
    })?;
    rows.push(row("filter_username (GET /Users?filter=userName eq …)", &r, String::new()).rss(pid)?);

    // Paging through every user, count=100.
    let total: usize = {
        let mut c = Client::connect(&server)?;
        let r = c.get("/Users?startIndex=1&count=1")?;
        expect(&r, 200, "list users")?;
        let v: Value = serde_json::from_slice(&r.body)?;
        let total = v["totalResults"].as_u64().ok_or("no totalResults")? as usize;
        if total != users.len() {
            eprintln!("[bench] note: the server has {total} users, the bench created {}", users.len());
        }
        total
    };
    let pages = total.div_ceil(PAGE);
    let page_op = |_: &mut (), c: &mut Client, _: &mut Rng, i: usize| -> Res<usize> {
        let start = i * PAGE + 1;
        let resp = c.get(&format!("/Users?startIndex={start}&count={PAGE}"))?;
        expect(&resp, 200, "page")?;
        let want = PAGE.min(total + 1 - start);
        if !resp.contains(&format!("\"itemsPerPage\":{want}")) {
            return Err(format!("page at {start}: expected {want} users: {}", resp.text()).into());
        }
        // Kinds: 1 the first tenth of the pages, 2 the last tenth (an OFFSET cost shows here).
        Ok(if i < pages.div_ceil(10) {
            1
        } else if i >= pages - pages.div_ceil(10) {
            2
        } else {
            0
        })
    };
    let ends = |r: &Run<()>| -> String {
        let p50 = |k: usize| r.by_kind.get(k).map_or(0.0, |l| l.ms(0.5));
        format!("p50 of the first tenth of the pages {:.1} ms, of the last tenth {:.1} ms", p50(1), p50(2))
    };
    let r = run(&server, "page_all (1 thread)", 1, Stop::Count(pages), nothing, page_op)?;
    rows.push(
        row(
            &format!("page_all, 1 thread ({pages} pages of {PAGE})"),
            &r,
            format!("rps = pages/s; {total} users in {:.1} s; {}", r.secs, ends(&r)),
        )
        .rss(pid)?,
    );
    let r = run(&server, "page_all (T threads)", t, Stop::Count(pages), nothing, page_op)?;
    rows.push(
        row(
            &format!("page_all, {t} threads ({pages} pages of {PAGE})"),
            &r,
            format!("{total} users in {:.1} s; next page from a shared counter; {}", r.secs, ends(&r)),
        )
        .rss(pid)?,
    );

    // PATCH of a user.
    let r = run(&server, "patch_user", t, timed, nothing, |_, c, rng, i| {
        let (n, id) = &users[rng.below(users.len())];
        let resp = c.send("PATCH", &format!("/Users/{id}"), Some(&display_name_patch(*n, i)))?;
        expect(&resp, 200, "PATCH user displayName")?;
        Ok(0)
    })?;
    rows.push(
        row(
            "patch_user (PATCH /Users/{id} displayName)",
            &r,
            format!("durable; {}", of_ceiling(r.rps(), ceiling)),
        )
        .rss(pid)?,
    );

    // The big group: every user, 1,000 members a PATCH.
    let big = create_group(&mut Client::connect(&server)?, "bench-all-users", &[])?;
    let chunks: Vec<Vec<&str>> =
        users.chunks(FILL_CHUNK).map(|c| c.iter().map(|(_, id)| id.as_str()).collect()).collect();
    let r = run(&server, "group_fill", t, Stop::Count(chunks.len()), nothing, |_, c, _, i| {
        patch_members(c, &big, "Add", &chunks[i])?;
        Ok(0)
    })?;
    let members = users.len();
    rows.push(
        row(
            &format!("group_fill ({members} members, PATCH add {FILL_CHUNK} a request)"),
            &r,
            format!(
                "{:.0} members/s; {:.1} s in all",
                (r.ok() * FILL_CHUNK) as f64 / r.secs.max(1e-9),
                r.secs
            ),
        )
        .rss(pid)?,
    );
    let m = memory(pid)?;
    mem_lines.push(format!(
        "after group_fill ({members}-member group): VmRSS {:.1} MiB, VmHWM {:.1} MiB",
        mib(m.rss_kib),
        mib(m.hwm_kib)
    ));

    // One-member add/remove on a 10-member group and on the big group, with spare users.
    let ten: Vec<&str> = users.iter().take(10).map(|(_, id)| id.as_str()).collect();
    let small = create_group(&mut Client::connect(&server)?, "bench-ten-users", &ten)?;
    let spare_run = run(&server, "spare users", t, Stop::Count(t * SPARE_PER_THREAD), new_users, create_op)?;
    let spare: Vec<String> = spare_run.states.into_iter().flatten().map(|(_, id)| id).collect();
    if spare.len() < t {
        return Err("could not create the spare users".into());
    }
    let per = spare.len() / t;
    let member_state =
        |t: usize| Member { spare: spare[t * per..(t + 1) * per].to_vec(), next: 0, inside: false };
    let mut results = HashMap::new();
    for (key, gid) in [("10", &small), ("big", &big)] {
        let mut r = run(&server, &format!("group_{key}"), t, timed, member_state, |m, c, _, _| {
            m.step(c, gid)?;
            Ok(0)
        })?;
        put_back(&server, gid, &mut r.states)?;
        results.insert(key, r);
    }
    let (g10, gbig) = (&results["10"], &results["big"]);
    rows.push(
        row("group_10 (PATCH add or remove 1 member, 10-member group)", g10, {
            format!("durable; {}", of_ceiling(g10.rps(), ceiling))
        })
        .rss(pid)?,
    );
    rows.push(
        row(
            &format!("group_100k (PATCH add or remove 1 member, {members}-member group)"),
            gbig,
            format!(
                "durable; {}; vs 10-member group: p50 {:.2}x, p99 {:.2}x, rps {:.2}x",
                of_ceiling(gbig.rps(), ceiling),
                gbig.all.ms(0.5) / g10.all.ms(0.5).max(1e-9),
                gbig.all.ms(0.99) / g10.all.ms(0.99).max(1e-9),
                gbig.rps() / g10.rps().max(1e-9),
            ),
        )
        .rss(pid)?,
    );

    // Okta's full push: `replace members` with the whole list, one member swapped for a spare user
    // each time (alternating two spares), so one joins and one leaves. Bodies are built up front.
    let push_ids: Vec<&str> =
        users.iter().take(PUSH_MEMBERS.min(users.len())).map(|(_, id)| id.as_str()).collect();
    let push_big = create_group(&mut Client::connect(&server)?, "bench-push-big", &[])?;
    let mut c = Client::connect(&server)?;
    for chunk in push_ids.chunks(FILL_CHUNK) {
        patch_members(&mut c, &push_big, "Add", chunk)?;
    }
    let push_small = create_group(&mut Client::connect(&server)?, "bench-push-ten", &ten)?;
    let mut push = HashMap::new();
    for (key, gid, base) in [("10", &push_small, &ten), ("big", &push_big, &push_ids)] {
        // Start from the group as it is (the base list), then alternate the swapped member.
        let bodies: Vec<String> = [&spare[0], &spare[1]]
            .iter()
            .map(|extra| {
                let mut list: Vec<&str> = base[1..].to_vec();
                list.push(extra.as_str());
                let value: Vec<Value> = list.iter().map(|id| json!({"value": id})).collect();
                json!({"schemas": [PATCH_OP_URN], "Operations": [{"op": "replace", "path": "members", "value": value}]})
                    .to_string()
            })
            .collect();
        let r = run(&server, &format!("full_push_{key}"), 1, timed, nothing, |_, c, _, i| {
            let resp = c.send("PATCH", &format!("/Groups/{gid}"), Some(&bodies[i % 2]))?;
            expect(&resp, 204, "full push")?;
            Ok(0)
        })?;
        // Each run's memory, read as soon as it ends (not after both).
        push.insert(key, (r, taken(pid)?));
    }
    let ((p10, m10), (pbig, mbig)) = (&push["10"], &push["big"]);
    rows.push(
        row("full_push_10 (PATCH replace members, 10-member group, 1 swapped)", p10, "one client".into())
            .memory(*m10),
    );
    rows.push(
        row(
            &format!("full_push_20k (PATCH replace members, {}-member group, 1 swapped)", push_ids.len()),
            pbig,
            format!(
                "one client; vs 10-member group: p50 {:.2}x, p99 {:.2}x",
                pbig.all.ms(0.5) / p10.all.ms(0.5).max(1e-9),
                pbig.all.ms(0.99) / p10.all.ms(0.99).max(1e-9),
            ),
        )
        .memory(*mbig),
    );

    // A group created with 5,000 members in one POST (an IdP's first push of a big group), one
    // client, each a new group; they are deleted afterwards.
    let create_ids: Vec<&str> =
        users.iter().take(CREATE_MEMBERS.min(users.len())).map(|(_, id)| id.as_str()).collect();
    let created = std::sync::Mutex::new(Vec::new());
    let r = run(&server, "group_create_5k", 1, Stop::Count(GROUP_CREATES), nothing, |_, c, _, i| {
        let resp = c.send("POST", "/Groups", Some(&group_body(&format!("bench-create-{i}"), &create_ids)))?;
        expect(&resp, 201, "create a big group")?;
        created.lock().map_err(|_| "poisoned")?.push(id_from_location(&resp)?);
        Ok(0)
    })?;
    rows.push(
        row(
            &format!("group_create_5k (POST /Groups with {} members)", create_ids.len()),
            &r,
            format!("one client, {GROUP_CREATES} groups"),
        )
        .rss(pid)?,
    );
    let mut c = Client::connect(&server)?;
    for gid in created.into_inner().map_err(|_| "poisoned")? {
        let resp = c.send("DELETE", &format!("/Groups/{gid}"), None)?;
        expect(&resp, 204, "delete a big group")?;
    }

    // An IdP-like sync: 60% GET by id, 20% filter, 10% PATCH user, 5% membership PATCH on the big
    // group, 5% create.
    let kinds = ["GET by id", "filter", "PATCH user", "PATCH member", "create"];
    let mut r = run(&server, "mixed", t, timed, member_state, |m, c, rng, i| {
        let roll = rng.below(100);
        let (n, id) = &users[rng.below(users.len())];
        if roll < 60 {
            expect(&c.get(&format!("/Users/{id}"))?, 200, "GET /Users/{id}")?;
            Ok(0)
        } else if roll < 80 {
            let resp = c.get(&filter_path(*n))?;
            expect(&resp, 200, "filter userName")?;
            if !resp.contains("\"totalResults\":1") {
                return Err(format!("filter for bench-{n} found no user: {}", resp.text()).into());
            }
            Ok(1)
        } else if roll < 90 {
            let resp = c.send("PATCH", &format!("/Users/{id}"), Some(&display_name_patch(*n, i)))?;
            expect(&resp, 200, "PATCH user displayName")?;
            Ok(2)
        } else if roll < 95 {
            m.step(c, &big)?;
            Ok(3)
        } else {
            create_user(c, NEXT_USER.fetch_add(1, Ordering::Relaxed))?;
            Ok(4)
        }
    })?;
    put_back(&server, &big, &mut r.states)?;
    let mut notes = String::from("60/20/10/5/5%; p99 by kind:");
    for (k, lat) in r.by_kind.iter().enumerate() {
        let _ = write!(
            notes,
            " {} {:.2} ms{}",
            kinds[k],
            lat.ms(0.99),
            if k + 1 < r.by_kind.len() { "," } else { "" }
        );
    }
    rows.push(row("mixed (IdP-like sync)", &r, notes).rss(pid)?);

    let m = memory(pid)?;
    // VmHWM is reset after each row, so the run's peak is the highest of the rows'.
    let peak = rows.iter().map(|r| r.peak_mib).fold(mib(m.hwm_kib), f64::max);
    mem_lines.push(format!(
        "at the end: VmRSS {:.1} MiB, peak (highest VmHWM of any row) {peak:.1} MiB",
        mib(m.rss_kib)
    ));
    let db = dir.0.join("scim-seat.db");
    let db_line = format!(
        "database {:.1} MiB + WAL {:.1} MiB",
        file_mib(&db),
        file_mib(&dir.0.join("scim-seat.db-wal"))
    );
    let log = server.log.clone();
    let code = server.stop()?;
    let log_tail = std::fs::read_to_string(&log).unwrap_or_default();

    // The report.
    let mut out = String::new();
    writeln!(out, "Command: `{}`  ", args.command)?;
    writeln!(out, "Machine: {machine}  ")?;
    writeln!(
        out,
        "Setup: client and server on the same machine, {}; server `serve --lab example.com --workers 8`, \
         RUST_LOG={}, database on {}; {t} client threads, each one keep-alive HTTP/1.1 connection{}; \
         timed scenarios {:.0} s each  ",
        if args.pin { "pinned (server on CPU 0, load on CPU 1)" } else { "sharing every CPU" },
        args.server_log,
        filesystem_of(&dir.0),
        if args.tls { " over TLS (rustls, ring; a self-signed certificate)" } else { "" },
        args.seconds
    )?;
    writeln!(
        out,
        "SQLite fsync ceiling (same disk, WAL + synchronous=FULL, 1 thread, single-row durable \
         transactions, {FSYNC_SECONDS:.0} s): **{ceiling:.0} commits/s**\n"
    )?;
    writeln!(
        out,
        "| scenario | threads | requests | errors | rps | p50 ms | p99 ms | max ms | CPU µs/request server + client \
         | other processes, cores busy | server RSS MiB after (peak during) | notes |"
    )?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")?;
    for r in &rows {
        let cpu = r.cpu_us.map_or("–".into(), |(s, c)| format!("{s:.0} + {c:.0}"));
        let others = r.other_cores.map_or("–".into(), |o| format!("{o:.2}"));
        writeln!(
            out,
            "| {} | {} | {} | {} | {:.0} | {:.3} | {:.3} | {:.1} | {cpu} | {others} | {:.1} ({:.1}) | {} |",
            r.name,
            r.threads,
            r.requests,
            r.errors,
            r.rps,
            r.p50,
            r.p99,
            r.max,
            r.rss_mib,
            r.peak_mib,
            r.notes
        )?;
    }
    writeln!(out, "\nServer memory (/proc/PID/status):")?;
    for l in &mem_lines {
        writeln!(out, "- {l}")?;
    }
    writeln!(
        out,
        "\nAt the end: {db_line}; whole run {:.0} s; load average before {load_before}, after {}.",
        began.elapsed().as_secs_f64(),
        loadavg()
    )?;
    let errors = ERRORS.load(Ordering::Relaxed);
    writeln!(
        out,
        "Server exit on SIGTERM: {}; failed requests: {errors}.",
        code.map_or("none (killed after 30 s)".into(), |c| c.to_string())
    )?;
    println!("\n{out}");
    if let Some(path) = &args.out {
        std::fs::write(path, &out)?;
        eprintln!("[bench] report written to {}", path.display());
    }
    if code != Some(0) {
        eprintln!("[bench] the server did not exit 0; its log ends:\n{}", tail(&log_tail, 40));
    }
    Ok(code == Some(0) && errors == 0)
}

/// The 1-minute load average (other work on the machine skews every number).
/// Pins this process's threads (this one, and every one it starts later) to one CPU.
fn pin_to_cpu(cpu: usize) -> Res<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET and sched_setaffinity get a valid
    // pointer to it and its size.
    let ok = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    if ok != 0 {
        return Err(format!(
            "cannot pin the load generator to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        )
        .into());
    }
    Ok(())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn tail(s: &str, lines: usize) -> String {
    let all: Vec<&str> = s.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
