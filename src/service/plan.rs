//! The customer's plan as the seat rules need it: its settings and its role table, read in one
//! place, plus the checks every SCIM write makes against it.

use crate::domain::roles::{self, HeldRole, RoleTable};
use crate::domain::rules::{self, Context};
use crate::error::{Error, Result};
use crate::scim::resource;
use crate::store::{self, Read, domains, users::UserRow};
use crate::util;

pub use crate::domain::seats::Settings;

pub struct Plan {
    pub settings: Settings,
    pub roles: RoleTable,
}

impl Plan {
    pub fn load(db: &impl Read) -> Result<Plan> {
        Ok(Plan {
            settings: store::settings::settings(db)?,
            roles: store::settings::role_table(db)?.unwrap_or_default(),
        })
    }

    /// SCIM writes are refused with 403 while DI is off (reads work).
    pub fn require_scim_writes(&self) -> Result<()> {
        if self.settings.di_enabled {
            Ok(())
        } else {
            Err(Error::forbidden(
                "di_off",
                "Directory Integration is off, so SCIM changes are refused and nothing was changed: a plan \
                 administrator turns it on with POST /admin/di/enable or `scim-seat di enable`",
            ))
        }
    }

    /// A SCIM user must be on a validated domain (unless enforce_domains is off).
    pub fn check_domain(&self, db: &impl Read, u: &UserRow) -> Result<()> {
        let domains = domains::verified(db)?;
        rules::check_user_domain(&u.user_name, u.primary_email.as_deref(), &domains, &self.settings)
            .map_err(super::seats::refusal)
    }

    /// The facts the rules weigh besides the user: settings, member seats in use, the time.
    pub fn context(&self, db: &impl Read) -> Result<Context<'_>> {
        Ok(Context {
            settings: &self.settings,
            member_seats_in_use: member_seats_in_use(db, &self.settings)?,
            now: util::now_unix(),
        })
    }

    /// The roles a user holds, given the display names of its groups.
    pub fn held_in<S: AsRef<str>>(&self, u: &UserRow, group_names: &[S]) -> Vec<HeldRole> {
        roles::held_roles(
            &self.roles,
            resource::role_values(&u.doc),
            group_names.iter().map(AsRef::as_ref),
            self.settings.role_group_prefix.as_deref(),
        )
    }

    /// The roles a user holds: its `roles` attribute and the groups it is in.
    pub fn held(&self, db: &impl Read, u: &UserRow) -> Result<Vec<HeldRole>> {
        let groups: Vec<String> =
            store::groups::of_user(db, u.seq)?.into_iter().map(|(_, name)| name).collect();
        Ok(self.held_in(u, &groups))
    }
}

/// The member seats in use, counted only when `member_seat_limit` is set: the rules read the count
/// against the limit alone, so without one every write is spared the count.
pub fn member_seats_in_use(db: &impl Read, settings: &Settings) -> Result<u64> {
    match settings.member_seat_limit {
        Some(_) => store::users::members_in_use(db),
        None => Ok(0),
    }
}
