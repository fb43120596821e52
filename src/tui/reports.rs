//! The Reports screen's state and what its keys do: completion per college, a college's classes
//! or counselors (drill-down), the daily progress, and export of the report on screen. Part of
//! `update`: no I/O; reading and writing come back as effects.

use super::action::{Action, Effect, ReportData};
use super::app::App;
use crate::domain::search::Field;
use crate::export::FileKind;
use crate::i18n::tr;
use crate::ops::report_files::ReportScope;
use crate::store::{DailyProgress, GroupBy, GroupCounts};

/// One college opened: its classes or its counselors.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    pub college: String,
    /// `GroupBy::Class` or `GroupBy::Counselor`.
    pub by: GroupBy,
    pub generation: u64,
    /// `None` while it is read.
    pub groups: Option<Result<Vec<GroupCounts>, String>>,
    pub selected: usize,
    /// The college's check-ins and valid photos per day, for the chart; `None` while read.
    pub daily: Option<Result<Vec<DailyProgress>, String>>,
}

/// What the Reports screen shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportsState {
    /// The screen has been opened, so a reload reads its data again.
    pub requested: bool,
    pub generation: u64,
    /// A read is under way (the previous answer stays on screen meanwhile).
    pub loading: bool,
    /// The newest answer: completion per college and the daily progress.
    pub data: Option<Result<ReportData, String>>,
    /// Index of the selected college.
    pub selected: usize,
    /// The college opened, if one is.
    pub breakdown: Option<Breakdown>,
    /// Generation of the breakdown reads (apart from `generation`: opening a college must not
    /// drop the colleges' answer on its way).
    pub breakdown_generation: u64,
    pub export_generation: u64,
    /// An export is being written.
    pub exporting: bool,
    /// The file the last export wrote, for the status bar.
    pub exported: Option<String>,
}

impl ReportsState {
    /// The colleges, once read.
    pub fn colleges(&self) -> &[GroupCounts] {
        match &self.data {
            Some(Ok(d)) => &d.colleges,
            _ => &[],
        }
    }

    /// The groups on screen now and their selection: a college's breakdown, or the colleges.
    pub fn rows(&self) -> (&[GroupCounts], usize) {
        match &self.breakdown {
            Some(b) => match &b.groups {
                Some(Ok(groups)) => (groups, b.selected),
                _ => (&[], 0),
            },
            None => (self.colleges(), self.selected),
        }
    }

    fn selection_mut(&mut self) -> &mut usize {
        match &mut self.breakdown {
            Some(b) => &mut b.selected,
            None => &mut self.selected,
        }
    }
}

/// Reads the screen's data (again): the colleges, the days, and the college opened.
pub(super) fn refresh(app: &mut App) -> Vec<Effect> {
    let reports = &mut app.reports;
    reports.requested = true;
    reports.generation += 1;
    reports.loading = true;
    let mut effects = vec![Effect::LoadReports {
        generation: reports.generation,
        cohort: app.students.cohort,
    }];
    if let Some(b) = &mut reports.breakdown {
        reports.breakdown_generation += 1;
        b.generation = reports.breakdown_generation;
        effects.push(Effect::LoadBreakdown {
            generation: b.generation,
            college: b.college.clone(),
            by: b.by,
            cohort: app.students.cohort,
        });
    }
    effects
}

/// Reloads the screen if it has been opened (a reload, another cohort, a reissue).
pub(super) fn refresh_if_shown(app: &mut App) -> Vec<Effect> {
    if app.reports.requested {
        refresh(app)
    } else {
        Vec::new()
    }
}

/// Opens `college` with its groups `by` (classes or counselors).
fn open(app: &mut App, college: String, by: GroupBy) -> Vec<Effect> {
    let reports = &mut app.reports;
    reports.breakdown_generation += 1;
    let generation = reports.breakdown_generation;
    reports.breakdown = Some(Breakdown {
        college: college.clone(),
        by,
        generation,
        groups: None,
        selected: 0,
        daily: None,
    });
    vec![Effect::LoadBreakdown {
        generation,
        college,
        by,
        cohort: app.students.cohort,
    }]
}

/// What a key does on the Reports screen; `None` for keys it leaves to the rest of the console.
pub(super) fn on_action(app: &mut App, action: &Action) -> Option<(bool, Vec<Effect>)> {
    let page = super::ui::reports::visible_rows(app).max(1);
    let (len, at) = {
        let (rows, at) = app.reports.rows();
        (rows.len(), at)
    };
    let last = len.saturating_sub(1);
    let to = |i: usize| Some(i.min(last));
    let moved = match action {
        Action::MoveUp => to(at.saturating_sub(1)),
        Action::MoveDown => to(at + 1),
        Action::PageUp => to(at.saturating_sub(page)),
        Action::PageDown => to(at + page),
        Action::First => to(0),
        Action::Last => to(last),
        _ => None,
    };
    if let Some(to) = moved {
        let selection = app.reports.selection_mut();
        let changed = *selection != to;
        *selection = to;
        return Some((changed, Vec::new()));
    }
    let outcome = match action {
        Action::ReportDrillDown | Action::ReportSwitchGroup => match &app.reports.breakdown {
            // in a college, Enter does nothing more and the switch flips classes and counselors
            Some(b) if *action == Action::ReportSwitchGroup => {
                let by = if b.by == GroupBy::Class {
                    GroupBy::Counselor
                } else {
                    GroupBy::Class
                };
                let college = b.college.clone();
                (true, open(app, college, by))
            }
            Some(_) => students_of_group(app),
            None => {
                let Some(college) = app
                    .reports
                    .colleges()
                    .get(app.reports.selected)
                    .map(|c| c.group.clone())
                else {
                    return Some((false, Vec::new()));
                };
                let by = if *action == Action::ReportSwitchGroup {
                    GroupBy::Counselor
                } else {
                    GroupBy::Class
                };
                (true, open(app, college, by))
            }
        },
        Action::ReportBack => {
            // the answer of the breakdown closed is dropped by its generation
            let had = app.reports.breakdown.take().is_some();
            (had, Vec::new())
        }
        Action::ExportReportXlsx => export(app, FileKind::Xlsx),
        Action::ExportReportCsv => export(app, FileKind::Csv),
        _ => return None,
    };
    Some(outcome)
}

/// The groups in the pickers' order: pinyin, as the Students screen's college, class and
/// counselor pickers list them (groups not in the roster loaded last, as they came).
fn in_pinyin_order(app: &App, by: GroupBy, groups: &mut [GroupCounts]) {
    let field = match by {
        GroupBy::College => Field::College,
        GroupBy::Class => Field::Class,
        GroupBy::Counselor => Field::Counselor,
        GroupBy::Session | GroupBy::Level => return,
    };
    let index = &app.students.roster.index;
    groups.sort_by_key(|g| index.rank_of(field, &g.group).unwrap_or(u32::MAX));
}

/// `Enter` on a class or counselor of a college: the Students screen, filtered to them.
fn students_of_group(app: &mut App) -> (bool, Vec<Effect>) {
    let Some(b) = &app.reports.breakdown else {
        return (false, Vec::new());
    };
    let Some(Ok(groups)) = &b.groups else {
        return (false, Vec::new());
    };
    let Some(group) = groups.get(b.selected).map(|g| g.group.clone()) else {
        return (false, Vec::new());
    };
    let college = b.college.clone();
    let by = b.by;
    app.students.filter = super::roster::Filter {
        college: Some(college.clone()),
        ..Default::default()
    };
    match by {
        GroupBy::Counselor => app.students.filter.counselor = Some(group.clone()),
        _ => app.students.filter.class = Some(group.clone()),
    }
    app.students.search.input.clear();
    app.students.search.editing = false;
    app.show(super::action::Screen::Students);
    let mut effects = app.search_changed();
    app.rebuild_view(super::app::Keep::Top);
    effects.extend(app.follow_selection());
    app.message = Some(super::app::StatusMessage::ok(match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("学生名单已按 {college} · {group} 筛选（x 清除）"),
        crate::i18n::Lang::En => format!("students filtered to {college} · {group} (x clears)"),
    }));
    (true, effects)
}

/// Starts writing the report on screen as a file of `kind`.
fn export(app: &mut App, kind: FileKind) -> (bool, Vec<Effect>) {
    if app.reports.exporting {
        return (false, Vec::new());
    }
    let (scope, groups) = match &app.reports.breakdown {
        Some(b) => {
            let scope = ReportScope {
                by: b.by,
                cohort: app.students.cohort,
                college: Some(b.college.clone()),
            };
            (scope, b.groups.as_ref().and_then(|g| g.as_ref().ok()))
        }
        None => {
            let scope = ReportScope {
                by: GroupBy::College,
                cohort: app.students.cohort,
                college: None,
            };
            (
                scope,
                app.reports
                    .data
                    .as_ref()
                    .and_then(|d| d.as_ref().ok())
                    .map(|d| &d.colleges),
            )
        }
    };
    let Some(groups) = groups.cloned() else {
        app.last_error = Some(
            tr(
                "报表还没有读出来，读完后再导出",
                "the report is not read yet; export once it is",
            )
            .into(),
        );
        return (true, Vec::new());
    };
    app.reports.export_generation += 1;
    app.reports.exporting = true;
    app.reports.exported = None;
    (
        true,
        vec![Effect::ExportReport {
            generation: app.reports.export_generation,
            scope,
            groups,
            kind,
        }],
    )
}

/// The answers to the screen's reads and exports.
pub(super) fn answer(app: &mut App, action: Action) -> bool {
    match action {
        Action::ReportsLoaded { generation, result } => {
            if generation != app.reports.generation {
                return false;
            }
            app.reports.loading = false;
            match result {
                Ok(mut data) => {
                    in_pinyin_order(app, GroupBy::College, &mut data.colleges);
                    // the same college stays selected when the list changes under it
                    let name = app
                        .reports
                        .colleges()
                        .get(app.reports.selected)
                        .map(|c| c.group.clone());
                    let found = name.and_then(|n| data.colleges.iter().position(|c| c.group == n));
                    let last = data.colleges.len().saturating_sub(1);
                    app.reports.selected = found.unwrap_or(app.reports.selected).min(last);
                    app.reports.data = Some(Ok(data));
                }
                Err(e) => {
                    app.last_error = Some(e.clone());
                    app.reports.data = Some(Err(e));
                }
            }
            true
        }
        Action::BreakdownLoaded { generation, result } => {
            let mut result = result;
            if let (Ok(groups), Some(b)) = (&mut result, &app.reports.breakdown) {
                in_pinyin_order(app, b.by, groups);
            }
            let Some(b) = &mut app.reports.breakdown else {
                return false;
            };
            if generation != b.generation {
                return false;
            }
            if let Err(e) = &result {
                app.last_error = Some(e.clone());
            }
            let name = match &b.groups {
                Some(Ok(groups)) => groups.get(b.selected).map(|g| g.group.clone()),
                _ => None,
            };
            if let Ok(groups) = &result {
                let found = name.and_then(|n| groups.iter().position(|g| g.group == n));
                b.selected = found
                    .unwrap_or(b.selected)
                    .min(groups.len().saturating_sub(1));
            }
            b.groups = Some(result);
            true
        }
        Action::CollegeDailyLoaded { generation, result } => {
            let Some(b) = &mut app.reports.breakdown else {
                return false;
            };
            if generation != b.generation {
                return false;
            }
            b.daily = Some(result);
            true
        }
        Action::ReportExported { generation, result } => {
            if generation != app.reports.export_generation {
                return false;
            }
            app.reports.exporting = false;
            match result {
                Ok(path) => {
                    app.reports.exported = Some(path.display().to_string());
                    app.last_error = None;
                    app.message = Some(super::app::StatusMessage {
                        text: tr("已导出", "exported").to_string(),
                        path: Some(path.display().to_string()),
                        ok: true,
                    });
                }
                Err(e) => app.last_error = Some(e),
            }
            true
        }
        _ => false,
    }
}
