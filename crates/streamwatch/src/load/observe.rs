//! Watches the function behind the stream through CloudWatch Logs, on AWS as on the engine:
//! the completion lines it prints for load-test records (end-to-end latency, pipeline
//! throughput) and Lambda's REPORT lines (cold starts are the ones with an `Init Duration`);
//! a downstream stream; and the mappings' on-failure destination (records given up on).

use std::collections::HashSet;
use std::time::Duration;

use load_gen::Completion;
use tokio::sync::{mpsc, watch};

use super::driver::Sample;

/// Seconds a message of the on-failure queue stays hidden once the test received it (it is
/// made visible again when the test ends, or by SQS after this long).
const HIDDEN_SECS: i32 = 60;
/// How often the function's log is read.
const POLL: Duration = Duration::from_millis(500);
/// How far behind the newest event each read starts again: log events can be stored a few
/// seconds after their timestamp, and the sets below drop what is read twice.
const LATE_MS: i64 = 5_000;

/// Reads the function's log group until told to stop.
pub(super) struct Observer {
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    pub(super) group: String,
    pub(super) test_id: String,
    pub(super) since_ms: i64,
    /// Whether completion lines count (not when a downstream stream is read instead).
    pub(super) completions: bool,
}

impl Observer {
    /// Polls until `stop` turns true, then reads once more and returns.
    pub(super) async fn run(
        self,
        tx: mpsc::UnboundedSender<Sample>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut completed: HashSet<u64> = HashSet::new();
        let mut reports: HashSet<String> = HashSet::new();
        // Each read starts shortly before the newest event seen so far, not at the test's
        // start, so a long test does not read its whole log again every half second.
        let mut from_ms = self.since_ms;
        loop {
            let last = *stop.borrow();
            let newest = self.poll(from_ms, &tx, &mut completed, &mut reports).await;
            from_ms = from_ms.max(newest.saturating_sub(LATE_MS));
            if last {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Reads completion and REPORT lines from `from_ms`; returns the newest event's time.
    async fn poll(
        &self,
        from_ms: i64,
        tx: &mpsc::UnboundedSender<Sample>,
        completed: &mut HashSet<u64>,
        reports: &mut HashSet<String>,
    ) -> i64 {
        let lines = if self.completions {
            self.events(load_gen::records::COMPLETION_PREFIX, from_ms)
                .await
        } else {
            Vec::new()
        };
        let reported = self.events("REPORT", from_ms).await;
        let newest = lines
            .iter()
            .chain(&reported)
            .map(|e| e.1)
            .max()
            .unwrap_or(from_ms);
        for line in lines {
            let Some(c) = Completion::parse_line(&line.2) else {
                continue;
            };
            if c.marker.id == self.test_id && completed.insert(c.marker.seq) {
                let latency = c.done_ms.saturating_sub(c.marker.sent_ms) as f64;
                let _ = tx.send(Sample::Completed {
                    seq: c.marker.seq,
                    latency_ms: latency,
                });
            }
        }
        for (id, _, message) in reported {
            if message.starts_with("REPORT RequestId:") && reports.insert(id) {
                let _ = tx.send(Sample::Invocation {
                    cold: message.contains("Init Duration"),
                    billed_ms: report_field(&message, "Billed Duration:", "ms"),
                    memory_mb: report_field(&message, "Memory Size:", "MB"),
                });
            }
        }
        newest
    }

    /// The group's events from `from_ms` on that match `pattern`: (event id, timestamp,
    /// message). A group that does not exist yet has none.
    async fn events(&self, pattern: &str, from_ms: i64) -> Vec<(String, i64, String)> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .filter_log_events()
                .log_group_name(&self.group)
                .start_time(from_ms)
                .filter_pattern(pattern)
                .set_next_token(token.take())
                .send()
                .await;
            let Ok(page) = page else {
                return out;
            };
            for e in page.events() {
                if let Some(message) = e.message() {
                    let id = e.event_id().map_or_else(
                        || {
                            format!(
                                "{}/{}/{message}",
                                e.log_stream_name().unwrap_or_default(),
                                e.timestamp().unwrap_or_default()
                            )
                        },
                        str::to_owned,
                    );
                    out.push((id, e.timestamp().unwrap_or(from_ms), message.to_owned()));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() && !page.events().is_empty() => token = Some(t.to_owned()),
                _ => return out,
            }
        }
    }
}

/// Reads a downstream stream the function writes to: each load-test record found there
/// (matched by its marker) is done at its arrival in that stream. Shards are listed once, at
/// the start; a downstream stream resharded during the test is read only on its first shards.
pub(super) struct StreamObserver {
    pub(super) kinesis: aws_sdk_kinesis::Client,
    pub(super) stream: String,
    pub(super) test_id: String,
    pub(super) since_ms: u64,
}

impl StreamObserver {
    /// Reads every shard from `since_ms` until `stop` turns true, then once more.
    pub(super) async fn run(
        self,
        tx: mpsc::UnboundedSender<Sample>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut seen: HashSet<u64> = HashSet::new();
        let mut iterators = self.iterators().await;
        loop {
            let last = *stop.borrow();
            for it in &mut iterators {
                self.read(it, &tx, &mut seen).await;
            }
            if last {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn iterators(&self) -> Vec<Option<String>> {
        let Ok(shards) = self
            .kinesis
            .list_shards()
            .stream_name(&self.stream)
            .send()
            .await
        else {
            eprintln!(
                "streamwatch load: cannot list the shards of {}",
                self.stream
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for shard in shards.shards() {
            let it = self
                .kinesis
                .get_shard_iterator()
                .stream_name(&self.stream)
                .shard_id(shard.shard_id())
                .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::AtTimestamp)
                .timestamp(aws_sdk_kinesis::primitives::DateTime::from_millis(
                    i64::try_from(self.since_ms).unwrap_or(i64::MAX),
                ))
                .send()
                .await
                .ok()
                .and_then(|o| o.shard_iterator().map(str::to_owned));
            out.push(it);
        }
        out
    }

    /// Reads one shard until it has nothing new.
    async fn read(
        &self,
        iterator: &mut Option<String>,
        tx: &mpsc::UnboundedSender<Sample>,
        seen: &mut HashSet<u64>,
    ) {
        while let Some(it) = iterator.clone() {
            let Ok(page) = self.kinesis.get_records().shard_iterator(it).send().await else {
                return;
            };
            *iterator = page.next_shard_iterator().map(str::to_owned);
            for r in page.records() {
                let done_ms = r
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .and_then(|t| u64::try_from(t).ok())
                    .unwrap_or_else(time_source::now_ms);
                // A function may forward the records it got as KPL aggregates.
                for data in user_records(r.data().as_ref()) {
                    let Some(marker) = load_gen::Marker::parse(&data) else {
                        continue;
                    };
                    if marker.id != self.test_id || !seen.insert(marker.seq) {
                        continue;
                    }
                    let latency = done_ms.saturating_sub(marker.sent_ms) as f64;
                    let _ = tx.send(Sample::Completed {
                        seq: marker.seq,
                        latency_ms: latency,
                    });
                }
            }
            if page.records().is_empty() || page.millis_behind_latest() == Some(0) {
                return;
            }
        }
    }
}

/// A number from a REPORT line: `Billed Duration: 12 ms` gives 12 for
/// ("Billed Duration:", "ms").
fn report_field<T: std::str::FromStr>(line: &str, label: &str, unit: &str) -> Option<T> {
    let mut words = line[line.find(label)? + label.len()..].split_whitespace();
    let number = words.next()?;
    words.next().filter(|u| u.starts_with(unit))?;
    number.parse().ok()
}

/// Reads the on-failure destination (an SQS queue) of the function's mappings on the loaded
/// streams: each `KinesisBatchInfo` names a shard and a range of sequence numbers the mapping
/// gave up on; the records in that range are read back from the stream and those of this test
/// are reported as discarded, so they count as failed without waiting for `--drain`. Messages
/// are never deleted: each is hidden while the test reads the queue (so the next receive
/// returns others) and made visible again when the test ends, so the queue stays as it was
/// for whoever reads it after.
pub(super) struct DestinationObserver {
    pub(super) sqs: aws_sdk_sqs::Client,
    pub(super) kinesis: aws_sdk_kinesis::Client,
    pub(super) queue_url: String,
    /// ARNs of the loaded streams the mappings read.
    pub(super) stream_arns: Vec<String>,
    pub(super) test_id: String,
}

impl DestinationObserver {
    /// Polls the queue until `stop` turns true, then once more.
    pub(super) async fn run(
        self,
        tx: mpsc::UnboundedSender<Sample>,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut messages: HashSet<String> = HashSet::new();
        let mut discarded: HashSet<u64> = HashSet::new();
        let mut receipts: Vec<String> = Vec::new();
        // Ranges still to read: a read the stream refused (its shard's read limit is shared
        // with the mapping's poller) is tried again at the next poll.
        let mut pending: Vec<Range> = Vec::new();
        loop {
            let last = *stop.borrow();
            self.poll(&mut messages, &mut receipts, &mut pending).await;
            let mut unread = Vec::new();
            for range in pending.drain(..) {
                if !self.read_range(&range, &tx, &mut discarded).await {
                    unread.push(range);
                }
            }
            pending = unread;
            if last {
                self.release(receipts).await;
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    /// Receives until the queue has nothing new; the ranges of the loaded streams go to
    /// `pending`.
    async fn poll(
        &self,
        messages: &mut HashSet<String>,
        receipts: &mut Vec<String>,
        pending: &mut Vec<Range>,
    ) {
        for _ in 0..100 {
            let Ok(out) = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .visibility_timeout(HIDDEN_SECS)
                .send()
                .await
            else {
                return;
            };
            receipts.extend(
                out.messages()
                    .iter()
                    .filter_map(|m| m.receipt_handle().map(str::to_owned)),
            );
            let mut new = 0;
            for m in out.messages() {
                let id = m.message_id().unwrap_or_default().to_owned();
                if !messages.insert(id) {
                    continue;
                }
                new += 1;
                let Some(body) = m
                    .body()
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                else {
                    continue;
                };
                let info = &body["KinesisBatchInfo"];
                let (Some(arn), Some(shard), Some(first), Some(last)) = (
                    info["streamArn"].as_str(),
                    info["shardId"].as_str(),
                    info["startSequenceNumber"].as_str(),
                    info["endSequenceNumber"].as_str(),
                ) else {
                    continue;
                };
                if self.stream_arns.iter().any(|a| a == arn) {
                    pending.push(Range {
                        stream_arn: arn.to_owned(),
                        shard: shard.to_owned(),
                        first: first.to_owned(),
                        last: last.to_owned(),
                    });
                }
            }
            if new == 0 {
                return;
            }
        }
    }

    /// Makes the messages the test received visible again at once.
    async fn release(&self, receipts: Vec<String>) {
        for chunk in receipts.chunks(10) {
            let entries = chunk.iter().enumerate().filter_map(|(i, handle)| {
                aws_sdk_sqs::types::ChangeMessageVisibilityBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .build()
                    .ok()
            });
            let _ = self
                .sqs
                .change_message_visibility_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries.collect()))
                .send()
                .await;
        }
    }

    /// Reads a range of a shard and reports this test's records in it; false when the
    /// stream refused a read before the range's end (it is read again later, and records
    /// already reported are not reported twice).
    async fn read_range(
        &self,
        range: &Range,
        tx: &mpsc::UnboundedSender<Sample>,
        discarded: &mut HashSet<u64>,
    ) -> bool {
        let Ok(it) = self
            .kinesis
            .get_shard_iterator()
            .stream_arn(&range.stream_arn)
            .shard_id(&range.shard)
            .shard_iterator_type(aws_sdk_kinesis::types::ShardIteratorType::AtSequenceNumber)
            .starting_sequence_number(&range.first)
            .send()
            .await
        else {
            return false;
        };
        let mut iterator = it.shard_iterator().map(str::to_owned);
        while let Some(current) = iterator {
            let Ok(page) = self
                .kinesis
                .get_records()
                .stream_arn(&range.stream_arn)
                .shard_iterator(current)
                .send()
                .await
            else {
                return false;
            };
            iterator = page.next_shard_iterator().map(str::to_owned);
            for r in page.records() {
                if sequence_after(r.sequence_number(), &range.last) {
                    return true;
                }
                for data in user_records(r.data().as_ref()) {
                    if let Some(marker) = load_gen::Marker::parse(&data)
                        && marker.id == self.test_id
                        && discarded.insert(marker.seq)
                    {
                        let _ = tx.send(Sample::Discarded { seq: marker.seq });
                    }
                }
            }
            if page.records().is_empty() {
                return true;
            }
        }
        true
    }
}

/// A range of a shard's records a mapping gave up on.
struct Range {
    stream_arn: String,
    shard: String,
    first: String,
    last: String,
}

/// The user records a Kinesis record holds: those of a KPL aggregate, or the record itself.
fn user_records(data: &[u8]) -> Vec<bytes::Bytes> {
    let data = bytes::Bytes::copy_from_slice(data);
    match kinesis_client::kpl::deaggregate(&data) {
        Ok(users) => users.into_iter().map(|u| u.data).collect(),
        Err(_) => vec![data],
    }
}

/// Whether sequence number `a` comes after `b` (decimal strings of up to 128 digits: a longer
/// one is larger, equal lengths compare digit by digit).
fn sequence_after(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

#[cfg(test)]
mod tests {
    use super::report_field;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(super::sequence_after("10", "9"));
        assert!(!super::sequence_after("9", "10"));
        assert!(super::sequence_after(
            "49650000000000000000000000000000000000000000000000000002",
            "49650000000000000000000000000000000000000000000000000001"
        ));
        assert!(!super::sequence_after("5", "5"));
    }

    #[test]
    fn report_lines_give_billed_duration_and_memory() {
        let line = "REPORT RequestId: 8f5 Duration: 11.52 ms Billed Duration: 12 ms Memory Size: 256 MB Max Memory Used: 40 MB Init Duration: 120.01 ms";
        assert_eq!(
            report_field::<u64>(line, "Billed Duration:", "ms"),
            Some(12)
        );
        assert_eq!(report_field::<u32>(line, "Memory Size:", "MB"), Some(256));
        assert_eq!(report_field::<u64>(line, "Nothing:", "ms"), None);
    }
}
