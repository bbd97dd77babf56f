//! The deprovision guard: its status and an administrator's reset.

use super::audit_plan_event;
use crate::error::Result;
use crate::service::plan::Plan;
use crate::service::seats::{self, Actor};
use crate::service::views::GuardView;
use crate::store::{Read, Store, state};
use crate::util;

pub fn status(db: &impl Read) -> Result<GuardView> {
    let plan = Plan::load(db)?;
    let status = seats::guard_status(db, &plan, util::now_unix())?;
    Ok(GuardView {
        tripped: status.tripped,
        deprovisions_in_window: status.in_window,
        max: plan.settings.deprovision_guard.max,
        window_minutes: plan.settings.deprovision_guard.window_minutes,
        last_reset: status.last_reset,
    })
}

pub fn reset(store: &Store, actor: &Actor) -> Result<GuardView> {
    store.write(|tx| {
        state::reset_guard(tx, util::now_unix())?;
        audit_plan_event(
            tx,
            actor,
            "deprovision_guard_reset",
            "deprovision guard reset by an administrator".into(),
        )?;
        status(tx)
    })
}
