//! The history pane of the selected student: who they are (ID masked), where their collection
//! stands, then their history in the interface language — codes with every reissue and
//! revocation, sessions and check-ins, photo files with their problems, and the audit trail.
//! The pane scrolls when the history is longer than it (docs/console.md).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::super::action::{Action, History};
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::theme::{Role, Theme};
use super::super::widgets;
use crate::domain::{IdType, Level, mask_id};
use crate::i18n::{Lang, lang, tr};
use crate::ops::time::format_time;
use crate::store::{CodeRecord, CodeState, PhotoFileStatus, PhotoRow, StudentRow};

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
    let issued = crate::clock::format_local(code.issued_at, "%Y-%m-%d");
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

/// What an audit action is called in the interface language (the log keeps the English name).
pub fn action_word(action: &str) -> &str {
    match action {
        "import" => tr("导入名单", "imported"),
        "update" => tr("名单信息更新", "roster details changed"),
        "sync" | "roster_sync" => tr("名单同步", "roster synced"),
        "withdraw" => tr("退出名单", "withdrawn"),
        "restore" => tr("恢复在籍", "restored"),
        "issue" => tr("发放采集码", "code issued"),
        "reissue" => tr("重新发放采集码", "code reissued"),
        "revoke" => tr("作废采集码", "code revoked"),
        "show" => tr("查看采集码", "code shown"),
        "token" => tr("取出采集码文本", "code text taken"),
        "reveal_id" => tr("查看完整证件号", "full ID revealed"),
        "export" => tr("导出", "exported"),
        "checkin_walk_in" => tr("现场加入签到", "checked in as a walk-in"),
        "checkin_retake" => tr("补采重拍签到", "checked in again at a make-up session"),
        "session_assign" => tr("安排场次", "assigned to a session"),
        "session_unassign" => tr("移出场次", "removed from a session"),
        "photo_add" => tr("登记照片文件", "photo file recorded"),
        "photo_update" => tr("照片文件更新", "photo file changed"),
        "photo_remove" => tr("照片文件移除", "photo file gone"),
        other => other,
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

/// A photo file's name as the pane shows it: the name alone, and a name that is the student's
/// full ID number (the old naming) masked like the ID.
fn file_name(row: &StudentRow, photo: &PhotoRow) -> String {
    let name = photo.path.rsplit(['/', '\\']).next().unwrap_or(&photo.path);
    crate::domain::mask_ids_in_path(name, Some(&row.student.id_number)).into_owned()
}

fn photo_word(status: PhotoFileStatus) -> (&'static str, Role) {
    match status {
        PhotoFileStatus::Valid => (tr("合格", "valid"), Role::StatusOk),
        PhotoFileStatus::Invalid => (tr("不合格", "invalid"), Role::StatusWarn),
        PhotoFileStatus::Duplicate => (tr("重复待选", "choose one"), Role::StatusWarn),
        PhotoFileStatus::Orphan => (tr("对不上人", "orphan"), Role::Muted),
    }
}

/// An audit entry's detail as the pane shows it: the student's full ID number never (a photo
/// file named by it is in the log), and a photo change as the file's name and its state in words.
fn audit_detail(row: &StudentRow, action: &str, detail: &str) -> String {
    // the student's own number in any case, and any resident-ID-shaped run (docs/masking.md)
    let text =
        crate::domain::mask_ids_in_path(&widgets::clean(detail), Some(&row.student.id_number))
            .into_owned();
    if action.starts_with("photo_")
        && let Some((path, state)) = text.rsplit_once(": ")
    {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
        let (word, rest) = state.split_once(' ').unwrap_or((state, ""));
        let word = match word {
            "valid" => tr("合格", "valid"),
            "invalid" => tr("不合格", "invalid"),
            "duplicate" => tr("重复待选", "duplicate"),
            "orphan" => tr("对不上人", "orphan"),
            other => other,
        };
        return format!("{name}: {word} {rest}").trim_end().to_string();
    }
    text
}

/// The history read from the database, section by section.
fn history_lines(
    row: &StudentRow,
    history: &History,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let mut lines = vec![section(tr("采集码", "Codes"), theme, width)];
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

    lines.push(section(
        tr("场次与签到", "Session and check-in"),
        theme,
        width,
    ));
    let session_text = |id: i64| match history.sessions.iter().find(|s| s.id == id) {
        Some(s) => format!(
            "#{id} {}-{} {}",
            format_time(s.starts_at),
            crate::clock::format_local(s.ends_at, "%H:%M"),
            widgets::clean(&s.location)
        ),
        None => format!("#{id}"),
    };
    match row.session_id {
        Some(id) => lines.extend(wrapped(
            &format!("{} {}", tr("安排在", "assigned to"), session_text(id)),
            width,
            text,
        )),
        None => lines.push(Line::styled(
            tr("还没有安排场次", "no session assigned"),
            theme.style(Role::StatusMissing),
        )),
    }
    if history.checkins.is_empty() {
        lines.push(Line::styled(tr("还没有签到", "not checked in yet"), muted));
    }
    for k in &history.checkins {
        let mut line = match lang() {
            Lang::Zh => format!(
                "{} 签到 {} · 拍摄号 {} · 工位 {}",
                crate::clock::format_local(k.at, "%m-%d %H:%M"),
                session_text(k.session_id),
                k.shot,
                widgets::clean(&k.station)
            ),
            Lang::En => format!(
                "{} checked in at {} · shot {} · station {}",
                crate::clock::format_local(k.at, "%m-%d %H:%M"),
                session_text(k.session_id),
                k.shot,
                widgets::clean(&k.station)
            ),
        };
        if k.walk_in {
            line.push_str(tr(" · 现场加入", " · walk-in"));
        }
        // one check-in counts (docs/sessions.md); the others are history
        let style = if k.counts {
            theme.style(Role::StatusOk)
        } else {
            line.push_str(tr(" · 留档（不计）", " · history (does not count)"));
            muted
        };
        lines.extend(wrapped(&line, width, style));
    }

    lines.push(section(tr("照片文件", "Photo files"), theme, width));
    if history.photos.is_empty() {
        lines.push(Line::styled(
            tr("没有照片文件", "no photo file"),
            theme.style(Role::StatusMissing),
        ));
    }
    for p in &history.photos {
        let (word, role) = photo_word(p.status);
        let mut head = format!("{word} {}", file_name(row, p));
        if let (Some(w), Some(h)) = (p.width, p.height) {
            head.push_str(&format!(" · {w}×{h}"));
        }
        lines.extend(wrapped(&head, width, theme.style(role)));
        for problem in &p.problems {
            lines.extend(wrapped(
                &format!("  {}", problem.message(lang())),
                width,
                text,
            ));
        }
    }

    lines.push(section(tr("操作记录", "Audit trail"), theme, width));
    if history.audit.is_empty() {
        lines.push(Line::styled(tr("没有记录", "nothing recorded"), muted));
    }
    for entry in &history.audit {
        let head = format!(
            "{} {} {}",
            crate::clock::format_local(entry.at, "%m-%d %H:%M"),
            action_word(&entry.entry.action),
            widgets::clean(&entry.entry.operator)
        );
        lines.push(Line::styled(widgets::truncate(&head, width), text));
        lines.extend(wrapped(
            &format!(
                "  {}",
                audit_detail(row, &entry.entry.action, &entry.entry.detail)
            ),
            width,
            muted,
        ));
    }
    lines
}

/// Every line of the pane for the selected student, in `width` columns.
fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let Some(row) = app.selected_row() else {
        return vec![Line::styled(
            tr("没有选中的学生", "no student selected"),
            theme.style(Role::Muted),
        )];
    };
    let mut lines = student_lines(row, theme, width);
    lines.push(progress_line(row, theme, width));
    if row.photo_status != crate::store::PhotoStatus::Valid
        && let Some(note) = app.photos.notes.get(&row.student.student_no)
    {
        lines.extend(wrapped(
            &format!("{}{note}", tr("照片问题：", "photo problems: ")),
            width,
            theme.style(Role::StatusWarn),
        ));
    }
    match &app.students.detail.history {
        None => lines.push(Line::styled(
            tr("读取记录中…", "reading the history…"),
            theme.style(Role::Muted),
        )),
        Some(Err(e)) => lines.extend(wrapped(e, width, theme.style(Role::Error))),
        Some(Ok(history)) => lines.extend(history_lines(row, history, theme, width)),
    }
    lines
}

/// The text area inside the pane's border and padding.
fn text_area(area: Rect) -> Rect {
    let inner = Block::bordered().inner(area);
    Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    )
}

/// How far the pane can scroll now: the lines that do not fit below its height.
pub fn max_scroll(app: &App) -> usize {
    let body = super::areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    let Some(area) = super::students::layout(app, body).detail else {
        return 0;
    };
    let text = text_area(area);
    lines(app, text.width as usize)
        .len()
        .saturating_sub(text.height as usize)
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
    let text = text_area(area);
    let all = lines(app, text.width as usize);
    let overflow = all.len().saturating_sub(text.height as usize);
    let scroll = app.students.detail.scroll.min(overflow);
    let mut block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            widgets::truncate(&title, area.width.saturating_sub(2) as usize),
            theme.style(Role::Title),
        ));
    if overflow > 0 {
        let key = |a: Action| {
            app.keymap
                .key_in(Scope::Students, &a)
                .map(|k| k.label())
                .unwrap_or_default()
        };
        let hint = match lang() {
            Lang::Zh => format!(
                " {}/{} 滚动 {}/{} ",
                key(Action::DetailDown),
                key(Action::DetailUp),
                scroll + 1,
                overflow + 1
            ),
            Lang::En => format!(
                " {}/{} scroll {}/{} ",
                key(Action::DetailDown),
                key(Action::DetailUp),
                scroll + 1,
                overflow + 1
            ),
        };
        block = block.title_bottom(Line::styled(
            widgets::truncate(&hint, area.width.saturating_sub(2) as usize),
            theme.style(Role::Muted),
        ));
    }
    frame.render_widget(block, area);
    let shown: Vec<Line> = all.into_iter().skip(scroll).collect();
    frame.render_widget(Paragraph::new(shown), text);
}
