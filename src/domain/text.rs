//! Text hygiene for anything drawn or printed: control characters never reach the terminal.

/// Removes C0/C1 control characters (including ESC) and bidi overrides; tabs and newlines become spaces.
pub fn strip_controls(s: &str) -> std::borrow::Cow<'_, str> {
    fn bad(c: char) -> bool {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
    }
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .filter_map(|c| match c {
                '\t' | '\n' | '\r' => Some(' '),
                c if bad(c) => None,
                c => Some(c),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::strip_controls;

    #[test]
    fn strips_escape_sequences_and_keeps_cjk() {
        let cases = [
            ("张三", "张三"),
            ("\u{1b}[31m王五\u{1b}[0m", "[31m王五[0m"),
            ("a\tb\nc", "a b c"),
            ("x\u{7}y\u{9b}z", "xyz"),
            ("\u{202E}evil", "evil"),
            ("买买提·艾力", "买买提·艾力"),
        ];
        for (input, want) in cases {
            assert_eq!(strip_controls(input), want, "input {input:?}");
        }
    }
}
