//! Collection-code tokens: `CJ1:` + base45 of
//! `version u8 · key id u16 BE · body length u8 · nonce (12) · ciphertext + tag (16)`.
//!
//! AES-256-GCM seals the packed [`CodePayload`]; the four header bytes are its associated data,
//! so a changed version, key id or length fails authentication like a changed ciphertext. The
//! length byte is there so that a code cut short by whole base45 groups is reported as truncated
//! rather than as forged. Nonces are random: a reprinted code is a different token with the same
//! content, and no nonce is ever reused with a key even if a student's masked name changes.

use std::fmt;

use aes_gcm::aead::{Aead, Generate, Nonce, Payload};
use aes_gcm::Aes256Gcm;

use super::base45::{self, Base45Error};
use super::keyring::Keyring;
use super::payload::{self, CodePayload, PayloadError};
use crate::i18n::{Lang, lang, tr};

/// What every token starts with; the digit is the token format version.
pub const PREFIX: &str = "CJ1:";
pub const TOKEN_VERSION: u8 = 1;
/// QR version 5 at ECC M holds 154 alphanumeric characters (SPEC §5 size budget).
pub const MAX_TOKEN_CHARS: usize = 154;

const HEADER_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// The largest packed payload whose token stays within [`MAX_TOKEN_CHARS`].
pub const MAX_PLAINTEXT: usize = (MAX_TOKEN_CHARS - PREFIX.len()) / 3 * 2 - HEADER_LEN - NONCE_LEN - TAG_LEN;

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
    /// The packed content exceeds what a version-5 QR code can hold.
    TooLarge { bytes: usize, max: usize },
    /// The keyring's current key is missing or the cipher refused (not expected in practice).
    Seal,
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, lang()) {
            (IssueError::Payload(e @ PayloadError::TooLong { field, max }), Lang::Zh) => {
                let _ = e;
                write!(f, "{field} 太长，无法放入采集码（最多 {max} 个字符）")
            }
            (IssueError::Payload(e), Lang::Zh) => write!(f, "采集码内容无效：{e}"),
            (IssueError::Payload(e), Lang::En) => write!(f, "{e}"),
            (IssueError::TooLarge { bytes, max }, Lang::Zh) => write!(
                f,
                "采集码内容 {bytes} 字节，超出二维码容量（最多 {max} 字节）——学号、学校代码或脱敏姓名含有过多特殊字符，请核对名单"
            ),
            (IssueError::TooLarge { bytes, max }, Lang::En) => write!(
                f,
                "the code's content is {bytes} bytes, more than a version-5 QR code holds ({max}) — the 学号, school code or masked name has too many unusual characters; check the roster"
            ),
            (IssueError::Seal, _) => f.write_str(tr("无法用当前密钥加密采集码——请检查密钥文件", "cannot seal the code with the current key — check the key file")),
        }
    }
}

/// Why a scanned or typed text is not a valid collection code. Each variant has its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    Empty,
    /// Does not start with `CJ1:` (a URL, a student card, another system's code).
    NotACode,
    /// A caiji code of a format this program does not know (a newer caiji issued it).
    UnsupportedVersion { version: u32 },
    /// A character outside the QR alphanumeric set; `position` is 1-based in the trimmed input.
    BadCharacter { position: usize, found: char },
    /// Cut short: fewer characters than the code declares.
    Truncated,
    /// Character groups no genuine code contains, or characters beyond the declared end.
    Damaged,
    /// Sealed with a key id this keyring does not hold.
    UnknownKey { key_id: u16, known: Vec<u16> },
    /// Authentication failed: altered, or sealed by another school's key with the same id.
    AuthenticationFailed,
    /// Authentic but unreadable content (only a newer or broken issuer could produce it).
    CorruptPayload,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            VerifyError::Empty => f.write_str(tr("输入为空——请扫描或粘贴采集码", "nothing to verify — scan or paste a collection code")),
            VerifyError::NotACode => f.write_str(tr(
                "这不是采集码（采集码以 CJ1: 开头）",
                "not a caiji collection code (collection codes start with CJ1:)",
            )),
            VerifyError::UnsupportedVersion { version } if zh => {
                write!(f, "采集码格式版本 {version} 不受支持——它可能由更新版本的 caiji 签发，请升级")
            }
            VerifyError::UnsupportedVersion { version } => {
                write!(f, "collection code format version {version} is not supported — a newer caiji issued it; upgrade caiji")
            }
            VerifyError::BadCharacter { position, found } if zh => write!(
                f,
                "采集码第 {position} 个字符 {found:?} 无效（采集码只含大写字母、数字和 空格$%*+-./:）——请重新扫描"
            ),
            VerifyError::BadCharacter { position, found } => write!(
                f,
                "character {found:?} at position {position} cannot occur in a collection code (only A–Z, 0–9 and space$%*+-./:) — scan it again"
            ),
            VerifyError::Truncated => f.write_str(tr(
                "采集码不完整（被截断）——请重新扫描完整的码",
                "the collection code is incomplete (cut short) — scan the whole code again",
            )),
            VerifyError::Damaged => f.write_str(tr(
                "采集码已损坏（含有真码不可能出现的字符组合或多余字符）——请重新扫描",
                "the collection code is damaged (character groups no genuine code has, or extra characters) — scan it again",
            )),
            VerifyError::UnknownKey { key_id, known } => {
                let ids = known.iter().map(u16::to_string).collect::<Vec<_>>().join(", ");
                if zh {
                    write!(
                        f,
                        "采集码由密钥 {key_id} 签发，本机密钥文件中没有该密钥（现有：{ids}）——请使用最新的密钥文件；`caiji key rotate` 之后旧密钥必须保留在文件中"
                    )
                } else {
                    write!(
                        f,
                        "the code was sealed with key {key_id}, which is not in this keyring (it holds {ids}) — use the school's current key file; after `caiji key rotate` old keys must stay in it"
                    )
                }
            }
            VerifyError::AuthenticationFailed => f.write_str(tr(
                "采集码验证失败：内容被篡改，或由其他学校（其他密钥）签发",
                "verification failed: the code was altered, or it was issued by another school or with another key",
            )),
            VerifyError::CorruptPayload => f.write_str(tr(
                "采集码可以解密但内容无法解析——它可能由更新版本的 caiji 签发",
                "the code decrypted but its content cannot be read — it may come from a newer caiji",
            )),
        }
    }
}

/// Seals `payload` with the keyring's current key.
pub fn issue(payload: &CodePayload, keyring: &Keyring) -> Result<IssuedToken, IssueError> {
    let plaintext = payload::encode(payload)?;
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(IssueError::TooLarge { bytes: plaintext.len(), max: MAX_PLAINTEXT });
    }
    let key_id = keyring.current_id();
    let cipher = keyring.cipher(key_id).ok_or(IssueError::Seal)?;
    // At most MAX_PLAINTEXT + TAG_LEN bytes, well below 256.
    let body_len = (plaintext.len() + TAG_LEN) as u8;
    let [id_hi, id_lo] = key_id.to_be_bytes();
    let header = [TOKEN_VERSION, id_hi, id_lo, body_len];
    let nonce = Nonce::<Aes256Gcm>::generate();
    let sealed = cipher.encrypt(&nonce, Payload { msg: &plaintext, aad: &header }).map_err(|_| IssueError::Seal)?;
    let mut bytes = Vec::with_capacity(HEADER_LEN + NONCE_LEN + sealed.len());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&sealed);
    Ok(IssuedToken { text: format!("{PREFIX}{}", base45::encode(&bytes)), key_id })
}

/// What scanners and people hand us, made comparable: surrounding whitespace (a keyboard-wedge
/// scanner's Enter, a pasted newline) removed and letters upper-cased (Caps Lock, typing).
pub fn normalize_input(text: &str) -> String {
    text.trim().to_uppercase()
}

/// Checks a token against the keyring and returns its content. Revocation is the store's
/// business: wrap the result in a [`VerifyOutcome`].
pub fn verify(token_text: &str, keyring: &Keyring) -> Result<CodePayload, VerifyError> {
    let text = normalize_input(token_text);
    if text.is_empty() {
        return Err(VerifyError::Empty);
    }
    let body = match text.strip_prefix(PREFIX) {
        Some(body) => body,
        None => return Err(other_prefix_version(&text).map_or(VerifyError::NotACode, |version| VerifyError::UnsupportedVersion { version })),
    };
    let bytes = base45::decode(body).map_err(|e| match e {
        Base45Error::InvalidCharacter { position, found } => {
            VerifyError::BadCharacter { position: PREFIX.chars().count() + position + 1, found }
        }
        Base45Error::DanglingChunk { .. } => VerifyError::Truncated,
        // A two-character final group that overflows is usually the first two characters of a
        // three-character group whose last character was lost.
        Base45Error::Overflow { position } if position + 3 > body.len() => VerifyError::Truncated,
        Base45Error::Overflow { .. } => VerifyError::Damaged,
    })?;
    if bytes.len() < HEADER_LEN {
        return Err(VerifyError::Truncated);
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    if header[0] != TOKEN_VERSION {
        return Err(VerifyError::UnsupportedVersion { version: u32::from(header[0]) });
    }
    let key_id = u16::from_be_bytes([header[1], header[2]]);
    let body_len = usize::from(header[3]);
    if body_len < TAG_LEN {
        return Err(VerifyError::Damaged);
    }
    match rest.len().cmp(&(NONCE_LEN + body_len)) {
        std::cmp::Ordering::Less => return Err(VerifyError::Truncated),
        std::cmp::Ordering::Greater => return Err(VerifyError::Damaged),
        std::cmp::Ordering::Equal => {}
    }
    let cipher = keyring
        .cipher(key_id)
        .ok_or_else(|| VerifyError::UnknownKey { key_id, known: keyring.list().iter().map(|k| k.id).collect() })?;
    let (nonce, sealed) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::<Aes256Gcm>::try_from(nonce).map_err(|_| VerifyError::Truncated)?;
    let plaintext = cipher
        .decrypt(&nonce, Payload { msg: sealed, aad: header })
        .map_err(|_| VerifyError::AuthenticationFailed)?;
    payload::decode(&plaintext).map_err(|_| VerifyError::CorruptPayload)
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
    Revoked { revoked_on: chrono::NaiveDate, replacement_issued_on: Option<chrono::NaiveDate> },
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
        VerifyOutcome { payload, revocation: Revocation::NotChecked }
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

    /// Why the code is not valid, or a note that revocation was not checked; None when active.
    pub fn message(&self) -> Option<String> {
        let zh = lang() == Lang::Zh;
        match self.revocation {
            Revocation::Active => None,
            Revocation::NotChecked => Some(
                tr("采集码真实有效；未连接数据库，未检查是否已作废", "authentic code; revocation was not checked (no database)").to_string(),
            ),
            Revocation::UnknownSerial => Some(
                tr(
                    "采集码真实，但本数据库中没有这个编号——它可能属于另一个数据库",
                    "authentic code, but this database has no code with its serial — it may belong to another database",
                )
                .to_string(),
            ),
            Revocation::Revoked { revoked_on, replacement_issued_on } => Some(match (zh, replacement_issued_on) {
                (true, Some(d)) => format!("采集码已于 {revoked_on} 作废，已于 {d} 补发新码——请使用新码"),
                (true, None) => format!("采集码已于 {revoked_on} 作废，尚未补发新码"),
                (false, Some(d)) => format!("this code was revoked on {revoked_on}; a new code was issued on {d} — use the new code"),
                (false, None) => format!("this code was revoked on {revoked_on}; no replacement has been issued"),
            }),
        }
    }
}
