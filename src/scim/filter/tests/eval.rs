//! Evaluation against a resource and caseExact, and the members a filter reads.

use super::*;

// ---- matches ----

#[test]
fn strings_compare_case_insensitively_unless_case_exact() {
    assert!(on_user("userName eq \"bjensen@example.com\""));
    assert!(on_user("userName eq \"BJENSEN@EXAMPLE.COM\""));
    assert!(!on_user("userName eq \"bjensen\""));
    assert!(on_user("userName ne \"bjensen\""));
    assert!(!on_user("userName ne \"bjensen@example.COM\""));
    assert!(on_user("externalId eq \"JohnWong\""));
    assert!(!on_user("externalId eq \"johnwong\""));
    assert!(!on_user("externalId eq johnwong"));
    assert!(on_user("id eq \"2819c223-7f76-453a-919d-413861904646\""));
    assert!(!on_user("id eq \"2819C223-7F76-453A-919D-413861904646\""));
    assert!(on_user("displayName co \"isama\""));
    assert!(on_user("meta.version eq \"W/\\\"a330bc54f0671c9\\\"\""));
    assert!(!on_user("meta.version eq \"w/\\\"A330BC54F0671C9\\\"\""));
    assert!(on_user("meta.resourceType eq \"user\""));
}

#[test]
fn attribute_names_match_keys_case_insensitively() {
    assert!(on_user("DisplayName eq \"BobIsAmazing\""));
    assert!(on_user("USERNAME eq \"bjensen@example.com\""));
    assert!(on_user("emails.Value co \"jensen.org\""));
    assert!(on_user("name.FamilyName eq \"jensen\""));
    assert!(on_user("meta.Created gt \"2020-01-01T00:00:00Z\""));
    assert!(on_user("Emails[Type eq \"WORK\"]"));
}

#[test]
fn case_folding_is_the_same_everywhere() {
    let r = json!({"userName": "ΟΔΟΣ Straße"});
    assert_eq!(fold_case("ΟΔΟΣ Straße"), "οδοσ straße");
    assert!(p("userName eq \"οδοσ STRAßE\"").matches(&r));
    assert!(p("userName sw \"οδοσ\"").matches(&r));
    assert!(p("userName ge \"οδοσ straße\" and userName le \"ΟΔΟΣ STRAßE\"").matches(&r));
    assert!(p("userName eq \"ÉMILE\"").matches(&json!({"userName": "émile"})));
}

#[test]
fn substring_operators() {
    assert!(on_user("userName sw \"bjen\""));
    assert!(
        on_user("userName sw \"O\"")
            == user()["userName"].as_str().is_some_and(|s| s.to_lowercase().starts_with('o'))
    );
    assert!(on_user("userName sw B"));
    assert!(on_user("userName ew \"EXAMPLE.COM\""));
    assert!(on_user("userName co \"@exa\""));
    assert!(!on_user("userName co \"@exb\""));
    assert!(on_user("userName co \"\""));
    assert!(!on_user("loginCount co \"4\""));
    assert!(!on_user("active sw \"t\""));
    // caseExact applies to substrings too.
    assert!(on_user("id sw \"2819c223\""));
    assert!(!on_user("id sw \"2819C223\""));
}

#[test]
fn ordering_operators_on_strings_numbers_and_dates() {
    assert!(on_user("meta.created gt \"2020-01-01T00:00:00Z\""));
    assert!(!on_user("meta.created lt \"2020-01-01T00:00:00Z\""));
    assert!(on_user("meta.created ge \"2026-11-23T10:00:00Z\""));
    assert!(on_user("meta.created le \"2026-11-23T10:00:00Z\""));
    assert!(!on_user("meta.created gt \"2026-11-23T10:00:00Z\""));
    assert!(on_user("meta.lastModified gt \"2026-11-23t10:00:00z\""));
    assert!(on_user("loginCount gt 41"));
    assert!(on_user("loginCount ge 42"));
    assert!(!on_user("loginCount gt 42"));
    assert!(on_user("loginCount lt 42.5"));
    assert!(on_user("loginCount le 42.0"));
    assert!(on_user("score gt 2"));
    assert!(on_user("score lt 1e1"));
    assert!(on_user("displayName gt \"ALICE\""));
    assert!(on_user("displayName lt \"carol\""));
    // Numbers and strings do not order against each other.
    assert!(!on_user("loginCount gt \"1\""));
    assert!(!on_user("displayName gt 1"));
    assert!(!on_user("active gt \"a\""));
}

#[test]
fn numbers_compare_exactly() {
    let r = json!({"big": 9007199254740993u64, "neg": -3, "f": 0.1});
    assert!(p("big eq 9007199254740993").matches(&r));
    assert!(!p("big eq 9007199254740992").matches(&r));
    assert!(p("neg lt 18446744073709551615").matches(&r));
    assert!(p("neg eq -3.0").matches(&r));
    assert!(p("f eq 0.1").matches(&r));
    assert!(!p("neg eq \"-3\"").matches(&r));
    assert!(p("neg ne \"-3\"").matches(&r));
}

#[test]
fn booleans_match_json_and_string_forms() {
    assert!(on_user("active eq true"));
    assert!(on_user("active eq True"));
    assert!(on_user("active eq \"True\""));
    assert!(on_user("active eq \"true\""));
    assert!(!on_user("active eq \"False\""));
    assert!(!on_user("active eq false"));
    assert!(on_user("active ne false"));
    assert!(!on_user("active eq \"yes\""));
    // Entra puts string booleans in bodies: `"primary": "True"` still equals true.
    assert!(on_user("roles[primary eq true]"));
    assert!(on_user("emails[primary eq \"TRUE\"]"));
    assert!(!on_user("emails[primary eq false]"));
}

#[test]
fn missing_and_null_attributes() {
    // Missing: every comparison false but ne.
    assert!(!on_user("nickName eq \"x\""));
    assert!(on_user("nickName ne \"x\""));
    assert!(!on_user("profileUrl co \"x\""));
    assert!(!on_user("profileUrl gt \"a\""));
    assert!(on_user("profileUrl ne \"a\""));
    assert!(on_user("name.middleName ne \"a\""));
    assert!(!on_user("name.middleName eq \"a\""));
    assert!(on_user("phoneNumbers.value ne \"x\""));
    assert!(!on_user("phoneNumbers.value eq \"x\""));
    // eq null is "not present", ne null is "present".
    assert!(on_user("nickName eq null"));
    assert!(on_user("title eq null"));
    assert!(on_user("phoneNumbers eq null"));
    assert!(on_user("profileUrl eq null"));
    assert!(!on_user("userName eq null"));
    assert!(on_user("userName ne null"));
    assert!(!on_user("title ne null"));
    assert!(!on_user("nickName ne null"));
}

#[test]
fn present_means_a_non_empty_value() {
    assert!(on_user("userName pr"));
    assert!(on_user("active pr"));
    assert!(on_user("loginCount pr"));
    assert!(on_user("name pr"));
    assert!(on_user("emails pr"));
    assert!(on_user("emails.type pr"));
    assert!(!on_user("title pr"));
    assert!(!on_user("nickName pr"));
    assert!(!on_user("phoneNumbers pr"));
    assert!(!on_user("phoneNumbers.value pr"));
    assert!(!on_user("profileUrl pr"));
    assert!(!on_user("name.middleName pr"));
    assert!(!p("x pr").matches(&json!({"x": {}})));
    assert!(!p("x pr").matches(&json!({"x": [null]})));
    assert!(p("x pr").matches(&json!({"x": false})));
    assert!(p("x pr").matches(&json!({"x": 0})));
    assert!(on_user(&format!("{ENT} pr")));
    assert!(!on_user("urn:ietf:params:scim:schemas:extension:other:1.0:User pr"));
}

#[test]
fn multi_valued_attributes_match_any_element() {
    assert!(on_user("emails.value eq \"babs@jensen.org\""));
    assert!(on_user("emails.value eq \"BJENSEN@example.com\""));
    assert!(on_user("emails.type eq \"home\""));
    // ne is also "any element": one of the two types is not work.
    assert!(on_user("emails.type ne \"work\""));
    assert!(!p("emails.type ne \"work\"").matches(&json!({"emails": [{"type": "work"}]})));
    // Without a sub-attribute, each element stands for its value.
    assert!(on_user("emails co \"jensen.org\""));
    assert!(on_user("emails eq \"babs@jensen.org\""));
    assert!(!on_user("emails eq \"home\""));
    assert!(!on_user("name eq \"Jensen\""));
    assert!(on_user("schemas eq \"URN:ietf:params:scim:schemas:core:2.0:User\""));
}

#[test]
fn value_paths_match_one_element_for_all_conditions() {
    assert!(on_user("emails[type eq \"work\" and value co \"@example.com\"]"));
    assert!(!on_user("emails[type eq \"work\" and value co \"jensen.org\"]"));
    assert!(on_user("emails[type eq \"home\" and value co \"jensen.org\"]"));
    assert!(on_user("emails[type eq \"work\"].value eq \"bjensen@example.com\""));
    assert!(!on_user("emails[type eq \"work\"].value eq \"babs@jensen.org\""));
    assert!(on_user("emails[type eq \"home\"].value pr"));
    assert!(on_user("emails[not (type eq \"work\")]"));
    assert!(!on_user("emails[type eq \"other\"]"));
    assert!(!on_user("phoneNumbers[type eq \"work\"]"));
    assert!(!on_user("userName[value pr]"));
    // A single complex attribute is its one element.
    assert!(on_user("name[givenName eq \"barbara\" and familyName sw \"J\"]"));
    assert!(on_user("emails[type eq \"work\"] and not (emails[type eq \"other\"])"));
}

#[test]
fn urn_prefixes_pick_the_object() {
    assert!(on_user("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"bjensen@example.com\""));
    assert!(on_user("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER:userName eq \"bjensen@example.com\""));
    assert!(on_user("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq \"Barbara\""));
    assert!(on_user(&format!("{ENT}:department eq \"tour operations\"")));
    assert!(on_user(&format!("{}:Department eq \"Tour Operations\"", ENT.to_uppercase())));
    assert!(on_user(&format!("{ENT}:employeeNumber eq \"701984\"")));
    assert!(on_user(&format!("{ENT}:manager.value eq \"26118915-6090-4610-87e4-49d8ca9f808d\"")));
    assert!(!on_user(&format!("{ENT}:manager.value eq \"26118915-6090-4610-87E4-49D8CA9F808D\"")));
    assert!(on_user(&format!("{ENT}:manager.displayName eq \"john smith\"")));
    assert!(on_user(&format!("{ENT}:manager[value sw \"2611\"]")));
    // An extension attribute is not at top level, nor a core one inside an extension.
    assert!(!on_user("department eq \"Tour Operations\""));
    assert!(!on_user(&format!("{ENT}:userName pr")));
    assert!(!on_user("urn:example:other:department pr"));
    assert!(on_group("urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq \"tour guides\""));
}

#[test]
fn group_members_compare_case_exactly() {
    assert!(on_group("members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"));
    assert!(!on_group("members[value eq \"2819C223-7F76-453A-919D-413861904646\"]"));
    assert!(on_group("members.value eq \"902c246b-6245-4190-8e05-00816be7344a\""));
    assert!(!on_group("members.value eq \"902C246B-6245-4190-8E05-00816BE7344A\""));
    assert!(on_group("members eq \"902c246b-6245-4190-8e05-00816be7344a\""));
    assert!(!on_group("members eq \"902C246B-6245-4190-8E05-00816BE7344A\""));
    assert!(on_group("members[display eq \"babs jensen\"]"));
    assert!(on_group("members.$ref ew \"/v2/Users/2819c223-7f76-453a-919d-413861904646\""));
    assert!(!on_group("members[$ref co \"/users/\"]"));
    assert!(on_user("groups[value eq \"abcDEF\"]"));
    assert!(!on_user("groups[value eq \"abcdef\"]"));
    assert!(on_user("groups.display eq \"SALES\""));
}

#[test]
fn logical_operators_evaluate() {
    assert!(on_user("userName pr and active eq true"));
    assert!(!on_user("userName pr and active eq false"));
    assert!(on_user("userName eq \"nobody\" or active eq true"));
    assert!(!on_user("userName eq \"nobody\" or active eq false"));
    assert!(on_user("not (userName eq \"nobody\")"));
    assert!(!on_user("not (userName pr)"));
    assert!(on_user("title pr or nickName pr or userName pr"));
    assert!(!on_user("title pr or nickName pr or profileUrl pr"));
    assert!(on_user("userName pr and displayName pr and name.givenName pr"));
    assert!(!on_user("userName pr and displayName pr and title pr"));
    // Precedence shows in the result: true or (false and false).
    assert!(on_user("userName pr or title pr and nickName pr"));
    assert!(!on_user("(userName pr or title pr) and nickName pr"));
}

#[test]
fn entra_and_okta_query_shapes() {
    let mut u = user();
    u["userName"] = json!("Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee");
    assert!(p("userName eq \"Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee\"").matches(&u));
    assert!(p("userName eq \"test_user_00AA00AA-bb11-cc22-dd33-44ee44ee44ee\"").matches(&u));
    assert!(!p("userName eq \"cf4d78e8-cc4f-4d5d-b8b9-183561c0104a\"").matches(&u));
    assert!(on_user("externalId eq JohnWong"));
    assert!(on_user("emails[type eq \"work\"].value eq \"BJensen@example.com\""));
    assert!(on_user("DisplayName eq \"BobIsAmazing\""));
    assert!(on_user(
        "name.FamilyName eq \"Jensen\" and (emails.Value co \"nobody\" or emails.Value co \"babs\")"
    ));
    assert!(!on_user(
        "name.FamilyName eq \"Jensen\" and (emails.Value co \"nobody\" or emails.Value co \"none\")"
    ));
    assert!(on_user("meta.Created gt \"2020-01-01T00:00:00Z\""));
    let mut okta = user();
    okta["userName"] = json!("test.user@okta.local");
    assert!(p("userName eq \"test.user@okta.local\"").matches(&okta));
    assert!(p("userName sw O").matches(&json!({"userName": "OMalley"})));
    assert!(p("userName sw O").matches(&json!({"userName": "omalley"})));
    assert!(!p("userName sw O").matches(&json!({"userName": "Bob"})));
    assert!(on_group("displayName eq \"Tour Guides\""));
    assert!(on_group("DisplayName eq \"tour guides\" and externalId eq null"));
}

#[test]
fn non_object_resources_match_nothing() {
    for resource in [json!(null), json!([]), json!("userName"), json!(1)] {
        assert!(!p("userName pr").matches(&resource));
        assert!(!p("userName eq \"x\"").matches(&resource));
        assert!(p("userName ne \"x\"").matches(&resource));
    }
}

// ---- case_exact ----

#[test]
fn case_exact_list() {
    let core = "urn:ietf:params:scim:schemas:core:2.0:User";
    for path in [
        attr("id"),
        attr("ID"),
        attr("externalId"),
        attr("externalid"),
        urn(core, "id", None),
        sub("meta", "version"),
        sub("Meta", "Location"),
        sub("members", "value"),
        sub("members", "$ref"),
        sub("groups", "value"),
        sub("Groups", "$REF"),
        sub("anything", "$ref"),
        attr("$ref"),
        urn(ENT, "manager", Some("value")),
        urn(&ENT.to_lowercase(), "Manager", Some("Value")),
        sub("manager", "value"),
    ] {
        assert!(case_exact(&path), "{path}");
    }
    for path in [
        attr("userName"),
        attr("displayName"),
        attr("title"),
        sub("emails", "value"),
        sub("name", "familyName"),
        sub("name", "givenName"),
        sub("members", "display"),
        sub("meta", "created"),
        sub("meta", "resourceType"),
        attr("members"),
        attr("meta"),
        urn(ENT, "department", None),
        urn(ENT, "manager", Some("displayName")),
        urn(ENT, "id", None),
        urn("urn:example:other", "manager", Some("value")),
    ] {
        assert!(!case_exact(&path), "{path}");
    }
}

/// A resource that holds only the top-level members a filter reads (`reads_key`) evaluates as the
/// whole resource: list searches evaluate filters on such a resource.
#[test]
fn a_filter_evaluates_the_members_it_reads_as_the_whole_resource() {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let full = json!({
        "userName": "Bjensen@Example.com", "Active": false, "active": true, "displayName": "Babs",
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}, {"value": "x@y.org"}],
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "groups": [{"value": "g1", "display": "Viewers"}],
        "meta": {"created": "2024-01-02T03:04:05Z", "lastModified": "2024-02-02T03:04:05Z"},
        enterprise: {"department": "Ops", "manager": {"value": "m1"}},
        "id": "u1", "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", enterprise],
    });
    let filters = [
        "userName eq \"bjensen@example.com\"",
        "USERNAME eq \"bjensen@example.com\" and active eq true",
        "active eq false",
        "ACTIVE eq true",
        "displayName pr or title pr",
        "not (title pr)",
        "title eq null",
        "emails[type eq \"work\" and value co \"example\"]",
        "emails.value ew \".org\"",
        "name.givenName sw \"bar\"",
        "groups.display eq \"viewers\" or groups eq \"g2\"",
        "meta.lastModified gt \"2024-01-31T00:00:00Z\"",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"ops\"",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m1\"",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName pr",
        "id eq \"u1\" and not (emails.value eq \"none\")",
        "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"",
    ];
    let Value::Object(members) = &full else { unreachable!() };
    for text in filters {
        let f = p(text);
        let read: serde_json::Map<String, Value> =
            members.iter().filter(|(k, _)| f.reads_key(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        assert!(read.len() < members.len(), "{text} reads every member");
        assert_eq!(f.matches(&Value::Object(read)), f.matches(&full), "{text}");
    }
    assert!(p("userName pr").reads_key("USERNAME"));
    assert!(!p("userName pr").reads_key("emails"));
    assert!(p(&format!("{enterprise}:department pr")).reads_key(enterprise));
    assert!(!p(&format!("{enterprise}:department pr")).reads_key("department"));
}
