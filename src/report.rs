//! Folding replications, in replication order, into one [`Report`]: means with
//! 95% intervals for every summary figure, percentiles from merged histograms,
//! time series with 5–95% bands, waits by arrival cohort, and the fit to
//! observations. Plain data, serialised as `summary.json`.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::engine::{period_width, ModeColumn, Outcome, SeriesLayout};
use crate::scenario::Scenario;
use crate::stats::{CoarseHistogram, Estimate, Histogram};
use crate::time::SimTime;

/// A list serialised as a JSON object keyed by name, in list order.
#[derive(Clone, Debug)]
pub struct Named<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<T> Named<T> {
    /// The value with this name.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

/// Durations of one kind (waits or sojourns), in minutes.
#[derive(Clone, Debug, Serialize)]
pub struct DurationSummary {
    /// Mean of the replications' means.
    pub mean: f64,
    /// 95% interval of that mean.
    pub ci95: [f64; 2],
    /// Median of all values of all replications (merged histogram).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
    /// Number of values, all replications.
    pub count: u64,
}

impl DurationSummary {
    fn new<const BITS: u32>(per_rep: &[&Histogram<BITS>]) -> DurationSummary {
        let mut all = Histogram::new();
        for h in per_rep {
            all.merge(h);
        }
        let means: Vec<f64> = per_rep.iter().map(|h| h.mean_min()).collect();
        let e = Estimate::of(&means);
        DurationSummary {
            mean: e.mean,
            ci95: e.ci95,
            p50: all.quantile_min(0.50),
            p90: all.quantile_min(0.90),
            p95: all.quantile_min(0.95),
            p99: all.quantile_min(0.99),
            max: all.max_min(),
            count: all.count(),
        }
    }
}

/// One stage as seen by one mode.
#[derive(Clone, Debug, Serialize)]
pub struct ModeStageReport {
    /// Wait at this stage.
    pub wait_min: DurationSummary,
    /// Time-average units waiting.
    pub queue_mean_units: Estimate,
    /// Most units waiting.
    pub queue_peak_units: Estimate,
}

/// What happened to a mode on one calendar day (units, and people where said).
#[derive(Clone, Debug, Serialize)]
pub struct DayReport {
    /// The date (`2022-09-27`) the period starts.
    pub date: String,
    /// The period's length in days (1 for horizons up to 60 days).
    pub days: f64,
    /// Units arrived.
    pub arrived_units: Estimate,
    /// Units that did not join.
    pub balked_units: Estimate,
    /// Units that gave up and turned back.
    pub reneged_units: Estimate,
    /// Vehicles left by their occupants for another mode.
    pub switched_units: Estimate,
    /// People who left their vehicle.
    pub switched_persons: Estimate,
    /// Units that skipped the queue.
    pub jumped_units: Estimate,
    /// Units crossed.
    pub crossed_units: Estimate,
    /// People crossed.
    pub crossed_persons: Estimate,
}

/// Everything about one mode.
#[derive(Clone, Debug, Serialize)]
pub struct ModeReport {
    /// Total wait over all stages, of units served at their last stage (their wait complete).
    pub wait_min: DurationSummary,
    /// Arrival to leaving the last stage, of units that crossed.
    pub sojourn_min: DurationSummary,
    /// Most units waiting on the approach.
    pub queue_peak_units: Estimate,
    /// The approach queue at its longest, in km.
    pub queue_peak_km: Estimate,
    /// When the approach queue was longest, in hours from the start.
    pub queue_peak_at_h: Estimate,
    /// Time-average units waiting on the approach.
    pub queue_mean_units: Estimate,
    /// Time-average approach queue in km.
    pub queue_mean_km: Estimate,
    /// Units arrived.
    pub arrived_units: Estimate,
    /// People arrived.
    pub arrived_persons: Estimate,
    /// Units crossed.
    pub crossed_units: Estimate,
    /// People crossed.
    pub crossed_persons: Estimate,
    /// Units already waiting at the start.
    pub initial_units: Estimate,
    /// Units that did not join a long queue.
    pub balked_units: Estimate,
    /// Units that gave up and turned back.
    pub reneged_units: Estimate,
    /// Vehicles whose occupants left them for another mode.
    pub switched_units: Estimate,
    /// People who left their vehicles.
    pub switched_persons: Estimate,
    /// The mode they switched to.
    pub switched_to: Option<String>,
    /// Units (people on foot) that came from another mode.
    pub switched_in_units: Estimate,
    /// Units sent away by a rule change.
    pub sent_away_units: Estimate,
    /// Units that skipped the queue.
    pub jumped_units: Estimate,
    /// Total wait of those who skipped the queue.
    pub jumper_wait_min: DurationSummary,
    /// Units still waiting, walking or in service at the end.
    pub in_system_units: Estimate,
    /// Per stage on the route.
    pub stages: Named<ModeStageReport>,
    /// Per day.
    pub per_day: Vec<DayReport>,
}

/// Booth use at one stage.
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    /// Busy booth time over open booth time.
    pub utilisation: Estimate,
    /// The same per booth group.
    pub groups: Named<Estimate>,
}

/// A reported figure beside its simulated value.
#[derive(Clone, Debug, Serialize)]
pub struct ObservationReport {
    /// What was measured.
    pub metric: String,
    /// For which mode (`null`: all).
    pub mode: Option<String>,
    /// When (start of the period, for counts), as a calendar date-time.
    pub at: String,
    /// End of the period, for counts.
    pub until: Option<String>,
    /// When, in hours from the start.
    pub at_h: f64,
    /// End of the period in hours from the start, for counts.
    pub until_h: Option<f64>,
    /// The reported value.
    pub observed: f64,
    /// The agreed half-width.
    pub tolerance: f64,
    /// The simulated mean with its 95% interval.
    pub simulated: Estimate,
    /// Whether the simulated mean lies within observed ± tolerance.
    pub within: bool,
    /// Where the figure comes from.
    pub source: String,
    /// Chart label.
    pub label: String,
}

/// A policy event, for tables and charts.
#[derive(Clone, Debug, Serialize)]
pub struct EventReport {
    /// When, as a calendar date-time.
    pub at: String,
    /// When, in hours from the start.
    pub at_h: f64,
    /// Its label.
    pub label: String,
}

/// The road queue of all vehicles.
#[derive(Clone, Debug, Serialize)]
pub struct RoadReport {
    /// At its longest, in km.
    pub queue_peak_km: Estimate,
    /// When, in hours from the start.
    pub queue_peak_at_h: Estimate,
    /// Time-average, in km.
    pub queue_mean_km: Estimate,
}

/// The aggregated result of a run: what `summary.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// borderq version that produced it.
    pub borderq_version: String,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Number of replications.
    pub replications: u32,
    /// Calendar start.
    pub start: String,
    /// Horizon in hours.
    pub horizon_h: f64,
    /// Warm-up in hours (statistics of waits and queues start after it).
    pub warmup_h: f64,
    /// Per mode.
    pub modes: Named<ModeReport>,
    /// Per stage.
    pub stages: Named<StageReport>,
    /// All vehicles on the road.
    pub road: RoadReport,
    /// Reported figures beside the model.
    pub observations: Vec<ObservationReport>,
    /// Policy events.
    pub events: Vec<EventReport>,
    /// Time series (written to `timeseries.csv`, not to `summary.json`).
    #[serde(skip)]
    pub series: SeriesReport,
    /// Waits by arrival cohort (written to `waits.csv`).
    #[serde(skip)]
    pub cohorts: Vec<CohortReport>,
    /// Per mode, the distribution of waits of all replications: `(minutes, share at or below)`.
    #[serde(skip)]
    pub wait_cdf: Vec<(String, Vec<(f64, f64)>)>,
    /// The scenario's calendar, for dates on charts.
    #[serde(skip)]
    pub calendar: crate::time::Calendar,
    /// How many modes are vehicles (on the road).
    #[serde(skip)]
    pub vehicle_modes: usize,
}

/// One time-series column across replications.
#[derive(Clone, Debug, Default)]
pub struct Band {
    /// Column name with unit (`car_queue_km`).
    pub name: String,
    /// Mean per sample time.
    pub mean: Vec<f64>,
    /// Whether the column has a 5–95% range across replications (the
    /// columns drawn as bands; counts are shown as means only).
    pub ranged: bool,
    /// 5th and 95th percentiles across replications of a ranged column; not
    /// kept for one replication, where they are the mean (see [`Band::p5`]).
    p5: Vec<f64>,
    p95: Vec<f64>,
}

impl Band {
    /// 5th percentile across replications per sample time (empty for counts).
    pub fn p5(&self) -> &[f64] {
        self.range_or_mean(&self.p5)
    }

    /// 95th percentile across replications per sample time (empty for counts).
    pub fn p95(&self) -> &[f64] {
        self.range_or_mean(&self.p95)
    }

    fn range_or_mean<'a>(&'a self, q: &'a [f64]) -> &'a [f64] {
        if self.ranged && q.is_empty() {
            &self.mean
        } else {
            q
        }
    }
}

/// The time series, aggregated.
#[derive(Clone, Debug, Default)]
pub struct SeriesReport {
    /// Sample times, hours from the start.
    pub times_h: Vec<f64>,
    /// Calendar date-times of the samples.
    pub datetimes: Vec<String>,
    /// Per mode: queue units, queue km, then so far: units crossed, people
    /// crossed, units balked, reneged, and vehicles left for another mode.
    pub modes: Vec<[Band; 7]>,
    /// All vehicles' queue in km.
    pub road_km: Band,
    /// Per stage: booth utilisation over the interval before each sample.
    pub utilisation: Vec<Band>,
}

/// Waits of the people who joined the queue in one cohort.
#[derive(Clone, Debug)]
pub struct CohortReport {
    /// The mode.
    pub mode: String,
    /// Start of the cohort (date).
    pub start: String,
    /// Start, hours from the scenario's start.
    pub start_h: f64,
    /// Width in days.
    pub days: f64,
    /// Total wait of those served at their last stage by the end.
    pub wait: DurationSummary,
}

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
        vehicle_modes: sc
            .modes
            .iter()
            .filter(|m| m.kind == crate::scenario::ModeKind::Vehicle)
            .count(),
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
