//! The KPL aggregated record format judged by aws-kinesis-agg, AWS's Python library (PyPI).
//!
//! `scripts/test.sh` installs it into `<workspace>/.venv` from tests/peers/requirements.txt.
//! These tests fail, rather than skip, when it is missing. The driver script is
//! tests/peers/kpl_agg.py.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use bytes::Bytes;
use kinesis_client::kpl::{
    AggregatedRecord, Aggregator, MAX_AGGREGATE_BYTES, UserRecord, deaggregate, is_aggregated,
};
use serde_json::{Value, json};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs tests/peers/kpl_agg.py in `mode` with `input` as JSON on stdin; returns its JSON output.
fn peer(mode: &str, input: &Value) -> Value {
    let python = workspace().join(".venv/bin/python3");
    assert!(
        python.exists(),
        "{} is missing: run scripts/test.sh, which creates .venv with aws-kinesis-agg \
         (tests/peers/requirements.txt)",
        python.display()
    );
    let mut child = Command::new(&python)
        .arg(workspace().join("tests/peers/kpl_agg.py"))
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} could not start ({e}); run scripts/test.sh",
                python.display()
            )
        });
    let stdin = serde_json::to_vec(input).unwrap();
    let mut pipe = child.stdin.take().unwrap();
    // Write from another thread so a large output cannot deadlock against a large input.
    let writer = std::thread::spawn(move || pipe.write_all(&stdin));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "kpl_agg.py {mode} failed (is aws-kinesis-agg installed? run scripts/test.sh)\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn unbase64(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("bad base64 {c}"));
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn rec(pk: &str, ehk: Option<&str>, data: impl Into<Vec<u8>>) -> UserRecord {
    UserRecord {
        partition_key: pk.to_owned(),
        explicit_hash_key: ehk.map(str::to_owned),
        data: Bytes::from(data.into()),
    }
}

/// Record sets both directions are checked with.
fn cases() -> Vec<(&'static str, Vec<UserRecord>)> {
    let mut rng = fastrand::Rng::with_seed(0x6b706c);
    let keys = [
        "alpha",
        "ключ",
        "鍵🔑",
        "ünïcödé",
        "a",
        "x".repeat(256).leak(),
    ];
    let ehks = [
        "0",
        "1",
        "170141183460469231731687303715884105728",
        "340282366920938463463374607431768211455",
    ];
    let mut random = |n: usize, max_len: usize, ehk_every: usize| -> Vec<UserRecord> {
        (0..n)
            .map(|i| {
                let pk = if i % 3 == 0 {
                    keys[i % keys.len()].to_owned()
                } else {
                    format!("pk-{}", i % 97)
                };
                let ehk = (ehk_every > 0 && i % ehk_every == 0).then(|| ehks[i % ehks.len()]);
                let len = if i % 10 == 0 {
                    0
                } else {
                    rng.usize(0..=max_len)
                };
                let data: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
                rec(&pk, ehk, data)
            })
            .collect()
    };
    vec![
        (
            "mixed",
            vec![
                rec("ключ", None, "значение"),
                rec("鍵🔑", Some("12345"), ""),
                rec("plain", None, vec![0u8, 0xff, 0x80, 0x7f]),
                rec("ключ", Some("12345"), "again"),
                rec("ünïcödé", None, ""),
            ],
        ),
        ("no_explicit_hash_keys", random(50, 200, 0)),
        ("all_explicit_hash_keys", random(50, 200, 1)),
        ("thousand", random(1000, 64, 7)),
        // About 3 MiB: several aggregates each way.
        ("thousand_large", random(1000, 6000, 0)),
    ]
}

/// Aggregates `records` in order, starting a new aggregate whenever the next would not fit.
fn aggregate_all(records: &[UserRecord]) -> Vec<AggregatedRecord> {
    let mut agg = Aggregator::new();
    let mut out = Vec::new();
    for r in records {
        if !agg.is_empty() && !agg.fits(r) {
            out.extend(agg.finish());
        }
        assert!(agg.fits(r), "a test record is too large to aggregate");
        agg.push(r.clone());
    }
    out.extend(agg.finish());
    out
}

fn records_json(records: &[UserRecord]) -> Value {
    Value::Array(
        records
            .iter()
            .map(|r| json!({"pk": r.partition_key, "ehk": r.explicit_hash_key, "data_hex": hex(&r.data)}))
            .collect(),
    )
}

#[test]
fn kpl_python_deaggregates_our_aggregates() {
    let mut quirks = 0;
    for (name, input) in cases() {
        let aggs = aggregate_all(&input);
        if name == "thousand_large" {
            assert!(aggs.len() >= 3, "{name}: {} aggregates", aggs.len());
        }
        for a in &aggs {
            assert!(
                a.data.len() + a.partition_key.len() <= MAX_AGGREGATE_BYTES,
                "{name}"
            );
        }
        let sent = Value::Array(
            aggs.iter()
                .map(|a| json!({"pk": a.partition_key, "data_hex": hex(&a.data)}))
                .collect(),
        );
        let got = peer("deagg", &sent);
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), aggs.len(), "{name}");

        let mut expected = input.iter();
        for (a, users) in aggs.iter().zip(got) {
            let users = users.as_array().unwrap();
            assert_eq!(users.len(), a.records, "{name}");
            let mine: Vec<&UserRecord> = expected.by_ref().take(a.records).collect();
            // The first explicit hash key in the aggregate's table, index 0.
            let first_ehk = mine.iter().find_map(|r| r.explicit_hash_key.as_deref());
            for (sub, (want, user)) in mine.iter().zip(users).enumerate() {
                let ctx = format!("{name}: record {sub} of {}", a.partition_key);
                assert_eq!(user["aggregated"], json!(true), "{ctx}");
                assert_eq!(user["sub"], json!(sub), "{ctx}");
                assert_eq!(
                    user["pk"].as_str(),
                    Some(want.partition_key.as_str()),
                    "{ctx}"
                );
                assert_eq!(
                    unbase64(user["data_b64"].as_str().unwrap()),
                    want.data,
                    "{ctx}"
                );
                let ehk = user["ehk"].as_str();
                match want.explicit_hash_key.as_deref() {
                    Some(want_ehk) => assert_eq!(ehk, Some(want_ehk), "{ctx}"),
                    // aws-kinesis-agg reads an absent explicit_hash_key_index as 0 whenever the
                    // table is not empty (it does not check field presence, as the KCL does), so
                    // it reports the table's first key for such records.
                    None if ehk.is_some() => {
                        assert_eq!(ehk, first_ehk, "{ctx}");
                        quirks += 1;
                    }
                    None => {}
                }
            }
        }
        assert!(expected.next().is_none(), "{name}: records left over");
    }
    eprintln!("records without an explicit hash key that aws-kinesis-agg gave table[0]: {quirks}");
}

#[test]
fn kpl_we_deaggregate_python_aggregates() {
    for (name, input) in cases() {
        let got = peer("agg", &records_json(&input));
        let aggs = got.as_array().unwrap();
        assert!(!aggs.is_empty(), "{name}");
        if name == "thousand_large" {
            assert!(aggs.len() >= 3, "{name}: {} aggregates", aggs.len());
        }
        let mut expected = input.iter();
        for (n, a) in aggs.iter().enumerate() {
            let data = Bytes::from(unhex(a["data_hex"].as_str().unwrap()));
            assert!(is_aggregated(&data), "{name}: aggregate {n}");
            let users = deaggregate(&data).unwrap_or_else(|e| panic!("{name}: aggregate {n}: {e}"));
            assert_eq!(users.len() as u64, a["records"].as_u64().unwrap(), "{name}");
            let mine: Vec<&UserRecord> = expected.by_ref().take(users.len()).collect();
            assert_eq!(
                a["pk"].as_str(),
                Some(mine[0].partition_key.as_str()),
                "{name}"
            );
            for (sub, (want, user)) in mine.iter().zip(&users).enumerate() {
                assert_eq!(user.sub_sequence_number, sub as u64, "{name}");
                assert_eq!(
                    &user.partition_key, &want.partition_key,
                    "{name}: record {sub}"
                );
                assert_eq!(
                    &user.explicit_hash_key, &want.explicit_hash_key,
                    "{name}: record {sub}"
                );
                assert_eq!(&user.data, &want.data, "{name}: record {sub}");
                assert!(data.as_ptr_range().contains(&user.data.as_ptr()) || user.data.is_empty());
            }
        }
        assert!(expected.next().is_none(), "{name}: records left over");
    }
}

#[test]
fn kpl_same_bytes_as_python_for_one_aggregate() {
    let mut compared = 0;
    for (name, input) in cases() {
        let theirs = peer("agg", &records_json(&input));
        let theirs = theirs.as_array().unwrap();
        if theirs.len() != 1 {
            // aws-kinesis-agg splits by its own (overestimated) sizes; only whole sets compare.
            continue;
        }
        let ours = aggregate_all(&input);
        assert_eq!(ours.len(), 1, "{name}");
        assert_eq!(
            hex(&ours[0].data),
            theirs[0]["data_hex"].as_str().unwrap(),
            "{name}"
        );
        assert_eq!(
            ours[0].partition_key,
            theirs[0]["pk"].as_str().unwrap(),
            "{name}"
        );
        compared += 1;
    }
    assert!(
        compared >= 4,
        "only {compared} record sets fit one aggregate"
    );
}
