//! The MD5 digests SQS returns so clients can check what was stored: of the body, and of the
//! message attributes in AWS's canonical encoding.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use crate::AttributeValue;

/// Lower-case hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// MD5 of message attributes as SQS computes it: for each attribute in name order, the
/// name, the data type and the value, each as a 4-byte big-endian length and its bytes, with a
/// transport byte (1 for String and Number, 2 for Binary) before the value.
pub fn md5_of_attributes(attributes: &BTreeMap<String, AttributeValue>) -> String {
    fn field(h: &mut Md5, bytes: &[u8]) {
        h.update((bytes.len() as u32).to_be_bytes());
        h.update(bytes);
    }
    let mut h = Md5::new();
    // BTreeMap<String, _> iterates in byte order of the names, which is SQS's order.
    for (name, value) in attributes {
        field(&mut h, name.as_bytes());
        field(&mut h, value.data_type.as_bytes());
        h.update([if value.is_binary() { 2u8 } else { 1 }]);
        field(&mut h, &value.value);
    }
    hex(&h.finalize())
}
