//! Fuzz target: PATCH documents and resource bodies (`scim::patch`, `scim::resource`).
//!
//! The input goes through `canonical_group` as a POST body would and through `parse_ops` and
//! `group_changes` as a Group PATCH would (both read the text themselves: anything, JSON or not,
//! must be a 4xx or a result). Input that is JSON also goes through `canonical_user` and is applied
//! as a User PATCH to a copy of a fixed canonical User. Properties checked:
//! - no error is a 5xx;
//! - a failed `apply_user` leaves the document exactly as it was (no half change);
//! - a successful one leaves a canonical document (`canonical_user` of it is itself), as a PUT of
//!   the same state would.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_seat::error::Error;
use scim_seat::scim::resource::GroupOpValue;
use scim_seat::scim::{patch, resource};
use serde_json::{Value, json};
use std::sync::LazyLock;

static USER: LazyLock<Value> = LazyLock::new(|| {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada@example.com",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "displayName": "Ada Lovelace",
        "active": true,
        "title": "Analyst",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "555-0100", "type": "mobile"}],
        "roles": [{"value": "Admin", "type": "WindowsAzureActiveDirectoryRole", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Engines",
            "manager": {"value": "c1f9a2b4", "displayName": "Charles Babbage"}
        }
    });
    resource::canonical_user(&body).unwrap_or_else(|e| panic!("fixed user: {}", e.detail))
});

fn client_error(what: &str, e: &Error, input: &dyn std::fmt::Display) {
    assert!(e.status() < 500, "{what} answered {} for {input}: {}", e.status(), e.detail);
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Group bodies are read from the text itself (member lists straight into ids).
    if let Err(e) = resource::canonical_group(data) {
        client_error("canonical_group", &e, &text);
    }
    match patch::parse_ops::<GroupOpValue>(data) {
        Ok(ops) => {
            if let Err(e) = patch::group_changes(ops) {
                client_error("group_changes", &e, &text);
            }
        }
        Err(e) => client_error("parse_ops (group)", &e, &text),
    }
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    if let Err(e) = resource::canonical_user(&body) {
        client_error("canonical_user", &e, &body);
    }
    let ops = match patch::parse_ops::<Value>(data) {
        Ok(ops) => ops,
        Err(e) => return client_error("parse_ops", &e, &body),
    };
    let mut doc = USER.clone();
    match patch::apply_user(&mut doc, &ops) {
        Ok(()) => {
            let again = resource::canonical_user(&doc);
            assert_eq!(again.as_ref(), Ok(&doc), "the patched user is not canonical; PATCH {body}");
        }
        Err(e) => {
            client_error("apply_user", &e, &body);
            assert_eq!(doc, *USER, "a failed PATCH changed the user: {body}");
        }
    }
});
