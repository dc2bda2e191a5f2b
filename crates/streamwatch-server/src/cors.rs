//! CORS for the AWS services on the port, so the AWS SDK for JavaScript in a page the user
//! trusts can call the engine, and no other page can.
//!
//! AWS's JSON services answer a browser permissively: a preflight (`OPTIONS` with `Origin`
//! and `Access-Control-Request-Method`) gets 200, no body, `Access-Control-Allow-Origin: *`,
//! the requested method and headers echoed in `Access-Control-Allow-Methods` / `-Headers`,
//! and `Access-Control-Max-Age: 172800`; an actual request with `Origin` gets
//! `Access-Control-Allow-Origin: *` and `Access-Control-Expose-Headers` naming the headers an
//! SDK reads (recorded from AWS in kinesalite's front end and tests). That is safe on AWS,
//! where a page cannot sign without the user's keys. While the engine accepts any signature
//! (the default), it is not: any page the user visits could sign with made-up keys and
//! create and invoke Lambda functions on their machine. So by default only these origins
//! are answered, each echoed rather than `*`:
//!
//! - the engine's own origin (`http(s)://` and the request's Host: the console's page);
//! - with no `--cors-origin`: `localhost`, `*.localhost`, `127.0.0.1` and `[::1]` pages on
//!   any port and scheme, as other local AWS engines allow their own hosts;
//! - with `--cors-origin`: exactly the origins given (the localhost default is then off;
//!   `--cors-origin none` allows no other origin at all).
//!
//! With `--auth verify` and no `--cors-origin`, AWS's own `*` is answered to every origin: a
//! page then needs real keys. A refused origin's preflight gets a 403 without any
//! `Access-Control-Allow-*` header (the browser then never sends the request), and a signed
//! request carrying its `Origin` (a presigned URL needs no preflight) is refused before any
//! service runs it; an unsigned one meets each service's own refusal, as before. The console, `/metrics`, `/health` and the fault
//! injection endpoint take no part in CORS: they stay refused to other pages.

use axum::http::{HeaderMap, HeaderValue, header};

use aws_wire::Reply;

/// The headers a page may read from an answer: AWS's list, plus the query-compatible error
/// header (SQS, CloudWatch), `ETag`, and Lambda's Invoke headers, which the JS SDK reads.
pub(crate) const EXPOSE_HEADERS: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date,x-amzn-query-error,ETag,x-amz-function-error,x-amz-log-result,x-amz-executed-version";

/// How long a browser may cache a preflight's answer, in seconds, as AWS answers.
pub(crate) const MAX_AGE: &str = "172800";

/// Which page origins the AWS services answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Policy {
    /// The default: loopback and `localhost` origins, any port.
    Localhost,
    /// Exactly these origins (normalised: lower case, no trailing `/`).
    List(Vec<String>),
    /// Every origin, answered `*` as AWS does (`--auth verify` without `--cors-origin`).
    Any,
}

impl Policy {
    /// The policy for `--cors-origin` values `origins` (`None`: the flag was not given),
    /// with signature verification on or off.
    pub(crate) fn new(origins: Option<&[String]>, verify: bool) -> Policy {
        match origins {
            None if verify => Policy::Any,
            None => Policy::Localhost,
            Some(list) => Policy::List(
                list.iter()
                    .filter(|o| !o.eq_ignore_ascii_case("none"))
                    .map(|o| normalise(o))
                    .collect(),
            ),
        }
    }
}

/// What the policy says of a request's `Origin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Answered with this origin echoed.
    Echo,
    /// Answered with `*`.
    Star,
    /// Refused.
    Refused,
}

fn normalise(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The host of an origin `scheme://host[:port]`, when the scheme is http or https.
fn origin_host(origin: &str) -> Option<&str> {
    let rest = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))?;
    if rest.is_empty() || rest.contains(['/', '@', '?', '#', ' ']) {
        return None;
    }
    if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(inside);
    }
    Some(rest.split_once(':').map_or(rest, |(h, _)| h))
}

/// Whether an origin is a page served from this machine by name: `localhost`,
/// `*.localhost`, `127.0.0.1` or `::1` (other 127/8 addresses are not: a test uses one as
/// "another machine").
fn is_localhost(origin: &str) -> bool {
    let Some(host) = origin_host(origin) else {
        return false;
    };
    host == "localhost" || host.ends_with(".localhost") || host == "127.0.0.1" || host == "::1"
}

/// The verdict on `origin` for a request whose Host (or `:authority`) is `host`.
pub(crate) fn verdict(policy: &Policy, origin: &str, host: Option<&str>) -> Verdict {
    let origin = normalise(origin);
    if let Some(host) = host {
        let host = host.to_ascii_lowercase();
        if origin == format!("http://{host}") || origin == format!("https://{host}") {
            return Verdict::Echo;
        }
    }
    match policy {
        Policy::Any => Verdict::Star,
        Policy::Localhost if is_localhost(&origin) => Verdict::Echo,
        Policy::List(list) if list.contains(&origin) => Verdict::Echo,
        Policy::Localhost | Policy::List(_) => Verdict::Refused,
    }
}

/// Whether a request is a CORS preflight: `OPTIONS` with `Access-Control-Request-Method`.
pub(crate) fn is_preflight(method: &axum::http::Method, headers: &HeaderMap) -> bool {
    method == axum::http::Method::OPTIONS
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The `Access-Control-Allow-Origin` value of an answered origin.
fn allow_origin(verdict: Verdict, origin: &HeaderValue) -> HeaderValue {
    match verdict {
        Verdict::Star => HeaderValue::from_static("*"),
        _ => origin.clone(),
    }
}

/// The answer to a preflight: AWS's for an answered origin, a 403 without any
/// `Access-Control-Allow-*` header for a refused one.
pub(crate) fn preflight(
    verdict: Verdict,
    origin: &HeaderValue,
    headers: &HeaderMap,
) -> axum::response::Response {
    if verdict == Verdict::Refused {
        return crate::write_reply(refused(origin));
    }
    let mut resp = axum::response::Response::new(axum::body::Body::empty());
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        allow_origin(verdict, origin),
    );
    if let Some(m) = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD) {
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, m.clone());
    }
    if let Some(rh) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, rh.clone());
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(MAX_AGE),
    );
    if verdict == Verdict::Echo {
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    resp
}

/// Adds the headers of an answered origin to an actual request's response.
pub(crate) fn decorate(
    resp: &mut axum::response::Response,
    verdict: Verdict,
    origin: &HeaderValue,
) {
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        allow_origin(verdict, origin),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
    if verdict == Verdict::Echo {
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// The refusal of a request (or preflight) from a page of a refused origin. Not an AWS
/// error (AWS answers every origin): written so every JSON SDK reads it as
/// `AccessDeniedException` with a message that says what to do.
pub(crate) fn refused(origin: &HeaderValue) -> Reply {
    let origin = origin.to_str().unwrap_or("(not text)");
    let message = format!(
        "streamwatch answers web pages only from its own origin and the origins allowed with \
         --cors-origin (by default localhost and 127.0.0.1 pages); this request came from {origin}"
    );
    let body = serde_json::json!({"__type": "AccessDeniedException", "message": message});
    Reply::new(
        403,
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
    )
    .with_header("x-amzn-ErrorType", "AccessDeniedException")
    .with_header("x-amzn-query-error", "AccessDenied;Sender")
    .with_error_code("AccessDeniedException")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_answers_localhost_pages_and_the_own_origin_only() {
        let p = Policy::new(None, false);
        for o in [
            "http://localhost:3000",
            "http://LOCALHOST:8080/",
            "https://app.localhost",
            "http://127.0.0.1:5173",
            "http://[::1]:9000",
        ] {
            assert_eq!(verdict(&p, o, Some("127.0.0.1:4567")), Verdict::Echo, "{o}");
        }
        for o in [
            "https://evil.example",
            "http://127.0.0.2:8000",
            "http://localhost.evil.example",
            "null",
            "file://",
            "http://user@localhost",
        ] {
            assert_eq!(
                verdict(&p, o, Some("127.0.0.1:4567")),
                Verdict::Refused,
                "{o}"
            );
        }
        // The engine's own page (the console) is always answered.
        let own = Policy::new(Some(&["none".to_owned()]), false);
        assert_eq!(
            verdict(&own, "http://127.0.0.1:4567", Some("127.0.0.1:4567")),
            Verdict::Echo
        );
        assert_eq!(
            verdict(&own, "http://localhost:3000", Some("127.0.0.1:4567")),
            Verdict::Refused
        );
    }

    #[test]
    fn a_list_replaces_the_default_and_verification_answers_star() {
        let p = Policy::new(Some(&["https://App.Example/".to_owned()]), false);
        assert_eq!(verdict(&p, "https://app.example", None), Verdict::Echo);
        assert_eq!(verdict(&p, "http://localhost:3000", None), Verdict::Refused);
        let any = Policy::new(None, true);
        assert_eq!(verdict(&any, "https://evil.example", None), Verdict::Star);
        let listed = Policy::new(Some(&["https://app.example".to_owned()]), true);
        assert_eq!(
            verdict(&listed, "https://evil.example", None),
            Verdict::Refused
        );
    }
}
