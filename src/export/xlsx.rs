//! XLSX for Chinese Excel and WPS: bold frozen header with a filter, column widths measured in
//! display columns (a Han character is two), numbers as numbers, and text that looks like a
//! formula marked as text (quote prefix) so it is shown, never run.

use std::path::Path;

use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet};
use unicode_width::UnicodeWidthStr;

use super::{Cell, ExportError, write_output};

/// Rows below the header that one sheet holds (Excel's limit is 1,048,576 rows in all).
const MAX_ROWS: usize = 1_048_575;
/// Excel refuses longer strings in a cell.
const MAX_CELL_CHARS: usize = 32_767;

/// One sheet of a workbook.
#[derive(Debug, Clone, Copy)]
pub struct Sheet<'a> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [Vec<Cell>],
}

/// Writes one sheet to `path`.
pub fn write_table(
    path: &Path,
    sheet: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<(), ExportError> {
    write_workbook(
        path,
        &[Sheet {
            name: sheet,
            headers,
            rows,
        }],
    )
}

/// Writes several sheets to `path` (replacing it whole, never half-written).
pub fn write_workbook(path: &Path, sheets: &[Sheet<'_>]) -> Result<(), ExportError> {
    let bytes = to_bytes(sheets).map_err(|e| match e {
        BuildError::TooManyRows(rows) => ExportError::TooManyRows { rows },
        BuildError::Xlsx(reason) => ExportError::Xlsx {
            path: path.display().to_string(),
            reason,
        },
    })?;
    write_output(path, &bytes)
}

enum BuildError {
    TooManyRows(usize),
    Xlsx(String),
}

impl From<rust_xlsxwriter::XlsxError> for BuildError {
    fn from(e: rust_xlsxwriter::XlsxError) -> Self {
        BuildError::Xlsx(e.to_string())
    }
}

fn to_bytes(sheets: &[Sheet<'_>]) -> Result<Vec<u8>, BuildError> {
    let mut workbook = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin);
    let as_text = Format::new().set_quote_prefix();
    let mut used_names: Vec<String> = Vec::new();
    for sheet in sheets {
        if sheet.rows.len() > MAX_ROWS {
            return Err(BuildError::TooManyRows(sheet.rows.len()));
        }
        let ws = workbook.add_worksheet();
        ws.set_name(unique_sheet_name(sheet.name, &mut used_names))?;
        fill(ws, sheet, &header, &as_text)?;
    }
    Ok(workbook.save_to_buffer()?)
}

fn fill(
    ws: &mut Worksheet,
    sheet: &Sheet<'_>,
    header: &Format,
    as_text: &Format,
) -> Result<(), BuildError> {
    let columns = sheet
        .headers
        .len()
        .max(sheet.rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut widths: Vec<usize> = vec![0; columns];
    for (c, h) in sheet.headers.iter().enumerate() {
        ws.write_string_with_format(0, col(c), *h, header)?;
        widths[c] = widths[c].max(h.width());
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            match cell {
                Cell::Text(s) => {
                    let s: String = s.chars().take(MAX_CELL_CHARS).collect();
                    if super::csv::neutralise(&s) != s.as_str() {
                        ws.write_string_with_format(r, col(c), &s, as_text)?;
                    } else {
                        ws.write_string(r, col(c), &s)?;
                    }
                }
                Cell::Int(n) => {
                    ws.write_number(r, col(c), *n as f64)?;
                }
                Cell::Float(x) => {
                    ws.write_number(r, col(c), *x)?;
                }
                Cell::Percent(x) => {
                    // a real number, shown as a percentage: Excel can still sum and sort it
                    ws.write_number_with_format(
                        r,
                        col(c),
                        *x,
                        &Format::new().set_num_format("0.0%"),
                    )?;
                }
            }
            widths[c] = widths[c].max(cell.text().width());
        }
    }
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(col(c), column_width(*w))?;
    }
    if columns > 0 {
        ws.set_freeze_panes(1, 0)?;
        ws.autofilter(0, 0, sheet.rows.len() as u32, col(columns - 1))?;
    }
    Ok(())
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Excel widths are in characters of the default font; CJK glyphs take two. A little padding
/// for the filter button, and a ceiling so one long note does not make a column screen-wide.
pub fn column_width(display_width: usize) -> f64 {
    (display_width + 3).clamp(6, 60) as f64
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`, not empty, unique.
fn unique_sheet_name(wanted: &str, used: &mut Vec<String>) -> String {
    let clean: String = wanted
        .chars()
        .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !c.is_control())
        .take(31)
        .collect();
    let base = if clean.trim().is_empty() {
        "Sheet".to_string()
    } else {
        clean
    };
    let mut name = base.clone();
    let mut n = 2;
    while used.iter().any(|u| u.eq_ignore_ascii_case(&name)) {
        let suffix = format!(" ({n})");
        name = format!(
            "{}{suffix}",
            base.chars()
                .take(31 - suffix.chars().count())
                .collect::<String>()
        );
        n += 1;
    }
    used.push(name.clone());
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};

    #[test]
    fn widths_count_han_characters_twice() {
        let cases = [
            (0, 6.0),
            (4, 7.0),
            ("计算机科学与技术学院".width(), 23.0),
            (200, 60.0),
        ];
        for (w, want) in cases {
            assert_eq!(column_width(w), want, "{w}");
        }
    }

    #[test]
    fn sheet_names_are_made_legal_and_unique() {
        let mut used = Vec::new();
        assert_eq!(unique_sheet_name("排期/按学院", &mut used), "排期按学院");
        assert_eq!(
            unique_sheet_name("排期/按学院", &mut used),
            "排期按学院 (2)"
        );
        assert_eq!(unique_sheet_name("", &mut used), "Sheet");
        assert_eq!(
            unique_sheet_name(&"长".repeat(40), &mut used)
                .chars()
                .count(),
            31
        );
    }

    #[test]
    fn workbook_reads_back_with_types_and_safe_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("排期.xlsx");
        let rows = vec![
            vec![
                Cell::from("计算机学院"),
                Cell::from("软工2201"),
                Cell::from(35i64),
                Cell::from(0.5),
            ],
            vec![
                Cell::from("=1+1"),
                Cell::from("-5"),
                Cell::from(-5i64),
                Cell::from(1.0),
            ],
        ];
        write_table(&path, "排期", &["学院", "班级", "人数", "完成率"], &rows).unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook(&path).unwrap();
        assert_eq!(book.sheet_names(), ["排期"]);
        let range = book.worksheet_range("排期").unwrap();
        let cells: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
        assert_eq!(cells[0][0], Data::String("学院".into()));
        assert_eq!(cells[1][0], Data::String("计算机学院".into()));
        assert_eq!(cells[1][2], Data::Float(35.0), "numbers stay numbers");
        assert_eq!(
            cells[2][0],
            Data::String("=1+1".into()),
            "formula-like text is stored as text, not a formula"
        );
        assert_eq!(cells[2][2], Data::Float(-5.0));
        let formulas = book.worksheet_formula("排期").unwrap();
        assert!(
            formulas.cells().all(|(_, _, f)| f.is_empty()),
            "no formulas at all"
        );
    }

    #[test]
    fn too_many_rows_is_refused_before_writing() {
        let rows = vec![Vec::new(); MAX_ROWS + 1];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.xlsx");
        let err = write_table(&path, "x", &["a"], &rows).unwrap_err();
        assert!(matches!(err, ExportError::TooManyRows { .. }), "{err}");
        assert!(!path.exists());
    }
}
