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

use serde_json::Value;

pub fn to_bytes(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut Vec<u8>) {
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
                write(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(v, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_str(s, out),
        // serde_json's number and literal output is the minimal form described above.
        other => out.extend_from_slice(other.to_string().as_bytes()),
    }
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
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
mod tests {
    use super::*;

    #[test]
    fn golden() {
        let v: Value = serde_json::from_str(
            r#"{ "z": 1, "a": [3, 1.5, -0.0, 1e3, true, null], "é": "燕窝\"\\\n\u0001", "b": {"y": "x", "x": {}} }"#,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(to_bytes(&v)).unwrap(),
            r#"{"a":[3,1.5,-0.0,1000.0,true,null],"b":{"x":{},"y":"x"},"z":1,"é":"燕窝\"\\\n\u0001"}"#
        );
    }

    proptest::proptest! {
        /// Canonical bytes parse back to the same value, and encoding is idempotent.
        #[test]
        fn round_trips(keys in proptest::collection::vec("\\PC{0,6}", 0..6), s in "\\PC{0,12}", n in proptest::num::i64::ANY, f in -1e12f64..1e12) {
            let mut m = serde_json::Map::new();
            for (i, k) in keys.iter().enumerate() {
                m.insert(k.clone(), if i % 2 == 0 { Value::from(s.clone()) } else { Value::from(n) });
            }
            m.insert("f".into(), Value::from(f));
            let v = Value::Object(m);
            let bytes = to_bytes(&v);
            let back: Value = serde_json::from_slice(&bytes).unwrap();
            proptest::prop_assert_eq!(&back, &v);
            proptest::prop_assert_eq!(to_bytes(&back), bytes);
        }
    }
}
