//! The station (issue 20): a walk-in names the student's own session, asks, and is taken with
//! the walk-in key (an F-key; Enter never confirms, a scanner sends it); digits switch screens
//! when the scan line is empty; the header's counts are read again after every change and
//! polled; a reload says when it is done.

use std::time::Duration;

use super::action::{Action, Effect, Screen};
use super::app::update;
use super::keymap::{Key, Scope};
use super::render_tests::{fixture_app, fixture_counts, screen};
use super::sessions_tests::{answer, loaded, scan};
use crate::ops::checkin::{Answer, Reason, RetakeHint, SessionName};
use ratatui::crossterm::event::KeyCode;

const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (160, 45)];

/// The answer of a student of session 1 scanned at session 2 (the one running).
fn refused() -> Answer {
    Answer {
        their_session: Some(1),
        ..answer(
            "not_in_session",
            None,
            Some(Reason::NotInSession {
                theirs: Some(session_1()),
            }),
        )
    }
}

/// Session 1 as an answer names it.
fn session_1() -> SessionName {
    super::sessions_tests::session_name(1)
}

/// The Check-in screen after a refused scan of `CJ1:W`.
fn after_refusal(size: (u16, u16)) -> super::app::App {
    let mut app = loaded(Action::ScreenCheckin, size);
    let effects = scan(&mut app, "CJ1:W");
    let [Effect::Scan { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(
        &mut app,
        Action::Scanned {
            id: *id,
            result: Ok(refused()),
        },
    );
    let shown = screen(&app);
    assert!(
        shown.contains("按 F6 作为现场加入") && !shown.contains("--allow-walk-in"),
        "the refusal names the console key: {shown}"
    );
    app
}

#[test]
fn a_walk_in_names_their_session_asks_and_is_taken_with_the_key_again() {
    let mut app = after_refusal((80, 24));
    let scopes = Scope::active(app.mode());
    for key in [Key::code(KeyCode::F(6)), Key::ctrl('w')] {
        assert_eq!(
            app.keymap.lookup(&scopes, key),
            Some(Action::WalkIn),
            "{key}"
        );
    }
    assert!(update(&mut app, Action::WalkIn).is_empty(), "asks first");
    let confirm = app.checkin.confirm.clone().expect("the question");
    assert_eq!(
        (
            confirm.session_id,
            confirm.their_session,
            confirm.line.as_str()
        ),
        (2, Some(1), "CJ1:W")
    );
    let shown = screen(&app);
    assert!(
        shown.contains("应参加场次 #1") && shown.contains("F6 确认现场加入"),
        "{shown}"
    );
    // Enter is what a scanner sends after every code: it never takes a walk-in
    assert!(update(&mut app, Action::Accept).is_empty());
    assert_eq!(app.checkin.confirm, None);
    // asked again, and the key again takes them: the same line, as a walk-in, here
    update(&mut app, Action::WalkIn);
    let effects = update(&mut app, Action::WalkIn);
    let [
        Effect::Scan {
            id,
            session_id,
            line,
            allow_walk_in,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (*session_id, line.as_str(), *allow_walk_in),
        (2, "CJ1:W", true)
    );
    // the refused scan cannot be taken twice
    assert!(update(&mut app, Action::WalkIn).is_empty());
    assert_eq!(app.checkin.confirm, None);
    // taken: the student moved, so the roster, the sessions and the counts are read again
    let taken = Answer {
        moved_from: Some(1),
        counted_session: None,
        ..answer(
            "checked_in",
            Some(38),
            Some(Reason::WalkIn {
                from: Some(session_1()),
            }),
        )
    };
    let effects = update(
        &mut app,
        Action::Scanned {
            id: *id,
            result: Ok(taken),
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSessions { .. }))
            && effects.iter().any(|e| matches!(e, Effect::Load { .. })),
        "{effects:?}"
    );
    assert!(screen(&app).contains("现场加入：已从场次 1"));
}

#[test]
fn scanning_on_or_esc_cancels_the_walk_in_question() {
    let mut app = after_refusal((80, 24));
    update(&mut app, Action::WalkIn);
    // the next student's code: typed into the scan line, the question gone
    assert!(update(&mut app, Action::Input('C')).is_empty());
    assert_eq!(app.checkin.confirm, None);
    assert_eq!(app.checkin.input, "C");
    let mut app = after_refusal((80, 24));
    update(&mut app, Action::WalkIn);
    update(&mut app, Action::Close);
    assert_eq!(app.checkin.confirm, None);
    assert_eq!(
        app.screen,
        Screen::Checkin,
        "Esc answered the question only"
    );
}

#[test]
fn a_walk_in_key_without_a_refusal_says_what_to_do() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    assert!(update(&mut app, Action::WalkIn).is_empty());
    assert_eq!(app.checkin.confirm, None);
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(status.contains("先扫描这名学生的采集码"), "{status}");
}

#[test]
fn a_walk_in_question_at_three_sizes() {
    for size in SIZES {
        let mut app = after_refusal(size);
        update(&mut app, Action::WalkIn);
        insta::assert_snapshot!(
            format!("walk_in_confirmation_{}x{}", size.0, size.1),
            screen(&app)
        );
    }
}

#[test]
fn digits_switch_screens_when_the_scan_line_is_empty() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    update(&mut app, Action::Input('1'));
    assert_eq!(app.screen, Screen::Students);
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    update(&mut app, Action::Input('5'));
    assert_eq!(app.screen, Screen::Reports);
    // inside a code, a digit is part of it
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    for c in "CJ1".chars() {
        update(&mut app, Action::Input(c));
    }
    assert_eq!(
        (app.screen, app.checkin.input.as_str()),
        (Screen::Checkin, "CJ1")
    );
    // so the tab bar's digits are keys that work here
    assert!(screen(&app).contains("1 学生"));
}

#[test]
fn the_header_counts_follow_every_change_and_the_poll() {
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    app.poll_every = super::poll_interval(None);
    assert_eq!(app.poll_every, Some(Duration::from_secs(5)));
    assert_eq!(
        app.start_polling(),
        vec![Effect::PollLater {
            after: Duration::from_secs(5)
        }]
    );
    // a poll reads what the screen shows, and the header's counts, then waits again
    let effects = update(&mut app, Action::PollDue);
    let generation = match effects.as_slice() {
        [
            Effect::LoadCounts { generation },
            Effect::LoadSessions { .. },
            Effect::PollLater { after },
        ] if *after == Duration::from_secs(5) => *generation,
        other => panic!("{other:?}"),
    };
    // another station's scans: the header shows them
    let mut counts = fixture_counts();
    counts.checked_in = 17;
    assert!(
        update(
            &mut app,
            Action::CountsRefreshed {
                generation: generation - 1,
                result: Ok(counts),
            }
        )
        .is_empty()
    );
    assert_eq!(
        app.counts.unwrap().checked_in,
        16,
        "a stale answer is dropped"
    );
    update(
        &mut app,
        Action::CountsRefreshed {
            generation,
            result: Ok(counts),
        },
    );
    assert!(screen(&app).contains("已签到 17"));
    // a failed poll keeps what was shown
    update(&mut app, Action::PollDue);
    let generation = app.counts_generation;
    update(
        &mut app,
        Action::CountsRefreshed {
            generation,
            result: Err("connection refused".into()),
        },
    );
    assert_eq!(app.counts.unwrap().checked_in, 17);
    // the station's F5 : sessions and counts
    let effects = update(&mut app, Action::Reload);
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSessions { .. }))
            && effects
                .iter()
                .any(|e| matches!(e, Effect::LoadCounts { .. })),
        "{effects:?}"
    );
    // on Students, the counts only (the roster is read again with r); polling off: no more
    let mut app = fixture_app((80, 24));
    app.poll_every = super::poll_interval(Some(2));
    let effects = update(&mut app, Action::PollDue);
    assert_eq!(
        effects,
        vec![
            Effect::LoadCounts {
                generation: app.counts_generation
            },
            Effect::PollLater {
                after: Duration::from_secs(2)
            }
        ]
    );
    app.poll_every = super::poll_interval(Some(0));
    assert_eq!(app.poll_every, None);
    assert!(
        !update(&mut app, Action::PollDue)
            .iter()
            .any(|e| matches!(e, Effect::PollLater { .. }))
    );
}

#[test]
fn a_reload_says_when_it_is_done() {
    let mut app = fixture_app((80, 24));
    assert!(
        !screen(&app).contains("已重新读取"),
        "the first load is no reload"
    );
    update(&mut app, Action::Reload);
    let generation = app.generation;
    update(
        &mut app,
        Action::StudentsLoaded {
            generation,
            result: Ok(super::roster::Roster::new(
                super::render_tests::fixture_rows(),
            )),
        },
    );
    update(
        &mut app,
        Action::CountsLoaded {
            generation,
            result: Ok(fixture_counts()),
        },
    );
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(status.contains("已重新读取：40 名学生"), "{status}");
    // the Check-in screen's F5: the sessions
    let mut app = loaded(Action::ScreenCheckin, (80, 24));
    let effects = update(&mut app, Action::Reload);
    let Some(generation) = effects.iter().find_map(|e| match e {
        Effect::LoadSessions { generation } => Some(*generation),
        _ => None,
    }) else {
        panic!("{effects:?}")
    };
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Ok(super::sessions_tests::data()),
        },
    );
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(status.contains("已重新读取：4 个场次"), "{status}");
}

/// The Check-in screen on the make-up session (4) after `CJ1:R` was refused as already
/// checked in at session 1 with shot 12.
fn after_elsewhere(size: (u16, u16), session_moves: usize) -> super::app::App {
    let mut app = loaded(Action::ScreenCheckin, size);
    for _ in 0..session_moves {
        update(&mut app, Action::MoveDown);
    }
    let effects = scan(&mut app, "CJ1:R");
    let [
        Effect::Scan {
            id,
            session_id,
            retake_reason: None,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    let makeup = *session_id == 4;
    let reason = Reason::AlreadyElsewhere {
        at: session_1(),
        shot: 12,
        retake: if makeup {
            RetakeHint::Offered
        } else {
            RetakeHint::None
        },
    };
    update(
        &mut app,
        Action::Scanned {
            id: *id,
            result: Ok(Answer {
                counted_session: Some(1),
                ..answer("already_elsewhere", Some(12), Some(reason))
            }),
        },
    );
    app
}

#[test]
fn a_retake_at_a_make_up_session_asks_for_the_reason_and_is_taken_with_the_key() {
    let mut app = after_elsewhere((80, 24), 2);
    let shown = screen(&app);
    assert!(
        shown.contains("已在别场签到") && shown.contains("拍摄号 12"),
        "{shown}"
    );
    assert!(update(&mut app, Action::WalkIn).is_empty(), "asks first");
    let retake = app.checkin.retake.clone().expect("the question");
    assert_eq!(
        (
            retake.session_id,
            retake.counted_session,
            retake.shot,
            retake.line.as_str()
        ),
        (4, 1, Some(12), "CJ1:R")
    );
    // typing goes into the reason, not the scan line; Enter only says which key confirms
    for c in "闭眼".chars() {
        assert!(update(&mut app, Action::Input(c)).is_empty());
    }
    assert!(app.checkin.input.is_empty());
    assert!(update(&mut app, Action::Accept).is_empty());
    let shown = screen(&app);
    assert!(
        shown.contains("重拍原因 ▶ 闭眼") && shown.contains("按 F6 确认重拍"),
        "{shown}"
    );
    // an empty reason is refused in place
    update(&mut app, Action::ClearInput);
    assert!(update(&mut app, Action::WalkIn).is_empty());
    assert!(
        app.checkin
            .retake
            .as_ref()
            .and_then(|r| r.error.as_deref())
            .is_some_and(|e| e.contains("不能为空")),
        "{:?}",
        app.checkin.retake
    );
    update(&mut app, Action::Paste("  闭眼，需重拍\n".into()));
    let effects = update(&mut app, Action::WalkIn);
    let [
        Effect::Scan {
            session_id,
            line,
            allow_walk_in,
            retake_reason,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (
            *session_id,
            line.as_str(),
            *allow_walk_in,
            retake_reason.as_deref()
        ),
        (4, "CJ1:R", true, Some("闭眼，需重拍"))
    );
    assert_eq!(app.checkin.retake, None);
    // the refused scan cannot be retaken twice
    assert!(update(&mut app, Action::WalkIn).is_empty());
    assert_eq!(app.checkin.retake, None);
}

#[test]
fn esc_cancels_the_retake_and_a_normal_session_offers_none() {
    let mut app = after_elsewhere((80, 24), 2);
    update(&mut app, Action::WalkIn);
    update(&mut app, Action::Input('x'));
    update(&mut app, Action::Close);
    assert_eq!(app.checkin.retake, None);
    assert_eq!(
        app.screen,
        Screen::Checkin,
        "Esc answered the question only"
    );
    // at a normal session, already checked in elsewhere is final
    let mut app = after_elsewhere((80, 24), 0);
    assert!(update(&mut app, Action::WalkIn).is_empty());
    assert_eq!((&app.checkin.retake, &app.checkin.confirm), (&None, &None));
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(
        status.contains("已在别场签到：补采场次才能重拍"),
        "{status}"
    );
}

#[test]
fn a_retake_question_at_three_sizes() {
    for size in SIZES {
        let mut app = after_elsewhere(size, 2);
        update(&mut app, Action::WalkIn);
        for c in "闭眼，需重拍".chars() {
            update(&mut app, Action::Input(c));
        }
        insta::assert_snapshot!(
            format!("retake_question_{}x{}", size.0, size.1),
            screen(&app)
        );
    }
}
