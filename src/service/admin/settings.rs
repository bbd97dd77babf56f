//! Plan settings: read them, and change several at once (all or none), each typed end to end.

use super::audit_plan_event;
use super::di;
use crate::domain::rules;
use crate::domain::seats::{FollowUp, SettingError, SettingKey, SettingValue};
use crate::error::{Error, Result};
use crate::service::plan::Plan;
use crate::service::progress::Progress;
use crate::service::seats::{self, Actor};
use crate::service::views::{PreviewView, SettingsView, View};
use crate::store::{self, Read, Store, users};

pub fn get(db: &impl Read) -> Result<SettingsView> {
    Ok(SettingsView { settings: Plan::load(db)?.settings })
}

/// What a settings change answered: the settings after it, or (a dry run) the preview only.
pub enum Changed {
    Settings(SettingsView),
    Preview(PreviewView),
}

/// Changes settings, all or none; runs the one-time plan-model mapping when plan_model switches.
/// Keys are read ignoring case; a value of the wrong type is refused naming the key and the type.
///
/// The dangerous switches, `seat_mapping` and `plan_model`, are guarded like turning DI on: the
/// change is refused (409, with every user whose seat would change at its next update call) unless
/// `force`; `dry_run` only reports that preview and changes nothing.
pub fn set(
    store: &Store,
    actor: &Actor,
    changes: &[(String, SettingValue)],
    force: bool,
    dry_run: bool,
) -> Result<Changed> {
    let refused = |e: SettingError| Error::invalid_value(e.to_string()).with_code(e.code());
    let parse = |plan: &Plan| -> Result<(crate::service::plan::Settings, Vec<(SettingKey, SettingValue)>)> {
        let mut next = plan.settings.clone();
        let mut parsed = Vec::new();
        for (key, value) in changes {
            let key = SettingKey::parse(key)
                .ok_or_else(|| refused(SettingError::UnknownKey { key: key.clone() }))?;
            next.set_value(key, value.clone()).map_err(refused)?;
            parsed.push((key, value.clone()));
        }
        Ok((next, parsed))
    };
    let guarded = |plan: &Plan, next: &crate::service::plan::Settings| {
        next.seat_mapping != plan.settings.seat_mapping || next.plan_model != plan.settings.plan_model
    };
    // The preview of a guarded change is read outside the writer (a whole-plan read must not hold
    // SCIM writes back); the change is then made in one write that checks the settings are still
    // those the preview was read under.
    let reader = store.reader()?;
    let before = Plan::load(&reader)?;
    let (next, _) = parse(&before)?;
    let preview = if guarded(&before, &next) {
        let mut progress = Progress::start(&reader, "settings_preview", di::preview_passes(&next))?;
        Some(di::preview_under(&reader, &before, &next, &mut progress)?)
    } else {
        None
    };
    drop(reader);
    if dry_run {
        return Ok(Changed::Preview(di::preview_view(&preview.unwrap_or_default(), false)));
    }
    if let Some(preview) = preview.as_ref().filter(|p| !force && p.changed > 0) {
        let view = di::preview_view(preview, false);
        return Err(Error::conflict(
            "settings_change_would_move_seats",
            format!(
                "this change of seat_mapping or plan_model would change {} user(s)' seats at their next update call \
                 ({} downgrade(s), {} upgrade(s)); nothing was changed. Review the list, then send it again with \
                 ?force=true (CLI: --force), or preview with ?dry_run=true",
                preview.changed,
                preview.downgrades,
                preview.upgrades
            ),
        )
        .with_extra(view.json()));
    }
    store.write(|tx| {
        let mut plan = Plan::load(tx)?;
        if preview.is_some() && plan.settings != before.settings {
            return Err(Error::conflict(
                "settings_changed_meanwhile",
                "the plan's settings changed while this change's preview was read; nothing was changed: send it again",
            ));
        }
        let (_, parsed) = parse(&plan)?;
        for (key, value) in parsed {
            let change = plan.settings.set_value(key, value).map_err(refused)?;
            if !change.changed() {
                continue;
            }
            store::settings::set(tx, key, &plan.settings.value(key))?;
            audit_plan_event(
                tx,
                actor,
                "setting_changed",
                format!("{}: {} -> {}", change.key.as_str(), change.before, change.after),
            )?;
            if let Some(FollowUp::MapUsersToPlanModel(to)) = change.follow_up {
                // One transaction (the mapping is atomic with the switch), reading and writing the
                // seat columns alone, a batch of users at a time.
                let mut progress = Progress::start(tx, "plan_model_switch", 1)?;
                let mut after = None;
                loop {
                    let batch = users::state_batch(tx, &mut after)?;
                    for (id, state) in &batch {
                        let outcome = rules::switch_plan_model(state, to);
                        if outcome.change.is_some() {
                            seats::apply_seat(tx, actor, id, state, &outcome)?;
                        }
                    }
                    progress.advance(batch.len());
                    if batch.len() < users::BATCH {
                        break;
                    }
                }
            }
        }
        Ok(Changed::Settings(SettingsView { settings: plan.settings }))
    })
}
