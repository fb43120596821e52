//! Check-in: the part of sessions that must hold under load, with many stations scanning at
//! once against one PostgreSQL or MySQL server.
//!
//! Capacity and shot numbers live in one counter per session (`sessions.checked_in`). A
//! check-in starts with the conditional
//! `UPDATE sessions SET checked_in = checked_in + 1 WHERE id = ? AND checked_in < capacity`,
//! which locks the session row; the shot number is the counter's new value, so numbers are
//! gapless, unique and never past capacity. The primary key (session, student) of `checkins`
//! keeps one check-in per student and session, and the unique `counts_for` column one check-in
//! that counts per student across all sessions (docs/sessions.md, "One check-in per student"):
//! a second station racing for the same student, at this session or another, hits one of them,
//! rolls back (returning the number) and answers with the winner's session and shot. A make-up
//! retake clears `counts_for` on the earlier row with a conditional update in the same
//! transaction, so of two racing retakes only one finds it still set.

use chrono::{DateTime, Utc};

use crate::store::dialect::DbTime;
use crate::store::engine::{Done, Engine, SqlStore, Value};
use crate::store::rows::Rows;

use super::sync::Stamp;

use crate::store::{Result, StoreError};

/// What the `codes` table says about a scanned token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenLookup {
    Active {
        student_no: String,
    },
    Revoked {
        student_no: String,
        revoked_at: Option<DateTime<Utc>>,
        replacement_issued_at: Option<DateTime<Utc>>,
    },
    Unknown,
}

/// The student a check-in is about, for the station's screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinStudent {
    pub student_no: String,
    pub name: String,
    pub class: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckinStatus {
    CheckedIn {
        shot: i32,
        walk_in: bool,
    },
    /// Checked in at this session before, with this shot number.
    Already {
        shot: i32,
    },
    /// The check-in that counts is at another session, with that session's shot number; only a
    /// make-up session with a retake reason checks the student in again, and only when that
    /// check-in was made before the make-up session began (`replaceable`).
    AlreadyElsewhere {
        session: i64,
        shot: i32,
        replaceable: bool,
    },
    Full {
        capacity: i32,
    },
    /// Assigned elsewhere (the latest such session) or nowhere.
    NotInSession {
        their_session: Option<i64>,
    },
    Withdrawn,
    UnknownStudent,
    NoSuchSession,
}

impl CheckinStatus {
    /// The `status` of docs/cli.md's check-in JSON (withdrawn students count as invalid codes).
    pub fn code(self) -> &'static str {
        match self {
            CheckinStatus::CheckedIn { .. } => "checked_in",
            CheckinStatus::Already { .. } => "already",
            CheckinStatus::AlreadyElsewhere { .. } => "already_elsewhere",
            CheckinStatus::Full { .. } => "full",
            CheckinStatus::NotInSession { .. } => "not_in_session",
            CheckinStatus::Withdrawn
            | CheckinStatus::UnknownStudent
            | CheckinStatus::NoSuchSession => "invalid",
        }
    }

    /// The shot number of the answer: this session's, or for `AlreadyElsewhere` the other
    /// session's.
    pub fn shot(self) -> Option<i32> {
        match self {
            CheckinStatus::CheckedIn { shot, .. }
            | CheckinStatus::Already { shot }
            | CheckinStatus::AlreadyElsewhere { shot, .. } => Some(shot),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinOutcome {
    pub status: CheckinStatus,
    pub student: Option<CheckinStudent>,
    /// A walk-in taken from the session they were assigned to (now assigned here instead).
    pub moved_from: Option<i64>,
    /// A make-up retake: the session and shot of the check-in that counted before (kept as
    /// history).
    pub retake_of: Option<(i64, i32)>,
}

/// One check-in of a student, for their history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRecord {
    pub session_id: i64,
    pub shot: i32,
    pub station: String,
    pub operator: String,
    pub walk_in: bool,
    pub at: DateTime<Utc>,
    /// The one check-in that counts for the student; `false`: kept as history (an earlier
    /// check-in a make-up retake replaced, or a later one from before the rule).
    pub counts: bool,
}

/// Who the student is and where they stand with the session, in one read before the
/// transaction (binds: session, session, session, 学号).
const CHECKIN_PRECHECK: &str = "SELECT s.id, s.name, s.class_name, s.withdrawn, \
     (SELECT k.shot FROM checkins k WHERE k.session_id = ? AND k.student_id = s.id) AS shot, \
     (SELECT COUNT(*) FROM assignments a WHERE a.session_id = ? AND a.student_id = s.id) AS here, \
     (SELECT a.session_id FROM assignments a JOIN sessions se ON se.id = a.session_id \
      WHERE a.student_id = s.id ORDER BY se.starts_at DESC, a.session_id DESC LIMIT 1) AS latest, \
     (SELECT k.session_id FROM checkins k WHERE k.counts_for = s.id) AS counted_session, \
     (SELECT k.shot FROM checkins k WHERE k.counts_for = s.id) AS counted_shot, \
     (SELECT COUNT(*) FROM checkins k JOIN sessions se ON se.id = ? \
      WHERE k.counts_for = s.id AND se.makeup = TRUE AND k.checked_in_at < se.starts_at) AS replaceable \
     FROM students s WHERE s.student_no = ?";

/// The new check-in is the one that counts (`counts_for` = the student).
const CHECKIN_INSERT: &str = "INSERT INTO checkins (session_id, student_id, shot, station, operator, walk_in, checked_in_at, counts_for, nonce, label) \
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

/// A make-up retake: the check-in that counted becomes history, if it still counts (binds:
/// its session, the student). Zero rows: another station's retake got there first.
const CHECKIN_SUPERSEDE: &str = "UPDATE checkins SET counts_for = NULL WHERE session_id = ? AND student_id = ? AND counts_for IS NOT NULL";

/// The conditional increment that both guards the capacity and hands out the shot number.
const CHECKIN_CLAIM: &str =
    "UPDATE sessions SET checked_in = checked_in + 1 WHERE id = ? AND checked_in < capacity";

/// PostgreSQL does claim and insert in one autocommit statement: the session row is then locked
/// only while the server runs it and commits, never across a round trip to the station.
/// Binds: session, session, student, station, operator, checked_in_at, student, nonce, label. A unique
/// violation (this session, or a counting check-in elsewhere) undoes the whole statement,
/// counter included.
const CHECKIN_CLAIM_AND_INSERT: &str = "WITH claim AS (UPDATE sessions SET checked_in = checked_in + 1 \
     WHERE id = ? AND checked_in < capacity RETURNING checked_in) \
     INSERT INTO checkins (session_id, student_id, shot, station, operator, walk_in, checked_in_at, counts_for, nonce, label) \
     SELECT ?, ?, checked_in, ?, ?, FALSE, ?, ?, ?, ? FROM claim RETURNING shot";

/// Attempts of a check-in before a lock conflict is reported as an error.
const CHECKIN_ATTEMPTS: u32 = 6;

/// Lock conflicts that a retry resolves: serialization failures and deadlocks (PostgreSQL
/// 40001/40P01, MySQL 1213/1205) and a busy SQLite file.
fn is_transient(err: &sqlx::Error) -> bool {
    let sqlx::Error::Database(db) = err else {
        return false;
    };
    if let Some(my) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return matches!(my.number(), 1213 | 1205);
    }
    matches!(
        db.code().as_deref(),
        Some("40001" | "40P01" | "5" | "6" | "261" | "262" | "517")
    )
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// Text columns on MySQL hold 64 characters.
fn short(text: &str) -> String {
    text.chars().take(64).collect()
}

impl<DB> SqlStore<DB>
where
    DB: Engine,
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<DB::Row>,
    String: Value<DB>,
    Option<String>: Value<DB>,
    i64: Value<DB>,
    Option<i64>: Value<DB>,
    i32: Value<DB>,
    Option<i32>: Value<DB>,
    bool: Value<DB>,
    DbTime: Value<DB>,
    Option<DbTime>: Value<DB>,
    str: sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    DB::QueryResult: Done,
{
    /// Where the student stands once another station's check-in got in first: checked in
    /// here (`Already`), or counted at another session (`AlreadyElsewhere`).
    async fn settled(&self, session_id: i64, student_id: i64) -> Result<Option<CheckinStatus>> {
        let d = &Self::DIALECT;
        let counted = sqlx::query::<DB>(sqlx::AssertSqlSafe(
            d.sql(
                "SELECT k.session_id, k.shot, (SELECT COUNT(*) FROM sessions se WHERE se.id = ? \
                 AND se.makeup = TRUE AND k.checked_in_at < se.starts_at) AS replaceable \
                 FROM checkins k WHERE k.counts_for = ?",
            )
            .into_owned(),
        ))
        .bind(session_id)
        .bind(student_id)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(r) = counted {
            let session: i64 = Rows::<DB>::value(&r, "session_id")?;
            let shot: i32 = Rows::<DB>::value(&r, "shot")?;
            let replaceable: i64 = Rows::<DB>::value(&r, "replaceable")?;
            return Ok(Some(if session == session_id {
                CheckinStatus::Already { shot }
            } else {
                CheckinStatus::AlreadyElsewhere {
                    session,
                    shot,
                    replaceable: replaceable > 0,
                }
            }));
        }
        let here = sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
            d.sql("SELECT shot FROM checkins WHERE session_id = ? AND student_id = ?")
                .into_owned(),
        ))
        .bind(session_id)
        .bind(student_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(here.map(|shot| CheckinStatus::Already { shot }))
    }

    /// One attempt at a check-in; the caller retries lock conflicts.
    #[allow(clippy::too_many_arguments)]
    async fn try_check_in(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
        stamp: &Stamp<'_>,
    ) -> Result<CheckinOutcome> {
        let d = &Self::DIALECT;
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(d.sql(CHECKIN_PRECHECK).into_owned()))
            .bind(session_id)
            .bind(session_id)
            .bind(session_id)
            .bind(student_no.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(CheckinOutcome {
                status: CheckinStatus::UnknownStudent,
                student: None,
                moved_from: None,
                retake_of: None,
            });
        };
        let get = |name| Rows::<DB>::value(&r, name);
        let student_id: i64 = get("id")?;
        let student = Some(CheckinStudent {
            student_no: student_no.to_string(),
            name: Rows::<DB>::value(&r, "name")?,
            class: Rows::<DB>::value(&r, "class_name")?,
        });
        let withdrawn: bool = Rows::<DB>::value(&r, "withdrawn")?;
        let earlier: Option<i32> = Rows::<DB>::value(&r, "shot")?;
        let here: i64 = get("here")?;
        let latest: Option<i64> = Rows::<DB>::value(&r, "latest")?;
        let counted_session: Option<i64> = Rows::<DB>::value(&r, "counted_session")?;
        let counted_shot: Option<i32> = Rows::<DB>::value(&r, "counted_shot")?;
        // a make-up session, and the check-in that counts was made before it began
        let replaceable = get("replaceable")? > 0;
        let done = |status| {
            Ok(CheckinOutcome {
                status,
                student: student.clone(),
                moved_from: None,
                retake_of: None,
            })
        };
        // The check-in that counts, when it is at another session.
        let elsewhere = match (counted_session, counted_shot) {
            (Some(session), Some(shot)) if session != session_id => Some((session, shot)),
            _ => None,
        };
        if let (Some(shot), None) = (earlier, elsewhere) {
            return done(CheckinStatus::Already { shot });
        }
        if withdrawn {
            return done(CheckinStatus::Withdrawn);
        }
        // Checked in at another session: refused, unless this is a make-up session, the
        // operator gave a retake reason and this session has no row of theirs yet.
        let retake_of = match elsewhere {
            Some((session, shot))
                if replaceable && retake_reason.is_some() && earlier.is_none() =>
            {
                Some((session, shot))
            }
            Some((session, shot)) => {
                return done(CheckinStatus::AlreadyElsewhere {
                    session,
                    shot,
                    replaceable: replaceable && earlier.is_none(),
                });
            }
            None => None,
        };
        let walk_in = here == 0;
        if walk_in && !allow_walk_in {
            return done(CheckinStatus::NotInSession {
                their_session: latest,
            });
        }

        // Nothing claimed: full, gone, or this very student got in from another station
        // meanwhile.
        let unclaimed = || async {
            // (a retake's own earlier check-in is no news: the session is full)
            match self.settled(session_id, student_id).await? {
                Some(CheckinStatus::AlreadyElsewhere { session, shot, .. })
                    if retake_of == Some((session, shot)) => {}
                Some(status) => return done(status),
                None => {}
            }
            let capacity = sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
                d.sql("SELECT capacity FROM sessions WHERE id = ?")
                    .into_owned(),
            ))
            .bind(session_id)
            .fetch_optional(&self.pool)
            .await?;
            done(match capacity {
                Some(capacity) => CheckinStatus::Full { capacity },
                None => CheckinStatus::NoSuchSession,
            })
        };
        // The same student from two stations at once (at this session or another): the
        // other one won. Our claim was undone with the insert, so the numbers stay gapless.
        let duplicate = |err: sqlx::Error| async move {
            match self.settled(session_id, student_id).await? {
                Some(status) => done(status),
                // Not this student's row: a shot number clash, which the counter rules out.
                None => Err(err.into()),
            }
        };

        if DB::ONE_STATEMENT && !walk_in && retake_of.is_none() {
            let claimed = sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
                d.sql(CHECKIN_CLAIM_AND_INSERT).into_owned(),
            ))
            .bind(session_id)
            .bind(session_id)
            .bind(student_id)
            .bind(short(station))
            .bind(short(operator))
            .bind(stamp.at)
            .bind(student_id)
            .bind(stamp.nonce)
            .bind(stamp.label)
            .fetch_optional(&self.pool)
            .await;
            return match claimed {
                Ok(Some(shot)) => done(CheckinStatus::CheckedIn {
                    shot,
                    walk_in: false,
                }),
                Ok(None) => unclaimed().await,
                Err(err) if is_unique_violation(&err) => duplicate(err).await,
                Err(err) => Err(err.into()),
            };
        }

        // The claim is the transaction's first statement: it locks the session row, so
        // check-ins of one session queue here and each sees the count the one before left.
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(d.begin_write).await?;
        let shot: Option<i32> = if DB::RETURNING {
            sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
                d.sql(&format!("{CHECKIN_CLAIM} RETURNING checked_in"))
                    .into_owned(),
            ))
            .bind(session_id)
            .fetch_optional(&mut *tx)
            .await?
        } else {
            // MySQL has no UPDATE ... RETURNING; its sequence idiom LAST_INSERT_ID(expr)
            // sends the new value back with the update itself, saving a round trip while
            // the row is locked.
            let claimed = sqlx::query(sqlx::AssertSqlSafe(
                d.sql(
                    "UPDATE sessions SET checked_in = LAST_INSERT_ID(checked_in + 1) \
                     WHERE id = ? AND checked_in < capacity",
                )
                .into_owned(),
            ))
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
            match (claimed.rows_affected(), Done::claimed_value(&claimed)) {
                (0, _) => None,
                (_, Some(value)) => Some(i32::try_from(value).map_err(|_| {
                    StoreError::Query(sqlx::Error::Decode(
                        format!("shot number {value} out of range").into(),
                    ))
                })?),
                // Not reported by this engine: read our own update back.
                (_, None) => Some(
                    sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
                        d.sql("SELECT checked_in FROM sessions WHERE id = ?")
                            .into_owned(),
                    ))
                    .bind(session_id)
                    .fetch_one(&mut *tx)
                    .await?,
                ),
            }
        };
        let Some(shot) = shot else {
            tx.rollback().await?;
            return unclaimed().await;
        };
        if let Some((from, old_shot)) = retake_of {
            let superseded =
                sqlx::query(sqlx::AssertSqlSafe(d.sql(CHECKIN_SUPERSEDE).into_owned()))
                    .bind(from)
                    .bind(student_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if superseded == 0 {
                // Another station's retake (or check-in) changed what counts meanwhile:
                // this one does not replace a check-in the operator never saw.
                tx.rollback().await?;
                return match self.settled(session_id, student_id).await? {
                    Some(status) => done(status),
                    None => done(CheckinStatus::AlreadyElsewhere {
                        session: from,
                        shot: old_shot,
                        replaceable: false,
                    }),
                };
            }
        }
        let inserted = sqlx::query(sqlx::AssertSqlSafe(d.sql(CHECKIN_INSERT).into_owned()))
            .bind(session_id)
            .bind(student_id)
            .bind(shot)
            .bind(short(station))
            .bind(short(operator))
            .bind(walk_in)
            .bind(stamp.at)
            .bind(student_id)
            .bind(stamp.nonce)
            .bind(stamp.label)
            .execute(&mut *tx)
            .await;
        if let Err(err) = inserted {
            if !is_unique_violation(&err) {
                return Err(err.into());
            }
            tx.rollback().await?;
            return duplicate(err).await;
        }
        let mut moved_from = None;
        if walk_in {
            // A walk-in now belongs to this session: the class list, the head counts and
            // planning all see them here. Assignments to sessions they were checked in
            // at stay (that is their history); the others give way.
            let left = sqlx::query(sqlx::AssertSqlSafe(
                d.sql(
                    "DELETE FROM assignments WHERE student_id = ? AND session_id <> ? \
                     AND session_id NOT IN (SELECT k.session_id FROM checkins k WHERE k.student_id = ?)",
                )
                .into_owned(),
            ))
            .bind(student_id)
            .bind(session_id)
            .bind(student_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if left > 0 {
                moved_from = latest;
            }
            sqlx::query(sqlx::AssertSqlSafe(
                d.sql("INSERT INTO assignments (session_id, student_id, assigned_at) VALUES (?, ?, ?)").into_owned(),
            ))
            .bind(session_id)
            .bind(student_id)
            .bind(crate::store::dialect::now())
            .execute(&mut *tx)
            .await?;
            let detail = match moved_from {
                Some(from) => format!(
                    "session {session_id}, shot {shot}, station {station}; moved from session {from}"
                ),
                None => {
                    format!("session {session_id}, shot {shot}, station {station}; had no session")
                }
            };
            Self::audit_in(
                &mut tx,
                operator,
                &[(Some(student_no.to_string()), "checkin_walk_in", detail)],
                crate::store::dialect::now(),
            )
            .await?;
        }
        if let (Some((from, old_shot)), Some(reason)) = (retake_of, retake_reason) {
            // Sessions, shots and the reason only: the student is named by 学号 in its
            // own column, never by name or ID number (docs/masking.md).
            let detail = format!(
                "make-up session {session_id}, shot {shot}, station {station}; retake of session {from}, shot {old_shot}; reason: {reason}"
            );
            Self::audit_in(
                &mut tx,
                operator,
                &[(Some(student_no.to_string()), "checkin_retake", detail)],
                crate::store::dialect::now(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(CheckinOutcome {
            status: CheckinStatus::CheckedIn { shot, walk_in },
            student: student.clone(),
            moved_from,
            retake_of,
        })
    }

    pub(super) async fn checkins_of(&self, student_no: &str) -> Result<Vec<CheckinRecord>> {
        let rows = sqlx::query::<DB>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql(
                    "SELECT k.session_id, k.shot, k.station, k.operator, k.walk_in, k.checked_in_at, k.counts_for \
                     FROM checkins k JOIN students s ON s.id = k.student_id \
                     WHERE s.student_no = ? ORDER BY k.checked_in_at, k.session_id",
                )
                .into_owned(),
        ))
        .bind(student_no.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Rows::<DB>::checkin_record).collect()
    }

    pub(super) async fn lookup_token(&self, token: &str) -> Result<TokenLookup> {
        let row = sqlx::query::<DB>(
            sqlx::AssertSqlSafe(
                Self::DIALECT
                    .sql(
                        "SELECT c.status, c.revoked_at, s.student_no, r.issued_at AS reissued_at FROM codes c \
                     JOIN students s ON s.id = c.student_id \
                     LEFT JOIN codes r ON r.serial = c.replaced_by \
                     WHERE c.token = ?",
                    )
                    .into_owned(),
            ),
        )
        .bind(token.to_string())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(TokenLookup::Unknown),
            Some(r) => Rows::<DB>::token_lookup(&r),
        }
    }

    /// Checks in, retrying lock conflicts a few times.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn check_in_retrying(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
        stamp: &Stamp<'_>,
    ) -> Result<CheckinOutcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self
                .try_check_in(
                    session_id,
                    student_no,
                    station,
                    operator,
                    allow_walk_in,
                    retake_reason,
                    stamp,
                )
                .await
            {
                Err(StoreError::Query(err)) if is_transient(&err) && attempt < CHECKIN_ATTEMPTS => {
                    // Back off a little more each time so colliding stations spread out.
                    tokio::time::sleep(std::time::Duration::from_millis(5 << attempt)).await;
                }
                other => return other,
            }
        }
    }
}
