//! Collection sessions in the database: creating, assigning, planning, scheduling; checking in
//! lives in `checkin.rs` beside it.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::dialect::DbTime;

use super::engine::{Done, Engine, SqlStore, Value};
use super::rows::Rows;
use super::{Result, StoreError};
use crate::domain::planner::Candidate;

mod checkin;
mod sync;

pub use checkin::{CheckinOutcome, CheckinRecord, CheckinStatus, CheckinStudent, TokenLookup};
pub use sync::{LabelledShot, Stamp};

/// A session to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub title: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub stations: i32,
    /// A make-up (补采) session.
    pub makeup: bool,
}

/// A session with its head counts, as lists and the console show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: i64,
    pub title: String,
    pub location: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub stations: i32,
    pub makeup: bool,
    /// Students assigned and still on the roster.
    pub assigned: i64,
    /// Check-ins so far, which is also the last shot number handed out.
    pub checked_in: i64,
    pub created_at: DateTime<Utc>,
}

/// Which students an assignment touches: the listed 学号, or everyone (not withdrawn) of a
/// college and/or class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudentSelection {
    pub student_nos: Vec<String>,
    pub college: Option<String>,
    pub class: Option<String>,
}

impl StudentSelection {
    pub fn is_empty(&self) -> bool {
        self.student_nos.is_empty() && self.college.is_none() && self.class.is_none()
    }

    /// A short account for the audit log: the group, or how many 学号 (the first few named).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(c) = &self.college {
            parts.push(format!("college {c}"));
        }
        if let Some(c) = &self.class {
            parts.push(format!("class {c}"));
        }
        if !self.student_nos.is_empty() {
            let first: Vec<&str> = self
                .student_nos
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            let more = if self.student_nos.len() > 5 {
                ", …"
            } else {
                ""
            };
            parts.push(format!(
                "{} students ({}{more})",
                self.student_nos.len(),
                first.join(", ")
            ));
        }
        parts.join(", ")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignSummary {
    pub assigned: u64,
    /// Already in this session.
    pub already: u64,
    /// Already in another session that has not ended: (学号, that session).
    pub elsewhere: Vec<(String, i64)>,
    pub unknown: Vec<String>,
    pub withdrawn: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnassignSummary {
    pub removed: u64,
    pub not_assigned: Vec<String>,
    /// Checked in at this session already, so their assignment stays.
    pub checked_in: Vec<String>,
    pub unknown: Vec<String>,
}

/// Which students a plan may place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanKind {
    /// Active students with no session and no check-in at all.
    Unassigned,
    /// Active students whose every session is over, still without a valid photo (补采).
    Makeup,
}

/// A planned session with the students it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionWithStudents {
    pub session: NewSession,
    pub students: Vec<i64>,
}

/// Students of one class with one counselor in one session: a line of the schedule export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleGroup {
    pub session_id: i64,
    pub college: String,
    pub class: String,
    pub counselor: String,
    pub students: i64,
}

/// A student of a session (assigned, or checked in as a walk-in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStudent {
    pub student_no: String,
    pub name: String,
    pub college: String,
    pub class: String,
    pub counselor: String,
    pub assigned: bool,
    pub shot: Option<i32>,
    pub walk_in: bool,
}

#[async_trait]
pub trait SessionStore {
    /// Creates one session with no students; returns its id.
    async fn add_session(&self, session: &NewSession, operator: &str) -> Result<i64>;
    async fn session(&self, id: i64) -> Result<Option<SessionRow>>;
    /// Every session, by start time.
    async fn list_sessions(&self) -> Result<Vec<SessionRow>>;
    /// Assigns the selected students to a session, in one transaction. Students already in a
    /// session that has not ended are left where they are and reported; if the newly assigned
    /// would exceed the capacity, nothing changes (`StoreError::OverCapacity`).
    async fn assign(
        &self,
        session_id: i64,
        selection: &StudentSelection,
        operator: &str,
    ) -> Result<AssignSummary>;
    /// Removes the selected students from a session, except those checked in there.
    async fn unassign(
        &self,
        session_id: i64,
        selection: &StudentSelection,
        operator: &str,
    ) -> Result<UnassignSummary>;
    /// Students a plan may place (see `PlanKind`); `now` decides which sessions are over.
    async fn plan_candidates(&self, kind: PlanKind, now: DateTime<Utc>) -> Result<Vec<Candidate>>;
    /// Creates planned sessions and their assignments in one transaction, after checking that
    /// every student is still a candidate of `kind` (`StoreError::PlanOutdated` if not).
    async fn create_planned(
        &self,
        sessions: &[SessionWithStudents],
        kind: PlanKind,
        now: DateTime<Utc>,
        operator: &str,
    ) -> Result<Vec<i64>>;
    /// Assigned students per session, college, class and counselor (withdrawn left out).
    async fn schedule(&self) -> Result<Vec<ScheduleGroup>>;
    /// The students of one session: assigned ones and walk-ins, by college, class and 学号.
    async fn session_students(&self, session_id: i64) -> Result<Vec<SessionStudent>>;
    /// The check-ins of one student (every session), oldest first.
    async fn student_checkins(&self, student_no: &str) -> Result<Vec<CheckinRecord>>;
    /// Looks a scanned token up (exact match; the caller trims and upper-cases it).
    async fn code_by_token(&self, token: &str) -> Result<TokenLookup>;
    /// Checks a student in at a session and hands out the next shot number, safely with many
    /// stations at once. Every refusal comes back as a status, not an error. A walk-in
    /// (`allow_walk_in`, the student not on this session's list) is moved here: their
    /// assignments to sessions they were not checked in at are replaced by one to this session,
    /// in the same transaction, and the move is audited under the student.
    async fn check_in(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
    ) -> Result<CheckinOutcome> {
        self.check_in_retake(
            session_id,
            student_no,
            station,
            operator,
            allow_walk_in,
            None,
        )
        .await
    }
    /// `check_in`, which at a make-up (补采) session with a `retake_reason` also checks in a
    /// student whose check-in that counts is at another session: that one is kept as history,
    /// the new one counts, and the retake is audited with the reason and both sessions
    /// (docs/sessions.md). Without a reason, or at a normal session, such a student is refused
    /// as `AlreadyElsewhere`.
    async fn check_in_retake(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
    ) -> Result<CheckinOutcome>;
    /// `check_in_retake` with what the check-in records beside the student: the moment, and
    /// for a scan from a station's journal its nonce and label (docs/sessions.md "Offline
    /// stations"). The same nonce sent twice answers the first result and counts once.
    #[allow(clippy::too_many_arguments)]
    async fn check_in_stamped(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
        stamp: &Stamp<'_>,
    ) -> Result<CheckinOutcome>;
    /// The check-in of this session made by the scan with `nonce`, as its first answer
    /// (docs/sessions.md "Offline stations"): a scan sent again answers this whatever changed
    /// since, a code revoked in between included.
    async fn replayed(
        &self,
        session_id: i64,
        nonce: &str,
        label: Option<&str>,
    ) -> Result<Option<CheckinOutcome>>;
    /// The serials of every revoked or replaced code, for a station's cache.
    async fn revoked_serials(&self) -> Result<Vec<i64>>;
    /// The server's clock, which a station's journal is measured against when it is sent.
    async fn server_now(&self) -> Result<DateTime<Utc>>;
    /// The check-ins of a session made from journal scans, with their provisional labels.
    async fn labelled_shots(&self, session_id: i64) -> Result<Vec<LabelledShot>>;
}

const SESSION_COLUMNS: &str = "se.id, se.title, se.location, se.starts_at, se.ends_at, se.capacity, se.stations, \
     se.makeup, se.checked_in, se.created_at, \
     (SELECT COUNT(*) FROM assignments a JOIN students s ON s.id = a.student_id \
      WHERE a.session_id = se.id AND s.withdrawn = FALSE) AS assigned";

/// Taken first by whatever changes who is in which session, so two planners or assigners on
/// different stations run one after the other (SQLite gets the same from `BEGIN IMMEDIATE`).
const LOCK_SESSIONS: &str = "SELECT name FROM locks WHERE name = 'sessions' FOR UPDATE";

/// Rows per multi-VALUES insert or IN list.
const CHUNK: usize = 1000;

/// A student found by a selection, with where they stand.
struct Selected {
    id: i64,
    student_no: String,
    withdrawn: bool,
    here: bool,
    checked_here: bool,
    /// Another session, not yet over, that the student is assigned to.
    elsewhere: Option<i64>,
}

/// What the candidate query of `kind` selects (binds: now, now for makeup; none otherwise).
fn candidates_sql(kind: PlanKind) -> &'static str {
    match kind {
        PlanKind::Unassigned => {
            "SELECT s.id, s.student_no, s.college, s.class_name FROM students s \
             WHERE s.withdrawn = FALSE \
             AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.student_id = s.id) \
             AND NOT EXISTS (SELECT 1 FROM checkins k WHERE k.student_id = s.id)"
        }
        PlanKind::Makeup => {
            "SELECT s.id, s.student_no, s.college, s.class_name FROM students s \
             WHERE s.withdrawn = FALSE \
             AND EXISTS (SELECT 1 FROM assignments a JOIN sessions se ON se.id = a.session_id \
                         WHERE a.student_id = s.id AND se.ends_at <= ?) \
             AND NOT EXISTS (SELECT 1 FROM assignments a JOIN sessions se ON se.id = a.session_id \
                             WHERE a.student_id = s.id AND se.ends_at > ?) \
             AND NOT EXISTS (SELECT 1 FROM photos p WHERE p.student_id = s.id AND p.status = 'valid')"
        }
    }
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
    /// One audit line (no student) inside the caller's transaction.
    async fn audit_one(
        tx: &mut sqlx::Transaction<'_, DB>,
        operator: &str,
        action: &str,
        detail: String,
    ) -> Result<()> {
        Self::audit_in(
            tx,
            operator,
            &[(None, action, detail)],
            crate::store::dialect::now(),
        )
        .await
    }

    async fn lock_sessions_in(tx: &mut sqlx::Transaction<'_, DB>) -> Result<()> {
        if DB::ROW_LOCKS {
            sqlx::query(LOCK_SESSIONS).execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn insert_session_in(tx: &mut sqlx::Transaction<'_, DB>, s: &NewSession) -> Result<i64> {
        sqlx::query(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql(
                    "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, stations, makeup, \
                     checked_in, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)",
                )
                .into_owned(),
        ))
        .bind(s.title.clone())
        .bind(s.location.clone())
        .bind(DbTime(s.starts_at))
        .bind(DbTime(s.ends_at))
        .bind(s.capacity)
        .bind(s.stations)
        .bind(s.makeup)
        .bind(crate::store::dialect::now())
        .execute(&mut **tx)
        .await?;
        Ok(sqlx::query_scalar::<_, i64>(DB::LAST_ID)
            .fetch_one(&mut **tx)
            .await?)
    }

    async fn assign_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        session_id: i64,
        students: &[i64],
    ) -> Result<()> {
        let now = crate::store::dialect::now();
        for chunk in students.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO assignments (session_id, student_id, assigned_at) ",
            );
            qb.push_values(chunk, |mut b, id| {
                b.push_bind(session_id).push_bind(*id).push_bind(now);
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }

    async fn capacity_in(tx: &mut sqlx::Transaction<'_, DB>, session_id: i64) -> Result<i32> {
        sqlx::query_scalar::<_, i32>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql("SELECT capacity FROM sessions WHERE id = ?")
                .into_owned(),
        ))
        .bind(session_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NoSuchSession(session_id))
    }

    /// Students on the session's roster (withdrawn left out), as capacity counts them.
    async fn assigned_count_in(tx: &mut sqlx::Transaction<'_, DB>, session_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql(
                    "SELECT COUNT(*) FROM assignments a JOIN students s ON s.id = a.student_id \
                     WHERE a.session_id = ? AND s.withdrawn = FALSE",
                )
                .into_owned(),
        ))
        .bind(session_id)
        .fetch_one(&mut **tx)
        .await?)
    }

    /// The students a selection names, with where each stands relative to `session_id`;
    /// also the listed 学号 that match nobody.
    async fn select_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        session_id: i64,
        selection: &StudentSelection,
    ) -> Result<(Vec<Selected>, Vec<String>)> {
        let now = crate::store::dialect::now();
        let head = |qb: &mut sqlx::QueryBuilder<DB>| {
            qb.push(
                "SELECT s.id, s.student_no, s.withdrawn, \
                 CASE WHEN EXISTS (SELECT 1 FROM assignments a WHERE a.student_id = s.id AND a.session_id = ",
            )
            .push_bind(session_id)
            .push(") THEN 'y' ELSE 'n' END AS here, \
                 CASE WHEN EXISTS (SELECT 1 FROM checkins k WHERE k.student_id = s.id AND k.session_id = ")
            .push_bind(session_id)
            .push(") THEN 'y' ELSE 'n' END AS checked_here, \
                 (SELECT MAX(a.session_id) FROM assignments a JOIN sessions se ON se.id = a.session_id \
                  WHERE a.student_id = s.id AND a.session_id <> ")
            .push_bind(session_id)
            .push(" AND se.ends_at > ")
            .push_bind(now)
            .push(") AS elsewhere FROM students s WHERE ");
        };
        let mut rows = Vec::new();
        if selection.student_nos.is_empty() {
            let mut qb = sqlx::QueryBuilder::<DB>::new("");
            head(&mut qb);
            qb.push("s.withdrawn = FALSE");
            if let Some(college) = &selection.college {
                qb.push(" AND s.college = ").push_bind(college.clone());
            }
            if let Some(class) = &selection.class {
                qb.push(" AND s.class_name = ").push_bind(class.clone());
            }
            rows.extend(qb.build().fetch_all(&mut **tx).await?);
        } else {
            for chunk in selection.student_nos.chunks(CHUNK) {
                let mut qb = sqlx::QueryBuilder::<DB>::new("");
                head(&mut qb);
                qb.push("s.student_no IN (");
                let mut list = qb.separated(", ");
                for no in chunk {
                    list.push_bind(no.clone());
                }
                qb.push(")");
                rows.extend(qb.build().fetch_all(&mut **tx).await?);
            }
        }
        let mut selected = Vec::with_capacity(rows.len());
        for r in rows {
            let here: String = Rows::<DB>::value(&r, "here")?;
            let checked: String = Rows::<DB>::value(&r, "checked_here")?;
            selected.push(Selected {
                id: Rows::<DB>::value(&r, "id")?,
                student_no: Rows::<DB>::value(&r, "student_no")?,
                withdrawn: Rows::<DB>::value(&r, "withdrawn")?,
                here: here == "y",
                checked_here: checked == "y",
                elsewhere: Rows::<DB>::value(&r, "elsewhere")?,
            });
        }
        selected.sort_by(|a, b| a.student_no.cmp(&b.student_no));
        let found: HashSet<&str> = selected.iter().map(|s| s.student_no.as_str()).collect();
        let mut unknown: Vec<String> = selection
            .student_nos
            .iter()
            .filter(|no| !found.contains(no.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        unknown.dedup();
        Ok((selected, unknown))
    }

    async fn candidates_in<'e, E>(
        executor: E,
        kind: PlanKind,
        now: DateTime<Utc>,
    ) -> Result<Vec<Candidate>>
    where
        E: sqlx::Executor<'e, Database = DB>,
    {
        let sql = Self::DIALECT.sql(candidates_sql(kind)).into_owned();
        let mut query = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql));
        if kind == PlanKind::Makeup {
            query = query.bind(DbTime(now)).bind(DbTime(now));
        }
        query
            .fetch_all(executor)
            .await?
            .iter()
            .map(Rows::<DB>::candidate)
            .collect()
    }

    async fn sessions_where(&self, filter: &str, id: Option<i64>) -> Result<Vec<SessionRow>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions se {filter} ORDER BY se.starts_at, se.id"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()));
        if let Some(id) = id {
            query = query.bind(id);
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Rows::<DB>::session)
            .collect()
    }
}

#[async_trait]
impl<DB> SessionStore for SqlStore<DB>
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
    async fn add_session(&self, session: &NewSession, operator: &str) -> Result<i64> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        Self::lock_sessions_in(&mut tx).await?;
        let id = Self::insert_session_in(&mut tx, session).await?;
        Self::audit_one(
            &mut tx,
            operator,
            "session_add",
            format!(
                "session {id} {} at {} from {}, capacity {}",
                session.title, session.location, session.starts_at, session.capacity
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn session(&self, id: i64) -> Result<Option<SessionRow>> {
        Ok(self
            .sessions_where("WHERE se.id = ?", Some(id))
            .await?
            .pop())
    }

    async fn list_sessions(&self) -> Result<Vec<SessionRow>> {
        self.sessions_where("", None).await
    }

    async fn assign(
        &self,
        session_id: i64,
        selection: &StudentSelection,
        operator: &str,
    ) -> Result<AssignSummary> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        Self::lock_sessions_in(&mut tx).await?;
        let capacity = Self::capacity_in(&mut tx, session_id).await?;
        let (selected, unknown) = Self::select_in(&mut tx, session_id, selection).await?;
        let mut summary = AssignSummary {
            unknown,
            ..Default::default()
        };
        let mut new = Vec::new();
        for s in &selected {
            if s.withdrawn {
                summary.withdrawn.push(s.student_no.clone());
            } else if s.here {
                summary.already += 1;
            } else if let Some(other) = s.elsewhere {
                summary.elsewhere.push((s.student_no.clone(), other));
            } else {
                new.push(s.id);
            }
        }
        let assigned = Self::assigned_count_in(&mut tx, session_id).await?;
        let room = i64::from(capacity) - assigned;
        if new.len() as i64 > room {
            tx.rollback().await?;
            return Err(StoreError::OverCapacity {
                session: format!("session {session_id}"),
                room: room.max(0),
                wanted: new.len() as i64,
            });
        }
        Self::assign_in(&mut tx, session_id, &new).await?;
        summary.assigned = new.len() as u64;
        Self::audit_one(
            &mut tx,
            operator,
            "session_assign",
            format!(
                "session {session_id}: {} assigned, {} already there, {} elsewhere, {} unknown, {} withdrawn; chosen: {}",
                summary.assigned,
                summary.already,
                summary.elsewhere.len(),
                summary.unknown.len(),
                summary.withdrawn.len(),
                selection.describe()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn unassign(
        &self,
        session_id: i64,
        selection: &StudentSelection,
        operator: &str,
    ) -> Result<UnassignSummary> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        Self::lock_sessions_in(&mut tx).await?;
        Self::capacity_in(&mut tx, session_id).await?;
        let (selected, unknown) = Self::select_in(&mut tx, session_id, selection).await?;
        let mut summary = UnassignSummary {
            unknown,
            ..Default::default()
        };
        let mut remove = Vec::new();
        for s in selected {
            if !s.here {
                summary.not_assigned.push(s.student_no);
            } else if s.checked_here {
                summary.checked_in.push(s.student_no);
            } else {
                remove.push(s.id);
            }
        }
        for chunk in remove.chunks(CHUNK) {
            let mut qb =
                sqlx::QueryBuilder::<DB>::new("DELETE FROM assignments WHERE session_id = ");
            qb.push_bind(session_id).push(" AND student_id IN (");
            let mut list = qb.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            qb.push(")");
            summary.removed += qb.build().execute(&mut *tx).await?.rows_affected();
        }
        Self::audit_one(
            &mut tx,
            operator,
            "session_unassign",
            format!(
                "session {session_id}: {} removed, {} kept (checked in), {} not assigned, {} unknown; chosen: {}",
                summary.removed,
                summary.checked_in.len(),
                summary.not_assigned.len(),
                summary.unknown.len(),
                selection.describe()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn plan_candidates(&self, kind: PlanKind, now: DateTime<Utc>) -> Result<Vec<Candidate>> {
        Self::candidates_in(&self.pool, kind, now).await
    }

    async fn create_planned(
        &self,
        sessions: &[SessionWithStudents],
        kind: PlanKind,
        now: DateTime<Utc>,
        operator: &str,
    ) -> Result<Vec<i64>> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        Self::lock_sessions_in(&mut tx).await?;
        let waiting: HashSet<i64> = Self::candidates_in(&mut *tx, kind, now)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let mut seen = HashSet::new();
        let gone = sessions
            .iter()
            .flat_map(|s| &s.students)
            .filter(|id| !waiting.contains(id) || !seen.insert(**id))
            .count();
        if gone > 0 {
            tx.rollback().await?;
            return Err(StoreError::PlanOutdated { students: gone });
        }
        let mut ids = Vec::with_capacity(sessions.len());
        for s in sessions {
            if s.students.len() as i64 > i64::from(s.session.capacity) {
                tx.rollback().await?;
                return Err(StoreError::OverCapacity {
                    session: s.session.title.clone(),
                    room: i64::from(s.session.capacity),
                    wanted: s.students.len() as i64,
                });
            }
            let id = Self::insert_session_in(&mut tx, &s.session).await?;
            Self::assign_in(&mut tx, id, &s.students).await?;
            Self::audit_one(
                &mut tx,
                operator,
                if kind == PlanKind::Makeup {
                    "session_plan_makeup"
                } else {
                    "session_plan"
                },
                format!(
                    "session {id} {} at {} from {}: {} students",
                    s.session.title,
                    s.session.location,
                    s.session.starts_at,
                    s.students.len()
                ),
            )
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    }

    async fn schedule(&self) -> Result<Vec<ScheduleGroup>> {
        let rows = sqlx::query::<DB>(
            "SELECT a.session_id, s.college, s.class_name, s.counselor, COUNT(*) AS students \
             FROM assignments a JOIN students s ON s.id = a.student_id \
             WHERE s.withdrawn = FALSE \
             GROUP BY a.session_id, s.college, s.class_name, s.counselor",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<ScheduleGroup> = rows
            .iter()
            .map(Rows::<DB>::schedule_group)
            .collect::<Result<_>>()?;
        // Sorted here, not in SQL: the engines collate text differently.
        out.sort_by(|a, b| {
            (a.session_id, &a.college, &a.class, &a.counselor).cmp(&(
                b.session_id,
                &b.college,
                &b.class,
                &b.counselor,
            ))
        });
        Ok(out)
    }

    async fn session_students(&self, session_id: i64) -> Result<Vec<SessionStudent>> {
        let sql = Self::DIALECT.sql(
            "SELECT s.student_no, s.name, s.college, s.class_name, s.counselor, \
             CASE WHEN a.student_id IS NULL THEN 'n' ELSE 'y' END AS assigned, k.shot, k.walk_in \
             FROM (SELECT student_id FROM assignments WHERE session_id = ? \
                   UNION SELECT student_id FROM checkins WHERE session_id = ?) x \
             JOIN students s ON s.id = x.student_id \
             LEFT JOIN assignments a ON a.student_id = s.id AND a.session_id = ? \
             LEFT JOIN checkins k ON k.student_id = s.id AND k.session_id = ?",
        );
        let rows = sqlx::query::<DB>(sqlx::AssertSqlSafe(sql.into_owned()))
            .bind(session_id)
            .bind(session_id)
            .bind(session_id)
            .bind(session_id)
            .fetch_all(&self.pool)
            .await?;
        let mut out: Vec<SessionStudent> = rows
            .iter()
            .map(Rows::<DB>::session_student)
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| {
            (&a.college, &a.class, &a.student_no).cmp(&(&b.college, &b.class, &b.student_no))
        });
        Ok(out)
    }

    async fn student_checkins(&self, student_no: &str) -> Result<Vec<CheckinRecord>> {
        self.checkins_of(student_no).await
    }

    async fn code_by_token(&self, token: &str) -> Result<TokenLookup> {
        self.lookup_token(token).await
    }

    async fn check_in_retake(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
    ) -> Result<CheckinOutcome> {
        self.check_in_retrying(
            session_id,
            student_no,
            station,
            operator,
            allow_walk_in,
            retake_reason,
            &Stamp::now(),
        )
        .await
    }

    async fn check_in_stamped(
        &self,
        session_id: i64,
        student_no: &str,
        station: &str,
        operator: &str,
        allow_walk_in: bool,
        retake_reason: Option<&str>,
        stamp: &Stamp<'_>,
    ) -> Result<CheckinOutcome> {
        <SqlStore<DB>>::check_in_stamped(
            self,
            session_id,
            student_no,
            station,
            operator,
            allow_walk_in,
            retake_reason,
            stamp,
        )
        .await
    }

    async fn replayed(
        &self,
        session_id: i64,
        nonce: &str,
        label: Option<&str>,
    ) -> Result<Option<CheckinOutcome>> {
        self.replayed_of(session_id, nonce, label).await
    }

    async fn revoked_serials(&self) -> Result<Vec<i64>> {
        self.revoked_serials_of().await
    }

    async fn server_now(&self) -> Result<DateTime<Utc>> {
        self.clock_of().await
    }

    async fn labelled_shots(&self, session_id: i64) -> Result<Vec<LabelledShot>> {
        self.labelled_shots_of(session_id).await
    }
}
