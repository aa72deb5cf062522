//! What each subcommand does, from parsed arguments to files and exit codes.

mod bench;
mod sweep;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use borderq::capacity;
use borderq::engine::Outcome;
use borderq::experiment::for_each_replication;
use borderq::output::{self, tables};
use borderq::report::Fold;
use borderq::scenario::Scenario;
use borderq::time::SimTime;

use crate::cli::{CheckArgs, RunArgs, ScenarioArgs};
use crate::progress::Progress;

pub use bench::bench;
pub use sweep::{merge, sweep};

/// A failure with its exit code: 2 for bad input, 1 for anything else.
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// Lines for stderr.
    pub lines: Vec<String>,
}

impl Failure {
    fn input(lines: Vec<String>) -> Failure {
        Failure { code: 2, lines }
    }

    fn other(line: String) -> Failure {
        Failure {
            code: 1,
            lines: vec![line],
        }
    }
}

fn load(args: &ScenarioArgs, extra: &[String]) -> Result<Scenario, Failure> {
    let mut overrides = args.overrides.clone();
    overrides.extend_from_slice(extra);
    Scenario::load(&args.scenario, &overrides).map_err(|e| {
        let mut lines = e.lines();
        if e.io.is_none() {
            lines.push(format!(
                "{} in the scenario; nothing was run (see docs/scenario-format.md)",
                tables::counted(lines.len(), "problem")
            ));
        }
        Failure::input(lines)
    })
}

/// Units per replication allowed for each event of `--max-events`: 1e10 events
/// allow 1e8 units (some 10 GB if they all queued at once).
const UNITS_PER_EVENT_CAP: f64 = 100.0;

/// Refuses a run expected to take hours or to exhaust memory, saying how to allow it.
fn check_size(sc: &Scenario, reps: u32, max_events: f64, label: &str) -> Result<(), Failure> {
    let expected = sc.expected_events() * f64::from(reps);
    // Units that may all be waiting at once in one replication (about 100 bytes each).
    let units = sc.expected_units();
    if expected > max_events || units > max_events / UNITS_PER_EVENT_CAP {
        return Err(Failure::input(vec![format!(
            "{}: this run would handle about {expected:.2e} events ({:.2e} units per replication × {reps} replications), \
             over the limit of {:.0e}; shorten the horizon, lower the rates or the replications, or allow it with --max-events {:.0e}",
            label,
            sc.expected_units(),
            max_events,
            (expected * 1.1).max(max_events * 10.0)
        )]));
    }
    Ok(())
}

/// A scenario sampled more coarsely than it runs has one sample: its time
/// series and the charts over time would come out empty.
fn sampling_warning(sc: &Scenario) -> Option<String> {
    (sc.sample_interval > sc.horizon).then(|| {
        let min = |t: SimTime| tables::num(t.as_min(), 2);
        format!(
            "the samples are {} min apart, longer than the run ({} min): the time series \
             holds the start alone, and the charts over time are empty; sample more often \
             with --set sample_interval_min={}",
            min(sc.sample_interval),
            min(sc.horizon),
            min(borderq::scenario::default_sample_interval(sc.horizon)),
        )
    })
}

/// `borderq run`.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let extra: Vec<String> = args.seed.iter().map(|s| format!("seed={s}")).collect();
    let sc = load(&args.scenario, &extra)?;
    if !args.quiet {
        if let Some(w) = sampling_warning(&sc) {
            eprintln!("warning: {w}");
        }
    }
    let reps = args.replications.unwrap_or(sc.replications);
    check_size(
        &sc,
        reps,
        args.max_events,
        &args.scenario.scenario.display().to_string(),
    )?;
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.scenario.scenario));
    // Made before simulating, so a folder that cannot be written costs nothing.
    output::ensure_dir(&dir).map_err(|e| Failure::other(e.to_string()))?;

    let started = Instant::now();
    let done = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let mut events = 0u64;
    let mut customers = 0u64;
    let mut before_warmup_end = 0u32;
    // Each replication goes into the report as it comes, in replication order.
    let mut fold = Fold::new(&sc, reps);
    std::thread::scope(|scope| {
        let reporter = (!args.quiet).then(|| {
            scope.spawn(|| {
                // Workers only bump a counter; this thread owns stderr.
                let mut progress = Progress::new(u64::from(reps), "replications", false);
                while !finished.load(Ordering::Relaxed) {
                    std::thread::park_timeout(Duration::from_millis(100));
                    progress.update(done.load(Ordering::Relaxed));
                }
                progress.finish();
            })
        });
        let take = &mut |o: Outcome| {
            before_warmup_end += u32::from(o.end < sc.warmup);
            events += o.events;
            customers += o.modes.iter().map(|m| m.arrived.units).sum::<u64>();
            fold.add(o);
        };
        let r = for_each_replication(
            &sc,
            reps,
            args.threads,
            &|n| done.store(n, Ordering::Relaxed),
            take,
        );
        finished.store(true, Ordering::Relaxed);
        if let Some(handle) = reporter {
            handle.thread().unpark();
        }
        r
    })
    .map_err(|e| Failure::other(e.to_string()))?;
    let wall = started.elapsed().as_secs_f64();
    let report = fold.finish();
    if before_warmup_end > 0 && !args.quiet {
        eprintln!(
            "warning: {before_warmup_end} of {reps} replications reached end_after_crossings \
             before the warm-up ended at {} h: their waits and queue statistics are empty",
            sc.warmup.as_h()
        );
    }

    // The report's files are written while the charts are drawn.
    let report_files = || output::write_report(&report, &dir);
    let (mut written, charts) = if args.no_charts {
        report_files().map(|written| (written, Vec::new()))
    } else {
        output::charts::write_charts(&report, &dir, args.threads, report_files)
    }
    .map_err(|e| Failure::other(e.to_string()))?;
    // Charts of an earlier run into this folder no longer describe it.
    let removed = output::files::remove_stale(&dir, &charts, output::charts::is_chart_file)
        .map_err(|e| Failure::other(e.to_string()))?;
    written.extend(
        charts
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "png")),
    );
    let run_json = serde_json::json!({
        "wall_s": wall,
        "threads": borderq::experiment::threads_for(args.threads, reps as usize),
        "replications": reps,
        "events": events,
        "events_per_s": events as f64 / wall,
        "customers": customers,
    });
    output::write_atomic(&dir, "run.json", format!("{run_json:#}\n").as_bytes())
        .map_err(|e| Failure::other(e.to_string()))?;

    if !args.quiet {
        let cal = sc.calendar;
        print!(
            "{}",
            tables::text_summary(&report, |h| cal.datetime(SimTime::from_h(h)).to_string())
        );
        let mut files = String::new();
        for p in &written {
            write!(
                files,
                " {}",
                p.file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            )
            .unwrap();
        }
        let svg = if args.no_charts {
            ""
        } else {
            " (and SVG charts)"
        };
        println!("\nwrote{files} run.json{svg} to {}", dir.display());
        print_removed("run", &removed);
        eprintln!(
            "{}, {} in {wall:.2} s ({} events/s)",
            tables::counted(reps as usize, "replication"),
            tables::counted(events as usize, "event"),
            tables::per_second(events as f64 / wall)
        );
    }
    Ok(())
}

fn default_output(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
    Path::new("out").join(stem)
}

/// `borderq check`.
pub fn check(args: &CheckArgs) -> Result<(), Failure> {
    let sc = load(&args.scenario, &[])?;
    if !(args.length_km.is_finite() && args.length_km > 0.0) {
        return Err(Failure::input(vec![format!(
            "--length-km {}: not allowed (allowed: a length above 0 km)",
            args.length_km
        )]));
    }
    let cap = capacity::analyse(&sc, args.length_km);
    let cal = sc.calendar;
    println!(
        "{}: valid. {}, {}, {}, {}, {}.",
        sc.name,
        tables::counted(sc.modes.len(), "mode"),
        tables::counted(sc.stages.len(), "stage"),
        tables::counted(sc.groups.len(), "booth group"),
        tables::counted(sc.events.len(), "policy event"),
        tables::counted(sc.observations.len(), "observation"),
    );
    if let Some(w) = sampling_warning(&sc) {
        println!("warning: {w}");
    }
    println!("\nOffered load against capacity per period (fluid approximation; ρ > 1 means the queue grows):\n");
    println!(
        "{:<35} {:<22} {:>11} {:>11} {:>7} {:>12} {:>8}",
        "period", "stage/group", "arrivals/h", "capacity/h", "ρ", "growth/h", "km/h"
    );
    let mut overloaded = 0;
    for r in &cap.rows {
        let period = format!("{} → {}", cal.datetime(r.from), cal.datetime(r.to));
        let rho = if r.rho.is_finite() {
            format!("{:.3}", r.rho)
        } else {
            "∞".to_string()
        };
        let (growth, km) = if r.growth_per_h > 0.0 {
            overloaded += 1;
            (
                format!("+{:.1}", r.growth_per_h),
                format!("+{:.3}", r.growth_km_per_h),
            )
        } else {
            (String::new(), String::new())
        };
        println!(
            "{:<35} {:<22} {:>11.1} {:>11.1} {:>7} {:>12} {:>8}",
            period,
            sc.group_label(borderq::scenario::GroupId(r.group)),
            r.arrivals_per_h,
            r.capacity_per_h,
            rho,
            growth,
            km
        );
    }
    println!();
    if overloaded > 0 {
        println!(
            "warning: {} overloaded (ρ > 1); the simulation runs, and queues grow there.",
            match overloaded {
                1 => "1 period/group row is".to_string(),
                n => format!("{n} period/group rows are"),
            }
        );
    }
    if sc.vehicle_modes() == 0 {
        println!("No mode travels on the road, so there is no road queue to forecast.");
        return Ok(());
    }
    let (peak, at) = cap.peak_km;
    println!(
        "Fluid approach queue of all vehicles: longest {peak:.2} km, at {}.",
        cal.datetime(at)
    );
    match cap.reaches {
        Some(t) => println!(
            "It reaches {} km around {}.",
            args.length_km,
            cal.datetime(t)
        ),
        None => println!("It never reaches {} km within the horizon.", args.length_km),
    }
    Ok(())
}

/// Names the charts of an earlier `run` or `sweep` (`what`) removed from
/// the output folder.
fn print_removed(what: &str, removed: &[String]) {
    if !removed.is_empty() {
        println!(
            "removed {} of an earlier {what} that no longer match it: {}",
            tables::counted(removed.len(), "chart file"),
            removed.join(" ")
        );
    }
}
