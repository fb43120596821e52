//! Byte-level building blocks of the payload: varints, numbers in a small alphabet, a reader.

use super::payload::PayloadError;

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn put_zigzag(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// `radix^n`, if it fits a `u128`.
fn radix_power(radix: u128, n: usize) -> Option<u128> {
    (0..n).try_fold(1u128, |acc, _| acc.checked_mul(radix))
}

/// How many symbols one `u128` chunk holds.
fn chunk_len(radix: u128) -> usize {
    (1..)
        .take_while(|&n| radix_power(radix, n).is_some())
        .last()
        .unwrap_or(1)
}

/// Bytes needed for any value below `radix^n`.
fn chunk_bytes(radix: u128, n: usize) -> usize {
    let max = radix_power(radix, n).map_or(u128::MAX, |p| p - 1);
    (128 - max.leading_zeros() as usize).div_ceil(8)
}

/// Writes symbols (each `< radix`) as big-endian numbers, one `u128` chunk at a time.
pub(super) fn put_radix(out: &mut Vec<u8>, symbols: &[u8], radix: u128) {
    for chunk in symbols.chunks(chunk_len(radix)) {
        let value = chunk
            .iter()
            .fold(0u128, |acc, &s| acc * radix + u128::from(s));
        let n = chunk_bytes(radix, chunk.len());
        out.extend_from_slice(&value.to_be_bytes()[16 - n..]);
    }
}

pub(super) fn symbols_in(s: &str, alphabet: &[u8]) -> Option<Vec<u8>> {
    s.bytes()
        .map(|b| alphabet.iter().position(|&a| a == b).map(|i| i as u8))
        .collect()
}

pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl Reader<'_> {
    pub(super) fn byte(&mut self) -> Result<u8, PayloadError> {
        let b = *self
            .bytes
            .get(self.pos)
            .ok_or(PayloadError::Corrupt("payload ends early"))?;
        self.pos += 1;
        Ok(b)
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&[u8], PayloadError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(PayloadError::Corrupt("payload ends early"))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub(crate) fn varint(&mut self) -> Result<u64, PayloadError> {
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

    pub(super) fn zigzag(&mut self) -> Result<i64, PayloadError> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    pub(super) fn radix(&mut self, n: usize, alphabet: &[u8]) -> Result<String, PayloadError> {
        let radix = alphabet.len() as u128;
        let mut symbols = Vec::with_capacity(n);
        let mut left = n;
        while left > 0 {
            let k = left.min(chunk_len(radix));
            let mut value = self
                .take(chunk_bytes(radix, k))?
                .iter()
                .fold(0u128, |acc, &b| acc << 8 | u128::from(b));
            if radix_power(radix, k).is_some_and(|limit| value >= limit) {
                return Err(PayloadError::Corrupt("packed text out of range"));
            }
            let start = symbols.len();
            for _ in 0..k {
                symbols.push(alphabet[(value % radix) as usize]);
                value /= radix;
            }
            symbols[start..].reverse();
            left -= k;
        }
        Ok(symbols.into_iter().map(char::from).collect())
    }

    pub(super) fn utf8(&mut self, n: usize) -> Result<String, PayloadError> {
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| PayloadError::Corrupt("text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_their_byte_boundaries() {
        // (value, encoded length)
        let cases = [
            (0, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            ((1 << 28) - 1, 4),
            (1 << 28, 5),
            (u64::MAX, 10),
        ];
        for (value, len) in cases {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(out.len(), len, "{value}");
            assert_eq!(
                Reader {
                    bytes: &out,
                    pos: 0
                }
                .varint(),
                Ok(value)
            );
        }
        for value in [0, 1, -1, 63, -64, 64, i64::MAX, i64::MIN] {
            let mut out = Vec::new();
            put_zigzag(&mut out, value);
            assert_eq!(
                Reader {
                    bytes: &out,
                    pos: 0
                }
                .zigzag(),
                Ok(value)
            );
        }
        let mut r = Reader {
            bytes: &[0xff; 11],
            pos: 0,
        };
        assert_eq!(
            r.varint(),
            Err(PayloadError::Corrupt("number out of range"))
        );
        let mut r = Reader {
            bytes: &[0x80, 0x80],
            pos: 0,
        };
        assert_eq!(r.varint(), Err(PayloadError::Corrupt("payload ends early")));
    }

    #[test]
    fn radix_packing_round_trips_across_chunks() {
        const DIGITS: &[u8] = b"0123456789";
        // 38 digits fill one u128 chunk; 39 and 80 need more.
        assert_eq!(chunk_len(10), 38);
        for n in [0, 1, 19, 20, 38, 39, 63, 80] {
            let text: String = (0..n)
                .map(|i| char::from(b'0' + (i * 7 % 10) as u8))
                .collect();
            let nines = "9".repeat(n);
            for s in [text, nines] {
                let mut out = Vec::new();
                put_radix(&mut out, &symbols_in(&s, DIGITS).unwrap(), 10);
                let mut r = Reader {
                    bytes: &out,
                    pos: 0,
                };
                assert_eq!(r.radix(n, DIGITS).as_deref(), Ok(s.as_str()), "{n} digits");
                assert_eq!(r.pos, out.len());
            }
        }
        // A value no string of that length produces: 3 digits in 10 bits, 1000..1023.
        let mut r = Reader {
            bytes: &[0x03, 0xe8],
            pos: 0,
        };
        assert_eq!(
            r.radix(3, DIGITS),
            Err(PayloadError::Corrupt("packed text out of range"))
        );
        assert_eq!(symbols_in("12a", DIGITS), None);
    }
}
