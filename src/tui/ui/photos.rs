//! The Photos screen: the last applied reconciliation's summary, one list per outcome (a tab
//! each), and what is known about the selected row. Only the rows on screen are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::super::action::{Action, Screen};
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::photos::{PhotoItem, PhotoList, find_student};
use super::super::theme::Role;
use super::super::widgets;
use super::{areas, too_small};
use crate::domain::mask_name;
use crate::domain::photo_spec::KB;
use crate::i18n::{lang, tr};
use crate::store::StudentRow;

/// Where the parts of the screen go inside the body.
struct Parts {
    summary: Rect,
    tabs: Rect,
    header: Rect,
    rows: Rect,
    detail: Rect,
}

fn parts(body: Rect, ingest: bool) -> Parts {
    // inside the border, one column of padding each side
    let inner = Block::bordered().inner(body);
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let take = |from: &mut Rect, h: u16| {
        let h = h.min(from.height);
        let r = Rect::new(from.x, from.y, from.width, h);
        from.y += h;
        from.height -= h;
        r
    };
    let mut rest = inner;
    let summary = take(&mut rest, if ingest { 3 } else { 2 });
    let tabs = take(&mut rest, 1);
    let header = take(&mut rest, 1);
    // the detail pane grows with the terminal, and goes first when there is no room
    let detail_height = match rest.height {
        h if h >= 24 => 6,
        h if h >= 10 => 4,
        h if h >= 6 => 2,
        _ => 0,
    };
    let rows = Rect::new(rest.x, rest.y, rest.width, rest.height - detail_height);
    let detail = Rect::new(rest.x, rest.y + rows.height, rest.width, detail_height);
    Parts {
        summary,
        tabs,
        header,
        rows,
        detail,
    }
}

/// Rows of the current list that fit on screen now.
pub fn list_rows(app: &App) -> usize {
    if too_small(app.size) {
        return 0;
    }
    let body = areas(Rect::new(0, 0, app.size.0, app.size.1)).body;
    parts(body, app.photos.ingest.is_some()).rows.height as usize
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    File,
    StudentNo,
    Name,
    Size,
    Dims,
    Problems,
    Suggestions,
    Reason,
    Class,
    College,
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::File => tr("文件", "File"),
            Column::StudentNo => tr("学号", "Student no."),
            Column::Name => tr("姓名", "Name"),
            Column::Size => tr("大小", "Size"),
            Column::Dims => tr("尺寸", "Pixels"),
            Column::Problems => tr("问题", "Problems"),
            Column::Suggestions => tr("可能是", "Likely students"),
            Column::Reason => tr("原因", "Reason"),
            Column::Class => tr("班级", "Class"),
            Column::College => tr("学院", "College"),
        }
    }

    /// Columns that take what the others leave.
    fn flexible(self) -> bool {
        matches!(
            self,
            Column::File
                | Column::Problems
                | Column::Suggestions
                | Column::Reason
                | Column::College
        )
    }

    fn right_aligned(self) -> bool {
        matches!(self, Column::Size | Column::Dims)
    }

    /// Widest a fixed column gets.
    fn cap(self) -> usize {
        match self {
            Column::StudentNo => 14,
            Column::Name => 12,
            Column::Class => 16,
            _ => 10,
        }
    }
}

fn columns(list: PhotoList) -> &'static [Column] {
    use Column as C;
    match list {
        PhotoList::Invalid | PhotoList::Duplicate => &[
            C::File,
            C::StudentNo,
            C::Name,
            C::Size,
            C::Dims,
            C::Problems,
        ],
        PhotoList::Orphan => &[C::File, C::Size, C::Dims, C::Suggestions, C::Problems],
        PhotoList::Missing => &[C::StudentNo, C::Name, C::Class, C::College],
        PhotoList::Skipped => &[C::File, C::Reason],
        PhotoList::Valid => &[C::File, C::StudentNo, C::Name, C::Size, C::Dims],
    }
}

/// A name as the screen shows it: control characters dropped first, so they are not masked
/// into stars and letters.
fn masked(name: &str) -> String {
    mask_name(&widgets::clean(name))
}

/// `1234` bytes as the standard counts them: `1.2 KB`.
fn size_text(bytes: i64) -> String {
    let bytes = bytes.max(0) as u64;
    let tenths = (bytes * 10 + KB / 2) / KB;
    format!("{}.{} KB", tenths / 10, tenths % 10)
}

/// A file's problems in words, joined.
fn problems_text(item: &PhotoItem) -> String {
    let words: Vec<String> = item.problems.iter().map(|p| p.message(lang())).collect();
    words.join(tr("；", "; "))
}

/// What a cell of a file row says, and how it looks.
fn file_cell(app: &App, list: PhotoList, item: &PhotoItem, column: Column) -> (String, Role) {
    match column {
        Column::File => (item.rel.clone(), Role::Text),
        Column::StudentNo => (item.student_no.clone().unwrap_or_default(), Role::Text),
        Column::Name => (
            item.name.as_deref().map(masked).unwrap_or_default(),
            Role::Text,
        ),
        Column::Size => (item.size.map(size_text).unwrap_or_default(), Role::Muted),
        Column::Dims => (
            item.dims
                .map(|(w, h)| format!("{w}×{h}"))
                .unwrap_or_default(),
            Role::Muted,
        ),
        Column::Problems if item.problems.is_empty() => {
            let text = if list == PhotoList::Valid {
                ""
            } else {
                tr("文件本身合格", "the file itself is valid")
            };
            (text.to_string(), Role::StatusOk)
        }
        Column::Problems => (problems_text(item), Role::StatusWarn),
        Column::Suggestions if item.suggestions.is_empty() => (
            tr("没有相近的学生", "no close match").to_string(),
            Role::Muted,
        ),
        Column::Suggestions => (suggestion_names(app, &item.suggestions), Role::Text),
        Column::Reason => (item.reason.clone().unwrap_or_default(), Role::StatusWarn),
        Column::Class | Column::College => (String::new(), Role::Text),
    }
}

fn student_cell(row: &StudentRow, column: Column) -> (String, Role) {
    let s = &row.student;
    match column {
        Column::StudentNo => (s.student_no.clone(), Role::Text),
        Column::Name => (masked(&s.name), Role::Text),
        Column::Class => (s.class.clone(), Role::Muted),
        Column::College => (s.college.clone(), Role::Muted),
        _ => (String::new(), Role::Text),
    }
}

/// `学号 masked-name` of each suggestion, as far as the loaded roster knows them.
fn suggestion_names(app: &App, nos: &[String]) -> String {
    let named: Vec<String> = nos
        .iter()
        .map(|no| {
            match find_student(&app.students.roster, no)
                .and_then(|i| app.students.roster.rows.get(i))
            {
                Some(r) => format!("{no} {}", masked(&r.student.name)),
                None => no.clone(),
            }
        })
        .collect();
    named.join(tr("、", ", "))
}

/// The cells of rows `from..to` of the current list.
fn visible_cells(app: &App, from: usize, to: usize) -> Vec<Vec<(String, Role)>> {
    let photos = &app.photos;
    let list = photos.list;
    let cols = columns(list);
    (from..to)
        .filter_map(|i| {
            if list == PhotoList::Missing {
                let row = app
                    .students
                    .roster
                    .rows
                    .get(*photos.missing.get(i)? as usize)?;
                Some(cols.iter().map(|c| student_cell(row, *c)).collect())
            } else {
                let item = photos.item(i)?;
                Some(
                    cols.iter()
                        .map(|c| file_cell(app, list, item, *c))
                        .collect(),
                )
            }
        })
        .map(|cells: Vec<(String, Role)>| {
            cells
                .into_iter()
                .map(|(t, r)| (widgets::clean(&t).into_owned(), r))
                .collect()
        })
        .collect()
}

/// Each column's width: fixed ones as wide as their widest visible value, the flexible ones
/// sharing the rest (the file name gets the larger share).
fn widths(cols: &[Column], cells: &[Vec<(String, Role)>], total: usize) -> Vec<usize> {
    let gaps = cols.len().saturating_sub(1);
    let mut out: Vec<usize> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.flexible() {
                return 0;
            }
            let widest = cells
                .iter()
                .map(|row| widgets::width(&row[i].0))
                .max()
                .unwrap_or(0);
            widest.max(widgets::width(c.title())).min(c.cap())
        })
        .collect();
    let fixed: usize = out.iter().sum::<usize>() + gaps;
    let mut room = total.saturating_sub(fixed);
    let flex: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].flexible()).collect();
    for (n, &i) in flex.iter().enumerate() {
        let left = flex.len() - n;
        // the first flexible column (the file) gets more than an even share when there are two
        let share = if left > 1 && cols[i] == Column::File {
            room * 11 / 20
        } else {
            room / left
        };
        out[i] = share;
        room -= share;
    }
    out
}

fn fit_start(text: &str, cols: usize) -> String {
    let mut out = widgets::truncate_start(text, cols);
    out.extend(std::iter::repeat_n(
        ' ',
        cols.saturating_sub(widgets::width(&out)),
    ));
    out
}

fn cell_text(column: Column, text: &str, width: usize) -> String {
    if column == Column::File {
        fit_start(text, width) // the file name matters more than its folders
    } else if column.right_aligned() {
        widgets::fit_right(text, width)
    } else {
        widgets::fit(text, width)
    }
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let mut block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::styled(
            format!(" {} ", Screen::Photos.title()),
            theme.style(Role::Title),
        ));
    if let Some(hint) = hint(app).filter(|_| app.photos.summary.is_some()) {
        block = block.title_bottom(Line::styled(hint, theme.style(Role::Muted)));
    }
    frame.render_widget(block, area);
    let p = parts(area, app.photos.ingest.is_some());
    let photos = &app.photos;
    let width = p.summary.width as usize;
    let Some(summary) = &photos.summary else {
        let lines = empty_state(app, width);
        let inner = Block::bordered().inner(area);
        let padded = Rect::new(p.summary.x, inner.y, p.summary.width, inner.height);
        frame.render_widget(Paragraph::new(lines), padded);
        return;
    };
    let label = theme.style(Role::Muted);
    let value = theme.style(Role::Text).add_modifier(Modifier::BOLD);

    // when and where
    let head = format!(
        "{} {} · ",
        tr("上次核对", "Last reconciled"),
        crate::clock::format_local(summary.at, "%Y-%m-%d %H:%M:%S")
    );
    let mut first = vec![Span::styled(head.clone(), label)];
    first.push(Span::styled(
        widgets::truncate_start(
            &crate::domain::mask_ids_in_path(&summary.folder, None),
            width.saturating_sub(widgets::width(&head)),
        ),
        theme.style(Role::Text),
    ));
    // files and students in named units: the duplicate list counts files, the summary
    // counted students
    let zh = lang() == crate::i18n::Lang::Zh;
    let dup_files = photos.len(PhotoList::Duplicate);
    let parts: [(String, usize, String); 7] = if zh {
        [
            ("文件".into(), summary.files, " 个：".into()),
            ("合格".into(), summary.matched_valid, " · ".into()),
            ("不合格".into(), summary.matched_invalid, " · ".into()),
            (
                "重复".into(),
                dup_files,
                format!(" 个文件/{} 名学生 · ", summary.duplicates),
            ),
            ("对不上人".into(), summary.orphans, " · ".into()),
            ("跳过".into(), summary.skipped, "；".into()),
            ("缺照片".into(), summary.missing, " 名学生".into()),
        ]
    } else {
        [
            ("files".into(), summary.files, ": ".into()),
            ("valid".into(), summary.matched_valid, " · ".into()),
            ("invalid".into(), summary.matched_invalid, " · ".into()),
            (
                "duplicate".into(),
                dup_files,
                format!(" files of {} students · ", summary.duplicates),
            ),
            ("orphan".into(), summary.orphans, " · ".into()),
            ("skipped".into(), summary.skipped, "; ".into()),
            (
                "students without a photo".into(),
                summary.missing,
                String::new(),
            ),
        ]
    };
    let mut second = Vec::new();
    for (name, n, after) in parts {
        second.push(Span::styled(format!("{name} "), label));
        second.push(Span::styled(n.to_string(), value));
        second.push(Span::styled(after, label));
    }
    if summary.deep {
        second.push(Span::styled(
            format!(" · {}", tr("含背景色检查", "with background check")),
            label,
        ));
    }
    let mut lines = vec![
        Line::from(widgets::clip_spans(first, width)),
        Line::from(widgets::clip_spans(second, width)),
    ];
    lines.extend(ingest_line(app, width));
    frame.render_widget(Paragraph::new(lines), p.summary);

    render_tabs(app, frame, p.tabs);
    render_list(app, frame, &p);
    render_detail(app, frame, p.detail);
}

/// The keys of the screen, for the block's bottom edge.
fn hint(app: &App) -> Option<String> {
    let key = |a: Action| app.keymap.key_in(Scope::Photos, &a).map(|k| k.label());
    let (prev, next, jump) = (
        key(Action::PrevPhotoList)?,
        key(Action::NextPhotoList)?,
        key(Action::JumpToStudent),
    );
    let mut text = format!(" {prev}/{next} {}", tr("换列表", "switch list"));
    if let Some(jump) = jump {
        text.push_str(&format!(
            " · {jump} {}",
            tr("到学生名单", "go to the student")
        ));
    }
    text.push(' ');
    Some(text)
}

fn reload_key(app: &App) -> String {
    app.keymap
        .first_key(&Action::Reload)
        .map(|k| k.label())
        .unwrap_or_default()
}

/// The last card ingest in one line: when, the card, and what came of it.
fn ingest_line(app: &App, width: usize) -> Option<Line<'static>> {
    let i = app.photos.ingest.as_ref()?;
    let theme = &app.theme;
    let label = theme.style(Role::Muted);
    let value = theme.style(Role::Text).add_modifier(Modifier::BOLD);
    let warn = if i.unassigned + i.missing > 0 {
        theme.style(Role::StatusWarn).add_modifier(Modifier::BOLD)
    } else {
        value
    };
    let mut spans = vec![Span::styled(
        format!(
            "{} {} · ",
            tr("上次导入存储卡", "Last card ingest"),
            crate::clock::format_local(i.at, "%Y-%m-%d %H:%M:%S")
        ),
        label,
    )];
    let counts = [
        (tr("帧", "frames"), i.frames, value),
        (tr("关键帧", "keyframes"), i.keyframes, value),
        (tr("照片", "photos"), i.photos, value),
        (tr("未归属", "unassigned"), i.unassigned, warn),
        (tr("签到缺照片", "checked in, no photo"), i.missing, warn),
    ];
    for (k, (name, n, style)) in counts.into_iter().enumerate() {
        if k > 0 {
            spans.push(Span::styled("  ", label));
        }
        spans.push(Span::styled(format!("{name} "), label));
        spans.push(Span::styled(n.to_string(), style));
    }
    spans.push(Span::styled(
        format!(" · {}", widgets::clean(&i.card)),
        label,
    ));
    Some(Line::from(widgets::clip_spans(spans, width)))
}

fn empty_state(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let photos = &app.photos;
    let text = |t: &str, role: Role| -> Vec<Line<'static>> {
        widgets::wrap(t, width.saturating_sub(2))
            .into_iter()
            .map(|l| Line::styled(l, theme.style(role)))
            .collect()
    };
    let mut lines = vec![Line::raw("")];
    if let Some(error) = &photos.error {
        lines.extend(text(
            &format!(
                "{}{error}",
                tr("读不到照片核对结果：", "cannot read the photo results: ")
            ),
            Role::Error,
        ));
        lines.extend(text(
            &format!("{} {}", reload_key(app), tr("重试", "to try again")),
            Role::Muted,
        ));
        return lines;
    }
    if !photos.loaded {
        lines.extend(text(
            tr("读取照片核对结果…", "reading the photo results…"),
            Role::Muted,
        ));
        return lines;
    }
    if let Some(line) = ingest_line(app, width) {
        lines.push(line);
        lines.push(Line::raw(""));
    }
    lines.extend(text(
        tr(
            "还没有应用过照片核对。",
            "No photo reconciliation has been applied yet.",
        ),
        Role::Text,
    ));
    lines.push(Line::raw(""));
    lines.extend(text(
        tr(
            "把采集回来的照片文件夹与名单核对，并把结果记入数据库，请在命令行运行：",
            "To match the collected photo folder to the roster and record the result, run on the command line:",
        ),
        Role::Text,
    ));
    lines.push(Line::styled(
        "  caiji photos reconcile DIR --apply",
        theme.style(Role::Key),
    ));
    lines.push(Line::raw(""));
    let reload = reload_key(app);
    lines.extend(text(
        &format!(
            "{} {reload} {}",
            tr(
                "不加 --apply 只列出结果、不写入；加 --deep 还检查背景色。之后按",
                "Without --apply it only lists the result; --deep also checks the background. Then press",
            ),
            tr("刷新本页。", "here.")
        ),
        Role::Muted,
    ));
    lines
}

fn render_tabs(app: &App, frame: &mut Frame, area: Rect) {
    let photos = &app.photos;
    let mut spans = Vec::new();
    for (i, list) in PhotoList::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("│", app.theme.style(Role::Muted)));
        }
        let style = if list == photos.list {
            app.theme.tab_active()
        } else {
            app.theme.style(Role::Tab)
        };
        spans.push(Span::styled(
            format!(" {} {} ", list.label(), photos.len(list)),
            style,
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(widgets::clip_spans(spans, area.width as usize))),
        area,
    );
}

fn render_list(app: &App, frame: &mut Frame, p: &Parts) {
    let theme = &app.theme;
    let photos = &app.photos;
    let list = photos.list;
    let len = photos.len(list);
    let width = p.rows.width as usize;
    if len == 0 {
        let text = match list {
            PhotoList::Missing if !app.students.loaded => tr("名单读取中…", "reading the roster…"),
            PhotoList::Missing => tr(
                "名单里的学生都有照片文件。",
                "Every student on the roster has a photo file.",
            ),
            _ => tr("这一类没有文件。", "No files here."),
        };
        let line = Line::styled(widgets::truncate(text, width), theme.style(Role::Muted));
        frame.render_widget(Paragraph::new(line), p.rows);
        return;
    }
    let rows = p.rows.height as usize;
    let (selected, offset) = photos.place();
    // the window as `handle` left it, kept valid for a smaller terminal
    let offset = if selected >= offset + rows.max(1) {
        selected + 1 - rows.max(1)
    } else {
        offset.min(selected)
    };
    let end = (offset + rows).min(len);
    let cells = visible_cells(app, offset, end);
    let cols = columns(list);
    let widths = widths(cols, &cells, width);
    let header: Vec<String> = cols
        .iter()
        .zip(&widths)
        .map(|(c, w)| cell_text(*c, c.title(), *w))
        .collect();
    let header = Line::styled(
        widgets::truncate(&header.join(" "), width),
        theme.style(Role::ColumnHeader),
    );
    frame.render_widget(Paragraph::new(header), p.header);
    let mut lines = Vec::with_capacity(cells.len());
    for (n, row) in cells.iter().enumerate() {
        let is_selected = offset + n == selected;
        let mut spans = Vec::new();
        for (i, ((text, role), col)) in row.iter().zip(cols).enumerate() {
            if i > 0 {
                spans.push(Span::raw(" "));
            }
            spans.push(Span::styled(
                cell_text(*col, text, widths[i]),
                theme.style(*role),
            ));
        }
        let mut line = Line::from(widgets::clip_spans(spans, width));
        if is_selected {
            line = line.style(theme.selection());
            line.spans
                .iter_mut()
                .for_each(|s| s.style = s.style.patch(theme.selection()));
            let used: usize = line.spans.iter().map(|s| widgets::width(&s.content)).sum();
            line.spans.push(Span::styled(
                " ".repeat(width.saturating_sub(used)),
                theme.selection(),
            ));
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), p.rows);
}

/// Everything known about the selected row, most important first.
/// Each line with its role; a path (`true`) keeps its end when cut, the rest wrap.
fn detail_lines(app: &App) -> Vec<(String, Role, bool)> {
    let photos = &app.photos;
    let (selected, _) = photos.place();
    let mut out = Vec::new();
    if photos.list == PhotoList::Missing {
        let Some(row) = photos
            .missing
            .get(selected)
            .and_then(|&r| app.students.roster.rows.get(r as usize))
        else {
            return out;
        };
        let s = &row.student;
        out.push((
            format!(
                "{} {} · {} · {}",
                s.student_no,
                masked(&s.name),
                s.class,
                s.college
            ),
            Role::Text,
            false,
        ));
        out.push((
            tr(
                "没有照片文件：请安排补采，或把照片以学号命名放进文件夹后重新核对。",
                "No photo file: arrange a make-up shot, or name the photo by the student no., put it in the folder and reconcile again.",
            )
            .to_string(),
            Role::StatusMissing,
            false,
        ));
        return out;
    }
    let Some(item) = photos.item(selected) else {
        return out;
    };
    out.push((item.rel.clone(), Role::Text, true));
    if let Some(no) = &item.student_no {
        let name = item.name.as_deref().map(masked).unwrap_or_default();
        out.push((
            format!("{} {no} {name}", tr("学生", "Student")),
            Role::Text,
            false,
        ));
    }
    match photos.list {
        PhotoList::Orphan if item.suggestions.is_empty() => {
            out.push((
                tr(
                    "对不上任何学生，也没有相近的学号或姓名。",
                    "Matches no student, and no student no. or name is close.",
                )
                .to_string(),
                Role::StatusWarn,
                false,
            ));
        }
        PhotoList::Orphan => {
            out.push((
                format!(
                    "{}{}",
                    tr("对不上学生，可能是：", "Matches no student; likely: "),
                    suggestion_names(app, &item.suggestions)
                ),
                Role::StatusWarn,
                false,
            ));
        }
        PhotoList::Duplicate => {
            out.push((
                format!(
                    "{}{}",
                    tr("同一学生的其他文件：", "Other files of the same student: "),
                    item.partners.join(tr("、", ", "))
                ),
                Role::StatusWarn,
                false,
            ));
        }
        PhotoList::Skipped => {
            out.push((
                format!(
                    "{}{}",
                    tr("跳过：", "Skipped: "),
                    item.reason.as_deref().unwrap_or_default()
                ),
                Role::StatusWarn,
                false,
            ));
        }
        _ => {}
    }
    if !item.problems.is_empty() {
        out.push((
            format!("{}{}", tr("问题：", "Problems: "), problems_text(item)),
            Role::StatusWarn,
            false,
        ));
    } else if matches!(
        photos.list,
        PhotoList::Valid | PhotoList::Duplicate | PhotoList::Orphan
    ) {
        out.push((
            tr("文件本身符合规格。", "The file itself meets the spec.").to_string(),
            Role::StatusOk,
            false,
        ));
    }
    out
}

fn render_detail(app: &App, frame: &mut Frame, area: Rect) {
    if area.height == 0 {
        return;
    }
    let theme = &app.theme;
    let width = area.width as usize;
    let mut lines = vec![Line::styled("─".repeat(width), theme.style(Role::Border))];
    let width = width.saturating_sub(1); // the lines are indented by one
    let room = area.height as usize - 1;
    let mut wrapped: Vec<(String, Role)> = Vec::new();
    for (text, role, path) in detail_lines(app) {
        // a path keeps its end; the rest wraps so that every problem is read in full
        if path {
            let label = format!("{} ", tr("文件", "File"));
            let room = width.saturating_sub(widgets::width(&label));
            wrapped.push((
                format!("{label}{}", widgets::truncate_start(&text, room)),
                role,
            ));
        } else {
            wrapped.extend(widgets::wrap(&text, width).into_iter().map(|l| (l, role)));
        }
    }
    if wrapped.len() > room && room > 0 {
        wrapped.truncate(room);
        if let Some(last) = wrapped.last_mut() {
            last.0 = widgets::truncate(&format!("{}…", last.0), width);
        }
    }
    lines.extend(
        wrapped
            .into_iter()
            .map(|(t, r)| Line::from(vec![Span::raw(" "), Span::styled(t, theme.style(r))])),
    );
    frame.render_widget(Paragraph::new(lines).style(Style::default()), area);
}
