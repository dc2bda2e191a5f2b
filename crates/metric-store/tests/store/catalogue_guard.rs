//! Keeps metric names in the catalogue: no library source of the workspace may build a
//! metric key from a string literal (`MetricKey::new("AWS/Lambda", "Invocations", ..)`) or
//! silence the `clippy.toml` rule that forbids recording through `Store::series` directly,
//! except in the few files whose job that is. Together with that clippy rule (which catches
//! `store.series(&key, unit)` anywhere), a new metric has to be added to
//! `metric_store::catalog` to be recorded. streamwatch's own Prometheus names
//! (`catalog::own`) may not be written out as literals either.

use std::path::{Path, PathBuf};

/// Files that may silence `clippy::disallowed_methods`: the catalogue (the one place AWS's
/// metrics are recorded from) and the store's entry point for custom namespaces.
const MAY_RECORD_DIRECTLY: &[&str] = &[
    "crates/metric-store/src/catalog.rs",
    "crates/metric-store/src/store.rs",
];

/// One rule broken, as `path:line: what`.
fn violations(path: &str, source: &str) -> Vec<String> {
    let mut found = Vec::new();
    // Test modules sit at the end of a file and may name any metric.
    let library = source.split("#[cfg(test)]").next().unwrap_or_default();
    let code: Vec<(usize, &str)> = library
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim_start();
            !t.starts_with("//")
        })
        .collect();
    for (i, line) in &code {
        let silenced = line.contains("clippy::disallowed_methods");
        if silenced && !MAY_RECORD_DIRECTLY.contains(&path) {
            found.push(format!(
                "{path}:{}: silences the catalogue rule (clippy::disallowed_methods)",
                i + 1
            ));
        }
    }
    // A literal first argument, possibly on the next line after rustfmt wrapped the call.
    let joined: String = code
        .iter()
        .map(|(_, l)| l.trim())
        .collect::<Vec<_>>()
        .join(" ");
    // streamwatch's own Prometheus names, written out instead of taken from `catalog::own`.
    if path != "crates/metric-store/src/catalog.rs" {
        for metric in metric_store::catalog::own::all() {
            if joined.contains(&format!("\"{}\"", metric.name)) {
                found.push(format!(
                    "{path}: \"{}\" names an own metric by a literal; use `catalog::own`",
                    metric.name
                ));
            }
        }
    }
    let mut rest = joined.as_str();
    while let Some(at) = rest.find("MetricKey::new(") {
        rest = &rest[at + "MetricKey::new(".len()..];
        if rest.trim_start().starts_with('"') {
            let call: String = rest.chars().take(60).collect();
            found.push(format!(
                "{path}: MetricKey::new({call}...) names a metric by a literal; use its catalogue definition's `key`"
            ));
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn library_code_names_metrics_only_through_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
    {
        rust_files(&krate.path().join("src"), &mut files);
    }
    assert!(files.len() > 50, "found only {} sources", files.len());
    let mut found = Vec::new();
    for file in &files {
        let relative = file
            .strip_prefix(&root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        let source = std::fs::read_to_string(file).expect("readable source");
        found.extend(violations(&relative, &source));
    }
    assert!(
        found.is_empty(),
        "metric names outside the catalogue:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_guard_catches_a_bypass() {
    let literal = r#"
fn record(store: &Store) {
    let key = MetricKey::new(
        "AWS/Lambda", "Invocations", [("FunctionName", "f")]).unwrap();
}
"#;
    assert_eq!(violations("crates/x/src/lib.rs", literal).len(), 1);
    let silenced = r#"
#[allow(clippy::disallowed_methods)]
fn record(store: &Store, key: &MetricKey) { store.series(key, Unit::Count); }
"#;
    assert_eq!(violations("crates/x/src/lib.rs", silenced).len(), 1);
    assert!(violations("crates/metric-store/src/catalog.rs", silenced).is_empty());
    let through_the_catalogue = r#"
fn record(store: &Store) {
    let name = "f";
    lambda::INVOCATIONS.series(store, &[("FunctionName", name)]);
}
#[cfg(test)]
mod tests { fn t() { MetricKey::new("Shop", "Latency", []); } }
"#;
    assert!(violations("crates/x/src/lib.rs", through_the_catalogue).is_empty());
    let own_literal = r#"
fn health() -> Gauge { gauge("streamwatch_collector_errors_total", 1.0) }
"#;
    assert_eq!(violations("crates/x/src/lib.rs", own_literal).len(), 1);
}
