//! The price file and the cost computation, checked by hand.

use std::time::Duration;

use aws_prices::{
    Architecture, BYTES_PER_GB, LambdaUsage, PRICES_TOML, PriceError, PriceTable, RegionPrices,
    Usage,
};

fn us_east_1() -> &'static RegionPrices {
    PriceTable::embedded()
        .unwrap()
        .for_region("us-east-1")
        .unwrap()
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-12 + expected.abs() * 1e-9,
        "{actual} != {expected}"
    );
}

/// 2 shards for 10 minutes, 1,000,000 records of 1 KiB and 10 of 30 KiB, 2,000 Lambda
/// invocations of 120 ms at 256 MB on x86_64, at the us-east-1 prices of prices.toml:
///
/// - shard-hours: 2 x 10/60 = 1/3; x $0.015 = $0.005
/// - PUT payload units (25,600 bytes): a 1,024-byte record is 1 unit, a 30,720-byte record
///   is 2 (30,720 > 25,600); 1,000,000 x 1 + 10 x 2 = 1,000,020 units;
///   x $0.014 / 1,000,000 = $0.01400028
/// - Lambda requests: 2,000 x $0.20 / 1,000,000 = $0.0004
/// - Lambda GB-seconds: 2,000 x 0.120 s x 256/1,024 GB = 60; x $0.0000166667 = $0.001000002
///
/// total $0.005 + $0.01400028 + $0.0004 + $0.001000002 = $0.020400282;
/// per million records: 1,000,010 records, $0.020400282 / 1.00001 = $0.02040007799...
#[test]
fn hand_computed_load_test() {
    let mut usage = Usage::provisioned(2.0 * 10.0 / 60.0);
    usage.add_records(1024, 1_000_000);
    usage.add_records(30 * 1024, 10);
    let mut lambda = LambdaUsage::new(256, Architecture::X86_64);
    lambda.add_invocations(2_000, Duration::from_millis(120));
    usage.lambda.push(lambda);

    let cost = usage.cost(us_east_1());
    close(cost.line("Kinesis shard-hours").unwrap().amount_usd, 0.005);
    let put = cost.line("Kinesis PUT payload units").unwrap();
    assert_eq!(put.quantity, 1_000_020.0);
    close(put.amount_usd, 0.01400028);
    close(cost.line("Lambda requests").unwrap().amount_usd, 0.0004);
    let duration = cost.line("Lambda duration (x86_64)").unwrap();
    close(duration.quantity, 60.0);
    close(duration.amount_usd, 0.001000002);
    assert_eq!(cost.lines.len(), 4);
    close(cost.total_usd, 0.020400282);
    assert_eq!(cost.records, 1_000_010);
    close(
        cost.per_million_records(cost.records).unwrap(),
        0.020400282 / 1.00001,
    );
    assert_eq!(cost.per_million_records(0), None);

    let table = cost.to_string();
    println!("{table}");
    assert!(table.contains("Kinesis PUT payload units"), "{table}");
    assert!(table.contains("$0.020400"), "{table}");
    assert!(
        table.contains("per million records (1000010 records)"),
        "{table}"
    );

    let json = serde_json::to_value(&cost).unwrap();
    assert_eq!(json["lines"][1]["quantity"], 1_000_020.0);
    assert_eq!(json["lines"][1]["per"], 1_000_000.0);
    assert!(json["total_usd"].as_f64().unwrap() > 0.0);
}

#[test]
fn put_payload_unit_edges() {
    let unit = us_east_1().kinesis_provisioned.put_payload_unit_bytes;
    assert_eq!(unit, 25 * 1024);
    let units = |size: u64| {
        let mut usage = Usage::provisioned(0.0);
        usage.add_records(size, 1);
        usage.put_payload_units(unit)
    };
    assert_eq!(units(1), 1);
    assert_eq!(units(25_600), 1, "exactly 25 KB is one unit");
    assert_eq!(units(25_601), 2, "one byte over is two");
    assert_eq!(units(51_200), 2);
    assert_eq!(units(51_201), 3);
    assert_eq!(units(1024 * 1024), 41, "1 MiB is 40.96 units");
}

/// One on-demand stream for 2 hours, 1,000 records of 1,500 bytes (billed as 2 KB each, so
/// 2,048,000 bytes in), 4 GiB read:
/// - stream-hours 2 x $0.04 = $0.08
/// - in 2,048,000 / 2^30 GB x $0.08 = $0.000152587890625
/// - out 4 GB x $0.04 = $0.16
///
/// total $0.240152587890625
#[test]
fn on_demand() {
    let mut usage = Usage::on_demand(2.0);
    usage.add_records(1_500, 1_000);
    usage.bytes_out = 4 * 1024 * 1024 * 1024;
    let cost = usage.cost(us_east_1());
    assert_eq!(cost.lines.len(), 3);
    close(
        cost.line("Kinesis on-demand stream-hours")
            .unwrap()
            .amount_usd,
        0.08,
    );
    let data_in = cost.line("Kinesis on-demand data in").unwrap();
    close(data_in.quantity, 2_048_000.0 / BYTES_PER_GB);
    close(data_in.amount_usd, 0.000152587890625);
    close(
        cost.line("Kinesis on-demand data out").unwrap().amount_usd,
        0.16,
    );
    assert!(cost.line("Kinesis PUT payload units").is_none());
    close(cost.total_usd, 0.240152587890625);
}

#[test]
fn lambda_rounds_each_invocation_up_to_the_millisecond_and_splits_architectures() {
    let mut x86 = LambdaUsage::new(1024, Architecture::X86_64);
    x86.add_invocation(Duration::from_micros(1_001)); // billed 2 ms
    x86.add_invocation(Duration::from_millis(3)); // billed 3 ms
    assert_eq!(x86.billed_ms, 5);
    let mut arm = LambdaUsage::new(2048, Architecture::Arm64);
    arm.add_invocations(10, Duration::from_millis(100)); // 10 x 0.1 s x 2 GB = 2 GB-s
    let mut usage = Usage::provisioned(0.0);
    usage.lambda = vec![x86, arm];
    let cost = usage.cost(us_east_1());
    assert_eq!(cost.line("Lambda requests").unwrap().quantity, 12.0);
    // 5 ms at 1 GB = 0.005 GB-s x $0.0000166667
    close(
        cost.line("Lambda duration (x86_64)").unwrap().amount_usd,
        0.005 * 0.0000166667,
    );
    close(
        cost.line("Lambda duration (arm64)").unwrap().amount_usd,
        2.0 * 0.0000133334,
    );
    assert_eq!(us_east_1().lambda.billing_granularity_ms, 1);
}

#[test]
fn unknown_region() {
    let err = PriceTable::embedded()
        .unwrap()
        .for_region("mars-north-1")
        .unwrap_err();
    assert_eq!(
        err,
        PriceError::UnknownRegion {
            region: "mars-north-1".to_string(),
            known: vec!["us-east-1".to_string()],
        }
    );
    assert_eq!(
        err.to_string(),
        "no prices for region mars-north-1 (the price file has us-east-1)"
    );
}

/// Every block of every region parses with every field (a missing or unknown field fails the
/// parse), names an AWS pricing page and a date, and has positive prices.
#[test]
fn the_price_file_is_complete() {
    let table = PriceTable::from_toml(PRICES_TOML).unwrap();
    assert!(table.regions.contains_key("us-east-1"));
    for (region, p) in &table.regions {
        let blocks = [
            (&p.kinesis_provisioned.source, &p.kinesis_provisioned.as_of),
            (&p.kinesis_on_demand.source, &p.kinesis_on_demand.as_of),
            (&p.lambda.source, &p.lambda.as_of),
            (&p.sqs.source, &p.sqs.as_of),
            (&p.sns.source, &p.sns.as_of),
            (&p.cloudwatch.source, &p.cloudwatch.as_of),
        ];
        for (source, as_of) in blocks {
            assert!(
                source.starts_with("https://aws.amazon.com/"),
                "{region}: {source}"
            );
            assert!(source.contains("/pricing/"), "{region}: {source}");
            let parts: Vec<&str> = as_of.split('-').collect();
            assert!(
                parts.len() == 3
                    && parts[0].len() == 4
                    && parts[1].len() == 2
                    && parts[2].len() == 2
                    && parts.iter().all(|s| s.bytes().all(|b| b.is_ascii_digit())),
                "{region}: as_of {as_of}"
            );
        }
        let k = &p.kinesis_provisioned;
        let d = &p.kinesis_on_demand;
        let l = &p.lambda;
        let c = &p.cloudwatch;
        for price in [
            k.shard_hour,
            k.put_payload_units_per_million,
            k.extended_retention_shard_hour,
            k.enhanced_fan_out_consumer_shard_hour,
            k.enhanced_fan_out_gb_retrieved,
            d.stream_hour,
            d.gb_ingested,
            d.gb_retrieved,
            l.requests_per_million,
            l.gb_second_x86_64,
            l.gb_second_arm64,
            p.sqs.requests_per_million,
            p.sns.publishes_per_million,
            c.get_metric_data_per_thousand_metrics,
            c.custom_metric_month,
            c.alarm_metric_month_standard,
            c.alarm_metric_month_high_resolution,
            c.dashboard_month,
            c.put_metric_data_per_thousand_requests,
            c.logs_ingestion_gb,
        ] {
            assert!(price > 0.0 && price.is_finite(), "{region}: {price}");
        }
        for size in [
            k.put_payload_unit_bytes,
            d.record_rounding_bytes,
            p.sqs.request_chunk_bytes,
            p.sns.publish_chunk_bytes,
        ] {
            assert!(size > 0, "{region}");
        }
    }
}

#[test]
fn a_missing_or_unknown_field_is_refused() {
    assert!(PRICES_TOML.contains("\nshard_hour = 0.015\n"));
    let missing = PRICES_TOML.replacen("\nshard_hour = 0.015\n", "\n", 1);
    assert!(matches!(
        PriceTable::from_toml(&missing),
        Err(PriceError::PriceFile(_))
    ));
    let typo = PRICES_TOML.replacen("\nshard_hour = 0.015", "\nshard_hours = 0.015", 1);
    assert!(matches!(
        PriceTable::from_toml(&typo),
        Err(PriceError::PriceFile(_))
    ));
}

#[test]
fn cloudwatch_price_per_metric_requested() {
    close(
        us_east_1().cloudwatch.usd_per_metric_requested(),
        0.01 / 1000.0,
    );
}

/// The prices issue 16 added are in every region, positive, and every block (data transfer
/// included) names an AWS pricing page and a date.
#[test]
fn the_added_prices_are_complete() {
    let table = PriceTable::from_toml(PRICES_TOML).unwrap();
    for (region, p) in &table.regions {
        for (block, source, as_of) in p.sources() {
            assert!(
                source.starts_with("https://aws.amazon.com/") && source.contains("/pricing/"),
                "{region}.{block}: {source}"
            );
            assert_eq!(as_of.len(), 10, "{region}.{block}: {as_of}");
        }
        for price in [
            p.kinesis_provisioned.long_term_retention_gb_month,
            p.kinesis_on_demand.enhanced_fan_out_gb_retrieved,
            p.kinesis_on_demand.extended_retention_gb_month,
            p.kinesis_on_demand.long_term_retention_gb_month,
            p.lambda.provisioned_concurrency_gb_second_x86_64,
            p.lambda.provisioned_concurrency_gb_second_arm64,
            p.lambda.provisioned_duration_gb_second_x86_64,
            p.lambda.provisioned_duration_gb_second_arm64,
            p.sqs.fifo_requests_per_million,
            p.cloudwatch.composite_alarm_month,
            p.data_transfer.internet_out_gb,
        ] {
            assert!(price > 0.0 && price.is_finite(), "{region}: {price}");
        }
    }
    let us = us_east_1();
    assert_eq!(us.kinesis_provisioned.long_term_retention_gb_month, 0.023);
    assert_eq!(
        us.lambda.provisioned_concurrency_gb_second_x86_64,
        0.0000041667
    );
    assert_eq!(us.sqs.fifo_requests_per_million, 0.50);
    assert_eq!(us.cloudwatch.free_dashboards, 3);
    assert_eq!(us.data_transfer.internet_out_gb, 0.09);
}

/// An override file replaces the blocks it names, whole, and leaves the others; a partial
/// block, an unknown key or a new region without every block is refused.
#[test]
fn an_override_file_replaces_the_blocks_it_names() {
    let text = r#"
[regions.us-east-1.sqs]
source = "https://aws.amazon.com/sqs/pricing/"
as_of = "2027-01-15"
requests_per_million = 1.0
fifo_requests_per_million = 2.0
request_chunk_bytes = 65536
"#;
    let table = PriceTable::with_overrides(text).unwrap();
    let p = table.for_region("us-east-1").unwrap();
    assert_eq!(p.sqs.requests_per_million, 1.0);
    assert_eq!(p.sqs.as_of, "2027-01-15");
    assert_eq!(p.lambda, us_east_1().lambda);
    assert_eq!(
        *PriceTable::load(None).unwrap(),
        *PriceTable::embedded().unwrap()
    );
    assert_eq!(PriceTable::load(Some(text)).unwrap().into_owned(), table);

    let partial = "[regions.us-east-1.sqs]\nrequests_per_million = 1.0\n";
    assert!(matches!(
        PriceTable::with_overrides(partial),
        Err(PriceError::PriceFile(_))
    ));
    let unknown = "[prices]\nx = 1\n";
    assert!(matches!(
        PriceTable::with_overrides(unknown),
        Err(PriceError::PriceFile(_))
    ));
    let new_region = text.replace("us-east-1", "eu-west-1");
    assert!(matches!(
        PriceTable::with_overrides(&new_region),
        Err(PriceError::PriceFile(_))
    ));
    // A whole region copied under a new name is a new region.
    let copied = PRICES_TOML.replace("regions.us-east-1.", "regions.eu-west-1.");
    let table = PriceTable::with_overrides(&copied).unwrap();
    assert!(table.for_region("eu-west-1").is_ok() && table.for_region("us-east-1").is_ok());
}
