//! `caiji demo`: a synthetic school so the console can be tried at once.

use std::process::ExitCode;

use anyhow::{bail, Result};
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

pub async fn run(ctx: &Ctx, args: &DemoArgs) -> Result<ExitCode> {
    if !ctx.default_database && !args.force {
        bail!(
            "{} {} {}",
            tr("caiji demo 只在加 --force 时才写入指定的数据库", "caiji demo writes to a database given by URL only with --force"),
            crate::store::redact_url(&ctx.database_url),
            tr("（演示数据会替换其中的学生）", "(the demo school replaces its students)")
        );
    }
    // The key file before the roster: a refused key file (wrong permissions) changes nothing.
    let existing_keyring = if args.no_codes { None } else { super::key::load_if_present(ctx)? };
    let store = ctx.open_store().await?;
    let existing = store.student_count().await?;
    if existing > 0 && !args.force {
        bail!(
            "{} {} {existing} {}",
            store.display_url(),
            tr("中已有", "already holds"),
            tr("名学生；要用演示学校替换它们，请运行 caiji demo --force", "students; run `caiji demo --force` to replace them with the demo school")
        );
    }
    let keyring = match existing_keyring {
        Some(ring) => Some(ring),
        None if args.no_codes => None,
        None => {
            let ring = super::key::create(ctx)?;
            eprintln!("{} {}", tr("已创建密钥文件", "Key file created:"), ring.path().display());
            Some(ring)
        }
    };
    let cohort = ctx.config.cohort.unwrap_or_else(crate::demo::default_cohort);
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
            Some(issue_demo_codes(store.as_ref(), keyring, &school_code, &school.students, args.seed, &ctx.operator).await?)
        }
        None => None,
    };
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
    if args.no_tui {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    super::tui::run_with_store(ctx, std::sync::Arc::from(store), &crate::cli::TuiArgs::default()).await
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
    let chosen: Vec<String> =
        students.iter().filter(|_| rng.random_range(0..100u32) < ISSUED_PERCENT).map(|s| s.student_no.clone()).collect();
    let make = |serial: i64, student: &Student, issued_on: NaiveDate| super::codes::make_token(keyring, school_code, serial, student, issued_on);
    let key_id = i32::from(keyring.current_id());
    let summary = store.issue_codes(&CodeTargets::Students(chosen), key_id, &make, operator).await?;

    // A few of each, one in 400 codes, between 1 and 20: enough to find, cheap at 100,000.
    let few = (summary.issued.len() / 400).clamp(1, 20).min(summary.issued.len() / 2);
    let picks = rand::seq::index::sample(&mut rng, summary.issued.len(), 2 * few);
    let mut picks = picks.iter().map(|i| summary.issued[i].0.clone());
    let (lost, corrected) = (tr("演示：学生报告采集码丢失", "demo: the student reported the code lost"), tr("演示：姓名更正后补发", "demo: reissued after a name correction"));
    let mut revoked = 0;
    for no in picks.by_ref().take(few) {
        store.revoke_code(&no, lost, operator).await?;
        revoked += 1;
    }
    let mut reissued = 0;
    for no in picks {
        store.reissue_code(&no, corrected, key_id, &make, operator).await?;
        reissued += 1;
    }
    Ok(DemoCodes { issued: summary.issued.len(), revoked, reissued })
}
