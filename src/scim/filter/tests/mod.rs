//! Unit tests of `scim::filter`: parsing (operators, precedence, paths, values, errors, caps),
//! evaluation, caseExact, index hints, PATCH paths, canonical text, and random inputs.

use super::*;
use crate::base::text::fold_case;
use crate::error::ScimType;
use serde_json::{Value, json};

mod eval;
mod hints;
mod parse;
mod paths;
mod robustness;

const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn p(input: &str) -> Filter {
    match parse(input) {
        Ok(filter) => filter,
        Err(e) => panic!("{input:?} should parse: {}", e.detail),
    }
}

fn err(input: &str) -> String {
    match parse(input) {
        Ok(filter) => panic!("{input:?} should not parse, got {filter:?}"),
        Err(e) => {
            assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{input:?}");
            assert_eq!(e.status(), 400);
            e.detail
        }
    }
}

fn path_err(input: &str) -> String {
    match parse_path(input) {
        Ok(path) => panic!("{input:?} should not parse, got {path:?}"),
        Err(e) => {
            assert_eq!(e.scim_type, Some(ScimType::InvalidPath), "{input:?}");
            e.detail
        }
    }
}

fn attr(name: &str) -> AttrPath {
    AttrPath { urn: None, attr: name.to_string(), sub: None }
}

fn sub(name: &str, sub: &str) -> AttrPath {
    AttrPath { urn: None, attr: name.to_string(), sub: Some(sub.to_string()) }
}

fn urn(urn: &str, name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath { urn: Some(urn.to_string()), attr: name.to_string(), sub: sub.map(str::to_string) }
}

fn cmp(path: AttrPath, op: CompareOp, value: Value) -> Filter {
    Filter::Compare { path, op, value }
}

fn pr(name: &str) -> Filter {
    Filter::Present(attr(name))
}

fn and(l: Filter, r: Filter) -> Filter {
    Filter::And(Box::new(l), Box::new(r))
}

fn or(l: Filter, r: Filter) -> Filter {
    Filter::Or(Box::new(l), Box::new(r))
}

fn not(f: Filter) -> Filter {
    Filter::Not(Box::new(f))
}

fn vp(path: AttrPath, f: Filter) -> Filter {
    Filter::ValuePath { path, filter: Box::new(f) }
}

fn user() -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
        ],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "JohnWong",
        "userName": "Bjensen@Example.com",
        "displayName": "BobIsAmazing",
        "title": "",
        "nickName": null,
        "active": true,
        "loginCount": 42,
        "score": 2.5,
        "name": {"familyName": "Jensen", "givenName": "Barbara"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [],
        "roles": [{"value": "Licensed User", "primary": "True"}],
        "groups": [{"value": "abcDEF", "display": "Sales"}],
        "meta": {
            "resourceType": "User",
            "created": "2026-11-23T10:00:00Z",
            "lastModified": "2026-11-24T10:00:00Z",
            "version": "W/\"a330bc54f0671c9\"",
            "location": "https://scim.example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"
        },
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Tour Operations",
            "employeeNumber": "701984",
            "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
        }
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen",
             "$ref": "https://scim.example.com/v2/Users/2819c223-7f76-453a-919d-413861904646"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}
        ]
    })
}

fn on_user(filter: &str) -> bool {
    p(filter).matches(&user())
}

fn on_group(filter: &str) -> bool {
    p(filter).matches(&group())
}
