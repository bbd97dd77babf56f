//! Parsing: operators, keywords and precedence, paths, values, and the errors and caps.

use super::*;

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
