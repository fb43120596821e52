//! `caiji codes show 学号`: the student's QR code in the terminal with its masked fields (docs/qr.md).
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

/// Narrowest room beside the code worth using; with less, the fields go above it.
const MIN_BESIDE: usize = 24;

/// Picks where the fields go for a code that needs `qr` = (columns, rows), on a terminal of
/// `terminal` = (columns, rows) (None: not a terminal), and lays the field lines out for it:
/// wrapped to the room beside the code when they fit there, else to the terminal's width.
/// Err gives the terminal size needed: the code's size plus the line the shell prompt takes,
/// so the top of the code is not scrolled off.
fn layout(
    terminal: Option<(u16, u16)>,
    qr: (u16, u16),
    fields: &[(&str, String)],
) -> Result<(Placement, Vec<String>), (u16, u16)> {
    let Some((cols, rows)) = terminal else {
        return Ok((Placement::Below, info_lines(fields, None)));
    };
    let need = (qr.0, qr.1.saturating_add(1));
    if cols < need.0 || rows < need.1 {
        return Err(need);
    }
    let room = usize::from(cols).saturating_sub(usize::from(qr.0) + GAP);
    if room >= MIN_BESIDE {
        let lines = info_lines(fields, Some(room));
        // The first code row stays free (see `compose`).
        if lines.len() < usize::from(qr.1) {
            return Ok((Placement::Beside, lines));
        }
    }
    Ok((
        Placement::Above,
        info_lines(fields, Some(usize::from(cols))),
    ))
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

/// The fields, label and value, labels padded to one width. With `width`, a value too long for
/// it (a long school name, a 50-letter masked name) continues on the next lines, under itself.
fn info_lines(fields: &[(&str, String)], width: Option<usize>) -> Vec<String> {
    let label_width = fields.iter().map(|(l, _)| l.width()).max().unwrap_or(0);
    let indent = label_width + 2;
    let room = width.map(|w| w.saturating_sub(indent).max(1));
    let mut out = Vec::new();
    for (label, value) in fields {
        let value = strip_controls(value);
        let pieces = match room {
            Some(room) => wrap(&value, room),
            None => vec![value.into_owned()],
        };
        for (i, piece) in pieces.iter().enumerate() {
            let head = if i == 0 {
                format!("{label}{}", " ".repeat(label_width - label.width()))
            } else {
                " ".repeat(label_width)
            };
            out.push(format!("{head}  {piece}"));
        }
    }
    out
}

/// Splits `text` into pieces at most `room` columns wide (CJK characters are two columns).
fn wrap(text: &str, room: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > room && used > 0 {
            pieces.push(String::new());
            used = 0;
        }
        if let Some(last) = pieces.last_mut() {
            last.push(c);
        }
        used += w;
    }
    pieces
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
    if lang() == Lang::Zh {
        level.label_zh()
    } else {
        level.label_en()
    }
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
                tr(
                    "存储的采集码无法用本机密钥文件验证",
                    "the stored code does not verify with this key file"
                ),
                tr(
                    "请使用正确的密钥文件，或补发：",
                    "use the school's key file, or reissue it:"
                )
            ),
        },
        Err(e)
            if matches!(
                e.downcast_ref::<KeyringError>(),
                Some(KeyringError::NotFound { .. })
            ) =>
        {
            eprintln!(
                "caiji: {} {}",
                tr(
                    "注意：本机没有密钥文件，以下信息取自名单，未经解码核对：",
                    "note: no key file here, so the fields are from the roster, not read back from the code:"
                ),
                ctx.key_file.display()
            );
            None
        }
        Err(e) => return Err(e),
    };
    let fields = shown_fields(&student, &code, payload.as_ref(), &school);
    if let Some(p) = &payload
        && p.school_code != school.code
    {
        eprintln!(
            "caiji: {} {} ≠ {}",
            tr(
                "警告：采集码中的学校代码与本校配置不同，扫码时会被判为外校码——请补发",
                "warning: the code carries another school code than this school's; scanners will reject it — reissue it"
            ),
            p.school_code,
            school.code
        );
    }

    let matrix = QrMatrix::encode(&code.token)?;
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let terminal = if stdout_is_terminal {
        ratatui::crossterm::terminal::size().ok()
    } else {
        None
    };
    let (placement, info) = match layout(terminal, matrix.required_size(), &fields) {
        Ok(layout) => layout,
        Err((w, h)) => {
            let (cols, rows) = terminal.unwrap_or((0, 0));
            bail!(
                "{} {w}×{h} {} {cols}×{rows}{}",
                tr("终端至少需要", "the terminal must be at least"),
                tr("才能完整显示二维码（当前", "to show the whole code (it is"),
                tr(
                    "）——请放大窗口或缩小字号",
                    ") — enlarge the window or use a smaller font"
                )
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
    let drawn = if colour {
        render_ansi(&matrix)
    } else {
        render_plain(&matrix)
    };
    let lines: Vec<&str> = drawn.lines().collect();
    super::print(&compose(
        &lines,
        usize::from(matrix.required_size().0),
        &info,
        placement,
    ))?;
    Ok(ExitCode::SUCCESS)
}

fn shown_fields(
    student: &crate::domain::Student,
    code: &crate::store::CodeRecord,
    payload: Option<&CodePayload>,
    school: &crate::ops::school::SchoolInfo,
) -> Vec<(&'static str, String)> {
    let (masked_name, masked_id, level, cohort, issued_on) = match payload {
        Some(p) => (
            p.masked_name.clone(),
            p.masked_id.clone(),
            p.level,
            p.cohort,
            p.issued_on,
        ),
        None => (
            mask_name(&student.name),
            mask_id(&student.id_number),
            student.level,
            student.cohort,
            crate::clock::local_date(code.issued_at),
        ),
    };
    vec![
        (tr("学号", "Student no."), student.student_no.clone()),
        (tr("姓名", "Name"), masked_name),
        (tr("证件号码", "ID number"), masked_id),
        (
            tr("学校", "School"),
            format!("{}（{}）", school.name, school.code),
        ),
        (tr("层次", "Level"), level_text(level).to_string()),
        (tr("届别", "Cohort"), cohort.to_string()),
        (tr("编号", "Serial"), code.serial.to_string()),
        (
            tr("状态", "Status"),
            crate::words::reports::status_text("active").to_string(),
        ),
        (tr("签发日期", "Issued"), issued_on.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(school: &str) -> Vec<(&'static str, String)> {
        vec![
            ("学号", "2022110101".into()),
            ("姓名", "张*".into()),
            ("学校", school.into()),
            ("状态", "有效".into()),
        ]
    }

    #[test]
    fn layout_never_clips_the_code_and_keeps_fields_beside_when_they_fit() {
        let v5 = (45, 23);
        let v1 = (29, 15);
        let short = fields("南岭理工大学（4144010001）");
        // 52 columns of school name: wraps onto a second line beside a v5 code on 80 columns.
        let long = fields("中国人民解放军国防科技大学继续教育学院（9999999999）");
        let many: Vec<(&str, String)> = (0..20)
            .map(|_| ("学号", "2022110101".to_string()))
            .collect();
        // (terminal, code, fields, placement or the size needed, field lines)
        type Case<'a> = (
            Option<(u16, u16)>,
            (u16, u16),
            &'a [(&'a str, String)],
            Result<Placement, (u16, u16)>,
            usize,
        );
        let cases: Vec<Case> = vec![
            (None, v5, &short, Ok(Placement::Below), 4),
            (None, v5, &long, Ok(Placement::Below), 4),
            (Some((80, 24)), v5, &short, Ok(Placement::Beside), 4),
            (Some((80, 24)), v5, &long, Ok(Placement::Beside), 5),
            (Some((72, 24)), v5, &short, Ok(Placement::Beside), 5),
            (Some((71, 24)), v5, &short, Ok(Placement::Above), 4),
            (Some((45, 24)), v5, &short, Ok(Placement::Above), 4),
            (Some((80, 24)), v1, &many, Ok(Placement::Above), 20),
            (Some((80, 40)), v5, &many, Ok(Placement::Beside), 20),
            (Some((44, 24)), v5, &short, Err((45, 24)), 0),
            (Some((80, 23)), v5, &short, Err((45, 24)), 0),
            (Some((29, 15)), v1, &short, Err((29, 16)), 0),
        ];
        for (terminal, qr, fields, want, n) in cases {
            let got = layout(terminal, qr, fields);
            assert_eq!(
                got.as_ref().map(|(p, _)| *p).map_err(|e| *e),
                want,
                "{terminal:?} {qr:?}"
            );
            if let (Ok((_, lines)), Some((cols, _))) = (&got, terminal) {
                assert_eq!(lines.len(), n, "{terminal:?}: {lines:#?}");
                let room = if want == Ok(Placement::Beside) {
                    usize::from(cols) - usize::from(qr.0) - GAP
                } else {
                    usize::from(cols)
                };
                assert!(
                    lines.iter().all(|l| l.width() <= room),
                    "{terminal:?}: {lines:#?}"
                );
            }
        }
    }

    #[test]
    fn long_values_wrap_under_themselves_by_display_width() {
        let lines = info_lines(
            &[
                ("学校", "岭海理工大学（4144019253）".into()),
                ("状态", "有效".into()),
            ],
            Some(20),
        );
        assert_eq!(
            lines,
            ["学校  岭海理工大学（", "      4144019253）", "状态  有效"]
        );
        assert_eq!(wrap("W************n", 6), ["W*****", "******", "*n"]);
        assert_eq!(wrap("", 6), [""]);
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
            assert_eq!(
                use_colour(choice, terminal, no_color),
                want,
                "{choice:?} {terminal} {no_color}"
            );
        }
    }

    #[test]
    fn fields_go_beside_above_or_below_and_code_lines_stay_whole() {
        let qr = ["AAAA", "BBBB", "CCCC"];
        let info: Vec<String> = ["x", "y", "z", "w"].iter().map(|s| s.to_string()).collect();
        let cases = [
            (
                Placement::Beside,
                "AAAA\nBBBB   x\nCCCC   y\n       z\n       w\n",
            ),
            (Placement::Above, "x\ny\nz\nw\nAAAA\nBBBB\nCCCC\n"),
            (Placement::Below, "AAAA\nBBBB\nCCCC\n\nx\ny\nz\nw\n"),
        ];
        for (placement, want) in cases {
            assert_eq!(compose(&qr, 4, &info, placement), want, "{placement:?}");
        }
    }

    #[test]
    fn labels_align_by_display_width_and_values_lose_control_characters() {
        let lines = info_lines(
            &[
                ("学号", "2022001".into()),
                ("证件号码", "*****002X".into()),
                ("Name", "张*\u{1b}[2J".into()),
            ],
            None,
        );
        assert_eq!(
            lines,
            [
                "学号      2022001",
                "证件号码  *****002X",
                "Name      张*[2J"
            ]
        );
    }
}
