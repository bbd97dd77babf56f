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
