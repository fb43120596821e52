//! `caiji report` (completion by group, missing lists) and `caiji audit`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde::Serialize;

use super::Ctx;
use crate::cli::{AuditArgs, Format, GroupByArg, MissingArg, MissingArgs, ReportArgs, ReportCommand};
use crate::domain::mask_id;
use crate::domain::roster::mask_phone;
use crate::domain::text::strip_controls;
use crate::export::{self, Cell, FileKind};
use crate::i18n::{lang, tr, Lang};
use crate::store::{AuditEntry, AuditFilter, GroupBy, GroupCounts, Store, StudentFilter, StudentRow};

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

/// A report line as `--format json` prints it (SPEC §11).
#[derive(Serialize)]
struct ReportJson<'a> {
    group: &'a str,
    total: i64,
    code_active: i64,
    session_assigned: i64,
    checked_in: i64,
    photo_valid: i64,
    photo_invalid: i64,
    photo_missing: i64,
    completion: f64,
}

/// Group names as people read them: level codes become 本科/硕士研究生..., no session becomes a word.
fn group_label(by: GroupBy, group: &str) -> String {
    match by {
        GroupBy::Level => crate::domain::Level::parse(group)
            .map(|l| if lang() == Lang::Zh { l.label_zh() } else { l.label_en() }.to_string())
            .unwrap_or_else(|| group.to_string()),
        GroupBy::Session if group.is_empty() => tr("（未安排场次）", "(no session)").to_string(),
        _ => group.to_string(),
    }
}

fn report_headers(by: GroupBy) -> Vec<&'static str> {
    let group = match by {
        GroupBy::College => tr("学院", "college"),
        GroupBy::Class => tr("班级", "class"),
        GroupBy::Counselor => tr("辅导员", "counselor"),
        GroupBy::Session => tr("场次", "session"),
        GroupBy::Level => tr("层次", "level"),
    };
    vec![
        group,
        tr("应采人数", "total"),
        tr("已发码", "code_active"),
        tr("已排场次", "session_assigned"),
        tr("已签到", "checked_in"),
        tr("合格照片", "photo_valid"),
        tr("不合格照片", "photo_invalid"),
        tr("缺照片", "photo_missing"),
        tr("完成率", "completion"),
    ]
}

fn report_cells(label: String, g: &GroupCounts) -> Vec<Cell> {
    vec![
        Cell::Text(label),
        Cell::Int(g.total),
        Cell::Int(g.code_active),
        Cell::Int(g.session_assigned),
        Cell::Int(g.checked_in),
        Cell::Int(g.photo_valid),
        Cell::Int(g.photo_invalid),
        Cell::Int(g.photo_missing),
        Cell::Percent(g.completion()),
    ]
}

/// The sum of all groups, as the last line of tables and files.
fn total_of(groups: &[GroupCounts]) -> GroupCounts {
    let mut t = GroupCounts { group: tr("合计", "total").to_string(), ..Default::default() };
    for g in groups {
        t.total += g.total;
        t.code_active += g.code_active;
        t.session_assigned += g.session_assigned;
        t.checked_in += g.checked_in;
        t.photo_valid += g.photo_valid;
        t.photo_invalid += g.photo_invalid;
        t.photo_missing += g.photo_missing;
    }
    t
}

async fn completion(ctx: &Ctx, args: &ReportArgs) -> Result<ExitCode> {
    let by = group_by(args.by);
    let store = ctx.open_store().await?;
    let groups = store.completion(by, args.cohort).await?;
    let mut rows: Vec<Vec<Cell>> = groups.iter().map(|g| report_cells(group_label(by, &g.group), g)).collect();
    let total = total_of(&groups);
    rows.push(report_cells(total.group.clone(), &total));
    let headers = report_headers(by);

    if let Some(path) = &args.output {
        match FileKind::of(path) {
            Some(FileKind::Csv) => export::csv::write_table(path, &headers, &rows)?,
            Some(FileKind::Xlsx) => {
                // the summary, then one sheet per missing list, as the office sends it upward
                let students = store.list_students(&StudentFilter { cohort: args.cohort, ..Default::default() }).await?;
                let lists: Vec<(MissingArg, Vec<Vec<Cell>>)> = MissingArg::ALL
                    .iter()
                    .map(|&k| (k, students.iter().filter(|r| is_missing(r, k)).map(|r| missing_cells(r, false)).collect()))
                    .collect();
                let missing_headers = missing_headers(false);
                let mut sheets = vec![export::xlsx::Sheet { name: tr("完成情况", "Completion"), headers: &headers, rows: &rows }];
                for (kind, rows) in &lists {
                    sheets.push(export::xlsx::Sheet { name: missing_title(*kind), headers: &missing_headers, rows });
                }
                export::xlsx::write_workbook(path, &sheets)?;
            }
            _ => bail!("{}: {}", path.display(), tr("请用 .csv 或 .xlsx 作为报表文件的扩展名", "use a .csv or .xlsx file name for the report")),
        }
        audit_export(store.as_ref(), ctx, "report", path, &format!("completion by {:?}", by).to_lowercase()).await?;
        eprintln!("{} {}", tr("已导出", "Written:"), path.display());
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    store.close().await;
    let mut out = std::io::BufWriter::new(std::io::stdout());
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
                    photo_missing: g.photo_missing,
                    completion: g.completion(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        Format::Csv => out.write_all(&export::csv::to_bytes(&headers, &rows)[export::csv::BOM.len()..])?,
        Format::Table => {
            let text: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.text().into_owned()).collect()).collect();
            out.write_all(crate::output::table(&headers, &text).as_bytes())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn is_missing(row: &StudentRow, kind: MissingArg) -> bool {
    kind.missing().applies(&row.progress())
}

fn missing_title(kind: MissingArg) -> &'static str {
    match kind {
        MissingArg::Code => tr("未发码", "No code"),
        MissingArg::Session => tr("未排场次", "No session"),
        MissingArg::Checkin => tr("未签到", "Not checked in"),
        MissingArg::Photo => tr("缺合格照片", "No valid photo"),
    }
}

fn missing_headers(reveal: bool) -> Vec<&'static str> {
    vec![
        tr("学号", "student_no"),
        tr("姓名", "name"),
        if reveal { tr("证件号码", "id_number") } else { tr("证件号码(脱敏)", "masked_id") },
        tr("学院", "college"),
        tr("专业", "major"),
        tr("班级", "class"),
        tr("辅导员", "counselor"),
        tr("手机(脱敏)", "phone"),
        tr("采集码", "code"),
        tr("场次", "session"),
        tr("签到", "checked_in"),
        tr("照片", "photo"),
    ]
}

fn missing_cells(r: &StudentRow, reveal: bool) -> Vec<Cell> {
    let s = &r.student;
    let text = |v: &str| Cell::Text(strip_controls(v).into_owned());
    vec![
        text(&s.student_no),
        text(&s.name),
        text(&if reveal { s.id_number.clone() } else { mask_id(&s.id_number) }),
        text(&s.college),
        text(&s.major),
        text(&s.class),
        text(&s.counselor),
        text(&s.phone.as_deref().map(mask_phone).unwrap_or_default()),
        text(super::students::status_text(r.code_status.code())),
        r.session_id.map(Cell::Int).unwrap_or(Cell::Text(String::new())),
        text(if r.checked_in { tr("是", "yes") } else { tr("否", "no") }),
        text(super::students::status_text(r.photo_status.code())),
    ]
}

async fn missing(ctx: &Ctx, args: &MissingArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let filter = args.filter.to_filter(false);
    let students: Vec<StudentRow> =
        store.list_students(&filter).await?.into_iter().filter(|r| is_missing(r, args.kind)).collect();
    let reveal = args.reveal_id;
    if reveal {
        store
            .audit(&AuditEntry {
                operator: ctx.operator.clone(),
                action: "reveal_id".into(),
                student_no: None,
                detail: format!("report missing {}: {} students", args.kind.name(), students.len()),
            })
            .await?;
    }
    let headers = missing_headers(reveal);
    let rows: Vec<Vec<Cell>> = students.iter().map(|r| missing_cells(r, reveal)).collect();
    if let Some(path) = &args.output {
        match FileKind::of(path) {
            Some(FileKind::Csv) => export::csv::write_table(path, &headers, &rows)?,
            Some(FileKind::Xlsx) => export::xlsx::write_table(path, missing_title(args.kind), &headers, &rows)?,
            _ => bail!("{}: {}", path.display(), tr("请用 .csv 或 .xlsx 作为名单文件的扩展名", "use a .csv or .xlsx file name for the list")),
        }
        audit_export(store.as_ref(), ctx, "export", path, &format!("missing {}: {} students", args.kind.name(), rows.len())).await?;
        eprintln!("{} {} ({} {})", tr("已导出", "Written:"), path.display(), rows.len(), tr("名学生", "students"));
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
        Format::Csv => out.write_all(&export::csv::to_bytes(&headers, &rows)[export::csv::BOM.len()..])?,
        Format::Table => {
            let text: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.text().into_owned()).collect()).collect();
            out.write_all(crate::output::table(&headers, &text).as_bytes())?;
            writeln!(out, "{} {}", rows.len(), tr("名学生", "students"))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn audit_export(store: &dyn Store, ctx: &Ctx, action: &str, path: &Path, what: &str) -> Result<()> {
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: action.into(),
            student_no: None,
            detail: format!("{what} → {}", path.display()),
        })
        .await?;
    Ok(())
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
    let headers = [tr("时间", "at"), tr("操作员", "operator"), tr("操作", "action"), tr("学号", "student_no"), tr("详情", "detail")];
    let mut out = std::io::BufWriter::new(std::io::stdout());
    match args.format {
        Format::Json => {
            let json: Vec<serde_json::Value> = records
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id,
                        "at": r.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                        "operator": r.entry.operator,
                        "action": r.entry.action,
                        "student_no": r.entry.student_no,
                        "detail": r.entry.detail,
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
                        Cell::Text(r.at.format("%Y-%m-%d %H:%M:%S").to_string()),
                        Cell::Text(strip_controls(&r.entry.operator).into_owned()),
                        Cell::Text(r.entry.action.clone()),
                        Cell::Text(r.entry.student_no.clone().unwrap_or_default()),
                        Cell::Text(strip_controls(&r.entry.detail).into_owned()),
                    ]
                })
                .collect();
            if args.format == Format::Csv {
                out.write_all(&export::csv::to_bytes(&headers, &rows)[export::csv::BOM.len()..])?;
            } else {
                let text: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.text().into_owned()).collect()).collect();
                out.write_all(crate::output::table(&headers, &text).as_bytes())?;
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `--since` takes a date (from its midnight) or a date and time.
fn parse_since(text: &str) -> Result<chrono::NaiveDateTime> {
    let t = text.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN));
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, format) {
            return Ok(dt);
        }
    }
    bail!("--since '{t}': {}", tr("请写成 YYYY-MM-DD 或 \"YYYY-MM-DD HH:MM\"", "write it as YYYY-MM-DD or \"YYYY-MM-DD HH:MM\""))
}
