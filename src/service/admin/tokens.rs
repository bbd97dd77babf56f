//! Bearer tokens: create (the secret is in the answer once), list (never secrets), revoke.

use crate::error::Result;
use crate::service::views::Page;
use crate::store::tokens::{self, NewToken, Scope, TokenInfo};
use crate::store::{Read, Store};

pub fn create(store: &Store, name: &str, scope: Scope) -> Result<NewToken> {
    store.write(|tx| tokens::create(tx, name, scope))
}

pub fn list(db: &impl Read) -> Result<Page<TokenInfo>> {
    Ok(Page { items: tokens::list(db)?, next_cursor: None })
}

pub fn revoke(store: &Store, id: &str) -> Result<TokenInfo> {
    store.write(|tx| tokens::revoke(tx, id))
}
