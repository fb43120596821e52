//! `caiji students list`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;
use serde::Serialize;

use super::Ctx;
use crate::cli::{Format, ListArgs, StudentsCommand};
use crate::domain::search::{Query, Record, StreamSearch};
use crate::domain::text::strip_controls;
use crate::domain::{mask_id, mask_name};
use crate::i18n::{Lang, lang, tr};
use crate::store::{AuditEntry, StudentFilter, StudentKey, StudentRow};

pub async fn run(ctx: &Ctx, cmd: StudentsCommand) -> Result<ExitCode> {
    match cmd {
        StudentsCommand::List(args) => list(ctx, &args).await,
    }
}

/// One student as `--format json` prints it (keys of docs/cli.md).
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
            Err(crate::store::StoreError::Stopped)
        }
    };
    match store.for_each_student(filter, &mut sink).await {
        Ok(n) => Ok(n),
        Err(_)
            if io_error
                .as_ref()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(0)
        }
        Err(e) => match io_error {
            Some(io) => Err(io.into()),
            None => Err(e.into()),
        },
    }
}

/// The filters in words, for the audit log.
fn describe_filter(filter: &StudentFilter, args: &ListArgs) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("college", &filter.college),
        ("class", &filter.class),
        ("counselor", &filter.counselor),
    ] {
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
    if let Some(m) = args.missing {
        parts.push(format!("--missing {}", m.missing().name()));
    }
    if let Some(q) = &args.search {
        parts.push(format!("--search {q}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" {}", parts.join(" "))
    }
}

/// Where the row's collection stands, as `--missing` sees it.
/// Writes rows in one of the formats, one at a time (the table collects them for its widths).
enum Writer<W: Write> {
    Json {
        out: W,
        reveal: bool,
        rows: u64,
    },
    Csv {
        out: Box<crate::export::csv::Writer<W>>,
        reveal: bool,
    },
    Table {
        out: W,
        reveal: bool,
        body: Vec<Vec<String>>,
    },
}

impl<W: Write> Writer<W> {
    fn new(format: Format, reveal: bool, mut out: W) -> Result<Writer<W>> {
        Ok(match format {
            Format::Json => {
                out.write_all(b"[")?;
                Writer::Json {
                    out,
                    reveal,
                    rows: 0,
                }
            }
            Format::Csv => {
                // the same writer as every other CSV: BOM, formula cells neutralised
                let mut out = Box::new(crate::export::csv::Writer::new(out)?);
                out.texts(headers(reveal))?;
                Writer::Csv { out, reveal }
            }
            Format::Table => Writer::Table {
                out,
                reveal,
                body: Vec::new(),
            },
        })
    }

    fn row(&mut self, row: &StudentRow) -> std::io::Result<()> {
        match self {
            Writer::Json { out, reveal, rows } => {
                *rows += 1;
                out.write_all(if *rows == 1 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut *out, &StudentJson::new(row, *reveal))?;
            }
            Writer::Csv { out, reveal } => {
                out.texts(cells(row, *reveal).iter().map(|c| strip_controls(c)))?;
            }
            Writer::Table { reveal, body, .. } => body.push(cells(row, *reveal)),
        }
        Ok(())
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Writer::Json { mut out, .. } => {
                out.write_all(b"\n]\n")?;
                out.flush()
            }
            Writer::Csv { out, .. } => out.into_inner()?.flush(),
            Writer::Table {
                mut out,
                reveal,
                body,
            } => {
                out.write_all(crate::output::table(&headers(reveal), &body).as_bytes())?;
                writeln!(out, "{} {}", body.len(), tr("名学生", "students"))?;
                out.flush()
            }
        }
    }
}

async fn list(ctx: &Ctx, args: &ListArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let filter = args.filter.to_filter(args.include_withdrawn);
    if args.reveal_id {
        // Full ID numbers leave the program only with a trace of who asked for them.
        store
            .audit(&AuditEntry {
                operator: ctx.operator.clone(),
                action: "reveal_id".into(),
                student_no: None,
                detail: format!(
                    "students list --format {}{}",
                    args.format.name(),
                    describe_filter(&filter, args)
                ),
            })
            .await?;
    }

    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut writer = Writer::new(args.format, args.reveal_id, out)?;
    let missing = args.missing.map(|m| m.missing());
    let wanted = |row: &StudentRow| missing.is_none_or(|m| m.applies(&row.progress()));
    match args.search.as_deref() {
        None => {
            let mut write = |row: StudentRow| {
                if wanted(&row) {
                    writer.row(&row)
                } else {
                    Ok(())
                }
            };
            stream(store.as_ref(), &filter, &mut write).await?;
        }
        Some(q) => {
            // Ranking needs every candidate but not an index. Only the searched fields of each
            // student are read and scored with the console's rules; whole rows, with their
            // status, are then fetched for the hits alone.
            let mut search = StreamSearch::new(&Query::parse(q));
            let mut keep = |key: StudentKey<'_>| {
                let (student_no, name, class, college, counselor) = (
                    key.student_no,
                    key.name,
                    key.class,
                    key.college,
                    key.counselor,
                );
                let score = search.score(Record {
                    student_no,
                    name,
                    class,
                    college,
                    counselor,
                });
                search.keep(key.id, score);
                Ok(())
            };
            let scanned = store.for_each_student_key(&filter, &mut keep).await?;
            let ranked = search.finish();
            let mut rows: std::collections::HashMap<i64, StudentRow> =
                if ranked.len() as u64 * 8 > scanned {
                    // A broad query (a digit, a common letter): one pass over the whole roster is
                    // cheaper than looking each hit up by id.
                    let hits: std::collections::HashSet<i64> = ranked.iter().copied().collect();
                    let mut rows = std::collections::HashMap::with_capacity(hits.len());
                    let mut pick = |row: StudentRow| {
                        if hits.contains(&row.id) {
                            rows.insert(row.id, row);
                        }
                        Ok(())
                    };
                    stream(store.as_ref(), &filter, &mut pick).await?;
                    rows
                } else {
                    store
                        .students_by_id(&ranked)
                        .await?
                        .into_iter()
                        .map(|row| (row.id, row))
                        .collect()
                };
            for row in ranked
                .iter()
                .filter_map(|id| rows.remove(id))
                .filter(|row| wanted(row))
            {
                if let Err(e) = writer.row(&row) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        break;
                    }
                    return Err(e.into());
                }
            }
        }
    }
    store.close().await;
    match writer.finish() {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(ExitCode::SUCCESS)
}

fn headers(reveal: bool) -> Vec<&'static str> {
    vec![
        tr("学号", "student_no"),
        tr("姓名", "name"),
        if reveal {
            tr("证件号码", "id_number")
        } else {
            tr("证件号码(脱敏)", "masked_id")
        },
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

fn cells(row: &StudentRow, reveal: bool) -> Vec<String> {
    let s = &row.student;
    let zh = lang() == Lang::Zh;
    let yes_no = |b: bool| if b { tr("是", "yes") } else { tr("否", "no") }.to_string();
    vec![
        s.student_no.clone(),
        if row.withdrawn {
            format!("{}{}", s.name, tr("（已退出）", " (withdrawn)"))
        } else {
            s.name.clone()
        },
        if reveal {
            s.id_number.clone()
        } else {
            mask_id(&s.id_number)
        },
        if zh {
            s.id_type.label_zh()
        } else {
            s.id_type.code()
        }
        .to_string(),
        s.college.clone(),
        s.major.clone(),
        s.class.clone(),
        if zh {
            s.level.label_zh()
        } else {
            s.level.code()
        }
        .to_string(),
        s.counselor.clone(),
        s.cohort.to_string(),
        crate::words::reports::status_text(row.code_status.code()).to_string(),
        row.session_id.map(|id| id.to_string()).unwrap_or_default(),
        yes_no(row.checked_in),
        crate::words::reports::status_text(row.photo_status.code()).to_string(),
    ]
}
