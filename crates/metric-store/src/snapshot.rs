#[cfg(test)]
mod measure_tmp {
    use super::*;
    use crate::{Datum, ManualClock, StorageResolution, Unit};
    #[test]
    fn measure() {
        let now = 1_800_000_000_000u64;
        let clock = Arc::new(ManualClock::new(now));
        let store = Store::with_clock(clock.clone());
        for s in 0..1000 {
            let key = MetricKey::new("App", "Latency", [("Op", format!("op{s}"))]).unwrap();
            for i in 0..3600u64 {
                let v = Datum::Values { values: vec![1.0 + (i % 37) as f64, 5.5 * (s % 7) as f64 + 0.3], counts: None };
                store.put(&key, Some(Unit::Milliseconds), now - 3_600_000 + i * 1000, &v, StorageResolution::High).unwrap();
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.cbor");
        let t = std::time::Instant::now();
        let bytes = store.save_snapshot(&path).unwrap();
        let save = t.elapsed();
        let t = std::time::Instant::now();
        let other = Store::with_clock(clock);
        other.load_snapshot(&path).unwrap();
        eprintln!("MEASURE bytes={bytes} mem={} save={save:?} load={:?}", store.memory_estimate(), t.elapsed());
    }
}
