//! The MySQL / MariaDB backend: a school server shared by several stations.

use sqlx::migrate::MigrateDatabase;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};

use super::{Create, Result, StoreError, migrate_retrying, redact_url};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/mysql");

/// The store on a MySQL or MariaDB server.
pub type MySqlStore = super::engine::SqlStore<sqlx::MySql>;

impl MySqlStore {
    pub async fn open(url: &str, create: Create) -> Result<MySqlStore> {
        // `mariadb://` is accepted as a friendlier spelling; the driver only knows `mysql://`.
        let url = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mariadb") => {
                format!("mysql://{rest}")
            }
            _ => url.to_string(),
        };
        let display_url = redact_url(&url);
        let connect_error = |e: sqlx::Error| StoreError::Connect {
            url: display_url.clone(),
            reason: super::cause_of(&e),
        };
        if create == Create::IfMissing
            && !sqlx::MySql::database_exists(&url)
                .await
                .map_err(connect_error)?
        {
            sqlx::MySql::create_database(&url)
                .await
                .map_err(connect_error)?;
        }
        let pool = MySqlPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(super::SERVER_ACQUIRE_TIMEOUT)
            .connect(&url)
            .await
            .map_err(connect_error)?;
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        migrate_retrying(&url, known, || migrate_locked(&pool)).await?;
        Ok(MySqlStore { pool, display_url })
    }
}

/// Seconds a station waits for another one that is bringing the same database's schema up to
/// date before it looks again.
const MIGRATE_LOCK_SECONDS: i64 = 30;

/// The server lock's name, one per database; MySQL refuses names over 64 characters, so a long
/// database name is cut (two databases sharing the cut name only wait for each other).
const MIGRATE_LOCK_NAME: &str = "LEFT(CONCAT('caiji.migrate.', DATABASE()), 64)";

/// Runs the migrations while holding a named server lock on one connection. sqlx takes its own
/// lock with an infinite timeout (`GET_LOCK(name, -1)`), which MariaDB does not know: it answers
/// NULL and locks nothing, so two stations opening a new database at once could both start, and
/// the second could take the first's half-done migration for a finished one and carry on
/// without tables.
async fn migrate_locked(pool: &MySqlPool) -> std::result::Result<(), sqlx::migrate::MigrateError> {
    use sqlx::migrate::MigrateError;
    let mut conn = pool.acquire().await.map_err(MigrateError::Execute)?;
    let got: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT GET_LOCK({MIGRATE_LOCK_NAME}, ?)"
    )))
    .bind(MIGRATE_LOCK_SECONDS)
    .fetch_one(&mut *conn)
    .await
    .map_err(MigrateError::Execute)?;
    if got != Some(1) {
        return Err(MigrateError::Source(
            "another station is still setting up this database".into(),
        ));
    }
    let result = MIGRATOR.run(&mut *conn).await;
    let released = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT RELEASE_LOCK({MIGRATE_LOCK_NAME})"
    )))
    .execute(&mut *conn)
    .await;
    result?;
    released.map(|_| ()).map_err(MigrateError::Execute)
}
