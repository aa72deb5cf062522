//! Writing output files safely: each to a temporary name in the same folder,
//! synced, then renamed into place, so a reader (or an interrupted run) never
//! sees half a file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an output could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output path exists and is not a folder.
    #[error("{0}: exists and is not a folder (choose another -o)")]
    NotAFolder(PathBuf),
    /// The output folder could not be created.
    #[error("{path}: cannot create the output folder: {source} (choose another -o)")]
    CreateFolder {
        /// The folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A chart could not be drawn.
    #[error("chart {path}: {message}")]
    Chart {
        /// The chart file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the output folder (and parents) if needed.
pub fn ensure_dir(dir: &Path) -> Result<(), OutputError> {
    if dir.exists() && !dir.is_dir() {
        return Err(OutputError::NotAFolder(dir.to_path_buf()));
    }
    fs::create_dir_all(dir).map_err(|source| OutputError::CreateFolder {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `dir/name` atomically: a temporary file beside it, synced,
/// then renamed over the old one.
pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, OutputError> {
    write_atomic_with(dir, name, |w| w.write_all(bytes))
}

/// Writes `dir/name` atomically as [`write_atomic`] does, from `write`, which
/// streams into a buffered writer (large outputs are never held whole in memory).
pub fn write_atomic_with(
    dir: &Path,
    name: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<PathBuf, OutputError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut w = std::io::BufWriter::new(fs::File::create(&tmp)?);
        write(&mut w)?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        fs::rename(&tmp, &path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(OutputError::Io { path, source: e });
    }
    Ok(path)
}

/// Removes the files of `dir` that borderq writes (`ours` says which names)
/// but this run did not (`written`): charts of an earlier run that would
/// otherwise stand beside the new outputs as if they described it. Returns
/// the names removed, in name order.
pub fn remove_stale(
    dir: &Path,
    written: &[PathBuf],
    ours: impl Fn(&str) -> bool,
) -> Result<Vec<String>, OutputError> {
    let mut stale: Vec<String> = fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| ours(name) && !written.iter().any(|p| p.ends_with(name)))
        .collect();
    stale.sort();
    for name in &stale {
        let path = dir.join(name);
        fs::remove_file(&path).map_err(io(&path))?;
    }
    Ok(stale)
}
