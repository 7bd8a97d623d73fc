//! The canonical encoding: the exact bytes of an event that the log stores
//! and hashes. It must never change, or old entries could not be re-checked
//! against new code, so it is defined here explicitly rather than left to a
//! serializer's defaults:
//!
//! - one JSON object, no insignificant whitespace;
//! - object keys sorted by their UTF-8 bytes (= Unicode code point order), at
//!   every depth; array order kept;
//! - strings escaped minimally (`"`, `\`, and control characters; `\n`,
//!   `\t` … as short escapes, others as `\u00XX`), everything else as UTF-8;
//! - integers as written, without leading zeros or `+`; other numbers in the
//!   shortest form that reads back to the same double (serde_json/ryu);
//! - `true`, `false`, `null` as themselves.
//!
//! The golden test below pins these bytes.

use crate::json::{Flat, Json, Member, Object};
use std::io::Write;

pub fn to_bytes(v: &Json) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(v, &mut out);
    out
}

/// Appends the canonical bytes of `v` to `out`.
pub fn write(v: &Json, out: &mut Vec<u8>) {
    match v {
        Json::Object(map) => write_object(map, out),
        Json::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        Json::String(s) => write_str(s, out),
        // serde_json's number output is the minimal form described above.
        Json::Number(n) => {
            let _ = write!(out, "{n}"); // writing to a Vec cannot fail
        }
        Json::Bool(true) => out.extend_from_slice(b"true"),
        Json::Bool(false) => out.extend_from_slice(b"false"),
        Json::Null => out.extend_from_slice(b"null"),
    }
}

/// [`write`] for an object.
pub fn write_object(object: &Object, out: &mut Vec<u8>) {
    // Members are already in key order (see `json::Object`).
    write_members(object.members().iter().map(|m| (m, "")), write_str, out);
}

/// [`write`] for a flat object ([`Flat`]), whose strings need
/// no escaping — the scan declines any that would, and pseudonyms are hex —
/// so they are copied as they are (encoding a line took ~2,170
/// instructions with a check of every byte, ~840 without); a member whose
/// text in the line is already canonical is copied whole.
pub fn write_flat(flat: &Flat, out: &mut Vec<u8>) {
    write_members(flat.sorted_raw(), write_plain_str, out);
}

/// An object of `members` in key order, each with its canonical text when
/// known (else "": its key and string value are written by `string`).
fn write_members<'m, 'a: 'm, 'r>(
    members: impl IntoIterator<Item = (&'m Member<'a>, &'r str)>,
    string: fn(&str, &mut Vec<u8>),
    out: &mut Vec<u8>,
) {
    out.push(b'{');
    for (i, ((k, v), raw)) in members.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if !raw.is_empty() {
            out.extend_from_slice(raw.as_bytes());
            continue;
        }
        string(k, out);
        out.push(b':');
        match v {
            Json::String(s) => string(s, out),
            other => write(other, out),
        }
    }
    out.push(b'}');
}

/// A string known to need no escaping.
fn write_plain_str(s: &str, out: &mut Vec<u8>) {
    debug_assert!(!s.bytes().any(needs_escape), "{s:?} needs escaping");
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether a byte must be escaped in a canonical string.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends `s` as a canonical JSON string.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Most strings need no escape at all. The check is a fold with no early
    // exit, so it vectorises.
    if !bytes.iter().fold(false, |m, &b| m | needs_escape(b)) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => {
                out.extend_from_slice(&bytes[start..i]);
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The encoding as first written, over `serde_json::Value`: the
    /// reference the borrowed encoder must match byte for byte.
    fn reference(v: &Value, out: &mut Vec<u8>) {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push(b'{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    write_str(k, out);
                    out.push(b':');
                    reference(v, out);
                }
                out.push(b'}');
            }
            Value::Array(items) => {
                out.push(b'[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    reference(v, out);
                }
                out.push(b']');
            }
            Value::String(s) => write_str(s, out),
            other => out.extend_from_slice(other.to_string().as_bytes()),
        }
    }

    /// Arbitrary JSON values, nested a few levels.
    pub(crate) fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e300f64..1e300).prop_map(Value::from),
            "\\PC{0,8}|[\"\\\\\\n\u{1}\u{1f}]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-c\u{e9}\"]{0,3}", inner), 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn canonical(text: &str) -> String {
        String::from_utf8(to_bytes(&Json::parse(text.as_bytes()).unwrap())).unwrap()
    }

    #[test]
    fn golden() {
        assert_eq!(
            canonical(
                r#"{ "z": 1, "a": [3, 1.5, -0.0, 1e3, true, null], "é": "燕窝\"\\\n\u0001", "b": {"y": "x", "x": {}} }"#
            ),
            r#"{"a":[3,1.5,-0.0,1000.0,true,null],"b":{"x":{},"y":"x"},"z":1,"é":"燕窝\"\\\n\u0001"}"#
        );
        // A repeated key keeps its last value, as it always has.
        assert_eq!(canonical(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    }

    proptest! {
        /// Same bytes as the reference encoder; they parse back to the same
        /// value; encoding is idempotent.
        #[test]
        fn matches_reference_and_round_trips(v in arb_json()) {
            let text = serde_json::to_vec(&v).unwrap();
            let bytes = to_bytes(&Json::parse(&text).unwrap());
            let mut expected = Vec::new();
            reference(&v, &mut expected);
            prop_assert_eq!(&bytes, &expected);
            let back: Value = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(to_bytes(&Json::parse(&bytes).unwrap()), bytes);
        }
    }
}
