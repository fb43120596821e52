//! Base45 (RFC 9285): bytes as text made only of the 45 characters of the QR alphanumeric mode,
//! so a token needs 5.5 bits per character in the QR code instead of 8 in byte mode.
//!
//! Every two bytes `[a, b]` become the number `n = a·256 + b`, written as three base-45 digits
//! `c d e` (least significant first) with `n = c + d·45 + e·45²`; a last odd byte becomes two.

/// The RFC 9285 alphabet; the index of a character is its value.
pub const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Why a text is not valid base45. Positions are 0-based character offsets into the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Base45Error {
    /// A character outside the 45-character alphabet (lower-case letters included).
    #[error("invalid base45 character {found:?} at position {position}")]
    InvalidCharacter { position: usize, found: char },
    /// The text ends with a single character: a chunk needs two or three.
    #[error("base45 text ends with a dangling single character at position {position}")]
    DanglingChunk { position: usize },
    /// A three-character chunk above 65535 or a final two-character chunk above 255.
    #[error("base45 chunk at position {position} is out of range")]
    Overflow { position: usize },
}

/// Length of the base45 text for `len` bytes.
pub const fn encoded_len(len: usize) -> usize {
    len / 2 * 3 + len % 2 * 2
}

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    let mut push = |n: usize| out.push(ALPHABET[n] as char);
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => {
                let n = usize::from(a) * 256 + usize::from(b);
                push(n % 45);
                push(n / 45 % 45);
                push(n / 2025);
            }
            [a] => {
                let n = usize::from(a);
                push(n % 45);
                push(n / 45);
            }
            _ => unreachable!("chunks(2) yields one or two bytes"),
        }
    }
    out
}

fn value_of(position: usize, c: char) -> Result<u32, Base45Error> {
    u8::try_from(c)
        .ok()
        .and_then(|b| ALPHABET.iter().position(|&a| a == b))
        .map(|v| v as u32)
        .ok_or(Base45Error::InvalidCharacter { position, found: c })
}

pub fn decode(text: &str) -> Result<Vec<u8>, Base45Error> {
    // Characters are checked first so that a bad character is reported as such even when the
    // length is also wrong (a truncated scan with garbage is better described by the garbage).
    let values = text
        .chars()
        .enumerate()
        .map(|(i, c)| value_of(i, c))
        .collect::<Result<Vec<u32>, _>>()?;
    let mut out = Vec::with_capacity(values.len() / 3 * 2 + 1);
    for (chunk_no, chunk) in values.chunks(3).enumerate() {
        let position = chunk_no * 3;
        match *chunk {
            [c, d, e] => {
                let n = c + d * 45 + e * 2025;
                let n = u16::try_from(n).map_err(|_| Base45Error::Overflow { position })?;
                out.extend_from_slice(&n.to_be_bytes());
            }
            [c, d] => {
                let n = u8::try_from(c + d * 45).map_err(|_| Base45Error::Overflow { position })?;
                out.push(n);
            }
            _ => return Err(Base45Error::DanglingChunk { position }),
        }
    }
    Ok(out)
}

/// True when every character of `text` is in the base45 (= QR alphanumeric) alphabet.
pub fn is_alphabet(text: &str) -> bool {
    text.bytes().all(|b| ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_9285_vectors_encode_and_decode() {
        let cases: [(&[u8], &str); 6] = [
            (b"AB", "BB8"),
            (b"Hello!!", "%69 VD92EX0"),
            (b"base-45", "UJCLQE7W581"),
            (b"ietf!", "QED8WEX0"),
            (b"", ""),
            (&[0xff, 0xff, 0x00], "FGW00"),
        ];
        for (bytes, text) in cases {
            assert_eq!(encode(bytes), text, "encode {bytes:02x?}");
            assert_eq!(decode(text).as_deref(), Ok(bytes), "decode {text:?}");
            assert_eq!(encoded_len(bytes.len()), text.len());
        }
    }

    #[test]
    fn decode_errors_name_kind_and_position() {
        let cases = [
            // RFC 9285 §6: "GGW" is 65536, one past the largest two-byte value.
            ("GGW", Base45Error::Overflow { position: 0 }),
            ("BB8GGW", Base45Error::Overflow { position: 3 }),
            (":::", Base45Error::Overflow { position: 0 }),
            // A final pair above 255 cannot come from one byte.
            ("BB8::", Base45Error::Overflow { position: 3 }),
            ("BB8A", Base45Error::DanglingChunk { position: 3 }),
            ("A", Base45Error::DanglingChunk { position: 0 }),
            (
                "QED8wEX0",
                Base45Error::InvalidCharacter {
                    position: 4,
                    found: 'w',
                },
            ),
            (
                "BB8=",
                Base45Error::InvalidCharacter {
                    position: 3,
                    found: '=',
                },
            ),
            (
                "张三",
                Base45Error::InvalidCharacter {
                    position: 0,
                    found: '张',
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(decode(text), Err(want), "decode {text:?}");
        }
    }

    #[test]
    fn every_byte_pair_round_trips() {
        // Exhaustive over the two-byte space: any arithmetic slip at a boundary shows up here.
        for n in 0..=u16::MAX {
            let bytes = n.to_be_bytes();
            let text = encode(&bytes);
            assert!(is_alphabet(&text));
            assert_eq!(decode(&text).as_deref(), Ok(&bytes[..]), "value {n}");
        }
        for b in 0..=u8::MAX {
            assert_eq!(decode(&encode(&[b])).as_deref(), Ok(&[b][..]));
        }
    }

    #[test]
    fn alphabet_is_the_qr_alphanumeric_set() {
        assert!(is_alphabet(
            "CJ1:0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./"
        ));
        for bad in ["a", "=", "#", "·", "_"] {
            assert!(!is_alphabet(bad), "{bad:?}");
        }
    }
}
