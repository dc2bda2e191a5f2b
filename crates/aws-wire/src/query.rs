//! The query protocol's requests: `application/x-www-form-urlencoded` bodies such as
//! `Action=PutMetricData&Version=2010-08-01&MetricData.member.1.Value=1.5`.
//!
//! The flat keys become the same [`Value`] tree the JSON and CBOR decoders produce:
//! `.`-separated parts are nested structures, `X.member.N` are the elements of list `X`
//! (ordered by N, which counts from 1), `X.entry.N.key`/`.value` are the entries of map `X`,
//! and every scalar stays a string for [`crate::validate`] to convert by the schema. A key that
//! repeats, an index that is 0 or not a number, or nesting deeper than [`crate::MAX_DEPTH`] is
//! a [`WireError::Serialization`].

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::{MAX_DEPTH, Value, WireError};

/// One node of the key tree while it is built.
#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

fn bad(message: String) -> WireError {
    WireError::Serialization(message)
}

/// Decodes `%XX` and `+` (a space) in one form component.
fn percent_decode(s: &str) -> Result<String, WireError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(byte) = hex else {
                    return Err(bad(format!("Invalid percent-encoding in '{s}'")));
                };
                out.push(byte);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| bad(format!("Parameter '{s}' is not UTF-8")))
}

fn insert(root: &mut BTreeMap<String, Node>, key: &str, value: String) -> Result<(), WireError> {
    let parts: Vec<&str> = key.split('.').collect();
    if parts.len() > MAX_DEPTH || parts.iter().any(|p| p.is_empty()) {
        return Err(bad(format!("Invalid parameter name '{key}'")));
    }
    let mut node = root;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if last {
            if node.insert((*part).to_owned(), Node::Leaf(value)).is_some() {
                return Err(bad(format!("Parameter '{key}' given more than once")));
            }
            return Ok(());
        }
        let child = node
            .entry((*part).to_owned())
            .or_insert_with(|| Node::Branch(BTreeMap::new()));
        match child {
            Node::Branch(map) => node = map,
            Node::Leaf(_) => {
                return Err(bad(format!(
                    "Parameter '{key}' conflicts with a value given for a prefix of it"
                )));
            }
        }
    }
    Ok(())
}

fn index(part: &str) -> Result<usize, WireError> {
    match part.parse::<usize>() {
        Ok(n) if n >= 1 && !part.starts_with('0') => Ok(n),
        _ => Err(bad(format!("Invalid list index '{part}'"))),
    }
}

fn convert(node: Node) -> Result<Value<'static>, WireError> {
    let map = match node {
        Node::Leaf(s) => return Ok(Value::Str(Cow::Owned(s))),
        Node::Branch(map) => map,
    };
    if map.len() == 1 && map.contains_key("member") {
        let Some(Node::Branch(items)) = map.into_values().next() else {
            return Err(bad("A list needs indexed members".into()));
        };
        let mut indexed = Vec::with_capacity(items.len());
        for (k, v) in items {
            indexed.push((index(&k)?, convert(v)?));
        }
        indexed.sort_by_key(|(i, _)| *i);
        return Ok(Value::Array(indexed.into_iter().map(|(_, v)| v).collect()));
    }
    if map.len() == 1 && map.contains_key("entry") {
        let Some(Node::Branch(entries)) = map.into_values().next() else {
            return Err(bad("A map needs indexed entries".into()));
        };
        let mut out = Vec::with_capacity(entries.len());
        let mut ordered: Vec<(usize, Node)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            ordered.push((index(&k)?, v));
        }
        ordered.sort_by_key(|(i, _)| *i);
        for (_, entry) in ordered {
            let Node::Branch(mut kv) = entry else {
                return Err(bad("A map entry needs a key and a value".into()));
            };
            let (Some(Node::Leaf(k)), Some(v)) = (kv.remove("key"), kv.remove("value")) else {
                return Err(bad("A map entry needs a key and a value".into()));
            };
            out.push((Cow::Owned(k), convert(v)?));
        }
        return Ok(Value::Map(out));
    }
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        out.push((Cow::Owned(k), convert(v)?));
    }
    Ok(Value::Map(out))
}

/// Decodes a query request body into a map of its parameters (`Action` and `Version`
/// included, as strings).
pub fn decode_query(body: &[u8]) -> Result<Value<'static>, WireError> {
    let text =
        std::str::from_utf8(body).map_err(|_| bad("The request body is not UTF-8".into()))?;
    let mut root = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        insert(&mut root, &percent_decode(k)?, percent_decode(v)?)?;
    }
    convert(Node::Branch(root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<'static> {
        Value::Str(Cow::Owned(v.to_owned()))
    }

    fn get<'a>(v: &'a Value<'static>, key: &str) -> &'a Value<'static> {
        let Value::Map(entries) = v else {
            panic!("not a map: {v:?}")
        };
        &entries
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .1
    }

    #[test]
    fn nested_lists_and_structures() {
        let body = b"Action=PutMetricData&Version=2010-08-01&Namespace=My%2FApp&MetricData.member.2.MetricName=b&MetricData.member.1.MetricName=a+b&MetricData.member.1.Dimensions.member.1.Name=Op&MetricData.member.1.Values.member.1=1.5&MetricData.member.1.Values.member.2=2";
        let v = decode_query(body).unwrap();
        assert_eq!(get(&v, "Action"), &s("PutMetricData"));
        assert_eq!(get(&v, "Namespace"), &s("My/App"));
        let Value::Array(data) = get(&v, "MetricData") else {
            panic!()
        };
        assert_eq!(get(&data[0], "MetricName"), &s("a b"));
        assert_eq!(get(&data[1], "MetricName"), &s("b"));
        assert_eq!(
            get(&data[0], "Values"),
            &Value::Array(vec![s("1.5"), s("2")])
        );
    }

    #[test]
    fn maps_and_empty_values() {
        let v = decode_query(b"Tags.entry.1.key=k&Tags.entry.1.value=v&Empty=").unwrap();
        assert_eq!(
            get(&v, "Tags"),
            &Value::Map(vec![(Cow::Owned("k".into()), s("v"))])
        );
        assert_eq!(get(&v, "Empty"), &s(""));
    }

    #[test]
    fn malformed() {
        assert!(decode_query(b"A=1&A=2").is_err());
        assert!(decode_query(b"L.member.0=1").is_err());
        assert!(decode_query(b"L.member.x=1").is_err());
        assert!(decode_query(b"A=%zz").is_err());
        assert!(decode_query(b"A=1&A.B=2").is_err());
        assert!(decode_query(b"A..B=1").is_err());
        assert!(decode_query(&[0xff, 0xfe]).is_err());
        let deep = format!("{}=1", vec!["a"; 500].join("."));
        assert!(decode_query(deep.as_bytes()).is_err());
    }
}
