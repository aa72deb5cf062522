//! `borderq bench`: the reference workloads timed, their table with the
//! ratios to the bare loops and the thread speed-ups, and the comparison
//! with an earlier bench saved with `--json`.

use std::path::Path;

use borderq::bench::{Baseline, Comparison, Report, Setting};
use borderq::output::tables;

use super::Failure;
use crate::cli::BenchArgs;
use crate::progress::Progress;

/// `borderq bench`.
pub fn bench(args: &BenchArgs) -> Result<(), Failure> {
    // The baseline first: a bad file stops the bench before its minute of work.
    let baseline = match &args.baseline {
        Some(path) => Some((path.display().to_string(), read_baseline(path)?)),
        None => None,
    };
    let setting = Setting::here(args.quick, args.rounds);
    let workloads = borderq::bench::workloads(args.quick);
    let runs = workloads.len() as u64 * u64::from(args.rounds);
    let mut progress = Progress::new(runs, "workload runs", false);
    let rows =
        borderq::bench::run_rounds(&workloads, args.rounds, &mut |done| progress.update(done));
    progress.finish();
    let comparison = baseline
        .as_ref()
        .map(|(file, b)| borderq::bench::compare(b, file, &rows));
    if args.json {
        let report = Report {
            setting: &setting,
            workloads: &rows,
            baseline: comparison.as_ref(),
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serialises")
        );
        return Ok(());
    }
    println!("{}", setting.describe());
    println!(
        "{:<44} {:>11} {:>11} {:>8} {:>10} {:>11} {:>9}  check",
        "workload", "customers", "events", "wall s", "events/s", "customers/s", "peak MiB"
    );
    for r in &rows {
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
    if args.quick {
        // Measured as docs/performance.md, *Reading the checks*, shows.
        println!(
            "(--quick: one run of R1 at 100,000 departures strays from Erlang C's mean wait \
             by about 8.5%, one standard deviation, against 2.4% at 1,000,000)"
        );
    }
    if args.rounds > 1 {
        println!(
            "(wall s: the median of {})",
            tables::counted(args.rounds as usize, "round")
        );
    }
    // Numbers to `digits` decimals, joined by `sep`.
    let list = |xs: &[f64], digits: usize, sep: &str| {
        let each: Vec<String> = xs.iter().map(|x| format!("{x:.digits$}")).collect();
        each.join(sep)
    };
    for b in borderq::bench::bare_ratios(&rows) {
        println!(
            "{}: {:.2}× its bare loop's time (round by round {})",
            b.workload,
            b.median,
            list(&b.rounds, 2, ", ")
        );
    }
    let speedups = borderq::bench::speedups(&rows);
    // Copies of a bare loop share nothing: their speed-up is the machine's.
    let machine = speedups
        .iter()
        .find(|s| s.workload == borderq::bench::BARE_ON_EVERY_THREAD);
    for s in &speedups {
        println!(
            "{}: {:.2}× as fast as on 1 thread ({} threads; round by round {})",
            s.workload,
            s.median,
            s.threads,
            list(&s.rounds, 2, ", ")
        );
        let ms: Vec<String> = s
            .ms_per_replication_rounds
            .iter()
            .map(|(one, many)| format!("{one:.1} | {}", list(many, 1, " ")))
            .collect();
        println!(
            "  the threads' own speeds allowed {:.2}× (round by round {}); ms a replication, 1 thread | each thread: {}",
            s.allowed_median,
            list(&s.allowed_rounds, 2, ", "),
            ms.join("; ")
        );
        match machine {
            _ if s.workload == borderq::bench::BARE_ON_EVERY_THREAD => println!(
                "  copies that share nothing: what this machine gives any work on {} threads now",
                s.threads
            ),
            Some(m) if m.threads == s.threads => {
                let (share, rounds) = s.share_of(m);
                let percent: Vec<f64> = rounds.iter().map(|r| r * 100.0).collect();
                println!(
                    "  {:.0}% of the bare loop copies' speed-up (round by round {}%)",
                    share * 100.0,
                    list(&percent, 0, "%, ")
                );
            }
            _ => {}
        }
    }
    if args.quick && !speedups.is_empty() {
        println!(
            "(--quick: each thread's pass lasts a few milliseconds, so a slow start or a slow \
             spell of the host weighs on it: the speed-ups vary from round to round and often read \
             lower than a full bench's; judge the scaling from a full bench)"
        );
    }
    if let Some(c) = &comparison {
        print_comparison(c, &setting);
    }
    Ok(())
}

/// Reads the `--json` of an earlier bench.
fn read_baseline(path: &Path) -> Result<Baseline, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::input(vec![format!(
            "cannot read the baseline {}: {e}; nothing was run",
            path.display()
        )])
    })?;
    Baseline::parse(&text).map_err(|e| {
        Failure::input(vec![
            format!(
                "the baseline {} is not the output of `borderq bench --json`: {e}",
                path.display()
            ),
            "nothing was run".to_string(),
        ])
    })
}

/// The bench against its baseline, under its table.
fn print_comparison(c: &Comparison, here: &Setting) {
    println!();
    match &c.setting {
        Some(then) => println!("Against the baseline {}: {}", c.file, then.describe()),
        None => println!(
            "Against the baseline {} (an earlier bench's list of rows, without its machine)",
            c.file
        ),
    }
    if c.workloads.is_empty() {
        println!("  no workload ran in both");
    } else {
        println!(
            "  {:<44} {:>27}   {:>25}   {:>19}",
            "workload",
            "customers/s then → now",
            "over bare loop then → now",
            "speed-up then → now"
        );
    }
    let pair =
        |p: Option<[f64; 2]>| p.map_or_else(String::new, |[a, b]| format!("{a:.2} → {b:.2}"));
    for w in &c.workloads {
        let [then, now] = w.customers_per_s;
        let line = format!(
            "  {:<44} {:>27}   {:>25}   {:>19}{}",
            w.workload,
            format!("{then:.3e} → {now:.3e} ({:.2}×)", w.pace()),
            pair(w.over_bare_loop),
            pair(w.speedup),
            if w.same_work { "" } else { "  (other work)" }
        );
        println!("{}", line.trim_end());
    }
    println!(
        "  (×: now over then, above 1 faster now; over bare loop: the engine's time over its \
         bare loop's, below 1 faster than it)"
    );
    match &c.setting {
        Some(then) if !then.same_machine(here) => println!(
            "  (the baseline ran on another machine: customers per second compare only on the same \
             one; the times over the bare loop and the speed-ups carry across)"
        ),
        _ => {}
    }
    if c.workloads.iter().any(|w| !w.same_work) {
        println!(
            "  (other work: a different number of customers, as between --quick and a full bench; \
             start-up weighs more in the shorter run)"
        );
    }
    let moved: Vec<(&str, &[String; 2])> = c
        .workloads
        .iter()
        .filter_map(|w| Some((w.workload.as_str(), w.check_moved.as_ref()?)))
        .collect();
    if !moved.is_empty() {
        println!("  results that moved (the same work and seeds gave another figure):");
        for (workload, [then, now]) in moved {
            println!("    {workload}: {then} → {now}");
        }
    }
    if !c.only_in_baseline.is_empty() {
        println!("  only in the baseline: {}", c.only_in_baseline.join("; "));
    }
    if !c.only_in_this_run.is_empty() {
        println!("  only in this bench: {}", c.only_in_this_run.join("; "));
    }
}
