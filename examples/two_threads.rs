//! Where a run's time goes on one thread and on two: reading the scenario,
//! each thread's replications (how many, and when its last one finished),
//! folding the outcomes into the report (beside the replications on two
//! threads) and finishing the report. Passes alternate, one thread then two,
//! so both see the same spells of a shared host. `docs/performance-notes.md`
//! (*Where a two-thread run's time goes*) reads its output.
//!
//! ```sh
//! cargo build --release --example two_threads
//! target/release/examples/two_threads scenarios/verkhny-lars-2022.toml 20 5   # scenario, replications, pairs of passes
//! ```

use std::path::Path;
use std::time::Instant;

use borderq::bench::{median, Finishes};
use borderq::experiment::for_each_replication;
use borderq::report::Fold;
use borderq::scenario::ScenarioError;
use borderq::Scenario;

/// One pass's timeline, in milliseconds from its start.
struct Pass {
    parsed: f64,
    /// Each thread's replications and its last finish (ms).
    threads: Vec<(u32, f64)>,
    folding: f64,
    finishing: f64,
    wall: f64,
}

fn pass(path: &Path, replications: u32, threads: usize) -> Result<Pass, ScenarioError> {
    let start = Instant::now();
    let ms = |t: Instant| t.elapsed().as_secs_f64() * 1e3;
    let sc = Scenario::load(path, &[])?;
    let parsed = ms(start);
    let finishes = Finishes::new(start, replications);
    let mut fold = Fold::new(&sc, replications);
    let mut folding = 0.0;
    let progress = |_| finishes.record();
    for_each_replication(&sc, replications, threads, &progress, &mut |o| {
        let t = Instant::now();
        fold.add(o);
        folding += ms(t);
    })
    .expect("a thread pool");
    let before = ms(start);
    std::hint::black_box(fold.finish());
    let wall = ms(start);
    Ok(Pass {
        parsed,
        threads: finishes
            .per_thread()
            .into_iter()
            .map(|(n, last_s)| (n, last_s * 1e3))
            .collect(),
        folding,
        finishing: wall - before,
        wall,
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .map_or("scenarios/verkhny-lars-2022.toml", String::as_str);
    let count = |i: usize, default: u32| args.get(i).map_or(Some(default), |s| s.parse().ok());
    let (Some(replications @ 1..), Some(pairs @ 1..)) = (count(1, 20), count(2, 5)) else {
        eprintln!("usage: two_threads [SCENARIO [REPLICATIONS [PAIRS]]] (counts above 0)");
        std::process::exit(2);
    };
    // A bad scenario stops the first pass, with `borderq run`'s messages.
    let pass = |threads| {
        pass(Path::new(path), replications, threads).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(2);
        })
    };
    let (mut speedups, mut apart) = (Vec::new(), Vec::new());
    for _ in 0..pairs {
        let one = pass(1);
        let two = pass(2);
        for (name, p) in [("1 thread ", &one), ("2 threads", &two)] {
            let threads: Vec<String> = p
                .threads
                .iter()
                .map(|(n, last)| format!("{n} done by {last:.1}"))
                .collect();
            println!(
                "{name}: read {:.2} ms | {} | folded {:.1} ms | finished {:.2} ms | {:.1} ms",
                p.parsed,
                threads.join(", "),
                p.folding,
                p.finishing,
                p.wall
            );
        }
        let lasts = two.threads.iter().map(|t| t.1);
        apart.push(lasts.clone().fold(f64::MIN, f64::max) - lasts.fold(f64::MAX, f64::min));
        speedups.push(one.wall / two.wall);
    }
    println!(
        "median speed-up {:.2}×; median gap between the two threads' last finishes {:.1} ms",
        median(&speedups),
        median(&apart)
    );
}
