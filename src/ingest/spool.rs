//! The durable spool: an append-only, fsync'd log of accepted batches with group commit.
//!
//! An ingest request is acknowledged only after its batch is in this log and the log is
//! fsync'd, so a `kill -9` at any moment loses nothing that was acknowledged. One committer
//! thread takes every record that arrived while the previous fsync ran and writes them with one
//! fsync (group commit), which keeps durable acknowledgement cheap under load. The store writer
//! reads the log back in order and records in the store, in the same transaction as the rows,
//! the sequence number it reached; a restart resumes right after it.
//!
//! The log is bounded: when the records not yet in the store exceed the limit, appends are
//! refused ([`SpoolError::Full`]) and ingestion answers 503 instead of accepting and dropping.
//!
//! On-disk format: segment files `<first seq, 20 digits>.seg`, each a sequence of records
//! `[seq: u64 LE][len: u32 LE][crc32(payload): u32 LE][payload]`. A torn record at the tail of
//! the newest segment (a crash during a write that was never acknowledged) is cut off on open.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tokio::sync::{mpsc, oneshot};

const HEADER: usize = 16;
/// Largest single record accepted (a batch is limited far below this at the edge).
pub const MAX_RECORD: usize = 16 << 20;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the spool is full ({pending} bytes waiting for the store)")]
    Full { pending: u64 },
    #[error("the spool is shutting down")]
    Closed,
    #[error("spool I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("spool record {0} is corrupt")]
    Corrupt(u64),
}

#[derive(Debug, Clone)]
pub struct SpoolOptions {
    /// Bytes of records not yet stored above which appends are refused.
    pub max_pending_bytes: u64,
    /// Size at which a new segment file is started.
    pub segment_bytes: u64,
    /// Skip fsync (tests of logic only; never in production).
    pub fsync: bool,
}

impl Default for SpoolOptions {
    fn default() -> Self {
        SpoolOptions {
            max_pending_bytes: 512 << 20,
            segment_bytes: 64 << 20,
            fsync: true,
        }
    }
}

struct Segment {
    first_seq: u64,
    last_seq: u64,
    bytes: u64,
    path: PathBuf,
}

/// State shared by the committer, the reader and the ingest handlers.
struct Shared {
    dir: PathBuf,
    options: SpoolOptions,
    /// Highest sequence number that is on disk and fsync'd.
    committed: AtomicU64,
    /// Highest sequence number that the store has.
    applied: AtomicU64,
    /// Bytes of records with `seq > applied` (including ones being written): what the spool
    /// limit is checked against, so it must fall as soon as the store has a record.
    pending: AtomicU64,
    segments: Mutex<Vec<Segment>>,
    wake: Condvar,
    wake_lock: Mutex<()>,
}

struct AppendRequest {
    payload: Vec<u8>,
    reply: oneshot::Sender<Result<u64, SpoolError>>,
}

enum Message {
    Append(AppendRequest),
    /// Finish what is queued before it, then exit.
    Stop,
}

/// Handle for appending; cheap to clone.
#[derive(Clone)]
pub struct Spool {
    shared: Arc<Shared>,
    tx: mpsc::Sender<Message>,
}

/// What [`Spool::open`] found on disk.
pub struct Recovered {
    pub spool: Spool,
    pub committer: thread::JoinHandle<()>,
    pub reader: SpoolReader,
}

fn segment_path(dir: &Path, first_seq: u64) -> PathBuf {
    dir.join(format!("{first_seq:020}.seg"))
}

/// Scans one segment, returning (last seq, valid length, bytes of the records after
/// `applied`). Stops at the first torn record.
fn scan_segment(path: &Path, applied: u64) -> io::Result<(Option<u64>, u64, u64)> {
    let mut r = BufReader::new(File::open(path)?);
    let mut last = None;
    let mut valid = 0u64;
    let mut unapplied = 0u64;
    let mut header = [0u8; HEADER];
    let mut payload = Vec::new();
    loop {
        if read_full(&mut r, &mut header)? < HEADER {
            break;
        }
        let (seq, len, crc) = parse_header(&header);
        if len > MAX_RECORD {
            break;
        }
        payload.resize(len, 0);
        if read_full(&mut r, &mut payload)? < len || crc32fast::hash(&payload) != crc {
            break;
        }
        last = Some(seq);
        valid += (HEADER + len) as u64;
        if seq > applied {
            unapplied += (HEADER + len) as u64;
        }
    }
    Ok((last, valid, unapplied))
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn parse_header(h: &[u8; HEADER]) -> (u64, usize, u32) {
    let seq = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    let len = u32::from_le_bytes([h[8], h[9], h[10], h[11]]) as usize;
    let crc = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    (seq, len, crc)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

impl Spool {
    /// Opens the spool in `dir`, repairs a torn tail, and starts the committer thread.
    /// `applied` is the last sequence number the store already has.
    pub fn open(dir: &Path, options: SpoolOptions, applied: u64) -> Result<Recovered, SpoolError> {
        fs::create_dir_all(dir)?;
        let mut names: Vec<(u64, PathBuf)> = fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let path = e.path();
                let stem = path.file_stem()?.to_str()?.to_owned();
                (path.extension()? == "seg").then_some(())?;
                Some((stem.parse::<u64>().ok()?, path))
            })
            .collect();
        names.sort();

        let mut segments = Vec::new();
        let mut last_seq = applied;
        let mut pending = 0u64;
        for (first_seq, path) in names {
            let (last, valid, unapplied) = scan_segment(&path, applied)?;
            let len = fs::metadata(&path)?.len();
            if valid < len {
                tracing::warn!(path = %path.display(), valid, len, "cutting a torn record off the spool");
                OpenOptions::new().write(true).open(&path)?.set_len(valid)?;
            }
            match last {
                Some(last) if last > applied => {
                    last_seq = last_seq.max(last);
                    pending += unapplied;
                    segments.push(Segment {
                        first_seq,
                        last_seq: last,
                        bytes: valid,
                        path,
                    });
                }
                _ => {
                    // Everything in it is already stored (or it is empty).
                    fs::remove_file(&path)?;
                }
            }
        }

        let shared = Arc::new(Shared {
            dir: dir.to_owned(),
            options,
            committed: AtomicU64::new(last_seq),
            applied: AtomicU64::new(applied),
            pending: AtomicU64::new(pending),
            segments: Mutex::new(segments),
            wake: Condvar::new(),
            wake_lock: Mutex::new(()),
        });
        let (tx, rx) = mpsc::channel(8192);
        let committer_shared = shared.clone();
        let committer = thread::Builder::new()
            .name("spool-commit".into())
            .spawn(move || committer_loop(committer_shared, rx, last_seq))?;
        let reader = SpoolReader {
            shared: shared.clone(),
            next: applied + 1,
            file: None,
            unreleased: Mutex::new(VecDeque::new()),
        };
        Ok(Recovered {
            spool: Spool { shared, tx },
            committer,
            reader,
        })
    }

    /// Appends one record durably; resolves with its sequence number once fsync'd.
    pub async fn append(&self, payload: Vec<u8>) -> Result<u64, SpoolError> {
        self.enqueue(payload)?.await
    }

    /// Hands one record to the committer at once (it will be written and fsync'd even if the
    /// caller stops waiting) and returns the wait for its sequence number.
    pub fn enqueue(
        &self,
        payload: Vec<u8>,
    ) -> Result<impl Future<Output = Result<u64, SpoolError>> + use<>, SpoolError> {
        let len = (payload.len() + HEADER) as u64;
        let before = self.shared.pending.fetch_add(len, Ordering::AcqRel);
        if before + len > self.shared.options.max_pending_bytes {
            self.shared.pending.fetch_sub(len, Ordering::AcqRel);
            return Err(SpoolError::Full { pending: before });
        }
        let (reply, rx) = oneshot::channel();
        let sent = self
            .tx
            .try_send(Message::Append(AppendRequest { payload, reply }));
        if let Err(e) = sent {
            self.shared.pending.fetch_sub(len, Ordering::AcqRel);
            return Err(match e {
                mpsc::error::TrySendError::Full(_) => SpoolError::Full { pending: before },
                mpsc::error::TrySendError::Closed(_) => SpoolError::Closed,
            });
        }
        Ok(async move { rx.await.map_err(|_| SpoolError::Closed)? })
    }

    /// Bytes waiting to reach the store.
    pub fn pending_bytes(&self) -> u64 {
        self.shared.pending.load(Ordering::Acquire)
    }

    pub fn committed_seq(&self) -> u64 {
        self.shared.committed.load(Ordering::Acquire)
    }

    pub fn applied_seq(&self) -> u64 {
        self.shared.applied.load(Ordering::Acquire)
    }

    /// Stops the committer after everything queued so far is written; later appends fail.
    pub async fn close(&self) {
        let _ = self.tx.send(Message::Stop).await;
    }
}

fn committer_loop(shared: Arc<Shared>, mut rx: mpsc::Receiver<Message>, mut seq: u64) {
    let mut current: Option<(BufWriter<File>, u64)> = None; // (writer, bytes in segment)
    let mut group: Vec<AppendRequest> = Vec::new();
    let mut stopping = false;
    while !stopping {
        match rx.blocking_recv() {
            Some(Message::Append(r)) => group.push(r),
            Some(Message::Stop) | None => break,
        }
        while group.len() < 4096 {
            match rx.try_recv() {
                Ok(Message::Append(r)) => group.push(r),
                Ok(Message::Stop) => {
                    stopping = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let first_seq = seq + 1;
        let result = write_group(&shared, &mut current, &group, first_seq);
        match result {
            Ok(()) => {
                seq += group.len() as u64;
                shared.committed.store(seq, Ordering::Release);
                for (i, req) in group.drain(..).enumerate() {
                    let _ = req.reply.send(Ok(first_seq + i as u64));
                }
                let _guard = shared.wake_lock.lock();
                shared.wake.notify_all();
            }
            Err(e) => {
                tracing::error!(error = %e, "spool write failed; refusing this group");
                // The group is not acknowledged; start a fresh segment so a partial write
                // cannot be followed by good records in the same file.
                current = None;
                for req in group.drain(..) {
                    let len = (req.payload.len() + HEADER) as u64;
                    shared.pending.fetch_sub(len, Ordering::AcqRel);
                    let _ = req
                        .reply
                        .send(Err(SpoolError::Io(io::Error::other(e.to_string()))));
                }
            }
        }
    }
    rx.close();
    // Requests that raced with the stop are refused, not silently dropped.
    while let Ok(msg) = rx.try_recv() {
        if let Message::Append(req) = msg {
            shared
                .pending
                .fetch_sub((req.payload.len() + HEADER) as u64, Ordering::AcqRel);
            let _ = req.reply.send(Err(SpoolError::Closed));
        }
    }
    if let Some((mut w, _)) = current {
        let _ = w.flush();
    }
}

fn write_group(
    shared: &Shared,
    current: &mut Option<(BufWriter<File>, u64)>,
    group: &[AppendRequest],
    first_seq: u64,
) -> io::Result<()> {
    let rotate = current
        .as_ref()
        .is_none_or(|(_, bytes)| *bytes >= shared.options.segment_bytes);
    if rotate {
        if let Some((mut w, _)) = current.take() {
            w.flush()?;
        }
        let path = segment_path(&shared.dir, first_seq);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        sync_dir(&shared.dir)?;
        shared.segments.lock().push(Segment {
            first_seq,
            last_seq: first_seq - 1,
            bytes: 0,
            path,
        });
        *current = Some((BufWriter::with_capacity(1 << 20, file), 0));
    }
    let Some((w, bytes)) = current.as_mut() else {
        return Err(io::Error::other("no segment"));
    };
    let mut written = 0u64;
    for (i, req) in group.iter().enumerate() {
        let seq = first_seq + i as u64;
        w.write_all(&seq.to_le_bytes())?;
        w.write_all(&(req.payload.len() as u32).to_le_bytes())?;
        w.write_all(&crc32fast::hash(&req.payload).to_le_bytes())?;
        w.write_all(&req.payload)?;
        written += (HEADER + req.payload.len()) as u64;
    }
    w.flush()?;
    if shared.options.fsync {
        w.get_ref().sync_data()?;
    }
    *bytes += written;
    let mut segs = shared.segments.lock();
    if let Some(last) = segs.last_mut() {
        last.last_seq = first_seq + group.len() as u64 - 1;
        last.bytes += written;
    }
    Ok(())
}

/// Reads committed records in order for the store writer, and releases what the store has.
pub struct SpoolReader {
    shared: Arc<Shared>,
    next: u64,
    file: Option<(u64, BufReader<File>)>, // (segment first_seq, reader positioned at `next`)
    /// (seq, bytes) of the records read and not released yet, oldest first.
    unreleased: Mutex<VecDeque<(u64, u64)>>,
}

impl SpoolReader {
    /// Waits up to `timeout` until at least one record past the reader is committed.
    pub fn wait(&self, timeout: Duration) -> bool {
        if self.shared.committed.load(Ordering::Acquire) >= self.next {
            return true;
        }
        let mut guard = self.shared.wake_lock.lock();
        if self.shared.committed.load(Ordering::Acquire) >= self.next {
            return true;
        }
        self.shared.wake.wait_for(&mut guard, timeout);
        self.shared.committed.load(Ordering::Acquire) >= self.next
    }

    /// Bytes of spooled records the store does not have yet (whole segments).
    pub fn pending_bytes(&self) -> u64 {
        self.shared.pending.load(Ordering::Acquire)
    }

    /// Number of committed records not read yet.
    pub fn available(&self) -> u64 {
        self.shared
            .committed
            .load(Ordering::Acquire)
            .saturating_sub(self.next - 1)
    }

    /// Reads up to `max_records` committed records (and at most about `max_bytes`),
    /// returning `(seq, payload)` pairs. Does not advance past what it returns.
    pub fn read(
        &mut self,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, SpoolError> {
        let committed = self.shared.committed.load(Ordering::Acquire);
        let mut out = Vec::new();
        let mut bytes = 0;
        while self.next <= committed && out.len() < max_records && bytes < max_bytes {
            let reader = self.position()?;
            let mut header = [0u8; HEADER];
            if read_full(reader, &mut header)? < HEADER {
                // End of this segment: move to the one holding `next`.
                self.file = None;
                continue;
            }
            let (seq, len, crc) = parse_header(&header);
            if len > MAX_RECORD {
                return Err(SpoolError::Corrupt(self.next));
            }
            let mut payload = vec![0u8; len];
            if read_full(reader, &mut payload)? < len || crc32fast::hash(&payload) != crc {
                return Err(SpoolError::Corrupt(self.next));
            }
            if seq < self.next {
                continue; // already stored (replay from the start of a segment)
            }
            if seq != self.next {
                return Err(SpoolError::Corrupt(self.next));
            }
            bytes += len;
            self.next += 1;
            self.unreleased
                .lock()
                .push_back((seq, (HEADER + len) as u64));
            out.push((seq, payload));
        }
        Ok(out)
    }

    /// Opens the segment that holds `self.next`, unless the current one does.
    fn position(&mut self) -> Result<&mut BufReader<File>, SpoolError> {
        let wanted = {
            let segs = self.shared.segments.lock();
            segs.iter()
                .rev()
                .find(|s| s.first_seq <= self.next)
                .map(|s| (s.first_seq, s.path.clone()))
        };
        let Some((first_seq, path)) = wanted else {
            return Err(SpoolError::Corrupt(self.next));
        };
        let reopen = self.file.as_ref().is_none_or(|(f, _)| *f != first_seq);
        if reopen {
            let mut f = BufReader::with_capacity(1 << 20, File::open(&path)?);
            f.seek(SeekFrom::Start(0))?;
            self.file = Some((first_seq, f));
        }
        match self.file.as_mut() {
            Some((_, f)) => Ok(f),
            None => Err(SpoolError::Corrupt(self.next)),
        }
    }

    /// Records that the store has everything up to `seq`; deletes segments wholly stored.
    ///
    /// Pending bytes fall by each released record's size at once. (They used to fall only
    /// when a whole segment was deleted, and the newest segment never is: with a limit below
    /// the segment size, a spool that had once taken `max_pending_bytes` stayed "full" for
    /// good and ingestion answered 503 with an empty spool.)
    pub fn release(&self, seq: u64) -> Result<(), SpoolError> {
        self.shared.applied.store(seq, Ordering::Release);
        let mut freed = 0u64;
        {
            let mut unreleased = self.unreleased.lock();
            while let Some(&(s, bytes)) = unreleased.front()
                && s <= seq
            {
                unreleased.pop_front();
                freed += bytes;
            }
        }
        if freed > 0 {
            self.shared.pending.fetch_sub(freed, Ordering::AcqRel);
        }
        let mut segs = self.shared.segments.lock();
        // Never delete the newest segment: the committer may be appending to it.
        while segs.len() > 1 && segs[0].last_seq <= seq {
            let s = segs.remove(0);
            fs::remove_file(&s.path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(max_pending_bytes: u64) -> SpoolOptions {
        SpoolOptions {
            max_pending_bytes,
            segment_bytes: 64 << 20,
            fsync: false,
        }
    }

    /// A limit below the segment size: once the store has the records, the spool takes more
    /// again (it used to stay full until a segment rotation that never came).
    #[tokio::test]
    async fn released_records_free_their_bytes_within_one_segment() {
        let dir = tempfile::tempdir().unwrap();
        let record = (HEADER + 100) as u64;
        let Recovered {
            spool, mut reader, ..
        } = Spool::open(dir.path(), options(10 * record), 0).unwrap();
        for _ in 0..10 {
            spool.append(vec![1; 100]).await.unwrap();
        }
        assert_eq!(spool.pending_bytes(), 10 * record);
        assert!(matches!(
            spool.append(vec![1; 100]).await,
            Err(SpoolError::Full { .. })
        ));
        let read = reader.read(4, 1 << 20).unwrap();
        assert_eq!(read.len(), 4);
        reader.release(4).unwrap();
        assert_eq!(spool.pending_bytes(), 6 * record);
        let rest = reader.read(100, 1 << 20).unwrap();
        assert_eq!(rest.len(), 6);
        reader.release(10).unwrap();
        assert_eq!(spool.pending_bytes(), 0);
        for _ in 0..10 {
            spool.append(vec![2; 100]).await.unwrap();
        }
        assert_eq!(spool.committed_seq(), 20);
        spool.close().await;
    }

    /// After a restart, pending counts only the records the store does not have.
    #[tokio::test]
    async fn reopening_counts_only_unapplied_records() {
        let dir = tempfile::tempdir().unwrap();
        let record = (HEADER + 50) as u64;
        {
            let Recovered {
                spool, committer, ..
            } = Spool::open(dir.path(), options(1 << 20), 0).unwrap();
            for _ in 0..5 {
                spool.append(vec![3; 50]).await.unwrap();
            }
            spool.close().await;
            committer.join().unwrap();
        }
        let Recovered {
            spool, mut reader, ..
        } = Spool::open(dir.path(), options(1 << 20), 3).unwrap();
        assert_eq!(spool.pending_bytes(), 2 * record);
        let read = reader.read(10, 1 << 20).unwrap();
        assert_eq!(read.iter().map(|r| r.0).collect::<Vec<_>>(), vec![4, 5]);
        reader.release(5).unwrap();
        assert_eq!(spool.pending_bytes(), 0);
        spool.close().await;
    }
}
