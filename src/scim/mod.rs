//! The SCIM 2.0 protocol layer (RFC 7643, RFC 7644): what the wire format means, and nothing else.
//!
//! This layer owns the attribute definitions of the User, Enterprise User, seat extension and Group
//! schemas ([`schema`]), turning request bodies into canonical stored documents and stored documents
//! back into SCIM resources ([`resource`]), PATCH parsing and application ([`patch`]), filters and
//! PATCH paths ([`filter`]), and the discovery documents ([`discovery`]). It tolerates the dialects
//! Entra ID and Okta really send (shared/SPEC-idp.md) and answers them with the one error type of
//! [`crate::error`].
//!
//! It does not own storage, uniqueness checks, ids, clocks, ETag numbering, HTTP, or the seat rules:
//! every id, time, version and location is passed in by the caller, and every function here is pure
//! (no database, no sockets, no clock, no randomness), so the same input always gives the same output.

pub mod discovery;
pub mod filter;
pub mod patch;
pub mod resource;
pub mod schema;

use serde_json::{Value, json};

/// Core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// scim-seat's read-only seat extension: seat type, status and admin roles of a user.
pub const SEAT_USER_SCHEMA: &str = "urn:scim-seat:schemas:extension:seat:2.0:User";
/// Core Group schema (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// PATCH request message (RFC 7644 §3.5.2).
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// List response message (RFC 7644 §3.4.2).
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// POST .search request message (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Error message (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// Discovery resources (RFC 7643 §5, §6, §7).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// A ListResponse (RFC 7644 §3.4.2): `itemsPerPage` is the number of resources on this page;
/// `totalResults`, `itemsPerPage` and `startIndex` are JSON integers (Okta checks that).
pub fn list_response(resources: Vec<Value>, total: usize, start_index: usize) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
        "Resources": resources,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_list_response_has_integer_counters() {
        let v = list_response(Vec::new(), 0, 1);
        assert_eq!(v["schemas"][0], LIST_RESPONSE);
        assert_eq!(v["totalResults"], 0);
        assert_eq!(v["itemsPerPage"], 0);
        assert_eq!(v["startIndex"], 1);
        assert!(v["Resources"].as_array().is_some_and(Vec::is_empty));
        assert!(v["totalResults"].is_u64() && v["itemsPerPage"].is_u64() && v["startIndex"].is_u64());
    }

    #[test]
    fn list_response_counts_the_page_not_the_total() {
        let v = list_response(vec![json!({"id": "a"}), json!({"id": "b"})], 7, 3);
        assert_eq!(v["totalResults"], 7);
        assert_eq!(v["itemsPerPage"], 2);
        assert_eq!(v["startIndex"], 3);
    }
}
