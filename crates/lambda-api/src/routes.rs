//! Which operation a request is: its method and path against the URI templates of Lambda's
//! model (`/2015-03-31/functions/{FunctionName}/invocations`, ...), which each operation
//! declares beside its schema in `actions/`.
//!
//! A template's `{Label}` matches one non-empty path segment, percent-decoded (an ARN arrives
//! as `arn%3Aaws%3Alambda...`), and is handed to the operation as the member of the same
//! name. One trailing slash is ignored: the SDKs send `/2015-03-31/functions/` and other
//! clients `/2015-03-31/functions`.

use crate::actions::Operation;
use crate::error::LambdaApiError;

/// The labels a path filled in, by label name.
pub(crate) type Labels = Vec<(&'static str, String)>;

/// The operation `method` on `path` names, with its labels; a path of Lambda's with another
/// method is [`LambdaApiError::MethodNotAllowed`], any other path
/// [`LambdaApiError::UnknownOperation`].
pub(crate) fn route(method: &str, path: &str) -> Result<(Operation, Labels), LambdaApiError> {
    let mut known_path = false;
    for &op in Operation::ALL {
        let (op_method, template) = op.http();
        if let Some(labels) = match_template(template, path) {
            if op_method.eq_ignore_ascii_case(method) {
                return Ok((op, labels));
            }
            known_path = true;
        }
    }
    Err(if known_path {
        LambdaApiError::MethodNotAllowed
    } else {
        LambdaApiError::UnknownOperation
    })
}

/// Whether `path` (still percent-encoded, without the query) is one of Lambda's, whatever
/// the method.
pub fn is_lambda_path(path: &str) -> bool {
    Operation::ALL
        .iter()
        .any(|op| match_template(op.http().1, path).is_some())
}

/// The operation a request names, if any (for logs, or to leave some operations out).
pub fn operation(method: &str, path: &str) -> Option<Operation> {
    route(method, path).ok().map(|(op, _)| op)
}

fn match_template(template: &'static str, path: &str) -> Option<Labels> {
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut labels = Vec::new();
    let mut segments = path.split('/');
    for part in template.split('/') {
        let segment = segments.next()?;
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(label) if !segment.is_empty() => {
                labels.push((label, aws_wire::decode_path_segment(segment).into_owned()));
            }
            Some(_) => return None,
            None if part == segment => {}
            None => return None,
        }
    }
    segments.next().is_none().then_some(labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_find_their_operation_with_or_without_a_trailing_slash() {
        let (op, labels) = route("GET", "/2015-03-31/functions/").expect("route");
        assert_eq!((op, labels.len()), (Operation::ListFunctions, 0));
        let (op, _) = route("POST", "/2015-03-31/functions").expect("route");
        assert_eq!(op, Operation::CreateFunction);
        let (op, labels) = route("POST", "/2015-03-31/functions/echo/invocations").expect("route");
        assert_eq!(op, Operation::Invoke);
        assert_eq!(labels, vec![("FunctionName", "echo".to_string())]);
        let (op, labels) = route("GET", "/2015-03-31/functions/f/aliases/live/").expect("route");
        assert_eq!(op, Operation::GetAlias);
        assert_eq!(
            labels,
            vec![
                ("FunctionName", "f".to_string()),
                ("Name", "live".to_string())
            ]
        );
    }

    #[test]
    fn labels_are_percent_decoded() {
        let (op, labels) = route(
            "GET",
            "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Aecho",
        )
        .expect("route");
        assert_eq!(op, Operation::ListTags);
        assert_eq!(
            labels[0].1,
            "arn:aws:lambda:us-east-1:000000000000:function:echo"
        );
    }

    #[test]
    fn other_methods_and_paths_are_refused() {
        assert!(matches!(
            route("PATCH", "/2015-03-31/functions/f"),
            Err(LambdaApiError::MethodNotAllowed)
        ));
        assert!(matches!(
            route("GET", "/2015-03-31/functions/f/nothing"),
            Err(LambdaApiError::UnknownOperation)
        ));
        assert!(matches!(
            route("GET", "/2015-03-31/functions//code"),
            Err(LambdaApiError::UnknownOperation)
        ));
        assert!(is_lambda_path("/2016-08-19/account-settings/"));
        assert!(is_lambda_path(
            "/2019-09-25/functions/f/event-invoke-config"
        ));
        assert!(!is_lambda_path("/"));
        assert!(!is_lambda_path("/2015-03-31/functions/f/code/x"));
        assert_eq!(
            operation("DELETE", "/2017-10-31/functions/f/concurrency"),
            Some(Operation::DeleteFunctionConcurrency)
        );
    }

    #[test]
    fn every_operation_is_reachable_by_its_own_method_and_path() {
        for &op in Operation::ALL {
            let (method, template) = op.http();
            let path = template
                .replace("{FunctionName}", "f")
                .replace("{Name}", "live")
                .replace("{Resource}", "arn")
                .replace("{UUID}", "u");
            assert_eq!(operation(method, &path), Some(op), "{template}");
        }
    }
}
