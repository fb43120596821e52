//! Reading `.xlsx` workbooks row by row, in bounded memory whatever the file holds.
//!
//! A workbook is a zip of XML parts, and a small zip can inflate to gigabytes: a 2 MB file can
//! hold a 2 GiB cell, a shared-strings table of millions of entries or a cell reference far past
//! Excel's last column. So the parts are parsed here as they inflate (zip + quick-xml, the
//! parsers calamine uses) under the limits of the CSV reader — bytes per cell and per row,
//! columns, rows — plus limits on the shared-strings table and the parts read whole, each refused
//! with the sheet, the cell and the limit (see `docs/roster.md`, "Limits").
//!
//! Excel stores what looks like text as numbers whenever a column is "General": 学号 and phone
//! numbers come back as floats, and an 18-digit ID number as a float that has already lost its
//! last digits. Integers are recovered exactly when that is certain; otherwise the cell is
//! flagged and its row rejected with the reason — never imported with wrong digits. Cells that
//! are dates, booleans, negative or fractional numbers are flagged too: they are no 学号.

use std::cell::Cell;
use std::io::{BufReader, Read};
use std::rc::Rc;

use quick_xml::events::Event;
use zip::ZipArchive;

mod parts;

use parts::{
    Bounded, MAX_PART_BYTES, MAX_SHARED_STRING_BYTES, Relationship, Strings, attr,
    check_zip_directory, file_name, parse_relationships, parse_styles, parse_workbook, push_entity,
    run_limit, xml_reader, zip_error,
};

use super::cells::{self, NotText};
use super::header::column_letter;
use super::{
    CellFlaw, FlawKind, Limits, Progress, RawRow, ReadOptions, ReadSeek, RosterError, SheetLimit,
};

const PROGRESS_EVERY: u64 = 4096;
/// Excel's last column is XFD, the 16,384th.
pub const MAX_COLUMNS: usize = 16_384;

/// Reads the chosen sheet and hands each row to `sink`: the sheet `--sheet` names, else the first
/// one, or, when the first has no header row, the only other sheet that has one.
pub(crate) fn read_rows(
    reader: Box<dyn ReadSeek + '_>,
    file: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(&RawRow) -> Result<(), RosterError>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RosterError> {
    let mut book = Book::open(reader, file, options.limits)?;
    let names: Vec<String> = book.sheets.iter().map(|s| s.name.clone()).collect();
    let index = super::sheets::choose(file, &names, options.sheet.as_deref(), &mut |i| {
        book.first_rows(i)
    })?;
    book.read_sheet(index, &mut |row| sink(row).map(|()| true), progress)
}

/// A sheet's name and the zip path of its XML.
struct SheetPart {
    name: String,
    path: String,
}

/// An open workbook: its sheets, and what reading a sheet needs (shared strings, date styles).
struct Book<'r> {
    zip: ZipArchive<BufReader<Box<dyn ReadSeek + 'r>>>,
    file: String,
    limits: Limits,
    sheets: Vec<SheetPart>,
    strings_path: Option<String>,
    strings: Option<Strings>,
    /// Per cell style (`s`), whether its number format shows a date or time.
    date_styles: Vec<bool>,
    date1904: bool,
}

impl<'r> Book<'r> {
    fn open(
        mut reader: Box<dyn ReadSeek + 'r>,
        file: &str,
        limits: Limits,
    ) -> Result<Book<'r>, RosterError> {
        let not_workbook = |reason: String| RosterError::NotWorkbook {
            file: file.to_string(),
            reason,
        };
        check_zip_directory(&mut reader, file)?;
        let zip =
            ZipArchive::new(BufReader::new(reader)).map_err(|e| not_workbook(e.to_string()))?;
        let mut book = Book {
            zip,
            file: file.to_string(),
            limits,
            sheets: Vec::new(),
            strings_path: None,
            strings: None,
            date_styles: Vec::new(),
            date1904: false,
        };
        let workbook_path = book
            .relationships("_rels/.rels", "")?
            .into_iter()
            .find(|r| r.kind.ends_with("/officeDocument"))
            .map(|r| r.target)
            .unwrap_or_else(|| "xl/workbook.xml".to_string());
        let base = workbook_path
            .rsplit_once('/')
            .map_or(String::new(), |(dir, _)| format!("{dir}/"));
        let rels_path = format!("{base}_rels/{}.rels", file_name(&workbook_path));
        let rels = book.relationships(&rels_path, &base)?;
        let xml = book
            .part(&workbook_path)?
            .ok_or_else(|| not_workbook(format!("{workbook_path} is missing")))?;
        let (sheets, date1904) = parse_workbook(&xml).map_err(|e| not_workbook(e.to_string()))?;
        book.date1904 = date1904;
        for (name, id) in sheets {
            if let Some(rel) = rels.iter().find(|r| r.id == id) {
                book.sheets.push(SheetPart {
                    name,
                    path: rel.target.clone(),
                });
            }
        }
        if book.sheets.is_empty() {
            return Err(RosterError::Empty {
                file: file.to_string(),
            });
        }
        let default = |name: &str| format!("{base}{name}");
        book.strings_path = Some(
            rels.iter()
                .find(|r| r.kind.ends_with("/sharedStrings"))
                .map_or_else(|| default("sharedStrings.xml"), |r| r.target.clone()),
        );
        let styles_path = rels
            .iter()
            .find(|r| r.kind.ends_with("/styles"))
            .map_or_else(|| default("styles.xml"), |r| r.target.clone());
        if let Some(xml) = book.part(&styles_path)? {
            book.date_styles = parse_styles(&xml).map_err(|e| not_workbook(e.to_string()))?;
        }
        Ok(book)
    }

    /// The zip entry at `path` (matched without regard to case when not found as written).
    fn entry_name(&self, path: &str) -> Option<String> {
        if self.zip.index_for_name(path).is_some() {
            return Some(path.to_string());
        }
        self.zip
            .file_names()
            .filter_map(Result::ok)
            .find(|n| n.eq_ignore_ascii_case(path))
            .map(|n| n.into_owned())
    }

    /// A part read whole (at most `MAX_PART_BYTES`), or None when the workbook lacks it.
    fn part(&mut self, path: &str) -> Result<Option<Vec<u8>>, RosterError> {
        let Some(name) = self.entry_name(path) else {
            return Ok(None);
        };
        let file = self.file.clone();
        let entry = self.zip.by_name(&name).map_err(|e| zip_error(&file, e))?;
        let mut bytes = Vec::new();
        entry
            .take(MAX_PART_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| RosterError::NotWorkbook {
                file: file.clone(),
                reason: format!("{path}: {e}"),
            })?;
        if bytes.len() > MAX_PART_BYTES {
            return Err(RosterError::SheetLimit {
                file,
                sheet: path.to_string(),
                at: String::new(),
                limit: SheetLimit::PartBytes(MAX_PART_BYTES),
            });
        }
        Ok(Some(bytes))
    }

    /// The relationships in the part at `path`, targets resolved against the folder `base`.
    fn relationships(&mut self, path: &str, base: &str) -> Result<Vec<Relationship>, RosterError> {
        let Some(xml) = self.part(path)? else {
            return Ok(Vec::new());
        };
        parse_relationships(&xml, base).map_err(|e| RosterError::NotWorkbook {
            file: self.file.clone(),
            reason: format!("{path}: {e}"),
        })
    }

    /// Loads the shared-strings table once, under its limits.
    fn load_strings(&mut self) -> Result<(), RosterError> {
        if self.strings.is_some() {
            return Ok(());
        }
        let mut strings = Strings::default();
        let path = self.strings_path.clone().unwrap_or_default();
        if let Some(name) = self.entry_name(&path) {
            let (file, limits) = (self.file.clone(), self.limits);
            let entry = self.zip.by_name(&name).map_err(|e| zip_error(&file, e))?;
            let claimed = usize::try_from(entry.size()).unwrap_or(usize::MAX);
            strings.text.reserve(claimed.min(MAX_SHARED_STRING_BYTES));
            strings.read(entry, &path, &file, limits)?;
        }
        self.strings = Some(strings);
        Ok(())
    }

    /// The first non-blank rows of sheet `index`, as many as the header is looked for in.
    fn first_rows(&mut self, index: usize) -> Result<Vec<RawRow>, RosterError> {
        let mut rows = Vec::new();
        self.read_sheet(
            index,
            &mut |row| {
                if !row.is_blank() {
                    rows.push(row.clone());
                }
                Ok(rows.len() < super::HEADER_SEARCH_ROWS)
            },
            &mut |_| {},
        )?;
        Ok(rows)
    }

    /// Streams sheet `index` row by row into `sink`, which returns whether to go on.
    fn read_sheet(
        &mut self,
        index: usize,
        sink: &mut dyn FnMut(&RawRow) -> Result<bool, RosterError>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), RosterError> {
        self.load_strings()?;
        let Some(part) = self.sheets.get(index) else {
            return Ok(());
        };
        let (sheet, path) = (part.name.clone(), part.path.clone());
        let Some(name) = self.entry_name(&path) else {
            return Err(RosterError::NotWorkbook {
                file: self.file.clone(),
                reason: format!("the sheet '{sheet}' ({path}) is missing"),
            });
        };
        let ctx = SheetContext {
            file: &self.file,
            sheet: &sheet,
            limits: self.limits,
            strings: self.strings.as_ref().expect("loaded above"),
            date_styles: &self.date_styles,
            date1904: self.date1904,
        };
        let entry = self
            .zip
            .by_name(&name)
            .map_err(|e| zip_error(&self.file, e))?;
        let total = entry.size();
        ctx.read(entry, total, sink, progress)
    }
}

/// What reading one sheet needs.
struct SheetContext<'a> {
    file: &'a str,
    sheet: &'a str,
    limits: Limits,
    strings: &'a Strings,
    date_styles: &'a [bool],
    date1904: bool,
}

/// Where the text events inside a cell go.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    None,
    Value,
    Formula,
    Inline,
}

/// The cell being read.
#[derive(Default)]
struct CellState {
    col: usize,
    kind: String,
    style: usize,
    value: String,
    formula: Option<String>,
    inline: String,
    has_inline: bool,
}

impl SheetContext<'_> {
    fn limit(&self, at: String, limit: SheetLimit) -> RosterError {
        RosterError::SheetLimit {
            file: self.file.to_string(),
            sheet: self.sheet.to_string(),
            at,
            limit,
        }
    }

    fn damaged(&self, reason: String) -> RosterError {
        RosterError::NotWorkbook {
            file: self.file.to_string(),
            reason: format!("sheet '{}': {reason}", self.sheet),
        }
    }

    /// Streams the sheet XML in `input` (`total` bytes when inflated) into `sink`.
    fn read(
        &self,
        input: impl Read,
        total: u64,
        sink: &mut dyn FnMut(&RawRow) -> Result<bool, RosterError>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), RosterError> {
        let tripped = Rc::new(Cell::new(false));
        let bounded = Bounded::new(input, run_limit(self.limits), tripped.clone());
        let passed = bounded.passed.clone();
        let mut reader = xml_reader(BufReader::new(bounded));
        let mut buf = Vec::new();
        let max_cell = self.limits.max_record_bytes;
        let mut in_data = false;
        let mut row = RawRow::default();
        let mut row_open = false;
        let mut last_row: u64 = 0;
        // the last column given a cell in this row (0 = none yet; columns count from 1)
        let mut last_col: usize = 0;
        let mut row_bytes: usize = 0;
        let mut cell: Option<CellState> = None;
        let mut target = Target::None;
        let mut phonetic = false;
        loop {
            let event = match reader.read_event_into(&mut buf) {
                Ok(event) => event,
                Err(_) if tripped.get() => {
                    return Err(match &cell {
                        Some(c) => self.limit(
                            format!("{}{}", column_letter(c.col), last_row),
                            SheetLimit::CellBytes(max_cell),
                        ),
                        None => self.limit(
                            format!("{}", last_row.max(1)),
                            SheetLimit::RowBytes(self.limits.max_record_bytes),
                        ),
                    });
                }
                Err(e) => return Err(self.damaged(e.to_string())),
            };
            // `<x/>`: an element without content (no end event follows)
            let empty = matches!(event, Event::Empty(_));
            match event {
                // an empty <sheetData/> holds no rows: the rest of the sheet is not needed
                Event::Start(e) | Event::Empty(e)
                    if !in_data && e.local_name().as_ref() == "sheetData" =>
                {
                    if empty {
                        return Ok(());
                    }
                    in_data = true;
                }
                Event::Start(_) | Event::Empty(_) if !in_data => {}
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "row" => {
                    if row_open && !sink(&row)? {
                        return Ok(());
                    }
                    let number = match attr(&e, "r") {
                        Some(r) => r
                            .trim()
                            .parse::<u64>()
                            .map_err(|_| self.damaged(format!("row number '{r}'")))?,
                        None => last_row + 1,
                    };
                    if number <= last_row || number == 0 {
                        return Err(RosterError::RowTwice {
                            file: self.file.to_string(),
                            sheet: self.sheet.to_string(),
                            row: number,
                        });
                    }
                    if number > self.limits.max_rows {
                        return Err(
                            self.limit(number.to_string(), SheetLimit::Rows(self.limits.max_rows))
                        );
                    }
                    if number % PROGRESS_EVERY == 0 {
                        progress(Progress {
                            rows: number,
                            done: passed.get(),
                            total,
                        });
                    }
                    last_row = number;
                    last_col = 0;
                    row_bytes = 0;
                    row.row = number;
                    row.cells.clear();
                    row.flaws.clear();
                    row_open = true;
                    // <row/>: no cells; the row is handed on at the next row or the end
                }
                Event::End(e) if e.local_name().as_ref() == "row" => {
                    if row_open && !sink(&row)? {
                        return Ok(());
                    }
                    row_open = false;
                }
                Event::End(e) if e.local_name().as_ref() == "sheetData" => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "c" => {
                    if !row_open {
                        return Err(self.damaged("a cell outside any row".into()));
                    }
                    let col = match attr(&e, "r") {
                        Some(r) => {
                            let (col, row_of_ref) =
                                cells::parse_ref(&r, MAX_COLUMNS).map_err(|_| {
                                    let shown: String = r.chars().take(24).collect();
                                    self.limit(shown, SheetLimit::Columns(MAX_COLUMNS))
                                })?;
                            if row_of_ref.is_some_and(|n| n != last_row) {
                                return Err(RosterError::CellTwice {
                                    file: self.file.to_string(),
                                    sheet: self.sheet.to_string(),
                                    cell: r.chars().take(24).collect(),
                                });
                            }
                            col
                        }
                        None => last_col + 1,
                    };
                    if col > MAX_COLUMNS {
                        return Err(self.limit(
                            format!("{}{last_row}", column_letter(MAX_COLUMNS)),
                            SheetLimit::Columns(MAX_COLUMNS),
                        ));
                    }
                    if col <= last_col {
                        return Err(RosterError::CellTwice {
                            file: self.file.to_string(),
                            sheet: self.sheet.to_string(),
                            cell: format!("{}{last_row}", column_letter(col - 1)),
                        });
                    }
                    last_col = col;
                    let state = CellState {
                        col: col - 1,
                        kind: attr(&e, "t").unwrap_or_default(),
                        style: attr(&e, "s").and_then(|s| s.parse().ok()).unwrap_or(0),
                        ..CellState::default()
                    };
                    if empty {
                        continue_cell(self, &mut row, state, &mut row_bytes)?;
                    } else {
                        cell = Some(state);
                    }
                }
                Event::End(e) if e.local_name().as_ref() == "c" => {
                    if let Some(state) = cell.take() {
                        continue_cell(self, &mut row, state, &mut row_bytes)?;
                    }
                    target = Target::None;
                }
                Event::Start(e) | Event::Empty(e) if cell.is_some() => {
                    let c = cell.as_mut().expect("checked");
                    match e.local_name().as_ref() {
                        "v" if !empty => target = Target::Value,
                        "f" => {
                            c.formula.get_or_insert_with(String::new);
                            if !empty {
                                target = Target::Formula;
                            }
                        }
                        "is" => c.has_inline = true,
                        "t" if c.has_inline && !phonetic && !empty => target = Target::Inline,
                        "rPh" if !empty => phonetic = true,
                        _ => {}
                    }
                }
                Event::End(e) if cell.is_some() => match e.local_name().as_ref() {
                    "v" | "f" | "t" => target = Target::None,
                    "rPh" => phonetic = false,
                    _ => {}
                },
                Event::Text(_) | Event::CData(_) | Event::GeneralRef(_)
                    if target != Target::None =>
                {
                    let Some(c) = cell.as_mut() else { continue };
                    let out = match target {
                        Target::Value => &mut c.value,
                        Target::Formula => c.formula.get_or_insert_with(String::new),
                        _ => &mut c.inline,
                    };
                    match &event {
                        Event::Text(t) => out.push_str(&t.xml10_content()),
                        Event::CData(t) => out.push_str(&t.xml10_content()),
                        Event::GeneralRef(r) => push_entity(r, out),
                        _ => {}
                    }
                    if out.len() > max_cell {
                        return Err(self.limit(
                            format!("{}{last_row}", column_letter(c.col)),
                            SheetLimit::CellBytes(max_cell),
                        ));
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        if row_open {
            sink(&row)?;
        }
        Ok(())
    }

    /// The text a finished cell stands for, or why it cannot be trusted.
    fn cell_value(&self, c: &mut CellState) -> Result<(String, Option<FlawKind>), RosterError> {
        let formula = c.formula.as_deref().map(str::trim);
        let (text, flaw) = match c.kind.as_str() {
            "s" => {
                let index: usize = c
                    .value
                    .trim()
                    .parse()
                    .map_err(|_| self.damaged(format!("shared string '{}'", c.value)))?;
                let text = self.strings.get(index).ok_or_else(|| {
                    self.damaged(format!("shared string {index} is not in the table"))
                })?;
                (text.to_string(), None)
            }
            "inlineStr" => (unescape_owned(std::mem::take(&mut c.inline)), None),
            "str" => (unescape_owned(std::mem::take(&mut c.value)), None),
            "b" => {
                let text = if c.value.trim() == "1" {
                    "TRUE"
                } else {
                    "FALSE"
                };
                (
                    text.to_string(),
                    Some(FlawKind::NotText {
                        kind: NotText::Bool,
                        shown: text.to_string(),
                    }),
                )
            }
            "e" => (
                String::new(),
                Some(FlawKind::ExcelError {
                    code: c.value.trim().to_string(),
                }),
            ),
            "d" => cells::iso_date(c.value.trim()),
            _ if c.value.trim().is_empty() => (String::new(), None),
            _ => {
                let date = self.date_styles.get(c.style).copied().unwrap_or(false);
                cells::number(c.value.trim(), date, self.date1904)
            }
        };
        Ok(match (formula, flaw) {
            // No cached result: written by a program that does not calculate formulas.
            (Some(f), None) if text.is_empty() => (
                text,
                Some(FlawKind::FormulaWithoutValue {
                    formula: if f.is_empty() {
                        "…".to_string()
                    } else {
                        f.to_string()
                    },
                }),
            ),
            (_, flaw) => (text, flaw),
        })
    }
}

/// Puts a finished cell into the row, under the row's byte limit.
fn continue_cell(
    ctx: &SheetContext<'_>,
    row: &mut RawRow,
    mut state: CellState,
    row_bytes: &mut usize,
) -> Result<(), RosterError> {
    let (text, flaw) = ctx.cell_value(&mut state)?;
    if text.is_empty() && flaw.is_none() {
        return Ok(());
    }
    *row_bytes += text.len();
    if *row_bytes > ctx.limits.max_record_bytes {
        return Err(ctx.limit(
            row.row.to_string(),
            SheetLimit::RowBytes(ctx.limits.max_record_bytes),
        ));
    }
    if row.cells.len() <= state.col {
        row.cells.resize(state.col + 1, String::new());
    }
    row.cells[state.col] = text;
    if let Some(kind) = flaw {
        row.flaws.push(CellFlaw {
            col: state.col,
            kind,
        });
    }
    Ok(())
}

fn unescape_owned(text: String) -> String {
    if text.contains("_x") {
        cells::unescape_excel(&text).into_owned()
    } else {
        text
    }
}
