//! Status changes: deprovisioning, reactivation, removal from the plan, and guests.
//!
//! Owns SCIM `active=false` and SCIM DELETE (as `deprovision` says), reactivation through SCIM (as
//! `scim_reactivation` says) and by an admin (DI off), an admin's removal of a user, and the first
//! state of a guest. It does not own the deprovision guard that runs before a SCIM deprovisioning;
//! that is in `checks`.

use super::outcome::{
    Change, Code, Outcome, Reason, Refusal, RefusalKind, Rule, refuse_guest, require_di_on,
};
use super::state::{Context, UserState};
use super::update_call::update_call;
use crate::domain::seats::{Deprovision, PlanModel, ScimReactivation, Seat, Status, TargetSeat};

/// SCIM `active=false` (PUT or PATCH): deactivated, seat freed, data kept; SCIM GET still returns the
/// user with `active: false`. Deactivating a deactivated user changes nothing.
pub fn scim_deactivate(state: &UserState, ctx: &Context) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
    if state.is_guest {
        return Err(refuse_guest());
    }
    if !state.is_active() {
        return Ok(Outcome::unchanged(state));
    }
    Ok(Outcome::step(
        state,
        state.deactivated(),
        Code::Deactivated,
        "deactivated by the IdP (active=false): the user can't sign in, the seat is freed for reuse, data is kept",
    ))
}

/// What SCIM `active=false` (PUT or PATCH) does, as `deprovision` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimActiveFalse {
    /// `deprovision = deactivate`: store the outcome; the user stays visible with `active: false`.
    Deactivated(Outcome),
    /// `deprovision = delete`: remove the user for good, exactly as a SCIM DELETE; audit this change.
    Removed(Change),
}

/// SCIM `active=false`: deactivates, or with `deprovision = delete` removes the user for good (seeds:
/// "When a user's active attribute is set to False, Smartsheet deletes the user permanently";
/// "SmartFile only supports hard deletes").
pub fn scim_active_false(state: &UserState, ctx: &Context) -> Result<ScimActiveFalse, Refusal> {
    match ctx.settings.deprovision {
        Deprovision::Deactivate => Ok(ScimActiveFalse::Deactivated(scim_deactivate(state, ctx)?)),
        Deprovision::Delete => {
            require_di_on(ctx.settings)?;
            if state.is_guest {
                return Err(refuse_guest());
            }
            Ok(ScimActiveFalse::Removed(Change {
                from: Some(state.snapshot()),
                to: None,
                reason: Reason::new(
                    Code::Deleted,
                    "active=false with deprovision = delete: the user is removed for good, exactly as a SCIM \
                     DELETE (its userName is free again)",
                ),
            }))
        }
    }
}

/// What a SCIM DELETE did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScimDelete {
    /// `deprovision = deactivate`: store the outcome and hide the user from SCIM (its id answers 404,
    /// RFC 7644 §3.6); the admin API still shows the deactivated user.
    Deactivated(Outcome),
    /// `deprovision = delete`: remove the user for good; audit this change.
    Removed(Change),
}

/// SCIM DELETE of a user, as `deprovision` says.
pub fn scim_delete(state: &UserState, ctx: &Context) -> Result<ScimDelete, Refusal> {
    require_di_on(ctx.settings)?;
    if state.is_guest {
        return Err(refuse_guest());
    }
    Ok(match ctx.settings.deprovision {
        Deprovision::Deactivate => {
            let outcome = if state.is_active() {
                Outcome::step(
                    state,
                    state.deactivated(),
                    Code::Deactivated,
                    "SCIM DELETE with deprovision = deactivate: deactivated, seat freed, data kept; the SCIM id \
                     now answers 404 and the admin API still shows the user",
                )
            } else {
                Outcome::unchanged(state)
            };
            ScimDelete::Deactivated(outcome)
        }
        Deprovision::Delete => ScimDelete::Removed(Change {
            from: Some(state.snapshot()),
            to: None,
            reason: Reason::new(
                Code::Deleted,
                "SCIM DELETE with deprovision = delete: the user is removed for good",
            ),
        }),
    })
}

/// SCIM `active=true` on a deactivated user. Refused while DI is on unless `scim_reactivation = allow`
/// (400 mutability). Decision: when allowed it is an update call, so the user gets the seat its roles
/// ask for, as at creation. On an active user it changes nothing.
pub fn scim_reactivate(state: &UserState, target: TargetSeat, ctx: &Context) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
    if state.is_guest {
        return Err(refuse_guest());
    }
    if state.is_active() {
        return Ok(Outcome::unchanged(state));
    }
    if ctx.settings.scim_reactivation == ScimReactivation::Refuse {
        return Err(Refusal::new(
            Rule::ScimReactivationRefused,
            RefusalKind::Mutability,
            "the user is deactivated and Directory Integration is on, so SCIM can't reactivate it: turn DI off, \
             reactivate the user in admin (POST /admin/users/{id}/reactivate), turn DI on. (A plan can allow \
             SCIM reactivation with scim_reactivation = allow.)",
        ));
    }
    let fresh = UserState {
        first_sign_in: state.first_sign_in,
        ..UserState::fresh_scim_user(ctx.settings.plan_model)
    };
    let after = update_call(&fresh, target, ctx);
    let mut outcome = Outcome::step(
        state,
        after.state,
        Code::Reactivated,
        format!(
            "reactivated by the IdP (active=true, scim_reactivation = allow) with the seat its roles ask for \
             ({target})"
        ),
    );
    outcome.events = after.events;
    Ok(outcome)
}

/// An admin reactivates a deactivated user (`POST /admin/users/{id}/reactivate`); only while DI is off.
///
/// Decision: the user comes back as viewer (unlicensed on legacy plans), marked as the admin's choice.
/// Its member seat was freed at deactivation and may have been given to someone else; DI is off, so
/// no group logic runs now. The admin can upgrade the seat by hand, and the first update call after DI
/// is back on applies the groups. The caller also makes a user hidden by a SCIM DELETE visible to
/// SCIM again, so the IdP can match it by userName.
pub fn admin_reactivate(state: &UserState, ctx: &Context) -> Result<Outcome, Refusal> {
    if ctx.settings.di_enabled {
        return Err(Refusal::new(
            Rule::ReactivationNeedsDiOff,
            RefusalKind::Conflict,
            "a user is reactivated in admin only while Directory Integration is off: turn DI off \
             (POST /admin/di/disable), reactivate the user, turn DI on",
        ));
    }
    if state.is_active() {
        return Ok(Outcome::unchanged(state));
    }
    let mut next = UserState { status: Status::Active, manual_seat: true, ..state.clone() };
    if state.is_guest {
        next.put_seat(Seat::Guest);
        next.manual_seat = false;
    } else if ctx.settings.plan_model == PlanModel::Legacy {
        next.seat = None;
        next.licensed = false;
    } else {
        next.put_seat(Seat::Viewer);
    }
    Ok(Outcome::step(
        state,
        next,
        Code::Reactivated,
        "reactivated by an admin while DI is off: starts as viewer (unlicensed on legacy plans), since its \
         member seat was freed at deactivation; upgrade by hand, or let the first update call after DI is back \
         on apply the groups",
    ))
}

/// An admin removes a user from the plan (`DELETE /admin/users/{id}`, `/admin/guests/{id}`). A user
/// from the directory only while DI is off; a guest at any time (guests live only in admin).
pub fn admin_remove(state: &UserState, ctx: &Context) -> Result<Change, Refusal> {
    if ctx.settings.di_enabled && !state.is_guest {
        return Err(Refusal::new(
            Rule::RemovalNeedsDiOff,
            RefusalKind::Conflict,
            "removing a user from the plan needs Directory Integration off: turn DI off (POST /admin/di/disable), \
             remove the user, turn DI on. To take access away while DI is on, unassign or deactivate the user in \
             the IdP: its next provisioning cycle deactivates it here (a seat of no_access set here would be \
             replaced by the user's next update call)",
        ));
    }
    let detail = if state.is_guest {
        "guest removed by an admin"
    } else {
        "removed from the plan by an admin (DI off)"
    };
    Ok(Change { from: Some(state.snapshot()), to: None, reason: Reason::new(Code::Removed, detail) })
}

/// A guest created through the admin API: active, guest seat, not managed by the directory.
pub fn new_guest() -> Outcome {
    let state = UserState {
        status: Status::Active,
        seat: Some(Seat::Guest),
        managed_by_directory: false,
        is_guest: true,
        manual_seat: false,
        provisional_until: None,
        first_sign_in: None,
        licensed: false,
    };
    let change = Change {
        from: None,
        to: Some(state.snapshot()),
        reason: Reason::new(Code::GuestAdded, "guest added by an admin (guests are managed only in admin)"),
    };
    Outcome { state, change: Some(change), events: Vec::new() }
}
