//! The storage suite: every test runs unchanged on SQLite, PostgreSQL and MariaDB.

mod common;

use caiji::domain::Level;
use caiji::store::{
    self, AuditEntry, CodeState, CodeStatus, CodeTargets, Create, ImportOptions, ImportSummary,
    PhotoStatus, StudentFilter,
};
use common::{Server, TestDb, exec, scalar, student};

async fn open(db: &TestDb) -> Box<dyn store::Store> {
    // messages are asserted in English; the interface language is Chinese unless set
    caiji::i18n::set_lang(caiji::i18n::Lang::En);
    store::open(&db.url, Create::IfMissing)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.url))
}

async fn migrations_are_idempotent(db: &TestDb) {
    let first = open(db).await;
    assert_eq!(first.student_count().await.unwrap(), 0);
    first.close().await;
    let second = open(db).await;
    assert_eq!(second.student_count().await.unwrap(), 0);
    second.close().await;
}

/// Stations opening a new database at the same moment: each one finds the schema complete
/// when `open` returns, never a half-made one another station is still building.
async fn stations_opening_a_new_database_at_once(db: &TestDb) {
    caiji::i18n::set_lang(caiji::i18n::Lang::En);
    let station = || async {
        let s = store::open(&db.url, Create::IfMissing)
            .await
            .unwrap_or_else(|e| panic!("open {}: {e}", db.url));
        // an empty import takes the roster lock: it reads the last table the first migration makes
        let answers = (
            s.student_count().await.map_err(|e| e.to_string()),
            s.import_roster(&[], opts(false, false))
                .await
                .map_err(|e| e.to_string()),
        );
        s.close().await;
        answers
    };
    let answers = tokio::join!(
        station(),
        station(),
        station(),
        station(),
        station(),
        station()
    );
    for got in [
        answers.0, answers.1, answers.2, answers.3, answers.4, answers.5,
    ] {
        assert_eq!(got, (Ok(0), Ok(summary(0, 0, 0, 0))));
    }
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM locks").await,
        4,
        "the lock rows of the first migration are all there"
    );
}

async fn students_round_trip_with_statuses(db: &TestDb) {
    let s = open(db).await;
    let mut roster = vec![
        student("2022000003", "买买提·艾力"),
        student("2022000001", "张三"),
        student("2022000002", "John Smith"),
        student("2022000004", "欧阳娜娜"),
    ];
    roster[3].class = "软工2202".into();
    roster[3].level = Level::Master;
    roster[3].counselor = "李老师".into();
    roster[2].phone = Some("13800138000".into());
    assert_eq!(s.insert_students(&roster).await.unwrap(), 4);

    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let numbers: Vec<&str> = rows.iter().map(|r| r.student.student_no.as_str()).collect();
    assert_eq!(
        numbers,
        ["2022000001", "2022000002", "2022000003", "2022000004"],
        "ordered by 学号"
    );
    let by_no = |no: &str| rows.iter().find(|r| r.student.student_no == no).unwrap();
    assert_eq!(
        by_no("2022000003").student,
        roster[0],
        "CJK and · names survive unchanged"
    );
    assert_eq!(by_no("2022000004").student, roster[3]);
    assert_eq!(
        by_no("2022000002").student.phone.as_deref(),
        Some("13800138000")
    );
    for r in &rows {
        assert_eq!(r.code_status, CodeStatus::None);
        assert_eq!(r.session_id, None);
        assert!(!r.checked_in);
        assert_eq!(r.photo_status, PhotoStatus::Missing);
        assert!(!r.withdrawn);
    }

    let filtered = |f: StudentFilter| {
        let s = &s;
        async move { s.list_students(&f).await.unwrap().len() }
    };
    assert_eq!(
        filtered(StudentFilter {
            class: Some("软工2202".into()),
            ..Default::default()
        })
        .await,
        1
    );
    assert_eq!(
        filtered(StudentFilter {
            counselor: Some("王老师".into()),
            ..Default::default()
        })
        .await,
        3
    );
    assert_eq!(
        filtered(StudentFilter {
            college: Some("计算机学院".into()),
            ..Default::default()
        })
        .await,
        4
    );
    assert_eq!(
        filtered(StudentFilter {
            college: Some("计算机".into()),
            ..Default::default()
        })
        .await,
        0
    );
    assert_eq!(
        filtered(StudentFilter {
            cohort: Some(2025),
            ..Default::default()
        })
        .await,
        0
    );

    let counts = s.counts().await.unwrap();
    assert_eq!(
        (counts.total, counts.withdrawn, counts.code_active),
        (4, 0, 0)
    );
    s.close().await;
}

/// Three students: 1 with a revoked and an active code and a session; 2 withdrawn with a revoked
/// code and an invalid photo; 3 in the session, checked in, with a valid photo.
async fn statuses_setup(db: &TestDb, s: &dyn store::Store) {
    s.insert_students(&[
        student("1", "甲乙"),
        student("2", "丙丁"),
        student("3", "戊己"),
    ])
    .await
    .unwrap();
    let sql = [
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT id, id, 1, student_no, 'revoked', '2026-01-01 08:00:00' FROM students WHERE student_no IN ('1','2')",
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT id + 100, id, 1, name, 'active', '2026-01-02 08:00:00' FROM students WHERE student_no = '1'",
        "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('第一场', '图书馆', '2026-03-01 08:30:00', '2026-03-01 11:30:00', 100, '2026-01-01 00:00:00')",
        "INSERT INTO assignments (session_id, student_id, assigned_at) SELECT (SELECT MAX(id) FROM sessions), id, '2026-01-03 00:00:00' FROM students WHERE student_no IN ('1','3')",
        "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) SELECT (SELECT MAX(id) FROM sessions), id, 1, 'A', 'op', '2026-03-01 08:31:00' FROM students WHERE student_no = '3'",
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT '/p/3.jpg', id, 30000, 0, 'x', 'valid', '2026-03-02 00:00:00' FROM students WHERE student_no = '3'",
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT '/p/2.jpg', id, 3000, 0, 'y', 'invalid', '2026-03-02 00:00:00' FROM students WHERE student_no = '2'",
        "UPDATE students SET withdrawn = TRUE WHERE student_no = '2'",
    ];
    for q in sql {
        exec(db, q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
    }
}

async fn statuses_follow_codes_sessions_checkins_photos(db: &TestDb) {
    let s = open(db).await;
    statuses_setup(db, s.as_ref()).await;
    let rows = s
        .list_students(&StudentFilter {
            include_withdrawn: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let state: Vec<(&str, CodeStatus, bool, bool, PhotoStatus, bool)> = rows
        .iter()
        .map(|r| {
            (
                r.student.student_no.as_str(),
                r.code_status,
                r.session_id.is_some(),
                r.checked_in,
                r.photo_status,
                r.withdrawn,
            )
        })
        .collect();
    assert_eq!(
        state,
        [
            (
                "1",
                CodeStatus::Active,
                true,
                false,
                PhotoStatus::Missing,
                false
            ),
            (
                "2",
                CodeStatus::Revoked,
                false,
                false,
                PhotoStatus::Invalid,
                true
            ),
            ("3", CodeStatus::None, true, true, PhotoStatus::Valid, false),
        ]
    );
    assert_eq!(
        s.list_students(&StudentFilter::default())
            .await
            .unwrap()
            .len(),
        2,
        "withdrawn hidden by default"
    );
    let c = s.counts().await.unwrap();
    assert_eq!(
        (
            c.total,
            c.withdrawn,
            c.code_active,
            c.session_assigned,
            c.checked_in,
            c.photo_valid
        ),
        (2, 1, 1, 2, 1, 1)
    );
    s.close().await;
}

async fn constraints_keep_data_honest(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(&[student("1", "甲乙"), student("2", "丙丁")])
        .await
        .unwrap();

    // unique 学号, and a failed batch leaves nothing behind
    let err = s
        .insert_students(&[student("3", "新生"), student("1", "重复")])
        .await;
    assert!(err.is_err(), "duplicate 学号 must be refused");
    assert_eq!(
        s.student_count().await.unwrap(),
        2,
        "the failed batch inserted nothing"
    );

    // one active code per student
    let code = |serial: i32, token: &str| {
        format!(
            "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT {serial}, id, 1, '{token}', 'active', '2026-01-01 00:00:00' FROM students WHERE student_no = '1'"
        )
    };
    exec(db, &code(1, "CJ1:A")).await.unwrap();
    assert!(
        exec(db, &code(2, "CJ1:B")).await.is_err(),
        "a second active code must be refused"
    );
    exec(db, "UPDATE codes SET status = 'revoked'")
        .await
        .unwrap();
    assert!(
        exec(db, &code(3, "CJ1:A")).await.is_err(),
        "a token is unique"
    );
    exec(db, &code(3, "CJ1:C"))
        .await
        .expect("a new code after revoking the old one");

    // one check-in per student per session, unique shot numbers, capacity
    exec(db, "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('s', 'l', '2026-03-01 08:30:00', '2026-03-01 11:30:00', 1, '2026-01-01 00:00:00')").await.unwrap();
    let checkin = |no: &str, shot: i32| {
        format!(
            "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) SELECT (SELECT MAX(id) FROM sessions), id, {shot}, 'A', 'op', '2026-03-01 09:00:00' FROM students WHERE student_no = '{no}'"
        )
    };
    exec(db, &checkin("1", 1)).await.unwrap();
    assert!(
        exec(db, &checkin("1", 2)).await.is_err(),
        "a second check-in of the same student must be refused"
    );
    assert!(
        exec(db, &checkin("2", 1)).await.is_err(),
        "a shot number is handed out once per session"
    );
    exec(db, "UPDATE sessions SET checked_in = 1")
        .await
        .unwrap();
    assert!(
        exec(db, "UPDATE sessions SET checked_in = 2")
            .await
            .is_err(),
        "check-ins never exceed capacity"
    );
    assert!(
        exec(db, "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('s', 'l', '2026-03-01 12:00:00', '2026-03-01 11:00:00', 5, '2026-01-01 00:00:00')").await.is_err(),
        "a session ends after it starts"
    );
    assert!(
        exec(db, "UPDATE students SET level = 'kindergarten'")
            .await
            .is_err(),
        "levels are a closed set"
    );
    s.close().await;
}

async fn settings_and_audit(db: &TestDb) {
    let s = open(db).await;
    assert_eq!(s.get_setting("school_name").await.unwrap(), None);
    s.set_setting("school_name", "南岭理工大学").await.unwrap();
    s.set_setting("school_name", "示例大学").await.unwrap();
    assert_eq!(
        s.get_setting("school_name").await.unwrap().as_deref(),
        Some("示例大学")
    );

    for (i, no) in [Some("2022001"), None, Some("2022001")]
        .into_iter()
        .enumerate()
    {
        s.audit(&AuditEntry {
            operator: "辅导员甲".into(),
            action: "show".into(),
            student_no: no.map(String::from),
            detail: format!("entry {i}"),
        })
        .await
        .unwrap();
    }
    let all = s.audit_log(None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].entry.detail, "entry 2", "newest first");
    let one = s.audit_log(Some("2022001"), 10).await.unwrap();
    assert_eq!(
        one.iter()
            .map(|r| r.entry.detail.as_str())
            .collect::<Vec<_>>(),
        ["entry 2", "entry 0"]
    );
    assert_eq!(one[0].entry.operator, "辅导员甲");
    s.close().await;
}

async fn replace_roster_starts_over(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(&[student("1", "甲乙"), student("2", "丙丁")])
        .await
        .unwrap();
    exec(db, "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT id, id, 1, student_no, 'active', '2026-01-01 00:00:00' FROM students").await.unwrap();
    assert_eq!(s.replace_roster(&[student("9", "壬癸")]).await.unwrap(), 1);
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].student.student_no, "9");
    assert_eq!(rows[0].code_status, CodeStatus::None);
    s.close().await;
}

async fn newer_schema_is_refused(db: &TestDb) {
    open(db).await.close().await;
    // A migration this binary does not know, as a newer caiji would have recorded it.
    let checksum = if db.server == common::Server::Postgres {
        "'\\x00'"
    } else {
        "X'00'"
    };
    exec(
        db,
        &format!(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', TRUE, {checksum}, 0)"
        ),
    )
    .await
    .unwrap();
    let Err(err) = store::open(&db.url, Create::IfMissing).await else {
        panic!("a newer schema must be refused")
    };
    let msg = err.to_string();
    assert!(msg.contains("9999") && msg.contains("newer"), "{msg}");
}

fn opts(full_sync: bool, dry_run: bool) -> ImportOptions<'static> {
    ImportOptions {
        full_sync,
        dry_run,
        operator: "教务处",
        source: "roster.xlsx",
    }
}

fn summary(inserted: u64, updated: u64, unchanged: u64, withdrawn: u64) -> ImportSummary {
    ImportSummary {
        inserted,
        updated,
        unchanged,
        withdrawn,
    }
}

async fn import_is_idempotent_and_audited(db: &TestDb) {
    let s = open(db).await;
    let roster = vec![
        student("1", "张三"),
        student("2", "李四"),
        student("3", "王五"),
    ];
    assert_eq!(
        s.import_roster(&roster, opts(false, true)).await.unwrap(),
        summary(3, 0, 0, 0)
    );
    assert_eq!(
        s.student_count().await.unwrap(),
        0,
        "a dry run writes nothing"
    );
    assert_eq!(
        s.import_roster(&roster, opts(false, false)).await.unwrap(),
        summary(3, 0, 0, 0)
    );
    assert_eq!(
        s.import_roster(&roster, opts(false, false)).await.unwrap(),
        summary(0, 0, 3, 0)
    );

    let mut changed = roster.clone();
    changed[1].name = "李肆".into();
    changed[1].id_number = common::resident_id("110105", "20030101", "123");
    changed[2].class = "软工2202".into();
    assert_eq!(
        s.import_roster(&changed, opts(false, false)).await.unwrap(),
        summary(0, 2, 1, 0)
    );
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    assert_eq!(rows[1].student, changed[1]);
    assert_eq!(rows[2].student.class, "软工2202");

    let log = s.audit_log(Some("2"), 10).await.unwrap();
    assert_eq!(log[0].entry.action, "update");
    assert_eq!(log[0].entry.operator, "教务处");
    let masked_new = caiji::domain::mask_id(&changed[1].id_number);
    assert!(
        log[0].entry.detail.contains("name: 李四 → 李肆"),
        "{}",
        log[0].entry.detail
    );
    assert!(
        log[0].entry.detail.contains(&masked_new),
        "{}",
        log[0].entry.detail
    );
    assert!(
        !log[0].entry.detail.contains(&changed[1].id_number),
        "full ID numbers never reach the audit log"
    );
    s.close().await;
}

async fn full_sync_withdraws_and_restores(db: &TestDb) {
    let s = open(db).await;
    let roster = vec![
        student("1", "张三"),
        student("2", "李四"),
        student("3", "王五"),
    ];
    s.import_roster(&roster, opts(true, false)).await.unwrap();
    let fewer = vec![roster[0].clone(), roster[2].clone()];
    assert_eq!(
        s.import_roster(&fewer, opts(true, false)).await.unwrap(),
        summary(0, 0, 2, 1)
    );
    assert_eq!(
        s.student_count().await.unwrap(),
        3,
        "withdrawn, never deleted"
    );
    let visible = s.list_students(&StudentFilter::default()).await.unwrap();
    assert_eq!(visible.len(), 2);
    let all = s
        .list_students(&StudentFilter {
            include_withdrawn: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        all.iter()
            .find(|r| r.student.student_no == "2")
            .unwrap()
            .withdrawn
    );
    assert_eq!(
        s.counts().await.unwrap().total,
        2,
        "withdrawn students are left out of totals"
    );
    assert_eq!(
        s.audit_log(Some("2"), 1).await.unwrap()[0].entry.action,
        "withdraw"
    );

    assert_eq!(
        s.import_roster(&roster, opts(true, false)).await.unwrap(),
        summary(0, 1, 2, 0)
    );
    assert_eq!(
        s.list_students(&StudentFilter::default())
            .await
            .unwrap()
            .len(),
        3,
        "restored"
    );
    assert_eq!(
        s.audit_log(Some("2"), 1).await.unwrap()[0].entry.action,
        "restore"
    );
    s.close().await;
}

async fn concurrent_imports_serialise(db: &TestDb) {
    let a = std::sync::Arc::new(open(db).await);
    let b = std::sync::Arc::new(open(db).await);
    // two overlapping rosters, each with rows the other changes
    let first: Vec<_> = (0..600)
        .map(|i| student(&format!("{i:05}"), "张三"))
        .collect();
    let second: Vec<_> = (300..900)
        .map(|i| student(&format!("{i:05}"), "李四"))
        .collect();
    let (ra, rb) = tokio::join!(
        {
            let a = a.clone();
            let f = first.clone();
            async move { a.import_roster(&f, opts(false, false)).await }
        },
        {
            let b = b.clone();
            let s = second.clone();
            async move { b.import_roster(&s, opts(false, false)).await }
        }
    );
    let (ra, rb) = (ra.expect("first import"), rb.expect("second import"));
    // whichever ran first inserted 600; the other inserted 300 and updated the 300 overlapping
    let mut outcomes = [ra, rb];
    outcomes.sort_by_key(|s| std::cmp::Reverse(s.inserted));
    assert_eq!(outcomes, [summary(600, 0, 0, 0), summary(300, 300, 0, 0)]);
    assert_eq!(a.student_count().await.unwrap(), 900);
    let rows = a.list_students(&StudentFilter::default()).await.unwrap();
    let overlap_name = &rows[300].student.name;
    assert!(
        rows[300..600]
            .iter()
            .all(|r| &r.student.name == overlap_name),
        "the overlap holds one import's names, not a mix"
    );
    a.close().await;
    b.close().await;
}

async fn roster_source_is_read_only_text(db: &TestDb) {
    exec(db, "CREATE TABLE jw_graduates (xh BIGINT, xm VARCHAR(50), sfzh VARCHAR(20), nj INT, bz VARCHAR(10))").await.unwrap();
    exec(db, "INSERT INTO jw_graduates VALUES (2022010101, '买买提·艾力', '11010519491231002x', 2026, NULL)").await.unwrap();
    exec(db, "INSERT INTO jw_graduates VALUES (2022010102, '张三', '110105194912310037', 2026, '转专业')").await.unwrap();
    let table = store::read_source(
        &db.url,
        "SELECT xh AS 学号, xm AS 姓名, sfzh, nj, bz FROM jw_graduates ORDER BY xh",
    )
    .await
    .unwrap();
    assert_eq!(table.headers, ["学号", "姓名", "sfzh", "nj", "bz"]);
    assert_eq!(
        table.rows[0],
        [
            "2022010101",
            "买买提·艾力",
            "11010519491231002x",
            "2026",
            ""
        ]
    );
    assert_eq!(table.rows[1][4], "转专业");
    let write = store::read_source(&db.url, "DELETE FROM jw_graduates").await;
    assert!(write.is_err(), "the source is opened read-only");
    let still = store::read_source(&db.url, "SELECT COUNT(*) AS n FROM jw_graduates")
        .await
        .unwrap();
    assert_eq!(still.rows[0][0], "2");
    let bad = store::read_source(&db.url, "SELECT nothing FROM nowhere")
        .await
        .unwrap_err()
        .to_string();
    assert!(bad.contains("[roster.source]"), "{bad}");
}

fn fake_token(
    serial: i64,
    s: &caiji::domain::Student,
    day: chrono::NaiveDate,
) -> Result<String, String> {
    Ok(format!(
        "CJ1:{serial}-{}-{}",
        s.student_no,
        day.format("%Y%m%d")
    ))
}

async fn codes_issue_revoke_reissue(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(&[
        student("1", "张三"),
        student("2", "李四"),
        student("3", "王五"),
    ])
    .await
    .unwrap();
    exec(
        db,
        "UPDATE students SET withdrawn = TRUE WHERE student_no = '3'",
    )
    .await
    .unwrap();

    let first = s
        .issue_codes(&CodeTargets::AllWithout, 1, &fake_token, "教务处")
        .await
        .unwrap();
    assert_eq!(
        first
            .issued
            .iter()
            .map(|(no, _)| no.as_str())
            .collect::<Vec<_>>(),
        ["1", "2"],
        "withdrawn students get no code"
    );
    let serials: Vec<i64> = first.issued.iter().map(|(_, s)| *s).collect();
    assert_eq!(serials[1], serials[0] + 1);

    let again = s
        .issue_codes(
            &CodeTargets::Students(vec!["1".into(), "9".into(), "3".into()]),
            1,
            &fake_token,
            "教务处",
        )
        .await
        .unwrap();
    assert!(again.issued.is_empty());
    assert_eq!(again.already_active, ["1"]);
    assert_eq!(again.unknown, ["9", "3"]);

    let (st, codes) = s.student_codes("1").await.unwrap().unwrap();
    assert_eq!(st.name, "张三");
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].state, CodeState::Active);
    assert!(
        codes[0]
            .token
            .starts_with(&format!("CJ1:{}-1-", serials[0]))
    );

    let revoked = s.revoke_code("2", "丢失", "现场").await.unwrap();
    assert_eq!(revoked.state, CodeState::Revoked);
    assert!(
        s.revoke_code("2", "again", "现场").await.is_err(),
        "nothing active left to revoke"
    );
    let stored = s.code_by_serial(revoked.serial).await.unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.revoke_reason.as_deref()),
        (CodeState::Revoked, Some("丢失"))
    );
    assert!(stored.revoked_at.is_some());

    let (old, new) = s
        .reissue_code("1", "照片信息更正", 2, &fake_token, "教务处")
        .await
        .unwrap();
    let old = old.unwrap();
    assert_eq!(old.serial, serials[0]);
    assert_eq!(old.replaced_by, Some(new.serial));
    assert_eq!((new.state, new.key_id), (CodeState::Active, 2));
    assert!(new.serial > serials[1]);
    let stored_old = s.code_by_serial(old.serial).await.unwrap().unwrap();
    assert_eq!(
        (stored_old.state, stored_old.replaced_by),
        (CodeState::Revoked, Some(new.serial))
    );
    let (_, history) = s.student_codes("1").await.unwrap().unwrap();
    assert_eq!(
        history.iter().map(|c| c.serial).collect::<Vec<_>>(),
        [new.serial, old.serial],
        "newest first"
    );

    let (_, fresh) = s
        .reissue_code("2", "补发", 2, &fake_token, "现场")
        .await
        .unwrap();
    assert_eq!(
        fresh.state,
        CodeState::Active,
        "reissue after revoke works too"
    );
    assert!(
        s.reissue_code("3", "x", 2, &fake_token, "现场")
            .await
            .is_err(),
        "withdrawn"
    );
    assert!(
        s.reissue_code("404", "x", 2, &fake_token, "现场")
            .await
            .is_err(),
        "unknown"
    );

    let active = s.active_codes().await.unwrap();
    assert_eq!(
        active
            .iter()
            .map(|(st, c)| (st.student_no.as_str(), c.serial))
            .collect::<Vec<_>>(),
        [("1", new.serial), ("2", fresh.serial)]
    );
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    assert!(rows.iter().all(|r| r.code_status == CodeStatus::Active));
    let actions: Vec<String> = s
        .audit_log(Some("1"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.action)
        .collect();
    assert_eq!(actions, ["reissue", "issue"]);

    let failing = |_: i64,
                   _: &caiji::domain::Student,
                   _: chrono::NaiveDate|
     -> Result<String, String> { Err("key file vanished".into()) };
    s.insert_students(&[student("4", "赵六")]).await.unwrap();
    let err = s
        .issue_codes(&CodeTargets::AllWithout, 1, &failing, "x")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("key file vanished"), "{err}");
    assert_eq!(
        s.student_codes("4").await.unwrap().unwrap().1.len(),
        0,
        "nothing issued when a token cannot be made"
    );
    s.close().await;
}

/// Completion counts must equal what the student list says, group by group.
async fn report_counts_match_student_list(db: &TestDb) {
    use caiji::store::GroupBy;
    use std::collections::BTreeMap;
    let s = open(db).await;
    let school = caiji::demo::generate(400, 7, 2026);
    s.insert_students(&school.students).await.unwrap();
    // a spread of states: codes for 3 in 4, two sessions, check-ins, valid and invalid photos, withdrawals
    for q in [
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT id, id, 1, student_no, 'active', '2026-01-01 00:00:00' FROM students WHERE id % 4 <> 0",
        "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('上午场', '体育馆', '2026-03-01 08:30:00', '2026-03-01 11:30:00', 400, '2026-01-01 00:00:00')",
        "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('下午场', '体育馆', '2026-03-01 14:00:00', '2026-03-01 17:00:00', 400, '2026-01-01 00:00:00')",
        "INSERT INTO assignments (session_id, student_id, assigned_at) SELECT (SELECT MIN(id) FROM sessions), id, '2026-02-01 00:00:00' FROM students WHERE id % 3 = 0",
        "INSERT INTO assignments (session_id, student_id, assigned_at) SELECT (SELECT MAX(id) FROM sessions), id, '2026-02-01 00:00:00' FROM students WHERE id % 3 = 1",
        "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) SELECT (SELECT MIN(id) FROM sessions), id, id, 'A', 'op', '2026-03-01 09:00:00' FROM students WHERE id % 6 = 0",
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT student_no, id, 30000, 0, 'h', 'valid', '2026-03-02 10:00:00' FROM students WHERE id % 6 = 0 AND id % 12 <> 0",
        "INSERT INTO photos (path, student_id, size, mtime, sha256, status, checked_at) SELECT name, id, 3000, 0, 'h', 'invalid', '2026-03-02 10:00:00' FROM students WHERE id % 12 = 0",
        "UPDATE students SET withdrawn = TRUE WHERE id % 50 = 0",
    ] {
        exec(db, q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let sessions: BTreeMap<i64, String> =
        [(1i64, "上午场".to_string()), (2, "下午场".to_string())].into();
    let min_session: i64 = common::scalar(db, "SELECT MIN(id) FROM sessions").await;
    for by in [
        GroupBy::College,
        GroupBy::Class,
        GroupBy::Counselor,
        GroupBy::Session,
        GroupBy::Level,
    ] {
        let mut want: BTreeMap<String, [i64; 7]> = BTreeMap::new();
        for r in &rows {
            let key = match by {
                GroupBy::College => r.student.college.clone(),
                GroupBy::Class => r.student.class.clone(),
                GroupBy::Counselor => r.student.counselor.clone(),
                GroupBy::Level => r.student.level.code().to_string(),
                GroupBy::Session => r
                    .session_id
                    .map(|id| sessions[&(id - min_session + 1)].clone())
                    .unwrap_or_default(),
            };
            let e = want.entry(key).or_default();
            e[0] += 1;
            e[1] += (r.code_status == CodeStatus::Active) as i64;
            e[2] += r.session_id.is_some() as i64;
            e[3] += r.checked_in as i64;
            e[4] += (r.photo_status == PhotoStatus::Valid) as i64;
            e[5] += (r.photo_status == PhotoStatus::Invalid) as i64;
            e[6] += (r.photo_status == PhotoStatus::Missing) as i64;
        }
        let got: BTreeMap<String, [i64; 7]> = s
            .completion(by, None)
            .await
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    g.group.clone(),
                    [
                        g.total,
                        g.code_active,
                        g.session_assigned,
                        g.checked_in,
                        g.photo_valid,
                        g.photo_invalid,
                        g.photo_missing,
                    ],
                )
            })
            .collect();
        assert_eq!(got, want, "{by:?}");
        assert!(want.len() > 1, "{by:?} has several groups");
    }
    assert!(
        s.completion(GroupBy::College, Some(1999))
            .await
            .unwrap()
            .is_empty()
    );
    let days = s.daily_progress(None).await.unwrap();
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].checked_in, rows.iter().filter(|r| r.checked_in).count() as i64 + common::scalar(db, "SELECT COUNT(*) FROM checkins c JOIN students s ON s.id = c.student_id WHERE s.withdrawn = TRUE").await);
    s.close().await;
}

async fn large_import_into_an_empty_roster(db: &TestDb) {
    // large enough for SQLite's bulk path (indexes rebuilt after the rows, rows in 学号 order)
    let s = open(db).await;
    let indexes =
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students'";
    let sqlite_indexes = if db.server == Server::Sqlite {
        scalar(db, indexes).await
    } else {
        0
    };
    let mut roster: Vec<_> = (0..6000)
        .rev()
        .map(|i| student(&format!("{}", 2022000000 + i), "张三"))
        .collect();
    roster.push(student("2022000017", "重复"));
    assert!(
        s.import_roster(&roster, opts(false, false)).await.is_err(),
        "a duplicate 学号 fails the import"
    );
    assert_eq!(
        s.student_count().await.unwrap(),
        0,
        "the failed import wrote nothing"
    );
    roster.pop();
    assert_eq!(
        s.import_roster(&roster, opts(false, false)).await.unwrap(),
        summary(6000, 0, 0, 0)
    );
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    assert_eq!(rows.len(), 6000);
    assert_eq!(rows[0].student, roster[5999], "listed by 学号");
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM students WHERE college = '计算机学院' AND class_name = '软工2201'"
        )
        .await,
        6000
    );
    if db.server == Server::Sqlite {
        assert_eq!(
            scalar(db, indexes).await,
            sqlite_indexes,
            "every index is back"
        );
        assert_eq!(
            scalar(
                db,
                "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
            )
            .await,
            0
        );
    }
    s.close().await;
}

/// The two halves of a one-off search agree with the full listing: keys in the same order and
/// with the same text, and rows fetched by id with the same status.
async fn search_keys_and_rows_by_id(db: &TestDb) {
    let s = open(db).await;
    statuses_setup(db, s.as_ref()).await;
    for include_withdrawn in [false, true] {
        let filter = StudentFilter {
            include_withdrawn,
            ..Default::default()
        };
        let listed = s.list_students(&filter).await.unwrap();
        let mut keys = Vec::new();
        s.for_each_student_key(&filter, &mut |k| {
            let texts = [k.student_no, k.name, k.class, k.college, k.counselor].map(str::to_string);
            keys.push((k.id, texts));
            Ok(())
        })
        .await
        .unwrap();
        let projected: Vec<(i64, [String; 5])> = listed
            .iter()
            .map(|r| {
                let s = &r.student;
                (
                    r.id,
                    [&s.student_no, &s.name, &s.class, &s.college, &s.counselor]
                        .map(|t| t.to_string()),
                )
            })
            .collect();
        assert_eq!(keys, projected, "keys of {filter:?}");
        let ids: Vec<i64> = listed.iter().rev().map(|r| r.id).chain([999_999]).collect();
        let mut by_id = s.students_by_id(&ids).await.unwrap();
        by_id.sort_by(|a, b| a.student.student_no.cmp(&b.student.student_no));
        assert_eq!(by_id, listed, "rows by id, unknown id left out");
    }
    assert!(s.students_by_id(&[]).await.unwrap().is_empty());
    let college = StudentFilter {
        college: Some("文学院".into()),
        ..Default::default()
    };
    let mut n = 0;
    s.for_each_student_key(&college, &mut |_| {
        n += 1;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(n, 0, "the filter applies to keys");
    s.close().await;
}

/// The console's first page is the full listing's first rows, with the same status, for every
/// filter and for a limit past the end.
async fn first_students_are_the_listing_s_first_rows(db: &TestDb) {
    let s = open(db).await;
    statuses_setup(db, s.as_ref()).await;
    let all = s.list_students(&StudentFilter::default()).await.unwrap();
    let cohort = all.first().map(|r| r.student.cohort);
    for filter in [
        StudentFilter::default(),
        StudentFilter {
            include_withdrawn: true,
            ..Default::default()
        },
        StudentFilter {
            cohort,
            ..Default::default()
        },
        StudentFilter {
            cohort: Some(1990),
            ..Default::default()
        },
    ] {
        let listed = s.list_students(&filter).await.unwrap();
        for limit in [0, 1, 2, listed.len() as u32, listed.len() as u32 + 5] {
            let first = s.first_students(&filter, limit).await.unwrap();
            let want = &listed[..(limit as usize).min(listed.len())];
            assert_eq!(first, want, "first {limit} of {filter:?}");
        }
    }
    assert!(all.len() >= 2, "the setup has students to page");
    s.close().await;
}

/// A write its caller gave up on, at any moment, leaves no connection of the pool inside a
/// transaction: the store's later one-statement writes are committed at once and seen from
/// another connection. Not on MySQL: its driver can leave a connection stuck or out of step
/// when a call is dropped while a statement is being prepared, so caiji never drops a store
/// call halfway there (docs/sessions.md "Offline stations": a send given up on runs to its end).
async fn writes_given_up_on_leave_no_open_transaction(db: &TestDb) {
    if db.server == Server::Mysql {
        return;
    }
    let s = open(db).await;
    let now = chrono::Utc::now();
    let new = |i: u64| store::NewSession {
        title: format!("given up {i}"),
        location: "体育馆".into(),
        starts_at: now,
        ends_at: now + chrono::Duration::hours(1),
        capacity: 10,
        stations: 1,
        makeup: false,
    };
    // Given up after 0, 7, 14 ... µs: some are dropped while their BEGIN is on its way.
    let mut gave_up = 0;
    for step in 0..400u64 {
        let session = new(step);
        let write = s.add_session(&session, "tester");
        if tokio::time::timeout(std::time::Duration::from_micros(step * 7), write)
            .await
            .is_err()
        {
            gave_up += 1;
        }
    }
    assert!(gave_up > 0, "no write was given up on");
    for i in 0..40 {
        s.set_setting("probe", &i.to_string()).await.unwrap();
        let seen = scalar(
            db,
            &format!("SELECT COUNT(*) FROM settings WHERE name = 'probe' AND value = '{i}'"),
        )
        .await;
        assert_eq!(
            seen, 1,
            "{:?}: a setting written through the pool is not committed",
            db.server
        );
    }
    s.close().await;
}

backend_tests! {
    given_up_writes => writes_given_up_on_leave_no_open_transaction;
    first_page => first_students_are_the_listing_s_first_rows;
    search_halves => search_keys_and_rows_by_id;
    large_import => large_import_into_an_empty_roster;
    reports => report_counts_match_student_list;
    codes => codes_issue_revoke_reissue;
    roster_source => roster_source_is_read_only_text;
    import_idempotent => import_is_idempotent_and_audited;
    full_sync => full_sync_withdraws_and_restores;
    concurrent_imports => concurrent_imports_serialise;
    migrations => migrations_are_idempotent;
    simultaneous_first_open => stations_opening_a_new_database_at_once;
    round_trip => students_round_trip_with_statuses;
    statuses => statuses_follow_codes_sessions_checkins_photos;
    constraints => constraints_keep_data_honest;
    settings_audit => settings_and_audit;
    replace_roster => replace_roster_starts_over;
    newer_schema => newer_schema_is_refused;
}

/// A database made before migration 2 (students rebuilt with comparison CHECKs) keeps every
/// student, id and link to codes and check-ins when it is opened by this version, and the rules
/// still hold afterwards.
#[tokio::test]
async fn sqlite_students_rebuild_keeps_rows_and_links() {
    let db = TestDb::new(Server::Sqlite)
        .await
        .expect("sqlite always runs");
    // Migration 1 alone, from a folder holding only its file, as an older caiji left it.
    let old = tempfile::tempdir().unwrap();
    let first = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/migrations/sqlite/0001_initial.sql"
    );
    std::fs::copy(first, old.path().join("0001_initial.sql")).unwrap();
    {
        use sqlx::{Connection, Executor};
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)
            .unwrap()
            .create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        sqlx::migrate::Migrator::new(old.path())
            .await
            .unwrap()
            .run(&mut conn)
            .await
            .unwrap();
        conn.execute(
            "INSERT INTO students (id, student_no, name, id_type, id_number, college, major, class_name, level, counselor, cohort, withdrawn, created_at, updated_at) VALUES \
             (7, '2022001', '欧阳娜娜', 'resident_id', 'x', '文学院', '汉语言文学', '汉语2201', 'bachelor', '李老师', 2026, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00'), \
             (9, '2022002', '单田芳', 'passport', 'E1', '文学院', '汉语言文学', '汉语2202', 'master', '李老师', 2026, 1, '2026-01-01 00:00:00', '2026-01-01 00:00:00'); \
             INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) VALUES (1, 9, 1, 'CJ1:X', 'active', '2026-01-02 00:00:00'); \
             INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('s', 'l', '2026-03-01 08:30:00', '2026-03-01 11:30:00', 5, '2026-01-01 00:00:00'); \
             INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) VALUES (1, 7, 1, 'A', 'op', '2026-03-01 09:00:00');",
        )
        .await
        .unwrap();
        conn.close().await.unwrap();
    }

    let s = store::open(&db.url, Create::Never)
        .await
        .expect("migration 2 applies to an old database");
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite"))
        .unwrap()
        .count() as i64;
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM _sqlx_migrations").await,
        migrations,
        "every later migration applied"
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'students' AND sql LIKE '% IN (%'"
        )
        .await,
        0,
        "no IN-list checks left on students"
    );
    let rows = s
        .list_students(&StudentFilter {
            include_withdrawn: true,
            ..Default::default()
        })
        .await
        .unwrap();
    let got: Vec<(i64, &str, Level, bool, CodeStatus, bool)> = rows
        .iter()
        .map(|r| {
            (
                r.id,
                r.student.student_no.as_str(),
                r.student.level,
                r.withdrawn,
                r.code_status,
                r.checked_in,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (7, "2022001", Level::Bachelor, false, CodeStatus::None, true),
            (9, "2022002", Level::Master, true, CodeStatus::Active, false),
        ]
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM pragma_foreign_key_check").await,
        0
    );
    assert_eq!(
        scalar(
            &db,
            "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(&db, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'students' AND sql IS NOT NULL").await,
        2,
        "both secondary indexes are back"
    );
    // the rules are the same as before
    assert!(
        exec(&db, "UPDATE students SET level = 'kindergarten'")
            .await
            .is_err(),
        "levels are a closed set"
    );
    assert!(
        exec(&db, "UPDATE students SET id_type = 'library_card'")
            .await
            .is_err(),
        "ID types are a closed set"
    );
    assert!(
        exec(&db, "UPDATE students SET withdrawn = 2")
            .await
            .is_err(),
        "withdrawn is 0 or 1"
    );
    assert!(
        exec(&db, "UPDATE students SET name = ''").await.is_err(),
        "a name is not empty"
    );
    assert!(
        exec(&db, "DELETE FROM students WHERE id = 9")
            .await
            .is_err(),
        "codes still point at their student"
    );
    s.close().await;
    db.cleanup().await;
}

/// A statement SQLite refuses on its raw handle (the bulk insert of an import) is a database
/// error with SQLite's own words, not "the database server cannot be reached": only a lost
/// connection is retried, and an SQLite file has none to lose.
#[tokio::test]
async fn raw_sqlite_errors_are_not_connection_loss() {
    let db = TestDb::new(Server::Sqlite)
        .await
        .expect("sqlite always runs");
    let s = open(&db).await;
    exec(
        &db,
        "CREATE TRIGGER refuse_students BEFORE INSERT ON students \
         BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END",
    )
    .await
    .unwrap();
    let err = s
        .import_roster(&[student("2022001", "张三")], opts(false, false))
        .await
        .expect_err("the trigger refuses every student");
    let text = err.to_string();
    assert!(!err.is_connection_lost(), "not a lost connection: {text}");
    assert!(text.contains("refused by the test trigger"), "{text}");
    assert!(!text.contains("cannot be reached"), "{text}");
    assert!(text.starts_with("database error"), "{text}");
    s.close().await;
    db.cleanup().await;
}

/// A SQLite database caiji creates, and the `-wal` and `-shm` files beside it, are 0600 whatever
/// the umask (this process's is usually 022, which gave 0644): they hold full ID numbers.
#[tokio::test]
async fn created_database_files_are_0600() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new(Server::Sqlite)
        .await
        .expect("sqlite always runs");
    let s = open(&db).await;
    s.import_roster(&[student("2022001", "张三")], opts(false, false))
        .await
        .unwrap();
    let path = std::path::PathBuf::from(db.url.strip_prefix("sqlite://").unwrap());
    let mut files = vec![path.clone()];
    for suffix in ["-wal", "-shm"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        files.push(name.into());
    }
    // checked while the store is open, so the WAL and its index are there
    for file in &files {
        let mode = std::fs::metadata(file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    s.close().await;
    db.cleanup().await;
}
