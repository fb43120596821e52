//! The station journal (docs/sessions.md "Offline stations"): an append-only file per session
//! under `<data dir>/station/`, `0600`, one record a line. A scan is written and synced to disk
//! before its answer is shown; the fate the server gave it is written after it. A station
//! killed in the middle of a write leaves a torn last record, which the next open finds by its
//! checksum, reports and cuts off: it is never read as a scan.
//!
//! A line is the record as JSON, a space, `#` and the first 16 hex digits of the SHA-256 of
//! the JSON.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{FileStep, Result, StationError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A scan queued at an offline station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scan {
    /// 1, 2, 3, ... in this journal; the label's number.
    pub seq: u64,
    /// 32 random hex digits, stored with the check-in it makes.
    pub nonce: String,
    /// The provisional label shown instead of a shot number (`B-017`).
    pub label: String,
    pub session: i64,
    pub station: String,
    pub operator: String,
    pub allow_walk_in: bool,
    /// The make-up retake reason of the station that took the scan (docs/sessions.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retake_reason: Option<String>,
    /// The scanned code (normalised), sent to the server as a station would scan it.
    pub token: String,
    pub student_no: String,
    pub masked_name: String,
    pub class: Option<String>,
    /// The station's clock when the code was scanned.
    pub at: DateTime<Utc>,
}

/// What the server made of a queued scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fate", rename_all = "snake_case")]
pub enum Fate {
    /// Checked in with this shot number.
    Synced { shot: i32 },
    /// Not checked in: `cause` is the check-in status (`already`, `full`, `revoked`,
    /// `not_in_session`, `invalid`), `reason` why, as the server's answer gave it (a journal
    /// written by an earlier version holds its words).
    Conflict {
        cause: String,
        reason: crate::ops::checkin::Reason,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Record {
    Scan(Scan),
    Done {
        seq: u64,
        #[serde(flatten)]
        fate: Fate,
        at: DateTime<Utc>,
    },
}

/// A torn last record found when the journal was opened, and dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Torn {
    pub line: usize,
    pub bytes: usize,
}

/// One scan with its fate, if it has one yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub scan: Scan,
    pub fate: Option<Fate>,
}

/// The journal of one session at this station, locked while open so that two stations on one
/// machine never write one file.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    entries: Vec<Entry>,
    torn: Option<Torn>,
}

fn checksum(json: &str) -> String {
    Sha256::digest(json.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn encode(record: &Record) -> Vec<u8> {
    // a record is plain data: strings, numbers and times, which JSON always holds
    let json = serde_json::to_string(record).unwrap_or_default();
    let mut line = format!("{json} #{}\n", checksum(&json)).into_bytes();
    line.shrink_to_fit();
    line
}

fn decode(line: &[u8]) -> Option<Record> {
    let text = std::str::from_utf8(line).ok()?;
    let (json, sum) = text.rsplit_once(" #")?;
    if sum != checksum(json) {
        return None;
    }
    serde_json::from_str(json).ok()
}

/// The records of a journal's bytes and where the good ones end; a torn tail (every line from
/// the first bad one on is bad, the last one possibly without its newline) is reported, a bad
/// line followed by good ones is damage that is refused.
fn parse(path: &Path, bytes: &[u8]) -> Result<(Vec<Record>, usize, Option<Torn>)> {
    let mut records = Vec::new();
    let mut good_end = 0;
    let mut first_bad: Option<usize> = None;
    let mut start = 0;
    let mut line_no = 0;
    while start < bytes.len() {
        line_no += 1;
        let (line, next) = match memchr::memchr(b'\n', &bytes[start..]) {
            Some(i) => (Some(&bytes[start..start + i]), start + i + 1),
            None => (None, bytes.len()),
        };
        match line.and_then(decode) {
            Some(record) => {
                if let Some(bad) = first_bad {
                    return Err(damaged(path, bad));
                }
                records.push(record);
                good_end = next;
            }
            None => {
                first_bad.get_or_insert(line_no);
            }
        }
        start = next;
    }
    let torn = first_bad.map(|line| Torn {
        line,
        bytes: bytes.len() - good_end,
    });
    Ok((records, good_end, torn))
}

fn damaged(path: &Path, line: usize) -> StationError {
    StationError::JournalDamaged {
        path: path.to_path_buf(),
        line,
    }
}

fn apply(entries: &mut Vec<Entry>, record: Record) {
    match record {
        Record::Scan(scan) => entries.push(Entry { scan, fate: None }),
        Record::Done { seq, fate, .. } => {
            if let Some(e) = entries.iter_mut().find(|e| e.scan.seq == seq) {
                e.fate = Some(fate);
            }
        }
    }
}

fn file_error(path: &Path, doing: FileStep, source: std::io::Error) -> StationError {
    StationError::File {
        path: path.to_path_buf(),
        doing,
        source,
    }
}

/// Where the journal of `session` lives.
pub fn path_for(dir: &Path, session: i64) -> PathBuf {
    dir.join(format!("session-{session}.journal"))
}

/// The sessions that have a journal in `dir`, in order.
pub fn sessions_in(dir: &Path) -> Vec<i64> {
    let mut out: Vec<i64> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("session-")?
                .strip_suffix(".journal")?
                .parse()
                .ok()
        })
        .collect();
    out.sort_unstable();
    out
}

/// Reads a journal without locking or changing it (for reports): its entries and any torn tail.
pub fn read(path: &Path) -> Result<(Vec<Entry>, Option<Torn>)> {
    let mut bytes = Vec::new();
    crate::files::open_input(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| file_error(path, FileStep::ReadJournal, source))?;
    let (records, _, torn) = parse(path, &bytes)?;
    let mut entries = Vec::new();
    for r in records {
        apply(&mut entries, r);
    }
    Ok((entries, torn))
}

impl Journal {
    /// Opens (creating `0600` if new) the journal of `session` in `dir` (made `0700` if new),
    /// locks it, reads it, and cuts off a torn last record.
    pub fn open(dir: &Path, session: i64) -> Result<Journal> {
        crate::files::create_private_dir(dir)
            .map_err(|source| file_error(dir, FileStep::CreateFolder, source))?;
        let path = path_for(dir, session);
        let mut file =
            open_rw(&path).map_err(|source| file_error(&path, FileStep::OpenJournal, source))?;
        let locked = lock_within(&file, std::time::Duration::from_secs(2))
            .map_err(|source| file_error(&path, FileStep::LockJournal, source))?;
        if !locked {
            return Err(StationError::JournalBusy { path, session });
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|source| file_error(&path, FileStep::ReadJournal, source))?;
        let (records, good_end, torn) = parse(&path, &bytes)?;
        if torn.is_some() {
            // What follows the last good record was never answered: cut it off so new records
            // follow a whole line.
            file.set_len(good_end as u64)
                .and_then(|()| file.sync_all())
                .map_err(|source| file_error(&path, FileStep::RepairJournal, source))?;
        }
        file.seek(SeekFrom::End(0))
            .map_err(|source| file_error(&path, FileStep::RepairJournal, source))?;
        let mut entries = Vec::new();
        for r in records {
            apply(&mut entries, r);
        }
        Ok(Journal {
            path,
            file,
            entries,
            torn,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The torn last record this open found and dropped.
    pub fn torn(&self) -> Option<&Torn> {
        self.torn.as_ref()
    }

    /// Every scan of the journal with its fate so far, in order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Scans still waiting for the server, in order.
    pub fn pending(&self) -> Vec<Scan> {
        self.entries
            .iter()
            .filter(|e| e.fate.is_none())
            .map(|e| e.scan.clone())
            .collect()
    }

    pub fn pending_count(&self) -> usize {
        self.entries.iter().filter(|e| e.fate.is_none()).count()
    }

    /// The number the next scan gets.
    pub fn next_seq(&self) -> u64 {
        self.entries.last().map_or(1, |e| e.scan.seq + 1)
    }

    /// The earlier scan of this student at this session, if any.
    pub fn scan_of(&self, student_no: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| {
            e.scan.student_no == student_no && !matches!(e.fate, Some(Fate::Conflict { .. }))
        })
    }

    fn append(&mut self, record: &Record, sync: bool) -> Result<()> {
        let line = encode(record);
        self.file
            .write_all(&line)
            .and_then(|()| if sync { self.file.sync_data() } else { Ok(()) })
            .map_err(|source| file_error(&self.path, FileStep::WriteJournal, source))
    }

    /// Writes a scan and waits for the disk before returning.
    pub fn add_scan(&mut self, scan: Scan) -> Result<()> {
        self.append(&Record::Scan(scan.clone()), true)?;
        self.entries.push(Entry { scan, fate: None });
        Ok(())
    }

    /// Waits for the disk to hold every record written so far.
    pub fn flush(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|source| file_error(&self.path, FileStep::WriteJournal, source))
    }

    /// Writes the fate of scan `seq` without waiting for the disk (`flush` does): a fate a
    /// crash loses is asked again by the scan's nonce, which finds the same check-in.
    pub fn add_fate(&mut self, seq: u64, fate: Fate) -> Result<()> {
        self.append(
            &Record::Done {
                seq,
                fate: fate.clone(),
                at: crate::clock::now(),
            },
            false,
        )?;
        apply(
            &mut self.entries,
            Record::Done {
                seq,
                fate,
                at: crate::clock::now(),
            },
        );
        Ok(())
    }
}

/// Takes the journal's lock: an exclusive `flock` on the journal file itself, waiting a little
/// (a station that is just stopping may still hold it for a moment). The kernel lets go of it
/// when the station's process ends, however it ends, so a killed station leaves no stale lock.
/// `false`: a running station holds it.
fn lock_within(file: &File, patience: std::time::Duration) -> std::io::Result<bool> {
    let started = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
        if started.elapsed() >= patience {
            return Ok(false);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

fn open_rw(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let file = match options.clone().create_new(true).mode(0o600).open(path) {
        Ok(file) => {
            file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
            if let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
            file
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => options.open(path)?,
        Err(e) => return Err(e),
    };
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(seq: u64, student: &str) -> Scan {
        Scan {
            seq,
            nonce: format!("{seq:032x}"),
            label: format!("B-{seq:03}"),
            session: 7,
            station: "A1".into(),
            operator: "tester".into(),
            allow_walk_in: false,
            retake_reason: None,
            token: "CJ1:X".into(),
            student_no: student.into(),
            masked_name: "张*".into(),
            class: Some("软工2201".into()),
            at: DateTime::from_timestamp(1_780_000_000 + seq as i64, 0).unwrap(),
        }
    }

    /// A conflict keeps why as data, so it reads in the language of whoever looks later; a
    /// journal written before reasons were data holds words, which read back as they were.
    #[test]
    fn a_conflict_keeps_its_reason_as_data_and_old_words_still_read() {
        use crate::ops::checkin::{Reason, SessionName};
        let fate = Fate::Conflict {
            cause: "not_in_session".into(),
            reason: Reason::NotInSession {
                theirs: Some(SessionName { id: 3, known: None }),
            },
        };
        let json = serde_json::to_string(&fate).unwrap();
        assert!(json.contains(r#""why":"not_in_session""#), "{json}");
        assert_eq!(serde_json::from_str::<Fate>(&json).unwrap(), fate);
        let old = r#"{"fate":"conflict","cause":"full","reason":"场次 2 已满（容量 120）"}"#;
        assert_eq!(
            serde_json::from_str::<Fate>(old).unwrap(),
            Fate::Conflict {
                cause: "full".into(),
                reason: Reason::Said("场次 2 已满（容量 120）".into()),
            }
        );
    }

    /// A station killed while writing leaves part of a line: the next open drops it, says so,
    /// keeps every whole record, and appends after the cut.
    #[test]
    fn a_torn_last_record_is_dropped_and_reported_never_misread() {
        let dir = tempfile::tempdir().unwrap();
        {
            let mut j = Journal::open(dir.path(), 7).unwrap();
            j.add_scan(scan(1, "2022001")).unwrap();
            j.add_scan(scan(2, "2022002")).unwrap();
            j.add_fate(1, Fate::Synced { shot: 5 }).unwrap();
        }
        let path = path_for(dir.path(), 7);
        let whole = std::fs::read(&path).unwrap();
        let third = encode(&Record::Scan(scan(3, "2022003")));
        // every cut of the third record, including one that keeps all but the newline
        for cut in 1..third.len() {
            let mut bytes = whole.clone();
            bytes.extend_from_slice(&third[..cut]);
            std::fs::write(&path, &bytes).unwrap();
            let mut j = Journal::open(dir.path(), 7).unwrap();
            assert_eq!(
                j.torn(),
                Some(&Torn {
                    line: 4,
                    bytes: cut
                }),
                "cut {cut}"
            );
            assert_eq!(j.entries().len(), 2, "cut {cut}");
            assert_eq!(j.pending(), vec![scan(2, "2022002")]);
            assert_eq!(std::fs::read(&path).unwrap(), whole, "cut off");
            j.add_scan(scan(3, "2022003")).unwrap();
            drop(j);
            let j = Journal::open(dir.path(), 7).unwrap();
            assert_eq!(j.torn(), None);
            assert_eq!(j.entries().len(), 3);
            std::fs::write(&path, &whole).unwrap();
        }
        // a changed byte inside a record followed by good ones is damage, named by line
        let mut bytes = whole.clone();
        bytes[10] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = Journal::open(dir.path(), 7).unwrap_err().to_string();
        assert!(err.contains("line 1") || err.contains("第 1 行"), "{err}");
    }

    #[test]
    fn the_journal_is_private_and_locked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::open(&dir.path().join("station"), 3).unwrap();
        let mode = std::fs::metadata(j.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let err = Journal::open(&dir.path().join("station"), 3)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("another station") || err.contains("另一个签到工位"),
            "{err}"
        );
        assert_eq!(sessions_in(&dir.path().join("station")), vec![3]);
    }
}
