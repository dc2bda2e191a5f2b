//! Checking a decoded [`Value`] against a static schema, the way AWS's Coral front end does.
//!
//! Two passes, as in Coral:
//!
//! 1. **Types**, in document order, stopping at the first mismatch with a
//!    [`WireError::Serialization`] whose text is Coral's (Java class names and all). Members the
//!    schema does not know, and nulls, are dropped. Blobs are base64-decoded here, once, into
//!    the `Vec` that [`Input::blob`] hands out; numbers are floored and clamped; timestamps are
//!    normalised to epoch milliseconds.
//! 2. **Constraints**, in schema order: missing required members, then each member's pattern,
//!    length, range and enum checks, collecting at most ten errors into one
//!    [`WireError::Validation`].
//!
//! Error paths name members with a lower-case first letter; an element of a list is
//! `<list>.<n>.member` with `n` counted from 1 and an entry of a map `<map>.<key>.member`
//! (`records.1.member.partitionKey`), which is what AWS prints. Constraints on the elements
//! of a list of scalars are reported once, against the whole list
//! (`Member must satisfy constraint: [...]`), as AWS does.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use crate::{Encoding, Member, Shape, Value, WireError, decode};

pub(crate) const LIST_START: &str = "Start of list found where not expected";
const STRUCT_START: &str = "Start of structure or map found where not expected.";
const NUMBER_CLASS: &str = "class com.amazon.coral.value.json.numbers.TruncatingBigNumber";

/// AWS stops collecting constraint errors after this many.
const MAX_ERRORS: usize = 10;

/// A validated member value.
#[derive(Debug, Clone)]
pub enum Item<'a> {
    /// A [`Shape::String`], borrowed from the body when it had no escapes.
    Str(Cow<'a, str>),
    /// A [`Shape::Integer`] or [`Shape::Long`], floored and clamped.
    Int(i64),
    /// A [`Shape::Double`].
    Float(f64),
    /// A [`Shape::Boolean`].
    Bool(bool),
    /// A [`Shape::Blob`], decoded.
    Blob(Vec<u8>),
    /// A [`Shape::Timestamp`] in epoch milliseconds.
    Timestamp(i64),
    /// A [`Shape::List`] of anything but structures (null elements dropped).
    List(Vec<Item<'a>>),
    /// A [`Shape::List`] of structures (null elements dropped), kept apart so that
    /// [`Input::list`] can hand out a slice of [`Input`]s.
    Structures(Vec<Input<'a>>),
    /// A [`Shape::Map`], entries in document order (null values dropped).
    Map(Vec<(Cow<'a, str>, Item<'a>)>),
    /// A [`Shape::Structure`].
    Structure(Input<'a>),
}

impl<'a> Item<'a> {
    /// The text of a string item.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Item::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value of an integer item.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Item::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The value of a double item.
    pub fn as_float(&self) -> Option<f64> {
        match self {
            Item::Float(f) => Some(*f),
            _ => None,
        }
    }

    /// The value of a boolean item.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Item::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The decoded bytes of a blob item.
    pub fn as_blob(&self) -> Option<&[u8]> {
        match self {
            Item::Blob(b) => Some(b),
            _ => None,
        }
    }

    /// The epoch milliseconds of a timestamp item.
    pub fn as_timestamp_ms(&self) -> Option<i64> {
        match self {
            Item::Timestamp(ms) => Some(*ms),
            _ => None,
        }
    }

    /// The structure of a structure item.
    pub fn as_structure(&self) -> Option<&Input<'a>> {
        match self {
            Item::Structure(s) => Some(s),
            _ => None,
        }
    }
}

/// A validated structure: the request itself, or a structure inside it.
///
/// Getters take the member name as the schema spells it (`"StreamName"`) and return `None`
/// when the member is absent, unknown to the schema, or of another type. Lookup is a linear
/// scan of the schema's members, which for AWS's small structures beats hashing.
#[derive(Clone)]
pub struct Input<'a> {
    members: &'static [Member],
    // One slot per schema member, in schema order.
    fields: Vec<Option<Item<'a>>>,
}

impl<'a> Input<'a> {
    fn index(&self, name: &str) -> Option<usize> {
        self.members.iter().position(|m| m.name == name)
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Option<Item<'a>>> {
        let i = self.index(name)?;
        self.fields.get_mut(i)
    }

    /// The schema this structure was validated against.
    pub fn members(&self) -> &'static [Member] {
        self.members
    }

    /// The members present, in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Item<'a>)> + '_ {
        self.members
            .iter()
            .zip(&self.fields)
            .filter_map(|(m, f)| f.as_ref().map(|f| (m.name, f)))
    }

    /// A member's value, whatever its type.
    pub fn get(&self, name: &str) -> Option<&Item<'a>> {
        self.fields.get(self.index(name)?)?.as_ref()
    }

    /// Whether a member is present (and was not null).
    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// A string member.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name)?.as_str()
    }

    /// An integer or long member.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_int()
    }

    /// A double member.
    pub fn float(&self, name: &str) -> Option<f64> {
        self.get(name)?.as_float()
    }

    /// A boolean member.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.get(name)?.as_bool()
    }

    /// A blob member's decoded bytes.
    pub fn blob(&self, name: &str) -> Option<&[u8]> {
        self.get(name)?.as_blob()
    }

    /// Moves a blob member's bytes out (leaving the member absent), so that record data can
    /// be stored without a copy.
    pub fn take_blob(&mut self, name: &str) -> Option<Vec<u8>> {
        let slot = self.slot_mut(name)?;
        match slot.take() {
            Some(Item::Blob(bytes)) => Some(bytes),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// A timestamp member in epoch milliseconds.
    pub fn timestamp_ms(&self, name: &str) -> Option<i64> {
        self.get(name)?.as_timestamp_ms()
    }

    /// A list-of-structures member (e.g. PutRecords' `Records`).
    pub fn list(&self, name: &str) -> Option<&[Input<'a>]> {
        match self.get(name)? {
            Item::Structures(inputs) => Some(inputs),
            _ => None,
        }
    }

    /// Moves a list-of-structures member out (leaving the member absent).
    pub fn take_list(&mut self, name: &str) -> Option<Vec<Input<'a>>> {
        let slot = self.slot_mut(name)?;
        match slot.take() {
            Some(Item::Structures(inputs)) => Some(inputs),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// A list-of-scalars member's elements.
    pub fn items(&self, name: &str) -> Option<&[Item<'a>]> {
        match self.get(name)? {
            Item::List(items) => Some(items),
            _ => None,
        }
    }

    /// A list-of-strings member (e.g. `TagKeys`).
    pub fn str_list(&self, name: &str) -> Option<Vec<&str>> {
        Some(self.items(name)?.iter().filter_map(Item::as_str).collect())
    }

    /// A map member's entries, in document order.
    pub fn map(&self, name: &str) -> Option<&[(Cow<'a, str>, Item<'a>)]> {
        match self.get(name)? {
            Item::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A string-to-string map member (e.g. `Tags`), in document order.
    pub fn map_str(&self, name: &str) -> Option<Vec<(&str, &str)>> {
        let entries = self.map(name)?;
        Some(
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_ref(), v.as_str()?)))
                .collect(),
        )
    }

    /// A nested structure member.
    pub fn structure(&self, name: &str) -> Option<&Input<'a>> {
        self.get(name)?.as_structure()
    }
}

impl fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Type-checks and constraint-checks a decoded request against `members`.
///
/// `enc` is the encoding the value came from: it decides how blobs and timestamps are read.
pub fn validate<'a>(
    value: Value<'a>,
    members: &'static [Member],
    enc: Encoding,
) -> Result<Input<'a>, WireError> {
    let input = match value {
        Value::Map(entries) => structure(entries, members, enc, &Path::Root)?,
        other => return Err(type_error(&other, &Shape::Structure(members))),
    };
    let mut checks = Checks::default();
    checks.structure(&input, &Path::Root);
    checks.finish()?;
    Ok(input)
}

/// [`decode`] then [`validate`]: a request body straight to a checked [`Input`].
pub fn parse<'a>(
    enc: Encoding,
    body: &'a [u8],
    members: &'static [Member],
) -> Result<Input<'a>, WireError> {
    validate(decode(enc, body)?, members, enc)
}

// ---- pass 1: types ----

// Each step carries the path it is at, so that a query parameter that does not convert can be
// named in the error; JSON and CBOR errors do not print it, and it costs them nothing more than
// a reference on the stack.
fn structure<'a>(
    entries: Vec<(Cow<'a, str>, Value<'a>)>,
    members: &'static [Member],
    enc: Encoding,
    path: &Path<'_>,
) -> Result<Input<'a>, WireError> {
    let mut fields = Vec::with_capacity(members.len());
    fields.resize_with(members.len(), || None);
    for (key, value) in entries {
        let found = members
            .iter()
            .zip(fields.iter_mut())
            .find(|(m, _)| m.name == key);
        let Some((member, slot)) = found else {
            continue; // AWS ignores members it does not know
        };
        // A repeated key overwrites, and a later null clears, as a JSON object would.
        *slot = convert(value, member.shape, enc, &Path::Member(path, member.name))?;
    }
    Ok(Input { members, fields })
}

fn convert<'a>(
    value: Value<'a>,
    shape: &'static Shape,
    enc: Encoding,
    path: &Path<'_>,
) -> Result<Option<Item<'a>>, WireError> {
    let item = match (shape, value) {
        (_, Value::Null) => return Ok(None),
        // The query protocol sends every scalar as text; the schema says what it must be.
        (_, Value::Str(s)) if enc == Encoding::Query && !matches!(shape, Shape::String { .. }) => {
            return query_scalar(s, shape, enc, path);
        }
        (Shape::String { .. }, Value::Str(s)) => Item::Str(s),
        (Shape::Integer { .. }, Value::Int(n)) => Item::Int(saturate(n.min(i32::MAX.into()))),
        (Shape::Integer { .. }, Value::Float(f)) => {
            // `as` saturates and sends NaN to 0, so no float can panic here.
            Item::Int((f.floor() as i64).min(i32::MAX.into()))
        }
        (Shape::Long { .. }, Value::Int(n)) => Item::Int(saturate(n)),
        (Shape::Long { .. }, Value::Float(f)) => Item::Int(f.floor() as i64),
        (Shape::Double { .. }, Value::Int(n)) => Item::Float(n as f64),
        (Shape::Double { .. }, Value::Float(f)) => Item::Float(f),
        (Shape::Boolean, Value::Bool(b)) => Item::Bool(b),
        (Shape::Blob { .. }, Value::Bytes(b)) => Item::Blob(b.into_owned()),
        // JSON's only blob form; CBOR senders that base64 anyway are accepted too.
        (Shape::Blob { .. }, Value::Str(s)) => Item::Blob(base64_blob(&s)?),
        (Shape::Timestamp, Value::Int(n)) => Item::Timestamp(match enc {
            Encoding::Json | Encoding::RpcV2Cbor | Encoding::Query => {
                saturate(n.saturating_mul(1000))
            }
            Encoding::Cbor => saturate(n),
        }),
        (Shape::Timestamp, Value::Float(f)) => Item::Timestamp(match enc {
            // Rounded, not floored: 1700000000.123 * 1000 is 1700000000122.9998.
            Encoding::Json | Encoding::RpcV2Cbor | Encoding::Query => (f * 1000.0).round() as i64,
            Encoding::Cbor => f.round() as i64,
        }),
        // AWS JSON 1.0 sends non-finite doubles as strings.
        (Shape::Double { .. }, Value::Str(s))
            if enc == Encoding::Json && non_finite(&s).is_some() =>
        {
            Item::Float(non_finite(&s).unwrap_or(f64::NAN))
        }
        (Shape::List { member, .. }, Value::Array(items)) => list(items, member, enc, path)?,
        (Shape::Map { value: shape, .. }, Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for (n, (key, value)) in entries.into_iter().enumerate() {
                if let Some(item) = convert(value, shape, enc, &Path::Entry(path, n))? {
                    out.push((key, item));
                }
            }
            Item::Map(out)
        }
        (Shape::Structure(members), Value::Map(entries)) => {
            Item::Structure(structure(entries, members, enc, path)?)
        }
        (shape, value) => return Err(type_error(&value, shape)),
    };
    Ok(Some(item))
}

fn list<'a>(
    items: Vec<Value<'a>>,
    member: &'static Shape,
    enc: Encoding,
    path: &Path<'_>,
) -> Result<Item<'a>, WireError> {
    if let Shape::Structure(members) = member {
        let mut out = Vec::with_capacity(items.len());
        for (n, value) in items.into_iter().enumerate() {
            match value {
                Value::Null => {}
                Value::Map(entries) => {
                    out.push(structure(entries, members, enc, &Path::Index(path, n))?)
                }
                Value::Str(s) if enc == Encoding::Query => {
                    return Err(invalid_query(&s, &Path::Index(path, n)));
                }
                other => return Err(type_error(&other, member)),
            }
        }
        Ok(Item::Structures(out))
    } else {
        let mut out = Vec::with_capacity(items.len());
        for (n, value) in items.into_iter().enumerate() {
            if let Some(item) = convert(value, member, enc, &Path::Index(path, n))? {
                out.push(item);
            }
        }
        Ok(Item::List(out))
    }
}

fn saturate(n: i128) -> i64 {
    n.clamp(i64::MIN.into(), i64::MAX.into()) as i64
}

/// Coral's message for a value of the wrong type. `value` is never null.
fn type_error(value: &Value<'_>, shape: &Shape) -> WireError {
    let scalar = |target: &str| match value {
        Value::Bool(_) => format!("class java.lang.Boolean can not be converted to {target}"),
        Value::Int(_) | Value::Float(_) => {
            format!("{NUMBER_CLASS} can not be converted to {target}")
        }
        Value::Str(_) => format!("class java.lang.String can not be converted to {target}"),
        Value::Array(_) => LIST_START.to_owned(),
        // kinesalite reports a CBOR byte string like an object; nothing better is known.
        Value::Map(_) | Value::Bytes(_) | Value::Null => STRUCT_START.to_owned(),
    };
    let message = match shape {
        Shape::String { .. } => scalar("an String"),
        Shape::Integer { .. } => scalar("an Integer"),
        Shape::Long { .. } => scalar("an Long"),
        Shape::Double { .. } => scalar("an Double"),
        Shape::Boolean => match value {
            // Coral quotes the string upper-cased.
            Value::Str(s) => format!("'{}' can not be converted to an Boolean", s.to_uppercase()),
            _ => scalar("an Boolean"),
        },
        Shape::Blob { .. } => scalar("a Blob"),
        Shape::Timestamp => scalar("milliseconds since epoch"),
        Shape::List { .. } => match value {
            Value::Map(_) => STRUCT_START.to_owned(),
            _ => "Expected list or null".to_owned(),
        },
        Shape::Map { .. } => match value {
            Value::Array(_) => LIST_START.to_owned(),
            _ => "Expected map or null".to_owned(),
        },
        Shape::Structure(_) => match value {
            Value::Array(_) => LIST_START.to_owned(),
            _ => "Expected null".to_owned(),
        },
    };
    WireError::Serialization(message)
}

/// Converts one query-protocol text value to the type its shape wants, or fails with
/// [`INVALID_QUERY_VALUE`](crate::INVALID_QUERY_VALUE) naming the parameter.
///
/// Integers are decimal; like Coral's JSON numbers, a fraction is floored and an Integer
/// above `i32::MAX` clamped. Doubles take the usual float syntax (`1.5`, `1e-05`, `1.0E-5`,
/// `.5`) and Java's `NaN`, `Infinity` and `-Infinity` (the service decides whether those are
/// acceptable). Booleans are `true` or `false`. Timestamps are ISO 8601 only: AWS rejects
/// epoch numbers in the query protocol. `X=` is an empty list or map.
fn query_scalar<'a>(
    s: Cow<'a, str>,
    shape: &'static Shape,
    enc: Encoding,
    path: &Path<'_>,
) -> Result<Option<Item<'a>>, WireError> {
    let item = match shape {
        Shape::Integer { .. } | Shape::Long { .. } => {
            let n = query_integer(&s).ok_or_else(|| invalid_query(&s, path))?;
            if matches!(shape, Shape::Integer { .. }) {
                Item::Int(n.min(i32::MAX.into()))
            } else {
                Item::Int(n)
            }
        }
        Shape::Double { .. } => {
            Item::Float(query_double(&s).ok_or_else(|| invalid_query(&s, path))?)
        }
        Shape::Boolean => match s.as_ref() {
            "true" => Item::Bool(true),
            "false" => Item::Bool(false),
            _ => return Err(invalid_query(&s, path)),
        },
        Shape::Timestamp => {
            Item::Timestamp(crate::time::parse_iso8601(&s).ok_or_else(|| invalid_query(&s, path))?)
        }
        Shape::Blob { .. } => Item::Blob(base64_blob(&s)?),
        // `Name=` with nothing after it is how the query protocol sends an empty list or map.
        Shape::List { member, .. } if s.is_empty() => list(Vec::new(), member, enc, path)?,
        Shape::Map { .. } if s.is_empty() => Item::Map(Vec::new()),
        Shape::Structure(_) | Shape::List { .. } | Shape::Map { .. } => {
            return Err(invalid_query(&s, path));
        }
        Shape::String { .. } => Item::Str(s),
    };
    Ok(Some(item))
}

fn invalid_query(text: &str, path: &Path<'_>) -> WireError {
    let mut name = String::new();
    path.render_query(&mut name);
    crate::query::invalid_query_value(text, &name)
}

/// A query Integer or Long: decimal, or a finite float floored.
fn query_integer(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    float_syntax(s)
        .then(|| s.parse::<f64>().ok())
        .flatten()
        .filter(|f| f.is_finite())
        .map(|f| f.floor() as i64)
}

/// A query Double: float syntax, or Java's spellings of the non-finite values.
fn query_double(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        // Rust's parser alone would also take `inf` and `nan`.
        _ if float_syntax(s) => s.parse().ok(),
        _ => None,
    }
}

/// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
fn float_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The value of JSON 1.0's spellings of the non-finite doubles.
fn non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Decodes a JSON blob. The base64 engine accepts exactly the canonical encodings Coral
/// accepts, so the slower diagnosis below runs only for bad input.
fn base64_blob(text: &str) -> Result<Vec<u8>, WireError> {
    // SIMD decoding: record data is most of a PutRecords body.
    base64_simd::STANDARD
        .decode_to_vec(text)
        .map_err(|_| blob_error(text))
}

fn blob_error(text: &str) -> WireError {
    // Java (like JavaScript) measures strings in UTF-16 units.
    let units = if text.is_ascii() {
        text.len()
    } else {
        text.encode_utf16().count()
    };
    let detail = if units % 4 != 0 {
        format!("Base64 encoded length is expected a multiple of 4 bytes but found: {units}")
    } else if let Some(c) = first_bad_base64_char(text) {
        format!("Invalid Base64 character: '{c}'")
    } else {
        // Right alphabet and length but not canonical: non-zero bits in the last symbol, or
        // three or four padding characters. ("dectected" is AWS's spelling.)
        "Invalid last non-pad Base64 character dectected".to_owned()
    };
    WireError::Serialization(format!("'{text}' can not be converted to a Blob: {detail}"))
}

/// The first character outside the base64 alphabet, or a `=` followed by anything but `=`.
fn first_bad_base64_char(text: &str) -> Option<char> {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '=') {
            return Some(c);
        }
        if c == '=' && chars.peek().is_some_and(|&next| next != '=') {
            return Some('=');
        }
    }
    None
}

// ---- pass 2: constraints ----

/// Where a value sits, built on the stack as the check descends and rendered only when a
/// check fails, so valid requests never pay for path strings.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Member(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
    Key(&'p Path<'p>, &'p str),
    /// The value of a map's entry by position (the type pass, which names query parameters).
    Entry(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn render(&self, out: &mut String) {
        match *self {
            Path::Root => {}
            Path::Member(parent, name) => {
                parent.render(out);
                if !matches!(parent, Path::Root) {
                    out.push('.');
                }
                lower_first(name, out);
            }
            Path::Index(parent, i) | Path::Entry(parent, i) => {
                parent.render(out);
                let _ = write!(out, ".{}", i + 1);
            }
            Path::Key(parent, key) => {
                parent.render(out);
                out.push('.');
                out.push_str(key);
            }
        }
    }

    /// The query parameter's name: `MetricData.member.1.Dimensions.member.2.Value`,
    /// `Tags.entry.1.value`.
    fn render_query(&self, out: &mut String) {
        match *self {
            Path::Root => {}
            Path::Member(parent, name) | Path::Key(parent, name) => {
                parent.render_query(out);
                if !matches!(parent, Path::Root) {
                    out.push('.');
                }
                out.push_str(name);
            }
            Path::Index(parent, i) => {
                parent.render_query(out);
                let _ = write!(out, ".member.{}", i + 1);
            }
            Path::Entry(parent, i) => {
                parent.render_query(out);
                let _ = write!(out, ".entry.{}.value", i + 1);
            }
        }
    }
}

fn lower_first(name: &str, out: &mut String) {
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
}

#[derive(Default)]
struct Checks {
    errors: Vec<String>,
}

impl Checks {
    fn finish(self) -> Result<(), WireError> {
        let n = self.errors.len();
        if n == 0 {
            return Ok(());
        }
        let plural = if n == 1 { "" } else { "s" };
        Err(WireError::Validation(format!(
            "{n} validation error{plural} detected: {}",
            self.errors.join("; ")
        )))
    }

    fn full(&self) -> bool {
        self.errors.len() >= MAX_ERRORS
    }

    /// Records one failed constraint; `value` is `None` for a missing member.
    fn fail(&mut self, path: &Path<'_>, value: Option<&Item<'_>>, shape: &Shape, what: &str) {
        if self.full() {
            return;
        }
        let mut e = String::from("Value ");
        match value {
            None => e.push_str("null"),
            Some(item) => {
                e.push('\'');
                show(item, shape, &mut e);
                e.push('\'');
            }
        }
        e.push_str(" at '");
        path.render(&mut e);
        e.push_str("' failed to satisfy constraint: ");
        e.push_str(what);
        self.errors.push(e);
    }

    fn structure(&mut self, input: &Input<'_>, path: &Path<'_>) {
        for (member, field) in input.members.iter().zip(&input.fields) {
            if self.full() {
                return;
            }
            let here = Path::Member(path, member.name);
            match field {
                Some(item) => self.item(&here, item, member.shape),
                None if member.required => {
                    self.fail(&here, None, member.shape, "Member must not be null")
                }
                None => {}
            }
        }
    }

    fn item(&mut self, path: &Path<'_>, item: &Item<'_>, shape: &Shape) {
        match (shape, item) {
            (
                Shape::String {
                    min_len,
                    max_len,
                    pattern,
                    enum_values,
                },
                Item::Str(s),
            ) => {
                if let Some(p) = pattern.filter(|p| !(p.matches)(s)) {
                    let what =
                        format!("Member must satisfy regular expression pattern: {}", p.text);
                    self.fail(path, Some(item), shape, &what);
                }
                if min_len.is_some() || max_len.is_some() {
                    self.length(path, item, shape, s.chars().count(), *min_len, *max_len);
                }
                if !enum_values.is_empty() && !enum_values.contains(&s.as_ref()) {
                    self.fail(path, Some(item), shape, &enum_text(enum_values));
                }
            }
            (Shape::Integer { min, max } | Shape::Long { min, max }, Item::Int(n)) => {
                self.range(path, item, shape, *n, *min, *max);
            }
            (Shape::Double { min, max }, Item::Float(f)) => {
                self.range(path, item, shape, *f, *min, *max);
            }
            (Shape::Blob { min_len, max_len }, Item::Blob(b)) => {
                self.length(path, item, shape, b.len(), *min_len, *max_len);
            }
            (
                Shape::List {
                    member,
                    min_len,
                    max_len,
                    ..
                },
                Item::List(items),
            ) => {
                self.length(path, item, shape, items.len(), *min_len, *max_len);
                if is_scalar(member) {
                    let all_ok = items.iter().all(|i| scalar_ok(i, member));
                    if !all_ok {
                        let what =
                            format!("Member must satisfy constraint: [{}]", scalar_text(member));
                        self.fail(path, Some(item), shape, &what);
                    }
                } else {
                    for (n, element) in items.iter().enumerate() {
                        if self.full() {
                            return;
                        }
                        let index = Path::Index(path, n);
                        self.item(&Path::Member(&index, "member"), element, member);
                    }
                }
            }
            (
                Shape::List {
                    min_len, max_len, ..
                },
                Item::Structures(inputs),
            ) => {
                self.length(path, item, shape, inputs.len(), *min_len, *max_len);
                for (n, input) in inputs.iter().enumerate() {
                    if self.full() {
                        return;
                    }
                    let index = Path::Index(path, n);
                    self.structure(input, &Path::Member(&index, "member"));
                }
            }
            (
                Shape::Map {
                    key,
                    value,
                    min_len,
                    max_len,
                },
                Item::Map(entries),
            ) => {
                self.length(path, item, shape, entries.len(), *min_len, *max_len);
                let keys_ok = entries.iter().all(|(k, _)| str_ok(k, key));
                if !keys_ok {
                    let what = format!("Map keys must satisfy constraint: [{}]", scalar_text(key));
                    self.fail(path, Some(item), shape, &what);
                }
                if is_scalar(value) {
                    if !entries.iter().all(|(_, v)| scalar_ok(v, value)) {
                        let what = format!(
                            "Map value must satisfy constraint: [{}]",
                            scalar_text(value)
                        );
                        self.fail(path, Some(item), shape, &what);
                    }
                } else {
                    for (k, v) in entries {
                        if self.full() {
                            return;
                        }
                        let at = Path::Key(path, k);
                        self.item(&Path::Member(&at, "member"), v, value);
                    }
                }
            }
            (Shape::Structure(_), Item::Structure(input)) => self.structure(input, path),
            // Booleans and timestamps have no constraints; other pairs cannot come out of
            // pass 1.
            _ => {}
        }
    }

    fn length(
        &mut self,
        path: &Path<'_>,
        item: &Item<'_>,
        shape: &Shape,
        len: usize,
        min: Option<usize>,
        max: Option<usize>,
    ) {
        if let Some(min) = min.filter(|&min| len < min) {
            let what = format!("Member must have length greater than or equal to {min}");
            self.fail(path, Some(item), shape, &what);
        }
        if let Some(max) = max.filter(|&max| len > max) {
            let what = format!("Member must have length less than or equal to {max}");
            self.fail(path, Some(item), shape, &what);
        }
    }

    fn range<T: PartialOrd + fmt::Display + Copy>(
        &mut self,
        path: &Path<'_>,
        item: &Item<'_>,
        shape: &Shape,
        value: T,
        min: Option<T>,
        max: Option<T>,
    ) {
        if let Some(min) = min.filter(|&min| value < min) {
            let what = format!("Member must have value greater than or equal to {min}");
            self.fail(path, Some(item), shape, &what);
        }
        if let Some(max) = max.filter(|&max| value > max) {
            let what = format!("Member must have value less than or equal to {max}");
            self.fail(path, Some(item), shape, &what);
        }
    }
}

fn is_scalar(shape: &Shape) -> bool {
    !matches!(
        shape,
        Shape::List { .. } | Shape::Map { .. } | Shape::Structure(_)
    )
}

fn in_len(len: usize, min: Option<usize>, max: Option<usize>) -> bool {
    min.is_none_or(|min| len >= min) && max.is_none_or(|max| len <= max)
}

fn in_range<T: PartialOrd>(value: T, min: Option<T>, max: Option<T>) -> bool {
    min.is_none_or(|min| value >= min) && max.is_none_or(|max| value <= max)
}

/// Whether `text` passes every check of a string shape (any other shape passes it).
fn str_ok(text: &str, shape: &Shape) -> bool {
    match shape {
        Shape::String {
            min_len,
            max_len,
            pattern,
            enum_values,
        } => {
            pattern.is_none_or(|p| (p.matches)(text))
                && (min_len.is_none() && max_len.is_none()
                    || in_len(text.chars().count(), *min_len, *max_len))
                && (enum_values.is_empty() || enum_values.contains(&text))
        }
        _ => true,
    }
}

/// Whether a list element or map value passes every check of its scalar shape.
fn scalar_ok(item: &Item<'_>, shape: &Shape) -> bool {
    match (shape, item) {
        (Shape::String { .. }, Item::Str(s)) => str_ok(s, shape),
        (Shape::Integer { min, max } | Shape::Long { min, max }, Item::Int(n)) => {
            in_range(*n, *min, *max)
        }
        (Shape::Double { min, max }, Item::Float(f)) => in_range(*f, *min, *max),
        (Shape::Blob { min_len, max_len }, Item::Blob(b)) => in_len(b.len(), *min_len, *max_len),
        _ => true,
    }
}

/// The constraints of a scalar shape as AWS lists them inside `[...]`: upper bound first.
fn scalar_text(shape: &Shape) -> String {
    fn bounds<T: fmt::Display>(
        parts: &mut Vec<String>,
        kind: &str,
        min: Option<T>,
        max: Option<T>,
    ) {
        if let Some(max) = max {
            parts.push(format!(
                "Member must have {kind} less than or equal to {max}"
            ));
        }
        if let Some(min) = min {
            parts.push(format!(
                "Member must have {kind} greater than or equal to {min}"
            ));
        }
    }
    let mut parts = Vec::new();
    match shape {
        Shape::String {
            min_len,
            max_len,
            pattern,
            enum_values,
        } => {
            bounds(&mut parts, "length", *min_len, *max_len);
            if let Some(p) = pattern {
                parts.push(format!(
                    "Member must satisfy regular expression pattern: {}",
                    p.text
                ));
            }
            if !enum_values.is_empty() {
                parts.push(enum_text(enum_values));
            }
        }
        Shape::Integer { min, max } | Shape::Long { min, max } => {
            bounds(&mut parts, "value", *min, *max)
        }
        Shape::Double { min, max } => bounds(&mut parts, "value", *min, *max),
        Shape::Blob { min_len, max_len } => bounds(&mut parts, "length", *min_len, *max_len),
        _ => {}
    }
    parts.join(", ")
}

fn enum_text(values: &[&str]) -> String {
    format!(
        "Member must satisfy enum value set: [{}]",
        values.join(", ")
    )
}

/// Prints a value the way AWS quotes it in a constraint error (Java's `toString`).
fn show(item: &Item<'_>, shape: &Shape, out: &mut String) {
    match item {
        Item::Str(s) => out.push_str(s),
        Item::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Item::Float(f) => {
            let _ = write!(out, "{f}");
        }
        Item::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Item::Timestamp(ms) => {
            let _ = write!(out, "{ms}");
        }
        Item::Blob(b) => {
            let _ = write!(
                out,
                "java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]",
                b.len()
            );
        }
        Item::List(items) => {
            let (member, member_str) = match shape {
                Shape::List {
                    member, member_str, ..
                } => (*member, *member_str),
                _ => (shape, None),
            };
            out.push('[');
            for (n, element) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                match member_str {
                    Some(text) => out.push_str(text),
                    None => show(element, member, out),
                }
            }
            out.push(']');
        }
        Item::Structures(inputs) => {
            let member_str = match shape {
                Shape::List { member_str, .. } => *member_str,
                _ => None,
            };
            out.push('[');
            for (n, input) in inputs.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                match member_str {
                    Some(text) => out.push_str(text),
                    None => show_structure(input, out),
                }
            }
            out.push(']');
        }
        Item::Map(entries) => {
            let value_shape = match shape {
                Shape::Map { value, .. } => *value,
                _ => shape,
            };
            out.push('{');
            for (n, (key, value)) in entries.iter().enumerate() {
                if n > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                show(value, value_shape, out);
            }
            out.push('}');
        }
        Item::Structure(input) => show_structure(input, out),
    }
}

/// The AWS SDK for Java's model `toString`: `{StreamName: a,ShardCount: 1}`.
fn show_structure(input: &Input<'_>, out: &mut String) {
    out.push('{');
    let mut first = true;
    for (member, field) in input.members.iter().zip(&input.fields) {
        let Some(item) = field else { continue };
        if !first {
            out.push(',');
        }
        first = false;
        out.push_str(member.name);
        out.push_str(": ");
        show(item, member.shape, out);
    }
    out.push('}');
}
