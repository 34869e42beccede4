//! When the seeded traffic happens: busier in the day than at night, on weekdays than at
//! weekends, and gently growing over the period.
//!
//! Sessions are generated in order, each at the time by which its share of the events would
//! have arrived, so chunks come out roughly chronological without sorting all of them.

pub(super) const HOUR_MS: i64 = 3_600_000;
pub(super) const DAY_MS: i64 = 24 * HOUR_MS;

/// Relative traffic per UTC hour of the day.
const HOURLY: [f64; 24] = [
    0.25, 0.18, 0.14, 0.12, 0.14, 0.22, 0.40, 0.65, 0.90, 1.05, 1.15, 1.20, 1.25, 1.20, 1.20, 1.20,
    1.15, 1.10, 1.10, 1.15, 1.10, 0.90, 0.65, 0.40,
];

/// The period's traffic, hour by hour.
pub(super) struct Timeline {
    pub(super) start_ms: i64,
    /// Latest event time: a little before `now` so that `received_ms` is not in the future.
    pub(super) last_ms: i64,
    /// Cumulative traffic weight at the end of each hour since `start_ms`.
    cum: Vec<f64>,
    /// The weight of the whole period (the last of `cum`).
    total: f64,
    /// Where the last search in `cum` ended.
    bin: usize,
}

impl Timeline {
    /// The `days` days (1 to 3650) before `now_ms`.
    pub(super) fn new(days: u32, now_ms: i64) -> Timeline {
        let days = i64::from(days.clamp(1, 3650));
        let start_ms = now_ms - days * DAY_MS;
        let hours = (days * 24) as usize;
        let mut cum = Vec::with_capacity(hours);
        let mut total = 0.0;
        for h in 0..hours {
            let mid = start_ms + h as i64 * HOUR_MS + HOUR_MS / 2;
            let day = mid.div_euclid(DAY_MS);
            let hour = (mid.rem_euclid(DAY_MS) / HOUR_MS) as usize;
            // 1970-01-01 was a Thursday; 0 = Monday.
            let weekday = (day + 3).rem_euclid(7);
            let week = if weekday >= 5 { 0.8 } else { 1.05 };
            // A gentle upward trend over the period.
            let trend = 0.85 + 0.3 * h as f64 / hours as f64;
            total += HOURLY[hour] * week * trend;
            cum.push(total);
        }
        Timeline {
            start_ms,
            last_ms: now_ms - 1_000,
            cum,
            total,
            bin: 0,
        }
    }

    /// The time at which a fraction `p` of the traffic has happened (inverse of the weighted
    /// time distribution). `p` never decreases between calls, so the bin search resumes.
    pub(super) fn time_at(&mut self, p: f64) -> i64 {
        let target = p.clamp(0.0, 1.0) * self.total;
        while self.bin + 1 < self.cum.len() && self.cum[self.bin] < target {
            self.bin += 1;
        }
        let lo = if self.bin == 0 {
            0.0
        } else {
            self.cum[self.bin - 1]
        };
        let frac = ((target - lo) / (self.cum[self.bin] - lo)).clamp(0.0, 1.0);
        self.start_ms + self.bin as i64 * HOUR_MS + (frac * HOUR_MS as f64) as i64
    }
}
