//! Time-weighted levels (queue lengths, busy booths) with their peak, updated in
//! O(1) at every change. Statistics start at time zero, or afresh when the
//! warm-up ends ([`Level::restart`]), so an update has no warm-up test in it.

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

/// Microseconds between two times as a float: through `i64`, which converts
/// in one instruction where `u64` takes several (times stay below 2^63).
#[inline]
fn span(from: u64, to: u64) -> f64 {
    (to - from) as i64 as f64
}

/// A level that changes over time: its current value, integral and peak.
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
        let span = end.0.saturating_sub(self.from) as f64 / 60e6;
        LevelSummary {
            mean: if span > 0.0 {
                self.area_min(end) / span
            } else {
                0.0
            },
            peak: self.peak,
            peak_at_h: self.peak_at as f64 / 3.6e9,
        }
    }
}

/// A level whose integral alone is needed (busy and open booths): leaner than
/// [`Level`], no peak.
#[derive(Clone, Debug, Default)]
pub struct Area {
    value: f64,
    area: f64,
    last: u64,
}

impl Area {
    /// `value` from time zero.
    pub fn new(value: f64) -> Area {
        Area {
            value,
            ..Area::default()
        }
    }

    /// Sets the value at `now` (not before the last change).
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) {
        self.area += self.value * span(self.last, now.0);
        self.last = now.0;
        self.value = value;
    }

    /// Forgets the integral so far: it starts again at `now`.
    pub fn restart(&mut self, now: SimTime) {
        self.area = 0.0;
        self.last = now.0;
    }

    /// The integral from the start (or restart) to `now`, in value × minutes.
    pub fn area_min(&self, now: SimTime) -> f64 {
        let tail = now.0.saturating_sub(self.last) as f64 * self.value;
        (self.area + tail) / 60e6
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
    fn area_integrates_after_a_restart() {
        let mut a = Area::new(0.0);
        a.set(SimTime::from_min(0.0), 3.0);
        a.set(SimTime::from_min(5.0), 2.0);
        a.restart(SimTime::from_min(10.0));
        a.set(SimTime::from_min(12.0), 1.0);
        // 2 over [10, 12], 1 over [12, 20]
        assert!((a.area_min(SimTime::from_min(20.0)) - 12.0).abs() < 1e-9);
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
