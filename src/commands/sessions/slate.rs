//! `caiji sessions slate SESSION SHOT` (docs/slate.md): the slate of a check-in drawn again —
//! the shot number large and a QR code for the camera, as the Check-in screen shows it after an
//! accepted scan. For a station without the console, or a slate to photograph again.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::cli::{ColorChoice, SessionSlateArgs};
use crate::code::slate::{big_number, largest_scale, render_cells, required_size, scaled_cells};
use crate::code::{Keyring, QrMatrix, Slate, seal_slate};
use crate::commands::Ctx;
use crate::domain::mask_name;
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::store::CodeState;

/// Rows above the code: the title line, the large digits and a blank line.
const HEAD_ROWS: usize = 7;

pub async fn run(ctx: &Ctx, args: &SessionSlateArgs) -> Result<ExitCode> {
    let keyring = Keyring::load(&ctx.key_file)?;
    let store = ctx.open_store().await?;
    let Some(session) = store.session(args.session).await? else {
        bail!(crate::store::StoreError::NoSuchSession(args.session));
    };
    let students = store.session_students(session.id).await?;
    let Some(student) = students.iter().find(|s| s.shot == Some(args.shot)) else {
        bail!(match lang() {
            Lang::Zh => format!(
                "场次 {} 没有拍摄号 {} 的签到——请用 caiji sessions list 和签到记录核对场次与拍摄号",
                session.id, args.shot
            ),
            Lang::En => format!(
                "session {} has no check-in with shot {} — check the session id and the shot number",
                session.id, args.shot
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
    let slate = Slate {
        session: session.id,
        shot: args.shot,
        serial: u64::try_from(code.serial).unwrap_or(0),
    };
    let text = seal_slate(&slate, &keyring)?;
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
    let mut out = format!(
        "{} {}「{}」 · {} {} · {}\n",
        tr("场次", "Session"),
        session.id,
        strip_controls(&session.title),
        tr("拍摄号", "shot"),
        args.shot,
        strip_controls(&mask_name(&student.name)),
    );
    for line in big_number(i64::from(args.shot)) {
        out.push_str(&line);
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&render_cells(
        &scaled_cells(&matrix, scale.0, scale.1),
        colour,
    ));
    crate::commands::codes::print(&out)?;
    Ok(ExitCode::SUCCESS)
}
