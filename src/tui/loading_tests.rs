//! The first screen (docs/console.md): the first page of rows arrives as its own answer before
//! the whole roster, is drawn without claiming totals it does not know, and gives way to the
//! roster.

use std::sync::Arc;

use super::action::{Action, Effect};
use super::app::update;
use super::keymap::Keymap;
use super::render_tests::{fixture_counts, fixture_rows, fresh_app, screen};
use super::roster::Roster;
use super::theme::Theme;

fn fresh() -> super::app::App {
    fresh_app(
        (80, 24),
        Keymap::default(),
        Theme::built_in("default").unwrap(),
    )
}

#[test]
fn the_first_page_is_drawn_with_its_totals_unknown_then_gives_way_to_the_roster() {
    let mut a = fresh();
    update(&mut a, Action::Reload);
    let g = a.generation;
    let rows = fixture_rows();
    let page: Vec<_> = rows[..20].to_vec();
    assert!(
        update(
            &mut a,
            Action::PageLoaded {
                generation: g,
                result: Ok(page.clone()),
            }
        )
        .is_empty()
    );
    assert!(a.students.partial && !a.students.loaded);
    assert_eq!(a.students.view.len(), 20);
    let text = screen(&a);
    assert!(text.contains(&page[0].student.student_no), "{text}");
    // the position is against an unknown total; the status bar has no "shown/loaded" yet, and
    // the header says the counts are being read
    assert!(text.contains("1/…"), "{text}");
    assert!(!text.contains("1/20"), "{text}");
    assert!(!text.contains("20/20"), "{text}");
    assert!(text.contains("统计读取中"), "{text}");
    // moving works inside the page; a search waits for the roster
    update(&mut a, Action::MoveDown);
    assert_eq!(a.students.selected, 1);
    let selected = a.selected_row().unwrap().id;

    update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Ok(Roster::new(rows.clone())),
        },
    );
    update(
        &mut a,
        Action::CountsLoaded {
            generation: g,
            result: Ok(fixture_counts()),
        },
    );
    assert!(a.students.loaded && !a.students.partial);
    assert_eq!(a.students.view.len(), rows.len());
    assert_eq!(
        a.selected_row().unwrap().id,
        selected,
        "the same student stays selected"
    );
    let text = screen(&a);
    assert!(text.contains(&format!("2/{}", rows.len())), "{text}");
}

#[test]
fn a_page_is_not_shown_over_a_loaded_roster_a_filter_or_an_older_load() {
    // a reload of a roster already shown keeps it until the new one is in
    let mut a = super::render_tests::fixture_app((80, 24));
    update(&mut a, Action::Reload);
    let g = a.generation;
    let before = a.students.view.clone();
    let page = fixture_rows()[..5].to_vec();
    assert!(!a.students.page_arrived(Ok(page.clone())));
    update(
        &mut a,
        Action::PageLoaded {
            generation: g,
            result: Ok(page.clone()),
        },
    );
    assert_eq!(a.students.view, before);
    assert!(!a.students.partial);

    // a filter chosen before anything came: the page is not what the list starts with
    let mut a = fresh();
    update(&mut a, Action::Reload);
    update(&mut a, Action::CycleMissing);
    let g = a.generation;
    update(
        &mut a,
        Action::PageLoaded {
            generation: g,
            result: Ok(page.clone()),
        },
    );
    assert!(a.students.view.is_empty() && !a.students.partial);

    // an answer to an older load is dropped
    let mut a = fresh();
    update(&mut a, Action::Reload);
    let old = a.generation;
    update(&mut a, Action::Reload);
    update(
        &mut a,
        Action::PageLoaded {
            generation: old,
            result: Ok(page),
        },
    );
    assert!(a.students.view.is_empty());
}

#[test]
fn a_failed_roster_takes_the_page_away_and_says_why() {
    let mut a = fresh();
    update(&mut a, Action::Reload);
    let g = a.generation;
    update(
        &mut a,
        Action::PageLoaded {
            generation: g,
            result: Ok(fixture_rows()[..5].to_vec()),
        },
    );
    assert!(a.students.partial);
    update(
        &mut a,
        Action::StudentsLoaded {
            generation: g,
            result: Err("connection refused".into()),
        },
    );
    assert!(a.students.view.is_empty() && !a.students.partial);
    let text = screen(&a);
    assert!(text.contains("读不到学生名单"), "{text}");
}

/// The tasks of a load answer the first page before the roster, whatever the timing: the
/// roster is read only after the page was sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_page_arrives_as_its_own_answer_before_the_roster() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("caiji.db").display());
    let store: Arc<dyn crate::store::Store> = Arc::from(
        crate::store::open(&url, crate::store::Create::IfMissing)
            .await
            .unwrap(),
    );
    let n = super::tasks::FIRST_PAGE as usize + 50;
    let students = crate::demo::generate(n, 3, 2026).students;
    store.insert_students(&students).await.unwrap();

    let mut a = fresh();
    let effects = update(&mut a, Action::Reload);
    assert!(
        matches!(effects.first(), Some(Effect::Load { .. })),
        "{effects:?}"
    );
    let keys = dir.path().join("caiji.keys");
    let env = super::tasks::Env {
        store: store.clone(),
        school: super::render_tests::school(),
        operator: "zhanglaoshi".into(),
        keys: Arc::new(crate::ops::checkin::StationKeys::load(&keys)),
        key_file: keys,
        export_dir: dir.path().join("exports"),
        station: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut running = super::tasks::Running::default();
    super::tasks::start(effects, &env, &mut running, &tx, std::convert::identity);
    let mut seen = Vec::new();
    let mut page_rows = None;
    while !a.students.loaded {
        let action = tokio::time::timeout(std::time::Duration::from_secs(60), rx.recv())
            .await
            .expect("an answer")
            .expect("channel open");
        match &action {
            Action::PageLoaded { result, .. } => {
                seen.push("page");
                page_rows = Some(result.clone().expect("the page reads"));
            }
            Action::StudentsLoaded { .. } => seen.push("roster"),
            _ => {}
        }
        let more = update(&mut a, action);
        if seen == ["page"] {
            // drawn from the page alone, before the roster came
            assert!(a.students.partial);
            assert!(screen(&a).contains("1/…"));
        }
        super::tasks::start(more, &env, &mut running, &tx, std::convert::identity);
    }
    running.abort_all();
    assert_eq!(seen, ["page", "roster"]);
    let page = page_rows.unwrap();
    assert_eq!(page.len(), super::tasks::FIRST_PAGE as usize);
    let listed = store
        .list_students(&crate::store::StudentFilter {
            cohort: Some(2026),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        page[..],
        listed[..page.len()],
        "the page is the list's first rows"
    );
    assert_eq!(a.students.roster.len(), listed.len());
    store.close().await;
}
