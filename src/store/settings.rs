//! Plan settings, typed: one row per key in a STRICT table whose `value` keeps the type the key
//! takes (booleans as 0/1, numbers as integers, text as text, NULL for none), and the role table.

use super::sealed::Conn as _;
use super::{Read, WriteTx, sql};
use crate::domain::roles::{AdminRight, RoleMapping, RoleTable};
use crate::domain::seats::{Seat, SettingKey, SettingValue, Settings};
use crate::error::{Error, Result};
use rusqlite::params;

/// The plan's settings: the defaults with every stored value applied.
pub fn settings(db: &impl Read) -> Result<Settings> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached("SELECT key, value FROM settings")?;
    let mut rows = stmt.query([])?;
    let mut values = Vec::new();
    while let Some(row) = rows.next()? {
        let key: String = row.get(0)?;
        let key = SettingKey::parse(&key)
            .ok_or_else(|| Error::internal(format!("the database holds an unknown setting {key:?}")))?;
        let value = sql::setting_value(key.value_type(), row.get_ref(1)?)
            .map_err(|e| Error::internal(format!("the stored setting {key} is not valid: {e}")))?;
        values.push((key, value));
    }
    Settings::from_values(values).map_err(|e| Error::internal(format!("stored settings are not valid: {e}")))
}

/// Stores one setting's value.
pub fn set(tx: &WriteTx<'_>, key: SettingKey, value: &SettingValue) -> Result<()> {
    tx.conn()
        .prepare_cached(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = ?2",
        )?
        .execute(params![key.as_str(), value])?;
    Ok(())
}

/// The edited role table, or `None` while the defaults are in force.
pub fn role_table(db: &impl Read) -> Result<Option<RoleTable>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT name, mapping_values, variable_name, seat, admin_rights FROM role_mappings ORDER BY position",
    )?;
    let rows: Vec<(String, String, String, Seat, String)> = stmt
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
        roles.push(RoleMapping { name, mapping_values, variable_name, seat, admin_rights });
    }
    RoleTable::new(roles).map(Some).map_err(|e| corrupt(&e.to_string()))
}

/// Replaces the role table.
pub fn set_role_table(tx: &WriteTx<'_>, table: &RoleTable) -> Result<()> {
    let conn = tx.conn();
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
            r.seat,
            serde_json::Value::from(rights).to_string(),
            i as i64
        ])?;
    }
    Ok(())
}
