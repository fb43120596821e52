//! `caiji codes export -o FILE.csv [--png-dir DIR] [--svg]`: every active code, for printing.
//!
//! The CSV is UTF-8 with a BOM so Chinese Excel opens it as UTF-8, and cells that Excel would
//! read as a formula are neutralised (docs/files.md). The file appears whole or not at all: it is
//! staged beside its destination by the output helper and put in place after the export is
//! audited. Images in `--png-dir` go through the same helper, which never follows a link.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::super::Ctx;
use crate::cli::ExportArgs;
use crate::code::{QrMatrix, to_png, to_svg};
use crate::domain::{mask_id, mask_name};
use crate::export::Cell;
use crate::files;
use crate::i18n::tr;
use crate::store::AuditEntry;

/// Pixels (PNG) or user units (SVG) per module: a version-5 code prints 38 mm wide at 300 dpi.
const IMAGE_SCALE: u32 = 10;

/// The export's CSV, from the one CSV writer (BOM, formula cells neutralised).
fn csv_with_bom(headers: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let rows: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| r.iter().map(|c| Cell::Text(c.clone())).collect())
        .collect();
    crate::export::csv::to_bytes(headers, &rows)
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
    let bytes = csv_with_bom(&headers, &rows);
    // written beside the target now, put in its place once the export is audited
    let staged = files::stage(output, &bytes)?;

    // Audited before the file takes its name or any image is written.
    let mut detail = format!("{} codes → {}", codes.len(), output.display());
    if let Some(dir) = &args.png_dir {
        detail.push_str(&format!(
            ", png{} → {}",
            if args.svg { "+svg" } else { "" },
            dir.display()
        ));
    }
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "export".into(),
            student_no: None,
            detail,
        })
        .await?;
    store.close().await;
    staged.commit()?;

    let mut images = 0usize;
    if let Some(dir) = &args.png_dir {
        files::create_private_dir(dir).with_context(|| {
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
            // through the output helper: a link already in the folder is refused, never followed
            files::write_unsynced(&png_path, &to_png(&matrix, IMAGE_SCALE)?)?;
            images += 1;
            if args.svg {
                let svg_path = dir.join(format!("{stem}.svg"));
                files::write_unsynced(&svg_path, to_svg(&matrix, IMAGE_SCALE).as_bytes())?;
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
