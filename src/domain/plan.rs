//! Plan: a user's current state and the seat its roles ask for -> the change to make, with its reason.
//!
//! This module is the one implementation of every change of a user's seat or status. The SCIM sync,
//! the admin API, the CLI, the provisional sweep, the DI-enable preview, reconcile and explain all call
//! the functions below, so they cannot disagree. Each function takes the user's [`UserState`] (and,
//! where DI decides, the [`TargetSeat`] computed by `roles::target_seat`) and returns either an
//! [`Outcome`] (the new state, at most one [`Change`] to write as one audit event with before/after,
//! and events such as `seat_limit` that change nothing but must be recorded) or a [`Refusal`] that
//! names the rule and the way out. Nothing here stores, reads a clock or talks HTTP.
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
//! docs/seat-rules.md.

use super::roles::{HeldRole, RoleTable, target_seat};
use super::seats::{Deprovision, OnExpiry, PlanModel, ScimReactivation, Seat, SeatMapping, Settings, Status, TargetSeat};
use std::fmt;

/// Seconds in a day, for review periods.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// What the rules need to know about one user. The store keeps these fields; every function here
/// takes one and returns the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    pub status: Status,
    /// The seat held; `None` when deactivated, and for every non-guest user on a legacy plan.
    pub seat: Option<Seat>,
    /// Provisioned through SCIM (the IdP is the source of truth for this user's seat).
    pub managed_by_directory: bool,
    /// Created through the admin API as a guest; SCIM never sees or changes guests.
    pub is_guest: bool,
    /// An admin chose the current seat since the last update call (cleared by the next one).
    pub manual_seat: bool,
    /// End of the provisional member's review period, unix seconds.
    pub provisional_until: Option<i64>,
    /// First sign-in, unix seconds.
    pub first_sign_in: Option<i64>,
    /// Legacy plans: licensed. On user-model plans it mirrors `seat == member`.
    pub licensed: bool,
}

impl UserState {
    /// A user just provisioned through SCIM, before its first seat is decided.
    fn fresh_scim_user(model: PlanModel) -> UserState {
        UserState {
            status: Status::Active,
            seat: match model {
                PlanModel::UserModel => Some(Seat::Viewer),
                PlanModel::Legacy => None,
            },
            managed_by_directory: true,
            is_guest: false,
            manual_seat: false,
            provisional_until: None,
            first_sign_in: None,
            licensed: false,
        }
    }

    /// The part of the state the audit log shows before and after a change.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { status: self.status, seat: self.seat, licensed: self.licensed }
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }

    /// Puts the user on `seat`, keeping the licensed mirror and ending a review period it leaves.
    fn put_seat(&mut self, seat: Seat) {
        if seat != Seat::ProvisionalMember {
            self.provisional_until = None;
        }
        self.seat = Some(seat);
        self.licensed = seat == Seat::Member;
    }

    /// Deactivated: no seat, no licence, no review period, no manual choice left.
    fn deactivated(&self) -> UserState {
        UserState {
            status: Status::Deactivated,
            seat: None,
            licensed: false,
            provisional_until: None,
            manual_seat: false,
            ..self.clone()
        }
    }
}

/// A user's seat and status as the audit log records them (`before` / `after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub status: Status,
    pub seat: Option<Seat>,
    pub licensed: bool,
}

impl Snapshot {
    /// One word for previews and messages: the seat, `licensed`/`unlicensed` on legacy plans, or
    /// `deactivated`.
    pub fn describe(&self) -> &'static str {
        match (self.status, self.seat) {
            (Status::Deactivated, _) => "deactivated",
            (Status::Active, Some(seat)) => seat.as_str(),
            (Status::Active, None) if self.licensed => "licensed",
            (Status::Active, None) => "unlicensed",
        }
    }

    /// Access level, to tell upgrades from downgrades.
    fn rank(&self) -> u8 {
        match (self.status, self.seat) {
            (Status::Deactivated, _) => 0,
            (Status::Active, Some(seat)) => seat.privilege(),
            (Status::Active, None) => Seat::from(if self.licensed { TargetSeat::Member } else { TargetSeat::Viewer }).privilege(),
        }
    }

    /// Holds a seat counted by `member_seat_limit`: a member seat, or a licence on legacy plans.
    /// Decision: provisional members are not counted (their seat is a trial, not a member seat).
    pub fn holds_member_seat(&self) -> bool {
        self.status == Status::Active && (self.seat == Some(Seat::Member) || (self.seat.is_none() && self.licensed))
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// What the rules need to know about the plan at the moment of a step.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub settings: &'a Settings,
    /// Active users holding a member seat (licensed users on legacy plans), for `member_seat_limit`.
    pub member_seats_in_use: u64,
    /// Now, unix seconds.
    pub now: i64,
}

text_enum! {
    /// Why a seat or status changed, or why it differs from the target (audit `reason`, preview
    /// `reason`, explain `reasons[].code`).
    Code {
        /// First seat of a user created through SCIM.
        Provisioned = "provisioned",
        /// An update call moved the seat up (viewer/no_access/provisional -> member, no_access -> viewer).
        DiUpgrade = "di_upgrade",
        /// An update call moved the seat down (member -> viewer, licensed -> unlicensed).
        DiDowngrade = "di_downgrade",
        /// An admin changed the seat; explain: the seat is an admin's choice awaiting the next update call.
        ManualChange = "manual_change",
        /// A viewer took a qualifying action and became a provisional member.
        QualifyingAction = "qualifying_action",
        /// A provisional member's review period ended.
        ReviewExpired = "review_expired",
        /// Deactivated (SCIM active=false or DELETE); explain: a deactivated user holds no seat.
        Deactivated = "deactivated",
        /// Removed for good by SCIM DELETE with deprovision = delete.
        Deleted = "deleted",
        /// Reactivated (SCIM with scim_reactivation = allow, or an admin with DI off).
        Reactivated = "reactivated",
        /// Removed from the plan by an admin (DI off), or a guest removed.
        Removed = "removed",
        /// A guest created through the admin API.
        GuestAdded = "guest_added",
        /// The one-time mapping when plan_model switched.
        PlanModelSwitch = "plan_model_switch",
        /// An upgrade to member was not made because it would exceed member_seat_limit.
        SeatLimit = "seat_limit",
        /// Explain: DI never downgrades a provisional member.
        ProvisionalNotDowngraded = "provisional_not_downgraded",
        /// Explain: the seat follows the target only when an update call arrives.
        AwaitingUpdateCall = "awaiting_update_call",
        /// Explain: DI is off.
        DiOff = "di_off",
        /// Explain: seat_mapping = viewer_only.
        ViewerOnly = "viewer_only",
        /// Explain: legacy plan (licensed/unlicensed instead of seats).
        LegacyPlan = "legacy_plan",
        /// Explain: guests are managed in the admin API only.
        Guest = "guest",
        /// Explain: the user is not managed by the directory.
        NotManaged = "not_managed",
        /// Explain: a role value or group that matches no role in the table.
        UnknownRole = "unknown_role",
    }
}

/// A reason code and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: Code,
    pub detail: String,
}

impl Reason {
    fn new(code: Code, detail: impl Into<String>) -> Reason {
        Reason { code, detail: detail.into() }
    }
}

/// One change of a user's seat or status: one audit event. `from` is `None` for a user just created,
/// `to` is `None` for a user removed for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub from: Option<Snapshot>,
    pub to: Option<Snapshot>,
    pub reason: Reason,
}

impl Change {
    fn rank(s: Option<Snapshot>) -> u8 {
        s.map_or(0, |s| s.rank())
    }

    /// Less access after than before (member -> viewer, licensed -> unlicensed, ...).
    pub fn is_downgrade(&self) -> bool {
        Change::rank(self.to) < Change::rank(self.from)
    }

    /// More access after than before.
    pub fn is_upgrade(&self) -> bool {
        Change::rank(self.to) > Change::rank(self.from)
    }

    /// The change gives the user a seat counted by `member_seat_limit`.
    pub fn takes_member_seat(&self) -> bool {
        self.to.is_some_and(|s| s.holds_member_seat()) && !self.from.is_some_and(|s| s.holds_member_seat())
    }

    /// The change frees a seat counted by `member_seat_limit`.
    pub fn frees_member_seat(&self) -> bool {
        self.from.is_some_and(|s| s.holds_member_seat()) && !self.to.is_some_and(|s| s.holds_member_seat())
    }
}

/// The result of one step: the state to store, the change to audit (if the seat, licence or status
/// changed), and events that changed nothing but are recorded (`seat_limit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub state: UserState,
    pub change: Option<Change>,
    pub events: Vec<Reason>,
}

impl Outcome {
    fn unchanged(state: &UserState) -> Outcome {
        Outcome { state: state.clone(), change: None, events: Vec::new() }
    }

    /// From `before` to `after`; a change is reported only when the audited part differs.
    fn step(before: &UserState, after: UserState, code: Code, detail: impl Into<String>) -> Outcome {
        let change = (before.snapshot() != after.snapshot()).then(|| Change {
            from: Some(before.snapshot()),
            to: Some(after.snapshot()),
            reason: Reason::new(code, detail),
        });
        Outcome { state: after, change, events: Vec::new() }
    }

    /// Whether a `seat_limit` event was recorded.
    pub fn hit_seat_limit(&self) -> bool {
        self.events.iter().any(|e| e.code == Code::SeatLimit)
    }
}

text_enum! {
    /// The rule that forbids a step (the admin API's `error` code).
    Rule {
        DiOff = "di_off",
        ScimReactivationRefused = "scim_reactivation_refused",
        ReactivationNeedsDiOff = "reactivation_needs_di_off",
        RemovalNeedsDiOff = "removal_needs_di_off",
        ProvisionalSystemTriggeredOnly = "provisional_system_triggered_only",
        MemberToProvisionalNever = "member_to_provisional_never",
        NoAccessToProvisional = "no_access_to_provisional",
        GuestAdminOnly = "guest_admin_only",
        UserDeactivated = "user_deactivated",
        AutoUpgradeOff = "auto_upgrade_off",
        SeatLimit = "seat_limit",
        LegacyPlan = "legacy_plan",
        NoValidatedDomain = "no_validated_domain",
        DiEnableWouldDowngrade = "di_enable_would_downgrade",
        DomainNotValidated = "domain_not_validated",
        ReconcileNeedsDiOn = "reconcile_needs_di_on",
        DeprovisionGuardTripped = "deprovision_guard_tripped",
    }
}

/// How the service answers a refusal: `Conflict` 409 (a rule forbids it), `Mutability` 400 with
/// scimType `mutability`, `InvalidValue` 400 with scimType `invalidValue`, `Forbidden` 403,
/// `TooManyRequests` 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    Conflict,
    Mutability,
    InvalidValue,
    Forbidden,
    TooManyRequests,
}

/// A step the rules forbid: the rule (its code), how to answer, and a sentence naming the rule and
/// the way out. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub rule: Rule,
    pub kind: RefusalKind,
    pub detail: String,
}

impl Refusal {
    fn new(rule: Rule, kind: RefusalKind, detail: impl Into<String>) -> Refusal {
        Refusal { rule, kind, detail: detail.into() }
    }

    /// The admin API's error code.
    pub fn code(&self) -> &'static str {
        self.rule.as_str()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for Refusal {}

// ---------------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// Update calls (SCIM create, PUT, PATCH; group membership changes)
// ---------------------------------------------------------------------------------------------------

fn refuse_di_off() -> Refusal {
    Refusal::new(
        Rule::DiOff,
        RefusalKind::Forbidden,
        "Directory Integration is off: SCIM writes are refused and change nothing. Turn DI on \
         (POST /admin/di/enable or `scim-seat di enable`) to provision through SCIM",
    )
}

fn refuse_guest() -> Refusal {
    Refusal::new(
        Rule::GuestAdminOnly,
        RefusalKind::Conflict,
        "guests are not in the IdP: they are created and removed only through /admin/guests, and their \
         seat does not change; to give this person a regular seat, remove the guest and provision the \
         user through the IdP",
    )
}

fn require_di_on(settings: &Settings) -> Result<(), Refusal> {
    if settings.di_enabled { Ok(()) } else { Err(refuse_di_off()) }
}

/// `Err` with a `seat_limit` reason when one more member seat would exceed `member_seat_limit`.
fn member_seat_free(ctx: &Context) -> Result<(), Reason> {
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
/// [`scim_reactivate`], the previews and [`explain`].
fn update_call(state: &UserState, target: TargetSeat, ctx: &Context) -> Outcome {
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
            if licensed && !state.licensed {
                if let Err(limit) = member_seat_free(ctx) {
                    return Outcome { state: next, change: None, events: vec![limit] };
                }
            }
            next.licensed = licensed;
            let (code, detail) = if licensed {
                (Code::DiUpgrade, "update call from the IdP: a role implies member, so the user is licensed")
            } else {
                (Code::DiDowngrade, "update call from the IdP: no role implies member, so the user is unlicensed")
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
            if seat == Seat::Member && current != Seat::Member {
                if let Err(limit) = member_seat_free(ctx) {
                    return Outcome { state: next, change: None, events: vec![limit] };
                }
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
            let code = if seat.privilege() < current.privilege() { Code::DiDowngrade } else { Code::DiUpgrade };
            Outcome::step(state, next, code, detail)
        }
    }
}

/// A SCIM create, PUT or PATCH of the user, or a group change that adds or removes the user: applies
/// the update-call table (see the module comment). Refused while DI is off.
pub fn on_update_call(state: &UserState, target: TargetSeat, ctx: &Context) -> Result<Outcome, Refusal> {
    require_di_on(ctx.settings)?;
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
    let change = Change { from: None, to: Some(state.snapshot()), reason: Reason::new(Code::Provisioned, detail) };
    Ok(Outcome { state, change: Some(change), events: outcome.events })
}

// ---------------------------------------------------------------------------------------------------
// Deprovisioning and reactivation
// ---------------------------------------------------------------------------------------------------

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
            reason: Reason::new(Code::Deleted, "SCIM DELETE with deprovision = delete: the user is removed for good"),
        }),
    })
}

/// SCIM `active=true` on a deactivated user. Refused while DI is on unless `scim_reactivation = allow`
/// (400 mutability). When allowed it is an update call: the user gets the seat its roles ask for, as
/// at creation. On an active user it changes nothing.
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
             remove the user, turn DI on. To take access away while DI is on, deactivate or unassign the user in \
             the IdP, or set the seat to no_access",
        ));
    }
    let detail = if state.is_guest { "guest removed by an admin" } else { "removed from the plan by an admin (DI off)" };
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

// ---------------------------------------------------------------------------------------------------
// Manual seat changes
// ---------------------------------------------------------------------------------------------------

/// An admin sets a user's seat (`PUT /admin/users/{id}/seat`, `scim-seat seat set`), by the manual
/// change table; `note` is the admin's reason, added to the detail. Allowed whether DI is on or off:
/// with DI on the seat is kept until the next update call for the user. An upgrade to member respects
/// `member_seat_limit`. Setting the seat already held changes nothing.
pub fn admin_set_seat(state: &UserState, to: Seat, note: Option<&str>, ctx: &Context) -> Result<Outcome, Refusal> {
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
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| format!(" (admin's reason: {n})")).unwrap_or_default();
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
        return Ok(Outcome::step(state, next, Code::ManualChange, format!("an admin made the user {what}{note}{di_note}")));
    }
    let from = state.seat.unwrap_or(Seat::Viewer);
    match manual_change_rule(from, to) {
        ManualRule::Unchanged => Ok(Outcome::unchanged(state)),
        ManualRule::Refused(rule) => Err(Refusal::new(rule, RefusalKind::Conflict, manual_refusal_detail(rule))),
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

// ---------------------------------------------------------------------------------------------------
// System-triggered transitions
// ---------------------------------------------------------------------------------------------------

/// The user created a sheet, report or dashboard (or took another qualifying action): a viewer
/// becomes a provisional member for `provisional_review_days` when `auto_upgrade` is on; when it is
/// off the action is refused and the user stays viewer. Any other seat: nothing changes. Whether DI is
/// on does not matter: this is the application's own rule.
pub fn qualifying_action(state: &UserState, ctx: &Context) -> Result<Outcome, Refusal> {
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
            utc_timestamp(until)
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
    state.is_active() && state.seat == Some(Seat::ProvisionalMember) && state.provisional_until.is_some_and(|until| now >= until)
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
    let ended = state.provisional_until.map(utc_timestamp).unwrap_or_default();
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

// ---------------------------------------------------------------------------------------------------
// Plan-wide steps
// ---------------------------------------------------------------------------------------------------

/// The one-time mapping when `plan_model` switched (see `seats::FollowUp`): legacy -> user_model maps
/// licensed to member and unlicensed to viewer; user_model -> legacy maps member to licensed and every
/// other seat to unlicensed (decision: a provisional member's trial is not a licence). Guests and
/// deactivated users are not mapped.
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

/// One user's change in a preview, and the state to store when it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewItem<K> {
    pub user: K,
    pub change: Change,
    pub state: UserState,
}

/// What the next update call of each user would do (DI-enable preview, reconcile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview<K> {
    /// Users whose seat, licence or status would change, in input order.
    pub changes: Vec<PreviewItem<K>>,
    /// Users whose upgrade to member `member_seat_limit` would block.
    pub seat_limited: Vec<K>,
    pub downgrades: usize,
    pub upgrades: usize,
}

/// For every user `(key, state, target)`, what its next update call would do, as if DI were on: the
/// DI-enable preview (`POST /admin/di/enable`) and reconcile (`POST /admin/reconcile`) both use this,
/// and applying reconcile means storing each item's `state` and auditing its `change`. Deactivated
/// users, guests and users not managed by the directory never change. Users whose only difference is
/// the admin's-choice flag are not listed.
///
/// Decision on `member_seat_limit`: downgrades are counted first (they free member seats), then upgrades
/// take the free seats in input order; the rest are listed in `seat_limited` and keep their seat.
pub fn preview_update_calls<K, I>(users: I, ctx: &Context) -> Preview<K>
where
    I: IntoIterator<Item = (K, UserState, TargetSeat)>,
{
    let unlimited = Settings { member_seat_limit: None, ..ctx.settings.clone() };
    let unlimited_ctx = Context { settings: &unlimited, ..*ctx };
    let candidates: Vec<(K, UserState, TargetSeat, Change)> = users
        .into_iter()
        .filter_map(|(user, state, target)| {
            update_call(&state, target, &unlimited_ctx).change.map(|change| (user, state, target, change))
        })
        .collect();
    let freed = candidates.iter().filter(|(_, _, _, c)| c.frees_member_seat()).count();
    let mut in_use = ctx.member_seats_in_use.saturating_sub(u64::try_from(freed).unwrap_or(u64::MAX));
    let mut preview = Preview { changes: Vec::new(), seat_limited: Vec::new(), downgrades: 0, upgrades: 0 };
    for (user, state, target, _) in candidates {
        let outcome = update_call(&state, target, &Context { member_seats_in_use: in_use, ..*ctx });
        if outcome.hit_seat_limit() {
            preview.seat_limited.push(user);
            continue;
        }
        let Some(change) = outcome.change else { continue };
        if change.takes_member_seat() {
            in_use = in_use.saturating_add(1);
        }
        preview.downgrades += usize::from(change.is_downgrade());
        preview.upgrades += usize::from(change.is_upgrade());
        preview.changes.push(PreviewItem { user, change, state: outcome.state });
    }
    preview
}

/// The guard of `POST /admin/di/enable` (and `scim-seat di enable`) once the preview is computed:
/// turning DI on needs at least one validated domain, and is refused while the preview downgrades
/// anyone (a member who would become viewer on the next sync) unless `force`. A dry run reports the
/// preview without calling this. Enabling DI changes no seat by itself: the preview shows what each
/// user's next update call will do.
pub fn check_di_enable(validated_domains: usize, downgrades: usize, force: bool) -> Result<(), Refusal> {
    if validated_domains == 0 {
        return Err(Refusal::new(
            Rule::NoValidatedDomain,
            RefusalKind::Conflict,
            "turning Directory Integration on needs at least one validated domain: add one \
             (POST /admin/domains, `scim-seat domain add NAME`) and verify it",
        ));
    }
    if downgrades > 0 && !force {
        return Err(Refusal::new(
            Rule::DiEnableWouldDowngrade,
            RefusalKind::Conflict,
            format!(
                "turning Directory Integration on would downgrade {downgrades} user(s) to viewer on their next \
                 update call (listed in changes): give them a member role group in the IdP first, or turn DI on \
                 anyway with force: true (`--force`)"
            ),
        ));
    }
    Ok(())
}

/// Reconcile applies DI's group logic, so applying it needs DI on (a dry run does not).
pub fn check_reconcile_apply(settings: &Settings) -> Result<(), Refusal> {
    if settings.di_enabled {
        Ok(())
    } else {
        Err(Refusal::new(
            Rule::ReconcileNeedsDiOn,
            RefusalKind::Conflict,
            "reconcile applies Directory Integration's group logic, which runs only while DI is on: turn DI on \
             first (its preview lists the same changes), or run reconcile as a dry run",
        ))
    }
}

/// A SCIM create must be on a validated domain (unless `enforce_domains` is off): the domain of the
/// userName, or of the primary email when the userName is not an address. Decision: a domain matches
/// exactly, ignoring case; a subdomain needs validating on its own.
pub fn check_user_domain<S: AsRef<str>>(
    user_name: &str,
    primary_email: Option<&str>,
    validated_domains: &[S],
    settings: &Settings,
) -> Result<(), Refusal> {
    if !settings.enforce_domains {
        return Ok(());
    }
    let Some((address, domain)) = [Some(user_name), primary_email].into_iter().flatten().find_map(|a| {
        let a = a.trim();
        email_domain(a).map(|d| (a, d))
    }) else {
        return Err(Refusal::new(
            Rule::DomainNotValidated,
            RefusalKind::InvalidValue,
            format!(
                "userName {user_name:?} is not an email address and there is no primary email, so its domain \
                 can't be checked against the validated domains: send an address, or turn enforce_domains off for \
                 test tools"
            ),
        ));
    };
    let validated = validated_domains.iter().any(|v| v.as_ref().trim().trim_end_matches('.').eq_ignore_ascii_case(domain));
    if validated {
        return Ok(());
    }
    let known: Vec<&str> = validated_domains.iter().map(|v| v.as_ref().trim()).collect();
    let known = if known.is_empty() { "none".to_string() } else { known.join(", ") };
    Err(Refusal::new(
        Rule::DomainNotValidated,
        RefusalKind::InvalidValue,
        format!(
            "the domain {domain:?} of {address:?} is not a validated domain of this plan (validated: {known}): \
             add and verify it (POST /admin/domains, then /verify), or turn enforce_domains off for labs"
        ),
    ))
}

/// The domain of an address `local@domain`, without a trailing dot.
fn email_domain(address: &str) -> Option<&str> {
    let (local, domain) = address.rsplit_once('@')?;
    let domain = domain.trim_end_matches('.');
    (!local.is_empty() && !domain.is_empty() && !domain.contains(char::is_whitespace)).then_some(domain)
}

/// The deprovision guard before a SCIM deactivation or delete: `deprovisions_in_window` counts those
/// already made within `deprovision_guard.window_minutes`. More than `deprovision_guard.max` trips the
/// breaker: this request and every later one is refused (429) until an admin resets it, while other
/// requests flow. Decision: the request that would be number max+1 is itself refused, so no more than
/// `max` get through; a deactivation of a user already deactivated is not counted.
pub fn check_deprovision_guard(settings: &Settings, tripped: bool, deprovisions_in_window: u64) -> Result<(), Refusal> {
    let guard = settings.deprovision_guard;
    if tripped || deprovisions_in_window >= guard.max {
        return Err(Refusal::new(
            Rule::DeprovisionGuardTripped,
            RefusalKind::TooManyRequests,
            format!(
                "the deprovision guard has tripped: more than {} SCIM deactivations or deletes within {} minutes. \
                 Nothing was changed and the IdP will retry; check the IdP for an accidental unassignment, then \
                 reset the guard (POST /admin/deprovision-guard/reset)",
                guard.max, guard.window_minutes
            ),
        ));
    }
    Ok(())
}

/// An unlicensed user provisioned through SCIM who never signed in and is in no group is hidden from
/// the admin user list unless `include=pending` is asked. Decision: on user-model plans "unlicensed"
/// means the viewer seat.
pub fn is_pending(state: &UserState, plan_model: PlanModel, in_any_group: bool) -> bool {
    let unlicensed = match plan_model {
        PlanModel::Legacy => !state.licensed,
        PlanModel::UserModel => state.seat == Some(Seat::Viewer),
    };
    state.is_active()
        && state.managed_by_directory
        && !state.is_guest
        && state.first_sign_in.is_none()
        && !in_any_group
        && unlicensed
}

// ---------------------------------------------------------------------------------------------------
// Explain
// ---------------------------------------------------------------------------------------------------

/// `GET /admin/users/{id}/explain`: the target seat, what the next update call would leave, and why
/// the seat differs from the target.
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
            "the user was not provisioned by the directory, so DI does not manage its seat",
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
                format!("at the end of the review period ({}) the user becomes viewer", utc_timestamp(until))
            }
            (_, OnExpiry::Keep) => "provisional_on_expiry = keep, so it stays until an admin changes the seat".into(),
            (None, OnExpiry::Downgrade) => "it stays until an admin changes the seat".into(),
        };
        reasons.push(Reason::new(
            Code::ProvisionalNotDowngraded,
            format!("DI never downgrades a provisional member, even though no role implies member; {end}"),
        ));
    } else if next.hit_seat_limit() {
        let detail = next.events.iter().find(|e| e.code == Code::SeatLimit).map(|e| e.detail.clone()).unwrap_or_default();
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

// ---------------------------------------------------------------------------------------------------
// Time, for the sentences people read
// ---------------------------------------------------------------------------------------------------

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (UTC, proleptic Gregorian calendar).
pub fn utc_timestamp(secs: i64) -> String {
    let days = secs.div_euclid(SECONDS_PER_DAY);
    let second_of_day = secs.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// Days since 1970-01-01 -> (year, month, day): count 400-year eras of 146,097 days from 0000-03-01,
/// so the leap day falls at the end of each computed year.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}
