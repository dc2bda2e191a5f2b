//! The load-verdict suite: one binary, one module per area.

mod evaluate;
mod k6_fixture;
mod outputs;
mod parse;

use std::time::Duration;

use load_verdict::{Contains, Kind, Registry, Thresholds, Verdict};

/// A registry with the pipeline metrics and a gauge, `iterator_age`.
pub fn registry() -> Registry {
    let mut r = Registry::pipeline();
    r.define("iterator_age", Kind::Gauge, Contains::Default)
        .unwrap();
    r
}

/// Registers command-line thresholds and judges them at the end of a test of `secs` seconds.
pub fn judge(r: &mut Registry, cli: &[&str], secs: u64) -> Verdict {
    let t = Thresholds::from_cli(cli).unwrap();
    t.register(r).unwrap();
    t.evaluate(r, Duration::from_secs(secs))
}
