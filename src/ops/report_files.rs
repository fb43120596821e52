//! The report files `caiji report -o` writes, shared with the console's Reports screen so both
//! write the same file the same way: completion by group as CSV, or as XLSX with one sheet per
//! missing list, and the audit entry of every file written.

use std::collections::HashMap;
use std::path::Path;

use super::time::format_time;
use crate::domain::mask_id;
use crate::domain::photo_spec::Problem;
use crate::domain::roster::mask_phone;
use crate::domain::search::Missing;
use crate::domain::text::strip_controls;
use crate::export::{self, Cell, FileKind};
use crate::store::{
    AuditEntry, GroupBy, GroupCounts, PhotoFileStatus, PhotoFilter, SessionRow, Store,
    StudentFilter, StudentRow,
};

/// The words a report file is written in: its headings, sheet names, group names and status
/// words. The face gives them (`words::reports`), in its user's language (docs/architecture.md,
/// "Words at the edge").
pub trait FileWords: Sync {
    /// The completion table's headings, the first naming the grouping.
    fn completion_headers(&self, by: GroupBy) -> Vec<String>;
    /// A group's name as people read it (a level code as 本科, no session as a word).
    fn group(&self, by: GroupBy, group: &str) -> String;
    /// The name of the total row.
    fn total(&self) -> String;
    /// The name of the completion sheet.
    fn completion_sheet(&self) -> String;
    /// The name of a missing list (its sheet, or the file's one sheet).
    fn missing_sheet(&self, kind: Missing) -> String;
    /// The name of the console's Students export.
    fn students_sheet(&self) -> String;
    /// A student list's headings (`reveal`: the full ID number, else the masked one).
    fn list_headers(&self, reveal: bool) -> Vec<String>;
    /// A code's or photo's status word for its code (`none`, `active`, `valid`, ...).
    fn status(&self, code: &'static str) -> String;
    /// Checked in or not.
    fn checked_in(&self, yes: bool) -> String;
    /// What a student's photo files need.
    fn photo_needs(&self, needs: &PhotoNeeds) -> String;
}

/// Why a report file is not written; the words are in `words::reports`.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The name ends in neither `.csv` nor `.xlsx` (`list`: a student list, else a report).
    Extension {
        path: std::path::PathBuf,
        list: bool,
    },
    /// The file could not be built or written.
    Export(#[from] crate::export::ExportError),
    /// The students, sessions or photos could not be read, or the audit entry written.
    Store(#[from] crate::store::StoreError),
}

type Result<T, E = FileError> = std::result::Result<T, E>;

/// What a student's photo files need: several to choose from, or the problems found (once
/// each) when none is valid. Nothing when one valid file is all there is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotoNeeds {
    /// Files of the student waiting for one to be chosen (shown from two).
    pub duplicates: usize,
    /// Problems of the files, when none is valid.
    pub problems: Vec<Problem>,
}

impl PhotoNeeds {
    pub fn is_empty(&self) -> bool {
        self.duplicates < 2 && self.problems.is_empty()
    }
}

/// Headings as the writers take them.
pub fn refs(headers: &[String]) -> Vec<&str> {
    headers.iter().map(String::as_str).collect()
}

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
pub fn report_table(
    words: &dyn FileWords,
    by: GroupBy,
    groups: &[GroupCounts],
) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut rows: Vec<Vec<Cell>> = groups
        .iter()
        .map(|g| report_cells(words.group(by, &g.group), g))
        .collect();
    let total = total_of(groups);
    rows.push(report_cells(words.total(), &total));
    (words.completion_headers(by), rows)
}

/// Writes the completion report `groups` of `scope` to `path` (`.csv`: the table; `.xlsx`: the
/// table and one sheet per missing list of the same students), then audits the export.
pub async fn export_completion(
    store: &dyn Store,
    words: &dyn FileWords,
    operator: &str,
    path: &Path,
    scope: &ReportScope,
    groups: &[GroupCounts],
) -> Result<()> {
    let (headers, rows) = report_table(words, scope.by, groups);
    let headers = refs(&headers);
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
                            .map(|r| missing_cells(words, r, false, &details))
                            .collect(),
                    )
                })
                .collect();
            let missing_headers = words.list_headers(false);
            let missing_headers = refs(&missing_headers);
            let names: Vec<String> = lists.iter().map(|(k, _)| words.missing_sheet(*k)).collect();
            let completion = words.completion_sheet();
            let mut sheets = vec![export::xlsx::Sheet {
                name: &completion,
                headers: &headers,
                rows: &rows,
            }];
            for ((_, rows), name) in lists.iter().zip(&names) {
                sheets.push(export::xlsx::Sheet {
                    name,
                    headers: &missing_headers,
                    rows,
                });
            }
            export::xlsx::write_workbook(path, &sheets)?;
        }
        _ => {
            return Err(FileError::Extension {
                path: path.to_path_buf(),
                list: false,
            });
        }
    }
    audit_export(store, operator, "report", path, &scope.describe()).await
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
    let mut t = GroupCounts::default();
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

/// What a student list says about each student besides the roster (docs/console.md): their
/// session's time and place, their shot number and what is wrong with their photo files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListDetails {
    sessions: HashMap<i64, SessionRow>,
    /// Student id → (session, shot) of the check-in that counts for them (docs/sessions.md).
    shots: HashMap<i64, (i64, i32)>,
    /// 学号 → what their photo files need.
    photos: HashMap<String, PhotoNeeds>,
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
            .map(|(no, rows)| (no, photo_needs(&rows)))
            .filter(|(_, needs)| !needs.is_empty())
            .collect();
        Ok(ListDetails {
            sessions,
            shots,
            photos,
        })
    }
}

/// What a student's photo files need: several files to choose from, and each problem found
/// (once, however many files have it) when none is valid.
pub fn photo_needs(rows: &[crate::store::PhotoRow]) -> PhotoNeeds {
    let duplicates = rows
        .iter()
        .filter(|r| r.status == PhotoFileStatus::Duplicate)
        .count();
    let mut problems: Vec<Problem> = Vec::new();
    if !rows.iter().any(|r| r.status == PhotoFileStatus::Valid) {
        for p in rows.iter().flat_map(|r| &r.problems) {
            if !problems.contains(p) {
                problems.push(p.clone());
            }
        }
    }
    PhotoNeeds {
        duplicates,
        problems,
    }
}

pub fn missing_cells(
    words: &dyn FileWords,
    r: &StudentRow,
    reveal: bool,
    details: &ListDetails,
) -> Vec<Cell> {
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
        text(&words.status(r.code_status.code())),
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
        text(&words.checked_in(r.checked_in)),
        shot.map(Cell::from).unwrap_or_else(blank),
        text(&words.status(r.photo_status.code())),
        text(
            &details
                .photos
                .get(&s.student_no)
                .map(|needs| words.photo_needs(needs))
                .unwrap_or_default(),
        ),
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
        _ => {
            return Err(FileError::Extension {
                path: path.to_path_buf(),
                list: true,
            });
        }
    }
    Ok(())
}

/// What the console's Students screen exports: the students shown, in the order shown, with
/// the reason each is on the list. `what` names the filters and search in the audit entry.
pub async fn export_student_list(
    store: &dyn Store,
    words: &dyn FileWords,
    operator: &str,
    path: &Path,
    students: &[StudentRow],
    what: &str,
) -> Result<()> {
    let details = ListDetails::read(store).await?;
    let headers = words.list_headers(false);
    let rows: Vec<Vec<Cell>> = students
        .iter()
        .map(|r| missing_cells(words, r, false, &details))
        .collect();
    write_student_list(path, &words.students_sheet(), &refs(&headers), &rows)?;
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
