//! The serving process: listeners, workers, the background threads (checkpoint, sweep, watchdog),
//! the descriptor budget, signals, TLS reloads (and `scim-seat reload`), systemd notify and shutdown.

use super::{hand_over_first_tokens, initialise};
use crate::cli::{ReloadArgs, ServeArgs};
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::http::edge::{Edge, EdgeStats, Limits};
use crate::http::server::{self, Response};
use crate::http::tls::TlsState;
use crate::service::admin;
use crate::service::seats::Actor;
use crate::service::{App, ServiceConfig};
use crate::store::{Store, domains, state};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Admin API workers (the admin surface is light; SCIM workers are a flag).
const ADMIN_WORKERS: usize = 2;
/// How often the provisional review expiry runs while serving (SPEC: at least once a minute).
const SWEEP_INTERVAL: Duration = Duration::from_secs(30);
/// The file in a serving process's private directory that records the outcome of its last reload
/// (SIGHUP), for `scim-seat reload`: one line, `COUNT ok|failed WHAT`.
const RELOAD_OUTCOME: &str = "reload";

/// Descriptors one open connection costs: the client's socket, the edge's end of the backend
/// socket, and tiny_http's end of it.
const FDS_PER_CONNECTION: u64 = 3;
/// Descriptors kept for everything else: listeners, the database and its WAL for the writer and
/// every worker, logs, the sweep, the watchdog probe, a backup.
const FDS_RESERVED: u64 = 32;

/// Takes the descriptor budget seriously: raises the soft `RLIMIT_NOFILE` to the hard limit, then
/// lowers the connection caps (with a warning) when both listeners' caps would not fit in it with
/// room to spare, so running out of descriptors is a refused connection, never a dead listener.
fn descriptor_budget(mut limits: Limits, workers: usize) -> Limits {
    // SAFETY: getrlimit/setrlimit read and write this process's limits through a struct we own.
    let soft = unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return limits;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit { rlim_cur: lim.rlim_max, rlim_max: lim.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        lim.rlim_cur
    };
    let fixed = FDS_RESERVED + 3 * workers as u64;
    let per_listener = soft.saturating_sub(fixed) / (2 * FDS_PER_CONNECTION);
    let fits = usize::try_from(per_listener).unwrap_or(usize::MAX).max(1);
    if limits.max_connections > fits {
        log::warn!(
            "the open-file limit is {soft}: {} connections per listener would not fit with room to spare \
             ({FDS_PER_CONNECTION} descriptors each); lowering --max-connections to {fits} (raise LimitNOFILE= or \
             `ulimit -n` for more)",
            limits.max_connections
        );
        limits.max_connections = fits;
        limits.max_per_address = limits.max_per_address.min(fits);
    }
    limits
}

/// How often the WAL is checkpointed while serving (off the request path).
const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(500);

/// Checkpoints the WAL from its own thread and connection, so that no request's commit pays for it.
fn spawn_checkpointer(app: Arc<App>, shutdown: Arc<AtomicBool>) -> Result<std::thread::JoinHandle<()>> {
    app.store.checkpoint_in_background()?;
    let reader = app.store.reader()?;
    Ok(std::thread::Builder::new().name("checkpoint".into()).spawn(move || {
        while !shutdown.load(Ordering::SeqCst) {
            std::thread::sleep(CHECKPOINT_INTERVAL);
            if let Err(e) = app.store.checkpoint(&reader) {
                log::debug!("WAL checkpoint: {}", e.detail);
            }
        }
        // A last one, so a clean stop leaves a small WAL.
        let _ = app.store.checkpoint(&reader);
    })?)
}

/// Runs the provisional review expiry every `SWEEP_INTERVAL` until shutdown.
fn spawn_sweeper(app: Arc<App>, shutdown: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("sweep".into()).spawn(move || {
        let mut next = Instant::now();
        while !shutdown.load(Ordering::SeqCst) {
            if Instant::now() >= next {
                match admin::reconcile::sweep(&app.store, &Actor::system()) {
                    Ok(v) => {
                        let n = v.changed;
                        if n > 0 {
                            log::info!("provisional review sweep: {n} change(s)");
                        }
                    }
                    Err(e) => log::error!("provisional review sweep failed: {}", e.detail),
                }
                next = Instant::now() + SWEEP_INTERVAL;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

/// Half the watchdog period systemd asks for (`WATCHDOG_USEC`, for this process).
fn watchdog_interval() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    if let Some(pid) = std::env::var("WATCHDOG_PID").ok().and_then(|p| p.parse::<u32>().ok())
        && pid != std::process::id()
    {
        return None;
    }
    (usec > 0).then(|| Duration::from_micros(usec / 2))
}

/// Sends `WATCHDOG=1` each interval while the self-probe of both listeners succeeds (`/healthz`
/// through the edge, tiny_http and a worker of each surface). A probe that fails while every worker
/// of that listener is busy with a request in flight (slow admin work, say) is not a dead service:
/// the ping is sent and the busy probe logged, so slow requests cannot starve the watchdog into a
/// restart, while a dead accept loop or a stuck edge (nothing in flight) still stops the pings.
fn spawn_watchdog(
    probes: [(SocketAddr, Arc<EdgeStats>, usize); 2],
    tls: Option<Arc<TlsState>>,
    every: Duration,
    shutdown: Arc<AtomicBool>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("watchdog".into()).spawn(move || {
        let mut next = Instant::now();
        while !shutdown.load(Ordering::SeqCst) {
            if Instant::now() >= next {
                let probe = |(addr, stats, workers): &(SocketAddr, Arc<EdgeStats>, usize)| {
                    match crate::http::probe::healthz(
                        *addr,
                        tls.as_deref(),
                        every.min(Duration::from_secs(5)),
                    ) {
                        Ok(()) => Ok(()),
                        Err(e) if stats.busy.load(Ordering::SeqCst) >= *workers => {
                            log::warn!(
                                "watchdog self-probe of {addr} waited on busy workers ({e}); still pinging"
                            );
                            Ok(())
                        }
                        Err(e) => Err(format!("{addr}: {e}")),
                    }
                };
                match probe(&probes[0]).and_then(|()| probe(&probes[1])) {
                    Ok(()) => notify_systemd("WATCHDOG=1"),
                    Err(e) => log::error!("watchdog self-probe failed ({e}); not notifying systemd"),
                }
                next = Instant::now() + every;
            }
            std::thread::sleep(Duration::from_millis(20).min(every));
        }
    })
}

/// Everything a serving process owns, so shutdown can take it apart in order.
struct Listening {
    surface: Surface,
    addr: SocketAddr,
    edge: Arc<Edge>,
    accept: std::thread::JoinHandle<()>,
    backend: Arc<server::Backend>,
}

pub(super) fn serve(args: ServeArgs) -> Result<i32> {
    // Signals are taken by sigwait on this thread: block them before any thread starts.
    let signals = block_signals();
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(Arc::new(TlsState::load(cert, key)?)),
        _ => None,
    };
    if tls.is_none() {
        for addr in [args.listen, args.admin_listen] {
            if !addr.ip().is_loopback() && !args.insecure_http {
                return Err(Error::invalid_value(format!(
                    "plain HTTP on {addr} would expose tokens: give --tls-cert and --tls-key, listen on a \
                     loopback address, or pass --insecure-http"
                )));
            }
        }
        if args.insecure_http {
            log::warn!("--insecure-http: bearer tokens travel in clear text on the network");
        }
    }
    if let Some(domain) = &args.lab {
        domains::normalize(domain)?;
    }
    let store = Store::open(&args.db.db)?;
    if !state::is_initialised(&store.reader()?)? {
        let (admin, scim) = initialise(&store, args.lab.as_deref(), &Actor::system())?;
        hand_over_first_tokens(&args.db.db, &admin, &scim)?;
    }

    let scim_listener = bind(args.listen)?;
    let admin_listener = bind(args.admin_listen)?;
    let scim_addr = scim_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_path = args.normalized_base_path();
    let base_url = args
        .public_url
        .clone()
        .map(|u| u.trim_end_matches('/').to_string())
        .unwrap_or_else(|| format!("{scheme}://{scim_addr}{base_path}"));

    let edge_stats =
        [(Surface::Scim, Arc::new(EdgeStats::default())), (Surface::Admin, Arc::new(EdgeStats::default()))];
    let app = Arc::new(App::new(
        store,
        ServiceConfig {
            base_path: base_path.clone(),
            base_url,
            scan_timeout: Duration::from_millis(args.scan_timeout_ms),
        },
        edge_stats.to_vec(),
    )?);
    if let Some(t) = &tls {
        app.metrics.watch_tls(Arc::clone(t));
    }
    let socket_dir = private_socket_dir()?;
    let shutdown = Arc::new(AtomicBool::new(false));
    let limits = descriptor_budget(
        Limits {
            max_connections: args.max_connections as usize,
            max_per_address: match args.max_connections_per_address {
                0 => (args.max_connections as usize / 4).max(1),
                n => n as usize,
            },
            idle_timeout: Duration::from_millis(args.idle_timeout_ms),
            head_timeout: Duration::from_millis(args.head_timeout_ms),
            handshake_timeout: Duration::from_millis(args.handshake_timeout_ms),
            io_timeout: Duration::from_millis(args.io_timeout_ms),
            ..Limits::default()
        },
        args.workers as usize + ADMIN_WORKERS,
    );
    let mut listening = Vec::new();
    for (surface, listener, workers) in [
        (Surface::Scim, scim_listener, args.workers as usize),
        (Surface::Admin, admin_listener, ADMIN_WORKERS),
    ] {
        let socket = socket_dir.join(format!("{}.sock", surface.name()));
        let handler_app = Arc::clone(&app);
        let init_app = Arc::clone(&app);
        let backend = server::Backend::start(
            &socket,
            workers,
            surface,
            move || init_app.worker(),
            move |w: &mut Result<crate::service::Worker>, req| match w {
                Ok(w) => handler_app.handle(w, req, surface),
                Err(e) => Response::error(surface, e),
            },
        )?;
        let addr = listener.local_addr()?;
        let edge = Arc::new(Edge {
            surface,
            limits: limits.clone(),
            tls: tls.clone(),
            backend: Arc::clone(&backend),
            stats: edge_stats
                .iter()
                .find(|(s, _)| *s == surface)
                .map_or_else(|| Arc::new(EdgeStats::default()), |(_, st)| Arc::clone(st)),
            shutdown: Arc::clone(&shutdown),
        });
        let accept = Arc::clone(&edge).spawn(listener)?;
        listening.push(Listening { surface, addr, edge, accept, backend });
    }

    let sweeper = spawn_sweeper(Arc::clone(&app), Arc::clone(&shutdown))?;
    let checkpointer = spawn_checkpointer(Arc::clone(&app), Arc::clone(&shutdown))?;
    let watchdog = watchdog_interval()
        .map(|every| {
            let stats = |surface: Surface| {
                edge_stats
                    .iter()
                    .find(|(s, _)| *s == surface)
                    .map_or_else(|| Arc::new(EdgeStats::default()), |(_, st)| Arc::clone(st))
            };
            let probes = [
                (wake_addr(admin_addr), stats(Surface::Admin), ADMIN_WORKERS),
                (wake_addr(scim_addr), stats(Surface::Scim), args.workers as usize),
            ];
            spawn_watchdog(probes, tls.clone(), every, Arc::clone(&shutdown))
        })
        .transpose()?;
    println!("scim-seat ready scim={scheme}://{scim_addr}{base_path} admin={scheme}://{admin_addr}");
    let _ = std::io::stdout().flush();
    log::info!("serving SCIM on {scim_addr} and admin on {admin_addr}");
    notify_systemd("READY=1");

    let mut reloads = 0u64;
    loop {
        match wait_signal(&signals) {
            libc::SIGHUP => {
                reloads += 1;
                let outcome = match &tls {
                    Some(t) => t
                        .reload()
                        .map(|()| "TLS certificate and key reloaded".to_string())
                        .map_err(|e| format!("TLS reload failed, keeping the previous pair: {}", e.detail)),
                    None => Ok("SIGHUP: nothing to reload (no TLS)".to_string()),
                };
                match &outcome {
                    Ok(what) => log::info!("{what}"),
                    Err(what) => log::error!("{what}"),
                }
                record_reload(&socket_dir, reloads, &outcome);
            }
            sig => {
                log::info!("signal {sig}: shutting down");
                break;
            }
        }
    }
    notify_systemd("STOPPING=1");
    shutdown.store(true, Ordering::SeqCst);
    for l in &listening {
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&wake_addr(l.addr), Duration::from_millis(200));
    }
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    for l in listening {
        let _ = l.accept.join();
        while l.edge.stats.busy.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        l.backend.stop();
        log::debug!("{:?} listener stopped", l.surface);
    }
    let _ = sweeper.join();
    let _ = checkpointer.join();
    if let Some(w) = watchdog {
        let _ = w.join();
    }
    let _ = std::fs::remove_dir_all(&socket_dir);
    drop(app);
    log::info!("stopped");
    Ok(0)
}

fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| Error::invalid_value(format!("cannot listen on {addr}: {e}")))
}

/// A loopback address that reaches a listener bound to `addr` (0.0.0.0 and :: included).
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut a = addr;
    if a.ip().is_unspecified() {
        a.set_ip(if a.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() });
    }
    a
}

/// Where serving processes make their private directories: systemd's RuntimeDirectory=, else the
/// temporary directory.
fn runtime_base() -> PathBuf {
    std::env::var_os("RUNTIME_DIRECTORY").map(PathBuf::from).unwrap_or_else(std::env::temp_dir)
}

/// Whether process `pid` has ended (a signal 0 finds no such process).
fn process_gone(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists; the pid is a plain integer.
    unsafe { libc::kill(pid, 0) != 0 && *libc::__errno_location() == libc::ESRCH }
}

/// This user's private directories `scim-seat-PID-RANDOM` under `base`: (PID, path, metadata).
fn private_dirs(base: &Path) -> std::io::Result<Vec<(libc::pid_t, PathBuf, std::fs::Metadata)>> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    Ok(std::fs::read_dir(base)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let pid = e.file_name().to_str().and_then(dir_pid)?;
            let meta = std::fs::symlink_metadata(e.path()).ok()?;
            (meta.is_dir() && meta.uid() == me).then(|| (pid, e.path(), meta))
        })
        .collect())
}

/// Removes this user's `scim-seat-PID-RANDOM` directories whose process has ended without
/// cleaning up (killed, crashed): left behind, a later process given the same pid would look like
/// them to `scim-seat reload`.
fn prune_dead_dirs(base: &Path) {
    let Ok(dirs) = private_dirs(base) else { return };
    for (pid, path, _) in dirs {
        if pid != std::process::id() as libc::pid_t && process_gone(pid) {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => log::debug!("removed {}, left by ended process {pid}", path.display()),
                Err(e) => log::warn!("cannot remove {}, left by ended process {pid}: {e}", path.display()),
            }
        }
    }
}

/// The pid in a private directory's name `scim-seat-PID-RANDOM` (RANDOM: 12 hex digits).
fn dir_pid(name: &str) -> Option<libc::pid_t> {
    let (pid, rnd) = name.strip_prefix("scim-seat-")?.split_once('-')?;
    let hex = rnd.len() == 12 && rnd.bytes().all(|b| b.is_ascii_hexdigit());
    let digits = !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit());
    if hex && digits { pid.parse().ok().filter(|&p| p > 0) } else { None }
}

/// A fresh directory only this user can enter, for the edge-to-worker Unix sockets and the reload
/// outcome: `scim-seat-PID-RANDOM` under [`runtime_base`]. Directories left by ended processes
/// are removed first.
fn private_socket_dir() -> Result<PathBuf> {
    prune_dead_dirs(&runtime_base());
    let mut rnd = [0u8; 6];
    crate::util::random_bytes(&mut rnd)?;
    let dir = runtime_base().join(format!("scim-seat-{}-{}", std::process::id(), crate::util::hex(&rnd)));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// Writes the outcome of reload number `count` for `scim-seat reload` (replaced whole, by rename).
fn record_reload(dir: &Path, count: u64, outcome: &std::result::Result<String, String>) {
    let line = match outcome {
        Ok(what) => format!("{count} ok {what}\n"),
        Err(what) => format!("{count} failed {what}\n"),
    };
    let tmp = dir.join(format!("{RELOAD_OUTCOME}.tmp"));
    let written = std::fs::write(&tmp, line).and_then(|()| std::fs::rename(&tmp, dir.join(RELOAD_OUTCOME)));
    if let Err(e) = written {
        log::warn!("cannot record the reload outcome in {}: {e}", dir.display());
    }
}

/// The last reload outcome a serving process recorded: (count, ok, what happened).
fn read_reload(dir: &Path) -> Option<(u64, bool, String)> {
    let text = std::fs::read_to_string(dir.join(RELOAD_OUTCOME)).ok()?;
    let mut parts = text.trim_end().splitn(3, ' ');
    let count = parts.next()?.parse().ok()?;
    let ok = match parts.next()? {
        "ok" => true,
        "failed" => false,
        _ => return None,
    };
    Some((count, ok, parts.next().unwrap_or_default().to_string()))
}

/// The private directory of serving process `pid`, if it is this user's.
fn serving_dir(pid: u32) -> Result<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let base = runtime_base();
    let newest = private_dirs(&base)?
        .into_iter()
        .filter(|(p, _, _)| i64::from(*p) == i64::from(pid))
        .max_by_key(|(_, _, m)| m.mtime())
        .map(|(_, path, _)| path);
    newest.ok_or_else(|| {
        Error::not_found(format!(
            "no scim-seat serve process {pid} of this user under {} (is it running, with the same \
             RUNTIME_DIRECTORY or TMPDIR?)",
            base.display()
        ))
    })
}

/// `scim-seat reload --pid PID`: SIGHUP to a serving process, then its answer. Exit 0 when it
/// reloaded, 1 when it refused the new pair (it keeps serving the old one) or did not answer, so
/// `systemctl reload` fails when the reload did.
pub(super) fn reload(args: ReloadArgs) -> Result<i32> {
    let dir = serving_dir(args.pid)?;
    let before = read_reload(&dir).map_or(0, |(count, _, _)| count);
    let pid = libc::pid_t::try_from(args.pid)
        .map_err(|_| Error::invalid_value(format!("{} is not a process id", args.pid)))?;
    // SAFETY: kill only sends a signal; the pid and signal are plain integers.
    if unsafe { libc::kill(pid, libc::SIGHUP) } != 0 {
        let e = std::io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ESRCH) {
            return Err(Error::not_found(format!(
                "no scim-seat serve process {pid}: the process has ended (its directory {} was left behind)",
                dir.display()
            )));
        }
        return Err(Error::invalid_value(format!("cannot signal process {pid}: {e}")));
    }
    let deadline = Instant::now() + Duration::from_millis(args.timeout_ms);
    loop {
        match read_reload(&dir) {
            Some((count, true, what)) if count > before => {
                println!("{what}");
                return Ok(0);
            }
            Some((count, false, what)) if count > before => return Err(Error::invalid_value(what)),
            _ if Instant::now() >= deadline => {
                return Err(Error::internal(format!(
                    "process {pid} did not report its reload within {} ms",
                    args.timeout_ms
                )));
            }
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

fn block_signals() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; the calls only read and write
    // the set we own and this thread's signal mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGHUP);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

fn wait_signal(set: &libc::sigset_t) -> i32 {
    let mut sig: libc::c_int = 0;
    // SAFETY: `set` is an initialised signal set and `sig` a valid place for the answer.
    let rc = unsafe { libc::sigwait(set, &mut sig) };
    if rc != 0 { libc::SIGTERM } else { sig }
}

/// Sends a message to systemd's notify socket when there is one (Type=notify).
pub fn notify_systemd(msg: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else { return };
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(e) => {
            log::warn!("cannot notify systemd: {e}");
            return;
        }
    };
    let bytes = path.as_encoded_bytes();
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(name)
            .and_then(|a| sock.send_to_addr(msg.as_bytes(), &a))
    } else {
        sock.send_to(msg.as_bytes(), Path::new(&path))
    };
    if let Err(e) = sent {
        log::warn!("cannot notify systemd ({msg}): {e}");
    }
}
