//! Folding replications, in replication order, into one [`Report`]: each
//! figure's mean and interval across replications, merged histograms, the
//! time series' bands, the arrival cohorts, and the observations' fit.
//!
//! A [`Fold`] takes each replication as it finishes and keeps only what the
//! report needs of it: its histograms are merged at once, its series summed
//! into the bands (whose percentiles are over the first
//! [`BAND_REPLICATIONS`](super::BAND_REPLICATIONS)), and each figure given
//! with an interval, the histograms' means among them, folded into a
//! [`Running`] estimate. So a run's memory grows neither with what each
//! replication recorded nor with the number of replications.

use super::series::SeriesFold;
use super::{
    CohortReport, DayReport, DurationSummary, EventReport, ModeReport, ModeStageReport, Named,
    ObservationReport, Report, RoadReport, StageReport,
};
use crate::engine::{period_width, DayCounts, ModeOutcome, Outcome, StageOutcome};
use crate::scenario::{ModeId, Scenario};
use crate::stats::histogram::{COARSE_BITS, SUB_BITS};
use crate::stats::{Histogram, Running};
use crate::time::SimTime;

/// Folds replications (in replication order) into a report, consuming them.
pub fn aggregate(sc: &Scenario, outs: Vec<Outcome>) -> Report {
    let mut fold = Fold::new(sc, outs.len() as u32);
    for out in outs {
        fold.add(out);
    }
    fold.finish()
}

/// Durations of one kind across replications: all of them in one
/// histogram, and the replications' means folded into their estimate (a
/// replication that recorded none has no mean, and is left out of it).
#[derive(Default)]
struct Durations<const BITS: u32 = SUB_BITS> {
    all: Histogram<BITS>,
    means: Running,
}

impl<const BITS: u32> Durations<BITS> {
    fn add(&mut self, h: Histogram<BITS>) {
        self.means.add(h.mean_min());
        self.all.absorb(h);
    }

    fn summary(&self) -> DurationSummary {
        DurationSummary::new(&self.all, self.means.estimate())
    }
}

/// A mode's figures across replications, each folded as it comes.
#[derive(Default)]
struct ModeFigures {
    queue_peak_units: Running,
    queue_peak_km: Running,
    queue_peak_at_h: Running,
    queue_mean_units: Running,
    queue_mean_km: Running,
    arrived_units: Running,
    arrived_persons: Running,
    crossed_units: Running,
    crossed_persons: Running,
    initial_units: Running,
    balked_units: Running,
    reneged_units: Running,
    switched_units: Running,
    switched_persons: Running,
    switched_in_units: Running,
    sent_away_units: Running,
    jumped_units: Running,
    in_system_units: Running,
    /// Per stage: the time-average and the most units waiting.
    stage_queue: Vec<[Running; 2]>,
    /// Per counting period, as far as every replication so far reached.
    per_day: Vec<DayFigures>,
}

impl ModeFigures {
    fn add(&mut self, o: &ModeOutcome, first: bool) {
        let figures = [
            (&mut self.queue_peak_units, o.queue.peak),
            (&mut self.queue_peak_km, o.queue_km.peak),
            (&mut self.queue_peak_at_h, o.queue.peak_at_h),
            (&mut self.queue_mean_units, o.queue.mean),
            (&mut self.queue_mean_km, o.queue_km.mean),
            (&mut self.arrived_units, o.arrived.units as f64),
            (&mut self.arrived_persons, o.arrived.persons as f64),
            (&mut self.crossed_units, o.crossed.units as f64),
            (&mut self.crossed_persons, o.crossed.persons as f64),
            (&mut self.initial_units, o.initial.units as f64),
            (&mut self.balked_units, o.balked.units as f64),
            (&mut self.reneged_units, o.reneged.units as f64),
            (&mut self.switched_units, o.switched_out.units as f64),
            (&mut self.switched_persons, o.switched_out.persons as f64),
            (&mut self.switched_in_units, o.switched_in.units as f64),
            (&mut self.sent_away_units, o.sent_away.units as f64),
            (&mut self.jumped_units, o.jumped.units as f64),
            (&mut self.in_system_units, o.in_system.units as f64),
        ];
        for (running, value) in figures {
            running.add(value);
        }
        if first {
            self.stage_queue = vec![Default::default(); o.stage_queue.len()];
            self.per_day = vec![DayFigures::default(); o.per_day.len()];
        }
        for (running, q) in self.stage_queue.iter_mut().zip(&o.stage_queue) {
            running[0].add(q.mean);
            running[1].add(q.peak);
        }
        // A period some replication did not reach is not reported.
        self.per_day.truncate(o.per_day.len());
        for (day, counts) in self.per_day.iter_mut().zip(&o.per_day) {
            day.add(counts);
        }
    }
}

/// One counting period's figures across replications.
#[derive(Clone, Default)]
struct DayFigures {
    arrived_units: Running,
    balked_units: Running,
    reneged_units: Running,
    switched_units: Running,
    switched_persons: Running,
    jumped_units: Running,
    crossed_units: Running,
    crossed_persons: Running,
}

impl DayFigures {
    fn add(&mut self, c: &DayCounts) {
        let figures = [
            (&mut self.arrived_units, c.arrived.units),
            (&mut self.balked_units, c.balked.units),
            (&mut self.reneged_units, c.reneged.units),
            (&mut self.switched_units, c.switched.units),
            (&mut self.switched_persons, c.switched.persons),
            (&mut self.jumped_units, c.jumped.units),
            (&mut self.crossed_units, c.crossed.units),
            (&mut self.crossed_persons, c.crossed.persons),
        ];
        for (running, value) in figures {
            running.add(value as f64);
        }
    }
}

/// A stage's booth use across replications.
#[derive(Default)]
struct StageFigures {
    utilisation: Running,
    /// Per booth group.
    groups: Vec<Running>,
}

impl StageFigures {
    fn add(&mut self, o: &StageOutcome, first: bool) {
        self.utilisation.add(o.utilisation);
        if first {
            self.groups = vec![Running::new(); o.group_utilisation.len()];
        }
        for (running, &used) in self.groups.iter_mut().zip(&o.group_utilisation) {
            running.add(used);
        }
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
    /// Replications taken so far.
    added: u32,
    /// Per mode, the figures given as estimates.
    modes: Vec<ModeFigures>,
    /// Per stage.
    stages: Vec<StageFigures>,
    /// The road queue's peak, its time, and its mean, in km.
    road: [Running; 3],
    /// Per observation, its simulated value.
    observations: Vec<Running>,
    durations: Vec<ModeDurations>,
    series: SeriesFold,
}

impl<'a> Fold<'a> {
    /// A fold for `replications` replications of the scenario (the number
    /// sets the ranks of the series' percentiles).
    pub fn new(sc: &'a Scenario, replications: u32) -> Fold<'a> {
        Fold {
            sc,
            replications,
            added: 0,
            modes: sc.modes.iter().map(|_| ModeFigures::default()).collect(),
            stages: sc.stages.iter().map(|_| StageFigures::default()).collect(),
            road: Default::default(),
            observations: vec![Running::new(); sc.observations.len()],
            durations: sc
                .modes
                .iter()
                .map(|_| ModeDurations {
                    wait: Durations::default(),
                    sojourn: Durations::default(),
                    jumper_wait: Durations::default(),
                    stages: sc.stages.iter().map(|_| Durations::default()).collect(),
                    cohorts: Vec::new(),
                })
                .collect(),
            series: SeriesFold::new(sc, replications as usize),
        }
    }

    /// Takes the next replication (they must come in replication order).
    pub fn add(&mut self, mut out: Outcome) {
        assert!(
            self.added < self.replications,
            "no more replications than announced"
        );
        let first = self.added == 0;
        self.series.add(std::mem::take(&mut out.series));
        for (figures, mode) in self.modes.iter_mut().zip(&out.modes) {
            figures.add(mode, first);
        }
        for (figures, stage) in self.stages.iter_mut().zip(&out.stages) {
            figures.add(stage, first);
        }
        let road = [out.road_km.peak, out.road_km.peak_at_h, out.road_km.mean];
        for (running, value) in self.road.iter_mut().zip(road) {
            running.add(value);
        }
        for (running, &value) in self.observations.iter_mut().zip(&out.observations) {
            running.add(value);
        }
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
                d.cohorts.push(Durations::default());
            }
            // A period this replication did not reach: none recorded there.
            let mut cohorts = cohorts.into_iter();
            for cohort in &mut d.cohorts {
                cohort.add(cohorts.next().unwrap_or_default());
            }
        }
        self.added += 1;
    }

    /// The report of the replications taken.
    pub fn finish(mut self) -> Report {
        assert!(self.added > 0, "at least one replication");
        assert_eq!(self.added, self.replications, "every replication announced");
        let sc = self.sc;
        // The cohorts' histograms are the largest thing the fold holds (a
        // mode's, up to `MAX_PERIODS` of them): summarised first and let
        // go, they are not held beside the rest of the report.
        let cohorts = cohort_reports(sc, &self.durations);
        for d in &mut self.durations {
            d.cohorts = Vec::new();
        }
        let cal = &sc.calendar;
        let [peak_km, peak_at_h, mean_km] = self.road.map(|r| r.estimate());
        Report {
            borderq_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: sc.name.clone(),
            seed: sc.seed,
            replications: self.replications,
            band_replications: self.series.ranked() as u32,
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
                queue_peak_km: peak_km,
                queue_peak_at_h: peak_at_h,
                queue_mean_km: mean_km,
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
        let (sc, f, d) = (self.sc, &self.modes[m], &self.durations[m]);
        let stages = sc
            .stages
            .iter()
            .enumerate()
            .filter(|(_, st)| st.groups.iter().any(|g| sc.groups[g.0].serves(ModeId(m))))
            .map(|(s, st)| {
                let [mean, peak] = f.stage_queue[s];
                let report = ModeStageReport {
                    wait_min: d.stages[s].summary(),
                    queue_mean_units: mean.estimate(),
                    queue_peak_units: peak.estimate(),
                };
                (st.name.clone(), report)
            })
            .collect();
        let period = period_width(sc);
        let per_day = f
            .per_day
            .iter()
            .enumerate()
            .map(|(i, day)| DayReport {
                date: sc.calendar.date_label(SimTime(i as u64 * period.0)),
                days: period.as_days(),
                arrived_units: day.arrived_units.estimate(),
                balked_units: day.balked_units.estimate(),
                reneged_units: day.reneged_units.estimate(),
                switched_units: day.switched_units.estimate(),
                switched_persons: day.switched_persons.estimate(),
                jumped_units: day.jumped_units.estimate(),
                crossed_units: day.crossed_units.estimate(),
                crossed_persons: day.crossed_persons.estimate(),
            })
            .collect();
        ModeReport {
            wait_min: d.wait.summary(),
            sojourn_min: d.sojourn.summary(),
            queue_peak_units: f.queue_peak_units.estimate(),
            queue_peak_km: f.queue_peak_km.estimate(),
            queue_peak_at_h: f.queue_peak_at_h.estimate(),
            queue_mean_units: f.queue_mean_units.estimate(),
            queue_mean_km: f.queue_mean_km.estimate(),
            arrived_units: f.arrived_units.estimate(),
            arrived_persons: f.arrived_persons.estimate(),
            crossed_units: f.crossed_units.estimate(),
            crossed_persons: f.crossed_persons.estimate(),
            initial_units: f.initial_units.estimate(),
            balked_units: f.balked_units.estimate(),
            reneged_units: f.reneged_units.estimate(),
            switched_units: f.switched_units.estimate(),
            switched_persons: f.switched_persons.estimate(),
            switched_to: sc.modes[m]
                .behaviour
                .switching
                .as_ref()
                .map(|s| sc.modes[s.to.0].name.clone()),
            switched_in_units: f.switched_in_units.estimate(),
            sent_away_units: f.sent_away_units.estimate(),
            jumped_units: f.jumped_units.estimate(),
            jumper_wait_min: d.jumper_wait.summary(),
            in_system_units: f.in_system_units.estimate(),
            stages: Named(stages),
            per_day,
        }
    }

    /// Stage `s`'s booth use across replications.
    fn stage_report(&self, s: usize) -> StageReport {
        let (sc, f) = (self.sc, &self.stages[s]);
        let groups = sc.stages[s]
            .groups
            .iter()
            .zip(&f.groups)
            .map(|(g, used)| (sc.groups[g.0].name.clone(), used.estimate()))
            .collect();
        StageReport {
            utilisation: f.utilisation.estimate(),
            groups: Named(groups),
        }
    }

    /// Observation `i` beside the replications' values.
    fn observation_report(&self, i: usize) -> ObservationReport {
        let (sc, cal) = (self.sc, &self.sc.calendar);
        let o = &sc.observations[i];
        let simulated = self.observations[i].estimate();
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
