//! `caiji demo`: a synthetic school so the console can be tried at once.

use std::process::ExitCode;

use anyhow::{Result, bail};
use chrono::NaiveDate;
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
    let inserted = store.replace_roster(&school.students).await?;
    for (name, value) in [
        ("school_code", school.code.clone()),
        ("school_name", school.name.clone()),
        ("cohort", cohort.to_string()),
    ] {
        store.set_setting(name, &value).await?;
    }
    super::photos::demo_folder(ctx, store.as_ref(), &school.students, args.seed).await?;
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "demo".into(),
            student_no: None,
            detail: format!("demo school: {inserted} students, seed {}", args.seed),
        })
        .await?;
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
                )
                .await?,
            )
        }
        None => None,
    };
    let sessions = demo_sessions(store.as_ref(), &school.students, &ctx.operator).await?;
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
        sessions.0,
        tr("已签到", "checked in"),
        sessions.1
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
async fn issue_demo_codes(
    store: &dyn Store,
    keyring: &Keyring,
    school_code: &str,
    students: &[Student],
    seed: u64,
    operator: &str,
) -> Result<DemoCodes> {
    // Its own stream, so the roster drawn from `seed` stays what it was before codes existed.
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00c0_de00_c0de);
    let chosen: Vec<String> = students
        .iter()
        .filter(|_| rng.random_range(0..100u32) < ISSUED_PERCENT)
        .map(|s| s.student_no.clone())
        .collect();
    let make = |serial: i64, student: &Student, issued_on: NaiveDate| {
        super::codes::make_token(keyring, school_code, serial, student, issued_on)
    };
    let key_id = i32::from(keyring.current_id());
    let summary = store
        .issue_codes(&CodeTargets::Students(chosen), key_id, &make, operator)
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
    let mut revoked = 0;
    for no in picks.by_ref().take(few) {
        store.revoke_code(&no, lost, operator).await?;
        revoked += 1;
    }
    let mut reissued = 0;
    for no in picks {
        store
            .reissue_code(&no, corrected, key_id, &make, operator)
            .await?;
        reissued += 1;
    }
    Ok(DemoCodes {
        issued: summary.issued.len(),
        revoked,
        reissued,
    })
}

/// Sessions from yesterday to the day after tomorrow, two classes each, and check-ins for most
/// students of the ones already over (and some of this morning's), so the Sessions and Check-in
/// screens have something to show. Returns (sessions, check-ins).
async fn demo_sessions(
    store: &dyn Store,
    students: &[Student],
    operator: &str,
) -> Result<(usize, usize)> {
    use crate::store::{CheckinStatus, NewSession, StudentSelection};
    let mut classes: Vec<(&str, &str)> = students
        .iter()
        .map(|s| (s.college.as_str(), s.class.as_str()))
        .collect();
    classes.sort_unstable();
    classes.dedup();
    let today = chrono::Local::now().date_naive();
    let at = |day: i64, h: u32, m: u32| {
        (today + chrono::Duration::days(day))
            .and_hms_opt(h, m, 0)
            .unwrap_or_default()
    };
    // (day, start, end, share of the assigned who have checked in, make-up)
    let slots = [
        (-1, (8, 30), (11, 30), 95, false),
        (-1, (14, 0), (17, 0), 90, false),
        (0, (8, 30), (12, 0), 60, false),
        (0, (13, 30), (23, 30), 10, false),
        (1, (8, 30), (11, 30), 0, false),
        (2, (14, 0), (16, 0), 0, true),
    ];
    let (mut made, mut checked) = (0, 0);
    for (i, (day, start, end, share, makeup)) in slots.into_iter().enumerate() {
        let pair = &classes[(2 * i).min(classes.len())..(2 * i + 2).min(classes.len())];
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
            starts_at: crate::clock::from_local(at(day, start.0, start.1)),
            ends_at: crate::clock::from_local(at(day, end.0, end.1)),
            capacity,
            stations: 2,
            makeup,
        };
        let id = store.add_session(&session, operator).await?;
        made += 1;
        for (college, class) in pair {
            let selection = StudentSelection {
                college: Some((*college).into()),
                class: Some((*class).into()),
                ..Default::default()
            };
            store.assign(id, &selection, operator).await?;
        }
        let take = members.len() * share / 100;
        for (k, s) in members.iter().take(take).enumerate() {
            let station = if k % 2 == 0 { "A1" } else { "A2" };
            let outcome = store
                .check_in(id, &s.student_no, station, operator, false)
                .await?;
            if matches!(outcome.status, CheckinStatus::CheckedIn { .. }) {
                checked += 1;
            }
        }
    }
    Ok((made, checked))
}
