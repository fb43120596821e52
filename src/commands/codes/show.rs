//! `caiji codes show 学号`: the student's QR code in the terminal with its masked fields (SPEC §6).
//!
//! Colour cells (explicit black/white on every cell) on a terminal; plain half blocks, whose
//! ink is the dark modules, under `NO_COLOR`, into a pipe or with `--color never`. A terminal too
//! small for the whole code gets the size it needs instead of a clipped code.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};
use unicode_width::UnicodeWidthStr;

use super::super::Ctx;
use crate::cli::{ColorChoice, ShowArgs};
use crate::code::{CodePayload, KeyringError, QrMatrix, render_ansi, render_plain, verify};
use crate::domain::text::strip_controls;
use crate::domain::{Level, mask_id, mask_name};
use crate::i18n::{Lang, lang, tr};
use crate::store::AuditEntry;

/// Columns between the code and the fields beside it.
const GAP: usize = 3;

/// Where the fields go relative to the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    /// To the right, starting below the top quiet zone.
    Beside,
    /// Above, so on a short terminal the code stays whole at the bottom of the screen.
    Above,
    /// Below: not a terminal, so nothing scrolls away and the code comes first.
    Below,
}

/// Picks the layout for a code that needs `qr` = (columns, rows), with fields `info_width`
/// columns wide, on a terminal of `terminal` = (columns, rows) (None: not a terminal).
/// Err gives the terminal size needed: the code's size plus the line the shell prompt takes,
/// so the top of the code is not scrolled off.
fn placement(terminal: Option<(u16, u16)>, qr: (u16, u16), info_width: usize) -> Result<Placement, (u16, u16)> {
    let Some((cols, rows)) = terminal else { return Ok(Placement::Below) };
    let need = (qr.0, qr.1.saturating_add(1));
    if cols < need.0 || rows < need.1 {
        return Err(need);
    }
    if usize::from(cols) >= usize::from(qr.0) + GAP + info_width { Ok(Placement::Beside) } else { Ok(Placement::Above) }
}

/// Colour cells or plain half blocks.
fn use_colour(choice: ColorChoice, stdout_is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && !no_color,
    }
}

/// `NO_COLOR` as no-color.org defines it: set to anything but the empty string.
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The fields shown beside the code, label and value.
fn info_lines(fields: &[(&str, String)]) -> Vec<String> {
    let label_width = fields.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
    fields
        .iter()
        .map(|(label, value)| {
            let pad = " ".repeat(label_width - label.width());
            format!("{label}{pad}  {}", strip_controls(value))
        })
        .collect()
}

/// Lays the code's lines and the field lines out together.
fn compose(qr_lines: &[&str], qr_width: usize, info: &[String], placement: Placement) -> String {
    let mut out = String::new();
    match placement {
        Placement::Beside => {
            // Fields start on the second row: the first is quiet zone, and a code edge is easier
            // to find with a little space above the text.
            for (i, line) in qr_lines.iter().enumerate() {
                out.push_str(line);
                if let Some(text) = i.checked_sub(1).and_then(|j| info.get(j)) {
                    out.push_str(&" ".repeat(GAP));
                    out.push_str(text);
                }
                out.push('\n');
            }
            // More fields than code rows (never with today's fields): keep them under the text.
            for text in info.iter().skip(qr_lines.len().saturating_sub(1)) {
                out.push_str(&" ".repeat(qr_width + GAP));
                out.push_str(text);
                out.push('\n');
            }
        }
        Placement::Above | Placement::Below => {
            let info_text: String = info.iter().map(|l| format!("{l}\n")).collect();
            let code_text: String = qr_lines.iter().map(|l| format!("{l}\n")).collect();
            if placement == Placement::Above {
                out.push_str(&info_text);
                out.push_str(&code_text);
            } else {
                out.push_str(&code_text);
                out.push('\n');
                out.push_str(&info_text);
            }
        }
    }
    out
}

fn level_text(level: Level) -> &'static str {
    if lang() == Lang::Zh { level.label_zh() } else { level.label_en() }
}

pub(super) async fn run(ctx: &Ctx, args: &ShowArgs) -> Result<ExitCode> {
    let store = ctx.open_store().await?;
    let no = args.student_no.trim();
    let (student, code) = super::active_code(store.as_ref(), no).await?;
    let school = super::super::school_info(ctx, store.as_ref()).await?;

    // What the code carries, read back with the key file, is what a scanner will see; the
    // roster's masks stand in only when this station has no key file.
    let payload = match super::super::key::load_keyring(ctx) {
        Ok(ring) => match verify(&code.token, &ring) {
            Ok(p) => Some(p),
            Err(e) => bail!(
                "{no}: {} ({e}) — {} caiji codes reissue {no} --reason …",
                tr("存储的采集码无法用本机密钥文件验证", "the stored code does not verify with this key file"),
                tr("请使用正确的密钥文件，或补发：", "use the school's key file, or reissue it:")
            ),
        },
        Err(e) if matches!(e.downcast_ref::<KeyringError>(), Some(KeyringError::NotFound { .. })) => {
            eprintln!(
                "caiji: {} {}",
                tr("注意：本机没有密钥文件，以下信息取自名单，未经解码核对：", "note: no key file here, so the fields are from the roster, not read back from the code:"),
                ctx.key_file.display()
            );
            None
        }
        Err(e) => return Err(e),
    };
    let fields = shown_fields(&student, &code, payload.as_ref(), &school);
    if let Some(p) = &payload {
        if p.school_code != school.code {
            eprintln!(
                "caiji: {} {} ≠ {}",
                tr("警告：采集码中的学校代码与本校配置不同，扫码时会被判为外校码——请补发", "warning: the code carries another school code than this school's; scanners will reject it — reissue it"),
                p.school_code,
                school.code
            );
        }
    }

    let matrix = QrMatrix::encode(&code.token)?;
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let terminal = if stdout_is_terminal { ratatui::crossterm::terminal::size().ok() } else { None };
    let info = info_lines(&fields);
    let info_width = info.iter().map(|l| l.width()).max().unwrap_or(0);
    let layout = match placement(terminal, matrix.required_size(), info_width) {
        Ok(layout) => layout,
        Err((w, h)) => {
            let (cols, rows) = terminal.unwrap_or((0, 0));
            bail!(
                "{} {w}×{h} {} {cols}×{rows}{}",
                tr("终端至少需要", "the terminal must be at least"),
                tr("才能完整显示二维码（当前", "to show the whole code (it is"),
                tr("）——请放大窗口或缩小字号", ") — enlarge the window or use a smaller font")
            );
        }
    };

    // Audited before anything is shown.
    store
        .audit(&AuditEntry {
            operator: ctx.operator.clone(),
            action: "show".into(),
            student_no: Some(no.to_string()),
            detail: format!("serial {}", code.serial),
        })
        .await?;
    store.close().await;

    let colour = use_colour(args.color, stdout_is_terminal, no_color_env());
    let drawn = if colour { render_ansi(&matrix) } else { render_plain(&matrix) };
    let lines: Vec<&str> = drawn.lines().collect();
    super::print(&compose(&lines, usize::from(matrix.required_size().0), &info, layout))?;
    Ok(ExitCode::SUCCESS)
}

fn shown_fields(
    student: &crate::domain::Student,
    code: &crate::store::CodeRecord,
    payload: Option<&CodePayload>,
    school: &crate::tui::SchoolInfo,
) -> Vec<(&'static str, String)> {
    let (masked_name, masked_id, level, cohort, issued_on) = match payload {
        Some(p) => (p.masked_name.clone(), p.masked_id.clone(), p.level, p.cohort, p.issued_on),
        None => (mask_name(&student.name), mask_id(&student.id_number), student.level, student.cohort, code.issued_at.date()),
    };
    vec![
        (tr("学号", "Student no."), student.student_no.clone()),
        (tr("姓名", "Name"), masked_name),
        (tr("证件号码", "ID number"), masked_id),
        (tr("学校", "School"), format!("{}（{}）", school.name, school.code)),
        (tr("层次", "Level"), level_text(level).to_string()),
        (tr("届别", "Cohort"), cohort.to_string()),
        (tr("编号", "Serial"), code.serial.to_string()),
        (tr("状态", "Status"), crate::commands::students::status_text("active").to_string()),
        (tr("签发日期", "Issued"), issued_on.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_never_clips_the_code() {
        let v5 = (45, 23);
        let v2 = (33, 17);
        let cases = [
            (None, v5, 30, Ok(Placement::Below)),
            (Some((80, 24)), v5, 30, Ok(Placement::Beside)),
            (Some((80, 24)), v5, 32, Ok(Placement::Beside)),
            (Some((80, 24)), v5, 33, Ok(Placement::Above)),
            (Some((60, 40)), v5, 30, Ok(Placement::Above)),
            (Some((45, 24)), v5, 30, Ok(Placement::Above)),
            (Some((44, 24)), v5, 30, Err((45, 24))),
            (Some((80, 23)), v5, 30, Err((45, 24))),
            (Some((200, 60)), v2, 30, Ok(Placement::Beside)),
            (Some((33, 18)), v2, 30, Ok(Placement::Above)),
            (Some((33, 17)), v2, 30, Err((33, 18))),
        ];
        for (terminal, qr, info, want) in cases {
            assert_eq!(placement(terminal, qr, info), want, "{terminal:?} {qr:?} {info}");
        }
    }

    #[test]
    fn colour_follows_the_flag_the_terminal_and_no_color() {
        // (choice, stdout is a terminal, NO_COLOR set, colour cells)
        let cases = [
            (ColorChoice::Auto, true, false, true),
            (ColorChoice::Auto, true, true, false),
            (ColorChoice::Auto, false, false, false),
            (ColorChoice::Always, false, true, true),
            (ColorChoice::Never, true, false, false),
        ];
        for (choice, terminal, no_color, want) in cases {
            assert_eq!(use_colour(choice, terminal, no_color), want, "{choice:?} {terminal} {no_color}");
        }
    }

    #[test]
    fn fields_go_beside_above_or_below_and_code_lines_stay_whole() {
        let qr = ["AAAA", "BBBB", "CCCC"];
        let info: Vec<String> = ["x", "y", "z", "w"].iter().map(|s| s.to_string()).collect();
        let cases = [
            (Placement::Beside, "AAAA\nBBBB   x\nCCCC   y\n       z\n       w\n"),
            (Placement::Above, "x\ny\nz\nw\nAAAA\nBBBB\nCCCC\n"),
            (Placement::Below, "AAAA\nBBBB\nCCCC\n\nx\ny\nz\nw\n"),
        ];
        for (placement, want) in cases {
            assert_eq!(compose(&qr, 4, &info, placement), want, "{placement:?}");
        }
    }

    #[test]
    fn labels_align_by_display_width_and_values_lose_control_characters() {
        let lines = info_lines(&[("学号", "2022001".into()), ("证件号码", "*****002X".into()), ("Name", "张*\u{1b}[2J".into())]);
        assert_eq!(lines, ["学号      2022001", "证件号码  *****002X", "Name      张*[2J"]);
    }
}
