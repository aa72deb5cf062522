//! Snapshots of what users read: the help, the error messages for bad
//! scenarios and flags, and the headers of every CSV file. A change to any of
//! them shows up in review as a changed `.snap` file.

mod common;

use common::{borderq, scratch};

/// Stderr of a failing command, with the scratch folder's path made stable.
fn errors(args: &[&str], dir: &std::path::Path) -> String {
    let out = borderq(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    String::from_utf8_lossy(&out.stderr).replace(dir.to_str().unwrap(), "DIR")
}

#[test]
fn help_texts() {
    for (name, args) in [
        ("help", vec!["--help"]),
        ("run_help", vec!["run", "--help"]),
        ("sweep_help", vec!["sweep", "--help"]),
        ("check_help", vec!["check", "--help"]),
        ("merge_help", vec!["merge", "--help"]),
        ("bench_help", vec!["bench", "--help"]),
    ] {
        let out = borderq(&args);
        assert!(out.status.success());
        insta::assert_snapshot!(name, String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn scenario_error_messages() {
    let dir = scratch("snap-errors");
    let file = dir.join("bad.toml");
    std::fs::write(
        &file,
        r#"name = "bad"
horizon_days = -2
seeds = 4
[modes.car]
space_m = nan
people = { values = [0, 2], weights = [1] }
patience = { dist = "weibull", mean_min = 3 }
[arrivals.car]
profile = [{ at_h = 5, rate_per_h = 10 }, { at_h = 1, rate_per_h = -1 }]
[arrivals.bus]
rate_per_h = 3
[[stages]]
name = "exit"
buffer = "big"
[[stages.booths]]
name = "cars"
modes = ["car", "tram"]
count = 1000000
service = { dist = "triangular", low_min = 3, mode_min = 1, high_min = 2 }
[[events]]
at = 2021-01-01T00:00:00
action = "explode"
[[observations]]
metric = "crossed_units"
from_h = 10
to_h = 5
value = 1
"#,
    )
    .unwrap();
    let f = file.to_str().unwrap();
    insta::assert_snapshot!("scenario_errors", errors(&["run", f], &dir));
    insta::assert_snapshot!("syntax_error", {
        std::fs::write(&file, "name = \"x\"\n[modes.car\n").unwrap();
        errors(&["check", f], &dir)
    });
    insta::assert_snapshot!(
        "set_errors",
        errors(
            &[
                "run",
                "scenarios/mmc.toml",
                "--set",
                "stages.gate.booths.x.count=1",
                "--set",
                "nokey",
                "--set",
                "modes.customer.space_m=-1"
            ],
            &dir
        )
    );
    insta::assert_snapshot!(
        "missing_file",
        errors(&["run", &format!("{f}.missing")], &dir)
    );
    insta::assert_snapshot!(
        "bad_vary",
        errors(
            &["sweep", "scenarios/mmc.toml", "--vary", "speed=2..1:0.5"],
            &dir
        )
    );
    insta::assert_snapshot!(
        "bad_shard",
        errors(
            &[
                "sweep",
                "scenarios/mmc.toml",
                "--vary",
                "speed=1,2",
                "--shard",
                "3/3"
            ],
            &dir
        )
    );
}

#[test]
fn csv_headers() {
    let dir = scratch("snap-csv");
    let d = dir.to_str().unwrap();
    let out = borderq(&[
        "run",
        "scenarios/verkhny-lars-2022.toml",
        "-r",
        "2",
        "-q",
        "--no-charts",
        "-o",
        d,
    ]);
    assert!(out.status.success());
    let sweep = dir.join("sweep");
    let out = borderq(&[
        "sweep",
        "scenarios/mmc.toml",
        "--vary",
        "speed=1,1.1",
        "-r",
        "2",
        "--set",
        "horizon_h=2",
        "-q",
        "--no-charts",
        "-o",
        sweep.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let mut headers = String::new();
    for f in [
        dir.join("timeseries.csv"),
        dir.join("waits.csv"),
        dir.join("observations.csv"),
        sweep.join("sweep.csv"),
    ] {
        let text = std::fs::read_to_string(&f).unwrap();
        headers += &format!(
            "{}:\n{}\n",
            f.file_name().unwrap().to_string_lossy(),
            text.lines().next().unwrap()
        );
    }
    insta::assert_snapshot!("csv_headers", headers);
}
