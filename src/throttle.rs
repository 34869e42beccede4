//! Throttling of failed dashboard sign-ins, per account and per client address.
//!
//! A token bucket (`ratelimit.rs`) limits request rates; password guessing needs something
//! else: a few failures are free (people mistype), then each further failure doubles the wait
//! before the next attempt is even checked. Counts live in memory on each node, so with N
//! nodes an attacker gets at most N times the free attempts before the delays start.

use std::collections::HashMap;

use parking_lot::Mutex;

/// How throttling treats one kind of key.
#[derive(Debug, Clone, Copy)]
pub struct ThrottlePolicy {
    /// Failures allowed before any delay.
    pub free_failures: u32,
    /// The first delay; each further failure doubles it.
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
    /// Failures are forgotten this long after the last one.
    pub forget_after_ms: i64,
}

impl ThrottlePolicy {
    /// For one account: 5 free failures, then 30 s, 60 s, ... up to 15 minutes.
    pub const ACCOUNT: ThrottlePolicy = ThrottlePolicy {
        free_failures: 5,
        first_delay_ms: 30_000,
        max_delay_ms: 15 * 60_000,
        forget_after_ms: 60 * 60_000,
    };
    /// For one client address, which may be an office behind one NAT: 20 free failures.
    pub const ADDRESS: ThrottlePolicy = ThrottlePolicy {
        free_failures: 20,
        ..ThrottlePolicy::ACCOUNT
    };

    fn delay_ms(&self, failures: u32) -> i64 {
        if failures < self.free_failures {
            return 0;
        }
        let doublings = (failures - self.free_failures).min(20);
        (self.first_delay_ms << doublings).min(self.max_delay_ms)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last_ms: i64,
}

/// Failed attempts per key (e.g. `account:ann@example.com`, `ip:203.0.113.0`).
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, Failures>>,
    max_keys: usize,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(100_000)
    }
}

impl LoginThrottle {
    pub fn new(max_keys: usize) -> LoginThrottle {
        LoginThrottle {
            failures: Mutex::new(HashMap::new()),
            max_keys,
        }
    }

    /// How long (ms) `key` must wait before its next attempt is checked; 0 when it may try.
    pub fn wait_ms(&self, key: &str, policy: ThrottlePolicy, now_ms: i64) -> i64 {
        let failures = self.failures.lock();
        match failures.get(key) {
            Some(f) if now_ms - f.last_ms < policy.forget_after_ms => {
                (f.last_ms + policy.delay_ms(f.count) - now_ms).max(0)
            }
            _ => 0,
        }
    }

    pub fn record_failure(&self, key: &str, policy: ThrottlePolicy, now_ms: i64) {
        let mut failures = self.failures.lock();
        if failures.len() >= self.max_keys && !failures.contains_key(key) {
            // Bounded memory: forget stale keys first, then anything (an attacker spraying
            // addresses must not grow the map without limit).
            failures.retain(|_, f| now_ms - f.last_ms < policy.forget_after_ms);
            if failures.len() >= self.max_keys {
                failures.clear();
            }
        }
        let entry = failures.entry(key.to_owned()).or_insert(Failures {
            count: 0,
            last_ms: now_ms,
        });
        if now_ms - entry.last_ms >= policy.forget_after_ms {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last_ms = now_ms;
    }

    pub fn clear(&self, key: &str) {
        self.failures.lock().remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: ThrottlePolicy = ThrottlePolicy::ACCOUNT;

    #[test]
    fn five_failures_are_free_then_the_wait_doubles() {
        let t = LoginThrottle::default();
        for i in 0..4 {
            t.record_failure("a", P, 1000 + i);
            assert_eq!(t.wait_ms("a", P, 1000 + i), 0);
        }
        t.record_failure("a", P, 2000);
        assert_eq!(t.wait_ms("a", P, 2000), 30_000);
        assert_eq!(t.wait_ms("a", P, 32_000), 0);
        t.record_failure("a", P, 32_000);
        assert_eq!(t.wait_ms("a", P, 32_000), 60_000);
        assert_eq!(t.wait_ms("b", P, 32_000), 0, "other keys are not affected");
    }

    #[test]
    fn the_wait_is_capped_and_failures_are_forgotten() {
        let t = LoginThrottle::default();
        for i in 0..40 {
            t.record_failure("a", P, i);
        }
        assert_eq!(t.wait_ms("a", P, 39), P.max_delay_ms);
        assert_eq!(t.wait_ms("a", P, 39 + P.forget_after_ms), 0);
        t.record_failure("a", P, 39 + P.forget_after_ms);
        assert_eq!(t.wait_ms("a", P, 39 + P.forget_after_ms), 0);
        t.clear("a");
        assert_eq!(t.wait_ms("a", P, 40), 0);
    }

    #[test]
    fn memory_stays_bounded() {
        let t = LoginThrottle::new(10);
        for i in 0..1000 {
            t.record_failure(&format!("ip:{i}"), P, 5);
        }
        assert!(t.failures.lock().len() <= 10);
    }
}
