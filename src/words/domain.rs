//! The domain's refusals in words: document numbers (docs/roster.md "ID numbers") and names
//! (docs/roster.md "Names"). Messages name what was wrong and what to do, and never repeat a
//! whole number: import reports are read by more people than the roster.

use std::fmt;

use crate::domain::idnum::{CharRule, IdError};
use crate::domain::lengths::TooLong;
use crate::domain::name::{MAX_NAME_CHARS, NameError};
use crate::domain::photo_spec::SpecError;
use crate::domain::student::IdType;
use crate::domain::text::{Refused, Unwanted};
use crate::i18n::Lang;

// ---------- document numbers ----------

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(crate::i18n::lang()))
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
                            && code
                                .get(1..3)
                                .is_some_and(crate::domain::idnum::is_province_code) =>
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

// ---------- names ----------

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(crate::i18n::lang()))
    }
}

impl NameError {
    /// The message in the given language (`Display` uses the current one).
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            NameError::Empty => {
                if zh {
                    "姓名为空，请填写".into()
                } else {
                    "the name is empty; fill it in".into()
                }
            }
            NameError::Unwanted(refused) => refused.message(if zh { "姓名" } else { "name" }, lang),
            NameError::OneLetter => {
                if zh {
                    "姓名只有一个字；请填写完整的姓名".into()
                } else {
                    "the name has only one letter; enter the full name".into()
                }
            }
            NameError::TooLong { count } => {
                if zh {
                    format!("姓名有 {count} 个字符，最多 {MAX_NAME_CHARS} 个；请核对")
                } else {
                    format!(
                        "the name has {count} characters, at most {MAX_NAME_CHARS} are allowed; check it"
                    )
                }
            }
            NameError::BadChar { pos, found } => {
                if zh {
                    let what = if found.is_numeric() {
                        "数字"
                    } else {
                        "字符"
                    };
                    format!(
                        "姓名第 {pos} 个字符“{found}”是不允许的{what}；姓名只能由汉字、字母和分隔符（· 空格 -）组成"
                    )
                } else {
                    let what = if found.is_numeric() {
                        "digit"
                    } else {
                        "character"
                    };
                    format!(
                        "the {what} '{found}' at character {pos} is not allowed in a name; use only Han characters, \
                         letters and the separators · (middle dot), space and -"
                    )
                }
            }
            NameError::MisplacedSeparator { pos, found } => {
                if zh {
                    format!(
                        "姓名第 {pos} 个字符“{found}”位置不对：分隔符不能在开头或结尾，也不能连用"
                    )
                } else {
                    format!(
                        "the separator '{found}' at character {pos} is misplaced: a name cannot start or end with a \
                         separator or have two in a row"
                    )
                }
            }
        }
    }
}

// ---------- lengths ----------

impl fmt::Display for TooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let TooLong { what, count, max } = self;
        match crate::i18n::lang() {
            Lang::Zh => write!(f, "{what} 有 {count} 个字符，最多 {max} 个；请缩短后再试"),
            Lang::En => write!(
                f,
                "{what} has {count} characters, at most {max} are allowed; shorten it"
            ),
        }
    }
}

// ---------- the photo spec ----------

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = crate::i18n::lang() == Lang::Zh;
        match self {
            SpecError::BothGiven { name } if zh => write!(
                f,
                "config.toml 的 [photo] 同时写了 {name}_kb 和 {name}_bytes；请只保留一个"
            ),
            SpecError::BothGiven { name } => write!(
                f,
                "[photo] in config.toml gives both {name}_kb and {name}_bytes; keep one of them"
            ),
            SpecError::BadSize { width, height } if zh => write!(
                f,
                "config.toml 的 [photo] 尺寸 {width}×{height} 不可用：宽和高须在 1 到 65535 之间"
            ),
            SpecError::BadSize { width, height } => write!(
                f,
                "[photo] size {width}×{height} in config.toml cannot be met: width and height must be 1 to 65535"
            ),
            SpecError::MinAboveMax { min, max } if zh => {
                write!(f, "config.toml 的 [photo] {min} 大于 {max}；请改正")
            }
            SpecError::MinAboveMax { min, max } => write!(
                f,
                "[photo] {min} is larger than {max} in config.toml; correct one of them"
            ),
        }
    }
}

// ---------- unwanted characters ----------

impl Unwanted {
    /// What the character is, for a message.
    pub fn describe(self, lang: Lang) -> &'static str {
        let zh = lang == Lang::Zh;
        match self {
            Unwanted::Control => {
                if zh {
                    "控制字符"
                } else {
                    "a control character"
                }
            }
            Unwanted::Format => {
                if zh {
                    "不可见的格式字符"
                } else {
                    "an invisible format character"
                }
            }
            Unwanted::LineBreak => {
                if zh {
                    "换行符"
                } else {
                    "a line or paragraph separator"
                }
            }
            Unwanted::PrivateUse => {
                if zh {
                    "私用区字符（各电脑显示不同）"
                } else {
                    "a private-use character (each machine draws it differently)"
                }
            }
            Unwanted::Unassigned => {
                if zh {
                    "Unicode 未分配的字符"
                } else {
                    "a code point Unicode has not assigned"
                }
            }
            Unwanted::Filler => {
                if zh {
                    "显示为空白的填充字符"
                } else {
                    "a filler that draws as blank space"
                }
            }
            Unwanted::Tag => {
                if zh {
                    "不可见的标签字符"
                } else {
                    "an invisible tag character"
                }
            }
            Unwanted::StackedMarks => {
                if zh {
                    "同一个字上的第三个组合符号"
                } else {
                    "a third combining mark on one letter"
                }
            }
        }
    }
}

impl Refused {
    /// `character 3 is an invisible format character (U+200B)`, naming `what` (a field) first.
    pub fn message(&self, what: &str, lang: Lang) -> String {
        let code = format!("U+{:04X}", self.found as u32);
        let kind = self.kind.describe(lang);
        match lang {
            Lang::Zh => {
                format!(
                    "{what}第 {} 个字符是{kind}（{code}）；请删除后重新录入",
                    self.pos
                )
            }
            Lang::En => format!(
                "character {} of the {what} is {kind} ({code}); delete it and enter the value again",
                self.pos
            ),
        }
    }
}
