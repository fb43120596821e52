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

/// Why a character may not stand in a text field (see `docs/roster.md`, "Characters").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unwanted {
    /// C0 and C1 controls (general category Cc): escape sequences, bells, line feeds.
    Control,
    /// Format characters (Cf): zero-width spaces and joiners, bidi controls, the soft hyphen,
    /// the byte-order mark.
    Format,
    /// U+2028 and U+2029 (Zl, Zp): line breaks in disguise.
    LineBreak,
    /// Private-use characters (Co): drawn differently, or not at all, on every machine.
    PrivateUse,
    /// Code points Unicode has not assigned (Cn), noncharacters included.
    Unassigned,
    /// Letters that draw as blank space: the Hangul fillers (U+3164 …), the blank braille
    /// pattern, invisible marks that hold no sound.
    Filler,
    /// Tag characters (U+E0000–U+E007F): invisible text riding along with a character.
    Tag,
    /// A third combining mark on one letter (stacked marks draw over the lines around them).
    StackedMarks,
}

/// A character refused in a text field: its position (from 1), the character and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub pos: usize,
    pub found: char,
    pub kind: Unwanted,
}

/// Combining marks allowed on one letter: a Vietnamese letter written decomposed carries two.
pub const MAX_MARKS_PER_LETTER: usize = 2;

/// The first character of `text` that no text field may hold, if any: see [`Unwanted`].
/// Printable ASCII and the common Han block are answered without a table lookup.
pub fn first_unwanted(text: &str) -> Option<Refused> {
    if is_plain(text) {
        return None;
    }
    first_unwanted_slow(text)
}

/// Whether `text` holds only printable ASCII and three-byte characters led by E4–E9
/// (U+4000–U+9FFF: Han characters and the Yijing symbols, every one assigned): nothing in it can
/// be refused or be a replacement character, and most cells hold nothing else.
pub fn is_plain(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(&b) = bytes.get(at) {
        match b {
            0x20..=0x7E => at += 1,
            0xE4..=0xE9 => at += 3,
            _ => return false,
        }
    }
    true
}

/// [`first_unwanted`] without the quick look for text that is plain (see [`is_plain`]).
pub fn first_unwanted_slow(text: &str) -> Option<Refused> {
    let mut marks = 0usize;
    for (i, c) in text.chars().enumerate() {
        if (' '..='~').contains(&c) || ('\u{4E00}'..='\u{9FFF}').contains(&c) {
            marks = 0;
            continue;
        }
        let refuse = |kind| {
            Some(Refused {
                pos: i + 1,
                found: c,
                kind,
            })
        };
        if let Some(kind) = unwanted(c) {
            return refuse(kind);
        }
        if is_combining(c) {
            marks += 1;
            if marks > MAX_MARKS_PER_LETTER {
                return refuse(Unwanted::StackedMarks);
            }
        } else {
            marks = 0;
        }
    }
    None
}

/// Why `c` is refused on its own (marks are judged by how many stand on one letter).
fn unwanted(c: char) -> Option<Unwanted> {
    use unicode_properties::{GeneralCategory as G, UnicodeGeneralCategory};
    if ('\u{E0000}'..='\u{E007F}').contains(&c) {
        return Some(Unwanted::Tag);
    }
    if is_filler(c) {
        return Some(Unwanted::Filler);
    }
    match c.general_category() {
        G::Control => Some(Unwanted::Control),
        G::Format => Some(Unwanted::Format),
        G::LineSeparator | G::ParagraphSeparator => Some(Unwanted::LineBreak),
        G::PrivateUse => Some(Unwanted::PrivateUse),
        G::Unassigned | G::Surrogate => Some(Unwanted::Unassigned),
        _ => None,
    }
}

/// Characters that are letters or marks by category but draw nothing: the Hangul fillers, the
/// blank braille pattern, the object replacement character, the grapheme joiner and the Khmer
/// inherent vowels (default-ignorable code points that are not Cf).
fn is_filler(c: char) -> bool {
    matches!(
        c,
        '\u{115F}'
            | '\u{1160}'
            | '\u{3164}'
            | '\u{FFA0}'
            | '\u{2800}'
            | '\u{FFFC}'
            | '\u{034F}'
            | '\u{17B4}'
            | '\u{17B5}'
    )
}

/// A combining mark (Mn, Mc, Me), variation selectors included.
pub fn is_combining(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    c.general_category_group() == GeneralCategoryGroup::Mark
}

#[cfg(test)]
mod tests {
    use super::strip_controls;

    use super::{Refused, Unwanted, first_unwanted};

    #[test]
    fn unwanted_characters_are_named_with_their_code_point() {
        type Found = Option<(usize, char, Unwanted)>;
        let cases: Vec<(&str, Found)> = vec![
            ("计算机学院", None),
            ("Software Engineering 2201", None),
            ("阿卜杜热合曼·麦麦提", None),
            ("José", None),
            ("Nguyê\u{302}\u{303}n", None), // two marks on one letter
            ("𠮷田", None),
            ("ＡＢＣ　学院", None),
            ("软工\u{7}", Some((3, '\u{7}', Unwanted::Control))),
            ("王\u{200B}老师", Some((2, '\u{200B}', Unwanted::Format))),
            ("\u{FEFF}学院", Some((1, '\u{FEFF}', Unwanted::Format))),
            ("soft\u{AD}hyphen", Some((5, '\u{AD}', Unwanted::Format))),
            ("a\u{2028}b", Some((2, '\u{2028}', Unwanted::LineBreak))),
            ("a\u{2029}b", Some((2, '\u{2029}', Unwanted::LineBreak))),
            ("学\u{E000}院", Some((2, '\u{E000}', Unwanted::PrivateUse))),
            ("学\u{F0000}", Some((2, '\u{F0000}', Unwanted::PrivateUse))),
            ("学\u{0378}", Some((2, '\u{0378}', Unwanted::Unassigned))),
            ("学\u{FDD0}", Some((2, '\u{FDD0}', Unwanted::Unassigned))),
            ("张\u{3164}", Some((2, '\u{3164}', Unwanted::Filler))),
            ("\u{115F}张", Some((1, '\u{115F}', Unwanted::Filler))),
            ("张\u{FFA0}三", Some((2, '\u{FFA0}', Unwanted::Filler))),
            ("张\u{2800}三", Some((2, '\u{2800}', Unwanted::Filler))),
            (
                "张\u{E0041}\u{E007F}",
                Some((2, '\u{E0041}', Unwanted::Tag)),
            ),
            ("张\u{E0001}", Some((2, '\u{E0001}', Unwanted::Tag))),
            (
                "Z\u{301}\u{302}\u{303}algo",
                Some((4, '\u{303}', Unwanted::StackedMarks)),
            ),
        ];
        for (text, want) in cases {
            let got = first_unwanted(text).map(|r| (r.pos, r.found, r.kind));
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn refusals_speak_both_languages() {
        let r = Refused {
            pos: 2,
            found: '\u{3164}',
            kind: Unwanted::Filler,
        };
        assert_eq!(
            r.message("counselor", crate::i18n::Lang::En),
            "character 2 of the counselor is a filler that draws as blank space (U+3164); delete it and enter the value again"
        );
        assert_eq!(
            r.message("辅导员", crate::i18n::Lang::Zh),
            "辅导员第 2 个字符是显示为空白的填充字符（U+3164）；请删除后重新录入"
        );
    }

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
