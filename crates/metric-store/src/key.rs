//! Which series a datum belongs to, and how ListMetrics selects series.

use std::sync::Arc;

use crate::error::Error;

/// The most dimensions one metric may have (CloudWatch's limit).
pub const MAX_DIMENSIONS: usize = 30;

/// Longest namespace, metric name or dimension name, in characters.
const MAX_NAME_LEN: usize = 255;
/// Longest dimension value, in characters.
const MAX_VALUE_LEN: usize = 1024;

/// A metric's identity: namespace, name and dimensions, the dimensions sorted by name.
///
/// Two keys with the same dimensions given in a different order are equal, as in CloudWatch.
/// Strings are `Arc<str>` so that clones, which every series and query result holds, are cheap.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MetricKey {
    namespace: Arc<str>,
    name: Arc<str>,
    dimensions: Vec<(Arc<str>, Arc<str>)>,
}

fn check_len(what: &'static str, s: &str, max: usize) -> Result<(), Error> {
    let len = s.chars().count();
    if len == 0 || len > max {
        return Err(Error::InvalidLength { what, max, len });
    }
    Ok(())
}

impl MetricKey {
    /// A key, after checking CloudWatch's limits: names 1 to 255 characters, dimension values
    /// 1 to 1024, at most [`MAX_DIMENSIONS`] dimensions, no dimension name twice.
    ///
    /// ```
    /// use metric_store::MetricKey;
    ///
    /// let a = MetricKey::new("AWS/Kinesis", "IncomingBytes", [("StreamName", "orders")]).unwrap();
    /// let b = MetricKey::new("App", "Latency", [("Op", "get"), ("Host", "a")]).unwrap();
    /// assert_eq!(b.dimensions()[0].0.as_ref(), "Host");
    /// # let _ = a;
    /// ```
    pub fn new<N, M, I, K, V>(namespace: N, name: M, dimensions: I) -> Result<MetricKey, Error>
    where
        N: Into<Arc<str>>,
        M: Into<Arc<str>>,
        I: IntoIterator<Item = (K, V)>,
        K: Into<Arc<str>>,
        V: Into<Arc<str>>,
    {
        let namespace = namespace.into();
        let name = name.into();
        check_len("Namespace", &namespace, MAX_NAME_LEN)?;
        check_len("MetricName", &name, MAX_NAME_LEN)?;
        let mut dims: Vec<(Arc<str>, Arc<str>)> = dimensions
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        if dims.len() > MAX_DIMENSIONS {
            return Err(Error::TooManyDimensions { got: dims.len() });
        }
        for (k, v) in &dims {
            check_len("Dimension name", k, MAX_NAME_LEN)?;
            check_len("Dimension value", v, MAX_VALUE_LEN)?;
        }
        dims.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        if let Some(w) = dims.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::DuplicateDimension(w[0].0.to_string()));
        }
        Ok(MetricKey {
            namespace,
            name,
            dimensions: dims,
        })
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The metric name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The dimensions as `(name, value)`, sorted by name.
    pub fn dimensions(&self) -> &[(Arc<str>, Arc<str>)] {
        &self.dimensions
    }

    /// The value of dimension `name`, if the key has it.
    pub fn dimension(&self, name: &str) -> Option<&str> {
        self.dimensions
            .binary_search_by(|(k, _)| k.as_ref().cmp(name))
            .ok()
            .map(|i| self.dimensions[i].1.as_ref())
    }

    /// Bytes held on the heap by the strings (counted in full even when shared).
    pub(crate) fn heap_bytes(&self) -> usize {
        let dims: usize = self.dimensions.iter().map(|(k, v)| k.len() + v.len()).sum();
        self.namespace.len()
            + self.name.len()
            + dims
            + self.dimensions.capacity() * std::mem::size_of::<(Arc<str>, Arc<str>)>()
    }
}

/// One dimension condition of a [`ListFilter`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DimensionFilter {
    /// The dimension the metric must have.
    pub name: String,
    /// The value it must have; `None` accepts any value.
    pub value: Option<String>,
}

/// ListMetrics' filters. Every condition given must hold; an empty filter selects everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListFilter {
    /// Only this namespace (exact match).
    pub namespace: Option<String>,
    /// Only this metric name (exact match).
    pub metric_name: Option<String>,
    /// Dimensions the metric must have. A metric with further dimensions still matches, as in
    /// CloudWatch ("if you specify one dimension name and a metric has that dimension and also
    /// other dimensions, it will be returned").
    pub dimensions: Vec<DimensionFilter>,
    /// Only metrics that received data at or after this instant (epoch ms). For
    /// `RecentlyActive=PT3H` pass now minus three hours.
    pub recently_active_since_ms: Option<u64>,
}

impl ListFilter {
    /// Whether `key` meets the namespace, name and dimension conditions.
    pub fn matches(&self, key: &MetricKey) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|n| n == key.namespace())
            && self.metric_name.as_deref().is_none_or(|n| n == key.name())
            && self
                .dimensions
                .iter()
                .all(|f| match key.dimension(&f.name) {
                    None => false,
                    Some(v) => f.value.as_deref().is_none_or(|want| want == v),
                })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_are_sorted_and_order_does_not_matter() {
        let a = MetricKey::new("ns", "m", [("b", "2"), ("a", "1")]);
        let b = MetricKey::new("ns", "m", [("a", "1"), ("b", "2")]);
        assert_eq!(a, b);
        let a = a.ok();
        let dims: Vec<(&str, &str)> = a
            .iter()
            .flat_map(|k| k.dimensions().iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .collect();
        assert_eq!(dims, [("a", "1"), ("b", "2")]);
        assert_eq!(a.as_ref().and_then(|k| k.dimension("b")), Some("2"));
        assert_eq!(a.as_ref().and_then(|k| k.dimension("c")), None);
    }

    #[test]
    fn limits_are_enforced() {
        let none: [(&str, &str); 0] = [];
        assert!(matches!(
            MetricKey::new("", "m", none),
            Err(Error::InvalidLength {
                what: "Namespace",
                ..
            })
        ));
        assert!(matches!(
            MetricKey::new("n", "", none),
            Err(Error::InvalidLength {
                what: "MetricName",
                ..
            })
        ));
        assert!(MetricKey::new("n".repeat(255), "m".repeat(255), none).is_ok());
        assert!(MetricKey::new("n".repeat(256), "m", none).is_err());
        assert!(MetricKey::new("n", "m", [("d", "v".repeat(1024))]).is_ok());
        assert!(MetricKey::new("n", "m", [("d", "v".repeat(1025))]).is_err());
        assert!(MetricKey::new("n", "m", [("d", "")]).is_err());
        let thirty: Vec<(String, String)> =
            (0..30).map(|i| (format!("d{i}"), "v".into())).collect();
        assert!(MetricKey::new("n", "m", thirty.clone()).is_ok());
        let mut thirty_one = thirty;
        thirty_one.push(("x".into(), "v".into()));
        assert_eq!(
            MetricKey::new("n", "m", thirty_one),
            Err(Error::TooManyDimensions { got: 31 })
        );
        assert_eq!(
            MetricKey::new("n", "m", [("d", "1"), ("d", "2")]),
            Err(Error::DuplicateDimension("d".into()))
        );
    }

    #[test]
    fn filters_match_subsets_of_dimensions() {
        let key = MetricKey::new(
            "AWS/Kinesis",
            "IncomingBytes",
            [("StreamName", "s"), ("ShardId", "0")],
        );
        let Ok(key) = key else { panic!("valid key") };
        let f = |ns: Option<&str>, name: Option<&str>, dims: &[(&str, Option<&str>)]| ListFilter {
            namespace: ns.map(Into::into),
            metric_name: name.map(Into::into),
            dimensions: dims
                .iter()
                .map(|(n, v)| DimensionFilter {
                    name: (*n).into(),
                    value: v.map(Into::into),
                })
                .collect(),
            recently_active_since_ms: None,
        };
        assert!(f(None, None, &[]).matches(&key));
        assert!(f(Some("AWS/Kinesis"), Some("IncomingBytes"), &[]).matches(&key));
        assert!(!f(Some("AWS/Lambda"), None, &[]).matches(&key));
        assert!(!f(None, Some("IncomingRecords"), &[]).matches(&key));
        assert!(f(None, None, &[("StreamName", Some("s"))]).matches(&key));
        assert!(f(None, None, &[("StreamName", None)]).matches(&key));
        assert!(f(None, None, &[("StreamName", Some("s")), ("ShardId", None)]).matches(&key));
        assert!(!f(None, None, &[("StreamName", Some("t"))]).matches(&key));
        assert!(!f(None, None, &[("ConsumerName", None)]).matches(&key));
    }
}
