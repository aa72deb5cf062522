//! Shard result files: one JSON line of header (the plan), then one JSON line
//! per finished task, appended and flushed as each finishes, so a killed shard
//! loses only the tasks in flight. A torn last line (a kill mid-write) is
//! detected on resume and its task run again.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::plan::Plan;

/// Records read at each opening of a shard file, when one file is read.
pub(super) const READ_BATCH: usize = 1024;

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

/// A shard file read a batch of records at a time, in file order: the file
/// is opened for each batch and closed after it, so a merge of thousands of
/// shards holds no file open and only a batch of each in memory.
pub struct ShardReader {
    path: PathBuf,
    /// The hash of the header's plan, which every record must carry (the
    /// plan itself goes to the caller of [`ShardReader::open`], so that a
    /// merge of many shards holds one plan, not one a shard).
    plan_hash: String,
    /// The byte offset of the first line not read yet, and its 1-based number.
    offset: u64,
    line: usize,
    /// Records read and not yet taken, in file order.
    ahead: VecDeque<Record>,
    /// Records read at each opening.
    batch: usize,
    /// Whether the file has been read to its end.
    ended: bool,
    /// Whether its last line was torn (and is not among the records).
    torn_tail: bool,
}

impl ShardReader {
    /// Opens a shard file and reads its header, returned beside the reader;
    /// the records are read `batch` at a time by [`ShardReader::next_record`].
    pub fn open(path: &Path, batch: usize) -> Result<(Header, ShardReader), RecordError> {
        let mut reader = BufReader::new(File::open(path).map_err(io_error(path))?);
        let mut first = String::new();
        reader.read_line(&mut first).map_err(io_error(path))?;
        let corrupt = |message: String| RecordError::Corrupt {
            path: path.to_path_buf(),
            line: 1,
            message,
        };
        if first.is_empty() {
            return Err(corrupt("the file is empty (no header)".into()));
        }
        let header: Header =
            serde_json::from_str(first.trim_end()).map_err(|e| corrupt(e.to_string()))?;
        let reader = ShardReader {
            path: path.to_path_buf(),
            plan_hash: header.plan.hash.clone(),
            offset: first.len() as u64,
            line: 2,
            ahead: VecDeque::new(),
            batch: batch.max(1),
            ended: false,
            torn_tail: false,
        };
        Ok((header, reader))
    }

    /// The next record, or `None` at the end of the file (a torn last line
    /// is not a record: [`ShardReader::torn_tail`] then says so).
    pub fn next_record(&mut self) -> Result<Option<Record>, RecordError> {
        if self.ahead.is_empty() && !self.ended {
            self.read_ahead()?;
        }
        Ok(self.ahead.pop_front())
    }

    /// Whether the last line was torn (known once the records have run out).
    pub fn torn_tail(&self) -> bool {
        self.torn_tail
    }

    /// The byte length of the file's valid part (the header and the
    /// records read so far): a resumed shard cuts a torn line off there.
    pub fn valid_len(&self) -> u64 {
        self.offset
    }

    /// Reads up to a batch of records from where the last batch ended.
    fn read_ahead(&mut self) -> Result<(), RecordError> {
        let io = io_error(&self.path);
        let mut file = File::open(&self.path).map_err(&io)?;
        file.seek(SeekFrom::Start(self.offset)).map_err(&io)?;
        let mut reader = BufReader::new(file);
        let mut text = String::new();
        while self.ahead.len() < self.batch {
            text.clear();
            if reader.read_line(&mut text).map_err(&io)? == 0 {
                self.ended = true;
                return Ok(());
            }
            let ended = text.ends_with('\n');
            let last = !ended || reader.fill_buf().map_err(&io)?.is_empty();
            match serde_json::from_str::<Record>(text.trim_end()) {
                Ok(r) if ended => {
                    if r.plan != self.plan_hash {
                        return Err(RecordError::ForeignPlan {
                            path: self.path.clone(),
                            found: r.plan,
                            expected: self.plan_hash.clone(),
                        });
                    }
                    self.ahead.push_back(r);
                    self.offset += text.len() as u64;
                    self.line += 1;
                }
                // A kill mid-write tears the last line only.
                _ if last => {
                    self.torn_tail = true;
                    self.ended = true;
                    return Ok(());
                }
                Ok(_) => unreachable!("only the last line can lack its newline"),
                Err(e) => {
                    return Err(RecordError::Corrupt {
                        path: self.path.clone(),
                        line: self.line,
                        message: e.to_string(),
                    })
                }
            }
        }
        Ok(())
    }
}

/// The error of an I/O failure on `path`.
fn io_error(path: &Path) -> impl Fn(std::io::Error) -> RecordError + '_ {
    |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// An open shard file, appending records.
pub struct ShardWriter {
    file: File,
    path: PathBuf,
}

impl ShardWriter {
    /// Creates a new shard file with its header (it must not exist yet).
    pub fn create(path: &Path, header: &Header) -> Result<ShardWriter, RecordError> {
        let io = io_error(path);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(&io)?;
        let mut line = serde_json::to_string(header).expect("a header serialises");
        line.push('\n');
        file.write_all(line.as_bytes()).map_err(&io)?;
        file.sync_data().map_err(&io)?;
        Ok(ShardWriter {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Reopens an existing shard file for appending, cutting off a torn last
    /// line: what follows the first `valid_len` bytes.
    pub fn resume(path: &Path, valid_len: u64) -> Result<ShardWriter, RecordError> {
        let io = io_error(path);
        let mut file = OpenOptions::new().write(true).open(path).map_err(&io)?;
        file.set_len(valid_len).map_err(&io)?;
        file.seek(SeekFrom::End(0)).map_err(&io)?;
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
            .map_err(io_error(&self.path))
    }

    /// Syncs the file to disk.
    pub fn sync(&mut self) -> Result<(), RecordError> {
        self.file.sync_data().map_err(io_error(&self.path))
    }
}
