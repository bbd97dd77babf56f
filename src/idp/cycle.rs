//! One provisioning cycle, as the IdPs run it:
//!
//! 1. **Connection test** (Entra's Test Connection, Okta's Test API Credentials). A refusal stops
//!    the cycle before anything is written: 401 or 403 is the credentials, which Entra quarantines.
//! 2. **Users** ([`super::users`]), in parallel over `--connections` keep-alive connections: every
//!    row of the directory (matched, created, updated, deactivated or deleted) and every user of the
//!    escrow that left the directory (deactivated).
//! 3. **Groups** ([`super::groups`]), in two passes so that a user moving between groups gains the
//!    new one before it loses the old one (no seat goes down and up again): first each group is
//!    found or created and gets its new members, then the members that left are removed.
//!
//! Escalation, mirroring Entra's: once at least [`QUARANTINE_MIN_OPS`] users or groups have been
//! attempted and more than half of them failed, the cycle stops and says the job would be put in
//! quarantine; a cycle that ends with most of its attempts failed says so too. The escrow keeps
//! what succeeded, so the next cycle retries only what failed.

use super::Dialect;
use super::client::{Failure, Method, Reply, Request, Target};
use super::directory::DirUser;
use super::escrow::Escrow;
use super::log::{Log, status_reason};
use super::{entra, okta};
use crate::base::text::fold_case;
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

/// Attempts seen before the cycle may stop for failures.
pub const QUARANTINE_MIN_OPS: usize = 10;

/// The cycle's shared state (the workers hold `&Cycle`).
pub struct Cycle<'a> {
    pub(super) dialect: Dialect,
    pub(super) target: &'a Target,
    pub(super) log: &'a Log,
    workers: usize,
    stop: AtomicBool,
    ops: AtomicUsize,
    failed_ops: AtomicUsize,
}

/// The user or group a request is for, and how many requests it took.
pub(super) struct Cx {
    pub object: &'static str,
    pub key: String,
    pub requests: usize,
}

impl Cx {
    pub fn new(object: &'static str, key: &str) -> Cx {
        Cx { object, key: key.to_string(), requests: 0 }
    }
}

/// A request that did not succeed: an answer outside 2xx, or none.
pub(super) enum Miss {
    Status(Reply),
    Lost(Failure),
}

impl Miss {
    pub fn status(&self) -> Option<u16> {
        match self {
            Miss::Status(r) => Some(r.status),
            Miss::Lost(_) => None,
        }
    }

    /// The reason code counted in the summary.
    pub fn reason(&self) -> String {
        match self {
            Miss::Status(r) => status_reason(r),
            Miss::Lost(f) => f.reason.to_string(),
        }
    }

    fn detail(&self) -> String {
        match self {
            Miss::Status(r) => format!("HTTP {}: {}", r.status, r.error_detail()),
            Miss::Lost(f) => format!("{}: {}", f.reason, f.detail),
        }
    }
}

impl<'a> Cycle<'a> {
    pub fn new(dialect: Dialect, target: &'a Target, log: &'a Log, workers: usize) -> Cycle<'a> {
        Cycle {
            dialect,
            target,
            log,
            workers: workers.max(1),
            stop: AtomicBool::new(false),
            ops: AtomicUsize::new(0),
            failed_ops: AtomicUsize::new(0),
        }
    }

    /// Runs the whole cycle; the escrow is updated with what the target acknowledged.
    pub fn run(&self, directory: &[DirUser], escrow: &mut Escrow) {
        self.log.with_summary(|s| s.directory_users = directory.len());
        let target_users = match self.probe() {
            Ok(total) => total,
            Err(why) => {
                self.log.with_summary(|s| {
                    s.stopped = Some(why);
                    s.not_attempted = directory.len();
                });
                return;
            }
        };
        let started = Instant::now();
        let not_attempted = self.users_phase(directory, escrow, target_users);
        self.log.with_summary(|s| s.users_seconds = started.elapsed().as_secs_f64());
        let not_attempted =
            not_attempted + if self.stopped() { 0 } else { self.groups_phase(directory, escrow) };
        let (ops, failed) = (self.ops.load(Ordering::SeqCst), self.failed_ops.load(Ordering::SeqCst));
        let quarantine =
            (self.stopped() || (ops > 0 && failed * 2 > ops)).then(|| self.quarantine(ops, failed));
        self.log.with_summary(|s| {
            s.not_attempted += not_attempted;
            s.stopped = quarantine;
        });
    }

    /// The connection test; `Err` is why the cycle cannot run. Okta's (a list) also tells how many
    /// users the target has.
    fn probe(&self) -> Result<Option<usize>, String> {
        let req = match self.dialect {
            Dialect::Entra => entra::probe(
                &crate::util::uuid().unwrap_or_else(|_| "00000000-0000-4000-8000-000000000000".into()),
            ),
            Dialect::Okta => okta::probe(),
        };
        let mut cx = Cx::new("target", "connection test");
        match self.call(&mut cx, "probe", &req, None) {
            Ok(reply) => Ok(match self.dialect {
                Dialect::Okta => reply
                    .and_then(|r| r.json)
                    .and_then(|j| j.get("totalResults").and_then(Value::as_u64))
                    .and_then(|n| usize::try_from(n).ok()),
                Dialect::Entra => None,
            }),
            Err(m @ Miss::Status(_)) if matches!(m.status(), Some(401 | 403)) => Err(format!(
                "the target refused the credentials at the connection test ({}); {}: check --token (a SCIM token \
                 of the target) and run again",
                m.detail(),
                match self.dialect {
                    Dialect::Entra => "Entra puts a job with invalid credentials in quarantine",
                    Dialect::Okta => "Okta's Test API Credentials fails and nothing is provisioned",
                }
            )),
            Err(m) => Err(format!(
                "the connection test failed ({}): nothing was sent; check --target (the SCIM base URL, e.g. \
                 https://host/v2){}",
                m.detail(),
                if m.reason() == "tls" { " and --cacert (the CA of the target's certificate)" } else { "" }
            )),
        }
    }

    /// Sends one request (a dry run prints a write instead) and logs it. `Ok(None)` is a write a
    /// dry run did not send.
    pub(super) fn call(
        &self,
        cx: &mut Cx,
        action: &'static str,
        req: &Request,
        id: Option<&str>,
    ) -> Result<Option<Reply>, Miss> {
        cx.requests += 1;
        if self.log.dry_run() && req.method.writes() {
            self.log.would_send(cx.object, &cx.key, action, req, id);
            return Ok(None);
        }
        let answer = self.target.send(req);
        let created = match (&answer, req.method) {
            (Ok(r), Method::Post) if r.ok() => {
                r.json.as_ref().and_then(|j| j.get("id")).and_then(Value::as_str)
            }
            _ => None,
        };
        self.log.request(cx.object, &cx.key, action, req, id.or(created), &answer);
        match answer {
            Ok(r) if r.ok() => Ok(Some(r)),
            Ok(r) => Err(Miss::Status(r)),
            Err(f) => Err(Miss::Lost(f)),
        }
    }

    /// Records why a user's or group's step failed when the request log alone does not say it.
    pub(super) fn problem(&self, cx: &Cx, action: &str, reason: &str, detail: &str) {
        self.log.problem(cx.object, &cx.key, action, reason, detail);
    }

    /// Counts a finished attempt (one that sent at least one request) and stops the cycle when most
    /// attempts fail.
    pub(super) fn finished(&self, cx: &Cx, failed: bool) {
        if cx.requests == 0 {
            return;
        }
        let ops = self.ops.fetch_add(1, Ordering::SeqCst) + 1;
        let failed_ops =
            self.failed_ops.fetch_add(usize::from(failed), Ordering::SeqCst) + usize::from(failed);
        if ops >= QUARANTINE_MIN_OPS && failed_ops * 2 > ops {
            self.stop.store(true, Ordering::SeqCst);
        }
    }

    fn quarantine(&self, ops: usize, failed: usize) -> String {
        format!(
            "{failed} of {ops} users and groups attempted failed, most of the cycle: the cycle {}; Entra's \
             provisioning service would put this job in quarantine (retried after 6 h, 12 h, 24 h, then daily). \
             The log shows every failure and its reason; fix the cause and run the cycle again{}",
            if self.stopped() { "stopped early" } else { "ended" },
            if self.dialect == Dialect::Okta { " (Okta lists such failures as tasks to retry)" } else { "" }
        )
    }

    pub(super) fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Runs `f` over `items` on the workers; an item not attempted because the cycle stopped is
    /// `None`.
    pub(super) fn parallel<T: Sync, R: Send>(
        &self,
        items: &[T],
        f: impl Fn(&T) -> R + Sync,
    ) -> Vec<Option<R>> {
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
        let work = || {
            while !self.stopped() {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut all) = results.lock()
                    && let Some(slot) = all.get_mut(i)
                {
                    *slot = Some(r);
                }
            }
        };
        std::thread::scope(|s| {
            let mut spawned = 0;
            for n in 0..self.workers.min(items.len()) {
                if std::thread::Builder::new().name(format!("idp-{n}")).spawn_scoped(s, work).is_ok() {
                    spawned += 1;
                }
            }
            if spawned == 0 {
                work();
            }
        });
        results.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

/// The id in a 2xx answer to a create.
pub(super) fn id_of(reply: &Reply) -> Result<String, String> {
    match reply.json.as_ref().and_then(|j| j.get("id")) {
        Some(Value::String(id)) if !id.trim().is_empty() => Ok(id.clone()),
        _ => Err("invalid_response".into()),
    }
}

/// The resources of a list answer whose `attr` equals `value` (ignoring case).
pub(super) fn matching<'r>(reply: &'r Reply, attr: &str, value: &str) -> Result<Vec<&'r Value>, String> {
    let Some(Value::Object(list)) = &reply.json else { return Err("invalid_response".into()) };
    let field = |o: &'r serde_json::Map<String, Value>, k: &str| {
        o.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v)
    };
    let resources = match field(list, "Resources") {
        Some(Value::Array(items)) => items.as_slice(),
        None | Some(Value::Null) => &[],
        Some(_) => return Err("invalid_response".into()),
    };
    let want = fold_case(value);
    Ok(resources
        .iter()
        .filter(|r| {
            r.as_object()
                .and_then(|o| field(o, attr))
                .and_then(Value::as_str)
                .is_some_and(|v| fold_case(v) == want)
        })
        .collect())
}
