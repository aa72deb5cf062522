//! Running replications in parallel on rayon's threads, handed on in
//! replication order as they finish, so that results never depend on the
//! thread count and finished replications need not wait for the last.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{mpsc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::engine::{run_replication, Outcome};
use crate::scenario::Scenario;

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {source}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// The cause.
        source: rayon::ThreadPoolBuildError,
    },
}

/// The threads that run `jobs` jobs when `requested` were asked for (0: one
/// per core this process may use): never more than the jobs, as a thread
/// with none to run only costs its start.
pub fn threads_for(requested: usize, jobs: usize) -> usize {
    let wanted = match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    wanted.min(jobs).max(1)
}

/// Runs replications `0..replications` of the scenario on `threads` threads
/// (0 = all cores) and collects them in replication order. `progress` is
/// called with the number finished so far after each one (from worker
/// threads; it must not print from there in order).
///
/// Holds every outcome until the end; [`for_each_replication`] hands each on
/// as it comes.
///
/// ```
/// let s = borderq::Scenario::load("scenarios/mmc.toml".as_ref(), &["horizon_h=2".into(), "end_after_crossings=100".into()]).unwrap();
/// let outs = borderq::experiment::run_replications(&s, 3, 2, &|_| {}).unwrap();
/// assert_eq!(outs.len(), 3);
/// ```
pub fn run_replications(
    scenario: &Scenario,
    replications: u32,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Outcome>, RunError> {
    let mut outs = Vec::with_capacity(replications as usize);
    for_each_replication(scenario, replications, threads, progress, &mut |o| {
        outs.push(o)
    })?;
    Ok(outs)
}

/// Runs replications `0..replications` as [`run_replications`] does and hands
/// each outcome to `take` on the calling thread, in replication order, as
/// soon as it and all before it are done. Replications are started in order,
/// each by the next free thread, and none more than a few ahead of the first
/// not yet taken, so the outcomes waiting for an earlier one stay few.
///
/// ```
/// let s = borderq::Scenario::load("scenarios/mmc.toml".as_ref(), &["horizon_h=2".into(), "end_after_crossings=100".into()]).unwrap();
/// let mut report = borderq::report::Fold::new(&s, 4);
/// borderq::experiment::for_each_replication(&s, 4, 2, &|_| {}, &mut |o| report.add(o)).unwrap();
/// assert_eq!(report.finish().replications, 4);
/// ```
pub fn for_each_replication(
    scenario: &Scenario,
    replications: u32,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
    take: &mut dyn FnMut(Outcome),
) -> Result<(), RunError> {
    let done = AtomicU64::new(0);
    let one = |r| {
        let out = run_replication(scenario, r);
        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
        out
    };
    let threads = threads_for(threads, replications as usize);
    if threads == 1 {
        // One thread is this one: no pool to start, and the replications'
        // memory, once freed, serves the report (a worker's heap would not).
        (0..replications).map(one).for_each(take);
        return Ok(());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunError::Threads { threads, source })?;
    // Replications are taken one at a time from a shared counter, so each
    // thread starts the next as soon as it is free: threads on cores of
    // different speeds finish within one replication of each other, and the
    // replications finish nearly in order.
    let next = AtomicU32::new(0);
    // How far a thread may start ahead of the first replication not yet
    // taken: a slow replication holds back at most this many finished ones.
    let ahead = 2 * threads as u32;
    let gate = Gate::default();
    let (tx, rx) = mpsc::channel::<(u32, Outcome)>();
    std::thread::scope(|scope| {
        let worker = |tx: &mpsc::Sender<(u32, Outcome)>| {
            let _stop = StopOnPanic(&gate);
            loop {
                let r = next.fetch_add(1, Ordering::Relaxed);
                if r >= replications || !gate.admit(r, ahead) {
                    break;
                }
                if tx.send((r, one(r))).is_err() {
                    break;
                }
            }
        };
        // The sender goes when the threads are done, so a thread's panic
        // cannot leave this one waiting (the scope then passes it on).
        scope.spawn(move || {
            pool.broadcast(|ctx| {
                crate::cores::start_on_own_core(ctx.index(), ctx.num_threads());
                worker(&tx)
            })
        });
        // A panic here lets the threads waiting at the gate go.
        let _stop = StopOnPanic(&gate);
        // Finished ones wait here for those before them.
        let mut waiting = BTreeMap::new();
        let mut want = 0;
        while let Ok((r, out)) = rx.recv() {
            waiting.insert(r, out);
            while let Some(out) = waiting.remove(&want) {
                take(out);
                want += 1;
                gate.taken(want);
            }
        }
    });
    Ok(())
}

/// Which replications may start: those less than a few ahead of the first
/// not yet taken, until the run stops (a panic on one of its threads).
#[derive(Default)]
struct Gate {
    /// The first replication not yet taken, and whether the run stopped.
    state: Mutex<(u32, bool)>,
    moved: Condvar,
}

impl Gate {
    fn state(&self) -> MutexGuard<'_, (u32, bool)> {
        // The state is two plain values, whole whatever panicked.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until replication `r` may start, `ahead` at most beyond the
    /// first not taken; false if the run stopped.
    fn admit(&self, r: u32, ahead: u32) -> bool {
        let mut state = self.state();
        while !state.1 && r >= state.0 + ahead {
            state = self
                .moved
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        !state.1
    }

    /// Replications before `first` are taken.
    fn taken(&self, first: u32) {
        self.state().0 = first;
        self.moved.notify_all();
    }

    fn stop(&self) {
        self.state().1 = true;
        self.moved.notify_all();
    }
}

/// Stops the gate when dropped by a panic on its thread, so that no other
/// thread waits at it for a replication that will not be taken.
struct StopOnPanic<'a>(&'a Gate);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::threads_for;

    #[test]
    fn never_more_threads_than_jobs() {
        assert_eq!(threads_for(8, 3), 3);
        assert_eq!(threads_for(2, 20), 2);
        assert_eq!(threads_for(0, 1), 1);
        assert_eq!(threads_for(5, 0), 1);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(threads_for(0, 10_000), cores);
    }
}
