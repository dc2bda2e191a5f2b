//! The decision of one metric-alarm evaluation, from the datapoints of its evaluation range.
//!
//! Pure: no store, no clock. The rules and their sources (facts file section 2, "Missing
//! data and the evaluation range", from the CloudWatch User Guide):
//!
//! - The range holds more periods than N ([`range_periods`]). If at least N of them have
//!   data, the most recent N real points are evaluated, reaching back over gaps, and
//!   TreatMissingData plays no part.
//! - If fewer than N have data, every real point of the range is evaluated and the rest of
//!   the N is filled from the most recent missing periods, as TreatMissingData says.
//! - All missing: `missing` -> INSUFFICIENT_DATA, `ignore` -> keep the state, `breaching` ->
//!   ALARM, `notBreaching` -> OK.
//! - ALARM when at least M evaluated points breach (filled `breaching` points count);
//!   otherwise OK, except that with `missing` or `ignore` and no real non-breaching point the
//!   state is kept (the next point may still breach), unless the premature-alarm rule holds
//!   (`missing` only): the oldest breaching point within the last N periods is at least M
//!   periods old and nothing more recent is non-breaching.
//! - `EvaluateLowSampleCountPercentile=ignore`: a percentile alarm keeps its state while an
//!   evaluated point has too few samples ([`low_sample`]).

use crate::model::{AlarmState, ComparisonOperator, TreatMissingData};

/// How many periods an evaluation looks at for N evaluation periods.
///
/// AWS does not publish the size; the User Guide's examples use 5 for N = 3. This is N plus
/// max(N / 3, 2), which gives 5 for N = 3 (the formula LocalStack uses for the same example).
pub(crate) fn range_periods(n: u32) -> u32 {
    n.saturating_add((n / 3).max(2))
}

/// Whether a period's sample count is too small for percentile `p` (0..=100): fewer than
/// 10 / (1 - p) samples for p in [0.5, 1), fewer than 10 / p for p in (0, 0.5) (User Guide,
/// "Percentile-based CloudWatch alarms and low data samples"). p0 and p100 (min and max)
/// need no minimum.
pub(crate) fn low_sample(p: f64, samples: f64) -> bool {
    let q = p / 100.0;
    if q <= 0.0 || q >= 1.0 {
        false
    } else if q >= 0.5 {
        samples < 10.0 / (1.0 - q)
    } else {
        samples < 10.0 / q
    }
}

/// One period of the evaluation range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Slot {
    /// Period start, epoch ms.
    pub ts_ms: u64,
    /// The statistic, if the period has data.
    pub value: Option<f64>,
    /// The period's sample count, when known.
    pub sample_count: Option<f64>,
    /// Too few samples for the alarm's percentile.
    pub low_sample: bool,
}

/// The alarm settings an evaluation needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Criteria {
    pub n: u32,
    pub m: u32,
    pub op: ComparisonOperator,
    pub threshold: f64,
    pub treat: TreatMissingData,
    pub ignore_low_samples: bool,
}

/// One evaluated point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub ts_ms: u64,
    /// `None` for a filled (missing) point.
    pub value: Option<f64>,
    pub sample_count: Option<f64>,
    pub breaching: bool,
}

/// What an evaluation concluded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Decision {
    /// The state to be in; `None` keeps the current one.
    pub state: Option<AlarmState>,
    /// The evaluated points, newest first (real and filled).
    pub points: Vec<Point>,
    /// How many points were filled.
    pub filled: u32,
    /// No point of the range had data.
    pub all_missing: bool,
}

/// Decides the state from `slots` (the evaluation range, oldest first).
pub(crate) fn decide(slots: &[Slot], c: &Criteria) -> Decision {
    let n = c.n as usize;
    let m = c.m as usize;
    let point = |s: &Slot| -> Point {
        let breaching = s.value.is_some_and(|v| c.op.breaches(v, c.threshold));
        Point {
            ts_ms: s.ts_ms,
            value: s.value,
            sample_count: s.sample_count,
            breaching,
        }
    };
    let filled_point = |s: &Slot| Point {
        ts_ms: s.ts_ms,
        value: None,
        sample_count: None,
        breaching: c.treat == TreatMissingData::Breaching,
    };
    let real: Vec<&Slot> = slots.iter().filter(|s| s.value.is_some()).collect();

    // (a)/(b): enough real points: the most recent N of them, no filling.
    if real.len() >= n {
        let points: Vec<Point> = real.iter().rev().take(n).map(|s| point(s)).collect();
        let low = c.ignore_low_samples && real.iter().rev().take(n).any(|s| s.low_sample);
        let breaching = points.iter().filter(|p| p.breaching).count();
        let state = if low {
            None
        } else if breaching >= m {
            Some(AlarmState::Alarm)
        } else {
            Some(AlarmState::Ok)
        };
        return Decision {
            state,
            points,
            filled: 0,
            all_missing: false,
        };
    }

    // (c): fill the missing up to N from the most recent missing periods.
    let to_fill = n - real.len();
    let mut points: Vec<Point> = Vec::with_capacity(n);
    let mut fill_left = to_fill;
    for s in slots.iter().rev() {
        if s.value.is_some() {
            points.push(point(s));
        } else if fill_left > 0 {
            points.push(filled_point(s));
            fill_left -= 1;
        }
    }
    let filled = (to_fill - fill_left) as u32;

    if real.is_empty() {
        let state = match c.treat {
            TreatMissingData::Missing => Some(AlarmState::InsufficientData),
            TreatMissingData::Ignore => None,
            TreatMissingData::Breaching => Some(AlarmState::Alarm),
            TreatMissingData::NotBreaching => Some(AlarmState::Ok),
        };
        return Decision {
            state,
            points,
            filled,
            all_missing: true,
        };
    }

    let low = c.ignore_low_samples && real.iter().any(|s| s.low_sample);
    let breaching = points.iter().filter(|p| p.breaching).count();
    let real_ok = real.iter().any(|s| !point(s).breaching);
    let state = if low {
        None
    } else if breaching >= m {
        Some(AlarmState::Alarm)
    } else {
        match c.treat {
            TreatMissingData::Breaching | TreatMissingData::NotBreaching => Some(AlarmState::Ok),
            _ if real_ok => Some(AlarmState::Ok),
            TreatMissingData::Missing if premature_rule_alarms(slots, c) => Some(AlarmState::Alarm),
            _ => None,
        }
    };
    Decision {
        state,
        points,
        filled,
        all_missing: false,
    }
}

/// The User Guide's "Avoiding premature transitions" exception: ALARM when the oldest
/// breaching point within the last N periods is at least M periods old and every more recent
/// point is breaching or missing.
fn premature_rule_alarms(slots: &[Slot], c: &Criteria) -> bool {
    let n = c.n as usize;
    let start = slots.len().saturating_sub(n);
    let recent = &slots[start..];
    let Some(oldest) = recent
        .iter()
        .position(|s| s.value.is_some_and(|v| c.op.breaches(v, c.threshold)))
    else {
        return false;
    };
    let age = recent.len() - oldest;
    let rest_ok = recent[oldest..]
        .iter()
        .all(|s| s.value.is_none_or(|v| c.op.breaches(v, c.threshold)));
    age >= c.m as usize && rest_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `0` ok, `X` breaching, `-` missing; oldest first, as the User Guide's tables.
    fn slots(pattern: &str) -> Vec<Slot> {
        pattern
            .split_whitespace()
            .enumerate()
            .map(|(i, c)| Slot {
                ts_ms: i as u64 * 60_000,
                value: match c {
                    "0" => Some(0.0),
                    "X" => Some(5.0),
                    _ => None,
                },
                sample_count: None,
                low_sample: false,
            })
            .collect()
    }

    fn state(pattern: &str, m: u32, treat: TreatMissingData) -> Option<AlarmState> {
        let c = Criteria {
            n: 3,
            m,
            op: ComparisonOperator::GreaterThanThreshold,
            threshold: 1.0,
            treat,
            ignore_low_samples: false,
        };
        decide(&slots(pattern), &c).state
    }

    use AlarmState::{Alarm as A, InsufficientData as I, Ok as O};
    use TreatMissingData::{Breaching, Ignore, Missing, NotBreaching};

    fn row(pattern: &str, m: u32, expect: [Option<AlarmState>; 4]) {
        for (treat, want) in [Missing, Ignore, Breaching, NotBreaching]
            .into_iter()
            .zip(expect)
        {
            assert_eq!(state(pattern, m, treat), want, "{pattern} M={m} {treat:?}");
        }
    }

    #[test]
    fn user_guide_table_three_of_three() {
        row("0 - X - X", 3, [Some(O), Some(O), Some(O), Some(O)]);
        row("0 - - - -", 3, [Some(O), Some(O), Some(O), Some(O)]);
        row("- - - - -", 3, [Some(I), None, Some(A), Some(O)]);
        row("0 X X - X", 3, [Some(A), Some(A), Some(A), Some(A)]);
        row("- - X - -", 3, [Some(A), None, Some(A), Some(O)]);
    }

    #[test]
    fn user_guide_table_two_of_three() {
        row("0 - X - X", 2, [Some(A), Some(A), Some(A), Some(A)]);
        row("0 0 X 0 X", 2, [Some(A), Some(A), Some(A), Some(A)]);
        row("0 - X - -", 2, [Some(O), Some(O), Some(A), Some(O)]);
        row("- - - - 0", 2, [Some(O), Some(O), Some(A), Some(O)]);
        row("- - - X -", 2, [Some(A), None, Some(A), Some(O)]);
    }

    #[test]
    fn premature_alarm_is_avoided() {
        assert_eq!(state("- - - - X", 3, Missing), None);
        assert_eq!(state("- - - X -", 3, Missing), None);
    }

    #[test]
    fn range_and_low_samples() {
        assert_eq!(range_periods(3), 5);
        assert_eq!(range_periods(1), 3);
        assert_eq!(range_periods(30), 40);
        assert!(low_sample(99.0, 999.0));
        assert!(!low_sample(99.0, 1000.0));
        assert!(low_sample(10.0, 99.0));
        assert!(!low_sample(100.0, 1.0));
    }
}
