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
use std::io::{self, BufReader, Read, SeekFrom};
use std::rc::Rc;

use quick_xml::events::{BytesRef, BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use super::cells::{self, NotText};
use super::header::column_letter;
use super::{
    CellFlaw, FlawKind, Limits, Progress, RawRow, ReadOptions, ReadSeek, RosterError, SheetLimit,
};

const PROGRESS_EVERY: u64 = 4096;
/// Excel's last column is XFD, the 16,384th.
pub const MAX_COLUMNS: usize = 16_384;
/// Parts read whole (workbook, relationships, styles) are small in every real workbook.
const MAX_PART_BYTES: usize = 16 << 20;
/// The shared-strings table is held in memory while a sheet is read: its text, and four bytes
/// per entry. A 100,000-student workbook holds about 4 MiB of them.
const MAX_SHARED_STRING_BYTES: usize = 48 << 20;
const MAX_SHARED_STRINGS: usize = 4_000_000;
/// A workbook holds a few dozen parts; the zip's directory is read into memory whole.
const MAX_ZIP_ENTRIES: u64 = 10_000;
const MAX_ZIP_DIRECTORY_BYTES: u64 = 4 << 20;

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

/// A relationship: its id, type and resolved target path inside the zip.
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `target` resolved against the folder `base` (`worksheets/sheet1.xml` in `xl/`; an absolute
/// `/xl/worksheets/sheet1.xml`; `../` steps).
fn resolve(base: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("{base}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn zip_error(file: &str, e: ZipError) -> RosterError {
    RosterError::NotWorkbook {
        file: file.to_string(),
        reason: e.to_string(),
    }
}

/// Refuses a zip whose directory (read into memory whole by the zip reader) is far larger than a
/// workbook's, judged from its end record before anything else is read.
fn check_zip_directory(reader: &mut dyn ReadSeek, file: &str) -> Result<(), RosterError> {
    let size = reader.seek(SeekFrom::End(0)).unwrap_or(0);
    let tail_len = size.min(65_557 + 20);
    let mut tail = vec![0u8; tail_len as usize];
    let read = reader
        .seek(SeekFrom::Start(size - tail_len))
        .and_then(|_| reader.read_exact(&mut tail));
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| RosterError::Open {
            file: file.to_string(),
            reason: e.to_string(),
        })?;
    if read.is_err() {
        // the zip reader says what is wrong with it
        return Ok(());
    }
    let Some(end) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(());
    };
    let u16_at = |at: usize| {
        tail.get(at..at + 2)
            .map_or(0, |b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |at: usize| {
        tail.get(at..at + 4).map_or(0, |b| {
            u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        })
    };
    let (mut entries, mut directory) = (u16_at(end + 10), u32_at(end + 12));
    if entries == 0xFFFF || directory == 0xFFFF_FFFF {
        // ZIP64: the counts are in the ZIP64 end record, which its locator (just before) points at
        let record = end
            .checked_sub(20)
            .filter(|&at| tail.get(at..at + 4) == Some(b"PK\x06\x07"))
            .and_then(|at| tail.get(at + 8..at + 16))
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        if let Some(offset) = record {
            let mut buf = [0u8; 56];
            let found = reader
                .seek(SeekFrom::Start(offset))
                .and_then(|_| reader.read_exact(&mut buf))
                .is_ok()
                && buf.starts_with(b"PK\x06\x06");
            let _ = reader.seek(SeekFrom::Start(0));
            if found {
                let u64_at =
                    |at: usize| u64::from_le_bytes(buf[at..at + 8].try_into().unwrap_or([0; 8]));
                entries = u64_at(32);
                directory = u64_at(40);
            }
        }
    }
    if entries > MAX_ZIP_ENTRIES || directory > MAX_ZIP_DIRECTORY_BYTES {
        return Err(RosterError::SheetLimit {
            file: file.to_string(),
            sheet: "zip".to_string(),
            at: String::new(),
            limit: SheetLimit::ZipEntries(MAX_ZIP_ENTRIES),
        });
    }
    Ok(())
}

/// An attribute's value, unescaped, by its local name (`r:id` is found as `id`).
fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map(|v| v.into_owned())
                    .ok()
            })
            .flatten()
    })
}

fn xml_reader<R: io::BufRead>(input: R) -> quick_xml::Reader<R> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    reader
}

fn parse_relationships(xml: &[u8], base: &str) -> Result<Vec<Relationship>, quick_xml::Error> {
    let mut reader = xml_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if let (Some(id), Some(target)) = (attr(&e, "Id"), attr(&e, "Target")) {
                    out.push(Relationship {
                        id,
                        kind: attr(&e, "Type").unwrap_or_default(),
                        target: resolve(base, &target),
                    });
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
        buf.clear();
    }
}

/// The sheets (name, relationship id), in order, and whether dates count from 1904.
fn parse_workbook(xml: &[u8]) -> Result<(Vec<(String, String)>, bool), quick_xml::Error> {
    let mut reader = xml_reader(xml);
    let mut buf = Vec::new();
    let (mut sheets, mut date1904) = (Vec::new(), false);
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sheet" => {
                    if let (Some(name), Some(id)) = (attr(&e, "name"), attr(&e, "id")) {
                        sheets.push((name, id));
                    }
                }
                "workbookPr" => {
                    date1904 = matches!(attr(&e, "date1904").as_deref(), Some("1" | "true"));
                }
                _ => {}
            },
            Event::Eof => return Ok((sheets, date1904)),
            _ => {}
        }
        buf.clear();
    }
}

/// Whether each cell style shows its number as a date or time.
fn parse_styles(xml: &[u8]) -> Result<Vec<bool>, quick_xml::Error> {
    let mut reader = xml_reader(xml);
    let mut buf = Vec::new();
    let mut custom: Vec<(u32, bool)> = Vec::new();
    let mut style_formats: Vec<u32> = Vec::new();
    let mut in_cell_xfs = false;
    loop {
        match reader.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "numFmt" => {
                    if let Some(id) = attr(&e, "numFmtId").and_then(|v| v.parse().ok()) {
                        let code = attr(&e, "formatCode").unwrap_or_default();
                        custom.push((id, cells::is_date_format(&code)));
                    }
                }
                "cellXfs" => in_cell_xfs = true,
                "xf" if in_cell_xfs => style_formats.push(
                    attr(&e, "numFmtId")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0),
                ),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "cellXfs" => in_cell_xfs = false,
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(style_formats
        .into_iter()
        .map(|id| match custom.iter().find(|(c, _)| *c == id) {
            Some(&(_, date)) => date,
            None => cells::is_builtin_date_format(id),
        })
        .collect())
}

/// The shared-strings table: every string's text end to end, and where each one ends.
#[derive(Default)]
struct Strings {
    text: String,
    ends: Vec<u32>,
}

impl Strings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index {
            0 => 0,
            i => self.ends[i - 1] as usize,
        };
        self.text.get(start..end)
    }

    /// Reads `xl/sharedStrings.xml` from `input` under its limits.
    fn read(
        &mut self,
        input: impl Read,
        path: &str,
        file: &str,
        limits: Limits,
    ) -> Result<(), RosterError> {
        let tripped = Rc::new(Cell::new(false));
        let bounded = Bounded::new(input, run_limit(limits), tripped.clone());
        let mut reader = xml_reader(BufReader::new(bounded));
        let mut buf = Vec::new();
        let one_limit = limits.max_record_bytes.min(MAX_SHARED_STRING_BYTES);
        let refuse = |at: usize, limit: SheetLimit| RosterError::SheetLimit {
            file: file.to_string(),
            sheet: path.to_string(),
            at: format!("#{at}"),
            limit,
        };
        let (mut in_text, mut phonetic, mut start) = (false, false, 0usize);
        loop {
            let event = match reader.read_event_into(&mut buf) {
                Ok(event) => event,
                Err(_) if tripped.get() => {
                    return Err(refuse(
                        self.ends.len(),
                        SheetLimit::SharedStringBytes(one_limit),
                    ));
                }
                Err(e) => {
                    return Err(RosterError::NotWorkbook {
                        file: file.to_string(),
                        reason: format!("{path}: {e}"),
                    });
                }
            };
            // a piece of text is measured before it is added: the table never grows past its
            // limit, not even for the one piece that would take it there
            let piece: Option<std::borrow::Cow<'_, str>> = match &event {
                Event::Text(t) if in_text => Some(t.xml10_content()),
                Event::CData(t) if in_text => Some(t.xml10_content()),
                Event::GeneralRef(r) if in_text => {
                    let mut one = String::new();
                    push_entity(r, &mut one);
                    Some(one.into())
                }
                _ => None,
            };
            if let Some(piece) = piece {
                let grown = self.text.len() + piece.len();
                if grown - start > one_limit {
                    return Err(refuse(
                        self.ends.len(),
                        SheetLimit::SharedStringBytes(one_limit),
                    ));
                }
                if grown > MAX_SHARED_STRING_BYTES {
                    return Err(refuse(
                        self.ends.len(),
                        SheetLimit::SharedStringsBytes(MAX_SHARED_STRING_BYTES),
                    ));
                }
                self.text.push_str(&piece);
            }
            match event {
                Event::Start(e) => match e.local_name().as_ref() {
                    "sst" => {
                        // the count it claims sizes the list once (a false one costs nothing)
                        let claimed = attr(&e, "uniqueCount").and_then(|v| v.parse().ok());
                        self.ends
                            .reserve(claimed.unwrap_or(0).min(MAX_SHARED_STRINGS));
                    }
                    "si" => start = self.text.len(),
                    "t" if !phonetic => in_text = true,
                    "rPh" => phonetic = true,
                    _ => {}
                },
                Event::Empty(e) if e.local_name().as_ref() == "si" => {
                    start = self.text.len();
                    self.end_string(start, file, path)?;
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "si" => self.end_string(start, file, path)?,
                    "t" => in_text = false,
                    "rPh" => phonetic = false,
                    _ => {}
                },
                Event::Eof => return Ok(()),
                _ => {}
            }
            buf.clear();
        }
    }

    /// Ends the string that began at `start`, its Excel escapes (`_x000D_`) undone.
    fn end_string(&mut self, start: usize, file: &str, path: &str) -> Result<(), RosterError> {
        if self.ends.len() >= MAX_SHARED_STRINGS {
            return Err(RosterError::SheetLimit {
                file: file.to_string(),
                sheet: path.to_string(),
                at: format!("#{}", self.ends.len()),
                limit: SheetLimit::SharedStrings(MAX_SHARED_STRINGS),
            });
        }
        if self.text[start..].contains("_x") {
            let unescaped = cells::unescape_excel(&self.text[start..]).into_owned();
            self.text.truncate(start);
            self.text.push_str(&unescaped);
        }
        self.ends.push(self.text.len() as u32);
        Ok(())
    }
}

fn push_entity(r: &BytesRef<'_>, out: &mut String) {
    match r.resolve_char_ref() {
        Ok(Some(c)) => out.push(c),
        _ => out.push_str(match r.as_ref() {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            _ => "\u{FFFD}",
        }),
    }
}

/// The longest run of bytes between two `<` or `>` the XML reader is given: a cell's text escaped
/// (`&quot;` is six bytes for one) with room for markup. Anything longer is not a cell of a roster,
/// and the XML reader would otherwise hold it whole.
fn run_limit(limits: Limits) -> usize {
    limits
        .max_record_bytes
        .saturating_mul(6)
        .saturating_add(64 << 10)
}

/// Passes bytes through, failing (and saying so in `tripped`) once a run between two `<` or `>`
/// grows past `limit`, and counting the bytes passed for progress.
struct Bounded<R> {
    inner: R,
    run: usize,
    limit: usize,
    tripped: Rc<Cell<bool>>,
    passed: Rc<Cell<u64>>,
}

impl<R> Bounded<R> {
    fn new(inner: R, limit: usize, tripped: Rc<Cell<bool>>) -> Bounded<R> {
        Bounded {
            inner,
            run: 0,
            limit,
            tripped,
            passed: Rc::new(Cell::new(0)),
        }
    }
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        let (mut run, mut from) = (self.run, 0);
        let mut too_long = false;
        for at in memchr::memchr2_iter(b'<', b'>', chunk) {
            too_long |= run + (at - from) > self.limit;
            run = 0;
            from = at + 1;
        }
        run += n - from;
        if too_long || run > self.limit {
            self.tripped.set(true);
            return Err(io::Error::other("a run of text too long for a roster cell"));
        }
        self.run = run;
        self.passed.set(self.passed.get() + n as u64);
        Ok(n)
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
