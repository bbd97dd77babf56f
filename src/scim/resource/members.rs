//! Group bodies read straight from the request's text: a `members` list becomes user ids as it is
//! read (a full push of 20,000 members is about 1 MB of text; as a `serde_json::Value` it took about
//! 15 MB), everything else becomes small [`Value`]s. The checks and their words are the same
//! wherever a member list arrives: a POST or PUT body, a PATCH operation's value.

use super::json_util::{Shape, Slot, describe, deserialize_by_shape, json_kind, skip_map, skip_seq};
use crate::error::{Error, Result};
use crate::scim::schema::{self, Resolved};
use serde::de::{MapAccess, SeqAccess};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// A `members` value as sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Members {
    Null,
    /// An array: the ids of its elements in request order, up to its first bad element, which is
    /// kept with its index (the rest of the array is read past, unkept: one bad element is the 400).
    List {
        ids: Vec<String>,
        bad: Option<(usize, BadMember)>,
    },
    /// Anything else, described for the error.
    Other(String),
}

/// One element of a member list: an object whose `value` is a non-empty string (other keys,
/// `display`, `$ref`, `type`, are not kept), or what is wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberEntry {
    Id(String),
    Bad(BadMember),
}

/// What is wrong with an element of a member list.
#[derive(Debug, Clone, PartialEq)]
pub enum BadMember {
    /// Not an object, described.
    NotObject(String),
    NoValue,
    /// An object whose `value` is not a non-empty string, described.
    BadValue(String),
}

impl Members {
    pub fn is_null(&self) -> bool {
        matches!(self, Members::Null)
    }

    /// The user ids, in request order without duplicates (the first occurrence kept). `label` names
    /// the list in error details (`members`, `value`). A bad element is a 400 naming its index.
    pub fn ids(self, label: &str) -> Result<Vec<String>> {
        let mut ids = match self {
            Members::List { bad: Some((i, bad)), .. } => return Err(bad_member(label, i, bad)),
            Members::List { ids, bad: None } => ids,
            Members::Null => return Err(not_a_list(label, "null")),
            Members::Other(what) => return Err(not_a_list(label, &what)),
        };
        let keep: Vec<bool> = {
            let mut seen = HashSet::with_capacity(ids.len());
            ids.iter().map(|id| seen.insert(id.as_str())).collect()
        };
        let mut keep = keep.into_iter();
        ids.retain(|_| keep.next().unwrap_or(false));
        Ok(ids)
    }
}

fn bad_member(label: &str, i: usize, bad: BadMember) -> Error {
    Error::invalid_value(match bad {
        BadMember::NoValue => {
            format!("'{label}[{i}]' has no 'value': each member is {{\"value\": \"<user id>\"}}")
        }
        BadMember::NotObject(what) => {
            format!("'{label}[{i}]' must be an object like {{\"value\": \"<user id>\"}}, got {what}")
        }
        BadMember::BadValue(what) => {
            format!("'{label}[{i}].value' must be a non-empty string (a user id), got {what}")
        }
    })
}

fn not_a_list(label: &str, what: &str) -> Error {
    Error::invalid_value(format!(
        "'{label}' must be an array of objects like {{\"value\": \"<user id>\"}}, got {what}"
    ))
}

impl Shape for Members {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<Self, A::Error> {
        skip_map(map)?;
        Ok(Members::Other("an object".to_string()))
    }
    fn from_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> std::result::Result<Self, A::Error> {
        let mut ids = Vec::new();
        while let Some(item) = seq.next_element::<MemberEntry>()? {
            match item {
                MemberEntry::Id(id) => ids.push(id),
                MemberEntry::Bad(bad) => {
                    let at = ids.len();
                    skip_seq(seq)?;
                    return Ok(Members::List { ids, bad: Some((at, bad)) });
                }
            }
        }
        Ok(Members::List { ids, bad: None })
    }
    fn from_scalar(v: Value) -> Self {
        if v.is_null() { Members::Null } else { Members::Other(describe(&v)) }
    }
}

impl Shape for MemberEntry {
    fn from_map<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Self, A::Error> {
        let mut value = Slot::<Value>::default();
        while let Some(key) = map.next_key::<String>()? {
            if value.wants(&key, "value") {
                value.0 = Some((key, map.next_value()?));
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(match value.0.map(|(_, v)| v) {
            Some(Value::String(s)) if !s.trim().is_empty() => MemberEntry::Id(s),
            Some(other) => MemberEntry::Bad(BadMember::BadValue(describe(&other))),
            None => MemberEntry::Bad(BadMember::NoValue),
        })
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Self, A::Error> {
        skip_seq(seq)?;
        Ok(MemberEntry::Bad(BadMember::NotObject("an array".to_string())))
    }
    fn from_scalar(v: Value) -> Self {
        MemberEntry::Bad(BadMember::NotObject(describe(&v)))
    }
}

/// A JSON object of Group attributes (a POST/PUT body, a path-less PATCH value): its member lists
/// (keys that name `members`, in any case or URN-qualified) read as [`Members`], the rest as values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GroupObject {
    pub attrs: Map<String, Value>,
    /// Each key naming `members` with its list, in request order (a repeated key: the last).
    pub members: Vec<(String, Members)>,
}

fn names_members(key: &str) -> bool {
    matches!(schema::resolve_group(key), Ok(Resolved::Attr { def, sub: None, .. }) if def.name == "members")
}

impl GroupObject {
    fn read<'de, A: MapAccess<'de>>(mut map: A) -> std::result::Result<Self, A::Error> {
        let mut obj = GroupObject::default();
        while let Some(key) = map.next_key::<String>()? {
            if names_members(&key) {
                let list = map.next_value::<Members>()?;
                obj.members.retain(|(k, _)| *k != key);
                obj.members.push((key, list));
            } else {
                let v = map.next_value::<Value>()?;
                obj.attrs.insert(key, v);
            }
        }
        Ok(obj)
    }
}

/// A whole Group body: an object, or what else was sent (its kind, for the error).
#[derive(Debug, Clone, PartialEq)]
pub enum GroupDoc {
    Object(GroupObject),
    NotObject(&'static str),
}

impl Shape for GroupDoc {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<Self, A::Error> {
        GroupObject::read(map).map(GroupDoc::Object)
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Self, A::Error> {
        skip_seq(seq)?;
        Ok(GroupDoc::NotObject("an array"))
    }
    fn from_scalar(v: Value) -> Self {
        GroupDoc::NotObject(json_kind(&v))
    }
}

/// The `value` of a Group PATCH operation: an object of attributes, a member list (any array), or
/// a single value.
#[derive(Debug, Clone, PartialEq)]
pub enum GroupOpValue {
    Object(GroupObject),
    Members(Members),
    Single(Value),
}

impl GroupOpValue {
    /// The value as a member list (`path` names `members`).
    pub fn into_members(self) -> Members {
        match self {
            GroupOpValue::Members(m) => m,
            GroupOpValue::Single(v) => Members::from_scalar(v),
            GroupOpValue::Object(_) => Members::Other("an object".to_string()),
        }
    }

    /// The value as a single JSON value (`path` names a single-valued attribute); a list or an
    /// object stands as an empty one of its kind, which is all an error detail says of it.
    pub fn as_single(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            GroupOpValue::Single(v) => std::borrow::Cow::Borrowed(v),
            GroupOpValue::Members(_) => std::borrow::Cow::Owned(Value::Array(Vec::new())),
            GroupOpValue::Object(_) => std::borrow::Cow::Owned(Value::Object(Map::new())),
        }
    }
}

impl Shape for GroupOpValue {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> std::result::Result<Self, A::Error> {
        GroupObject::read(map).map(GroupOpValue::Object)
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> std::result::Result<Self, A::Error> {
        Members::from_seq(seq).map(GroupOpValue::Members)
    }
    fn from_scalar(v: Value) -> Self {
        GroupOpValue::Single(v)
    }
}

deserialize_by_shape!(Members, MemberEntry, GroupDoc, GroupOpValue);
