//! What a spreadsheet cell's value stands for, shared by the `.xlsx` and `.xls` readers: numbers
//! turned back into the digits that were typed (when that is certain), dates, and the values that
//! cannot be a 学号 (see `docs/roster.md`, "Workbooks").

use std::borrow::Cow;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::FlawKind;

/// 2^53: above it not every integer has a double.
const EXACT_INTEGER_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A cell value that is not text and not a whole number: shown as text (a date as
/// `2026-06-30`), but never taken for a 学号.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotText {
    Date,
    DateTime,
    Bool,
    Negative,
    Fraction,
}

impl NotText {
    pub fn describe(self, zh: bool) -> &'static str {
        match (self, zh) {
            (NotText::Date, true) => "日期",
            (NotText::Date, false) => "a date",
            (NotText::DateTime, true) => "日期时间",
            (NotText::DateTime, false) => "a date and time",
            (NotText::Bool, true) => "逻辑值（TRUE/FALSE）",
            (NotText::Bool, false) => "a TRUE/FALSE value",
            (NotText::Negative, true) => "负数",
            (NotText::Negative, false) => "a negative number",
            (NotText::Fraction, true) => "小数",
            (NotText::Fraction, false) => "a fraction",
        }
    }
}

/// A number cell's text (`value` as stored), and a flaw when it is a date (its style shows one),
/// a negative or fractional number, or a whole number that lost digits.
pub fn number(value: &str, date_style: bool, date1904: bool) -> (String, Option<FlawKind>) {
    let Ok(f) = value.parse::<f64>() else {
        // not a number after all: the text as stored
        return (value.to_string(), None);
    };
    if date_style && let Some((text, kind)) = serial_date(f, date1904) {
        return (text.clone(), Some(FlawKind::NotText { kind, shown: text }));
    }
    whole_number(f)
}

/// The same for a value calamine read as a number (`.xls`).
pub fn whole_number(f: f64) -> (String, Option<FlawKind>) {
    let not_text = |kind| {
        let text = f.to_string();
        (text.clone(), Some(FlawKind::NotText { kind, shown: text }))
    };
    if !f.is_finite() || f.fract() != 0.0 {
        return not_text(NotText::Fraction);
    }
    if f < 0.0 {
        return not_text(NotText::Negative);
    }
    match number_text(f) {
        Ok(text) => (text, None),
        Err(shown) => (String::new(), Some(FlawKind::LostDigits { shown })),
    }
}

/// A date cell's text: `2026-06-30`, or `2026-06-30 08:30:00` when it has a time of day.
pub fn date_text(at: NaiveDateTime) -> (String, NotText) {
    if at.time() == chrono::NaiveTime::MIN {
        (at.format("%Y-%m-%d").to_string(), NotText::Date)
    } else {
        (
            at.format("%Y-%m-%d %H:%M:%S").to_string(),
            NotText::DateTime,
        )
    }
}

/// An Excel date serial (days since 1899-12-30, or since 1904-01-01) as text.
fn serial_date(serial: f64, date1904: bool) -> Option<(String, NotText)> {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return None;
    }
    let base = if date1904 {
        NaiveDate::from_ymd_opt(1904, 1, 1)?
    } else if serial < 60.0 {
        // Excel counts a 29 February 1900 that never was: days before it start a day later
        NaiveDate::from_ymd_opt(1899, 12, 31)?
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 30)?
    };
    let days = serial.floor();
    let seconds = ((serial - days) * 86_400.0).round() as i64;
    let at = base.and_hms_opt(0, 0, 0)? + Duration::days(days as i64) + Duration::seconds(seconds);
    Some(date_text(at))
}

/// A `t="d"` cell (ISO 8601 date or date-time written by some programs).
pub fn iso_date(value: &str) -> (String, Option<FlawKind>) {
    let (text, kind) = match value.split_once('T') {
        Some((date, time)) if time.trim_start_matches(['0', ':', '.']).is_empty() => {
            (date.to_string(), NotText::Date)
        }
        Some((date, time)) => (format!("{date} {time}"), NotText::DateTime),
        None => (value.to_string(), NotText::Date),
    };
    (text.clone(), Some(FlawKind::NotText { kind, shown: text }))
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

/// The built-in number formats that show a date or time (ECMA-376 §18.8.30, with the East
/// Asian ones Chinese Excel uses).
pub fn is_builtin_date_format(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58 | 71..=81)
}

/// Whether a custom format code shows a date or time: a `y m d h s` outside quoted text,
/// `[colour]` brackets and `\` escapes (`yyyy"年"m"月"d"日"` does; `0.00`, `@` and `[Red]0` do not).
pub fn is_date_format(code: &str) -> bool {
    let mut quoted = false;
    let mut bracket = false;
    let mut escaped = false;
    for c in code.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '"' => quoted = !quoted,
            _ if quoted => {}
            '\\' => escaped = true,
            '[' => bracket = true,
            ']' => bracket = false,
            _ if bracket => {}
            // a section for text only: `;@` ends the number sections
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' => return true,
            _ => {}
        }
    }
    false
}

/// A cell reference (`B12`) as a column counted from 1 and the row, if written; `Err` when the
/// column is past `max_columns` or the reference is not one.
pub fn parse_ref(reference: &str, max_columns: usize) -> Result<(usize, Option<u64>), ()> {
    let bytes = reference.trim().as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 {
        return Err(());
    }
    let mut col: usize = 0;
    for &b in &bytes[..letters] {
        col = col * 26 + usize::from(b.to_ascii_uppercase() - b'A') + 1;
        if col > max_columns {
            return Err(());
        }
    }
    let digits = &bytes[letters..];
    if digits.is_empty() {
        return Ok((col, None));
    }
    if digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(());
    }
    let row = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or(())?;
    Ok((col, Some(row)))
}

/// Undoes Excel's escapes of characters XML cannot hold: `_x000D_` is a carriage return (four hex
/// digits, a UTF-16 unit; a pair for a character outside the BMP), `_x005F_` a literal `_`.
pub fn unescape_excel(text: &str) -> Cow<'_, str> {
    if !text.contains("_x") {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut units: Vec<u16> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{FFFD}')));
    };
    while i < bytes.len() {
        let escape = bytes.get(i..i + 7).filter(|e| {
            e[0] == b'_'
                && e[1] == b'x'
                && e[6] == b'_'
                && e[2..6].iter().all(u8::is_ascii_hexdigit)
        });
        if let Some(e) = escape {
            let hex = std::str::from_utf8(&e[2..6]).unwrap_or("0");
            units.push(u16::from_str_radix(hex, 16).unwrap_or(0xFFFD));
            i += 7;
            continue;
        }
        flush(&mut units, &mut out);
        let len = text[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&text[i..i + len]);
        i += len;
    }
    flush(&mut units, &mut out);
    Cow::Owned(out)
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
    fn values_that_are_no_student_number_are_flagged() {
        let flag = |kind, shown: &str| {
            Some(FlawKind::NotText {
                kind,
                shown: shown.into(),
            })
        };
        let cases = [
            ("2022001", false, ("2022001", None)),
            (
                "2022001",
                true,
                ("7436-01-18", flag(NotText::Date, "7436-01-18")),
            ),
            (
                "46203",
                true,
                ("2026-06-30", flag(NotText::Date, "2026-06-30")),
            ),
            (
                "46203.5",
                true,
                (
                    "2026-06-30 12:00:00",
                    flag(NotText::DateTime, "2026-06-30 12:00:00"),
                ),
            ),
            (
                "-2022001",
                false,
                ("-2022001", flag(NotText::Negative, "-2022001")),
            ),
            (
                "2022001.5",
                false,
                ("2022001.5", flag(NotText::Fraction, "2022001.5")),
            ),
            ("1E+3", false, ("1000", None)),
            ("abc", false, ("abc", None)),
        ];
        for (value, date, (text, flaw)) in cases {
            assert_eq!(
                number(value, date, false),
                (text.to_string(), flaw),
                "{value}"
            );
        }
        assert_eq!(number("0", true, true).0, "1904-01-01");
        assert_eq!(number("59", true, false).0, "1900-02-28");
        assert_eq!(number("61", true, false).0, "1900-03-01");
        assert_eq!(
            iso_date("2026-06-30T00:00:00"),
            ("2026-06-30".into(), flag(NotText::Date, "2026-06-30"))
        );
    }

    #[test]
    fn date_formats_are_told_from_others() {
        for code in [
            "yyyy-mm-dd",
            "yyyy\"年\"m\"月\"d\"日\"",
            "[$-804]yyyy/m/d",
            "h:mm",
            "m/d/yy",
        ] {
            assert!(is_date_format(code), "{code}");
        }
        for code in [
            "General",
            "0",
            "0.00",
            "@",
            "[Red]0",
            "\"学号\"0",
            "#,##0",
            "0.00E+00",
        ] {
            assert!(!is_date_format(code), "{code}");
        }
        assert!(is_builtin_date_format(14) && is_builtin_date_format(57));
        assert!(!is_builtin_date_format(0) && !is_builtin_date_format(49));
    }

    #[test]
    fn references_are_bounded_by_the_last_column() {
        assert_eq!(parse_ref("A1", 16_384), Ok((1, Some(1))));
        assert_eq!(
            parse_ref("xfd1048576", 16_384),
            Ok((16_384, Some(1_048_576)))
        );
        assert_eq!(parse_ref("XFE3", 16_384), Err(()));
        assert_eq!(parse_ref("ZZZZZZZ3", 16_384), Err(()));
        assert_eq!(parse_ref(&"Z".repeat(100_000), 16_384), Err(()));
        assert_eq!(parse_ref("B", 16_384), Ok((2, None)));
        assert_eq!(parse_ref("3", 16_384), Err(()));
        assert_eq!(parse_ref("A99999999999999999999", 16_384), Err(()));
    }

    #[test]
    fn excel_escapes_are_undone() {
        assert_eq!(unescape_excel("a_x000D_b"), "a\rb");
        assert_eq!(unescape_excel("_x005F_x000D_"), "_x000D_");
        assert_eq!(unescape_excel("_xD83D__xDCF7_"), "📷");
        assert_eq!(unescape_excel("张_x三_"), "张_x三_");
        assert_eq!(unescape_excel("plain"), "plain");
    }
}
