//! Student names: normalisation of separators and validation (docs/roster.md).
//!
//! Rosters come from Excel sheets typed on many keyboards, so the middle dot of minority and
//! transliterated names (买买提·艾力) arrives as `•`, `．`, `.`, `・` and other look-alikes.
//! They are all made `·` (U+00B7) so that search, masking and duplicate checks see one name.

use crate::domain::text::Refused;

/// docs/roster.md: a name longer than this many characters (after normalisation) is rejected.
pub const MAX_NAME_CHARS: usize = crate::domain::lengths::NAME;

/// The separators a name may contain: middle dot, space (Latin names), hyphen.
pub const NAME_SEPARATORS: [char; 3] = ['·', ' ', '-'];

pub fn is_name_separator(c: char) -> bool {
    NAME_SEPARATORS.contains(&c)
}

/// Marks that belong to the letter before them rather than being letters: combining accents
/// (a decomposed `é` is `e` + U+0301) and variation selectors (an ideographic variation sequence
/// picks the exact glyph of a rare Han character in a name).
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c,
        '\u{0300}'..='\u{036F}'
        | '\u{1AB0}'..='\u{1AFF}'
        | '\u{1DC0}'..='\u{1DFF}'
        | '\u{20D0}'..='\u{20FF}'
        | '\u{FE20}'..='\u{FE2F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{E0100}'..='\u{E01EF}')
}

/// Dots people type for the middle dot of a name.
fn is_dot_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' // · middle dot (the normal form)
        | '\u{2022}' // • bullet
        | '\u{FF0E}' // ． full-width full stop
        | '\u{30FB}' // ・ katakana middle dot (Japanese IMEs)
        | '\u{FF65}' // ･ half-width katakana middle dot
        | '\u{2027}' // ‧ hyphenation point
        | '\u{2219}' // ∙ bullet operator
        | '\u{22C5}' // ⋅ dot operator
        | '\u{0387}' // · Greek ano teleia
        | '\u{2E31}' // ⸱ word separator middle dot
        | '\u{FE52}'
    ) // ﹒ small full stop
}

/// Dashes people type for the hyphen of a double-barrelled Latin name.
fn is_hyphen_lookalike(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2013}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Trims; makes every middle-dot look-alike `·` (U+00B7), a `.` only where it stands between two
/// letters (`J. Smith` keeps its full stop, and validation then refuses it); makes dash look-alikes
/// `-`, full-width Latin letters ASCII and every kind of space one ordinary space; collapses runs of
/// spaces and drops spaces beside `·` and `-`. Control characters are kept so validation can name them.
pub fn normalize_name(raw: &str) -> String {
    let trimmed = raw.trim();
    // Most names are Han characters, perhaps with `·`: nothing of them changes.
    if trimmed.chars().all(|c| is_common_han(c) || c == '·') {
        return trimmed.to_string();
    }
    let chars: Vec<char> = trimmed.chars().collect();
    let is_letter_at = |i: Option<usize>| {
        i.and_then(|i| chars.get(i))
            .is_some_and(|c| c.is_alphabetic())
    };
    let mapped: Vec<char> = chars
        .iter()
        .enumerate()
        .map(|(i, &c)| match c {
            c if is_dot_lookalike(c) => '·',
            '.' if is_letter_at(i.checked_sub(1)) && is_letter_at(Some(i + 1)) => '·',
            c if is_hyphen_lookalike(c) => '-',
            c if c.is_whitespace() && !c.is_control() => ' ',
            // Full-width Latin letters mirror ASCII at a fixed offset.
            '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .collect();

    let mut out = String::with_capacity(raw.len());
    let mut last: Option<char> = None;
    for (i, &c) in mapped.iter().enumerate() {
        if c == ' ' {
            let next = mapped[i + 1..].iter().copied().find(|&n| n != ' ');
            let beside_joiner = |x: Option<char>| matches!(x, Some('·' | '-'));
            if last == Some(' ') || beside_joiner(last) || beside_joiner(next) {
                continue;
            }
        }
        out.push(c);
        last = Some(c);
    }
    out
}

/// Why a name was refused. Positions count characters of the normalised name from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    Empty,
    /// A character no text field may hold (controls, invisible format characters, fillers, tag
    /// characters, private-use and unassigned code points, stacked marks): see
    /// `domain::text::first_unwanted`. Its position counts characters of the trimmed input.
    Unwanted(Refused),
    /// Only one letter: no one's full name, and a name its masked form would show whole
    /// (see `docs/roster.md`).
    OneLetter,
    /// More than [`MAX_NAME_CHARS`] characters.
    TooLong {
        count: usize,
    },
    /// Neither a letter nor an allowed separator (digits, punctuation, symbols, emoji).
    BadChar {
        pos: usize,
        found: char,
    },
    /// A separator at the start or end, or right after another separator.
    MisplacedSeparator {
        pos: usize,
        found: char,
    },
}

impl std::error::Error for NameError {}

/// Normalises the name and checks it: not empty, no control or invisible characters, at most
/// [`MAX_NAME_CHARS`] characters, only letters (any script: Han, Latin, accented...) with their
/// marks, and separators between letters. Returns the normalised name.
pub fn validate_name(raw: &str) -> Result<String, NameError> {
    // Judged before normalising, which would make a line separator a space.
    if let Some(refused) = crate::domain::text::first_unwanted(raw.trim()) {
        return Err(NameError::Unwanted(refused));
    }
    let name = normalize_name(raw);
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let count = name.chars().count();
    if count > MAX_NAME_CHARS {
        return Err(NameError::TooLong { count });
    }
    let mut prev: Option<char> = None;
    for (i, c) in name.chars().enumerate() {
        let pos = i + 1;
        if is_name_separator(c) {
            if prev.is_none_or(is_name_separator) || pos == count {
                return Err(NameError::MisplacedSeparator { pos, found: c });
            }
        } else if !(is_common_han(c)
            || c.is_alphabetic()
            || (is_mark(c) && prev.is_some_and(|p| !is_name_separator(p))))
        {
            return Err(NameError::BadChar { pos, found: c });
        }
        prev = Some(c);
    }
    let letters = name
        .chars()
        .filter(|&c| !is_name_separator(c) && !is_mark(c))
        .count();
    if letters < 2 {
        return Err(NameError::OneLetter);
    }
    Ok(name)
}

/// The CJK Unified Ideographs block: letters all (Unicode's Lo), and nearly every character of a
/// Chinese name, answered without the general Unicode table lookup.
fn is_common_han(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::Unwanted;
    use crate::i18n::{self, Lang};

    fn unwanted_as(pos: usize, found: char, kind: Unwanted) -> NameError {
        NameError::Unwanted(Refused { pos, found, kind })
    }

    /// A control (Cc) or format (Cf) character at `pos`.
    fn unwanted(pos: usize, found: char) -> NameError {
        let kind = if found.is_control() {
            Unwanted::Control
        } else {
            Unwanted::Format
        };
        unwanted_as(pos, found, kind)
    }

    #[test]
    fn the_common_han_block_is_all_letters() {
        assert!(('\u{4E00}'..='\u{9FFF}').all(char::is_alphabetic));
    }

    #[test]
    fn normalises_separators_and_spaces() {
        let cases = [
            ("张三", "张三"),
            ("  张三\u{3000}", "张三"),
            ("买买提·艾力", "买买提·艾力"),
            ("买买提•艾力", "买买提·艾力"),
            ("买买提．艾力", "买买提·艾力"),
            ("买买提.艾力", "买买提·艾力"),
            ("买买提・艾力", "买买提·艾力"),
            ("买买提･艾力", "买买提·艾力"),
            ("买买提‧艾力", "买买提·艾力"),
            ("买买提∙艾力", "买买提·艾力"),
            ("买买提⋅艾力", "买买提·艾力"),
            ("买买提 · 艾力", "买买提·艾力"),
            ("买买提　．　艾力", "买买提·艾力"),
            ("阿依古丽•买买提", "阿依古丽·买买提"),
            // A full stop that does not stand between two letters is left for validation to refuse.
            ("J. Smith", "J. Smith"),
            ("张三.", "张三."),
            ("John   Smith", "John Smith"),
            ("John\u{00A0}Smith", "John Smith"),
            ("Anne–Marie Li", "Anne-Marie Li"),
            ("Anne - Marie", "Anne-Marie"),
            ("Ｊｏｈｎ Ｓｍｉｔｈ", "John Smith"),
            ("José Martínez", "José Martínez"),
            ("张\t三", "张\t三"),
            ("", ""),
            ("   ", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_name(raw), want, "input {raw:?}");
        }
    }

    #[test]
    fn validates_names() {
        let fifty = "阿".repeat(50);
        let fifty_one = "阿".repeat(51);
        let ok = |s: &str| Ok::<String, NameError>(s.to_string());
        let cases: Vec<(&str, Result<String, NameError>)> = vec![
            ("张三", ok("张三")),
            ("张", Err(NameError::OneLetter)),
            ("J", Err(NameError::OneLetter)),
            ("é", Err(NameError::OneLetter)),
            (
                "张\u{3164}",
                Err(unwanted_as(2, '\u{3164}', Unwanted::Filler)),
            ),
            (
                "张\u{2028}三",
                Err(unwanted_as(2, '\u{2028}', Unwanted::LineBreak)),
            ),
            (
                "张\u{E0041}",
                Err(unwanted_as(2, '\u{E0041}', Unwanted::Tag)),
            ),
            (
                "Zo\u{301}\u{302}\u{303}e",
                Err(unwanted_as(5, '\u{303}', Unwanted::StackedMarks)),
            ),
            (" 欧阳娜娜 ", ok("欧阳娜娜")),
            ("买买提.艾力", ok("买买提·艾力")),
            ("迪丽热巴•迪力木拉提", ok("迪丽热巴·迪力木拉提")),
            ("Anne-Marie Li", ok("Anne-Marie Li")),
            ("José Martínez", ok("José Martínez")),
            ("Jose\u{301} Li", ok("Jose\u{301} Li")),
            ("𠮷田", ok("𠮷田")),
            ("邉\u{E0101}見", ok("邉\u{E0101}見")),
            (fifty.as_str(), ok(&fifty)),
            ("", Err(NameError::Empty)),
            (" \u{3000} ", Err(NameError::Empty)),
            (fifty_one.as_str(), Err(NameError::TooLong { count: 51 })),
            ("张\u{1b}[31m三", Err(unwanted(2, '\u{1b}'))),
            ("张\t三", Err(unwanted(2, '\t'))),
            ("张\u{200B}三", Err(unwanted(2, '\u{200B}'))),
            ("\u{202E}张三", Err(unwanted(1, '\u{202E}'))),
            ("张三3", Err(NameError::BadChar { pos: 3, found: '3' })),
            (
                "张３",
                Err(NameError::BadChar {
                    pos: 2,
                    found: '３',
                }),
            ),
            ("J. Smith", Err(NameError::BadChar { pos: 2, found: '.' })),
            (
                "张三😀",
                Err(NameError::BadChar {
                    pos: 3,
                    found: '😀',
                }),
            ),
            ("张(三)", Err(NameError::BadChar { pos: 2, found: '(' })),
            (
                "\u{301}Li",
                Err(NameError::BadChar {
                    pos: 1,
                    found: '\u{301}',
                }),
            ),
            (
                "·艾力",
                Err(NameError::MisplacedSeparator {
                    pos: 1, found: '·'
                }),
            ),
            (
                "买买提·",
                Err(NameError::MisplacedSeparator {
                    pos: 4, found: '·'
                }),
            ),
            (
                "买买提··艾力",
                Err(NameError::MisplacedSeparator {
                    pos: 5, found: '·'
                }),
            ),
            (
                "Anne--Marie",
                Err(NameError::MisplacedSeparator { pos: 6, found: '-' }),
            ),
            (
                "-",
                Err(NameError::MisplacedSeparator { pos: 1, found: '-' }),
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(validate_name(raw), want, "input {raw:?}");
        }
    }

    #[test]
    fn length_counts_separators_too() {
        // 25 + 1 + 24 = 50 characters: allowed; one more letter: refused.
        let at_limit = format!("{}·{}", "买".repeat(25), "艾".repeat(24));
        assert_eq!(validate_name(&at_limit).map(|n| n.chars().count()), Ok(50));
        let over = format!("{}·{}", "买".repeat(25), "艾".repeat(25));
        assert_eq!(validate_name(&over), Err(NameError::TooLong { count: 51 }));
        // Spaces that normalisation removes do not count.
        let padded = format!("  {}  ", "阿".repeat(50));
        assert!(validate_name(&padded).is_ok());
    }

    #[test]
    fn messages_name_the_problem_in_both_languages() {
        let cases = [
            (NameError::Empty, "姓名为空", "the name is empty"),
            (
                unwanted(2, '\u{1b}'),
                "姓名第 2 个字符是控制字符（U+001B）",
                "character 2 of the name is a control character (U+001B)",
            ),
            (
                NameError::OneLetter,
                "姓名只有一个字",
                "the name has only one letter",
            ),
            (
                NameError::TooLong { count: 51 },
                "姓名有 51 个字符，最多 50 个",
                "the name has 51 characters, at most 50",
            ),
            (
                NameError::BadChar { pos: 3, found: '3' },
                "“3”是不允许的数字",
                "the digit '3' at character 3 is not allowed",
            ),
            (
                NameError::BadChar { pos: 2, found: '(' },
                "“(”是不允许的字符",
                "the character '(' at character 2",
            ),
            (
                NameError::MisplacedSeparator {
                    pos: 1, found: '·'
                },
                "第 1 个字符“·”位置不对",
                "the separator '·' at character 1 is misplaced",
            ),
        ];
        for (err, zh, en) in cases {
            assert!(
                err.message(Lang::Zh).contains(zh),
                "{err:?}: {}",
                err.message(Lang::Zh)
            );
            assert!(
                err.message(Lang::En).contains(en),
                "{err:?}: {}",
                err.message(Lang::En)
            );
        }
        let err = NameError::Empty;
        assert_eq!(err.to_string(), err.message(i18n::lang()));
    }
}
