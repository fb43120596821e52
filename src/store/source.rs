//! Reading the roster straight from the school's own database (`caiji roster sync`): one
//! configured query, run inside a read-only transaction, every value turned into text so the
//! roster module validates it exactly as it validates a spreadsheet.

use std::str::FromStr;
use std::time::Duration;

use sqlx::{Column, Connection, Row};

use super::{Backend, Result, StoreError, cause_of, redact_url};

/// What the source query returned: column names and rows of text (NULL as empty).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Runs `query` on the database at `url` without being able to change it.
pub async fn read_source(url: &str, query: &str) -> Result<SourceTable> {
    let shown = redact_url(url);
    let connect_error = |e: sqlx::Error| StoreError::Connect {
        url: shown.clone(),
        reason: cause_of(&e),
    };
    let query_error = |e: sqlx::Error| StoreError::Source {
        url: shown.clone(),
        reason: cause_of(&e),
    };
    let timeout = Duration::from_secs(15);
    match Backend::from_url(url)? {
        Backend::Sqlite => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)
                .map_err(connect_error)?
                .read_only(true)
                .create_if_missing(false);
            let mut conn =
                tokio::time::timeout(timeout, sqlx::SqliteConnection::connect_with(&options))
                    .await
                    .map_err(|_| connect_error(sqlx::Error::PoolTimedOut))?
                    .map_err(connect_error)?;
            let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(query.to_string()))
                .fetch_all(&mut conn)
                .await
                .map_err(query_error)?;
            Ok(table(&rows, text))
        }
        Backend::Postgres => {
            let mut conn = tokio::time::timeout(timeout, sqlx::PgConnection::connect(url))
                .await
                .map_err(|_| connect_error(sqlx::Error::PoolTimedOut))?
                .map_err(connect_error)?;
            let mut tx = conn
                .begin_with("BEGIN READ ONLY")
                .await
                .map_err(query_error)?;
            let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(query.to_string()))
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error)?;
            tx.rollback().await.map_err(query_error)?;
            Ok(table(&rows, text))
        }
        Backend::Mysql => {
            let url = url.replacen("mariadb://", "mysql://", 1);
            let mut conn = tokio::time::timeout(timeout, sqlx::MySqlConnection::connect(&url))
                .await
                .map_err(|_| connect_error(sqlx::Error::PoolTimedOut))?
                .map_err(connect_error)?;
            let mut tx = conn
                .begin_with("START TRANSACTION READ ONLY")
                .await
                .map_err(query_error)?;
            let rows = sqlx::raw_sql(sqlx::AssertSqlSafe(query.to_string()))
                .fetch_all(&mut *tx)
                .await
                .map_err(query_error)?;
            tx.rollback().await.map_err(query_error)?;
            Ok(table(&rows, text))
        }
    }
}

fn table<R: Row>(rows: &[R], text: fn(&R, usize) -> String) -> SourceTable {
    let Some(first) = rows.first() else {
        return SourceTable::default();
    };
    let headers = first
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect::<Vec<_>>();
    let rows = rows
        .iter()
        .map(|r| (0..headers.len()).map(|i| text(r, i)).collect())
        .collect();
    SourceTable { headers, rows }
}

/// Tries the types a roster column can have, in order; NULL and anything else become "".
fn text<R>(row: &R, i: usize) -> String
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    Option<String>: Readable<R::Database>,
    Option<i64>: Readable<R::Database>,
    Option<i32>: Readable<R::Database>,
    Option<i16>: Readable<R::Database>,
    Option<f64>: Readable<R::Database>,
    Option<chrono::NaiveDate>: Readable<R::Database>,
    Option<chrono::NaiveDateTime>: Readable<R::Database>,
    Option<bool>: Readable<R::Database>,
{
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i16>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        // whole numbers (a 学号 stored as a float) print without a fraction
        return v
            .map(|v| {
                if v.fract() == 0.0 && v.abs() < 1e17 {
                    format!("{v:.0}")
                } else {
                    v.to_string()
                }
            })
            .unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<chrono::NaiveDate>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<chrono::NaiveDateTime>, _>(i) {
        return v.map(|v| v.date().to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    String::new()
}

/// A value a row's column may be read as.
trait Readable<DB: sqlx::Database>: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB> {}

impl<DB: sqlx::Database, T> Readable<DB> for T where T: for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>
{}
