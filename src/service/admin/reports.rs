//! Reports: the user list CSV (Admin Center's "User List"), one line per user.

use super::users::email_of;
use crate::base::csv;
use crate::domain::seats::{PlanModel, Seat, Status};
use crate::error::Result;
use crate::http::server::Chunks;
use crate::scim::resource::user_profile;
use crate::service::plan::Plan;
use crate::service::progress::Progress;
use crate::service::views::{DRIFT_CSV_COLUMNS, DriftCounts, DriftItem};
use crate::store::Read;
use crate::store::users::{self, UserRow};

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

/// The next batch of a streamed report ([`users::next_batch`]), counted in its progress; `None`
/// once there are no more.
fn next_users(
    db: &impl Read,
    after: &mut Option<i64>,
    progress: &mut Progress,
) -> Result<Option<Vec<UserRow>>> {
    if crate::fault::hit("report_batch") {
        return Err(crate::error::Error::internal("injected: report_batch"));
    }
    let batch = users::next_batch(db, after)?;
    progress.advance(batch.len());
    Ok((!batch.is_empty()).then_some(batch))
}

/// The user list CSV, a batch of users at a time: what `GET /admin/reports/users.csv` streams and
/// `report users` writes. Memory follows one batch; each batch is read on its own, so a report of a
/// large plan never holds the database's writer back.
pub struct UserList<R> {
    db: R,
    plan: Plan,
    after: Option<i64>,
    started: bool,
    progress: Progress,
}

impl<R: Read> UserList<R> {
    pub fn new(db: R) -> Result<UserList<R>> {
        let plan = Plan::load(&db)?;
        let progress = Progress::start(&db, "users_report", 1)?;
        Ok(UserList { db, plan, after: None, started: false, progress })
    }

    /// Appends the header (first) or the next batch's lines; `false` once every user is written.
    pub fn next_batch(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        if !self.started {
            self.started = true;
            out.extend_from_slice(USER_LIST_COLUMNS.join(",").as_bytes());
            out.extend_from_slice(b"\r\n");
            return Ok(true);
        }
        let Some(batch) = next_users(&self.db, &mut self.after, &mut self.progress)? else {
            return Ok(false);
        };
        for u in &batch {
            out.extend_from_slice(self.line(u)?.as_bytes());
        }
        Ok(true)
    }

    fn line(&self, u: &UserRow) -> Result<String> {
        let (db, plan) = (&self.db, &self.plan);
        let held = plan.held(db, u)?;
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
            email_of(u).unwrap_or_default(),
            if u.status == Status::Active { "Active".into() } else { "Deactivated".into() },
            seat,
            roles.join("; "),
            if u.managed_by_directory { "Yes".into() } else { "No".into() },
            profile.division.unwrap_or_default(),
            profile.department.unwrap_or_default(),
            profile.cost_center.unwrap_or_default(),
            u.last_modified.clone(),
        ];
        Ok(csv::record(&fields))
    }
}

impl<R: Read + Send> Chunks for UserList<R> {
    fn next(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        self.next_batch(out)
    }
}

/// The drift report, a batch of users at a time: every active user whose seat (or licence)
/// differs from the seat its roles ask for, with the reason (the first of `explain`'s), and the
/// counts by reason and by seat, which [`Drift::counts`] holds once the last batch is read.
pub struct Drift<R> {
    db: R,
    plan: Plan,
    after: Option<i64>,
    counts: DriftCounts,
    progress: Progress,
}

impl<R: Read> Drift<R> {
    pub fn new(db: R) -> Result<Drift<R>> {
        let plan = Plan::load(&db)?;
        let progress = Progress::start(&db, "drift_report", 1)?;
        Ok(Drift { db, plan, after: None, counts: DriftCounts::default(), progress })
    }

    /// The drifting users of the next batch of users (possibly none); `false` once all are read.
    pub fn next_items(&mut self, items: &mut Vec<DriftItem>) -> Result<bool> {
        let Some(batch) = next_users(&self.db, &mut self.after, &mut self.progress)? else {
            return Ok(false);
        };
        for u in batch {
            if let Some(item) = self.item(u)? {
                self.counts.add(&item);
                items.push(item);
            }
        }
        Ok(true)
    }

    pub fn counts(&self) -> &DriftCounts {
        &self.counts
    }

    fn item(&self, u: UserRow) -> Result<Option<DriftItem>> {
        if u.status != Status::Active || u.is_guest {
            return Ok(None);
        }
        let legacy = self.plan.settings.plan_model == PlanModel::Legacy;
        let e = super::users::explained(&self.db, &self.plan, &u)?;
        let differs =
            if legacy { u.licensed != (e.target == Seat::Member) } else { u.seat != Some(e.target) };
        if !differs {
            return Ok(None);
        }
        let (reason, detail) =
            e.reasons.first().cloned().unwrap_or_else(|| {
                ("awaiting_update_call".into(), "no update call has arrived since".into())
            });
        let seat = match u.seat {
            Some(s) => s.as_str().to_string(),
            None if u.licensed => "licensed".into(),
            None => "unlicensed".into(),
        };
        Ok(Some(DriftItem { user_id: u.id, user_name: u.user_name, seat, target: e.target, reason, detail }))
    }
}

/// How the drift report is written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DriftFormat {
    /// `{"items": [...], "total", "by_reason", "by_seat"}`.
    Json,
    /// [`DRIFT_CSV_COLUMNS`], a line per user.
    Csv,
}

/// The drift report rendered as it is read: what `GET /admin/reports/drift` streams and `report
/// drift --json` prints.
pub struct DriftText<R> {
    drift: Drift<R>,
    format: DriftFormat,
    started: bool,
    items: Vec<DriftItem>,
}

impl<R: Read> DriftText<R> {
    pub fn new(db: R, format: DriftFormat) -> Result<DriftText<R>> {
        Ok(DriftText { drift: Drift::new(db)?, format, started: false, items: Vec::new() })
    }

    pub fn next_batch(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        if !self.started {
            self.started = true;
            match self.format {
                DriftFormat::Json => out.extend_from_slice(b"{\"items\":["),
                DriftFormat::Csv => out.extend_from_slice(csv::record(&DRIFT_CSV_COLUMNS).as_bytes()),
            }
            return Ok(true);
        }
        let written = self.drift.counts().total;
        self.items.clear();
        let more = self.drift.next_items(&mut self.items)?;
        for (n, item) in self.items.iter().enumerate() {
            match self.format {
                DriftFormat::Json => {
                    if written + n > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(item.json().to_string().as_bytes());
                }
                DriftFormat::Csv => out.extend_from_slice(item.csv_record().as_bytes()),
            }
        }
        if !more && self.format == DriftFormat::Json {
            let c = self.drift.counts();
            let tail = serde_json::json!({"total": c.total, "by_reason": c.by_reason, "by_seat": c.by_seat});
            // `{"total":…}` without its opening brace closes the object the items opened.
            let tail = tail.to_string();
            out.extend_from_slice(b"],");
            out.extend_from_slice(tail.get(1..).unwrap_or("}").as_bytes());
        }
        Ok(more)
    }
}

impl<R: Read + Send> Chunks for DriftText<R> {
    fn next(&mut self, out: &mut Vec<u8>) -> Result<bool> {
        self.next_batch(out)
    }
}
