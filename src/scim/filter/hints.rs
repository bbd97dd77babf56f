//! Index hints: the equality on an indexed attribute (id, userName, externalId, emails.value,
//! displayName) that every match of a filter must satisfy, so a store can look candidates up instead
//! of scanning. Hints only narrow the candidates; the caller still evaluates the filter on each.

use super::ast::{AttrPath, CompareOp, Filter};
use crate::scim::schema;
use serde_json::Value;

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

impl Filter {
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
}

impl IndexedAttr {
    /// Whether the index must match the hint's value exactly; otherwise it matches after
    /// [`crate::base::text::fold_case`].
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
