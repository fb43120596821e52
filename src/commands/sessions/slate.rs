//! `caiji sessions slate SESSION SHOT|LABEL` (docs/slate.md): the slate of a check-in drawn again —
//! the shot number large and a QR code for the camera, as the Check-in screen shows it after an
//! accepted scan. For a station without the console, or a slate to photograph again.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::{ColorChoice, SessionSlateArgs};
use crate::code::slate::{big_number, largest_scale, render_cells, required_size, scaled_cells};
use crate::code::slate::{format_label, parse_label};
use crate::code::{Keyring, QrMatrix, Slate, seal_slate};
use crate::commands::Ctx;
use crate::domain::mask_name;
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::ops::station::journal::{self, Fate};
use crate::ops::station::station_dir;
use crate::store::CodeState;

/// Rows above the code: the title line, the large digits and a blank line.
const HEAD_ROWS: usize = 7;

/// What the slate is drawn for: a shot number, or a provisional label of an offline station.
enum Wanted {
    Shot(i32),
    Label(String),
}

fn wanted(arg: &str) -> Result<Wanted> {
    let arg = arg.trim();
    if let Ok(shot) = arg.parse::<i32>()
        && shot > 0
    {
        return Ok(Wanted::Shot(shot));
    }
    let upper = arg.to_ascii_uppercase();
    if let Some((letter, number)) = parse_label(&upper) {
        return Ok(Wanted::Label(format_label(letter, number)));
    }
    bail!(match lang() {
        Lang::Zh => format!(
            "“{}” 既不是拍摄号（正整数）也不是离线工位的临时编号（如 B-017）",
            strip_controls(arg)
        ),
        Lang::En => format!(
            "{:?} is neither a shot number (a positive whole number) nor an offline station's provisional label (like B-017)",
            strip_controls(arg)
        ),
    });
}

/// The slate to draw: its shot and label, the masked name, and the serial of the code.
struct Drawn {
    shot: Option<i32>,
    label: Option<String>,
    masked_name: String,
    serial: u64,
}

pub async fn run(ctx: &Ctx, args: &SessionSlateArgs) -> Result<ExitCode> {
    let want = wanted(&args.shot)?;
    let keyring = Keyring::load(&ctx.key_file)?;
    let store = ctx.open_store().await?;
    let Some(session) = store.session(args.session).await? else {
        bail!(crate::store::StoreError::NoSuchSession(args.session));
    };
    let labelled = store.labelled_shots(session.id).await?;
    // A label the server knows is drawn with its shot; one only this station's journal knows
    // (the scan is still queued) is drawn with the label alone (docs/slate.md).
    let (shot, label) = match want {
        Wanted::Shot(shot) => (
            shot,
            labelled
                .iter()
                .find(|l| l.shot == shot)
                .map(|l| l.label.clone()),
        ),
        Wanted::Label(label) => match labelled.iter().find(|l| l.label == label) {
            Some(l) => (l.shot, Some(label)),
            None => {
                store.close().await;
                let drawn = queued_slate(ctx, &keyring, session.id, &label)?;
                return draw(args, &session, &drawn, &keyring);
            }
        },
    };
    let students = store.session_students(session.id).await?;
    let Some(student) = students.iter().find(|s| s.shot == Some(shot)) else {
        bail!(match lang() {
            Lang::Zh => format!(
                "场次 {} 没有拍摄号 {} 的签到——请用 caiji sessions list 和签到记录核对场次与拍摄号",
                session.id, shot
            ),
            Lang::En => format!(
                "session {} has no check-in with shot {} — check the session id and the shot number",
                session.id, shot
            ),
        });
    };
    let codes = store
        .student_codes(&student.student_no)
        .await?
        .map(|(_, codes)| codes)
        .unwrap_or_default();
    store.close().await;
    // The active code's serial, or the newest one's (codes come newest first).
    let Some(code) = codes
        .iter()
        .find(|c| c.state == CodeState::Active)
        .or(codes.first())
    else {
        bail!(
            "{} {} {}",
            tr("学生", "student"),
            student.student_no,
            tr(
                "没有采集码，无法生成拍摄牌——请先 caiji codes issue",
                "has no collection code, so no slate can be sealed — run caiji codes issue first"
            )
        );
    };
    let drawn = Drawn {
        shot: Some(shot),
        label,
        masked_name: mask_name(&student.name),
        serial: u64::try_from(code.serial).unwrap_or(0),
    };
    draw(args, &session, &drawn, &keyring)
}

/// The slate of a scan this station queued and the server does not know yet: from the
/// station's journal of the session (docs/sessions.md "Offline stations").
fn queued_slate(ctx: &Ctx, keyring: &Keyring, session: i64, label: &str) -> Result<Drawn> {
    let path = journal::path_for(&station_dir(&ctx.paths.data_dir), session);
    let entries = if path.exists() {
        journal::read(&path)?.0
    } else {
        Vec::new()
    };
    let Some(entry) = entries.iter().find(|e| e.scan.label == label) else {
        bail!(match lang() {
            Lang::Zh => format!(
                "场次 {session} 没有临时编号 {label} 的签到：服务器上没有，本工位的日志（{}）里也没有——请在拍摄该学生的工位上运行本命令",
                path.display()
            ),
            Lang::En => format!(
                "session {session} has no check-in with provisional label {label}: not on the server, nor in this station's journal ({}) — run this at the station that scanned the student",
                path.display()
            ),
        });
    };
    if let Some(Fate::Conflict { reason, .. }) = &entry.fate {
        let reason = super::sync::conflict_words(reason);
        bail!(match lang() {
            Lang::Zh => format!(
                "临时编号 {label} 上传时被拒（{}），没有签到，也就没有拍摄牌——请重新扫码签到",
                strip_controls(&reason)
            ),
            Lang::En => format!(
                "the scan {label} was refused when it was sent ({}): no check-in, so no slate — scan the student's code again",
                strip_controls(&reason)
            ),
        });
    }
    let payload = crate::code::verify(&entry.scan.token, keyring)?;
    Ok(Drawn {
        shot: match entry.fate {
            Some(Fate::Synced { shot }) => Some(shot),
            _ => None,
        },
        label: Some(label.to_string()),
        masked_name: entry.scan.masked_name.clone(),
        serial: payload.serial,
    })
}

fn draw(
    args: &SessionSlateArgs,
    session: &crate::store::SessionRow,
    drawn: &Drawn,
    keyring: &Keyring,
) -> Result<ExitCode> {
    let slate = Slate {
        session: session.id,
        shot: drawn.shot,
        label: drawn.label.clone(),
        serial: drawn.serial,
    };
    let text = seal_slate(&slate, keyring)?;
    let matrix = QrMatrix::encode(&text)?;

    let tty = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => tty && !no_color,
    };
    let scale = if tty {
        let (cols, rows) = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
        let (cols, rows) = (usize::from(cols), usize::from(rows));
        match largest_scale(&matrix, cols, rows.saturating_sub(HEAD_ROWS)) {
            Some((s, q)) => (s.min(4), q),
            None => {
                let (w, h) = required_size(&matrix);
                bail!(
                    "{} {w}×{} {} {cols}×{rows}{}",
                    tr("终端至少需要", "the terminal must be at least"),
                    h + HEAD_ROWS,
                    tr("才能完整显示拍摄牌（当前", "to show the whole slate (it is"),
                    tr(
                        "）——请放大窗口或缩小字号",
                        ") — enlarge the window or use a smaller font"
                    )
                );
            }
        }
    } else {
        (2, crate::code::qr::QUIET_ZONE)
    };
    let number = match (drawn.shot, &drawn.label) {
        (Some(shot), Some(label)) => format!("{} {shot} ({label})", tr("拍摄号", "shot")),
        (Some(shot), None) => format!("{} {shot}", tr("拍摄号", "shot")),
        (None, label) => format!(
            "{} {} {}",
            tr("临时编号", "provisional label"),
            label.as_deref().unwrap_or("?"),
            tr("（待同步）", "(waiting for sync)")
        ),
    };
    let mut out = format!(
        "{} {}「{}」 · {number} · {}\n",
        tr("场次", "Session"),
        session.id,
        strip_controls(&session.title),
        strip_controls(&drawn.masked_name),
    );
    // Large digits only for a real shot: a label's number must never pass for one.
    match (drawn.shot, &drawn.label) {
        (Some(shot), _) => {
            for line in big_number(i64::from(shot)) {
                out.push_str(&line);
                out.push('\n');
            }
        }
        (None, label) => {
            out.push_str(label.as_deref().unwrap_or("?"));
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&render_cells(
        &scaled_cells(&matrix, scale.0, scale.1),
        colour,
    ));
    crate::commands::codes::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
