//! `caiji photos ingest CARD_DIR --out DIR` (docs/ingest.md): the progress bar on the terminal,
//! the report as a table or JSON, exit status 3 when a frame went to nobody or a checked-in
//! student got no photo.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Result, anyhow};

use super::{Ctx, EXIT_PROBLEMS};
use crate::cli::{IngestArgs, NameByArg, PickArg, ReportFormat};
use crate::code::{Keyring, KeyringError};
use crate::domain::photo_spec::PhotoSpec;
use crate::i18n::{Lang, lang, tr};
use crate::photos::ingest::frame::Crop;
use crate::photos::ingest::report::Ingested;
use crate::photos::ingest::sequence::{KeyedBy, Pick};
use crate::photos::ingest::{self, NameBy, Options, Progress};

pub async fn run(ctx: &Ctx, args: &IngestArgs) -> Result<ExitCode> {
    let spec = PhotoSpec::from_config(&ctx.config.photo).map_err(|e| anyhow!(e))?;
    let photo = &ctx.config.photo;
    let crop = Crop {
        x: photo.crop_x.unwrap_or(0.0),
        y: photo.crop_y.unwrap_or(0.0),
        scale: photo.crop_scale.unwrap_or(1.0),
    };
    for (field, value, range) in [
        ("crop_x", crop.x, -1.0..=1.0),
        ("crop_y", crop.y, -1.0..=1.0),
        ("crop_scale", crop.scale, 0.2..=1.0),
    ] {
        if !range.contains(&value) {
            anyhow::bail!(
                "config.toml [photo] {field} = {value}: {} {} … {}",
                tr("超出范围，应在", "is out of range; use"),
                range.start(),
                range.end()
            );
        }
    }
    let keyring = match Keyring::load(&ctx.key_file) {
        Ok(k) => k,
        Err(KeyringError::NotFound { .. }) => anyhow::bail!(match lang() {
            Lang::Zh => format!(
                "没有密钥文件 {}，无法识别关键帧中的采集码：请把学校的密钥文件复制到这里（或用 --key-file 指定）",
                ctx.key_file.display()
            ),
            Lang::En => format!(
                "no key file at {}, so the codes in keyframes cannot be verified: copy the school's key file there (or give --key-file)",
                ctx.key_file.display()
            ),
        }),
        Err(e) => return Err(e.into()),
    };
    let options = Options {
        lang: crate::i18n::lang(),
        pick: match args.pick {
            PickArg::Last => Pick::Last,
            PickArg::First => Pick::First,
            PickArg::Sharpest => Pick::Sharpest,
        },
        name_by: match args.name_by {
            NameByArg::StudentNo => NameBy::StudentNo,
            NameByArg::Id => NameBy::Id,
        },
        dry_run: args.dry_run,
        spec,
        crop,
        threads: 0,
        operator: ctx.operator.clone(),
    };
    let bar = std::io::stderr().is_terminal();
    let draw = |p: &Progress| {
        if bar {
            let _ = write!(std::io::stderr(), "\r{}", progress_line(p, 30));
        }
    };
    let store = ctx.open_store().await?;
    let result = ingest::ingest(
        store.as_ref(),
        &keyring,
        &args.card,
        &args.out,
        &options,
        &draw,
    )
    .await;
    store.close().await;
    if bar {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
    let r = result?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &r.to_json())?;
            writeln!(out)?;
        }
        ReportFormat::Table => out.write_all(table(&r).as_bytes())?,
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    Ok(if r.has_problems() {
        ExitCode::from(EXIT_PROBLEMS)
    } else {
        ExitCode::SUCCESS
    })
}

/// `[#####-----] 45/90 · 123.4 MB/s · 0:12 left`
pub fn progress_line(p: &Progress, width: usize) -> String {
    let filled = if p.bytes_total == 0 {
        width
    } else {
        ((p.bytes_done as f64 / p.bytes_total as f64) * width as f64).round() as usize
    }
    .min(width);
    let eta = p.eta().map_or_else(
        || "?".to_string(),
        |d| format!("{}:{:02}", d.as_secs() / 60, d.as_secs() % 60),
    );
    format!(
        "[{}{}] {}/{} {} · {:.1} MB/s · {} {eta}",
        "#".repeat(filled),
        "-".repeat(width - filled),
        p.files_done,
        p.files_total,
        tr("张", "frames"),
        p.mb_per_s(),
        tr("剩余", "left"),
    )
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

/// The report for people: counts, the photos, then every list that needs action.
pub fn table(r: &Ingested) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{}{} → {}{}\n",
        tr("存储卡导入：", "Card ingest: "),
        r.card.display(),
        r.out.display(),
        if r.dry_run {
            tr("（试运行，未写文件）", " (dry run, nothing written)")
        } else {
            ""
        }
    ));
    let photos = r.students.iter().filter(|s| s.output.is_some()).count();
    let counts = vec![
        vec![tr("照片帧", "frames").to_string(), r.frames.to_string()],
        vec![
            tr("关键帧", "keyframes").to_string(),
            r.keyframes.to_string(),
        ],
        vec![
            tr("得到照片的学生", "students with a photo").to_string(),
            photos.to_string(),
        ],
        vec![tr("新写入", "written").to_string(), r.written.to_string()],
        vec![
            tr("已是最新", "unchanged").to_string(),
            r.unchanged.to_string(),
        ],
        vec![
            tr("被重拍取代", "superseded sequences").to_string(),
            r.superseded.len().to_string(),
        ],
        vec![
            tr("未归属的帧", "unassigned frames").to_string(),
            r.unassigned.len().to_string(),
        ],
        vec![
            tr("已签到但缺照片", "checked in, no photo").to_string(),
            r.missing.len().to_string(),
        ],
    ];
    s.push_str(&crate::output::table(
        &[tr("结果", "outcome"), tr("数量", "count")],
        &counts,
    ));

    if !r.students.is_empty() {
        s.push_str(&format!("\n{}\n", tr("学生照片", "Photos")));
        let rows: Vec<Vec<String>> = r
            .students
            .iter()
            .map(|st| {
                let by = match st.keyed_by {
                    KeyedBy::Code => tr("采集码", "code"),
                    KeyedBy::Slate => tr("拍摄牌", "slate"),
                    KeyedBy::SlateLabel => tr("拍摄牌（临时编号）", "slate (provisional label)"),
                };
                vec![
                    st.student_no.clone(),
                    st.name.clone(),
                    format!("{} ({by})", st.keyframe),
                    st.chosen.clone().unwrap_or_else(|| {
                        tr(
                            "（关键帧后没有可用的照片）",
                            "(no usable frame after the keyframe)",
                        )
                        .into()
                    }),
                    st.output.clone().unwrap_or_default(),
                    st.bytes.map(kb).unwrap_or_default(),
                ]
            })
            .collect();
        s.push_str(&crate::output::table(
            &[
                tr("学号", "student_no"),
                tr("姓名", "name"),
                tr("关键帧", "keyframe"),
                tr("选用的帧", "chosen frame"),
                tr("输出", "output"),
                tr("大小", "size"),
            ],
            &rows,
        ));
    }
    if !r.unassigned.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr(
                "未归属的帧（没有归入任何学生）",
                "Unassigned frames (nobody's photo)"
            )
        ));
        let rows: Vec<Vec<String>> = r
            .unassigned
            .iter()
            .map(|u| vec![u.file.clone(), u.message.clone()])
            .collect();
        s.push_str(&crate::output::table(
            &[tr("文件", "file"), tr("原因", "reason")],
            &rows,
        ));
    }
    if !r.superseded.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr(
                "被重拍取代的序列（用了后一次）",
                "Superseded sequences (the later one was used)"
            )
        ));
        let rows: Vec<Vec<String>> = r
            .superseded
            .iter()
            .map(|x| {
                vec![
                    x.student_no.clone(),
                    x.keyframe.clone(),
                    x.frames.len().to_string(),
                ]
            })
            .collect();
        s.push_str(&crate::output::table(
            &[
                tr("学号", "student_no"),
                tr("关键帧", "keyframe"),
                tr("帧数", "frames"),
            ],
            &rows,
        ));
    }
    if !r.missing.is_empty() {
        s.push_str(&format!(
            "\n{}\n",
            tr(
                "本卡各场次已签到、但没有照片的学生",
                "Checked in at this card's sessions, but no photo"
            )
        ));
        let rows: Vec<Vec<String>> = r
            .missing
            .iter()
            .map(|m| {
                vec![
                    m.student_no.clone(),
                    m.name.clone(),
                    m.session.to_string(),
                    m.shot.to_string(),
                ]
            })
            .collect();
        s.push_str(&crate::output::table(
            &[
                tr("学号", "student_no"),
                tr("姓名", "name"),
                tr("场次", "session"),
                tr("拍摄号", "shot"),
            ],
            &rows,
        ));
    }
    if let Some(rec) = &r.reconciled {
        let o = &rec.outcome;
        s.push_str(&format!(
            "\n{} {}: {} {}, {} {}, {} {}, {} {}, {} {}\n",
            tr("输出文件夹核对", "Reconcile of"),
            rec.root.display(),
            tr("文件", "files"),
            o.files,
            tr("合格", "valid"),
            o.valid.len(),
            tr("不合格", "invalid"),
            o.invalid.len(),
            tr("重复", "duplicates"),
            o.duplicates.len(),
            tr("无主", "orphans"),
            o.orphans.len(),
        ));
        for m in &o.invalid {
            let problems: Vec<String> = m.problems.iter().map(|p| p.message(lang())).collect();
            s.push_str(&format!(
                "  {} — {}\n",
                m.rel,
                problems.join(tr("；", "; "))
            ));
        }
    }
    s.push_str(&format!(
        "{} {:.1} s, {:.1} MB\n",
        tr("用时", "Took"),
        r.elapsed.as_secs_f64(),
        r.bytes as f64 / 1e6
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_progress_line_shows_files_speed_and_time_left() {
        let p = Progress {
            files_done: 45,
            files_total: 90,
            bytes_done: 200_000_000,
            bytes_total: 400_000_000,
            elapsed: Duration::from_secs(2),
        };
        let line = progress_line(&p, 10);
        assert!(line.starts_with("[#####-----] 45/90"), "{line}");
        assert!(line.contains("100.0 MB/s"), "{line}");
        assert!(line.contains("0:02"), "{line}");
    }
}
