//! Streaming CSV records with exact Excel row numbers and bounded memory.
//!
//! The `csv` crate skips blank lines and reports record positions lazily (a CRLF's `\n` counts
//! toward the next record), which makes "row N" drift from what Excel shows. So this drives
//! `csv_core` (the parser underneath `csv`) directly: blank lines are counted as rows, a quoted
//! cell spanning several lines stays one row, and no record may grow past the limit — an
//! unclosed quote in a 1 GB file is refused instead of swallowing the rest of it.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use csv_core::{ReadRecordResult, ReaderBuilder};

use super::{CellFlaw, FlawKind, Limits, Progress, RawRow, RosterError};

/// Excel's column limit; a wider record is not a roster.
const MAX_COLUMNS: usize = 16_384;
/// How often (in rows) progress is reported.
const PROGRESS_EVERY: u64 = 4096;

/// Chooses `,`, tab or `;` from the first lines: Excel writes tabs for "Unicode text" and
/// semicolons in locales where the comma is the decimal mark.
pub fn sniff_delimiter<R: Read>(input: R) -> io::Result<u8> {
    let mut sample = Vec::with_capacity(64 * 1024);
    input.take(64 * 1024).read_to_end(&mut sample)?;
    let mut counts = [0usize; 3];
    let mut quoted = false;
    let mut lines = 0;
    for &b in &sample {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                lines += 1;
                if lines >= 50 {
                    break;
                }
            }
            b',' if !quoted => counts[0] += 1,
            b'\t' if !quoted => counts[1] += 1,
            b';' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    Ok(if counts[1] > counts[0] && counts[1] >= counts[2] {
        b'\t'
    } else if counts[2] > counts[0] && counts[2] > counts[1] {
        b';'
    } else {
        b','
    })
}

/// One CSV stream (already UTF-8) and how to read it.
pub struct CsvSource<'a> {
    pub delimiter: u8,
    pub limits: Limits,
    /// Names the file in messages.
    pub file: &'a str,
    /// File size and bytes read so far, for progress.
    pub total: u64,
    pub bytes_read: Rc<Cell<u64>>,
    /// Stop at the first record that is not UTF-8 (the file was taken for UTF-8 from its start
    /// alone) instead of reading its cells the lossy way.
    pub stop_at_broken_utf8: bool,
}

/// How reading the records ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    AllRead,
    /// At this row, with `stop_at_broken_utf8`; it was not handed on.
    BrokenUtf8 {
        row: u64,
    },
}

impl CsvSource<'_> {
    /// Reads every record of `input` and hands it to `sink` with its Excel row number.
    pub fn read_rows<R: Read>(
        &self,
        mut input: R,
        sink: &mut dyn FnMut(&RawRow) -> Result<(), RosterError>,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Finished, RosterError> {
        let read_error = |e: io::Error| RosterError::Open {
            file: self.file.to_string(),
            reason: super::io_reason(&e),
        };
        let mut parser = ReaderBuilder::new().delimiter(self.delimiter).build();
        let mut buf = vec![0u8; 256 * 1024];
        let (mut pos, mut end, mut eof) = (0usize, 0usize, false);
        let mut out = vec![0u8; 4096];
        let mut ends = vec![0usize; 64];
        let (mut out_len, mut ends_len) = (0usize, 0usize);
        let mut row = RawRow::default();
        // the row number given to the last record or blank line
        let mut excel_row: u64 = 0;
        let mut at_record_start = true;
        // the previous line ended with '\r': a following '\n' belongs to the same line break
        let mut after_cr = false;
        let too_many = || RosterError::TooManyRows {
            file: self.file.to_string(),
            limit: self.limits.max_rows,
        };
        loop {
            if pos == end && !eof {
                end = loop {
                    match input.read(&mut buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other.map_err(read_error)?,
                    }
                };
                pos = 0;
                eof = end == 0;
            }
            if at_record_start {
                // Blank lines are rows in Excel; csv_core would skip them without a trace.
                while pos < end {
                    match buf[pos] {
                        b'\n' if after_cr => after_cr = false,
                        b'\n' | b'\r' => {
                            excel_row += 1;
                            after_cr = buf[pos] == b'\r';
                            if excel_row > self.limits.max_rows {
                                return Err(too_many());
                            }
                        }
                        _ => break,
                    }
                    pos += 1;
                }
                if pos == end {
                    if eof {
                        return Ok(Finished::AllRead);
                    }
                    continue;
                }
                after_cr = false;
                at_record_start = false;
            }
            let data: &[u8] = if eof { &[] } else { &buf[pos..end] };
            let (result, n_in, n_out, n_ends) =
                parser.read_record(data, &mut out[out_len..], &mut ends[ends_len..]);
            pos += n_in;
            out_len += n_out;
            ends_len += n_ends;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    if out.len() >= self.limits.max_record_bytes {
                        return Err(RosterError::RecordTooLong {
                            file: self.file.to_string(),
                            row: excel_row + 1,
                            limit: self.limits.max_record_bytes,
                        });
                    }
                    let grown = (out.len() * 2).min(self.limits.max_record_bytes);
                    out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    if ends.len() >= MAX_COLUMNS {
                        return Err(RosterError::TooManyColumns {
                            file: self.file.to_string(),
                            row: excel_row + 1,
                            limit: MAX_COLUMNS,
                        });
                    }
                    ends.resize(ends.len() * 2, 0);
                }
                ReadRecordResult::Record => {
                    excel_row += 1;
                    if excel_row > self.limits.max_rows {
                        return Err(too_many());
                    }
                    after_cr = n_in > 0 && !eof && buf[pos - 1] == b'\r';
                    if !fill_row(&mut row, excel_row, &out[..out_len], &ends[..ends_len])
                        && self.stop_at_broken_utf8
                    {
                        return Ok(Finished::BrokenUtf8 { row: excel_row });
                    }
                    sink(&row)?;
                    out_len = 0;
                    ends_len = 0;
                    at_record_start = true;
                    if excel_row.is_multiple_of(PROGRESS_EVERY) {
                        progress(Progress {
                            rows: excel_row,
                            done: self.bytes_read.get(),
                            total: self.total,
                        });
                    }
                }
                ReadRecordResult::End => return Ok(Finished::AllRead),
            }
        }
    }
}

/// Copies a parsed record into `row`, reusing its strings (no allocation once warmed up).
/// Returns whether the record was UTF-8 throughout.
fn fill_row(row: &mut RawRow, excel_row: u64, out: &[u8], ends: &[usize]) -> bool {
    row.row = excel_row;
    row.flaws.clear();
    row.cells.truncate(ends.len());
    // One strict check of the whole record costs less than one per cell, and almost every
    // record passes it. A cell of a record that fails, or whose edge falls inside a character
    // (only in a broken file), is read the lossy way.
    let whole = std::str::from_utf8(out).ok();
    let mut start = 0;
    for (i, &end) in ends.iter().enumerate() {
        let text = match whole.filter(|w| w.is_char_boundary(start) && w.is_char_boundary(end)) {
            Some(w) => std::borrow::Cow::Borrowed(&w[start..end]),
            None => {
                let text = String::from_utf8_lossy(&out[start..end]);
                if matches!(text, std::borrow::Cow::Owned(_)) {
                    row.flaws.push(CellFlaw {
                        col: i,
                        kind: FlawKind::NotUtf8,
                    });
                }
                text
            }
        };
        match row.cells.get_mut(i) {
            Some(cell) => {
                cell.clear();
                cell.push_str(&text);
            }
            None => row.cells.push(text.into_owned()),
        }
        start = end;
    }
    whole.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_with(input: &[u8], limits: Limits) -> Result<Vec<RawRow>, RosterError> {
        let delimiter = sniff_delimiter(input).unwrap();
        let source = CsvSource {
            delimiter,
            limits,
            file: "t.csv",
            total: input.len() as u64,
            bytes_read: Rc::new(Cell::new(0)),
            stop_at_broken_utf8: false,
        };
        let mut rows = Vec::new();
        source.read_rows(
            input,
            &mut |r| {
                rows.push(r.clone());
                Ok(())
            },
            &mut |_| {},
        )?;
        Ok(rows)
    }

    #[test]
    fn a_record_that_is_not_utf8_stops_a_file_taken_for_utf8() {
        let input = b"a,b\n1,\xD5\xC5\n2,c\n"; // row 2 holds 张 in GBK
        for (stop, want, rows) in [
            (true, Finished::BrokenUtf8 { row: 2 }, vec![1]),
            (false, Finished::AllRead, vec![1, 2, 3]),
        ] {
            let source = CsvSource {
                delimiter: b',',
                limits: Limits::default(),
                file: "t.csv",
                total: input.len() as u64,
                bytes_read: Rc::new(Cell::new(0)),
                stop_at_broken_utf8: stop,
            };
            let mut seen = Vec::new();
            let finished = source.read_rows(
                &input[..],
                &mut |r| {
                    seen.push(r.row);
                    Ok(())
                },
                &mut |_| {},
            );
            assert_eq!(finished.unwrap(), want);
            assert_eq!(seen, rows, "stop: {stop}");
        }
    }

    fn rows(input: &str) -> Vec<(u64, Vec<String>)> {
        rows_with(input.as_bytes(), Limits::default())
            .unwrap()
            .into_iter()
            .map(|r| (r.row, r.cells))
            .collect()
    }

    fn cells(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn row_numbers_are_excel_rows() {
        type Rows = Vec<(u64, Vec<String>)>;
        let cases: Vec<(&str, &str, Rows)> = vec![
            (
                "plain",
                "a,b\n1,2\n",
                vec![(1, cells(&["a", "b"])), (2, cells(&["1", "2"]))],
            ),
            (
                "no final newline",
                "a,b\n1,2",
                vec![(1, cells(&["a", "b"])), (2, cells(&["1", "2"]))],
            ),
            (
                "crlf",
                "a,b\r\n1,2\r\n3,4\r\n",
                vec![
                    (1, cells(&["a", "b"])),
                    (2, cells(&["1", "2"])),
                    (3, cells(&["3", "4"])),
                ],
            ),
            (
                "blank lines",
                "t\n\na,b\n\n\n1,2\n",
                vec![
                    (1, cells(&["t"])),
                    (3, cells(&["a", "b"])),
                    (6, cells(&["1", "2"])),
                ],
            ),
            (
                "blank crlf lines",
                "t\r\n\r\na\r\n",
                vec![(1, cells(&["t"])), (3, cells(&["a"]))],
            ),
            ("leading blank", "\n\na\n", vec![(3, cells(&["a"]))]),
            (
                "old mac line ends",
                "a\rb\r\rc",
                vec![(1, cells(&["a"])), (2, cells(&["b"])), (4, cells(&["c"]))],
            ),
            (
                "quoted multi-line cell is one row",
                "a,b\n\"line1\nline2\r\nline3\",x\n1,2\n",
                vec![
                    (1, cells(&["a", "b"])),
                    (2, cells(&["line1\nline2\r\nline3", "x"])),
                    (3, cells(&["1", "2"])),
                ],
            ),
            (
                "quotes and commas",
                "\"张,三\",\"say \"\"hi\"\"\"\n",
                vec![(1, cells(&["张,三", "say \"hi\""]))],
            ),
            (
                "ragged rows",
                "a,b,c\n1\n1,2,3,4\n",
                vec![
                    (1, cells(&["a", "b", "c"])),
                    (2, cells(&["1"])),
                    (3, cells(&["1", "2", "3", "4"])),
                ],
            ),
            (
                "tabs",
                "学号\t姓名\n2022001\t张三\n",
                vec![
                    (1, cells(&["学号", "姓名"])),
                    (2, cells(&["2022001", "张三"])),
                ],
            ),
            (
                "semicolons",
                "a;b;c\n1;2,5;3\n",
                vec![(1, cells(&["a", "b", "c"])), (2, cells(&["1", "2,5", "3"]))],
            ),
        ];
        for (what, input, want) in cases {
            assert_eq!(rows(input), want, "{what}");
        }
    }

    #[test]
    fn rows_survive_buffer_boundaries() {
        // 30,000 rows cross the 256 KiB input buffer and the 4 KiB output buffer many times
        let mut input = String::from("a,b\r\n");
        for i in 0..30_000 {
            input.push_str(&format!("{i},\"{}\"\r\n", "x".repeat(i % 7000)));
        }
        let got = rows_with(input.as_bytes(), Limits::default()).unwrap();
        assert_eq!(got.len(), 30_001);
        for (i, r) in got.iter().skip(1).enumerate() {
            assert_eq!(r.row, i as u64 + 2);
            assert_eq!(r.cells[0], i.to_string());
            assert_eq!(r.cells[1].len(), i % 7000);
        }
    }

    #[test]
    fn limits_stop_reading_early() {
        let limits = Limits {
            max_rows: 5,
            max_record_bytes: 1024,
            ..Limits::default()
        };
        let err = rows_with("a\n".repeat(6).as_bytes(), limits).unwrap_err();
        assert_eq!(
            err,
            RosterError::TooManyRows {
                file: "t.csv".into(),
                limit: 5
            }
        );
        assert!(rows_with("a\n".repeat(5).as_bytes(), limits).is_ok());
        let err = rows_with("\n".repeat(6).as_bytes(), limits).unwrap_err();
        assert!(
            matches!(err, RosterError::TooManyRows { .. }),
            "blank rows count too"
        );

        let unclosed = format!("a,b\n1,\"{}\n", "never closed,".repeat(10_000));
        let err = rows_with(unclosed.as_bytes(), limits).unwrap_err();
        assert_eq!(
            err,
            RosterError::RecordTooLong {
                file: "t.csv".into(),
                row: 2,
                limit: 1024
            }
        );
        let wide = ",".repeat(MAX_COLUMNS + 1);
        let err = rows_with(wide.as_bytes(), Limits::default()).unwrap_err();
        assert!(
            matches!(err, RosterError::TooManyColumns { row: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn invalid_utf8_becomes_replacement_characters() {
        let got = rows_with(b"a,\xFFb\n", Limits::default()).unwrap();
        assert_eq!(got[0].cells, cells(&["a", "\u{FFFD}b"]));
        assert_eq!(
            got[0].flaws,
            [CellFlaw {
                col: 1,
                kind: FlawKind::NotUtf8
            }],
            "the cell is marked: its row is rejected with the cell named"
        );
        // 中 is E4 B8 AD: split by a delimiter, the joined cells would be valid, each cell is not
        let got = rows_with(b"x,\xE4\xB8,\xAD\n", Limits::default()).unwrap();
        assert_eq!(got[0].cells, cells(&["x", "\u{FFFD}", "\u{FFFD}"]));
        let got = rows_with("张三,李四\n".as_bytes(), Limits::default()).unwrap();
        assert_eq!(got[0].cells, cells(&["张三", "李四"]));
    }
}
