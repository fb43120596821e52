//! Small windows that take typed text: the `:` command palette, the filter picker and the
//! reissue reason prompt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::action::Action;
use super::super::app::App;
use super::super::keymap::{Mode, Scope};
use super::super::overlay::{self, Palette, Picker, ReasonPrompt};
use super::super::theme::{Role, Theme};
use super::super::widgets;
use crate::i18n::tr;

/// A window `width` wide (at most) with room for `lines` lines, near the top of `area`.
pub(super) fn window(area: Rect, width: u16, lines: usize) -> Rect {
    let w = area.width.saturating_sub(4).min(width);
    let h = area.height.saturating_sub(2).min(lines as u16 + 2);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 3,
        w,
        h,
    )
}

pub(super) fn frame_block(
    theme: &Theme,
    title: &str,
    bottom: String,
    width: usize,
) -> Block<'static> {
    Block::bordered()
        .border_style(theme.style(Role::Border))
        .style(theme.style(Role::Text))
        .title(Span::styled(
            widgets::truncate(&format!(" {title} "), width),
            theme.style(Role::Title),
        ))
        .title_bottom(
            Line::styled(widgets::truncate(&bottom, width), theme.style(Role::Muted))
                .right_aligned(),
        )
}

/// The line being typed: a prompt, the text and a cursor.
pub(super) fn input_line(theme: &Theme, prompt: &str, text: &str, width: usize) -> Line<'static> {
    let text = widgets::clean(text).into_owned();
    // keep the end of a long input in view: that is where typing happens
    let room = width.saturating_sub(widgets::width(prompt) + 1);
    let shown = widgets::truncate_start(&text, room);
    Line::from(vec![
        Span::styled(prompt.to_string(), theme.style(Role::Key)),
        Span::styled(shown, theme.style(Role::Text)),
        Span::styled("▏", theme.style(Role::Key)),
    ])
}

/// `text` with the characters at `hits` in the match style, cut to `width` columns.
fn marked(
    text: &str,
    hits: &[usize],
    width: usize,
    style: Style,
    theme: &Theme,
) -> Vec<Span<'static>> {
    let cols = widgets::width(&widgets::clean(text)).min(width);
    widgets::fit_highlighted(text, cols, hits, style, theme.style(Role::SearchMatch))
}

pub(super) fn hint(app: &App, scope: Scope, items: &[(Action, &str)]) -> String {
    let mut out = String::from(" ");
    for (action, word) in items {
        if let Some(k) = app.keymap.key_in(scope, action) {
            out.push_str(&format!("{} {word}  ", k.label()));
        }
    }
    out
}

/// The rows of a list of `len` items that show `selected`, `visible` at a time.
pub(super) fn scroll_window(selected: usize, len: usize, visible: usize) -> std::ops::Range<usize> {
    if visible == 0 {
        return 0..0;
    }
    let start = (selected + 1)
        .saturating_sub(visible)
        .min(len.saturating_sub(visible));
    start..(start + visible).min(len)
}

pub fn render_palette(app: &App, palette: &Palette, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let from = palette.from.unwrap_or(Mode::Screen(app.screen));
    let entries = overlay::palette_entries(&app.keymap, from, &palette.input);
    let rect = window(area, 84, entries.len().max(1) + 2);
    let inner_width = rect.width.saturating_sub(2) as usize;
    let bottom = hint(
        app,
        Scope::Palette,
        &[
            (Action::Accept, tr("执行", "run")),
            (Action::Close, tr("关闭", "close")),
        ],
    );
    let block = frame_block(
        theme,
        tr("命令面板", "Command palette"),
        bottom,
        inner_width,
    );
    let visible = (rect.height as usize).saturating_sub(4);
    let selected = palette.selected.min(entries.len().saturating_sub(1));
    let mut lines = vec![
        input_line(theme, ": ", &palette.input, inner_width),
        Line::raw(""),
    ];
    if entries.is_empty() {
        lines.push(Line::styled(
            tr(" 没有匹配的动作", " no action matches"),
            theme.style(Role::Muted),
        ));
    }
    let name_width = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0)
        .min(inner_width / 3);
    let key_width = entries
        .iter()
        .map(|e| widgets::width(&e.keys))
        .max()
        .unwrap_or(0)
        .min(inner_width / 4);
    for (i, e) in entries
        .iter()
        .enumerate()
        .skip(scroll_window(selected, entries.len(), visible).start)
        .take(visible)
    {
        let base = if i == selected {
            theme.selection()
        } else {
            theme.style(Role::Text)
        };
        let mut spans = vec![Span::styled(" ", base)];
        let mut name = marked(
            e.name,
            &e.name_hits,
            name_width,
            base.patch(theme.style(Role::Key)),
            theme,
        );
        let used = name
            .iter()
            .map(|s| widgets::width(&s.content))
            .sum::<usize>();
        name.push(Span::styled(
            " ".repeat(name_width.saturating_sub(used) + 2),
            base,
        ));
        spans.extend(name);
        let desc_width = inner_width.saturating_sub(name_width + key_width + 5);
        let mut desc = marked(e.description, &e.description_hits, desc_width, base, theme);
        let used = desc
            .iter()
            .map(|s| widgets::width(&s.content))
            .sum::<usize>();
        desc.push(Span::styled(
            " ".repeat(desc_width.saturating_sub(used) + 2),
            base,
        ));
        spans.extend(desc);
        spans.push(Span::styled(
            widgets::fit(&e.keys, key_width),
            base.patch(theme.style(Role::Muted)),
        ));
        lines.push(Line::from(widgets::clip_spans(spans, inner_width)).style(base));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn render_picker(app: &App, picker: &Picker, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let matches = picker.matches();
    let rect = window(area, 60, matches.len().max(1) + 2);
    let inner_width = rect.width.saturating_sub(2) as usize;
    let title = format!("{}{}", tr("按", "Filter by "), picker.kind.title());
    let title = if crate::i18n::lang() == crate::i18n::Lang::Zh {
        format!("{title}筛选")
    } else {
        title
    };
    let bottom = hint(
        app,
        Scope::Picker,
        &[
            (Action::Accept, tr("选定", "choose")),
            (Action::Close, tr("取消", "cancel")),
        ],
    );
    let block = frame_block(theme, &title, bottom, inner_width);
    let visible = (rect.height as usize).saturating_sub(4);
    let selected = picker.selected.min(matches.len().saturating_sub(1));
    let mut lines = vec![
        input_line(theme, "> ", &picker.input, inner_width),
        Line::raw(""),
    ];
    if matches.is_empty() {
        lines.push(Line::styled(
            tr(" 没有匹配的选项", " nothing matches"),
            theme.style(Role::Muted),
        ));
    }
    for (i, (item, hits)) in matches
        .iter()
        .enumerate()
        .skip(scroll_window(selected, matches.len(), visible).start)
        .take(visible)
    {
        let base = if i == selected {
            theme.selection()
        } else {
            theme.style(Role::Text)
        };
        let count = item
            .count
            .map(|n| format!("{n} {}", tr("人", "students")))
            .unwrap_or_default();
        let label_width = inner_width.saturating_sub(widgets::width(&count) + 3);
        let label = if overlay::is_typed_year(item) {
            overlay::cohort_label(picker.input.trim().parse().unwrap_or(0))
        } else {
            item.label.clone()
        };
        let mut spans = vec![Span::styled(" ", base)];
        let mut text = marked(&label, hits, label_width, base, theme);
        let used = text
            .iter()
            .map(|s| widgets::width(&s.content))
            .sum::<usize>();
        text.push(Span::styled(
            " ".repeat(label_width.saturating_sub(used) + 1),
            base,
        ));
        spans.extend(text);
        spans.push(Span::styled(count, base.patch(theme.style(Role::Muted))));
        lines.push(Line::from(widgets::clip_spans(spans, inner_width)).style(base));
    }
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

pub fn render_reason(app: &App, prompt: &ReasonPrompt, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let rect = window(area, 64, 7);
    let inner_width = rect.width.saturating_sub(2) as usize;
    let who = format!(
        "{} {}",
        widgets::clean(&prompt.code.name),
        widgets::clean(&prompt.code.student_no)
    );
    let what = match prompt.code.active_serial() {
        Some(serial) => format!(
            "{}{serial}{}",
            tr("当前采集码（序号 ", "The active code (serial "),
            tr(
                "）将被作废，并发放一个新序号的采集码。",
                ") will be revoked and a code with a new serial issued."
            )
        ),
        None => tr(
            "将为该学生发放一个新的采集码。",
            "A new code will be issued to this student.",
        )
        .to_string(),
    };
    let mut lines: Vec<Line> = Vec::new();
    lines.push(Line::styled(
        widgets::truncate(&format!(" {who}"), inner_width),
        theme.style(Role::Text),
    ));
    for l in widgets::wrap(&what, inner_width.saturating_sub(1)) {
        lines.push(Line::styled(format!(" {l}"), theme.style(Role::StatusWarn)));
    }
    lines.push(Line::raw(""));
    lines.push(input_line(
        theme,
        tr(" 原因：", " Reason: "),
        &prompt.input,
        inner_width,
    ));
    if let Some(e) = prompt.error {
        lines.push(Line::styled(
            widgets::truncate(&format!(" {e}"), inner_width),
            theme.style(Role::Error),
        ));
    }
    let rect = window(area, 64, lines.len());
    let bottom = hint(
        app,
        Scope::Reason,
        &[
            (Action::Accept, tr("确认", "confirm")),
            (Action::Close, tr("取消", "cancel")),
        ],
    );
    let block = frame_block(
        theme,
        tr("重新发放采集码", "Reissue the code"),
        bottom,
        inner_width,
    );
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}
