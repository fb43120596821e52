//! The offline station (docs/sessions.md "Offline stations"): a check-in station on a
//! PostgreSQL or MySQL server that keeps answering when the server cannot be reached. Codes are
//! verified with the key file, the student is looked up in the station cache, and the scan is
//! written durably to the station journal before its answer (`queued`, with a provisional
//! label such as `B-017`) is shown. When the server answers again the journal is sent in order,
//! each scan with its nonce, and the server gives the real shot numbers or a conflict per scan.
//!
//! A SQLite database is a file on the station itself: it has no network to lose, so a station
//! on SQLite never queues.

pub mod cache;
pub mod journal;
pub mod sync;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::ops::checkin::{Answer, Reason, StationKeys, normalise_token};
pub use cache::Cache;
pub use journal::{Entry, Fate, Journal, Scan};

/// The status of an answer given offline: the scan waits in the journal.
pub const QUEUED: crate::ops::checkin::ScanStatus = crate::ops::checkin::ScanStatus::Queued;

/// Why a station cannot start or go on; the words are in `words::checkin`.
#[derive(Debug, thiserror::Error)]
pub enum StationError {
    /// `--letter` or `station_letter` is not one letter A–Z.
    BadLetter { given: String },
    /// The journal is damaged at `line`, with good records after it: kept, not cut.
    JournalDamaged { path: PathBuf, line: usize },
    /// Another station on this machine holds the journal of `session`.
    JournalBusy { path: PathBuf, session: i64 },
    /// A file of the station folder could not be `doing`.
    File {
        path: PathBuf,
        doing: FileStep,
        #[source]
        source: std::io::Error,
    },
    /// The cache file cannot be read back.
    CacheDamaged {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// The cache file could not be written.
    CacheNotWritten(#[from] crate::files::OutputError),
    /// The operating system gave no random nonce.
    NoNonce(#[source] std::io::Error),
    /// The server could not be asked, or refused.
    Store(#[from] crate::store::StoreError),
}

/// What a station was doing with a file of its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStep {
    CreateFolder,
    OpenJournal,
    LockJournal,
    ReadJournal,
    RepairJournal,
    WriteJournal,
    ReadCache,
}

impl StationError {
    /// Whether this is the server going away, which a later try may get past.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, StationError::Store(e) if e.is_connection_lost())
    }
}

/// What a station's work fails with.
pub type Result<T, E = StationError> = std::result::Result<T, E>;

/// The folder of station journals and caches.
pub fn station_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("station")
}

/// The station's letter, the first part of its provisional labels: `--letter`, else
/// `station_letter` in `config.toml`, else the first ASCII letter of the station's name
/// (docs/sessions.md "Offline stations"). Two stations of one session need different letters.
pub fn station_letter(flag: Option<&str>, config: Option<&str>, station: &str) -> Result<char> {
    let given = flag.or(config);
    if let Some(text) = given {
        let text = text.trim();
        let mut chars = text.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => return Ok(c.to_ascii_uppercase()),
            _ => {
                return Err(StationError::BadLetter {
                    given: crate::domain::text::strip_controls(text).into_owned(),
                });
            }
        }
    }
    Ok(station
        .chars()
        .find(char::is_ascii_alphabetic)
        .map_or('S', |c| c.to_ascii_uppercase()))
}

/// The provisional label of scan `seq` at the station with `letter`.
pub fn label(letter: char, seq: u64) -> String {
    format!("{letter}-{seq:03}")
}

/// 32 random hex digits from the operating system: a scan's nonce.
pub fn new_nonce() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(StationError::NoNonce)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The station's own clock, which the journal records. `CAIJI_TEST_CLOCK_SKEW` (seconds) moves
/// it, for the tests of a station whose clock is off; it is never set outside them.
pub fn station_now() -> DateTime<Utc> {
    let skew = std::env::var("CAIJI_TEST_CLOCK_SKEW")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    crate::clock::now() + chrono::Duration::seconds(skew)
}

/// An answer with the provisional label of a queued scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationAnswer {
    pub answer: Answer,
    pub label: Option<String>,
}

impl From<Answer> for StationAnswer {
    fn from(answer: Answer) -> StationAnswer {
        StationAnswer {
            answer,
            label: None,
        }
    }
}

/// An answer that is only a status and its reason (a refusal, a scan not recorded).
pub fn refusal(
    status: crate::ops::checkin::ScanStatus,
    student_no: Option<String>,
    reason: Reason,
) -> Answer {
    Answer {
        status,
        student_no,
        shot: None,
        reason: Some(reason),
        masked_name: None,
        class: None,
        their_session: None,
        moved_from: None,
        counted_session: None,
        slate: None,
    }
}

/// Who scans at an offline station, and how.
#[derive(Debug, Clone)]
pub struct Scanner<'a> {
    pub keys: &'a StationKeys,
    pub letter: char,
    pub station: &'a str,
    pub operator: &'a str,
    pub allow_walk_in: bool,
    /// The make-up retake reason the station was started with, sent with each queued scan.
    pub retake_reason: Option<&'a str>,
    pub session: i64,
}

/// Answers a scanned line without the server: verified with the key file, looked up in the
/// cache and the journal, and (unless refused) written to the journal with `nonce` before the
/// answer is returned.
pub fn answer_offline(
    journal: &mut Journal,
    cache: Option<&Cache>,
    scanner: &Scanner<'_>,
    line: &str,
    nonce: &str,
) -> Result<StationAnswer> {
    let token = normalise_token(line);
    let payload = match scanner.keys {
        StationKeys::Ready(ring) => match crate::code::verify(&token, ring) {
            Ok(p) => p,
            Err(error) => {
                return Ok(refusal(
                    crate::ops::checkin::ScanStatus::Invalid,
                    None,
                    Reason::Token { error },
                )
                .into());
            }
        },
        StationKeys::Unavailable { .. } => {
            let reason = scanner.keys.refusal_reason().unwrap_or(Reason::UnknownCode);
            return Ok(refusal(crate::ops::checkin::ScanStatus::Invalid, None, reason).into());
        }
    };
    let no = payload.student_no.clone();
    if let Some(cache) = cache
        && cache.is_revoked(payload.serial)
    {
        return Ok(refusal(
            crate::ops::checkin::ScanStatus::Revoked,
            Some(no),
            Reason::RevokedAsOf {
                as_of: cache.refreshed_at,
            },
        )
        .into());
    }
    let cached = cache.and_then(|c| c.student(&no));
    let masked_name = cached.map_or_else(|| payload.masked_name.clone(), |s| s.masked_name.clone());
    let class = cached.map(|s| s.class.clone());
    let already = |shot: Option<i32>, label: Option<String>, reason: Reason| StationAnswer {
        answer: Answer {
            status: crate::ops::checkin::ScanStatus::Already,
            student_no: Some(no.clone()),
            shot,
            reason: Some(reason),
            masked_name: Some(masked_name.clone()),
            class: class.clone(),
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        },
        label,
    };
    if let Some(shot) = cached.and_then(|s| s.shot) {
        return Ok(already(Some(shot), None, Reason::Already { shot }));
    }
    if let Some(earlier) = journal.scan_of(&no) {
        let (shot, label) = match &earlier.fate {
            Some(Fate::Synced { shot }) => (Some(*shot), None),
            _ => (None, Some(earlier.scan.label.clone())),
        };
        let name = label
            .clone()
            .unwrap_or_else(|| shot.unwrap_or(0).to_string());
        return Ok(already(shot, label, Reason::ScannedHere { name }));
    }
    if let Some(cache) = cache
        && !cached.is_some_and(|s| s.assigned)
        && !scanner.allow_walk_in
    {
        return Ok(refusal(
            crate::ops::checkin::ScanStatus::NotInSession,
            Some(no),
            Reason::NotOnListAsOf {
                as_of: cache.refreshed_at,
            },
        )
        .into());
    }
    let seq = journal.next_seq();
    let scan = Scan {
        seq,
        nonce: nonce.to_string(),
        label: label(scanner.letter, seq),
        session: scanner.session,
        station: scanner.station.to_string(),
        operator: scanner.operator.to_string(),
        allow_walk_in: scanner.allow_walk_in,
        retake_reason: scanner.retake_reason.map(str::to_string),
        token,
        student_no: no.clone(),
        masked_name: masked_name.clone(),
        class: class.clone(),
        at: station_now(),
    };
    let label = scan.label.clone();
    // The slate of a queued scan carries its label (docs/slate.md "Offline stations").
    let slate = crate::ops::checkin::slate_for(
        scanner.keys,
        &scan.token,
        scanner.session,
        None,
        Some(&label),
    );
    journal.add_scan(scan)?;
    Ok(StationAnswer {
        answer: Answer {
            status: QUEUED,
            student_no: Some(no),
            shot: None,
            reason: Some(Reason::Queued),
            masked_name: Some(masked_name),
            class,
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate,
        },
        label: Some(label),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_come_from_the_flag_the_config_or_the_name() {
        assert_eq!(station_letter(Some("b"), Some("C"), "A1").unwrap(), 'B');
        assert_eq!(station_letter(None, Some("C"), "A1").unwrap(), 'C');
        assert_eq!(station_letter(None, None, "2号-east").unwrap(), 'E');
        assert_eq!(station_letter(None, None, "12").unwrap(), 'S');
        assert!(station_letter(Some("BB"), None, "A1").is_err());
        assert!(station_letter(Some("7"), None, "A1").is_err());
        assert_eq!(label('B', 17), "B-017");
        assert_eq!(label('B', 1234), "B-1234");
    }

    #[test]
    fn nonces_are_random_hex() {
        let a = new_nonce().unwrap();
        let b = new_nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn a_queued_scan_s_slate_carries_its_label() {
        use crate::code::{CodePayload, Keyring, issue, open_slate};
        let dir = tempfile::tempdir().unwrap();
        let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
        let code = issue(
            &CodePayload {
                serial: 4_321,
                student_no: "2026100002".into(),
                masked_name: "李*思".into(),
                masked_id: "*****002X".into(),
                school_code: "4111010001".into(),
                level: crate::domain::Level::Master,
                cohort: 2026,
                issued_on: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
            },
            &ring,
        )
        .unwrap();
        let keys = StationKeys::Ready(ring);
        let mut journal = Journal::open(&dir.path().join("station"), 5).unwrap();
        let scanner = Scanner {
            keys: &keys,
            letter: 'B',
            station: "gym",
            operator: "tester",
            allow_walk_in: false,
            retake_reason: None,
            session: 5,
        };
        let answer = answer_offline(&mut journal, None, &scanner, &code.text, "ab").unwrap();
        assert_eq!(answer.answer.status, QUEUED);
        assert_eq!(answer.label.as_deref(), Some("B-001"));
        let StationKeys::Ready(ring) = &keys else {
            unreachable!()
        };
        let slate = open_slate(answer.answer.slate.as_deref().unwrap(), ring).unwrap();
        assert_eq!(
            (
                slate.session,
                slate.shot,
                slate.label.as_deref(),
                slate.serial
            ),
            (5, None, Some("B-001"), 4_321)
        );
    }
}
