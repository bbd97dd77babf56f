//! Explain (`GET /admin/users/{id}/explain`): why a user's seat is what it is.
//!
//! Owns [`Explanation`] and [`explain`]: the target seat from the roles held, what the next update
//! call would leave (the same update-call rules as the sync), and the reasons the seat differs from
//! the target, including role values that match no role. It changes nothing.

use super::outcome::{Code, Reason};
use super::state::{Context, Snapshot, UserState};
use super::update_call::update_call;
use crate::base::calendar;
use crate::domain::roles::{HeldRole, RoleTable, target_seat};
use crate::domain::seats::{OnExpiry, PlanModel, Seat, SeatMapping, TargetSeat};

/// `GET /admin/users/{id}/explain`: the target seat, what the next update call would leave, and why
/// the seat differs from the target. Decision: with DI off, `next` and `would_change` describe the
/// first update call after DI is turned on (the same computation as the DI-enable preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub target: TargetSeat,
    /// The seat, licence and status after the user's next update call (as if DI were on).
    pub next: Snapshot,
    /// The next update call would change the seat or licence.
    pub would_change: bool,
    pub reasons: Vec<Reason>,
}

/// Explains a user's seat: the roles it holds give the target; the update-call rules (the same code
/// as the sync) give what the next update call would do; the reasons say why the seat is not the
/// target, and name the plan-wide states that matter (DI off, viewer_only, legacy plan) and every role
/// value that matches no role.
pub fn explain(state: &UserState, held: &[HeldRole], table: &RoleTable, ctx: &Context) -> Explanation {
    let settings = ctx.settings;
    let target = target_seat(held, table);
    let next = update_call(state, target, ctx);
    let mut reasons: Vec<Reason> = held
        .iter()
        .filter(|h| h.role.as_deref().and_then(|name| table.by_name(name)).is_none())
        .map(|h| {
            let from = match h.source.group() {
                Some(group) => format!("membership in group {group:?}"),
                None => "the roles attribute".to_string(),
            };
            Reason::new(
                Code::UnknownRole,
                format!(
                    "{:?} (from {from}) matches no role in the role table, so it implies no seat; edit the role \
                     table, or set role_group_prefix if the group name carries the app label",
                    h.value
                ),
            )
        })
        .collect();
    let explanation = |reasons: Vec<Reason>| Explanation {
        target,
        next: next.state.snapshot(),
        would_change: next.change.is_some(),
        reasons,
    };
    if !state.is_active() {
        reasons.push(Reason::new(
            Code::Deactivated,
            "the user is deactivated and holds no seat; update calls don't give it one. To reactivate: turn DI \
             off, reactivate in admin, turn DI on",
        ));
        return explanation(reasons);
    }
    if state.is_guest {
        reasons.push(Reason::new(
            Code::Guest,
            "a guest is not in the IdP: it is managed only in admin and DI never changes its seat",
        ));
        return explanation(reasons);
    }
    if !state.managed_by_directory {
        reasons.push(Reason::new(
            Code::NotManaged,
            "a plan user no IdP has touched yet (added by an administrator or imported): DI does not manage its \
             seat until the IdP's first write over it, which is its first update call (a downgrade it asks for is \
             held while match_downgrade = hold)",
        ));
        return explanation(reasons);
    }
    if !settings.di_enabled {
        reasons.push(Reason::new(
            Code::DiOff,
            "Directory Integration is off: SCIM writes are refused and seats don't follow groups; next shows what \
             the first update call after DI is turned on would do",
        ));
    }
    let matches_target = match settings.plan_model {
        PlanModel::Legacy => {
            reasons.push(Reason::new(
                Code::LegacyPlan,
                "legacy plan: users are licensed or unlicensed, not seated; licensed when a role implies member",
            ));
            state.licensed == (target == TargetSeat::Member)
        }
        PlanModel::UserModel => {
            if settings.seat_mapping == SeatMapping::ViewerOnly {
                reasons.push(Reason::new(
                    Code::ViewerOnly,
                    "seat_mapping is viewer_only: every SCIM user starts as viewer and group changes move no seat; \
                     switch to groups to let roles set seats (not retroactive: each user then needs an update call)",
                ));
            }
            state.seat == Some(target.seat())
        }
    };
    if matches_target {
        return explanation(reasons);
    }
    let current = state.snapshot();
    if settings.plan_model == PlanModel::UserModel && settings.seat_mapping == SeatMapping::ViewerOnly {
        if state.manual_seat {
            reasons.push(Reason::new(Code::ManualChange, format!("an admin set the seat to {current}")));
        }
    } else if state.seat == Some(Seat::ProvisionalMember) && target == TargetSeat::Viewer {
        let end = match (state.provisional_until, settings.provisional_on_expiry) {
            (Some(until), OnExpiry::Downgrade) => {
                format!(
                    "at the end of the review period ({}) the user becomes viewer",
                    calendar::rfc3339(until)
                )
            }
            (_, OnExpiry::Keep) => {
                "provisional_on_expiry = keep, so it stays until an admin changes the seat".into()
            }
            (None, OnExpiry::Downgrade) => "it stays until an admin changes the seat".into(),
        };
        reasons.push(Reason::new(
            Code::ProvisionalNotDowngraded,
            format!("DI never downgrades a provisional member, even though no role implies member; {end}"),
        ));
    } else if next.hit_seat_limit() {
        let detail = next
            .events
            .iter()
            .find(|e| e.code == Code::SeatLimit)
            .map(|e| e.detail.clone())
            .unwrap_or_default();
        reasons.push(Reason::new(Code::SeatLimit, detail));
    } else if state.manual_seat {
        reasons.push(Reason::new(
            Code::ManualChange,
            format!(
                "an admin set the seat to {current}; it is kept until the next update call for this user, which \
                 moves it to {}",
                next.state.snapshot()
            ),
        ));
    } else {
        reasons.push(Reason::new(
            Code::AwaitingUpdateCall,
            format!(
                "the roles ask for {target} but seats change only when an update call for this user arrives (not \
                 retroactive): change the user's groups in the IdP, or run reconcile; the next update call moves it \
                 to {}",
                next.state.snapshot()
            ),
        ));
    }
    explanation(reasons)
}
