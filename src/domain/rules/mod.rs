//! Rules: a user's current state and the seat its roles ask for -> the change to make, with its reason.
//!
//! This module is the one implementation of every change of a user's seat or status. The SCIM sync,
//! the admin API, the CLI, the provisional sweep, the DI-enable preview, reconcile and explain all call
//! the functions re-exported here, so they cannot disagree. Each function takes the user's
//! [`UserState`] (and, where DI decides, the [`TargetSeat`](super::seats::TargetSeat) computed by
//! `roles::target_seat`) and returns either an [`Outcome`] (the new state, at most one [`Change`] to
//! write as one audit event with before/after, and events such as `seat_limit` that change nothing but
//! must be recorded) or a [`Refusal`] that names the rule and the way out. Nothing here stores, reads a clock or talks HTTP.
//!
//! # The state machine
//!
//! A user is `active` holding one seat, or `deactivated` holding none (the member seat is freed; data
//! is kept). On a `user_model` plan the seats are viewer, provisional member, member, no access and
//! guest; on a `legacy` plan there are no seat types, only a licensed flag.
//!
//! **Update calls** move seats, and only they: a SCIM create, PUT or PATCH of the user, or a group
//! change that adds or removes the user, while DI is on. Nothing recomputes a user that no call
//! touched (the rule is not retroactive; reconcile is the explicit exception an admin asks for). With
//! `seat_mapping = groups` an update call applies this table from the current seat to the target seat
//! (the most privileged seat implied by the user's roles):
//!
//! | current seat                | target viewer      | target member |
//! |-----------------------------|--------------------|---------------|
//! | viewer                      | viewer             | **member**    |
//! | provisional_member          | provisional_member | **member**    |
//! | member                      | **viewer**         | member        |
//! | no_access (set by an admin) | **viewer**         | **member**    |
//!
//! DI never downgrades a provisional member, and it overrides an admin's manual seat on the next update
//! call: a seat an admin chose is kept until then, and the table applies from whatever seat the admin
//! chose. An upgrade to member that would exceed `member_seat_limit` leaves the seat as it is and
//! records a `seat_limit` event. With `seat_mapping = viewer_only` every SCIM user starts as viewer and
//! update calls move no seat. On `legacy` plans an update call makes the user licensed exactly when a
//! role implies member. Guests, users not managed by the directory, and deactivated users are never
//! moved by an update call.
//!
//! **Admins** change seats by this table (`PUT /admin/users/{id}/seat`, `scim-seat seat set`):
//!
//! | from \ to          | viewer | member | no_access | provisional_member        |
//! |--------------------|--------|--------|-----------|---------------------------|
//! | viewer             | —      | yes    | yes       | no: system-triggered only |
//! | provisional_member | yes    | yes    | yes       | —                         |
//! | member             | yes    | —      | yes       | no: never                 |
//! | no_access          | yes    | yes    | —         | no                        |
//!
//! **The system** moves a viewer to provisional member on a qualifying action (when `auto_upgrade` is
//! on) for `provisional_review_days`; when the review period ends the provisional member becomes a
//! viewer (`provisional_on_expiry = downgrade`) or stays until an admin acts (`keep`). A sign-in is
//! recorded and moves nothing.
//!
//! **Deprovisioning**: SCIM `active=false` deactivates; SCIM DELETE deactivates (and hides the user
//! from SCIM) or removes the user for good, as `deprovision` says. Reactivation through SCIM is refused
//! while DI is on unless `scim_reactivation = allow`; the admin reactivates only while DI is off, and
//! removes a user from the plan only while DI is off.
//!
//! Decisions where the documents are silent are marked `Decision:` next to the rule and collected in
//! the README's "Seat rules" section.
//!
//! # Where each part lives
//!
//! - `state.rs`: a user's state ([`UserState`]), the audited part of it ([`Snapshot`]) and the plan at
//!   the moment of a step ([`Context`]).
//! - `outcome.rs`: what a step returns: reason codes, [`Change`], [`Outcome`], and the [`Refusal`]s.
//! - `update_call.rs`: the update-call table, SCIM update calls and SCIM create.
//! - `lifecycle.rs`: status changes: deprovisioning, reactivation, removal, guests.
//! - `admin_seat.rs`: the manual seat change table and an admin's seat change.
//! - `system.rs`: the application's own transitions (qualifying action, sign-in, review expiry) and
//!   the one-time mapping when `plan_model` switches.
//! - `preview.rs`: what every user's next update call would do (DI-enable preview, reconcile).
//! - `checks.rs`: the guards that change no seat (DI enable, reconcile, validated domains, deprovision
//!   guard) and the pending filter.
//! - `explain.rs`: why a user's seat is what it is.
//!
//! Callers use the names re-exported here (`rules::on_update_call`, `rules::Outcome`, ...); the files
//! are a reading aid, not an API.

mod admin_seat;
mod checks;
mod explain;
mod lifecycle;
mod outcome;
mod plan_users;
mod preview;
mod state;
mod system;
mod update_call;

pub use self::admin_seat::{ManualRule, admin_set_seat, manual_change_rule};
pub use self::checks::{
    check_deprovision_guard, check_di_enable, check_reconcile_apply, check_user_domain,
    deprovision_guard_tripped, is_pending,
};
pub use self::explain::{Explanation, explain};
pub use self::lifecycle::{
    ScimActiveFalse, ScimDelete, admin_reactivate, admin_remove, new_guest, scim_active_false,
    scim_deactivate, scim_delete, scim_reactivate,
};
pub use self::outcome::{Change, Code, Outcome, Reason, Refusal, RefusalKind, Rule};
pub use self::plan_users::{is_untouched_plan_user, new_plan_user, take_over};
pub use self::preview::{
    PREVIEW_LISTED, Preview, PreviewItem, PreviewPass, Step, frees_member_seat, list_first,
    preview_update_calls,
};
pub use self::state::{Context, SECONDS_PER_DAY, Snapshot, UserState};
pub use self::system::{qualifying_action, review_expired, review_expiry, sign_in, switch_plan_model};
pub use self::update_call::{on_create, on_update_call, update_call_seat};

#[cfg(test)]
mod tests;
