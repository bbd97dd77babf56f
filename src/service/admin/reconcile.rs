//! Whole-plan runs of the rules: reconcile (the group logic applied to existing users, a dry run
//! unless applied) and the provisional review sweep.

use super::di::{preview, preview_view};
use crate::domain::rules::{self, Change};
use crate::error::Result;
use crate::service::plan::Plan;
use crate::service::seats::{self, Actor};
use crate::service::views::{ChangeItem, PreviewView, SweepView};
use crate::store::{Store, users};
use crate::util;

pub fn reconcile(store: &Store, actor: &Actor, dry_run: bool) -> Result<PreviewView> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let preview = preview(tx, &plan)?;
        if dry_run {
            return Ok(preview_view(&preview, false));
        }
        rules::check_reconcile_apply(&plan.settings).map_err(seats::refusal)?;
        for item in &preview.changes {
            let mut u = item.user.clone();
            let outcome = rules::Outcome {
                state: item.state.clone(),
                change: Some(reconciled(&item.change)),
                events: vec![],
            };
            seats::apply(tx, actor, &mut u, &outcome)?;
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
            users::update(tx, &u)?;
        }
        Ok(preview_view(&preview, true))
    })
}

fn reconciled(change: &Change) -> Change {
    let mut c = change.clone();
    c.reason.detail = format!("reconcile: {}", c.reason.detail);
    c
}

/// The provisional review expiry for every provisional member (the sweep).
pub fn sweep(store: &Store, actor: &Actor) -> Result<SweepView> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let ctx = plan.context(tx)?;
        let mut changes = Vec::new();
        for mut u in users::provisional(tx)? {
            let outcome = rules::review_expiry(&seats::state_of(&u), &ctx);
            if let Some(change) = &outcome.change {
                changes.push(ChangeItem {
                    user_id: u.id.clone(),
                    user_name: u.user_name.clone(),
                    change: change.clone(),
                });
                seats::apply(tx, actor, &mut u, &outcome)?;
                u.version += 1;
                u.last_modified = util::now_rfc3339_secs();
                users::update(tx, &u)?;
            }
        }
        Ok(SweepView { changes })
    })
}
