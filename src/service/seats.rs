//! Seats in service: loads the plan (settings and role table), turns stored users into the domain's
//! `UserState`, asks the pure rules (`domain::rules`) what a step does, stores the outcome and writes
//! its audit events in the caller's transaction. SCIM, the admin API, the CLI and the sweep all come
//! through here, so every change of a seat or status is audited the same way.

use crate::base::calendar;
use crate::domain::roles;
use crate::domain::rules::{self, Change, Outcome, Reason, Refusal, RefusalKind, ScimDelete, UserState};
use crate::domain::seats::{PlanModel, Status};
use crate::error::{Error, Result};
use crate::scim::resource::{self, SeatView};
use crate::service::plan::Plan;
use crate::store::audit::{self, Event};
use crate::store::users::{self, UserRow};
use crate::store::{Read, WriteTx, state};
use crate::util;
use serde_json::Value;

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
        status: u.status,
        seat: u.seat,
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
    u.status = s.status;
    u.seat = s.seat;
    u.managed_by_directory = s.managed_by_directory;
    u.is_guest = s.is_guest;
    u.manual_seat = s.manual_seat;
    u.provisional_until = s.provisional_until;
    u.first_sign_in = s.first_sign_in;
    u.licensed = s.licensed;
    resource::set_active(&mut u.doc, s.status == Status::Active);
}

fn snapshot_seat(s: &Option<rules::Snapshot>) -> Option<String> {
    s.and_then(|s| s.seat).map(|seat| seat.as_str().to_string())
}

fn snapshot_status(s: &Option<rules::Snapshot>) -> Option<String> {
    s.map(|s| if s.status == Status::Active { "active" } else { "deactivated" }.to_string())
}

/// The one audit writer: an event for `user_id` (or the plan, when `None`) with before/after.
pub fn audit(
    tx: &WriteTx<'_>,
    actor: &Actor,
    action: &str,
    user_id: Option<&str>,
    before: Option<rules::Snapshot>,
    after: Option<rules::Snapshot>,
    reason: &str,
) -> Result<()> {
    audit::insert(
        tx,
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
pub fn audit_change(tx: &WriteTx<'_>, actor: &Actor, user_id: &str, change: &Change) -> Result<()> {
    audit(
        tx,
        actor,
        change.reason.code.as_str(),
        Some(user_id),
        change.from,
        change.to,
        &change.reason.detail,
    )
}

/// Writes an event that changed nothing (a `seat_limit`), with before = after.
fn audit_event(tx: &WriteTx<'_>, actor: &Actor, u: &UserRow, reason: &Reason) -> Result<()> {
    let snap = Some(state_of(u).snapshot());
    let change = Change { from: snap, to: snap, reason: reason.clone() };
    audit_change(tx, actor, &u.id, &change)
}

/// Stores an outcome in the row and audits it.
pub fn apply(tx: &WriteTx<'_>, actor: &Actor, u: &mut UserRow, outcome: &Outcome) -> Result<()> {
    put_state(u, &outcome.state);
    if let Some(change) = &outcome.change {
        audit_change(tx, actor, &u.id, change)?;
    }
    for e in &outcome.events {
        audit_event(tx, actor, u, e)?;
    }
    Ok(())
}

fn wants_active(doc: &Value) -> bool {
    resource::is_active(doc)
}

/// Sets the row's indexed columns from its document (userName, externalId, displayName, primary
/// email), as the protocol layer reads them.
pub fn set_keys(u: &mut UserRow) {
    let keys = resource::user_keys(&u.doc);
    u.user_name = keys.user_name;
    u.external_id = keys.external_id;
    u.display_name = keys.display_name;
    u.primary_email = keys.primary_email;
}

/// A new SCIM user (not yet inserted; its id is set): its first seat, from its `roles` attribute
/// (group memberships come later, each an update call). A body with `active: false` creates the user
/// deactivated.
pub fn on_create(tx: &WriteTx<'_>, plan: &Plan, actor: &Actor, u: &mut UserRow) -> Result<()> {
    let ctx = plan.context(tx)?;
    let held = roles::held_roles(
        &plan.roles,
        resource::role_values(&u.doc),
        Vec::<String>::new(),
        plan.settings.role_group_prefix.as_deref(),
    );
    let outcome = rules::on_create(roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?;
    let inactive = !wants_active(&u.doc);
    apply(tx, actor, u, &outcome)?;
    if inactive {
        let outcome = rules::scim_deactivate(&outcome.state, &ctx).map_err(refusal)?;
        apply(tx, actor, u, &outcome)?;
    }
    Ok(())
}

/// A SCIM PUT or PATCH of the user (its document already replaced in `u`): deactivation,
/// reactivation, or an update call that applies the seat rules.
pub fn on_update(
    tx: &WriteTx<'_>,
    plan: &Plan,
    actor: &Actor,
    before: &UserRow,
    u: &mut UserRow,
) -> Result<()> {
    let ctx = plan.context(tx)?;
    let state = state_of(before);
    let outcome = match (state.is_active(), wants_active(&u.doc)) {
        (true, false) => {
            guard_deprovision(tx, plan, u)?;
            rules::scim_deactivate(&state, &ctx).map_err(refusal)?
        }
        (false, true) => {
            let held = plan.held(tx, u)?;
            rules::scim_reactivate(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (true, true) => {
            let held = plan.held(tx, u)?;
            rules::on_update_call(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (false, false) => {
            put_state(u, &state);
            return Ok(());
        }
    };
    apply(tx, actor, u, &outcome)
}

/// SCIM DELETE: deactivate and hide from SCIM, or remove for good, as `deprovision` says.
pub fn on_scim_delete(tx: &WriteTx<'_>, plan: &Plan, actor: &Actor, u: &mut UserRow) -> Result<()> {
    let ctx = plan.context(tx)?;
    let state = state_of(u);
    if state.is_active() {
        guard_deprovision(tx, plan, u)?;
    }
    match rules::scim_delete(&state, &ctx).map_err(refusal)? {
        ScimDelete::Deactivated(outcome) => {
            apply(tx, actor, u, &outcome)?;
            u.scim_deleted = true;
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
            users::update(tx, u)
        }
        ScimDelete::Removed(change) => {
            audit_change(tx, actor, &u.id, &change)?;
            users::delete(tx, &u.id)
        }
    }
}

/// Group changes that added or removed these users: an update call for each (O(changed members)).
pub fn membership_changed(tx: &WriteTx<'_>, plan: &Plan, actor: &Actor, user_ids: &[String]) -> Result<()> {
    for id in user_ids {
        let Some(before) = users::get(tx, id)? else { continue };
        let mut u = before.clone();
        let state = state_of(&before);
        if state.is_active() {
            let ctx = plan.context(tx)?;
            let held = plan.held(tx, &u)?;
            let outcome = rules::on_update_call(&state, roles::target_seat(&held, &plan.roles), &ctx)
                .map_err(refusal)?;
            apply(tx, actor, &mut u, &outcome)?;
        }
        // The user's `groups` changed, so its representation (and version) did too.
        u.version += 1;
        u.last_modified = util::now_rfc3339_secs();
        users::update(tx, &u)?;
    }
    Ok(())
}

/// The deprovision guard before a SCIM deactivation or delete; records the deprovision when allowed
/// and trips the breaker when this one reaches the maximum.
fn guard_deprovision(tx: &WriteTx<'_>, plan: &Plan, u: &UserRow) -> Result<()> {
    let guard = plan.settings.deprovision_guard;
    let now = util::now_unix();
    let status = guard_status(tx, plan, now)?;
    rules::check_deprovision_guard(&plan.settings, status.tripped, status.in_window).map_err(refusal)?;
    state::record_deprovision(tx, now, &u.id)?;
    if status.in_window + 1 >= guard.max {
        state::trip_guard(tx)?;
        log::warn!(
            "deprovision guard tripped: {} SCIM deprovisions within {} minutes; further ones get 429 until reset",
            status.in_window + 1,
            guard.window_minutes
        );
    }
    Ok(())
}

/// The deprovision guard as it stands: its stored breaker and the deprovisions in its window since
/// its last reset.
pub struct GuardStatus {
    pub tripped: bool,
    pub in_window: u64,
    pub last_reset: Option<i64>,
}

pub fn guard_status(db: &impl Read, plan: &Plan, now: i64) -> Result<GuardStatus> {
    let window_start = now - (plan.settings.deprovision_guard.window_minutes as i64) * 60;
    let guard = state::get(db)?.guard;
    let in_window = state::deprovisions_since(db, window_start, &guard)?;
    Ok(GuardStatus { tripped: guard.tripped, in_window, last_reset: guard.reset_at })
}

/// The read-only seat extension of a SCIM user, given the display names of its groups.
pub fn view<S: AsRef<str>>(plan: &Plan, u: &UserRow, group_names: &[S]) -> SeatView {
    let held = plan.held_in(u, group_names);
    SeatView {
        seat_type: match plan.settings.plan_model {
            PlanModel::UserModel => u.seat.map(|s| s.as_str().to_string()),
            PlanModel::Legacy => None,
        },
        status: u.status.as_str().to_string(),
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
