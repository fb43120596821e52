//! The Check-in screen offline (docs/console.md "Offline"): a scan the server does not answer
//! comes back queued with its provisional label, the screen says OFFLINE and how many wait in
//! the error colour, a send of the journal is asked for, and the sync's result shows what the
//! server took and the conflicts, with nothing left waiting.

use super::action::{Action, Effect};
use super::app::{App, update};
use super::render_tests::{draw, screen};
use super::sessions::SYNC_EVERY;
use super::sessions_tests::{answer, loaded, scan};
use super::station::{StationScan, SyncReport};
use super::theme::Role;
use crate::ops::checkin::ScanStatus;

/// A queued answer, as `ops::station::answer_offline` gives it.
fn queued() -> StationScan {
    StationScan {
        result: Ok(answer(
            crate::ops::station::QUEUED.code(),
            None,
            Some(crate::ops::checkin::Reason::Queued),
        )),
        label: Some("B-017".into()),
        offline: true,
        waiting: 3,
    }
}

/// The Check-in screen of a station that journals, after one scan answered offline.
fn offline_app(size: (u16, u16)) -> (App, Vec<Effect>) {
    let mut app = loaded(Action::ScreenCheckin, size);
    app.checkin.journals = true;
    let effects = scan(&mut app, "CJ1:Q");
    let [Effect::Scan { id, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    let id = *id;
    let effects = update(
        &mut app,
        Action::StationScanned {
            id,
            scan: Box::new(queued()),
        },
    );
    (app, effects)
}

/// The row of the screen holding `needle`.
fn row_of(app: &App, needle: &str) -> Option<u16> {
    screen(app)
        .lines()
        .position(|l| l.contains(needle))
        .map(|y| y as u16)
}

#[test]
fn an_offline_answer_is_queued_with_its_label_and_a_send_is_asked_for() {
    let (app, effects) = offline_app((80, 24));
    assert!(app.checkin.offline);
    assert_eq!(app.checkin.waiting, 3);
    let latest = app.checkin.scans.first().unwrap();
    assert_eq!(latest.label.as_deref(), Some("B-017"));
    assert_eq!(
        latest.result.as_ref().unwrap().as_ref().unwrap().status,
        crate::ops::station::QUEUED
    );
    // the server is away: no reading again, only the send of the journal, once
    assert_eq!(effects, vec![Effect::SyncLater { after: SYNC_EVERY }]);
    assert!(app.checkin.syncing);
    let shown = screen(&app);
    assert!(shown.contains("OFFLINE · 3 条扫码待上传"), "{shown}");
    assert!(shown.contains("暂存号 B-017"), "{shown}");
    assert!(shown.contains("欧*娜娜"), "{shown}");
}

#[test]
fn offline_is_said_in_the_error_colour_at_every_size() {
    for size in [(80, 24), (160, 45)] {
        let (app, _) = offline_app(size);
        let y = row_of(&app, "OFFLINE").expect("the indicator is drawn");
        let buffer = draw(&app);
        let x = (0..size.0)
            .find(|&x| buffer[(x, y)].symbol() == "O")
            .unwrap();
        assert_eq!(
            buffer[(x, y)].fg,
            app.theme.style(Role::Error).fg.unwrap(),
            "{size:?}"
        );
    }
}

#[test]
fn sessions_unreadable_while_offline_are_kept_as_last_read() {
    let (mut app, _) = offline_app((80, 24));
    let generation = app.sessions.generation;
    update(
        &mut app,
        Action::SessionsLoaded {
            generation,
            result: Err("the database server cannot be reached".into()),
        },
    );
    assert!(super::sessions::checkin_session(&app).is_some());
    assert!(!screen(&app).contains("读不到场次"));
}

#[test]
fn a_sync_that_fails_again_keeps_waiting_and_asks_again() {
    let (mut app, _) = offline_app((80, 24));
    let effects = update(
        &mut app,
        Action::Synced {
            report: Box::new(SyncReport {
                waiting: 3,
                offline: true,
                ..SyncReport::default()
            }),
        },
    );
    assert_eq!(effects, vec![Effect::SyncLater { after: SYNC_EVERY }]);
    assert!(app.checkin.offline);
    assert!(screen(&app).contains("OFFLINE · 3"));
}

fn synced(app: &mut App) -> Vec<Effect> {
    update(
        app,
        Action::Synced {
            report: Box::new(SyncReport {
                synced: 1,
                conflicts: vec![
                    "B-018 李*明 软工2201: ↺ 已签到 — already checked in at this session as shot 12"
                        .into(),
                    "B-019 王*芳 英语2201: ✘ 已满 — the session is full".into(),
                ],
                fates: vec![
                    ("B-017".into(), Ok(38)),
                    ("B-018".into(), Err(ScanStatus::Already)),
                    ("B-019".into(), Err(ScanStatus::Full)),
                ],
                waiting: 0,
                offline: false,
                error: None,
            }),
        },
    )
}

#[test]
fn a_sync_shows_what_was_sent_and_each_conflict_and_nothing_waits() {
    let (mut app, _) = offline_app((80, 24));
    let effects = synced(&mut app);
    assert!(!app.checkin.offline);
    assert_eq!(app.checkin.waiting, 0);
    assert!(!app.checkin.syncing);
    assert_eq!(app.checkin.conflicts.len(), 2);
    // the gauges and counts are read again; no further send is due
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadSessions { .. })),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SyncLater { .. }))
    );
    let shown = screen(&app);
    assert!(!shown.contains("OFFLINE"), "{shown}");
    assert!(
        shown.contains("离线扫码已上传：签到 1 条，冲突 2 条"),
        "{shown}"
    );
    assert!(shown.contains("B-018 李*明"), "{shown}");
    assert!(shown.contains("B-019 王*芳"), "{shown}");
    // the queued answer became the server's shot, its label kept beside it
    let latest = app.checkin.scans.first().unwrap();
    let a = latest.result.as_ref().unwrap().as_ref().unwrap();
    assert_eq!((a.status, a.shot), (ScanStatus::CheckedIn, Some(38)));
    assert!(
        shown.contains("拍摄号 38") && shown.contains("暂存号 B-017"),
        "{shown}"
    );
}

#[test]
fn the_offline_screen_at_two_sizes() {
    for size in [(80, 24), (160, 45)] {
        let (app, _) = offline_app(size);
        insta::assert_snapshot!(
            format!("checkin_offline_{}x{}", size.0, size.1),
            screen(&app)
        );
        let (mut app, _) = offline_app(size);
        synced(&mut app);
        insta::assert_snapshot!(
            format!("checkin_synced_{}x{}", size.0, size.1),
            screen(&app)
        );
    }
}
