//! Static request schemas: what members an operation takes and what each must satisfy.
//!
//! Schemas are plain `static`/`const` data so that an operation's input shape costs nothing at
//! run time. The order of a structure's members is the order in which constraint errors are
//! reported, so list them the way AWS does (kinesalite's `validations/*.js` key order).

/// A named regular expression, matched by a hand-written function (this crate has no regex
/// engine). `text` is what AWS prints in "Member must satisfy regular expression pattern: ...".
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    /// The expression as AWS quotes it, e.g. `[a-zA-Z0-9_.-]+`.
    pub text: &'static str,
    /// Whether the whole string matches (the expression is implicitly anchored at both ends).
    pub matches: fn(&str) -> bool,
}

/// The type of a member and the constraints on its value.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Text. Lengths count Unicode scalar values, not bytes.
    String {
        /// Fewest characters allowed.
        min_len: Option<usize>,
        /// Most characters allowed.
        max_len: Option<usize>,
        /// A pattern the whole value must match.
        pattern: Option<&'static Pattern>,
        /// The allowed values; empty means any.
        enum_values: &'static [&'static str],
    },
    /// A 32-bit integer: fractional input is floored and values above `i32::MAX` are clamped,
    /// as Coral's number conversion does.
    Integer {
        /// Smallest value allowed.
        min: Option<i64>,
        /// Largest value allowed.
        max: Option<i64>,
    },
    /// A 64-bit integer: fractional input is floored.
    Long {
        /// Smallest value allowed.
        min: Option<i64>,
        /// Largest value allowed.
        max: Option<i64>,
    },
    /// A floating-point number (CloudWatch values).
    Double {
        /// Smallest value allowed.
        min: Option<f64>,
        /// Largest value allowed.
        max: Option<f64>,
    },
    /// `true` or `false`.
    Boolean,
    /// Raw bytes: base64 text in JSON, a byte string in CBOR. Lengths count decoded bytes.
    Blob {
        /// Fewest bytes allowed.
        min_len: Option<usize>,
        /// Most bytes allowed.
        max_len: Option<usize>,
    },
    /// A point in time: epoch seconds in JSON, epoch milliseconds in CBOR; kept as epoch ms.
    Timestamp,
    /// A list of `member`s.
    List {
        /// The shape of each element.
        member: &'static Shape,
        /// Fewest elements allowed.
        min_len: Option<usize>,
        /// Most elements allowed.
        max_len: Option<usize>,
        /// How AWS prints each element when it quotes the list in an error (a Java
        /// `Object.toString()` such as `com.amazonaws...PutRecordsRequestEntry@c965e310`);
        /// `None` prints the elements themselves.
        member_str: Option<&'static str>,
    },
    /// A map from string keys to `value`s.
    Map {
        /// The shape of each key (a [`Shape::String`]).
        key: &'static Shape,
        /// The shape of each value.
        value: &'static Shape,
        /// Fewest entries allowed.
        min_len: Option<usize>,
        /// Most entries allowed.
        max_len: Option<usize>,
    },
    /// A structure with the given members.
    Structure(&'static [Member]),
}

impl Shape {
    /// A string without constraints.
    pub const STRING: Shape = Shape::String {
        min_len: None,
        max_len: None,
        pattern: None,
        enum_values: &[],
    };
    /// An integer without constraints.
    pub const INTEGER: Shape = Shape::Integer {
        min: None,
        max: None,
    };
    /// A long without constraints.
    pub const LONG: Shape = Shape::Long {
        min: None,
        max: None,
    };
    /// A double without constraints.
    pub const DOUBLE: Shape = Shape::Double {
        min: None,
        max: None,
    };
    /// A blob without constraints.
    pub const BLOB: Shape = Shape::Blob {
        min_len: None,
        max_len: None,
    };
}

/// One member of a structure.
#[derive(Debug, Clone, Copy)]
pub struct Member {
    /// The name on the wire, e.g. `StreamName`; error paths print it with a lower-case first
    /// letter (`streamName`).
    pub name: &'static str,
    /// Its type and constraints.
    pub shape: &'static Shape,
    /// Whether a missing (or null) value is a "Member must not be null" error.
    pub required: bool,
}

impl Member {
    /// A member that must be present.
    pub const fn required(name: &'static str, shape: &'static Shape) -> Member {
        Member {
            name,
            shape,
            required: true,
        }
    }

    /// A member that may be absent.
    pub const fn optional(name: &'static str, shape: &'static Shape) -> Member {
        Member {
            name,
            shape,
            required: false,
        }
    }
}
