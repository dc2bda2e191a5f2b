//! The two opaque strings clients hand back: shard iterators and sequence numbers.
//!
//! Whatever the text, decoding never panics, and anything that decodes re-encodes to a value
//! that decodes to the same thing.

#![no_main]

use kinesis_engine::iterator::IteratorToken;
use kinesis_engine::sequence::SequenceNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(token) = IteratorToken::decode(&text) {
        assert_eq!(IteratorToken::decode(&token.encode()), Some(token));
    }
    if let Some(seq) = SequenceNumber::parse(&text) {
        let formatted = seq.format();
        assert_eq!(
            SequenceNumber::parse(&formatted),
            Some(seq),
            "{text} -> {formatted}"
        );
        assert_eq!(formatted.len(), 56, "{text} -> {formatted}");
    }
});
