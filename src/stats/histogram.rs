//! A mergeable log-linear histogram of durations: exact count, sum and
//! maximum, and quantiles to within 1/32 (about 3%) of the value. Recording
//! touches one bucket, the maximum and the sum: the count is the buckets' sum,
//! taken when asked.
//!
//! Written here rather than taken from `hdrhistogram` because borderq keeps many
//! small histograms (one per mode, stage and arrival cohort) and needs them
//! compact: this one grows only to the largest bucket used, 16 buckets at a
//! time (a few kilobytes at most for waits of days), counts in 32 bits with
//! the high words kept apart until a bucket needs them, records in a handful
//! of instructions, and merges exactly.

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// Sub-buckets per power of two: 2^5 = 32, so a bucket is at most 1/32 of its value wide.
pub const SUB_BITS: u32 = 5;
/// The coarse variant: 2^3 = 8 sub-buckets, a bucket at most 1/8 of its value wide.
pub const COARSE_BITS: u32 = 3;

/// A histogram of durations, bucketed in ticks of 2^10 µs (about a
/// millisecond), with `2^BITS` sub-buckets per power of two: 32 by default,
/// or 8 for the many per-cohort histograms ([`CoarseHistogram`]).
/// The precision is part of the type, so recording shifts by constants.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram<const BITS: u32 = SUB_BITS> {
    /// Each bucket's count, modulo 2^32.
    counts: Vec<u32>,
    /// Each bucket's count divided by 2^32: empty until a bucket first
    /// passes `u32::MAX`, then as long as `counts` (so equal values are
    /// equal fields). A bucket's count is `carries[i] << 32 | counts[i]`;
    /// the low words alone halve the memory of the many histograms that
    /// never need the high ones.
    carries: Vec<u32>,
    sum_us: u128,
    max_us: u64,
}

/// A histogram with quantiles within 1/8 of the value, a quarter of the memory.
pub type CoarseHistogram = Histogram<COARSE_BITS>;

impl<const BITS: u32> Default for Histogram<BITS> {
    fn default() -> Histogram<BITS> {
        const {
            assert!(
                BITS >= 1 && BITS <= 16,
                "2 to 65,536 sub-buckets per power of two"
            )
        };
        Histogram {
            counts: Vec::new(),
            carries: Vec::new(),
            sum_us: 0,
            max_us: 0,
        }
    }
}

/// Microseconds in one tick, the unit of bucketing: 2^10, so a value
/// converts by a shift where a millisecond takes a multiplication.
const TICK_SHIFT: u32 = 10;
const TICK_US: u64 = 1 << TICK_SHIFT;

/// Buckets added at a time when a histogram grows.
const GROWTH: usize = 16;

/// The bucket of a value in ticks: values below `2^(bits+1)` have a
/// bucket each; above, each power of two has `2^bits` buckets.
#[inline]
fn bucket_of(ticks: u64, bits: u32) -> usize {
    if ticks < 2 << bits {
        ticks as usize
    } else {
        let e = 63 - ticks.leading_zeros(); // >= bits + 1
        let shift = e - bits;
        ((shift as u64) << bits) as usize + (ticks >> shift) as usize
    }
}

/// The lowest value in ticks and the width of bucket `i`.
fn bucket_range(i: usize, bits: u32) -> (u64, u64) {
    let i = i as u64;
    if i < 2 << bits {
        (i, 1)
    } else {
        let shift = (i >> bits) - 1;
        let m = i - (shift << bits);
        (m << shift, 1 << shift)
    }
}

impl<const BITS: u32> Histogram<BITS> {
    /// An empty histogram.
    pub fn new() -> Histogram<BITS> {
        Histogram::default()
    }

    /// Records one duration.
    #[inline]
    pub fn record(&mut self, d: SimTime) {
        let us = d.0;
        let b = bucket_of(us >> TICK_SHIFT, BITS);
        match self.counts.get_mut(b) {
            Some(c) => {
                let (low, wrapped) = c.overflowing_add(1);
                *c = low;
                if wrapped {
                    self.carry(b, 1);
                }
            }
            None => self.grow(b),
        }
        self.max_us = self.max_us.max(us);
        self.sum_us += u128::from(us);
    }

    /// Grows the buckets to hold bucket `b`, and counts one value there.
    #[cold]
    fn grow(&mut self, b: usize) {
        // In steps of 16 buckets (64 bytes). A histogram grows a bucket at a
        // time, rarely: by one bucket per reallocation, the many per-cohort
        // histograms growing in turn left the heap full of holes (R2 over
        // 7,000 days: 544 KB of heap for 347 KB in use, 416 KB in steps),
        // and by doubling each would carry up to its size again in slack.
        self.counts
            .reserve_exact((b + 1).next_multiple_of(GROWTH) - self.counts.len());
        self.counts.resize(b + 1, 0);
        self.counts[b] = 1;
        if !self.carries.is_empty() {
            self.carries.resize(b + 1, 0);
        }
    }

    /// Makes room, once, for as many buckets as `like` uses, when this
    /// histogram has none yet.
    pub fn reserve_like(&mut self, like: &Histogram<BITS>) {
        if self.counts.capacity() == 0 {
            self.counts
                .reserve_exact(like.counts.len().next_multiple_of(GROWTH));
        }
    }

    /// Adds `high` × 2^32 to bucket `b`'s count.
    #[cold]
    fn carry(&mut self, b: usize, high: u64) {
        if self.carries.is_empty() {
            self.carries = vec![0; self.counts.len()];
        }
        let c = &mut self.carries[b];
        *c = u32::try_from(u64::from(*c) + high).expect("a bucket counts fewer than 2^64 values");
    }

    /// Each bucket's count, in bucket order.
    fn buckets(&self) -> impl Iterator<Item = u64> + '_ {
        let high = |i| self.carries.get(i).map_or(0, |&h| u64::from(h) << 32);
        self.counts
            .iter()
            .enumerate()
            .map(move |(i, &low)| high(i) | u64::from(low))
    }

    /// Adds every value of `other`, as [`Histogram::merge`] does, taking its
    /// buckets rather than copying them when this one holds none.
    pub fn absorb(&mut self, other: Histogram<BITS>) {
        if self.counts.is_empty() {
            // Nothing recorded here: no sum or maximum either.
            *self = other;
        } else {
            self.merge(&other);
        }
    }

    /// Adds every value of `other` (exact: the result is as if all values had been recorded here).
    pub fn merge(&mut self, other: &Histogram<BITS>) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
            if !self.carries.is_empty() {
                self.carries.resize(other.counts.len(), 0);
            }
        }
        for (i, &b) in other.counts.iter().enumerate() {
            let (low, wrapped) = self.counts[i].overflowing_add(b);
            self.counts[i] = low;
            let high = u64::from(wrapped) + other.carries.get(i).map_or(0, |&h| u64::from(h));
            if high > 0 {
                self.carry(i, high);
            }
        }
        self.max_us = self.max_us.max(other.max_us);
        self.sum_us += other.sum_us;
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.buckets().sum()
    }

    /// Exact sum of the values, in microseconds.
    pub fn sum_us(&self) -> u128 {
        self.sum_us
    }

    /// Exact mean in minutes (NaN when empty).
    pub fn mean_min(&self) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        self.sum_us as f64 / n as f64 / 60e6
    }

    /// Exact maximum in minutes (NaN when empty).
    pub fn max_min(&self) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.max_us as f64 / 60e6
        }
    }

    /// Nearest-rank quantile `q` in (0, 1], in minutes: the middle of the bucket
    /// holding the value of rank ceil(q n), at most the exact maximum.
    /// NaN when empty.
    pub fn quantile_min(&self, q: f64) -> f64 {
        let n = self.count();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((q * n as f64).ceil() as u64).clamp(1, n);
        let mut seen = 0;
        for (i, c) in self.buckets().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, width) = bucket_range(i, BITS);
                let tick = TICK_US as f64;
                let mid_us = (lo as f64 + (width as f64 - 1.0) / 2.0) * tick + tick / 2.0;
                return mid_us.min(self.max_us as f64) / 60e6;
            }
        }
        self.max_min()
    }

    /// `(upper edge in minutes, fraction of values at or below it)` for each
    /// non-empty bucket: the cumulative distribution, for charts.
    pub fn cdf(&self) -> Vec<(f64, f64)> {
        let n = self.count();
        let mut out = Vec::with_capacity(self.buckets().filter(|&c| c > 0).count());
        let mut seen = 0;
        for (i, c) in self.buckets().enumerate() {
            if c == 0 {
                continue;
            }
            seen += c;
            let (lo, width) = bucket_range(i, BITS);
            let edge_us = ((lo + width) << TICK_SHIFT) as f64;
            out.push((edge_us / 60e6, seen as f64 / n as f64));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_tight() {
        for bits in [SUB_BITS, COARSE_BITS] {
            let mut prev_end = 0;
            let last = bucket_of(u64::MAX, bits);
            for i in 0..=last {
                let (lo, w) = bucket_range(i, bits);
                assert_eq!(lo, prev_end, "bucket {i}");
                assert_eq!(bucket_of(lo, bits), i);
                assert_eq!(bucket_of(lo + (w - 1), bits), i);
                assert!(lo < 2 << bits || w << bits <= lo, "bucket {i} too wide");
                prev_end = lo.wrapping_add(w);
            }
            assert_eq!(prev_end, 0, "the buckets cover every u64 value");
        }
    }

    #[test]
    fn reserved_like_another_it_records_as_far_in_place() {
        let mut like = CoarseHistogram::new();
        for minutes in [0, 1, 30, 45] {
            like.record(SimTime::from_min(minutes as f64));
        }
        let mut h = CoarseHistogram::new();
        h.reserve_like(&like);
        let room = h.counts.as_ptr();
        for minutes in [45, 0, 10] {
            h.record(SimTime::from_min(minutes as f64));
        }
        assert_eq!(
            h.counts.as_ptr(),
            room,
            "no reallocation up to like's longest"
        );
        assert_eq!(h.count(), 3);
        // Once it has room of its own, a second call leaves it.
        let capacity = h.counts.capacity();
        let mut wider = CoarseHistogram::new();
        wider.record(SimTime::from_min(1e6));
        h.reserve_like(&wider);
        assert_eq!(h.counts.capacity(), capacity);
    }

    #[test]
    fn quantiles_against_exact_ranks() {
        // Values 1..=10000 seconds: the exact nearest-rank quantile of q is q*10000 s.
        const REL_TOL: f64 = 1.0 / 32.0;
        let mut h: Histogram = Histogram::new();
        for s in 1..=10_000u64 {
            h.record(SimTime(s * 1_000_000));
        }
        assert_eq!(h.count(), 10_000);
        assert!((h.mean_min() - 5000.5 / 60.0).abs() < 1e-12);
        for q in [0.5, 0.9, 0.95, 0.99] {
            let exact = q * 10_000.0 / 60.0;
            let got = h.quantile_min(q);
            assert!(
                (got / exact - 1.0).abs() <= REL_TOL,
                "q={q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.quantile_min(1.0), 10_000.0 / 60.0);
    }

    #[test]
    fn merge_equals_recording_everything() {
        let (mut a, mut b, mut all): (Histogram, Histogram, Histogram) = Default::default();
        for i in 0..5000u64 {
            let v = SimTime(i * i * 977);
            if i % 3 == 0 { &mut a } else { &mut b }.record(v);
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a, all);
    }

    #[test]
    fn buckets_count_past_32_bits_when_recording_and_merging() {
        // Recording 2^32 values takes seconds; the counts start just below
        // the wrap instead, as if those values had been recorded.
        const LOW: u32 = u32::MAX - 1;
        let minute = SimTime(60_000_000);
        let full = |n: u32| {
            let mut h: Histogram = Histogram::new();
            h.record(minute);
            let b = h.counts.len() - 1;
            h.counts[b] = n;
            h.sum_us = u128::from(n) * 60_000_000;
            h
        };

        let mut h = full(LOW);
        for _ in 0..3 {
            h.record(minute);
        }
        let past = u64::from(LOW) + 3;
        assert_eq!(h.count(), past, "recording carries into the high word");

        // A longer histogram merged in: both words grow to its length.
        let mut longer = full(LOW);
        longer.record(SimTime(600_000_000));
        h.merge(&longer);
        let twice = past + u64::from(LOW) + 1;
        assert_eq!(
            h.count(),
            twice,
            "merging adds the low words with their carry"
        );
        assert_eq!(
            h.carries.len(),
            h.counts.len(),
            "equal values, equal fields"
        );
        let mut few = full(1);
        few.record(SimTime(600_000_000));
        assert_eq!(
            h.quantile_min(0.5),
            few.quantile_min(0.5),
            "the minute's bucket"
        );
        assert_eq!(
            h.quantile_min(1.0),
            few.quantile_min(1.0),
            "the ten minutes' bucket"
        );
        assert_eq!(h.max_min(), 10.0);
        let cdf = h.cdf();
        assert_eq!(cdf.len(), 2);
        assert_eq!(cdf[0].1, (twice - 1) as f64 / twice as f64);

        // Merging a histogram that has high words of its own adds them.
        let mut again = Histogram::new();
        again.merge(&h);
        again.merge(&h);
        assert_eq!(again.count(), 2 * twice);
        let mut recorded_once = h.clone();
        recorded_once.merge(&h);
        assert_eq!(again, recorded_once);
    }
}
