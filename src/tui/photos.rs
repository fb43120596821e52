//! The Photos screen's state: the last applied reconciliation (its summary from the settings,
//! its files from the photos table), sorted into one list per outcome, and the students of the
//! loaded roster who have no photo file. Part of `update`: no I/O here except `read_photos`,
//! which runs on a task.

use std::collections::HashMap;
use std::sync::Arc;

use super::action::{Action, Effect, Screen};
use super::app::App;
use super::roster::{Filter, Roster};
use super::ui;
use crate::domain::photo_spec::Problem;
use crate::i18n::tr;
use crate::photos::ReconcileSummary;
use crate::photos::ingest::report::IngestSummary;
use crate::store::{PhotoFileStatus, PhotoFilter, PhotoRow, PhotoStatus, Store};

/// What `Effect::LoadPhotos` reads: the last `--apply`'s summary (none before the first) and
/// the stored files under its folder.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhotoData {
    pub summary: Option<ReconcileSummary>,
    pub rows: Vec<PhotoRow>,
    /// The last `photos ingest` (docs/ingest.md), whatever was reconciled.
    pub ingest: Option<IngestSummary>,
}

/// Reads the summary of the last applied reconciliation and the photo rows of its folder.
pub async fn read_photos(store: Arc<dyn Store>) -> Result<PhotoData, String> {
    let one_line = |e: &dyn std::fmt::Display| crate::config::one_line(&e.to_string());
    let summary = crate::photos::last_summary(store.as_ref())
        .await
        .map_err(|e| one_line(&e))?;
    let ingest = crate::photos::ingest::report::last_summary(store.as_ref())
        .await
        .map_err(|e| one_line(&e))?;
    let Some(summary) = summary else {
        return Ok(PhotoData {
            ingest,
            ..PhotoData::default()
        });
    };
    let under = folder_prefix(&summary.folder);
    let filter = PhotoFilter {
        under: Some(under),
        ..PhotoFilter::default()
    };
    let rows = store.list_photos(&filter).await.map_err(|e| one_line(&e))?;
    Ok(PhotoData {
        summary: Some(summary),
        rows,
        ingest,
    })
}

fn folder_prefix(folder: &str) -> String {
    if folder.ends_with('/') {
        folder.to_string()
    } else {
        format!("{folder}/")
    }
}

/// The lists of the screen, in tab order: what needs fixing first, the valid files last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PhotoList {
    #[default]
    Invalid,
    Duplicate,
    Orphan,
    Missing,
    Skipped,
    Valid,
}

impl PhotoList {
    pub const ALL: [PhotoList; 6] = [
        PhotoList::Invalid,
        PhotoList::Duplicate,
        PhotoList::Orphan,
        PhotoList::Missing,
        PhotoList::Skipped,
        PhotoList::Valid,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PhotoList::Invalid => tr("不合格", "invalid"),
            PhotoList::Duplicate => tr("重复", "duplicate"),
            PhotoList::Orphan => tr("对不上人", "orphan"),
            PhotoList::Missing => tr("缺照片的学生", "students without a photo"),
            PhotoList::Skipped => tr("跳过", "skipped"),
            PhotoList::Valid => tr("合格", "valid"),
        }
    }

    pub fn index(self) -> usize {
        PhotoList::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    pub fn cycle(self, step: isize) -> PhotoList {
        let n = PhotoList::ALL.len() as isize;
        PhotoList::ALL[(self.index() as isize + step).rem_euclid(n) as usize]
    }
}

/// One file in a list (every list but the missing students).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PhotoItem {
    /// The path under the reconciled folder.
    pub rel: String,
    pub student_no: Option<String>,
    pub name: Option<String>,
    pub size: Option<i64>,
    pub dims: Option<(i32, i32)>,
    pub problems: Vec<Problem>,
    /// Why a skipped file was skipped (as the summary recorded it).
    pub reason: Option<String>,
    /// An orphan's likely students (学号), best first.
    pub suggestions: Vec<String>,
    /// A duplicate's other files for the same student.
    pub partners: Vec<String>,
}

/// The Photos screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhotosState {
    pub generation: u64,
    /// An answer arrived (`summary` is then the truth, also when `None`).
    pub loaded: bool,
    pub error: Option<String>,
    pub summary: Option<ReconcileSummary>,
    pub ingest: Option<IngestSummary>,
    /// The files of each list but `Missing`, by `PhotoList::index`.
    pub files: [Vec<PhotoItem>; 6],
    /// Rows of the loaded roster without any photo file, in roster (学号) order.
    pub missing: Vec<u32>,
    pub list: PhotoList,
    /// (selected, offset) of each list, by `PhotoList::index`, so switching back keeps the place.
    pub places: [(usize, usize); 6],
    /// 学号 → what their files need, in a few words (several files to choose from, the
    /// problems of an invalid one), for the Students screen's column and history pane.
    pub notes: HashMap<String, String>,
}

impl PhotosState {
    pub fn len(&self, list: PhotoList) -> usize {
        match list {
            PhotoList::Missing => self.missing.len(),
            other => self.files[other.index()].len(),
        }
    }

    pub fn place(&self) -> (usize, usize) {
        self.places[self.list.index()]
    }

    /// The file of row `i` of the current list (not for `Missing`).
    pub fn item(&self, i: usize) -> Option<&PhotoItem> {
        self.files[self.list.index()].get(i)
    }

    /// Sorts the rows of a load into the lists.
    fn arrived(&mut self, data: &PhotoData) {
        self.summary = data.summary.clone();
        self.ingest = data.ingest.clone();
        let prefix = self
            .summary
            .as_ref()
            .map(|s| folder_prefix(&s.folder))
            .unwrap_or_default();
        // the path under the folder, an ID number in it masked (docs/files.md)
        let rel = |row: &PhotoRow| {
            let path = row.path.as_str();
            crate::domain::mask_ids_in_path(
                path.strip_prefix(prefix.as_str()).unwrap_or(path),
                row.id_number.as_deref(),
            )
            .into_owned()
        };
        let mut files: [Vec<PhotoItem>; 6] = Default::default();
        let mut by_student: HashMap<&str, Vec<String>> = HashMap::new();
        for r in data
            .rows
            .iter()
            .filter(|r| r.status == PhotoFileStatus::Duplicate)
        {
            if let Some(no) = &r.student_no {
                by_student.entry(no.as_str()).or_default().push(rel(r));
            }
        }
        let suggestions: HashMap<&str, &Vec<String>> = self
            .summary
            .iter()
            .flat_map(|s| s.orphan_files.iter())
            .map(|o| (o.file.as_str(), &o.suggestions))
            .collect();
        for r in &data.rows {
            let list = match r.status {
                PhotoFileStatus::Valid => PhotoList::Valid,
                PhotoFileStatus::Invalid => PhotoList::Invalid,
                PhotoFileStatus::Duplicate => PhotoList::Duplicate,
                PhotoFileStatus::Orphan => PhotoList::Orphan,
            };
            let file = rel(r);
            let partners = match (&r.student_no, list) {
                (Some(no), PhotoList::Duplicate) => by_student
                    .get(no.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|p| **p != file)
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            };
            files[list.index()].push(PhotoItem {
                suggestions: suggestions
                    .get(file.as_str())
                    .map(|s| s.to_vec())
                    .unwrap_or_default(),
                rel: file,
                student_no: r.student_no.clone(),
                name: r.name.clone(),
                size: Some(r.size),
                dims: r.width.zip(r.height),
                problems: r.problems.clone(),
                reason: None,
                partners,
            });
        }
        for list in &mut files {
            list.sort_by(|a, b| a.rel.cmp(&b.rel));
        }
        // a duplicate's files together, whatever folders they are in
        files[PhotoList::Duplicate.index()]
            .sort_by(|a, b| (&a.student_no, &a.rel).cmp(&(&b.student_no, &b.rel)));
        for s in self.summary.iter().flat_map(|s| s.skipped_files.iter()) {
            files[PhotoList::Skipped.index()].push(PhotoItem {
                rel: s.file.clone(),
                reason: Some(s.reason.clone()),
                ..PhotoItem::default()
            });
        }
        self.notes = notes(&files);
        self.files = files;
        self.clamp();
    }

    /// Students with several files (the duplicate list, by student).
    pub fn duplicate_students(&self) -> usize {
        let mut nos: Vec<&str> = self.files[PhotoList::Duplicate.index()]
            .iter()
            .filter_map(|f| f.student_no.as_deref())
            .collect();
        nos.sort_unstable();
        nos.dedup();
        nos.len()
    }

    /// The roster changed: the students without a photo file are read from it again.
    pub fn roster_arrived(&mut self, roster: &Roster) {
        self.missing = roster
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.photo_status == PhotoStatus::Missing)
            .map(|(i, _)| i as u32)
            .collect();
        self.clamp();
    }

    fn clamp(&mut self) {
        for list in PhotoList::ALL {
            let last = self.len(list).saturating_sub(1);
            let place = &mut self.places[list.index()];
            place.0 = place.0.min(last);
            place.1 = place.1.min(place.0);
        }
    }
}

/// A problem in a word or two, for a narrow column (the history pane has the whole sentence).
pub fn short_problem(problem: &Problem) -> String {
    let word = match problem.code() {
        "heic" => tr("HEIC", "HEIC"),
        "orientation" => tr("方向", "rotated"),
        "not_jpeg" => tr("非JPEG", "not JPEG"),
        "truncated" => tr("不完整", "truncated"),
        "damaged" => tr("损坏", "damaged"),
        "dimensions" => tr("尺寸", "size"),
        "colour" => tr("非彩色", "colour"),
        "bit_depth" => tr("位深", "bit depth"),
        "too_small" => tr("太小", "too small"),
        "too_large" => tr("太大", "too large"),
        "undecodable" => tr("无法解码", "undecodable"),
        "background" => tr("背景色", "background"),
        _ => return problem.message(crate::i18n::lang()),
    };
    word.to_string()
}

/// Each student's note from the invalid and duplicate lists.
fn notes(files: &[Vec<PhotoItem>; 6]) -> HashMap<String, String> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut duplicates: HashMap<&str, usize> = HashMap::new();
    for f in &files[PhotoList::Duplicate.index()] {
        if let Some(no) = &f.student_no {
            *duplicates.entry(no).or_default() += 1;
        }
    }
    for (no, n) in duplicates {
        let text = match crate::i18n::lang() {
            crate::i18n::Lang::Zh => format!("{n}个文件待选"),
            crate::i18n::Lang::En => format!("{n} files, choose one"),
        };
        out.entry(no.to_string()).or_default().push(text);
    }
    for f in &files[PhotoList::Invalid.index()] {
        if let Some(no) = &f.student_no {
            let words = out.entry(no.clone()).or_default();
            for p in &f.problems {
                let w = short_problem(p);
                if !words.contains(&w) {
                    words.push(w);
                }
            }
        }
    }
    out.into_iter()
        .map(|(no, words)| (no, words.join(tr("、", ", "))))
        .collect()
}

/// The row of the roster with this 学号 (the roster is in 学号 order; a server's collation may
/// differ from byte order, so a miss is checked row by row).
pub fn find_student(roster: &Roster, student_no: &str) -> Option<usize> {
    let rows = &roster.rows;
    rows.binary_search_by(|r| r.student.student_no.as_str().cmp(student_no))
        .ok()
        .or_else(|| rows.iter().position(|r| r.student.student_no == student_no))
}

/// Starts reading the screen's data.
pub(super) fn start_load(app: &mut App) -> Effect {
    app.photos.generation += 1;
    Effect::LoadPhotos {
        generation: app.photos.generation,
    }
}

/// The answer to `Effect::LoadPhotos`; false when it is stale.
pub(super) fn loaded(
    app: &mut App,
    generation: u64,
    result: Result<Arc<PhotoData>, String>,
) -> bool {
    let photos = &mut app.photos;
    if generation != photos.generation {
        return false;
    }
    match result {
        Ok(data) => {
            photos.loaded = true;
            photos.error = None;
            photos.arrived(&data);
            app.measure_notes();
        }
        Err(e) => {
            photos.error = Some(e.clone());
            app.last_error = Some(e);
        }
    }
    true
}

/// What a key does on the Photos screen; `None` for actions the screen leaves to others.
pub(super) fn handle(app: &mut App, action: &Action) -> Option<(bool, Vec<Effect>)> {
    let list = app.photos.list;
    let len = app.photos.len(list);
    let before = app.photos.place();
    let (selected, offset) = before;
    let page = ui::photos::list_rows(app).max(1);
    let to = match action {
        Action::MoveUp => selected.saturating_sub(1),
        Action::MoveDown => selected + 1,
        Action::PageUp => selected.saturating_sub(page),
        Action::PageDown => selected + page,
        Action::First => 0,
        Action::Last => usize::MAX,
        Action::NextPhotoList | Action::PrevPhotoList => {
            let step = if *action == Action::NextPhotoList {
                1
            } else {
                -1
            };
            app.photos.list = list.cycle(step);
            return Some((true, Vec::new()));
        }
        Action::JumpToStudent => return Some(jump_to_student(app)),
        _ => return None,
    };
    let to = to.min(len.saturating_sub(1));
    let offset = if to < offset {
        to
    } else if to >= offset + page {
        to + 1 - page
    } else {
        offset
    };
    let offset = offset.min(len.saturating_sub(page));
    app.photos.places[list.index()] = (to, offset);
    Some(((to, offset) != before, Vec::new()))
}

/// The 学号 the selected row is about: its student, or an orphan's best suggestion.
pub fn selected_student_no(app: &App) -> Option<String> {
    let (selected, _) = app.photos.place();
    if app.photos.list == PhotoList::Missing {
        let row = *app.photos.missing.get(selected)?;
        return app
            .students
            .roster
            .rows
            .get(row as usize)
            .map(|r| r.student.student_no.clone());
    }
    let item = app.photos.item(selected)?;
    item.student_no
        .clone()
        .or_else(|| item.suggestions.first().cloned())
}

/// Shows the selected row's student on the Students screen, selected. When the search or a
/// filter hides the student, they are cleared so the student can be shown.
fn jump_to_student(app: &mut App) -> (bool, Vec<Effect>) {
    let Some(no) = selected_student_no(app) else {
        return (false, Vec::new());
    };
    let Some(row) = find_student(&app.students.roster, &no) else {
        app.last_error = Some(format!(
            "{} {no} {}",
            tr("学号", "student no."),
            tr(
                "不在当前载入的名单里（可在学生名单换届别）",
                "is not in the roster loaded (choose its cohort on the Students screen)"
            )
        ));
        return (true, Vec::new());
    };
    app.show(Screen::Students);
    let row = row as u32;
    let mut effects = Vec::new();
    if !app.students.view.contains(&row) {
        let cleared = app.filter_words(true).join(" · ");
        app.students.filter = Filter::default();
        app.students.search.input.clear();
        app.students.search.editing = false;
        effects = app.search_changed();
        // say what went, so the list is not mistaken for the filtered one
        app.message = Some(super::app::StatusMessage::ok(match crate::i18n::lang() {
            crate::i18n::Lang::Zh => format!("为显示 {no}，已清除筛选和搜索：{cleared}"),
            crate::i18n::Lang::En => {
                format!("filters and search cleared to show {no}: {cleared}")
            }
        }));
    }
    if let Some(i) = app.students.view.iter().position(|&r| r == row) {
        app.select(i);
    }
    effects.extend(app.follow_selection());
    (true, effects)
}

#[cfg(test)]
#[path = "photos_tests.rs"]
pub(crate) mod tests;
