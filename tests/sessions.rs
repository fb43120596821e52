//! Sessions on SQLite, PostgreSQL and MariaDB: assigning, planning, check-in (also with eight
//! stations at once), schedules — and the `caiji sessions` commands end to end.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use caiji::domain::planner::{self, PlanInput};
use caiji::store::{
    self, CheckinStatus, Create, NewSession, PlanKind, StoreError, StudentSelection, TokenLookup,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common::{TestDb, exec, scalar};
use rand::SeedableRng;

async fn open(db: &TestDb) -> Box<dyn store::Store> {
    store::open(&db.url, Create::IfMissing)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.url))
}

fn wall(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// The moment a wall-clock time names on this machine's clock (as `--start` reads it).
fn at(text: &str) -> DateTime<Utc> {
    caiji::clock::from_local(wall(text))
}

/// A moment written in UTC (as raw SQL in these tests stores it).
fn utc(text: &str) -> DateTime<Utc> {
    wall(text).and_utc()
}

fn now() -> DateTime<Utc> {
    caiji::clock::now()
}

fn new_session(title: &str, start: &str, end: &str, capacity: i32) -> NewSession {
    NewSession {
        title: title.into(),
        location: "体育馆".into(),
        starts_at: at(start),
        ends_at: at(end),
        capacity,
        stations: 1,
        makeup: false,
    }
}

fn stu(no: &str, name: &str, college: &str, class: &str) -> caiji::domain::Student {
    caiji::domain::Student {
        college: college.into(),
        class: class.into(),
        ..common::student(no, name)
    }
}

/// Gives every student an active code whose token is `CJ1:` + 学号.
async fn issue_codes(db: &TestDb) {
    // MySQL spells concatenation CONCAT (|| is OR there).
    let token = if db.server == common::Server::Mysql {
        "CONCAT('CJ1:', student_no)"
    } else {
        "'CJ1:' || student_no"
    };
    exec(
        db,
        &format!(
            "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) \
             SELECT id, id, 1, {token}, 'active', '2026-01-01 08:00:00' FROM students"
        ),
    )
    .await
    .expect("issue codes");
}

fn nos(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|i| format!("S{i:04}")).collect()
}

async fn add_and_list(db: &TestDb) {
    let s = open(db).await;
    let b = s
        .add_session(
            &new_session("下午场", "2099-03-02 14:00", "2099-03-02 17:00", 50),
            "教务处",
        )
        .await
        .unwrap();
    let a = s
        .add_session(
            &new_session("上午场, 一楼", "2099-03-02 08:30", "2099-03-02 11:30", 30),
            "教务处",
        )
        .await
        .unwrap();
    assert_ne!(a, b);
    let list = s.list_sessions().await.unwrap();
    assert_eq!(
        list.iter().map(|r| r.id).collect::<Vec<_>>(),
        [a, b],
        "ordered by start time"
    );
    let first = &list[0];
    assert_eq!(
        (
            first.title.as_str(),
            first.location.as_str(),
            first.starts_at,
            first.ends_at,
            first.capacity,
            first.assigned,
            first.checked_in
        ),
        (
            "上午场, 一楼",
            "体育馆",
            at("2099-03-02 08:30"),
            at("2099-03-02 11:30"),
            30,
            0,
            0
        )
    );
    assert_eq!(
        s.session(b).await.unwrap().map(|r| r.title),
        Some("下午场".to_string())
    );
    assert_eq!(s.session(b + a + 100).await.unwrap(), None);
    let log = s.audit_log(None, 5).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|r| r.entry.action == "session_add")
            .count(),
        2
    );
    s.close().await;
}

async fn assign_and_unassign(db: &TestDb) {
    let s = open(db).await;
    let mut roster = vec![
        stu("S0001", "张三", "计算机学院", "软工2201"),
        stu("S0002", "李四", "计算机学院", "软工2201"),
        stu("S0003", "王五", "计算机学院", "软工2202"),
        stu("S0004", "赵六", "外国语学院", "英语2201"),
        stu("S0005", "钱七", "外国语学院", "英语2201"),
    ];
    roster.push(stu("S0006", "孙八", "计算机学院", "软工2201"));
    s.insert_students(&roster).await.unwrap();
    exec(
        db,
        "UPDATE students SET withdrawn = TRUE WHERE student_no = 'S0006'",
    )
    .await
    .unwrap();
    let a = s
        .add_session(
            &new_session("A", "2099-03-02 08:30", "2099-03-02 11:30", 4),
            "op",
        )
        .await
        .unwrap();
    let b = s
        .add_session(
            &new_session("B", "2099-03-03 08:30", "2099-03-03 11:30", 10),
            "op",
        )
        .await
        .unwrap();
    let past = s
        .add_session(
            &new_session("旧", "2020-03-02 08:30", "2020-03-02 11:30", 10),
            "op",
        )
        .await
        .unwrap();

    let college = |c: &str| StudentSelection {
        college: Some(c.into()),
        ..Default::default()
    };
    let list = |l: &[&str]| StudentSelection {
        student_nos: l.iter().map(|x| x.to_string()).collect(),
        ..Default::default()
    };

    // a past session does not hold a student back
    s.assign(past, &list(&["S0004"]), "op").await.unwrap();
    let r = s
        .assign(b, &list(&["S0005", "S0006", "S9999"]), "op")
        .await
        .unwrap();
    assert_eq!(
        (r.assigned, r.withdrawn.clone(), r.unknown.clone()),
        (1, vec!["S0006".to_string()], vec!["S9999".to_string()])
    );

    // by college: the withdrawn student is not even selected; S0004 (past session) is taken
    let r = s.assign(a, &college("外国语学院"), "op").await.unwrap();
    assert_eq!(r.assigned, 1);
    assert_eq!(
        r.elsewhere,
        vec![("S0005".to_string(), b)],
        "one upcoming session per student"
    );
    let r = s
        .assign(
            a,
            &StudentSelection {
                class: Some("软工2201".into()),
                ..Default::default()
            },
            "op",
        )
        .await
        .unwrap();
    assert_eq!((r.assigned, r.already), (2, 0));
    let r = s.assign(a, &list(&["S0001", "S0003"]), "op").await.unwrap();
    assert_eq!((r.assigned, r.already), (1, 1));
    assert_eq!(s.session(a).await.unwrap().unwrap().assigned, 4);

    // full: nothing changes
    s.insert_students(&[stu("S0007", "周九", "计算机学院", "软工2202")])
        .await
        .unwrap();
    let err = s.assign(a, &list(&["S0007"]), "op").await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::OverCapacity {
                room: 0,
                wanted: 1,
                ..
            }
        ),
        "{err}"
    );
    // the interface language is Chinese unless set; this test binary reads English
    caiji::i18n::set_lang(caiji::i18n::Lang::En);
    assert!(err.to_string().contains("room for 0"), "{err}");
    assert_eq!(s.session(a).await.unwrap().unwrap().assigned, 4);
    assert!(matches!(
        s.assign(a + b + past + 1, &list(&["S0007"]), "op").await,
        Err(StoreError::NoSuchSession(_))
    ));

    // unassign keeps whoever checked in
    issue_codes(db).await;
    assert_eq!(
        s.check_in(a, "S0001", "A1", "op", false)
            .await
            .unwrap()
            .status,
        CheckinStatus::CheckedIn {
            shot: 1,
            walk_in: false
        }
    );
    let r = s
        .unassign(a, &list(&["S0001", "S0002", "S0005", "S8888"]), "op")
        .await
        .unwrap();
    assert_eq!(r.removed, 1);
    assert_eq!(r.checked_in, vec!["S0001".to_string()]);
    assert_eq!(r.not_assigned, vec!["S0005".to_string()]);
    assert_eq!(r.unknown, vec!["S8888".to_string()]);
    let on_a: Vec<String> = s
        .session_students(a)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.student_no)
        .collect();
    assert_eq!(
        on_a,
        ["S0004", "S0001", "S0003"],
        "by college (外国语学院 sorts first in code point order), class, 学号"
    );
    let log = s.audit_log(None, 50).await.unwrap();
    let details = |action: &str| -> Vec<String> {
        log.iter()
            .filter(|r| r.entry.action == action)
            .map(|r| r.entry.detail.clone())
            .collect()
    };
    assert!(
        details("session_assign")
            .iter()
            .any(|d| d.contains("1 assigned") && d.contains("college 外国语学院")),
        "{log:?}"
    );
    assert!(
        details("session_unassign")
            .iter()
            .any(|d| d.contains("1 removed") && d.contains("4 students (S0001, S0002")),
        "{log:?}"
    );
    s.close().await;
}

async fn planning_touches_only_waiting_students(db: &TestDb) {
    let s = open(db).await;
    let mut roster = Vec::new();
    for (c, (college, classes)) in [("计算机学院", 3), ("外国语学院", 2), ("医学院", 2)]
        .into_iter()
        .enumerate()
    {
        for k in 0..classes {
            for n in 0..(20 + 7 * k) {
                let no = format!("{c}{k}{n:03}");
                roster.push(stu(&no, "学生", college, &format!("{college}班{k}")));
            }
        }
    }
    s.insert_students(&roster).await.unwrap();
    // already placed, withdrawn or checked in elsewhere: not the planner's business
    let manual = s
        .add_session(
            &new_session("手工场", "2099-04-01 08:30", "2099-04-01 11:30", 500),
            "op",
        )
        .await
        .unwrap();
    let first_two = StudentSelection {
        student_nos: vec![roster[0].student_no.clone(), roster[1].student_no.clone()],
        ..Default::default()
    };
    s.assign(manual, &first_two, "op").await.unwrap();
    exec(
        db,
        &format!(
            "UPDATE students SET withdrawn = TRUE WHERE student_no = '{}'",
            roster[2].student_no
        ),
    )
    .await
    .unwrap();

    let candidates = s
        .plan_candidates(PlanKind::Unassigned, now())
        .await
        .unwrap();
    assert_eq!(candidates.len(), roster.len() - 3);
    let demand = planner::demand_of(&candidates);
    let slots = planner::parse_slots("08:30-09:30,14:00-15:00").unwrap();
    let order = vec!["医学院".to_string()];
    let plan = planner::plan(&PlanInput {
        demand: &demand,
        college_order: &order,
        first_day: NaiveDate::from_ymd_opt(2099, 3, 2).unwrap(),
        days: 3,
        slots: &slots,
        location: "体育馆",
        stations: 1,
        rate: 60,
        title: "图像采集",
    })
    .unwrap();
    assert!(plan.unplaced.is_empty(), "{plan:?}");
    let batch = caiji::ops::plan::planned_sessions(&plan, &candidates, false);

    // a student assigned meanwhile makes the plan outdated: nothing is saved
    let sneaky = StudentSelection {
        student_nos: vec![candidates[0].student_no.clone()],
        ..Default::default()
    };
    s.assign(manual, &sneaky, "op").await.unwrap();
    let before = s.list_sessions().await.unwrap().len();
    let err = s
        .create_planned(&batch, PlanKind::Unassigned, now(), "op")
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::PlanOutdated { students: 1 }),
        "{err}"
    );
    assert_eq!(s.list_sessions().await.unwrap().len(), before);
    s.unassign(manual, &sneaky, "op").await.unwrap();

    let created = s
        .create_planned(&batch, PlanKind::Unassigned, now(), "op")
        .await
        .unwrap();
    assert_eq!(created.len(), plan.sessions.len());
    assert!(
        s.plan_candidates(PlanKind::Unassigned, now())
            .await
            .unwrap()
            .is_empty(),
        "everyone waiting is placed"
    );
    let sessions = s.list_sessions().await.unwrap();
    for (id, p) in created.iter().zip(&plan.sessions) {
        let row = sessions.iter().find(|r| r.id == *id).unwrap();
        assert_eq!(
            (row.assigned, row.capacity, row.starts_at),
            (
                i64::from(p.students()),
                p.capacity as i32,
                caiji::clock::from_local(p.starts_at)
            )
        );
        assert!(row.assigned <= i64::from(row.capacity));
    }
    // whole classes per session, as planned; the manual session still has exactly its two
    let schedule = s.schedule().await.unwrap();
    let mut classes_seen: BTreeMap<String, usize> = BTreeMap::new();
    for g in schedule.iter().filter(|g| g.session_id != manual) {
        *classes_seen.entry(g.class.clone()).or_default() += 1;
    }
    assert!(classes_seen.values().all(|&n| n == 1), "{classes_seen:?}");
    assert_eq!(s.session(manual).await.unwrap().unwrap().assigned, 2);
    s.close().await;
}

async fn makeup_candidates(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(
        &nos(1..6)
            .iter()
            .map(|n| stu(n, "学生", "计算机学院", "软工2201"))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let past = s
        .add_session(
            &new_session("已结束", "2020-03-02 08:30", "2020-03-02 11:30", 10),
            "op",
        )
        .await
        .unwrap();
    let future = s
        .add_session(
            &new_session("未开始", "2099-03-02 08:30", "2099-03-02 11:30", 10),
            "op",
        )
        .await
        .unwrap();
    let sel = |l: &[&str]| StudentSelection {
        student_nos: l.iter().map(|x| x.to_string()).collect(),
        ..Default::default()
    };
    s.assign(past, &sel(&["S0001", "S0002", "S0003", "S0004"]), "op")
        .await
        .unwrap();
    s.assign(future, &sel(&["S0004"]), "op").await.unwrap();
    // S0002 came and has a valid photo; S0003 came but the photo was rejected
    exec(db, "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT '/p/2.jpg', id, 30000, 0, 'a', 'valid', '2020-03-03 00:00:00' FROM students WHERE student_no = 'S0002'").await.unwrap();
    exec(db, "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT '/p/3.jpg', id, 3000, 0, 'b', 'invalid', '2020-03-03 00:00:00' FROM students WHERE student_no = 'S0003'").await.unwrap();
    let makeup: Vec<String> = s
        .plan_candidates(PlanKind::Makeup, now())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.student_no)
        .collect();
    let mut makeup = makeup;
    makeup.sort();
    assert_eq!(
        makeup,
        ["S0001", "S0003"],
        "past session, no valid photo, nothing upcoming"
    );
    let waiting: Vec<String> = s
        .plan_candidates(PlanKind::Unassigned, now())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.student_no)
        .collect();
    assert_eq!(waiting, ["S0005"]);
    s.close().await;
}

async fn check_in_answers_every_case(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(
        &nos(1..9)
            .iter()
            .map(|n| stu(n, "欧阳娜娜", "计算机学院", "软工2201"))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    issue_codes(db).await;
    let a = s
        .add_session(
            &new_session("A", "2099-03-02 08:30", "2099-03-02 11:30", 3),
            "op",
        )
        .await
        .unwrap();
    let b = s
        .add_session(
            &new_session("B", "2099-03-03 08:30", "2099-03-03 11:30", 5),
            "op",
        )
        .await
        .unwrap();
    let sel = |l: &[&str]| StudentSelection {
        student_nos: l.iter().map(|x| x.to_string()).collect(),
        ..Default::default()
    };
    // five do not fit three places
    assert!(matches!(
        s.assign(
            a,
            &sel(&["S0001", "S0002", "S0003", "S0004", "S0007"]),
            "op"
        )
        .await,
        Err(StoreError::OverCapacity {
            room: 3,
            wanted: 5,
            ..
        })
    ));
    s.assign(a, &sel(&["S0001", "S0002", "S0003"]), "op")
        .await
        .unwrap();
    s.assign(b, &sel(&["S0005", "S0008"]), "op").await.unwrap();
    exec(
        db,
        "UPDATE students SET withdrawn = TRUE WHERE student_no = 'S0008'",
    )
    .await
    .unwrap();

    let status = |o: store::CheckinOutcome| o.status;
    let cases: Vec<(&str, bool, CheckinStatus)> = vec![
        (
            "S0001",
            false,
            CheckinStatus::CheckedIn {
                shot: 1,
                walk_in: false,
            },
        ),
        ("S0001", false, CheckinStatus::Already { shot: 1 }),
        (
            "S0005",
            false,
            CheckinStatus::NotInSession {
                their_session: Some(b),
            },
        ),
        (
            "S0006",
            false,
            CheckinStatus::NotInSession {
                their_session: None,
            },
        ),
        ("S0008", false, CheckinStatus::Withdrawn),
        ("S9999", false, CheckinStatus::UnknownStudent),
        (
            "S0006",
            true,
            CheckinStatus::CheckedIn {
                shot: 2,
                walk_in: true,
            },
        ),
        (
            "S0002",
            false,
            CheckinStatus::CheckedIn {
                shot: 3,
                walk_in: false,
            },
        ),
        ("S0003", false, CheckinStatus::Full { capacity: 3 }),
        ("S0002", false, CheckinStatus::Already { shot: 3 }),
        ("S0007", true, CheckinStatus::Full { capacity: 3 }),
    ];
    for (i, (no, walk_in, want)) in cases.into_iter().enumerate() {
        let got = s.check_in(a, no, "A1", "站务员", walk_in).await.unwrap();
        assert_eq!(status(got.clone()), want, "case {i}: {no}");
        if want != CheckinStatus::UnknownStudent {
            let student = got.student.expect("student shown");
            assert_eq!(
                (
                    student.student_no.as_str(),
                    student.name.as_str(),
                    student.class.as_str()
                ),
                (no, "欧阳娜娜", "软工2201")
            );
        }
    }
    assert_eq!(
        s.check_in(a + b + 10, "S0003", "A1", "op", false)
            .await
            .unwrap()
            .status,
        CheckinStatus::NotInSession {
            their_session: Some(a)
        }
    );
    assert_eq!(
        s.check_in(a + b + 10, "S0003", "A1", "op", true)
            .await
            .unwrap()
            .status,
        CheckinStatus::NoSuchSession
    );
    // checked in at A: anywhere else they are already checked in there, walk-in or not
    for walk_in in [false, true] {
        assert_eq!(
            s.check_in(b, "S0001", "B1", "op", walk_in)
                .await
                .unwrap()
                .status,
            CheckinStatus::AlreadyElsewhere {
                session: a,
                shot: 1,
                replaceable: false
            }
        );
    }
    assert_eq!(s.session(b).await.unwrap().unwrap().checked_in, 0);

    // the walk-in with no session now belongs to this one
    let students = s.session_students(a).await.unwrap();
    let walk = students.iter().find(|x| x.student_no == "S0006").unwrap();
    assert!(
        walk.assigned && walk.walk_in && walk.shot == Some(2),
        "{walk:?}"
    );
    assert_eq!(s.session(a).await.unwrap().unwrap().checked_in, 3);
    assert!(
        s.plan_candidates(PlanKind::Unassigned, now())
            .await
            .unwrap()
            .iter()
            .all(|c| c.student_no != "S0006")
    );

    // tokens
    assert_eq!(
        s.code_by_token("CJ1:S0001").await.unwrap(),
        TokenLookup::Active {
            student_no: "S0001".into()
        }
    );
    assert_eq!(
        s.code_by_token("CJ1:NOPE").await.unwrap(),
        TokenLookup::Unknown
    );
    exec(db, "UPDATE codes SET status = 'revoked', revoked_at = '2026-02-01 09:00:00' WHERE token = 'CJ1:S0002'").await.unwrap();
    exec(db, "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT 1000, student_id, 1, 'CJ1:NEW2', 'active', '2026-02-01 09:05:00' FROM codes WHERE token = 'CJ1:S0002'").await.unwrap();
    exec(
        db,
        "UPDATE codes SET replaced_by = 1000 WHERE token = 'CJ1:S0002'",
    )
    .await
    .unwrap();
    assert_eq!(
        s.code_by_token("CJ1:S0002").await.unwrap(),
        TokenLookup::Revoked {
            student_no: "S0002".into(),
            revoked_at: Some(utc("2026-02-01 09:00")),
            replacement_issued_at: Some(utc("2026-02-01 09:05"))
        }
    );
    s.close().await;
}

/// What one station saw: (学号, outcome) per scan, in its own order.
type Seen = Vec<(String, CheckinStatus)>;

/// Runs eight (or more) stations at once against one session. Each has its own connection
/// pool, as separate machines would, and they all start together; with `lockstep` they also
/// meet before every scan, so the n-th scans of all stations hit the database at once.
async fn run_stations(
    db: &TestDb,
    session: i64,
    scans: Vec<Vec<String>>,
    walk_in: bool,
    lockstep: bool,
) -> Vec<Seen> {
    let barrier = Arc::new(tokio::sync::Barrier::new(scans.len()));
    let mut stations = Vec::new();
    for _ in &scans {
        stations.push(open(db).await);
    }
    let mut tasks = Vec::new();
    for (k, (list, station)) in scans.into_iter().zip(stations).enumerate() {
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut seen = Vec::with_capacity(list.len());
            for no in list {
                if lockstep {
                    barrier.wait().await;
                }
                let outcome = station
                    .check_in(session, &no, &format!("工位{k}"), "op", walk_in)
                    .await
                    .unwrap_or_else(|e| panic!("station {k}, {no}: {e}"));
                seen.push((no, outcome.status));
            }
            station.close().await;
            seen
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("station task"));
    }
    out
}

/// Rows of `checkins` for a session: 学号 → (shot, walk_in).
async fn checkins_of(s: &dyn store::Store, session: i64) -> BTreeMap<String, (i32, bool)> {
    s.session_students(session)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|x| x.shot.map(|shot| (x.student_no, (shot, x.walk_in))))
        .collect()
}

async fn eight_stations_at_once(db: &TestDb) {
    const CAPACITY: i32 = 40;
    let s = open(db).await;
    let ours = nos(0..70); // assigned here: more than the capacity
    let theirs = nos(100..112); // assigned to another session
    let nobody = nos(200..206); // no session at all
    let lockstep: Vec<String> = (0..10).map(|i| format!("L{i:04}")).collect();
    let all: Vec<_> = ours
        .iter()
        .chain(&theirs)
        .chain(&nobody)
        .chain(&lockstep)
        .map(|n| stu(n, "张三", "计算机学院", "软工2201"))
        .collect();
    s.insert_students(&all).await.unwrap();
    // More students on the list than places (the capacity was cut after assigning).
    let here = s
        .add_session(
            &new_session("A", "2099-03-02 08:30", "2099-03-02 11:30", 100),
            "op",
        )
        .await
        .unwrap();
    let other = s
        .add_session(
            &new_session("B", "2099-03-03 08:30", "2099-03-03 11:30", 100),
            "op",
        )
        .await
        .unwrap();
    s.assign(
        here,
        &StudentSelection {
            student_nos: ours.clone(),
            ..Default::default()
        },
        "op",
    )
    .await
    .unwrap();
    s.assign(
        other,
        &StudentSelection {
            student_nos: theirs.clone(),
            ..Default::default()
        },
        "op",
    )
    .await
    .unwrap();
    exec(
        db,
        &format!("UPDATE sessions SET capacity = {CAPACITY} WHERE id = {here}"),
    )
    .await
    .unwrap();

    // Every one of ours is scanned by two or three stations at about the same moment (the
    // stations go through ours in the same order), so the same student races with themself;
    // strangers are scattered in between: students of the other session, students with no
    // session, and numbers nobody has.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut scans: Vec<Vec<String>> = vec![Vec::new(); 8];
    for (i, no) in ours.iter().enumerate() {
        for k in 0..(2 + i % 2) {
            scans[(i + 3 * k) % 8].push(no.clone());
        }
    }
    for (k, list) in scans.iter_mut().enumerate() {
        let mut strangers: Vec<String> = theirs.iter().skip(k % 3).step_by(3).cloned().collect();
        strangers.push(nobody[k % nobody.len()].clone());
        strangers.push(format!("X{k}"));
        for stranger in strangers {
            let at = rand::Rng::random_range(&mut rng, 0..=list.len());
            list.insert(at, stranger);
        }
    }
    let total_scans: usize = scans.iter().map(Vec::len).sum();
    let seen = run_stations(db, here, scans, false, false).await;

    // Every scan was answered.
    let answers: Vec<&(String, CheckinStatus)> = seen.iter().flatten().collect();
    assert_eq!(answers.len(), total_scans);

    // The database: exactly the capacity checked in, one row per student, shots 1..=capacity.
    let rows = checkins_of(s.as_ref(), here).await;
    assert_eq!(
        rows.len(),
        CAPACITY as usize,
        "capacity filled, never exceeded"
    );
    let shots: BTreeSet<i32> = rows.values().map(|(shot, _)| *shot).collect();
    assert_eq!(
        shots,
        (1..=CAPACITY).collect::<BTreeSet<_>>(),
        "shot numbers gapless and unique"
    );
    assert!(
        rows.keys().all(|no| ours.contains(no)),
        "only students of this session"
    );
    assert!(rows.values().all(|(_, walk_in)| !walk_in));
    assert_eq!(
        s.session(here).await.unwrap().unwrap().checked_in,
        i64::from(CAPACITY)
    );

    // The answers: one check-in per student with the stored shot; every repeat says "already"
    // with that shot; the rest of ours hear "full"; strangers are flagged.
    let mut granted: BTreeMap<&str, i32> = BTreeMap::new();
    for (no, status) in &answers {
        let no = no.as_str();
        match *status {
            CheckinStatus::CheckedIn {
                shot,
                walk_in: false,
            } => {
                assert!(granted.insert(no, shot).is_none(), "{no} checked in twice");
                assert_eq!(
                    rows.get(no).map(|r| r.0),
                    Some(shot),
                    "{no}: answer and database agree"
                );
            }
            CheckinStatus::Already { shot } => assert_eq!(
                rows.get(no).map(|r| r.0),
                Some(shot),
                "{no}: already, with the earlier shot"
            ),
            CheckinStatus::Full { capacity } => {
                assert_eq!(capacity, CAPACITY);
                assert!(
                    ours.iter().any(|o| o == no) && !rows.contains_key(no),
                    "{no}: full only for ours left out"
                );
            }
            CheckinStatus::NotInSession {
                their_session: Some(s),
            } => {
                assert_eq!(s, other);
                assert!(theirs.iter().any(|t| t == no), "{no}");
            }
            CheckinStatus::NotInSession {
                their_session: None,
            } => assert!(nobody.iter().any(|t| t == no), "{no}"),
            CheckinStatus::UnknownStudent => assert!(no.starts_with('X'), "{no}"),
            other => panic!("{no}: unexpected {other:?}"),
        }
    }
    assert_eq!(granted.len(), CAPACITY as usize);
    let full = answers
        .iter()
        .filter(|(_, st)| matches!(st, CheckinStatus::Full { .. }))
        .count();
    assert!(full > 0, "more scans than places: some were turned away");

    // Walk-ins race for the last places of another session just the same.
    let walk = s
        .add_session(
            &new_session("W", "2099-03-04 08:30", "2099-03-04 11:30", 4),
            "op",
        )
        .await
        .unwrap();
    let scans: Vec<Vec<String>> = (0..8)
        .map(|k| {
            let mut l: Vec<String> = nobody.to_vec();
            l.rotate_left(k % nobody.len());
            l
        })
        .collect();
    let seen = run_stations(db, walk, scans, true, true).await;
    let rows = checkins_of(s.as_ref(), walk).await;
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.values().map(|r| r.0).collect::<BTreeSet<_>>(),
        (1..=4).collect()
    );
    assert!(rows.values().all(|r| r.1), "recorded as walk-ins");
    let granted = seen
        .iter()
        .flatten()
        .filter(|(_, st)| matches!(st, CheckinStatus::CheckedIn { walk_in: true, .. }))
        .count();
    assert_eq!(granted, 4);
    assert_eq!(
        s.session(walk).await.unwrap().unwrap().assigned,
        4,
        "walk-ins without a session join this one"
    );

    // Lock-step: all eight stations scan the same ten students in the same order into five
    // places, so every student races with themself — also at the moment the session fills.
    let step = s
        .add_session(
            &new_session("L", "2099-03-05 08:30", "2099-03-05 11:30", 10),
            "op",
        )
        .await
        .unwrap();
    s.assign(
        step,
        &StudentSelection {
            student_nos: lockstep.clone(),
            ..Default::default()
        },
        "op",
    )
    .await
    .unwrap();
    exec(
        db,
        &format!("UPDATE sessions SET capacity = 5 WHERE id = {step}"),
    )
    .await
    .unwrap();
    let seen = run_stations(db, step, vec![lockstep.clone(); 8], false, true).await;
    let rows = checkins_of(s.as_ref(), step).await;
    assert_eq!(
        rows.values().map(|r| r.0).collect::<BTreeSet<_>>(),
        (1..=5).collect()
    );
    for (no, status) in seen.iter().flatten() {
        match (status, rows.get(no)) {
            (
                CheckinStatus::CheckedIn { shot, .. } | CheckinStatus::Already { shot },
                Some((stored, _)),
            ) => {
                assert_eq!(shot, stored, "{no}")
            }
            (CheckinStatus::Full { capacity: 5 }, None) => {}
            (other, stored) => panic!("{no}: {other:?} but stored {stored:?}"),
        }
    }
    let first_answers = seen
        .iter()
        .flatten()
        .filter(|(_, st)| matches!(st, CheckinStatus::CheckedIn { .. }))
        .count();
    assert_eq!(first_answers, 5);
    s.close().await;
}

/// One check-in per student across all sessions (docs/sessions.md): a second session refuses
/// with the first one's session and shot; a make-up session takes them again only with a retake
/// reason, keeping the earlier check-in as history, counting the student once, auditing the
/// reason and both sessions.
async fn one_checkin_per_student(db: &TestDb) {
    let s = with_students(db, nos(1..5)).await;
    let first = day_session(s.as_ref(), "A", "02", false).await;
    let second = day_session(s.as_ref(), "B", "03", false).await;
    let makeup = day_session(s.as_ref(), "补采", "09", true).await;
    let sel = |l: &[&str]| StudentSelection {
        student_nos: l.iter().map(|x| x.to_string()).collect(),
        ..Default::default()
    };
    s.assign(first, &sel(&["S0001", "S0002"]), "op")
        .await
        .unwrap();
    s.assign(second, &sel(&["S0003"]), "op").await.unwrap();
    for no in ["S0001", "S0002"] {
        s.check_in(first, no, "A1", "op", false).await.unwrap();
    }
    // a walk-in at B of a student checked in at A: refused with A's shot, B's counter untouched
    let elsewhere = CheckinStatus::AlreadyElsewhere {
        session: first,
        shot: 1,
        replaceable: false,
    };
    let got = s.check_in(second, "S0001", "B1", "op", true).await.unwrap();
    assert_eq!(got.status, elsewhere);
    assert_eq!(got.status.code(), "already_elsewhere");
    assert_eq!(got.student.unwrap().student_no, "S0001");
    // a reason at a normal session changes nothing
    assert_eq!(
        s.check_in_retake(second, "S0001", "B1", "op", true, Some("闭眼"))
            .await
            .unwrap()
            .status,
        elsewhere
    );
    // a walk-in of a student checked in nowhere still works
    assert_eq!(
        s.check_in(second, "S0004", "B1", "op", true)
            .await
            .unwrap()
            .status,
        CheckinStatus::CheckedIn {
            shot: 1,
            walk_in: true
        }
    );
    assert_eq!(s.session(second).await.unwrap().unwrap().checked_in, 1);

    // the make-up session: refused without a reason (saying a retake is possible), taken with
    // one (a walk-in here)
    assert_eq!(
        s.check_in(makeup, "S0001", "M1", "op", true)
            .await
            .unwrap()
            .status,
        CheckinStatus::AlreadyElsewhere {
            session: first,
            shot: 1,
            replaceable: true
        }
    );
    let retake = s
        .check_in_retake(makeup, "S0001", "M1", "站务员", true, Some("闭眼，需重拍"))
        .await
        .unwrap();
    assert_eq!(
        (retake.status, retake.retake_of),
        (
            CheckinStatus::CheckedIn {
                shot: 1,
                walk_in: true
            },
            Some((first, 1))
        )
    );
    // now the make-up check-in counts: A answers with it, the make-up session says "already"
    assert_eq!(
        s.check_in(first, "S0001", "A1", "op", false)
            .await
            .unwrap()
            .status,
        CheckinStatus::AlreadyElsewhere {
            session: makeup,
            shot: 1,
            replaceable: false
        }
    );
    assert_eq!(
        s.check_in_retake(makeup, "S0001", "M1", "op", true, Some("again"))
            .await
            .unwrap()
            .status,
        CheckinStatus::Already { shot: 1 }
    );
    let history = s.student_checkins("S0001").await.unwrap();
    let rows: Vec<(i64, i32, bool)> = history
        .iter()
        .map(|k| (k.session_id, k.shot, k.counts))
        .collect();
    assert_eq!(rows, [(first, 1, false), (makeup, 1, true)]);
    // audited: the reason and both sessions, no name
    let audit = s
        .audit_entries(&store::AuditFilter {
            student_no: Some("S0001".into()),
            action: Some("checkin_retake".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    let detail = &audit[0].entry.detail;
    assert!(
        detail.contains(&format!("make-up session {makeup}, shot 1"))
            && detail.contains(&format!("retake of session {first}, shot 1"))
            && detail.contains("闭眼，需重拍")
            && !detail.contains("欧阳"),
        "{detail}"
    );
    assert_eq!(audit[0].entry.operator, "站务员");
    // counted once: the header, the report, the list
    assert_eq!(s.counts().await.unwrap().checked_in, 3);
    let report = s.completion(store::GroupBy::College, None).await.unwrap();
    assert_eq!(report[0].checked_in, 3);
    // a student never checked in is taken at the make-up session with or without a reason
    assert_eq!(
        s.check_in_retake(makeup, "S0003", "M1", "op", true, Some("x"))
            .await
            .unwrap()
            .status,
        CheckinStatus::CheckedIn {
            shot: 2,
            walk_in: true
        }
    );
    // the database refuses a second counting row, whatever writes it
    assert!(
        exec(
            db,
            &format!(
                "UPDATE checkins SET counts_for = student_id WHERE session_id = {first} AND student_id = (SELECT id FROM students WHERE student_no = 'S0001')"
            )
        )
        .await
        .is_err(),
        "two check-ins that count"
    );
    s.close().await;
}

/// Many stations at two sessions check the same students in at the same moment: each student
/// gets exactly one check-in, one shot number and one "checked in" answer; the others hear
/// "already" (same session) or "already elsewhere" with the winner's session and shot, and no
/// session's counter moves for a refused scan. Then two make-up sessions race to retake the
/// same students: exactly one retake each.
async fn two_sessions_race_for_one_student(db: &TestDb) {
    const STATIONS: usize = 8;
    let students = nos(0..24);
    let s = with_students(db, students.clone()).await;
    // Both make-up sessions run at the same hours: a retake at one is made after the other
    // began, so the other cannot replace it in turn.
    let mut ids = Vec::new();
    for (title, day, makeup) in [
        ("X", "02", false),
        ("Y", "03", false),
        ("M1", "09", true),
        ("M2", "09", true),
    ] {
        ids.push(day_session(s.as_ref(), title, day, makeup).await);
    }
    let (x, y, m1, m2) = (ids[0], ids[1], ids[2], ids[3]);

    // Half the stations at X, half at Y, all scanning the same students in lock-step (walk-ins
    // allowed: nobody is assigned), so every scan of a student meets its rivals at the barrier.
    let plan: Vec<(i64, Vec<String>)> = (0..STATIONS)
        .map(|k| (if k % 2 == 0 { x } else { y }, students.clone()))
        .collect();
    let seen = race(db, plan, None, at("2099-03-02 09:00")).await;
    let rows = counting_rows(db).await;
    assert_eq!(rows.len(), students.len(), "one counting check-in each");
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM checkins").await,
        students.len() as i64,
        "and no other row"
    );
    for session in [x, y] {
        let here: Vec<i32> = rows
            .values()
            .filter(|(at, _)| *at == session)
            .map(|(_, shot)| *shot)
            .collect();
        let mut sorted = here.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (1..=here.len() as i32).collect::<Vec<_>>(),
            "session {session}: gapless shots"
        );
        assert_eq!(
            s.session(session).await.unwrap().unwrap().checked_in,
            here.len() as i64,
            "session {session}: the counter moved only for check-ins"
        );
    }
    let mut winners: BTreeMap<&str, usize> = BTreeMap::new();
    for (session, no, status) in &seen {
        let (at, shot) = rows[no.as_str()];
        match *status {
            CheckinStatus::CheckedIn { shot: got, .. } => {
                *winners.entry(no).or_default() += 1;
                assert_eq!((*session, got), (at, shot), "{no}");
            }
            CheckinStatus::Already { shot: got } => assert_eq!((*session, got), (at, shot), "{no}"),
            CheckinStatus::AlreadyElsewhere {
                session: other,
                shot: got,
                ..
            } => {
                assert_ne!(*session, at, "{no}");
                assert_eq!((other, got), (at, shot), "{no}");
            }
            other => panic!("{no}: {other:?}"),
        }
    }
    assert!(
        winners.len() == students.len() && winners.values().all(|&n| n == 1),
        "exactly one station wins each student: {winners:?}"
    );

    // Two make-up sessions retake the same students at once: one retake each.
    let plan: Vec<(i64, Vec<String>)> = (0..STATIONS)
        .map(|k| (if k % 2 == 0 { m1 } else { m2 }, students.clone()))
        .collect();
    let seen = race(db, plan, Some("闭眼"), at("2099-03-09 09:00")).await;
    let after = counting_rows(db).await;
    assert_eq!(after.len(), students.len());
    assert!(
        after.values().all(|(at, _)| *at == m1 || *at == m2),
        "the retakes count"
    );
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM checkins").await,
        2 * students.len() as i64,
        "one retake row per student, the first check-in kept as history"
    );
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'checkin_retake'"
        )
        .await,
        students.len() as i64,
        "one audited retake per student"
    );
    let retakes = seen
        .iter()
        .filter(|(_, _, st)| matches!(st, CheckinStatus::CheckedIn { .. }))
        .count();
    assert_eq!(retakes, students.len());
    s.close().await;
}

/// A database from before the rule, where students were checked in at two sessions, opens:
/// every row stays as history, the earliest check-in of each student counts (on a tie, the
/// lower session id), and the next scan elsewhere answers with it.
async fn duplicates_from_before_the_rule(db: &TestDb) {
    common::migrate_before(db, 5).await;
    let student = |id: i64, no: &str| {
        let number = common::resident_id("440106", "20040315", &format!("{:03}", 120 + id));
        format!(
            "INSERT INTO students (id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, cohort, withdrawn, created_at, updated_at) \
             VALUES ({id}, '{no}', '张三', 'resident_id', '{number}', '文学院', '汉语言文学', '汉语2201', 'bachelor', '李老师', 2026, FALSE, '2026-05-20 10:00:00', '2026-05-20 10:00:00')"
        )
    };
    let session = |id: i64, day: &str, makeup: bool| {
        format!(
            "INSERT INTO sessions (id, title, location, starts_at, ends_at, capacity, makeup, checked_in, created_at) \
             VALUES ({id}, 's{id}', '体育馆', '2026-06-{day} 08:30:00', '2026-06-{day} 11:30:00', 9, {}, 2, '2026-05-24 16:00:00')",
            if makeup { "TRUE" } else { "FALSE" }
        )
    };
    let checkin = |session: i64, student: i64, shot: i32, at: &str| {
        format!(
            "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) \
             VALUES ({session}, {student}, {shot}, 'A', 'op', '2026-06-{at}:00')"
        )
    };
    for sql in [
        student(1, "S0001"),
        student(2, "S0002"),
        student(3, "S0003"),
        session(1, "01", false),
        session(2, "02", false),
        session(3, "09", true),
        // S0001: session 2 first (by the clock), then a walk-in at session 1 the day after
        checkin(2, 1, 1, "02 09:00"),
        checkin(1, 1, 1, "03 09:30"),
        // S0002: two check-ins stamped the same second: the lower session id counts
        checkin(2, 2, 2, "02 10:00"),
        checkin(1, 2, 2, "02 10:00"),
        // S0003: once, as it should be
        checkin(3, 3, 1, "09 09:00"),
    ] {
        exec(db, &sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let s = open(db).await;
    let counted = |no: &'static str| {
        let s = &s;
        async move {
            s.student_checkins(no)
                .await
                .unwrap()
                .into_iter()
                .map(|k| (k.session_id, k.counts))
                .collect::<BTreeSet<_>>()
        }
    };
    assert_eq!(
        counted("S0001").await,
        BTreeSet::from([(1, false), (2, true)])
    );
    assert_eq!(
        counted("S0002").await,
        BTreeSet::from([(1, true), (2, false)])
    );
    assert_eq!(counted("S0003").await, BTreeSet::from([(3, true)]));
    assert_eq!(
        s.check_in(3, "S0001", "M1", "op", true)
            .await
            .unwrap()
            .status,
        CheckinStatus::AlreadyElsewhere {
            session: 2,
            shot: 1,
            replaceable: true
        }
    );
    assert_eq!(s.counts().await.unwrap().checked_in, 3, "each student once");
    s.close().await;
}

/// A store holding these students, all of one class.
async fn with_students(db: &TestDb, students: Vec<String>) -> Box<dyn store::Store> {
    let s = open(db).await;
    let rows: Vec<_> = students
        .iter()
        .map(|n| stu(n, "欧阳娜娜", "计算机学院", "软工2201"))
        .collect();
    s.insert_students(&rows).await.unwrap();
    s
}

/// A session of a hundred places on 2099-03-`day`, 08:30 to 11:30.
async fn day_session(s: &dyn store::Store, title: &str, day: &str, makeup: bool) -> i64 {
    let session = NewSession {
        makeup,
        ..new_session(
            title,
            &format!("2099-03-{day} 08:30"),
            &format!("2099-03-{day} 11:30"),
            100,
        )
    };
    s.add_session(&session, "op").await.unwrap()
}

/// 学号 → (session, shot) of the check-in that counts.
async fn counting_rows(db: &TestDb) -> BTreeMap<String, (i64, i32)> {
    let s = open(db).await;
    let mut out = BTreeMap::new();
    for no in nos(0..24) {
        let counted: Vec<_> = s
            .student_checkins(&no)
            .await
            .unwrap()
            .into_iter()
            .filter(|k| k.counts)
            .collect();
        assert!(counted.len() <= 1, "{no}: {counted:?}");
        if let Some(k) = counted.first() {
            out.insert(no, (k.session_id, k.shot));
        }
    }
    s.close().await;
    out
}

/// Stations, each with its own pool and session, scanning their lists in lock-step (a barrier
/// before every scan) on a clock set to `when`; `reason` makes every scan a make-up retake.
/// (session, 学号, answer) of every scan.
async fn race(
    db: &TestDb,
    plan: Vec<(i64, Vec<String>)>,
    reason: Option<&'static str>,
    when: DateTime<Utc>,
) -> Vec<(i64, String, CheckinStatus)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(plan.len()));
    let mut tasks = Vec::new();
    for (k, (session, list)) in plan.into_iter().enumerate() {
        let station = open(db).await;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for no in list {
                barrier.wait().await;
                let name = format!("工位{k}");
                let outcome = caiji::clock::as_of(
                    when,
                    station.check_in_retake(session, &no, &name, "op", true, reason),
                )
                .await
                .unwrap_or_else(|e| panic!("station {k}, {no}: {e}"));
                seen.push((session, no, outcome.status));
            }
            station.close().await;
            seen
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.extend(t.await.expect("station task"));
    }
    out
}

/// Runs the built `caiji` against the test database, in English, with `stdin` piped in.
fn caiji(db: &TestDb, home: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    tokio::task::block_in_place(|| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_caiji"))
            .arg("--database-url")
            .arg(&db.url)
            .args(args)
            .env("CAIJI_HOME", home)
            .env("CAIJI_LANG", "en")
            .env("CAIJI_OPERATOR", "tester")
            .env_remove("CAIJI_STATION")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run caiji");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("caiji output")
    })
}

fn ok(out: &std::process::Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

async fn commands_end_to_end(db: &TestDb) {
    let home = tempfile::tempdir().unwrap();
    let s = open(db).await;
    let mut roster = Vec::new();
    for (prefix, class, college, n) in [
        ("E", "英语2201", "外国语学院", 10),
        ("C", "软工2201", "计算机学院", 12),
        ("D", "软工2202", "计算机学院", 8),
    ] {
        for i in 1..=n {
            roster.push(stu(
                &format!("{prefix}{i:04}"),
                "买买提·艾力",
                college,
                class,
            ));
        }
    }
    s.insert_students(&roster).await.unwrap();
    // Without the key file a station cannot verify codes: it says so and what to do.
    let none = caiji(db, home.path(), &["sessions", "checkin", "1"], "");
    assert_eq!(none.status.code(), Some(1));
    let said = String::from_utf8_lossy(&none.stderr);
    assert!(
        said.contains("no key file") && said.contains("--key-file"),
        "{said}"
    );
    // Real codes, sealed with this school's key: the station verifies them.
    s.set_setting("school_code", "10001").await.unwrap();
    s.set_setting("school_name", "示例大学").await.unwrap();
    ok(&caiji(db, home.path(), &["key", "generate"], ""), 0);
    ok(&caiji(db, home.path(), &["codes", "issue", "--all"], ""), 0);
    let token = |no: &str| {
        ok(&caiji(db, home.path(), &["codes", "token", no], ""), 0)
            .trim()
            .to_string()
    };
    let [e1, e2, e3, c1, c2, c3] =
        ["E0001", "E0002", "E0003", "C0001", "C0002", "C0003"].map(token);
    // one character changed, and the end cut off
    let mut chars: Vec<char> = e3.chars().collect();
    let at = chars.len() - 5;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    let truncated = e3[..e3.len() - 6].to_string();
    let plan_args = |days: &'static str, dry: bool| {
        let mut a = vec![
            "sessions",
            "plan",
            "--from",
            "2099-03-02",
            "--days",
            days,
            "--slots",
            "08:30-09:30,14:00-15:00",
            "--location",
            "体育馆, 一楼",
            "--rate",
            "12",
            "--college-order",
            "外国语学院",
            "--format",
            "json",
        ];
        if dry {
            a.push("--dry-run");
        }
        a
    };

    // Dry run: the plan is printed, nothing is saved.
    let dry = json(&ok(&caiji(db, home.path(), &plan_args("2", true), ""), 0));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["placed"], 30);
    assert_eq!(dry["created"], serde_json::json!([]));
    let shape: Vec<Vec<(String, u64)>> = dry["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    (
                        g["class"].as_str().unwrap().to_string(),
                        g["students"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(
        shape,
        vec![
            vec![("英语2201".to_string(), 10)],
            vec![("软工2201".to_string(), 12)],
            vec![("软工2202".to_string(), 8)]
        ],
        "college order first; a class never split; never over the 12 places"
    );
    assert_eq!(
        json(&ok(
            &caiji(
                db,
                home.path(),
                &["sessions", "list", "--format", "json"],
                ""
            ),
            0
        )),
        serde_json::json!([])
    );

    // Too few days: said so, with what would fit.
    let short = json(&ok(&caiji(db, home.path(), &plan_args("1", true), ""), 3));
    assert_eq!(
        short["shortfall"],
        serde_json::json!({"students": 8, "more_days": 1, "stations_needed": 2})
    );
    assert_eq!(
        short["unplaced"],
        serde_json::json!([{"college": "计算机学院", "class": "软工2202", "students": 8}])
    );

    let done = json(&ok(&caiji(db, home.path(), &plan_args("2", false), ""), 0));
    let created: Vec<i64> = done["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(created.len(), 3);
    let list = json(&ok(
        &caiji(
            db,
            home.path(),
            &["sessions", "list", "--format", "json"],
            "",
        ),
        0,
    ));
    let first = &list[0];
    let keys: BTreeSet<&str> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "assigned",
            "capacity",
            "checked_in",
            "ends_at",
            "id",
            "location",
            "starts_at",
            "title"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(first["starts_at"], "2099-03-02 08:30");
    assert_eq!(first["ends_at"], "2099-03-02 09:30");
    assert_eq!(first["location"], "体育馆, 一楼");
    let assigned: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["assigned"].as_i64().unwrap())
        .collect();
    assert_eq!(assigned, [10, 12, 8]);

    // Check-in, one answer per line as docs/cli.md has it.
    exec(db, "UPDATE codes SET status = 'revoked', revoked_at = '2026-02-01 09:00:00' WHERE student_id = (SELECT id FROM students WHERE student_no = 'E0002')").await.unwrap();
    let session = created[0].to_string();
    let scans = format!(
        "  {}  \n{e1}\n{c1}\n\nnot a code\nCJ1:NOPE\n{e2}\n{tampered}\n{truncated}\n{e3}\n",
        e1.to_lowercase()
    );
    let out = ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "checkin",
                &session,
                "--station",
                "A1",
                "--format",
                "json",
            ],
            &scans,
        ),
        0,
    );
    let lines: Vec<serde_json::Value> = out.lines().map(json).collect();
    for l in &lines {
        let keys: BTreeSet<&str> = l.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            ["label", "reason", "shot", "status", "student_no"]
                .into_iter()
                .collect(),
            "{l}"
        );
    }
    let got: Vec<(&str, Option<&str>, Option<i64>)> = lines
        .iter()
        .map(|l| {
            (
                l["status"].as_str().unwrap(),
                l["student_no"].as_str(),
                l["shot"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("checked_in", Some("E0001"), Some(1)),
            ("already", Some("E0001"), Some(1)),
            ("not_in_session", Some("C0001"), None),
            ("invalid", None, None),
            ("invalid", None, None),
            ("revoked", Some("E0002"), None),
            ("invalid", None, None),
            ("invalid", None, None),
            ("checked_in", Some("E0003"), Some(2)),
        ],
        "blank lines are skipped; every other line answered in order"
    );
    assert_eq!(lines[0]["reason"], serde_json::Value::Null);
    assert!(
        lines[2]["reason"]
            .as_str()
            .unwrap()
            .contains(&created[1].to_string()),
        "names their session: {}",
        lines[2]
    );
    // stored as 09:00 UTC (raw SQL above), told on this station's clock
    let revoked_on = caiji::clock::format_local(utc("2026-02-01 09:00"), "%Y-%m-%d %H:%M");
    assert!(
        lines[5]["reason"].as_str().unwrap().contains(&revoked_on),
        "says when: {}",
        lines[5]
    );
    assert!(
        lines[6]["reason"].as_str().unwrap().contains("altered"),
        "a tampered code fails the key: {}",
        lines[6]
    );
    assert!(
        lines[7]["reason"].as_str().unwrap().contains("cut short"),
        "a truncated code: {}",
        lines[7]
    );

    // A small session for walk-ins: the second one finds it full.
    let add = ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "add",
                "--title",
                "补录",
                "--location",
                "图书馆",
                "--start",
                "2099-04-01 08:30",
                "--end",
                "2099-04-01 09:00",
                "--capacity",
                "1",
            ],
            "",
        ),
        0,
    );
    let small = list.as_array().unwrap().len() as i64 + 1;
    assert!(add.contains(&format!("Created session {small}")), "{add}");
    let out = ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "checkin",
                &small.to_string(),
                "--allow-walk-in",
                "--format",
                "json",
            ],
            &format!("{c2}\n{c3}\n"),
        ),
        0,
    );
    let statuses: Vec<String> = out
        .lines()
        .map(|l| json(l)["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(statuses, ["checked_in", "full"]);
    let table = ok(
        &caiji(
            db,
            home.path(),
            &["sessions", "checkin", &small.to_string()],
            &format!("{c2}\n"),
        ),
        0,
    );
    assert!(
        table.contains("already")
            && table.contains("shot 1")
            && table.contains("买**·*力")
            && !table.contains('\u{1b}'),
        "{table}"
    );

    // assign / unassign and bad input
    let out = ok(
        &caiji(
            db,
            home.path(),
            &["sessions", "assign", &small.to_string(), "D0001", "NOPE"],
            "",
        ),
        3,
    );
    assert!(out.contains("NOPE") && out.contains("D0001"), "{out}");
    let bad = caiji(
        db,
        home.path(),
        &[
            "sessions",
            "add",
            "--title",
            "x",
            "--location",
            "y",
            "--start",
            "2099-04-01",
            "--end",
            "2099-04-01 09:00",
            "--capacity",
            "5",
        ],
        "",
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM-DD HH:MM"));
    let none = caiji(db, home.path(), &["sessions", "checkin", "9999"], "");
    assert_eq!(none.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no session 9999"));

    // Exports
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("schedule.csv");
    ok(
        &caiji(
            db,
            home.path(),
            &["sessions", "export", "-o", csv_path.to_str().unwrap()],
            "",
        ),
        0,
    );
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let rows: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        rows[0],
        "college,class,counselor,students,session,title,date,start,end,location"
    );
    assert_eq!(
        rows.len(),
        1 + 4,
        "the three planned classes, and the walk-in's class under the session that took them: {rows:?}"
    );
    assert!(rows.contains(&format!("外国语学院,英语2201,王老师,10,{},图像采集 外国语学院,2099-03-02,08:30,09:30,\"体育馆, 一楼\"", created[0]).as_str()), "{rows:?}");

    let xlsx_path = dir.path().join("schedule.xlsx");
    ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "export",
                "-o",
                xlsx_path.to_str().unwrap(),
                "--by",
                "counselor",
            ],
            "",
        ),
        0,
    );
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx_path).unwrap();
    let range = calamine::Reader::worksheet_range(&mut book, "Schedule").unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(header[..4], ["counselor", "college", "class", "students"]);
    assert_eq!(
        range.height(),
        5,
        "header, three classes, and the walk-in's class in the session that took them"
    );

    let ics_path = dir.path().join("schedule.ics");
    ok(
        &caiji(
            db,
            home.path(),
            &["sessions", "export", "-o", ics_path.to_str().unwrap()],
            "",
        ),
        0,
    );
    let text = std::fs::read_to_string(&ics_path).unwrap();
    check_ics(&text, s.as_ref(), IcsZone::Shanghai).await;
    ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "export",
                "-o",
                ics_path.to_str().unwrap(),
                "--floating",
            ],
            "",
        ),
        0,
    );
    let text = std::fs::read_to_string(&ics_path).unwrap();
    check_ics(&text, s.as_ref(), IcsZone::Floating).await;

    // Make-up: students whose session is over without a valid photo get a 补采 session.
    s.insert_students(
        &nos(1..4)
            .iter()
            .map(|n| stu(n, "张三", "医学院", "临床2201"))
            .collect::<Vec<_>>(),
    )
    .await
    .unwrap();
    let past = s
        .add_session(
            &new_session("旧场", "2020-03-02 08:30", "2020-03-02 11:30", 10),
            "op",
        )
        .await
        .unwrap();
    s.assign(
        past,
        &StudentSelection {
            college: Some("医学院".into()),
            ..Default::default()
        },
        "op",
    )
    .await
    .unwrap();
    let makeup = json(&ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "plan",
                "--makeup",
                "--from",
                "2099-05-01",
                "--days",
                "1",
                "--slots",
                "08:30-09:30",
                "--location",
                "图书馆",
                "--format",
                "json",
            ],
            "",
        ),
        0,
    ));
    assert_eq!(
        (makeup["makeup"].as_bool(), makeup["placed"].as_u64()),
        (Some(true), Some(3))
    );
    let id = makeup["created"][0].as_i64().expect("a make-up session");
    let row = s.session(id).await.unwrap().expect("created");
    assert!(row.makeup && row.title.starts_with("补采"), "{row:?}");
    assert_eq!(row.assigned, 3);
    assert!(
        s.plan_candidates(PlanKind::Makeup, now())
            .await
            .unwrap()
            .is_empty(),
        "an upcoming make-up session counts"
    );
    // One check-in per student: E0001 (shot 1 at the first session) is refused elsewhere, even
    // as a walk-in, with that session and shot; a make-up session takes them with a reason.
    let checkin_json = |session: &str, extra: &[&str], line: &str| {
        let mut args = vec!["sessions", "checkin", session, "--format", "json"];
        args.extend_from_slice(extra);
        caiji(db, home.path(), &args, &format!("{line}\n"))
    };
    let refused = json(
        ok(
            &checkin_json(&small.to_string(), &["--allow-walk-in"], &e1),
            0,
        )
        .trim(),
    );
    assert_eq!(
        (
            refused["status"].as_str(),
            refused["session"].as_i64(),
            refused["shot"].as_i64()
        ),
        (Some("already_elsewhere"), Some(created[0]), Some(1)),
        "{refused}"
    );
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("already checked in at session {}", created[0])),
        "{refused}"
    );
    let normal = checkin_json(&small.to_string(), &["--retake-reason", "闭眼"], &e1);
    assert_eq!(normal.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&normal.stderr).contains("not a make-up"),
        "{}",
        String::from_utf8_lossy(&normal.stderr)
    );
    let makeup_out = ok(
        &caiji(
            db,
            home.path(),
            &[
                "sessions",
                "add",
                "--title",
                "补采",
                "--location",
                "图书馆",
                "--start",
                "2099-05-01 08:30",
                "--end",
                "2099-05-01 11:30",
                "--capacity",
                "5",
                "--makeup",
            ],
            "",
        ),
        0,
    );
    let makeup: String = makeup_out
        .split("Created session ")
        .nth(1)
        .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert!(!makeup.is_empty(), "{makeup_out}");
    for bad in ["  ", &"很".repeat(501)] {
        let refused = checkin_json(&makeup, &["--retake-reason", bad], &e1);
        assert_eq!(refused.status.code(), Some(1), "{bad}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("--retake-reason"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }
    let asked = json(ok(&checkin_json(&makeup, &["--allow-walk-in"], &e1), 0).trim());
    assert_eq!(asked["status"], "already_elsewhere");
    assert!(
        asked["reason"]
            .as_str()
            .unwrap()
            .contains("--retake-reason"),
        "{asked}"
    );
    let retake = ok(
        &checkin_json(
            &makeup,
            &["--allow-walk-in", "--retake-reason", "闭眼，需重拍"],
            &format!("{e1}\n{e1}"),
        ),
        0,
    );
    let answers: Vec<(String, Option<i64>)> = retake
        .lines()
        .map(json)
        .map(|l| {
            (
                l["status"].as_str().unwrap().to_string(),
                l["shot"].as_i64(),
            )
        })
        .collect();
    assert_eq!(
        answers,
        [
            ("checked_in".to_string(), Some(1)),
            ("already".to_string(), Some(1))
        ]
    );
    let audit = ok(
        &caiji(
            db,
            home.path(),
            &["audit", "--student", "E0001", "--format", "json"],
            "",
        ),
        0,
    );
    assert!(
        audit.contains("checkin_retake") && audit.contains("闭眼，需重拍"),
        "{audit}"
    );

    s.close().await;
}

#[derive(Clone, Copy, PartialEq)]
enum IcsZone {
    Shanghai,
    Floating,
}

/// The calendar as an independent parser reads it: one event per session with its times,
/// title and place.
async fn check_ics(text: &str, s: &dyn store::Store, zone: IcsZone) {
    use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};
    for line in text.split_inclusive('\n') {
        assert!(line.ends_with("\r\n"), "CRLF: {line:?}");
        assert!(line.len() <= 77, "{} octets: {line:?}", line.len() - 2);
    }
    let unfolded = icalendar::parser::unfold(text);
    let raw = icalendar::parser::read_calendar(&unfolded).unwrap_or_else(|e| panic!("{e}"));
    let events = raw
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .count();
    let sessions = s.list_sessions().await.unwrap();
    assert_eq!(events, sessions.len(), "one VEVENT per session");

    let calendar: icalendar::Calendar = text.parse().unwrap_or_else(|e| panic!("{e}"));
    let mut uids = BTreeSet::new();
    for (event, session) in calendar.events().zip(&sessions) {
        assert!(uids.insert(event.get_uid().expect("UID").to_string()));
        assert!(event.get_timestamp().is_some(), "DTSTAMP");
        // Asia/Shanghai is UTC+8 all year; floating times are this station's wall clock.
        let want = |t: DateTime<Utc>| match zone {
            IcsZone::Shanghai => DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
                date_time: t.naive_utc() + chrono::Duration::hours(8),
                tzid: "Asia/Shanghai".into(),
            }),
            IcsZone::Floating => {
                DatePerhapsTime::DateTime(CalendarDateTime::Floating(caiji::clock::local(t)))
            }
        };
        assert_eq!(event.get_start(), Some(want(session.starts_at)));
        assert_eq!(event.get_end(), Some(want(session.ends_at)));
        assert_eq!(event.get_summary(), Some(session.title.as_str()));
        assert_eq!(
            event.get_location(),
            Some(session.location.as_str()),
            "escaped comma comes back"
        );
    }
    let first = calendar.events().next().unwrap();
    assert!(
        first
            .get_description()
            .unwrap()
            .contains("外国语学院：英语2201 (10)"),
        "{:?}",
        first.get_description()
    );
}

backend_tests! {
    add_and_list_sessions => add_and_list;
    assign_rules => assign_and_unassign;
    planning_only_waiting => planning_touches_only_waiting_students;
    makeup_candidates_are_past_without_photo => makeup_candidates;
    check_in_cases => check_in_answers_every_case;
    concurrent_stations => eight_stations_at_once;
    one_checkin_each => one_checkin_per_student;
    one_checkin_under_races => two_sessions_race_for_one_student;
    one_checkin_migration => duplicates_from_before_the_rule;
    commands => commands_end_to_end;
}
