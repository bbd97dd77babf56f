//! The test harness: starts the real scim-seat binary on 127.0.0.1:0 with a fresh SQLite file in a
//! temporary directory, reads its ready line and first tokens, and talks HTTP or HTTPS to it with a
//! small client of our own (so tests can also send malformed bytes). Dropping a [`Server`] sends
//! SIGTERM and checks the process exits.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_scim-seat");

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "scim-seat-it-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the CLI on a database; returns (exit code, stdout, stderr).
pub fn cli(db: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).env("SCIM_SEAT_DB", db).env("RUST_LOG", "warn").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[derive(Default, Clone)]
pub struct Opts {
    pub tls: bool,
    pub lab: Option<&'static str>,
    pub extra: Vec<String>,
    /// Extra environment variables for the server process.
    pub env: Vec<(String, String)>,
    /// Start the server with this open-file limit (soft and hard), as `ulimit -n` does.
    pub nofile: Option<u64>,
}

pub struct Server {
    child: Option<Child>,
    pub dir: TempDir,
    pub db: PathBuf,
    pub scim_url: String,
    pub admin_url: String,
    pub scim_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub base_path: String,
    pub admin_token: String,
    pub scim_token: String,
    pub tls: Option<Arc<ClientConfig>>,
}

fn after<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.strip_prefix(prefix).map(str::trim)
}

impl Server {
    /// A lab appliance on plain HTTP (loopback) with DI on for example.com.
    pub fn start() -> Server {
        Server::start_with(Opts { lab: Some("example.com"), ..Opts::default() })
    }

    pub fn start_with(opts: Opts) -> Server {
        let dir = TempDir::new();
        let db = dir.path().join("scim-seat.db");
        let mut args: Vec<String> = vec![
            "serve".into(),
            "--db".into(),
            db.display().to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--admin-listen".into(),
            "127.0.0.1:0".into(),
        ];
        let mut tls = None;
        if opts.tls {
            let (code, out, err) = cli(
                &dir.path().join("certs.db"),
                &[
                    "init",
                    "--self-signed",
                    "127.0.0.1",
                    "--tls-dir",
                    &dir.path().join("tls").display().to_string(),
                ],
            );
            assert_eq!(code, 0, "init --self-signed failed: {out}{err}");
            let cert = dir.path().join("tls/cert.pem");
            args.extend([
                "--tls-cert".into(),
                cert.display().to_string(),
                "--tls-key".into(),
                dir.path().join("tls/key.pem").display().to_string(),
            ]);
            tls = Some(client_config(&cert));
        }
        if let Some(lab) = opts.lab {
            args.extend(["--lab".into(), lab.into()]);
        }
        args.extend(opts.extra.iter().cloned());
        Server::spawn_limited(dir, db, args, tls, &opts.env, opts.nofile)
    }

    /// Starts `serve` with exactly these arguments on an existing directory and database.
    pub fn spawn(dir: TempDir, db: PathBuf, args: Vec<String>, tls: Option<Arc<ClientConfig>>) -> Server {
        Server::spawn_with_env(dir, db, args, tls, &[])
    }

    pub fn spawn_with_env(
        dir: TempDir,
        db: PathBuf,
        args: Vec<String>,
        tls: Option<Arc<ClientConfig>>,
        env: &[(String, String)],
    ) -> Server {
        Server::spawn_limited(dir, db, args, tls, env, None)
    }

    /// Starts `serve`, under `ulimit -n nofile` when given.
    pub fn spawn_limited(
        dir: TempDir,
        db: PathBuf,
        args: Vec<String>,
        tls: Option<Arc<ClientConfig>>,
        env: &[(String, String)],
        nofile: Option<u64>,
    ) -> Server {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("server.log"))
            .unwrap();
        let mut command = match nofile {
            None => Command::new(BIN),
            Some(n) => {
                let mut c = Command::new("sh");
                c.args(["-c", &format!("ulimit -n {n} && exec \"$0\" \"$@\""), BIN]);
                c
            }
        };
        let mut child = command
            .args(&args)
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let (mut admin_token, mut scim_token) = (String::new(), String::new());
        let deadline = Instant::now() + Duration::from_secs(30);
        let ready = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(t) = after(&line, "admin token (shown once):") {
                        admin_token = t.to_string();
                    } else if let Some(t) = after(&line, "scim token (shown once):") {
                        scim_token = t.to_string();
                    } else if line.starts_with("scim-seat ready ") {
                        break line;
                    }
                }
                Err(_) => {
                    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
                    let _ = child.kill();
                    panic!("the server did not become ready; its log:\n{log}");
                }
            }
        };
        let scim_url = ready.split(' ').find_map(|p| p.strip_prefix("scim=")).unwrap().to_string();
        let admin_url = ready.split(' ').find_map(|p| p.strip_prefix("admin=")).unwrap().to_string();
        let addr_of = |url: &str| -> SocketAddr {
            let rest = url.split("://").nth(1).unwrap();
            rest.split('/').next().unwrap().parse().unwrap()
        };
        let scim_addr = addr_of(&scim_url);
        let admin_addr = addr_of(&admin_url);
        let base_path = scim_url.split("://").nth(1).unwrap().find('/').map(|i| {
            let rest = scim_url.split("://").nth(1).unwrap();
            rest[i..].to_string()
        });
        Server {
            child: Some(child),
            dir,
            db,
            scim_url,
            admin_url,
            scim_addr,
            admin_addr,
            base_path: base_path.unwrap_or_default(),
            admin_token,
            scim_token,
            tls,
        }
    }

    /// A TLS client configuration trusting exactly the certificate in `cert`.
    pub fn client_config_for(cert: &Path) -> Arc<ClientConfig> {
        client_config(cert)
    }

    /// The server's log so far (for assertions and failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Sends a signal to the server.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill").args([&format!("-{sig}"), &self.pid().to_string()]).status().unwrap();
        assert!(ok.success());
    }

    /// SIGTERM, then the exit status (bounded wait).
    pub fn stop(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, no cleanup: for crash tests.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Takes the directory and database out of a stopped server, to restart on the same file.
    pub fn into_parts(mut self) -> (TempDir, PathBuf) {
        self.stop();
        let dir = std::mem::replace(&mut self.dir, TempDir(PathBuf::new()));
        (dir, self.db.clone())
    }

    pub fn client(&self, addr: SocketAddr) -> Client {
        Client::connect(addr, self.tls.clone())
    }

    /// One request to the SCIM listener with the SCIM token; `path` is below the base path.
    pub fn scim(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.scim_as(&self.scim_token.clone(), method, path, body)
    }

    pub fn scim_as(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let full = format!("{}{}", self.base_path, path);
        self.client(self.scim_addr).send(method, &full, &auth(token), body)
    }

    /// One request to the admin listener with the admin token.
    /// Adds and verifies a validated domain (the primary email's domain is what SCIM creates are
    /// checked against).
    pub fn validate_domain(&self, name: &str) {
        let r = self.admin("POST", "/admin/domains", Some(&serde_json::json!({ "name": name })));
        assert_eq!(r.status, 201, "{}", r.text());
        let r = self.admin("POST", &format!("/admin/domains/{name}/verify"), None);
        assert_eq!(r.status, 200, "{}", r.text());
    }

    /// A lab server on example.com whose plan also validates contoso.com, the domain of the work
    /// addresses in the documents' examples.
    pub fn start_contoso() -> Server {
        let s = Server::start();
        s.validate_domain("contoso.com");
        s
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.admin_as(&self.admin_token.clone(), method, path, body)
    }

    pub fn admin_as(&self, token: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
        self.client(self.admin_addr).send(method, path, &auth(token), body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.is_some() {
            let code = self.stop();
            if !std::thread::panicking() {
                assert_eq!(code, Some(0), "the server did not exit cleanly on SIGTERM; log:\n{}", self.log());
            }
        }
    }
}

pub fn auth(token: &str) -> Vec<(String, String)> {
    vec![("Authorization".into(), format!("Bearer {token}"))]
}

fn client_config(cert: &Path) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A keep-alive HTTP/1.1 connection.
pub struct Client {
    pub stream: Stream,
    buf: Vec<u8>,
}

impl Client {
    pub fn connect(addr: SocketAddr, tls: Option<Arc<ClientConfig>>) -> Client {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        tcp.set_nodelay(true).unwrap();
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(cfg) => {
                let name = ServerName::IpAddress(addr.ip().into());
                let conn = ClientConnection::new(cfg, name).unwrap();
                Stream::Tls(Box::new(StreamOwned::new(conn, tcp)))
            }
        };
        Client { stream, buf: Vec::new() }
    }

    /// A plain-HTTP connection, or `None` when nothing listens (a killed server).
    pub fn try_connect(addr: SocketAddr) -> Option<Client> {
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
        tcp.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        Some(Client { stream: Stream::Plain(tcp), buf: Vec::new() })
    }

    /// Like `send`, but an I/O failure (the server died) is an `Err`, not a panic.
    pub fn try_send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Value>,
    ) -> std::io::Result<Resp> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ));
        self.stream.write_all(head.as_bytes())?;
        self.stream.write_all(body.as_bytes())?;
        self.stream.flush()?;
        self.read_response(method == "HEAD")
    }

    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&Value>,
    ) -> Resp {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() {
            head.push_str("Content-Type: application/scim+json; charset=utf-8\r\n");
        }
        if !body.is_empty() || method == "POST" || method == "PUT" || method == "PATCH" {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes()).unwrap();
        self.stream.write_all(body.as_bytes()).unwrap();
        self.stream.flush().unwrap();
        self.read_response(method == "HEAD").unwrap_or_else(|e| panic!("no response to {method} {path}: {e}"))
    }

    /// Writes raw bytes (for malformed-request tests).
    pub fn write_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads one response; Err on EOF or timeout before a whole response.
    pub fn read_response(&mut self, head_only: bool) -> std::io::Result<Resp> {
        let head_end = loop {
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            self.fill()?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let len = if head_only || status == 204 || status == 100 { 0 } else { len };
        let chunked = headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked"));
        if chunked && !head_only {
            self.buf.drain(..head_end);
            let body = self.read_chunked()?;
            return Ok(Resp { status, headers, body });
        }
        while self.buf.len() < head_end + len {
            self.fill()?;
        }
        let body = self.buf[head_end..head_end + len].to_vec();
        self.buf.drain(..head_end + len);
        Ok(Resp { status, headers, body })
    }

    /// A chunked body (RFC 9112 section 7.1), strictly: a connection that ends before the last
    /// chunk is an `UnexpectedEof` error, as a truncated report must be.
    fn read_chunked(&mut self) -> std::io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                    break i;
                }
                self.fill()?;
            };
            let size = std::str::from_utf8(&self.buf[..line_end])
                .ok()
                .and_then(|s| usize::from_str_radix(s, 16).ok())
                .unwrap_or_else(|| {
                    panic!("bad chunk size line {:?}", String::from_utf8_lossy(&self.buf[..line_end]))
                });
            self.buf.drain(..line_end + 2);
            while self.buf.len() < size + 2 {
                self.fill()?;
            }
            assert_eq!(&self.buf[size..size + 2], b"\r\n", "chunk data must end with CRLF");
            body.extend_from_slice(&self.buf[..size]);
            self.buf.drain(..size + 2);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// True when the server has closed the connection (EOF) within `wait`.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        if let Stream::Plain(s) = &self.stream {
            s.set_read_timeout(Some(wait)).unwrap();
        }
        let mut b = [0u8; 1024];
        loop {
            match self.stream.read(&mut b) {
                Ok(0) => return true,
                Ok(_) => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    return false;
                }
                Err(_) => return true,
            }
        }
    }
}

/// Percent-encodes a query-string value the way Okta does (`%20` for a space, every byte outside
/// the unreserved set escaped), so tests can put filters with spaces and quotes into a request line.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    /// Like [`Client::send`], but the body is raw bytes and no Content-Type is added: pass one in
    /// `headers` if the test wants one (for malformed bodies and other media types).
    pub fn send_bytes(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Resp {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: test\r\n");
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        self.stream.write_all(head.as_bytes()).unwrap();
        self.stream.write_all(body).unwrap();
        self.stream.flush().unwrap();
        self.read_response(method == "HEAD").unwrap_or_else(|e| panic!("no response to {method} {path}: {e}"))
    }
}

impl Server {
    /// One request to the SCIM listener with the SCIM token plus `headers`; `path` is below the base
    /// path and `body` is sent as-is (no Content-Type unless `headers` names one).
    pub fn scim_raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut all = auth(&self.scim_token);
        all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        let full = format!("{}{}", self.base_path, path);
        self.client(self.scim_addr).send_bytes(method, &full, &all, body)
    }
}

pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_URN: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const SEAT_URN: &str = "urn:scim-seat:schemas:extension:seat:2.0:User";

/// A PatchOp request body with these operations.
pub fn patch_ops(ops: Value) -> Value {
    serde_json::json!({ "schemas": [PATCH_OP_URN], "Operations": ops })
}

/// Asserts the status and the SCIM media type, and returns the JSON body.
pub fn expect_scim(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "unexpected status; body: {}", r.text());
    let ct = r.header("content-type").unwrap_or_default();
    assert!(ct.starts_with("application/scim+json"), "content type {ct:?}; body: {}", r.text());
    r.json()
}

/// Asserts a SCIM error answer: status, media type, the Error schema, `status` as a string, a
/// non-empty `detail`, and the `scimType` when one is given. Returns the body.
pub fn expect_scim_error(r: &Resp, status: u16, scim_type: Option<&str>) -> Value {
    let v = expect_scim(r, status);
    assert_eq!(v["schemas"], serde_json::json!([ERROR_URN]), "{v}");
    assert_eq!(v["status"], serde_json::json!(status.to_string()), "{v}");
    assert!(v["detail"].as_str().is_some_and(|d| !d.trim().is_empty()), "{v}");
    if let Some(t) = scim_type {
        assert_eq!(v["scimType"], t, "{v}");
    }
    v
}

/// Asserts a ListResponse with integer counters and returns (totalResults, Resources).
pub fn expect_list(r: &Resp) -> (u64, Vec<Value>) {
    let v = expect_scim(r, 200);
    assert_eq!(v["schemas"], serde_json::json!([LIST_RESPONSE_URN]), "{v}");
    for k in ["totalResults", "startIndex", "itemsPerPage"] {
        assert!(v[k].is_u64(), "{k} is not an integer: {v}");
    }
    let resources = v["Resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(v["itemsPerPage"].as_u64().unwrap(), resources.len() as u64, "{v}");
    (v["totalResults"].as_u64().unwrap(), resources)
}
