//! The approach road: queue lengths in km from the units waiting, the space
//! each takes and the rows of standing traffic. When the rows never change,
//! km statistics are the unit statistics scaled, so nothing extra is tracked
//! per event; only scenarios that change the rows keep km levels of their own.

use crate::scenario::{Action, ModeKind, Scenario};
use crate::stats::{Level, LevelSummary};
use crate::time::SimTime;

/// Queue lengths on the approach, in km.
#[derive(Clone, Debug)]
pub struct Road {
    rows: f64,
    varying: bool,
    space_m: Vec<f64>,
    vehicle: Vec<bool>,
    /// Σ over vehicle modes of units waiting × space, in metres of one row.
    road_m: Level,
    /// Per mode approach km, kept only when the rows vary.
    approach_km: Vec<Level>,
    /// All vehicles' km, kept only when the rows vary.
    road_km: Level,
}

impl Road {
    /// The road of a scenario.
    pub fn new(sc: &Scenario) -> Road {
        let varying = sc
            .events
            .iter()
            .any(|e| matches!(e.action, Action::SetRows { .. }));
        Road {
            rows: sc.road_rows,
            varying,
            space_m: sc.modes.iter().map(|m| m.space_m).collect(),
            vehicle: sc
                .modes
                .iter()
                .map(|m| m.kind == ModeKind::Vehicle)
                .collect(),
            road_m: Level::new(),
            approach_km: if varying {
                vec![Level::new(); sc.modes.len()]
            } else {
                Vec::new()
            },
            road_km: Level::new(),
        }
    }

    fn rows_of(&self, m: usize) -> f64 {
        if self.vehicle[m] {
            self.rows
        } else {
            1.0
        }
    }

    /// Whether a change in mode `m`'s approach queue changes anything here.
    pub fn follows(&self, m: usize) -> bool {
        self.vehicle[m] || self.varying
    }

    /// The approach queue of mode `m` changed by `delta` units, to `units`.
    #[inline]
    pub fn change(&mut self, now: SimTime, m: usize, units: f64, delta: f64) {
        if self.vehicle[m] {
            self.road_m.add(now, delta * self.space_m[m]);
        }
        if self.varying {
            let km = self.km(m, units);
            self.approach_km[m].set(now, km);
            if self.vehicle[m] {
                self.road_km
                    .set(now, self.road_m.value() / self.rows / 1000.0);
            }
        }
    }

    /// Starts the statistics afresh at `now` (the end of the warm-up).
    pub fn restart(&mut self, now: SimTime) {
        self.road_m.restart(now);
        self.road_km.restart(now);
        for l in &mut self.approach_km {
            l.restart(now);
        }
    }

    /// The rows change; `units(m)` gives each mode's approach queue now.
    pub fn set_rows(&mut self, now: SimTime, rows: f64, units: impl Fn(usize) -> f64) {
        self.rows = rows;
        if self.varying {
            for m in 0..self.space_m.len() {
                let km = self.km(m, units(m));
                self.approach_km[m].set(now, km);
            }
            self.road_km
                .set(now, self.road_m.value() / self.rows / 1000.0);
        }
    }

    /// The approach queue of mode `m` in km, for `units` waiting.
    #[inline]
    pub fn km(&self, m: usize, units: f64) -> f64 {
        units * self.space_m[m] / self.rows_of(m) / 1000.0
    }

    /// All vehicles' queue in km now.
    pub fn road_km(&self) -> f64 {
        self.road_m.value() / self.rows / 1000.0
    }

    /// Mode `m`'s approach km over the run, from its unit statistics.
    pub fn mode_summary(&self, m: usize, units: LevelSummary, end: SimTime) -> LevelSummary {
        if self.varying {
            self.approach_km[m].summary(end)
        } else {
            scale(units, self.km(m, 1.0))
        }
    }

    /// All vehicles' km over the run.
    pub fn road_summary(&self, end: SimTime) -> LevelSummary {
        if self.varying {
            self.road_km.summary(end)
        } else {
            scale(self.road_m.summary(end), 1.0 / self.rows / 1000.0)
        }
    }
}

fn scale(s: LevelSummary, k: f64) -> LevelSummary {
    LevelSummary {
        mean: s.mean * k,
        peak: s.peak * k,
        peak_at_h: s.peak_at_h,
    }
}
