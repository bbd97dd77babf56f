//! Transitions the application makes on its own, not the IdP or an admin seat change.
//!
//! Owns the qualifying action (viewer -> provisional member when `auto_upgrade` is on), the sign-in
//! record, the end of a provisional member's review period (the sweep), and the one-time mapping of
//! every user when `plan_model` switches. Time comes in through [`Context::now`]; nothing here reads a
//! clock.

use super::outcome::{Code, Outcome, Refusal, RefusalKind, Rule};
use super::state::{Context, SECONDS_PER_DAY, UserState};
use crate::base::calendar;
use crate::domain::seats::{OnExpiry, PlanModel, Seat};

/// The user created a sheet, report or dashboard (or took another qualifying action): a viewer
/// becomes a provisional member for `provisional_review_days` when `auto_upgrade` is on; when it is
/// off the action is refused and the user stays viewer. Any other seat: nothing changes. Whether DI is
/// on does not matter: this is the application's own rule.
pub fn qualifying_action(state: &UserState, ctx: &Context) -> Result<Outcome, Refusal> {
    // Decision: a deactivated user can't act; refused like a manual change.
    if !state.is_active() {
        return Err(Refusal::new(
            Rule::UserDeactivated,
            RefusalKind::Conflict,
            "the user is deactivated and can't take actions; reactivate it first (turn DI off, reactivate in \
             admin, turn DI on)",
        ));
    }
    // Decision: guests and legacy-plan users have no provisional seat to go to; nothing changes.
    if state.seat != Some(Seat::Viewer) {
        return Ok(Outcome::unchanged(state));
    }
    if !ctx.settings.auto_upgrade {
        return Err(Refusal::new(
            Rule::AutoUpgradeOff,
            RefusalKind::Conflict,
            "auto_upgrade is off, so a qualifying action does not make a viewer a provisional member: the user \
             stays viewer. An admin can set the seat to member, or turn auto_upgrade on",
        ));
    }
    let days = i64::from(ctx.settings.provisional_review_days);
    let until = ctx.now.saturating_add(days.saturating_mul(SECONDS_PER_DAY));
    let mut next = state.clone();
    next.put_seat(Seat::ProvisionalMember);
    next.provisional_until = Some(until);
    // The seat is now the system's, not an admin's choice.
    next.manual_seat = false;
    Ok(Outcome::step(
        state,
        next,
        Code::QualifyingAction,
        format!(
            "qualifying action (created a sheet, report or dashboard): viewer becomes provisional member until \
             {} (auto_upgrade on, provisional_review_days {days})",
            calendar::rfc3339(until)
        ),
    ))
}

/// A sign-in: records the first one. Refused (403) for a deactivated user. Moves no seat.
pub fn sign_in(state: &UserState, now: i64) -> Result<Outcome, Refusal> {
    if !state.is_active() {
        return Err(Refusal::new(
            Rule::UserDeactivated,
            RefusalKind::Forbidden,
            "the user is deactivated and can't sign in; reactivation: turn DI off, reactivate in admin, turn DI on",
        ));
    }
    let mut next = state.clone();
    next.first_sign_in.get_or_insert(now);
    Ok(Outcome { state: next, change: None, events: Vec::new() })
}

/// Whether a provisional member's review period has ended at `now` (a review of 0 days ends at the
/// next sweep).
pub fn review_expired(state: &UserState, now: i64) -> bool {
    state.is_active()
        && state.seat == Some(Seat::ProvisionalMember)
        && state.provisional_until.is_some_and(|until| now >= until)
}

/// The review expiry (sweep): a provisional member whose review period ended becomes viewer when
/// `provisional_on_expiry = downgrade`, or stays until an admin acts when `keep`.
pub fn review_expiry(state: &UserState, ctx: &Context) -> Outcome {
    if !review_expired(state, ctx.now) || ctx.settings.provisional_on_expiry == OnExpiry::Keep {
        return Outcome::unchanged(state);
    }
    let mut next = state.clone();
    next.put_seat(Seat::Viewer);
    next.manual_seat = false;
    let ended = state.provisional_until.map(calendar::rfc3339).unwrap_or_default();
    Outcome::step(
        state,
        next,
        Code::ReviewExpired,
        format!(
            "the provisional review period ended at {ended} and provisional_on_expiry = downgrade: provisional \
             member becomes viewer"
        ),
    )
}

/// The one-time mapping when `plan_model` switched (see `seats::FollowUp`): legacy -> user_model maps
/// licensed to member and unlicensed to viewer; user_model -> legacy maps member to licensed and every
/// other seat to unlicensed (Decision: a provisional member's trial is not a licence; the mapping runs
/// at every switch). Guests and deactivated users are not mapped.
pub fn switch_plan_model(state: &UserState, to: PlanModel) -> Outcome {
    if state.is_guest || !state.is_active() {
        return Outcome::unchanged(state);
    }
    let mut next = state.clone();
    next.manual_seat = false;
    next.provisional_until = None;
    let detail = match to {
        PlanModel::UserModel => {
            next.put_seat(if state.licensed { Seat::Member } else { Seat::Viewer });
            "plan_model switched from legacy to user_model: licensed users become members, unlicensed users viewers"
        }
        PlanModel::Legacy => {
            next.licensed = state.seat == Some(Seat::Member);
            next.seat = None;
            "plan_model switched from user_model to legacy: members become licensed, every other seat unlicensed"
        }
    };
    Outcome::step(state, next, Code::PlanModelSwitch, detail)
}
