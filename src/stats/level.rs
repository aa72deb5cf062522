//! Time-weighted levels (queue lengths, busy booths) with their peak, updated in
//! O(1) at every change and counted only after the warm-up.

use serde::{Deserialize, Serialize};

use crate::time::SimTime;

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
    /// A level at zero whose statistics start at `from` (the warm-up).
    pub fn new(from: SimTime) -> Level {
        Level {
            from: from.0,
            peak_at: from.0,
            ..Level::default()
        }
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
        if now > self.last {
            if now > self.from {
                if self.last < self.from && self.value > self.peak {
                    // The level held at the end of the warm-up counts as seen then.
                    self.peak = self.value;
                    self.peak_at = self.from;
                }
                self.area += self.value * (now - self.last.max(self.from)) as f64;
            }
            self.last = now;
        }
        self.value = value;
        if value > self.peak && now >= self.from {
            self.peak = value;
            self.peak_at = now;
        }
    }

    /// Adds `delta` to the value at `now`.
    #[inline]
    pub fn add(&mut self, now: SimTime, delta: f64) {
        self.set(now, self.value + delta);
    }

    /// The integral of the level from the warm-up to `now`, in value × minutes.
    pub fn area_min(&self, now: SimTime) -> f64 {
        let tail = now.0.saturating_sub(self.last.max(self.from)) as f64 * self.value;
        (self.area + tail) / 60e6
    }

    /// Mean, peak and time of peak over `[warm-up, end]`.
    pub fn summary(&self, end: SimTime) -> LevelSummary {
        let span = end.0.saturating_sub(self.from) as f64 / 60e6;
        let (mut peak, mut peak_at) = (self.peak, self.peak_at);
        if self.last < self.from && self.value > peak {
            (peak, peak_at) = (self.value, self.from);
        }
        LevelSummary {
            mean: if span > 0.0 {
                self.area_min(end) / span
            } else {
                0.0
            },
            peak,
            peak_at_h: peak_at as f64 / 3.6e9,
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
    from: u64,
}

impl Area {
    /// Zero, integrating from `from` (the warm-up).
    pub fn new(from: SimTime) -> Area {
        Area {
            from: from.0,
            last: from.0,
            ..Area::default()
        }
    }

    /// Sets the value at `now`.
    #[inline]
    pub fn set(&mut self, now: SimTime, value: f64) {
        let start = self.last.max(self.from);
        if now.0 > start {
            self.area += self.value * (now.0 - start) as f64;
        }
        self.last = self.last.max(now.0);
        self.value = value;
    }

    /// The integral from the warm-up to `now`, in value × minutes.
    pub fn area_min(&self, now: SimTime) -> f64 {
        let tail = now.0.saturating_sub(self.last.max(self.from)) as f64 * self.value;
        (self.area + tail) / 60e6
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_weighted_mean_and_peak() {
        let mut l = Level::new(SimTime::ZERO);
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
    fn area_integrates_after_the_warm_up() {
        let mut a = Area::new(SimTime::from_min(10.0));
        a.set(SimTime::from_min(0.0), 3.0);
        a.set(SimTime::from_min(12.0), 1.0);
        // 3 over [10, 12], 1 over [12, 20]
        assert!((a.area_min(SimTime::from_min(20.0)) - 14.0).abs() < 1e-9);
    }

    #[test]
    fn warm_up_is_excluded() {
        let mut l = Level::new(SimTime::from_min(10.0));
        l.set(SimTime::from_min(0.0), 100.0);
        l.set(SimTime::from_min(5.0), 1.0);
        let s = l.summary(SimTime::from_min(20.0));
        assert!((s.mean - 1.0).abs() < 1e-12, "{s:?}");
        assert_eq!(s.peak, 1.0);
    }
}
