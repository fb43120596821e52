//! The history pane of the selected student: who they are (ID masked), their codes with every
//! reissue and revocation, where their collection stands, and their audit trail.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::super::app::App;
use super::super::theme::{Role, Theme};
use super::super::widgets;
use crate::domain::{IdType, Level, mask_id};
use crate::i18n::{Lang, lang, tr};
use crate::store::{CodeRecord, CodeState, StudentRow};

pub fn id_type_label(t: IdType) -> &'static str {
    if lang() == Lang::Zh {
        t.label_zh()
    } else {
        t.label_en()
    }
}

pub fn level_label(l: Level) -> &'static str {
    if lang() == Lang::Zh {
        l.label_zh()
    } else {
        l.label_en()
    }
}

/// One code as a line of history.
pub fn code_line(code: &CodeRecord) -> String {
    let issued = crate::clock::local(code.issued_at).format("%Y-%m-%d");
    match code.state {
        CodeState::Active => format!(
            "#{} {} · {issued} {}",
            code.serial,
            tr("有效", "active"),
            tr("发放", "issued")
        ),
        CodeState::Revoked => {
            let when = code
                .revoked_at
                .map(|t| crate::clock::format_local(t, "%Y-%m-%d"))
                .unwrap_or_default();
            let mut line = format!("#{} {} {when}", code.serial, tr("已作废", "revoked"));
            if let Some(next) = code.replaced_by {
                line.push_str(&format!(" → #{next}"));
            }
            if let Some(reason) = code.revoke_reason.as_deref().filter(|r| !r.is_empty()) {
                line.push_str(&format!("{}{reason}", tr("：", ": ")));
            }
            line
        }
    }
}

fn label_value(label: &str, value: &str, theme: &Theme, width: usize) -> Line<'static> {
    Line::from(widgets::clip_spans(
        vec![
            Span::styled(format!("{label} "), theme.style(Role::Muted)),
            Span::styled(widgets::clean(value).into_owned(), theme.style(Role::Text)),
        ],
        width,
    ))
}

fn section(title: &str, theme: &Theme, width: usize) -> Line<'static> {
    Line::styled(
        widgets::truncate(title, width),
        theme.style(Role::ColumnHeader),
    )
}

fn student_lines(row: &StudentRow, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let s = &row.student;
    let mut class = s.class.clone();
    if !s.major.trim().is_empty() {
        class.push_str(&format!(" · {}", s.major));
    }
    let mut lines = vec![
        label_value(
            tr("证件", "ID"),
            &format!("{} ({})", mask_id(&s.id_number), id_type_label(s.id_type)),
            theme,
            width,
        ),
        label_value(
            tr("层次", "Level"),
            &format!(
                "{} · {}{} · {} {}",
                level_label(s.level),
                s.cohort,
                tr("届", " cohort"),
                tr("辅导员", "counselor"),
                s.counselor
            ),
            theme,
            width,
        ),
        label_value(tr("学院", "College"), &s.college, theme, width),
        label_value(tr("班级", "Class"), &class, theme, width),
    ];
    if row.withdrawn {
        lines.push(Line::styled(
            tr("已退出名单", "withdrawn from the roster"),
            theme.style(Role::StatusWarn),
        ));
    }
    lines
}

/// Where the collection stands now: session, check-in, photo.
fn progress_line(row: &StudentRow, theme: &Theme, width: usize) -> Line<'static> {
    let word = |text: String, ok: bool| {
        Span::styled(
            text,
            theme.style(if ok {
                Role::StatusOk
            } else {
                Role::StatusMissing
            }),
        )
    };
    let session = match row.session_id {
        Some(id) => word(format!("#{id}"), true),
        None => word(tr("未排", "none").to_string(), false),
    };
    let checked = word(
        if row.checked_in {
            tr("已签到", "yes")
        } else {
            tr("未签到", "no")
        }
        .to_string(),
        row.checked_in,
    );
    let (photo_text, photo_role) = super::students::photo_word(row.photo_status);
    let photo = Span::styled(photo_text, theme.style(photo_role));
    let muted = theme.style(Role::Muted);
    Line::from(widgets::clip_spans(
        vec![
            Span::styled(format!("{} ", tr("场次", "Session")), muted),
            session,
            Span::styled(format!("  {} ", tr("签到", "Check-in")), muted),
            checked,
            Span::styled(format!("  {} ", tr("照片", "Photo")), muted),
            photo,
        ],
        width,
    ))
}

/// `text` wrapped to `width`, its later lines indented by two columns.
fn wrapped(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (i, part) in widgets::wrap(text, width.saturating_sub(2).max(8))
        .into_iter()
        .enumerate()
    {
        let indent = if i == 0 { "" } else { "  " };
        out.push(Line::styled(
            widgets::truncate(&format!("{indent}{part}"), width),
            style,
        ));
    }
    out
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let row = app.selected_row();
    let title = match row {
        Some(r) => format!(
            " {} {} ",
            widgets::truncate(&r.student.name, 20),
            widgets::clean(&r.student.student_no)
        ),
        None => format!(" {} ", tr("详细记录", "History")),
    };
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            widgets::truncate(&title, area.width.saturating_sub(2) as usize),
            theme.style(Role::Title),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(1) as usize;
    let Some(row) = row else {
        let text = tr("没有选中的学生", "no student selected");
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.style(Role::Muted))),
            inner,
        );
        return;
    };
    let mut lines = student_lines(row, theme, width);
    lines.push(progress_line(row, theme, width));
    lines.push(section(tr("采集码", "Codes"), theme, width));
    match &app.detail.history {
        None => lines.push(Line::styled(
            tr("读取中…", "reading…"),
            theme.style(Role::Muted),
        )),
        Some(Err(e)) => lines.extend(wrapped(e, width, theme.style(Role::Error))),
        Some(Ok(history)) => {
            if history.codes.is_empty() {
                lines.push(Line::styled(
                    tr("还没有发放采集码", "no code issued yet"),
                    theme.style(Role::StatusMissing),
                ));
            }
            for code in &history.codes {
                let role = if code.state == CodeState::Active {
                    Role::StatusOk
                } else {
                    Role::Muted
                };
                lines.extend(wrapped(&code_line(code), width, theme.style(role)));
            }
            lines.push(section(tr("审计记录", "Audit trail"), theme, width));
            if history.audit.is_empty() {
                lines.push(Line::styled(
                    tr("没有记录", "nothing recorded"),
                    theme.style(Role::Muted),
                ));
            }
            for entry in &history.audit {
                let head = format!(
                    "{} {} {}",
                    crate::clock::local(entry.at).format("%m-%d %H:%M"),
                    entry.entry.operator,
                    entry.entry.action
                );
                lines.push(Line::styled(
                    widgets::truncate(&head, width),
                    theme.style(Role::Muted),
                ));
                lines.extend(wrapped(
                    // an ID number in an older entry's photo path is masked here too
                    &format!(
                        "  {}",
                        crate::domain::mask_ids_in_path(&entry.entry.detail, None)
                    ),
                    width,
                    Style::default(),
                ));
            }
        }
    }
    // The store keeps no per-student session, check-in or photo records yet; say where they go.
    lines.push(Line::raw(""));
    lines.extend(wrapped(
        tr(
            "场次、签到、照片的逐条记录将随这些功能接入后显示在这里",
            "session, check-in and photo records will appear here once those features land",
        ),
        width,
        theme.style(Role::Muted),
    ));
    let padded = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    frame.render_widget(Paragraph::new(lines), padded);
}
