//! Completion reports and the audit trail: aggregate queries, one per question staff ask.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::dialect::DbTime;
use super::engine::{Done, Engine, SqlStore, Value};
use super::rows::Rows;
use super::{AuditRecord, Result};

/// How `completion` groups students.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    College,
    Class,
    Counselor,
    Session,
    Level,
}

impl GroupBy {
    fn expression(self) -> &'static str {
        match self {
            GroupBy::College => "s.college",
            GroupBy::Class => "s.class_name",
            GroupBy::Counselor => "s.counselor",
            // students without a session form the group ''
            GroupBy::Session => "COALESCE(se.title, '')",
            GroupBy::Level => "s.level",
        }
    }
}

/// One line of a completion report (withdrawn students are never counted).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupCounts {
    pub group: String,
    /// For `GroupBy::Class`, the college the class belongs to (for drill-down); else empty.
    #[serde(skip)]
    pub parent: String,
    pub total: i64,
    pub code_active: i64,
    pub session_assigned: i64,
    pub checked_in: i64,
    pub photo_valid: i64,
    pub photo_invalid: i64,
    /// Several files and none chosen yet (not counted as invalid).
    pub photo_duplicate: i64,
    pub photo_missing: i64,
}

impl GroupCounts {
    /// A group from its counts in the order of the report's columns: total, active code, in a
    /// session, checked in, valid photo, invalid photo. The missing photos are what is left.
    pub fn new(group: String, parent: String, counts: [i64; 6]) -> GroupCounts {
        let [
            total,
            code_active,
            session_assigned,
            checked_in,
            photo_valid,
            photo_invalid,
        ] = counts;
        GroupCounts {
            group,
            parent,
            total,
            code_active,
            session_assigned,
            checked_in,
            photo_valid,
            photo_invalid,
            photo_duplicate: 0,
            photo_missing: total - photo_valid - photo_invalid,
        }
    }

    /// The same group with `n` of its students holding several files and none chosen: they are
    /// neither invalid nor missing.
    pub fn with_duplicates(mut self, n: i64) -> GroupCounts {
        self.photo_missing += self.photo_duplicate;
        self.photo_duplicate = n;
        self.photo_missing -= n;
        self
    }

    /// Valid photos / total, 0 for an empty group.
    pub fn completion(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.photo_valid as f64 / self.total as f64
        }
    }
}

/// One day of collection: check-ins made and valid photos recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DailyProgress {
    pub day: NaiveDate,
    pub checked_in: i64,
    pub photo_valid: i64,
}

/// Narrows the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub student_no: Option<String>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub limit: Option<i64>,
}

#[async_trait]
pub trait ReportStore {
    /// Completion per group, ordered by group name; `cohort` narrows to one 届.
    async fn completion(&self, by: GroupBy, cohort: Option<i32>) -> Result<Vec<GroupCounts>>;
    /// Completion per group of the students of one college (the console's drill-down into its
    /// classes or counselors), ordered by group name.
    async fn completion_in_college(
        &self,
        by: GroupBy,
        college: &str,
        cohort: Option<i32>,
    ) -> Result<Vec<GroupCounts>>;
    /// Check-ins and valid photos per day, oldest first; `college` narrows to its students.
    async fn daily_progress(&self, college: Option<&str>) -> Result<Vec<DailyProgress>>;
    /// Audit entries matching the filter, latest first (by time, then by the order written).
    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>>;
}

/// The completion query up to its `WHERE` conditions (withdrawn students left out, `cohort`
/// applied); the caller may add conditions and then `completion_tail`.
fn completion_head(by: GroupBy, cohort: Option<i32>) -> String {
    let group = by.expression();
    let parent = if by == GroupBy::Class {
        "MIN(s.college)"
    } else {
        "''"
    };
    let cohort = cohort
        .map(|c| format!(" AND s.cohort = {c}"))
        .unwrap_or_default();
    format!(
        "SELECT {group} AS grp, {parent} AS parent, COUNT(*) AS total, \
         COUNT(c.student_id) AS code_active, COUNT(a.student_id) AS session_assigned, \
         COUNT(k.student_id) AS checked_in, \
         COUNT(CASE WHEN p.st = 'valid' THEN 1 END) AS photo_valid, \
         COUNT(CASE WHEN p.st IS NOT NULL AND p.st <> 'valid' AND p.st <> 'duplicate' THEN 1 END) AS photo_invalid, \
         COUNT(CASE WHEN p.st = 'duplicate' THEN 1 END) AS photo_duplicate \
         FROM students s \
         LEFT JOIN (SELECT DISTINCT student_id FROM codes WHERE status = 'active') c ON c.student_id = s.id \
         LEFT JOIN (SELECT student_id, MAX(session_id) AS session_id FROM assignments GROUP BY student_id) a ON a.student_id = s.id \
         LEFT JOIN sessions se ON se.id = a.session_id \
         LEFT JOIN (SELECT DISTINCT student_id FROM checkins) k ON k.student_id = s.id \
         LEFT JOIN (SELECT student_id, MAX(status) AS st FROM photos WHERE student_id IS NOT NULL GROUP BY student_id) p ON p.student_id = s.id \
         WHERE s.withdrawn = FALSE{cohort}"
    )
}

fn completion_tail(by: GroupBy) -> String {
    let group = by.expression();
    format!(" GROUP BY {group} ORDER BY {group}")
}

/// Check-ins and valid photos counted per quarter hour since the epoch (UTC), summed per day of
/// `zone`, oldest day first.
pub(crate) fn days_of_quarters<Tz: chrono::TimeZone>(
    checkins: &[(i64, i64)],
    photos: &[(i64, i64)],
    zone: &Tz,
) -> Vec<DailyProgress> {
    let day = |quarter: i64| {
        DateTime::<Utc>::from_timestamp(quarter.saturating_mul(900), 0)
            .map(|t| crate::clock::wall_time(t, zone).date())
    };
    let mut days: std::collections::BTreeMap<NaiveDate, (i64, i64)> = Default::default();
    for &(quarter, n) in checkins {
        if let Some(d) = day(quarter) {
            days.entry(d).or_default().0 += n;
        }
    }
    for &(quarter, n) in photos {
        if let Some(d) = day(quarter) {
            days.entry(d).or_default().1 += n;
        }
    }
    days.into_iter()
        .map(|(day, (checked_in, photo_valid))| DailyProgress {
            day,
            checked_in,
            photo_valid,
        })
        .collect()
}

#[async_trait]
impl<DB> ReportStore for SqlStore<DB>
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
    async fn completion(&self, by: GroupBy, cohort: Option<i32>) -> Result<Vec<GroupCounts>> {
        let sql = format!("{}{}", completion_head(by, cohort), completion_tail(by));
        sqlx::query::<DB>(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Rows::<DB>::group_counts)
            .collect()
    }

    async fn completion_in_college(
        &self,
        by: GroupBy,
        college: &str,
        cohort: Option<i32>,
    ) -> Result<Vec<GroupCounts>> {
        let mut qb = sqlx::QueryBuilder::<DB>::new(completion_head(by, cohort));
        qb.push(" AND s.college = ").push_bind(college.to_string());
        qb.push(completion_tail(by));
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Rows::<DB>::group_counts)
            .collect()
    }

    async fn daily_progress(&self, college: Option<&str>) -> Result<Vec<DailyProgress>> {
        // Counted by the engine, one row per quarter hour: the console asks again and
        // again while stations are checking students in. Quarters are given to the days
        // of the reader's zone here (docs/time.md). `college` narrows to its students
        // (the chart inside a college on the Reports screen).
        let d = &Self::DIALECT;
        let per_quarter = |table: &str, alias: &str, column: &str, condition: &str| {
            let quarter = d.quarter(&format!("{alias}.{column}"));
            let mut qb = sqlx::QueryBuilder::<DB>::new(format!(
                "SELECT {quarter} AS quarter, COUNT(*) AS n FROM {table} {alias} JOIN students s ON s.id = {alias}.student_id WHERE 1 = 1{condition}"
            ));
            if let Some(college) = college {
                qb.push(" AND s.college = ").push_bind(college.to_string());
            }
            qb.push(format!(" GROUP BY {quarter}"));
            qb
        };
        let pairs = |rows: Vec<DB::Row>| -> Result<Vec<(i64, i64)>> {
            rows.iter()
                .map(|r| Ok((Rows::<DB>::value(r, "quarter")?, Rows::<DB>::value(r, "n")?)))
                .collect()
        };
        let checkins = pairs(
            per_quarter("checkins", "k", "checked_in_at", "")
                .build()
                .fetch_all(&self.pool)
                .await?,
        )?;
        let photos = pairs(
            per_quarter("photos", "p", "checked_at", " AND p.status = 'valid'")
                .build()
                .fetch_all(&self.pool)
                .await?,
        )?;
        Ok(days_of_quarters(&checkins, &photos, &chrono::Local))
    }

    async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut qb = sqlx::QueryBuilder::<DB>::new(
            "SELECT id, at, operator, action, student_no, detail FROM audit_log WHERE 1 = 1",
        );
        if let Some(no) = &filter.student_no {
            qb.push(" AND student_no = ").push_bind(no.clone());
        }
        if let Some(action) = &filter.action {
            qb.push(" AND action = ").push_bind(action.clone());
        }
        if let Some(since) = filter.since {
            qb.push(" AND at >= ")
                .push_bind(super::dialect::DbTime(since));
        }
        qb.push(" ORDER BY at DESC, id DESC");
        if let Some(limit) = filter.limit {
            qb.push(format!(" LIMIT {}", limit.max(0)));
        }
        qb.build()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Rows::<DB>::audit_record)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn quarters_fall_on_the_readers_day() {
        // 2026-03-02 15:45 UTC and 16:00 UTC: the same UTC day, but 23:45 and 00:00 of two
        // days in Shanghai.
        let q = |h: i64, m: i64| {
            (chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
                .timestamp()
                + h * 3600
                + m * 60)
                / 900
        };
        let checkins = [(q(15, 45), 2), (q(16, 0), 3)];
        let photos = [(q(16, 0), 1)];
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let got: Vec<(NaiveDate, i64, i64)> = days_of_quarters(&checkins, &photos, &shanghai)
            .into_iter()
            .map(|d| (d.day, d.checked_in, d.photo_valid))
            .collect();
        assert_eq!(got, [(day(2), 2, 0), (day(3), 3, 1)]);
        let got: Vec<(NaiveDate, i64, i64)> = days_of_quarters(&checkins, &photos, &Utc)
            .into_iter()
            .map(|d| (d.day, d.checked_in, d.photo_valid))
            .collect();
        assert_eq!(got, [(day(2), 5, 1)]);
    }
}
