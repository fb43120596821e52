//! The PostgreSQL backend: a school server shared by several stations.

use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{migrate_error, redact_url, Create, Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

pub struct PgStore {
    pub(crate) pool: PgPool,
    pub(crate) display_url: String,
}

impl PgStore {
    pub(crate) const DIALECT: super::dialect::Dialect = super::dialect::POSTGRES;

    pub async fn open(url: &str, create: Create) -> Result<PgStore> {
        let display_url = redact_url(url);
        let connect_error = |e: sqlx::Error| StoreError::Connect { url: display_url.clone(), reason: super::sql_reason(&e) };
        if create == Create::IfMissing && !sqlx::Postgres::database_exists(url).await.map_err(connect_error)? {
            sqlx::Postgres::create_database(url).await.map_err(connect_error)?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(connect_error)?;
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        MIGRATOR.run(&pool).await.map_err(|e| migrate_error(url, known, e))?;
        Ok(PgStore { pool, display_url })
    }
}

