//! PATCH paths, and the canonical text (`Display`) that parses back to an equal value.

use super::*;

// ---- parse_path ----

#[test]
fn patch_paths_parse() {
    let plain = |path: AttrPath| PatchPath { path, filter: None, sub: None };
    assert_eq!(parse_path("userName"), Ok(plain(attr("userName"))));
    assert_eq!(parse_path("name.givenName"), Ok(plain(sub("name", "givenName"))));
    assert_eq!(parse_path(" active "), Ok(plain(attr("active"))));
    assert_eq!(parse_path(&format!("{ENT}:employeeNumber")), Ok(plain(urn(ENT, "employeeNumber", None))));
    assert_eq!(parse_path(&format!("{ENT}:manager.value")), Ok(plain(urn(ENT, "manager", Some("value")))));
    assert_eq!(parse_path(ENT), Ok(plain(attr(ENT))));
    assert_eq!(
        parse_path("members[value eq \"2819c223\"]"),
        Ok(PatchPath {
            path: attr("members"),
            filter: Some(cmp(attr("value"), CompareOp::Eq, json!("2819c223"))),
            sub: None
        })
    );
    assert_eq!(
        parse_path("emails[type eq \"work\"].value"),
        Ok(PatchPath {
            path: attr("emails"),
            filter: Some(cmp(attr("type"), CompareOp::Eq, json!("work"))),
            sub: Some("value".to_string())
        })
    );
    assert_eq!(
        parse_path("addresses[type eq \"work\"].formatted"),
        Ok(PatchPath {
            path: attr("addresses"),
            filter: Some(cmp(attr("type"), CompareOp::Eq, json!("work"))),
            sub: Some("formatted".to_string())
        })
    );
    assert_eq!(
        parse_path("emails[type eq \"work\" and (primary eq true or value ew \".org\")]")
            .map(|p| p.to_string()),
        Ok("emails[type eq \"work\" and (primary eq true or value ew \".org\")]".to_string())
    );
    assert_eq!(
        parse_path("urn:ietf:params:scim:schemas:core:2.0:User:emails[Type EQ work].Value"),
        Ok(PatchPath {
            path: urn("urn:ietf:params:scim:schemas:core:2.0:User", "emails", None),
            filter: Some(cmp(attr("Type"), CompareOp::Eq, json!("work"))),
            sub: Some("Value".to_string())
        })
    );
}

#[test]
fn patch_path_errors() {
    assert!(path_err("").contains("the path is empty"));
    assert!(path_err("  ").contains("the path is empty"));
    assert!(path_err("emails value").contains("unexpected text after the path"));
    assert!(path_err("userName eq \"x\"").contains("unexpected text after the path"));
    assert!(path_err("emails[type eq \"work\"").contains("never closed"));
    assert!(path_err("emails[type eq \"work\"]]").contains("no matching '['"));
    assert!(path_err("emails[type eq \"work\"].value.x").contains("not an attribute name"));
    assert!(path_err("emails[type eq \"work\"].").contains("missing an attribute name"));
    assert!(path_err("emails[type[value eq 1]]").contains("cannot hold another"));
    assert!(path_err("name.givenName[value eq 1]").contains("names a sub-attribute"));
    assert!(path_err("a.b.c").contains("more than one '.'"));
    assert!(path_err("(emails)").contains("expected an attribute name"));
    assert!(path_err("\"emails\"").contains("expected an attribute name"));
    assert!(path_err("emails[]").contains("expected an attribute name"));
    assert!(path_err("emails[type eq \"work]").contains("never closed"));
    assert!(path_err(&"x".repeat(MAX_FILTER_LEN + 1)).contains("the path is 4097 bytes long"));
    let deep = format!("emails[{}a pr{}]", "(".repeat(MAX_FILTER_DEPTH), ")".repeat(MAX_FILTER_DEPTH));
    assert!(path_err(&deep).contains("nests deeper"));
    let ok = format!("emails[{}a pr{}]", "(".repeat(MAX_FILTER_DEPTH - 1), ")".repeat(MAX_FILTER_DEPTH - 1));
    assert!(parse_path(&ok).is_ok());
    assert!(path_err(&format!("emails[{}", "(".repeat(MAX_FILTER_LEN - 10))).contains("nests deeper"));
    let detail = path_err("emails[type eq \"work\"] x");
    assert!(detail.contains("character 24") && detail.contains("near 'x'"), "{detail}");
}

// ---- Display ----

#[test]
fn display_is_canonical_and_parses_back() {
    for (input, canonical) in [
        ("userName Eq \"x\"", "userName eq \"x\""),
        ("a pr AND (b pr OR c pr)", "a pr and (b pr or c pr)"),
        ("(a pr and b pr) or c pr", "a pr and b pr or c pr"),
        ("a pr or (b pr or c pr)", "a pr or (b pr or c pr)"),
        ("a pr and (b pr and c pr)", "a pr and (b pr and c pr)"),
        ("not((a pr))", "not (a pr)"),
        ("externalId eq johnwong", "externalId eq \"johnwong\""),
        ("a eq \"q\\\"\\u00e9\\n\"", "a eq \"q\\\"é\\n\""),
        ("emails[type eq \"work\"].value eq \"x\"", "emails[type eq \"work\" and value eq \"x\"]"),
        ("x gt -1.5e3", "x gt -1500.0"),
        ("active eq TRUE", "active eq true"),
        (&format!("{ENT}:manager.value eq \"m\""), &format!("{ENT}:manager.value eq \"m\"")),
    ] {
        let filter = p(input);
        assert_eq!(filter.to_string(), canonical, "{input}");
        assert_eq!(p(canonical), filter, "{input}");
    }
    let path = parse_path("emails[type eq \"work\"].value").unwrap();
    assert_eq!(path.to_string(), "emails[type eq \"work\"].value");
}
