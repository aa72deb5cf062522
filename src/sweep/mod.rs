//! Sweeps: every combination of swept values (a point) run for the same
//! replications, in parallel with rayon or split into shards for a cluster's
//! scheduler, aggregated in plan order so the bytes never depend on the
//! thread count or the shard split.
//!
//! Common random numbers: replication r of every point derives its streams
//! from (seed, r), and each unit draws its service seed on arrival, so every
//! point sees the same arrivals and the same per-unit draws. Differences
//! between points are then far less noisy than the points themselves.
//! `independent` gives each task its own streams instead.
//!
//! Here: the metrics a task records and the plan's preparation; in
//! [`plan`] the grid, in [`records`] the shard files, in `shard` a shard's
//! run, in `fold` the report folded from the records and the merge.

mod fold;
pub mod plan;
pub mod records;
mod shard;

use std::path::Path;

pub use fold::{merge, SweepFold, SweepReport};
pub use plan::{parse_axes, Axis, Plan, DEFAULT_MAX_POINTS};
pub use records::{shard_file, Header, Record, RecordError, ShardReader, ShardWriter};
pub use shard::{run_shard, Shard};

use crate::engine::{ModeOutcome, Outcome};
use crate::scenario::{Problem, Scenario};

/// Why a sweep could not run or merge.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A point's scenario is invalid.
    #[error("{label}: {message}")]
    Point {
        /// The point.
        label: String,
        /// The problems.
        message: String,
    },
    /// A shard file problem.
    #[error(transparent)]
    Records(#[from] RecordError),
    /// The shard file exists and `--resume` was not given.
    #[error("{0}: exists already; add --resume to finish it, or choose another -o")]
    Exists(std::path::PathBuf),
    /// Records are missing or duplicated at merge.
    #[error("{0}")]
    Incomplete(String),
    /// The thread pool.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// A metric a sweep records for each mode: its name's suffix (after the
/// mode's name), its words and unit for charts, and its value.
struct ModeMetric {
    suffix: &'static str,
    words: &'static str,
    unit: &'static str,
    value: fn(&ModeOutcome) -> Option<f64>,
}

/// A metric a sweep records for the whole crossing.
struct WholeMetric {
    name: &'static str,
    /// Recorded only for scenarios with vehicles on the road.
    road: bool,
    words: &'static str,
    unit: &'static str,
    value: fn(&Outcome) -> Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// The metrics of each mode, in the order recorded.
const MODE_METRICS: [ModeMetric; 4] = [
    ModeMetric {
        suffix: "_wait_mean_min",
        words: "mean wait",
        unit: "min",
        value: |m| finite(m.wait.mean_min()),
    },
    ModeMetric {
        suffix: "_wait_p95_min",
        words: "95th percentile of waits",
        unit: "min",
        value: |m| finite(m.wait.quantile_min(0.95)),
    },
    ModeMetric {
        suffix: "_queue_peak_km",
        words: "peak queue",
        unit: "km",
        value: |m| finite(m.queue_km.peak),
    },
    ModeMetric {
        suffix: "_crossed_units",
        words: "units crossed",
        unit: "",
        value: |m| Some(m.crossed.units as f64),
    },
];

/// The name of the road's metric, the one a scenario without vehicles does not record.
pub const ROAD_PEAK: &str = "road_queue_peak_km";

/// The metrics of the whole crossing, recorded after every mode's.
const WHOLE_METRICS: [WholeMetric; 3] = [
    WholeMetric {
        name: ROAD_PEAK,
        road: true,
        words: "peak queue on the road",
        unit: "km",
        value: |o| finite(o.road_km.peak),
    },
    WholeMetric {
        name: "crossed_persons",
        road: false,
        words: "people crossed",
        unit: "",
        value: |o| Some(o.modes.iter().map(|m| m.crossed.persons as f64).sum()),
    },
    WholeMetric {
        name: "in_system_units_at_end",
        road: false,
        words: "units still in the system at the end",
        unit: "",
        value: |o| Some(o.modes.iter().map(|m| m.in_system.units as f64).sum()),
    },
];

/// The metrics of the whole crossing for a scenario with (`road`) or
/// without vehicles on the road: without, the road's figures are always 0.
fn whole_metrics(road: bool) -> impl Iterator<Item = &'static WholeMetric> {
    WHOLE_METRICS.iter().filter(move |k| road || !k.road)
}

/// The metric names a scenario's tasks record.
pub fn metric_names(sc: &Scenario) -> Vec<String> {
    let per_mode = sc.modes.iter().flat_map(|mode| {
        MODE_METRICS
            .iter()
            .map(move |k| format!("{}{}", mode.name, k.suffix))
    });
    per_mode
        .chain(whole_metrics(sc.vehicle_modes() > 0).map(|k| k.name.to_string()))
        .collect()
}

/// What a metric of [`metric_names`] measures, in words, and its unit (""
/// for a count): ("car mean wait", "min"). The name itself for another name.
pub fn metric_words(name: &str) -> (String, &'static str) {
    if let Some(k) = WHOLE_METRICS.iter().find(|k| k.name == name) {
        return (k.words.to_string(), k.unit);
    }
    MODE_METRICS
        .iter()
        .find_map(|k| {
            let mode = name.strip_suffix(k.suffix)?;
            Some((format!("{mode} {}", k.words), k.unit))
        })
        .unwrap_or_else(|| (name.to_string(), ""))
}

/// The metrics of one replication, in [`metric_names`] order: `road` says
/// whether the plan records the road's (its base scenario has vehicles).
pub fn metrics_of(o: &Outcome, road: bool) -> Vec<Option<f64>> {
    let per_mode = o
        .modes
        .iter()
        .flat_map(|m| MODE_METRICS.iter().map(move |k| (k.value)(m)));
    per_mode
        .chain(whole_metrics(road).map(|k| (k.value)(o)))
        .collect()
}

/// Builds the sweep's plan, every point's scenario validated up front, so
/// that a bad value fails before anything runs.
pub fn prepare(
    text: &str,
    file_name: &str,
    overrides: &[String],
    axes: Vec<Axis>,
    replications: Option<u32>,
    independent: bool,
) -> Result<Sweep, SweepError> {
    let base = Scenario::from_toml(text, overrides).map_err(|p| SweepError::Point {
        label: "the scenario".into(),
        message: problems(&p),
    })?;
    let replications = replications.unwrap_or(base.replications);
    let mut plan = Plan {
        scenario: base.name.clone(),
        scenario_file: file_name.to_string(),
        seed: base.seed,
        replications,
        overrides: overrides.to_vec(),
        axes,
        independent,
        metrics: metric_names(&base),
        version: env!("CARGO_PKG_VERSION").to_string(),
        hash: String::new(),
    };
    let described = serde_json::to_vec(&plan).expect("a plan serialises");
    plan.hash = format!("{:016x}", plan::fnv1a(&[text.as_bytes(), &described]));
    // Parsed once: the file was read as a whole above.
    let root = crate::scenario::tree::parse_document(text).map_err(|p| SweepError::Point {
        label: "the scenario".into(),
        message: problems(&[p]),
    })?;
    let sweep = Sweep { plan, root };
    for p in 0..sweep.plan.points() {
        sweep.build(p).map_err(|e| SweepError::Point {
            label: sweep
                .plan
                .task_label(p * replications as usize)
                .replace(", replication 0", ""),
            message: problems(&e),
        })?;
    }
    Ok(sweep)
}

/// A sweep ready to run: its plan, and the scenario file parsed once, from
/// which each point's scenario is built when its tasks run rather than kept
/// (about 12 KB a point for Verkhny Lars): a sweep holds only those of the
/// points in progress.
pub struct Sweep {
    /// What runs: the points, the replications, the metrics recorded.
    pub plan: Plan,
    root: crate::scenario::tree::Node,
}

impl Sweep {
    /// Point `p`'s scenario, or its problems.
    fn build(&self, p: usize) -> Result<Scenario, Vec<Problem>> {
        Scenario::from_tree(self.root.clone(), &self.plan.point_overrides(p))
    }

    /// Point `p`'s scenario, validated by [`prepare`].
    fn scenario(&self, p: usize) -> Scenario {
        self.build(p)
            .unwrap_or_else(|e| panic!("point {p} was valid in `prepare`: {}", problems(&e)))
    }
}

fn problems(p: &[Problem]) -> String {
    p.iter()
        .map(|p| {
            if p.path.is_empty() {
                p.message.clone()
            } else {
                format!("{}: {}", p.path, p.message)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Refuses a record of another plan, or one that does not fit `plan`.
fn fits(plan: &Plan, r: &Record) -> Result<(), SweepError> {
    if r.plan != plan.hash {
        return Err(SweepError::Incomplete(format!(
            "a record of another plan (hash {}, this plan {})",
            r.plan, plan.hash
        )));
    }
    if r.task >= plan.tasks() || r.metrics.len() != plan.metrics.len() {
        return Err(SweepError::Incomplete(format!(
            "task {} does not fit the plan",
            r.task
        )));
    }
    Ok(())
}

/// A record's problem, said of the file it was read from.
fn in_file(path: &Path, e: SweepError) -> SweepError {
    SweepError::Incomplete(format!("{}: {e}", path.display()))
}

/// A set of task indices, a bit each.
struct Tasks(Vec<u64>);

impl Tasks {
    /// No task yet, of `tasks`.
    fn new(tasks: usize) -> Tasks {
        Tasks(vec![0; tasks.div_ceil(64)])
    }

    /// Adds task `k` (one in the plan); false if it was there already.
    fn insert(&mut self, k: usize) -> bool {
        let (word, bit) = (&mut self.0[k / 64], 1u64 << (k % 64));
        let new = *word & bit == 0;
        *word |= bit;
        new
    }

    /// How many tasks are in the set.
    fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether task `k` is in the set; a task past the plan's never is.
    fn contains(&self, k: usize) -> bool {
        self.0.get(k / 64).is_some_and(|w| w & (1 << (k % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_words_name_the_mode_and_the_unit() {
        assert_eq!(
            metric_words("car_wait_mean_min"),
            ("car mean wait".into(), "min")
        );
        // A mode whose name has underscores keeps them.
        assert_eq!(
            metric_words("night_bus_queue_peak_km"),
            ("night_bus peak queue".into(), "km")
        );
        assert_eq!(
            metric_words("crossed_persons"),
            ("people crossed".into(), "")
        );
        assert_eq!(metric_words("unknown"), ("unknown".into(), ""));
    }

    /// A plan of `points` × `replications` tasks recording two metrics, for
    /// the tests of the sweep's modules.
    pub(super) fn plan(points: usize, replications: u32) -> Plan {
        Plan {
            scenario: "test".into(),
            scenario_file: "test.toml".into(),
            seed: 1,
            replications,
            overrides: Vec::new(),
            axes: vec![Axis {
                key: "service_speed".into(),
                values: (0..points).map(|p| p.to_string()).collect(),
            }],
            independent: false,
            metrics: vec!["a".into(), "b".into()],
            version: "0".into(),
            hash: "feed".into(),
        }
    }
}
