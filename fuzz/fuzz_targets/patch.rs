//! Fuzz target: PATCH documents and resource bodies (`scim::patch`, `scim::resource`).
//!
//! The input is read as JSON (inputs that are not JSON end there, as the server answers them 400
//! before any of this runs). The JSON goes through `canonical_user` and `canonical_group` as a POST
//! body would, then through `parse_ops` as a PATCH body; parsed operations are applied to a copy of
//! a fixed canonical User and turned into Group changes. Properties checked:
//! - no error is a 5xx;
//! - a failed `apply_user` leaves the document exactly as it was (no half change);
//! - a successful one leaves a canonical document (`canonical_user` of it is itself), as a PUT of
//!   the same state would.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_seat::error::Error;
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

fn client_error(what: &str, e: &Error, input: &Value) {
    assert!(e.status() < 500, "{what} answered {} for {input}: {}", e.status(), e.detail);
}

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else { return };
    if let Err(e) = resource::canonical_user(&body) {
        client_error("canonical_user", &e, &body);
    }
    if let Err(e) = resource::canonical_group(&body) {
        client_error("canonical_group", &e, &body);
    }
    let ops = match patch::parse_ops(body.clone()) {
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
    if let Err(e) = patch::group_changes(&ops) {
        client_error("group_changes", &e, &body);
    }
});
