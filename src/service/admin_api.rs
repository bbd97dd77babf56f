//! The admin surface (`/admin/*` on the admin listener): authentication with an `admin` token and
//! the plan administrator's routes. Bodies are plain JSON; errors are `{"error", "detail"}`.

use crate::error::{Error, Kind, Result};
use crate::http::server::Response;
use crate::service::{App, Ctx, Surface, Worker, json_body, json_response};
use crate::store::tokens::{self, Scope};
use serde_json::{Value, json};

pub fn route(
    app: &App,
    w: &mut Worker,
    ctx: &mut Ctx<'_>,
    segs: &[String],
) -> (&'static str, Result<Response>) {
    let method = ctx.req.method.as_str();
    let rest: Vec<&str> = segs.iter().skip(1).map(String::as_str).collect();
    let name = match rest.as_slice() {
        ["tokens"] => "/admin/tokens",
        ["tokens", _] => "/admin/tokens/{id}",
        _ => "/admin/other",
    };
    let result = crate::service::auth::authenticate(app, &w.read, ctx.req, Scope::Admin).and_then(|token| {
        ctx.token = Some(token);
        match (method, rest.as_slice()) {
            ("GET", ["tokens"]) => list_tokens(w),
            ("POST", ["tokens"]) => create_token(app, ctx),
            ("DELETE", ["tokens", id]) => revoke_token(app, id),
            (_, ["tokens"]) => Err(not_allowed("GET, POST")),
            (_, ["tokens", _]) => Err(not_allowed("DELETE")),
            _ => Err(Error::not_found(format!("no admin route {} {}", method, ctx.req.path))),
        }
    });
    (name, result)
}

fn not_allowed(allow: &'static str) -> Error {
    Error::new(Kind::MethodNotAllowed, format!("this route accepts {allow}"))
}

fn ok(body: &Value) -> Result<Response> {
    Ok(json_response(200, Surface::Admin, body))
}

fn list_tokens(w: &Worker) -> Result<Response> {
    let items: Vec<Value> = tokens::list(&w.read)?.iter().map(crate::app::token_json).collect();
    ok(&json!({ "items": items, "next_cursor": null }))
}

fn create_token(app: &App, ctx: &Ctx<'_>) -> Result<Response> {
    let body = json_body(ctx.req)?;
    let name = body.get("name").and_then(Value::as_str).ok_or_else(|| {
        Error::invalid_value("give the token a \"name\" (a string that says what it is for)")
    })?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::invalid_value("give the token a \"scope\": \"scim\" or \"admin\""))?;
    let scope = Scope::parse(scope)?;
    let t = app.store.write(|tx| tokens::create(tx, name, scope))?;
    Ok(json_response(
        201,
        Surface::Admin,
        &json!({ "id": t.info.id, "name": t.info.name, "scope": scope.as_str(), "token": t.token }),
    ))
}

fn revoke_token(app: &App, id: &str) -> Result<Response> {
    let t = app.store.write(|tx| tokens::revoke(tx, id))?;
    ok(&crate::app::token_json(&t))
}
