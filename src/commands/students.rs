//! `caiji students list`.

use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::cli::{Format, ListArgs, StudentsCommand};
use crate::domain::text::strip_controls;
use crate::domain::{mask_id, mask_name};
use crate::i18n::{lang, tr, Lang};
use crate::store::{AuditEntry, StudentFilter, StudentRow};

pub async fn run(ctx: &Ctx, cmd: StudentsCommand) -> Result<ExitCode> {
    match cmd {
        StudentsCommand::List(args) => list(ctx, &args).await,
    }
}

/// One student as `--format json` prints it (keys of SPEC §11).
#[derive(Serialize)]
struct StudentJson<'a> {
    student_no: &'a str,
    name: &'a str,
    masked_name: String,
    masked_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_number: Option<&'a str>,
    id_type: &'static str,
    college: &'a str,
    major: &'a str,
    class: &'a str,
    level: &'static str,
    counselor: &'a str,
    cohort: i32,
    withdrawn: bool,
    code_status: &'static str,
    session_id: Option<i64>,
    checked_in: bool,
    photo_status: &'static str,
}

impl<'a> StudentJson<'a> {
    fn new(row: &'a StudentRow, reveal: bool) -> Self {
        let s = &row.student;
        StudentJson {
            student_no: &s.student_no,
            name: &s.name,
            masked_name: mask_name(&s.name),
            masked_id: mask_id(&s.id_number),
            id_number: reveal.then_some(s.id_number.as_str()),
            id_type: s.id_type.code(),
            college: &s.college,
            major: &s.major,
            class: &s.class,
            level: s.level.code(),
            counselor: &s.counselor,
            cohort: s.cohort,
            withdrawn: row.withdrawn,
            code_status: row.code_status.code(),
            session_id: row.session_id,
            checked_in: row.checked_in,
            photo_status: row.photo_status.code(),
        }
    }
}

/// Streams students from the store into a writer callback; an I/O error (a closed pipe) stops it.
async fn stream(
    store: &dyn crate::store::Store,
    filter: &StudentFilter,
    write: &mut (dyn FnMut(StudentRow) -> std::io::Result<()> + Send),
) -> Result<u64> {
    let mut io_error = None;
    let mut sink = |row: StudentRow| match write(row) {
        Ok(()) => Ok(()),
        Err(e) => {
            io_error = Some(e);
            Err(crate::store::StoreError::NotFound("output closed".into()))
        }
    };
    match store.for_each_student(filter, &mut sink).await {
        Ok(n) => Ok(n),
        Err(_) if io_error.as_ref().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) => Ok(0),
        Err(e) => match io_error {
            Some(io) => Err(io.into()),
            None => Err(e.into()),
        },
    }
}

/// The filters in words, for the audit log.
fn describe_filter(filter: &StudentFilter) -> String {
    let mut parts = Vec::new();
    for (name, value) in [("college", &filter.college), ("class", &filter.class), ("counselor", &filter.counselor)] {
        if let Some(v) = value {
            parts.push(format!("--{name} {v}"));
        }
    }
    if let Some(c) = filter.cohort {
        parts.push(format!("--cohort {c}"));
    }
    if filter.include_withdrawn {
        parts.push("--include-withdrawn".into());
    }
    if parts.is_empty() { String::new() } else { format!(" {}", parts.join(" ")) }
}

async fn list(ctx: &Ctx, args: &ListArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let filter = StudentFilter {
        college: args.college.clone(),
        class: args.class.clone(),
        counselor: args.counselor.clone(),
        cohort: args.cohort,
        include_withdrawn: args.include_withdrawn,
    };
    if args.reveal_id {
        // Full ID numbers leave the program only with a trace of who asked for them.
        store
            .audit(&AuditEntry {
                operator: ctx.operator.clone(),
                action: "reveal_id".into(),
                student_no: None,
                detail: format!("students list --format {}{}", args.format.name(), describe_filter(&filter)),
            })
            .await?;
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout);
    let reveal = args.reveal_id;
    match args.format {
        Format::Json => {
            out.write_all(b"[")?;
            let mut first = true;
            let mut write = |row: StudentRow| -> std::io::Result<()> {
                out.write_all(if first { b"\n" } else { b",\n" })?;
                first = false;
                serde_json::to_writer(&mut out, &StudentJson::new(&row, reveal))?;
                Ok(())
            };
            stream(store.as_ref(), &filter, &mut write).await?;
            out.write_all(b"\n]\n")?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(headers(reveal))?;
            let mut write = |row: StudentRow| -> std::io::Result<()> {
                let cells = cells(&row, reveal);
                w.write_record(cells.iter().map(|c| strip_controls(c)).map(|c| match c {
                    std::borrow::Cow::Borrowed(b) => std::borrow::Cow::Borrowed(b.as_bytes()),
                    std::borrow::Cow::Owned(o) => std::borrow::Cow::Owned(o.into_bytes()),
                }))?;
                Ok(())
            };
            stream(store.as_ref(), &filter, &mut write).await?;
            w.flush()?;
        }
        Format::Table => {
            let rows = store.list_students(&filter).await?;
            let body: Vec<Vec<String>> =
                rows.iter().map(|r| cells(r, reveal).into_iter().map(|c| c.into_owned()).collect()).collect();
            out.write_all(crate::output::table(&headers(reveal), &body).as_bytes())?;
            writeln!(out, "{} {}", rows.len(), tr("名学生", "students"))?;
        }
    }
    store.close().await;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn headers(reveal: bool) -> Vec<&'static str> {
    vec![
        tr("学号", "student_no"),
        tr("姓名", "name"),
        if reveal { tr("证件号码", "id_number") } else { tr("证件号码(脱敏)", "masked_id") },
        tr("证件类型", "id_type"),
        tr("学院", "college"),
        tr("专业", "major"),
        tr("班级", "class"),
        tr("层次", "level"),
        tr("辅导员", "counselor"),
        tr("届别", "cohort"),
        tr("采集码", "code"),
        tr("场次", "session"),
        tr("签到", "checked_in"),
        tr("照片", "photo"),
    ]
}

fn cells(row: &StudentRow, reveal: bool) -> [Cow<'_, str>; 14] {
    let s = &row.student;
    let zh = lang() == Lang::Zh;
    let yes_no = |b: bool| Cow::Borrowed(if b { tr("是", "yes") } else { tr("否", "no") });
    [
        Cow::Borrowed(s.student_no.as_str()),
        if row.withdrawn { Cow::Owned(format!("{}{}", s.name, tr("（已退出）", " (withdrawn)"))) } else { Cow::Borrowed(s.name.as_str()) },
        if reveal { Cow::Borrowed(s.id_number.as_str()) } else { Cow::Owned(mask_id(&s.id_number)) },
        Cow::Borrowed(if zh { s.id_type.label_zh() } else { s.id_type.code() }),
        Cow::Borrowed(s.college.as_str()),
        Cow::Borrowed(s.major.as_str()),
        Cow::Borrowed(s.class.as_str()),
        Cow::Borrowed(if zh { s.level.label_zh() } else { s.level.code() }),
        Cow::Borrowed(s.counselor.as_str()),
        Cow::Owned(s.cohort.to_string()),
        Cow::Borrowed(status_text(row.code_status.code())),
        row.session_id.map(|id| Cow::Owned(id.to_string())).unwrap_or(Cow::Borrowed("")),
        yes_no(row.checked_in),
        Cow::Borrowed(status_text(row.photo_status.code())),
    ]
}

/// Chinese words for the status codes; English keeps the codes.
pub fn status_text(code: &'static str) -> &'static str {
    match code {
        "none" => tr("未发放", "none"),
        "active" => tr("有效", "active"),
        "revoked" => tr("已作废", "revoked"),
        "missing" => tr("缺失", "missing"),
        "valid" => tr("合格", "valid"),
        "invalid" => tr("不合格", "invalid"),
        other => other,
    }
}
