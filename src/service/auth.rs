//! Bearer authentication and the failed-authentication slowdown.
//!
//! A request's token is looked up by its id and its secret's hash compared in constant time
//! (store::tokens). The limiter slows failures only: a client address with too many failed
//! attempts in a window gets 429 with `Retry-After` for further failures until the window ends, but
//! a request with a valid token is never refused by it (so nobody behind the IdP's or the admin's
//! NAT can lock the real tokens out). Buckets are per surface and per address, an IPv6 address
//! counted by its /64 (one host may hold a whole /64). The table is bounded: when full, windows
//! that have ended are dropped first, then the oldest.

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

/// The limiter's bucket for a client on a surface: the address, or its /64 for IPv6.
pub fn bucket(surface: &str, client: &str) -> String {
    match client.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{surface} {:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(std::net::IpAddr::V6(v6)) => {
            format!("{surface} {}", v6.to_ipv4_mapped().map_or(client.to_string(), |a| a.to_string()))
        }
        _ => format!("{surface} {client}"),
    }
}

impl Limiter {
    /// Refuses a failed attempt from a bucket that is over its failure budget.
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

/// Authenticates a request for `scope`. 401 for a missing or unknown token, 403 for a token of
/// another scope, 429 for a failed attempt from a bucket over its failure budget. A valid token is
/// never refused by the limiter. An admin token also reads `/metrics` (scope `metrics`).
pub fn authenticate(
    app: &crate::service::App,
    read: &crate::store::Reader,
    req: &crate::http::server::Request,
    scope: Scope,
) -> Result<TokenInfo> {
    let surface = if scope == Scope::Scim { "scim" } else { "admin" };
    let bucket = bucket(surface, &req.client);
    let refuse = |e: Error| -> Result<TokenInfo> {
        app.auth.check(&bucket)?;
        app.auth.record_failure(&bucket);
        Err(e)
    };
    let presented = req.header("authorization").and_then(|h| {
        let (scheme, rest) = h.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
    });
    let Some(presented) = presented else {
        return refuse(Error::unauthorized("authentication required: send Authorization: Bearer <token>"));
    };
    let Some(token) = tokens::verify(read, presented)? else {
        return refuse(Error::unauthorized("the bearer token is not valid (unknown, mistyped or revoked)"));
    };
    let allowed = token.scope == scope || (scope == Scope::Metrics && token.scope == Scope::Admin);
    if !allowed {
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

#[cfg(test)]
mod tests {
    use super::bucket;

    #[test]
    fn buckets_are_per_surface_and_per_ipv6_64() {
        assert_eq!(bucket("scim", "192.0.2.7"), "scim 192.0.2.7");
        assert_ne!(bucket("scim", "192.0.2.7"), bucket("admin", "192.0.2.7"));
        assert_eq!(bucket("scim", "2001:db8:1:2:aaaa::1"), bucket("scim", "2001:db8:1:2:bbbb::9"));
        assert_ne!(bucket("scim", "2001:db8:1:2::1"), bucket("scim", "2001:db8:1:3::1"));
        assert_eq!(bucket("scim", "::ffff:192.0.2.7"), "scim 192.0.2.7");
        assert_eq!(bucket("scim", ""), "scim ");
    }
}
