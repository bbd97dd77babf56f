//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): text to [`Filter`] and [`PatchPath`],
//! evaluation of a filter against a rendered resource, and the index hint a store can answer instead
//! of scanning. Which attributes compare case-sensitively is not decided here but in
//! [`crate::scim::schema::case_exact`].
//!
//! This module owns the grammar, the caps that keep hostile input cheap, and the comparison rules. It
//! knows no SQL and no storage: it sees a resource only as the JSON a GET would return, and the PATCH
//! engine (`scim::patch`) decides what a parsed path does to a resource. Its files:
//! - `ast`: the syntax tree ([`AttrPath`], [`CompareOp`], [`Filter`], [`PatchPath`]) and its canonical
//!   text (`Display`, which parses back to an equal value);
//! - `lexer`: text to tokens, and error details that point into the text;
//! - `parser`: tokens to a [`Filter`] or a [`PatchPath`] ([`parse`], [`parse_path`]);
//! - `eval`: [`Filter::matches`] and the comparison rules;
//! - `hints`: [`Filter::index_hint`], the equality a store can look up in an index.
//!
//! Parsing checks the length against [`MAX_FILTER_LEN`] before reading anything, splits the text into
//! tokens, then reads them by recursive descent. The parser recurses only into `(`, `not (` and `[`, and
//! checks [`MAX_FILTER_DEPTH`] before each descent; `and`/`or` chains are loops. So no input, however
//! nested, can exhaust the stack, and a chain's length is bounded by the length cap. Evaluation walks
//! chains in loops too, so it recurses no deeper than the parser did.
//!
//! Decisions where RFC 7644 is silent, or where real clients depart from it:
//! - Bare words. Entra's documented sample omits the quotes (`externalId eq johnwong`). After an
//!   operator, an unquoted token is `true`, `false` or `null` (in any case), else a JSON number, else
//!   a string. `and`, `or` and `not` are refused as bare values, because they almost always mean a
//!   value was forgotten. After `co`, `sw` and `ew` every bare token is text, since only strings have
//!   substrings (`phoneNumbers.value sw 555`).
//! - `not` needs its parentheses, as in the RFC grammar: `not (title pr)`.
//! - A missing or null attribute makes every comparison false except `ne`, which is true: nothing of
//!   the resource equals the value, so `title ne "Boss"` finds the users without a title. A
//!   multi-valued attribute matches when any of its values does, for `ne` too. `attr eq null` means
//!   "not present" and `attr ne null` means "present", in the sense of `pr`.
//! - Comparing values of different types: `eq` is false and `ne` true. Ordering compares two strings or
//!   two numbers, nothing else. A boolean equals the strings "true"/"false" in any case, because Entra
//!   sends booleans as strings. `gt`/`ge`/`lt`/`le` with `true`, `false` or `null` is refused.
//! - Strings that are not caseExact compare after Unicode lowercasing
//!   ([`crate::base::text::fold_case`]), orderings too. dateTimes are compared as strings: right for
//!   the one UTC form (`2026-11-23T10:00:00Z`) that resources are rendered in.
//! - A schema URN is everything up to the last `:` of a name. A name that is exactly a known extension
//!   URN (enterprise User, the scim-seat User extension) is kept whole as the attribute, with no `urn`,
//!   so `path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"` names the extension
//!   object, which is a top-level key of the resource.
//! - Entra's `emails[type eq "work"].value eq "x"` is read as `emails[type eq "work" and value eq "x"]`,
//!   and `attr[f].sub pr` likewise. Value filters do not nest and do not apply to a sub-attribute.
//! - Nesting depth: each `(...)`, `not (...)` and `[...]` is one level, and so is each chain of `and`s
//!   or of `or`s, however long (`a and b or c` is two levels).

mod ast;
mod eval;
mod hints;
mod lexer;
mod parser;
#[cfg(test)]
mod tests;

pub use ast::{AttrPath, CompareOp, Filter, PatchPath};
pub use eval::case_exact;
pub use hints::{IndexHint, IndexedAttr};
pub use parser::{parse, parse_path};

/// Longest filter text accepted (bytes); checked before parsing.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not`, value paths and and/or chains accepted.
pub const MAX_FILTER_DEPTH: usize = 32;
