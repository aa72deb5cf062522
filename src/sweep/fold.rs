//! A sweep's report folded from its records as they come, and the merge
//! of a sweep's shard files into it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::path::{Path, PathBuf};

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::records::READ_BATCH;
use super::{fits, in_file, Header, Plan, Record, RecordError, ShardReader, SweepError, Tasks};
use crate::output::tables::counted;
use crate::stats::{Estimate, Running};

/// Records read ahead over all the files of a merge: each file's batch is
/// this over their number (between 8 and [`READ_BATCH`]).
const MERGE_READ_AHEAD: usize = 4096;

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
        /// One point: the report, the swept keys, the point's index.
        struct Point<'a>(&'a SweepReport, &'a [&'a str], usize);
        /// Names paired with values, borrowed (`report::Named` owns its
        /// names; here they are the plan's, not copied per point).
        struct Map<'a, K, V>(&'a [K], &'a [V]);
        impl Serialize for Points<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let r = self.0;
                let keys: Vec<&str> = r.plan.axes.iter().map(|a| a.key.as_str()).collect();
                s.collect_seq((0..r.points()).map(|p| Point(r, &keys, p)))
            }
        }
        impl Serialize for Point<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (r, keys, p) = (self.0, self.1, self.2);
                let mut point = s.serialize_struct("Point", 2)?;
                point.serialize_field("values", &Map(keys, &r.plan.point_values(p)))?;
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
    // The first file's header; every other must be of its plan and split.
    // Only the first's plan is kept (a plan lists every swept value).
    let mut first: Option<Header> = None;
    for (_, f) in &files {
        let (header, shard) = ShardReader::open(f, batch)?;
        if let Some(first) = &first {
            let first_file = &files[0].1;
            // Shards of one split hold each task once; two splits hold it twice.
            let (n, m) = (first.shards, header.shards);
            if n != m {
                return Err(SweepError::Incomplete(format!(
                    "{} is one of {m} shards and {} one of {n}: the folders hold two splits \
                     of the sweep; merge the files of one split",
                    f.display(),
                    first_file.display(),
                )));
            }
            if first.plan.hash != header.plan.hash {
                return Err(RecordError::ForeignPlan {
                    path: f.clone(),
                    found: header.plan.hash,
                    expected: first.plan.hash.clone(),
                }
                .into());
            }
        } else {
            first = Some(header);
        }
        shards.push(shard);
    }
    let plan = first.expect("at least one file").plan;
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

    use super::super::tests::plan;
    use super::*;

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
}
