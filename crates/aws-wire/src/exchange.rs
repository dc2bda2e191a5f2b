//! What every API crate takes from the HTTP layer and gives back to it.
//!
//! The server (the only crate that speaks HTTP) turns each request into a [`Request`] view and
//! writes each [`Reply`] out, so the API crates share one vocabulary and none of them links an
//! HTTP library.

/// A request as the API crates see it: borrowed from what the server read off the socket.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method, upper case (`GET`, `POST`, ...).
    pub method: &'a str,
    /// The path, still percent-encoded, without the query string.
    pub path: &'a str,
    /// The query string after `?`, still percent-encoded.
    pub query: Option<&'a str>,
    /// The headers whose values are text, names in lower case, in arrival order.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, already inflated when it was sent gzip-compressed.
    pub body: &'a [u8],
    /// The request id the server answers with in `x-amzn-RequestId`.
    pub request_id: &'a str,
}

impl<'a> Request<'a> {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// An answer from an API crate, ready for the server to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` of the body; `None` for a bare status.
    pub content_type: Option<&'static str>,
    /// Further response headers (`x-amzn-query-error`, `X-Amz-Function-Error`, ...).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The AWS error code when the call failed, for the access log.
    pub error_code: Option<&'static str>,
}

impl Reply {
    /// A reply with `status`, `content_type` and `body`, and no further headers.
    pub fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: Some(content_type),
            headers: Vec::new(),
            body,
            error_code: None,
        }
    }

    /// The same reply with header `name: value` added.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// The same reply marked as the AWS error `code` (for the access log).
    pub fn with_error_code(mut self, code: &'static str) -> Reply {
        self.error_code = Some(code);
        self
    }

    /// What the JSON RPC front ends (Kinesis, SQS, Logs) answer to a body whose content type is
    /// outside their protocol: 404 with a bare XML `UnknownOperationException`.
    pub fn unknown_operation() -> Reply {
        Reply::new(
            404,
            "application/xml",
            b"<UnknownOperationException/>\n".to_vec(),
        )
        .with_error_code("UnknownOperationException")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_ignores_case_and_takes_the_first() {
        let headers = [("x-amz-target", "A.B"), ("X-Amz-Target", "C.D")];
        let req = Request {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            body: b"",
            request_id: "r",
        };
        assert_eq!(req.header("X-AMZ-TARGET"), Some("A.B"));
        assert_eq!(req.header("content-type"), None);
    }

    #[test]
    fn reply_builders_keep_what_they_are_given() {
        let r = Reply::new(400, "application/json", b"{}".to_vec())
            .with_header("x-amzn-query-error", "Code;Sender")
            .with_error_code("Code");
        assert_eq!(r.status, 400);
        assert_eq!(r.content_type, Some("application/json"));
        assert_eq!(
            r.headers,
            vec![("x-amzn-query-error", "Code;Sender".to_string())]
        );
        assert_eq!(r.error_code, Some("Code"));
    }
}
