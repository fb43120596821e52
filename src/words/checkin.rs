//! The words of a check-in: a scan's status and the reason its answer gives, as both faces
//! show them (docs/sessions.md).

use std::fmt;
use std::path::Path;

use crate::code::KeyringError;
use crate::i18n::{Lang, lang, tr};
use crate::ops::checkin::{Reason, RetakeHint, RetakeReasonError, ScanStatus, SessionName};
use crate::ops::time::format_time;

/// The word for an answer's status, with its mark, as stations show it.
pub fn status_label(status: ScanStatus) -> &'static str {
    match status {
        ScanStatus::CheckedIn => tr("✔ 签到成功", "✔ checked in"),
        ScanStatus::Already => tr("● 已签到过", "● already"),
        ScanStatus::AlreadyElsewhere => tr("● 已在别场签到", "● already elsewhere"),
        ScanStatus::Full => tr("✘ 场次已满", "✘ full"),
        ScanStatus::NotInSession => tr("✘ 不在本场", "✘ not in session"),
        ScanStatus::Revoked => tr("✘ 码已作废", "✘ revoked"),
        ScanStatus::NotRecorded => tr("✘ 未记录", "✘ NOT recorded"),
        ScanStatus::Queued => tr("⧗ 离线暂存", "⧗ queued"),
        ScanStatus::Invalid => tr("✘ 无效", "✘ invalid"),
    }
}

/// How a face takes a refused student as a walk-in and gives a make-up retake reason (the
/// command line's flags, the console's key): added to the answers that call for them.
#[derive(Debug, Clone, Copy)]
pub struct Hints<'a> {
    pub walk_in: &'a str,
    pub retake: &'a str,
}

impl Hints<'static> {
    /// The command line's: its flags.
    pub fn command_line() -> Hints<'static> {
        Hints {
            walk_in: tr(
                "要现场加入（改到本场）请用 --allow-walk-in",
                "run with --allow-walk-in to take them here as walk-ins",
            ),
            retake: tr(
                "如需在本补采场次重拍，请加 --retake-reason 原因",
                "to photograph them again at this make-up session, run with --retake-reason TEXT",
            ),
        }
    }

    /// A sync's: the station that took the scan has moved on, so another must act.
    pub fn sync() -> Hints<'static> {
        Hints {
            walk_in: tr(
                "请到允许现场加入的工位重新扫码",
                "scan again at a station that takes walk-ins",
            ),
            retake: tr(
                "如需重拍，请在补采场次的工位带原因重新扫码",
                "to photograph them again, scan at a make-up session's station with a retake reason",
            ),
        }
    }
}

/// A session as answers name it: `3「上午一场」2026-06-01 09:00 图书馆`.
fn session(s: &SessionName) -> String {
    match &s.known {
        Some(k) => format!(
            "{}「{}」{} {}",
            s.id,
            k.title,
            format_time(k.starts_at),
            k.location
        ),
        None => s.id.to_string(),
    }
}

/// `text`, then `; hint` when the face has one.
fn with_hint(text: String, hint: &str) -> String {
    if hint.is_empty() {
        text
    } else {
        format!("{text}{}{hint}", tr("；", "; "))
    }
}

/// Why codes cannot be verified at this station, for its banner or first line.
pub fn keys_problem(path: &Path, error: &KeyringError) -> String {
    match error {
        KeyringError::NotFound { .. } => no_key_file(path),
        other => format!(
            "{}: {other}",
            tr(
                "无法读取密钥文件，采集码无法验证",
                "cannot read the key file, so codes cannot be verified"
            )
        ),
    }
}

fn no_key_file(path: &Path) -> String {
    match lang() {
        Lang::Zh => format!(
            "本机没有密钥文件 {}，无法验证采集码：请把学校的密钥文件复制到这里（或用 --key-file 指定）后重新开始签到",
            path.display()
        ),
        Lang::En => format!(
            "no key file at {}, so codes cannot be verified: copy the school's key file there (or give --key-file) and start the station again",
            path.display()
        ),
    }
}

/// The reason of an answer, in the user's language, with the face's hints where they apply.
pub fn reason_words(reason: &Reason, hints: &Hints<'_>) -> String {
    let zh = lang() == Lang::Zh;
    match reason {
        Reason::NoKeys {
            path,
            missing: true,
        } => no_key_file(path),
        Reason::NoKeys {
            path,
            missing: false,
        } => match lang() {
            Lang::Zh => format!("无法读取密钥文件 {}，采集码无法验证", path.display()),
            Lang::En => format!(
                "cannot read the key file {}, so codes cannot be verified",
                path.display()
            ),
        },
        Reason::Token { error } => error.to_string(),
        Reason::UnknownCode => tr(
            "未登记的采集码（不是本校签发的，或已被替换）",
            "unknown code (not issued here, or replaced)",
        )
        .to_string(),
        Reason::Revoked { at, reissued_at } => {
            let when = at.map(format_time).unwrap_or_else(|| "?".into());
            let mut text = if zh {
                format!("采集码已于 {when} 作废")
            } else {
                format!("code revoked on {when}")
            };
            if let Some(new) = reissued_at {
                text.push_str(&if zh {
                    format!("；{} 已补发新码，请扫描新码", format_time(*new))
                } else {
                    format!(
                        "; a new code was issued on {}, scan that one",
                        format_time(*new)
                    )
                });
            }
            text
        }
        Reason::RevokedAsOf { as_of } => {
            if zh {
                format!("采集码已作废（截至 {} 的作废名单）", format_time(*as_of))
            } else {
                format!("code revoked (revocation list of {})", format_time(*as_of))
            }
        }
        Reason::Retake { from, old_shot } => {
            let other = session(from);
            if zh {
                format!("补采重拍：场次 {other} 的拍摄号 {old_shot} 改为留档，以本次为准")
            } else {
                format!(
                    "make-up retake: shot {old_shot} of session {other} is kept as history, this one counts"
                )
            }
        }
        Reason::WalkIn { from: Some(from) } => {
            let other = session(from);
            if zh {
                format!("现场加入：已从场次 {other} 改到本场")
            } else {
                format!("walk-in: moved here from session {other}")
            }
        }
        Reason::WalkIn { from: None } => tr(
            "现场加入：原本未安排场次，已安排到本场",
            "walk-in: had no session, now assigned here",
        )
        .to_string(),
        Reason::Already { shot } => {
            if zh {
                format!("已在本场次签到，拍摄号 {shot}")
            } else {
                format!("already checked in at this session as shot {shot}")
            }
        }
        Reason::ScannedHere { name } => {
            if zh {
                format!("本工位已登记过（{name}）")
            } else {
                format!("already scanned at this station ({name})")
            }
        }
        Reason::AlreadyElsewhere { at, shot, retake } => {
            let other = session(at);
            let text = if zh {
                format!("已在场次 {other} 签到，拍摄号 {shot}")
            } else {
                format!("already checked in at session {other}, shot {shot}")
            };
            match retake {
                RetakeHint::Offered => with_hint(text, hints.retake),
                RetakeHint::CountsThisRound => {
                    text + tr(
                        "（在本补采场次开始之后签到，已计入本轮补采，不能再重拍）",
                        " (checked in after this make-up session began, so it already counts for this round: no retake)",
                    )
                }
                RetakeHint::None => text,
            }
        }
        Reason::Full { session, capacity } => {
            if zh {
                format!("场次 {session} 已满（容量 {capacity}）")
            } else {
                format!("session {session} is full (capacity {capacity})")
            }
        }
        Reason::NotInSession { theirs: Some(s) } => {
            let other = session(s);
            with_hint(
                if zh {
                    format!("应参加场次 {other}")
                } else {
                    format!("belongs to session {other}")
                },
                hints.walk_in,
            )
        }
        Reason::NotInSession { theirs: None } => with_hint(
            tr("未安排任何场次", "has no session").to_string(),
            hints.walk_in,
        ),
        Reason::NotOnListAsOf { as_of } => with_hint(
            if zh {
                format!("不在本场名单上（截至 {}）", format_time(*as_of))
            } else {
                format!("not on this session's list (as of {})", format_time(*as_of))
            },
            hints.walk_in,
        ),
        Reason::Withdrawn => tr(
            "该学生已退出名单",
            "the student has withdrawn from the roster",
        )
        .to_string(),
        Reason::UnknownStudent => tr(
            "采集码对应的学生不在名单中",
            "the code's student is not on the roster",
        )
        .to_string(),
        Reason::NoSuchSession { session } => {
            if zh {
                format!("场次 {session} 已不存在")
            } else {
                format!("session {session} no longer exists")
            }
        }
        Reason::Queued => tr(
            "服务器暂时连不上：已记入本机日志，恢复后自动上传",
            "the server cannot be reached: kept in this station's journal, sent when it is back",
        )
        .to_string(),
        Reason::NotTakenWhenSent => tr(
            "上传时未签到，可重新扫码",
            "not taken when sent; scan again",
        )
        .to_string(),
        Reason::Said(text) => text.clone(),
    }
}

impl fmt::Display for RetakeReasonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RetakeReasonError::Empty { what } => match lang() {
                Lang::Zh => write!(f, "{what} 不能为空：请写明重拍原因（记入审计日志）"),
                Lang::En => write!(
                    f,
                    "{what} must not be empty: say why the student is photographed again (it goes into the audit log)"
                ),
            },
            RetakeReasonError::TooLong(too_long) => too_long.fmt(f),
        }
    }
}

impl fmt::Display for crate::ops::station::StationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::ops::station::{FileStep, StationError};
        let zh = lang() == Lang::Zh;
        match self {
            StationError::BadLetter { given } if zh => write!(
                f,
                "工位字母 '{given}' 必须是一个英文字母（A–Z），例如 --letter B"
            ),
            StationError::BadLetter { given } => write!(
                f,
                "the station letter '{given}' must be one letter A–Z, e.g. --letter B"
            ),
            StationError::JournalDamaged { path, line } if zh => write!(
                f,
                "工位日志 {} 第 {line} 行已损坏（其后还有完好的记录）：请勿删除，把它移到别处保存并联系管理员；移走后工位会新建日志",
                path.display()
            ),
            StationError::JournalDamaged { path, line } => write!(
                f,
                "the station journal {} is damaged at line {line} (good records follow it): do not delete it; move it aside, keep it and tell the administrator; the station then starts a new journal",
                path.display()
            ),
            StationError::JournalBusy { path, session } if zh => write!(
                f,
                "本机另一个签到工位正在使用场次 {session} 的日志 {}：一台机器上同一场次只开一个工位",
                path.display()
            ),
            StationError::JournalBusy { path, session } => write!(
                f,
                "another station on this machine is using the journal of session {session} ({}): run one station per session on a machine",
                path.display()
            ),
            StationError::File {
                path,
                doing,
                source,
            } => {
                let what = match (doing, zh) {
                    (FileStep::CreateFolder, true) => "无法创建工位文件夹",
                    (FileStep::CreateFolder, false) => "cannot create the station folder",
                    (FileStep::OpenJournal, true) => "无法打开工位日志",
                    (FileStep::OpenJournal, false) => "cannot open the station journal",
                    (FileStep::LockJournal, true) => "无法锁定工位日志",
                    (FileStep::LockJournal, false) => "cannot lock the station journal",
                    (FileStep::ReadJournal, true) => "无法读取工位日志",
                    (FileStep::ReadJournal, false) => "cannot read the station journal",
                    (FileStep::RepairJournal, true) => "无法修复工位日志",
                    (FileStep::RepairJournal, false) => "cannot repair the station journal",
                    (FileStep::WriteJournal, true) => "无法写入工位日志",
                    (FileStep::WriteJournal, false) => "cannot write the station journal",
                    (FileStep::ReadCache, true) => "无法读取工位缓存",
                    (FileStep::ReadCache, false) => "cannot read the station cache",
                };
                write!(f, "{what} {}: {source}", path.display())
            }
            StationError::CacheDamaged { path, .. } if zh => write!(
                f,
                "工位缓存 {} 已损坏：请删除它，并在服务器可连接时启动一次工位",
                path.display()
            ),
            StationError::CacheDamaged { path, .. } => write!(
                f,
                "{} is damaged; delete it and start the station once while the server answers",
                path.display()
            ),
            StationError::CacheNotWritten(e) => e.fmt(f),
            StationError::NoNonce(e) if zh => write!(f, "无法从 /dev/urandom 取得随机数：{e}"),
            StationError::NoNonce(e) => {
                write!(f, "cannot draw a random nonce from /dev/urandom: {e}")
            }
            StationError::Store(e) => e.fmt(f),
        }
    }
}
