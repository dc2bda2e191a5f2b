//! Sends InfluxDB line protocol to an HTTP write endpoint: InfluxDB 1.x (`/write?db=...`),
//! InfluxDB 2.x and 3.x (`/api/v2/write?org=...&bucket=...`), Telegraf's `http_listener_v2`
//! and Guance DataKit all take the same POST.
//!
//! The URL is used as given. Timestamps written by `metric_export::line` are nanoseconds,
//! the endpoints' default precision, so no `precision` parameter is needed; one in the URL is
//! kept. `http://` and `https://` (rustls, with the system's root certificates) are accepted.
//!
//! The writer does not retry: a collector calls it once a cycle, and a failed write is
//! reported and tried again with the next cycle's data.

#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::io::Write as _;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// How to reach the endpoint.
#[derive(Clone, Default)]
pub struct WriterConfig {
    /// The full write URL, e.g. `http://127.0.0.1:8086/write?db=aws`.
    pub url: String,
    /// Sent as `Authorization: Token <token>` (InfluxDB 2.x, DataKit).
    pub token: Option<String>,
    /// HTTP basic authentication user (InfluxDB 1.x); needs `password`.
    pub username: Option<String>,
    /// HTTP basic authentication password.
    pub password: Option<String>,
    /// The longest a write may take.
    pub timeout: Duration,
    /// Compress bodies with gzip (`Content-Encoding: gzip`).
    pub gzip: bool,
}

impl std::fmt::Debug for WriterConfig {
    // The token and password are never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .finish()
    }
}

/// Why a write failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The URL cannot be used.
    #[error("invalid write URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No answer: connection refused or reset, or the timeout passed.
    #[error("writing to {url}: {message}")]
    Http {
        /// The URL written to.
        url: String,
        /// What happened.
        message: String,
    },
    /// The endpoint answered with an error status.
    #[error("writing to {url}: HTTP {status}: {message}")]
    Status {
        /// The URL written to.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The `error` member of InfluxDB's JSON answer, or the body as text.
        message: String,
    },
}

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// A line protocol writer for one endpoint. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct InfluxWriter {
    uri: Uri,
    url: String,
    authorization: Option<HeaderValue>,
    timeout: Duration,
    gzip: bool,
    client: Client<Connector, Full<Bytes>>,
}

impl std::fmt::Debug for InfluxWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfluxWriter")
            .field("url", &self.url)
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<redacted>"),
            )
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .finish()
    }
}

impl InfluxWriter {
    /// A writer for `config.url`, checked here: an `http` or `https` URL with a host, and a
    /// password with a user name.
    pub fn new(config: WriterConfig) -> Result<InfluxWriter, WriteError> {
        let invalid = |reason: &str| WriteError::InvalidUrl {
            url: config.url.clone(),
            reason: reason.to_string(),
        };
        let uri: Uri = config
            .url
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| invalid(&e.to_string()))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(invalid("the scheme must be http or https")),
        }
        if uri.host().is_none_or(str::is_empty) {
            return Err(invalid("no host"));
        }
        let authorization = match (&config.token, &config.username, &config.password) {
            (Some(_), Some(_), _) => {
                return Err(invalid(
                    "give a token or a user name and password, not both",
                ));
            }
            (Some(token), None, _) => Some(format!("Token {token}")),
            (None, Some(user), Some(password)) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )),
            (None, Some(_), None) | (None, None, Some(_)) => {
                return Err(invalid("a user name and a password go together"));
            }
            (None, None, None) => None,
        };
        let authorization = authorization
            .map(|v| HeaderValue::from_str(&v))
            .transpose()
            .map_err(|_| invalid("the credentials hold characters a header cannot carry"))?
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| invalid(&format!("no root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(InfluxWriter {
            uri,
            url: config.url,
            authorization,
            timeout: if config.timeout.is_zero() {
                Duration::from_secs(10)
            } else {
                config.timeout
            },
            gzip: config.gzip,
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// The URL written to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `lines` (line protocol, newline-separated). Empty text sends nothing. Any 2xx
    /// answer (InfluxDB gives 204) is success.
    pub async fn write(&self, lines: &str) -> Result<(), WriteError> {
        if lines.trim().is_empty() {
            return Ok(());
        }
        let body = if self.gzip {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(lines.as_bytes())
                .and_then(|()| gz.finish())
                .map_err(|e| self.http_error(&format!("compressing: {e}")))?
        } else {
            lines.as_bytes().to_vec()
        };
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(self.uri.clone())
            .header(CONTENT_TYPE, "text/plain; charset=utf-8");
        if self.gzip {
            req = req.header(CONTENT_ENCODING, "gzip");
        }
        if let Some(auth) = &self.authorization {
            req = req.header(AUTHORIZATION, auth.clone());
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| self.http_error(&e.to_string()))?;
        let exchange = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| self.http_error(&describe(&e)))?;
            let status = resp.status();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| self.http_error(&e.to_string()))?
                .to_bytes();
            Ok::<_, WriteError>((status, body))
        };
        let (status, body) = tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| self.http_error(&format!("no answer within {:?}", self.timeout)))??;
        if status.is_success() {
            return Ok(());
        }
        Err(WriteError::Status {
            url: self.url.clone(),
            status: status.as_u16(),
            message: error_message(&body),
        })
    }

    fn http_error(&self, message: &str) -> WriteError {
        WriteError::Http {
            url: self.url.clone(),
            message: message.to_string(),
        }
    }
}

/// The cause chain of a client error, e.g. "client error (Connect): connection refused".
fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// InfluxDB answers errors as `{"error":"..."}` (1.x) or `{"code":..,"message":".."}` (2.x).
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body).trim().to_string();
    for key in ["\"error\":\"", "\"message\":\""] {
        if let Some(start) = text.find(key) {
            let rest = &text[start + key.len()..];
            let mut out = String::new();
            let mut escaped = false;
            for c in rest.chars() {
                match (escaped, c) {
                    (true, c) => {
                        out.push(c);
                        escaped = false;
                    }
                    (false, '\\') => escaped = true,
                    (false, '"') => return out,
                    (false, c) => out.push(c),
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> WriterConfig {
        WriterConfig {
            url: url.into(),
            ..WriterConfig::default()
        }
    }

    #[test]
    fn urls_and_credentials_are_checked() {
        assert!(InfluxWriter::new(config("http://127.0.0.1:8086/write?db=aws")).is_ok());
        assert!(
            InfluxWriter::new(config(
                "https://influx.example.com/api/v2/write?org=o&bucket=b"
            ))
            .is_ok()
        );
        for bad in [
            "ftp://x/write",
            "127.0.0.1:8086/write",
            "http:///write",
            "not a url",
        ] {
            assert!(
                matches!(
                    InfluxWriter::new(config(bad)),
                    Err(WriteError::InvalidUrl { .. })
                ),
                "{bad}"
            );
        }
        let mut c = config("http://h/write");
        c.username = Some("u".into());
        assert!(
            InfluxWriter::new(c.clone()).is_err(),
            "user without password"
        );
        c.password = Some("p".into());
        assert!(InfluxWriter::new(c.clone()).is_ok());
        c.token = Some("t".into());
        assert!(InfluxWriter::new(c).is_err(), "token and basic both");
    }

    #[test]
    fn secrets_are_not_printed() {
        let mut c = config("http://h/write");
        c.token = Some("tok-123-secret".into());
        assert!(!format!("{c:?}").contains("tok-123-secret"));
        let w = InfluxWriter::new(c).unwrap();
        assert!(!format!("{w:?}").contains("tok-123-secret"));
    }

    #[test]
    fn error_bodies() {
        assert_eq!(
            error_message(br#"{"error":"database not found: \"x\""}"#),
            "database not found: \"x\""
        );
        assert_eq!(
            error_message(br#"{"code":"unauthorized","message":"unauthorized access"}"#),
            "unauthorized access"
        );
        assert_eq!(error_message(b"bad gateway\n"), "bad gateway");
    }
}
