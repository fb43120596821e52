//! The `?` overlay: every binding in force on the current screen, read from the keymap itself.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::action::Action;
use super::super::app::App;
use super::super::keymap::{Binding, Scope};
use super::super::theme::Role;
use super::super::widgets;
use crate::i18n::tr;

/// One line of help, before styling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpLine {
    Section(&'static str),
    Entry {
        keys: String,
        description: String,
    },
    /// The rest of a description too long for one line.
    More(String),
    Blank,
}

/// Help lists the current screen's keys, then the global ones, then the help window's own.
pub fn scopes(app: &App) -> Vec<Scope> {
    let mut scopes = Scope::active(app.base_mode());
    scopes.push(Scope::Help);
    scopes
}

/// The keys of a binding as help writes them; an action without a key is run from the palette.
pub fn keys_text(binding: &Binding) -> String {
    if binding.keys.is_empty() {
        return format!(":{}", binding.action.name().unwrap_or_default());
    }
    binding
        .keys
        .iter()
        .map(|k| k.label())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Width of the keys column in a help window `inner` columns wide.
fn key_width(app: &App, inner: usize) -> usize {
    scopes(app)
        .into_iter()
        .flat_map(|s| app.keymap.bindings(s))
        .map(|b| widgets::width(&keys_text(b)))
        .max()
        .unwrap_or(0)
        .min(inner / 2)
}

/// The help text for the app's terminal: descriptions wrap under themselves when the window is
/// narrow, so nothing is cut off.
pub fn lines(app: &App) -> Vec<HelpLine> {
    let inner = popup_width(app.size).saturating_sub(2) as usize;
    let room = inner.saturating_sub(key_width(app, inner) + 4).max(8);
    let mut out = Vec::new();
    for scope in scopes(app) {
        let bindings = app.keymap.bindings(scope);
        if bindings.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(HelpLine::Blank);
        }
        out.push(HelpLine::Section(scope.title()));
        for b in bindings {
            let keys = keys_text(b);
            let mut parts = widgets::wrap(b.description, room).into_iter();
            out.push(HelpLine::Entry {
                keys,
                description: parts.next().unwrap_or_default(),
            });
            out.extend(parts.map(HelpLine::More));
        }
    }
    out
}

fn popup_width(size: (u16, u16)) -> u16 {
    size.0.saturating_sub(4).min(96)
}

/// The overlay's rectangle in a terminal of `size`, for `count` lines of help.
fn popup(size: (u16, u16), count: usize) -> Rect {
    let width = popup_width(size);
    let height = size.1.saturating_sub(2).min(count as u16 + 2);
    Rect::new((size.0 - width) / 2, (size.1 - height) / 2, width, height)
}

/// Where the overlay is drawn in the app's terminal.
pub fn area(app: &App) -> Rect {
    popup(app.size, lines(app).len())
}

/// Lines of help visible at once.
pub fn visible_lines(app: &App) -> usize {
    popup(app.size, lines(app).len()).height.saturating_sub(2) as usize
}

/// How far help can scroll down.
pub fn max_scroll(app: &App) -> usize {
    lines(app).len().saturating_sub(visible_lines(app))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let all = lines(app);
    let rect = popup((area.width, area.height), all.len()).intersection(area);
    let visible = rect.height.saturating_sub(2) as usize;
    let scroll = app.help_scroll.min(all.len().saturating_sub(visible));
    let inner_width = rect.width.saturating_sub(2) as usize;
    let key_width = key_width(app, inner_width);

    let text: Vec<Line> = all
        .iter()
        .skip(scroll)
        .take(visible)
        .map(|l| match l {
            HelpLine::Section(title) => Line::styled(
                widgets::truncate(&format!(" {title}"), inner_width),
                theme.style(Role::Title),
            ),
            HelpLine::Blank => Line::raw(""),
            HelpLine::Entry { keys, description } => Line::from(widgets::clip_spans(
                vec![
                    Span::raw("  "),
                    Span::styled(widgets::fit(keys, key_width), theme.style(Role::Key)),
                    Span::raw("  "),
                    Span::styled(description.clone(), theme.style(Role::Text)),
                ],
                inner_width,
            )),
            HelpLine::More(text) => Line::from(widgets::clip_spans(
                vec![
                    Span::raw(" ".repeat(key_width + 4)),
                    Span::styled(text.clone(), theme.style(Role::Text)),
                ],
                inner_width,
            )),
        })
        .collect();

    let close = app
        .keymap
        .first_key(&Action::Close)
        .map(|k| k.label())
        .unwrap_or_default();
    let mut bottom = format!(" {close} {} ", tr("关闭", "close"));
    if all.len() > visible {
        bottom = format!(
            " {}–{}/{} {bottom}",
            scroll + 1,
            (scroll + visible).min(all.len()),
            all.len()
        );
    }
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .style(theme.style(Role::Text))
        .title(Span::styled(
            widgets::truncate(&format!(" {} ", tr("帮助", "Help")), inner_width),
            theme.style(Role::Title),
        ))
        .title_bottom(
            Line::styled(
                widgets::truncate(&bottom, inner_width),
                theme.style(Role::Muted),
            )
            .right_aligned(),
        );
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(text).block(block), rect);
}
