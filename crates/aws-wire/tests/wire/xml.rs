//! The query protocol's XML answers: whole documents for small examples, and the documents
//! read back with smithy-rs's XML reader (what aws-sdk-rust parses query answers with),
//! `DateTime` and number parsers.

use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use aws_smithy_types::primitive::Parse;
use aws_smithy_xml::decode::{Document, ScopedDecoder, try_data};
use aws_wire::{
    Encoding, WireError, Writer, error_body, query_compatible_error, query_error, query_response,
};
use proptest::prelude::*;

const NS: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

fn text(doc: Vec<u8>) -> String {
    String::from_utf8(doc).expect("XML output is UTF-8")
}

/// A GetMetricStatistics answer with every kind of token.
fn statistics() -> Vec<u8> {
    let mut w = Writer::new(Encoding::Query);
    w.begin_map(Some(3));
    w.key("Label");
    w.str("Latency & <p99> \"q\" 'a'");
    w.key("Datapoints");
    w.begin_array(Some(2));
    w.begin_map(None);
    w.key("Timestamp");
    w.timestamp_ms(1_758_321_960_000);
    w.key("SampleCount");
    w.float(3.0);
    w.key("Average");
    w.float(1e-5);
    w.key("Unit");
    w.str("Milliseconds");
    w.key("ExtendedStatistics");
    w.begin_dict(Some(2));
    w.key("p99");
    w.float(41.0);
    w.key("p50");
    w.float(f64::NAN);
    w.end_dict();
    w.end_map();
    w.begin_map(None);
    w.key("Timestamp");
    w.timestamp_ms(1_758_322_020_007);
    w.key("Maximum");
    w.float(-0.0);
    w.key("Sum");
    w.null();
    w.key("ExtendedStatistics");
    w.begin_dict(Some(0));
    w.end_dict();
    w.end_map();
    w.end_array();
    w.key("Messages");
    w.begin_array(Some(0));
    w.end_array();
    w.key("NextToken");
    w.null();
    w.end_map();
    query_response("GetMetricStatistics", NS, Some(&w.finish()), "req-1")
}

#[test]
fn a_whole_get_metric_statistics_answer() {
    assert_eq!(
        text(statistics()),
        "<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
         <GetMetricStatisticsResult>\
         <Label>Latency &amp; &lt;p99&gt; &quot;q&quot; &apos;a&apos;</Label>\
         <Datapoints>\
         <member><Timestamp>2025-09-19T22:46:00Z</Timestamp><SampleCount>3.0</SampleCount>\
         <Average>1.0E-5</Average><Unit>Milliseconds</Unit><ExtendedStatistics>\
         <entry><key>p99</key><value>41.0</value></entry>\
         <entry><key>p50</key><value>NaN</value></entry>\
         </ExtendedStatistics></member>\
         <member><Timestamp>2025-09-19T22:47:00.007Z</Timestamp><Maximum>-0.0</Maximum>\
         <ExtendedStatistics/></member>\
         </Datapoints>\
         <Messages/>\
         </GetMetricStatisticsResult>\
         <ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>\
         </GetMetricStatisticsResponse>"
    );
}

#[test]
fn lists_maps_and_scalars() {
    let mut w = Writer::new(Encoding::Query);
    w.begin_map(None);
    w.key("Metrics");
    w.begin_array(None);
    w.begin_map(None);
    w.key("Namespace");
    w.str("AWS/Kinesis");
    w.key("Dimensions");
    w.begin_array(Some(1));
    w.begin_map(Some(2));
    w.key("Name");
    w.str("StreamName");
    w.key("Value");
    w.str("orders");
    w.end_map();
    w.end_array();
    w.end_map();
    w.begin_map(Some(0));
    w.end_map();
    w.null();
    w.end_array();
    w.key("Grid");
    w.begin_array(None);
    w.begin_array(None);
    w.int(-1);
    w.uint(u64::MAX);
    w.end_array();
    w.begin_array(None);
    w.end_array();
    w.end_array();
    w.key("Things");
    w.begin_dict(None);
    w.key("a&b");
    w.begin_map(None);
    w.key("On");
    w.bool(true);
    w.end_map();
    w.key("gone");
    w.null();
    w.key("empty");
    w.begin_map(None);
    w.end_map();
    w.key("list");
    w.begin_array(None);
    w.bytes(b"hi");
    w.end_array();
    w.end_dict();
    w.key("Inner");
    w.begin_map(None);
    w.key("Off");
    w.bool(false);
    w.end_map();
    w.end_map();
    assert_eq!(
        text(w.finish()),
        "<Metrics>\
         <member><Namespace>AWS/Kinesis</Namespace><Dimensions><member><Name>StreamName</Name>\
         <Value>orders</Value></member></Dimensions></member>\
         <member/>\
         </Metrics>\
         <Grid><member><member>-1</member><member>18446744073709551615</member></member>\
         <member/></Grid>\
         <Things>\
         <entry><key>a&amp;b</key><value><On>true</On></value></entry>\
         <entry><key>empty</key><value/></entry>\
         <entry><key>list</key><value><member>aGk=</member></value></entry>\
         </Things>\
         <Inner><Off>false</Off></Inner>"
    );
}

#[test]
fn results_and_errors() {
    assert_eq!(
        text(query_response("PutMetricData", NS, None, "r&1")),
        "<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\
         <ResponseMetadata><RequestId>r&amp;1</RequestId></ResponseMetadata>\
         </PutMetricDataResponse>"
    );
    assert_eq!(
        text(query_response("ListMetrics", "a\"b", Some(b""), "r")),
        "<ListMetricsResponse xmlns=\"a&quot;b\"><ListMetricsResult/>\
         <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListMetricsResponse>"
    );
    // The error AWS sent in 2016 (python-diamond/Diamond#372), byte for byte but whitespace.
    assert_eq!(
        text(query_error(
            NS,
            true,
            "InvalidParameterValue",
            Some(
                "The parameter MetricData.member.1.Timestamp must specify a time within the past two weeks."
            ),
            "dfeb21b1-ba8a-11e5-9d59-1b26dbc49fdd",
        )),
        "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error>\
         <Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The parameter \
         MetricData.member.1.Timestamp must specify a time within the past two weeks.</Message>\
         </Error><RequestId>dfeb21b1-ba8a-11e5-9d59-1b26dbc49fdd</RequestId></ErrorResponse>"
    );
    assert_eq!(
        text(query_error(NS, true, "ResourceNotFound", None, "r")),
        "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><Error>\
         <Type>Sender</Type><Code>ResourceNotFound</Code></Error><RequestId>r</RequestId>\
         </ErrorResponse>"
    );
    // The encoding-generic error bodies in XML, without the namespace and id they lack.
    assert_eq!(
        text(error_body(Encoding::Query, "ValidationError", Some("x<y"))),
        "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>\
         <Message>x&lt;y</Message></Error></ErrorResponse>"
    );
    assert_eq!(
        text(WireError::Serialization(String::new()).to_body(Encoding::Query)),
        "<ErrorResponse><Error><Type>Sender</Type><Code>SerializationException</Code></Error>\
         </ErrorResponse>"
    );
    let (body, header) =
        query_compatible_error(Encoding::Query, "ns", "Shape", "Code", false, None);
    assert_eq!(header, "Code;Receiver");
    assert_eq!(
        text(body),
        "<ErrorResponse><Error><Type>Receiver</Type><Code>Code</Code></Error></ErrorResponse>"
    );
}

/// The data of the next child of `tag`, which must be named `name`.
fn child(tag: &mut ScopedDecoder<'_, '_>, name: &str) -> String {
    let mut next = tag.next_tag().expect("another element");
    assert_eq!(next.start_el().local(), name);
    try_data(&mut next).expect("text").into_owned()
}

fn millis(text: &str) -> i64 {
    DateTime::from_str(text, Format::DateTime)
        .expect("smithy-rs reads the timestamp")
        .to_millis()
        .expect("in range")
}

fn number(text: &str) -> f64 {
    f64::parse_smithy_primitive(text).expect("smithy-rs reads the double")
}

#[test]
fn smithy_rs_reads_the_answer() {
    let doc = statistics();
    let xml = std::str::from_utf8(&doc).unwrap();
    let mut document = Document::new(xml);
    let mut root = document.root_element().unwrap();
    assert!(root.start_el().matches("GetMetricStatisticsResponse"));
    assert_eq!(root.start_el().attr("xmlns"), Some(NS));
    let mut result = root.next_tag().unwrap();
    assert!(result.start_el().matches("GetMetricStatisticsResult"));
    assert_eq!(child(&mut result, "Label"), "Latency & <p99> \"q\" 'a'");
    {
        let mut points = result.next_tag().unwrap();
        assert!(points.start_el().matches("Datapoints"));
        let mut first = points.next_tag().unwrap();
        assert_eq!(millis(&child(&mut first, "Timestamp")), 1_758_321_960_000);
        assert_eq!(number(&child(&mut first, "SampleCount")), 3.0);
        assert_eq!(number(&child(&mut first, "Average")), 1e-5);
        assert_eq!(child(&mut first, "Unit"), "Milliseconds");
        let mut stats = first.next_tag().unwrap();
        let mut entry = stats.next_tag().unwrap();
        assert_eq!(child(&mut entry, "key"), "p99");
        assert_eq!(number(&child(&mut entry, "value")), 41.0);
        drop(entry);
        let mut entry = stats.next_tag().unwrap();
        assert_eq!(child(&mut entry, "key"), "p50");
        assert!(number(&child(&mut entry, "value")).is_nan());
        drop(entry);
        drop(stats);
        drop(first);
        let mut second = points.next_tag().unwrap();
        assert_eq!(millis(&child(&mut second, "Timestamp")), 1_758_322_020_007);
        let max = number(&child(&mut second, "Maximum"));
        assert!(max == 0.0 && max.is_sign_negative());
        let mut empty = second.next_tag().unwrap();
        assert!(empty.start_el().matches("ExtendedStatistics"));
        assert!(empty.next_tag().is_none());
        drop(empty);
        assert!(second.next_tag().is_none());
    }
    let mut messages = result.next_tag().unwrap();
    assert!(messages.start_el().matches("Messages"));
    assert!(messages.next_tag().is_none());
    drop(messages);
    assert!(result.next_tag().is_none());
    drop(result);
    let mut meta = root.next_tag().unwrap();
    assert!(meta.start_el().matches("ResponseMetadata"));
    assert_eq!(child(&mut meta, "RequestId"), "req-1");
}

/// Writes `{"S": s}` as a query answer and reads `S` back with smithy-rs.
fn through_smithy(s: &str) -> String {
    let mut w = Writer::new(Encoding::Query);
    w.begin_map(Some(1));
    w.key("S");
    w.str(s);
    w.end_map();
    let doc = query_response("Op", NS, Some(&w.finish()), "id");
    let xml = String::from_utf8(doc).unwrap();
    let mut document = Document::new(&xml);
    let mut root = document.root_element().unwrap();
    let mut result = root.next_tag().unwrap();
    child(&mut result, "S")
}

#[test]
fn text_survives_smithy_rs() {
    for s in [
        "",
        "plain",
        "a\r\nb\tc\n",
        "]]>",
        "&amp;",
        "<!--x-->",
        "é😀\u{7f}\u{85}",
    ] {
        assert_eq!(through_smithy(s), s, "{s:?}");
    }
    // Characters XML cannot carry come back as U+FFFD rather than breaking the document.
    assert_eq!(
        through_smithy("a\u{0}b\u{1b}c\u{FFFE}"),
        "a\u{FFFD}b\u{FFFD}c\u{FFFD}"
    );
}

proptest! {
    /// Any text reads back from the XML as written, but for the characters XML 1.0 cannot
    /// carry, which read back as U+FFFD.
    #[test]
    fn any_text_reads_back(s in any::<String>()) {
        let expected: String = s
            .chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => c,
                '\u{0}'..='\u{1f}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
                c => c,
            })
            .collect();
        prop_assert_eq!(through_smithy(&s), expected);
    }

    /// Timestamps in years 1..=9999 read back to the millisecond.
    #[test]
    fn timestamps_read_back(ms in -62_135_596_800_000i64..253_402_300_800_000) {
        let mut w = Writer::new(Encoding::Query);
        w.timestamp_ms(ms);
        let text = String::from_utf8(w.finish()).unwrap();
        prop_assert_eq!(millis(&text), ms);
    }

    /// Doubles read back bit for bit (NaN as NaN), in Java's notation.
    #[test]
    fn doubles_read_back(v in any::<f64>()) {
        let mut w = Writer::new(Encoding::Query);
        w.float(v);
        let text = String::from_utf8(w.finish()).unwrap();
        let back = number(&text);
        if v.is_nan() {
            prop_assert!(back.is_nan());
        } else {
            prop_assert_eq!(back.to_bits(), v.to_bits(), "{}", text);
        }
        // Java's shape: a fraction digit always, an exponent outside [1e-3, 1e7).
        if v.is_finite() {
            let a = v.abs();
            let (mantissa, exp) = text.split_once('E').unwrap_or((&text, ""));
            prop_assert!(mantissa.contains('.'), "{}", text);
            prop_assert_eq!(exp.is_empty(), a == 0.0 || (1e-3..1e7).contains(&a), "{}", text);
        }
    }
}
