//! The Photos screen: `update` (loads, lists, moving, jumping to a student, empty and error
//! states) and the screen drawn at 80×24 and 120×40 with CJK names and long Unicode paths.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::*;
use crate::domain::photo_spec::{FileFormat, KB};
use crate::photos::report::{DuplicateJson, InvalidJson, OrphanJson, SkippedJson};
use crate::tui::app::update;
use crate::tui::keymap::{Key, Mode};
use crate::tui::render_tests::{fixture_app, fresh_app, screen};
use crate::tui::theme::Theme;

const FOLDER: &str = "/srv/采集/2026届毕业生图像采集（第二批，含补拍）";

fn photo(
    rel: &str,
    student: Option<(&str, &str)>,
    size: u64,
    dims: Option<(i32, i32)>,
    status: PhotoFileStatus,
    problems: Vec<Problem>,
) -> PhotoRow {
    PhotoRow {
        path: format!("{FOLDER}/{rel}"),
        student_no: student.map(|s| s.0.to_string()),
        id_number: None,
        name: student.map(|s| s.1.to_string()),
        size: size as i64,
        sha256: "0".repeat(64),
        width: dims.map(|d| d.0),
        height: dims.map(|d| d.1),
        status,
        problems,
        checked_at: crate::clock::from_local(
            NaiveDateTime::parse_from_str("2026-06-01 09:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
        ),
    }
}

/// A reconciled folder with something in every list; the students are `fixture_rows`' ones.
pub fn fixture_photos() -> PhotoData {
    use PhotoFileStatus as S;
    let ok = Some((480, 640));
    let rows = vec![
        photo(
            "计科2201/2022010101.jpg",
            Some(("2022010101", "张三")),
            30 * KB + 120,
            ok,
            S::Valid,
            vec![],
        ),
        photo(
            "外国语学院/英语2201/2022020102.jpg",
            Some(("2022020102", "欧阳娜娜")),
            28 * KB,
            ok,
            S::Valid,
            vec![],
        ),
        photo(
            "计科2202/2022010104.jpg",
            Some(("2022010104", crate::tui::render_tests::ESCAPE_NAME)),
            150 * KB,
            Some((600, 800)),
            S::Invalid,
            vec![
                Problem::Dimensions {
                    width: 600,
                    height: 800,
                    want_width: 480,
                    want_height: 640,
                },
                Problem::TooLarge {
                    size: 150 * KB,
                    max: 40 * KB,
                },
            ],
        ),
        photo(
            "外国语学院/英语2201/补拍（第二次，光线偏暗，请重新拍摄）/2022020101.jpeg",
            Some(("2022020101", "John Smith")),
            25 * KB,
            None,
            S::Invalid,
            vec![Problem::NotJpeg {
                format: FileFormat::Png,
            }],
        ),
        photo(
            "机械2201/2022030107.jpg",
            Some(("2022030107", "王伟")),
            29 * KB,
            ok,
            S::Duplicate,
            vec![],
        ),
        photo(
            "补拍/2022030107.JPG",
            Some(("2022030107", "王伟")),
            12 * KB,
            ok,
            S::Duplicate,
            vec![Problem::TooSmall {
                size: 12 * KB,
                min: 20 * KB,
            }],
        ),
        photo(
            "机械2201/阿卜杜热合曼·买买提明·阿不都热西提的毕业照片（最终版）.jpg",
            None,
            31 * KB,
            ok,
            S::Orphan,
            vec![],
        ),
        photo(
            "IMG_0001.JPG",
            None,
            33 * KB,
            ok,
            S::Orphan,
            vec![Problem::Truncated],
        ),
    ];
    let summary = ReconcileSummary {
        folder: FOLDER.into(),
        at: crate::clock::from_local(
            NaiveDateTime::parse_from_str("2026-06-01 09:30:00", "%Y-%m-%d %H:%M:%S").unwrap(),
        ),
        deep: false,
        spec: "480x640/20480-40960".into(),
        files: 10,
        matched_valid: 2,
        matched_invalid: 2,
        duplicates: 1,
        orphans: 2,
        missing: 19,
        skipped: 2,
        invalid_files: vec![InvalidJson {
            file: "计科2202/2022010104.jpg".into(),
            student_no: "2022010104".into(),
            problems: vec![],
        }],
        duplicate_files: vec![DuplicateJson {
            student_no: "2022030107".into(),
            files: vec![
                "机械2201/2022030107.jpg".into(),
                "补拍/2022030107.JPG".into(),
            ],
        }],
        orphan_files: vec![
            OrphanJson {
                file: "IMG_0001.JPG".into(),
                suggestions: vec![],
                ambiguous: false,
            },
            OrphanJson {
                file: "机械2201/阿卜杜热合曼·买买提明·阿不都热西提的毕业照片（最终版）.jpg".into(),
                suggestions: vec!["2022010103".into(), "2022010102".into()],
                ambiguous: false,
            },
        ],
        skipped_files: vec![
            SkippedJson {
                file: "空文件.jpg".into(),
                reason: "empty file (0 bytes)".into(),
            },
            SkippedJson {
                file: "链接回自己/".into(),
                reason: "symbolic link loop".into(),
            },
        ],
        truncated: false,
    };
    PhotoData {
        summary: Some(summary),
        rows,
        ingest: None,
    }
}

/// The fixture app, on the Photos screen, with `data` loaded through `update`.
fn photos_app(size: (u16, u16), data: Result<PhotoData, String>) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::ScreenPhotos);
    let generation = app.photos.generation;
    update(
        &mut app,
        Action::PhotosLoaded {
            generation,
            result: data.map(Arc::new),
        },
    );
    app
}

fn run(app: &mut App, actions: &[Action]) -> Vec<Effect> {
    actions
        .iter()
        .flat_map(|a| update(app, a.clone()))
        .collect()
}

fn selected_no(app: &App) -> Option<String> {
    app.selected_row().map(|r| r.student.student_no.clone())
}

#[test]
fn reload_reads_the_photos_too_and_stale_answers_are_dropped() {
    let mut app = fixture_app((80, 24));
    let effects = update(&mut app, Action::Reload);
    let g = app.photos.generation;
    assert_eq!(effects.last(), Some(&Effect::LoadPhotos { generation: g }));
    let effects = update(&mut app, Action::Reload);
    assert_eq!(
        effects.last(),
        Some(&Effect::LoadPhotos { generation: g + 1 })
    );
    // the answer to the first load comes late: dropped
    update(
        &mut app,
        Action::PhotosLoaded {
            generation: g,
            result: Ok(Arc::new(fixture_photos())),
        },
    );
    assert!(!app.photos.loaded && app.photos.summary.is_none());
    update(
        &mut app,
        Action::PhotosLoaded {
            generation: g + 1,
            result: Ok(Arc::new(fixture_photos())),
        },
    );
    assert!(app.photos.loaded);
    assert_eq!(app.photos.summary.as_ref().map(|s| s.files), Some(10));
}

#[test]
fn files_are_sorted_into_their_lists() {
    let app = photos_app((80, 24), Ok(fixture_photos()));
    let p = &app.photos;
    let counts: Vec<usize> = PhotoList::ALL.iter().map(|l| p.len(*l)).collect();
    // invalid, duplicate, orphan, missing (from the roster), skipped, valid
    assert_eq!(counts, [2, 2, 2, 19, 2, 2]);
    let dup = &p.files[PhotoList::Duplicate.index()];
    assert_eq!(dup[0].partners, ["补拍/2022030107.JPG"]);
    assert_eq!(dup[1].partners, ["机械2201/2022030107.jpg"]);
    let orphans = &p.files[PhotoList::Orphan.index()];
    assert_eq!(orphans[0].rel, "IMG_0001.JPG");
    assert!(orphans[0].suggestions.is_empty());
    assert_eq!(orphans[1].suggestions, ["2022010103", "2022010102"]);
    assert_eq!(
        p.files[PhotoList::Skipped.index()][1].reason.as_deref(),
        Some("symbolic link loop")
    );
    // paths are shown under the folder
    assert_eq!(
        p.files[PhotoList::Invalid.index()][0].rel,
        "外国语学院/英语2201/补拍（第二次，光线偏暗，请重新拍摄）/2022020101.jpeg"
    );
}

#[test]
fn keys_switch_lists_and_each_list_keeps_its_place() {
    use Action::*;
    let mut app = photos_app((80, 24), Ok(fixture_photos()));
    assert_eq!(app.photos.list, PhotoList::Invalid);
    let cases: Vec<(Vec<Action>, PhotoList, (usize, usize))> = vec![
        (vec![NextPhotoList], PhotoList::Duplicate, (0, 0)),
        (
            vec![NextPhotoList, NextPhotoList, NextPhotoList],
            PhotoList::Missing,
            (0, 0),
        ),
        (vec![PrevPhotoList], PhotoList::Valid, (0, 0)),
        (
            vec![MoveDown, MoveDown, MoveDown],
            PhotoList::Invalid,
            (1, 0),
        ),
        (
            vec![MoveDown, NextPhotoList, PrevPhotoList],
            PhotoList::Invalid,
            (1, 0),
        ),
        (
            vec![NextPhotoList, NextPhotoList, NextPhotoList, Last],
            PhotoList::Missing,
            (18, 9),
        ),
        (
            vec![NextPhotoList, NextPhotoList, NextPhotoList, PageDown],
            PhotoList::Missing,
            (10, 1),
        ),
        (
            vec![NextPhotoList, NextPhotoList, NextPhotoList, Last, First],
            PhotoList::Missing,
            (0, 0),
        ),
    ];
    for (actions, list, place) in cases {
        let mut a = photos_app((80, 24), Ok(fixture_photos()));
        run(&mut a, &actions);
        assert_eq!(
            (a.photos.list, a.photos.place()),
            (list, place),
            "{actions:?}"
        );
    }
    // the moves of the Photos screen do not move the student list
    run(&mut app, &[MoveDown, Last]);
    assert_eq!(app.students.selected, 0);
    assert_eq!(ui::photos::list_rows(&app), 10);
}

#[test]
fn the_keys_are_in_the_keymap_help_and_palette() {
    let app = photos_app((80, 24), Ok(fixture_photos()));
    let scopes = crate::tui::keymap::Scope::active(Mode::Screen(Screen::Photos));
    let lookup = |k: Key| app.keymap.lookup(&scopes, k);
    use ratatui::crossterm::event::KeyCode;
    assert_eq!(
        lookup(Key::code(KeyCode::Right)),
        Some(Action::NextPhotoList)
    );
    assert_eq!(lookup(Key::plain('h')), Some(Action::PrevPhotoList));
    assert_eq!(
        lookup(Key::code(KeyCode::Enter)),
        Some(Action::JumpToStudent)
    );
    assert_eq!(lookup(Key::plain('4')), Some(Action::ScreenPhotos));
    assert!(ui::help::scopes(&app).contains(&crate::tui::keymap::Scope::Photos));
    let entries =
        crate::tui::overlay::palette_entries(&app.keymap, Mode::Screen(Screen::Photos), "jump");
    assert_eq!(
        entries.first().map(|e| e.action.clone()),
        Some(Action::JumpToStudent)
    );
}

#[test]
fn jumping_shows_the_student_selected_on_the_students_screen() {
    use Action::*;
    let cases: Vec<(Vec<Action>, &str)> = vec![
        (vec![], "2022020101"),                        // invalid: its student
        (vec![MoveDown], "2022010104"),                // the one with the escape name
        (vec![NextPhotoList, MoveDown], "2022030107"), // duplicate
        (vec![NextPhotoList, NextPhotoList, MoveDown], "2022010103"), // orphan: the best suggestion
        (vec![PrevPhotoList, MoveDown], "2022010101"), // valid
        (
            vec![NextPhotoList, NextPhotoList, NextPhotoList, Last],
            "2022030140",
        ), // missing
    ];
    for (actions, want) in cases {
        let mut app = photos_app((80, 24), Ok(fixture_photos()));
        run(&mut app, &actions);
        run(&mut app, &[JumpToStudent]);
        assert_eq!(app.screen, Screen::Students, "{actions:?}");
        assert_eq!(selected_no(&app).as_deref(), Some(want), "{actions:?}");
        // and it is on screen
        assert!(
            app.students.selected >= app.students.offset
                && app.students.selected < app.students.offset + app.page_rows(),
            "{actions:?}"
        );
    }
}

#[test]
fn jumping_clears_a_search_or_filter_that_hides_the_student() {
    use Action::*;
    let mut app = photos_app((80, 24), Ok(fixture_photos()));
    // a filter (students without a code) hides John Smith
    update(&mut app, ScreenStudents);
    update(&mut app, MissingCode);
    let hidden = app
        .students
        .roster
        .rows
        .iter()
        .position(|r| r.student.student_no == "2022020101")
        .unwrap() as u32;
    assert!(!app.students.view.contains(&hidden));
    update(&mut app, ScreenPhotos);
    update(&mut app, JumpToStudent);
    assert_eq!(app.students.filter, crate::tui::roster::Filter::default());
    assert_eq!(selected_no(&app).as_deref(), Some("2022020101"));

    // a search typed: cleared too
    let mut app = photos_app((80, 24), Ok(fixture_photos()));
    run(&mut app, &[ScreenStudents, Search]);
    for effect in update(&mut app, Paste("ouyang".into())) {
        if let Effect::Search {
            generation,
            index,
            query,
            previous,
        } = effect
        {
            let result = Arc::new(index.0.search(&query, previous.as_deref()));
            update(&mut app, Searched { generation, result });
        }
    }
    run(&mut app, &[Accept, ScreenPhotos]);
    assert_eq!(app.students.view.len(), 1, "the search shows 欧阳娜娜 only");
    update(&mut app, JumpToStudent);
    assert!(app.students.search.input.is_empty());
    assert_eq!(selected_no(&app).as_deref(), Some("2022020101"));
}

#[test]
fn nothing_to_jump_to_says_why_or_does_nothing() {
    use Action::*;
    // an orphan without suggestions: no student
    let mut app = photos_app((80, 24), Ok(fixture_photos()));
    run(&mut app, &[NextPhotoList, NextPhotoList]);
    assert!(run(&mut app, &[JumpToStudent]).is_empty());
    assert_eq!(app.screen, Screen::Photos);
    // a skipped file: no student
    run(&mut app, &[NextPhotoList, NextPhotoList, JumpToStudent]);
    assert_eq!(app.screen, Screen::Photos);
    // a student not in the loaded roster (another cohort): the status bar says so
    let mut data = fixture_photos();
    data.rows[3].student_no = Some("2019010101".into());
    let mut app = photos_app((80, 24), Ok(data));
    update(&mut app, JumpToStudent);
    assert_eq!(app.screen, Screen::Photos);
    assert!(
        app.last_error
            .as_deref()
            .is_some_and(|e| e.contains("2019010101")),
        "{:?}",
        app.last_error
    );
}

#[test]
fn empty_and_error_states() {
    // before the answer
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::ScreenPhotos);
    assert!(screen(&app).contains("读取照片核对结果…"));
    // no reconcile applied yet: the command to run
    let app = photos_app((80, 24), Ok(PhotoData::default()));
    assert!(app.photos.loaded && app.photos.summary.is_none());
    let shown = screen(&app);
    assert!(
        shown.contains("还没有应用过照片核对")
            && shown.contains("caiji photos reconcile DIR --apply"),
        "{shown}"
    );
    insta::assert_snapshot!("photos_not_reconciled_80x24", shown);
    // the keys do nothing harmful on an empty screen
    let mut app = photos_app((80, 24), Ok(PhotoData::default()));
    run(
        &mut app,
        &[Action::MoveDown, Action::Last, Action::JumpToStudent],
    );
    assert_eq!(app.screen, Screen::Photos);
    // an error: shown, and the old data stays until a load succeeds
    let mut app = photos_app((80, 24), Ok(fixture_photos()));
    update(&mut app, Action::Reload);
    let g = app.photos.generation;
    update(
        &mut app,
        Action::PhotosLoaded {
            generation: g,
            result: Err("database is locked".into()),
        },
    );
    assert_eq!(app.photos.error.as_deref(), Some("database is locked"));
    assert_eq!(app.last_error.as_deref(), Some("database is locked"));
    assert!(app.photos.summary.is_some());
    let app = photos_app((80, 24), Err("no such table: photos".into()));
    let shown = screen(&app);
    assert!(
        shown.contains("读不到照片核对结果：no such table: photos"),
        "{shown}"
    );
}

#[test]
fn photos_screens() {
    use Action::*;
    let cases: Vec<(&str, (u16, u16), Vec<Action>)> = vec![
        ("photos_invalid_80x24", (80, 24), vec![]),
        ("photos_invalid_120x40", (120, 40), vec![]),
        (
            "photos_duplicate_120x40",
            (120, 40),
            vec![NextPhotoList, MoveDown],
        ),
        (
            "photos_orphan_80x24",
            (80, 24),
            vec![NextPhotoList, NextPhotoList, MoveDown],
        ),
        (
            "photos_missing_80x24",
            (80, 24),
            vec![PrevPhotoList, PrevPhotoList, PrevPhotoList, PageDown],
        ),
        (
            "photos_skipped_80x24",
            (80, 24),
            vec![PrevPhotoList, PrevPhotoList],
        ),
        ("photos_valid_120x40", (120, 40), vec![PrevPhotoList]),
    ];
    for (name, size, actions) in cases {
        let mut app = photos_app(size, Ok(fixture_photos()));
        run(&mut app, &actions);
        let shown = screen(&app);
        // no control character reaches the terminal
        assert!(!shown.contains('\u{1b}'), "{name}");
        insta::assert_snapshot!(name, shown);
    }
    // small terminals and the English texts draw without panicking
    for size in [(60, 12), (61, 13), (200, 60)] {
        screen(&photos_app(size, Ok(fixture_photos())));
    }
    let mut app = fresh_app(
        (80, 24),
        crate::tui::keymap::Keymap::default(),
        Theme::built_in("default").unwrap(),
    );
    update(&mut app, ScreenPhotos);
    screen(&app);
}

/// Photos named by ID number show on the Photos screen with the ID part masked: a resident ID or
/// another document of the file's student, an orphan named by a resident ID, a duplicate's
/// partner and a folder named by one; an orphan's suggestions still find their file.
#[test]
fn photos_screen_masks_id_numbers() {
    use PhotoFileStatus as S;
    let id = "440106200403158746";
    let ok = Some((480, 640));
    let mut data = fixture_photos();
    let mut own = |rel: &str, no: &str, id_number: &str, status: S| {
        let mut row = photo(rel, Some((no, "张三")), 30 * KB, ok, status, vec![]);
        row.id_number = Some(id_number.into());
        data.rows.push(row);
    };
    own(
        &format!("计科2201/{id}.jpg"),
        "2022010101",
        id,
        S::Duplicate,
    );
    own(&format!("补拍/{id}.JPG"), "2022010101", id, S::Duplicate);
    own(
        "英语2201/ea1234567.jpg",
        "2022020102",
        "EA1234567",
        S::Valid,
    );
    data.rows.push(photo(
        "110105194912310021.jpg",
        None,
        30 * KB,
        ok,
        S::Orphan,
        vec![],
    ));
    let summary = data.summary.as_mut().unwrap();
    summary.folder = format!("/srv/{id}");
    for row in &mut data.rows {
        row.path = row.path.replacen(FOLDER, &summary.folder, 1);
    }
    // the summary was masked when it was made (`photos::reconcile`)
    summary.orphan_files.push(OrphanJson {
        file: "*****0021.jpg".into(),
        suggestions: vec!["2022010101".into()],
        ambiguous: false,
    });

    let mut app = photos_app((120, 40), Ok(data));
    let p = app.photos.clone();
    let rels = |list: PhotoList| -> Vec<&str> {
        p.files[list.index()]
            .iter()
            .map(|i| i.rel.as_str())
            .collect()
    };
    assert!(rels(PhotoList::Duplicate).contains(&"计科2201/*****8746.jpg"));
    assert!(rels(PhotoList::Valid).contains(&"英语2201/*****4567.jpg"));
    let orphan = p.files[PhotoList::Orphan.index()]
        .iter()
        .find(|i| i.rel == "*****0021.jpg")
        .expect("the orphan, masked");
    assert_eq!(orphan.suggestions, ["2022010101"]);
    let dup = p.files[PhotoList::Duplicate.index()]
        .iter()
        .find(|i| i.rel == "补拍/*****8746.JPG")
        .unwrap();
    assert_eq!(dup.partners, ["计科2201/*****8746.jpg"]);

    // on screen, in every list
    for list in PhotoList::ALL {
        app.photos.list = list;
        for _ in 0..p.len(list) {
            let shown = screen(&app);
            for full in [id, "EA1234567", "ea1234567", "110105194912310021"] {
                assert!(!shown.contains(full), "{list:?} shows {full}: {shown}");
            }
            update(&mut app, Action::MoveDown);
        }
    }
}

/// The Photos screen shows the last card ingest (docs/ingest.md), with or without a reconcile.
#[test]
fn the_last_ingest_is_shown() {
    use crate::photos::ingest::report::IngestSummary;
    let ingest = IngestSummary {
        card: "/media/card/DCIM".into(),
        out: "/srv/photos".into(),
        at: crate::clock::from_local(
            chrono::NaiveDateTime::parse_from_str("2026-06-01 12:30:00", "%Y-%m-%d %H:%M:%S")
                .unwrap(),
        ),
        frames: 96,
        keyframes: 30,
        photos: 29,
        written: 29,
        unchanged: 0,
        superseded: 1,
        unassigned: 4,
        missing: 1,
        millis: 5230,
        unassigned_files: Vec::new(),
        missing_students: Vec::new(),
        truncated: false,
    };
    let with = PhotoData {
        ingest: Some(ingest.clone()),
        ..fixture_photos()
    };
    let shown = screen(&photos_app((120, 40), Ok(with)));
    assert!(
        shown.contains("上次导入存储卡 2026-06-01 12:30:00")
            && shown.contains("关键帧 30")
            && shown.contains("未归属 4"),
        "{shown}"
    );
    insta::assert_snapshot!("photos_ingest_120x40", shown);
    let alone = PhotoData {
        ingest: Some(ingest),
        ..PhotoData::default()
    };
    let shown = screen(&photos_app((80, 24), Ok(alone)));
    assert!(
        shown.contains("上次导入存储卡") && shown.contains("还没有应用过照片核对"),
        "{shown}"
    );
}
