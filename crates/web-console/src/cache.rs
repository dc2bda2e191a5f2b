//! A short-lived cache of view models: one computation per key and period however many
//! browsers ask (a second asker waits for the first one's answer), at most [`MAX_KEYS`] keys.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Error;

/// The most view models kept; past it the cache starts afresh (keys carry page names and
/// time ranges a visitor picks).
const MAX_KEYS: usize = 256;

type Slot<T> = Arc<tokio::sync::Mutex<Option<(Instant, Arc<T>)>>>;

/// The cache.
pub(crate) struct Cache<T> {
    slots: parking_lot::Mutex<HashMap<String, Slot<T>>>,
}

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache {
            slots: parking_lot::Mutex::new(HashMap::new()),
        }
    }
}

impl<T> Cache<T> {
    /// The value under `key` if younger than `ttl_ms`, else the one `compute` gives (kept
    /// when it succeeds).
    pub(crate) async fn get_or(
        &self,
        key: String,
        ttl_ms: u64,
        compute: impl Future<Output = Result<T, Error>>,
    ) -> Result<Arc<T>, Error> {
        let slot = {
            let mut slots = self.slots.lock();
            if slots.len() >= MAX_KEYS && !slots.contains_key(&key) {
                slots.clear();
            }
            slots.entry(key).or_default().clone()
        };
        let mut held = slot.lock().await;
        if let Some((at, value)) = held.as_ref()
            && at.elapsed() < Duration::from_millis(ttl_ms)
        {
            return Ok(value.clone());
        }
        let value = Arc::new(compute.await?);
        *held = Some((Instant::now(), value.clone()));
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_computation_per_period() {
        let cache = Cache::<serde_json::Value>::default();
        let calls = AtomicUsize::new(0);
        for _ in 0..5 {
            let v = cache
                .get_or("k".into(), 60_000, async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Ok(serde_json::json!(1))
                })
                .await
                .unwrap();
            assert_eq!(*v, serde_json::json!(1));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache
            .get_or("k".into(), 0, async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(serde_json::json!(2))
            })
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
