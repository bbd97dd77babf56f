//! Index hints: the equality a store can look up instead of scanning.

use super::*;

// ---- index_hint ----

fn hint(filter: &str) -> Option<(IndexedAttr, String)> {
    p(filter).index_hint().map(|h| (h.attr, h.value))
}

fn some(attr: IndexedAttr, value: &str) -> Option<(IndexedAttr, String)> {
    Some((attr, value.to_string()))
}

#[test]
fn names_attribute_walks_the_whole_tree() {
    let f = parse(r#"displayName eq "x" or not (members[value eq "1"])"#).unwrap();
    assert!(f.names_attribute("members"));
    assert!(f.names_attribute("DISPLAYNAME"));
    assert!(!f.names_attribute("groups"));
    let f = parse(r#"urn:ietf:params:scim:schemas:core:2.0:Group:members.value eq "1""#).unwrap();
    assert!(f.names_attribute("members"));
}

#[test]
fn names_attribute_tells_when_evaluation_needs_a_groups_members() {
    // A caller may render groups without their members when the filter does not name `members`:
    // such filters evaluate the same either way. The typed question is never broader than the
    // text search of the filter's Debug form that it replaces.
    let with = group();
    let mut without = group();
    if let Some(g) = without.as_object_mut() {
        g.remove("members");
    }
    for (text, needs) in [
        (r#"members pr"#, true),
        (r#"Members[value eq "902c246b-6245-4190-8e05-00816be7344a"]"#, true),
        (r#"members.display co "babs""#, true),
        (r#"members eq "2819c223-7f76-453a-919d-413861904646""#, true),
        (r#"not (members pr)"#, true),
        (r#"displayName co "Tour" and MEMBERS.value pr"#, true),
        (r#"urn:ietf:params:scim:schemas:core:2.0:Group:members.value pr"#, true),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:members pr"#, true),
        (r#"displayName eq "members""#, false),
        (r#"externalId eq "MEMBERS" or displayName pr"#, false),
        (r#"urn:example:members:members pr"#, false),
        (r#"emails[type eq "members"]"#, false),
        (r#"displayName pr"#, false),
    ] {
        let f = p(text);
        assert_eq!(f.names_attribute("members"), needs, "{text}");
        let debug_says = format!("{f:?}").to_ascii_lowercase().contains("members");
        assert!(!needs || debug_says, "{text}");
        if !needs {
            assert_eq!(f.matches(&with), f.matches(&without), "{text}");
        }
    }
}

#[test]
fn index_hints_for_each_indexed_attribute() {
    assert_eq!(hint("userName eq \"Bjensen\""), some(IndexedAttr::UserName, "Bjensen"));
    assert_eq!(hint("UserName EQ \"Bjensen\""), some(IndexedAttr::UserName, "Bjensen"));
    assert_eq!(hint("externalId eq \"ext-1\""), some(IndexedAttr::ExternalId, "ext-1"));
    assert_eq!(hint("externalId eq johnwong"), some(IndexedAttr::ExternalId, "johnwong"));
    assert_eq!(hint("id eq \"abc\""), some(IndexedAttr::Id, "abc"));
    assert_eq!(hint("displayName eq \"Sales\""), some(IndexedAttr::DisplayName, "Sales"));
    assert_eq!(hint("emails.value eq \"a@b.c\""), some(IndexedAttr::EmailValue, "a@b.c"));
    assert_eq!(hint("emails eq \"a@b.c\""), some(IndexedAttr::EmailValue, "a@b.c"));
    assert_eq!(hint("emails[value eq \"a@b.c\"]"), some(IndexedAttr::EmailValue, "a@b.c"));
    assert_eq!(
        hint("emails[type eq \"work\" and value eq \"a@b.c\"]"),
        some(IndexedAttr::EmailValue, "a@b.c")
    );
    assert_eq!(hint("emails[type eq \"work\"].value eq \"a@b.c\""), some(IndexedAttr::EmailValue, "a@b.c"));
    assert_eq!(hint("Emails[Value eq \"a@b.c\"]"), some(IndexedAttr::EmailValue, "a@b.c"));
}

#[test]
fn index_hints_accept_core_urns_only() {
    assert_eq!(
        hint("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\""),
        some(IndexedAttr::UserName, "x")
    );
    assert_eq!(
        hint("urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq \"x\""),
        some(IndexedAttr::DisplayName, "x")
    );
    assert_eq!(
        hint("urn:ietf:params:scim:schemas:core:2.0:User:emails.value eq \"x\""),
        some(IndexedAttr::EmailValue, "x")
    );
    assert_eq!(hint(&format!("{ENT}:userName eq \"x\"")), None);
    assert_eq!(hint(&format!("{ENT}:employeeNumber eq \"x\"")), None);
}

#[test]
fn index_hints_come_from_top_level_conjuncts_only() {
    assert_eq!(hint("active eq true and userName eq \"x\""), some(IndexedAttr::UserName, "x"));
    assert_eq!(hint("(active eq true and (title pr and id eq \"i\")) and a pr"), some(IndexedAttr::Id, "i"));
    assert_eq!(hint("userName eq \"x\" or active eq true"), None);
    assert_eq!(hint("not (userName eq \"x\")"), None);
    assert_eq!(hint("active pr and (userName eq \"x\" or userName eq \"y\")"), None);
    assert_eq!(hint("emails[value eq \"x\" or type eq \"work\"]"), None);
    assert_eq!(hint("emails[not (value eq \"x\")]"), None);
    assert_eq!(hint("members[value eq \"x\"]"), None);
}

#[test]
fn index_hints_need_eq_on_a_string() {
    assert_eq!(hint("userName ne \"x\""), None);
    assert_eq!(hint("userName sw \"x\""), None);
    assert_eq!(hint("userName co \"x\""), None);
    assert_eq!(hint("userName pr"), None);
    assert_eq!(hint("id eq 5"), None);
    assert_eq!(hint("id eq null"), None);
    assert_eq!(hint("externalId eq true"), None);
    assert_eq!(hint("name.familyName eq \"x\""), None);
    assert_eq!(hint("userName.value eq \"x\""), None);
    assert_eq!(hint("emails.type eq \"work\""), None);
    assert_eq!(hint("emails[type eq \"work\"]"), None);
}

#[test]
fn index_hint_prefers_the_most_selective_attribute() {
    assert_eq!(hint("displayName eq \"d\" and emails.value eq \"e\""), some(IndexedAttr::EmailValue, "e"));
    assert_eq!(hint("emails.value eq \"e\" and externalId eq \"x\""), some(IndexedAttr::ExternalId, "x"));
    assert_eq!(hint("externalId eq \"x\" and userName eq \"u\""), some(IndexedAttr::UserName, "u"));
    assert_eq!(hint("userName eq \"u\" and id eq \"i\""), some(IndexedAttr::Id, "i"));
    assert_eq!(
        hint("userName eq \"first\" and userName eq \"second\""),
        some(IndexedAttr::UserName, "first")
    );
    assert!(IndexedAttr::Id.case_exact() && IndexedAttr::ExternalId.case_exact());
    assert!(!IndexedAttr::UserName.case_exact() && !IndexedAttr::EmailValue.case_exact());
    assert!(!IndexedAttr::DisplayName.case_exact());
}

#[test]
fn index_hints_agree_with_matches() {
    // Whatever a hint names, a resource that matches the filter has that value.
    let u = user();
    for filter in [
        "userName eq \"BJENSEN@example.com\" and active eq true",
        "emails[type eq \"home\"].value eq \"babs@jensen.org\"",
        "id eq \"2819c223-7f76-453a-919d-413861904646\"",
    ] {
        let f = p(filter);
        assert!(f.matches(&u), "{filter}");
        assert!(f.index_hint().is_some(), "{filter}");
    }
}
