//! `caiji sessions add|list|assign|unassign|plan|checkin|export`.

mod checkin;
mod export;
mod slate;
mod sync;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;

use super::{Ctx, EXIT_PROBLEMS};
use crate::cli::{
    Format, SessionAddArgs, SessionAssignArgs, SessionPlanArgs, SessionsCommand, TableOrJson,
};
use crate::domain::planner::Plan;
use crate::i18n::tr;
use crate::ops::plan::{PlanRequest, check_text, create_plan, make_plan, split_colleges};
use crate::ops::time::{TIME_FORMAT, format_time};
use crate::store::{NewSession, SessionRow, StudentSelection};

pub async fn run(ctx: &Ctx, cmd: SessionsCommand) -> Result<ExitCode> {
    match cmd {
        SessionsCommand::Add(args) => add(ctx, &args).await,
        SessionsCommand::List(args) => list(ctx, args.format).await,
        SessionsCommand::Assign(args) => assign(ctx, &args, true).await,
        SessionsCommand::Unassign(args) => assign(ctx, &args, false).await,
        SessionsCommand::Plan(args) => plan(ctx, &args).await,
        SessionsCommand::Checkin(args) => checkin::run(ctx, &args).await,
        SessionsCommand::Sync(args) => sync::run(ctx, args.format).await,
        SessionsCommand::SyncReport(args) => sync::report(ctx, args.format),
        SessionsCommand::Export(args) => export::run(ctx, &args).await,
        SessionsCommand::Slate(args) => slate::run(ctx, &args).await,
    }
}

/// Reads "YYYY-MM-DD HH:MM" (seconds and a `T` separator also accepted) on this station's
/// clock, and gives the moment it names.
pub fn parse_time(text: &str, flag: &str) -> Result<DateTime<Utc>> {
    parse_wall_time(text, flag).map(crate::clock::from_local)
}

fn parse_wall_time(text: &str, flag: &str) -> Result<NaiveDateTime> {
    let text = text.trim();
    for format in [
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(t);
        }
    }
    bail!(
        "{flag} '{text}' is not a time: write it as \"YYYY-MM-DD HH:MM\", e.g. \"2026-03-02 08:30\""
    )
}

fn parse_date(text: &str, flag: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").with_context(|| {
        format!("{flag} '{text}' is not a date: write it as YYYY-MM-DD, e.g. 2026-03-02")
    })
}

async fn add(ctx: &Ctx, args: &SessionAddArgs) -> Result<ExitCode> {
    let session = NewSession {
        title: check_text(&args.title, "--title")?,
        location: check_text(&args.location, "--location")?,
        starts_at: parse_time(&args.start, "--start")?,
        ends_at: parse_time(&args.end, "--end")?,
        capacity: args.capacity,
        stations: args.stations,
        makeup: args.makeup,
    };
    if session.ends_at <= session.starts_at {
        bail!(
            "--end {} is not after --start {}: a session must end after it starts",
            args.end,
            args.start
        );
    }
    let store = ctx.open_store().await?;
    let id = store.add_session(&session, &ctx.operator).await?;
    store.close().await;
    println!(
        "{} {id}: {} · {} · {} – {} · {} {}",
        tr("已创建场次", "Created session"),
        session.title,
        session.location,
        format_time(session.starts_at),
        format_time(session.ends_at),
        tr("容量", "capacity"),
        session.capacity
    );
    Ok(ExitCode::SUCCESS)
}

/// One session as `sessions list --format json` prints it (docs/cli.md keys).
#[derive(Serialize)]
struct SessionJson<'a> {
    id: i64,
    title: &'a str,
    location: &'a str,
    starts_at: String,
    ends_at: String,
    capacity: i32,
    assigned: i64,
    checked_in: i64,
}

async fn list(ctx: &Ctx, format: Format) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let sessions = store.list_sessions().await?;
    store.close().await;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            let rows: Vec<SessionJson<'_>> = sessions
                .iter()
                .map(|s| SessionJson {
                    id: s.id,
                    title: &s.title,
                    location: &s.location,
                    starts_at: format_time(s.starts_at),
                    ends_at: format_time(s.ends_at),
                    capacity: s.capacity,
                    assigned: s.assigned,
                    checked_in: s.checked_in,
                })
                .collect();
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let rows: Vec<Vec<crate::export::Cell>> = sessions
                .iter()
                .map(|s| {
                    list_cells(s)
                        .into_iter()
                        .map(crate::export::Cell::from)
                        .collect()
                })
                .collect();
            out.write_all(&crate::export::csv::to_bytes(&list_headers(), &rows))?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = sessions.iter().map(list_cells).collect();
            out.write_all(crate::output::table(&list_headers(), &rows).as_bytes())?;
            writeln!(out, "{} {}", sessions.len(), tr("个场次", "sessions"))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn list_headers() -> Vec<&'static str> {
    vec![
        tr("编号", "id"),
        tr("名称", "title"),
        tr("地点", "location"),
        tr("开始", "starts_at"),
        tr("结束", "ends_at"),
        tr("容量", "capacity"),
        tr("已安排", "assigned"),
        tr("已签到", "checked_in"),
        tr("补采", "makeup"),
    ]
}

fn list_cells(s: &SessionRow) -> Vec<String> {
    vec![
        s.id.to_string(),
        s.title.clone(),
        s.location.clone(),
        format_time(s.starts_at),
        format_time(s.ends_at),
        s.capacity.to_string(),
        s.assigned.to_string(),
        s.checked_in.to_string(),
        if s.makeup { tr("是", "yes") } else { "" }.to_string(),
    ]
}

fn selection(args: &SessionAssignArgs) -> StudentSelection {
    StudentSelection {
        student_nos: args
            .student_nos
            .iter()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
            .collect(),
        college: args.college.clone(),
        class: args.class.clone(),
    }
}

/// Prints up to ten items of a list, then how many more.
fn some(items: &[String]) -> String {
    let mut text = items
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > 10 {
        text.push_str(&format!(" … (+{})", items.len() - 10));
    }
    text
}

async fn assign(ctx: &Ctx, args: &SessionAssignArgs, add: bool) -> Result<ExitCode> {
    let selection = selection(args);
    if selection.is_empty() {
        bail!("no students chosen: give 学号, --college or --class");
    }
    let store = ctx.open_store().await?;
    let mut problems = false;
    if add {
        let s = store
            .assign(args.session, &selection, &ctx.operator)
            .await?;
        println!(
            "{} {}: {}",
            tr("已安排到场次", "Assigned to session"),
            args.session,
            s.assigned
        );
        if s.already > 0 {
            println!(
                "{}: {}",
                tr("原本就在本场次", "already in this session"),
                s.already
            );
        }
        if !s.elsewhere.is_empty() {
            problems = true;
            let list: Vec<String> = s
                .elsewhere
                .iter()
                .map(|(no, id)| format!("{no}→{id}"))
                .collect();
            println!(
                "{} ({}): {} — {}",
                tr(
                    "已在其他未结束的场次，未改动",
                    "already in another session that has not ended, left there"
                ),
                list.len(),
                some(&list),
                tr(
                    "先用 caiji sessions unassign 移出",
                    "use `caiji sessions unassign` first to move them"
                )
            );
        }
        if !s.withdrawn.is_empty() {
            problems = true;
            println!(
                "{} ({}): {}",
                tr("已退出名单，未安排", "withdrawn, not assigned"),
                s.withdrawn.len(),
                some(&s.withdrawn)
            );
        }
        if !s.unknown.is_empty() {
            problems = true;
            println!(
                "{} ({}): {}",
                tr("名单中没有这些学号", "not on the roster"),
                s.unknown.len(),
                some(&s.unknown)
            );
        }
    } else {
        let s = store
            .unassign(args.session, &selection, &ctx.operator)
            .await?;
        println!(
            "{} {}: {}",
            tr("已从场次移出", "Removed from session"),
            args.session,
            s.removed
        );
        if !s.checked_in.is_empty() {
            problems = true;
            println!(
                "{} ({}): {}",
                tr(
                    "已在本场次签到，保留",
                    "already checked in at this session, kept"
                ),
                s.checked_in.len(),
                some(&s.checked_in)
            );
        }
        if !s.not_assigned.is_empty() {
            problems = true;
            println!(
                "{} ({}): {}",
                tr("不在本场次", "not in this session"),
                s.not_assigned.len(),
                some(&s.not_assigned)
            );
        }
        if !s.unknown.is_empty() {
            problems = true;
            println!(
                "{} ({}): {}",
                tr("名单中没有这些学号", "not on the roster"),
                s.unknown.len(),
                some(&s.unknown)
            );
        }
    }
    store.close().await;
    Ok(if problems {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Serialize)]
struct PlanJson<'a> {
    dry_run: bool,
    makeup: bool,
    sessions: Vec<PlannedJson<'a>>,
    placed: u32,
    unplaced: Vec<GroupJson<'a>>,
    shortfall: Option<ShortfallJson>,
    unknown_colleges: &'a [String],
    /// Ids of the sessions created (empty on a dry run).
    created: &'a [i64],
}

#[derive(Serialize)]
struct PlannedJson<'a> {
    title: &'a str,
    location: &'a str,
    starts_at: String,
    ends_at: String,
    capacity: u32,
    stations: u32,
    students: u32,
    groups: Vec<GroupJson<'a>>,
}

#[derive(Serialize)]
struct GroupJson<'a> {
    college: &'a str,
    class: &'a str,
    students: u32,
}

#[derive(Serialize)]
struct ShortfallJson {
    students: u32,
    more_days: u32,
    stations_needed: Option<u32>,
}

async fn plan(ctx: &Ctx, args: &SessionPlanArgs) -> Result<ExitCode> {
    let req = PlanRequest {
        first_day: parse_date(&args.from, "--from")?,
        days: args.days,
        slots: args.slots.clone(),
        location: args.location.clone(),
        stations: args.stations,
        rate: args.rate,
        college_order: split_colleges(args.college_order.as_deref().unwrap_or("")),
        colleges: split_colleges(args.colleges.as_deref().unwrap_or("")),
        spread: args.spread,
        makeup: args.makeup,
    };
    let store = ctx.open_store().await?;
    let (plan, candidates) = make_plan(store.as_ref(), &req).await?;
    let created = if args.dry_run {
        Vec::new()
    } else {
        create_plan(
            store.as_ref(),
            &plan,
            &candidates,
            args.makeup,
            &ctx.operator,
        )
        .await?
    };
    store.close().await;

    match args.format {
        TableOrJson::Json => print_plan_json(&plan, args, &created)?,
        TableOrJson::Table => print_plan_table(&plan, args, candidates.is_empty(), &created)?,
    }
    Ok(if plan.shortfall.is_some() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_plan_json(plan: &Plan, args: &SessionPlanArgs, created: &[i64]) -> Result<()> {
    let json = PlanJson {
        dry_run: args.dry_run,
        makeup: args.makeup,
        sessions: plan
            .sessions
            .iter()
            .map(|s| PlannedJson {
                title: &s.title,
                location: &s.location,
                // planned on this station's wall clock, not stored yet
                starts_at: s.starts_at.format(TIME_FORMAT).to_string(),
                ends_at: s.ends_at.format(TIME_FORMAT).to_string(),
                capacity: s.capacity,
                stations: s.stations,
                students: s.students(),
                groups: s
                    .groups
                    .iter()
                    .map(|g| GroupJson {
                        college: &g.college,
                        class: &g.class,
                        students: g.students,
                    })
                    .collect(),
            })
            .collect(),
        placed: plan.placed(),
        unplaced: plan
            .unplaced
            .iter()
            .map(|u| GroupJson {
                college: &u.college,
                class: &u.class,
                students: u.students,
            })
            .collect(),
        shortfall: plan.shortfall.map(|s| ShortfallJson {
            students: s.students,
            more_days: s.more_days,
            stations_needed: s.stations_needed,
        }),
        unknown_colleges: &plan.unknown_colleges,
        created,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    serde_json::to_writer_pretty(&mut out, &json)?;
    writeln!(out)?;
    Ok(())
}

fn print_plan_table(
    plan: &Plan,
    args: &SessionPlanArgs,
    nobody: bool,
    created: &[i64],
) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if nobody {
        writeln!(
            out,
            "{}",
            if args.makeup {
                tr(
                    "没有需要补采的学生（场次已结束且缺少合格照片）。",
                    "No students need a make-up session (session over, no valid photo).",
                )
            } else {
                tr(
                    "没有待安排的学生：每位在册学生都已有场次。",
                    "No students are waiting: every active student has a session.",
                )
            }
        )?;
        out.flush()?;
        return Ok(());
    }
    let headers = [
        tr("场次", "#"),
        tr("日期", "date"),
        tr("时间", "time"),
        tr("人数/容量", "students/capacity"),
        tr("学院", "college"),
        tr("班级", "class"),
        tr("人数", "students"),
    ];
    let mut rows = Vec::new();
    for (i, s) in plan.sessions.iter().enumerate() {
        for (k, g) in s.groups.iter().enumerate() {
            let first = k == 0;
            rows.push(vec![
                // Before saving, sessions are numbered #1, #2...; once saved, by their ids.
                if first {
                    created
                        .get(i)
                        .map_or_else(|| format!("#{}", i + 1), i64::to_string)
                } else {
                    String::new()
                },
                if first {
                    s.starts_at.format("%Y-%m-%d").to_string()
                } else {
                    String::new()
                },
                if first {
                    format!(
                        "{}-{}",
                        s.starts_at.format("%H:%M"),
                        s.ends_at.format("%H:%M")
                    )
                } else {
                    String::new()
                },
                if first {
                    format!("{}/{}", s.students(), s.capacity)
                } else {
                    String::new()
                },
                g.college.clone(),
                g.class.clone(),
                g.students.to_string(),
            ]);
        }
    }
    out.write_all(crate::output::table(&headers, &rows).as_bytes())?;
    let total = plan.placed() + plan.shortfall.map_or(0, |s| s.students);
    writeln!(
        out,
        "{} {} {}，{} {}/{} {}{}",
        plan.sessions.len(),
        tr("个场次", "sessions"),
        args.location.trim(),
        tr("安排", "placing"),
        plan.placed(),
        total,
        tr("名学生", "students"),
        if args.makeup {
            tr("（补采）", " (make-up)")
        } else {
            ""
        }
    )?;
    for c in &plan.unknown_colleges {
        writeln!(
            out,
            "{} {c}",
            tr(
                "注意：--college-order 中的学院没有待安排的学生（拼写是否有误？）：",
                "note: no waiting students in --college-order college (misspelt?):"
            )
        )?;
    }
    if let Some(short) = plan.shortfall {
        let classes: Vec<String> = plan
            .unplaced
            .iter()
            .map(|u| format!("{} {} ({})", u.college, u.class, u.students))
            .collect();
        writeln!(
            out,
            "{} {} {}: {}",
            tr("放不下：", "Does not fit:"),
            short.students,
            tr("名学生未安排", "students left unplaced"),
            some(&classes)
        )?;
        write!(
            out,
            "{} {} {}",
            tr("需要再加", "Needed: another"),
            short.more_days,
            tr("天", "day(s)")
        )?;
        match short.stations_needed {
            Some(n) => writeln!(
                out,
                "{} {n} {}",
                tr("，或在同样天数内用", ", or"),
                tr("个工位", "stations over the same days")
            )?,
            None => writeln!(out)?,
        }
    }
    if args.dry_run {
        writeln!(
            out,
            "{}",
            tr("试运行：未做任何改动。", "Dry run: nothing changed.")
        )?;
    } else if !created.is_empty() {
        writeln!(
            out,
            "{} {}",
            tr("已创建场次", "Created sessions"),
            some(&created.iter().map(i64::to_string).collect::<Vec<_>>())
        )?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_the_documented_shapes() {
        let want = NaiveDate::from_ymd_opt(2026, 3, 2)
            .unwrap()
            .and_hms_opt(8, 30, 0)
            .unwrap();
        for text in [
            "2026-03-02 08:30",
            " 2026-03-02 08:30:00 ",
            "2026-03-02T08:30",
        ] {
            assert_eq!(parse_wall_time(text, "--start").unwrap(), want, "{text}");
            assert_eq!(
                parse_time(text, "--start").unwrap(),
                crate::clock::from_local(want),
                "{text}"
            );
        }
        for text in [
            "2026-03-02",
            "08:30",
            "2026/03/02 08:30",
            "2026-02-30 08:30",
        ] {
            let err = parse_time(text, "--start").unwrap_err().to_string();
            assert!(
                err.contains("--start") && err.contains("YYYY-MM-DD HH:MM"),
                "{err}"
            );
        }
        assert_eq!(
            format_time(crate::clock::from_local(want)),
            "2026-03-02 08:30"
        );
    }
}
