//! Schema versioning with `PRAGMA user_version`.
//!
//! A new database gets `schema.sql` (the whole current schema) and the current version. An older
//! database gets each numbered migration after its version, each in its own transaction. A database
//! written by a newer scim-seat is refused, so an old binary never misreads newer data.

use crate::error::{Error, Result};
use rusqlite::{Connection, TransactionBehavior};

/// The schema this binary writes.
pub const SCHEMA: &str = include_str!("../../schema.sql");

/// Migrations from version N-1 to N, as `(N, sql)`, one file each in `migrations/`. A database at
/// version 0 gets schema.sql, the whole current schema, instead.
const MIGRATIONS: &[(i64, &str)] = &[
    (2, include_str!("../../migrations/0002-typed-settings.sql")),
    (3, include_str!("../../migrations/0003-admin-list-indexes.sql")),
    (4, include_str!("../../migrations/0004-membership-counts.sql")),
    (5, include_str!("../../migrations/0005-scim-page-counts.sql")),
    (6, include_str!("../../migrations/0006-memberships-by-seq.sql")),
    (7, include_str!("../../migrations/0007-membership-counts-in-the-store.sql")),
    (8, include_str!("../../migrations/0008-group-counts-apart.sql")),
];

/// The version schema.sql describes.
pub const CURRENT_VERSION: i64 = 8;

pub fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > CURRENT_VERSION {
        return Err(Error::internal(format!(
            "the database has schema version {version}, newer than this scim-seat knows \
             ({CURRENT_VERSION}): run the newer scim-seat, or restore a backup made for this one"
        )));
    }
    if version == 0 {
        let tables: i64 = tx.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )?;
        if tables > 0 {
            return Err(Error::internal(
                "the file is an SQLite database but not a scim-seat one (user_version 0 with tables)",
            ));
        }
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", CURRENT_VERSION)?;
        tx.commit()?;
        return Ok(());
    }
    tx.commit()?;
    for &(to, sql) in MIGRATIONS.iter().filter(|(to, _)| *to > version) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", to)?;
        tx.commit()?;
        log::info!("database migrated to schema version {to}");
    }
    Ok(())
}
