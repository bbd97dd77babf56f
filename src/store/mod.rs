//! SQLite storage: the only module with SQL.
//!
//! One file, WAL mode, `synchronous=FULL`, foreign keys on. Writes go through [`Store::write`]: one
//! writer at a time, `BEGIN IMMEDIATE`, committed only when the closure returns `Ok` (rusqlite's
//! `Transaction` rolls back when dropped uncommitted, including during a panic). Reads use a
//! connection per worker ([`Store::reader`]) and run in parallel with the writer thanks to WAL.
//! The submodules hold the queries for one table family each; they take `&Connection`, so the
//! same function serves a read connection and a write transaction.

pub mod audit;
pub mod groups;
pub mod migrate;
pub mod plan;
pub mod tokens;
pub mod users;

use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a connection waits on a lock held by another (e.g. a CLI command on the same file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Error {
        if let rusqlite::Error::SqliteFailure(f, _) = &e {
            match f.code {
                rusqlite::ErrorCode::DiskFull => {
                    return Error::new(
                        crate::error::Kind::Unavailable,
                        "the disk is full: the change was not saved; free space and retry",
                    );
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

pub struct Store {
    path: PathBuf,
    writer: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) and migrates the database.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = connect(path, true)?;
        migrate::migrate(&mut conn)?;
        Ok(Store { path: path.to_path_buf(), writer: Mutex::new(conn) })
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

    /// A new read connection (one per worker thread).
    pub fn reader(&self) -> Result<Connection> {
        connect(&self.path, false)
    }

    /// Runs `f` in one write transaction: all of it or none of it.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Runs `f` on the writer connection outside a transaction (backup, integrity check).
    pub fn with_writer<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut conn)
    }
}

fn connect(path: &Path, create: bool) -> Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| Error::internal(format!("cannot open the database {}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16000;",
    )?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// `PRAGMA integrity_check` and the schema version: what `scim-seat check` reports.
pub fn check(conn: &Connection) -> Result<(bool, Vec<String>, i64)> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    let ok = rows.len() == 1 && rows[0] == "ok";
    let fk: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0))?;
    let mut problems = if ok { Vec::new() } else { rows };
    if fk > 0 {
        problems.push(format!("{fk} rows violate foreign keys"));
    }
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    Ok((problems.is_empty(), problems, version))
}
