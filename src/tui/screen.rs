//! One shape for every screen (docs/console.md, "Screens"): the key scopes it reads keys in,
//! what an action does on it, the answers to its tasks, what it reads before it can be drawn
//! and again on each poll, and how it is drawn. `of` is the one place that picks the screen: `update` sends actions and
//! answers through it, `Scope::active` asks it for the keys, `ui::render` for the body.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::action::{Action, Effect, Screen};
use super::app::App;
use super::keymap::{Mode, Scope};
use super::theme::Role;
use super::{modes, photos, reports, sessions, students, ui};

/// Whether the frame changed, and the work to start.
pub type Outcome = (bool, Vec<Effect>);

/// What a screen does with an action offered to it as an answer.
pub enum Answer {
    /// One of its answers, applied.
    Taken(Outcome),
    /// One of its answers, to older work: dropped, nothing else happens.
    Dropped,
    /// Not one of its answers: given back.
    Other(Action),
}

pub trait ScreenView: Sync {
    /// The key table's scopes in force while the screen has the keys, first match first.
    fn scopes(&self) -> Vec<Scope>;
    /// What `action` does while the screen is shown and no window is over it (a search or the
    /// plan form typed on it included). Keys the screen leaves go to `modes::screen`: switching
    /// screens, reloading, the palette.
    fn on_action(&self, app: &mut App, action: Action) -> Outcome;
    /// An answer to the screen's own work, whether it is shown or not.
    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer;
    /// The work to start after any action while the screen is shown: what it has not read yet.
    fn ensure_loaded(&self, _app: &mut App) -> Vec<Effect> {
        Vec::new()
    }
    /// A poll is due while the screen is shown: what other stations change on it, read again.
    fn on_poll(&self, _app: &mut App) -> Vec<Effect> {
        Vec::new()
    }
    /// Draws the screen in `area`, between the tab line and the status bar.
    fn render(&self, app: &App, frame: &mut Frame, area: Rect);
    /// The screen's own typing mode, when one is open on it (a search, a form): its keys
    /// come before the screen's.
    fn mode(&self, _app: &App) -> Option<Mode> {
        None
    }
    /// What the status bar says for the screen when there is no error and no message.
    fn notice(&self, _app: &App) -> Option<Notice> {
        None
    }
}

/// A screen's line in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub role: Role,
    /// Whether the count of students shown stays beside it.
    pub with_count: bool,
}

/// The screen's view: the one place a `Screen` is matched to its code.
pub fn of(screen: Screen) -> &'static dyn ScreenView {
    match screen {
        Screen::Students => &StudentsView,
        Screen::Sessions => &SessionsView,
        Screen::Checkin => &CheckinView,
        Screen::Photos => &PhotosView,
        Screen::Reports => &ReportsView,
    }
}

/// Gives an answer to the screen whose work it was; gives back any other action.
pub fn answer(app: &mut App, mut action: Action) -> Answer {
    for screen in Screen::ALL {
        match of(screen).on_loaded(app, action) {
            Answer::Other(other) => action = other,
            done => return done,
        }
    }
    Answer::Other(action)
}

struct StudentsView;

impl ScreenView for StudentsView {
    fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Students, Scope::Global]
    }

    fn on_action(&self, app: &mut App, action: Action) -> Outcome {
        if app.mode() == Mode::Search {
            modes::search(app, action)
        } else {
            modes::students(app, action)
        }
    }

    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer {
        students::answer(app, answer)
    }

    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        ui::students::render(app, frame, area)
    }

    fn mode(&self, app: &App) -> Option<Mode> {
        app.students.search.editing.then_some(Mode::Search)
    }
}

struct SessionsView;

impl ScreenView for SessionsView {
    fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Sessions, Scope::Global]
    }

    fn on_action(&self, app: &mut App, action: Action) -> Outcome {
        if app.mode() == Mode::PlanForm {
            sessions::plan_form(app, action)
        } else {
            sessions::sessions_screen(app, action)
        }
    }

    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer {
        match answer {
            Action::SessionsLoaded { .. } | Action::Assigned { .. } | Action::Planned { .. } => {
                Answer::Taken(sessions::answered(app, &answer).unwrap_or_default())
            }
            other => Answer::Other(other),
        }
    }

    fn ensure_loaded(&self, app: &mut App) -> Vec<Effect> {
        sessions::ensure_loaded(app)
    }

    fn on_poll(&self, app: &mut App) -> Vec<Effect> {
        sessions_poll(app)
    }

    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        ui::sessions::render(app, frame, area)
    }

    fn mode(&self, app: &App) -> Option<Mode> {
        app.sessions.form.is_some().then_some(Mode::PlanForm)
    }

    /// What the last assignment or plan did.
    fn notice(&self, app: &App) -> Option<Notice> {
        let (text, role) = match app.sessions.notice.as_ref()? {
            Err(e) => (e.clone(), Role::Error),
            Ok(n) => (n.clone(), Role::StatusOk),
        };
        Some(Notice {
            text,
            role,
            with_count: true,
        })
    }
}

/// Sessions and check-ins change at other stations: both screens read them again on a poll.
fn sessions_poll(app: &mut App) -> Vec<Effect> {
    if app.sessions.loading {
        Vec::new()
    } else {
        app.sessions.reload()
    }
}

struct CheckinView;

impl ScreenView for CheckinView {
    /// Printable keys are text for the scan line: no global letters here.
    fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Checkin]
    }

    fn on_action(&self, app: &mut App, action: Action) -> Outcome {
        sessions::checkin_screen(app, action)
    }

    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer {
        match answer {
            Action::Scanned { .. } | Action::StationScanned { .. } | Action::Synced { .. } => {
                Answer::Taken(sessions::answered(app, &answer).unwrap_or_default())
            }
            other => Answer::Other(other),
        }
    }

    /// The session running now comes from the sessions the Sessions screen reads.
    fn ensure_loaded(&self, app: &mut App) -> Vec<Effect> {
        sessions::ensure_loaded(app)
    }

    fn on_poll(&self, app: &mut App) -> Vec<Effect> {
        sessions_poll(app)
    }

    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        ui::checkin::render(app, frame, area)
    }
}

struct PhotosView;

impl ScreenView for PhotosView {
    fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Photos, Scope::Global]
    }

    fn on_action(&self, app: &mut App, action: Action) -> Outcome {
        match photos::handle(app, &action) {
            Some(outcome) => outcome,
            None => modes::screen(app, action),
        }
    }

    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer {
        match answer {
            Action::PhotosLoaded { generation, result } => {
                Answer::Taken((photos::loaded(app, generation, result), Vec::new()))
            }
            other => Answer::Other(other),
        }
    }

    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        ui::photos::render(app, frame, area)
    }
}

struct ReportsView;

impl ScreenView for ReportsView {
    fn scopes(&self) -> Vec<Scope> {
        vec![Scope::Reports, Scope::Global]
    }

    fn on_action(&self, app: &mut App, action: Action) -> Outcome {
        match reports::on_action(app, &action) {
            Some(outcome) => outcome,
            None => modes::screen(app, action),
        }
    }

    fn on_loaded(&self, app: &mut App, answer: Action) -> Answer {
        match answer {
            Action::ReportsLoaded { .. }
            | Action::BreakdownLoaded { .. }
            | Action::CollegeDailyLoaded { .. }
            | Action::ReportExported { .. } => {
                Answer::Taken((reports::answer(app, answer), Vec::new()))
            }
            other => Answer::Other(other),
        }
    }

    /// The reports are read the first time the screen is shown.
    fn ensure_loaded(&self, app: &mut App) -> Vec<Effect> {
        if app.reports.requested {
            Vec::new()
        } else {
            reports::refresh(app)
        }
    }

    fn on_poll(&self, app: &mut App) -> Vec<Effect> {
        if app.reports.loading {
            Vec::new()
        } else {
            reports::refresh(app)
        }
    }

    fn render(&self, app: &App, frame: &mut Frame, area: Rect) {
        ui::reports::render(app, frame, area)
    }

    fn notice(&self, app: &App) -> Option<Notice> {
        ui::reports::status_notice(app)
    }
}
