//! Importing a plan: many plan users at once from a user list CSV (`scim-seat users import`,
//! `POST /admin/users/import`), so a report from one scim-seat imports into another.
//!
//! The columns are those of `report users`, named by a header row in any order; an unknown column
//! is an error. Email (the userName) is required; Name, Status, Seat type, Division, Department and
//! Cost Center are read; Roles, Managed by DI and Last updated are what an IdP or the plan decides,
//! so they are read back as written but not applied. A row whose user is already on the plan with
//! the same profile, seat and status is skipped as identical. A file with any bad row imports
//! nothing: the answer lists every bad row with its line number and why. All of it is one
//! transaction.

use super::reports::USER_LIST_COLUMNS;
use super::users::{NewPlanUser, add_in, email_of};
use crate::base::csv;
use crate::domain::seats::{Seat, Status};
use crate::error::{Error, Result};
use crate::scim::resource::{PlanUserFields, user_profile};
use crate::service::plan::Plan;
use crate::service::seats::Actor;
use crate::service::views::ImportReport;
use crate::store::{Store, WriteTx, users};
use std::collections::HashSet;

/// One row read: the line it starts on, and the plan user it asks for.
struct Row {
    line: usize,
    new: NewPlanUser,
}

/// Reads the seat a report wrote: the label people see (Viewer/Contributor, Member, No Access),
/// Licensed/Unlicensed on legacy plans, nothing for a deactivated user.
fn seat_of(label: &str, status: Status) -> std::result::Result<Seat, String> {
    let label = label.trim();
    match label.to_ascii_lowercase().as_str() {
        "licensed" => return Ok(Seat::Member),
        "unlicensed" => return Ok(Seat::Viewer),
        "" if status == Status::Deactivated => return Ok(Seat::Viewer),
        "" => return Err("Seat type is empty: give Viewer, Member or No Access".into()),
        _ => {}
    }
    match Seat::parse(label) {
        Ok(Seat::Guest) => Err("guests are added with POST /admin/guests, not imported as plan users".into()),
        Ok(Seat::ProvisionalMember) => {
            Err("Provisional Member is system-triggered only: import the user as Viewer or Member".into())
        }
        Ok(seat) => Ok(seat),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses the file into rows, or every reason it cannot be imported.
fn parse(text: &str) -> std::result::Result<Vec<Row>, Vec<(usize, String)>> {
    let records = csv::records(text).map_err(|e| vec![(e.line, e.what)])?;
    let Some(((_, header), body)) = records.split_first() else {
        return Err(vec![(1, "the file is empty: it needs a header row naming the columns".into())]);
    };
    let mut bad = Vec::new();
    let mut index = std::collections::HashMap::new();
    for (i, name) in header.iter().enumerate() {
        match USER_LIST_COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(name.trim())) {
            Some(c) if index.insert(*c, i).is_some() => {
                bad.push((1, format!("the column {c:?} is named twice")))
            }
            Some(_) => {}
            None => bad.push((
                1,
                format!(
                    "unknown column {name:?}; the columns are those of `report users`: {}",
                    USER_LIST_COLUMNS.join(", ")
                ),
            )),
        }
    }
    if !index.contains_key("Email") {
        bad.push((1, "the header needs an Email column (the user's userName)".into()));
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    let mut rows = Vec::new();
    let mut seen = HashSet::new();
    for (line, fields) in body {
        if fields.len() != header.len() {
            bad.push((*line, format!("{} fields where the header names {}", fields.len(), header.len())));
            continue;
        }
        let get =
            |c: &str| index.get(c).map(|&i| fields[i].trim()).filter(|v| !v.is_empty()).map(str::to_string);
        let Some(email) = get("Email") else {
            bad.push((*line, "Email is empty: every user needs one (it is the userName)".into()));
            continue;
        };
        if !seen.insert(crate::base::text::fold_case(&email)) {
            bad.push((*line, format!("{email} is in the file twice")));
            continue;
        }
        let status = match get("Status").as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("active") => Status::Active,
            Some("deactivated") => Status::Deactivated,
            Some(other) => {
                bad.push((*line, format!("Status {other:?} is neither Active nor Deactivated")));
                continue;
            }
        };
        let seat = match seat_of(&get("Seat type").unwrap_or_default(), status) {
            Ok(seat) => seat,
            Err(why) => {
                bad.push((*line, why));
                continue;
            }
        };
        let fields = PlanUserFields {
            user_name: email.clone(),
            display_name: get("Name"),
            email: Some(email),
            division: get("Division"),
            department: get("Department"),
            cost_center: get("Cost Center"),
            ..PlanUserFields::default()
        };
        rows.push(Row {
            line: *line,
            new: NewPlanUser { fields, seat, deactivated: status == Status::Deactivated },
        });
    }
    if bad.is_empty() { Ok(rows) } else { Err(bad) }
}

/// Whether the user on the plan already is what the row asks for.
fn identical(u: &users::UserRow, new: &NewPlanUser, plan: &Plan) -> bool {
    let p = user_profile(&u.doc);
    let seat_matches = match (u.status, new.deactivated) {
        (Status::Deactivated, true) => true,
        (Status::Active, false) => match u.seat {
            Some(s) => s == new.seat,
            None => {
                plan.settings.plan_model == crate::domain::seats::PlanModel::Legacy
                    && u.licensed == (new.seat == Seat::Member)
            }
        },
        _ => false,
    };
    seat_matches
        && u.display_name == new.fields.display_name
        && email_of(u).map(|e| e.to_lowercase()) == new.fields.email.as_ref().map(|e| e.to_lowercase())
        && p.division == new.fields.division
        && p.department == new.fields.department
        && p.cost_center == new.fields.cost_center
}

/// Imports the plan users of `text`, all or none; `dry_run` only checks. `progress` hears the
/// rows done and the rows in all, now and then.
pub fn import(
    store: &Store,
    actor: &Actor,
    text: &str,
    dry_run: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport> {
    let rows = parse(text).map_err(refused)?;
    let total = rows.len();
    let run = |tx: &WriteTx<'_>| -> Result<ImportReport> {
        let plan = Plan::load(tx)?;
        let (mut created, mut skipped, mut bad) = (0, 0, Vec::new());
        for (i, row) in rows.iter().enumerate() {
            if i % 1000 == 0 {
                progress(i, total);
            }
            match users::by_user_name(tx, &row.new.fields.user_name)? {
                Some(u) if identical(&u, &row.new, &plan) => skipped += 1,
                Some(u) => bad.push((
                    row.line,
                    format!(
                        "{} is already on the plan (id {}) with another profile, seat or status",
                        u.user_name, u.id
                    ),
                )),
                None => match add_row(tx, &plan, actor, row) {
                    Ok(()) => created += 1,
                    Err(e) => bad.push((row.line, e.detail)),
                },
            }
        }
        progress(total, total);
        if !bad.is_empty() {
            // Nothing is kept: the write rolls back, and the answer lists every bad row.
            return Err(refused(bad));
        }
        Ok(ImportReport { rows: total, created, skipped, dry_run, applied: !dry_run })
    };
    // A dry run checks every row against the plan as it is, then keeps nothing.
    if dry_run { store.trial(run) } else { store.write(run) }
}

fn add_row(tx: &WriteTx<'_>, plan: &Plan, actor: &Actor, row: &Row) -> Result<()> {
    add_in(tx, plan, actor, &row.new).map(|_| ())
}

/// 400 listing every bad row.
fn refused(bad: Vec<(usize, String)>) -> Error {
    let rows: Vec<serde_json::Value> =
        bad.iter().map(|(line, why)| serde_json::json!({ "line": line, "why": why })).collect();
    Error::invalid_value(format!(
        "nothing was imported: {} row(s) of the file cannot be imported (see \"rows\"); fix them and import again",
        bad.len()
    ))
    .with_code("import_refused")
    .with_extra(serde_json::json!({ "rows": rows }))
}
