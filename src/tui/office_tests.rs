//! The office (issue 20): the plan form shows and edits the rate, picks colleges, spreads over
//! the days and warns before creating; Reports in the pickers' pinyin order, with more columns
//! when wide, the daily chart of the college opened, Enter on a class or counselor opening
//! Students filtered to them, a totals line that always sums all; a first code is "issued".

use chrono::NaiveDate;

use super::action::{Action, CodeCard, Effect, PlanOutcome, ReportData, Screen};
use super::app::{App, update};
use super::overlay::Overlay;
use super::render_tests::{fixture_app, screen};
use super::sessions::COLLEGES_FIELD;
use super::sessions_tests::loaded;
use crate::domain::planner::{Plan, PlannedGroup, PlannedSession};
use crate::domain::search::Field;
use crate::ops::plan::PlanWarning;
use crate::store::{DailyProgress, GroupBy, GroupCounts};

const SIZES: [(u16, u16); 3] = [(80, 24), (100, 30), (160, 45)];

/// A wall-clock time of this station, as the planner works in.
fn at(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

/// The plan form open on the Sessions screen.
fn plan_form(size: (u16, u16)) -> App {
    let mut app = loaded(Action::ScreenSessions, size);
    update(&mut app, Action::PlanSessions);
    app
}

/// Moves the form's cursor to field `i` and types `text` over it.
fn fill(app: &mut App, i: usize, text: &str) {
    while app.sessions.form.as_ref().unwrap().focus != i {
        update(app, Action::MoveDown);
    }
    update(app, Action::ClearInput);
    update(app, Action::Paste(text.into()));
}

fn plan_request(app: &mut App) -> crate::ops::plan::PlanRequest {
    let effects = update(app, Action::Accept);
    match effects.as_slice() {
        [Effect::Plan { request, .. }] => request.clone(),
        other => panic!(
            "{other:?} / {:?}",
            app.sessions.form.as_ref().unwrap().error
        ),
    }
}

#[test]
fn the_plan_form_shows_and_edits_the_rate_and_picks_colleges() {
    let mut app = plan_form((100, 30));
    let shown = screen(&app);
    assert!(
        shown.contains("每工位每小时") && shown.contains("350") && shown.contains("学院"),
        "{shown}"
    );
    let request = plan_request(&mut app);
    assert_eq!(request.rate, 350);
    assert!(request.colleges.is_empty(), "empty: every college");
    assert!(request.spread, "spread over the days given");

    let mut app = plan_form((100, 30));
    fill(&mut app, 5, "200");
    fill(&mut app, COLLEGES_FIELD, "计算机，外国语学院");
    let request = plan_request(&mut app);
    assert_eq!(request.rate, 200);
    assert_eq!(request.colleges, ["计算机科学与技术学院", "外国语学院"]);

    // what cannot be planned is said at once, naming the field
    let cases = [
        (5, "0", "每工位每小时"),
        (5, "abc", "每工位每小时"),
        (COLLEGES_FIELD, "学院", "可指"),
        (COLLEGES_FIELD, "医学院", "没有「医学院」"),
    ];
    for (field, text, want) in cases {
        let mut app = plan_form((100, 30));
        fill(&mut app, field, text);
        assert!(update(&mut app, Action::Accept).is_empty(), "{text}");
        let error = app.sessions.form.as_ref().unwrap().error.clone().unwrap();
        assert!(error.contains(want), "{text}: {error}");
    }
}

/// A plan of two sessions, the morning overlapping session 2 of the fixture at its place.
fn warned_outcome() -> PlanOutcome {
    let session = |start: &str, end: &str, students: u32| PlannedSession {
        title: "图像采集 计算机科学与技术学院".into(),
        location: "体育馆一楼".into(),
        starts_at: at(start),
        ends_at: at(end),
        capacity: 1400,
        stations: 4,
        groups: vec![PlannedGroup {
            college: "计算机科学与技术学院".into(),
            class: "计科2201".into(),
            students,
        }],
    };
    let plan = Plan {
        sessions: vec![
            session("2026-03-02 08:30", "2026-03-02 11:30", 1300),
            session("2026-03-02 14:00", "2026-03-02 17:00", 600),
        ],
        unplaced: Vec::new(),
        shortfall: None,
        unknown_colleges: Vec::new(),
    };
    PlanOutcome {
        plan,
        waiting: 1900,
        created: Vec::new(),
        warnings: vec![
            PlanWarning::Overlap {
                planned: at("2026-03-02 08:30"),
                existing: 2,
                existing_start: at("2026-03-02 08:30"),
                existing_end: at("2026-03-02 11:30"),
                location: "体育馆一楼".into(),
            },
            PlanWarning::Overload {
                planned: at("2026-03-02 08:30"),
                students: 1300,
                capacity: 1400,
            },
        ],
    }
}

fn previewed(size: (u16, u16)) -> App {
    let mut app = plan_form(size);
    let effects = update(&mut app, Action::Accept);
    let [Effect::Plan { generation, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    update(
        &mut app,
        Action::Planned {
            generation: *generation,
            result: Ok(warned_outcome()),
        },
    );
    app
}

#[test]
fn the_plan_preview_warns_before_creating() {
    let mut app = previewed((100, 30));
    let shown = screen(&app);
    assert!(
        shown.contains("与已有场次 #2") && shown.contains("超过 90%"),
        "{shown}"
    );
    assert!(shown.contains("Enter 仍然创建"), "{shown}");
    assert!(
        shown.contains("03-02 08:30 1300/1400 · 14:00 600/1400"),
        "{shown}"
    );
    // Enter again creates it, warned
    let effects = update(&mut app, Action::Accept);
    assert!(
        matches!(effects.as_slice(), [Effect::Plan { create: true, .. }]),
        "{effects:?}"
    );
}

#[test]
fn the_plan_warning_at_three_sizes() {
    for size in SIZES {
        insta::assert_snapshot!(
            format!("plan_warning_{}x{}", size.0, size.1),
            screen(&previewed(size))
        );
    }
}

// ----- Reports -----

fn group(name: &str, n: [i64; 6]) -> GroupCounts {
    GroupCounts::new(name.into(), String::new(), n)
}

fn on_reports(size: (u16, u16), colleges: Vec<GroupCounts>) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::ScreenReports);
    let generation = app.reports.generation;
    let day = |d: u32, checked_in: i64, photo_valid: i64| DailyProgress {
        day: NaiveDate::from_ymd_opt(2026, 3, d).unwrap(),
        checked_in,
        photo_valid,
    };
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Ok(ReportData {
                colleges,
                daily: vec![day(2, 120, 0), day(3, 188, 95)],
            }),
        },
    );
    app
}

/// The fixture's four colleges, in the database's (code point) order.
fn four_colleges() -> Vec<GroupCounts> {
    vec![
        group("外国语学院", [2, 2, 2, 2, 1, 1]),
        group("机械工程学院", [20, 15, 15, 10, 10, 0]),
        group("经济管理学院", [14, 10, 10, 7, 5, 0]),
        group("计算机科学与技术学院", [4, 2, 2, 1, 1, 1]),
    ]
}

#[test]
fn reports_order_colleges_and_classes_like_the_pickers() {
    let mut app = on_reports((100, 30), four_colleges());
    let picker: Vec<String> = app
        .students
        .roster
        .index
        .values(Field::College)
        .into_iter()
        .map(|(name, _)| name.to_string())
        .collect();
    let shown: Vec<String> = app
        .reports
        .colleges()
        .iter()
        .map(|g| g.group.clone())
        .collect();
    assert_eq!(shown, picker, "pinyin order");
    assert_eq!(shown[0], "计算机科学与技术学院");
    // the classes of a college too
    let machine = shown.iter().position(|c| c == "机械工程学院").unwrap();
    app.reports.selected = machine;
    let effects = update(&mut app, Action::ReportDrillDown);
    let Some(Effect::LoadBreakdown { generation, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation: *generation,
            result: Ok(vec![
                group("机械2202", [10, 8, 8, 5, 5, 0]),
                group("机械2201", [10, 7, 7, 5, 5, 0]),
            ]),
        },
    );
    let (rows, _) = app.reports.rows();
    let names: Vec<&str> = rows.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(names, ["机械2201", "机械2202"]);
}

#[test]
fn wide_reports_show_invalid_missing_and_completion() {
    let wide = screen(&on_reports((160, 45), four_colleges()));
    let header = wide.lines().find(|l| l.contains("人数")).unwrap();
    assert!(
        header.contains("不合格") && header.contains("缺照片") && header.contains("完成率"),
        "{header}"
    );
    // 机械工程学院: 10 valid of 20, none invalid, 10 missing
    let line = wide.lines().find(|l| l.contains("机械工程学院")).unwrap();
    assert!(line.contains("     0     10  50.0%"), "{line}");
    let narrow = screen(&on_reports((80, 24), four_colleges()));
    let header = narrow.lines().find(|l| l.contains("人数")).unwrap();
    assert!(!header.contains("完成率"), "{header}");
}

/// The Reports screen with 机械工程学院's classes open.
fn in_a_college(size: (u16, u16)) -> (App, u64) {
    let mut app = on_reports(size, four_colleges());
    let machine = app
        .reports
        .colleges()
        .iter()
        .position(|c| c.group == "机械工程学院")
        .unwrap();
    app.reports.selected = machine;
    let effects = update(&mut app, Action::ReportDrillDown);
    let Some(Effect::LoadBreakdown { generation, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    let generation = *generation;
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation,
            result: Ok(vec![
                group("机械2201", [10, 7, 7, 5, 5, 0]),
                group("机械2202", [10, 8, 8, 5, 5, 0]),
            ]),
        },
    );
    (app, generation)
}

#[test]
fn the_chart_inside_a_college_shows_that_college() {
    let (mut app, generation) = in_a_college((100, 30));
    assert!(screen(&app).contains("每日进度 · 机械工程学院"));
    let day = DailyProgress {
        day: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
        checked_in: 7,
        photo_valid: 3,
    };
    update(
        &mut app,
        Action::CollegeDailyLoaded {
            generation,
            result: Ok(vec![day]),
        },
    );
    let shown = screen(&app);
    assert!(
        shown.contains("03-04") && !shown.contains("03-02"),
        "the college's day only:\n{shown}"
    );
    // back at the colleges: the whole school's days
    update(&mut app, Action::ReportBack);
    let shown = screen(&app);
    assert!(shown.contains("03-02") && !shown.contains("每日进度 · "));
}

#[test]
fn enter_on_a_class_or_counselor_opens_students_filtered_to_it() {
    let (mut app, _) = in_a_college((100, 30));
    update(&mut app, Action::ReportDrillDown);
    assert_eq!(app.screen, Screen::Students);
    assert_eq!(app.students.filter.college.as_deref(), Some("机械工程学院"));
    assert_eq!(app.students.filter.class.as_deref(), Some("机械2201"));
    assert_eq!(app.students.view.len(), 10);
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(
        status.contains("已按 机械工程学院 · 机械2201 筛选"),
        "{status}"
    );
    // a counselor the same way
    let (mut app, _) = in_a_college((100, 30));
    let effects = update(&mut app, Action::ReportSwitchGroup);
    let Some(Effect::LoadBreakdown { generation, by, .. }) = effects.first() else {
        panic!("{effects:?}")
    };
    assert_eq!(*by, GroupBy::Counselor);
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation: *generation,
            result: Ok(vec![group("周老师", [20, 15, 15, 10, 10, 0])]),
        },
    );
    update(&mut app, Action::ReportDrillDown);
    assert_eq!(app.students.filter.counselor.as_deref(), Some("周老师"));
    assert_eq!(app.students.view.len(), 20);
}

#[test]
fn the_totals_line_always_sums_all_groups() {
    let many: Vec<GroupCounts> = (0..30)
        .map(|i| group(&format!("学院{i:02}"), [10, 5, 5, 5, 5, 0]))
        .collect();
    let app = on_reports((80, 24), many);
    let shown = screen(&app);
    assert!(shown.contains("合计（全部 30 个）"), "{shown}");
    assert!(
        shown.contains(" 300 "),
        "the sum of all 30, not of those shown: {shown}"
    );
    let title = shown.lines().nth(3).unwrap();
    assert!(
        title.contains("1–"),
        "which are shown, in the title: {title}"
    );
    assert!(!shown.contains("合计 1-"), "{shown}");
}

#[test]
fn a_first_code_is_issued_not_reissued() {
    let mut app = fixture_app((100, 30));
    update(&mut app, Action::ShowCode);
    let student = app.selected_row().unwrap().student.clone();
    let generation = app.code_generation;
    update(
        &mut app,
        Action::CodeLoaded {
            generation,
            result: Ok(Box::new(CodeCard {
                student,
                codes: Vec::new(),
                qr: None,
            })),
        },
    );
    update(
        &mut app,
        Action::Reissued {
            generation,
            result: Ok(12),
        },
    );
    let Overlay::Code(code) = &app.overlay else {
        panic!("the code window")
    };
    assert_eq!(code.notice, Some(Ok("已发放，序号 12".to_string())));
}
