//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5) applied to a rendered resource, and
//! [`locate`], which finds where an attribute name points in one (also used by sort keys).

use super::json_util::{get_ci, key_ci};
use crate::scim::schema;
use crate::scim::{GROUP_SCHEMA, USER_SCHEMA};
use serde_json::{Map, Value, json};

/// Where an attribute name points in a rendered resource: an extension object (by its actual key),
/// an attribute (not yet matched against keys), and a sub-attribute.
pub(super) struct Loc {
    pub(super) ext: Option<String>,
    pub(super) attr: Option<String>,
    pub(super) sub: Option<String>,
}

fn split_attr(rest: &str) -> (Option<String>, Option<String>) {
    match rest.split_once('.') {
        Some((a, s)) => (Some(a.to_string()), Some(s.to_string())),
        None => (Some(rest.to_string()), None),
    }
}

pub(super) fn locate(obj: &Map<String, Value>, name: &str) -> Option<Loc> {
    let name = name.trim();
    if name.is_empty() {
        return None;
    }
    if name.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
        for key in obj.keys().filter(|k| k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))) {
            if name.eq_ignore_ascii_case(key) {
                return Some(Loc { ext: Some(key.clone()), attr: None, sub: None });
            }
            if let Some(rest) = schema::strip_urn(name, key) {
                let (attr, sub) = split_attr(rest);
                return Some(Loc { ext: Some(key.clone()), attr, sub });
            }
        }
        for core in [USER_SCHEMA, GROUP_SCHEMA] {
            if let Some(rest) = schema::strip_urn(name, core) {
                let (attr, sub) = split_attr(rest);
                return Some(Loc { ext: None, attr, sub });
            }
        }
        return None;
    }
    let (attr, sub) = split_attr(name);
    Some(Loc { ext: None, attr, sub })
}

/// The names of an `attributes` or `excludedAttributes` parameter: comma-separated, trimmed.
/// Decision: a name written with a value filter, `emails[type eq "work"]` or
/// `emails[type eq "work"].value` (Microsoft's reference suite sends these), is read as the attribute
/// it filters, `emails` (`emails.value`): RFC 7644 §3.10's notation has no filters, and answering the
/// whole attribute is more useful than silently dropping it. Commas inside the brackets do not split.
pub fn attribute_names(list: &str) -> Vec<String> {
    let mut names = Vec::new();
    let (mut name, mut depth, mut quoted) = (String::new(), 0usize, false);
    for c in list.chars() {
        match c {
            '"' if depth > 0 => quoted = !quoted,
            '[' if !quoted => depth += 1,
            ']' if !quoted && depth > 0 => depth -= 1,
            ',' if depth == 0 => names.push(std::mem::take(&mut name)),
            _ if depth == 0 => name.push(c),
            _ => {}
        }
    }
    names.push(name);
    names.into_iter().map(|n| n.trim().to_string()).filter(|n| !n.is_empty()).collect()
}

/// Attributes returned whatever `attributes`/`excludedAttributes` say.
const ALWAYS: [&str; 2] = ["id", "schemas"];

/// Applies `attributes` (only these, plus `id` and `schemas`) and `excludedAttributes` (all but
/// these) to a rendered resource. Names are case-insensitive and may be `attr.sub` or
/// URN-qualified. `meta` is returned by default like any "default" attribute (RFC 7643 §3.1): it is
/// left out when `attributes` does not name it and can be excluded. When both lists are given,
/// `attributes` applies first. `password` is never returned.
pub fn project(resource: &Value, attributes: &[String], excluded: &[String]) -> Value {
    let Value::Object(src) = resource else { return resource.clone() };
    let mut out =
        if attributes.iter().any(|a| !a.trim().is_empty()) { include(src, attributes) } else { src.clone() };
    for name in excluded {
        exclude(&mut out, name);
    }
    out.remove("password");
    Value::Object(out)
}

fn include(src: &Map<String, Value>, names: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    for k in ALWAYS {
        if let Some(v) = src.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    for name in names {
        let Some(loc) = locate(src, name) else { continue };
        let (src_c, out_c) = match &loc.ext {
            None => (src, &mut out),
            Some(ext) => {
                let Some(Value::Object(sc)) = src.get(ext) else { continue };
                let Value::Object(oc) = out.entry(ext.clone()).or_insert_with(|| json!({})) else { continue };
                (sc, oc)
            }
        };
        let Some(attr) = &loc.attr else {
            *out_c = src_c.clone();
            continue;
        };
        let Some((key, value)) = get_ci(src_c, attr) else { continue };
        let Some(sub) = &loc.sub else {
            out_c.insert(key.clone(), value.clone());
            continue;
        };
        match value {
            Value::Object(o) => {
                if let Some((sk, sv)) = get_ci(o, sub)
                    && let Value::Object(slot) = out_c.entry(key.clone()).or_insert_with(|| json!({}))
                {
                    slot.insert(sk.clone(), sv.clone());
                }
            }
            Value::Array(items) => {
                let slot =
                    out_c.entry(key.clone()).or_insert_with(|| Value::Array(vec![json!({}); items.len()]));
                if let Value::Array(slots) = slot
                    && slots.len() == items.len()
                {
                    for (item, slot) in items.iter().zip(slots.iter_mut()) {
                        if let (Value::Object(io), Value::Object(so)) = (item, slot)
                            && let Some((sk, sv)) = get_ci(io, sub)
                        {
                            so.insert(sk.clone(), sv.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    prune(&mut out);
    for v in out.values_mut() {
        if let Value::Object(ext) = v {
            prune(ext);
        }
    }
    prune(&mut out);
    out
}

fn exclude(out: &mut Map<String, Value>, name: &str) {
    let Some(loc) = locate(out, name) else { return };
    let container = match &loc.ext {
        None => &mut *out,
        Some(ext) => {
            if loc.attr.is_none() {
                out.remove(ext);
                return;
            }
            match out.get_mut(ext) {
                Some(Value::Object(c)) => c,
                _ => return,
            }
        }
    };
    let Some(attr) = &loc.attr else { return };
    let Some(key) = key_ci(container, attr) else { return };
    if loc.ext.is_none() && ALWAYS.contains(&key.as_str()) {
        return;
    }
    match &loc.sub {
        None => {
            container.remove(&key);
        }
        Some(sub) => {
            match container.get_mut(&key) {
                Some(Value::Object(o)) => {
                    if let Some(sk) = key_ci(o, sub) {
                        o.remove(&sk);
                    }
                }
                Some(Value::Array(items)) => {
                    for item in items.iter_mut() {
                        if let Value::Object(o) = item
                            && let Some(sk) = key_ci(o, sub)
                        {
                            o.remove(&sk);
                        }
                    }
                }
                _ => {}
            }
            prune(container);
        }
    }
    if loc.ext.is_some() {
        prune(out);
    }
}

/// Drops empty objects from arrays, then empty arrays and objects, one level down.
fn prune(map: &mut Map<String, Value>) {
    for v in map.values_mut() {
        if let Value::Array(items) = v {
            items.retain(|e| !matches!(e, Value::Object(o) if o.is_empty()));
        }
    }
    map.retain(|k, v| {
        ALWAYS.contains(&k.as_str())
            || !matches!(v, Value::Array(a) if a.is_empty()) && !matches!(v, Value::Object(o) if o.is_empty())
    });
}
