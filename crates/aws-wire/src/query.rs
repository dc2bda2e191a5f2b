//! The query protocol's requests: `application/x-www-form-urlencoded` bodies such as
//! `Action=PutMetricData&Version=2010-08-01&MetricData.member.1.Value=1.5`.
//!
//! The flat keys become the same [`Value`] tree the JSON and CBOR decoders produce, without
//! looking at any schema:
//!
//! - `.`-separated parts are nested structures (`MetricStat.Metric.Namespace`);
//! - `X.member.N` are the elements of list `X`, ordered by `N`;
//! - `X.entry.N.key` / `X.entry.N.value` are the entries of map `X`, ordered by `N`;
//! - every scalar stays a string, `X=` (empty) included: [`crate::validate`] converts it by the
//!   schema (`X=` is how clients send an empty list).
//!
//! Indexes are decimal without sign or leading zero, and a list's or map's indexes must be
//! exactly 1, 2, 3, ... in any order. **A gap is an error** (`member.1` and `member.3` alone),
//! as is **a key given twice** (the only way to repeat an index): clients never send either,
//! AWS's handling of them is not documented, and refusing them keeps every parameter name in
//! an error text the one the client sent. A key that is both a value and a prefix of other
//! keys (`A=1&A.B=2`), a map entry without both `key` and `value`, a bad `%XX` escape, text
//! that is not UTF-8 and more than [`MAX_DEPTH`] parts in one key are errors too. Every such
//! failure is a [`WireError::Serialization`]. `+` is a space. A structure member named
//! `member` or `entry` whose only child is indexed would read as a list or map; no AWS query
//! service has one (and at the top level both are ordinary names).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::{MAX_DEPTH, Value, WireError};

/// The message for a query parameter whose text does not convert to its member's type
/// (`Period=soon`, `Value=1,5`, `StartTime=yesterday`), with `{value}` and `{parameter}`
/// standing for the text as sent and the parameter's full name
/// (`MetricData.member.1.Value`).
///
/// This is CloudWatch's own wording for an unacceptable parameter value (AWS answers
/// `Value=NaN` with `The value NaN for parameter MetricData.member.1.Value is invalid.`);
/// the HTTP layer sends it as `InvalidParameterValue`. Which code and text AWS uses when the
/// text is not a number at all is not documented anywhere we could find; for a timestamp that
/// is not ISO 8601 it answers `MalformedInput` with `timestamp must follow ISO8601`.
pub const INVALID_QUERY_VALUE: &str = "The value {value} for parameter {parameter} is invalid.";

/// [`INVALID_QUERY_VALUE`] filled in.
pub(crate) fn invalid_query_value(value: &str, parameter: &str) -> WireError {
    let (before, rest) = INVALID_QUERY_VALUE
        .split_once("{value}")
        .unwrap_or((INVALID_QUERY_VALUE, ""));
    let (middle, after) = rest.split_once("{parameter}").unwrap_or((rest, ""));
    WireError::Serialization(format!("{before}{value}{middle}{parameter}{after}"))
}

/// A decoded query request: the operation and API version it names, and its other
/// parameters as a tree.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest<'a> {
    /// The `Action` parameter (the operation name), if given.
    pub action: Option<Cow<'a, str>>,
    /// The `Version` parameter (e.g. `2010-08-01`), if given.
    pub version: Option<Cow<'a, str>>,
    /// Every other parameter, as a [`Value::Map`] ready for [`crate::validate`] with
    /// [`crate::Encoding::Query`].
    pub params: Value<'a>,
}

/// Decodes a query request body, splitting off `Action` and `Version` (which are not members
/// of the operation's input). An empty body is a request with no parameters.
///
/// [`crate::decode`] with [`crate::Encoding::Query`] gives the same tree with `Action` and
/// `Version` left in. Errors are described in the module documentation.
///
/// ```
/// use aws_wire::{Encoding, Member, Shape, decode_query, validate};
///
/// static MEMBERS: [Member; 2] = [
///     Member::required("Namespace", &Shape::STRING),
///     Member::optional("Period", &Shape::INTEGER),
/// ];
/// let q = decode_query(b"Action=GetMetricStatistics&Version=2010-08-01&Namespace=My%2FApp&Period=60")?;
/// assert_eq!(q.action.as_deref(), Some("GetMetricStatistics"));
/// assert_eq!(q.version.as_deref(), Some("2010-08-01"));
/// let input = validate(q.params, &MEMBERS, Encoding::Query)?;
/// assert_eq!(input.str("Namespace"), Some("My/App"));
/// assert_eq!(input.int("Period"), Some(60));
///
/// let q = decode_query(b"Action=GetMetricStatistics&Namespace=n&Period=soon")?;
/// let err = validate(q.params, &MEMBERS, Encoding::Query).unwrap_err();
/// assert_eq!(err.message(), Some("The value soon for parameter Period is invalid."));
/// # Ok::<(), aws_wire::WireError>(())
/// ```
pub fn decode_query(body: &[u8]) -> Result<QueryRequest<'_>, WireError> {
    let mut root = parse_form(body)?;
    let mut take = |name: &str| match root.remove(name) {
        Some(Node::Leaf(s)) => Some(Cow::Owned(s)),
        Some(branch) => {
            // `Action.X=...`: not the operation's name; leave it for validation to ignore.
            root.insert(name.to_owned(), branch);
            None
        }
        None => None,
    };
    let action = take("Action");
    let version = take("Version");
    Ok(QueryRequest {
        action,
        version,
        params: fields(root, &mut String::new())?,
    })
}

/// The whole body as one tree, `Action` and `Version` included (what [`crate::decode`]
/// returns for the query encoding).
pub(crate) fn decode_form(body: &[u8]) -> Result<Value<'static>, WireError> {
    fields(parse_form(body)?, &mut String::new())
}

/// One node of the key tree while it is built.
#[derive(Debug)]
enum Node {
    Leaf(String),
    Branch(BTreeMap<String, Node>),
}

fn bad(message: String) -> WireError {
    WireError::Serialization(message)
}

fn parse_form(body: &[u8]) -> Result<BTreeMap<String, Node>, WireError> {
    let text =
        std::str::from_utf8(body).map_err(|_| bad("The request body is not UTF-8".into()))?;
    let mut root = BTreeMap::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        insert(&mut root, &percent_decode(k)?, percent_decode(v)?)?;
    }
    Ok(root)
}

/// Decodes `%XX` and `+` (a space) in one form component.
pub(crate) fn percent_decode(s: &str) -> Result<String, WireError> {
    if !s.contains(['%', '+']) {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = |at: usize| b.get(at).and_then(|&h| char::from(h).to_digit(16));
                let (Some(hi), Some(lo)) = (hex(i + 1), hex(i + 2)) else {
                    return Err(bad(format!("Invalid percent-encoding in '{s}'")));
                };
                // Two hex digits are at most 0xff.
                out.push((hi * 16 + lo) as u8);
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
        if i + 1 == parts.len() {
            if node.contains_key(*part) {
                return Err(bad(format!(
                    "Parameter '{key}' is given more than once, or also as a prefix of others"
                )));
            }
            node.insert((*part).to_owned(), Node::Leaf(value));
            return Ok(());
        }
        // Look up before inserting: most parts already exist, and a key costs an allocation.
        if !node.contains_key(*part) {
            node.insert((*part).to_owned(), Node::Branch(BTreeMap::new()));
        }
        match node.get_mut(*part) {
            None => return Err(bad(format!("Invalid parameter name '{key}'"))),
            Some(Node::Branch(map)) => node = map,
            Some(Node::Leaf(_)) => {
                return Err(bad(format!(
                    "Parameter '{key}' conflicts with a value given for a prefix of it"
                )));
            }
        }
    }
    Ok(())
}

/// A list or map index: decimal digits, no sign, no leading zero, at least 1.
fn index(part: &str, path: &str) -> Result<usize, WireError> {
    let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    match part.parse::<usize>() {
        Ok(n) if digits && n >= 1 && !part.starts_with('0') => Ok(n),
        _ => Err(bad(format!("Invalid index '{part}' in '{path}'"))),
    }
}

/// Builds the [`Value`] for `node`, found at `path` (used in error texts and restored on
/// return).
fn convert(node: Node, path: &mut String) -> Result<Value<'static>, WireError> {
    match node {
        Node::Leaf(s) => Ok(Value::Str(Cow::Owned(s))),
        Node::Branch(map)
            if map.len() == 1 && (map.contains_key("member") || map.contains_key("entry")) =>
        {
            indexed(map, path)
        }
        Node::Branch(map) => fields(map, path),
    }
}

/// A structure: its members by name.
fn fields(map: BTreeMap<String, Node>, path: &mut String) -> Result<Value<'static>, WireError> {
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        let at = path.len();
        if at > 0 {
            path.push('.');
        }
        path.push_str(&k);
        let value = convert(v, path)?;
        path.truncate(at);
        out.push((Cow::Owned(k), value));
    }
    Ok(Value::Map(out))
}

/// `member.N` (a list) or `entry.N` (a map), the one key of `map`.
fn indexed(map: BTreeMap<String, Node>, path: &mut String) -> Result<Value<'static>, WireError> {
    let Some((word, node)) = map.into_iter().next() else {
        return Ok(Value::Map(Vec::new()));
    };
    let at = path.len();
    path.push('.');
    path.push_str(&word);
    let Node::Branch(items) = node else {
        return Err(bad(format!("'{path}' needs an index")));
    };
    let mut ordered = Vec::with_capacity(items.len());
    for (k, v) in items {
        ordered.push((index(&k, path)?, k, v));
    }
    ordered.sort_unstable_by_key(|(n, _, _)| *n);
    // Distinct indexes (distinct keys), sorted: any gap shows as a mismatch.
    if let Some(missing) = ordered
        .iter()
        .enumerate()
        .find_map(|(i, (n, _, _))| (*n != i + 1).then_some(i + 1))
    {
        return Err(bad(format!(
            "'{path}.{missing}' is missing: indexes must run 1, 2, 3, ... without gaps"
        )));
    }
    let list = word == "member";
    let mut elements = Vec::new();
    let mut entries = Vec::new();
    for (_, k, v) in ordered {
        let here = path.len();
        path.push('.');
        path.push_str(&k);
        if list {
            elements.push(convert(v, path)?);
        } else {
            entries.push(entry(v, path)?);
        }
        path.truncate(here);
    }
    path.truncate(at);
    Ok(if list {
        Value::Array(elements)
    } else {
        Value::Map(entries)
    })
}

/// One `entry.N` of a map: a `key` leaf and a `value` of any shape.
fn entry(node: Node, path: &mut String) -> Result<(Cow<'static, str>, Value<'static>), WireError> {
    let missing = || bad(format!("Map entry '{path}' needs a key and a value"));
    let Node::Branch(mut kv) = node else {
        return Err(missing());
    };
    let (Some(Node::Leaf(key)), Some(value)) = (kv.remove("key"), kv.remove("value")) else {
        return Err(missing());
    };
    path.push_str(".value");
    let value = convert(value, path)?;
    Ok((Cow::Owned(key), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value<'static> {
        Value::Str(Cow::Owned(v.to_owned()))
    }

    fn get<'a, 'b>(v: &'a Value<'b>, key: &str) -> &'a Value<'b> {
        let Value::Map(entries) = v else {
            panic!("not a map: {v:?}")
        };
        &entries
            .iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .1
    }

    fn err(body: &str) -> String {
        match decode_form(body.as_bytes()) {
            Err(WireError::Serialization(m)) => m,
            other => panic!("{body}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn nested_lists_and_structures() {
        let body = b"Action=PutMetricData&Version=2010-08-01&Namespace=My%2FApp&MetricData.member.2.MetricName=b&MetricData.member.1.MetricName=a+b&MetricData.member.1.Dimensions.member.1.Name=Op&MetricData.member.1.Values.member.1=1.5&MetricData.member.1.Values.member.2=2";
        let v = decode_form(body).unwrap();
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
        let v = decode_form(b"Tags.entry.1.key=k&Tags.entry.1.value=v&Empty=").unwrap();
        assert_eq!(
            get(&v, "Tags"),
            &Value::Map(vec![(Cow::Owned("k".into()), s("v"))])
        );
        assert_eq!(get(&v, "Empty"), &s(""));
    }

    #[test]
    fn indexes_are_ordered_numerically() {
        let v = decode_form(b"L.member.10=j&L.member.2=b&L.member.1=a&L.member.3=c&L.member.4=d&L.member.5=e&L.member.6=f&L.member.7=g&L.member.8=h&L.member.9=i").unwrap();
        let expected: Vec<Value<'_>> = "abcdefghij".chars().map(|c| s(&c.to_string())).collect();
        assert_eq!(get(&v, "L"), &Value::Array(expected));
    }

    #[test]
    fn gaps_are_errors() {
        assert_eq!(
            err("X.L.member.1=a&X.L.member.3=c"),
            "'X.L.member.2' is missing: indexes must run 1, 2, 3, ... without gaps"
        );
        assert_eq!(
            err("L.member.2=b"),
            "'L.member.1' is missing: indexes must run 1, 2, 3, ... without gaps"
        );
        assert_eq!(
            err("M.entry.2.key=k&M.entry.2.value=v"),
            "'M.entry.1' is missing: indexes must run 1, 2, 3, ... without gaps"
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(
            err("A=1&A=2"),
            "Parameter 'A' is given more than once, or also as a prefix of others"
        );
        assert_eq!(err("L.member.0=1"), "Invalid index '0' in 'L.member'");
        for (sent, read) in [
            ("x", "x"),
            ("01", "01"),
            ("%2B1", "+1"),
            ("+1", " 1"),
            ("-1", "-1"),
            ("1e0", "1e0"),
            ("99999999999999999999999", "99999999999999999999999"),
        ] {
            let m = err(&format!("Outer.L.member.{sent}=1"));
            assert_eq!(m, format!("Invalid index '{read}' in 'Outer.L.member'"));
        }
        assert_eq!(
            err("M.entry.1.key=k&M.entry.0.key=j&M.entry.0.value=v"),
            "Invalid index '0' in 'M.entry'"
        );
        assert_eq!(
            err("M.entry.1.key=k"),
            "Map entry 'M.entry.1' needs a key and a value"
        );
        assert_eq!(
            err("M.entry.1=k"),
            "Map entry 'M.entry.1' needs a key and a value"
        );
        assert_eq!(err("L.member=1"), "'L.member' needs an index");
        assert_eq!(err("M.entry=1"), "'M.entry' needs an index");
        // At the top level `member` is an ordinary name.
        assert_eq!(
            get(&decode_form(b"member.1=x").unwrap(), "member"),
            &Value::Map(vec![(Cow::Borrowed("1"), s("x"))])
        );
        assert_eq!(err("A=%zz"), "Invalid percent-encoding in '%zz'");
        assert_eq!(err("A=%+f"), "Invalid percent-encoding in '%+f'");
        assert_eq!(err("A=%4"), "Invalid percent-encoding in '%4'");
        assert_eq!(err("A=%ff"), "Parameter '%ff' is not UTF-8");
        assert_eq!(
            err("A=1&A.B=2"),
            "Parameter 'A.B' conflicts with a value given for a prefix of it"
        );
        assert_eq!(
            err("A.B=2&A=1"),
            "Parameter 'A' is given more than once, or also as a prefix of others"
        );
        assert_eq!(err("A..B=1"), "Invalid parameter name 'A..B'");
        assert_eq!(err("=1"), "Invalid parameter name ''");
        assert!(decode_form(&[b'A', b'=', 0xff, 0xfe]).is_err());
        let deep = format!("{}=1", vec!["a"; MAX_DEPTH + 1].join("."));
        assert_eq!(
            err(&deep),
            format!("Invalid parameter name '{}'", &deep[..deep.len() - 2])
        );
        let fits = format!("{}=1", vec!["a"; MAX_DEPTH].join("."));
        assert!(decode_form(fits.as_bytes()).is_ok());
    }

    #[test]
    fn action_and_version_are_split_off() {
        let q = decode_query(b"Version=2010-08-01&Action=ListMetrics&Namespace=n").unwrap();
        assert_eq!(q.action.as_deref(), Some("ListMetrics"));
        assert_eq!(q.version.as_deref(), Some("2010-08-01"));
        assert_eq!(
            q.params,
            Value::Map(vec![(Cow::Borrowed("Namespace"), s("n"))])
        );
        let q = decode_query(b"").unwrap();
        assert_eq!((q.action, q.version), (None, None));
        assert_eq!(q.params, Value::Map(vec![]));
        // A structured `Action` names no operation.
        let q = decode_query(b"Action.X=1").unwrap();
        assert_eq!(q.action, None);
        assert!(matches!(get(&q.params, "Action"), Value::Map(_)));
    }

    #[test]
    fn invalid_value_text() {
        assert_eq!(
            invalid_query_value("1,5", "MetricData.member.1.Value"),
            WireError::Serialization(
                "The value 1,5 for parameter MetricData.member.1.Value is invalid.".into()
            )
        );
    }
}
