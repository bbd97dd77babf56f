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

use serde_json::Value;

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

/// A ListResponse (RFC 7644 §3.4.2) written as JSON text a resource at a time, so a page of 1,000
/// users costs its text and one user's values, not a value per user. `itemsPerPage` is the number of
/// resources written; `totalResults`, `itemsPerPage` and `startIndex` are JSON integers (Okta checks
/// that). Attributes in the order a `serde_json` object keeps them (sorted).
pub struct ListWriter {
    out: Vec<u8>,
    items: usize,
}

impl Default for ListWriter {
    fn default() -> ListWriter {
        ListWriter { out: b"{\"Resources\":[".to_vec(), items: 0 }
    }
}

impl ListWriter {
    /// Appends a resource.
    pub fn push(&mut self, resource: &impl serde::Serialize) {
        self.next();
        // Writing a value into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.out, resource);
    }

    /// Appends a resource already written as JSON text.
    pub fn push_text(&mut self, resource: &[u8]) {
        self.next();
        self.out.extend_from_slice(resource);
    }

    fn next(&mut self) {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
    }

    /// The whole ListResponse.
    pub fn finish(mut self, total: usize, start_index: usize) -> Vec<u8> {
        let tail = format!(
            "],\"itemsPerPage\":{},\"schemas\":[\"{LIST_RESPONSE}\"],\"startIndex\":{start_index},\"totalResults\":{total}}}",
            self.items
        );
        self.out.extend_from_slice(tail.as_bytes());
        self.out
    }
}

/// A whole ListResponse of a few resources (the discovery lists), as JSON text.
pub fn list_response(resources: &[Value], total: usize, start_index: usize) -> Vec<u8> {
    let mut w = ListWriter::default();
    for r in resources {
        w.push(r);
    }
    w.finish(total, start_index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(text: Vec<u8>) -> Value {
        serde_json::from_slice(&text).unwrap()
    }

    #[test]
    fn empty_list_response_has_integer_counters() {
        let v = parsed(list_response(&[], 0, 1));
        assert_eq!(v["schemas"][0], LIST_RESPONSE);
        assert_eq!(v["totalResults"], 0);
        assert_eq!(v["itemsPerPage"], 0);
        assert_eq!(v["startIndex"], 1);
        assert!(v["Resources"].as_array().is_some_and(Vec::is_empty));
        assert!(v["totalResults"].is_u64() && v["itemsPerPage"].is_u64() && v["startIndex"].is_u64());
    }

    #[test]
    fn list_response_counts_the_page_not_the_total() {
        let v = parsed(list_response(&[json!({"id": "a"}), json!({"id": "b"})], 7, 3));
        assert_eq!(v["totalResults"], 7);
        assert_eq!(v["itemsPerPage"], 2);
        assert_eq!(v["startIndex"], 3);
    }

    /// Resources pushed as values and as text make one list, in the order pushed, and the text is
    /// what a `serde_json` value of the same list would print.
    #[test]
    fn list_writer_writes_values_and_texts_in_order() {
        let mut w = ListWriter::default();
        w.push(&json!({"id": "a", "displayName": "Ä \"q\""}));
        w.push_text(br#"{"id":"b"}"#);
        let text = w.finish(9, 4);
        let expected = json!({
            "schemas": [LIST_RESPONSE], "totalResults": 9, "itemsPerPage": 2, "startIndex": 4,
            "Resources": [{"id": "a", "displayName": "Ä \"q\""}, {"id": "b"}],
        });
        assert_eq!(String::from_utf8(text).unwrap(), expected.to_string());
    }
}
