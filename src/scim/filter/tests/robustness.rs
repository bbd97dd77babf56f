//! Random and hostile inputs: no panic, no runaway cost.

use super::*;

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
