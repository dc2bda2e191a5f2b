//! The date texts CloudWatch writes into reasons, reason data, history and messages (UTC).

/// A UTC instant broken into calendar fields.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u64,
    minute: u64,
    second: u64,
    millis: u64,
    /// 0 = Monday.
    weekday: u64,
}

fn civil(ms: u64) -> Civil {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (year, month, day) = time_source::civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        millis: ms % 1000,
        // 1970-01-01 was a Thursday (3).
        weekday: (secs / 86_400 + 3) % 7,
    }
}

/// `2022-09-25T18:48:56.505+0000`: reason data, history data and SNS messages.
pub(crate) fn iso_millis(ms: u64) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis
    )
}

/// `25/09/22 18:49:00` (dd/MM/yy HH:mm:ss): datapoint times inside a StateReason.
pub(crate) fn reason_date(ms: u64) -> String {
    let c = civil(ms);
    format!(
        "{:02}/{:02}/{:02} {:02}:{:02}:{:02}",
        c.day,
        c.month,
        c.year.rem_euclid(100),
        c.hour,
        c.minute,
        c.second
    )
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `Friday 22 July, 2022 15:57:45 UTC` (EEEE dd MMMM, yyyy HH:mm:ss z): composite reasons.
pub(crate) fn long_date(ms: u64) -> String {
    let c = civil(ms);
    let weekday = WEEKDAYS.get(c.weekday as usize).copied().unwrap_or("");
    let month = MONTHS
        .get(c.month.saturating_sub(1) as usize)
        .copied()
        .unwrap_or("");
    format!(
        "{weekday} {:02} {month}, {:04} {:02}:{:02}:{:02} UTC",
        c.day, c.year, c.hour, c.minute, c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_cloudwatch() {
        // 2022-07-22T15:57:45.394Z, a Friday.
        let ms = 1_658_505_465_394;
        assert_eq!(iso_millis(ms), "2022-07-22T15:57:45.394+0000");
        assert_eq!(reason_date(ms), "22/07/22 15:57:45");
        assert_eq!(long_date(ms), "Friday 22 July, 2022 15:57:45 UTC");
        assert_eq!(iso_millis(0), "1970-01-01T00:00:00.000+0000");
        // 2021-11-10T02:45:55Z was a Wednesday (SNS sample).
        assert_eq!(
            long_date(1_636_512_355_640),
            "Wednesday 10 November, 2021 02:45:55 UTC"
        );
    }
}
