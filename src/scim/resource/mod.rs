//! User and Group JSON, in and out: request bodies to canonical stored documents, stored documents
//! to SCIM resources, `attributes`/`excludedAttributes` projection, sort keys, and the values other
//! layers index or reason about (emails, role values).
//!
//! The canonical User document is what the store keeps: core attributes at the top level under their
//! canonical names, enterprise attributes in an object under the enterprise URN, no nulls, no empty
//! lists, booleans as JSON booleans, `manager` as `{"value": id}` (plus `displayName` when sent), and
//! nothing the server owns (`id`, `meta`, `groups`, `schemas`, the seat extension) or never keeps
//! (`password`). Attributes outside the schemas are ignored, as the reference tests expect.
//!
//! This module does not decide uniqueness, ids, times or versions (the caller passes them in), nor
//! the seat: it only reports the role values a user document carries.
//!
//! Its files: `json_util` (case-insensitive keys, string booleans, value descriptions for errors),
//! `canon` (one value against its attribute definition), `input` (request bodies to the canonical
//! User document and a [`GroupBody`]), `members` (Group bodies and member lists read straight from
//! the request's text), `render` (stored state to SCIM resources), `projection`
//! (`attributes`/`excludedAttributes`), `sort` (sort keys), `values` (role values, emails and the
//! profile fields other layers read from a User document).

mod canon;
pub mod custom;
mod input;
mod json_util;
mod members;
mod projection;
mod render;
mod sort;
#[cfg(test)]
mod tests;
mod values;

pub(crate) use canon::{canon_attr, canon_element, canon_sub, is_read_only};
pub use input::{GroupBody, canonical_group, canonical_user};
pub(crate) use json_util::{
    Shape, ShapeVisitor, Slot, bool_of, deserialize_by_shape, json_kind, skip_map, skip_seq,
};
pub use members::{BadMember, GroupObject, GroupOpValue, MemberEntry, Members};
pub use projection::{attribute_names, project};
pub use render::{GroupRef, GroupWriter, MemberRef, Meta, SeatView, UserResource, render_group, render_user};
pub use sort::sort_key;
pub use values::{
    PlanUserFields, UserKeys, UserProfile, emails, guest_document, is_active, plan_user_document,
    primary_email, role_values, set_active, user_keys, user_profile,
};
