//! The roster in the database: inserting, importing, listing and counting students.

use async_trait::async_trait;

use super::dialect::DbTime;
use super::engine::{Done, Engine, SqlStore, Value};
use super::rows::Rows;
use super::{Counts, Result, SqliteStore, StudentFilter, StudentRow};
use crate::domain::Student;

/// Outcome of an import or sync (the JSON summary of docs/cli.md without the rejected rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub withdrawn: u64,
}

/// How an incoming roster is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions<'a> {
    /// Students absent from the incoming roster are marked withdrawn (`roster sync`).
    pub full_sync: bool,
    /// Work everything out, write nothing.
    pub dry_run: bool,
    pub operator: &'a str,
    /// Where the roster came from, for the audit log (file name or "sync").
    pub source: &'a str,
}

/// Receives streamed students; an error stops the stream.
pub type StudentSink<'a> = &'a mut (dyn FnMut(StudentRow) -> Result<()> + Send);

/// The fields a search looks at, without the student's status: cheap to read for every row.
/// The texts are borrowed from the database driver's row and valid only during the call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudentKey<'r> {
    pub id: i64,
    pub student_no: &'r str,
    pub name: &'r str,
    pub class: &'r str,
    pub college: &'r str,
    pub counselor: &'r str,
}

/// Receives streamed search keys; an error stops the stream.
pub type KeySink<'a> = &'a mut (dyn for<'r> FnMut(StudentKey<'r>) -> Result<()> + Send);

/// Ids per `students_by_id` query: short enough for every engine's statement limits.
pub(crate) const IDS_PER_QUERY: usize = 1000;

#[async_trait]
pub trait StudentStore {
    /// Number of students (withdrawn included); 0 means an empty roster.
    async fn student_count(&self) -> Result<i64>;
    /// Inserts new students in one transaction. Fails without changes if any 学号 exists.
    async fn insert_students(&self, students: &[Student]) -> Result<u64>;
    /// Empties every table and inserts `students`, in one transaction (`demo --force`).
    async fn replace_roster(&self, students: &[Student]) -> Result<u64>;
    /// Applies a validated roster in one transaction: new students inserted, changed ones updated
    /// and audited, unchanged ones untouched, and with `full_sync` absent ones withdrawn.
    async fn import_roster(
        &self,
        students: &[Student],
        options: ImportOptions<'_>,
    ) -> Result<ImportSummary>;
    /// Begins an import into the roster that stores students while the file is still read, or
    /// returns None when the roster holds students or the backend stores a roster only once it
    /// has been read whole (PostgreSQL, MySQL): then `import_roster` applies it. SQLite's is the
    /// one way every import into an empty roster goes (docs/roster.md).
    async fn begin_roster_fill(&self) -> Result<Option<crate::store::RosterFill>>;
    /// Students with their status, ordered by 学号.
    async fn list_students(&self, filter: &StudentFilter) -> Result<Vec<StudentRow>> {
        let mut out = Vec::new();
        self.for_each_student(filter, &mut |row| {
            out.push(row);
            Ok(())
        })
        .await?;
        Ok(out)
    }
    /// Streams the students of `list_students` to `sink` one by one, without holding them all.
    async fn for_each_student(&self, filter: &StudentFilter, sink: StudentSink<'_>) -> Result<u64>;
    /// Streams the searched fields of the students `filter` picks, in 学号 order, without joining
    /// their status: a one-off search scores these and fetches whole rows for its hits only.
    async fn for_each_student_key(&self, filter: &StudentFilter, sink: KeySink<'_>) -> Result<u64>;
    /// The students with these ids, with their status, in no particular order; ids that name
    /// nobody are left out.
    async fn students_by_id(&self, ids: &[i64]) -> Result<Vec<StudentRow>>;
    /// The first `limit` students of `list_students` (same order, same columns), in one query
    /// that looks each status up per student: the page the console draws before the whole roster
    /// is in (docs/console.md, "The first screen").
    async fn first_students(&self, filter: &StudentFilter, limit: u32) -> Result<Vec<StudentRow>>;
    /// Roster-wide totals (withdrawn students are counted apart).
    async fn counts(&self) -> Result<Counts>;
}

pub(crate) const STUDENT_COLUMNS: &str = "student_no, name, id_type, id_number, college, major, class_name, level, \
     counselor, cohort, gender, phone, withdrawn, created_at, updated_at";

/// Students joined with the state of their code, session, check-in and photo.
/// Statuses come back as text so every engine returns the same types.
pub(crate) fn student_rows_query(filter: &StudentFilter) -> (String, Vec<String>) {
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
    let args = push_filter(filter, &mut sql);
    sql.push_str(" ORDER BY s.student_no");
    (sql, args)
}

/// The search keys of the students `filter` picks, in 学号 order (one table, no joins).
pub(crate) fn student_keys_query(filter: &StudentFilter) -> (String, Vec<String>) {
    let mut sql = String::from(
        "SELECT s.id, s.student_no, s.name, s.class_name, s.college, s.counselor FROM students s WHERE 1 = 1",
    );
    let args = push_filter(filter, &mut sql);
    sql.push_str(" ORDER BY s.student_no");
    (sql, args)
}

/// The columns of `student_rows_query` with each status looked up per student, up to the
/// `WHERE` of the students wanted.
const STUDENT_ROWS_ONE_BY_ONE: &str = "SELECT s.id, s.student_no, s.name, s.id_type, s.id_number, s.college, s.major, s.class_name, \
     s.level, s.counselor, s.cohort, s.gender, s.phone, s.withdrawn, \
     (SELECT MIN(status) FROM codes WHERE student_id = s.id) AS code_st, \
     (SELECT MAX(session_id) FROM assignments WHERE student_id = s.id) AS session_id, \
     CASE WHEN EXISTS (SELECT 1 FROM checkins WHERE student_id = s.id) THEN 'y' ELSE 'n' END AS checked, \
     (SELECT MAX(status) FROM photos WHERE student_id = s.id) AS photo_st \
     FROM students s WHERE";

/// The columns of `student_rows_query` for the students with these ids. Each status is looked up
/// per student through its index, which is cheap for a few thousand rows (the roster-wide query
/// instead groups each status table once). The ids are integers, written into the statement.
pub(crate) fn students_by_id_query(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    format!(
        "{STUDENT_ROWS_ONE_BY_ONE} s.id IN ({})",
        if list.is_empty() {
            "NULL".to_string()
        } else {
            list.join(", ")
        }
    )
}

/// The columns of `student_rows_query` for the first `limit` students `filter` picks, in 学号
/// order. Like `students_by_id_query` each status is looked up per student, so the engine walks
/// the 学号 index and stops after `limit` rows instead of grouping every status table.
pub(crate) fn first_students_query(filter: &StudentFilter, limit: u32) -> (String, Vec<String>) {
    let mut sql = format!("{STUDENT_ROWS_ONE_BY_ONE} 1 = 1");
    let args = push_filter(filter, &mut sql);
    // an integer: safe to inline, like the cohort
    sql.push_str(&format!(" ORDER BY s.student_no LIMIT {limit}"));
    (sql, args)
}

/// Appends the filter's conditions (after a `WHERE`) and returns their text arguments.
fn push_filter(filter: &StudentFilter, sql: &mut String) -> Vec<String> {
    let mut args = Vec::new();
    for (column, value) in [
        ("s.college", &filter.college),
        ("s.class_name", &filter.class),
        ("s.counselor", &filter.counselor),
    ] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            args.push(v.clone());
        }
    }
    if let Some(cohort) = filter.cohort {
        // an integer: safe to inline, and keeps the argument list all-text
        sql.push_str(&format!(" AND s.cohort = {cohort}"));
    }
    if !filter.include_withdrawn {
        sql.push_str(" AND s.withdrawn = FALSE");
    }
    args
}

pub(crate) const COUNTS_QUERY: &str = "SELECT \
     COUNT(CASE WHEN s.withdrawn = FALSE THEN 1 END) AS total, \
     COUNT(CASE WHEN s.withdrawn = TRUE THEN 1 END) AS withdrawn, \
     COUNT(CASE WHEN s.withdrawn = FALSE AND c.student_id IS NOT NULL THEN 1 END) AS code_active, \
     COUNT(CASE WHEN s.withdrawn = FALSE AND a.student_id IS NOT NULL THEN 1 END) AS session_assigned, \
     COUNT(CASE WHEN s.withdrawn = FALSE AND k.student_id IS NOT NULL THEN 1 END) AS checked_in, \
     COUNT(CASE WHEN s.withdrawn = FALSE AND p.student_id IS NOT NULL THEN 1 END) AS photo_valid \
     FROM students s \
     LEFT JOIN (SELECT DISTINCT student_id FROM codes WHERE status = 'active') c ON c.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM assignments) a ON a.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM checkins) k ON k.student_id = s.id \
     LEFT JOIN (SELECT DISTINCT student_id FROM photos WHERE status = 'valid') p ON p.student_id = s.id";

/// Tables in an order that deleting from them one by one never breaks a foreign key.
pub(crate) const TABLES_CHILD_FIRST: [&str; 7] = [
    "checkins",
    "assignments",
    "photos",
    "codes",
    "sessions",
    "audit_log",
    "students",
];

/// Rows per multi-VALUES insert: large enough to be fast, small enough for every engine's
/// bind-parameter limit (15 columns × 1,000 rows).
pub(crate) const INSERT_CHUNK: usize = 1000;

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
    /// Every student with the columns an import compares.
    async fn existing_in(
        tx: &mut sqlx::Transaction<'_, DB>,
    ) -> Result<Vec<crate::domain::roster::Existing>> {
        let rows = sqlx::query(
            "SELECT id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, \
             cohort, gender, phone, withdrawn FROM students",
        )
        .fetch_all(&mut **tx)
        .await?;
        rows.iter().map(Rows::<DB>::existing).collect()
    }
}

#[async_trait]
impl<DB> StudentStore for SqlStore<DB>
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
    Self: Bulk<DB>,
{
    async fn begin_roster_fill(&self) -> Result<Option<crate::store::RosterFill>> {
        self.begin_fill().await
    }

    async fn student_count(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM students")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn insert_students(&self, students: &[Student]) -> Result<u64> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        let refs: Vec<&Student> = students.iter().collect();
        let inserted = Self::insert_in(&mut tx, &refs).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    async fn replace_roster(&self, students: &[Student]) -> Result<u64> {
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(Self::DIALECT.begin_write).await?;
        for table in TABLES_CHILD_FIRST {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        let refs: Vec<&Student> = students.iter().collect();
        let inserted = Self::insert_in(&mut tx, &refs).await?;
        tx.commit().await?;
        Ok(inserted)
    }

    async fn import_roster(
        &self,
        students: &[Student],
        options: ImportOptions<'_>,
    ) -> Result<ImportSummary> {
        use crate::domain::roster::{merged, plan_import};
        let d = &Self::DIALECT;
        let mut conn = crate::store::write_conn::WriteConn::acquire(&self.pool).await?;
        let mut tx = conn.begin(d.begin_write).await?;
        if let Some(lock) = d.lock_roster {
            sqlx::query(lock).execute(&mut *tx).await?;
        }
        let existing = Self::existing_in(&mut tx).await?;
        let plan = plan_import(&existing, students, options.full_sync);
        let summary = ImportSummary {
            inserted: plan.inserts.len() as u64,
            updated: plan.updates.len() as u64,
            unchanged: plan.unchanged as u64,
            withdrawn: plan.withdraw.len() as u64,
        };
        if options.dry_run {
            tx.rollback().await?;
            return Ok(summary);
        }
        let now = crate::store::dialect::now();
        let inserts: Vec<&Student> = plan.inserts.iter().map(|&i| &students[i]).collect();
        Self::insert_in(&mut tx, &inserts).await?;

        let by_id: std::collections::HashMap<i64, &Student> =
            existing.iter().map(|e| (e.id, &e.student)).collect();
        let update_sql = d.sql(
            "UPDATE students SET name = ?, id_type = ?, id_number = ?, college = ?, major = ?, class_name = ?, \
             level = ?, counselor = ?, cohort = ?, gender = ?, phone = ?, withdrawn = FALSE, updated_at = ? \
             WHERE id = ?",
        )
        .into_owned();
        let mut audit: Vec<(Option<String>, &'static str, String)> = Vec::new();
        for u in &plan.updates {
            let new = match by_id.get(&u.id) {
                Some(old) => merged(old, &students[u.incoming]),
                None => students[u.incoming].clone(),
            };
            sqlx::query(sqlx::AssertSqlSafe(update_sql.clone()))
                .bind(new.name.clone())
                .bind(new.id_type.code())
                .bind(new.id_number.clone())
                .bind(new.college.clone())
                .bind(new.major.clone())
                .bind(new.class.clone())
                .bind(new.level.code())
                .bind(new.counselor.clone())
                .bind(new.cohort)
                .bind(new.gender.clone())
                .bind(new.phone.clone())
                .bind(now)
                .bind(u.id)
                .execute(&mut *tx)
                .await?;
            let action = if u.restored { "restore" } else { "update" };
            audit.push((Some(new.student_no.clone()), action, u.describe()));
        }
        for chunk in plan.withdraw.chunks(INSERT_CHUNK) {
            let mut qb = sqlx::QueryBuilder::<DB>::new(
                "UPDATE students SET withdrawn = TRUE, updated_at = ",
            );
            qb.push_bind(now).push(" WHERE id IN (");
            let mut ids = qb.separated(", ");
            for (id, _) in chunk {
                ids.push_bind(*id);
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }
        for (_, no) in &plan.withdraw {
            audit.push((
                Some(no.clone()),
                "withdraw",
                format!("absent from {}", options.source),
            ));
        }
        audit.push((
            None,
            if options.full_sync {
                "roster_sync"
            } else {
                "import"
            },
            format!(
                "{}: inserted {}, updated {}, unchanged {}, withdrawn {}",
                options.source,
                summary.inserted,
                summary.updated,
                summary.unchanged,
                summary.withdrawn
            ),
        ));
        Self::audit_in(&mut tx, options.operator, &audit, now).await?;
        crate::store::test_hold("import_before_commit").await;
        tx.commit().await?;
        Ok(summary)
    }

    async fn for_each_student(&self, filter: &StudentFilter, sink: StudentSink<'_>) -> Result<u64> {
        let (sql, args) = student_rows_query(filter);
        self.stream_rows(&sql, &args, sink).await
    }

    async fn for_each_student_key(&self, filter: &StudentFilter, sink: KeySink<'_>) -> Result<u64> {
        self.stream_keys(filter, sink).await
    }

    async fn students_by_id(&self, ids: &[i64]) -> Result<Vec<StudentRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(IDS_PER_QUERY) {
            self.stream_rows(&students_by_id_query(chunk), &[], &mut |row| {
                out.push(row);
                Ok(())
            })
            .await?;
        }
        Ok(out)
    }

    async fn first_students(&self, filter: &StudentFilter, limit: u32) -> Result<Vec<StudentRow>> {
        let (sql, args) = first_students_query(filter, limit);
        let mut out = Vec::with_capacity(limit as usize);
        self.stream_rows(&sql, &args, &mut |row| {
            out.push(row);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    async fn counts(&self) -> Result<Counts> {
        let row = sqlx::query::<DB>(COUNTS_QUERY)
            .fetch_one(&self.pool)
            .await?;
        Rows::<DB>::counts(&row)
    }
}

/// Streams and inserts students through sqlx (PostgreSQL, MySQL).
#[async_trait]
impl<DB> Bulk<DB> for SqlStore<DB>
where
    DB: Engine + Streamed,
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
    for<'r> &'r str: sqlx::Decode<'r, DB>,
{
    /// A server stores a roster once it has been read whole (`import_roster`).
    async fn begin_fill(&self) -> Result<Option<crate::store::RosterFill>> {
        Ok(None)
    }

    /// Multi-VALUES inserts of `INSERT_CHUNK` rows inside the caller's transaction.
    async fn insert_in(tx: &mut sqlx::Transaction<'_, DB>, students: &[&Student]) -> Result<u64> {
        let now = crate::store::dialect::now();
        let mut inserted = 0;
        for chunk in students.chunks(INSERT_CHUNK) {
            let mut qb =
                sqlx::QueryBuilder::<DB>::new(format!("INSERT INTO students ({STUDENT_COLUMNS}) "));
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

    /// Streams the student rows of `sql` (the columns of `student_rows_query`).
    async fn stream_rows(&self, sql: &str, args: &[String], sink: StudentSink<'_>) -> Result<u64> {
        use futures_util::TryStreamExt;
        let sql = Self::DIALECT.sql(sql).into_owned();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in args {
            query = query.bind(a.clone());
        }
        let mut rows = query.fetch(&self.pool);
        let mut count = 0;
        while let Some(r) = rows.try_next().await? {
            count += 1;
            sink(Rows::<DB>::student_row(&r)?)?;
        }
        Ok(count)
    }

    /// Streams the search keys of the students `filter` picks.
    async fn stream_keys(&self, filter: &StudentFilter, sink: KeySink<'_>) -> Result<u64> {
        use futures_util::TryStreamExt;
        let (sql, args) = student_keys_query(filter);
        let sql = Self::DIALECT.sql(&sql).into_owned();
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for a in args {
            query = query.bind(a);
        }
        let mut rows = query.fetch(&self.pool);
        let mut count = 0;
        while let Some(r) = rows.try_next().await? {
            count += 1;
            sink(Rows::<DB>::student_key(&r)?)?;
        }
        Ok(count)
    }
}

/// SQLite reads and writes the roster on the connection's own handle (see `sqlite_raw`).
#[async_trait]
impl Bulk<sqlx::Sqlite> for SqliteStore {
    async fn begin_fill(&self) -> Result<Option<crate::store::RosterFill>> {
        self.open_fill().await
    }

    /// SQLite inserts on the connection's own handle, inside the caller's transaction.
    async fn insert_in(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        students: &[&Student],
    ) -> Result<u64> {
        let now = crate::store::dialect::sqlite_text(crate::clock::now());
        let mut handle = tx.lock_handle().await?;
        crate::store::sqlite_raw::blocking(|| {
            crate::store::sqlite_raw::insert_students(&mut handle, students, &now)
        })
    }

    async fn stream_rows(&self, sql: &str, args: &[String], sink: StudentSink<'_>) -> Result<u64> {
        let mut conn = self.pool.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        crate::store::sqlite_raw::blocking(|| {
            crate::store::sqlite_raw::stream_students(&mut handle, sql, args, sink)
        })
    }

    /// The search keys, read on the connection's own handle as the rows are.
    async fn stream_keys(&self, filter: &StudentFilter, sink: KeySink<'_>) -> Result<u64> {
        let (sql, args) = student_keys_query(filter);
        let mut conn = self.pool.acquire().await?;
        let mut handle = conn.lock_handle().await?;
        crate::store::sqlite_raw::blocking(|| {
            crate::store::sqlite_raw::stream_keys(&mut handle, &sql, &args, sink)
        })
    }
}

/// How an engine inserts and streams students: through sqlx on a server, on the connection's
/// own handle on SQLite.
#[async_trait]
pub(crate) trait Bulk<DB: sqlx::Database> {
    /// The scratch-file fill of an empty roster (docs/roster.md), where the engine has one.
    async fn begin_fill(&self) -> Result<Option<crate::store::RosterFill>>;
    /// Inserts `students` inside the caller's transaction.
    async fn insert_in(tx: &mut sqlx::Transaction<'_, DB>, students: &[&Student]) -> Result<u64>;
    /// Streams the rows of a student query to `sink`.
    async fn stream_rows(&self, sql: &str, args: &[String], sink: StudentSink<'_>) -> Result<u64>;
    /// Streams the search keys of `filter`'s students to `sink`.
    async fn stream_keys(&self, filter: &StudentFilter, sink: KeySink<'_>) -> Result<u64>;
}

/// The engines whose students go through sqlx's own statements and streams.
pub(crate) trait Streamed {}
impl Streamed for sqlx::Postgres {}
impl Streamed for sqlx::MySql {}
