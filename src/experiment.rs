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
