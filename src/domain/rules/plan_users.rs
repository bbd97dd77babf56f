//! Plan users: the users a plan already has before an IdP provisions into it (added by an
//! administrator, or imported), and the moment an IdP takes one over.
//!
//! Seed smartsheet-di-seat-mapping-update: "Any user assigned to the Smartsheet app in your IdP is
//! considered 'managed by Directory Integration'", and members not in a member group are downgraded
//! on their next update call. A plan user is not managed by DI until the IdP's first SCIM write over
//! it; that write is its first update call. When it would lower the seat the administrator gave
//! (member -> viewer) and `match_downgrade = hold` (the default), the seat is kept and the downgrade
//! is held for the administrator (reconcile with apply, or a manual seat change); with `apply` the
//! documents' behaviour happens unguarded.

use super::outcome::{Change, Code, Outcome, Reason, Refusal, RefusalKind, Rule, require_di_on};
use super::state::{Context, UserState};
use super::update_call::{member_seat_free, update_call};
use crate::domain::seats::{MatchDowngrade, PlanModel, Seat, Status, TargetSeat};

/// A plan user as an administrator adds it (`POST /admin/users`, `users add`, import): active, the
/// seat chosen (viewer, member or no_access; on legacy plans member means licensed), not managed by
/// the directory; `deactivated` adds it deactivated (an imported report row whose status is
/// Deactivated: no seat). Whether DI is on or off does not matter: these users are the plan's own.
pub fn new_plan_user(seat: Seat, deactivated: bool, ctx: &Context) -> Result<Outcome, Refusal> {
    match seat {
        Seat::ProvisionalMember => {
            return Err(Refusal::new(
                Rule::ProvisionalSystemTriggeredOnly,
                RefusalKind::InvalidValue,
                "a plan user cannot start as provisional_member: that seat is system-triggered only (a viewer's \
                 qualifying action); add the user as viewer, member or no_access",
            ));
        }
        Seat::Guest => {
            return Err(Refusal::new(
                Rule::GuestAdminOnly,
                RefusalKind::InvalidValue,
                "guests are added with POST /admin/guests (they are not in your IdP); add the user as viewer, \
                 member or no_access",
            ));
        }
        Seat::Viewer | Seat::Member | Seat::NoAccess => {}
    }
    if seat == Seat::Member
        && !deactivated
        && let Err(limit) = member_seat_free(ctx)
    {
        return Err(Refusal::new(Rule::SeatLimit, RefusalKind::Conflict, limit.detail));
    }
    let legacy = ctx.settings.plan_model == PlanModel::Legacy;
    if legacy && seat == Seat::NoAccess {
        return Err(Refusal::new(
            Rule::LegacyPlan,
            RefusalKind::InvalidValue,
            "a legacy plan has no seat types: add the user as member (licensed) or viewer (unlicensed)",
        ));
    }
    let state = UserState {
        status: Status::Active,
        seat: if legacy { None } else { Some(seat) },
        managed_by_directory: false,
        is_guest: false,
        manual_seat: true,
        provisional_until: None,
        first_sign_in: None,
        licensed: seat == Seat::Member,
    };
    let state = if deactivated { state.deactivated() } else { state };
    let change = Change {
        from: None,
        to: Some(state.snapshot()),
        reason: Reason::new(
            Code::UserAdded,
            format!(
                "plan user added by an administrator as {}; not managed by Directory Integration until the \
                 IdP's first write over it",
                state.snapshot()
            ),
        ),
    };
    Ok(Outcome { state, change: Some(change), events: Vec::new() })
}

/// Whether a user is a plan user no IdP has touched yet.
pub fn is_untouched_plan_user(state: &UserState) -> bool {
    !state.managed_by_directory && !state.is_guest
}

/// The IdP's first SCIM write over a plan user: DI manages it from now on, and this is its first
/// update call (with `target`, the seat the write's roles ask for). A downgrade is held when
/// `match_downgrade = hold`: the outcome then keeps the seat and records a `downgrade_held` change
/// (before = after) that says what DI asked for.
pub fn take_over(state: &UserState, target: TargetSeat, ctx: &Context) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
    let managed = UserState { managed_by_directory: true, ..state.clone() };
    if !state.is_active() {
        return Ok(Outcome::unchanged(&managed));
    }
    let outcome = update_call(&managed, target, ctx);
    let lowers = outcome.state.snapshot().rank() < state.snapshot().rank();
    if lowers && ctx.settings.match_downgrade == MatchDowngrade::Hold {
        let asked = outcome.state.snapshot();
        let kept = UserState { manual_seat: false, ..managed };
        let change = Change {
            from: Some(state.snapshot()),
            to: Some(kept.snapshot()),
            reason: Reason::new(
                Code::DowngradeHeld,
                format!(
                    "the IdP's first write over this plan user asks for {asked} (its roles ask for {target}); \
                     match_downgrade = hold keeps {} until an administrator applies it (POST /admin/reconcile \
                     with apply, or a manual seat change)",
                    state.snapshot()
                ),
            ),
        };
        return Ok(Outcome { state: kept, change: Some(change), events: Vec::new() });
    }
    let mut outcome = outcome;
    match &mut outcome.change {
        Some(change) => {
            change.reason.detail = format!("the IdP took this plan user over: {}", change.reason.detail);
        }
        None => {
            outcome.change = Some(Change {
                from: Some(state.snapshot()),
                to: Some(outcome.state.snapshot()),
                reason: Reason::new(
                    Code::TakenOver,
                    format!(
                        "the IdP took this plan user over (now managed by Directory Integration); its roles ask \
                         for {target}, so it stays {}",
                        outcome.state.snapshot()
                    ),
                ),
            });
        }
    }
    Ok(outcome)
}
