//! Streaming statistics in bounded memory: tallies, time-weighted averages, quantiles.
//!
//! - [`Welford`]: count, mean and variance of observations (Welford's update, stable).
//! - [`TimeWeighted`]: the time average of an integer-valued state (busy units, queue
//!   length, patients in system). The area under the curve is kept exactly as a `u128` of
//!   value x ticks, so sample-path identities such as Little's law hold to the last bit.
//! - [`QuantileSketch`]: a DDSketch-style log-bucket histogram (Masson, Rim and Lee, VLDB
//!   2019). Any reported quantile is within a relative error `alpha` (default 0.5 %) of an
//!   observed value of the same rank; memory is capped at `MAX_BINS` buckets (32 KiB)
//!   whatever the number of observations, and sketches merge exactly (pooling replications).
//!   Buckets follow DDSketch's linearly interpolated mapping: the bucket index comes from
//!   the float's exponent bits plus its mantissa, with no logarithm, sized so that even the
//!   widest bucket honours `alpha`.
//! - [`Tally`]: all of the above for one observed quantity, plus min and max.
//!
//! Every statistic can be `reset` (the warm-up) and none grows with the horizon. This module
//! must not know about resources, models or output formats.

use super::time::Time;

/// Count, mean and variance of a stream of observations, by Welford's update (stable
/// whatever the magnitude of the values relative to their spread).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Welford {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Welford {
    /// No observations.
    pub const fn new() -> Welford {
        Welford {
            n: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }
    /// Adds one observation.
    #[inline]
    pub fn record(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        // (Through i64: one instruction where u64 takes several; n is far below 2^63.)
        self.mean += d / self.n as i64 as f64;
        self.m2 += d * (x - self.mean);
    }
    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.n
    }
    /// Mean (NaN with no observation).
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }
    /// Sample variance (n - 1 denominator; NaN with fewer than two observations).
    pub fn variance(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.m2 / (self.n - 1) as f64
        }
    }
    /// Sample standard deviation.
    pub fn sd(&self) -> f64 {
        self.variance().sqrt()
    }
    /// Standard error of the mean.
    pub fn std_error(&self) -> f64 {
        (self.variance() / self.n as f64).sqrt()
    }
    /// Combines two streams (Chan, Golub and LeVeque's pairwise update).
    pub fn merge(&mut self, o: &Welford) {
        if o.n == 0 {
            return;
        }
        let n = self.n + o.n;
        let d = o.mean - self.mean;
        self.mean += d * o.n as f64 / n as f64;
        self.m2 += o.m2 + d * d * (self.n as f64 * o.n as f64) / n as f64;
        self.n = n;
    }
    /// Forgets every observation.
    pub fn reset(&mut self) {
        *self = Welford::new();
    }
}

/// `x as f64` (the same value: both round to nearest), through `u64` when `x` fits. The
/// 128-bit conversion is a library call of about 36 instructions, and a replication's
/// results convert hundreds of exact integrals and sums.
#[inline]
pub fn u128_to_f64(x: u128) -> f64 {
    match u64::try_from(x) {
        Ok(v) => v as f64,
        Err(_) => x as f64,
    }
}

/// The time average of an integer-valued, piecewise-constant state, over a window that
/// a reset restarts; the integral since creation is kept too (for time series).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeWeighted {
    value: u64,
    since: Time,
    start: Time,
    /// Integral from creation to `since`, and its value at the last reset.
    total: u128,
    at_reset: u128,
}

impl TimeWeighted {
    /// A state that is `value` from time `now` on.
    pub const fn new(now: Time, value: u64) -> TimeWeighted {
        TimeWeighted {
            value,
            since: now,
            start: now,
            total: 0,
            at_reset: 0,
        }
    }
    /// The current value.
    #[inline]
    pub fn value(&self) -> u64 {
        self.value
    }
    /// The state becomes `value` at time `now` (not earlier than the last change).
    #[inline]
    pub fn set(&mut self, now: Time, value: u64) {
        debug_assert!(now >= self.since, "time went backwards");
        self.total += u128::from(self.value) * u128::from(now.ticks() - self.since.ticks());
        self.value = value;
        self.since = now;
    }
    /// The time of the last change.
    pub fn since(&self) -> Time {
        self.since
    }
    /// The state went through values whose integral from the last change to `now` is
    /// `area` (value x ticks), and is `value` from `now` on: what a series of `set`s at
    /// each of those changes would leave, in one step.
    pub fn jump(&mut self, now: Time, area: u128, value: u64) {
        debug_assert!(now >= self.since, "time went backwards");
        self.total += area;
        self.value = value;
        self.since = now;
    }
    /// The state goes up by one at `now`.
    #[inline]
    pub fn increment(&mut self, now: Time) {
        self.set(now, self.value + 1);
    }
    /// The state goes down by one at `now`.
    #[inline]
    pub fn decrement(&mut self, now: Time) {
        self.set(now, self.value - 1);
    }
    /// Integral of the state from creation to `now`, in value x ticks (exact).
    pub fn lifetime_area(&self, now: Time) -> u128 {
        self.total
            + u128::from(self.value) * u128::from(now.ticks().saturating_sub(self.since.ticks()))
    }
    /// Integral of the state from the last reset to `now`, in value x ticks (exact).
    pub fn area(&self, now: Time) -> u128 {
        self.lifetime_area(now) - self.at_reset
    }
    /// Time average from the last reset to `now` (NaN over an empty window).
    pub fn mean(&self, now: Time) -> f64 {
        let span = now.ticks().saturating_sub(self.start.ticks());
        if span == 0 {
            f64::NAN
        } else {
            u128_to_f64(self.area(now)) / span as f64
        }
    }
    /// Starts a new averaging window at `now`, keeping the current value and the
    /// integral since creation.
    pub fn reset(&mut self, now: Time) {
        self.at_reset = self.lifetime_area(now);
        self.start = now;
    }
}

/// Most buckets a sketch keeps (the memory cap: 32 KiB of counts). At the default
/// accuracy of 0.5 % this spans 2 * 0.005 * ln 2 * 4096 = 28 e-folds, 12 decades (one
/// second to 30,000 years when counting in days) before the lowest buckets are collapsed.
pub const MAX_BINS: usize = 4096;

/// Quantiles of a stream with a guaranteed relative error, in bounded memory.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantileSketch {
    alpha: f64,
    /// Buckets per unit of the interpolated log2 (see `mapped`).
    multiplier: f64,
    /// Observations at or below `ZERO_THRESHOLD` (zero waits are common and exact).
    zeros: u64,
    /// counts[i] holds the values whose bucket index is offset + i.
    counts: Vec<u64>,
    offset: i32,
    total: u64,
}

/// Values at or below this are counted as exactly zero.
const ZERO_THRESHOLD: f64 = 1e-12;

impl Default for QuantileSketch {
    fn default() -> Self {
        QuantileSketch::new(0.005)
    }
}

/// log2(x) interpolated linearly between powers of two: exponent + (mantissa - 1), for a
/// positive normal `x`. Monotone and exact at powers of two; its slope with respect to
/// ln(x) is the mantissa, between 1 and 2, which `QuantileSketch::new` allows for.
#[inline]
fn mapped(x: f64) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mantissa = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    exponent as f64 + (mantissa - 1.0)
}

/// Inverse of `mapped`.
fn unmapped(y: f64) -> f64 {
    let e = y.floor();
    (1.0 + (y - e)) * e.exp2()
}

impl QuantileSketch {
    /// A sketch with relative accuracy `alpha` (for example 0.005 for 0.5 %).
    pub fn new(alpha: f64) -> QuantileSketch {
        assert!(alpha > 0.0 && alpha < 1.0, "alpha must be in (0, 1)");
        // A bucket is 1/multiplier wide in `mapped` units. d(mapped)/d(ln x) is the mantissa,
        // at least 1, so a bucket spans at most 1/multiplier in ln(x) (just above a power of
        // two); that must not exceed ln(gamma), gamma = (1+a)/(1-a). Buckets elsewhere are
        // narrower: about 1/(ln 2) = 1.44 times the buckets of an exact log mapping.
        let ln_gamma = ((1.0 + alpha) / (1.0 - alpha)).ln();
        QuantileSketch {
            alpha,
            multiplier: 1.0 / ln_gamma,
            zeros: 0,
            counts: Vec::new(),
            offset: 0,
            total: 0,
        }
    }
    /// The guaranteed relative accuracy.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.total
    }
    /// Adds one non-negative observation (negative values count as zero).
    #[inline]
    pub fn record(&mut self, x: f64) {
        self.total += 1;
        if x.is_nan() || x <= ZERO_THRESHOLD {
            self.zeros += 1;
            return;
        }
        let idx = floor_to_i32(mapped(x) * self.multiplier);
        let i = idx.wrapping_sub(self.offset) as u32 as usize;
        if let Some(c) = self.counts.get_mut(i) {
            *c += 1;
        } else {
            self.add_to_bin(idx, 1);
        }
    }

    fn add_to_bin(&mut self, idx: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = idx;
            self.counts.push(0);
        }
        if idx < self.offset {
            let grow = (self.offset - idx) as usize;
            if self.counts.len() + grow > MAX_BINS {
                // Fold values below the kept range into the lowest kept bucket: only the
                // lowest quantiles lose accuracy, as in DDSketch's collapsing store.
                self.counts[0] += n;
                return;
            }
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = idx;
        } else if idx >= self.offset + self.counts.len() as i32 {
            let new_len = (idx - self.offset + 1) as usize;
            if new_len > MAX_BINS {
                let keep_from = idx - MAX_BINS as i32 + 1;
                self.collapse_below(keep_from);
            }
            let new_len = (idx - self.offset + 1) as usize;
            self.counts.resize(new_len, 0);
        }
        self.counts[(idx - self.offset) as usize] += n;
    }

    /// Moves the counts of buckets below `new_offset` into bucket `new_offset`.
    fn collapse_below(&mut self, new_offset: i32) {
        let new_offset = new_offset.max(self.offset);
        let cut = ((new_offset - self.offset) as usize).min(self.counts.len());
        if cut == 0 {
            return;
        }
        let folded: u64 = self.counts.drain(..cut).sum();
        if self.counts.is_empty() {
            self.counts.push(0);
        }
        self.counts[0] += folded;
        self.offset = new_offset;
    }

    /// The value at quantile `q` in [0, 1] (lower nearest rank); NaN with no observation.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.total == 0 {
            return f64::NAN;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.total - 1) as f64).floor() as u64;
        if rank < self.zeros {
            return 0.0;
        }
        // The bucket holding the rank: counted from the nearer end (p90 and p95, which
        // results read, sit in the top tenth of a sketch's buckets).
        let i = if rank >= self.total / 2 {
            // Bucket i holds ranks [total - (its count and those above), total - those above).
            let mut above = 0;
            self.counts
                .iter()
                .rposition(|&c| {
                    above += c;
                    self.total - above <= rank
                })
                .expect("ranks are below the total count")
        } else {
            let mut seen = self.zeros;
            self.counts
                .iter()
                .position(|&c| {
                    seen += c;
                    seen > rank
                })
                .expect("ranks are below the total count")
        };
        self.bucket_value(i)
    }

    /// The value that stands for bucket `counts[i]`: the bucket is [lo, hi), and its
    /// harmonic midpoint is within (hi - lo) / (hi + lo) <= alpha of every value in it.
    fn bucket_value(&self, i: usize) -> f64 {
        let idx = f64::from(self.offset + i as i32);
        let (lo, hi) = (
            unmapped(idx / self.multiplier),
            unmapped((idx + 1.0) / self.multiplier),
        );
        2.0 * lo * hi / (lo + hi)
    }

    /// Adds every observation of `other` (same `alpha`).
    pub fn merge(&mut self, other: &QuantileSketch) {
        assert!(
            self.alpha == other.alpha,
            "only sketches of equal accuracy merge"
        );
        self.zeros += other.zeros;
        self.total += other.zeros;
        for (i, &c) in other.counts.iter().enumerate() {
            if c > 0 {
                self.total += c;
                self.add_to_bin(other.offset + i as i32, c);
            }
        }
    }

    /// Forgets every observation, keeping the memory.
    pub fn reset(&mut self) {
        self.zeros = 0;
        self.total = 0;
        self.counts.clear();
        self.offset = 0;
    }

    /// Buckets currently held (memory use is this times 8 bytes).
    pub fn bins(&self) -> usize {
        self.counts.len()
    }
}

/// `x.floor() as i32` without the libm call (for |x| < 2^31).
#[inline]
fn floor_to_i32(x: f64) -> i32 {
    let t = x as i32; // truncates toward zero
    if (t as f64) > x { t - 1 } else { t }
}

/// Everything about one observed quantity: count, mean, variance, min, max, quantiles.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    moments: Welford,
    min: f64,
    max: f64,
    sketch: QuantileSketch,
}

impl Tally {
    /// An empty tally with the default quantile accuracy (0.5 %).
    pub fn new() -> Tally {
        Tally {
            moments: Welford::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sketch: QuantileSketch::default(),
        }
    }
    /// Adds one observation.
    #[inline(always)]
    pub fn record(&mut self, x: f64) {
        self.moments.record(x);
        // One `minsd`/`maxsd` each, where `f64::min`'s NaN handling takes several
        // instructions: a NaN `x` leaves both as they are, as `f64::min` would.
        self.min = if x < self.min { x } else { self.min };
        self.max = if x > self.max { x } else { self.max };
        self.sketch.record(x);
    }
    /// Count, mean and variance.
    pub fn moments(&self) -> &Welford {
        &self.moments
    }
    /// Number of observations.
    pub fn count(&self) -> u64 {
        self.moments.count()
    }
    /// Mean (NaN with no observation).
    pub fn mean(&self) -> f64 {
        self.moments.mean()
    }
    /// Smallest observation (+inf with none).
    pub fn min(&self) -> f64 {
        self.min
    }
    /// Largest observation (-inf with none).
    pub fn max(&self) -> f64 {
        self.max
    }
    /// Quantile `q` (see [`QuantileSketch::quantile`]).
    pub fn quantile(&self, q: f64) -> f64 {
        self.sketch.quantile(q)
    }
    /// The quantile sketch, e.g. to pool replications.
    pub fn sketch(&self) -> &QuantileSketch {
        &self.sketch
    }
    /// Adds every observation of `other`.
    pub fn merge(&mut self, other: &Tally) {
        self.moments.merge(&other.moments);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sketch.merge(&other.sketch);
    }
    /// Forgets every observation.
    pub fn reset(&mut self) {
        self.moments.reset();
        self.min = f64::INFINITY;
        self.max = f64::NEG_INFINITY;
        self.sketch.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass_and_merges() {
        let xs: Vec<f64> = (0..1000)
            .map(|i| ((i * 7919) % 1013) as f64 / 10.0)
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        let (mut a, mut b, mut all) = (Welford::new(), Welford::new(), Welford::new());
        for (i, &x) in xs.iter().enumerate() {
            all.record(x);
            if i < 300 { a.record(x) } else { b.record(x) }
        }
        a.merge(&b);
        for w in [all, a] {
            assert!((w.mean() - mean).abs() < 1e-9 && (w.variance() - var).abs() < 1e-7);
        }
    }

    #[test]
    fn mapping_and_floor_are_right() {
        for i in 0..100_000 {
            let x = 1e-11 * 1.000_7f64.powi(i);
            assert!((unmapped(mapped(x)) - x).abs() <= 1e-13 * x, "{x}");
            assert!(mapped(x * 1.001) > mapped(x), "monotone at {x}");
        }
        for x in [-2.5, -2.0, -0.5, 0.0, 0.5, 1.0, 1.000_001, 7.999] {
            assert_eq!(floor_to_i32(x), x.floor() as i32, "{x}");
        }
    }

    #[test]
    fn time_weighted_area_is_exact() {
        let t = Time::from_ticks;
        let mut tw = TimeWeighted::new(t(0), 0);
        tw.set(t(10), 3);
        tw.set(t(15), 1);
        assert_eq!(tw.area(t(20)), 3 * 5 + 5);
        assert_eq!(tw.mean(t(20)), 1.0);
        tw.reset(t(20));
        assert_eq!(tw.area(t(30)), 10);
        assert_eq!(tw.mean(t(30)), 1.0);
    }

    #[test]
    fn sketch_quantiles_are_within_alpha_of_exact_order_statistics() {
        let mut s = QuantileSketch::new(0.01);
        let mut xs: Vec<f64> = (1..=100_000)
            .map(|i| (i as f64 * 0.618_033_988_7).fract() * 50.0 + (i % 7) as f64)
            .collect();
        xs.extend(std::iter::repeat_n(0.0, 5000));
        for &x in &xs {
            s.record(x);
        }
        xs.sort_by(f64::total_cmp);
        for q in [0.0, 0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 1.0] {
            let exact = xs[(q * (xs.len() - 1) as f64).floor() as usize];
            let est = s.quantile(q);
            assert!(
                (est - exact).abs() <= 0.01 * exact + 1e-12,
                "q{q}: {est} vs {exact}"
            );
        }
    }

    #[test]
    fn sketch_honours_alpha_at_every_percentile_across_decades() {
        use rand::Rng as _;
        let mut rng = crate::engine::rng::Streams::new(3, 0).stream(0);
        // Ranges (in e-folds) that fit in MAX_BINS buckets: at most 2 alpha ln(2) MAX_BINS.
        for (alpha, efolds) in [(0.001, 5.5), (0.005, 28.0), (0.02, 50.0)] {
            let mut s = QuantileSketch::new(alpha);
            let mut xs: Vec<f64> = (0..50_000)
                .map(|_| {
                    (((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * efolds).exp()
                })
                .collect();
            for &x in &xs {
                s.record(x);
            }
            xs.sort_by(f64::total_cmp);
            for p in 0..=100 {
                let q = f64::from(p) / 100.0;
                let exact = xs[(q * (xs.len() - 1) as f64).floor() as usize];
                let est = s.quantile(q);
                assert!(
                    (est - exact).abs() <= alpha * exact * (1.0 + 1e-9),
                    "alpha {alpha} q{q}: {est} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn wide_integers_convert_to_the_same_real_either_way() {
        let mut cases: Vec<u128> = vec![0, 1, u128::MAX, u128::from(u64::MAX) * 3];
        for bits in [52, 53, 54, 63, 64, 65, 100] {
            let p = 1u128 << bits;
            cases.extend([p - 1, p, p + 1, p + (p >> 53), p + (p >> 52)]);
        }
        // A spread of values below and above 2^64 (an LCG's states, shifted).
        let mut x: u128 = 12345;
        for shift in 0..128 {
            x = x
                .wrapping_mul(0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645)
                .wrapping_add(1);
            cases.push(x >> shift);
        }
        for c in cases {
            assert_eq!(u128_to_f64(c).to_bits(), (c as f64).to_bits(), "{c}");
        }
    }

    #[test]
    fn sketch_quantiles_counted_from_either_end_agree() {
        // The bucket of a rank found from the top (upper half) is the one a count from
        // the bottom finds, zeros and empty buckets included.
        let mut s = QuantileSketch::default();
        for i in 0..5_000u64 {
            let x = if i % 7 == 0 {
                0.0
            } else {
                ((i * 7919) % 1000) as f64 * 0.37
            };
            s.record(x);
        }
        let bottom_up = |q: f64| {
            let rank = (q * (s.total - 1) as f64).floor() as u64;
            if rank < s.zeros {
                return 0.0;
            }
            let mut seen = s.zeros;
            let i = s.counts.iter().position(|&c| {
                seen += c;
                seen > rank
            });
            s.bucket_value(i.unwrap())
        };
        for k in 0..=1000 {
            let q = f64::from(k) / 1000.0;
            assert_eq!(s.quantile(q).to_bits(), bottom_up(q).to_bits(), "q {q}");
        }
    }

    #[test]
    fn sketch_memory_is_bounded_and_merging_equals_pooling() {
        let mut s = QuantileSketch::new(0.005);
        for i in 0..200_000 {
            s.record(1e-9 * 1.001f64.powi(i % 40_000)); // spans 17 decades: collapses
        }
        assert!(s.bins() <= MAX_BINS);
        assert_eq!(s.count(), 200_000);
        // Collapsing folds the lowest values upward: only low quantiles lose accuracy.
        let top = 1e-9 * 1.001f64.powi(39_999);
        assert!((s.quantile(1.0) - top).abs() <= 0.005 * top);
        let p90 = 1e-9 * 1.001f64.powi(35_999);
        assert!((s.quantile(0.9) - p90).abs() <= 0.005 * p90);
        let (mut a, mut b, mut pooled) = (
            QuantileSketch::default(),
            QuantileSketch::default(),
            QuantileSketch::default(),
        );
        for i in 0..10_000 {
            let x = (i as f64).sqrt();
            pooled.record(x);
            if i % 3 == 0 { a.record(x) } else { b.record(x) }
        }
        a.merge(&b);
        assert_eq!(a, pooled);
    }
}
