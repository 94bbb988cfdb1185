//! Time as rl prints and parses it: seconds since the epoch, RFC 3339, podman's "2 hours ago".

/// Seconds since the epoch, now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Seconds since the epoch, now, for time arithmetic.
pub fn now() -> i64 {
    i64::try_from(now_secs()).unwrap_or(i64::MAX)
}

/// Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.123Z", offsets allowed).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let mut t = days * 86_400 + h * 3600 + mi * 60 + se;
    let tail = s[19..].trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if let Some(off) = tail.strip_prefix('+').or_else(|| tail.strip_prefix('-')) {
        let sign = if tail.starts_with('+') { 1 } else { -1 };
        let oh = off.get(0..2)?.parse::<i64>().ok()?;
        let om = off.get(3..5)?.parse::<i64>().ok()?;
        t -= sign * (oh * 3600 + om * 60);
    }
    Some(t)
}

/// "2 hours ago" the way podman (go-units HumanDuration) words it.
pub fn ago(then: i64) -> String {
    let secs = (now() - then).max(0);
    let d = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        s if s < 1 => "Less than a second ago".into(),
        1 => "1 second ago".into(),
        s if s < 60 => format!("{s} seconds ago"),
        s if s < 120 => "About a minute ago".into(),
        s if s < 3600 => d(s / 60, "minute"),
        s if s < 7200 => "About an hour ago".into(),
        s if s < 172_800 => d(s / 3600, "hour"),
        s if s < 86_400 * 14 => d(s / 86_400, "day"),
        s if s < 86_400 * 60 => d(s / (86_400 * 7), "week"),
        s if s < 86_400 * 365 * 2 => d(s / (86_400 * 30), "month"),
        s => d(s / (86_400 * 365), "year"),
    }
}

/// RFC 3339 UTC text of seconds since the epoch.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339("2024-02-29T12:34:56.789Z"),
            Some(1_709_210_096)
        );
        assert_eq!(
            parse_rfc3339("2024-02-29T14:34:56+02:00"),
            Some(1_709_210_096)
        );
        assert_eq!(rfc3339(1_709_210_096), "2024-02-29T12:34:56Z");
        assert_eq!(parse_rfc3339("junk"), None);
        assert_eq!(ago(now() - 7200), "2 hours ago");
        assert_eq!(ago(now() - 90), "About a minute ago");
        assert_eq!(ago(now() - 86_400 * 3), "3 days ago");
    }
}
