//! `caiji sessions checkin SESSION`: a station's scanner loop. A keyboard-wedge scanner types
//! each code followed by Enter; every line is answered at once, before the next is read.
//!
//! A scanned line goes through three steps: `verify` (the token itself), the `codes` table
//! (whose code it is, and whether it was revoked), then the store's `check_in`.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{bail, Result};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

use super::format_time;
use crate::cli::{SessionCheckinArgs, TableOrJson};
use crate::commands::{Ctx, EXIT_ERROR};
use crate::domain::mask_name;
use crate::domain::text::strip_controls;
use crate::i18n::{lang, tr, Lang};
use crate::store::{CheckinStatus, SessionRow, Store, TokenLookup};

/// The versioned prefix every collection code starts with (SPEC §5).
pub const TOKEN_PREFIX: &str = "CJ1:";

/// Why a scanned line is not taken, found before any check-in is attempted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `invalid` or `revoked` (SPEC §11).
    pub status: &'static str,
    pub student_no: Option<String>,
    pub reason: String,
}

impl Refusal {
    fn invalid(reason: String) -> Refusal {
        Refusal { status: "invalid", student_no: None, reason }
    }
}

/// Scanners add spaces and may type lower case (SPEC §5): trim and upper-case first.
pub fn normalise_token(line: &str) -> String {
    line.trim().to_uppercase()
}

/// The check of the token itself, in front of the database lookup. The collection-code module
/// (AES-GCM over base45) replaces the body with real verification — tampered, truncated,
/// unknown-key and foreign codes refused here — and the rest of the loop stays as it is.
/// Until then a token is judged by its prefix, and the `codes` table decides the rest.
pub(crate) fn verify(token: &str) -> Result<(), Refusal> {
    if token.starts_with(TOKEN_PREFIX) && token.len() > TOKEN_PREFIX.len() {
        return Ok(());
    }
    Err(Refusal::invalid(match lang() {
        Lang::Zh => format!("不是采集码（采集码以 {TOKEN_PREFIX} 开头）"),
        Lang::En => format!("not a collection code (codes begin with {TOKEN_PREFIX})"),
    }))
}

/// Whose code a scanned line is: the student's 学号, or why the line is refused.
pub async fn identify(store: &dyn Store, line: &str) -> Result<Result<String, Refusal>> {
    let token = normalise_token(line);
    if let Err(refusal) = verify(&token) {
        return Ok(Err(refusal));
    }
    Ok(match store.code_by_token(&token).await? {
        TokenLookup::Active { student_no } => Ok(student_no),
        TokenLookup::Unknown => Err(Refusal::invalid(
            tr("未登记的采集码（不是本校签发的，或已被替换）", "unknown code (not issued here, or replaced)").to_string(),
        )),
        TokenLookup::Revoked { student_no, revoked_at, replacement_issued_at } => {
            let when = revoked_at.map(format_time).unwrap_or_else(|| "?".into());
            let mut reason = match lang() {
                Lang::Zh => format!("采集码已于 {when} 作废"),
                Lang::En => format!("code revoked on {when}"),
            };
            if let Some(new) = replacement_issued_at {
                reason.push_str(&match lang() {
                    Lang::Zh => format!("；{} 已补发新码，请扫描新码", format_time(new)),
                    Lang::En => format!("; a new code was issued on {}, scan that one", format_time(new)),
                });
            }
            Err(Refusal { status: "revoked", student_no: Some(student_no), reason })
        }
    })
}

/// The answer to one scanned line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Answer {
    status: &'static str,
    student_no: Option<String>,
    shot: Option<i32>,
    reason: Option<String>,
    masked_name: Option<String>,
    class: Option<String>,
}

/// One line of `--format json` (SPEC §11 keys, nothing more).
#[derive(Serialize)]
struct AnswerJson<'a> {
    status: &'static str,
    student_no: Option<&'a str>,
    shot: Option<i32>,
    reason: Option<&'a str>,
}

/// Sessions named in "not in this session" answers, looked up once each.
struct Sessions<'a> {
    store: &'a dyn Store,
    known: HashMap<i64, Option<SessionRow>>,
}

impl Sessions<'_> {
    async fn describe(&mut self, id: i64) -> Result<String> {
        if !self.known.contains_key(&id) {
            let row = self.store.session(id).await?;
            self.known.insert(id, row);
        }
        Ok(match self.known.get(&id).and_then(Option::as_ref) {
            Some(s) => format!("{id}「{}」{} {}", strip_controls(&s.title), format_time(s.starts_at), strip_controls(&s.location)),
            None => id.to_string(),
        })
    }
}

async fn answer(
    store: &dyn Store,
    sessions: &mut Sessions<'_>,
    session: &SessionRow,
    line: &str,
    args: &SessionCheckinArgs,
    operator: &str,
) -> Result<Answer> {
    let student_no = match identify(store, line).await? {
        Ok(no) => no,
        Err(r) => {
            return Ok(Answer { status: r.status, student_no: r.student_no, shot: None, reason: Some(r.reason), masked_name: None, class: None });
        }
    };
    let outcome = store.check_in(session.id, &student_no, &args.station, operator, args.allow_walk_in).await?;
    let zh = lang() == Lang::Zh;
    let reason = match outcome.status {
        CheckinStatus::CheckedIn { walk_in: false, .. } => None,
        CheckinStatus::CheckedIn { walk_in: true, .. } => {
            Some(tr("现场加入（不在本场次名单中）", "walk-in (not on this session's list)").to_string())
        }
        CheckinStatus::Already { shot } => Some(if zh {
            format!("已在本场次签到，拍摄号 {shot}")
        } else {
            format!("already checked in at this session as shot {shot}")
        }),
        CheckinStatus::Full { capacity } => Some(if zh {
            format!("场次 {} 已满（容量 {capacity}）", session.id)
        } else {
            format!("session {} is full (capacity {capacity})", session.id)
        }),
        CheckinStatus::NotInSession { their_session: Some(id) } => {
            let other = sessions.describe(id).await?;
            Some(if zh { format!("应参加场次 {other}") } else { format!("belongs to session {other}") })
        }
        CheckinStatus::NotInSession { their_session: None } => Some(
            tr("未安排任何场次；要现场加入请用 --allow-walk-in", "has no session; run with --allow-walk-in to take walk-ins")
                .to_string(),
        ),
        CheckinStatus::Withdrawn => Some(tr("该学生已退出名单", "the student has withdrawn from the roster").to_string()),
        CheckinStatus::UnknownStudent => Some(tr("采集码对应的学生不在名单中", "the code's student is not on the roster").to_string()),
        CheckinStatus::NoSuchSession => Some(if zh {
            format!("场次 {} 已不存在", session.id)
        } else {
            format!("session {} no longer exists", session.id)
        }),
    };
    let student = outcome.student.as_ref();
    Ok(Answer {
        status: outcome.status.code(),
        student_no: Some(student_no.clone()),
        shot: outcome.status.shot(),
        reason,
        masked_name: student.map(|s| mask_name(&s.name)),
        class: student.map(|s| s.class.clone()),
    })
}

/// How answers look on this terminal (or pipe).
struct Style {
    tty: bool,
    colour: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    fn table_line(&self, a: &Answer) -> String {
        let (word, colour) = match a.status {
            "checked_in" => (tr("✔ 签到成功", "✔ checked in"), "32"),
            "already" => (tr("● 已签到过", "● already"), "33"),
            "full" => (tr("✘ 场次已满", "✘ full"), "31"),
            "not_in_session" => (tr("✘ 不在本场", "✘ not in session"), "31"),
            "revoked" => (tr("✘ 码已作废", "✘ revoked"), "31"),
            _ => (tr("✘ 无效", "✘ invalid"), "31"),
        };
        let mut line = self.paint(colour, &pad(word, 16));
        if let Some(shot) = a.shot {
            let number = format!(" {shot} ");
            // The shot number is what the photographer calls out: make it stand out.
            let number = if a.status == "checked_in" && self.tty {
                if self.colour { format!("\x1b[1;7m{number}\x1b[0m") } else { format!("\x1b[1m{number}\x1b[0m") }
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
fn read_lines(input: impl std::io::Read + Send + 'static) -> tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>> {
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
    if station.is_empty() || station.chars().count() > 64 || station.chars().any(char::is_control) {
        bail!("--station '{}' must be 1 to 64 printable characters, e.g. --station A1", args.station);
    }
    let args = SessionCheckinArgs { station: station.to_string(), ..args.clone() };
    let store = ctx.open_store().await?;
    let Some(session) = store.session(args.session).await? else {
        bail!(crate::store::StoreError::NoSuchSession(args.session));
    };
    let interactive = std::io::stdin().is_terminal();
    let tty = std::io::stdout().is_terminal();
    let style = Style { tty, colour: tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) };
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

    let mut sessions = Sessions { store: store.as_ref(), known: HashMap::new() };
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
        match answer(store.as_ref(), &mut sessions, &session, &line, &args, &ctx.operator).await {
            Ok(a) => {
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
                            },
                        )?;
                        writeln!(out)?;
                    }
                    TableOrJson::Table => writeln!(out, "{}", style.table_line(&a))?,
                }
                out.flush()?;
            }
            Err(err) => {
                // The station keeps running: the next scan may well get through.
                failed += 1;
                eprintln!("caiji: {} — {}", crate::commands::error_line(&err), tr("请重新扫描", "scan again"));
            }
        }
    }
    store.close().await;
    if interactive {
        let mut parts: Vec<String> = tally.iter().map(|(k, v)| format!("{k} {v}")).collect();
        parts.sort();
        eprintln!("{}: {}", tr("本次结束", "Done"), parts.join(", "));
    }
    Ok(if failed > 0 { ExitCode::from(EXIT_ERROR) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_trimmed_and_upper_cased() {
        let cases = [("  cj1:abc$%  \r\n", "CJ1:ABC$%"), ("CJ1:XYZ", "CJ1:XYZ"), ("\tcj1:q r\t", "CJ1:Q R")];
        for (line, want) in cases {
            assert_eq!(normalise_token(line), want, "{line:?}");
        }
    }

    #[test]
    fn lines_that_are_not_codes_are_refused_before_the_database() {
        for token in ["", "CJ1:", "2022000001", "HTTP://EXAMPLE.COM", "CJ2:ABC"] {
            let refusal = verify(token).expect_err(token);
            assert_eq!(refusal.status, "invalid");
            assert!(refusal.reason.contains(TOKEN_PREFIX), "{}", refusal.reason);
        }
        assert_eq!(verify("CJ1:ABC"), Ok(()));
    }

    #[test]
    fn table_lines_show_shot_name_and_class_without_escapes_on_pipes() {
        let style = Style { tty: false, colour: false };
        let a = Answer {
            status: "checked_in",
            student_no: Some("2022001".into()),
            shot: Some(17),
            reason: None,
            masked_name: Some("张*".into()),
            class: Some("软工\u{1b}[2J2201".into()),
        };
        let line = style.table_line(&a);
        assert!(line.contains(" 17 ") && line.contains("张*") && line.contains("软工[2J2201"), "{line}");
        assert!(!line.contains('\u{1b}'), "{line:?}");
        let tty = Style { tty: true, colour: true }.table_line(&a);
        assert!(tty.contains("\x1b[1;7m 17 \x1b[0m"), "{tty:?}");
    }
}
