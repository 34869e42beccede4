//! Per-key request rate limits (per client IP, per site) for the ingestion endpoints.
//!
//! A token bucket per key (governor's GCRA): `per_second` sustained, twice that as burst. Each
//! key has its own bucket, so one flooding client or site does not slow the others down.

use std::hash::Hash;
use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn per_second(per_second: u32) -> KeyedLimit<K> {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(per_second.max(1).saturating_mul(2)).unwrap_or(rate);
        KeyedLimit {
            limiter: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// `Ok` when `key` may make a request now; otherwise the seconds to wait (at least 1).
    pub fn check(&self, key: &K) -> Result<(), u64> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })?;
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flooding_key_is_limited_and_others_are_not() {
        let limit = KeyedLimit::per_second(5);
        let mut refused = 0;
        for _ in 0..50 {
            if limit.check(&"flood").is_err() {
                refused += 1;
            }
        }
        assert!(refused >= 30, "refused {refused}");
        assert!(limit.check(&"quiet").is_ok());
        assert!(matches!(limit.check(&"flood"), Err(s) if s >= 1));
    }
}
