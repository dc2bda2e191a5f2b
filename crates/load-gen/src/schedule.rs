//! Open arrival-rate schedules, as k6's arrival-rate executors run them.
//!
//! A schedule is a start rate and stages; each stage moves the rate linearly from where the
//! previous one ended to its target over its duration (`ramping-arrival-rate`). A constant
//! rate is one stage whose target equals the start rate (`constant-arrival-rate`). The number
//! iteration `n` (from 0) is due once the integral of the rate from time 0 reaches `n`, so
//! iteration 0 starts at time 0 and a schedule whose rate integrates to `N` starts `N`.

use std::time::Duration;

/// Why a schedule cannot be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScheduleError {
    /// A rate is negative, not finite, or the schedule has no stage.
    #[error("{0}")]
    Invalid(String),
}

/// One stage: reach `target` iterations a second, linearly, over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// The rate at its end, iterations a second.
    pub target: f64,
}

impl Stage {
    /// Parses `30s:1000` (a duration with unit `ms`, `s`, `m` or `h`, a colon, a rate).
    pub fn parse(text: &str) -> Result<Stage, ScheduleError> {
        let bad = || {
            ScheduleError::Invalid(format!(
                "not a stage: {text:?} (use DURATION:RATE, e.g. 30s:1000)"
            ))
        };
        let (duration, target) = text.split_once(':').ok_or_else(bad)?;
        let target: f64 = target.trim().parse().map_err(|_| bad())?;
        Ok(Stage {
            duration: parse_duration(duration.trim()).ok_or_else(bad)?,
            target,
        })
    }
}

/// `500ms`, `30s`, `2m`, `1h` (a whole number and a unit; a bare number is seconds).
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (num, unit) = text.split_at(split);
    let n: u64 = num.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "" | "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n.checked_mul(60)?)),
        "h" => Some(Duration::from_secs(n.checked_mul(3600)?)),
        _ => None,
    }
}

/// Piece `i` of the rate curve: from `start_s` for `len_s` seconds, rate going from `from`
/// to `to`, with `before` iterations due at its start.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Piece {
    start_s: f64,
    len_s: f64,
    from: f64,
    to: f64,
    before: f64,
}

impl Piece {
    /// Iterations due within the piece after `dt` seconds of it.
    fn area(&self, dt: f64) -> f64 {
        if self.len_s <= 0.0 {
            return 0.0;
        }
        let slope = (self.to - self.from) / self.len_s;
        self.from * dt + slope * dt * dt / 2.0
    }
}

/// When iterations are due.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pieces: Vec<Piece>,
    total: f64,
}

impl Schedule {
    /// `rate` iterations a second for `duration` (k6's `constant-arrival-rate`).
    pub fn constant(rate: f64, duration: Duration) -> Result<Schedule, ScheduleError> {
        Schedule::ramping(
            rate,
            &[Stage {
                duration,
                target: rate,
            }],
        )
    }

    /// Starts at `start_rate` and follows `stages` (k6's `ramping-arrival-rate`).
    pub fn ramping(start_rate: f64, stages: &[Stage]) -> Result<Schedule, ScheduleError> {
        if stages.is_empty() {
            return Err(ScheduleError::Invalid("a schedule needs a stage".into()));
        }
        let valid = |r: f64| r.is_finite() && r >= 0.0;
        if !valid(start_rate) {
            return Err(ScheduleError::Invalid(format!(
                "the start rate must be 0 or more, not {start_rate}"
            )));
        }
        let (mut at, mut rate, mut before) = (0.0, start_rate, 0.0);
        let mut pieces = Vec::with_capacity(stages.len());
        for s in stages {
            if !valid(s.target) {
                return Err(ScheduleError::Invalid(format!(
                    "a stage's rate must be 0 or more, not {}",
                    s.target
                )));
            }
            let piece = Piece {
                start_s: at,
                len_s: s.duration.as_secs_f64(),
                from: rate,
                to: s.target,
                before,
            };
            before += piece.area(piece.len_s);
            at += piece.len_s;
            rate = s.target;
            pieces.push(piece);
        }
        Ok(Schedule {
            pieces,
            total: before,
        })
    }

    /// How long the schedule runs.
    pub fn duration(&self) -> Duration {
        self.pieces.last().map_or(Duration::ZERO, |p| {
            Duration::from_secs_f64(p.start_s + p.len_s)
        })
    }

    /// The rate at `elapsed`, iterations a second (0 after the end).
    pub fn rate_at(&self, elapsed: Duration) -> f64 {
        let t = elapsed.as_secs_f64();
        self.piece_at(t).map_or(0.0, |p| {
            if p.len_s <= 0.0 {
                p.to
            } else {
                p.from + (p.to - p.from) * (t - p.start_s) / p.len_s
            }
        })
    }

    fn piece_at(&self, t: f64) -> Option<&Piece> {
        let i = self.pieces.partition_point(|p| p.start_s + p.len_s <= t);
        self.pieces.get(i)
    }

    /// Iterations that have started by `elapsed`, counting the one due at that very instant:
    /// iteration `n` (from 0) is due when the integral of the rate reaches `n`, so the first
    /// starts at time 0, as in k6.
    pub fn due(&self, elapsed: Duration) -> u64 {
        let t = elapsed.as_secs_f64();
        match self.piece_at(t) {
            Some(p) => {
                let integral = p.before + p.area(t - p.start_s);
                // A tiny tolerance keeps an exact integer from being read as just below it.
                ((integral + 1e-9).floor() as u64 + 1).min(self.total())
            }
            None => self.total(),
        }
    }

    /// Iterations the whole schedule starts.
    pub fn total(&self) -> u64 {
        (self.total - 1e-9).ceil().max(0.0) as u64
    }

    /// When iteration `n` (from 0) is due, or `None` if the schedule ends first.
    pub fn due_time(&self, n: u64) -> Option<Duration> {
        if n >= self.total() {
            return None;
        }
        // Iteration n starts when the integral first exceeds n (iteration 0 at time 0).
        let goal = n as f64;
        let i = self
            .pieces
            .partition_point(|p| p.before + p.area(p.len_s) <= goal);
        let p = self.pieces.get(i)?;
        let need = goal - p.before;
        // Solve from*dt + slope*dt^2/2 = need for the smallest dt >= 0.
        let slope = if p.len_s > 0.0 {
            (p.to - p.from) / p.len_s
        } else {
            0.0
        };
        let dt = if slope.abs() < 1e-12 {
            if p.from > 0.0 { need / p.from } else { 0.0 }
        } else {
            let disc = (p.from * p.from + 2.0 * slope * need).max(0.0);
            (-p.from + disc.sqrt()) / slope
        };
        Some(Duration::from_secs_f64(p.start_s + dt.clamp(0.0, p.len_s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: f64) -> Duration {
        Duration::from_secs_f64(secs)
    }

    #[test]
    fn constant_rate_starts_at_once_and_keeps_pace() {
        let sch = Schedule::constant(1000.0, Duration::from_secs(10)).unwrap();
        assert_eq!(sch.due(Duration::ZERO), 1);
        assert_eq!(sch.due(s(0.0005)), 1);
        assert_eq!(sch.due(s(0.0015)), 2);
        assert_eq!(sch.due(s(0.9995)), 1000);
        assert_eq!(
            sch.due(s(1.0)),
            1001,
            "iteration 1000 is due at exactly 1 s"
        );
        assert_eq!(sch.due(s(10.0)), 10_000);
        assert_eq!(sch.due(s(99.0)), 10_000);
        assert_eq!(sch.total(), 10_000);
        assert_eq!(sch.duration(), Duration::from_secs(10));
        assert_eq!(sch.due_time(0), Some(Duration::ZERO));
        assert_eq!(sch.due_time(1000), Some(Duration::from_secs(1)));
        assert_eq!(sch.due_time(10_000), None);
    }

    #[test]
    fn stages_ramp_linearly_as_k6_does() {
        // 30s:1000, 2m:5000, 30s:0 from a start rate of 0.
        let stages: Vec<Stage> = ["30s:1000", "2m:5000", "30s:0"]
            .iter()
            .map(|t| Stage::parse(t).unwrap())
            .collect();
        let sch = Schedule::ramping(0.0, &stages).unwrap();
        assert_eq!(sch.duration(), Duration::from_secs(180));
        assert_eq!(sch.rate_at(s(15.0)), 500.0);
        assert_eq!(sch.rate_at(s(90.0)), 3000.0);
        assert_eq!(sch.rate_at(s(165.0)), 2500.0);
        assert_eq!(sch.rate_at(s(181.0)), 0.0);
        // Areas: 30*1000/2 = 15,000; 120*(1000+5000)/2 = 360,000; 30*5000/2 = 75,000.
        assert_eq!(sch.due(s(30.0)), 15_001);
        assert_eq!(sch.due(s(150.0)), 375_001);
        assert_eq!(sch.total(), 450_000);
        // Half way up the first ramp: 15 s at an average of 250/s.
        assert_eq!(sch.due(s(15.0)), 3_751);
        let t = sch.due_time(3_750).unwrap().as_secs_f64();
        assert!((t - 15.0).abs() < 1e-6, "{t}");
        // Iteration 0 starts at time 0 even when the rate starts at 0.
        assert_eq!(sch.due(Duration::ZERO), 1);
    }

    #[test]
    fn due_time_and_due_agree() {
        let stages = [
            Stage::parse("3s:50").unwrap(),
            Stage::parse("2s:50").unwrap(),
            Stage::parse("1s:7").unwrap(),
        ];
        let sch = Schedule::ramping(10.0, &stages).unwrap();
        for n in 0..sch.total() {
            let t = sch.due_time(n).unwrap();
            assert_eq!(
                sch.due(t + Duration::from_nanos(1000)),
                n + 1,
                "iteration {n}"
            );
        }
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(Stage::parse("30s").is_err());
        assert!(Stage::parse("30x:5").is_err());
        assert!(
            Stage::parse("30s:-5").is_ok(),
            "parsed; refused by the schedule"
        );
        assert!(Schedule::ramping(0.0, &[Stage::parse("30s:-5").unwrap()]).is_err());
        assert!(Schedule::ramping(0.0, &[]).is_err());
        assert!(Schedule::constant(f64::NAN, Duration::from_secs(1)).is_err());
    }
}
