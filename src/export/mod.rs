//! Files that leave the console: CSV for Chinese Excel, XLSX, and iCalendar. The writers are
//! generic (headers and rows of cells, or calendar events) so every export of caiji shares them.

pub mod csv;
pub mod ics;
pub mod xlsx;

use std::path::Path;

/// One cell of a table. Numbers stay numbers in XLSX (and are never taken for formulas in CSV).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Float(f64),
    /// A fraction (0.875) that spreadsheets show as a percentage (87.5%).
    Percent(f64),
}

impl Cell {
    /// The cell as plain text (CSV, widths).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Cell::Text(s) => std::borrow::Cow::Borrowed(s),
            Cell::Int(n) => std::borrow::Cow::Owned(n.to_string()),
            Cell::Float(x) => std::borrow::Cow::Owned(x.to_string()),
            Cell::Percent(x) => std::borrow::Cow::Owned(format!("{:.1}%", x * 100.0)),
        }
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Cell {
        Cell::Int(i64::from(n))
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Cell {
        Cell::Int(i64::from(n))
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Float(x)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    File(#[from] crate::files::OutputError),
    #[error("cannot build the spreadsheet {path}: {reason}")]
    Xlsx { path: String, reason: String },
    #[error(
        "{rows} rows do not fit one Excel sheet (at most 1,048,575 below the header); export CSV instead or narrow the selection"
    )]
    TooManyRows { rows: usize },
}

/// Which format a file name asks for, by its extension (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
    Ics,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(FileKind::Csv),
            "xlsx" => Some(FileKind::Xlsx),
            "ics" | "ical" | "ifb" => Some(FileKind::Ics),
            _ => None,
        }
    }
}

/// Writes an export to `path` through the one output helper (`crate::files::write`): replaced
/// whole or not at all, created 0600, a FIFO or device written in place, a link never replaced.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    Ok(crate::files::write(path, bytes)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kind_follows_the_extension() {
        let cases = [
            ("schedule.csv", Some(FileKind::Csv)),
            ("排期.XLSX", Some(FileKind::Xlsx)),
            ("cal.ics", Some(FileKind::Ics)),
            ("notes.txt", None),
            ("noext", None),
        ];
        for (name, want) in cases {
            assert_eq!(FileKind::of(Path::new(name)), want, "{name}");
        }
    }
}
