//! ISO 8601 timestamps for the query protocol (proleptic Gregorian calendar, UTC).
//!
//! **Parsing** takes what query clients send: `2016-10-03T23:00:00Z` with optional fractional
//! seconds (botocore sends six digits when there is a fraction) and `Z` or a `±hh:mm` /
//! `±hhmm` offset. At most six fraction digits are accepted, as AWS does (CloudWatch rejects
//! nine with `timestamp must follow ISO8601`); digits past the millisecond are dropped. A date
//! without a time, a time without an offset, second 60, an impossible day (`02-30`) and epoch
//! numbers are all rejected.
//!
//! **Formatting** writes `2025-09-19T22:46:00Z`, with `.sss` only when the milliseconds are
//! not zero. AWS's exact XML form is not documented; botocore, smithy-rs and the Java SDK
//! read both.

pub(crate) use time_source::civil_from_days;

/// (year, month, day) to days since 1970-01-01.
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses an ISO 8601 date-time (see the module documentation) into epoch milliseconds.
pub(crate) fn parse_iso8601(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    // Fixed-width decimal field; `None` unless every byte is a digit.
    let num = |from: usize, len: usize| -> Option<i64> {
        let field = b.get(from..from + len)?;
        field.iter().try_fold(0i64, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let at = |i: usize, allowed: &[u8]| b.get(i).is_some_and(|c| allowed.contains(c));
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
    let day = u32::try_from(day)
        .ok()
        .filter(|&d| d >= 1 && d <= days_in_month(year, month))?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = i - start;
        if !(1..=6).contains(&digits) {
            return None;
        }
        // The first three digits, right-padded: `.5` is 500 ms.
        for k in 0..3 {
            millis = millis * 10 + if k < digits { num(start + k, 1)? } else { 0 };
        }
    }
    let offset_secs = match b.get(i..)? {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let rest = b.len() - i - 1;
            let (h, m) = match rest {
                5 if b.get(i + 3) == Some(&b':') => (num(i + 1, 2)?, num(i + 4, 2)?),
                4 => (num(i + 1, 2)?, num(i + 3, 2)?),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if *sign == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(secs * 1000 + millis)
}

/// Appends epoch milliseconds as ISO 8601 in UTC (see the module documentation). Years
/// outside 0000..=9999 get a sign and as many digits as they need, as ISO 8601's expanded
/// form does.
pub(crate) fn format_iso8601(out: &mut String, epoch_ms: i64) {
    use std::fmt::Write as _;
    let secs = epoch_ms.div_euclid(1000);
    let ms = epoch_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let _ = match y {
        0..=9999 => write!(out, "{y:04}"),
        10_000.. => write!(out, "+{y}"),
        _ => write!(out, "-{:04}", y.unsigned_abs()),
    };
    let _ = write!(
        out,
        "-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    );
    if ms != 0 {
        let _ = write!(out, ".{ms:03}");
    }
    out.push('Z');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ms: i64) -> String {
        let mut s = String::new();
        format_iso8601(&mut s, ms);
        s
    }

    #[test]
    fn round_trip_days() {
        for d in [-1_000_000, -719_468, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn parses_what_clients_send() {
        let ok = |s: &str, ms: i64| assert_eq!(parse_iso8601(s), Some(ms), "{s}");
        ok("2016-10-03T23:00:00Z", 1_475_535_600_000);
        ok("2016-10-03t23:00:00z", 1_475_535_600_000);
        ok("2016-10-03T23:00:00.5Z", 1_475_535_600_500);
        ok("2016-10-03T23:00:00.05Z", 1_475_535_600_050);
        ok("2016-10-03T23:00:00.123456Z", 1_475_535_600_123);
        ok("2016-10-03T23:00:00.999999Z", 1_475_535_600_999);
        ok("2016-10-04T01:00:00+02:00", 1_475_535_600_000);
        ok("2016-10-03T20:30:00-0230", 1_475_535_600_000);
        ok("2016-10-04T01:00:00.250+02:00", 1_475_535_600_250);
        ok("1970-01-01T00:00:00Z", 0);
        ok("1969-12-31T23:59:59.999Z", -1);
        ok("0000-01-01T00:00:00Z", -62_167_219_200_000);
        ok("9999-12-31T23:59:59Z", 253_402_300_799_000);
        ok("2000-02-29T00:00:00Z", 951_782_400_000);
    }

    #[test]
    fn rejects_everything_else() {
        for s in [
            "",
            "2016-10-03",
            "2016-10-03T23:00Z",
            "2016-10-03T23:00:00",
            "2016-10-03T23:00:00.Z",
            "2016-10-03T23:00:00.1234567Z",
            "2016-10-03T23:00:00.123456789Z",
            "2016-13-03T23:00:00Z",
            "2016-00-03T23:00:00Z",
            "2016-10-00T23:00:00Z",
            "2016-02-30T23:00:00Z",
            "2015-02-29T23:00:00Z",
            "1900-02-29T00:00:00Z",
            "2016-10-03T24:00:00Z",
            "2016-10-03T23:60:00Z",
            "2016-10-03T23:59:60Z",
            "2016-10-03T23:00:00+2:00",
            "2016-10-03T23:00:00+24:00",
            "2016-10-03T23:00:00+02:60",
            "2016-10-03T23:00:00+02:00:00",
            "2016-10-03T23:00:00 02:00",
            "2016-10-03T23:00:00ZZ",
            "2016-10-03T23:00:00GMT",
            "+2016-10-03T23:00:00Z",
            "16-10-03T23:00:00Z",
            "2016/10/03T23:00:00Z",
            "２016-10-03T23:00:00Z",
            "2016-10-03T23:00:0０Z",
            "1475535600",
            "1475535600000",
            "1.44409e+012",
        ] {
            assert_eq!(parse_iso8601(s), None, "{s:?}");
        }
    }

    #[test]
    fn formats_utc() {
        assert_eq!(fmt(1_758_321_960_000), "2025-09-19T22:46:00Z");
        assert_eq!(fmt(1_758_321_960_007), "2025-09-19T22:46:00.007Z");
        assert_eq!(fmt(1_758_321_960_120), "2025-09-19T22:46:00.120Z");
        assert_eq!(fmt(0), "1970-01-01T00:00:00Z");
        assert_eq!(fmt(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(fmt(253_402_300_800_000), "+10000-01-01T00:00:00Z");
        assert_eq!(fmt(-62_167_219_200_001), "-0001-12-31T23:59:59.999Z");
        // The extremes still format (no overflow, no panic).
        assert!(fmt(i64::MAX).ends_with(".807Z"));
        assert!(fmt(i64::MIN).starts_with('-'));
    }

    #[test]
    fn format_then_parse() {
        for ms in [
            0,
            1,
            999,
            1_475_535_600_123,
            -1_475_535_600_123,
            253_402_300_799_999,
            -62_167_219_200_000,
        ] {
            assert_eq!(parse_iso8601(&fmt(ms)), Some(ms), "{ms}");
        }
    }
}
