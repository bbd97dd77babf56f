//! The application side of the relay: tiny_http on a private Unix socket and a fixed pool of
//! workers. A worker turns each tiny_http request into a plain [`Request`], calls the handler with
//! its own per-worker state, and answers. A panicking handler is caught: the client gets a 500, the
//! panic is logged, and the worker goes on.

use crate::error::{Error, Kind};
use crate::http::Surface;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// A request as the handlers see it.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// Percent-encoded path, without the query.
    pub path: String,
    /// Raw query string, without '?'.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The client's address as the edge saw it.
    pub client: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

/// A body produced a piece at a time (a whole-plan report): memory follows one piece, not the answer.
pub trait Chunks: Send {
    /// Appends the next piece to `out`; `Ok(false)` once there is nothing more (`out` may still
    /// hold a last piece). An error ends the answer without its last chunk, so the client sees a
    /// truncated body, never one that looks complete.
    fn next(&mut self, out: &mut Vec<u8>) -> Result<bool, Error>;
}

pub enum Body {
    /// The whole body, sent with a Content-Length.
    Full(Vec<u8>),
    /// Pieces, sent with chunked transfer coding as they are made.
    Chunks(Box<dyn Chunks>),
}

impl Body {
    /// The bytes of a whole body; none for a streamed one.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Body::Full(b) => b,
            Body::Chunks(_) => &[],
        }
    }
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Full(b) => write!(f, "Full({} bytes)", b.len()),
            Body::Chunks(_) => f.write_str("Chunks"),
        }
    }
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response { status, headers: vec![("Content-Type", content_type.to_string())], body: Body::Full(body) }
    }
    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Body::Full(Vec::new()) }
    }
    /// A 200 whose body is made a piece at a time.
    pub fn stream(content_type: &'static str, body: Box<dyn Chunks>) -> Response {
        Response {
            status: 200,
            headers: vec![("Content-Type", content_type.to_string())],
            body: Body::Chunks(body),
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// A JSON body in the surface's media type.
    pub fn json(status: u16, surface: Surface, body: &serde_json::Value) -> Response {
        Response::new(status, surface.content_type(), body.to_string().into_bytes())
    }

    /// The error answer in the shape of the surface: the one error renderer, for the edge and the
    /// service alike.
    pub fn error(surface: Surface, e: &Error) -> Response {
        if e.kind == Kind::Internal {
            log::error!("internal error: {}", e.detail);
        }
        let body = match surface {
            Surface::Scim => e.scim_body(),
            Surface::Admin => e.admin_body(),
        };
        let mut r = Response::json(e.status(), surface, &body);
        if e.kind == Kind::Unauthorized {
            r = r.header("WWW-Authenticate", "Bearer realm=\"scim-seat\"");
        }
        if let Some(secs) = e.retry_after {
            r = r.header("Retry-After", secs.to_string());
        }
        if let Some(allow) = &e.allow {
            r = r.header("Allow", allow.clone());
        }
        r
    }
}

/// What a worker pool runs: it builds its per-worker state once, then serves requests with it.
type Serve =
    Arc<dyn Fn(Arc<tiny_http::Server>, usize) -> std::io::Result<thread::JoinHandle<()>> + Send + Sync>;

/// tiny_http on a private Unix socket and its pool of workers, supervised: tiny_http's own accept
/// loop stops at its first error (out of descriptors, say), so when the edge finds the socket
/// refusing connections it asks for [`Backend::revive`], which starts a fresh tiny_http server and
/// a fresh pool on the same socket and lets the old workers go.
pub struct Backend {
    socket: PathBuf,
    workers: usize,
    surface: Surface,
    serve: Serve,
    state: Mutex<Pools>,
    /// Connections to the current tiny_http server between exchanges, with the server's generation.
    idle: Mutex<Vec<(u64, UnixStream)>>,
    /// Held while a new connection is opened and probed: one at a time (see [`Backend::connection`]).
    connecting: Mutex<()>,
}

/// The request target of the edge's probe (`OPTIONS *`): a client cannot send it through the edge,
/// which accepts only absolute paths.
const PROBE_TARGET: &str = "*";

/// Idle backend connections kept at most (each holds one of tiny_http's pool threads).
const MAX_IDLE: usize = 64;

/// A backend connection an exchange holds: from the idle ones, or new.
pub struct Held {
    pub stream: UnixStream,
    generation: u64,
    /// It served an earlier exchange (it may have been closed since).
    pub reused: bool,
}

struct Pools {
    current: Arc<tiny_http::Server>,
    /// Every worker ever started, joined at shutdown.
    handles: Vec<thread::JoinHandle<()>>,
    /// Earlier servers, whose workers were released.
    retired: Vec<Arc<tiny_http::Server>>,
    last_revive: Option<Instant>,
    pub revivals: u64,
    /// Which tiny_http server is current: idle connections to an earlier one are dropped.
    generation: u64,
}

impl Backend {
    /// Starts tiny_http on `socket` and `workers` threads serving it with `handle`. Each worker
    /// builds its state once with `init`.
    pub fn start<S, I, H>(
        socket: &Path,
        workers: usize,
        surface: Surface,
        init: I,
        handle: H,
    ) -> std::io::Result<Arc<Backend>>
    where
        S: 'static,
        I: Fn() -> S + Send + Sync + 'static,
        H: Fn(&mut S, &Request) -> Response + Send + Sync + 'static,
    {
        let init = Arc::new(init);
        let handle = Arc::new(handle);
        let serve: Serve = Arc::new(move |server: Arc<tiny_http::Server>, i: usize| {
            let init = Arc::clone(&init);
            let handle = Arc::clone(&handle);
            thread::Builder::new().name(format!("{}-worker-{i}", surface.name())).spawn(move || {
                let mut state = init();
                while let Ok(req) = server.recv() {
                    serve_one(surface, &mut state, req, handle.as_ref());
                }
            })
        });
        let server = listen(socket)?;
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            handles.push(serve(Arc::clone(&server), i)?);
        }
        Ok(Arc::new(Backend {
            socket: socket.to_path_buf(),
            workers,
            surface,
            serve,
            state: Mutex::new(Pools {
                current: server,
                handles,
                retired: Vec::new(),
                last_revive: None,
                revivals: 0,
                generation: 0,
            }),
            idle: Mutex::new(Vec::new()),
            connecting: Mutex::new(()),
        }))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// How many times tiny_http had to be started afresh (for /metrics).
    pub fn revivals(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).revivals
    }

    /// Starts a fresh tiny_http server and worker pool on the socket: the edge found it refusing
    /// connections. At most once a second, so a storm of refusals starts one.
    pub fn revive(&self, why: &str) {
        let mut pools = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if pools.last_revive.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        pools.last_revive = Some(Instant::now());
        let _ = std::fs::remove_file(&self.socket);
        let server = match listen(&self.socket) {
            Ok(s) => s,
            Err(e) => {
                log::error!(
                    "the {} request workers stopped accepting ({why}) and cannot restart: {e}",
                    self.surface.name()
                );
                return;
            }
        };
        let mut started = Vec::with_capacity(self.workers);
        for i in 0..self.workers {
            match (self.serve)(Arc::clone(&server), i) {
                Ok(h) => started.push(h),
                Err(e) => log::error!("cannot start a {} worker: {e}", self.surface.name()),
            }
        }
        let old = std::mem::replace(&mut pools.current, server);
        // Each unblock releases one worker blocked in recv() on the old server.
        for _ in 0..self.workers {
            old.unblock();
        }
        pools.retired.push(old);
        pools.handles.extend(started);
        pools.revivals += 1;
        pools.generation += 1;
        drop(pools);
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
        log::warn!(
            "the {} request workers stopped accepting connections ({why}); started a fresh tiny_http server",
            self.surface.name()
        );
    }

    fn generation(&self) -> u64 {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).generation
    }

    fn take_idle(&self, generation: u64) -> Option<Held> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some((g, stream)) = idle.pop() {
            if g == generation {
                return Some(Held { stream, generation, reused: true });
            }
        }
        None
    }

    /// A connection for one exchange: an idle one, or a new one. New connections are opened one at
    /// a time, and each is handed out only once tiny_http has answered a probe on it: tiny_http
    /// 0.12's task pool counts a thread it has just woken as still idle, so two connections opened
    /// back to back can leave the second queued behind pool threads that persistent connections
    /// never free. Opened one at a time and probed, each is being served before the next is opened.
    /// `timeout` bounds every read and write on it.
    pub fn connection(&self, timeout: Duration) -> std::io::Result<Held> {
        let generation = self.generation();
        if let Some(held) = self.take_idle(generation) {
            return Ok(held);
        }
        let _one_at_a_time = self.connecting.lock().unwrap_or_else(|p| p.into_inner());
        // Another exchange may have given one back meanwhile.
        if let Some(held) = self.take_idle(generation) {
            return Ok(held);
        }
        let stream = if crate::fault::hit("backend_refused") {
            // As if tiny_http's accept loop had stopped.
            Err(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
        } else {
            UnixStream::connect(&self.socket)
        }?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        probe(&stream)?;
        Ok(Held { stream, generation, reused: false })
    }

    /// Gives back a connection whose exchange is complete (its answer read to the end, the server
    /// keeping it open), for the next exchange.
    pub fn release(&self, held: Held) {
        if held.generation != self.generation() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push((held.generation, held.stream));
        }
    }

    /// Releases every worker and waits for them (shutdown).
    pub fn stop(&self) {
        let handles = {
            let mut pools = self.state.lock().unwrap_or_else(|p| p.into_inner());
            for server in std::iter::once(&pools.current).chain(pools.retired.iter()) {
                for _ in 0..self.workers {
                    server.unblock();
                }
            }
            std::mem::take(&mut pools.handles)
        };
        for h in handles {
            let _ = h.join();
        }
    }
}

/// Sends `OPTIONS *` on a new connection and reads its 204: the connection is being served.
fn probe(mut stream: &UnixStream) -> std::io::Result<()> {
    stream.write_all(b"OPTIONS * HTTP/1.1\r\nHost: backend\r\n\r\n")?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 256];
    while !head.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte)?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the backend closed on a probe",
            ));
        }
        head.extend_from_slice(&byte[..n]);
        if head.len() > 4096 {
            return Err(std::io::Error::other("the backend's probe answer is too long"));
        }
    }
    if head.starts_with(b"HTTP/1.1 204") {
        Ok(())
    } else {
        Err(std::io::Error::other("the backend did not answer its probe with 204"))
    }
}

fn listen(socket: &Path) -> std::io::Result<Arc<tiny_http::Server>> {
    Ok(Arc::new(
        tiny_http::Server::http_unix(socket)
            .map_err(|e| std::io::Error::other(format!("cannot listen on {}: {e}", socket.display())))?,
    ))
}

fn serve_one<S, H>(surface: Surface, state: &mut S, mut raw: tiny_http::Request, handle: &H)
where
    H: Fn(&mut S, &Request) -> Response,
{
    if raw.url() == PROBE_TARGET && *raw.method() == tiny_http::Method::Options {
        // The edge's probe of a new backend connection: answered here, never by a handler.
        let _ = raw.respond(tiny_http::Response::empty(204));
        return;
    }
    let url = raw.url().to_string();
    let (path, query) = match url.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (url, String::new()),
    };
    let headers: Vec<(String, String)> =
        raw.headers().iter().map(|h| (h.field.to_string(), h.value.to_string())).collect();
    let client = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-forwarded-for"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    // The edge has already bounded the body.
    let mut body = Vec::new();
    let read = raw.as_reader().read_to_end(&mut body);
    let req = Request { method: raw.method().to_string(), path, query, headers, body, client };
    let response = if let Err(e) = read {
        Response::error(surface, &Error::invalid_syntax(format!("the body could not be read: {e}")))
    } else {
        match catch_unwind(AssertUnwindSafe(|| handle(state, &req))) {
            Ok(r) => r,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                log::error!("handler panicked on {} {}: {what}", req.method, req.path);
                Response::error(
                    surface,
                    &Error::internal("an internal error occurred; the change was not saved"),
                )
            }
        }
    };
    let large = req.body.len().max(response.body.bytes().len()) >= LARGE_EXCHANGE;
    respond(raw, response);
    drop(req);
    if large {
        release_free_memory();
    }
}

/// A request or answer body from which on the exchange gives its memory back (a 20,000-member list
/// is about 1 MiB in, 3 MiB out).
const LARGE_EXCHANGE: usize = 256 * 1024;

/// Gives the allocator's free memory back to the system. glibc keeps a heap per worker thread and
/// each keeps its high-water mark: without this, every worker that once served a large member list
/// would hold the memory it took, and the process the sum.
fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointer and touches only the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Writes the answer. A whole body goes out with its head in one write: written in pieces (as
/// tiny_http's own writer does, through a 1 KiB buffer), the edge would wake for the head and again
/// for the body. The head is what tiny_http writes: the request's HTTP version, `Date`,
/// `Content-Length` (none on a 1xx or 204), `Connection: close` when the request ends the
/// connection, no body for HEAD, 1xx, 204 and 304.
fn respond(raw: tiny_http::Request, r: Response) {
    let body = match r.body {
        Body::Full(body) => body,
        Body::Chunks(chunks) => {
            if let Err(e) = stream(raw, r.status, &r.headers, chunks) {
                log::debug!("could not send a streamed response: {e}");
            }
            return;
        }
    };
    let version = raw.http_version().clone();
    let closes = version == tiny_http::HTTPVersion(1, 0)
        || raw
            .headers()
            .iter()
            .any(|h| h.field.equiv("Connection") && h.value.as_str().to_ascii_lowercase().contains("close"));
    let bodiless = *raw.method() == tiny_http::Method::Head || matches!(r.status, 100..=199 | 204 | 304);
    let mut out = Vec::with_capacity(256 + body.len());
    let reason = tiny_http::StatusCode(r.status).default_reason_phrase();
    let date = crate::base::calendar::http_date(crate::util::now_unix());
    let _ = write!(out, "HTTP/{}.{} {} {reason}\r\nDate: {date}\r\n", version.0, version.1, r.status);
    if !matches!(r.status, 100..=199 | 204) {
        let _ = write!(out, "Content-Length: {}\r\n", body.len());
    }
    for (name, value) in &r.headers {
        // A value that could end the line is never written (no header injection).
        if !value.bytes().any(|b| b == b'\r' || b == b'\n') {
            let _ = write!(out, "{name}: {value}\r\n");
        }
    }
    if closes {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !bodiless {
        out.extend_from_slice(&body);
    }
    let mut writer = raw.into_writer();
    if let Err(e) = writer.write_all(&out).and_then(|()| writer.flush()) {
        log::debug!("could not send a response: {e}");
    }
}

/// Writes a streamed answer straight to the connection with chunked transfer coding, a piece a
/// chunk. tiny_http's own chunked writer is not used: it ends the body properly even when the
/// source fails, which would make a truncated report look complete. A failure ends the answer with
/// a line that is not a chunk size, which the edge refuses to relay.
fn stream(
    raw: tiny_http::Request,
    status: u16,
    headers: &[(&'static str, String)],
    mut chunks: Box<dyn Chunks>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, raw.into_writer());
    write!(out, "HTTP/1.1 {status} OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n")?;
    for (name, value) in headers {
        write!(out, "{name}: {value}\r\n")?;
    }
    out.write_all(b"\r\n")?;
    let mut piece = Vec::with_capacity(64 * 1024);
    loop {
        piece.clear();
        // A panic while making a piece is caught as a handler's is: the worker goes on.
        let next = catch_unwind(AssertUnwindSafe(|| chunks.next(&mut piece)))
            .unwrap_or_else(|_| Err(Error::internal("a panic while making a streamed answer")));
        let more = match next {
            Ok(more) => more,
            Err(e) => {
                log::error!("a streamed answer stopped: {}", e.detail);
                // No last chunk, and a line that is no chunk size: the edge takes the answer as
                // broken and cuts the client's connection, so the client sees the body cut short
                // (the backend connection stays open, so its end could not say so).
                out.write_all(b"abort\r\n")?;
                return out.flush();
            }
        };
        if !piece.is_empty() {
            write!(out, "{:x}\r\n", piece.len())?;
            out.write_all(&piece)?;
            out.write_all(b"\r\n")?;
        }
        if !more {
            out.write_all(b"0\r\n\r\n")?;
            return out.flush();
        }
    }
}
