//! Reports: the user list CSV (Admin Center's "User List"), one line per user.

use super::users::email_of;
use crate::base::csv;
use crate::domain::seats::{PlanModel, Seat, Status};
use crate::error::Result;
use crate::scim::resource::user_profile;
use crate::service::plan::Plan;
use crate::service::views::{DriftItem, DriftReport};
use crate::store::{Read, users};

/// The columns of the user list, in order: what `report users` writes and `users import` reads.
pub const USER_LIST_COLUMNS: [&str; 10] = [
    "Name",
    "Email",
    "Status",
    "Seat type",
    "Roles",
    "Managed by DI",
    "Division",
    "Department",
    "Cost Center",
    "Last updated",
];

pub fn users_csv(db: &impl Read) -> Result<String> {
    let plan = Plan::load(db)?;
    let mut out = USER_LIST_COLUMNS.join(",") + "\r\n";
    users::each(db, |u| {
        let held = plan.held(db, &u)?;
        let roles: Vec<String> = held
            .iter()
            .filter_map(|h| h.role.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let seat = if plan.settings.plan_model == PlanModel::Legacy && !u.is_guest {
            if u.licensed { "Licensed".to_string() } else { "Unlicensed".to_string() }
        } else {
            u.seat.map(|s| plan.settings.seat_label(s).to_string()).unwrap_or_default()
        };
        let profile = user_profile(&u.doc);
        let name = u.display_name.clone().or_else(|| profile.full_name()).unwrap_or_default();
        let fields = [
            name,
            email_of(&u).unwrap_or_default(),
            if u.status == Status::Active { "Active".into() } else { "Deactivated".into() },
            seat,
            roles.join("; "),
            if u.managed_by_directory { "Yes".into() } else { "No".into() },
            profile.division.unwrap_or_default(),
            profile.department.unwrap_or_default(),
            profile.cost_center.unwrap_or_default(),
            u.last_modified.clone(),
        ];
        out.push_str(&csv::record(&fields));
        Ok(())
    })?;
    Ok(out)
}

/// The drift report: every active user whose seat (or licence) differs from the seat its roles ask
/// for, with the reason (the first of `explain`'s), and counts by reason and by seat.
pub fn drift(db: &impl Read) -> Result<DriftReport> {
    let plan = Plan::load(db)?;
    let legacy = plan.settings.plan_model == PlanModel::Legacy;
    let mut items = Vec::new();
    users::each(db, |u| {
        if u.status != Status::Active || u.is_guest {
            return Ok(());
        }
        let e = super::users::explained(db, &plan, &u)?;
        let differs =
            if legacy { u.licensed != (e.target == Seat::Member) } else { u.seat != Some(e.target) };
        if !differs {
            return Ok(());
        }
        let (reason, detail) =
            e.reasons.first().cloned().unwrap_or_else(|| {
                ("awaiting_update_call".into(), "no update call has arrived since".into())
            });
        let seat = match (u.seat, legacy) {
            (Some(s), _) => s.as_str().to_string(),
            (None, _) if u.licensed => "licensed".into(),
            (None, _) => "unlicensed".into(),
        };
        items.push(DriftItem {
            user_id: u.id,
            user_name: u.user_name,
            seat,
            target: e.target,
            reason,
            detail,
        });
        Ok(())
    })?;
    Ok(DriftReport { items })
}
