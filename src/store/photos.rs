//! Photo files in the database: what each checked file was found to be, the lookups that match
//! file names to students, and applying a reconciliation idempotently.
//!
//! A row is a file (by absolute path) with its size, mtime, SHA-256, dimensions, status and
//! problems, and the spec it was judged by. Applying a scan of a folder compares the scan with
//! the rows under that folder: new files are inserted, changed ones updated, vanished ones
//! deleted (so their student's photo is missing again), every change audited — and a scan equal
//! to the rows writes nothing at all.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Result;
use super::dialect::DbTime;
use super::engine::{Done, Engine, SqlStore, Value};
use super::rows::Rows;
use crate::domain::photo_spec::Problem;

/// The setting that keeps the last applied reconciliation's summary (JSON) for the console.
pub const LAST_RECONCILE_SETTING: &str = "photos.last_reconcile";

/// What a file is, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoFileStatus {
    Valid,
    Invalid,
    /// One of several files for the same student.
    Duplicate,
    /// No student matches the file's name.
    Orphan,
}

impl PhotoFileStatus {
    pub fn code(self) -> &'static str {
        match self {
            PhotoFileStatus::Valid => "valid",
            PhotoFileStatus::Invalid => "invalid",
            PhotoFileStatus::Duplicate => "duplicate",
            PhotoFileStatus::Orphan => "orphan",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoFileStatus> {
        match s {
            "valid" => Some(PhotoFileStatus::Valid),
            "invalid" => Some(PhotoFileStatus::Invalid),
            "duplicate" => Some(PhotoFileStatus::Duplicate),
            "orphan" => Some(PhotoFileStatus::Orphan),
            _ => None,
        }
    }
}

/// One checked file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRecord {
    /// Absolute path: the row's identity.
    pub path: String,
    pub student_id: Option<i64>,
    /// The student's 学号, for the audit log (not stored in the row).
    pub student_no: Option<String>,
    /// The student's ID number, only to mask it in the path the audit log shows (not stored in
    /// the row; see `mask_ids_in_path`).
    pub id_number: Option<String>,
    pub size: i64,
    /// Modification time, nanoseconds since 1970.
    pub mtime: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub status: PhotoFileStatus,
    /// The spec problems as a JSON array of `Problem` (empty text: none). Kept whatever the
    /// status, so a cached duplicate or orphan still knows whether the file itself is valid.
    pub problems: String,
    /// `PhotoSpec::fingerprint` of the rules the problems were judged by.
    pub spec: String,
}

impl PhotoRecord {
    pub fn decoded_problems(&self) -> std::result::Result<Vec<Problem>, serde_json::Error> {
        if self.problems.trim().is_empty() {
            Ok(Vec::new())
        } else {
            serde_json::from_str(&self.problems)
        }
    }

    /// Whether storing `self` over `old` changes anything.
    pub fn differs(&self, old: &PhotoRecord) -> bool {
        (
            self.student_id,
            self.size,
            self.mtime,
            &self.sha256,
            self.width,
            self.height,
            self.status,
            &self.problems,
            &self.spec,
        ) != (
            old.student_id,
            old.size,
            old.mtime,
            &old.sha256,
            old.width,
            old.height,
            old.status,
            &old.problems,
            &old.spec,
        )
    }
}

/// What applying a scan changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApplySummary {
    pub inserted: u64,
    pub updated: u64,
    pub removed: u64,
    pub unchanged: u64,
}

impl ApplySummary {
    pub fn changed(&self) -> bool {
        self.inserted + self.updated + self.removed > 0
    }
}

/// What file names can refer to besides 学号 and ID numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhotoMatchKeys {
    /// (code serial, student id) of every code, active or revoked: a photo named by a revoked
    /// code's serial is still that student's.
    pub serials: Vec<(i64, i64)>,
    /// (session id, shot number, student id) of every check-in, those kept as history too: a
    /// photo taken at any of them is still that student's.
    pub shots: Vec<(i64, i64, i64)>,
    /// (session id, provisional label, student id) of every check-in made from an offline
    /// station's journal (docs/sessions.md "Offline stations"): a photo named by the label its
    /// slate showed (`B-017`, or `3-B-017` with the session) is that student's.
    pub labels: Vec<(i64, String, i64)>,
    /// Student id → (session id, shot number) of the one check-in that counts for them
    /// (docs/sessions.md, "One check-in per student").
    pub counting: std::collections::HashMap<i64, (i64, i64)>,
}

/// Narrows `list_photos`; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct PhotoFilter {
    pub status: Option<PhotoFileStatus>,
    pub student_no: Option<String>,
    /// Only rows whose path starts with this (a reconciled folder with a trailing `/`).
    pub under: Option<String>,
}

/// A stored photo with its student, as the console lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PhotoRow {
    pub path: String,
    pub student_no: Option<String>,
    /// The student's ID number, only to mask it where the path is shown.
    pub id_number: Option<String>,
    pub name: Option<String>,
    pub size: i64,
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub status: PhotoFileStatus,
    pub problems: Vec<Problem>,
    pub checked_at: DateTime<Utc>,
}

#[async_trait]
pub trait PhotoStore {
    /// Rows whose path starts with `prefix` (a folder with a trailing `/`), student 学号 included.
    async fn photos_under(&self, prefix: &str) -> Result<Vec<PhotoRecord>>;
    /// Code serials and check-in shots, for matching file names.
    async fn photo_match_keys(&self) -> Result<PhotoMatchKeys>;
    /// Makes the rows under `prefix` equal to `records` in one transaction, auditing each change
    /// and, when given, storing `summary` as the last reconciliation (`LAST_RECONCILE_SETTING`).
    /// Writes nothing when nothing differs.
    async fn apply_photos(
        &self,
        prefix: &str,
        records: &[PhotoRecord],
        summary: Option<&str>,
        operator: &str,
    ) -> Result<ApplySummary>;
    /// Stored photos, ordered by path.
    async fn list_photos(&self, filter: &PhotoFilter) -> Result<Vec<PhotoRow>>;
}

const PHOTO_COLUMNS: &str = "p.path, p.student_id, s.student_no, p.size, p.mtime, p.sha256, p.width, p.height, p.status, p.problems, p.spec, s.id_number";
const LOCK_PHOTOS: &str = "SELECT name FROM locks WHERE name = 'photos' FOR UPDATE";
const CHUNK: usize = 1000;

/// A photo's path as the audit log keeps it: an ID number in it masked (docs/files.md), so
/// `caiji audit` never prints one.
fn shown_path(r: &PhotoRecord) -> std::borrow::Cow<'_, str> {
    crate::domain::mask_ids_in_path(&r.path, r.id_number.as_deref())
}

/// The audit line of a photo change.
fn describe(r: &PhotoRecord) -> String {
    let problems = r.decoded_problems().unwrap_or_default();
    let codes: Vec<&str> = problems.iter().map(Problem::code).collect();
    if codes.is_empty() {
        format!("{}: {}", shown_path(r), r.status.code())
    } else {
        format!(
            "{}: {} ({})",
            shown_path(r),
            r.status.code(),
            codes.join(", ")
        )
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
    async fn rows_under<'e, E>(executor: E, prefix: &str) -> Result<Vec<(i64, PhotoRecord)>>
    where
        E: sqlx::Executor<'e, Database = DB>,
    {
        // substr counts characters on every engine, as `chars().count()` does
        let sql = format!(
            "SELECT p.id, {PHOTO_COLUMNS} FROM photos p LEFT JOIN students s ON s.id = p.student_id \
             WHERE substr(p.path, 1, ?) = ?"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()))
            .bind(prefix.chars().count() as i32)
            .bind(prefix.to_string())
            .fetch_all(executor)
            .await?;
        // Ordered here, by bytes: server collations disagree about paths.
        let mut out: Vec<(i64, PhotoRecord)> = rows
            .iter()
            .map(|r| Ok((Rows::<DB>::value(r, "id")?, Rows::<DB>::photo_record(r)?)))
            .collect::<Result<_>>()?;
        out.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        Ok(out)
    }
}

#[async_trait]
impl<DB> PhotoStore for SqlStore<DB>
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
    async fn photos_under(&self, prefix: &str) -> Result<Vec<PhotoRecord>> {
        Ok(Self::rows_under(&self.pool, prefix)
            .await?
            .into_iter()
            .map(|(_, r)| r)
            .collect())
    }

    async fn photo_match_keys(&self) -> Result<PhotoMatchKeys> {
        let serials = sqlx::query::<DB>("SELECT serial, student_id FROM codes")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    Rows::<DB>::value(r, "serial")?,
                    Rows::<DB>::value(r, "student_id")?,
                ))
            })
            .collect::<Result<Vec<(i64, i64)>>>()?;
        let rows = sqlx::query::<DB>(
            "SELECT session_id, shot, student_id, counts_for, label FROM checkins",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut shots = Vec::with_capacity(rows.len());
        let mut labels = Vec::new();
        let mut counting = std::collections::HashMap::new();
        for r in &rows {
            let session: i64 = Rows::<DB>::value(r, "session_id")?;
            let shot: i32 = Rows::<DB>::value(r, "shot")?;
            let student: i64 = Rows::<DB>::value(r, "student_id")?;
            let counts_for: Option<i64> = Rows::<DB>::value(r, "counts_for")?;
            let label: Option<String> = Rows::<DB>::value(r, "label")?;
            shots.push((session, i64::from(shot), student));
            if let Some(label) = label {
                labels.push((session, label, student));
            }
            if counts_for.is_some() {
                counting.insert(student, (session, i64::from(shot)));
            }
        }
        Ok(PhotoMatchKeys {
            serials,
            shots,
            labels,
            counting,
        })
    }

    async fn apply_photos(
        &self,
        prefix: &str,
        records: &[PhotoRecord],
        summary: Option<&str>,
        operator: &str,
    ) -> Result<ApplySummary> {
        let d = &Self::DIALECT;
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(d.begin_write).await?;
        if d.lock_roster.is_some() {
            // one reconciliation at a time across stations
            sqlx::query(LOCK_PHOTOS).execute(&mut *tx).await?;
        }
        let existing = Self::rows_under(&mut *tx, prefix).await?;
        let mut old: std::collections::HashMap<&str, (i64, &PhotoRecord)> = existing
            .iter()
            .map(|(id, r)| (r.path.as_str(), (*id, r)))
            .collect();
        let mut inserts: Vec<&PhotoRecord> = Vec::new();
        let mut updates: Vec<(i64, &PhotoRecord, &PhotoRecord)> = Vec::new();
        let mut summary_counts = ApplySummary::default();
        for r in records {
            match old.remove(r.path.as_str()) {
                None => inserts.push(r),
                Some((id, before)) if r.differs(before) => updates.push((id, r, before)),
                Some(_) => summary_counts.unchanged += 1,
            }
        }
        let mut removals: Vec<(i64, &PhotoRecord)> = old.into_values().collect();
        removals.sort_by(|a, b| a.1.path.cmp(&b.1.path));
        summary_counts.inserted = inserts.len() as u64;
        summary_counts.updated = updates.len() as u64;
        summary_counts.removed = removals.len() as u64;

        let current_summary: Option<String> = match summary {
            Some(_) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(
                    d.sql("SELECT value FROM settings WHERE name = ?")
                        .into_owned(),
                ))
                .bind(LAST_RECONCILE_SETTING)
                .fetch_optional(&mut *tx)
                .await?
            }
            None => None,
        };
        let new_summary = summary.filter(|s| current_summary.as_deref() != Some(*s));
        if !summary_counts.changed() && new_summary.is_none() {
            tx.rollback().await?;
            return Ok(summary_counts);
        }

        let now = crate::store::dialect::now();
        for chunk in inserts.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO photos (path, student_id, size, mtime, sha256, width, height, status, problems, spec, checked_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.path.clone())
                    .push_bind(r.student_id)
                    .push_bind(r.size)
                    .push_bind(r.mtime)
                    .push_bind(r.sha256.clone())
                    .push_bind(r.width)
                    .push_bind(r.height)
                    .push_bind(r.status.code())
                    .push_bind(r.problems.clone())
                    .push_bind(r.spec.clone())
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
        }
        let update_sql = d
            .sql(
                "UPDATE photos SET student_id = ?, size = ?, mtime = ?, sha256 = ?, width = ?, height = ?, \
                 status = ?, problems = ?, spec = ?, checked_at = ? WHERE id = ?",
            )
            .into_owned();
        for (id, r, _) in &updates {
            sqlx::query(sqlx::AssertSqlSafe(update_sql.clone()))
                .bind(r.student_id)
                .bind(r.size)
                .bind(r.mtime)
                .bind(r.sha256.clone())
                .bind(r.width)
                .bind(r.height)
                .bind(r.status.code())
                .bind(r.problems.clone())
                .bind(r.spec.clone())
                .bind(now)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        for chunk in removals.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new("DELETE FROM photos WHERE id IN (");
            let mut ids = qb.separated(", ");
            for (id, _) in chunk {
                ids.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }

        let mut audit: Vec<(Option<String>, &str, String)> = Vec::new();
        for r in &inserts {
            audit.push((r.student_no.clone(), "photo_add", describe(r)));
        }
        for (_, r, before) in &updates {
            let what = if r.sha256 != before.sha256 {
                "replaced"
            } else {
                "re-checked"
            };
            audit.push((
                r.student_no.clone(),
                "photo_update",
                format!("{} (was {}, {what})", describe(r), before.status.code()),
            ));
            if before.student_id.is_some() && before.student_id != r.student_id {
                // the file now belongs to someone else (or nobody): the old owner loses it
                audit.push((
                    before.student_no.clone(),
                    "photo_remove",
                    format!("{}: now {}", shown_path(before), r.status.code()),
                ));
            }
        }
        for (_, r) in &removals {
            audit.push((
                r.student_no.clone(),
                "photo_remove",
                format!("{}: file gone", shown_path(r)),
            ));
        }
        if summary_counts.changed() {
            audit.push((
                None,
                "photos_reconcile",
                format!(
                    "{}: added {}, updated {}, removed {}, unchanged {}",
                    crate::domain::mask_ids_in_path(prefix, None),
                    summary_counts.inserted,
                    summary_counts.updated,
                    summary_counts.removed,
                    summary_counts.unchanged
                ),
            ));
        }
        for chunk in audit.chunks(CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "INSERT INTO audit_log (at, operator, action, student_no, detail) ",
            );
            qb.push_values(chunk, |mut b, (no, action, detail)| {
                b.push_bind(now)
                    .push_bind(operator.to_string())
                    .push_bind(action.to_string())
                    .push_bind(no.clone())
                    .push_bind(detail.clone());
            });
            qb.build().execute(&mut *tx).await?;
        }
        if let Some(s) = new_summary {
            sqlx::query(sqlx::AssertSqlSafe(d.sql(d.upsert_setting).into_owned()))
                .bind(LAST_RECONCILE_SETTING)
                .bind(s.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(summary_counts)
    }

    async fn list_photos(&self, filter: &PhotoFilter) -> Result<Vec<PhotoRow>> {
        let mut sql = String::from(
            "SELECT p.path, s.student_no, s.name, p.size, p.sha256, p.width, p.height, p.status, p.problems, p.checked_at, s.id_number \
             FROM photos p LEFT JOIN students s ON s.id = p.student_id WHERE 1 = 1",
        );
        if filter.status.is_some() {
            sql.push_str(" AND p.status = ?");
        }
        if filter.student_no.is_some() {
            sql.push_str(" AND s.student_no = ?");
        }
        if filter.under.is_some() {
            sql.push_str(" AND substr(p.path, 1, ?) = ?");
        }
        let mut query = sqlx::query(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()));
        if let Some(status) = filter.status {
            query = query.bind(status.code());
        }
        if let Some(no) = &filter.student_no {
            query = query.bind(no.clone());
        }
        if let Some(prefix) = &filter.under {
            query = query
                .bind(prefix.chars().count() as i32)
                .bind(prefix.clone());
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out: Vec<PhotoRow> = rows
            .iter()
            .map(Rows::<DB>::photo_row)
            .collect::<Result<_>>()?;
        // by bytes, as `rows_under`: server collations disagree about paths
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }
}
