//! Drawing: `render(&App, &mut Frame)` reads the state and never changes it.
//!
//! The layout functions here are also what `update` uses to know how many rows a page holds, so
//! paging and drawing agree on the screen's geometry.

pub mod checkin;
mod code;
pub mod detail;
pub mod help;
mod palette;
pub mod photos;
pub mod reports;
pub mod sessions;
pub mod students;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::action::{Action, Screen};
use super::app::App;
use super::keymap::Scope;
use super::overlay::Overlay;
use super::theme::Role;
use super::widgets;
use crate::i18n::tr;
use crate::store::Counts;

pub use students::{Column, columns};

/// The smallest terminal the console draws in; below it, a message says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 12;

/// The parts of the screen, top to bottom.
pub struct Areas {
    pub title: Rect,
    pub counts: Rect,
    pub tabs: Rect,
    pub body: Rect,
    pub status: Rect,
}

pub fn areas(area: Rect) -> Areas {
    let [title, counts, tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    Areas {
        title,
        counts,
        tabs,
        body,
        status,
    }
}

/// The school's name, or a word for a school not configured.
pub(super) fn school_name(app: &App) -> &str {
    if app.school.name.trim().is_empty() {
        crate::i18n::tr("（未配置学校）", "(school not configured)")
    } else {
        &app.school.name
    }
}

fn too_small(size: (u16, u16)) -> bool {
    size.0 < MIN_WIDTH || size.1 < MIN_HEIGHT
}

/// Student rows that fit on the Students screen now.
pub fn list_rows(app: &App) -> usize {
    if too_small(app.size) {
        return 0;
    }
    let body = areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    students::layout(app, body).rows
}

/// The student shown at terminal row `y`, if that row shows one (for mouse clicks): an index
/// into the rows shown.
pub fn student_at(app: &App, y: u16) -> Option<usize> {
    if too_small(app.size) || app.screen != Screen::Students || app.help_open {
        return None;
    }
    let body = areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    let layout = students::layout(app, body);
    let first = layout.first_row_y;
    let row = y.checked_sub(first)? as usize;
    let offset = students::window_start(
        app.students.selected,
        app.students.offset,
        layout.rows,
        app.students.view.len(),
    );
    (row < layout.rows)
        .then_some(offset + row)
        .filter(|i| *i < app.students.view.len())
}

/// The tab under column `x` of the tab line, if any (for mouse clicks).
pub fn tab_at(app: &App, x: u16) -> Option<Screen> {
    let mut start = 0usize;
    for (screen, text) in tab_labels(app) {
        let end = start + widgets::width(&text);
        if (start..end).contains(&(x as usize)) {
            return Some(screen);
        }
        start = end + 1;
    }
    None
}

/// Tab line row, for mouse clicks.
pub fn tabs_row(app: &App) -> Option<u16> {
    (!too_small(app.size)).then(|| areas(Rect::new(0, 0, app.size.0, app.size.1)).tabs.y)
}

pub fn render(app: &App, frame: &mut Frame) {
    let area = frame.area();
    if too_small((area.width, area.height)) {
        render_too_small(app, frame, area);
        return;
    }
    let a = areas(area);
    render_title(app, frame, a.title);
    render_counts(app, frame, a.counts);
    render_tabs(app, frame, a.tabs);
    super::screen::of(app.screen).render(app, frame, a.body);
    render_status(app, frame, a.status);
    render_overlay(app, &app.overlay, frame, area);
    if app.help_open {
        help::render(app, frame, area);
    }
}

/// An overlay, over whatever it was opened on.
fn render_overlay(app: &App, overlay: &Overlay, frame: &mut Frame, area: Rect) {
    match overlay {
        Overlay::None => {}
        Overlay::Palette(p) => {
            if let Some(under) = &p.under {
                render_overlay(app, under, frame, area);
            }
            palette::render_palette(app, p, frame, area);
        }
        Overlay::Picker(p) => palette::render_picker(app, p, frame, area),
        Overlay::Code(c) => code::render(app, c, frame, area),
        Overlay::Reason(r) => {
            code::render(app, &r.code, frame, area);
            palette::render_reason(app, r, frame, area);
        }
    }
}

fn render_too_small(app: &App, frame: &mut Frame, area: Rect) {
    let quit = app
        .keymap
        .first_key(&Action::Quit)
        .map(|k| k.label())
        .unwrap_or_default();
    let texts = [
        (
            tr("终端窗口太小", "Terminal too small"),
            app.theme.style(Role::Error),
        ),
        (
            &*format!("{} {MIN_WIDTH}×{MIN_HEIGHT}", tr("至少需要", "needs")),
            app.theme.style(Role::Text),
        ),
        (
            &*format!("{} {}×{}", tr("现在", "now"), area.width, area.height),
            app.theme.style(Role::Muted),
        ),
        (
            &*format!("{quit} {}", tr("退出", "quit")),
            app.theme.style(Role::Key),
        ),
    ]
    .map(|(t, s)| Line::styled(widgets::truncate(t, area.width as usize), s));
    let shown = texts.len().min(area.height as usize);
    let top = area.y + (area.height - shown as u16) / 2;
    let lines: Vec<Line> = texts.into_iter().take(shown).collect();
    let rect = Rect::new(area.x, top, area.width, shown as u16);
    frame.render_widget(Paragraph::new(lines).centered(), rect);
}

/// A one-line bar: `left` cut to fit, `right` kept whole (one column apart) when there is room.
fn bar(
    left: Vec<Span<'static>>,
    right: Vec<Span<'static>>,
    width: usize,
    style: Style,
) -> Paragraph<'static> {
    let right_width: usize = right.iter().map(|s| widgets::width(&s.content)).sum();
    let show_right = right_width + 1 + 10 <= width;
    let left_room = if show_right {
        width - right_width - 1
    } else {
        width
    };
    let mut spans = widgets::clip_spans(left, left_room);
    let used: usize = spans.iter().map(|s| widgets::width(&s.content)).sum();
    if show_right {
        spans.push(Span::raw(" ".repeat(width - right_width - used)));
        spans.extend(right);
    }
    Paragraph::new(Line::from(spans)).style(style)
}

fn render_title(app: &App, frame: &mut Frame, area: Rect) {
    let style = app.theme.header();
    let left = vec![
        Span::raw(" "),
        Span::raw(widgets::clean(school_name(app)).into_owned()),
        Span::raw(format!(" · {}{}", app.school.cohort, tr("届", " cohort"))),
    ];
    let right = vec![Span::raw(tr("采集 caiji ", "caiji "))];
    frame.render_widget(bar(left, right, area.width as usize, style), area);
}

fn render_counts(app: &App, frame: &mut Frame, area: Rect) {
    let label = app.theme.style(Role::Muted);
    let value = app.theme.style(Role::Text).add_modifier(Modifier::BOLD);
    let mut spans = vec![Span::raw(" ")];
    match &app.counts {
        None if app.counts_error.is_some() => spans.push(Span::styled(
            tr(
                "读不到统计数字（见下方错误）",
                "cannot read the counts (see the error below)",
            ),
            app.theme.style(Role::Error),
        )),
        None => spans.push(Span::styled(tr("统计读取中…", "reading counts…"), label)),
        Some(c) => {
            let with_percent = counts_spans(c, true, label, value);
            let fits = with_percent
                .iter()
                .map(|s| widgets::width(&s.content))
                .sum::<usize>()
                < area.width as usize;
            spans.extend(if fits {
                with_percent
            } else {
                counts_spans(c, false, label, value)
            });
        }
    }
    frame.render_widget(
        Paragraph::new(Line::from(widgets::clip_spans(spans, area.width as usize))),
        area,
    );
}

/// The roster figures, with each one's share of the total when `percent` (and there is room).
fn counts_spans(c: &Counts, percent: bool, label: Style, value: Style) -> Vec<Span<'static>> {
    let pct = |n: i64| {
        if c.total > 0 && percent {
            format!(" {}%", n * 100 / c.total)
        } else {
            String::new()
        }
    };
    let items = [
        (tr("学生", "students"), c.total, String::new()),
        (tr("有效码", "codes"), c.code_active, pct(c.code_active)),
        (
            tr("已排场次", "in a session"),
            c.session_assigned,
            pct(c.session_assigned),
        ),
        (tr("已签到", "checked in"), c.checked_in, pct(c.checked_in)),
        (
            tr("合格照片", "valid photos"),
            c.photo_valid,
            pct(c.photo_valid),
        ),
    ];
    let mut spans = Vec::new();
    for (i, (name, n, p)) in items.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("  ", label));
        }
        spans.push(Span::styled(format!("{name} "), label));
        spans.push(Span::styled(n.to_string(), value));
        spans.push(Span::styled(p, label));
    }
    if c.withdrawn > 0 {
        spans.push(Span::styled(
            format!("  {} {}", tr("已退出", "withdrawn"), c.withdrawn),
            label,
        ));
    }
    spans
}

/// Each tab's text, in order: its key and title.
fn tab_labels(app: &App) -> Vec<(Screen, String)> {
    let actions = [
        Action::ScreenStudents,
        Action::ScreenSessions,
        Action::ScreenCheckin,
        Action::ScreenPhotos,
        Action::ScreenReports,
    ];
    Screen::ALL
        .into_iter()
        .zip(actions)
        .map(|(screen, action)| {
            let key = app
                .keymap
                .first_key(&action)
                .map(|k| format!("{} ", k.label()))
                .unwrap_or_default();
            (screen, format!(" {key}{} ", screen.title()))
        })
        .collect()
}

fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let mut spans = Vec::new();
    for (i, (screen, text)) in tab_labels(app).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", app.theme.style(Role::Muted)));
        }
        let style = if screen == app.screen {
            app.theme.tab_active()
        } else {
            app.theme.style(Role::Tab)
        };
        spans.push(Span::styled(text, style));
    }
    frame.render_widget(
        Paragraph::new(Line::from(widgets::clip_spans(spans, area.width as usize))),
        area,
    );
}

fn render_status(app: &App, frame: &mut Frame, area: Rect) {
    let width = area.width as usize;
    let style = app.theme.status_bar();
    let key = app.theme.style(Role::Key);
    let mut hint = Vec::new();
    for (action, word) in [
        (Action::Help, tr("帮助", "help")),
        (Action::Quit, tr("退出", "quit")),
    ] {
        // the key that works here (the scan line takes `?` and `q` as text)
        let here = Scope::active(app.mode())
            .into_iter()
            .find_map(|scope| app.keymap.key_in(scope, &action));
        if let Some(k) = here.or_else(|| app.keymap.first_key(&action)) {
            hint.push(Span::styled(format!(" {}", k.label()), key));
            hint.push(Span::raw(format!(" {word} ")));
        }
    }
    let hint_width: usize = hint.iter().map(|s| widgets::width(&s.content)).sum();
    let operator = format!(
        " {} {} │ ",
        tr("操作员", "operator"),
        widgets::truncate(&app.operator, 16)
    );
    // how many students are shown, of how many loaded
    let count = if app.students.loaded {
        format!(
            " │ {}/{}{}",
            app.students.view.len(),
            app.students.roster.len(),
            tr(" 名", "")
        )
    } else {
        String::new()
    };
    // one column keeps the hint apart from the text before it (see `bar`)
    let room =
        width.saturating_sub(hint_width + 1 + widgets::width(&operator) + widgets::width(&count));
    let mut left = vec![Span::raw(operator)];
    match (&app.last_error, super::screen::of(app.screen).notice(app)) {
        // what the last action here did: an export written, a reload, filters cleared
        (None, _) if app.message.is_some() => {
            if let Some(m) = &app.message {
                let role = if m.ok { Role::StatusOk } else { Role::Error };
                let text = match &m.path {
                    Some(path) => {
                        // a file's name matters more than who is signed in: the line is its own
                        let room = width.saturating_sub(hint_width + 2);
                        left.clear();
                        let label = widgets::width(&m.text) + 4;
                        let name = path.rsplit('/').next().unwrap_or(path);
                        if label + 2 + widgets::width(name) <= room {
                            format!(" {} → {}", m.text, short_path(path, room - label))
                        } else {
                            format!(" {}", short_path(path, room))
                        }
                    }
                    None => widgets::truncate(&m.text, room + widgets::width(&count)),
                };
                left.push(Span::styled(text, app.theme.style(role)));
            }
        }
        // the screen's own line: what its last assignment or plan did, an export under way
        (None, Some(notice)) if notice.with_count => {
            left.push(Span::styled(
                widgets::truncate(&notice.text, room),
                app.theme.style(notice.role),
            ));
            left.push(Span::raw(count));
        }
        (None, Some(notice)) => left.push(Span::styled(
            widgets::truncate(&notice.text, room + widgets::width(&count)),
            app.theme.style(notice.role),
        )),
        (None, None) => {
            left.push(Span::raw(widgets::truncate_start(&app.database_url, room)));
            left.push(Span::raw(count));
        }
        (Some(error), _) => {
            // The error matters more than the URL: the URL gets at most a third of the room,
            // and none at all when the terminal is narrow.
            let room = room + widgets::width(&count);
            let url_room = if room < 60 {
                0
            } else {
                widgets::width(&app.database_url).min(room / 3).min(room)
            };
            let url = widgets::truncate_start(&app.database_url, url_room);
            let retry = match app.retry.waiting {
                Some(after) => format!(" · {}{}", after.as_secs(), tr(" 秒后重试", "s to retry")),
                None if app.loading() => format!(" · {}", tr("重试中…", "retrying…")),
                None => String::new(),
            };
            let url_part = if url.is_empty() {
                0
            } else {
                widgets::width(&url) + 3
            };
            let error_room = room.saturating_sub(url_part + widgets::width(&retry));
            if !url.is_empty() {
                left.push(Span::raw(url));
                left.push(Span::raw(" │ "));
            }
            left.push(Span::styled(
                widgets::truncate(error, error_room),
                app.theme.style(Role::Error),
            ));
            left.push(Span::styled(retry, app.theme.style(Role::Error)));
        }
    }
    frame.render_widget(bar(left, hint, width, style), area);
}

/// A file path in `room` columns, its name kept whole: the folders go from the start first
/// (`…/exports/students-张颖-20260306-101500.xlsx`), and only a name longer than the room is cut.
pub fn short_path(path: &str, room: usize) -> String {
    if widgets::width(path) <= room {
        return path.to_string();
    }
    let parts: Vec<&str> = path.split('/').collect();
    for from in 1..parts.len() {
        let candidate = format!("…/{}", parts[from..].join("/"));
        if widgets::width(&candidate) <= room {
            return candidate;
        }
    }
    let name = parts.last().copied().unwrap_or(path);
    widgets::truncate_start(name, room)
}
