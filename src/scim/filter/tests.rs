//! Unit tests of `scim::filter`: parsing (operators, precedence, paths, values, errors, caps),
//! evaluation, caseExact, index hints, PATCH paths, canonical text, and random inputs.

use super::*;
use crate::base::text::fold_case;
use crate::error::ScimType;
use serde_json::{Value, json};

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

// ---- parse: operators, keywords, precedence ----

#[test]
fn every_comparison_operator_parses() {
    for (word, op) in [
        ("eq", CompareOp::Eq),
        ("ne", CompareOp::Ne),
        ("co", CompareOp::Co),
        ("sw", CompareOp::Sw),
        ("ew", CompareOp::Ew),
        ("gt", CompareOp::Gt),
        ("ge", CompareOp::Ge),
        ("lt", CompareOp::Lt),
        ("le", CompareOp::Le),
    ] {
        assert_eq!(p(&format!("title {word} \"x\"")), cmp(attr("title"), op, json!("x")));
        let upper = word.to_uppercase();
        assert_eq!(p(&format!("title {upper} \"x\"")), cmp(attr("title"), op, json!("x")));
        assert_eq!(op.as_str(), word);
    }
    assert_eq!(p("title pr"), pr("title"));
    assert_eq!(p("title PR"), pr("title"));
    assert_eq!(p("title Pr"), pr("title"));
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(p("a pr And b pr"), and(pr("a"), pr("b")));
    assert_eq!(p("a pr OR b pr"), or(pr("a"), pr("b")));
    assert_eq!(p("NOT (a pr)"), not(pr("a")));
    assert_eq!(p("userName Eq \"x\""), cmp(attr("userName"), CompareOp::Eq, json!("x")));
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(p("a pr or b pr and c pr"), or(pr("a"), and(pr("b"), pr("c"))));
    assert_eq!(p("a pr and b pr or c pr"), or(and(pr("a"), pr("b")), pr("c")));
    assert_eq!(p("a pr and b pr or c pr and d pr"), or(and(pr("a"), pr("b")), and(pr("c"), pr("d"))));
}

#[test]
fn chains_are_left_associative() {
    assert_eq!(p("a pr and b pr and c pr"), and(and(pr("a"), pr("b")), pr("c")));
    assert_eq!(p("a pr or b pr or c pr"), or(or(pr("a"), pr("b")), pr("c")));
}

#[test]
fn not_binds_tighter_than_and() {
    assert_eq!(p("not (a pr) and b pr"), and(not(pr("a")), pr("b")));
    assert_eq!(p("b pr or not (a pr or c pr)"), or(pr("b"), not(or(pr("a"), pr("c")))));
    assert_eq!(p("not(a pr)"), not(pr("a")));
    assert_eq!(p("not (not (a pr))"), not(not(pr("a"))));
}

#[test]
fn parentheses_override_precedence() {
    assert_eq!(p("a pr and (b pr or c pr)"), and(pr("a"), or(pr("b"), pr("c"))));
    assert_eq!(p("(a pr or b pr) and c pr"), and(or(pr("a"), pr("b")), pr("c")));
    assert_eq!(p("((a pr))"), pr("a"));
    assert_eq!(p("a pr and (b pr and c pr)"), and(pr("a"), and(pr("b"), pr("c"))));
}

#[test]
fn whitespace_is_arbitrary() {
    let expected = and(cmp(attr("a"), CompareOp::Eq, json!("x")), pr("b"));
    assert_eq!(p("  a   eq\t\"x\"\n and\r\n b pr  "), expected);
    assert_eq!(p("(a eq \"x\")and(b pr)"), expected);
    assert_eq!(p("a eq\"x\" and b pr"), expected);
    assert_eq!(
        p("(userName eq \"a\")or(userName eq \"b\")").to_string(),
        "userName eq \"a\" or userName eq \"b\""
    );
}

// ---- parse: paths ----

#[test]
fn sub_attributes_parse() {
    assert_eq!(
        p("name.familyName eq \"O'Malley\""),
        cmp(sub("name", "familyName"), CompareOp::Eq, json!("O'Malley"))
    );
    assert_eq!(
        p("meta.lastModified gt \"2011-05-13T04:42:34Z\"").to_string(),
        "meta.lastModified gt \"2011-05-13T04:42:34Z\""
    );
}

#[test]
fn urn_qualified_names_split_at_the_last_colon() {
    assert_eq!(
        p("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\""),
        cmp(urn("urn:ietf:params:scim:schemas:core:2.0:User", "userName", None), CompareOp::Eq, json!("x"))
    );
    assert_eq!(
        p(&format!("{ENT}:department eq \"Tour Operations\"")),
        cmp(urn(ENT, "department", None), CompareOp::Eq, json!("Tour Operations"))
    );
    assert_eq!(
        p(&format!("{ENT}:manager.value eq \"m\"")),
        cmp(urn(ENT, "manager", Some("value")), CompareOp::Eq, json!("m"))
    );
    // A URN alone names the extension object itself.
    assert_eq!(p(&format!("{ENT} pr")), pr(ENT));
    let lower = ENT.to_lowercase();
    assert_eq!(p(&format!("{lower} pr")), pr(&lower));
}

#[test]
fn value_paths_parse() {
    assert_eq!(
        p("emails[type eq \"work\" and value co \"@x.org\"]"),
        vp(
            attr("emails"),
            and(
                cmp(attr("type"), CompareOp::Eq, json!("work")),
                cmp(attr("value"), CompareOp::Co, json!("@x.org"))
            )
        )
    );
    assert_eq!(
        p("userType eq \"Employee\" and emails[type eq \"work\" and value co \"@example.com\"]"),
        and(
            cmp(attr("userType"), CompareOp::Eq, json!("Employee")),
            vp(
                attr("emails"),
                and(
                    cmp(attr("type"), CompareOp::Eq, json!("work")),
                    cmp(attr("value"), CompareOp::Co, json!("@example.com"))
                )
            )
        )
    );
    assert_eq!(
        p("emails[not (type eq \"work\")]"),
        vp(attr("emails"), not(cmp(attr("type"), CompareOp::Eq, json!("work"))))
    );
    assert_eq!(p("members[$ref pr]"), vp(attr("members"), pr("$ref")));
    assert_eq!(p(&format!("{ENT}:manager[value pr]")), vp(urn(ENT, "manager", None), pr("value")));
}

#[test]
fn entra_value_path_with_sub_attribute_becomes_a_conjunct() {
    let expected = vp(
        attr("emails"),
        and(
            cmp(attr("type"), CompareOp::Eq, json!("work")),
            cmp(attr("value"), CompareOp::Eq, json!("user@contoso.com")),
        ),
    );
    assert_eq!(p("emails[type eq \"work\"].value eq \"user@contoso.com\""), expected);
    assert_eq!(p("emails[type eq \"work\"] .value eq \"user@contoso.com\""), expected);
    assert_eq!(
        p("emails[type eq \"work\"].value pr"),
        vp(attr("emails"), and(cmp(attr("type"), CompareOp::Eq, json!("work")), pr("value")))
    );
    assert_eq!(
        p("emails[type eq \"work\" or type eq \"home\"].value eq \"x\" and active eq true"),
        and(
            vp(
                attr("emails"),
                and(
                    or(
                        cmp(attr("type"), CompareOp::Eq, json!("work")),
                        cmp(attr("type"), CompareOp::Eq, json!("home"))
                    ),
                    cmp(attr("value"), CompareOp::Eq, json!("x"))
                )
            ),
            cmp(attr("active"), CompareOp::Eq, json!(true))
        )
    );
}

// ---- parse: values ----

#[test]
fn string_escapes_decode() {
    let f = p(r#"a eq "q\" b\\ s\/ \b\f\n\r\t \u00e9 \u00E9 \ud83d\ude00 日本""#);
    assert_eq!(f, cmp(attr("a"), CompareOp::Eq, json!("q\" b\\ s/ \u{8}\u{c}\n\r\t é é 😀 日本")));
    assert_eq!(p(r#"a eq """#), cmp(attr("a"), CompareOp::Eq, json!("")));
    assert_eq!(p("a eq \"(and) [or] not\""), cmp(attr("a"), CompareOp::Eq, json!("(and) [or] not")));
}

#[test]
fn bad_escapes_are_refused() {
    assert!(err(r#"a eq "\x""#).contains("'\\x' is not a JSON string escape"));
    assert!(err(r#"a eq "\u12""#).contains("four hex digits"));
    assert!(err(r#"a eq "\u12"#).contains("four hex digits"));
    assert!(err(r#"a eq "\ud83d""#).contains("high surrogate"));
    assert!(err(r#"a eq "\ud83d\u0041""#).contains("high surrogate"));
    assert!(err(r#"a eq "\ude00""#).contains("low surrogate"));
    assert!(err(r#"a eq "\"#).contains("never closed"));
}

#[test]
fn numbers_booleans_and_null() {
    for (text, value) in [
        ("42", json!(42)),
        ("-7", json!(-7)),
        ("0", json!(0)),
        ("3.25", json!(3.25)),
        ("-0.5", json!(-0.5)),
        ("1e3", json!(1000.0)),
        ("2.5E-2", json!(0.025)),
        ("18446744073709551615", json!(18446744073709551615u64)),
        ("true", json!(true)),
        ("False", json!(false)),
        ("TRUE", json!(true)),
        ("null", Value::Null),
        ("NULL", Value::Null),
    ] {
        assert_eq!(p(&format!("a eq {text}")), cmp(attr("a"), CompareOp::Eq, value), "{text}");
    }
    assert_eq!(p("loginCount gt 10"), cmp(attr("loginCount"), CompareOp::Gt, json!(10)));
}

#[test]
fn bare_words_are_strings() {
    assert_eq!(p("externalId eq johnwong"), cmp(attr("externalId"), CompareOp::Eq, json!("johnwong")));
    assert_eq!(p("userName sw O"), cmp(attr("userName"), CompareOp::Sw, json!("O")));
    // Not a JSON number (leading zero, overflow, trailing letters): text.
    assert_eq!(p("externalId eq 0123"), cmp(attr("externalId"), CompareOp::Eq, json!("0123")));
    assert_eq!(p("externalId eq 12ab"), cmp(attr("externalId"), CompareOp::Eq, json!("12ab")));
    assert_eq!(p("x eq 1e999"), cmp(attr("x"), CompareOp::Eq, json!("1e999")));
    assert_eq!(p("x eq -"), cmp(attr("x"), CompareOp::Eq, json!("-")));
    assert_eq!(
        p("meta.created gt 2020-01-01T00:00:00Z"),
        cmp(sub("meta", "created"), CompareOp::Gt, json!("2020-01-01T00:00:00Z"))
    );
    // After co/sw/ew every bare word is text.
    assert_eq!(
        p("phoneNumbers.value sw 555"),
        cmp(sub("phoneNumbers", "value"), CompareOp::Sw, json!("555"))
    );
    assert_eq!(p("title co true"), cmp(attr("title"), CompareOp::Co, json!("true")));
    assert_eq!(p("title ew null"), cmp(attr("title"), CompareOp::Ew, json!("null")));
}

#[test]
fn keywords_are_not_bare_values() {
    for input in ["a eq and b eq 1", "a eq or", "a eq NOT"] {
        assert!(err(input).contains("quote it"), "{input}");
    }
    assert_eq!(p("a eq \"and\""), cmp(attr("a"), CompareOp::Eq, json!("and")));
}

#[test]
fn ordering_needs_a_string_or_number() {
    for input in ["active gt true", "a ge false", "a lt null", "a le NULL"] {
        assert!(err(input).contains("orders strings, numbers and dates"), "{input}");
    }
}

// ---- parse: errors ----

#[test]
fn errors_say_what_was_expected_where() {
    let detail = err("userName \"x\"");
    assert!(detail.contains("expected an operator"), "{detail}");
    assert!(detail.contains("after 'userName'"), "{detail}");
    assert!(detail.contains("character 10"), "{detail}");
    assert!(detail.contains("near '\"x\"'"), "{detail}");

    let detail = err("userName");
    assert!(
        detail.contains("expected an operator") && detail.contains("at the end of the filter"),
        "{detail}"
    );

    let detail = err("userName equals \"x\"");
    assert!(detail.contains("'equals' is not an operator") && detail.contains("character 10"), "{detail}");

    let detail = err("userName eq");
    assert!(
        detail.contains("expected a value after 'eq'") && detail.contains("end of the filter"),
        "{detail}"
    );

    let detail = err("userName eq )");
    assert!(detail.contains("expected a value after 'eq'") && detail.contains("character 13"), "{detail}");
}

#[test]
fn positions_count_characters_not_bytes() {
    let detail = err("a eq \"日本語\" zz");
    assert!(detail.contains("character 12"), "{detail}");
    assert!(detail.contains("near 'zz'"), "{detail}");
}

#[test]
fn unterminated_string() {
    let detail = err("userName eq \"bjensen");
    assert!(detail.contains("never closed") && detail.contains("character 13"), "{detail}");
    assert!(err("userName eq \"bjensen\\\"").contains("never closed"));
}

#[test]
fn trailing_garbage() {
    let detail = err("userName eq \"a\" \"b\"");
    assert!(
        detail.contains("expected 'and', 'or' or the end of the filter") && detail.contains("character 17"),
        "{detail}"
    );
    assert!(err("a pr b pr").contains("expected 'and', 'or'"));
    assert!(err("a pr and").contains("expected an attribute name, '(' or 'not'"));
    assert!(err("a pr or or b pr").contains("'b' is not an operator; after 'or'"));
    assert!(err("title pr \"x\"").contains("expected 'and', 'or'"));
}

#[test]
fn empty_filters() {
    for input in ["", "   ", "\t\n"] {
        assert!(err(input).contains("the filter is empty"), "{input:?}");
    }
    assert!(err("()").contains("expected an attribute name"));
    assert!(err("emails[]").contains("expected an attribute name"));
}

#[test]
fn unbalanced_brackets() {
    let detail = err("(a pr");
    assert!(detail.contains("this '(' is never closed") && detail.contains("character 1"), "{detail}");
    assert!(err("a pr)").contains("this ')' has no matching '('"));
    assert!(err("(a pr))").contains("this ')' has no matching '('"));
    assert!(err("((a pr)").contains("never closed"));
    let detail = err("emails[type eq \"work\"");
    assert!(detail.contains("this '[' is never closed") && detail.contains("character 7"), "{detail}");
    assert!(err("emails[type eq \"work\")").contains("expected 'and', 'or' or ']'"));
    assert!(err("a pr]").contains("this ']' has no matching '['"));
    assert!(err("(a pr]").contains("expected 'and', 'or' or ')'"));
    assert!(err("[a pr]").contains("expected an attribute name"));
}

#[test]
fn not_needs_parentheses() {
    assert!(err("not a pr").contains("expected '(' after 'not'"));
    assert!(err("not").contains("expected '(' after 'not'"));
}

#[test]
fn bad_attribute_names() {
    assert!(err("1abc eq 1").contains("'1abc' is not an attribute name"));
    assert!(err("user=name eq 1").contains("is not an attribute name"));
    assert!(err("\"userName\" eq 1").contains("expected an attribute name"));
    assert!(err("name.given.family eq 1").contains("more than one '.'"));
    assert!(err("name. eq 1").contains("missing an attribute name"));
    assert!(err(".value eq 1").contains("missing an attribute name"));
    assert!(err("urn:x: eq 1").contains("ends with ':'"));
    assert!(err(":a eq 1").contains("no schema URN"));
    assert!(err("emails[type eq \"w\"].value.x eq 1").contains("is not an attribute name"));
    assert_eq!(p("user-name_2 pr"), pr("user-name_2"));
}

#[test]
fn value_filters_do_not_nest_or_follow_sub_attributes() {
    assert!(err("emails[type[value eq 1]]").contains("cannot hold another"));
    assert!(err("name.givenName[value eq 1]").contains("names a sub-attribute"));
    assert!(
        err("emails[type eq \"work\"].value").contains(
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'emails[…].value'"
        )
    );
    assert!(err("emails[type eq \"work\"].value and a pr").contains("'and' is not an operator"));
}

#[test]
fn length_is_capped_before_parsing() {
    let exactly = format!("a eq \"{}\"", "x".repeat(MAX_FILTER_LEN - 7));
    assert_eq!(exactly.len(), MAX_FILTER_LEN);
    assert!(parse(&exactly).is_ok());
    let over = format!("a eq \"{}\"", "x".repeat(MAX_FILTER_LEN - 6));
    assert!(err(&over).contains("4097 bytes long; the longest accepted is 4096"));
    // Rejected by length even though the string never closes.
    assert!(err(&format!("a eq \"{}", "x".repeat(5000))).contains("bytes long"));
}

#[test]
fn hostile_nesting_is_refused_without_recursion() {
    assert!(err(&"(".repeat(100_000)).contains("bytes long"));
    assert!(err(&"not (".repeat(100_000)).contains("bytes long"));
    assert!(err(&"a eq 1 and ".repeat(5000)).contains("bytes long"));
    assert!(err(&"[".repeat(100_000)).contains("bytes long"));
    // Under the length cap, the depth cap answers.
    assert!(err(&"(".repeat(MAX_FILTER_LEN)).contains("nests deeper than 32"));
    assert!(err(&"not (".repeat(MAX_FILTER_LEN / 5)).contains("nests deeper than 32"));
    let deep = format!("{}a pr{}", "(".repeat(2000), ")".repeat(2000));
    assert!(err(&deep).contains("nests deeper than 32"));
}

#[test]
fn depth_cap_is_exact() {
    let at_cap = format!("{}a pr{}", "(".repeat(MAX_FILTER_DEPTH), ")".repeat(MAX_FILTER_DEPTH));
    assert_eq!(p(&at_cap), pr("a"));
    let over = format!("{}a pr{}", "(".repeat(MAX_FILTER_DEPTH + 1), ")".repeat(MAX_FILTER_DEPTH + 1));
    assert!(err(&over).contains("nests deeper than 32"));
    // 31 parentheses plus one and-chain inside: 32 levels.
    let n = MAX_FILTER_DEPTH - 1;
    let chain_at_cap = format!("{}a pr and b pr{}", "(".repeat(n), ")".repeat(n));
    assert!(parse(&chain_at_cap).is_ok());
    let chain_over = format!("{}a pr and b pr{}", "(".repeat(n + 1), ")".repeat(n + 1));
    assert!(err(&chain_over).contains("nests deeper"));
    // Alternating chains nest: a and (b or (c and (d or ...))).
    let mut alternating = String::from("z pr");
    for i in 0..40 {
        let keyword = if i % 2 == 0 { "and" } else { "or" };
        alternating = format!("a pr {keyword} ({alternating})");
    }
    assert!(err(&alternating).contains("nests deeper"));
    let mut nots = String::from("a pr");
    for _ in 0..MAX_FILTER_DEPTH {
        nots = format!("not ({nots})");
    }
    assert!(parse(&nots).is_ok());
    assert!(err(&format!("not ({nots})")).contains("nests deeper"));
}

#[test]
fn long_flat_chains_are_one_level_and_cost_no_stack() {
    let terms = MAX_FILTER_LEN / 12;
    let chain = vec!["a eq 1"; terms].join(" and ");
    assert!(chain.len() <= MAX_FILTER_LEN);
    let filter = p(&chain);
    assert!(filter.matches(&json!({"a": 1})));
    assert!(!filter.matches(&json!({"a": 2})));
    let chain = vec!["a eq 1"; terms].join(" or ");
    let filter = p(&chain);
    assert!(filter.matches(&json!({"a": 1})));
    assert!(!filter.matches(&json!({"b": 1})));
    assert_eq!(parse(&filter.to_string()), Ok(filter));
}

#[test]
fn worst_cases_fit_a_small_stack() {
    // Worker threads may have small stacks: parse, evaluate, print and drop the deepest and the
    // longest filters the caps allow, on a 512 KiB stack.
    let worker = std::thread::Builder::new().stack_size(512 * 1024).spawn(|| {
        let longest = vec!["a pr"; MAX_FILTER_LEN / 8].join(" or ");
        let n = MAX_FILTER_DEPTH - 2;
        let deepest = format!("{}emails[value pr and type pr]{}", "not (".repeat(n), ")".repeat(n));
        for text in [longest, deepest] {
            let filter = parse(&text).unwrap();
            let _ = filter.matches(&user());
            let _ = filter.index_hint();
            assert_eq!(parse(&filter.to_string()).as_ref(), Ok(&filter));
        }
        for text in ["(".repeat(MAX_FILTER_LEN), "not (".repeat(800), "emails[(".repeat(400)] {
            assert!(parse(&text).is_err());
            assert!(parse_path(&text).is_err());
        }
    });
    assert!(worker.unwrap().join().is_ok());
}

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

// ---- robustness ----

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_token_soup_never_panics() {
    const PIECES: &[&str] = &[
        "userName",
        "emails",
        "name.familyName",
        "value",
        "type",
        "members",
        "$ref",
        ".value",
        ".",
        ":",
        "urn:ietf:params:scim:schemas:core:2.0:User:",
        ENT,
        "urn:x:",
        "eq",
        "NE",
        "co",
        "sw",
        "ew",
        "gt",
        "ge",
        "lt",
        "le",
        "pr",
        "and",
        "OR",
        "not",
        "(",
        ")",
        "[",
        "]",
        "\"",
        "\"work\"",
        "\"a\\\"b\"",
        "\\",
        "\\u",
        "\\ud83d",
        "\\ude00",
        "\\u00e9",
        "\"\\ud83d\\ude00\"",
        "1",
        "-2.5e3",
        "0123",
        "true",
        "null",
        "False",
        "é",
        "日本",
        "😀",
        "\t",
        "\n",
        "  ",
        ",",
        "=",
        "-",
        "1e999",
        "]. ",
    ];
    let resource = user();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for _ in 0..10_000 {
        let count = rng.below(24);
        let mut text = String::new();
        for _ in 0..count {
            text.push_str(PIECES[rng.below(PIECES.len())]);
            if rng.below(3) != 0 {
                text.push(' ');
            }
        }
        if let Ok(filter) = parse(&text) {
            parsed += 1;
            let _ = filter.matches(&resource);
            let _ = filter.index_hint();
            let shown = filter.to_string();
            assert_eq!(parse(&shown).as_ref(), Ok(&filter), "{text:?} shown as {shown:?}");
        }
        if let Ok(path) = parse_path(&text) {
            assert_eq!(parse_path(&path.to_string()).as_ref(), Ok(&path), "{text:?}");
        }
        // Every error names a position or a limit a person can act on.
        if let Err(e) = parse(&text) {
            assert!(!e.detail.is_empty());
        }
    }
    assert!(parsed > 0, "the soup should contain some valid filters");
}

/// A random filter that the grammar accepts, in random spelling.
fn grammatical(rng: &mut XorShift, depth: usize, in_brackets: bool) -> String {
    const NAMES: &[&str] = &[
        "userName",
        "DisplayName",
        "name.familyName",
        "emails.Value",
        "active",
        "loginCount",
        "id",
        "meta.created",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
    ];
    const VALUES: &[&str] = &[
        "\"bjensen@example.com\"",
        "\"B\\u00e9\\\"x\"",
        "johnwong",
        "42",
        "-1.5e2",
        "true",
        "False",
        "null",
        "\"\"",
        "\"2020-01-01T00:00:00Z\"",
        "\"\\ud83d\\ude00\"",
    ];
    const OPS: &[&str] = &["eq", "NE", "co", "Sw", "ew", "gt", "ge", "lt", "le"];
    let space = |rng: &mut XorShift| [" ", "  ", "\t", " \n "][rng.below(4)];
    let choice = if depth == 0 { rng.below(3) } else { rng.below(8) };
    match choice {
        0 | 1 => {
            let name = NAMES[rng.below(NAMES.len())];
            let op = OPS[rng.below(OPS.len())];
            let mut value = VALUES[rng.below(VALUES.len())];
            if ["gt", "ge", "lt", "le"].contains(&op) && ["true", "False", "null"].contains(&value) {
                value = "7";
            }
            format!("{name}{}{op}{}{value}", space(rng), space(rng))
        }
        2 => format!("{}{}pr", NAMES[rng.below(NAMES.len())], space(rng)),
        3 => format!("({})", grammatical(rng, depth - 1, in_brackets)),
        4 => format!("not{}({})", space(rng), grammatical(rng, depth - 1, in_brackets)),
        5 if !in_brackets => {
            let inner = grammatical(rng, depth - 1, true);
            match rng.below(3) {
                0 => format!("emails[{inner}]"),
                1 => format!("emails[{inner}].value eq \"x\""),
                _ => format!("members[{inner}].$ref pr"),
            }
        }
        _ => {
            let keyword = ["and", "OR", "And", "or"][rng.below(4)];
            let left = grammatical(rng, depth - 1, in_brackets);
            let right = grammatical(rng, depth - 1, in_brackets);
            format!("{left}{}{keyword}{}{right}", space(rng), space(rng))
        }
    }
}

#[test]
fn random_grammatical_filters_parse_evaluate_and_round_trip() {
    let resource = user();
    let mut rng = XorShift(0x0123_4567_89AB_CDEF);
    for _ in 0..10_000 {
        let text = grammatical(&mut rng, 5, false);
        let filter = match parse(&text) {
            Ok(filter) => filter,
            Err(e) => panic!("{text:?}: {}", e.detail),
        };
        let _ = filter.matches(&resource);
        let _ = filter.index_hint();
        let shown = filter.to_string();
        assert_eq!(parse(&shown).as_ref(), Ok(&filter), "{text:?} shown as {shown:?}");
        // One character removed or doubled anywhere: an answer, never a panic.
        let chars: Vec<char> = text.chars().collect();
        let cut = rng.below(chars.len());
        let mutated: String = chars
            .iter()
            .enumerate()
            .flat_map(|(i, c)| std::iter::repeat_n(*c, if i == cut { rng.below(3) } else { 1 }))
            .collect();
        if let Ok(filter) = parse(&mutated) {
            let _ = filter.matches(&resource);
            assert_eq!(parse(&filter.to_string()).as_ref(), Ok(&filter), "{mutated:?}");
        }
        let _ = parse_path(&mutated);
        let path_text = format!("emails[{}].value", grammatical(&mut rng, 3, true));
        let path = match parse_path(&path_text) {
            Ok(path) => path,
            Err(e) => panic!("{path_text:?}: {}", e.detail),
        };
        assert_eq!(parse_path(&path.to_string()).as_ref(), Ok(&path), "{path_text:?}");
    }
}

#[test]
fn random_bytes_near_the_caps_never_panic() {
    let mut rng = XorShift(0xDEAD_BEEF_CAFE_F00D);
    let alphabet: Vec<char> = "()[]\" \\notandr:.eqpx1é😀".chars().collect();
    for _ in 0..200 {
        let len = MAX_FILTER_LEN / 4 + rng.below(MAX_FILTER_LEN / 4);
        let text: String = (0..len).map(|_| alphabet[rng.below(alphabet.len())]).collect();
        let _ = parse(&text);
        let _ = parse_path(&text);
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
