//! Bearer authentication and the failed-authentication slowdown.
//!
//! A request's token is looked up by its id and its secret's hash compared in constant time
//! (store::tokens). A client address with too many failures in a window gets 429 with
//! `Retry-After` until the window ends, without affecting other addresses. The limiter's table is
//! bounded: when full, windows that have ended are dropped first, then the oldest.

use crate::error::{Error, Result};
use crate::store::tokens::{self, Scope, TokenInfo};
use crate::util;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed attempts allowed per client address per window.
pub const MAX_FAILURES: u32 = 10;
/// The window in which failures are counted; also the longest a client is slowed.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Addresses tracked at once.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
pub struct Limiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Limiter {
    /// Refuses a client that is over its failure budget.
    fn check(&self, client: &str) -> Result<()> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((count, start)) = map.get(client) {
            let elapsed = start.elapsed();
            if *count >= MAX_FAILURES && elapsed < FAILURE_WINDOW {
                let wait = (FAILURE_WINDOW - elapsed).as_secs().max(1);
                return Err(Error::too_many_requests(
                    "auth_throttled",
                    wait,
                    format!("too many failed authentications from this address; retry in {wait} s"),
                ));
            }
        }
        Ok(())
    }

    fn record_failure(&self, client: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_TRACKED && !map.contains_key(client) {
            map.retain(|_, (_, start)| start.elapsed() < FAILURE_WINDOW);
            if map.len() >= MAX_TRACKED
                && let Some(oldest) = map.iter().min_by_key(|(_, (_, s))| *s).map(|(k, _)| k.clone())
            {
                map.remove(&oldest);
            }
        }
        let entry = map.entry(client.to_string()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= FAILURE_WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

/// Authenticates a request for `scope`. 401 for a missing or unknown token, 403 for a token of the
/// other scope, 429 for an address over its failure budget.
pub fn authenticate(
    app: &crate::service::App,
    read: &crate::store::Reader,
    req: &crate::http::server::Request,
    scope: Scope,
) -> Result<TokenInfo> {
    app.auth.check(&req.client)?;
    let presented = req.header("authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
    });
    let Some(presented) = presented else {
        app.auth.record_failure(&req.client);
        return Err(Error::unauthorized("authentication required: send Authorization: Bearer <token>"));
    };
    let Some(token) = tokens::verify(read, presented)? else {
        app.auth.record_failure(&req.client);
        return Err(Error::unauthorized("the bearer token is not valid (unknown, mistyped or revoked)"));
    };
    if token.scope != scope {
        return Err(Error::forbidden(
            "wrong_scope",
            format!(
                "token \"{}\" has scope {}; this surface needs a token of scope {}",
                token.name,
                token.scope.as_str(),
                scope.as_str()
            ),
        ));
    }
    let now = util::now_rfc3339();
    if tokens::needs_touch(&token, &now) {
        let id = token.id.clone();
        // Best effort: a busy writer must not fail the request.
        if let Err(e) = app.store.write(|tx| tokens::touch(tx, &id, &now)) {
            log::debug!("could not record token use: {e}");
        }
    }
    Ok(token)
}
