//! PATCH paths with a value filter (`emails[type eq "work"].value`, `addresses[type eq "work"]`):
//! which elements they select, and the element they create when none matches (Entra relies on it).

use super::parse::OpKind;
use super::user::{Target, demote_others, is_primary, put, tidy};
use crate::error::{Error, Result};
use crate::scim::filter::{self, AttrPath, CompareOp, Filter};
use crate::scim::resource::{bool_of, canon_element, canon_sub};
use crate::scim::schema::{AttrDef, AttrType};
use serde_json::{Map, Value, json};

/// remove through a value filter: the matching elements, or only their sub-attribute when the path
/// names one (`emails[type eq "work"].display`).
pub(super) fn remove_filtered(c: &mut Map<String, Value>, t: &Target<'_>, f: &Filter) {
    let key = t.def.name;
    if let Some(Value::Array(items)) = c.get_mut(key) {
        match t.sub {
            None => items.retain(|e| !f.matches(e)),
            Some(sub) => {
                for item in items.iter_mut() {
                    if f.matches(item)
                        && let Value::Object(o) = item
                    {
                        o.remove(sub.name);
                    }
                }
            }
        }
    }
    tidy(c, key);
}

/// add/replace through a value filter: `emails[type eq "work"].value` sets `value` in every
/// matching element; `addresses[type eq "work"]` merges (add) or replaces (replace) the matching
/// elements. When nothing matches, the element is created from the filter's `eq` conditions plus
/// the value (Entra relies on this; RFC 7644 would answer noTarget), leaving other elements alone.
pub(super) fn set_filtered(
    c: &mut Map<String, Value>,
    t: &Target<'_>,
    op: OpKind,
    f: &Filter,
    value: &Value,
) -> Result<()> {
    let def = t.def;
    let key = def.name;
    // What to write, checked before anything changes.
    enum Write {
        Sub(&'static AttrDef, Option<Value>),
        Element(Option<Map<String, Value>>),
    }
    let write = match t.sub {
        Some(sub) => Write::Sub(sub, canon_sub(sub, value, t.label)?),
        None => {
            let one = match value {
                Value::Array(a) if a.len() == 1 => &a[0],
                v => v,
            };
            match canon_element(def, one, t.label)? {
                Some(Value::Object(m)) => Write::Element(Some(m)),
                _ if value.is_null() => Write::Element(None),
                _ => return Ok(()),
            }
        }
    };
    let slot = c.entry(key.to_string()).or_insert_with(|| json!([]));
    if !slot.is_array() {
        *slot = json!([]);
    }
    let Value::Array(items) = slot else {
        return Err(Error::internal("multi-valued attribute is not a list"));
    };
    let matched: Vec<usize> =
        items.iter().enumerate().filter(|(_, e)| f.matches(e)).map(|(i, _)| i).collect();
    let mut touched = matched.clone();
    if matched.is_empty() {
        let seed = |what: &str| {
            eq_conditions(def, f).ok_or_else(|| {
                Error::no_target(format!(
                    "no element of '{key}' matches the filter in '{}', and it cannot be created from \
                     it: to create {what}, use only 'eq' conditions joined by 'and', e.g. \
                     {key}[type eq \"work\"]",
                    t.label
                ))
            })
        };
        match write {
            Write::Sub(_, None) | Write::Element(None) => {}
            Write::Sub(sub, Some(v)) => {
                let mut e = seed("the element")?;
                e.insert(sub.name.to_string(), v);
                items.push(Value::Object(e));
                touched.push(items.len() - 1);
            }
            Write::Element(Some(m)) => {
                let mut e = seed("the element")?;
                e.extend(m);
                items.push(Value::Object(e));
                touched.push(items.len() - 1);
            }
        }
    } else {
        match write {
            Write::Sub(sub, v) => {
                for &i in &matched {
                    if let Some(Value::Object(o)) = items.get_mut(i) {
                        put(o, sub.name, v.clone());
                    }
                }
            }
            Write::Element(None) => {
                let mut i = 0;
                items.retain(|_| {
                    let keep = !matched.contains(&i);
                    i += 1;
                    keep
                });
                touched.clear();
            }
            Write::Element(Some(m)) => {
                let keep = eq_conditions(def, f).unwrap_or_default();
                for &i in &matched {
                    let Some(slot) = items.get_mut(i) else { continue };
                    match (op, slot) {
                        (OpKind::Add, Value::Object(o)) => o.extend(m.clone()),
                        (_, slot) => {
                            let mut e = m.clone();
                            for (k, v) in &keep {
                                e.entry(k.clone()).or_insert_with(|| v.clone());
                            }
                            *slot = Value::Object(e);
                        }
                    }
                }
            }
        }
    }
    if let Some(&p) = touched.iter().rev().find(|&&i| items.get(i).is_some_and(is_primary)) {
        demote_others(items, p);
    }
    tidy(c, key);
    Ok(())
}

/// The sub-attribute an element-relative filter path names (`type`, or `emails.type` written
/// absolutely), if it is one of `def`'s.
fn filter_sub(def: &'static AttrDef, path: &AttrPath) -> Option<&'static AttrDef> {
    if path.urn.is_some() {
        return None;
    }
    match &path.sub {
        None => def.sub(&path.attr),
        Some(s) if path.attr.eq_ignore_ascii_case(def.name) => def.sub(s),
        Some(_) => None,
    }
}

/// The filter with string booleans (`primary eq "True"`) turned into booleans for boolean
/// sub-attributes, so that they match stored booleans. Filters are depth-capped by the parser; the
/// guard here only keeps this function total.
pub(super) fn normalize(def: &'static AttrDef, f: &Filter, depth: usize) -> Filter {
    if depth > 2 * filter::MAX_FILTER_DEPTH {
        return f.clone();
    }
    let n = |g: &Filter| Box::new(normalize(def, g, depth + 1));
    match f {
        Filter::Compare { path, op, value } => {
            let value = match (filter_sub(def, path), bool_of(value)) {
                (Some(sub), Some(b)) if sub.kind == AttrType::Boolean => Value::Bool(b),
                _ => value.clone(),
            };
            Filter::Compare { path: path.clone(), op: *op, value }
        }
        Filter::And(a, b) => Filter::And(n(a), n(b)),
        Filter::Or(a, b) => Filter::Or(n(a), n(b)),
        Filter::Not(a) => Filter::Not(n(a)),
        other => other.clone(),
    }
}

/// The element a filter describes when it is only `eq` conditions joined by `and`.
fn eq_conditions(def: &'static AttrDef, f: &Filter) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    let mut stack = vec![f];
    while let Some(f) = stack.pop() {
        match f {
            Filter::And(a, b) if stack.len() < 2 * filter::MAX_FILTER_DEPTH => {
                stack.push(a);
                stack.push(b);
            }
            Filter::Compare { path, op: CompareOp::Eq, value } => {
                let sub = filter_sub(def, path)?;
                let v = canon_sub(sub, value, sub.name).ok()??;
                out.insert(sub.name.to_string(), v);
            }
            _ => return None,
        }
    }
    Some(out)
}
