//! Reading `.xls` workbooks (Excel 97–2003, still what WPS and many offices save) with calamine,
//! into the same rows the `.xlsx` reader makes: the same sheet choice, the same numbers
//! recovered or flagged, the same values that are no 学号 (see `docs/roster.md`, "Workbooks").
//!
//! An `.xls` file holds at most 65,536 rows of 256 columns, and calamine reads it whole: the
//! file's size is bounded instead ([`MAX_XLS_BYTES`]).

use std::io::BufReader;

use calamine::{Data, Range, Reader, Xls, XlsError};

use super::cells::{self, NotText};
use super::{CellFlaw, FlawKind, Progress, RawRow, ReadOptions, ReadSeek, RosterError, SheetLimit};

/// A roster of 65,536 students saved as `.xls` is about 15 MB.
pub const MAX_XLS_BYTES: u64 = 64 << 20;

/// Reads the chosen sheet (see `sheets::choose`) and hands each row to `sink`.
pub(crate) fn read_rows(
    reader: Box<dyn ReadSeek + '_>,
    file: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(&RawRow) -> Result<(), RosterError>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RosterError> {
    let mut book = Xls::new(BufReader::new(reader)).map_err(|e| xls_error(file, e))?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(RosterError::Empty {
            file: file.to_string(),
        });
    }
    let mut range_of = |i: usize| -> Result<Range<Data>, RosterError> {
        book.worksheet_range(&names[i])
            .map_err(|e| xls_error(file, e))
    };
    let index = super::sheets::choose(file, &names, options.sheet.as_deref(), &mut |i| {
        let mut rows = Vec::new();
        for_each_row(&range_of(i)?, file, &names[i], options, &mut |row| {
            if !row.is_blank() {
                rows.push(row.clone());
            }
            Ok(rows.len() < super::HEADER_SEARCH_ROWS)
        })?;
        Ok(rows)
    })?;
    let range = range_of(index)?;
    let total = u64::from(range.end().map_or(0, |(r, _)| r + 1));
    for_each_row(&range, file, &names[index], options, &mut |row| {
        if row.row % 4096 == 0 {
            progress(Progress {
                rows: row.row,
                done: row.row,
                total,
            });
        }
        sink(row).map(|()| true)
    })
}

fn xls_error(file: &str, e: XlsError) -> RosterError {
    // an OLE file without a workbook stream: an .xlsx encrypted with a password (calamine's
    // container error is not public: it is known by its words)
    let no_workbook_stream =
        matches!(&e, XlsError::Cfb(cfb) if cfb.to_string().starts_with("Cannot find"));
    if matches!(e, XlsError::Password) || no_workbook_stream {
        return RosterError::Encrypted {
            file: file.to_string(),
        };
    }
    RosterError::BrokenXls {
        file: file.to_string(),
        reason: e.to_string(),
    }
}

/// Calls `sink` with each row of `range` (blank rows between are not handed on), until it
/// returns false.
fn for_each_row(
    range: &Range<Data>,
    file: &str,
    sheet: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(&RawRow) -> Result<bool, RosterError>,
) -> Result<(), RosterError> {
    let Some((first_row, first_col)) = range.start() else {
        return Ok(());
    };
    let limits = options.limits;
    let mut row = RawRow::default();
    let mut row_bytes = 0usize;
    for (r, c, value) in range.used_cells() {
        let number = u64::from(first_row) + r as u64 + 1;
        if number != row.row {
            if row.row != 0 && !sink(&row)? {
                return Ok(());
            }
            if number > limits.max_rows {
                return Err(RosterError::TooManyRows {
                    file: file.to_string(),
                    limit: limits.max_rows,
                });
            }
            row.row = number;
            row.cells.clear();
            row.flaws.clear();
            row_bytes = 0;
        }
        let col = first_col as usize + c;
        let (text, flaw) = cell_text(value);
        if text.is_empty() && flaw.is_none() {
            continue;
        }
        row_bytes += text.len();
        if row_bytes > limits.max_record_bytes {
            return Err(RosterError::SheetLimit {
                file: file.to_string(),
                sheet: sheet.to_string(),
                at: number.to_string(),
                limit: SheetLimit::RowBytes(limits.max_record_bytes),
            });
        }
        if row.cells.len() <= col {
            row.cells.resize(col + 1, String::new());
        }
        row.cells[col] = text;
        if let Some(kind) = flaw {
            row.flaws.push(CellFlaw { col, kind });
        }
    }
    if row.row != 0 {
        sink(&row)?;
    }
    Ok(())
}

/// The text a cell stands for, and why it cannot be trusted or is no 学号.
fn cell_text(value: &Data) -> (String, Option<FlawKind>) {
    let not_text =
        |text: String, kind| (text.clone(), Some(FlawKind::NotText { kind, shown: text }));
    match value {
        Data::Empty => (String::new(), None),
        Data::String(s) => (s.clone(), None),
        Data::Int(i) if *i < 0 => not_text(i.to_string(), NotText::Negative),
        Data::Int(i) => (i.to_string(), None),
        Data::Float(f) => cells::whole_number(*f),
        Data::Bool(b) => not_text(if *b { "TRUE" } else { "FALSE" }.into(), NotText::Bool),
        Data::DateTime(dt) => {
            let (y, m, d, h, min, s, _) = dt.to_ymd_hms_milli();
            let at = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .and_then(|day| day.and_hms_opt(u32::from(h), u32::from(min), u32::from(s)));
            match at {
                Some(at) if !dt.is_duration() => {
                    let (text, kind) = cells::date_text(at);
                    not_text(text, kind)
                }
                _ => not_text(dt.as_f64().to_string(), NotText::DateTime),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => cells::iso_date(s),
        Data::Error(e) => (
            String::new(),
            Some(FlawKind::ExcelError {
                code: e.to_string(),
            }),
        ),
    }
}
