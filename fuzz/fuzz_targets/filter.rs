//! Fuzz target: SCIM filters and PATCH paths (`scim::filter`).
//!
//! Any UTF-8 text is parsed as a filter; a filter that parses is evaluated against a fixed rendered
//! User and a fixed rendered Group, asked for its index hint, and must print back to text that parses
//! to an equal filter (the module's canonical-text promise). The same text is parsed as a PATCH path,
//! with the same round trip. Errors must be 400s (a 5xx from a parser is a bug).
//!
//! Numbers compare within a few ulps in the round trip: serde_json's default float parser (no
//! `float_roundtrip` feature) is not correctly rounded, so `1777777777777777777e7` can print as text
//! that parses back one ulp away (found by this target; reported, not yet decided). And the round
//! trip is skipped when the printed text is longer than `MAX_FILTER_LEN`: printing escapes control
//! characters (`\u0000`, six bytes for one), so a filter under the cap can print over it.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_seat::scim::filter::{self, Filter, PatchPath};
use scim_seat::scim::resource::{self, GroupRef, MemberRef, Meta, SeatView};
use serde_json::{Value, json};
use std::sync::LazyLock;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn meta(kind: &str, id: &str) -> Meta {
    Meta {
        created: "2026-01-02T03:04:05Z".into(),
        last_modified: "2026-01-02T03:04:06Z".into(),
        location: format!("https://scim.example/v2/{kind}/{id}"),
        version: "W/\"3\"".into(),
    }
}

static USER: LazyLock<Value> = LazyLock::new(|| {
    let body = json!({
        "userName": "Bjensen@Example.com",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "title": "Tour Guide",
        "active": "True",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "addresses": [{"type": "work", "formatted": "100 Universal City Plaza", "postalCode": "91608"}],
        "roles": [{"value": "LICENSED_USER", "type": "WindowsAzureActiveDirectoryRole", "primary": "False"}],
        ENTERPRISE: {"department": "Tour Operations", "employeeNumber": "701984", "manager": "26118915-6090"}
    });
    let doc = resource::canonical_user(&body).unwrap_or_else(|e| panic!("fixed user: {}", e.detail));
    let groups = [GroupRef {
        id: "g1".into(),
        display: "Smartsheet Licensed User".into(),
        location: "https://scim.example/v2/Groups/g1".into(),
    }];
    let seat = SeatView {
        seat_type: Some("member".into()),
        status: "active".into(),
        managed_by_directory: true,
        provisional_until: None,
        admin_roles: vec!["user_admin".into()],
    };
    resource::render_user(
        &doc,
        "2819c223-7f76-453a-919d-413861904646",
        &meta("Users", "u1"),
        &groups,
        Some(&seat),
    )
});

static GROUP: LazyLock<Value> = LazyLock::new(|| {
    let members = [
        MemberRef {
            value: "2819c223-7f76-453a-919d-413861904646".into(),
            display: Some("Babs Jensen".into()),
            location: "https://scim.example/v2/Users/2819c223-7f76-453a-919d-413861904646".into(),
        },
        MemberRef { value: "u2".into(), display: None, location: "https://scim.example/v2/Users/u2".into() },
    ];
    resource::render_group("g1", "Tour Guides", Some("ext-g1"), &meta("Groups", "g1"), Some(&members))
});

/// Equal, except that numbers may differ by a few ulps (see the module comment).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x != y => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= x.abs().max(y.abs()) * 4.0 * f64::EPSILON,
            _ => false,
        },
        _ => a == b,
    }
}

/// `a == b` with [`same_value`] for compared values. Recurses like the parser: `and`/`or` chains
/// are at most as long as the 4 KiB text allows.
fn same_filter(a: &Filter, b: &Filter) -> bool {
    match (a, b) {
        (Filter::Compare { path, op, value }, Filter::Compare { path: p2, op: o2, value: v2 }) => {
            path == p2 && op == o2 && same_value(value, v2)
        }
        (Filter::Present(x), Filter::Present(y)) => x == y,
        (Filter::And(l, r), Filter::And(l2, r2)) | (Filter::Or(l, r), Filter::Or(l2, r2)) => {
            same_filter(l, l2) && same_filter(r, r2)
        }
        (Filter::Not(x), Filter::Not(y)) => same_filter(x, y),
        (Filter::ValuePath { path, filter }, Filter::ValuePath { path: p2, filter: f2 }) => {
            path == p2 && same_filter(filter, f2)
        }
        _ => false,
    }
}

fn same_path(a: &PatchPath, b: &PatchPath) -> bool {
    a.path == b.path
        && a.sub == b.sub
        && match (&a.filter, &b.filter) {
            (Some(x), Some(y)) => same_filter(x, y),
            (None, None) => true,
            _ => false,
        }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match filter::parse(text) {
        Ok(f) => {
            let _ = f.matches(&USER);
            let _ = f.matches(&GROUP);
            let _ = f.index_hint();
            let shown = f.to_string();
            if shown.len() <= filter::MAX_FILTER_LEN {
                match filter::parse(&shown) {
                    Ok(back) => {
                        assert!(same_filter(&back, &f), "{text:?} printed as {shown:?} reads {back:?}")
                    }
                    Err(e) => panic!("{text:?} printed as {shown:?}, which does not parse: {}", e.detail),
                }
            }
        }
        Err(e) => assert_eq!(e.status(), 400, "{text:?}: {}", e.detail),
    }
    match filter::parse_path(text) {
        Ok(p) => {
            let shown = p.to_string();
            if shown.len() <= filter::MAX_FILTER_LEN {
                match filter::parse_path(&shown) {
                    Ok(back) => assert!(same_path(&back, &p), "{text:?} printed as {shown:?} reads {back:?}"),
                    Err(e) => panic!("{text:?} printed as {shown:?}, which does not parse: {}", e.detail),
                }
            }
        }
        Err(e) => assert_eq!(e.status(), 400, "{text:?}: {}", e.detail),
    }
});
