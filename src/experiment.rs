//! Running replications in parallel with rayon, collected in replication order
//! so that results never depend on the thread count.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

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
/// (0 = all cores). `progress` is called with the number finished so far after
/// each one (from worker threads; it must not print from there in order).
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
        return Ok((0..replications).map(one).collect());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| RunError::Threads { threads, source })?;
    // One replication per job: rayon would otherwise hand each thread a run of
    // replications to do in turn, so a thread on a slower core could finish
    // last by several replications while the other waits. Jobs of one keep the
    // threads' finishing times within one replication of each other.
    Ok(pool.install(|| {
        (0..replications)
            .into_par_iter()
            .with_max_len(1)
            .map(one)
            .collect()
    }))
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
