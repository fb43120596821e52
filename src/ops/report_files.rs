//! The report files `caiji report -o` writes, shared with the console's Reports screen so both
//! write the same file the same way: completion by group as CSV, or as XLSX with one sheet per
//! missing list, and the audit entry of every file written.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Result, bail};

use super::time::format_time;
use crate::domain::mask_id;
use crate::domain::roster::mask_phone;
use crate::domain::search::Missing;
use crate::domain::text::strip_controls;
use crate::export::{self, Cell, FileKind};
use crate::i18n::{Lang, lang, tr};
use crate::store::{
    AuditEntry, GroupBy, GroupCounts, PhotoFileStatus, PhotoFilter, SessionRow, Store,
    StudentFilter, StudentRow,
};

/// What a completion report covers: every group of the cohort, or those of one college.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportScope {
    pub by: GroupBy,
    pub cohort: Option<i32>,
    /// Only the students of this college (the console's drill-down).
    pub college: Option<String>,
}

impl ReportScope {
    /// How the audit entry names the report.
    pub fn describe(&self) -> String {
        let mut text = format!("completion by {:?}", self.by).to_lowercase();
        if let Some(college) = &self.college {
            text.push_str(&format!(" in {}", strip_controls(college)));
        }
        text
    }
}

/// The completion table: headers, one row per group and the total row.
pub fn report_table(by: GroupBy, groups: &[GroupCounts]) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let mut rows: Vec<Vec<Cell>> = groups
        .iter()
        .map(|g| report_cells(group_label(by, &g.group), g))
        .collect();
    let total = total_of(groups);
    rows.push(report_cells(total.group.clone(), &total));
    (report_headers(by), rows)
}

/// Writes the completion report `groups` of `scope` to `path` (`.csv`: the table; `.xlsx`: the
/// table and one sheet per missing list of the same students), then audits the export.
pub async fn export_completion(
    store: &dyn Store,
    operator: &str,
    path: &Path,
    scope: &ReportScope,
    groups: &[GroupCounts],
) -> Result<()> {
    let (headers, rows) = report_table(scope.by, groups);
    match FileKind::of(path) {
        Some(FileKind::Csv) => export::csv::write_table(path, &headers, &rows)?,
        Some(FileKind::Xlsx) => {
            // the summary, then one sheet per missing list, as the office sends it upward
            let filter = StudentFilter {
                cohort: scope.cohort,
                college: scope.college.clone(),
                ..Default::default()
            };
            let students = store.list_students(&filter).await?;
            let details = ListDetails::read(store).await?;
            let lists: Vec<(Missing, Vec<Vec<Cell>>)> = Missing::ALL
                .iter()
                .map(|&k| {
                    (
                        k,
                        students
                            .iter()
                            .filter(|r| is_missing(r, k))
                            .map(|r| missing_cells(r, false, &details))
                            .collect(),
                    )
                })
                .collect();
            let missing_headers = missing_headers(false);
            let mut sheets = vec![export::xlsx::Sheet {
                name: tr("完成情况", "Completion"),
                headers: &headers,
                rows: &rows,
            }];
            for (kind, rows) in &lists {
                sheets.push(export::xlsx::Sheet {
                    name: missing_title(*kind),
                    headers: &missing_headers,
                    rows,
                });
            }
            export::xlsx::write_workbook(path, &sheets)?;
        }
        _ => bail!(
            "{}: {}",
            path.display(),
            tr(
                "请用 .csv 或 .xlsx 作为报表文件的扩展名",
                "use a .csv or .xlsx file name for the report"
            )
        ),
    }
    audit_export(store, operator, "report", path, &scope.describe()).await
}

/// Group names as people read them: level codes become 本科/硕士研究生..., no session becomes a word.
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

pub fn report_headers(by: GroupBy) -> Vec<&'static str> {
    let group = match by {
        GroupBy::College => tr("学院", "college"),
        GroupBy::Class => tr("班级", "class"),
        GroupBy::Counselor => tr("辅导员", "counselor"),
        GroupBy::Session => tr("场次", "session"),
        GroupBy::Level => tr("层次", "level"),
    };
    vec![
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
}

pub fn report_cells(label: String, g: &GroupCounts) -> Vec<Cell> {
    vec![
        Cell::Text(label),
        Cell::Int(g.total),
        Cell::Int(g.code_active),
        Cell::Int(g.session_assigned),
        Cell::Int(g.checked_in),
        Cell::Int(g.photo_valid),
        Cell::Int(g.photo_invalid),
        Cell::Int(g.photo_duplicate),
        Cell::Int(g.photo_missing),
        Cell::Percent(g.completion()),
    ]
}

/// The sum of all groups, as the last line of tables and files.
pub fn total_of(groups: &[GroupCounts]) -> GroupCounts {
    let mut t = GroupCounts {
        group: tr("合计", "total").to_string(),
        ..Default::default()
    };
    for g in groups {
        t.total += g.total;
        t.code_active += g.code_active;
        t.session_assigned += g.session_assigned;
        t.checked_in += g.checked_in;
        t.photo_valid += g.photo_valid;
        t.photo_invalid += g.photo_invalid;
        t.photo_duplicate += g.photo_duplicate;
        t.photo_missing += g.photo_missing;
    }
    t
}

pub fn is_missing(row: &StudentRow, kind: Missing) -> bool {
    kind.applies(&row.progress())
}

pub fn missing_title(kind: Missing) -> &'static str {
    match kind {
        Missing::Code => tr("未发码", "No code"),
        Missing::Session => tr("未排场次", "No session"),
        Missing::Checkin => tr("未签到", "Not checked in"),
        Missing::Photo => tr("缺合格照片", "No valid photo"),
    }
}

/// What a student list says about each student besides the roster (docs/console.md): their
/// session's time and place, their shot number and what is wrong with their photo files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListDetails {
    sessions: HashMap<i64, SessionRow>,
    /// Student id → (session, shot) of the check-in that counts for them (docs/sessions.md).
    shots: HashMap<i64, (i64, i32)>,
    /// 学号 → what their photo files need, in the operator's language.
    photos: HashMap<String, String>,
}

impl ListDetails {
    /// Reads the sessions, check-ins and photo files once for a whole list.
    pub async fn read(store: &dyn Store) -> Result<ListDetails> {
        let sessions = store
            .list_sessions()
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        // The check-in that counts; a student with none that counts (rows written by hand
        // around the program) shows their latest.
        let keys = store.photo_match_keys().await?;
        let mut shots: HashMap<i64, (i64, i32)> = HashMap::new();
        for (session, shot, student) in keys.shots {
            let shot = i32::try_from(shot).unwrap_or(i32::MAX);
            let entry = shots.entry(student).or_insert((session, shot));
            if session > entry.0 {
                *entry = (session, shot);
            }
        }
        for (student, (session, shot)) in keys.counting {
            shots.insert(student, (session, i32::try_from(shot).unwrap_or(i32::MAX)));
        }
        let mut files: HashMap<String, Vec<crate::store::PhotoRow>> = HashMap::new();
        for row in store.list_photos(&PhotoFilter::default()).await? {
            if let Some(no) = row.student_no.clone() {
                files.entry(no).or_default().push(row);
            }
        }
        let photos = files
            .into_iter()
            .map(|(no, rows)| (no, photo_problems(&rows)))
            .filter(|(_, text)| !text.is_empty())
            .collect();
        Ok(ListDetails {
            sessions,
            shots,
            photos,
        })
    }
}

/// What a student's photo files need, in words: several files to choose from, and each
/// problem found (once, however many files have it). Empty when one valid file is all there is.
pub fn photo_problems(rows: &[crate::store::PhotoRow]) -> String {
    let lang = lang();
    let mut parts: Vec<String> = Vec::new();
    let duplicates = rows
        .iter()
        .filter(|r| r.status == PhotoFileStatus::Duplicate)
        .count();
    if duplicates > 1 {
        parts.push(match lang {
            Lang::Zh => format!("{duplicates} 个文件，需选定一张"),
            Lang::En => format!("{duplicates} files, choose one"),
        });
    }
    if rows.iter().any(|r| r.status == PhotoFileStatus::Valid) {
        return parts.join(tr("；", "; "));
    }
    for r in rows {
        for p in &r.problems {
            let text = p.message(lang);
            if !parts.contains(&text) {
                parts.push(text);
            }
        }
    }
    parts.join(tr("；", "; "))
}

pub fn missing_headers(reveal: bool) -> Vec<&'static str> {
    vec![
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
}

pub fn missing_cells(r: &StudentRow, reveal: bool, details: &ListDetails) -> Vec<Cell> {
    let s = &r.student;
    let text = |v: &str| Cell::Text(strip_controls(v).into_owned());
    let blank = || Cell::Text(String::new());
    let session = r.session_id.and_then(|id| details.sessions.get(&id));
    let shot = details.shots.get(&r.id).map(|&(_, shot)| shot);
    vec![
        text(&s.student_no),
        text(&s.name),
        text(&if reveal {
            s.id_number.clone()
        } else {
            mask_id(&s.id_number)
        }),
        text(&s.college),
        text(&s.major),
        text(&s.class),
        text(&s.counselor),
        text(&s.phone.as_deref().map(mask_phone).unwrap_or_default()),
        text(status_text(r.code_status.code())),
        r.session_id.map(Cell::Int).unwrap_or_else(blank),
        session
            .map(|s| {
                text(&format!(
                    "{}-{}",
                    format_time(s.starts_at),
                    crate::clock::format_local(s.ends_at, "%H:%M")
                ))
            })
            .unwrap_or_else(blank),
        session.map(|s| text(&s.location)).unwrap_or_else(blank),
        text(if r.checked_in {
            tr("是", "yes")
        } else {
            tr("否", "no")
        }),
        shot.map(Cell::from).unwrap_or_else(blank),
        text(status_text(r.photo_status.code())),
        text(details.photos.get(&s.student_no).map_or("", String::as_str)),
    ]
}

/// Writes a list of students (one sheet in XLSX), as `caiji report missing -o` and the
/// console's Students export do: the same headers and cells, so both files read alike.
pub fn write_student_list(
    path: &Path,
    title: &str,
    headers: &[&str],
    rows: &[Vec<Cell>],
) -> Result<()> {
    match FileKind::of(path) {
        Some(FileKind::Csv) => export::csv::write_table(path, headers, rows)?,
        Some(FileKind::Xlsx) => export::xlsx::write_table(path, title, headers, rows)?,
        _ => bail!(
            "{}: {}",
            path.display(),
            tr(
                "请用 .csv 或 .xlsx 作为名单文件的扩展名",
                "use a .csv or .xlsx file name for the list"
            )
        ),
    }
    Ok(())
}

/// What the console's Students screen exports: the students shown, in the order shown, with
/// the reason each is on the list. `what` names the filters and search in the audit entry.
pub async fn export_student_list(
    store: &dyn Store,
    operator: &str,
    path: &Path,
    students: &[StudentRow],
    what: &str,
) -> Result<()> {
    let details = ListDetails::read(store).await?;
    let headers = missing_headers(false);
    let rows: Vec<Vec<Cell>> = students
        .iter()
        .map(|r| missing_cells(r, false, &details))
        .collect();
    write_student_list(path, tr("学生名单", "Students"), &headers, &rows)?;
    audit_export(
        store,
        operator,
        "export",
        path,
        &format!("students list ({what}): {} students", students.len()),
    )
    .await
}

/// The audit entry of a file written: who wrote what where.
pub async fn audit_export(
    store: &dyn Store,
    operator: &str,
    action: &str,
    path: &Path,
    what: &str,
) -> Result<()> {
    store
        .audit(&AuditEntry {
            operator: operator.to_string(),
            action: action.into(),
            student_no: None,
            detail: format!("{what} → {}", path.display()),
        })
        .await?;
    Ok(())
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
