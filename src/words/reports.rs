//! The words of report files and student lists (docs/reports.md): headings, sheet names, group
//! names and status words, in the interface language, for `ops::report_files`.

use std::fmt;

use crate::domain::search::Missing;
use crate::i18n::{Lang, lang, tr};
use crate::ops::report_files::{FileError, FileWords, PhotoNeeds};
use crate::store::GroupBy;

/// The report files' words in the interface language.
pub struct Words;

impl FileWords for Words {
    fn completion_headers(&self, by: GroupBy) -> Vec<String> {
        let group = match by {
            GroupBy::College => tr("学院", "college"),
            GroupBy::Class => tr("班级", "class"),
            GroupBy::Counselor => tr("辅导员", "counselor"),
            GroupBy::Session => tr("场次", "session"),
            GroupBy::Level => tr("层次", "level"),
        };
        [
            group,
            tr("应采人数", "total"),
            tr("已发码", "code_active"),
            tr("已排场次", "session_assigned"),
            tr("已签到", "checked_in"),
            tr("合格照片", "photo_valid"),
            tr("不合格照片", "photo_invalid"),
            tr("重复待选", "photo_duplicate"),
            tr("缺照片", "photo_missing"),
            tr("完成率", "completion"),
        ]
        .map(String::from)
        .to_vec()
    }

    fn group(&self, by: GroupBy, group: &str) -> String {
        group_label(by, group)
    }

    fn total(&self) -> String {
        total_label().to_string()
    }

    fn completion_sheet(&self) -> String {
        tr("完成情况", "Completion").to_string()
    }

    fn missing_sheet(&self, kind: Missing) -> String {
        missing_title(kind).to_string()
    }

    fn students_sheet(&self) -> String {
        tr("学生名单", "Students").to_string()
    }

    fn list_headers(&self, reveal: bool) -> Vec<String> {
        [
            tr("学号", "student_no"),
            tr("姓名", "name"),
            if reveal {
                tr("证件号码", "id_number")
            } else {
                tr("证件号码(脱敏)", "masked_id")
            },
            tr("学院", "college"),
            tr("专业", "major"),
            tr("班级", "class"),
            tr("辅导员", "counselor"),
            tr("手机(脱敏)", "phone"),
            tr("采集码", "code"),
            tr("场次", "session"),
            tr("场次时间", "session_time"),
            tr("场次地点", "session_location"),
            tr("签到", "checked_in"),
            tr("拍摄号", "shot"),
            tr("照片", "photo"),
            tr("照片问题", "photo_problems"),
        ]
        .map(String::from)
        .to_vec()
    }

    fn status(&self, code: &'static str) -> String {
        status_text(code).to_string()
    }

    fn checked_in(&self, yes: bool) -> String {
        if yes {
            tr("是", "yes")
        } else {
            tr("否", "no")
        }
        .to_string()
    }

    fn photo_needs(&self, needs: &PhotoNeeds) -> String {
        let lang = lang();
        let mut parts: Vec<String> = Vec::new();
        if needs.duplicates > 1 {
            let n = needs.duplicates;
            parts.push(match lang {
                Lang::Zh => format!("{n} 个文件，需选定一张"),
                Lang::En => format!("{n} files, choose one"),
            });
        }
        for p in &needs.problems {
            let text = p.message(lang);
            if !parts.contains(&text) {
                parts.push(text);
            }
        }
        parts.join(tr("；", "; "))
    }
}

/// Group names as people read them: level codes become 本科/硕士研究生..., no session becomes a
/// word.
pub fn group_label(by: GroupBy, group: &str) -> String {
    match by {
        GroupBy::Level => crate::domain::Level::parse(group)
            .map(|l| {
                if lang() == Lang::Zh {
                    l.label_zh()
                } else {
                    l.label_en()
                }
                .to_string()
            })
            .unwrap_or_else(|| group.to_string()),
        GroupBy::Session if group.is_empty() => tr("（未安排场次）", "(no session)").to_string(),
        _ => group.to_string(),
    }
}

/// The name of the row that sums all groups.
pub fn total_label() -> &'static str {
    tr("合计", "total")
}

/// The name of a missing list.
pub fn missing_title(kind: Missing) -> &'static str {
    match kind {
        Missing::Code => tr("未发码", "No code"),
        Missing::Session => tr("未排场次", "No session"),
        Missing::Checkin => tr("未签到", "Not checked in"),
        Missing::Photo => tr("缺合格照片", "No valid photo"),
    }
}

/// Chinese words for the status codes; English keeps the codes.
pub fn status_text(code: &'static str) -> &'static str {
    match code {
        "none" => tr("未发放", "none"),
        "active" => tr("有效", "active"),
        "revoked" => tr("已作废", "revoked"),
        "missing" => tr("缺失", "missing"),
        "valid" => tr("合格", "valid"),
        "invalid" => tr("不合格", "invalid"),
        "duplicate" => tr("重复待选", "duplicate"),
        other => other,
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Export(e) => e.fmt(f),
            FileError::Store(e) => e.fmt(f),
            FileError::Extension { path, list } => write!(
                f,
                "{}: {}",
                path.display(),
                match list {
                    true => tr(
                        "请用 .csv 或 .xlsx 作为名单文件的扩展名",
                        "use a .csv or .xlsx file name for the list"
                    ),
                    false => tr(
                        "请用 .csv 或 .xlsx 作为报表文件的扩展名",
                        "use a .csv or .xlsx file name for the report"
                    ),
                }
            ),
        }
    }
}
