//! Reading `.xlsx` workbooks cell by cell (calamine's streaming reader), so a large sheet is
//! never held in memory as a grid.
//!
//! Excel stores what looks like text as numbers whenever a column is "General": 学号 and phone
//! numbers come back as floats, and an 18-digit ID number as a float that has already lost its
//! last digits. Integers are recovered exactly when that is certain; otherwise the cell is
//! flagged and its row rejected with the reason — never imported with wrong digits.

use std::io::BufReader;

use calamine::{DataRef, Reader, Xlsx};

use super::{CellFlaw, FlawKind, Progress, RawRow, ReadOptions, ReadSeek, RosterError};

const PROGRESS_EVERY: u32 = 4096;

/// 2^53: above it not every integer has a double.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// Reads the chosen sheet (the first by default) and hands each non-empty row to `sink`.
pub(crate) fn read_rows(
    reader: Box<dyn ReadSeek + '_>,
    file: &str,
    options: &ReadOptions,
    sink: &mut dyn FnMut(&RawRow) -> Result<(), RosterError>,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), RosterError> {
    let not_workbook = |e: calamine::XlsxError| RosterError::NotWorkbook {
        file: file.to_string(),
        reason: e.to_string(),
    };
    let mut workbook = Xlsx::new(BufReader::new(reader)).map_err(not_workbook)?;
    let sheets = workbook.sheet_names();
    let sheet = match &options.sheet {
        Some(wanted) => sheets
            .iter()
            .find(|s| *s == wanted)
            .or_else(|| {
                sheets
                    .iter()
                    .find(|s| s.trim().eq_ignore_ascii_case(wanted.trim()))
            })
            .cloned()
            .ok_or_else(|| RosterError::NoSuchSheet {
                file: file.to_string(),
                sheet: wanted.clone(),
                sheets: sheets.clone(),
            })?,
        None => sheets.first().cloned().ok_or_else(|| RosterError::Empty {
            file: file.to_string(),
        })?,
    };
    let mut cells = workbook
        .worksheet_cells_reader(&sheet)
        .map_err(not_workbook)?;
    let total = u64::from(cells.dimensions().end.0) + 1;
    let mut row = RawRow::default();
    let mut current: Option<u32> = None;
    while let Some(cell) = cells.next_cell_with_formula().map_err(not_workbook)? {
        let (r, c) = cell.pos;
        if current != Some(r) {
            if current.is_some() {
                sink(&row)?;
            }
            if u64::from(r) + 1 > options.limits.max_rows {
                return Err(RosterError::TooManyRows {
                    file: file.to_string(),
                    limit: options.limits.max_rows,
                });
            }
            if r % PROGRESS_EVERY == 0 {
                progress(Progress {
                    rows: u64::from(r),
                    done: u64::from(r),
                    total,
                });
            }
            current = Some(r);
            row.row = u64::from(r) + 1;
            row.flaws.clear();
            for text in &mut row.cells {
                text.clear();
            }
        }
        let col = c as usize;
        let (text, flaw) = cell_text(&cell.value, cell.formula.as_deref());
        if text.is_empty() && flaw.is_none() {
            continue;
        }
        if row.cells.len() <= col {
            row.cells.resize(col + 1, String::new());
        }
        row.cells[col] = text;
        if let Some(kind) = flaw {
            row.flaws.push(CellFlaw { col, kind });
        }
    }
    if current.is_some() {
        sink(&row)?;
    }
    Ok(())
}

/// The text a cell stands for, or why it cannot be trusted.
fn cell_text(value: &DataRef<'_>, formula: Option<&str>) -> (String, Option<FlawKind>) {
    let formula = formula.filter(|f| !f.trim().is_empty());
    let text = match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => match number_text(*f) {
            Ok(text) => text,
            Err(shown) => return (String::new(), Some(FlawKind::LostDigits { shown })),
        },
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => {
            return (
                String::new(),
                Some(FlawKind::ExcelError {
                    code: e.to_string(),
                }),
            );
        }
    };
    match formula {
        // No cached result: written by a program that does not calculate formulas.
        Some(f) if text.is_empty() => (
            text,
            Some(FlawKind::FormulaWithoutValue {
                formula: f.trim().to_string(),
            }),
        ),
        _ => (text, None),
    }
}

/// Turns a number cell into the text the user typed, when that is certain. Excel keeps 15
/// significant digits: integers up to 15 digits are exact; a 16-digit one is exact only if it
/// fits a double exactly and does not end in the 0 Excel puts in place of a dropped 16th digit;
/// anything longer has lost digits. `Err` carries the number as Excel shows it.
pub fn number_text(f: f64) -> Result<String, String> {
    if !f.is_finite() || f.fract() != 0.0 {
        return Ok(f.to_string());
    }
    let magnitude = f.abs();
    if magnitude < 1e15 || (magnitude < EXACT_INTEGER_LIMIT && (f as i64) % 10 != 0) {
        return Ok(format!("{}", f as i64));
    }
    Err(excel_scientific(f))
}

/// `4.40106200403151E+17`, as Excel displays a long number.
fn excel_scientific(f: f64) -> String {
    let formatted = format!("{f:.14E}");
    let (mantissa, exponent) = formatted.split_once('E').unwrap_or((&formatted, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exponent = exponent
        .strip_prefix('-')
        .map(|e| format!("-{e}"))
        .unwrap_or_else(|| format!("+{exponent}"));
    format!("{mantissa}E{exponent}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_recovered_only_when_exact() {
        let cases: Vec<(f64, Result<&str, &str>)> = vec![
            (2022001.0, Ok("2022001")),
            (2026.0, Ok("2026")),
            (13800138000.0, Ok("13800138000")),
            (110105490101002.0, Ok("110105490101002")), // an old 15-digit ID number
            (999_999_999_999_999.0, Ok("999999999999999")),
            (1_234_567_890_123_457.0, Ok("1234567890123457")), // 16 digits, not Excel-truncated
            (1_234_567_890_123_450.0, Err("1.23456789012345E+15")), // Excel's dropped 16th digit
            (440_106_200_403_150_012.0, Err("4.40106200403150E+17")),
            (-5.0, Ok("-5")),
            (3.5, Ok("3.5")),
        ];
        for (f, want) in cases {
            let got = number_text(f);
            match want {
                Ok(text) => assert_eq!(got, Ok(text.to_string()), "{f}"),
                Err(prefix) => {
                    let shown = got.expect_err("digits lost");
                    assert!(
                        shown.starts_with(&prefix[..12]) && shown.contains("E+"),
                        "{f}: {shown}"
                    );
                }
            }
        }
    }

    #[test]
    fn cells_to_text() {
        let cases: Vec<(DataRef<'_>, Option<&str>, &str, Option<FlawKind>)> = vec![
            (DataRef::SharedString("张三"), None, "张三", None),
            (DataRef::Float(2022001.0), None, "2022001", None),
            (DataRef::Int(7), None, "7", None),
            (
                DataRef::String("计算机学院".into()),
                Some("\"计算机\"&\"学院\""),
                "计算机学院",
                None,
            ),
            (
                DataRef::Empty,
                Some("A2&B2"),
                "",
                Some(FlawKind::FormulaWithoutValue {
                    formula: "A2&B2".into(),
                }),
            ),
            (
                DataRef::String(String::new()),
                Some("A2&B2"),
                "",
                Some(FlawKind::FormulaWithoutValue {
                    formula: "A2&B2".into(),
                }),
            ),
            (
                DataRef::Error(calamine::CellErrorType::NA),
                Some("VLOOKUP(A2,X,2)"),
                "",
                Some(FlawKind::ExcelError {
                    code: "#N/A".into(),
                }),
            ),
            (DataRef::Bool(true), None, "TRUE", None),
        ];
        for (value, formula, text, flaw) in cases {
            assert_eq!(
                cell_text(&value, formula),
                (text.to_string(), flaw),
                "{value:?}"
            );
        }
    }
}
