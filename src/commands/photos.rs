//! `caiji photos reconcile DIR [--apply] [--deep] [--format table|json]`, and the demo's photo
//! folder.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};

use super::{Ctx, EXIT_PROBLEMS};
use crate::cli::{PhotosCommand, ReconcileArgs, ReportFormat};
use crate::domain::Student;
use crate::domain::photo_spec::PhotoSpec;
use crate::i18n::{lang, tr};
use crate::photos::matching::MatchedBy;
use crate::photos::{self, Options, Reconciled};
use crate::store::Store;

pub async fn run(ctx: &Ctx, cmd: PhotosCommand) -> Result<ExitCode> {
    match cmd {
        PhotosCommand::Reconcile(args) => reconcile(ctx, &args).await,
        PhotosCommand::Ingest(args) => super::ingest::run(ctx, &args).await,
    }
}

pub(super) fn options(ctx: &Ctx, apply: bool, deep: bool) -> Result<Options> {
    let spec = PhotoSpec::from_config(&ctx.config.photo).map_err(|e| anyhow!(e))?;
    Ok(Options {
        apply,
        deep,
        spec,
        operator: ctx.operator.clone(),
        threads: 0,
    })
}

async fn reconcile(ctx: &Ctx, args: &ReconcileArgs) -> Result<ExitCode> {
    let options = options(ctx, args.apply, args.deep)?;
    let store = ctx.open_store().await?;
    let result = photos::reconcile(store.as_ref(), &args.dir, &options).await;
    store.close().await;
    let r = result?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r.to_json())?;
            writeln!(out)?;
        }
        ReportFormat::Table => out.write_all(table(&r, &options).as_bytes())?,
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if r.outcome.has_problems() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

fn matched_by_text(by: Option<&MatchedBy>) -> &'static str {
    match by {
        Some(MatchedBy::StudentNo) | None => tr("学号", "student_no"),
        Some(MatchedBy::IdNumber) => tr("证件号码（旧命名）", "ID number (legacy)"),
        Some(MatchedBy::SessionShot) => tr("场次-拍摄号", "session-shot"),
        Some(MatchedBy::Serial) => tr("采集码序号", "code serial"),
        Some(MatchedBy::Label) => tr("离线暂存号", "offline label"),
    }
}

/// The report for people: counts first, then every list that needs action.
pub(super) fn table(r: &Reconciled, options: &Options) -> String {
    let o = &r.outcome;
    let who = |i: usize| {
        r.students
            .get(i)
            .map_or((String::new(), String::new()), |s| {
                (s.student_no.clone(), s.name.clone())
            })
    };
    let problems = |p: &[crate::domain::photo_spec::Problem]| {
        p.iter()
            .map(|p| p.message(lang()))
            .collect::<Vec<_>>()
            .join(tr("；", "; "))
    };
    let mut s = String::new();
    s.push_str(&format!(
        "{}{}\n",
        tr("照片核对：", "Photo reconciliation: "),
        crate::domain::mask_ids_in_path(&r.root.display().to_string(), None)
    ));
    let dup_files: usize = o.duplicates.iter().map(|d| d.files.len()).sum();
    let counts = vec![
        vec![tr("文件", "files").to_string(), o.files.to_string()],
        vec![
            tr("合格", "matched, valid").to_string(),
            o.valid.len().to_string(),
        ],
        vec![
            tr("不合格", "matched, invalid").to_string(),
            o.invalid.len().to_string(),
        ],
        vec![
            tr("重复（学生）", "duplicates (students)").to_string(),
            format!(
                "{} ({} {})",
                o.duplicates.len(),
                dup_files,
                tr("个文件", "files")
            ),
        ],
        vec![
            tr("无主（对不上学生）", "orphans (no student)").to_string(),
            o.orphans.len().to_string(),
        ],
        vec![
            tr("缺照片的学生", "students missing a photo").to_string(),
            o.missing.len().to_string(),
        ],
        vec![
            tr("跳过", "skipped").to_string(),
            o.skipped.len().to_string(),
        ],
    ];
    s.push_str(&crate::output::table(
        &[tr("结果", "outcome"), tr("数量", "count")],
        &counts,
    ));

    if !o.invalid.is_empty() {
        s.push_str(&format!("\n{}\n", tr("不合格的照片", "Invalid photos")));
        let rows: Vec<Vec<String>> = o
            .invalid
            .iter()
            .map(|m| {
                let (no, name) = who(m.student);
                vec![
                    r.shown(&m.rel, Some(m.student)),
                    no,
                    name,
                    problems(&m.problems),
                ]
            })
            .collect();
        s.push_str(&crate::output::table(
            &[
                tr("文件", "file"),
                tr("学号", "student_no"),
                tr("姓名", "name"),
                tr("问题", "problems"),
            ],
            &rows,
        ));
    }
    if !o.duplicates.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr(
                "重复：同一学生有多个文件（只保留一个）",
                "Duplicates: several files for one student (keep one)"
            )
        ));
        let mut rows = Vec::new();
        for d in &o.duplicates {
            let (no, name) = who(d.student);
            for (rel, p) in &d.files {
                let state = if p.is_empty() {
                    tr("合格", "valid").to_string()
                } else {
                    problems(p)
                };
                rows.push(vec![
                    no.clone(),
                    name.clone(),
                    r.shown(rel, Some(d.student)),
                    state,
                ]);
            }
        }
        s.push_str(&crate::output::table(
            &[
                tr("学号", "student_no"),
                tr("姓名", "name"),
                tr("文件", "file"),
                tr("检查", "check"),
            ],
            &rows,
        ));
    }
    if !o.orphans.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr(
                "无主照片：文件名对不上任何学生",
                "Orphans: the file name matches no student"
            )
        ));
        let rows: Vec<Vec<String>> = o
            .orphans
            .iter()
            .map(|orphan| {
                let hints: Vec<String> = orphan
                    .suggestions
                    .iter()
                    .map(|&i| {
                        let (no, name) = who(i);
                        format!("{no} {name}")
                    })
                    .collect();
                let hint = if hints.is_empty() {
                    "-".into()
                } else if orphan.ambiguous {
                    // an ID number two students share: the file is neither's until renamed
                    format!(
                        "{} {}",
                        tr(
                            "证件号码相同，无法判断是谁（请改用学号命名）：",
                            "ID number shared, cannot tell whose (rename it to the 学号):"
                        ),
                        hints.join(", ")
                    )
                } else {
                    hints.join(", ")
                };
                vec![r.shown(&orphan.rel, None), hint]
            })
            .collect();
        s.push_str(&crate::output::table(
            &[tr("文件", "file"), tr("可能是", "did you mean")],
            &rows,
        ));
    }
    if !o.skipped.is_empty() {
        s.push_str(&format!("\n{}\n", tr("跳过", "Skipped")));
        let rows: Vec<Vec<String>> = o
            .skipped
            .iter()
            .map(|k| vec![r.shown(&k.rel, None), k.reason.message(lang())])
            .collect();
        s.push_str(&crate::output::table(
            &[tr("文件", "file"), tr("原因", "reason")],
            &rows,
        ));
    }
    if !o.missing.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr("缺照片的学生", "Students missing a photo")
        ));
        let rows: Vec<Vec<String>> = o
            .missing
            .iter()
            .filter_map(|&i| r.students.get(i))
            .map(|st| vec![st.student_no.clone(), st.name.clone(), st.class.clone()])
            .collect();
        s.push_str(&crate::output::table(
            &[
                tr("学号", "student_no"),
                tr("姓名", "name"),
                tr("班级", "class"),
            ],
            &rows,
        ));
    }
    let legacy = r
        .matched_by
        .values()
        .filter(|b| **b != MatchedBy::StudentNo)
        .count();
    if legacy > 0 {
        let mut kinds: Vec<&str> = r
            .matched_by
            .values()
            .filter(|b| **b != MatchedBy::StudentNo)
            .map(|b| matched_by_text(Some(b)))
            .collect();
        kinds.sort_unstable();
        kinds.dedup();
        s.push_str(&format!(
            "\n{} {legacy} {} {}\n",
            tr("另有", "Also:"),
            tr(
                "个文件不是按学号命名，按以下方式对上了学生：",
                "files not named by 学号 were matched by"
            ),
            kinds.join(", ")
        ));
    }
    s.push('\n');
    match r.applied {
        Some(a) if a.changed() => s.push_str(&format!(
            "{} {} {}, {} {}, {} {}, {} {}\n",
            tr("已记录：", "Recorded:"),
            tr("新增", "added"),
            a.inserted,
            tr("更新", "updated"),
            a.updated,
            tr("移除", "removed"),
            a.removed,
            tr("未变", "unchanged"),
            a.unchanged
        )),
        Some(a) => s.push_str(&format!(
            "{} ({} {})\n",
            tr(
                "数据库已是最新，未做改动",
                "The database is up to date; nothing changed"
            ),
            a.unchanged,
            tr("个文件", "files")
        )),
        None => s.push_str(&format!(
            "{}\n",
            tr(
                "未写入数据库（加 --apply 记录结果）",
                "Nothing recorded (add --apply to record the result)"
            )
        )),
    }
    s.push_str(&format!(
        "{} {}, {} {}, {} {}{}\n",
        tr("读取", "Read"),
        r.work.read,
        tr("计算哈希", "hashed"),
        r.work.hashed,
        tr("缓存命中", "from cache"),
        r.work.cached,
        if options.deep {
            tr(
                "（含解码检查背景）",
                " (with decoding and background check)",
            )
        } else {
            ""
        }
    ));
    s
}

/// `caiji demo`: writes a demo photo folder for the new school into the data directory (photos
/// of `came`, the students checked in; see `demo::photos::write_folder`) and records it with
/// `--apply`, so the console shows photo progress at once. Prints one line.
pub async fn demo_folder(
    ctx: &Ctx,
    store: &dyn Store,
    came: &[Student],
    roster: &[Student],
    seed: u64,
) -> Result<()> {
    let dir = ctx.paths.data_dir.join("demo-photos");
    let target = dir.clone();
    let (came, roster) = (came.to_vec(), roster.to_vec());
    let made = tokio::task::spawn_blocking(move || -> Result<crate::demo::photos::DemoFolder> {
        if target.exists() {
            // the previous demo's folder: a new school gets new photos
            std::fs::remove_dir_all(&target).with_context(|| {
                format!("cannot replace the demo photo folder {}", target.display())
            })?;
        }
        crate::demo::photos::write_folder(&target, &came, &roster, seed)
            .with_context(|| format!("cannot write the demo photo folder {}", target.display()))
    })
    .await
    .context("writing the demo photos stopped unexpectedly")??;
    let r = photos::reconcile(store, &dir, &options(ctx, true, false)?).await?;
    eprintln!(
        "{}{} {}{}{} {}{}{}{} caiji photos reconcile {}",
        tr("演示照片：", "Demo photos: "),
        made.files,
        tr("个文件", "files"),
        tr("（", " ("),
        r.outcome.valid.len(),
        tr("张合格）→ ", "valid) → "),
        display(&dir),
        tr("；", "; "),
        tr("试试", "try"),
        display(&dir)
    );
    Ok(())
}

fn display(p: &Path) -> String {
    p.display().to_string()
}
