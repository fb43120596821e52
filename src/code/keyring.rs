//! The keyring: the AES-256 keys that seal collection codes, in one small text file.
//!
//! ```text
//! caiji-keyring 1
//! key 1 2026-05-01 <64 hex digits>
//! key 2 2026-09-01 <64 hex digits> current
//! ```
//!
//! Several keys by id, exactly one current (used to issue); older keys stay to verify the codes
//! they sealed. The format is our own rather than TOML so that no parser error can ever quote a
//! line of the file back (with a key in it) into a message or a log.
//!
//! The file is written to a temporary file created `0600` and renamed into place, so it is never
//! seen half-written or with wider permissions; a group- or world-accessible file is refused on
//! load, as ssh refuses such private keys.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Generate, Key, KeyInit};
use chrono::NaiveDate;

/// Suggested file name inside the data directory.
pub const FILE_NAME: &str = "caiji.keys";

const MAGIC: &str = "caiji-keyring";
const FORMAT_VERSION: u32 = 1;
const HEADER_COMMENT: &str = "\
# caiji keyring: the AES-256 keys that seal collection codes (采集码).
# Keep it secret (mode 0600) and keep an offline backup: without it no issued code can be
# verified, and anyone holding it can forge codes. It never goes into the database or an export.
";

/// A 256-bit key. Its bytes leave this module only as an AES cipher; Debug never shows them.
#[derive(Clone)]
struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[derive(Debug, Clone)]
struct KeyEntry {
    id: u16,
    created: NaiveDate,
    secret: SecretKey,
}

/// What `caiji key list` shows about a key: never its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    pub id: u16,
    pub created: NaiveDate,
    pub current: bool,
}

/// The keys of one school, as read from (and written back to) one key file.
#[derive(Debug, Clone)]
pub struct Keyring {
    path: PathBuf,
    keys: Vec<KeyEntry>,
    current: u16,
}

/// Everything that can go wrong with the key file. Messages name the file and say what to do;
/// none of them ever contains key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    NotFound {
        path: PathBuf,
    },
    AlreadyExists {
        path: PathBuf,
    },
    Permissions {
        path: PathBuf,
        mode: u32,
    },
    NotAFile {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        writing: bool,
        source: io::Error,
    },
    Parse {
        path: PathBuf,
        line: usize,
        zh: &'static str,
        en: &'static str,
    },
    NewerFormat {
        path: PathBuf,
        version: String,
    },
    IdsExhausted {
        path: PathBuf,
    },
    /// The path cannot take a key file (a link, a folder); the message names it.
    Output(crate::files::OutputError),
}

impl Keyring {
    /// Reads the key file, refusing one that group or others may read or write.
    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        let read_err = |source: io::Error| KeyringError::Io {
            path: path.to_path_buf(),
            writing: false,
            source,
        };
        // a regular file only, and never waiting on a FIFO (`crate::files::open_input`)
        let mut file = match crate::files::open_input(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(KeyringError::NotFound {
                    path: path.to_path_buf(),
                });
            }
            Err(e) if crate::files::NotRegular::of(&e).is_some() => {
                return Err(KeyringError::NotAFile {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(read_err(e)),
        };
        let meta = file.metadata().map_err(read_err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o7777;
            if mode & 0o077 != 0 {
                return Err(KeyringError::Permissions {
                    path: path.to_path_buf(),
                    mode,
                });
            }
        }
        let mut text = String::new();
        file.read_to_string(&mut text).map_err(|e| {
            if e.kind() == io::ErrorKind::InvalidData {
                KeyringError::Parse {
                    path: path.to_path_buf(),
                    line: 1,
                    zh: "不是文本文件",
                    en: "the file is not text",
                }
            } else {
                read_err(e)
            }
        })?;
        parse(path, &text)
    }

    /// Creates a new key file with one key (id 1, current). An existing file is never replaced.
    pub fn generate(path: &Path) -> Result<Keyring, KeyringError> {
        Keyring::generate_on(path, today())
    }

    fn generate_on(path: &Path, created: NaiveDate) -> Result<Keyring, KeyringError> {
        if path.exists() {
            return Err(KeyringError::AlreadyExists {
                path: path.to_path_buf(),
            });
        }
        let keyring = Keyring {
            path: path.to_path_buf(),
            keys: vec![KeyEntry {
                id: 1,
                created,
                secret: fresh_secret(),
            }],
            current: 1,
        };
        write_atomic(path, &keyring.to_text(), true)?;
        Ok(keyring)
    }

    /// Adds a new key and makes it current; older keys stay so their codes still verify.
    /// The file is re-read first, so a key added meanwhile by another console is kept.
    pub fn rotate(&mut self) -> Result<KeyInfo, KeyringError> {
        self.rotate_on(today())
    }

    fn rotate_on(&mut self, created: NaiveDate) -> Result<KeyInfo, KeyringError> {
        let mut fresh = Keyring::load(&self.path)?;
        let id = fresh
            .keys
            .iter()
            .map(|k| k.id)
            .max()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or_else(|| KeyringError::IdsExhausted {
                path: self.path.clone(),
            })?;
        fresh.keys.push(KeyEntry {
            id,
            created,
            secret: fresh_secret(),
        });
        fresh.current = id;
        write_atomic(&fresh.path, &fresh.to_text(), false)?;
        *self = fresh;
        Ok(KeyInfo {
            id,
            created,
            current: true,
        })
    }

    /// Every key, oldest first, without key bytes.
    pub fn list(&self) -> Vec<KeyInfo> {
        self.keys
            .iter()
            .map(|k| KeyInfo {
                id: k.id,
                created: k.created,
                current: k.id == self.current,
            })
            .collect()
    }

    /// The id of the key new codes are sealed with.
    pub fn current_id(&self) -> u16 {
        self.current
    }

    pub fn contains(&self, id: u16) -> bool {
        self.keys.iter().any(|k| k.id == id)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A keyring from key-file text, as [`Keyring::load`] reads it but without the file (`path`
    /// only names it). For the fuzz targets and their fixed test keys.
    #[doc(hidden)]
    pub fn from_text(path: &Path, text: &str) -> Result<Keyring, KeyringError> {
        parse(path, text)
    }

    /// The cipher for key `id`, if this keyring has it.
    pub(crate) fn cipher(&self, id: u16) -> Option<Aes256Gcm> {
        self.keys
            .iter()
            .find(|k| k.id == id)
            .map(|k| Aes256Gcm::new(&Key::<Aes256Gcm>::from(k.secret.0)))
    }

    /// The cipher that seals station slates under key `id`: its own AES key, derived from key
    /// `id` as SHA-256(`caiji station slate v1` ‖ key), so a slate and a collection code never
    /// share a key (and so never a nonce), and neither can be passed off as the other
    /// (docs/slate.md).
    pub(crate) fn slate_cipher(&self, id: u16) -> Option<Aes256Gcm> {
        use sha2::Digest;
        self.keys.iter().find(|k| k.id == id).map(|k| {
            let mut h = sha2::Sha256::new();
            h.update(b"caiji station slate v1");
            h.update(k.secret.0);
            let derived: [u8; 32] = h.finalize().into();
            Aes256Gcm::new(&Key::<Aes256Gcm>::from(derived))
        })
    }

    fn to_text(&self) -> String {
        let mut out = format!("{HEADER_COMMENT}{MAGIC} {FORMAT_VERSION}\n");
        for k in &self.keys {
            let hex: String = k.secret.0.iter().map(|b| format!("{b:02x}")).collect();
            let mark = if k.id == self.current { " current" } else { "" };
            out.push_str(&format!(
                "key {} {} {hex}{mark}\n",
                k.id,
                k.created.format("%Y-%m-%d")
            ));
        }
        out
    }
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

fn fresh_secret() -> SecretKey {
    SecretKey(Key::<Aes256Gcm>::generate().into())
}

fn parse(path: &Path, text: &str) -> Result<Keyring, KeyringError> {
    let bad = |line: usize, zh: &'static str, en: &'static str| KeyringError::Parse {
        path: path.to_path_buf(),
        line,
        zh,
        en,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, header)) if header.split_whitespace().next() == Some(MAGIC) => {
            let version = header.split_whitespace().nth(1).unwrap_or("");
            if version != FORMAT_VERSION.to_string() {
                // Only a plain version number is repeated in the message: anything else in that
                // place (a key pasted onto the first line) must never reach a screen or a log.
                let shown = if !version.is_empty()
                    && version.len() <= 4
                    && version.bytes().all(|b| b.is_ascii_digit())
                {
                    version.to_string()
                } else {
                    "?".to_string()
                };
                return Err(KeyringError::NewerFormat {
                    path: path.to_path_buf(),
                    version: shown,
                });
            }
        }
        Some((n, _)) => {
            return Err(bad(
                n,
                "不是 caiji 密钥文件（应以 caiji-keyring 1 开头）",
                "not a caiji key file (it should start with 'caiji-keyring 1')",
            ));
        }
        None => return Err(bad(1, "文件为空", "the file is empty")),
    }
    let mut keys: Vec<KeyEntry> = Vec::new();
    let mut current = None;
    for (n, line) in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (id, created, hex, is_current) = match fields.as_slice() {
            ["key", id, created, hex] => (id, created, hex, false),
            ["key", id, created, hex, "current"] => (id, created, hex, true),
            _ => {
                return Err(bad(
                    n,
                    "格式应为 key <编号> <日期> <64位十六进制密钥> [current]",
                    "expected 'key <id> <date> <64 hex digits> [current]'",
                ));
            }
        };
        let id: u16 = match id.parse() {
            Ok(id) if id > 0 => id,
            _ => return Err(bad(n, "密钥编号应为 1–65535", "the key id must be 1–65535")),
        };
        let created = NaiveDate::parse_from_str(created, "%Y-%m-%d")
            .map_err(|_| bad(n, "日期应为 YYYY-MM-DD", "the date must be YYYY-MM-DD"))?;
        let secret = parse_hex_key(hex).ok_or_else(|| {
            bad(
                n,
                "密钥应为 64 位十六进制数字",
                "the key must be 64 hex digits",
            )
        })?;
        if keys.iter().any(|k| k.id == id) {
            return Err(bad(n, "密钥编号重复", "this key id appears twice"));
        }
        if is_current {
            if current.is_some() {
                return Err(bad(
                    n,
                    "标记为 current 的密钥不止一个",
                    "more than one key is marked current",
                ));
            }
            current = Some(id);
        }
        keys.push(KeyEntry {
            id,
            created,
            secret,
        });
    }
    let last_line = text.lines().count().max(1);
    if keys.is_empty() {
        return Err(bad(last_line, "文件中没有密钥", "the file holds no key"));
    }
    let current = current.ok_or_else(|| {
        bad(
            last_line,
            "没有标记为 current 的密钥",
            "no key is marked current",
        )
    })?;
    Ok(Keyring {
        path: path.to_path_buf(),
        keys,
        current,
    })
}

fn parse_hex_key(hex: &str) -> Option<SecretKey> {
    let digits = hex.as_bytes();
    if digits.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (out, pair) in key.iter_mut().zip(digits.chunks(2)) {
        let hi = (pair[0] as char).to_digit(16)?;
        let lo = (pair[1] as char).to_digit(16)?;
        *out = (hi * 16 + lo) as u8;
    }
    Some(SecretKey(key))
}

/// Writes the key file through the output helper (`crate::files`): a `0600` temporary file
/// beside `path`, synced and moved into place. With `no_clobber` an existing `path` is never
/// replaced; a link at `path` is never replaced either way.
fn write_atomic(path: &Path, text: &str, no_clobber: bool) -> Result<(), KeyringError> {
    let written = if no_clobber {
        crate::files::write_new(path, text.as_bytes())
    } else {
        crate::files::write(path, text.as_bytes())
    };
    written.map_err(|e| match e {
        crate::files::OutputError::Exists { .. } => KeyringError::AlreadyExists {
            path: path.to_path_buf(),
        },
        crate::files::OutputError::Io { source, .. } => KeyringError::Io {
            path: path.to_path_buf(),
            writing: true,
            source,
        },
        other => KeyringError::Output(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn mode_of(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn generate_creates_0600_file_that_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let made = Keyring::generate_on(&path, date("2026-05-01")).unwrap();
        assert_eq!(mode_of(&path), 0o600);
        let loaded = Keyring::load(&path).unwrap();
        assert_eq!(
            loaded.list(),
            vec![KeyInfo {
                id: 1,
                created: date("2026-05-01"),
                current: true
            }]
        );
        assert_eq!(loaded.current_id(), 1);
        assert_eq!(loaded.keys[0].secret.0, made.keys[0].secret.0);
        // No temporary file is left beside it.
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);
    }

    #[test]
    fn generate_refuses_to_overwrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let first = Keyring::generate(&path).unwrap();
        let err = Keyring::generate(&path).unwrap_err();
        assert!(matches!(err, KeyringError::AlreadyExists { .. }), "{err:?}");
        assert_eq!(
            Keyring::load(&path).unwrap().keys[0].secret.0,
            first.keys[0].secret.0
        );
    }

    #[test]
    fn rotate_adds_current_key_and_keeps_old_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut ring = Keyring::generate_on(&path, date("2026-05-01")).unwrap();
        let old = ring.keys[0].secret.0;
        let info = ring.rotate_on(date("2026-09-01")).unwrap();
        assert_eq!(
            info,
            KeyInfo {
                id: 2,
                created: date("2026-09-01"),
                current: true
            }
        );
        let loaded = Keyring::load(&path).unwrap();
        assert_eq!(
            loaded.list(),
            vec![
                KeyInfo {
                    id: 1,
                    created: date("2026-05-01"),
                    current: false
                },
                KeyInfo {
                    id: 2,
                    created: date("2026-09-01"),
                    current: true
                },
            ]
        );
        assert_eq!(loaded.keys[0].secret.0, old);
        assert_ne!(loaded.keys[1].secret.0, old);
        assert_eq!(mode_of(&path), 0o600);
    }

    #[test]
    fn rotate_keeps_a_key_added_by_another_console() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let mut stale = Keyring::generate(&path).unwrap();
        Keyring::load(&path).unwrap().rotate().unwrap();
        assert_eq!(stale.rotate().unwrap().id, 3);
        assert_eq!(
            Keyring::load(&path)
                .unwrap()
                .list()
                .iter()
                .map(|k| k.id)
                .collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    }

    #[test]
    fn group_or_world_access_is_refused_like_ssh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        Keyring::generate(&path).unwrap();
        for mode in [0o644, 0o640, 0o604, 0o660, 0o602] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            let err = Keyring::load(&path).unwrap_err();
            assert!(
                matches!(err, KeyringError::Permissions { mode: m, .. } if m == mode),
                "{mode:o}: {err:?}"
            );
            let msg = err.to_string();
            assert!(msg.contains(&format!("{mode:04o}")), "{msg}");
            assert!(
                msg.contains(&format!("chmod 600 {}", path.display())),
                "{msg}"
            );
        }
        for mode in [0o600, 0o400] {
            fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
            assert!(Keyring::load(&path).is_ok(), "{mode:o}");
        }
    }

    #[test]
    fn missing_file_and_directory_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("absent.keys");
        let err = Keyring::load(&path).unwrap_err();
        assert!(matches!(err, KeyringError::NotFound { .. }));
        assert!(err.to_string().contains("caiji key generate"), "{err}");
        assert!(matches!(
            Keyring::load(dir.path()).unwrap_err(),
            KeyringError::NotAFile { .. }
        ));
    }

    #[test]
    fn key_bytes_never_appear_in_debug_or_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let ring = Keyring::generate(&path).unwrap();
        let hex: String = ring.keys[0]
            .secret
            .0
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let debug = format!("{ring:?} {:?}", ring.list());
        assert!(!debug.contains(&hex[..16]), "{debug}");
        let as_array = format!("{:?}", &ring.keys[0].secret.0[..6]);
        assert!(!debug.contains(as_array.trim_end_matches(']')), "{debug}");
        assert!(debug.contains("<redacted>"), "{debug}");
        // A damaged key line is reported by line number only.
        let text = fs::read_to_string(&path)
            .unwrap()
            .replace(&hex, &format!("{}zz", &hex[..62]));
        fs::write(&path, &text).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        let err = Keyring::load(&path).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&hex[..16]), "{shown}");
        assert!(
            matches!(err, KeyringError::Parse { line: 5, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn malformed_files_name_the_line_and_problem() {
        let k = "ab".repeat(32);
        let cases: Vec<(String, usize, &str)> = vec![
            (String::new(), 1, "empty"),
            ("hello\n".into(), 1, "not a caiji key file"),
            (
                format!("caiji-keyring 1\nkey 1 2026-05-01 {k}\n"),
                2,
                "no key is marked current",
            ),
            (
                format!("caiji-keyring 1\nkey 0 2026-05-01 {k} current\n"),
                2,
                "1–65535",
            ),
            (
                format!("caiji-keyring 1\nkey 70000 2026-05-01 {k} current\n"),
                2,
                "1–65535",
            ),
            (
                format!("caiji-keyring 1\nkey 1 2026-13-01 {k} current\n"),
                2,
                "YYYY-MM-DD",
            ),
            (
                format!("caiji-keyring 1\nkey 1 2026-05-01 {} current\n", &k[..60]),
                2,
                "64 hex",
            ),
            (
                format!(
                    "caiji-keyring 1\n# old\nkey 1 2026-05-01 {k} current\nkey 1 2026-05-02 {k}\n"
                ),
                4,
                "twice",
            ),
            (
                format!(
                    "caiji-keyring 1\nkey 1 2026-05-01 {k} current\nkey 2 2026-05-02 {k} current\n"
                ),
                3,
                "more than one",
            ),
            (
                format!("caiji-keyring 1\nkey 1 2026-05-01 {k} newest\n"),
                2,
                "expected 'key",
            ),
            ("caiji-keyring 1\n".into(), 1, "holds no key"),
        ];
        let path = Path::new("/keys/test.keys");
        for (text, line, needle) in cases {
            let err = parse(path, &text).unwrap_err();
            match &err {
                KeyringError::Parse { line: l, en, .. } => {
                    assert_eq!(*l, line, "{text:?}");
                    assert!(en.contains(needle), "{text:?}: {en}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let err = parse(path, "caiji-keyring 2\n").unwrap_err();
        assert!(
            matches!(err, KeyringError::NewerFormat { ref version, .. } if version == "2"),
            "{err:?}"
        );
    }

    /// Found by the `keyring` fuzz target: the word after `caiji-keyring` was quoted (its first
    /// ten characters) in the "newer format" message, so a key pasted onto the first line would
    /// have been shown in part. Only a plain version number is quoted now.
    #[test]
    fn the_format_version_is_quoted_only_when_it_is_a_number() {
        let path = Path::new("caiji.keys");
        let key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        for header in [
            format!("caiji-keyring {key}"),
            "caiji-keyring eϛ͜f1eϛ̝͜˗".to_string(),
            "caiji-keyring 12345".to_string(),
        ] {
            let err = parse(path, &format!("{header}\n")).unwrap_err();
            assert!(
                matches!(err, KeyringError::NewerFormat { ref version, .. } if version == "?"),
                "{err:?}"
            );
            let chars: Vec<char> = header.split_whitespace().nth(1).unwrap().chars().collect();
            let message = err.to_string();
            assert!(
                chars
                    .windows(4)
                    .all(|w| !message.contains(&w.iter().collect::<String>())),
                "{message}"
            );
        }
    }
}
