//! The plan's own state beside its settings, typed, in the one-row `plan_state` table: when `init`
//! ran, when Directory Integration last switched, and the deprovision guard's breaker; and the log
//! of SCIM deprovisions (`deprovisions`) that the guard counts in its window.

use super::sealed::Conn as _;
use super::{Read, WriteTx};
use crate::error::Result;
use rusqlite::params;

/// The deprovision guard's breaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardState {
    /// Tripped: further SCIM deprovisions are refused until an administrator resets it.
    pub tripped: bool,
    /// The last reset, unix seconds.
    pub reset_at: Option<i64>,
    /// The last deprovision recorded before that reset: later ones count again.
    pub reset_after_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanState {
    pub initialised_at: Option<String>,
    pub di_changed_at: Option<String>,
    pub guard: GuardState,
}

pub fn get(db: &impl Read) -> Result<PlanState> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT initialised_at, di_changed_at, guard_tripped, guard_reset_at, guard_reset_after_id \
             FROM plan_state WHERE id = 1",
        )?
        .query_row([], |r| {
            Ok(PlanState {
                initialised_at: r.get(0)?,
                di_changed_at: r.get(1)?,
                guard: GuardState { tripped: r.get(2)?, reset_at: r.get(3)?, reset_after_id: r.get(4)? },
            })
        })?)
}

/// Whether `init` has run on this database.
pub fn is_initialised(db: &impl Read) -> Result<bool> {
    Ok(get(db)?.initialised_at.is_some())
}

pub fn set_initialised(tx: &WriteTx<'_>, at: &str) -> Result<()> {
    tx.conn().execute("UPDATE plan_state SET initialised_at = ?1 WHERE id = 1", [at])?;
    Ok(())
}

pub fn set_di_changed(tx: &WriteTx<'_>, at: &str) -> Result<()> {
    tx.conn().execute("UPDATE plan_state SET di_changed_at = ?1 WHERE id = 1", [at])?;
    Ok(())
}

pub fn trip_guard(tx: &WriteTx<'_>) -> Result<()> {
    tx.conn().execute("UPDATE plan_state SET guard_tripped = 1 WHERE id = 1", [])?;
    Ok(())
}

/// Resets the breaker at `now`: deprovisions recorded so far stop counting (the id, not the
/// second, marks the boundary, so two in the same second are told apart).
pub fn reset_guard(tx: &WriteTx<'_>, now: i64) -> Result<()> {
    tx.conn().execute(
        "UPDATE plan_state SET guard_tripped = 0, guard_reset_at = ?1, \
         guard_reset_after_id = (SELECT COALESCE(MAX(id), 0) FROM deprovisions) WHERE id = 1",
        [now],
    )?;
    Ok(())
}

pub fn record_deprovision(tx: &WriteTx<'_>, at: i64, user_id: &str) -> Result<()> {
    tx.conn()
        .prepare_cached("INSERT INTO deprovisions (at_unix, user_id) VALUES (?1, ?2)")?
        .execute(params![at, user_id])?;
    Ok(())
}

/// Deprovisions at or after `since` (unix seconds) recorded after the guard's last reset.
pub fn deprovisions_since(db: &impl Read, since: i64, guard: &GuardState) -> Result<u64> {
    let n: i64 = db
        .conn()
        .prepare_cached("SELECT count(*) FROM deprovisions WHERE at_unix >= ?1 AND id > ?2")?
        .query_row(params![since, guard.reset_after_id], |r| r.get(0))?;
    Ok(n as u64)
}
