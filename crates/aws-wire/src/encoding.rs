//! Which wire encoding a request uses, chosen from its `Content-Type`.

/// The body encodings of the AWS protocols streamwatch speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// AWS JSON 1.0 / 1.1 (the two differ only in the Content-Type): blobs are base64
    /// strings, timestamps epoch seconds (integer or fractional), and a Double may arrive as
    /// the string `"NaN"`, `"Infinity"` or `"-Infinity"` (and is written that way).
    Json,
    /// AWS CBOR 1.1 (the Java SDK v2 default for Kinesis): blobs are byte strings, timestamps
    /// tag 1 and epoch milliseconds.
    Cbor,
    /// Smithy RPC v2 CBOR (`application/cbor`; CloudWatch): blobs are byte strings,
    /// timestamps tag 1 and epoch seconds (integer or float, read to the millisecond),
    /// integers accepted where doubles are modeled, `undefined` read as null.
    RpcV2Cbor,
    /// The query protocol: `application/x-www-form-urlencoded` requests whose scalars are text
    /// (timestamps ISO 8601), answered in XML. Not returned by
    /// [`Encoding::from_content_type`]: a form body is a query request only for a service
    /// that speaks the protocol, which the HTTP layer knows.
    Query,
}

const JSON_1_0: &str = "application/x-amz-json-1.0";
const JSON_1_1: &str = "application/x-amz-json-1.1";
const CBOR_1_1: &str = "application/x-amz-cbor-1.1";
const RPC_V2_CBOR: &str = "application/cbor";

impl Encoding {
    /// The encoding named by a `Content-Type` header value, if it is one we speak.
    ///
    /// Parameters after `;`, surrounding whitespace and letter case are ignored, as AWS does.
    pub fn from_content_type(content_type: &str) -> Option<Encoding> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case(JSON_1_1) || media.eq_ignore_ascii_case(JSON_1_0) {
            Some(Encoding::Json)
        } else if media.eq_ignore_ascii_case(CBOR_1_1) {
            Some(Encoding::Cbor)
        } else if media.eq_ignore_ascii_case(RPC_V2_CBOR) {
            Some(Encoding::RpcV2Cbor)
        } else {
            None
        }
    }

    /// The `Content-Type` to answer with. `json_version` is the service's JSON protocol
    /// version ("1.0" for CloudWatch, "1.1" for Kinesis); AWS CBOR is always 1.1, RPC v2 CBOR
    /// `application/cbor` and the query protocol's XML `text/xml`.
    pub fn content_type(self, json_version: &str) -> &'static str {
        match self {
            Encoding::Json if json_version == "1.0" => JSON_1_0,
            Encoding::Json => JSON_1_1,
            Encoding::Cbor => CBOR_1_1,
            Encoding::RpcV2Cbor => RPC_V2_CBOR,
            Encoding::Query => "text/xml",
        }
    }
}

/// Whether a `Content-Type` value is a form (`application/x-www-form-urlencoded`, in any
/// case, parameters allowed): the query protocol's requests. Allocates nothing.
pub fn is_form_content_type(value: &str) -> bool {
    const FORM: &str = "application/x-www-form-urlencoded";
    value
        .trim_start()
        .get(..FORM.len())
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case(FORM))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_content_types_are_told_in_any_case() {
        assert!(is_form_content_type("application/x-www-form-urlencoded"));
        assert!(is_form_content_type(
            " Application/X-WWW-Form-Urlencoded; charset=utf-8"
        ));
        assert!(!is_form_content_type("application/x-amz-json-1.0"));
        assert!(!is_form_content_type("application/x-www"));
    }

    #[test]
    fn content_types() {
        let json = Some(Encoding::Json);
        let cbor = Some(Encoding::Cbor);
        assert_eq!(
            Encoding::from_content_type("application/x-amz-json-1.1"),
            json
        );
        assert_eq!(
            Encoding::from_content_type("application/x-amz-json-1.0"),
            json
        );
        assert_eq!(
            Encoding::from_content_type("application/x-amz-cbor-1.1"),
            cbor
        );
        assert_eq!(
            Encoding::from_content_type("  Application/X-Amz-JSON-1.1 ; charset=utf-8"),
            json
        );
        assert_eq!(
            Encoding::from_content_type("application/x-amz-cbor-1.1;"),
            cbor
        );
        assert_eq!(Encoding::from_content_type("application/json"), None);
        assert_eq!(
            Encoding::from_content_type("application/cbor"),
            Some(Encoding::RpcV2Cbor)
        );
        assert_eq!(Encoding::from_content_type(""), None);
        assert_eq!(
            Encoding::from_content_type("application/x-amz-json-1.1x"),
            None
        );
    }

    #[test]
    fn answers() {
        assert_eq!(Encoding::Json.content_type("1.1"), JSON_1_1);
        assert_eq!(Encoding::Json.content_type("1.0"), JSON_1_0);
        assert_eq!(Encoding::Cbor.content_type("1.0"), CBOR_1_1);
    }
}
