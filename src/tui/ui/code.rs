//! The code window: the student's collection code as a QR drawn cell by cell, and beside it the
//! fields the code carries (masked), its serial and status, and the codes it replaced.
//!
//! Every cell of the QR gets an explicit black or white foreground and background, so it scans
//! on dark and light themes alike; under `NO_COLOR` it is drawn as plain half blocks whose ink
//! is the dark modules. A terminal too small for the whole code (with its quiet zone) gets the
//! size it needs instead of a clipped code.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::super::action::{Action, CodeCard};
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::overlay::CodeView;
use super::super::theme::Role;
use super::super::widgets;
use super::detail::{code_line, level_label};
use crate::code::QrMatrix;
use crate::domain::{mask_id, mask_name};
use crate::i18n::tr;
use crate::store::CodeState;

/// Columns the fields beside the code need at least.
const FIELDS_MIN: u16 = 24;

/// Draws `m` with its top-left quiet-zone corner at (`x`, `y`). The caller has checked it fits.
pub fn draw_qr(m: &QrMatrix, buf: &mut Buffer, x: u16, y: u16, plain: bool) {
    draw_cells(m.cells(), buf, x, y, plain);
}

/// Draws half-block cells (upper dark, lower dark) with their top-left at (`x`, `y`).
pub fn draw_cells(cells: Vec<Vec<(bool, bool)>>, buf: &mut Buffer, x: u16, y: u16, plain: bool) {
    for (row, cells) in cells.into_iter().enumerate() {
        for (col, (top, bottom)) in cells.into_iter().enumerate() {
            let (cx, cy) = (x + col as u16, y + row as u16);
            if !buf.area.contains((cx, cy).into()) {
                continue;
            }
            let cell = &mut buf[(cx, cy)];
            if plain {
                let symbol = match (top, bottom) {
                    (true, true) => "█",
                    (true, false) => "▀",
                    (false, true) => "▄",
                    (false, false) => " ",
                };
                cell.set_symbol(symbol).set_style(Style::reset());
            } else {
                let colour = |dark: bool| if dark { Color::Black } else { Color::White };
                // fg paints the upper half, bg the lower; equal halves need no glyph at all
                let symbol = if top == bottom { " " } else { "▀" };
                cell.set_symbol(symbol)
                    .set_style(Style::reset().fg(colour(top)).bg(colour(bottom)));
            }
        }
    }
}

fn key_label(app: &App, action: &Action) -> String {
    app.keymap
        .key_in(Scope::Code, action)
        .or_else(|| app.keymap.first_key(action))
        .map(|k| k.label())
        .unwrap_or_default()
}

/// The fields beside the code.
fn field_lines(app: &App, code: &CodeView, card: &CodeCard, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let s = &card.student;
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let pair = |label: &str, value: String, style: Style| {
        Line::from(widgets::clip_spans(
            vec![
                Span::styled(format!("{label} "), muted),
                Span::styled(value, style),
            ],
            width,
        ))
    };
    let mut lines = vec![
        pair(tr("姓名", "Name"), mask_name(&s.name), text),
        pair(tr("证件", "ID"), mask_id(&s.id_number), text),
        pair(
            tr("学校", "School"),
            format!("{} ({})", super::school_name(app), app.school.code),
            text,
        ),
        pair(tr("层次", "Level"), level_label(s.level).to_string(), text),
        pair(
            tr("届别", "Cohort"),
            format!("{}{}", s.cohort, tr("届", "")),
            text,
        ),
    ];
    let active = card.codes.iter().find(|c| c.state == CodeState::Active);
    match active {
        Some(c) => {
            lines.push(pair(tr("序号", "Serial"), c.serial.to_string(), text));
            lines.push(pair(
                tr("状态", "Status"),
                tr("有效", "active").to_string(),
                theme.style(Role::StatusOk),
            ));
            lines.push(pair(
                tr("发放", "Issued"),
                crate::clock::local(c.issued_at)
                    .format("%Y-%m-%d")
                    .to_string(),
                text,
            ));
        }
        None => lines.push(pair(
            tr("状态", "Status"),
            tr("没有有效采集码", "no active code").to_string(),
            theme.style(Role::StatusMissing),
        )),
    }
    let older: Vec<_> = card
        .codes
        .iter()
        .filter(|c| c.state == CodeState::Revoked)
        .collect();
    if !older.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            tr("以前的采集码", "Earlier codes"),
            theme.style(Role::ColumnHeader),
        ));
        for c in older.iter().take(4) {
            lines.push(Line::styled(widgets::truncate(&code_line(c), width), muted));
        }
    }
    lines.push(Line::raw(""));
    if code.busy {
        let first = matches!(&code.card, Some(Ok(card)) if card.codes.is_empty());
        lines.push(Line::styled(
            if first {
                tr("正在发放…", "issuing…")
            } else {
                tr("正在重新发放…", "reissuing…")
            },
            theme.style(Role::StatusWarn),
        ));
    }
    match &code.notice {
        Some(Ok(n)) => lines.push(Line::styled(
            widgets::truncate(n, width),
            theme.style(Role::StatusOk),
        )),
        Some(Err(e)) => {
            for l in widgets::wrap(e, width) {
                lines.push(Line::styled(l, theme.style(Role::Error)));
            }
        }
        None => {}
    }
    let reissue = if active.is_some() {
        tr("重新发放（需填写原因）", "reissue (asks why)")
    } else {
        tr("发放新码（需填写原因）", "issue a new code (asks why)")
    };
    lines.push(Line::from(widgets::clip_spans(
        vec![
            Span::styled(
                format!("{} ", key_label(app, &Action::ReissueCode)),
                theme.style(Role::Key),
            ),
            Span::raw(reissue),
        ],
        width,
    )));
    lines.push(Line::from(widgets::clip_spans(
        vec![
            Span::styled(
                format!("{} ", key_label(app, &Action::Close)),
                theme.style(Role::Key),
            ),
            Span::raw(tr("关闭", "close")),
        ],
        width,
    )));
    lines
}

pub fn render(app: &App, code: &CodeView, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new("").style(theme.style(Role::Text)), area);
    if area.height == 0 || area.width == 0 {
        return;
    }
    let title = format!(
        " {} · {} {}",
        tr("采集码", "Collection code"),
        widgets::clean(&code.name),
        widgets::clean(&code.student_no)
    );
    let close = format!(
        "{} {} ",
        key_label(app, &Action::Close),
        tr("关闭", "close")
    );
    let title_line = widgets::clip_spans(
        vec![Span::raw(title)],
        (area.width as usize).saturating_sub(widgets::width(&close) + 1),
    );
    let used: usize = title_line.iter().map(|s| widgets::width(&s.content)).sum();
    let mut spans = title_line;
    spans.push(Span::raw(" ".repeat(
        (area.width as usize).saturating_sub(used + widgets::width(&close)),
    )));
    spans.push(Span::raw(close));
    frame.render_widget(
        Paragraph::new(Line::from(widgets::clip_spans(spans, area.width as usize)))
            .style(theme.header()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(area.x, area.y + 1, area.width, area.height - 1);

    let card = match &code.card {
        None => {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(" {}", tr("读取中…", "reading…")),
                    theme.style(Role::Muted),
                )),
                body,
            );
            return;
        }
        Some(Err(e)) => {
            let mut lines = vec![Line::styled(
                format!(" {}", tr("读不到采集码：", "cannot read the code:")),
                theme.style(Role::Error),
            )];
            lines.extend(
                widgets::wrap(e, body.width.saturating_sub(2) as usize)
                    .into_iter()
                    .map(|l| Line::raw(format!(" {l}"))),
            );
            frame.render_widget(Paragraph::new(lines), body);
            return;
        }
        Some(Ok(card)) => card,
    };

    // the code itself, when there is one and it fits whole
    let mut fields_area = Rect::new(
        body.x + 1,
        body.y,
        body.width.saturating_sub(1),
        body.height,
    );
    match &card.qr {
        Some(Ok(m)) => {
            let (w, h) = m.required_size();
            if body.width < w || body.height < h {
                let need = format!(
                    "{} {}×{}{}{}×{}{}",
                    tr(
                        "终端太小，显示二维码至少需要",
                        "The terminal is too small: the QR code needs at least"
                    ),
                    w,
                    h + 1,
                    tr("（现在 ", " (now "),
                    area.width,
                    area.height,
                    tr("），请放大窗口", "); enlarge the window"),
                );
                let lines: Vec<Line> = widgets::wrap(&need, body.width.saturating_sub(2) as usize)
                    .into_iter()
                    .map(|l| Line::styled(format!(" {l}"), theme.style(Role::Error)))
                    .collect();
                let n = lines.len() as u16;
                frame.render_widget(Paragraph::new(lines), body);
                fields_area = Rect::new(
                    body.x + 1,
                    body.y + n + 1,
                    body.width.saturating_sub(1),
                    body.height.saturating_sub(n + 1),
                );
            } else {
                let x = if body.width > w { body.x + 1 } else { body.x };
                draw_qr(m, frame.buffer_mut(), x, body.y, app.plain_qr);
                let beside = x + w + 2;
                fields_area = if body.right() >= beside + FIELDS_MIN {
                    Rect::new(beside, body.y, body.right() - beside, body.height)
                } else {
                    Rect::new(
                        body.x + 1,
                        body.y + h,
                        body.width.saturating_sub(1),
                        body.height - h,
                    )
                };
            }
        }
        Some(Err(e)) => {
            let msg = format!("{}{e}", tr("无法生成二维码：", "cannot draw the QR code: "));
            frame.render_widget(
                Paragraph::new(Line::styled(format!(" {msg}"), theme.style(Role::Error))),
                body,
            );
            fields_area = Rect::new(
                body.x + 1,
                body.y + 2,
                body.width.saturating_sub(1),
                body.height.saturating_sub(2),
            );
        }
        None => {}
    }
    if fields_area.height > 0 && fields_area.width > 0 {
        let lines = field_lines(app, code, card, fields_area.width as usize);
        frame.render_widget(Paragraph::new(lines), fields_area);
    }
}
