//! Seats in service: loads the plan (settings and role table), turns stored users into the domain's
//! `UserState`, asks the pure rules (`domain::plan`) what a step does, stores the outcome and writes
//! its audit events in the caller's transaction. SCIM, the admin API, the CLI and the sweep all come
//! through here, so every change of a seat or status is audited the same way.

use crate::base::calendar;
use crate::domain::plan::{
    self as rules, Change, Context, Outcome, Reason, Refusal, RefusalKind, ScimDelete, UserState,
};
use crate::domain::roles::{self, HeldRole, RoleTable};
use crate::domain::seats::{PlanModel, Seat, Settings, Status};
use crate::error::{Error, Result};
use crate::scim::resource::{self, SeatView};
use crate::store::audit::{self, Event};
use crate::store::users::{self, UserRow};
use crate::store::{groups, plan as plan_store};
use crate::util;
use rusqlite::Connection;
use serde_json::Value;

/// Keys of the settings table that are process state, not plan settings.
pub const STATE_PREFIX: &str = "state.";
pub const GUARD_TRIPPED: &str = "state.deprovision_guard_tripped";
pub const GUARD_RESET_AT: &str = "state.deprovision_guard_reset_at";
/// The last deprovision counted before the guard's latest reset (later ones count again).
pub const GUARD_RESET_AFTER_ID: &str = "state.deprovision_guard_reset_after_id";
pub const DI_CHANGED_AT: &str = "state.di_changed_at";

/// Who is acting, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Token name, `cli` or `system`.
    pub name: String,
    /// `scim`, `admin`, `cli` or `system`.
    pub source: &'static str,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn cli() -> Actor {
        Actor { name: "cli".into(), source: "cli", request_id: None }
    }
    pub fn system() -> Actor {
        Actor { name: "system".into(), source: "system", request_id: None }
    }
}

/// The plan as the rules need it.
pub struct Plan {
    pub settings: Settings,
    pub roles: RoleTable,
}

pub fn plan(conn: &Connection) -> Result<Plan> {
    let entries = plan_store::all_settings(conn)?;
    let settings = Settings::from_entries(
        entries.iter().filter(|(k, _)| !k.starts_with(STATE_PREFIX)).map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(|e| Error::internal(format!("stored settings are not valid: {e}")))?;
    let roles: RoleTable = plan_store::role_table(conn)?.unwrap_or_default();
    Ok(Plan { settings, roles })
}

impl Plan {
    /// SCIM writes are refused with 403 while DI is off (reads work).
    pub fn require_scim_writes(&self) -> Result<()> {
        if self.settings.di_enabled {
            Ok(())
        } else {
            Err(Error::forbidden(
                "di_off",
                "Directory Integration is off, so SCIM changes are refused and nothing was changed: a plan \
                 administrator turns it on with POST /admin/di/enable or `scim-seat di enable`",
            ))
        }
    }

    /// A SCIM user must be on a validated domain (unless enforce_domains is off).
    pub fn check_domain(&self, conn: &Connection, u: &UserRow) -> Result<()> {
        let domains: Vec<String> =
            plan_store::domains(conn)?.into_iter().filter(|d| d.verified).map(|d| d.name).collect();
        rules::check_user_domain(&u.user_name, u.primary_email.as_deref(), &domains, &self.settings)
            .map_err(refusal)
    }

    fn context(&self, conn: &Connection) -> Result<Context<'_>> {
        Ok(Context {
            settings: &self.settings,
            member_seats_in_use: users::members_in_use(conn)?,
            now: util::now_unix(),
        })
    }
}

/// The one mapping from a rule's refusal to an error.
pub fn refusal(r: Refusal) -> Error {
    let code = r.code();
    let detail = r.detail;
    match r.kind {
        RefusalKind::Conflict => Error::conflict(code, detail),
        RefusalKind::Mutability => Error::mutability(detail).with_code(code),
        RefusalKind::InvalidValue => Error::invalid_value(detail).with_code(code),
        RefusalKind::Forbidden => Error::forbidden(code, detail),
        RefusalKind::TooManyRequests => Error::too_many_requests(code, 60, detail),
    }
}

pub fn state_of(u: &UserRow) -> UserState {
    UserState {
        status: if u.status == "active" { Status::Active } else { Status::Deactivated },
        seat: u.seat.as_deref().and_then(|s| Seat::parse(s).ok()),
        managed_by_directory: u.managed_by_directory,
        is_guest: u.is_guest,
        manual_seat: u.manual_seat,
        provisional_until: u.provisional_until,
        first_sign_in: u.first_sign_in,
        licensed: u.licensed,
    }
}

/// Writes a state into the row (and keeps the SCIM `active` attribute in step with the status).
pub fn put_state(u: &mut UserRow, s: &UserState) {
    u.status = if s.status == Status::Active { "active" } else { "deactivated" }.to_string();
    u.seat = s.seat.map(|seat| seat.as_str().to_string());
    u.managed_by_directory = s.managed_by_directory;
    u.is_guest = s.is_guest;
    u.manual_seat = s.manual_seat;
    u.provisional_until = s.provisional_until;
    u.first_sign_in = s.first_sign_in;
    u.licensed = s.licensed;
    if let Some(doc) = u.doc.as_object_mut() {
        doc.insert("active".into(), Value::Bool(s.status == Status::Active));
    }
}

/// The roles a user holds: its `roles` attribute and the groups it is in.
pub fn held(conn: &Connection, plan: &Plan, u: &UserRow) -> Result<Vec<HeldRole>> {
    let groups: Vec<String> = groups::of_user(conn, &u.id)?.into_iter().map(|(_, name)| name).collect();
    Ok(held_in(plan, u, &groups))
}

/// The roles a user holds, given the display names of its groups.
pub fn held_in<S: AsRef<str>>(plan: &Plan, u: &UserRow, group_names: &[S]) -> Vec<HeldRole> {
    roles::held_roles(
        &plan.roles,
        resource::role_values(&u.doc),
        group_names.iter().map(AsRef::as_ref),
        plan.settings.role_group_prefix.as_deref(),
    )
}

fn snapshot_seat(s: &Option<rules::Snapshot>) -> Option<String> {
    s.and_then(|s| s.seat).map(|seat| seat.as_str().to_string())
}

fn snapshot_status(s: &Option<rules::Snapshot>) -> Option<String> {
    s.map(|s| if s.status == Status::Active { "active" } else { "deactivated" }.to_string())
}

/// The one audit writer: an event for `user_id` (or the plan, when `None`) with before/after.
pub fn audit(
    conn: &Connection,
    actor: &Actor,
    action: &str,
    user_id: Option<&str>,
    before: Option<rules::Snapshot>,
    after: Option<rules::Snapshot>,
    reason: &str,
) -> Result<()> {
    audit::insert(
        conn,
        &Event {
            id: 0,
            at: util::now_rfc3339(),
            actor: actor.name.clone(),
            source: actor.source.to_string(),
            action: action.to_string(),
            user_id: user_id.map(str::to_string),
            before_seat: snapshot_seat(&before),
            before_status: snapshot_status(&before),
            after_seat: snapshot_seat(&after),
            after_status: snapshot_status(&after),
            reason: Some(reason.to_string()),
            request_id: actor.request_id.clone(),
        },
    )?;
    Ok(())
}

/// Writes one audit event for a change of a user's seat or status.
pub fn audit_change(conn: &Connection, actor: &Actor, user_id: &str, change: &Change) -> Result<()> {
    audit(
        conn,
        actor,
        change.reason.code.as_str(),
        Some(user_id),
        change.from,
        change.to,
        &change.reason.detail,
    )
}

/// Writes an event that changed nothing (a `seat_limit`), with before = after.
fn audit_event(conn: &Connection, actor: &Actor, u: &UserRow, reason: &Reason) -> Result<()> {
    let snap = Some(state_of(u).snapshot());
    let change = Change { from: snap, to: snap, reason: reason.clone() };
    audit_change(conn, actor, &u.id, &change)
}

/// Stores an outcome in the row and audits it.
pub fn apply(conn: &Connection, actor: &Actor, u: &mut UserRow, outcome: &Outcome) -> Result<()> {
    put_state(u, &outcome.state);
    if let Some(change) = &outcome.change {
        audit_change(conn, actor, &u.id, change)?;
    }
    for e in &outcome.events {
        audit_event(conn, actor, u, e)?;
    }
    Ok(())
}

fn wants_active(doc: &Value) -> bool {
    doc.get("active").and_then(Value::as_bool).unwrap_or(true)
}

/// A new SCIM user (not yet inserted; its id is set): its first seat, from its `roles` attribute
/// (group memberships come later, each an update call). A body with `active: false` creates the user
/// deactivated.
pub fn on_create(conn: &Connection, plan: &Plan, actor: &Actor, u: &mut UserRow) -> Result<()> {
    let ctx = plan.context(conn)?;
    let held = roles::held_roles(
        &plan.roles,
        resource::role_values(&u.doc),
        Vec::<String>::new(),
        plan.settings.role_group_prefix.as_deref(),
    );
    let outcome = rules::on_create(roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?;
    let inactive = !wants_active(&u.doc);
    apply(conn, actor, u, &outcome)?;
    if inactive {
        let outcome = rules::scim_deactivate(&outcome.state, &ctx).map_err(refusal)?;
        apply(conn, actor, u, &outcome)?;
    }
    Ok(())
}

/// A SCIM PUT or PATCH of the user (its document already replaced in `u`): deactivation,
/// reactivation, or an update call that applies the seat rules.
pub fn on_update(
    conn: &Connection,
    plan: &Plan,
    actor: &Actor,
    before: &UserRow,
    u: &mut UserRow,
) -> Result<()> {
    let ctx = plan.context(conn)?;
    let state = state_of(before);
    let outcome = match (state.is_active(), wants_active(&u.doc)) {
        (true, false) => {
            guard_deprovision(conn, plan, u)?;
            rules::scim_deactivate(&state, &ctx).map_err(refusal)?
        }
        (false, true) => {
            let held = held(conn, plan, u)?;
            rules::scim_reactivate(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (true, true) => {
            let held = held(conn, plan, u)?;
            rules::on_update_call(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (false, false) => {
            put_state(u, &state);
            return Ok(());
        }
    };
    apply(conn, actor, u, &outcome)
}

/// SCIM DELETE: deactivate and hide from SCIM, or remove for good, as `deprovision` says.
pub fn on_scim_delete(conn: &Connection, plan: &Plan, actor: &Actor, u: &mut UserRow) -> Result<()> {
    let ctx = plan.context(conn)?;
    let state = state_of(u);
    if state.is_active() {
        guard_deprovision(conn, plan, u)?;
    }
    match rules::scim_delete(&state, &ctx).map_err(refusal)? {
        ScimDelete::Deactivated(outcome) => {
            apply(conn, actor, u, &outcome)?;
            u.scim_deleted = true;
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
            users::update(conn, u)
        }
        ScimDelete::Removed(change) => {
            audit_change(conn, actor, &u.id, &change)?;
            users::delete(conn, &u.id)
        }
    }
}

/// Group changes that added or removed these users: an update call for each (O(changed members)).
pub fn membership_changed(conn: &Connection, plan: &Plan, actor: &Actor, user_ids: &[String]) -> Result<()> {
    for id in user_ids {
        let Some(before) = users::get(conn, id)? else { continue };
        let mut u = before.clone();
        let state = state_of(&before);
        if state.is_active() {
            let ctx = plan.context(conn)?;
            let held = held(conn, plan, &u)?;
            let outcome = rules::on_update_call(&state, roles::target_seat(&held, &plan.roles), &ctx)
                .map_err(refusal)?;
            apply(conn, actor, &mut u, &outcome)?;
        }
        // The user's `groups` changed, so its representation (and version) did too.
        u.version += 1;
        u.last_modified = util::now_rfc3339_secs();
        users::update(conn, &u)?;
    }
    Ok(())
}

/// The deprovision guard before a SCIM deactivation or delete; records the deprovision when allowed
/// and trips the breaker when this one reaches the maximum.
fn guard_deprovision(conn: &Connection, plan: &Plan, u: &UserRow) -> Result<()> {
    let guard = plan.settings.deprovision_guard;
    let now = util::now_unix();
    let tripped = plan_store::setting(conn, GUARD_TRIPPED)?.as_deref() == Some("true");
    let in_window = deprovisions_in_window(conn, plan, now)?;
    rules::check_deprovision_guard(&plan.settings, tripped, in_window).map_err(refusal)?;
    conn.execute(
        "INSERT INTO deprovisions (at_unix, user_id) VALUES (?1, ?2)",
        rusqlite::params![now, u.id],
    )?;
    if in_window + 1 >= guard.max {
        plan_store::set_setting(conn, GUARD_TRIPPED, "true")?;
        log::warn!(
            "deprovision guard tripped: {} SCIM deprovisions within {} minutes; further ones get 429 until reset",
            in_window + 1,
            guard.window_minutes
        );
    }
    Ok(())
}

/// SCIM deprovisions in the guard's window since its last reset.
pub fn deprovisions_in_window(conn: &Connection, plan: &Plan, now: i64) -> Result<u64> {
    let window_start = now - (plan.settings.deprovision_guard.window_minutes as i64) * 60;
    let after_id: i64 =
        plan_store::setting(conn, GUARD_RESET_AFTER_ID)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM deprovisions WHERE at_unix >= ?1 AND id > ?2",
        rusqlite::params![window_start, after_id],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// The read-only seat extension of a SCIM user, given the display names of its groups.
pub fn view<S: AsRef<str>>(plan: &Plan, u: &UserRow, group_names: &[S]) -> SeatView {
    let held = held_in(plan, u, group_names);
    SeatView {
        seat_type: match plan.settings.plan_model {
            PlanModel::UserModel => u.seat.clone(),
            PlanModel::Legacy => None,
        },
        status: u.status.clone(),
        managed_by_directory: u.managed_by_directory,
        provisional_until: u.provisional_until.map(calendar::rfc3339),
        admin_roles: roles::admin_rights(&held, &plan.roles).iter().map(|r| r.as_str().to_string()).collect(),
    }
}

/// 409 for a userName already taken, saying by whom.
pub fn duplicate_user_name(existing: &UserRow) -> Error {
    if existing.is_guest {
        Error::uniqueness(format!(
            "userName \"{}\" belongs to a guest of this plan; guests are managed only in admin \
             (remove the guest first to provision this user through SCIM)",
            existing.user_name
        ))
    } else if existing.scim_deleted {
        Error::uniqueness(format!(
            "userName \"{}\" belongs to a deactivated user that was deleted through SCIM; an administrator \
             reactivates it (DI off) or removes it from the plan",
            existing.user_name
        ))
    } else {
        Error::uniqueness(format!(
            "a user with userName \"{}\" already exists (id {})",
            existing.user_name, existing.id
        ))
    }
}
