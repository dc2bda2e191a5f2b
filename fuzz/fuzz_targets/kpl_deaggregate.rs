//! KPL aggregates as a consumer reads them from GetRecords: any bytes.
//!
//! De-aggregation never panics, whether or not the magic bytes and MD5 trailer are right
//! (the input is tried both as is and wrapped in a valid frame, so the protobuf decoder sees
//! every input), and whatever decodes re-aggregates to records that decode the same.

#![no_main]

use bytes::Bytes;
use kinesis_client::kpl::{self, Aggregator, UserRecord};
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};

fuzz_target!(|data: &[u8]| {
    let _ = kpl::deaggregate(&Bytes::copy_from_slice(data));
    let mut framed = kpl::MAGIC.to_vec();
    framed.extend_from_slice(data);
    framed.extend_from_slice(&Md5::digest(data));
    let framed = Bytes::from(framed);
    let Ok(records) = kpl::deaggregate(&framed) else {
        return;
    };
    if records.is_empty() {
        return;
    }
    let mut agg = Aggregator::new();
    for r in &records {
        agg.push(UserRecord {
            partition_key: r.partition_key.clone(),
            explicit_hash_key: r.explicit_hash_key.clone(),
            data: r.data.clone(),
        });
    }
    let Some(again) = agg.finish() else {
        panic!("records went in, no aggregate came out")
    };
    let back = kpl::deaggregate(&again.data).expect("our own aggregate decodes");
    assert_eq!(back.len(), records.len());
    for (a, b) in back.iter().zip(&records) {
        assert_eq!(
            (&a.partition_key, &a.explicit_hash_key, &a.data),
            (&b.partition_key, &b.explicit_hash_key, &b.data)
        );
    }
});
