//! The console's state and `update`: the only place state changes, and it does no I/O.
//!
//! Work that needs the database is returned as `Effect`s; the event loop runs it on a tokio task
//! and feeds the answer back as an action. Every load carries a generation number, and answers
//! to an older generation are dropped, so a slow answer can never overwrite a newer one.

use super::SchoolInfo;
use super::action::{Action, Effect, Screen};
use super::keymap::Keymap;
use super::theme::Theme;
use super::ui;
use super::widgets;
use crate::store::{Counts, StudentRow};

/// Widest value of each text column over the whole list, measured once per load so that drawing
/// a frame never scans 100,000 rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentWidths {
    pub student_no: usize,
    pub name: usize,
    pub college: usize,
    pub class: usize,
    pub session: usize,
}

impl ContentWidths {
    pub fn measure(rows: &[StudentRow]) -> ContentWidths {
        let mut w = ContentWidths::default();
        for r in rows {
            let s = &r.student;
            w.student_no = w.student_no.max(widgets::width(&widgets::clean(&s.student_no)));
            w.name = w.name.max(widgets::width(&widgets::clean(&s.name)));
            w.college = w.college.max(widgets::width(&widgets::clean(&s.college)));
            w.class = w.class.max(widgets::width(&widgets::clean(&s.class)));
            if let Some(id) = r.session_id {
                w.session = w.session.max(id.to_string().len() + 1);
            }
        }
        w
    }
}

/// Where the answers to the current load stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoadState {
    /// Nothing asked yet.
    Idle,
    /// Waiting for this many answers (students, counts).
    Waiting(u8),
    Done,
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
    pub students: Vec<StudentRow>,
    pub widths: ContentWidths,
    pub counts: Option<Counts>,
    /// Index of the selected row in `students`.
    pub selected: usize,
    /// Index of the first row on screen.
    pub offset: usize,
    pub generation: u64,
    pub load: LoadState,
    /// True once a student list has arrived, so "empty" is not confused with "not read yet".
    pub students_loaded: bool,
    /// The most recent error, for the status bar.
    pub last_error: Option<String>,
    /// Why the last student list could not be read, if it could not.
    pub students_error: Option<String>,
    /// Why the last counts could not be read, if they could not.
    pub counts_error: Option<String>,
    /// An answer of the current load failed (its error is `last_error`).
    load_failed: bool,
    /// Terminal columns and rows.
    pub size: (u16, u16),
    pub quit: bool,
    /// Something visible changed since the last frame.
    pub dirty: bool,
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
        App {
            school,
            operator,
            database_url,
            keymap,
            theme,
            screen: Screen::Students,
            help_open: false,
            help_scroll: 0,
            students: Vec::new(),
            widths: ContentWidths::default(),
            counts: None,
            selected: 0,
            offset: 0,
            generation: 0,
            load: LoadState::Idle,
            students_loaded: false,
            last_error: None,
            students_error: None,
            counts_error: None,
            load_failed: false,
            size,
            quit: false,
            dirty: true,
        }
    }

    pub fn loading(&self) -> bool {
        matches!(self.load, LoadState::Waiting(_))
    }

    /// Rows of the student list that fit on screen now.
    pub fn page_rows(&self) -> usize {
        ui::list_rows(self.size)
    }

    fn select(&mut self, index: usize) -> bool {
        let last = self.students.len().saturating_sub(1);
        let index = index.min(last);
        let before = (self.selected, self.offset);
        self.selected = index;
        self.scroll_into_view();
        before != (self.selected, self.offset)
    }

    /// Keeps the selection on screen and the screen full, moving the window as little as possible.
    fn scroll_into_view(&mut self) {
        let rows = self.page_rows().max(1);
        let len = self.students.len();
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + rows {
            self.offset = self.selected + 1 - rows;
        }
        self.offset = self.offset.min(len.saturating_sub(rows));
    }

    /// Pages move the window and the selection together, so the selected row keeps its place.
    fn page(&mut self, down: bool) -> bool {
        let rows = self.page_rows().max(1);
        let before = (self.selected, self.offset);
        if down {
            let max_offset = self.students.len().saturating_sub(rows);
            self.offset = (self.offset + rows).min(max_offset);
            self.selected = (self.selected + rows).min(self.students.len().saturating_sub(1));
        } else {
            self.offset = self.offset.saturating_sub(rows);
            self.selected = self.selected.saturating_sub(rows);
        }
        self.scroll_into_view();
        before != (self.selected, self.offset)
    }

    fn scroll_help(&mut self, to: usize) -> bool {
        let to = to.min(ui::help::max_scroll(self));
        let changed = to != self.help_scroll;
        self.help_scroll = to;
        changed
    }

    fn show(&mut self, screen: Screen) -> bool {
        let changed = screen != self.screen;
        self.screen = screen;
        self.help_scroll = self.help_scroll.min(ui::help::max_scroll(self));
        changed
    }

    fn start_load(&mut self) -> Vec<Effect> {
        self.generation += 1;
        self.load = LoadState::Waiting(2);
        self.load_failed = false;
        vec![Effect::Load { generation: self.generation, cohort: self.school.cohort }]
    }

    /// Counts one answer of the current load; the previous error goes once all succeeded.
    fn answered(&mut self, error: Option<String>) {
        if let Some(e) = error {
            self.last_error = Some(e);
            self.load_failed = true;
        }
        if let LoadState::Waiting(n) = self.load {
            self.load = if n <= 1 { LoadState::Done } else { LoadState::Waiting(n - 1) };
        }
        if self.load == LoadState::Done && !self.load_failed {
            self.last_error = None;
        }
    }

    fn students_arrived(&mut self, rows: Vec<StudentRow>) {
        // Keep the same student selected across a reload, wherever the list moved them.
        let keep = self.students.get(self.selected).map(|r| r.id);
        self.widths = ContentWidths::measure(&rows);
        self.students = rows;
        self.students_loaded = true;
        let index = keep.and_then(|id| self.students.iter().position(|r| r.id == id)).unwrap_or(self.selected);
        self.selected = index.min(self.students.len().saturating_sub(1));
        self.scroll_into_view();
    }
}

/// Applies `action` to the state and says what work to start. No I/O happens here.
pub fn update(app: &mut App, action: Action) -> Vec<Effect> {
    let mut effects = Vec::new();
    let changed = match action {
        Action::Quit => {
            app.quit = true;
            true
        }
        Action::Help => {
            app.help_open = !app.help_open;
            app.help_scroll = 0;
            true
        }
        Action::Close => std::mem::replace(&mut app.help_open, false),
        Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::First | Action::Last
            if app.help_open =>
        {
            let page = ui::help::visible_lines(app).max(1);
            let to = match action {
                Action::MoveUp => app.help_scroll.saturating_sub(1),
                Action::MoveDown => app.help_scroll + 1,
                Action::PageUp => app.help_scroll.saturating_sub(page),
                Action::PageDown => app.help_scroll + page,
                Action::First => 0,
                _ => usize::MAX,
            };
            app.scroll_help(to)
        }
        Action::MoveUp | Action::MoveDown | Action::PageUp | Action::PageDown | Action::First | Action::Last
            if app.screen != Screen::Students =>
        {
            false
        }
        Action::MoveUp => app.select(app.selected.saturating_sub(1)),
        Action::MoveDown => app.select(app.selected + 1),
        Action::PageUp => app.page(false),
        Action::PageDown => app.page(true),
        Action::First => app.select(0),
        Action::Last => app.select(usize::MAX),
        Action::NextScreen => app.show(app.screen.cycle(1)),
        Action::PrevScreen => app.show(app.screen.cycle(-1)),
        Action::ScreenStudents => app.show(Screen::Students),
        Action::ScreenSessions => app.show(Screen::Sessions),
        Action::ScreenCheckin => app.show(Screen::Checkin),
        Action::ScreenPhotos => app.show(Screen::Photos),
        Action::ScreenReports => app.show(Screen::Reports),
        Action::Show(screen) => app.show(screen),
        Action::Select(index) => index < app.students.len() && app.select(index),
        Action::Reload => {
            effects = app.start_load();
            true
        }
        Action::Resize(w, h) => {
            let changed = app.size != (w, h);
            app.size = (w, h);
            app.scroll_into_view();
            app.help_scroll = app.help_scroll.min(ui::help::max_scroll(app));
            changed
        }
        Action::StudentsLoaded { generation, result } => {
            if generation != app.generation {
                return effects; // a newer load is on its way
            }
            match result {
                Ok(rows) => {
                    app.students_arrived(rows);
                    app.students_error = None;
                    app.answered(None);
                }
                Err(e) => {
                    app.students_error = Some(e.clone());
                    app.answered(Some(e));
                }
            }
            true
        }
        Action::CountsLoaded { generation, result } => {
            if generation != app.generation {
                return effects;
            }
            match result {
                Ok(counts) => {
                    app.counts = Some(counts);
                    app.counts_error = None;
                    app.answered(None);
                }
                Err(e) => {
                    app.counts_error = Some(e.clone());
                    app.answered(Some(e));
                }
            }
            true
        }
    };
    app.dirty |= changed;
    effects
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
