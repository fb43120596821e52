//! `caiji report` (completion by group, missing lists) and `caiji audit`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;

use super::Ctx;
use crate::cli::{AuditArgs, Format, GroupByArg, MissingArgs, ReportArgs, ReportCommand};
use crate::domain::mask_id;
use crate::domain::text::strip_controls;
use crate::export::{self, Cell};
use crate::i18n::tr;
use crate::ops::report_files::FileWords;
use crate::ops::report_files::{
    ListDetails, ReportScope, audit_export, export_completion, is_missing, missing_cells, refs,
    report_table, write_student_list,
};
use crate::store::{AuditEntry, AuditFilter, GroupBy, StudentRow};
use crate::words::reports::Words;

pub async fn run(ctx: &Ctx, args: ReportArgs) -> Result<ExitCode> {
    match &args.command {
        Some(ReportCommand::Missing(m)) => missing(ctx, m).await,
        None => completion(ctx, &args).await,
    }
}

fn group_by(arg: GroupByArg) -> GroupBy {
    match arg {
        GroupByArg::College => GroupBy::College,
        GroupByArg::Class => GroupBy::Class,
        GroupByArg::Counselor => GroupBy::Counselor,
        GroupByArg::Session => GroupBy::Session,
        GroupByArg::Level => GroupBy::Level,
    }
}

/// A report line as `--format json` prints it (docs/cli.md).
#[derive(Serialize)]
struct ReportJson<'a> {
    group: &'a str,
    total: i64,
    code_active: i64,
    session_assigned: i64,
    checked_in: i64,
    photo_valid: i64,
    photo_invalid: i64,
    photo_duplicate: i64,
    photo_missing: i64,
    completion: f64,
}

async fn completion(ctx: &Ctx, args: &ReportArgs) -> Result<ExitCode> {
    let by = group_by(args.by);
    let store = ctx.open_store().await?;
    let groups = store.completion(by, args.cohort).await?;

    if let Some(path) = &args.output {
        let scope = ReportScope {
            by,
            cohort: args.cohort,
            college: None,
        };
        export_completion(store.as_ref(), &Words, &ctx.operator, path, &scope, &groups).await?;
        eprintln!("{} {}", tr("已导出", "Written:"), path.display());
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    store.close().await;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let (headers, rows) = report_table(&Words, by, &groups);
    let headers = refs(&headers);
    match args.format {
        Format::Json => {
            let json: Vec<ReportJson<'_>> = groups
                .iter()
                .map(|g| ReportJson {
                    group: &g.group,
                    total: g.total,
                    code_active: g.code_active,
                    session_assigned: g.session_assigned,
                    checked_in: g.checked_in,
                    photo_valid: g.photo_valid,
                    photo_invalid: g.photo_invalid,
                    photo_duplicate: g.photo_duplicate,
                    photo_missing: g.photo_missing,
                    completion: g.completion(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv => out.write_all(&export::csv::to_bytes(&headers, &rows))?,
        Format::Table => {
            let text: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| c.text().into_owned()).collect())
                .collect();
            out.write_all(crate::output::table(&headers, &text).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn missing(ctx: &Ctx, args: &MissingArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let filter = args.filter.to_filter(false);
    let students: Vec<StudentRow> = store
        .list_students(&filter)
        .await?
        .into_iter()
        .filter(|r| is_missing(r, args.kind.missing()))
        .collect();
    let reveal = args.reveal_id;
    if reveal {
        store
            .audit(&AuditEntry {
                operator: ctx.operator.clone(),
                action: "reveal_id".into(),
                student_no: None,
                detail: format!(
                    "report missing {}: {} students",
                    args.kind.name(),
                    students.len()
                ),
            })
            .await?;
    }
    let headers = Words.list_headers(reveal);
    let headers = refs(&headers);
    let details = ListDetails::read(store.as_ref()).await?;
    let rows: Vec<Vec<Cell>> = students
        .iter()
        .map(|r| missing_cells(&Words, r, reveal, &details))
        .collect();
    if let Some(path) = &args.output {
        write_student_list(
            path,
            &Words.missing_sheet(args.kind.missing()),
            &headers,
            &rows,
        )?;
        audit_export(
            store.as_ref(),
            &ctx.operator,
            "export",
            path,
            &format!("missing {}: {} students", args.kind.name(), rows.len()),
        )
        .await?;
        eprintln!(
            "{} {} ({} {})",
            tr("已导出", "Written:"),
            path.display(),
            rows.len(),
            tr("名学生", "students")
        );
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    store.close().await;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match args.format {
        Format::Json => {
            let json: Vec<serde_json::Value> = students
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "student_no": r.student.student_no,
                        "name": r.student.name,
                        "masked_id": mask_id(&r.student.id_number),
                        "college": r.student.college,
                        "class": r.student.class,
                        "counselor": r.student.counselor,
                        "code_status": r.code_status.code(),
                        "session_id": r.session_id,
                        "checked_in": r.checked_in,
                        "photo_status": r.photo_status.code(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv => out.write_all(&export::csv::to_bytes(&headers, &rows))?,
        Format::Table => {
            let text: Vec<Vec<String>> = rows
                .iter()
                .map(|r| r.iter().map(|c| c.text().into_owned()).collect())
                .collect();
            out.write_all(crate::output::table(&headers, &text).as_bytes())?;
            writeln!(out, "{} {}", rows.len(), tr("名学生", "students"))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `caiji audit`: who did what, when.
pub async fn audit(ctx: &Ctx, args: &AuditArgs) -> Result<ExitCode> {
    let since = match &args.since {
        None => None,
        Some(text) => Some(parse_since(text)?),
    };
    let store = ctx.open_store().await?;
    let records = store
        .audit_entries(&AuditFilter {
            student_no: args.student.clone(),
            action: args.action.clone(),
            since,
            limit: Some(args.limit),
        })
        .await?;
    store.close().await;
    let headers = [
        tr("时间", "at"),
        tr("操作员", "operator"),
        tr("操作", "action"),
        tr("学号", "student_no"),
        tr("详情", "detail"),
    ];
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match args.format {
        Format::Json => {
            let json: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "at": crate::clock::format_local(r.at, "%Y-%m-%d %H:%M:%S"),
                        "operator": r.entry.operator,
                        "action": r.entry.action,
                        "student_no": r.entry.student_no,
                        // entries written before photo paths were masked show them masked too
                        "detail": crate::domain::mask_ids_in_path(&r.entry.detail, None),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv | Format::Table => {
            let rows: Vec<Vec<Cell>> = records
                .iter()
                .map(|r| {
                    vec![
                        Cell::Text(crate::clock::format_local(r.at, "%Y-%m-%d %H:%M:%S")),
                        Cell::Text(strip_controls(&r.entry.operator).into_owned()),
                        Cell::Text(r.entry.action.clone()),
                        Cell::Text(r.entry.student_no.clone().unwrap_or_default()),
                        Cell::Text(
                            crate::domain::mask_ids_in_path(&strip_controls(&r.entry.detail), None)
                                .into_owned(),
                        ),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                out.write_all(&export::csv::to_bytes(&headers, &rows))?;
            } else {
                let text: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| r.iter().map(|c| c.text().into_owned()).collect())
                    .collect();
                out.write_all(crate::output::table(&headers, &text).as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--since` takes a date (from its midnight) or a date and time, on this station's clock.
fn parse_since(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    let t = text.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(crate::clock::from_local(d.and_time(chrono::NaiveTime::MIN)));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return Ok(crate::clock::from_local(dt));
        }
    }
    bail!(
        "--since '{t}': {}",
        tr(
            "请写成 YYYY-MM-DD 或 \"YYYY-MM-DD HH:MM\"",
            "write it as YYYY-MM-DD or \"YYYY-MM-DD HH:MM\""
        )
    )
}
