//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): text to [`Filter`] and [`PatchPath`],
//! evaluation of a filter against a rendered resource, the caseExact list, and the index hint a store
//! can answer instead of scanning.
//!
//! This module owns the grammar, the caps that keep hostile input cheap, and the comparison rules. It
//! knows no SQL and no storage: it sees a resource only as the JSON a GET would return, and the PATCH
//! engine (`scim::patch`) decides what a parsed path does to a resource.
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
//! - Strings that are not caseExact compare after Unicode lowercasing ([`fold_case`]), orderings too.
//!   dateTimes are compared as strings: right for the one UTC form (`2026-11-23T10:00:00Z`) that
//!   resources are rendered in.
//! - A schema URN is everything up to the last `:` of a name. A name that is exactly a known extension
//!   URN (enterprise User, the scim-seat User extension) is kept whole as the attribute, with no `urn`,
//!   so `path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"` names the extension
//!   object, which is a top-level key of the resource.
//! - Entra's `emails[type eq "work"].value eq "x"` is read as `emails[type eq "work" and value eq "x"]`,
//!   and `attr[f].sub pr` likewise. Value filters do not nest and do not apply to a sub-attribute.
//! - Nesting depth: each `(...)`, `not (...)` and `[...]` is one level, and so is each chain of `and`s
//!   or of `or`s, however long (`a and b or c` is two levels).

use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};
use std::cmp::Ordering;
use std::fmt;

/// Longest filter text accepted (bytes); checked before parsing.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not`, value paths and and/or chains accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

const CORE_USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE_USER_URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SEAT_USER_URN: &str = "urn:scim-seat:schemas:extension:seat:2.0:User";

/// `[urn ":"] attr ["." sub]`. Names are kept as written; every comparison of names is
/// case-insensitive. `urn` is the schema URN when the path was URN-qualified.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `path op value`; value is a JSON string, number, boolean or null.
    Compare { path: AttrPath, op: CompareOp, value: Value },
    /// `path pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path[filter]`: true when some element of the multi-valued `path` matches `filter`, whose
    /// paths are relative to the element. Entra's `emails[type eq "work"].value eq "x"` parses as
    /// `ValuePath { emails, And(type eq "work", value eq "x") }`.
    ValuePath { path: AttrPath, filter: Box<Filter> },
}

/// Attributes answered from an index instead of a scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexedAttr {
    UserName,
    ExternalId,
    Id,
    DisplayName,
    EmailValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHint {
    pub attr: IndexedAttr,
    pub value: String,
}

/// A PATCH path: `attrPath` or `valuePath ["." subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

/// Parses a filter; errors are 400 `invalidFilter` with a detail naming the position and problem.
pub fn parse(input: &str) -> Result<Filter> {
    let src = Source { text: input, grammar: Grammar::Filter };
    let mut parser = src.parser()?;
    let (filter, depth) = parser.or_chain(0)?;
    parser.expect_end()?;
    if depth > MAX_FILTER_DEPTH {
        return Err(src.too_deep());
    }
    Ok(filter)
}

/// Parses a PATCH path; errors are 400 `invalidPath`.
pub fn parse_path(input: &str) -> Result<PatchPath> {
    let src = Source { text: input, grammar: Grammar::Path };
    let mut parser = src.parser()?;
    let (word, at) = match parser.peek_word() {
        Some(found) => found,
        None => {
            let at = parser.peek().1;
            return Err(src.fail_at(at, "expected an attribute name such as emails or name.givenName"));
        }
    };
    parser.bump();
    let path = src.attr_path(word, at)?;
    let mut filter = None;
    let mut sub = None;
    if let (Tok::LBracket, open_at) = parser.peek() {
        parser.value_filter_allowed(&path, word, at, open_at)?;
        parser.bump();
        let (inner, depth) = parser.bracket(0, open_at)?;
        if depth + 1 > MAX_FILTER_DEPTH {
            return Err(src.too_deep());
        }
        filter = Some(inner);
        if let Some((name, sub_at)) = parser.peek_sub() {
            parser.bump();
            sub = Some(src.sub_name(name, sub_at)?);
        }
    }
    parser.expect_end()?;
    Ok(PatchPath { path, filter, sub })
}

/// Whether values of this attribute compare case-sensitively (RFC 7643 `caseExact`).
pub fn case_exact(path: &AttrPath) -> bool {
    exact_parts(path.urn.as_deref(), &path.attr, path.sub.as_deref())
}

/// The case folding behind every comparison of a value that is not caseExact. A store index that
/// answers [`IndexHint`]s of such attributes must fold with this same function.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

impl Filter {
    /// Evaluates the filter against a rendered SCIM resource (the JSON a GET returns).
    pub fn matches(&self, resource: &Value) -> bool {
        self.eval(resource, None)
    }

    /// An equality on an indexed attribute that every match must satisfy: the filter itself, or a
    /// conjunct of a top-level `and` chain. `None` when the filter needs a scan.
    ///
    /// When several conjuncts qualify, the most selective attribute wins (id, userName, externalId,
    /// emails.value, displayName), and among equals the leftmost.
    pub fn index_hint(&self) -> Option<IndexHint> {
        let mut best: Option<IndexHint> = None;
        let mut pending = vec![self];
        while let Some(node) = pending.pop() {
            let found = match node {
                Filter::And(left, right) => {
                    // Right first onto the stack, so the left conjunct is looked at first.
                    pending.push(right);
                    pending.push(left);
                    continue;
                }
                Filter::Compare { path, op: CompareOp::Eq, value: Value::String(s) } => {
                    direct_hint(path).map(|attr| IndexHint { attr, value: s.clone() })
                }
                Filter::ValuePath { path, filter } if is_core_attr(path, "emails", None) => {
                    email_in_value_filter(filter)
                }
                _ => None,
            };
            if let Some(hint) = found
                && best.as_ref().is_none_or(|b| hint_rank(hint.attr) < hint_rank(b.attr))
            {
                best = Some(hint);
            }
        }
        best
    }

    /// `parent` is the multi-valued attribute whose element `context` is, inside a value filter; it
    /// decides caseExact for the element's sub-attributes (`members[value eq "…"]`).
    fn eval(&self, context: &Value, parent: Option<&AttrPath>) -> bool {
        match self {
            Filter::Compare { path, op, value } => compare(context, parent, path, *op, value),
            Filter::Present(path) => values_of(context, path).into_iter().any(is_present),
            Filter::And(..) => {
                // A parsed chain is left-deep: walk its spine in a loop instead of recursing.
                let mut node = self;
                loop {
                    match node {
                        Filter::And(left, right) => {
                            if !right.eval(context, parent) {
                                return false;
                            }
                            node = left;
                        }
                        other => return other.eval(context, parent),
                    }
                }
            }
            Filter::Or(..) => {
                let mut node = self;
                loop {
                    match node {
                        Filter::Or(left, right) => {
                            if right.eval(context, parent) {
                                return true;
                            }
                            node = left;
                        }
                        other => return other.eval(context, parent),
                    }
                }
            }
            Filter::Not(inner) => !inner.eval(context, parent),
            Filter::ValuePath { path, filter } => values_of(context, path)
                .into_iter()
                .any(|element| element.is_object() && filter.eval(element, Some(path))),
        }
    }
}

impl AttrPath {
    /// The URN when it names an extension schema: the object under that key holds the attribute.
    /// `None` for an unqualified name and for the core User and Group URNs, which mean top level.
    pub fn extension_urn(&self) -> Option<&str> {
        self.urn.as_deref().filter(|urn| !is_core_urn(urn))
    }
}

impl CompareOp {
    /// The operator as the grammar spells it, in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    fn from_keyword(word: &str) -> Option<CompareOp> {
        const ALL: [CompareOp; 9] = [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ];
        ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    fn is_ordering(self) -> bool {
        matches!(self, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le)
    }

    fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl IndexedAttr {
    /// Whether the index must match the hint's value exactly; otherwise it matches after
    /// [`fold_case`].
    pub fn case_exact(self) -> bool {
        matches!(self, IndexedAttr::Id | IndexedAttr::ExternalId)
    }
}

// ---- Display: the canonical text, which parses back to an equal value ----

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parentheses only where precedence or left-associativity needs them.
        fn operand(f: &mut fmt::Formatter<'_>, filter: &Filter, parenthesize: bool) -> fmt::Result {
            if parenthesize { write!(f, "({filter})") } else { write!(f, "{filter}") }
        }
        match self {
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::And(left, right) => {
                operand(f, left, matches!(**left, Filter::Or(..)))?;
                f.write_str(" and ")?;
                operand(f, right, matches!(**right, Filter::And(..) | Filter::Or(..)))
            }
            Filter::Or(left, right) => {
                operand(f, left, false)?;
                f.write_str(" or ")?;
                operand(f, right, matches!(**right, Filter::Or(..)))
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::ValuePath { path, filter } => write!(f, "{path}[{filter}]"),
        }
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{filter}]")?;
        }
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

// ---- Names: URNs, caseExact, index hints ----

fn is_core_urn(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(CORE_USER_URN) || urn.eq_ignore_ascii_case(CORE_GROUP_URN)
}

/// Extension URNs that, written alone, name the extension object rather than an attribute in it.
fn is_known_extension_urn(word: &str) -> bool {
    word.eq_ignore_ascii_case(ENTERPRISE_USER_URN) || word.eq_ignore_ascii_case(SEAT_USER_URN)
}

/// caseExact by name, per RFC 7643's schemas for the attributes scim-seat serves.
fn exact_parts(urn: Option<&str>, attr: &str, sub: Option<&str>) -> bool {
    let is = |name: &str, expected: &str| name.eq_ignore_ascii_case(expected);
    if is(attr, "$ref") || sub.is_some_and(|s| is(s, "$ref")) {
        return true;
    }
    let core = urn.is_none_or(is_core_urn);
    let enterprise = urn.is_none_or(|u| is(u, ENTERPRISE_USER_URN));
    match sub {
        None => core && (is(attr, "id") || is(attr, "externalId")),
        Some(sub) => {
            let meta = is(attr, "meta") && (is(sub, "version") || is(sub, "location"));
            let reference = (is(attr, "members") || is(attr, "groups")) && is(sub, "value");
            (core && (meta || reference)) || (enterprise && is(attr, "manager") && is(sub, "value"))
        }
    }
}

/// Whether `path` is the core attribute `attr` (unqualified or core-URN-qualified) with sub `sub`.
fn is_core_attr(path: &AttrPath, attr: &str, sub: Option<&str>) -> bool {
    path.extension_urn().is_none()
        && path.attr.eq_ignore_ascii_case(attr)
        && match (path.sub.as_deref(), sub) {
            (None, None) => true,
            (Some(have), Some(want)) => have.eq_ignore_ascii_case(want),
            _ => false,
        }
}

fn direct_hint(path: &AttrPath) -> Option<IndexedAttr> {
    let simple = [
        ("userName", IndexedAttr::UserName),
        ("externalId", IndexedAttr::ExternalId),
        ("id", IndexedAttr::Id),
        ("displayName", IndexedAttr::DisplayName),
    ];
    if let Some((_, attr)) = simple.into_iter().find(|(name, _)| is_core_attr(path, name, None)) {
        return Some(attr);
    }
    // `emails eq "x"` compares each element's value, just as `emails.value eq "x"` does.
    if is_core_attr(path, "emails", None) || is_core_attr(path, "emails", Some("value")) {
        return Some(IndexedAttr::EmailValue);
    }
    None
}

/// `value eq "x"` among the conjuncts of the filter inside `emails[...]`.
fn email_in_value_filter(filter: &Filter) -> Option<IndexHint> {
    let mut pending = vec![filter];
    while let Some(node) = pending.pop() {
        match node {
            Filter::And(left, right) => {
                pending.push(right);
                pending.push(left);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Value::String(s) }
                if path.urn.is_none() && path.sub.is_none() && path.attr.eq_ignore_ascii_case("value") =>
            {
                return Some(IndexHint { attr: IndexedAttr::EmailValue, value: s.clone() });
            }
            _ => {}
        }
    }
    None
}

fn hint_rank(attr: IndexedAttr) -> u8 {
    match attr {
        IndexedAttr::Id => 0,
        IndexedAttr::UserName => 1,
        IndexedAttr::ExternalId => 2,
        IndexedAttr::EmailValue => 3,
        IndexedAttr::DisplayName => 4,
    }
}

// ---- Evaluation ----

/// The member of `object` named `key`, exact spelling first, then ASCII case-insensitively.
fn get_ci<'v>(object: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.get(key).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn member<'v>(value: &'v Value, key: &str) -> Option<&'v Value> {
    value.as_object().and_then(|object| get_ci(object, key))
}

/// Pushes a value, or each element of an array, leaving out nulls (null means absent).
fn push_flat<'v>(value: &'v Value, out: &mut Vec<&'v Value>) {
    match value {
        Value::Null => {}
        Value::Array(items) => out.extend(items.iter().filter(|item| !item.is_null())),
        other => out.push(other),
    }
}

/// Every value `path` reaches in `context`: one per element of a multi-valued attribute.
fn values_of<'v>(context: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let mut out = Vec::new();
    let container = match path.extension_urn() {
        Some(urn) => member(context, urn),
        None => Some(context),
    };
    let Some(found) = container.and_then(|c| member(c, &path.attr)) else {
        return out;
    };
    match &path.sub {
        None => push_flat(found, &mut out),
        Some(sub) => {
            let mut parents = Vec::new();
            push_flat(found, &mut parents);
            for parent in parents {
                if let Some(value) = member(parent, sub) {
                    push_flat(value, &mut out);
                }
            }
        }
    }
    out
}

fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(members) => !members.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(context: &Value, parent: Option<&AttrPath>, path: &AttrPath, op: CompareOp, value: &Value) -> bool {
    let found = values_of(context, path);
    if value.is_null() {
        let present = found.into_iter().any(is_present);
        return match op {
            CompareOp::Eq => !present,
            CompareOp::Ne => present,
            _ => false,
        };
    }
    // A complex value compared without a sub-attribute (`emails co "x"`, `members eq "id"`) stands
    // for its `value`, whose caseExact is that of `attr.value`.
    let (exact, value_exact) = match parent {
        None => (case_exact(path), path.sub.is_none() && exact_parts(path.urn.as_deref(), &path.attr, Some("value"))),
        Some(parent) => (exact_parts(parent.urn.as_deref(), &parent.attr, Some(&path.attr)), false),
    };
    let scalars: Vec<(&Value, bool)> = found
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(_) => member(v, "value").filter(|inner| !inner.is_null()).map(|inner| (inner, value_exact)),
            scalar => Some((scalar, exact)),
        })
        .collect();
    if scalars.is_empty() {
        return op == CompareOp::Ne;
    }
    scalars.into_iter().any(|(have, exact)| compare_scalar(have, op, value, exact))
}

fn compare_scalar(have: &Value, op: CompareOp, want: &Value, exact: bool) -> bool {
    match op {
        CompareOp::Eq => scalar_eq(have, want, exact),
        CompareOp::Ne => !scalar_eq(have, want, exact),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            let (Value::String(have), Value::String(want)) = (have, want) else {
                return false;
            };
            let (have, want) = if exact { (have.clone(), want.clone()) } else { (fold_case(have), fold_case(want)) };
            match op {
                CompareOp::Co => have.contains(&want),
                CompareOp::Sw => have.starts_with(&want),
                _ => have.ends_with(&want),
            }
        }
        CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
            let Some(order) = scalar_order(have, want, exact) else {
                return false;
            };
            match op {
                CompareOp::Gt => order.is_gt(),
                CompareOp::Ge => order.is_ge(),
                CompareOp::Lt => order.is_lt(),
                _ => order.is_le(),
            }
        }
    }
}

fn folded(s: &str) -> impl Iterator<Item = char> + '_ {
    s.chars().flat_map(char::to_lowercase)
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn scalar_eq(have: &Value, want: &Value, exact: bool) -> bool {
    match (have, want) {
        (Value::String(a), Value::String(b)) => if exact { a == b } else { folded(a).eq(folded(b)) },
        (Value::Number(a), Value::Number(b)) => number_order(a, b) == Some(Ordering::Equal),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Bool(a), Value::String(s)) | (Value::String(s), Value::Bool(a)) => parse_bool(s) == Some(*a),
        _ => false,
    }
}

fn scalar_order(have: &Value, want: &Value, exact: bool) -> Option<Ordering> {
    match (have, want) {
        (Value::String(a), Value::String(b)) => Some(if exact { a.cmp(b) } else { folded(a).cmp(folded(b)) }),
        (Value::Number(a), Value::Number(b)) => number_order(a, b),
        _ => None,
    }
}

/// Integers compare exactly; anything else as f64.
fn number_order(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

// ---- Lexing ----

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Open,
    Close,
    LBracket,
    RBracket,
    /// A quoted JSON string, unescaped.
    Str(String),
    /// A run of anything else up to whitespace, a bracket, a parenthesis or a quote: names, operators,
    /// keywords, numbers, bare values.
    Word(&'a str),
    End,
}

#[derive(Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    /// Byte offset into the text; always on a char boundary.
    at: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '"')
}

#[derive(Clone, Copy, PartialEq)]
enum Grammar {
    Filter,
    Path,
}

/// The text being read and the error flavour that goes with it.
#[derive(Clone, Copy)]
struct Source<'a> {
    text: &'a str,
    grammar: Grammar,
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

impl<'a> Source<'a> {
    fn noun(self) -> &'static str {
        match self.grammar {
            Grammar::Filter => "filter",
            Grammar::Path => "path",
        }
    }

    fn error(self, detail: String) -> Error {
        match self.grammar {
            Grammar::Filter => Error::invalid_filter(detail),
            Grammar::Path => Error::invalid_path(detail),
        }
    }

    /// An error about the text at byte `at`, saying where (in characters, from 1) and near what.
    fn fail_at(self, at: usize, problem: impl fmt::Display) -> Error {
        let noun = self.noun();
        let rest = self.text.get(at..).unwrap_or("");
        if rest.is_empty() {
            return self.error(format!("{problem}, at the end of the {noun}"));
        }
        let position = self.text.get(..at).map_or(0, |before| before.chars().count()) + 1;
        let mut near: String = rest.chars().take(24).collect();
        if rest.chars().nth(24).is_some() {
            near.push('…');
        }
        self.error(format!("{problem}, at character {position} of the {noun} (near '{near}')"))
    }

    fn too_deep(self) -> Error {
        self.error(format!(
            "the {} nests deeper than {MAX_FILTER_DEPTH} levels (each parenthesis, not, [value filter] and \
             chain of and/or counts one); simplify it",
            self.noun()
        ))
    }

    /// Length cap, then tokens, then a parser positioned on the first one.
    fn parser(self) -> Result<Parser<'a>> {
        let noun = self.noun();
        if self.text.len() > MAX_FILTER_LEN {
            return Err(self.error(format!(
                "the {noun} is {} bytes long; the longest accepted is {MAX_FILTER_LEN}",
                self.text.len()
            )));
        }
        let tokens = self.lex()?;
        if tokens.len() <= 1 {
            let example = match self.grammar {
                Grammar::Filter => "userName eq \"bjensen\"",
                Grammar::Path => "emails[type eq \"work\"].value",
            };
            return Err(self.error(format!("the {noun} is empty; write for example {example}")));
        }
        let end = Token { tok: Tok::End, at: self.text.len() };
        Ok(Parser { src: self, tokens, next: 0, end, in_brackets: false })
    }

    /// The tokens of the text, always ending with [`Tok::End`].
    fn lex(self) -> Result<Vec<Token<'a>>> {
        let mut tokens = Vec::new();
        let mut chars: Chars<'a> = self.text.char_indices().peekable();
        while let Some(&(at, c)) = chars.peek() {
            let tok = match c {
                c if c.is_whitespace() => {
                    chars.next();
                    continue;
                }
                '(' | ')' | '[' | ']' => {
                    chars.next();
                    match c {
                        '(' => Tok::Open,
                        ')' => Tok::Close,
                        '[' => Tok::LBracket,
                        _ => Tok::RBracket,
                    }
                }
                '"' => {
                    chars.next();
                    Tok::Str(self.lex_string(at, &mut chars)?)
                }
                _ => {
                    let mut end = self.text.len();
                    while let Some(&(i, c)) = chars.peek() {
                        if !is_word_char(c) {
                            end = i;
                            break;
                        }
                        chars.next();
                    }
                    Tok::Word(self.text.get(at..end).unwrap_or(""))
                }
            };
            tokens.push(Token { tok, at });
        }
        tokens.push(Token { tok: Tok::End, at: self.text.len() });
        Ok(tokens)
    }

    /// The rest of a JSON string whose opening quote was at `start`.
    fn lex_string(self, start: usize, chars: &mut Chars<'a>) -> Result<String> {
        let unterminated = || self.fail_at(start, "this string is never closed; add the closing '\"'");
        let mut out = String::new();
        loop {
            let Some((at, c)) = chars.next() else {
                return Err(unterminated());
            };
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some((_, escape)) = chars.next() else {
                        return Err(unterminated());
                    };
                    let unescaped = match escape {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        'u' => self.lex_unicode_escape(at, chars)?,
                        other => {
                            return Err(self.fail_at(
                                at,
                                format!(
                                    "'\\{other}' is not a JSON string escape; use \\\", \\\\, \\/, \\b, \\f, \\n, \
                                     \\r, \\t or \\uXXXX"
                                ),
                            ));
                        }
                    };
                    out.push(unescaped);
                }
                c => out.push(c),
            }
        }
    }

    /// After `\u` (whose backslash is at `at`): four hex digits, and a second `\uXXXX` when the first
    /// is a high surrogate, as JSON spells characters outside the Basic Multilingual Plane.
    fn lex_unicode_escape(self, at: usize, chars: &mut Chars<'a>) -> Result<char> {
        let first = self.hex4(at, chars)?;
        let code = match first {
            0xD800..=0xDBFF => {
                let backslash = chars.next().map(|(_, c)| c);
                let u = chars.next().map(|(_, c)| c);
                let second = if backslash == Some('\\') && u == Some('u') { Some(self.hex4(at, chars)?) } else { None };
                match second {
                    Some(low @ 0xDC00..=0xDFFF) => 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00),
                    _ => {
                        return Err(self.fail_at(
                            at,
                            "a high surrogate \\uD800-\\uDBFF must be followed by a low surrogate \\uDC00-\\uDFFF",
                        ));
                    }
                }
            }
            0xDC00..=0xDFFF => {
                return Err(self.fail_at(at, "a low surrogate \\uDC00-\\uDFFF must follow a high surrogate"));
            }
            other => other,
        };
        char::from_u32(code).ok_or_else(|| self.fail_at(at, "this \\u escape is not a Unicode character"))
    }

    fn hex4(self, at: usize, chars: &mut Chars<'a>) -> Result<u32> {
        let mut code = 0;
        for _ in 0..4 {
            let digit = chars.peek().and_then(|&(_, c)| c.to_digit(16));
            let Some(digit) = digit else {
                return Err(self.fail_at(at, "\\u must be followed by four hex digits, as in \\u00e9"));
            };
            chars.next();
            code = code * 16 + digit;
        }
        Ok(code)
    }

    // ---- Names ----

    /// `[urn ":"] attr ["." sub]` from one word starting at byte `at`.
    fn attr_path(self, word: &str, at: usize) -> Result<AttrPath> {
        if is_known_extension_urn(word) {
            return Ok(AttrPath { urn: None, attr: word.to_string(), sub: None });
        }
        let (urn, rest) = match word.rsplit_once(':') {
            Some((urn, rest)) => (Some(urn), rest),
            None => (None, word),
        };
        if urn == Some("") {
            return Err(self.fail_at(at, format!("'{word}' has a ':' but no schema URN before it")));
        }
        if rest.is_empty() {
            return Err(self.fail_at(
                at,
                format!("'{word}' ends with ':'; write the attribute name after the schema URN"),
            ));
        }
        let (attr, sub) = match rest.split_once('.') {
            Some((attr, sub)) => (attr, Some(sub)),
            None => (rest, None),
        };
        if sub.is_some_and(|sub| sub.contains('.')) {
            return Err(self.fail_at(
                at,
                format!("'{word}' has more than one '.'; a SCIM path has at most one sub-attribute"),
            ));
        }
        self.check_name(attr, word, at)?;
        if let Some(sub) = sub {
            self.check_name(sub, word, at)?;
        }
        Ok(AttrPath { urn: urn.map(str::to_string), attr: attr.to_string(), sub: sub.map(str::to_string) })
    }

    /// The name after `].` (the `.` already stripped).
    fn sub_name(self, name: &str, at: usize) -> Result<String> {
        self.check_name(name, name, at)?;
        Ok(name.to_string())
    }

    /// RFC 7643 ATTRNAME (a letter, then letters, digits, '-', '_'), or `$ref`-style names.
    fn check_name(self, name: &str, word: &str, at: usize) -> Result<()> {
        let bare = name.strip_prefix('$').unwrap_or(name);
        let mut chars = bare.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid {
            return Ok(());
        }
        let problem = if name.is_empty() {
            format!("'{word}' is missing an attribute name")
        } else {
            format!(
                "'{name}' is not an attribute name: a name starts with a letter and holds only letters, \
                 digits, '-' and '_'"
            )
        };
        Err(self.fail_at(at, problem))
    }
}

// ---- Parsing ----

struct Parser<'a> {
    src: Source<'a>,
    tokens: Vec<Token<'a>>,
    next: usize,
    /// Stands in for any position past the last token, so peeking never fails.
    end: Token<'a>,
    /// Inside `[...]`, where the RFC grammar has no value paths.
    in_brackets: bool,
}

/// Every parsing function returns its filter with the nesting depth it used.
type Parsed = (Filter, usize);

impl<'a> Parser<'a> {
    fn peek(&self) -> (&Tok<'a>, usize) {
        let token = self.tokens.get(self.next).unwrap_or(&self.end);
        (&token.tok, token.at)
    }

    fn peek_word(&self) -> Option<(&'a str, usize)> {
        match self.peek() {
            (Tok::Word(word), at) => Some((*word, at)),
            _ => None,
        }
    }

    /// A word `.name` right after `]`: the sub-attribute of a value path.
    fn peek_sub(&self) -> Option<(&'a str, usize)> {
        self.peek_word().and_then(|(word, at)| word.strip_prefix('.').map(|name| (name, at)))
    }

    fn bump(&mut self) {
        if self.next < self.tokens.len() {
            self.next += 1;
        }
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = self.peek_word().is_some_and(|(word, _)| word.eq_ignore_ascii_case(keyword));
        if found {
            self.bump();
        }
        found
    }

    fn or_chain(&mut self, nest: usize) -> Result<Parsed> {
        let (mut filter, mut depth) = self.and_chain(nest)?;
        let mut chained = false;
        while self.eat_keyword("or") {
            let (right, right_depth) = self.and_chain(nest)?;
            filter = Filter::Or(Box::new(filter), Box::new(right));
            depth = depth.max(right_depth);
            chained = true;
        }
        Ok((filter, depth + usize::from(chained)))
    }

    fn and_chain(&mut self, nest: usize) -> Result<Parsed> {
        let (mut filter, mut depth) = self.unary(nest)?;
        let mut chained = false;
        while self.eat_keyword("and") {
            let (right, right_depth) = self.unary(nest)?;
            filter = Filter::And(Box::new(filter), Box::new(right));
            depth = depth.max(right_depth);
            chained = true;
        }
        Ok((filter, depth + usize::from(chained)))
    }

    /// `( filter )`, `not ( filter )` or an attribute expression.
    fn unary(&mut self, nest: usize) -> Result<Parsed> {
        let (tok, at) = self.peek();
        match tok {
            Tok::Open => {
                self.bump();
                let (filter, depth) = self.group(nest, at)?;
                Ok((filter, depth + 1))
            }
            Tok::Word(word) if word.eq_ignore_ascii_case("not") => {
                self.bump();
                let (tok, open_at) = self.peek();
                if *tok != Tok::Open {
                    return Err(self.src.fail_at(open_at, "expected '(' after 'not', as in not (title pr)"));
                }
                self.bump();
                let (filter, depth) = self.group(nest, open_at)?;
                Ok((Filter::Not(Box::new(filter)), depth + 1))
            }
            Tok::Word(word) => {
                let word = *word;
                self.bump();
                self.attr_expr(nest, word, at)
            }
            _ => Err(self.src.fail_at(at, "expected an attribute name, '(' or 'not'")),
        }
    }

    /// The inside of parentheses opened at byte `open_at`, and the closing ')'.
    fn group(&mut self, nest: usize, open_at: usize) -> Result<Parsed> {
        if nest >= MAX_FILTER_DEPTH {
            return Err(self.src.too_deep());
        }
        let parsed = self.or_chain(nest + 1)?;
        match self.peek() {
            (Tok::Close, _) => {
                self.bump();
                Ok(parsed)
            }
            (Tok::End, _) => Err(self.src.fail_at(open_at, "this '(' is never closed; add a ')'")),
            (_, at) => Err(self.src.fail_at(at, "expected 'and', 'or' or ')'")),
        }
    }

    /// The inside of a value filter opened at byte `open_at`, and the closing ']'.
    fn bracket(&mut self, nest: usize, open_at: usize) -> Result<Parsed> {
        if nest >= MAX_FILTER_DEPTH {
            return Err(self.src.too_deep());
        }
        self.in_brackets = true;
        let parsed = self.or_chain(nest + 1)?;
        self.in_brackets = false;
        match self.peek() {
            (Tok::RBracket, _) => {
                self.bump();
                Ok(parsed)
            }
            (Tok::End, _) => Err(self.src.fail_at(open_at, "this '[' is never closed; add a ']'")),
            (_, at) => Err(self.src.fail_at(at, "expected 'and', 'or' or ']'")),
        }
    }

    /// Refuses a value filter where the grammar has none: inside another, or after `attr.sub`.
    fn value_filter_allowed(&self, path: &AttrPath, word: &str, at: usize, open_at: usize) -> Result<()> {
        if self.in_brackets {
            return Err(self.src.fail_at(open_at, "a value filter cannot hold another '[...]'"));
        }
        if path.sub.is_some() {
            return Err(self.src.fail_at(
                at,
                format!("'{word}' names a sub-attribute; a '[...]' value filter goes on the multi-valued attribute"),
            ));
        }
        Ok(())
    }

    /// After the attribute word: `pr`, `op value`, or a value path `[...]` (maybe Entra's
    /// `[...].sub op value`).
    fn attr_expr(&mut self, nest: usize, word: &'a str, at: usize) -> Result<Parsed> {
        let path = self.src.attr_path(word, at)?;
        let (Tok::LBracket, open_at) = self.peek() else {
            return Ok((self.operation(path, word)?, 0));
        };
        self.value_filter_allowed(&path, word, at, open_at)?;
        self.bump();
        let (inner, depth) = self.bracket(nest, open_at)?;
        if let Some((name, sub_at)) = self.peek_sub() {
            self.bump();
            let sub = self.src.sub_name(name, sub_at)?;
            let leaf = self.operation(AttrPath { urn: None, attr: sub, sub: None }, word)?;
            let filter = Filter::And(Box::new(inner), Box::new(leaf));
            // One level for the added `and`, one for the parentheses an `or` inside would need written
            // out, one for the brackets.
            return Ok((Filter::ValuePath { path, filter: Box::new(filter) }, depth + 3));
        }
        Ok((Filter::ValuePath { path, filter: Box::new(inner) }, depth + 1))
    }

    /// `pr` or `op value` for `path`, which was written as `word`.
    fn operation(&mut self, path: AttrPath, word: &str) -> Result<Filter> {
        let Some((op_word, at)) = self.peek_word() else {
            let at = self.peek().1;
            return Err(self.src.fail_at(
                at,
                format!("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after '{word}'"),
            ));
        };
        self.bump();
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::from_keyword(op_word) else {
            return Err(self.src.fail_at(
                at,
                format!("'{op_word}' is not an operator; after '{word}' use eq, ne, co, sw, ew, gt, ge, lt, le or pr"),
            ));
        };
        let value = self.value(op)?;
        if op.is_ordering() && !(value.is_string() || value.is_number()) {
            return Err(self.src.fail_at(
                at,
                format!("'{op}' orders strings, numbers and dates; it cannot compare with {value}"),
            ));
        }
        Ok(Filter::Compare { path, op, value })
    }

    /// The comparison value after `op`.
    fn value(&mut self, op: CompareOp) -> Result<Value> {
        let expected = format!("expected a value after '{op}': a \"quoted string\", a number, true, false or null");
        let at = self.peek().1;
        let token = self.tokens.get_mut(self.next);
        let value = match token.map(|t| &mut t.tok) {
            Some(Tok::Str(s)) => Value::String(std::mem::take(s)),
            Some(Tok::Word(word)) => {
                let word = *word;
                if ["and", "or", "not"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    return Err(self.src.fail_at(at, format!("{expected}; to compare with the text '{word}', quote it")));
                }
                bare_value(word, op)
            }
            _ => return Err(self.src.fail_at(at, expected)),
        };
        self.bump();
        Ok(value)
    }

    /// The end of the text, or an error about what is left over.
    fn expect_end(&self) -> Result<()> {
        let (tok, at) = self.peek();
        let problem = match (tok, self.src.grammar) {
            (Tok::End, _) => return Ok(()),
            (Tok::Close, _) => "this ')' has no matching '('".to_string(),
            (Tok::RBracket, _) => "this ']' has no matching '['".to_string(),
            (_, Grammar::Filter) => "expected 'and', 'or' or the end of the filter".to_string(),
            (_, Grammar::Path) => {
                "unexpected text after the path; a path is attr, attr.sub, attr[filter] or attr[filter].sub"
                    .to_string()
            }
        };
        Err(self.src.fail_at(at, problem))
    }
}

/// An unquoted value: see the module comment on bare words.
fn bare_value(word: &str, op: CompareOp) -> Value {
    if op.is_substring() {
        return Value::String(word.to_string());
    }
    if let Some(b) = parse_bool(word) {
        return Value::Bool(b);
    }
    if word.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
        && let Ok(number) = serde_json::from_str::<Number>(word)
    {
        return Value::Number(number);
    }
    Value::String(word.to_string())
}
