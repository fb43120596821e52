//! Collection codes' errors and verdicts in words (docs/token.md).

use std::fmt;

use crate::code::keyring::KeyringError;
use crate::code::payload::PayloadError;
use crate::code::token::{IssueError, Revocation, VerifyError, VerifyOutcome};
use crate::i18n::{Lang, lang, tr};

impl fmt::Display for KeyringError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            KeyringError::NotFound { path } => {
                let p = path.display();
                if zh {
                    write!(
                        f,
                        "密钥文件 {p} 不存在——请运行 `caiji key generate` 创建，或从备份恢复"
                    )
                } else {
                    write!(
                        f,
                        "key file {p} does not exist — run `caiji key generate` to create it, or restore it from its backup"
                    )
                }
            }
            KeyringError::AlreadyExists { path } => {
                let p = path.display();
                if zh {
                    write!(
                        f,
                        "密钥文件 {p} 已存在，拒绝覆盖（已签发的采集码都要靠它验证）——需要新密钥请运行 `caiji key rotate`"
                    )
                } else {
                    write!(
                        f,
                        "key file {p} already exists; refusing to overwrite it (every code issued so far needs it) — run `caiji key rotate` for a new key"
                    )
                }
            }
            KeyringError::Permissions { path, mode } => {
                let p = path.display();
                if zh {
                    write!(
                        f,
                        "密钥文件 {p} 的权限是 {mode:04o}，必须是 0600——请运行 chmod 600 {p}"
                    )
                } else {
                    write!(
                        f,
                        "key file {p} has permissions {mode:04o}; they must be 0600 — run chmod 600 {p}"
                    )
                }
            }
            KeyringError::NotAFile { path } => {
                let p = path.display();
                if zh {
                    write!(f, "{p} 不是普通文件，不能作为密钥文件")
                } else {
                    write!(f, "{p} is not a regular file and cannot be a key file")
                }
            }
            KeyringError::Io {
                path,
                writing,
                source,
            } => {
                let p = path.display();
                match (zh, writing) {
                    (true, false) => write!(f, "无法读取密钥文件 {p}：{source}"),
                    (true, true) => write!(
                        f,
                        "无法写入密钥文件 {p}：{source}——请检查目录权限和磁盘空间"
                    ),
                    (false, false) => write!(f, "cannot read key file {p}: {source}"),
                    (false, true) => write!(
                        f,
                        "cannot write key file {p}: {source} — check the folder's permissions and free space"
                    ),
                }
            }
            KeyringError::Parse {
                path,
                line,
                zh: z,
                en,
            } => {
                let p = path.display();
                if zh {
                    write!(f, "密钥文件 {p} 第 {line} 行：{z}——请从备份恢复该文件")
                } else {
                    write!(
                        f,
                        "key file {p}, line {line}: {en} — restore the file from its backup"
                    )
                }
            }
            KeyringError::NewerFormat { path, version } => {
                let p = path.display();
                if zh {
                    write!(
                        f,
                        "密钥文件 {p} 的格式版本 {version} 比本程序新——请升级 caiji"
                    )
                } else {
                    write!(
                        f,
                        "key file {p} has format version {version}, newer than this caiji understands — upgrade caiji"
                    )
                }
            }
            KeyringError::IdsExhausted { path } => {
                let p = path.display();
                if zh {
                    write!(f, "密钥文件 {p} 的密钥编号已用尽（最大 65535）")
                } else {
                    write!(f, "key file {p} has used every key id (up to 65535)")
                }
            }
            KeyringError::Output(e) => write!(f, "{e}"),
        }
    }
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, lang()) {
            (IssueError::Payload(PayloadError::TooLong { field, max }), Lang::Zh) => {
                write!(f, "{field} 太长，无法放入采集码（最多 {max} 字节）")
            }
            (IssueError::Payload(e), Lang::Zh) => write!(f, "采集码内容无效：{e}"),
            (IssueError::Payload(e), Lang::En) => write!(f, "{e}"),
            (IssueError::TooLarge { chars, max }, Lang::Zh) => write!(
                f,
                "采集码将有 {chars} 个字符，超出 5 版二维码的容量（最多 {max} 个）——学号、学校代码或脱敏姓名含有过多特殊字符，请核对名单"
            ),
            (IssueError::TooLarge { chars, max }, Lang::En) => write!(
                f,
                "the code would be {chars} characters, more than a version-5 QR code holds ({max}) — the 学号, school code or masked name has too many unusual characters; check the roster"
            ),
            (IssueError::Seal, _) => f.write_str(tr(
                "无法用当前密钥加密采集码——请检查密钥文件",
                "cannot seal the code with the current key — check the key file",
            )),
        }
    }
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
            VerifyError::Slate => f.write_str(tr(
                "这是工位拍摄牌（给相机拍的），不是学生的采集码——请扫描学生手机或纸上的采集码",
                "this is a station slate (for the camera), not a student's collection code — scan the code on the student's phone or paper",
            )),
        }
    }
}

impl VerifyOutcome {
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

impl fmt::Display for crate::ops::keys::KeyCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::ops::keys::KeyCheckError;
        match self {
            KeyCheckError::Store(e) => e.fmt(f),
            KeyCheckError::Mismatch {
                path,
                key_id,
                serial,
            } => match lang() {
                Lang::Zh => write!(
                    f,
                    "密钥文件 {} 与本数据库不符：用密钥 {key_id} 签发的采集码（编号 {serial}）无法用它验证——它被替换或换成了别的密钥；未签发任何采集码。请从备份恢复本校的密钥文件",
                    path.display()
                ),
                Lang::En => write!(
                    f,
                    "the key file {} does not belong to this database: the codes sealed with key {key_id} (serial {serial}) do not verify with it — it was replaced or holds another key; nothing was issued. Restore the school's key file from its backup",
                    path.display()
                ),
            },
        }
    }
}

impl fmt::Display for crate::ops::codes::CodeOpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::ops::codes::CodeOpError;
        match self {
            CodeOpError::Keys(e) => e.fmt(f),
            CodeOpError::Store(e) => e.fmt(f),
        }
    }
}
