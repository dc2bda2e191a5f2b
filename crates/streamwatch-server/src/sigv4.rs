//! SigV4 verification for `--auth verify`: the canonical request, the string to sign and
//! the signing key, computed from the request as it arrived and compared with the
//! signature the client sent (in the `Authorization` header or presigned in the query).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::HeaderMap;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// How far a request's `X-Amz-Date` may be from the server's clock, as AWS allows.
const MAX_SKEW_SECS: i64 = 5 * 60;

/// The access keys `--auth verify` accepts, each with its secret.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    secrets: HashMap<String, String>,
    first: Option<(String, String)>,
}

/// A credentials file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: expected `ACCESS_KEY_ID SECRET_ACCESS_KEY`")]
pub struct CredentialsFileError {
    /// The 1-based line at fault.
    pub line: usize,
}

impl Credentials {
    /// Adds one key (the first added is the one handed to functions).
    pub fn add(&mut self, access_key_id: &str, secret: &str) {
        if self.first.is_none() {
            self.first = Some((access_key_id.to_owned(), secret.to_owned()));
        }
        self.secrets
            .insert(access_key_id.to_owned(), secret.to_owned());
    }

    /// Reads lines `ACCESS_KEY_ID SECRET_ACCESS_KEY` (blank lines and `#` comments skipped).
    pub fn parse(text: &str) -> Result<Credentials, CredentialsFileError> {
        let mut out = Credentials::default();
        out.add_lines(text)?;
        Ok(out)
    }

    /// Adds the keys of a file in [`Credentials::parse`]'s format.
    pub fn add_lines(&mut self, text: &str) -> Result<(), CredentialsFileError> {
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some(key), Some(secret), None) => self.add(key, secret),
                _ => return Err(CredentialsFileError { line: i + 1 }),
            }
        }
        Ok(())
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The first key given, with its secret.
    pub fn first(&self) -> Option<(&str, &str)> {
        self.first.as_ref().map(|(k, s)| (k.as_str(), s.as_str()))
    }

    fn secret(&self, key: &str) -> Option<&str> {
        self.secrets.get(key).map(String::as_str)
    }
}

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// The access key is not one of the configured ones.
    UnknownKey,
    /// The signature is not the one the key's secret gives.
    BadSignature,
    /// The `Authorization` header (or presigned query) lacks a part; the text says which.
    Malformed(String),
    /// The request's date is more than five minutes from the server's clock; AWS's text.
    Skewed(String),
}

/// The parts of a SigV4 signature, from the header or the query.
struct Signed<'r> {
    key: &'r str,
    scope: &'r str,
    signed_headers: Vec<&'r str>,
    signature: &'r str,
    amz_date: String,
    presigned: bool,
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_header<'r>(auth: &'r str, headers: &HeaderMap) -> Result<Signed<'r>, AuthError> {
    let amz_date = header_str(headers, "x-amz-date");
    let parts =
        parse_authorization(auth, amz_date.is_some(), true).map_err(AuthError::Malformed)?;
    let Some(amz_date) = amz_date else {
        return Err(AuthError::Malformed(format!(
            "{DATE_REQUIRED} Authorization={auth}"
        )));
    };
    let (key, scope) = split_credential(parts.credential)?;
    Ok(Signed {
        key,
        scope,
        signed_headers: parts.signed_headers.split(';').collect(),
        signature: parts.signature,
        amz_date: amz_date.to_owned(),
        presigned: false,
    })
}

/// The sentence AWS adds when a signed request names no date.
const DATE_REQUIRED: &str =
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.";

/// The parts of an `Authorization` header, checked for structure only.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AuthorizationParts<'r> {
    /// `Credential=`: key id and scope.
    pub(crate) credential: &'r str,
    /// `SignedHeaders=`: `;`-separated names.
    pub(crate) signed_headers: &'r str,
    /// `Signature=`: hex.
    pub(crate) signature: &'r str,
}

/// Reads a SigV4 `Authorization` header as AWS's front ends do before they look at keys
/// or signatures, with their IncompleteSignatureException texts (recorded from AWS in
/// dynalite's and kinesalite's front ends): the three parameters (and a date header) first,
/// each missing one named, then the algorithm, then a credential of five `/`-separated
/// elements (a trailing `/` ignored). `has_date`: the request carries `X-Amz-Date` or
/// `Date`; `require_date`: its absence alone is an error (`--auth verify`; by default a
/// request without a date is let through, the signature being accepted unchecked).
pub(crate) fn parse_authorization(
    auth: &str,
    has_date: bool,
    require_date: bool,
) -> Result<AuthorizationParts<'_>, String> {
    let auth_trimmed = auth.trim();
    let (algorithm, rest) = auth_trimmed
        .split_once([' ', ','])
        .unwrap_or((auth_trimmed, ""));
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split([',', ' ']).filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let slot = match name {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => continue,
        };
        *slot = Some(value).filter(|v| !v.is_empty());
    }
    let mut missing = String::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push_str(&format!(
                "Authorization header requires '{name}' parameter. "
            ));
        }
    }
    if !has_date && (require_date || !missing.is_empty()) {
        missing.push_str(DATE_REQUIRED);
        missing.push(' ');
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(format!("{missing}Authorization={auth}"));
    };
    if !missing.is_empty() {
        return Err(format!("{missing}Authorization={auth}"));
    }
    if algorithm != "AWS4-HMAC-SHA256" {
        return Err(format!(
            "Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). "
        ));
    }
    if credential.trim_end_matches('/').split('/').count() != 5 {
        return Err(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ));
    }
    Ok(AuthorizationParts {
        credential,
        signed_headers,
        signature,
    })
}

/// What is structurally wrong with a signed request's signature, with AWS's
/// IncompleteSignatureException text, if anything: the `Authorization` header read by
/// [`parse_authorization`], or presigned query parameters that are missing. By default
/// (no `--auth verify`) this is the only signature check: any well-formed signature is
/// accepted.
pub(crate) fn incomplete_signature(query: Option<&str>, headers: &HeaderMap) -> Option<String> {
    if let Some(auth) = headers.get("authorization") {
        let auth = String::from_utf8_lossy(auth.as_bytes());
        let has_date = headers.contains_key("x-amz-date") || headers.contains_key("date");
        return parse_authorization(&auth, has_date, false).err();
    }
    let pairs = query_pairs(query?);
    if !pairs.iter().any(|(k, _)| k == "X-Amz-Algorithm") {
        return None;
    }
    let mut message = String::new();
    for name in [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if !pairs.iter().any(|(k, v)| k == name && !v.is_empty()) {
            message.push_str(&format!(
                "AWS query-string parameters must include '{name}'. "
            ));
        }
    }
    (!message.is_empty()).then(|| message + "Re-examine the query-string parameters.")
}

fn split_credential(credential: &str) -> Result<(&str, &str), AuthError> {
    let (key, scope) = credential.split_once('/').ok_or_else(|| {
        AuthError::Malformed(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ))
    })?;
    if scope.split('/').count() != 4 || !scope.ends_with("/aws4_request") {
        return Err(AuthError::Malformed(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request'. Credential={credential}"
        )));
    }
    Ok((key, scope))
}

/// The access key id and region a signed request names in its credential scope
/// (`Credential=KEY/DATE/REGION/SERVICE/aws4_request`, in the header or the presigned
/// query), when it names them.
pub(crate) fn credential_scope(
    query: Option<&str>,
    headers: &HeaderMap,
) -> Option<(String, String)> {
    let credential = match header_str(headers, "authorization") {
        Some(auth) => parse_authorization(auth, true, false)
            .ok()?
            .credential
            .to_owned(),
        None => {
            query
                .map(query_pairs)?
                .into_iter()
                .find(|(k, _)| k == "X-Amz-Credential")?
                .1
        }
    };
    let mut parts = credential.split('/');
    let key = parts.next().filter(|k| !k.is_empty())?;
    let region = parts.nth(1).filter(|r| !r.is_empty())?;
    Some((key.to_owned(), region.to_owned()))
}

/// Query pairs, percent-decoded.
fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let Some(byte) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// SigV4's URI encoding: every byte but `A-Za-z0-9-_.~` (and `/` when `keep_slash`).
fn encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(c as char);
        } else if c == b'/' && keep_slash {
            out.push('/');
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        unreachable!("HMAC accepts keys of any length");
    });
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Seconds since the epoch of a `YYYYMMDDTHHMMSSZ` time.
fn parse_amz_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// `YYYYMMDDTHHMMSSZ` of seconds since the epoch.
fn format_amz_date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The parts of a request its signature covers.
pub(crate) struct Incoming<'r> {
    /// The HTTP method.
    pub(crate) method: &'r str,
    /// The path as sent (still percent-encoded).
    pub(crate) path: &'r str,
    /// The query string as sent.
    pub(crate) query: Option<&'r str>,
    /// The headers.
    pub(crate) headers: &'r HeaderMap,
    /// HTTP/2's `:authority`, used when there is no `Host` header.
    pub(crate) authority: Option<&'r str>,
    /// The body as received.
    pub(crate) body: &'r [u8],
}

/// Checks a signed request's signature against `credentials` at time `now`.
pub(crate) fn verify(
    credentials: &Credentials,
    req: &Incoming<'_>,
    now: SystemTime,
) -> Result<(), AuthError> {
    let Incoming {
        method,
        path,
        query,
        headers,
        authority: host,
        body,
    } = *req;
    let pairs = query.map(query_pairs).unwrap_or_default();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let signed = if let Some(auth) = header_str(headers, "authorization") {
        parse_header(auth, headers)?
    } else {
        let (Some(credential), Some(date), Some(sh), Some(signature)) = (
            param("X-Amz-Credential"),
            param("X-Amz-Date"),
            param("X-Amz-SignedHeaders"),
            param("X-Amz-Signature"),
        ) else {
            return Err(AuthError::Malformed(
                "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
                    .to_owned(),
            ));
        };
        let (key, scope) = split_credential(credential)?;
        Signed {
            key,
            scope,
            signed_headers: sh.split(';').collect(),
            signature,
            amz_date: date.to_owned(),
            presigned: true,
        }
    };
    let Some(signed_at) = parse_amz_date(&signed.amz_date) else {
        return Err(AuthError::Malformed(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            signed.amz_date
        )));
    };
    let now = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if signed_at < now - MAX_SKEW_SECS {
        return Err(AuthError::Skewed(format!(
            "Signature expired: {} is now earlier than {} ({} - 5 min.)",
            signed.amz_date,
            format_amz_date(now - MAX_SKEW_SECS),
            format_amz_date(now)
        )));
    }
    if signed_at > now + MAX_SKEW_SECS {
        return Err(AuthError::Skewed(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            signed.amz_date,
            format_amz_date(now + MAX_SKEW_SECS),
            format_amz_date(now)
        )));
    }
    let Some(secret) = credentials.secret(signed.key) else {
        return Err(AuthError::UnknownKey);
    };

    // The canonical request.
    let canonical_uri = encode(if path.is_empty() { "/" } else { path }, true);
    let mut query_items: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !(signed.presigned && k == "X-Amz-Signature"))
        .map(|(k, v)| (encode(k, false), encode(v, false)))
        .collect();
    query_items.sort();
    let canonical_query = query_items
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in &signed.signed_headers {
        let value = if *name == "host" {
            header_str(headers, "host")
                .or(host)
                .unwrap_or_default()
                .to_owned()
        } else {
            headers
                .get_all(*name)
                .iter()
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(value.trim());
        canonical_headers.push('\n');
    }
    let payload_hash = match header_str(headers, "x-amz-content-sha256") {
        Some(h) => h.to_owned(),
        None if signed.presigned && param("X-Amz-Content-Sha256").is_some() => {
            param("X-Amz-Content-Sha256").unwrap_or_default().to_owned()
        }
        None => hex(&Sha256::digest(body)),
    };
    let canonical_request = format!(
        "{method}\n{canonical_uri}\n{canonical_query}\n{canonical_headers}\n{}\n{payload_hash}",
        signed.signed_headers.join(";")
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        signed.amz_date,
        signed.scope,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in signed.scope.split('/') {
        key = hmac(&key, part.as_bytes());
    }
    let expected = hex(&hmac(&key, string_to_sign.as_bytes()));
    // Constant-time comparison: the signature is a secret-derived value.
    let matches = expected.len() == signed.signature.len()
        && expected
            .bytes()
            .zip(signed.signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if matches {
        Ok(())
    } else {
        Err(AuthError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn amz_dates_round_trip() {
        for s in [
            "20261206T231500Z",
            "20000229T000000Z",
            "19700101T000000Z",
            "20991231T235959Z",
        ] {
            let secs = parse_amz_date(s).unwrap();
            assert_eq!(format_amz_date(secs), s);
        }
        assert_eq!(parse_amz_date("19700101T000100Z"), Some(60));
        assert_eq!(parse_amz_date("2026-12-06"), None);
    }

    fn sign(
        secret: &str,
        service: &str,
        uri: &str,
        body: &[u8],
        time: SystemTime,
    ) -> http::Request<Vec<u8>> {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
        use aws_sigv4::sign::v4;
        let identity =
            aws_credential_types::Credentials::new("AKID", secret, None, None, "t").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .unwrap()
            .into();
        let mut req = http::Request::builder()
            .method("POST")
            .uri(uri)
            .header("host", "127.0.0.1:4567")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "Kinesis_20131202.ListStreams")
            .body(body.to_vec())
            .unwrap();
        let signable = SignableRequest::new(
            "POST",
            uri,
            req.headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            SignableBody::Bytes(body),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(&mut req);
        req
    }

    fn check(
        req: &http::Request<Vec<u8>>,
        creds: &Credentials,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        let uri: axum::http::Uri = req.uri().to_string().parse().unwrap();
        let mut headers = HeaderMap::new();
        for (k, v) in req.headers() {
            headers.append(
                axum::http::HeaderName::from_bytes(k.as_str().as_bytes()).unwrap(),
                axum::http::HeaderValue::from_bytes(v.as_bytes()).unwrap(),
            );
        }
        verify(
            creds,
            &Incoming {
                method: req.method().as_str(),
                path: uri.path(),
                query: uri.query(),
                headers: &headers,
                authority: None,
                body: req.body(),
            },
            now,
        )
    }

    #[test]
    fn aws_sigv4_signatures_verify_and_wrong_ones_do_not() {
        let creds = Credentials::parse("# keys\nAKID secret1\nOTHER s2\n").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let body = br#"{"Limit":5}"#;
        for uri in [
            "http://127.0.0.1:4567/",
            "http://127.0.0.1:4567/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations?Qualifier=%24LATEST&b=a%20b",
        ] {
            let good = sign("secret1", "kinesis", uri, body, now);
            assert_eq!(check(&good, &creds, now), Ok(()), "{uri}");
            let bad = sign("wrong", "kinesis", uri, body, now);
            assert_eq!(check(&bad, &creds, now), Err(AuthError::BadSignature));
        }
        // The body is signed: another body fails.
        let mut tampered = sign("secret1", "kinesis", "http://127.0.0.1:4567/", body, now);
        *tampered.body_mut() = b"{}".to_vec();
        assert_eq!(check(&tampered, &creds, now), Err(AuthError::BadSignature));

        let unknown = Credentials::parse("NOTAKID secret1").unwrap();
        let good = sign("secret1", "kinesis", "http://127.0.0.1:4567/", body, now);
        assert_eq!(check(&good, &unknown, now), Err(AuthError::UnknownKey));

        let late = now + Duration::from_secs(600);
        match check(&good, &creds, late) {
            Err(AuthError::Skewed(m)) => {
                assert!(m.starts_with("Signature expired: "), "{m}");
                assert!(m.ends_with(" - 5 min.)"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let early = now - Duration::from_secs(600);
        assert!(
            matches!(check(&good, &creds, early), Err(AuthError::Skewed(m)) if m.starts_with("Signature not yet current"))
        );
    }

    #[test]
    fn presigned_urls_verify() {
        use aws_sigv4::http_request::{
            SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
        };
        use aws_sigv4::sign::v4;
        let now = UNIX_EPOCH + Duration::from_secs(1_796_000_000);
        let identity =
            aws_credential_types::Credentials::new("AKID", "secret1", None, None, "t").into();
        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(Duration::from_secs(300));
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("sns")
            .time(now)
            .settings(settings)
            .build()
            .unwrap()
            .into();
        let uri = "http://127.0.0.1:4567/?Action=ListTopics&Version=2010-03-31";
        let mut req = http::Request::builder()
            .method("GET")
            .uri(uri)
            .header("host", "127.0.0.1:4567")
            .body(Vec::new())
            .unwrap();
        let signable = SignableRequest::new(
            "GET",
            uri,
            req.headers()
                .iter()
                .map(|(k, v)| (k.as_str(), v.to_str().unwrap())),
            SignableBody::Bytes(b""),
        )
        .unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        instructions.apply_to_request_http1x(&mut req);
        let creds = Credentials::parse("AKID secret1").unwrap();
        assert_eq!(check(&req, &creds, now), Ok(()), "{}", req.uri());
        let wrong = Credentials::parse("AKID other").unwrap();
        assert_eq!(check(&req, &wrong, now), Err(AuthError::BadSignature));
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        let creds = Credentials::parse("AKID s").unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            axum::http::HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request",
            ),
        );
        let req = Incoming {
            method: "POST",
            path: "/",
            query: None,
            headers: &headers,
            authority: None,
            body: b"",
        };
        let r = verify(&creds, &req, SystemTime::now());
        assert!(
            matches!(r, Err(AuthError::Malformed(m)) if m.contains("requires 'Signature' parameter"))
        );
        assert!(Credentials::parse("only-a-key").is_err());
    }
}
