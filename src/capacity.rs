//! The fluid approximation an analyst checks before simulating: per period of
//! constant rules and rates, each booth group's offered load against its
//! capacity (ρ), how fast its queue grows where ρ > 1, and when the approach
//! queue would reach a given length.

use crate::scenario::{Action, ModeKind, Scenario};
use crate::time::SimTime;

/// Horizons up to this many days list every shift change of booth schedules.
const SHIFT_DAYS: f64 = 31.0;

/// One booth group in one period.
#[derive(Clone, Debug)]
pub struct CapacityRow {
    /// Period start.
    pub from: SimTime,
    /// Period end.
    pub to: SimTime,
    /// Stage index.
    pub stage: usize,
    /// Group index (into `Scenario::groups`).
    pub group: usize,
    /// Arrivals offered to the group, units per hour.
    pub arrivals_per_h: f64,
    /// What its open booths can serve, units per hour, at this mix of modes.
    pub capacity_per_h: f64,
    /// Offered load over capacity (infinite when nothing can be served).
    pub rho: f64,
    /// Queue growth in units per hour (0 where ρ ≤ 1).
    pub growth_per_h: f64,
    /// Queue growth in km per hour (approach queues of vehicles and walkers).
    pub growth_km_per_h: f64,
}

/// The capacity table and what the fluid queue does.
#[derive(Clone, Debug)]
pub struct CapacityReport {
    /// One row per (period, group) with any arrivals or booths.
    pub rows: Vec<CapacityRow>,
    /// Longest fluid approach queue of all vehicles, km, and when.
    pub peak_km: (f64, SimTime),
    /// When the fluid approach queue first reaches the asked length.
    pub reaches: Option<SimTime>,
}

/// Computes the fluid table; `length_km` is the queue length to watch for.
pub fn analyse(sc: &Scenario, length_km: f64) -> CapacityReport {
    let mut cuts: Vec<SimTime> = vec![SimTime::ZERO, sc.horizon];
    for a in &sc.arrivals {
        cuts.extend(a.segments.iter().map(|s| s.0));
    }
    cuts.extend(sc.events.iter().map(|e| e.at));
    // Booth schedules: every shift change within the horizon (up to a month of
    // them; longer horizons use each schedule's daily mean count instead).
    let start_minute = {
        let d = sc.calendar.start();
        i64::from(d.hour * 60 + d.minute)
    };
    let shift_table = sc.horizon.as_days() <= SHIFT_DAYS;
    if shift_table {
        for g in &sc.groups {
            for day in 0..=(sc.horizon.as_days().ceil() as i64) {
                for &(minute, _) in &g.schedule {
                    let t = day * 1440 + i64::from(minute) - start_minute;
                    if t > 0 {
                        cuts.push(SimTime::from_min(t as f64));
                    }
                }
            }
        }
    }
    cuts.retain(|&t| t <= sc.horizon);
    cuts.sort_unstable();
    cuts.dedup();

    let n_modes = sc.modes.len();
    let daily_mean = |g: &crate::scenario::BoothGroup| -> u32 {
        // Time-weighted mean of the schedule over a day, rounded.
        let n = g.schedule.len();
        let total: u64 = (0..n)
            .map(|i| {
                let (m, c) = g.schedule[i];
                let next = g.schedule[(i + 1) % n].0;
                let len = (u64::from(next) + 1440 - u64::from(m) - 1) % 1440 + 1;
                len * u64::from(c)
            })
            .sum();
        ((total as f64) / 1440.0).round() as u32
    };
    let mut open: Vec<u32> = sc
        .groups
        .iter()
        .map(|g| {
            if !shift_table && !g.schedule.is_empty() {
                daily_mean(g)
            } else {
                g.count
            }
        })
        .collect();
    let mut factor: Vec<Vec<f64>> = sc
        .groups
        .iter()
        .map(|g| vec![1.0 / g.speed; n_modes])
        .collect();
    let mut closed = vec![false; sc.stages.len()];
    let mut forbidden = vec![vec![false; n_modes]; sc.stages.len()];
    let mut rows_road = sc.road_rows;
    let mut fluid = vec![0.0f64; sc.groups.len()]; // units waiting per group
    let mut rows = Vec::new();
    let mut peak = (0.0, SimTime::ZERO);
    let mut reaches = None;
    let mut ev = 0;

    for w in cuts.windows(2) {
        let (from, to) = (w[0], w[1]);
        if shift_table {
            // The schedule's count in force from `from` (events at the same time override it).
            let minute = (start_minute + (from.0 / 60_000_000) as i64).rem_euclid(1440) as u32;
            for (g, spec) in sc.groups.iter().enumerate() {
                if let Some(&(m, c)) = spec
                    .schedule
                    .iter()
                    .rev()
                    .find(|&&(m, _)| m <= minute)
                    .or(spec.schedule.last())
                {
                    let changes_now = from.0 > 0 && (m == minute);
                    if changes_now {
                        open[g] = c;
                    }
                }
            }
        }
        while ev < sc.events.len() && sc.events[ev].at <= from {
            match sc.events[ev].action {
                Action::SetBooths { group, count } => open[group.0] = count,
                Action::ScaleService {
                    ref groups,
                    mode,
                    factor: f,
                } => {
                    for &g in groups {
                        for (m, x) in factor[g.0].iter_mut().enumerate() {
                            if mode.is_none_or(|mm| mm.0 == m) {
                                *x = f / sc.groups[g.0].speed;
                            }
                        }
                    }
                }
                Action::SetRows { rows } => rows_road = rows,
                Action::CloseStage { stage } => closed[stage.0] = true,
                Action::OpenStage { stage } => closed[stage.0] = false,
                Action::Forbid { stage, mode, .. } => forbidden[stage.0][mode.0] = true,
                Action::Allow { stage, mode } => forbidden[stage.0][mode.0] = false,
                Action::ScaleArrivals { .. } => {}
            }
            ev += 1;
        }
        let hours = (to.0 - from.0) as f64 / 3.6e9;
        // Flow of each mode into the next stage, per hour.
        let mut flow: Vec<f64> = sc.arrivals.iter().map(|a| a.rate_at(from) * 60.0).collect();
        let mut approach_km = 0.0;
        let mut approach_before = 0.0;
        for (s, stage) in sc.stages.iter().enumerate() {
            let mut out_flow = flow.clone();
            for &gid in &stage.groups {
                let g = gid.0;
                let spec = &sc.groups[g];
                // Share of each mode's flow this group takes: in proportion to service capacity.
                let mut lambda = 0.0;
                let mut work_h = 0.0; // booth-hours of work offered per hour
                let mut blocked = 0.0;
                let mut km_per_unit = 0.0;
                for m in 0..n_modes {
                    let Some(d) = &spec.service[m] else { continue };
                    let mean_min = (d.mean_min() + spec.per_person_min * sc.modes[m].people.mean())
                        * factor[g][m];
                    let shares: f64 = stage
                        .groups
                        .iter()
                        .filter_map(|o| {
                            let os = &sc.groups[o.0];
                            os.service[m]
                                .as_ref()
                                .map(|od| f64::from(open[o.0].max(1)) / od.mean_min().max(1e-9))
                        })
                        .sum();
                    let share = f64::from(open[g].max(1)) / d.mean_min().max(1e-9) / shares;
                    let l = flow[m] * share;
                    lambda += l;
                    if forbidden[s][m] || closed[s] {
                        blocked += l;
                    } else {
                        work_h += l * mean_min / 60.0;
                    }
                    let mode = &sc.modes[m];
                    let rows = if mode.kind == ModeKind::Vehicle {
                        rows_road
                    } else {
                        1.0
                    };
                    km_per_unit += l * mode.space_m / rows / 1000.0;
                }
                if lambda == 0.0 {
                    continue; // no demand: nothing to show
                }
                let km_per_unit = km_per_unit / lambda;
                let booths = if closed[s] { 0.0 } else { f64::from(open[g]) };
                let servable = lambda - blocked;
                // Units per hour the open booths can serve at this mix.
                let capacity = if servable > 0.0 && work_h > 0.0 {
                    booths * servable / work_h
                } else {
                    0.0
                };
                // A forbidden mode's demand meets no capacity at all: ρ is infinite.
                let rho = if booths == 0.0 || capacity == 0.0 || blocked > 0.0 {
                    f64::INFINITY
                } else {
                    work_h / booths
                };
                let served = servable.min(capacity);
                let growth = lambda - served;
                // Fluid queue: grows at `growth`, or drains at the spare capacity.
                let drain = (capacity - servable).max(0.0);
                let before = fluid[g];
                fluid[g] = if growth > 0.0 {
                    before + growth * hours
                } else {
                    (before - drain * hours).max(0.0)
                };
                // The group passes on what it serves, and drains its backlog at most at capacity.
                let pass = if before > 0.0 && growth <= 0.0 {
                    capacity.min(servable + before / hours)
                } else {
                    served
                };
                let scale = pass / lambda;
                for m in 0..n_modes {
                    if spec.service[m].is_some() {
                        out_flow[m] = flow[m] * scale;
                    }
                }
                if s == 0 {
                    approach_before += before * km_per_unit;
                    approach_km += fluid[g] * km_per_unit;
                }
                rows.push(CapacityRow {
                    from,
                    to,
                    stage: s,
                    group: g,
                    arrivals_per_h: lambda,
                    capacity_per_h: capacity,
                    rho,
                    growth_per_h: growth.max(0.0),
                    growth_km_per_h: if s == 0 {
                        growth.max(0.0) * km_per_unit
                    } else {
                        0.0
                    },
                });
            }
            flow = out_flow;
        }
        if approach_km > peak.0 {
            peak = (approach_km, to);
        }
        if reaches.is_none() && approach_km >= length_km {
            // Linear within the period.
            let f =
                ((length_km - approach_before) / (approach_km - approach_before)).clamp(0.0, 1.0);
            reaches = Some(SimTime(from.0 + (f * (to.0 - from.0) as f64) as u64));
        }
    }
    CapacityReport {
        rows,
        peak_km: peak,
        reaches,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(rate_per_h: f64, booths: u32) -> Scenario {
        let text = format!(
            "name = \"t\"\nhorizon_h = 10\n[modes.car]\nspace_m = 10\n[arrivals.car]\nrate_per_h = {rate_per_h}\n\
             [[stages]]\nname = \"s\"\n[[stages.booths]]\nname = \"g\"\nmodes = [\"car\"]\ncount = {booths}\n\
             service = {{ dist = \"exponential\", mean_min = 6 }}\n"
        );
        Scenario::from_toml(&text, &[]).unwrap()
    }

    #[test]
    fn load_capacity_and_growth_of_a_single_group() {
        // 2 booths at 6 min serve 20 an hour.
        let under = analyse(&scenario(18.0, 2), 1.0);
        let r = &under.rows[0];
        assert!((r.capacity_per_h - 20.0).abs() < 1e-9 && (r.rho - 0.9).abs() < 1e-9);
        assert_eq!(r.growth_per_h, 0.0);
        assert_eq!(under.reaches, None);
        // 30 an hour against 20: the queue grows by 10 cars (0.1 km) an hour and
        // reaches 0.5 km after 5 hours.
        let over = analyse(&scenario(30.0, 2), 0.5);
        let r = &over.rows[0];
        assert!((r.rho - 1.5).abs() < 1e-9);
        assert!((r.growth_per_h - 10.0).abs() < 1e-9 && (r.growth_km_per_h - 0.1).abs() < 1e-12);
        assert!((over.reaches.unwrap().as_h() - 5.0).abs() < 1e-6);
        assert!((over.peak_km.0 - 1.0).abs() < 1e-9);
    }
}
