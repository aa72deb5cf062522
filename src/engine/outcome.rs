//! What one replication produces: plain data, merged later in replication order.

use serde::{Deserialize, Serialize};

use crate::scenario::Scenario;
use crate::stats::{CoarseHistogram, Histogram, LevelSummary};
use crate::time::{SimTime, US_PER_DAY};

/// The most periods (of daily counts, and of arrival cohorts) kept per mode;
/// longer horizons get periods of several days.
pub const MAX_PERIODS: u64 = 60;

/// The width of a counting period and arrival cohort: one day, or a whole
/// number of days for horizons over [`MAX_PERIODS`] days, so that memory does
/// not grow with the horizon.
pub fn period_width(scenario: &Scenario) -> SimTime {
    let days = scenario.horizon.0.div_ceil(US_PER_DAY).max(1);
    SimTime(days.div_ceil(MAX_PERIODS) * US_PER_DAY)
}

/// Units and the people they carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// Vehicles, or people on foot.
    pub units: u64,
    /// People.
    pub persons: u64,
}

impl std::ops::AddAssign for Count {
    fn add_assign(&mut self, other: Count) {
        self.units += other.units;
        self.persons += other.persons;
    }
}

impl DayCounts {
    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &DayCounts) {
        self.arrived += other.arrived;
        self.balked += other.balked;
        self.reneged += other.reneged;
        self.switched += other.switched;
        self.jumped += other.jumped;
        self.crossed += other.crossed;
    }
}

impl Count {
    /// Adds one unit carrying `persons` people.
    #[inline]
    pub fn add(&mut self, persons: u32) {
        self.units += 1;
        self.persons += u64::from(persons);
    }
}

/// What happened to a mode's units on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// Arrived at the tail of the queue.
    pub arrived: Count,
    /// Did not join a long queue.
    pub balked: Count,
    /// Gave up waiting and turned back.
    pub reneged: Count,
    /// Left their vehicle to continue in another mode (vehicles, and the people in them).
    pub switched: Count,
    /// Skipped the queue.
    pub jumped: Count,
    /// Left the last stage.
    pub crossed: Count,
}

/// One mode's results in one replication.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ModeOutcome {
    /// Total wait over all stages, recorded when a unit starts service at its
    /// last stage (so its wait is complete), for units that arrived after the warm-up.
    pub wait: Histogram,
    /// Arrival to leaving the last stage, of units that crossed (after the warm-up).
    pub sojourn: Histogram,
    /// Wait at each stage (empty for stages not on the mode's route).
    pub stage_wait: Vec<Histogram>,
    /// Units waiting at each stage.
    pub stage_queue: Vec<LevelSummary>,
    /// Units waiting on the approach (before the first stage on the route).
    pub queue: LevelSummary,
    /// The approach queue in km.
    pub queue_km: LevelSummary,
    /// Waits of the units that skipped the queue (also counted in `wait`).
    pub jumper_wait: Histogram,
    /// Arrived during the replication.
    pub arrived: Count,
    /// Already waiting at time zero.
    pub initial: Count,
    /// Came from another mode (occupants who left their vehicle).
    pub switched_in: Count,
    /// Left the last stage.
    pub crossed: Count,
    /// Did not join.
    pub balked: Count,
    /// Gave up and turned back.
    pub reneged: Count,
    /// Left their vehicle for another mode.
    pub switched_out: Count,
    /// Sent away by a rule change (`forbid_mode` with `queued = "sent_away"`).
    pub sent_away: Count,
    /// Skipped the queue.
    pub jumped: Count,
    /// Still waiting, walking, or in service at the end.
    pub in_system: Count,
    /// Counts per period of [`period_width`] (a calendar day for horizons up to 60 days).
    pub per_day: Vec<DayCounts>,
    /// Total wait by arrival cohort (see [`period_width`]), recorded like
    /// `wait`: one per period the horizon spans, empty where no wait was recorded.
    pub cohorts: Vec<CoarseHistogram>,
}

/// One stage's results in one replication.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StageOutcome {
    /// Busy booth time over open booth time, all groups.
    pub utilisation: f64,
    /// The same per booth group, in the stage's group order.
    pub group_utilisation: Vec<f64>,
}

/// Samples at the scenario's sample interval, one row per sample time
/// (`k × interval`, from 0 to the end), columns as [`SeriesLayout`] says.
/// Kept column by column, so that a report can take a column whole.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Series {
    /// Each column's values, one per row; every column has every row.
    pub columns: Vec<Vec<f64>>,
}

impl Series {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }

    /// The value of column `column` in row `row`.
    pub fn value(&self, row: usize, column: usize) -> f64 {
        self.columns[column][row]
    }
}

/// The column positions of a [`Series`].
#[derive(Clone, Copy, Debug)]
pub struct SeriesLayout {
    modes: usize,
    stages: usize,
}

/// Per-mode series columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeColumn {
    /// Units waiting on the approach.
    QueueUnits = 0,
    /// The approach queue in km.
    QueueKm = 1,
    /// Units crossed so far.
    CrossedUnits = 2,
    /// People crossed so far.
    CrossedPersons = 3,
    /// Units that did not join, so far.
    Balked = 4,
    /// Units that gave up, so far.
    Reneged = 5,
    /// Vehicles left for another mode, so far.
    Switched = 6,
}

impl ModeColumn {
    /// Every per-mode column, in column order.
    pub const ALL: [ModeColumn; 7] = [
        ModeColumn::QueueUnits,
        ModeColumn::QueueKm,
        ModeColumn::CrossedUnits,
        ModeColumn::CrossedPersons,
        ModeColumn::Balked,
        ModeColumn::Reneged,
        ModeColumn::Switched,
    ];

    /// The column's name after the mode's (`car_queue_km`), with its unit.
    pub fn suffix(self) -> &'static str {
        match self {
            ModeColumn::QueueUnits => "queue_units",
            ModeColumn::QueueKm => "queue_km",
            ModeColumn::CrossedUnits => "crossed_units",
            ModeColumn::CrossedPersons => "crossed_persons",
            ModeColumn::Balked => "balked_units",
            ModeColumn::Reneged => "reneged_units",
            ModeColumn::Switched => "switched_units",
        }
    }
}

impl SeriesLayout {
    const PER_MODE: usize = ModeColumn::ALL.len();

    /// The layout for a scenario.
    pub fn new(scenario: &Scenario) -> SeriesLayout {
        SeriesLayout {
            modes: scenario.modes.len(),
            stages: scenario.stages.len(),
        }
    }

    /// Columns per row.
    pub fn columns(&self) -> usize {
        self.modes * Self::PER_MODE + 1 + self.stages
    }

    /// The column of a per-mode figure.
    pub fn mode(&self, m: usize, c: ModeColumn) -> usize {
        m * Self::PER_MODE + c as usize
    }

    /// The column of the road queue (all vehicle modes) in km.
    pub fn road_km(&self) -> usize {
        self.modes * Self::PER_MODE
    }

    /// The column of a stage's booth utilisation over the preceding interval.
    pub fn stage_utilisation(&self, s: usize) -> usize {
        self.modes * Self::PER_MODE + 1 + s
    }
}

/// Everything one replication produces.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Outcome {
    /// When the replication ended (the horizon, or earlier with `end_after_crossings`).
    pub end: SimTime,
    /// Events handled (arrivals, service ends, policy changes).
    pub events: u64,
    /// Per mode.
    pub modes: Vec<ModeOutcome>,
    /// Per stage.
    pub stages: Vec<StageOutcome>,
    /// The road queue of all vehicle modes, in km.
    pub road_km: LevelSummary,
    /// Time series.
    pub series: Series,
    /// The simulated value of each observation (NaN if it lies after the end).
    pub observations: Vec<f64>,
    /// Time-average number waiting at all stages (after the warm-up).
    pub waiting_mean: f64,
    /// Stage visits served, of units that arrived after the warm-up (the
    /// counts of the stage-wait histograms).
    pub served_visits: u64,
    /// Sum of the waits of those visits, in minutes.
    pub served_wait_sum_min: f64,
    /// All time spent waiting in queues (served, gone, and still waiting at
    /// the end), in minutes: by Little's law, `waiting_mean` × the run's length.
    pub queue_time_min: f64,
    /// Services that started out of arrival order within a queue (always 0).
    pub fifo_violations: u64,
}

impl ModeOutcome {
    /// Units and people in = out + still present: `arrived + initial +
    /// switched_in = crossed + balked + reneged + switched_out + sent_away +
    /// in_system`. Returns the two sides, for units and for people.
    pub fn balance(&self) -> [(u64, u64); 2] {
        let inflow = [self.arrived, self.initial, self.switched_in];
        let outflow = [
            self.crossed,
            self.balked,
            self.reneged,
            self.switched_out,
            self.sent_away,
            self.in_system,
        ];
        let sum = |cs: &[Count], f: fn(&Count) -> u64| cs.iter().map(f).sum::<u64>();
        [
            (sum(&inflow, |c| c.units), sum(&outflow, |c| c.units)),
            (sum(&inflow, |c| c.persons), sum(&outflow, |c| c.persons)),
        ]
    }
}
