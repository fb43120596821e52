//! Why a document number was refused, in the operator's language.
//!
//! Messages name what was wrong and what to do, and never repeat the whole number: import
//! reports are read by more people than the roster.

use std::fmt;

use chrono::NaiveDate;

use crate::domain::student::IdType;
use crate::i18n::{self, Lang};

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

/// Why a document number was refused. `Display` speaks the current UI language.
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

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(i18n::lang()))
    }
}

/// Expected length of each document's number, for messages.
fn length_text(kind: IdType, lang: Lang) -> &'static str {
    match (kind, lang) {
        (IdType::ResidentId, Lang::Zh) => "18 位（旧版 15 位）",
        (IdType::ResidentId, Lang::En) => "18 characters (old cards: 15)",
        (IdType::ResidencePermit, Lang::Zh) => "18 位",
        (IdType::ResidencePermit, Lang::En) => "18 characters",
        (IdType::HkMacauPermit, Lang::Zh) => "9 位或 11 位（H/M 加 8 位或 10 位数字）",
        (IdType::HkMacauPermit, Lang::En) => "9 or 11 characters (H/M and 8 or 10 digits)",
        (IdType::TaiwanPermit, Lang::Zh) => "8 位数字",
        (IdType::TaiwanPermit, Lang::En) => "8 digits",
        (IdType::Passport, Lang::Zh) => "5 到 17 位",
        (IdType::Passport, Lang::En) => "5 to 17 characters",
        (IdType::ForeignPermanent, Lang::Zh) => "18 位（2017 年前的旧证 15 位）",
        (IdType::ForeignPermanent, Lang::En) => "18 characters (cards before 2017: 15)",
    }
}

fn label(kind: IdType, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => kind.label_zh(),
        Lang::En => kind.label_en(),
    }
}

impl IdError {
    /// The message in the given language (`Display` uses the current one).
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            IdError::Empty => {
                if zh {
                    "证件号码为空，请填写".into()
                } else {
                    "the ID number is empty; fill it in".into()
                }
            }
            IdError::ExcelNumber => {
                if zh {
                    "证件号码被 Excel 转成了科学计数法，末几位已丢失；请把该列设为“文本”格式后重新录入".into()
                } else {
                    "Excel turned the ID number into a number in scientific notation and lost its last digits; \
                     format the column as Text and enter the number again"
                        .into()
                }
            }
            IdError::Length { kind, found } => {
                let want = length_text(*kind, lang);
                if zh {
                    format!("{}号码应为 {want}，实为 {found} 位", label(*kind, lang))
                } else {
                    format!(
                        "{} numbers have {want}; this one has {found}",
                        label(*kind, lang)
                    )
                }
            }
            IdError::BadChar {
                pos,
                found,
                expected,
            } => {
                let (want_zh, want_en) = match expected {
                    CharRule::Digit => ("数字", "a digit"),
                    CharRule::DigitOrX => ("数字或 X", "a digit or X"),
                    CharRule::Letter => ("英文字母", "a letter A–Z"),
                    CharRule::LetterOrDigit => ("英文字母或数字", "a letter or a digit"),
                };
                let shown = shown_char(*found);
                if zh {
                    format!("第 {pos} 位应为{want_zh}，实为“{shown}”")
                } else {
                    format!("character {pos} should be {want_en}, not '{shown}'")
                }
            }
            IdError::UnknownRegion { kind, code } => {
                let province = code.get(..2).unwrap_or(code);
                // A resident ID that starts like another document was most likely registered
                // under the wrong 证件类型: say which one to pick instead.
                let other_document = match (kind, province) {
                    (IdType::ResidentId, "71" | "81" | "82" | "83") => {
                        Some(IdType::ResidencePermit)
                    }
                    (IdType::ResidentId, p)
                        if p.starts_with('9')
                            && code.get(1..3).is_some_and(super::is_province_code) =>
                    {
                        Some(IdType::ForeignPermanent)
                    }
                    _ => None,
                };
                match (zh, other_document) {
                    (true, Some(doc)) => {
                        format!(
                            "地区码 {code} 不属于内地，像是{0}号码；请把证件类型改为“{0}”",
                            doc.label_zh()
                        )
                    }
                    (false, Some(doc)) => format!(
                        "region code {code} is not a mainland region; this looks like a {0} number: \
                         set the document type to \"{0}\"",
                        doc.label_en()
                    ),
                    (true, None) if *kind == IdType::ForeignPermanent => {
                        format!("第 2–3 位的省级代码 {code} 不存在；请核对号码")
                    }
                    (false, None) if *kind == IdType::ForeignPermanent => {
                        format!(
                            "the province code {code} in characters 2–3 does not exist; check the number"
                        )
                    }
                    (true, None) => {
                        format!("地区码 {code} 不存在（{province} 不是省级行政区代码）；请核对号码")
                    }
                    (false, None) => format!(
                        "region code {code} does not exist ({province} is not a province code); check the number"
                    ),
                }
            }
            IdError::ImpossibleBirthDate { digits } => {
                if zh {
                    format!("出生日期 {digits} 不可能（没有这一天，或早于 1900 年）；请核对号码")
                } else {
                    format!(
                        "birth date {digits} is impossible (no such day, or before 1900); check the number"
                    )
                }
            }
            IdError::FutureBirthDate { date } => {
                let d = date.format("%Y%m%d");
                if zh {
                    format!("出生日期 {d} 晚于今天；请核对号码")
                } else {
                    format!("birth date {d} is in the future; check the number")
                }
            }
            IdError::CheckChar { expected, found } => {
                if zh {
                    format!("校验位应为 {expected}，实为 {found}；号码中可能有数字录错，请核对")
                } else {
                    format!(
                        "check character should be {expected}, not {found}; a digit may be mistyped, check the number"
                    )
                }
            }
            IdError::BadPrefix { kind, found } => match (kind, zh) {
                (IdType::ResidencePermit, true) => format!(
                    "港澳台居民居住证号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头，实为 {found}"
                ),
                (IdType::ResidencePermit, false) => format!(
                    "a residence permit number starts with 810000 (Hong Kong), 820000 (Macau) or 830000 (Taiwan), not {found}"
                ),
                (IdType::HkMacauPermit, true) => {
                    format!(
                        "港澳居民来往内地通行证号码应以 H（香港）或 M（澳门）开头，实为“{found}”"
                    )
                }
                (IdType::HkMacauPermit, false) => {
                    format!(
                        "an HK/Macau travel permit number starts with H (Hong Kong) or M (Macau), not '{found}'"
                    )
                }
                (IdType::ForeignPermanent, true) => {
                    format!("外国人永久居留身份证号码（18 位）应以 9 开头，实为“{found}”")
                }
                (IdType::ForeignPermanent, false) => {
                    format!(
                        "an 18-character foreign permanent resident ID starts with 9, not '{found}'"
                    )
                }
                (other, true) => format!("{}号码的开头“{found}”不合规", other.label_zh()),
                (other, false) => {
                    format!("{} numbers cannot start with '{found}'", other.label_en())
                }
            },
            IdError::PassportWithoutDigit => {
                if zh {
                    "护照号码至少含一位数字；请核对号码".into()
                } else {
                    "a passport number has at least one digit; check the number".into()
                }
            }
            IdError::Unrecognised => {
                if zh {
                    "无法判断这是哪种证件的号码；请核对号码，或在名单中加“证件类型”列".into()
                } else {
                    "cannot tell which document this number belongs to; check it, or add an id_type column to the roster"
                        .into()
                }
            }
        }
    }
}

/// Shows invisible or control characters by their code point so the message says what is there.
fn shown_char(c: char) -> String {
    if c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}')
    {
        format!("U+{:04X}", c as u32)
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
