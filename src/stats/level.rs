//! Time-weighted levels with their peak, updated in O(1) at every change:
//! [`Occupancy`] for whole units (queue lengths, busy and open booths), exact
//! in integers, and [`Level`] for any amount (metres and km of road).
//! Statistics start at time zero, or afresh when the warm-up ends
//! ([`Level::restart`]), so an update has no warm-up test in it.

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// Microseconds between two times as a float: through `i64`, which converts
/// in one instruction where `u64` takes several (times stay below 2^63).
#[inline]
fn span(from: u64, to: u64) -> f64 {
    (to - from) as i64 as f64
}

/// A level that changes over time by any amount (metres or km of road): its
/// current value, integral and peak. Whole-unit levels are [`Occupancy`].
#[derive(Clone, Debug, Default)]
pub struct Level {
    value: f64,
    area: f64,
    last: u64,
    peak: f64,
    peak_at: u64,
    from: u64,
}

/// What a [`Level`] amounts to over a replication.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LevelSummary {
    /// Time-weighted mean after the warm-up.
    pub mean: f64,
    /// Highest value after the warm-up.
    pub peak: f64,
    /// When the peak was first reached, in hours from the start.
    pub peak_at_h: f64,
}

impl LevelSummary {
    /// The summary of a level whose statistics ran from `from` (µs) to `end`
    /// with integral `area_min` (value × minutes), peaking at `peak` at `peak_at` (µs).
    pub fn over(area_min: f64, from: u64, end: SimTime, peak: f64, peak_at: u64) -> LevelSummary {
        let span = end.0.saturating_sub(from) as f64 / 60e6;
        LevelSummary {
            mean: if span > 0.0 { area_min / span } else { 0.0 },
            peak,
            peak_at_h: peak_at as f64 / 3.6e9,
        }
    }
}

impl Level {
    /// A level at zero, its statistics from time zero.
    pub fn new() -> Level {
        Level::default()
    }

    /// The current value.
    #[inline]
    pub fn value(&self) -> f64 {
        self.value
    }

    /// Sets the value at time `now` (not before the last change).
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) {
        let now = now.0;
        self.area += self.value * span(self.last, now);
        self.last = now;
        self.value = value;
        if value > self.peak {
            self.peak = value;
            self.peak_at = now;
        }
    }

    /// Adds `delta` to the value at `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: f64) {
        self.set(now, self.value + delta);
    }

    /// Forgets the statistics so far: they start again at `now` (the end of
    /// the warm-up), where the level held counts as its first peak.
    pub fn restart(&mut self, now: SimTime) {
        self.area = 0.0;
        self.last = now.0;
        self.from = now.0;
        self.peak = self.value;
        self.peak_at = now.0;
    }

    /// The integral of the level from the start of its statistics to `now`, in value × minutes.
    pub fn area_min(&self, now: SimTime) -> f64 {
        let tail = now.0.saturating_sub(self.last) as f64 * self.value;
        (self.area + tail) / 60e6
    }

    /// Mean, peak and time of peak from the start of the statistics to `end`.
    pub fn summary(&self, end: SimTime) -> LevelSummary {
        LevelSummary::over(self.area_min(end), self.from, end, self.peak, self.peak_at)
    }
}

/// A level of whole units (units waiting, booths busy or open), with its
/// integral kept exactly and without floating point: a change by `d` at time
/// `t` adds `-d·t` to a running offset, so the integral up to `now` is
/// `offset + value·now` (each unit present adds `now` minus when it came).
/// An update is an integer add and a subtract, where [`Level`] converts,
/// multiplies and rounds; and the mean it reports is exact to the microsecond.
#[derive(Clone, Debug, Default)]
pub struct Occupancy {
    value: i64,
    /// The integral to `now` is `offset + value·now`, in unit·µs (exact:
    /// `i128` holds 10^24 unit-years).
    offset: i128,
    from: u64,
    peak: i64,
    peak_at: u64,
}

impl Occupancy {
    /// `value` from time zero.
    pub fn new(value: u32) -> Occupancy {
        Occupancy {
            value: i64::from(value),
            peak: i64::from(value),
            ..Occupancy::default()
        }
    }

    /// The current value.
    #[inline]
    pub fn value(&self) -> i64 {
        self.value
    }

    /// Adds `delta` at `now` (not before the last change). Inlined with a
    /// constant `delta` of ±1, it is an add and a subtract (and the peak
    /// test when it rises).
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: i64) {
        self.value += delta;
        self.offset -= i128::from(delta) * i128::from(now.0);
        if delta > 0 && self.value > self.peak {
            self.peak = self.value;
            self.peak_at = now.0;
        }
    }

    /// Sets the value at `now` (not before the last change).
    pub fn set(&mut self, now: SimTime, value: u32) {
        self.add(now, i64::from(value) - self.value);
    }

    /// Forgets the statistics so far: they start again at `now` (the end of
    /// the warm-up), where the level held counts as its first peak.
    pub fn restart(&mut self, now: SimTime) {
        self.offset = -i128::from(self.value) * i128::from(now.0);
        self.from = now.0;
        self.peak = self.value;
        self.peak_at = now.0;
    }

    /// The integral from the start of the statistics to `now` (not before
    /// the last change), in value × minutes.
    pub fn area_min(&self, now: SimTime) -> f64 {
        let area = self.offset + i128::from(self.value) * i128::from(now.0);
        area as f64 / 60e6
    }

    /// Mean, peak and time of peak from the start of the statistics to `end`.
    pub fn summary(&self, end: SimTime) -> LevelSummary {
        let peak = self.peak as f64;
        LevelSummary::over(self.area_min(end), self.from, end, peak, self.peak_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_weighted_mean_and_peak() {
        let mut l = Level::new();
        l.set(SimTime::from_min(0.0), 2.0);
        l.set(SimTime::from_min(10.0), 4.0);
        l.add(SimTime::from_min(15.0), -4.0);
        let s = l.summary(SimTime::from_min(20.0));
        // (2*10 + 4*5 + 0*5) / 20 = 2
        assert!((s.mean - 2.0).abs() < 1e-12);
        assert_eq!(s.peak, 4.0);
        assert!((s.peak_at_h - 10.0 / 60.0).abs() < 1e-12);
    }

    #[test]
    fn occupancy_integrates_exactly_after_a_restart() {
        let min = SimTime::from_min;
        let mut a = Occupancy::new(3);
        a.set(min(5.0), 2);
        a.restart(min(10.0));
        a.add(min(12.0), 1);
        a.add(min(14.0), -1);
        a.add(min(16.0), -1);
        // 2 over [10, 12], 3 over [12, 14], 2 over [14, 16], 1 over [16, 20]
        assert_eq!(a.area_min(min(20.0)), 4.0 + 6.0 + 4.0 + 4.0);
        let s = a.summary(min(20.0));
        assert_eq!(s.mean, 18.0 / 10.0);
        // The 3 held from the start is forgotten at the restart; the 3 at 12 min is the peak.
        assert_eq!(s.peak, 3.0);
        assert_eq!(s.peak_at_h, 12.0 / 60.0);
    }

    #[test]
    fn occupancy_agrees_with_the_float_level() {
        // The same changes through both: means agree to rounding, peaks exactly.
        let mut exact = Occupancy::new(0);
        let mut float = Level::new();
        let mut x = 7u64;
        let mut t = 0u64;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            t += (x >> 40) % 90_000_000;
            let up = exact.value() == 0 || (x >> 20) % 2 == 0;
            exact.add(SimTime(t), if up { 1 } else { -1 });
            float.set(SimTime(t), exact.value() as f64);
        }
        let end = SimTime(t + 1);
        let (a, b) = (exact.summary(end), float.summary(end));
        assert!((a.mean - b.mean).abs() <= 1e-9 * b.mean, "{a:?} {b:?}");
        assert_eq!((a.peak, a.peak_at_h), (b.peak, b.peak_at_h));
    }

    #[test]
    fn warm_up_is_excluded() {
        let mut l = Level::new();
        l.set(SimTime::from_min(0.0), 100.0);
        l.set(SimTime::from_min(5.0), 3.0);
        l.restart(SimTime::from_min(10.0));
        l.set(SimTime::from_min(15.0), 1.0);
        let s = l.summary(SimTime::from_min(20.0));
        // 3 over [10, 15], 1 over [15, 20]: mean 2; the peak is the 3 held at the restart.
        assert!((s.mean - 2.0).abs() < 1e-12, "{s:?}");
        assert_eq!(s.peak, 3.0);
        assert!((s.peak_at_h - 10.0 / 60.0).abs() < 1e-12);
    }
}
