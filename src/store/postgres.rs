//! The PostgreSQL backend: a school server shared by several stations.

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::PgPoolOptions;

use super::{Create, Result, StoreError, migrate_retrying, redact_url};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// The store on a PostgreSQL server.
pub type PgStore = super::engine::SqlStore<sqlx::Postgres>;

impl PgStore {
    pub async fn open(url: &str, create: Create) -> Result<PgStore> {
        let display_url = redact_url(url);
        let connect_error = |e: sqlx::Error| StoreError::Connect {
            url: display_url.clone(),
            reason: super::cause_of(&e),
        };
        if create == Create::IfMissing
            && !sqlx::Postgres::database_exists(url)
                .await
                .map_err(connect_error)?
        {
            sqlx::Postgres::create_database(url)
                .await
                .map_err(connect_error)?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(super::SERVER_ACQUIRE_TIMEOUT)
            .connect(url)
            .await
            .map_err(connect_error)?;
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        migrate_retrying(url, known, || MIGRATOR.run(&pool)).await?;
        Ok(PgStore { pool, display_url })
    }
}
