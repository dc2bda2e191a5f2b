//! `streamwatch alarms list`: every alarm (metric and composite) with its state, when it last
//! changed and why.

use anyhow::Context;
use aws_sdk_cloudwatch::primitives::DateTime;
use aws_sdk_cloudwatch::types::AlarmType;
use clap::Args;

use crate::function_cmd::Target;

/// Arguments of `streamwatch alarms list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only alarms whose name starts with this.
    #[arg(long)]
    prefix: Option<String>,
    #[command(flatten)]
    target: Target,
}

/// One line of the listing.
struct Row {
    name: String,
    state: String,
    changed: Option<DateTime>,
    reason: String,
}

pub(super) async fn run(args: ListArgs) -> anyhow::Result<()> {
    let cw = aws_sdk_cloudwatch::Client::new(&args.target.config().await);
    let mut rows = Vec::new();
    let mut pages = cw
        .describe_alarms()
        .set_alarm_name_prefix(args.prefix.clone())
        .alarm_types(AlarmType::MetricAlarm)
        .alarm_types(AlarmType::CompositeAlarm)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.context("DescribeAlarms")?;
        for a in page.metric_alarms() {
            rows.push(Row {
                name: a.alarm_name().unwrap_or_default().to_owned(),
                state: a
                    .state_value()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                changed: a.state_updated_timestamp().copied(),
                reason: a.state_reason().unwrap_or_default().to_owned(),
            });
        }
        for a in page.composite_alarms() {
            rows.push(Row {
                name: a.alarm_name().unwrap_or_default().to_owned(),
                state: a
                    .state_value()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                changed: a.state_updated_timestamp().copied(),
                reason: a.state_reason().unwrap_or_default().to_owned(),
            });
        }
    }
    print!("{}", render(&rows));
    Ok(())
}

fn render(rows: &[Row]) -> String {
    if rows.is_empty() {
        return "no alarms\n".to_owned();
    }
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(4);
    let mut out = format!(
        "{:width$}  {:17}  {:20}  REASON\n",
        "NAME", "STATE", "LAST CHANGE (UTC)"
    );
    for r in rows {
        let changed = r
            .changed
            .and_then(|t| {
                t.fmt(aws_sdk_cloudwatch::primitives::DateTimeFormat::DateTime)
                    .ok()
            })
            .unwrap_or_else(|| "-".to_owned());
        out.push_str(&format!(
            "{:width$}  {:17}  {:20}  {}\n",
            r.name, r.state, changed, r.reason
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_line_up_under_their_headings() {
        let rows = [
            Row {
                name: "orders-iterator-age".into(),
                state: "ALARM".into(),
                changed: Some(DateTime::from_secs(1_780_000_000)),
                reason: "Threshold Crossed".into(),
            },
            Row {
                name: "x".into(),
                state: "OK".into(),
                changed: None,
                reason: String::new(),
            },
        ];
        let text = render(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        let state_col = lines[0].find("STATE").unwrap_or(0);
        assert_eq!(lines[1].find("ALARM"), Some(state_col));
        assert_eq!(lines[2].find("OK"), Some(state_col));
        assert!(lines[1].contains("2026-05-28T20:26:40Z"), "{text}");
        assert_eq!(render(&[]), "no alarms\n");
    }
}
