//! Closed forms of queueing theory and small scenario builders for the tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use borderq::engine::Outcome;
use borderq::Scenario;

/// Runs the `borderq` binary with `args`.
pub fn borderq(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_borderq"))
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the `borderq` binary with `args`, which must succeed: a failure
/// panics with what the binary said.
pub fn borderq_ok(args: &[&str]) -> Output {
    let out = borderq(args);
    assert!(
        out.status.success(),
        "borderq {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the `borderq` binary with `args`, which it must refuse as bad input
/// or usage (exit code 2), and returns what it said on stderr.
pub fn refused(args: &[&str]) -> String {
    let out = borderq(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "borderq {}: {stderr}",
        args.join(" ")
    );
    stderr
}

/// Runs `borderq run ARGS -o DIR`, which must succeed, and returns what it
/// printed on stdout.
pub fn run_printed(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", dir.to_str().expect("a UTF-8 path")]);
    String::from_utf8_lossy(&borderq_ok(&all).stdout).into_owned()
}

/// Asserts that every row of a printed table puts its "±" signs at the same
/// character places as the first row: the columns line up whatever the
/// widths of the figures.
pub fn assert_plus_minus_aligned(rows: &[&str]) {
    let places = |row: &str| -> Vec<usize> {
        row.chars()
            .enumerate()
            .filter(|&(_, c)| c == '±')
            .map(|(i, _)| i)
            .collect()
    };
    assert!(!places(rows[0]).is_empty(), "no ± in {:?}", rows[0]);
    for row in rows {
        assert_eq!(places(row), places(rows[0]), "{}\n{row}", rows[0]);
    }
}

/// A fresh, empty folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("borderq-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

/// The PNG and SVG files in a folder, by name.
pub fn chart_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg"))
        .collect();
    names.sort();
    names
}

/// A file's bytes.
pub fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Erlang C: the mean wait in queue (minutes) of an M/M/c queue with arrival
/// rate `lambda` and service rate `mu` per server (per minute).
pub fn erlang_c_wq(c: u32, lambda: f64, mu: f64) -> f64 {
    let a = lambda / mu;
    let rho = a / f64::from(c);
    assert!(rho < 1.0);
    let mut term = 1.0; // a^k / k!
    let mut sum = 0.0;
    for k in 0..c {
        if k > 0 {
            term *= a / f64::from(k);
        }
        sum += term;
    }
    let top = term * a / f64::from(c) / (1.0 - rho);
    let p_wait = top / (sum + top);
    p_wait / (f64::from(c) * mu - lambda)
}

/// Pollaczek–Khinchine: mean wait in queue of an M/G/1 queue with service mean
/// `s` and squared coefficient of variation `scv`.
pub fn pk_wq(lambda: f64, s: f64, scv: f64) -> f64 {
    let rho = lambda * s;
    assert!(rho < 1.0);
    lambda * s * s * (1.0 + scv) / (2.0 * (1.0 - rho))
}

/// A one-mode scenario with stages in series, each `(booths, service table)`.
pub fn series_scenario(
    rate_per_min: f64,
    stages: &[(u32, &str)],
    horizon_min: f64,
    warmup_h: f64,
    seed: u64,
) -> Scenario {
    let mut text = format!(
        "name = \"test\"\nhorizon_min = {horizon_min}\nwarmup_h = {warmup_h}\nseed = {seed}\n\
         sample_interval_min = {}\n\
         [modes.customer]\nkind = \"foot\"\n[arrivals.customer]\nrate_per_min = {rate_per_min}\n",
        horizon_min / 10.0
    );
    for (i, (booths, service)) in stages.iter().enumerate() {
        text.push_str(&format!(
            "[[stages]]\nname = \"s{i}\"\n[[stages.booths]]\nname = \"g\"\nmodes = [\"customer\"]\n\
             count = {booths}\nservice = {service}\n"
        ));
    }
    Scenario::from_toml(&text, &[]).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

/// Mean wait of each replication, in minutes (mode 0, all stages).
pub fn rep_means(outs: &[Outcome]) -> Vec<f64> {
    outs.iter().map(|o| o.modes[0].wait.mean_min()).collect()
}

/// Runs `n` replications on all cores.
pub fn run(sc: &Scenario, n: u32) -> Vec<Outcome> {
    borderq::experiment::run_replications(sc, n, 0, &|_| {}).expect("a thread pool")
}
