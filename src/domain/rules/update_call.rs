//! Update calls: the seat after a SCIM create, PUT or PATCH of the user, or a group change that adds
//! or removes it.
//!
//! Owns the update-call table of SPEC.md section 3 ([`update_call_seat`]), the `member_seat_limit`
//! check of an upgrade, the update-call rules with DI taken as on (shared with reactivation, the
//! previews and explain) and the two SCIM entry points, [`on_update_call`] and [`on_create`]. Which
//! roles a user holds, and so its target seat, is `roles`'s business.

use super::outcome::{Change, Code, Outcome, Reason, Refusal, require_di_on};
use super::state::{Context, UserState};
use crate::domain::seats::{PlanModel, Seat, SeatMapping, TargetSeat};

/// SPEC.md section 3, "Applying it": the seat after an update call, by current seat and target.
/// Each arm is one cell of the table.
pub fn update_call_seat(current: Seat, target: TargetSeat) -> Seat {
    use Seat::{Guest, Member, NoAccess, ProvisionalMember, Viewer};
    match (current, target) {
        (Viewer, TargetSeat::Viewer) => Viewer,
        (Viewer, TargetSeat::Member) => Member,
        // DI never downgrades a provisional member.
        (ProvisionalMember, TargetSeat::Viewer) => ProvisionalMember,
        (ProvisionalMember, TargetSeat::Member) => Member,
        (Member, TargetSeat::Viewer) => Viewer,
        (Member, TargetSeat::Member) => Member,
        // no_access was set by an admin; DI overrides manual changes on the next sync.
        (NoAccess, TargetSeat::Viewer) => Viewer,
        (NoAccess, TargetSeat::Member) => Member,
        // Guests are not in the IdP; DI never moves them.
        (Guest, _) => Guest,
    }
}

/// `Err` with a `seat_limit` reason when one more member seat would exceed `member_seat_limit`.
pub(super) fn member_seat_free(ctx: &Context) -> Result<(), Reason> {
    match ctx.settings.member_seat_limit {
        Some(limit) if ctx.member_seats_in_use >= limit => Err(Reason::new(
            Code::SeatLimit,
            format!(
                "upgrade to member not made: {} of {limit} member seats are in use (member_seat_limit {limit}); \
                 the seat stays as it is. Free a member seat or raise member_seat_limit; the next update call \
                 tries again",
                ctx.member_seats_in_use
            ),
        )),
        _ => Ok(()),
    }
}

/// The update-call rules with DI taken as on. Shared by [`on_update_call`], [`on_create`],
/// [`scim_reactivate`](super::scim_reactivate), the previews and [`explain`](super::explain()).
pub(super) fn update_call(state: &UserState, target: TargetSeat, ctx: &Context) -> Outcome {
    if state.is_guest || !state.managed_by_directory || !state.is_active() {
        // Guests and users DI does not manage are not the IdP's; a deactivated user gets no seat
        // from an update call (reactivation is its own step).
        return Outcome::unchanged(state);
    }
    let settings = ctx.settings;
    let mut next = state.clone();
    match (settings.plan_model, settings.seat_mapping) {
        (PlanModel::Legacy, _) => {
            // Decision: seat_mapping does not apply to legacy plans, whose licence always follows the
            // roles (the group-based seat mapping change applies to user-model plans only).
            next.manual_seat = false;
            let licensed = target == TargetSeat::Member;
            if licensed
                && !state.licensed
                && let Err(limit) = member_seat_free(ctx)
            {
                return Outcome { state: next, change: None, events: vec![limit] };
            }
            next.licensed = licensed;
            let (code, detail) = if licensed {
                (Code::DiUpgrade, "update call from the IdP: a role implies member, so the user is licensed")
            } else {
                (
                    Code::DiDowngrade,
                    "update call from the IdP: no role implies member, so the user is unlicensed",
                )
            };
            Outcome::step(state, next, code, detail)
        }
        // Before group-based seat mapping: group changes do not move seats (and an admin's choice
        // stays an admin's choice, since DI will not override it).
        (PlanModel::UserModel, SeatMapping::ViewerOnly) => Outcome::unchanged(state),
        (PlanModel::UserModel, SeatMapping::Groups) => {
            next.manual_seat = false;
            // An active user-model user always holds a seat; none is read as the base seat.
            let current = state.seat.unwrap_or(Seat::Viewer);
            let seat = update_call_seat(current, target);
            if seat == Seat::Member
                && current != Seat::Member
                && let Err(limit) = member_seat_free(ctx)
            {
                return Outcome { state: next, change: None, events: vec![limit] };
            }
            next.put_seat(seat);
            let why = match target {
                TargetSeat::Member => "a role implies member",
                TargetSeat::Viewer => "no role implies member",
            };
            let mut detail = format!("update call from the IdP: {why}, so DI moves {current} to {seat}");
            if current == Seat::NoAccess {
                detail.push_str(" (DI overrides an admin's no_access on the next update call)");
            } else if state.manual_seat {
                detail.push_str(" (replacing the seat an admin chose)");
            }
            let code =
                if seat.privilege() < current.privilege() { Code::DiDowngrade } else { Code::DiUpgrade };
            Outcome::step(state, next, code, detail)
        }
    }
}

/// A SCIM create, PUT or PATCH of the user, or a group change that adds or removes the user: applies
/// the update-call table (see the state machine in the `rules` module comment). Refused while DI is
/// off.
///
/// Decision: a group rename is not an update call for its members (it adds or removes nobody, and
/// would cost O(group size)); a group delete removes every member, so it is one for each. When one
/// request changes `active` and more, the caller deactivates or reactivates first, then calls this.
///
/// `lost_last_role`: the user held a role before this call and holds none after it. On a legacy plan
/// such a user is deactivated (seed 001, LCM: users "later remove[d] from that group ... are
/// deactivated during the next provisioning cycle"); a user provisioned with no role stays
/// unlicensed. On a user-model plan losing the last role is an ordinary update call (target viewer).
pub fn on_update_call(
    state: &UserState,
    target: TargetSeat,
    lost_last_role: bool,
    ctx: &Context,
) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
    if lost_last_role
        && ctx.settings.plan_model == PlanModel::Legacy
        && state.is_active()
        && state.managed_by_directory
        && !state.is_guest
    {
        return Ok(Outcome::step(
            state,
            state.deactivated(),
            Code::Deactivated,
            "legacy plan: the user lost its last role (roles attribute emptied, or its last role group left or \
             deleted), so it is deactivated at this provisioning cycle (seat freed, data kept)",
        ));
    }
    Ok(update_call(state, target, ctx))
}

/// The first state of a user created through SCIM, and its `provisioned` change (from nothing).
///
/// Decision: a SCIM create is an update call, so the user starts on the seat its roles ask for. A
/// create carries the `roles` attribute but no group memberships (those arrive afterwards by group
/// PATCH, each an update call of its own), so `target` is computed from the roles attribute: member
/// when a role implies member (subject to `member_seat_limit`), viewer otherwise. DI never targets
/// provisional_member, so SCIM-created users do not start as provisional members. With `viewer_only`
/// the user starts as viewer; on a legacy plan, licensed when a role implies member.
pub fn on_create(target: TargetSeat, ctx: &Context) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
    let fresh = UserState::fresh_scim_user(ctx.settings.plan_model);
    let outcome = update_call(&fresh, target, ctx);
    let limited = outcome.hit_seat_limit();
    let state = outcome.state;
    let detail = match (ctx.settings.plan_model, ctx.settings.seat_mapping) {
        (PlanModel::Legacy, _) => format!("provisioned through SCIM as {}", state.snapshot()),
        (PlanModel::UserModel, SeatMapping::ViewerOnly) => {
            "provisioned through SCIM as viewer: seat_mapping is viewer_only, so every SCIM user starts as viewer"
                .to_string()
        }
        (PlanModel::UserModel, SeatMapping::Groups) => format!(
            "provisioned through SCIM as {}: the seat its roles ask for ({target}); group memberships that \
             arrive later are update calls of their own",
            state.snapshot()
        ),
    };
    let detail = if limited {
        format!("{detail} (member_seat_limit is reached, so the upgrade to member was not made)")
    } else {
        detail
    };
    let change =
        Change { from: None, to: Some(state.snapshot()), reason: Reason::new(Code::Provisioned, detail) };
    Ok(Outcome { state, change: Some(change), events: outcome.events })
}
