//! Pieces many operations share: naming the function a request is about, and the replies
//! they send.

use std::collections::BTreeMap;

use aws_wire::{Binding, Input, Member, Reply};

use crate::error::{ApiResult, LambdaApiError};
use crate::shapes::{FUNCTION_NAME, NAMESPACED_FUNCTION_NAME, split_function_name};

/// `FunctionName` from the path, the input of every operation on one function.
pub(crate) const FUNCTION_NAME_MEMBER: Member = Member::required("FunctionName", &FUNCTION_NAME);
/// The same with `NamespacedFunctionName`'s looser pattern (GetFunction, Invoke, ...).
pub(crate) const NAMESPACED_FUNCTION_NAME_MEMBER: Member =
    Member::required("FunctionName", &NAMESPACED_FUNCTION_NAME);
/// An input that is only the function's name.
pub(crate) const FUNCTION_ONLY: [Member; 1] = [FUNCTION_NAME_MEMBER];
/// `FunctionName` bound to its path label.
pub(crate) const FUNCTION_LABEL: [Binding; 1] = [Binding::label("FunctionName")];

/// The function an operation on the function itself names: a name or ARN, optionally with
/// `$LATEST` (other qualifiers are refused: versions and aliases have their own operations).
pub(crate) fn function_name<'i>(input: &'i Input<'_>) -> ApiResult<&'i str> {
    let (name, qualifier) = split_function_name(input.str("FunctionName").unwrap_or_default());
    match qualifier {
        None | Some("$LATEST") => Ok(name),
        Some(q) => Err(LambdaApiError::invalid(format!(
            "Unsupported qualifier {q} for this operation: use the unqualified function name"
        ))),
    }
}

/// The function and qualifier a request names, from the path (`name:qualifier`) or else the
/// `Qualifier` member.
pub(crate) fn qualified<'i>(input: &'i Input<'_>) -> (&'i str, Option<&'i str>) {
    let (name, in_path) = split_function_name(input.str("FunctionName").unwrap_or_default());
    (name, in_path.or_else(|| input.str("Qualifier")))
}

/// A string map member (`Tags`, `Variables`), owned.
pub(crate) fn string_map(entries: Option<Vec<(&str, &str)>>) -> BTreeMap<String, String> {
    entries
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// An integer member the schema bounds below by 0, as u32.
pub(crate) fn int_u32(input: &Input<'_>, name: &str) -> Option<u32> {
    input
        .int(name)
        .map(|n| n.clamp(0, i64::from(u32::MAX)) as u32)
}

/// A JSON answer.
pub(crate) fn json(status: u16, doc: &serde_json::Value) -> Reply {
    Reply::new(status, "application/json", doc.to_string().into_bytes())
}

/// A bare status (204 No Content, 202 Accepted).
pub(crate) fn bare(status: u16) -> Reply {
    Reply {
        status,
        content_type: None,
        headers: Vec::new(),
        body: Vec::new(),
        error_code: None,
    }
}
