//! The report of a run: means with 95% intervals for every summary figure,
//! percentiles from merged histograms, time series with 5–95% bands, waits by
//! arrival cohort, and the fit to observations. Plain data, serialised as
//! `summary.json`; [`aggregate`] folds replications into it.

mod aggregate;
mod series;

pub use aggregate::{aggregate, Fold};
pub use series::BAND_REPLICATIONS;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::stats::{Estimate, Histogram};

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
    /// From all replications' values in one histogram, and the estimate of
    /// the replications' means.
    fn new<const BITS: u32>(all: &Histogram<BITS>, e: Estimate) -> DurationSummary {
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

impl ObservationReport {
    /// Whether the model has a figure to compare: false for a report the run
    /// ends before (a level after its end, a period it does not finish).
    pub fn compared(&self) -> bool {
        !self.simulated.mean.is_nan()
    }
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
    /// The replications the time series' 5–95% ranges are over (the p5 and
    /// p95 columns of `timeseries.csv`, the charts' bands): all of them, or
    /// the first [`BAND_REPLICATIONS`] of a longer run. Means are over all.
    pub band_replications: u32,
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
    /// The crossings after which a replication stops, if the scenario sets them.
    #[serde(skip)]
    pub end_after_crossings: Option<u64>,
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
