//! The console's state and `update`: the only place state changes, and it does no I/O.
//!
//! Work that needs the database (or a search over 100,000 rows) is returned as `Effect`s; the
//! event loop runs it on a task and feeds the answer back as an action. Every kind of work
//! carries a generation number, and answers to an older generation are dropped, so a slow answer
//! can never overwrite a newer one.

use std::sync::Arc;
use std::time::Duration;

use super::SchoolInfo;
use super::action::{Action, Effect, IndexRef, Screen};
use super::keymap::{Keymap, Mode};
use super::modes;
use super::overlay::{CodeView, Overlay, Picker, PickerKind};
use super::photos::PhotosState;
use super::reports::{self, ReportsState};
use super::roster::{self, Filter, Roster};
use super::screen;
pub use super::students::{Detail, Hiding, SearchState, StudentsState};
use super::theme::Theme;
use super::ui;
use crate::domain::search::{Missing, SearchResult};
use crate::i18n::tr;
use crate::store::{Counts, StudentRow};

/// Where the answers to the current load stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    /// Nothing asked yet.
    Idle,
    /// Waiting for this many answers (students, counts).
    Waiting(u8),
    Done,
}

/// A line for the status bar saying what the last action did (an export written, a reload
/// done, filters cleared by a jump). It goes when the screen changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub text: String,
    /// A file written: drawn after the text with its folder shortened and its name whole.
    pub path: Option<String>,
    pub ok: bool,
}

impl StatusMessage {
    pub fn ok(text: impl Into<String>) -> StatusMessage {
        StatusMessage {
            text: text.into(),
            path: None,
            ok: true,
        }
    }
}

/// Retrying a failed load with growing waits, so a restarted server is picked up by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    /// The wait scheduled now, if a retry is scheduled.
    pub waiting: Option<Duration>,
}

/// Waits between retries: 1, 2, 4, 8, 16, then 30 seconds.
pub fn backoff(attempts: u32) -> Duration {
    Duration::from_secs((1u64 << attempts.min(5)).min(30))
}

pub struct App {
    pub school: SchoolInfo,
    pub operator: String,
    pub database_url: String,
    pub keymap: Keymap,
    pub theme: Theme,
    pub screen: Screen,
    pub help_open: bool,
    pub help_scroll: usize,
    pub overlay: Overlay,
    /// The Students screen.
    pub students: StudentsState,
    pub counts: Option<Counts>,
    pub generation: u64,
    /// Generation of the code overlay's work.
    pub code_generation: u64,
    pub load: LoadState,
    /// The most recent error, for the status bar.
    pub last_error: Option<String>,
    /// Why the last counts could not be read, if they could not.
    pub counts_error: Option<String>,
    /// An answer of the current load failed (its error is `last_error`).
    load_failed: bool,
    pub retry: Retry,
    /// Draw QR codes as plain half blocks without colours (`NO_COLOR`).
    pub plain_qr: bool,
    /// Terminal columns and rows.
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// The Sessions screen.
    pub sessions: super::sessions::SessionsState,
    /// The Check-in screen.
    pub checkin: super::sessions::CheckinState,
    /// The Photos screen.
    pub photos: PhotosState,
    /// The Reports screen.
    pub reports: ReportsState,
    /// What the last action did, for the status bar.
    pub message: Option<StatusMessage>,
    /// Generation of the header's count refreshes (apart from the roster loads).
    pub counts_generation: u64,
    /// How often what is shown is read again (`poll_seconds` in the config); `None`: never.
    pub poll_every: Option<Duration>,
    /// The user asked for a reload: say so on the status line when it is done.
    pub reload_asked: bool,
}

/// What happens to the selection when the view is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keep {
    /// The same student stays selected if still shown.
    Same,
    /// The first row (a new search: its best match).
    Top,
}

impl App {
    pub fn new(
        school: SchoolInfo,
        operator: String,
        database_url: String,
        keymap: Keymap,
        theme: Theme,
        size: (u16, u16),
    ) -> App {
        let cohort = Some(school.cohort);
        App {
            school,
            operator,
            database_url,
            keymap,
            theme,
            screen: Screen::Students,
            help_open: false,
            help_scroll: 0,
            overlay: Overlay::None,
            students: StudentsState::new(cohort),
            counts: None,
            generation: 0,
            code_generation: 0,
            load: LoadState::Idle,
            last_error: None,
            counts_error: None,
            load_failed: false,
            retry: Retry::default(),
            plain_qr: false,
            size,
            quit: false,
            dirty: true,
            sessions: Default::default(),
            checkin: Default::default(),
            photos: PhotosState::default(),
            reports: ReportsState::default(),
            message: None,
            counts_generation: 0,
            poll_every: None,
            reload_asked: false,
        }
    }

    pub fn loading(&self) -> bool {
        matches!(self.load, LoadState::Waiting(_))
    }

    /// What the console is doing, which decides what keys mean.
    pub fn mode(&self) -> Mode {
        if self.help_open {
            Mode::Help
        } else {
            self.base_mode()
        }
    }

    /// The mode under the help window.
    pub fn base_mode(&self) -> Mode {
        match &self.overlay {
            Overlay::Palette(_) => Mode::Palette,
            Overlay::Picker(_) => Mode::Picker,
            Overlay::Code(_) => Mode::Code,
            Overlay::Reason(_) => Mode::Reason,
            Overlay::None => super::screen::of(self.screen)
                .mode(self)
                .unwrap_or(Mode::Screen(self.screen)),
        }
    }

    /// The student of row `i` of the view.
    pub fn row(&self, i: usize) -> Option<&StudentRow> {
        self.students
            .view
            .get(i)
            .and_then(|&r| self.students.roster.rows.get(r as usize))
    }

    pub fn selected_row(&self) -> Option<&StudentRow> {
        self.row(self.students.selected)
    }

    /// Rows of the student list that fit on screen now.
    pub fn page_rows(&self) -> usize {
        ui::list_rows(self)
    }

    pub(super) fn select(&mut self, index: usize) -> bool {
        let last = self.students.view.len().saturating_sub(1);
        let index = index.min(last);
        let before = (self.students.selected, self.students.offset);
        self.students.selected = index;
        self.scroll_into_view();
        before != (self.students.selected, self.students.offset)
    }

    /// Keeps the selection on screen and the screen full, moving the window as little as possible.
    pub(super) fn scroll_into_view(&mut self) {
        let rows = self.page_rows().max(1);
        let len = self.students.view.len();
        self.students.selected = self.students.selected.min(len.saturating_sub(1));
        if self.students.selected < self.students.offset {
            self.students.offset = self.students.selected;
        } else if self.students.selected >= self.students.offset + rows {
            self.students.offset = self.students.selected + 1 - rows;
        }
        self.students.offset = self.students.offset.min(len.saturating_sub(rows));
    }

    /// Pages move the window and the selection together, so the selected row keeps its place.
    pub(super) fn page(&mut self, down: bool) -> bool {
        let rows = self.page_rows().max(1);
        let before = (self.students.selected, self.students.offset);
        if down {
            let max_offset = self.students.view.len().saturating_sub(rows);
            self.students.offset = (self.students.offset + rows).min(max_offset);
            self.students.selected =
                (self.students.selected + rows).min(self.students.view.len().saturating_sub(1));
        } else {
            self.students.offset = self.students.offset.saturating_sub(rows);
            self.students.selected = self.students.selected.saturating_sub(rows);
        }
        self.scroll_into_view();
        before != (self.students.selected, self.students.offset)
    }

    pub(super) fn scroll_help(&mut self, to: usize) -> bool {
        let to = to.min(ui::help::max_scroll(self));
        let changed = to != self.help_scroll;
        self.help_scroll = to;
        changed
    }

    pub(super) fn show(&mut self, screen: Screen) -> bool {
        let changed = screen != self.screen || self.overlay != Overlay::None;
        if screen != self.screen {
            // what the status line said was about the screen left behind; a load that keeps
            // failing says so again with its retry
            self.message = None;
            if !self.load_failed {
                self.last_error = None;
            }
        }
        self.screen = screen;
        // a screen switch leaves the code window and choosers behind
        self.overlay = Overlay::None;
        self.help_scroll = self.help_scroll.min(ui::help::max_scroll(self));
        changed
    }

    pub(super) fn start_load(&mut self) -> Vec<Effect> {
        self.generation += 1;
        self.load = LoadState::Waiting(2);
        self.load_failed = false;
        self.retry.waiting = None;
        let mut effects = vec![Effect::Load {
            generation: self.generation,
            cohort: self.students.cohort,
        }];
        effects.extend(reports::refresh_if_shown(self));
        effects
    }

    /// Counts one answer of the current load. Once all are in: the previous error goes if all
    /// succeeded, and a retry is scheduled if one failed.
    pub(super) fn answered(&mut self, error: Option<String>) -> Vec<Effect> {
        if let Some(e) = error {
            self.last_error = Some(e);
            self.load_failed = true;
        }
        if let LoadState::Waiting(n) = self.load {
            self.load = if n <= 1 {
                LoadState::Done
            } else {
                LoadState::Waiting(n - 1)
            };
        }
        if self.load != LoadState::Done {
            return Vec::new();
        }
        if self.load_failed {
            let after = backoff(self.retry.attempts);
            self.retry.attempts += 1;
            self.retry.waiting = Some(after);
            vec![Effect::RetryLater {
                generation: self.generation,
                after,
            }]
        } else {
            self.last_error = None;
            self.retry = Retry::default();
            if std::mem::take(&mut self.reload_asked) {
                self.message = Some(StatusMessage::ok(match crate::i18n::lang() {
                    crate::i18n::Lang::Zh => {
                        format!("已重新读取：{} 名学生", self.students.roster.len())
                    }
                    crate::i18n::Lang::En => {
                        format!("reloaded: {} students", self.students.roster.len())
                    }
                }));
            }
            Vec::new()
        }
    }

    /// Recomputes the rows shown from the roster, search, filters and sort.
    pub(super) fn rebuild_view(&mut self, keep: Keep) {
        let keep_id = self.selected_row().map(|r| r.id);
        self.students.view = self.students.shown();
        self.students.hidden_by = self.find_hiding();
        match keep {
            Keep::Top => {
                self.students.selected = 0;
                self.students.offset = 0;
            }
            Keep::Same => {
                let found = keep_id.and_then(|id| self.students.position_of(id));
                self.students.selected = found.unwrap_or(0);
            }
        }
        self.scroll_into_view();
    }

    pub(super) fn students_arrived(&mut self, roster: Roster) -> Vec<Effect> {
        let keep_id = self.selected_row().map(|r| r.id);
        let old_selected = self.students.selected;
        self.students.roster = roster;
        self.students.loaded = true;
        self.students.partial = false;
        // Old answers name rows of the old roster: search again over the new one.
        self.students.search.history.clear();
        self.students.search.result = None;
        let mut effects = self.search_changed();
        self.students.view = self.students.shown();
        self.students.hidden_by = self.find_hiding();
        let found = keep_id.and_then(|id| self.students.position_of(id));
        self.students.selected = found
            .unwrap_or(old_selected)
            .min(self.students.view.len().saturating_sub(1));
        self.scroll_into_view();
        // the search answer that follows a reload keeps the student selected
        self.students.search.rerun = !effects.is_empty();
        // a reload refreshes the history pane too (a reissue changed the codes, say)
        self.students.detail.student_no = None;
        effects.extend(self.follow_selection());
        effects
    }

    /// When nothing is shown but students are loaded: each filter (and the search) in force,
    /// with how many students would show without it alone. Counted here, not while drawing.
    fn find_hiding(&self) -> Vec<(Hiding, usize)> {
        if !self.students.view.is_empty()
            || self.students.roster.is_empty()
            || self.students.partial
        {
            return Vec::new();
        }
        let search = self
            .students
            .search
            .result
            .as_deref()
            .filter(|_| self.students.search.active());
        let mut out = Vec::new();
        if let Some(m) = self.students.filter.missing {
            let without = Filter {
                missing: None,
                ..self.students.filter.clone()
            };
            let n = roster::view(&self.students.roster, &without, self.students.sort, search).len();
            out.push((Hiding::Missing(m), n));
        }
        for field in crate::domain::search::Field::ALL {
            if let Some(value) = self.students.filter.value(field) {
                let mut without = self.students.filter.clone();
                without.set(field, None);
                let n =
                    roster::view(&self.students.roster, &without, self.students.sort, search).len();
                out.push((Hiding::Field(field, value.to_string()), n));
            }
        }
        if self.students.search.active() {
            let n = roster::view(
                &self.students.roster,
                &self.students.filter,
                self.students.sort,
                None,
            )
            .len();
            out.push((
                Hiding::Search(self.students.search.input.trim().to_string()),
                n,
            ));
        }
        out
    }

    /// Reads the header's counts again (the roster stays as it is).
    pub(super) fn refresh_counts(&mut self) -> Effect {
        self.counts_generation += 1;
        Effect::LoadCounts {
            generation: self.counts_generation,
        }
    }

    /// The first poll, when polling is on.
    pub fn start_polling(&self) -> Vec<Effect> {
        self.poll_every
            .map(|after| vec![Effect::PollLater { after }])
            .unwrap_or_default()
    }

    /// A poll is due: the header's counts, and what the screen shows that other stations
    /// change (sessions and check-ins, the reports), are read again; then the next poll.
    fn poll(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if !self.loading() {
            effects.push(self.refresh_counts());
        }
        effects.extend(screen::of(self.screen).on_poll(self));
        effects.extend(self.start_polling());
        effects
    }

    /// The photo notes column is as wide as its widest note (at most 24 columns).
    pub(super) fn measure_notes(&mut self) {
        self.students.roster.widths.problems = self
            .photos
            .notes
            .values()
            .map(|n| super::widgets::width(n))
            .max()
            .unwrap_or(0)
            .min(24);
    }

    /// Starts writing the students shown as a file of `kind`.
    pub(super) fn export_students(&mut self, kind: crate::export::FileKind) -> Vec<Effect> {
        if self.students.exporting {
            return Vec::new();
        }
        if !self.students.loaded || self.students.view.is_empty() {
            self.message = Some(StatusMessage {
                text: tr(
                    "名单是空的，没有可导出的学生：先调整筛选",
                    "the list is empty, nothing to export: change the filters first",
                )
                .to_string(),
                path: None,
                ok: false,
            });
            return Vec::new();
        }
        self.students.export_generation += 1;
        self.students.exporting = true;
        self.message = Some(StatusMessage::ok(tr("正在导出…", "exporting…")));
        vec![Effect::ExportStudents {
            generation: self.students.export_generation,
            roster: self.students.roster.clone(),
            view: self.students.view.clone(),
            kind,
            name: self.filter_words(true).join("-"),
            what: self.filter_words(false).join(", "),
        }]
    }

    /// The filters and search in force as words: for a file name (`for_file`: the values
    /// only, in the interface language) or for the audit log (English field names).
    pub fn filter_words(&self, for_file: bool) -> Vec<String> {
        let mut words = Vec::new();
        for field in crate::domain::search::Field::ALL {
            if let Some(v) = self.students.filter.value(field) {
                words.push(if for_file {
                    v.to_string()
                } else {
                    let name = match field {
                        crate::domain::search::Field::College => "college",
                        crate::domain::search::Field::Class => "class",
                        crate::domain::search::Field::Counselor => "counselor",
                    };
                    format!("{name} {v}")
                });
            }
        }
        if let Some(m) = self.students.filter.missing {
            words.push(if for_file {
                roster::missing_label(m).to_string()
            } else {
                format!("missing {}", m.name())
            });
        }
        if self.students.search.active() {
            let q = self.students.search.input.trim();
            words.push(if for_file {
                q.to_string()
            } else {
                format!("search \"{q}\"")
            });
        }
        if let Some(y) = self.students.cohort
            && !for_file
        {
            words.push(format!("cohort {y}"));
        }
        words
    }

    /// Starts (or answers from memory) the search for what is typed now.
    pub(super) fn search_changed(&mut self) -> Vec<Effect> {
        let query = self.students.search.query();
        if query.is_empty() {
            self.students.search.history.clear();
            self.students.search.result = None;
            self.students.search.generation += 1;
            self.rebuild_view(Keep::Same);
            return Vec::new();
        }
        // Backspace: the answer to this exact query is still in memory.
        self.students
            .search
            .history
            .retain(|r| query.narrows(&r.query));
        if let Some(known) = self
            .students
            .search
            .history
            .iter()
            .find(|r| r.query == query)
            .cloned()
        {
            self.students.search.generation += 1;
            self.students.search.result = Some(known);
            self.rebuild_view(Keep::Top);
            return Vec::new();
        }
        if !self.students.loaded {
            return Vec::new(); // searched once the roster is in
        }
        self.students.search.generation += 1;
        self.students.search.rerun = false;
        let previous = self.students.search.history.last().cloned();
        vec![Effect::Search {
            generation: self.students.search.generation,
            index: IndexRef(self.students.roster.index.clone()),
            query,
            previous,
        }]
    }

    pub(super) fn searched(&mut self, generation: u64, result: Arc<SearchResult>) -> bool {
        if generation != self.students.search.generation {
            return false;
        }
        const KEEP: usize = 64;
        if self.students.search.history.len() == KEEP {
            self.students.search.history.remove(0);
        }
        self.students.search.history.push(result.clone());
        self.students.search.result = Some(result);
        // a new query shows its best match first; the same query searched again after a
        // reload keeps the student the user was on
        let keep = if std::mem::take(&mut self.students.search.rerun) {
            Keep::Same
        } else {
            Keep::Top
        };
        self.rebuild_view(keep);
        true
    }

    /// With the detail pane open, the history follows the selected student.
    pub(super) fn follow_selection(&mut self) -> Vec<Effect> {
        if !self.students.detail.open {
            return Vec::new();
        }
        let no = self.selected_row().map(|r| r.student.student_no.clone());
        let session_id = self.selected_row().and_then(|r| r.session_id);
        if no == self.students.detail.student_no {
            return Vec::new();
        }
        self.students.detail.generation += 1;
        self.students.detail.student_no = no.clone();
        self.students.detail.history = None;
        self.students.detail.scroll = 0;
        match no {
            Some(student_no) => vec![Effect::LoadHistory {
                generation: self.students.detail.generation,
                student_no,
                session_id,
            }],
            None => Vec::new(),
        }
    }

    pub(super) fn open_code(&mut self) -> Vec<Effect> {
        let Some(row) = self.selected_row() else {
            return Vec::new();
        };
        let student_no = row.student.student_no.clone();
        let name = row.student.name.clone();
        self.code_generation += 1;
        self.overlay = Overlay::Code(CodeView {
            generation: self.code_generation,
            student_no: student_no.clone(),
            name,
            card: None,
            busy: false,
            notice: None,
        });
        vec![Effect::LoadCode {
            generation: self.code_generation,
            student_no,
        }]
    }

    pub(super) fn set_missing(&mut self, missing: Option<Missing>) -> bool {
        if self.students.filter.missing == missing {
            return false;
        }
        self.students.filter.missing = missing;
        self.rebuild_view(Keep::Same);
        true
    }

    pub(super) fn open_picker(&mut self, kind: PickerKind) -> bool {
        if !self.students.loaded && kind != PickerKind::Cohort {
            return false;
        }
        let picker = match kind {
            PickerKind::Field(f) => Picker::for_field(
                f,
                &self.students.roster.index,
                self.students.filter.value(f),
            ),
            PickerKind::Cohort => Picker::for_cohort(self.school.cohort, self.students.cohort),
        };
        self.overlay = Overlay::Picker(picker);
        true
    }
}

/// Applies `action` to the state and says what work to start. No I/O happens here.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    // an answer from a task goes to the screen whose work it was, shown or not
    let action = match screen::answer(app, action) {
        screen::Answer::Taken((changed, effects)) => return finish(app, changed, effects),
        screen::Answer::Dropped => return Vec::new(),
        screen::Answer::Other(other) => other,
    };
    let mut effects = Vec::new();
    let changed = match action {
        // answers and events, whatever the mode
        Action::Resize(w, h) => {
            let changed = app.size != (w, h);
            app.size = (w, h);
            app.scroll_into_view();
            app.help_scroll = app.help_scroll.min(ui::help::max_scroll(app));
            changed
        }
        Action::CountsLoaded { generation, result } => {
            if generation != app.generation {
                return effects;
            }
            match result {
                Ok(counts) => {
                    app.counts = Some(counts);
                    app.counts_error = None;
                    effects = app.answered(None);
                }
                Err(e) => {
                    app.counts_error = Some(e.clone());
                    effects = app.answered(Some(e));
                }
            }
            true
        }
        Action::RetryDue { generation } => {
            if generation != app.generation || app.loading() || !app.load_failed {
                return effects;
            }
            effects = app.start_load();
            true
        }
        Action::CodeLoaded { generation, result } => {
            let code = match &mut app.overlay {
                Overlay::Code(code) => code,
                Overlay::Reason(prompt) => &mut prompt.code,
                _ => return effects,
            };
            if generation != code.generation {
                return effects;
            }
            if let Err(e) = &result {
                app.last_error = Some(e.clone());
            }
            code.card = Some(result.map(|card| *card));
            true
        }
        Action::Reissued { generation, result } => {
            // The reissue happened (or failed) even if its window was closed meanwhile.
            if let Err(e) = &result {
                app.last_error = Some(e.clone());
            }
            if result.is_ok() {
                effects.extend(app.start_load()); // the code column changed
            }
            let Overlay::Code(code) = &mut app.overlay else {
                return effects;
            };
            if generation != code.generation {
                return effects;
            }
            code.busy = false;
            // a student without any code before gets a first one: issued, not reissued
            let first = matches!(&code.card, Some(Ok(card)) if card.codes.is_empty());
            match result {
                Ok(serial) => {
                    code.notice = Some(Ok(format!(
                        "{} {serial}",
                        if first {
                            tr("已发放，序号", "issued; serial")
                        } else {
                            tr("已重新发放，新序号", "reissued; new serial")
                        }
                    )));
                    app.code_generation += 1;
                    code.generation = app.code_generation;
                    effects.insert(
                        0,
                        Effect::LoadCode {
                            generation: code.generation,
                            student_no: code.student_no.clone(),
                        },
                    );
                }
                Err(e) => code.notice = Some(Err(e)),
            }
            true
        }
        Action::Select(index) => {
            let changed = index < app.students.view.len() && app.select(index);
            effects = app.follow_selection();
            changed
        }
        Action::Show(screen) => app.show(screen),
        Action::Quit => {
            app.quit = true;
            true
        }
        Action::Help => {
            app.help_open = !app.help_open;
            app.help_scroll = 0;
            true
        }
        Action::CountsRefreshed { generation, result } => {
            if generation != app.counts_generation {
                return effects;
            }
            match result {
                Ok(counts) => {
                    let changed = app.counts != Some(counts);
                    app.counts = Some(counts);
                    app.counts_error = None;
                    changed
                }
                // a failed refresh keeps the counts shown; the next poll tries again
                Err(_) => false,
            }
        }
        Action::PollDue => {
            effects = app.poll();
            false
        }
        other => {
            let (changed, more) = match app.mode() {
                Mode::Help => modes::help(app, other),
                Mode::Palette => modes::palette(app, other),
                Mode::Picker => modes::picker(app, other),
                Mode::Reason => modes::reason(app, other),
                Mode::Code => modes::code(app, other),
                // the screen shown, with what is typed on it (a search, the plan form)
                Mode::Screen(_) | Mode::Search | Mode::PlanForm => {
                    screen::of(app.screen).on_action(app, other)
                }
            };
            effects = more;
            changed
        }
    };
    finish(app, changed, effects)
}

/// After each action: what changed is drawn, and the screen shown reads what it lacks.
fn finish(app: &mut App, changed: bool, mut effects: Vec<Effect>) -> Vec<Effect> {
    app.dirty |= changed;
    effects.extend(screen::of(app.screen).ensure_loaded(app));
    effects
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
