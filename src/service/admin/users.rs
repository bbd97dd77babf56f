//! Users as the administrator sees them: the list and one user, manual seat changes, reactivation,
//! removal, system events, explain, and guests.

use super::{DEFAULT_LIMIT, MAX_LIMIT, user_or_404};
use crate::base::text::fold_case;
use crate::domain::roles;
use crate::domain::rules::{self, Code, Context, UserState};
use crate::domain::seats::{PlanModel, Seat, Status};
use crate::error::{Error, Result};
use crate::scim::resource::{self, PlanUserFields, guest_document, user_profile};
use crate::service::plan::Plan;
use crate::service::seats::{self, Actor};
use crate::service::views::{Explained, Page, Removed, UserStep, UserView};
use crate::store::users::{self, UserRow};
use crate::store::{Read, Store, WriteTx, audit, domains};
use crate::util;

/// The user's email: the primary email, else the userName when it is an address (the account).
pub fn email_of(u: &UserRow) -> Option<String> {
    u.primary_email.clone().or_else(|| u.user_name.contains('@').then(|| u.user_name.to_lowercase()))
}

/// The administrator's view of a user.
pub fn view(db: &impl Read, plan: &Plan, u: &UserRow) -> Result<UserView> {
    let held = plan.held(db, u)?;
    let legacy = plan.settings.plan_model == PlanModel::Legacy;
    let profile = user_profile(&u.doc);
    Ok(UserView {
        id: u.id.clone(),
        user_name: u.user_name.clone(),
        display_name: u.display_name.clone(),
        email: email_of(u),
        status: u.status,
        // Legacy plans show licences, not seat types; a guest is a guest on every plan model.
        seat: if legacy && !u.is_guest { None } else { u.seat },
        seat_label: if legacy && !u.is_guest { None } else { u.seat.map(|s| plan.settings.seat_label(s)) },
        licensed: u.licensed,
        managed_by_directory: u.managed_by_directory,
        guest: u.is_guest,
        scim_visible: !u.is_guest && !u.scim_deleted,
        manual_seat: u.manual_seat,
        admin_roles: roles::admin_rights(&held, &plan.roles),
        roles: held,
        division: profile.division,
        department: profile.department,
        cost_center: profile.cost_center,
        created: u.created.clone(),
        last_modified: u.last_modified.clone(),
        provisional_until: u.provisional_until,
        first_sign_in: u.first_sign_in,
        recreate_refused_at: u.recreate_refused_at.clone(),
    })
}

pub fn get(db: &impl Read, id: &str) -> Result<UserView> {
    view(db, &Plan::load(db)?, &user_or_404(db, id)?)
}

/// Filters of the admin user list, parsed at the boundary.
#[derive(Debug, Default, Clone)]
pub struct UserQuery {
    pub status: Option<Status>,
    pub seat: Option<Seat>,
    pub q: Option<String>,
    /// DI-managed users only (`true`), or the others only (`false`).
    pub managed: Option<bool>,
    pub include_pending: bool,
    pub cursor: Option<i64>,
    pub limit: Option<usize>,
}

/// A page of the admin list: filtered in the store and read through an index of each filter in
/// creation order (a keyset page), so memory and time follow the page, not the plan. Pending users
/// (legacy plans) are left out by the store's `users_not_pending` index unless asked for.
pub fn list(db: &impl Read, query: &UserQuery) -> Result<Page<UserView>> {
    let plan = Plan::load(db)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let filter = users::AdminFilter {
        status: query.status,
        seat: query.seat,
        managed: query.managed,
        hide_pending: !query.include_pending && plan.settings.plan_model == PlanModel::Legacy,
        text: query.q.as_deref().map(fold_case).filter(|q| !q.is_empty()),
        after_seq: query.cursor,
    };
    // One more than the page: its presence says a next page exists.
    let mut rows = users::admin_batch(db, &filter, limit + 1)?;
    let next_cursor = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|u| u.seq.to_string())
    });
    let items = rows.iter().map(|u| view(db, &plan, u)).collect::<Result<_>>()?;
    Ok(Page { items, next_cursor: next_cursor.flatten() })
}

/// Removes a user from the plan (DI off) or a guest.
pub fn remove(store: &Store, actor: &Actor, id: &str, guests_only: bool) -> Result<Removed> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let u = user_or_404(tx, id)?;
        if guests_only && !u.is_guest {
            return Err(Error::not_found(format!("no guest with id \"{id}\"")));
        }
        let change = rules::admin_remove(&seats::state_of(&u), &plan.context(tx)?).map_err(seats::refusal)?;
        seats::audit_change(tx, actor, &u.id, &change)?;
        users::delete(tx, &u.id)?;
        Ok(Removed { key: "id", value: u.id })
    })
}

/// When Directory Integration will move a seat an admin just chose at the user's next update call:
/// what it will do and the way to keep the choice.
fn undone_by_next_update_call(db: &impl Read, plan: &Plan, u: &UserRow) -> Result<Option<String>> {
    if !plan.settings.di_enabled || !u.managed_by_directory || u.is_guest {
        return Ok(None);
    }
    let held = plan.held(db, u)?;
    let ex = rules::explain(&seats::state_of(u), &held, &plan.roles, &plan.context(db)?);
    Ok(ex.would_change.then(|| {
        format!(
            "the seat is set, but Directory Integration is on and this user's roles ask for {}: its next update call \
             (a change of its roles or role groups in the IdP) will make it {}. To keep this seat, change the user's \
             roles or role groups in the IdP to ones that imply it, or turn DI off",
            ex.target,
            ex.next.describe()
        )
    }))
}

/// Runs one rule on one user and stores the outcome (seat change, reactivation, system events).
fn step(
    store: &Store,
    actor: &Actor,
    id: &str,
    rule: impl FnOnce(&UserState, &Context<'_>) -> std::result::Result<rules::Outcome, rules::Refusal>,
    after: impl FnOnce(&mut UserRow),
) -> Result<UserStep> {
    step_warned(store, actor, id, rule, after, false)
}

fn step_warned(
    store: &Store,
    actor: &Actor,
    id: &str,
    rule: impl FnOnce(&UserState, &Context<'_>) -> std::result::Result<rules::Outcome, rules::Refusal>,
    after: impl FnOnce(&mut UserRow),
    warn: bool,
) -> Result<UserStep> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let mut u = user_or_404(tx, id)?;
        let outcome = rule(&seats::state_of(&u), &plan.context(tx)?).map_err(seats::refusal)?;
        seats::apply(tx, actor, &mut u, &outcome)?;
        after(&mut u);
        if outcome.change.is_some() || !outcome.events.is_empty() || outcome.state != seats::state_of(&u) {
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
        }
        users::update(tx, &u)?;
        let warning =
            if warn && outcome.change.is_some() { undone_by_next_update_call(tx, &plan, &u)? } else { None };
        Ok(UserStep {
            user: view(tx, &plan, &u)?,
            changed: outcome.change.is_some(),
            event: outcome.events.first().map(|e| (e.code.as_str(), e.detail.clone())),
            warning,
        })
    })
}

pub fn set_seat(
    store: &Store,
    actor: &Actor,
    id: &str,
    seat: Seat,
    reason: Option<&str>,
) -> Result<UserStep> {
    step_warned(store, actor, id, |s, ctx| rules::admin_set_seat(s, seat, reason, ctx), |_| {}, true)
}

pub fn reactivate(store: &Store, actor: &Actor, id: &str) -> Result<UserStep> {
    // A user hidden by a SCIM DELETE becomes visible again, so the IdP can match it.
    step(store, actor, id, rules::admin_reactivate, |u| {
        u.scim_deleted = false;
        u.recreate_refused_at = None;
    })
}

/// A system-triggered event of the seat rules, as the application would report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemEvent {
    QualifyingAction,
    SignIn,
}

impl SystemEvent {
    pub fn parse(text: &str) -> Result<SystemEvent> {
        match text {
            "qualifying_action" => Ok(SystemEvent::QualifyingAction),
            "sign_in" => Ok(SystemEvent::SignIn),
            other => Err(Error::invalid_value(format!(
                "event type \"{other}\" is not known: use \"qualifying_action\" or \"sign_in\""
            ))),
        }
    }
}

pub fn system_event(store: &Store, actor: &Actor, id: &str, event: SystemEvent) -> Result<UserStep> {
    match event {
        SystemEvent::QualifyingAction => step(store, actor, id, rules::qualifying_action, |_| {}),
        SystemEvent::SignIn => step(store, actor, id, |s, ctx| rules::sign_in(s, ctx.now), |_| {}),
    }
}

pub fn explain(db: &impl Read, id: &str) -> Result<Explained> {
    let plan = Plan::load(db)?;
    let u = user_or_404(db, id)?;
    explained(db, &plan, &u)
}

/// Why a user has its seat: the target its roles ask for, what its next update call would do, and
/// every reason the seat differs (the rules' reasons, then a held downgrade, a seat limit met, a
/// refused re-creation). `explain` and the drift report both read this.
pub fn explained(db: &impl Read, plan: &Plan, u: &UserRow) -> Result<Explained> {
    let held = plan.held(db, u)?;
    let ex = rules::explain(&seats::state_of(u), &held, &plan.roles, &plan.context(db)?);
    let mut reasons: Vec<(String, String)> =
        ex.reasons.iter().map(|r| (r.code.as_str().to_string(), r.detail.clone())).collect();
    if u.downgrade_held {
        let last = audit::query(db, Some(&u.id), None, None, 50)?;
        let detail = last
            .iter()
            .find(|e| e.action == Code::DowngradeHeld.as_str())
            .and_then(|e| e.reason.clone())
            .unwrap_or_else(|| {
                "the IdP's first write asked for a lower seat; match_downgrade = hold kept it".into()
            });
        reasons.insert(0, (Code::DowngradeHeld.as_str().to_string(), detail));
    }
    // The last seat_limit event for this user, if its seat still differs from the target and the
    // plan still has a limit (without one, nothing blocks an upgrade any more).
    let limited = plan.settings.member_seat_limit.is_some();
    if limited && (ex.would_change || u.seat != Some(ex.target.seat())) {
        let last = audit::query(db, Some(&u.id), None, None, 1)?;
        if let Some(e) = last.first().filter(|e| e.action == Code::SeatLimit.as_str())
            && !reasons.iter().any(|(code, _)| code == Code::SeatLimit.as_str())
        {
            reasons.push((Code::SeatLimit.as_str().to_string(), e.reason.clone().unwrap_or_default()));
        }
    }
    if let Some(at) = &u.recreate_refused_at {
        reasons.push((
            "recreate_refused".to_string(),
            format!(
                "the IdP tried to create this user again at {at} and is refused at every cycle: it was deleted \
                 through SCIM and is kept deactivated. Reactivate it (turn DI off, POST \
                 /admin/users/{}/reactivate, turn DI on) so the IdP finds it by userName and takes it back, or \
                 remove it from the plan",
                u.id
            ),
        ));
    }
    Ok(Explained {
        user: view(db, plan, u)?,
        target: ex.target.seat(),
        next: ex.next.describe(),
        would_change: ex.would_change,
        reasons,
    })
}

/// A new guest: an outside collaborator, managed only here (never through SCIM).
pub fn add_guest(
    store: &Store,
    actor: &Actor,
    email: &str,
    display: Option<&str>,
    force: bool,
) -> Result<UserView> {
    let email = email.trim();
    if !(email.contains('@') && !email.starts_with('@') && !email.ends_with('@')) {
        return Err(Error::invalid_value("a guest needs an \"email\" address (e.g. partner@vendor.com)"));
    }
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        // Seed 001: guests "don't exist in your IdP". An address on a validated domain is one the IdP
        // owns, so that person is provisioned through the IdP, unless the admin insists.
        let validated = domains::verified(tx)?;
        let domain = email.rsplit_once('@').map(|(_, d)| d.trim_end_matches('.').to_ascii_lowercase());
        if let Some(domain) = domain.filter(|d| validated.iter().any(|x| x == d))
            && !force
        {
            return Err(Error::conflict(
                "guest_on_validated_domain",
                format!(
                    "\"{email}\" is on {domain}, a validated domain of this plan, so it is someone your IdP \
                     manages: provision them through the IdP (assign them to the app) instead of adding a guest; to \
                     add the guest anyway, send \"force\": true"
                ),
            ));
        }
        if let Some(existing) = users::by_user_name(tx, email)? {
            return Err(Error::conflict(
                "user_exists",
                format!("\"{email}\" is already a user of this plan (id {})", existing.id),
            ));
        }
        let mut u = UserRow::new(util::uuid()?, guest_document(email, display), util::now_rfc3339_secs());
        seats::set_keys(&mut u);
        u.primary_email = Some(email.to_lowercase());
        seats::apply(tx, actor, &mut u, &rules::new_guest())?;
        u.seq = users::insert(tx, &u)?;
        users::set_emails(tx, &u.id, &[email.to_string()])?;
        view(tx, &plan, &u)
    })
}

/// A plan user as the administrator adds it: its profile and the seat it starts on.
#[derive(Debug, Clone)]
pub struct NewPlanUser {
    pub fields: PlanUserFields,
    pub seat: Seat,
    /// Added deactivated (an import of a report row whose status is Deactivated).
    pub deactivated: bool,
}

/// Adds a plan user in an open transaction (the one `add` and the import share): the domain rules
/// as for SCIM, 409 for a userName on the plan, the seat rules of a plan user, an audit event.
pub fn add_in(tx: &WriteTx<'_>, plan: &Plan, actor: &Actor, new: &NewPlanUser) -> Result<UserRow> {
    let doc = resource::canonical_user(&resource::plan_user_document(&new.fields))?;
    let mut u = UserRow::new(util::uuid()?, doc, util::now_rfc3339_secs());
    seats::set_keys(&mut u);
    plan.check_domain(tx, &u)?;
    if let Some(existing) = users::by_user_name(tx, &u.user_name)? {
        return Err(Error::conflict(
            "user_exists",
            format!("\"{}\" is already a user of this plan (id {})", existing.user_name, existing.id),
        ));
    }
    let ctx = plan.context(tx)?;
    let outcome = rules::new_plan_user(new.seat, new.deactivated, &ctx).map_err(seats::refusal)?;
    seats::apply(tx, actor, &mut u, &outcome)?;
    u.seq = users::insert(tx, &u)?;
    users::set_emails(tx, &u.id, &resource::emails(&u.doc))?;
    Ok(u)
}

/// `POST /admin/users`, `scim-seat users add`: a plan user as if added in Admin Center.
pub fn add(store: &Store, actor: &Actor, new: &NewPlanUser) -> Result<UserView> {
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let u = add_in(tx, &plan, actor, new)?;
        view(tx, &plan, &u)
    })
}
