//! SCIM PATCH (RFC 7644 §3.5.2): parsing a PatchOp request, applying it to a canonical User
//! document, and turning a Group PATCH into membership changes without loading the members.
//!
//! Dialects tolerated (shared/SPEC-idp.md): `op` in any case; `Add` and `Replace` both upsert a
//! single-valued attribute; path-less ops whose value has plain, dotted (`name.givenName`) or
//! URN-qualified keys, or extension objects under their URN; string booleans; `manager` as an id, an
//! object or a one-element list; value-path filters that CREATE the element when nothing matches
//! (Entra's `emails[type eq "work"].value`); Entra's `Remove` of members with a `value` list, which
//! removes only those; Okta's `{"op":"replace","value":{"active":false}}` and its group rename that
//! carries `id` and `displayName` and must leave members alone.
//!
//! User PATCH is atomic: every op applies to a copy, the result is re-validated with
//! [`crate::scim::resource::canonical_user`] (so PATCH and PUT enforce the same rules), and the
//! caller's document changes only when all of it succeeded. Group PATCH yields [`GroupChanges`]; the
//! caller applies them in order, at O(changed members). This module owns none of the storage.
//!
//! Its files: `parse` reads the request into [`PatchOp`]s; `user` applies them to a User document,
//! with `value_filter` for paths like `emails[type eq "work"].value`; `group` turns them into
//! [`GroupChanges`].

mod group;
mod parse;
#[cfg(test)]
mod tests;
mod user;
mod value_filter;

pub use group::{GroupChanges, MemberOp, group_changes};
pub use parse::{OpKind, PatchOp, parse_ops};
pub use user::apply_user;
