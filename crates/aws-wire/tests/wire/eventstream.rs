//! Our event-stream framing read back by smithy-rs's reader (what aws-sdk-kinesis uses), and
//! smithy-rs's frames read by ours.

use aws_smithy_eventstream::frame::{read_message_from, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use aws_wire::eventstream::{decode_message, encode_message};

#[test]
fn smithy_reads_our_frames() {
    let bytes = encode_message(
        &[
            (":message-type", "event"),
            (":event-type", "SubscribeToShardEvent"),
            (":content-type", "application/json"),
        ],
        br#"{"Records":[]}"#,
    );
    let msg = read_message_from(&bytes[..]).expect("smithy-rs reads the frame");
    assert_eq!(msg.payload().as_ref(), br#"{"Records":[]}"#);
    let event_type = msg
        .headers()
        .iter()
        .find(|h| h.name().as_str() == ":event-type")
        .map(|h| h.value().as_string().unwrap().as_str().to_owned());
    assert_eq!(event_type.as_deref(), Some("SubscribeToShardEvent"));
    assert_eq!(msg.headers().len(), 3);
}

#[test]
fn we_read_smithy_frames() {
    let msg = Message::new(&b"payload"[..])
        .add_header(Header::new(
            ":message-type",
            HeaderValue::String("exception".into()),
        ))
        .add_header(Header::new("n", HeaderValue::Int32(7)))
        .add_header(Header::new(
            ":exception-type",
            HeaderValue::String("X".into()),
        ));
    let mut bytes = Vec::new();
    write_message_to(&msg, &mut bytes).unwrap();
    let (read, used) = decode_message(&bytes).unwrap().unwrap();
    assert_eq!(used, bytes.len());
    assert_eq!(read.header(":exception-type"), Some("X"));
    assert_eq!(read.headers.len(), 2);
    assert_eq!(read.payload, b"payload");
}
