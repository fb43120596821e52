//! Width-aware text for the console: everything drawn passes through here.
//!
//! Terminal columns are counted by display width (unicode-width), never by `chars().count()`:
//! a Han character takes two columns, so a name cut by character count would push every column
//! to its right out of line. Control characters are stripped first, so text from the database or
//! from files can never move the cursor or change colours behind the console's back.

use std::borrow::Cow;

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::domain::text::strip_controls;

/// What replaces the cut-off part of a truncated text (one column wide).
pub const ELLIPSIS: char = '…';

/// The text with control characters removed: the only form in which outside text is drawn.
pub fn clean(text: &str) -> Cow<'_, str> {
    strip_controls(text)
}

/// Display width of `text` in terminal columns.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// `text` cleaned and cut to at most `max` columns; a cut text ends in `…`.
pub fn truncate(text: &str, max: usize) -> String {
    let text = clean(text);
    if width(&text) <= max {
        return text.into_owned();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // room for the ellipsis
    let mut out = String::with_capacity(text.len());
    let mut used = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push(ELLIPSIS);
    out
}

/// `text` cleaned, cut to `max` columns keeping its end (for paths and URLs, where the file
/// name matters more than the folders): a cut text starts with `…`.
pub fn truncate_start(text: &str, max: usize) -> String {
    let text = clean(text);
    if width(&text) <= max {
        return text.into_owned();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1;
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = char_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        kept.push(c);
    }
    let mut out = String::with_capacity(text.len());
    out.push(ELLIPSIS);
    out.extend(kept.into_iter().rev());
    out
}

/// `text` cleaned, truncated and padded with spaces to exactly `cols` columns. A wide character
/// that would straddle the edge is replaced by padding, so the next column always starts in place.
pub fn fit(text: &str, cols: usize) -> String {
    let mut out = truncate(text, cols);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// How many characters of `text` (already cleaned) `truncate(text, max)` keeps before its `…`,
/// or all of them when it fits.
fn kept_chars(text: &str, max: usize) -> usize {
    if width(text) <= max {
        return text.chars().count();
    }
    let budget = max.saturating_sub(1);
    let mut used = 0;
    let mut kept = 0;
    for c in text.chars() {
        let w = char_width(c);
        if used + w > budget {
            break;
        }
        used += w;
        kept += 1;
    }
    kept
}

/// `fit(text, cols)` as styled pieces: the characters at `hits` (indices into the cleaned text)
/// in `hit` style, the rest in `style`. The pieces together are exactly `cols` columns wide.
pub fn fit_highlighted(
    text: &str,
    cols: usize,
    hits: &[usize],
    style: Style,
    hit: Style,
) -> Vec<Span<'static>> {
    let fitted = fit(text, cols);
    if hits.is_empty() {
        return vec![Span::styled(fitted, style)];
    }
    let kept = kept_chars(&clean(text), cols);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_hit = false;
    for (i, c) in fitted.chars().enumerate() {
        let is_hit = i < kept && hits.binary_search(&i).is_ok();
        if is_hit != run_hit && !run.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut run),
                if run_hit { style.patch(hit) } else { style },
            ));
        }
        run_hit = is_hit;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(
            run,
            if run_hit { style.patch(hit) } else { style },
        ));
    }
    spans
}

/// `text` cleaned and padded on the left to `cols` columns (numbers in counts).
pub fn fit_right(text: &str, cols: usize) -> String {
    let t = truncate(text, cols);
    let mut out: String = std::iter::repeat_n(' ', cols.saturating_sub(width(&t))).collect();
    out.push_str(&t);
    out
}

/// Marks that must not begin a line (they stay with the character before them).
fn closes(token: &str) -> bool {
    matches!(
        token,
        "，" | "。" | "、" | "；" | "：" | "？" | "！" | "）" | "」" | "』" | "》" | "〉" | "…"
    )
}

/// `text` cleaned and broken into lines of at most `max` columns. Chinese may break between any
/// two characters, but runs of ASCII letters, digits and signs (numbers, commands, English words)
/// stay whole when they fit on a line, and closing punctuation never starts a line.
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    if max == 0 {
        return Vec::new();
    }
    let text = clean(text);
    let mut tokens: Vec<&str> = Vec::new();
    let mut run: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let in_word = c.is_ascii() && c != ' ';
        if let Some(start) = run.filter(|_| !in_word) {
            tokens.push(&text[start..i]);
            run = None;
        }
        if in_word {
            run.get_or_insert(i);
        } else {
            tokens.push(&text[i..i + c.len_utf8()]);
        }
    }
    if let Some(start) = run {
        tokens.push(&text[start..]);
    }

    let mut lines = Vec::new();
    let mut line: Vec<String> = Vec::new();
    let line_width = |line: &[String]| line.iter().map(|t| width(t)).sum::<usize>();
    let flush = |lines: &mut Vec<String>, line: &[String]| {
        let text = line.concat();
        let text = text.trim_end();
        if !text.is_empty() {
            lines.push(text.to_string());
        }
    };
    for token in tokens {
        if line.is_empty() && token == " " {
            continue;
        }
        if line_width(&line) + width(token) <= max {
            line.push(token.to_string());
            continue;
        }
        // A closing mark takes the token before it (and any marks between) to the new line.
        let mut carried = Vec::new();
        if closes(token) {
            let mut keep = line.len();
            while keep > 0 {
                keep -= 1;
                if !closes(&line[keep]) {
                    break;
                }
            }
            if keep > 0 {
                carried = line.split_off(keep);
            }
        }
        flush(&mut lines, &line);
        line = carried;
        if token != " " {
            line.push(token.to_string());
        }
        if line_width(&line) > max {
            // wider than a whole line: cut wherever it has to be
            let long = line.concat();
            line.clear();
            let mut piece = String::new();
            for c in long.chars() {
                if width(&piece) + char_width(c) > max {
                    lines.push(std::mem::take(&mut piece));
                }
                piece.push(c);
            }
            line.push(piece);
        }
    }
    flush(&mut lines, &line);
    lines
}

/// Styled pieces of one line, cleaned and cut so that together they take at most `max` columns.
pub fn clip_spans(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    let mut out = Vec::with_capacity(spans.len());
    let mut used = 0;
    for span in spans {
        let text = clean(&span.content);
        let w = width(&text);
        if used + w <= max {
            used += w;
            out.push(Span::styled(text.into_owned(), span.style));
        } else {
            let cut = truncate(&text, max - used);
            if !cut.is_empty() {
                out.push(Span::styled(cut, span.style));
            }
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncate_counts_columns_not_chars() {
        let cases = [
            // (text, max, want)
            ("张三", 4, "张三"),
            ("张三", 3, "张…"),
            ("欧阳娜娜", 5, "欧阳…"),
            ("欧阳娜娜", 6, "欧阳…"),
            ("欧阳娜娜", 7, "欧阳娜…"),
            ("买买提·艾力", 11, "买买提·艾力"),
            ("买买提·艾力", 8, "买买提·…"),
            ("买买提·艾力", 7, "买买提…"),
            ("John Smith", 6, "John …"),
            ("abc", 0, ""),
            ("abc", 1, "…"),
            ("\u{1b}[31m红\u{1b}[0m", 20, "[31m红[0m"),
        ];
        for (text, max, want) in cases {
            let got = truncate(text, max);
            assert_eq!(got, want, "truncate({text:?}, {max})");
            assert!(width(&got) <= max, "{got:?} is wider than {max}");
        }
    }

    #[test]
    fn fit_is_exactly_the_column_width() {
        let cases = [
            "",
            "张",
            "张三丰",
            "买买提·艾力",
            "超长的名字超长的名字超长的名字",
            "a\u{1b}b",
            "Ivan Ivanovich Ivanov",
        ];
        for cols in [0usize, 1, 2, 3, 5, 8, 13] {
            for text in cases {
                let got = fit(text, cols);
                assert_eq!(width(&got), cols, "fit({text:?}, {cols}) = {got:?}");
                assert!(
                    !got.contains('\u{1b}'),
                    "control character survived in {got:?}"
                );
            }
        }
        // a two-column character never straddles the edge: padding takes its place
        let cases = [
            ("张三丰", 4, "张… "),
            ("张三丰", 5, "张三…"),
            ("张三丰", 6, "张三丰"),
            ("张三", 5, "张三 "),
        ];
        for (text, cols, want) in cases {
            assert_eq!(fit(text, cols), want, "fit({text:?}, {cols})");
        }
    }

    #[test]
    fn truncate_start_keeps_the_end() {
        let cases = [
            (
                "sqlite:///home/u/.local/share/caiji/caiji.db",
                15,
                "…caiji/caiji.db",
            ),
            (
                "sqlite:///home/u/.local/share/caiji/caiji.db",
                14,
                "…aiji/caiji.db",
            ),
            ("short", 10, "short"),
            ("/数据/采集/caiji.db", 10, "…/caiji.db"),
            ("/数据/采集/caiji.db", 13, "…集/caiji.db"),
            ("/数据/采集/caiji.db", 14, "…采集/caiji.db"),
        ];
        for (text, max, want) in cases {
            let got = truncate_start(text, max);
            assert_eq!(got, want, "truncate_start({text:?}, {max})");
            assert!(width(&got) <= max);
        }
    }

    #[test]
    fn clip_spans_cuts_at_the_width_and_keeps_styles() {
        use ratatui::style::{Color, Style};
        let red = Style::new().fg(Color::Red);
        let spans = || {
            vec![
                Span::raw("学生 "),
                Span::styled("500", red),
                Span::raw("  有效码 \u{1b}[2J320"),
            ]
        };
        let text = |v: &[Span]| v.iter().map(|s| s.content.to_string()).collect::<String>();
        let cases = [
            (100, "学生 500  有效码 [2J320"),
            (8, "学生 500"),
            (7, "学生 5…"),
            (4, "学…"),
            (3, "学…"),
            (2, "…"),
            (0, ""),
        ];
        for (max, want) in cases {
            let got = clip_spans(spans(), max);
            assert_eq!(text(&got), want, "max {max}");
            assert!(got.iter().map(|s| width(&s.content)).sum::<usize>() <= max);
        }
        assert_eq!(clip_spans(spans(), 7)[1].style, red);
    }

    #[test]
    fn wrap_breaks_chinese_anywhere_but_keeps_numbers_and_commands_whole() {
        let cases: [(&str, usize, &[&str]); 7] = [
            (
                "按规格检查（JPEG、480×640、20–40 KB），列出",
                20,
                &["按规格检查（JPEG、", "480×640、20–40", "KB），列出"],
            ),
            (
                "运行 caiji photos reconcile DIR 核对",
                16,
                &["运行 caiji", "photos reconcile", "DIR 核对"],
            ),
            (
                "学生丢了采集码时，按姓名找",
                12,
                &["学生丢了采集", "码时，按姓名", "找"],
            ),
            (
                "学生丢了采集码，按姓名",
                14,
                &["学生丢了采集", "码，按姓名"],
            ),
            ("abcdefghij", 4, &["abcd", "efgh", "ij"]),
            ("张三\u{1b}[2J", 10, &["张三[2J"]),
            ("", 10, &[]),
        ];
        for (text, max, want) in cases {
            let got = wrap(text, max);
            assert_eq!(got, want, "wrap({text:?}, {max})");
            for line in &got {
                assert!(width(line) <= max, "{line:?} wider than {max}");
            }
        }
    }

    #[test]
    fn highlights_survive_truncation_and_keep_the_width() {
        use ratatui::style::Color;
        let (plain, hit) = (Style::new(), Style::new().fg(Color::Yellow));
        let shown = |spans: &[Span]| {
            spans
                .iter()
                .map(|s| {
                    if s.style == hit {
                        format!("[{}]", s.content)
                    } else {
                        s.content.to_string()
                    }
                })
                .collect::<String>()
        };
        let cases: [(&str, usize, &[usize], &str); 6] = [
            ("张三丰", 8, &[0, 2], "[张]三[丰]  "),
            ("张三丰", 5, &[0, 2], "[张]三…"),
            ("John Smith", 10, &[5, 6, 7], "John [Smi]th"),
            ("\u{1b}[31m红", 8, &[4], "[31m[红]  "),
            ("阿卜杜热合曼·买买提明", 9, &[0, 8], "[阿]卜杜热…"),
            ("abc", 3, &[], "abc"),
        ];
        for (text, cols, hits, want) in cases {
            let spans = fit_highlighted(text, cols, hits, plain, hit);
            assert_eq!(shown(&spans), want, "{text:?} at {cols}");
            assert_eq!(
                spans.iter().map(|s| width(&s.content)).sum::<usize>(),
                cols,
                "{text:?}"
            );
        }
    }

    #[test]
    fn fit_right_pads_on_the_left() {
        assert_eq!(fit_right("42", 5), "   42");
        assert_eq!(fit_right("学生", 6), "  学生");
    }
}
