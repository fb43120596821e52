//! Collection-code tokens: `CJ1:` + base45 of
//! `version u8 · key id u16 BE · body length u8 · serial varint · salt (4) · ciphertext · tag (16)`.
//!
//! AES-256-GCM seals the packed [`CodePayload`] (all of it but the serial). Everything before the
//! ciphertext is the header and is bound as associated data, so changing any of it fails
//! authentication like a changed ciphertext. The body length (ciphertext + tag) lets a code cut
//! short by whole base45 groups be reported as truncated rather than as forged.
//!
//! Size: docs/token.md wants every code in a version-5 QR code at ECC M, which holds 122 alphanumeric
//! characters, i.e. 78 bytes after the prefix. A 12-byte random nonce would leave too little for
//! long names, so the 96-bit GCM nonce is `serial (8 bytes, big-endian) ‖ salt (4 random bytes)`
//! and only the salt is sent besides the serial, which the code shows in the clear anyway. The
//! serial is unique per database, and the salt keeps nonces apart even where two databases share
//! a key file (a demo next to the real roster, a restored backup): a nonce would repeat only if
//! the same serial were sealed twice with the same key *and* the same 32 random bits.
//! A reprinted code is therefore a different token with the same content.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, Generate, Nonce, Payload};

use super::base45::{self, Base45Error};
use super::keyring::Keyring;
use super::pack::{Reader, put_varint};
use super::payload::{self, CodePayload, PayloadError};

/// What every token starts with; the digit is the token format version.
pub const PREFIX: &str = "CJ1:";
pub const TOKEN_VERSION: u8 = 1;
/// Alphanumeric characters a version-5 QR code holds at ECC M (docs/token.md size budget).
pub const MAX_TOKEN_CHARS: usize = 122;

const SALT_LEN: usize = 4;
const TAG_LEN: usize = 16;

/// A freshly sealed code: the text to print or draw, and the key it was sealed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedToken {
    pub text: String,
    pub key_id: u16,
}

/// Why a code could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    Payload(#[from] PayloadError),
    /// The token would exceed what a version-5 QR code holds at ECC M.
    TooLarge {
        chars: usize,
        max: usize,
    },
    /// The keyring's current key is missing or the cipher refused (not expected in practice).
    Seal,
}

/// Why a scanned or typed text is not a valid collection code. Each variant has its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VerifyError {
    Empty,
    /// Does not start with `CJ1:` (a URL, a student card, another system's code).
    NotACode,
    /// A caiji code of a format this program does not know (a newer caiji issued it).
    UnsupportedVersion {
        version: u32,
    },
    /// A character outside the QR alphanumeric set; `position` is 1-based in the trimmed input.
    BadCharacter {
        position: usize,
        found: char,
    },
    /// Cut short: fewer characters than the code declares.
    Truncated,
    /// Character groups no genuine code contains, or characters beyond the declared end.
    Damaged,
    /// Sealed with a key id this keyring does not hold.
    UnknownKey {
        key_id: u16,
        known: Vec<u16>,
    },
    /// Authentication failed: altered, or sealed by another school's key with the same id.
    AuthenticationFailed,
    /// Authentic but unreadable content (only a newer or broken issuer could produce it).
    CorruptPayload,
    /// A station slate (for the camera), not a student's code.
    Slate,
}

/// Seals `payload` with the keyring's current key.
pub fn issue(payload: &CodePayload, keyring: &Keyring) -> Result<IssuedToken, IssueError> {
    let plaintext = payload::encode(payload)?;
    seal(&plaintext, payload.serial, keyring)
}

/// What a sealed token carries: a student's collection code, or a station slate
/// (docs/slate.md). Each kind has its own prefix and its own key derived from the key file, and
/// shares the header, the encryption and the checks below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Code,
    Slate,
}

impl Kind {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Kind::Code => PREFIX,
            Kind::Slate => super::slate::PREFIX,
        }
    }

    fn cipher(self, keyring: &Keyring, id: u16) -> Option<Aes256Gcm> {
        match self {
            Kind::Code => keyring.cipher(id),
            Kind::Slate => keyring.slate_cipher(id),
        }
    }
}

/// Seals packed payload bytes under `serial` with the keyring's current key. Only [`issue`]
/// seals real payloads; the fuzz targets seal arbitrary bytes to reach the payload decoder.
#[doc(hidden)]
pub fn seal(plaintext: &[u8], serial: u64, keyring: &Keyring) -> Result<IssuedToken, IssueError> {
    seal_kind(Kind::Code, plaintext, serial, keyring)
}

/// [`seal`] for either kind of token.
pub(crate) fn seal_kind(
    kind: Kind,
    plaintext: &[u8],
    serial: u64,
    keyring: &Keyring,
) -> Result<IssuedToken, IssueError> {
    let key_id = keyring.current_id();
    let salt = <[u8; SALT_LEN]>::generate();
    let mut header = vec![TOKEN_VERSION];
    header.extend_from_slice(&key_id.to_be_bytes());
    // Checked below: a token within budget has a body far shorter than 256 bytes.
    header.push((plaintext.len() + TAG_LEN).min(255) as u8);
    put_varint(&mut header, serial);
    header.extend_from_slice(&salt);
    let chars = kind.prefix().len() + base45::encoded_len(header.len() + plaintext.len() + TAG_LEN);
    if chars > MAX_TOKEN_CHARS {
        return Err(IssueError::TooLarge {
            chars,
            max: MAX_TOKEN_CHARS,
        });
    }
    let cipher = kind.cipher(keyring, key_id).ok_or(IssueError::Seal)?;
    let nonce = nonce_for(serial, salt);
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &header,
            },
        )
        .map_err(|_| IssueError::Seal)?;
    let mut bytes = header;
    bytes.extend_from_slice(&sealed);
    Ok(IssuedToken {
        text: format!("{}{}", kind.prefix(), base45::encode(&bytes)),
        key_id,
    })
}

fn nonce_for(serial: u64, salt: [u8; SALT_LEN]) -> Nonce<Aes256Gcm> {
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&serial.to_be_bytes());
    nonce[8..].copy_from_slice(&salt);
    Nonce::<Aes256Gcm>::from(nonce)
}

/// The token header, as read before anything is decrypted.
struct Header {
    len: usize,
    key_id: u16,
    body_len: usize,
    serial: u64,
    salt: [u8; SALT_LEN],
}

impl Header {
    /// `Truncated` when the bytes end inside the header.
    fn parse(bytes: &[u8]) -> Result<Header, VerifyError> {
        let mut r = Reader { bytes, pos: 0 };
        let version = r.byte().map_err(|_| VerifyError::Truncated)?;
        if version != TOKEN_VERSION {
            return Err(VerifyError::UnsupportedVersion {
                version: u32::from(version),
            });
        }
        let (hi, lo, body_len) = match bytes.get(1..4) {
            Some(&[hi, lo, len]) => (hi, lo, usize::from(len)),
            _ => return Err(VerifyError::Truncated),
        };
        r.pos = 4;
        let serial = r.varint().map_err(|_| {
            if r.pos >= bytes.len() {
                VerifyError::Truncated
            } else {
                VerifyError::Damaged
            }
        })?;
        let salt = bytes
            .get(r.pos..r.pos + SALT_LEN)
            .ok_or(VerifyError::Truncated)?;
        let salt: [u8; SALT_LEN] = salt.try_into().map_err(|_| VerifyError::Truncated)?;
        Ok(Header {
            len: r.pos + SALT_LEN,
            key_id: u16::from_be_bytes([hi, lo]),
            body_len,
            serial,
            salt,
        })
    }
}

/// What scanners and people hand us, made comparable: surrounding whitespace (a keyboard-wedge
/// scanner's Enter, a pasted newline) removed and letters upper-cased (Caps Lock, typing).
pub fn normalize_input(text: &str) -> String {
    text.trim().to_uppercase()
}

/// Checks a token against the keyring and returns its content. Revocation is the store's
/// business: wrap the result in a [`VerifyOutcome`].
pub fn verify(token_text: &str, keyring: &Keyring) -> Result<CodePayload, VerifyError> {
    let (serial, plaintext) = open(Kind::Code, token_text, keyring)?;
    payload::decode(&plaintext, serial).map_err(|_| VerifyError::CorruptPayload)
}

/// Opens a token of `kind`: the serial from its header and the decrypted payload bytes.
pub(crate) fn open(
    kind: Kind,
    token_text: &str,
    keyring: &Keyring,
) -> Result<(u64, Vec<u8>), VerifyError> {
    let text = normalize_input(token_text);
    if text.is_empty() {
        return Err(VerifyError::Empty);
    }
    let prefix = kind.prefix();
    let body = match text.strip_prefix(prefix) {
        Some(body) => body,
        None if kind == Kind::Code && text.starts_with(super::slate::PREFIX) => {
            return Err(VerifyError::Slate);
        }
        // Slates have one format so far: anything else is not a slate.
        None if kind == Kind::Slate => return Err(VerifyError::NotACode),
        None => {
            return Err(
                other_prefix_version(&text).map_or(VerifyError::NotACode, |version| {
                    VerifyError::UnsupportedVersion { version }
                }),
            );
        }
    };
    let bytes = base45::decode(body).map_err(|e| match e {
        Base45Error::InvalidCharacter { position, found } => VerifyError::BadCharacter {
            position: prefix.chars().count() + position + 1,
            found,
        },
        // A broken final group is a character lost or one too many: the declared length says which.
        Base45Error::DanglingChunk { position } => judge_broken_end(&body[..position]),
        Base45Error::Overflow { position } if position + 3 > body.len() => {
            judge_broken_end(&body[..position])
        }
        Base45Error::Overflow { .. } => VerifyError::Damaged,
    })?;
    let header = Header::parse(&bytes)?;
    if header.body_len < TAG_LEN {
        return Err(VerifyError::Damaged);
    }
    let sealed = &bytes[header.len..];
    match sealed.len().cmp(&header.body_len) {
        std::cmp::Ordering::Less => return Err(VerifyError::Truncated),
        std::cmp::Ordering::Greater => return Err(VerifyError::Damaged),
        std::cmp::Ordering::Equal => {}
    }
    let cipher = kind
        .cipher(keyring, header.key_id)
        .ok_or_else(|| VerifyError::UnknownKey {
            key_id: header.key_id,
            known: keyring.list().iter().map(|k| k.id).collect(),
        })?;
    let nonce = nonce_for(header.serial, header.salt);
    let plaintext = cipher
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: &bytes[..header.len],
            },
        )
        .map_err(|_| VerifyError::AuthenticationFailed)?;
    Ok((header.serial, plaintext))
}

/// For a body whose last group is broken: `Damaged` if the groups before it already hold all the
/// bytes the header declares (so the broken group is extra), otherwise `Truncated`.
fn judge_broken_end(complete_groups: &str) -> VerifyError {
    let Ok(bytes) = base45::decode(complete_groups) else {
        return VerifyError::Damaged;
    };
    match Header::parse(&bytes) {
        Ok(h) if bytes.len() >= h.len + h.body_len => VerifyError::Damaged,
        Ok(_) | Err(VerifyError::Truncated) => VerifyError::Truncated,
        Err(other) => other,
    }
}

/// `CJ<n>:` with another number `n`: a caiji code of another format version.
fn other_prefix_version(text: &str) -> Option<u32> {
    let rest = text.strip_prefix("CJ")?;
    let (digits, _) = rest.split_once(':')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether the store was asked about the code's serial, and what it said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// Verified with the key file alone (no database): authentic, revocation unknown.
    NotChecked,
    Active,
    /// Revoked on `revoked_on`; `replacement_issued_on` is the date of the code that replaced it.
    Revoked {
        revoked_on: chrono::NaiveDate,
        replacement_issued_on: Option<chrono::NaiveDate>,
    },
    /// Authentic, but the database has no code with this serial (another database, a restore).
    UnknownSerial,
}

/// An authentic code together with what the store knows about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOutcome {
    pub payload: CodePayload,
    pub revocation: Revocation,
}

impl VerifyOutcome {
    /// Verified with the key file only.
    pub fn offline(payload: CodePayload) -> VerifyOutcome {
        VerifyOutcome {
            payload,
            revocation: Revocation::NotChecked,
        }
    }

    /// Usable for check-in: authentic and not known to be revoked or foreign to the database.
    pub fn is_valid(&self) -> bool {
        matches!(self.revocation, Revocation::NotChecked | Revocation::Active)
    }

    /// The `status` key of `codes verify --format json`: `active`, `revoked` or `unknown`.
    pub fn status(&self) -> &'static str {
        match self.revocation {
            Revocation::Active => "active",
            Revocation::Revoked { .. } => "revoked",
            Revocation::NotChecked | Revocation::UnknownSerial => "unknown",
        }
    }

    pub fn revocation_checked(&self) -> bool {
        self.revocation != Revocation::NotChecked
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::Level;

    fn keyring_in(dir: &tempfile::TempDir) -> Keyring {
        Keyring::generate(&dir.path().join("caiji.keys")).unwrap()
    }

    fn payload(serial: u64, masked_name: &str) -> CodePayload {
        CodePayload {
            serial,
            student_no: "2022110101".into(),
            masked_name: masked_name.into(),
            masked_id: "*****002X".into(),
            school_code: "4111010001".into(),
            level: Level::Master,
            cohort: 2026,
            issued_on: NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
        }
    }

    /// Found by the `token` fuzz target: a sealed payload whose masked name starts with a space
    /// in the compact run form decoded to " " and 128 `*`, which caiji would have to write in
    /// the raw form, far beyond a code's size. Payloads in any form but caiji's own are refused.
    #[test]
    fn only_payloads_in_caijis_own_form_verify() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        let plaintext = [
            0x4b, 0x0c, 0x2f, 0x0f, 0x89, 0x30, 0x78, 0x0a, 0x00, 0xf1, 0xd8, 0x3d, 0, 0, 0, 0, 0,
            0x20, 0x80,
        ];
        let sealed = seal(&plaintext, 7, &ring).unwrap();
        assert_eq!(
            verify(&sealed.text, &ring),
            Err(VerifyError::CorruptPayload)
        );
        // A Han first letter written as UTF-8 instead of caiji's two-byte form.
        let own = payload::encode(&payload(8, "张*")).unwrap();
        let mut other = own.clone();
        let at = other.len() - 4; // the name's header byte, the two bytes of 张, one run of `*`
        assert_eq!(
            other[at] & (1 << 4),
            1 << 4,
            "the first letter is flagged as Han"
        );
        other[at] &= !(1 << 4);
        other.splice(at + 1..at + 3, "张".bytes());
        assert_eq!(payload::decode(&own, 8).unwrap().masked_name, "张*");
        assert_eq!(
            verify(&seal(&other, 8, &ring).unwrap().text, &ring),
            Err(VerifyError::CorruptPayload)
        );
        assert_eq!(
            verify(&seal(&own, 8, &ring).unwrap().text, &ring)
                .unwrap()
                .masked_name,
            "张*"
        );
    }

    #[test]
    fn issued_tokens_verify_and_use_the_qr_alphabet() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        for p in [
            payload(1, "张*"),
            payload(987_654, "买**·*力"),
            payload(u64::MAX, "J*** ****h"),
        ] {
            let token = issue(&p, &ring).unwrap();
            assert_eq!(token.key_id, 1);
            assert!(token.text.starts_with(PREFIX), "{}", token.text);
            assert!(base45::is_alphabet(&token.text), "{}", token.text);
            assert!(token.text.len() <= MAX_TOKEN_CHARS);
            assert_eq!(verify(&token.text, &ring), Ok(p.clone()));
            // Random nonces: the same content seals to a different token each time.
            assert_ne!(issue(&p, &ring).unwrap().text, token.text);
        }
    }

    #[test]
    fn every_single_character_change_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        for p in [
            payload(7, "李*民"),
            payload(123_456_789, "M*********-********r"),
        ] {
            let token = issue(&p, &ring).unwrap().text;
            let chars: Vec<char> = token.chars().collect();
            for pos in 0..chars.len() {
                for &sub in base45::ALPHABET {
                    let sub = char::from(sub);
                    if sub == chars[pos] {
                        continue;
                    }
                    let mut changed = chars.clone();
                    changed[pos] = sub;
                    let changed: String = changed.into_iter().collect();
                    assert!(
                        verify(&changed, &ring).is_err(),
                        "accepted {changed} (position {pos})"
                    );
                }
            }
        }
    }

    #[test]
    fn truncation_and_extra_characters_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        // Bodies of both parities (whole groups only, and a final two-character group).
        let mut parities = std::collections::BTreeSet::new();
        for name in ["欧**娜", "张*", "张"] {
            let token = issue(&payload(42, name), &ring).unwrap().text;
            parities.insert((token.len() - PREFIX.len()) % 3);
            for cut in 1..=token.len() - PREFIX.len() {
                let short = &token[..token.len() - cut];
                assert_eq!(verify(short, &ring), Err(VerifyError::Truncated), "{short}");
            }
            for extra in ["0", "00", "000", "0000", "ZZ", ":::"] {
                let long = format!("{token}{extra}");
                assert_eq!(verify(&long, &ring), Err(VerifyError::Damaged), "{long}");
            }
        }
        assert_eq!(parities.into_iter().collect::<Vec<_>>(), vec![0, 2]);
    }

    #[test]
    fn input_errors_have_their_own_variants() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        let token = issue(&payload(42, "张*"), &ring).unwrap().text;
        let body = &token[PREFIX.len()..];
        let cases: Vec<(String, VerifyError)> = vec![
            ("".into(), VerifyError::Empty),
            (" \r\n".into(), VerifyError::Empty),
            ("https://example.edu/code".into(), VerifyError::NotACode),
            ("2022110101".into(), VerifyError::NotACode),
            (format!("CJ{body}"), VerifyError::NotACode),
            (format!("XJ1:{body}"), VerifyError::NotACode),
            (
                format!("CJ2:{body}"),
                VerifyError::UnsupportedVersion { version: 2 },
            ),
            (
                format!("CJ10:{body}"),
                VerifyError::UnsupportedVersion { version: 10 },
            ),
            (
                format!("CJ1:{}_{}", &body[..3], &body[3..]),
                VerifyError::BadCharacter {
                    position: 8,
                    found: '_',
                },
            ),
            (
                format!("CJ1:{}é", &body[..6]),
                VerifyError::BadCharacter {
                    position: 11,
                    found: 'É',
                },
            ),
            ("CJ1:".into(), VerifyError::Truncated),
            // 65535 in the first group is fine base45 but not a version-1 header.
            (
                format!("CJ1:FGW{}", &body[3..]),
                VerifyError::UnsupportedVersion { version: 255 },
            ),
            (format!("CJ1:GGW{}", &body[3..]), VerifyError::Damaged),
        ];
        for (input, want) in cases {
            assert_eq!(verify(&input, &ring), Err(want), "{input:?}");
        }
    }

    #[test]
    fn scanner_input_is_trimmed_and_upper_cased() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        let p = payload(5, "欧**娜");
        let token = issue(&p, &ring).unwrap().text;
        for input in [
            format!("  {}\r\n", token.to_lowercase()),
            format!("\t{token}\n"),
            token.to_lowercase(),
        ] {
            assert_eq!(verify(&input, &ring), Ok(p.clone()), "{input:?}");
        }
    }

    #[test]
    fn foreign_and_unknown_keys_are_told_apart() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let ours = keyring_in(&a);
        let theirs = keyring_in(&b);
        let token = issue(&payload(9, "张*"), &theirs).unwrap().text;
        // Same key id 1, different key: authentication fails.
        assert_eq!(
            verify(&token, &ours),
            Err(VerifyError::AuthenticationFailed)
        );

        let c = tempfile::tempdir().unwrap();
        let mut rotated = keyring_in(&c);
        rotated.rotate().unwrap();
        let newer = issue(&payload(10, "张*"), &rotated).unwrap();
        assert_eq!(newer.key_id, 2);
        let err = verify(&newer.text, &ours).unwrap_err();
        assert_eq!(
            err,
            VerifyError::UnknownKey {
                key_id: 2,
                known: vec![1]
            }
        );
        let en = format!("{err}");
        assert!(
            en.contains('2') && (en.contains("rotate") || en.contains("密钥")),
            "{en}"
        );
    }

    #[test]
    fn rotation_keeps_old_codes_valid_and_seals_new_ones_with_the_new_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut ring = keyring_in(&dir);
        let stale = ring.clone();
        let old = issue(&payload(1, "李*民"), &ring).unwrap();
        assert_eq!(old.key_id, 1);
        ring.rotate().unwrap();
        let new = issue(&payload(2, "李*民"), &ring).unwrap();
        assert_eq!(new.key_id, 2);
        let reloaded = Keyring::load(ring.path()).unwrap();
        assert_eq!(verify(&old.text, &reloaded).map(|p| p.serial), Ok(1));
        assert_eq!(verify(&new.text, &reloaded).map(|p| p.serial), Ok(2));
        assert!(matches!(
            verify(&new.text, &stale),
            Err(VerifyError::UnknownKey { key_id: 2, .. })
        ));
    }

    #[test]
    fn oversized_content_is_refused_before_sealing() {
        let dir = tempfile::tempdir().unwrap();
        let ring = keyring_in(&dir);
        let mut p = payload(1, "张*");
        p.student_no = "学".repeat(20);
        assert!(matches!(
            issue(&p, &ring),
            Err(IssueError::TooLarge {
                max: MAX_TOKEN_CHARS,
                ..
            })
        ));
        // An unmasked long name does not fit either; it must never silently grow the QR code.
        let p = payload(1, &"Abcdefghij".repeat(5));
        assert!(matches!(issue(&p, &ring), Err(IssueError::TooLarge { .. })));
    }

    #[test]
    fn every_error_message_is_distinct() {
        let errors = [
            VerifyError::Empty,
            VerifyError::NotACode,
            VerifyError::UnsupportedVersion { version: 2 },
            VerifyError::BadCharacter {
                position: 3,
                found: '_',
            },
            VerifyError::Truncated,
            VerifyError::Damaged,
            VerifyError::UnknownKey {
                key_id: 3,
                known: vec![1, 2],
            },
            VerifyError::AuthenticationFailed,
            VerifyError::CorruptPayload,
            VerifyError::Slate,
        ];
        let messages: std::collections::BTreeSet<String> =
            errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), errors.len());
    }

    #[test]
    fn outcome_reports_status_for_json() {
        let p = payload(1, "张*");
        let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        let cases = [
            (Revocation::NotChecked, true, "unknown", false),
            (Revocation::Active, true, "active", true),
            (
                Revocation::Revoked {
                    revoked_on: day(2),
                    replacement_issued_on: Some(day(3)),
                },
                false,
                "revoked",
                true,
            ),
            (Revocation::UnknownSerial, false, "unknown", true),
        ];
        for (revocation, valid, status, checked) in cases {
            let o = VerifyOutcome {
                payload: p.clone(),
                revocation,
            };
            assert_eq!(
                (o.is_valid(), o.status(), o.revocation_checked()),
                (valid, status, checked),
                "{revocation:?}"
            );
            assert_eq!(o.message().is_none(), revocation == Revocation::Active);
        }
        let revoked = VerifyOutcome {
            payload: p,
            revocation: Revocation::Revoked {
                revoked_on: day(2),
                replacement_issued_on: Some(day(3)),
            },
        };
        assert!(revoked.message().unwrap().contains("2026-05-03"));
        assert_eq!(
            VerifyOutcome::offline(payload(1, "张*")).revocation,
            Revocation::NotChecked
        );
    }
}
