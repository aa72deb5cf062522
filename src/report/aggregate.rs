//! Folding replications, in replication order, into one [`Report`]: each
//! figure's mean and interval across replications, merged histograms, the
//! time series' bands, the arrival cohorts, and the observations' fit.
//!
//! A [`Fold`] takes each replication as it finishes and keeps only what the
//! report needs of it: its histograms are merged at once (keeping each one's
//! mean), its series summed into the bands, and its other figures (a few
//! kilobytes) kept for their intervals. So a run's memory does not grow with
//! the size of what each replication recorded.

use super::series::SeriesFold;
use super::{
    CohortReport, DayReport, DurationSummary, EventReport, ModeReport, ModeStageReport, Named,
    ObservationReport, Report, RoadReport, StageReport,
};
use crate::engine::{period_width, DayCounts, ModeOutcome, Outcome};
use crate::scenario::{ModeId, Scenario};
use crate::stats::histogram::{COARSE_BITS, SUB_BITS};
use crate::stats::{Estimate, Histogram};
use crate::time::SimTime;

fn estimate_of<F: Fn(&Outcome) -> f64>(outs: &[Outcome], f: F) -> Estimate {
    Estimate::of(&outs.iter().map(f).collect::<Vec<_>>())
}

/// Folds replications (in replication order) into a report, consuming them.
pub fn aggregate(sc: &Scenario, outs: Vec<Outcome>) -> Report {
    let mut fold = Fold::new(sc, outs.len() as u32);
    for out in outs {
        fold.add(out);
    }
    fold.finish()
}

/// Durations of one kind across replications: all of them in one
/// histogram, and each replication's mean.
struct Durations<const BITS: u32 = SUB_BITS> {
    all: Histogram<BITS>,
    means: Vec<f64>,
}

impl<const BITS: u32> Durations<BITS> {
    /// As if each of the first `replications` had recorded none.
    fn none_in(replications: usize) -> Durations<BITS> {
        let all = Histogram::new();
        Durations {
            means: vec![all.mean_min(); replications],
            all,
        }
    }

    fn add(&mut self, h: Histogram<BITS>) {
        self.means.push(h.mean_min());
        self.all.absorb(h);
    }

    fn summary(&self) -> DurationSummary {
        DurationSummary::new(&self.all, &self.means)
    }
}

/// One mode's durations across replications.
struct ModeDurations {
    wait: Durations,
    sojourn: Durations,
    jumper_wait: Durations,
    /// Per stage (empty for the stages not on the mode's route).
    stages: Vec<Durations>,
    /// Per arrival cohort, as many as the longest replication had.
    cohorts: Vec<Durations<COARSE_BITS>>,
}

/// Replications folded one at a time, in replication order, into what their
/// report needs.
pub struct Fold<'a> {
    sc: &'a Scenario,
    replications: u32,
    /// Each replication's figures without its histograms and series.
    outs: Vec<Outcome>,
    durations: Vec<ModeDurations>,
    series: SeriesFold,
}

impl<'a> Fold<'a> {
    /// A fold for `replications` replications of the scenario (the number
    /// sets the ranks of the series' percentiles).
    pub fn new(sc: &'a Scenario, replications: u32) -> Fold<'a> {
        let none = || Durations::none_in(0);
        Fold {
            sc,
            replications,
            outs: Vec::with_capacity(replications as usize),
            durations: sc
                .modes
                .iter()
                .map(|_| ModeDurations {
                    wait: none(),
                    sojourn: none(),
                    jumper_wait: none(),
                    stages: sc.stages.iter().map(|_| none()).collect(),
                    cohorts: Vec::new(),
                })
                .collect(),
            series: SeriesFold::new(sc, replications as usize),
        }
    }

    /// Takes the next replication (they must come in replication order).
    pub fn add(&mut self, mut out: Outcome) {
        assert!(
            self.outs.len() < self.replications as usize,
            "no more replications than announced"
        );
        let earlier = self.outs.len();
        self.series.add(std::mem::take(&mut out.series));
        for (mode, d) in out.modes.iter_mut().zip(&mut self.durations) {
            d.wait.add(std::mem::take(&mut mode.wait));
            d.sojourn.add(std::mem::take(&mut mode.sojourn));
            d.jumper_wait.add(std::mem::take(&mut mode.jumper_wait));
            for (stage, h) in d
                .stages
                .iter_mut()
                .zip(std::mem::take(&mut mode.stage_wait))
            {
                stage.add(h);
            }
            let cohorts = std::mem::take(&mut mode.cohorts);
            // A period no earlier replication reached: none recorded there.
            while d.cohorts.len() < cohorts.len() {
                d.cohorts.push(Durations::none_in(earlier));
            }
            // A period this replication did not reach: none recorded there.
            let mut cohorts = cohorts.into_iter();
            for cohort in &mut d.cohorts {
                cohort.add(cohorts.next().unwrap_or_default());
            }
        }
        self.outs.push(out);
    }

    /// The report of the replications taken.
    pub fn finish(mut self) -> Report {
        assert!(!self.outs.is_empty(), "at least one replication");
        assert_eq!(
            self.outs.len(),
            self.replications as usize,
            "every replication announced"
        );
        let sc = self.sc;
        // The cohorts' histograms are the largest thing the fold holds (a
        // mode's, up to `MAX_PERIODS` of them): summarised first and let
        // go, they are not held beside the rest of the report.
        let cohorts = cohort_reports(sc, &self.durations);
        for d in &mut self.durations {
            d.cohorts = Vec::new();
        }
        let cal = &sc.calendar;
        let outs = &self.outs[..];
        Report {
            borderq_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: sc.name.clone(),
            seed: sc.seed,
            replications: self.replications,
            start: cal.start().to_string(),
            horizon_h: sc.horizon.as_h(),
            warmup_h: sc.warmup.as_h(),
            modes: Named(
                sc.modes
                    .iter()
                    .enumerate()
                    .map(|(m, mode)| (mode.name.clone(), self.mode_report(m)))
                    .collect(),
            ),
            stages: Named(
                sc.stages
                    .iter()
                    .enumerate()
                    .map(|(s, st)| (st.name.clone(), self.stage_report(s)))
                    .collect(),
            ),
            road: RoadReport {
                queue_peak_km: estimate_of(outs, |o| o.road_km.peak),
                queue_peak_at_h: estimate_of(outs, |o| o.road_km.peak_at_h),
                queue_mean_km: estimate_of(outs, |o| o.road_km.mean),
            },
            observations: (0..sc.observations.len())
                .map(|i| self.observation_report(i))
                .collect(),
            events: sc
                .events
                .iter()
                .map(|e| EventReport {
                    at: cal.datetime(e.at).to_string(),
                    at_h: e.at.as_h(),
                    label: e.label.clone(),
                })
                .collect(),
            wait_cdf: sc
                .modes
                .iter()
                .zip(&self.durations)
                .map(|(mode, d)| (mode.name.clone(), d.wait.all.cdf()))
                .collect(),
            cohorts,
            calendar: sc.calendar,
            end_after_crossings: sc.end_after_crossings,
            vehicle_modes: sc.vehicle_modes(),
            series: self.series.finish(sc),
        }
    }

    /// Mode `m` across replications.
    fn mode_report(&self, m: usize) -> ModeReport {
        let (sc, outs, d) = (self.sc, &self.outs[..], &self.durations[m]);
        let of = |f: fn(&ModeOutcome) -> f64| estimate_of(outs, |o| f(&o.modes[m]));
        let stages = sc
            .stages
            .iter()
            .enumerate()
            .filter(|(_, st)| st.groups.iter().any(|g| sc.groups[g.0].serves(ModeId(m))))
            .map(|(s, st)| {
                let report = ModeStageReport {
                    wait_min: d.stages[s].summary(),
                    queue_mean_units: estimate_of(outs, |o| o.modes[m].stage_queue[s].mean),
                    queue_peak_units: estimate_of(outs, |o| o.modes[m].stage_queue[s].peak),
                };
                (st.name.clone(), report)
            })
            .collect();
        let period = period_width(sc);
        let days = outs
            .iter()
            .map(|o| o.modes[m].per_day.len())
            .min()
            .unwrap_or(0);
        let per_day = (0..days)
            .map(|d| {
                let day =
                    |f: fn(&DayCounts) -> f64| estimate_of(outs, |o| f(&o.modes[m].per_day[d]));
                DayReport {
                    date: sc.calendar.date_label(SimTime(d as u64 * period.0)),
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
        ModeReport {
            wait_min: d.wait.summary(),
            sojourn_min: d.sojourn.summary(),
            queue_peak_units: of(|o| o.queue.peak),
            queue_peak_km: of(|o| o.queue_km.peak),
            queue_peak_at_h: of(|o| o.queue.peak_at_h),
            queue_mean_units: of(|o| o.queue.mean),
            queue_mean_km: of(|o| o.queue_km.mean),
            arrived_units: of(|o| o.arrived.units as f64),
            arrived_persons: of(|o| o.arrived.persons as f64),
            crossed_units: of(|o| o.crossed.units as f64),
            crossed_persons: of(|o| o.crossed.persons as f64),
            initial_units: of(|o| o.initial.units as f64),
            balked_units: of(|o| o.balked.units as f64),
            reneged_units: of(|o| o.reneged.units as f64),
            switched_units: of(|o| o.switched_out.units as f64),
            switched_persons: of(|o| o.switched_out.persons as f64),
            switched_to: sc.modes[m]
                .behaviour
                .switching
                .as_ref()
                .map(|s| sc.modes[s.to.0].name.clone()),
            switched_in_units: of(|o| o.switched_in.units as f64),
            sent_away_units: of(|o| o.sent_away.units as f64),
            jumped_units: of(|o| o.jumped.units as f64),
            jumper_wait_min: d.jumper_wait.summary(),
            in_system_units: of(|o| o.in_system.units as f64),
            stages: Named(stages),
            per_day,
        }
    }

    /// Stage `s`'s booth use across replications.
    fn stage_report(&self, s: usize) -> StageReport {
        let (sc, outs) = (self.sc, &self.outs[..]);
        let groups = sc.stages[s]
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let used = estimate_of(outs, |o| o.stages[s].group_utilisation[i]);
                (sc.groups[g.0].name.clone(), used)
            })
            .collect();
        StageReport {
            utilisation: estimate_of(outs, |o| o.stages[s].utilisation),
            groups: Named(groups),
        }
    }

    /// Observation `i` beside the replications' values.
    fn observation_report(&self, i: usize) -> ObservationReport {
        let (sc, cal) = (self.sc, &self.sc.calendar);
        let o = &sc.observations[i];
        let simulated = estimate_of(&self.outs, |r| r.observations[i]);
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
    }
}

/// The arrival cohorts in which anyone's wait was recorded, mode by mode.
fn cohort_reports(sc: &Scenario, durations: &[ModeDurations]) -> Vec<CohortReport> {
    let width = period_width(sc);
    let mut out = Vec::new();
    for (mode, d) in sc.modes.iter().zip(durations) {
        for (c, cohort) in d.cohorts.iter().enumerate() {
            if cohort.all.count() == 0 {
                continue;
            }
            let start = SimTime(width.0 * c as u64);
            out.push(CohortReport {
                mode: mode.name.clone(),
                start: sc.calendar.datetime(start).to_string(),
                start_h: start.as_h(),
                days: width.as_days(),
                wait: cohort.summary(),
            });
        }
    }
    // Held through the report: no growth slack.
    out.shrink_to_fit();
    out
}
