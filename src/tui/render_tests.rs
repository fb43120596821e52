//! Whole-screen tests: the console drawn on ratatui's `TestBackend` and compared as a whole
//! buffer with reviewed snapshots (`snapshots/`), with CJK names, a `·` name, a long name and a
//! name carrying an escape sequence in the fixtures.

use std::collections::BTreeMap;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use unicode_width::UnicodeWidthStr;

use super::SchoolInfo;
use super::action::{Action, Screen};
use super::app::{App, update};
use super::keymap::{Keymap, Scope};
use super::roster::Roster;
use super::theme::Theme;
use super::ui;
use crate::domain::{IdType, Level, Student};
use crate::store::{CodeStatus, Counts, PhotoStatus, StudentRow};

pub const ESCAPE_NAME: &str = "\u{1b}[31m红\u{1b}[0m";

fn row(
    id: i64,
    no: &str,
    name: &str,
    id_number: &str,
    college: &str,
    class: &str,
    status: (CodeStatus, Option<i64>, bool, PhotoStatus),
) -> StudentRow {
    StudentRow {
        id,
        student: Student {
            student_no: no.into(),
            name: name.into(),
            id_type: if id_number.starts_with('E') {
                IdType::Passport
            } else {
                IdType::ResidentId
            },
            id_number: id_number.into(),
            college: college.into(),
            major: String::new(),
            class: class.into(),
            level: Level::Bachelor,
            counselor: "周老师".into(),
            cohort: 2026,
            gender: None,
            phone: None,
        },
        withdrawn: false,
        code_status: status.0,
        session_id: status.1,
        checked_in: status.2,
        photo_status: status.3,
    }
}

/// Forty students: six with names that test the drawing, then ordinary ones to scroll through.
pub fn fixture_rows() -> Vec<StudentRow> {
    use CodeStatus as C;
    use PhotoStatus as P;
    let cs = "计算机科学与技术学院";
    let mut rows = vec![
        row(
            1,
            "2022010101",
            "张三",
            "11010120000101123X",
            cs,
            "计科2201",
            (C::Active, Some(3), true, P::Valid),
        ),
        row(
            2,
            "2022010102",
            "买买提·艾力",
            "650102200105056874",
            cs,
            "计科2201",
            (C::Active, Some(3), false, P::Missing),
        ),
        row(
            3,
            "2022010103",
            "阿卜杜热合曼·买买提明·阿不都热西提",
            "650104200003031239",
            cs,
            "计科2202",
            (C::None, None, false, P::Missing),
        ),
        row(
            4,
            "2022010104",
            super::render_tests::ESCAPE_NAME,
            "110101200002024566",
            cs,
            "计科2202",
            (C::Revoked, None, false, P::Invalid),
        ),
        row(
            5,
            "2022020101",
            "John Smith",
            "E12345678",
            "外国语学院",
            "英语2201",
            (C::Active, Some(12), true, P::Invalid),
        ),
        row(
            6,
            "2022020102",
            "欧阳娜娜",
            "440301200112128746",
            "外国语学院",
            "英语2201",
            (C::Active, Some(12), true, P::Valid),
        ),
    ];
    let surnames = [
        "王", "李", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭",
        "何", "高",
    ];
    let given = [
        "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛",
        "明", "超",
    ];
    for i in 0..34 {
        let n = i + 7;
        let name = format!(
            "{}{}",
            surnames[i % surnames.len()],
            given[(i * 7) % given.len()]
        );
        let college = if i < 20 {
            "机械工程学院"
        } else {
            "经济管理学院"
        };
        let class = format!(
            "{}22{:02}",
            if i < 20 { "机械" } else { "会计" },
            1 + i / 10
        );
        let status = match i % 4 {
            0 => (C::Active, Some(5), true, P::Valid),
            1 => (C::Active, Some(5), false, P::Missing),
            2 => (C::None, None, false, P::Missing),
            _ => (C::Active, Some(7), true, P::Valid),
        };
        let id = format!(
            "3201022000{:02}{:02}{:04}",
            1 + i % 12,
            1 + i % 28,
            1000 + i * 37
        );
        rows.push(row(
            n as i64,
            &format!("20220301{n:02}"),
            &name,
            &id,
            college,
            &class,
            status,
        ));
    }
    rows
}

pub fn fixture_counts() -> Counts {
    Counts {
        total: 40,
        withdrawn: 2,
        code_active: 31,
        session_assigned: 29,
        checked_in: 16,
        photo_valid: 11,
    }
}

pub fn school() -> SchoolInfo {
    SchoolInfo {
        code: "4111010001".into(),
        name: "示例大学".into(),
        cohort: 2026,
    }
}

/// An app before anything came back from the database.
pub fn fresh_app(size: (u16, u16), keymap: Keymap, theme: Theme) -> App {
    App::new(
        school(),
        "zhanglaoshi".into(),
        "sqlite:///home/zhanglaoshi/.local/share/caiji/caiji.db".into(),
        keymap,
        theme,
        size,
    )
}

/// An app that asked for the roster and got the fixtures back, through `update` as in the loop.
pub fn fixture_app(size: (u16, u16)) -> App {
    let mut app = fresh_app(size, Keymap::default(), Theme::built_in("default").unwrap());
    load(&mut app, Ok(fixture_rows()), Ok(fixture_counts()));
    app
}

pub fn load(
    app: &mut App,
    students: Result<Vec<StudentRow>, String>,
    counts: Result<Counts, String>,
) {
    update(app, Action::Reload);
    // as the event loop's first load: not a reload the user asked for
    app.reload_asked = false;
    let generation = app.generation;
    update(
        app,
        Action::StudentsLoaded {
            generation,
            result: students.map(Roster::new),
        },
    );
    update(
        app,
        Action::CountsLoaded {
            generation,
            result: counts,
        },
    );
}

pub fn draw(app: &App) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    terminal.draw(|f| ui::render(app, f)).unwrap();
    terminal.backend().buffer().clone()
}

/// The buffer as text, one line per row, wide characters written once.
pub fn text(buffer: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut skip = 0;
        for x in 0..buffer.area.width {
            let symbol = buffer[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(symbol);
            skip = symbol.width().saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

fn buffer_region(buffer: &Buffer, area: ratatui::layout::Rect) -> Buffer {
    let mut out = Buffer::empty(ratatui::layout::Rect::new(0, 0, area.width, area.height));
    for y in 0..area.height {
        for x in 0..area.width {
            out[(x, y)] = buffer[(area.x + x, area.y + y)].clone();
        }
    }
    out
}

pub fn screen(app: &App) -> String {
    text(&draw(app))
}

/// The app drawn at its size, as text (for tests elsewhere that only need it not to panic).
pub fn draw_text(app: &App) -> String {
    screen(app)
}

#[test]
fn students_80x24() {
    let app = fixture_app((80, 24));
    let shown = screen(&app);
    // the escape sequence is drawn stripped, never sent to the terminal
    assert!(shown.contains("[31m红[0m"), "{shown}");
    assert!(!shown.contains('\u{1b}'));
    insta::assert_snapshot!(shown);
}

#[test]
fn students_120x40() {
    let app = fixture_app((120, 40));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn students_scrolled_to_the_end_80x24() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::Last);
    let shown = screen(&app);
    assert!(shown.contains("40/40"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn every_line_is_exactly_the_terminal_width() {
    // Columns stay aligned with CJK names: no line is wider or narrower than the screen.
    for size in [(80, 24), (120, 40), (60, 12), (97, 31)] {
        let mut app = fixture_app(size);
        for action in [
            Action::First,
            Action::PageDown,
            Action::Help,
            Action::Help,
            Action::ScreenSessions,
        ] {
            update(&mut app, action);
            for line in screen(&app).lines() {
                assert_eq!(line.width(), size.0 as usize, "{size:?}: {line:?}");
            }
        }
    }
}

#[test]
fn status_columns_line_up_under_their_headers() {
    let app = fixture_app((120, 40));
    let shown = screen(&app);
    let lines: Vec<&str> = shown.lines().collect();
    let header = lines.iter().find(|l| l.contains("学号")).unwrap();
    let col = |line: &str, needle: &str| line.find(needle).map(|b| line[..b].width());
    let photo_col = col(header, "照片").unwrap();
    for name in ["张三", "买买提·艾力", "[31m红[0m", "John Smith", "欧阳娜娜"] {
        let line = lines
            .iter()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} not drawn"));
        let status = ["合格", "不合格", "缺"]
            .iter()
            .filter_map(|w| col(line, w))
            .min()
            .unwrap();
        assert_eq!(status, photo_col, "{name}: {line}");
    }
}

#[test]
fn statuses_take_the_theme_colours() {
    let mut app = fixture_app((120, 40));
    update(&mut app, Action::Select(20)); // keep the selection highlight away from the rows checked
    let buffer = draw(&app);
    let shown = text(&buffer);
    let find = |line_needle: &str, word: &str| -> Color {
        let (y, line) = shown
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains(line_needle))
            .unwrap();
        let byte = line.find(word).unwrap();
        let x = line[..byte].width() as u16;
        buffer[(x, y as u16)].fg
    };
    let cases = [
        ("张三", "有效", Color::Green),
        ("张三", "已签到", Color::Green),
        ("阿卜杜", "未发", Color::Red),
        ("阿卜杜", "未排", Color::Red),
        ("阿卜杜", "未签到", Color::DarkGray),
        ("[31m红", "已作废", Color::Yellow),
        ("[31m红", "不合格", Color::Yellow),
        ("买买提·艾力", "缺", Color::Red),
    ];
    for (row, word, want) in cases {
        assert_eq!(find(row, word), want, "{word} in the row of {row}");
    }
}

#[test]
fn help_overlay_80x24() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::Help);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn help_lists_exactly_the_bindings() {
    let mut keys = BTreeMap::new();
    keys.insert("quit".to_string(), "ctrl-q".to_string());
    keys.insert("help".to_string(), "f1".to_string());
    for keymap in [Keymap::default(), Keymap::with_overrides(&keys).unwrap()] {
        for screen_action in [Action::ScreenStudents, Action::ScreenReports] {
            let mut app = fresh_app(
                (120, 60),
                keymap.clone(),
                Theme::built_in("default").unwrap(),
            );
            update(&mut app, screen_action.clone());
            update(&mut app, Action::Help);
            let buffer = draw(&app);
            let shown = text(&buffer);
            let mut listed = 0;
            for scope in ui::help::scopes(&app) {
                for binding in app.keymap.bindings(scope) {
                    let keys = ui::help::keys_text(binding);
                    let line = shown
                        .lines()
                        .find(|l| l.contains(&keys) && l.contains(binding.description))
                        .unwrap_or_else(|| {
                            panic!(
                                "help does not list {keys} {}:\n{shown}",
                                binding.description
                            )
                        });
                    assert!(line.find(&keys) < line.find(binding.description), "{line}");
                    listed += 1;
                }
            }
            // nothing else is listed: every entry line of the overlay is one of the bindings above
            let popup = ui::help::area(&app).inner(ratatui::layout::Margin::new(1, 1));
            let overlay = text(&buffer_region(&buffer, popup));
            let entry_lines = overlay
                .lines()
                .filter(|l| l.starts_with("  ") && !l.trim().is_empty())
                .count();
            assert_eq!(entry_lines, listed, "{overlay}");
            // both screens hold a list (students; colleges on Reports)
            assert!(shown.contains("下一行"), "list keys where there is a list");
        }
    }
    // an override shows in help and the old key is gone
    let mut app = fresh_app(
        (120, 60),
        Keymap::with_overrides(&keys).unwrap(),
        Theme::built_in("default").unwrap(),
    );
    update(&mut app, Action::Help);
    let shown = screen(&app);
    let quit_line = shown
        .lines()
        .find(|l| l.contains("退出") && l.contains("│"))
        .unwrap();
    assert!(
        quit_line.contains("Ctrl-q") && !quit_line.contains("q / "),
        "{quit_line}"
    );
    assert!(
        shown.contains("F1 帮助"),
        "the status bar hint follows the keymap:\n{shown}"
    );
    assert_eq!(
        ui::help::scopes(&app),
        vec![Scope::Students, Scope::Global, Scope::Help]
    );
}

#[test]
fn too_small_20x5() {
    let app = fixture_app((20, 5));
    let shown = screen(&app);
    assert!(shown.contains("60×12"), "{shown}");
    insta::assert_snapshot!(shown);
    // and nothing panics on the smallest sizes either
    for size in [(0, 0), (1, 1), (59, 40), (200, 11), (3, 60)] {
        screen(&fixture_app(size));
    }
}

#[test]
fn before_the_first_answer_80x24() {
    let mut app = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    update(&mut app, Action::Reload);
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn empty_roster_80x24() {
    let mut app = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    load(&mut app, Ok(Vec::new()), Ok(Counts::default()));
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn other_cohort_only_says_so() {
    let mut app = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    load(
        &mut app,
        Ok(Vec::new()),
        Ok(Counts {
            total: 12,
            ..Counts::default()
        }),
    );
    let shown = screen(&app);
    assert!(
        shown.contains("2026届没有学生") && shown.contains("12"),
        "{shown}"
    );
}

#[test]
fn load_error_80x24() {
    let mut app = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    load(
        &mut app,
        Err("cannot connect to postgres://caiji@db.example.edu/caiji: connection refused — check that the server is running".into()),
        Err("cannot connect".into()),
    );
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn mono_theme_draws_the_selection_reversed_without_colour() {
    let mut app = fixture_app((80, 24));
    app.theme = Theme::built_in("mono").unwrap();
    let buffer = draw(&app);
    for cell in buffer.content() {
        assert_eq!(
            (cell.fg, cell.bg),
            (Color::Reset, Color::Reset),
            "mono draws a colour"
        );
    }
    // the first student's row (y = 5) is selected
    assert!(
        buffer[(2, 5)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    assert!(
        !buffer[(2, 6)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
}

#[test]
fn a_screen_switch_keeps_the_list_where_it_was() {
    let mut app = fixture_app((80, 24));
    for _ in 0..25 {
        update(&mut app, Action::MoveDown);
    }
    let before = screen(&app);
    update(&mut app, Action::NextScreen);
    assert_eq!(app.screen, Screen::Sessions);
    update(&mut app, Action::PrevScreen);
    assert_eq!(screen(&app), before);
}
