//! `update` tests: navigation bounds, paging, screens, help, quitting and load answers.

use super::*;
use crate::tui::roster::Roster;
use crate::tui::render_tests::{fixture_app, fixture_counts, fixture_rows, fresh_app, load};

fn app() -> App {
    // 80×24: 17 rows of students on screen, 40 students
    fixture_app((80, 24))
}

fn run(app: &mut App, actions: &[Action]) {
    for a in actions {
        update(app, a.clone());
    }
}

#[test]
fn page_holds_what_the_screen_shows() {
    let cases = [((80, 24), 17), ((120, 40), 33), ((60, 12), 5), ((20, 5), 0)];
    for (size, rows) in cases {
        assert_eq!(fixture_app(size).page_rows(), rows, "{size:?}");
    }
}

#[test]
fn navigation_stays_in_bounds() {
    use Action::*;
    let cases: Vec<(Vec<Action>, usize, usize)> = vec![
        // (actions, selected, offset)
        (vec![], 0, 0),
        (vec![MoveUp], 0, 0),
        (vec![MoveDown], 1, 0),
        (vec![MoveDown, MoveDown, MoveUp], 1, 0),
        (vec![Last], 39, 23),
        (vec![Last, MoveDown], 39, 23),
        (vec![Last, First], 0, 0),
        (vec![Last, MoveUp], 38, 23),
        (vec![PageDown], 17, 17),
        (vec![PageDown, PageDown], 34, 23),
        (vec![PageDown, PageDown, PageDown], 39, 23),
        (vec![PageDown, PageUp], 0, 0),
        (vec![MoveDown, MoveDown, PageDown], 19, 17),
        (vec![Last, PageUp], 22, 6),
        (vec![PageUp], 0, 0),
        (vec![Select(30)], 30, 14),
        (vec![Select(400)], 0, 0),
    ];
    for (actions, selected, offset) in cases {
        let mut a = app();
        run(&mut a, &actions);
        assert_eq!((a.selected, a.offset), (selected, offset), "{actions:?}");
    }
}

#[test]
fn moving_down_one_row_at_a_time_scrolls_at_the_edge() {
    let mut a = app();
    for i in 1..=16 {
        update(&mut a, Action::MoveDown);
        assert_eq!((a.selected, a.offset), (i, 0));
    }
    update(&mut a, Action::MoveDown);
    assert_eq!((a.selected, a.offset), (17, 1));
}

#[test]
fn navigation_on_an_empty_list_does_nothing() {
    let mut a = fresh_app((80, 24), Keymap::default(), Theme::built_in("default").unwrap());
    load(&mut a, Ok(Vec::new()), Ok(Counts::default()));
    a.dirty = false;
    for action in [
        Action::MoveDown,
        Action::MoveUp,
        Action::PageDown,
        Action::PageUp,
        Action::Last,
        Action::First,
        Action::Select(0),
    ] {
        update(&mut a, action.clone());
        assert_eq!((a.selected, a.offset), (0, 0), "{action:?}");
    }
    assert!(!a.dirty, "no visible change, no redraw");
}

#[test]
fn list_keys_do_nothing_on_other_screens() {
    let mut a = app();
    run(&mut a, &[Action::ScreenPhotos, Action::MoveDown, Action::Last]);
    assert_eq!((a.screen, a.selected), (Screen::Photos, 0));
}

#[test]
fn screens_switch_by_number_and_tab() {
    use Action::*;
    let cases = [
        (vec![ScreenSessions], Screen::Sessions),
        (vec![ScreenCheckin], Screen::Checkin),
        (vec![ScreenPhotos], Screen::Photos),
        (vec![ScreenReports], Screen::Reports),
        (vec![ScreenReports, ScreenStudents], Screen::Students),
        (vec![NextScreen], Screen::Sessions),
        (vec![NextScreen, NextScreen, NextScreen, NextScreen, NextScreen], Screen::Students),
        (vec![PrevScreen], Screen::Reports),
        (vec![Show(Screen::Checkin)], Screen::Checkin),
    ];
    for (actions, want) in cases {
        let mut a = app();
        run(&mut a, &actions);
        assert_eq!(a.screen, want, "{actions:?}");
    }
}

#[test]
fn help_toggles_and_scrolls_instead_of_the_list() {
    let mut a = app();
    update(&mut a, Action::Help);
    assert!(a.help_open);
    run(&mut a, &[Action::MoveDown, Action::MoveDown]);
    assert_eq!((a.help_scroll, a.selected), (2, 0), "j scrolls help, not the list");
    update(&mut a, Action::Last);
    let max = ui::help::max_scroll(&a);
    assert!(max > 0, "at 80×24 the help is taller than its window");
    assert_eq!(a.help_scroll, max);
    update(&mut a, Action::PageDown);
    assert_eq!(a.help_scroll, max, "no scrolling past the end");
    update(&mut a, Action::First);
    assert_eq!(a.help_scroll, 0);
    update(&mut a, Action::Help);
    assert!(!a.help_open);
    run(&mut a, &[Action::Help, Action::Close]);
    assert!(!a.help_open);
    a.dirty = false;
    update(&mut a, Action::Close);
    assert!(!a.dirty, "closing nothing changes nothing");
}

#[test]
fn quit_sets_the_flag() {
    let mut a = app();
    assert!(!a.quit);
    let effects = update(&mut a, Action::Quit);
    assert!(a.quit && effects.is_empty());
}

#[test]
fn reload_asks_for_the_cohort_with_a_new_generation() {
    let mut a = app();
    let g = a.generation;
    assert_eq!(update(&mut a, Action::Reload), vec![Effect::Load { generation: g + 1, cohort: Some(2026) }]);
    assert!(a.loading());
    assert_eq!(update(&mut a, Action::Reload), vec![Effect::Load { generation: g + 2, cohort: Some(2026) }]);
}

#[test]
fn stale_answers_are_dropped() {
    let mut a = app();
    update(&mut a, Action::Reload);
    let old = a.generation;
    update(&mut a, Action::Reload);
    a.dirty = false;
    update(&mut a, Action::StudentsLoaded { generation: old, result: Ok(Roster::empty()) });
    update(&mut a, Action::CountsLoaded { generation: old, result: Err("late".into()) });
    assert_eq!(a.view.len(), 40, "an old answer must not replace the list");
    assert_eq!(a.last_error, None);
    assert!(a.loading() && !a.dirty);
}

#[test]
fn load_answers_fill_the_state_and_errors_are_kept_until_a_good_load() {
    let mut a = fresh_app((80, 24), Keymap::default(), Theme::built_in("default").unwrap());
    assert!(!a.students_loaded);
    load(&mut a, Ok(fixture_rows()), Err("database error: disk I/O error".into()));
    assert_eq!(a.view.len(), 40);
    assert_eq!(a.counts, None);
    assert_eq!(a.last_error.as_deref(), Some("database error: disk I/O error"));
    assert!(!a.loading());
    assert_eq!(a.roster.widths.name, 34, "the widest name, in columns");

    // a failed reload keeps the rows already shown
    load(&mut a, Err("connection refused".into()), Ok(fixture_counts()));
    assert_eq!(a.view.len(), 40);
    assert_eq!(a.counts, Some(fixture_counts()));
    assert_eq!(a.last_error.as_deref(), Some("connection refused"));

    // an error in the answer that comes first is not wiped by the one that comes second
    update(&mut a, Action::Reload);
    let g = a.generation;
    update(&mut a, Action::CountsLoaded { generation: g, result: Err("timeout".into()) });
    update(&mut a, Action::StudentsLoaded { generation: g, result: Ok(Roster::new(fixture_rows())) });
    assert_eq!(a.last_error.as_deref(), Some("timeout"));

    load(&mut a, Ok(fixture_rows()), Ok(fixture_counts()));
    assert_eq!(a.last_error, None);
}

#[test]
fn reload_keeps_the_selected_student() {
    let mut a = app();
    update(&mut a, Action::Select(30));
    let id = a.selected_row().unwrap().id;
    // the reloaded list has two new students before the selected one
    let mut rows = fixture_rows();
    let mut extra = rows[0].clone();
    extra.id = 100;
    extra.student.student_no = "2022000001".into();
    let mut extra2 = extra.clone();
    extra2.id = 101;
    rows.insert(0, extra);
    rows.insert(0, extra2);
    load(&mut a, Ok(rows), Ok(fixture_counts()));
    assert_eq!(a.selected_row().unwrap().id, id);
    assert_eq!(a.selected, 32);

    // a shorter list clamps the selection
    load(&mut a, Ok(fixture_rows()[..5].to_vec()), Ok(fixture_counts()));
    assert_eq!((a.selected, a.offset), (4, 0));
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut a = app();
    update(&mut a, Action::Select(16));
    assert_eq!(a.offset, 0);
    update(&mut a, Action::Resize(80, 12));
    assert_eq!(a.page_rows(), 5);
    assert!(a.selected >= a.offset && a.selected < a.offset + 5, "{} {}", a.selected, a.offset);
    update(&mut a, Action::Resize(120, 60));
    assert_eq!(a.offset, 0, "a taller screen shows from the top again when everything fits");
    a.dirty = false;
    update(&mut a, Action::Resize(120, 60));
    assert!(!a.dirty);
}
