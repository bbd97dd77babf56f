//! The plan administrator's operations, shared by the admin API and the CLI, split by use case.
//! Each takes the store (or a read connection), the actor and typed arguments (parsed at the
//! boundary: seats, statuses, scopes and setting keys arrive as their types), runs in one
//! transaction, writes its audit events, and returns a typed view (`service::views`). Every seat
//! rule comes from `domain::rules` through `service::seats`.

pub mod audit;
pub mod di;
pub mod domains;
pub mod guard;
pub mod import;
pub mod reconcile;
pub mod reports;
pub mod roles;
pub mod settings;
pub mod tokens;
pub mod users;

use crate::error::{Error, Result};
use crate::service::seats::{self, Actor};
use crate::store::users::{self as user_rows, UserRow};
use crate::store::{Read, WriteTx};

/// Largest page of the admin lists.
pub const MAX_LIMIT: usize = 1000;
/// Default page of the admin lists.
pub const DEFAULT_LIMIT: usize = 100;

fn audit_plan_event(tx: &WriteTx<'_>, actor: &Actor, action: &str, reason: String) -> Result<()> {
    seats::audit(tx, actor, action, None, None, None, &reason)
}

fn user_or_404(db: &impl Read, id: &str) -> Result<UserRow> {
    user_rows::get(db, id)?.ok_or_else(|| Error::not_found(format!("no user with id \"{id}\"")))
}
