//! `caiji demo`: a synthetic school so the console can be tried at once.

use std::process::ExitCode;

use anyhow::{bail, Result};

use super::Ctx;
use crate::cli::DemoArgs;
use crate::i18n::tr;
use crate::store::AuditEntry;

pub async fn run(ctx: &Ctx, args: &DemoArgs) -> Result<ExitCode> {
    if !ctx.default_database && !args.force {
        bail!(
            "{} {} {}",
            tr("caiji demo 只在加 --force 时才写入指定的数据库", "caiji demo writes to a database given by URL only with --force"),
            crate::store::redact_url(&ctx.database_url),
            tr("（演示数据会替换其中的学生）", "(the demo school replaces its students)")
        );
    }
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
    eprintln!(
        "{} {}（{}）: {inserted} {} → {}",
        tr("演示学校已生成", "Demo school ready:"),
        school.name,
        school.code,
        tr("名学生", "students"),
        store.display_url()
    );
    if args.no_tui {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    super::tui::run_with_store(ctx, std::sync::Arc::from(store), &crate::cli::TuiArgs::default()).await
}
