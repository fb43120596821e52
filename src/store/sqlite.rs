//! The embedded SQLite backend: one file for one machine, WAL, busy timeout, foreign keys.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Result, StoreError, migrate_retrying, redact_url};

pub(super) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// Page size of the SQLite files caiji creates (an existing file keeps its own). Larger than
/// SQLite's 4 KiB default: a roster of 100,000 students is written and indexed about a fifth
/// faster, and a check-in still changes only a few pages.
pub(super) const PAGE_SIZE: u32 = 16 * 1024;

/// The store on an SQLite file.
pub type SqliteStore = super::engine::SqlStore<sqlx::Sqlite>;

impl SqliteStore {
    /// Opens (creating if needed) the SQLite database at `url` and migrates it.
    pub async fn open(url: &str) -> Result<SqliteStore> {
        let display_url = redact_url(url);
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Open {
                path: display_url.clone(),
                reason: e.to_string(),
            })?
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        create_private_file(options.get_filename(), url);
        // A new file being set up by another process (WAL switch, first migration) answers
        // "database is locked" without waiting: wait a little and try again.
        let mut attempt = 0u64;
        let pool = loop {
            attempt += 1;
            let opened = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(15))
                .connect_with(options.clone())
                .await
                .map_err(|e| open_error(&display_url, e));
            match opened {
                Err(StoreError::Open { reason, .. })
                    if reason.contains("locked") && attempt < 20 =>
                {
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                other => break other?,
            }
        };
        let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
        // Migrations run on a connection taken out of the pool and closed afterwards, so a
        // migration that stops half-way (some switch foreign keys off around a table rebuild)
        // cannot hand a connection in that state to the rest of the program.
        migrate_retrying(url, known, || async {
            use sqlx::Connection;
            let mut conn = pool
                .acquire()
                .await
                .map_err(sqlx::migrate::MigrateError::Execute)?
                .detach();
            let result = MIGRATOR.run(&mut conn).await;
            let _ = conn.close().await;
            result
        })
        .await?;
        Ok(SqliteStore { pool, display_url })
    }
}

/// Creates the database file `0600` before SQLite does (SQLite would make it `0644` less the
/// umask): it holds every student's full ID number. SQLite gives the `-wal` and `-shm` files it
/// makes beside it the same mode as the database file. An existing file is left as it is.
pub(super) fn create_private_file(path: &std::path::Path, url: &str) {
    let in_memory = path.as_os_str() == ":memory:" || url.contains("mode=memory");
    if !in_memory && !path.as_os_str().is_empty() && std::fs::symlink_metadata(path).is_err() {
        // another process may create it at the same moment: either way the file is there; a
        // folder that cannot be written is reported by SQLite's own open
        let _ = crate::files::create_private(path);
    }
}

/// Removes the SQLite file at `path`, made by an import that then stored nothing, unless another
/// process has it open. Call it once every connection of this process to it is closed: SQLite
/// removes the `-wal` and `-shm` files beside a database when its last connection anywhere
/// closes, so their presence means another process is using it, and it is left alone. Returns
/// whether the file was removed.
pub fn remove_unused_sqlite_file(path: &std::path::Path) -> bool {
    let beside = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    let in_use = ["-wal", "-shm", "-journal"]
        .iter()
        .any(|suffix| std::fs::symlink_metadata(beside(suffix)).is_ok());
    !in_use && std::fs::remove_file(path).is_ok()
}

fn open_error(url: &str, err: sqlx::Error) -> StoreError {
    let reason = match &err {
        sqlx::Error::Database(db) => db.message().to_string(),
        other => other.to_string(),
    };
    if super::is_corruption(&reason) {
        StoreError::Corrupt {
            url: url.to_string(),
            reason,
        }
    } else {
        StoreError::Open {
            path: url.to_string(),
            reason,
        }
    }
}
