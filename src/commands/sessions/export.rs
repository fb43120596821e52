//! `caiji sessions export -o FILE.csv|.xlsx|.ics [--by college|counselor]`: the schedule for
//! counselors and colleges (which class, when, where), or a calendar with one event per session.

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::{ScheduleBy, SessionExportArgs};
use crate::commands::Ctx;
use crate::export::{self, Cell, FileKind, ics};
use crate::i18n::tr;
use crate::store::{AuditEntry, ScheduleGroup, SessionRow};

pub async fn run(ctx: &Ctx, args: &SessionExportArgs) -> Result<ExitCode> {
    let Some(kind) = FileKind::of(&args.output) else {
        bail!(
            "{}: the file name must end in .csv, .xlsx or .ics to choose the format",
            args.output.display()
        );
    };
    let store = ctx.open_store().await?;
    let sessions = store.list_sessions().await?;
    let groups = store.schedule().await?;
    let school = super::super::school_info(ctx, store.as_ref()).await?;
    let by_id: HashMap<i64, &SessionRow> = sessions.iter().map(|s| (s.id, s)).collect();

    let written = match kind {
        FileKind::Csv | FileKind::Xlsx => {
            let (headers, rows) = schedule_table(&groups, &by_id, args.by);
            if kind == FileKind::Csv {
                export::csv::write_table(&args.output, &headers, &rows)?;
            } else {
                export::xlsx::write_table(
                    &args.output,
                    tr("场次安排", "Schedule"),
                    &headers,
                    &rows,
                )?;
            }
            rows.len()
        }
        FileKind::Ics => {
            let calendar = calendar(&sessions, &groups, args, &school);
            let stamp = chrono::Utc::now();
            ics::write(&args.output, &calendar, stamp)?;
            calendar.events.len()
        }
    };
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "sessions_export".into(),
            student_no: None,
            detail: format!(
                "{} ({written} rows/events, by {:?})",
                args.output.display(),
                args.by
            )
            .to_lowercase(),
        })
        .await?;
    store.close().await;
    eprintln!(
        "{} {} → {}",
        written,
        if kind == FileKind::Ics {
            tr("个场次", "sessions")
        } else {
            tr("行", "rows")
        },
        args.output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// One row per (college or counselor, class, session), sorted by the grouping, then by time.
pub fn schedule_table(
    groups: &[ScheduleGroup],
    sessions: &HashMap<i64, &SessionRow>,
    by: ScheduleBy,
) -> (Vec<&'static str>, Vec<Vec<Cell>>) {
    let mut headers = match by {
        ScheduleBy::College => vec![
            tr("学院", "college"),
            tr("班级", "class"),
            tr("辅导员", "counselor"),
        ],
        ScheduleBy::Counselor => vec![
            tr("辅导员", "counselor"),
            tr("学院", "college"),
            tr("班级", "class"),
        ],
    };
    headers.extend([
        tr("人数", "students"),
        tr("场次编号", "session"),
        tr("场次名称", "title"),
        tr("日期", "date"),
        tr("开始", "start"),
        tr("结束", "end"),
        tr("地点", "location"),
    ]);
    let mut lines: Vec<(&ScheduleGroup, &SessionRow)> = groups
        .iter()
        .filter_map(|g| sessions.get(&g.session_id).map(|s| (g, *s)))
        .collect();
    lines.sort_by(|(a, sa), (b, sb)| {
        let key = |g: &ScheduleGroup| match by {
            ScheduleBy::College => (g.college.clone(), g.class.clone(), g.counselor.clone()),
            ScheduleBy::Counselor => (g.counselor.clone(), g.college.clone(), g.class.clone()),
        };
        key(a)
            .cmp(&key(b))
            .then(sa.starts_at.cmp(&sb.starts_at))
            .then(sa.id.cmp(&sb.id))
    });
    let rows = lines
        .into_iter()
        .map(|(g, s)| {
            let mut row: Vec<Cell> = match by {
                ScheduleBy::College => vec![
                    g.college.as_str().into(),
                    g.class.as_str().into(),
                    g.counselor.as_str().into(),
                ],
                ScheduleBy::Counselor => vec![
                    g.counselor.as_str().into(),
                    g.college.as_str().into(),
                    g.class.as_str().into(),
                ],
            };
            row.extend([
                Cell::Int(g.students),
                Cell::Int(s.id),
                s.title.as_str().into(),
                crate::clock::local(s.starts_at)
                    .format("%Y-%m-%d")
                    .to_string()
                    .into(),
                crate::clock::local(s.starts_at)
                    .format("%H:%M")
                    .to_string()
                    .into(),
                crate::clock::local(s.ends_at)
                    .format("%H:%M")
                    .to_string()
                    .into(),
                s.location.as_str().into(),
            ]);
            row
        })
        .collect();
    (headers, rows)
}

/// One event per session; the description lists who comes, by college or by counselor.
pub fn calendar(
    sessions: &[SessionRow],
    groups: &[ScheduleGroup],
    args: &SessionExportArgs,
    school: &crate::ops::school::SchoolInfo,
) -> ics::Calendar {
    let mut per_session: HashMap<i64, Vec<&ScheduleGroup>> = HashMap::new();
    for g in groups {
        per_session.entry(g.session_id).or_default().push(g);
    }
    let events = sessions
        .iter()
        .map(|s| {
            // key (college or counselor) → class → students; a class shared by two counselors
            // is one entry when listed by college.
            let mut by_key: BTreeMap<&str, BTreeMap<String, i64>> = BTreeMap::new();
            for g in per_session.get(&s.id).map(Vec::as_slice).unwrap_or(&[]) {
                let (key, class) = match args.by {
                    ScheduleBy::College => (g.college.as_str(), g.class.clone()),
                    ScheduleBy::Counselor => {
                        (g.counselor.as_str(), format!("{} {}", g.college, g.class))
                    }
                };
                *by_key.entry(key).or_default().entry(class).or_default() += g.students;
            }
            let mut lines: Vec<String> = by_key
                .into_iter()
                .map(|(key, classes)| {
                    let items: Vec<String> = classes
                        .into_iter()
                        .map(|(class, n)| format!("{class} ({n})"))
                        .collect();
                    format!("{key}：{}", items.join("、"))
                })
                .collect();
            lines.push(format!(
                "{} {} · {} {} · {} {}",
                tr("容量", "capacity"),
                s.capacity,
                tr("已安排", "assigned"),
                s.assigned,
                tr("工位", "stations"),
                s.stations
            ));
            ics::Event {
                // created_at in UTC: the same on every station, whatever its zone
                uid: format!(
                    "session-{}-{}@{}.caiji",
                    s.id,
                    s.created_at.format("%Y%m%dT%H%M%S"),
                    school.code
                ),
                start: s.starts_at,
                end: s.ends_at,
                summary: s.title.clone(),
                location: s.location.clone(),
                description: lines.join("\n"),
            }
        })
        .collect();
    ics::Calendar {
        name: format!(
            "{} {}",
            school.name,
            tr("毕业生图像采集", "graduate photo collection")
        ),
        zone: if args.floating {
            ics::Zone::Floating
        } else {
            ics::Zone::Shanghai
        },
        events,
    }
}
