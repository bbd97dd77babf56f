//! Text rules shared by every layer: the one case folding of values that are not caseExact (a
//! store index and a filter must fold alike) and the one reading of string booleans.

/// The case folding behind every comparison of a value that is not caseExact. A store index that
/// answers index hints of such attributes must fold with this same function.
///
/// Each character is lowercased on its own (no context rule like `str::to_lowercase`'s final sigma),
/// so that equality and ordering can fold lazily, character by character, and agree with this.
pub fn fold_case(s: &str) -> String {
    folded(s).collect()
}

/// The folded characters of `s`, lazily (equality and ordering fold character by character).
pub fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

/// `true`/`false` in any case: the one reading of string booleans (Entra sends `"True"`).
pub fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
