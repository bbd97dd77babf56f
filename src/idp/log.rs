//! What a provisioning log shows: every request as one JSON line (`--log FILE`: the object, the
//! action, method and path, the target's id, the status, and the reason and error of a failure),
//! the outcome of every user and group counted into a [`Summary`] (created, updated, deactivated,
//! deleted, skipped and failed, by reason), a progress line on a terminal, and in a dry run the
//! requests that would be written, printed instead of sent.
//!
//! The log is shared by the cycle's workers; each line is written whole under a lock.

use super::Dialect;
use super::client::{Failure, Reply, Request};
use crate::error::{Error, Result};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// What became of one user or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Created,
    Updated,
    Deactivated,
    Deleted,
    Skipped(&'static str),
    Failed(String),
}

/// The end of a cycle in numbers.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub dialect: Option<Dialect>,
    pub dry_run: bool,
    /// Users in the directory, and users in the escrow that left it.
    pub directory_users: usize,
    pub out_of_scope: usize,
    pub created: usize,
    pub updated: usize,
    pub deactivated: usize,
    pub deleted: usize,
    /// Users a matching query found in the target (linked, then updated or left as they were).
    pub matched: usize,
    pub skipped: BTreeMap<String, usize>,
    pub failed: BTreeMap<String, usize>,
    pub groups_created: usize,
    pub groups_updated: usize,
    pub members_added: usize,
    pub members_removed: usize,
    /// Users and groups not attempted because the cycle stopped.
    pub not_attempted: usize,
    pub requests: usize,
    pub failed_requests: usize,
    pub writes: usize,
    /// Why the cycle stopped (early, or ended with most of it failed: Entra's quarantine).
    pub stopped: Option<String>,
    pub users_seconds: f64,
    pub seconds: f64,
    /// Users processed in the users phase (every row and leaver that was attempted).
    pub users_processed: usize,
}

impl Summary {
    pub fn failures(&self) -> usize {
        self.failed.values().sum()
    }

    fn users_per_second(&self) -> f64 {
        if self.users_seconds > 0.0 { self.users_processed as f64 / self.users_seconds } else { 0.0 }
    }

    pub fn json(&self) -> Value {
        json!({
            "dialect": self.dialect.map(Dialect::as_str),
            "dry_run": self.dry_run,
            "directory_users": self.directory_users,
            "out_of_scope": self.out_of_scope,
            "created": self.created,
            "updated": self.updated,
            "deactivated": self.deactivated,
            "deleted": self.deleted,
            "matched": self.matched,
            "skipped": self.skipped,
            "failed": self.failed,
            "groups": {"created": self.groups_created, "updated": self.groups_updated,
                       "members_added": self.members_added, "members_removed": self.members_removed},
            "not_attempted": self.not_attempted,
            "requests": self.requests,
            "failed_requests": self.failed_requests,
            "writes": self.writes,
            "stopped": self.stopped,
            "seconds": round2(self.seconds),
            "users_seconds": round2(self.users_seconds),
            "users_per_second": round2(self.users_per_second()),
        })
    }

    /// The summary for people.
    pub fn text(&self) -> String {
        let by_reason = |m: &BTreeMap<String, usize>| {
            if m.is_empty() {
                "none".to_string()
            } else {
                let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k} {v}")).collect();
                format!("{} ({})", m.values().sum::<usize>(), parts.join(", "))
            }
        };
        let mut out = String::new();
        if self.dry_run {
            out.push_str("dry run: nothing was written; the writes above would be sent\n");
        }
        out.push_str(&format!(
            "{} cycle: {} user(s) in the directory, {} out of scope\n",
            self.dialect.map(Dialect::label).unwrap_or("idp"),
            self.directory_users,
            self.out_of_scope
        ));
        out.push_str(&format!(
            "users: {} created, {} updated, {} deactivated, {} deleted ({} matched in the target)\n",
            self.created, self.updated, self.deactivated, self.deleted, self.matched
        ));
        out.push_str(&format!("skipped: {}\n", by_reason(&self.skipped)));
        out.push_str(&format!("failed: {}\n", by_reason(&self.failed)));
        out.push_str(&format!(
            "groups: {} created, {} updated ({} member(s) added, {} removed)\n",
            self.groups_created, self.groups_updated, self.members_added, self.members_removed
        ));
        if self.not_attempted > 0 {
            out.push_str(&format!("not attempted: {}\n", self.not_attempted));
        }
        let sent = if self.dry_run {
            format!("{} reads sent, {} writes printed", self.requests, self.writes)
        } else {
            format!("{} ({} writes, {} failed)", self.requests, self.writes, self.failed_requests)
        };
        out.push_str(&format!(
            "requests: {sent} in {:.1} s; users phase {:.1} s, {:.0} users/s\n",
            self.seconds,
            self.users_seconds,
            self.users_per_second()
        ));
        if let Some(why) = &self.stopped {
            out.push_str(&format!("STOPPED: {why}\n"));
        }
        out
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The cycle's log. `object` is `user` or `group`; `key` its userName or display name.
pub struct Log {
    dialect: Dialect,
    dry_run: bool,
    file: Option<Mutex<BufWriter<File>>>,
    summary: Mutex<Summary>,
    progress: Option<Mutex<Progress>>,
    started: Instant,
}

struct Progress {
    phase: &'static str,
    done: usize,
    total: usize,
    failed: usize,
    drawn: Option<Instant>,
}

impl Log {
    pub fn open(path: Option<&Path>, dialect: Dialect, dry_run: bool) -> Result<Log> {
        let file =
            match path {
                Some(p) => Some(Mutex::new(BufWriter::new(
                    std::fs::OpenOptions::new().create(true).append(true).open(p).map_err(|e| {
                        Error::invalid_value(format!("cannot open the log {}: {e}", p.display()))
                    })?,
                ))),
                None => None,
            };
        let summary = Summary { dialect: Some(dialect), dry_run, ..Summary::default() };
        let progress = std::io::stderr()
            .is_terminal()
            .then(|| Mutex::new(Progress { phase: "", done: 0, total: 0, failed: 0, drawn: None }));
        Ok(Log { dialect, dry_run, file, summary: Mutex::new(summary), progress, started: Instant::now() })
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Writes one line: what every line has (time, dialect, object, key, action), the request and
    /// its target id when there is one, then `fields`.
    fn line(
        &self,
        object: &str,
        key: &str,
        action: &str,
        req: Option<(&Request, Option<&str>)>,
        fields: Value,
    ) {
        let Some(f) = &self.file else { return };
        let mut v = json!({
            "at": crate::util::now_rfc3339(),
            "dialect": self.dialect.as_str(),
            "object": object,
            "key": key,
            "action": action,
        });
        if let Some((req, target_id)) = req {
            v["method"] = json!(req.method.as_str());
            v["path"] = json!(req.path);
            v["target_id"] = json!(target_id);
        }
        if let (Some(all), Value::Object(more)) = (v.as_object_mut(), fields) {
            all.extend(more);
        }
        if let Ok(mut w) = f.lock() {
            let _ = writeln!(w, "{v}");
        }
    }

    fn count(&self, f: impl FnOnce(&mut Summary)) {
        if let Ok(mut s) = self.summary.lock() {
            f(&mut s);
        }
    }

    /// One request and its answer (or why there was none).
    pub fn request(
        &self,
        object: &str,
        key: &str,
        action: &str,
        req: &Request,
        target_id: Option<&str>,
        answer: &std::result::Result<Reply, Failure>,
    ) {
        let (status, ok, reason, error, elapsed) = match answer {
            Ok(r) if r.ok() => (Some(r.status), true, None, None, r.elapsed),
            Ok(r) => (Some(r.status), false, Some(status_reason(r)), Some(r.error_detail()), r.elapsed),
            Err(f) => (None, false, Some(f.reason.to_string()), Some(f.detail.clone()), f.elapsed),
        };
        self.count(|s| {
            s.requests += 1;
            s.writes += usize::from(req.method.writes());
            s.failed_requests += usize::from(!ok);
        });
        self.line(
            object,
            key,
            action,
            Some((req, target_id)),
            json!({
                "status": status,
                "ok": ok,
                "reason": reason,
                "error": error,
                "ms": elapsed.as_millis() as u64,
            }),
        );
    }

    /// A write a dry run does not send: printed, and logged without a status.
    pub fn would_send(&self, object: &str, key: &str, action: &str, req: &Request, target_id: Option<&str>) {
        let body = req.body.as_ref().map(|b| format!(" {b}")).unwrap_or_default();
        println!("{} {}{body}", req.method.as_str(), req.path);
        self.count(|s| s.writes += 1);
        self.line(
            object,
            key,
            action,
            Some((req, target_id)),
            json!({
                "status": null,
                "ok": true,
                "dry_run": true,
            }),
        );
    }

    /// Why a step failed when its requests' lines do not say it (an answer that cannot be used).
    pub fn problem(&self, object: &str, key: &str, action: &str, reason: &str, detail: &str) {
        self.line(
            object,
            key,
            action,
            None,
            json!({
                "ok": false,
                "reason": reason,
                "error": detail,
            }),
        );
    }

    /// What became of one user (counted, and drawn in the progress line).
    pub fn user_done(&self, done: &Done, matched: bool) {
        self.count(|s| {
            s.users_processed += 1;
            s.matched += usize::from(matched);
            match done {
                Done::Created => s.created += 1,
                Done::Updated => s.updated += 1,
                Done::Deactivated => s.deactivated += 1,
                Done::Deleted => s.deleted += 1,
                Done::Skipped(why) => *s.skipped.entry((*why).to_string()).or_default() += 1,
                Done::Failed(why) => *s.failed.entry(why.clone()).or_default() += 1,
            }
        });
        self.tick(matches!(done, Done::Failed(_)));
    }

    /// What became of one group's step.
    pub fn group_done(
        &self,
        created: bool,
        updated: bool,
        added: usize,
        removed: usize,
        failed: Option<&str>,
    ) {
        self.count(|s| {
            s.groups_created += usize::from(created);
            s.groups_updated += usize::from(updated);
            s.members_added += added;
            s.members_removed += removed;
            if let Some(why) = failed {
                *s.failed.entry(format!("group {why}")).or_default() += 1;
            }
        });
        self.tick(failed.is_some());
    }

    pub fn with_summary(&self, f: impl FnOnce(&mut Summary)) {
        self.count(f);
    }

    /// Starts a progress phase of `total` steps.
    pub fn phase(&self, phase: &'static str, total: usize) {
        if let Some(p) = &self.progress
            && let Ok(mut p) = p.lock()
        {
            if p.drawn.is_some() {
                eprintln!();
            }
            *p = Progress { phase, done: 0, total, failed: 0, drawn: None };
        }
    }

    fn tick(&self, failed: bool) {
        let Some(p) = &self.progress else { return };
        let Ok(mut p) = p.lock() else { return };
        p.done += 1;
        p.failed += usize::from(failed);
        if p.done == p.total || p.drawn.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            eprint!("\r{} {}/{} ({} failed)", p.phase, p.done, p.total, p.failed);
            p.drawn = Some(Instant::now());
        }
    }

    /// Ends the log: the summary as the last line, the file flushed.
    pub fn finish(&self) -> Result<Summary> {
        if let Some(p) = &self.progress
            && let Ok(p) = p.lock()
            && p.drawn.is_some()
        {
            eprintln!();
        }
        let mut summary = self.summary.lock().map(|s| s.clone()).unwrap_or_default();
        summary.seconds = self.started.elapsed().as_secs_f64();
        if let Some(f) = &self.file
            && let Ok(mut w) = f.lock()
        {
            writeln!(w, "{}", json!({ "at": crate::util::now_rfc3339(), "summary": summary.json() }))
                .and_then(|()| w.flush())
                .map_err(|e| Error::invalid_value(format!("cannot write the log: {e}")))?;
        }
        Ok(summary)
    }
}

/// The reason code of a failed answer: `http_403`, with the SCIM `scimType` when there is one.
pub fn status_reason(r: &Reply) -> String {
    match r.scim_type() {
        Some(t) if !t.is_empty() && t.len() <= 40 && t.chars().all(|c| c.is_ascii_alphanumeric()) => {
            format!("http_{}_{t}", r.status)
        }
        _ => format!("http_{}", r.status),
    }
}
