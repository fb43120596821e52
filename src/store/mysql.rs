//! The MySQL / MariaDB backend: a school server shared by several stations.

use std::time::Duration;

use sqlx::migrate::MigrateDatabase;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};

use super::{migrate_error, redact_url, Create, Result, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/mysql");

pub struct MySqlStore {
    pub(crate) pool: MySqlPool,
    pub(crate) display_url: String,
}

impl MySqlStore {
    pub(crate) const DIALECT: super::dialect::Dialect = super::dialect::MYSQL;

    pub async fn open(url: &str, create: Create) -> Result<MySqlStore> {
        // `mariadb://` is accepted as a friendlier spelling; the driver only knows `mysql://`.
        let url = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("mariadb") => format!("mysql://{rest}"),
            _ => url.to_string(),
        };
        let display_url = redact_url(&url);
        let connect_error = |e: sqlx::Error| StoreError::Connect { url: display_url.clone(), reason: super::sql_reason(&e) };
        if create == Create::IfMissing && !sqlx::MySql::database_exists(&url).await.map_err(connect_error)? {
            sqlx::MySql::create_database(&url).await.map_err(connect_error)?;
        }
        let pool = MySqlPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(&url)
            .await
            .map_err(connect_error)?;
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        MIGRATOR.run(&pool).await.map_err(|e| migrate_error(&url, known, e))?;
        Ok(MySqlStore { pool, display_url })
    }
}

