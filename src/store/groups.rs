//! Groups and memberships. A membership is one row, so adding or removing members costs
//! O(changed members) whatever the group's size, and reading a group without members never touches
//! the memberships table.

use super::sealed::Conn as _;
use super::sql::json_list;
use super::{Read, WriteTx};
use crate::base::text::fold_case as fold;
use crate::error::{Error, Result};
use rusqlite::{OptionalExtension, Row, params};

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRow {
    pub id: String,
    pub seq: i64,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created: String,
    pub last_modified: String,
}

const COLUMNS: &str = "id, seq, display_name, external_id, version, created, last_modified";

fn from_row(r: &Row<'_>) -> rusqlite::Result<GroupRow> {
    Ok(GroupRow {
        id: r.get(0)?,
        seq: r.get(1)?,
        display_name: r.get(2)?,
        external_id: r.get(3)?,
        version: r.get(4)?,
        created: r.get(5)?,
        last_modified: r.get(6)?,
    })
}

fn query(db: &impl Read, sql: &str, p: impl rusqlite::Params) -> Result<Vec<GroupRow>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(p, from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(db: &impl Read, id: &str) -> Result<Option<GroupRow>> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM groups WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

pub fn by_display_name(db: &impl Read, name: &str) -> Result<Vec<GroupRow>> {
    query(db, &format!("SELECT {COLUMNS} FROM groups WHERE display_key = ?1"), [fold(name)])
}

pub fn by_external_id(db: &impl Read, v: &str) -> Result<Vec<GroupRow>> {
    query(db, &format!("SELECT {COLUMNS} FROM groups WHERE external_id = ?1 ORDER BY seq"), [v])
}

pub fn page(db: &impl Read, offset: usize, limit: usize) -> Result<(Vec<GroupRow>, usize)> {
    let conn = db.conn();
    let total: i64 = conn.prepare_cached("SELECT count(*) FROM groups")?.query_row([], |r| r.get(0))?;
    let rows = if limit == 0 {
        Vec::new()
    } else {
        query(
            db,
            &format!("SELECT {COLUMNS} FROM groups ORDER BY seq LIMIT ?1 OFFSET ?2"),
            params![limit as i64, offset as i64],
        )?
    };
    Ok((rows, total as usize))
}

pub fn all(db: &impl Read) -> Result<Vec<GroupRow>> {
    query(db, &format!("SELECT {COLUMNS} FROM groups ORDER BY seq"), [])
}

fn map_unique(e: rusqlite::Error, name: &str) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            Error::uniqueness(format!("a group with displayName \"{name}\" already exists"))
        }
        e => e.into(),
    }
}

pub fn insert(tx: &WriteTx<'_>, g: &GroupRow) -> Result<i64> {
    let conn = tx.conn();
    let seq: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM groups", [], |r| r.get(0))?;
    conn.execute(
        &format!("INSERT INTO groups ({COLUMNS}, display_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            g.id,
            seq,
            g.display_name,
            g.external_id,
            g.version,
            g.created,
            g.last_modified,
            fold(&g.display_name)
        ],
    )
    .map_err(|e| map_unique(e, &g.display_name))?;
    Ok(seq)
}

pub fn update(tx: &WriteTx<'_>, g: &GroupRow) -> Result<()> {
    let conn = tx.conn();
    conn.execute(
        "UPDATE groups SET display_name = ?2, external_id = ?3, version = ?4, last_modified = ?5, display_key = ?6 \
         WHERE id = ?1",
        params![g.id, g.display_name, g.external_id, g.version, g.last_modified, fold(&g.display_name)],
    )
    .map_err(|e| map_unique(e, &g.display_name))?;
    Ok(())
}

/// The `user_groups` statement for members leaving a group (`?2` the time), the members chosen by
/// the query given: one group less, one version more; it returns each one's new count.
macro_rules! uncount {
    ($members:literal) => {
        concat!(
            "UPDATE user_groups SET member_of = member_of - 1, version_bumps = version_bumps + 1, \
             changed_at = ?2 WHERE user_seq IN (",
            $members,
            ") RETURNING user_seq, member_of"
        )
    };
}

/// The `user_groups` statement for members joining a group (`?1` their seqs, `?2` the time): one
/// group more, one version more; it returns each one's new count.
const COUNT_IN: &str = "INSERT INTO user_groups (user_seq, member_of, version_bumps, changed_at) \
    SELECT value, 1, 1, ?2 FROM json_each(?1) WHERE true ON CONFLICT (user_seq) DO UPDATE SET \
    member_of = member_of + 1, version_bumps = version_bumps + 1, changed_at = excluded.changed_at \
    RETURNING user_seq, member_of";

/// Deletes the group; its members each count one group less and get a new version.
pub fn delete(tx: &WriteTx<'_>, g: &GroupRow, last_modified: &str) -> Result<()> {
    // Its memberships go with it (cascade): each member counts one group less and gets a new version.
    let sql = uncount!("SELECT user_seq FROM memberships WHERE group_seq = ?1");
    recount(tx, sql, params![g.seq, last_modified], false)?;
    tx.conn().execute("DELETE FROM groups WHERE seq = ?1", [g.seq])?;
    Ok(())
}

/// A user in a membership change: its id and its seq (creation order, the memberships' key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub seq: i64,
}

/// The members of `returned` in the order of their ids in `ids`, once each.
fn in_given_order(ids: &[String], returned: Vec<Member>) -> Vec<Member> {
    let mut by_id: std::collections::HashMap<String, Member> =
        returned.into_iter().map(|m| (m.id.clone(), m)).collect();
    ids.iter().filter_map(|id| by_id.remove(id)).collect()
}

fn member_at(r: &Row<'_>) -> rusqlite::Result<Member> {
    Ok(Member { id: r.get(0)?, seq: r.get(1)? })
}

/// Adds SCIM-visible users as members; returns those that were not members before, in the order
/// given. Ids of no SCIM-visible user are not added: the caller tells them apart with
/// [`missing_users`]. One statement for the whole list: each page it changes is written once.
pub fn add_members(
    tx: &WriteTx<'_>,
    group_seq: i64,
    users: &[String],
    last_modified: &str,
) -> Result<Vec<Member>> {
    let sql = "INSERT OR IGNORE INTO memberships (group_seq, user_seq, user_id) \
        SELECT ?1, u.seq, u.id FROM json_each(?2) AS j JOIN users AS u ON u.id = j.value \
        WHERE u.is_guest = 0 AND u.scim_deleted = 0 RETURNING user_id, user_seq";
    change_members(tx, sql, group_seq, users, 1, last_modified)
}

/// Removes members; returns those that were members, in the order given (one statement).
pub fn remove_members(
    tx: &WriteTx<'_>,
    group_seq: i64,
    users: &[String],
    last_modified: &str,
) -> Result<Vec<Member>> {
    let sql = "DELETE FROM memberships WHERE group_seq = ?1 AND user_seq IN \
        (SELECT u.seq FROM json_each(?2) AS j JOIN users AS u ON u.id = j.value) RETURNING user_id, user_seq";
    change_members(tx, sql, group_seq, users, -1, last_modified)
}

/// Runs a membership statement over `users` (`?1` the group, `?2` the ids; it returns the members
/// it changed) and counts them (`by`): the members changed, in the order given.
fn change_members(
    tx: &WriteTx<'_>,
    sql: &str,
    group_seq: i64,
    users: &[String],
    by: i64,
    last_modified: &str,
) -> Result<Vec<Member>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = tx.conn().prepare_cached(sql)?;
    let changed = stmt.query_map(params![group_seq, json_list(users)?], member_at)?;
    let changed = in_given_order(users, changed.collect::<rusqlite::Result<_>>()?);
    counted(tx, &changed, by, last_modified)?;
    Ok(changed)
}

/// Members who joined (`by` 1) or left (-1) a group: their group count moves, and their
/// representation (its `groups`) changed, so they get a new version and lastModified. One statement
/// writes each member's row in `user_groups` (20-odd bytes; rewriting the members' user rows, each
/// with its document, cost two thirds of a 5,000-member group's create), then one marks the users
/// whose first group came or last went.
fn counted(tx: &WriteTx<'_>, members: &[Member], by: i64, last_modified: &str) -> Result<()> {
    if members.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = members.iter().map(|m| m.seq).collect();
    let sql = if by > 0 { COUNT_IN } else { uncount!("SELECT value FROM json_each(?1)") };
    recount(tx, sql, params![json_list(&seqs)?, last_modified], by > 0)
}

/// Runs a `user_groups` statement that returns each member's new group count, then sets
/// `users.in_groups` for the members whose count went from 0 to 1 (they `joined`) or from 1 to 0
/// (they left): the flag that the pending rule's indexes read is written only when it flips.
fn recount(tx: &WriteTx<'_>, sql: &str, p: impl rusqlite::Params, joined: bool) -> Result<()> {
    let mut stmt = tx.conn().prepare_cached(sql)?;
    let counts = stmt.query_map(p, |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    let counts = counts.collect::<rusqlite::Result<Vec<_>>>()?;
    let (flag, count) = if joined { (1, 1) } else { (0, 0) };
    let flipped: Vec<i64> = counts.iter().filter(|(_, n)| *n == count).map(|(seq, _)| *seq).collect();
    if flipped.is_empty() {
        return Ok(());
    }
    tx.conn()
        .prepare_cached("UPDATE users SET in_groups = ?2 WHERE seq IN (SELECT value FROM json_each(?1))")?
        .execute(params![json_list(&flipped)?, flag])?;
    Ok(())
}

/// Whether the user is a member of the group (two index lookups).
pub fn is_member(db: &impl Read, group_seq: i64, user_id: &str) -> Result<bool> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT 1 FROM memberships WHERE group_seq = ?1 AND user_seq = (SELECT seq FROM users WHERE id = ?2)",
        )?
        .query_row(params![group_seq, user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The ids of the group's members, in no order (one index range: for diffing a full member list).
pub fn member_id_set(db: &impl Read, group_seq: i64) -> Result<std::collections::HashSet<String>> {
    let mut stmt = db.conn().prepare_cached("SELECT user_id FROM memberships WHERE group_seq = ?1")?;
    let rows = stmt.query_map([group_seq], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The members of a group in creation order (O(group size): for deleting the group).
pub fn members(db: &impl Read, group_seq: i64) -> Result<Vec<Member>> {
    let mut stmt = db
        .conn()
        .prepare_cached("SELECT user_id, user_seq FROM memberships WHERE group_seq = ?1 ORDER BY user_seq")?;
    let rows = stmt.query_map([group_seq], member_at)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Calls `f` with each member of the group (its id and display: displayName, else userName) in
/// creation order, a row at a time: nothing is collected.
pub fn each_member(db: &impl Read, group_seq: i64, mut f: impl FnMut(&str, &str)) -> Result<()> {
    let mut stmt = db.conn().prepare_cached(
        "SELECT m.user_id, COALESCE(u.display_name, u.user_name) FROM memberships AS m \
         JOIN users AS u ON u.seq = m.user_seq WHERE m.group_seq = ?1 ORDER BY m.user_seq",
    )?;
    let mut rows = stmt.query([group_seq])?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| r.get_ref(i)?.as_str().map_err(rusqlite::Error::from);
        f(text(0)?, text(1)?);
    }
    Ok(())
}

/// The groups a user (by its seq) is in: (id, displayName), O(the user's groups).
pub fn of_user(db: &impl Read, user_seq: i64) -> Result<Vec<(String, String)>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT g.id, g.display_name FROM memberships AS m JOIN groups AS g ON g.seq = m.group_seq \
         WHERE m.user_seq = ?1 ORDER BY m.group_seq",
    )?;
    let rows = stmt.query_map([user_seq], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Which of these ids are not SCIM-visible users (members must be existing users), in the order
/// given (one statement).
pub fn missing_users(db: &impl Read, ids: &[String]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = db.conn().prepare_cached(
        "SELECT j.value FROM json_each(?1) AS j WHERE NOT EXISTS \
         (SELECT 1 FROM users AS u WHERE u.id = j.value AND u.is_guest = 0 AND u.scim_deleted = 0) ORDER BY j.key",
    )?;
    let missing = stmt.query_map([json_list(ids)?], |r| r.get(0))?;
    Ok(missing.collect::<rusqlite::Result<_>>()?)
}
