//! Unit tests of `scim::resource`: Entra and Okta bodies canonicalised, errors, rendering,
//! projection, sort keys, and the values other layers read (roles, emails, the profile).

use super::*;
use crate::error::{Result, ScimType};
use crate::scim::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Value, json};

fn meta(id: &str) -> Meta {
    Meta {
        created: "2024-01-02T03:04:05Z".into(),
        last_modified: "2024-01-02T03:04:06Z".into(),
        location: format!("https://scim.example/v2/Users/{id}"),
        version: "W/\"1\"".into(),
    }
}

fn err_type(r: Result<impl std::fmt::Debug>) -> (ScimType, String) {
    let e = r.unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    (e.scim_type.unwrap(), e.detail)
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

// ---- canonical_user ----

#[test]
fn entra_create_is_canonicalised() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,
        "emails":[{"primary":true,"type":"work","value":"Test_User_11bb@testuser.com"}],
        "meta":{"resourceType":"User"},
        "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"},"roles":[]});
    let doc = canonical_user(&body).unwrap();
    assert_eq!(
        doc,
        json!({"externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName":"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee","active":true,
            "emails":[{"primary":true,"type":"work","value":"Test_User_11bb@testuser.com"}],
            "name":{"formatted":"givenName familyName","familyName":"familyName","givenName":"givenName"}})
    );
}

#[test]
fn entra_nulls_are_absent_and_custom_extensions_are_kept_as_sent() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExt:2.0:User";
    let body = json!({"userName":"a@x.org","addresses":null,"phoneNumbers":null,"title":null,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":null,"department":"R&D"},
        custom:{"costCode":"7","nested":{"n":[1,null]}}});
    let doc = canonical_user(&body).unwrap();
    let mut want = json!({"userName":"a@x.org",ENTERPRISE_USER_SCHEMA:{"department":"R&D"}});
    want[custom] = json!({"costCode":"7","nested":{"n":[1,null]}});
    assert_eq!(doc, want);
    // Listed in `schemas` (Entra may leave it out) or not, it is accepted.
    let mut listed = body.clone();
    listed["schemas"] = json!([USER_SCHEMA, custom]);
    assert_eq!(canonical_user(&listed).unwrap(), want);
    // Rendered back as sent, with its URN in `schemas`.
    let meta = Meta {
        created: "c".into(),
        last_modified: "m".into(),
        location: "l/u1".into(),
        version: "W/\"1\"".into(),
    };
    let out = render_user(&doc, "u1", &meta, &[], None);
    assert_eq!(out[custom], want[custom]);
    assert!(out["schemas"].as_array().unwrap().contains(&json!(custom)), "{out}");
    // A custom extension that is not an object is refused.
    let bad = json!({"userName":"a@x.org", custom: "flat"});
    assert_eq!(canonical_user(&bad).unwrap_err().scim_type, Some(ScimType::InvalidValue));
}

#[test]
fn okta_create_drops_password_and_groups() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"test.user@okta.local",
        "name":{"givenName":"Test","familyName":"User"},
        "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
        "displayName":"Test User","locale":"en-US","externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true});
    let doc = canonical_user(&body).unwrap();
    assert!(doc.get("password").is_none() && doc.get("groups").is_none());
    assert_eq!(doc["locale"], "en-US");
    assert_eq!(doc["externalId"], "00ujl29u0le5T6Aj10h7");
    assert_eq!(doc["name"], json!({"givenName":"Test","familyName":"User"}));
}

#[test]
fn okta_put_echo_drops_id_meta_and_keeps_display() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"23a35c27-1","userName":"test.user@okta.local",
        "name":{"givenName":"Another","middleName":"Excited","familyName":"User"},
        "emails":[{"primary":true,"value":"test.user@okta.local","type":"work","display":"test.user@okta.local"}],
        "active":true,"groups":[],"meta":{"resourceType":"User"}});
    let doc = canonical_user(&body).unwrap();
    assert!(doc.get("id").is_none() && doc.get("meta").is_none());
    assert_eq!(doc["name"]["middleName"], "Excited");
    assert_eq!(doc["emails"][0]["display"], "test.user@okta.local");
}

#[test]
fn keys_are_renamed_to_canonical_case_everywhere() {
    let body = json!({"UserName":"A@x.org","Active":"False","NAME":{"GivenName":"A"},
        "Emails":[{"Value":"a@x.org","Primary":"True","TYPE":"work"}],
        "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"EmployeeNumber":"7"}});
    let doc = canonical_user(&body).unwrap();
    assert_eq!(
        doc,
        json!({"userName":"A@x.org","active":false,"name":{"givenName":"A"},
            "emails":[{"value":"a@x.org","primary":true,"type":"work"}],
            ENTERPRISE_USER_SCHEMA:{"employeeNumber":"7"}})
    );
}

#[test]
fn string_booleans_are_coerced() {
    for (s, b) in [("True", true), ("False", false), ("true", true), ("false", false)] {
        let doc =
            canonical_user(&json!({"userName":"u","active":s,"roles":[{"value":"x","primary":s}]})).unwrap();
        assert_eq!(doc["active"], b);
        assert_eq!(doc["roles"][0]["primary"], b);
    }
    let (t, d) = err_type(canonical_user(&json!({"userName":"u","active":"yes"})));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(d.contains("active") && d.contains("boolean"), "{d}");
}

#[test]
fn manager_shapes_are_stored_as_value_objects() {
    let e = ENTERPRISE_USER_SCHEMA;
    let cases = [
        json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"),
        json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}),
        json!([{"$ref":"https://x/Users/2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]),
        json!(["2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"]),
    ];
    for m in cases {
        let doc = canonical_user(&json!({"userName":"u", e: {"manager": m}})).unwrap();
        assert_eq!(doc[e]["manager"], json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}));
    }
    let doc = canonical_user(&json!({"userName":"u", e: {"manager": {"value":"m1","displayName":"Boss"}}}))
        .unwrap();
    assert_eq!(doc[e]["manager"], json!({"value":"m1","displayName":"Boss"}));
    let doc = canonical_user(&json!({"userName":"u", e: {"manager": ""}})).unwrap();
    assert!(doc.get(e).is_none());
    let (t, d) = err_type(canonical_user(&json!({"userName":"u", e: {"manager": ["a","b"]}})));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(d.contains("manager"), "{d}");
    assert!(canonical_user(&json!({"userName":"u", e: {"manager": 5}})).is_err());
    assert!(canonical_user(&json!({"userName":"u", e: {"manager": {"value": 5}}})).is_err());
}

#[test]
fn unqualified_enterprise_attributes_go_under_the_urn() {
    let doc = canonical_user(&json!({"userName":"u","department":"Ops"})).unwrap();
    assert_eq!(doc[ENTERPRISE_USER_SCHEMA], json!({"department":"Ops"}));
    let key = format!("{ENTERPRISE_USER_SCHEMA}:costCenter");
    let doc = canonical_user(&json!({"userName":"u", key: "CC1"})).unwrap();
    assert_eq!(doc[ENTERPRISE_USER_SCHEMA], json!({"costCenter":"CC1"}));
}

#[test]
fn seat_extension_and_unknown_attributes_are_ignored() {
    let body = json!({"schemas":[USER_SCHEMA, SEAT_USER_SCHEMA],"userName":"u","usrNmae":"typo",
        SEAT_USER_SCHEMA: {"seatType":"member","status":"active"}, "seatType":"member"});
    assert_eq!(canonical_user(&body).unwrap(), json!({"userName":"u"}));
    // The seat extension's values are ignored whatever their type.
    assert!(canonical_user(&json!({"userName":"u", SEAT_USER_SCHEMA: 5})).is_ok());
}

#[test]
fn roles_are_kept_as_sent_in_canonical_form() {
    let okta = json!({"userName":"u","roles":[{"type":"LICENSED_USER","value":"LICENSED_USER"},{"type":"SYSTEM_ADMIN","value":""}]});
    let doc = canonical_user(&okta).unwrap();
    assert_eq!(doc["roles"], okta["roles"]);
    let entra = json!({"userName":"u","roles":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","displayName":"Admin","value":"Admin"}]});
    let doc = canonical_user(&entra).unwrap();
    assert_eq!(
        doc["roles"],
        json!([{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Admin","value":"Admin"}])
    );
    let doc = canonical_user(&json!({"userName":"u","roles":["LICENSED_USER"]})).unwrap();
    assert_eq!(doc["roles"], json!([{"value":"LICENSED_USER"}]));
    let doc = canonical_user(&json!({"userName":"u","roles":"LICENSED_USER"})).unwrap();
    assert_eq!(doc["roles"], json!([{"value":"LICENSED_USER"}]));
}

#[test]
fn smartsheet_mapping_table_round_trips() {
    let body = json!({"schemas":[USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
        "userName":"ada@example.com","active":true,"title":"Engineer","externalId":"ada",
        "name":{"givenName":"Ada","familyName":"Lovelace"},
        "phoneNumbers":[{"type":"work","value":"+1 555 0100"},{"type":"mobile","value":"+1 555 0101"},{"type":"fax","value":"+1 555 0102"}],
        "emails":[{"type":"work","value":"ada@example.com"}],
        "roles":[{"value":"LICENSED_USER"}],
        ENTERPRISE_USER_SCHEMA: {"department":"R&D","division":"Eng","costCenter":"CC-7","manager":{"value":"boss-id"}}});
    let doc = canonical_user(&body).unwrap();
    let out = render_user(&doc, "u1", &meta("u1"), &[], None);
    for key in ["userName", "active", "title", "externalId", "name", "phoneNumbers", "emails", "roles"] {
        assert_eq!(out[key], body[key], "{key}");
    }
    let e = &out[ENTERPRISE_USER_SCHEMA];
    for key in ["department", "division", "costCenter"] {
        assert_eq!(e[key], body[ENTERPRISE_USER_SCHEMA][key], "{key}");
    }
    assert_eq!(e["manager"]["value"], "boss-id");
    assert_eq!(e["manager"]["$ref"], "https://scim.example/v2/Users/boss-id");
    // And it is a fixed point: canonicalising the rendered resource gives the same document.
    assert_eq!(canonical_user(&out).unwrap(), doc);
}

#[test]
fn user_name_is_required_non_empty_string() {
    for body in [json!({}), json!({"userName":""}), json!({"userName":"  "}), json!({"userName":null})] {
        let (t, d) = err_type(canonical_user(&body));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("userName"), "{d}");
    }
    let (t, d) = err_type(canonical_user(&json!({"userName": 7})));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(d.contains("userName") && d.contains("string"), "{d}");
}

#[test]
fn body_must_be_an_object() {
    for body in [json!([]), json!("x"), json!(null), json!(1)] {
        let (t, _) = err_type(canonical_user(&body));
        assert_eq!(t, ScimType::InvalidSyntax);
    }
}

#[test]
fn wrong_types_for_known_attributes_are_invalid_values() {
    for (key, v) in [
        ("active", json!(3)),
        ("emails", json!("x")),
        ("name", json!("x")),
        ("title", json!(5)),
        ("emails", json!([5])),
        ("name", json!({"givenName": 1})),
        ("phoneNumbers", json!(true)),
    ] {
        let (t, d) = err_type(canonical_user(&json!({"userName":"u", key: v})));
        assert_eq!(t, ScimType::InvalidValue, "{key}");
        assert!(d.contains(key), "{key}: {d}");
    }
    let (t, d) = err_type(canonical_user(&json!({"userName":"u", ENTERPRISE_USER_SCHEMA: "x"})));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(d.contains("enterprise"), "{d}");
}

#[test]
fn schemas_are_checked() {
    let (t, _) = err_type(canonical_user(&json!({"userName":"u","schemas":USER_SCHEMA})));
    assert_eq!(t, ScimType::InvalidSyntax);
    let (t, _) = err_type(canonical_user(&json!({"userName":"u","schemas":[1]})));
    assert_eq!(t, ScimType::InvalidSyntax);
    let (t, d) = err_type(canonical_user(&json!({"userName":"u","schemas":["urn:example:unknown:User"]})));
    assert_eq!(t, ScimType::InvalidValue);
    assert!(d.contains("urn:example:unknown:User"), "{d}");
    assert!(canonical_user(&json!({"userName":"u","schemas":[GROUP_SCHEMA]})).is_err());
    assert!(canonical_user(&json!({"userName":"u","schemas":["http://schemas.example.com/x"]})).is_ok());
    assert!(canonical_user(&json!({"userName":"u","schemas":null})).is_ok());
    assert!(canonical_user(&json!({"userName":"u"})).is_ok());
    assert!(
        canonical_user(&json!({"userName":"u","schemas":["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"]}))
            .is_ok()
    );
}

#[test]
fn empty_lists_and_elements_are_absent() {
    let doc =
        canonical_user(&json!({"userName":"u","emails":[],"phoneNumbers":[null,{}],"name":{}})).unwrap();
    assert_eq!(doc, json!({"userName":"u"}));
}

#[test]
fn dotted_and_core_urn_keys_in_bodies() {
    let doc = canonical_user(&json!({"userName":"u","name.givenName":"A",
        "urn:ietf:params:scim:schemas:core:2.0:User:title":"T"}))
    .unwrap();
    assert_eq!(doc, json!({"userName":"u","name":{"givenName":"A"},"title":"T"}));
}

// ---- canonical_group ----

/// `canonical_group` of a JSON value's text, as a POST or PUT body is read.
fn canonical_group(v: &Value) -> Result<GroupBody> {
    super::canonical_group(v.to_string().as_bytes())
}

#[test]
fn entra_group_create_with_non_urn_schema() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"displayName","meta":{"resourceType":"Group"}});
    let g = canonical_group(&body).unwrap();
    assert_eq!(
        g,
        GroupBody {
            display_name: "displayName".into(),
            external_id: Some("8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159".into()),
            members: None
        }
    );
}

#[test]
fn okta_group_push_and_put() {
    let g =
        canonical_group(&json!({"schemas":[GROUP_SCHEMA],"displayName":"Test SCIMv2","members":[]})).unwrap();
    assert_eq!(g.members, Some(vec![]));
    let g = canonical_group(&json!({"schemas":[GROUP_SCHEMA],"id":"abf4dd94","displayName":"Test SCIMv2",
        "members":[{"value":"u1","display":"a"},{"value":"u2"},{"value":"u1"}]}))
    .unwrap();
    assert_eq!(g.members, Some(strings(&["u1", "u2"])));
    let g = canonical_group(&json!({"DisplayName":"G","Members":null})).unwrap();
    assert_eq!(g.members, None);
}

#[test]
fn group_errors() {
    for body in [json!({}), json!({"displayName":""}), json!({"displayName":5}), json!([])] {
        assert!(canonical_group(&body).is_err(), "{body}");
    }
    for members in
        [json!("u1"), json!([{"display":"x"}]), json!([{"value":5}]), json!(["u1"]), json!([{"value":""}])]
    {
        let (t, d) = err_type(canonical_group(&json!({"displayName":"G","members":members})));
        assert_eq!(t, ScimType::InvalidValue);
        assert!(d.contains("members"), "{d}");
    }
    let (t, _) = err_type(canonical_group(&json!({"displayName":"G","schemas":[USER_SCHEMA]})));
    assert_eq!(t, ScimType::InvalidValue);
    let (t, d) =
        err_type(canonical_group(&json!({"displayName":"G","members":[{"value":"u1"},{"value":null}]})));
    assert_eq!(t, ScimType::InvalidValue);
    assert_eq!(d, "'members[1].value' must be a non-empty string (a user id), got null (null)");
    let (t, d) = err_type(canonical_group(&json!([{"displayName":"G"}])));
    assert_eq!(t, ScimType::InvalidSyntax);
    assert_eq!(d, "a Group body must be a JSON object with at least \"displayName\", got an array");
    let e = super::canonical_group(br#"{"displayName":"G","members":[{"value":"u1"}"#).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{e:?}");
}

// ---- render ----

#[test]
fn render_user_full() {
    let doc = json!({"userName":"u@x.org", ENTERPRISE_USER_SCHEMA: {"department":"Ops"}});
    let seat = SeatView {
        seat_type: Some("member".into()),
        status: "active".into(),
        managed_by_directory: true,
        provisional_until: None,
        admin_roles: vec!["user_admin".into()],
    };
    let groups = [GroupRef {
        id: "g1".into(),
        display: "Smartsheet Licensed User".into(),
        location: "https://scim.example/v2/Groups/g1".into(),
    }];
    let out = render_user(&doc, "u1", &meta("u1"), &groups, Some(&seat));
    assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA]));
    assert_eq!(out["id"], "u1");
    assert_eq!(out["active"], true);
    assert_eq!(
        out["groups"],
        json!([{"value":"g1","display":"Smartsheet Licensed User","$ref":"https://scim.example/v2/Groups/g1","type":"direct"}])
    );
    assert_eq!(
        out["meta"],
        json!({"resourceType":"User","created":"2024-01-02T03:04:05Z","lastModified":"2024-01-02T03:04:06Z",
            "location":"https://scim.example/v2/Users/u1","version":"W/\"1\""})
    );
    assert_eq!(
        out[SEAT_USER_SCHEMA],
        json!({"seatType":"member","status":"active","managedByDirectory":true,"adminRoles":["user_admin"]})
    );
}

#[test]
fn render_user_minimal_and_inactive() {
    let out = render_user(&json!({"userName":"u","active":false}), "u1", &meta("u1"), &[], None);
    assert_eq!(out["schemas"], json!([USER_SCHEMA]));
    assert_eq!(out["active"], false);
    assert!(out.get("groups").is_none());
    assert!(out.get(SEAT_USER_SCHEMA).is_none());
    // A stray password in a document is never rendered.
    let out = render_user(&json!({"userName":"u","password":"p"}), "u1", &meta("u1"), &[], None);
    assert!(out.get("password").is_none());
}

/// The user written as text is the user rendered as a value, byte for byte: attributes sorted at
/// every level (reading the text into a value and writing it again changes nothing), the stored
/// document's `active` replaced by a boolean, what the server owns never echoed, the manager's
/// `$ref` added, custom extensions named in `schemas`, whatever the strings hold.
#[test]
fn user_text_is_the_rendered_value_in_sorted_order() {
    let custom = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
    let docs = [
        json!({"userName":"u","active":"False","ID":"x","Meta":{},"password":"p","schemas":["s"]}),
        json!({"userName":"u\"\u{7}é","displayName":"Ann \\ Lee","$odd":1,"!first":[1,2.5,null],
            "emails":[{"value":"a@x.org","primary":true,"type":"work"}],"name":{"givenName":"A","familyName":"L"}}),
        json!({"userName":"u", ENTERPRISE_USER_SCHEMA: {"department":"Ops","manager":{"value":"m1","displayName":"M"}},
            custom: {"badge":"7"}, "Active": true}),
        json!({"userName":"u", ENTERPRISE_USER_SCHEMA: {}, "active": false}),
        json!({"userName":"u", ENTERPRISE_USER_SCHEMA: {"manager":{"value":"m1","$ref":"stale"}}}),
        json!("not an object"),
    ];
    let seat = SeatView {
        seat_type: Some("provisional_member".into()),
        status: "active".into(),
        managed_by_directory: false,
        provisional_until: Some("2024-02-01T00:00:00Z".into()),
        admin_roles: vec!["group_admin".into(), "user_admin".into()],
    };
    let groups = [
        GroupRef {
            id: "g1".into(),
            display: "Viewers \"A\"".into(),
            location: "https://scim.example/v2/Groups/g1".into(),
        },
        GroupRef {
            id: "g2".into(),
            display: "B".into(),
            location: "https://scim.example/v2/Groups/g2".into(),
        },
    ];
    for doc in &docs {
        for (groups, seat) in [(&groups[..], Some(&seat)), (&[][..], None)] {
            let r = UserResource { doc, id: "u1", meta: &meta("u1"), groups, seat };
            let mut text = Vec::new();
            r.write(&mut text);
            let value = render_user(doc, "u1", &meta("u1"), groups, seat);
            assert_eq!(String::from_utf8(text.clone()).unwrap(), value.to_string(), "{doc}");
            let reread: Value = serde_json::from_slice(&text).unwrap();
            assert_eq!(reread.to_string().into_bytes(), text, "{doc}");
        }
    }
    let out = render_user(&docs[2], "u1", &meta("u1"), &[], Some(&seat));
    assert_eq!(out["schemas"], json!([USER_SCHEMA, custom, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA]));
    assert_eq!(out[ENTERPRISE_USER_SCHEMA]["manager"]["$ref"], "https://scim.example/v2/Users/m1");
    assert_eq!(out["Active"], true);
    assert_eq!(out["active"], true);
    let out = render_user(&docs[0], "u1", &meta("u1"), &[], None);
    assert_eq!(out["active"], false);
    for owned in ["ID", "Meta", "password"] {
        assert!(out.get(owned).is_none(), "{owned}: {out}");
    }
    assert_eq!(out["schemas"], json!([USER_SCHEMA]));
    // Some members only: the same values, the rest left out.
    let r = UserResource { doc: &docs[2], id: "u1", meta: &meta("u1"), groups: &groups, seat: Some(&seat) };
    let whole = r.to_value();
    let some = r.to_value_of(|k| k == "userName" || k.starts_with("urn:") || k == "groups");
    let Value::Object(some) = some else { panic!("{some}") };
    let keys: Vec<&str> = some.keys().map(String::as_str).collect();
    assert_eq!(keys, ["groups", custom, ENTERPRISE_USER_SCHEMA, SEAT_USER_SCHEMA, "userName"]);
    for (k, v) in &some {
        assert_eq!(&whole[k], v, "{k}");
    }
    let out = render_user(&docs[4], "u1", &meta("u1"), &[], None);
    assert_eq!(
        out[ENTERPRISE_USER_SCHEMA]["manager"],
        json!({"$ref":"https://scim.example/v2/Users/m1","value":"m1"})
    );
}

/// The group written as text is the group rendered as a value, member for member, with and without
/// members and externalId, whatever its strings hold.
#[test]
fn group_writer_writes_what_render_group_renders() {
    let m = Meta { location: "https://scim.example/v2/Groups/g1".into(), ..meta("g1") };
    let members = [
        MemberRef {
            value: "u1".into(),
            display: Some("Zoë \"Z\" <z@x.org>".into()),
            location: "https://s/v2/Users/u1".into(),
        },
        MemberRef { value: "u2".into(), display: None, location: "https://s/v2/Users/u2".into() },
    ];
    for (external, list) in [(Some("ext\\1"), &members[..]), (None, &members[..1]), (None, &[][..])] {
        let mut out = Vec::new();
        let mut w = GroupWriter::start(&mut out, "g1", "Team \u{1F600}\n", external);
        for member in list {
            w.member(&member.value, member.display.as_deref(), &member.location);
        }
        w.finish(&m);
        let written: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(written, render_group("g1", "Team \u{1F600}\n", external, &m, Some(list)));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            render_group("g1", "Team \u{1F600}\n", external, &m, Some(list)).to_string()
        );
    }
}

#[test]
fn render_group_with_and_without_members() {
    let m = Meta { location: "https://scim.example/v2/Groups/g1".into(), ..meta("g1") };
    let members = [MemberRef {
        value: "u1".into(),
        display: Some("u@x.org".into()),
        location: "https://scim.example/v2/Users/u1".into(),
    }];
    let g = render_group("g1", "G", Some("ext"), &m, Some(&members));
    assert_eq!(g["schemas"], json!([GROUP_SCHEMA]));
    assert_eq!(g["externalId"], "ext");
    assert_eq!(
        g["members"],
        json!([{"value":"u1","display":"u@x.org","$ref":"https://scim.example/v2/Users/u1","type":"User"}])
    );
    assert_eq!(g["meta"]["resourceType"], "Group");
    let g = render_group("g1", "G", None, &m, None);
    assert!(g.get("members").is_none() && g.get("externalId").is_none());
    assert_eq!(canonical_group(&g).unwrap().display_name, "G");
}

// ---- project ----

fn sample() -> Value {
    let doc = canonical_user(&json!({"userName":"u@x.org","displayName":"U",
        "name":{"givenName":"A","familyName":"B"},
        "emails":[{"value":"u@x.org","type":"work","primary":true},{"value":"h@x.org","type":"home"}],
        ENTERPRISE_USER_SCHEMA: {"department":"Ops","manager":"m1"}}))
    .unwrap();
    render_user(&doc, "u1", &meta("u1"), &[], None)
}

#[test]
fn project_attributes_keeps_id_and_schemas() {
    let out = project(&sample(), &strings(&["UserName", "emails"]), &[]);
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["emails", "id", "schemas", "userName"]);
    assert_eq!(out["emails"].as_array().unwrap().len(), 2);
}

#[test]
fn project_sub_attributes() {
    let out = project(&sample(), &strings(&["name.givenName", "emails.value", "EMAILS.type"]), &[]);
    assert_eq!(out["name"], json!({"givenName":"A"}));
    assert_eq!(out["emails"], json!([{"value":"u@x.org","type":"work"},{"value":"h@x.org","type":"home"}]));
    assert!(out.get("meta").is_none());
    let out = project(&sample(), &strings(&["meta.version"]), &[]);
    assert_eq!(out["meta"], json!({"version":"W/\"1\""}));
}

#[test]
fn project_urn_qualified_names() {
    let e = ENTERPRISE_USER_SCHEMA;
    let out = project(&sample(), &strings(&[&format!("{e}:department")]), &[]);
    assert_eq!(out[e], json!({"department":"Ops"}));
    let out = project(&sample(), &strings(&[&format!("{e}:manager.value")]), &[]);
    assert_eq!(out[e], json!({"manager":{"value":"m1"}}));
    let out = project(&sample(), &strings(&[e]), &[]);
    assert_eq!(out[e]["department"], "Ops");
    let out = project(&sample(), &strings(&[&format!("{USER_SCHEMA}:userName")]), &[]);
    assert_eq!(out["userName"], "u@x.org");
    let out = project(&sample(), &[], &strings(&[e]));
    assert!(out.get(e).is_none());
    let out = project(&sample(), &[], &strings(&[&format!("{e}:department")]));
    assert!(out[e].get("department").is_none() && out[e].get("manager").is_some());
}

#[test]
fn project_excluded_attributes() {
    let out = project(&sample(), &[], &strings(&["emails", "name.familyName", "id", "schemas", "META"]));
    assert!(out.get("emails").is_none() && out.get("meta").is_none());
    assert_eq!(out["name"], json!({"givenName":"A"}));
    assert_eq!(out["id"], "u1");
    assert!(out.get("schemas").is_some());
    assert_eq!(out["userName"], "u@x.org");
    let out = project(&sample(), &[], &strings(&["name.givenName", "name.familyName"]));
    assert!(out.get("name").is_none());
    let out = project(&sample(), &[], &strings(&["emails.type"]));
    assert_eq!(out["emails"][1], json!({"value":"h@x.org"}));
}

#[test]
fn project_attributes_then_excluded() {
    let out = project(&sample(), &strings(&["name", "emails"]), &strings(&["name.familyName"]));
    assert_eq!(out["name"], json!({"givenName":"A"}));
    assert!(out.get("emails").is_some() && out.get("userName").is_none());
    // A whole attribute and one of its sub-attributes together: the whole wins.
    let out = project(&sample(), &strings(&["emails.value", "emails"]), &[]);
    assert_eq!(out["emails"], sample()["emails"]);
    let out = project(&sample(), &strings(&["emails", "emails.value"]), &[]);
    assert_eq!(out["emails"], sample()["emails"]);
}

#[test]
fn project_unknown_names_are_harmless() {
    let out = project(&sample(), &strings(&["nope", "urn:x:y", "", "name.nope"]), &strings(&["zzz"]));
    assert_eq!(out.as_object().unwrap().len(), 2);
    assert_eq!(project(&sample(), &[], &[]), sample());
}

#[test]
fn project_group_members() {
    let m = meta("g1");
    let members = [MemberRef { value: "u1".into(), display: None, location: "l".into() }];
    let g = render_group("g1", "G", None, &m, Some(&members));
    let out = project(&g, &[], &strings(&["members"]));
    assert!(out.get("members").is_none() && out["displayName"] == "G");
    let out = project(&g, &strings(&["displayName"]), &[]);
    assert_eq!(out, json!({"schemas":[GROUP_SCHEMA],"id":"g1","displayName":"G"}));
}

// ---- sort_key ----

#[test]
fn sort_keys() {
    let r = sample();
    assert_eq!(sort_key(&r, "userName").as_deref(), Some("u@x.org"));
    assert_eq!(sort_key(&r, "displayName").as_deref(), Some("u"));
    assert_eq!(sort_key(&r, "name.familyName").as_deref(), Some("b"));
    assert_eq!(sort_key(&r, "emails").as_deref(), Some("u@x.org"));
    assert_eq!(sort_key(&r, "emails.type").as_deref(), Some("work"));
    assert_eq!(sort_key(&r, "id").as_deref(), Some("u1"));
    assert_eq!(sort_key(&r, "meta.created").as_deref(), Some("2024-01-02t03:04:05z"));
    assert_eq!(sort_key(&r, &format!("{ENTERPRISE_USER_SCHEMA}:department")).as_deref(), Some("ops"));
    assert_eq!(sort_key(&r, "title"), None);
    assert_eq!(sort_key(&r, "name"), None);
    let r = render_user(&json!({"userName":"u","externalId":"AbC"}), "X1", &meta("X1"), &[], None);
    assert_eq!(sort_key(&r, "externalId").as_deref(), Some("AbC"));
    assert_eq!(sort_key(&r, "id").as_deref(), Some("X1"));
}

// ---- role_values ----

#[test]
fn role_values_okta_type_keyed() {
    let doc = json!({"roles":[{"type":"LICENSED_USER","value":"LICENSED_USER"},{"type":"SYSTEM_ADMIN","value":"SYSTEM_ADMIN"},
        {"type":"GROUP_ADMIN","value":""},{"type":"RESOURCE_VIEWER"}]});
    assert_eq!(role_values(&doc), strings(&["LICENSED_USER", "SYSTEM_ADMIN"]));
}

#[test]
fn role_values_entra_shapes() {
    let doc = json!({"roles":[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"},
        {"primary":"False","type":"WindowsAzureActiveDirectoryRole","displayName":"User","value":"User"},
        {"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Test","value":"Test"}]});
    assert_eq!(role_values(&doc), strings(&["Admin", "User", "Test"]));
    let doc = json!({"roles":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"},
        {"value":"{\"id\":\"06b07648-ecfe-599f-9d2f-6325724a46ee\",\"value\":\"LICENSED_USER\",\"displayName\":\"User\"}"}]});
    assert_eq!(role_values(&doc), strings(&["Admin", "LICENSED_USER"]));
}

#[test]
fn role_values_plain_trimmed_deduplicated() {
    let doc = json!({"roles":["  LICENSED_USER ", {"value":"licensed_user"}, "", "{not json", {"value":"{\"value\":\"\"}"}, 5, null]});
    assert_eq!(role_values(&doc), strings(&["LICENSED_USER", "{not json"]));
    assert!(role_values(&json!({"userName":"u"})).is_empty());
    assert!(role_values(&json!("x")).is_empty());
}

// ---- emails ----

#[test]
fn email_values_and_primary() {
    let doc = json!({"emails":[{"value":"Home@X.org","type":"home"},{"value":"Work@X.org","type":"work"},{"value":"home@x.org"}]});
    assert_eq!(emails(&doc), strings(&["home@x.org", "work@x.org"]));
    assert_eq!(primary_email(&doc).as_deref(), Some("Work@X.org"));
    let doc = json!({"emails":[{"value":"a@x.org","type":"work"},{"value":"b@x.org","primary":true}]});
    assert_eq!(primary_email(&doc).as_deref(), Some("b@x.org"));
    let doc = json!({"emails":[{"value":"a@x.org"},{"value":"b@x.org"}]});
    assert_eq!(primary_email(&doc).as_deref(), Some("a@x.org"));
    assert_eq!(primary_email(&json!({"userName":"u"})), None);
    assert!(emails(&json!({"emails":"x"})).is_empty());
}

// ---- user_profile ----

#[test]
fn user_profile_reads_core_and_enterprise_fields() {
    let doc = canonical_user(&json!({
        "userName": "ada@example.com",
        "title": "Analyst",
        "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada King, Countess of Lovelace"},
        ENTERPRISE_USER_SCHEMA: {"division": "Research", "department": "Engines", "costCenter": "CC-1842",
                                 "organization": "Analytical"}
    }))
    .unwrap();
    assert_eq!(
        user_profile(&doc),
        UserProfile {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            formatted_name: Some("Ada King, Countess of Lovelace".into()),
            division: Some("Research".into()),
            department: Some("Engines".into()),
            cost_center: Some("CC-1842".into()),
            title: Some("Analyst".into()),
        }
    );
}

#[test]
fn user_profile_of_a_sparse_document_is_empty() {
    let doc = canonical_user(&json!({"userName": "u"})).unwrap();
    assert_eq!(user_profile(&doc), UserProfile::default());
    // Only the fields that are there; the enterprise ones only under the enterprise URN.
    let doc = json!({"name": {"familyName": "Jensen"}, "department": "not enterprise",
                     ENTERPRISE_USER_SCHEMA: {"costCenter": "7"}});
    let p = user_profile(&doc);
    assert_eq!(p.family_name.as_deref(), Some("Jensen"));
    assert_eq!(p.cost_center.as_deref(), Some("7"));
    assert_eq!((p.given_name, p.department, p.division, p.title), (None, None, None, None));
}

#[test]
fn user_profile_takes_strings_as_stored_and_nothing_else() {
    let doc = json!({"title": "", "name": {"givenName": 5, "familyName": null, "formatted": ["x"]},
                     ENTERPRISE_USER_SCHEMA: {"division": {"value": "x"}, "department": true}});
    let p = user_profile(&doc);
    assert_eq!(p.title.as_deref(), Some(""));
    assert_eq!(p.given_name, None);
    assert_eq!(p.family_name, None);
    assert_eq!(p.formatted_name, None);
    assert_eq!(p.division, None);
    assert_eq!(p.department, None);
    for not_a_user in [json!(null), json!("ada"), json!([]), json!({"name": "Ada"})] {
        assert_eq!(user_profile(&not_a_user), UserProfile::default(), "{not_a_user}");
    }
}

#[test]
fn full_name_joins_the_parts_that_are_known() {
    let p = |g: Option<&str>, f: Option<&str>| UserProfile {
        given_name: g.map(str::to_string),
        family_name: f.map(str::to_string),
        ..UserProfile::default()
    };
    assert_eq!(p(Some("Ada"), Some("Lovelace")).full_name().as_deref(), Some("Ada Lovelace"));
    assert_eq!(p(Some("Ada"), None).full_name().as_deref(), Some("Ada"));
    assert_eq!(p(None, Some("Lovelace")).full_name().as_deref(), Some("Lovelace"));
    assert_eq!(p(None, None).full_name(), None);
}

#[test]
fn attribute_names_read_value_filters_as_their_attribute() {
    assert_eq!(attribute_names(" userName , emails "), ["userName", "emails"]);
    assert_eq!(attribute_names(r#"emails[type eq "work"]"#), ["emails"]);
    assert_eq!(attribute_names(r#"emails[type eq "work"].value,name"#), ["emails.value", "name"]);
    assert_eq!(attribute_names(r#"emails[value eq "a,b"],id"#), ["emails", "id"]);
    assert_eq!(attribute_names(r#"emails[value eq "]"]"#), ["emails"]);
    assert_eq!(attribute_names(",,"), Vec::<String>::new());
}
