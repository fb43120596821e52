//! `update` tests: navigation bounds, paging, screens, help, quitting and load answers.

use super::*;
use crate::tui::action::{CodeCard, History};
use crate::tui::overlay::Pick;
use crate::tui::render_tests::{fixture_app, fixture_counts, fixture_rows, fresh_app, load};
use crate::tui::roster::Roster;

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
        assert_eq!(
            (a.students.selected, a.students.offset),
            (selected, offset),
            "{actions:?}"
        );
    }
}

#[test]
fn moving_down_one_row_at_a_time_scrolls_at_the_edge() {
    let mut a = app();
    for i in 1..=16 {
        update(&mut a, Action::MoveDown);
        assert_eq!((a.students.selected, a.students.offset), (i, 0));
    }
    update(&mut a, Action::MoveDown);
    assert_eq!((a.students.selected, a.students.offset), (17, 1));
}

#[test]
fn navigation_on_an_empty_list_does_nothing() {
    let mut a = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
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
        assert_eq!(
            (a.students.selected, a.students.offset),
            (0, 0),
            "{action:?}"
        );
    }
    assert!(!a.dirty, "no visible change, no redraw");
}

#[test]
fn list_keys_do_nothing_on_other_screens() {
    let mut a = app();
    run(
        &mut a,
        &[Action::ScreenPhotos, Action::MoveDown, Action::Last],
    );
    assert_eq!((a.screen, a.students.selected), (Screen::Photos, 0));
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
        (
            vec![NextScreen, NextScreen, NextScreen, NextScreen, NextScreen],
            Screen::Students,
        ),
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
    assert_eq!(
        (a.help_scroll, a.students.selected),
        (2, 0),
        "j scrolls help, not the list"
    );
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
    assert_eq!(
        update(&mut a, Action::Reload)[0],
        Effect::Load {
            generation: g + 1,
            cohort: Some(2026)
        }
    );
    assert!(a.loading());
    assert_eq!(
        update(&mut a, Action::Reload)[0],
        Effect::Load {
            generation: g + 2,
            cohort: Some(2026)
        }
    );
}

#[test]
fn stale_answers_are_dropped() {
    let mut a = app();
    update(&mut a, Action::Reload);
    let old = a.generation;
    update(&mut a, Action::Reload);
    a.dirty = false;
    update(
        &mut a,
        Action::StudentsLoaded {
            generation: old,
            result: Ok(Roster::empty()),
        },
    );
    update(
        &mut a,
        Action::CountsLoaded {
            generation: old,
            result: Err("late".into()),
        },
    );
    assert_eq!(
        a.students.view.len(),
        40,
        "an old answer must not replace the list"
    );
    assert_eq!(a.last_error, None);
    assert!(a.loading() && !a.dirty);
}

#[test]
fn load_answers_fill_the_state_and_errors_are_kept_until_a_good_load() {
    let mut a = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    assert!(!a.students.loaded);
    load(
        &mut a,
        Ok(fixture_rows()),
        Err("database error: disk I/O error".into()),
    );
    assert_eq!(a.students.view.len(), 40);
    assert_eq!(a.counts, None);
    assert_eq!(
        a.last_error.as_deref(),
        Some("database error: disk I/O error")
    );
    assert!(!a.loading());
    // sized to 98% of the names: the one 34-column name is cut, the others fit
    assert_eq!(
        a.students.roster.widths.name, 11,
        "the name column, in columns"
    );

    // a failed reload keeps the rows already shown
    load(
        &mut a,
        Err("connection refused".into()),
        Ok(fixture_counts()),
    );
    assert_eq!(a.students.view.len(), 40);
    assert_eq!(a.counts, Some(fixture_counts()));
    assert_eq!(a.last_error.as_deref(), Some("connection refused"));

    // an error in the answer that comes first is not wiped by the one that comes second
    update(&mut a, Action::Reload);
    let g = a.generation;
    update(
        &mut a,
        Action::CountsLoaded {
            generation: g,
            result: Err("timeout".into()),
        },
    );
    update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Ok(Roster::new(fixture_rows())),
        },
    );
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
    assert_eq!(a.students.selected, 32);

    // a shorter list clamps the selection
    load(
        &mut a,
        Ok(fixture_rows()[..5].to_vec()),
        Ok(fixture_counts()),
    );
    assert_eq!((a.students.selected, a.students.offset), (4, 0));
}

#[test]
fn resize_keeps_the_selection_visible() {
    let mut a = app();
    update(&mut a, Action::Select(16));
    assert_eq!(a.students.offset, 0);
    update(&mut a, Action::Resize(80, 12));
    assert_eq!(a.page_rows(), 5);
    assert!(
        a.students.selected >= a.students.offset && a.students.selected < a.students.offset + 5,
        "{} {}",
        a.students.selected,
        a.students.offset
    );
    update(&mut a, Action::Resize(120, 60));
    assert_eq!(
        a.students.offset, 0,
        "a taller screen shows from the top again when everything fits"
    );
    a.dirty = false;
    update(&mut a, Action::Resize(120, 60));
    assert!(!a.dirty);
}

/// Runs the searches `effects` ask for, as the event loop would, and feeds the answers back.
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

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        let effects = update(app, Action::Input(c));
        settle(app, effects);
    }
}

fn shown_names(app: &App) -> Vec<String> {
    (0..app.students.view.len())
        .filter_map(|i| app.row(i))
        .map(|r| r.student.name.clone())
        .collect()
}

#[test]
fn searching_narrows_the_list_on_every_key_and_backspace_needs_no_new_search() {
    let mut a = app();
    update(&mut a, Action::Search);
    assert_eq!(a.mode(), Mode::Search);
    type_text(&mut a, "ouy");
    assert_eq!(shown_names(&a), ["欧阳娜娜"]);
    assert!(!a.students.search.pending());
    // Backspace answers from memory: no effect, and the shorter query's answer is back
    let effects = update(&mut a, Action::DeleteBack);
    assert_eq!(effects, Vec::new());
    assert_eq!(a.students.search.input, "ou");
    assert!(shown_names(&a).contains(&"欧阳娜娜".to_string()));
    // a longer query asks for a search that narrows the last answer
    let effects = update(&mut a, Action::Input('y'));
    match effects.as_slice() {
        [
            Effect::Search {
                previous: Some(previous),
                query,
                ..
            },
        ] => {
            assert_eq!(previous.query.text(), "ou");
            assert_eq!(query.text(), "ouy");
        }
        other => panic!("expected one narrowing search, got {other:?}"),
    }
    // Enter keeps the results and leaves the box; keys are list keys again
    update(&mut a, Action::Accept);
    assert_eq!(a.mode(), Mode::Screen(Screen::Students));
    // Esc in the box clears the search
    update(&mut a, Action::Search);
    update(&mut a, Action::Close);
    assert_eq!(
        (a.students.search.input.as_str(), a.students.view.len()),
        ("", 40)
    );
}

#[test]
fn stale_search_answers_are_dropped() {
    let mut a = app();
    update(&mut a, Action::Search);
    let first = update(&mut a, Action::Input('z'));
    let second = update(&mut a, Action::Input('s'));
    // the answer to "zs" arrives, then the late answer to "z"
    settle(&mut a, second);
    let zs = shown_names(&a);
    assert_eq!(zs.first().map(String::as_str), Some("张三"));
    a.dirty = false;
    settle(&mut a, first);
    assert_eq!(shown_names(&a), zs);
    assert!(!a.dirty);
}

#[test]
fn a_search_typed_before_the_roster_arrives_runs_when_it_does() {
    let mut a = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    update(&mut a, Action::Reload);
    update(&mut a, Action::Search);
    assert!(
        update(&mut a, Action::Input('z')).is_empty(),
        "nothing to search yet"
    );
    let g = a.generation;
    let effects = update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Ok(Roster::new(fixture_rows())),
        },
    );
    assert!(
        matches!(effects.as_slice(), [Effect::Search { .. }]),
        "{effects:?}"
    );
    settle(&mut a, effects);
    assert!(a.students.view.len() < 40 && !a.students.view.is_empty());
}

#[test]
fn missing_filters_cycle_and_toggle() {
    use Missing as M;
    let mut a = app();
    let mut seen = Vec::new();
    for _ in 0..5 {
        update(&mut a, Action::CycleMissing);
        seen.push((a.students.filter.missing, a.students.view.len()));
    }
    assert_eq!(
        seen,
        [
            (Some(M::Code), 10),
            (Some(M::Session), 10),
            (Some(M::Checkin), 20),
            (Some(M::Photo), 21),
            (None, 40)
        ]
    );
    update(&mut a, Action::MissingPhoto);
    assert_eq!(a.students.filter.missing, Some(M::Photo));
    update(&mut a, Action::MissingPhoto);
    assert_eq!(
        a.students.filter.missing, None,
        "the same filter again switches it off"
    );
}

#[test]
fn pickers_filter_by_field_and_reload_by_cohort() {
    let mut a = app();
    update(&mut a, Action::FilterCollege);
    assert_eq!(a.mode(), Mode::Picker);
    type_text(&mut a, "wgy");
    update(&mut a, Action::Accept);
    assert_eq!(a.students.filter.college.as_deref(), Some("外国语学院"));
    assert_eq!(shown_names(&a), ["John Smith", "欧阳娜娜"]);
    // the picker opens on the value in force; "every college" takes the filter off again
    update(&mut a, Action::FilterCollege);
    assert!(
        matches!(&a.overlay, Overlay::Picker(p) if p.chosen() == Some(Pick::Value("外国语学院".into())))
    );
    type_text(&mut a, "qbxy");
    let effects = update(&mut a, Action::Accept);
    assert!(effects.is_empty());
    assert_eq!(
        (a.students.filter.college.clone(), a.students.view.len()),
        (None, 40)
    );
    // a cohort typed in full is a choice even when not listed, and it reloads
    update(&mut a, Action::FilterCohort);
    type_text(&mut a, "2019");
    let g = a.generation;
    assert_eq!(
        update(&mut a, Action::Accept),
        vec![Effect::Load {
            generation: g + 1,
            cohort: Some(2019)
        }]
    );
    update(&mut a, Action::FilterCohort);
    let g = a.generation;
    assert_eq!(
        update(&mut a, Action::Accept),
        vec![Effect::Load {
            generation: g + 1,
            cohort: None
        }]
    );
    // Esc leaves the filter as it was
    update(&mut a, Action::FilterClass);
    type_text(&mut a, "jk2202");
    update(&mut a, Action::Close);
    assert_eq!(
        (a.students.filter.class.clone(), a.overlay.clone()),
        (None, Overlay::None)
    );
}

#[test]
fn sorting_cycles_and_keeps_the_selected_student() {
    let mut a = app();
    update(&mut a, Action::Select(5));
    let id = a.selected_row().unwrap().id;
    let mut keys = Vec::new();
    for _ in 0..5 {
        update(&mut a, Action::SortNext);
        keys.push(a.students.sort.key);
        assert_eq!(
            a.selected_row().unwrap().id,
            id,
            "{:?}",
            a.students.sort.key
        );
    }
    use super::roster::SortKey as K;
    assert_eq!(
        keys,
        [K::Name, K::College, K::Class, K::Progress, K::StudentNo]
    );
    update(&mut a, Action::SortReverse);
    assert_eq!(a.row(0).unwrap().student.student_no, "2022030140");
}

#[test]
fn the_palette_runs_actions_found_by_name_description_or_pinyin() {
    type Check = (&'static str, fn(&App) -> bool);
    let cases: [Check; 4] = [
        ("missing_photo", |a| {
            a.students.filter.missing == Some(Missing::Photo)
        }),
        ("按学院", |a| matches!(a.overlay, Overlay::Picker(_))),
        ("xysx", |a| matches!(a.overlay, Overlay::Picker(_))),
        ("help", |a| a.help_open),
    ];
    for (typed, check) in cases {
        let mut a = app();
        update(&mut a, Action::Palette);
        assert_eq!(a.mode(), Mode::Palette);
        type_text(&mut a, typed);
        update(&mut a, Action::Accept);
        assert!(check(&a), "palette {typed:?}");
    }
    // nothing matches: Enter does nothing but close
    let mut a = app();
    update(&mut a, Action::Palette);
    type_text(&mut a, "qqqqqq");
    update(&mut a, Action::Accept);
    assert_eq!(a.overlay, Overlay::None);
    assert!(!a.quit);
}

fn card(a: &App) -> CodeCard {
    let row = a.selected_row().unwrap();
    CodeCard {
        student: row.student.clone(),
        codes: Vec::new(),
        qr: None,
    }
}

#[test]
fn the_code_window_asks_for_a_reason_before_reissuing() {
    let mut a = app();
    update(&mut a, Action::MoveDown);
    let effects = update(&mut a, Action::ShowCode);
    let generation = a.code_generation;
    assert_eq!(
        effects,
        vec![Effect::LoadCode {
            generation,
            student_no: "2022010102".into()
        }]
    );
    // not before the card is read
    update(&mut a, Action::ReissueCode);
    assert_eq!(a.mode(), Mode::Code);
    let c = card(&a);
    update(
        &mut a,
        Action::CodeLoaded {
            generation: generation - 1,
            result: Ok(Box::new(c.clone())),
        },
    );
    assert!(
        matches!(&a.overlay, Overlay::Code(c) if c.card.is_none()),
        "stale card dropped"
    );
    update(
        &mut a,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(c.clone())),
        },
    );
    update(&mut a, Action::ReissueCode);
    assert_eq!(a.mode(), Mode::Reason);
    // no reason, no reissue
    assert_eq!(update(&mut a, Action::Accept), Vec::new());
    assert!(matches!(&a.overlay, Overlay::Reason(p) if p.error.is_some()));
    update(&mut a, Action::Paste("丢失\n补办".into()));
    let effects = update(&mut a, Action::Accept);
    assert_eq!(
        effects,
        vec![Effect::Reissue {
            generation,
            student_no: "2022010102".into(),
            reason: "丢失 补办".into()
        }]
    );
    assert!(matches!(&a.overlay, Overlay::Code(c) if c.busy));
    // done: the new card and the roster are read again
    let effects = update(
        &mut a,
        Action::Reissued {
            generation,
            result: Ok(77),
        },
    );
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::LoadCode { .. }, Effect::Load { .. }]
        ),
        "{effects:?}"
    );
    let Overlay::Code(code) = &a.overlay else {
        panic!("code window closed")
    };
    assert!(
        !code.busy
            && code
                .notice
                .as_ref()
                .is_some_and(|n| n.as_ref().is_ok_and(|t| t.contains("77")))
    );
    // Esc in the prompt goes back to the code, Esc there closes it
    let g = a.code_generation;
    update(
        &mut a,
        Action::CodeLoaded {
            generation: g,
            result: Ok(Box::new(c)),
        },
    );
    update(&mut a, Action::ReissueCode);
    update(&mut a, Action::Close);
    assert_eq!(a.mode(), Mode::Code);
    update(&mut a, Action::Close);
    assert_eq!(a.mode(), Mode::Screen(Screen::Students));
}

#[test]
fn the_palette_over_the_code_window_acts_on_it() {
    let mut a = app();
    update(&mut a, Action::ShowCode);
    let generation = a.code_generation;
    let c = card(&a);
    update(
        &mut a,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(c)),
        },
    );
    update(&mut a, Action::Palette);
    assert_eq!(a.mode(), Mode::Palette);
    update(&mut a, Action::Close);
    assert_eq!(
        a.mode(),
        Mode::Code,
        "closing the palette goes back to the code window"
    );
    update(&mut a, Action::Palette);
    type_text(&mut a, "reissue");
    update(&mut a, Action::Accept);
    assert_eq!(
        a.mode(),
        Mode::Reason,
        "reissue_code from the palette asks for the reason"
    );
}

#[test]
fn a_failed_reissue_says_why_and_changes_nothing_else() {
    let mut a = app();
    update(&mut a, Action::ShowCode);
    let generation = a.code_generation;
    let c = card(&a);
    update(
        &mut a,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(c)),
        },
    );
    update(&mut a, Action::ReissueCode);
    type_text(&mut a, "lost");
    update(&mut a, Action::Accept);
    let effects = update(
        &mut a,
        Action::Reissued {
            generation,
            result: Err("key file missing".into()),
        },
    );
    assert!(effects.is_empty());
    assert_eq!(a.last_error.as_deref(), Some("key file missing"));
    assert!(
        matches!(&a.overlay, Overlay::Code(c) if c.notice == Some(Err("key file missing".into())))
    );
}

#[test]
fn a_reissue_finishing_after_its_window_closed_still_reloads_and_reports() {
    let mut a = app();
    update(&mut a, Action::ShowCode);
    let generation = a.code_generation;
    let c = card(&a);
    update(
        &mut a,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(c)),
        },
    );
    update(&mut a, Action::ReissueCode);
    type_text(&mut a, "lost");
    update(&mut a, Action::Accept);
    update(&mut a, Action::Close);
    let effects = update(
        &mut a,
        Action::Reissued {
            generation,
            result: Ok(9),
        },
    );
    assert!(
        matches!(effects.as_slice(), [Effect::Load { .. }]),
        "{effects:?}"
    );
    let effects = update(
        &mut a,
        Action::Reissued {
            generation,
            result: Err("database is locked".into()),
        },
    );
    assert!(effects.is_empty());
    assert_eq!(a.last_error.as_deref(), Some("database is locked"));
}

#[test]
fn a_reload_keeps_the_searched_student_and_refreshes_the_history() {
    let mut a = app();
    update(&mut a, Action::Search);
    type_text(&mut a, "2022");
    update(&mut a, Action::Accept);
    update(&mut a, Action::Select(3));
    let id = a.selected_row().unwrap().id;
    update(&mut a, Action::ToggleDetail);
    update(&mut a, Action::Reload);
    let g = a.generation;
    let effects = update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Ok(Roster::new(fixture_rows())),
        },
    );
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadHistory { .. })),
        "history read again: {effects:?}"
    );
    settle(&mut a, effects);
    assert_eq!(
        a.selected_row().unwrap().id,
        id,
        "the same student after the re-search"
    );
    // a new query starts at its best match again
    update(&mut a, Action::Search);
    type_text(&mut a, "01");
    assert_eq!(a.students.selected, 0);
}

#[test]
fn closing_and_reopening_the_history_drops_answers_meant_for_before() {
    let mut a = app();
    update(&mut a, Action::ToggleDetail);
    let old = a.students.detail.generation;
    update(&mut a, Action::ToggleDetail);
    update(&mut a, Action::ToggleDetail);
    let history = History {
        student_no: "2022010101".into(),
        ..History::default()
    };
    update(
        &mut a,
        Action::HistoryLoaded {
            generation: old,
            result: Ok(history),
        },
    );
    assert_eq!(a.students.detail.history, None);
}

#[test]
fn a_screen_switch_closes_the_code_window() {
    let mut a = app();
    update(&mut a, Action::ShowCode);
    update(&mut a, Action::ScreenReports);
    assert_eq!(
        (a.screen, a.mode()),
        (Screen::Reports, Mode::Screen(Screen::Reports))
    );
}

#[test]
fn the_history_pane_follows_the_selection() {
    let mut a = app();
    let effects = update(&mut a, Action::ToggleDetail);
    assert_eq!(
        effects,
        vec![Effect::LoadHistory {
            generation: 1,
            student_no: "2022010101".into(),
            session_id: Some(3),
        }]
    );
    let effects = update(&mut a, Action::MoveDown);
    assert_eq!(
        effects,
        vec![Effect::LoadHistory {
            generation: 2,
            student_no: "2022010102".into(),
            session_id: Some(3),
        }]
    );
    let history = |no: &str| History {
        student_no: no.into(),
        ..History::default()
    };
    update(
        &mut a,
        Action::HistoryLoaded {
            generation: 1,
            result: Ok(history("2022010101")),
        },
    );
    assert_eq!(
        a.students.detail.history, None,
        "the answer for the previous student is dropped"
    );
    update(
        &mut a,
        Action::HistoryLoaded {
            generation: 2,
            result: Ok(history("2022010102")),
        },
    );
    assert!(a.students.detail.history.is_some());
    // moving within the same student asks nothing; closing asks nothing
    assert!(update(&mut a, Action::MoveUp).len() == 1);
    assert!(update(&mut a, Action::ToggleDetail).is_empty());
    assert!(
        update(&mut a, Action::MoveDown).is_empty(),
        "closed: no history reads"
    );
}

#[test]
fn failed_loads_retry_with_growing_waits_until_they_succeed() {
    let mut a = fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    update(&mut a, Action::Reload);
    let mut waits = Vec::new();
    for _ in 0..7 {
        let g = a.generation;
        update(
            &mut a,
            Action::CountsLoaded {
                generation: g,
                result: Ok(Counts::default()),
            },
        );
        let effects = update(
            &mut a,
            Action::StudentsLoaded {
                generation: g,
                result: Err("connection refused".into()),
            },
        );
        let [Effect::RetryLater { generation, after }] = effects.as_slice() else {
            panic!("{effects:?}")
        };
        assert_eq!(*generation, g);
        waits.push(after.as_secs());
        assert_eq!(a.last_error.as_deref(), Some("connection refused"));
        // a stale wake-up does nothing; the right one reloads
        assert!(update(&mut a, Action::RetryDue { generation: g - 1 }).is_empty());
        assert_eq!(
            update(&mut a, Action::RetryDue { generation: g }),
            vec![Effect::Load {
                generation: g + 1,
                cohort: Some(2026)
            }]
        );
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
    let g = a.generation;
    update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Ok(Roster::new(fixture_rows())),
        },
    );
    let effects = update(
        &mut a,
        Action::CountsLoaded {
            generation: g,
            result: Ok(fixture_counts()),
        },
    );
    assert!(effects.is_empty());
    assert_eq!((a.last_error.clone(), a.retry), (None, Retry::default()));
}

#[test]
fn resizing_to_tiny_and_back_with_every_overlay_open_keeps_the_state_sane() {
    let opens: [&[Action]; 6] = [
        &[],
        &[Action::Search],
        &[Action::Palette],
        &[Action::FilterCollege],
        &[Action::ShowCode],
        &[Action::ToggleDetail, Action::Last],
    ];
    for open in opens {
        let mut a = app();
        run(&mut a, open);
        for size in [(20, 5), (1, 1), (0, 0), (80, 24), (200, 60), (60, 12)] {
            update(&mut a, Action::Resize(size.0, size.1));
            assert!(
                a.students.selected < a.students.view.len().max(1),
                "{open:?} at {size:?}"
            );
            crate::tui::render_tests::draw_text(&a);
        }
    }
}
