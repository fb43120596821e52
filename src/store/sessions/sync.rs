//! The server's side of offline stations (docs/sessions.md "Offline stations"): check-ins sent
//! from a station's journal, each with the nonce it was queued with, so that a send that was cut
//! and sent again finds its first result and never counts twice; and what a station caches
//! while it can reach the server (the revocation list, the server's clock).

use chrono::{DateTime, Utc};

use super::checkin::{CheckinOutcome, CheckinStatus, CheckinStudent};
use crate::store::Result;
use crate::store::dialect::DbTime;
use crate::store::engine::{Done, Engine, SqlStore, Value};
use crate::store::rows::Rows;

/// What a check-in records beside the student: when it happened, and for a scan sent from a
/// station's journal its nonce and provisional label.
#[derive(Debug, Clone, Copy)]
pub struct Stamp<'a> {
    pub(crate) at: DbTime,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) label: Option<&'a str>,
}

impl<'a> Stamp<'a> {
    /// A scan answered at once: now, no nonce, no label.
    pub fn now() -> Stamp<'static> {
        Stamp {
            at: crate::store::dialect::now(),
            nonce: None,
            label: None,
        }
    }

    /// A scan with its nonce (and its label when it was queued offline), checked in `at`.
    pub fn queued(at: DateTime<Utc>, nonce: &'a str, label: Option<&'a str>) -> Stamp<'a> {
        Stamp {
            at: DbTime(at),
            nonce: Some(nonce),
            label,
        }
    }
}

/// A check-in made from a journal scan: its provisional label and the shot it became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledShot {
    pub label: String,
    pub shot: i32,
    pub student_no: String,
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
    /// `check_in` with a stamp. A scan whose nonce is already on a check-in of this
    /// session is the same scan sent again: it answers the first result (checked in,
    /// with that shot) before anything else is looked at, so a code revoked or a
    /// session filled since the first send changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn check_in_stamped(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
        stamp: &Stamp<'_>,
    ) -> Result<CheckinOutcome> {
        if let Some(nonce) = stamp.nonce
            && let Some(first) = self.replayed_of(session_id, nonce, stamp.label).await?
        {
            return Ok(first);
        }
        let outcome = self
            .check_in_retrying(
                session_id,
                student_no,
                station,
                operator,
                allow_walk_in,
                retake_reason,
                stamp,
            )
            .await?;
        // The same scan sent twice at once (a resend while the first send was still
        // on its way): the second lost on the nonce and finds the first one's row.
        if let (CheckinStatus::Already { .. }, Some(nonce)) = (outcome.status, stamp.nonce)
            && let Some(first) = self.replayed_of(session_id, nonce, stamp.label).await?
        {
            return Ok(first);
        }
        Ok(outcome)
    }

    /// The check-in of this session made by the scan with `nonce`, as its first answer;
    /// a scan first sent online (no label) and queued after its answer was lost gets
    /// its label now.
    pub(super) async fn replayed_of(
        &self,
        session_id: i64,
        nonce: &str,
        label: Option<&str>,
    ) -> Result<Option<CheckinOutcome>> {
        let d = &Self::DIALECT;
        let row = sqlx::query::<DB>(sqlx::AssertSqlSafe(
            d.sql(
                "SELECT k.shot, k.walk_in, k.label, s.student_no, s.name, s.class_name FROM checkins k \
                 JOIN students s ON s.id = k.student_id WHERE k.nonce = ? AND k.session_id = ?",
            )
            .into_owned(),
        ))
        .bind(nonce)
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else {
            return Ok(None);
        };
        let shot: i32 = Rows::<DB>::value(&r, "shot")?;
        let walk_in: bool = Rows::<DB>::value(&r, "walk_in")?;
        let had_label: Option<String> = Rows::<DB>::value(&r, "label")?;
        let student_no: String = Rows::<DB>::value(&r, "student_no")?;
        let name: String = Rows::<DB>::value(&r, "name")?;
        let class: String = Rows::<DB>::value(&r, "class_name")?;
        if let (None, Some(label)) = (had_label, label) {
            sqlx::query(sqlx::AssertSqlSafe(
                d.sql("UPDATE checkins SET label = ? WHERE nonce = ? AND label IS NULL")
                    .into_owned(),
            ))
            .bind(label)
            .bind(nonce)
            .execute(&self.pool)
            .await?;
        }
        Ok(Some(CheckinOutcome {
            status: CheckinStatus::CheckedIn { shot, walk_in },
            student: Some(CheckinStudent {
                student_no,
                name,
                class,
            }),
            moved_from: None,
            retake_of: None,
        }))
    }

    /// The serials of every code that is no longer active.
    pub(super) async fn revoked_serials_of(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql("SELECT serial FROM codes WHERE status <> 'active' ORDER BY serial")
                .into_owned(),
        ))
        .fetch_all(&self.pool)
        .await?)
    }

    /// The server's clock, to the second.
    pub(super) async fn clock_of(&self) -> Result<DateTime<Utc>> {
        let t: DbTime = sqlx::query_scalar(sqlx::AssertSqlSafe(DB::NOW.to_string()))
            .fetch_one(&self.pool)
            .await?;
        Ok(t.0)
    }

    /// The check-ins of a session made from journal scans, by label.
    pub(super) async fn labelled_shots_of(&self, session_id: i64) -> Result<Vec<LabelledShot>> {
        let rows = sqlx::query::<DB>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql(
                    "SELECT k.label, k.shot, s.student_no FROM checkins k \
                     JOIN students s ON s.id = k.student_id \
                     WHERE k.session_id = ? AND k.label IS NOT NULL ORDER BY k.label",
                )
                .into_owned(),
        ))
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(Rows::<DB>::labelled_shot).collect()
    }
}
