//! The Sessions screen: every session with its time, place and kind, and how full it is
//! (assigned and checked in against the capacity) as gauges; the selected session's classes
//! below (or beside, on wide terminals); the assign question and the plan form over it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::action::Action;
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::sessions::PlanForm;
use super::super::theme::{Role, Theme};
use super::super::widgets;
use super::palette::{frame_block, hint, scroll_window, window};
use crate::i18n::{Lang, lang, tr};
use crate::store::SessionRow;

/// Columns of the detail pane when it sits beside the list.
const DETAIL_WIDTH: u16 = 46;

/// Where the parts of the screen go.
struct Parts {
    list: Rect,
    detail: Rect,
}

fn parts(body: Rect) -> Parts {
    if body.width >= 110 {
        let [list, detail] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(DETAIL_WIDTH)]).areas(body);
        Parts { list, detail }
    } else {
        let [list, detail] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        Parts { list, detail }
    }
}

/// Session rows that fit in the list now (for paging).
pub fn list_rows(app: &App) -> usize {
    let body = super::areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    Block::bordered()
        .inner(parts(body).list)
        .height
        .saturating_sub(1) as usize
}

/// A gauge drawn in cells: `value` of `max` as a bar `width` columns wide, with eighth blocks
/// for the last cell, so small changes show. Every cell is one column wide.
pub fn gauge(value: i64, max: i64, width: usize, fill: Style, empty: Style) -> Vec<Span<'static>> {
    const EIGHTHS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    if width == 0 {
        return Vec::new();
    }
    let ratio = if max > 0 {
        (value.max(0) as f64 / max as f64).min(1.0)
    } else {
        0.0
    };
    let eighths = (ratio * (width * 8) as f64).round() as usize;
    let (full, part) = (eighths / 8, eighths % 8);
    let mut bar = "█".repeat(full);
    if full < width && part > 0 {
        bar.push(EIGHTHS[part]);
    }
    let rest = width - widgets::width(&bar);
    vec![
        Span::styled(bar, fill),
        Span::styled("░".repeat(rest), empty),
    ]
}

/// The fill colour of a gauge: done when full, a warning when over.
fn gauge_style(theme: &Theme, value: i64, max: i64) -> Style {
    if value > max && max > 0 {
        theme.style(Role::Error)
    } else if value >= max && max > 0 {
        theme.style(Role::StatusWarn)
    } else {
        theme.style(Role::StatusOk)
    }
}

/// A labelled gauge with its figures: `排 ████░░ 300/350`.
pub fn labelled_gauge(
    theme: &Theme,
    label: &str,
    value: i64,
    max: i64,
    bar: usize,
    figures: usize,
) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(format!("{label} "), theme.style(Role::Muted))];
    spans.extend(gauge(
        value,
        max,
        bar,
        gauge_style(theme, value, max),
        theme.style(Role::Muted),
    ));
    spans.push(Span::styled(
        widgets::fit_right(&format!("{value}/{max}"), figures + 1),
        theme.style(Role::Text),
    ));
    spans
}

/// `03-02 08:30-11:30`
pub fn time_span(s: &SessionRow) -> String {
    format!(
        "{}-{}",
        crate::clock::local(s.starts_at).format("%m-%d %H:%M"),
        crate::clock::local(s.ends_at).format("%H:%M")
    )
}

pub fn kind_label(s: &SessionRow) -> &'static str {
    if s.makeup {
        tr("补采", "make-up")
    } else {
        tr("正常", "normal")
    }
}

/// Column widths of a list row `width` columns wide.
struct RowWidths {
    location: usize,
    kind: usize,
    bar: usize,
}

const TIME: usize = 17;
const FIGURES: usize = 9;

fn row_widths(width: usize) -> RowWidths {
    let kind = [tr("补采", "make-up"), tr("正常", "normal")]
        .iter()
        .map(|k| widgets::width(k))
        .max()
        .unwrap_or(4);
    // marker, time, kind and the spaces between
    let rest = width.saturating_sub(2 + TIME + 1 + kind + 1);
    let gauge_fixed = 3 + 1 + FIGURES; // label, space, figures
    let bar = (rest.saturating_sub(12) / 2)
        .saturating_sub(gauge_fixed)
        .clamp(3, 20);
    let location = rest.saturating_sub(2 * (gauge_fixed + bar) + 2);
    RowWidths {
        location,
        kind,
        bar,
    }
}

fn list_line(app: &App, s: &SessionRow, selected: bool, w: &RowWidths) -> Line<'static> {
    let theme = &app.theme;
    let text = if selected {
        theme.selection()
    } else {
        theme.style(Role::Text)
    };
    let kind_style = if s.makeup {
        theme.style(Role::StatusWarn)
    } else {
        theme.style(Role::Muted)
    };
    let mut spans = vec![
        Span::styled(if selected { "▶ " } else { "  " }, text),
        Span::styled(format!("{} ", time_span(s)), text),
        Span::styled(format!("{} ", widgets::fit(&s.location, w.location)), text),
        Span::styled(
            format!("{} ", widgets::fit(kind_label(s), w.kind)),
            kind_style,
        ),
    ];
    let cap = i64::from(s.capacity);
    spans.extend(labelled_gauge(
        theme,
        tr("排", "A"),
        s.assigned,
        cap,
        w.bar,
        FIGURES,
    ));
    spans.push(Span::raw(" "));
    spans.extend(labelled_gauge(
        theme,
        tr("签", "C"),
        s.checked_in,
        cap,
        w.bar,
        FIGURES,
    ));
    Line::from(spans)
}

fn header_line(theme: &Theme, w: &RowWidths) -> Line<'static> {
    let style = theme.style(Role::ColumnHeader);
    let gauge_w = 3 + w.bar + 1 + FIGURES;
    let text = format!(
        "  {} {} {} {} {}",
        widgets::fit(tr("日期 时间", "date time"), TIME),
        widgets::fit(tr("地点", "location"), w.location),
        widgets::fit(tr("类型", "kind"), w.kind),
        widgets::fit(tr("已排 / 容量", "Assigned / capacity"), gauge_w),
        widgets::fit(tr("已签到 / 容量", "Checked in / capacity"), gauge_w),
    );
    Line::styled(text, style)
}

fn titled_block(theme: &Theme, title: &str) -> Block<'static> {
    Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::styled(format!(" {title} "), theme.style(Role::Title)))
}

pub fn render(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let p = parts(body);
    let s = &app.sessions;
    let count = s.rows().len();
    let title = match &s.data {
        Some(Ok(_)) => format!("{} · {count}", tr("采集场次", "Sessions")),
        _ => tr("采集场次", "Sessions").to_string(),
    };
    let block = titled_block(theme, &title);
    let inner = block.inner(p.list);
    frame.render_widget(block, p.list);
    let width = inner.width as usize;
    let mut lines: Vec<Line> = Vec::new();
    match &s.data {
        None => lines.push(Line::styled(
            tr(" 读取场次中…", " reading sessions…"),
            theme.style(Role::Muted),
        )),
        Some(Err(e)) => {
            lines.push(Line::styled(
                widgets::truncate(
                    &format!(" {} {e}", tr("读不到场次：", "cannot read the sessions:")),
                    width,
                ),
                theme.style(Role::Error),
            ));
        }
        Some(Ok(d)) if d.sessions.is_empty() => {
            lines.push(Line::styled(
                tr(" 还没有场次。", " No sessions yet."),
                theme.style(Role::Text),
            ));
            let how = match app.keymap.key_in(Scope::Sessions, &Action::PlanSessions) {
                Some(k) => format!(
                    " {} {} {}",
                    tr("按", "Press"),
                    k.label(),
                    tr(
                        "为未排场次的学生排场次。",
                        "to plan sessions for the students without one."
                    )
                ),
                None => String::new(),
            };
            lines.push(Line::styled(
                widgets::truncate(&how, width),
                theme.style(Role::Muted),
            ));
        }
        Some(Ok(d)) => {
            let w = row_widths(width);
            lines.push(header_line(theme, &w));
            let visible = inner.height.saturating_sub(1) as usize;
            for i in scroll_window(s.selected, d.sessions.len(), visible) {
                lines.push(list_line(app, &d.sessions[i], i == s.selected, &w));
            }
        }
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(widgets::clip_spans(l.spans, width)).style(l.style))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    render_detail(app, frame, p.detail);
    if let Some(c) = &s.confirm {
        render_confirm(app, c, frame, body);
    }
    if let Some(form) = &s.form {
        render_form(app, form, frame, body);
    }
}

fn render_detail(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let block = titled_block(theme, tr("场次详情", "Session"));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let Some(s) = app.sessions.selected_row() else {
        return;
    };
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let mut lines = vec![
        Line::styled(
            widgets::truncate(&format!(" #{} {}", s.id, widgets::clean(&s.title)), width),
            theme.style(Role::Title).add_modifier(Modifier::BOLD),
        ),
        Line::styled(
            widgets::truncate(
                &format!(
                    " {} {} · {} · {} {}",
                    crate::clock::local(s.starts_at).format("%Y-%m-%d %H:%M"),
                    crate::clock::local(s.ends_at).format("- %H:%M"),
                    widgets::clean(&s.location),
                    s.stations,
                    tr("个工位", "stations")
                ),
                width,
            ),
            text,
        ),
    ];
    let cap = i64::from(s.capacity);
    let bar = width.saturating_sub(4 + 1 + FIGURES + 1 + 1).clamp(3, 30);
    for (label, value) in [
        (tr("已排", "assigned"), s.assigned),
        (tr("签到", "checked in"), s.checked_in),
    ] {
        let label = widgets::fit(label, 10.min(width / 4));
        let mut spans = vec![Span::raw(" ")];
        spans.extend(labelled_gauge(
            theme,
            &label,
            value,
            cap,
            bar.min(width.saturating_sub(widgets::width(&label) + FIGURES + 4)),
            FIGURES,
        ));
        lines.push(Line::from(widgets::clip_spans(spans, width)));
    }
    let groups: Vec<_> = match &app.sessions.data {
        Some(Ok(d)) => d.groups.iter().filter(|g| g.session_id == s.id).collect(),
        _ => Vec::new(),
    };
    if groups.is_empty() {
        lines.push(Line::styled(
            tr(" 还没有安排学生", " no students assigned yet"),
            muted,
        ));
    } else {
        let n = groups.len();
        let head = if lang() == Lang::Zh {
            format!(" 班级（{n}）")
        } else {
            format!(" Classes ({n})")
        };
        lines.push(Line::styled(head, theme.style(Role::ColumnHeader)));
        let room = inner.height as usize - lines.len().min(inner.height as usize);
        let shown = if n > room { room.saturating_sub(1) } else { n };
        for g in groups.iter().take(shown) {
            let figure = format!("{}{}", g.students, tr(" 人", ""));
            let name_w = width.saturating_sub(widgets::width(&figure) + 2);
            let name = format!(
                "{} {} · {}",
                widgets::clean(&g.college),
                widgets::clean(&g.class),
                widgets::clean(&g.counselor)
            );
            lines.push(Line::from(vec![
                Span::styled(format!(" {} ", widgets::fit(&name, name_w)), text),
                Span::styled(figure, muted),
            ]));
        }
        if shown < n {
            lines.push(Line::styled(format!(" … +{}", n - shown), muted));
        }
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(widgets::clip_spans(l.spans, width)).style(l.style))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

fn render_confirm(
    app: &App,
    c: &super::super::sessions::AssignConfirm,
    frame: &mut Frame,
    area: Rect,
) {
    let theme = &app.theme;
    let inner_width = 60usize.min(area.width.saturating_sub(6) as usize);
    let who: Vec<String> = [&c.college, &c.class]
        .into_iter()
        .flatten()
        .map(|t| widgets::clean(t).into_owned())
        .collect();
    let session = app.sessions.rows().iter().find(|s| s.id == c.session_id);
    let target = match session {
        Some(s) => format!("#{} {} {}", s.id, time_span(s), widgets::clean(&s.location)),
        None => format!("#{}", c.session_id),
    };
    let question = match lang() {
        Lang::Zh => format!(
            "把「{}」的所有学生（不含已退出的）安排到场次 {target}？",
            who.join(" · ")
        ),
        Lang::En => format!(
            "Assign every student (not withdrawn) of “{}” to session {target}?",
            who.join(" · ")
        ),
    };
    let note = tr(
        "已在其他未结束场次的学生保持不变；超出容量时不做任何改动。",
        "Students already in another session that has not ended stay there; nothing changes if the session would overflow.",
    );
    let mut lines: Vec<Line> = Vec::new();
    for l in widgets::wrap(&question, inner_width.saturating_sub(1)) {
        lines.push(Line::styled(format!(" {l}"), theme.style(Role::Text)));
    }
    for l in widgets::wrap(note, inner_width.saturating_sub(1)) {
        lines.push(Line::styled(format!(" {l}"), theme.style(Role::Muted)));
    }
    let rect = window(area, inner_width as u16 + 2, lines.len());
    let bottom = hint(
        app,
        Scope::Sessions,
        &[
            (Action::Accept, tr("确认", "confirm")),
            (Action::Close, tr("取消", "cancel")),
        ],
    );
    let block = frame_block(
        theme,
        tr("安排学生", "Assign students"),
        bottom,
        inner_width,
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

fn render_form(app: &App, form: &PlanForm, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let inner_width = 70usize.min(area.width.saturating_sub(6) as usize);
    let label_w = PlanForm::LABELS
        .iter()
        .map(|(zh, en)| widgets::width(tr(zh, en)))
        .max()
        .unwrap_or(8);
    let mut lines: Vec<Line> = Vec::new();
    for (i, ((zh, en), value)) in PlanForm::LABELS.iter().zip(&form.fields).enumerate() {
        let focused = i == form.focus;
        let mark = if focused { "▶ " } else { "  " };
        let room = inner_width.saturating_sub(label_w + 4);
        let value = widgets::truncate_start(value, room.saturating_sub(1));
        let mut spans = vec![
            Span::styled(
                format!("{mark}{} ", widgets::fit(tr(zh, en), label_w)),
                theme.style(if focused { Role::Key } else { Role::Muted }),
            ),
            Span::styled(value, theme.style(Role::Text)),
        ];
        if focused {
            spans.push(Span::styled("▏", theme.style(Role::Key)));
            if i == super::super::sessions::COLLEGES_FIELD && form.fields[i].is_empty() {
                spans.push(Span::styled(
                    tr(
                        "空＝全部；或写几个学院，逗号分开（可只写一段，如 计算机）",
                        "empty: all; or some colleges, comma-separated (part of a name will do)",
                    ),
                    theme.style(Role::Muted),
                ));
            }
        }
        lines.push(Line::from(widgets::clip_spans(spans, inner_width)));
    }
    lines.push(Line::raw(""));
    let muted = theme.style(Role::Muted);
    if let Some(e) = &form.error {
        for l in widgets::wrap(e, inner_width.saturating_sub(1)) {
            lines.push(Line::styled(format!(" {l}"), theme.style(Role::Error)));
        }
    } else if form.busy {
        lines.push(Line::styled(tr(" 排场中…", " planning…"), muted));
    } else {
        match &form.preview {
            None => lines.push(Line::styled(
                tr(
                    " 按 Enter 预览（不会改动任何数据）",
                    " Press Enter for a preview (nothing is changed)",
                ),
                muted,
            )),
            Some(Err(e)) => {
                for l in widgets::wrap(e, inner_width.saturating_sub(1)) {
                    lines.push(Line::styled(format!(" {l}"), theme.style(Role::Error)));
                }
            }
            Some(Ok(p)) => preview_lines(theme, p, inner_width, &mut lines),
        }
    }
    let rect = window(area, inner_width as u16 + 2, lines.len());
    let ready = matches!(&form.preview, Some(Ok(p)) if !p.plan.sessions.is_empty());
    let warned = matches!(&form.preview, Some(Ok(p)) if !p.warnings.is_empty());
    let accept = match (ready, warned) {
        (true, true) => tr("仍然创建", "create anyway"),
        (true, false) => tr("创建", "create"),
        _ => tr("预览", "preview"),
    };
    let bottom = hint(
        app,
        Scope::PlanForm,
        &[
            (Action::Accept, accept),
            (Action::MoveDown, tr("下一栏", "next field")),
            (Action::Close, tr("取消", "cancel")),
        ],
    );
    let block = frame_block(
        theme,
        tr(
            "为未排场次的学生排场次",
            "Plan sessions for students without one",
        ),
        bottom,
        inner_width,
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

fn preview_lines(
    theme: &Theme,
    p: &super::super::action::PlanOutcome,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let plan = &p.plan;
    let zh = lang() == Lang::Zh;
    let head = if zh {
        format!(
            " 预览：{} 个场次，安排 {} 名学生（待排 {} 人）",
            plan.sessions.len(),
            plan.placed(),
            p.waiting
        )
    } else {
        format!(
            " Preview: {} sessions, {} students placed ({} waiting)",
            plan.sessions.len(),
            plan.placed(),
            p.waiting
        )
    };
    lines.push(Line::styled(
        widgets::truncate(&head, width),
        theme.style(Role::Title),
    ));
    // one line a day: its sessions' fill, so a plan piled into one morning shows
    let mut days: Vec<(chrono::NaiveDate, Vec<String>, Vec<&str>)> = Vec::new();
    for s in &plan.sessions {
        let day = s.starts_at.date();
        if days.last().is_none_or(|d| d.0 != day) {
            days.push((day, Vec::new(), Vec::new()));
        }
        if let Some(d) = days.last_mut() {
            d.1.push(format!(
                "{} {}/{}",
                s.starts_at.format("%H:%M"),
                s.students(),
                s.capacity
            ));
            for g in &s.groups {
                if !d.2.contains(&g.college.as_str()) {
                    d.2.push(&g.college);
                }
            }
        }
    }
    const SHOWN: usize = 5;
    for (day, fills, colleges) in days.iter().take(SHOWN) {
        let text = format!(
            " {} {}  {}",
            day.format("%m-%d"),
            fills.join(" · "),
            colleges.join("、")
        );
        lines.push(Line::styled(
            widgets::truncate(&text, width),
            theme.style(Role::Text),
        ));
    }
    if days.len() > SHOWN {
        lines.push(Line::styled(
            format!(" … +{}", days.len() - SHOWN),
            theme.style(Role::Muted),
        ));
    }
    for w in p.warnings.iter().take(4) {
        for l in widgets::wrap(&warning_text(w), width.saturating_sub(2)) {
            lines.push(Line::styled(format!(" {l}"), theme.style(Role::StatusWarn)));
        }
    }
    if p.warnings.len() > 4 {
        lines.push(Line::styled(
            format!(" ⚠ … +{}", p.warnings.len() - 4),
            theme.style(Role::StatusWarn),
        ));
    }
    if let Some(short) = &plan.shortfall {
        let text = if zh {
            format!(
                " 还有 {} 名学生排不下：再加 {} 天，或增加工位",
                short.students, short.more_days
            )
        } else {
            format!(
                " {} students do not fit: add {} more days, or more stations",
                short.students, short.more_days
            )
        };
        lines.push(Line::styled(
            widgets::truncate(&text, width),
            theme.style(Role::StatusWarn),
        ));
    }
    if plan.sessions.is_empty() {
        lines.push(Line::styled(
            tr(" 没有需要排场次的学生", " no students wait for a session"),
            theme.style(Role::Muted),
        ));
    }
}

/// A warning of the plan preview in words.
fn warning_text(w: &crate::ops::plan::PlanWarning) -> String {
    use crate::ops::plan::{OVERLOAD_PERCENT, PlanWarning};
    let zh = lang() == Lang::Zh;
    match w {
        PlanWarning::Overlap {
            planned,
            existing,
            existing_start,
            existing_end,
            location,
        } => {
            let when = format!(
                "{}-{}",
                existing_start.format("%m-%d %H:%M"),
                existing_end.format("%H:%M")
            );
            let location = widgets::clean(location);
            if zh {
                format!(
                    "⚠ {} 的场次与已有场次 #{existing}（{when} {location}）同地点时间重叠",
                    planned.format("%m-%d %H:%M")
                )
            } else {
                format!(
                    "⚠ the session at {} overlaps session #{existing} ({when} {location}) at the same place",
                    planned.format("%m-%d %H:%M")
                )
            }
        }
        PlanWarning::Overload {
            planned,
            students,
            capacity,
        } => {
            if zh {
                format!(
                    "⚠ {} 的场次排 {students}/{capacity} 人，超过 {OVERLOAD_PERCENT}%，没有余量给现场加入和补拍：加天数或工位",
                    planned.format("%m-%d %H:%M")
                )
            } else {
                format!(
                    "⚠ the session at {} takes {students}/{capacity}, over {OVERLOAD_PERCENT}%: no room for walk-ins and retakes; add days or stations",
                    planned.format("%m-%d %H:%M")
                )
            }
        }
    }
}
