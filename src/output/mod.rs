//! Outputs: plain report data to files (CSV, JSON) and charts, each written atomically.

pub mod charts;
pub mod files;
pub mod sweep;
pub mod tables;

use std::path::{Path, PathBuf};

pub use files::{ensure_dir, write_atomic, write_atomic_with, OutputError};

use crate::report::Report;

/// Writes `summary.json`, `timeseries.csv`, `waits.csv` and `observations.csv`
/// into `dir`, returning the paths written.
pub fn write_report(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    ensure_dir(dir)?;
    Ok(vec![
        write_atomic_with(dir, "summary.json", |w| {
            tables::write_summary_json(report, w)
        })?,
        write_atomic_with(dir, "timeseries.csv", |w| {
            tables::write_timeseries_csv(report, w)
        })?,
        write_atomic(dir, "waits.csv", tables::waits_csv(report).as_bytes())?,
        write_atomic(
            dir,
            "observations.csv",
            tables::observations_csv(report).as_bytes(),
        )?,
    ])
}
