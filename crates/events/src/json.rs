//! A JSON value that borrows from the line it was parsed from.
//!
//! Ingest parses every line once, validates it and writes it back out
//! canonically. `serde_json::Value` would allocate a `String` for every key
//! and every string and a `BTreeMap` node per object; this type keeps
//! strings as slices of the input (an escape-free string is never copied)
//! and an object as one sorted `Vec`. serde_json still does the parsing, so
//! the accepted grammar (RFC 8259, numbers, escapes, surrogate pairs,
//! nesting limit) is exactly serde_json's.
//!
//! Objects are sorted by key bytes when parsed — the canonical order — and a
//! key given twice keeps its last value, as `serde_json::Value` does, so
//! canonical bytes are what they were when this module did not exist.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;
use std::borrow::Cow;
use std::fmt;

#[derive(Clone, Debug, PartialEq)]
pub enum Json<'a> {
    Null,
    Bool(bool),
    Number(Number),
    String(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Object<'a>),
}

/// An object's members, sorted by key bytes, each key once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object<'a>(Vec<(Cow<'a, str>, Json<'a>)>);

impl<'a> Object<'a> {
    fn from_members(mut members: Vec<(Cow<'a, str>, Json<'a>)>) -> Self {
        // Stable, so equal keys keep their input order; then the last wins.
        members.sort_by(|a, b| key_order(a.0.as_bytes(), b.0.as_bytes()));
        members.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        Object(members)
    }

    fn position(&self, key: &str) -> Option<usize> {
        // Events have a dozen members at most: a scan that compares lengths
        // first beats a binary search of byte comparisons.
        self.0
            .iter()
            .position(|(k, _)| k.len() == key.len() && k.as_ref() == key)
    }

    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        self.position(key).map(|i| &self.0[i].1)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json<'a>> {
        self.position(key).map(|i| &mut self.0[i].1)
    }

    /// Members in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Json<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> Json<'a> {
    /// Parses one JSON text; strings without escapes borrow from `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        // One UTF-8 check of the whole line is cheaper than serde_json's
        // check of every string in it; invalid input takes the slice path,
        // so its error is serde_json's own, as before.
        match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(bytes),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }
    pub fn is_number(&self) -> bool {
        matches!(self, Json::Number(_))
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Json::Number(n) => n.as_i64(),
            _ => None,
        }
    }
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Json::Number(n) => n.as_f64(),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(b))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(n.into()))
    }
    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Json<'de>, E> {
        Number::from_f64(x)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(s)))
    }
    fn visit_str<E>(self, s: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(s)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(k)) = map.next_key()? {
            members.push((k, map.next_value()?));
        }
        Ok(Json::Object(Object::from_members(members)))
    }
}

/// Byte order, as `<[u8]>::cmp`; keys are short, and a byte loop beats
/// its call to `memcmp` (sorting keys was 3% of ingest).
fn key_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    match a.iter().zip(b).find(|(x, y)| x != y) {
        Some((x, y)) => x.cmp(y),
        None => a.len().cmp(&b.len()),
    }
}

/// An object key, borrowed when it has no escapes (serde's own `Cow`
/// impl always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s)))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_sorts_and_keeps_the_last_duplicate() {
        let line = br#"{"b":"plain","a":"esc\"aped","b":"again","n":-3,"x":1.5}"#;
        let Json::Object(o) = Json::parse(line).unwrap() else {
            panic!("object")
        };
        let keys: Vec<&str> = o.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b", "n", "x"]);
        assert!(matches!(
            o.get("b"),
            Some(Json::String(Cow::Borrowed("again")))
        ));
        assert!(matches!(o.get("a"), Some(Json::String(Cow::Owned(s))) if s == "esc\"aped"));
        assert_eq!(o.get("n").and_then(Json::as_i64), Some(-3));
        assert_eq!(o.get("x").and_then(Json::as_f64), Some(1.5));
        assert!(o.get("c").is_none());
    }

    #[test]
    fn rejects_what_serde_json_rejects() {
        for bad in [
            &b"{"[..],
            b"{\"a\":}",
            b"[1,]",
            b"1e400",
            b"\"\\ud800\"",
            b"{} x",
        ] {
            assert!(
                Json::parse(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest::proptest! {
        /// The same value as serde_json's own `Value` for any JSON text.
        #[test]
        fn agrees_with_serde_json(v in crate::canonical::tests::arb_json()) {
            let text = serde_json::to_vec(&v).unwrap();
            let ours = Json::parse(&text).unwrap();
            proptest::prop_assert_eq!(to_value(&ours), v);
        }
    }

    fn to_value(j: &Json) -> serde_json::Value {
        use serde_json::Value;
        match j {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(n.clone()),
            Json::String(s) => Value::String(s.to_string()),
            Json::Array(a) => Value::Array(a.iter().map(to_value).collect()),
            Json::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), to_value(v)))
                    .collect(),
            ),
        }
    }
}
