//! Reading a roster: `.csv` (UTF-8, UTF-8 with BOM, GBK/GB18030, UTF-16 — detected), `.xlsx` and
//! `.xls` files, or a school database's query result, turned into validated students and reasons for
//! every rejected row.
//!
//! Readers push rows one at a time into an [`Intake`], which looks for the header among the first
//! rows and then validates each row as it arrives, so a file is never held in memory whole.
//! Nothing here touches the caiji database: the command writes the outcome with the store.

mod cells;
pub mod csv;
pub mod encoding;
mod error;
mod fields;
pub mod header;
mod sheets;
pub mod validate;
mod xls;
pub mod xlsx;

use std::cell::Cell;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;
use std::rc::Rc;

use crate::store::SourceTable;

use crate::i18n::Lang;
pub use cells::NotText;
use encoding::Start;
pub use encoding::{FileKind, TextEncoding};
pub use error::{RosterError, SheetLimit};
pub use header::{ColumnMap, Field, HeaderProblem};
pub use validate::{FooterRow, Outcome, Rejection, StudentBatches, Validator};

/// How many non-empty rows are searched for the header (title rows, notes, blank-looking rows).
pub const HEADER_SEARCH_ROWS: usize = 10;

/// Bounds that keep a huge or broken file from exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows in the file, counted as Excel numbers them (blank rows included).
    pub max_rows: u64,
    /// Bytes in one CSV record (one spreadsheet row).
    pub max_record_bytes: usize,
    /// Size of the file: a million-student roster is about 150 MB, so anything far larger is
    /// refused before it is read rather than after a million rows are held in memory.
    pub max_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_rows: 1_000_000,
            max_record_bytes: 1 << 20,
            max_file_bytes: 512 << 20,
        }
    }
}

/// One row as a reader saw it: Excel's row number, the cell texts, and cells the reader could
/// not turn into trustworthy text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRow {
    pub row: u64,
    pub cells: Vec<String>,
    pub flaws: Vec<CellFlaw>,
}

impl RawRow {
    fn is_blank(&self) -> bool {
        self.flaws.is_empty() && self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// A cell whose value cannot be used as it is; the row is rejected if the cell is a roster field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellFlaw {
    pub col: usize,
    pub kind: FlawKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlawKind {
    /// Excel stored the value as a number with more digits than a double keeps exactly.
    LostDigits { shown: String },
    /// A formula cell without a cached result (saved by a program that does not calculate).
    FormulaWithoutValue { formula: String },
    /// `#N/A`, `#REF!` …
    ExcelError { code: String },
    /// Bytes that are not UTF-8 in a file that is UTF-8 elsewhere (a row pasted in from a GBK
    /// file): read as U+FFFD.
    NotUtf8,
    /// A workbook value that is not text and not a whole number (a date, a TRUE/FALSE, a
    /// negative or fractional number), shown as `shown`: its text is used, except as a 学号.
    NotText { kind: NotText, shown: String },
}

/// How far reading has got, for a progress bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub rows: u64,
    /// Bytes (CSV) or rows (XLSX) done, out of `total`.
    pub done: u64,
    pub total: u64,
}

/// Options of `caiji import`.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Worksheet to read (XLSX, XLS); by default the first, or the one with a header row.
    pub sheet: Option<String>,
    pub limits: Limits,
    /// The language rejected rows' reasons are written in.
    pub lang: Lang,
}

/// Where rows go: first the header search, then validation.
pub struct Intake {
    file: String,
    stage: Stage,
    /// Rows the file probably holds, to size the validator's lists once.
    expected_rows: usize,
    /// The language of rejected rows' reasons.
    lang: Lang,
    /// Where the validator is to stream valid students (see `Validator::stream_to`).
    stream: Option<StudentBatches>,
}

enum Stage {
    Searching(Vec<RawRow>),
    Validating(Box<Validator>),
}

impl Intake {
    /// `file` names the roster in messages; rejected rows' reasons are in `lang`.
    pub fn new(file: &str, lang: Lang) -> Intake {
        Intake {
            file: file.to_string(),
            stage: Stage::Searching(Vec::new()),
            expected_rows: 0,
            stream: None,
            lang,
        }
    }

    /// Hands valid students to `batches` as they are checked (see `Validator::stream_to`).
    pub fn stream_to(&mut self, batches: StudentBatches) {
        self.stream = Some(batches);
    }

    /// Tells the intake roughly how many rows to expect (an estimate; more or fewer is fine).
    pub fn expect_rows(&mut self, rows: usize) {
        self.expected_rows = rows;
    }

    pub fn push(&mut self, row: &RawRow) -> Result<(), RosterError> {
        if row.is_blank() {
            return Ok(());
        }
        match &mut self.stage {
            Stage::Validating(v) => v.push(row),
            Stage::Searching(rows) => {
                rows.push(row.clone());
                if rows.len() >= HEADER_SEARCH_ROWS {
                    self.start_validating()?;
                }
            }
        }
        Ok(())
    }

    fn start_validating(&mut self) -> Result<(), RosterError> {
        let Stage::Searching(rows) = &mut self.stage else {
            return Ok(());
        };
        let rows = std::mem::take(rows);
        let (index, map) = header::find_header(&rows).map_err(|problem| RosterError::Header {
            file: self.file.clone(),
            problem,
        })?;
        let mut validator = Validator::new(map, self.lang);
        if let Some(batches) = self.stream.take() {
            validator.stream_to(batches);
        }
        validator.reserve(self.expected_rows);
        for row in &rows[index + 1..] {
            validator.push(row);
        }
        self.stage = Stage::Validating(Box::new(validator));
        Ok(())
    }

    pub fn finish(mut self) -> Result<Outcome, RosterError> {
        if let Stage::Searching(rows) = &self.stage {
            if rows.is_empty() {
                return Err(RosterError::Empty { file: self.file });
            }
            self.start_validating()?;
        }
        let Stage::Validating(validator) = self.stage else {
            return Err(RosterError::Empty { file: self.file });
        };
        let outcome = validator.finish();
        if outcome.data_rows == 0 {
            return Err(RosterError::NoStudentRows {
                file: self.file,
                header_row: outcome.header_row,
            });
        }
        Ok(outcome)
    }
}

/// Counts the bytes read through it, for progress.
pub(crate) struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// Bytes that can be read from the start again (a sniff, a delimiter guess, then the rows).
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Opens a fresh reader at the start of the roster's bytes.
type Opener<'a> = dyn Fn() -> io::Result<Box<dyn ReadSeek + 'a>> + 'a;

/// Reads and validates the roster file at `path`. `progress` is called now and then.
pub fn read_file(
    path: &Path,
    options: &ReadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, RosterError> {
    with_file(path, options, |source| source.read(progress))
}

/// As [`read_file`], but valid students go to `batches` while the file is read (see
/// `Validator::stream_to`): the outcome holds no students, and its `duplicates` must be dropped
/// from what `batches` took. When reading fails, `batches` is dropped and the error returned.
///
/// Returns None, with `batches` dropped, when a CSV file whose start is UTF-8 turns out not to be
/// UTF-8 further on: the students handed over so far were read in the wrong encoding, and
/// [`read_file`] must read the file again.
pub fn stream_file(
    path: &Path,
    options: &ReadOptions,
    progress: &mut dyn FnMut(Progress),
    batches: StudentBatches,
) -> Result<Option<Outcome>, RosterError> {
    with_file(path, options, |source| {
        source.read_as(progress, Some(batches), source.sniff_start()?)
    })
}

/// Calls `read` with the roster file at `path` (named by its path in messages).
fn with_file<T>(
    path: &Path,
    options: &ReadOptions,
    read: impl FnOnce(&Source) -> Result<T, RosterError>,
) -> Result<T, RosterError> {
    let file = path.display().to_string();
    let open_error = |e: io::Error| RosterError::Open {
        file: file.clone(),
        reason: io_reason(&e),
    };
    // a regular file only: a FIFO, a device or a folder is refused before it is opened, and
    // never waited on (docs/files.md)
    let size = crate::files::open_input(path)
        .and_then(|f| f.metadata())
        .map_err(open_error)?
        .len();
    let open =
        || -> io::Result<Box<dyn ReadSeek>> { Ok(Box::new(crate::files::open_input(path)?)) };
    read(&Source {
        file: &file,
        size,
        open: &open,
        options,
    })
}

/// Reads and validates a roster held in memory, exactly as [`read_file`] reads a file with
/// these bytes (`file` names it in messages). For tests and the fuzz targets.
pub fn read_bytes(
    bytes: &[u8],
    file: &str,
    options: &ReadOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, RosterError> {
    let open = || -> io::Result<Box<dyn ReadSeek + '_>> { Ok(Box::new(io::Cursor::new(bytes))) };
    Source {
        file,
        size: bytes.len() as u64,
        open: &open,
        options,
    }
    .read(progress)
}

/// A roster's bytes: named `file` in messages, `size` bytes long, read from the start by `open`.
struct Source<'s, 'a> {
    file: &'s str,
    size: u64,
    open: &'s Opener<'a>,
    options: &'s ReadOptions,
}

impl<'a> Source<'_, 'a> {
    fn read(&self, progress: &mut dyn FnMut(Progress)) -> Result<Outcome, RosterError> {
        let mut start = self.sniff_start()?;
        loop {
            match self.read_as(progress, None, start)? {
                Some(outcome) => return Ok(outcome),
                // UTF-8 at the start but not further on: the whole file says how to read it
                None => start = Start::Settled(self.sniff(encoding::sniff)?),
            }
        }
    }

    /// What the start of the roster says it is; a file over the size limit is refused first.
    fn sniff_start(&self) -> Result<Start, RosterError> {
        let limit = self.options.limits.max_file_bytes;
        if self.size > limit {
            return Err(RosterError::FileTooLarge {
                file: self.file.to_string(),
                size: self.size,
                limit,
            });
        }
        self.sniff(encoding::sniff_start)
    }

    fn sniff<T>(
        &self,
        look: impl FnOnce(BufReader<Box<dyn ReadSeek + 'a>>) -> io::Result<T>,
    ) -> Result<T, RosterError> {
        let open_error = |e: io::Error| RosterError::Open {
            file: self.file.to_string(),
            reason: io_reason(&e),
        };
        look(BufReader::new((self.open)().map_err(open_error)?)).map_err(open_error)
    }

    /// Reads the roster as `start` says. Returns None when `start` was [`Start::Utf8SoFar`] and a
    /// record further on is not UTF-8; nothing of that record was handed on.
    fn read_as(
        &self,
        progress: &mut dyn FnMut(Progress),
        stream: Option<StudentBatches>,
        start: Start,
    ) -> Result<Option<Outcome>, RosterError> {
        let Source {
            file,
            size,
            open: open_raw,
            options,
        } = *self;
        let file = file.to_string();
        let open_error = |e: io::Error| RosterError::Open {
            file: file.clone(),
            reason: io_reason(&e),
        };
        let kind = start.kind();
        let mut intake = Intake::new(&file, options.lang);
        if let Some(batches) = stream {
            intake.stream_to(batches);
        }
        match kind {
            FileKind::Empty => return Err(RosterError::Empty { file }),
            FileKind::Binary => return Err(RosterError::NotTabular { file }),
            FileKind::OleContainer => {
                if size > xls::MAX_XLS_BYTES {
                    return Err(RosterError::FileTooLarge {
                        file,
                        size,
                        limit: xls::MAX_XLS_BYTES,
                    });
                }
                let reader = open_raw().map_err(open_error)?;
                xls::read_rows(
                    reader,
                    &file,
                    options,
                    &mut |row| intake.push(row),
                    progress,
                )?
            }
            FileKind::Zip => {
                let reader = open_raw().map_err(open_error)?;
                xlsx::read_rows(
                    reader,
                    &file,
                    options,
                    &mut |row| intake.push(row),
                    progress,
                )?
            }
            FileKind::Text { encoding, bom_len } => {
                if options.sheet.is_some() {
                    return Err(RosterError::SheetOfCsv { file });
                }
                let total = size;
                // Every roster row holds at least an 18-character ID number and eight other fields:
                // one row per 64 bytes over-counts a little, which costs only unused address space.
                intake.expect_rows((size / 64).min(options.limits.max_rows) as usize);
                let count = Rc::new(Cell::new(0));
                let open = || -> Result<Box<dyn Read + '_>, RosterError> {
                    let mut raw = open_raw().map_err(open_error)?;
                    io::copy(&mut (&mut raw).take(bom_len as u64), &mut io::sink())
                        .map_err(open_error)?;
                    let counted = Counted {
                        inner: raw,
                        count: count.clone(),
                    };
                    Ok(match encoding::codec(encoding) {
                        None => Box::new(counted),
                        Some(codec) => Box::new(encoding::DecodingReader::new(counted, codec)),
                    })
                };
                let delimiter = csv::sniff_delimiter(open()?).map_err(open_error)?;
                count.set(0);
                let source = csv::CsvSource {
                    delimiter,
                    limits: options.limits,
                    file: &file,
                    total,
                    bytes_read: count.clone(),
                    stop_at_broken_utf8: start == Start::Utf8SoFar,
                };
                if let csv::Finished::BrokenUtf8 { .. } =
                    source.read_rows(open()?, &mut |row| intake.push(row), progress)?
                {
                    return Ok(None);
                }
            }
        }
        intake.finish().map(Some)
    }
}

/// Validates the rows a `[roster.source]` query returned. Rows are numbered from 1 in the order
/// the query returned them.
pub fn read_table(table: &SourceTable, label: &str, lang: Lang) -> Result<Outcome, RosterError> {
    let map =
        header::map_columns(&table.headers, 0, false).map_err(|problem| RosterError::Header {
            file: label.to_string(),
            problem,
        })?;
    let mut validator = Validator::new(map, lang);
    let mut raw = RawRow::default();
    for (i, cells) in table.rows.iter().enumerate() {
        raw.row = i as u64 + 1;
        raw.cells.clone_from(cells);
        validator.push(&raw);
    }
    Ok(validator.finish())
}

/// The OS error without the "(os error 2)" suffix.
fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn raw(row: u64, cells: &[&str]) -> RawRow {
        RawRow {
            row,
            cells: cells.iter().map(|c| c.to_string()).collect(),
            flaws: Vec::new(),
        }
    }

    #[test]
    fn intake_errors() {
        assert_eq!(
            Intake::new("a.csv", Lang::En).finish().unwrap_err(),
            RosterError::Empty {
                file: "a.csv".into()
            }
        );

        let mut blank_only = Intake::new("a.csv", Lang::En);
        blank_only.push(&raw(1, &["", " "])).unwrap();
        assert_eq!(
            blank_only.finish().unwrap_err(),
            RosterError::Empty {
                file: "a.csv".into()
            }
        );

        let mut headers_only = Intake::new("a.csv", Lang::En);
        headers_only.push(&raw(1, &["名单"])).unwrap();
        headers_only
            .push(&raw(
                2,
                &[
                    "学号",
                    "姓名",
                    "证件号码",
                    "学院",
                    "专业",
                    "班级",
                    "层次",
                    "辅导员",
                    "毕业年份",
                ],
            ))
            .unwrap();
        headers_only.push(&raw(3, &["", ""])).unwrap();
        let err = headers_only.finish().unwrap_err();
        assert_eq!(
            err,
            RosterError::NoStudentRows {
                file: "a.csv".into(),
                header_row: 2
            }
        );
        assert_eq!(
            err.message(Lang::En),
            "a.csv: no student rows below the header (row 2)"
        );
    }

    #[test]
    fn header_search_stops_after_ten_rows() {
        let mut intake = Intake::new("a.csv", Lang::En);
        let mut result = Ok(());
        for n in 1..=HEADER_SEARCH_ROWS as u64 {
            result = intake.push(&raw(n, &["2022001", "张三"]));
        }
        assert_eq!(
            result.unwrap_err(),
            RosterError::Header {
                file: "a.csv".into(),
                problem: HeaderProblem::NotFound {
                    searched: HEADER_SEARCH_ROWS
                }
            }
        );
    }

    #[test]
    fn messages_are_in_both_languages() {
        let errors = [
            RosterError::Empty { file: "f".into() },
            RosterError::NotTabular { file: "f".into() },
            RosterError::Encrypted { file: "f".into() },
            RosterError::TooManyRows {
                file: "f".into(),
                limit: 10,
            },
            RosterError::FileTooLarge {
                file: "f".into(),
                size: 1 << 30,
                limit: 512 << 20,
            },
            RosterError::RecordTooLong {
                file: "f".into(),
                row: 3,
                limit: 1 << 20,
            },
            RosterError::Header {
                file: "f".into(),
                problem: HeaderProblem::Missing {
                    header_row: 2,
                    missing: vec![Field::Major, Field::Cohort],
                },
            },
            RosterError::SheetLimit {
                file: "f".into(),
                sheet: "名单".into(),
                at: "ZZZZZZZ3".into(),
                limit: SheetLimit::Columns(16_384),
            },
            RosterError::RowTwice {
                file: "f".into(),
                sheet: "名单".into(),
                row: 2,
            },
            RosterError::CellTwice {
                file: "f".into(),
                sheet: "名单".into(),
                cell: "B2".into(),
            },
            RosterError::ChooseSheet {
                file: "f".into(),
                sheets: vec!["说明".into(), "名单".into()],
                with_header: vec![],
            },
            RosterError::BrokenXls {
                file: "f".into(),
                reason: "x".into(),
            },
        ];
        let han = |s: &str| s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c));
        for e in &errors {
            assert!(han(&e.message(Lang::Zh)), "{e:?}");
            assert!(e.message(Lang::En).starts_with('f'), "{e:?}");
        }
        let missing = errors[6].message(Lang::En);
        assert!(
            missing.contains("专业 (major), 毕业年份 (cohort)"),
            "{missing}"
        );
        assert!(
            errors[5]
                .message(Lang::En)
                .contains("row 3 is longer than 1 MiB")
        );
        assert!(
            errors[4]
                .message(Lang::En)
                .starts_with("f is 1024 MiB, more than a roster file can be (512 MiB")
        );
        assert_eq!(
            errors[7].message(Lang::En),
            "f, sheet '名单', at ZZZZZZZ3: it lies past column XFD, Excel's last (16384 columns); nothing was imported — this does not look like a roster: check it in Excel, or save the sheet as CSV and import that"
        );
        assert!(
            errors[8]
                .message(Lang::En)
                .starts_with("f, sheet '名单': row 2 appears twice")
        );
        assert!(
            errors[10]
                .message(Lang::En)
                .contains("none of its sheets (说明, 名单) has a header row")
        );
    }
}
