//! Users: the SCIM document and the columns beside it (indexes, seat, status), their emails and the
//! role values of their `roles` attribute.

use super::sealed::Conn as _;
use super::sql::json_list;
use super::{Read, WriteTx};
use crate::base::text::fold_case as fold;
use crate::domain::rules::UserState;
use crate::domain::seats::{Seat, Status};
use crate::error::{Error, Result};
use rusqlite::types::{ToSqlOutput, Value, ValueRef};
use rusqlite::{OptionalExtension, Row, ToSql, params};

#[derive(Debug, Clone, PartialEq)]
pub struct UserRow {
    pub id: String,
    pub seq: i64,
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub primary_email: Option<String>,
    pub doc: serde_json::Value,
    pub version: i64,
    pub status: Status,
    pub seat: Option<Seat>,
    pub licensed: bool,
    pub is_guest: bool,
    pub managed_by_directory: bool,
    pub manual_seat: bool,
    pub scim_deleted: bool,
    pub provisional_until: Option<i64>,
    pub first_sign_in: Option<i64>,
    pub created: String,
    pub last_modified: String,
    /// When the IdP's create of this userName was first refused because the user was deleted
    /// through SCIM (and is kept deactivated); cleared when an administrator reactivates it.
    pub recreate_refused_at: Option<String>,
    /// The IdP's first write over this plan user asked for a lower seat, and `match_downgrade =
    /// hold` kept the seat; cleared when the seat next changes.
    pub downgrade_held: bool,
    /// 1 when it was in any group when it was read, else 0 (kept by the membership writes, never
    /// written from here): 0 spares reading its groups.
    pub in_groups: i64,
    /// The part of `version` its membership changes gave it (kept in `user_groups` by the
    /// membership writes): an update stores `version` less this in its row.
    pub group_bumps: i64,
}

impl UserRow {
    /// A new active user with this id and document, created now (`now` at whole seconds); the
    /// caller derives the columns from the document and lets the seat rules set the state.
    pub fn new(id: String, doc: serde_json::Value, now: String) -> UserRow {
        UserRow {
            id,
            seq: 0,
            user_name: String::new(),
            external_id: None,
            display_name: None,
            primary_email: None,
            doc,
            version: 1,
            status: Status::Active,
            seat: None,
            licensed: false,
            is_guest: false,
            managed_by_directory: true,
            manual_seat: false,
            scim_deleted: false,
            provisional_until: None,
            first_sign_in: None,
            created: now.clone(),
            last_modified: now,
            recreate_refused_at: None,
            downgrade_held: false,
            in_groups: 0,
            group_bumps: 0,
        }
    }

    /// This row with another document: the columns copied, the old document not.
    pub fn with_doc(&self, doc: serde_json::Value) -> UserRow {
        UserRow {
            id: self.id.clone(),
            seq: self.seq,
            user_name: self.user_name.clone(),
            external_id: self.external_id.clone(),
            display_name: self.display_name.clone(),
            primary_email: self.primary_email.clone(),
            doc,
            version: self.version,
            status: self.status,
            seat: self.seat,
            licensed: self.licensed,
            is_guest: self.is_guest,
            managed_by_directory: self.managed_by_directory,
            manual_seat: self.manual_seat,
            scim_deleted: self.scim_deleted,
            provisional_until: self.provisional_until,
            first_sign_in: self.first_sign_in,
            created: self.created.clone(),
            last_modified: self.last_modified.clone(),
            recreate_refused_at: self.recreate_refused_at.clone(),
            downgrade_held: self.downgrade_held,
            in_groups: self.in_groups,
            group_bumps: self.group_bumps,
        }
    }
}

/// The columns an insert writes, in order.
const COLUMNS: &str = "id, seq, user_name, external_id, display_name, primary_email, doc, version, status, \
    seat, licensed, is_guest, managed_by_directory, manual_seat, scim_deleted, provisional_until, \
    first_sign_in, created, last_modified";
/// The columns a read returns, from [`USERS`]: the written ones, then the ones kept by their own
/// writers. A user's version and lastModified take in what its membership changes wrote.
const READ: &str = "id, seq, user_name, external_id, display_name, primary_email, doc, \
    version + COALESCE(ug.version_bumps, 0), status, seat, licensed, is_guest, managed_by_directory, \
    manual_seat, scim_deleted, provisional_until, first_sign_in, created, \
    max(last_modified, COALESCE(ug.changed_at, '')), recreate_refused_at, downgrade_held, in_groups, \
    COALESCE(ug.version_bumps, 0)";
/// What [`READ`] reads from: each user with what its membership changes wrote (schema.sql,
/// `user_groups`; no row there for a user never in a group).
const USERS: &str = "users LEFT JOIN user_groups AS ug ON ug.user_seq = users.seq";

fn from_row(r: &Row<'_>) -> rusqlite::Result<UserRow> {
    let doc: String = r.get(6)?;
    Ok(UserRow {
        id: r.get(0)?,
        seq: r.get(1)?,
        user_name: r.get(2)?,
        external_id: r.get(3)?,
        display_name: r.get(4)?,
        primary_email: r.get(5)?,
        doc: serde_json::from_str(&doc).unwrap_or(serde_json::Value::Null),
        version: r.get(7)?,
        status: r.get(8)?,
        seat: r.get(9)?,
        licensed: r.get(10)?,
        is_guest: r.get(11)?,
        managed_by_directory: r.get(12)?,
        manual_seat: r.get(13)?,
        scim_deleted: r.get(14)?,
        provisional_until: r.get(15)?,
        first_sign_in: r.get(16)?,
        created: r.get(17)?,
        last_modified: r.get(18)?,
        recreate_refused_at: r.get(19)?,
        downgrade_held: r.get(20)?,
        in_groups: r.get(21)?,
        group_bumps: r.get(22)?,
    })
}

fn query_users(db: &impl Read, sql: &str, params: impl rusqlite::Params) -> Result<Vec<UserRow>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(db: &impl Read, id: &str) -> Result<Option<UserRow>> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!("SELECT {READ} FROM {USERS} WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// The columns of a user's seat state, in the order [`state_at`] reads them.
const STATE: &str =
    "status, seat, managed_by_directory, is_guest, manual_seat, provisional_until, first_sign_in, licensed";

/// The seat state in the [`STATE`] columns of `r` from column `i` on.
fn state_at(r: &Row<'_>, i: usize) -> rusqlite::Result<UserState> {
    Ok(UserState {
        status: r.get(i)?,
        seat: r.get(i + 1)?,
        managed_by_directory: r.get(i + 2)?,
        is_guest: r.get(i + 3)?,
        manual_seat: r.get(i + 4)?,
        provisional_until: r.get(i + 5)?,
        first_sign_in: r.get(i + 6)?,
        licensed: r.get(i + 7)?,
    })
}

/// The state of the next [`BATCH`] users after `after` in creation order, with their ids, without
/// their documents, advancing `after`: a whole-plan walk of the seat rules alone.
pub fn state_batch(db: &impl Read, after: &mut Option<i64>) -> Result<Vec<(String, UserState)>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, seq, {STATE} FROM users WHERE seq > ?1 ORDER BY seq LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![after.unwrap_or(i64::MIN), BATCH as i64], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, state_at(r, 2)?))
    })?;
    let mut batch = Vec::with_capacity(BATCH);
    for row in rows {
        let (id, seq, state) = row?;
        *after = Some(seq);
        batch.push((id, state));
    }
    Ok(batch)
}

/// Writes the seat of a user known by its id: its seat, licence, manual flag, review period and
/// held-downgrade flag (`None` leaves that flag), and a new version of its representation (the
/// seat is in it), nothing else.
pub fn set_seat_columns(
    tx: &WriteTx<'_>,
    id: &str,
    s: &UserState,
    downgrade_held: Option<bool>,
    last_modified: &str,
) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "UPDATE users SET seat = ?2, licensed = ?3, manual_seat = ?4, provisional_until = ?5, \
             downgrade_held = COALESCE(?6, downgrade_held), version = version + 1, last_modified = ?7 WHERE id = ?1",
        )?
        .execute(params![id, s.seat, s.licensed, s.manual_seat, s.provisional_until, downgrade_held, last_modified])?;
    Ok(())
}

/// The seat-rule state of each of these users (by seq) that exists, with its seq, without reading
/// their documents (far cheaper than [`get`]; one statement).
pub fn states(db: &impl Read, seqs: &[i64]) -> Result<Vec<(i64, UserState)>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let mut stmt = db.conn().prepare_cached(&format!(
        "SELECT seq, {STATE} FROM users WHERE seq IN (SELECT value FROM json_each(?1))"
    ))?;
    let rows = stmt.query_map([json_list(seqs)?], |r| Ok((r.get::<_, i64>(0)?, state_at(r, 1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The user with this userName, compared case-insensitively (the uniqueness rule).
pub fn by_user_name(db: &impl Read, user_name: &str) -> Result<Option<UserRow>> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!("SELECT {READ} FROM {USERS} WHERE user_name_key = ?1"))?
        .query_row([fold(user_name)], from_row)
        .optional()?)
}

/// SCIM-visible users (not guests, not SCIM-deleted) matching an indexed equality.
pub fn scim_by_external_id(db: &impl Read, v: &str) -> Result<Vec<UserRow>> {
    query_users(
        db,
        &format!(
            "SELECT {READ} FROM {USERS} WHERE external_id = ?1 AND is_guest = 0 AND scim_deleted = 0 ORDER BY seq"
        ),
        [v],
    )
}

pub fn scim_by_display_name(db: &impl Read, v: &str) -> Result<Vec<UserRow>> {
    query_users(
        db,
        &format!(
            "SELECT {READ} FROM {USERS} WHERE display_key = ?1 AND is_guest = 0 AND scim_deleted = 0 ORDER BY seq"
        ),
        [fold(v)],
    )
}

pub fn scim_by_email(db: &impl Read, v: &str) -> Result<Vec<UserRow>> {
    query_users(
        db,
        &format!(
            "SELECT {READ} FROM {USERS} WHERE id IN (SELECT user_id FROM user_emails WHERE value = ?1) \
             AND is_guest = 0 AND scim_deleted = 0 ORDER BY seq"
        ),
        [fold(v)],
    )
}

/// Where recent SCIM list pages ended, so the next page starts there: `(reshaped, position, seq)`
/// says exactly `position` SCIM-visible users have a `seq` up to `seq`, for as long as the
/// `scim_visible.reshaped` count is `reshaped` (it moves whenever a user leaves the list or joins
/// it before another). Shared by the workers: a client's pages go to any of them.
#[derive(Debug, Default)]
pub struct Positions {
    ends: std::sync::Mutex<std::collections::VecDeque<(i64, usize, i64)>>,
}

/// Page ends remembered (a few per paging client; older ones are forgotten first).
const POSITIONS_KEPT: usize = 64;

impl Positions {
    /// The nearest known position at or before `offset` under `reshaped`: `(position, seq)`.
    fn before(&self, reshaped: i64, offset: usize) -> Option<(usize, i64)> {
        let ends = self.ends.lock().unwrap_or_else(|p| p.into_inner());
        ends.iter()
            .filter(|(r, at, _)| *r == reshaped && *at <= offset)
            .max_by_key(|(_, at, _)| *at)
            .map(|(_, at, seq)| (*at, *seq))
    }

    fn remember(&self, reshaped: i64, position: usize, seq: i64) {
        let mut ends = self.ends.lock().unwrap_or_else(|p| p.into_inner());
        ends.retain(|(r, at, _)| *r == reshaped && *at != position);
        if ends.len() == POSITIONS_KEPT {
            ends.pop_front();
        }
        ends.push_back((reshaped, position, seq));
    }
}

/// Ends the page's savepoint (its read snapshot, unless one was open already) however its reads went.
struct PageSavepoint<'a>(&'a rusqlite::Connection);

impl Drop for PageSavepoint<'_> {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("RELEASE page");
    }
}

/// Calls `f` on each user of a page of SCIM-visible users in creation order, a row at a time, and
/// returns the total; both read in one snapshot. The total is the `scim_visible` row's count; the
/// page starts from the nearest page end `positions` knows (the common case: the next page of a
/// client paging through), skipping only the users between it and `offset` in the covering index
/// `users_scim_order`. Its own end is remembered in turn.
pub fn scim_page(
    db: &impl Read,
    positions: &Positions,
    offset: usize,
    limit: usize,
    mut f: impl FnMut(UserRow) -> Result<()>,
) -> Result<usize> {
    let conn = db.conn();
    conn.execute_batch("SAVEPOINT page")?;
    let _savepoint = PageSavepoint(conn);
    let (total, reshaped): (i64, i64) = conn
        .prepare_cached("SELECT users, reshaped FROM scim_visible WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let total = usize::try_from(total).unwrap_or(0);
    if limit == 0 || offset >= total {
        return Ok(total);
    }
    let (from, after) = positions.before(reshaped, offset).unwrap_or((0, i64::MIN));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {READ} FROM {USERS} WHERE users.rowid IN (SELECT rowid FROM users INDEXED BY users_scim_order \
         WHERE is_guest = 0 AND scim_deleted = 0 AND seq > ?3 ORDER BY seq LIMIT ?1 OFFSET ?2) ORDER BY seq"
    ))?;
    let mut rows = stmt.query(params![limit as i64, (offset - from) as i64, after])?;
    let (mut listed, mut last) = (0, None);
    while let Some(r) = rows.next()? {
        let u = from_row(r)?;
        last = Some(u.seq);
        listed += 1;
        f(u)?;
    }
    if let Some(seq) = last {
        positions.remember(reshaped, offset + listed, seq);
    }
    Ok(total)
}

/// Calls `f` on every SCIM-visible user in creation order (filter scans), without holding them all.
pub fn scim_each(db: &impl Read, mut f: impl FnMut(UserRow) -> Result<()>) -> Result<()> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {READ} FROM {USERS} WHERE is_guest = 0 AND scim_deleted = 0 ORDER BY seq"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        f(from_row(r)?)?;
    }
    Ok(())
}

/// The admin list's filters, typed; the store alone turns them into SQL.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    pub status: Option<Status>,
    pub seat: Option<Seat>,
    /// DI-managed users only (`true`) or the others only (`false`).
    pub managed: Option<bool>,
    /// Leave out pending users ([`NOT_PENDING`]): the legacy plan's default list.
    pub hide_pending: bool,
    /// A prefix (case-folded) of the userName, the display name, the primary email, or the domain
    /// of either.
    pub text: Option<String>,
    /// Only users after this creation order (the keyset cursor).
    pub after_seq: Option<i64>,
}

/// The users that are not pending (`domain::rules::is_pending` on a legacy plan: active,
/// DI-managed, not a guest, never signed in, unlicensed and in no group), word for word the WHERE
/// clause of the partial index `users_not_pending` (schema.sql), so a query with this term walks it.
pub const NOT_PENDING: &str = "NOT (status = 'active' AND managed_by_directory = 1
    AND is_guest = 0 AND first_sign_in IS NULL AND licensed = 0 AND in_groups = 0)";

/// The keys a `q` prefix is looked up in, each with an index of its own (schema.sql).
const SEARCH_KEYS: [&str; 5] = [
    "user_name_key",
    "display_key",
    "primary_email",
    "substr(primary_email, instr(primary_email, '@') + 1)",
    "substr(user_name_key, instr(user_name_key, '@') + 1)",
];

/// Users in creation order a text search reads first, before it turns to the indexes.
const SEARCH_WINDOW: usize = 4_000;

/// How a text search finds its users.
#[derive(Clone, Copy)]
enum Search {
    /// Among the next [`SEARCH_WINDOW`] users in creation order: a prefix many users share (the
    /// plan's domain, say) fills a page at once there.
    Window,
    /// Through the index of every key: a rare prefix costs what it finds.
    Indexes,
}

/// A batch of the admin list in creation order: at most `limit` users matching `filter`, read
/// through the creation-order indexes (a keyset page: its cost follows the page, not the plan).
pub fn admin_batch(db: &impl Read, filter: &AdminFilter, limit: usize) -> Result<Vec<UserRow>> {
    if filter.text.is_some() {
        let found = admin_query(db, filter, limit, Search::Window)?;
        if found.len() == limit {
            return Ok(found);
        }
    }
    admin_query(db, filter, limit, Search::Indexes)
}

fn admin_query(db: &impl Read, filter: &AdminFilter, limit: usize, search: Search) -> Result<Vec<UserRow>> {
    // `?4` is the prefix and `?5` the prefix followed by the highest character: a key in
    // [?4, ?5) starts with the prefix.
    let in_range = |key: &str| format!("({key} >= ?4 AND {key} < ?5)");
    let mut sql = match (filter.text.is_some(), search) {
        (true, Search::Window) => format!(
            "SELECT {READ} FROM (SELECT * FROM users WHERE seq > ?1 ORDER BY seq LIMIT {SEARCH_WINDOW}) AS users \
             LEFT JOIN user_groups AS ug ON ug.user_seq = users.seq WHERE ({})",
            SEARCH_KEYS.map(in_range).join(" OR ")
        ),
        (true, Search::Indexes) => format!(
            "SELECT {READ} FROM {USERS} WHERE seq > ?1 AND seq IN ({})",
            SEARCH_KEYS.map(|key| format!("SELECT seq FROM users WHERE {}", in_range(key))).join(" UNION ")
        ),
        (false, _) => format!("SELECT {READ} FROM {USERS} WHERE seq > ?1"),
    };
    if filter.status.is_some() {
        sql.push_str(" AND status = ?2");
    }
    if filter.seat.is_some() {
        sql.push_str(" AND seat = ?3");
    }
    if filter.managed.is_some() {
        sql.push_str(" AND managed_by_directory = ?6");
    }
    if filter.hide_pending {
        sql.push_str(" AND ");
        sql.push_str(NOT_PENDING);
    }
    // The limit is the last parameter, so the statement always has them all.
    sql.push_str(" ORDER BY seq LIMIT ?7");
    let mut stmt = db.conn().prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![
            filter.after_seq.unwrap_or(i64::MIN),
            filter.status,
            filter.seat,
            filter.text.as_deref(),
            filter.text.as_deref().map(|t| format!("{t}\u{10FFFF}")),
            filter.managed,
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Users a batch of [`each`] (and of every whole-plan walk) reads.
pub const BATCH: usize = 500;

/// The next [`BATCH`] users after `after` in creation order, through the creation-order index,
/// advancing `after` to the last of them: a whole-plan walk a batch at a time (reports, reconcile,
/// [`each`]). Fewer than [`BATCH`] users means the walk has reached the end.
pub fn next_batch(db: &impl Read, after: &mut Option<i64>) -> Result<Vec<UserRow>> {
    let batch = admin_batch(db, &AdminFilter { after_seq: *after, ..Default::default() }, BATCH)?;
    if let Some(last) = batch.last() {
        *after = Some(last.seq);
    }
    Ok(batch)
}

/// How many users the plan holds, guests and SCIM-deleted ones included.
pub fn count_all(db: &impl Read) -> Result<u64> {
    let n: i64 = db.conn().prepare_cached("SELECT count(*) FROM users")?.query_row([], |r| r.get(0))?;
    Ok(n.unsigned_abs())
}

pub fn insert(tx: &WriteTx<'_>, u: &UserRow) -> Result<i64> {
    let conn = tx.conn();
    let seq: i64 =
        conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM users")?.query_row([], |r| r.get(0))?;
    let inserted = conn
        .prepare_cached(&format!(
            "INSERT INTO users ({COLUMNS}, user_name_key, display_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, \
             ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)"
        ))?
        .execute(params![
            u.id, seq, u.user_name, u.external_id, u.display_name, u.primary_email, u.doc.to_string(), u.version,
            u.status, u.seat, u.licensed, u.is_guest, u.managed_by_directory, u.manual_seat, u.scim_deleted,
            u.provisional_until, u.first_sign_in, u.created, u.last_modified, fold(&u.user_name),
            u.display_name.as_deref().map(fold)
        ]);
    match inserted {
        Ok(_) => Ok(seq),
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(Error::uniqueness(format!("a user with userName \"{}\" already exists", u.user_name)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes every column of an existing user.
/// The columns an update may write, in the order of [`update_values`].
const UPDATED: [&str; 20] = [
    "user_name",
    "external_id",
    "display_name",
    "primary_email",
    "doc",
    "version",
    "status",
    "seat",
    "licensed",
    "is_guest",
    "managed_by_directory",
    "manual_seat",
    "scim_deleted",
    "provisional_until",
    "first_sign_in",
    "last_modified",
    "user_name_key",
    "display_key",
    "recreate_refused_at",
    "downgrade_held",
];

/// The value of each of [`UPDATED`]'s columns for `u`.
fn update_values(u: &UserRow) -> Result<[Value; UPDATED.len()]> {
    let owned = |v: &dyn ToSql| -> Result<Value> {
        match v.to_sql()? {
            ToSqlOutput::Owned(v) => Ok(v),
            ToSqlOutput::Borrowed(r) => Ok(match r {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(f) => Value::Real(f),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            }),
            _ => Err(Error::internal("a user column has no plain SQL value")),
        }
    };
    Ok([
        owned(&u.user_name)?,
        owned(&u.external_id)?,
        owned(&u.display_name)?,
        owned(&u.primary_email)?,
        Value::Text(u.doc.to_string()),
        Value::Integer(u.version - u.group_bumps),
        owned(&u.status)?,
        owned(&u.seat)?,
        owned(&u.licensed)?,
        owned(&u.is_guest)?,
        owned(&u.managed_by_directory)?,
        owned(&u.manual_seat)?,
        owned(&u.scim_deleted)?,
        owned(&u.provisional_until)?,
        owned(&u.first_sign_in)?,
        owned(&u.last_modified)?,
        Value::Text(fold(&u.user_name)),
        owned(&u.display_name.as_deref().map(fold))?,
        owned(&u.recreate_refused_at)?,
        owned(&u.downgrade_held)?,
    ])
}

/// Writes `u` over the stored user with its id, setting only the columns whose value changed: an
/// index is maintained only when one of its columns is set, and most writes (a PATCH of a name, a
/// membership's version bump) change a few columns of a row that has many indexes.
pub fn update(tx: &WriteTx<'_>, u: &UserRow) -> Result<()> {
    let conn = tx.conn();
    let new = update_values(u)?;
    let old: Option<Vec<Value>> = conn
        .prepare_cached(&format!("SELECT {} FROM users WHERE id = ?1", UPDATED.join(", ")))?
        .query_row([&u.id], |r| (0..UPDATED.len()).map(|i| r.get::<_, Value>(i)).collect())
        .optional()?;
    let Some(old) = old else { return Err(Error::not_found(format!("no user with id \"{}\"", u.id))) };
    let changed: Vec<usize> = (0..UPDATED.len()).filter(|&i| old.get(i) != new.get(i)).collect();
    if changed.is_empty() {
        return Ok(());
    }
    let sets: Vec<String> =
        changed.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", UPDATED[i], n + 2)).collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(changed.len() + 1);
    values.push(&u.id);
    values.extend(changed.iter().map(|&i| &new[i] as &dyn ToSql));
    let written = conn
        .prepare_cached(&format!("UPDATE users SET {} WHERE id = ?1", sets.join(", ")))?
        .execute(values.as_slice());
    match written {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(Error::uniqueness(format!("another user already has userName \"{}\"", u.user_name)))
        }
        Err(e) => Err(e.into()),
    }
}

pub fn delete(tx: &WriteTx<'_>, id: &str) -> Result<()> {
    let conn = tx.conn();
    conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
    Ok(())
}

/// Replaces the user's email index entries.
pub fn set_emails(tx: &WriteTx<'_>, id: &str, emails: &[String]) -> Result<()> {
    tx.conn().prepare_cached("DELETE FROM user_emails WHERE user_id = ?1")?.execute([id])?;
    add_emails(tx, id, emails)
}

/// Adds email index entries: a new user's, or after [`set_emails`] cleared the old ones.
pub fn add_emails(tx: &WriteTx<'_>, id: &str, emails: &[String]) -> Result<()> {
    let mut stmt =
        tx.conn().prepare_cached("INSERT OR IGNORE INTO user_emails (user_id, value) VALUES (?1, ?2)")?;
    for e in emails {
        stmt.execute(params![id, fold(e)])?;
    }
    Ok(())
}

/// Replaces the role values held through the `roles` attribute.
pub fn set_roles(tx: &WriteTx<'_>, id: &str, values: &[String]) -> Result<()> {
    tx.conn().prepare_cached("DELETE FROM user_roles WHERE user_id = ?1")?.execute([id])?;
    add_roles(tx, id, values)
}

/// Adds role values of the `roles` attribute: a new user's, or after [`set_roles`] cleared the old.
pub fn add_roles(tx: &WriteTx<'_>, id: &str, values: &[String]) -> Result<()> {
    let mut stmt =
        tx.conn().prepare_cached("INSERT OR IGNORE INTO user_roles (user_id, value) VALUES (?1, ?2)")?;
    for v in values {
        stmt.execute(params![id, v])?;
    }
    Ok(())
}

pub fn roles(db: &impl Read, id: &str) -> Result<Vec<String>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached("SELECT value FROM user_roles WHERE user_id = ?1 ORDER BY value")?;
    let rows = stmt.query_map([id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Active users holding a seat counted by member_seat_limit: a member seat, or a licence on legacy
/// plans (where users have no seat) — the domain's `Snapshot::holds_member_seat`.
pub fn members_in_use(db: &impl Read) -> Result<u64> {
    let conn = db.conn();
    let n: i64 = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM users WHERE seat = ?2 AND status = ?1) \
             + (SELECT count(*) FROM users WHERE seat IS NULL AND status = ?1 AND licensed = 1)",
        )?
        .query_row(params![Status::Active, Seat::Member], |r| r.get(0))?;
    Ok(n as u64)
}

/// Active provisional members (the sweep's candidates).
/// Active provisional members after `after_seq` in creation order, at most `limit` (a batch of the
/// provisional sweep, read through the seat index).
pub fn provisional_batch(db: &impl Read, after_seq: Option<i64>, limit: usize) -> Result<Vec<UserRow>> {
    query_users(
        db,
        &format!(
            "SELECT {READ} FROM {USERS} WHERE seat = ?1 AND status = ?2 AND seq > ?3 ORDER BY seq LIMIT ?4"
        ),
        params![
            Seat::ProvisionalMember,
            Status::Active,
            after_seq.unwrap_or(i64::MIN),
            i64::try_from(limit).unwrap_or(i64::MAX)
        ],
    )
}

/// Users by status and seat (the `/metrics` gauges), in a stable order.
pub fn count_by_status_and_seat(db: &impl Read) -> Result<Vec<(Status, Option<Seat>, u64)>> {
    let mut stmt = db
        .conn()
        .prepare_cached("SELECT status, seat, count(*) FROM users GROUP BY status, seat ORDER BY 1, 2")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Records the first refused re-creation of a user deleted through SCIM; false when one was
/// recorded already (it is recorded once, until the user is reactivated, which clears it through
/// [`update`]).
pub fn mark_recreate_refused(tx: &WriteTx<'_>, id: &str, at: &str) -> Result<bool> {
    Ok(tx.conn().execute(
        "UPDATE users SET recreate_refused_at = ?2 WHERE id = ?1 AND recreate_refused_at IS NULL",
        params![id, at],
    )? > 0)
}

/// Users whose downgrade by the IdP's first write is held (the `/metrics` gauge).
pub fn downgrades_held(db: &impl Read) -> Result<u64> {
    let n: i64 = db
        .conn()
        .prepare_cached("SELECT count(*) FROM users WHERE downgrade_held = 1")?
        .query_row([], |r| r.get(0))?;
    Ok(n as u64)
}

#[cfg(test)]
mod tests {
    use super::UserRow;
    use serde_json::json;

    /// A row with another document keeps every other column.
    #[test]
    fn with_doc_keeps_every_column_but_the_document() {
        let mut row = UserRow::new("u1".into(), json!({"userName": "a"}), "2024-01-02T03:04:05Z".into());
        row.seq = 7;
        row.user_name = "a".into();
        row.external_id = Some("x".into());
        row.version = 3;
        row.seat = Some(crate::domain::seats::Seat::Member);
        row.provisional_until = Some(5);
        row.recreate_refused_at = Some("then".into());
        row.downgrade_held = true;
        row.in_groups = 2;
        let mut other = row.with_doc(json!({"userName": "b"}));
        assert_eq!(other.doc, json!({"userName": "b"}));
        other.doc = row.doc.clone();
        assert_eq!(other, row);
    }
}
