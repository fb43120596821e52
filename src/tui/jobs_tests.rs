//! The console around people's jobs (issue 20): the counselor's filtered export from Students,
//! one photo state on every screen, the history pane as the student's real history, empty
//! lists that say what hides the students; `update` tests for each behaviour, and the screens
//! drawn at 80×24, 100×30 and 160×45.

use std::sync::Arc;

use chrono::NaiveDate;

use super::action::{Action, Effect, History};
use super::app::{App, Hiding, StatusMessage, update};
use super::keymap::{Key, Scope};
use super::render_tests::{fixture_app, fixture_rows, screen};
use crate::domain::photo_spec::Problem;
use crate::domain::search::{Field, Missing};
use crate::export::FileKind;
use crate::store::{
    AuditEntry, AuditRecord, CheckinRecord, CodeRecord, CodeState, PhotoFileStatus, PhotoRow,
    PhotoStatus, SessionRow,
};

/// The three sizes staff use: an 80×24 SSH window, a laptop, a wide office screen.
const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (160, 45)];

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

/// Chooses `value` in the picker of `action` (`T` counselor, `C` college, `L` class).
fn pick(app: &mut App, action: Action, value: &str) {
    update(app, action);
    update(app, Action::Paste(value.into()));
    update(app, Action::Accept);
}

/// The counselor's list: 周老师's students not checked in (the fixture's counselor).
fn counselor_list(size: (u16, u16)) -> App {
    let mut app = fixture_app(size);
    pick(&mut app, Action::FilterCounselor, "周老师");
    update(&mut app, Action::MissingCheckin);
    app
}

#[test]
fn the_counselor_exports_exactly_the_list_shown() {
    let mut app = counselor_list((80, 24));
    let shown = app.students.view.clone();
    assert_eq!(shown.len(), 20, "20 of 40 not checked in");
    // `e` is the key on the Students screen, and the palette finds it
    assert_eq!(
        app.keymap
            .lookup(&Scope::active(app.mode()), Key::plain('e')),
        Some(Action::ExportStudentsXlsx)
    );
    let effects = update(&mut app, Action::ExportStudentsXlsx);
    let [
        Effect::ExportStudents {
            generation,
            view,
            kind,
            name,
            what,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(view, &shown, "the rows shown, in the order shown");
    assert_eq!(*kind, FileKind::Xlsx);
    assert_eq!(name, "周老师-未签到");
    assert!(
        what.contains("counselor 周老师") && what.contains("missing checkin"),
        "{what}"
    );
    assert!(
        update(&mut app, Action::ExportStudentsCsv).is_empty(),
        "one export at a time"
    );
    assert!(screen(&app).contains("正在导出…"));
    let path = std::path::PathBuf::from(
        "/home/zhanglaoshi/.local/share/caiji/exports/students-周老师-未签到-20260306-101500.xlsx",
    );
    update(
        &mut app,
        Action::StudentsExported {
            generation: *generation,
            result: Ok((path, 20)),
        },
    );
    assert!(!app.students.exporting);
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(
        status.contains("…/") && status.contains("/students-周老师-未签到-20260306-101500.xlsx"),
        "the folder shortened, the file's name whole: {status}"
    );
    // with room, what was written too
    update(&mut app, Action::Resize(120, 40));
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(
        status.contains("已导出 20 名学生 → …/")
            && status.contains("/exports/students-周老师-未签到-20260306-101500.xlsx"),
        "{status}"
    );
    // the message belongs to the Students screen: another screen does not repeat it
    update(&mut app, Action::ScreenSessions);
    assert_eq!(app.message, None);

    // CSV too; an empty list says there is nothing to export
    let mut app = counselor_list((80, 24));
    let effects = update(&mut app, Action::ExportStudentsCsv);
    assert!(matches!(
        effects.as_slice(),
        [Effect::ExportStudents {
            kind: FileKind::Csv,
            ..
        }]
    ));
    let mut app = fixture_app((80, 24));
    pick(&mut app, Action::FilterClass, "英语2201");
    update(&mut app, Action::MissingCode);
    assert!(app.students.view.is_empty());
    assert!(update(&mut app, Action::ExportStudentsXlsx).is_empty());
    assert!(matches!(
        &app.message,
        Some(StatusMessage { ok: false, .. })
    ));
}

#[test]
fn a_failed_export_says_why_and_a_stale_answer_is_dropped() {
    let mut app = counselor_list((80, 24));
    let effects = update(&mut app, Action::ExportStudentsXlsx);
    let Some(Effect::ExportStudents { generation, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert!(
        !update(
            &mut app,
            Action::StudentsExported {
                generation: generation + 1,
                result: Ok(("/x.xlsx".into(), 1)),
            }
        )
        .iter()
        .any(|_| true)
    );
    assert!(app.students.exporting, "a stale answer changes nothing");
    update(
        &mut app,
        Action::StudentsExported {
            generation: *generation,
            result: Err("cannot write /data/x.xlsx: Permission denied".into()),
        },
    );
    assert!(
        matches!(&app.message, Some(StatusMessage { ok: false, text, .. }) if text.contains("Permission denied"))
    );
    assert!(screen(&app).contains("cannot write"));
}

#[test]
fn the_status_line_keeps_a_file_name_whole() {
    let path = "/home/zhanglaoshi/.local/share/caiji/exports/students-周老师-20260306.xlsx";
    let cases = [
        (200, path.to_string()),
        (40, "…/exports/students-周老师-20260306.xlsx".to_string()),
        (31, "…/students-周老师-20260306.xlsx".to_string()),
        (12, "…260306.xlsx".to_string()),
    ];
    for (room, want) in cases {
        let got = super::ui::short_path(path, room);
        assert_eq!(got, want, "in {room} columns");
        assert!(super::widgets::width(&got) <= room);
    }
}

#[test]
fn students_with_a_filtered_export_at_three_sizes() {
    for size in SIZES {
        let mut app = counselor_list(size);
        let effects = update(&mut app, Action::ExportStudentsXlsx);
        let Some(Effect::ExportStudents { generation, .. }) = effects.first() else {
            panic!("{effects:?}")
        };
        let path = "/home/zhanglaoshi/.local/share/caiji/exports/students-周老师-未签到-20260306-101500.xlsx";
        update(
            &mut app,
            Action::StudentsExported {
                generation: *generation,
                result: Ok((path.into(), 20)),
            },
        );
        let shown = screen(&app);
        assert!(shown.contains("辅导员 周老师"), "{shown}");
        insta::assert_snapshot!(
            format!("students_filtered_export_{}x{}", size.0, size.1),
            shown
        );
    }
}

// ----- one photo state -----

#[test]
fn a_student_with_two_good_files_is_choose_one_not_invalid() {
    let mut rows = fixture_rows();
    rows[1].photo_status = PhotoStatus::Duplicate;
    let mut app = fixture_app((120, 40));
    super::render_tests::load(
        &mut app,
        Ok(rows),
        Ok(super::render_tests::fixture_counts()),
    );
    let line = screen(&app)
        .lines()
        .find(|l| l.contains("2022010102"))
        .unwrap()
        .to_string();
    assert!(
        line.contains("重复待选") && !line.contains("不合格"),
        "{line}"
    );
    // they still lack a valid photo: the missing-photo filter keeps them
    update(&mut app, Action::MissingPhoto);
    assert!(app.students.view.contains(&1));
    assert_eq!(
        crate::words::reports::status_text(PhotoStatus::Duplicate.code()),
        "重复待选",
        "the same word in exported lists"
    );
}

/// The Photos fixture loaded beside the Students fixture.
fn with_photos(size: (u16, u16)) -> App {
    let mut app = fixture_app(size);
    let generation = super::photos::start_load(&mut app);
    let Effect::LoadPhotos { generation } = generation else {
        unreachable!()
    };
    update(
        &mut app,
        Action::PhotosLoaded {
            generation,
            result: Ok(Arc::new(super::photos::tests::fixture_photos())),
        },
    );
    app
}

#[test]
fn photos_count_files_and_students_in_named_units() {
    let mut app = with_photos((100, 30));
    update(&mut app, Action::ScreenPhotos);
    let shown = screen(&app);
    assert!(
        shown.contains("重复 2 个文件/1 名学生") && shown.contains("缺照片 19 名学生"),
        "{shown}"
    );
}

#[test]
fn photo_problems_are_on_the_students_screen() {
    // a column when it fits: the fixture's invalid files are too small / wrong size
    let app = with_photos((160, 45));
    let header = screen(&app)
        .lines()
        .find(|l| l.contains("学号"))
        .unwrap()
        .to_string();
    assert!(header.contains("照片问题"), "{header}");
    // 2022010104 and John Smith have invalid files (in the roster too)
    let shown = screen(&app);
    let line = |no: &str| shown.lines().find(|l| l.contains(no)).unwrap().to_string();
    assert!(
        line("2022010104").contains("尺寸、太大"),
        "{}",
        line("2022010104")
    );
    assert!(
        line("2022020101").contains("非JPEG"),
        "{}",
        line("2022020101")
    );
    assert_eq!(
        app.photos.notes.get("2022030107").map(String::as_str),
        Some("2个文件待选")
    );
    // at 80 columns too, beside the states
    let narrow = screen(&with_photos((80, 24)));
    let header = narrow.lines().find(|l| l.contains("学号")).unwrap();
    assert!(
        header.contains("照片问题") && header.contains("照片 "),
        "{header}"
    );
}

// ----- the history pane -----

/// The moment of this wall-clock time in the zone the tests run in (screens show it as written).
fn at(day: u32, h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    crate::clock::from_local(
        NaiveDate::from_ymd_opt(2026, 3, day)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .unwrap(),
    )
}

/// 买买提·艾力 (second row): a reissued code, assigned to session 3, checked in as a walk-in,
/// two photo files to choose from, one too small.
fn history() -> History {
    let code = |serial, state, replaced_by, reason: Option<&str>| CodeRecord {
        serial,
        student_no: "2022010102".into(),
        key_id: 1,
        token: String::new(),
        state,
        issued_at: at(1, 9, 30),
        revoked_at: (state == CodeState::Revoked).then_some(at(1, 9, 30)),
        revoke_reason: reason.map(String::from),
        replaced_by,
    };
    let audit = |id, action: &str, detail: &str| AuditRecord {
        id,
        at: at(2, 10, 5),
        entry: AuditEntry {
            operator: "zhanglaoshi".into(),
            action: action.into(),
            student_no: Some("2022010102".into()),
            detail: detail.into(),
        },
    };
    let photo = |name: &str, status, problems| PhotoRow {
        path: format!("/srv/采集/{name}"),
        student_no: Some("2022010102".into()),
        name: Some("买买提·艾力".into()),
        id_number: None,
        size: 30_000,
        sha256: String::new(),
        width: Some(480),
        height: Some(640),
        status,
        problems,
        checked_at: at(3, 9, 0),
    };
    History {
        student_no: "2022010102".into(),
        codes: vec![
            code(31, CodeState::Active, None, None),
            code(7, CodeState::Revoked, Some(31), Some("学生丢失")),
        ],
        audit: vec![
            audit(
                5,
                "photo_add",
                "/srv/采集/650102200105056874.jpg: duplicate (too_small)",
            ),
            audit(
                4,
                "checkin_walk_in",
                "session 3, shot 17, station A1; moved from session 2",
            ),
            audit(3, "reissue", "serial 7 → 31: 学生丢失"),
            audit(2, "show", "console code window, serial 7"),
        ],
        checkins: vec![CheckinRecord {
            session_id: 3,
            shot: 17,
            station: "A1".into(),
            operator: "zhanglaoshi".into(),
            walk_in: true,
            at: at(2, 9, 12),
            counts: true,
        }],
        sessions: vec![SessionRow {
            id: 3,
            title: "图像采集 计算机科学与技术学院".into(),
            location: "体育馆".into(),
            starts_at: at(2, 8, 30),
            ends_at: at(2, 11, 30),
            capacity: 300,
            stations: 2,
            makeup: false,
            assigned: 80,
            checked_in: 40,
            created_at: at(1, 8, 0),
        }],
        photos: vec![
            photo("650102200105056874.jpg", PhotoFileStatus::Duplicate, vec![]),
            photo(
                "补拍/2022010102.jpg",
                PhotoFileStatus::Duplicate,
                vec![Problem::TooSmall {
                    size: 12_000,
                    min: 20_480,
                }],
            ),
        ],
    }
}

fn with_history(size: (u16, u16)) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::MoveDown);
    update(&mut app, Action::ToggleDetail);
    let generation = app.students.detail.generation;
    update(
        &mut app,
        Action::HistoryLoaded {
            generation,
            result: Ok(history()),
        },
    );
    app
}

#[test]
fn the_history_is_the_students_record_in_the_interface_language() {
    let app = with_history((160, 45));
    let shown = screen(&app);
    for want in [
        "场次与签到",
        "安排在 #3 2026-03-02 08:30-11:30 体育馆",
        "签到 #3",
        "拍摄号 17",
        "现场加入",
        "照片文件",
        "重复待选",
        "小于下限",
        "重新发放采集码",
        "现场加入签到",
    ] {
        assert!(shown.contains(want), "{want} missing:\n{shown}");
    }
    assert!(!shown.contains("将随这些功能接入"), "no placeholder");
    assert!(
        !shown.contains("650102200105056874"),
        "a photo named by the full ID number is masked:\n{shown}"
    );
    assert!(shown.contains("*****6874.jpg"));
    assert!(
        shown.contains("登记照片文件") && shown.contains("*****6874.jpg: 重复待选 (too_small)"),
        "the audit trail masks the ID in a file name too:\n{shown}"
    );
}

#[test]
fn the_history_pane_scrolls_and_keeps_within_its_text() {
    let mut app = with_history((80, 24));
    assert_eq!(
        app.keymap
            .lookup(&Scope::active(app.mode()), Key::plain('J')),
        Some(Action::DetailDown)
    );
    let max = super::ui::detail::max_scroll(&app);
    assert!(max > 0, "the history is longer than the pane at 80×24");
    let before = screen(&app);
    assert!(before.contains("J/K 滚动 1/"), "{before}");
    for _ in 0..max + 5 {
        update(&mut app, Action::DetailDown);
    }
    assert_eq!(app.students.detail.scroll, max);
    let after = screen(&app);
    assert!(
        after.contains("console code window, serial 7"),
        "the end of the history: {after}"
    );
    update(&mut app, Action::DetailUp);
    assert_eq!(app.students.detail.scroll, max - 1);
    // another student starts at the top
    update(&mut app, Action::MoveDown);
    assert_eq!(app.students.detail.scroll, 0);
}

#[test]
fn the_detail_pane_at_three_sizes() {
    for size in SIZES {
        let shown = screen(&with_history(size));
        insta::assert_snapshot!(format!("detail_pane_{}x{}", size.0, size.1), shown);
    }
}

// ----- empty lists -----

#[test]
fn an_empty_list_names_each_filter_that_hides_students() {
    let mut app = fixture_app((100, 30));
    pick(&mut app, Action::FilterClass, "英语2201");
    update(&mut app, Action::MissingCode);
    assert!(app.students.view.is_empty());
    assert_eq!(
        app.students.hidden_by,
        vec![
            (Hiding::Missing(Missing::Code), 2),
            (Hiding::Field(Field::Class, "英语2201".into()), 10),
        ]
    );
    let shown = screen(&app);
    assert!(
        shown.contains("缺采集码：去掉后 2 名（m 更改）")
            && shown.contains("班级 英语2201：去掉后 10 名（L 更改）")
            && shown.contains("x 清除全部筛选和搜索"),
        "{shown}"
    );
}

#[test]
fn clearing_works_while_a_search_is_typed() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::MissingCode);
    update(&mut app, Action::Search);
    for c in "qqqq".chars() {
        let effects = update(&mut app, Action::Input(c));
        settle(&mut app, effects);
    }
    assert!(app.students.view.is_empty());
    // `x` is text here (a pinyin search may need it); the hint names the key that clears
    assert_eq!(
        app.keymap
            .lookup(&Scope::active(app.mode()), Key::plain('x')),
        None
    );
    let shown = screen(&app);
    assert!(shown.contains("Ctrl-x 清除全部筛选和搜索"), "{shown}");
    assert!(shown.contains("搜索 “qqqq”：去掉后 10 名"), "{shown}");
    let key = app
        .keymap
        .lookup(&Scope::active(app.mode()), Key::ctrl('x'));
    assert_eq!(key, Some(Action::ClearFilters));
    let effects = update(&mut app, Action::ClearFilters);
    settle(&mut app, effects);
    assert_eq!(app.students.view.len(), 40);
    assert!(app.students.search.input.is_empty() && app.students.filter.is_empty());
}

// ----- columns -----

#[test]
fn the_name_column_is_sized_to_the_names() {
    let app = fixture_app((100, 30));
    let cols = super::ui::columns(&app.students.roster.widths, 98);
    let name = cols
        .iter()
        .find(|c| c.0 == super::ui::Column::Name)
        .unwrap()
        .1;
    // 2–4 letter names and a few longer ones: not the 34 columns of the longest
    assert_eq!(name, 11, "{cols:?}");
    let shown = screen(&app);
    assert!(
        shown.contains("阿卜杜热合…"),
        "the long name is cut: {shown}"
    );
}

#[test]
fn wide_terminals_show_counselor_and_major() {
    let mut rows = fixture_rows();
    for r in &mut rows {
        r.student.major = "计算机科学与技术".into();
    }
    let mut app = fixture_app((160, 45));
    super::render_tests::load(
        &mut app,
        Ok(rows),
        Ok(super::render_tests::fixture_counts()),
    );
    let header = screen(&app)
        .lines()
        .find(|l| l.contains("学号"))
        .unwrap()
        .to_string();
    assert!(
        header.contains("辅导员") && header.contains("专业"),
        "{header}"
    );
    let narrow = screen(&fixture_app((80, 24)));
    let header = narrow.lines().find(|l| l.contains("学号")).unwrap();
    assert!(!header.contains("辅导员"), "{header}");
}

/// The export through its task on a real SQLite store: the file reads back with calamine, has
/// the students shown with the reason each is on the list (code state, session time and place,
/// shot number, photo problems), and the export is in the audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_list_says_why_each_student_is_on_it() {
    use crate::store::{NewSession, PhotoRecord, StudentFilter, StudentSelection};
    use calamine::{Reader, Xlsx};

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
    let store: Arc<dyn crate::store::Store> = Arc::from(
        crate::store::open(&url, crate::store::Create::IfMissing)
            .await
            .unwrap(),
    );
    let students = crate::demo::generate(60, 3, 2026).students;
    store.insert_students(&students).await.unwrap();
    let mut by_counselor: std::collections::BTreeMap<&str, usize> = Default::default();
    for s in &students {
        *by_counselor.entry(&s.counselor).or_default() += 1;
    }
    let counselor = by_counselor
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| c.to_string())
        .unwrap();
    let mine: Vec<&crate::domain::Student> = students
        .iter()
        .filter(|s| s.counselor == counselor)
        .collect();
    assert!(mine.len() >= 3, "a counselor with a few students");
    let session = store
        .add_session(
            &NewSession {
                title: "图像采集".into(),
                location: "体育馆".into(),
                starts_at: at(2, 8, 30),
                ends_at: at(2, 11, 30),
                capacity: 100,
                stations: 2,
                makeup: false,
            },
            "office",
        )
        .await
        .unwrap();
    let selection = StudentSelection {
        student_nos: mine.iter().map(|s| s.student_no.clone()).collect(),
        ..Default::default()
    };
    store.assign(session, &selection, "office").await.unwrap();
    // the first is checked in (shot 1) with a photo too small; the second has two files
    let first = &mine[0].student_no;
    let second = &mine[1].student_no;
    store
        .check_in(session, first, "A1", "station", false)
        .await
        .unwrap();
    let ids: std::collections::HashMap<String, i64> = store
        .list_students(&StudentFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.student.student_no, r.id))
        .collect();
    let record = |name: &str, no: &str, status, problems: Vec<Problem>| PhotoRecord {
        path: format!("/srv/photos/{name}"),
        student_id: Some(ids[no]),
        student_no: Some(no.to_string()),
        id_number: None,
        size: 12_000,
        mtime: 1,
        sha256: format!("{:0>64}", name.len()),
        width: Some(480),
        height: Some(640),
        status,
        problems: serde_json::to_string(&problems).unwrap(),
        spec: "spec".into(),
    };
    let too_small = Problem::TooSmall {
        size: 12_000,
        min: 20_480,
    };
    store
        .apply_photos(
            "/srv/photos/",
            &[
                record(
                    &format!("{first}.jpg"),
                    first,
                    PhotoFileStatus::Invalid,
                    vec![too_small],
                ),
                record(
                    &format!("{second}.jpg"),
                    second,
                    PhotoFileStatus::Duplicate,
                    vec![],
                ),
                record(
                    &format!("b/{second}.jpg"),
                    second,
                    PhotoFileStatus::Duplicate,
                    vec![],
                ),
            ],
            None,
            "office",
        )
        .await
        .unwrap();

    // the console: this counselor's students, without a valid photo
    let rows = store
        .list_students(&StudentFilter::default())
        .await
        .unwrap();
    let mut app = fixture_app((100, 30));
    super::render_tests::load(
        &mut app,
        Ok(rows),
        Ok(super::render_tests::fixture_counts()),
    );
    pick(&mut app, Action::FilterCounselor, &counselor);
    update(&mut app, Action::MissingPhoto);
    let shown: Vec<String> = (0..app.students.view.len())
        .map(|i| app.row(i).unwrap().student.student_no.clone())
        .collect();
    assert_eq!(shown.len(), mine.len());
    let effects = update(&mut app, Action::ExportStudentsXlsx);
    let exports = dir.path().join("exports");
    let env = super::tasks::Env {
        store: store.clone(),
        school: super::render_tests::school(),
        operator: "zhanglaoshi".into(),
        key_file: dir.path().join("caiji.keys"),
        keys: Arc::new(crate::ops::checkin::StationKeys::load(
            &dir.path().join("caiji.keys"),
        )),
        export_dir: exports.clone(),
        station: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut running = super::tasks::Running::default();
    super::tasks::start(effects, &env, &mut running, &tx, std::convert::identity);
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let Action::StudentsExported {
        result: Ok((path, n)),
        ..
    } = &answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!(*n, shown.len());
    assert_eq!(path.parent(), Some(exports.as_path()));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("students-{counselor}-缺合格照片-")),
        "{name}"
    );

    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let sheet = book.worksheet_range(&book.sheet_names()[0]).unwrap();
    let table: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let header = &table[0];
    let col = |h: &str| {
        header
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("{h} in {header:?}"))
    };
    let listed: Vec<&str> = table[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(listed, shown, "the students shown, in the order shown");
    let row = |no: &str| table.iter().find(|r| r[0] == no).unwrap();
    assert_eq!(row(first)[col("场次时间")], "2026-03-02 08:30-11:30");
    assert_eq!(row(first)[col("场次地点")], "体育馆");
    assert_eq!(row(first)[col("拍摄号")], "1");
    assert_eq!(row(first)[col("签到")], "是");
    assert_eq!(row(first)[col("照片")], "不合格");
    assert!(
        row(first)[col("照片问题")].contains("小于下限"),
        "{:?}",
        row(first)
    );
    assert_eq!(row(second)[col("照片")], "重复待选");
    assert!(
        row(second)[col("照片问题")].contains("2 个文件"),
        "{:?}",
        row(second)
    );
    assert_eq!(row(second)[col("拍摄号")], "");
    assert!(row(first)[col("证件号码(脱敏)")].starts_with("*****"));

    let audit = store
        .audit_entries(&crate::store::AuditFilter {
            action: Some("export".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(
        audit[0]
            .entry
            .detail
            .contains(&format!("counselor {counselor}"))
            && audit[0].entry.detail.contains(&name),
        "{}",
        audit[0].entry.detail
    );
    store.close().await;
}
