//! The rule for each roster field on its own: what a 学号, a cohort, a gender or a phone number
//! may look like, the spellings forgiven, and the reason given when a value is refused.

use std::borrow::Cow;

use crate::domain::{IdType, Level};
use crate::i18n::Lang;

use super::header::Field;

/// Longest text accepted in college, major, class and counselor cells.
const MAX_TEXT_CHARS: usize = crate::domain::lengths::ROSTER_TEXT;
/// Longest 学号 accepted.
const MAX_STUDENT_NO_CHARS: usize = crate::domain::lengths::STUDENT_NO;

pub(super) fn empty_reason(field: Field, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("{}为空，请填写", field.label_zh()),
        Lang::En => format!("the {} is empty; fill it in", field.code()),
    }
}

/// Maps full-width ASCII forms (`２０２２`) to ASCII; borrows when there are none.
fn half_width(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect::<String>()
        .into()
}

/// Scientific notation as Excel writes a long number in a General cell (`2.02201E+09`).
fn is_scientific(text: &str) -> bool {
    let upper = text.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once("E+") else {
        return false;
    };
    !mantissa.is_empty()
        && mantissa.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

fn scientific_reason(text: &str, lang: Lang) -> String {
    match lang {
        Lang::Zh => {
            format!("“{text}”是 Excel 的科学计数法，末几位已丢失；请把该列设为“文本”格式后重新导出")
        }
        Lang::En => format!(
            "'{text}' is a number in Excel's scientific notation and its last digits are lost; format the column as Text and re-export"
        ),
    }
}

/// 学号: letters, digits, `-` and `_`; full-width forms and Excel's leading apostrophe forgiven;
/// letters upper-cased so the same student cannot appear twice under two spellings.
pub(super) fn student_no(text: &str, lang: Lang) -> Result<String, String> {
    let text = half_width(text);
    let text = text.trim().trim_start_matches(['\'', '’', '‘']);
    if is_scientific(text) {
        return Err(scientific_reason(text, lang));
    }
    if let Some((pos, c)) = text
        .chars()
        .enumerate()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(match lang {
            Lang::Zh => format!(
                "学号第 {} 个字符“{c}”不允许；学号只能由字母、数字、- 和 _ 组成",
                pos + 1
            ),
            Lang::En => format!(
                "character {} of the student number, '{c}', is not allowed; use letters, digits, - and _",
                pos + 1
            ),
        });
    }
    if text.is_empty() {
        return Err(empty_reason(Field::StudentNo, lang));
    }
    let count = text.chars().count();
    if count > MAX_STUDENT_NO_CHARS {
        return Err(match lang {
            Lang::Zh => format!("学号有 {count} 位，最多 {MAX_STUDENT_NO_CHARS} 位；请核对"),
            Lang::En => format!(
                "the student number has {count} characters, at most {MAX_STUDENT_NO_CHARS} are allowed; check it"
            ),
        });
    }
    Ok(text.to_ascii_uppercase())
}

pub(super) fn id_type(text: &str, lang: Lang) -> Result<IdType, String> {
    IdType::parse(text).ok_or_else(|| {
        let known: Vec<&str> = IdType::ALL
            .iter()
            .map(|k| {
                if lang == Lang::Zh {
                    k.label_zh()
                } else {
                    k.code()
                }
            })
            .collect();
        match lang {
            Lang::Zh => format!("未知的证件类型“{text}”；可填：{}", known.join("、")),
            Lang::En => format!(
                "unknown document type '{text}'; use one of: {}",
                known.join(", ")
            ),
        }
    })
}

/// College, major, class, counselor: any printable text up to `MAX_TEXT_CHARS` characters.
pub(super) fn plain_text(text: &str, lang: Lang) -> Result<String, String> {
    // a text of at most MAX_TEXT_CHARS bytes has at most as many characters: skip counting
    let count = if text.len() <= MAX_TEXT_CHARS {
        0
    } else {
        text.chars().count()
    };
    if count > MAX_TEXT_CHARS {
        return Err(match lang {
            Lang::Zh => format!("有 {count} 个字符，最多 {MAX_TEXT_CHARS} 个；请核对"),
            Lang::En => {
                format!("{count} characters, at most {MAX_TEXT_CHARS} are allowed; check it")
            }
        });
    }
    Ok(text.to_string())
}

pub(super) fn level(text: &str, lang: Lang) -> Result<Level, String> {
    Level::parse(text).ok_or_else(|| match lang {
        Lang::Zh => format!("未知的层次“{text}”；可填：专科、本科、硕士研究生、博士研究生"),
        Lang::En => format!("unknown level '{text}'; use associate, bachelor, master or doctor (专科, 本科, 硕士研究生, 博士研究生)"),
    })
}

/// 毕业年份: a four-digit year, also written `2026届`, `2026年` or as a graduation date
/// (`2026-06-30`, `2026/6`, `2026年6月`, `2026年6月30日`: a 毕业时间 column); `2022级` is an
/// enrolment year and is refused with that explanation.
pub(super) fn cohort(text: &str, lang: Lang) -> Result<i32, String> {
    let text = half_width(text);
    let text = text.trim();
    let digits = &text[..text.bytes().take_while(u8::is_ascii_digit).count()];
    let rest = &text[digits.len()..];
    let date_tail = |r: &str| {
        let mut chars = r.chars();
        matches!(chars.next(), Some('-' | '/' | '.'))
            && chars.all(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | ' ' | ':'))
    };
    if digits.len() == 4 && rest.trim() == "级" {
        return Err(match lang {
            Lang::Zh => format!("“{text}”是入学年级，毕业年份应填毕业的年份（如 2026）"),
            Lang::En => format!(
                "'{text}' is the year of enrolment (级); the cohort is the graduation year, such as 2026"
            ),
        });
    }
    // 2026年6月, 2026年6月30日: a graduation date written out in Chinese (毕业时间)
    let chinese_date = |r: &str| {
        let Some(r) = r.strip_prefix('年') else {
            return false;
        };
        let month_digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let Some(day) = r[month_digits..].strip_prefix('月') else {
            return false;
        };
        let day_digits = day.bytes().take_while(u8::is_ascii_digit).count();
        (1..=2).contains(&month_digits)
            && (day.is_empty() || ((1..=2).contains(&day_digits) && &day[day_digits..] == "日"))
    };
    let year = (digits.len() == 4
        && (rest.is_empty()
            || matches!(rest, "届" | "年" | "年届")
            || date_tail(rest)
            || chinese_date(rest)))
    .then(|| digits.parse::<i32>().ok())
    .flatten()
    .filter(|y| (1950..=2100).contains(y));
    year.ok_or_else(|| match lang {
        Lang::Zh => format!("毕业年份“{text}”不是四位年份（如 2026）"),
        Lang::En => format!("cohort '{text}' is not a four-digit graduation year such as 2026"),
    })
}

/// 男/女 in any of the usual spellings (GB/T 2261.1 codes 1 and 2 included); unknown → `None`.
pub(super) fn gender(text: &str, lang: Lang) -> Result<Option<String>, String> {
    let trimmed = text.trim();
    // the spelling of almost every roster needs no lower-casing
    let lower = match trimmed.bytes().any(|b| b.is_ascii_uppercase()) {
        true => Cow::Owned(trimmed.to_ascii_lowercase()),
        false => Cow::Borrowed(trimmed),
    };
    match lower.as_ref() {
        "男" | "男性" | "m" | "male" | "1" => Ok(Some("男".into())),
        "女" | "女性" | "f" | "female" | "2" => Ok(Some("女".into())),
        "未知" | "未说明" | "0" | "9" | "unknown" => Ok(None),
        _ => Err(match lang {
            Lang::Zh => format!("性别“{text}”无法识别；请填“男”或“女”"),
            Lang::En => format!("gender '{text}' is not recognised; use 男/女 or male/female"),
        }),
    }
}

/// Phone numbers: digits with an optional leading `+`; spaces, dashes and brackets dropped.
pub(super) fn phone(text: &str, lang: Lang) -> Result<String, String> {
    let text = half_width(text);
    if is_scientific(text.trim()) {
        return Err(scientific_reason(text.trim(), lang));
    }
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = cleaned.strip_prefix('+').unwrap_or(&cleaned);
    if !(5..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(match lang {
            Lang::Zh => format!("手机号“{text}”不是电话号码（应为 5–20 位数字）"),
            Lang::En => format!("phone '{text}' is not a phone number (5 to 20 digits)"),
        });
    }
    Ok(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: Lang = Lang::En;

    #[test]
    fn student_numbers() {
        for (raw, want) in [
            ("2022001", "2022001"),
            ("'2022001", "2022001"),
            ("２０２２ａ01", "2022A01"),
            ("cs-22_01", "CS-22_01"),
        ] {
            assert_eq!(student_no(raw, EN).as_deref(), Ok(want), "{raw}");
        }
        for (raw, words) in [
            ("2022 001", "' ', is not allowed"),
            ("2.02201E+09", "scientific notation"),
            ("学2022", "'学'"),
            ("'", "empty"),
        ] {
            let err = student_no(raw, EN).expect_err(raw);
            assert!(err.contains(words), "{raw}: {err}");
        }
    }

    #[test]
    fn cohorts() {
        for raw in [
            "2026",
            "2026届",
            "2026年",
            "2026-06-30",
            "2026/6",
            "2026.06",
            "２０２６",
            "2026年6月",
            "2026年06月30日",
            "2026年6月3日",
        ] {
            assert_eq!(cohort(raw, EN), Ok(2026), "{raw}");
        }
        for (raw, words) in [
            ("2022级", "year of enrolment"),
            ("26", "four-digit"),
            ("3026", "four-digit"),
            ("二〇二六", "four-digit"),
            ("2026年6", "four-digit"),
            ("2026年6月30", "four-digit"),
            ("2026年123月", "four-digit"),
        ] {
            let err = cohort(raw, EN).expect_err(raw);
            assert!(err.contains(words), "{raw}: {err}");
        }
    }

    #[test]
    fn genders_and_phones() {
        for (raw, want) in [
            ("男", Some("男")),
            ("Female", Some("女")),
            ("2", Some("女")),
            ("未知", None),
        ] {
            assert_eq!(gender(raw, EN), Ok(want.map(String::from)), "{raw}");
        }
        assert!(gender("x", EN).is_err());
        for (raw, want) in [
            ("138-0013-8000", "13800138000"),
            ("+86 138 0013 8000", "+8613800138000"),
            ("(010) 6275 1234", "01062751234"),
        ] {
            assert_eq!(phone(raw, EN).as_deref(), Ok(want), "{raw}");
        }
        for raw in ["1234", "call me", "1.38001E+10", "+"] {
            assert!(phone(raw, EN).is_err(), "{raw}");
        }
    }

    #[test]
    fn long_texts_are_counted_in_characters() {
        assert!(
            plain_text(&"班".repeat(100), EN).is_ok(),
            "300 bytes, 100 characters"
        );
        assert!(
            plain_text(&"班".repeat(101), EN)
                .unwrap_err()
                .contains("101 characters")
        );
        assert!(plain_text(&"a".repeat(100), EN).is_ok());
    }

    #[test]
    fn reasons_speak_chinese_too() {
        assert_eq!(
            level("中专", Lang::Zh).unwrap_err(),
            "未知的层次“中专”；可填：专科、本科、硕士研究生、博士研究生"
        );
        assert!(
            id_type("驾照", Lang::Zh)
                .unwrap_err()
                .starts_with("未知的证件类型“驾照”")
        );
        assert_eq!(empty_reason(Field::College, Lang::Zh), "学院为空，请填写");
    }
}
