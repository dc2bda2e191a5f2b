//! JUnit XML: one `<testsuite>` with one `<testcase>` per threshold, a `<failure>` in each
//! failed one, so CI systems show thresholds as tests.
//!
//! Written by hand (the workspace has no XML writer): every attribute value is escaped, and
//! characters XML 1.0 cannot hold are dropped.

use std::fmt::Write as _;

use crate::verdict::{Outcome, Verdict};

/// The JUnit XML document of a verdict. `suite` names the test suite (e.g. `streamwatch load`).
pub fn junit_xml(verdict: &Verdict, suite: &str) -> String {
    let tests = verdict.results.len();
    let failures = verdict.failures().count();
    let skipped = verdict
        .results
        .iter()
        .filter(|r| r.outcome == Outcome::Pending)
        .count();
    let time = verdict.elapsed.as_secs_f64();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // Writing into a String cannot fail.
    let _ = writeln!(
        x,
        "<testsuites name=\"{s}\" tests=\"{tests}\" failures=\"{failures}\" time=\"{time:.3}\">",
        s = escape(suite)
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{s}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" \
         skipped=\"{skipped}\" time=\"{time:.3}\">",
        s = escape(suite)
    );
    for r in &verdict.results {
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\"",
            escape(&r.metric),
            escape(&format!("{} {}", r.metric, r.source.trim()))
        );
        let observed = match r.observed {
            Some(v) => format!("{}={v}", r.expression.stat),
            None => format!("{} has no value", r.expression.stat),
        };
        match r.outcome {
            Outcome::Passed => x.push_str("/>\n"),
            Outcome::Pending => {
                let _ = writeln!(
                    x,
                    ">\n      <skipped message=\"no samples yet\"/>\n    </testcase>"
                );
            }
            Outcome::Failed => {
                let msg = format!(
                    "threshold '{}' on {} failed: {observed}",
                    r.source.trim(),
                    r.metric
                );
                let _ = writeln!(
                    x,
                    ">\n      <failure message=\"{m}\" type=\"threshold\">{m}</failure>\n    </testcase>",
                    m = escape(&msg)
                );
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Escapes text for an attribute or element, dropping characters XML 1.0 does not allow.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
