//! The part of `Store` every backend shares: identity, settings and the audit log.

use async_trait::async_trait;
use sqlx::Transaction;

use super::dialect::DbTime;
use super::engine::{Engine, SqlStore, Value};
use super::rows::Rows;
use super::{
    AuditEntry, AuditRecord, Backend, CodeStore, PhotoStore, ReportStore, Result, SessionStore,
    Store, StudentStore,
};

/// Audit lines per multi-row insert.
const CHUNK: usize = 1000;

impl<DB: Engine> SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<DB::Row>,
    Option<i64>: Value<DB>,
    i32: Value<DB>,
    Option<i32>: Value<DB>,
    bool: Value<DB>,
    Option<DbTime>: Value<DB>,
    Option<String>: Value<DB>,
    String: Value<DB>,
    i64: Value<DB>,
    DbTime: Value<DB>,
{
    /// Writes audit lines inside the caller's transaction, so they commit or vanish with the
    /// change they describe.
    pub(crate) async fn audit_in(
        tx: &mut Transaction<'_, DB>,
        operator: &str,
        entries: &[(Option<String>, &str, String)],
        now: DbTime,
    ) -> Result<()> {
        for chunk in entries.chunks(CHUNK) {
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
            qb.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}

#[async_trait]
impl<DB: Engine> Store for SqlStore<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    DB::Arguments: sqlx::IntoArguments<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'n> &'n str: sqlx::ColumnIndex<DB::Row>,
    Option<i64>: Value<DB>,
    i32: Value<DB>,
    Option<i32>: Value<DB>,
    bool: Value<DB>,
    Option<DbTime>: Value<DB>,
    Option<String>: Value<DB>,
    String: Value<DB>,
    i64: Value<DB>,
    DbTime: Value<DB>,
    Self: StudentStore + CodeStore + SessionStore + PhotoStore + ReportStore,
{
    fn backend(&self) -> Backend {
        DB::BACKEND
    }

    fn display_url(&self) -> &str {
        &self.display_url
    }

    async fn get_setting(&self, name: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar::<DB, String>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql("SELECT value FROM settings WHERE name = ?")
                .into_owned(),
        ))
        .bind(name.to_string())
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<()> {
        sqlx::query::<DB>(sqlx::AssertSqlSafe(
            Self::DIALECT.sql(Self::DIALECT.upsert_setting).into_owned(),
        ))
        .bind(name.to_string())
        .bind(value.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        sqlx::query::<DB>(sqlx::AssertSqlSafe(
            Self::DIALECT
                .sql("INSERT INTO audit_log (at, operator, action, student_no, detail) VALUES (?, ?, ?, ?, ?)")
                .into_owned(),
        ))
        .bind(super::dialect::now())
        .bind(entry.operator.clone())
        .bind(entry.action.clone())
        .bind(entry.student_no.clone())
        .bind(entry.detail.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn audit_log(&self, student_no: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT id, at, operator, action, student_no, detail FROM audit_log {} ORDER BY at DESC, id DESC LIMIT {}",
            if student_no.is_some() {
                "WHERE student_no = ?"
            } else {
                ""
            },
            limit.max(0)
        );
        let mut query =
            sqlx::query::<DB>(sqlx::AssertSqlSafe(Self::DIALECT.sql(&sql).into_owned()));
        if let Some(no) = student_no {
            query = query.bind(no.to_string());
        }
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(Rows::<DB>::audit_record)
            .collect()
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
