//! `caiji sessions checkin SESSION`: a station's scanner loop. A keyboard-wedge scanner types
//! each code followed by Enter; every line is answered at once, before the next is read.
//!
//! A scanned line goes through three steps: `verify` (the token itself), the `codes` table
//! (whose code it is, and whether it was revoked), then the store's `check_in`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use crate::cli::{SessionCheckinArgs, TableOrJson};
use crate::commands::{Ctx, EXIT_ERROR};
use crate::domain::text::strip_controls;
use crate::i18n::{Lang, lang, tr};
use crate::ops::checkin::{
    Answer, NOT_RECORDED, Sessions, Station, StationKeys, answer_retrying, status_label,
};
use crate::ops::time::format_time;
use std::collections::HashMap;

/// One line of `--format json` (docs/cli.md keys, nothing more).
#[derive(Serialize)]
struct AnswerJson<'a> {
    status: &'static str,
    student_no: Option<&'a str>,
    shot: Option<i32>,
    reason: Option<&'a str>,
    /// `already_elsewhere` only: the session whose check-in counts (`shot` is its shot).
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<i64>,
}

/// How answers look on this terminal (or pipe).
struct Style {
    tty: bool,
    colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn table_line(&self, a: &Answer) -> String {
        let word = status_label(a.status);
        let colour = match a.status {
            "checked_in" => "32",
            "already" | "already_elsewhere" => "33",
            NOT_RECORDED => "1;31",
            _ => "31",
        };
        let mut line = self.paint(colour, &pad(word, 16));
        // another session's shot is told in the reason, not as this station's number
        if let Some(shot) = a.shot.filter(|_| a.counted_session.is_none()) {
            let number = format!(" {shot} ");
            // The shot number is what the photographer calls out: make it stand out.
            let number = if a.status == "checked_in" && self.tty {
                if self.colour {
                    format!("\x1b[1;7m{number}\x1b[0m")
                } else {
                    format!("\x1b[1m{number}\x1b[0m")
                }
            } else {
                number
            };
            line.push_str(&format!("{}{number}", tr("拍摄号", "shot")));
        }
        for part in [&a.masked_name, &a.class].into_iter().flatten() {
            line.push_str("  ");
            line.push_str(&strip_controls(part));
        }
        if let Some(reason) = &a.reason {
            line.push_str("  ");
            line.push_str(&strip_controls(reason));
        }
        line
    }
}

/// Reads lines on a thread of their own, so a station waiting for the next scan never holds up
/// the runtime; each line arrives as soon as Enter is pressed.
fn read_lines(
    input: impl std::io::Read + Send + 'static,
) -> tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    std::thread::spawn(move || {
        let mut reader = std::io::BufReader::new(input);
        loop {
            let mut buf = Vec::new();
            match std::io::BufRead::read_until(&mut reader, b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {
                    if tx.blocking_send(Ok(buf)).is_err() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    break;
                }
            }
        }
    });
    rx
}

fn pad(text: &str, width: usize) -> String {
    format!("{text}{}", " ".repeat(width.saturating_sub(text.width())))
}

pub async fn run(ctx: &Ctx, args: &SessionCheckinArgs) -> Result<ExitCode> {
    let station = args.station.trim();
    let max = crate::domain::lengths::STATION;
    if station.is_empty()
        || station.chars().count() > max
        || crate::domain::text::first_unwanted(station).is_some()
    {
        bail!(
            "--station '{}' must be 1 to {max} printable characters, e.g. --station A1",
            crate::domain::text::strip_controls(&args.station)
        );
    }
    let retake_reason = args
        .retake_reason
        .as_deref()
        .map(|text| crate::ops::checkin::checked_retake_reason("--retake-reason", text))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let args = SessionCheckinArgs {
        station: station.to_string(),
        ..args.clone()
    };
    // Loaded once for the station; without it no scan can be verified, so the station does not start.
    let keys = StationKeys::load(&ctx.key_file);
    if let Some(why) = keys.problem() {
        bail!("{why}");
    }
    let store = ctx.open_store().await?;
    let Some(session) = store.session(args.session).await? else {
        bail!(crate::store::StoreError::NoSuchSession(args.session));
    };
    if retake_reason.is_some() && !session.makeup {
        store.close().await;
        bail!(match lang() {
            Lang::Zh => format!(
                "场次 {} 不是补采场次：--retake-reason 只用于补采场次（重拍已在别场签到的学生）；请去掉该选项，或选择补采场次",
                session.id
            ),
            Lang::En => format!(
                "session {} is not a make-up (补采) session: --retake-reason applies only there (to photograph again a student checked in elsewhere); drop it or choose a make-up session",
                session.id
            ),
        });
    }
    let interactive = std::io::stdin().is_terminal();
    let tty = std::io::stdout().is_terminal();
    let style = Style {
        tty,
        colour: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    if interactive {
        eprintln!(
            "{} {}「{}」{} {} · {} {}/{} · {} {}{}",
            tr("场次", "Session"),
            session.id,
            strip_controls(&session.title),
            format_time(session.starts_at),
            strip_controls(&session.location),
            tr("已签到", "checked in"),
            session.checked_in,
            session.capacity,
            tr("工位", "station"),
            args.station,
            tr("。请扫码，Ctrl-D 结束。", ". Scan codes; Ctrl-D to finish.")
        );
    }

    let mut sessions = Sessions::new(store.as_ref());
    let here = Station {
        keys: &keys,
        name: &args.station,
        operator: &ctx.operator,
        allow_walk_in: args.allow_walk_in,
        walk_in_how: crate::ops::checkin::walk_in_flag(),
        retake_reason: retake_reason.as_deref(),
        retake_how: crate::ops::checkin::retake_flag(),
    };
    let mut lines = read_lines(std::io::stdin());
    let mut tally: HashMap<&'static str, u32> = HashMap::new();
    let mut failed = 0u32;
    while let Some(buf) = lines.recv().await {
        let buf = buf?;
        // A scanner sends what the code holds; bytes that are not UTF-8 make it invalid, not fatal.
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        let a = match answer_retrying(store.as_ref(), &mut sessions, &session, &line, &here).await {
            Ok(a) => a,
            Err(err) => {
                // The station keeps running and answers this scan too: NOT recorded. The next
                // scan may well get through; scanning this code again is always safe (a code
                // recorded after all answers "already" with its shot number).
                failed += 1;
                let reason = crate::commands::error_line(&err);
                eprintln!("caiji: {reason} — {}", tr("请重新扫描", "scan again"));
                let reason = match lang() {
                    Lang::Zh => format!("未记录签到：{reason}——请重新扫描"),
                    Lang::En => format!("NOT recorded: {reason} — scan again"),
                };
                Answer {
                    status: NOT_RECORDED,
                    student_no: None,
                    shot: None,
                    reason: Some(reason),
                    masked_name: None,
                    class: None,
                    their_session: None,
                    moved_from: None,
                    counted_session: None,
                    slate: None,
                }
            }
        };
        *tally.entry(a.status).or_default() += 1;
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        match args.format {
            TableOrJson::Json => {
                serde_json::to_writer(
                    &mut out,
                    &AnswerJson {
                        status: a.status,
                        student_no: a.student_no.as_deref(),
                        shot: a.shot,
                        reason: a.reason.as_deref(),
                        session: a.counted_session,
                    },
                )?;
                writeln!(out)?;
            }
            TableOrJson::Table => writeln!(out, "{}", style.table_line(&a))?,
        }
        out.flush()?;
    }
    store.close().await;
    if interactive {
        let mut parts: Vec<String> = tally.iter().map(|(k, v)| format!("{k} {v}")).collect();
        parts.sort();
        eprintln!("{}: {}", tr("本次结束", "Done"), parts.join(", "));
    }
    Ok(if failed > 0 {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lines_show_shot_name_and_class_without_escapes_on_pipes() {
        let style = Style {
            tty: false,
            colour: false,
        };
        let a = Answer {
            status: "checked_in",
            student_no: Some("2022001".into()),
            shot: Some(17),
            reason: None,
            masked_name: Some("张*".into()),
            class: Some("软工\u{1b}[2J2201".into()),
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        };
        let line = style.table_line(&a);
        assert!(
            line.contains(" 17 ") && line.contains("张*") && line.contains("软工[2J2201"),
            "{line}"
        );
        assert!(!line.contains('\u{1b}'), "{line:?}");
        let tty = Style {
            tty: true,
            colour: true,
        }
        .table_line(&a);
        assert!(tty.contains("\x1b[1;7m 17 \x1b[0m"), "{tty:?}");
    }

    #[test]
    fn a_scan_that_could_not_be_recorded_says_so() {
        let style = Style {
            tty: false,
            colour: false,
        };
        let a = Answer {
            status: NOT_RECORDED,
            student_no: None,
            shot: None,
            reason: Some("NOT recorded: the database server cannot be reached — scan again".into()),
            masked_name: None,
            class: None,
            their_session: None,
            moved_from: None,
            counted_session: None,
            slate: None,
        };
        let line = style.table_line(&a);
        assert!(
            line.contains("NOT recorded") && line.contains("scan again") && !line.contains("shot"),
            "{line}"
        );
    }
}
