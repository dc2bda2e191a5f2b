//! Watches the function behind the stream through CloudWatch Logs, on AWS as on the engine:
//! the completion lines it prints for load-test records (end-to-end latency, pipeline
//! throughput) and Lambda's REPORT lines (cold starts are the ones with an `Init Duration`).

use std::collections::HashSet;
use std::time::Duration;

use load_gen::Completion;
use tokio::sync::{mpsc, watch};

use super::driver::Sample;

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
                let data = bytes::Bytes::copy_from_slice(r.data().as_ref());
                let users = match kinesis_client::kpl::deaggregate(&data) {
                    Ok(users) => users.into_iter().map(|u| u.data).collect(),
                    Err(_) => vec![data],
                };
                for data in users {
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

#[cfg(test)]
mod tests {
    use super::report_field;

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
