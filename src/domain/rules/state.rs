//! A user's state as the rules see it, and the plan around it.
//!
//! Owns [`UserState`] (what the store keeps about a user's seat and status, taken and returned by
//! every step), [`Snapshot`] (the part the audit log shows before and after, with its ranking of
//! access levels) and [`Context`] (the plan's settings, the member seats in use and the time of a
//! step). It does not decide any transition; those are in the sibling files.

use crate::domain::seats::{PlanModel, Seat, Settings, Status};
use std::fmt;

/// Seconds in a day, for review periods.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// What the rules need to know about one user. The store keeps these fields; every step of the
/// rules takes one and returns the next.
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
    pub(super) fn fresh_scim_user(model: PlanModel) -> UserState {
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
    pub(super) fn put_seat(&mut self, seat: Seat) {
        if seat != Seat::ProvisionalMember {
            self.provisional_until = None;
        }
        self.seat = Some(seat);
        self.licensed = seat == Seat::Member;
    }

    /// Deactivated: no seat, no licence, no review period, no manual choice left.
    pub fn deactivated(&self) -> UserState {
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
    pub(super) fn rank(&self) -> u8 {
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
