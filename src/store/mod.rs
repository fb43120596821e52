//! Storage: one trait, one implementation per backend, chosen from the database URL.
//! All SQL of the program lives under this module.

mod codes;
mod core;
pub(crate) mod dialect;
mod engine;
mod mysql;
mod packed;
mod photos;
mod postgres;
mod reports;
mod rows;
mod sessions;
mod source;
mod sqlite;
mod sqlite_fill;
// the one module with `unsafe` code: SQLite's C interface (docs/architecture.md)
#[allow(unsafe_code)]
mod sqlite_raw;
pub(crate) mod students;
mod write_conn;

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::Student;

pub use codes::{CodeRecord, CodeState, CodeStore, CodeTargets, IssueSummary, TokenMaker};
pub use mysql::MySqlStore;
pub use packed::PackedStudents;
pub use photos::{
    ApplySummary, LAST_RECONCILE_SETTING, PhotoFileStatus, PhotoFilter, PhotoMatchKeys,
    PhotoRecord, PhotoRow, PhotoStore,
};
pub use postgres::PgStore;
pub use reports::{AuditFilter, DailyProgress, GroupBy, GroupCounts, ReportStore};
pub use sessions::{
    AssignSummary, CheckinOutcome, CheckinRecord, CheckinStatus, CheckinStudent, LabelledShot,
    NewSession, PlanKind, ScheduleGroup, SessionRow, SessionStore, SessionStudent,
    SessionWithStudents, Stamp, StudentSelection, TokenLookup, UnassignSummary,
};
pub use source::{SourceTable, read_source};
pub use sqlite::{SqliteStore, remove_unused_sqlite_file};
pub use sqlite_fill::RosterFill;
pub use students::{ImportOptions, ImportSummary, KeySink, StudentKey, StudentSink, StudentStore};

/// The database engines caiji runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

impl Backend {
    /// Picks the backend from the URL scheme, or explains which schemes exist.
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        let scheme = url
            .split_once(':')
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default();
        match scheme.as_str() {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "mysql" | "mariadb" => Ok(Backend::Mysql),
            _ => Err(StoreError::UnknownScheme {
                url: redact_url(url),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
            Backend::Mysql => "MySQL/MariaDB",
        }
    }
}

/// Why a server refused or could not be reached, as data (the faces word it: `crate::words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cause {
    /// The server did not answer within this long.
    NoAnswerWithin(std::time::Duration),
    /// The server's (or the network's) own message.
    Said(String),
}

/// Errors from the storage layer, as data. Each reads as a single line that says what to do,
/// in the interface language: the words are the faces' (`crate::words`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    UnknownScheme {
        url: String,
    },
    Connect {
        url: String,
        reason: Cause,
    },
    Open {
        path: String,
        reason: String,
    },
    Corrupt {
        url: String,
        reason: String,
    },
    SchemaTooNew {
        found: i64,
        known: i64,
    },
    Source {
        url: String,
        reason: Cause,
    },
    /// No student has this 学号.
    NoStudent(String),
    /// The student with this 学号 has no active code to revoke.
    NoActiveCode(String),
    /// A listing the caller stopped: its sink took no more rows (a closed output).
    Stopped,
    Token(String),
    Migrate(String),
    NoSuchSession(i64),
    OverCapacity {
        session: String,
        room: i64,
        wanted: i64,
    },
    PlanOutdated {
        students: usize,
    },
    /// SQLite refused a statement run on its raw handle (bulk import, roster streaming): a
    /// problem with the statement or the file, never a lost connection, so nothing retries it.
    Sqlite(String),
    Query(#[from] sqlx::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    /// The connection to the database server went away (a restart, a network drop), which a
    /// fresh connection a moment later may well get past.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, StoreError::Query(e) if is_connection_lost(e))
    }
}

pub(crate) fn is_connection_lost(err: &sqlx::Error) -> bool {
    matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::Protocol(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed
    )
}

/// Removes a password from a URL before it is shown or logged.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _password)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    None,
    Active,
    Revoked,
}

impl CodeStatus {
    pub fn code(self) -> &'static str {
        match self {
            CodeStatus::None => "none",
            CodeStatus::Active => "active",
            CodeStatus::Revoked => "revoked",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoStatus {
    Missing,
    Valid,
    Invalid,
    /// Several files and none chosen yet (the same word on every screen, in `students list` and
    /// in reports: docs/console.md).
    Duplicate,
}

impl PhotoStatus {
    pub fn code(self) -> &'static str {
        match self {
            PhotoStatus::Missing => "missing",
            PhotoStatus::Valid => "valid",
            PhotoStatus::Invalid => "invalid",
            PhotoStatus::Duplicate => "duplicate",
        }
    }

    /// The student's photo state from the best status among their files (`valid` wins, then
    /// `invalid`, then `duplicate`: what `MAX(status)` picks in every engine).
    pub fn from_best_file(status: Option<&str>) -> PhotoStatus {
        match status {
            Some("valid") => PhotoStatus::Valid,
            Some("duplicate") => PhotoStatus::Duplicate,
            Some(_) => PhotoStatus::Invalid,
            None => PhotoStatus::Missing,
        }
    }
}

/// A student with the progress of their collection, as lists and the console show it.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentRow {
    pub id: i64,
    pub student: Student,
    pub withdrawn: bool,
    pub code_status: CodeStatus,
    pub session_id: Option<i64>,
    pub checked_in: bool,
    pub photo_status: PhotoStatus,
}

impl StudentRow {
    /// The collection progress of the student, as the missing-filters see it.
    pub fn progress(&self) -> crate::domain::search::Progress {
        crate::domain::search::Progress {
            code_active: self.code_status == CodeStatus::Active,
            in_session: self.session_id.is_some(),
            checked_in: self.checked_in,
            photo_valid: self.photo_status == PhotoStatus::Valid,
        }
    }
}

/// Narrows `list_students`; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct StudentFilter {
    pub college: Option<String>,
    pub class: Option<String>,
    pub counselor: Option<String>,
    pub cohort: Option<i32>,
    pub include_withdrawn: bool,
}

/// Roster-wide totals for headers and status bars (withdrawn students excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub total: i64,
    pub withdrawn: i64,
    pub code_active: i64,
    pub session_assigned: i64,
    pub checked_in: i64,
    pub photo_valid: i64,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub operator: String,
    pub action: String,
    pub student_no: Option<String>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub entry: AuditEntry,
}

/// Everything caiji keeps, whatever the engine underneath. Each area of the product has its own
/// trait (one file each under `store/`); `Store` gathers them with what every backend shares.
#[async_trait]
pub trait Store:
    StudentStore + CodeStore + SessionStore + PhotoStore + ReportStore + Send + Sync
{
    fn backend(&self) -> Backend;
    /// The URL with any password removed, for status bars and messages.
    fn display_url(&self) -> &str;

    async fn get_setting(&self, name: &str) -> Result<Option<String>>;
    async fn set_setting(&self, name: &str, value: &str) -> Result<()>;

    async fn audit(&self, entry: &AuditEntry) -> Result<()>;
    /// The newest `limit` audit entries (latest first), of one student or of all.
    async fn audit_log(&self, student_no: Option<&str>, limit: i64) -> Result<Vec<AuditRecord>>;

    async fn close(&self);
}

impl fmt::Debug for dyn Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Store({})", self.display_url())
    }
}

/// How `open` treats a server database that does not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Create the database when missing (`caiji init`, `caiji demo`).
    IfMissing,
    /// Fail with a clear message when missing.
    Never,
}

/// Opens the database at `url`, creating the SQLite file or (with `Create::IfMissing`) the server
/// database if needed, and brings the schema up to date.
pub async fn open(url: &str, create: Create) -> Result<Box<dyn Store>> {
    match Backend::from_url(url)? {
        Backend::Sqlite => Ok(Box::new(SqliteStore::open(url).await?)),
        Backend::Postgres => Ok(Box::new(PgStore::open(url, create).await?)),
        Backend::Mysql => Ok(Box::new(MySqlStore::open(url, create).await?)),
    }
}

/// How long a PostgreSQL or MySQL query waits for a connection before it fails: short enough
/// that a console or a station says "unreachable" soon after the server goes away (and tries
/// again), long enough for a busy server.
pub(crate) const SERVER_ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Attempts at bringing the schema up to date before giving up (about 12 seconds in all).
const MIGRATE_ATTEMPTS: u64 = 16;

/// Runs the migrations, again after a short wait when they fail for another reason than the
/// schema itself: two stations opening a new database at the same moment race to record the
/// first migration (MySQL: a duplicate key, or "partially applied" while the winner is still
/// creating tables; SQLite: a locked file), and the loser only has to look again, once the
/// winner is done, to find the work done.
async fn migrate_retrying<F, Fut>(url: &str, known: i64, mut run: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<(), sqlx::migrate::MigrateError>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        match run().await.map_err(|e| migrate_error(url, known, e)) {
            Err(StoreError::Migrate(_)) if attempt < MIGRATE_ATTEMPTS => {
                tokio::time::sleep(std::time::Duration::from_millis((100 * attempt).min(1000)))
                    .await;
            }
            other => return other,
        }
    }
}

/// Maps sqlx's migration errors onto messages a user can act on.
fn migrate_error(url: &str, known: i64, err: sqlx::migrate::MigrateError) -> StoreError {
    use sqlx::migrate::MigrateError as M;
    match err {
        M::VersionMissing(found) | M::VersionTooNew(found, _) => {
            StoreError::SchemaTooNew { found, known }
        }
        M::Execute(sqlx::Error::Database(db)) if is_corruption(db.message()) => {
            StoreError::Corrupt {
                url: redact_url(url),
                reason: db.message().to_string(),
            }
        }
        other => StoreError::Migrate(other.to_string()),
    }
}

fn is_corruption(message: &str) -> bool {
    message.contains("file is not a database") || message.contains("malformed")
}

/// What a sqlx error says, as data: the server's own message when there is one.
pub(crate) fn cause_of(err: &sqlx::Error) -> Cause {
    match err {
        sqlx::Error::Database(db) => Cause::Said(db.message().to_string()),
        sqlx::Error::PoolTimedOut => Cause::NoAnswerWithin(SERVER_ACQUIRE_TIMEOUT),
        sqlx::Error::Io(io) => Cause::Said(io.to_string()),
        other => Cause::Said(other.to_string()),
    }
}

/// A point inside a write where the fault tests stop the process on purpose. When
/// `CAIJI_TEST_HOLD` names this point, the process creates the file `CAIJI_TEST_HOLD_MARK`
/// names and waits there (at most two minutes), so that a test can kill it at a moment it has
/// observed instead of one it guessed. Unset (always, outside the tests), it costs one lookup.
pub(crate) async fn test_hold(point: &str) {
    if std::env::var_os("CAIJI_TEST_HOLD").is_none_or(|p| p != point) {
        return;
    }
    if let Some(mark) = std::env::var_os("CAIJI_TEST_HOLD_MARK") {
        let _ = std::fs::write(mark, point);
    }
    tokio::time::sleep(std::time::Duration::from_secs(120)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_from_url() {
        let cases = [
            ("sqlite:///tmp/x.db", Some(Backend::Sqlite)),
            ("sqlite::memory:", Some(Backend::Sqlite)),
            ("postgres://u@h/db", Some(Backend::Postgres)),
            ("postgresql://u@h/db", Some(Backend::Postgres)),
            ("mysql://root@127.0.0.1/test", Some(Backend::Mysql)),
            ("mariadb://root@127.0.0.1/test", Some(Backend::Mysql)),
            ("MySQL://root@h/t", Some(Backend::Mysql)),
            ("oracle://scott@h/db", None),
            ("caiji.db", None),
            ("", None),
        ];
        for (url, want) in cases {
            assert_eq!(Backend::from_url(url).ok(), want, "{url}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact_url("sqlite:///a/b.db"), "sqlite:///a/b.db");
    }
}
