//! Whole-screen tests of what issue 5 added to the Students screen: search with highlighted
//! matches, the filter line, the history pane, the code window (its QR read back with an
//! independent decoder and verified), the palette, the picker and the reason prompt.

use std::sync::Arc;

use chrono::NaiveDate;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr;

use super::action::{Action, CodeCard, Effect, History};
use super::app::{App, update};
use super::overlay::Overlay;
use super::render_tests::{draw, fixture_app, screen, text};
use crate::code::{CodePayload, Keyring, QrMatrix, issue, verify};
use crate::store::{AuditEntry, AuditRecord, CodeRecord, CodeState};

/// Runs the searches the effects ask for and feeds the answers back, as the event loop does.
fn settle(app: &mut App, effects: Vec<Effect>) {
    for effect in effects {
        if let Effect::Search {
            generation,
            index,
            query,
            previous,
        } = effect
        {
            let result = Arc::new(index.0.search(&query, previous.as_deref()));
            let more = update(app, Action::Searched { generation, result });
            settle(app, more);
        }
    }
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        let effects = update(app, Action::Input(c));
        settle(app, effects);
    }
}

fn searched(size: (u16, u16), query: &str) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::Search);
    typed(&mut app, query);
    app
}

/// The cell where `needle` starts on the line containing `line_needle`.
fn cell_of(buffer: &Buffer, line_needle: &str, needle: &str) -> (u16, u16) {
    let shown = text(buffer);
    let (y, line) = shown
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(line_needle))
        .expect("line drawn");
    let byte = line.find(needle).expect("needle drawn");
    (line[..byte].width() as u16, y as u16)
}

#[test]
fn search_results_80x24() {
    let app = searched((80, 24), "zs");
    let shown = screen(&app);
    assert!(shown.contains("/ zs▏"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn search_results_120x40() {
    let app = searched((120, 40), "wgy");
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn matched_characters_are_highlighted_and_others_not() {
    let mut app = searched((120, 40), "tial");
    update(&mut app, Action::Accept);
    let buffer = draw(&app);
    let underlined = |(x, y): (u16, u16)| buffer[(x, y)].modifier.contains(Modifier::UNDERLINED);
    // 买买提·艾力: 提 (a whole syllable), 艾 and 力 (initials) matched; 买 and the · not
    let (x, y) = cell_of(&buffer, "买买提·艾力", "买买提·艾力");
    let marks: Vec<bool> = [0, 2, 4, 6, 7, 9]
        .iter()
        .map(|dx| underlined((x + dx, y)))
        .collect();
    assert_eq!(marks, [false, false, true, false, true, true]);
    // a 学号 query marks digits of the 学号 only
    let mut app = searched((120, 40), "0101");
    update(&mut app, Action::Accept);
    let buffer = draw(&app);
    let underlined = |(x, y): (u16, u16)| buffer[(x, y)].modifier.contains(Modifier::UNDERLINED);
    let (x, y) = cell_of(&buffer, "2022010101", "2022010101");
    let marks: Vec<bool> = (0..10).map(|i| underlined((x + i, y))).collect();
    assert_eq!(
        marks,
        [
            false, false, false, false, true, true, true, true, false, false
        ]
    );
}

#[test]
fn filters_line_80x24() {
    let mut app = fixture_app((80, 24));
    for action in [
        Action::CycleMissing,
        Action::CycleMissing,
        Action::CycleMissing,
        Action::CycleMissing,
    ] {
        update(&mut app, action);
    }
    update(&mut app, Action::FilterCollege);
    typed(&mut app, "jsj");
    update(&mut app, Action::Accept);
    update(&mut app, Action::SortNext);
    let shown = screen(&app);
    assert!(
        shown.contains("缺合格照片") && shown.contains("学院 计算机"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn nothing_matches_says_how_to_clear() {
    let mut app = searched((80, 24), "qqqq");
    let shown = screen(&app);
    // while typing, `x` is text: the key that clears is named
    assert!(
        shown.contains("没有符合") && shown.contains("Ctrl-x 清除全部筛选和搜索"),
        "{shown}"
    );
    update(&mut app, Action::Accept);
    let shown = screen(&app);
    assert!(
        shown.contains("\u{2502}x 清除全部筛选和搜索") || shown.contains(" x 清除全部筛选和搜索"),
        "{shown}"
    );
}

fn code(
    serial: i64,
    state: CodeState,
    replaced_by: Option<i64>,
    reason: Option<&str>,
) -> CodeRecord {
    let at = crate::clock::from_local(
        NaiveDate::from_ymd_opt(2026, 3, 1)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .unwrap_or_default(),
    );
    CodeRecord {
        serial,
        student_no: "2022010102".into(),
        key_id: 1,
        token: String::new(),
        state,
        issued_at: at,
        revoked_at: (state == CodeState::Revoked).then_some(at),
        revoke_reason: reason.map(String::from),
        replaced_by,
    }
}

fn with_history(size: (u16, u16)) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::MoveDown);
    update(&mut app, Action::ToggleDetail);
    let at = crate::clock::from_local(
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(10, 5, 0))
            .unwrap_or_default(),
    );
    let audit = |id, action: &str, detail: &str| AuditRecord {
        id,
        at,
        entry: AuditEntry {
            operator: "zhanglaoshi".into(),
            action: action.into(),
            student_no: Some("2022010102".into()),
            detail: detail.into(),
        },
    };
    let history = History {
        student_no: "2022010102".into(),
        codes: vec![
            code(31, CodeState::Active, None, None),
            code(7, CodeState::Revoked, Some(31), Some("学生丢失")),
        ],
        audit: vec![
            audit(3, "reissue", "serial 7 → 31: 学生丢失"),
            audit(2, "show", "console code window, serial 7"),
        ],
        ..History::default()
    };
    let generation = app.students.detail.generation;
    update(
        &mut app,
        Action::HistoryLoaded {
            generation,
            result: Ok(history),
        },
    );
    app
}

#[test]
fn history_pane_120x40() {
    let shown = screen(&with_history((120, 40)));
    assert!(
        shown.contains("#7 已作废") && shown.contains("→ #31") && shown.contains("重新发放采集码"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn history_pane_80x24() {
    insta::assert_snapshot!(screen(&with_history((80, 24))));
}

/// A code window over the second student, showing `token`.
fn code_window(size: (u16, u16), token: &str) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::MoveDown);
    update(&mut app, Action::ShowCode);
    let student = app
        .selected_row()
        .map(|r| r.student.clone())
        .expect("selected");
    let mut active = code(31, CodeState::Active, None, None);
    active.token = token.to_string();
    let card = CodeCard {
        student,
        codes: vec![
            active,
            code(7, CodeState::Revoked, Some(31), Some("学生丢失")),
        ],
        qr: Some(QrMatrix::encode(token).map_err(|e| e.to_string())),
    };
    let generation = app.code_generation;
    update(
        &mut app,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(card)),
        },
    );
    app
}

/// A fixed token of the real length, so the snapshot does not change from run to run.
const FIXED_TOKEN: &str = "CJ1:6BFOXN*TDQE VJ1SN1/W:4Y+2Q7UDZN9KPEG%WXNJOR8M7Q.CWQ2R8$%0:UNK*EBG-AKR8K5SCS+3PEVB43KM1$Y*DA0:T3GNN0ZM%PIG%AZ7PAMH";

#[test]
fn code_window_120x40() {
    let shown = screen(&code_window((120, 40), FIXED_TOKEN));
    assert!(
        shown.contains("买**·*力") && shown.contains("序号 31") && shown.contains("#7 已作废"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn code_window_80x24() {
    insta::assert_snapshot!(screen(&code_window((80, 24), FIXED_TOKEN)));
}

/// Reads the QR code back off the drawn buffer: cells in explicit black and white, the
/// foreground painting the upper module and the background the lower one (or, drawn plain,
/// the glyph's ink), rasterised and handed to rqrr.
pub(super) fn decode(buffer: &Buffer, plain: bool) -> Option<String> {
    let area = buffer.area;
    let is_qr = |x: u16, y: u16| {
        let c = &buffer[(x, y)];
        if plain {
            ["█", "▀", "▄"].contains(&c.symbol())
        } else {
            matches!(c.bg, Color::Black | Color::White)
        }
    };
    let mut cells = Vec::new();
    for y in 0..area.height {
        for x in 0..area.width {
            if is_qr(x, y) {
                cells.push((x, y));
            }
        }
    }
    let (x0, x1) = (
        cells.iter().map(|c| c.0).min()?,
        cells.iter().map(|c| c.0).max()?,
    );
    let (y0, y1) = (
        cells.iter().map(|c| c.1).min()?,
        cells.iter().map(|c| c.1).max()?,
    );
    // plain drawing has no visible quiet zone: add it around the ink
    let pad = if plain { 4 } else { 0 };
    let mut modules = vec![vec![false; (x1 - x0 + 1) as usize + 2 * pad]; pad];
    for y in y0..=y1 {
        let (mut upper, mut lower) = (vec![false; pad], vec![false; pad]);
        for x in x0..=x1 {
            let c = &buffer[(x, y)];
            let (u, l) = if plain {
                match c.symbol() {
                    "█" => (true, true),
                    "▀" => (true, false),
                    "▄" => (false, true),
                    _ => (false, false),
                }
            } else {
                (c.fg == Color::Black, c.bg == Color::Black)
            };
            upper.push(u);
            lower.push(l);
        }
        upper.extend(vec![false; pad]);
        lower.extend(vec![false; pad]);
        modules.push(upper);
        modules.push(lower);
    }
    modules.extend(vec![vec![false; modules[0].len()]; pad]);
    const SCALE: usize = 4;
    let (w, h) = (modules[0].len(), modules.len());
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w * SCALE, h * SCALE, |x, y| {
        if modules[y / SCALE][x / SCALE] {
            0
        } else {
            255
        }
    });
    let grids = img.detect_grids();
    grids.first()?.decode().ok().map(|(_, content)| content)
}

fn real_token(dir: &std::path::Path, app: &App) -> (Keyring, String) {
    let keyring = Keyring::generate(&dir.join("caiji.keys")).expect("key file");
    let student = app
        .selected_row()
        .map(|r| r.student.clone())
        .expect("selected");
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
    let token = issue(
        &CodePayload::for_student(31, &student, "4111010001", day),
        &keyring,
    )
    .expect("token")
    .text;
    (keyring, token)
}

#[test]
fn the_drawn_code_decodes_and_verifies_on_every_size_and_theme() {
    let dir = tempfile::tempdir().expect("temp dir");
    let probe = fixture_app((80, 24));
    let mut probe = probe;
    update(&mut probe, Action::MoveDown);
    let (keyring, token) = real_token(dir.path(), &probe);
    for (size, theme, plain) in [
        ((80, 24), "default", false),
        ((120, 40), "light", false),
        ((100, 30), "high-contrast", false),
        ((80, 24), "mono", true),
    ] {
        let mut app = code_window(size, &token);
        app.theme = super::theme::Theme::built_in(theme).expect("theme");
        app.plain_qr = plain;
        let buffer = draw(&app);
        let decoded =
            decode(&buffer, plain).unwrap_or_else(|| panic!("no QR decoded at {size:?} {theme}"));
        assert_eq!(decoded, token, "{size:?} {theme}");
        let payload = verify(&decoded, &keyring).expect("verifies");
        assert_eq!(
            (payload.student_no.as_str(), payload.serial),
            ("2022010102", 31)
        );
        if plain {
            assert!(
                buffer.content().iter().all(|c| c.bg == Color::Reset),
                "NO_COLOR draws no colour"
            );
        }
    }
}

#[test]
fn a_terminal_too_small_for_the_code_gets_the_size_it_needs() {
    for size in [(60, 20), (62, 23), (100, 22)] {
        let app = code_window(size, FIXED_TOKEN);
        let buffer = draw(&app);
        let shown = text(&buffer);
        assert!(
            shown.contains("至少需要") && shown.contains("45×24"),
            "{size:?}\n{shown}"
        );
        assert!(
            !buffer.content().iter().any(|c| c.bg == Color::Black),
            "no part of a clipped code is drawn at {size:?}"
        );
    }
}

#[test]
fn palette_80x24() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::Palette);
    typed(&mut app, "sx");
    let shown = screen(&app);
    assert!(shown.contains(": sx▏"), "{shown}");
    insta::assert_snapshot!(shown);
}

#[test]
fn picker_80x24() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::FilterClass);
    typed(&mut app, "2201");
    insta::assert_snapshot!(screen(&app));
}

#[test]
fn reason_prompt_120x40() {
    let mut app = code_window((120, 40), FIXED_TOKEN);
    update(&mut app, Action::ReissueCode);
    assert!(matches!(app.overlay, Overlay::Reason(_)));
    typed(&mut app, "学生丢失采集码");
    update(&mut app, Action::Accept);
    // accepted: back to the code window, busy
    let shown = screen(&app);
    assert!(shown.contains("正在重新发放"), "{shown}");
    update(&mut app, Action::ReissueCode); // busy: no second prompt
    assert!(matches!(app.overlay, Overlay::Code(_)));
    let mut app = code_window((120, 40), FIXED_TOKEN);
    update(&mut app, Action::ReissueCode);
    update(&mut app, Action::Accept);
    let shown = screen(&app);
    assert!(
        shown.contains("请先填写原因") && shown.contains("序号 31"),
        "{shown}"
    );
    insta::assert_snapshot!(shown);
}

#[test]
fn every_overlay_line_is_exactly_the_terminal_width() {
    let opens: [&[Action]; 6] = [
        &[Action::Search, Action::Input('z')],
        &[Action::Palette],
        &[Action::FilterCollege],
        &[Action::FilterCohort],
        &[Action::ToggleDetail],
        &[Action::ShowCode],
    ];
    for size in [(80, 24), (120, 40), (60, 12), (97, 31), (20, 5)] {
        for open in opens {
            let mut app = fixture_app(size);
            for a in open {
                let effects = update(&mut app, a.clone());
                settle(&mut app, effects);
            }
            for line in screen(&app).lines() {
                assert_eq!(line.width(), size.0 as usize, "{size:?} {open:?}: {line:?}");
                assert!(!line.contains('\u{1b}'));
            }
        }
    }
}
