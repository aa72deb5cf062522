//! `borderq sweep` and `borderq merge`: a grid of settings run on all cores or
//! as one shard of a cluster job, and the shards' records combined.

use std::path::{Path, PathBuf};
use std::time::Instant;

use borderq::output::{self, tables};
use borderq::sweep::{parse_axes, RecordError, Shard, SweepError};

use super::{check_size, load, Failure};
use crate::cli::{MergeArgs, SweepArgs};
use crate::progress::Progress;

/// `borderq sweep`.
pub fn sweep(args: &SweepArgs) -> Result<(), Failure> {
    let path = &args.scenario.scenario;
    let text = borderq::scenario::read_text(path).map_err(|e| {
        Failure::input(vec![format!(
            "{}: cannot read the scenario file: {e}",
            path.display()
        )])
    })?;
    // Validate the file alone first, for located messages.
    let base = load(&args.scenario, &[])?;
    let mut specs = args.vary.clone();
    let mut replications = args.replications;
    if specs.is_empty() {
        if let Some(s) = &base.sweep {
            specs = s.vary.clone();
            replications = replications.or(s.replications);
        }
    }
    if specs.is_empty() {
        return Err(Failure::input(vec![
            "nothing to sweep: give --vary KEY=VALUES (e.g. --vary speed=0.5..2:0.25), or a [sweep] table in the scenario".into(),
        ]));
    }
    let axes = parse_axes(&specs, args.max_points).map_err(|e| Failure::input(vec![e]))?;
    let points: usize = axes.iter().map(|a| a.values.len()).product();
    if points > args.max_points {
        return Err(Failure::input(vec![format!(
            "{points} points in the grid, over the cap of {} (raise it with --max-points)",
            args.max_points
        )]));
    }
    let shard = shard_of(args).map_err(|e| Failure::input(vec![e]))?;
    let reps = replications.unwrap_or(base.replications);
    check_size(
        &base,
        reps.saturating_mul(points as u32),
        args.max_events,
        &path.display().to_string(),
    )?;
    let file_name = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sweep = borderq::sweep::prepare(
        &text,
        &file_name,
        &args.scenario.overrides,
        axes,
        replications,
        args.independent,
    )
    .map_err(|e| Failure::input(vec![e.to_string()]))?;
    let dir = args.output.clone().unwrap_or_else(|| {
        let stem = path
            .file_stem()
            .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned());
        Path::new("out").join(format!("{stem}-sweep"))
    });
    output::ensure_dir(&dir).map_err(|e| Failure::other(e.to_string()))?;
    // A sweep in one process starts afresh unless asked to resume; a shard of a
    // cluster job never throws away recorded work (it asks for --resume).
    let records_file = borderq::sweep::shard_file(&dir, shard.index, shard.count);
    if shard == Shard::ALL && !args.resume && records_file.exists() {
        std::fs::remove_file(&records_file)
            .map_err(|e| Failure::other(format!("{}: {e}", records_file.display())))?;
    }
    let plan = &sweep.plan;
    let started = Instant::now();
    let total = shard.tasks(plan) as u64;
    let mut progress = Progress::new(total, "tasks", args.quiet);
    // A sweep in one process folds its report as its records come; a shard
    // of a cluster job only records them, for `merge`.
    let mut fold = (shard.count == 1).then(|| borderq::sweep::SweepFold::new(plan));
    let recorded = borderq::sweep::run_shard(
        &sweep,
        &dir,
        shard,
        args.resume,
        args.threads,
        &mut |n, _| progress.update(n),
        fold.as_mut(),
    )
    .map_err(|e| match e {
        SweepError::Exists(_)
        | SweepError::Incomplete(_)
        | SweepError::Records(RecordError::ForeignPlan { .. }) => {
            Failure::input(vec![e.to_string()])
        }
        e => Failure::other(e.to_string()),
    })?;
    progress.finish();
    let Some(fold) = fold else {
        if !args.quiet {
            println!(
                "shard {}/{}: {} of {} tasks recorded in {} ({:.1} s); combine the shards with `borderq merge DIR... -o DIR`",
                shard.index,
                shard.count,
                recorded,
                plan.tasks(),
                borderq::sweep::shard_file(&dir, shard.index, shard.count).display(),
                started.elapsed().as_secs_f64()
            );
        }
        return Ok(());
    };
    finish_sweep(
        fold.finish(),
        &dir,
        !args.no_charts,
        args.threads,
        args.quiet,
    )?;
    if !args.quiet {
        eprintln!(
            "{} in {:.2} s",
            tables::counted(plan.tasks(), "task"),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// Writes a sweep's report (or says why there is none) and prints its table.
fn finish_sweep(
    report: Result<borderq::sweep::SweepReport, SweepError>,
    dir: &Path,
    charts: bool,
    threads: usize,
    quiet: bool,
) -> Result<(), Failure> {
    let report = report.map_err(|e| Failure::input(vec![e.to_string()]))?;
    let written = output::sweep::write_sweep(&report, dir, charts, threads)
        .map_err(|e| Failure::other(e.to_string()))?;
    // Charts of an earlier sweep into this folder (other metrics, or
    // charts this one did not draw) no longer describe it.
    let removed = output::files::remove_stale(dir, &written, output::sweep::is_sweep_chart)
        .map_err(|e| Failure::other(e.to_string()))?;
    if !quiet {
        print!("{}", sweep_table(&report));
        println!(
            "\nwrote {} files (sweep.csv, sweep.json{}) to {}",
            written.len(),
            if charts { ", charts" } else { "" },
            dir.display()
        );
        super::print_removed("sweep", &removed);
    }
    Ok(())
}

/// The most points the printed table shows: beyond it, the first and the
/// last half as many, with a line between saying how many are left out
/// (all are in `sweep.csv`).
const TABLE_POINTS: usize = 40;

/// A short table: each point's swept values and its headline metrics, for
/// at most [`TABLE_POINTS`] points.
fn sweep_table(r: &borderq::sweep::SweepReport) -> String {
    let mut out = String::new();
    let shown: Vec<usize> = r
        .plan
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            m.ends_with("wait_mean_min")
                || m.as_str() == borderq::sweep::ROAD_PEAK
                || m.as_str() == "crossed_persons"
        })
        .map(|(i, _)| i)
        .collect();
    let points = r.points();
    let rows: Vec<usize> = if points <= TABLE_POINTS {
        (0..points).collect()
    } else {
        let half = TABLE_POINTS / 2;
        (0..half).chain(points - half..points).collect()
    };
    // One column per swept key, then one per metric shown as "mean ±half":
    // the means right-aligned on each other, each column as wide as its
    // widest entry or its name.
    let mut columns: Vec<(String, Vec<String>)> = r
        .plan
        .axes
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let values = rows
                .iter()
                .map(|&p| r.plan.point_values(p)[k].to_string())
                .collect();
            (a.key.clone(), values)
        })
        .collect();
    for &i in &shown {
        let parts: Vec<_> = rows
            .iter()
            .map(|&p| tables::est_parts(&r.metrics(p)[i], 2))
            .collect();
        let w_mean = tables::widest(parts.iter().map(|(m, _)| m.as_str()));
        let cells = parts
            .iter()
            .map(|(m, h)| format!("{m:>w_mean$} {}", h.as_deref().unwrap_or("")))
            .collect();
        columns.push((r.plan.metrics[i].clone(), cells));
    }
    let widths: Vec<usize> = columns
        .iter()
        .map(|(name, cells)| tables::widest(cells.iter().chain([name]).map(String::as_str)))
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    out += &line(columns.iter().map(|(name, _)| name.as_str()).collect());
    for (row, &p) in rows.iter().enumerate() {
        if row > 0 && p != rows[row - 1] + 1 {
            let left_out = p - rows[row - 1] - 1;
            out += &format!(
                "… {} not shown; every point is in sweep.csv\n",
                tables::counted(left_out, "point")
            );
        }
        out += &line(
            columns
                .iter()
                .map(|(_, cells)| cells[row].as_str())
                .collect(),
        );
    }
    out
}

/// The shard of this process: `--shard I/N`, else Slurm's or Kubernetes' variables.
fn shard_of(args: &SweepArgs) -> Result<Shard, String> {
    if let Some(s) = &args.shard {
        return Shard::parse(s);
    }
    let var = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
    };
    if let (Some(id), Some(count)) = (var("SLURM_ARRAY_TASK_ID"), var("SLURM_ARRAY_TASK_COUNT")) {
        let min = var("SLURM_ARRAY_TASK_MIN").unwrap_or(0);
        return Shard::parse(&format!("{}/{count}", id.saturating_sub(min)));
    }
    if let Some(index) = var("JOB_COMPLETION_INDEX") {
        let count = args
            .shards
            .ok_or("JOB_COMPLETION_INDEX is set: give the number of shards with --shards N (the Job's completions)")?;
        return Shard::parse(&format!("{index}/{count}"));
    }
    if let Some(n) = args.shards {
        // Without the index, running every task would be the whole sweep N times.
        return Err(format!(
            "--shards {n}: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it); \
             to run one shard by hand, give --shard I/{n}"
        ));
    }
    Ok(Shard::ALL)
}

/// `borderq merge`.
pub fn merge(args: &MergeArgs) -> Result<(), Failure> {
    let dirs: Vec<&Path> = args.dirs.iter().map(PathBuf::as_path).collect();
    finish_sweep(
        borderq::sweep::merge(&dirs),
        &args.output,
        !args.no_charts,
        0, // the charts on every core
        args.quiet,
    )
}
