//! Tag keys and values checked as Kinesis checks them, with its InvalidArgumentException
//! texts.
//!
//! Kinesis answers in two steps. A character outside Unicode letters, digits, space
//! separators and `_ . / = + - % @ :` (a tab, a newline, `;`, `,`) is refused with "Some tags
//! contain invalid characters"; `%` passes that first check and is then refused with a text
//! naming the stream ("because some tags contained illegal characters"), whose list of
//! allowed characters is Kinesis's own, quoted as it sends it. Keys starting with `aws:` are
//! reserved for AWS.

use crate::EngineError;

/// What is being done with the tags, for the texts that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// CreateStream's Tags, AddTagsToStream, TagResource.
    Add,
    /// RemoveTagsFromStream, UntagResource (keys only).
    Remove,
}

/// Checks tag keys and values (`values` empty for a removal, which names keys only).
/// `resource` (`stream NAME` or `consumer NAME`) and `account` go into the texts that name them.
pub fn check_tags<'a>(
    keys: impl IntoIterator<Item = &'a str>,
    values: impl IntoIterator<Item = &'a str>,
    change: TagChange,
    resource: &str,
    account: &str,
) -> Result<(), EngineError> {
    let keys: Vec<&str> = keys.into_iter().collect();
    let all: Vec<&str> = keys.iter().copied().chain(values).collect();
    if all.iter().any(|t| t.chars().any(|c| !allowed(c))) {
        return Err(EngineError::InvalidArgument(
            "Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @ :."
                .into(),
        ));
    }
    let verb = match change {
        TagChange::Add => "add tags to",
        TagChange::Remove => "remove tags from",
    };
    if all.iter().any(|t| t.contains('%')) {
        return Err(EngineError::InvalidArgument(format!(
            "Failed to {verb} {resource} under account {account} because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'."
        )));
    }
    if keys.iter().any(|k| k.starts_with("aws:")) {
        return Err(EngineError::InvalidArgument(format!(
            "Failed to {verb} {resource} under account {account} because some tag keys start with the reserved prefix 'aws:'."
        )));
    }
    Ok(())
}

/// Letters, digits, space separators (not tabs or line breaks) and `_ . / = + - % @ :`.
fn allowed(c: char) -> bool {
    c.is_alphanumeric()
        || (c.is_whitespace() && !c.is_control())
        || matches!(c, '_' | '.' | '/' | '=' | '+' | '-' | '%' | '@' | ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(key: &str, value: &str) -> Result<(), EngineError> {
        check_tags([key], [value], TagChange::Add, "stream s", "000000000000")
    }

    #[test]
    fn letters_digits_spaces_and_the_listed_symbols_pass() {
        for key in [
            "env",
            "Team Name",
            "a_b.c/d=e+f-g@h:i",
            "ключ",
            "名前",
            "x\u{00a0}y",
            "12",
        ] {
            assert!(add(key, "v 1").is_ok(), "{key:?}");
        }
        assert!(add("k", "").is_ok(), "an empty value is allowed");
    }

    #[test]
    fn other_characters_are_invalid() {
        for bad in [
            "abc;def", "abc\tdef", "abc\ndef", "a,b", "a*b", "a#b", "a\"b",
        ] {
            let key = add(bad, "v").unwrap_err();
            assert_eq!(key.code(), "InvalidArgumentException");
            assert!(
                key.message()
                    .starts_with("Some tags contain invalid characters.")
            );
            assert!(add("k", bad).is_err(), "in a value: {bad:?}");
        }
    }

    #[test]
    fn percent_is_refused_in_a_second_step_naming_the_stream() {
        assert_eq!(
            add("a%b", "v").unwrap_err().message(),
            "Failed to add tags to stream s under account 000000000000 because some tags contained illegal characters. The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@',':'."
        );
        let removed =
            check_tags(["a%b"], [], TagChange::Remove, "stream s", "000000000000").unwrap_err();
        assert!(
            removed
                .message()
                .starts_with("Failed to remove tags from stream s ")
        );
    }

    #[test]
    fn the_aws_prefix_is_reserved_for_keys() {
        assert!(add("aws:owner", "v").is_err());
        assert!(add("owner", "aws:v").is_ok(), "only keys are reserved");
        assert!(add("AWS:owner", "v").is_ok());
    }
}
