//! Unit tests of `scim::patch`: parsing PatchOp bodies, the Entra and Okta dialects applied to a
//! User, atomicity, and Group membership changes.

use super::*;
use crate::error::{Result, ScimType};
use crate::scim::resource::{self, canonical_user};
use crate::scim::{ENTERPRISE_USER_SCHEMA, PATCH_OP, SEAT_USER_SCHEMA, USER_SCHEMA};
use serde_json::{Value, json};

/// `parse_ops` of a JSON value's text, read as a User PATCH is.
fn parse_ops(v: Value) -> Result<Vec<PatchOp>> {
    super::parse_ops(v.to_string().as_bytes())
}

fn ops(v: Value) -> Vec<PatchOp> {
    parse_ops(v.clone()).unwrap()
}

fn patch(ops_json: Value) -> Value {
    json!({"schemas":[PATCH_OP],"Operations":ops_json})
}

fn base() -> Value {
    canonical_user(&json!({"userName":"ada@example.com","active":true,"displayName":"Ada",
        "name":{"givenName":"Ada","familyName":"Lovelace"},
        "emails":[{"value":"ada@example.com","type":"work","primary":true}],
        ENTERPRISE_USER_SCHEMA: {"department":"R&D"}}))
    .unwrap()
}

fn apply(doc: &Value, ops_json: Value) -> Result<Value> {
    let mut d = doc.clone();
    let parsed = parse_ops(patch(ops_json))?;
    apply_user(&mut d, &parsed)?;
    Ok(d)
}

fn ok(ops_json: Value) -> Value {
    apply(&base(), ops_json).unwrap()
}

fn fails(ops_json: Value) -> (ScimType, String) {
    let e = apply(&base(), ops_json).unwrap_err();
    assert_eq!(e.status(), 400, "{e:?}");
    (e.scim_type.unwrap(), e.detail)
}

// ---- parse_ops ----

#[test]
fn extension_object_value_may_echo_its_own_schemas() {
    // scim2-tester sends the extension object with its `schemas` inside, by path.
    for op in ["add", "replace"] {
        let d = ok(json!([{"op":op,"path":ENTERPRISE_USER_SCHEMA,
            "value":{"schemas":[ENTERPRISE_USER_SCHEMA],"employeeNumber":"43"}}]));
        assert_eq!(d[ENTERPRISE_USER_SCHEMA]["employeeNumber"], "43");
        assert!(d[ENTERPRISE_USER_SCHEMA].get("schemas").is_none());
    }
}

#[test]
fn op_names_in_any_case() {
    let p = ops(patch(
        json!([{"op":"Add","path":"nickName","value":"Babs"},{"op":"REPLACE","value":{"active":false}},
        {"op":"Remove","path":"title"}]),
    ));
    assert_eq!(p.iter().map(|o| o.op).collect::<Vec<_>>(), [OpKind::Add, OpKind::Replace, OpKind::Remove]);
    let p = ops(json!({"operations":[{"OP":"add","Path":"title","Value":"x"}]}));
    assert_eq!(p[0].value, Some(json!("x")));
    assert_eq!(p[0].path_text.as_deref(), Some("title"));
}

#[test]
fn bad_bodies_are_refused() {
    let cases = [
        json!([]),
        json!({}),
        json!({"Operations":[]}),
        json!({"Operations":{}}),
        json!({"Operations":[5]}),
        json!({"Operations":[{"path":"title","value":"x"}]}),
        json!({"Operations":[{"op":5,"value":{}}]}),
        json!({"Operations":[{"op":"add","path":"title"}]}),
        json!({"Operations":[{"op":"replace","value":"x"}]}),
        json!({"Operations":[{"op":"add","path":5,"value":"x"}]}),
        json!({"schemas":"x","Operations":[{"op":"replace","value":{"active":false}}]}),
    ];
    for c in cases {
        let e = parse_ops(c.clone()).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax), "{c}: {e:?}");
    }
    let e = parse_ops(json!({"Operations":[{"op":"copy","path":"title"}]})).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidSyntax));
    assert!(e.detail.contains("copy") && e.detail.contains("Operations[0]"), "{}", e.detail);
}

#[test]
fn remove_without_path_is_no_target() {
    let e = parse_ops(patch(json!([{"op":"remove","value":{"title":"x"}}]))).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::NoTarget));
}

#[test]
fn schemas_without_patch_op_urn_are_tolerated() {
    assert!(
        parse_ops(json!({"schemas":[],"Operations":[{"op":"replace","value":{"active":false}}]})).is_ok()
    );
    assert!(parse_ops(json!({"Operations":[{"op":"replace","value":{"active":false}}]})).is_ok());
}

#[test]
fn unparseable_paths_are_invalid_path() {
    let e = parse_ops(patch(json!([{"op":"add","path":"emails[type eq","value":"x"}]))).unwrap_err();
    assert_eq!(e.status(), 400);
    assert!(e.detail.contains("Operations[0]"), "{}", e.detail);
}

// ---- Entra user PATCH, default (non-flag) form ----

#[test]
fn entra_disable_with_string_boolean() {
    let d = ok(json!([{"op":"Replace","path":"active","value":"False"}]));
    assert_eq!(d["active"], false);
    let d = apply(&d, json!([{"op":"Replace","path":"active","value":"True"}])).unwrap();
    assert_eq!(d["active"], true);
}

#[test]
fn entra_flag_disable_with_boolean() {
    assert_eq!(ok(json!([{"op":"replace","path":"active","value":false}]))["active"], false);
}

#[test]
fn entra_add_single_value_and_add_as_upsert() {
    let d = ok(json!([{"op":"Add","path":"nickName","value":"Babs"}]));
    assert_eq!(d["nickName"], "Babs");
    let d = apply(&d, json!([{"op":"Add","path":"nickName","value":"Bee"}])).unwrap();
    assert_eq!(d["nickName"], "Bee");
    let d = ok(json!([{"op":"Replace","path":"title","value":"CTO"}]));
    assert_eq!(d["title"], "CTO");
}

#[test]
fn entra_default_paths() {
    let e = ENTERPRISE_USER_SCHEMA;
    let d = ok(json!([
        {"op":"Replace","path":"name.givenName","value":"Augusta"},
        {"op":"Replace","path":"name.familyName","value":"King"},
        {"op":"Replace","path":"externalId","value":"ada"},
        {"op":"Replace","path":"displayName","value":"Augusta King"},
        {"op":"Replace","path":"userName","value":"augusta@example.com"},
        {"op":"Add","path":format!("{e}:employeeNumber"),"value":"42"},
        {"op":"Replace","path":format!("{e}:department"),"value":"Maths"},
        {"op":"Add","path":format!("{e}:organization"),"value":"Analytical"}
    ]));
    assert_eq!(d["name"], json!({"givenName":"Augusta","familyName":"King"}));
    assert_eq!(d["externalId"], "ada");
    assert_eq!(d["userName"], "augusta@example.com");
    assert_eq!(d[e], json!({"employeeNumber":"42","department":"Maths","organization":"Analytical"}));
}

#[test]
fn entra_flag_multi_attribute_form() {
    let d = ok(json!([
        {"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@test.microsoft.com"},
        {"op":"replace","value":{"displayName":"Bjfe","name.givenName":"Kkom","name.familyName":"Unua",
          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}
    ]));
    assert_eq!(d["emails"], json!([{"value":"TestMhvaes@test.microsoft.com","type":"work","primary":true}]));
    assert_eq!(d["displayName"], "Bjfe");
    assert_eq!(d["name"], json!({"givenName":"Kkom","familyName":"Unua"}));
    assert_eq!(d[ENTERPRISE_USER_SCHEMA], json!({"department":"R&D","employeeNumber":"Aklq"}));
}

#[test]
fn filtered_path_creates_missing_element_and_leaves_others() {
    let d = ok(json!([{"op":"Add","path":"emails[type eq \"home\"].value","value":"ada@home.org"}]));
    assert_eq!(
        d["emails"],
        json!([{"value":"ada@example.com","type":"work","primary":true},{"type":"home","value":"ada@home.org"}])
    );
    // Created on a user without emails at all (SCIM-SDK#416).
    let bare = canonical_user(&json!({"userName":"u"})).unwrap();
    let d = apply(&bare, json!([{"op":"Add","path":"emails[type eq \"work\"].value","value":"u@x.org"}]))
        .unwrap();
    assert_eq!(d["emails"], json!([{"type":"work","value":"u@x.org"}]));
    let d = apply(&d, json!([{"op":"Replace","path":"emails[type eq \"work\"].value","value":"v@x.org"}]))
        .unwrap();
    assert_eq!(d["emails"], json!([{"type":"work","value":"v@x.org"}]));
}

#[test]
fn addresses_and_phone_numbers_by_type() {
    let d = ok(json!([
        {"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"1 Main St"},
        {"op":"Add","path":"addresses[type eq \"work\"].postalCode","value":"12345"},
        {"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0101"},
        {"op":"Replace","path":"phoneNumbers[type eq \"work\"].value","value":"+1 555 0100"},
        {"op":"Replace","path":"phoneNumbers[type eq \"fax\"].value","value":"+1 555 0102"}
    ]));
    assert_eq!(d["addresses"], json!([{"type":"work","formatted":"1 Main St","postalCode":"12345"}]));
    assert_eq!(
        d["phoneNumbers"],
        json!([{"type":"mobile","value":"+1 555 0101"},{"type":"work","value":"+1 555 0100"},{"type":"fax","value":"+1 555 0102"}])
    );
    let d = apply(
        &d,
        json!([{"op":"Replace","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 555 0199"}]),
    )
    .unwrap();
    assert_eq!(d["phoneNumbers"][0], json!({"type":"mobile","value":"+1 555 0199"}));
    assert_eq!(d["phoneNumbers"].as_array().unwrap().len(), 3);
    let d = apply(&d, json!([{"op":"remove","path":"phoneNumbers[type eq \"fax\"]"}])).unwrap();
    assert_eq!(d["phoneNumbers"].as_array().unwrap().len(), 2);
}

#[test]
fn roles_single_app_role_assignment_paths() {
    let d = ok(json!([
        {"op":"Add","path":"roles[primary eq \"True\"].value","value":"LICENSED_USER"},
        {"op":"Add","path":"roles[primary eq \"True\"].display","value":"Licensed User"},
        {"op":"Add","path":"roles[primary eq \"True\"].type","value":"WindowsAzureActiveDirectoryRole"}
    ]));
    assert_eq!(
        d["roles"],
        json!([{"primary":true,"value":"LICENSED_USER","display":"Licensed User","type":"WindowsAzureActiveDirectoryRole"}])
    );
    let d =
        apply(&d, json!([{"op":"Replace","path":"roles[primary eq \"True\"].value","value":"GROUP_ADMIN"}]))
            .unwrap();
    assert_eq!(d["roles"].as_array().unwrap().len(), 1);
    assert_eq!(resource::role_values(&d), ["GROUP_ADMIN"]);
}

#[test]
fn roles_app_role_assignments_complex_add_and_assertive_replace() {
    let d = ok(
        json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"},{"value":"{\"id\":\"06b07648-ecfe-599f-9d2f-6325724a46ee\",\"value\":\"User\",\"displayName\":\"User\"}"}]}]),
    );
    assert_eq!(d["roles"].as_array().unwrap().len(), 2);
    assert_eq!(resource::role_values(&d), ["Admin", "User"]);
    // The same add again (Entra re-sends) does not duplicate.
    let d2 = apply(&d, json!([{"op":"Add","path":"roles","value":[{"value":"{\"id\":\"06b07648-ecfe-589f-9d2f-6325724a46ee\",\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]}])).unwrap();
    assert_eq!(d2["roles"].as_array().unwrap().len(), 2);
    let d3 = apply(&d, json!([{"op":"replace","path":"roles","value":[{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"User","value":"User"},{"primary":false,"type":"WindowsAzureActiveDirectoryRole","display":"Test","value":"Test"}]}])).unwrap();
    assert_eq!(resource::role_values(&d3), ["User", "Test"]);
}

#[test]
fn manager_shapes_in_patch() {
    let e = ENTERPRISE_USER_SCHEMA;
    let want = json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"});
    for (path, value) in [
        (format!("{e}:manager"), json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2")),
        (
            "manager".to_string(),
            json!([{"$ref":"https://x/Users/2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2","value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"}]),
        ),
        (format!("{e}:manager"), json!({"value":"2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2"})),
        (format!("{e}:manager.value"), json!("2c2f6fb8-254f-492e-b7fe-c09c5a61c8a2")),
    ] {
        let d = ok(json!([{"op":"add","path":path,"value":value}]));
        assert_eq!(d[e]["manager"], want, "{path}");
        assert_eq!(d[e]["department"], "R&D");
    }
    let d = ok(json!([{"op":"replace","value":{e: {"manager":"m2"}}}]));
    assert_eq!(d[e]["manager"], json!({"value":"m2"}));
    let d = apply(&d, json!([{"op":"remove","path":"manager"}])).unwrap();
    assert!(d[e].get("manager").is_none());
    let (t, _) = fails(json!([{"op":"add","path":"manager","value":["a","b"]}]));
    assert_eq!(t, ScimType::InvalidValue);
}

#[test]
fn extension_object_under_its_urn_merges() {
    let e = ENTERPRISE_USER_SCHEMA;
    let d = ok(json!([{"op":"add","value":{e: {"costCenter":"CC1","division":"D"}}}]));
    assert_eq!(d[e], json!({"department":"R&D","costCenter":"CC1","division":"D"}));
    let d = ok(json!([{"op":"replace","path":e,"value":{"department":"Ops"}}]));
    assert_eq!(d[e], json!({"department":"Ops"}));
    let d = ok(json!([{"op":"remove","path":e}]));
    assert!(d.get(e).is_none());
    let d = ok(json!([{"op":"remove","path":format!("{e}:department")}]));
    assert!(d.get(e).is_none(), "an emptied extension disappears");
}

// ---- Okta user PATCH ----

#[test]
fn okta_deactivate_and_reactivate() {
    let p = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]});
    let mut d = base();
    apply_user(&mut d, &parse_ops(p.clone()).unwrap()).unwrap();
    assert_eq!(d["active"], false);
    let p = json!({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":true}}]});
    apply_user(&mut d, &parse_ops(p.clone()).unwrap()).unwrap();
    assert_eq!(d["active"], true);
}

#[test]
fn okta_password_sync_is_ignored() {
    assert_eq!(ok(json!([{"op":"replace","value":{"password":"s3cret"}}])), base());
    assert_eq!(ok(json!([{"op":"replace","path":"password","value":"s3cret"}])), base());
}

// ---- generic semantics ----

#[test]
fn pathless_keys_any_case_and_unknown_keys_ignored() {
    let d = ok(json!([{"op":"Replace","value":{"DisplayName":"X","Active":"false","nosuch":1,"id":"zz",
        "meta":{"version":"W/\"9\""},"schemas":[USER_SCHEMA],"groups":[],"urn:x:custom:2.0:User":{"a":1}}}]));
    assert_eq!(d["displayName"], "X");
    assert_eq!(d["active"], false);
    assert!(d.get("id").is_none() && d.get("meta").is_none() && d.get("nosuch").is_none());
}

#[test]
fn add_appends_to_multi_valued_and_replace_replaces() {
    let d = ok(
        json!([{"op":"add","path":"emails","value":[{"value":"b@x.org","type":"home"},{"value":"ada@example.com","type":"work","primary":true}]}]),
    );
    assert_eq!(d["emails"].as_array().unwrap().len(), 2);
    let d = ok(json!([{"op":"add","value":{"emails":[{"value":"c@x.org","primary":true}]}}]));
    assert_eq!(d["emails"][0]["primary"], false, "the new primary demotes the old one");
    assert_eq!(d["emails"][1], json!({"value":"c@x.org","primary":true}));
    let d = ok(json!([{"op":"replace","path":"emails","value":[{"value":"z@x.org"}]}]));
    assert_eq!(d["emails"], json!([{"value":"z@x.org"}]));
    let d = ok(json!([{"op":"replace","path":"emails","value":[]}]));
    assert!(d.get("emails").is_none());
}

#[test]
fn complex_add_merges_sub_attributes() {
    let d = ok(json!([{"op":"add","path":"name","value":{"middleName":"Byron"}}]));
    assert_eq!(d["name"], json!({"givenName":"Ada","familyName":"Lovelace","middleName":"Byron"}));
    let d = ok(json!([{"op":"replace","value":{"name":{"givenName":"A"}}}]));
    assert_eq!(d["name"], json!({"givenName":"A","familyName":"Lovelace"}));
}

#[test]
fn null_values_remove() {
    let d = ok(json!([{"op":"replace","path":"displayName","value":null}]));
    assert!(d.get("displayName").is_none());
    let d = ok(json!([{"op":"replace","value":{"name":null}}]));
    assert!(d.get("name").is_none());
}

#[test]
fn remove_with_path() {
    let d = ok(json!([{"op":"remove","path":"displayName"}]));
    assert!(d.get("displayName").is_none());
    let d = ok(json!([{"op":"remove","path":"name.givenName"}]));
    assert_eq!(d["name"], json!({"familyName":"Lovelace"}));
    let d = ok(json!([{"op":"remove","path":"emails[type eq \"work\"]"}]));
    assert!(d.get("emails").is_none());
    let d = ok(json!([{"op":"remove","path":"emails[type eq \"work\"].primary"}]));
    assert_eq!(d["emails"], json!([{"value":"ada@example.com","type":"work"}]));
    let d = ok(json!([{"op":"remove","path":"emails","value":[{"value":"ADA@example.com"}]}]));
    assert!(d.get("emails").is_none());
    // Removing what is not there is not an error (Entra retries).
    let d = ok(json!([{"op":"remove","path":"nickName"},{"op":"remove","path":"emails[type eq \"fax\"]"}]));
    assert_eq!(d, base());
}

#[test]
fn remove_user_name_is_mutability() {
    let (t, d) = fails(json!([{"op":"remove","path":"userName"}]));
    assert_eq!(t, ScimType::Mutability);
    assert!(d.contains("userName"), "{d}");
}

#[test]
fn read_only_attributes_are_mutability_errors() {
    for path in ["id", "meta", "groups", "meta.version", "groups[value eq \"g1\"]"] {
        for op in ["add", "replace", "remove"] {
            let (t, d) = fails(json!([{"op":op,"path":path,"value":"x"}]));
            assert_eq!(t, ScimType::Mutability, "{op} {path}");
            assert!(d.contains(path.split(['.', '[']).next().unwrap()), "{d}");
        }
    }
    let (t, _) = fails(json!([{"op":"add","value":{"groups":[{"value":"g1"}]}}]));
    assert_eq!(t, ScimType::Mutability);
}

#[test]
fn seat_extension_is_silently_ignored() {
    let s = SEAT_USER_SCHEMA;
    let d = ok(json!([{"op":"replace","path":format!("{s}:seatType"),"value":"member"},
        {"op":"replace","value":{s: {"seatType":"member"}}},
        {"op":"remove","path":s},
        {"op":"add","path":"seatType","value":"member"}]));
    assert_eq!(d, base());
}

#[test]
fn unknown_paths_are_invalid_path() {
    for path in [
        "nosuch",
        "name.nick",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:x",
        "displayName.x",
    ] {
        let (t, d) = fails(json!([{"op":"replace","path":path,"value":"x"}]));
        assert_eq!(t, ScimType::InvalidPath, "{path}");
        assert!(d.contains(path), "{d}");
    }
    let (t, _) = fails(json!([{"op":"replace","path":"displayName[value eq \"x\"]","value":"x"}]));
    assert_eq!(t, ScimType::InvalidPath);
}

/// Entra's custom extension attributes: set, replaced and removed by URN path, kept as sent.
#[test]
fn custom_extension_paths_set_replace_and_remove_as_sent() {
    let urn = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let d = ok(json!([{"op":"Replace","path":format!("{urn}:CustomAttribute"),"value":"New"}]));
    assert_eq!(d[urn], json!({"CustomAttribute": "New"}));
    let d = apply(&d, json!([{"op":"add","path":urn,"value":{"badge": 7, "tags": ["a"]}}])).unwrap();
    assert_eq!(d[urn], json!({"CustomAttribute": "New", "badge": 7, "tags": ["a"]}));
    let d = apply(&d, json!([{"op":"replace","value":{format!("{urn}:badge"): 8}}])).unwrap();
    assert_eq!(d[urn]["badge"], 8);
    let d = apply(&d, json!([{"op":"remove","path":format!("{urn}:CustomAttribute")}])).unwrap();
    assert_eq!(d[urn], json!({"badge": 8, "tags": ["a"]}));
    let d = apply(&d, json!([{"op":"replace","path":urn,"value":{"only": true}}])).unwrap();
    assert_eq!(d[urn], json!({"only": true}));
    let d = apply(&d, json!([{"op":"remove","path":urn}])).unwrap();
    assert!(d.get(urn).is_none(), "{d}");
    let (t, _) = fails(json!([{"op":"replace","path":urn,"value":"flat"}]));
    assert_eq!(t, ScimType::InvalidValue);
}

#[test]
fn type_errors_are_invalid_value() {
    for (path, value) in [
        ("active", json!(3)),
        ("emails", json!("x")),
        ("name", json!("x")),
        ("title", json!(7)),
        ("emails[type eq \"work\"].primary", json!("maybe")),
    ] {
        let (t, _) = fails(json!([{"op":"replace","path":path,"value":value}]));
        assert_eq!(t, ScimType::InvalidValue, "{path}");
    }
    let (t, _) = fails(json!([{"op":"replace","value":{"active":"nope"}}]));
    assert_eq!(t, ScimType::InvalidValue);
    let (t, _) = fails(json!([{"op":"replace","path":"userName","value":""}]));
    assert_eq!(t, ScimType::InvalidValue);
}

#[test]
fn atomic_when_a_later_op_fails() {
    let mut d = base();
    let p = parse_ops(patch(json!([{"op":"replace","path":"displayName","value":"Changed"},
        {"op":"replace","path":"active","value":"sometimes"}])))
    .unwrap();
    let e = apply_user(&mut d, &p).unwrap_err();
    assert!(e.detail.starts_with("Operations[1] (replace active)"), "{}", e.detail);
    assert_eq!(d, base());
}

#[test]
fn filter_that_cannot_seed_an_element_is_no_target() {
    let (t, _) =
        fails(json!([{"op":"add","path":"emails[type ne \"work\" and value co \"@\"].display","value":"x"}]));
    assert_eq!(t, ScimType::NoTarget);
}

#[test]
fn filtered_replace_of_whole_element() {
    let d = ok(json!([{"op":"replace","path":"emails[type eq \"work\"]","value":{"value":"new@x.org"}}]));
    assert_eq!(d["emails"], json!([{"value":"new@x.org","type":"work"}]));
    let d = ok(json!([{"op":"add","path":"emails[type eq \"work\"]","value":{"display":"Ada"}}]));
    assert_eq!(
        d["emails"],
        json!([{"value":"ada@example.com","type":"work","primary":true,"display":"Ada"}])
    );
}

#[test]
fn core_urn_qualified_paths_and_case() {
    let d = ok(
        json!([{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:displayName","value":"Q"},
        {"op":"replace","path":"NAME.GIVENNAME","value":"G"},
        {"op":"replace","path":"Emails[Type eq \"WORK\"].Value","value":"w@x.org"}]),
    );
    assert_eq!(d["displayName"], "Q");
    assert_eq!(d["name"]["givenName"], "G");
    assert_eq!(d["emails"], json!([{"value":"w@x.org","type":"work","primary":true}]));
}

#[test]
fn string_booleans_in_filtered_paths_and_values() {
    let d = ok(json!([{"op":"replace","path":"emails[type eq \"work\"].primary","value":"False"}]));
    assert_eq!(d["emails"][0]["primary"], false);
    let d = ok(json!([{"op":"add","path":"emails[primary eq \"true\"].display","value":"Main"}]));
    assert_eq!(d["emails"][0]["display"], "Main");
    assert_eq!(d["emails"].as_array().unwrap().len(), 1);
}

#[test]
fn patch_result_equals_put_of_the_same_state() {
    let via_patch =
        ok(json!([{"op":"replace","value":{"title":"T","emails":[{"Value":"z@x.org","Primary":"True"}]}}]));
    let mut body = base();
    body["title"] = json!("T");
    body["emails"] = json!([{"value":"z@x.org","primary":true}]);
    assert_eq!(via_patch, canonical_user(&body).unwrap());
}

#[test]
fn no_input_panics() {
    let values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1.5),
        json!(""),
        json!("x"),
        json!("True"),
        json!([]),
        json!([null]),
        json!([[]]),
        json!([{}]),
        json!({}),
        json!({"value":null}),
        json!([{"value":"{\"value\":5}"}]),
        json!({"a":{"b":{"c":[1,{"d":null}]}}}),
    ];
    let paths = [
        "userName",
        "name",
        "name.givenName",
        "emails",
        "emails.value",
        "emails[type eq \"work\"]",
        "emails[type eq \"work\"].value",
        "manager",
        "manager.value",
        "roles",
        "roles[primary eq \"True\"].value",
        ENTERPRISE_USER_SCHEMA,
        SEAT_USER_SCHEMA,
        "groups",
        "active",
        "addresses[type eq \"work\"].formatted",
    ];
    for v in &values {
        let _ = canonical_user(v);
        let _ = resource::canonical_group(v.to_string().as_bytes());
        let _ = parse_ops(v.clone());
        let _ = resource::role_values(v);
        let _ = resource::emails(v);
        let _ = resource::primary_email(v);
        for p in paths {
            for op in ["add", "replace", "remove"] {
                let _ = apply(&base(), json!([{"op":op,"path":p,"value":v}]));
                let _ = gch(json!([{"op":op,"path":p,"value":v}]));
            }
            let _ = apply(&base(), json!([{"op":"add","value":{p: v}}]));
            let _ = resource::sort_key(v, p);
            let _ = resource::project(v, &[p.to_string()], &[p.to_string()]);
        }
    }
}

// ---- groups ----

fn gch(ops_json: Value) -> Result<GroupChanges> {
    group_changes(super::parse_ops(patch(ops_json).to_string().as_bytes())?)
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn entra_group_rename_add_remove() {
    let c = gch(json!([{"op":"Replace","path":"displayName","value":"…updatedDisplayName"}])).unwrap();
    assert_eq!(c.display_name.as_deref(), Some("…updatedDisplayName"));
    assert!(c.members.is_empty());
    let c =
        gch(json!([{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]))
            .unwrap();
    assert_eq!(c.members, [MemberOp::Add(ids(&["f648f8d5ea4e4cd38e9c"]))]);
    let c =
        gch(json!([{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]))
            .unwrap();
    assert_eq!(c.members, [MemberOp::Remove(ids(&["f648f8d5ea4e4cd38e9c"]))]);
    let c = gch(json!([{"op":"Add","path":"members","value":[{"value":"8"}]},{"op":"Remove","path":"members","value":[{"value":"u1091"}]}])).unwrap();
    assert_eq!(c.members, [MemberOp::Add(ids(&["8"])), MemberOp::Remove(ids(&["u1091"]))]);
}

#[test]
fn members_value_eq_filters() {
    let c = gch(json!([{"op":"remove","path":"members[value eq \"7f4b\"]"}])).unwrap();
    assert_eq!(c.members, [MemberOp::Remove(ids(&["7f4b"]))]);
    let c =
        gch(json!([{"op":"remove","path":"members[value eq \"a\" or value eq \"b\" or value eq \"a\"]"}]))
            .unwrap();
    assert_eq!(c.members, [MemberOp::Remove(ids(&["a", "b"]))]);
    for path in
        ["members[display eq \"x\"]", "members[value ne \"a\"]", "members[value eq \"a\" and value eq \"b\"]"]
    {
        let e = gch(json!([{"op":"remove","path":path}])).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter), "{path}");
    }
    let e = gch(json!([{"op":"add","path":"members[value eq \"a\"]","value":[{"value":"a"}]}])).unwrap_err();
    assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
}

#[test]
fn okta_group_membership_mixed_ops() {
    let c = gch(json!([
        {"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
        {"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}]))
    .unwrap();
    assert_eq!(
        c.members,
        [
            MemberOp::Remove(ids(&["89bb1940-b905-4575-9e7f-6f887cfb368e"])),
            MemberOp::Add(ids(&["23a35c27-23d3-4c03-b4c5-6443c09e7173"]))
        ]
    );
    let c = gch(json!([{"op":"replace","path":"members","value":[{"value":"a","display":"A"},{"value":"b","display":"B"}]}])).unwrap();
    assert_eq!(c.members, [MemberOp::Replace(ids(&["a", "b"]))]);
    let c = gch(json!([{"op":"replace","path":"members","value":[]}])).unwrap();
    assert_eq!(c.members, [MemberOp::Replace(vec![])]);
}

#[test]
fn okta_rename_leaves_members_alone() {
    let c = gch(json!([{"op":"replace","value":{"id":"abf4dd94-1","displayName":"Test SCIMv2"}}])).unwrap();
    assert_eq!(c, GroupChanges { display_name: Some("Test SCIMv2".into()), ..GroupChanges::default() });
}

#[test]
fn pathless_group_ops_with_members() {
    let c = gch(json!([{"op":"add","value":{"members":[{"value":"a"}],"externalId":"x"}}])).unwrap();
    assert_eq!(c.members, [MemberOp::Add(ids(&["a"]))]);
    assert_eq!(c.external_id, Some(Some("x".into())));
    let c = gch(json!([{"op":"replace","value":{"Members":[{"value":"a"}]}}])).unwrap();
    assert_eq!(c.members, [MemberOp::Replace(ids(&["a"]))]);
}

#[test]
fn remove_all_members_and_external_id() {
    let c = gch(json!([{"op":"remove","path":"members"},{"op":"remove","path":"externalId"}])).unwrap();
    assert_eq!(c.members, [MemberOp::RemoveAll]);
    assert_eq!(c.external_id, Some(None));
    let c = gch(json!([{"op":"replace","path":"externalId","value":"e1"}])).unwrap();
    assert_eq!(c.external_id, Some(Some("e1".into())));
}

#[test]
fn group_paths_any_case_and_urn_qualified() {
    let c = gch(
        json!([{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"N"},
        {"op":"ADD","path":"Members","value":[{"Value":"u1"}]},
        {"op":"replace","value":{"schemas":["x"],"meta":{},"nosuch":1}}]),
    )
    .unwrap();
    assert_eq!(c.display_name.as_deref(), Some("N"));
    assert_eq!(c.members, [MemberOp::Add(ids(&["u1"]))]);
}

#[test]
fn group_errors() {
    for (op, t) in [
        (json!({"op":"add","path":"members","value":"u1"}), ScimType::InvalidValue),
        (json!({"op":"add","path":"members","value":[{"display":"x"}]}), ScimType::InvalidValue),
        (json!({"op":"add","path":"members","value":[{"value":5}]}), ScimType::InvalidValue),
        (json!({"op":"remove","path":"members","value":{"value":"a"}}), ScimType::InvalidValue),
        (json!({"op":"replace","path":"displayName","value":""}), ScimType::InvalidValue),
        (json!({"op":"replace","path":"displayName","value":5}), ScimType::InvalidValue),
        (json!({"op":"remove","path":"displayName"}), ScimType::Mutability),
        (json!({"op":"replace","path":"id","value":"x"}), ScimType::Mutability),
        (json!({"op":"replace","path":"nosuch","value":"x"}), ScimType::InvalidPath),
        (json!({"op":"replace","path":"members.display","value":"x"}), ScimType::InvalidPath),
    ] {
        let e = gch(json!([op.clone()])).unwrap_err();
        assert_eq!(e.scim_type, Some(t), "{op}: {e:?}");
        assert!(e.detail.starts_with("Operations[0]"), "{}", e.detail);
    }
}

/// Member lists are read straight from the body's text into ids: each bad element is named by its
/// index; a `value` key matches in any case, an exact `value` winning wherever it stands; other
/// keys are not kept; a list or an object where a single value belongs is described as such.
#[test]
fn member_lists_read_from_the_text() {
    let detail = |v: Value| gch(json!([{"op":"add","path":"members","value":v}])).unwrap_err().detail;
    let d = detail(json!([{"value":"a"}, 7]));
    assert!(
        d.ends_with("'value[1]' must be an object like {\"value\": \"<user id>\"}, got a number (7)"),
        "{d}"
    );
    let d = detail(json!([{"value":"a"}, [{"value":"b"}]]));
    assert!(d.ends_with("'value[1]' must be an object like {\"value\": \"<user id>\"}, got an array"), "{d}");
    let d = detail(json!([{"value":"a"}, {"display":"b"}]));
    assert!(d.ends_with("'value[1]' has no 'value': each member is {\"value\": \"<user id>\"}"), "{d}");
    let d = detail(json!([{"value":" "}]));
    assert!(
        d.ends_with("'value[0].value' must be a non-empty string (a user id), got the string \" \""),
        "{d}"
    );
    let d = detail(json!({"value":"a"}));
    assert!(
        d.ends_with("'value' must be an array of objects like {\"value\": \"<user id>\"}, got an object"),
        "{d}"
    );
    let body = br#"{"Operations":[{"op":"add","path":"members","value":[
        {"value":"a","Value":"x"},{"VALUE":"y","display":"B","value":"b"},{"vAlue":"c"},{"value":"a"}]}]}"#;
    let c = group_changes(super::parse_ops(body).unwrap()).unwrap();
    assert_eq!(c.members, [MemberOp::Add(ids(&["a", "b", "c"]))]);
    let e = gch(json!([{"op":"replace","path":"displayName","value":[{"value":"a"}]}])).unwrap_err();
    assert!(e.detail.ends_with("got an array"), "{}", e.detail);
    let e = gch(json!([{"op":"replace","path":"externalId","value":{"value":"a"}}])).unwrap_err();
    assert!(e.detail.ends_with("got an object"), "{}", e.detail);
    // A path-less value carries members under any spelling of the attribute, URN-qualified too.
    let c = gch(
        json!([{"op":"add","value":{"urn:ietf:params:scim:schemas:core:2.0:Group:members":[{"value":"u"}]}}]),
    )
    .unwrap();
    assert_eq!(c.members, [MemberOp::Add(ids(&["u"]))]);
}
