//! Plan settings: read them, and change several at once (all or none), each typed end to end.

use super::audit_plan_event;
use crate::domain::rules;
use crate::domain::seats::{FollowUp, SettingKey, SettingValue};
use crate::error::{Error, Result};
use crate::service::plan::Plan;
use crate::service::seats::{self, Actor};
use crate::service::views::SettingsView;
use crate::store::{self, Read, Store, users};

pub fn get(db: &impl Read) -> Result<SettingsView> {
    Ok(SettingsView { settings: Plan::load(db)?.settings })
}

/// Changes settings, all or none; runs the one-time plan-model mapping when plan_model switches.
/// Keys are read ignoring case; a value of the wrong type is refused naming the key and the type.
pub fn set(store: &Store, actor: &Actor, changes: &[(String, SettingValue)]) -> Result<SettingsView> {
    store.write(|tx| {
        let mut plan = Plan::load(tx)?;
        for (key, value) in changes {
            let refused = |e: crate::domain::seats::SettingError| {
                Error::invalid_value(e.to_string()).with_code(e.code())
            };
            let key = SettingKey::parse(key).ok_or_else(|| {
                refused(crate::domain::seats::SettingError::UnknownKey { key: key.clone() })
            })?;
            let change = plan.settings.set_value(key, value.clone()).map_err(refused)?;
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
                for mut u in users::all(tx)? {
                    let outcome = rules::switch_plan_model(&seats::state_of(&u), to);
                    if outcome.change.is_some() {
                        seats::apply(tx, actor, &mut u, &outcome)?;
                        users::update(tx, &u)?;
                    }
                }
            }
        }
        Ok(SettingsView { settings: plan.settings })
    })
}
