//! What every user's next update call would do, without doing it.
//!
//! Owns [`Preview`] and [`preview_update_calls`], which the DI-enable preview and reconcile (dry run
//! and apply) share: the update-call rules run for each user as if DI were on, with
//! `member_seat_limit` shared out across the whole population. The guards that decide whether DI may
//! be turned on or reconcile applied are in `checks`.

use super::outcome::Change;
use super::state::{Context, UserState};
use super::update_call::update_call;
use crate::domain::seats::{Settings, TargetSeat};

/// One user's change in a preview, and the state to store when it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewItem<K> {
    pub user: K,
    pub change: Change,
    pub state: UserState,
}

/// Most users a preview lists of each kind (changes, seat-limited): a preview of a whole plan stays
/// a bounded answer; its counts are of every user.
pub const PREVIEW_LISTED: usize = 1_000;

/// What the next update call of each user would do (DI-enable preview, reconcile): the first
/// [`PREVIEW_LISTED`] users of each kind, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview<K> {
    /// Users whose seat, licence or status would change, in input order (the first ones).
    pub changes: Vec<PreviewItem<K>>,
    /// Users whose upgrade to member `member_seat_limit` would block (the first ones).
    pub seat_limited: Vec<K>,
    /// How many users would change, listed or not.
    pub changed: usize,
    /// How many upgrades the seat limit blocks, listed or not.
    pub limited: usize,
    pub downgrades: usize,
    pub upgrades: usize,
}

impl<K> Default for Preview<K> {
    fn default() -> Preview<K> {
        Preview {
            changes: Vec::new(),
            seat_limited: Vec::new(),
            changed: 0,
            limited: 0,
            downgrades: 0,
            upgrades: 0,
        }
    }
}

/// Counts one more in `total` and keeps the item `make` makes in `list` while the list holds fewer
/// than [`PREVIEW_LISTED`]: how every whole-plan answer (previews, reconcile, the sweep) lists its
/// first items and counts them all.
pub fn list_first<T>(list: &mut Vec<T>, total: &mut usize, make: impl FnOnce() -> T) {
    *total += 1;
    if list.len() < PREVIEW_LISTED {
        list.push(make());
    }
}

impl<K> Preview<K> {
    /// Counts a change, listing it while the list has room.
    pub fn record_change(&mut self, item: PreviewItem<K>) {
        list_first(&mut self.changes, &mut self.changed, || item);
    }

    /// Counts an upgrade the seat limit blocks, listing the user while the list has room.
    pub fn record_seat_limited(&mut self, user: K) {
        list_first(&mut self.seat_limited, &mut self.limited, || user);
    }

    /// Takes the pass's counts of downgrades and upgrades once every user is stepped.
    pub fn finish(&mut self, pass: &PreviewPass<'_>) {
        self.downgrades = pass.downgrades;
        self.upgrades = pass.upgrades;
    }
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
    let users: Vec<(K, UserState, TargetSeat)> = users.into_iter().collect();
    let freed = users.iter().filter(|(_, state, target)| frees_member_seat(state, *target, ctx)).count();
    let mut pass = PreviewPass::new(ctx, freed);
    let mut preview = Preview::default();
    for (user, state, target) in users {
        match pass.step(&state, target) {
            Step::Unchanged => {}
            Step::SeatLimited => preview.record_seat_limited(user),
            Step::Change(change, state) => preview.record_change(PreviewItem { user, change, state }),
        }
    }
    preview.finish(&pass);
    preview
}

/// The first of the preview's two passes, a user at a time: whether the user's next update call
/// would free a member seat (seat limit aside). Only a plan with `member_seat_limit` needs it.
pub fn frees_member_seat(state: &UserState, target: TargetSeat, ctx: &Context) -> bool {
    let unlimited = Settings { member_seat_limit: None, ..ctx.settings.clone() };
    let unlimited_ctx = Context { settings: &unlimited, ..*ctx };
    update_call(state, target, &unlimited_ctx).change.is_some_and(|c| c.frees_member_seat())
}

/// The second pass of the preview, a user at a time in order, so a whole plan is previewed (or
/// reconciled) a batch at a time: upgrades take the member seats the first pass found free.
pub struct PreviewPass<'a> {
    ctx: Context<'a>,
    unlimited: Settings,
    in_use: u64,
    pub downgrades: usize,
    pub upgrades: usize,
}

/// One user's place in a preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Unchanged,
    /// Its upgrade to member is blocked by `member_seat_limit`; it keeps its seat.
    SeatLimited,
    /// The change, and the state to store when it is applied.
    Change(Change, UserState),
}

impl<'a> PreviewPass<'a> {
    /// `freed`: how many users [`frees_member_seat`] found (0 is right when there is no limit).
    pub fn new(ctx: &Context<'a>, freed: usize) -> PreviewPass<'a> {
        let in_use = ctx.member_seats_in_use.saturating_sub(u64::try_from(freed).unwrap_or(u64::MAX));
        let unlimited = Settings { member_seat_limit: None, ..ctx.settings.clone() };
        PreviewPass { ctx: *ctx, unlimited, in_use, downgrades: 0, upgrades: 0 }
    }

    pub fn step(&mut self, state: &UserState, target: TargetSeat) -> Step {
        let unlimited_ctx = Context { settings: &self.unlimited, ..self.ctx };
        if update_call(state, target, &unlimited_ctx).change.is_none() {
            return Step::Unchanged;
        }
        let outcome = update_call(state, target, &Context { member_seats_in_use: self.in_use, ..self.ctx });
        if outcome.hit_seat_limit() {
            return Step::SeatLimited;
        }
        let Some(change) = outcome.change else { return Step::Unchanged };
        if change.takes_member_seat() {
            self.in_use = self.in_use.saturating_add(1);
        }
        self.downgrades += usize::from(change.is_downgrade());
        self.upgrades += usize::from(change.is_upgrade());
        Step::Change(change, outcome.state)
    }
}
