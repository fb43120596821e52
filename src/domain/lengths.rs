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

/// Why a command-line value was refused: `what` (the option) is longer than `max` characters.
pub fn too_long(what: &str, text: &str, max: usize) -> Option<String> {
    let count = text.chars().count();
    (count > max).then(|| match crate::i18n::lang() {
        crate::i18n::Lang::Zh => {
            format!("{what} 有 {count} 个字符，最多 {max} 个；请缩短后再试")
        }
        crate::i18n::Lang::En => {
            format!("{what} has {count} characters, at most {max} are allowed; shorten it")
        }
    })
}
