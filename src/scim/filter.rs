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

use super::schema;
use crate::base::text::{fold_case, folded, parse_bool};
use crate::error::{Error, Result};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

/// Longest filter text accepted (bytes); checked before parsing.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not`, value paths and and/or chains accepted.
pub const MAX_FILTER_DEPTH: usize = 32;

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
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    /// `path pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `path[filter]`: true when some element of the multi-valued `path` matches `filter`, whose
    /// paths are relative to the element. Entra's `emails[type eq "work"].value eq "x"` parses as
    /// `ValuePath { emails, And(type eq "work", value eq "x") }`.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
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

/// Whether values of this attribute compare case-sensitively (RFC 7643 `caseExact`), as
/// [`schema::case_exact`] decides.
pub fn case_exact(path: &AttrPath) -> bool {
    schema::case_exact(path.urn.as_deref(), &path.attr, path.sub.as_deref())
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
        self.index_hint_inner()
    }

    /// Whether the filter names the top-level attribute `name` anywhere (case-insensitive), so a
    /// caller knows which parts of a resource evaluation needs (e.g. a group's members).
    pub fn names_attribute(&self, name: &str) -> bool {
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            match f {
                Filter::Compare { path, .. } | Filter::Present(path) => {
                    if path.extension_urn().is_none() && path.attr.eq_ignore_ascii_case(name) {
                        return true;
                    }
                }
                Filter::ValuePath { path, .. } => {
                    if path.extension_urn().is_none() && path.attr.eq_ignore_ascii_case(name) {
                        return true;
                    }
                }
                Filter::And(a, b) | Filter::Or(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                Filter::Not(a) => stack.push(a),
            }
        }
        false
    }

    fn index_hint_inner(&self) -> Option<IndexHint> {
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
        self.urn.as_deref().filter(|urn| !schema::is_core_urn(urn))
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
        let (attr, sub) = self.attribute();
        schema::case_exact(None, attr, sub)
    }

    /// The attribute the index holds, as `(attr, sub)`.
    pub fn attribute(self) -> (&'static str, Option<&'static str>) {
        match self {
            IndexedAttr::UserName => ("userName", None),
            IndexedAttr::ExternalId => ("externalId", None),
            IndexedAttr::Id => ("id", None),
            IndexedAttr::DisplayName => ("displayName", None),
            IndexedAttr::EmailValue => ("emails", Some("value")),
        }
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

fn compare(
    context: &Value,
    parent: Option<&AttrPath>,
    path: &AttrPath,
    op: CompareOp,
    value: &Value,
) -> bool {
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
        None => (
            case_exact(path),
            path.sub.is_none() && schema::case_exact(path.urn.as_deref(), &path.attr, Some("value")),
        ),
        Some(parent) => (schema::case_exact(parent.urn.as_deref(), &parent.attr, Some(&path.attr)), false),
    };
    let scalars: Vec<(&Value, bool)> = found
        .into_iter()
        .filter_map(|v| match v {
            Value::Object(_) => {
                member(v, "value").filter(|inner| !inner.is_null()).map(|inner| (inner, value_exact))
            }
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
            let (have, want): (Cow<'_, str>, Cow<'_, str>) = if exact {
                (Cow::Borrowed(have), Cow::Borrowed(want))
            } else {
                (Cow::Owned(fold_case(have)), Cow::Owned(fold_case(want)))
            };
            match op {
                CompareOp::Co => have.contains(&*want),
                CompareOp::Sw => have.starts_with(&*want),
                _ => have.ends_with(&*want),
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

fn scalar_eq(have: &Value, want: &Value, exact: bool) -> bool {
    match (have, want) {
        (Value::String(a), Value::String(b)) => {
            if exact {
                a == b
            } else {
                folded(a).eq(folded(b))
            }
        }
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
                let second = if backslash == Some('\\') && u == Some('u') {
                    Some(self.hex4(at, chars)?)
                } else {
                    None
                };
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
        if schema::is_extension_urn(word) {
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
            let written = format!("{word}[…].{sub}");
            let leaf = self.operation(AttrPath { urn: None, attr: sub, sub: None }, &written)?;
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
        let expected =
            || format!("expected a value after '{op}': a \"quoted string\", a number, true, false or null");
        let at = self.peek().1;
        let token = self.tokens.get_mut(self.next);
        let value = match token.map(|t| &mut t.tok) {
            Some(Tok::Str(s)) => Value::String(std::mem::take(s)),
            Some(Tok::Word(word)) => {
                let word = *word;
                if ["and", "or", "not"].iter().any(|k| word.eq_ignore_ascii_case(k)) {
                    return Err(self.src.fail_at(
                        at,
                        format!("{}; to compare with the text '{word}', quote it", expected()),
                    ));
                }
                bare_value(word, op)
            }
            _ => return Err(self.src.fail_at(at, expected())),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ScimType;
    use serde_json::json;

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
            cmp(
                urn("urn:ietf:params:scim:schemas:core:2.0:User", "userName", None),
                CompareOp::Eq,
                json!("x")
            )
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
        assert!(
            detail.contains("'equals' is not an operator") && detail.contains("character 10"),
            "{detail}"
        );

        let detail = err("userName eq");
        assert!(
            detail.contains("expected a value after 'eq'") && detail.contains("end of the filter"),
            "{detail}"
        );

        let detail = err("userName eq )");
        assert!(
            detail.contains("expected a value after 'eq'") && detail.contains("character 13"),
            "{detail}"
        );
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
            detail.contains("expected 'and', 'or' or the end of the filter")
                && detail.contains("character 17"),
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
        assert!(err("emails[type eq \"work\"].value").contains(
            "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le or pr) after 'emails[…].value'"
        ));
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
        assert_eq!(
            hint("emails[type eq \"work\"].value eq \"a@b.c\""),
            some(IndexedAttr::EmailValue, "a@b.c")
        );
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
        assert_eq!(
            hint("(active eq true and (title pr and id eq \"i\")) and a pr"),
            some(IndexedAttr::Id, "i")
        );
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
        assert_eq!(
            hint("displayName eq \"d\" and emails.value eq \"e\""),
            some(IndexedAttr::EmailValue, "e")
        );
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
        assert_eq!(
            parse_path(&format!("{ENT}:manager.value")),
            Ok(plain(urn(ENT, "manager", Some("value"))))
        );
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
        let ok =
            format!("emails[{}a pr{}]", "(".repeat(MAX_FILTER_DEPTH - 1), ")".repeat(MAX_FILTER_DEPTH - 1));
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
}
