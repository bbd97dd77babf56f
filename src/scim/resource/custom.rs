//! Custom User extensions (`urn:ietf:params:scim:schemas:extension:<Name>:2.0:User`), as an Entra
//! administrator adds them for custom attributes. scim-seat does not know their attributes, so it
//! keeps each extension's object exactly as sent, returns it as sent (with its URN in `schemas`),
//! and lets PATCH set, replace or remove it or one of its attributes by URN path. The enterprise
//! extension is not custom: it has a schema here.

use super::json_util::describe;
use crate::error::{Error, Result};
use serde_json::{Map, Value};

const PREFIX: &str = "urn:ietf:params:scim:schemas:extension:";
const SUFFIX: &str = ":2.0:User";

/// A name that is a custom extension's URN, or an attribute under it (`<urn>:<attr>`): the URN and
/// the attribute, if any.
pub fn split(name: &str) -> Option<(&str, Option<&str>)> {
    let name = name.trim();
    let rest =
        name.get(..PREFIX.len()).filter(|p| p.eq_ignore_ascii_case(PREFIX)).map(|_| &name[PREFIX.len()..])?;
    let colon = rest.find(':')?;
    let ext = &rest[..colon];
    if ext.is_empty() || ext.eq_ignore_ascii_case("enterprise") {
        return None;
    }
    let after = &rest[colon..];
    let suffix_ok = after.get(..SUFFIX.len()).is_some_and(|s| s.eq_ignore_ascii_case(SUFFIX));
    if !suffix_ok {
        return None;
    }
    let urn_len = PREFIX.len() + colon + SUFFIX.len();
    let tail = &name[urn_len..];
    match tail.strip_prefix(':') {
        None if tail.is_empty() => Some((&name[..urn_len], None)),
        Some(attr) if !attr.is_empty() && !attr.contains(':') => Some((&name[..urn_len], Some(attr))),
        _ => None,
    }
}

/// The key under which `doc` holds the extension `urn` (compared ignoring case), if it holds it.
fn key_of(doc: &Map<String, Value>, urn: &str) -> Option<String> {
    doc.keys().find(|k| k.eq_ignore_ascii_case(urn)).cloned()
}

/// How a write treats the extension's existing object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// PUT, POST and PATCH replace: the object sent is the object kept.
    Replace,
    /// PATCH add: the attributes sent are merged into the object kept.
    Merge,
    Remove,
}

/// Applies one write of `name` (a custom URN, or `<urn>:<attr>`) with `value` to `doc`.
pub fn write(doc: &mut Map<String, Value>, name: &str, value: &Value, how: Write) -> Result<()> {
    let Some((urn, attr)) = split(name) else {
        return Err(Error::internal(format!("'{name}' is not a custom extension")));
    };
    let key = key_of(doc, urn).unwrap_or_else(|| urn.to_string());
    match (attr, how) {
        (None, Write::Remove) => {
            doc.remove(&key);
        }
        (None, _) if value.is_null() => {
            doc.remove(&key);
        }
        (None, how) => {
            let Value::Object(sent) = value else {
                return Err(Error::invalid_value(format!(
                    "'{urn}' is a custom extension: send an object of its attributes, got {}",
                    describe(value)
                )));
            };
            match (how, doc.get_mut(&key)) {
                (Write::Merge, Some(Value::Object(kept))) => {
                    kept.extend(sent.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                _ => {
                    doc.insert(key, Value::Object(sent.clone()));
                }
            }
        }
        (Some(attr), how) => {
            let slot = doc.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            if let Value::Object(kept) = slot {
                let attr_key =
                    kept.keys().find(|k| k.eq_ignore_ascii_case(attr)).cloned().unwrap_or(attr.to_string());
                if how == Write::Remove || value.is_null() {
                    kept.remove(&attr_key);
                } else {
                    kept.insert(attr_key, value.clone());
                }
                if kept.is_empty() {
                    doc.remove(&key);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const URN: &str = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";

    #[test]
    fn names_split_into_urn_and_attribute() {
        assert_eq!(split(URN), Some((URN, None)));
        assert_eq!(split(&format!("{URN}:CustomAttribute")), Some((URN, Some("CustomAttribute"))));
        let lower = URN.to_lowercase();
        assert_eq!(split(&lower), Some((lower.as_str(), None)));
        assert_eq!(split("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"), None);
        assert_eq!(split("urn:ietf:params:scim:schemas:extension::2.0:User"), None);
        assert_eq!(split("urn:ietf:params:scim:schemas:extension:X:1.0:User"), None);
        assert_eq!(split(&format!("{URN}:")), None);
        assert_eq!(split(&format!("{URN}:a:b")), None);
        assert_eq!(split("userName"), None);
    }

    #[test]
    fn writes_keep_the_object_as_sent() {
        let mut doc = Map::new();
        write(&mut doc, URN, &json!({"badge": "7", "nested": {"x": [1, 2]}}), Write::Replace).unwrap();
        assert_eq!(doc[URN], json!({"badge": "7", "nested": {"x": [1, 2]}}));
        write(&mut doc, &URN.to_uppercase(), &json!({"floor": 3}), Write::Merge).unwrap();
        assert_eq!(doc.len(), 1, "one key whatever the case: {doc:?}");
        assert_eq!(doc[URN], json!({"badge": "7", "nested": {"x": [1, 2]}, "floor": 3}));
        write(&mut doc, &format!("{URN}:badge"), &json!("8"), Write::Replace).unwrap();
        assert_eq!(doc[URN]["badge"], "8");
        write(&mut doc, &format!("{URN}:BADGE"), &Value::Null, Write::Remove).unwrap();
        assert!(doc[URN].get("badge").is_none());
        write(&mut doc, URN, &json!({}), Write::Replace).unwrap();
        write(&mut doc, URN, &Value::Null, Write::Remove).unwrap();
        assert!(doc.is_empty());
        assert!(write(&mut doc, URN, &json!("flat"), Write::Replace).is_err());
    }
}
