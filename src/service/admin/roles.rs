//! The role table: read it, and replace it (not retroactive: seats move at each user's next update
//! call).

use super::audit_plan_event;
use crate::domain::roles::{AdminRight, RoleMapping, RoleTable};
use crate::domain::seats::Seat;
use crate::error::{Error, Result};
use crate::service::plan::Plan;
use crate::service::seats::Actor;
use crate::service::views::RoleMappings;
use crate::store::{self, Read, Store};
use serde_json::Value;

pub fn get(db: &impl Read) -> Result<RoleMappings> {
    let plan = Plan::load(db)?;
    Ok(RoleMappings {
        roles: plan.roles.roles().to_vec(),
        role_group_prefix: plan.settings.role_group_prefix,
    })
}

/// Reads the role table from the shape GET answers: `{"items": [roles]}` (or the bare list).
pub fn parse(body: &Value) -> Result<RoleTable> {
    let items = body
        .get("items")
        .or(Some(body))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::invalid_value("send {\"items\": [roles]} (the shape GET returns)"))?;
    let roles = items.iter().map(role_from_json).collect::<Result<Vec<_>>>()?;
    RoleTable::new(roles).map_err(|e| Error::invalid_value(e.to_string()).with_code(e.code()))
}

fn role_from_json(v: &Value) -> Result<RoleMapping> {
    let s = |k: &str| -> Result<String> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| Error::invalid_value(format!("each role needs \"{k}\" as a string")))
    };
    let list = |k: &str| -> Result<Vec<String>> {
        match v.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| Error::invalid_value(format!("\"{k}\" must be a list of strings")))
                })
                .collect(),
            Some(_) => Err(Error::invalid_value(format!("\"{k}\" must be a list of strings"))),
        }
    };
    let seat = Seat::parse(&s("seat")?).map_err(|e| Error::invalid_value(e.to_string()))?;
    let admin_rights = list("admin_rights")?
        .iter()
        .map(|r| {
            AdminRight::parse(r).ok_or_else(|| {
                Error::invalid_value(format!(
                    "admin right \"{r}\" is not known; allowed: {}",
                    AdminRight::allowed()
                ))
            })
        })
        .collect::<Result<_>>()?;
    Ok(RoleMapping {
        name: s("name")?,
        mapping_values: list("mapping_values")?,
        variable_name: s("variable_name")?,
        seat,
        admin_rights,
    })
}

/// Replaces the role table.
pub fn set(store: &Store, actor: &Actor, table: &RoleTable) -> Result<RoleMappings> {
    store.write(|tx| {
        store::settings::set_role_table(tx, table)?;
        audit_plan_event(
            tx,
            actor,
            "role_mappings_changed",
            format!("role table replaced ({} roles)", table.roles().len()),
        )?;
        get(tx)
    })
}
