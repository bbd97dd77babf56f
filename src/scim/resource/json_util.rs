//! Small JSON helpers shared by the resource and PATCH code: keys matched case-insensitively,
//! booleans sent as strings, and short descriptions of values for error details.

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;

/// "a string", "an array", … for error details.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The entry of `map` whose key equals `key` case-insensitively (an exact match first).
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<(&'a String, &'a Value)> {
    map.get_key_value(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)))
}

/// The actual key of `map` that equals `key` case-insensitively.
pub(crate) fn key_ci(map: &Map<String, Value>, key: &str) -> Option<String> {
    get_ci(map, key).map(|(k, _)| k.clone())
}

/// A JSON boolean, or the strings "true"/"false" in any case (Entra sends `"True"`, `"False"`).
pub(crate) fn bool_of(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => crate::base::text::parse_bool(s.trim()),
        _ => None,
    }
}

/// `json_kind` plus the value itself when it is short, for error details.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => format!("{} ({v})", json_kind(v)),
        Value::String(s) if s.chars().count() <= 40 => format!("the string {v}"),
        _ => json_kind(v).to_string(),
    }
}

/// A JSON value read by its shape, straight from the text: objects and arrays go to the type's own
/// reader (which keeps only what it needs), anything else arrives as a small [`Value`]. Lets a body
/// with a long member list be read without a `Value` of every member.
pub(crate) trait Shape: Sized {
    fn from_map<'de, A: MapAccess<'de>>(map: A) -> Result<Self, A::Error>;
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<Self, A::Error>;
    /// A string, number, boolean or null.
    fn from_scalar(v: Value) -> Self;
}

/// Reads a [`Shape`] with serde: `deserializer.deserialize_any(ShapeVisitor::new())`.
pub(crate) struct ShapeVisitor<T>(PhantomData<T>);

impl<T> ShapeVisitor<T> {
    pub(crate) fn new() -> Self {
        ShapeVisitor(PhantomData)
    }
}

impl<'de, T: Shape> Visitor<'de> for ShapeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<T, E> {
        Ok(T::from_scalar(Value::Bool(b)))
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
        Ok(T::from_scalar(Value::from(n)))
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
        Ok(T::from_scalar(Value::from(n)))
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
        Ok(T::from_scalar(Value::from(n)))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        Ok(T::from_scalar(Value::String(s.to_owned())))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<T, E> {
        Ok(T::from_scalar(Value::String(s)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::from_scalar(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok(T::from_scalar(Value::Null))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::from_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::from_seq(seq)
    }
}

/// `impl Deserialize` for [`Shape`]s, read with [`ShapeVisitor`]: `deserialize_by_shape!(A, B)`, or
/// for types generic over one parameter `deserialize_by_shape!(for<V: Bound> A<V>, B<V>)`.
macro_rules! deserialize_by_shape {
    (for<$g:ident: $bound:path> $($t:ty),+) => {$(
        impl<'de, $g: $bound> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                d.deserialize_any($crate::scim::resource::ShapeVisitor::new())
            }
        }
    )+};
    ($($t:ty),+) => {$(
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                d.deserialize_any($crate::scim::resource::ShapeVisitor::new())
            }
        }
    )+};
}
pub(crate) use deserialize_by_shape;

/// Reads past the rest of an object or an array whose content does not matter.
pub(crate) fn skip_map<'de, A: MapAccess<'de>>(map: A) -> Result<(), A::Error> {
    IgnoredAny.visit_map(map).map(drop)
}

pub(crate) fn skip_seq<'de, A: SeqAccess<'de>>(seq: A) -> Result<(), A::Error> {
    IgnoredAny.visit_seq(seq).map(drop)
}

/// One key of an object the reader looks for, matched as [`get_ci`] does: an exact match wins (the
/// last one, as in a JSON object), else the first key equal to it ignoring case.
pub(crate) struct Slot<T>(pub(crate) Option<(String, T)>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot(None)
    }
}

impl<T> Slot<T> {
    /// Whether `key` fills this slot for `name`; when it does, the caller reads the value and puts
    /// it in the slot, else it skips the value.
    pub(crate) fn wants(&self, key: &str, name: &str) -> bool {
        key == name || (key.eq_ignore_ascii_case(name) && self.0.is_none())
    }
}
