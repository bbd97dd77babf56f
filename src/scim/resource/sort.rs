//! Sort keys (RFC 7644 §3.4.2.3): the text a rendered resource sorts by for a `sortBy` name, folded
//! unless [`schema::case_exact`] says the attribute is caseExact.

use super::json_util::{bool_of, get_ci};
use super::projection::locate;
use crate::scim::schema;
use serde_json::Value;

/// The key to sort a rendered resource by `attr` (RFC 7644 §3.4.2.3): the attribute's value, or for
/// a multi-valued attribute the primary (else first) element's `value` or named sub-attribute;
/// case-folded with [`crate::base::text::fold_case`] unless the attribute is caseExact. `None` when the
/// resource has no such value (the caller sorts those last, as the RFC asks).
pub fn sort_key(resource: &Value, attr: &str) -> Option<String> {
    let obj = resource.as_object()?;
    let loc = locate(obj, attr)?;
    let container = match &loc.ext {
        None => obj,
        Some(e) => obj.get(e)?.as_object()?,
    };
    let (_, value) = get_ci(container, loc.attr.as_deref()?)?;
    // A multi-valued attribute sorts by an element's `value` unless a sub-attribute is named.
    let element_value = value.is_array() && loc.sub.is_none();
    let value = match value {
        Value::Array(items) => {
            let first = items
                .iter()
                .find(|e| {
                    e.as_object().and_then(|o| get_ci(o, "primary")).and_then(|(_, p)| bool_of(p))
                        == Some(true)
                })
                .or_else(|| items.first())?;
            match first {
                Value::Object(o) => get_ci(o, loc.sub.as_deref().unwrap_or("value"))?.1,
                other if loc.sub.is_none() => other,
                _ => return None,
            }
        }
        Value::Object(o) => get_ci(o, loc.sub.as_deref()?)?.1,
        other if loc.sub.is_none() => other,
        _ => return None,
    };
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (urn, name, sub) = split_name(attr);
    let exact = schema::case_exact(urn, name, if element_value { Some("value") } else { sub });
    Some(if exact { text } else { crate::base::text::fold_case(&text) })
}

/// `[urn ":"] attr ["." sub]` as the filter grammar splits a name: the URN is everything before the
/// last `:`. Nothing is trimmed or checked: a name that names nothing is simply not caseExact.
fn split_name(name: &str) -> (Option<&str>, &str, Option<&str>) {
    let (urn, rest) = match name.rsplit_once(':') {
        Some((urn, rest)) => (Some(urn), rest),
        None => (None, name),
    };
    match rest.split_once('.') {
        Some((attr, sub)) => (urn, attr, Some(sub)),
        None => (urn, rest, None),
    }
}
