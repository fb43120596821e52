//! `caiji codes export -o FILE.csv [--png-dir DIR] [--svg]`: every active code, for printing.
//!
//! The CSV is UTF-8 with a BOM so Chinese Excel opens it as UTF-8, and cells that Excel would
//! read as a formula are neutralised (SPEC §9). The file appears whole or not at all: it is
//! written beside its destination and renamed into place after the export is audited.

use std::borrow::Cow;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::super::Ctx;
use crate::cli::ExportArgs;
use crate::code::{QrMatrix, to_png, to_svg};
use crate::domain::{mask_id, mask_name};
use crate::i18n::tr;
use crate::store::AuditEntry;

/// Pixels (PNG) or user units (SVG) per module: a version-5 code prints 38 mm wide at 300 dpi.
const IMAGE_SCALE: u32 = 10;

/// A cell Excel would take for a formula (`=`, `+`, `-`, `@`, tab, carriage return at the
/// start) gets a leading `'`, which Excel shows as text and hides.
pub(crate) fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

/// CSV text with a UTF-8 BOM; every cell neutralised.
fn csv_with_bom(headers: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(128 * (rows.len() + 1)));
    w.write_record(headers.iter().map(|h| neutralise(h).into_owned()))?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralise(c).into_owned()))?;
    }
    let body = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("{}", e.error()))?;
    let mut out = Vec::with_capacity(body.len() + 3);
    out.extend_from_slice("\u{feff}".as_bytes());
    out.extend_from_slice(&body);
    Ok(out)
}

/// A file name for a student's image: the 学号 when it is safe as a name, otherwise its safe
/// characters plus the serial, so two odd 学号 cannot land on one file.
fn image_stem(student_no: &str, serial: i64) -> String {
    let safe: String = student_no
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !safe.is_empty() && safe == student_no && !safe.starts_with('.') {
        safe
    } else {
        format!("{}_{serial}", safe.trim_start_matches('.'))
    }
}

/// A temporary path beside `path`, in the same folder so the final rename is atomic.
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export.csv".into());
    path.with_file_name(format!(".{name}.caiji-{}.tmp", std::process::id()))
}

pub(super) async fn run(ctx: &Ctx, args: &ExportArgs) -> Result<ExitCode> {
    let output = &args.output;
    let folder = output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        bail!(
            "{} {} {}",
            tr("文件夹", "the folder"),
            folder.display(),
            tr(
                "不存在——请先创建或换一个 -o 路径",
                "does not exist — create it or choose another -o path"
            )
        );
    }
    let store = ctx.open_store().await?;
    let codes = store.active_codes().await?;

    let headers = [
        tr("学号", "student_no"),
        tr("姓名(脱敏)", "masked_name"),
        tr("证件号码(脱敏)", "masked_id"),
        tr("班级", "class"),
        tr("编号", "serial"),
        tr("采集码", "token"),
    ];
    let rows: Vec<Vec<String>> = codes
        .iter()
        .map(|(s, c)| {
            vec![
                s.student_no.clone(),
                mask_name(&s.name),
                mask_id(&s.id_number),
                s.class.clone(),
                c.serial.to_string(),
                c.token.clone(),
            ]
        })
        .collect();
    let bytes = csv_with_bom(&headers, &rows)?;
    let temp = temp_beside(output);
    let write_csv = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(&bytes)?;
        f.sync_all()
    };
    if let Err(e) = write_csv() {
        let _ = std::fs::remove_file(&temp);
        return Err(e)
            .with_context(|| format!("{} {}", tr("无法写入", "cannot write"), output.display()));
    }

    // Audited before the file takes its name or any image is written.
    let mut detail = format!("{} codes → {}", codes.len(), output.display());
    if let Some(dir) = &args.png_dir {
        detail.push_str(&format!(
            ", png{} → {}",
            if args.svg { "+svg" } else { "" },
            dir.display()
        ));
    }
    let audited = store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "export".into(),
            student_no: None,
            detail,
        })
        .await;
    if let Err(e) = audited {
        let _ = std::fs::remove_file(&temp);
        return Err(e.into());
    }
    store.close().await;
    std::fs::rename(&temp, output)
        .with_context(|| format!("{} {}", tr("无法写入", "cannot write"), output.display()))?;

    let mut images = 0usize;
    if let Some(dir) = &args.png_dir {
        std::fs::create_dir_all(dir).with_context(|| {
            format!(
                "{} {}",
                tr("无法创建文件夹", "cannot create the folder"),
                dir.display()
            )
        })?;
        for (student, code) in &codes {
            let matrix = QrMatrix::encode(&code.token)?;
            let stem = image_stem(&student.student_no, code.serial);
            let png_path = dir.join(format!("{stem}.png"));
            std::fs::write(&png_path, to_png(&matrix, IMAGE_SCALE)?).with_context(|| {
                format!("{} {}", tr("无法写入", "cannot write"), png_path.display())
            })?;
            images += 1;
            if args.svg {
                let svg_path = dir.join(format!("{stem}.svg"));
                std::fs::write(&svg_path, to_svg(&matrix, IMAGE_SCALE)).with_context(|| {
                    format!("{} {}", tr("无法写入", "cannot write"), svg_path.display())
                })?;
                images += 1;
            }
        }
    }
    tracing::info!(codes = codes.len(), images, operator = %ctx.operator, "codes exported");

    let mut text = format!(
        "{} {} {} → {}\n",
        tr("已导出", "Exported"),
        codes.len(),
        tr("个有效采集码", "active codes"),
        output.display()
    );
    if let Some(dir) = &args.png_dir {
        text.push_str(&format!(
            "{} {} → {}\n",
            images,
            tr("个图片文件", "image files"),
            dir.display()
        ));
    }
    super::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        let cases = [
            ("=1+2", "'=1+2"),
            ("+86 138", "'+86 138"),
            ("-3", "'-3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("张*", "张*"),
            ("*****002X", "*****002X"),
            ("CJ1:ABC-+", "CJ1:ABC-+"),
            ("", ""),
        ];
        for (cell, want) in cases {
            assert_eq!(neutralise(cell), want, "{cell:?}");
        }
    }

    #[test]
    fn csv_starts_with_a_bom_and_quotes_what_needs_it() {
        let bytes = csv_with_bom(
            &["学号", "班级"],
            &[
                vec!["2022001".into(), "=HYPERLINK(\"x\")".into()],
                vec!["2022002".into(), "软工,2201".into()],
            ],
        )
        .unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(
            text,
            "\u{feff}学号,班级\n2022001,\"'=HYPERLINK(\"\"x\"\")\"\n2022002,\"软工,2201\"\n"
        );
    }

    #[test]
    fn image_names_stay_inside_the_folder() {
        let cases = [
            ("2022110101", 7, "2022110101"),
            ("S2022-01_a.b", 7, "S2022-01_a.b"),
            ("学2022", 7, "学2022"),
            ("../etc/passwd", 9, "_etc_passwd_9"),
            ("a/b", 3, "a_b_3"),
            (".hidden", 4, "hidden_4"),
            ("", 5, "_5"),
        ];
        for (no, serial, want) in cases {
            assert_eq!(image_stem(no, serial), want, "{no:?}");
        }
    }
}
