//! Shard result files: one JSON line of header (the plan), then one JSON line
//! per finished task, appended and flushed as each finishes, so a killed shard
//! loses only the tasks in flight. A torn last line (a kill mid-write) is
//! detected on resume and its task run again.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::Plan;

/// The first line of a shard file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Header {
    /// The plan, in full, so that `merge` needs nothing else.
    pub plan: Plan,
    /// This shard's index, 0-based.
    pub shard: usize,
    /// Number of shards.
    pub shards: usize,
}

/// One finished task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The plan's hash.
    pub plan: String,
    /// Task index in plan order.
    pub task: usize,
    /// The metrics, in the plan's metric order (`null` where undefined).
    pub metrics: Vec<Option<f64>>,
}

/// Why a shard file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// I/O on a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A line that is not a record (not the last line, which may be torn).
    #[error("{path}:{line}: not a valid record ({message})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The file belongs to another plan.
    #[error("{path}: records of another plan (hash {found}, this plan {expected}); use another output folder")]
    ForeignPlan {
        /// The file.
        path: PathBuf,
        /// Its hash.
        found: String,
        /// The expected hash.
        expected: String,
    },
}

/// The name of shard `i` of `n`'s file.
pub fn shard_file(dir: &Path, shard: usize, shards: usize) -> PathBuf {
    dir.join(format!("shard-{shard}-of-{shards}.jsonl"))
}

/// What a shard file holds.
pub struct ShardFile {
    /// Its header.
    pub header: Header,
    /// Its valid records, in file order.
    pub records: Vec<Record>,
    /// Whether the last line was torn (and is not among the records).
    pub torn_tail: bool,
    /// Byte length of the valid part.
    valid_len: u64,
}

/// Reads a shard file; a torn last line is tolerated (and reported).
pub fn read_shard(path: &Path) -> Result<ShardFile, RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let mut lines: Vec<(String, bool)> = Vec::new(); // (text, ended with a newline)
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).map_err(io)?;
        if n == 0 {
            break;
        }
        let ended = line.ends_with('\n');
        lines.push((line, ended));
    }
    let corrupt = |line: usize, message: String| RecordError::Corrupt {
        path: path.to_path_buf(),
        line,
        message,
    };
    let Some((first, _)) = lines.first() else {
        return Err(corrupt(1, "the file is empty (no header)".into()));
    };
    let header: Header =
        serde_json::from_str(first.trim_end()).map_err(|e| corrupt(1, e.to_string()))?;
    let mut valid_len = first.len() as u64;
    let mut records = Vec::new();
    let mut torn_tail = false;
    let last = lines.len() - 1;
    for (i, (text, ended)) in lines.iter().enumerate().skip(1) {
        match serde_json::from_str::<Record>(text.trim_end()) {
            Ok(r) if *ended => {
                if r.plan != header.plan.hash {
                    return Err(RecordError::ForeignPlan {
                        path: path.to_path_buf(),
                        found: r.plan,
                        expected: header.plan.hash.clone(),
                    });
                }
                records.push(r);
                valid_len += text.len() as u64;
            }
            _ if i == last => torn_tail = true,
            Ok(_) => unreachable!("only the last line can lack its newline"),
            Err(e) => return Err(corrupt(i + 1, e.to_string())),
        }
    }
    Ok(ShardFile {
        header,
        records,
        torn_tail,
        valid_len,
    })
}

/// An open shard file, appending records.
pub struct ShardWriter {
    file: File,
    path: PathBuf,
}

impl ShardWriter {
    /// Creates a new shard file with its header (it must not exist yet).
    pub fn create(path: &Path, header: &Header) -> Result<ShardWriter, RecordError> {
        let io = |source| RecordError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(io)?;
        let mut line = serde_json::to_string(header).expect("a header serialises");
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(ShardWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Reopens an existing shard file for appending, cutting off a torn last line.
    pub fn resume(path: &Path, shard: &ShardFile) -> Result<ShardWriter, RecordError> {
        let io = |source| RecordError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new().write(true).open(path).map_err(io)?;
        file.set_len(shard.valid_len).map_err(io)?;
        let mut file = file;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0)).map_err(io)?;
        Ok(ShardWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends one record and flushes it to the operating system.
    pub fn append(&mut self, r: &Record) -> Result<(), RecordError> {
        let mut line = serde_json::to_string(r).expect("a record serialises");
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .map_err(|source| RecordError::Io {
                path: self.path.clone(),
                source,
            })
    }

    /// Syncs the file to disk.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        self.file.sync_data().map_err(|source| RecordError::Io {
            path: self.path.clone(),
            source,
        })
    }
}
