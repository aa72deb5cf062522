//! The binary as users run it: determinism across thread counts, every shipped
//! scenario, and clear errors (exit code 2, nothing written) for bad input.

mod common;

use common::{
    assert_plus_minus_aligned, borderq, borderq_ok, chart_files, read, refused, run_printed,
    scratch,
};

#[test]
fn outputs_are_byte_identical_at_one_and_two_threads() {
    let (a, b) = (scratch("t1"), scratch("t2"));
    for (dir, threads) in [(&a, "1"), (&b, "2")] {
        borderq_ok(&[
            "run",
            "scenarios/verkhny-lars-2022.toml",
            "-r",
            "6",
            "--threads",
            threads,
            "-q",
            "-o",
            dir.to_str().unwrap(),
        ]);
    }
    for f in [
        "summary.json",
        "timeseries.csv",
        "waits.csv",
        "observations.csv",
    ] {
        assert!(
            read(&a.join(f)) == read(&b.join(f)),
            "{f} differs between 1 and 2 threads"
        );
    }
    // A different seed must change the results (the comparison above is not vacuous).
    let c = scratch("seed");
    let out = borderq(&[
        "run",
        "scenarios/verkhny-lars-2022.toml",
        "-r",
        "6",
        "--seed",
        "5",
        "-q",
        "-o",
        c.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(read(&a.join("summary.json")) != read(&c.join("summary.json")));
}

#[test]
fn every_shipped_scenario_loads_and_runs() {
    let mut n = 0;
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        n += 1;
        let dir = scratch(&format!("scn{n}"));
        let out = borderq(&[
            "run",
            path.to_str().unwrap(),
            "-r",
            "2",
            "--set",
            "horizon_days=0.5",
            "-q",
            "-o",
            dir.to_str().unwrap(),
        ]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let summary: serde_json::Value =
            serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
        assert_eq!(summary["replications"], 2);
        let check = borderq(&["check", path.to_str().unwrap()]);
        assert!(check.status.success(), "check {}", path.display());
    }
    assert!(n >= 3, "only {n} scenarios found");
}

#[test]
fn summary_json_has_the_documented_fields() {
    let dir = scratch("fields");
    let out = borderq(&[
        "run",
        "scenarios/border-r2.toml",
        "-r",
        "3",
        "-q",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
    for key in [
        "scenario",
        "seed",
        "replications",
        "borderq_version",
        "observations",
        "stages",
    ] {
        assert!(!s[key].is_null(), "missing {key}");
    }
    let car = &s["modes"]["car"];
    for obj in ["wait_min", "sojourn_min"] {
        for k in ["mean", "ci95", "p50", "p90", "p95", "p99", "max"] {
            assert!(
                car[obj][k].is_number() || car[obj][k].is_array(),
                "{obj}.{k}"
            );
        }
    }
    for k in [
        "queue_peak_units",
        "queue_peak_km",
        "crossed_units",
        "crossed_persons",
    ] {
        assert!(
            car[k]["mean"].is_number() && car[k]["ci95"].is_array(),
            "{k}"
        );
    }
    assert!(s["stages"]["exit"]["utilisation"]["mean"].as_f64().unwrap() > 0.5);
    let header = String::from_utf8(read(&dir.join("timeseries.csv"))).unwrap();
    assert!(header.starts_with("time_h,datetime,car_queue_units_mean,car_queue_units_p5,car_queue_units_p95,car_queue_km_mean"));
}

#[test]
fn the_jam_on_27_september_is_15_km_give_or_take_3() {
    let dir = scratch("lars");
    let out = borderq(&[
        "run",
        "scenarios/verkhny-lars-2022.toml",
        "-q",
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
    let jam = s["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metric"] == "queue_km" && o["at"] == "2022-09-27T12:00")
        .expect("the 27 Sep observation");
    let km = jam["simulated"]["mean"].as_f64().unwrap();
    assert!((km - 15.0).abs() <= 3.0, "27 Sep jam {km} km");
    // The calibration holds: every reported figure within its tolerance.
    for o in s["observations"].as_array().unwrap() {
        assert_eq!(o["within"], true, "outside its tolerance: {o}");
    }
}

/// Runs a bad scenario; expects exit 2, every message on stderr, no output folder.
fn rejects(name: &str, text: &str, extra: &[&str], expected: &[&str]) {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.toml");
    std::fs::write(&file, text).unwrap();
    let outdir = dir.join("out");
    let mut args = vec![
        "run",
        file.to_str().unwrap(),
        "-o",
        outdir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = borderq(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(
        !outdir.exists(),
        "{name}: output written for a bad scenario"
    );
    for e in expected {
        assert!(stderr.contains(e), "{name}: expected `{e}` in:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
}

const GOOD: &str = r#"name = "ok"
horizon_h = 10
[modes.car]
space_m = 7.5
[arrivals.car]
rate_per_h = 60
[[stages]]
name = "exit"
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 2
service = { dist = "exponential", mean_min = 1.5 }
"#;

#[test]
fn bad_scenarios_get_located_messages_and_exit_2() {
    rejects(
        "unknown",
        &GOOD.replace("space_m = 7.5", "space_m = 7.5\ncolour = \"red\""),
        &[],
        &["bad.toml:5:1: modes.car.colour: unknown key `colour` (allowed here: balk, kind, patience, people, space_m, switching)"],
    );
    rejects(
        "type",
        &GOOD.replace("count = 2", "count = \"two\""),
        &[],
        &["bad.toml:12:9: stages.exit.booths.cars.count: expected an integer from 0 to 100000, found a string"],
    );
    rejects(
        "zero-rate",
        &GOOD.replace("rate_per_h = 60", "rate_per_h = 0"),
        &[],
        &["bad.toml:6:14: arrivals.car.rate_per_h: 0 is not allowed (allowed: a rate above 0)"],
    );
    rejects(
        "nan",
        &GOOD.replace("mean_min = 1.5", "mean_min = nan"),
        &[],
        &["stages.exit.booths.cars.service.mean_min: NaN is not allowed (allowed: a finite number)"],
    );
    rejects(
        "inf",
        &GOOD.replace("space_m = 7.5", "space_m = inf"),
        &[],
        &["bad.toml:4:11: modes.car.space_m: inf is not allowed (allowed: a finite number)"],
    );
    rejects(
        "unserved",
        &GOOD.replace("[arrivals.car]", "[modes.bus]\n[arrivals.car]"),
        &[],
        &["modes.bus: no booth group serves mode `bus`"],
    );
    rejects(
        "no-booths",
        &GOOD.replace("count = 2", "count = 0"),
        &[],
        &["bad.toml:12:9: stages.exit: no booth of this stage is ever open"],
    );
    rejects(
        "mode-twice",
        &GOOD.replace(r#"modes = ["car"]"#, r#"modes = ["car", "car"]"#),
        &[],
        &["bad.toml:11:17: stages.exit.booths.cars.modes[1]: `car` is listed twice (allowed: each mode once)"],
    );
    rejects(
        "no-booths-set",
        GOOD,
        &["--set", "stages.exit.booths.cars.count=0"],
        &["(--set stages.exit.booths.cars.count=0): stages.exit: no booth of this stage is ever open"],
    );
    rejects(
        "profile-order",
        &GOOD.replace(
            "rate_per_h = 60",
            "profile = [{ at_h = 0, rate_per_h = 60 }, { at_h = 5, rate_per_h = 10 }, { at_h = 2, rate_per_h = 30 }]",
        ),
        &[],
        &["arrivals.car.profile[2]: out of order"],
    );
    rejects(
        "set-path",
        GOOD,
        &["--set", "stages.entry.booths.cars.count=3"],
        &["(--set stages.entry.booths.cars.count=3): stages.entry: `stages` has no element named `entry` (names: exit"],
    );
    rejects(
        "syntax",
        "name = \n",
        &[],
        &["bad.toml:1:8: this is not valid TOML"],
    );
    // Several problems are all reported at once.
    rejects(
        "many",
        &GOOD
            .replace("count = 2", "count = -1")
            .replace("mean_min = 1.5", "mean_min = -3"),
        &[],
        &[
            "count: -1 is out of range",
            "mean_min: -3 is not allowed",
            "2 problems in the scenario",
        ],
    );
}

#[test]
fn set_overrides_by_name_change_the_run() {
    let dir = scratch("set");
    borderq_ok(&[
        "run",
        "scenarios/border-r2.toml",
        "-r",
        "2",
        "-q",
        "--set",
        "stages.exit.booths.cars.count=6",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let s: serde_json::Value = serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
    // Six booths instead of four: stage-1 car utilisation falls from 0.9 to 0.6.
    let u = s["stages"]["exit"]["groups"]["cars"]["mean"]
        .as_f64()
        .unwrap();
    assert!((u - 0.6).abs() < 0.03, "utilisation {u}");
}

#[test]
fn unwritable_outputs_are_clear_errors_with_exit_1() {
    let dir = scratch("unwritable");
    let file = dir.join("a-file");
    std::fs::write(&file, "keep me").unwrap();
    let under_file = file.join("sub");
    for (output, said) in [
        (file.to_str().unwrap(), "a-file: exists and is not a folder"),
        // A folder that cannot be created (root may write anywhere else).
        (
            "/proc/borderq-out",
            "/proc/borderq-out: cannot create the output folder",
        ),
        // A folder under a file: refused the same way, whoever runs the test.
        (
            under_file.to_str().unwrap(),
            "sub: cannot create the output folder",
        ),
    ] {
        let out = borderq(&[
            "run",
            "scenarios/mmc.toml",
            "-r",
            "1",
            "--set",
            "horizon_h=1",
            "-q",
            "-o",
            output,
        ]);
        assert_eq!(out.status.code(), Some(1), "{output}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(said), "{output}: {stderr}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me");
}

#[test]
fn a_second_run_replaces_outputs_whole() {
    let dir = scratch("replace");
    let d = dir.to_str().unwrap();
    for seed in ["1", "2"] {
        let out = borderq(&[
            "run",
            "scenarios/mmc.toml",
            "-r",
            "1",
            "--set",
            "horizon_h=2",
            "--seed",
            seed,
            "-q",
            "--no-charts",
            "-o",
            d,
        ]);
        assert!(out.status.success());
    }
    // Only the outputs are there: no temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with('.')), "{names:?}");
    let s: serde_json::Value = serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
    assert_eq!(s["seed"], 2);
}

#[test]
fn bench_reports_every_round_and_the_median() {
    let out = borderq_ok(&["bench", "--quick", "--rounds", "2", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    // What ran where, for tracking over time.
    assert_eq!(report["borderq"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        (&report["quick"], &report["rounds"]),
        (&true.into(), &2.into())
    );
    assert!(report["threads"].as_u64().unwrap() >= 1, "{report}");
    let rows = report["workloads"]
        .as_array()
        .expect("one object per workload");
    assert_eq!(rows.len(), 9);
    assert!(report.get("baseline").is_none(), "no baseline was given");
    // Each bare loop names the engine's workload of the same model (the
    // loops' agreement with theory is a unit test of their own).
    let bare: Vec<_> = rows
        .iter()
        .filter(|r| !r["bare_loop_of"].is_null())
        .collect();
    assert_eq!(bare.len(), 2);
    // A row's list of numbers under `key`, one per round.
    let ratios = |r: &serde_json::Value, key: &str| -> Vec<f64> {
        let rounds = r[key].as_array().unwrap_or_else(|| panic!("{key} in {r}"));
        rounds.iter().map(|t| t.as_f64().unwrap()).collect()
    };
    let times = |r: &serde_json::Value| ratios(r, "wall_s_rounds");
    for b in bare {
        let of = b["bare_loop_of"].as_str().unwrap();
        let engine = rows
            .iter()
            .find(|r| r["workload"] == of)
            .expect("the engine's row");
        assert!(b["customers"].as_u64().unwrap() > 0, "{b}");
        // The engine's row carries its time over the bare loop's, round by round.
        let expected: Vec<f64> = times(engine)
            .iter()
            .zip(times(b))
            .map(|(e, b)| e / b)
            .collect();
        assert_eq!(
            ratios(engine, "over_bare_loop_rounds"),
            expected,
            "{engine}"
        );
    }
    for r in rows {
        let rounds = times(r);
        assert_eq!(rounds.len(), 2, "{r}");
        let mid = (rounds[0] + rounds[1]) / 2.0;
        assert!((r["wall_s"].as_f64().unwrap() - mid).abs() < 1e-12, "{r}");
        // Each round, each thread that ran a replication: its time per
        // replication, no longer than the round (its last finish comes
        // before the report is folded).
        let per_thread = r["ms_per_replication_rounds"]
            .as_array()
            .expect("per round");
        assert_eq!(per_thread.len(), 2, "{r}");
        for (threads, wall_s) in per_thread.iter().zip(&rounds) {
            let threads = threads.as_array().expect("per thread");
            let max = r["threads"].as_u64().unwrap() as usize;
            assert!((1..=max).contains(&threads.len()), "{r}");
            for ms in threads {
                let ms = ms.as_f64().unwrap();
                assert!(ms > 0.0 && ms <= wall_s * 1e3, "{r}");
            }
        }
    }
    // The one-thread and all-thread Lars rows did the same work, and both
    // pass the calibration's observations.
    let lars: Vec<_> = rows
        .iter()
        .filter(|r| r["workload"].as_str().unwrap().starts_with("Verkhny Lars"))
        .collect();
    assert_eq!(lars.len(), 2);
    assert_eq!(lars[0]["customers"], lars[1]["customers"]);
    // The all-threads row carries its speed-up over the one-thread row,
    // round by round, and the speed-up its threads' speeds allowed (whose
    // arithmetic the unit tests check).
    let expected: Vec<f64> = times(lars[0])
        .iter()
        .zip(times(lars[1]))
        .map(|(one, all)| one / all)
        .collect();
    assert_eq!(ratios(lars[1], "speedup_rounds"), expected, "{}", lars[1]);
    assert_eq!(ratios(lars[1], "allowed_speedup_rounds").len(), 2);
    assert!(lars[0]["speedup_rounds"].is_null());
    for r in lars {
        assert_eq!(r["check"], "7/7 observations within tolerance");
    }
    // A copy of R1's bare loop on every thread: each copy the same work as
    // the bare loop alone, and the speed-up is in customers per second.
    let row = |name: &str| rows.iter().find(|r| r["workload"] == name).unwrap();
    let (alone, copies) = (
        row("R1, bare loop"),
        row(borderq::bench::BARE_ON_EVERY_THREAD),
    );
    assert_eq!(copies["speedup_over"], "R1, bare loop");
    let n = copies["threads"].as_u64().unwrap();
    assert_eq!(copies["replications"], n);
    assert_eq!(
        copies["customers"],
        alone["customers"].as_u64().unwrap() * n
    );
    assert_eq!(copies["check"], alone["check"]);
    if n > 1 {
        let expected: Vec<f64> = times(alone)
            .iter()
            .zip(times(copies))
            .map(|(one, all)| one / all * n as f64)
            .collect();
        assert_eq!(ratios(copies, "speedup_rounds"), expected, "{copies}");
    }
}

#[test]
fn a_bench_compares_with_the_json_of_an_earlier_one() {
    let dir = scratch("baseline");
    let saved = dir.join("then.json");
    let out = borderq_ok(&["bench", "--quick", "--rounds", "1", "--json"]);
    std::fs::write(&saved, &out.stdout).unwrap();
    let then: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = saved.to_str().unwrap();
    let out = borderq_ok(&[
        "bench",
        "--quick",
        "--rounds",
        "1",
        "--json",
        "--baseline",
        path,
    ]);
    let now: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let baseline = &now["baseline"];
    assert_eq!(baseline["file"], path);
    assert_eq!(baseline["setting"]["started_utc"], then["started_utc"]);
    let changes = baseline["workloads"]
        .as_array()
        .expect("the workloads in both");
    assert_eq!(changes.len(), 9);
    assert_eq!(baseline["only_in_baseline"], serde_json::json!([]));
    for (i, c) in changes.iter().enumerate() {
        // Then is the saved row's pace, now this bench's, workload by workload.
        let (was, is) = (&then["workloads"][i], &now["workloads"][i]);
        assert_eq!(c["workload"], was["workload"]);
        assert_eq!(c["customers_per_s"][0], was["customers_per_s"], "{c}");
        assert_eq!(c["customers_per_s"][1], is["customers_per_s"], "{c}");
        assert_eq!(c["same_work"], true, "same seeds, same customers: {c}");
        assert!(c["check_moved"].is_null(), "same seeds, same results: {c}");
        // The engine's time over its bare loop's, then and now, for the two
        // engine rows with a bare loop (one round: the median is the round).
        let over = &is["over_bare_loop_rounds"];
        if over.is_null() {
            assert!(c["over_bare_loop"].is_null(), "{c}");
        } else {
            assert_eq!(c["over_bare_loop"][0], was["over_bare_loop_rounds"][0]);
            assert_eq!(c["over_bare_loop"][1], over[0]);
        }
    }
    let with_ratio = |key: &str| changes.iter().filter(|c| !c[key].is_null()).count();
    assert_eq!(
        (with_ratio("over_bare_loop"), with_ratio("speedup")),
        (2, 2)
    );
    // The table says the same under its own.
    let out = borderq_ok(&["bench", "--quick", "--rounds", "1", "--baseline", path]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.starts_with("borderq "), "the setting first: {table}");
    let against = table
        .split_once(&format!("Against the baseline {path}: borderq "))
        .unwrap_or_else(|| panic!("{table}"))
        .1;
    assert!(against.contains("R1 M/M/10 (1 replication) "), "{against}");
    assert!(!against.contains("(other work)"), "{against}");
    assert!(!against.contains("results that moved"), "{against}");
    // A quick bench's speed-ups come with their caveat, after them.
    let caveat = table
        .find("(--quick: each thread's pass lasts a few milliseconds")
        .unwrap_or_else(|| panic!("no caveat on the speed-ups: {table}"));
    let speedup = table.find("as fast as on 1 thread").unwrap();
    assert!(speedup < caveat, "{table}");
}

#[test]
fn a_bench_refuses_a_baseline_it_cannot_read_before_running() {
    let dir = scratch("bad-baseline");
    let missing = dir.join("missing.json");
    let said = refused(&["bench", "--baseline", missing.to_str().unwrap()]);
    assert!(said.contains("cannot read the baseline"), "{said}");
    assert!(said.contains("nothing was run"), "{said}");
    let summary = dir.join("summary.json");
    std::fs::write(&summary, r#"{"seed": 2}"#).unwrap();
    let said = refused(&["bench", "--baseline", summary.to_str().unwrap()]);
    assert!(
        said.contains("is not the output of `borderq bench --json`: it has no `workloads`"),
        "{said}"
    );
    assert!(said.contains("nothing was run"), "{said}");
}

#[test]
fn the_summary_lines_up_the_observations_and_names_only_files_written() {
    let stdout = run_printed(
        &scratch("summary"),
        &["scenarios/verkhny-lars-2022.toml", "-r", "2", "--no-charts"],
    );
    let rows: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("  ✓") || l.starts_with("  ✗"))
        .collect();
    assert!(rows.len() >= 5, "{stdout}");
    // The model's half-widths and the tolerances each in one column, though
    // the figures run from 14 to 61,905.
    assert_plus_minus_aligned(&rows);
    let wrote = stdout.lines().find(|l| l.starts_with("wrote")).unwrap();
    assert!(!wrote.contains("SVG"), "{wrote}");
}

#[test]
fn the_readme_shows_what_the_main_job_prints() {
    // README's "What it shows" quotes lines of the main job's summary; each
    // must be a line the program prints today, so the page cannot go stale.
    let readme = std::fs::read_to_string("README.md").expect("README.md");
    let (_, after) = readme
        .split_once("```\ncar\n")
        .expect("README quotes the summary from its `car` block");
    let (quoted, _) = after.split_once("```").expect("the quote ends");
    let quoted: Vec<&str> = quoted.lines().filter(|l| !l.is_empty()).collect();
    assert!(quoted.len() >= 10, "{quoted:?}");

    let stdout = run_printed(
        &scratch("readme"),
        &["scenarios/verkhny-lars-2022.toml", "--no-charts"],
    );
    let printed: Vec<&str> = stdout.lines().collect();
    for line in quoted {
        assert!(
            printed.contains(&line),
            "README quotes a line the program does not print:\n{line}\n\nit prints:\n{stdout}"
        );
    }
}

#[test]
fn a_run_without_charts_removes_the_charts_of_an_earlier_run() {
    let dir = scratch("stale-charts");
    let run = |extra: &[&str]| {
        let r1 = ["scenarios/mmc.toml", "-r", "1", "--set", "horizon_h=2"];
        run_printed(&dir, &[&r1[..], extra].concat())
    };
    run(&[]);
    assert_eq!(chart_files(&dir).len(), 12);
    // A file of the user's own that only looks like a chart stays.
    std::fs::write(dir.join("queue-km-before.png"), b"mine").unwrap();
    let stdout = run(&["--no-charts"]);
    assert_eq!(chart_files(&dir), ["queue-km-before.png"]);
    assert!(
        stdout.contains("removed 12 chart files of an earlier run"),
        "{stdout}"
    );
    // Nothing to remove the second time, and nothing said.
    let stdout = run(&["--no-charts"]);
    assert!(!stdout.contains("removed"), "{stdout}");
}

#[test]
fn the_summary_speaks_of_the_run_it_describes() {
    let dir = scratch("summary-words");
    let summary = |scenario: &str, extra: &[&str]| {
        run_printed(
            &dir,
            &[&[scenario, "-r", "1", "--no-charts"], extra].concat(),
        )
    };
    // R1 stops after a number of crossings, and its customers walk.
    let r1 = summary("scenarios/mmc.toml", &["--set", "end_after_crossings=2000"]);
    let head = r1.lines().next().unwrap();
    assert!(
        head.contains("until 2,000 crossed, within 4800 h"),
        "{head}"
    );
    assert!(!r1.contains("\nroad "), "{r1}");
    // R2 runs for its horizon, and its cars queue on the road.
    let r2 = summary("scenarios/border-r2.toml", &["--set", "horizon_h=6"]);
    assert!(r2.lines().next().unwrap().contains(" for 6 h "), "{r2}");
    assert!(r2.contains("\nroad      peak "), "{r2}");
    // One replication is one, on stderr too.
    let d = dir.to_str().unwrap();
    let out = borderq_ok(&[
        "run",
        "scenarios/mmc.toml",
        "-r",
        "1",
        "--set",
        "end_after_crossings=100",
        "--no-charts",
        "-o",
        d,
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.lines().any(|l| l.starts_with("1 replication, ")),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_the_program_quietly_after_its_files() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};

    // As `borderq run … | head -0`: the reader is gone before the summary.
    let dir = scratch("closed-pipe");
    let mut child = Command::new(env!("CARGO_BIN_EXE_borderq"))
        .args([
            "run",
            "scenarios/verkhny-lars-2022.toml",
            "--no-charts",
            "-o",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Ended by SIGPIPE (13), as `cat` would be: no panic, no "internal error".
    assert_eq!(out.status.signal(), Some(13), "{:?}: {stderr}", out.status);
    assert!(!stderr.contains("internal error"), "{stderr}");
    assert!(dir.join("summary.json").exists());
}

#[test]
fn check_counts_in_words_and_forecasts_a_road_queue_only_where_there_is_a_road() {
    let check = |scenario: &str| {
        String::from_utf8_lossy(&borderq_ok(&["check", scenario]).stdout).into_owned()
    };
    let r1 = check("scenarios/mmc.toml");
    let head = r1.lines().next().unwrap();
    assert!(
        head.ends_with("valid. 1 mode, 1 stage, 1 booth group, 0 policy events, 0 observations."),
        "{head}"
    );
    assert!(r1.contains("No mode travels on the road"), "{r1}");
    assert!(
        !r1.contains("km around") && !r1.contains("never reaches"),
        "{r1}"
    );

    let lars = check("scenarios/verkhny-lars-2022.toml");
    assert!(lars.contains("3 modes, 2 stages, 5 booth groups, 13 policy events, 7 observations."));
    assert!(
        lars.contains("It reaches 15 km around 2022-09-23"),
        "{lars}"
    );
}

#[test]
fn too_many_threads_are_refused_before_any_starts() {
    // Each thread takes a stack; 100,000 of them would exhaust the memory.
    let run: &[&str] = &["run", "scenarios/mmc.toml"];
    let sweep: &[&str] = &["sweep", "scenarios/mmc.toml", "--vary", "speed=1,2"];
    for command in [run, sweep] {
        let stderr = refused(&[command, &["--threads", "100000"]].concat());
        assert!(
            stderr.contains("100000 is over the most, 1024 (0 uses every core)"),
            "{stderr}"
        );
    }
}

#[test]
fn every_key_the_loader_accepts_is_documented() {
    // The loader names the keys a table allows when it meets an unknown
    // one; each must appear in docs/scenario-format.md.
    let doc = std::fs::read_to_string("docs/scenario-format.md").expect("the format page");
    let tables = [
        "",
        "road.",
        "modes.car.",
        "modes.car.switching.",
        "arrivals.car.",
        "stages.ru-exit.",
        "stages.ru-exit.booths.cars.",
        "stages.ru-exit.booths.cars.service.",
        "events.walking allowed.",
        "sweep.",
    ];
    let mut keys = 0;
    for table in tables {
        let set = format!("{table}not_a_key=1");
        let out = borderq(&["check", "scenarios/verkhny-lars-2022.toml", "--set", &set]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let allowed = stderr
            .split_once("allowed here: ")
            .and_then(|(_, rest)| rest.split_once(')'))
            .unwrap_or_else(|| panic!("{set}: no list of allowed keys in {stderr}"))
            .0;
        for key in allowed.split(", ") {
            keys += 1;
            // A key, or a table: `rows`, `[road]`, `[arrivals.NAME]`,
            // `[[stages]]`, `[modes.NAME.switching]`.
            let written = [
                format!("`{key}`"),
                format!("`[{key}"),
                format!("`[[{key}"),
                format!(".{key}]`"),
            ];
            assert!(
                written.iter().any(|w| doc.contains(w.as_str())),
                "`{table}{key}` is accepted but not in docs/scenario-format.md"
            );
        }
    }
    assert!(keys >= 50, "only {keys} keys seen");
}

#[test]
fn a_report_after_the_run_ends_is_not_compared() {
    // Verkhny Lars cut at 26 Sep 12:00: the count of 25→26 Sep is complete;
    // those of 26→27 Sep and of the week are not, and the queue on 27 Sep
    // comes after the end. None of them may show a figure.
    let dir = scratch("after-the-end");
    let stdout = run_printed(
        &dir,
        &[
            "scenarios/verkhny-lars-2022.toml",
            "-r",
            "2",
            "--set",
            "horizon_days=5.5",
            "--no-charts",
        ],
    );
    let row = |when: &str| -> &str {
        stdout
            .lines()
            .find(|l| l.contains(when) && l.contains("reported"))
            .unwrap_or_else(|| panic!("no row for {when} in\n{stdout}"))
    };
    let complete = row("2022-09-25T00:00 → 2022-09-26T00:00");
    assert!(
        complete.starts_with("  ✓") && !complete.contains("n/a"),
        "{complete}"
    );
    for when in [
        "2022-09-26T00:00 → 2022-09-27T00:00",
        "2022-09-21T00:00 → 2022-09-28T00:00",
        "2022-09-27T12:00",
    ] {
        let r = row(when);
        assert!(r.starts_with("  –") && r.contains("model  n/a"), "{r}");
    }
    assert!(
        stdout.contains("– not compared: the run ends before"),
        "{stdout}"
    );
    // observations.csv leaves the model's columns empty for them.
    let csv = String::from_utf8(read(&dir.join("observations.csv"))).unwrap();
    let partial = csv
        .lines()
        .find(|l| l.contains("2022-09-26T00:00,2022-09-27T00:00"))
        .unwrap();
    assert!(partial.contains(",9440,1420,,,,false,"), "{partial}");
}

#[test]
fn a_short_run_is_sampled_finely_and_a_coarse_sampling_is_flagged() {
    // Ten hours without a sample_interval_min: a hundred samples, not ten.
    let dir = scratch("short-sampling");
    let file = dir.join("short.toml");
    std::fs::write(&file, GOOD).unwrap();
    let out = dir.join("out");
    borderq_ok(&[
        "run",
        file.to_str().unwrap(),
        "-r",
        "2",
        "-q",
        "--no-charts",
        "-o",
        out.to_str().unwrap(),
    ]);
    let csv = String::from_utf8(read(&out.join("timeseries.csv"))).unwrap();
    assert_eq!(csv.lines().count(), 1 + 101, "{csv}");
    assert!(csv.lines().nth(2).unwrap().starts_with("0.1,"), "{csv}");

    // R2 samples weekly; run for 45 minutes it would chart nothing, and says so.
    let warning = "warning: the samples are 10080 min apart, longer than the run (45 min)";
    let set = ["--set", "horizon_min=45"];
    let run = borderq_ok(
        &[
            &[
                "run",
                "scenarios/border-r2.toml",
                "-r",
                "1",
                "--no-charts",
                "-o",
                out.to_str().unwrap(),
            ],
            &set[..],
        ]
        .concat(),
    );
    assert!(String::from_utf8_lossy(&run.stderr).contains(warning));
    let check = borderq_ok(&[&["check", "scenarios/border-r2.toml"], &set[..]].concat());
    assert!(String::from_utf8_lossy(&check.stdout).contains(warning));
}

#[test]
fn a_seed_beyond_the_scenario_range_is_refused_as_the_flag() {
    // Scenario seeds run to 2^63 - 1; the flag says so itself, not as a --set.
    let stderr = refused(&[
        "run",
        "scenarios/mmc.toml",
        "--seed",
        "18446744073709551615",
    ]);
    assert!(
        stderr.contains("for '--seed <N>': 18446744073709551615 is not in 0..=9223372036854775807"),
        "{stderr}"
    );
}

#[test]
fn a_limit_that_would_switch_its_guard_off_is_refused() {
    // No estimate compares above NaN: the size guard would let anything run.
    for (flag, value) in [
        ("--max-events", "nan"),
        ("--max-events", "0"),
        ("--max-points", "0"),
    ] {
        let stderr = refused(&[
            "sweep",
            "scenarios/mmc.toml",
            "--vary",
            "speed=1,2",
            flag,
            value,
        ]);
        assert!(
            stderr.contains(&format!("invalid value '{value}' for '{flag} <N>'")),
            "{stderr}"
        );
    }
    refused(&["run", "scenarios/mmc.toml", "--max-events", "nan"]);
}

#[test]
fn an_event_is_named_in_messages_as_set_names_it() {
    let stderr = refused(&[
        "check",
        "scenarios/verkhny-lars-2022.toml",
        "--set",
        "events.walking allowed.at_h=-5",
    ]);
    assert!(
        stderr.contains("): events.walking allowed.at_h: -5 is not allowed"),
        "{stderr}"
    );
}

#[test]
fn a_broken_definition_is_reported_once_not_at_every_use() {
    // A mode or the stages replaced by a number: one message, not one more
    // for every arrival, booth group and event that names them.
    for (set, message) in [
        (
            "modes.car=1",
            "modes.car: expected a table, found an integer",
        ),
        (
            "stages=1",
            "stages: expected an array of tables ([[stages]]), found an integer",
        ),
    ] {
        let stderr = refused(&["check", "scenarios/verkhny-lars-2022.toml", "--set", set]);
        assert!(stderr.contains(message), "{set}: {stderr}");
        assert!(
            stderr.contains("error: 1 problem in the scenario"),
            "{set}: {stderr}"
        );
    }
}

#[test]
fn a_warm_up_counts_nothing_before_its_end_even_when_the_run_stops_first() {
    // A warm-up as long as the horizon would never end: refused.
    let said = refused(&[
        "check",
        "scenarios/mmc.toml",
        "--set",
        "horizon_h=24",
        "--set",
        "warmup_h=24",
    ]);
    assert!(
        said.contains(
            "warmup_h: 24 is not allowed (allowed: 0 hours or more, below the horizon of 24 h)"
        ),
        "{said}"
    );
    // A horizon in error is the one problem: no warm-up held to a stand-in.
    let said = refused(&[
        "check",
        "scenarios/mmc.toml",
        "--set",
        "horizon_days=-1",
        "--set",
        "warmup_h=48",
    ]);
    assert!(said.contains("horizon_days: -1 is not allowed"), "{said}");
    assert!(said.contains("1 problem in the scenario"), "{said}");
    // A run stopped by its crossings (about two hours) before a warm-up of
    // a hundred: no waits and no queue time counted, and a warning.
    let dir = scratch("warmup-after-end");
    let out = borderq_ok(&[
        "run",
        "scenarios/mmc.toml",
        "-r",
        "2",
        "--set",
        "warmup_h=100",
        "--set",
        "end_after_crossings=1000",
        "--no-charts",
        "-o",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: 2 of 2 replications reached end_after_crossings before the warm-up ended at 100 h"),
        "{stderr}"
    );
    let s: serde_json::Value = serde_json::from_slice(&read(&dir.join("summary.json"))).unwrap();
    let customer = &s["modes"]["customer"];
    assert_eq!(customer["wait_min"]["count"], 0);
    assert_eq!(customer["queue_mean_units"]["mean"], 0.0);
    assert_eq!(customer["crossed_units"]["mean"], 1000.0);
}

#[test]
fn a_scenario_file_is_read_to_a_limit() {
    // An endless stream (`/dev/zero`, a pipe) would be read forever: a file
    // larger than any scenario is refused from its first 16 MiB.
    let dir = scratch("huge-scenario");
    let file = dir.join("huge.toml");
    let limit = borderq::scenario::MAX_FILE_BYTES as usize;
    std::fs::write(&file, "#".repeat(limit + 1)).unwrap();
    for command in ["check", "run", "sweep"] {
        let said = refused(&[command, file.to_str().unwrap()]);
        assert!(
            said.contains("huge.toml: cannot read the scenario file: larger than 16 MiB"),
            "{command}: {said}"
        );
    }
    // At the limit, the file is read (and is a valid TOML comment).
    std::fs::write(&file, "#".repeat(limit)).unwrap();
    let said = refused(&["check", file.to_str().unwrap()]);
    assert!(said.contains("name: missing"), "{said}");
}

#[test]
fn negative_numbers_reach_their_checks() {
    // Taken as values, not as unknown flags, so the message says what is allowed.
    let said = refused(&["check", "scenarios/mmc.toml", "--length-km", "-3"]);
    assert!(
        said.contains("--length-km -3: not allowed (allowed: a length above 0 km)"),
        "{said}"
    );
    for (args, says) in [
        (
            &["run", "scenarios/mmc.toml", "--seed", "-1"][..],
            "-1 is not in 0..=",
        ),
        (
            &["run", "scenarios/mmc.toml", "-r", "-5"],
            "-5 is not in 1..=1000000",
        ),
        (
            &["run", "scenarios/mmc.toml", "--threads", "-1"],
            "-1 is not allowed (allowed: 0 to 1024; 0 uses every core)",
        ),
        (
            &["run", "scenarios/mmc.toml", "--max-events", "-3"],
            "-3 is not a number of events",
        ),
        (
            &[
                "sweep",
                "scenarios/mmc.toml",
                "--vary",
                "speed=1",
                "--max-points",
                "-2",
            ],
            "-2 points would refuse every sweep",
        ),
        (&["bench", "--rounds", "-1"], "-1 is not in 1.."),
    ] {
        let said = refused(args);
        assert!(said.contains(says), "{args:?}: {said}");
    }
}
