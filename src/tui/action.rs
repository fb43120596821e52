//! What can happen in the console, as data: actions in, effects out.
//!
//! Actions a key can trigger have stable `snake_case` names (serde), which is what `[keys]` in
//! `config.toml` and the help overlay use. Actions that carry data (results of database work,
//! resizes, mouse clicks) come from the event loop and cannot be bound to keys.

use serde::Deserialize;

use crate::i18n::tr;
use crate::store::{Counts, StudentRow};

/// The console's screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    Students,
    Sessions,
    Checkin,
    Photos,
    Reports,
}

impl Screen {
    pub const ALL: [Screen; 5] = [Screen::Students, Screen::Sessions, Screen::Checkin, Screen::Photos, Screen::Reports];

    pub fn title(self) -> &'static str {
        match self {
            Screen::Students => tr("学生", "Students"),
            Screen::Sessions => tr("场次", "Sessions"),
            Screen::Checkin => tr("签到", "Check-in"),
            Screen::Photos => tr("照片", "Photos"),
            Screen::Reports => tr("报表", "Reports"),
        }
    }

    pub fn index(self) -> usize {
        Screen::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The next screen in tab order (wrapping), or the previous one with `step = -1`.
    pub fn cycle(self, step: isize) -> Screen {
        let n = Screen::ALL.len() as isize;
        let i = (self.index() as isize + step).rem_euclid(n);
        Screen::ALL[i as usize]
    }
}

/// Everything `update` reacts to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    /// Opens the help overlay, or closes it when open.
    Help,
    /// Closes whatever overlay is open.
    Close,
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    First,
    Last,
    NextScreen,
    PrevScreen,
    ScreenStudents,
    ScreenSessions,
    ScreenCheckin,
    ScreenPhotos,
    ScreenReports,
    /// Reads the roster and counts from the database again.
    Reload,

    /// The terminal now has this many columns and rows.
    #[serde(skip)]
    Resize(u16, u16),
    /// A mouse click on a row of the student list (index into the whole list).
    #[serde(skip)]
    Select(usize),
    /// A mouse click on a tab.
    #[serde(skip)]
    Show(Screen),
    /// The answer to the load with this generation (stale answers are dropped).
    #[serde(skip)]
    StudentsLoaded {
        generation: u64,
        result: Result<Vec<StudentRow>, String>,
    },
    #[serde(skip)]
    CountsLoaded {
        generation: u64,
        result: Result<Counts, String>,
    },
}

impl Action {
    /// Every action a key can be bound to, in the order help lists them.
    pub const BINDABLE: [Action; 17] = [
        Action::Quit,
        Action::Help,
        Action::Close,
        Action::MoveUp,
        Action::MoveDown,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::NextScreen,
        Action::PrevScreen,
        Action::ScreenStudents,
        Action::ScreenSessions,
        Action::ScreenCheckin,
        Action::ScreenPhotos,
        Action::ScreenReports,
        Action::Reload,
    ];

    /// The name used in `[keys]`; `None` for actions that carry data.
    pub fn name(&self) -> Option<&'static str> {
        Some(match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Close => "close",
            Action::MoveUp => "move_up",
            Action::MoveDown => "move_down",
            Action::PageUp => "page_up",
            Action::PageDown => "page_down",
            Action::First => "first",
            Action::Last => "last",
            Action::NextScreen => "next_screen",
            Action::PrevScreen => "prev_screen",
            Action::ScreenStudents => "screen_students",
            Action::ScreenSessions => "screen_sessions",
            Action::ScreenCheckin => "screen_checkin",
            Action::ScreenPhotos => "screen_photos",
            Action::ScreenReports => "screen_reports",
            Action::Reload => "reload",
            Action::Resize(..)
            | Action::Select(_)
            | Action::Show(_)
            | Action::StudentsLoaded { .. }
            | Action::CountsLoaded { .. } => return None,
        })
    }

    /// The bindable action called `name` in `[keys]`.
    pub fn from_name(name: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> = name.into_deserializer();
        Action::deserialize(de).ok()
    }
}

/// Work `update` asks the event loop to start; its result comes back as an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Read the students of `cohort` and the roster counts; answer with `generation`.
    Load { generation: u64, cohort: i32 },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindable_names_round_trip_through_serde() {
        for action in Action::BINDABLE {
            let name = action.name().expect("bindable actions have names");
            assert_eq!(Action::from_name(name), Some(action.clone()), "{name}");
        }
    }

    #[test]
    fn data_actions_cannot_be_named_in_config() {
        for name in ["resize", "select", "show", "students_loaded", "counts_loaded", "Quit", "", "quit "] {
            assert_eq!(Action::from_name(name), None, "{name:?}");
        }
    }

    #[test]
    fn screens_cycle_both_ways() {
        assert_eq!(Screen::Students.cycle(1), Screen::Sessions);
        assert_eq!(Screen::Reports.cycle(1), Screen::Students);
        assert_eq!(Screen::Students.cycle(-1), Screen::Reports);
        assert_eq!(Screen::Photos.cycle(-1), Screen::Checkin);
    }
}
