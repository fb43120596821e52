//! The demo school tells the truth, on SQLite, PostgreSQL and MariaDB: what `caiji demo` writes
//! reads like a real collection — codes issued before anyone is scanned in, check-ins inside
//! their session's hours (not all at the moment the demo ran), photos only of students who came.

mod common;

use std::process::Command;

use caiji::store::{self, Create};
use common::{TestDb, scalar};

/// `caiji demo` on the test database (the server ones need `--force`).
fn demo(db: &TestDb, home: &std::path::Path, students: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_caiji"))
        .args(["--database-url", &db.url])
        .args([
            "demo",
            "--no-tui",
            "--force",
            "--students",
            students,
            "--seed",
            "7",
        ])
        .env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .output()
        .expect("run caiji demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Counts that must be zero, each with what it would mean.
const NEVER: [(&str, &str); 8] = [
    (
        "a student with two check-ins that count (docs/sessions.md)",
        "SELECT COUNT(*) FROM (SELECT student_id FROM checkins WHERE counts_for IS NOT NULL \
         GROUP BY student_id HAVING COUNT(*) > 1) twice",
    ),
    (
        "a student checked in more than once (the demo has no make-up retakes)",
        "SELECT COUNT(*) FROM (SELECT student_id FROM checkins GROUP BY student_id \
         HAVING COUNT(*) > 1) again",
    ),
    (
        "a photo of a student who never checked in",
        "SELECT COUNT(*) FROM photos p WHERE p.student_id IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM checkins k WHERE k.student_id = p.student_id)",
    ),
    (
        "a photo recorded before its student checked in",
        "SELECT COUNT(*) FROM photos p JOIN checkins k ON k.student_id = p.student_id \
         WHERE p.checked_at < k.checked_in_at",
    ),
    (
        "a check-in outside its session's hours",
        "SELECT COUNT(*) FROM checkins k JOIN sessions s ON s.id = k.session_id \
         WHERE k.checked_in_at < s.starts_at OR k.checked_in_at > s.ends_at",
    ),
    (
        "a checked-in student without an active code",
        "SELECT COUNT(*) FROM checkins k WHERE NOT EXISTS \
         (SELECT 1 FROM codes c WHERE c.student_id = k.student_id AND c.status = 'active')",
    ),
    (
        "a check-in with no code valid at that moment (issued before it, not yet revoked)",
        "SELECT COUNT(*) FROM checkins k WHERE NOT EXISTS \
         (SELECT 1 FROM codes c WHERE c.student_id = k.student_id AND c.issued_at < k.checked_in_at \
          AND (c.revoked_at IS NULL OR c.revoked_at > k.checked_in_at))",
    ),
    (
        "a session planned after it began",
        "SELECT COUNT(*) FROM sessions WHERE created_at >= starts_at",
    ),
];

async fn demo_tells_the_truth(db: &TestDb) {
    let home = tempfile::tempdir().unwrap();
    demo(db, home.path(), "600");
    let mut broken = Vec::new();
    for (what, sql) in NEVER {
        let n = scalar(db, sql).await;
        if n != 0 {
            broken.push(format!("{n} × {what}"));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
    let checkins = scalar(db, "SELECT COUNT(*) FROM checkins").await;
    assert!(checkins > 50, "the demo has check-ins to show: {checkins}");
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(*) FROM checkins WHERE counts_for IS NOT NULL"
        )
        .await,
        checkins,
        "every check-in of the demo is the one that counts for its student"
    );
    assert!(
        scalar(
            db,
            "SELECT COUNT(*) FROM photos WHERE student_id IS NOT NULL"
        )
        .await
            > 0,
        "and photos"
    );
    assert!(
        scalar(db, "SELECT COUNT(DISTINCT checked_in_at) FROM checkins").await > checkins / 2,
        "check-ins are spread over their sessions, not stamped at one moment"
    );
    assert_eq!(
        scalar(db, "SELECT COUNT(*) FROM students s WHERE s.created_at > (SELECT MIN(issued_at) FROM codes)").await,
        0,
        "the roster came before the codes"
    );

    // The daily chart: every check-in on the day of its session, on this machine's clock (the
    // first sessions were yesterday, so the chart has more than the demo's own day).
    let s = store::open(&db.url, Create::Never).await.unwrap();
    let sessions = s.list_sessions().await.unwrap();
    let session_days: std::collections::BTreeSet<chrono::NaiveDate> = sessions
        .iter()
        .map(|r| caiji::clock::local_date(r.starts_at))
        .collect();
    let days = s.daily_progress(None).await.unwrap();
    let checkin_days: Vec<chrono::NaiveDate> = days
        .iter()
        .filter(|d| d.checked_in > 0)
        .map(|d| d.day)
        .collect();
    assert!(
        checkin_days.iter().all(|d| session_days.contains(d)),
        "{checkin_days:?} vs sessions on {session_days:?}"
    );
    assert!(
        checkin_days.first() < Some(&caiji::clock::today()),
        "yesterday's sessions have their check-ins yesterday: {checkin_days:?}"
    );
    assert_eq!(days.iter().map(|d| d.checked_in).sum::<i64>(), checkins);
    s.close().await;
}

backend_tests! {
    demo_tells_the_truth => demo_tells_the_truth;
}
