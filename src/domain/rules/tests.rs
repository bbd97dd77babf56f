//! Unit tests of the seat rules, split by concern like the rules themselves; this file holds the
//! fixtures they share (a plan with DI on, users on each seat, targets from role values).

use super::*;
use crate::domain::roles::{RoleTable, held_roles, target_seat};
use crate::domain::seats::{
    BaseSeatLabel, Deprovision, OnExpiry, PlanModel, ScimReactivation, Seat, SeatMapping, Settings, Status,
    TargetSeat,
};
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

fn codes(e: &Explanation) -> Vec<Code> {
    e.reasons.iter().map(|r| r.code).collect()
}

mod admin_seat;
mod checks;
mod explain;
mod lifecycle;
mod preview;
mod state;
mod system;
mod update_call;
