//! Calendar arithmetic for ISO 8601 timestamps (proleptic Gregorian, UTC).

/// Days since 1970-01-01 to (year, month, day).
pub(crate) fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

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

/// Parses ISO 8601 date-times as AWS query clients send them — `2016-10-03T23:00:00Z`,
/// optional fractional seconds, `Z` or a `±hh:mm` offset — into epoch milliseconds.
pub(crate) fn parse_iso8601(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = text.get(from..from + len)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut at = 19;
    let mut millis = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let digits = text.get(start..at)?;
        if digits.is_empty() {
            return None;
        }
        let first3 = format!("{:0<3}", &digits[..digits.len().min(3)]);
        millis = first3.parse().ok()?;
    }
    let offset_s = match &text[at..] {
        "Z" | "z" => 0,
        rest if rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && rest.as_bytes()[3] == b':' =>
        {
            let h = num(at + 1, 2)?;
            let m = num(at + 4, 2)?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_s;
    Some(secs * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_days() {
        for d in [-1_000_000, -1, 0, 1, 19_000, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn parses_what_clients_send() {
        assert_eq!(
            parse_iso8601("2016-10-03T23:00:00Z"),
            Some(1_475_535_600_000)
        );
        assert_eq!(
            parse_iso8601("2016-10-03T23:00:00.5Z"),
            Some(1_475_535_600_500)
        );
        assert_eq!(
            parse_iso8601("2016-10-03T23:00:00.123456Z"),
            Some(1_475_535_600_123)
        );
        assert_eq!(
            parse_iso8601("2016-10-04T01:00:00+02:00"),
            Some(1_475_535_600_000)
        );
        assert_eq!(parse_iso8601("2016-10-03"), None);
        assert_eq!(parse_iso8601("2016-13-03T23:00:00Z"), None);
        assert_eq!(parse_iso8601("2016-10-03T23:00:00"), None);
        assert_eq!(parse_iso8601("2016-10-03T23:00:00.Z"), None);
        assert_eq!(parse_iso8601("２016-10-03T23:00:00Z"), None);
    }
}
