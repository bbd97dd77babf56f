//! The IdP side, for labs without a cloud: `scim-seat idp sync` runs one provisioning cycle against
//! any SCIM 2.0 target (scim-seat itself, or another application's endpoint) the way Microsoft
//! Entra ID's provisioning service or Okta's SCIM client does (shared/SPEC-idp.md sections 1 and 2),
//! from a directory a person writes as CSV.
//!
//! A run: the directory is read and checked whole (a bad row stops it before anything is sent), the
//! escrow of the last cycle is loaded (`--state`), the cycle runs ([`cycle`]: connection test, users,
//! groups), the escrow is written back, and the log ends with a summary. The exit code is 1 when any
//! user or group failed or the cycle stopped.
//!
//! Its files, by concern: `directory` (the CSV), `model` (a user as the target holds it, as the
//! directory wants it, and the difference), `entra` and `okta` (each dialect's request shapes),
//! `client` (HTTP and TLS over ureq, URL encoding), `cycle` (the run, workers, escalation), `users`
//! and `groups` (the two phases), `escrow` (the state file), `log` (JSON lines, progress, summary).
//!
//! It speaks to a target only over HTTP, like a real IdP: it uses no server code (no `service`,
//! `store` or `http`), only `base`, `error`, `util` and `scim`'s protocol constants and User reader.

mod client;
mod cycle;
pub mod directory;
mod entra;
mod escrow;
mod groups;
pub mod log;
mod model;
mod okta;
mod users;

use crate::error::{Error, Result};
use std::path::PathBuf;

/// Whose provisioning traffic to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Entra,
    Okta,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Entra => "entra",
            Dialect::Okta => "okta",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dialect::Entra => "Entra ID",
            Dialect::Okta => "Okta",
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Dialect, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "entra" | "entra-id" | "entraid" | "azure" | "azuread" => Ok(Dialect::Entra),
            "okta" => Ok(Dialect::Okta),
            _ => Err(format!("unknown dialect {s:?}; allowed: entra, okta")),
        }
    }
}

/// What `idp sync` was asked to do, checked.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    pub dialect: Dialect,
    pub directory: PathBuf,
    /// The SCIM base URL, e.g. `https://scim.example.com/v2`.
    pub target: String,
    pub token: String,
    pub cacert: Option<PathBuf>,
    pub state: Option<PathBuf>,
    pub log: Option<PathBuf>,
    pub dry_run: bool,
    /// Requests in flight at once (one keep-alive connection each).
    pub connections: usize,
}

/// Runs one cycle. `Err` is a run that could not start (the directory, the state file, the target's
/// address); a cycle that ran returns its summary, failures included.
pub fn sync(cfg: &SyncConfig) -> Result<log::Summary> {
    let text = std::fs::read_to_string(&cfg.directory).map_err(|e| {
        Error::invalid_value(format!("cannot read the directory {}: {e}", cfg.directory.display()))
    })?;
    let users = directory::read(&text).map_err(|bad| {
        let lines: Vec<String> = bad.iter().map(|b| format!("  line {}: {}", b.line, b.why)).collect();
        Error::invalid_value(format!(
            "{} bad row(s) in the directory {}; nothing was sent:\n{}",
            bad.len(),
            cfg.directory.display(),
            lines.join("\n")
        ))
    })?;
    let target_url = cfg.target.trim_end_matches('/').to_string();
    let mut escrow = match &cfg.state {
        Some(path) => escrow::Escrow::load(path, cfg.dialect, &target_url)?,
        None => escrow::Escrow::empty(cfg.dialect, &target_url),
    };
    let headers: Vec<(&'static str, &'static str)> = match cfg.dialect {
        Dialect::Entra => entra::HEADERS.to_vec(),
        Dialect::Okta => okta::HEADERS.to_vec(),
    };
    let target =
        client::Target::new(&target_url, &cfg.token, cfg.cacert.as_deref(), headers, cfg.connections)?;
    if let Some(warning) = clear_text_warning(target.base()) {
        eprintln!("warning: {warning}");
    }
    let log = log::Log::open(cfg.log.as_deref(), cfg.dialect, cfg.dry_run)?;
    cycle::Cycle::new(cfg.dialect, &target, &log, cfg.connections).run(&users, &mut escrow);
    if !cfg.dry_run
        && let Some(path) = &cfg.state
    {
        escrow.save(path)?;
    }
    log.finish()
}

/// A warning for a token sent in clear text beyond this machine.
fn clear_text_warning(base: &str) -> Option<String> {
    let rest = base.get(..7).filter(|s| s.eq_ignore_ascii_case("http://")).and_then(|_| base.get(7..))?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    (!loopback)
        .then(|| format!("{base} is plain HTTP to another machine: the bearer token travels in clear text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_parse_and_clear_text_is_warned_about_off_loopback() {
        assert_eq!("Entra".parse::<Dialect>(), Ok(Dialect::Entra));
        assert_eq!(" OKTA ".parse::<Dialect>(), Ok(Dialect::Okta));
        assert!("onelogin".parse::<Dialect>().unwrap_err().contains("entra, okta"));
        assert!(clear_text_warning("http://127.0.0.1:8080/v2").is_none());
        assert!(clear_text_warning("http://[::1]:8080/v2").is_none());
        assert!(clear_text_warning("http://localhost/v2").is_none());
        assert!(clear_text_warning("https://10.0.0.5/v2").is_none());
        assert!(clear_text_warning("http://10.0.0.5:8080/v2").is_some());
    }
}
