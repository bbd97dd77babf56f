//! The audit log: one row per change of a user's seat or status (and other administrative acts),
//! always written inside the transaction of the change it records.

use super::sealed::Conn as _;
use super::{Read, WriteTx};
use crate::error::Result;
use rusqlite::params;

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub source: String,
    pub action: String,
    pub user_id: Option<String>,
    pub before_seat: Option<String>,
    pub before_status: Option<String>,
    pub after_seat: Option<String>,
    pub after_status: Option<String>,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

pub fn insert(tx: &WriteTx<'_>, e: &Event) -> Result<i64> {
    let conn = tx.conn();
    conn.prepare_cached(
        "INSERT INTO audit (at, actor, source, action, user_id, before_seat, before_status, after_seat, \
         after_status, reason, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        e.at,
        e.actor,
        e.source,
        e.action,
        e.user_id,
        e.before_seat,
        e.before_status,
        e.after_seat,
        e.after_status,
        e.reason,
        e.request_id
    ])?;
    Ok(conn.last_insert_rowid())
}

/// Events newest first, optionally for one user and/or since a time, at most `limit`, before the
/// cursor id when given.
pub fn query(
    db: &impl Read,
    user_id: Option<&str>,
    since: Option<&str>,
    before_id: Option<i64>,
    limit: usize,
) -> Result<Vec<Event>> {
    // Only the filters given are in the SQL, so a user's events are read through `audit_user`
    // (an `?1 IS NULL OR user_id = ?1` form would walk the whole log from its newest event).
    let mut sql = String::from(
        "SELECT id, at, actor, source, action, user_id, before_seat, before_status, after_seat, after_status, \
         reason, request_id FROM audit WHERE 1",
    );
    if user_id.is_some() {
        sql.push_str(" AND user_id = ?1");
    }
    if since.is_some() {
        sql.push_str(" AND at >= ?2");
    }
    if before_id.is_some() {
        sql.push_str(" AND id < ?3");
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?4");
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params![user_id, since, before_id, limit as i64], |r| {
        Ok(Event {
            id: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            source: r.get(3)?,
            action: r.get(4)?,
            user_id: r.get(5)?,
            before_seat: r.get(6)?,
            before_status: r.get(7)?,
            after_seat: r.get(8)?,
            after_status: r.get(9)?,
            reason: r.get(10)?,
            request_id: r.get(11)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
