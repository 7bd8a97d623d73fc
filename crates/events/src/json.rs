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

/// A member of an object: its key and value.
pub type Member<'a> = (Cow<'a, str>, Json<'a>);

/// The value of the member named `key`, if any.
pub fn member<'m, 'a>(members: &'m [Member<'a>], key: &str) -> Option<&'m Json<'a>> {
    position(members, key).map(|i| &members[i].1)
}

fn position(members: &[Member], key: &str) -> Option<usize> {
    // Events have a dozen members at most: a scan that compares lengths
    // first beats a binary search of byte comparisons.
    members
        .iter()
        .position(|(k, _)| k.len() == key.len() && k.as_ref() == key)
}

/// An object's members, sorted by key bytes, each key once.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Object<'a>(Vec<Member<'a>>);

impl<'a> Object<'a> {
    fn from_members(mut members: Vec<Member<'a>>) -> Self {
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

    pub fn get(&self, key: &str) -> Option<&Json<'a>> {
        member(&self.0, key)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json<'a>> {
        position(&self.0, key).map(|i| &mut self.0[i].1)
    }

    /// Members in key order.
    pub fn members(&self) -> &[Member<'a>] {
        &self.0
    }

    /// Members in key order, values to be replaced.
    pub fn members_mut(&mut self) -> impl Iterator<Item = (&str, &mut Json<'a>)> {
        self.0.iter_mut().map(|(k, v)| (&**k, v))
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

/// What [`parse_line`] found.
pub enum Parsed<'a> {
    /// The common flat object, now in the [`Flat`] it was given.
    Flat,
    /// Any other JSON value.
    Tree(Json<'a>),
}

/// Parses one JSON text; strings without escapes borrow from `bytes`. A
/// flat object is scanned into `flat`, whose storage is on the caller's
/// stack and reused, instead of being built as an [`Object`].
pub fn parse_line<'a>(
    bytes: &'a [u8],
    flat: &mut Flat<'a>,
) -> Result<Parsed<'a>, serde_json::Error> {
    // One UTF-8 check of the whole line is cheaper than serde_json's check
    // of every string in it; invalid input takes the slice path, so its
    // error is serde_json's own, as before.
    match std::str::from_utf8(bytes) {
        Ok(text) if flat.scan(text) => Ok(Parsed::Flat),
        Ok(text) => serde_json::from_str(text).map(Parsed::Tree),
        Err(_) => serde_json::from_slice(bytes).map(Parsed::Tree),
    }
}

impl<'a> Json<'a> {
    /// Parses one JSON text; strings without escapes borrow from `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Json<'a>, serde_json::Error> {
        let mut flat = Flat::default();
        Ok(match parse_line(bytes, &mut flat)? {
            Parsed::Flat => flat.to_json(),
            Parsed::Tree(value) => value,
        })
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

pub use flat::Flat;

/// The shape nearly every event line has, parsed without serde: one object
/// whose values are strings without escapes, integers from 0 to `u64::MAX`,
/// booleans or null. serde_json's visitor machinery was most of the cost of
/// parsing such a line (310 ns of ~130 bytes); this scan finds the very
/// same members in a fraction of that.
///
/// It never decides that a line is invalid: on anything else — nesting,
/// escapes, other numbers, a syntax error — it gives up, and serde_json
/// parses the line as before, with its own value or its own error. So the
/// accepted grammar and every error message stay serde_json's; a property
/// test checks the two agree on valid and broken lines alike.
mod flat {
    use super::{key_order, Json, Member, Object};
    use smallvec::SmallVec;
    use std::borrow::Cow;

    /// The most members a flat object may have; a line with more takes
    /// serde_json's path.
    const MAX: usize = 32;

    /// A flat object's members, each key once, in input order, with their
    /// key order alongside. Held inline (up to a typical event's size), so
    /// a line is parsed without allocating: the caller keeps one `Flat` on
    /// its stack.
    #[derive(Default)]
    pub struct Flat<'a> {
        members: SmallVec<[Member<'a>; 16]>,
        /// Each member's text in the line, `"key":value`, where that is
        /// already its canonical encoding — no space inside it (the scan
        /// admits no escapes, and integers only in their shortest form) and
        /// the value not replaced since — else empty. Copied whole, a
        /// member costs one copy instead of five writes and a number's
        /// formatting ([`crate::canonical::write_flat`]).
        raw: SmallVec<[&'a str; 16]>,
        /// Indices into `members`, in key order.
        order: SmallVec<[u8; MAX]>,
    }

    impl<'a> Flat<'a> {
        /// Members in input order; keys are unique, so this is enough to
        /// look one up ([`super::member`]).
        pub fn members(&self) -> &[Member<'a>] {
            &self.members
        }

        /// The value of member `key`, to be replaced.
        pub fn value_mut(&mut self, key: &str) -> Option<&mut Json<'a>> {
            let i = self.members.iter().position(|(k, _)| k == key)?;
            self.raw[i] = ""; // no longer the line's text
            Some(&mut self.members[i].1)
        }

        /// Members in key order (the canonical order).
        pub fn sorted(&self) -> impl Iterator<Item = &Member<'a>> {
            self.sorted_raw().map(|(m, _)| m)
        }

        /// Members in key order, each with its canonical text in the line
        /// if it has one (see `raw`), else "".
        pub fn sorted_raw(&self) -> impl Iterator<Item = (&Member<'a>, &'a str)> {
            self.order.iter().map(|&k| {
                let k = usize::from(k);
                (&self.members[k], self.raw[k])
            })
        }

        pub fn to_json(&self) -> Json<'a> {
            Json::Object(Object(self.sorted().cloned().collect()))
        }

        /// Scans `text` into `self`; false (and `self` unusable) if it is
        /// not a flat object.
        pub fn scan(&mut self, text: &'a str) -> bool {
            self.members.clear();
            self.raw.clear();
            self.order.clear();
            self.try_scan(text).is_some()
        }

        fn try_scan(&mut self, text: &'a str) -> Option<()> {
            // A CRLF file's CR ends the line as whitespace, and is not
            // control character enough to need serde_json.
            let text = text.strip_suffix('\r').unwrap_or(text);
            let b = text.as_bytes();
            // Escapes and control characters (tab or CR whitespace too) are
            // rare in events: such lines are left to serde_json, found by
            // one vectorised pass, and the scan only looks for quotes.
            if b.iter().fold(false, |m, &c| m | (c < 0x20) | (c == b'\\')) {
                return None;
            }
            let mut i = ws(b, 0);
            if b.get(i) != Some(&b'{') {
                return None;
            }
            i = ws(b, i + 1);
            if b.get(i) == Some(&b'}') {
                i += 1;
            } else {
                loop {
                    let key_at = i;
                    let (key, at) = string(text, i)?;
                    i = ws(b, at);
                    if b.get(i) != Some(&b':') {
                        return None;
                    }
                    let compact = i == at && ws(b, i + 1) == i + 1;
                    i = ws(b, i + 1);
                    let (value, at) = match *b.get(i)? {
                        b'"' => {
                            let (s, at) = string(text, i)?;
                            (Json::String(Cow::Borrowed(s)), at)
                        }
                        b'0'..=b'9' => integer(b, i)?,
                        b't' => literal(b, i, b"true", Json::Bool(true))?,
                        b'f' => literal(b, i, b"false", Json::Bool(false))?,
                        b'n' => literal(b, i, b"null", Json::Null)?,
                        _ => return None,
                    };
                    if self.members.len() == MAX {
                        return None;
                    }
                    self.members.push((Cow::Borrowed(key), value));
                    // Both ends are at ASCII bytes: character boundaries.
                    self.raw.push(if compact { &text[key_at..at] } else { "" });
                    i = ws(b, at);
                    match *b.get(i)? {
                        b',' => i = ws(b, i + 1),
                        b'}' => {
                            i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            if ws(b, i) != b.len() {
                return None;
            }
            // Sorted as `Object::from_members` sorts (stable, by key bytes),
            // but as one-byte indices: moving the members themselves was a
            // quarter of this function's time.
            let key = |k: u8| self.members[usize::from(k)].0.as_bytes();
            for k in 0..self.members.len() as u8 {
                let mut j = self.order.len();
                while j > 0 && key_order(key(self.order[j - 1]), key(k)).is_gt() {
                    j -= 1;
                }
                self.order.insert(j, k);
            }
            // A key given twice: serde_json's path keeps the last (rare).
            if self.order.windows(2).any(|w| key(w[0]) == key(w[1])) {
                return None;
            }
            Some(())
        }
    }

    /// Skips whitespace from `i`: spaces, the only kind left.
    #[inline(always)]
    fn ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    }

    /// The string opening at `i` (in a line without escapes or control
    /// characters, so it ends at the next quote); and the index after it.
    #[inline(always)]
    fn string(text: &str, i: usize) -> Option<(&str, usize)> {
        let b = text.as_bytes();
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let start = i + 1;
        let end = start + b[start..].iter().position(|&c| c == b'"')?;
        // `end` is at an ASCII byte, so both ends are character boundaries.
        Some((&text[start..end], end + 1))
    }

    /// A non-negative integer that fits `u64`, as serde_json reads it; `None`
    /// for anything it would read otherwise (fraction, exponent, leading
    /// zero, too large).
    #[inline(always)]
    fn integer(b: &[u8], i: usize) -> Option<(Json<'static>, usize)> {
        let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let end = i + digits;
        if (digits > 1 && b[i] == b'0') || matches!(b.get(end), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let mut n: u64 = 0;
        for &d in &b[i..end] {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
        }
        Some((Json::Number(n.into()), end))
    }

    #[inline(always)]
    fn literal(
        b: &[u8],
        i: usize,
        word: &[u8],
        value: Json<'static>,
    ) -> Option<(Json<'static>, usize)> {
        b[i..].starts_with(word).then_some((value, i + word.len()))
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
    use proptest::prelude::*;

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

    /// Lines shaped like events, and near misses: members with keys that
    /// repeat or need escapes, values of every kind (escapes, negative,
    /// fractional, huge and leading-zero numbers, nesting), random
    /// whitespace, and with one byte then deleted, replaced or inserted.
    fn event_like_line() -> impl Strategy<Value = String> {
        let key = prop_oneof![
            prop::sample::select(vec!["a", "id", "type", "ké", "q\\\"t"]).prop_map(String::from),
            "[a-z]{0,6}",
        ];
        let literal = prop::sample::select(vec![
            "\"esc\\n\"",
            "\"tab\tin\"",
            "18446744073709551616",
            "007",
            "-0",
            "-12",
            "1.5",
            "2e3",
            "true",
            "false",
            "null",
            "nul",
            "[1,2]",
            "{\"n\":1}",
        ]);
        let value = prop_oneof![
            "\"[a-zA-Z0-9 é中]{0,12}\"",
            any::<u64>().prop_map(|n| n.to_string()),
            literal.prop_map(String::from),
        ];
        let ws = prop_oneof![Just(""), Just(""), Just(" "), Just("\t"), Just("\r\n ")];
        let member = (key, ws.clone(), value, ws.clone());
        let mutation = (
            any::<prop::sample::Index>(),
            0..4u8,
            prop::sample::select(&b"{}[]\",:\\ 0-9ae.\t\x01\x1f\xff"[..]),
        );
        (
            prop::collection::vec(member, 0..8),
            ws,
            proptest::option::of(mutation),
        )
            .prop_map(|(members, pad, mutation)| {
                let body: Vec<String> = members
                    .into_iter()
                    .map(|(k, w1, v, w2)| format!("{w1}\"{k}\"{w2}:{w1}{v}{w2}"))
                    .collect();
                let mut line = format!("{pad}{{{}}}{pad}", body.join(",")).into_bytes();
                if let Some((at, how, byte)) = mutation {
                    let i = at.index(line.len() + 1);
                    match how {
                        0 if i < line.len() => drop(line.remove(i)),
                        1 if i < line.len() => line[i] = byte,
                        _ => line.insert(i, byte),
                    }
                }
                String::from_utf8_lossy(&line).into_owned()
            })
    }

    proptest::proptest! {
        // About one line in ten is taken by the scan; the rest check that
        // it declines.
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The flat scan gives serde_json's own value whenever it gives one,
        /// and never accepts what serde_json rejects; and it does take the
        /// lines events are made of.
        #[test]
        fn flat_scan_agrees_with_serde_json(line in event_like_line()) {
            let mut flat = Flat::default();
            if flat.scan(&line) {
                let ours = flat.to_json();
                let theirs: Result<Json, _> = serde_json::from_str(&line);
                proptest::prop_assert_eq!(Some(ours), theirs.ok(), "{}", line);
            }
        }
    }

    #[test]
    fn flat_scan_takes_event_lines() {
        let line = r#"{"type":"like","id":"b1-1","at":"2020-04-01T20:00:00+08:00","n":12,"ok":true,"x":null}"#;
        for line in [line.to_string(), format!("{line}\r")] {
            let mut flat = Flat::default();
            assert!(flat.scan(&line), "the common shape");
            let ours = flat.to_json();
            assert_eq!(Some(ours), serde_json::from_str::<Json>(&line).ok());
        }
        for declined in [
            r#"{"a":"x\"y"}"#,
            r#"{"a":1.5}"#,
            r#"{"a":[1]}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":-1}"#,
        ] {
            assert!(!Flat::default().scan(declined), "{declined}");
            assert!(Json::parse(declined.as_bytes()).is_ok(), "{declined}");
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
