//! Identity document numbers: validation and normalisation for every 证件类型 of SPEC §3.
//! (stub: to be written)

use super::student::IdType;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub kind: IdType,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("empty")]
    Empty,
}

impl IdNumber {
    pub fn parse(kind: IdType, raw: &str) -> Result<IdNumber, IdError> {
        if raw.is_empty() { return Err(IdError::Empty); }
        Ok(IdNumber { kind, value: raw.to_string() })
    }
}

/// ISO 7064 MOD 11-2 check character of the first 17 characters of an 18-character number.
pub fn check_char(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(b, w)| (b - b'0') as u32 * w).sum();
    b"10X98765432"[(sum % 11) as usize] as char
}
