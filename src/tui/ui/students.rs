//! The Students screen: the roster with the state of each student's collection.
//!
//! Only the rows on screen are built: the window is computed from the selection and the area's
//! height, so a 100,000-student roster costs the same to draw as a 20-student one.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::super::app::App;
use super::super::overlay::cohort_label;
use super::super::roster::{ContentWidths, Sort, field_label, missing_label};
use super::super::theme::Role;
use super::super::widgets;
use crate::domain::mask_id;
use crate::domain::search::{Field, Highlight};
use crate::i18n::tr;
use crate::store::{CodeStatus, PhotoStatus, StudentRow};

/// The columns of the list, in the order they are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    StudentNo,
    Name,
    MaskedId,
    College,
    Major,
    Class,
    Counselor,
    Code,
    Session,
    Checkin,
    Photo,
    /// What the photo files need (several to choose from, problems), from the Photos data.
    Problems,
}

impl Column {
    const ALL: [Column; 12] = [
        Column::StudentNo,
        Column::Name,
        Column::MaskedId,
        Column::College,
        Column::Major,
        Column::Class,
        Column::Counselor,
        Column::Code,
        Column::Session,
        Column::Checkin,
        Column::Photo,
        Column::Problems,
    ];

    /// Dropped first to last when the terminal is too narrow for every column: what wide
    /// terminals add (专业, 辅导员), then what a counselor needs least.
    const DROP_ORDER: [Column; 10] = [
        Column::Major,
        Column::Counselor,
        Column::College,
        Column::MaskedId,
        Column::Problems,
        Column::Class,
        Column::Checkin,
        Column::Session,
        Column::Code,
        Column::Photo,
    ];

    /// Narrowed columns get space back in this order when there is room.
    const GROW_ORDER: [Column; 6] = [
        Column::Name,
        Column::Problems,
        Column::College,
        Column::Class,
        Column::Counselor,
        Column::Major,
    ];

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
            Column::Major => tr("专业", "Major"),
            Column::Counselor => tr("辅导员", "Counselor"),
            Column::Problems => tr("照片问题", "Photo problems"),
        }
    }

    /// A column with nothing to show in this roster (no majors recorded, no photo notes).
    fn empty(self, w: &ContentWidths) -> bool {
        match self {
            Column::Major => w.major == 0,
            Column::Counselor => w.counselor == 0,
            Column::Problems => w.problems == 0,
            _ => false,
        }
    }

    /// Every word a status column can show, for its width.
    fn words(self) -> Vec<&'static str> {
        match self {
            Column::Code => [CodeStatus::None, CodeStatus::Active, CodeStatus::Revoked]
                .map(|s| code_word(s).0)
                .to_vec(),
            Column::Session => vec![no_session_word()],
            Column::Checkin => vec![checkin_word(true).0, checkin_word(false).0],
            Column::Photo => [
                PhotoStatus::Missing,
                PhotoStatus::Valid,
                PhotoStatus::Invalid,
                PhotoStatus::Duplicate,
            ]
            .map(|s| photo_word(s).0)
            .to_vec(),
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
            // sized to the names (nearly all of them: `ContentWidths::measure`)
            Column::Name => {
                let full = w.name.max(header);
                (full.min(12), full, full)
            }
            Column::MaskedId => fixed(9.max(header)),
            Column::College => text(w.college, 10, 24),
            Column::Major => text(w.major, 8, 16),
            Column::Class => text(w.class, 8, 16),
            Column::Counselor => text(w.counselor, 6, 10),
            Column::Problems => text(w.problems, 8, 16),
            Column::Session => fixed(
                self.words()
                    .iter()
                    .map(|t| widgets::width(t))
                    .chain([header, w.session])
                    .max()
                    .unwrap_or(header),
            ),
            Column::Code | Column::Checkin | Column::Photo => fixed(
                self.words()
                    .iter()
                    .map(|t| widgets::width(t))
                    .max()
                    .unwrap_or(0)
                    .max(header),
            ),
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
    if checked_in {
        (tr("已签到", "yes"), Role::StatusOk)
    } else {
        (tr("未签到", "no"), Role::Muted)
    }
}

/// The photo state in one word, the same on every screen (docs/console.md).
pub(super) fn photo_word(status: PhotoStatus) -> (&'static str, Role) {
    match status {
        PhotoStatus::Missing => (tr("缺", "missing"), Role::StatusMissing),
        PhotoStatus::Valid => (tr("合格", "valid"), Role::StatusOk),
        PhotoStatus::Invalid => (tr("不合格", "invalid"), Role::StatusWarn),
        PhotoStatus::Duplicate => (tr("重复待选", "choose one"), Role::StatusWarn),
    }
}

/// Which columns to show, and how wide, in `available` terminal columns (one space between
/// columns): start from the narrowest widths, drop the least important columns until the rest
/// fit, then give the room left to the text columns — first up to a comfortable width, then up to
/// their whole content (a long name before a long college).
pub fn columns(w: &ContentWidths, available: usize) -> Vec<(Column, usize)> {
    let mut cols: Vec<(Column, usize, (usize, usize, usize))> = Column::ALL
        .into_iter()
        .filter(|c| !c.empty(w))
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
        if matches!(
            drop,
            Column::Checkin | Column::Session | Column::Code | Column::Photo
        ) {
            // before a status goes, the names give way to a few letters
            if let Some(c) = cols.iter_mut().find(|c| c.0 == Column::Name) {
                c.1 = c.1.min(8);
            }
            if total(&cols) <= available {
                break;
            }
        }
        cols.retain(|c| c.0 != drop);
    }
    let mut spare = available.saturating_sub(total(&cols));
    for target in [
        |r: (usize, usize, usize)| r.1,
        |r: (usize, usize, usize)| r.2,
    ] {
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
    if over > 0
        && let Some(c) = cols.iter_mut().find(|c| c.0 == Column::Name)
    {
        c.1 = c.1.saturating_sub(over).max(4);
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

/// Where the parts of the Students screen go in the body.
pub struct StudentsLayout {
    /// The bordered list.
    pub block: Rect,
    /// The search and filter line inside it, when shown.
    pub info: Option<Rect>,
    /// Column header and rows.
    pub table: Rect,
    /// Terminal row of the first student row.
    pub first_row_y: u16,
    /// Student rows on screen.
    pub rows: usize,
    /// The history pane, when open.
    pub detail: Option<Rect>,
}

/// Width of the history pane beside the list, on wide terminals.
const DETAIL_WIDTH: u16 = 46;

/// True when the line above the table has something to say.
pub fn info_shown(app: &App) -> bool {
    app.students.search.editing
        || !app.students.search.input.is_empty()
        || !app.students.filter.is_empty()
        || app.students.sort != Sort::default()
        || app.students.cohort != Some(app.school.cohort)
}

pub fn layout(app: &App, body: Rect) -> StudentsLayout {
    let (list, detail) = if !app.students.detail.open {
        (body, None)
    } else if body.width >= 110 {
        let [list, detail] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(DETAIL_WIDTH)]).areas(body);
        (list, Some(detail))
    } else if body.height >= 16 {
        let [list, detail] =
            Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
        (list, Some(detail))
    } else {
        // no room for both: the history takes the body
        (Rect::new(body.x, body.y, body.width, 0), Some(body))
    };
    let inner = Block::bordered().inner(list);
    let info =
        (info_shown(app) && inner.height > 0).then(|| Rect::new(inner.x, inner.y, inner.width, 1));
    let used = u16::from(info.is_some());
    let table = Rect::new(
        inner.x,
        inner.y + used,
        inner.width,
        inner.height.saturating_sub(used),
    );
    StudentsLayout {
        block: list,
        info,
        table,
        first_row_y: table.y + 1,
        rows: table.height.saturating_sub(1) as usize,
        detail,
    }
}

fn text_cell(text: &str, width: usize, hits: &[usize], style: Style, hit: Style) -> Line<'static> {
    Line::from(widgets::fit_highlighted(text, width, hits, style, hit))
}

fn cell(
    app: &App,
    row: &StudentRow,
    column: Column,
    width: usize,
    hl: &Highlight,
) -> Line<'static> {
    let theme = &app.theme;
    let s = &row.student;
    let text = theme.style(Role::Text);
    let hit = theme.style(Role::SearchMatch);
    let word =
        |w: &str, role: Role| Line::from(Span::styled(widgets::fit(w, width), theme.style(role)));
    match column {
        Column::StudentNo => text_cell(&s.student_no, width, &hl.student_no, text, hit),
        Column::Name => text_cell(&s.name, width, &hl.name, text, hit),
        Column::MaskedId => word(&mask_id(&s.id_number), Role::Muted),
        Column::College => text_cell(&s.college, width, &hl.college, text, hit),
        Column::Class => text_cell(&s.class, width, &hl.class, text, hit),
        Column::Code => {
            let (w, role) = code_word(row.code_status);
            word(w, role)
        }
        Column::Session => match row.session_id {
            Some(id) => word(&format!("#{id}"), Role::StatusOk),
            None => word(no_session_word(), Role::StatusMissing),
        },
        Column::Checkin => {
            let (w, role) = checkin_word(row.checked_in);
            word(w, role)
        }
        Column::Photo => {
            let (w, role) = photo_word(row.photo_status);
            word(w, role)
        }
        Column::Major => word(&widgets::clean(&s.major), Role::Text),
        Column::Counselor => text_cell(&s.counselor, width, &[], text, hit),
        Column::Problems => match row.photo_status {
            PhotoStatus::Valid => word("", Role::Text),
            _ => word(
                app.photos
                    .notes
                    .get(&s.student_no)
                    .map_or("", String::as_str),
                Role::StatusWarn,
            ),
        },
    }
}

/// The search being typed and the filters in force, on one line.
fn render_info(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut left = Vec::new();
    if app.students.search.editing || !app.students.search.input.is_empty() {
        left.push(Span::styled("/ ", theme.style(Role::Key)));
        left.push(Span::styled(
            widgets::clean(&app.students.search.input).into_owned(),
            theme.style(Role::Text),
        ));
    }
    if app.students.search.editing {
        left.push(Span::styled("▏", theme.style(Role::Key)));
    }
    if app.students.search.active() {
        let state = if app.students.search.pending() || !app.students.loaded {
            tr("  搜索中…", "  searching…").to_string()
        } else {
            format!("  {} {}", app.students.view.len(), tr("条结果", "found"))
        };
        left.push(Span::styled(state, theme.style(Role::Muted)));
    } else if app.students.search.editing {
        left.push(Span::styled(
            tr(
                "  输入学号、姓名、拼音或首字母、班级、学院",
                "  type a student no., name, pinyin or initials, class, college",
            ),
            theme.style(Role::Muted),
        ));
    }
    let mut chips: Vec<String> = Vec::new();
    if let Some(m) = app.students.filter.missing {
        chips.push(missing_label(m).to_string());
    }
    for field in Field::ALL {
        if let Some(v) = app.students.filter.value(field) {
            chips.push(format!(
                "{} {}",
                field_label(field),
                widgets::truncate(v, 16)
            ));
        }
    }
    if app.students.cohort != Some(app.school.cohort) {
        chips.push(match app.students.cohort {
            Some(y) => cohort_label(y),
            None => tr("全部届别", "every cohort").to_string(),
        });
    }
    if app.students.sort != Sort::default() && !app.students.search.active() {
        let arrow = if app.students.sort.reverse {
            "↓"
        } else {
            "↑"
        };
        chips.push(format!(
            "{} {}{arrow}",
            tr("排序", "sort"),
            app.students.sort.key.label()
        ));
    }
    let right = chips.join(" · ");
    let width = area.width as usize;
    let right_width = widgets::width(&right);
    let left_width: usize = left.iter().map(|s| widgets::width(&s.content)).sum();
    let mut spans;
    if right.is_empty() || left_width + 2 + right_width > width {
        // the search keeps the line; filters that do not fit are still in the title count
        spans = widgets::clip_spans(left, width);
        if right_width + 2 <= width.saturating_sub(left_width) && !right.is_empty() {
            spans.push(Span::raw("  "));
            spans.push(Span::styled(right, theme.style(Role::StatusWarn)));
        }
    } else {
        spans = left;
        spans.push(Span::raw(" ".repeat(width - left_width - right_width)));
        spans.push(Span::styled(right, theme.style(Role::StatusWarn)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let layout = layout(app, area);
    if let Some(detail) = layout.detail {
        super::detail::render(app, frame, detail);
    }
    if layout.block.height == 0 {
        return;
    }
    let area = layout.block;
    let len = app.students.view.len();
    let mut title = vec![Span::styled(
        format!(" {} ", tr("学生名单", "Students")),
        theme.style(Role::Title),
    )];
    let cohort = match app.students.cohort {
        Some(y) => cohort_label(y),
        None => tr("全部届别", "every cohort").to_string(),
    };
    title.push(Span::styled(format!("{cohort} "), theme.style(Role::Muted)));
    if len > 0 {
        // the first page alone: the total is not known yet (docs/console.md, "The first screen")
        let total = if app.students.partial {
            "…".to_string()
        } else {
            len.to_string()
        };
        title.push(Span::styled(
            format!("{}/{total} ", app.students.selected + 1),
            theme.style(Role::Muted),
        ));
    }
    if app.loading() {
        title.push(Span::styled(
            format!("{} ", tr("读取中…", "loading…")),
            theme.style(Role::StatusWarn),
        ));
    }
    let title = widgets::clip_spans(title, area.width.saturating_sub(2) as usize);
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::from(title));
    frame.render_widget(block, area);
    if let Some(info) = layout.info {
        render_info(app, frame, info);
    }
    let inner = layout.table;

    if len == 0 {
        render_empty(app, frame, inner);
        return;
    }
    let cols = columns(&app.students.roster.widths, inner.width as usize);
    let rows_on_screen = layout.rows;
    let start = window_start(
        app.students.selected,
        app.students.offset,
        rows_on_screen,
        len,
    );
    let end = (start + rows_on_screen).min(len);
    // matches are worked out only for the rows on screen
    let query = app
        .students
        .search
        .result
        .as_ref()
        .filter(|_| app.students.search.active())
        .map(|r| r.query.clone());
    let rows: Vec<Row> = app.students.view[start..end]
        .iter()
        .filter_map(|&i| {
            app.students
                .roster
                .rows
                .get(i as usize)
                .map(|r| (i as usize, r))
        })
        .map(|(i, r)| {
            let hl = match &query {
                Some(q) => app.students.roster.index.highlight(i, q),
                None => Highlight::default(),
            };
            Row::new(
                cols.iter()
                    .map(|(c, w)| cell(app, r, *c, *w, &hl))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let header = Row::new(
        cols.iter()
            .map(|(c, w)| Span::raw(widgets::fit(c.header(), *w)))
            .collect::<Vec<_>>(),
    )
    .style(theme.style(Role::ColumnHeader));
    let widths = cols.iter().map(|(_, w)| Constraint::Length(*w as u16));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .style(theme.style(Role::Text))
        .row_highlight_style(theme.selection());
    let mut state =
        TableState::default().with_selected(Some(app.students.selected.min(len - 1) - start));
    frame.render_stateful_widget(table, inner, &mut state);

    // no scroll bar over the first page alone: where it stands in the whole is not known yet
    if len > rows_on_screen && rows_on_screen > 0 && !app.students.partial {
        // on the right border, level with the rows
        let track = Rect::new(
            area.right() - 1,
            layout.first_row_y,
            1,
            rows_on_screen as u16,
        );
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
    let lines: Vec<(String, Style)> = if app.students.loaded && !app.students.roster.is_empty() {
        empty_hints(app)
    } else if let (false, Some(error)) = (app.students.loaded, &app.students.error) {
        vec![
            (
                tr("读不到学生名单：", "Cannot read the students:").to_string(),
                theme.style(Role::Error),
            ),
            (error.clone(), text),
            (String::new(), text),
            (retry_hint(app), key),
        ]
    } else if !app.students.loaded {
        vec![(
            tr("正在读取学生名单…", "Reading the students…").to_string(),
            theme.style(Role::Muted),
        )]
    } else if let Some(c) = app.counts.filter(|c| c.total > 0) {
        vec![
            (
                format!(
                    "{}{}",
                    app.school.cohort,
                    tr("届没有学生。", " cohort has no students.")
                ),
                text,
            ),
            (
                format!(
                    "{} {} {}",
                    tr("数据库里的", "The"),
                    c.total,
                    tr(
                        "名学生属于其他届；",
                        "students in the database belong to other cohorts;"
                    )
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
            (
                tr("名单里还没有学生。", "The roster is empty.").to_string(),
                text,
            ),
            (String::new(), text),
            (
                tr(
                    "导入名单：caiji import 名单.xlsx",
                    "Import one: caiji import roster.xlsx",
                )
                .to_string(),
                key,
            ),
            (
                tr(
                    "或生成演示学校：caiji demo",
                    "or make a demo school: caiji demo",
                )
                .to_string(),
                key,
            ),
        ]
    };
    let width = area.width.saturating_sub(2) as usize;
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|(t, s)| Line::styled(widgets::truncate(&t, width), s))
        .collect();
    let top = area.height.saturating_sub(lines.len() as u16) / 2;
    let rect = Rect::new(
        area.x + 1,
        area.y + top,
        area.width.saturating_sub(2),
        area.height - top,
    );
    frame.render_widget(Paragraph::new(lines), rect);
}

/// What hides every student, condition by condition, with how many each alone hides and the
/// key that changes it; then the key that clears them all, as it works in the mode in force
/// (while a search is typed, printable keys are text).
fn empty_hints(app: &App) -> Vec<(String, Style)> {
    use super::super::action::Action;
    use super::super::app::Hiding;
    let theme = &app.theme;
    let text = theme.style(Role::Text);
    let key_style = theme.style(Role::Key);
    let zh = crate::i18n::lang() == crate::i18n::Lang::Zh;
    // the key for `action` that works now: the mode's own scope first
    let key = |action: &Action| {
        super::super::keymap::Scope::active(app.mode())
            .into_iter()
            .find_map(|scope| app.keymap.key_in(scope, action))
            .or_else(|| {
                app.keymap
                    .key_in(super::super::keymap::Scope::Students, action)
            })
            .map(|k| k.label())
    };
    let mut lines = vec![(
        tr(
            "没有符合搜索和筛选条件的学生。",
            "No student matches the search and filters.",
        )
        .to_string(),
        text,
    )];
    if !app.students.hidden_by.is_empty() {
        lines.push((
            tr(
                "以下条件各自去掉后能看到的学生：",
                "Students each condition hides:",
            )
            .to_string(),
            theme.style(Role::Muted),
        ));
    }
    for (hiding, n) in &app.students.hidden_by {
        let (what, action) = match hiding {
            Hiding::Missing(m) => (missing_label(*m).to_string(), Action::CycleMissing),
            Hiding::Field(f, v) => (
                format!("{} {}", field_label(*f), widgets::truncate(v, 16)),
                match f {
                    Field::College => Action::FilterCollege,
                    Field::Class => Action::FilterClass,
                    Field::Counselor => Action::FilterCounselor,
                },
            ),
            Hiding::Search(q) => (
                format!("{} “{}”", tr("搜索", "search"), widgets::truncate(q, 16)),
                Action::Search,
            ),
        };
        let change = key(&action)
            .map(|k| {
                if zh {
                    format!("（{k} 更改）")
                } else {
                    format!(" ({k} to change)")
                }
            })
            .unwrap_or_default();
        let line = if zh {
            format!("  {what}：去掉后 {n} 名{change}")
        } else {
            format!("  {what}: {n} without it{change}")
        };
        lines.push((line, text));
    }
    if let Some(k) = key(&Action::ClearFilters) {
        lines.push((String::new(), text));
        lines.push((
            format!(
                "{k} {}",
                tr("清除全部筛选和搜索", "clears every filter and the search")
            ),
            key_style,
        ));
    }
    lines
}

fn retry_hint(app: &App) -> String {
    let key = app
        .keymap
        .first_key(&super::super::action::Action::Reload)
        .map(|k| k.label())
        .unwrap_or_default();
    format!("{key} {}", tr("重试", "retry"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widths(name: usize, college: usize, class: usize) -> ContentWidths {
        ContentWidths {
            student_no: 12,
            name,
            college,
            class,
            session: 3,
            ..ContentWidths::default()
        }
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
        // no majors, counselors or photo notes in this roster: those columns are never shown
        let all: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| !matches!(c, Column::Major | Column::Counselor | Column::Problems))
            .collect();
        let cases: [(usize, Vec<Column>); 4] = [
            (200, all.clone()),
            (118, all.clone()),
            (
                78,
                all.iter()
                    .copied()
                    .filter(|c| *c != Column::College)
                    .collect(),
            ),
            (
                40,
                vec![Column::StudentNo, Column::Name, Column::Code, Column::Photo],
            ),
        ];
        for (available, want) in cases {
            let cols = columns(&w, available);
            assert_eq!(shown(&cols), want, "at {available} columns");
            assert!(total(&cols) <= available, "{cols:?} wider than {available}");
        }
        // with room, every column gets its full width
        let wide = columns(&w, 200);
        assert_eq!(
            wide.iter().find(|c| c.0 == Column::Name).map(|c| c.1),
            Some(16)
        );
        assert_eq!(
            wide.iter().find(|c| c.0 == Column::College).map(|c| c.1),
            Some(20)
        );
        // with them, wide terminals show them all, and 专业 goes first when it gets narrower
        let full = ContentWidths {
            major: 16,
            counselor: 6,
            problems: 10,
            ..w
        };
        assert_eq!(shown(&columns(&full, 200)), Column::ALL.to_vec());
        let at_100: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| *c != Column::Major)
            .collect();
        assert_eq!(shown(&columns(&full, 100)), at_100);
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
            assert_eq!(
                window_start(selected, offset, rows, len),
                want,
                "{selected} {offset} {rows} {len}"
            );
        }
    }
}
