//! SQLite storage: the only module with SQL.
//!
//! One file, WAL mode, `synchronous=FULL`, foreign keys on. Reads use a connection per worker
//! ([`Store::reader`]) and run in parallel with the writer thanks to WAL.
//!
//! Writes go through [`Store::write`], one writer connection, with group commit: a durable commit
//! costs one fsync, so writers that arrive while another is working join its transaction
//! (`BEGIN IMMEDIATE`), each after the first inside its own SAVEPOINT: a write whose closure fails
//! (or panics) is rolled back alone (the first, with the transaction it began). The last writer of
//! the batch (no one else waiting, or the batch full) commits for all, and every writer of the batch
//! returns only after that commit: nothing is acknowledged before it is durable, and a failed commit
//! fails every write of the batch.
//!
//! The seam is typed: a query that only reads takes `&impl Read`, which a per-worker [`Reader`] and a
//! [`WriteTx`] both are; a query that writes takes `&WriteTx`, which only [`Store::write`] creates.
//! A write on a reader does not compile, and nothing outside this module sees a SQL connection.
//! The submodules hold the queries for one table family each and convert columns to the domain's
//! types (`sql.rs`), so rows carry `Status`, `Option<Seat>` and typed settings, not text.

pub mod audit;
pub mod domains;
pub mod groups;
pub mod migrate;
pub mod settings;
mod sql;
pub mod state;
pub mod tokens;
pub mod users;

use crate::error::{Error, Result};
use crate::util;
use rusqlite::{Connection, OpenFlags};
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long a connection waits on a lock held by another (e.g. a CLI command on the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Page cache of the writer connection, KiB. The operating system's page cache serves the rest.
const WRITER_CACHE_KIB: i64 = 8192;
/// Page cache of each reader connection, KiB: there is one reader per worker, so this bounds memory.
const READER_CACHE_KIB: i64 = 2048;

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                rusqlite::ErrorCode::DiskFull | rusqlite::ErrorCode::SystemIoFailure => {
                    log::error!("storage failure: {e}");
                    let mut err = Error::new(
                        crate::error::Kind::Unavailable,
                        "the server could not write to its disk (full or failing): the change was not saved; \
                         retry later",
                    );
                    err.retry_after = Some(30);
                    return err;
                }
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked => {
                    return Error::new(
                        crate::error::Kind::Unavailable,
                        "the database is busy: retry the request",
                    );
                }
                _ => {}
            }
        }
        Error::internal(format!("database error: {e}"))
    }
}

/// Most writes one commit may carry (bounds the latency of the first one).
const MAX_BATCH: usize = 64;

mod sealed {
    /// The connection under a [`super::Read`]; private to the store, so no code above it runs SQL.
    pub trait Conn {
        fn conn(&self) -> &rusqlite::Connection;
    }
}

/// Something queries may read from: a [`Reader`] or a [`WriteTx`].
pub trait Read: sealed::Conn {}

/// A read connection (one per worker thread): reads only.
pub struct Reader {
    conn: Connection,
}

impl sealed::Conn for Reader {
    fn conn(&self) -> &Connection {
        &self.conn
    }
}
impl Read for Reader {}

impl Reader {
    /// A number that changes whenever any connection commits (`PRAGMA data_version`): caches of
    /// what was read are fresh while it stays the same.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?)
    }

    /// Reads from here to [`Reader::end_snapshot`] see one state of the database, in one read
    /// transaction (instead of one per query: fewer locks taken, the page cache kept). A snapshot
    /// left open (a handler that panicked) is ended first.
    pub fn begin_snapshot(&self) -> Result<()> {
        self.end_snapshot();
        Ok(self.conn.execute_batch("BEGIN")?)
    }

    /// Ends the snapshot, if one is open.
    pub fn end_snapshot(&self) {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }

    /// Whether the database answers a query (`/healthz`).
    pub fn ping(&self) -> Result<()> {
        self.conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?;
        Ok(())
    }
}

/// The open write transaction of [`Store::write`]: the only value that may change data.
pub struct WriteTx<'a> {
    conn: &'a Connection,
}

impl sealed::Conn for WriteTx<'_> {
    fn conn(&self) -> &Connection {
        self.conn
    }
}
impl Read for WriteTx<'_> {}

pub struct Store {
    path: PathBuf,
    writer: Mutex<Writer>,
    /// Writers waiting for the writer lock: while some are, the holder leaves the commit to them.
    waiting: AtomicUsize,
    /// How batches ended, for the writers that wait for their batch's commit. Apart from the writer
    /// lock: a writer woken by the commit returns at once, instead of queueing for the writer lock
    /// behind the next batch's writes.
    ended: Mutex<Ended>,
    committed: Condvar,
    /// Where recent SCIM list pages ended (see [`users::scim_page`]).
    positions: users::Positions,
}

struct Writer {
    conn: Connection,
    /// A batch transaction is open.
    in_tx: bool,
    /// Writes in the open batch.
    batch_len: usize,
    /// Number of the open (or last) batch.
    batch: u64,
}

/// How the batches ended (see [`Store::ended`]).
#[derive(Default)]
struct Ended {
    /// Every batch up to this one has ended (committed, failed or rolled back).
    through: u64,
    /// The batches whose commit failed, newest last, kept for their waiters: a waiter may wake only
    /// after later batches committed, and must still learn that its own failed.
    failed: std::collections::VecDeque<(u64, Error)>,
}

impl Ended {
    fn failure(&self, batch: u64) -> Option<Error> {
        self.failed.iter().rev().find(|(b, _)| *b == batch).map(|(_, e)| e.clone())
    }
}

/// Failed batches remembered for their waiters (a waiter wakes long before this many more fail).
const FAILED_KEPT: usize = 1024;

impl Writer {
    fn commit(&mut self) -> Result<()> {
        let result = if crate::fault::hit("commit") {
            let full = rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL);
            Err(Error::from(rusqlite::Error::SqliteFailure(full, Some("injected: commit".into()))))
        } else {
            self.conn.execute_batch("COMMIT").map_err(Error::from)
        };
        if result.is_err() {
            // COMMIT failed (e.g. disk full): the transaction may still be open; end it.
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.in_tx = false;
        self.batch_len = 0;
        result
    }
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = connect(path, true)?;
        migrate::migrate(&mut conn)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Mutex::new(Writer { conn, in_tx: false, batch_len: 0, batch: 0 }),
            waiting: AtomicUsize::new(0),
            ended: Mutex::new(Ended::default()),
            committed: Condvar::new(),
            positions: users::Positions::default(),
        })
    }

    /// Opens an existing database; refuses a path where no database exists.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.exists() {
            return Err(Error::not_found(format!(
                "no database at {}: run `scim-seat init --db {}` first",
                path.display(),
                path.display()
            )));
        }
        Store::open(path)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where recent SCIM list pages ended, for the next ones.
    pub fn positions(&self) -> &users::Positions {
        &self.positions
    }

    /// A new read connection (one per worker thread).
    pub fn reader(&self) -> Result<Reader> {
        Ok(Reader { conn: connect(&self.path, false)? })
    }

    /// Runs `f` as one atomic write: all of it or none of it, durable when this returns `Ok`.
    pub fn write<T>(&self, f: impl FnOnce(&WriteTx<'_>) -> Result<T>) -> Result<T> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        // The first write of a batch runs without a savepoint: if it fails, the transaction holds
        // only its own changes, and is rolled back whole. (A savepoint copies every page a write
        // changes into a statement journal, which spills to a file past 64 KiB: a write of thousands
        // of rows, or the plan_model switch, would copy the pages it rewrites.) A write that joins a
        // batch runs in a savepoint, so that its failure undoes it alone.
        let first = !w.in_tx;
        if first {
            w.conn.execute_batch("BEGIN IMMEDIATE")?;
            w.in_tx = true;
            w.batch += 1;
        }
        let batch = w.batch;
        w.batch_len += 1;
        let opened = if first { Ok(()) } else { w.conn.execute_batch("SAVEPOINT write") };
        let out = match opened {
            Err(e) => Err(Error::from(e)),
            Ok(()) => {
                let tx = WriteTx { conn: &w.conn };
                let out = catch_unwind(AssertUnwindSafe(|| f(&tx)));
                let kept = matches!(out, Ok(Ok(_)));
                let end = match (first, kept) {
                    (true, true) => None,
                    (true, false) => Some("ROLLBACK"),
                    (false, true) => Some("RELEASE write"),
                    (false, false) => Some("ROLLBACK TO write; RELEASE write"),
                };
                let ended = end.map_or(Ok(()), |sql| w.conn.execute_batch(sql));
                if first && !kept {
                    w.in_tx = false;
                    w.batch_len = 0;
                }
                if let Err(e) = ended {
                    // The write could not be ended (its savepoint closed or its transaction rolled
                    // back): abandon the whole batch.
                    log::error!("ending a write failed: {e}");
                    let _ = w.conn.execute_batch("ROLLBACK");
                    w.in_tx = false;
                    w.batch_len = 0;
                    self.end_batch(batch, Err(Error::from(e)));
                }
                match out {
                    Ok(r) => r,
                    Err(panic) => {
                        self.finish_batch(w, batch);
                        resume_unwind(panic);
                    }
                }
            }
        };
        let failed = self.finish_batch(w, batch);
        match (out, failed) {
            (Ok(v), None) => Ok(v),
            (Ok(_), Some(e)) => Err(e),
            (Err(e), _) => Err(e),
        }
    }

    /// Moves WAL checkpoints off the request path: the writer stops checkpointing at commit
    /// (`wal_autocheckpoint = 0`) and the caller runs [`Store::checkpoint`] from a thread of its own
    /// (the serving process does, every half second).
    pub fn checkpoint_in_background(&self) -> Result<()> {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        w.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// A passive checkpoint from a connection of its own: copies committed pages from the WAL into
    /// the database without blocking writers or readers (what it cannot copy yet waits for the next).
    ///
    /// Passive checkpoints alone never restart the log under steady load (a restart needs a moment
    /// with no reader in the log when a write begins), so the WAL grew without bound: 860 MiB in a
    /// bench run on a 180 MiB database, every commit appending to new file blocks. Past
    /// [`WAL_RESTART_FRAMES`] the log is restarted from the writer's connection between batches
    /// (`RESTART`: what the passive pass left is copied, then it waits at most [`WAL_RESTART_WAIT`]
    /// for readers to leave the log, else it tries again next round); the next write then reuses the
    /// file from its start and `journal_size_limit` trims it.
    pub fn checkpoint(&self, reader: &Reader) -> Result<()> {
        let frames: i64 = reader.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))?;
        if frames < WAL_RESTART_FRAMES {
            return Ok(());
        }
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.in_tx {
            // A batch is open, its commit left to a waiting writer: next round.
            return Ok(());
        }
        w.conn.busy_timeout(WAL_RESTART_WAIT)?;
        let busy = w.conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
        w.conn.busy_timeout(BUSY_TIMEOUT)?;
        log::debug!(
            "WAL of {frames} frames: restart {}",
            if busy? == 0 { "done" } else { "deferred (readers)" }
        );
        Ok(())
    }

    /// Runs `f` as a write that is always rolled back: a dry run that checks a change against the
    /// data as it is (constraints, rules) and keeps nothing.
    pub fn trial<T>(&self, f: impl FnOnce(&WriteTx<'_>) -> Result<T>) -> Result<T> {
        self.write(|tx| {
            tx.conn.execute_batch("SAVEPOINT trial")?;
            let out = f(tx);
            tx.conn.execute_batch("ROLLBACK TO trial; RELEASE trial")?;
            out
        })
    }

    /// Commits the batch now, or leaves it to a writer that is waiting and waits for its commit.
    /// Returns the commit error of `batch`, if any.
    fn finish_batch(&self, mut w: std::sync::MutexGuard<'_, Writer>, batch: u64) -> Option<Error> {
        if !(w.in_tx && w.batch == batch) {
            // Ended already (rolled back whole, or abandoned): nothing was committed for it.
            drop(w);
            return self.ended.lock().unwrap_or_else(|p| p.into_inner()).failure(batch);
        }
        if self.waiting.load(Ordering::SeqCst) > 0 && w.batch_len < MAX_BATCH {
            drop(w);
            let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
            while ended.through < batch {
                ended = self.committed.wait(ended).unwrap_or_else(|p| p.into_inner());
            }
            return ended.failure(batch);
        }
        let result = w.commit();
        let failure = result.as_ref().err().cloned();
        self.end_batch(batch, result);
        failure
    }

    /// Records how `batch` ended and wakes its waiters. Called with the writer lock held, so batches
    /// end in order.
    fn end_batch(&self, batch: u64, result: Result<()>) {
        let mut ended = self.ended.lock().unwrap_or_else(|p| p.into_inner());
        ended.through = ended.through.max(batch);
        if let Err(e) = result {
            if ended.failed.len() == FAILED_KEPT {
                ended.failed.pop_front();
            }
            ended.failed.push_back((batch, e));
        }
        self.committed.notify_all();
    }

    /// A consistent copy of the database in `file`: one `VACUUM INTO` in one read transaction
    /// (writers go on and never restart it), into a temporary file (mode 0600) beside `file`, synced,
    /// then linked into place, which never replaces an existing file (unless `replace`).
    pub fn backup(&self, file: &Path, replace: bool) -> Result<()> {
        let dir = match file.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut rnd = [0u8; 6];
        util::random_bytes(&mut rnd)?;
        let tmp = dir.join(format!(".{name}.tmp-{}", util::hex(&rnd)));
        drop(util::create_private_file(&tmp, false)?);
        let copied = (|| -> Result<()> {
            let reader = self.reader()?;
            reader.conn.execute("VACUUM INTO ?1", [tmp.to_string_lossy()])?;
            std::fs::File::open(&tmp)?.sync_all()?;
            if replace && std::fs::symlink_metadata(file).is_ok() {
                std::fs::remove_file(file)?;
            }
            std::fs::hard_link(&tmp, file).map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Error::invalid_value(format!(
                    "{} exists; choose a new file, or pass --force to replace it",
                    file.display()
                )),
                _ => Error::from(e),
            })?;
            util::sync_dir(&dir)?;
            Ok(())
        })();
        let _ = std::fs::remove_file(&tmp);
        copied
            .map_err(|e| Error { detail: format!("backup to {} failed: {}", file.display(), e.detail), ..e })
    }
}

/// Checks a database file without changing it (`scim-seat check`): opened read-only, never
/// migrated. An empty file, a file that is not a scim-seat database, one written by a newer
/// scim-seat, and one with an unfinished rollback journal beside it (an interrupted write or copy)
/// all fail with the reason, as do integrity and foreign-key problems.
pub fn check_file(path: &Path) -> Result<Check> {
    let fail = |why: String| Ok(Check { ok: false, problems: vec![why], schema_version: 0 });
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::not_found(format!("cannot read {}: {e}", path.display())))?;
    if meta.len() == 0 {
        return fail(format!("{} is empty: it is not a scim-seat database", path.display()));
    }
    let journal = PathBuf::from(format!("{}-journal", path.display()));
    if std::fs::metadata(&journal).is_ok_and(|m| m.len() > 0) {
        return fail(format!(
            "{} has an unfinished rollback journal beside it ({}): a write or a copy was interrupted; \
             restore another backup",
            path.display(),
            journal.display()
        ));
    }
    configure_sqlite();
    let conn =
        Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| Error::internal(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let schema_version: i64 = match conn.query_row("PRAGMA user_version", [], |r| r.get(0)) {
        Ok(v) => v,
        Err(e) => return fail(format!("{} is not an SQLite database: {e}", path.display())),
    };
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'groups', 'tokens', 'audit')",
        [],
        |r| r.get(0),
    )?;
    if schema_version == 0 || tables < 4 {
        return fail(format!(
            "{} is not a scim-seat database (schema version {schema_version})",
            path.display()
        ));
    }
    if schema_version > migrate::CURRENT_VERSION {
        return fail(format!(
            "{} was written by a newer scim-seat (schema version {schema_version}, this one knows {})",
            path.display(),
            migrate::CURRENT_VERSION
        ));
    }
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let mut problems = if rows.len() == 1 && rows[0] == "ok" { Vec::new() } else { rows };
    let fk: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
    if fk > 0 {
        problems.push(format!("{fk} rows violate foreign keys"));
    }
    if schema_version >= 4 {
        // Every membership change writes each member's group count beside it (version 4 on:
        // users.in_groups; version 8 on: user_groups.member_of, and users.in_groups whether it is in
        // any): it must count them.
        let counted = if schema_version >= 8 {
            "SELECT count(*) FROM users AS u LEFT JOIN user_groups AS ug ON ug.user_seq = u.seq LEFT JOIN \
             (SELECT user_seq, count(*) AS n FROM memberships GROUP BY user_seq) AS m ON m.user_seq = u.seq \
             WHERE coalesce(ug.member_of, 0) != coalesce(m.n, 0) OR u.in_groups != (coalesce(m.n, 0) > 0)"
        } else {
            "SELECT count(*) FROM users AS u LEFT JOIN \
             (SELECT user_id, count(*) AS n FROM memberships GROUP BY user_id) AS m ON m.user_id = u.id \
             WHERE u.in_groups != coalesce(m.n, 0)"
        };
        let miscounted: i64 = conn.query_row(counted, [], |r| r.get(0))?;
        if miscounted > 0 {
            problems
                .push(format!("{miscounted} users have a group count that differs from their memberships"));
        }
    }
    Ok(Check { ok: problems.is_empty(), problems, schema_version })
}

/// What `scim-seat check` found.
#[derive(Debug, Clone)]
pub struct Check {
    pub ok: bool,
    pub problems: Vec<String>,
    pub schema_version: i64,
}

/// WAL frames (pages) past which the checkpointer restarts the log: 64 MiB of 4 KiB pages.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// How long a log restart waits for readers to leave the log (writers wait meanwhile).
const WAL_RESTART_WAIT: Duration = Duration::from_millis(20);

/// Bytes the WAL file is truncated to when it restarts after a full checkpoint.
const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Statement journals (the undo record of a SAVEPOINT, and of one statement that fires triggers
/// under foreign keys) stay in memory up to this size, then spill to a temporary file. SQLite's
/// default, 64 KiB, sent most writes that joined a batch to a temporary file: the savepoint copies
/// each page the write changes (about 15 for a create, some twice for its statements' own
/// journals), measured at 5% of a create's CPU in `pwrite`, `open` and `close` of that file.
/// SQLite holds the in-memory journal in chunks of this size and writes a chunk in one call when it
/// spills, and its file writes stop at 128 KiB - 1 bytes a call (a 4 MiB chunk failed as "disk
/// full"), so this stays below that.
const STATEMENT_JOURNAL_SPILL: i32 = 120 * 1024;
const _: () = assert!(STATEMENT_JOURNAL_SPILL < 128 * 1024);

/// Process-wide SQLite settings, made once before the first connection (SQLite accepts them only
/// before it initializes).
fn configure_sqlite() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use rusqlite::ffi::{
            SQLITE_CONFIG_MEMSTATUS, SQLITE_CONFIG_STMTJRNL_SPILL, SQLITE_OK, sqlite3_config,
        };
        // SAFETY: sqlite3_config is called before any connection is opened in this process (every
        // connection is opened after this `Once`), each option with the one int argument it takes.
        let settings = unsafe {
            [
                (
                    "statement journal spill",
                    sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, STATEMENT_JOURNAL_SPILL),
                ),
                // No memory statistics: with them every allocation of every connection takes one
                // process-wide mutex. Nothing here reads them.
                ("memory statistics", sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)),
            ]
        };
        for (what, rc) in settings {
            if rc != SQLITE_OK {
                log::warn!("SQLite refused the {what} setting (code {rc}); using its default");
            }
        }
    });
}

/// A connection: the writer (which may create the file) or a reader.
fn connect(path: &Path, writer: bool) -> Result<Connection> {
    configure_sqlite();
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if writer {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::internal(format!("cannot open the database {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;",
    )?;
    conn.pragma_update(None, "cache_size", -(if writer { WRITER_CACHE_KIB } else { READER_CACHE_KIB }))?;
    if writer {
        // A WAL that a burst (a 20,000-member push, an import) grew is cut back to this size when
        // it next restarts, instead of keeping its largest size on disk for good.
        conn.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)?;
    }
    // The query planner stability guarantee: a cached statement keeps its plan instead of being
    // prepared again when bound values change (measured: `groups::of_user` 14 -> 3.4 µs a call).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    // Room for every statement of the writer, whose updates name only the columns they change.
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}
