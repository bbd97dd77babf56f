//! Rules: a user's current state and the seat its roles ask for -> the change to make, with its reason.
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
//! the README's "Seat rules" section.

use super::roles::{HeldRole, RoleTable, target_seat};
use super::seats::{
    Deprovision, OnExpiry, PlanModel, ScimReactivation, Seat, SeatMapping, Settings, Status, TargetSeat,
};
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

    /// Access level, to tell upgrades from downgrades: deactivated is below every active seat, and on
    /// legacy plans licensed ranks as member and unlicensed as viewer.
    fn rank(&self) -> u8 {
        let seat = match (self.status, self.seat) {
            (Status::Deactivated, _) => return 0,
            (Status::Active, Some(seat)) => seat,
            (Status::Active, None) if self.licensed => Seat::Member,
            (Status::Active, None) => Seat::Viewer,
        };
        seat.privilege() + 1
    }

    /// Holds a seat counted by `member_seat_limit`: a member seat, or a licence on legacy plans.
    /// Decision: provisional members are not counted (their seat is a trial, not a member seat).
    pub fn holds_member_seat(&self) -> bool {
        self.status == Status::Active
            && (self.seat == Some(Seat::Member) || (self.seat.is_none() && self.licensed))
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
/// the update-call table (see the module comment). Refused while DI is off.
///
/// Decision: a group rename is not an update call for its members (it adds or removes nobody, and
/// would cost O(group size)); a group delete removes every member, so it is one for each. When one
/// request changes `active` and more, the caller deactivates or reactivates first, then calls this.
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
             remove the user, turn DI on. To take access away while DI is on, deactivate or unassign the user in \
             the IdP, or set the seat to no_access",
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

// ---------------------------------------------------------------------------------------------------
// Manual seat changes
// ---------------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------------
// System-triggered transitions
// ---------------------------------------------------------------------------------------------------

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
            crate::base::calendar::rfc3339(until)
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
    let ended = state.provisional_until.map(crate::base::calendar::rfc3339).unwrap_or_default();
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
/// anyone (a member who would become viewer on the next sync; Decision: on legacy plans, a licensed
/// user who would become unlicensed) unless `force`. A dry run reports the preview without calling
/// this. Enabling DI changes no seat by itself: the preview shows what each user's next update call
/// will do.
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
    let validated = validated_domains
        .iter()
        .any(|v| v.as_ref().trim().trim_end_matches('.').eq_ignore_ascii_case(domain));
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
pub fn check_deprovision_guard(
    settings: &Settings,
    tripped: bool,
    deprovisions_in_window: u64,
) -> Result<(), Refusal> {
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
                format!(
                    "at the end of the review period ({}) the user becomes viewer",
                    crate::base::calendar::rfc3339(until)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::held_roles;
    use crate::domain::seats::BaseSeatLabel;
    use Seat::{Guest, Member, NoAccess, ProvisionalMember, Viewer};

    const NOW: i64 = 1_700_000_000;

    /// A plan with DI on and every other setting at its default.
    fn di_on() -> Settings {
        Settings { di_enabled: true, ..Settings::default() }
    }

    fn ctx(settings: &Settings) -> Context<'_> {
        Context { settings, member_seats_in_use: 0, now: NOW }
    }

    fn ctx_in_use(settings: &Settings, member_seats_in_use: u64) -> Context<'_> {
        Context { settings, member_seats_in_use, now: NOW }
    }

    /// An active user provisioned through SCIM, on `seat`.
    fn user(seat: Seat) -> UserState {
        UserState {
            status: Status::Active,
            seat: Some(seat),
            managed_by_directory: true,
            is_guest: seat == Guest,
            manual_seat: false,
            provisional_until: (seat == ProvisionalMember).then_some(NOW + 10 * SECONDS_PER_DAY),
            first_sign_in: None,
            licensed: seat == Member,
        }
    }

    fn legacy_user(licensed: bool) -> UserState {
        UserState { seat: None, licensed, ..user(Viewer) }
    }

    fn deactivated() -> UserState {
        user(Member).deactivated()
    }

    fn target_of(values: &[&str], groups: &[&str]) -> TargetSeat {
        let table = RoleTable::default();
        target_seat(&held_roles(&table, values, groups, None), &table)
    }

    // --- the update-call table ------------------------------------------------------------------

    /// SPEC.md section 3, "Applying it": (current seat, after target viewer, after target member).
    const UPDATE_CALL_TABLE: [(Seat, Seat, Seat); 4] = [
        (Viewer, Viewer, Member),
        (ProvisionalMember, ProvisionalMember, Member),
        (Member, Viewer, Member),
        (NoAccess, Viewer, Member),
    ];

    #[test]
    fn update_call_table_every_cell() {
        let settings = di_on();
        for (current, after_viewer, after_member) in UPDATE_CALL_TABLE {
            for (target, expected) in [(TargetSeat::Viewer, after_viewer), (TargetSeat::Member, after_member)]
            {
                assert_eq!(update_call_seat(current, target), expected, "{current} x {target}");
                let outcome = on_update_call(&user(current), target, &ctx(&settings)).unwrap();
                assert_eq!(outcome.state.seat, Some(expected), "{current} x {target}");
                assert_eq!(outcome.state.licensed, expected == Member);
                match outcome.change {
                    None => assert_eq!(current, expected, "{current} x {target}: a move must be audited"),
                    Some(change) => {
                        assert_ne!(current, expected);
                        assert_eq!(change.from.and_then(|s| s.seat), Some(current));
                        assert_eq!(change.to.and_then(|s| s.seat), Some(expected));
                        let code = if expected.privilege() > current.privilege() {
                            Code::DiUpgrade
                        } else {
                            Code::DiDowngrade
                        };
                        assert_eq!(change.reason.code, code, "{current} x {target}");
                    }
                }
                assert!(outcome.events.is_empty());
            }
        }
    }

    #[test]
    fn di_never_targets_provisional_no_access_or_guest() {
        for (current, _, _) in UPDATE_CALL_TABLE {
            for target in [TargetSeat::Viewer, TargetSeat::Member] {
                let after = update_call_seat(current, target);
                assert!(
                    after == target.seat() || (current == ProvisionalMember && after == ProvisionalMember)
                );
            }
        }
        assert_eq!(update_call_seat(Guest, TargetSeat::Member), Guest);
    }

    #[test]
    fn di_never_downgrades_a_provisional_member() {
        let settings = di_on();
        let pm = user(ProvisionalMember);
        let outcome = on_update_call(&pm, TargetSeat::Viewer, &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(ProvisionalMember));
        assert_eq!(outcome.state.provisional_until, pm.provisional_until, "the review period runs on");
        assert_eq!(outcome.change, None);
    }

    #[test]
    fn provisional_member_added_to_a_member_group_becomes_member_and_the_review_ends() {
        let settings = di_on();
        let outcome = on_update_call(&user(ProvisionalMember), TargetSeat::Member, &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(Member));
        assert_eq!(outcome.state.provisional_until, None);
        assert_eq!(outcome.change.unwrap().reason.code, Code::DiUpgrade);
    }

    #[test]
    fn di_overrides_an_admins_no_access_on_the_next_update_call() {
        let settings = di_on();
        let blocked = admin_set_seat(&user(Viewer), NoAccess, None, &ctx(&settings)).unwrap().state;
        assert!(blocked.manual_seat);
        let outcome = on_update_call(&blocked, TargetSeat::Viewer, &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(Viewer));
        assert!(!outcome.state.manual_seat);
        assert!(outcome.change.unwrap().reason.detail.contains("overrides"));
    }

    #[test]
    fn a_manual_seat_is_kept_until_the_next_update_call_then_the_table_applies_from_it() {
        let settings = di_on();
        // The IdP asks for viewer; an admin makes the user a member.
        let chosen = admin_set_seat(&user(Viewer), Member, None, &ctx(&settings)).unwrap().state;
        assert_eq!((chosen.seat, chosen.manual_seat), (Some(Member), true));
        // Nothing recomputes it in between: explain says so.
        let why = explain(&chosen, &[], &RoleTable::default(), &ctx(&settings));
        assert_eq!(codes(&why), [Code::ManualChange]);
        assert!(why.would_change);
        // The next update call applies the table from member: target viewer -> viewer.
        let outcome = on_update_call(&chosen, TargetSeat::Viewer, &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(Viewer));
        assert!(!outcome.state.manual_seat);
        assert!(outcome.change.unwrap().reason.detail.contains("replacing the seat an admin chose"));
        // An admin's choice that agrees with the target survives the update call.
        let agreed = admin_set_seat(&user(Viewer), Member, None, &ctx(&settings)).unwrap().state;
        let outcome = on_update_call(&agreed, TargetSeat::Member, &ctx(&settings)).unwrap();
        assert_eq!((outcome.state.seat, outcome.change), (Some(Member), None));
    }

    #[test]
    fn update_calls_are_refused_while_di_is_off() {
        let settings = Settings::default();
        let err = on_update_call(&user(Viewer), TargetSeat::Member, &ctx(&settings)).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::DiOff, RefusalKind::Forbidden));
        assert!(err.detail.contains("DI on"));
        assert_eq!(on_create(TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
        assert_eq!(scim_deactivate(&user(Viewer), &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
        assert_eq!(scim_delete(&user(Viewer), &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
        assert_eq!(
            scim_reactivate(&deactivated(), TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule,
            Rule::DiOff
        );
    }

    #[test]
    fn update_calls_give_a_deactivated_user_no_seat() {
        let settings = di_on();
        for target in [TargetSeat::Viewer, TargetSeat::Member] {
            let outcome = on_update_call(&deactivated(), target, &ctx(&settings)).unwrap();
            assert_eq!(outcome, Outcome::unchanged(&deactivated()));
            assert_eq!(outcome.state.seat, None);
        }
    }

    #[test]
    fn update_calls_leave_guests_and_unmanaged_users_untouched() {
        let settings = di_on();
        let unmanaged = UserState { managed_by_directory: false, ..user(Viewer) };
        for state in [user(Guest), unmanaged] {
            let outcome = on_update_call(&state, TargetSeat::Member, &ctx(&settings)).unwrap();
            assert_eq!(outcome, Outcome::unchanged(&state));
        }
    }

    #[test]
    fn viewer_only_update_calls_move_no_seat() {
        let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
        for seat in [Viewer, ProvisionalMember, Member, NoAccess] {
            for target in [TargetSeat::Viewer, TargetSeat::Member] {
                let state = UserState { manual_seat: true, ..user(seat) };
                let outcome = on_update_call(&state, target, &ctx(&settings)).unwrap();
                assert_eq!(outcome, Outcome::unchanged(&state), "{seat} x {target}");
            }
        }
    }

    #[test]
    fn viewer_only_provisions_every_scim_user_as_viewer() {
        let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
        let outcome = on_create(TargetSeat::Member, &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(Viewer));
        let change = outcome.change.unwrap();
        assert_eq!(change.reason.code, Code::Provisioned);
        assert!(change.reason.detail.contains("viewer_only"));
    }

    #[test]
    fn legacy_plan_licenses_when_a_role_implies_member_and_unlicenses_on_the_last_one_removed() {
        let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
        let unlicensed = legacy_user(false);
        let licensed =
            on_update_call(&unlicensed, target_of(&["LICENSED_USER"], &[]), &ctx(&settings)).unwrap();
        assert!(licensed.state.licensed);
        assert_eq!(licensed.state.seat, None, "no seat types on legacy plans");
        let change = licensed.change.unwrap();
        assert_eq!(
            (change.reason.code, change.from.unwrap().describe(), change.to.unwrap().describe()),
            (Code::DiUpgrade, "unlicensed", "licensed")
        );
        let removed =
            on_update_call(&licensed.state, target_of(&["SYSTEM_ADMIN"], &[]), &ctx(&settings)).unwrap();
        assert!(!removed.state.licensed);
        assert_eq!(removed.change.unwrap().reason.code, Code::DiDowngrade);
        // Legacy creation: licensed when a role implies member, no seat.
        let created = on_create(TargetSeat::Member, &ctx(&settings)).unwrap();
        assert_eq!((created.state.seat, created.state.licensed), (None, true));
        // seat_mapping does not apply to legacy plans.
        let viewer_only = Settings { seat_mapping: SeatMapping::ViewerOnly, ..settings.clone() };
        assert!(on_update_call(&unlicensed, TargetSeat::Member, &ctx(&viewer_only)).unwrap().state.licensed);
    }

    #[test]
    fn seat_limit_leaves_the_seat_and_records_a_seat_limit_event() {
        let settings = Settings { member_seat_limit: Some(2), ..di_on() };
        for current in [Viewer, ProvisionalMember, NoAccess] {
            let state = UserState { manual_seat: true, ..user(current) };
            let outcome = on_update_call(&state, TargetSeat::Member, &ctx_in_use(&settings, 2)).unwrap();
            assert_eq!(outcome.state.seat, Some(current), "{current}");
            assert_eq!(outcome.change, None);
            assert!(outcome.hit_seat_limit());
            assert!(outcome.events[0].detail.contains("2 of 2"));
            assert!(!outcome.state.manual_seat, "the update call still happened");
            // With a seat free the upgrade is made.
            let outcome = on_update_call(&state, TargetSeat::Member, &ctx_in_use(&settings, 1)).unwrap();
            assert_eq!(outcome.state.seat, Some(Member));
        }
    }

    #[test]
    fn seat_limit_never_blocks_a_member_staying_member_or_a_downgrade() {
        let settings = Settings { member_seat_limit: Some(0), ..di_on() };
        let stay = on_update_call(&user(Member), TargetSeat::Member, &ctx_in_use(&settings, 5)).unwrap();
        assert_eq!((stay.state.seat, stay.events.len()), (Some(Member), 0));
        let down = on_update_call(&user(Member), TargetSeat::Viewer, &ctx_in_use(&settings, 5)).unwrap();
        assert_eq!(down.state.seat, Some(Viewer));
        // no_access -> viewer is not a member seat.
        let back = on_update_call(&user(NoAccess), TargetSeat::Viewer, &ctx_in_use(&settings, 5)).unwrap();
        assert_eq!(back.state.seat, Some(Viewer));
    }

    #[test]
    fn seat_limit_counts_licences_on_legacy_plans() {
        let settings = Settings { plan_model: PlanModel::Legacy, member_seat_limit: Some(1), ..di_on() };
        let outcome =
            on_update_call(&legacy_user(false), TargetSeat::Member, &ctx_in_use(&settings, 1)).unwrap();
        assert!(!outcome.state.licensed);
        assert!(outcome.hit_seat_limit());
    }

    // --- creation ---------------------------------------------------------------------------------

    #[test]
    fn scim_create_starts_on_the_seat_its_roles_ask_for() {
        let settings = di_on();
        for (values, seat) in [
            (&[][..], Viewer),
            (&["SMARTSHEET_USER"][..], Viewer),
            (&["SYSTEM_ADMIN"][..], Viewer),
            (&["LICENSED_USER"][..], Member),
            (&["smartsheetGroupAdmin"][..], Member),
        ] {
            let outcome = on_create(target_of(values, &[]), &ctx(&settings)).unwrap();
            let state = &outcome.state;
            assert_eq!(
                (state.status, state.seat, state.managed_by_directory),
                (Status::Active, Some(seat), true)
            );
            assert!(!state.manual_seat && !state.is_guest);
            let change = outcome.change.unwrap();
            assert_eq!(change.from, None, "created from nothing");
            assert_eq!(change.to, Some(state.snapshot()));
            assert_eq!(change.reason.code, Code::Provisioned);
        }
    }

    #[test]
    fn scim_create_never_starts_a_user_as_provisional_member() {
        let settings = di_on();
        for target in [TargetSeat::Viewer, TargetSeat::Member] {
            assert_ne!(on_create(target, &ctx(&settings)).unwrap().state.seat, Some(ProvisionalMember));
        }
    }

    #[test]
    fn scim_create_at_the_seat_limit_starts_as_viewer_with_a_seat_limit_event() {
        let settings = Settings { member_seat_limit: Some(3), ..di_on() };
        let outcome = on_create(TargetSeat::Member, &ctx_in_use(&settings, 3)).unwrap();
        assert_eq!(outcome.state.seat, Some(Viewer));
        assert!(outcome.hit_seat_limit());
        let change = outcome.change.unwrap();
        assert_eq!(change.reason.code, Code::Provisioned);
        assert!(change.reason.detail.contains("member_seat_limit is reached"), "{}", change.reason.detail);
    }

    #[test]
    fn group_changes_after_create_are_update_calls() {
        // Okta creates the user with no role, then pushes the group "Smartsheet Licensed User".
        let settings = di_on();
        let created = on_create(target_of(&[], &[]), &ctx(&settings)).unwrap().state;
        assert_eq!(created.seat, Some(Viewer));
        let added =
            on_update_call(&created, target_of(&[], &["Smartsheet Licensed User"]), &ctx(&settings)).unwrap();
        assert_eq!(added.state.seat, Some(Member));
        // Removed from the group: the remaining groups (none) ask for viewer.
        let removed = on_update_call(&added.state, target_of(&[], &[]), &ctx(&settings)).unwrap();
        assert_eq!(removed.state.seat, Some(Viewer));
        assert_eq!(removed.change.unwrap().reason.code, Code::DiDowngrade);
    }

    #[test]
    fn group_mapping_is_not_retroactive_until_an_update_call_arrives() {
        // The vendor's example: in the System Admin and Licensed User groups, provisioned as viewer under
        // the old behaviour, still a viewer on launch day until a group change sends an update call.
        let settings = di_on();
        let table = RoleTable::default();
        let held = held_roles(
            &table,
            Vec::<String>::new(),
            ["Smartsheet System Admin", "Smartsheet Licensed User"],
            None,
        );
        let before = user(Viewer);
        let why = explain(&before, &held, &table, &ctx(&settings));
        assert_eq!(why.target, TargetSeat::Member);
        assert_eq!(codes(&why), [Code::AwaitingUpdateCall]);
        assert!(why.would_change);
        let after = on_update_call(&before, target_seat(&held, &table), &ctx(&settings)).unwrap();
        assert_eq!(after.state.seat, Some(Member));
        assert_eq!(explain(&after.state, &held, &table, &ctx(&settings)).reasons, []);
    }

    // --- deprovisioning and reactivation -------------------------------------------------------

    #[test]
    fn scim_deactivation_frees_the_seat_and_keeps_the_user() {
        let settings = di_on();
        for seat in [Viewer, ProvisionalMember, Member, NoAccess] {
            let state = UserState { first_sign_in: Some(NOW - 5), ..user(seat) };
            let outcome = scim_deactivate(&state, &ctx(&settings)).unwrap();
            let s = &outcome.state;
            assert_eq!(
                (s.status, s.seat, s.licensed, s.provisional_until),
                (Status::Deactivated, None, false, None)
            );
            assert_eq!(s.first_sign_in, Some(NOW - 5), "data is kept");
            let change = outcome.change.unwrap();
            assert_eq!(change.reason.code, Code::Deactivated);
            assert_eq!(change.to.unwrap().describe(), "deactivated");
            assert_eq!(change.frees_member_seat(), seat == Member);
            assert!(change.is_downgrade());
        }
        assert_eq!(
            scim_deactivate(&deactivated(), &ctx(&settings)).unwrap(),
            Outcome::unchanged(&deactivated())
        );
    }

    #[test]
    fn scim_delete_deactivates_by_default_and_removes_for_good_with_deprovision_delete() {
        let settings = di_on();
        match scim_delete(&user(Member), &ctx(&settings)).unwrap() {
            ScimDelete::Deactivated(outcome) => {
                assert_eq!(outcome.state.status, Status::Deactivated);
                assert!(outcome.change.unwrap().reason.detail.contains("404"));
            }
            other => panic!("{other:?}"),
        }
        match scim_delete(&deactivated(), &ctx(&settings)).unwrap() {
            ScimDelete::Deactivated(outcome) => assert_eq!(outcome.change, None),
            other => panic!("{other:?}"),
        }
        let delete = Settings { deprovision: Deprovision::Delete, ..di_on() };
        match scim_delete(&user(Member), &ctx(&delete)).unwrap() {
            ScimDelete::Removed(change) => {
                assert_eq!((change.to, change.reason.code), (None, Code::Deleted));
                assert!(change.frees_member_seat());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn scim_never_changes_guests() {
        let settings = di_on();
        let guest = user(Guest);
        assert_eq!(scim_deactivate(&guest, &ctx(&settings)).unwrap_err().rule, Rule::GuestAdminOnly);
        assert_eq!(scim_delete(&guest, &ctx(&settings)).unwrap_err().rule, Rule::GuestAdminOnly);
        let gone = UserState { status: Status::Deactivated, seat: None, ..guest };
        assert_eq!(
            scim_reactivate(&gone, TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule,
            Rule::GuestAdminOnly
        );
    }

    #[test]
    fn scim_reactivation_is_refused_while_di_is_on_with_the_way_out() {
        let settings = di_on();
        let err = scim_reactivate(&deactivated(), TargetSeat::Member, &ctx(&settings)).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::ScimReactivationRefused, RefusalKind::Mutability));
        assert!(err.detail.contains("turn DI off, reactivate the user in admin"), "{}", err.detail);
        assert!(err.detail.contains("turn DI on"));
        // active=true on an active user is no reactivation.
        assert_eq!(scim_reactivate(&user(Viewer), TargetSeat::Member, &ctx(&settings)).unwrap().change, None);
    }

    #[test]
    fn scim_reactivation_when_allowed_gives_the_seat_the_roles_ask_for() {
        let settings = Settings { scim_reactivation: ScimReactivation::Allow, ..di_on() };
        let gone = UserState { first_sign_in: Some(7), ..deactivated() };
        let outcome = scim_reactivate(&gone, TargetSeat::Member, &ctx(&settings)).unwrap();
        assert_eq!((outcome.state.status, outcome.state.seat), (Status::Active, Some(Member)));
        assert_eq!(outcome.state.first_sign_in, Some(7));
        assert_eq!(outcome.change.unwrap().reason.code, Code::Reactivated);
        let full = Settings { member_seat_limit: Some(1), ..settings.clone() };
        let limited = scim_reactivate(&gone, TargetSeat::Member, &ctx_in_use(&full, 1)).unwrap();
        assert_eq!(limited.state.seat, Some(Viewer));
        assert!(limited.hit_seat_limit());
    }

    #[test]
    fn admin_reactivation_only_while_di_is_off_and_starts_as_viewer() {
        let on = di_on();
        let err = admin_reactivate(&deactivated(), &ctx(&on)).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::ReactivationNeedsDiOff, RefusalKind::Conflict));
        assert!(err.detail.contains("turn DI off"));
        let off = Settings::default();
        let outcome = admin_reactivate(&deactivated(), &ctx(&off)).unwrap();
        assert_eq!((outcome.state.status, outcome.state.seat), (Status::Active, Some(Viewer)));
        assert!(outcome.state.manual_seat);
        assert_eq!(outcome.change.unwrap().reason.code, Code::Reactivated);
        let legacy = Settings { plan_model: PlanModel::Legacy, ..Settings::default() };
        let outcome = admin_reactivate(&deactivated(), &ctx(&legacy)).unwrap();
        assert_eq!((outcome.state.seat, outcome.state.licensed), (None, false));
        assert_eq!(admin_reactivate(&user(Member), &ctx(&off)).unwrap().change, None);
    }

    #[test]
    fn admin_removal_needs_di_off_but_guests_go_any_time() {
        let on = di_on();
        let err = admin_remove(&user(Member), &ctx(&on)).unwrap_err();
        assert_eq!(err.rule, Rule::RemovalNeedsDiOff);
        assert!(err.detail.contains("turn DI off"));
        let change = admin_remove(&user(Member), &ctx(&Settings::default())).unwrap();
        assert_eq!((change.to, change.reason.code), (None, Code::Removed));
        assert!(admin_remove(&user(Guest), &ctx(&on)).is_ok());
    }

    #[test]
    fn guests_are_created_in_admin_with_the_guest_seat() {
        let outcome = new_guest();
        assert_eq!(outcome.state.seat, Some(Guest));
        assert!(outcome.state.is_guest && !outcome.state.managed_by_directory);
        assert_eq!(outcome.change.unwrap().reason.code, Code::GuestAdded);
    }

    // --- manual seat changes ---------------------------------------------------------------------

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Cell {
        Same,
        Yes,
        No(Rule),
    }

    /// SPEC.md section 3, "Manual seat changes by an admin": rows `from`, columns
    /// viewer, member, no_access, provisional_member.
    const MANUAL_TABLE: [(Seat, [Cell; 4]); 4] = {
        use Cell::{No, Same, Yes};
        [
            (Viewer, [Same, Yes, Yes, No(Rule::ProvisionalSystemTriggeredOnly)]),
            (ProvisionalMember, [Yes, Yes, Yes, Same]),
            (Member, [Yes, Same, Yes, No(Rule::MemberToProvisionalNever)]),
            (NoAccess, [Yes, Yes, Same, No(Rule::NoAccessToProvisional)]),
        ]
    };
    const MANUAL_COLUMNS: [Seat; 4] = [Viewer, Member, NoAccess, ProvisionalMember];

    #[test]
    fn manual_change_table_every_cell() {
        for settings in [di_on(), Settings::default()] {
            for (from, row) in MANUAL_TABLE {
                for (to, cell) in MANUAL_COLUMNS.into_iter().zip(row) {
                    let state = user(from);
                    let result = admin_set_seat(&state, to, None, &ctx(&settings));
                    match cell {
                        Cell::Same => {
                            assert_eq!(manual_change_rule(from, to), ManualRule::Unchanged);
                            assert_eq!(result.unwrap(), Outcome::unchanged(&state), "{from} -> {to}");
                        }
                        Cell::Yes => {
                            assert_eq!(manual_change_rule(from, to), ManualRule::Allowed);
                            let outcome = result.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                            assert_eq!(outcome.state.seat, Some(to));
                            assert!(outcome.state.manual_seat);
                            assert_eq!(outcome.state.provisional_until, None, "{from} -> {to}");
                            let change = outcome.change.unwrap();
                            assert_eq!(change.reason.code, Code::ManualChange);
                            assert!(change.reason.detail.contains(&format!("from {from} to {to}")));
                        }
                        Cell::No(rule) => {
                            assert_eq!(manual_change_rule(from, to), ManualRule::Refused(rule));
                            let err = result.unwrap_err();
                            assert_eq!((err.rule, err.kind), (rule, RefusalKind::Conflict), "{from} -> {to}");
                            assert!(err.detail.contains("provisional"), "{}", err.detail);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn provisional_refusals_name_the_rule_and_the_way_out() {
        let settings = di_on();
        let err = admin_set_seat(&user(Viewer), ProvisionalMember, None, &ctx(&settings)).unwrap_err();
        assert!(err.detail.contains("system-triggered only") && err.detail.contains("qualifying_action"));
        assert_eq!(err.code(), "provisional_system_triggered_only");
        let err = admin_set_seat(&user(Member), ProvisionalMember, None, &ctx(&settings)).unwrap_err();
        assert!(err.detail.contains("never") && err.detail.contains("viewer or no_access"));
    }

    #[test]
    fn manual_changes_are_refused_for_deactivated_users() {
        let settings = di_on();
        for to in [Viewer, Member, NoAccess] {
            let err = admin_set_seat(&deactivated(), to, None, &ctx(&settings)).unwrap_err();
            assert_eq!(err.rule, Rule::UserDeactivated);
            assert!(err.detail.contains("reactivate it first"));
        }
    }

    #[test]
    fn manual_changes_never_make_or_change_a_guest() {
        let settings = di_on();
        for from in [Viewer, Member, NoAccess, ProvisionalMember] {
            assert_eq!(manual_change_rule(from, Guest), ManualRule::Refused(Rule::GuestAdminOnly));
            let err = admin_set_seat(&user(from), Guest, None, &ctx(&settings)).unwrap_err();
            assert_eq!(err.rule, Rule::GuestAdminOnly);
        }
        for to in [Viewer, Member, NoAccess] {
            assert_eq!(
                admin_set_seat(&user(Guest), to, None, &ctx(&settings)).unwrap_err().rule,
                Rule::GuestAdminOnly
            );
        }
    }

    #[test]
    fn manual_upgrade_to_member_respects_the_seat_limit() {
        let settings = Settings { member_seat_limit: Some(4), ..di_on() };
        for from in [Viewer, ProvisionalMember, NoAccess] {
            let err = admin_set_seat(&user(from), Member, None, &ctx_in_use(&settings, 4)).unwrap_err();
            assert_eq!((err.rule, err.kind), (Rule::SeatLimit, RefusalKind::Conflict));
            assert!(err.detail.contains("raise member_seat_limit"));
            assert!(admin_set_seat(&user(from), Member, None, &ctx_in_use(&settings, 3)).is_ok());
        }
        // Downgrades are never limited.
        assert!(admin_set_seat(&user(Member), Viewer, None, &ctx_in_use(&settings, 9)).is_ok());
    }

    #[test]
    fn manual_change_on_a_legacy_plan_sets_the_licence() {
        let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
        let licensed = admin_set_seat(&legacy_user(false), Member, None, &ctx(&settings)).unwrap();
        assert_eq!((licensed.state.licensed, licensed.state.seat), (true, None));
        let unlicensed = admin_set_seat(&licensed.state, Viewer, None, &ctx(&settings)).unwrap();
        assert!(!unlicensed.state.licensed);
        assert_eq!(admin_set_seat(&legacy_user(false), Viewer, None, &ctx(&settings)).unwrap().change, None);
        let err = admin_set_seat(&legacy_user(false), NoAccess, None, &ctx(&settings)).unwrap_err();
        assert_eq!(err.rule, Rule::LegacyPlan);
        assert!(err.detail.contains("plan_model = user_model"));
        let full = Settings { member_seat_limit: Some(0), ..settings };
        assert_eq!(
            admin_set_seat(&legacy_user(false), Member, None, &ctx(&full)).unwrap_err().rule,
            Rule::SeatLimit
        );
    }

    #[test]
    fn manual_change_detail_carries_the_admins_reason_and_the_di_warning() {
        let settings = di_on();
        let outcome = admin_set_seat(&user(Viewer), Member, Some(" project lead "), &ctx(&settings)).unwrap();
        let detail = outcome.change.unwrap().reason.detail;
        assert!(detail.contains("(admin's reason: project lead)"), "{detail}");
        assert!(detail.contains("next update call"), "{detail}");
        let off = Settings::default();
        let detail =
            admin_set_seat(&user(Viewer), Member, None, &ctx(&off)).unwrap().change.unwrap().reason.detail;
        assert!(!detail.contains("next update call"), "{detail}");
    }

    // --- system-triggered transitions ------------------------------------------------------------

    #[test]
    fn qualifying_action_makes_a_viewer_a_provisional_member_for_the_review_period() {
        let settings = di_on();
        let outcome = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap();
        assert_eq!(outcome.state.seat, Some(ProvisionalMember));
        assert_eq!(outcome.state.provisional_until, Some(NOW + 30 * SECONDS_PER_DAY));
        let change = outcome.change.unwrap();
        assert_eq!(change.reason.code, Code::QualifyingAction);
        assert!(change.reason.detail.contains("2023-12-14T22:13:20Z"), "{}", change.reason.detail);
        assert!(!change.takes_member_seat(), "a provisional member does not count against member_seat_limit");
        // Whether DI is on does not matter.
        let off = Settings::default();
        assert_eq!(qualifying_action(&user(Viewer), &ctx(&off)).unwrap().state.seat, Some(ProvisionalMember));
    }

    #[test]
    fn qualifying_action_is_refused_when_auto_upgrade_is_off_and_the_user_stays_viewer() {
        let settings = Settings { auto_upgrade: false, ..di_on() };
        let err = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::AutoUpgradeOff, RefusalKind::Conflict));
        assert!(err.detail.contains("stays viewer"));
    }

    #[test]
    fn qualifying_action_changes_nothing_on_any_other_seat() {
        for auto_upgrade in [true, false] {
            let settings = Settings { auto_upgrade, ..di_on() };
            for seat in [ProvisionalMember, Member, NoAccess, Guest] {
                let state = user(seat);
                assert_eq!(
                    qualifying_action(&state, &ctx(&settings)).unwrap(),
                    Outcome::unchanged(&state),
                    "{seat}"
                );
            }
            let legacy = Settings { plan_model: PlanModel::Legacy, ..settings };
            assert_eq!(qualifying_action(&legacy_user(false), &ctx(&legacy)).unwrap().change, None);
        }
        let err = qualifying_action(&deactivated(), &ctx(&di_on())).unwrap_err();
        assert_eq!(err.rule, Rule::UserDeactivated);
    }

    #[test]
    fn review_of_zero_days_ends_at_the_next_sweep() {
        let settings = Settings { provisional_review_days: 0, ..di_on() };
        let pm = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap().state;
        assert_eq!(pm.provisional_until, Some(NOW));
        assert!(review_expired(&pm, NOW));
        assert_eq!(review_expiry(&pm, &ctx(&settings)).state.seat, Some(Viewer));
    }

    #[test]
    fn review_expiry_downgrades_to_viewer_when_provisional_on_expiry_is_downgrade() {
        let settings = di_on();
        let pm = user(ProvisionalMember);
        let until = pm.provisional_until.unwrap();
        let before_end = Context { now: until - 1, ..ctx(&settings) };
        assert_eq!(review_expiry(&pm, &before_end), Outcome::unchanged(&pm));
        let at_end = Context { now: until, ..ctx(&settings) };
        let outcome = review_expiry(&pm, &at_end);
        assert_eq!((outcome.state.seat, outcome.state.provisional_until), (Some(Viewer), None));
        let change = outcome.change.unwrap();
        assert_eq!(change.reason.code, Code::ReviewExpired);
        assert!(change.is_downgrade());
    }

    #[test]
    fn review_expiry_keeps_the_provisional_member_when_provisional_on_expiry_is_keep() {
        let settings = Settings { provisional_on_expiry: OnExpiry::Keep, ..di_on() };
        let pm = user(ProvisionalMember);
        let late = Context { now: NOW + 365 * SECONDS_PER_DAY, ..ctx(&settings) };
        assert_eq!(review_expiry(&pm, &late), Outcome::unchanged(&pm));
    }

    #[test]
    fn review_expiry_touches_only_provisional_members() {
        let settings = di_on();
        let late = Context { now: i64::MAX, ..ctx(&settings) };
        for seat in [Viewer, Member, NoAccess, Guest] {
            let state = UserState { provisional_until: Some(0), ..user(seat) };
            assert_eq!(review_expiry(&state, &late), Outcome::unchanged(&state), "{seat}");
        }
        assert_eq!(review_expiry(&deactivated(), &late), Outcome::unchanged(&deactivated()));
    }

    #[test]
    fn sign_in_records_the_first_sign_in_only() {
        let first = sign_in(&user(Viewer), 100).unwrap();
        assert_eq!((first.state.first_sign_in, first.change), (Some(100), None));
        let second = sign_in(&first.state, 200).unwrap();
        assert_eq!(second.state.first_sign_in, Some(100));
        assert_eq!(sign_in(&user(Guest), 5).unwrap().state.first_sign_in, Some(5));
    }

    #[test]
    fn sign_in_is_refused_for_a_deactivated_user() {
        let err = sign_in(&deactivated(), 100).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::UserDeactivated, RefusalKind::Forbidden));
    }

    // --- plan-wide steps ----------------------------------------------------------------------------

    #[test]
    fn switching_legacy_to_user_model_maps_licensed_to_member_and_unlicensed_to_viewer() {
        let to_member = switch_plan_model(&legacy_user(true), PlanModel::UserModel);
        assert_eq!((to_member.state.seat, to_member.state.licensed), (Some(Member), true));
        assert_eq!(to_member.change.unwrap().reason.code, Code::PlanModelSwitch);
        let to_viewer = switch_plan_model(&legacy_user(false), PlanModel::UserModel);
        assert_eq!(to_viewer.state.seat, Some(Viewer));
        assert_eq!(switch_plan_model(&deactivated(), PlanModel::UserModel).change, None);
        assert_eq!(switch_plan_model(&user(Guest), PlanModel::UserModel).change, None);
    }

    #[test]
    fn switching_user_model_to_legacy_licenses_members_only() {
        for (seat, licensed) in
            [(Member, true), (ProvisionalMember, false), (Viewer, false), (NoAccess, false)]
        {
            let outcome = switch_plan_model(&user(seat), PlanModel::Legacy);
            assert_eq!((outcome.state.seat, outcome.state.licensed), (None, licensed), "{seat}");
            assert_eq!(outcome.state.provisional_until, None);
        }
    }

    fn population() -> Vec<(&'static str, UserState, TargetSeat)> {
        vec![
            ("m-stays", user(Member), TargetSeat::Member),
            ("m-down", user(Member), TargetSeat::Viewer),
            ("v-up", user(Viewer), TargetSeat::Member),
            ("pm-kept", user(ProvisionalMember), TargetSeat::Viewer),
            ("pm-up", user(ProvisionalMember), TargetSeat::Member),
            ("na-back", user(NoAccess), TargetSeat::Viewer),
            ("gone", deactivated(), TargetSeat::Member),
            ("guest", user(Guest), TargetSeat::Member),
            ("unmanaged", UserState { managed_by_directory: false, ..user(Member) }, TargetSeat::Viewer),
        ]
    }

    #[test]
    fn preview_lists_each_change_with_its_reason_and_counts_up_and_downgrades() {
        let settings = di_on();
        let preview = preview_update_calls(population(), &ctx_in_use(&settings, 3));
        let listed: Vec<(&str, &str, &str, &str)> = preview
            .changes
            .iter()
            .map(|i| {
                (
                    i.user,
                    i.change.from.unwrap().describe(),
                    i.change.to.unwrap().describe(),
                    i.change.reason.code.as_str(),
                )
            })
            .collect();
        assert_eq!(
            listed,
            [
                ("m-down", "member", "viewer", "di_downgrade"),
                ("v-up", "viewer", "member", "di_upgrade"),
                ("pm-up", "provisional_member", "member", "di_upgrade"),
                ("na-back", "no_access", "viewer", "di_upgrade"),
            ]
        );
        assert_eq!((preview.downgrades, preview.upgrades), (1, 3));
        assert!(preview.seat_limited.is_empty());
        // Applying stores each item's state: the same as the update call would.
        for item in &preview.changes {
            assert_eq!(Some(item.state.snapshot()), item.change.to);
        }
    }

    #[test]
    fn di_enable_preview_is_computed_as_if_di_were_on() {
        let off = Settings::default();
        let preview = preview_update_calls(population(), &ctx(&off));
        assert_eq!((preview.downgrades, preview.upgrades), (1, 3));
    }

    #[test]
    fn preview_under_viewer_only_moves_nobody() {
        let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
        let preview = preview_update_calls(population(), &ctx(&settings));
        assert!(preview.changes.is_empty());
    }

    #[test]
    fn preview_frees_seats_by_downgrades_first_then_upgrades_take_them_in_order() {
        // Limit 3, 3 in use: "m-down" frees one, so "v-up" gets it and "pm-up" is seat-limited.
        let settings = Settings { member_seat_limit: Some(3), ..di_on() };
        let preview = preview_update_calls(population(), &ctx_in_use(&settings, 3));
        let users: Vec<&str> = preview.changes.iter().map(|i| i.user).collect();
        assert_eq!(users, ["m-down", "v-up", "na-back"]);
        assert_eq!(preview.seat_limited, ["pm-up"]);
        assert_eq!((preview.downgrades, preview.upgrades), (1, 2));
    }

    #[test]
    fn di_enable_needs_a_validated_domain() {
        let err = check_di_enable(0, 0, true).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::NoValidatedDomain, RefusalKind::Conflict));
        assert!(err.detail.contains("domain add"));
    }

    #[test]
    fn di_enable_is_refused_while_it_would_downgrade_members_unless_forced() {
        let err = check_di_enable(1, 2, false).unwrap_err();
        assert_eq!(err.rule, Rule::DiEnableWouldDowngrade);
        assert!(err.detail.contains("2 user(s)") && err.detail.contains("force"));
        assert!(check_di_enable(1, 2, true).is_ok());
        assert!(check_di_enable(1, 0, false).is_ok());
    }

    #[test]
    fn reconcile_applies_only_while_di_is_on() {
        assert_eq!(check_reconcile_apply(&Settings::default()).unwrap_err().rule, Rule::ReconcileNeedsDiOn);
        assert!(check_reconcile_apply(&di_on()).is_ok());
    }

    #[test]
    fn scim_create_must_be_on_a_validated_domain() {
        let settings = di_on();
        let domains = ["example.com", "Corp.Example.ORG."];
        let ok = |name: &str, email: Option<&str>| check_user_domain(name, email, &domains, &settings);
        assert!(ok("ann@example.com", None).is_ok());
        assert!(ok("ANN@EXAMPLE.COM", None).is_ok());
        assert!(ok("bob@corp.example.org", None).is_ok());
        assert!(ok("E12345", Some("bob@corp.example.org")).is_ok(), "userName not an address: primary email");
        let err = ok("ann@other.com", None).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::DomainNotValidated, RefusalKind::InvalidValue));
        assert!(
            err.detail.contains("\"other.com\"") && err.detail.contains("enforce_domains"),
            "{}",
            err.detail
        );
        assert!(ok("ann@sub.example.com", None).is_err(), "a subdomain is validated on its own");
        let err = ok("E12345", None).unwrap_err();
        assert!(err.detail.contains("not an email address"));
        let lab = Settings { enforce_domains: false, ..di_on() };
        assert!(check_user_domain("anything", None, &[] as &[&str], &lab).is_ok());
    }

    #[test]
    fn deprovision_guard_trips_past_max_within_the_window_until_reset() {
        let settings = Settings {
            deprovision_guard: crate::domain::seats::DeprovisionGuard { max: 3, window_minutes: 60 },
            ..di_on()
        };
        assert!(check_deprovision_guard(&settings, false, 2).is_ok(), "the third is allowed");
        let err = check_deprovision_guard(&settings, false, 3).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::DeprovisionGuardTripped, RefusalKind::TooManyRequests));
        assert!(err.detail.contains("reset"));
        assert!(check_deprovision_guard(&settings, true, 0).is_err(), "tripped stays tripped until reset");
    }

    #[test]
    fn unlicensed_scim_users_never_signed_in_and_in_no_group_are_pending() {
        let viewer = user(Viewer);
        assert!(is_pending(&viewer, PlanModel::UserModel, false));
        assert!(!is_pending(&viewer, PlanModel::UserModel, true), "in a group");
        assert!(!is_pending(
            &UserState { first_sign_in: Some(1), ..viewer.clone() },
            PlanModel::UserModel,
            false
        ));
        assert!(!is_pending(&user(Member), PlanModel::UserModel, false));
        assert!(!is_pending(&user(Guest), PlanModel::UserModel, false));
        assert!(is_pending(&legacy_user(false), PlanModel::Legacy, false));
        assert!(!is_pending(&legacy_user(true), PlanModel::Legacy, false));
    }

    // --- explain ---------------------------------------------------------------------------------------

    fn codes(e: &Explanation) -> Vec<Code> {
        e.reasons.iter().map(|r| r.code).collect()
    }

    fn explain_with(state: &UserState, values: &[&str], settings: &Settings, in_use: u64) -> Explanation {
        let table = RoleTable::default();
        let held = held_roles(&table, values, Vec::<String>::new(), None);
        explain(state, &held, &table, &ctx_in_use(settings, in_use))
    }

    #[test]
    fn explain_a_seat_equal_to_its_target_gives_no_reason() {
        let e = explain_with(&user(Member), &["LICENSED_USER"], &di_on(), 0);
        assert_eq!((e.target, e.would_change), (TargetSeat::Member, false));
        assert!(e.reasons.is_empty());
        assert_eq!(e.next, user(Member).snapshot());
    }

    #[test]
    fn explain_provisional_not_downgraded() {
        let e = explain_with(&user(ProvisionalMember), &[], &di_on(), 0);
        assert_eq!(codes(&e), [Code::ProvisionalNotDowngraded]);
        assert!(!e.would_change);
        assert!(e.reasons[0].detail.contains("becomes viewer"));
        let keep = Settings { provisional_on_expiry: OnExpiry::Keep, ..di_on() };
        assert!(explain_with(&user(ProvisionalMember), &[], &keep, 0).reasons[0].detail.contains("keep"));
    }

    #[test]
    fn explain_awaiting_update_call() {
        let e = explain_with(&user(Member), &["SMARTSHEET_USER"], &di_on(), 0);
        assert_eq!(codes(&e), [Code::AwaitingUpdateCall]);
        assert!(e.would_change);
        assert_eq!(e.next.seat, Some(Viewer));
    }

    #[test]
    fn explain_di_off() {
        let e = explain_with(&user(Viewer), &["LICENSED_USER"], &Settings::default(), 0);
        assert_eq!(codes(&e), [Code::DiOff, Code::AwaitingUpdateCall]);
        assert!(e.would_change, "what the first update call after DI is on would do");
    }

    #[test]
    fn explain_viewer_only() {
        let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
        let e = explain_with(&user(Viewer), &["LICENSED_USER"], &settings, 0);
        assert_eq!(codes(&e), [Code::ViewerOnly]);
        assert!(!e.would_change);
        let chosen = UserState { manual_seat: true, ..user(Member) };
        assert_eq!(codes(&explain_with(&chosen, &[], &settings, 0)), [Code::ViewerOnly, Code::ManualChange]);
    }

    #[test]
    fn explain_manual_change() {
        let chosen = UserState { manual_seat: true, ..user(NoAccess) };
        let e = explain_with(&chosen, &["LICENSED_USER"], &di_on(), 0);
        assert_eq!(codes(&e), [Code::ManualChange]);
        assert!(e.reasons[0].detail.contains("no_access") && e.reasons[0].detail.contains("member"));
    }

    #[test]
    fn explain_seat_limit() {
        let settings = Settings { member_seat_limit: Some(1), ..di_on() };
        let e = explain_with(&user(Viewer), &["LICENSED_USER"], &settings, 1);
        assert_eq!(codes(&e), [Code::SeatLimit]);
        assert!(!e.would_change);
        assert!(e.reasons[0].detail.contains("1 of 1"));
    }

    #[test]
    fn explain_deactivated_guest_and_not_managed() {
        let cases = [
            (deactivated(), Code::Deactivated),
            (user(Guest), Code::Guest),
            (UserState { managed_by_directory: false, ..user(Viewer) }, Code::NotManaged),
        ];
        for (state, code) in cases {
            let e = explain_with(&state, &["LICENSED_USER"], &di_on(), 0);
            assert_eq!(codes(&e), [code]);
            assert!(!e.would_change);
        }
        assert!(explain_with(&deactivated(), &[], &di_on(), 0).reasons[0].detail.contains("turn DI off"));
    }

    #[test]
    fn explain_legacy_plan() {
        let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
        let e = explain_with(&legacy_user(false), &["LICENSED_USER"], &settings, 0);
        assert_eq!(codes(&e), [Code::LegacyPlan, Code::AwaitingUpdateCall]);
        assert_eq!(e.next.describe(), "licensed");
        assert_eq!(
            codes(&explain_with(&legacy_user(true), &["GROUP_ADMIN"], &settings, 0)),
            [Code::LegacyPlan]
        );
    }

    #[test]
    fn explain_shows_unknown_roles() {
        let table = RoleTable::default();
        let held = held_roles(&table, ["JIRA_USER"], ["Smartsheet US Licensed User"], None);
        let settings = di_on();
        let e = explain(&user(Viewer), &held, &table, &ctx(&settings));
        assert_eq!(codes(&e), [Code::UnknownRole, Code::UnknownRole]);
        assert!(e.reasons[1].detail.contains("role_group_prefix"));
    }

    #[test]
    fn every_reason_code_has_its_spec_spelling() {
        let spelled: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        for code in [
            "provisional_not_downgraded",
            "awaiting_update_call",
            "di_off",
            "viewer_only",
            "manual_change",
            "seat_limit",
            "deactivated",
            "legacy_plan",
            "guest",
            "not_managed",
        ] {
            assert!(spelled.contains(&code), "{code}");
        }
    }

    // --- odds and ends -------------------------------------------------------------------------------

    #[test]
    fn snapshots_describe_seat_licence_or_status() {
        assert_eq!(user(NoAccess).snapshot().to_string(), "no_access");
        assert_eq!(legacy_user(true).snapshot().describe(), "licensed");
        assert_eq!(legacy_user(false).snapshot().describe(), "unlicensed");
        assert_eq!(deactivated().snapshot().describe(), "deactivated");
        assert_eq!(Viewer.label(BaseSeatLabel::Contributor), "Contributor");
    }
}
