//! Bearer tokens: create (the secret is in the answer once), list (never secrets), revoke.

use super::audit_plan_event;
use crate::error::Result;
use crate::service::seats::Actor;
use crate::service::views::Page;
use crate::store::tokens::{self, NewToken, Scope, TokenInfo};
use crate::store::{Read, Store};

pub fn create(store: &Store, actor: &Actor, name: &str, scope: Scope) -> Result<NewToken> {
    store.write(|tx| {
        let t = tokens::create(tx, name, scope)?;
        let reason = format!("token \"{}\" ({}, scope {}) created", t.info.name, t.info.id, scope.as_str());
        audit_plan_event(tx, actor, "token_created", reason)?;
        Ok(t)
    })
}

pub fn list(db: &impl Read) -> Result<Page<TokenInfo>> {
    Ok(Page { items: tokens::list(db)?, next_cursor: None })
}

pub fn revoke(store: &Store, actor: &Actor, id: &str) -> Result<TokenInfo> {
    store.write(|tx| {
        let t = tokens::revoke(tx, id)?;
        let reason = format!("token \"{}\" ({}, scope {}) revoked", t.name, t.id, t.scope.as_str());
        audit_plan_event(tx, actor, "token_revoked", reason)?;
        Ok(t)
    })
}
