//! Check-in at a station, shared by `caiji sessions checkin` and the console's Check-in screen:
//! a scanned line goes through three steps: `verify` (the token itself), the `codes` table
//! (whose code it is, and whether it was revoked), then the store's `check_in`
//! (docs/sessions.md).

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;

use super::time::format_time;
use crate::code::{Keyring, KeyringError};
use crate::domain::mask_name;
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::store::{CheckinStatus, SessionRow, Stamp, Store, TokenLookup};

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

/// Why a scanned line is not taken, found before any check-in is attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Invalid` or `Revoked`.
    pub status: ScanStatus,
    pub student_no: Option<String>,
    pub reason: String,
}

impl Refusal {
    fn invalid(reason: String) -> Refusal {
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
    Unavailable(String),
}

impl StationKeys {
    pub fn load(path: &Path) -> StationKeys {
        match Keyring::load(path) {
            Ok(ring) => StationKeys::Ready(ring),
            Err(KeyringError::NotFound { .. }) => StationKeys::Unavailable(match lang() {
                Lang::Zh => format!(
                    "本机没有密钥文件 {}，无法验证采集码：请把学校的密钥文件复制到这里（或用 --key-file 指定）后重新开始签到",
                    path.display()
                ),
                Lang::En => format!(
                    "no key file at {}, so codes cannot be verified: copy the school's key file there (or give --key-file) and start the station again",
                    path.display()
                ),
            }),
            Err(e) => StationKeys::Unavailable(format!(
                "{}: {e}",
                tr(
                    "无法读取密钥文件，采集码无法验证",
                    "cannot read the key file, so codes cannot be verified"
                )
            )),
        }
    }

    /// Why codes cannot be verified here, if they cannot.
    pub fn problem(&self) -> Option<&str> {
        match self {
            StationKeys::Ready(_) => None,
            StationKeys::Unavailable(why) => Some(why),
        }
    }
}

/// The check of the token itself, in front of the database lookup: sealed by one of the school's
/// keys and unaltered. Tampered, truncated, foreign and unknown-key codes are refused with the
/// code module's reasons.
pub(crate) fn verify(token: &str, keys: &StationKeys) -> Result<(), Refusal> {
    match keys {
        StationKeys::Ready(ring) => crate::code::verify(token, ring)
            .map(|_| ())
            .map_err(|e| Refusal::invalid(e.to_string())),
        StationKeys::Unavailable(why) => Err(Refusal::invalid(why.clone())),
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
        TokenLookup::Unknown => Err(Refusal::invalid(
            tr(
                "未登记的采集码（不是本校签发的，或已被替换）",
                "unknown code (not issued here, or replaced)",
            )
            .to_string(),
        )),
        TokenLookup::Revoked {
            student_no,
            revoked_at,
            replacement_issued_at,
        } => {
            let when = revoked_at.map(format_time).unwrap_or_else(|| "?".into());
            let mut reason = match lang() {
                Lang::Zh => format!("采集码已于 {when} 作废"),
                Lang::En => format!("code revoked on {when}"),
            };
            if let Some(new) = replacement_issued_at {
                reason.push_str(&match lang() {
                    Lang::Zh => format!("；{} 已补发新码，请扫描新码", format_time(new)),
                    Lang::En => format!(
                        "; a new code was issued on {}, scan that one",
                        format_time(new)
                    ),
                });
            }
            Err(Refusal {
                status: ScanStatus::Revoked,
                student_no: Some(student_no),
                reason,
            })
        }
    })
}

/// The answer to one scanned line, as the station loop and the console's Check-in screen show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: ScanStatus,
    pub student_no: Option<String>,
    pub shot: Option<i32>,
    pub reason: Option<String>,
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
    /// How this face takes a refused student as a walk-in (the command line's flag, the
    /// console's key), added to a "not in this session" answer.
    pub walk_in_how: &'a str,
    /// At a make-up (补采) session: the operator's reason for checking in again a student whose
    /// check-in that counts is at another session (docs/sessions.md). `None`: such a student is
    /// refused as already checked in.
    pub retake_reason: Option<&'a str>,
    /// How this face gives a retake reason (the command line's flag, the console's key), added
    /// to an "already checked in at session N" answer at a make-up session.
    pub retake_how: &'a str,
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

    async fn describe(&mut self, id: i64) -> Result<String> {
        if !self.known.contains_key(&id) {
            let row = self.store.session(id).await?;
            self.known.insert(id, row);
        }
        Ok(match self.known.get(&id).and_then(Option::as_ref) {
            Some(s) => format!(
                "{id}「{}」{} {}",
                strip_controls(&s.title),
                format_time(s.starts_at),
                strip_controls(&s.location)
            ),
            None => id.to_string(),
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
    let zh = lang() == Lang::Zh;
    let reason = match outcome.status {
        CheckinStatus::CheckedIn { .. } if outcome.retake_of.is_some() => {
            let (from, old_shot) = outcome.retake_of.unwrap_or_default();
            let other = sessions.describe(from).await?;
            Some(if zh {
                format!("补采重拍：场次 {other} 的拍摄号 {old_shot} 改为留档，以本次为准")
            } else {
                format!(
                    "make-up retake: shot {old_shot} of session {other} is kept as history, this one counts"
                )
            })
        }
        CheckinStatus::CheckedIn { walk_in: false, .. } => None,
        CheckinStatus::CheckedIn { walk_in: true, .. } => Some(match outcome.moved_from {
            Some(from) => {
                let other = sessions.describe(from).await?;
                if zh {
                    format!("现场加入：已从场次 {other} 改到本场")
                } else {
                    format!("walk-in: moved here from session {other}")
                }
            }
            None => tr(
                "现场加入：原本未安排场次，已安排到本场",
                "walk-in: had no session, now assigned here",
            )
            .to_string(),
        }),
        CheckinStatus::Already { shot } => Some(if zh {
            format!("已在本场次签到，拍摄号 {shot}")
        } else {
            format!("already checked in at this session as shot {shot}")
        }),
        CheckinStatus::AlreadyElsewhere {
            session: other,
            shot,
            replaceable,
        } => {
            let other = sessions.describe(other).await?;
            let mut text = if zh {
                format!("已在场次 {other} 签到，拍摄号 {shot}")
            } else {
                format!("already checked in at session {other}, shot {shot}")
            };
            if replaceable {
                text.push_str(if zh { "；" } else { "; " });
                text.push_str(station.retake_how);
            } else if session.makeup {
                text.push_str(tr(
                    "（在本补采场次开始之后签到，已计入本轮补采，不能再重拍）",
                    " (checked in after this make-up session began, so it already counts for this round: no retake)",
                ));
            }
            Some(text)
        }
        CheckinStatus::Full { capacity } => Some(if zh {
            format!("场次 {} 已满（容量 {capacity}）", session.id)
        } else {
            format!("session {} is full (capacity {capacity})", session.id)
        }),
        CheckinStatus::NotInSession {
            their_session: Some(id),
        } => {
            let other = sessions.describe(id).await?;
            Some(if zh {
                format!("应参加场次 {other}；{}", station.walk_in_how)
            } else {
                format!("belongs to session {other}; {}", station.walk_in_how)
            })
        }
        CheckinStatus::NotInSession {
            their_session: None,
        } => Some(format!(
            "{}{}",
            tr("未安排任何场次；", "has no session; "),
            station.walk_in_how
        )),
        CheckinStatus::Withdrawn => Some(
            tr(
                "该学生已退出名单",
                "the student has withdrawn from the roster",
            )
            .to_string(),
        ),
        CheckinStatus::UnknownStudent => Some(
            tr(
                "采集码对应的学生不在名单中",
                "the code's student is not on the roster",
            )
            .to_string(),
        ),
        CheckinStatus::NoSuchSession => Some(if zh {
            format!("场次 {} 已不存在", session.id)
        } else {
            format!("session {} no longer exists", session.id)
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

/// How the command line takes walk-ins, for its "not in this session" answers.
pub fn walk_in_flag() -> &'static str {
    tr(
        "要现场加入（改到本场）请用 --allow-walk-in",
        "run with --allow-walk-in to take them here as walk-ins",
    )
}

/// How the command line takes a make-up retake, for its "already checked in at session N"
/// answers at a make-up session.
pub fn retake_flag() -> &'static str {
    tr(
        "如需在本补采场次重拍，请加 --retake-reason 原因",
        "to photograph them again at this make-up session, run with --retake-reason TEXT",
    )
}

/// The reason given for a make-up retake, checked as it comes in: control characters dropped,
/// not empty, at most `domain::lengths::REASON` characters. `what` names where it came from
/// (the option, or the console's field) in the refusal.
pub fn checked_retake_reason(what: &str, text: &str) -> Result<String, String> {
    let reason = strip_controls(text.trim()).trim().to_string();
    if reason.is_empty() {
        return Err(match lang() {
            Lang::Zh => format!("{what} 不能为空：请写明重拍原因（记入审计日志）"),
            Lang::En => format!(
                "{what} must not be empty: say why the student is photographed again (it goes into the audit log)"
            ),
        });
    }
    match crate::domain::lengths::too_long(what, &reason, crate::domain::lengths::REASON) {
        Some(refused) => Err(refused.to_string()),
        None => Ok(reason),
    }
}

/// The status of a scan that could not be recorded (the database could not be reached).
pub const NOT_RECORDED: ScanStatus = ScanStatus::NotRecorded;

/// How long a station keeps trying one scan while the database connection is lost.
const RECONNECT_WITHIN: std::time::Duration = std::time::Duration::from_secs(6);

/// Whether an error is the connection to the database server going away (a restart, a network
/// drop), which a fresh connection a moment later may well get past.
pub fn connection_lost(err: &anyhow::Error) -> bool {
    err.downcast_ref::<crate::store::StoreError>()
        .is_some_and(crate::store::StoreError::is_connection_lost)
}

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
            Err(err) if connection_lost(&err) && started.elapsed() < RECONNECT_WITHIN => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// The word for an answer's status, with its mark, as stations show it.
pub fn status_label(status: ScanStatus) -> &'static str {
    match status {
        ScanStatus::CheckedIn => tr("✔ 签到成功", "✔ checked in"),
        ScanStatus::Already => tr("● 已签到过", "● already"),
        ScanStatus::AlreadyElsewhere => tr("● 已在别场签到", "● already elsewhere"),
        ScanStatus::Full => tr("✘ 场次已满", "✘ full"),
        ScanStatus::NotInSession => tr("✘ 不在本场", "✘ not in session"),
        ScanStatus::Revoked => tr("✘ 码已作废", "✘ revoked"),
        ScanStatus::NotRecorded => tr("✘ 未记录", "✘ NOT recorded"),
        ScanStatus::Queued => tr("⧗ 离线暂存", "⧗ queued"),
        ScanStatus::Invalid => tr("✘ 无效", "✘ invalid"),
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
        let lost = |e: StoreError| connection_lost(&anyhow::Error::from(e));
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
