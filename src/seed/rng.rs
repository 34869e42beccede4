//! The generator's only source of randomness, and the integer mixing behind it.
//!
//! Seeding must give the same bytes for the same options on every machine and every run, so
//! nothing here reads a clock or a global RNG: one SplitMix64 stream per generator (and one
//! short-lived stream per visitor, derived from its number), plus the bijection that turns a
//! running count into event ids. Changing any draw here changes every seeded data set.

/// SplitMix64: tiny, fast, and good enough for synthetic data.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(state: u64) -> Rng {
        Rng(state)
    }

    #[inline]
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n > 0`).
    #[inline]
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    #[inline]
    pub(super) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `lo..=hi`, for pixel coordinates.
    #[inline]
    pub(super) fn int(&mut self, lo: i32, hi: i32) -> i32 {
        self.range(i64::from(lo), i64::from(hi)) as i32
    }

    /// Uniform in `[0, 1)`.
    #[inline]
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    #[inline]
    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    #[inline]
    pub(super) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Picks from `(value, weight)` pairs.
    pub(super) fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        table[self.weighted_index(table, |&(_, w)| w)].0
    }

    /// The index of a row of `table`, each row as likely as its `weight` (one draw; the
    /// table must not be empty).
    pub(super) fn weighted_index<T>(&mut self, table: &[T], weight: impl Fn(&T) -> u32) -> usize {
        let total: u32 = table.iter().map(&weight).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for (i, row) in table.iter().enumerate() {
            let w = weight(row);
            if r < w {
                return i;
            }
            r -= w;
        }
        table.len() - 1
    }

    /// Skewed towards 0: a few popular products and posts, a long tail.
    #[inline]
    pub(super) fn popular(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * n as f64) as usize).min(n - 1)
    }
}

/// SplitMix64's finaliser: spreads every input bit over the whole word.
#[inline]
pub(super) fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A bijection of `key + n` on 63 bits: event ids are unique within a run, fit a signed
/// BIGINT like stored ids do, and differ between seeds.
#[inline]
pub(super) fn event_id(key: u64, n: u64) -> u64 {
    const M: u64 = (1 << 63) - 1;
    let mut x = key.wrapping_add(n) & M;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9) & M;
    x ^= x >> 32;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB) & M;
    x ^ (x >> 29)
}
