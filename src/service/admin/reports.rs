//! Reports: the user list CSV (Admin Center's "User List"), one line per user.

use super::users::email_of;
use crate::domain::seats::{PlanModel, Status};
use crate::error::Result;
use crate::scim::resource::user_profile;
use crate::service::plan::Plan;
use crate::store::{Read, users};

/// Quotes a field always, doubles inner quotes, and neutralises spreadsheet formulas.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub fn users_csv(db: &impl Read) -> Result<String> {
    let plan = Plan::load(db)?;
    let mut out = String::from(
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated\r\n",
    );
    for u in users::all(db)? {
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
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
