//! Validated domains: a SCIM user's primary email must be on one (unless enforce_domains is off).

use super::sealed::Conn as _;
use super::{Read, WriteTx};
use crate::error::{Error, Result};
use crate::util;
use rusqlite::params;

#[derive(Debug, Clone)]
pub struct Domain {
    pub name: String,
    pub verified: bool,
    pub created: String,
}

/// Lowercases and checks a DNS domain name such as `example.com`.
pub fn normalize(name: &str) -> Result<String> {
    let d = name.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        });
    if !valid {
        return Err(Error::invalid_value(format!(
            "\"{name}\" is not a domain name (expected something like example.com)"
        )));
    }
    Ok(d)
}

pub fn add(tx: &WriteTx<'_>, name: &str, verified: bool) -> Result<Domain> {
    let conn = tx.conn();
    let name = normalize(name)?;
    let created = util::now_rfc3339();
    let inserted = conn.execute(
        "INSERT INTO domains (name, verified, created) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
        params![name, verified, created],
    )?;
    if inserted == 0 {
        return Err(Error::conflict("domain_exists", format!("the domain {name} is already on the plan")));
    }
    Ok(Domain { name, verified, created })
}

pub fn all(db: &impl Read) -> Result<Vec<Domain>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached("SELECT name, verified, created FROM domains ORDER BY name")?;
    let rows =
        stmt.query_map([], |r| Ok(Domain { name: r.get(0)?, verified: r.get(1)?, created: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks a domain verified; false when the domain is not on the plan.
pub fn set_verified(tx: &WriteTx<'_>, name: &str) -> Result<bool> {
    Ok(tx.conn().execute("UPDATE domains SET verified = 1 WHERE name = ?1", [name])? > 0)
}

pub fn remove(tx: &WriteTx<'_>, name: &str) -> Result<()> {
    tx.conn().execute("DELETE FROM domains WHERE name = ?1", [name])?;
    Ok(())
}

/// The names of the verified domains.
pub fn verified(db: &impl Read) -> Result<Vec<String>> {
    Ok(all(db)?.into_iter().filter(|d| d.verified).map(|d| d.name).collect())
}
