//! What the console's jobs need from storage (issue 20), on every backend: one photo state for a
//! student with several files, a walk-in moved to the session that took them (audited, counts
//! agreeing), a student's check-ins for their history, and the daily progress of one college.

mod common;

use caiji::store::{
    self, CheckinStatus, Create, GroupBy, NewSession, PhotoFileStatus, PhotoRecord, PhotoStatus,
    StudentFilter, StudentSelection,
};
use chrono::NaiveDateTime;
use common::TestDb;

async fn open(db: &TestDb) -> Box<dyn store::Store> {
    store::open(&db.url, Create::IfMissing)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.url))
}

fn at(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
}

fn session(title: &str, day: &str, capacity: i32) -> NewSession {
    NewSession {
        title: title.into(),
        location: "体育馆".into(),
        starts_at: caiji::clock::from_local(at(&format!("{day} 08:30"))),
        ends_at: caiji::clock::from_local(at(&format!("{day} 11:30"))),
        capacity,
        stations: 1,
        makeup: false,
    }
}

fn photo(path: &str, id: i64, no: &str, status: PhotoFileStatus) -> PhotoRecord {
    PhotoRecord {
        path: path.into(),
        student_id: Some(id),
        student_no: Some(no.into()),
        id_number: None,
        size: 30_000,
        mtime: 1,
        sha256: format!("{:0>64}", path.len()),
        width: Some(480),
        height: Some(640),
        status,
        problems: String::new(),
        spec: "480x640/20480-40000".into(),
    }
}

/// Two valid files of one student are "choose one": not invalid in the list, nor in the
/// report, and still without a valid photo.
async fn two_files_are_choose_one_not_invalid(db: &TestDb) {
    let s = open(db).await;
    let students: Vec<_> = (1..=3)
        .map(|i| common::student(&format!("2026000{i}"), "张三"))
        .collect();
    s.insert_students(&students).await.unwrap();
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let id = |n: usize| rows[n].id;
    let no = |n: usize| rows[n].student.student_no.clone();
    s.apply_photos(
        "/p/",
        &[
            photo("/p/a.jpg", id(0), &no(0), PhotoFileStatus::Duplicate),
            photo("/p/b/a.jpg", id(0), &no(0), PhotoFileStatus::Duplicate),
            photo("/p/c.jpg", id(1), &no(1), PhotoFileStatus::Invalid),
        ],
        None,
        "op",
    )
    .await
    .unwrap();
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let states: Vec<PhotoStatus> = rows.iter().map(|r| r.photo_status).collect();
    assert_eq!(
        states,
        [
            PhotoStatus::Duplicate,
            PhotoStatus::Invalid,
            PhotoStatus::Missing
        ]
    );
    assert!(!rows[0].progress().photo_valid, "not a valid photo yet");
    // the students looked up by id say the same
    let again = s.students_by_id(&[id(0)]).await.unwrap();
    assert_eq!(again[0].photo_status, PhotoStatus::Duplicate);
    let report = s.completion(GroupBy::College, None).await.unwrap();
    let g = &report[0];
    assert_eq!(
        (
            g.photo_valid,
            g.photo_invalid,
            g.photo_duplicate,
            g.photo_missing
        ),
        (0, 1, 1, 1)
    );
    s.close().await;
}

/// A walk-in names the session they belong to; taken, they are moved here: the other session
/// lists and counts them no more, this one does, the move is in their audit trail, and their
/// check-in is in their history.
async fn a_walk_in_is_moved_and_audited(db: &TestDb) {
    let s = open(db).await;
    let students: Vec<_> = (1..=3)
        .map(|i| common::student(&format!("2026100{i}"), "李四"))
        .collect();
    s.insert_students(&students).await.unwrap();
    let theirs = s
        .add_session(&session("上午场", "2099-05-01", 10), "op")
        .await
        .unwrap();
    let here = s
        .add_session(&session("补录", "2099-05-02", 10), "op")
        .await
        .unwrap();
    let pick = |nos: &[&str]| StudentSelection {
        student_nos: nos.iter().map(|n| n.to_string()).collect(),
        ..Default::default()
    };
    s.assign(theirs, &pick(&["20261001", "20261002"]), "op")
        .await
        .unwrap();
    s.assign(here, &pick(&["20261003"]), "op").await.unwrap();

    // refused first, naming their own session
    let refused = s
        .check_in(here, "20261001", "A1", "station", false)
        .await
        .unwrap();
    assert_eq!(
        refused.status,
        CheckinStatus::NotInSession {
            their_session: Some(theirs)
        }
    );
    // taken on confirmation
    let taken = s
        .check_in(here, "20261001", "A1", "station", true)
        .await
        .unwrap();
    assert_eq!(
        taken.status,
        CheckinStatus::CheckedIn {
            shot: 1,
            walk_in: true
        }
    );
    assert_eq!(taken.moved_from, Some(theirs));
    let assigned = |id| {
        let s = &s;
        async move { s.session(id).await.unwrap().unwrap().assigned }
    };
    assert_eq!(assigned(theirs).await, 1, "left the other session");
    assert_eq!(assigned(here).await, 2, "counted here");
    let list = s.session_students(here).await.unwrap();
    let me = list.iter().find(|x| x.student_no == "20261001").unwrap();
    assert!(me.assigned && me.walk_in && me.shot == Some(1));
    let row = s
        .list_students(&StudentFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.student.student_no == "20261001")
        .unwrap();
    assert_eq!(row.session_id, Some(here));
    assert!(row.checked_in);
    let schedule = s.schedule().await.unwrap();
    let per_session = |id| {
        schedule
            .iter()
            .filter(|g| g.session_id == id)
            .map(|g| g.students)
            .sum::<i64>()
    };
    assert_eq!((per_session(theirs), per_session(here)), (1, 2));
    let audit = s.audit_log(Some("20261001"), 10).await.unwrap();
    assert_eq!(audit[0].entry.action, "checkin_walk_in");
    assert_eq!(audit[0].entry.operator, "station");
    assert!(
        audit[0]
            .entry
            .detail
            .contains(&format!("moved from session {theirs}")),
        "{}",
        audit[0].entry.detail
    );
    let history = s.student_checkins("20261001").await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].session_id, history[0].shot, history[0].walk_in),
        (here, 1, true)
    );
    assert_eq!(history[0].station, "A1");
    // a student without any session is taken and assigned here, audited as such
    let nobody = common::student("20261009", "王五");
    s.insert_students(&[nobody]).await.unwrap();
    let taken = s
        .check_in(here, "20261009", "A1", "station", true)
        .await
        .unwrap();
    assert_eq!(taken.moved_from, None);
    assert_eq!(assigned(here).await, 3);
    let audit = s.audit_log(Some("20261009"), 10).await.unwrap();
    assert!(audit[0].entry.detail.contains("had no session"));
    // an ordinary check-in moves nobody and writes no walk-in entry
    let plain = s
        .check_in(theirs, "20261002", "B1", "station", false)
        .await
        .unwrap();
    assert_eq!(plain.moved_from, None);
    assert!(
        s.audit_log(Some("20261002"), 10)
            .await
            .unwrap()
            .iter()
            .all(|a| a.entry.action != "checkin_walk_in")
    );
    s.close().await;
}

/// Inside a college, the daily chart counts that college's students only.
async fn daily_progress_of_one_college(db: &TestDb) {
    let s = open(db).await;
    let mut a = common::student("20262001", "赵六");
    a.college = "外国语学院".into();
    let b = common::student("20262002", "钱七");
    s.insert_students(&[a, b]).await.unwrap();
    let id = s
        .add_session(&session("上午场", "2099-05-03", 10), "op")
        .await
        .unwrap();
    s.assign(
        id,
        &StudentSelection {
            student_nos: vec!["20262001".into(), "20262002".into()],
            ..Default::default()
        },
        "op",
    )
    .await
    .unwrap();
    for no in ["20262001", "20262002"] {
        s.check_in(id, no, "A1", "op", false).await.unwrap();
    }
    let all: i64 = s
        .daily_progress(None)
        .await
        .unwrap()
        .iter()
        .map(|d| d.checked_in)
        .sum();
    let one: i64 = s
        .daily_progress(Some("外国语学院"))
        .await
        .unwrap()
        .iter()
        .map(|d| d.checked_in)
        .sum();
    let none = s.daily_progress(Some("没有这个学院")).await.unwrap();
    assert_eq!((all, one, none.len()), (2, 1, 0));
    s.close().await;
}

backend_tests! {
    photo_state_two_files => two_files_are_choose_one_not_invalid;
    walk_in_moved_and_audited => a_walk_in_is_moved_and_audited;
    daily_progress_by_college => daily_progress_of_one_college;
}
