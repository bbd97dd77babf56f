//! Seats in service: loads the plan (settings and role table), turns stored users into the domain's
//! `UserState`, asks the pure rules (`domain::rules`) what a step does, stores the outcome and writes
//! its audit events in the caller's transaction. SCIM, the admin API, the CLI and the sweep all come
//! through here, so every change of a seat or status is audited the same way.

use crate::base::calendar;
use crate::domain::roles::{self, HeldRole};
use crate::domain::rules::{
    self, Change, Outcome, Refusal, RefusalKind, ScimActiveFalse, ScimDelete, UserState,
};
use crate::domain::seats::{PlanModel, Status};
use crate::error::{Error, Result};
use crate::scim::resource::{self, SeatView};
use crate::service::plan::Plan;
use crate::store::audit::{self, Event};
use crate::store::users::{self, UserRow};
use crate::store::{Read, WriteTx, groups, state};
use crate::util;
use serde_json::Value;
use std::collections::BTreeSet;

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

/// The audit of an outcome for the user `id`: its change, then each of its events (one that changed
/// nothing, such as a `seat_limit`) with before = after, the state the outcome leaves.
fn audit_outcome(tx: &WriteTx<'_>, actor: &Actor, id: &str, outcome: &Outcome) -> Result<()> {
    if let Some(change) = &outcome.change {
        audit_change(tx, actor, id, change)?;
    }
    let snap = Some(outcome.state.snapshot());
    for reason in &outcome.events {
        audit_change(tx, actor, id, &Change { from: snap, to: snap, reason: reason.clone() })?;
    }
    Ok(())
}

/// What an outcome does to the held-downgrade flag: a held downgrade sets it, and it stays set until
/// the seat next changes.
fn downgrade_held(outcome: &Outcome) -> Option<bool> {
    match &outcome.change {
        Some(c) if c.reason.code == rules::Code::DowngradeHeld => Some(true),
        Some(c) if c.from != c.to => Some(false),
        _ => None,
    }
}

/// Stores an outcome in the row and audits it.
pub fn apply(tx: &WriteTx<'_>, actor: &Actor, u: &mut UserRow, outcome: &Outcome) -> Result<()> {
    put_state(u, &outcome.state);
    if let Some(held) = downgrade_held(outcome) {
        u.downgrade_held = held;
    }
    audit_outcome(tx, actor, &u.id, outcome)
}

/// [`apply`] for a user known by its id and state alone (whole-plan work that reads no documents):
/// writes only the seat columns, so it refuses an outcome that changes anything else (the status,
/// which the document mirrors, or who manages the user).
pub fn apply_seat(
    tx: &WriteTx<'_>,
    actor: &Actor,
    id: &str,
    state: &UserState,
    outcome: &Outcome,
) -> Result<()> {
    let next = &outcome.state;
    let (before, after) = (
        (state.status, state.managed_by_directory, state.is_guest, state.first_sign_in),
        (next.status, next.managed_by_directory, next.is_guest, next.first_sign_in),
    );
    if before != after {
        return Err(Error::internal(format!(
            "a seat-only write of user \"{id}\" would change more than its seat"
        )));
    }
    users::set_seat_columns(tx, id, next, downgrade_held(outcome), &util::now_rfc3339_secs())?;
    audit_outcome(tx, actor, id, outcome)
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

/// The names of the roles held: values and groups that match a role of the table. An update call
/// is a write that changes this set (SPEC section 3).
fn role_names(held: &[HeldRole]) -> BTreeSet<&str> {
    held.iter().filter_map(|h| h.role.as_deref()).collect()
}

/// The display names of the groups a user is in.
fn group_names(db: &impl Read, u: &UserRow) -> Result<Vec<String>> {
    Ok(groups::of_user(db, u.seq)?.into_iter().map(|(_, name)| name).collect())
}

/// What a SCIM PUT or PATCH did to the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updated {
    /// The user is stored with its new document and state.
    Kept,
    /// `active=false` with `deprovision = delete`: the user was removed for good.
    Removed,
}

/// The values of the `roles` attribute, as the rules compare them (trimmed, case-folded, empty ones
/// skipped as Okta sends `""` for a role not held).
fn role_values(doc: &serde_json::Value) -> BTreeSet<String> {
    resource::role_values(doc)
        .iter()
        .map(|v| crate::base::text::fold_case(v.trim()))
        .filter(|v| !v.is_empty())
        .collect()
}

/// An update call, when `is_update_call`: the rules for a user whose roles went from `before` to
/// `after`. A deactivation that results (legacy plans, last role lost) passes the deprovision guard.
fn update_call(
    tx: &WriteTx<'_>,
    plan: &Plan,
    u: &UserRow,
    is_update_call: bool,
    before: &[HeldRole],
    after: &[HeldRole],
) -> Result<Option<Outcome>> {
    if !is_update_call {
        // A change of title, department, name or the same roles moves no seat.
        return Ok(None);
    }
    let state = state_of(u);
    let (had, has) = (role_names(before), role_names(after));
    let ctx = plan.context(tx)?;
    let lost_last_role = !had.is_empty() && has.is_empty();
    let outcome = rules::on_update_call(&state, roles::target_seat(after, &plan.roles), lost_last_role, &ctx)
        .map_err(refusal)?;
    if state.is_active() && !outcome.state.is_active() {
        guard_deprovision(tx, plan, u)?;
    }
    Ok(Some(outcome))
}

/// A SCIM PUT or PATCH of the user (its document already replaced in `u`): deactivation (or removal,
/// with `deprovision = delete`), reactivation, or, when its roles changed, an update call.
pub fn on_update(
    tx: &WriteTx<'_>,
    plan: &Plan,
    actor: &Actor,
    before: &UserRow,
    u: &mut UserRow,
) -> Result<Updated> {
    let ctx = plan.context(tx)?;
    let state = state_of(before);
    // The IdP's first write over a plan user (added by an administrator or imported) takes it over.
    let untouched = rules::is_untouched_plan_user(&state);
    let outcome = match (state.is_active(), wants_active(&u.doc)) {
        (true, true) if untouched => {
            let held = plan.held(tx, u)?;
            rules::take_over(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (true, false) => {
            guard_deprovision(tx, plan, u)?;
            match rules::scim_active_false(&state, &ctx).map_err(refusal)? {
                ScimActiveFalse::Deactivated(outcome) => outcome,
                ScimActiveFalse::Removed(change) => {
                    audit_change(tx, actor, &u.id, &change)?;
                    users::delete(tx, &u.id)?;
                    put_state(u, &state.deactivated());
                    return Ok(Updated::Removed);
                }
            }
        }
        (false, true) => {
            let held = plan.held(tx, u)?;
            rules::scim_reactivate(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?
        }
        (true, true) => {
            // An update call is a PUT or PATCH whose `roles` differ from the stored ones (SPEC section 3).
            let changed = role_values(&before.doc) != role_values(&u.doc);
            let groups = group_names(tx, u)?;
            match update_call(
                tx,
                plan,
                before,
                changed,
                &plan.held_in(before, &groups),
                &plan.held_in(u, &groups),
            )? {
                Some(outcome) => outcome,
                None => {
                    put_state(u, &state);
                    return Ok(Updated::Kept);
                }
            }
        }
        (false, false) => {
            put_state(u, &state);
            return Ok(Updated::Kept);
        }
    };
    apply(tx, actor, u, &outcome)?;
    if untouched {
        u.managed_by_directory = true;
    }
    Ok(Updated::Kept)
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

/// A group change: `added` joined the group `group`, `removed` left it (the store already holds the
/// new memberships). Each is an update call when its set of roles changed, that is when the group
/// is a role group it holds no other way; every one's representation (its `groups`) changed, and
/// the membership write gave each its new version. Costs O(changed members).
pub fn membership_changed(
    tx: &WriteTx<'_>,
    plan: &Plan,
    actor: &Actor,
    group: &str,
    added: &[groups::Member],
    removed: &[groups::Member],
) -> Result<()> {
    let mut changed: Vec<(&groups::Member, bool)> =
        added.iter().map(|m| (m, true)).chain(removed.iter().map(|m| (m, false))).collect();
    // The membership write gave each member its new version (its `groups` changed). A group that
    // carries no role changes no member's roles, so no update call: nothing more to do for its
    // members (read without their documents, a statement for all of them), but for plan users no
    // IdP has touched yet, whom the group write takes over.
    let carries_role = plan.roles.resolve_group(group, plan.settings.role_group_prefix.as_deref()).is_some();
    if !carries_role {
        let all: Vec<i64> = changed.iter().map(|(m, _)| m.seq).collect();
        let taken_over: std::collections::HashSet<i64> = users::states(tx, &all)?
            .into_iter()
            .filter(|(_, s)| s.is_active() && rules::is_untouched_plan_user(s))
            .map(|(seq, _)| seq)
            .collect();
        changed.retain(|(m, _)| taken_over.contains(&m.seq));
    }
    for (m, joined) in changed {
        let Some(mut u) = users::get(tx, &m.id)? else { continue };
        let state = state_of(&u);
        let mut outcome_written = false;
        if state.is_active() && rules::is_untouched_plan_user(&state) {
            // A group write is the IdP's first write over this plan user: it takes it over.
            let held = plan.held(tx, &u)?;
            let ctx = plan.context(tx)?;
            let outcome =
                rules::take_over(&state, roles::target_seat(&held, &plan.roles), &ctx).map_err(refusal)?;
            apply(tx, actor, &mut u, &outcome)?;
            outcome_written = true;
        } else if state.is_active() {
            let now = group_names(tx, &u)?;
            let mut then = now.clone();
            if joined {
                if let Some(i) = then.iter().position(|g| g == group) {
                    then.remove(i);
                }
            } else {
                then.push(group.to_string());
            }
            let (before, after) = (plan.held_in(&u, &then), plan.held_in(&u, &now));
            // Only a role group it holds no other way changes the user's roles.
            let changed = role_names(&before) != role_names(&after);
            if let Some(outcome) = update_call(tx, plan, &u, changed, &before, &after)? {
                apply(tx, actor, &mut u, &outcome)?;
                outcome_written = true;
            }
        }
        // The row's new version is written already (above); its new seat and status are not.
        if outcome_written {
            users::update(tx, &u)?;
        }
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
    let tripped = rules::deprovision_guard_tripped(&plan.settings, guard.tripped, in_window);
    Ok(GuardStatus { tripped, in_window, last_reset: guard.reset_at })
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

/// A SCIM create whose userName is taken: the 409 that says by whom. When the holder is a user
/// deleted through SCIM (kept deactivated, invisible to SCIM), the IdP's query misses it and it
/// retries every cycle, so the first such refusal is recorded in the audit log and on the user, for
/// the admin view and `explain` to show who the IdP is trying to bring back.
pub fn refuse_duplicate(tx: &WriteTx<'_>, actor: &Actor, existing: &UserRow) -> Result<Error> {
    if existing.scim_deleted
        && !existing.is_guest
        && users::mark_recreate_refused(tx, &existing.id, &util::now_rfc3339())?
    {
        let snap = Some(state_of(existing).snapshot());
        audit(
            tx,
            actor,
            "recreate_refused",
            Some(&existing.id),
            snap,
            snap,
            "the IdP tried to create this user again (SCIM POST with its userName) and was refused: it was \
             deleted through SCIM and is kept deactivated. To let the IdP take it back, an administrator \
             reactivates it (DI off) so the IdP's query finds it, or removes it from the plan",
        )?;
    }
    Ok(duplicate_user_name(existing))
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
