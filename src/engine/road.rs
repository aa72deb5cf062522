//! The approach road: queue lengths in km from the units waiting, the space
//! each takes and the rows of standing traffic.
//!
//! While the rows stay as they are (a *spell*), a mode's queue in km is its
//! units waiting scaled, and the road's is the sum of the vehicle modes'
//! metres scaled. So the integrals follow at the end of a spell from the
//! units' exact integrals (kept by the replication's waiting levels); per
//! change, the road keeps only its current metres and the spell's peaks.

use crate::scenario::{Action, ModeKind, Scenario};
use crate::stats::LevelSummary;
use crate::time::SimTime;

/// Queue lengths on the approach, in km.
#[derive(Clone, Debug)]
pub struct Road {
    rows: f64,
    /// Whether the rows change during the run (more than one spell).
    varying: bool,
    space_m: Vec<f64>,
    vehicle: Vec<bool>,
    /// Σ over vehicle modes of units waiting × space, in metres of one row.
    metres: f64,
    /// When the statistics started (zero, or the end of the warm-up).
    from: u64,
    /// The rows' current setting.
    spell: Spell,
    /// The spells before it, when the rows vary: each mode's approach km.
    modes_km: Vec<Extent>,
    /// The same for all vehicles' km.
    road_km: Extent,
}

/// The statistics of the current spell.
#[derive(Clone, Debug, Default)]
struct Spell {
    /// Each mode's approach units' integral (units × minutes) when it began.
    areas_from: Vec<f64>,
    /// The most metres, and when first reached.
    metres_peak: f64,
    metres_peak_at: u64,
    /// Each mode's most units waiting, and when first reached (kept only when the rows vary).
    units_peak: Vec<i64>,
    units_peak_at: Vec<u64>,
}

/// A level in km over spells already ended: its integral and its peak.
#[derive(Clone, Copy, Debug)]
struct Extent {
    area_min: f64,
    peak: f64,
    peak_at: u64,
}

impl Extent {
    /// Before any spell: the first one's peak is the peak.
    const NONE: Extent = Extent {
        area_min: 0.0,
        peak: f64::NEG_INFINITY,
        peak_at: 0,
    };

    /// This and one more spell, later than all before it.
    fn then(self, area_min: f64, peak: f64, peak_at: u64) -> Extent {
        let first = peak > self.peak;
        Extent {
            area_min: self.area_min + area_min,
            peak: if first { peak } else { self.peak },
            peak_at: if first { peak_at } else { self.peak_at },
        }
    }

    fn summary(self, from: u64, end: SimTime) -> LevelSummary {
        LevelSummary::over(self.area_min, from, end, self.peak, self.peak_at)
    }
}

impl Road {
    /// The road of a scenario.
    pub fn new(sc: &Scenario) -> Road {
        let varying = sc
            .events
            .iter()
            .any(|e| matches!(e.action, Action::SetRows { .. }));
        Road::of(
            sc.road_rows,
            varying,
            sc.modes.iter().map(|m| m.space_m).collect(),
            sc.modes
                .iter()
                .map(|m| m.kind == ModeKind::Vehicle)
                .collect(),
        )
    }

    /// A road of `rows` rows (changing if `varying`) for modes taking
    /// `space_m` each, of which the `vehicle` ones stand in the rows.
    fn of(rows: f64, varying: bool, space_m: Vec<f64>, vehicle: Vec<bool>) -> Road {
        let modes = space_m.len();
        Road {
            rows,
            varying,
            space_m,
            vehicle,
            metres: 0.0,
            from: 0,
            spell: Spell {
                areas_from: vec![0.0; modes],
                units_peak: vec![0; if varying { modes } else { 0 }],
                units_peak_at: vec![0; if varying { modes } else { 0 }],
                ..Spell::default()
            },
            modes_km: vec![Extent::NONE; if varying { modes } else { 0 }],
            road_km: Extent::NONE,
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
    pub fn change(&mut self, now: SimTime, m: usize, units: i64, delta: i64) {
        if self.vehicle[m] {
            self.metres += delta as f64 * self.space_m[m];
            if self.metres > self.spell.metres_peak {
                self.spell.metres_peak = self.metres;
                self.spell.metres_peak_at = now.0;
            }
        }
        if self.varying && units > self.spell.units_peak[m] {
            self.spell.units_peak[m] = units;
            self.spell.units_peak_at[m] = now.0;
        }
    }

    /// Starts the statistics afresh at `now` (the end of the warm-up), where
    /// the approach units' integrals start again from zero; `units(m)` gives
    /// each mode's approach queue now.
    pub fn restart(&mut self, now: SimTime, units: impl Fn(usize) -> i64) {
        self.from = now.0;
        self.modes_km.fill(Extent::NONE);
        self.road_km = Extent::NONE;
        self.begin_spell(now, &vec![0.0; self.space_m.len()], units);
    }

    /// The rows change at `now`. `areas[m]` is each mode's approach units'
    /// integral so far (units × minutes), and `units(m)` its queue now.
    pub fn set_rows(
        &mut self,
        now: SimTime,
        rows: f64,
        areas: &[f64],
        units: impl Fn(usize) -> i64,
    ) {
        for m in 0..self.modes_km.len() {
            self.modes_km[m] = self.mode_km_to(m, areas);
        }
        self.road_km = self.road_km_to(areas);
        self.rows = rows;
        self.begin_spell(now, areas, units);
    }

    fn begin_spell(&mut self, now: SimTime, areas: &[f64], units: impl Fn(usize) -> i64) {
        let spell = &mut self.spell;
        spell.areas_from.copy_from_slice(areas);
        spell.metres_peak = self.metres;
        spell.metres_peak_at = now.0;
        for (m, peak) in spell.units_peak.iter_mut().enumerate() {
            *peak = units(m);
        }
        spell.units_peak_at.fill(now.0);
    }

    /// Mode `m`'s approach km over the spells so far and the current one
    /// to the time of `areas` (when the rows vary).
    fn mode_km_to(&self, m: usize, areas: &[f64]) -> Extent {
        let spell = &self.spell;
        self.modes_km[m].then(
            self.km(m, areas[m] - spell.areas_from[m]),
            self.km(m, spell.units_peak[m] as f64),
            spell.units_peak_at[m],
        )
    }

    /// All vehicles' km over the spells so far and the current one to the time of `areas`.
    fn road_km_to(&self, areas: &[f64]) -> Extent {
        let km = |metres: f64| metres / self.rows / 1000.0;
        let spell = &self.spell;
        let metres_area: f64 = (0..self.space_m.len())
            .filter(|&m| self.vehicle[m])
            .map(|m| (areas[m] - spell.areas_from[m]) * self.space_m[m])
            .sum();
        self.road_km
            .then(km(metres_area), km(spell.metres_peak), spell.metres_peak_at)
    }

    /// The approach queue of mode `m` in km, for `units` waiting.
    #[inline]
    pub fn km(&self, m: usize, units: f64) -> f64 {
        units * self.space_m[m] / self.rows_of(m) / 1000.0
    }

    /// All vehicles' queue in km now.
    pub fn road_km(&self) -> f64 {
        self.metres / self.rows / 1000.0
    }

    /// Mode `m`'s approach km over the run, from its unit statistics `units`
    /// and the approach units' integrals to `end`.
    pub fn mode_summary(
        &self,
        m: usize,
        units: LevelSummary,
        areas: &[f64],
        end: SimTime,
    ) -> LevelSummary {
        if self.varying {
            self.mode_km_to(m, areas).summary(self.from, end)
        } else {
            LevelSummary {
                mean: self.km(m, units.mean),
                peak: self.km(m, units.peak),
                peak_at_h: units.peak_at_h,
            }
        }
    }

    /// All vehicles' km over the run, from the approach units' integrals to `end`.
    pub fn road_summary(&self, areas: &[f64], end: SimTime) -> LevelSummary {
        self.road_km_to(areas).summary(self.from, end)
    }
}

#[cfg(test)]
mod tests {
    use super::Road;
    use crate::stats::{Level, LevelSummary, Occupancy};
    use crate::time::SimTime;

    /// Every change, row change and restart through the road and through
    /// float levels set at each change, as the road kept them before: the
    /// means agree to rounding, the peaks and their times exactly.
    #[test]
    fn km_from_the_units_integrals_agree_with_levels_kept_per_change() {
        const REL: f64 = 1e-9;
        let space = vec![7.5, 12.0, 0.7];
        let vehicle = vec![true, true, false];
        for varying in [false, true] {
            let mut road = Road::of(1.0, varying, space.clone(), vehicle.clone());
            let mut units: Vec<Occupancy> = (0..3).map(|_| Occupancy::new(0)).collect();
            let mut mode_km: Vec<Level> = (0..3).map(|_| Level::new()).collect();
            let mut road_km = Level::new();
            let (mut x, mut t) = (11u64, 0u64);
            let mut next = || {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                x >> 33
            };
            for step in 0..20_000 {
                t += next() % 60_000_000;
                let now = SimTime(t);
                let values: Vec<i64> = units.iter().map(Occupancy::value).collect();
                let areas: Vec<f64> = units.iter().map(|u| u.area_min(now)).collect();
                if step == 5_000 {
                    for u in &mut units {
                        u.restart(now);
                    }
                    road.restart(now, |m| values[m]);
                    for l in mode_km.iter_mut().chain([&mut road_km]) {
                        l.restart(now);
                    }
                } else if varying && next() % 500 == 0 {
                    let rows = (1 + next() % 3) as f64;
                    road.set_rows(now, rows, &areas, |m| values[m]);
                    for m in 0..3 {
                        mode_km[m].set(now, road.km(m, values[m] as f64));
                    }
                    road_km.set(now, road.road_km());
                } else {
                    let m = (next() % 3) as usize;
                    let delta = if values[m] == 0 || next() % 2 == 0 {
                        1
                    } else {
                        -1
                    };
                    units[m].add(now, delta);
                    if road.follows(m) {
                        road.change(now, m, units[m].value(), delta);
                    }
                    mode_km[m].set(now, road.km(m, units[m].value() as f64));
                    if vehicle[m] {
                        road_km.set(now, road.road_km());
                    }
                }
            }
            let end = SimTime(t + 1);
            let areas: Vec<f64> = units.iter().map(|u| u.area_min(end)).collect();
            let agree = |got: LevelSummary, want: LevelSummary, what: &str| {
                assert!(
                    (got.mean - want.mean).abs() <= REL * want.mean,
                    "{what}: {got:?} against {want:?}"
                );
                assert_eq!(
                    (got.peak, got.peak_at_h),
                    (want.peak, want.peak_at_h),
                    "{what}"
                );
                assert!(
                    want.mean > 0.0 && want.peak > 0.0,
                    "{what}: something to compare"
                );
            };
            for m in 0..3 {
                let got = road.mode_summary(m, units[m].summary(end), &areas, end);
                agree(
                    got,
                    mode_km[m].summary(end),
                    &format!("mode {m}, varying {varying}"),
                );
            }
            let got = road.road_summary(&areas, end);
            agree(
                got,
                road_km.summary(end),
                &format!("road, varying {varying}"),
            );
        }
    }
}
