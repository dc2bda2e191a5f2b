//! Decoding a body into a [`Value`] tree, borrowing from the body where the format allows.
//!
//! JSON goes through `serde_json` (whose recursion limit stays on) and borrows every string
//! that has no escapes. CBOR goes through `ciborium`, which only hands out owned strings; its
//! recursion limit is set to match, see [`MAX_DEPTH`]. CBOR tags are dropped and the tagged item kept:
//! the schema, not the tag, says which members are timestamps. Query bodies go through the
//! hand-written form decoder in `query`, whose keys are held to the same depth.

use std::borrow::Cow;

use serde::de::{self, DeserializeSeed, IgnoredAny, Visitor};

use crate::{Encoding, WireError};

/// How many maps and arrays may nest, the top-level map included. This is what serde_json's
/// built-in limit (128) lets through; CBOR is held to the same so both encodings accept the
/// same documents. CBOR tags count as a level too.
pub const MAX_DEPTH: usize = 127;

/// Upper bound on what a declared length may pre-allocate: a CBOR header can claim 2^64 items
/// in a handful of bytes, so the claim is only a hint.
const MAX_PREALLOC: usize = 256;

/// A decoded document, before it is checked against a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`, CBOR null or undefined.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer; i128 holds every CBOR integer (-2^64 ..= 2^64-1).
    Int(i128),
    /// A number with a fraction or exponent (JSON), or a CBOR float.
    Float(f64),
    /// A text string.
    Str(Cow<'a, str>),
    /// A CBOR byte string (JSON has none: its blobs arrive as base64 [`Value::Str`]).
    Bytes(Cow<'a, [u8]>),
    /// An array.
    Array(Vec<Value<'a>>),
    /// A map with string keys, in document order (duplicates kept; the last one wins later).
    Map(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Decodes a request body. The top-level value must be a map.
///
/// Every failure is a [`WireError::Serialization`]: an empty JSON or AWS CBOR body, malformed
/// or truncated input, bytes after the top-level value, nesting deeper than [`MAX_DEPTH`], a
/// CBOR map key that is not a text string, or a top-level value that is not a map.
///
/// In RPC v2 CBOR and the query protocol an empty body is a request without members (an
/// empty map), as those protocols allow. CBOR maps and arrays may be definite or indefinite,
/// floats half, single or double precision, and `undefined` reads as null. Query bodies are
/// read as [`decode_query`](crate::decode_query) describes, with `Action` and `Version` kept
/// in the map.
pub fn decode(enc: Encoding, body: &[u8]) -> Result<Value<'_>, WireError> {
    if body.is_empty() {
        return match enc {
            Encoding::RpcV2Cbor | Encoding::Query => Ok(Value::Map(Vec::new())),
            Encoding::Json | Encoding::Cbor => Err(WireError::Serialization(String::new())),
        };
    }
    let value = match enc {
        Encoding::Json => decode_json(body)?,
        Encoding::Cbor | Encoding::RpcV2Cbor => decode_cbor(body)?,
        Encoding::Query => crate::query::decode_form(body)?,
    };
    match value {
        Value::Map(_) => Ok(value),
        Value::Array(_) => Err(WireError::Serialization(
            crate::validate::LIST_START.to_owned(),
        )),
        _ => Err(WireError::Serialization(String::new())),
    }
}

// AWS answers an unreadable body with the bare code, so the parser's own complaint is dropped.
fn unreadable<E>(_: E) -> WireError {
    WireError::Serialization(String::new())
}

fn decode_json(body: &[u8]) -> Result<Value<'_>, WireError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = ValueSeed::borrowing()
        .deserialize(&mut de)
        .map_err(unreadable)?;
    // `end` fails on anything but whitespace after the value.
    de.end().map_err(unreadable)?;
    Ok(value)
}

fn decode_cbor(body: &[u8]) -> Result<Value<'static>, WireError> {
    let mut rest = body;
    let OwnedValue(value) =
        ciborium::de::from_reader_with_recursion_limit(&mut rest, MAX_DEPTH).map_err(unreadable)?;
    // ciborium reads exactly one item and no further, so whatever is left is trailing garbage.
    if !rest.is_empty() {
        return Err(unreadable(()));
    }
    Ok(value)
}

/// A seed that builds a [`Value<'v>`] from a deserializer over `'de` input. The two function
/// pointers decide whether input-borrowed text is kept borrowed (JSON over a slice) or copied
/// (ciborium needs a `DeserializeOwned` target).
struct ValueSeed<'de, 'v> {
    text: fn(&'de str) -> Cow<'v, str>,
    bytes: fn(&'de [u8]) -> Cow<'v, [u8]>,
}

impl<'de, 'v> Clone for ValueSeed<'de, 'v> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<'de, 'v> Copy for ValueSeed<'de, 'v> {}

impl<'de> ValueSeed<'de, 'de> {
    fn borrowing() -> Self {
        ValueSeed {
            text: Cow::Borrowed,
            bytes: Cow::Borrowed,
        }
    }
}

impl<'de> ValueSeed<'de, 'static> {
    fn owning() -> Self {
        ValueSeed {
            text: |s| Cow::Owned(s.to_owned()),
            bytes: |b| Cow::Owned(b.to_vec()),
        }
    }
}

/// The CBOR path's `DeserializeOwned` wrapper.
struct OwnedValue(Value<'static>);

impl<'de> de::Deserialize<'de> for OwnedValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ValueSeed::owning().deserialize(d).map(OwnedValue)
    }
}

impl<'de, 'v> DeserializeSeed<'de> for ValueSeed<'de, 'v> {
    type Value = Value<'v>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value<'v>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'v> Visitor<'de> for ValueSeed<'de, 'v> {
    type Value = Value<'v>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value<'v>, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value<'v>, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value<'v>, E> {
        Ok(Value::Int(v.into()))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value<'v>, E> {
        Ok(Value::Int(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value<'v>, E> {
        // Only a CBOR bignum gets here; past i128 it can only be told apart as a magnitude.
        Ok(match i128::try_from(v) {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Float(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value<'v>, E> {
        Ok(Value::Float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Value<'v>, E> {
        Ok(Value::Str((self.text)(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value<'v>, E> {
        Ok(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Value<'v>, E> {
        Ok(Value::Str(Cow::Owned(v)))
    }

    fn visit_borrowed_bytes<E>(self, v: &'de [u8]) -> Result<Value<'v>, E> {
        Ok(Value::Bytes((self.bytes)(v)))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value<'v>, E> {
        Ok(Value::Bytes(Cow::Owned(v.to_vec())))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value<'v>, E> {
        Ok(Value::Bytes(Cow::Owned(v)))
    }

    fn visit_none<E>(self) -> Result<Value<'v>, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value<'v>, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value<'v>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'v>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Value<'v>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(MAX_PREALLOC));
        while let Some(key) = map.next_key_seed(KeySeed(self))? {
            let value = map.next_value_seed(self)?;
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }

    // ciborium presents every tag other than a small bignum as a one-variant enum whose
    // payload is the tagged item. The tag number is dropped on purpose (see the module doc).
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<Value<'v>, A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }
}

/// Map keys must be text: AWS member names are strings, and a key of any other type could
/// not name a member anyway.
struct KeySeed<'de, 'v>(ValueSeed<'de, 'v>);

impl<'de, 'v> DeserializeSeed<'de> for KeySeed<'de, 'v> {
    type Value = Cow<'v, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Cow<'v, str>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, 'v> Visitor<'de> for KeySeed<'de, 'v> {
    type Value = Cow<'v, str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a text map key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'v, str>, E> {
        Ok((self.0.text)(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'v, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Cow<'v, str>, E> {
        Ok(Cow::Owned(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cbor(v: &ciborium::Value) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).expect("serialize test input");
        out
    }

    fn map(entries: Vec<(&str, ciborium::Value)>) -> ciborium::Value {
        ciborium::Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| (ciborium::Value::Text(k.to_owned()), v))
                .collect(),
        )
    }

    fn ser() -> WireError {
        WireError::Serialization(String::new())
    }

    #[test]
    fn json_borrows_plain_strings() {
        let body = br#"{"a":"plain","b":"esc\"aped","c":[1,-2,3.5,true,null]}"#;
        let Value::Map(entries) = decode(Encoding::Json, body).expect("decodes") else {
            panic!("not a map")
        };
        assert!(matches!(entries[0].0, Cow::Borrowed("a")));
        assert!(matches!(entries[0].1, Value::Str(Cow::Borrowed("plain"))));
        assert!(matches!(&entries[1].1, Value::Str(Cow::Owned(s)) if s == "esc\"aped"));
        assert_eq!(
            entries[2].1,
            Value::Array(vec![
                Value::Int(1),
                Value::Int(-2),
                Value::Float(3.5),
                Value::Bool(true),
                Value::Null
            ])
        );
    }

    #[test]
    fn json_rejections() {
        assert_eq!(decode(Encoding::Json, b""), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"   "), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"hello"), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"{}x"), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"{} {}"), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"{\"a\":1"), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"\"str\""), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"12"), Err(ser()));
        assert_eq!(decode(Encoding::Json, b"null"), Err(ser()));
        assert_eq!(
            decode(Encoding::Json, b"[]"),
            Err(WireError::Serialization(
                "Start of list found where not expected".into()
            ))
        );
        assert_eq!(decode(Encoding::Json, b"{}  \n"), Ok(Value::Map(vec![])));
    }

    #[test]
    fn json_depth_is_bounded() {
        let nest = |n: usize| {
            let mut s = String::from("{\"a\":");
            s.push_str(&"[".repeat(n));
            s.push_str(&"]".repeat(n));
            s.push('}');
            s
        };
        assert!(decode(Encoding::Json, nest(MAX_DEPTH - 1).as_bytes()).is_ok());
        assert_eq!(
            decode(Encoding::Json, nest(MAX_DEPTH).as_bytes()),
            Err(ser())
        );
        assert_eq!(decode(Encoding::Json, nest(100_000).as_bytes()), Err(ser()));
    }

    #[test]
    fn cbor_values() {
        let body = cbor(&map(vec![
            ("s", ciborium::Value::Text("hi".into())),
            ("b", ciborium::Value::Bytes(vec![0, 255])),
            ("i", ciborium::Value::Integer((-5).into())),
            ("big", ciborium::Value::Integer(u64::MAX.into())),
            ("f", ciborium::Value::Float(1.25)),
            (
                "t",
                ciborium::Value::Tag(1, Box::new(ciborium::Value::Integer(1700.into()))),
            ),
            ("n", ciborium::Value::Null),
            (
                "a",
                ciborium::Value::Array(vec![ciborium::Value::Bool(false)]),
            ),
        ]));
        let v = decode(Encoding::Cbor, &body).expect("decodes");
        assert_eq!(
            v,
            Value::Map(vec![
                ("s".into(), Value::Str("hi".into())),
                ("b".into(), Value::Bytes(vec![0, 255].into())),
                ("i".into(), Value::Int(-5)),
                ("big".into(), Value::Int(u64::MAX.into())),
                ("f".into(), Value::Float(1.25)),
                ("t".into(), Value::Int(1700)),
                ("n".into(), Value::Null),
                ("a".into(), Value::Array(vec![Value::Bool(false)])),
            ])
        );
    }

    #[test]
    fn cbor_indefinite_and_long_items() {
        // {_ "k": (_ "ab" "cd"), "x": [_ 1]} with indefinite map, text and array.
        let body = [
            0xbf, 0x61, b'k', 0x7f, 0x62, b'a', b'b', 0x62, b'c', b'd', 0xff, 0x61, b'x', 0x9f,
            0x01, 0xff, 0xff,
        ];
        assert_eq!(
            decode(Encoding::Cbor, &body),
            Ok(Value::Map(vec![
                ("k".into(), Value::Str("abcd".into())),
                ("x".into(), Value::Array(vec![Value::Int(1)])),
            ]))
        );
        // Items longer than ciborium's 4 KiB scratch buffer take another path.
        let long = "é".repeat(5000);
        let body = cbor(&map(vec![
            ("t", ciborium::Value::Text(long.clone())),
            ("b", ciborium::Value::Bytes(vec![7; 10_000])),
        ]));
        assert_eq!(
            decode(Encoding::Cbor, &body),
            Ok(Value::Map(vec![
                ("t".into(), Value::Str(long.into())),
                ("b".into(), Value::Bytes(vec![7; 10_000].into())),
            ]))
        );
    }

    #[test]
    fn cbor_rejections() {
        let ok = cbor(&map(vec![("a", ciborium::Value::Integer(1.into()))]));
        let mut trailing = ok.clone();
        trailing.push(0x00);
        assert_eq!(decode(Encoding::Cbor, &trailing), Err(ser()));
        assert_eq!(decode(Encoding::Cbor, &ok[..ok.len() - 1]), Err(ser()));
        assert_eq!(decode(Encoding::Cbor, &[]), Err(ser()));
        // A text top-level value, a bare break, a reserved additional-info value.
        assert_eq!(decode(Encoding::Cbor, &[0x61, b'a']), Err(ser()));
        assert_eq!(decode(Encoding::Cbor, &[0xff]), Err(ser()));
        assert_eq!(decode(Encoding::Cbor, &[0x1c]), Err(ser()));
        // Integer map key.
        assert_eq!(decode(Encoding::Cbor, &[0xa1, 0x01, 0x01]), Err(ser()));
        // A map claiming 2^64-1 entries must fail on the missing bytes, not on allocation.
        let mut huge = vec![0xbb];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode(Encoding::Cbor, &huge), Err(ser()));
        let mut huge = vec![0xa1, 0x61, b'a', 0x9b];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode(Encoding::Cbor, &huge), Err(ser()));
        let mut huge = vec![0xa1, 0x61, b'a', 0x5b];
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode(Encoding::Cbor, &huge), Err(ser()));
        // Invalid UTF-8 in text.
        assert_eq!(
            decode(Encoding::Cbor, &[0xa1, 0x61, 0xff, 0x01]),
            Err(ser())
        );
    }

    #[test]
    fn cbor_depth_is_bounded() {
        let nest = |n: usize| {
            let mut b = vec![0xa1, 0x61, b'a'];
            b.extend(std::iter::repeat_n(0x81, n));
            b.push(0x01);
            b
        };
        assert!(decode(Encoding::Cbor, &nest(MAX_DEPTH - 1)).is_ok());
        assert_eq!(decode(Encoding::Cbor, &nest(MAX_DEPTH)), Err(ser()));
        assert_eq!(decode(Encoding::Cbor, &nest(1_000_000)), Err(ser()));
        // Tags nest too, and must not get round the limit.
        let mut tags = vec![0xa1, 0x61, b'a'];
        tags.extend(std::iter::repeat_n(0xc1, 100_000));
        tags.push(0x01);
        assert_eq!(decode(Encoding::Cbor, &tags), Err(ser()));
    }
}
