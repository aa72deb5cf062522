//! What each subcommand does, from parsed arguments to files and exit codes.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use borderq::capacity;
use borderq::experiment::run_replications;
use borderq::output::{self, tables};
use borderq::report::aggregate;
use borderq::scenario::Scenario;
use borderq::time::SimTime;

use crate::cli::{BenchArgs, CheckArgs, RunArgs, ScenarioArgs};

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
            let n = lines.len();
            lines.push(format!(
                "{n} problem{} in the scenario; nothing was run (see docs/scenario-format.md)",
                if n == 1 { "" } else { "s" }
            ));
        }
        Failure::input(lines)
    })
}

/// `borderq run`.
pub fn run(args: &RunArgs) -> Result<(), Failure> {
    let extra: Vec<String> = args.seed.iter().map(|s| format!("seed={s}")).collect();
    let sc = load(&args.scenario, &extra)?;
    let reps = args.replications.unwrap_or(sc.replications);
    let dir = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.scenario.scenario));
    if dir.exists() && !dir.is_dir() {
        return Err(Failure::other(format!(
            "{}: exists and is not a folder (choose another -o)",
            dir.display()
        )));
    }

    let started = Instant::now();
    let done = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let outs = std::thread::scope(|scope| {
        if !args.quiet {
            scope.spawn(|| show_progress(&done, &finished, u64::from(reps), "replications"));
        }
        let r = run_replications(&sc, reps, args.threads, &|n| {
            done.store(n, Ordering::Relaxed)
        });
        finished.store(true, Ordering::Relaxed);
        r
    })
    .map_err(|e| Failure::other(e.to_string()))?;
    let wall = started.elapsed().as_secs_f64();

    let report = aggregate(&sc, &outs);
    let mut written =
        output::write_report(&report, &dir).map_err(|e| Failure::other(e.to_string()))?;
    if !args.no_charts {
        let charts = output::charts::write_charts(&report, &dir)
            .map_err(|e| Failure::other(e.to_string()))?;
        written.extend(
            charts
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "png")),
        );
    }
    let events: u64 = outs.iter().map(|o| o.events).sum();
    let customers: u64 = outs
        .iter()
        .flat_map(|o| &o.modes)
        .map(|m| m.arrived.units)
        .sum();
    let run_json = serde_json::json!({
        "wall_s": wall,
        "threads": if args.threads == 0 { rayon::current_num_threads() } else { args.threads },
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
        println!(
            "\nwrote{files} run.json (and SVG charts) to {}",
            dir.display()
        );
        eprintln!(
            "{reps} replications, {events} events in {wall:.2} s ({:.2e} events/s)",
            events as f64 / wall
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

/// A progress bar on a terminal; a plain line every 5 seconds otherwise.
fn show_progress(done: &AtomicU64, finished: &AtomicBool, total: u64, what: &str) {
    let tty = std::io::stderr().is_terminal();
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} {msg} ({elapsed}, ETA {eta})",
            )
            .expect("a valid template"),
        );
        b.set_message(what.to_string());
        b
    });
    let started = Instant::now();
    let mut last_line = Instant::now();
    while !finished.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
        let n = done.load(Ordering::Relaxed);
        match &bar {
            Some(b) => b.set_position(n),
            None if last_line.elapsed() >= Duration::from_secs(5) => {
                eprintln!(
                    "{n}/{total} {what} done after {:.0} s",
                    started.elapsed().as_secs_f64()
                );
                last_line = Instant::now();
            }
            None => {}
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
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
        "{}: valid. {} modes, {} stages, {} booth groups, {} policy events, {} observations.",
        sc.name,
        sc.modes.len(),
        sc.stages.len(),
        sc.groups.len(),
        sc.events.len(),
        sc.observations.len()
    );
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
        println!("warning: {overloaded} period/group rows are overloaded (ρ > 1); the simulation runs, and queues grow there.");
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

/// `borderq bench`.
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let mut rows = Vec::new();
    if !args.json {
        println!(
            "{:<44} {:>11} {:>11} {:>8} {:>10} {:>11} {:>9}  check",
            "workload", "customers", "events", "wall s", "events/s", "customers/s", "peak MiB"
        );
    }
    for w in borderq::bench::workloads(args.quick) {
        let r = borderq::bench::run(&w);
        if !args.json {
            println!(
                "{:<44} {:>11} {:>11} {:>8.3} {:>10.3e} {:>11.3e} {:>9}  {}",
                r.workload,
                r.customers,
                r.events,
                r.wall_s,
                r.events_per_s,
                r.customers_per_s,
                r.peak_rss_mib
                    .map_or_else(|| "-".to_string(), |m| format!("{m:.1}")),
                r.check
            );
        }
        rows.push(r);
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).expect("rows serialise")
        );
    }
    Ok(())
}
