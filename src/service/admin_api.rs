//! The admin surface (`/admin/*` on the admin listener): authentication with an `admin` token and
//! the routes of SPEC section 4. Each route parses its input and calls the shared operation in
//! `service::admin` (the CLI calls the same ones). Bodies are plain JSON; errors are
//! `{"error", "detail"}`.

use crate::error::{Error, Kind, Result};
use crate::http::server::Response;
use crate::service::admin::{self, UserQuery};
use crate::service::seats::Actor;
use crate::service::{App, Ctx, Surface, Worker, json_response, query_params};
use crate::store::tokens::{self, Scope};
use serde_json::{Value, json};

pub fn route(
    app: &App,
    w: &mut Worker,
    ctx: &mut Ctx<'_>,
    segs: &[String],
) -> (&'static str, Result<Response>) {
    let method = ctx.req.method.clone();
    let rest: Vec<&str> = segs.iter().skip(1).map(String::as_str).collect();
    let name = route_name(&rest);
    let result = crate::service::auth::authenticate(app, &w.read, ctx.req, Scope::Admin).and_then(|token| {
        ctx.token = Some(token);
        dispatch(app, w, ctx, &method, &rest)
    });
    (name, result)
}

/// The route's template, for logs and metrics (never the ids themselves).
fn route_name(rest: &[&str]) -> &'static str {
    match rest {
        ["settings"] => "/admin/settings",
        ["di"] => "/admin/di",
        ["di", "enable"] => "/admin/di/enable",
        ["di", "disable"] => "/admin/di/disable",
        ["users"] => "/admin/users",
        ["users", _] => "/admin/users/{id}",
        ["users", _, "seat"] => "/admin/users/{id}/seat",
        ["users", _, "reactivate"] => "/admin/users/{id}/reactivate",
        ["users", _, "events"] => "/admin/users/{id}/events",
        ["users", _, "explain"] => "/admin/users/{id}/explain",
        ["guests"] => "/admin/guests",
        ["guests", _] => "/admin/guests/{id}",
        ["domains"] => "/admin/domains",
        ["domains", _] => "/admin/domains/{name}",
        ["domains", _, "verify"] => "/admin/domains/{name}/verify",
        ["tokens"] => "/admin/tokens",
        ["tokens", _] => "/admin/tokens/{id}",
        ["role-mappings"] => "/admin/role-mappings",
        ["reconcile"] => "/admin/reconcile",
        ["provisional", "sweep"] => "/admin/provisional/sweep",
        ["audit"] => "/admin/audit",
        ["reports", "users.csv"] => "/admin/reports/users.csv",
        ["deprovision-guard"] => "/admin/deprovision-guard",
        ["deprovision-guard", "reset"] => "/admin/deprovision-guard/reset",
        _ => "/admin/other",
    }
}

fn dispatch(app: &App, w: &Worker, ctx: &Ctx<'_>, method: &str, rest: &[&str]) -> Result<Response> {
    let actor = Actor {
        name: ctx.token.as_ref().map(|t| t.name.clone()).unwrap_or_else(|| "admin".into()),
        source: "admin",
        request_id: Some(ctx.request_id.clone()),
    };
    let store = &app.store;
    let conn = &w.read;
    let q = Query(query_params(&ctx.req.query));
    // Operators type `curl -d '{…}'` (form content type): the admin API reads any body as JSON.
    let body = || -> Result<Value> {
        if ctx.req.body.is_empty() { Ok(json!({})) } else { Ok(serde_json::from_slice(&ctx.req.body)?) }
    };
    match (method, rest) {
        ("GET", ["settings"]) => ok(admin::settings(conn)?),
        ("PATCH", ["settings"]) => ok(admin::set_settings(store, &actor, &admin::settings_pairs(&body()?)?)?),
        (_, ["settings"]) => Err(not_allowed("GET, PATCH")),

        ("GET", ["di"]) => ok(admin::di_status(conn)?),
        (_, ["di"]) => Err(not_allowed("GET")),
        ("POST", ["di", "enable"]) => {
            let b = body()?;
            ok(admin::di_enable(
                store,
                &actor,
                flag(&b, "force")?.unwrap_or(false),
                flag(&b, "dry_run")?.unwrap_or(false),
            )?)
        }
        ("POST", ["di", "disable"]) => ok(admin::di_disable(store, &actor)?),
        (_, ["di", _]) => Err(not_allowed("POST")),

        ("GET", ["users"]) => ok(admin::list_users(conn, &user_query(&q)?)?),
        (_, ["users"]) => Err(not_allowed("GET")),
        ("GET", ["users", id]) => ok(admin::user(conn, id)?),
        ("DELETE", ["users", id]) => ok(admin::remove_user(store, &actor, id, false)?),
        (_, ["users", _]) => Err(not_allowed("GET, DELETE")),
        ("PUT", ["users", id, "seat"]) => {
            let b = body()?;
            let seat = b.get("seat").and_then(Value::as_str).ok_or_else(|| {
                Error::invalid_value(
                    "send {\"seat\": \"viewer\"|\"member\"|\"no_access\"|\"provisional_member\"}",
                )
            })?;
            let reason = b.get("reason").and_then(Value::as_str);
            ok(admin::set_seat(store, &actor, id, seat, reason)?)
        }
        (_, ["users", _, "seat"]) => Err(not_allowed("PUT")),
        ("POST", ["users", id, "reactivate"]) => ok(admin::reactivate(store, &actor, id)?),
        (_, ["users", _, "reactivate"]) => Err(not_allowed("POST")),
        ("POST", ["users", id, "events"]) => {
            let b = body()?;
            let kind = b.get("type").and_then(Value::as_str).ok_or_else(|| {
                Error::invalid_value("send {\"type\": \"qualifying_action\"} or {\"type\": \"sign_in\"}")
            })?;
            ok(admin::system_event(store, &actor, id, kind)?)
        }
        (_, ["users", _, "events"]) => Err(not_allowed("POST")),
        ("GET", ["users", id, "explain"]) => ok(admin::explain(conn, id)?),
        (_, ["users", _, "explain"]) => Err(not_allowed("GET")),

        ("POST", ["guests"]) => created(admin::add_guest(store, &actor, &body()?)?),
        (_, ["guests"]) => Err(not_allowed("POST")),
        ("DELETE", ["guests", id]) => ok(admin::remove_user(store, &actor, id, true)?),
        (_, ["guests", _]) => Err(not_allowed("DELETE")),

        ("GET", ["domains"]) => ok(admin::domains(conn)?),
        ("POST", ["domains"]) => {
            let b = body()?;
            let name = b
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::invalid_value("send {\"name\": \"example.com\"}"))?;
            created(admin::add_domain(store, &actor, name)?)
        }
        (_, ["domains"]) => Err(not_allowed("GET, POST")),
        ("DELETE", ["domains", name]) => ok(admin::remove_domain(store, &actor, name)?),
        (_, ["domains", _]) => Err(not_allowed("DELETE")),
        ("POST", ["domains", name, "verify"]) => ok(admin::verify_domain(store, &actor, name)?),
        (_, ["domains", _, "verify"]) => Err(not_allowed("POST")),

        ("GET", ["tokens"]) => {
            let items: Vec<Value> = tokens::list(conn)?.iter().map(crate::app::token_json).collect();
            ok(json!({ "items": items, "next_cursor": null }))
        }
        ("POST", ["tokens"]) => create_token(app, &body()?),
        (_, ["tokens"]) => Err(not_allowed("GET, POST")),
        ("DELETE", ["tokens", id]) => ok(crate::app::token_json(&store.write(|tx| tokens::revoke(tx, id))?)),
        (_, ["tokens", _]) => Err(not_allowed("DELETE")),

        ("GET", ["role-mappings"]) => ok(admin::role_mappings(conn)?),
        ("PUT", ["role-mappings"]) => ok(admin::set_role_mappings(store, &actor, &body()?)?),
        (_, ["role-mappings"]) => Err(not_allowed("GET, PUT")),

        ("POST", ["reconcile"]) => {
            let b = body()?;
            ok(admin::reconcile(store, &actor, flag(&b, "dry_run")?.unwrap_or(true))?)
        }
        (_, ["reconcile"]) => Err(not_allowed("POST")),
        ("POST", ["provisional", "sweep"]) => ok(admin::sweep(store, &actor)?),
        (_, ["provisional", "sweep"]) => Err(not_allowed("POST")),

        ("GET", ["audit"]) => ok(admin::audit_events(
            conn,
            q.get("user_id"),
            q.get("since"),
            q.int("cursor")?,
            q.int("limit")?.map(|n| n.max(0) as usize),
        )?),
        (_, ["audit"]) => Err(not_allowed("GET")),
        ("GET", ["reports", "users.csv"]) => {
            Ok(Response::new(200, "text/csv; charset=utf-8", admin::users_csv(conn)?.into_bytes())
                .header("Content-Disposition", "attachment; filename=\"users.csv\""))
        }
        (_, ["reports", "users.csv"]) => Err(not_allowed("GET")),

        ("GET", ["deprovision-guard"]) => ok(admin::guard_status(conn)?),
        (_, ["deprovision-guard"]) => Err(not_allowed("GET")),
        ("POST", ["deprovision-guard", "reset"]) => ok(admin::guard_reset(store, &actor)?),
        (_, ["deprovision-guard", "reset"]) => Err(not_allowed("POST")),

        _ => Err(Error::not_found(format!("no admin route {method} {}", ctx.req.path))),
    }
}

struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
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

fn user_query(q: &Query) -> Result<UserQuery> {
    Ok(UserQuery {
        status: q.get("status").map(str::to_string),
        seat: q.get("seat").map(str::to_string),
        q: q.get("q").map(str::to_string),
        include_pending: q.get("include").is_some_and(|v| v.split(',').any(|p| p.trim() == "pending")),
        cursor: q.int("cursor")?,
        limit: q.int("limit")?.map(|n| n.max(0) as usize),
    })
}

/// An optional boolean field of a JSON body.
fn flag(body: &Value, key: &str) -> Result<Option<bool>> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(Error::invalid_value(format!("\"{key}\" must be true or false, not {other}"))),
    }
}

fn not_allowed(allow: &'static str) -> Error {
    Error::new(Kind::MethodNotAllowed, format!("this route accepts {allow}"))
}

fn ok(body: Value) -> Result<Response> {
    Ok(json_response(200, Surface::Admin, &body))
}

fn created(body: Value) -> Result<Response> {
    Ok(json_response(201, Surface::Admin, &body))
}

fn create_token(app: &App, body: &Value) -> Result<Response> {
    let name = body.get("name").and_then(Value::as_str).ok_or_else(|| {
        Error::invalid_value("give the token a \"name\" (a string that says what it is for)")
    })?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_value("give the token a \"scope\": \"scim\" or \"admin\""))?;
    let scope = Scope::parse(scope)?;
    let t = app.store.write(|tx| tokens::create(tx, name, scope))?;
    created(json!({ "id": t.info.id, "name": t.info.name, "scope": scope.as_str(), "token": t.token }))
}
