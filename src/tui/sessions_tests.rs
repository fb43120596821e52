//! The Sessions and Check-in screens: `update` tests and whole-screen snapshots (80×24 and
//! 120×40) with CJK names.

use crate::ops::checkin::{Reason, ScanStatus, SessionName};
use chrono::{DateTime, NaiveDateTime, Utc};

use super::action::{Action, Effect, Screen, SessionsData};
use super::app::{App, update};
use super::keymap::{Key, Mode, Scope};
use super::render_tests::{fixture_app, screen};
use super::sessions::checkin_session;
use super::ui;
use crate::ops::checkin::Answer;
use crate::store::{AssignSummary, ScheduleGroup, SessionRow};

/// The moment this wall-clock time names in the zone the tests run in, so screens show it as
/// written whatever that zone is.
pub(super) fn at(text: &str) -> DateTime<Utc> {
    crate::clock::from_local(NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap())
}

#[allow(clippy::too_many_arguments)] // a session row written out in full, as the screens show it
pub(super) fn session(
    id: i64,
    start: &str,
    end: &str,
    location: &str,
    capacity: i32,
    assigned: i64,
    checked_in: i64,
    makeup: bool,
) -> SessionRow {
    SessionRow {
        id,
        title: if makeup {
            "补采".into()
        } else {
            format!("图像采集 {id}")
        },
        location: location.into(),
        starts_at: at(start),
        ends_at: at(end),
        capacity,
        stations: 2,
        makeup,
        assigned,
        checked_in,
        created_at: at("2026-02-01 08:00"),
    }
}

pub(super) fn data() -> SessionsData {
    let group = |session_id, college: &str, class: &str, counselor: &str, students| ScheduleGroup {
        session_id,
        college: college.into(),
        class: class.into(),
        counselor: counselor.into(),
        students,
    };
    SessionsData {
        sessions: vec![
            session(
                1,
                "2026-03-01 08:30",
                "2026-03-01 11:30",
                "体育馆一楼",
                100,
                96,
                90,
                false,
            ),
            session(
                2,
                "2026-03-02 08:30",
                "2026-03-02 11:30",
                "体育馆一楼",
                120,
                110,
                37,
                false,
            ),
            session(
                3,
                "2026-03-02 14:00",
                "2026-03-02 17:00",
                "图书馆报告厅（东区）",
                80,
                80,
                0,
                false,
            ),
            session(
                4,
                "2026-03-05 14:00",
                "2026-03-05 16:00",
                "行政楼",
                30,
                12,
                0,
                true,
            ),
        ],
        groups: vec![
            group(1, "计算机科学与技术学院", "计科2201", "周老师", 50),
            group(1, "计算机科学与技术学院", "计科2202", "周老师", 46),
            group(2, "外国语学院", "英语2201", "买买提·艾力", 60),
            group(2, "外国语学院", "日语2201", "欧阳娜娜", 50),
            group(3, "机械工程学院", "机械2201", "王老师", 80),
        ],
        now: at("2026-03-02 09:10"),
    }
}

pub(super) fn app_on(screen_action: Action, size: (u16, u16)) -> (App, Vec<Effect>) {
    let mut app = fixture_app(size);
    app.checkin.station = "A1".into();
    let effects = update(&mut app, screen_action);
    (app, effects)
}

/// The app on a screen with the sessions in.
pub(super) fn loaded(screen_action: Action, size: (u16, u16)) -> App {
    let (mut app, effects) = app_on(screen_action, size);
    let generation = match effects.as_slice() {
        [Effect::LoadSessions { generation }] => *generation,
        other => panic!("the screen asks for the sessions: {other:?}"),
    };
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Ok(data()),
        },
    );
    app
}

/// Session `id` of `data()` as an answer names it.
pub(super) fn session_name(id: i64) -> SessionName {
    let s = data()
        .sessions
        .into_iter()
        .find(|s| s.id == id)
        .expect("a session of data()");
    SessionName {
        id,
        known: Some(Box::new(crate::ops::checkin::SessionKnown {
            title: s.title,
            starts_at: s.starts_at,
            location: s.location,
        })),
    }
}

pub(super) fn answer(status: &str, shot: Option<i32>, reason: Option<Reason>) -> Answer {
    Answer {
        status: ScanStatus::from_code(status),
        student_no: Some("2022020102".into()),
        shot,
        reason,
        masked_name: Some("欧*娜娜".into()),
        class: Some("英语2201".into()),
        their_session: None,
        moved_from: None,
        counted_session: None,
        slate: None,
    }
}

/// Types `line` into the scan line as a scanner does and presses Enter: the scan effect.
pub(super) fn scan(app: &mut App, line: &str) -> Vec<Effect> {
    for c in line.chars() {
        assert!(update(app, Action::Input(c)).is_empty());
    }
    update(app, Action::Accept)
}

#[test]
fn the_sessions_screen_loads_once_and_moves_within_the_list() {
    let mut app = loaded(Action::ScreenSessions, (80, 24));
    assert_eq!(app.sessions.rows().len(), 4);
    // no second load just for moving around
    assert!(
        update(&mut app, Action::MoveDown)
            .iter()
            .all(|e| !matches!(e, Effect::LoadSessions { .. }))
    );
    assert_eq!(app.sessions.selected, 1);
    update(&mut app, Action::Last);
    update(&mut app, Action::MoveDown);
    assert_eq!(app.sessions.selected, 3);
    update(&mut app, Action::First);
    assert_eq!(app.sessions.selected, 0);
    // reload reads the sessions and the roster again
    let effects = update(&mut app, Action::Reload);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSessions { .. })),
        "{effects:?}"
    );
    assert!(
        effects.iter().any(|e| matches!(e, Effect::Load { .. })),
        "{effects:?}"
    );
    // a stale answer is dropped
    let before = app.sessions.data.clone();
    update(
        &mut app,
        Action::SessionsLoaded {
            generation: 0,
            result: Err("old".into()),
        },
    );
    assert_eq!(app.sessions.data, before);
}

#[test]
fn assigning_asks_first_and_reports_the_outcome() {
    let mut app = loaded(Action::ScreenSessions, (80, 24));
    // without a college or class filter there is nothing to assign
    assert!(update(&mut app, Action::AssignFiltered).is_empty());
    assert!(
        matches!(&app.sessions.notice, Some(Err(e)) if e.contains("C")),
        "{:?}",
        app.sessions.notice
    );
    app.students.filter.class = Some("英语2201".into());
    update(&mut app, Action::MoveDown);
    assert!(
        update(&mut app, Action::AssignFiltered).is_empty(),
        "nothing before the yes"
    );
    assert!(app.sessions.confirm.is_some());
    let shown = screen(&app);
    assert!(
        shown.contains("英语2201") && shown.contains("#2"),
        "{shown}"
    );
    // Esc: nothing happens
    assert!(update(&mut app, Action::Close).is_empty());
    assert!(app.sessions.confirm.is_none());
    update(&mut app, Action::AssignFiltered);
    let effects = update(&mut app, Action::Accept);
    assert_eq!(
        effects,
        vec![Effect::Assign {
            session_id: 2,
            college: None,
            class: Some("英语2201".into())
        }]
    );
    let summary = AssignSummary {
        assigned: 28,
        already: 2,
        elsewhere: vec![("2022020101".into(), 5)],
        ..Default::default()
    };
    let effects = update(
        &mut app,
        Action::Assigned {
            result: Ok(summary),
        },
    );
    let notice = app.sessions.notice.clone().unwrap().unwrap();
    assert!(
        notice.contains("28") && notice.contains('2') && notice.contains('1'),
        "{notice}"
    );
    assert!(
        screen(&app).contains(&notice[..notice.len().min(6)]),
        "the status line shows it"
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSessions { .. }))
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Load { .. })));
    update(
        &mut app,
        Action::Assigned {
            result: Err("session 2 is full".into()),
        },
    );
    assert_eq!(app.sessions.notice, Some(Err("session 2 is full".into())));
}

#[test]
fn planning_previews_first_and_creates_on_the_second_enter() {
    let mut app = loaded(Action::ScreenSessions, (80, 24));
    update(&mut app, Action::PlanSessions);
    assert_eq!(app.mode(), Mode::PlanForm);
    let form = app.sessions.form.clone().unwrap();
    assert_eq!(form.fields[0], "2026-03-03", "from the day after the read");
    // letters are text in the form, not commands
    update(&mut app, Action::MoveDown);
    update(&mut app, Action::ClearInput);
    update(&mut app, Action::Input('x'));
    assert!(update(&mut app, Action::Accept).is_empty());
    assert!(
        app.sessions.form.as_ref().unwrap().error.is_some(),
        "bad days are said at once"
    );
    update(&mut app, Action::DeleteBack);
    update(&mut app, Action::Input('3'));
    let effects = update(&mut app, Action::Accept);
    let [
        Effect::Plan {
            generation,
            request,
            create: false,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!((request.days, request.stations), (3, 4));
    let plan = crate::domain::planner::Plan {
        sessions: Vec::new(),
        unplaced: Vec::new(),
        shortfall: None,
        unknown_colleges: Vec::new(),
    };
    let mut outcome = super::action::PlanOutcome {
        plan,
        waiting: 0,
        created: Vec::new(),
        warnings: Vec::new(),
    };
    update(
        &mut app,
        Action::Planned {
            generation: *generation,
            result: Ok(outcome.clone()),
        },
    );
    assert!(
        screen(&app).contains("没有需要排场次的学生"),
        "{}",
        screen(&app)
    );
    // an empty plan is never "created": Enter previews again
    let effects = update(&mut app, Action::Accept);
    let [
        Effect::Plan {
            generation,
            create: false,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    outcome.created = vec![5, 6];
    update(
        &mut app,
        Action::Planned {
            generation: *generation,
            result: Ok(outcome),
        },
    );
    assert!(app.sessions.form.is_none(), "created: the form closes");
    assert!(matches!(&app.sessions.notice, Some(Ok(n)) if n.contains('2')));
    // Esc closes the form without doing anything
    update(&mut app, Action::PlanSessions);
    assert!(update(&mut app, Action::Close).is_empty());
    assert_eq!(app.mode(), Mode::Screen(Screen::Sessions));
}

#[test]
fn check_in_picks_the_session_running_now_and_can_change_it() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    assert_eq!(
        checkin_session(&app).map(|s| s.id),
        Some(2),
        "running at 09:10"
    );
    update(&mut app, Action::MoveDown);
    assert_eq!(checkin_session(&app).map(|s| s.id), Some(3));
    update(&mut app, Action::MoveUp);
    update(&mut app, Action::MoveUp);
    assert_eq!(checkin_session(&app).map(|s| s.id), Some(1));
    // between sessions: the next one today
    let mut later = data();
    later.now = at("2026-03-02 12:00");
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    let generation = app.sessions.generation;
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Ok(later),
        },
    );
    assert_eq!(checkin_session(&app).map(|s| s.id), Some(3));
}

#[test]
fn a_scan_is_checked_in_through_an_effect_and_answered_with_its_shot() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    let effects = scan(&mut app, "cj1:abc");
    assert_eq!(
        effects,
        vec![Effect::Scan {
            id: 1,
            session_id: 2,
            line: "cj1:abc".into(),
            station: "A1".into(),
            allow_walk_in: false,
            retake_reason: None,
        }]
    );
    assert!(
        app.checkin.input.is_empty(),
        "the scan line is ready for the next scan"
    );
    assert_eq!(app.checkin.scans[0].result, None, "waiting");
    let effects = update(
        &mut app,
        Action::Scanned {
            id: 1,
            result: Ok(answer("checked_in", Some(38), None)),
        },
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::LoadSessions { .. }, Effect::LoadCounts { .. }]
        ),
        "the gauge and the header's counts are read again: {effects:?}"
    );
    assert_eq!(
        checkin_session(&app).unwrap().checked_in,
        38,
        "and counted at once"
    );
    let shown = screen(&app);
    assert!(
        shown.contains("拍摄号 38") && shown.contains("欧*娜娜") && shown.contains("███"),
        "{shown}"
    );
    // a walk-in is asked about, never taken by a switch: every scan goes without it
    let effects = scan(&mut app, "x");
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::Scan {
                id: 2,
                allow_walk_in: false,
                ..
            }]
        ),
        "{effects:?}"
    );
}

#[test]
fn refusals_say_why_and_a_database_error_says_not_recorded() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    let cases = [
        (
            answer("already", Some(12), Some(Reason::Already { shot: 12 })),
            "已在本场次签到，拍摄号 12",
        ),
        (
            Answer {
                status: ScanStatus::Invalid,
                student_no: None,
                shot: None,
                reason: Some(Reason::Token {
                    error: crate::code::VerifyError::AuthenticationFailed,
                }),
                masked_name: None,
                class: None,
                their_session: None,
                moved_from: None,
                counted_session: None,
                slate: None,
            },
            "采集码验证失败：内容被篡改",
        ),
        (
            answer(
                "not_in_session",
                None,
                Some(Reason::NotInSession {
                    theirs: Some(SessionName { id: 3, known: None }),
                }),
            ),
            "应参加场次 3；按 F6",
        ),
        (
            answer(
                "full",
                None,
                Some(Reason::Full {
                    session: 2,
                    capacity: 120,
                }),
            ),
            "场次 2 已满（容量 120）",
        ),
    ];
    for (i, (a, words)) in cases.iter().enumerate() {
        scan(&mut app, "CJ1:X");
        update(
            &mut app,
            Action::Scanned {
                id: i as u64 + 1,
                result: Ok(a.clone()),
            },
        );
        let shown = screen(&app);
        assert!(shown.contains(words), "{shown}");
    }
    scan(&mut app, "CJ1:Y");
    update(
        &mut app,
        Action::Scanned {
            id: 5,
            result: Err("未记录，请重新扫描 — database is locked".into()),
        },
    );
    let shown = screen(&app);
    assert!(
        shown.contains("未记录") && shown.contains("database is locked"),
        "{shown}"
    );
    // the error line is drawn in the error colour
    let buffer = super::render_tests::draw(&app);
    let error = app
        .theme
        .style(super::theme::Role::Error)
        .fg
        .unwrap_or_default();
    let y = shown
        .lines()
        .position(|l| l.contains("未记录"))
        .expect("the refusal is shown") as u16;
    assert!(
        (0..buffer.area.width).any(|x| buffer[(x, y)].fg == error),
        "in the error colour"
    );
    // answers for scans this screen does not know are ignored
    assert!(
        update(
            &mut app,
            Action::Scanned {
                id: 99,
                result: Ok(answer("checked_in", Some(1), None))
            }
        )
        .is_empty()
    );
}

#[test]
fn without_a_session_a_scan_is_refused_at_once_and_not_sent() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    let generation = app.sessions.generation;
    let mut none_today = data();
    none_today.now = at("2026-03-04 09:00");
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Ok(none_today),
        },
    );
    assert_eq!(checkin_session(&app), None);
    assert!(scan(&mut app, "CJ1:Z").is_empty());
    assert!(matches!(&app.checkin.scans[0].result, Some(Err(_))));
    assert!(
        update(&mut app, Action::Accept).is_empty(),
        "a blank line is no scan"
    );
    assert_eq!(app.checkin.scans.len(), 1);
}

#[test]
fn the_scan_line_takes_letters_and_pastes_while_screen_keys_still_work() {
    let (mut app, _) = app_on(Action::ScreenCheckin, (80, 24));
    let scopes = Scope::active(app.mode());
    assert_eq!(scopes, vec![Scope::Checkin]);
    // every printable key is text here: nothing in the table takes one
    for c in "qQ?:/123jkrx ".chars() {
        assert_eq!(app.keymap.lookup(&scopes, Key::plain(c)), None, "{c:?}");
    }
    for c in "q1?".chars() {
        update(&mut app, Action::Input(c));
    }
    assert_eq!(
        (app.screen, app.checkin.input.as_str(), app.quit),
        (Screen::Checkin, "q1?", false)
    );
    // a paste ending in a newline is a scan
    let generation = app.sessions.generation;
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Ok(data()),
        },
    );
    update(&mut app, Action::ClearInput);
    let effects = update(&mut app, Action::Paste("CJ1:P\r\nCJ1:Q".into()));
    assert!(
        matches!(effects.as_slice(), [Effect::Scan { line, .. }] if line == "CJ1:P"),
        "{effects:?}"
    );
    assert_eq!(app.checkin.input, "CJ1:Q");
    // Esc clears, then leaves; Tab, Shift-Tab and F1 work
    use ratatui::crossterm::event::KeyCode;
    assert_eq!(
        app.keymap.lookup(&scopes, Key::code(KeyCode::Tab)),
        Some(Action::NextScreen)
    );
    assert_eq!(
        app.keymap.lookup(&scopes, Key::code(KeyCode::BackTab)),
        Some(Action::PrevScreen)
    );
    assert_eq!(
        app.keymap.lookup(&scopes, Key::code(KeyCode::F(1))),
        Some(Action::Help)
    );
    update(&mut app, Action::Close);
    assert_eq!(
        (app.screen, app.checkin.input.as_str()),
        (Screen::Checkin, "")
    );
    update(&mut app, Action::Help);
    assert!(app.help_open);
    update(&mut app, Action::Help);
    update(&mut app, Action::NextScreen);
    assert_eq!(app.screen, Screen::Photos);
    update(&mut app, Action::PrevScreen);
    update(&mut app, Action::Close);
    assert_eq!(app.screen, Screen::Students);
}

#[test]
fn help_and_the_palette_list_the_new_bindings() {
    let (mut app, _) = app_on(Action::ScreenSessions, (120, 40));
    update(&mut app, Action::Help);
    let lines: Vec<String> = ui::help::lines(&app)
        .iter()
        .map(|l| format!("{l:?}"))
        .collect();
    let all = lines.join("\n");
    for description in ["所选场次", "排场次"] {
        assert!(all.contains(description), "{description} in help:\n{all}");
    }
    update(&mut app, Action::Help);
    update(&mut app, Action::Palette);
    for c in "plan".chars() {
        update(&mut app, Action::Input(c));
    }
    let entries =
        super::overlay::palette_entries(&app.keymap, Mode::Screen(Screen::Sessions), "plan");
    assert_eq!(
        entries.first().map(|e| e.action.clone()),
        Some(Action::PlanSessions)
    );
    update(&mut app, Action::Accept);
    assert!(
        app.sessions.form.is_some(),
        "the palette opened the plan form"
    );
    let (mut app, _) = app_on(Action::ScreenCheckin, (120, 40));
    update(&mut app, Action::Help);
    let all: String = ui::help::lines(&app)
        .iter()
        .map(|l| format!("{l:?}"))
        .collect();
    assert!(
        all.contains("F1") && all.contains("Ctrl-w") && all.contains("扫码栏"),
        "{all}"
    );
}

#[test]
fn sessions_screen_snapshots() {
    for size in [(80, 24), (120, 40)] {
        let mut app = loaded(Action::ScreenSessions, size);
        update(&mut app, Action::MoveDown);
        let shown = screen(&app);
        assert!(
            shown.contains("英语2201") && shown.contains("补采"),
            "{shown}"
        );
        insta::assert_snapshot!(format!("sessions_{}x{}", size.0, size.1), shown);
    }
}

#[test]
fn checkin_screen_snapshots() {
    for size in [(80, 24), (120, 40)] {
        let mut app = loaded(Action::ScreenCheckin, size);
        let answers = [
            Ok(answer(
                "not_in_session",
                None,
                Some(Reason::NotInSession {
                    theirs: Some(session_name(3)),
                }),
            )),
            Err("未记录，请重新扫描 — database is locked".to_string()),
            Ok(answer(
                "already",
                Some(12),
                Some(Reason::Already { shot: 12 }),
            )),
            Ok(Answer {
                status: ScanStatus::CheckedIn,
                student_no: Some("2022010102".into()),
                shot: Some(108),
                reason: None,
                masked_name: Some("买**·*力".into()),
                class: Some("计科2201".into()),
                their_session: None,
                moved_from: None,
                counted_session: None,
                slate: None,
            }),
        ];
        for (i, result) in answers.into_iter().enumerate() {
            scan(&mut app, "CJ1:X");
            update(
                &mut app,
                Action::Scanned {
                    id: i as u64 + 1,
                    result,
                },
            );
        }
        insta::assert_snapshot!(format!("checkin_{}x{}", size.0, size.1), screen(&app));
    }
}

/// After an accepted scan the station shows the slate (docs/slate.md): a QR code that reads
/// back off the screen and opens with the key file to the session, shot and code serial, beside
/// the shot number; larger terminals draw it larger.
#[test]
fn an_accepted_scan_shows_its_slate_for_the_camera() {
    use crate::code::{Keyring, Slate, open_slate, seal_slate};
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
    let slate = Slate {
        session: 2,
        shot: Some(38),
        label: None,
        serial: 31,
    };
    let text = seal_slate(&slate, &ring).unwrap();
    let mut widths = Vec::new();
    for size in [(80, 24), (160, 50)] {
        let mut app = loaded(Action::ScreenCheckin, size);
        scan(&mut app, "cj1:abc");
        let mut a = answer("checked_in", Some(38), None);
        a.slate = Some(text.clone());
        update(
            &mut app,
            Action::Scanned {
                id: 1,
                result: Ok(a),
            },
        );
        let buffer = super::render_tests::draw(&app);
        let read = super::view_render_tests::decode(&buffer, false)
            .unwrap_or_else(|| panic!("the slate reads off the screen:\n{}", screen(&app)));
        assert_eq!(open_slate(&read, &ring), Ok(slate.clone()));
        let shown = screen(&app);
        assert!(shown.contains("拍摄号 38"), "{shown}");
        let qr_cells = (0..buffer.area.width)
            .filter(|&x| buffer[(x, 5)].bg == ratatui::style::Color::White)
            .count();
        widths.push(qr_cells);
    }
    assert!(
        widths[1] > widths[0],
        "larger on a larger terminal: {widths:?}"
    );
    // a refused scan has no slate
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    scan(&mut app, "x");
    update(
        &mut app,
        Action::Scanned {
            id: 1,
            result: Ok(answer(
                "full",
                None,
                Some(Reason::Full {
                    session: 2,
                    capacity: 120,
                }),
            )),
        },
    );
    assert_eq!(
        super::view_render_tests::decode(&super::render_tests::draw(&app), false),
        None
    );
}
