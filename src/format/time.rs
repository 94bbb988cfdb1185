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

/// Nanoseconds since the epoch, now (log lines and events carry them).
pub fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Nanoseconds since the epoch of an RFC 3339 time, keeping its fraction.
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let secs = parse_rfc3339(s)?;
    let frac = s.get(19..)?.strip_prefix('.').map_or("", |f| {
        let end = f.find(|c: char| !c.is_ascii_digit()).unwrap_or(f.len());
        &f[..end]
    });
    let mut nanos = 0i64;
    for (i, c) in frac.bytes().take(9).enumerate() {
        nanos += i64::from(c - b'0') * 10i64.pow(8 - u32::try_from(i).unwrap_or(8));
    }
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// RFC 3339 UTC text with nine fraction digits ("2024-05-01T10:00:00.000000001Z").
pub fn rfc3339_nanos(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let whole = rfc3339(secs);
    format!("{}.{frac:09}Z", whole.trim_end_matches('Z'))
}

/// A `--since`/`--until` value as docker and podman take it, in nanoseconds since the epoch:
/// an RFC 3339 time (a date alone means its midnight UTC), seconds since the epoch with an
/// optional fraction (`1700000000.5`), or a Go duration back from now (`10m`, `1h30m`, `2.5s`).
pub fn parse_since(s: &str, now_ns: i64) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        return parse_rfc3339_nanos(&format!("{s}T00:00:00Z"));
    }
    if s.len() >= 19 && s.as_bytes().get(10) == Some(&b'T') {
        return parse_rfc3339_nanos(s);
    }
    if let Some(d) = parse_duration_nanos(s) {
        return Some(now_ns - d);
    }
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut nanos = whole.parse::<i64>().ok()?.checked_mul(1_000_000_000)?;
    for (i, c) in frac.bytes().take(9).enumerate() {
        nanos += i64::from(c - b'0') * 10i64.pow(8 - u32::try_from(i).unwrap_or(8));
    }
    Some(nanos)
}

/// A Go duration (`300ms`, `1.5h`, `2h45m`, `10s`) in nanoseconds; a bare number is not one.
pub fn parse_duration_nanos(s: &str) -> Option<i64> {
    let mut rest = s;
    let mut total = 0f64;
    let mut any = false;
    while !rest.is_empty() {
        let n_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[u_end..];
        total += n * unit;
        any = true;
    }
    #[allow(clippy::cast_possible_truncation)]
    (any && total.is_finite() && total < 9e18).then_some(total as i64)
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
    format!("{} ago", human_duration(now() - then))
}

/// A duration in seconds worded as docker's go-units `HumanDuration` words it ("Less than a
/// second", "5 seconds", "About a minute", "3 hours", "2 weeks"; negative counts as zero).
/// Like go-units, hours are rounded to the nearest (90 minutes are "2 hours") and every unit from
/// hours up is counted from those rounded hours, except years.
pub fn human_duration(secs: i64) -> String {
    let secs = secs.max(0);
    if secs < 1 {
        return "Less than a second".into();
    }
    if secs == 1 {
        return "1 second".into();
    }
    if secs < 60 {
        return format!("{secs} seconds");
    }
    let minutes = secs / 60;
    if minutes == 1 {
        return "About a minute".into();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    let hours = (secs + 1800) / 3600;
    match hours {
        1 => "About an hour".into(),
        h if h < 48 => format!("{h} hours"),
        h if h < 24 * 7 * 2 => format!("{} days", h / 24),
        h if h < 24 * 30 * 2 => format!("{} weeks", h / 24 / 7),
        h if h < 24 * 365 * 2 => format!("{} months", h / 24 / 30),
        _ => format!("{} years", secs / 3600 / 24 / 365),
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

    #[test]
    fn durations_like_go_units() {
        for (secs, want) in [
            (-5, "Less than a second"),
            (0, "Less than a second"),
            (1, "1 second"),
            (2, "2 seconds"),
            (59, "59 seconds"),
            (60, "About a minute"),
            (119, "About a minute"),
            (120, "2 minutes"),
            (3599, "59 minutes"),
            (3600, "About an hour"),
            (5399, "About an hour"),
            // go-units rounds hours: 90 minutes are already "2 hours".
            (5400, "2 hours"),
            (47 * 3600, "47 hours"),
            (47 * 3600 + 1800, "2 days"),
            (13 * 86_400, "13 days"),
            (14 * 86_400, "2 weeks"),
            (59 * 86_400, "8 weeks"),
            (60 * 86_400, "2 months"),
            (729 * 86_400, "24 months"),
            (730 * 86_400, "2 years"),
            (3 * 365 * 86_400 + 100, "3 years"),
        ] {
            assert_eq!(human_duration(secs), want, "{secs} s");
        }
        assert_eq!(ago(now() - 5400), "2 hours ago");
        assert_eq!(ago(now() + 30), "Less than a second ago");
    }

    #[test]
    fn nanosecond_times_and_since() {
        let t = parse_rfc3339_nanos("2024-02-29T12:34:56.000000789Z").unwrap();
        assert_eq!(t, 1_709_210_096_000_000_789);
        assert_eq!(rfc3339_nanos(t), "2024-02-29T12:34:56.000000789Z");
        assert_eq!(
            parse_rfc3339_nanos("2024-02-29T12:34:56.5Z"),
            Some(1_709_210_096_500_000_000)
        );
        let now = 1_000_000_000_000_000_000;
        assert_eq!(parse_since("10m", now), Some(now - 600_000_000_000));
        assert_eq!(parse_since("1h30m", now), Some(now - 5_400_000_000_000));
        assert_eq!(
            parse_since("1700000000", now),
            Some(1_700_000_000_000_000_000)
        );
        assert_eq!(
            parse_since("1700000000.25", now),
            Some(1_700_000_000_250_000_000)
        );
        assert_eq!(
            parse_since("2024-02-29", now),
            Some(1_709_164_800_000_000_000)
        );
        assert_eq!(
            parse_since("2024-02-29T12:34:56Z", now),
            Some(1_709_210_096_000_000_000)
        );
        assert_eq!(parse_since("yesterday", now), None);
        assert_eq!(parse_since("", now), None);
        assert_eq!(parse_duration_nanos("2.5s"), Some(2_500_000_000));
        assert_eq!(parse_duration_nanos("5"), None);
    }
}
