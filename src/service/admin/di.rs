//! The Directory Integration switch: its state, turning it on behind a preview of the downgrades it
//! would cause, and turning it off.

use super::audit_plan_event;
use crate::domain::roles;
use crate::domain::rules::{self, Context, Preview};
use crate::error::Result;
use crate::service::plan::{Plan, Settings, member_seats_in_use};
use crate::service::seats::{self, Actor};
use crate::service::views::{ChangeItem, DiStatus, PreviewView};
use crate::store::users::{self, UserRow};
use crate::store::{self, Read, Store, domains, state};
use crate::util;

/// What the next update call of every directory-managed user would do, as if DI were on.
pub fn preview(db: &impl Read, plan: &Plan) -> Result<Preview<UserRow>> {
    preview_under(db, plan, &plan.settings)
}

/// What the next update call of every directory-managed user would do under `settings` (as if DI
/// were on): also the preview of a settings change. When `settings` switches the plan model, each
/// user is first mapped as the switch maps it.
pub fn preview_under(db: &impl Read, plan: &Plan, settings: &Settings) -> Result<Preview<UserRow>> {
    let mut on = settings.clone();
    on.di_enabled = true;
    let ctx =
        Context { settings: &on, member_seats_in_use: member_seats_in_use(db, &on)?, now: util::now_unix() };
    let switch = (settings.plan_model != plan.settings.plan_model).then_some(settings.plan_model);
    let mut input = Vec::new();
    users::each(db, |u| {
        let held = plan.held(db, &u)?;
        let target = roles::target_seat(&held, &plan.roles);
        let state = seats::state_of(&u);
        let state = match switch {
            Some(to) => rules::switch_plan_model(&state, to).state,
            None => state,
        };
        input.push((u, state, target));
        Ok(())
    })?;
    Ok(rules::preview_update_calls(input, &ctx))
}

/// The preview as the administrator sees it.
pub fn preview_view(preview: &Preview<UserRow>, applied: bool) -> PreviewView {
    PreviewView {
        changes: preview
            .changes
            .iter()
            .map(|item| ChangeItem {
                user_id: item.user.id.clone(),
                user_name: item.user.user_name.clone(),
                change: item.change.clone(),
            })
            .collect(),
        seat_limited: preview.seat_limited.iter().map(|u| (u.id.clone(), u.user_name.clone())).collect(),
        downgrades: preview.downgrades,
        upgrades: preview.upgrades,
        applied,
        enabled: None,
        untouched: None,
        hold: true,
    }
}

/// Plan users no IdP has touched yet: how many, and how many hold a member seat (or licence).
pub fn untouched_plan_users(db: &impl Read) -> Result<(usize, usize)> {
    let mut counts = (0, 0);
    users::each(db, |u| {
        let state = seats::state_of(&u);
        if state.is_active() && rules::is_untouched_plan_user(&state) {
            counts.0 += 1;
            if state.snapshot().holds_member_seat() {
                counts.1 += 1;
            }
        }
        Ok(())
    })?;
    Ok(counts)
}

pub fn status(db: &impl Read) -> Result<DiStatus> {
    let plan = Plan::load(db)?;
    Ok(DiStatus {
        enabled: plan.settings.di_enabled,
        changed_at: state::get(db)?.di_changed_at,
        validated_domains: domains::verified(db)?,
    })
}

fn set_enabled(tx: &store::WriteTx<'_>, on: bool) -> Result<()> {
    store::settings::set(
        tx,
        crate::domain::seats::SettingKey::DiEnabled,
        &crate::domain::seats::SettingValue::Bool(on),
    )?;
    state::set_di_changed(tx, &util::now_rfc3339())
}

pub fn enable(store: &Store, actor: &Actor, force: bool, dry_run: bool) -> Result<PreviewView> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let preview = preview(tx, &plan)?;
        let mut view = preview_view(&preview, false);
        view.untouched = Some(untouched_plan_users(tx)?);
        view.hold = plan.settings.match_downgrade == crate::domain::seats::MatchDowngrade::Hold;
        if dry_run || plan.settings.di_enabled {
            view.enabled = Some(plan.settings.di_enabled);
            return Ok(view);
        }
        let validated = domains::verified(tx)?.len();
        if let Err(r) = rules::check_di_enable(validated, preview.downgrades, force) {
            return Err(seats::refusal(r).with_extra(crate::service::views::View::json(&view)));
        }
        set_enabled(tx, true)?;
        audit_plan_event(
            tx,
            actor,
            "di_enabled",
            format!(
                "Directory Integration turned on{}; next update calls: {} downgrade(s), {} upgrade(s)",
                if force { " (forced)" } else { "" },
                preview.downgrades,
                preview.upgrades
            ),
        )?;
        view.applied = true;
        view.enabled = Some(true);
        Ok(view)
    })
}

pub fn disable(store: &Store, actor: &Actor) -> Result<DiStatus> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        if plan.settings.di_enabled {
            set_enabled(tx, false)?;
            audit_plan_event(tx, actor, "di_disabled", "Directory Integration turned off".into())?;
        }
        status(tx)
    })
}
