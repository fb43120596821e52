//! Completion reports and the audit trail: aggregate queries, one per question staff ask.

use async_trait::async_trait;
use chrono::{NaiveDate, NaiveDateTime};

use super::{AuditEntry, AuditRecord, Result};

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
            photo_missing: total - photo_valid - photo_invalid,
        }
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
    pub since: Option<NaiveDateTime>,
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
    /// Check-ins and valid photos per day, oldest first.
    async fn daily_progress(&self) -> Result<Vec<DailyProgress>>;
    /// Audit entries matching the filter, newest first.
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
        "SELECT {group} AS grp, {parent} AS parent, COUNT(*), \
         COUNT(c.student_id), COUNT(a.student_id), COUNT(k.student_id), \
         COUNT(CASE WHEN p.st = 'valid' THEN 1 END), \
         COUNT(CASE WHEN p.st IS NOT NULL AND p.st <> 'valid' THEN 1 END) \
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

type CompletionRow = (String, String, i64, i64, i64, i64, i64, i64);

fn group_counts(rows: Vec<CompletionRow>) -> Vec<GroupCounts> {
    rows.into_iter()
        .map(
            |(
                group,
                parent,
                total,
                code_active,
                session_assigned,
                checked_in,
                photo_valid,
                photo_invalid,
            )| {
                GroupCounts::new(
                    group,
                    parent,
                    [
                        total,
                        code_active,
                        session_assigned,
                        checked_in,
                        photo_valid,
                        photo_invalid,
                    ],
                )
            },
        )
        .collect()
}

macro_rules! impl_report_store {
    ($store:ty, $db:ty) => {
        #[async_trait]
        impl ReportStore for $store {
            async fn completion(&self, by: GroupBy, cohort: Option<i32>) -> Result<Vec<GroupCounts>> {
                let sql = format!("{}{}", completion_head(by, cohort), completion_tail(by));
                let rows = sqlx::query_as::<_, CompletionRow>(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
                Ok(group_counts(rows))
            }

            async fn completion_in_college(
                &self,
                by: GroupBy,
                college: &str,
                cohort: Option<i32>,
            ) -> Result<Vec<GroupCounts>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(completion_head(by, cohort));
                qb.push(" AND s.college = ").push_bind(college.to_string());
                qb.push(completion_tail(by));
                let rows = qb.build_query_as::<CompletionRow>().fetch_all(&self.pool).await?;
                Ok(group_counts(rows))
            }

            async fn daily_progress(&self) -> Result<Vec<DailyProgress>> {
                // Counted by the engine, one row per day: the console asks again and again
                // while stations are checking students in.
                let d = &Self::DIALECT;
                let per_day = |table: &str, column: &str, condition: &str| {
                    let day = d.day(column);
                    format!("SELECT {day}, COUNT(*) FROM {table}{condition} GROUP BY {day}")
                };
                let checkins: Vec<(String, i64)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(per_day("checkins", "checked_in_at", "")))
                        .fetch_all(&self.pool)
                        .await?;
                let photos: Vec<(String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(per_day(
                    "photos",
                    "checked_at",
                    " WHERE status = 'valid' AND student_id IS NOT NULL",
                )))
                .fetch_all(&self.pool)
                .await?;
                let mut days: std::collections::BTreeMap<NaiveDate, (i64, i64)> = Default::default();
                let parse = |text: &str| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| {
                        crate::store::StoreError::Query(sqlx::Error::Decode(format!("unexpected day '{text}': {e}").into()))
                    })
                };
                for (day, n) in checkins {
                    days.entry(parse(&day)?).or_default().0 += n;
                }
                for (day, n) in photos {
                    days.entry(parse(&day)?).or_default().1 += n;
                }
                Ok(days
                    .into_iter()
                    .map(|(day, (checked_in, photo_valid))| DailyProgress { day, checked_in, photo_valid })
                    .collect())
            }

            async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, at, operator, action, student_no, detail FROM audit_log WHERE 1 = 1",
                );
                if let Some(no) = &filter.student_no {
                    qb.push(" AND student_no = ").push_bind(no.clone());
                }
                if let Some(action) = &filter.action {
                    qb.push(" AND action = ").push_bind(action.clone());
                }
                if let Some(since) = filter.since {
                    qb.push(" AND at >= ").push_bind(since);
                }
                qb.push(" ORDER BY id DESC");
                if let Some(limit) = filter.limit {
                    qb.push(format!(" LIMIT {}", limit.max(0)));
                }
                let rows = qb
                    .build_query_as::<(i64, NaiveDateTime, String, String, Option<String>, String)>()
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(id, at, operator, action, student_no, detail)| AuditRecord {
                        id,
                        at,
                        entry: AuditEntry { operator, action, student_no, detail },
                    })
                    .collect())
            }
        }
    };
}

impl_report_store!(super::SqliteStore, sqlx::Sqlite);
impl_report_store!(super::PgStore, sqlx::Postgres);
impl_report_store!(super::MySqlStore, sqlx::MySql);
