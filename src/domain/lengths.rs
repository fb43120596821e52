//! The longest text each stored field may hold, in characters: one rule per field, checked where
//! the text comes in (the roster validator, the command line) so that every backend stores all
//! that is accepted — the MySQL/MariaDB columns are at least this wide (`migrations/mysql`), the
//! PostgreSQL and SQLite ones are TEXT. See `docs/roster.md`, "Field lengths".

/// 学号.
pub const STUDENT_NO: usize = 32;
/// 姓名 (docs/roster.md).
pub const NAME: usize = 50;
/// 学院, 专业, 班级 and 辅导员 (a counselor cell may name two people, or add a phone number).
pub const ROSTER_TEXT: usize = 100;
/// The operator written to the audit log with every change (`--operator`, `CAIJI_OPERATOR`).
pub const OPERATOR: usize = 64;
/// A check-in station's name (`--station`, `CAIJI_STATION`).
pub const STATION: usize = 64;
/// A session's title and location.
pub const SESSION_TEXT: usize = 200;
/// The reason given for revoking or reissuing a code.
pub const REASON: usize = 500;

/// A command-line value refused for its length: `what` (the option) has `count` characters,
/// more than `max` (`Display` words it: `crate::words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLong {
    pub what: String,
    pub count: usize,
    pub max: usize,
}

impl std::error::Error for TooLong {}

/// Whether `text`, given as `what`, is longer than `max` characters.
pub fn too_long(what: &str, text: &str, max: usize) -> Option<TooLong> {
    let count = text.chars().count();
    (count > max).then(|| TooLong {
        what: what.to_string(),
        count,
        max,
    })
}
