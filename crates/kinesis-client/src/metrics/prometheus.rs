//! A collector backed by the prometheus-client crate.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use parking_lot::{Mutex, RwLock};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, text};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::names::{self, Kind};
use super::{Labels, MetricsCollector};

/// The `Content-Type` of the text [`PrometheusCollector::encode`] produces (OpenMetrics 1.0).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of `producer_batch_size`, in records.
const BATCH_SIZE_BUCKETS: &[f64] = &[1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0];
/// Buckets of histograms in seconds: 0.5 ms to 10 s in 1-2.5-5 steps.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets of any other histogram: powers of ten from 1 to 10^6.
const GENERIC_BUCKETS: &[f64] = &[1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];

/// Help text of metrics whose names are not in [`names::ALL`].
const DYNAMIC_HELP: &str = "Metric recorded by kinesis-client outside its predefined set.";

type LabelSet = Vec<(String, String)>;
type F64Gauge = Gauge<f64, AtomicU64>;
type CounterFamily = Family<LabelSet, Counter>;
type GaugeFamily = Family<LabelSet, F64Gauge>;
type HistogramFamily = Family<LabelSet, Histogram, Buckets>;

/// A Prometheus collector built on prometheus-client.
///
/// Every metric of [`names::ALL`] is registered up front as a family keyed by its label pairs
/// (a metric appears in the exposition once it has a series). Counters are registered without
/// their `_total` suffix, which the OpenMetrics encoder appends, so the exposition shows the
/// names exactly as in [`names`], prefixed by `<namespace>_` when the namespace is not empty:
///
/// ```text
/// streamwatch_producer_records_sent_total{stream_name="s"} 3
/// ```
///
/// Histogram buckets: `producer_batch_size` 1, 5, 10, 25, 50, 100, 250, 500; names ending in
/// `_seconds` 0.5 ms to 10 s in 1-2.5-5 steps; anything else powers of ten from 1 to 10^6.
///
/// Names outside [`names::ALL`] get a family of the kind of the first call that uses them,
/// created lazily and exposed through a [`Collector`] registered at construction (so no
/// `&mut Registry` is needed later). Such names must match `[a-zA-Z_:][a-zA-Z0-9_:]*` and must
/// not clash with a predefined metric; otherwise, or when a method does not match the metric's
/// kind (say [`gauge`](MetricsCollector::gauge) on a counter), the call is ignored. Label keys
/// are used as given and should be valid Prometheus label names. Series are identified by
/// their label set regardless of the order the pairs are passed in.
///
/// A series without labels is exposed with an empty label set, e.g.
/// `ns_stream_shards_active{} 4` (valid OpenMetrics; prometheus-client's `Family` always writes
/// the braces).
///
/// Once a series exists, recording into it takes a shared lock and does not allocate.
pub struct PrometheusCollector {
    namespace: String,
    registry: Registry,
    known: HashMap<&'static str, AnyFamily>,
    reserved: HashSet<String>,
    dynamic: Arc<DynamicFamilies>,
    cache: RwLock<SeriesCache>,
}

impl PrometheusCollector {
    /// A collector with its own registry, with every metric name prefixed by `namespace_`
    /// (no prefix when `namespace` is empty). Encode it with [`encode`](Self::encode) or serve
    /// it with [`serve_metrics`](super::serve_metrics).
    pub fn new(namespace: &str) -> Self {
        Self::build(namespace, None)
    }

    /// A collector whose metrics are also registered into the caller's `registry`, under a
    /// sub-registry with prefix `namespace` (directly into `registry` when `namespace` is
    /// empty). The caller then encodes (and serves) that registry together with its own
    /// metrics; [`encode`](Self::encode) and [`registry`](Self::registry) still work and show
    /// only this collector's metrics.
    pub fn with_registry(namespace: &str, registry: &mut Registry) -> Self {
        Self::build(namespace, Some(registry))
    }

    fn build(namespace: &str, external: Option<&mut Registry>) -> Self {
        let mut registry = if namespace.is_empty() {
            Registry::default()
        } else {
            Registry::with_prefix(namespace)
        };
        let mut external = external.map(|r| {
            if namespace.is_empty() {
                r
            } else {
                r.sub_registry_with_prefix(namespace)
            }
        });
        let mut known = HashMap::with_capacity(names::ALL.len());
        let mut reserved = HashSet::with_capacity(names::ALL.len());
        for def in names::ALL {
            let family = AnyFamily::new(def.kind, def.name);
            let registered = registered_name(def.name, def.kind);
            family.register(&mut registry, registered, def.help);
            if let Some(r) = external.as_deref_mut() {
                family.register(r, registered, def.help);
            }
            known.insert(def.name, family);
            reserved.insert(registered.to_owned());
        }
        let dynamic = Arc::new(DynamicFamilies::default());
        registry.register_collector(Box::new(Arc::clone(&dynamic)));
        if let Some(r) = external {
            r.register_collector(Box::new(Arc::clone(&dynamic)));
        }
        Self {
            namespace: namespace.to_owned(),
            registry,
            known,
            reserved,
            dynamic,
            cache: RwLock::new(SeriesCache::default()),
        }
    }

    /// The namespace (metric name prefix) given at construction.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The registry holding exactly this collector's metrics (its own registry for
    /// [`new`](Self::new); a private mirror for [`with_registry`](Self::with_registry)).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The OpenMetrics text exposition of this collector's metrics, ending in `# EOF`; its
    /// content type is [`OPENMETRICS_CONTENT_TYPE`]. Encoding into a `String` cannot fail in
    /// practice; if it ever does, the error is logged and the text written so far returned.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "encoding Prometheus metrics failed");
        }
        out
    }

    /// Like [`encode`](Self::encode), but reports a formatting error instead of logging it.
    pub fn try_encode(&self) -> Result<String, fmt::Error> {
        let mut out = String::new();
        text::encode(&mut out, &self.registry)?;
        Ok(out)
    }

    /// Runs `f` on the series `name{labels}`, creating it if needed; ignores the call when the
    /// name is unusable or not of `kind`.
    #[inline]
    fn with_series(
        &self,
        name: &'static str,
        kind: Kind,
        labels: Labels<'_>,
        f: impl FnOnce(&Series),
    ) {
        let hash = series_hash(name, labels);
        {
            let cache = self.cache.read();
            if let Some(entry) = find_cached(&cache, hash, name, labels) {
                f(&entry.series);
                return;
            }
        }
        if let Some(series) = self.create_series(hash, name, kind, labels) {
            f(&series);
        }
    }

    /// The slow path of [`with_series`](Self::with_series): find or create the family and its
    /// member, and cache the member under `hash`.
    #[cold]
    fn create_series(
        &self,
        hash: u64,
        name: &'static str,
        kind: Kind,
        labels: Labels<'_>,
    ) -> Option<Series> {
        let series = match self.family_for(name, kind) {
            None => Series::Ignored,
            Some(family) if family.kind() != kind => {
                tracing::debug!(
                    metric = name,
                    expected = ?family.kind(),
                    used_as = ?kind,
                    "metric recorded with the wrong kind; ignored"
                );
                return None;
            }
            Some(family) => {
                let mut set: LabelSet = labels
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                set.sort_by(|a, b| a.0.cmp(&b.0));
                family.member(&set)
            }
        };
        let mut cache = self.cache.write();
        if let Some(entry) = find_cached(&cache, hash, name, labels) {
            return Some(entry.series.clone());
        }
        cache.entry(hash).or_default().push(CachedSeries {
            name,
            labels: labels.iter().map(|(k, v)| (*k, Box::from(*v))).collect(),
            series: series.clone(),
        });
        Some(series)
    }

    /// The family of `name`: predefined, or dynamic (created with `kind` when new). `None`
    /// when the name can never be used.
    fn family_for(&self, name: &'static str, kind: Kind) -> Option<AnyFamily> {
        if let Some(family) = self.known.get(name) {
            return Some(family.clone());
        }
        if !valid_metric_name(name) {
            tracing::debug!(metric = name, "invalid metric name; ignored");
            return None;
        }
        // `foo_total` and `foo` name the same counter, so any family registered under either
        // spelling is this name's family (whose kind may then not match `kind`).
        let registered = registered_name(name, kind);
        let candidates = [
            name,
            registered,
            name.strip_suffix("_total").unwrap_or(name),
        ];
        let mut families = self.dynamic.families.lock();
        if let Some(family) = candidates.iter().find_map(|c| families.get(*c)) {
            return Some(family.clone());
        }
        if candidates.iter().any(|c| self.reserved.contains(*c)) {
            tracing::debug!(
                metric = name,
                "metric name clashes with a predefined one; ignored"
            );
            return None;
        }
        let family = AnyFamily::new(kind, name);
        families.insert(registered.to_owned(), family.clone());
        Some(family)
    }
}

impl fmt::Debug for PrometheusCollector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrometheusCollector")
            .field("namespace", &self.namespace)
            .field("metrics", &self.known.len())
            .field("dynamic_metrics", &self.dynamic.families.lock().len())
            .finish_non_exhaustive()
    }
}

impl MetricsCollector for PrometheusCollector {
    fn increment(&self, name: &'static str, value: u64, labels: Labels<'_>) {
        self.with_series(name, Kind::Counter, labels, |s| {
            if let Series::Counter(c) = s {
                c.inc_by(value);
            }
        });
    }

    fn gauge(&self, name: &'static str, value: f64, labels: Labels<'_>) {
        self.with_series(name, Kind::Gauge, labels, |s| {
            if let Series::Gauge(g) = s {
                g.set(value);
            }
        });
    }

    fn histogram(&self, name: &'static str, value: f64, labels: Labels<'_>) {
        self.with_series(name, Kind::Histogram, labels, |s| {
            if let Series::Histogram(h) = s {
                h.observe(value);
            }
        });
    }
}

/// The name a metric is registered under: counters lose their `_total` suffix, which the
/// encoder adds back.
fn registered_name(name: &str, kind: Kind) -> &str {
    match kind {
        Kind::Counter => name.strip_suffix("_total").unwrap_or(name),
        Kind::Gauge | Kind::Histogram => name,
    }
}

/// Whether `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
fn valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

fn buckets_for(name: &str) -> &'static [f64] {
    if name == names::PRODUCER_BATCH_SIZE {
        BATCH_SIZE_BUCKETS
    } else if name.ends_with("_seconds") {
        SECONDS_BUCKETS
    } else {
        GENERIC_BUCKETS
    }
}

/// Builds the histograms of one family.
#[derive(Debug, Clone, Copy)]
struct Buckets(&'static [f64]);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// A family of any of the three kinds.
#[derive(Debug, Clone)]
enum AnyFamily {
    Counter(CounterFamily),
    Gauge(GaugeFamily),
    Histogram(HistogramFamily),
}

impl AnyFamily {
    fn new(kind: Kind, name: &str) -> Self {
        match kind {
            Kind::Counter => Self::Counter(CounterFamily::default()),
            Kind::Gauge => Self::Gauge(GaugeFamily::default()),
            Kind::Histogram => Self::Histogram(HistogramFamily::new_with_constructor(Buckets(
                buckets_for(name),
            ))),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Self::Counter(_) => Kind::Counter,
            Self::Gauge(_) => Kind::Gauge,
            Self::Histogram(_) => Kind::Histogram,
        }
    }

    fn member(&self, labels: &LabelSet) -> Series {
        match self {
            Self::Counter(f) => Series::Counter(f.get_or_create_owned(labels)),
            Self::Gauge(f) => Series::Gauge(f.get_or_create_owned(labels)),
            Self::Histogram(f) => Series::Histogram(f.get_or_create_owned(labels)),
        }
    }

    fn register(&self, registry: &mut Registry, name: &str, help: &str) {
        match self {
            Self::Counter(f) => registry.register(name, help, f.clone()),
            Self::Gauge(f) => registry.register(name, help, f.clone()),
            Self::Histogram(f) => registry.register(name, help, f.clone()),
        }
    }

    fn encode(&self, name: &str, encoder: &mut DescriptorEncoder<'_>) -> fmt::Result {
        fn encode_one(
            metric: &impl EncodeMetric,
            name: &str,
            encoder: &mut DescriptorEncoder<'_>,
        ) -> fmt::Result {
            if metric.is_empty() {
                return Ok(());
            }
            let metric_encoder =
                encoder.encode_descriptor(name, DYNAMIC_HELP, None, metric.metric_type())?;
            metric.encode(metric_encoder)
        }
        match self {
            Self::Counter(f) => encode_one(f, name, encoder),
            Self::Gauge(f) => encode_one(f, name, encoder),
            Self::Histogram(f) => encode_one(f, name, encoder),
        }
    }
}

/// The families of names outside [`names::ALL`], keyed by registered name; encoded on each
/// scrape through the [`Collector`] registered at construction.
#[derive(Debug, Default)]
struct DynamicFamilies {
    families: Mutex<BTreeMap<String, AnyFamily>>,
}

impl Collector for DynamicFamilies {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> fmt::Result {
        let families = self.families.lock();
        for (name, family) in families.iter() {
            family.encode(name, &mut encoder)?;
        }
        Ok(())
    }
}

/// One series: a family member sharing its state with the family.
#[derive(Debug, Clone)]
enum Series {
    Counter(Counter),
    Gauge(F64Gauge),
    Histogram(Histogram),
    /// The name is unusable; calls are dropped.
    Ignored,
}

/// A series as last looked up, by its name and labels in call order.
struct CachedSeries {
    name: &'static str,
    labels: Box<[(&'static str, Box<str>)]>,
    series: Series,
}

/// Series by [`series_hash`]; a bucket holds every series with that hash.
type SeriesCache = HashMap<u64, Vec<CachedSeries>, BuildHasherDefault<WordHasher>>;

fn find_cached<'c>(
    cache: &'c SeriesCache,
    hash: u64,
    name: &str,
    labels: Labels<'_>,
) -> Option<&'c CachedSeries> {
    cache.get(&hash)?.iter().find(|e| {
        same_str(e.name, name)
            && e.labels.len() == labels.len()
            && e.labels
                .iter()
                .zip(labels)
                .all(|((ek, ev), (k, v))| same_str(ek, k) && &**ev == *v)
    })
}

/// String equality with a shortcut for the usual case of the very same `&'static str`.
#[inline]
fn same_str(a: &str, b: &str) -> bool {
    (a.as_ptr() == b.as_ptr() && a.len() == b.len()) || a == b
}

/// The hash of a series as named in a call. Label order matters here (the cache then maps every
/// order to the same family member), and the `&'static str` name and label keys are hashed by
/// address, not content: the same name at two addresses only costs a second cache entry, as
/// [`find_cached`] compares contents.
#[inline]
fn series_hash(name: &'static str, labels: Labels<'_>) -> u64 {
    let mut h = WordHasher::default();
    h.write_static_str(name);
    for (k, v) in labels {
        h.write_static_str(k);
        h.write_str_field(v);
    }
    h.finish()
}

/// A fast, non-cryptographic hasher working a word at a time (FxHash's mixing step).
#[derive(Debug, Default, Clone, Copy)]
struct WordHasher(u64);

impl WordHasher {
    const K: u64 = 0x517c_c1b7_2722_0a95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::K);
    }

    /// Hashes a string's address and length.
    #[inline]
    fn write_static_str(&mut self, s: &'static str) {
        self.add(s.as_ptr().addr() as u64 ^ ((s.len() as u64) << 48));
    }

    /// Hashes a length-prefixed string, so field boundaries are unambiguous.
    #[inline]
    fn write_str_field(&mut self, s: &str) {
        self.add(s.len() as u64);
        self.write(s.as_bytes());
    }
}

impl Hasher for WordHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let (words, rest) = bytes.as_chunks::<8>();
        for word in words {
            self.add(u64::from_le_bytes(*word));
        }
        // 1 to 7 trailing bytes, read as (possibly overlapping) halves or single bytes; the
        // length was hashed already.
        let n = rest.len();
        if n >= 4 {
            let lo = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
            let hi = u32::from_le_bytes([rest[n - 4], rest[n - 3], rest[n - 2], rest[n - 1]]);
            self.add(u64::from(lo) | (u64::from(hi) << 32));
        } else if n > 0 {
            let word =
                u64::from(rest[0]) | (u64::from(rest[n / 2]) << 8) | (u64::from(rest[n - 1]) << 16);
            self.add(word);
        }
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::metrics::labels;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn exposition_has_exact_counter_lines_with_namespace() {
        let c = PrometheusCollector::new("streamwatch");
        let l = [(labels::STREAM_NAME, "s")];
        c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 1, &l);
        c.increment(names::PRODUCER_RECORDS_SENT_TOTAL, 2, &l);
        c.increment(names::STREAM_RESHARDING_EVENTS_TOTAL, 1, &[]);
        let text = c.encode();
        let lines = lines(&text);
        assert!(
            lines.contains(&r#"streamwatch_producer_records_sent_total{stream_name="s"} 3"#),
            "{text}"
        );
        assert!(
            lines.contains(&"# TYPE streamwatch_producer_records_sent counter"),
            "{text}"
        );
        assert!(
            lines.contains(
                &"# HELP streamwatch_producer_records_sent Records the producer delivered to Kinesis."
            ),
            "{text}"
        );
        assert!(
            lines.contains(&"streamwatch_stream_resharding_events_total{} 1"),
            "{text}"
        );
        assert_eq!(lines.last(), Some(&"# EOF"));
        // Untouched families are not exposed; nothing is doubly suffixed.
        assert!(!text.contains("producer_queue_size"), "{text}");
        assert!(!text.contains("_total_total"), "{text}");
    }

    #[test]
    fn empty_namespace_means_no_prefix() {
        let c = PrometheusCollector::new("");
        c.increment(
            names::CONSUMER_ERRORS_TOTAL,
            4,
            &[(labels::ERROR_TYPE, "x")],
        );
        assert_eq!(c.namespace(), "");
        assert!(
            lines(&c.encode()).contains(&r#"consumer_errors_total{error_type="x"} 4"#),
            "{}",
            c.encode()
        );
    }

    #[test]
    fn label_order_does_not_split_series() {
        let c = PrometheusCollector::new("ns");
        c.increment(
            names::CONSUMER_RECORDS_RECEIVED_TOTAL,
            2,
            &[(labels::STREAM_NAME, "s"), (labels::SHARD_ID, "0")],
        );
        c.increment(
            names::CONSUMER_RECORDS_RECEIVED_TOTAL,
            5,
            &[(labels::SHARD_ID, "0"), (labels::STREAM_NAME, "s")],
        );
        let text = c.encode();
        assert!(
            lines(&text)
                .contains(&r#"ns_consumer_records_received_total{shard_id="0",stream_name="s"} 7"#),
            "{text}"
        );
        assert_eq!(
            text.matches("ns_consumer_records_received_total{").count(),
            1
        );
    }

    #[test]
    fn gauges_and_histograms() {
        let c = PrometheusCollector::new("streamwatch");
        let l = [(labels::STREAM_NAME, "s")];
        c.gauge(names::PRODUCER_QUEUE_SIZE, 12.0, &l);
        c.gauge(names::PRODUCER_QUEUE_SIZE, 7.5, &l);
        c.histogram(names::PRODUCER_BATCH_SIZE, 3.0, &l);
        c.histogram(names::PRODUCER_BATCH_SIZE, 30.0, &l);
        c.histogram(names::PRODUCER_BATCH_SIZE, 1000.0, &l);
        c.timer(
            names::PRODUCER_FLUSH_DURATION_SECONDS,
            Duration::from_millis(20),
            &l,
        );
        let text = c.encode();
        let lines = lines(&text);
        for expected in [
            r#"streamwatch_producer_queue_size{stream_name="s"} 7.5"#,
            "# TYPE streamwatch_producer_batch_size histogram",
            r#"streamwatch_producer_batch_size_sum{stream_name="s"} 1033.0"#,
            r#"streamwatch_producer_batch_size_count{stream_name="s"} 3"#,
            r#"streamwatch_producer_batch_size_bucket{le="1.0",stream_name="s"} 0"#,
            r#"streamwatch_producer_batch_size_bucket{le="5.0",stream_name="s"} 1"#,
            r#"streamwatch_producer_batch_size_bucket{le="25.0",stream_name="s"} 1"#,
            r#"streamwatch_producer_batch_size_bucket{le="50.0",stream_name="s"} 2"#,
            r#"streamwatch_producer_batch_size_bucket{le="500.0",stream_name="s"} 2"#,
            r#"streamwatch_producer_batch_size_bucket{le="+Inf",stream_name="s"} 3"#,
            r#"streamwatch_producer_flush_duration_seconds_count{stream_name="s"} 1"#,
            r#"streamwatch_producer_flush_duration_seconds_bucket{le="0.01",stream_name="s"} 0"#,
            r#"streamwatch_producer_flush_duration_seconds_bucket{le="0.025",stream_name="s"} 1"#,
            r#"streamwatch_producer_flush_duration_seconds_bucket{le="0.0005",stream_name="s"} 0"#,
            r#"streamwatch_producer_flush_duration_seconds_bucket{le="10.0",stream_name="s"} 1"#,
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn kind_mismatch_and_invalid_names_are_ignored_unknown_names_kept() {
        let c = PrometheusCollector::new("ns");
        c.gauge(names::PRODUCER_RECORDS_SENT_TOTAL, 1.0, &[]);
        c.histogram(names::PRODUCER_QUEUE_SIZE, 1.0, &[]);
        c.increment("not a valid name", 1, &[]);
        c.increment("producer_records_sent", 1, &[]); // clashes once registered
        c.increment("custom_events_total", 2, &[("k", "v")]);
        c.increment("custom_events_total", 3, &[("k", "v")]);
        c.gauge("custom_events_total", 9.0, &[]); // now a counter: ignored
        c.histogram("custom_wait_seconds", 0.003, &[]);
        c.gauge("custom_level", 2.0, &[]);
        let text = c.encode();
        let lines = lines(&text);
        for expected in [
            "# TYPE ns_custom_events counter",
            r#"ns_custom_events_total{k="v"} 5"#,
            "ns_custom_level{} 2.0",
            "# TYPE ns_custom_wait_seconds histogram",
            r#"ns_custom_wait_seconds_bucket{le="0.0025"} 0"#,
            r#"ns_custom_wait_seconds_bucket{le="0.005"} 1"#,
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
        assert!(!text.contains("producer_records_sent"), "{text}");
        assert!(!text.contains("producer_queue_size"), "{text}");
        assert!(!text.contains("not a valid"), "{text}");
        assert_eq!(lines.last(), Some(&"# EOF"));
    }

    #[test]
    fn with_registry_registers_into_the_callers_registry() {
        let mut registry = Registry::default();
        let own: Counter = Counter::default();
        registry.register("app_requests", "Requests", own.clone());
        own.inc();
        let c = PrometheusCollector::with_registry("streamwatch", &mut registry);
        c.increment(
            names::PRODUCER_RECORDS_SENT_TOTAL,
            3,
            &[(labels::STREAM_NAME, "s")],
        );
        c.increment("custom_total", 1, &[]);

        let mut text = String::new();
        text::encode(&mut text, &registry).expect("encode");
        let lines = lines(&text);
        for expected in [
            "app_requests_total 1",
            r#"streamwatch_producer_records_sent_total{stream_name="s"} 3"#,
            "streamwatch_custom_total{} 1",
        ] {
            assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
        }
        // The collector's own view shows only its metrics.
        let mine = c.encode();
        assert!(mine.contains(r#"streamwatch_producer_records_sent_total{stream_name="s"} 3"#));
        assert!(!mine.contains("app_requests"), "{mine}");
    }

    #[test]
    fn series_hash_separates_fields() {
        assert_ne!(
            series_hash("m", &[("c", "de")]),
            series_hash("m", &[("c", "d"), ("c", "e")])
        );
        assert_ne!(series_hash("m", &[("k", "")]), series_hash("m", &[]));
        assert_ne!(
            series_hash("m", &[("k", "abcdefghi")]),
            series_hash("m", &[("k", "abcdefghj")])
        );
        assert_eq!(
            series_hash("m", &[("k", "v")]),
            series_hash("m", &[("k", "v")])
        );
    }

    #[test]
    fn equal_names_at_different_addresses_share_a_series() {
        let c = PrometheusCollector::new("ns");
        // A `&'static str` with the same contents as the constant but another address.
        let leaked: &'static str = String::from(names::PRODUCER_THROTTLES_TOTAL).leak();
        let value = String::from("s");
        c.increment(
            names::PRODUCER_THROTTLES_TOTAL,
            1,
            &[(labels::STREAM_NAME, "s")],
        );
        c.increment(leaked, 2, &[(labels::STREAM_NAME, &value)]);
        let text = c.encode();
        assert!(
            lines(&text).contains(&r#"ns_producer_throttles_total{stream_name="s"} 3"#),
            "{text}"
        );
    }

    #[test]
    fn concurrent_increments_are_all_counted() {
        let c = Arc::new(PrometheusCollector::new("ns"));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let c = Arc::clone(&c);
                std::thread::spawn(move || {
                    let shard = if t % 2 == 0 { "a" } else { "b" };
                    for _ in 0..1000 {
                        c.increment(
                            names::PRODUCER_ERRORS_TOTAL,
                            1,
                            &[(labels::SHARD_ID, shard)],
                        );
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
        let text = c.encode();
        let lines = lines(&text);
        assert!(
            lines.contains(&r#"ns_producer_errors_total{shard_id="a"} 2000"#),
            "{text}"
        );
        assert!(
            lines.contains(&r#"ns_producer_errors_total{shard_id="b"} 2000"#),
            "{text}"
        );
    }
}
