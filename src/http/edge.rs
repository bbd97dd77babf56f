//! The front door: scim-seat's own sockets between the network and tiny_http.
//!
//! tiny_http must not face the network (its accept loop dies on the first error, it has no timeouts,
//! header lines are unbounded, a second Content-Length is ignored). So each listener here owns its
//! TCP socket: an accept loop that survives every error, a cap on open connections, TLS with rustls
//! and a handshake deadline, deadlines for idle keep-alive, for the request head and for the body,
//! and a check of every request head. A checked request is rewritten (client `X-Forwarded-For`
//! removed, the real peer address added) and relayed over a private Unix socket to tiny_http, whose
//! answer is relayed back. One thread per connection does both directions in turn (HTTP/1.1 is
//! request/response), reusing one buffer; the connection cap bounds the threads.

use crate::error::Error;
use crate::http::Surface;
pub use crate::http::head::check_request_head;
use crate::http::head::{Chunked, Fed, check_head, find_head_end, response_info, too_large_head};
use crate::http::server::{Held, Response};
use crate::http::tls::TlsState;
use rustls::ServerConnection;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Every limit of the edge, each a named value with a flag or default (SPEC section 1 and 6).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open connections per listener; more are closed at once (plain HTTP gets a 503 first).
    pub max_connections: usize,
    /// Open connections one client address may hold (its share of `max_connections`).
    pub max_per_address: usize,
    /// Request line plus header fields, bytes.
    pub max_head_bytes: usize,
    /// Header fields per request.
    pub max_head_fields: usize,
    /// Request body, bytes.
    pub max_body_bytes: usize,
    /// From TCP accept to the end of the TLS handshake.
    pub handshake_timeout: Duration,
    /// From the first byte of a request head to its end.
    pub head_timeout: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// Body upload and each response write.
    pub io_timeout: Duration,
    /// How long the edge waits for the application's answer.
    pub backend_timeout: Duration,
}

pub const MAX_HEAD_BYTES: usize = 16 * 1024;
pub const MAX_HEAD_FIELDS: usize = 100;
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Buffer a connection keeps between requests; a larger one (a large upload) is given back.
const KEPT_BUFFER: usize = 64 * 1024;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 512,
            max_per_address: 128,
            max_head_bytes: MAX_HEAD_BYTES,
            max_head_fields: MAX_HEAD_FIELDS,
            max_body_bytes: MAX_BODY_BYTES,
            handshake_timeout: Duration::from_secs(10),
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            io_timeout: Duration::from_secs(30),
            backend_timeout: Duration::from_secs(55),
        }
    }
}

/// Counters the edge keeps for /metrics.
#[derive(Debug, Default)]
pub struct EdgeStats {
    pub open: AtomicUsize,
    /// Connections between reading a request head and relaying its answer.
    pub busy: AtomicUsize,
    pub accepted: AtomicU64,
    pub accept_errors: AtomicU64,
    pub refused_over_cap: AtomicU64,
    pub tls_failures: AtomicU64,
    pub rejected_heads: AtomicU64,
    pub timeouts: AtomicU64,
    /// Connections open per client address (the per-address share of the cap).
    pub per_address: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
    /// Connections refused because their address held its share of the cap.
    pub refused_over_share: AtomicU64,
    /// Connection threads that could not be started (a thread limit, memory pressure).
    pub spawn_failures: AtomicU64,
    /// Connections opened to tiny_http (an exchange that found no idle one).
    pub backend_connects: AtomicU64,
}

pub struct Edge {
    pub surface: Surface,
    pub limits: Limits,
    pub tls: Option<Arc<TlsState>>,
    pub backend: Arc<crate::http::server::Backend>,
    pub stats: Arc<EdgeStats>,
    pub shutdown: Arc<AtomicBool>,
}

impl Edge {
    /// Runs the accept loop on its own thread until `shutdown` is set and the loop is woken (the
    /// caller wakes it by connecting once after setting the flag).
    pub fn spawn(self: Arc<Self>, listener: TcpListener) -> io::Result<thread::JoinHandle<()>> {
        thread::Builder::new()
            .name(format!("edge-{:?}", self.surface).to_lowercase())
            .spawn(move || self.accept_loop(listener))
    }

    fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        let mut last_error_log: Option<Instant> = None;
        // One descriptor held back: when the process runs out, it is let go to accept the waiting
        // client and tell it so (503), instead of leaving it queued while accept fails in a loop.
        let mut reserve = std::fs::File::open("/dev/null").ok();
        loop {
            let accepted = listener.accept();
            if self.shutdown.load(Ordering::SeqCst) {
                return;
            }
            match accepted {
                Ok((stream, peer)) => {
                    self.stats.accepted.fetch_add(1, Ordering::Relaxed);
                    self.admit(stream, peer);
                }
                Err(e) => {
                    // Never give up: EMFILE, ENFILE, ENOBUFS, ECONNABORTED… back off and go on.
                    self.stats.accept_errors.fetch_add(1, Ordering::Relaxed);
                    if last_error_log.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                        log::warn!("accept failed on the {:?} listener: {e}; retrying", self.surface);
                        last_error_log = Some(Instant::now());
                    }
                    let out_of_descriptors =
                        matches!(e.raw_os_error(), Some(libc::EMFILE) | Some(libc::ENFILE));
                    if out_of_descriptors && reserve.take().is_some() {
                        if let Ok((stream, _)) = listener.accept() {
                            self.stats.refused_over_cap.fetch_add(1, Ordering::Relaxed);
                            self.refuse(stream, "the server is out of file descriptors; retry shortly");
                        }
                        reserve = std::fs::File::open("/dev/null").ok();
                    }
                    let pause = match e.raw_os_error() {
                        Some(libc::EMFILE) | Some(libc::ENFILE) | Some(libc::ENOBUFS)
                        | Some(libc::ENOMEM) => 50,
                        _ => 5,
                    };
                    thread::sleep(Duration::from_millis(pause));
                }
            }
        }
    }

    /// Answers 503 on a connection that cannot be served (plain HTTP only: a TLS client would need
    /// a handshake first) and closes it.
    fn refuse(&self, stream: TcpStream, why: &str) {
        if self.tls.is_none() {
            let _ = stream.set_write_timeout(Some(Duration::from_millis(200)));
            let mut busy = Error::new(crate::error::Kind::Unavailable, why);
            busy.retry_after = Some(1);
            let _ = (&stream).write_all(&error_response(self.surface, &busy));
        }
        let _ = stream.shutdown(Shutdown::Both);
    }

    fn admit(self: &Arc<Self>, stream: TcpStream, peer: SocketAddr) {
        let open = self.stats.open.fetch_add(1, Ordering::SeqCst) + 1;
        let refusal = if open > self.limits.max_connections {
            self.stats.refused_over_cap.fetch_add(1, Ordering::Relaxed);
            Some("too many open connections; retry shortly")
        } else {
            let mut map = self.stats.per_address.lock().unwrap_or_else(|p| p.into_inner());
            let held = map.entry(peer.ip()).or_insert(0);
            if *held >= self.limits.max_per_address {
                self.stats.refused_over_share.fetch_add(1, Ordering::Relaxed);
                Some("too many open connections from this address; close some and retry shortly")
            } else {
                *held += 1;
                None
            }
        };
        if let Some(why) = refusal {
            self.stats.open.fetch_sub(1, Ordering::SeqCst);
            self.refuse(stream, why);
            return;
        }
        // The slot is held by a guard made before the thread: if the thread cannot start, dropping
        // the closure drops the guard and frees the slot.
        let guard = OpenGuard(Arc::clone(&self.stats), peer.ip());
        let edge = Arc::clone(self);
        let spawned = if crate::fault::hit("conn_thread") {
            // As if the thread could not start: the closure, and the guard in it, are dropped.
            drop((edge, guard, stream));
            Err(io::Error::other("injected: conn_thread"))
        } else {
            thread::Builder::new().name("conn".into()).stack_size(256 * 1024).spawn(move || {
                edge.serve(stream, peer);
                drop(guard);
            })
        };
        if let Err(e) = spawned {
            self.stats.spawn_failures.fetch_add(1, Ordering::Relaxed);
            log::warn!("cannot start a connection thread: {e}");
        }
    }

    fn serve(&self, stream: TcpStream, peer: SocketAddr) {
        let _ = stream.set_nodelay(true);
        let stream = Sock::new(stream);
        let mut conn = match &self.tls {
            None => Conn::Plain(stream),
            Some(tls) => match self.handshake(tls, stream) {
                Ok(c) => c,
                Err(e) => {
                    self.stats.tls_failures.fetch_add(1, Ordering::Relaxed);
                    log::debug!("TLS handshake with {peer} failed: {e}");
                    return;
                }
            },
        };
        let mut relay = Relay { edge: self, peer, buf: Vec::with_capacity(8192), backend: None, served: 0 };
        relay.run(&mut conn);
        conn.close();
    }

    /// The TLS handshake, bounded as a whole by the handshake deadline (a byte every few seconds
    /// does not keep it open).
    fn handshake(&self, tls: &TlsState, stream: Sock) -> io::Result<Conn> {
        let deadline = Instant::now() + self.limits.handshake_timeout;
        let mut sc =
            ServerConnection::new(tls.current()).map_err(|e| io::Error::other(format!("TLS setup: {e}")))?;
        {
            let mut io = Deadlined { sock: &stream, deadline };
            while sc.is_handshaking() {
                sc.complete_io(&mut io)?;
            }
        }
        Ok(Conn::Tls(Box::new((sc, stream))))
    }
}

struct BusyGuard<'a>(&'a EdgeStats);

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A connection's place: one of the cap's slots and one of its address's share.
struct OpenGuard(Arc<EdgeStats>, std::net::IpAddr);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
        let mut map = self.0.per_address.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.1);
            }
        }
    }
}

fn remaining(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
    }
    Ok(left)
}

/// A client's TCP stream and the timeouts last set on it.
struct Sock {
    tcp: TcpStream,
    read_timeout: std::cell::Cell<Option<Duration>>,
    write_timeout: std::cell::Cell<Option<Duration>>,
}

/// How much longer than its deadline a call may wait: a timeout set for an earlier call is kept
/// while it ends the call no earlier than the deadline and at most this much later, which spares a
/// `setsockopt` per read and per write on a busy keep-alive connection (each exchange sets the same
/// deadline again, a moment later).
const TIMEOUT_SLACK: Duration = Duration::from_millis(50);

impl Sock {
    fn new(tcp: TcpStream) -> Sock {
        Sock { tcp, read_timeout: std::cell::Cell::new(None), write_timeout: std::cell::Cell::new(None) }
    }

    /// Makes the next call wait at most `left` (give or take [`TIMEOUT_SLACK`], never less).
    fn bound(
        &self,
        set: &std::cell::Cell<Option<Duration>>,
        left: Duration,
        apply: impl FnOnce(&TcpStream, Option<Duration>) -> io::Result<()>,
    ) -> io::Result<()> {
        if set.get().is_some_and(|t| t >= left && t <= left + TIMEOUT_SLACK) {
            return Ok(());
        }
        apply(&self.tcp, Some(left))?;
        set.set(Some(left));
        Ok(())
    }
}

/// A TCP stream whose every read and write is bounded by one deadline, however the bytes trickle
/// in: the timeout of each system call is what is left of the deadline.
struct Deadlined<'a> {
    sock: &'a Sock,
    deadline: Instant,
}

fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::new(io::ErrorKind::TimedOut, "timed out")
    } else {
        e
    }
}

impl Read for Deadlined<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.bound(&self.sock.read_timeout, remaining(self.deadline)?, TcpStream::set_read_timeout)?;
        (&mut &self.sock.tcp).read(buf).map_err(timed_out)
    }
}

impl Write for Deadlined<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.sock.bound(&self.sock.write_timeout, remaining(self.deadline)?, TcpStream::set_write_timeout)?;
        (&mut &self.sock.tcp).write(data).map_err(timed_out)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A client connection, plain or TLS. Every read and write takes a deadline, which holds over TLS
/// as over plain TCP (rustls may need several reads for one record; each is bounded by what is left).
enum Conn {
    Plain(Sock),
    Tls(Box<(ServerConnection, Sock)>),
}

impl Conn {
    fn sock(&self) -> &Sock {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(b) => &b.1,
        }
    }

    fn read(&mut self, buf: &mut [u8], deadline: Instant) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => Deadlined { sock: s, deadline }.read(buf),
            Conn::Tls(b) => {
                let (tls, sock) = &mut **b;
                let mut io = Deadlined { sock, deadline };
                match rustls::Stream::new(tls, &mut io).read(buf) {
                    // A peer that closes without close_notify has simply gone away.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(0),
                    other => other,
                }
            }
        }
    }

    fn write_all(&mut self, data: &[u8], deadline: Instant) -> io::Result<()> {
        match self {
            Conn::Plain(s) => Deadlined { sock: s, deadline }.write_all(data),
            Conn::Tls(b) => {
                let (tls, sock) = &mut **b;
                let mut io = Deadlined { sock, deadline };
                let mut stream = rustls::Stream::new(tls, &mut io);
                stream.write_all(data)?;
                stream.flush()?;
                while tls.wants_write() {
                    tls.write_tls(&mut io)?;
                }
                Ok(())
            }
        }
    }

    /// Ends the connection after an early answer (a refusal sent before the request was read):
    /// stop sending, then read and drop what the client still sends, for a bounded time and size,
    /// so that a client still uploading sees the answer instead of a reset.
    fn linger(&mut self) {
        const LINGER: Duration = Duration::from_secs(2);
        const LINGER_BYTES: usize = 4 * 1024 * 1024;
        if let Conn::Tls(b) = self {
            let (tls, sock) = &mut **b;
            tls.send_close_notify();
            let mut io = Deadlined { sock, deadline: Instant::now() + Duration::from_millis(500) };
            while tls.wants_write() && tls.write_tls(&mut io).is_ok() {}
        }
        let _ = self.sock().tcp.shutdown(Shutdown::Write);
        let deadline = Instant::now() + LINGER;
        let mut sink = [0u8; 16384];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            let mut io = Deadlined { sock: self.sock(), deadline };
            match io.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    }

    fn close(mut self) {
        if let Conn::Tls(b) = &mut self {
            let (tls, sock) = &mut **b;
            tls.send_close_notify();
            let mut io = Deadlined { sock, deadline: Instant::now() + Duration::from_millis(500) };
            while tls.wants_write() && tls.write_tls(&mut io).is_ok() {}
        }
        let _ = self.sock().tcp.shutdown(Shutdown::Both);
    }
}

/// What a checked request head says.
enum Step {
    /// The client closed or went idle between requests: close quietly.
    Done,
    /// Answer this error and close.
    Refuse(Error),
}

struct Relay<'a> {
    edge: &'a Edge,
    peer: SocketAddr,
    /// Bytes read from the client and not yet forwarded; then the backend's answer.
    buf: Vec<u8>,
    /// The backend connection of the exchange under way.
    backend: Option<Held>,
    /// Requests answered on this connection so far.
    served: usize,
}

impl Relay<'_> {
    fn run(&mut self, conn: &mut Conn) {
        loop {
            match self.one_exchange(conn) {
                Ok(true) => {
                    if self.edge.shutdown.load(Ordering::SeqCst) {
                        return;
                    }
                }
                Ok(false) | Err(Step::Done) => return,
                Err(Step::Refuse(error)) => {
                    self.edge.stats.rejected_heads.fetch_add(1, Ordering::Relaxed);
                    log::debug!("edge refused a request from {}: {}", self.peer, error.detail);
                    let deadline = Instant::now() + self.edge.limits.io_timeout;
                    if conn.write_all(&error_response(self.edge.surface, &error), deadline).is_ok() {
                        conn.linger();
                    }
                    return;
                }
            }
        }
    }

    /// Reads one request, relays it and its answer. `Ok(true)`: the connection may carry another.
    fn one_exchange(&mut self, conn: &mut Conn) -> Result<bool, Step> {
        let limits = &self.edge.limits;
        let head_end = self.read_head(conn)?;
        self.edge.stats.busy.fetch_add(1, Ordering::SeqCst);
        let _busy = BusyGuard(&self.edge.stats);
        let head = check_head(&self.buf[..head_end], limits, self.peer).map_err(|r| Step::Refuse(r.error))?;
        let total = head.len + head.content_length;
        if head.expect_continue && self.buf.len() < total {
            let deadline = Instant::now() + limits.io_timeout;
            conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n", deadline).map_err(|_| Step::Done)?;
        }
        let deadline = Instant::now() + limits.io_timeout;
        while self.buf.len() < total {
            self.fill(conn, deadline).map_err(|e| self.io_step(e, "the request body"))?;
        }
        // Forward: our head, then the body straight from the buffer. A reused connection that
        // tiny_http has closed meanwhile fails the write (nothing was read from it): once, the
        // request goes on a new connection instead.
        let mut forwarded = Err(io::Error::other("no backend"));
        for _ in 0..2 {
            self.backend()?;
            let Some(backend) = self.backend.as_mut() else { return Err(Step::Done) };
            let body = &self.buf[head.len..total];
            forwarded = backend.stream.write_all(&head.forward).and_then(|()| backend.stream.write_all(body));
            let retry = forwarded.is_err() && backend.reused;
            if forwarded.is_ok() {
                break;
            }
            self.backend = None;
            if !retry {
                break;
            }
        }
        if forwarded.is_err() {
            self.backend = None;
            return Err(Step::Refuse(Error::new(
                crate::error::Kind::Unavailable,
                "the service is not answering; retry shortly",
            )));
        }
        self.buf.drain(..total);
        let mut pipelined = std::mem::take(&mut self.buf);
        // A large upload's buffer is not kept for the connection's next requests.
        pipelined.shrink_to(KEPT_BUFFER);
        let relayed = self.relay_answer(conn, &head.method, head.keep_alive, head.http10);
        self.buf = pipelined;
        relayed?;
        self.served += 1;
        Ok(head.keep_alive)
    }

    /// The backend connection of this exchange: an idle one, or a new one; when tiny_http refuses
    /// connections (its accept loop stops at its first error), a fresh tiny_http is started and
    /// asked once more, unless the service is stopping.
    fn backend(&mut self) -> Result<&mut Held, Step> {
        if self.backend.is_none() {
            let backend = &self.edge.backend;
            let timeout = self.edge.limits.backend_timeout;
            let held = backend.connection(timeout).or_else(|e| {
                let dead = matches!(e.kind(), io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound);
                if dead && !self.edge.shutdown.load(Ordering::SeqCst) {
                    backend.revive(&e.to_string());
                    backend.connection(timeout)
                } else {
                    Err(e)
                }
            });
            let held = held.map_err(|e| {
                log::error!("cannot reach the request workers at {}: {e}", backend.socket().display());
                Step::Refuse(Error::new(
                    crate::error::Kind::Unavailable,
                    "the service is starting, stopping or out of resources; retry shortly",
                ))
            })?;
            if !held.reused {
                self.edge.stats.backend_connects.fetch_add(1, Ordering::Relaxed);
            }
            self.backend = Some(held);
        }
        self.backend.as_mut().ok_or(Step::Done)
    }

    /// Reads from the client until the buffer holds a whole head; returns its length.
    fn read_head(&mut self, conn: &mut Conn) -> Result<usize, Step> {
        let limits = &self.edge.limits;
        let idle_deadline = Instant::now() + limits.idle_timeout;
        // A new connection has the head deadline from the start: only a connection that has been
        // served may wait the idle timeout for its next request.
        let mut head_deadline = if self.buf.is_empty() && self.served > 0 {
            None
        } else {
            Some(Instant::now() + limits.head_timeout)
        };
        let mut scanned = 0;
        loop {
            if let Some(end) = find_head_end(&self.buf, scanned) {
                if end > limits.max_head_bytes {
                    return Err(Step::Refuse(too_large_head(limits)));
                }
                return Ok(end);
            }
            scanned = self.buf.len().saturating_sub(3);
            if self.buf.len() > limits.max_head_bytes {
                return Err(Step::Refuse(too_large_head(limits)));
            }
            let deadline = head_deadline.unwrap_or(idle_deadline);
            match self.fill(conn, deadline) {
                Ok(()) => {
                    if head_deadline.is_none() {
                        head_deadline = Some(Instant::now() + limits.head_timeout);
                    }
                }
                Err(e) if self.buf.is_empty() && e.kind() != io::ErrorKind::UnexpectedEof => {
                    // Idle keep-alive connection timed out or closed: nothing to answer.
                    if e.kind() == io::ErrorKind::TimedOut {
                        self.edge.stats.timeouts.fetch_add(1, Ordering::Relaxed);
                    }
                    return Err(Step::Done);
                }
                Err(e) if self.buf.is_empty() => {
                    let _ = e;
                    return Err(Step::Done);
                }
                Err(e) => return Err(self.io_step(e, "the request head")),
            }
        }
    }

    fn io_step(&self, e: io::Error, what: &str) -> Step {
        if e.kind() == io::ErrorKind::TimedOut {
            self.edge.stats.timeouts.fetch_add(1, Ordering::Relaxed);
            Step::Refuse(Error::new(crate::error::Kind::RequestTimeout, format!("{what} arrived too slowly")))
        } else {
            Step::Done
        }
    }

    /// One read from the client into the buffer, bounded by `deadline`. EOF is `UnexpectedEof`.
    fn fill(&mut self, conn: &mut Conn, deadline: Instant) -> io::Result<()> {
        let mut chunk = [0u8; 8192];
        let n = conn.read(&mut chunk, deadline)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// Reads the backend's answer into the buffer and writes it to the client; a streamed answer
    /// (chunked) is passed on as it arrives. `Ok(false)` when the client's connection must close.
    fn relay_answer(
        &mut self,
        conn: &mut Conn,
        method: &str,
        keep_alive: bool,
        http10: bool,
    ) -> Result<bool, Step> {
        let Some(backend) = self.backend.as_mut().map(|h| &mut h.stream) else { return Err(Step::Done) };
        self.buf.clear();
        let mut chunk = [0u8; 16384];
        let mut scanned = 0;
        let head_end = loop {
            if let Some(end) = find_head_end(&self.buf, scanned) {
                break end;
            }
            scanned = self.buf.len().saturating_sub(3);
            match backend.read(&mut chunk) {
                Ok(0) | Err(_) => {
                    self.backend = None;
                    // The request may still complete: say so, so the client reads before retrying.
                    return Err(Step::Refuse(Error::new(
                        crate::error::Kind::Unavailable,
                        "the service did not answer in time; a change you sent may still be saved: read the \
                         resource before sending it again",
                    )));
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        };
        let info = response_info(&self.buf[..head_end]);
        let streamed = info.chunked && !method.eq_ignore_ascii_case("HEAD") && !info.no_body;
        let body_len = if method.eq_ignore_ascii_case("HEAD") || info.no_body || streamed {
            0
        } else {
            info.content_length
        };
        // An HTTP/1.0 client gets a streamed body unframed, ended by closing the connection.
        let keep_alive = keep_alive && !(streamed && http10);
        // The client's connection follows what the client asked for, not the backend's.
        let mut head: Vec<u8> = Vec::with_capacity(self.buf.len() + 24);
        for line in self.buf[..head_end - 2].split_inclusive(|b| *b == b'\n') {
            let named = |n: &[u8]| line.get(..n.len()).is_some_and(|l| l.eq_ignore_ascii_case(n));
            let dropped = named(b"connection:") || (http10 && named(b"transfer-encoding:"));
            if !dropped {
                head.extend_from_slice(line);
            }
        }
        if !keep_alive {
            head.extend_from_slice(b"Connection: close\r\n");
        }
        head.extend_from_slice(b"\r\n");
        let timeouts = &self.edge.stats.timeouts;
        let client_gone = |e: io::Error| {
            if e.kind() == io::ErrorKind::TimedOut {
                timeouts.fetch_add(1, Ordering::Relaxed);
            }
            Step::Done
        };
        // One deadline for the whole response: a slow reader does not hold it open past it.
        let deadline = Instant::now() + self.edge.limits.io_timeout;
        let read_past_end = self.buf.len() > head_end + body_len;
        // The body's first part (all of a small answer) leaves with the head in one write: one
        // system call and one TCP segment (one TLS record) instead of two.
        let first = if streamed { head_end } else { self.buf.len().min(head_end + body_len) };
        head.extend_from_slice(&self.buf[head_end..first]);
        conn.write_all(&head, deadline).map_err(client_gone)?;
        if streamed {
            let rest = self.buf.split_off(head_end);
            self.buf.clear();
            let Some(backend) = self.backend.as_mut() else { return Err(Step::Done) };
            relay_chunked(conn, &mut backend.stream, rest, http10, self.edge.limits.io_timeout, &mut chunk)
                .map_err(client_gone)?;
        } else {
            // The rest of the body as it arrives, a chunk at a time: a 3 MiB answer is never held
            // whole here.
            let mut left = head_end + body_len - first;
            while left > 0 {
                let Some(backend) = self.backend.as_mut().map(|h| &mut h.stream) else {
                    return Err(Step::Done);
                };
                let want = left.min(chunk.len());
                match backend.read(&mut chunk[..want]) {
                    Ok(0) | Err(_) => {
                        // The client has part of the body: only closing tells it the rest is lost.
                        self.backend = None;
                        return Err(Step::Done);
                    }
                    Ok(n) => {
                        conn.write_all(&chunk[..n], deadline).map_err(client_gone)?;
                        left -= n;
                    }
                }
            }
        }
        // A whole answer read exactly to its end, on a connection tiny_http keeps open: kept for
        // the next exchange. A streamed answer ends its connection (the worker wrote it past
        // tiny_http), as does an HTTP/1.0 request (tiny_http closes after it).
        let exact = !read_past_end;
        self.buf.clear();
        if let Some(held) = self.backend.take()
            && exact
            && !streamed
            && !info.close
            && !http10
        {
            self.edge.backend.release(held);
        }
        Ok(!info.close || keep_alive)
    }
}

/// Passes a chunked backend body on to the client as it arrives (decoded for an HTTP/1.0 client),
/// each write bounded by `io_timeout`, until its last chunk. A backend that stops before its last
/// chunk (a report that failed half way) ends the client's connection too, so the client sees a
/// cut body and never a complete-looking one.
fn relay_chunked(
    conn: &mut Conn,
    backend: &mut UnixStream,
    first: Vec<u8>,
    http10: bool,
    io_timeout: Duration,
    chunk: &mut [u8],
) -> io::Result<()> {
    let mut framing = Chunked::default();
    let mut pending = first;
    let mut decoded = Vec::new();
    loop {
        decoded.clear();
        let fed = framing
            .feed(&pending, |data| {
                if http10 {
                    decoded.extend_from_slice(data);
                }
            })
            .map_err(io::Error::other)?;
        let end = match fed {
            Fed::End(n) => n,
            Fed::More => pending.len(),
        };
        let deadline = Instant::now() + io_timeout;
        conn.write_all(if http10 { &decoded } else { &pending[..end] }, deadline)?;
        if matches!(fed, Fed::End(_)) {
            return Ok(());
        }
        let n = backend.read(chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the streamed answer stopped early"));
        }
        pending.clear();
        pending.extend_from_slice(&chunk[..n]);
    }
}

/// A complete HTTP response carrying an error, in the surface's error shape (the one renderer,
/// [`Response::error`]); the connection closes.
fn error_response(surface: Surface, error: &Error) -> Vec<u8> {
    let r = Response::error(surface, error);
    let body = r.body.bytes();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        r.status,
        error.reason_phrase(),
        body.len()
    );
    for (name, value) in &r.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::head::Head;

    fn peer() -> SocketAddr {
        "192.0.2.7:5000".parse().unwrap()
    }

    fn check(raw: &str) -> Result<Head, String> {
        check_head(raw.as_bytes(), &Limits::default(), peer()).map_err(|r| r.error.detail)
    }

    #[test]
    fn forwards_with_peer_address_and_drops_client_forwarding() {
        let h = check("GET /v2/Users HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.1\r\n\r\n").unwrap();
        let f = String::from_utf8(h.forward).unwrap();
        assert!(f.contains("X-Forwarded-For: 192.0.2.7\r\n"));
        assert!(!f.contains("10.0.0.1"));
        assert!(h.keep_alive);
    }

    #[test]
    fn refuses_smuggling_shapes() {
        assert!(check("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").is_err());
        assert!(check("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n").is_err());
        assert!(check("POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n").is_err());
        assert!(check("GET / HTTP/1.1\r\nX-A: b\r\n c\r\n\r\n").is_err());
        assert!(check("GET / HTTP/1.1\r\nX-A: \u{e9}\r\n\r\n").is_err());
        assert!(check("GET http://x/ HTTP/1.1\r\n\r\n").is_err());
        assert!(check("GET / HTTP/2.0\r\n\r\n").is_err());
    }

    #[test]
    fn counts_fields() {
        let many: String = (0..101).map(|i| format!("X-{i}: v\r\n")).collect();
        assert!(check(&format!("GET / HTTP/1.1\r\n{many}\r\n")).is_err());
        let ok: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
        assert!(check(&format!("GET / HTTP/1.1\r\n{ok}\r\n")).is_ok());
    }

    #[test]
    fn finds_head_end_with_crlf_or_lf() {
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n\r\nBODY", 0), Some(18));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\n\nBODY", 0), Some(16));
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\nA: b\r\n", 0), None);
    }
}
