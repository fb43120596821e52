//! Files that leave the console: CSV for Chinese Excel, XLSX, and iCalendar. The writers are
//! generic (headers and rows of cells, or calendar events) so every export of caiji shares them.

pub mod csv;
pub mod ics;
pub mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

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
    #[error("cannot write {path}: {source} — check that the folder exists and is writable")]
    Io {
        path: String,
        source: std::io::Error,
    },
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

/// Writes `bytes` to a temporary file beside `path` and renames it into place, so a crash or a
/// full disk never leaves half a file under the real name.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let temp: PathBuf = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(io)
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

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_atomically(&path, b"first").unwrap();
        write_atomically(&path, b"second").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"second");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["out.csv"]);
        let err = write_atomically(&dir.path().join("missing/out.csv"), b"x").unwrap_err();
        assert!(err.to_string().contains("missing/out.csv"), "{err}");
    }
}
