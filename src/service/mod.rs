//! The only place that joins transport, protocol, rules and storage.
//!
//! [`App`] is the shared state of a serving process; [`Worker`] is the state of one worker thread
//! (its read connection). `handle_scim` and `handle_admin` are the two surfaces' entry points: they
//! authenticate, route, run the operation (one transaction per changing request), render the
//! answer or the error, log one line and count the request for /metrics.

pub mod admin;
pub mod admin_api;
pub mod auth;
pub mod metrics;
pub mod scim_api;
pub mod seats;

use crate::error::{Error, Kind, Result};
use crate::http::server::{Request, Response};
use crate::store::Store;
use crate::store::tokens::TokenInfo;
use rusqlite::Connection;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub const SCIM_JSON: &str = "application/scim+json";
pub const JSON: &str = "application/json";

/// Configuration of the serving process that handlers need.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Base path of the SCIM surface, normalised: "" or "/v2", "/scim/v2" (no trailing slash).
    pub base_path: String,
    /// The externally visible SCIM base URL (scheme, host, port, base path), for `location`s.
    pub base_url: String,
}

pub struct App {
    pub store: Store,
    pub config: ServiceConfig,
    pub auth: auth::Limiter,
    pub metrics: metrics::Metrics,
    request_prefix: String,
    request_seq: AtomicU64,
}

/// Per-worker state: a read connection and the plan (settings and role table) as last read.
pub struct Worker {
    pub read: Connection,
    plan: Option<(i64, seats::Plan)>,
}

impl Worker {
    /// The plan, re-read only when some connection (this process's writer, or a CLI on the same
    /// file) has committed since it was last read (`PRAGMA data_version`).
    /// Returns the read connection beside it, so callers can use both.
    pub fn plan(&mut self) -> Result<(&Connection, &seats::Plan)> {
        let version: i64 = self.read.query_row("PRAGMA data_version", [], |r| r.get(0))?;
        let stale = !matches!(&self.plan, Some((v, _)) if *v == version);
        if stale {
            self.plan = Some((version, seats::plan(&self.read)?));
        }
        let plan = self
            .plan
            .as_ref()
            .map(|(_, p)| p)
            .ok_or_else(|| Error::internal("the plan could not be read"))?;
        Ok((&self.read, plan))
    }
}

/// What a handler knows about the request it serves.
pub struct Ctx<'a> {
    pub req: &'a Request,
    pub token: Option<TokenInfo>,
    pub request_id: String,
}

impl App {
    pub fn new(store: Store, config: ServiceConfig) -> Result<App> {
        let mut prefix = [0u8; 4];
        crate::util::random_bytes(&mut prefix)?;
        Ok(App {
            store,
            config,
            auth: auth::Limiter::default(),
            metrics: metrics::Metrics::default(),
            request_prefix: crate::util::hex(&prefix),
            request_seq: AtomicU64::new(0),
        })
    }

    pub fn worker(&self) -> Result<Worker> {
        Ok(Worker { read: self.store.reader()?, plan: None })
    }

    fn request_id(&self) -> String {
        format!("{}-{:x}", self.request_prefix, self.request_seq.fetch_add(1, Ordering::Relaxed))
    }

    /// Entry point of the SCIM listener.
    pub fn handle_scim(&self, w: &mut Worker, req: &Request) -> Response {
        self.serve(w, req, Surface::Scim)
    }

    /// Entry point of the admin listener.
    pub fn handle_admin(&self, w: &mut Worker, req: &Request) -> Response {
        self.serve(w, req, Surface::Admin)
    }

    fn serve(&self, w: &mut Worker, req: &Request, surface: Surface) -> Response {
        let started = Instant::now();
        let mut ctx = Ctx { req, token: None, request_id: self.request_id() };
        let (route, result) = match surface {
            Surface::Scim => scim_api::route(self, w, &mut ctx),
            Surface::Admin => admin_route(self, w, &mut ctx),
        };
        let mut response = result.unwrap_or_else(|e| error_response_for(surface, &e));
        response.headers.push(("X-Request-Id", ctx.request_id.clone()));
        let elapsed = started.elapsed();
        self.metrics.observe(surface.name(), route, response.status, elapsed);
        log::info!(
            target: "scim_seat::request",
            "{} {} {} {} {}us client={} token={} request_id={}",
            surface.name(),
            req.method,
            route,
            response.status,
            elapsed.as_micros(),
            if req.client.is_empty() { "-" } else { &req.client },
            ctx.token.as_ref().map(|t| t.name.as_str()).unwrap_or("-"),
            ctx.request_id,
        );
        response
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Scim,
    Admin,
}

impl Surface {
    pub fn name(self) -> &'static str {
        match self {
            Surface::Scim => "scim",
            Surface::Admin => "admin",
        }
    }
}

/// The admin listener: `/healthz`, `/metrics`, `/admin/*`; everything else is 404.
fn admin_route(app: &App, w: &mut Worker, ctx: &mut Ctx<'_>) -> (&'static str, Result<Response>) {
    let segs = segments(&ctx.req.path);
    match segs.first().map(String::as_str) {
        Some("healthz") if segs.len() == 1 => ("/healthz", healthz(w, Surface::Admin)),
        Some("metrics") if segs.len() == 1 => ("/metrics", app.metrics_response(w)),
        Some("admin") => admin_api::route(app, w, ctx, &segs),
        _ => ("other", Err(Error::not_found(format!("no admin route {}", ctx.req.path)))),
    }
}

/// `GET /healthz`: ok when the database answers.
pub fn healthz(w: &Worker, surface: Surface) -> Result<Response> {
    let ok: i64 = w.read.query_row("SELECT 1", [], |r| r.get(0))?;
    let body = serde_json::json!({ "status": if ok == 1 { "ok" } else { "degraded" } });
    Ok(json_response(200, surface, &body))
}

impl App {
    fn metrics_response(&self, w: &Worker) -> Result<Response> {
        let text = self.metrics.render(&w.read)?;
        Ok(Response::new(200, "text/plain; version=0.0.4", text.into_bytes()))
    }
}

/// Path segments, percent-decoded, with empty segments (doubled or trailing slashes) dropped.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s, false)).collect()
}

/// Decodes %XX escapes (and `+` as space when `plus_is_space`); invalid escapes stay as written.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hexval = |c: u8| (c as char).to_digit(16);
                match (hexval(b[i + 1]), hexval(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Query parameters, decoded (`+` is a space: Entra sends `filter=userName+eq+%22…%22`).
pub fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k, true), percent_decode(v, true)),
            None => (percent_decode(p, true), String::new()),
        })
        .collect()
}

pub fn json_response(status: u16, surface: Surface, body: &serde_json::Value) -> Response {
    let ctype = match surface {
        Surface::Scim => SCIM_JSON,
        Surface::Admin => JSON,
    };
    Response::new(status, ctype, body.to_string().into_bytes())
}

/// The error answer in the shape of the surface the request came to.
pub fn error_response_for(surface: Surface, e: &Error) -> Response {
    if e.kind == Kind::Internal {
        log::error!("internal error: {}", e.detail);
    }
    let mut r = match surface {
        Surface::Scim => json_response(e.status(), surface, &e.scim_body()),
        Surface::Admin => json_response(e.status(), surface, &e.admin_body()),
    };
    if e.kind == Kind::Unauthorized {
        r = r.header("WWW-Authenticate", "Bearer realm=\"scim-seat\"");
    }
    if let Some(secs) = e.retry_after {
        r = r.header("Retry-After", secs.to_string());
    }
    r
}

/// For the transport layer, which does not know the surface: the path tells.
pub fn error_response(req: &Request, e: &Error) -> Response {
    let surface = if req.path.starts_with("/admin") { Surface::Admin } else { Surface::Scim };
    error_response_for(surface, e)
}

/// Parses a JSON request body; bad JSON is 400 invalidSyntax.
pub fn json_body(req: &Request) -> Result<serde_json::Value> {
    if req.body.is_empty() {
        return Err(Error::invalid_syntax("the request needs a JSON body"));
    }
    if let Some(ct) = req.header("content-type") {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if !(media == "application/json" || media == "application/scim+json" || media.is_empty()) {
            return Err(Error::new(
                Kind::UnsupportedMediaType,
                format!(
                    "Content-Type \"{ct}\" is not accepted: send application/scim+json or application/json"
                ),
            ));
        }
    }
    let v: serde_json::Value = serde_json::from_slice(&req.body)?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_queries_like_entra_and_okta() {
        let p = query_params("filter=userName+eq+%22a%40b.c%22&startIndex=1");
        assert_eq!(p[0], ("filter".into(), "userName eq \"a@b.c\"".into()));
        let p = query_params("filter=userName%20eq%20%22test.user%40okta.local%22&count=100");
        assert_eq!(p[0].1, "userName eq \"test.user@okta.local\"");
        assert_eq!(percent_decode("%zz%4", false), "%zz%4");
        assert_eq!(percent_decode("%", false), "%");
    }

    #[test]
    fn segments_drop_empty_parts() {
        assert_eq!(segments("/v2//Users/"), vec!["v2", "Users"]);
        assert_eq!(segments("/v2/Schemas/urn%3Aietf"), vec!["v2", "Schemas", "urn:ietf"]);
    }
}
