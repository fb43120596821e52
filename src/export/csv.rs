//! CSV that Chinese Excel opens correctly: UTF-8 with a byte-order mark, CRLF line ends, and
//! text cells that could start a formula neutralised with a leading apostrophe (SPEC §9).

use std::borrow::Cow;
use std::path::Path;

use super::{Cell, ExportError, write_atomically};

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

/// The whole file: BOM, header line, one line per row.
pub fn to_bytes(headers: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut out = BOM.to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(&mut out);
        // Writing into a Vec cannot fail; errors would only come from the sink.
        let _ = w.write_record(
            headers
                .iter()
                .map(|h| neutralise(h))
                .collect::<Vec<_>>()
                .iter()
                .map(|c| c.as_bytes()),
        );
        for row in rows {
            let cells: Vec<Cow<'_, str>> = row
                .iter()
                .map(|c| match c {
                    Cell::Text(s) => neutralise(s),
                    // A negative number is data, not a formula: never prefixed.
                    other => Cow::Owned(other.text().into_owned()),
                })
                .collect();
            let _ = w.write_record(cells.iter().map(|c| c.as_bytes()));
        }
        let _ = w.flush();
    }
    out
}

/// Writes a table to `path` (replacing it whole, never half-written).
pub fn write_table(path: &Path, headers: &[&str], rows: &[Vec<Cell>]) -> Result<(), ExportError> {
    write_atomically(path, &to_bytes(headers, rows))
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
