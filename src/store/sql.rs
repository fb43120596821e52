//! The SQL that is the same on every backend, written once.
//!
//! Queries are written with `?` placeholders; `sql_store!` turns them into `$1, $2, ...` for
//! PostgreSQL. Statuses are computed as text so that every engine returns the same types.

use std::borrow::Cow;

use chrono::{Local, NaiveDateTime};

/// Rewrites `?` placeholders as `$n` (PostgreSQL). Question marks inside quotes are left alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut in_quote = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '?' if !in_quote => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Current local time, to the second: what every `*_at` column records.
pub(crate) fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let t = Local::now().naive_local();
    t.with_nanosecond(0).unwrap_or(t)
}

pub(crate) const STUDENT_COLUMNS: &str = "student_no, name, id_type, id_number, college, major, class_name, level, \
     counselor, cohort, gender, phone, withdrawn, created_at, updated_at";

/// Students joined with the state of their code, session, check-in and photo.
pub(crate) fn student_rows_query(filter: &super::StudentFilter) -> (String, Vec<Cow<'static, str>>) {
    let mut sql = String::from(
        "SELECT s.id, s.student_no, s.name, s.id_type, s.id_number, s.college, s.major, s.class_name, \
         s.level, s.counselor, s.cohort, s.gender, s.phone, s.withdrawn, \
         c.st AS code_st, a.session_id, \
         CASE WHEN k.student_id IS NULL THEN 'n' ELSE 'y' END AS checked, p.st AS photo_st \
         FROM students s \
         LEFT JOIN (SELECT student_id, MIN(status) AS st FROM codes GROUP BY student_id) c ON c.student_id = s.id \
         LEFT JOIN (SELECT student_id, MAX(session_id) AS session_id FROM assignments GROUP BY student_id) a ON a.student_id = s.id \
         LEFT JOIN (SELECT DISTINCT student_id FROM checkins) k ON k.student_id = s.id \
         LEFT JOIN (SELECT student_id, MAX(status) AS st FROM photos WHERE student_id IS NOT NULL GROUP BY student_id) p ON p.student_id = s.id \
         WHERE 1 = 1",
    );
    let mut args: Vec<Cow<'static, str>> = Vec::new();
    for (column, value) in [
        ("s.college", &filter.college),
        ("s.class_name", &filter.class),
        ("s.counselor", &filter.counselor),
    ] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            args.push(Cow::Owned(v.clone()));
        }
    }
    if let Some(cohort) = filter.cohort {
        // cohort is a plain integer: safe to inline, and keeps the argument list all-text
        sql.push_str(&format!(" AND s.cohort = {cohort}"));
    }
    if !filter.include_withdrawn {
        sql.push_str(" AND s.withdrawn = FALSE");
    }
    sql.push_str(" ORDER BY s.student_no");
    (sql, args)
}

pub(crate) const COUNTS_QUERY: &str = "SELECT \
     COUNT(CASE WHEN s.withdrawn = FALSE THEN 1 END), \
     COUNT(CASE WHEN s.withdrawn = TRUE THEN 1 END), \
     COUNT(CASE WHEN s.withdrawn = FALSE AND c.student_id IS NOT NULL THEN 1 END), \
     COUNT(CASE WHEN s.withdrawn = FALSE AND a.student_id IS NOT NULL THEN 1 END), \
     COUNT(CASE WHEN s.withdrawn = FALSE AND k.student_id IS NOT NULL THEN 1 END), \
     COUNT(CASE WHEN s.withdrawn = FALSE AND p.student_id IS NOT NULL THEN 1 END) \
     FROM students s \
     LEFT JOIN (SELECT DISTINCT student_id FROM codes WHERE status = 'active') c ON c.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM assignments) a ON a.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM checkins) k ON k.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM photos WHERE status = 'valid') p ON p.student_id = s.id";

/// Tables in an order that deleting from them one by one never breaks a foreign key.
pub(crate) const TABLES_CHILD_FIRST: [&str; 7] =
    ["checkins", "assignments", "photos", "codes", "sessions", "audit_log", "students"];

/// Rows per multi-VALUES insert: large enough to be fast, small enough for every engine's
/// bind-parameter limit (15 columns × 1,000 rows).
pub(crate) const INSERT_CHUNK: usize = 1000;

/// Implements `Store` for one backend. `$pool` is the sqlx pool type, `$db` the database type and
/// `$numbered` whether placeholders must be `$n`.
macro_rules! sql_store {
    ($store:ident, $db:ty, $numbered:expr, $upsert_setting:expr) => {
        impl $store {
            fn q(sql: &str) -> std::borrow::Cow<'_, str> {
                if $numbered {
                    std::borrow::Cow::Owned($crate::store::sql::numbered_placeholders(sql))
                } else {
                    std::borrow::Cow::Borrowed(sql)
                }
            }

            /// Multi-VALUES inserts of `INSERT_CHUNK` rows inside the caller's transaction.
            async fn insert_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                students: &[$crate::domain::Student],
            ) -> $crate::store::Result<u64> {
                let now = $crate::store::sql::now();
                let mut inserted = 0;
                for chunk in students.chunks($crate::store::sql::INSERT_CHUNK) {
                    let mut qb = sqlx::QueryBuilder::<$db>::new(format!(
                        "INSERT INTO students ({}) ",
                        $crate::store::sql::STUDENT_COLUMNS
                    ));
                    qb.push_values(chunk, |mut b, s| {
                        b.push_bind(s.student_no.clone())
                            .push_bind(s.name.clone())
                            .push_bind(s.id_type.code())
                            .push_bind(s.id_number.clone())
                            .push_bind(s.college.clone())
                            .push_bind(s.major.clone())
                            .push_bind(s.class.clone())
                            .push_bind(s.level.code())
                            .push_bind(s.counselor.clone())
                            .push_bind(s.cohort)
                            .push_bind(s.gender.clone())
                            .push_bind(s.phone.clone())
                            .push_bind(false)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    inserted += qb.build().execute(&mut **tx).await?.rows_affected();
                }
                Ok(inserted)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::Store for $store {
            fn backend(&self) -> $crate::store::Backend {
                Self::BACKEND
            }

            fn display_url(&self) -> &str {
                &self.display_url
            }

            async fn student_count(&self) -> $crate::store::Result<i64> {
                Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM students").fetch_one(&self.pool).await?)
            }

            async fn insert_students(&self, students: &[$crate::domain::Student]) -> $crate::store::Result<u64> {
                let mut tx = self.pool.begin().await?;
                let inserted = Self::insert_in(&mut tx, students).await?;
                tx.commit().await?;
                Ok(inserted)
            }

            async fn replace_roster(&self, students: &[$crate::domain::Student]) -> $crate::store::Result<u64> {
                let mut tx = self.pool.begin().await?;
                for table in $crate::store::sql::TABLES_CHILD_FIRST {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}"))).execute(&mut *tx).await?;
                }
                let inserted = Self::insert_in(&mut tx, students).await?;
                tx.commit().await?;
                Ok(inserted)
            }

            async fn list_students(
                &self,
                filter: &$crate::store::StudentFilter,
            ) -> $crate::store::Result<Vec<$crate::store::StudentRow>> {
                use sqlx::Row;
                let (sql, args) = $crate::store::sql::student_rows_query(filter);
                let sql = Self::q(&sql).into_owned();
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for a in args {
                    query = query.bind(a.into_owned());
                }
                let rows = query.fetch_all(&self.pool).await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let id_type: String = r.try_get(3)?;
                    let level: String = r.try_get(8)?;
                    let code_st: Option<String> = r.try_get(14)?;
                    let checked: String = r.try_get(16)?;
                    let photo_st: Option<String> = r.try_get(17)?;
                    out.push($crate::store::StudentRow {
                        id: r.try_get(0)?,
                        student: $crate::domain::Student {
                            student_no: r.try_get(1)?,
                            name: r.try_get(2)?,
                            id_type: $crate::domain::IdType::parse(&id_type)
                                .unwrap_or($crate::domain::IdType::Passport),
                            id_number: r.try_get(4)?,
                            college: r.try_get(5)?,
                            major: r.try_get(6)?,
                            class: r.try_get(7)?,
                            level: $crate::domain::Level::parse(&level)
                                .unwrap_or($crate::domain::Level::Bachelor),
                            counselor: r.try_get(9)?,
                            cohort: r.try_get(10)?,
                            gender: r.try_get(11)?,
                            phone: r.try_get(12)?,
                        },
                        withdrawn: r.try_get(13)?,
                        code_status: match code_st.as_deref() {
                            Some("active") => $crate::store::CodeStatus::Active,
                            Some(_) => $crate::store::CodeStatus::Revoked,
                            None => $crate::store::CodeStatus::None,
                        },
                        session_id: r.try_get(15)?,
                        checked_in: checked == "y",
                        photo_status: match photo_st.as_deref() {
                            Some("valid") => $crate::store::PhotoStatus::Valid,
                            Some(_) => $crate::store::PhotoStatus::Invalid,
                            None => $crate::store::PhotoStatus::Missing,
                        },
                    });
                }
                Ok(out)
            }

            async fn counts(&self) -> $crate::store::Result<$crate::store::Counts> {
                let (total, withdrawn, code_active, session_assigned, checked_in, photo_valid) =
                    sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64)>($crate::store::sql::COUNTS_QUERY)
                        .fetch_one(&self.pool)
                        .await?;
                Ok($crate::store::Counts { total, withdrawn, code_active, session_assigned, checked_in, photo_valid })
            }

            async fn get_setting(&self, name: &str) -> $crate::store::Result<Option<String>> {
                Ok(sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(
                    Self::q("SELECT value FROM settings WHERE name = ?").into_owned(),
                ))
                .bind(name.to_string())
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn set_setting(&self, name: &str, value: &str) -> $crate::store::Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(Self::q($upsert_setting).into_owned()))
                    .bind(name.to_string())
                    .bind(value.to_string())
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit(&self, entry: &$crate::store::AuditEntry) -> $crate::store::Result<()> {
                sqlx::query(sqlx::AssertSqlSafe(
                    Self::q("INSERT INTO audit_log (at, operator, action, student_no, detail) VALUES (?, ?, ?, ?, ?)")
                        .into_owned(),
                ))
                .bind($crate::store::sql::now())
                .bind(entry.operator.clone())
                .bind(entry.action.clone())
                .bind(entry.student_no.clone())
                .bind(entry.detail.clone())
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn audit_log(
                &self,
                student_no: Option<&str>,
                limit: i64,
            ) -> $crate::store::Result<Vec<$crate::store::AuditRecord>> {
                let sql = format!(
                    "SELECT id, at, operator, action, student_no, detail FROM audit_log {} ORDER BY id DESC LIMIT {}",
                    if student_no.is_some() { "WHERE student_no = ?" } else { "" },
                    limit.max(0)
                );
                let mut query = sqlx::query_as::<_, (i64, chrono::NaiveDateTime, String, String, Option<String>, String)>(
                    sqlx::AssertSqlSafe(Self::q(&sql).into_owned()),
                );
                if let Some(no) = student_no {
                    query = query.bind(no.to_string());
                }
                Ok(query
                    .fetch_all(&self.pool)
                    .await?
                    .into_iter()
                    .map(|(id, at, operator, action, student_no, detail)| $crate::store::AuditRecord {
                        id,
                        at,
                        entry: $crate::store::AuditEntry { operator, action, student_no, detail },
                    })
                    .collect())
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

pub(crate) use sql_store;

#[cfg(test)]
mod tests {
    use super::numbered_placeholders;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        let cases = [
            ("SELECT 1", "SELECT 1"),
            ("a = ? AND b = ?", "a = $1 AND b = $2"),
            ("x = '?' AND y = ?", "x = '?' AND y = $1"),
            ("VALUES (?, ?, ?)", "VALUES ($1, $2, $3)"),
        ];
        for (sql, want) in cases {
            assert_eq!(numbered_placeholders(sql), want);
        }
    }
}
