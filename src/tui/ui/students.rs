//! The Students screen: the roster with the state of each student's collection.
//!
//! Only the rows on screen are built: the window is computed from the selection and the area's
//! height, so a 100,000-student roster costs the same to draw as a 20-student one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState};

use super::super::app::{App, ContentWidths};
use super::super::theme::{Role, Theme};
use super::super::widgets;
use crate::domain::mask_id;
use crate::i18n::tr;
use crate::store::{CodeStatus, PhotoStatus, StudentRow};

/// The columns of the list, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    StudentNo,
    Name,
    MaskedId,
    College,
    Class,
    Code,
    Session,
    Checkin,
    Photo,
}

impl Column {
    const ALL: [Column; 9] = [
        Column::StudentNo,
        Column::Name,
        Column::MaskedId,
        Column::College,
        Column::Class,
        Column::Code,
        Column::Session,
        Column::Checkin,
        Column::Photo,
    ];

    /// Dropped first to last when the terminal is too narrow for every column.
    const DROP_ORDER: [Column; 7] = [
        Column::College,
        Column::MaskedId,
        Column::Class,
        Column::Checkin,
        Column::Session,
        Column::Code,
        Column::Photo,
    ];

    /// Narrowed columns get space back in this order when there is room.
    const GROW_ORDER: [Column; 3] = [Column::Name, Column::College, Column::Class];

    pub fn header(self) -> &'static str {
        match self {
            Column::StudentNo => tr("学号", "Student no."),
            Column::Name => tr("姓名", "Name"),
            Column::MaskedId => tr("证件号", "ID"),
            Column::College => tr("学院", "College"),
            Column::Class => tr("班级", "Class"),
            Column::Code => tr("采集码", "Code"),
            Column::Session => tr("场次", "Session"),
            Column::Checkin => tr("签到", "Check-in"),
            Column::Photo => tr("照片", "Photo"),
        }
    }

    /// Every word a status column can show, for its width.
    fn words(self) -> Vec<&'static str> {
        match self {
            Column::Code => {
                [CodeStatus::None, CodeStatus::Active, CodeStatus::Revoked].map(|s| code_word(s).0).to_vec()
            }
            Column::Session => vec![no_session_word()],
            Column::Checkin => vec![checkin_word(true).0, checkin_word(false).0],
            Column::Photo => {
                [PhotoStatus::Missing, PhotoStatus::Valid, PhotoStatus::Invalid].map(|s| photo_word(s).0).to_vec()
            }
            _ => Vec::new(),
        }
    }

    /// Widths in columns, given the data: (narrowest, comfortable, whole content).
    fn width_range(self, w: &ContentWidths) -> (usize, usize, usize) {
        let header = widgets::width(self.header());
        let text = |content: usize, min: usize, comfortable: usize| {
            let full = content.max(header);
            let ideal = full.min(comfortable);
            (ideal.min(min.max(header)), ideal, full)
        };
        let fixed = |n: usize| (n, n, n);
        match self {
            // 学号 is how staff find a student: never cut it short
            Column::StudentNo => fixed(w.student_no.max(header).min(20)),
            Column::Name => text(w.name, 12, 16),
            Column::MaskedId => fixed(9.max(header)),
            Column::College => text(w.college, 10, 24),
            Column::Class => text(w.class, 8, 16),
            Column::Session => {
                fixed(self.words().iter().map(|t| widgets::width(t)).chain([header, w.session]).max().unwrap_or(header))
            }
            Column::Code | Column::Checkin | Column::Photo => {
                fixed(self.words().iter().map(|t| widgets::width(t)).max().unwrap_or(0).max(header))
            }
        }
    }
}

fn code_word(status: CodeStatus) -> (&'static str, Role) {
    match status {
        CodeStatus::None => (tr("未发", "none"), Role::StatusMissing),
        CodeStatus::Active => (tr("有效", "active"), Role::StatusOk),
        CodeStatus::Revoked => (tr("已作废", "revoked"), Role::StatusWarn),
    }
}

fn no_session_word() -> &'static str {
    tr("未排", "none")
}

fn checkin_word(checked_in: bool) -> (&'static str, Role) {
    if checked_in { (tr("已签到", "yes"), Role::StatusOk) } else { (tr("未签到", "no"), Role::Muted) }
}

fn photo_word(status: PhotoStatus) -> (&'static str, Role) {
    match status {
        PhotoStatus::Missing => (tr("缺", "missing"), Role::StatusMissing),
        PhotoStatus::Valid => (tr("合格", "valid"), Role::StatusOk),
        PhotoStatus::Invalid => (tr("不合格", "invalid"), Role::StatusWarn),
    }
}

/// Which columns to show, and how wide, in `available` terminal columns (one space between
/// columns): start from the narrowest widths, drop the least important columns until the rest
/// fit, then give the room left to the text columns — first up to a comfortable width, then up to
/// their whole content (a long name before a long college).
pub fn columns(w: &ContentWidths, available: usize) -> Vec<(Column, usize)> {
    let mut cols: Vec<(Column, usize, (usize, usize, usize))> = Column::ALL
        .into_iter()
        .map(|c| {
            let range = c.width_range(w);
            (c, range.0, range)
        })
        .collect();
    let total = |cols: &[(Column, usize, (usize, usize, usize))]| {
        cols.iter().map(|c| c.1).sum::<usize>() + cols.len().saturating_sub(1)
    };
    for drop in Column::DROP_ORDER {
        if total(&cols) <= available {
            break;
        }
        cols.retain(|c| c.0 != drop);
    }
    let mut spare = available.saturating_sub(total(&cols));
    for target in [|r: (usize, usize, usize)| r.1, |r: (usize, usize, usize)| r.2] {
        for grow in Column::GROW_ORDER {
            if let Some(c) = cols.iter_mut().find(|c| c.0 == grow) {
                let more = target(c.2).saturating_sub(c.1).min(spare);
                c.1 += more;
                spare -= more;
            }
        }
    }
    // Still too wide (a very narrow terminal): the name gives way, down to a few columns.
    let over = total(&cols).saturating_sub(available);
    if over > 0 {
        if let Some(c) = cols.iter_mut().find(|c| c.0 == Column::Name) {
            c.1 = c.1.saturating_sub(over).max(4);
        }
    }
    cols.into_iter().map(|(c, width, _)| (c, width)).collect()
}

/// First row of the window of `rows` rows that shows `selected`, starting from the remembered
/// `offset` and moving it as little as possible.
pub fn window_start(selected: usize, offset: usize, rows: usize, len: usize) -> usize {
    if rows == 0 || len == 0 {
        return 0;
    }
    let selected = selected.min(len - 1);
    let mut start = offset.min(selected);
    if selected >= start + rows {
        start = selected + 1 - rows;
    }
    start.min(len.saturating_sub(rows))
}

fn cell(row: &StudentRow, column: Column, width: usize, theme: &Theme) -> Span<'static> {
    let s = &row.student;
    let (text, role) = match column {
        Column::StudentNo => (widgets::fit(&s.student_no, width), Role::Text),
        Column::Name => (widgets::fit(&s.name, width), Role::Text),
        Column::MaskedId => (widgets::fit(&mask_id(&s.id_number), width), Role::Muted),
        Column::College => (widgets::fit(&s.college, width), Role::Text),
        Column::Class => (widgets::fit(&s.class, width), Role::Text),
        Column::Code => {
            let (word, role) = code_word(row.code_status);
            (widgets::fit(word, width), role)
        }
        Column::Session => match row.session_id {
            Some(id) => (widgets::fit(&format!("#{id}"), width), Role::StatusOk),
            None => (widgets::fit(no_session_word(), width), Role::StatusMissing),
        },
        Column::Checkin => {
            let (word, role) = checkin_word(row.checked_in);
            (widgets::fit(word, width), role)
        }
        Column::Photo => {
            let (word, role) = photo_word(row.photo_status);
            (widgets::fit(word, width), role)
        }
    };
    Span::styled(text, theme.style(role))
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let len = app.students.len();
    let mut title = vec![Span::styled(format!(" {} ", tr("学生名单", "Students")), theme.style(Role::Title))];
    title.push(Span::styled(format!("{}{} ", app.school.cohort, tr("届", " cohort")), theme.style(Role::Muted)));
    if len > 0 {
        title.push(Span::styled(format!("{}/{len} ", app.selected + 1), theme.style(Role::Muted)));
    }
    if app.loading() {
        title.push(Span::styled(format!("{} ", tr("读取中…", "loading…")), theme.style(Role::StatusWarn)));
    }
    let title = widgets::clip_spans(title, area.width.saturating_sub(2) as usize);
    let block = Block::bordered().border_style(theme.style(Role::Border)).title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    if len == 0 {
        render_empty(app, frame, inner);
        return;
    }
    let cols = columns(&app.widths, inner.width as usize);
    let rows_on_screen = inner.height.saturating_sub(1) as usize;
    let start = window_start(app.selected, app.offset, rows_on_screen, len);
    let end = (start + rows_on_screen).min(len);
    let rows: Vec<Row> = app.students[start..end]
        .iter()
        .map(|r| Row::new(cols.iter().map(|(c, w)| cell(r, *c, *w, theme)).collect::<Vec<_>>()))
        .collect();
    let header = Row::new(cols.iter().map(|(c, w)| Span::raw(widgets::fit(c.header(), *w))).collect::<Vec<_>>())
        .style(theme.style(Role::ColumnHeader));
    let widths = cols.iter().map(|(_, w)| Constraint::Length(*w as u16));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .style(theme.style(Role::Text))
        .row_highlight_style(theme.selection());
    let mut state = TableState::default().with_selected(Some(app.selected.min(len - 1) - start));
    frame.render_stateful_widget(table, inner, &mut state);

    if len > rows_on_screen && rows_on_screen > 0 {
        // on the right border, level with the rows
        let track = Rect::new(area.right() - 1, inner.y + 1, 1, rows_on_screen as u16);
        let mut bar = ScrollbarState::new(len.saturating_sub(rows_on_screen) + 1).position(start);
        let scrollbar = Scrollbar::new(ScrollbarOrientation::VerticalRight)
            .begin_symbol(None)
            .end_symbol(None)
            .track_symbol(Some("│"))
            .thumb_symbol("█")
            .style(theme.style(Role::Border));
        frame.render_stateful_widget(scrollbar, track, &mut bar);
    }
}

/// What an empty list means, and what to do about it.
fn render_empty(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let text = theme.style(Role::Text);
    let key = theme.style(Role::Key);
    let lines: Vec<(String, Style)> = if let (false, Some(error)) = (app.students_loaded, &app.students_error) {
        vec![
            (tr("读不到学生名单：", "Cannot read the students:").to_string(), theme.style(Role::Error)),
            (error.clone(), text),
            (String::new(), text),
            (retry_hint(app), key),
        ]
    } else if !app.students_loaded {
        vec![(tr("正在读取学生名单…", "Reading the students…").to_string(), theme.style(Role::Muted))]
    } else if let Some(c) = app.counts.filter(|c| c.total > 0) {
        vec![
            (format!("{}{}", app.school.cohort, tr("届没有学生。", " cohort has no students.")), text),
            (
                format!(
                    "{} {} {}",
                    tr("数据库里的", "The"),
                    c.total,
                    tr("名学生属于其他届；", "students in the database belong to other cohorts;")
                ),
                text,
            ),
            (
                tr(
                    "在 config.toml 里写 cohort = 年份 可以查看其他届。",
                    "set cohort = YEAR in config.toml to see another.",
                )
                .to_string(),
                text,
            ),
        ]
    } else {
        vec![
            (tr("名单里还没有学生。", "The roster is empty.").to_string(), text),
            (String::new(), text),
            (tr("导入名单：caiji import 名单.xlsx", "Import one: caiji import roster.xlsx").to_string(), key),
            (tr("或生成演示学校：caiji demo", "or make a demo school: caiji demo").to_string(), key),
        ]
    };
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = lines.into_iter().map(|(t, s)| Line::styled(widgets::truncate(&t, width), s)).collect();
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let rect = Rect::new(area.x + 1, area.y + top, area.width.saturating_sub(2), area.height - top);
    frame.render_widget(Paragraph::new(lines), rect);
}

fn retry_hint(app: &App) -> String {
    let key = app.keymap.first_key(&super::super::action::Action::Reload).map(|k| k.label()).unwrap_or_default();
    format!("{key} {}", tr("重试", "retry"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(name: usize, college: usize, class: usize) -> ContentWidths {
        ContentWidths { student_no: 12, name, college, class, session: 3 }
    }

    fn shown(cols: &[(Column, usize)]) -> Vec<Column> {
        cols.iter().map(|c| c.0).collect()
    }

    fn total(cols: &[(Column, usize)]) -> usize {
        cols.iter().map(|c| c.1).sum::<usize>() + cols.len() - 1
    }

    #[test]
    fn columns_fit_and_drop_in_order() {
        let w = widths(16, 20, 10);
        let all = Column::ALL.to_vec();
        let cases: [(usize, Vec<Column>); 4] = [
            (200, all.clone()),
            (118, all.clone()),
            (78, all.iter().copied().filter(|c| *c != Column::College).collect()),
            (40, vec![Column::StudentNo, Column::Name, Column::Code, Column::Photo]),
        ];
        for (available, want) in cases {
            let cols = columns(&w, available);
            assert_eq!(shown(&cols), want, "at {available} columns");
            assert!(total(&cols) <= available, "{cols:?} wider than {available}");
        }
        // with room, every column gets its full width
        let wide = columns(&w, 200);
        assert_eq!(wide.iter().find(|c| c.0 == Column::Name).map(|c| c.1), Some(16));
        assert_eq!(wide.iter().find(|c| c.0 == Column::College).map(|c| c.1), Some(20));
        // 学号 is never narrowed
        for available in [40, 60, 78, 118] {
            assert_eq!(columns(&w, available)[0], (Column::StudentNo, 12));
        }
    }

    #[test]
    fn window_follows_the_selection() {
        let cases = [
            // (selected, offset, rows, len, want)
            (0, 0, 10, 100, 0),
            (9, 0, 10, 100, 0),
            (10, 0, 10, 100, 1),
            (50, 45, 10, 100, 45),
            (44, 45, 10, 100, 44),
            (99, 0, 10, 100, 90),
            (5, 95, 10, 100, 5),
            (3, 0, 10, 5, 0),
            (7, 3, 10, 5, 0),
            (0, 0, 0, 5, 0),
            (0, 0, 10, 0, 0),
        ];
        for (selected, offset, rows, len, want) in cases {
            assert_eq!(window_start(selected, offset, rows, len), want, "{selected} {offset} {rows} {len}");
        }
    }
}
