//! The member shapes many operations share, as botocore's Lambda model (`lambda/2015-03-31`)
//! defines them: names, qualifiers, ARNs, settings and their bounds.
//!
//! Patterns are matched with `regex-lite` against the whole value, as Java's `matches` does;
//! `text` is the expression as AWS prints it in "Member must satisfy regular expression
//! pattern: ...". Where AWS's expression uses look-ahead (alias names), the check is written
//! by hand.

use std::sync::LazyLock;

use aws_wire::{Member, Pattern, Shape};
use regex_lite::Regex;

/// A whole-value regular expression. The expressions are constants, so building one cannot
/// fail at run time; tests build every one of them.
fn whole(expr: &str) -> Regex {
    Regex::new(&format!("^(?:{expr})$")).unwrap_or_else(|e| panic!("pattern {expr}: {e}"))
}

macro_rules! pattern {
    ($name:ident, $aws:expr, $rust:expr) => {
        pub(crate) static $name: Pattern = Pattern {
            text: $aws,
            matches: |s| {
                static RE: LazyLock<Regex> = LazyLock::new(|| whole($rust));
                RE.is_match(s)
            },
        };
    };
}

pattern!(
    FUNCTION_NAME_PATTERN,
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?",
    r"(arn:(aws[a-zA-Z\-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9\-_]+)(:(\$LATEST|[a-zA-Z0-9\-_]+))?"
);
pattern!(
    NAMESPACED_FUNCTION_NAME_PATTERN,
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?",
    r"(arn:(aws[a-zA-Z\-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9\-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?"
);
pattern!(
    NUMERIC_QUALIFIER_PATTERN,
    r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+",
    r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9\-_$]+"
);
pattern!(
    QUALIFIER_PATTERN,
    r"(|[a-zA-Z0-9$_-]+)",
    r"(|[a-zA-Z0-9$_\-]+)"
);
pattern!(
    ROLE_PATTERN,
    r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+",
    r"arn:(aws[a-zA-Z\-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
);
pattern!(HANDLER_PATTERN, r"[^\s]+", r"[^\s]+");
pattern!(
    RESOURCE_ARN_PATTERN,
    r"(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()",
    r"(arn:(aws[a-zA-Z\-]*)?:[a-z0-9\-.]+:.*)|()"
);
pattern!(
    TAGGABLE_RESOURCE_PATTERN,
    r"arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)",
    r"arn:(aws[a-zA-Z\-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:(function:[a-zA-Z0-9\-_]+(:(\$LATEST|[a-zA-Z0-9\-_]+))?|code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9\-_]+)"
);
pattern!(
    ENV_NAME_PATTERN,
    r"[a-zA-Z]([a-zA-Z0-9_])+",
    r"[a-zA-Z]([a-zA-Z0-9_])+"
);
pattern!(
    ARN_PATTERN,
    r"arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)",
    r"arn:(aws[a-zA-Z0-9\-]*):([a-zA-Z0-9\-])+:([a-z]{2}(-gov)?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
);
pattern!(
    DESTINATION_ARN_PATTERN,
    r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)",
    r"|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9\-]*):([a-zA-Z0-9\-])+:([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
);
pattern!(
    VERSION_PATTERN,
    r"(\$LATEST(\.PUBLISHED)?|[0-9]+)",
    r"(\$LATEST(\.PUBLISHED)?|[0-9]+)"
);

/// An alias name: `[a-zA-Z0-9-_]+`, but not all digits (that would read as a version).
pub(crate) static ALIAS_PATTERN: Pattern = Pattern {
    text: r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)",
    matches: |s| {
        !s.is_empty()
            && !s.bytes().all(|b| b.is_ascii_digit())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    },
};

const fn text(min: usize, max: Option<usize>, pattern: Option<&'static Pattern>) -> Shape {
    Shape::String {
        min_len: Some(min),
        max_len: max,
        pattern,
        enum_values: &[],
    }
}

const fn one_of(values: &'static [&'static str]) -> Shape {
    Shape::String {
        min_len: None,
        max_len: None,
        pattern: None,
        enum_values: values,
    }
}

const fn at_least(min: i64) -> Shape {
    Shape::Integer {
        min: Some(min),
        max: None,
    }
}

const fn between(min: i64, max: i64) -> Shape {
    Shape::Integer {
        min: Some(min),
        max: Some(max),
    }
}

/// `FunctionName`: a name, `name:qualifier`, a partial or a full ARN, up to 140 characters.
pub(crate) static FUNCTION_NAME: Shape = text(1, Some(140), Some(&FUNCTION_NAME_PATTERN));
/// `NamespacedFunctionName`: like [`FUNCTION_NAME`], dots allowed, up to 256 characters.
pub(crate) static NAMESPACED_FUNCTION_NAME: Shape =
    text(1, Some(256), Some(&NAMESPACED_FUNCTION_NAME_PATTERN));
/// `NumericLatestPublishedOrAliasQualifier` (GetFunction, Invoke, ...).
pub(crate) static NUMERIC_QUALIFIER: Shape = text(1, Some(128), Some(&NUMERIC_QUALIFIER_PATTERN));
/// `Qualifier` (provisioned concurrency).
pub(crate) static QUALIFIER: Shape = text(1, Some(128), Some(&QUALIFIER_PATTERN));
/// `RoleArn`.
pub(crate) static ROLE: Shape = text(0, None, Some(&ROLE_PATTERN));
/// `Handler`.
pub(crate) static HANDLER: Shape = text(0, Some(128), Some(&HANDLER_PATTERN));
/// `Description`.
pub(crate) static DESCRIPTION: Shape = text(0, Some(256), None);
/// `Timeout`: at least a second (the 900-second ceiling is the service's own check).
pub(crate) static TIMEOUT: Shape = at_least(1);
/// `MemorySize` in MB.
pub(crate) static MEMORY_SIZE: Shape = between(128, 32_768);
/// `PackageType`.
pub(crate) static PACKAGE_TYPE: Shape = one_of(&["Zip", "Image"]);
/// `Architecture`.
static ARCHITECTURE: Shape = one_of(&["x86_64", "arm64"]);
/// `ArchitecturesList`: exactly one.
pub(crate) static ARCHITECTURES: Shape = Shape::List {
    member: &ARCHITECTURE,
    min_len: Some(1),
    max_len: Some(1),
    member_str: None,
};
/// `Tags`: string to string.
pub(crate) static TAGS: Shape = Shape::Map {
    key: &Shape::STRING,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};
/// `TagKeyList`.
pub(crate) static TAG_KEYS: Shape = Shape::List {
    member: &Shape::STRING,
    min_len: None,
    max_len: None,
    member_str: None,
};
/// `TaggableResource`: a function (or another taggable Lambda resource) by ARN.
pub(crate) static TAGGABLE_RESOURCE: Shape = text(1, Some(256), Some(&TAGGABLE_RESOURCE_PATTERN));

static ENV_NAME: Shape = text(0, None, Some(&ENV_NAME_PATTERN));
static ENV_VARIABLES: Shape = Shape::Map {
    key: &ENV_NAME,
    value: &Shape::STRING,
    min_len: None,
    max_len: None,
};
static ENVIRONMENT_MEMBERS: [Member; 1] = [Member::optional("Variables", &ENV_VARIABLES)];
/// `Environment`: `{"Variables": {...}}`.
pub(crate) static ENVIRONMENT: Shape = Shape::Structure(&ENVIRONMENT_MEMBERS);

static RESOURCE_ARN: Shape = text(0, None, Some(&RESOURCE_ARN_PATTERN));
static DEAD_LETTER_MEMBERS: [Member; 1] = [Member::optional("TargetArn", &RESOURCE_ARN)];
/// `DeadLetterConfig`: `{"TargetArn": ...}`.
pub(crate) static DEAD_LETTER_CONFIG: Shape = Shape::Structure(&DEAD_LETTER_MEMBERS);

static DESTINATION_ARN: Shape = text(0, Some(350), Some(&DESTINATION_ARN_PATTERN));
static DESTINATION_MEMBERS: [Member; 1] = [Member::optional("Destination", &DESTINATION_ARN)];
static DESTINATION: Shape = Shape::Structure(&DESTINATION_MEMBERS);
static DESTINATION_CONFIG_MEMBERS: [Member; 2] = [
    Member::optional("OnSuccess", &DESTINATION),
    Member::optional("OnFailure", &DESTINATION),
];
/// `DestinationConfig`: `{"OnSuccess": {"Destination"}, "OnFailure": {"Destination"}}`.
pub(crate) static DESTINATION_CONFIG: Shape = Shape::Structure(&DESTINATION_CONFIG_MEMBERS);

/// `Arn` (an event source).
pub(crate) static ARN: Shape = text(0, None, Some(&ARN_PATTERN));
/// `MaxListItems`.
pub(crate) static MAX_ITEMS: Shape = between(1, 10_000);
/// `Alias` (an alias name).
pub(crate) static ALIAS: Shape = text(1, Some(128), Some(&ALIAS_PATTERN));
/// `VersionWithLatestPublished`.
pub(crate) static VERSION: Shape = text(1, Some(1024), Some(&VERSION_PATTERN));

/// The function name and qualifier inside any accepted form of `FunctionName` (a name,
/// `name:qualifier`, a partial or a full ARN). Call it on a validated value; anything else is
/// taken as a bare name.
pub(crate) fn split_function_name(raw: &str) -> (&str, Option<&str>) {
    static PARTS: LazyLock<Regex> = LazyLock::new(|| {
        whole(
            r"(?:arn:(?:aws[a-zA-Z\-]*)?:lambda:)?(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d:)?(?:\d{12}:)?(?:function:)?([a-zA-Z0-9\-_\.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9\-_]+))?",
        )
    });
    match PARTS.captures(raw) {
        Some(c) => (
            c.get(1).map_or(raw, |m| m.as_str()),
            c.get(2).map(|m| m.as_str()),
        ),
        None => (raw, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_patterns() -> Vec<&'static Pattern> {
        vec![
            &FUNCTION_NAME_PATTERN,
            &NAMESPACED_FUNCTION_NAME_PATTERN,
            &NUMERIC_QUALIFIER_PATTERN,
            &QUALIFIER_PATTERN,
            &ROLE_PATTERN,
            &HANDLER_PATTERN,
            &RESOURCE_ARN_PATTERN,
            &TAGGABLE_RESOURCE_PATTERN,
            &ENV_NAME_PATTERN,
            &ARN_PATTERN,
            &DESTINATION_ARN_PATTERN,
            &VERSION_PATTERN,
            &ALIAS_PATTERN,
        ]
    }

    #[test]
    fn every_pattern_builds() {
        for p in all_patterns() {
            let _ = (p.matches)("x");
        }
    }

    #[test]
    fn patterns_match_what_aws_accepts() {
        let ok = |p: &Pattern, s: &str| (p.matches)(s);
        for name in [
            "f",
            "f:live",
            "f:$LATEST",
            "000000000000:function:f",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            "arn:aws:lambda:us-east-1:000000000000:function:f:1",
            "us-east-1:000000000000:function:f",
        ] {
            assert!(ok(&FUNCTION_NAME_PATTERN, name), "{name}");
        }
        for bad in ["a b", "a:b:c:d:e", "", "f:", "invalid:function:name"] {
            assert!(!ok(&FUNCTION_NAME_PATTERN, bad), "{bad}");
        }
        assert!(ok(
            &NAMESPACED_FUNCTION_NAME_PATTERN,
            "my.fn:$LATEST.PUBLISHED"
        ));
        assert!(!ok(&FUNCTION_NAME_PATTERN, "my.fn"));
        assert!(ok(&ROLE_PATTERN, "arn:aws:iam::000000000000:role/lambda"));
        assert!(!ok(&ROLE_PATTERN, "r1"));
        assert!(ok(&ALIAS_PATTERN, "live-1"));
        assert!(!ok(&ALIAS_PATTERN, "2024"));
        assert!(ok(&DESTINATION_ARN_PATTERN, ""));
        assert!(ok(
            &DESTINATION_ARN_PATTERN,
            "arn:aws:sqs:us-east-1:000000000000:dlq"
        ));
        assert!(!ok(&DESTINATION_ARN_PATTERN, "queue"));
        assert!(ok(&RESOURCE_ARN_PATTERN, ""));
        assert!(ok(&ENV_NAME_PATTERN, "GREETING"));
        assert!(!ok(&ENV_NAME_PATTERN, "1X"));
        assert!(ok(&NUMERIC_QUALIFIER_PATTERN, "$LATEST"));
        assert!(ok(&NUMERIC_QUALIFIER_PATTERN, "7"));
        assert!(!ok(&NUMERIC_QUALIFIER_PATTERN, "a?b"));
        assert!(ok(&QUALIFIER_PATTERN, ""));
        assert!(ok(&HANDLER_PATTERN, "index.handler"));
        assert!(!ok(&HANDLER_PATTERN, "a b"));
        assert!(ok(&VERSION_PATTERN, "$LATEST"));
        assert!(!ok(&VERSION_PATTERN, "live"));
        assert!(ok(
            &TAGGABLE_RESOURCE_PATTERN,
            "arn:aws:lambda:us-east-1:000000000000:function:echo"
        ));
        assert!(!ok(&TAGGABLE_RESOURCE_PATTERN, "echo"));
        assert!(ok(
            &ARN_PATTERN,
            "arn:aws:kinesis:us-east-1:000000000000:stream/s"
        ));
    }

    #[test]
    fn names_arns_and_partial_arns_split() {
        assert_eq!(split_function_name("f"), ("f", None));
        assert_eq!(split_function_name("f:$LATEST"), ("f", Some("$LATEST")));
        assert_eq!(
            split_function_name("arn:aws:lambda:us-east-1:000000000000:function:f"),
            ("f", None)
        );
        assert_eq!(
            split_function_name("arn:aws:lambda:us-east-1:000000000000:function:f:live"),
            ("f", Some("live"))
        );
        assert_eq!(split_function_name("000000000000:function:f"), ("f", None));
        assert_eq!(
            split_function_name("us-east-1:000000000000:function:f:3"),
            ("f", Some("3"))
        );
    }
}
