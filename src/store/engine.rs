//! One store over any of the three engines: `SqlStore<DB>` holds the pool, and `Engine` says
//! what differs between the engines as values (the dialect of docs/data-model.md). Statements
//! that read the same on every engine are written once, generic over `DB`.

use sqlx::{Database, Decode, Encode, Pool, Type};

use super::Backend;
use super::dialect::Dialect;

/// A store on one engine: its connection pool and the URL it shows (password removed).
pub struct SqlStore<DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) display_url: String,
}

/// What caiji needs to know of an engine beyond what sqlx abstracts.
pub trait Engine: Database {
    const BACKEND: Backend;
    const DIALECT: Dialect;
    /// The server's clock, to the second, as a `DbTime`.
    const NOW: &'static str;
    /// The id the last insert on this connection made.
    const LAST_ID: &'static str;
    /// Whether `SELECT ... FOR UPDATE` locks rows (SQLite locks the whole file instead).
    const ROW_LOCKS: bool;
    /// Whether `UPDATE ... RETURNING` exists.
    const RETURNING: bool;
    /// Whether a plain check-in is one statement that claims the shot and inserts the row
    /// (docs/sessions.md): PostgreSQL's data-modifying `WITH`.
    const ONE_STATEMENT: bool;
}

impl Engine for sqlx::Sqlite {
    const BACKEND: Backend = Backend::Sqlite;
    const DIALECT: Dialect = super::dialect::SQLITE;
    const NOW: &'static str = "SELECT datetime('now')";
    const LAST_ID: &'static str = "SELECT last_insert_rowid()";
    const ROW_LOCKS: bool = false;
    const RETURNING: bool = true;
    const ONE_STATEMENT: bool = false;
}

impl Engine for sqlx::Postgres {
    const BACKEND: Backend = Backend::Postgres;
    const DIALECT: Dialect = super::dialect::POSTGRES;
    const NOW: &'static str = "SELECT date_trunc('second', now())";
    const LAST_ID: &'static str = "SELECT lastval()";
    const ROW_LOCKS: bool = true;
    const RETURNING: bool = true;
    const ONE_STATEMENT: bool = true;
}

impl Engine for sqlx::MySql {
    const BACKEND: Backend = Backend::Mysql;
    const DIALECT: Dialect = super::dialect::MYSQL;
    const NOW: &'static str = "SELECT UTC_TIMESTAMP()";
    const LAST_ID: &'static str = "SELECT CAST(LAST_INSERT_ID() AS SIGNED)";
    const ROW_LOCKS: bool = true;
    const RETURNING: bool = false;
    const ONE_STATEMENT: bool = false;
}

impl<DB: Engine> SqlStore<DB> {
    pub(crate) const DIALECT: Dialect = DB::DIALECT;
}

/// A value every engine stores and reads back.
pub trait Value<DB: Database>:
    for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + 'static
{
}

impl<DB: Database, T> Value<DB> for T where
    T: for<'q> Encode<'q, DB> + for<'r> Decode<'r, DB> + Type<DB> + Send + 'static
{
}

/// What a statement's result says, on every engine.
pub trait Done {
    fn rows_affected(&self) -> u64;
    /// The value a MySQL `UPDATE ... SET x = LAST_INSERT_ID(expr)` reports back with its result
    /// (`None` elsewhere).
    fn claimed_value(&self) -> Option<u64>;
}

impl Done for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
    fn claimed_value(&self) -> Option<u64> {
        None
    }
}

impl Done for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
    fn claimed_value(&self) -> Option<u64> {
        None
    }
}

impl Done for sqlx::mysql::MySqlQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
    fn claimed_value(&self) -> Option<u64> {
        Some(self.last_insert_id())
    }
}
