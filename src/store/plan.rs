//! Plan state: settings (key/value text rows) and validated domains.

use crate::domain::roles::{AdminRight, RoleMapping, RoleTable};
use crate::domain::seats::Seat;
use crate::error::{Error, Result};
use crate::util;
use rusqlite::{Connection, OptionalExtension, params};

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn set_setting(conn: &Connection, key: &str, value: &str) -> Result<()> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        params![key, value],
    )?;
    Ok(())
}

pub fn all_settings(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether `init` has run on this database.
pub fn is_initialised(conn: &Connection) -> Result<bool> {
    Ok(setting(conn, "state.initialised_at")?.is_some())
}

#[derive(Debug, Clone)]
pub struct Domain {
    pub name: String,
    pub verified: bool,
    pub created: String,
}

/// Lowercases and checks a DNS domain name such as `example.com`.
pub fn normalize_domain(name: &str) -> Result<String> {
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

pub fn add_domain(conn: &Connection, name: &str, verified: bool) -> Result<Domain> {
    let name = normalize_domain(name)?;
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

pub fn domains(conn: &Connection) -> Result<Vec<Domain>> {
    let mut stmt = conn.prepare_cached("SELECT name, verified, created FROM domains ORDER BY name")?;
    let rows =
        stmt.query_map([], |r| Ok(Domain { name: r.get(0)?, verified: r.get(1)?, created: r.get(2)? }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The edited role table, or `None` while the defaults are in force.
pub fn role_table(conn: &Connection) -> Result<Option<RoleTable>> {
    let mut stmt = conn.prepare_cached(
        "SELECT name, mapping_values, variable_name, seat, admin_rights FROM role_mappings ORDER BY position",
    )?;
    let rows: Vec<(String, String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.is_empty() {
        return Ok(None);
    }
    let corrupt = |what: &str| Error::internal(format!("the stored role table is not valid: {what}"));
    let mut roles = Vec::with_capacity(rows.len());
    for (name, values, variable_name, seat, rights) in rows {
        let mapping_values: Vec<String> = serde_json::from_str(&values).map_err(|_| corrupt(&name))?;
        let rights: Vec<String> = serde_json::from_str(&rights).map_err(|_| corrupt(&name))?;
        let admin_rights =
            rights.iter().map(|r| AdminRight::parse(r).ok_or_else(|| corrupt(r))).collect::<Result<_>>()?;
        let seat = Seat::parse(&seat).map_err(|_| corrupt(&seat))?;
        roles.push(RoleMapping { name, mapping_values, variable_name, seat, admin_rights });
    }
    RoleTable::new(roles).map(Some).map_err(|e| corrupt(&e.to_string()))
}

/// Replaces the role table.
pub fn set_role_table(conn: &Connection, table: &RoleTable) -> Result<()> {
    conn.execute("DELETE FROM role_mappings", [])?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO role_mappings (name, mapping_values, variable_name, seat, admin_rights, position) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (i, r) in table.roles().iter().enumerate() {
        let rights: Vec<&str> = r.admin_rights.iter().map(|a| a.as_str()).collect();
        stmt.execute(params![
            r.name,
            serde_json::Value::from(r.mapping_values.clone()).to_string(),
            r.variable_name,
            r.seat.as_str(),
            serde_json::Value::from(rights).to_string(),
            i as i64
        ])?;
    }
    Ok(())
}

/// Marks a domain verified; false when the domain is not on the plan.
pub fn set_domain_verified(conn: &Connection, name: &str) -> Result<bool> {
    Ok(conn.execute("UPDATE domains SET verified = 1 WHERE name = ?1", [name])? > 0)
}

pub fn remove_domain(conn: &Connection, name: &str) -> Result<()> {
    conn.execute("DELETE FROM domains WHERE name = ?1", [name])?;
    Ok(())
}
