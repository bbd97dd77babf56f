//! The SCIM surface beyond the two IdPs' scripts (SPEC.md sections 2 and 6): discovery, list
//! parameters, search, filters, ETags, methods, errors and atomicity, uniqueness and domains, and a
//! large group read without its members.

use crate::harness::{
    Client, ENTERPRISE_URN, GROUP_URN, Resp, Server, USER_URN, auth, expect_list, expect_scim,
    expect_scim_error, patch_ops, query_escape,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

fn user(user_name: &str) -> Value {
    json!({"schemas": [USER_URN], "userName": user_name, "active": true})
}

fn create(s: &Server, body: &Value) -> Value {
    expect_scim(&s.scim("POST", "/Users", Some(body)), 201)
}

fn new_user(s: &Server, user_name: &str) -> String {
    create(s, &user(user_name))["id"].as_str().unwrap().to_string()
}

fn get_user(s: &Server, id: &str) -> Value {
    expect_scim(&s.scim("GET", &format!("/Users/{id}"), None), 200)
}

fn new_group(s: &Server, name: &str, members: &[&str]) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas": [GROUP_URN], "displayName": name, "members": members});
    expect_scim(&s.scim("POST", "/Groups", Some(&body)), 201)["id"].as_str().unwrap().to_string()
}

fn member_ids(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(|e| e["value"].as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// `GET /Users?filter=…`: the userNames found, sorted, after checking the counters.
fn user_names(s: &Server, filter: &str) -> Vec<String> {
    let (total, found) =
        expect_list(&s.scim("GET", &format!("/Users?filter={}", query_escape(filter)), None));
    assert_eq!(total as usize, found.len(), "{filter}");
    let mut names: Vec<String> = found.iter().map(|u| u["userName"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

fn list_user_names(r: &Resp) -> Vec<String> {
    expect_list(r).1.iter().map(|u| u["userName"].as_str().unwrap().to_string()).collect()
}

/// Creates `n` users over one keep-alive connection; returns their ids in creation order.
fn bulk_users(s: &Server, prefix: &str, n: usize) -> Vec<String> {
    let mut c: Client = s.client(s.scim_addr);
    let headers = auth(&s.scim_token);
    let path = format!("{}/Users", s.base_path);
    (0..n)
        .map(|i| {
            let r = c.send("POST", &path, &headers, Some(&user(&format!("{prefix}{i:05}@example.com"))));
            assert_eq!(r.status, 201, "{}", r.text());
            r.json()["id"].as_str().unwrap().to_string()
        })
        .collect()
}

// ------------------------------------------------------------------------------------------------
// Discovery.

#[test]
fn service_provider_config_announces_exactly_what_is_implemented() {
    let s = Server::start_contoso();
    let v = expect_scim(&s.scim("GET", "/ServiceProviderConfig", None), 200);
    assert_eq!(v["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]));
    assert_eq!(v["patch"]["supported"], json!(true));
    assert_eq!(v["bulk"]["supported"], json!(false));
    assert_eq!(v["filter"]["supported"], json!(true));
    assert_eq!(v["filter"]["maxResults"], json!(1000));
    assert_eq!(v["etag"]["supported"], json!(true));
    assert_eq!(v["sort"]["supported"], json!(true));
    assert_eq!(v["changePassword"]["supported"], json!(false));
    let schemes = v["authenticationSchemes"].as_array().unwrap();
    assert!(schemes.iter().any(|a| a["type"] == "oauthbearertoken"), "{v}");
}

#[test]
fn schemas_and_resource_types_are_list_responses_and_resolve_by_name() {
    let s = Server::start_contoso();
    let (total, schemas) = expect_list(&s.scim("GET", "/Schemas", None));
    let ids: BTreeSet<&str> = schemas.iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert_eq!(total as usize, schemas.len());
    for urn in [USER_URN, GROUP_URN, ENTERPRISE_URN] {
        assert!(ids.contains(urn), "{urn} missing from /Schemas: {ids:?}");
    }
    let v = expect_scim(&s.scim("GET", &format!("/Schemas/{USER_URN}"), None), 200);
    assert_eq!(v["id"], USER_URN);
    let attrs = v["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(user_name["required"], json!(true));
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(expect_scim(&s.scim("GET", &format!("/Schemas/{GROUP_URN}"), None), 200)["id"], GROUP_URN);

    let (_, types) = expect_list(&s.scim("GET", "/ResourceTypes", None));
    let by_name: BTreeSet<&str> = types.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(by_name, BTreeSet::from(["Group", "User"]));
    let u = expect_scim(&s.scim("GET", "/ResourceTypes/User", None), 200);
    assert_eq!(u["endpoint"], "/Users");
    assert_eq!(u["schema"], USER_URN);
    assert!(u["schemaExtensions"].to_string().contains(ENTERPRISE_URN), "{u}");
    assert_eq!(expect_scim(&s.scim("GET", "/ResourceTypes/Group", None), 200)["endpoint"], "/Groups");

    expect_scim_error(&s.scim("GET", "/ResourceTypes/Printer", None), 404, None);
    expect_scim_error(&s.scim("GET", "/Schemas/urn:example:nothing:2.0:Thing", None), 404, None);
}

#[test]
fn bulk_answers_501_with_a_scim_error() {
    let s = Server::start_contoso();
    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []});
    expect_scim_error(&s.scim("POST", "/Bulk", Some(&body)), 501, None);
}

// ------------------------------------------------------------------------------------------------
// List parameters and search.

#[test]
fn attributes_and_excluded_attributes_shape_get_and_list_answers() {
    let s = Server::start_contoso();
    let u = create(
        &s,
        &json!({"schemas": [USER_URN], "userName": "shape@example.com", "displayName": "Shape",
                "name": {"givenName": "Sha", "familyName": "Pe"}, "title": "T",
                "emails": [{"type": "work", "value": "shape@contoso.com"}]}),
    );
    let id = u["id"].as_str().unwrap();
    let v = expect_scim(&s.scim("GET", &format!("/Users/{id}?attributes=userName,emails"), None), 200);
    assert_eq!(v["id"], json!(id), "id is always returned");
    assert_eq!(v["userName"], "shape@example.com");
    assert_eq!(v["emails"][0]["value"], "shape@contoso.com");
    for gone in ["displayName", "name", "title"] {
        assert!(v.get(gone).is_none(), "{gone} was not asked for: {v}");
    }
    let v = expect_scim(&s.scim("GET", &format!("/Users/{id}?excludedAttributes=emails,name"), None), 200);
    assert_eq!(v["id"], json!(id));
    assert_eq!(v["userName"], "shape@example.com");
    assert_eq!(v["displayName"], "Shape");
    assert!(v.get("emails").is_none() && v.get("name").is_none(), "{v}");
    // The same on a list.
    let (_, found) = expect_list(&s.scim("GET", "/Users?attributes=userName", None));
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["userName"], "shape@example.com");
    assert!(found[0].get("displayName").is_none() && found[0].get("emails").is_none(), "{}", found[0]);
    let (_, found) = expect_list(&s.scim("GET", "/Users?excludedAttributes=title,displayName", None));
    assert!(found[0].get("title").is_none() && found[0].get("displayName").is_none(), "{}", found[0]);
    assert_eq!(found[0]["emails"][0]["value"], "shape@contoso.com");
    // A sub-attribute.
    let v = expect_scim(&s.scim("GET", &format!("/Users/{id}?attributes=name.familyName"), None), 200);
    assert_eq!(v["name"], json!({"familyName": "Pe"}), "{v}");
}

#[test]
fn sort_by_and_sort_order_order_the_list() {
    let s = Server::start_contoso();
    for (u, family) in
        [("charlie@example.com", "Alpha"), ("alice@example.com", "Charlie"), ("bob@example.com", "Bravo")]
    {
        create(&s, &json!({"schemas": [USER_URN], "userName": u, "name": {"familyName": family}}));
    }
    let asc = list_user_names(&s.scim("GET", "/Users?sortBy=userName", None));
    assert_eq!(asc, ["alice@example.com", "bob@example.com", "charlie@example.com"]);
    let desc = list_user_names(&s.scim("GET", "/Users?sortBy=userName&sortOrder=descending", None));
    assert_eq!(desc, ["charlie@example.com", "bob@example.com", "alice@example.com"]);
    let by_family =
        list_user_names(&s.scim("GET", "/Users?sortBy=name.familyName&sortOrder=ascending", None));
    assert_eq!(by_family, ["charlie@example.com", "bob@example.com", "alice@example.com"]);
    // Sorting and paging together: the second page of the sorted list.
    let r = s.scim("GET", "/Users?sortBy=userName&startIndex=2&count=1", None);
    assert_eq!(list_user_names(&r), ["bob@example.com"]);
    assert_eq!(expect_list(&r).0, 3);
    expect_scim_error(
        &s.scim("GET", "/Users?sortBy=userName&sortOrder=sideways", None),
        400,
        Some("invalidValue"),
    );
}

#[test]
fn count_zero_returns_only_the_total() {
    let s = Server::start_contoso();
    for i in 0..3 {
        new_user(&s, &format!("zero{i}@example.com"));
    }
    let r = s.scim("GET", "/Users?count=0", None);
    let v = expect_scim(&r, 200);
    let (total, found) = expect_list(&r);
    assert_eq!(total, 3);
    assert!(found.is_empty(), "{v}");
    assert_eq!(v["itemsPerPage"], json!(0));
    let (total, found) = expect_list(&s.scim("GET", "/Users?count=0&filter=userName+sw+%22zero%22", None));
    assert_eq!((total, found.len()), (3, 0));
}

#[test]
fn count_over_max_results_is_clamped_to_1000() {
    let s = Server::start_contoso();
    bulk_users(&s, "clamp", 1001);
    let r = s.scim("GET", "/Users?count=5000", None);
    let v = expect_scim(&r, 200);
    let (total, found) = expect_list(&r);
    assert_eq!(total, 1001);
    assert_eq!(found.len(), 1000);
    assert_eq!(v["itemsPerPage"], json!(1000));
    // A filter that matches all of them is capped the same way.
    let (total, found) =
        expect_list(&s.scim("GET", "/Users?count=1001&filter=userName+sw+%22clamp%22", None));
    assert_eq!((total, found.len()), (1001, 1000));
    // The rest is on the next page.
    let (_, rest) = expect_list(&s.scim("GET", "/Users?startIndex=1001&count=5000", None));
    assert_eq!(rest.len(), 1);
}

#[test]
fn start_index_beyond_the_end_is_an_empty_page() {
    let s = Server::start_contoso();
    for i in 0..3 {
        new_user(&s, &format!("page{i}@example.com"));
    }
    let r = s.scim("GET", "/Users?startIndex=10&count=5", None);
    let v = expect_scim(&r, 200);
    let (total, found) = expect_list(&r);
    assert_eq!((total, found.len()), (3, 0));
    assert_eq!(v["startIndex"], json!(10));
    let (total, found) = expect_list(&s.scim("GET", "/Groups?startIndex=5", None));
    assert_eq!((total, found.len()), (0, 0));
}

#[test]
fn search_by_post_answers_users_and_groups_like_get() {
    let s = Server::start_contoso();
    let a = new_user(&s, "search.alpha@example.com");
    new_user(&s, "search.beta@example.com");
    new_user(&s, "other@example.com");
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName sw \"search.\"",
        "sortBy": "userName",
        "sortOrder": "descending",
        "startIndex": 1,
        "count": 10,
        "attributes": ["userName"]
    });
    let r = s.scim("POST", "/Users/.search", Some(&body));
    assert_eq!(list_user_names(&r), ["search.beta@example.com", "search.alpha@example.com"]);
    let (_, found) = expect_list(&r);
    assert!(found[0].get("active").is_none(), "attributes applies: {}", found[0]);
    let gid = new_group(&s, "Searchable", &[&a]);
    new_group(&s, "Other", &[]);
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "displayName eq \"searchable\"",
        "excludedAttributes": ["members"]
    });
    let (total, found) = expect_list(&s.scim("POST", "/Groups/.search", Some(&body)));
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(gid));
    assert!(found[0].get("members").is_none(), "{}", found[0]);
    // A bad filter in the body is the same 400 as in a query.
    let bad = json!({"filter": "userName eq"});
    expect_scim_error(&s.scim("POST", "/Users/.search", Some(&bad)), 400, Some("invalidFilter"));
    // .search takes POST only.
    expect_scim_error(&s.scim("GET", "/Users/.search", None), 405, None);
}

// ------------------------------------------------------------------------------------------------
// Filters.

/// Four users with the attributes the filter tests look at.
fn filter_fixture(s: &Server) -> Vec<String> {
    let people = [
        json!({"schemas": [USER_URN], "userName": "ada@example.com", "externalId": "ext-ada", "title": "Engineer",
               "name": {"givenName": "Ada", "familyName": "Lovelace"},
               "emails": [{"type": "work", "value": "ada@x.org"}, {"type": "home", "value": "ada@home.net"}]}),
        json!({"schemas": [USER_URN], "userName": "grace@example.com", "externalId": "ext-grace", "title": "Admiral",
               "name": {"givenName": "Grace", "familyName": "Hopper"},
               "emails": [{"type": "work", "value": "grace@y.org"}]}),
        json!({"schemas": [USER_URN], "userName": "alan@example.com", "externalId": "ext-alan",
               "name": {"givenName": "Alan", "familyName": "Turing"},
               "emails": [{"type": "home", "value": "alan@x.org"}]}),
        json!({"schemas": [USER_URN], "userName": "Oscar@example.com", "active": false,
               "name": {"givenName": "Oscar", "familyName": "Lovelace"}}),
    ];
    people.iter().map(|p| create(s, p)["id"].as_str().unwrap().to_string()).collect()
}

/// An update rewrites the rows that index a user's emails only when its emails changed: a PATCH of
/// something else keeps them findable, and a PATCH of the emails moves them.
#[test]
fn email_filters_follow_a_patch_of_the_emails_and_outlast_other_patches() {
    let s = Server::start_contoso();
    let body = json!({"schemas": [USER_URN], "userName": "ada@example.com",
        "emails": [{"value": "ada@example.com", "primary": true}, {"value": "ada@home.net", "type": "home"}]});
    let id = create(&s, &body)["id"].as_str().unwrap().to_string();
    let patch = |ops: Value| {
        let r = s.scim("PATCH", &format!("/Users/{id}"), Some(&patch_ops(ops)));
        expect_scim(&r, 200)
    };
    patch(json!([{"op": "replace", "path": "displayName", "value": "Ada L."}]));
    assert_eq!(user_names(&s, r#"emails.value eq "ada@home.net""#), ["ada@example.com"]);
    let u =
        patch(json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "ada@new.net"}]));
    assert_eq!(u["displayName"], "Ada L.", "{u}");
    assert!(user_names(&s, r#"emails.value eq "ada@home.net""#).is_empty());
    assert_eq!(user_names(&s, r#"emails.value eq "ADA@new.net""#), ["ada@example.com"]);
    assert_eq!(user_names(&s, r#"emails.value eq "ada@example.com""#), ["ada@example.com"]);
}

#[test]
fn indexed_equality_filters_find_users_and_groups() {
    let s = Server::start_contoso();
    // The primary email is what the validated domains are checked against.
    s.validate_domain("x.org");
    s.validate_domain("y.org");
    let ids = filter_fixture(&s);
    assert_eq!(user_names(&s, r#"userName eq "ADA@example.com""#), names(&["ada@example.com"]));
    assert_eq!(user_names(&s, r#"externalId eq "ext-grace""#), names(&["grace@example.com"]));
    assert_eq!(user_names(&s, &format!(r#"id eq "{}""#, ids[2])), names(&["alan@example.com"]));
    assert_eq!(user_names(&s, r#"emails.value eq "ADA@x.org""#), names(&["ada@example.com"]));
    assert_eq!(user_names(&s, r#"emails.value eq "ada@home.net""#), names(&["ada@example.com"]));
    assert_eq!(
        user_names(&s, r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alan@example.com""#),
        names(&["alan@example.com"])
    );
    assert!(user_names(&s, r#"externalId eq "EXT-GRACE""#).is_empty(), "externalId is caseExact");
    assert!(user_names(&s, r#"id eq "no-such-id""#).is_empty());
    let gid = new_group(&s, "Engineers", &[&ids[0]]);
    let (total, found) = expect_list(&s.scim(
        "GET",
        &format!("/Groups?filter={}", query_escape(r#"displayName eq "ENGINEERS""#)),
        None,
    ));
    assert_eq!(total, 1);
    assert_eq!(found[0]["id"], json!(gid));
}

#[test]
fn scanned_filters_apply_the_whole_grammar() {
    let s = Server::start_contoso();
    // The primary email is what the validated domains are checked against.
    s.validate_domain("x.org");
    s.validate_domain("y.org");
    filter_fixture(&s);
    let all = ["ada@example.com", "alan@example.com", "grace@example.com", "Oscar@example.com"];
    assert_eq!(user_names(&s, r#"userName co "GRAC""#), names(&["grace@example.com"]));
    assert_eq!(user_names(&s, r#"userName sw "a""#), names(&["ada@example.com", "alan@example.com"]));
    assert_eq!(user_names(&s, r#"userName sw "O""#), names(&["Oscar@example.com"]));
    assert_eq!(user_names(&s, r#"userName ew "@EXAMPLE.COM""#), names(&all));
    assert_eq!(user_names(&s, "title pr"), names(&["ada@example.com", "grace@example.com"]));
    assert_eq!(user_names(&s, "not (title pr)"), names(&["alan@example.com", "Oscar@example.com"]));
    assert_eq!(
        user_names(&s, r#"title ne "Engineer""#),
        names(&["alan@example.com", "grace@example.com", "Oscar@example.com"])
    );
    assert_eq!(user_names(&s, "active eq false"), names(&["Oscar@example.com"]));
    assert_eq!(
        user_names(&s, r#"name.familyName eq "Lovelace" and active eq true"#),
        names(&["ada@example.com"])
    );
    assert_eq!(
        user_names(&s, r#"name.familyName eq "Turing" or name.givenName eq "Grace""#),
        names(&["alan@example.com", "grace@example.com"])
    );
    // Microsoft's reference filter, with attribute names in other cases.
    assert_eq!(
        user_names(
            &s,
            r#"name.FamilyName eq "Lovelace" and (emails.Value co "x.org" or emails.Value co "y.org")"#
        ),
        names(&["ada@example.com"])
    );
    // Value paths: both conditions must hold on the same email.
    assert_eq!(
        user_names(&s, r#"emails[type eq "work" and value co "@x.org"]"#),
        names(&["ada@example.com"])
    );
    assert_eq!(
        user_names(&s, r#"emails[type eq "home" and value co "@x.org"]"#),
        names(&["alan@example.com"])
    );
    assert!(user_names(&s, r#"emails[type eq "work" and value co "home.net"]"#).is_empty());
    assert_eq!(user_names(&s, r#"emails[type eq "work"]"#), names(&["ada@example.com", "grace@example.com"]));
    // Operators in any case.
    assert_eq!(user_names(&s, r#"userName SW "gr" AND title PR"#), names(&["grace@example.com"]));
}

#[test]
fn meta_created_gt_finds_only_users_created_later() {
    let s = Server::start_contoso();
    let early = create(&s, &user("early@example.com"));
    // meta.created has one-second resolution.
    std::thread::sleep(Duration::from_millis(1100));
    create(&s, &user("late1@example.com"));
    create(&s, &user("late2@example.com"));
    let t = early["meta"]["created"].as_str().unwrap();
    assert_eq!(
        user_names(&s, &format!(r#"meta.created gt "{t}""#)),
        names(&["late1@example.com", "late2@example.com"])
    );
    assert_eq!(user_names(&s, &format!(r#"meta.Created ge "{t}""#)).len(), 3);
    assert_eq!(user_names(&s, &format!(r#"meta.created le "{t}""#)), names(&["early@example.com"]));
    let (total, _) = expect_list(&s.scim(
        "GET",
        &format!("/Users?count=0&filter={}", query_escape(&format!(r#"meta.created gt "{t}""#))),
        None,
    ));
    assert_eq!(total, 2);
}

#[test]
fn filters_that_do_not_parse_are_400_invalid_filter() {
    let s = Server::start_contoso();
    for bad in [
        r#"userName eq"#,
        r#"userName zz "x""#,
        r#"(userName eq "a""#,
        r#"emails[type eq "work""#,
        r#"userName eq "unterminated"#,
        r#"and userName eq "a""#,
        r#"title gt true"#,
    ] {
        let r = s.scim("GET", &format!("/Users?filter={}", query_escape(bad)), None);
        expect_scim_error(&r, 400, Some("invalidFilter"));
    }
    let r = s.scim("GET", &format!("/Groups?filter={}", query_escape("displayName eq")), None);
    expect_scim_error(&r, 400, Some("invalidFilter"));
}

#[test]
fn a_5000_character_filter_is_400() {
    let s = Server::start_contoso();
    let long = format!(r#"userName eq "{}""#, "a".repeat(5000 - 14));
    assert_eq!(long.len(), 5000);
    let r = s.scim("GET", &format!("/Users?filter={}", query_escape(&long)), None);
    expect_scim_error(&r, 400, Some("invalidFilter"));
    let r = s.scim("POST", "/Users/.search", Some(&json!({"filter": long})));
    expect_scim_error(&r, 400, Some("invalidFilter"));
    // The server is still fine.
    expect_list(&s.scim("GET", "/Users", None));
}

#[test]
fn a_filter_nested_100_parentheses_deep_is_400() {
    let s = Server::start_contoso();
    let deep = format!("{}userName eq \"a\"{}", "(".repeat(100), ")".repeat(100));
    let r = s.scim("GET", &format!("/Users?filter={}", query_escape(&deep)), None);
    expect_scim_error(&r, 400, Some("invalidFilter"));
    let deep_not = format!("{}userName eq \"a\"{}", "not (".repeat(100), ")".repeat(100));
    let r = s.scim("GET", &format!("/Users?filter={}", query_escape(&deep_not)), None);
    expect_scim_error(&r, 400, Some("invalidFilter"));
    expect_list(&s.scim("GET", "/Users", None));
}

// ------------------------------------------------------------------------------------------------
// ETags.

fn send_with(s: &Server, method: &str, path: &str, header: (&str, &str), body: Option<&Value>) -> Resp {
    let mut headers = auth(&s.scim_token);
    headers.push((header.0.to_string(), header.1.to_string()));
    s.client(s.scim_addr).send(method, &format!("{}{path}", s.base_path), &headers, body)
}

/// A membership change gives each member a new version and lastModified (its `groups` changed),
/// kept apart from its row (schema version 8): the versions a client sees still count every change
/// once, in order, and `If-Match` holds across both kinds of change.
#[test]
fn a_membership_change_is_one_new_version_of_each_member() {
    let s = Server::start_contoso();
    let (ann, ben) = (new_user(&s, "ann@example.com"), new_user(&s, "ben@example.com"));
    let path = format!("/Users/{ann}");
    let created = get_user(&s, &ann);
    assert_eq!(created["meta"]["version"], r#"W/"1""#);
    // lastModified is kept to the second: let one pass so a change shows.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let eng = new_group(&s, "Engineering", &[ann.as_str(), ben.as_str()]);
    let joined = get_user(&s, &ann);
    assert_eq!(joined["meta"]["version"], r#"W/"2""#, "{joined}");
    assert!(joined["meta"]["lastModified"].as_str() > created["meta"]["lastModified"].as_str(), "{joined}");
    assert_eq!(joined["groups"][0]["display"], "Engineering");
    let sales = new_group(&s, "Sales", &[ann.as_str()]);
    assert_eq!(get_user(&s, &ann)["meta"]["version"], r#"W/"3""#);
    assert_eq!(get_user(&s, &ben)["meta"]["version"], r#"W/"2""#, "ben joined one group");
    // The user's own change is one version more, guarded by the version its groups gave it.
    let change = patch_ops(json!([{"op": "replace", "path": "title", "value": "Lead"}]));
    expect_scim_error(&send_with(&s, "PATCH", &path, ("If-Match", r#"W/"2""#), Some(&change)), 412, None);
    let r = send_with(&s, "PATCH", &path, ("If-Match", r#"W/"3""#), Some(&change));
    assert_eq!(expect_scim(&r, 200)["meta"]["version"], r#"W/"4""#);
    assert_eq!(r.header("etag"), Some(r#"W/"4""#));
    // Leaving a group and the other group's delete: one version each, and no group left.
    let leave = patch_ops(json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]));
    let r = s.scim("PATCH", &format!("/Groups/{sales}"), Some(&leave));
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(get_user(&s, &ann)["meta"]["version"], r#"W/"5""#);
    assert_eq!(s.scim("DELETE", &format!("/Groups/{eng}"), None).status, 204);
    let left = get_user(&s, &ann);
    assert_eq!(left["meta"]["version"], r#"W/"6""#, "{left}");
    assert_eq!(left["title"], "Lead");
    assert!(left["groups"].as_array().is_none_or(Vec::is_empty), "{left}");
    assert_eq!(get_user(&s, &ben)["meta"]["version"], r#"W/"3""#);
    // The version a list or a filter shows is the same.
    let r = s.scim("GET", "/Users?filter=userName%20eq%20%22ann@example.com%22", None);
    assert_eq!(expect_scim(&r, 200)["Resources"][0]["meta"]["version"], r#"W/"6""#);
    let r = expect_scim(&s.scim("GET", "/Users?count=10", None), 200);
    let listed: Vec<&Value> =
        r["Resources"].as_array().unwrap().iter().map(|u| &u["meta"]["version"]).collect();
    assert_eq!(listed, [r#"W/"6""#, r#"W/"3""#], "{r}");
}

#[test]
fn if_match_guards_writes_and_if_none_match_answers_304() {
    let s = Server::start_contoso();
    let id = new_user(&s, "etag@example.com");
    let path = format!("/Users/{id}");
    let r = s.scim("GET", &path, None);
    let v = expect_scim(&r, 200);
    assert_eq!(r.header("etag"), Some(r#"W/"1""#));
    assert_eq!(v["meta"]["version"], r#"W/"1""#);
    let change = |title: &str| patch_ops(json!([{"op": "replace", "path": "title", "value": title}]));
    let r = send_with(&s, "PATCH", &path, ("If-Match", r#"W/"1""#), Some(&change("First")));
    let v = expect_scim(&r, 200);
    assert_eq!(v["title"], "First");
    assert_eq!(r.header("etag"), Some(r#"W/"2""#));
    // Version 1 is stale now: 412 and nothing changes.
    let r = send_with(&s, "PATCH", &path, ("If-Match", r#"W/"1""#), Some(&change("Second")));
    expect_scim_error(&r, 412, None);
    let mut put = get_user(&s, &id);
    put["title"] = json!("Put");
    expect_scim_error(&send_with(&s, "PUT", &path, ("If-Match", r#"W/"1""#), Some(&put)), 412, None);
    expect_scim_error(&send_with(&s, "DELETE", &path, ("If-Match", r#"W/"1""#), None), 412, None);
    let now = get_user(&s, &id);
    assert_eq!(now["title"], "First");
    assert_eq!(now["meta"]["version"], r#"W/"2""#);
    // If-None-Match with the current version: 304 and no body; with an old one: the resource.
    let r = send_with(&s, "GET", &path, ("If-None-Match", r#"W/"2""#), None);
    assert_eq!(r.status, 304, "{}", r.text());
    assert!(r.body.is_empty());
    let r = send_with(&s, "GET", &path, ("If-None-Match", r#"W/"1""#), None);
    assert_eq!(expect_scim(&r, 200)["title"], "First");
    // The current version lets a write through; so does `*`.
    let r = send_with(&s, "PUT", &path, ("If-Match", r#"W/"2""#), Some(&put));
    assert_eq!(expect_scim(&r, 200)["title"], "Put");
    let r = send_with(&s, "DELETE", &path, ("If-Match", "*"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    // Groups carry ETags too.
    let gid = new_group(&s, "Tagged", &[]);
    let r = s.scim("GET", &format!("/Groups/{gid}"), None);
    assert_eq!(r.header("etag"), Some(r#"W/"1""#));
    let rename = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "Retagged"}]));
    expect_scim_error(
        &send_with(&s, "PATCH", &format!("/Groups/{gid}"), ("If-Match", r#"W/"7""#), Some(&rename)),
        412,
        None,
    );
    let r = send_with(&s, "GET", &format!("/Groups/{gid}"), ("If-None-Match", r#"W/"1""#), None);
    assert_eq!(r.status, 304);
}

// ------------------------------------------------------------------------------------------------
// Methods, ids and bad input.

#[test]
fn unsupported_methods_are_405_with_a_scim_error() {
    let s = Server::start_contoso();
    let id = new_user(&s, "methods@example.com");
    let body = json!({});
    for (method, path) in [
        ("DELETE", "/Users".to_string()),
        ("PUT", "/Users".to_string()),
        ("PATCH", "/Groups".to_string()),
        ("POST", format!("/Users/{id}")),
        ("DELETE", "/ServiceProviderConfig".to_string()),
        ("POST", "/Schemas".to_string()),
    ] {
        let r = s.scim(method, &path, if method == "DELETE" { None } else { Some(&body) });
        expect_scim_error(&r, 405, None);
    }
    // Nothing was deleted.
    get_user(&s, &id);
}

#[test]
fn unknown_ids_are_404_with_a_scim_error_body() {
    let s = Server::start_contoso();
    let patch = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "x"}]));
    let put_user = user("nobody@example.com");
    let put_group = json!({"schemas": [GROUP_URN], "displayName": "Nobody"});
    for (method, path, body) in [
        ("GET", "/Users/does-not-exist", None),
        ("PUT", "/Users/does-not-exist", Some(&put_user)),
        ("PATCH", "/Users/does-not-exist", Some(&patch)),
        ("DELETE", "/Users/does-not-exist", None),
        ("GET", "/Groups/does-not-exist", None),
        ("PUT", "/Groups/does-not-exist", Some(&put_group)),
        ("PATCH", "/Groups/does-not-exist", Some(&patch)),
        ("DELETE", "/Groups/does-not-exist", None),
    ] {
        let v = expect_scim_error(&s.scim(method, path, body), 404, None);
        assert_eq!(v["status"], "404", "{method} {path}: status must be a string");
    }
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 0);
}

#[test]
fn malformed_json_is_400_invalid_syntax_and_creates_nothing() {
    let s = Server::start_contoso();
    let ct = [("Content-Type", "application/scim+json")];
    for bad in [&b"{\"userName\": "[..], b"{\"userName\": \"x@example.com\",}", b"not json", b"\xff\xfe{}"] {
        let r = s.scim_raw("POST", "/Users", &ct, bad);
        expect_scim_error(&r, 400, Some("invalidSyntax"));
    }
    let id = new_user(&s, "syntax@example.com");
    let r = s.scim_raw("PATCH", &format!("/Users/{id}"), &ct, b"{\"Operations\": [");
    expect_scim_error(&r, 400, Some("invalidSyntax"));
    let r = s.scim_raw("POST", "/Groups", &ct, b"{\"displayName\"");
    expect_scim_error(&r, 400, Some("invalidSyntax"));
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 1);
    assert_eq!(expect_list(&s.scim("GET", "/Groups", None)).0, 0);
}

#[test]
fn wrong_attribute_types_are_400_invalid_value_and_create_nothing() {
    let s = Server::start_contoso();
    for body in [
        json!({"schemas": [USER_URN], "userName": "types@example.com", "active": 3}),
        json!({"schemas": [USER_URN], "userName": 5}),
        json!({"schemas": [USER_URN], "userName": "types@example.com", "emails": "types@example.com"}),
        json!({"schemas": [USER_URN], "userName": "types@example.com", "name": "Just A String"}),
        json!({"schemas": [USER_URN], "userName": "types@example.com", "active": "maybe"}),
    ] {
        expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, Some("invalidValue"));
    }
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 0);
    // String booleans are booleans, though.
    let u = create(&s, &json!({"schemas": [USER_URN], "userName": "types@example.com", "active": "True"}));
    assert_eq!(u["active"], json!(true));
}

#[test]
fn missing_user_name_is_400_on_post_and_put() {
    let s = Server::start_contoso();
    let r = s.scim("POST", "/Users", Some(&json!({"schemas": [USER_URN], "displayName": "No Login"})));
    let v = expect_scim_error(&r, 400, None);
    assert!(v["detail"].as_str().unwrap().contains("userName"), "{v}");
    let id = new_user(&s, "keeps.name@example.com");
    let r = s.scim(
        "PUT",
        &format!("/Users/{id}"),
        Some(&json!({"schemas": [USER_URN], "displayName": "No Login"})),
    );
    expect_scim_error(&r, 400, None);
    assert_eq!(get_user(&s, &id)["userName"], "keeps.name@example.com");
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 1);
}

#[test]
fn an_unknown_urn_schema_in_schemas_is_400() {
    let s = Server::start_contoso();
    let body = json!({"schemas": [USER_URN, "urn:example:params:scim:schemas:extension:unknown:2.0:User"],
                      "userName": "schema@example.com"});
    let v = expect_scim_error(&s.scim("POST", "/Users", Some(&body)), 400, None);
    assert!(
        v["detail"].as_str().unwrap().contains("urn:example:params:scim:schemas:extension:unknown:2.0:User"),
        "{v}"
    );
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 0);
}

#[test]
fn put_with_a_misspelled_attribute_is_200_and_ignores_it() {
    let s = Server::start_contoso();
    let id = new_user(&s, "typo@example.com");
    let body = json!({"schemas": [USER_URN], "userName": "typo@example.com", "displayName": "Right",
                      "dispalyName": "Wrong", "emials": [{"value": "x@example.com"}], "active": true});
    let v = expect_scim(&s.scim("PUT", &format!("/Users/{id}"), Some(&body)), 200);
    assert_eq!(v["displayName"], "Right");
    assert!(v.get("dispalyName").is_none() && v.get("emials").is_none(), "{v}");
    assert!(v.get("emails").is_none(), "{v}");
    assert_eq!(get_user(&s, &id), v);
}

#[test]
fn patch_with_a_path_that_does_not_resolve_is_400_invalid_path() {
    let s = Server::start_contoso();
    let id = new_user(&s, "paths@example.com");
    let before = get_user(&s, &id);
    for path in [
        "nosuchattribute",
        "name.nosuchsub",
        "emails[type eq",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:nosuch",
    ] {
        let r = s.scim(
            "PATCH",
            &format!("/Users/{id}"),
            Some(&patch_ops(json!([{"op": "replace", "path": path, "value": "x"}]))),
        );
        expect_scim_error(&r, 400, Some("invalidPath"));
    }
    assert_eq!(get_user(&s, &id), before);
}

#[test]
fn a_failing_second_patch_op_leaves_the_user_unchanged() {
    let s = Server::start_contoso();
    let u = create(
        &s,
        &json!({"schemas": [USER_URN], "userName": "atomic@example.com", "displayName": "Before", "title": "Old"}),
    );
    let id = u["id"].as_str().unwrap();
    let before = get_user(&s, id);
    for (second, scim_type) in [
        (json!({"op": "replace", "path": "nosuchattribute", "value": "x"}), "invalidPath"),
        (json!({"op": "replace", "path": "active", "value": 3}), "invalidValue"),
    ] {
        let ops = json!([{"op": "replace", "path": "displayName", "value": "After"}, {"op": "add", "path": "title", "value": "New"}, second]);
        let r = s.scim("PATCH", &format!("/Users/{id}"), Some(&patch_ops(ops)));
        expect_scim_error(&r, 400, Some(scim_type));
        let now = get_user(&s, id);
        assert_eq!(now["displayName"], "Before");
        assert_eq!(now["title"], "Old");
        assert_eq!(now["meta"]["version"], before["meta"]["version"], "the version must not move");
        assert_eq!(now, before);
    }
}

#[test]
fn group_patch_answers_204_or_200_with_the_group_when_attributes_are_asked() {
    let s = Server::start_contoso();
    let a = new_user(&s, "answer.a@example.com");
    let gid = new_group(&s, "Answers", &[]);
    let add = patch_ops(json!([{"op": "add", "path": "members", "value": [{"value": a}]}]));
    let r = s.scim("PATCH", &format!("/Groups/{gid}"), Some(&add));
    assert_eq!(r.status, 204, "{}", r.text());
    assert!(r.body.is_empty());
    let rename = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "Answers 2"}]));
    let r = s.scim("PATCH", &format!("/Groups/{gid}?attributes=displayName,members"), Some(&rename));
    let g = expect_scim(&r, 200);
    assert_eq!(g["id"], json!(gid));
    assert_eq!(g["displayName"], "Answers 2");
    assert_eq!(member_ids(&g), BTreeSet::from([a]));
}

#[test]
fn a_member_that_does_not_exist_is_400_and_the_group_is_unchanged() {
    let s = Server::start_contoso();
    let a = new_user(&s, "member.a@example.com");
    let b = new_user(&s, "member.b@example.com");
    let gid = new_group(&s, "Strict", &[&a]);
    let before = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Strict renamed"},
        {"op": "add", "path": "members", "value": [{"value": b}]},
        {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}
    ]);
    let v = expect_scim_error(&s.scim("PATCH", &format!("/Groups/{gid}"), Some(&patch_ops(ops))), 400, None);
    assert!(v["detail"].as_str().unwrap().contains("no-such-user"), "{v}");
    let after = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(after, before);
    assert_eq!(member_ids(&after), BTreeSet::from([a.clone()]));
    // PUT and POST refuse it the same way.
    let put = json!({"schemas": [GROUP_URN], "displayName": "Strict", "members": [{"value": a}, {"value": "no-such-user"}]});
    expect_scim_error(&s.scim("PUT", &format!("/Groups/{gid}"), Some(&put)), 400, None);
    assert_eq!(expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200), before);
    let post =
        json!({"schemas": [GROUP_URN], "displayName": "Never", "members": [{"value": "no-such-user"}]});
    expect_scim_error(&s.scim("POST", "/Groups", Some(&post)), 400, None);
    assert_eq!(expect_list(&s.scim("GET", "/Groups", None)).0, 1);
}

#[test]
fn duplicate_group_display_name_is_409_ignoring_case() {
    let s = Server::start_contoso();
    new_group(&s, "Sales", &[]);
    let r = s.scim("POST", "/Groups", Some(&json!({"schemas": [GROUP_URN], "displayName": "SALES"})));
    expect_scim_error(&r, 409, Some("uniqueness"));
    let other = new_group(&s, "Marketing", &[]);
    let rename = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "sales"}]));
    expect_scim_error(&s.scim("PATCH", &format!("/Groups/{other}"), Some(&rename)), 409, Some("uniqueness"));
    let put = json!({"schemas": [GROUP_URN], "displayName": "sAlEs"});
    expect_scim_error(&s.scim("PUT", &format!("/Groups/{other}"), Some(&put)), 409, Some("uniqueness"));
    assert_eq!(
        expect_scim(&s.scim("GET", &format!("/Groups/{other}"), None), 200)["displayName"],
        "Marketing"
    );
    assert_eq!(expect_list(&s.scim("GET", "/Groups", None)).0, 2);
    // A group may change the case of its own name.
    let own = patch_ops(json!([{"op": "replace", "path": "displayName", "value": "MARKETING"}]));
    assert_eq!(s.scim("PATCH", &format!("/Groups/{other}"), Some(&own)).status, 204);
}

#[test]
fn user_name_uniqueness_ignores_case() {
    let s = Server::start_contoso();
    let a = new_user(&s, "a@example.com");
    let v =
        expect_scim_error(&s.scim("POST", "/Users", Some(&user("A@example.com"))), 409, Some("uniqueness"));
    assert!(v["detail"].as_str().unwrap().to_lowercase().contains("a@example.com"), "{v}");
    let b = new_user(&s, "b@example.com");
    let mut put = get_user(&s, &b);
    put["userName"] = json!("A@EXAMPLE.COM");
    expect_scim_error(&s.scim("PUT", &format!("/Users/{b}"), Some(&put)), 409, Some("uniqueness"));
    let rename = patch_ops(json!([{"op": "replace", "path": "userName", "value": "a@Example.com"}]));
    expect_scim_error(&s.scim("PATCH", &format!("/Users/{b}"), Some(&rename)), 409, Some("uniqueness"));
    assert_eq!(get_user(&s, &b)["userName"], "b@example.com");
    // A user may change the case of its own userName.
    let own = patch_ops(json!([{"op": "replace", "path": "userName", "value": "A@example.com"}]));
    assert_eq!(
        expect_scim(&s.scim("PATCH", &format!("/Users/{a}"), Some(&own)), 200)["userName"],
        "A@example.com"
    );
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 2);
}

#[test]
fn user_name_on_a_domain_that_is_not_validated_is_400_naming_the_domain() {
    let s = Server::start_contoso();
    let v = expect_scim_error(
        &s.scim("POST", "/Users", Some(&user("someone@other.org"))),
        400,
        Some("invalidValue"),
    );
    assert!(v["detail"].as_str().unwrap().contains("other.org"), "{v}");
    assert_eq!(expect_list(&s.scim("GET", "/Users", None)).0, 0);
    // Moving an existing user onto such a domain is refused the same way.
    let id = new_user(&s, "mover@example.com");
    let rename = patch_ops(json!([{"op": "replace", "path": "userName", "value": "mover@elsewhere.net"}]));
    let v = expect_scim_error(
        &s.scim("PATCH", &format!("/Users/{id}"), Some(&rename)),
        400,
        Some("invalidValue"),
    );
    assert!(v["detail"].as_str().unwrap().contains("elsewhere.net"), "{v}");
    assert_eq!(get_user(&s, &id)["userName"], "mover@example.com");
}

#[test]
fn excluded_members_on_a_2000_member_group_returns_none_and_the_full_read_returns_all() {
    let s = Server::start_contoso();
    let ids = bulk_users(&s, "big", 2000);
    let gid = new_group(&s, "Everyone", &[]);
    for chunk in ids.chunks(500) {
        let value: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
        let r = s.scim(
            "PATCH",
            &format!("/Groups/{gid}"),
            Some(&patch_ops(json!([{"op": "add", "path": "members", "value": value}]))),
        );
        assert_eq!(r.status, 204, "{}", r.text());
    }
    let r = s.scim("GET", &format!("/Groups/{gid}?excludedAttributes=members"), None);
    let g = expect_scim(&r, 200);
    assert_eq!(g["displayName"], "Everyone");
    assert!(g.get("members").is_none(), "members were not excluded");
    assert!(r.body.len() < 2000, "a group without members should be small, got {} bytes", r.body.len());
    let (_, found) = expect_list(&s.scim("GET", "/Groups?excludedAttributes=members", None));
    assert!(found[0].get("members").is_none());
    let (_, found) = expect_list(&s.scim(
        "GET",
        &format!(
            "/Groups?excludedAttributes=members&filter={}",
            query_escape(r#"displayName eq "Everyone""#)
        ),
        None,
    ));
    assert_eq!(found.len(), 1);
    assert!(found[0].get("members").is_none());
    // With members: all 2,000 of them, each once.
    let full = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(full["members"].as_array().unwrap().len(), 2000);
    assert_eq!(member_ids(&full), ids.iter().cloned().collect::<BTreeSet<String>>());
}

/// Scans (filters no index serves, and sortBy) keep only the page: the answers are the same as the
/// whole ordered list, cut to the page, and a scan past its time bound is 400 tooMany.
#[test]
fn scans_return_the_page_of_the_whole_order_and_stop_at_their_bound() {
    let s = Server::start_contoso();
    let titles = ["b", "a", "c", "a", "d", "b", "e", "a", "c", "f", "a", "b"];
    let mut ids = Vec::new();
    for (i, t) in titles.iter().enumerate() {
        let body = json!({"schemas": [USER_URN], "userName": format!("scan{i}@example.com"), "title": t});
        ids.push(
            expect_scim(&s.scim("POST", "/Users", Some(&body)), 201)["id"].as_str().unwrap().to_string(),
        );
    }
    // Unsorted scan: creation order, paged.
    let (total, page) =
        expect_list(&s.scim("GET", "/Users?filter=title+eq+%22a%22&startIndex=2&count=2", None));
    assert_eq!(total, 4);
    let got: Vec<&str> = page.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(got, [ids[3].as_str(), ids[7].as_str()]);
    // Sorted scan: by title, ties in creation order; every page agrees with the whole order.
    let mut whole: Vec<(String, usize)> =
        titles.iter().enumerate().map(|(i, t)| (t.to_string(), i)).collect();
    whole.sort();
    for (start, count, desc) in [(1, 3, false), (4, 5, false), (10, 5, false), (2, 4, true)] {
        let order = if desc { "&sortOrder=descending" } else { "" };
        let path = format!("/Users?filter=title+pr&sortBy=title{order}&startIndex={start}&count={count}");
        let (total, page) = expect_list(&s.scim("GET", &path, None));
        assert_eq!(total, 12, "{path}");
        let mut expected: Vec<&str> = whole.iter().map(|(_, i)| ids[*i].as_str()).collect();
        if desc {
            expected.reverse();
        }
        let expected: Vec<&str> = expected.into_iter().skip(start - 1).take(count).collect();
        let got: Vec<&str> = page.iter().map(|u| u["id"].as_str().unwrap()).collect();
        assert_eq!(got, expected, "{path}");
    }
    // A scan that runs past its bound is refused with advice.
    let tight = Server::start_with(crate::harness::Opts {
        lab: Some("example.com"),
        extra: vec!["--scan-timeout-ms".into(), "0".into()],
        ..crate::harness::Opts::default()
    });
    for i in 0..3 {
        let body = json!({"schemas": [USER_URN], "userName": format!("t{i}@example.com"), "title": "x"});
        expect_scim(&tight.scim("POST", "/Users", Some(&body)), 201);
    }
    let v = expect_scim_error(&tight.scim("GET", "/Users?filter=title+pr", None), 400, Some("tooMany"));
    assert!(v["detail"].as_str().unwrap().contains("indexed"), "{v}");
    // Indexed filters are not scans: they answer whatever the bound.
    let (total, _) =
        expect_list(&tight.scim("GET", "/Users?filter=userName+eq+%22t1%40example.com%22", None));
    assert_eq!(total, 1);
}

/// One write whose undo record is more than a MiB (every member's row is rewritten): SQLite keeps a
/// statement journal in memory up to a size, then spills it to a temporary file; the spill must work
/// for the insert and for the delete's cascade. A spill size SQLite cannot write in one call (1 MiB
/// and 4 MiB were tried) made this a 503 "disk full".
#[test]
fn a_group_of_6000_members_created_in_one_request_is_saved_and_deleted() {
    let s = Server::start_contoso();
    let ids = bulk_users(&s, "crowd", 6000);
    let gid = new_group(&s, "Crowd", &ids.iter().map(String::as_str).collect::<Vec<_>>());
    let full = expect_scim(&s.scim("GET", &format!("/Groups/{gid}"), None), 200);
    assert_eq!(member_ids(&full), ids.iter().cloned().collect::<BTreeSet<_>>());
    assert_eq!(get_user(&s, &ids[5999])["groups"][0]["value"], gid.as_str());
    let r = s.scim("DELETE", &format!("/Groups/{gid}"), None);
    assert_eq!(r.status, 204, "{}", r.text());
    expect_scim_error(&s.scim("GET", &format!("/Groups/{gid}"), None), 404, None);
    assert!(get_user(&s, &ids[0]).get("groups").is_none_or(|g| g.as_array().is_some_and(Vec::is_empty)));
}
