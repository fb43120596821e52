//! `caiji codes ...`: issue, show, token, verify, reissue, revoke, export (docs/token.md, docs/qr.md, docs/cli.md).
//!
//! The store allocates serials and writes codes; these commands bring the key (which the store
//! never sees) through a token maker, and print. Showing, printing a token, exporting, revoking
//! and reissuing are written to the audit log with the operator.

mod export;
mod show;
mod verify;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Ctx;
use crate::cli::{ChangeArgs, CodesCommand, Format, IssueArgs, StudentArg};

use crate::domain::Student;
use crate::i18n::tr;
use crate::ops::codes::Issuer;
use crate::store::{AuditEntry, CodeRecord, CodeState, CodeTargets, Store};

pub async fn run(ctx: &Ctx, cmd: CodesCommand) -> Result<ExitCode> {
    match cmd {
        CodesCommand::Issue(args) => issue_codes(ctx, &args).await,
        CodesCommand::Show(args) => show::run(ctx, &args).await,
        CodesCommand::Token(args) => token(ctx, &args).await,
        CodesCommand::Verify(args) => verify::run(ctx, &args).await,
        CodesCommand::Reissue(args) => reissue(ctx, &args).await,
        CodesCommand::Revoke(args) => revoke(ctx, &args).await,
        CodesCommand::Export(args) => export::run(ctx, &args).await,
    }
}

/// Writes `text` to stdout; a reader that went away (`| head`) is not an error.
pub(crate) fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// The school code new codes carry. A code sealed with a placeholder would be "another
/// school's" once the school is configured, so issuing refuses until it is.
pub(crate) async fn issuing_school_code(ctx: &Ctx, store: &dyn Store) -> Result<String> {
    if let Some(school) = &ctx.config.school
        && !school.code.trim().is_empty()
    {
        return Ok(school.code.trim().to_string());
    }
    match store.get_setting("school_code").await? {
        Some(code) if !code.trim().is_empty() => Ok(code.trim().to_string()),
        _ => bail!(
            "{} {}",
            tr(
                "未配置学校代码，采集码无法签发——",
                "the school code is not configured, so codes cannot be issued —"
            ),
            tr(
                "请在 config.toml 的 [school] 中设置 code 和 name",
                "set code and name under [school] in config.toml"
            )
        ),
    }
}

/// The student and their active code, or an error saying what to run instead.
pub(crate) async fn active_code(
    store: &dyn Store,
    student_no: &str,
) -> Result<(Student, CodeRecord)> {
    let Some((student, codes)) = store.student_codes(student_no).await? else {
        bail!(
            "{} {student_no}",
            tr("名单中没有这个学号：", "no student on the roster with 学号")
        );
    };
    if let Some(active) = codes.iter().find(|c| c.state == CodeState::Active) {
        return Ok((student, active.clone()));
    }
    match codes.first() {
        None => bail!(
            "{student_no} {} caiji codes issue {student_no}",
            tr(
                "还没有采集码——请先签发：",
                "has no collection code yet — issue one with"
            )
        ),
        Some(last) => {
            let when = last
                .revoked_at
                .map(|t| crate::clock::local_date(t).to_string())
                .unwrap_or_default();
            bail!(
                "{student_no} {} {when} {} caiji codes reissue {student_no} --reason …",
                tr(
                    "的采集码已于",
                    "has no active code: the last one was revoked on"
                ),
                tr("作废，尚未补发——请运行", "and not replaced — run")
            )
        }
    }
}

#[derive(Serialize)]
struct IssuedJson<'a> {
    student_no: &'a str,
    serial: i64,
}

#[derive(Serialize)]
struct IssueJson<'a> {
    key_id: u16,
    issued: Vec<IssuedJson<'a>>,
    already_active: &'a [String],
    unknown: &'a [String],
}

async fn issue_codes(ctx: &Ctx, args: &IssueArgs) -> Result<ExitCode> {
    // The key first: without it nothing can be issued, and the database is left untouched.
    let keyring = super::key::load_keyring(ctx)?;
    let store = ctx.open_store().await?;
    let school_code = issuing_school_code(ctx, store.as_ref()).await?;
    let targets = if args.all {
        CodeTargets::AllWithout
    } else {
        CodeTargets::Students(
            args.student_nos
                .iter()
                .map(|n| n.trim().to_string())
                .collect(),
        )
    };
    let issuer = Issuer {
        keyring: &keyring,
        school_code: &school_code,
        operator: &ctx.operator,
    };
    let started = std::time::Instant::now();
    let summary = issuer.issue(store.as_ref(), &targets).await?;
    tracing::info!(
        issued = summary.issued.len(),
        key_id = keyring.current_id(),
        ms = started.elapsed().as_millis() as u64,
        operator = %ctx.operator,
        "codes issued"
    );
    store.close().await;

    let text = match args.format {
        Format::Json => {
            let json = IssueJson {
                key_id: keyring.current_id(),
                issued: summary
                    .issued
                    .iter()
                    .map(|(no, serial)| IssuedJson {
                        student_no: no,
                        serial: *serial,
                    })
                    .collect(),
                already_active: &summary.already_active,
                unknown: &summary.unknown,
            };
            format!("{}\n", serde_json::to_string_pretty(&json)?)
        }
        Format::Table | Format::Csv => {
            let mut text = String::new();
            if !args.all {
                for (no, serial) in &summary.issued {
                    text.push_str(&format!("{no}  {} {serial}\n", tr("编号", "serial")));
                }
            }
            text.push_str(&format!(
                "{} {} {} {}\n",
                tr("已签发", "Issued"),
                summary.issued.len(),
                tr("个采集码，密钥", "codes with key"),
                keyring.current_id()
            ));
            if !summary.already_active.is_empty() {
                text.push_str(&format!(
                    "{} {}\n",
                    summary.already_active.len(),
                    tr(
                        "名学生已有有效采集码（保持不变）",
                        "students already had an active code (left as it was)"
                    )
                ));
            }
            text
        }
    };
    print(&text)?;
    if summary.unknown.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "caiji: {} {}",
            tr(
                "以下学号不在名单中或已退出，未签发：",
                "not on the roster or withdrawn, no code issued:"
            ),
            summary.unknown.join(", ")
        );
        Ok(ExitCode::from(super::EXIT_PROBLEMS))
    }
}

async fn token(ctx: &Ctx, args: &StudentArg) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let no = args.student_no.trim();
    let (_, code) = active_code(store.as_ref(), no).await?;
    // Audited before it is printed: a code never leaves without a trace.
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "token".into(),
            student_no: Some(no.to_string()),
            detail: format!("serial {}", code.serial),
        })
        .await?;
    store.close().await;
    print(&format!("{}\n", code.token))?;
    Ok(ExitCode::SUCCESS)
}

fn checked_reason(args: &ChangeArgs) -> Result<String> {
    let reason = crate::domain::text::strip_controls(args.reason.trim()).into_owned();
    if reason.is_empty() {
        bail!(
            "{}",
            tr(
                "--reason 不能为空：请写明原因（记入审计日志）",
                "--reason must not be empty: say why (it goes into the audit log)"
            )
        );
    }
    if let Some(refused) =
        crate::domain::lengths::too_long("--reason", &reason, crate::domain::lengths::REASON)
    {
        anyhow::bail!(refused);
    }
    Ok(reason)
}

async fn revoke(ctx: &Ctx, args: &ChangeArgs) -> Result<ExitCode> {
    let reason = checked_reason(args)?;
    let store = ctx.open_store().await?;
    let no = args.student_no.trim();
    // The store audits the revocation in the same transaction.
    let code = store.revoke_code(no, &reason, &ctx.operator).await?;
    store.close().await;
    print(&format!(
        "{no}  {} {} {}\n",
        tr("编号", "serial"),
        code.serial,
        tr(
            "已作废；如需新码请运行 caiji codes reissue",
            "revoked; for a new code run caiji codes reissue"
        )
    ))?;
    Ok(ExitCode::SUCCESS)
}

async fn reissue(ctx: &Ctx, args: &ChangeArgs) -> Result<ExitCode> {
    let reason = checked_reason(args)?;
    let keyring = super::key::load_keyring(ctx)?;
    let store = ctx.open_store().await?;
    let school_code = issuing_school_code(ctx, store.as_ref()).await?;
    let no = args.student_no.trim();
    // The store revokes the old code, issues the new one and audits both in one transaction.
    let (old, new) = Issuer {
        keyring: &keyring,
        school_code: &school_code,
        operator: &ctx.operator,
    }
    .reissue(store.as_ref(), no, &reason)
    .await?;
    store.close().await;
    let text = match old {
        Some(old) => format!(
            "{no}  {} {} → {} ({} {})\n",
            tr("编号", "serial"),
            old.serial,
            new.serial,
            tr(
                "旧码已作废，新码密钥",
                "old code revoked; new code sealed with key"
            ),
            new.key_id
        ),
        None => format!(
            "{no}  {} {} ({} {})\n",
            tr("编号", "serial"),
            new.serial,
            tr(
                "此前没有有效采集码；新码密钥",
                "there was no active code; new code sealed with key"
            ),
            new.key_id
        ),
    };
    print(&text)?;
    Ok(ExitCode::SUCCESS)
}
