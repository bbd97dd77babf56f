//! The plan administrator's operations, shared by the admin API and the CLI: each takes the store
//! (or a read connection), the actor and typed arguments, runs in one transaction, writes its audit
//! events, and returns the JSON the admin API answers (the CLI prints the same JSON with `--json`,
//! or a readable form of it). Every seat rule comes from `domain::plan` through `service::seats`.

use crate::base::calendar;
use crate::domain::plan::{self as rules, Change, Code, Context, Preview, UserState};
use crate::domain::roles::{self, AdminRight, RoleMapping, RoleTable};
use crate::domain::seats::{FollowUp, PlanModel, Seat, Status};
use crate::error::{Error, Result};
use crate::service::seats::{
    self, Actor, DI_CHANGED_AT, GUARD_RESET_AFTER_ID, GUARD_RESET_AT, GUARD_TRIPPED, Plan,
};
use crate::store::audit::{self, Event};
use crate::store::users::{self, UserRow};
use crate::store::{Store, groups, plan as plan_store};
use crate::util;
use rusqlite::Connection;
use serde_json::{Map, Value, json};

/// Largest page of the admin lists.
pub const MAX_LIMIT: usize = 1000;
/// Default page of the admin lists.
pub const DEFAULT_LIMIT: usize = 100;

fn audit_plan_event(conn: &Connection, actor: &Actor, action: &str, reason: String) -> Result<()> {
    seats::audit(conn, actor, action, None, None, None, &reason)
}

fn context<'a>(conn: &Connection, plan: &'a Plan) -> Result<Context<'a>> {
    Ok(Context {
        settings: &plan.settings,
        member_seats_in_use: users::members_in_use(conn)?,
        now: util::now_unix(),
    })
}

// ------------------------------------------------------------------------------------------------
// Settings

/// A setting's value as typed JSON: booleans and numbers as such, `none` as null.
fn typed(value: &str) -> Value {
    match value {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "none" => Value::Null,
        v => v.parse::<u64>().map(Value::from).unwrap_or_else(|_| Value::from(v)),
    }
}

pub fn settings(conn: &Connection) -> Result<Value> {
    let plan = seats::plan(conn)?;
    let mut out = Map::new();
    let mut guard = Map::new();
    for (key, value) in plan.settings.entries() {
        match key.strip_prefix("deprovision_guard.") {
            Some(sub) => {
                guard.insert(sub.to_string(), typed(&value));
            }
            None => {
                out.insert(key.to_string(), typed(&value));
            }
        }
    }
    out.insert("deprovision_guard".into(), Value::Object(guard));
    out.insert("advice".into(), json!(plan.settings.advice()));
    Ok(Value::Object(out))
}

/// Flattens a settings PATCH body into (key, text) pairs: `deprovision_guard: {max}` becomes
/// `deprovision_guard.max`, null becomes `none`.
pub fn settings_pairs(body: &Value) -> Result<Vec<(String, String)>> {
    let obj =
        body.as_object().ok_or_else(|| Error::invalid_value("send a JSON object of settings to change"))?;
    let mut pairs = Vec::new();
    for (k, v) in obj {
        match v {
            Value::Object(inner) => {
                for (sk, sv) in inner {
                    pairs.push((format!("{k}.{sk}"), text_of(&format!("{k}.{sk}"), sv)?));
                }
            }
            other => pairs.push((k.clone(), text_of(k, other)?)),
        }
    }
    if pairs.is_empty() {
        return Err(Error::invalid_value("the body names no setting to change"));
    }
    Ok(pairs)
}

fn text_of(key: &str, v: &Value) -> Result<String> {
    Ok(match v {
        Value::Null => "none".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(Error::invalid_value(format!("{key} takes a string, number, boolean or null"))),
    })
}

/// Changes settings, all or none; runs the one-time plan-model mapping when plan_model switches.
pub fn set_settings(store: &Store, actor: &Actor, pairs: &[(String, String)]) -> Result<Value> {
    store.write(|tx| {
        let mut plan = seats::plan(tx)?;
        for (key, value) in pairs {
            let change = plan
                .settings
                .set(key, value)
                .map_err(|e| Error::invalid_value(e.to_string()).with_code(e.code()))?;
            if !change.changed() {
                continue;
            }
            plan_store::set_setting(tx, change.key.as_str(), &change.after)?;
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
        settings(tx)
    })
}

// ------------------------------------------------------------------------------------------------
// Users: the admin shape

fn seat_label(plan: &Plan, seat: Option<&str>) -> Value {
    seat.and_then(|s| Seat::parse(s).ok())
        .map(|s| Value::from(plan.settings.seat_label(s)))
        .unwrap_or(Value::Null)
}

fn doc_str<'a>(doc: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = doc;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str()
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The user's email: the primary email, else the userName when it is an address (the account).
fn email_of(u: &UserRow) -> Option<String> {
    u.primary_email.clone().or_else(|| u.user_name.contains('@').then(|| u.user_name.to_lowercase()))
}

pub fn user_json(conn: &Connection, plan: &Plan, u: &UserRow) -> Result<Value> {
    let held = seats::held(conn, plan, u)?;
    let roles: Vec<Value> = held
        .iter()
        .map(|h| {
            let mut r = json!({ "role": h.role, "value": h.value, "source": h.source.as_str() });
            if let Some(g) = h.source.group() {
                r["group"] = Value::from(g);
            }
            r
        })
        .collect();
    let legacy = plan.settings.plan_model == PlanModel::Legacy;
    let mut v = json!({
        "id": u.id,
        "userName": u.user_name,
        "displayName": u.display_name,
        "email": email_of(u),
        "status": u.status,
        "seat": if legacy { None } else { u.seat.clone() },
        "seat_label": if legacy { Value::Null } else { seat_label(plan, u.seat.as_deref()) },
        "licensed": u.licensed,
        "managed_by_directory": u.managed_by_directory,
        "guest": u.is_guest,
        "scim_visible": !u.is_guest && !u.scim_deleted,
        "manual_seat": u.manual_seat,
        "admin_roles": roles::admin_rights(&held, &plan.roles).iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "roles": roles,
        "division": doc_str(&u.doc, &[ENTERPRISE, "division"]),
        "department": doc_str(&u.doc, &[ENTERPRISE, "department"]),
        "cost_center": doc_str(&u.doc, &[ENTERPRISE, "costCenter"]),
        "created": u.created,
        "last_modified": u.last_modified,
    });
    if let Some(t) = u.provisional_until {
        v["provisional_until"] = Value::from(calendar::rfc3339(t));
    }
    if let Some(t) = u.first_sign_in {
        v["first_sign_in"] = Value::from(calendar::rfc3339(t));
    }
    Ok(v)
}

fn user_or_404(conn: &Connection, id: &str) -> Result<UserRow> {
    users::get(conn, id)?.ok_or_else(|| Error::not_found(format!("no user with id \"{id}\"")))
}

pub fn user(conn: &Connection, id: &str) -> Result<Value> {
    let plan = seats::plan(conn)?;
    user_json(conn, &plan, &user_or_404(conn, id)?)
}

/// Filters of the admin user list.
#[derive(Debug, Default, Clone)]
pub struct UserQuery {
    pub status: Option<String>,
    pub seat: Option<String>,
    pub q: Option<String>,
    pub include_pending: bool,
    pub cursor: Option<i64>,
    pub limit: Option<usize>,
}

pub fn list_users(conn: &Connection, query: &UserQuery) -> Result<Value> {
    let plan = seats::plan(conn)?;
    if let Some(s) = &query.status
        && Status::parse(s).is_none()
    {
        return Err(Error::invalid_value(format!(
            "status must be one of {}, not \"{s}\"",
            Status::allowed()
        )));
    }
    if let Some(s) = &query.seat {
        Seat::parse(s).map_err(|e| Error::invalid_value(e.to_string()))?;
    }
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let q = query.q.as_deref().map(crate::base::text::fold_case);
    let mut items = Vec::new();
    let mut next = None;
    for u in users::all(conn)?.into_iter().filter(|u| query.cursor.is_none_or(|c| u.seq > c)) {
        if query.status.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(&u.status))
            || query.seat.as_deref().is_some_and(|s| u.seat.as_deref() != Some(s))
        {
            continue;
        }
        if let Some(q) = &q {
            let hay = [Some(&u.user_name), u.display_name.as_ref(), u.primary_email.as_ref()];
            if !hay.iter().flatten().any(|h| crate::base::text::fold_case(h).contains(q.as_str())) {
                continue;
            }
        }
        if !query.include_pending {
            let in_group = !groups::of_user(conn, &u.id)?.is_empty();
            if rules::is_pending(&seats::state_of(&u), plan.settings.plan_model, in_group) {
                continue;
            }
        }
        if items.len() == limit {
            // One more match exists: the page ends at the last item shown.
            next = items.last().map(|(seq, _)| *seq);
            break;
        }
        items.push((u.seq, user_json(conn, &plan, &u)?));
    }
    let next_cursor = next.map(|s| s.to_string());
    Ok(json!({ "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), "next_cursor": next_cursor }))
}

/// Removes a user from the plan (DI off) or a guest.
pub fn remove_user(store: &Store, actor: &Actor, id: &str, guests_only: bool) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let u = user_or_404(tx, id)?;
        if guests_only && !u.is_guest {
            return Err(Error::not_found(format!("no guest with id \"{id}\"")));
        }
        let change =
            rules::admin_remove(&seats::state_of(&u), &context(tx, &plan)?).map_err(seats::refusal)?;
        seats::audit_change(tx, actor, &u.id, &change)?;
        users::delete(tx, &u.id)?;
        Ok(json!({ "id": u.id, "removed": true }))
    })
}

/// Runs one rule on one user and stores the outcome (seat change, reactivation, system events).
fn user_step(
    store: &Store,
    actor: &Actor,
    id: &str,
    step: impl FnOnce(&UserState, &Context<'_>) -> std::result::Result<rules::Outcome, rules::Refusal>,
    after: impl FnOnce(&mut UserRow),
) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let mut u = user_or_404(tx, id)?;
        let outcome = step(&seats::state_of(&u), &context(tx, &plan)?).map_err(seats::refusal)?;
        seats::apply(tx, actor, &mut u, &outcome)?;
        after(&mut u);
        if outcome.change.is_some() || !outcome.events.is_empty() || outcome.state != seats::state_of(&u) {
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
        }
        users::update(tx, &u)?;
        let mut v = user_json(tx, &plan, &u)?;
        v["changed"] = Value::Bool(outcome.change.is_some());
        if let Some(e) = outcome.events.first() {
            v["event"] = json!({ "code": e.code.as_str(), "detail": e.detail });
        }
        Ok(v)
    })
}

pub fn set_seat(store: &Store, actor: &Actor, id: &str, seat: &str, reason: Option<&str>) -> Result<Value> {
    let seat = Seat::parse(seat).map_err(|e| Error::invalid_value(e.to_string()))?;
    user_step(store, actor, id, |s, ctx| rules::admin_set_seat(s, seat, reason, ctx), |_| {})
}

pub fn reactivate(store: &Store, actor: &Actor, id: &str) -> Result<Value> {
    // A user hidden by a SCIM DELETE becomes visible again, so the IdP can match it.
    user_step(store, actor, id, rules::admin_reactivate, |u| u.scim_deleted = false)
}

pub fn system_event(store: &Store, actor: &Actor, id: &str, kind: &str) -> Result<Value> {
    match kind {
        "qualifying_action" => user_step(store, actor, id, rules::qualifying_action, |_| {}),
        "sign_in" => user_step(store, actor, id, |s, ctx| rules::sign_in(s, ctx.now), |_| {}),
        other => Err(Error::invalid_value(format!(
            "event type \"{other}\" is not known: use \"qualifying_action\" or \"sign_in\""
        ))),
    }
}

pub fn explain(conn: &Connection, id: &str) -> Result<Value> {
    let plan = seats::plan(conn)?;
    let u = user_or_404(conn, id)?;
    let held = seats::held(conn, &plan, &u)?;
    let ex = rules::explain(&seats::state_of(&u), &held, &plan.roles, &context(conn, &plan)?);
    let mut v = user_json(conn, &plan, &u)?;
    v["target_seat"] = Value::from(ex.target.as_str());
    v["next"] = Value::from(ex.next.describe());
    v["would_change"] = Value::Bool(ex.would_change);
    let mut reasons: Vec<Value> =
        ex.reasons.iter().map(|r| json!({ "code": r.code.as_str(), "detail": r.detail })).collect();
    // The last seat_limit event for this user, if its seat still differs from the target.
    if ex.would_change || u.seat.as_deref() != Some(ex.target.as_str()) {
        let last = audit::query(conn, Some(&u.id), None, None, 1)?;
        if let Some(e) = last.first().filter(|e| e.action == Code::SeatLimit.as_str())
            && !reasons.iter().any(|r| r["code"] == Code::SeatLimit.as_str())
        {
            reasons.push(json!({ "code": "seat_limit", "detail": e.reason }));
        }
    }
    v["reasons"] = Value::from(reasons);
    Ok(v)
}

// ------------------------------------------------------------------------------------------------
// Guests

pub fn add_guest(store: &Store, actor: &Actor, body: &Value) -> Result<Value> {
    let email = body
        .get("email")
        .or_else(|| body.get("userName"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|e| e.contains('@') && !e.starts_with('@') && !e.ends_with('@'))
        .ok_or_else(|| {
            Error::invalid_value("a guest needs an \"email\" address (e.g. partner@vendor.com)")
        })?;
    let display = body.get("displayName").and_then(Value::as_str);
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        if let Some(existing) = users::by_user_name(tx, email)? {
            return Err(Error::conflict(
                "user_exists",
                format!("\"{email}\" is already a user of this plan (id {})", existing.id),
            ));
        }
        let mut doc = json!({ "userName": email, "emails": [{ "value": email, "primary": true }] });
        if let Some(d) = display {
            doc["displayName"] = Value::from(d);
        }
        let mut u = UserRow::new(util::uuid()?, doc, util::now_rfc3339_secs());
        u.derive_columns(Some(email.to_lowercase()));
        seats::apply(tx, actor, &mut u, &rules::new_guest())?;
        u.seq = users::insert(tx, &u)?;
        users::set_emails(tx, &u.id, &[email.to_string()])?;
        user_json(tx, &plan, &u)
    })
}

// ------------------------------------------------------------------------------------------------
// Domains

fn domain_json(d: &plan_store::Domain) -> Value {
    json!({ "name": d.name, "verified": d.verified, "created": d.created })
}

pub fn domains(conn: &Connection) -> Result<Value> {
    let items: Vec<Value> = plan_store::domains(conn)?.iter().map(domain_json).collect();
    Ok(json!({ "items": items, "next_cursor": null }))
}

pub fn add_domain(store: &Store, actor: &Actor, name: &str) -> Result<Value> {
    store.write(|tx| {
        let d = plan_store::add_domain(tx, name, false)?;
        audit_plan_event(tx, actor, "domain_added", format!("domain {} added (not yet verified)", d.name))?;
        Ok(domain_json(&d))
    })
}

/// Marks a domain verified. scim-seat stands in for the application, so verification is the
/// administrator's word (there is no DNS to ask in an air-gapped lab).
pub fn verify_domain(store: &Store, actor: &Actor, name: &str) -> Result<Value> {
    let name = plan_store::normalize_domain(name)?;
    store.write(|tx| {
        if !plan_store::set_domain_verified(tx, &name)? {
            return Err(Error::not_found(format!("the domain {name} is not on the plan: add it first")));
        }
        audit_plan_event(tx, actor, "domain_verified", format!("domain {name} verified"))?;
        let d = plan_store::domains(tx)?.into_iter().find(|d| d.name == name);
        Ok(d.map(|d| domain_json(&d)).unwrap_or(Value::Null))
    })
}

pub fn remove_domain(store: &Store, actor: &Actor, name: &str) -> Result<Value> {
    let name = plan_store::normalize_domain(name)?;
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let all = plan_store::domains(tx)?;
        let Some(d) = all.iter().find(|d| d.name == name) else {
            return Err(Error::not_found(format!("the domain {name} is not on the plan")));
        };
        if plan.settings.di_enabled && d.verified && all.iter().filter(|d| d.verified).count() == 1 {
            return Err(Error::conflict(
                "last_validated_domain",
                format!(
                    "{name} is the last validated domain and Directory Integration is on, which needs one: \
                     add and verify another domain first, or turn DI off"
                ),
            ));
        }
        plan_store::remove_domain(tx, &name)?;
        audit_plan_event(tx, actor, "domain_removed", format!("domain {name} removed"))?;
        Ok(json!({ "name": name, "removed": true }))
    })
}

// ------------------------------------------------------------------------------------------------
// DI switch, preview, reconcile, sweep

fn preview_json(preview: &Preview<UserRow>, applied: bool) -> Value {
    let changes: Vec<Value> = preview
        .changes
        .iter()
        .map(|item| {
            json!({
                "user_id": item.user.id,
                "userName": item.user.user_name,
                "from": item.change.from.map(|s| s.describe()),
                "to": item.change.to.map(|s| s.describe()),
                "reason": item.change.reason.code.as_str(),
                "detail": item.change.reason.detail,
            })
        })
        .collect();
    let limited: Vec<Value> = preview
        .seat_limited
        .iter()
        .map(|u| json!({ "user_id": u.id, "userName": u.user_name, "reason": "seat_limit" }))
        .collect();
    json!({
        "changes": changes,
        "seat_limited": limited,
        "downgrades": preview.downgrades,
        "upgrades": preview.upgrades,
        "applied": applied,
    })
}

/// What the next update call of every directory-managed user would do, as if DI were on.
fn preview(conn: &Connection, plan: &Plan) -> Result<Preview<UserRow>> {
    let mut on = plan.settings.clone();
    on.di_enabled = true;
    let ctx =
        Context { settings: &on, member_seats_in_use: users::members_in_use(conn)?, now: util::now_unix() };
    let mut input = Vec::new();
    for u in users::all(conn)? {
        let held = seats::held(conn, plan, &u)?;
        let target = roles::target_seat(&held, &plan.roles);
        let state = seats::state_of(&u);
        input.push((u, state, target));
    }
    Ok(rules::preview_update_calls(input, &ctx))
}

pub fn di_status(conn: &Connection) -> Result<Value> {
    let plan = seats::plan(conn)?;
    let validated: Vec<String> =
        plan_store::domains(conn)?.into_iter().filter(|d| d.verified).map(|d| d.name).collect();
    Ok(json!({
        "enabled": plan.settings.di_enabled,
        "changed_at": plan_store::setting(conn, DI_CHANGED_AT)?,
        "validated_domains": validated,
    }))
}

pub fn di_enable(store: &Store, actor: &Actor, force: bool, dry_run: bool) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let preview = preview(tx, &plan)?;
        let mut body = preview_json(&preview, false);
        if dry_run || plan.settings.di_enabled {
            body["enabled"] = Value::Bool(plan.settings.di_enabled);
            return Ok(body);
        }
        let validated = plan_store::domains(tx)?.iter().filter(|d| d.verified).count();
        if let Err(r) = rules::check_di_enable(validated, preview.downgrades, force) {
            return Err(seats::refusal(r).with_extra(body));
        }
        plan_store::set_setting(tx, "di_enabled", "true")?;
        plan_store::set_setting(tx, DI_CHANGED_AT, &util::now_rfc3339())?;
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
        body["applied"] = Value::Bool(true);
        body["enabled"] = Value::Bool(true);
        Ok(body)
    })
}

pub fn di_disable(store: &Store, actor: &Actor) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        if plan.settings.di_enabled {
            plan_store::set_setting(tx, "di_enabled", "false")?;
            plan_store::set_setting(tx, DI_CHANGED_AT, &util::now_rfc3339())?;
            audit_plan_event(tx, actor, "di_disabled", "Directory Integration turned off".into())?;
        }
        di_status(tx)
    })
}

pub fn reconcile(store: &Store, actor: &Actor, dry_run: bool) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let preview = preview(tx, &plan)?;
        if dry_run {
            return Ok(preview_json(&preview, false));
        }
        rules::check_reconcile_apply(&plan.settings).map_err(seats::refusal)?;
        for item in &preview.changes {
            let mut u = item.user.clone();
            let outcome = rules::Outcome {
                state: item.state.clone(),
                change: Some(reconciled(&item.change)),
                events: vec![],
            };
            seats::apply(tx, actor, &mut u, &outcome)?;
            u.version += 1;
            u.last_modified = util::now_rfc3339_secs();
            users::update(tx, &u)?;
        }
        Ok(preview_json(&preview, true))
    })
}

fn reconciled(change: &Change) -> Change {
    let mut c = change.clone();
    c.reason.detail = format!("reconcile: {}", c.reason.detail);
    c
}

/// The provisional review expiry for every provisional member (the sweep).
pub fn sweep(store: &Store, actor: &Actor) -> Result<Value> {
    store.write(|tx| {
        let plan = seats::plan(tx)?;
        let ctx = context(tx, &plan)?;
        let mut changes = Vec::new();
        for mut u in users::provisional(tx)? {
            let outcome = rules::review_expiry(&seats::state_of(&u), &ctx);
            if let Some(change) = &outcome.change {
                changes.push(json!({
                    "user_id": u.id, "userName": u.user_name,
                    "from": change.from.map(|s| s.describe()), "to": change.to.map(|s| s.describe()),
                    "reason": change.reason.code.as_str(),
                }));
                seats::apply(tx, actor, &mut u, &outcome)?;
                u.version += 1;
                u.last_modified = util::now_rfc3339_secs();
                users::update(tx, &u)?;
            }
        }
        Ok(json!({ "changes": changes, "applied": true }))
    })
}

// ------------------------------------------------------------------------------------------------
// Role mappings

fn role_json(r: &RoleMapping) -> Value {
    json!({
        "name": r.name,
        "mapping_values": r.mapping_values,
        "variable_name": r.variable_name,
        "seat": r.seat.as_str(),
        "admin_rights": r.admin_rights.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
    })
}

pub fn role_mappings(conn: &Connection) -> Result<Value> {
    let plan = seats::plan(conn)?;
    let items: Vec<Value> = plan.roles.roles().iter().map(role_json).collect();
    Ok(json!({ "items": items, "role_group_prefix": plan.settings.role_group_prefix, "next_cursor": null }))
}

fn role_from_json(v: &Value) -> Result<RoleMapping> {
    let s = |k: &str| -> Result<String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::invalid_value(format!("each role needs \"{k}\" as a string")))
    };
    let list = |k: &str| -> Result<Vec<String>> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Error::invalid_value(format!("\"{k}\" must be a list of strings")))
                })
                .collect(),
            Some(_) => Err(Error::invalid_value(format!("\"{k}\" must be a list of strings"))),
        }
    };
    let seat = Seat::parse(&s("seat")?).map_err(|e| Error::invalid_value(e.to_string()))?;
    let admin_rights = list("admin_rights")?
        .iter()
        .map(|r| {
            AdminRight::parse(r).ok_or_else(|| {
                Error::invalid_value(format!(
                    "admin right \"{r}\" is not known; allowed: {}",
                    AdminRight::allowed()
                ))
            })
        })
        .collect::<Result<_>>()?;
    Ok(RoleMapping {
        name: s("name")?,
        mapping_values: list("mapping_values")?,
        variable_name: s("variable_name")?,
        seat,
        admin_rights,
    })
}

/// Replaces the role table. Not retroactive: seats move at each user's next update call.
pub fn set_role_mappings(store: &Store, actor: &Actor, body: &Value) -> Result<Value> {
    let items = body
        .get("items")
        .or(Some(body))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid_value("send {\"items\": [roles]} (the shape GET returns)"))?;
    let roles = items.iter().map(role_from_json).collect::<Result<Vec<_>>>()?;
    let table = RoleTable::new(roles).map_err(|e| Error::invalid_value(e.to_string()).with_code(e.code()))?;
    store.write(|tx| {
        plan_store::set_role_table(tx, &table)?;
        audit_plan_event(
            tx,
            actor,
            "role_mappings_changed",
            format!("role table replaced ({} roles)", table.roles().len()),
        )?;
        role_mappings(tx)
    })
}

// ------------------------------------------------------------------------------------------------
// Audit, guard, report

fn event_json(e: &Event) -> Value {
    json!({
        "id": e.id, "at": e.at, "actor": e.actor, "source": e.source, "action": e.action, "user_id": e.user_id,
        "before": { "seat": e.before_seat, "status": e.before_status },
        "after": { "seat": e.after_seat, "status": e.after_status },
        "reason": e.reason, "request_id": e.request_id,
    })
}

pub fn audit_events(
    conn: &Connection,
    user_id: Option<&str>,
    since: Option<&str>,
    cursor: Option<i64>,
    limit: Option<usize>,
) -> Result<Value> {
    let since = match since {
        Some(s) => Some(calendar::rfc3339_ms(
            calendar::parse_rfc3339(s).ok_or_else(|| {
                Error::invalid_value(format!(
                    "since must be a date or time like 2026-11-23T10:00:00Z, not \"{s}\""
                ))
            })? * 1000,
        )),
        None => None,
    };
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let events = audit::query(conn, user_id, since.as_deref(), cursor, limit + 1)?;
    let next = (events.len() > limit).then(|| events[limit - 1].id.to_string());
    let items: Vec<Value> = events.iter().take(limit).map(event_json).collect();
    Ok(json!({ "items": items, "next_cursor": next }))
}

pub fn guard_status(conn: &Connection) -> Result<Value> {
    let plan = seats::plan(conn)?;
    Ok(json!({
        "tripped": plan_store::setting(conn, GUARD_TRIPPED)?.as_deref() == Some("true"),
        "deprovisions_in_window": seats::deprovisions_in_window(conn, &plan, util::now_unix())?,
        "max": plan.settings.deprovision_guard.max,
        "window_minutes": plan.settings.deprovision_guard.window_minutes,
        "last_reset": plan_store::setting(conn, GUARD_RESET_AT)?.and_then(|s| s.parse::<i64>().ok()).map(calendar::rfc3339),
    }))
}

pub fn guard_reset(store: &Store, actor: &Actor) -> Result<Value> {
    store.write(|tx| {
        plan_store::set_setting(tx, GUARD_TRIPPED, "false")?;
        plan_store::set_setting(tx, GUARD_RESET_AT, &util::now_unix().to_string())?;
        // Deprovisions up to now stop counting; the id (not the second) marks the boundary.
        let last: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM deprovisions", [], |r| r.get(0))?;
        plan_store::set_setting(tx, GUARD_RESET_AFTER_ID, &last.to_string())?;
        audit_plan_event(
            tx,
            actor,
            "deprovision_guard_reset",
            "deprovision guard reset by an administrator".into(),
        )?;
        guard_status(tx)
    })
}

fn csv_field(s: &str) -> String {
    // Quote always; double inner quotes; neutralise spreadsheet formulas.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// The user list report (Admin Center's "User List"): one line per user.
pub fn users_csv(conn: &Connection) -> Result<String> {
    let plan = seats::plan(conn)?;
    let mut out = String::from(
        "Name,Email,Status,Seat type,Roles,Managed by DI,Division,Department,Cost Center,Last updated\r\n",
    );
    for u in users::all(conn)? {
        let held = seats::held(conn, &plan, &u)?;
        let roles: Vec<String> = held
            .iter()
            .filter_map(|h| h.role.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let seat = if plan.settings.plan_model == PlanModel::Legacy {
            if u.licensed { "Licensed".to_string() } else { "Unlicensed".to_string() }
        } else {
            u.seat
                .as_deref()
                .and_then(|s| Seat::parse(s).ok())
                .map(|s| plan.settings.seat_label(s).to_string())
                .unwrap_or_default()
        };
        let name = u.display_name.clone().unwrap_or_else(|| {
            let given = doc_str(&u.doc, &["name", "givenName"]).unwrap_or("");
            let family = doc_str(&u.doc, &["name", "familyName"]).unwrap_or("");
            format!("{given} {family}").trim().to_string()
        });
        let fields = [
            name,
            email_of(&u).unwrap_or_default(),
            if u.status == "active" { "Active".into() } else { "Deactivated".into() },
            seat,
            roles.join("; "),
            if u.managed_by_directory { "Yes".into() } else { "No".into() },
            doc_str(&u.doc, &[ENTERPRISE, "division"]).unwrap_or("").to_string(),
            doc_str(&u.doc, &[ENTERPRISE, "department"]).unwrap_or("").to_string(),
            doc_str(&u.doc, &[ENTERPRISE, "costCenter"]).unwrap_or("").to_string(),
            u.last_modified.clone(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    Ok(out)
}
