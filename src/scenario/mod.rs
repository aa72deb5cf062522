//! Scenarios: the TOML file, its validation, and the typed, immutable [`Scenario`]
//! the engine runs. The key-by-key reference is `docs/scenario-format.md`.

pub mod behaviour;
pub mod dist;
pub mod error;
mod load;
pub mod reader;
pub mod tree;

use std::path::Path;

pub use behaviour::{Abandoned, Balk, Behaviour, Switching};
pub use dist::{Duration, People};
pub use error::{Problem, ScenarioError};

use crate::time::{Calendar, SimTime};

/// Index of a mode in [`Scenario::modes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ModeId(pub usize);

/// Index of a stage in [`Scenario::stages`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StageId(pub usize);

/// Index of a booth group in [`Scenario::groups`] (groups of all stages, in order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub usize);

/// A validated scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Human-readable name.
    pub name: String,
    /// Maps simulated time to dates.
    pub calendar: Calendar,
    /// How long one replication runs.
    pub horizon: SimTime,
    /// Master seed of the random streams.
    pub seed: u64,
    /// Default number of replications.
    pub replications: u32,
    /// Interval between time-series samples.
    pub sample_interval: SimTime,
    /// Stop a replication early once this many units have crossed (optional).
    pub end_after_crossings: Option<u64>,
    /// Statistics of waits and queues start after this time (steady-state studies).
    pub warmup: SimTime,
    /// Traveller classes.
    pub modes: Vec<Mode>,
    /// Arrival rate over time, one per mode (index = [`ModeId`]).
    pub arrivals: Vec<Arrivals>,
    /// Units of each mode already waiting on the approach at time zero.
    pub initial_queue: Vec<u32>,
    /// Control stages in the order travellers pass them.
    pub stages: Vec<Stage>,
    /// Booth groups of all stages.
    pub groups: Vec<BoothGroup>,
    /// Rows of standing traffic on the approach road at the start.
    pub road_rows: f64,
    /// Timed policy changes, sorted by time (ties keep file order).
    pub events: Vec<PolicyEvent>,
    /// Reported figures to compare against.
    pub observations: Vec<Observation>,
    /// The sweep this scenario carries (`[sweep]`), used when `borderq sweep` gets no `--vary`.
    pub sweep: Option<SweepSpec>,
}

/// A sweep held in a scenario file.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// `KEY=VALUES` specs, as for `--vary`.
    pub vary: Vec<String>,
    /// Replications per point, if given.
    pub replications: Option<u32>,
}

/// Whether a mode is a vehicle on the road or a person on foot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeKind {
    /// Queues on the road; its queue length in km uses the road's rows.
    Vehicle,
    /// Queues on the footpath, in single file.
    Foot,
}

/// A traveller class: car, bus, bicycle, pedestrian, ...
#[derive(Clone, Debug)]
pub struct Mode {
    /// The name used in the file and in outputs.
    pub name: String,
    /// Vehicle or on foot.
    pub kind: ModeKind,
    /// Road (or path) length one waiting unit takes, in metres.
    pub space_m: f64,
    /// People carried per unit.
    pub people: People,
    /// Patience, balking and switching.
    pub behaviour: Behaviour,
}

/// A piecewise-constant arrival rate: `segments[i] = (start, rate per minute)`,
/// sorted, the first starting at zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Arrivals {
    /// `(start time, arrivals per minute)` pairs.
    pub segments: Vec<(SimTime, f64)>,
}

impl Arrivals {
    /// The rate per minute in force at `t`.
    pub fn rate_at(&self, t: SimTime) -> f64 {
        let i = self.segments.partition_point(|&(s, _)| s <= t);
        if i == 0 {
            0.0
        } else {
            self.segments[i - 1].1
        }
    }
}

/// A control stage (one country's exit or entry control).
#[derive(Clone, Debug)]
pub struct Stage {
    /// Name (`ru-exit`).
    pub name: String,
    /// Its booth groups, as indices into [`Scenario::groups`].
    pub groups: Vec<GroupId>,
    /// Most units that may wait at this stage (the zone before it); when full,
    /// units finishing the stage before cannot leave their booth.
    pub buffer: Option<u32>,
}

/// Booths with one service rule.
#[derive(Clone, Debug)]
pub struct BoothGroup {
    /// Name (`cars`).
    pub name: String,
    /// The stage it belongs to.
    pub stage: StageId,
    /// Booths open at the start.
    pub count: u32,
    /// Service time per mode (`None` where the group does not serve the mode).
    pub service: Vec<Option<Duration>>,
    /// Extra service time per person carried, in minutes.
    pub per_person_min: f64,
    /// Service speed: service times are divided by it (`service_speed` × the
    /// group's `capacity_per_day` adjustment; 1 = as written).
    pub speed: f64,
    /// Booths by time of day, `(minute of day, count)`, repeating daily (empty: none).
    pub schedule: Vec<(u32, u32)>,
    /// Share of arriving units that skip this group's queue (served first).
    pub jump_share: f64,
}

impl BoothGroup {
    /// Whether the group serves the mode.
    pub fn serves(&self, m: ModeId) -> bool {
        self.service[m.0].is_some()
    }
}

/// A timed change of the rules.
#[derive(Clone, Debug)]
pub struct PolicyEvent {
    /// When it takes effect.
    pub at: SimTime,
    /// What to call it on charts (`walking allowed`).
    pub label: String,
    /// What changes.
    pub action: Action,
}

/// What a policy event changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Set the number of open booths of a group.
    SetBooths {
        /// The group.
        group: GroupId,
        /// Booths open from now on.
        count: u32,
    },
    /// Set the factor on service times of booth groups (all their modes or one).
    ScaleService {
        /// The groups: one named group, or every group (of a stage, or of all
        /// stages) that serves `mode`.
        groups: Vec<GroupId>,
        /// Only this mode, or all modes the group serves.
        mode: Option<ModeId>,
        /// Factor on the file's service times (2 = twice as slow).
        factor: f64,
    },
    /// Set the factor on a mode's arrival rate.
    ScaleArrivals {
        /// The mode.
        mode: ModeId,
        /// Factor on the file's arrival profile.
        factor: f64,
    },
    /// Set the rows of standing traffic on the approach road.
    SetRows {
        /// Rows from now on.
        rows: f64,
    },
    /// Close a stage: no service starts until it reopens.
    CloseStage {
        /// The stage.
        stage: StageId,
    },
    /// Reopen a closed stage.
    OpenStage {
        /// The stage.
        stage: StageId,
    },
    /// Stop serving a mode at a stage.
    Forbid {
        /// The stage.
        stage: StageId,
        /// The mode.
        mode: ModeId,
        /// Whether those waiting there are sent away (else they wait).
        send_away: bool,
    },
    /// Serve a mode at a stage again.
    Allow {
        /// The stage.
        stage: StageId,
        /// The mode.
        mode: ModeId,
    },
}

/// A reported figure to compare the simulation with.
#[derive(Clone, Debug)]
pub struct Observation {
    /// What was measured.
    pub metric: Metric,
    /// For which mode (`None`: all vehicles for km, all modes otherwise).
    pub mode: Option<ModeId>,
    /// When (for a count over a period: its start).
    pub at: SimTime,
    /// End of the period, for counts.
    pub until: Option<SimTime>,
    /// The reported value.
    pub value: f64,
    /// Half-width of the band within which the model is said to agree.
    pub tolerance: f64,
    /// Where the figure comes from.
    pub source: String,
    /// A short label for charts (`15 km, Yandex Maps`).
    pub label: String,
}

/// Observable quantities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Queue length on the approach in km, at a time.
    QueueKm,
    /// Units waiting on the approach, at a time.
    QueueUnits,
    /// People who left the last stage during a period.
    CrossedPersons,
    /// Units that left the last stage during a period.
    CrossedUnits,
}

impl Metric {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            Metric::QueueKm => "queue_km",
            Metric::QueueUnits => "queue_units",
            Metric::CrossedPersons => "crossed_persons",
            Metric::CrossedUnits => "crossed_units",
        }
    }

    /// Whether it is a count over a period (rather than a level at a time).
    pub fn is_period(self) -> bool {
        matches!(self, Metric::CrossedPersons | Metric::CrossedUnits)
    }
}

/// Samples a short run takes by default: an hourly series would hold one or
/// two points for a run of an hour or two.
const SHORT_RUN_SAMPLES: u64 = 100;

/// The sampling interval when the scenario gives none: hourly, or a
/// hundredth of a horizon under 100 hours (at least a second).
pub fn default_sample_interval(horizon: SimTime) -> SimTime {
    let hourly = SimTime::from_min(60.0);
    let short = SimTime((horizon.0 / SHORT_RUN_SAMPLES).max(SimTime::from_min(1.0 / 60.0).0));
    hourly.min(short)
}

/// The largest scenario file read: the shipped ones are a few kilobytes, and
/// a path to an endless stream (a device, a pipe) must not be read forever.
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads a scenario file's text: UTF-8, at most [`MAX_FILE_BYTES`].
pub fn read_text(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {} MiB", MAX_FILE_BYTES >> 20),
        ));
    }
    Ok(text)
}

impl Scenario {
    /// Reads, overrides (`--set KEY=VALUE`, in order) and validates a scenario file.
    ///
    /// ```
    /// let s = borderq::Scenario::load("scenarios/mmc.toml".as_ref(), &[]).unwrap();
    /// assert_eq!(s.modes.len(), 1);
    /// ```
    pub fn load(path: &Path, overrides: &[String]) -> Result<Scenario, ScenarioError> {
        let text = match read_text(path) {
            Ok(t) => t,
            Err(e) => {
                return Err(ScenarioError {
                    file: path.to_path_buf(),
                    text: String::new(),
                    io: Some(e),
                    problems: Vec::new(),
                })
            }
        };
        Scenario::from_toml(&text, overrides).map_err(|problems| ScenarioError {
            file: path.to_path_buf(),
            text,
            io: None,
            problems,
        })
    }

    /// Parses, overrides and validates scenario text; every problem is returned at once.
    pub fn from_toml(text: &str, overrides: &[String]) -> Result<Scenario, Vec<Problem>> {
        let root = tree::parse_document(text).map_err(|p| vec![p])?;
        Scenario::from_tree(root, overrides)
    }

    /// [`Scenario::from_toml`] of a document already parsed
    /// ([`tree::parse_document`]): a sweep parses its file once and builds
    /// each point's scenario from a copy.
    pub fn from_tree(mut root: tree::Node, overrides: &[String]) -> Result<Scenario, Vec<Problem>> {
        let mut problems = Vec::new();
        for o in overrides {
            if let Err(p) = tree::apply_override(&mut root, o) {
                problems.push(p);
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        load::scenario(&root)
    }

    /// How many modes are vehicles, queueing on the road (0: no road queue).
    pub fn vehicle_modes(&self) -> usize {
        self.modes
            .iter()
            .filter(|m| m.kind == ModeKind::Vehicle)
            .count()
    }

    /// The label `stage/group` of a booth group.
    pub fn group_label(&self, g: GroupId) -> String {
        let grp = &self.groups[g.0];
        format!("{}/{}", self.stages[grp.stage.0].name, grp.name)
    }

    /// Expected units per replication: the arrival profiles integrated over
    /// the horizon, plus the standing queues.
    pub fn expected_units(&self) -> f64 {
        let h = self.horizon.0;
        let arrivals: f64 = self
            .arrivals
            .iter()
            .map(|a| {
                a.segments
                    .iter()
                    .enumerate()
                    .map(|(i, &(start, rate))| {
                        let end = a.segments.get(i + 1).map_or(h, |n| n.0 .0.min(h));
                        rate * end.saturating_sub(start.0) as f64 / 60e6
                    })
                    .sum::<f64>()
            })
            .sum();
        arrivals
            + self
                .initial_queue
                .iter()
                .map(|&q| f64::from(q))
                .sum::<f64>()
    }

    /// Expected events per replication (an arrival and one service end per
    /// stage a unit passes, over the whole horizon): for refusing runs that
    /// would take hours before they start.
    pub fn expected_events(&self) -> f64 {
        let stages_passed = self
            .modes
            .iter()
            .enumerate()
            .map(|(m, _)| {
                self.stages
                    .iter()
                    .filter(|s| s.groups.iter().any(|g| self.groups[g.0].serves(ModeId(m))))
                    .count()
            })
            .max()
            .unwrap_or(1) as f64;
        // No credit for `end_after_crossings`: an overloaded queue may never reach it.
        self.expected_units() * (1.0 + stages_passed)
            + (self.horizon.0 / self.sample_interval.0.max(1)) as f64
    }
}
