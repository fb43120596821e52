//! `caiji roster sync`: bring the roster in line with the school's own database.

use std::collections::HashSet;
use std::process::ExitCode;

use anyhow::{Result, bail};

use super::import::{note, report};
use super::{Ctx, EXIT_PROBLEMS};
use crate::cli::{RosterCommand, SyncArgs};
use crate::i18n::tr;
use crate::store::{self, ImportOptions, ImportSummary, StudentFilter};

pub async fn run(ctx: &Ctx, cmd: RosterCommand) -> Result<ExitCode> {
    match cmd {
        RosterCommand::Sync(args) => sync(ctx, &args).await,
    }
}

async fn sync(ctx: &Ctx, args: &SyncArgs) -> Result<ExitCode> {
    let config_file = ctx.paths.config_file();
    let Some(source) = &ctx.config.roster.source else {
        bail!(
            "{} {}: [roster.source] url = \"postgres://reader@host/db\" query = \"SELECT ...\"",
            tr(
                "没有配置名单来源；请在",
                "no roster source is configured; add to"
            ),
            config_file.display()
        );
    };
    let shown = store::redact_url(&source.url);
    let table = store::read_source(&source.url, &source.query).await?;
    if table.rows.is_empty() {
        // A sync with nobody in it would withdraw every student: far more likely a wrong query.
        bail!(
            "{shown}: {} {}",
            tr(
                "查询没有返回任何行，未做任何更改（同步空名单会把所有学生标为退出）；请检查",
                "the query returned no rows; nothing changed (syncing an empty roster would withdraw every student) — check [roster.source] query in"
            ),
            config_file.display()
        );
    }
    let mut outcome = crate::roster::read_table(&table, &shown, crate::i18n::lang())?;
    if !outcome.rejections.is_empty() && (args.strict || outcome.students.is_empty()) {
        report(args.format, &shown, &outcome, &ImportSummary::default())?;
        note(&format!(
            "{} {}",
            outcome.rejected_rows(),
            if args.strict {
                tr(
                    "行被拒绝；--strict：未做任何更改",
                    "rows rejected; --strict: nothing changed",
                )
            } else {
                tr(
                    "行被拒绝，没有有效的行：未做任何更改",
                    "rows rejected and none valid: nothing changed",
                )
            }
        ));
        return Ok(ExitCode::from(EXIT_PROBLEMS));
    }

    let store = ctx.open_store().await?;
    // A student whose row is in the source but was rejected is still on the school's roster:
    // keep the stored record as it is instead of withdrawing them for a typo upstream.
    let rejected: HashSet<&str> = outcome
        .rejections
        .iter()
        .map(|r| r.student_no.as_str())
        .filter(|no| !no.is_empty())
        .collect();
    let valid_count = outcome.students.len();
    if !rejected.is_empty() {
        let valid: HashSet<String> = outcome
            .students
            .iter()
            .map(|s| s.student_no.clone())
            .collect();
        let stored = store
            .list_students(&StudentFilter {
                include_withdrawn: false,
                ..Default::default()
            })
            .await?;
        for row in stored {
            let no = row.student.student_no.as_str();
            if rejected.contains(no) && !valid.contains(no) {
                outcome.students.push(row.student);
            }
        }
    }
    let label = format!("roster sync {shown}");
    let result = store
        .import_roster(
            &outcome.students,
            ImportOptions {
                full_sync: true,
                dry_run: args.dry_run,
                operator: &ctx.operator,
                source: &label,
            },
        )
        .await;
    store.close().await;
    let summary = result?;
    let kept = outcome.students.len() - valid_count;
    outcome.students.truncate(valid_count);
    report(args.format, &shown, &outcome, &summary)?;
    if kept > 0 {
        note(&format!(
            "{kept} {}",
            tr(
                "名学生的行被拒绝，保留其原有记录（未标记退出）",
                "students whose rows were rejected keep their stored records (not withdrawn)"
            )
        ));
    }
    if args.dry_run {
        note(tr("试运行：未写入数据库", "dry run: nothing was written"));
    }
    Ok(if outcome.rejections.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_PROBLEMS)
    })
}
