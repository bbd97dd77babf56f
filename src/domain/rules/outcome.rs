//! What a step returns: a change with its reason, or a refusal with its rule.
//!
//! Owns the reason codes ([`Code`]) and [`Reason`], one audited [`Change`] of seat or status, the
//! [`Outcome`] of a step (new state, at most one change, recorded events), and the refusals: the rule
//! that forbids a step ([`Rule`]), how the service answers it ([`RefusalKind`]) and [`Refusal`], plus
//! the refusals several steps share (DI off, guests). It does not map refusals to HTTP; `service`
//! does.

use super::state::{Snapshot, UserState};
use crate::domain::seats::Settings;
use std::fmt;

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
        /// A plan user added by an administrator (not through SCIM).
        UserAdded = "user_added",
        /// The IdP's first write over a plan user: from now on DI manages it.
        TakenOver = "taken_over",
        /// The IdP's first write over a plan user asked for a lower seat; match_downgrade = hold kept it.
        DowngradeHeld = "downgrade_held",
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
    pub(super) fn new(code: Code, detail: impl Into<String>) -> Reason {
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
    pub(super) fn unchanged(state: &UserState) -> Outcome {
        Outcome { state: state.clone(), change: None, events: Vec::new() }
    }

    /// From `before` to `after`; a change is reported only when the audited part differs.
    pub(super) fn step(
        before: &UserState,
        after: UserState,
        code: Code,
        detail: impl Into<String>,
    ) -> Outcome {
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
    pub(super) fn new(rule: Rule, kind: RefusalKind, detail: impl Into<String>) -> Refusal {
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

// The refusals several steps share.

fn refuse_di_off() -> Refusal {
    Refusal::new(
        Rule::DiOff,
        RefusalKind::Forbidden,
        "Directory Integration is off: SCIM writes are refused and change nothing. Turn DI on \
         (POST /admin/di/enable or `scim-seat di enable`) to provision through SCIM",
    )
}

pub(super) fn refuse_guest() -> Refusal {
    Refusal::new(
        Rule::GuestAdminOnly,
        RefusalKind::Conflict,
        "guests are not in the IdP: they are created and removed only through /admin/guests, and their \
         seat does not change; to give this person a regular seat, remove the guest and provision the \
         user through the IdP",
    )
}

pub(super) fn require_di_on(settings: &Settings) -> Result<(), Refusal> {
    if settings.di_enabled { Ok(()) } else { Err(refuse_di_off()) }
}
