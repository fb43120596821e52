//! The parts of an `.xlsx` workbook other than its sheets' rows, read under limits: the zip's
//! directory, the relationships, workbook and styles parts (read whole, bounded), the
//! shared-strings table (streamed into a compact table, bounded), and the reader that keeps the
//! XML parser from holding a run of text longer than a roster cell (see `docs/roster.md`,
//! "Limits").

use std::cell::Cell;
use std::io::{self, BufReader, Read, SeekFrom};
use std::rc::Rc;

use quick_xml::events::{BytesRef, BytesStart, Event};
use zip::result::ZipError;

use super::super::cells;
use super::super::{Limits, ReadSeek, RosterError, SheetLimit};

/// Parts read whole (workbook, relationships, styles) are small in every real workbook.
pub(super) const MAX_PART_BYTES: usize = 16 << 20;
/// The shared-strings table is held in memory while a sheet is read: its text, and four bytes
/// per entry. A 100,000-student workbook holds about 4 MiB of them.
pub(super) const MAX_SHARED_STRING_BYTES: usize = 48 << 20;
pub(super) const MAX_SHARED_STRINGS: usize = 4_000_000;
/// A workbook holds a few dozen parts; the zip's directory is read into memory whole.
pub(super) const MAX_ZIP_ENTRIES: u64 = 10_000;
pub(super) const MAX_ZIP_DIRECTORY_BYTES: u64 = 4 << 20;

/// A relationship: its id, type and resolved target path inside the zip.
pub(super) struct Relationship {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) target: String,
}

pub(super) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `target` resolved against the folder `base` (`worksheets/sheet1.xml` in `xl/`; an absolute
/// `/xl/worksheets/sheet1.xml`; `../` steps).
pub(super) fn resolve(base: &str, target: &str) -> String {
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

pub(super) fn zip_error(file: &str, e: ZipError) -> RosterError {
    RosterError::NotWorkbook {
        file: file.to_string(),
        reason: e.to_string(),
    }
}

/// Refuses a zip whose directory (read into memory whole by the zip reader) is far larger than a
/// workbook's, judged from its end record before anything else is read.
pub(super) fn check_zip_directory(
    reader: &mut dyn ReadSeek,
    file: &str,
) -> Result<(), RosterError> {
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
pub(super) fn attr(e: &BytesStart<'_>, local: &str) -> Option<String> {
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

pub(super) fn xml_reader<R: io::BufRead>(input: R) -> quick_xml::Reader<R> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    reader
}

pub(super) fn parse_relationships(
    xml: &[u8],
    base: &str,
) -> Result<Vec<Relationship>, quick_xml::Error> {
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
pub(super) fn parse_workbook(
    xml: &[u8],
) -> Result<(Vec<(String, String)>, bool), quick_xml::Error> {
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
pub(super) fn parse_styles(xml: &[u8]) -> Result<Vec<bool>, quick_xml::Error> {
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
pub(super) struct Strings {
    pub(super) text: String,
    ends: Vec<u32>,
}

impl Strings {
    pub(super) fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)? as usize;
        let start = match index {
            0 => 0,
            i => self.ends[i - 1] as usize,
        };
        self.text.get(start..end)
    }

    /// Reads `xl/sharedStrings.xml` from `input` under its limits.
    pub(super) fn read(
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

pub(super) fn push_entity(r: &BytesRef<'_>, out: &mut String) {
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
pub(super) fn run_limit(limits: Limits) -> usize {
    limits
        .max_record_bytes
        .saturating_mul(6)
        .saturating_add(64 << 10)
}

/// Passes bytes through, failing (and saying so in `tripped`) once a run between two `<` or `>`
/// grows past `limit`, and counting the bytes passed for progress.
pub(super) struct Bounded<R> {
    inner: R,
    run: usize,
    limit: usize,
    tripped: Rc<Cell<bool>>,
    pub(super) passed: Rc<Cell<u64>>,
}

impl<R> Bounded<R> {
    pub(super) fn new(inner: R, limit: usize, tripped: Rc<Cell<bool>>) -> Bounded<R> {
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
