//! The admin listener: `/healthz`, `/metrics`, the `/admin/*` routes of SPEC section 4 and the
//! console's files (`/`, `/console/{file}`, see `service::console`), declared once in [`ROUTES`]. Each handler parses its input into types (seats, statuses, scopes, settings)
//! and calls the shared use case in `service::admin` (the CLI calls the same ones). Bodies are plain
//! JSON; errors are `{"error", "detail"}`.
//!
//! Adding a route: one row in [`ROUTES`] and its handler below.

use crate::domain::seats::{Seat, Status};
use crate::error::{Error, Result};
use crate::http::Surface;
use crate::http::server::Response;
use crate::scim::resource::PlanUserFields;
use crate::service::admin::{self, users::NewPlanUser, users::SystemEvent, users::UserQuery};
use crate::service::console;
use crate::service::routes::{Call, Route};
use crate::service::seats::Actor;
use crate::service::views::{self, View};
use crate::service::{App, Ctx, Worker, healthz, query_params, segments};
use crate::store::tokens::Scope;
use serde_json::{Value, json};

const ADMIN: Option<Scope> = Some(Scope::Admin);

macro_rules! routes {
    ($($method:literal $pattern:literal $scope:expr => $handler:expr;)+) => {
        &[$(Route { method: $method, pattern: $pattern, scope: $scope, handler: $handler }),+]
    };
}

/// Every route of the admin listener.
pub const ROUTES: &[Route] = routes! {
    "GET" "/healthz" None => |c| healthz(c, Surface::Admin);
    // The console's page and files: open, since they hold no data (every datum comes from the API).
    "GET" "/" None => console::index;
    "GET" "/console" None => console::index;
    "GET" "/console/{file}" None => console::file;
    "GET" "/metrics" Some(Scope::Metrics) => |c| Ok(Response::new(
        200,
        "text/plain; version=0.0.4",
        c.app.metrics.render(&c.w.read, &c.app.edges)?.into_bytes(),
    ));
    "GET" "/admin/settings" ADMIN => |c| ok(&admin::settings::get(&c.w.read)?);
    "PATCH" "/admin/settings" ADMIN => patch_settings;
    "GET" "/admin/di" ADMIN => |c| ok(&admin::di::status(&c.w.read)?);
    "POST" "/admin/di/enable" ADMIN => di_enable;
    "POST" "/admin/di/disable" ADMIN => |c| ok(&admin::di::disable(&c.app.store, &actor(c))?);
    "GET" "/admin/users" ADMIN => |c| ok(&admin::users::list(&c.w.read, &user_query(c)?)?);
    "POST" "/admin/users" ADMIN => add_user;
    "POST" "/admin/users/import" ADMIN => import_users;
    "GET" "/admin/users/{id}" ADMIN => |c| ok(&admin::users::get(&c.w.read, c.param(0))?);
    "DELETE" "/admin/users/{id}" ADMIN => |c| ok(&admin::users::remove(&c.app.store, &actor(c), c.param(0), false)?);
    "PUT" "/admin/users/{id}/seat" ADMIN => set_seat;
    "POST" "/admin/users/{id}/reactivate" ADMIN => |c| ok(&admin::users::reactivate(&c.app.store, &actor(c), c.param(0))?);
    "POST" "/admin/users/{id}/events" ADMIN => system_event;
    "GET" "/admin/users/{id}/explain" ADMIN => |c| ok(&admin::users::explain(&c.w.read, c.param(0))?);
    "POST" "/admin/guests" ADMIN => add_guest;
    "DELETE" "/admin/guests/{id}" ADMIN => |c| ok(&admin::users::remove(&c.app.store, &actor(c), c.param(0), true)?);
    "GET" "/admin/domains" ADMIN => |c| ok(&admin::domains::list(&c.w.read)?);
    "POST" "/admin/domains" ADMIN => add_domain;
    "DELETE" "/admin/domains/{name}" ADMIN => |c| ok(&admin::domains::remove(&c.app.store, &actor(c), c.param(0))?);
    "POST" "/admin/domains/{name}/verify" ADMIN => |c| ok(&admin::domains::verify(&c.app.store, &actor(c), c.param(0))?);
    "GET" "/admin/tokens" ADMIN => |c| ok(&admin::tokens::list(&c.w.read)?);
    "POST" "/admin/tokens" ADMIN => create_token;
    "DELETE" "/admin/tokens/{id}" ADMIN => |c| ok(&admin::tokens::revoke(&c.app.store, &actor(c), c.param(0))?);
    "GET" "/admin/role-mappings" ADMIN => |c| ok(&admin::roles::get(&c.w.read)?);
    "PUT" "/admin/role-mappings" ADMIN => |c| ok(&admin::roles::set(&c.app.store, &actor(c), &admin::roles::parse(&body(c)?)?)?);
    "POST" "/admin/reconcile" ADMIN => |c| {
        let dry_run = flag(&body(c)?, "dry_run")?.unwrap_or(true);
        ok(&admin::reconcile::reconcile(&c.app.store, &actor(c), dry_run)?)
    };
    "POST" "/admin/provisional/sweep" ADMIN => |c| ok(&admin::reconcile::sweep(&c.app.store, &actor(c))?);
    "GET" "/admin/audit" ADMIN => audit;
    "GET" "/admin/reports/users.csv" ADMIN => |c| {
        let report = admin::reports::UserList::new(c.app.store.reader()?)?;
        Ok(Response::stream("text/csv; charset=utf-8", Box::new(report))
            .header("Content-Disposition", "attachment; filename=\"users.csv\""))
    };
    "GET" "/admin/reports/drift" ADMIN => |c| {
        let format = match Query::of(c).get("format") {
            None | Some("json") => admin::reports::DriftFormat::Json,
            Some("csv") => admin::reports::DriftFormat::Csv,
            Some(other) => return Err(Error::invalid_value(format!("format must be json or csv, not \"{other}\""))),
        };
        let report = Box::new(admin::reports::DriftText::new(c.app.store.reader()?, format)?);
        Ok(match format {
            admin::reports::DriftFormat::Json => Response::stream("application/json", report),
            admin::reports::DriftFormat::Csv => Response::stream("text/csv; charset=utf-8", report)
                .header("Content-Disposition", "attachment; filename=\"drift.csv\""),
        })
    };
    "GET" "/admin/operations" ADMIN => |_| ok(&views::OperationsView { items: crate::service::progress::running() });
    "GET" "/admin/deprovision-guard" ADMIN => |c| ok(&admin::guard::status(&c.w.read)?);
    "POST" "/admin/deprovision-guard/reset" ADMIN => |c| ok(&admin::guard::reset(&c.app.store, &actor(c))?);
};

/// Routes a request of the admin listener. An unknown path under `/admin` still needs an admin
/// token, so the API's shape is not shown to strangers.
pub fn dispatch(app: &App, w: &mut Worker, ctx: &mut Ctx<'_>) -> (&'static str, Result<Response>) {
    let segs = segments(&ctx.req.path);
    if let Some(found) = app.run(w, ctx, ROUTES, &segs, false) {
        return found;
    }
    let not_found = Error::not_found(format!("no admin route {} {}", ctx.req.method, ctx.req.path));
    if segs.first().is_some_and(|s| s == "admin") {
        let checked = crate::service::auth::authenticate(app, &w.read, ctx.req, Scope::Admin);
        return ("/admin/other", checked.and(Err(not_found)));
    }
    ("other", Err(not_found))
}

fn actor(c: &Call<'_, '_>) -> Actor {
    Actor {
        name: c.ctx.token.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "admin".into()),
        source: "admin",
        request_id: Some(c.ctx.request_id.clone()),
    }
}

/// The body as JSON; operators type `curl -d '{…}'` (a form content type), so any content type is
/// read as JSON, and an empty body is `{}`.
fn body(c: &Call<'_, '_>) -> Result<Value> {
    if c.ctx.req.body.is_empty() { Ok(json!({})) } else { Ok(serde_json::from_slice(&c.ctx.req.body)?) }
}

fn ok(view: &impl View) -> Result<Response> {
    Ok(Response::json(200, Surface::Admin, &view.json()))
}

fn created(view: &impl View) -> Result<Response> {
    Ok(Response::json(201, Surface::Admin, &view.json()))
}

/// An optional boolean field of a JSON body.
fn flag(body: &Value, key: &str) -> Result<Option<bool>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Error::invalid_value(format!("\"{key}\" must be true or false, not {other}"))),
    }
}

/// A required string field of a JSON body, with the advice to give when it is missing.
fn text<'b>(body: &'b Value, key: &str, advice: &str) -> Result<&'b str> {
    body.get(key).and_then(Value::as_str).ok_or_else(|| Error::invalid_value(advice.to_string()))
}

struct Query(Vec<(String, String)>);

impl Query {
    fn of(c: &Call<'_, '_>) -> Query {
        Query(query_params(&c.ctx.req.query))
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
    /// A boolean query parameter, false when absent.
    fn flag(&self, key: &str) -> Result<bool> {
        match self.get(key) {
            None => Ok(false),
            Some(v) => crate::base::text::parse_bool(v)
                .ok_or_else(|| Error::invalid_value(format!("{key} must be true or false, not \"{v}\""))),
        }
    }
    fn int(&self, key: &str) -> Result<Option<i64>> {
        self.get(key)
            .map(|v| {
                v.parse::<i64>()
                    .map_err(|_| Error::invalid_value(format!("{key} must be an integer, not \"{v}\"")))
            })
            .transpose()
    }
}

/// The user list's filters, parsed into their types with the same aliases and case rules as the CLI.
fn user_query(c: &Call<'_, '_>) -> Result<UserQuery> {
    let q = Query::of(c);
    Ok(UserQuery {
        status: q
            .get("status")
            .map(|s| {
                Status::parse(s).ok_or_else(|| {
                    Error::invalid_value(format!("status must be one of {}, not \"{s}\"", Status::allowed()))
                })
            })
            .transpose()?,
        seat: q
            .get("seat")
            .map(|s| Seat::parse(s).map_err(|e| Error::invalid_value(e.to_string())))
            .transpose()?,
        q: q.get("q").map(str::to_string),
        managed: match q.get("managed") {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(Error::invalid_value(format!("managed must be true or false, not \"{other}\"")));
            }
        },
        include_pending: q.get("include").is_some_and(|v| v.split(',').any(|p| p.trim() == "pending")),
        cursor: q.int("cursor")?,
        limit: q.int("limit")?.map(|n| n.max(0) as usize),
    })
}

fn di_enable(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let (force, dry_run) = (flag(&b, "force")?.unwrap_or(false), flag(&b, "dry_run")?.unwrap_or(false));
    ok(&admin::di::enable(&c.app.store, &actor(c), force, dry_run)?)
}

fn set_seat(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let seat =
        text(&b, "seat", "send {\"seat\": \"viewer\"|\"member\"|\"no_access\"|\"provisional_member\"}")?;
    let seat = Seat::parse(seat).map_err(|e| Error::invalid_value(e.to_string()))?;
    let reason = b.get("reason").and_then(Value::as_str);
    ok(&admin::users::set_seat(&c.app.store, &actor(c), c.param(0), seat, reason)?)
}

fn system_event(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let kind = text(&b, "type", "send {\"type\": \"qualifying_action\"} or {\"type\": \"sign_in\"}")?;
    ok(&admin::users::system_event(&c.app.store, &actor(c), c.param(0), SystemEvent::parse(kind)?)?)
}

fn add_guest(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let email = b.get("email").or_else(|| b.get("userName")).and_then(Value::as_str).unwrap_or("");
    let display = b.get("displayName").and_then(Value::as_str);
    let force = flag(&b, "force")?.unwrap_or(false);
    created(&admin::users::add_guest(&c.app.store, &actor(c), email, display, force)?)
}

fn add_domain(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let name = text(&b, "name", "send {\"name\": \"example.com\"}")?;
    created(&admin::domains::add(&c.app.store, &actor(c), name)?)
}

fn create_token(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let name = text(&b, "name", "give the token a \"name\" (a string that says what it is for)")?;
    let scope = Scope::parse(text(&b, "scope", "give the token a \"scope\": \"scim\" or \"admin\"")?)?;
    created(&admin::tokens::create(&c.app.store, &actor(c), name, scope)?)
}

fn audit(c: &mut Call<'_, '_>) -> Result<Response> {
    let q = Query::of(c);
    ok(&admin::audit::events(
        &c.w.read,
        q.get("user_id"),
        q.get("since"),
        q.int("cursor")?,
        q.int("limit")?.map(|n| n.max(0) as usize),
    )?)
}

fn add_user(c: &mut Call<'_, '_>) -> Result<Response> {
    let b = body(c)?;
    let user_name = text(&b, "userName", "send {\"userName\": \"ada@example.com\", \"seat\": \"member\"}")?;
    let seat = text(&b, "seat", "send the plan user's \"seat\": \"viewer\", \"member\" or \"no_access\"")?;
    let seat = Seat::parse(seat).map_err(|e| Error::invalid_value(e.to_string()))?;
    let opt = |v: Option<&Value>, key: &str| -> Result<Option<String>> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(Error::invalid_value(format!("\"{key}\" must be a string, not {other}"))),
        }
    };
    let name = b.get("name");
    let fields = PlanUserFields {
        user_name: user_name.to_string(),
        display_name: opt(b.get("displayName"), "displayName")?,
        given_name: opt(name.and_then(|n| n.get("givenName")), "name.givenName")?,
        family_name: opt(name.and_then(|n| n.get("familyName")), "name.familyName")?,
        email: opt(b.get("email"), "email")?,
        division: opt(b.get("division"), "division")?,
        department: opt(b.get("department"), "department")?,
        cost_center: opt(b.get("costCenter"), "costCenter")?,
    };
    let new = NewPlanUser { fields, seat, deactivated: false };
    created(&admin::users::add(&c.app.store, &actor(c), &new)?)
}

/// `POST /admin/users/import`: a user list CSV as the body (`text/csv`); `?dry_run=true` only checks.
fn import_users(c: &mut Call<'_, '_>) -> Result<Response> {
    let text = std::str::from_utf8(&c.ctx.req.body)
        .map_err(|_| Error::invalid_value("the CSV must be UTF-8 text (as `report users` writes it)"))?;
    let dry_run = Query::of(c).flag("dry_run")?;
    let report = admin::import::import(&c.app.store, &actor(c), text, dry_run, &mut |_, _| {})?;
    if report.applied { created(&report) } else { ok(&report) }
}

/// `PATCH /admin/settings[?force=true][&dry_run=true]`.
fn patch_settings(c: &mut Call<'_, '_>) -> Result<Response> {
    let q = Query::of(c);
    let (force, dry_run) = (q.flag("force")?, q.flag("dry_run")?);
    let changes = views::settings_patch(&body(c)?)?;
    match admin::settings::set(&c.app.store, &actor(c), &changes, force, dry_run)? {
        admin::settings::Changed::Settings(v) => ok(&v),
        admin::settings::Changed::Preview(v) => ok(&v),
    }
}
