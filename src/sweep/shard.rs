//! A shard's run: its tasks handed to its threads in order, each point's
//! scenario built while its tasks run, and each record appended to the
//! shard's file (and folded, in a sweep run in one process) as it finishes.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use super::records::READ_BATCH;
use super::{
    fits, in_file, metrics_of, shard_file, Header, Plan, Record, RecordError, ShardReader,
    ShardWriter, Sweep, SweepError, SweepFold, Tasks, ROAD_PEAK,
};
use crate::engine::run_replication;
use crate::scenario::Scenario;

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
        let (found, mut existing) = ShardReader::open(&path, READ_BATCH)?;
        if found.plan.hash != plan.hash || found.shards != shard.count {
            return Err(RecordError::ForeignPlan {
                path,
                found: found.plan.hash,
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
            pool.broadcast(|ctx| {
                crate::cores::start_on_own_core(ctx.index(), ctx.num_threads());
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

/// Records finished and not yet written that a sweep lets wait.
const RECORDS_IN_FLIGHT: usize = 1024;

#[cfg(test)]
mod tests {
    use super::super::tests::plan;
    use super::*;

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
}
