//! The Reports screen: completion per college (or per class or counselor of one college) as
//! gauges with counts and percentages of the active students, a totals line, and a chart of
//! check-ins and valid photos per day.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Paragraph};

use super::super::action::{Action, Screen};
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::theme::{Role, Theme};
use super::super::widgets;
use super::areas;
use crate::i18n::tr;
use crate::ops::report_files::total_of;
use crate::store::{DailyProgress, GroupBy, GroupCounts};
use crate::words::reports::{group_label, total_label};

/// The parts of the screen inside its border.
struct Parts {
    /// Column header, group rows and the totals line.
    table: Rect,
    /// Title, legend and bars (empty when the terminal is too short for it).
    chart: Rect,
}

/// The chart takes the room the groups leave, at least 7 rows (when the terminal has 14) and at
/// most three fifths; the table takes the rest, so many groups scroll above a smaller chart.
fn parts(inner: Rect, groups: usize) -> Parts {
    let table_wanted = groups as u16 + 2;
    let chart_height = if inner.height >= 14 {
        inner
            .height
            .saturating_sub(table_wanted)
            .clamp(7, (inner.height * 3 / 5).max(7))
    } else {
        0
    };
    let table = Rect {
        height: inner.height - chart_height,
        ..inner
    };
    let chart = Rect {
        y: inner.y + table.height,
        height: chart_height,
        ..inner
    };
    Parts { table, chart }
}

fn inner_of(body: Rect) -> Rect {
    Block::bordered().inner(body)
}

/// Group rows that fit on screen now (for paging).
pub fn visible_rows(app: &App) -> usize {
    let body = areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    table_rows(parts(inner_of(body), app.reports.rows().0.len()).table)
}

/// Rows of groups in a table area: less the column header and the totals line.
fn table_rows(table: Rect) -> usize {
    (table.height as usize).saturating_sub(2)
}

/// What the status bar says on this screen when there is no error: an export under way (the
/// file written is the app's status message).
pub fn status_notice(app: &App) -> Option<crate::tui::screen::Notice> {
    app.reports.exporting.then(|| crate::tui::screen::Notice {
        text: format!(" {}", tr("正在导出…", "exporting…")),
        role: Role::Muted,
        with_count: false,
    })
}

fn title(app: &App) -> String {
    // which groups are on screen, when not all are: here, not on the totals line
    let (groups, selected) = app.reports.rows();
    let rows = visible_rows(app);
    let place = if groups.len() > rows && rows > 0 {
        let first = window_start(selected, rows, groups.len());
        format!("{}–{}/{} ", first + 1, first + rows, groups.len())
    } else {
        String::new()
    };
    let name = match &app.reports.breakdown {
        None => format!(
            " {} · {} ",
            Screen::Reports.title(),
            tr("各学院完成情况", "completion by college")
        ),
        Some(b) => {
            let by = if b.by == GroupBy::Class {
                tr("各班级", "by class")
            } else {
                tr("各辅导员", "by counselor")
            };
            format!(
                " {} › {} · {by} ",
                Screen::Reports.title(),
                widgets::truncate(&b.college, 30)
            )
        }
    };
    format!("{name}{place}")
}

/// The first group row shown when `selected` of `len` is kept on `rows` rows.
fn window_start(selected: usize, rows: usize, len: usize) -> usize {
    selected
        .saturating_sub(rows.saturating_sub(1))
        .min(len.saturating_sub(rows))
}

/// The keys of this screen, for the border's bottom line.
fn hint(app: &App) -> Line<'static> {
    let t = &app.theme;
    let items: Vec<(Action, &str)> = match &app.reports.breakdown {
        None => vec![
            (Action::ReportDrillDown, tr("班级", "classes")),
            (Action::ReportSwitchGroup, tr("辅导员", "counselors")),
            (Action::ExportReportXlsx, "XLSX"),
            (Action::ExportReportCsv, "CSV"),
        ],
        Some(b) => vec![
            (Action::ReportDrillDown, tr("学生名单", "students")),
            (Action::ReportBack, tr("返回", "back")),
            (
                Action::ReportSwitchGroup,
                if b.by == GroupBy::Class {
                    tr("辅导员", "counselors")
                } else {
                    tr("班级", "classes")
                },
            ),
            (Action::ExportReportXlsx, "XLSX"),
            (Action::ExportReportCsv, "CSV"),
        ],
    };
    let mut spans = vec![Span::raw(" ")];
    for (action, word) in items {
        let Some(key) = app.keymap.key_in(Scope::Reports, &action) else {
            continue;
        };
        spans.push(Span::styled(key.label(), t.style(Role::Key)));
        spans.push(Span::styled(format!(" {word}  "), t.style(Role::Muted)));
    }
    Line::from(spans)
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            widgets::truncate(&title(app), area.width.saturating_sub(4) as usize),
            theme.style(Role::Title),
        ))
        .title_bottom(hint(app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let padded = Rect {
        x: inner.x + 1,
        width: inner.width.saturating_sub(2),
        ..inner
    };
    let parts = parts(padded, app.reports.rows().0.len());
    let reports = &app.reports;
    let message = |text: &str, role: Role| {
        let lines: Vec<Line> = widgets::wrap(text, padded.width as usize)
            .into_iter()
            .map(|l| Line::styled(l, theme.style(role)))
            .collect();
        Paragraph::new(lines)
    };
    let reading = tr("读取中…", "reading…");
    match (&reports.data, &reports.breakdown) {
        (None, _) => frame.render_widget(message(reading, Role::Muted), parts.table),
        (Some(Err(e)), None) => {
            let text = format!("{}{e}", tr("读不到报表：", "cannot read the report: "));
            frame.render_widget(message(&text, Role::Error), parts.table);
        }
        (_, Some(b)) => match &b.groups {
            None => frame.render_widget(message(reading, Role::Muted), parts.table),
            Some(Err(e)) => {
                let text = format!(
                    "{}{e}",
                    tr(
                        "读不到这个学院的明细：",
                        "cannot read this college's breakdown: "
                    )
                );
                frame.render_widget(message(&text, Role::Error), parts.table);
            }
            Some(Ok(groups)) => render_table(app, b.by, groups, b.selected, frame, parts.table),
        },
        (Some(Ok(data)), None) if data.colleges.is_empty() => {
            let text = tr(
                "本届名单里没有在籍学生，还没有可以统计的内容。先导入名单：caiji import FILE",
                "No active students in this cohort yet, so nothing to count. Import the roster first: caiji import FILE",
            );
            frame.render_widget(message(text, Role::Muted), parts.table);
        }
        (Some(Ok(data)), None) => render_table(
            app,
            GroupBy::College,
            &data.colleges,
            reports.selected,
            frame,
            parts.table,
        ),
    }
    if parts.chart.height > 0 {
        // inside a college, that college's days
        let (daily, whose) = match &reports.breakdown {
            Some(b) => (
                match &b.daily {
                    Some(Ok(d)) => Some(d.as_slice()),
                    _ => None,
                },
                Some(b.college.as_str()),
            ),
            None => (
                match &reports.data {
                    Some(Ok(d)) => Some(d.daily.as_slice()),
                    _ => None,
                },
                None,
            ),
        };
        render_chart(theme, daily, whose, frame, parts.chart);
    }
}

/// Column widths: group name, active students, each of the four measures, and (when wide
/// enough) the plain counts of invalid and missing photos and the completion rate.
struct Columns {
    name: usize,
    total: usize,
    measure: usize,
    count: usize,
    /// Width of each extra column; 0 when they are not shown.
    extra: usize,
}

/// Terminal columns from which 不合格, 缺照片 and 完成率 are shown beside the gauges.
pub const EXTRAS_FROM: usize = 110;

fn columns(width: usize, groups: &[GroupCounts]) -> Columns {
    let name = (width * 22 / 100).clamp(8, 30);
    let biggest = groups
        .iter()
        .map(|g| g.total)
        .max()
        .unwrap_or(0)
        .max(total_of(groups).total);
    let count = biggest.to_string().len().max(3);
    let total = count.max(4) + 1;
    let extra = if width >= EXTRAS_FROM {
        // " 不合格" is 7 columns; "100.0%" is 6
        (count + 1).max(7)
    } else {
        0
    };
    let measure = width.saturating_sub(name + total + 3 * extra) / 4;
    // the columns fill the line: what the measures leave goes to the names
    let name = width.saturating_sub(total + 4 * measure + 3 * extra);
    Columns {
        name,
        total,
        measure,
        count,
        extra,
    }
}

/// The four measures of a group, in the order of the columns.
fn measures(g: &GroupCounts) -> [i64; 4] {
    [
        g.code_active,
        g.session_assigned,
        g.checked_in,
        g.photo_valid,
    ]
}

/// A gauge of `part / whole` in `cells` columns, with eighths for the last cell.
pub fn bar(part: i64, whole: i64, cells: usize) -> String {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if cells == 0 {
        return String::new();
    }
    let eighths = if whole > 0 {
        (part.clamp(0, whole) * cells as i64 * 8 / whole) as usize
    } else {
        0
    };
    let mut out = "█".repeat(eighths / 8);
    if eighths / 8 < cells {
        if eighths % 8 > 0 {
            out.push(EIGHTHS[eighths % 8]);
        }
        let used = eighths / 8 + usize::from(eighths % 8 > 0);
        out.push_str(&"░".repeat(cells - used));
    }
    out
}

fn percent(part: i64, whole: i64) -> i64 {
    if whole > 0 { part * 100 / whole } else { 0 }
}

fn measure_spans(
    part: i64,
    whole: i64,
    c: &Columns,
    theme: &Theme,
    base: Style,
) -> Vec<Span<'static>> {
    let text = format!(" {:>w$} {:>3}%", part, percent(part, whole), w = c.count);
    let cells = c.measure.saturating_sub(widgets::width(&text) + 1);
    let role = if whole > 0 && part >= whole {
        Role::StatusOk
    } else if part == 0 {
        Role::StatusMissing
    } else {
        Role::StatusWarn
    };
    vec![
        Span::styled(" ", base),
        Span::styled(bar(part, whole, cells), base.patch(theme.style(role))),
        Span::styled(text, base),
    ]
}

fn group_name(by: GroupBy, g: &GroupCounts) -> String {
    if g.group.trim().is_empty() {
        return tr("（未填写）", "(blank)").to_string();
    }
    group_label(by, &g.group)
}

fn group_line(
    name: &str,
    g: &GroupCounts,
    c: &Columns,
    theme: &Theme,
    base: Style,
) -> Line<'static> {
    let mut spans = vec![
        Span::styled(widgets::fit(name, c.name), base),
        Span::styled(widgets::fit_right(&g.total.to_string(), c.total), base),
    ];
    for part in measures(g) {
        spans.extend(measure_spans(part, g.total, c, theme, base));
    }
    if c.extra > 0 {
        let percent = if g.total > 0 {
            format!("{:.1}%", g.completion() * 100.0)
        } else {
            "—".to_string()
        };
        for text in [
            g.photo_invalid.to_string(),
            g.photo_missing.to_string(),
            percent,
        ] {
            spans.push(Span::styled(widgets::fit_right(&text, c.extra), base));
        }
    }
    Line::from(spans)
}

fn render_table(
    app: &App,
    by: GroupBy,
    groups: &[GroupCounts],
    selected: usize,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &app.theme;
    let width = area.width as usize;
    let c = columns(width, groups);
    let head = theme.style(Role::ColumnHeader);
    let group_word = match by {
        GroupBy::College => tr("学院", "College"),
        GroupBy::Class => tr("班级", "Class"),
        GroupBy::Counselor => tr("辅导员", "Counselor"),
        GroupBy::Session => tr("场次", "Session"),
        GroupBy::Level => tr("层次", "Level"),
    };
    let mut header = vec![
        Span::styled(widgets::fit(group_word, c.name), head),
        Span::styled(widgets::fit_right(tr("人数", "total"), c.total), head),
    ];
    for word in [
        tr("已发码", "codes"),
        tr("已排场次", "in a session"),
        tr("已签到", "checked in"),
        tr("合格照片", "valid photo"),
    ] {
        header.push(Span::styled(widgets::fit_right(word, c.measure), head));
    }
    if c.extra > 0 {
        for word in [
            tr("不合格", "invalid"),
            tr("缺照片", "missing"),
            tr("完成率", "done"),
        ] {
            header.push(Span::styled(widgets::fit_right(word, c.extra), head));
        }
    }
    let mut lines = vec![Line::from(widgets::clip_spans(header, width))];
    let rows = table_rows(area);
    // the window keeps the selection on screen
    let offset = window_start(selected, rows, groups.len());
    let text = theme.style(Role::Text);
    for (i, g) in groups.iter().enumerate().skip(offset).take(rows) {
        let base = if i == selected {
            theme.selection()
        } else {
            text
        };
        let line = group_line(&group_name(by, g), g, &c, theme, base);
        lines.push(Line::from(widgets::clip_spans(line.spans, width)).style(base));
    }
    // the totals line sits right under the groups, and always sums all of them (which are
    // on screen is said in the title)
    let total = total_of(groups);
    let label = match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("{}（全部 {} 个）", total_label(), groups.len()),
        crate::i18n::Lang::En => format!("{} (all {})", total_label(), groups.len()),
    };
    let bold = text.add_modifier(Modifier::BOLD);
    let line = group_line(&label, &total, &c, theme, bold);
    lines.push(Line::from(widgets::clip_spans(line.spans, width)));
    frame.render_widget(Paragraph::new(lines), area);
}

fn render_chart(
    theme: &Theme,
    daily: Option<&[DailyProgress]>,
    whose: Option<&str>,
    frame: &mut Frame,
    area: Rect,
) {
    let width = area.width as usize;
    let checkin_style = theme.style(Role::Key);
    let mut photo_style = theme.style(Role::StatusOk);
    if photo_style.fg == checkin_style.fg {
        // a theme without colours (mono): the two bars of a day differ by weight, not only place
        photo_style = photo_style
            .remove_modifier(Modifier::BOLD)
            .add_modifier(Modifier::DIM);
    }
    let muted = theme.style(Role::Muted);
    let days = daily.unwrap_or(&[]);
    let biggest = days
        .iter()
        .map(|d| d.checked_in.max(d.photo_valid))
        .max()
        .unwrap_or(0);
    // each day: two bars wide enough for their numbers (wider when there are few days), a
    // column between them and two between days
    let digits = biggest.to_string().len().max(3);
    let bar_width =
        ((width / days.len().max(1)).saturating_sub(3) / 2).clamp(digits, 6.max(digits));
    let shown = ((width + 2) / (2 * bar_width + 3)).max(1);
    let recent = &days[days.len().saturating_sub(shown)..];
    let heading = match whose {
        Some(college) => format!(
            "{} · {}  ",
            tr("每日进度", "Daily progress"),
            widgets::truncate(college, 20)
        ),
        None => format!("{}  ", tr("每日进度", "Daily progress")),
    };
    let mut head = vec![
        Span::styled(heading, theme.style(Role::ColumnHeader)),
        Span::styled("■ ", checkin_style),
        Span::styled(format!("{}  ", tr("签到", "check-ins")), muted),
        Span::styled("■ ", photo_style),
        Span::styled(format!("{}  ", tr("合格照片", "valid photos")), muted),
    ];
    if recent.len() < days.len() {
        head.push(Span::styled(
            format!(
                "{} {} {}",
                tr("最近", "last"),
                recent.len(),
                tr("天", "days")
            ),
            muted,
        ));
    }
    let title = Rect { height: 1, ..area };
    frame.render_widget(
        Paragraph::new(Line::from(widgets::clip_spans(head, width))),
        title,
    );
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    let empty = match daily {
        None => Some(tr("读取中…", "reading…")),
        Some([]) => Some(tr(
            "还没有签到或照片记录",
            "no check-ins or photos recorded yet",
        )),
        Some(_) => None,
    };
    if let Some(text) = empty {
        frame.render_widget(Paragraph::new(Line::styled(text, muted)), body);
        return;
    }
    let groups: Vec<BarGroup> = recent
        .iter()
        .map(|d| {
            let bars = [
                Bar::default()
                    .value(d.checked_in.max(0) as u64)
                    .style(checkin_style)
                    .value_style(checkin_style.add_modifier(Modifier::REVERSED)),
                Bar::default()
                    .value(d.photo_valid.max(0) as u64)
                    .style(photo_style)
                    .value_style(photo_style.add_modifier(Modifier::REVERSED)),
            ];
            BarGroup::default()
                .label(Line::styled(d.day.format("%m-%d").to_string(), muted))
                .bars(&bars)
        })
        .collect();
    let mut chart = BarChart::default()
        .bar_width(bar_width as u16)
        .bar_gap(1)
        .group_gap(2);
    for g in groups {
        chart = chart.data(g);
    }
    frame.render_widget(chart, body);
}
