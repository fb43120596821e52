//! CSV that Chinese Excel opens correctly: UTF-8 with a byte-order mark, CRLF line ends, and
//! text cells that could start a formula neutralised with a leading apostrophe (docs/reports.md).

use std::borrow::Cow;
use std::io::{self, Write};
use std::path::Path;

use super::{Cell, ExportError, write_output};

/// The UTF-8 byte-order mark: without it Excel reads UTF-8 as the local code page (GBK).
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Text that a spreadsheet would run as a formula (= + - @) or that hides a formula behind
/// whitespace (tab, CR) gets a leading `'`, which Excel shows as text.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// The one CSV writer of caiji: every CSV it writes — a file from `-o` or the console, or
/// `--format csv` on stdout — comes from here, so all of them start with the BOM, end lines with
/// CRLF, quote as Excel expects and neutralise text cells that could start a formula.
pub struct Writer<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> Writer<W> {
    /// A CSV output that starts here: the BOM is written first.
    pub fn new(mut out: W) -> io::Result<Writer<W>> {
        out.write_all(BOM)?;
        Ok(Writer::continuing(out))
    }

    /// More records of an output whose start (and BOM) was written before.
    pub fn continuing(out: W) -> Writer<W> {
        Writer {
            out: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(out),
        }
    }

    /// A record of text cells (a header, or a row of texts), each neutralised.
    pub fn texts<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<S> = cells.into_iter().collect();
        self.out
            .write_record(cells.iter().map(|c| neutralise(c.as_ref()).into_owned()))
            .map_err(io_error)
    }

    /// A row of cells: text neutralised, numbers as they are (a negative number is data, not a
    /// formula).
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        let cells: Vec<Cow<'_, str>> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => neutralise(s),
                other => Cow::Owned(other.text().into_owned()),
            })
            .collect();
        self.out
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .map_err(io_error)
    }

    /// Sends what is buffered on to the output (and flushes it).
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Flushes and gives the output back.
    pub fn into_inner(self) -> io::Result<W> {
        self.out.into_inner().map_err(|e| e.into_error())
    }
}

/// The csv crate's error as the I/O error it wraps (a closed pipe stays `BrokenPipe`).
fn io_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// The whole file: BOM, header line, one line per row.
pub fn to_bytes(headers: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut w = Writer::continuing(BOM.to_vec());
    // Writing into a Vec cannot fail; errors would only come from the sink.
    let _ = w.texts(headers);
    for row in rows {
        let _ = w.row(row);
    }
    w.into_inner().unwrap_or_default()
}

/// Writes a table to `path` (replacing it whole, never half-written).
pub fn write_table(path: &Path, headers: &[&str], rows: &[Vec<Cell>]) -> Result<(), ExportError> {
    write_output(path, &to_bytes(headers, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starters_are_neutralised() {
        let cases = [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+86 138", "'+86 138"),
            ("-1+1", "'-1+1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("张三", "张三"),
            ("a=b", "a=b"),
            ("", ""),
            ("'quoted", "'quoted"),
        ];
        for (input, want) in cases {
            assert_eq!(neutralise(input), want, "{input:?}");
        }
    }

    #[test]
    fn file_has_bom_crlf_quotes_and_safe_cells() {
        let rows = vec![
            vec![
                Cell::from("计算机学院"),
                Cell::from("软工2201, 一班"),
                Cell::from(-3i64),
            ],
            vec![
                Cell::from("=cmd|' /C calc'!A0"),
                Cell::from("说\"明\""),
                Cell::from(0.5),
            ],
        ];
        let bytes = to_bytes(&["学院", "班级", "人数"], &rows);
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "学院,班级,人数\r\n计算机学院,\"软工2201, 一班\",-3\r\n'=cmd|' /C calc'!A0,\"说\"\"明\"\"\",0.5\r\n"
        );
        // An independent reader gets the cells back (after the BOM).
        let mut reader = ::csv::ReaderBuilder::new().from_reader(&bytes[3..]);
        let back: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect();
        assert_eq!(back[0], ["计算机学院", "软工2201, 一班", "-3"]);
        assert_eq!(back[1][0], "'=cmd|' /C calc'!A0");
    }
}
