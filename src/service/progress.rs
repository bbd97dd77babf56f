//! Progress of whole-plan work (reports, previews, reconcile, the sweep, the plan-model switch):
//! each run registers while it lasts, counts the users it has read, and logs a line every few
//! seconds, so an administrator sees how far a long run is (`GET /admin/operations`, the console,
//! the service's log, the CLI's standard error).
//!
//! The register is this process's: it is the running work of this server (or of this CLI command),
//! as the log is; a CLI command on the same database file is seen in its own output, not here.

use crate::store::{Read, users};
use crate::util;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often a long run logs how far it is.
const LOG_EVERY: Duration = Duration::from_secs(2);

/// One run, as the register holds it.
struct Entry {
    id: u64,
    kind: &'static str,
    started_at: String,
    started: Instant,
    /// Users to read: the plan's users times the passes the run makes over them.
    total: u64,
    done: AtomicU64,
}

static RUNNING: Mutex<Vec<Arc<Entry>>> = Mutex::new(Vec::new());
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A run in progress; it leaves the register when dropped (finished, failed or cut off).
pub struct Progress {
    entry: Arc<Entry>,
    logged: Instant,
}

impl Progress {
    /// Registers a run of `kind` that reads the plan's users `passes` times.
    pub fn start(db: &impl Read, kind: &'static str, passes: u64) -> crate::error::Result<Progress> {
        let total = users::count_all(db)? * passes;
        let entry = Arc::new(Entry {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            kind,
            started_at: util::now_rfc3339(),
            started: Instant::now(),
            total,
            done: AtomicU64::new(0),
        });
        RUNNING.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&entry));
        Ok(Progress { logged: entry.started, entry })
    }

    /// Counts `users` more read; logs how far the run is when the last line is old enough.
    pub fn advance(&mut self, users: usize) {
        if crate::fault::hit("slow_batch") {
            std::thread::sleep(Duration::from_millis(300));
        }
        let done = self.entry.done.fetch_add(users as u64, Ordering::Relaxed) + users as u64;
        if self.logged.elapsed() >= LOG_EVERY {
            self.logged = Instant::now();
            log::info!(
                "{}: {done} of {} users read ({}%) in {:.1} s",
                self.entry.kind,
                self.entry.total,
                percent(done, self.entry.total),
                self.entry.started.elapsed().as_secs_f64()
            );
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        RUNNING.lock().unwrap_or_else(PoisonError::into_inner).retain(|e| e.id != self.entry.id);
        // A run long enough to have logged its progress also logs its end.
        if self.logged != self.entry.started {
            log::info!(
                "{}: ended after {} users read in {:.1} s",
                self.entry.kind,
                self.entry.done.load(Ordering::Relaxed),
                self.entry.started.elapsed().as_secs_f64()
            );
        }
    }
}

fn percent(done: u64, total: u64) -> u64 {
    (done.min(total) * 100).checked_div(total).unwrap_or(100)
}

/// A running operation as `GET /admin/operations` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    pub id: u64,
    pub kind: &'static str,
    pub started: String,
    pub elapsed_ms: u64,
    pub done: u64,
    pub total: u64,
    pub percent: u64,
}

/// The runs in progress in this process, oldest first.
pub fn running() -> Vec<Running> {
    let entries: Vec<Arc<Entry>> = RUNNING.lock().unwrap_or_else(PoisonError::into_inner).clone();
    entries
        .iter()
        .map(|e| {
            let done = e.done.load(Ordering::Relaxed).min(e.total);
            Running {
                id: e.id,
                kind: e.kind,
                started: e.started_at.clone(),
                elapsed_ms: u64::try_from(e.started.elapsed().as_millis()).unwrap_or(u64::MAX),
                done,
                total: e.total,
                percent: percent(done, e.total),
            }
        })
        .collect()
}

/// Calls `f` on every user in creation order, a batch at a time ([`users::each`]), counting each
/// batch in `progress`.
pub fn each(
    db: &impl Read,
    progress: &mut Progress,
    mut f: impl FnMut(users::UserRow) -> crate::error::Result<()>,
) -> crate::error::Result<()> {
    let mut after = None;
    loop {
        let batch = users::next_batch(db, &mut after)?;
        let (len, full) = (batch.len(), batch.len() == users::BATCH);
        for u in batch {
            f(u)?;
        }
        progress.advance(len);
        if !full {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percent_is_bounded_and_safe_on_an_empty_plan() {
        assert_eq!(percent(0, 0), 100);
        assert_eq!(percent(250, 1000), 25);
        assert_eq!(percent(1500, 1000), 100);
    }
}
