//! Validated domains: list, add, verify, remove (never the last validated one while DI is on).

use super::audit_plan_event;
use crate::error::{Error, Result};
use crate::service::plan::Plan;
use crate::service::seats::Actor;
use crate::service::views::{Page, Removed};
use crate::store::domains::{self, Domain};
use crate::store::{Read, Store};

pub fn list(db: &impl Read) -> Result<Page<Domain>> {
    Ok(Page { items: domains::all(db)?, next_cursor: None })
}

pub fn add(store: &Store, actor: &Actor, name: &str) -> Result<Domain> {
    store.write(|tx| {
        let d = domains::add(tx, name, false)?;
        audit_plan_event(tx, actor, "domain_added", format!("domain {} added (not yet verified)", d.name))?;
        Ok(d)
    })
}

/// Marks a domain verified. scim-seat stands in for the application, so verification is the
/// administrator's word (there is no DNS to ask in an air-gapped lab).
pub fn verify(store: &Store, actor: &Actor, name: &str) -> Result<Domain> {
    let name = domains::normalize(name)?;
    store.write(|tx| {
        if !domains::set_verified(tx, &name)? {
            return Err(Error::not_found(format!("the domain {name} is not on the plan: add it first")));
        }
        audit_plan_event(tx, actor, "domain_verified", format!("domain {name} verified"))?;
        domains::all(tx)?
            .into_iter()
            .find(|d| d.name == name)
            .ok_or_else(|| Error::internal(format!("the domain {name} vanished while being verified")))
    })
}

pub fn remove(store: &Store, actor: &Actor, name: &str) -> Result<Removed> {
    let name = domains::normalize(name)?;
    store.write(|tx| {
        let plan = Plan::load(tx)?;
        let all = domains::all(tx)?;
        let Some(d) = all.iter().find(|d| d.name == name) else {
            return Err(Error::not_found(format!("the domain {name} is not on the plan")));
        };
        if plan.settings.di_enabled && d.verified && all.iter().filter(|d| d.verified).count() == 1 {
            return Err(Error::conflict(
                "last_validated_domain",
                format!(
                    "{name} is the last validated domain and Directory Integration is on, which needs one: \
                     add and verify another domain first, or turn DI off"
                ),
            ));
        }
        domains::remove(tx, &name)?;
        audit_plan_event(tx, actor, "domain_removed", format!("domain {name} removed"))?;
        Ok(Removed { key: "name", value: name })
    })
}
