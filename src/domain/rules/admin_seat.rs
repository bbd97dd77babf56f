//! Manual seat changes by an admin (`PUT /admin/users/{id}/seat`, `scim-seat seat set`).
//!
//! Owns the manual seat change table of SPEC.md section 3 ([`manual_change_rule`]) and
//! [`admin_set_seat`], which applies it (licence instead of seat on legacy plans, `member_seat_limit`
//! on upgrades) and words its refusals. Reactivation and removal by an admin are in `lifecycle`.

use super::outcome::{Code, Outcome, Reason, Refusal, RefusalKind, Rule, refuse_guest};
use super::state::{Context, UserState};
use super::update_call::member_seat_free;
use crate::domain::seats::{PlanModel, Seat};

/// A cell of the manual seat change table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualRule {
    /// The seat already held: nothing to do.
    Unchanged,
    Allowed,
    Refused(Rule),
}

/// SPEC.md section 3, "Manual seat changes by an admin". Each arm is one cell of the table.
pub fn manual_change_rule(from: Seat, to: Seat) -> ManualRule {
    use ManualRule::{Allowed, Refused, Unchanged};
    use Seat::{Guest, Member, NoAccess, ProvisionalMember, Viewer};
    match (from, to) {
        (Viewer, Viewer) => Unchanged,
        (Viewer, Member) => Allowed,
        (Viewer, NoAccess) => Allowed,
        (Viewer, ProvisionalMember) => Refused(Rule::ProvisionalSystemTriggeredOnly),
        (ProvisionalMember, Viewer) => Allowed,
        (ProvisionalMember, Member) => Allowed,
        (ProvisionalMember, NoAccess) => Allowed,
        (ProvisionalMember, ProvisionalMember) => Unchanged,
        (Member, Viewer) => Allowed,
        (Member, Member) => Unchanged,
        (Member, NoAccess) => Allowed,
        (Member, ProvisionalMember) => Refused(Rule::MemberToProvisionalNever),
        (NoAccess, Viewer) => Allowed,
        (NoAccess, Member) => Allowed,
        (NoAccess, NoAccess) => Unchanged,
        (NoAccess, ProvisionalMember) => Refused(Rule::NoAccessToProvisional),
        // Decision: a guest's seat never changes and no user becomes a guest by a seat change; guests
        // are created and removed through /admin/guests only.
        (Guest, Guest) => Unchanged,
        (Guest, _) | (_, Guest) => Refused(Rule::GuestAdminOnly),
    }
}

/// An admin sets a user's seat (`PUT /admin/users/{id}/seat`, `scim-seat seat set`), by the manual
/// change table; `note` is the admin's reason, added to the detail. An upgrade to member respects
/// `member_seat_limit`. Decisions: allowed whether DI is on or off (with DI on the seat is kept until
/// the next update call for the user); setting the seat already held changes nothing and is not
/// audited.
pub fn admin_set_seat(
    state: &UserState,
    to: Seat,
    note: Option<&str>,
    ctx: &Context,
) -> Result<Outcome, Refusal> {
    if !state.is_active() {
        // Decision: a deactivated user holds no seat, so there is nothing to change.
        return Err(Refusal::new(
            Rule::UserDeactivated,
            RefusalKind::Conflict,
            "the user is deactivated and holds no seat: reactivate it first (turn DI off, \
             POST /admin/users/{id}/reactivate, turn DI on), then set its seat",
        ));
    }
    if state.is_guest || to == Seat::Guest {
        return Err(refuse_guest());
    }
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| format!(" (admin's reason: {n})"))
        .unwrap_or_default();
    let di_note = if ctx.settings.di_enabled {
        "; DI is on, so the next update call for this user applies the groups again"
    } else {
        ""
    };
    let limit_refusal = |limit: Reason| Refusal::new(Rule::SeatLimit, RefusalKind::Conflict, limit.detail);
    if ctx.settings.plan_model == PlanModel::Legacy {
        // Decision: legacy plans have no seat types; member means licensed and viewer unlicensed.
        let licensed = match to {
            Seat::Member => true,
            Seat::Viewer => false,
            _ => {
                return Err(Refusal::new(
                    Rule::LegacyPlan,
                    RefusalKind::Conflict,
                    format!(
                        "this plan is on the legacy model (licensed/unlicensed, no seat types): set member to \
                         license the user or viewer to unlicense it; {to} needs plan_model = user_model"
                    ),
                ));
            }
        };
        if licensed && !state.licensed {
            member_seat_free(ctx).map_err(limit_refusal)?;
        }
        let next = UserState { licensed, manual_seat: true, ..state.clone() };
        if next.licensed == state.licensed {
            return Ok(Outcome::unchanged(state));
        }
        let what = if licensed { "licensed" } else { "unlicensed" };
        return Ok(Outcome::step(
            state,
            next,
            Code::ManualChange,
            format!("an admin made the user {what}{note}{di_note}"),
        ));
    }
    let from = state.seat.unwrap_or(Seat::Viewer);
    match manual_change_rule(from, to) {
        ManualRule::Unchanged => Ok(Outcome::unchanged(state)),
        ManualRule::Refused(rule) => {
            Err(Refusal::new(rule, RefusalKind::Conflict, manual_refusal_detail(rule)))
        }
        ManualRule::Allowed => {
            if to == Seat::Member {
                member_seat_free(ctx).map_err(limit_refusal)?;
            }
            let mut next = state.clone();
            next.put_seat(to);
            next.manual_seat = true;
            Ok(Outcome::step(
                state,
                next,
                Code::ManualChange,
                format!("an admin changed the seat from {from} to {to}{note}{di_note}"),
            ))
        }
    }
}

fn manual_refusal_detail(rule: Rule) -> String {
    match rule {
        Rule::ProvisionalSystemTriggeredOnly => "viewer -> provisional_member is system-triggered only: a viewer \
            becomes a provisional member by taking a qualifying action while auto_upgrade is on \
            (POST /admin/users/{id}/events {\"type\": \"qualifying_action\"}); to give member access now, set the \
            seat to member"
            .to_string(),
        Rule::MemberToProvisionalNever => "member -> provisional_member is never supported (not in admin, not by \
            DI): choose viewer or no_access"
            .to_string(),
        Rule::NoAccessToProvisional => "no_access -> provisional_member is not allowed: provisional membership is \
            system-triggered only; set viewer or member instead"
            .to_string(),
        other => format!("the seat change is not allowed ({other})"),
    }
}
