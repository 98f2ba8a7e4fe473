//! Wall-clock formatting shared by the health report, the JSON logs and the audit log.

use std::time::{SystemTime, UNIX_EPOCH};

/// `time` as RFC 3339 in UTC with millisecond precision.
#[cfg(any(feature = "serve", feature = "logs"))]
pub fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let [year, month, day, h, m, s] = civil(since.as_secs());
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        since.subsec_millis()
    )
}

/// Appends `time` as RFC 3339 in UTC with nanosecond precision
/// (`2026-12-01T04:00:00.123456789Z`) to `out`, without formatting machinery (the audit writer
/// writes two per event).
#[cfg(feature = "audit")]
pub fn push_rfc3339_nanos(time: SystemTime, out: &mut Vec<u8>) {
    fn digits(out: &mut Vec<u8>, mut n: u64, width: usize) {
        let mut buf = [b'0'; 9];
        for d in buf[..width].iter_mut().rev() {
            *d = b'0' + (n % 10) as u8;
            n /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    }
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let [year, month, day, h, m, s] = civil(since.as_secs());
    digits(out, year, 4);
    for (sep, n) in [(b'-', month), (b'-', day), (b'T', h), (b':', m), (b':', s)] {
        out.push(sep);
        digits(out, n, 2);
    }
    out.push(b'.');
    digits(out, u64::from(since.subsec_nanos()), 9);
    out.push(b'Z');
}

/// `secs` since the Unix epoch as `[year, month, day, hour, minute, second]` in UTC.
fn civil(secs: u64) -> [u64; 6] {
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Years before 1970 cannot occur (times before the epoch read as the epoch).
    [
        year as u64,
        month as u64,
        day as u64,
        rest / 3_600,
        rest % 3_600 / 60,
        rest % 60,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    #[cfg(feature = "audit")]
    fn rfc3339_with_nanoseconds() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_795_000_000_123_456_789);
        let nanos = |t| {
            let mut out = Vec::new();
            push_rfc3339_nanos(t, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(nanos(t), "2026-11-18T11:06:40.123456789Z");
        assert_eq!(nanos(UNIX_EPOCH), "1970-01-01T00:00:00.000000000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(nanos(leap), "2000-02-29T00:00:00.000000000Z");
    }

    #[test]
    #[cfg(any(feature = "serve", feature = "logs"))]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
