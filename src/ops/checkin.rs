//! Check-in at a station, shared by `caiji sessions checkin` and the console's Check-in screen:
//! a scanned line goes through three steps: `verify` (the token itself), the `codes` table
//! (whose code it is, and whether it was revoked), then the store's `check_in`
//! (docs/sessions.md).

use std::collections::HashMap;
use std::path::Path;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::code::{Keyring, KeyringError, VerifyError};
use crate::domain::mask_name;
use crate::domain::text::strip_controls;
use crate::store::{CheckinStatus, SessionRow, Stamp, Store, StoreError, TokenLookup};

/// What check-in fails with: the store could not be asked (the scan is NOT recorded).
type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What became of a scanned line: the `status` of docs/cli.md's check-in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScanStatus {
    CheckedIn,
    /// Checked in at this session before, with its shot.
    Already,
    /// The check-in that counts for the student is at another session.
    AlreadyElsewhere,
    Full,
    NotInSession,
    Revoked,
    /// Not a code of this school, withdrawn, unknown, or the session is gone.
    Invalid,
    /// Kept in an offline station's journal, with a provisional label.
    Queued,
    /// Neither the server nor the journal took it: scan again.
    NotRecorded,
}

impl ScanStatus {
    /// The word in the JSON and in a journal's conflict (`error` for a scan not recorded).
    pub fn code(self) -> &'static str {
        match self {
            ScanStatus::CheckedIn => "checked_in",
            ScanStatus::Already => "already",
            ScanStatus::AlreadyElsewhere => "already_elsewhere",
            ScanStatus::Full => "full",
            ScanStatus::NotInSession => "not_in_session",
            ScanStatus::Revoked => "revoked",
            ScanStatus::Invalid => "invalid",
            ScanStatus::Queued => "queued",
            ScanStatus::NotRecorded => "error",
        }
    }

    /// The status a `code` names; a word this version does not know reads as `Invalid`.
    pub fn from_code(code: &str) -> ScanStatus {
        [
            ScanStatus::CheckedIn,
            ScanStatus::Already,
            ScanStatus::AlreadyElsewhere,
            ScanStatus::Full,
            ScanStatus::NotInSession,
            ScanStatus::Revoked,
            ScanStatus::Queued,
            ScanStatus::NotRecorded,
        ]
        .into_iter()
        .find(|s| s.code() == code)
        .unwrap_or(ScanStatus::Invalid)
    }
}

impl From<CheckinStatus> for ScanStatus {
    fn from(status: CheckinStatus) -> ScanStatus {
        match status {
            CheckinStatus::CheckedIn { .. } => ScanStatus::CheckedIn,
            CheckinStatus::Already { .. } => ScanStatus::Already,
            CheckinStatus::AlreadyElsewhere { .. } => ScanStatus::AlreadyElsewhere,
            CheckinStatus::Full { .. } => ScanStatus::Full,
            CheckinStatus::NotInSession { .. } => ScanStatus::NotInSession,
            CheckinStatus::Withdrawn
            | CheckinStatus::UnknownStudent
            | CheckinStatus::NoSuchSession => ScanStatus::Invalid,
        }
    }
}

impl serde::Serialize for ScanStatus {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// A session an answer names, as the store had it when the answer was given (`None`: gone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionName {
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known: Option<Box<SessionKnown>>,
}

/// What an answer shows of a session besides its number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionKnown {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub location: String,
}

/// What a make-up station may still do for a student checked in at another session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetakeHint {
    /// The station can photograph them again: the face says how.
    Offered,
    /// They were checked in after this make-up session began: that already counts this round.
    CountsThisRound,
    /// Not a make-up session.
    None,
}

/// Why an answer is what it is: data the faces put into words (docs/architecture.md, "Words at
/// the edge"). Stored with a journal's conflicts, so it reads back as it was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum Reason {
    /// The station has no usable key file (`missing`: none at `path`).
    NoKeys {
        path: PathBuf,
        missing: bool,
    },
    /// The token itself failed verification.
    Token {
        error: VerifyError,
    },
    /// A genuine code the codes table does not hold: not issued here, or replaced.
    UnknownCode,
    Revoked {
        at: Option<DateTime<Utc>>,
        reissued_at: Option<DateTime<Utc>>,
    },
    /// Revoked by the offline station's revocation list of `as_of`.
    RevokedAsOf {
        as_of: DateTime<Utc>,
    },
    /// A make-up retake: the shot at `from` is kept as history.
    Retake {
        from: SessionName,
        old_shot: i32,
    },
    /// Taken as a walk-in, moved from `from` (`None`: had no session).
    WalkIn {
        from: Option<SessionName>,
    },
    Already {
        shot: i32,
    },
    /// Scanned at this offline station before, as `name` (its shot or label).
    ScannedHere {
        name: String,
    },
    AlreadyElsewhere {
        at: SessionName,
        shot: i32,
        retake: RetakeHint,
    },
    Full {
        session: i64,
        capacity: i64,
    },
    /// Assigned to `theirs` (`None`: to no session); the face says how to take a walk-in.
    NotInSession {
        theirs: Option<SessionName>,
    },
    /// Not on the offline station's cached list of `as_of`.
    NotOnListAsOf {
        as_of: DateTime<Utc>,
    },
    Withdrawn,
    UnknownStudent,
    NoSuchSession {
        session: i64,
    },
    /// Kept in the offline station's journal.
    Queued,
    /// Sent from the journal and not taken: scan again.
    NotTakenWhenSent,
    /// Words a face gave, or an older version wrote in a journal.
    #[serde(untagged)]
    Said(String),
}

/// Why a scanned line is not taken, found before any check-in is attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Invalid` or `Revoked`.
    pub status: ScanStatus,
    pub student_no: Option<String>,
    pub reason: Reason,
}

impl Refusal {
    fn invalid(reason: Reason) -> Refusal {
        Refusal {
            status: ScanStatus::Invalid,
            student_no: None,
            reason,
        }
    }
}

/// Scanners add spaces and may type lower case (docs/token.md): trim and upper-case first.
pub fn normalise_token(line: &str) -> String {
    line.trim().to_uppercase()
}

/// The station's keyring, loaded once when the station starts: it verifies every scan, or says
/// why no code can be verified here.
#[derive(Debug)]
pub enum StationKeys {
    Ready(Keyring),
    Unavailable { path: PathBuf, error: KeyringError },
}

impl StationKeys {
    pub fn load(path: &Path) -> StationKeys {
        match Keyring::load(path) {
            Ok(ring) => StationKeys::Ready(ring),
            Err(error) => StationKeys::Unavailable {
                path: path.to_path_buf(),
                error,
            },
        }
    }

    /// Why codes cannot be verified here, if they cannot: the key file and what reading it
    /// said.
    pub fn problem(&self) -> Option<(&Path, &KeyringError)> {
        match self {
            StationKeys::Ready(_) => None,
            StationKeys::Unavailable { path, error } => Some((path, error)),
        }
    }

    /// The reason every scan is refused with while codes cannot be verified here.
    pub(crate) fn refusal_reason(&self) -> Option<Reason> {
        self.problem().map(|(path, error)| Reason::NoKeys {
            path: path.to_path_buf(),
            missing: matches!(error, KeyringError::NotFound { .. }),
        })
    }
}

/// The check of the token itself, in front of the database lookup: sealed by one of the school's
/// keys and unaltered. Tampered, truncated, foreign and unknown-key codes are refused with the
/// code module's reasons.
pub(crate) fn verify(token: &str, keys: &StationKeys) -> Result<(), Refusal> {
    match keys {
        StationKeys::Ready(ring) => crate::code::verify(token, ring)
            .map(|_| ())
            .map_err(|error| Refusal::invalid(Reason::Token { error })),
        StationKeys::Unavailable { .. } => Err(Refusal::invalid(
            keys.refusal_reason().unwrap_or(Reason::UnknownCode),
        )),
    }
}

/// Whose code a scanned line is: the student's 学号, or why the line is refused.
pub async fn identify(
    store: &dyn Store,
    keys: &StationKeys,
    line: &str,
) -> Result<Result<String, Refusal>> {
    let token = normalise_token(line);
    if let Err(refusal) = verify(&token, keys) {
        return Ok(Err(refusal));
    }
    Ok(match store.code_by_token(&token).await? {
        TokenLookup::Active { student_no } => Ok(student_no),
        TokenLookup::Unknown => Err(Refusal::invalid(Reason::UnknownCode)),
        TokenLookup::Revoked {
            student_no,
            revoked_at,
            replacement_issued_at,
        } => Err(Refusal {
            status: ScanStatus::Revoked,
            student_no: Some(student_no),
            reason: Reason::Revoked {
                at: revoked_at,
                reissued_at: replacement_issued_at,
            },
        }),
    })
}

/// The answer to one scanned line, as the station loop and the console's Check-in screen show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: ScanStatus,
    pub student_no: Option<String>,
    pub shot: Option<i32>,
    pub reason: Option<Reason>,
    pub masked_name: Option<String>,
    pub class: Option<String>,
    /// `not_in_session`: the session the student is assigned to (`None`: none at all), so the
    /// station can offer to take them as a walk-in.
    pub their_session: Option<i64>,
    /// `checked_in` as a walk-in: the session the student was moved from, if any.
    pub moved_from: Option<i64>,
    /// `already_elsewhere`: the session whose check-in counts for the student (`shot` is that
    /// session's), so a make-up station can offer a retake.
    pub counted_session: Option<i64>,
    /// The station slate of a check-in (checked in, or already with its shot), or of a scan
    /// queued offline (its provisional label): the sealed text the station draws as a QR code
    /// for the camera (docs/slate.md).
    pub slate: Option<String>,
}

impl Answer {
    fn refused(r: Refusal) -> Answer {
        Answer {
            status: r.status,
            student_no: r.student_no,
            shot: None,
            reason: Some(r.reason),
            masked_name: None,
            class: None,
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        }
    }
}

/// Where and by whom scans are taken.
#[derive(Debug)]
pub struct Station<'a> {
    pub keys: &'a StationKeys,
    pub name: &'a str,
    pub operator: &'a str,
    pub allow_walk_in: bool,
    /// At a make-up (补采) session: the operator's reason for checking in again a student whose
    /// check-in that counts is at another session (docs/sessions.md). `None`: such a student is
    /// refused as already checked in.
    pub retake_reason: Option<&'a str>,
}

/// Sessions named in "not in this session" answers, looked up once each.
pub struct Sessions<'a> {
    store: &'a dyn Store,
    known: HashMap<i64, Option<SessionRow>>,
}

impl<'a> Sessions<'a> {
    pub fn new(store: &'a dyn Store) -> Sessions<'a> {
        Sessions {
            store,
            known: HashMap::new(),
        }
    }

    async fn describe(&mut self, id: i64) -> Result<SessionName> {
        if !self.known.contains_key(&id) {
            let row = self.store.session(id).await?;
            self.known.insert(id, row);
        }
        Ok(SessionName {
            id,
            known: self.known.get(&id).and_then(Option::as_ref).map(|s| {
                Box::new(SessionKnown {
                    title: strip_controls(&s.title).into_owned(),
                    starts_at: s.starts_at,
                    location: strip_controls(&s.location).into_owned(),
                })
            }),
        })
    }
}

/// Answers one scanned line: the token checked, the code looked up, the student checked in.
/// An `Err` means the database could not be asked: the scan is NOT recorded.
pub async fn answer(
    store: &dyn Store,
    sessions: &mut Sessions<'_>,
    session: &SessionRow,
    line: &str,
    station: &Station<'_>,
) -> Result<Answer> {
    answer_stamped(store, sessions, session, line, station, &Stamp::now()).await
}

/// `answer` recording `stamp` with the check-in: a scan sent with a nonce (an offline
/// station's journal, docs/sessions.md "Offline stations") answers its first result if it was
/// sent before.
pub async fn answer_stamped(
    store: &dyn Store,
    sessions: &mut Sessions<'_>,
    session: &SessionRow,
    line: &str,
    station: &Station<'_>,
    stamp: &Stamp<'_>,
) -> Result<Answer> {
    let (student_no, outcome) = match identify(store, station.keys, line).await? {
        Ok(no) => {
            let outcome = store
                .check_in_stamped(
                    session.id,
                    &no,
                    station.name,
                    station.operator,
                    station.allow_walk_in,
                    station.retake_reason.filter(|_| session.makeup),
                    stamp,
                )
                .await?;
            (no, outcome)
        }
        Err(r) => {
            // A scan sent again after its first send checked the student in: the code may
            // have been revoked since, but the first answer stands.
            let first = match stamp.nonce {
                Some(nonce) => store.replayed(session.id, nonce, stamp.label).await?,
                None => None,
            };
            match first {
                Some(first) => {
                    let no = first.student.as_ref().map(|s| s.student_no.clone());
                    (no.unwrap_or_default(), first)
                }
                None => return Ok(Answer::refused(r)),
            }
        }
    };
    let reason = match outcome.status {
        CheckinStatus::CheckedIn { .. } if outcome.retake_of.is_some() => {
            let (from, old_shot) = outcome.retake_of.unwrap_or_default();
            Some(Reason::Retake {
                from: sessions.describe(from).await?,
                old_shot,
            })
        }
        CheckinStatus::CheckedIn { walk_in: false, .. } => None,
        CheckinStatus::CheckedIn { walk_in: true, .. } => Some(Reason::WalkIn {
            from: match outcome.moved_from {
                Some(from) => Some(sessions.describe(from).await?),
                None => None,
            },
        }),
        CheckinStatus::Already { shot } => Some(Reason::Already { shot }),
        CheckinStatus::AlreadyElsewhere {
            session: other,
            shot,
            replaceable,
        } => Some(Reason::AlreadyElsewhere {
            at: sessions.describe(other).await?,
            shot,
            retake: if replaceable {
                RetakeHint::Offered
            } else if session.makeup {
                RetakeHint::CountsThisRound
            } else {
                RetakeHint::None
            },
        }),
        CheckinStatus::Full { capacity } => Some(Reason::Full {
            session: session.id,
            capacity: capacity.into(),
        }),
        CheckinStatus::NotInSession { their_session } => Some(Reason::NotInSession {
            theirs: match their_session {
                Some(id) => Some(sessions.describe(id).await?),
                None => None,
            },
        }),
        CheckinStatus::Withdrawn => Some(Reason::Withdrawn),
        CheckinStatus::UnknownStudent => Some(Reason::UnknownStudent),
        CheckinStatus::NoSuchSession => Some(Reason::NoSuchSession {
            session: session.id,
        }),
    };
    let student = outcome.student.as_ref();
    let shot = outcome.status.shot();
    Ok(Answer {
        status: outcome.status.into(),
        student_no: Some(student_no.clone()),
        shot,
        reason,
        masked_name: student.map(|s| mask_name(&s.name)),
        class: student.map(|s| s.class.clone()),
        their_session: match outcome.status {
            CheckinStatus::NotInSession { their_session } => their_session,
            _ => None,
        },
        moved_from: outcome.moved_from,
        counted_session: match outcome.status {
            CheckinStatus::AlreadyElsewhere { session, .. } => Some(session),
            _ => None,
        },
        // a slate carries this session's shot: none for a check-in that counts elsewhere
        slate: shot
            .filter(|_| !matches!(outcome.status, CheckinStatus::AlreadyElsewhere { .. }))
            .and_then(|shot| slate_for(station.keys, line, session.id, Some(shot), None)),
    })
}

/// The slate of an accepted scan (docs/slate.md): the session, the shot (or, for a scan queued
/// at an offline station, its provisional label) and the scanned code's serial, sealed with the
/// station's key file.
pub fn slate_for(
    keys: &StationKeys,
    line: &str,
    session: i64,
    shot: Option<i32>,
    label: Option<&str>,
) -> Option<String> {
    let StationKeys::Ready(ring) = keys else {
        return None;
    };
    let payload = crate::code::verify(&normalise_token(line), ring).ok()?;
    let slate = crate::code::Slate {
        session,
        shot,
        label: label.map(str::to_string),
        serial: payload.serial,
    };
    crate::code::seal_slate(&slate, ring).ok()
}

/// The reason given for a make-up retake, checked as it comes in: control characters dropped,
/// not empty, at most `domain::lengths::REASON` characters. `what` names where it came from
/// (the option, or the console's field) in the refusal.
pub fn checked_retake_reason(what: &str, text: &str) -> Result<String, RetakeReasonError> {
    let reason = strip_controls(text.trim()).trim().to_string();
    if reason.is_empty() {
        return Err(RetakeReasonError::Empty {
            what: what.to_string(),
        });
    }
    match crate::domain::lengths::too_long(what, &reason, crate::domain::lengths::REASON) {
        Some(refused) => Err(RetakeReasonError::TooLong(refused)),
        None => Ok(reason),
    }
}

/// Why a make-up retake reason is refused; `what` names the option or field it came from. Its
/// words are in `words::checkin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetakeReasonError {
    Empty { what: String },
    TooLong(crate::domain::lengths::TooLong),
}

impl std::error::Error for RetakeReasonError {}

/// The status of a scan that could not be recorded (the database could not be reached).
pub const NOT_RECORDED: ScanStatus = ScanStatus::NotRecorded;

/// How long a station keeps trying one scan while the database connection is lost.
const RECONNECT_WITHIN: std::time::Duration = std::time::Duration::from_secs(6);

/// `answer`, tried again for a few seconds when the connection is lost mid-way. Safe to repeat:
/// a check-in that was committed before the connection broke answers "already" with its shot.
pub async fn answer_retrying(
    store: &dyn Store,
    sessions: &mut Sessions<'_>,
    session: &SessionRow,
    line: &str,
    station: &Station<'_>,
) -> Result<Answer> {
    let started = std::time::Instant::now();
    loop {
        match answer(store, sessions, session, line, station).await {
            Err(err) if err.is_connection_lost() && started.elapsed() < RECONNECT_WITHIN => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A station tries a scan again only when the connection to the server went away; an error
    /// SQLite gave (a refused statement) is answered at once, not retried for six seconds.
    #[test]
    fn checkin_retries_only_a_lost_connection() {
        use crate::store::StoreError;
        let lost = |e: StoreError| e.is_connection_lost();
        assert!(lost(StoreError::Query(sqlx::Error::Io(
            std::io::Error::from(std::io::ErrorKind::ConnectionReset)
        ))));
        assert!(lost(StoreError::Query(sqlx::Error::PoolTimedOut)));
        assert!(!lost(StoreError::Sqlite(
            "insert 2022001: constraint failed".into()
        )));
        assert!(!lost(StoreError::Query(sqlx::Error::Decode(
            "shot number 4294967296 out of range".into()
        ))));
    }

    #[test]
    fn tokens_are_trimmed_and_upper_cased() {
        let cases = [
            ("  cj1:abc$%  \r\n", "CJ1:ABC$%"),
            ("CJ1:XYZ", "CJ1:XYZ"),
            ("\tcj1:q r\t", "CJ1:Q R"),
        ];
        for (line, want) in cases {
            assert_eq!(normalise_token(line), want, "{line:?}");
        }
    }
}
