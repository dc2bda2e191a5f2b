//! What keeps web pages out: GET only, top-level navigations and same-origin requests only,
//! the Host check on the console's own port, and headers that forbid framing and foreign
//! sources.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The Content-Security-Policy of every console response: its own sources only, no framing,
/// no forms, no base URL.
const CSP: &str = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'";

/// The Host names a console on its own port answers to: loopback addresses, `localhost`
/// (and `*.localhost`) and the names given; any other Host (a DNS-rebinding domain that
/// resolves to 127.0.0.1) is refused.
#[derive(Clone, Debug, Default)]
pub struct HostCheck {
    allowed: Vec<String>,
}

impl HostCheck {
    /// A check that also accepts `allowed` (names or addresses, without port).
    pub fn new(allowed: &[String]) -> HostCheck {
        HostCheck {
            allowed: allowed.iter().map(|h| normalise(h)).collect(),
        }
    }

    /// Whether a `Host` value (with or without a port) names this machine or an allowed name.
    pub fn allows(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        if let Ok(ip) = name.parse::<std::net::IpAddr>()
            && ip.to_canonical().is_loopback()
        {
            return true;
        }
        let name = normalise(name);
        name == "localhost" || name.ends_with(".localhost") || self.allowed.contains(&name)
    }
}

fn normalise(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The host part of a `Host` value; `None` when it is not a host.
fn host_name(host: &str) -> Option<&str> {
    let host = host.trim();
    if host.is_empty() || host.contains(['@', '/', ' ', '\\']) {
        return None;
    }
    if let Some(rest) = host.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        return (after.is_empty() || after.starts_with(':')).then_some(inside);
    }
    Some(host.split_once(':').map_or(host, |(name, _)| name))
}

/// Why a request to the console is refused, if it is: not a GET, sent by a web page of
/// another site (`Sec-Fetch-Site` other than `none` or `same-origin`), or carrying an
/// `Origin` that is not the console's own (`http://` and the request's Host).
pub fn refusal(method: &Method, headers: &HeaderMap) -> Option<String> {
    if method != Method::GET {
        return Some(format!(
            "the console is read-only and answers GET only, not {method}"
        ));
    }
    if let Some(site) = headers.get("sec-fetch-site") {
        match site.to_str() {
            Ok("none" | "same-origin") => {}
            Ok(other) => {
                return Some(format!(
                    "a request from another site (Sec-Fetch-Site {other})"
                ));
            }
            Err(_) => return Some("Sec-Fetch-Site (not text)".to_owned()),
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        let own = host.map(|h| format!("http://{h}"));
        match origin.to_str() {
            Ok(o) if Some(o) == own.as_deref() => {}
            Ok(o) => return Some(format!("a request from another origin ({o})")),
            Err(_) => return Some("Origin (not text)".to_owned()),
        }
    }
    None
}

/// The refusal's response: 403, plain text.
pub(crate) fn refused(why: &str) -> Response {
    let body = format!(
        "streamwatch's console answers the address bar and its own page, not other web pages: refused {why}\n"
    );
    let mut resp = (StatusCode::FORBIDDEN, body).into_response();
    secure(&mut resp);
    resp
}

fn secure(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
}

/// The middleware in front of every console route.
pub(crate) async fn guard(
    State(host_check): State<Option<HostCheck>>,
    req: Request,
    next: Next,
) -> Response {
    if let Some(check) = &host_check {
        let host = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                req.headers()
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            });
        if !host.as_deref().is_some_and(|h| check.allows(h)) {
            return refused(&format!(
                "a request for host '{}' (the console answers loopback addresses, localhost and --allowed-host names)",
                host.unwrap_or_default()
            ));
        }
    }
    if let Some(why) = refusal(req.method(), req.headers()) {
        return refused(&why);
    }
    let mut resp = next.run(req).await;
    secure(&mut resp);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let c = HostCheck::new(&["box.test".to_owned()]);
        for ok in [
            "127.0.0.1:4567",
            "[::1]:1",
            "localhost",
            "a.localhost:1",
            "BOX.test.",
        ] {
            assert!(c.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "localhost.evil.example",
            "10.0.0.1",
            "",
            "u@127.0.0.1",
        ] {
            assert!(!c.allows(bad), "{bad}");
        }
    }

    #[test]
    fn web_pages_of_other_sites_are_refused() {
        let mut h = HeaderMap::new();
        assert!(refusal(&Method::GET, &h).is_none());
        assert!(refusal(&Method::POST, &h).is_some());
        for site in ["none", "same-origin"] {
            h.insert("sec-fetch-site", HeaderValue::from_static(site));
            assert!(refusal(&Method::GET, &h).is_none(), "{site}");
        }
        for site in ["cross-site", "same-site"] {
            h.insert("sec-fetch-site", HeaderValue::from_static(site));
            assert!(refusal(&Method::GET, &h).is_some(), "{site}");
        }
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:4567"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:4567"),
        );
        assert!(refusal(&Method::GET, &h).is_none());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(refusal(&Method::GET, &h).is_some());
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(refusal(&Method::GET, &h).is_some());
    }
}
