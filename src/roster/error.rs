//! Why a roster could not be read at all, as opposed to rows being rejected: every message names
//! the file (and, in a workbook, the sheet and cell) and says what to do.

use super::header::HeaderProblem;

/// Why a roster could not be read at all (as opposed to rows being rejected). Every message
/// names the file and says what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RosterError {
    Open {
        file: String,
        reason: String,
    },
    Empty {
        file: String,
    },
    NotTabular {
        file: String,
    },
    /// An OLE container that is not an `.xls` workbook: an `.xlsx` saved with a password.
    Encrypted {
        file: String,
    },
    NotWorkbook {
        file: String,
        reason: String,
    },
    /// An OLE container calamine cannot read as an `.xls` workbook.
    BrokenXls {
        file: String,
        reason: String,
    },
    NoSuchSheet {
        file: String,
        sheet: String,
        sheets: Vec<String>,
    },
    SheetOfCsv {
        file: String,
    },
    Header {
        file: String,
        problem: HeaderProblem,
    },
    NoStudentRows {
        file: String,
        header_row: u64,
    },
    TooManyRows {
        file: String,
        limit: u64,
    },
    FileTooLarge {
        file: String,
        size: u64,
        limit: u64,
    },
    RecordTooLong {
        file: String,
        row: u64,
        limit: usize,
    },
    TooManyColumns {
        file: String,
        row: u64,
        limit: usize,
    },
    /// A workbook part over one of the limits that keep a crafted file from exhausting memory.
    SheetLimit {
        file: String,
        /// The sheet, or the part (`xl/sharedStrings.xml`) when the limit is not a sheet's.
        sheet: String,
        /// The cell (`B5`), the row (`5`) or the shared string (`#12`) where it was met.
        at: String,
        limit: SheetLimit,
    },
    /// Two `<row>` elements for one row, or rows out of order: a damaged sheet.
    RowTwice {
        file: String,
        sheet: String,
        row: u64,
    },
    /// Two cells at one position, or a cell outside its row: a damaged sheet.
    CellTwice {
        file: String,
        sheet: String,
        cell: String,
    },
    /// No sheet without `--sheet` could be chosen: the first has no header and not exactly one
    /// other sheet has one.
    ChooseSheet {
        file: String,
        /// Every sheet of the workbook.
        sheets: Vec<String>,
        /// The sheets that have a header row (none, or several).
        with_header: Vec<String>,
    },
}

/// Which limit a workbook went past (see `docs/roster.md`, "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetLimit {
    /// One cell's text, in bytes.
    CellBytes(usize),
    /// One row's text, in bytes (as a CSV record).
    RowBytes(usize),
    /// Excel's last column, XFD (16,384 columns).
    Columns(usize),
    /// Rows (as a CSV file's).
    Rows(u64),
    /// One shared string, in bytes.
    SharedStringBytes(usize),
    /// The whole shared-strings table, in bytes.
    SharedStringsBytes(usize),
    /// Entries of the shared-strings table.
    SharedStrings(usize),
    /// A part read whole (workbook, relationships, styles), in bytes.
    PartBytes(usize),
    /// Entries of the zip archive.
    ZipEntries(u64),
}

impl std::error::Error for RosterError {}
