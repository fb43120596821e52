//! What can happen in the console, as data: actions in, effects out.
//!
//! Actions a key can trigger have stable `snake_case` names (serde), which is what `[keys]` in
//! `config.toml`, the help overlay and the command palette use. Actions that carry data (results
//! of database work, typed text, resizes, mouse clicks) come from the event loop and cannot be
//! bound to keys.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::photos::PhotoData;
use super::roster::Roster;
use crate::code::QrMatrix;
use crate::domain::Student;
use crate::domain::planner::Plan;
use crate::domain::search::{Query, SearchIndex, SearchResult};
use crate::export::FileKind;
use crate::i18n::tr;
use crate::ops::checkin::Answer as ScanAnswer;
use crate::ops::plan::PlanRequest;
use crate::ops::report_files::ReportScope;
use crate::store::{
    AssignSummary, AuditRecord, CheckinRecord, CodeRecord, Counts, PhotoRow, ScheduleGroup,
    SessionRow,
};
use crate::store::{DailyProgress, GroupBy, GroupCounts};
use chrono::{DateTime, Utc};

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
    pub const ALL: [Screen; 5] = [
        Screen::Students,
        Screen::Sessions,
        Screen::Checkin,
        Screen::Photos,
        Screen::Reports,
    ];

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

/// A student's codes, check-ins, photo files and audit trail, for the detail pane.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub student_no: String,
    pub codes: Vec<CodeRecord>,
    pub audit: Vec<AuditRecord>,
    pub checkins: Vec<CheckinRecord>,
    /// The sessions the student is assigned to or checked in at.
    pub sessions: Vec<SessionRow>,
    pub photos: Vec<PhotoRow>,
}

/// What the code overlay shows: the student, their codes (newest first) and the QR of the
/// active one (or why it could not be drawn).
#[derive(Debug, Clone, PartialEq)]
pub struct CodeCard {
    pub student: Student,
    pub codes: Vec<CodeRecord>,
    pub qr: Option<Result<QrMatrix, String>>,
}

/// Everything `update` reacts to.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    /// Opens the help overlay, or closes it when open.
    Help,
    /// Closes whatever overlay is open, or cancels the search being typed.
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
    /// Starts typing a search.
    Search,
    /// Opens the command palette.
    Palette,
    /// Opens the code overlay of the selected student.
    ShowCode,
    /// Reissues the code shown in the overlay (after asking for the reason).
    ReissueCode,
    /// Shows or hides the selected student's history.
    ToggleDetail,
    /// Cycles the missing-filter: code, session, check-in, photo, none.
    CycleMissing,
    MissingCode,
    MissingSession,
    MissingCheckin,
    MissingPhoto,
    FilterCollege,
    FilterClass,
    FilterCounselor,
    FilterCohort,
    /// Drops every filter and the search.
    ClearFilters,
    SortNext,
    SortReverse,
    /// Takes what was typed (search, palette choice, filter value, reason).
    Accept,
    /// Deletes the last character typed.
    DeleteBack,
    /// Deletes everything typed.
    ClearInput,
    /// Photos screen: the next list of outcomes (invalid, duplicate, orphan, missing, ...).
    NextPhotoList,
    /// Photos screen: the previous list of outcomes.
    PrevPhotoList,
    /// Photos screen: the selected row's student on the Students screen.
    JumpToStudent,
    /// Reports: shows the classes of the selected college.
    ReportDrillDown,
    /// Reports: back from a college's classes or counselors to the colleges.
    ReportBack,
    /// Reports: switches a college's breakdown between its classes and its counselors.
    ReportSwitchGroup,
    /// Reports: writes the report on screen (and the missing lists) as XLSX.
    ExportReportXlsx,
    /// Reports: writes the report on screen as CSV.
    ExportReportCsv,
    /// Students: writes the students shown (filters and search applied) as XLSX.
    ExportStudentsXlsx,
    /// Students: the same list as CSV.
    ExportStudentsCsv,
    /// Scrolls the history pane down.
    DetailDown,
    /// Scrolls the history pane up.
    DetailUp,

    /// A character typed into the search, palette, picker or reason.
    #[serde(skip)]
    Input(char),
    /// Text pasted into the search, palette, picker or reason.
    #[serde(skip)]
    Paste(String),
    /// The terminal now has this many columns and rows.
    #[serde(skip)]
    Resize(u16, u16),
    /// A mouse click on a row of the student list (index into the rows shown).
    #[serde(skip)]
    Select(usize),
    /// A mouse click on a tab.
    #[serde(skip)]
    Show(Screen),
    /// The first rows of the load with this generation, ahead of the whole roster
    /// (docs/console.md, "The first screen").
    #[serde(skip)]
    PageLoaded {
        generation: u64,
        result: Result<Vec<crate::store::StudentRow>, String>,
    },
    /// The answer to the load with this generation (stale answers are dropped).
    #[serde(skip)]
    StudentsLoaded {
        generation: u64,
        result: Result<Roster, String>,
    },
    #[serde(skip)]
    CountsLoaded {
        generation: u64,
        result: Result<Counts, String>,
    },
    /// The answer to a search.
    #[serde(skip)]
    Searched {
        generation: u64,
        result: Arc<SearchResult>,
    },
    #[serde(skip)]
    HistoryLoaded {
        generation: u64,
        result: Result<History, String>,
    },
    #[serde(skip)]
    CodeLoaded {
        generation: u64,
        result: Result<Box<CodeCard>, String>,
    },
    /// A reissue finished: the new serial, or why it failed.
    #[serde(skip)]
    Reissued {
        generation: u64,
        result: Result<i64, String>,
    },
    /// The wait before retrying a failed load is over.
    #[serde(skip)]
    RetryDue {
        generation: u64,
    },

    /// Assigns the students of the Students screen's college/class filter to the selected
    /// session (after asking).
    AssignFiltered,
    /// Opens the plan form: sessions for the students without one, shown as a dry run first.
    PlanSessions,
    /// Check-in: takes the student just refused as not in this session as a walk-in here,
    /// moving their assignment (asks first; the same key again confirms).
    WalkIn,
    /// The sessions with their head counts and classes.
    #[serde(skip)]
    SessionsLoaded {
        generation: u64,
        result: Result<SessionsData, String>,
    },
    /// The answer to scan `id`; an error means the scan was NOT recorded.
    #[serde(skip)]
    Scanned {
        id: u64,
        result: Result<ScanAnswer, String>,
    },
    /// The answer to scan `id` at a station that journals (docs/console.md "Offline"): the
    /// answer, its provisional label if it was queued, and whether the server is away.
    #[serde(skip)]
    StationScanned {
        id: u64,
        scan: Box<crate::tui::station::StationScan>,
    },
    /// The journals were sent (all, or until the server went away again).
    #[serde(skip)]
    Synced {
        report: Box<crate::tui::station::SyncReport>,
    },
    /// An assignment finished.
    #[serde(skip)]
    Assigned {
        result: Result<AssignSummary, String>,
    },
    /// A plan was worked out (`created` empty) or created.
    #[serde(skip)]
    Planned {
        generation: u64,
        result: Result<PlanOutcome, String>,
    },
    /// The answer to a load of the Photos screen's data.
    #[serde(skip)]
    PhotosLoaded {
        generation: u64,
        result: Result<Arc<PhotoData>, String>,
    },
    /// The answer to the Reports screen's load.
    #[serde(skip)]
    ReportsLoaded {
        generation: u64,
        result: Result<ReportData, String>,
    },
    /// The answer to a college's breakdown by class or counselor.
    #[serde(skip)]
    BreakdownLoaded {
        generation: u64,
        result: Result<Vec<GroupCounts>, String>,
    },
    /// The check-ins and valid photos per day of the college opened.
    #[serde(skip)]
    CollegeDailyLoaded {
        generation: u64,
        result: Result<Vec<DailyProgress>, String>,
    },
    /// An export finished: the file written, or why not.
    #[serde(skip)]
    ReportExported {
        generation: u64,
        result: Result<PathBuf, String>,
    },
    /// Fresh roster counts for the header (after a change, or polled).
    #[serde(skip)]
    CountsRefreshed {
        generation: u64,
        result: Result<Counts, String>,
    },
    /// Time to read again what the screen shows (another station may have changed it).
    #[serde(skip)]
    PollDue,
    /// The Students export finished: the file and how many students it lists, or why not.
    #[serde(skip)]
    StudentsExported {
        generation: u64,
        result: Result<(PathBuf, usize), String>,
    },
}

/// What the Sessions and Check-in screens show, read in one go.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionsData {
    pub sessions: Vec<SessionRow>,
    pub groups: Vec<ScheduleGroup>,
    /// The database machine's clock is not asked; this is the station's time of the read.
    pub now: DateTime<Utc>,
}

/// A plan worked out by the planner, and the sessions created from it (none on a dry run).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanOutcome {
    pub plan: Plan,
    pub waiting: usize,
    pub created: Vec<i64>,
    /// Overlaps with existing sessions and overloaded sessions, shown before creating.
    pub warnings: Vec<crate::ops::plan::PlanWarning>,
}

impl Action {
    /// Every action a key can be bound to, in the order help lists them.
    pub const BINDABLE: [Action; 52] = [
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
        Action::Search,
        Action::Palette,
        Action::ShowCode,
        Action::ReissueCode,
        Action::ToggleDetail,
        Action::CycleMissing,
        Action::MissingCode,
        Action::MissingSession,
        Action::MissingCheckin,
        Action::MissingPhoto,
        Action::FilterCollege,
        Action::FilterClass,
        Action::FilterCounselor,
        Action::FilterCohort,
        Action::ClearFilters,
        Action::SortNext,
        Action::SortReverse,
        Action::Accept,
        Action::DeleteBack,
        Action::ClearInput,
        Action::AssignFiltered,
        Action::PlanSessions,
        Action::WalkIn,
        Action::NextPhotoList,
        Action::PrevPhotoList,
        Action::JumpToStudent,
        Action::ReportDrillDown,
        Action::ReportBack,
        Action::ReportSwitchGroup,
        Action::ExportReportXlsx,
        Action::ExportReportCsv,
        Action::ExportStudentsXlsx,
        Action::ExportStudentsCsv,
        Action::DetailDown,
        Action::DetailUp,
    ];

    /// The name used in `[keys]` and the palette; `None` for actions that carry data.
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
            Action::Search => "search",
            Action::Palette => "palette",
            Action::ShowCode => "show_code",
            Action::ReissueCode => "reissue_code",
            Action::ToggleDetail => "toggle_detail",
            Action::CycleMissing => "cycle_missing",
            Action::MissingCode => "missing_code",
            Action::MissingSession => "missing_session",
            Action::MissingCheckin => "missing_checkin",
            Action::MissingPhoto => "missing_photo",
            Action::FilterCollege => "filter_college",
            Action::FilterClass => "filter_class",
            Action::FilterCounselor => "filter_counselor",
            Action::FilterCohort => "filter_cohort",
            Action::ClearFilters => "clear_filters",
            Action::SortNext => "sort_next",
            Action::SortReverse => "sort_reverse",
            Action::Accept => "accept",
            Action::DeleteBack => "delete_back",
            Action::ClearInput => "clear_input",
            Action::AssignFiltered => "assign_filtered",
            Action::PlanSessions => "plan_sessions",
            Action::WalkIn => "walk_in",
            Action::NextPhotoList => "next_photo_list",
            Action::PrevPhotoList => "prev_photo_list",
            Action::JumpToStudent => "jump_to_student",
            Action::ReportDrillDown => "report_drill_down",
            Action::ReportBack => "report_back",
            Action::ReportSwitchGroup => "report_switch_group",
            Action::ExportReportXlsx => "export_report_xlsx",
            Action::ExportReportCsv => "export_report_csv",
            Action::ExportStudentsXlsx => "export_students_xlsx",
            Action::ExportStudentsCsv => "export_students_csv",
            Action::DetailDown => "detail_down",
            Action::DetailUp => "detail_up",
            Action::Input(_)
            | Action::Paste(_)
            | Action::Resize(..)
            | Action::Select(_)
            | Action::Show(_)
            | Action::PageLoaded { .. }
            | Action::StudentsLoaded { .. }
            | Action::CountsLoaded { .. }
            | Action::Searched { .. }
            | Action::HistoryLoaded { .. }
            | Action::CodeLoaded { .. }
            | Action::Reissued { .. }
            | Action::RetryDue { .. }
            | Action::SessionsLoaded { .. }
            | Action::Scanned { .. }
            | Action::StationScanned { .. }
            | Action::Synced { .. }
            | Action::Assigned { .. }
            | Action::Planned { .. }
            | Action::PhotosLoaded { .. }
            | Action::ReportsLoaded { .. }
            | Action::BreakdownLoaded { .. }
            | Action::CollegeDailyLoaded { .. }
            | Action::ReportExported { .. }
            | Action::StudentsExported { .. }
            | Action::CountsRefreshed { .. }
            | Action::PollDue => return None,
        })
    }

    /// The bindable action called `name` in `[keys]`.
    pub fn from_name(name: &str) -> Option<Action> {
        use serde::de::IntoDeserializer;
        let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Action::deserialize(de).ok()
    }
}

/// A search index shared with the task that searches it; equal when it is the same index.
#[derive(Clone)]
pub struct IndexRef(pub Arc<SearchIndex>);

impl PartialEq for IndexRef {
    fn eq(&self, other: &IndexRef) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for IndexRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexRef({} rows)", self.0.len())
    }
}

/// Work `update` asks the event loop to start; its result comes back as an action. A new effect
/// of a kind replaces the one of that kind still running (only the newest answer matters).
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Read the students of `cohort` (all cohorts with `None`) and the roster counts.
    Load {
        generation: u64,
        cohort: Option<i32>,
    },
    /// Search the index; `previous` is the answer `query` may narrow.
    Search {
        generation: u64,
        index: IndexRef,
        query: Query,
        previous: Option<Arc<SearchResult>>,
    },
    /// Read a student's history; `session_id` is the session they are assigned to.
    LoadHistory {
        generation: u64,
        student_no: String,
        session_id: Option<i64>,
    },
    /// Read a student's codes for the code overlay, and write the `show` audit entry.
    LoadCode { generation: u64, student_no: String },
    /// Revoke the student's active code and issue a new one, for `reason`.
    Reissue {
        generation: u64,
        student_no: String,
        reason: String,
    },
    /// Read the roster counts for the header.
    LoadCounts { generation: u64 },
    /// Answer `PollDue` after this long.
    PollLater { after: Duration },
    /// Answer `RetryDue` after this long.
    RetryLater { generation: u64, after: Duration },
    /// Read the sessions, their counts and classes.
    LoadSessions { generation: u64 },
    /// Check the scanned `line` in at `session_id` (never cut off by a newer scan).
    Scan {
        id: u64,
        session_id: i64,
        line: String,
        station: String,
        allow_walk_in: bool,
        /// A make-up retake confirmed with this reason (docs/sessions.md).
        retake_reason: Option<String>,
    },
    /// Send the station's journals after this long (docs/console.md "Offline").
    SyncLater { after: Duration },
    /// Assign everyone (not withdrawn) of a college and/or class to a session.
    Assign {
        session_id: i64,
        college: Option<String>,
        class: Option<String>,
    },
    /// Work a plan out, and create it when `create`.
    Plan {
        generation: u64,
        request: PlanRequest,
        create: bool,
    },
    /// Read the last reconcile's summary and the photo rows of its folder.
    LoadPhotos { generation: u64 },
    /// Read completion by college (of `cohort`) and the daily progress, for the Reports screen.
    LoadReports {
        generation: u64,
        cohort: Option<i32>,
    },
    /// Read the completion of one college's classes or counselors, and its daily progress.
    LoadBreakdown {
        generation: u64,
        college: String,
        by: GroupBy,
        cohort: Option<i32>,
    },
    /// Write the students of `view` (rows of `roster`, in that order) as a file of `kind` into
    /// the export folder, audited. `name` goes into the file name, `what` into the audit entry.
    ExportStudents {
        generation: u64,
        roster: Roster,
        view: Vec<u32>,
        kind: FileKind,
        name: String,
        what: String,
    },
    /// Write the report `groups` of `scope` as a file of `kind` into the export folder, audited.
    ExportReport {
        generation: u64,
        scope: ReportScope,
        groups: Vec<GroupCounts>,
        kind: FileKind,
    },
}

/// What the Reports screen reads at once: completion by college and the progress per day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportData {
    pub colleges: Vec<GroupCounts>,
    pub daily: Vec<DailyProgress>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindable_names_round_trip_through_serde() {
        let mut seen = std::collections::HashSet::new();
        for action in Action::BINDABLE {
            let name = action.name().expect("bindable actions have names");
            assert_eq!(Action::from_name(name), Some(action.clone()), "{name}");
            seen.insert(name);
        }
        // every named action is in the list (the list feeds help, the palette and config errors)
        for name in [
            "search",
            "palette",
            "show_code",
            "reissue_code",
            "toggle_detail",
            "cycle_missing",
            "missing_photo",
            "filter_cohort",
            "clear_filters",
            "sort_reverse",
            "accept",
            "delete_back",
            "clear_input",
        ] {
            assert!(seen.contains(name), "{name} missing from BINDABLE");
        }
    }

    #[test]
    fn data_actions_cannot_be_named_in_config() {
        for name in [
            "resize",
            "select",
            "show",
            "input",
            "paste",
            "students_loaded",
            "counts_loaded",
            "searched",
            "history_loaded",
            "code_loaded",
            "reissued",
            "retry_due",
            "reports_loaded",
            "breakdown_loaded",
            "report_exported",
            "Quit",
            "",
            "quit ",
        ] {
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
