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

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use serde::ser::{Serialize, SerializeStruct, Serializer};

pub use plan::{parse_axes, Axis, Plan, DEFAULT_MAX_POINTS};
pub use records::{shard_file, Header, Record, RecordError, ShardReader, ShardWriter};

use crate::engine::{run_replication, ModeOutcome, Outcome};
use crate::output::tables::counted;
use crate::scenario::{Problem, Scenario};
use crate::stats::{Estimate, Running};

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

/// The scenarios of the points a shard is running: each built by the first
/// task of its point to start and dropped when the last has finished.
struct InProgress<'a> {
    sweep: &'a Sweep,
    built: Vec<Mutex<Option<Arc<Scenario>>>>,
    /// Per point, its tasks still to finish.
    left: Vec<AtomicU32>,
}

impl<'a> InProgress<'a> {
    /// Nothing built yet; `left[p]` tasks of point `p` to run.
    fn new(sweep: &'a Sweep, left: Vec<u32>) -> InProgress<'a> {
        InProgress {
            sweep,
            built: left.iter().map(|_| Mutex::new(None)).collect(),
            left: left.into_iter().map(AtomicU32::new).collect(),
        }
    }

    /// Point `p`'s scenario, built if no task of it has yet.
    fn scenario(&self, p: usize) -> Arc<Scenario> {
        let mut slot = self.built[p].lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert_with(|| Arc::new(self.sweep.scenario(p)))
            .clone()
    }

    /// A task of point `p` has finished: its scenario goes with the last.
    fn finished(&self, p: usize) {
        if self.left[p].fetch_sub(1, Ordering::AcqRel) == 1 {
            let mut slot = self.built[p].lock().unwrap_or_else(PoisonError::into_inner);
            *slot = None;
        }
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

    /// This shard's tasks of `plan`: `index + i × count` for `i` below this.
    pub fn tasks(&self, plan: &Plan) -> usize {
        (self.index..plan.tasks()).step_by(self.count).len()
    }
}

/// Runs this shard's tasks not yet recorded in `dir`, appending each record
/// as it finishes, and returns how many the shard has recorded (old and
/// new). Each record, old and new, goes to `fold` when one is given (a sweep
/// in one process folds its report as it runs). `progress(done, total)` is
/// called from this thread as records are written.
pub fn run_shard(
    sweep: &Sweep,
    dir: &Path,
    shard: Shard,
    resume: bool,
    threads: usize,
    progress: &mut dyn FnMut(u64, u64),
    mut fold: Option<&mut SweepFold<'_>>,
) -> Result<u64, SweepError> {
    let plan = &sweep.plan;
    let path = shard_file(dir, shard.index, shard.count);
    let header = Header {
        plan: plan.clone(),
        shard: shard.index,
        shards: shard.count,
    };
    let mut done = Tasks::new(plan.tasks());
    let mut recorded = 0u64;
    let mut writer = if path.exists() {
        if !resume {
            return Err(SweepError::Exists(path));
        }
        let mut existing = ShardReader::open(&path, READ_BATCH)?;
        let found = &existing.header().plan.hash;
        if *found != plan.hash || existing.header().shards != shard.count {
            return Err(RecordError::ForeignPlan {
                path,
                found: found.clone(),
                expected: plan.hash.clone(),
            }
            .into());
        }
        while let Some(record) = existing.next_record()? {
            fits(plan, &record).map_err(|e| in_file(&path, e))?;
            done.insert(record.task);
            recorded += 1;
            if let Some(fold) = fold.as_deref_mut() {
                fold.add(record)?;
            }
        }
        ShardWriter::resume(&path, existing.valid_len())?
    } else {
        ShardWriter::create(&path, &header)?
    };
    // The shard's tasks, `shard.index + i × shard.count`, with those recorded
    // already skipped as they come (not listed: a list grows with the tasks).
    let total = shard.tasks(plan);
    let task = |i: usize| shard.index + i * shard.count;
    let mut finished = 0u64;
    let mut left = vec![0u32; plan.points()];
    for k in (0..total).map(task) {
        if done.contains(k) {
            finished += 1;
        } else {
            left[plan.task(k).0] += 1;
        }
    }
    progress(finished, total as u64);
    let in_progress = InProgress::new(sweep, left);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(crate::experiment::threads_for(
            threads,
            total - finished as usize,
        ))
        .build()
        .map_err(|e| SweepError::Threads(e.to_string()))?;
    let road = plan.metrics.iter().any(|m| m == ROAD_PEAK);
    // Bounded: workers wait while the records written lag behind, rather
    // than queue them in memory.
    let (tx, rx) = mpsc::sync_channel::<Record>(RECORDS_IN_FLIGHT);
    let claims = Claims::new(plan, shard, pool.current_num_threads());
    let (done, in_progress, claims) = (&done, &in_progress, &claims);
    let result = std::thread::scope(|scope| {
        scope.spawn(move || {
            pool.broadcast(|_| {
                while let Some(run) = claims.next() {
                    for k in run.map(task).filter(|&k| !done.contains(k)) {
                        let (p, r) = plan.task(k);
                        let index = if plan.independent { k as u32 } else { r };
                        let out = run_replication(&in_progress.scenario(p), index);
                        in_progress.finished(p);
                        let record = Record {
                            plan: plan.hash.clone(),
                            task: k,
                            metrics: metrics_of(&out, road),
                        };
                        // The receiver goes away only on an error: no
                        // further task is started then.
                        if tx.send(record).is_err() {
                            return;
                        }
                    }
                }
            });
        });
        for record in rx {
            writer.append(&record)?;
            recorded += 1;
            if let Some(fold) = fold.as_deref_mut() {
                fold.add(record)?;
            }
            finished += 1;
            progress(finished, total as u64);
        }
        writer.sync().map_err(SweepError::from)
    });
    result?;
    Ok(recorded)
}

/// Hands a shard's tasks to its threads in task order, a run of them at a
/// time: the rest of a point's tasks in the shard, cut to a share of all
/// those left (a `2 × threads`-th) so that the threads finish together
/// however few the points.
///
/// In order, so the records come nearly in task order and a merge, which
/// folds the shard files side by side, holds few waiting for an earlier
/// replication of their point. (Handed out by rayon's splitting of the
/// range, a thread started at the shard's middle, and a merge of eight
/// shards of 100,000 tasks each held 79,616 records waiting.) A point at a
/// time, so two threads seldom start the same point at once and wait on
/// each other for its scenario.
struct Claims {
    /// The next task not yet handed out (shard-local).
    next: Mutex<usize>,
    /// The shard's tasks.
    total: usize,
    /// The shard and the plan's replications, to find where a point's tasks end.
    shard: Shard,
    replications: usize,
    /// A run is at most the tasks left over this.
    share: usize,
}

impl Claims {
    fn new(plan: &Plan, shard: Shard, threads: usize) -> Claims {
        Claims {
            next: Mutex::new(0),
            total: shard.tasks(plan),
            shard,
            replications: plan.replications as usize,
            share: 2 * threads.max(1),
        }
    }

    /// The next run of shard-local task indices, or `None` when all are handed out.
    fn next(&self) -> Option<std::ops::Range<usize>> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        let start = *next;
        if start >= self.total {
            return None;
        }
        // Task `index + i × count` is of point `task / replications`; the
        // point's tasks in the shard end before the first `i` past its last.
        let (index, count) = (self.shard.index, self.shard.count);
        let point = (index + start * count) / self.replications;
        let point_end = ((point + 1) * self.replications - index).div_ceil(count);
        let share = ((self.total - start) / self.share).max(1);
        let end = point_end.min(start + share).min(self.total);
        *next = end;
        Some(start..end)
    }
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

/// Records finished and not yet written that a sweep lets wait.
const RECORDS_IN_FLIGHT: usize = 1024;

/// Records read at each opening of a shard file, when one file is read.
const READ_BATCH: usize = 1024;

/// Records read ahead over all the files of a merge: each file's batch is
/// this over their number (between 8 and [`READ_BATCH`]).
const MERGE_READ_AHEAD: usize = 4096;

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

/// The aggregated sweep: what `sweep.json` holds, the plan and each point's
/// metrics. A point's swept values and its metrics' names are the plan's, so
/// each point holds its estimates alone.
#[derive(Clone, Debug)]
pub struct SweepReport {
    /// The plan.
    pub plan: Plan,
    /// Point by point, in plan order, each metric's mean and 95% interval
    /// across replications, in the plan's order of metrics.
    estimates: Vec<Estimate>,
}

impl SweepReport {
    /// Number of points.
    pub fn points(&self) -> usize {
        self.plan.points()
    }

    /// Point `p`'s metrics: each one's mean and 95% interval, in the order
    /// of [`Plan::metrics`].
    pub fn metrics(&self, p: usize) -> &[Estimate] {
        let n = self.plan.metrics.len();
        &self.estimates[p * n..(p + 1) * n]
    }
}

/// `{"plan": …, "points": [{"values": {key: value}, "metrics": {name:
/// estimate}}, …]}`, the names taken from the plan.
impl Serialize for SweepReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The points, in plan order.
        struct Points<'a>(&'a SweepReport);
        /// One point.
        struct Point<'a>(&'a SweepReport, usize);
        /// Names paired with values.
        struct Map<'a, K, V>(&'a [K], &'a [V]);
        impl Serialize for Points<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq((0..self.0.points()).map(|p| Point(self.0, p)))
            }
        }
        impl Serialize for Point<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (r, p) = (self.0, self.1);
                let keys: Vec<&str> = r.plan.axes.iter().map(|a| a.key.as_str()).collect();
                let mut point = s.serialize_struct("Point", 2)?;
                point.serialize_field("values", &Map(&keys, &r.plan.point_values(p)))?;
                point.serialize_field("metrics", &Map(&r.plan.metrics, r.metrics(p)))?;
                point.end()
            }
        }
        impl<K: Serialize, V: Serialize> Serialize for Map<'_, K, V> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(self.0.iter().zip(self.1))
            }
        }
        let mut report = s.serialize_struct("SweepReport", 2)?;
        report.serialize_field("plan", &self.plan)?;
        report.serialize_field("points", &Points(self))?;
        report.end()
    }
}

/// A sweep's report folded from its records as they come, in any order, in
/// memory that grows with the points and not with the tasks. Each point's
/// replications are folded in replication order, so the bytes out are the
/// same whatever the order the records came in (the thread count, the shard
/// split); a record that comes before an earlier replication of its point
/// waits for it.
pub struct SweepFold<'p> {
    plan: &'p Plan,
    /// Per point, how many of its replications are folded (the first ones).
    folded: Vec<u32>,
    /// Each point's metrics' running estimates, point by point.
    running: Vec<Running>,
    /// The metrics of records ahead of their point's next replication, by task.
    waiting: BTreeMap<usize, Vec<Option<f64>>>,
    /// The most records that waited at once.
    most_waiting: usize,
    seen: Tasks,
    /// Tasks recorded more than once.
    twice: Tasks,
}

impl<'p> SweepFold<'p> {
    /// Nothing folded yet.
    pub fn new(plan: &'p Plan) -> SweepFold<'p> {
        SweepFold {
            plan,
            folded: vec![0; plan.points()],
            running: vec![Running::new(); plan.points() * plan.metrics.len()],
            waiting: BTreeMap::new(),
            most_waiting: 0,
            seen: Tasks::new(plan.tasks()),
            twice: Tasks::new(plan.tasks()),
        }
    }

    /// Folds a record in, or keeps it until its point's earlier replications
    /// have come. A record of another plan, or one that does not fit this
    /// plan, is refused at once.
    pub fn add(&mut self, r: Record) -> Result<(), SweepError> {
        let plan = self.plan;
        fits(plan, &r)?;
        if !self.seen.insert(r.task) {
            self.twice.insert(r.task);
            return Ok(());
        }
        let (p, rep) = plan.task(r.task);
        if rep != self.folded[p] {
            self.waiting.insert(r.task, r.metrics);
            self.most_waiting = self.most_waiting.max(self.waiting.len());
            return Ok(());
        }
        self.fold(p, &r.metrics);
        // The replications that came early and now follow on.
        while self.folded[p] < plan.replications {
            let next = p * plan.replications as usize + self.folded[p] as usize;
            let Some(metrics) = self.waiting.remove(&next) else {
                break;
            };
            self.fold(p, &metrics);
        }
        Ok(())
    }

    /// Point `p`'s next replication's metrics.
    fn fold(&mut self, p: usize, metrics: &[Option<f64>]) {
        let n = metrics.len();
        for (running, x) in self.running[p * n..(p + 1) * n].iter_mut().zip(metrics) {
            running.add(x.unwrap_or(f64::NAN));
        }
        self.folded[p] += 1;
    }

    /// The most records that waited at once for an earlier replication of
    /// their point: what the fold held beyond its points' estimates.
    pub fn most_waiting(&self) -> usize {
        self.most_waiting
    }

    /// The report, once every task has been recorded exactly once; else
    /// the tasks missing and those recorded more than once, by name.
    pub fn finish(self) -> Result<SweepReport, SweepError> {
        let plan = self.plan;
        let problem = |count: usize, what: &str, tasks: &mut dyn Iterator<Item = usize>| {
            let names = tasks.map(|k| plan.task_label(k));
            format!("{} {what}: {}", counted(count, "task"), list(count, names))
        };
        let mut problems = Vec::new();
        let missing = plan.tasks() - self.seen.len();
        if missing > 0 {
            let mut tasks = (0..plan.tasks()).filter(|&k| !self.seen.contains(k));
            problems.push(problem(missing, "missing", &mut tasks));
        }
        let twice = self.twice.len();
        if twice > 0 {
            let mut tasks = (0..plan.tasks()).filter(|&k| self.twice.contains(k));
            problems.push(problem(twice, "recorded more than once", &mut tasks));
        }
        if !problems.is_empty() {
            return Err(SweepError::Incomplete(problems.join("; ")));
        }
        Ok(SweepReport {
            plan: plan.clone(),
            estimates: self.running.iter().map(Running::estimate).collect(),
        })
    }
}

/// The first few of `count` names, and how many more.
fn list(count: usize, names: impl Iterator<Item = String>) -> String {
    const SHOWN: usize = 10;
    let mut s = names.take(SHOWN).collect::<Vec<_>>().join("; ");
    if count > SHOWN {
        s += &format!("; and {} more", count - SHOWN);
    }
    s
}

/// Merges the shard files in `dirs` into the sweep's report, after checking
/// that they are one split of one plan.
///
/// The files are read side by side, the record of the earliest task next, a
/// batch of each file at a time. A shard records its tasks about in task
/// order (as they finish), so few records wait for an earlier replication
/// of their point, and memory grows with the points, not the tasks.
pub fn merge(dirs: &[&Path]) -> Result<SweepReport, SweepError> {
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
    let batch = (MERGE_READ_AHEAD / files.len()).clamp(8, READ_BATCH);
    let mut shards = Vec::with_capacity(files.len());
    for (_, f) in &files {
        let shard = ShardReader::open(f, batch)?;
        // Shards of one split hold each task once; two splits hold it twice.
        if let Some(first) = shards.first() {
            let (first, (_, first_file)): (&ShardReader, _) = (first, &files[0]);
            let (n, m) = (first.header().shards, shard.header().shards);
            if n != m {
                return Err(SweepError::Incomplete(format!(
                    "{} is one of {m} shards and {} one of {n}: the folders hold two splits \
                     of the sweep; merge the files of one split",
                    f.display(),
                    first_file.display(),
                )));
            }
            if first.header().plan.hash != shard.header().plan.hash {
                return Err(RecordError::ForeignPlan {
                    path: f.clone(),
                    found: shard.header().plan.hash.clone(),
                    expected: first.header().plan.hash.clone(),
                }
                .into());
            }
        }
        shards.push(shard);
    }
    let plan = shards[0].header().plan.clone();
    let mut fold = SweepFold::new(&plan);
    // Each file's next record, and the files by the task of their next record.
    let mut next: Vec<Option<Record>> = Vec::with_capacity(shards.len());
    let mut earliest = BinaryHeap::new();
    let read = |i: usize, shards: &mut [ShardReader]| -> Result<Option<Record>, SweepError> {
        let shard = &mut shards[i];
        let record = shard.next_record()?;
        if record.is_none() && shard.torn_tail() {
            return Err(SweepError::Incomplete(format!(
                "{}: the last record is torn (the shard was interrupted); run that shard again with --resume",
                files[i].1.display()
            )));
        }
        Ok(record)
    };
    for i in 0..shards.len() {
        let record = read(i, &mut shards)?;
        if let Some(r) = &record {
            earliest.push(Reverse((r.task, i)));
        }
        next.push(record);
    }
    while let Some(Reverse((_, i))) = earliest.pop() {
        let record = next[i]
            .take()
            .expect("a file in the heap has a next record");
        fold.add(record).map_err(|e| in_file(&files[i].1, e))?;
        next[i] = read(i, &mut shards)?;
        if let Some(r) = &next[i] {
            earliest.push(Reverse((r.task, i)));
        }
    }
    fold.finish()
}

#[cfg(test)]
mod tests {
    use rand::RngCore;

    use super::*;

    /// A plan of `points` × `replications` tasks recording two metrics.
    fn plan(points: usize, replications: u32) -> Plan {
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

    /// Task `k`'s record: metric `a` spread over several magnitudes (so the
    /// sum's order shows in its last bits), `b` undefined in some.
    fn record(k: usize) -> Record {
        let mut rng = crate::engine::rng::SplitMix64::new(k as u64, 7);
        let x = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        Record {
            plan: "feed".into(),
            task: k,
            metrics: vec![
                Some(x * 10f64.powi((k % 7) as i32)),
                (k % 5 != 0).then_some(x),
            ],
        }
    }

    fn folded(plan: &Plan, order: &[usize]) -> (SweepReport, usize) {
        let mut fold = SweepFold::new(plan);
        for &k in order {
            fold.add(record(k)).unwrap();
        }
        let waited = fold.most_waiting();
        (fold.finish().unwrap(), waited)
    }

    #[test]
    fn records_in_any_order_fold_to_the_same_bits_as_each_points_replications_in_order() {
        use rand::seq::SliceRandom;
        use rand::SeedableRng;
        let plan = plan(6, 9);
        let in_order: Vec<usize> = (0..plan.tasks()).collect();
        let (report, waited) = folded(&plan, &in_order);
        assert_eq!(waited, 0, "records in task order wait for nothing");
        for p in 0..report.points() {
            for (i, estimate) in report.metrics(p).iter().enumerate() {
                let xs: Vec<f64> = (0..9)
                    .map(|r| record(p * 9 + r).metrics[i].unwrap_or(f64::NAN))
                    .collect();
                let expected = Estimate::of(&xs);
                assert_eq!(estimate.mean.to_bits(), expected.mean.to_bits());
                assert_eq!(
                    estimate.ci95.map(f64::to_bits),
                    expected.ci95.map(f64::to_bits)
                );
            }
        }
        let json = |r: &SweepReport| serde_json::to_string(r).unwrap();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(3);
        for _ in 0..20 {
            let mut shuffled = in_order.clone();
            shuffled.shuffle(&mut rng);
            let (again, waited) = folded(&plan, &shuffled);
            assert!(waited > 0);
            assert_eq!(json(&again), json(&report));
        }
        // Reversed: every point's records wait for its first replication.
        let reversed: Vec<usize> = in_order.iter().rev().copied().collect();
        let (again, waited) = folded(&plan, &reversed);
        assert_eq!(waited, 8);
        assert_eq!(json(&again), json(&report));
    }

    #[test]
    fn a_fold_names_the_first_tasks_missing_or_recorded_twice_and_counts_the_rest() {
        let plan = plan(3, 5);
        let mut fold = SweepFold::new(&plan);
        for k in 12..plan.tasks() {
            fold.add(record(k)).unwrap();
        }
        for _ in 0..3 {
            fold.add(record(14)).unwrap();
        }
        let Err(SweepError::Incomplete(message)) = fold.finish() else {
            panic!("an incomplete sweep gave a report");
        };
        assert_eq!(
            message,
            "12 tasks missing: point 0 (service_speed=0), replication 0; point 0 \
             (service_speed=0), replication 1; point 0 (service_speed=0), replication 2; \
             point 0 (service_speed=0), replication 3; point 0 (service_speed=0), replication \
             4; point 1 (service_speed=1), replication 0; point 1 (service_speed=1), \
             replication 1; point 1 (service_speed=1), replication 2; point 1 \
             (service_speed=1), replication 3; point 1 (service_speed=1), replication 4; and \
             2 more; 1 task recorded more than once: point 2 (service_speed=2), replication 4"
        );
        let mut fold = SweepFold::new(&plan);
        let mut foreign = record(0);
        foreign.plan = "beef".into();
        assert!(fold.add(foreign).is_err());
        assert!(fold.add(record(plan.tasks())).is_err());
        let mut short = record(0);
        short.metrics.pop();
        assert!(fold.add(short).is_err());
    }

    #[test]
    fn a_points_scenario_is_built_once_for_its_tasks_and_dropped_after_the_last() {
        let mut plan = plan(2, 3);
        plan.axes[0].values = vec!["1".into(), "2".into()];
        let text = include_str!("../../scenarios/mmc.toml");
        let sweep = Sweep {
            plan,
            root: crate::scenario::tree::parse_document(text).unwrap(),
        };
        // Point 0 has two tasks left to run, point 1 one.
        let in_progress = InProgress::new(&sweep, vec![2, 1]);
        let (first, again) = (in_progress.scenario(0), in_progress.scenario(0));
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(first.groups[0].speed, 1.0);
        assert_eq!(in_progress.scenario(1).groups[0].speed, 2.0);
        in_progress.finished(0);
        assert!(in_progress.built[0].lock().unwrap().is_some());
        in_progress.finished(0);
        assert!(in_progress.built[0].lock().unwrap().is_none());
        // The last holder lets it go; the slot no longer holds it.
        assert_eq!(Arc::strong_count(&first), 2);
        in_progress.finished(1);
        assert!(in_progress.built[1].lock().unwrap().is_none());
    }

    #[test]
    fn claims_hand_out_every_task_once_in_order_a_point_at_a_time() {
        for (points, replications, shards, threads) in [
            (1, 200, 1, 2),
            (3, 200, 1, 2),
            (40, 9, 4, 3),
            (7, 3, 8, 2),
            (1000, 80, 8, 2),
        ] {
            let plan = plan(points, replications);
            for index in 0..shards {
                let shard = Shard {
                    index,
                    count: shards,
                };
                let claims = Claims::new(&plan, shard, threads);
                let total = shard.tasks(&plan);
                let mut expected = 0;
                let mut runs = 0;
                while let Some(run) = claims.next() {
                    assert_eq!(run.start, expected, "in order, none skipped");
                    assert!(run.end > run.start && run.end <= total);
                    // One point's tasks, and no more than a share of those left.
                    let point = |i: usize| plan.task(index + i * shards).0;
                    assert_eq!(point(run.start), point(run.end - 1), "{run:?}");
                    assert!(run.len() <= ((total - run.start) / (2 * threads)).max(1));
                    expected = run.end;
                    runs += 1;
                }
                assert_eq!(expected, total, "every task handed out");
                if (points, replications) == (1000, 80) {
                    // Runs of a whole point's ten tasks in the shard, but for the last few.
                    assert!(runs < 1100, "{runs} runs");
                }
                if (points, shards) == (1, 1) {
                    // One point: shares that shrink as the tasks run out.
                    assert!(runs > 10, "{runs} runs");
                }
            }
        }
    }

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
