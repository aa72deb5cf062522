//! Folding replications, in replication order, into one [`Report`]: each
//! figure's mean and interval across replications, merged histograms, the
//! time series' bands, the arrival cohorts, and the observations' fit.

use super::{
    Band, CohortReport, DayReport, DurationSummary, EventReport, ModeReport, ModeStageReport,
    Named, ObservationReport, Report, RoadReport, SeriesReport, StageReport,
};
use crate::engine::{period_width, ModeColumn, Outcome, SeriesLayout};
use crate::scenario::Scenario;
use crate::stats::{CoarseHistogram, Estimate, Histogram};
use crate::time::SimTime;

fn estimate_of<F: Fn(&Outcome) -> f64>(outs: &[Outcome], f: F) -> Estimate {
    Estimate::of(&outs.iter().map(f).collect::<Vec<_>>())
}

/// Folds replications (in replication order) into a report, consuming them:
/// each part of theirs is let go once it is folded in, so a long run's
/// cohorts and series are not held twice at once.
pub fn aggregate(sc: &Scenario, mut outs: Vec<Outcome>) -> Report {
    assert!(!outs.is_empty(), "at least one replication");
    let cohorts = aggregate_cohorts(sc, &outs);
    for m in outs.iter_mut().flat_map(|o| &mut o.modes) {
        m.cohorts = Vec::new();
    }
    let outs = &outs[..];
    let cal = &sc.calendar;
    let period = period_width(sc);
    let modes = sc
        .modes
        .iter()
        .enumerate()
        .map(|(m, mode)| {
            let h = |f: &dyn Fn(&Outcome) -> &Histogram| {
                DurationSummary::new(&outs.iter().map(f).collect::<Vec<_>>())
            };
            let stages = sc
                .stages
                .iter()
                .enumerate()
                .filter(|&(s, _)| {
                    sc.stages[s]
                        .groups
                        .iter()
                        .any(|g| sc.groups[g.0].serves(crate::scenario::ModeId(m)))
                })
                .map(|(s, st)| {
                    (
                        st.name.clone(),
                        ModeStageReport {
                            wait_min: h(&|o| &o.modes[m].stage_wait[s]),
                            queue_mean_units: estimate_of(outs, |o| o.modes[m].stage_queue[s].mean),
                            queue_peak_units: estimate_of(outs, |o| o.modes[m].stage_queue[s].peak),
                        },
                    )
                })
                .collect();
            let days = outs
                .iter()
                .map(|o| o.modes[m].per_day.len())
                .min()
                .unwrap_or(0);
            let per_day = (0..days)
                .map(|d| {
                    let day = |f: fn(&crate::engine::DayCounts) -> f64| {
                        estimate_of(outs, |o| f(&o.modes[m].per_day[d]))
                    };
                    DayReport {
                        date: cal.date_label(SimTime(d as u64 * period.0)),
                        days: period.as_days(),
                        arrived_units: day(|c| c.arrived.units as f64),
                        balked_units: day(|c| c.balked.units as f64),
                        reneged_units: day(|c| c.reneged.units as f64),
                        switched_units: day(|c| c.switched.units as f64),
                        switched_persons: day(|c| c.switched.persons as f64),
                        jumped_units: day(|c| c.jumped.units as f64),
                        crossed_units: day(|c| c.crossed.units as f64),
                        crossed_persons: day(|c| c.crossed.persons as f64),
                    }
                })
                .collect();
            let report = ModeReport {
                wait_min: h(&|o| &o.modes[m].wait),
                sojourn_min: h(&|o| &o.modes[m].sojourn),
                queue_peak_units: estimate_of(outs, |o| o.modes[m].queue.peak),
                queue_peak_km: estimate_of(outs, |o| o.modes[m].queue_km.peak),
                queue_peak_at_h: estimate_of(outs, |o| o.modes[m].queue.peak_at_h),
                queue_mean_units: estimate_of(outs, |o| o.modes[m].queue.mean),
                queue_mean_km: estimate_of(outs, |o| o.modes[m].queue_km.mean),
                arrived_units: estimate_of(outs, |o| o.modes[m].arrived.units as f64),
                arrived_persons: estimate_of(outs, |o| o.modes[m].arrived.persons as f64),
                crossed_units: estimate_of(outs, |o| o.modes[m].crossed.units as f64),
                crossed_persons: estimate_of(outs, |o| o.modes[m].crossed.persons as f64),
                initial_units: estimate_of(outs, |o| o.modes[m].initial.units as f64),
                balked_units: estimate_of(outs, |o| o.modes[m].balked.units as f64),
                reneged_units: estimate_of(outs, |o| o.modes[m].reneged.units as f64),
                switched_units: estimate_of(outs, |o| o.modes[m].switched_out.units as f64),
                switched_persons: estimate_of(outs, |o| o.modes[m].switched_out.persons as f64),
                switched_to: mode
                    .behaviour
                    .switching
                    .as_ref()
                    .map(|s| sc.modes[s.to.0].name.clone()),
                switched_in_units: estimate_of(outs, |o| o.modes[m].switched_in.units as f64),
                sent_away_units: estimate_of(outs, |o| o.modes[m].sent_away.units as f64),
                jumped_units: estimate_of(outs, |o| o.modes[m].jumped.units as f64),
                jumper_wait_min: h(&|o| &o.modes[m].jumper_wait),
                in_system_units: estimate_of(outs, |o| o.modes[m].in_system.units as f64),
                stages: Named(stages),
                per_day,
            };
            (mode.name.clone(), report)
        })
        .collect();
    let stages = sc
        .stages
        .iter()
        .enumerate()
        .map(|(s, st)| {
            let groups = st
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| {
                    (
                        sc.groups[g.0].name.clone(),
                        estimate_of(outs, |o| o.stages[s].group_utilisation[i]),
                    )
                })
                .collect();
            (
                st.name.clone(),
                StageReport {
                    utilisation: estimate_of(outs, |o| o.stages[s].utilisation),
                    groups: Named(groups),
                },
            )
        })
        .collect();
    let observations = sc
        .observations
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let simulated = estimate_of(outs, |r| r.observations[i]);
            ObservationReport {
                metric: o.metric.name().to_string(),
                mode: o.mode.map(|m| sc.modes[m.0].name.clone()),
                at: cal.datetime(o.at).to_string(),
                until: o.until.map(|u| cal.datetime(u).to_string()),
                at_h: o.at.as_h(),
                until_h: o.until.map(SimTime::as_h),
                observed: o.value,
                tolerance: o.tolerance,
                within: (simulated.mean - o.value).abs() <= o.tolerance,
                simulated,
                source: o.source.clone(),
                label: o.label.clone(),
            }
        })
        .collect();
    let events = sc
        .events
        .iter()
        .map(|e| EventReport {
            at: cal.datetime(e.at).to_string(),
            at_h: e.at.as_h(),
            label: e.label.clone(),
        })
        .collect();
    Report {
        borderq_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: sc.name.clone(),
        seed: sc.seed,
        replications: outs.len() as u32,
        start: cal.start().to_string(),
        horizon_h: sc.horizon.as_h(),
        warmup_h: sc.warmup.as_h(),
        modes: Named(modes),
        stages: Named(stages),
        road: RoadReport {
            queue_peak_km: estimate_of(outs, |o| o.road_km.peak),
            queue_peak_at_h: estimate_of(outs, |o| o.road_km.peak_at_h),
            queue_mean_km: estimate_of(outs, |o| o.road_km.mean),
        },
        observations,
        events,
        series: aggregate_series(sc, outs),
        wait_cdf: sc
            .modes
            .iter()
            .enumerate()
            .map(|(m, mode)| {
                let mut all = Histogram::new();
                for o in outs {
                    all.merge(&o.modes[m].wait);
                }
                (mode.name.clone(), all.cdf())
            })
            .collect(),
        calendar: sc.calendar,
        end_after_crossings: sc.end_after_crossings,
        vehicle_modes: sc.vehicle_modes(),
        cohorts,
    }
}

fn aggregate_series(sc: &Scenario, outs: &[Outcome]) -> SeriesReport {
    let layout = SeriesLayout::new(sc);
    let rows = outs.iter().map(|o| o.series.rows()).min().unwrap_or(0);
    // One replication: its percentiles are its values, as the mean is.
    let keep_range = outs.len() > 1;
    // Every band with its column; `ranged`: with the 5–95% range across
    // replications (the columns drawn as bands); the others (counts so far)
    // are written as means only.
    let band = |name: String, col: usize, ranged: bool| {
        let series = |n| Vec::with_capacity(if ranged && keep_range { n } else { 0 });
        let band = Band {
            name,
            mean: Vec::with_capacity(rows),
            ranged,
            p5: series(rows),
            p95: series(rows),
        };
        (band, col)
    };
    let mut bands: Vec<(Band, usize)> = Vec::new();
    for (m, mode) in sc.modes.iter().enumerate() {
        for c in ModeColumn::ALL {
            let ranged = matches!(c, ModeColumn::QueueUnits | ModeColumn::QueueKm);
            bands.push(band(
                format!("{}_{}", mode.name, c.suffix()),
                layout.mode(m, c),
                ranged,
            ));
        }
    }
    bands.push(band("road_queue_km".to_string(), layout.road_km(), true));
    for (s, st) in sc.stages.iter().enumerate() {
        bands.push(band(
            format!("{}_utilisation", st.name),
            layout.stage_utilisation(s),
            true,
        ));
    }
    // Row by row, every band at once: each replication's row is read once,
    // where a band at a time would stride through every replication's whole
    // series once per band.
    let mut row_of = Vec::with_capacity(outs.len());
    let mut values = Vec::with_capacity(outs.len());
    for r in 0..rows {
        row_of.clear();
        row_of.extend(outs.iter().map(|o| o.series.row(r)));
        for (b, col) in &mut bands {
            values.clear();
            values.extend(row_of.iter().map(|row| row[*col]));
            b.mean
                .push(values.iter().sum::<f64>() / values.len() as f64);
            if b.ranged && keep_range {
                values.sort_by(f64::total_cmp);
                b.p5.push(nearest_rank(&values, 0.05));
                b.p95.push(nearest_rank(&values, 0.95));
            }
        }
    }
    let mut bands = bands.into_iter().map(|(b, _)| b);
    let modes = sc
        .modes
        .iter()
        .map(|_| std::array::from_fn(|_| bands.next().expect("a band per mode column")))
        .collect();
    let road_km = bands.next().expect("the road's band");
    let utilisation = bands.collect();
    let times: Vec<SimTime> = (0..rows)
        .map(|r| SimTime(sc.sample_interval.0 * r as u64))
        .collect();
    SeriesReport {
        times_h: times.iter().map(|t| t.as_h()).collect(),
        datetimes: times
            .iter()
            .map(|&t| sc.calendar.datetime(t).to_string())
            .collect(),
        modes,
        road_km,
        utilisation,
    }
}

/// Nearest-rank quantile of sorted values.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

fn aggregate_cohorts(sc: &Scenario, outs: &[Outcome]) -> Vec<CohortReport> {
    let width = period_width(sc);
    let mut out = Vec::new();
    for (m, mode) in sc.modes.iter().enumerate() {
        let n = outs
            .iter()
            .map(|o| o.modes[m].cohorts.len())
            .max()
            .unwrap_or(0);
        let empty = CoarseHistogram::new();
        for c in 0..n {
            let per_rep: Vec<&CoarseHistogram> = outs
                .iter()
                .map(|o| o.modes[m].cohorts.get(c).unwrap_or(&empty))
                .collect();
            if per_rep.iter().all(|h| h.count() == 0) {
                continue;
            }
            let start = SimTime(width.0 * c as u64);
            out.push(CohortReport {
                mode: mode.name.clone(),
                start: sc.calendar.datetime(start).to_string(),
                start_h: start.as_h(),
                days: width.as_days(),
                wait: DurationSummary::new(&per_rep),
            });
        }
    }
    // Held through the report: no growth slack.
    out.shrink_to_fit();
    out
}
