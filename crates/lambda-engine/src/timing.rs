//! The engine's time: the [`Clock`] it was given, read for timestamps, ages, durations,
//! timeouts and the waits of asynchronous retries.
//!
//! On the system clock, durations come from [`Instant`] (sub-millisecond, as `REPORT` lines
//! print them) and waits are timers. A manual clock moves only when its owner moves it, so
//! durations are its differences and waits recheck it until it has moved far enough: tests
//! move the clock instead of sleeping.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use time_source::Clock;

/// How often a wait on a caller's clock looks at it again.
const RECHECK: Duration = Duration::from_millis(5);

/// The engine's clock.
#[derive(Clone)]
pub(crate) enum Time {
    /// The system clock.
    System,
    /// A caller's clock (a manual one in tests).
    Clock(Arc<dyn Clock>),
}

impl Time {
    /// Now, epoch milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        match self {
            Time::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as i64),
            Time::Clock(c) => c.now_ms() as i64,
        }
    }

    /// Now, epoch seconds.
    pub(crate) fn now_secs(&self) -> f64 {
        match self {
            Time::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
            Time::Clock(c) => c.now_ms() as f64 / 1000.0,
        }
    }

    /// A stopwatch started now.
    pub(crate) fn stopwatch(&self) -> Stopwatch {
        match self {
            Time::System => Stopwatch::Instant(Instant::now()),
            Time::Clock(c) => Stopwatch::Clock(c.clone(), c.now_ms()),
        }
    }

    /// Waits until the clock has moved `wait` on from the time of this call (not of the
    /// first poll).
    pub(crate) fn sleep(&self, wait: Duration) -> impl Future<Output = ()> + Send + 'static {
        let (timer, clock) = match self {
            Time::System => (Some(tokio::time::sleep(wait)), None),
            Time::Clock(c) => {
                let deadline = c.now_ms().saturating_add(wait.as_millis() as u64);
                (None, Some((c.clone(), deadline)))
            }
        };
        async move {
            if let Some(timer) = timer {
                timer.await;
            }
            if let Some((clock, deadline)) = clock {
                while clock.now_ms() < deadline {
                    tokio::time::sleep(RECHECK).await;
                }
            }
        }
    }
}

/// Time elapsed since a start, on the engine's clock.
#[derive(Clone)]
pub(crate) enum Stopwatch {
    /// On the system clock.
    Instant(Instant),
    /// On a caller's clock, from this reading.
    Clock(Arc<dyn Clock>, u64),
}

impl Stopwatch {
    /// Time since the start.
    pub(crate) fn elapsed(&self) -> Duration {
        match self {
            Stopwatch::Instant(i) => i.elapsed(),
            Stopwatch::Clock(c, start) => Duration::from_millis(c.now_ms().saturating_sub(*start)),
        }
    }
}
