//! The Students screen's state: the roster as loaded, what is shown of it (filters, sort,
//! search, selection), the history pane and the export under way. What actions do there is in
//! `modes.rs` and `app.rs`; drawing in `ui/students.rs`.

use std::sync::Arc;

use super::action::{Action, History};
use super::app::{App, StatusMessage};
use super::roster::{Filter, Roster, Sort};
use super::screen::Answer;
use crate::domain::search::{Missing, Query, SearchResult};
use crate::store::StudentRow;

/// The Students screen.
#[derive(Debug, Clone)]
pub struct StudentsState {
    pub roster: Roster,
    /// Rows of `roster` shown, in order.
    pub view: Vec<u32>,
    pub filter: Filter,
    pub sort: Sort,
    /// The cohort loaded; `None` loads every cohort.
    pub cohort: Option<i32>,
    pub search: SearchState,
    pub detail: Detail,
    /// Index of the selected row in `view`.
    pub selected: usize,
    /// Index in `view` of the first row on screen.
    pub offset: usize,
    /// True once the whole student list has arrived, so "empty" is not confused with "not read
    /// yet".
    pub loaded: bool,
    /// The rows shown are only the first page: the whole roster is still on its way, so nothing
    /// counted over it (totals, positions, searches) is known yet.
    pub partial: bool,
    /// Why the last student list could not be read, if it could not.
    pub error: Option<String>,
    /// When the list is empty under filters: each condition in force, with the students its
    /// removal alone would show.
    pub hidden_by: Vec<(Hiding, usize)>,
    /// Generation of the Students export under way (answers of older ones are dropped).
    pub export_generation: u64,
    /// A Students export is being written.
    pub exporting: bool,
}

impl StudentsState {
    pub fn new(cohort: Option<i32>) -> StudentsState {
        StudentsState {
            roster: Roster::empty(),
            view: Vec::new(),
            filter: Filter::default(),
            sort: Sort::default(),
            cohort,
            search: SearchState::default(),
            detail: Detail::default(),
            selected: 0,
            offset: 0,
            loaded: false,
            partial: false,
            error: None,
            hidden_by: Vec::new(),
            export_generation: 0,
            exporting: false,
        }
    }

    /// The first page arrived ahead of the roster (docs/console.md, "The first screen"). It is
    /// shown while nothing else is and when it is what the list starts with: no filter, search
    /// or other sort chosen meanwhile. A failed page is not an error of its own: the roster's
    /// answer says what went wrong.
    pub(super) fn page_arrived(&mut self, page: Result<Vec<StudentRow>, String>) -> bool {
        let Ok(rows) = page else {
            return false;
        };
        if self.loaded
            || rows.is_empty()
            || self.filter != Filter::default()
            || self.sort != Sort::default()
            || self.search.active()
        {
            return false;
        }
        self.roster = Roster::new(rows);
        self.view = self.shown();
        self.partial = true;
        self.selected = 0;
        self.offset = 0;
        true
    }

    /// The roster could not be read: the first page goes too, so the list says why instead.
    pub(super) fn drop_page(&mut self) {
        if std::mem::take(&mut self.partial) {
            self.roster = Roster::empty();
            self.view.clear();
            self.selected = 0;
            self.offset = 0;
        }
    }

    /// The rows to show, from the roster, filters, sort and the search answer in force.
    pub(super) fn shown(&self) -> Vec<u32> {
        let search = self
            .search
            .result
            .as_deref()
            .filter(|_| self.search.active());
        super::roster::view(&self.roster, &self.filter, self.sort, search)
    }

    /// Where the student with this id is in the view, if shown.
    pub(super) fn position_of(&self, id: i64) -> Option<usize> {
        self.view
            .iter()
            .position(|&r| self.roster.rows.get(r as usize).is_some_and(|s| s.id == id))
    }

    /// The student of row `i` of the view.
    pub fn row(&self, i: usize) -> Option<&StudentRow> {
        self.view
            .get(i)
            .and_then(|&r| self.roster.rows.get(r as usize))
    }
}

/// The search typed on the Students screen.
#[derive(Debug, Clone, Default)]
pub struct SearchState {
    pub input: String,
    /// Keys go into the search box.
    pub editing: bool,
    pub generation: u64,
    /// The newest answer (for the current query, or an older one while the current is worked on).
    pub result: Option<Arc<SearchResult>>,
    /// Answers for shorter forms of the current query, so Backspace needs no new search.
    pub(super) history: Vec<Arc<SearchResult>>,
    /// The search under way repeats the current query over a reloaded roster.
    pub(super) rerun: bool,
}

impl SearchState {
    pub fn query(&self) -> Query {
        Query::parse(&self.input)
    }

    /// A search is typed (it may still be on its way).
    pub fn active(&self) -> bool {
        !self.query().is_empty()
    }

    /// The answer shown is not yet the answer to what is typed.
    pub fn pending(&self) -> bool {
        let q = self.query();
        !q.is_empty() && self.result.as_ref().is_none_or(|r| r.query != q)
    }
}

/// The history pane of the selected student.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detail {
    pub open: bool,
    pub generation: u64,
    pub student_no: Option<String>,
    pub history: Option<Result<History, String>>,
    /// Lines scrolled past at the top of the pane (the drawing keeps it within the text).
    pub scroll: usize,
}

/// One condition that keeps students off an empty list, and how many students its removal
/// alone would show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hiding {
    Missing(Missing),
    Field(crate::domain::search::Field, String),
    Search(String),
}

/// The answers to the Students screen's work: the first page, the roster (with the load's
/// bookkeeping), searches, the history pane and exports.
pub(super) fn answer(app: &mut App, action: Action) -> Answer {
    let outcome = match action {
        Action::PageLoaded { generation, result } => {
            if generation != app.generation {
                return Answer::Dropped;
            }
            let shown = app.students.page_arrived(result);
            if shown {
                app.scroll_into_view();
            }
            (shown, Vec::new())
        }
        Action::StudentsLoaded { generation, result } => {
            if generation != app.generation {
                return Answer::Dropped; // a newer load is on its way
            }
            match result {
                Ok(roster) => {
                    let mut effects = app.students_arrived(roster);
                    app.photos.roster_arrived(&app.students.roster);
                    app.measure_notes();
                    app.students.error = None;
                    effects.extend(app.answered(None));
                    (true, effects)
                }
                Err(e) => {
                    app.students.error = Some(e.clone());
                    app.students.drop_page();
                    (true, app.answered(Some(e)))
                }
            }
        }
        Action::Searched { generation, result } => {
            let changed = app.searched(generation, result);
            (changed, app.follow_selection())
        }
        Action::HistoryLoaded { generation, result } => {
            if generation != app.students.detail.generation {
                return Answer::Dropped;
            }
            if let Err(e) = &result {
                app.last_error = Some(e.clone());
            }
            app.students.detail.history = Some(result);
            (true, Vec::new())
        }
        Action::StudentsExported { generation, result } => {
            if generation != app.students.export_generation {
                return Answer::Dropped;
            }
            app.students.exporting = false;
            app.message = Some(match result {
                Ok((path, n)) => StatusMessage {
                    text: match crate::i18n::lang() {
                        crate::i18n::Lang::Zh => format!("已导出 {n} 名学生"),
                        crate::i18n::Lang::En => format!("{n} students exported"),
                    },
                    path: Some(path.display().to_string()),
                    ok: true,
                },
                Err(e) => StatusMessage {
                    text: e,
                    path: None,
                    ok: false,
                },
            });
            (true, Vec::new())
        }
        other => return Answer::Other(other),
    };
    Answer::Taken(outcome)
}
