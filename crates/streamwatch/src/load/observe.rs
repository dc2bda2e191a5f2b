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

/// Reads the function's log group until told to stop.
pub(super) struct Observer {
    pub(super) logs: aws_sdk_cloudwatchlogs::Client,
    pub(super) group: String,
    pub(super) test_id: String,
    pub(super) since_ms: i64,
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
        loop {
            let last = *stop.borrow();
            self.poll(&tx, &mut completed, &mut reports).await;
            if last {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
        }
    }

    async fn poll(
        &self,
        tx: &mpsc::UnboundedSender<Sample>,
        completed: &mut HashSet<u64>,
        reports: &mut HashSet<String>,
    ) {
        for line in self.events(load_gen::records::COMPLETION_PREFIX).await {
            let Some(c) = Completion::parse_line(&line.1) else {
                continue;
            };
            if c.marker.id == self.test_id && completed.insert(c.marker.seq) {
                let latency = c.done_ms.saturating_sub(c.marker.sent_ms) as f64;
                let _ = tx.send(Sample::Completed {
                    latency_ms: latency,
                });
            }
        }
        for (id, message) in self.events("REPORT").await {
            if message.starts_with("REPORT RequestId:") && reports.insert(id) {
                let _ = tx.send(Sample::Invocation {
                    cold: message.contains("Init Duration"),
                    billed_ms: report_field(&message, "Billed Duration:", "ms"),
                    memory_mb: report_field(&message, "Memory Size:", "MB"),
                });
            }
        }
    }

    /// The group's events since the test began that match `pattern`: (event id, message).
    /// A group that does not exist yet has none.
    async fn events(&self, pattern: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .logs
                .filter_log_events()
                .log_group_name(&self.group)
                .start_time(self.since_ms)
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
                    out.push((id, message.to_owned()));
                }
            }
            match page.next_token() {
                Some(t) if !t.is_empty() && !page.events().is_empty() => token = Some(t.to_owned()),
                _ => return out,
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
