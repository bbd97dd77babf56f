//! The only place that joins transport, protocol, rules and storage.
//!
//! [`App`] is the shared state of a serving process; [`Worker`] is the state of one worker thread
//! (its read connection). `handle_scim` and `handle_admin` are the two surfaces' entry points: they
//! authenticate, route, run the operation (one transaction per changing request), render the
//! answer or the error, log one line and count the request for /metrics.

pub mod admin;
pub mod admin_api;
pub mod auth;
pub mod console;
pub mod metrics;
pub mod plan;
pub mod progress;
pub mod routes;
pub mod scim_api;
pub mod seats;
pub mod views;

use crate::error::{Error, Kind, Result};
use crate::http::Surface;
use crate::http::server::{Request, Response};
use crate::store::tokens::TokenInfo;
use crate::store::{Reader, Store};
use routes::{Call, Found, Route};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Configuration of the serving process that handlers need.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Base path of the SCIM surface, normalised: "" or "/v2", "/scim/v2" (no trailing slash).
    pub base_path: String,
    /// The externally visible SCIM base URL (scheme, host, port, base path), for `location`s.
    pub base_url: String,
    /// How long a filter no index serves may scan before it is answered 400 `tooMany`.
    pub scan_timeout: std::time::Duration,
}

pub struct App {
    pub store: Store,
    pub config: ServiceConfig,
    pub auth: auth::Limiter,
    pub metrics: metrics::Metrics,
    /// The edge's counters of each listener (accepts, refusals, TLS failures, timeouts), for /metrics.
    pub edges: Vec<(Surface, std::sync::Arc<crate::http::edge::EdgeStats>)>,
    request_prefix: String,
    request_seq: AtomicU64,
}

/// Per-worker state: a read connection and the plan (settings and role table) as last read.
pub struct Worker {
    pub read: Reader,
    plan: Option<(i64, plan::Plan)>,
}

impl Worker {
    /// The plan, re-read only when some connection (this process's writer, or a CLI on the same
    /// file) has committed since it was last read (`PRAGMA data_version`).
    /// Returns the read connection beside it, so callers can use both.
    pub fn plan(&mut self) -> Result<(&Reader, &plan::Plan)> {
        let version = self.read.data_version()?;
        let stale = !matches!(&self.plan, Some((v, _)) if *v == version);
        if stale {
            self.plan = Some((version, plan::Plan::load(&self.read)?));
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
    pub fn new(
        store: Store,
        config: ServiceConfig,
        edges: Vec<(Surface, std::sync::Arc<crate::http::edge::EdgeStats>)>,
    ) -> Result<App> {
        let mut prefix = [0u8; 4];
        crate::util::random_bytes(&mut prefix)?;
        Ok(App {
            store,
            config,
            auth: auth::Limiter::default(),
            metrics: metrics::Metrics::default(),
            edges,
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

    /// Entry point of both listeners: routes through the surface's table, authenticates, runs the
    /// handler, renders the answer or the error, logs one line and counts the request.
    pub fn handle(&self, w: &mut Worker, req: &Request, surface: Surface) -> Response {
        let started = Instant::now();
        if req.path.starts_with("/admin/") && crate::fault::hit("slow_request") {
            // A slow request (say, a report on a huge plan), for the watchdog tests.
            std::thread::sleep(std::time::Duration::from_secs(2));
        }
        let mut ctx = Ctx { req, token: None, request_id: self.request_id() };
        let dispatched = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match surface {
            Surface::Scim => scim_api::dispatch(self, w, &mut ctx),
            Surface::Admin => admin_api::dispatch(self, w, &mut ctx),
        }));
        // A read snapshot a handler began ends with its request, however the handler ended.
        w.read.end_snapshot();
        let (route, result) = dispatched.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let mut response = result.unwrap_or_else(|e| Response::error(surface, &e));
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

    /// Runs the row of `table` that `segments` and the method select: authenticates when the row
    /// needs a scope, answers 405 with the `Allow` list when only the method is wrong. Returns the
    /// route's name (its pattern) beside the answer; `None` when no pattern matched.
    fn run(
        &self,
        w: &mut Worker,
        ctx: &mut Ctx<'_>,
        table: &'static [Route],
        segments: &[String],
        fold: bool,
    ) -> Option<(&'static str, Result<Response>)> {
        let (route, params) = match routes::find(table, &ctx.req.method, segments, fold) {
            Found::NotFound => return None,
            Found::WrongMethod { pattern, allow, scope } => {
                let result = match scope {
                    Some(scope) => self.authenticate(w, ctx, scope).and(Err(routes::wrong_method(allow))),
                    None => Err(routes::wrong_method(allow)),
                };
                return Some((pattern, result));
            }
            Found::Route(route, params) => (route, params),
        };
        let result = match route.scope {
            Some(scope) => self.authenticate(w, ctx, scope),
            None => Ok(()),
        }
        .and_then(|()| (route.handler)(&mut Call { app: self, w, ctx, params }));
        Some((route.pattern, result))
    }

    fn authenticate(&self, w: &Worker, ctx: &mut Ctx<'_>, scope: crate::store::tokens::Scope) -> Result<()> {
        ctx.token = Some(auth::authenticate(self, &w.read, ctx.req, scope)?);
        Ok(())
    }
}

/// `GET /healthz`: ok when the database answers.
pub fn healthz(call: &mut Call<'_, '_>, surface: Surface) -> Result<Response> {
    call.w.read.ping()?;
    Ok(Response::json(200, surface, &serde_json::json!({ "status": "ok" })))
}

/// Path segments, percent-decoded, with empty segments (doubled or trailing slashes) dropped.
pub fn segments(path: &str) -> Vec<String> {
    path.split('/').filter(|s| !s.is_empty()).map(|s| percent_decode(s, false)).collect()
}

/// Decodes %XX escapes (and `+` as space when `plus_is_space`); invalid escapes stay as written.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let b = s.as_bytes();
    if !b.iter().any(|c| *c == b'%' || (plus_is_space && *c == b'+')) {
        return s.to_string();
    }
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
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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

/// Parses a JSON request body; bad JSON is 400 invalidSyntax.
pub fn json_body(req: &Request) -> Result<serde_json::Value> {
    Ok(serde_json::from_slice(body_text(req)?)?)
}

/// A request's JSON body as sent, for readers that take only what they need from it (member lists):
/// 400 when there is none, 415 when it is declared as something other than JSON.
pub fn body_text(req: &Request) -> Result<&[u8]> {
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
    Ok(&req.body)
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
        // Nothing to decode: the text as it is; `+` is a space only in a query.
        assert_eq!(percent_decode("a+b", false), "a+b");
        assert_eq!(percent_decode("a+b", true), "a b");
        // Bytes that are not UTF-8 become U+FFFD, the rest stays.
        assert_eq!(percent_decode("%FFok%C3%A9", false), "\u{FFFD}oké");
    }

    #[test]
    fn segments_drop_empty_parts() {
        assert_eq!(segments("/v2//Users/"), vec!["v2", "Users"]);
        assert_eq!(segments("/v2/Schemas/urn%3Aietf"), vec!["v2", "Schemas", "urn:ietf"]);
    }
}
