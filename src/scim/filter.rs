//! SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2): parsing with length and depth caps
//! checked before any recursion, evaluation against a rendered resource, and index hints.
//!
//! STUB: the public API below is the contract; the implementation is being written.
#![allow(dead_code, unused_variables)]

use crate::error::{Error, Result};
use serde_json::Value;

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
    Err(Error::invalid_filter("filters are not implemented yet"))
}

/// Parses a PATCH path; errors are 400 `invalidPath`.
pub fn parse_path(input: &str) -> Result<PatchPath> {
    Err(Error::invalid_path("paths are not implemented yet"))
}

/// Whether values of this attribute compare case-sensitively (RFC 7643 `caseExact`).
pub fn case_exact(path: &AttrPath) -> bool {
    false
}

impl Filter {
    /// Evaluates the filter against a rendered SCIM resource (the JSON a GET returns).
    pub fn matches(&self, resource: &Value) -> bool {
        false
    }

    /// An equality on an indexed attribute that every match must satisfy: the filter itself, or a
    /// conjunct of a top-level `and` chain. `None` when the filter needs a scan.
    pub fn index_hint(&self) -> Option<IndexHint> {
        None
    }
}
