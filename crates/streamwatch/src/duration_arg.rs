//! Durations on the command line: a whole number with a unit (`500ms`, `60s`, `2m`, `1h`; no
//! unit means seconds), shared by every subcommand that takes one.

use std::time::Duration;

/// Parses a command-line duration such as `60s`; the error text is clap's message.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let (num, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = num
        .parse()
        .map_err(|_| format!("not a duration: {text:?} (e.g. 60s, 500ms, 2m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n * 60)),
        "h" => Ok(Duration::from_secs(n * 3600)),
        _ => Err(format!("unknown unit in {text:?}: use ms, s, m or h")),
    }
}
