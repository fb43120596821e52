//! `caiji demo`: a synthetic school so the console can be tried at once.

use std::process::ExitCode;

use std::collections::HashSet;

use anyhow::{Result, bail};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::Ctx;
use crate::cli::DemoArgs;
use crate::code::Keyring;
use crate::domain::Student;
use crate::i18n::tr;
use crate::store::{AuditEntry, CodeTargets, Store};

/// Share of demo students who already have a code, in percent: the rest show up as "missing
/// code" in the console's filters.
const ISSUED_PERCENT: u32 = 92;

/// When each step of the demo's history happened. The first sessions were yesterday; the
/// roster came in two weeks before, codes a week before, sessions were planned three days
/// before. Everything is written through the store with the clock set to these moments
/// (`clock::as_of`), so the data reads like a real collection: codes before check-ins,
/// check-ins inside their session's hours, photos only of students who came.
struct History {
    /// The day of the first sessions (yesterday), on this station's clock.
    first_day: NaiveDate,
    roster: DateTime<Utc>,
    codes: DateTime<Utc>,
    /// Revocations and reissues, the day after the codes.
    code_changes: DateTime<Utc>,
    planned: DateTime<Utc>,
}

impl History {
    fn new(today: NaiveDate) -> History {
        let first_day = today - Duration::days(1);
        let at = |days_before: i64, h: u32, m: u32| {
            crate::clock::from_local(
                (first_day - Duration::days(days_before))
                    .and_hms_opt(h, m, 0)
                    .unwrap_or_default(),
            )
        };
        History {
            first_day,
            roster: at(14, 9, 0),
            codes: at(7, 10, 0),
            code_changes: at(6, 15, 0),
            planned: at(3, 16, 30),
        }
    }
}

pub async fn run(ctx: &Ctx, args: &DemoArgs) -> Result<Demo> {
    if !ctx.default_database && !args.force {
        bail!(
            "{} {} {}",
            tr(
                "caiji demo 只在加 --force 时才写入指定的数据库",
                "caiji demo writes to a database given by URL only with --force"
            ),
            crate::store::redact_url(&ctx.database_url),
            tr(
                "（演示数据会替换其中的学生）",
                "(the demo school replaces its students)"
            )
        );
    }
    // The key file before the roster: a refused key file (wrong permissions) changes nothing.
    let existing_keyring = if args.no_codes {
        None
    } else {
        super::key::load_if_present(ctx)?
    };
    let store = ctx.open_store().await?;
    let existing = store.student_count().await?;
    if existing > 0 && !args.force {
        bail!(
            "{} {} {existing} {}",
            store.display_url(),
            tr("中已有", "already holds"),
            tr(
                "名学生；要用演示学校替换它们，请运行 caiji demo --force",
                "students; run `caiji demo --force` to replace them with the demo school"
            )
        );
    }
    let keyring = match existing_keyring {
        Some(ring) => Some(ring),
        None if args.no_codes => None,
        None => {
            let ring = super::key::create(ctx)?;
            eprintln!(
                "{} {}",
                tr("已创建密钥文件", "Key file created:"),
                ring.path().display()
            );
            Some(ring)
        }
    };
    let cohort = ctx
        .config
        .cohort
        .unwrap_or_else(crate::demo::default_cohort);
    let school = crate::demo::generate(args.students as usize, args.seed, cohort);
    let history = History::new(crate::clock::today());
    let inserted =
        crate::clock::as_of(history.roster, store.replace_roster(&school.students)).await?;
    for (name, value) in [
        ("school_code", school.code.clone()),
        ("school_name", school.name.clone()),
        ("cohort", cohort.to_string()),
    ] {
        store.set_setting(name, &value).await?;
    }
    let codes = match &keyring {
        Some(keyring) => {
            let school_code = super::codes::issuing_school_code(ctx, store.as_ref()).await?;
            Some(
                issue_demo_codes(
                    store.as_ref(),
                    keyring,
                    &school_code,
                    &school.students,
                    args.seed,
                    &ctx.operator,
                    &history,
                )
                .await?,
            )
        }
        None => None,
    };
    // Only a student with an active code can be scanned in.
    let scannable: HashSet<String> = store
        .list_students(&Default::default())
        .await?
        .into_iter()
        .filter(|r| r.code_status == crate::store::CodeStatus::Active)
        .map(|r| r.student.student_no)
        .collect();
    let (sessions, came) = demo_sessions(
        store.as_ref(),
        &school.students,
        &scannable,
        &ctx.operator,
        &history,
    )
    .await?;
    // The collector hands back photos of the students who came, reconciled now.
    super::photos::demo_folder(ctx, store.as_ref(), &came, &school.students, args.seed).await?;
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "demo".into(),
            student_no: None,
            detail: format!("demo school: {inserted} students, seed {}", args.seed),
        })
        .await?;
    eprintln!(
        "{} {}（{}）: {inserted} {} → {}",
        tr("演示学校已生成", "Demo school ready:"),
        school.name,
        school.code,
        tr("名学生", "students"),
        store.display_url()
    );
    if let Some(codes) = codes {
        eprintln!(
            "{} {} {}, {} {}, {} {}",
            tr("采集码：", "Codes:"),
            codes.issued,
            tr("已签发", "issued"),
            codes.revoked,
            tr("已作废", "revoked"),
            codes.reissued,
            tr("已补发", "reissued")
        );
    }
    eprintln!(
        "{} {}, {} {}",
        tr("场次：", "Sessions:"),
        sessions,
        tr("已签到", "checked in"),
        came.len()
    );
    if args.no_tui {
        store.close().await;
        return Ok(Demo::Done(ExitCode::SUCCESS));
    }
    Ok(Demo::OpenConsole(store))
}

/// What `caiji demo` leaves to do: nothing more, or open the console on the demo school (which
/// the binary does, so that this face never reaches into the other).
pub enum Demo {
    Done(ExitCode),
    OpenConsole(Box<dyn Store>),
}

/// What the demo did with codes.
struct DemoCodes {
    issued: usize,
    revoked: usize,
    reissued: usize,
}

/// Issues codes to about [`ISSUED_PERCENT`] of the students (the same ones for the same seed),
/// then revokes a few and reissues a few others, so every code state can be seen and scanned.
/// All of it a week before the first sessions.
async fn issue_demo_codes(
    store: &dyn Store,
    keyring: &Keyring,
    school_code: &str,
    students: &[Student],
    seed: u64,
    operator: &str,
    history: &History,
) -> Result<DemoCodes> {
    use crate::clock::as_of;
    // Its own stream, so the roster drawn from `seed` stays what it was before codes existed.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00c0_de00_c0de);
    let chosen: Vec<String> = students
        .iter()
        .filter(|_| rng.random_range(0..100u32) < ISSUED_PERCENT)
        .map(|s| s.student_no.clone())
        .collect();
    let issuer = crate::ops::codes::Issuer {
        keyring,
        school_code,
        operator,
    };
    let make = |serial: i64, student: &Student, issued_on: NaiveDate| {
        issuer.seal(serial, student, issued_on)
    };
    let key_id = i32::from(keyring.current_id());
    let summary = as_of(
        history.codes,
        store.issue_codes(&CodeTargets::Students(chosen), key_id, &make, operator),
    )
    .await?;

    // A few of each, one in 400 codes, between 1 and 20: enough to find, cheap at 100,000.
    let few = (summary.issued.len() / 400)
        .clamp(1, 20)
        .min(summary.issued.len() / 2);
    let picks = rand::seq::index::sample(&mut rng, summary.issued.len(), 2 * few);
    let mut picks = picks.iter().map(|i| summary.issued[i].0.clone());
    let (lost, corrected) = (
        tr(
            "演示：学生报告采集码丢失",
            "demo: the student reported the code lost",
        ),
        tr(
            "演示：姓名更正后补发",
            "demo: reissued after a name correction",
        ),
    );
    // A minute apart, so the audit trail reads in the order they were done.
    let change = |k: i64| history.code_changes + Duration::minutes(k);
    let mut revoked: i64 = 0;
    for no in picks.by_ref().take(few) {
        as_of(change(revoked), store.revoke_code(&no, lost, operator)).await?;
        revoked += 1;
    }
    let mut reissued: i64 = 0;
    for no in picks {
        as_of(
            change(revoked + reissued),
            store.reissue_code(&no, corrected, key_id, &make, operator),
        )
        .await?;
        reissued += 1;
    }
    Ok(DemoCodes {
        issued: summary.issued.len(),
        revoked: revoked as usize,
        reissued: reissued as usize,
    })
}

/// Sessions from yesterday to the day after tomorrow, two classes each (more in a large
/// school, so that a twelfth of the classes sit in each), planned three days
/// before the first, and check-ins for most of the students of the ones already over (and
/// some of the one under way). Only students with an active code are scanned in, each at a
/// moment inside the session's hours and not after now, in shot order. Returns the number of
/// sessions and the students checked in, in the order they came.
async fn demo_sessions(
    store: &dyn Store,
    students: &[Student],
    scannable: &HashSet<String>,
    operator: &str,
    history: &History,
) -> Result<(usize, Vec<Student>)> {
    use crate::clock::as_of;
    use crate::store::{CheckinStatus, NewSession, StudentSelection};
    let mut classes: Vec<(&str, &str)> = students
        .iter()
        .map(|s| (s.college.as_str(), s.class.as_str()))
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let at = |day: i64, h: u32, m: u32| {
        crate::clock::from_local(
            (history.first_day + Duration::days(day))
                .and_hms_opt(h, m, 0)
                .unwrap_or_default(),
        )
    };
    // (day after the first, start, end, share of the assigned who have come, make-up)
    let slots = [
        (0, (8, 30), (11, 30), 95, false),
        (0, (14, 0), (17, 0), 90, false),
        (1, (8, 30), (12, 0), 60, false),
        (1, (13, 30), (23, 30), 10, false),
        (2, (8, 30), (11, 30), 0, false),
        (3, (14, 0), (16, 0), 0, true),
    ];
    let per_session = (classes.len() / 12).max(2);
    let now = crate::clock::now();
    let mut made = 0;
    let mut came = Vec::new();
    for (i, (day, start, end, share, makeup)) in slots.into_iter().enumerate() {
        let pair = &classes
            [(per_session * i).min(classes.len())..(per_session * (i + 1)).min(classes.len())];
        if pair.is_empty() {
            break;
        }
        let members: Vec<&Student> = students
            .iter()
            .filter(|s| {
                pair.iter()
                    .any(|(co, cl)| s.college == *co && s.class == *cl)
            })
            .collect();
        let capacity = (members.len() as i32 / 50 + 1) * 50;
        let mut colleges: Vec<&str> = pair.iter().map(|(co, _)| *co).collect();
        colleges.dedup();
        let title = crate::domain::planner::session_title(
            if makeup { "补采" } else { "图像采集" },
            &colleges,
        );
        let session = NewSession {
            title,
            location: if makeup {
                "图书馆一楼".into()
            } else {
                "体育馆".into()
            },
            starts_at: at(day, start.0, start.1),
            ends_at: at(day, end.0, end.1),
            capacity,
            stations: 2,
            makeup,
        };
        let id = as_of(history.planned, store.add_session(&session, operator)).await?;
        made += 1;
        for (college, class) in pair {
            let selection = StudentSelection {
                college: Some((*college).into()),
                class: Some((*class).into()),
                ..Default::default()
            };
            as_of(history.planned, store.assign(id, &selection, operator)).await?;
        }
        let coming: Vec<&Student> = members
            .iter()
            .take(members.len() * share / 100)
            .filter(|s| scannable.contains(&s.student_no))
            .copied()
            .collect();
        let times = checkin_times(session.starts_at, session.ends_at.min(now), coming.len());
        for (k, (s, t)) in coming.into_iter().zip(times).enumerate() {
            let station = if k % 2 == 0 { "A1" } else { "A2" };
            let outcome = as_of(
                t,
                store.check_in(id, &s.student_no, station, operator, false),
            )
            .await?;
            if matches!(outcome.status, CheckinStatus::CheckedIn { .. }) {
                came.push(s.clone());
            }
        }
    }
    Ok((made, came))
}

/// Moments for `n` check-ins spread evenly over `from..until` (none when the session has not
/// begun), in order and strictly inside the span.
fn checkin_times(from: DateTime<Utc>, until: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let span = (until - from).num_seconds();
    if span <= 0 {
        return Vec::new();
    }
    let n = n.min(
        usize::try_from(span)
            .unwrap_or(usize::MAX)
            .saturating_sub(1),
    );
    (1..=n as i64)
        .map(|k| from + Duration::seconds(span * k / (n as i64 + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkin_times_stay_inside_the_session_and_before_now() {
        let from = chrono::DateTime::parse_from_rfc3339("2026-03-02T00:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let times = checkin_times(from, from + Duration::hours(3), 40);
        assert_eq!(times.len(), 40);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "in shot order");
        assert!(times[0] > from && times[39] < from + Duration::hours(3));
        // a session not begun yet has no check-ins; a second leaves no room between its ends
        assert!(checkin_times(from, from - Duration::hours(1), 5).is_empty());
        assert!(checkin_times(from, from + Duration::seconds(1), 5).is_empty());
        assert_eq!(checkin_times(from, from + Duration::seconds(3), 5).len(), 2);
    }
}
