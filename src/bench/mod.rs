//! The fixed reference workloads of `borderq bench`: the same scenario files a
//! user runs (embedded, so the command works from any folder), timed whole,
//! with the correctness figure beside each speed; and the bare loops of R1
//! and R2 ([`bare`]) in the same rounds, the yardstick of the engine's time.
//! One bare loop also runs on every thread at once: copies that share
//! nothing, so their speed-up is what the machine gives any work, the
//! yardstick of the engine's.

use std::sync::Mutex;
use std::time::Instant;

use serde::{Deserialize, Serialize};

pub mod bare;
mod baseline;
mod ratios;

use crate::experiment::for_each_replication;
use crate::report::Fold;
use crate::Scenario;

pub use baseline::{compare, Baseline, Change, Comparison, Report, Setting};
pub use ratios::{bare_ratios, median, speedups, BareRatio, Speedup};

const MMC: &str = include_str!("../../scenarios/mmc.toml");
const BORDER_R2: &str = include_str!("../../scenarios/border-r2.toml");
const LARS: &str = include_str!("../../scenarios/verkhny-lars-2022.toml");

/// Erlang C mean wait of R1 (M/M/10, λ = 9/min, mean service 1 min).
pub const R1_WQ_MIN: f64 = 0.668_732;
/// R2 steady-state references: bicycle M/M/1, pedestrian M/M/3, car total (approximate).
pub const R2_WQ_MIN: [(&str, f64); 3] =
    [("bicycle", 0.2526), ("pedestrian", 1.1355), ("car", 2.26)];

/// The workload that runs R1's bare loop on every thread at once.
pub const BARE_ON_EVERY_THREAD: &str = "R1, bare loop, a copy on every thread";

/// One workload: a scenario with its replications and threads, or a bare
/// loop of a reference model.
#[derive(Clone, Debug)]
pub struct Workload {
    /// Name in the table.
    pub name: String,
    job: Job,
    replications: u32,
    threads: usize,
    /// The workload doing the same work per replication on one thread, for
    /// the speed-up of a workload on several.
    speedup_over: Option<String>,
}

/// What a workload runs.
#[derive(Clone, Debug)]
enum Job {
    /// A scenario with overrides, run by the engine.
    Scenario {
        text: &'static str,
        overrides: Vec<String>,
        check: Check,
    },
    /// A bare loop ([`bare`]), the yardstick of the engine's workload `of`.
    Bare { model: BareModel, of: String },
    /// A copy of a bare loop on each thread at once, each copy a replication.
    BareCopies(BareModel),
}

/// A reference model as a bare loop.
#[derive(Clone, Copy, Debug)]
enum BareModel {
    /// R1 until this many departures.
    R1(u64),
    /// R2 for this many days.
    R2(f64),
}

/// The correctness figure shown beside a workload's speed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// R1's mean wait against Erlang C.
    ErlangC,
    /// R2's waits against the peers' steady-state references.
    R2References,
    /// How many gave up, and the longest queue.
    Patience,
    /// Observations within tolerance.
    Observations,
}

/// One row of the bench table.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    /// Workload name.
    pub workload: String,
    /// Replications run.
    pub replications: u32,
    /// Worker threads it ran on (all cores resolved to their number).
    pub threads: usize,
    /// Units that arrived, all replications.
    pub customers: u64,
    /// Events handled.
    pub events: u64,
    /// Wall-clock seconds, simulation and aggregation: the median of the rounds.
    pub wall_s: f64,
    /// Wall-clock seconds of each round, in the order they ran.
    pub wall_s_rounds: Vec<f64>,
    /// Events per second of wall time.
    pub events_per_s: f64,
    /// Customers per second of wall time.
    pub customers_per_s: f64,
    /// Each round's mean milliseconds per replication on each worker thread
    /// that ran any, in the order of the threads' indices: how fast each core
    /// ran, from the pass's start to the thread's last replication.
    pub ms_per_replication_rounds: Vec<Vec<f64>>,
    /// Peak resident memory during the workload's first round, MiB (Linux;
    /// `null` elsewhere). Later rounds would start from what the thread
    /// pool's workers left resident, not from the workload's own needs.
    pub peak_rss_mib: Option<f64>,
    /// The correctness figure beside the speed.
    pub check: String,
    /// For a bare loop, the workload of the engine it is the yardstick of.
    pub bare_loop_of: Option<String>,
    /// For a workload on several threads, the workload doing the same work
    /// per replication on one thread: its speed-up is over that one.
    pub speedup_over: Option<String>,
    /// Its ratios to other rows, each round.
    #[serde(flatten)]
    pub ratios: Ratios,
}

/// A row's ratios to other rows, each round, written into the row for
/// `--json` (the table prints them below itself).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Ratios {
    /// For a workload of the engine with a bare loop: its time over the bare
    /// loop's (see [`bare_ratios`]).
    pub over_bare_loop_rounds: Option<Vec<f64>>,
    /// For a workload on several threads: how many times the customers per
    /// second of the same work on one thread (see [`speedups`]).
    pub speedup_rounds: Option<Vec<f64>>,
    /// For a workload on several threads: the speed-up the threads' own
    /// speeds allowed.
    pub allowed_speedup_rounds: Option<Vec<f64>>,
}

/// The workloads; `quick` scales them down about tenfold.
pub fn workloads(quick: bool) -> Vec<Workload> {
    let w = |name: &str, text, overrides: &[&str], replications, threads, check| Workload {
        name: name.to_string(),
        job: Job::Scenario {
            text,
            overrides: overrides.iter().map(|s| s.to_string()).collect(),
            check,
        },
        replications,
        threads,
        speedup_over: None,
    };
    let bare = |name: &str, model, of: &str| Workload {
        name: name.to_string(),
        job: Job::Bare {
            model,
            of: of.to_string(),
        },
        replications: 1,
        threads: 1,
        speedup_over: None,
    };
    let lars_reps = if quick { 4 } else { 20 };
    let (r1_departures, long_days) = if quick {
        (100_000u32, 70u32)
    } else {
        (1_000_000, 700)
    };
    let r1_n = &format!("end_after_crossings={r1_departures}");
    // The names other rows refer to.
    let r1_name = "R1 M/M/10 (1 replication)";
    let r1_bare_name = "R1, bare loop";
    let long_name = &format!("R2 border, {long_days} days");
    let lars_one_name = &format!("Verkhny Lars, {lars_reps} replications, 1 thread");
    vec![
        w(r1_name, MMC, &[r1_n], 1, 1, Check::ErlangC),
        bare(
            r1_bare_name,
            BareModel::R1(u64::from(r1_departures)),
            r1_name,
        ),
        Workload {
            name: BARE_ON_EVERY_THREAD.to_string(),
            job: Job::BareCopies(BareModel::R1(u64::from(r1_departures))),
            // A copy, a replication, on each of all the threads: counted
            // when it runs.
            replications: 0,
            threads: 0,
            speedup_over: Some(r1_bare_name.to_string()),
        },
        // R1 with 10,000 already waiting, every unit with a patience: the
        // deadlines must not slow the calendar (compare events/s with R1).
        w(
            "R1 + patience, 10,000 waiting at the start",
            MMC,
            &[
                r1_n,
                "arrivals.customer.initial_queue=10000",
                "modes.customer.patience={ dist = \"exponential\", mean_min = 2000 }",
            ],
            1,
            1,
            Check::Patience,
        ),
        w(
            "R2 border, 7 days",
            BORDER_R2,
            &["horizon_days=7"],
            1,
            1,
            Check::R2References,
        ),
        w(
            long_name,
            BORDER_R2,
            &[&format!("horizon_days={long_days}")],
            1,
            1,
            Check::R2References,
        ),
        bare(
            &format!("R2, {long_days} days, bare loop (keeps every wait)"),
            BareModel::R2(f64::from(long_days)),
            long_name,
        ),
        w(lars_one_name, LARS, &[], lars_reps, 1, Check::Observations),
        Workload {
            speedup_over: Some(lars_one_name.clone()),
            ..w(
                &format!("Verkhny Lars, {lars_reps} replications, all threads"),
                LARS,
                &[],
                lars_reps,
                0,
                Check::Observations,
            )
        },
    ]
}

/// Runs one workload.
pub fn run(w: &Workload) -> BenchRow {
    match &w.job {
        Job::Scenario {
            text,
            overrides,
            check,
        } => run_scenario(w, text, overrides, *check),
        Job::Bare { model, of } => BenchRow {
            bare_loop_of: Some(of.clone()),
            ..run_bare(w, *model, 1)
        },
        Job::BareCopies(model) => {
            let copies = crate::experiment::threads_for(w.threads, usize::MAX);
            run_bare(w, *model, copies)
        }
    }
}

/// The check of R1: the mean wait against Erlang C.
fn erlang_c_check(wq: f64) -> String {
    format!(
        "Wq {wq:.4} min vs Erlang C {R1_WQ_MIN} ({:+.1}%)",
        (wq / R1_WQ_MIN - 1.0) * 100.0
    )
}

/// The check of R2: each mode's mean wait against its reference.
fn r2_check(wq: impl Fn(&str) -> Option<f64>) -> String {
    R2_WQ_MIN
        .iter()
        .map(|(mode, r)| format!("{mode} {:.3}/{r}", wq(mode).unwrap_or(f64::NAN)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs a bare loop once, timed whole: customers, events and the check.
fn run_bare_once(model: BareModel) -> (u64, u64, String) {
    match model {
        BareModel::R1(n) => {
            let r = bare::r1(n);
            (r.arrived, r.events, erlang_c_check(r.wq_min))
        }
        BareModel::R2(days) => {
            let r = bare::r2(days);
            let wq = |mode: &str| {
                let c = r.classes.iter().find(|c| c.name == mode)?;
                Some(c.mean_wait_min)
            };
            (r.arrived, r.events, r2_check(wq))
        }
    }
}

/// Runs `copies` of a bare loop at once, a lone copy on this thread and
/// several each on a thread of its own, timed whole and each copy on its own.
/// The copies' threads start as the engine's do, each on a core of its own
/// ([`crate::cores::on_own_cores`]), so the two speed-ups compare alike.
fn run_bare(w: &Workload, model: BareModel, copies: usize) -> BenchRow {
    reset_peak_rss();
    let started = Instant::now();
    let timed = || {
        let r = run_bare_once(model);
        (r, started.elapsed().as_secs_f64() * 1e3)
    };
    let runs = crate::cores::on_own_cores(copies, |_| timed());
    let wall_s = started.elapsed().as_secs_f64();
    let ((customers, events, check), _) = &runs[0];
    assert!(
        runs.iter()
            .all(|((c, e, _), _)| (c, e) == (customers, events)),
        "copies of a bare loop differ"
    );
    let copies_u64 = copies as u64;
    BenchRow {
        workload: w.name.clone(),
        replications: copies as u32,
        threads: copies,
        customers: customers * copies_u64,
        events: events * copies_u64,
        wall_s,
        wall_s_rounds: vec![wall_s],
        ms_per_replication_rounds: vec![runs.iter().map(|(_, ms)| *ms).collect()],
        events_per_s: (events * copies_u64) as f64 / wall_s,
        customers_per_s: (customers * copies_u64) as f64 / wall_s,
        peak_rss_mib: peak_rss_mib(),
        check: check.clone(),
        bare_loop_of: None,
        speedup_over: w.speedup_over.clone(),
        ratios: Ratios::default(),
    }
}

/// Runs a scenario's replications and folds them into the report, timed together.
fn run_scenario(w: &Workload, text: &str, overrides: &[String], check: Check) -> BenchRow {
    let sc = Scenario::from_toml(text, overrides).expect("the embedded scenarios are valid");
    reset_peak_rss();
    let started = Instant::now();
    let finishes = Finishes::new(started, w.replications);
    let (mut customers, mut events) = (0u64, 0u64);
    // Read from the first replication before it goes into the report.
    let mut patience = None;
    let mut fold = Fold::new(&sc, w.replications);
    let progress = |_| finishes.record();
    for_each_replication(&sc, w.replications, w.threads, &progress, &mut |o| {
        customers += o.modes.iter().map(|m| m.arrived.units).sum::<u64>();
        events += o.events;
        if matches!(check, Check::Patience) && patience.is_none() {
            let m = &o.modes[0];
            patience = Some(format!(
                "{} gave up ({:.1}% of arrived and waiting at the start); peak {} waiting",
                m.reneged.units,
                m.reneged.units as f64 / (m.arrived.units + m.initial.units) as f64 * 100.0,
                m.queue.peak
            ));
        }
        fold.add(o);
    })
    .expect("a thread pool");
    let report = fold.finish();
    let wall_s = started.elapsed().as_secs_f64();
    let check = match check {
        Check::Patience => patience.expect("read for this check"),
        Check::ErlangC => erlang_c_check(report.modes.0[0].1.wait_min.mean),
        Check::R2References => r2_check(|mode| report.modes.get(mode).map(|m| m.wait_min.mean)),
        Check::Observations => {
            let within = report.observations.iter().filter(|o| o.within).count();
            format!(
                "{within}/{} observations within tolerance",
                report.observations.len()
            )
        }
    };
    BenchRow {
        workload: w.name.clone(),
        replications: w.replications,
        threads: crate::experiment::threads_for(w.threads, w.replications as usize),
        customers,
        events,
        wall_s,
        wall_s_rounds: vec![wall_s],
        ms_per_replication_rounds: vec![ms_per_replication(&finishes.per_thread())],
        events_per_s: events as f64 / wall_s,
        customers_per_s: customers as f64 / wall_s,
        peak_rss_mib: peak_rss_mib(),
        check,
        bare_loop_of: None,
        speedup_over: w.speedup_over.clone(),
        ratios: Ratios::default(),
    }
}

/// Each thread's mean milliseconds per replication, from its count and its
/// last finish in seconds ([`Finishes::per_thread`]).
fn ms_per_replication(per_thread: &[(u32, f64)]) -> Vec<f64> {
    per_thread
        .iter()
        .map(|&(n, last)| last * 1e3 / f64::from(n))
        .collect()
}

/// When each replication of a run finished, and on which thread: recorded
/// from [`for_each_replication`]'s progress, a few dozen entries.
pub struct Finishes {
    started: Instant,
    /// `(thread, seconds since started)`, one entry a replication.
    at: Mutex<Vec<(usize, f64)>>,
}

impl Finishes {
    /// None yet, timed from `started`, with room for `replications`.
    pub fn new(started: Instant, replications: u32) -> Finishes {
        Finishes {
            started,
            at: Mutex::new(Vec::with_capacity(replications as usize)),
        }
    }

    /// A replication finished now, on this thread (thread 0 outside a pool).
    pub fn record(&self) {
        let thread = rayon::current_thread_index().unwrap_or(0);
        let at = self.started.elapsed().as_secs_f64();
        self.at
            .lock()
            .expect("no panic while held")
            .push((thread, at));
    }

    /// Each thread's count of replications and its last finish, in seconds
    /// since the start, in thread order. Threads that finished none are
    /// left out.
    pub fn per_thread(self) -> Vec<(u32, f64)> {
        per_thread(&self.at.into_inner().expect("no panic while held"))
    }
}

/// [`Finishes::per_thread`] of `(thread, time)` entries.
fn per_thread(finished: &[(usize, f64)]) -> Vec<(u32, f64)> {
    let threads = finished.iter().map(|&(t, _)| t + 1).max().unwrap_or(0);
    let mut per_thread = vec![(0u32, 0.0f64); threads];
    for &(t, at) in finished {
        per_thread[t].0 += 1;
        per_thread[t].1 = per_thread[t].1.max(at);
    }
    per_thread.retain(|&(n, _)| n > 0);
    per_thread
}

/// Runs every workload `rounds` times, round after round (all workloads, then
/// all again), so that a slow spell of a shared machine falls on every
/// workload alike rather than on one. `done` is called after each run with the
/// number of runs finished. Each row gives the median wall time of its rounds.
///
/// # Panics
/// If `rounds` is 0 (the command line asks for at least one).
pub fn run_rounds(workloads: &[Workload], rounds: u32, done: &mut dyn FnMut(u64)) -> Vec<BenchRow> {
    assert!(rounds > 0, "a bench needs at least one round");
    let mut runs: Vec<Vec<BenchRow>> = vec![Vec::new(); workloads.len()];
    let mut finished = 0;
    for _ in 0..rounds {
        for (w, runs) in workloads.iter().zip(&mut runs) {
            runs.push(run(w));
            finished += 1;
            done(finished);
        }
    }
    with_ratios(runs.into_iter().map(combine).collect())
}

/// The rows with the ratios between them written into them, for `--json`:
/// the engine's time over its bare loop's, and the thread speed-ups.
fn with_ratios(mut rows: Vec<BenchRow>) -> Vec<BenchRow> {
    let over_bare: Vec<(String, Vec<f64>)> = bare_ratios(&rows)
        .into_iter()
        .map(|b| (b.workload.to_string(), b.rounds))
        .collect();
    let speedups: Vec<(String, Vec<f64>, Vec<f64>)> = speedups(&rows)
        .into_iter()
        .map(|s| (s.workload.to_string(), s.rounds, s.allowed_rounds))
        .collect();
    for row in &mut rows {
        if let Some((_, rounds)) = over_bare.iter().find(|(w, _)| *w == row.workload) {
            row.ratios.over_bare_loop_rounds = Some(rounds.clone());
        }
        if let Some((_, rounds, allowed)) = speedups.iter().find(|(w, ..)| *w == row.workload) {
            row.ratios.speedup_rounds = Some(rounds.clone());
            row.ratios.allowed_speedup_rounds = Some(allowed.clone());
        }
    }
    rows
}

/// One row from the rounds of a workload: the median wall time and the rates
/// at it, every round's time, and the first round's peak memory. The counts
/// and the check are the same in every round (same scenario, same seeds);
/// a round that differs is a broken promise of determinism, and stops the bench.
fn combine(rounds: Vec<BenchRow>) -> BenchRow {
    let wall_s_rounds: Vec<f64> = rounds.iter().map(|r| r.wall_s).collect();
    let ms_per_replication_rounds = rounds
        .iter()
        .flat_map(|r| r.ms_per_replication_rounds.iter().cloned())
        .collect();
    for r in rounds.iter().skip(1) {
        assert_eq!(
            (r.customers, r.events, &r.check),
            (rounds[0].customers, rounds[0].events, &rounds[0].check),
            "{}: a round differs from the first",
            r.workload
        );
    }
    let first = rounds.into_iter().next().expect("at least one round");
    let wall_s = median(&wall_s_rounds);
    BenchRow {
        wall_s,
        events_per_s: first.events as f64 / wall_s,
        customers_per_s: first.customers as f64 / wall_s,
        wall_s_rounds,
        ms_per_replication_rounds,
        ..first
    }
}

/// Resets the kernel's peak-RSS mark for this process (Linux), so each workload
/// reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory since the last reset, MiB (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        workload: &str,
        replications: u32,
        threads: usize,
        customers: u64,
        wall_s: &[f64],
    ) -> BenchRow {
        BenchRow {
            workload: workload.to_string(),
            replications,
            threads,
            customers,
            events: 0,
            wall_s: median(wall_s),
            wall_s_rounds: wall_s.to_vec(),
            // Each thread as fast as the wall time over the replications,
            // until a test says otherwise.
            ms_per_replication_rounds: wall_s
                .iter()
                .map(|t| vec![t * 1e3 / f64::from(replications); threads])
                .collect(),
            events_per_s: 0.0,
            customers_per_s: 0.0,
            peak_rss_mib: None,
            check: String::new(),
            bare_loop_of: None,
            speedup_over: None,
            ratios: Ratios::default(),
        }
    }

    /// `got` and `want` are equal to rounding.
    fn assert_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-9, "{got:?} vs {want:?}");
        }
    }

    impl BenchRow {
        /// This row, with its speed-up over the row named `one`.
        fn over(self, one: &str) -> BenchRow {
            BenchRow {
                speedup_over: Some(one.to_string()),
                ..self
            }
        }
    }

    #[test]
    fn speedups_pair_the_same_work_on_one_thread_round_by_round() {
        let rows = [
            row("R1", 1, 1, 1000, &[0.1, 0.1, 0.1]),
            // The same counts as the row it is over, but not the one named.
            row("Lars, again", 20, 1, 5000, &[0.5, 0.5, 0.5]),
            row("Lars, 1 thread", 20, 1, 5000, &[0.3, 0.2, 0.28]),
            row("Lars, 4 replications", 4, 1, 1000, &[0.05, 0.05, 0.05]),
            row("Lars, all threads", 20, 2, 5000, &[0.16, 0.10, 0.15]).over("Lars, 1 thread"),
        ];
        let s = speedups(&rows);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].workload, s[0].threads), ("Lars, all threads", 2));
        assert_close(&s[0].rounds, &[0.3 / 0.16, 0.2 / 0.10, 0.28 / 0.15]);
        // The median of the rounds' ratios, not the ratio of the medians
        // (0.28 / 0.15 = 1.867 here).
        assert!((s[0].median - 0.3 / 0.16).abs() < 1e-12);
    }

    #[test]
    fn copies_on_every_thread_speed_up_by_their_pace_not_their_time() {
        // Two copies of 1,000 customers in 0.11 s against one in 0.1 s:
        // 2 × 0.1 / 0.11 the pace, though the wall time grew.
        let rows = [
            row("bare", 1, 1, 1000, &[0.1, 0.1]),
            row("bare, every thread", 2, 2, 2000, &[0.11, 0.2]).over("bare"),
        ];
        let s = &speedups(&rows)[0];
        assert_close(&s.rounds, &[2.0 * 0.1 / 0.11, 1.0]);
        assert_eq!(s.threads, 2);
    }

    #[test]
    fn a_speedup_reads_as_a_share_of_the_machines_round_by_round() {
        let rows = [
            row("bare", 1, 1, 1000, &[0.1, 0.1, 0.1]),
            row("copies", 2, 2, 2000, &[0.1, 0.125, 0.1]).over("bare"),
            row("Lars", 20, 1, 5000, &[0.3, 0.3, 0.3]),
            row("Lars, 2", 20, 2, 5000, &[0.2, 0.2, 0.15]).over("Lars"),
        ];
        let s = speedups(&rows);
        // The copies 2, 1.6, 2; Lars 1.5, 1.5, 2.
        let (share, rounds) = s[1].share_of(&s[0]);
        assert_close(&rounds, &[0.75, 1.5 / 1.6, 1.0]);
        assert!((share - 1.5 / 1.6).abs() < 1e-12);
    }

    #[test]
    fn threads_allow_the_sum_of_their_speeds_relative_to_one_thread() {
        let mut many = row("Lars, all threads", 20, 2, 5000, &[0.1, 0.1]).over("Lars, 1 thread");
        // Round 1: both threads as fast as the one (10 ms); round 2: one of
        // them half as fast.
        many.ms_per_replication_rounds = vec![vec![10.0, 10.0], vec![10.0, 20.0]];
        let one = row("Lars, 1 thread", 20, 1, 5000, &[0.2, 0.2]);
        let rows = [one, many];
        let s = &speedups(&rows)[0];
        assert_eq!(s.allowed_rounds, [2.0, 1.5]);
        assert_eq!(s.allowed_median, 1.75);
        assert_eq!(
            s.ms_per_replication_rounds,
            [(10.0, vec![10.0, 10.0]), (10.0, vec![10.0, 20.0])]
        );
    }

    #[test]
    fn each_thread_runs_at_its_last_finish_over_its_count() {
        // Thread 1 finished three at 8, 16 and 24 ms; thread 0 two at 11 and
        // 22 ms; thread 2 none.
        let finished = [(1, 0.008), (0, 0.011), (1, 0.016), (0, 0.022), (1, 0.024)];
        assert_close(&ms_per_replication(&per_thread(&finished)), &[11.0, 8.0]);
        assert!(per_thread(&[]).is_empty());
        // Threads 1 and 2 finished none and are left out; thread 3 one at 30 ms.
        let finished = [(3, 30.0), (0, 11.0), (0, 22.0)];
        assert_eq!(per_thread(&finished), [(2, 22.0), (1, 30.0)]);
    }

    #[test]
    fn bare_loops_pair_with_the_engine_round_by_round() {
        let mut bare = row("R1, bare loop", 1, 1, 1000, &[0.08, 0.10, 0.07]);
        bare.bare_loop_of = Some("R1".into());
        let rows = [
            row("R1", 1, 1, 1000, &[0.10, 0.11, 0.14]),
            bare,
            row("R2", 1, 1, 500, &[0.5, 0.5, 0.5]),
        ];
        let r = bare_ratios(&rows);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].workload, "R1");
        assert_close(&r[0].rounds, &[0.10 / 0.08, 0.11 / 0.10, 0.14 / 0.07]);
        assert!((r[0].median - 0.10 / 0.08).abs() < 1e-12);
    }

    #[test]
    fn rounds_combine_to_the_median_time_and_the_first_peak() {
        let mut rounds: Vec<BenchRow> = [0.4, 0.1, 0.2, 0.3]
            .iter()
            .map(|&t| row("R1", 1, 1, 1000, &[t]))
            .collect();
        rounds[0].peak_rss_mib = Some(5.0);
        rounds[2].peak_rss_mib = Some(7.5);
        let r = combine(rounds);
        assert_eq!(r.wall_s_rounds, [0.4, 0.1, 0.2, 0.3]);
        assert!((r.wall_s - 0.25).abs() < 1e-12);
        assert!((r.customers_per_s - 4000.0).abs() < 1e-9);
        assert_eq!(r.peak_rss_mib, Some(5.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    #[should_panic(expected = "a round differs from the first")]
    fn rounds_that_differ_stop_the_bench() {
        let mut second = row("R1", 1, 1, 1000, &[0.1]);
        second.check = "Wq 0.7 min".into();
        combine(vec![row("R1", 1, 1, 1000, &[0.1]), second]);
    }
}
