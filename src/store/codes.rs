//! Collection codes in the database: issuing in batches, revoking, reissuing and looking up.
//!
//! The store never sees a key: the caller passes a `TokenMaker` that encrypts a code's payload,
//! and serials are allocated here under the `codes` lock row, so a whole batch can be made and
//! written in one transaction with multi-row inserts.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::dialect::DbTime;
use super::engine::{Done, Engine, SqlStore, Value};
use super::rows::Rows;
use super::{Result, StoreError};
use crate::domain::Student;

/// Lifecycle of a code: none → active → revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeState {
    Active,
    Revoked,
}

/// One code as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub serial: i64,
    pub student_no: String,
    pub key_id: i32,
    pub token: String,
    pub state: CodeState,
    pub issued_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoke_reason: Option<String>,
    pub replaced_by: Option<i64>,
}

/// Makes the token for a new code: (serial, student, issue date in the issuing station's zone)
/// → token text.
pub type TokenMaker<'a> =
    &'a (dyn Fn(i64, &Student, NaiveDate) -> std::result::Result<String, String> + Send + Sync);

/// Which students `issue_codes` is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeTargets {
    /// Every active (not withdrawn) student without an active code.
    AllWithout,
    /// These 学号.
    Students(Vec<String>),
}

/// What `issue_codes` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueSummary {
    /// (学号, serial) of the codes made.
    pub issued: Vec<(String, i64)>,
    /// 学号 that already had an active code (left as they were).
    pub already_active: Vec<String>,
    /// 学号 not on the roster, or withdrawn.
    pub unknown: Vec<String>,
}

#[async_trait]
pub trait CodeStore {
    /// Issues new codes in one transaction; students with an active code keep it.
    async fn issue_codes(
        &self,
        targets: &CodeTargets,
        key_id: i32,
        make: TokenMaker<'_>,
        operator: &str,
    ) -> Result<IssueSummary>;
    /// A student's codes, newest first (with the student), or None for an unknown 学号.
    async fn student_codes(&self, student_no: &str) -> Result<Option<(Student, Vec<CodeRecord>)>>;
    /// The code with this serial, if any (for verifying scans against revocation).
    async fn code_by_serial(&self, serial: i64) -> Result<Option<CodeRecord>>;
    /// Every active code of active students, ordered by 学号 (for `codes export`).
    async fn active_codes(&self) -> Result<Vec<(Student, CodeRecord)>>;
    /// Revokes the student's active code. Fails if there is none.
    async fn revoke_code(
        &self,
        student_no: &str,
        reason: &str,
        operator: &str,
    ) -> Result<CodeRecord>;
    /// Revokes the active code (if any) and issues a new one, in one transaction: (old, new).
    async fn reissue_code(
        &self,
        student_no: &str,
        reason: &str,
        key_id: i32,
        make: TokenMaker<'_>,
        operator: &str,
    ) -> Result<(Option<CodeRecord>, CodeRecord)>;
    /// The newest code sealed with each key id, revoked or not: samples that tell whether a key
    /// file is the one this database's codes were sealed with.
    async fn latest_code_per_key(&self) -> Result<Vec<CodeRecord>>;
}

const CODE_COLUMNS: &str = "c.serial, s.student_no, c.key_id, c.token, c.status, c.issued_at, c.revoked_at, c.revoke_reason, c.replaced_by";
const LOCK_CODES: &str = "SELECT name FROM locks WHERE name = 'codes' FOR UPDATE";
const CHUNK: usize = 1000;

fn not_found(student_no: &str) -> StoreError {
    StoreError::NoStudent(student_no.to_string())
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
    /// Locks code issuing and returns the next free serial.
    async fn next_serial(tx: &mut sqlx::Transaction<'_, DB>) -> Result<i64> {
        if Self::DIALECT.lock_roster.is_some() {
            sqlx::query(LOCK_CODES).execute(&mut **tx).await?;
        }
        let max: Option<i64> = sqlx::query_scalar("SELECT MAX(serial) FROM codes")
            .fetch_one(&mut **tx)
            .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Makes tokens for `students` from serial `first` on and inserts the codes.
    async fn insert_codes(
        tx: &mut sqlx::Transaction<'_, DB>,
        students: &[(i64, Student)],
        first: i64,
        key_id: i32,
        make: TokenMaker<'_>,
        now: DbTime,
    ) -> Result<Vec<(String, i64)>> {
        let mut made = Vec::with_capacity(students.len());
        for (offset, chunk) in students.chunks(CHUNK).enumerate() {
            let base = first + (offset * CHUNK) as i64;
            let mut rows = Vec::with_capacity(chunk.len());
            for (i, (id, student)) in chunk.iter().enumerate() {
                let serial = base + i as i64;
                let token = make(serial, student, crate::clock::local_date(now.0))
                    .map_err(StoreError::Token)?;
                rows.push((serial, *id, token));
                made.push((student.student_no.clone(), serial));
            }
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) ",
            );
            qb.push_values(rows, |mut b, (serial, id, token)| {
                b.push_bind(serial)
                    .push_bind(id)
                    .push_bind(key_id)
                    .push_bind(token)
                    .push_bind("active")
                    .push_bind(now);
            });
            qb.build().execute(&mut **tx).await?;
        }
        Ok(made)
    }

    async fn active_code_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        student_no: &str,
    ) -> Result<Option<CodeRecord>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN students s ON s.id = c.student_id \
             WHERE s.student_no = ? AND c.status = 'active'"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()))
            .bind(student_no.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        row.as_ref().map(Rows::<DB>::code).transpose()
    }

    async fn revoke_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        serial: i64,
        reason: &str,
        replaced_by: Option<i64>,
        now: DbTime,
    ) -> Result<()> {
        sqlx::query(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql("UPDATE codes SET status = 'revoked', revoked_at = ?, revoke_reason = ?, replaced_by = ? WHERE serial = ?")
                .into_owned(),
        ))
        .bind(now)
        .bind(reason.to_string())
        .bind(replaced_by)
        .bind(serial)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    async fn student_in(
        tx: &mut sqlx::Transaction<'_, DB>,
        student_no: &str,
    ) -> Result<Option<(i64, Student)>> {
        let sql = "SELECT id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, \
                   cohort, gender, phone FROM students WHERE student_no = ? AND withdrawn = FALSE";
        let row = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(sql).into_owned()))
            .bind(student_no.to_string())
            .fetch_optional(&mut **tx)
            .await?;
        match row {
            Some(r) => Ok(Some((
                Rows::<DB>::value(&r, "id")?,
                Rows::<DB>::student(&r)?,
            ))),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl<DB> CodeStore for SqlStore<DB>
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
    async fn issue_codes(
        &self,
        targets: &CodeTargets,
        key_id: i32,
        make: TokenMaker<'_>,
        operator: &str,
    ) -> Result<IssueSummary> {
        let now = crate::store::dialect::now();
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        let first = Self::next_serial(&mut tx).await?;
        let rows = sqlx::query(
            "SELECT s.id, s.student_no, s.name, s.id_type, s.id_number, s.college, s.major, s.class_name, s.level, \
             s.counselor, s.cohort, s.gender, s.phone, \
             CASE WHEN EXISTS (SELECT 1 FROM codes c WHERE c.student_id = s.id AND c.status = 'active') THEN 'y' ELSE 'n' END AS active \
             FROM students s WHERE s.withdrawn = FALSE ORDER BY s.student_no",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut summary = IssueSummary::default();
        let mut candidates: std::collections::HashMap<String, (i64, Student, bool)> =
            std::collections::HashMap::with_capacity(rows.len());
        let mut order = Vec::with_capacity(rows.len());
        for r in &rows {
            let student = Rows::<DB>::student(r)?;
            let active: String = Rows::<DB>::value(r, "active")?;
            order.push(student.student_no.clone());
            candidates.insert(
                student.student_no.clone(),
                (Rows::<DB>::value(r, "id")?, student, active == "y"),
            );
        }
        let wanted: Vec<String> = match targets {
            CodeTargets::AllWithout => order,
            CodeTargets::Students(list) => list.clone(),
        };
        let mut to_issue = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for no in wanted {
            if !seen.insert(no.clone()) {
                continue;
            }
            match candidates.remove(&no) {
                None => summary.unknown.push(no),
                Some((_, _, true)) => summary.already_active.push(no),
                Some((id, student, false)) => to_issue.push((id, student)),
            }
        }
        summary.issued = Self::insert_codes(&mut tx, &to_issue, first, key_id, make, now).await?;
        let mut audit: Vec<(Option<String>, &str, String)> = summary
            .issued
            .iter()
            .map(|(no, serial)| {
                (
                    Some(no.clone()),
                    "issue",
                    format!("serial {serial}, key {key_id}"),
                )
            })
            .collect();
        if !summary.issued.is_empty() {
            audit.push((
                None,
                "issue",
                format!("{} codes issued with key {key_id}", summary.issued.len()),
            ));
        }
        Self::audit_in(&mut tx, operator, &audit, now).await?;
        tx.commit().await?;
        Ok(summary)
    }

    async fn student_codes(&self, student_no: &str) -> Result<Option<(Student, Vec<CodeRecord>)>> {
        let sql = "SELECT id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, \
                   cohort, gender, phone FROM students WHERE student_no = ?";
        let Some(r) = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(sql).into_owned()))
            .bind(student_no.to_string())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = Rows::<DB>::value(&r, "id")?;
        let student = Rows::<DB>::student(&r)?;
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN students s ON s.id = c.student_id WHERE c.student_id = ? ORDER BY c.serial DESC"
        );
        let codes = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()))
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
        let codes = codes
            .iter()
            .map(Rows::<DB>::code)
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((student, codes)))
    }

    async fn code_by_serial(&self, serial: i64) -> Result<Option<CodeRecord>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN students s ON s.id = c.student_id WHERE c.serial = ?"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()))
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Rows::<DB>::code).transpose()
    }

    async fn active_codes(&self) -> Result<Vec<(Student, CodeRecord)>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS}, s.name, s.id_type, s.id_number, s.college, s.major, s.class_name, \
             s.level, s.counselor, s.cohort, s.gender, s.phone \
             FROM codes c JOIN students s ON s.id = c.student_id \
             WHERE c.status = 'active' AND s.withdrawn = FALSE ORDER BY s.student_no"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((Rows::<DB>::student(r)?, Rows::<DB>::code(r)?)))
            .collect()
    }

    async fn revoke_code(
        &self,
        student_no: &str,
        reason: &str,
        operator: &str,
    ) -> Result<CodeRecord> {
        let now = crate::store::dialect::now();
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        let Some(mut code) = Self::active_code_in(&mut tx, student_no).await? else {
            return Err(StoreError::NoActiveCode(student_no.to_string()));
        };
        Self::revoke_in(&mut tx, code.serial, reason, None, now).await?;
        Self::audit_in(
            &mut tx,
            operator,
            &[(
                Some(student_no.to_string()),
                "revoke",
                format!("serial {}: {reason}", code.serial),
            )],
            now,
        )
        .await?;
        tx.commit().await?;
        code.state = CodeState::Revoked;
        code.revoked_at = Some(now.0);
        code.revoke_reason = Some(reason.to_string());
        Ok(code)
    }

    async fn reissue_code(
        &self,
        student_no: &str,
        reason: &str,
        key_id: i32,
        make: TokenMaker<'_>,
        operator: &str,
    ) -> Result<(Option<CodeRecord>, CodeRecord)> {
        let now = crate::store::dialect::now();
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        let serial = Self::next_serial(&mut tx).await?;
        let Some((id, student)) = Self::student_in(&mut tx, student_no).await? else {
            return Err(not_found(student_no));
        };
        let old = Self::active_code_in(&mut tx, student_no).await?;
        if let Some(old) = &old {
            // revoke first: the one-active-code rule holds at every statement
            Self::revoke_in(&mut tx, old.serial, reason, None, now).await?;
        }
        Self::insert_codes(&mut tx, &[(id, student)], serial, key_id, make, now).await?;
        if let Some(old) = &old {
            sqlx::query(sqlx::AssertSqlSafe(
                Self::DIALECT
                    .sql("UPDATE codes SET replaced_by = ? WHERE serial = ?")
                    .into_owned(),
            ))
            .bind(serial)
            .bind(old.serial)
            .execute(&mut *tx)
            .await?;
        }
        let detail = match &old {
            Some(old) => format!("serial {} → {serial}: {reason}", old.serial),
            None => format!("serial {serial}: {reason}"),
        };
        Self::audit_in(
            &mut tx,
            operator,
            &[(Some(student_no.to_string()), "reissue", detail)],
            now,
        )
        .await?;
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN students s ON s.id = c.student_id WHERE c.serial = ?"
        );
        let new = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()))
            .bind(serial)
            .fetch_one(&mut *tx)
            .await?;
        let new = Rows::<DB>::code(&new)?;
        tx.commit().await?;
        let old = old.map(|mut o| {
            o.state = CodeState::Revoked;
            o.revoked_at = Some(now.0);
            o.revoke_reason = Some(reason.to_string());
            o.replaced_by = Some(serial);
            o
        });
        Ok((old, new))
    }

    async fn latest_code_per_key(&self) -> Result<Vec<CodeRecord>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM codes c JOIN students s ON s.id = c.student_id \
             WHERE c.serial IN (SELECT MAX(serial) FROM codes GROUP BY key_id) ORDER BY c.key_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Rows::<DB>::code).collect()
    }
}
