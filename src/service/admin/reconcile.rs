//! Whole-plan runs of the rules: reconcile (the group logic applied to existing users, a dry run
//! unless applied) and the provisional review sweep.

use super::di::{Listed, Previewing, preview, preview_passes, preview_view};
use crate::domain::rules::{self, Change, Preview, PreviewItem, PreviewPass, Step};
use crate::error::Result;
use crate::service::plan::Plan;
use crate::service::progress::Progress;
use crate::service::seats::{self, Actor};
use crate::service::views::{ChangeItem, PreviewView, SweepView};
use crate::store::{Store, users};
use crate::util;

/// Reconcile: a dry run reads the preview outside the writer. Applying walks the plan a batch of
/// users at a time, each batch in a write transaction of its own that re-reads its users, so SCIM
/// writes wait for one batch at most. Batches are committed as they go: if one fails, the ones
/// before it stay applied (the answer says how many changes), and running reconcile again applies
/// the rest, since an applied change is no longer a difference.
pub fn reconcile(store: &Store, actor: &Actor, dry_run: bool) -> Result<PreviewView> {
    let reader = store.reader()?;
    let plan = Plan::load(&reader)?;
    let passes = preview_passes(&plan.settings);
    if dry_run {
        let mut progress = Progress::start(&reader, "reconcile_preview", passes)?;
        return Ok(preview_view(&preview(&reader, &plan, &mut progress)?, false));
    }
    rules::check_reconcile_apply(&plan.settings).map_err(seats::refusal)?;
    let mut progress = Progress::start(&reader, "reconcile", passes)?;
    let previewing = Previewing::new(&reader, &plan, &plan.settings)?;
    let ctx = previewing.context();
    let mut pass = PreviewPass::new(&ctx, previewing.freed(&reader, &plan, &mut progress)?);
    let mut done = Preview::default();
    let mut after = None;
    loop {
        let applied = done.changed;
        let read = store
            .write(|tx| {
                let batch = users::next_batch(tx, &mut after)?;
                let read = batch.len();
                for mut u in batch {
                    let (state, target) = previewing.user(tx, &plan, &u)?;
                    match pass.step(&state, target) {
                        Step::Unchanged => {}
                        Step::SeatLimited => done.record_seat_limited(Listed { id: u.id, user_name: u.user_name }),
                        Step::Change(change, state) => {
                            let outcome =
                                rules::Outcome { state: state.clone(), change: Some(reconciled(&change)), events: vec![] };
                            seats::apply(tx, actor, &mut u, &outcome)?;
                            u.version += 1;
                            u.last_modified = util::now_rfc3339_secs();
                            users::update(tx, &u)?;
                            let user = Listed { id: u.id, user_name: u.user_name };
                            done.record_change(PreviewItem { user, change, state });
                        }
                    }
                }
                Ok(read)
            })
            .map_err(|mut e| {
                if applied > 0 {
                    e.detail = format!(
                        "{}; reconcile had applied {applied} change(s) in earlier batches, which stay applied: run it \
                         again to apply the rest",
                        e.detail
                    );
                }
                e
            })?;
        // Counted after the batch's commit: the writer is not held for the progress log.
        progress.advance(read);
        if read < users::BATCH {
            break;
        }
    }
    done.finish(&pass);
    Ok(preview_view(&done, true))
}

fn reconciled(change: &Change) -> Change {
    let mut c = change.clone();
    c.reason.detail = format!("reconcile: {}", c.reason.detail);
    c
}

/// The provisional review expiry for every provisional member (the sweep), a batch of provisional
/// members at a time, each batch in a write transaction of its own (SCIM writes wait for one batch at
/// most). A batch that fails leaves the earlier ones applied; the next sweep does the rest. The
/// answer lists the first [`rules::PREVIEW_LISTED`] changes and counts them all.
pub fn sweep(store: &Store, actor: &Actor) -> Result<SweepView> {
    let (mut changes, mut changed) = (Vec::new(), 0);
    let mut after = None;
    loop {
        let more = store.write(|tx| {
            let plan = Plan::load(tx)?;
            let ctx = plan.context(tx)?;
            let batch = users::provisional_batch(tx, after, users::BATCH)?;
            let full = batch.len() == users::BATCH;
            for mut u in batch {
                after = Some(u.seq);
                let outcome = rules::review_expiry(&seats::state_of(&u), &ctx);
                if let Some(change) = &outcome.change {
                    rules::list_first(&mut changes, &mut changed, || ChangeItem {
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
            Ok(full)
        })?;
        if !more {
            return Ok(SweepView { changes, changed });
        }
    }
}
