//! Dead letters: spooled batches the store refused for good, kept on disk for an operator.
//!
//! Why: the writer stores spool records in order, so one batch the store can never accept
//! (data it rejects as malformed, a value a column cannot hold) would stall every batch behind
//! it until the spool fills and ingestion answers 503. The writer isolates such a batch (see
//! `writer.rs`), writes it here, and only then moves the spool position past it: an
//! acknowledged event is always either in the store or in a dead-letter file.
//!
//! Format: one file per refused batch, `DATA_DIR/dead-letter/<spool seq, 20 digits>.dead`,
//! an encoded [`DeadLetter`] (the batch exactly as it was in the spool, with the error text
//! and the time; `codec` says how, and reads the files older versions wrote). `footfall dead-letter list` prints them; `footfall dead-letter
//! replay` appends them to the store again once the cause is fixed (and deletes those it
//! stored). Each file is written to a temporary name, fsync'd and renamed, so a crash leaves
//! either the whole file or none (a replay after the crash writes it again under the same
//! name).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::codec;
use crate::model::Batch;

/// One refused batch with why it was refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The batch's spool sequence number on this node.
    pub seq: u64,
    /// When it was refused (epoch milliseconds).
    pub at_ms: i64,
    /// The store's error.
    pub error: String,
    pub batch: Batch,
}

/// A dead letter as footfall wrote it before the batch encoding had versions (`codec`).
#[derive(Deserialize)]
struct LegacyDeadLetter {
    seq: u64,
    at_ms: i64,
    error: String,
    batch: codec::v1::Batch,
}

impl From<LegacyDeadLetter> for DeadLetter {
    fn from(old: LegacyDeadLetter) -> DeadLetter {
        DeadLetter {
            seq: old.seq,
            at_ms: old.at_ms,
            error: old.error,
            batch: old.batch.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    #[error("dead-letter file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("dead-letter file {path} cannot be read: {message}")]
    Decode { path: PathBuf, message: String },
    #[error("cannot encode a dead letter: {0}")]
    Encode(String),
}

/// The dead-letter directory of a data directory.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    dir: PathBuf,
}

impl DeadLetters {
    /// Dead letters in `DATA_DIR/dead-letter`.
    pub fn in_data_dir(data_dir: &Path) -> DeadLetters {
        DeadLetters {
            dir: data_dir.join("dead-letter"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `letter` durably and returns its path.
    pub fn write(&self, letter: &DeadLetter) -> Result<PathBuf, DeadLetterError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| DeadLetterError::Io { path, source }
        };
        fs::create_dir_all(&self.dir).map_err(io(&self.dir))?;
        let bytes = codec::encode(letter).map_err(|e| DeadLetterError::Encode(e.to_string()))?;
        let path = self.dir.join(format!("{:020}.dead", letter.seq));
        let tmp = self.dir.join(format!("{:020}.dead.tmp", letter.seq));
        let mut file = File::create(&tmp).map_err(io(&tmp))?;
        file.write_all(&bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        // The rename itself must survive a crash before the spool position moves past it.
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.dir))?;
        Ok(path)
    }

    /// Every dead letter's path, in spool order (none when the directory does not exist).
    pub fn paths(&self) -> Result<Vec<PathBuf>, DeadLetterError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(DeadLetterError::Io {
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "dead"))
            .collect();
        paths.sort();
        Ok(paths)
    }

    /// Reads one dead-letter file.
    pub fn read(path: &Path) -> Result<DeadLetter, DeadLetterError> {
        let bytes = fs::read(path).map_err(|source| DeadLetterError::Io {
            path: path.to_owned(),
            source,
        })?;
        codec::decode::<DeadLetter, LegacyDeadLetter>(&bytes).map_err(|e| DeadLetterError::Decode {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}
