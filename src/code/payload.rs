//! What a collection code carries, and its compact byte form (the plaintext under AES-GCM).
//!
//! Every byte here costs 1.5 characters of the token and the token must fit a version-5 QR code,
//! so fields are packed rather than written out: varints, digit strings as numbers, the masked
//! name as its two visible letters plus the shape of the `*` runs and separators between them,
//! the masked ID as its four visible characters. Anything that does not have the expected shape
//! (a roster oddity, an older masking rule) still round-trips exactly through a plain UTF-8 form;
//! it is only larger, and `token::issue` refuses it if it no longer fits.
//!
//! Layout (format 1): `serial` varint · `level` byte · `cohort − 2000` zigzag varint ·
//! `issued_on` days since 2000-01-01 varint · `student_no` · `school_code` · `masked_id` ·
//! `masked_name`, each string in its own self-delimiting form described at its encoder.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::{Level, Student, mask_id, mask_name};

/// The decrypted content of a collection code (SPEC §5).
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
    /// The payload for `student`, masked by the rules of SPEC §4.
    pub fn for_student(serial: u64, student: &Student, school_code: &str, issued_on: NaiveDate) -> CodePayload {
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
    #[error("{field} is too long for a collection code (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} is out of the range a collection code can carry")]
    OutOfRange { field: &'static str },
    #[error("payload is damaged: {0}")]
    Corrupt(&'static str),
}

const MASK: char = '*';
/// Separators kept in place by the masking rule, by their 2-bit code (0 is the `*`).
const SEPARATORS: [char; 3] = ['·', ' ', '-'];
/// Characters of 学号 and school codes that pack at about 6 bits each.
const TEXT_ALPHABET: &[u8; 66] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_./";
/// Characters that may follow `*****` in a masked ID (an `x` check character is shown as `X`).
const ID_ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const MASKED_ID_STARS: &str = "*****";

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN)
}

pub(crate) fn encode(p: &CodePayload) -> Result<Vec<u8>, PayloadError> {
    let mut out = Vec::with_capacity(64);
    put_varint(&mut out, p.serial);
    out.push(p.level.to_byte());
    put_zigzag(&mut out, i64::from(p.cohort) - 2000);
    let days = u64::try_from((p.issued_on - epoch()).num_days()).map_err(|_| PayloadError::OutOfRange { field: "issued_on" })?;
    put_varint(&mut out, days);
    put_packed_str(&mut out, &p.student_no, "student_no")?;
    put_packed_str(&mut out, &p.school_code, "school_code")?;
    put_masked_id(&mut out, &p.masked_id)?;
    put_masked_name(&mut out, &p.masked_name)?;
    Ok(out)
}

pub(crate) fn decode(bytes: &[u8]) -> Result<CodePayload, PayloadError> {
    let mut r = Reader { bytes, pos: 0 };
    let serial = r.varint()?;
    let level = Level::from_byte(r.byte()?).ok_or(PayloadError::Corrupt("unknown level"))?;
    let cohort = r
        .zigzag()?
        .checked_add(2000)
        .and_then(|y| i32::try_from(y).ok())
        .ok_or(PayloadError::Corrupt("cohort out of range"))?;
    let issued_on = epoch()
        .checked_add_days(chrono::Days::new(r.varint()?))
        .ok_or(PayloadError::Corrupt("issue date out of range"))?;
    let student_no = r.packed_str()?;
    let school_code = r.packed_str()?;
    let masked_id = r.masked_id()?;
    let masked_name = r.masked_name()?;
    if r.pos != bytes.len() {
        return Err(PayloadError::Corrupt("unexpected bytes after the last field"));
    }
    Ok(CodePayload { serial, student_no, masked_name, masked_id, school_code, level, cohort, issued_on })
}

// ---- primitives ------------------------------------------------------------------------------

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Largest number of radix-`radix` symbols whose value fits a `u128`, and the power for `n`.
fn radix_power(radix: u128, n: usize) -> Option<u128> {
    (0..n).try_fold(1u128, |acc, _| acc.checked_mul(radix))
}

fn chunk_len(radix: u128) -> usize {
    (1..).take_while(|&n| radix_power(radix, n).is_some()).last().unwrap_or(1)
}

/// Bytes needed for any value below `radix^n`.
fn chunk_bytes(radix: u128, n: usize) -> usize {
    let max = radix_power(radix, n).map_or(u128::MAX, |p| p - 1);
    (128 - max.leading_zeros() as usize).div_ceil(8)
}

/// Writes symbols (each `< radix`) as big-endian numbers, `chunk_len(radix)` symbols at a time.
fn put_radix(out: &mut Vec<u8>, symbols: &[u8], radix: u128) {
    for chunk in symbols.chunks(chunk_len(radix)) {
        let value = chunk.iter().fold(0u128, |acc, &s| acc * radix + u128::from(s));
        let n = chunk_bytes(radix, chunk.len());
        out.extend_from_slice(&value.to_be_bytes()[16 - n..]);
    }
}

/// A `Text` string: header `form << 6 | length`, then the body.
/// Forms: 0 ASCII digits (radix 10), 1 [`TEXT_ALPHABET`] (radix 66), 2 UTF-8 bytes.
fn put_packed_str(out: &mut Vec<u8>, s: &str, field: &'static str) -> Result<(), PayloadError> {
    const MAX: usize = 63;
    let too_long = PayloadError::TooLong { field, max: MAX };
    if s.bytes().all(|b| b.is_ascii_digit()) {
        if s.len() > MAX {
            return Err(too_long);
        }
        out.push(s.len() as u8);
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        put_radix(out, &digits, 10);
    } else if let Some(symbols) = s.bytes().map(|b| TEXT_ALPHABET.iter().position(|&a| a == b).map(|i| i as u8)).collect::<Option<Vec<u8>>>() {
        if s.len() > MAX {
            return Err(too_long);
        }
        out.push(1 << 6 | s.len() as u8);
        put_radix(out, &symbols, TEXT_ALPHABET.len() as u128);
    } else {
        if s.len() > MAX {
            return Err(too_long);
        }
        out.push(2 << 6 | s.len() as u8);
        out.extend_from_slice(s.as_bytes());
    }
    Ok(())
}

/// Masked ID: `n` (0–4) then the `n` visible characters in radix 36 when it is `*****` plus up to
/// four of `0-9A-Z`; otherwise `0x80 | length` and UTF-8 bytes.
fn put_masked_id(out: &mut Vec<u8>, s: &str) -> Result<(), PayloadError> {
    let tail = s.strip_prefix(MASKED_ID_STARS).filter(|t| t.len() <= 4);
    let symbols = tail.and_then(|t| t.bytes().map(|b| ID_ALPHABET.iter().position(|&a| a == b).map(|i| i as u8)).collect::<Option<Vec<u8>>>());
    match symbols {
        Some(symbols) => {
            out.push(symbols.len() as u8);
            put_radix(out, &symbols, ID_ALPHABET.len() as u128);
        }
        None => {
            if s.len() > 127 {
                return Err(PayloadError::TooLong { field: "masked_id", max: 127 });
            }
            out.push(0x80 | s.len() as u8);
            out.extend_from_slice(s.as_bytes());
        }
    }
    Ok(())
}

fn middle_code(c: char) -> Option<u8> {
    if c == MASK { Some(0) } else { SEPARATORS.iter().position(|&s| s == c).map(|i| i as u8 + 1) }
}

fn middle_char(code: u8) -> char {
    match code {
        1..=3 => SEPARATORS[usize::from(code) - 1],
        _ => MASK,
    }
}

/// Masked name. Header: `form << 6 | has_last << 5`.
/// - form 0 (runs): first letter (UTF-8) · separator count · per separator `kind << 6 | stars
///   before it` · stars after the last separator · last letter if any.
/// - form 1 (2-bit): first letter · middle length · middle as 2-bit codes, four per byte, first
///   in the high bits (0 `*`, 1 `·`, 2 space, 3 `-`) · last letter if any.
/// - form 2 (raw): length byte and UTF-8 bytes, for anything not of the masked shape.
///
/// Runs are shorter for ordinary names; the 2-bit form bounds the worst case (a name made of
/// many one-letter words) at a quarter byte per character.
fn put_masked_name(out: &mut Vec<u8>, s: &str) -> Result<(), PayloadError> {
    if let Some(shape) = NameShape::of(s) {
        let has_last = u8::from(shape.last.is_some()) << 5;
        let runs = shape.runs();
        let quad_len = 1 + shape.middle.len().div_ceil(4);
        match runs {
            Some((seps, tail)) if seps.len() + 2 <= quad_len => {
                out.push(has_last);
                put_char(out, shape.first);
                out.push(seps.len() as u8);
                out.extend(seps);
                out.push(tail);
            }
            _ => {
                out.push(1 << 6 | has_last);
                put_char(out, shape.first);
                out.push(shape.middle.len() as u8);
                for quad in shape.middle.chunks(4) {
                    let byte = quad.iter().enumerate().fold(0u8, |acc, (i, &c)| acc | c << (6 - 2 * i));
                    out.push(byte);
                }
            }
        }
        if let Some(last) = shape.last {
            put_char(out, last);
        }
        return Ok(());
    }
    if s.len() > 255 {
        return Err(PayloadError::TooLong { field: "masked_name", max: 255 });
    }
    out.push(2 << 6);
    out.push(s.len() as u8);
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_char(out: &mut Vec<u8>, c: char) {
    let mut buf = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
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
        let middle = rest.iter().map(|&c| middle_code(c)).collect::<Option<Vec<u8>>>()?;
        (middle.len() <= 255).then_some(NameShape { first, middle, last })
    }

    /// The run form: one byte per separator and the final run, if every run fits.
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

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, PayloadError> {
        let b = *self.bytes.get(self.pos).ok_or(PayloadError::Corrupt("payload ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&[u8], PayloadError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or(PayloadError::Corrupt("payload ends early"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn varint(&mut self) -> Result<u64, PayloadError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(PayloadError::Corrupt("number out of range"));
            }
            value |= part << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(PayloadError::Corrupt("number out of range"))
    }

    fn zigzag(&mut self) -> Result<i64, PayloadError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn radix(&mut self, n: usize, radix: u128) -> Result<Vec<u8>, PayloadError> {
        let mut symbols = Vec::with_capacity(n);
        let per_chunk = chunk_len(radix);
        let mut left = n;
        while left > 0 {
            let k = left.min(per_chunk);
            let mut value = self.take(chunk_bytes(radix, k))?.iter().fold(0u128, |acc, &b| acc << 8 | u128::from(b));
            if radix_power(radix, k).is_some_and(|limit| value >= limit) {
                return Err(PayloadError::Corrupt("packed text out of range"));
            }
            let start = symbols.len();
            for _ in 0..k {
                symbols.push((value % radix) as u8);
                value /= radix;
            }
            symbols[start..].reverse();
            left -= k;
        }
        Ok(symbols)
    }

    fn utf8(&mut self, n: usize) -> Result<String, PayloadError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| PayloadError::Corrupt("text is not UTF-8"))
    }

    fn utf8_char(&mut self) -> Result<char, PayloadError> {
        let lead = *self.bytes.get(self.pos).ok_or(PayloadError::Corrupt("payload ends early"))?;
        let len = match lead {
            0x00..=0x7f => 1,
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => return Err(PayloadError::Corrupt("text is not UTF-8")),
        };
        self.utf8(len)?.chars().next().ok_or(PayloadError::Corrupt("text is not UTF-8"))
    }

    fn packed_str(&mut self) -> Result<String, PayloadError> {
        let header = self.byte()?;
        let len = usize::from(header & 0x3f);
        match header >> 6 {
            0 => Ok(self.radix(len, 10)?.into_iter().map(|d| char::from(b'0' + d)).collect()),
            1 => Ok(self.radix(len, TEXT_ALPHABET.len() as u128)?.into_iter().map(|i| char::from(TEXT_ALPHABET[usize::from(i)])).collect()),
            2 => self.utf8(len),
            _ => Err(PayloadError::Corrupt("unknown text form")),
        }
    }

    fn masked_id(&mut self) -> Result<String, PayloadError> {
        let header = self.byte()?;
        match header {
            0..=4 => {
                let tail = self.radix(usize::from(header), ID_ALPHABET.len() as u128)?;
                Ok(MASKED_ID_STARS.chars().chain(tail.into_iter().map(|i| char::from(ID_ALPHABET[usize::from(i)]))).collect())
            }
            0x80.. => self.utf8(usize::from(header & 0x7f)),
            _ => Err(PayloadError::Corrupt("unknown masked ID form")),
        }
    }

    fn masked_name(&mut self) -> Result<String, PayloadError> {
        let header = self.byte()?;
        let has_last = header & 0x20 != 0;
        let mut name = String::new();
        match header >> 6 {
            0 => {
                name.push(self.utf8_char()?);
                let seps = self.byte()?;
                for _ in 0..seps {
                    let b = self.byte()?;
                    if b >> 6 == 0 {
                        return Err(PayloadError::Corrupt("unknown separator"));
                    }
                    name.extend(std::iter::repeat_n(MASK, usize::from(b & 0x3f)));
                    name.push(middle_char(b >> 6));
                }
                let tail = self.byte()?;
                name.extend(std::iter::repeat_n(MASK, usize::from(tail)));
            }
            1 => {
                name.push(self.utf8_char()?);
                let len = usize::from(self.byte()?);
                let packed = self.take(len.div_ceil(4))?;
                name.extend((0..len).map(|i| middle_char(packed[i / 4] >> (6 - 2 * (i % 4)) & 3)));
            }
            2 => {
                let len = usize::from(self.byte()?);
                return self.utf8(len);
            }
            _ => return Err(PayloadError::Corrupt("unknown name form")),
        }
        if has_last {
            name.push(self.utf8_char()?);
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

    #[test]
    fn names_round_trip_in_the_expected_form() {
        // (masked name, form in the header's top bits)
        let cases = [
            // Runs cost count + one byte per separator + final run; 2-bit costs length + m/4.
            ("张", 1),
            ("张*", 0),
            ("李*民", 0),
            ("欧**娜", 0),
            ("买**·*力", 1),
            ("J*** ****h", 0),
            ("M*********-********r", 0),
            ("A-*", 1),
            ("𠀀*𠀁", 0),
            // Many one-letter words: the 2-bit form is shorter.
            ("A * * * * * * * * * * * * * * * * * * * * * * *Z", 1),
            // Not of the masked shape (an unmasked name, a bullet not normalised): stored raw.
            ("张三丰", 2),
            ("*三", 2),
            ("", 2),
            ("买买提•艾力", 2),
        ];
        for (name, form) in cases {
            let p = sample(name, "2022110101");
            let bytes = encode(&p).unwrap();
            assert_eq!(decode(&bytes), Ok(p.clone()), "{name:?}");
            let mut r = Reader { bytes: &bytes, pos: 0 };
            r.varint().unwrap();
            r.byte().unwrap();
            r.zigzag().unwrap();
            r.varint().unwrap();
            r.packed_str().unwrap();
            r.packed_str().unwrap();
            r.masked_id().unwrap();
            assert_eq!(bytes[r.pos] >> 6, form, "{name:?}");
        }
    }

    #[test]
    fn strings_and_ids_round_trip() {
        let student_nos = ["", "0", "0042", "20221101010203040506", "2022A1101", "S2022-110_1./x", "学2022", &"9".repeat(63)];
        let ids = ["*****8746", "*****874X", "*****", "*****A1", "8746", "*****8746X", "*****87x6", "****·8746"];
        for (no, id) in student_nos.iter().zip(ids.iter().cycle()) {
            let mut p = sample("张*", no);
            p.masked_id = (*id).into();
            assert_eq!(decode(&encode(&p).unwrap()), Ok(p.clone()), "{no:?} {id:?}");
        }
        for id in ids {
            let mut p = sample("张*", "1");
            p.masked_id = id.into();
            assert_eq!(decode(&encode(&p).unwrap()).map(|d| d.masked_id), Ok(id.to_string()));
        }
    }

    #[test]
    fn numbers_and_dates_round_trip_at_their_limits() {
        let dates = [(2000, 1, 1), (2026, 6, 30), (2044, 11, 9), (2199, 12, 31)];
        for (serial, cohort) in [(0, 2026), (u64::MAX, 1949), (1 << 63, 2100), (127, i32::MAX), (128, i32::MIN)] {
            for (y, m, d) in dates {
                let mut p = sample("李*民", "2022110101");
                p.serial = serial;
                p.cohort = cohort;
                p.issued_on = NaiveDate::from_ymd_opt(y, m, d).unwrap();
                for level in Level::ALL {
                    p.level = level;
                    assert_eq!(decode(&encode(&p).unwrap()), Ok(p.clone()));
                }
            }
        }
    }

    #[test]
    fn packing_is_compact() {
        // A typical code: 4-digit serial, 10-digit 学号, two-letter name.
        let p = sample("张*", "2022110101");
        // serial 2 · level 1 · cohort 1 · date 2 · 学号 1+5 · school 1+5 · ID 1+3 ·
        // name: header 1, 张 3, separator count 1, final run 1
        assert_eq!(encode(&p).unwrap().len(), 2 + 1 + 1 + 2 + 6 + 6 + 4 + 6);
        // 50 Latin letters in one word: the run form takes 5 bytes, not 50.
        let mut long = sample(&format!("M{}n", "*".repeat(48)), "20221101010203040506");
        long.serial = u64::MAX;
        // 20 digits are below 2^67: 9 bytes.
        assert_eq!(encode(&long).unwrap().len(), 10 + 1 + 1 + 2 + (1 + 9) + 6 + 4 + 5);
    }

    #[test]
    fn oversized_fields_are_refused_with_the_field_name() {
        let p = sample("张*", &"1".repeat(64));
        assert_eq!(encode(&p), Err(PayloadError::TooLong { field: "student_no", max: 63 }));
        let mut p = sample("张*", "1");
        p.school_code = "学".repeat(22);
        assert_eq!(encode(&p), Err(PayloadError::TooLong { field: "school_code", max: 63 }));
        let mut p = sample("张*", "1");
        p.issued_on = NaiveDate::from_ymd_opt(1999, 12, 31).unwrap();
        assert_eq!(encode(&p), Err(PayloadError::OutOfRange { field: "issued_on" }));
    }

    #[test]
    fn damaged_bytes_are_errors_not_panics() {
        let good = encode(&sample("买**·*力", "2022A1101")).unwrap();
        for len in 0..good.len() {
            assert!(decode(&good[..len]).is_err(), "prefix of {len} bytes");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(decode(&longer), Err(PayloadError::Corrupt("unexpected bytes after the last field")));
        // Every single-byte value at every position: never a panic.
        for pos in 0..good.len() {
            for v in 0..=255u8 {
                let mut b = good.clone();
                b[pos] = v;
                let _ = decode(&b);
            }
        }
        assert_eq!(decode(&[0xff; 11]), Err(PayloadError::Corrupt("number out of range")));
    }
}
