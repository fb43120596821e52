//! Why a document number was refused, as data; `crate::words` says it in the operator's
//! language, naming what was wrong and what to do without repeating the whole number.

use chrono::NaiveDate;

use crate::domain::student::IdType;

/// What a character at a given place of a number should have been.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CharRule {
    /// 0–9
    Digit,
    /// 0–9 or the check character X
    DigitOrX,
    /// A–Z
    Letter,
    /// A–Z or 0–9
    LetterOrDigit,
}

/// Why a document number was refused. `Display` (in `crate::words`) speaks the current UI
/// language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdError {
    /// Nothing left after trimming.
    Empty,
    /// Excel turned the number into a float (`1.10101E+17`); its last digits are gone.
    ExcelNumber,
    /// The number has the wrong count of characters for its document.
    Length { kind: IdType, found: usize },
    /// A character (1-based position) that the document does not allow there.
    BadChar {
        pos: usize,
        found: char,
        expected: CharRule,
    },
    /// The region (or province) code is not a mainland province.
    UnknownRegion { kind: IdType, code: String },
    /// The birth date does not exist or lies before 1900 (the digits as written, `YYYYMMDD`).
    ImpossibleBirthDate { digits: String },
    /// The birth date is after today.
    FutureBirthDate { date: NaiveDate },
    /// The ISO 7064 MOD 11-2 check character does not match the other 17 characters.
    CheckChar { expected: char, found: char },
    /// The number does not start the way its document's numbers start (`found` is that start).
    BadPrefix { kind: IdType, found: String },
    /// A passport number made of letters only.
    PassportWithoutDigit,
    /// `IdNumber::detect` could not tell which document the number belongs to.
    Unrecognised,
}

impl std::error::Error for IdError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{self, Lang};

    fn has_han(s: &str) -> bool {
        s.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
    }

    fn every_variant() -> Vec<IdError> {
        let date = NaiveDate::from_ymd_opt(2030, 1, 2).expect("date");
        vec![
            IdError::Empty,
            IdError::ExcelNumber,
            IdError::Length {
                kind: IdType::ResidentId,
                found: 17,
            },
            IdError::Length {
                kind: IdType::HkMacauPermit,
                found: 8,
            },
            IdError::BadChar {
                pos: 3,
                found: 'O',
                expected: CharRule::Digit,
            },
            IdError::BadChar {
                pos: 18,
                found: 'A',
                expected: CharRule::DigitOrX,
            },
            IdError::UnknownRegion {
                kind: IdType::ResidentId,
                code: "990101".into(),
            },
            IdError::UnknownRegion {
                kind: IdType::ResidentId,
                code: "810000".into(),
            },
            IdError::UnknownRegion {
                kind: IdType::ResidentId,
                code: "911840".into(),
            },
            IdError::UnknownRegion {
                kind: IdType::ForeignPermanent,
                code: "71".into(),
            },
            IdError::ImpossibleBirthDate {
                digits: "19980229".into(),
            },
            IdError::FutureBirthDate { date },
            IdError::CheckChar {
                expected: '7',
                found: 'X',
            },
            IdError::BadPrefix {
                kind: IdType::ResidencePermit,
                found: "840000".into(),
            },
            IdError::BadPrefix {
                kind: IdType::HkMacauPermit,
                found: "K".into(),
            },
            IdError::BadPrefix {
                kind: IdType::ForeignPermanent,
                found: "8".into(),
            },
            IdError::PassportWithoutDigit,
            IdError::Unrecognised,
        ]
    }

    #[test]
    fn messages_say_what_was_wrong_in_both_languages() {
        let cases = [
            (
                IdError::CheckChar {
                    expected: '7',
                    found: 'X',
                },
                "校验位应为 7，实为 X",
                "check character should be 7, not X",
            ),
            (
                IdError::Length {
                    kind: IdType::ResidentId,
                    found: 17,
                },
                "实为 17 位",
                "this one has 17",
            ),
            (
                IdError::Length {
                    kind: IdType::TaiwanPermit,
                    found: 9,
                },
                "台湾居民来往大陆通行证号码应为 8 位数字",
                "Taiwan travel permit numbers have 8 digits",
            ),
            (
                IdError::BadChar {
                    pos: 3,
                    found: 'O',
                    expected: CharRule::Digit,
                },
                "第 3 位应为数字，实为“O”",
                "character 3 should be a digit, not 'O'",
            ),
            (
                IdError::BadChar {
                    pos: 2,
                    found: '\u{200B}',
                    expected: CharRule::Digit,
                },
                "U+200B",
                "U+200B",
            ),
            (
                IdError::UnknownRegion {
                    kind: IdType::ResidentId,
                    code: "990101".into(),
                },
                "地区码 990101 不存在",
                "region code 990101 does not exist",
            ),
            (
                IdError::UnknownRegion {
                    kind: IdType::ResidentId,
                    code: "820000".into(),
                },
                "港澳台居民居住证",
                "residence permit",
            ),
            (
                IdError::ImpossibleBirthDate {
                    digits: "19980229".into(),
                },
                "出生日期 19980229",
                "birth date 19980229 is impossible",
            ),
            (
                IdError::FutureBirthDate {
                    date: NaiveDate::from_ymd_opt(2030, 1, 2).expect("date"),
                },
                "出生日期 20300102 晚于今天",
                "20300102 is in the future",
            ),
            (
                IdError::BadPrefix {
                    kind: IdType::ResidencePermit,
                    found: "840000".into(),
                },
                "实为 840000",
                "not 840000",
            ),
            (
                IdError::ExcelNumber,
                "“文本”格式",
                "format the column as Text",
            ),
        ];
        for (err, zh, en) in cases {
            let (got_zh, got_en) = (err.message(Lang::Zh), err.message(Lang::En));
            assert!(got_zh.contains(zh), "{err:?}: {got_zh}");
            assert!(got_en.contains(en), "{err:?}: {got_en}");
        }
    }

    #[test]
    fn every_message_is_distinct_and_in_its_language() {
        let errors = every_variant();
        for lang in [Lang::Zh, Lang::En] {
            let messages: Vec<String> = errors.iter().map(|e| e.message(lang)).collect();
            for (err, msg) in errors.iter().zip(&messages) {
                assert_eq!(has_han(msg), lang == Lang::Zh, "{lang:?} {err:?}: {msg}");
                let same = messages.iter().filter(|m| *m == msg).count();
                assert_eq!(same, 1, "{lang:?} message used twice: {msg}");
            }
        }
    }

    #[test]
    fn display_uses_the_current_language() {
        let err = IdError::PassportWithoutDigit;
        assert_eq!(err.to_string(), err.message(i18n::lang()));
    }
}
