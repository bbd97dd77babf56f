//! The Directory Integration switch: its state, turning it on behind a preview of the downgrades it
//! would cause, and turning it off.

use super::audit_plan_event;
use crate::domain::roles;
use crate::domain::rules::{self, Context, Preview, PreviewItem, PreviewPass, Step, UserState};
use crate::domain::seats::TargetSeat;
use crate::error::Result;
use crate::service::plan::{Plan, Settings, member_seats_in_use};
use crate::service::progress::{self, Progress};
use crate::service::seats::{self, Actor};
use crate::service::views::{ChangeItem, DiStatus, PreviewView};
use crate::store::users::UserRow;
use crate::store::{self, Read, Store, domains, state};
use crate::util;

/// A user as a preview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub id: String,
    pub user_name: String,
}

impl Listed {
    fn of(u: &UserRow) -> Listed {
        Listed { id: u.id.clone(), user_name: u.user_name.clone() }
    }
}

/// What the next update call of every directory-managed user would do, as if DI were on.
pub fn preview(db: &impl Read, plan: &Plan, progress: &mut Progress) -> Result<Preview<Listed>> {
    preview_under(db, plan, &plan.settings, progress)
}

/// How many times a preview under `settings` reads the plan's users: once, and once more first
/// when a member seat limit asks how many seats the changes free.
pub fn preview_passes(settings: &Settings) -> u64 {
    1 + u64::from(settings.member_seat_limit.is_some())
}

/// The rules' view of the plan for a preview under `settings` (as if DI were on), and how to see
/// each user as the preview does. When `settings` switches the plan model, each user is first mapped
/// as the switch maps it.
pub struct Previewing {
    on: Settings,
    switch: Option<crate::domain::seats::PlanModel>,
    member_seats_in_use: u64,
    now: i64,
}

impl Previewing {
    pub fn new(db: &impl Read, plan: &Plan, settings: &Settings) -> Result<Previewing> {
        let mut on = settings.clone();
        on.di_enabled = true;
        Ok(Previewing {
            member_seats_in_use: member_seats_in_use(db, &on)?,
            switch: (settings.plan_model != plan.settings.plan_model).then_some(settings.plan_model),
            now: util::now_unix(),
            on,
        })
    }

    pub fn context(&self) -> Context<'_> {
        Context { settings: &self.on, member_seats_in_use: self.member_seats_in_use, now: self.now }
    }

    /// The user's state as the preview sees it, and the seat its roles ask for.
    pub fn user(&self, db: &impl Read, plan: &Plan, u: &UserRow) -> Result<(UserState, TargetSeat)> {
        let held = plan.held(db, u)?;
        let target = roles::target_seat(&held, &plan.roles);
        let state = seats::state_of(u);
        let state = match self.switch {
            Some(to) => rules::switch_plan_model(&state, to).state,
            None => state,
        };
        Ok((state, target))
    }

    /// The preview's first pass: how many member seats the changes free (only needed, and only
    /// read, when the plan has a member seat limit).
    pub fn freed(&self, db: &impl Read, plan: &Plan, progress: &mut Progress) -> Result<usize> {
        if self.on.member_seat_limit.is_none() {
            return Ok(0);
        }
        let ctx = self.context();
        let mut freed = 0;
        progress::each(db, progress, |u| {
            let (state, target) = self.user(db, plan, &u)?;
            freed += usize::from(rules::frees_member_seat(&state, target, &ctx));
            Ok(())
        })?;
        Ok(freed)
    }
}

/// What the next update call of every directory-managed user would do under `settings`: also the
/// preview of a settings change. Read a batch of users at a time; what it keeps is the first
/// [`rules::PREVIEW_LISTED`] users that would change (their id and userName) and the counts, so its
/// memory is bounded whatever the plan's size.
pub fn preview_under(
    db: &impl Read,
    plan: &Plan,
    settings: &Settings,
    progress: &mut Progress,
) -> Result<Preview<Listed>> {
    let previewing = Previewing::new(db, plan, settings)?;
    let ctx = previewing.context();
    let mut pass = PreviewPass::new(&ctx, previewing.freed(db, plan, progress)?);
    let mut preview = Preview::default();
    progress::each(db, progress, |u| {
        let (state, target) = previewing.user(db, plan, &u)?;
        match pass.step(&state, target) {
            Step::Unchanged => {}
            Step::SeatLimited => preview.record_seat_limited(Listed::of(&u)),
            Step::Change(change, state) => {
                preview.record_change(PreviewItem { user: Listed::of(&u), change, state })
            }
        }
        Ok(())
    })?;
    preview.finish(&pass);
    Ok(preview)
}

/// The preview as the administrator sees it.
pub fn preview_view(preview: &Preview<Listed>, applied: bool) -> PreviewView {
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
        changed: preview.changed,
        limited: preview.limited,
        downgrades: preview.downgrades,
        upgrades: preview.upgrades,
        applied,
        enabled: None,
        untouched: None,
        hold: true,
    }
}

/// Plan users no IdP has touched yet: how many, and how many hold a member seat (or licence).
pub fn untouched_plan_users(db: &impl Read, progress: &mut Progress) -> Result<(usize, usize)> {
    let mut counts = (0, 0);
    progress::each(db, progress, |u| {
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

/// Turns DI on behind its preview. The preview is read outside the writer (a whole-plan read must
/// not hold SCIM writes back), then the switch is made in one short write that checks again that
/// DI is still off; the preview is as of the moment the request began.
pub fn enable(store: &Store, actor: &Actor, force: bool, dry_run: bool) -> Result<PreviewView> {
    let reader = store.reader()?;
    let plan = Plan::load(&reader)?;
    let mut progress = Progress::start(&reader, "di_enable_preview", preview_passes(&plan.settings) + 1)?;
    let preview = preview(&reader, &plan, &mut progress)?;
    let mut view = preview_view(&preview, false);
    view.untouched = Some(untouched_plan_users(&reader, &mut progress)?);
    drop(progress);
    view.hold = plan.settings.match_downgrade == crate::domain::seats::MatchDowngrade::Hold;
    if dry_run || plan.settings.di_enabled {
        view.enabled = Some(plan.settings.di_enabled);
        return Ok(view);
    }
    store.write(|tx| {
        if Plan::load(tx)?.settings.di_enabled {
            view.enabled = Some(true);
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
