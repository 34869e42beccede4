//! Report time zones: local calendar days and hours without the database's ICU extension.
//!
//! The embedded DuckDB build has no ICU, so it cannot convert time zones. A report instead gets,
//! from here, the UTC offsets in force over its range (the "segments" between daylight-saving
//! transitions), binds them as parameters to shift event times to local wall-clock time, and
//! maps local bucket starts back to UTC instants.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use super::TimeRange;

/// An IANA time zone such as `Europe/Berlin` (default `UTC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

/// Offsets are sampled this often to find transitions (all real ones fall on quarter hours).
const STEP_MS: i64 = 15 * 60 * 1000;

impl Zone {
    pub fn parse(name: &str) -> Option<Zone> {
        name.parse::<Tz>().ok().map(Zone)
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The UTC offset in milliseconds at an instant.
    pub fn offset_ms(&self, utc_ms: i64) -> i64 {
        let Some(t) = DateTime::<Utc>::from_timestamp_millis(utc_ms) else {
            return 0;
        };
        i64::from(
            self.0
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ) * 1000
    }

    /// `(until_ms, offset_ms)` pairs covering the range: the offset holds for instants before
    /// `until_ms` and after the previous pair's; the last pair's `until_ms` is `range.to_ms`.
    pub fn segments(&self, range: TimeRange) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        let mut current = self.offset_ms(range.from_ms);
        let mut t = range.from_ms;
        while t < range.to_ms {
            let next = (t + STEP_MS).min(range.to_ms);
            let offset = self.offset_ms(next);
            if offset != current && next < range.to_ms {
                // The transition lies in (t, next]; find its minute.
                let (mut lo, mut hi) = (t, next);
                while hi - lo > 60_000 {
                    let mid = lo + (hi - lo) / 2;
                    if self.offset_ms(mid) == current {
                        lo = mid
                    } else {
                        hi = mid
                    }
                }
                out.push((hi, current));
                current = offset;
            }
            t = next;
        }
        out.push((range.to_ms, current));
        out
    }

    /// The local wall-clock time of an instant, as milliseconds of a naive epoch.
    pub fn wall_ms(&self, utc_ms: i64) -> i64 {
        utc_ms + self.offset_ms(utc_ms)
    }

    /// The UTC instant of a local wall-clock time; a time skipped by a daylight-saving jump
    /// maps to the first instant after the jump.
    pub fn utc_of_wall(&self, wall_ms: i64) -> i64 {
        let Some(naive) = DateTime::<Utc>::from_timestamp_millis(wall_ms).map(|t| t.naive_utc())
        else {
            return wall_ms;
        };
        let mut probe: NaiveDateTime = naive;
        for _ in 0..8 {
            if let Some(t) = self.0.from_local_datetime(&probe).earliest() {
                return t.timestamp_millis();
            }
            probe += chrono::Duration::minutes(15);
        }
        wall_ms - self.offset_ms(wall_ms)
    }

    /// The UTC instant of local midnight starting `date`.
    pub fn midnight_ms(&self, date: NaiveDate) -> i64 {
        let wall = date
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .unwrap_or(0);
        self.utc_of_wall(wall)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn berlin_has_two_offsets_around_the_october_change() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let range = TimeRange::new(ms("2026-10-24T00:00:00Z"), ms("2026-10-27T00:00:00Z")).unwrap();
        let segments = berlin.segments(range);
        // Summer time (+2 h) ends at 01:00 UTC on 25 October 2026.
        assert_eq!(
            segments,
            vec![
                (ms("2026-10-25T01:00:00Z"), 7_200_000),
                (range.to_ms, 3_600_000)
            ]
        );
        assert_eq!(Zone::default().segments(range), vec![(range.to_ms, 0)]);
    }

    #[test]
    fn local_midnights_and_walls_convert_both_ways() {
        let berlin = Zone::parse("Europe/Berlin").unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        assert_eq!(berlin.midnight_ms(date), ms("2026-11-23T23:00:00Z"));
        let t = ms("2026-11-24T12:00:00Z");
        assert_eq!(berlin.utc_of_wall(berlin.wall_ms(t)), t);
        // 02:30 on 29 March 2026 does not exist in Berlin: it maps to 03:00 local (01:00 UTC).
        let skipped = NaiveDate::from_ymd_opt(2026, 3, 29)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(
            berlin.utc_of_wall(skipped.and_utc().timestamp_millis()),
            ms("2026-03-29T01:00:00Z")
        );
        assert!(Zone::parse("Mars/Olympus").is_none());
    }
}
