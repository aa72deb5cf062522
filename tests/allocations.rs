//! The engine allocates nothing per event: a replication about four times
//! as long makes only a few more allocations (vectors that double,
//! histograms that reach longer waits, the patience deadlines' buckets),
//! not one per customer or event.
//!
//! A run's report holds the same memory however many replications it has:
//! each is folded in as it finishes and let go. A merge of a sweep's shards
//! holds about the same memory however many tasks they record, and a
//! sweep's report and outputs hold each point's estimates alone.
//!
//! A counting allocator wraps the system's and counts, on each thread, the
//! allocations and reallocations made there and the bytes they hold; each
//! check runs on a thread of its own, so tests running beside it do not
//! count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use borderq::engine::{run_replication, Outcome};
use borderq::experiment::for_each_replication;
use borderq::report::Fold;
use borderq::stats::{Estimate, Running};
use borderq::sweep::{Axis, Header, Plan, Record, ShardWriter, SweepFold};
use borderq::Scenario;

mod common;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated on this thread less those freed on it.
    static LIVE: Cell<i64> = const { Cell::new(0) };
    /// The most `LIVE` has been since it was last set here.
    static PEAK: Cell<i64> = const { Cell::new(0) };
}

/// Counts an allocation of `bytes` (a reallocation's change, negative for a
/// free, which is not counted as an allocation).
fn counted(allocation: bool, bytes: i64) {
    // `try_with`: a thread being torn down may allocate after its count has gone.
    if allocation {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
    let _ = LIVE.try_with(|n| {
        n.set(n.get() + bytes);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(n.get())));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// count is a const-initialised thread-local `Cell`, which allocates nothing.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted(true, layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        counted(true, layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted(true, new_size as i64 - layout.size() as i64);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        counted(false, -(layout.size() as i64));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// The most allocations allowed per 10,000 events that a longer replication
/// adds, without patience: a vector doubling or a histogram reaching a
/// longer wait now and then. One allocation per event would be 10,000.
const PER_10K_EVENTS: u64 = 1;

/// The same with every unit waiting with a patience. The deadlines' radix
/// heap gives back the room of a large bucket when it empties it (so no
/// bucket holds on to its own peak) and regrows the lower buckets its keys
/// move to: about one allocation per 600 events with 2,000 waiting.
const PER_10K_EVENTS_WITH_PATIENCE: u64 = 40;

/// One replication of `path` with `overrides` and the allocations it made,
/// counted on a thread of its own (the scenario is loaded before counting).
fn counted_replication(path: &str, overrides: &[String]) -> (Outcome, u64) {
    let sc = Scenario::load(path.as_ref(), overrides).expect("a valid scenario");
    std::thread::scope(|s| {
        s.spawn(|| {
            let before = ALLOCATIONS.with(Cell::get);
            let out = run_replication(&sc, 0);
            (out, ALLOCATIONS.with(Cell::get) - before)
        })
        .join()
        .expect("the replication runs")
    })
}

/// Events and allocations of one replication of `path` with `overrides`.
fn events_and_allocations(path: &str, overrides: &[&str]) -> (u64, u64) {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let (out, made) = counted_replication(path, &overrides);
    (out.events, made)
}

/// A replication of `path` run short (`short`) and about four times as
/// long (`long`) adds at most `per_10k` allocations per 10,000 events it adds.
fn assert_no_allocation_per_event(path: &str, short: &[&str], long: &[&str], per_10k: u64) {
    let (e1, a1) = events_and_allocations(path, short);
    let (e2, a2) = events_and_allocations(path, long);
    assert!(e2 >= 3 * e1, "{path}: {e2} events is not three times {e1}");
    let allowed = (e2 - e1) / 10_000 * per_10k;
    assert!(
        a2.saturating_sub(a1) <= allowed,
        "{path}: {a1} allocations in {e1} events, {a2} in {e2}: more than {allowed} added"
    );
    // The count sees the replication's own allocations (its tables and
    // histograms), so a zero above would not be a count that never ran.
    assert!(a1 > 10, "{path}: only {a1} allocations counted");
}

#[test]
fn r1_allocates_nothing_per_customer() {
    assert_no_allocation_per_event(
        "scenarios/mmc.toml",
        &["end_after_crossings=50000"],
        &["end_after_crossings=200000"],
        PER_10K_EVENTS,
    );
}

#[test]
fn patience_allocates_nothing_per_customer() {
    // 2,000 waiting at the start, every unit with a patience: deadlines are
    // pushed, taken and dropped at every arrival and departure.
    let patient = [
        "arrivals.customer.initial_queue=2000",
        "modes.customer.patience={ dist = \"exponential\", mean_min = 500 }",
    ];
    let with = |n: &'static str| [&patient[..], &[n]].concat();
    assert_no_allocation_per_event(
        "scenarios/mmc.toml",
        &with("end_after_crossings=50000"),
        &with("end_after_crossings=200000"),
        PER_10K_EVENTS_WITH_PATIENCE,
    );
}

/// Allocations of one replication of R2 over `days`, and its arrival
/// cohorts (one histogram each).
fn r2_allocations_and_cohorts(days: u32) -> (u64, usize) {
    let (out, made) = counted_replication(
        "scenarios/border-r2.toml",
        &[format!("horizon_days={days}")],
    );
    (made, out.modes.iter().map(|m| m.cohorts.len()).sum())
}

/// Each cohort's histogram starts with the room its predecessor used, so it
/// is allocated about once rather than regrown as its waits lengthen: 60
/// days of R2, 180 cohorts, add about 1.1 allocations per cohort to 7
/// days' 21; regrowing added 3.3.
#[test]
fn r2_allocates_each_cohorts_histogram_about_once() {
    let (a1, c1) = r2_allocations_and_cohorts(7);
    let (a2, c2) = r2_allocations_and_cohorts(60);
    assert!(c2 >= 150 && c1 < 30, "{c1} and {c2} cohorts");
    let added = (a2 - a1) as f64 / (c2 - c1) as f64;
    assert!(
        added <= 1.5,
        "{a1} allocations with {c1} cohorts, {a2} with {c2}: {added:.2} a cohort"
    );
}

#[test]
fn r2_allocates_nothing_per_customer() {
    // From 60 days on, the counting periods (and the cohorts' histograms)
    // are 60 whatever the horizon: a longer one has longer periods, not more.
    assert_no_allocation_per_event(
        "scenarios/border-r2.toml",
        &["horizon_days=60"],
        &["horizon_days=240"],
        PER_10K_EVENTS,
    );
}

/// Bytes a run's fold of `replications` replications of M/M/10 (two hours,
/// a sample every five minutes) holds once they are all in, counted on a
/// thread of its own, on which the replications run one after another.
fn held_by_the_fold(replications: u32) -> i64 {
    let set = ["horizon_h=2", "sample_interval_min=5"].map(String::from);
    let sc = Scenario::load("scenarios/mmc.toml".as_ref(), &set).expect("a valid scenario");
    std::thread::scope(|s| {
        s.spawn(|| {
            let before = LIVE.with(Cell::get);
            let mut fold = Fold::new(&sc, replications);
            for_each_replication(&sc, replications, 1, &|_| {}, &mut |o| fold.add(o))
                .expect("one thread needs no pool");
            let held = LIVE.with(Cell::get) - before;
            drop(fold);
            held
        })
        .join()
        .expect("the replications run")
    })
}

#[test]
fn a_runs_memory_does_not_grow_with_its_replications() {
    let few = held_by_the_fold(1_200);
    let many = held_by_the_fold(4_800);
    // The merged histograms may reach a few more buckets with more waits;
    // a figure kept per replication would be 8 bytes times 3,600 for each.
    assert!(
        many - few <= 4_096,
        "{few} bytes held after 1,200 replications, {many} after 4,800"
    );
    // The count sees what the fold holds (its histograms and bands).
    assert!(few > 10_000, "only {few} bytes counted");
}

/// A plan of `points` points of `replications` tasks, each task recording
/// 14 metrics.
fn synthetic_plan(points: usize, replications: u32) -> Plan {
    Plan {
        scenario: "synthetic".into(),
        scenario_file: "synthetic.toml".into(),
        seed: 1,
        replications,
        overrides: Vec::new(),
        axes: vec![Axis {
            key: "service_speed".into(),
            values: (0..points).map(|p| format!("1.{p:05}")).collect(),
        }],
        independent: false,
        metrics: (0..14).map(|i| format!("metric_{i}")).collect(),
        version: "0".into(),
        hash: "0123456789abcdef".into(),
    }
}

/// Task `task`'s record of `plan`: 14 metrics made from its number.
fn synthetic_record(plan: &Plan, task: usize) -> Record {
    Record {
        plan: plan.hash.clone(),
        task,
        metrics: (0..14)
            .map(|i| Some((task * 14 + i) as f64 / 7.0))
            .collect(),
    }
}

/// The most bytes `work` held at once above what its thread held before,
/// run on a thread of its own.
fn peak_of(work: impl FnOnce() + Send) -> i64 {
    std::thread::scope(|s| {
        s.spawn(|| {
            let before = LIVE.with(Cell::get);
            PEAK.with(|peak| peak.set(before));
            work();
            PEAK.with(Cell::get) - before
        })
        .join()
        .expect("the work runs")
    })
}

/// The most bytes a merge held, for `shards` shard files of `points` points
/// × `replications` tasks. Each file is in task order but for each pair of
/// neighbours, swapped, as two threads finishing their tasks out of order
/// write them.
fn peak_of_a_merge(points: usize, replications: u32, shards: usize) -> i64 {
    let dir = common::scratch(&format!("merge-{points}-{replications}-{shards}"));
    let plan = synthetic_plan(points, replications);
    for shard in 0..shards {
        let header = Header {
            plan: plan.clone(),
            shard,
            shards,
        };
        let path = borderq::sweep::shard_file(&dir, shard, shards);
        let mut writer = ShardWriter::create(&path, &header).expect("a shard file");
        let mut tasks: Vec<usize> = (shard..plan.tasks()).step_by(shards).collect();
        tasks.chunks_mut(2).for_each(<[usize]>::reverse);
        for task in tasks {
            let record = synthetic_record(&plan, task);
            writer.append(&record).expect("a record written");
        }
    }
    let peak = peak_of(|| {
        let report = borderq::sweep::merge(&[dir.as_path()]).expect("a complete sweep");
        assert_eq!(report.points(), points);
    });
    std::fs::remove_dir_all(&dir).expect("the folder removed");
    peak
}

#[test]
fn a_merges_memory_does_not_grow_with_its_tasks() {
    let (few, many) = (peak_of_a_merge(40, 250, 4), peak_of_a_merge(40, 1_000, 4));
    let more_tasks = 40 * (1_000 - 250);
    // Two bits a task mark those seen and those seen twice; a record kept
    // until the end would be some 300 bytes (its 14 metrics alone 224).
    assert!(
        many - few < more_tasks,
        "a merge held {few} bytes at most for 10,000 tasks, {many} for 40,000"
    );
    assert!(few > 10_000, "only {few} bytes counted");
}

#[test]
fn a_merges_memory_does_not_grow_with_its_shards() {
    // 2,000 points of 16 replications, in 4 shard files or in 16.
    let (few, many) = (
        peak_of_a_merge(2_000, 16, 4),
        peak_of_a_merge(2_000, 16, 16),
    );
    // The files are read a share of 4,096 records ahead each, so the records
    // ahead are the same: 5 KB apart. A plan kept for every file (each lists
    // the 2,000 swept values) added some 64 KB a file, 774 KB in all.
    assert!(
        many - few < 100_000,
        "a merge held {few} bytes at most from 4 files, {many} from 16"
    );
}

/// The most bytes held at once by folding a sweep of `points` points (one
/// replication each, 14 metrics), finishing its report and writing
/// `sweep.csv` and `sweep.json`.
fn peak_of_a_sweeps_report(points: usize) -> i64 {
    let dir = common::scratch(&format!("report-{points}"));
    let plan = synthetic_plan(points, 1);
    let peak = peak_of(|| {
        let mut fold = SweepFold::new(&plan);
        for task in 0..plan.tasks() {
            fold.add(synthetic_record(&plan, task))
                .expect("a record of the plan");
        }
        let report = fold.finish().expect("a complete sweep");
        borderq::output::sweep::write_sweep(&report, &dir, false, 1).expect("written");
    });
    let csv = std::fs::read_to_string(dir.join("sweep.csv")).expect("sweep.csv");
    assert_eq!(
        csv.lines().count(),
        points + 1,
        "a header and a row a point"
    );
    std::fs::remove_dir_all(&dir).expect("the folder removed");
    peak
}

#[test]
fn a_sweeps_report_holds_each_points_estimates_alone() {
    let (few, many) = (
        peak_of_a_sweeps_report(1_000),
        peak_of_a_sweeps_report(4_000),
    );
    let per_point = (many - few) / 3_000;
    // A point's 14 running estimates and, as the report is finished, its 14
    // estimates (448 and 336 bytes), and its swept value in the plan: 819
    // bytes. A report that copied the names into every point and built the
    // files whole in memory before writing them held 5,981.
    let bound = 14 * (std::mem::size_of::<Running>() + std::mem::size_of::<Estimate>()) + 128;
    assert!(
        per_point <= bound as i64,
        "{per_point} bytes a point ({few} at 1,000 points, {many} at 4,000), over {bound}"
    );
}
