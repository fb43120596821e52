//! What differs between the SQL engines, in one place. Queries everywhere else are written once,
//! with `?` placeholders, and pass through `Dialect::sql`.

use std::borrow::Cow;

use chrono::{Local, NaiveDateTime};

/// The differences between SQLite, PostgreSQL and MySQL that caiji's SQL runs into.
pub(crate) struct Dialect {
    /// PostgreSQL wants `$1, $2, ...` instead of `?`.
    pub numbered: bool,
    /// Insert-or-replace of a setting.
    pub upsert_setting: &'static str,
    /// How a transaction that reads and then writes begins: SQLite must take the write lock at
    /// once (`BEGIN IMMEDIATE`) or two writers deadlock on the upgrade.
    pub begin_write: &'static str,
    /// Taken first in a roster import so two imports at once run one after the other.
    pub lock_roster: Option<&'static str>,
    /// The day of a timestamp column as `YYYY-MM-DD` text (`{}` is the column).
    pub day_of: &'static str,
}

impl Dialect {
    /// `day_of` applied to `column`.
    pub fn day(&self, column: &str) -> String {
        self.day_of.replace("{}", column)
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
    // times are stored as 'YYYY-MM-DD HH:MM:SS' text
    day_of: "substr({}, 1, 10)",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    numbered: true,
    upsert_setting: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    begin_write: "BEGIN",
    lock_roster: Some(LOCK_ROSTER_ROW),
    day_of: "to_char({}, 'YYYY-MM-DD')",
};

pub(crate) const MYSQL: Dialect = Dialect {
    numbered: false,
    upsert_setting: "INSERT INTO settings (name, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value)",
    begin_write: "BEGIN",
    lock_roster: Some(LOCK_ROSTER_ROW),
    day_of: "DATE_FORMAT({}, '%Y-%m-%d')",
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

/// Current local time, to the second: what every `*_at` column records.
pub(crate) fn now() -> NaiveDateTime {
    use chrono::Timelike;
    let t = Local::now().naive_local();
    t.with_nanosecond(0).unwrap_or(t)
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
