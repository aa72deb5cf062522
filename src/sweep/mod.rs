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

pub mod plan;
pub mod records;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use rayon::prelude::*;
use serde::Serialize;

pub use plan::{parse_axes, Axis, Plan, DEFAULT_MAX_POINTS};
pub use records::{read_shard, shard_file, Header, Record, RecordError, ShardWriter};

use crate::engine::{run_replication, ModeOutcome, Outcome};
use crate::output::tables::counted;
use crate::report::Named;
use crate::scenario::{Problem, Scenario};
use crate::stats::Estimate;

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

/// Builds the plan and every point's scenario (validated up front, so a bad
/// value fails before anything runs).
pub fn prepare(
    text: &str,
    file_name: &str,
    overrides: &[String],
    axes: Vec<Axis>,
    replications: Option<u32>,
    independent: bool,
) -> Result<(Plan, Vec<Scenario>), SweepError> {
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
    let scenarios = (0..plan.points())
        .map(|p| {
            Scenario::from_toml(text, &plan.point_overrides(p)).map_err(|e| SweepError::Point {
                label: plan
                    .task_label(p * replications as usize)
                    .replace(", replication 0", ""),
                message: problems(&e),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((plan, scenarios))
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

/// Which part of the tasks a process runs: tasks `k` with `k % count == index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole plan in one process.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `I/N`.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("--shard {s}: expected I/N, e.g. 0/4"))?;
        let (i, n): (usize, usize) = match (i.trim().parse(), n.trim().parse()) {
            (Ok(i), Ok(n)) => (i, n),
            _ => return Err(format!("--shard {s}: I and N must be whole numbers")),
        };
        if n == 0 || i >= n {
            return Err(format!("--shard {s}: need 0 <= I < N"));
        }
        Ok(Shard { index: i, count: n })
    }
}

/// Runs this shard's tasks not yet recorded in `dir`, appending each record
/// as it finishes; returns every record of the shard (old and new).
/// `progress(done, total)` is called from this thread as records are written.
pub fn run_shard(
    plan: &Plan,
    scenarios: &[Scenario],
    dir: &Path,
    shard: Shard,
    resume: bool,
    threads: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Vec<Record>, SweepError> {
    let path = shard_file(dir, shard.index, shard.count);
    let header = Header {
        plan: plan.clone(),
        shard: shard.index,
        shards: shard.count,
    };
    let (mut writer, mut records) = if path.exists() {
        if !resume {
            return Err(SweepError::Exists(path));
        }
        let existing = read_shard(&path)?;
        if existing.header.plan.hash != plan.hash || existing.header.shards != shard.count {
            return Err(RecordError::ForeignPlan {
                path,
                found: existing.header.plan.hash,
                expected: plan.hash.clone(),
            }
            .into());
        }
        (ShardWriter::resume(&path, &existing)?, existing.records)
    } else {
        (ShardWriter::create(&path, &header)?, Vec::new())
    };
    let done: std::collections::HashSet<usize> = records.iter().map(|r| r.task).collect();
    let todo: Vec<usize> = (shard.index..plan.tasks())
        .step_by(shard.count)
        .filter(|k| !done.contains(k))
        .collect();
    let total = (shard.index..plan.tasks()).step_by(shard.count).count() as u64;
    let mut finished = total - todo.len() as u64;
    progress(finished, total);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(crate::experiment::threads_for(threads, todo.len()))
        .build()
        .map_err(|e| SweepError::Threads(e.to_string()))?;
    let road = plan.metrics.iter().any(|m| m == ROAD_PEAK);
    let (tx, rx) = mpsc::channel::<Record>();
    let result = std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.install(|| {
                // One task per job, for the balance `for_each_replication`
                // explains; here tasks of different points differ in length too.
                todo.par_iter().with_max_len(1).for_each_with(tx, |tx, &k| {
                    let (p, r) = plan.task(k);
                    let index = if plan.independent { k as u32 } else { r };
                    let out = run_replication(&scenarios[p], index);
                    // The receiver only goes away on an error, after which nothing matters.
                    let _ = tx.send(Record {
                        plan: plan.hash.clone(),
                        task: k,
                        metrics: metrics_of(&out, road),
                    });
                })
            })
        });
        for record in rx {
            writer.append(&record)?;
            records.push(record);
            finished += 1;
            progress(finished, total);
        }
        writer.sync()
    });
    result?;
    Ok(records)
}

/// A point's results.
#[derive(Clone, Debug, Serialize)]
pub struct PointReport {
    /// The swept values, by key.
    pub values: Named<String>,
    /// Each metric's mean and 95% interval across replications.
    pub metrics: Named<Estimate>,
}

/// The aggregated sweep: what `sweep.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct SweepReport {
    /// The plan.
    pub plan: Plan,
    /// One entry per point, in plan order.
    pub points: Vec<PointReport>,
}

/// Checks that every task appears exactly once and folds the records in plan order.
pub fn aggregate(plan: &Plan, records: &[Record]) -> Result<SweepReport, SweepError> {
    let mut by_task: BTreeMap<usize, &Record> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for r in records {
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
        if by_task.insert(r.task, r).is_some() {
            duplicates.push(r.task);
        }
    }
    // A task recorded three times is named once.
    duplicates.sort_unstable();
    duplicates.dedup();
    let duplicates: Vec<String> = duplicates.iter().map(|&k| plan.task_label(k)).collect();
    let missing: Vec<String> = (0..plan.tasks())
        .filter(|k| !by_task.contains_key(k))
        .map(|k| plan.task_label(k))
        .collect();
    if !missing.is_empty() || !duplicates.is_empty() {
        let mut msg = String::new();
        if !missing.is_empty() {
            msg += &format!(
                "{} missing: {}",
                counted(missing.len(), "task"),
                list(&missing)
            );
        }
        if !duplicates.is_empty() {
            if !msg.is_empty() {
                msg += "; ";
            }
            msg += &format!(
                "{} recorded more than once: {}",
                counted(duplicates.len(), "task"),
                list(&duplicates)
            );
        }
        return Err(SweepError::Incomplete(msg));
    }
    let reps = plan.replications as usize;
    let points = (0..plan.points())
        .map(|p| {
            let values = plan
                .axes
                .iter()
                .zip(plan.point_values(p))
                .map(|(a, v)| (a.key.clone(), v.to_string()))
                .collect();
            let metrics = plan
                .metrics
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let xs: Vec<f64> = (0..reps)
                        .map(|r| by_task[&(p * reps + r)].metrics[i].unwrap_or(f64::NAN))
                        .collect();
                    (name.clone(), Estimate::of(&xs))
                })
                .collect();
            PointReport {
                values: Named(values),
                metrics: Named(metrics),
            }
        })
        .collect();
    Ok(SweepReport {
        plan: plan.clone(),
        points,
    })
}

fn list(items: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s = items
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join("; ");
    if items.len() > SHOWN {
        s += &format!("; and {} more", items.len() - SHOWN);
    }
    s
}

/// Reads every shard file in `dirs` and checks they share one plan.
pub fn collect(dirs: &[&Path]) -> Result<(Plan, Vec<Record>), SweepError> {
    let mut plan: Option<Plan> = None;
    let mut records = Vec::new();
    // Each file under its canonical path, to read a folder given twice
    // (`results results/`) once, and as given, for messages.
    let mut files: Vec<(PathBuf, PathBuf)> = Vec::new();
    for dir in dirs {
        let entries = std::fs::read_dir(dir).map_err(|source| RecordError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for e in entries.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with("shard-") && name.ends_with(".jsonl") {
                files.push((p.canonicalize().unwrap_or_else(|_| p.clone()), p));
            }
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.0 == b.0);
    if files.is_empty() {
        return Err(SweepError::Incomplete(
            "no shard files (shard-I-of-N.jsonl) in the given folders".into(),
        ));
    }
    // Shards of one split hold each task once; two splits hold it twice.
    let mut first_split: Option<(usize, PathBuf)> = None;
    for (_, f) in files {
        let shard = read_shard(&f)?;
        match &first_split {
            Some((n, path)) if *n != shard.header.shards => {
                return Err(SweepError::Incomplete(format!(
                    "{} is one of {} shards and {} one of {n}: the folders hold two splits \
                     of the sweep; merge the files of one split",
                    f.display(),
                    shard.header.shards,
                    path.display(),
                )));
            }
            Some(_) => {}
            None => first_split = Some((shard.header.shards, f.clone())),
        }
        if shard.torn_tail {
            return Err(SweepError::Incomplete(format!(
                "{}: the last record is torn (the shard was interrupted); run that shard again with --resume",
                f.display()
            )));
        }
        match &plan {
            Some(p) if p.hash != shard.header.plan.hash => {
                return Err(RecordError::ForeignPlan {
                    path: f,
                    found: shard.header.plan.hash,
                    expected: p.hash.clone(),
                }
                .into())
            }
            Some(_) => {}
            None => plan = Some(shard.header.plan.clone()),
        }
        records.extend(shard.records);
    }
    Ok((plan.expect("at least one file"), records))
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
}
