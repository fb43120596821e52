//! Plain-text tables for the terminal: columns aligned by display width, so CJK text lines up.

use unicode_width::UnicodeWidthStr;

use crate::domain::text::strip_controls;

/// Renders rows under headers, each column padded to its widest cell (in terminal columns).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let clean: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| strip_controls(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for row in &clean {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.width());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        let mut pending = String::new();
        for (i, cell) in cells.enumerate() {
            if !first {
                pending.push_str("  ");
            }
            first = false;
            pending.push_str(cell);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.width());
            pending.extend(std::iter::repeat_n(' ', pad));
        }
        out.push_str(pending.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in &clean {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn cjk_columns_align_by_display_width() {
        let out = table(
            &["学号", "姓名", "班级"],
            &[
                vec!["2022001".into(), "张三".into(), "计科1班".into()],
                vec!["2022002".into(), "John Smith".into(), "CS-2".into()],
                vec![
                    "2022003".into(),
                    "买买提·艾力".into(),
                    "\u{1b}[2J软工".into(),
                ],
            ],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "学号     姓名         班级");
        assert_eq!(lines[1], "2022001  张三         计科1班");
        assert_eq!(lines[2], "2022002  John Smith   CS-2");
        assert_eq!(lines[3], "2022003  买买提·艾力  [2J软工");
    }
}
