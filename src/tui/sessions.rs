//! The Sessions and Check-in screens: their state, what actions do there (part of `update`, no
//! I/O) and the tasks that read sessions, check scans in, assign and plan.
//!
//! Scans go through the same code as `caiji sessions checkin` (`ops::checkin::answer`),
//! so a code is judged the same at the console and at a scanner loop.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};

use crate::clock::local_date;

use super::action::{Action, Effect, PlanOutcome, Screen, SessionsData};
use super::app::App;
use super::keymap::{Key, Scope};
use super::modes;
use super::overlay;
use crate::i18n::{Lang, lang, tr};
use crate::ops::checkin::{self as scan, Answer, Sessions as SessionNames, Station, StationKeys};
use crate::ops::plan::{self as plan_ops, PlanRequest};
use crate::ops::time::now;
use crate::store::{AssignSummary, SessionRow, Store};

type Outcome = (bool, Vec<Effect>);

/// The keyring of this station, shared with the scan tasks.
pub type Keys = Arc<StationKeys>;

/// How many scans the Check-in screen remembers.
const KEEP_SCANS: usize = 50;
/// The longest scan line taken (a real code is about 150 characters).
const MAX_SCAN: usize = 512;

/// What is waiting for a yes on the Sessions screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignConfirm {
    pub session_id: i64,
    pub college: Option<String>,
    pub class: Option<String>,
}

/// The plan form: its fields as typed, which one has the cursor, and the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanForm {
    /// from, days, slots, location, stations, rate, colleges
    pub fields: [String; 7],
    pub focus: usize,
    pub generation: u64,
    /// The dry run of exactly these fields, once it is in.
    pub preview: Option<Result<PlanOutcome, String>>,
    /// Waiting for the planner (or the creation).
    pub busy: bool,
    /// Why the fields cannot be planned as typed.
    pub error: Option<String>,
}

/// The field of the plan form that names colleges.
pub const COLLEGES_FIELD: usize = 6;

impl PlanForm {
    pub const LABELS: [(&str, &str); 7] = [
        ("首日", "first day"),
        ("天数", "days"),
        ("时段", "daily slots"),
        ("地点", "location"),
        ("工位数", "stations"),
        ("每工位每小时", "per station-hour"),
        ("学院", "colleges"),
    ];

    fn new(today: NaiveDate, location: &str) -> PlanForm {
        let tomorrow = today + Duration::days(1);
        PlanForm {
            fields: [
                tomorrow.format("%Y-%m-%d").to_string(),
                "2".into(),
                "08:30-11:30,14:00-17:00".into(),
                location.to_string(),
                "4".into(),
                crate::domain::planner::DEFAULT_RATE.to_string(),
                String::new(),
            ],
            focus: 0,
            generation: 0,
            preview: None,
            busy: false,
            error: None,
        }
    }

    /// The fields read as a plan request, or what is wrong with them. `known` are the colleges
    /// of the roster: each name typed in the colleges field is one of them, or part of exactly
    /// one (`计算机, 外国语`).
    pub fn request(&self, known: &[&str]) -> Result<PlanRequest, String> {
        let [from, days, slots, location, stations, rate, colleges] = &self.fields;
        let first_day = NaiveDate::parse_from_str(from.trim(), "%Y-%m-%d").map_err(|_| {
            tr("首日请写成 YYYY-MM-DD", "write the first day as YYYY-MM-DD").to_string()
        })?;
        let number = |text: &str, range: std::ops::RangeInclusive<u32>, why: &str| {
            text.trim()
                .parse::<u32>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or_else(|| why.to_string())
        };
        let days = number(
            days,
            1..=366,
            tr(
                "天数请写 1–366 的整数",
                "days must be a whole number from 1 to 366",
            ),
        )?;
        let stations = number(
            stations,
            1..=1000,
            tr(
                "工位数请写 1–1000 的整数",
                "stations must be a whole number from 1 to 1000",
            ),
        )?;
        let rate = number(
            rate,
            1..=100_000,
            tr(
                "每工位每小时人数请写 1–100000 的整数（默认 350）",
                "students per station-hour must be a whole number from 1 to 100000 (350 by default)",
            ),
        )?;
        if location.trim().is_empty() {
            return Err(tr("请填写地点", "fill in the location").to_string());
        }
        let colleges = crate::ops::plan::split_colleges(colleges)
            .into_iter()
            .map(|typed| resolve_college(&typed, known))
            .collect::<Result<Vec<String>, String>>()?;
        Ok(PlanRequest {
            first_day,
            days,
            slots: slots.clone(),
            location: location.trim().to_string(),
            stations,
            rate,
            college_order: Vec::new(),
            colleges,
            spread: true,
            makeup: false,
        })
    }
}

/// The college `typed` names: one of `known` exactly, or the only one containing it.
fn resolve_college(typed: &str, known: &[&str]) -> Result<String, String> {
    if let Some(exact) = known.iter().find(|k| **k == typed) {
        return Ok((*exact).to_string());
    }
    let found: Vec<&str> = known
        .iter()
        .copied()
        .filter(|k| k.contains(typed))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(match lang() {
            Lang::Zh => format!("学院一栏：名单里没有「{typed}」，请写学院的名称或其中一段"),
            Lang::En => format!(
                "colleges: no college “{typed}” in the roster; write a college's name or part of it"
            ),
        }),
        many => Err(match lang() {
            Lang::Zh => format!(
                "学院一栏：「{typed}」可指 {}，请写得更完整",
                many.join("、")
            ),
            Lang::En => format!(
                "colleges: “{typed}” could be {}; write more of the name",
                many.join(", ")
            ),
        }),
    }
}

/// The Sessions screen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionsState {
    pub generation: u64,
    /// The newest answer; `None` before the first.
    pub data: Option<Result<SessionsData, String>>,
    pub loading: bool,
    pub selected: usize,
    pub confirm: Option<AssignConfirm>,
    pub form: Option<PlanForm>,
    /// An assignment is on its way.
    pub busy: bool,
    /// The outcome of the last assignment or plan, for the status line (`Err` in the error colour).
    pub notice: Option<Result<String, String>>,
}

impl SessionsState {
    pub fn rows(&self) -> &[SessionRow] {
        match &self.data {
            Some(Ok(d)) => &d.sessions,
            _ => &[],
        }
    }

    pub fn selected_row(&self) -> Option<&SessionRow> {
        self.rows().get(self.selected)
    }

    fn start_load(&mut self) -> Vec<Effect> {
        self.generation += 1;
        self.loading = true;
        vec![Effect::LoadSessions {
            generation: self.generation,
        }]
    }

    /// Reads the sessions again (a poll).
    pub(super) fn reload(&mut self) -> Vec<Effect> {
        self.start_load()
    }
}

/// One scan at the Check-in screen, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    pub id: u64,
    pub session_id: Option<i64>,
    /// `None` while the answer is on its way; `Err`: the scan was NOT recorded.
    pub result: Option<Result<Answer, String>>,
    /// The line scanned, kept while the answer may be "not in this session" (a walk-in
    /// scans it again), dropped otherwise.
    pub line: Option<String>,
    /// Scanned again to take the student as a walk-in.
    pub walk_in: bool,
    /// The provisional label of a scan queued while the server was away (`B-017`).
    pub label: Option<String>,
}

/// A student refused as not in this session, waiting for the station to take them here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkInConfirm {
    /// The refused scan.
    pub scan_id: u64,
    pub line: String,
    pub session_id: i64,
    pub masked_name: Option<String>,
    pub class: Option<String>,
    /// The session they belong to (`None`: none at all).
    pub their_session: Option<i64>,
}

/// At a make-up (补采) session, a student refused as already checked in at another session,
/// waiting for the reason that lets the station check them in again (docs/sessions.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetakeConfirm {
    /// The refused scan.
    pub scan_id: u64,
    pub line: String,
    pub session_id: i64,
    pub masked_name: Option<String>,
    pub class: Option<String>,
    /// The session and shot of the check-in that counts now.
    pub counted_session: i64,
    pub shot: Option<i32>,
    /// The reason as typed.
    pub reason: String,
    /// Why the reason was not taken.
    pub error: Option<String>,
}

/// The Check-in screen.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckinState {
    /// The scan line.
    pub input: String,
    /// The session chosen with ↑/↓; `None`: the one running now or next today.
    pub chosen: Option<i64>,
    pub station: String,
    /// A walk-in asked about: the key again takes them, typing or `Esc` does not.
    pub confirm: Option<WalkInConfirm>,
    /// A make-up retake asked about: typing goes into its reason, the walk-in key takes them.
    pub retake: Option<RetakeConfirm>,
    pub scans: Vec<Scan>,
    pub next_id: u64,
    /// Why codes cannot be verified at this station, if they cannot.
    pub keys_problem: Option<String>,
    /// The station journals scans while the server is away (a PostgreSQL or MySQL database).
    pub journals: bool,
    /// The server did not answer the last scan or send: scans are journaled.
    pub offline: bool,
    /// Scans waiting in the journal to be sent.
    pub waiting: usize,
    /// A send of the journal is due or running.
    pub syncing: bool,
    /// What the last send did (how many sent, how many conflicts).
    pub sync_notice: Option<String>,
    /// The scans the server did not take when the journal was sent, newest first.
    pub conflicts: Vec<String>,
    /// Why the last send stopped, when it was not the server going away.
    pub sync_error: Option<String>,
}

impl Default for CheckinState {
    fn default() -> CheckinState {
        CheckinState {
            input: String::new(),
            chosen: None,
            station: station_name(),
            confirm: None,
            retake: None,
            scans: Vec::new(),
            next_id: 1,
            keys_problem: None,
            journals: false,
            offline: false,
            waiting: 0,
            syncing: false,
            sync_notice: None,
            conflicts: Vec::new(),
            sync_error: None,
        }
    }
}

/// The station's name: `CAIJI_STATION`, else the host name, else `console`.
pub fn station_name() -> String {
    let from_env = std::env::var("CAIJI_STATION").ok();
    let host = || {
        std::fs::read_to_string("/etc/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
    };
    let name = from_env
        .or_else(host)
        .map(|s| crate::domain::text::strip_controls(s.trim()).into_owned());
    name.filter(|s| !s.is_empty())
        .map(|s| s.chars().take(64).collect())
        .unwrap_or_else(|| "console".into())
}

/// The session the Check-in screen scans into: the one chosen, else the one running at `now`,
/// else the next one starting today.
pub fn checkin_session(app: &App) -> Option<&SessionRow> {
    let rows = app.sessions.rows();
    if let Some(id) = app.checkin.chosen {
        return rows.iter().find(|s| s.id == id);
    }
    let now = match &app.sessions.data {
        Some(Ok(d)) => d.now,
        _ => return None,
    };
    rows.iter()
        .find(|s| s.starts_at <= now && now < s.ends_at)
        .or_else(|| {
            rows.iter()
                .filter(|s| s.starts_at > now && local_date(s.starts_at) == local_date(now))
                .min_by_key(|s| s.starts_at)
        })
}

/// Sessions are read the first time a screen that shows them is opened.
pub(super) fn ensure_loaded(app: &mut App) -> Vec<Effect> {
    let shows = matches!(app.screen, Screen::Sessions | Screen::Checkin);
    if shows && app.sessions.data.is_none() && !app.sessions.loading {
        return app.sessions.start_load();
    }
    Vec::new()
}

/// Answers from the tasks of these screens; `None` for other actions.
pub(super) fn answered(app: &mut App, action: &Action) -> Option<Outcome> {
    Some(match action {
        Action::SessionsLoaded { generation, result } => {
            if *generation != app.sessions.generation {
                return Some((false, Vec::new()));
            }
            app.sessions.loading = false;
            let keep =
                app.checkin.journals && result.is_err() && matches!(app.sessions.data, Some(Ok(_)));
            if !keep {
                // a station that journals keeps the sessions as last read while the server is
                // away, so that it keeps scanning (docs/console.md "Offline")
                app.sessions.data = Some(result.clone());
            }
            if result.is_ok() && !app.loading() && std::mem::take(&mut app.reload_asked) {
                app.message = Some(super::app::StatusMessage::ok(match lang() {
                    Lang::Zh => format!("已重新读取：{} 个场次", app.sessions.rows().len()),
                    Lang::En => format!("reloaded: {} sessions", app.sessions.rows().len()),
                }));
            }
            let len = app.sessions.rows().len();
            app.sessions.selected = app.sessions.selected.min(len.saturating_sub(1));
            (true, Vec::new())
        }
        Action::Scanned { id, result } => {
            let Some(scan) = app.checkin.scans.iter_mut().find(|s| s.id == *id) else {
                return Some((false, Vec::new()));
            };
            scan.result = Some(result.clone());
            let refused_here = matches!(result, Ok(a) if a.status == crate::ops::checkin::ScanStatus::NotInSession || a.status == crate::ops::checkin::ScanStatus::AlreadyElsewhere);
            if !refused_here {
                scan.line = None;
            }
            let walk_in = scan.walk_in;
            // the gauge: counted at once, then read again from the database
            if let (Ok(a), Some(session_id)) = (result, scan.session_id)
                && a.status == crate::ops::checkin::ScanStatus::CheckedIn
                && let Some(Ok(data)) = &mut app.sessions.data
                && let Some(row) = data.sessions.iter_mut().find(|s| s.id == session_id)
            {
                row.checked_in = row.checked_in.max(i64::from(a.shot.unwrap_or(0)));
            }
            let mut effects = app.sessions.start_load();
            let recorded =
                matches!(result, Ok(a) if a.status == crate::ops::checkin::ScanStatus::CheckedIn);
            if recorded && walk_in {
                // the student moved session: the list and every count change
                effects.extend(app.start_load());
            } else if recorded {
                // the header's counts follow the station's own check-ins
                effects.push(app.refresh_counts());
            }
            (true, effects)
        }
        Action::StationScanned { id, scan } => {
            app.checkin.offline = scan.offline;
            app.checkin.waiting = scan.waiting;
            let queued = scan.label.is_some();
            if let Some(s) = app.checkin.scans.iter_mut().find(|s| s.id == *id) {
                s.label = scan.label.clone();
            }
            let (_, mut effects) = if queued {
                // nothing to read again: the server is away
                if let Some(s) = app.checkin.scans.iter_mut().find(|s| s.id == *id) {
                    s.result = Some(scan.result.clone());
                    s.line = None;
                }
                (true, Vec::new())
            } else {
                answered(
                    app,
                    &Action::Scanned {
                        id: *id,
                        result: scan.result.clone(),
                    },
                )
                .unwrap_or_default()
            };
            effects.extend(sync_due(app));
            (true, effects)
        }
        Action::Synced { report } => {
            app.checkin.syncing = false;
            app.checkin.offline = report.offline;
            app.checkin.waiting = report.waiting;
            app.checkin.sync_error = report.error.clone();
            let mut effects = Vec::new();
            // the queued answers on the screen become what the server made of them
            for (label, fate) in &report.fates {
                let Some(Ok(a)) = app
                    .checkin
                    .scans
                    .iter_mut()
                    .find(|s| s.label.as_ref() == Some(label))
                    .and_then(|s| s.result.as_mut())
                else {
                    continue;
                };
                match fate {
                    Ok(shot) => {
                        a.status = crate::ops::checkin::ScanStatus::CheckedIn;
                        a.shot = Some(*shot);
                        a.reason = None;
                    }
                    Err(cause) => {
                        a.status = *cause;
                        a.reason = Some(crate::ops::checkin::Reason::NotTakenWhenSent);
                    }
                }
            }
            if report.synced > 0 || !report.conflicts.is_empty() {
                app.checkin.sync_notice = Some(super::station::sync_notice(report));
                let older = std::mem::take(&mut app.checkin.conflicts);
                app.checkin.conflicts = report.conflicts.iter().cloned().chain(older).collect();
                app.checkin.conflicts.truncate(KEEP_SCANS);
                // the gauges and the header's counts follow what the server took
                effects.extend(app.sessions.start_load());
                effects.push(app.refresh_counts());
            }
            effects.extend(sync_due(app));
            (true, effects)
        }
        Action::Assigned { result } => {
            app.sessions.busy = false;
            app.sessions.notice = Some(result.as_ref().map(assign_summary).map_err(Clone::clone));
            let mut effects = app.sessions.start_load();
            if result.is_ok() {
                effects.extend(app.start_load()); // the session column of the students changed
            }
            (true, effects)
        }
        Action::Planned { generation, result } => {
            let Some(form) = &mut app.sessions.form else {
                return Some((false, Vec::new()));
            };
            if *generation != form.generation {
                return Some((false, Vec::new()));
            }
            form.busy = false;
            match result {
                Ok(outcome) if !outcome.created.is_empty() => {
                    app.sessions.form = None;
                    app.sessions.notice = Some(Ok(format!(
                        "{} {} {}, {} {}",
                        tr("已创建", "created"),
                        outcome.created.len(),
                        tr("个场次", "sessions"),
                        outcome.plan.placed(),
                        tr("名学生已安排", "students assigned")
                    )));
                    let mut effects = app.sessions.start_load();
                    effects.extend(app.start_load());
                    (true, effects)
                }
                other => {
                    form.preview = Some(other.clone());
                    (true, Vec::new())
                }
            }
        }
        _ => return None,
    })
}

/// The status line's account of an assignment.
fn assign_summary(s: &AssignSummary) -> String {
    let zh = lang() == Lang::Zh;
    let mut parts = vec![if zh {
        format!("已安排 {} 人", s.assigned)
    } else {
        format!("assigned {}", s.assigned)
    }];
    let mut add = |n: usize, zh_text: &str, en_text: &str| {
        if n > 0 {
            parts.push(if zh {
                format!("{zh_text} {n}")
            } else {
                format!("{en_text} {n}")
            });
        }
    };
    add(s.already as usize, "原本就在本场", "already here");
    add(
        s.elsewhere.len(),
        "已在其他未结束场次（未改动）",
        "in another session, left there",
    );
    add(s.withdrawn.len(), "已退出", "withdrawn");
    add(s.unknown.len(), "不在名单", "not on the roster");
    parts.join(tr("，", ", "))
}

pub(super) fn sessions_screen(app: &mut App, action: Action) -> Outcome {
    let len = app.sessions.rows().len();
    let page = super::ui::sessions::list_rows(app).max(1);
    let s = &mut app.sessions;
    let before = s.selected;
    let to = match action {
        Action::MoveUp => s.selected.saturating_sub(1),
        Action::MoveDown => s.selected + 1,
        Action::PageUp => s.selected.saturating_sub(page),
        Action::PageDown => s.selected + page,
        Action::First => 0,
        Action::Last => usize::MAX,
        Action::Reload => {
            let mut effects = s.start_load();
            effects.extend(app.start_load());
            app.reload_asked = true;
            return (true, effects);
        }
        Action::AssignFiltered => return ask_assign(app),
        Action::PlanSessions => {
            let (today, location) = match &s.data {
                Some(Ok(d)) => (
                    local_date(d.now),
                    d.sessions.last().map(|r| r.location.clone()),
                ),
                _ => (crate::clock::today(), None),
            };
            let location = location.unwrap_or_else(|| "体育馆".into());
            s.confirm = None;
            s.form = Some(PlanForm::new(today, &location));
            return (true, Vec::new());
        }
        Action::Accept => {
            let Some(c) = s.confirm.take() else {
                return (false, Vec::new());
            };
            s.busy = true;
            s.notice = Some(Ok(tr("正在安排…", "assigning…").to_string()));
            return (
                true,
                vec![Effect::Assign {
                    session_id: c.session_id,
                    college: c.college,
                    class: c.class,
                }],
            );
        }
        Action::Close => return (s.confirm.take().is_some(), Vec::new()),
        other => return modes::screen(app, other),
    };
    s.confirm = None;
    s.selected = to.min(len.saturating_sub(1));
    (before != s.selected, Vec::new())
}

/// Asks before assigning the students the Students screen's filter picks.
fn ask_assign(app: &mut App) -> Outcome {
    let (college, class) = (
        app.students.filter.college.clone(),
        app.students.filter.class.clone(),
    );
    let s = &mut app.sessions;
    if s.busy {
        return (false, Vec::new());
    }
    let Some(session) = s.selected_row() else {
        s.notice = Some(Err(
            tr("没有可选的场次", "no session to assign to").to_string()
        ));
        return (true, Vec::new());
    };
    if college.is_none() && class.is_none() {
        s.notice = Some(Err(tr(
            "请先在学生名单按学院（C）或班级（L）筛选，再按 a 安排到所选场次",
            "first filter the Students screen by college (C) or class (L), then press a to assign them here",
        )
        .to_string()));
        return (true, Vec::new());
    }
    s.confirm = Some(AssignConfirm {
        session_id: session.id,
        college,
        class,
    });
    (true, Vec::new())
}

pub(super) fn plan_form(app: &mut App, action: Action) -> Outcome {
    let known: Vec<String> = app
        .students
        .roster
        .index
        .values(crate::domain::search::Field::College)
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let known_colleges: Vec<&str> = known.iter().map(String::as_str).collect();
    let Some(form) = &mut app.sessions.form else {
        return (false, Vec::new());
    };
    let field = &mut form.fields[form.focus];
    let edited = match &action {
        Action::Input(c) => {
            overlay::push_text(field, &c.to_string(), 200);
            true
        }
        Action::Paste(text) => {
            overlay::push_text(field, text, 200);
            true
        }
        Action::DeleteBack => field.pop().is_some(),
        Action::ClearInput => !std::mem::take(field).is_empty(),
        _ => false,
    };
    if edited {
        // the preview was of other fields
        form.preview = None;
        form.error = None;
        form.generation += 1;
        form.busy = false;
        return (true, Vec::new());
    }
    match action {
        Action::MoveUp => {
            form.focus = form.focus.checked_sub(1).unwrap_or(form.fields.len() - 1);
            (true, Vec::new())
        }
        Action::MoveDown => {
            form.focus = (form.focus + 1) % form.fields.len();
            (true, Vec::new())
        }
        Action::Close => {
            app.sessions.form = None;
            (true, Vec::new())
        }
        Action::Accept => {
            if form.busy {
                return (false, Vec::new());
            }
            let request = match form.request(&known_colleges) {
                Ok(r) => r,
                Err(e) => {
                    form.error = Some(e);
                    return (true, Vec::new());
                }
            };
            // a good preview of these very fields: create it; otherwise preview first
            let create = matches!(&form.preview, Some(Ok(p)) if !p.plan.sessions.is_empty());
            form.generation += 1;
            form.busy = true;
            form.error = None;
            (
                true,
                vec![Effect::Plan {
                    generation: form.generation,
                    request,
                    create,
                }],
            )
        }
        _ => (false, Vec::new()),
    }
}

pub(super) fn checkin_screen(app: &mut App, action: Action) -> Outcome {
    if app.checkin.retake.is_some()
        && let Some(outcome) = retake_prompt(app, &action)
    {
        return outcome;
    }
    // A walk-in question is answered by the walk-in key again; anything typed (the next scan)
    // or Esc leaves the student refused. Enter never confirms: scanners end each code with it.
    if app.checkin.confirm.is_some() {
        match action {
            Action::WalkIn => return (true, take_walk_in(app)),
            Action::Close => {
                app.checkin.confirm = None;
                return (true, Vec::new());
            }
            Action::Input(_) | Action::Paste(_) | Action::Accept => app.checkin.confirm = None,
            _ => {}
        }
    }
    let c = &mut app.checkin;
    match action {
        // with the scan line empty, the digits of the tab bar switch screens (a code never
        // starts with one)
        Action::Input(ch) if c.input.is_empty() && ch.is_ascii_digit() => {
            match app.keymap.lookup(&[Scope::Global], Key::plain(ch)) {
                Some(
                    screen @ (Action::ScreenStudents
                    | Action::ScreenSessions
                    | Action::ScreenCheckin
                    | Action::ScreenPhotos
                    | Action::ScreenReports),
                ) => modes::screen(app, screen),
                _ => {
                    overlay::push_text(&mut app.checkin.input, &ch.to_string(), MAX_SCAN);
                    (true, Vec::new())
                }
            }
        }
        Action::Input(ch) => {
            overlay::push_text(&mut c.input, &ch.to_string(), MAX_SCAN);
            (true, Vec::new())
        }
        Action::Paste(text) => {
            // a pasted line ending in a newline is a scan, as from a scanner
            let mut effects = Vec::new();
            let mut parts = text.split(['\n', '\r']).peekable();
            while let Some(part) = parts.next() {
                overlay::push_text(&mut app.checkin.input, part, MAX_SCAN);
                if parts.peek().is_some() {
                    effects.extend(submit(app));
                }
            }
            (true, effects)
        }
        Action::DeleteBack => (c.input.pop().is_some(), Vec::new()),
        Action::ClearInput => (!std::mem::take(&mut c.input).is_empty(), Vec::new()),
        Action::Close if !c.input.is_empty() => {
            c.input.clear();
            (true, Vec::new())
        }
        Action::Close => (app.show(Screen::Students), Vec::new()),
        Action::Accept => {
            let effects = submit(app);
            (true, effects)
        }
        Action::WalkIn => (true, ask_walk_in(app)),
        Action::MoveUp | Action::MoveDown => {
            let current = checkin_session(app).map(|s| s.id);
            let rows = app.sessions.rows();
            if rows.is_empty() {
                return (false, Vec::new());
            }
            let at = current.and_then(|id| rows.iter().position(|s| s.id == id));
            let next = match (at, action == Action::MoveUp) {
                (None, _) => 0,
                (Some(i), true) => i.saturating_sub(1),
                (Some(i), false) => (i + 1).min(rows.len() - 1),
            };
            let id = rows[next].id;
            let changed = current != Some(id);
            app.checkin.chosen = Some(id);
            app.checkin.confirm = None;
            app.checkin.retake = None;
            (changed, Vec::new())
        }
        Action::Reload => {
            let mut effects = app.sessions.start_load();
            effects.push(app.refresh_counts());
            app.reload_asked = true;
            (true, effects)
        }
        other => modes::screen(app, other),
    }
}

/// The retake question's keys: typing edits the reason, the walk-in key checks the student in
/// again, `Esc` cancels; Enter (a scanner's) only says which key confirms. `None`: an action
/// the question leaves to the screen.
fn retake_prompt(app: &mut App, action: &Action) -> Option<Outcome> {
    let key = walk_in_key(app);
    let retake = app.checkin.retake.as_mut()?;
    let max = crate::domain::lengths::REASON;
    match action {
        Action::Input(c) => overlay::push_text(&mut retake.reason, &c.to_string(), max),
        Action::Paste(text) => overlay::push_text(&mut retake.reason, text, max),
        Action::DeleteBack => {
            retake.reason.pop();
        }
        Action::ClearInput => retake.reason.clear(),
        Action::Close => app.checkin.retake = None,
        Action::Accept => {
            retake.error = Some(match lang() {
                Lang::Zh => format!("填写原因后按 {key} 确认重拍"),
                Lang::En => format!("type the reason, then press {key} to retake"),
            });
            return Some((true, Vec::new()));
        }
        Action::WalkIn => return Some((true, take_retake(app))),
        _ => return None,
    }
    if let Some(retake) = app.checkin.retake.as_mut() {
        retake.error = None;
    }
    Some((true, Vec::new()))
}

/// Confirmed with a reason: the refused line scanned again as a make-up retake (and as a
/// walk-in, should the student not be on this session's list).
fn take_retake(app: &mut App) -> Vec<Effect> {
    let Some(retake) = app.checkin.retake.as_mut() else {
        return Vec::new();
    };
    let reason = match crate::ops::checkin::checked_retake_reason(
        tr("重拍原因", "the retake reason"),
        &retake.reason,
    ) {
        Ok(reason) => reason,
        Err(why) => {
            retake.error = Some(why.to_string());
            return Vec::new();
        }
    };
    let Some(retake) = app.checkin.retake.take() else {
        return Vec::new();
    };
    rescan(
        app,
        retake.scan_id,
        retake.session_id,
        retake.line,
        Some(reason),
    )
}

/// The walk-in key after a "not in this session" answer: asks whether to take that student
/// here; after "already checked in at another session" at a make-up session: asks for the
/// retake reason.
fn ask_walk_in(app: &mut App) -> Vec<Effect> {
    let here = checkin_session(app).map(|s| (s.id, s.makeup));
    let elsewhere = app.checkin.scans.first().and_then(|scan| {
        let Some(Ok(a)) = &scan.result else {
            return None;
        };
        (a.status == crate::ops::checkin::ScanStatus::AlreadyElsewhere
            && scan.session_id == here.map(|h| h.0))
        .then(|| Some((scan.id, scan.line.clone()?, a.clone())))
        .flatten()
    });
    if let (Some((session_id, makeup)), Some((scan_id, line, answer))) = (here, elsewhere) {
        if !makeup {
            app.message = Some(super::app::StatusMessage {
                text: tr(
                    "已在别场签到：补采场次才能重拍",
                    "checked in elsewhere: only a make-up session retakes",
                )
                .to_string(),
                path: None,
                ok: false,
            });
            return Vec::new();
        }
        app.checkin.confirm = None;
        app.checkin.retake = Some(RetakeConfirm {
            scan_id,
            line,
            session_id,
            masked_name: answer.masked_name,
            class: answer.class,
            counted_session: answer.counted_session.unwrap_or_default(),
            shot: answer.shot,
            reason: String::new(),
            error: None,
        });
        return Vec::new();
    }
    let here = here.map(|h| h.0);
    let refused = app.checkin.scans.first().and_then(|scan| {
        let Some(Ok(a)) = &scan.result else {
            return None;
        };
        (a.status == crate::ops::checkin::ScanStatus::NotInSession && scan.session_id == here)
            .then_some((scan, a))
            .and_then(|(scan, a)| Some((scan.id, scan.line.clone()?, a.clone())))
    });
    let (Some(session_id), Some((scan_id, line, answer))) = (here, refused) else {
        app.message = Some(super::app::StatusMessage {
            text: tr(
                "现场加入：先扫描这名学生的采集码",
                "walk-in: scan the student's code first",
            )
            .to_string(),
            path: None,
            ok: false,
        });
        return Vec::new();
    };
    app.checkin.confirm = Some(WalkInConfirm {
        scan_id,
        line,
        session_id,
        masked_name: answer.masked_name,
        class: answer.class,
        their_session: answer.their_session,
    });
    Vec::new()
}

/// Confirmed: the refused line scanned again as a walk-in.
fn take_walk_in(app: &mut App) -> Vec<Effect> {
    let Some(confirm) = app.checkin.confirm.take() else {
        return Vec::new();
    };
    rescan(app, confirm.scan_id, confirm.session_id, confirm.line, None)
}

/// How often a station that is offline, or has scans waiting, tries to send them.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// A send of the journal, when the station is offline or scans wait and none is due yet.
pub(crate) fn sync_due(app: &mut App) -> Vec<Effect> {
    let c = &mut app.checkin;
    if (c.offline || c.waiting > 0) && !c.syncing {
        c.syncing = true;
        vec![Effect::SyncLater { after: SYNC_EVERY }]
    } else {
        Vec::new()
    }
}

/// The refused scan `scan_id`'s line checked in again at `session_id` as a walk-in (with a
/// make-up retake's reason, if any): a new scan on the screen, its effect returned.
fn rescan(
    app: &mut App,
    scan_id: u64,
    session_id: i64,
    line: String,
    retake_reason: Option<String>,
) -> Vec<Effect> {
    let id = app.checkin.next_id;
    app.checkin.next_id += 1;
    app.checkin.scans.insert(
        0,
        Scan {
            id,
            session_id: Some(session_id),
            result: None,
            line: None,
            walk_in: true,
            label: None,
        },
    );
    app.checkin.scans.truncate(KEEP_SCANS);
    // the refused scan cannot be taken twice
    if let Some(old) = app.checkin.scans.iter_mut().find(|s| s.id == scan_id) {
        old.line = None;
    }
    vec![Effect::Scan {
        id,
        session_id,
        line,
        station: app.checkin.station.clone(),
        allow_walk_in: true,
        retake_reason,
    }]
}

/// Takes the scan line: an effect to check it in, or a refusal at once when there is nowhere
/// to check in. Blank lines are ignored, as the command-line station does.
fn submit(app: &mut App) -> Vec<Effect> {
    let line = std::mem::take(&mut app.checkin.input);
    if line.trim().is_empty() {
        return Vec::new();
    }
    let id = app.checkin.next_id;
    app.checkin.next_id += 1;
    let session = checkin_session(app).map(|s| s.id);
    let mut scan = Scan {
        id,
        session_id: session,
        result: None,
        line: Some(line.clone()),
        walk_in: false,
        label: None,
    };
    let effect = match session {
        Some(session_id) => vec![Effect::Scan {
            id,
            session_id,
            line,
            station: app.checkin.station.clone(),
            allow_walk_in: false,
            retake_reason: None,
        }],
        None => {
            let why = tr(
                "现在没有场次：先用 ↑/↓ 选择场次，再重新扫描",
                "no session now: choose one with ↑/↓, then scan again",
            );
            scan.result = Some(Err(why.to_string()));
            Vec::new()
        }
    };
    app.checkin.scans.insert(0, scan);
    app.checkin.scans.truncate(KEEP_SCANS);
    effect
}

/// The walk-in key's label (it also takes a make-up retake).
fn walk_in_key(app: &App) -> String {
    app.keymap
        .key_in(super::keymap::Scope::Checkin, &Action::WalkIn)
        .map(|k| k.label())
        .unwrap_or_default()
}

/// How this console takes a make-up retake, for an "already checked in at session N" answer.
pub(super) fn retake_how(app: &App) -> String {
    let key = walk_in_key(app);
    match lang() {
        Lang::Zh => format!("按 {key} 填写原因后在本补采场次重拍"),
        Lang::En => format!("press {key} to give a reason and retake them here"),
    }
}

/// How this console takes a refused student as a walk-in: its key, for the refusal's text.
pub(super) fn walk_in_how(app: &App) -> String {
    let key = walk_in_key(app);
    match lang() {
        Lang::Zh => format!("按 {key} 作为现场加入改到本场"),
        Lang::En => format!("press {key} to take them here as a walk-in"),
    }
}

// ----- tasks (run by `tasks::start`) -----

/// Reads the sessions with their counts and classes.
pub async fn read_sessions(store: Arc<dyn Store>) -> Result<SessionsData, String> {
    let sessions = store
        .list_sessions()
        .await
        .map_err(super::tasks::error_text)?;
    let groups = store.schedule().await.map_err(super::tasks::error_text)?;
    Ok(SessionsData {
        sessions,
        groups,
        now: now(),
    })
}

/// One scan to check in.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    pub session_id: i64,
    pub line: String,
    pub station: String,
    pub operator: String,
    pub allow_walk_in: bool,
    /// A make-up retake's reason, checked when it was typed.
    pub retake_reason: Option<String>,
}

impl ScanRequest {
    /// The station that scans this request, as the command line's code takes it.
    pub fn station<'a>(&'a self, keys: &'a StationKeys) -> Station<'a> {
        Station {
            keys,
            name: &self.station,
            operator: &self.operator,
            allow_walk_in: self.allow_walk_in,
            retake_reason: self.retake_reason.as_deref(),
        }
    }
}

/// Checks one scan in through the command line's code path. An `Err` is a scan NOT recorded.
pub async fn scan(store: Arc<dyn Store>, keys: Keys, req: ScanRequest) -> Result<Answer, String> {
    let not_recorded = |e: String| {
        format!(
            "{} — {e}",
            tr("未记录，请重新扫描", "NOT recorded, scan again")
        )
    };
    let session = store
        .session(req.session_id)
        .await
        .map_err(|e| not_recorded(super::tasks::error_text(e)))?
        .ok_or_else(|| {
            not_recorded(format!(
                "{} {}",
                tr("场次已不存在", "no session"),
                req.session_id
            ))
        })?;
    let station = req.station(&keys);
    let mut names = SessionNames::new(store.as_ref());
    scan::answer(store.as_ref(), &mut names, &session, &req.line, &station)
        .await
        .map_err(|e| not_recorded(crate::config::one_line(&crate::words::cause_line(&e))))
}

/// Works a plan out, and creates it when `create`, with the command line's planner code.
pub async fn plan(
    store: Arc<dyn Store>,
    request: PlanRequest,
    create: bool,
    operator: String,
) -> Result<PlanOutcome, String> {
    let text = |e: plan_ops::PlanFailed| crate::config::one_line(&crate::words::cause_line(&e));
    let (plan, candidates) = plan_ops::make_plan(store.as_ref(), &request)
        .await
        .map_err(text)?;
    let created = if create {
        plan_ops::create_plan(
            store.as_ref(),
            &plan,
            &candidates,
            request.makeup,
            &operator,
        )
        .await
        .map_err(text)?
    } else {
        Vec::new()
    };
    // what the office should know before creating: read after the plan, at the moment of asking
    let warnings = if create {
        Vec::new()
    } else {
        let existing = store
            .list_sessions()
            .await
            .map_err(super::tasks::error_text)?;
        plan_ops::plan_warnings(&plan, &existing)
    };
    Ok(PlanOutcome {
        plan,
        waiting: candidates.len(),
        created,
        warnings,
    })
}
