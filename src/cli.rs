//! The command line: what each subcommand takes, with the help text users read.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// borderq simulates queues at land border checkpoints: cars, buses, cyclists
/// and pedestrians arriving at rates that change over time, waiting on the road
/// or the footpath, passing one country's exit control and the other's entry
/// control, and leaving. It reports queue length (in units and in km of road),
/// waits, throughput and utilisation, against reported observations.
#[derive(Debug, Parser)]
#[command(
    name = "borderq",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(after_help = "Examples:\n  \
    borderq run scenarios/verkhny-lars-2022.toml\n  \
    borderq run scenarios/mmc.toml -r 20 --set stages.counter.booths.servers.count=11\n  \
    borderq check scenarios/verkhny-lars-2022.toml --length-km 15\n\n\
    Exit codes: 0 success, 2 invalid scenario or usage, 1 anything else.")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate a scenario: print a summary and write summary.json,
    /// timeseries.csv, waits.csv, observations.csv and charts (PNG and SVG).
    Run(RunArgs),
    /// Validate a scenario and print its capacity against demand per stage and
    /// period (the fluid approximation), without simulating.
    Check(CheckArgs),
    /// Time the fixed reference workloads and bare hand-written loops of the
    /// same models: speed, peak memory and the correctness figure of each.
    ///
    /// The workloads: R1 M/M/10, R2 border at 7 and 700 days, Verkhny Lars
    /// with 20 replications at 1 and all threads, and bare loops of R1 and R2,
    /// R1's also as a copy on every thread at once. Each row gives events/s,
    /// customers/s, peak memory and the correctness figure. Then the engine's
    /// time over its bare loop's, how many times faster all threads ran than
    /// one, and how much faster the threads' own speeds allowed (on a shared
    /// machine one core may run slower than the other). The bare loop's
    /// copies share nothing, so their speed-up is what the machine gives any
    /// work: the engine's is shown as a share of it. Each workload runs in
    /// several rounds and reports the median. The table starts with the
    /// build and the machine; to follow the speed over time, save a bench
    /// with `--json > FILE` and give FILE to a later bench as `--baseline`.
    Bench(BenchArgs),
    /// Run a grid of settings (every combination of the --vary values) with
    /// replications, on all cores or as one shard of a cluster job; write
    /// sweep.csv, sweep.json and a chart per metric, and print the points'
    /// headline metrics (the first and last 20 of a longer sweep).
    Sweep(SweepArgs),
    /// Combine the shard files of a sharded sweep into the files a
    /// single-process sweep writes, after checking every task is there once.
    Merge(MergeArgs),
}

/// `borderq sweep`.
#[derive(Debug, Args)]
#[command(
    after_help = "VALUES is a list (4,6,8,12) or a range start..end:step (1800..3600:300),\n\
    computed exactly as start + i*step; the end is included when hit. Several --vary\n\
    combine as a grid. `speed` is short for service_speed, the factor on every booth\n\
    group's service speed (--vary speed=0.5..2:0.25); a booth group's\n\
    capacity_per_day sets its processing rate in units per day\n\
    (--vary stages.ru-exit.booths.cars.capacity_per_day=1800..3600:300).\n\n\
    Common random numbers: replication r of every point sees the same arrivals and\n\
    per-unit draws, so differences between points are much less noisy than the\n\
    points themselves (--independent turns this off).\n\n\
    On a cluster: run the same command as array tasks with --shard I/N (or from\n\
    SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX with\n\
    --shards N), each writing DIR/shard-I-of-N.jsonl as tasks finish; then\n\
    `borderq merge DIR... -o DIR`. An interrupted shard continues with --resume."
)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,

    /// A key to sweep and its values, e.g. `speed=0.5..2:0.25`. Repeat for a grid.
    /// Without --vary, the scenario's [sweep] table is used.
    #[arg(long, value_name = "KEY=VALUES")]
    pub vary: Vec<String>,

    /// Replications per point [default: the scenario's].
    #[arg(short = 'r', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000), allow_negative_numbers = true)]
    pub replications: Option<u32>,

    /// Output folder [default: out/<scenario file stem>-sweep/].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Threads for replications and charts; 0 uses every core.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads, allow_negative_numbers = true)]
    pub threads: usize,

    /// Run only shard I of N (0-based): tasks k with k mod N = I.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,

    /// The number of shards, with Kubernetes' JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N")]
    pub shards: Option<usize>,

    /// Continue an interrupted sweep or shard: skip the tasks already recorded.
    /// Without it, a sweep in one process starts afresh, and a shard whose
    /// record file exists is refused.
    #[arg(long)]
    pub resume: bool,

    /// Give every task its own random streams (no common random numbers).
    #[arg(long)]
    pub independent: bool,

    /// Refuse sweeps expected to handle more events than this (all tasks).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_EVENTS, value_parser = event_limit, allow_negative_numbers = true)]
    pub max_events: f64,

    /// The most points allowed in the grid.
    #[arg(long, value_name = "N", default_value_t = borderq::sweep::DEFAULT_MAX_POINTS, value_parser = point_limit, allow_negative_numbers = true)]
    pub max_points: usize,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Do not draw the charts; sweep charts of an earlier sweep in the
    /// folder are removed, as they would not match this one.
    #[arg(long)]
    pub no_charts: bool,
}

/// `borderq merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Folders holding shard files (shard-I-of-N.jsonl).
    #[arg(required = true, value_name = "DIR")]
    pub dirs: Vec<PathBuf>,

    /// Where to write sweep.csv, sweep.json and the charts.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,

    /// Print nothing but errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Do not draw the charts; sweep charts of an earlier sweep in the
    /// folder are removed, as they would not match this one.
    #[arg(long)]
    pub no_charts: bool,
}

/// `borderq bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Workloads about ten times smaller (for a quick look). Each check
    /// then comes from a run ten times shorter and strays further from
    /// theory; the table says by how much. The thread speed-ups then come
    /// from passes of a few milliseconds, and vary more.
    #[arg(long)]
    pub quick: bool,

    /// Print JSON instead of a table, for tracking over time: the build and
    /// the machine (borderq, started_utc, cpu, threads, os, quick, rounds),
    /// one object per workload under `workloads`, each carrying its ratios
    /// too (over_bare_loop_rounds, speedup_rounds, allowed_speedup_rounds),
    /// and the comparison under `baseline` with `--baseline`.
    #[arg(long)]
    pub json: bool,

    /// Run every workload N times, round after round, and report the median
    /// time of each; the thread speed-up is the median of the rounds' own
    /// speed-ups. On a shared machine a slow spell then falls on all alike.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..), allow_negative_numbers = true)]
    pub rounds: u32,

    /// Compare with an earlier bench saved with `--json`: for each workload
    /// both ran, customers per second then and now, and the ratios that
    /// carry across machines (the engine's time over its bare loop's, the
    /// thread speed-up); and the correctness figures that moved, where the
    /// same work and seeds gave another result. The file is read before
    /// anything runs.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
}

/// Options shared by commands that load a scenario.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML; see docs/scenario-format.md).
    pub scenario: PathBuf,

    /// Override a value before validation, by dotted path with names, e.g.
    /// `--set stages.ru-exit.booths.cars.count=8` or `--set horizon_days=3`.
    /// May be repeated; applied in order.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// `borderq run`.
#[derive(Debug, Args)]
#[command(
    after_help = "Outputs are byte-identical for the same scenario and seed at any --threads.\n\
    Wall time and events per second go to stderr and to run.json, never into the other files.\n\
    Means and their 95% intervals are over all replications; the 5-95% bands of\n\
    timeseries.csv and the charts over the first 1,000 (so memory does not grow with -r)."
)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,

    /// Output folder [default: out/<scenario file stem>/].
    #[arg(short, long, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Replications [default: the scenario's `replications`].
    #[arg(short = 'r', long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000), allow_negative_numbers = true)]
    pub replications: Option<u32>,

    /// Master seed [default: the scenario's `seed`].
    #[arg(
        long,
        value_name = "N",
        value_parser = seed_value,
        allow_negative_numbers = true
    )]
    pub seed: Option<u64>,

    /// Threads for replications and charts; 0 uses every core.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = threads, allow_negative_numbers = true)]
    pub threads: usize,

    /// Print nothing but errors (no progress, no summary).
    #[arg(short, long)]
    pub quiet: bool,

    /// Refuse runs expected to handle more events than this (all
    /// replications); raise it to allow a longer run.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_EVENTS, value_parser = event_limit, allow_negative_numbers = true)]
    pub max_events: f64,

    /// Do not draw the charts (queue-km, queue-units, wait-by-arrival,
    /// wait-distribution, crossings-per-day, utilisation; PNG and SVG);
    /// those of an earlier run in the folder are removed, as they would not
    /// match this one.
    #[arg(long)]
    pub no_charts: bool,
}

/// The default cap on expected events of a run: about ten minutes on one core.
pub const DEFAULT_MAX_EVENTS: f64 = 1e10;

/// `borderq check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,

    /// Report when the approach queue of all vehicles would reach this length.
    #[arg(
        long,
        value_name = "KM",
        default_value_t = 15.0,
        allow_negative_numbers = true
    )]
    pub length_km: f64,
}

/// The most worker threads `--threads` accepts.
pub const MAX_THREADS: usize = 1024;

/// Parses `--threads`: 0 (every core) to [`MAX_THREADS`]. Each thread takes
/// memory for its stack, so an accidental `--threads 100000` must not start.
fn threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=MAX_THREADS as i128).contains(&n) => Ok(n as usize),
        Ok(n) if n > 0 => Err(format!(
            "{n} is over the most, {MAX_THREADS} (0 uses every core)"
        )),
        Ok(n) => Err(format!(
            "{n} is not allowed (allowed: 0 to {MAX_THREADS}; 0 uses every core)"
        )),
        Err(e) => Err(format!("{e}")),
    }
}

/// Parses `--max-events`: a number of events, 1 or more (`1e12` is allowed).
/// A NaN would turn the guard off unseen, as no estimate compares above it.
fn event_limit(text: &str) -> Result<f64, String> {
    let n: f64 = text.trim().parse().map_err(|e| format!("{e}"))?;
    if n.is_finite() && n >= 1.0 {
        Ok(n)
    } else {
        Err(format!(
            "{text} is not a number of events (allowed: 1 or more, e.g. 1e12)"
        ))
    }
}

/// Parses `--max-points`: 1 or more.
fn point_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<i128>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|e| format!("{e}")),
        Ok(n) => Err(format!(
            "{n} points would refuse every sweep (allowed: 1 or more)"
        )),
        Err(e) => Err(format!("{e}")),
    }
}

/// Parses `--seed`: a whole number a scenario's `seed` can hold, 0 to
/// 2^63 - 1; a negative one or one too large is said to be out of that range.
fn seed_value(text: &str) -> Result<u64, String> {
    let range = format!("0..={}", i64::MAX);
    match text.trim().parse::<i128>() {
        Ok(n) if (0..=i128::from(i64::MAX)).contains(&n) => Ok(n as u64),
        Ok(n) => Err(format!("{n} is not in {range}")),
        Err(_) => Err(format!("not a whole number in {range}")),
    }
}
