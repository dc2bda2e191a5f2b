//! SNS's one map whose entries are not `key` / `value`.
//!
//! `MessageAttributes` (on Publish and on each PublishBatch entry) is a map whose entries
//! the model names `Name` and `Value` (`MessageAttributes.entry.1.Name=k&
//! MessageAttributes.entry.1.Value.DataType=String&...`), where every other query map, and
//! [`aws_wire::decode_query`], uses `key` and `value`. The parameter names are rewritten
//! before decoding; nothing else in the body changes.

use std::borrow::Cow;

/// The body with each `MessageAttributes.entry.N.Name` / `.Value` parameter renamed to
/// `.key` / `.value`; the body itself when there is none.
pub(crate) fn entries_as_key_value(form: &[u8]) -> Cow<'_, [u8]> {
    const MAP: &[u8] = b"MessageAttributes.entry.";
    if !form.windows(MAP.len()).any(|w| w == MAP) {
        return Cow::Borrowed(form);
    }
    let mut out = Vec::with_capacity(form.len());
    for (i, pair) in form.split(|&b| b == b'&').enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        let key_end = pair.iter().position(|&b| b == b'=').unwrap_or(pair.len());
        let (key, rest) = pair.split_at(key_end);
        out.extend_from_slice(&rename(key));
        out.extend_from_slice(rest);
    }
    Cow::Owned(out)
}

/// `...MessageAttributes.entry.N.Name` -> `....key`; `...entry.N.Value[.X]` -> `...value[.X]`.
fn rename(key: &[u8]) -> Cow<'_, [u8]> {
    const MAP: &[u8] = b"MessageAttributes.entry.";
    let Some(at) = key.windows(MAP.len()).position(|w| w == MAP) else {
        return Cow::Borrowed(key);
    };
    let after = at + MAP.len();
    let digits = key[after..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let part = after + digits;
    let tail = &key[part..];
    let renamed: &[u8] = if tail == b".Name" {
        b".key"
    } else if tail.starts_with(b".Value") && (tail.len() == 6 || tail[6] == b'.') {
        let mut owned = key[..part].to_vec();
        owned.extend_from_slice(b".value");
        owned.extend_from_slice(&tail[6..]);
        return Cow::Owned(owned);
    } else {
        return Cow::Borrowed(key);
    };
    let mut owned = key[..part].to_vec();
    owned.extend_from_slice(renamed);
    Cow::Owned(owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_attribute_entries_are_renamed() {
        let form = b"Action=Publish&MessageAttributes.entry.1.Name=k&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=v&Message=Name";
        assert_eq!(
            entries_as_key_value(form).as_ref(),
            b"Action=Publish&MessageAttributes.entry.1.key=k&MessageAttributes.entry.1.value.DataType=String&MessageAttributes.entry.1.value.StringValue=v&Message=Name"
        );
        let batch = b"PublishBatchRequestEntries.member.1.MessageAttributes.entry.12.Name=k";
        assert_eq!(
            entries_as_key_value(batch).as_ref(),
            b"PublishBatchRequestEntries.member.1.MessageAttributes.entry.12.key=k"
        );
        assert_eq!(
            entries_as_key_value(b"Attributes.entry.1.key=a").as_ref(),
            b"Attributes.entry.1.key=a"
        );
        assert_eq!(
            entries_as_key_value(b"MessageAttributes.entry.").as_ref(),
            b"MessageAttributes.entry."
        );
    }
}
