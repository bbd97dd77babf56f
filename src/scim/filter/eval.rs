//! Evaluation of a filter against a rendered resource (the JSON a GET returns): which values a path
//! reaches, and how two values compare (see the decisions in the module documentation of
//! `scim::filter`). caseExact comes from [`schema::case_exact`].

use super::ast::{AttrPath, CompareOp, Filter};
use crate::base::text::{fold_case, folded, parse_bool};
use crate::scim::schema;
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

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
