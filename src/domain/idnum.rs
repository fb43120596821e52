//! Identity document numbers: normalisation and validation for every 证件类型 of docs/roster.md.
//!
//! Numbers arrive from Excel sheets typed or pasted by people, so parsing first forgives what
//! carries no meaning (surrounding and inner spaces, full-width characters such as `１２３`,
//! lower case, Excel's leading apostrophe) and then holds the number to the shape of its document.
//! Validation is pure: "today" (for future birth dates) is a parameter of the `_at` variants.

use chrono::{Datelike, NaiveDate};

use super::student::IdType;

mod error;

pub use error::{CharRule, IdError};

/// A validated, normalised document number: upper case ASCII, no spaces, 15-digit resident IDs
/// already converted to 18.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub kind: IdType,
    pub value: String,
}

/// First two digits of mainland region codes (GB/T 2260). Taiwan (71), Hong Kong (81) and Macau
/// (82) have codes too, and 83 starts Taiwan residents' permits, but none of them issues resident
/// ID cards.
const PROVINCE_CODES: [&str; 31] = [
    "11", "12", "13", "14", "15", // 北京 天津 河北 山西 内蒙古
    "21", "22", "23", // 辽宁 吉林 黑龙江
    "31", "32", "33", "34", "35", "36",
    "37", // 上海 江苏 浙江 安徽 福建 江西 山东
    "41", "42", "43", "44", "45", "46", // 河南 湖北 湖南 广东 广西 海南
    "50", "51", "52", "53", "54", // 重庆 四川 贵州 云南 西藏
    "61", "62", "63", "64", "65", // 陕西 甘肃 青海 宁夏 新疆
];

/// Whether the two digits are a mainland province-level code.
pub fn is_province_code(code: &str) -> bool {
    PROVINCE_CODES.contains(&code)
}

/// Prefixes of 港澳台居民居住证 numbers: Hong Kong, Macau, Taiwan.
const PERMIT_PREFIXES: [&str; 3] = ["810000", "820000", "830000"];

/// The old (15-character) foreign permanent resident card was issued until 2017, so a two-digit
/// birth year up to 17 is read as 20YY and anything later as 19YY.
const OLD_FOREIGN_CARD_LAST_YEAR: i32 = 2017;

/// ISO 7064 MOD 11-2 check character of the first 17 characters of an 18-character number.
/// `first17` must be 17 ASCII digits; callers validate before calling.
pub fn check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .bytes()
        .zip(W)
        .map(|(b, w)| (b - b'0') as u32 * w)
        .sum();
    b"10X98765432"[(sum % 11) as usize] as char
}

/// Builds a valid 18-digit resident ID (or, with region `810000`/`820000`/`830000`, a residence
/// permit number) for synthetic rosters: region (6 ASCII digits) + birth date + sequence + check.
/// `seq` is taken modulo 1000; its last digit is odd for men and even for women.
pub fn resident_id(region: &str, birth: NaiveDate, seq: u16) -> String {
    debug_assert!(
        region.len() == 6 && region.bytes().all(|b| b.is_ascii_digit()),
        "region {region:?}"
    );
    let first17 = format!(
        "{region}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        seq % 1000
    );
    let check = check_char(&first17);
    format!("{first17}{check}")
}

/// Builds a valid 2017-form foreign permanent resident ID for synthetic rosters:
/// `9` + province (2 ASCII digits) + nationality number (3 ASCII digits) + birth + sequence + check.
pub fn foreign_permanent_id(
    province: &str,
    nationality: &str,
    birth: NaiveDate,
    seq: u16,
) -> String {
    debug_assert!(
        province.len() == 2 && nationality.len() == 3,
        "{province:?} {nationality:?}"
    );
    resident_id(&format!("9{province}{nationality}"), birth, seq)
}

impl IdNumber {
    /// Validates `raw` as a number of document `kind`, judging "future" birth dates against today.
    pub fn parse(kind: IdType, raw: &str) -> Result<IdNumber, IdError> {
        IdNumber::parse_at(kind, raw, today())
    }

    /// As [`IdNumber::parse`], with the date that counts as today (for tests and replays).
    pub fn parse_at(kind: IdType, raw: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
        let text = normalise(raw)?;
        let value = validate(kind, text, today)?;
        Ok(IdNumber { kind, value })
    }

    /// Guesses the document from the number's shape when a roster has no 证件类型 column, then
    /// validates it as that document. A number that looks like a (mistyped) resident ID gets the
    /// resident ID's reason rather than being taken for a passport.
    pub fn detect(raw: &str) -> Result<IdNumber, IdError> {
        IdNumber::detect_at(raw, today())
    }

    /// As [`IdNumber::detect`], with the date that counts as today.
    pub fn detect_at(raw: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
        let text = normalise(raw)?;
        let kind = guess_kind(&text).ok_or(IdError::Unrecognised)?;
        let value = validate(kind, text, today)?;
        Ok(IdNumber { kind, value })
    }

    /// The holder's birth date, for documents whose number carries one.
    pub fn birth_date(&self) -> Option<NaiveDate> {
        let v = self.value.as_str();
        match self.kind {
            IdType::ResidentId | IdType::ResidencePermit => date_of(v.get(6..14)?),
            IdType::ForeignPermanent if v.len() == 18 => date_of(v.get(6..14)?),
            IdType::ForeignPermanent => old_foreign_birth(v.get(5..11)?),
            IdType::HkMacauPermit | IdType::TaiwanPermit | IdType::Passport => None,
        }
    }

    /// The masked form of docs/masking.md (`*****8746`).
    pub fn masked(&self) -> String {
        super::mask::mask_id(&self.value)
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Trims, drops inner spaces, maps full-width ASCII to ASCII and upper-cases.
fn normalise(raw: &str) -> Result<String, IdError> {
    // digits and letters only (nearly every cell): nothing to trim, drop or widen
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Ok(raw.to_ascii_uppercase());
    }
    let trimmed = raw.trim_matches(|c: char| c.is_whitespace() || is_invisible(c));
    // Excel keeps a typed leading apostrophe (its "store as text" marker) in some exports.
    let trimmed = trimmed.strip_prefix(['\'', '’', '‘']).unwrap_or(trimmed);
    let text: String = trimmed
        .chars()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c))
        .map(|c| match c {
            // Full-width forms U+FF01..U+FF5E mirror ASCII 0x21..0x7E at a fixed offset.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if looks_like_excel_float(&text) {
        return Err(IdError::ExcelNumber);
    }
    Ok(text)
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// `1.10101E+17`, `4.40524199E+17`: what Excel shows for a long number in a General cell.
fn looks_like_excel_float(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once("E+") else {
        return false;
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    !int.is_empty()
        && !exponent.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

fn validate(kind: IdType, text: String, today: NaiveDate) -> Result<String, IdError> {
    match kind {
        IdType::ResidentId => resident(text, today),
        IdType::ResidencePermit => residence_permit(text, today),
        IdType::HkMacauPermit => hk_macau_permit(text),
        IdType::TaiwanPermit => taiwan_permit(text),
        IdType::Passport => passport(text),
        IdType::ForeignPermanent => foreign_permanent(text, today),
    }
}

/// Checks every character against the rule for its place; afterwards the text is ASCII and
/// byte slicing is safe.
fn check_chars(text: &str, rule_at: impl Fn(usize) -> CharRule) -> Result<(), IdError> {
    for (i, c) in text.chars().enumerate() {
        let expected = rule_at(i);
        let ok = match expected {
            CharRule::Digit => c.is_ascii_digit(),
            CharRule::DigitOrX => c.is_ascii_digit() || c == 'X',
            CharRule::Letter => c.is_ascii_uppercase(),
            CharRule::LetterOrDigit => c.is_ascii_uppercase() || c.is_ascii_digit(),
        };
        if !ok {
            return Err(IdError::BadChar {
                pos: i + 1,
                found: c,
                expected,
            });
        }
    }
    Ok(())
}

/// 17 digits and a check character.
fn check_eighteen(text: &str) -> Result<(), IdError> {
    check_chars(text, |i| {
        if i == 17 {
            CharRule::DigitOrX
        } else {
            CharRule::Digit
        }
    })
}

fn check_mod11(text: &str) -> Result<(), IdError> {
    let expected = check_char(&text[..17]);
    let found = text[17..].chars().next().unwrap_or(' ');
    if found == expected {
        Ok(())
    } else {
        Err(IdError::CheckChar { expected, found })
    }
}

fn check_region(kind: IdType, region: &str) -> Result<(), IdError> {
    if is_province_code(&region[..2]) {
        Ok(())
    } else {
        Err(IdError::UnknownRegion {
            kind,
            code: region.to_string(),
        })
    }
}

fn date_of(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits[..4].parse().ok()?;
    let month = digits[4..6].parse().ok()?;
    let day = digits[6..8].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// A real birth date: exists, not before 1900, not after today.
fn check_birth(digits: &str, today: NaiveDate) -> Result<NaiveDate, IdError> {
    let date = date_of(digits)
        .filter(|d| d.year() >= 1900)
        .ok_or_else(|| IdError::ImpossibleBirthDate {
            digits: digits.to_string(),
        })?;
    if date > today {
        return Err(IdError::FutureBirthDate { date });
    }
    Ok(date)
}

fn old_foreign_birth(yymmdd: &str) -> Option<NaiveDate> {
    let yy: i32 = yymmdd.get(..2)?.parse().ok()?;
    let century = if 2000 + yy <= OLD_FOREIGN_CARD_LAST_YEAR {
        2000
    } else {
        1900
    };
    date_of(&format!("{}{}", century + yy, yymmdd.get(2..)?))
}

fn resident(text: String, today: NaiveDate) -> Result<String, IdError> {
    match text.chars().count() {
        18 => {
            check_eighteen(&text)?;
            check_region(IdType::ResidentId, &text[..6])?;
            check_birth(&text[6..14], today)?;
            check_mod11(&text)?;
            Ok(text)
        }
        // First-generation cards: 6 region + YYMMDD (all born 19YY) + 3 sequence, no check
        // character. GB 11643 converts them by inserting the century and appending the check.
        15 => {
            check_chars(&text, |_| CharRule::Digit)?;
            check_region(IdType::ResidentId, &text[..6])?;
            check_birth(&format!("19{}", &text[6..12]), today)?;
            let first17 = format!("{}19{}", &text[..6], &text[6..]);
            let check = check_char(&first17);
            Ok(format!("{first17}{check}"))
        }
        found => Err(IdError::Length {
            kind: IdType::ResidentId,
            found,
        }),
    }
}

fn residence_permit(text: String, today: NaiveDate) -> Result<String, IdError> {
    let found = text.chars().count();
    if found != 18 {
        return Err(IdError::Length {
            kind: IdType::ResidencePermit,
            found,
        });
    }
    check_eighteen(&text)?;
    if !PERMIT_PREFIXES.contains(&&text[..6]) {
        return Err(IdError::BadPrefix {
            kind: IdType::ResidencePermit,
            found: text[..6].to_string(),
        });
    }
    check_birth(&text[6..14], today)?;
    check_mod11(&text)?;
    Ok(text)
}

fn hk_macau_permit(text: String) -> Result<String, IdError> {
    let first = text.chars().next().unwrap_or(' ');
    if first != 'H' && first != 'M' {
        return Err(IdError::BadPrefix {
            kind: IdType::HkMacauPermit,
            found: first.to_string(),
        });
    }
    let found = text.chars().count();
    if found != 9 && found != 11 {
        return Err(IdError::Length {
            kind: IdType::HkMacauPermit,
            found,
        });
    }
    check_chars(&text, |i| {
        if i == 0 {
            CharRule::Letter
        } else {
            CharRule::Digit
        }
    })?;
    Ok(text)
}

fn taiwan_permit(text: String) -> Result<String, IdError> {
    let found = text.chars().count();
    if found != 8 {
        return Err(IdError::Length {
            kind: IdType::TaiwanPermit,
            found,
        });
    }
    check_chars(&text, |_| CharRule::Digit)?;
    Ok(text)
}

fn passport(text: String) -> Result<String, IdError> {
    let found = text.chars().count();
    if !(5..=17).contains(&found) {
        return Err(IdError::Length {
            kind: IdType::Passport,
            found,
        });
    }
    check_chars(&text, |_| CharRule::LetterOrDigit)?;
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return Err(IdError::PassportWithoutDigit);
    }
    Ok(text)
}

fn foreign_permanent(text: String, today: NaiveDate) -> Result<String, IdError> {
    match text.chars().count() {
        // 2017 form: 9 + province + nationality number + birth date + sequence + check.
        18 => {
            let first = text.chars().next().unwrap_or(' ');
            if first != '9' {
                return Err(IdError::BadPrefix {
                    kind: IdType::ForeignPermanent,
                    found: first.to_string(),
                });
            }
            check_eighteen(&text)?;
            check_region(IdType::ForeignPermanent, &text[1..3])?;
            check_birth(&text[6..14], today)?;
            check_mod11(&text)?;
            Ok(text)
        }
        // 2004 form: 3-letter nationality + 2 issuing-office digits + YYMMDD + 4 digits.
        15 => {
            check_chars(&text, |i| {
                if i < 3 {
                    CharRule::Letter
                } else {
                    CharRule::Digit
                }
            })?;
            let yymmdd = &text[5..11];
            let date = old_foreign_birth(yymmdd).ok_or_else(|| IdError::ImpossibleBirthDate {
                digits: yymmdd.to_string(),
            })?;
            if date > today {
                return Err(IdError::FutureBirthDate { date });
            }
            Ok(text)
        }
        found => Err(IdError::Length {
            kind: IdType::ForeignPermanent,
            found,
        }),
    }
}

/// Which document a normalised number most likely belongs to, by shape alone.
fn guess_kind(text: &str) -> Option<IdType> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let is_digit = |c: &char| c.is_ascii_digit();
    let all_digits = chars.iter().all(is_digit);
    // Digits with a final X: the shape of a resident ID, whatever its length.
    let resident_like =
        n > 1 && chars[..n - 1].iter().all(is_digit) && (all_digits || chars[n - 1] == 'X');

    if n == 18 && resident_like {
        return Some(if text.starts_with('9') {
            IdType::ForeignPermanent
        } else if PERMIT_PREFIXES.iter().any(|p| text.starts_with(&p[..2])) {
            IdType::ResidencePermit
        } else {
            IdType::ResidentId
        });
    }
    if n == 15 && all_digits {
        return Some(IdType::ResidentId);
    }
    // Long runs of digits are resident IDs with a digit too many or too few; saying so beats
    // accepting them as passports.
    if resident_like && (14..=20).contains(&n) {
        return Some(IdType::ResidentId);
    }
    if n == 15 && chars[..3].iter().all(char::is_ascii_uppercase) && chars[3..].iter().all(is_digit)
    {
        return Some(IdType::ForeignPermanent);
    }
    if (n == 9 || n == 11) && matches!(chars[0], 'H' | 'M') && chars[1..].iter().all(is_digit) {
        return Some(IdType::HkMacauPermit);
    }
    if n == 8 && all_digits {
        return Some(IdType::TaiwanPermit);
    }
    let alnum = chars
        .iter()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if (5..=17).contains(&n) && alnum && chars.iter().any(is_digit) {
        return Some(IdType::Passport);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use IdType::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("test date")
    }

    /// The day these tables treat as today.
    fn today() -> NaiveDate {
        day(2026, 6, 1)
    }

    fn ok(value: &str) -> Result<String, IdError> {
        Ok(value.to_string())
    }

    fn length(kind: IdType, found: usize) -> Result<String, IdError> {
        Err(IdError::Length { kind, found })
    }

    fn bad_char(pos: usize, found: char, expected: CharRule) -> Result<String, IdError> {
        Err(IdError::BadChar {
            pos,
            found,
            expected,
        })
    }

    fn impossible(digits: &str) -> Result<String, IdError> {
        Err(IdError::ImpossibleBirthDate {
            digits: digits.to_string(),
        })
    }

    fn check(expected: char, found: char) -> Result<String, IdError> {
        Err(IdError::CheckChar { expected, found })
    }

    fn region(kind: IdType, code: &str) -> Result<String, IdError> {
        Err(IdError::UnknownRegion {
            kind,
            code: code.to_string(),
        })
    }

    fn prefix(kind: IdType, found: &str) -> Result<String, IdError> {
        Err(IdError::BadPrefix {
            kind,
            found: found.to_string(),
        })
    }

    #[test]
    fn check_char_matches_published_examples() {
        // Worked examples of GB 11643-1999 and numbers checked with an independent implementation.
        let cases = [
            ("11010519491231002", 'X'),
            ("44052418800101001", '4'),
            ("11010119900307123", '3'),
            ("81000019990101123", '6'),
            ("82000020000229456", '7'),
            ("91184019950101123", '6'),
            ("65010220060815432", 'X'),
            ("37020219990101001", '0'),
            ("37020219990101002", '9'),
        ];
        for (first17, want) in cases {
            assert_eq!(check_char(first17), want, "{first17}");
        }
    }

    #[test]
    fn parses_resident_ids() {
        let cases = [
            ("11010519491231002X", ok("11010519491231002X")),
            ("11010519491231002x", ok("11010519491231002X")),
            ("  110101199003071233\t", ok("110101199003071233")),
            (
                "１１０１０１１９９００３０７１２３３",
                ok("110101199003071233"),
            ),
            (
                "１１０１０５１９４９１２３１００２ｘ",
                ok("11010519491231002X"),
            ),
            ("110101 19900307 1233", ok("110101199003071233")),
            ("'110101199003071233", ok("110101199003071233")),
            (
                "\u{feff}110101199003071233\u{3000}",
                ok("110101199003071233"),
            ),
            ("65010220060815432X", ok("65010220060815432X")),
            ("130102190001010014", ok("130102190001010014")),
            ("110101202606010012", ok("110101202606010012")),
            // Old 15-digit cards become 18 digits: century inserted, check character appended.
            ("110105491231002", ok("11010519491231002X")),
            ("440524800101001", ok("440524198001010013")),
            ("", Err(IdError::Empty)),
            ("  \u{3000} ", Err(IdError::Empty)),
            ("1.10101E+17", Err(IdError::ExcelNumber)),
            ("4.40524199E+17", Err(IdError::ExcelNumber)),
            ("1101011990030712", length(ResidentId, 16)),
            ("11010119900307123", length(ResidentId, 17)),
            ("1101011990030712334", length(ResidentId, 19)),
            ("张三", length(ResidentId, 2)),
            ("11010119900307123A", bad_char(18, 'A', CharRule::DigitOrX)),
            ("1101011990O307123X", bad_char(11, 'O', CharRule::Digit)),
            (
                "11010119900307123张",
                bad_char(18, '张', CharRule::DigitOrX),
            ),
            ("11010549123100X", bad_char(15, 'X', CharRule::Digit)),
            ("110101199003071234", check('3', '4')),
            ("11010119900307123X", check('3', 'X')),
            ("110101199003071231", check('3', '1')),
            ("990101199003071233", region(ResidentId, "990101")),
            ("000000199003071233", region(ResidentId, "000000")),
            ("710000199901011232", region(ResidentId, "710000")),
            ("810000199901011236", region(ResidentId, "810000")),
            ("830000199607157895", region(ResidentId, "830000")),
            ("320583199802290016", impossible("19980229")),
            ("110101199013071233", impossible("19901307")),
            ("110101199003001233", impossible("19900300")),
            ("440524188001010014", impossible("18800101")),
            ("110105491331002", impossible("19491331")),
            (
                "110101202606020010",
                Err(IdError::FutureBirthDate {
                    date: day(2026, 6, 2),
                }),
            ),
        ];
        for (raw, want) in cases {
            let got = IdNumber::parse_at(ResidentId, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "input {raw:?}");
        }
    }

    #[test]
    fn every_province_code_is_accepted_and_neighbours_are_not() {
        let provinces = [
            11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50,
            51, 52, 53, 54, 61, 62, 63, 64, 65,
        ];
        for p in 0..100u32 {
            let code = format!("{p:02}");
            assert_eq!(
                is_province_code(&code),
                provinces.contains(&p),
                "province {code}"
            );
            let id = resident_id(&format!("{code}0102"), day(1999, 9, 9), 123);
            let got = IdNumber::parse_at(ResidentId, &id, today());
            if provinces.contains(&p) {
                assert_eq!(got.map(|i| i.value), Ok(id), "province {code}");
            } else {
                assert_eq!(
                    got,
                    Err(IdError::UnknownRegion {
                        kind: ResidentId,
                        code: format!("{code}0102")
                    })
                );
            }
        }
    }

    #[test]
    fn parses_residence_permits() {
        let cases = [
            ("810000199901011236", ok("810000199901011236")),
            ("820000200002294567", ok("820000200002294567")),
            ("830000199607157895", ok("830000199607157895")),
            (
                "８１００００１９９９０１０１１２３６",
                ok("810000199901011236"),
            ),
            ("840000199901011234", prefix(ResidencePermit, "840000")),
            ("810001199901011236", prefix(ResidencePermit, "810001")),
            ("110101199003071233", prefix(ResidencePermit, "110101")),
            ("810000199902301234", impossible("19990230")),
            (
                "810000203001011234",
                Err(IdError::FutureBirthDate {
                    date: day(2030, 1, 1),
                }),
            ),
            ("810000199901011237", check('6', '7')),
            ("820000200002294568", check('7', '8')),
            ("81000019990101123", length(ResidencePermit, 17)),
            ("810000990101123", length(ResidencePermit, 15)),
            ("8100001999010112X6", bad_char(17, 'X', CharRule::Digit)),
        ];
        for (raw, want) in cases {
            let got = IdNumber::parse_at(ResidencePermit, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "input {raw:?}");
        }
    }

    #[test]
    fn parses_travel_permits() {
        let hk_macau = [
            ("H12345678", ok("H12345678")),
            ("m1234567890", ok("M1234567890")),
            ("Ｈ１２３４５６７８", ok("H12345678")),
            (" M 0000 0001 ", ok("M00000001")),
            ("12345678", prefix(HkMacauPermit, "1")),
            ("K12345678", prefix(HkMacauPermit, "K")),
            ("H1234567", length(HkMacauPermit, 8)),
            ("H123456789", length(HkMacauPermit, 10)),
            ("H123456789012", length(HkMacauPermit, 13)),
            ("H1234567A", bad_char(9, 'A', CharRule::Digit)),
            ("HH2345678", bad_char(2, 'H', CharRule::Digit)),
            ("", Err(IdError::Empty)),
        ];
        for (raw, want) in hk_macau {
            let got = IdNumber::parse_at(HkMacauPermit, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "HK/Macau input {raw:?}");
        }
        let taiwan = [
            ("12345678", ok("12345678")),
            ("００１２３４５６", ok("00123456")),
            ("1234567", length(TaiwanPermit, 7)),
            ("123456789", length(TaiwanPermit, 9)),
            ("1234567A", bad_char(8, 'A', CharRule::Digit)),
            ("T1234567", bad_char(1, 'T', CharRule::Digit)),
        ];
        for (raw, want) in taiwan {
            let got = IdNumber::parse_at(TaiwanPermit, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "Taiwan input {raw:?}");
        }
    }

    #[test]
    fn parses_passports() {
        let cases = [
            ("E12345678", ok("E12345678")),
            ("EA1234567", ok("EA1234567")),
            ("g12345678", ok("G12345678")),
            ("x1234", ok("X1234")),
            ("123456789", ok("123456789")),
            ("AB1234567890123CD", ok("AB1234567890123CD")),
            ("E12 345 678", ok("E12345678")),
            ("1234", length(Passport, 4)),
            ("AB1234567890123CDE", length(Passport, 18)),
            ("ABCDEFG", Err(IdError::PassportWithoutDigit)),
            ("E1234-5678", bad_char(6, '-', CharRule::LetterOrDigit)),
            ("Ä12345678", bad_char(1, 'Ä', CharRule::LetterOrDigit)),
        ];
        for (raw, want) in cases {
            let got = IdNumber::parse_at(Passport, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "input {raw:?}");
        }
    }

    #[test]
    fn parses_foreign_permanent_resident_ids() {
        let cases = [
            ("911840199501011236", ok("911840199501011236")),
            ("944156200112310060", ok("944156200112310060")),
            ("usa119501011234", ok("USA119501011234")),
            ("USA110002291234", ok("USA110002291234")),
            ("811840199501011236", prefix(ForeignPermanent, "8")),
            ("111840199501011236", prefix(ForeignPermanent, "1")),
            ("971840199501011236", region(ForeignPermanent, "71")),
            ("900840199501011236", region(ForeignPermanent, "00")),
            ("911840199502301236", impossible("19950230")),
            ("911840189901011236", impossible("18990101")),
            (
                "911840202701011236",
                Err(IdError::FutureBirthDate {
                    date: day(2027, 1, 1),
                }),
            ),
            ("911840199501011237", check('6', '7')),
            ("91184019950101123", length(ForeignPermanent, 17)),
            ("USA1195010112345", length(ForeignPermanent, 16)),
            ("US1119501011234", bad_char(3, '1', CharRule::Letter)),
            ("USA11950101123X", bad_char(15, 'X', CharRule::Digit)),
            // 05 reads as 2005 (old cards ended in 2017), which had no 29 February.
            ("USA110502291234", impossible("050229")),
            ("USA119513011234", impossible("951301")),
        ];
        for (raw, want) in cases {
            let got = IdNumber::parse_at(ForeignPermanent, raw, today()).map(|id| id.value);
            assert_eq!(got, want, "input {raw:?}");
        }
    }

    type Detected = Result<(IdType, &'static str), IdError>;

    #[test]
    fn detect_guesses_the_document_and_keeps_its_reason() {
        let cases: [(&str, Detected); 22] = [
            ("11010519491231002x", Ok((ResidentId, "11010519491231002X"))),
            ("110105491231002", Ok((ResidentId, "11010519491231002X"))),
            (
                "810000199901011236",
                Ok((ResidencePermit, "810000199901011236")),
            ),
            (
                "830000199607157895",
                Ok((ResidencePermit, "830000199607157895")),
            ),
            (
                "911840199501011236",
                Ok((ForeignPermanent, "911840199501011236")),
            ),
            ("USA119501011234", Ok((ForeignPermanent, "USA119501011234"))),
            ("H12345678", Ok((HkMacauPermit, "H12345678"))),
            ("m1234567890", Ok((HkMacauPermit, "M1234567890"))),
            ("12345678", Ok((TaiwanPermit, "12345678"))),
            ("E12345678", Ok((Passport, "E12345678"))),
            ("123456789", Ok((Passport, "123456789"))),
            // Mistyped resident IDs get the resident ID's reason, not a passport's acceptance.
            (
                "110101199003071234",
                Err(IdError::CheckChar {
                    expected: '3',
                    found: '4',
                }),
            ),
            (
                "1101011990030712",
                Err(IdError::Length {
                    kind: ResidentId,
                    found: 16,
                }),
            ),
            (
                "11010119900307123",
                Err(IdError::Length {
                    kind: ResidentId,
                    found: 17,
                }),
            ),
            (
                "1101011990030712X",
                Err(IdError::Length {
                    kind: ResidentId,
                    found: 17,
                }),
            ),
            (
                "840000199901011234",
                Err(IdError::UnknownRegion {
                    kind: ResidentId,
                    code: "840000".into(),
                }),
            ),
            (
                "820000200002294568",
                Err(IdError::CheckChar {
                    expected: '7',
                    found: '8',
                }),
            ),
            (
                "110105491331002",
                Err(IdError::ImpossibleBirthDate {
                    digits: "19491331".into(),
                }),
            ),
            ("ABCDEF", Err(IdError::Unrecognised)),
            ("张三", Err(IdError::Unrecognised)),
            ("", Err(IdError::Empty)),
            ("1.10101E+17", Err(IdError::ExcelNumber)),
        ];
        for (raw, want) in cases {
            let got = IdNumber::detect_at(raw, today());
            let got = got
                .as_ref()
                .map(|id| (id.kind, id.value.as_str()))
                .map_err(Clone::clone);
            assert_eq!(got, want, "input {raw:?}");
        }
    }

    #[test]
    fn birth_date_where_the_document_carries_one() {
        let cases = [
            (ResidentId, "11010519491231002X", Some(day(1949, 12, 31))),
            (ResidentId, "110105491231002", Some(day(1949, 12, 31))),
            (
                ResidencePermit,
                "820000200002294567",
                Some(day(2000, 2, 29)),
            ),
            (
                ForeignPermanent,
                "911840199501011236",
                Some(day(1995, 1, 1)),
            ),
            (ForeignPermanent, "USA110002291234", Some(day(2000, 2, 29))),
            (ForeignPermanent, "CAN111701011234", Some(day(2017, 1, 1))),
            (ForeignPermanent, "CAN111801011234", Some(day(1918, 1, 1))),
            (HkMacauPermit, "H12345678", None),
            (TaiwanPermit, "12345678", None),
            (Passport, "E12345678", None),
        ];
        for (kind, raw, want) in cases {
            let id = IdNumber::parse_at(kind, raw, today()).expect(raw);
            assert_eq!(id.birth_date(), want, "{raw}");
        }
        // Hand-built values with broken dates give no date rather than a panic.
        let broken = IdNumber {
            kind: ResidentId,
            value: "1101".into(),
        };
        assert_eq!(broken.birth_date(), None);
    }

    #[test]
    fn builders_make_numbers_that_parse() {
        assert_eq!(
            resident_id("110105", day(1949, 12, 31), 2),
            "11010519491231002X"
        );
        assert_eq!(
            resident_id("440524", day(1980, 1, 1), 1),
            "440524198001010013"
        );
        assert_eq!(
            resident_id("810000", day(1999, 1, 1), 123),
            "810000199901011236"
        );
        assert_eq!(
            resident_id("370202", day(1999, 1, 1), 1001),
            "370202199901010010"
        );
        assert_eq!(
            foreign_permanent_id("11", "840", day(1995, 1, 1), 123),
            "911840199501011236"
        );

        let regions = ["110105", "310115", "440305", "650102", "540102"];
        for (i, region) in regions.iter().enumerate() {
            for seq in [0u16, 1, 77, 500, 999] {
                let birth = day(
                    1990 + i as i32 * 3,
                    1 + seq as u32 % 12,
                    1 + seq as u32 % 28,
                );
                let id = resident_id(region, birth, seq);
                let parsed = IdNumber::parse_at(ResidentId, &id, today()).expect(&id);
                assert_eq!(parsed.birth_date(), Some(birth), "{id}");
            }
        }
        for prefix in PERMIT_PREFIXES {
            let id = resident_id(prefix, day(2004, 2, 29), 42);
            assert_eq!(
                IdNumber::detect_at(&id, today()).map(|n| n.kind),
                Ok(ResidencePermit),
                "{id}"
            );
        }
    }

    #[test]
    fn masked_shows_only_the_last_four() {
        let id = IdNumber::parse_at(ResidentId, "11010519491231002x", today()).expect("valid");
        assert_eq!(id.masked(), "*****002X");
    }
}
