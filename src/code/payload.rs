//! What a collection code carries, and the compact byte form of its sealed part.
//!
//! Every byte here costs 1.5 characters of the token, and the token must fit a version-5 QR code
//! at ECC M (122 alphanumeric characters), so fields are packed rather than written out:
//! varints, 学号 and school codes as numbers in a small alphabet, the masked name as its visible
//! letters plus the shape of the `*` runs and separators between them, the masked ID as its four
//! visible characters. Anything without the expected shape (a roster oddity, another masking
//! rule) still round-trips exactly through a plain UTF-8 form; it is only larger, and
//! `token::issue` refuses it if the token no longer fits.
//!
//! The serial is not in here: it travels in the token's authenticated header, where it also
//! makes the nonce unique (see `token`).
//!
//! Layout (format 1): `level << 6 | cohort − 2000` (63 = escape, then a zigzag varint) ·
//! `issued_on` days since 2000-01-01 varint · `student_no` · `school_code` · `masked_id` ·
//! `masked_name`, each string in its own self-delimiting form described at its encoder.

use chrono::NaiveDate;
use serde::Serialize;

use super::pack::{Reader, put_radix, put_varint, put_zigzag, symbols_in};
use crate::domain::{Level, Student, mask_id, mask_name};

/// The decrypted content of a collection code (docs/token.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodePayload {
    /// The code's public number; a reissue gets a new one.
    pub serial: u64,
    /// 学号: the link to the roster record.
    pub student_no: String,
    pub masked_name: String,
    pub masked_id: String,
    /// 学校代码; the school's name comes from the config, not the code.
    pub school_code: String,
    pub level: Level,
    pub cohort: i32,
    pub issued_on: NaiveDate,
}

impl CodePayload {
    /// The payload for `student`, masked by the rules of docs/masking.md.
    pub fn for_student(
        serial: u64,
        student: &Student,
        school_code: &str,
        issued_on: NaiveDate,
    ) -> CodePayload {
        CodePayload {
            serial,
            student_no: student.student_no.clone(),
            masked_name: mask_name(&student.name),
            masked_id: mask_id(&student.id_number),
            school_code: school_code.to_string(),
            level: student.level,
            cohort: student.cohort,
            issued_on,
        }
    }
}

/// Why a payload cannot be packed, or why bytes are not a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("{field} is too long for a collection code (at most {max} bytes)")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} is out of the range a collection code can carry")]
    OutOfRange { field: &'static str },
    #[error("payload is damaged: {0}")]
    Corrupt(&'static str),
}

const MASK: char = '*';
/// Separators kept in place by the masking rule, by their 2-bit code (0 is the `*`).
const SEPARATORS: [char; 3] = ['·', ' ', '-'];
/// 学号 and school-code alphabets, smallest first: each string takes the first that covers it.
const DIGITS: &[u8] = b"0123456789";
const UPPER: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-";
const TEXT: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_./";
const STRING_FORMS: [&[u8]; 3] = [DIGITS, UPPER, TEXT];
/// Characters that may follow `*****` in a masked ID (an `x` check character is shown as `X`).
const ID_ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const MASKED_ID_STARS: &str = "*****";
/// Han characters (CJK Extension A and the basic block) take two bytes instead of three.
const HAN_FIRST: u32 = 0x3400;
const HAN_LAST: u32 = 0x9fff;

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// Packs everything but the serial.
pub(crate) fn encode(p: &CodePayload) -> Result<Vec<u8>, PayloadError> {
    let mut out = Vec::with_capacity(48);
    let level = p.level.to_byte() << 6;
    match i64::from(p.cohort) - 2000 {
        offset @ 0..=62 => out.push(level | offset as u8),
        offset => {
            out.push(level | 63);
            put_zigzag(&mut out, offset);
        }
    }
    let days = u64::try_from((p.issued_on - epoch()).num_days())
        .map_err(|_| PayloadError::OutOfRange { field: "issued_on" })?;
    put_varint(&mut out, days);
    put_packed_str(&mut out, &p.student_no, "student_no")?;
    put_packed_str(&mut out, &p.school_code, "school_code")?;
    put_masked_id(&mut out, &p.masked_id)?;
    put_masked_name(&mut out, &p.masked_name)?;
    Ok(out)
}

/// Unpacks what [`encode`] wrote; `serial` comes from the token header.
pub(crate) fn decode(bytes: &[u8], serial: u64) -> Result<CodePayload, PayloadError> {
    let mut r = Reader { bytes, pos: 0 };
    let first = r.byte()?;
    let level = Level::from_byte(first >> 6).ok_or(PayloadError::Corrupt("unknown level"))?;
    let offset = match first & 63 {
        63 => r.zigzag()?,
        small => i64::from(small),
    };
    let cohort =
        i32::try_from(offset + 2000).map_err(|_| PayloadError::Corrupt("cohort out of range"))?;
    let issued_on = epoch()
        .checked_add_days(chrono::Days::new(r.varint()?))
        .ok_or(PayloadError::Corrupt("issue date out of range"))?;
    let student_no = r.packed_str()?;
    let school_code = r.packed_str()?;
    let masked_id = r.masked_id()?;
    let masked_name = r.masked_name()?;
    if r.pos != bytes.len() {
        return Err(PayloadError::Corrupt(
            "unexpected bytes after the last field",
        ));
    }
    let payload = CodePayload {
        serial,
        student_no,
        masked_name,
        masked_id,
        school_code,
        level,
        cohort,
        issued_on,
    };
    // Only the exact bytes `encode` writes are a payload. The readers above accept some other
    // spellings of the same text (a masked name starting with a separator in the compact forms,
    // a Han letter in UTF-8), and such a payload could decode to text that caiji itself would
    // pack differently, or not fit a code at all.
    if encode(&payload).ok().as_deref() != Some(bytes) {
        return Err(PayloadError::Corrupt("not in the form caiji writes"));
    }
    Ok(payload)
}

// ---- field writers ----------------------------------------------------------------------------

/// 学号 and school code: header `form << 6 | length` (length ≤ 63), then the body: forms 0–2 are
/// the string's symbols in [`STRING_FORMS`]`[form]` packed as a number, form 3 is UTF-8 bytes.
fn put_packed_str(out: &mut Vec<u8>, s: &str, field: &'static str) -> Result<(), PayloadError> {
    if s.len() > 63 {
        return Err(PayloadError::TooLong { field, max: 63 });
    }
    let packed = STRING_FORMS
        .iter()
        .enumerate()
        .find_map(|(form, alphabet)| symbols_in(s, alphabet).map(|sym| (form, alphabet, sym)));
    match packed {
        Some((form, alphabet, symbols)) => {
            out.push((form as u8) << 6 | s.len() as u8);
            put_radix(out, &symbols, alphabet.len() as u128);
        }
        None => {
            out.push(3 << 6 | s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
    }
    Ok(())
}

/// Masked ID `*****` + up to four of `0-9A-Z`: three bytes, `n << 21 | tail in radix 36`.
/// Anything else: one byte `0b111 << 5 | length` (length ≤ 31), then UTF-8.
fn put_masked_id(out: &mut Vec<u8>, s: &str) -> Result<(), PayloadError> {
    let tail = s
        .strip_prefix(MASKED_ID_STARS)
        .filter(|t| t.len() <= 4)
        .and_then(|t| symbols_in(t, ID_ALPHABET));
    match tail {
        Some(symbols) => {
            let value = symbols.iter().fold(0u32, |acc, &d| acc * 36 + u32::from(d))
                | (symbols.len() as u32) << 21;
            out.extend_from_slice(&value.to_be_bytes()[1..]);
        }
        None if s.len() <= 31 => {
            out.push(0b111 << 5 | s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
        None => {
            return Err(PayloadError::TooLong {
                field: "masked_id",
                max: 31,
            });
        }
    }
    Ok(())
}

fn middle_code(c: char) -> Option<u8> {
    if c == MASK {
        Some(0)
    } else {
        SEPARATORS.iter().position(|&s| s == c).map(|i| i as u8 + 1)
    }
}

fn middle_char(code: u8) -> char {
    match code {
        1..=3 => SEPARATORS[usize::from(code) - 1],
        _ => MASK,
    }
}

fn is_han(c: char) -> bool {
    (HAN_FIRST..=HAN_LAST).contains(&u32::from(c))
}

/// A visible letter: Han as two bytes (offset from U+3400), anything else as UTF-8.
fn put_letter(out: &mut Vec<u8>, c: char) {
    if is_han(c) {
        out.extend_from_slice(&((u32::from(c) - HAN_FIRST) as u16).to_be_bytes());
    } else {
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Masked name, the last field. Header: `form << 6 | has_last << 5 | first_is_han << 4 |
/// last_is_han << 3 | n` (3 bits).
/// - form 0 (runs): first letter · separator count if `n` = 7 (else `n` is the count) · per
///   separator `kind << 6 | stars before it` · stars after the last separator · last letter.
/// - form 1 (2-bit): first letter · last letter · the middle as 2-bit codes, four per byte,
///   first in the high bits (0 `*`, 1 `·`, 2 space, 3 `-`), up to the end of the payload;
///   `n` is the middle length mod 4, which is all the end of the payload leaves open.
/// - form 2 (raw): length byte and UTF-8 bytes, for anything not of the masked shape.
///
/// Runs are shorter for ordinary names; the 2-bit form bounds the worst case (a name of many
/// one-letter words) at a quarter byte per character. The last letter is present iff flagged.
fn put_masked_name(out: &mut Vec<u8>, s: &str) -> Result<(), PayloadError> {
    let Some(shape) = NameShape::of(s) else {
        if s.len() > 255 {
            return Err(PayloadError::TooLong {
                field: "masked_name",
                max: 255,
            });
        }
        out.push(2 << 6);
        out.push(s.len() as u8);
        out.extend_from_slice(s.as_bytes());
        return Ok(());
    };
    let flags = u8::from(shape.last.is_some()) << 5
        | u8::from(is_han(shape.first)) << 4
        | u8::from(shape.last.is_some_and(is_han)) << 3;
    let quad_cost = shape.middle.len().div_ceil(4);
    // Count byte (7+ separators), one byte per separator, one for the final run.
    let run_cost = |seps: usize| usize::from(seps >= 7) + seps + 1;
    match shape.runs() {
        Some((seps, tail)) if run_cost(seps.len()) <= quad_cost => {
            let n = seps.len().min(7) as u8;
            out.push(flags | n);
            put_letter(out, shape.first);
            if n == 7 {
                out.push(seps.len() as u8);
            }
            out.extend(seps);
            out.push(tail);
        }
        Some(_) | None => {
            out.push(1 << 6 | flags | (shape.middle.len() % 4) as u8);
            put_letter(out, shape.first);
            if let Some(last) = shape.last {
                put_letter(out, last);
            }
            for quad in shape.middle.chunks(4) {
                out.push(
                    quad.iter()
                        .enumerate()
                        .fold(0u8, |acc, (i, &c)| acc | c << (6 - 2 * i)),
                );
            }
            return Ok(());
        }
    }
    if let Some(last) = shape.last {
        put_letter(out, last);
    }
    Ok(())
}

/// A masked name seen as: one visible letter, a middle of `*` and separators, maybe a last letter.
struct NameShape {
    first: char,
    middle: Vec<u8>,
    last: Option<char>,
}

impl NameShape {
    fn of(s: &str) -> Option<NameShape> {
        let chars: Vec<char> = s.chars().collect();
        let first = *chars.first()?;
        if middle_code(first).is_some() {
            return None;
        }
        let mut rest = &chars[1..];
        let last = match rest.last() {
            Some(&c) if middle_code(c).is_none() => {
                rest = &rest[..rest.len() - 1];
                Some(c)
            }
            _ => None,
        };
        let middle = rest
            .iter()
            .map(|&c| middle_code(c))
            .collect::<Option<Vec<u8>>>()?;
        (middle.len() <= 255).then_some(NameShape {
            first,
            middle,
            last,
        })
    }

    /// The run form: one byte per separator and one for the final run, if every run fits.
    fn runs(&self) -> Option<(Vec<u8>, u8)> {
        let mut seps = Vec::new();
        let mut run = 0u8;
        for &code in &self.middle {
            if code == 0 {
                run = run.checked_add(1)?;
            } else {
                if run > 63 {
                    return None;
                }
                seps.push(code << 6 | run);
                run = 0;
            }
        }
        (seps.len() <= 255).then_some((seps, run))
    }
}

// ---- field readers ----------------------------------------------------------------------------

impl Reader<'_> {
    fn letter(&mut self, han: bool) -> Result<char, PayloadError> {
        if han {
            let b = self.take(2)?;
            let offset = u32::from(u16::from_be_bytes([b[0], b[1]]));
            return char::from_u32(HAN_FIRST + offset)
                .filter(|&c| is_han(c))
                .ok_or(PayloadError::Corrupt("letter out of range"));
        }
        let lead = *self
            .bytes
            .get(self.pos)
            .ok_or(PayloadError::Corrupt("payload ends early"))?;
        let len = match lead {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return Err(PayloadError::Corrupt("text is not UTF-8")),
        };
        self.utf8(len)?
            .chars()
            .next()
            .ok_or(PayloadError::Corrupt("text is not UTF-8"))
    }

    fn packed_str(&mut self) -> Result<String, PayloadError> {
        let header = self.byte()?;
        let len = usize::from(header & 0x3f);
        match STRING_FORMS.get(usize::from(header >> 6)) {
            Some(alphabet) => self.radix(len, alphabet),
            None => self.utf8(len),
        }
    }

    fn masked_id(&mut self) -> Result<String, PayloadError> {
        let first = self.byte()?;
        match first >> 5 {
            n @ 0..=4 => {
                let rest = self.take(2)?;
                let mut value = u32::from_be_bytes([0, first & 0x1f, rest[0], rest[1]]);
                let n = usize::from(n);
                if value >= 36u32.pow(n as u32) {
                    return Err(PayloadError::Corrupt("masked ID out of range"));
                }
                let mut tail = vec![b'0'; n];
                for slot in tail.iter_mut().rev() {
                    *slot = ID_ALPHABET[(value % 36) as usize];
                    value /= 36;
                }
                Ok(MASKED_ID_STARS
                    .chars()
                    .chain(tail.into_iter().map(char::from))
                    .collect())
            }
            0b111 => self.utf8(usize::from(first & 0x1f)),
            _ => Err(PayloadError::Corrupt("unknown masked ID form")),
        }
    }

    fn masked_name(&mut self) -> Result<String, PayloadError> {
        let header = self.byte()?;
        let (has_last, first_han, last_han) =
            (header & 0x20 != 0, header & 0x10 != 0, header & 0x08 != 0);
        let mut name = String::new();
        match header >> 6 {
            0 => {
                name.push(self.letter(first_han)?);
                let seps = match header & 7 {
                    7 => self.byte()?,
                    n => n,
                };
                for _ in 0..seps {
                    let b = self.byte()?;
                    if b >> 6 == 0 {
                        return Err(PayloadError::Corrupt("unknown separator"));
                    }
                    name.extend(std::iter::repeat_n(MASK, usize::from(b & 0x3f)));
                    name.push(middle_char(b >> 6));
                }
                name.extend(std::iter::repeat_n(MASK, usize::from(self.byte()?)));
            }
            1 => {
                name.push(self.letter(first_han)?);
                let last = if has_last {
                    Some(self.letter(last_han)?)
                } else {
                    None
                };
                let packed = self.take(self.bytes.len() - self.pos)?;
                let len = match (header & 7, packed.len()) {
                    (0, n) => n * 4,
                    (r @ 1..=3, n @ 1..) => (n - 1) * 4 + usize::from(r),
                    _ => return Err(PayloadError::Corrupt("bad name length")),
                };
                name.extend((0..len).map(|i| middle_char(packed[i / 4] >> (6 - 2 * (i % 4)) & 3)));
                name.extend(last);
                return Ok(name);
            }
            2 => {
                let len = usize::from(self.byte()?);
                return self.utf8(len);
            }
            _ => return Err(PayloadError::Corrupt("unknown name form")),
        }
        if has_last {
            name.push(self.letter(last_han)?);
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(masked_name: &str, student_no: &str) -> CodePayload {
        CodePayload {
            serial: 1042,
            student_no: student_no.into(),
            masked_name: masked_name.into(),
            masked_id: "*****874X".into(),
            school_code: "4111010001".into(),
            level: Level::Bachelor,
            cohort: 2026,
            issued_on: NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        }
    }

    fn round_trip(p: &CodePayload) -> Result<CodePayload, PayloadError> {
        decode(&encode(p)?, p.serial)
    }

    #[test]
    fn names_round_trip_in_the_expected_form_and_size() {
        // (masked name, form, bytes). Runs cost one byte per separator plus the final run;
        // the 2-bit form a quarter byte per middle character.
        let cases = [
            ("张", 1, 1 + 2),
            ("张*", 0, 1 + 2 + 1),
            ("李*民", 0, 1 + 2 + 1 + 2),
            ("欧**娜", 0, 1 + 2 + 1 + 2),
            ("买**·*力", 1, 1 + 2 + 2 + 1),
            ("J*** ****h", 0, 1 + 1 + 1 + 1 + 1),
            ("M*********-********r", 0, 1 + 1 + 1 + 1 + 1),
            ("A-*", 1, 1 + 1 + 1),
            // Outside the two-byte Han range: UTF-8.
            ("𠀀*𠀁", 0, 1 + 4 + 1 + 4),
            ("Ä*ö", 0, 1 + 2 + 1 + 2),
            // Seven or more separators need a count byte in the run form.
            ("A*-*-*-*-*-*-*-*Z", 1, 1 + 1 + 1 + 4),
            (
                "A*****-*****-*****-*****-*****-*****-*****-*****Z",
                0,
                1 + 1 + 1 + 7 + 1 + 1,
            ),
            ("A*** *** *** *** *** *** *** ***Z", 1, 1 + 1 + 1 + 8),
            // Many one-letter words: the 2-bit form bounds the size.
            (
                "A * * * * * * * * * * * * * * * * * * * * * * *Z",
                1,
                1 + 1 + 1 + 12,
            ),
            // Not of the masked shape (an unmasked name, a bullet not normalised): stored raw.
            ("张三丰", 2, 2 + 9),
            ("*三", 2, 2 + 4),
            ("", 2, 2),
            ("买买提•艾力", 2, 2 + 18),
        ];
        for (name, form, size) in cases {
            let mut out = Vec::new();
            put_masked_name(&mut out, name).unwrap();
            assert_eq!((out[0] >> 6, out.len()), (form, size), "{name:?}");
            let p = sample(name, "2022110101");
            assert_eq!(round_trip(&p), Ok(p.clone()), "{name:?}");
        }
    }

    #[test]
    fn strings_take_the_smallest_alphabet_and_round_trip() {
        // (学号, form, bytes including the header)
        let cases = [
            ("", 0, 1),
            ("0042", 0, 1 + 2),
            ("2022110101", 0, 1 + 5),
            ("20221101010203040506", 0, 1 + 9),
            ("2022ZY0101", 1, 1 + 7),
            ("S2022-110101-ABCDEFG", 1, 1 + 14),
            ("s2022_110101./abcdef", 2, 1 + 16),
            ("学2022", 3, 1 + 7),
        ];
        for (no, form, size) in cases {
            let mut out = Vec::new();
            put_packed_str(&mut out, no, "student_no").unwrap();
            assert_eq!((out[0] >> 6, out.len()), (form, size), "{no:?}");
            let p = sample("张*", no);
            assert_eq!(round_trip(&p), Ok(p.clone()), "{no:?}");
        }
        assert_eq!(
            round_trip(&sample("张*", &"9".repeat(63))).map(|p| p.student_no.len()),
            Ok(63)
        );
    }

    #[test]
    fn masked_ids_round_trip() {
        let compact = [
            "*****8746",
            "*****874X",
            "*****",
            "*****A1",
            "*****ZZZZ",
            "*****0000",
        ];
        let raw = ["8746", "*****8746X", "*****87x6", "****·8746", ""];
        for (id, size) in compact
            .iter()
            .map(|id| (id, 3))
            .chain(raw.iter().map(|id| (id, 1 + id.len())))
        {
            let mut out = Vec::new();
            put_masked_id(&mut out, id).unwrap();
            assert_eq!(out.len(), size, "{id:?}");
            let mut p = sample("张*", "1");
            p.masked_id = (*id).into();
            assert_eq!(round_trip(&p), Ok(p.clone()), "{id:?}");
        }
    }

    #[test]
    fn levels_cohorts_and_dates_round_trip_at_their_limits() {
        let dates = [(2000, 1, 1), (2026, 6, 30), (2044, 11, 9), (2199, 12, 31)];
        for cohort in [2000, 2026, 2062, 2063, 1999, 1949, i32::MAX, i32::MIN] {
            for (y, m, d) in dates {
                for level in Level::ALL {
                    let mut p = sample("李*民", "2022110101");
                    (p.cohort, p.level, p.issued_on) =
                        (cohort, level, NaiveDate::from_ymd_opt(y, m, d).unwrap());
                    assert_eq!(round_trip(&p), Ok(p.clone()));
                }
            }
        }
    }

    #[test]
    fn a_typical_payload_is_small() {
        // level+cohort 1 · date 2 · 学号 1+5 · school 1+5 · ID 3 · name 1+2+1
        assert_eq!(
            encode(&sample("张*", "2022110101")).unwrap().len(),
            1 + 2 + 6 + 6 + 3 + 4
        );
    }

    #[test]
    fn oversized_fields_are_refused_with_the_field_name() {
        let p = sample("张*", &"1".repeat(64));
        assert_eq!(
            encode(&p),
            Err(PayloadError::TooLong {
                field: "student_no",
                max: 63
            })
        );
        let mut p = sample("张*", "1");
        p.school_code = "学".repeat(22);
        assert_eq!(
            encode(&p),
            Err(PayloadError::TooLong {
                field: "school_code",
                max: 63
            })
        );
        let mut p = sample("张*", "1");
        p.masked_id = "#".repeat(32);
        assert_eq!(
            encode(&p),
            Err(PayloadError::TooLong {
                field: "masked_id",
                max: 31
            })
        );
        let mut p = sample("张*", "1");
        p.issued_on = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        assert_eq!(
            encode(&p),
            Err(PayloadError::OutOfRange { field: "issued_on" })
        );
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        for p in [
            sample("买**·*力", "2022A1101"),
            sample("J*** ****h", "s2022_1"),
            sample("张三", "学1"),
            sample("张", "1"),
        ] {
            let good = encode(&p).unwrap();
            // (The sealed payload cannot be cut without failing authentication; here it only
            // has to not read back as the original.)
            for len in 0..good.len() {
                assert_ne!(
                    decode(&good[..len], p.serial),
                    Ok(p.clone()),
                    "prefix of {len} bytes"
                );
            }
            let mut longer = good.clone();
            longer.push(0);
            assert_ne!(decode(&longer, p.serial), Ok(p.clone()));
            // Every value at every position: an error or some payload, never a panic.
            for pos in 0..good.len() {
                for v in 0..=255u8 {
                    let mut b = good.clone();
                    b[pos] = v;
                    let _ = decode(&b, 1);
                }
            }
        }
        // A run-form name leaves no room for stray bytes after it.
        let mut longer = encode(&sample("张*", "1")).unwrap();
        longer.push(0);
        assert_eq!(
            decode(&longer, 1),
            Err(PayloadError::Corrupt(
                "unexpected bytes after the last field"
            ))
        );
    }
}
