//! Outputs: plain report data to files (CSV, JSON) and charts, each written atomically.

pub mod charts;
pub mod files;
pub mod sweep;
pub mod tables;

use std::path::{Path, PathBuf};

pub use files::{ensure_dir, write_atomic, OutputError};

use crate::report::Report;

/// Writes `summary.json`, `timeseries.csv`, `waits.csv` and `observations.csv`
/// into `dir`, returning the paths written.
pub fn write_report(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    ensure_dir(dir)?;
    Ok(vec![
        write_atomic(dir, "summary.json", &tables::summary_json(report))?,
        write_atomic(
            dir,
            "timeseries.csv",
            tables::timeseries_csv(report).as_bytes(),
        )?,
        write_atomic(dir, "waits.csv", tables::waits_csv(report).as_bytes())?,
        write_atomic(
            dir,
            "observations.csv",
            tables::observations_csv(report).as_bytes(),
        )?,
    ])
}
