//! The Reports screen: what its keys do (`update`), how it looks (snapshots at 80×24 and
//! 120×40 with Chinese college names), and an export from the screen read back with calamine.

use chrono::NaiveDate;
use ratatui::crossterm::event::KeyCode;

use super::action::{Action, Effect, ReportData, Screen};
use super::app::{App, update};
use super::keymap::{Key, Mode, Scope};
use super::render_tests::{fixture_app, screen};
use crate::export::FileKind;
use crate::store::{DailyProgress, GroupBy, GroupCounts};

fn group(name: &str, parent: &str, n: [i64; 6]) -> GroupCounts {
    GroupCounts::new(name.into(), parent.into(), n)
}

fn colleges() -> Vec<GroupCounts> {
    vec![
        group("外国语学院", "", [86, 86, 80, 61, 58, 2]),
        group("计算机科学与技术学院", "", [412, 398, 377, 240, 201, 9]),
        group("马克思主义学院", "", [35, 0, 0, 0, 0, 0]),
        group("经济与管理学院", "", [260, 251, 260, 260, 260, 0]),
        group("艺术设计学院", "", [121, 97, 64, 30, 12, 5]),
    ]
}

/// `colleges()` as the screen lists them: those of the roster loaded in pinyin order (计算机
/// before 外国语), the others after them as they came.
fn in_screen_order() -> Vec<GroupCounts> {
    let c = colleges();
    vec![
        c[1].clone(),
        c[0].clone(),
        c[2].clone(),
        c[3].clone(),
        c[4].clone(),
    ]
}

fn classes() -> Vec<GroupCounts> {
    let cs = "计算机科学与技术学院";
    vec![
        group("计科2201", cs, [41, 41, 40, 30, 28, 1]),
        group("计科2202", cs, [39, 35, 33, 20, 15, 0]),
        group("软工2201", cs, [44, 44, 44, 44, 44, 0]),
        group("网安2201", cs, [38, 30, 12, 0, 0, 0]),
    ]
}

fn daily() -> Vec<DailyProgress> {
    let day = |d: u32, checked_in: i64, photo_valid: i64| DailyProgress {
        day: NaiveDate::from_ymd_opt(2026, 3, d).unwrap(),
        checked_in,
        photo_valid,
    };
    vec![
        day(2, 120, 0),
        day(3, 188, 95),
        day(4, 160, 170),
        day(5, 92, 140),
        day(6, 31, 126),
    ]
}

/// The fixture app on the Reports screen, its data answered.
fn on_reports(size: (u16, u16)) -> App {
    let mut app = fixture_app(size);
    update(&mut app, Action::ScreenReports);
    let generation = app.reports.generation;
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Ok(ReportData {
                colleges: colleges(),
                daily: daily(),
            }),
        },
    );
    app
}

fn breakdown_effect(effects: &[Effect]) -> (u64, String, GroupBy) {
    match effects {
        [
            Effect::LoadBreakdown {
                generation,
                college,
                by,
                cohort,
            },
        ] => {
            assert_eq!(*cohort, Some(2026));
            (*generation, college.clone(), *by)
        }
        other => panic!("expected one breakdown read, got {other:?}"),
    }
}

#[test]
fn the_screen_reads_its_data_once_and_again_on_reload() {
    let mut app = fixture_app((80, 24));
    assert!(!app.reports.requested);
    let effects = update(&mut app, Action::ScreenReports);
    assert_eq!(
        effects,
        vec![Effect::LoadReports {
            generation: 1,
            cohort: Some(2026)
        }]
    );
    assert!(update(&mut app, Action::ScreenStudents).is_empty());
    assert!(
        update(&mut app, Action::ScreenReports).is_empty(),
        "read once, not on every visit"
    );
    let effects = update(&mut app, Action::Reload);
    assert!(matches!(effects[0], Effect::Load { .. }), "{effects:?}");
    assert_eq!(
        effects[1],
        Effect::LoadReports {
            generation: 2,
            cohort: Some(2026)
        }
    );
    // an answer to the first read is stale now
    let stale = Action::ReportsLoaded {
        generation: 1,
        result: Ok(ReportData::default()),
    };
    update(&mut app, stale);
    assert_eq!(app.reports.data, None);
    assert!(app.reports.loading);
}

#[test]
fn drill_down_and_back_keep_the_selection() {
    let mut app = on_reports((80, 24));
    let mode = app.mode();
    assert_eq!(mode, Mode::Screen(Screen::Reports));
    let enter = app
        .keymap
        .lookup(&Scope::active(mode), Key::code(KeyCode::Enter));
    assert_eq!(enter, Some(Action::ReportDrillDown));
    update(&mut app, Action::MoveDown);
    assert_eq!(app.reports.selected, 1);
    let (generation, college, by) = breakdown_effect(&update(&mut app, Action::ReportDrillDown));
    assert_eq!((college.as_str(), by), ("外国语学院", GroupBy::Class));
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation,
            result: Ok(classes()),
        },
    );
    update(&mut app, Action::Last);
    assert_eq!(app.reports.rows().1, 3, "moves within the classes");
    assert_eq!(
        app.reports.selected, 1,
        "the college stays selected underneath"
    );

    // t: the same college's counselors
    let (g2, college, by) = breakdown_effect(&update(&mut app, Action::ReportSwitchGroup));
    assert_eq!((college.as_str(), by), ("外国语学院", GroupBy::Counselor));
    // the classes' answer arriving late is dropped
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation,
            result: Ok(classes()),
        },
    );
    assert_eq!(app.reports.breakdown.as_ref().unwrap().groups, None);
    let counselors = vec![
        group("周老师", "", [200, 190, 180, 120, 100, 4]),
        group("王老师", "", [212, 208, 197, 120, 101, 5]),
    ];
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation: g2,
            result: Ok(counselors.clone()),
        },
    );
    assert_eq!(app.reports.rows().0, counselors.as_slice());
    // t again goes back to the classes
    let (_, _, by) = breakdown_effect(&update(&mut app, Action::ReportSwitchGroup));
    assert_eq!(by, GroupBy::Class);

    let esc = app
        .keymap
        .lookup(&Scope::active(app.mode()), Key::code(KeyCode::Esc));
    assert_eq!(esc, Some(Action::ReportBack));
    update(&mut app, Action::ReportBack);
    assert_eq!(app.reports.breakdown, None);
    assert_eq!(
        app.reports.rows(),
        (in_screen_order().as_slice(), 1),
        "back on the college that was opened"
    );
    assert!(update(&mut app, Action::ReportBack).is_empty());

    // t from the colleges opens the selected college's counselors straight away
    let (_, college, by) = breakdown_effect(&update(&mut app, Action::ReportSwitchGroup));
    assert_eq!((college.as_str(), by), ("外国语学院", GroupBy::Counselor));
}

#[test]
fn reload_keeps_the_college_opened_and_the_selected_line() {
    let mut app = on_reports((80, 24));
    update(&mut app, Action::Last);
    let (generation, _, _) = breakdown_effect(&update(&mut app, Action::ReportDrillDown));
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation,
            result: Ok(classes()),
        },
    );
    update(&mut app, Action::MoveDown);
    let effects = update(&mut app, Action::Reload);
    let reads: Vec<&Effect> = effects
        .iter()
        .filter(|e| !matches!(e, Effect::Load { .. }))
        .collect();
    assert!(matches!(reads[0], Effect::LoadReports { .. }), "{reads:?}");
    let Effect::LoadBreakdown {
        generation,
        college,
        ..
    } = reads[1]
    else {
        panic!("{reads:?}")
    };
    assert_eq!(college, "艺术设计学院");
    // the list comes back in another order: the same class stays selected
    let mut reordered = classes();
    reordered.reverse();
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation: *generation,
            result: Ok(reordered),
        },
    );
    let (rows, at) = app.reports.rows();
    assert_eq!(rows[at].group, "计科2202");
    let generation = app.reports.generation;
    let mut fewer = colleges();
    fewer.remove(0);
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Ok(ReportData {
                colleges: fewer,
                daily: vec![],
            }),
        },
    );
    assert_eq!(
        app.reports.colleges()[app.reports.selected].group,
        "艺术设计学院"
    );
}

#[test]
fn moving_stays_in_bounds() {
    let mut app = on_reports((80, 24));
    for (action, want) in [
        (Action::MoveUp, 0),
        (Action::PageDown, 4),
        (Action::MoveDown, 4),
        (Action::First, 0),
        (Action::Last, 4),
    ] {
        update(&mut app, action.clone());
        assert_eq!(app.reports.selected, want, "{action:?}");
    }
    // the student list is not moved by keys on this screen
    assert_eq!(app.students.selected, 0);
}

#[test]
fn export_asks_for_the_report_on_screen_and_shows_the_answer() {
    let mut app = on_reports((80, 24));
    let key = app
        .keymap
        .lookup(&Scope::active(app.mode()), Key::plain('e'));
    assert_eq!(key, Some(Action::ExportReportXlsx));
    let effects = update(&mut app, Action::ExportReportXlsx);
    let [
        Effect::ExportReport {
            generation,
            scope,
            groups,
            kind,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (scope.by, scope.cohort, scope.college.as_deref(), *kind),
        (GroupBy::College, Some(2026), None, FileKind::Xlsx)
    );
    assert_eq!(groups, &in_screen_order());
    assert!(
        update(&mut app, Action::ExportReportCsv).is_empty(),
        "one export at a time"
    );
    assert!(screen(&app).contains("正在导出…"), "{}", screen(&app));
    let path = std::path::PathBuf::from("/data/exports/report-college-20260306-101500.xlsx");
    update(
        &mut app,
        Action::ReportExported {
            generation: *generation,
            result: Ok(path),
        },
    );
    let shown = screen(&app);
    let status = shown.lines().last().unwrap();
    assert!(
        status.contains("/report-college-20260306-101500.xlsx"),
        "the file's name first: {status}"
    );
    update(&mut app, Action::Resize(120, 40));
    let status = screen(&app).lines().last().unwrap().to_string();
    assert!(
        status.contains("已导出 → /data/exports/report-college-20260306-101500.xlsx"),
        "{status}"
    );

    // in a college: its classes, as CSV; an error goes to the status bar
    let (g, _, _) = breakdown_effect(&update(&mut app, Action::ReportDrillDown));
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation: g,
            result: Ok(classes()),
        },
    );
    let effects = update(&mut app, Action::ExportReportCsv);
    let [
        Effect::ExportReport {
            generation,
            scope,
            groups,
            kind,
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (scope.by, scope.college.as_deref(), *kind),
        (GroupBy::Class, Some("计算机科学与技术学院"), FileKind::Csv)
    );
    assert_eq!(groups, &classes());
    let error = "cannot write /data/exports/x.csv: Permission denied".to_string();
    update(
        &mut app,
        Action::ReportExported {
            generation: *generation,
            result: Err(error.clone()),
        },
    );
    assert_eq!(app.last_error, Some(error));
    assert!(!app.reports.exporting);
    assert!(screen(&app).contains("cannot write"));
}

#[test]
fn export_before_the_report_is_read_says_so() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::ScreenReports);
    assert!(update(&mut app, Action::ExportReportXlsx).is_empty());
    assert!(
        app.last_error
            .as_deref()
            .is_some_and(|e| e.contains("报表还没有读出来")),
        "{:?}",
        app.last_error
    );
}

#[test]
fn a_failed_read_is_shown_and_a_reload_tries_again() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::ScreenReports);
    let generation = app.reports.generation;
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Err("connection refused".into()),
        },
    );
    let shown = screen(&app);
    assert!(shown.contains("读不到报表：connection refused"), "{shown}");
    assert!(
        update(&mut app, Action::ReportDrillDown).is_empty(),
        "nothing to open"
    );
    let effects = update(&mut app, Action::Reload);
    assert!(effects.contains(&Effect::LoadReports {
        generation: generation + 1,
        cohort: Some(2026)
    }));
}

#[test]
fn help_and_palette_list_the_screen_actions() {
    let app = on_reports((80, 24));
    let scopes = super::ui::help::scopes(&app);
    assert_eq!(scopes, vec![Scope::Reports, Scope::Global, Scope::Help]);
    let entries = super::overlay::palette_entries(&app.keymap, app.mode(), "export");
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    assert!(
        names.contains(&"export_report_xlsx") && names.contains(&"export_report_csv"),
        "{names:?}"
    );
    // rebinding works like any other action
    let overrides: std::collections::BTreeMap<String, String> =
        [("export_report_xlsx".to_string(), "x".to_string())].into();
    let map = super::keymap::Keymap::with_overrides(&overrides).unwrap();
    assert_eq!(
        map.lookup(&Scope::active(app.mode()), Key::plain('x')),
        Some(Action::ExportReportXlsx)
    );
}

fn assert_lines_fit(shown: &str, width: usize) {
    for line in shown.lines() {
        assert_eq!(unicode_width::UnicodeWidthStr::width(line), width, "{line}");
    }
}

#[test]
fn reports_80x24() {
    let app = on_reports((80, 24));
    let shown = screen(&app);
    assert_lines_fit(&shown, 80);
    insta::assert_snapshot!("reports_80x24", shown);
}

#[test]
fn reports_120x40() {
    let app = on_reports((120, 40));
    let shown = screen(&app);
    assert_lines_fit(&shown, 120);
    assert!(
        shown.contains("计算机科学与技术学院"),
        "whole names at 120 columns:\n{shown}"
    );
    insta::assert_snapshot!("reports_120x40", shown);
}

#[test]
fn reports_classes_of_a_college_80x24() {
    let mut app = on_reports((80, 24));
    update(&mut app, Action::MoveDown);
    let (generation, _, _) = breakdown_effect(&update(&mut app, Action::ReportDrillDown));
    update(
        &mut app,
        Action::BreakdownLoaded {
            generation,
            result: Ok(classes()),
        },
    );
    let shown = screen(&app);
    assert_lines_fit(&shown, 80);
    insta::assert_snapshot!("reports_classes_80x24", shown);
}

#[test]
fn reports_reading_and_empty_80x24() {
    let mut app = fixture_app((80, 24));
    update(&mut app, Action::ScreenReports);
    let reading = screen(&app);
    assert!(reading.contains("读取中…"), "{reading}");
    let generation = app.reports.generation;
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Ok(ReportData::default()),
        },
    );
    let shown = screen(&app);
    assert_lines_fit(&shown, 80);
    insta::assert_snapshot!("reports_empty_80x24", shown);
}

#[test]
fn without_colours_the_two_bars_of_a_day_differ_by_weight() {
    use ratatui::style::Modifier;
    let mut app = on_reports((80, 24));
    app.theme = super::theme::Theme::built_in("mono").expect("mono");
    let buffer = super::render_tests::draw(&app);
    let chart_top = super::render_tests::text(&buffer)
        .lines()
        .position(|l| l.contains("每日进度"))
        .expect("chart title");
    let area = buffer.area;
    let bars: Vec<Modifier> = (chart_top as u16 + 1..area.height)
        .flat_map(|y| (0..area.width).map(move |x| (x, y)))
        .map(|(x, y)| &buffer[(x, y)])
        .filter(|c| c.symbol() == "█")
        .map(|c| c.modifier & (Modifier::BOLD | Modifier::DIM))
        .collect();
    assert!(bars.contains(&Modifier::BOLD), "check-in bars are bold");
    assert!(bars.contains(&Modifier::DIM), "photo bars are dim");
    assert!(
        bars.iter()
            .all(|m| *m == Modifier::BOLD || *m == Modifier::DIM),
        "{bars:?}"
    );
}

#[test]
fn gauges_fill_by_eighths() {
    use super::ui::reports::bar;
    let cases = [
        ((0, 10, 4), "░░░░"),
        ((10, 10, 4), "████"),
        ((5, 10, 4), "██░░"),
        ((1, 8, 2), "▎░"),
        ((3, 0, 3), "░░░"),
        ((12, 10, 2), "██"),
    ];
    for ((part, whole, cells), want) in cases {
        assert_eq!(bar(part, whole, cells), want, "{part}/{whole} in {cells}");
    }
}

/// The whole path of an export from the screen: the effect `update` asks for runs as a task on
/// a real SQLite store, its answer comes back through `update`, and the file it names reads
/// back with calamine with the numbers of the store; the export is in the audit trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_the_screen_writes_a_workbook_calamine_reads() {
    use calamine::{Data, Reader, Xlsx};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
    let store: Arc<dyn crate::store::Store> = Arc::from(
        crate::store::open(&url, crate::store::Create::IfMissing)
            .await
            .unwrap(),
    );
    let students = crate::demo::generate(120, 3, 2026).students;
    store.insert_students(&students).await.unwrap();
    let by_college = store
        .completion(GroupBy::College, Some(2026))
        .await
        .unwrap();

    let mut app = fixture_app((80, 24));
    update(&mut app, Action::ScreenReports);
    let generation = app.reports.generation;
    let data = ReportData {
        colleges: by_college.clone(),
        daily: vec![],
    };
    update(
        &mut app,
        Action::ReportsLoaded {
            generation,
            result: Ok(data),
        },
    );
    let effects = update(&mut app, Action::ExportReportXlsx);

    let exports = dir.path().join("exports");
    let env = super::tasks::Env {
        store: store.clone(),
        school: super::render_tests::school(),
        operator: "zhanglaoshi".into(),
        key_file: dir.path().join("caiji.keys"),
        keys: std::sync::Arc::new(crate::ops::checkin::StationKeys::load(
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
    let Action::ReportExported {
        result: Ok(path), ..
    } = &answer
    else {
        panic!("{answer:?}")
    };
    assert_eq!(
        path.parent(),
        Some(exports.as_path()),
        "written into the export folder"
    );
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("report-college-") && name.ends_with(".xlsx"),
        "{name}"
    );
    update(&mut app, answer.clone());
    assert!(
        screen(&app).contains(&*name),
        "the status bar names the file"
    );

    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let sheets = book.sheet_names().to_vec();
    assert_eq!(
        sheets.len(),
        5,
        "the summary and one sheet per missing list: {sheets:?}"
    );
    let summary = book.worksheet_range(&sheets[0]).unwrap();
    let rows: Vec<&[Data]> = summary.rows().collect();
    assert_eq!(rows.len(), by_college.len() + 2, "header, colleges, total");
    // the file lists the colleges as the screen does (pinyin order): compared by name here
    let mut by_college = by_college.clone();
    by_college.sort_by(|a, b| a.group.cmp(&b.group));
    let mut rows: Vec<&[Data]> = rows[1..rows.len() - 1].to_vec();
    rows.sort_by_key(|r| r[0].to_string());
    for (row, want) in rows.iter().zip(&by_college) {
        assert_eq!(row[0].to_string(), want.group);
        let n = |i: usize| match row[i] {
            Data::Float(x) => x as i64,
            Data::Int(x) => x,
            ref other => panic!("a number, not {other:?}"),
        };
        assert_eq!(
            [n(1), n(2), n(5)],
            [want.total, want.code_active, want.photo_valid]
        );
    }
    let no_code = book.worksheet_range(&sheets[1]).unwrap();
    assert_eq!(
        no_code.rows().count() - 1,
        students.len(),
        "nobody has a code yet"
    );

    let filter = crate::store::AuditFilter {
        action: Some("report".into()),
        ..Default::default()
    };
    let audit = store.audit_entries(&filter).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].entry.operator, "zhanglaoshi");
    assert!(
        audit[0].entry.detail.contains(&*name),
        "{}",
        audit[0].entry.detail
    );

    // a second export in the same second gets its own file
    let scope = crate::ops::report_files::ReportScope {
        by: GroupBy::College,
        cohort: None,
        college: None,
    };
    let now = chrono::NaiveDate::from_ymd_opt(2026, 3, 6)
        .unwrap()
        .and_hms_opt(10, 15, 0)
        .unwrap();
    let first = super::tasks::export_path(&exports, &scope, FileKind::Csv, now).unwrap();
    std::fs::write(&first, "x").unwrap();
    let second = super::tasks::export_path(&exports, &scope, FileKind::Csv, now).unwrap();
    assert_ne!(first, second);
    let college = crate::ops::report_files::ReportScope {
        college: Some("计算机/学院 ..".into()),
        by: GroupBy::Class,
        cohort: None,
    };
    let named = super::tasks::export_path(&exports, &college, FileKind::Xlsx, now).unwrap();
    assert_eq!(
        named.file_name().unwrap().to_string_lossy(),
        "report-class-计算机_学院___-20260306-101500.xlsx"
    );
    store.close().await;
}
