//! The syntax tree of filters and PATCH paths, and its canonical text: `Display` writes what parses
//! back to an equal value. Building a tree from text is `parser`'s job; what a tree means for a
//! resource is `eval`'s.

use crate::scim::schema;
use serde_json::Value;
use std::fmt;

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

/// A PATCH path: `attrPath` or `valuePath ["." subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub path: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

impl Filter {
    /// Whether the filter names the top-level attribute `name` anywhere (case-insensitive), so a
    /// caller knows which parts of a resource evaluation needs (e.g. a group's members).
    pub fn names_attribute(&self, name: &str) -> bool {
        self.any_top_level_path(|path| path.extension_urn().is_none() && path.attr.eq_ignore_ascii_case(name))
    }

    /// Whether evaluating the filter may read the resource's top-level member `key` (compared
    /// ASCII case-insensitively, as evaluation finds members): an attribute's name, or an extension's
    /// URN for its attributes. A resource holding only the members this names evaluates as the
    /// whole resource does.
    pub fn reads_key(&self, key: &str) -> bool {
        self.any_top_level_path(|path| path.extension_urn().unwrap_or(&path.attr).eq_ignore_ascii_case(key))
    }

    /// Whether `test` holds for a path the filter reads from the resource itself (not the paths
    /// inside a value filter, which are read from an attribute's elements).
    fn any_top_level_path(&self, test: impl Fn(&AttrPath) -> bool) -> bool {
        let mut stack = vec![self];
        while let Some(f) = stack.pop() {
            match f {
                Filter::Compare { path, .. } | Filter::Present(path) | Filter::ValuePath { path, .. } => {
                    if test(path) {
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

    pub(super) fn from_keyword(word: &str) -> Option<CompareOp> {
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

    pub(super) fn is_ordering(self) -> bool {
        matches!(self, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le)
    }

    pub(super) fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
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
