//! What differs between the SQL engines, in one place. Queries everywhere else are written once,
//! with `?` placeholders, and pass through `Dialect::sql`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

/// The differences between SQLite, PostgreSQL and MySQL that caiji's SQL runs into.
pub struct Dialect {
    /// PostgreSQL wants `$1, $2, ...` instead of `?`.
    pub numbered: bool,
    /// Insert-or-replace of a setting.
    pub upsert_setting: &'static str,
    /// How a transaction that reads and then writes begins: SQLite must take the write lock at
    /// once (`BEGIN IMMEDIATE`) or two writers deadlock on the upgrade.
    pub begin_write: &'static str,
    /// Taken first in a roster import so two imports at once run one after the other.
    pub lock_roster: Option<&'static str>,
    /// The quarter hour a timestamp column falls in, counted from 1970-01-01 00:00 UTC
    /// (`{}` is the column). Every zone's offset is a whole number of quarter hours, so all of
    /// one quarter falls on the same local day, whatever zone the reader is in.
    pub quarter_of: &'static str,
}

impl Dialect {
    /// `quarter_of` applied to `column`.
    pub fn quarter(&self, column: &str) -> String {
        self.quarter_of.replace("{}", column)
    }
}

impl Dialect {
    pub fn sql<'a>(&self, sql: &'a str) -> Cow<'a, str> {
        if self.numbered {
            Cow::Owned(numbered_placeholders(sql))
        } else {
            Cow::Borrowed(sql)
        }
    }
}

pub(crate) const SQLITE: Dialect = Dialect {
    numbered: false,
    upsert_setting: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    begin_write: "BEGIN IMMEDIATE",
    lock_roster: None,
    // times are stored as 'YYYY-MM-DD HH:MM:SS' text in UTC
    quarter_of: "(CAST(strftime('%s', {}) AS INTEGER) / 900)",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    numbered: true,
    upsert_setting: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    begin_write: "BEGIN",
    lock_roster: Some(LOCK_ROSTER_ROW),
    quarter_of: "CAST(FLOOR(EXTRACT(EPOCH FROM {}) / 900) AS BIGINT)",
};

pub(crate) const MYSQL: Dialect = Dialect {
    numbered: false,
    upsert_setting: "INSERT INTO settings (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)",
    begin_write: "BEGIN",
    lock_roster: Some(LOCK_ROSTER_ROW),
    // DATETIME holding UTC: the difference to the epoch involves no zone
    quarter_of: "CAST(FLOOR(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', {}) / 900) AS SIGNED)",
};

/// An exclusive lock on one row: unlike gap locks on an empty table, it cannot be shared, so two
/// imports queue instead of deadlocking on their inserts.
const LOCK_ROSTER_ROW: &str = "SELECT name FROM locks WHERE name = 'roster' FOR UPDATE";

/// Rewrites `?` placeholders as `$n` (PostgreSQL). Question marks inside quotes are left alone.
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    let mut in_quote = false;
    for c in sql.chars() {
        match c {
            '\'' => {
                in_quote = !in_quote;
                out.push(c);
            }
            '?' if !in_quote => {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            }
            _ => out.push(c),
        }
    }
    out
}

/// Now, to the second, as every `*_at` column records it (UTC; docs/time.md).
pub(crate) fn now() -> DbTime {
    DbTime(crate::clock::now())
}

/// A moment as the database holds it: UTC, whatever zone the writing process runs in
/// (docs/time.md). PostgreSQL keeps it as `timestamptz`; MySQL as a `DATETIME` holding UTC (the
/// driver sets each connection's `time_zone` to `+00:00`); SQLite as `YYYY-MM-DD HH:MM:SS` text
/// in UTC, the form of SQLite's own date functions, so text order is time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DbTime(pub DateTime<Utc>);

impl From<DateTime<Utc>> for DbTime {
    fn from(t: DateTime<Utc>) -> DbTime {
        DbTime(t)
    }
}

impl From<DbTime> for DateTime<Utc> {
    fn from(t: DbTime) -> DateTime<Utc> {
        t.0
    }
}

/// The text SQLite stores for a moment.
pub(crate) fn sqlite_text(t: DateTime<Utc>) -> String {
    t.format("%F %T").to_string()
}

mod db_time {
    use super::DbTime;
    use chrono::{DateTime, NaiveDateTime, Utc};
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::{Decode, Encode, MySql, Postgres, Sqlite, Type};

    impl Type<Sqlite> for DbTime {
        fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
            <DateTime<Utc> as Type<Sqlite>>::type_info()
        }
        fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
            <DateTime<Utc> as Type<Sqlite>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, Sqlite> for DbTime {
        fn encode_by_ref(
            &self,
            buf: &mut <Sqlite as sqlx::Database>::ArgumentBuffer,
        ) -> Result<IsNull, BoxDynError> {
            <String as Encode<'q, Sqlite>>::encode(super::sqlite_text(self.0), buf)
        }
    }

    impl<'r> Decode<'r, Sqlite> for DbTime {
        fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
            // Text without an offset is UTC; text with one (written by another program) is
            // read as the moment it names.
            Ok(DbTime(<DateTime<Utc> as Decode<'r, Sqlite>>::decode(
                value,
            )?))
        }
    }

    // PostgreSQL: as chrono's own `DateTime<Utc>` (a `timestamptz`).
    impl Type<Postgres> for DbTime {
        fn type_info() -> sqlx::postgres::PgTypeInfo {
            <DateTime<Utc> as Type<Postgres>>::type_info()
        }
        fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
            <DateTime<Utc> as Type<Postgres>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, Postgres> for DbTime {
        fn encode_by_ref(
            &self,
            buf: &mut <Postgres as sqlx::Database>::ArgumentBuffer,
        ) -> Result<IsNull, BoxDynError> {
            <DateTime<Utc> as Encode<'q, Postgres>>::encode_by_ref(&self.0, buf)
        }
    }

    impl<'r> Decode<'r, Postgres> for DbTime {
        fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(DbTime(<DateTime<Utc> as Decode<'r, Postgres>>::decode(
                value,
            )?))
        }
    }

    // MySQL: sent as a DATETIME of the UTC wall clock. The driver's own `DateTime<Utc>` goes as
    // a TIMESTAMP, which the server turns into NULL after 2038 (a session planned far ahead).
    impl Type<MySql> for DbTime {
        fn type_info() -> sqlx::mysql::MySqlTypeInfo {
            <NaiveDateTime as Type<MySql>>::type_info()
        }
        fn compatible(ty: &sqlx::mysql::MySqlTypeInfo) -> bool {
            <DateTime<Utc> as Type<MySql>>::compatible(ty)
        }
    }

    impl<'q> Encode<'q, MySql> for DbTime {
        fn encode_by_ref(
            &self,
            buf: &mut <MySql as sqlx::Database>::ArgumentBuffer,
        ) -> Result<IsNull, BoxDynError> {
            <NaiveDateTime as Encode<'q, MySql>>::encode(self.0.naive_utc(), buf)
        }
    }

    impl<'r> Decode<'r, MySql> for DbTime {
        fn decode(value: sqlx::mysql::MySqlValueRef<'r>) -> Result<Self, BoxDynError> {
            Ok(DbTime(<DateTime<Utc> as Decode<'r, MySql>>::decode(value)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        let cases = [
            ("SELECT 1", "SELECT 1"),
            ("a = ? AND b = ?", "a = $1 AND b = $2"),
            ("x = '?' AND y = ?", "x = '?' AND y = $1"),
            ("VALUES (?, ?, ?)", "VALUES ($1, $2, $3)"),
        ];
        for (sql, want) in cases {
            assert_eq!(numbered_placeholders(sql), want);
        }
    }
}
