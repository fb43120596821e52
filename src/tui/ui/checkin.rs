//! The Check-in screen: the session scanned into with its gauge, the always-focused scan line,
//! the newest answer with its shot number in large digits, and the scans before it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::super::action::Action;
use super::super::app::App;
use super::super::keymap::Scope;
use super::super::sessions::{RetakeConfirm, Scan, WalkInConfirm, checkin_session};
use super::super::theme::{Role, Theme};
use super::super::widgets;
use super::code::draw_cells;
use super::palette::{frame_block, hint, window};
use super::sessions::{kind_label, labelled_gauge, time_span};
use crate::code::QrMatrix;
use crate::code::slate::{largest_scale, required_size, scaled_cells};
use crate::i18n::tr;
use crate::words::checkin::{Hints, reason_words, status_label};

/// Rows of the large digits.
pub use crate::code::slate::DIGIT_ROWS;
/// The shot number in large digits, as the slate shows it.
pub use crate::code::slate::big_number;

fn key(app: &App, action: &Action) -> String {
    app.keymap
        .key_in(Scope::Checkin, action)
        .map(|k| k.label())
        .unwrap_or_default()
}

/// The colour of an answer.
fn answer_style(theme: &Theme, scan: &Scan) -> Style {
    match &scan.result {
        None => theme.style(Role::Muted),
        Some(Err(_)) => theme.style(Role::Error),
        Some(Ok(a)) if a.status == crate::ops::checkin::ScanStatus::CheckedIn => {
            theme.style(Role::StatusOk)
        }
        Some(Ok(a))
            if a.status == crate::ops::checkin::ScanStatus::Already
                || a.status == crate::ops::checkin::ScanStatus::AlreadyElsewhere
                || a.status == crate::ops::station::QUEUED =>
        {
            theme.style(Role::StatusWarn)
        }
        Some(Ok(_)) => theme.style(Role::Error),
    }
}

/// The status word of a scan: checked in, refused (why), not recorded, or waiting.
fn status_text(scan: &Scan) -> &'static str {
    match &scan.result {
        None => tr("… 处理中", "… checking"),
        Some(Err(_)) => tr("✘ 未记录", "✘ NOT recorded"),
        Some(Ok(a)) => status_label(a.status),
    }
}

/// Name, class and reason of a scan, as one text.
fn who_text(scan: &Scan, hints: &Hints<'_>) -> String {
    match &scan.result {
        None => String::new(),
        Some(Err(e)) => e.clone(),
        Some(Ok(a)) => {
            let mut parts: Vec<String> = [&a.masked_name, &a.class]
                .into_iter()
                .flatten()
                .map(|t| widgets::clean(t).into_owned())
                .collect();
            if let Some(r) = &a.reason {
                parts.push(widgets::clean(&reason_words(r, hints)).into_owned());
            }
            parts.join("  ")
        }
    }
}

/// The shot number of this session an answer shows (an answer naming another session's shot
/// says it in words, never in the large digits the photographer calls out).
fn shot_of(scan: &Scan) -> Option<i32> {
    match &scan.result {
        Some(Ok(a)) if a.counted_session.is_none() => a.shot,
        _ => None,
    }
}

/// Columns the text beside a slate keeps at least.
const TEXT_MIN: u16 = 40;

/// The slate of the newest answer, if it has one: the QR code the camera photographs as the
/// student's keyframe (docs/slate.md), drawn at the right of the screen as large as fits.
/// Returns the columns it took, or a note when the screen is too small for it.
fn render_slate(app: &App, frame: &mut Frame, inner: Rect) -> (u16, Option<String>) {
    let Some(Scan {
        result: Some(Ok(answer)),
        ..
    }) = app.checkin.scans.first()
    else {
        return (0, None);
    };
    let Some(text) = &answer.slate else {
        return (0, None);
    };
    let Ok(m) = QrMatrix::encode(text) else {
        return (0, None);
    };
    let room = inner.width.saturating_sub(TEXT_MIN);
    let Some(scale) = largest_scale(&m, usize::from(room), usize::from(inner.height)) else {
        let (w, h) = required_size(&m);
        return (
            0,
            Some(format!(
                "{} {}×{} {}",
                tr(
                    "拍摄牌需要终端再大一些：",
                    "the slate needs a larger terminal:"
                ),
                w + usize::from(TEXT_MIN) + 2,
                h + 2,
                tr("或运行 caiji sessions slate", "or run caiji sessions slate")
            )),
        );
    };
    let (scale, quiet) = scale;
    let cells = scaled_cells(&m, scale.min(4), quiet);
    let w = cells.first().map_or(0, Vec::len) as u16;
    let x = inner.x + inner.width - w;
    draw_cells(cells, frame.buffer_mut(), x, inner.y, app.plain_qr);
    (w + 1, None)
}

pub fn render(app: &App, frame: &mut Frame, body: Rect) {
    let theme = &app.theme;
    let c = &app.checkin;
    // how this console takes a walk-in or a retake, named in the answers that call for them
    let (walk_in, retake) = (
        super::super::sessions::walk_in_how(app),
        super::super::sessions::retake_how(app),
    );
    let hints = Hints {
        walk_in: &walk_in,
        retake: &retake,
    };
    let title = format!(
        "{} · {} {}",
        tr("现场签到", "Check-in"),
        tr("工位", "station"),
        widgets::clean(&c.station)
    );
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::styled(
            format!(
                " {} ",
                widgets::truncate(&title, body.width.saturating_sub(4) as usize)
            ),
            theme.style(Role::Title),
        ));
    let mut inner = block.inner(body);
    frame.render_widget(block, body);
    let (slate_w, slate_note) = render_slate(app, frame, inner);
    inner.width -= slate_w;
    let width = inner.width as usize;
    let muted = theme.style(Role::Muted);
    let text = theme.style(Role::Text);
    let mut lines: Vec<Line> = Vec::new();

    // offline: said first, in the error colour, all the while (docs/console.md "Offline")
    if let Some(state) = offline_line(app) {
        lines.push(Line::styled(
            widgets::truncate(&state, width),
            theme.style(Role::Error).add_modifier(Modifier::BOLD),
        ));
    }

    // the session and its gauge
    let session = checkin_session(app);
    let choose = format!(
        "{}/{} {}",
        key(app, &Action::MoveUp),
        key(app, &Action::MoveDown),
        tr("换场次", "change session")
    );
    match (session, &app.sessions.data) {
        (_, None) => lines.push(Line::styled(
            tr(" 读取场次中…", " reading sessions…"),
            muted,
        )),
        (_, Some(Err(e))) => lines.push(Line::styled(
            format!(" {} {e}", tr("读不到场次：", "cannot read the sessions:")),
            theme.style(Role::Error),
        )),
        (None, Some(Ok(_))) => {
            lines.push(Line::styled(
                format!(
                    " {}  {choose}",
                    tr(
                        "现在没有进行中或今天稍后的场次",
                        "no session running now or later today"
                    )
                ),
                theme.style(Role::StatusWarn),
            ));
        }
        (Some(s), Some(Ok(_))) => {
            let head = format!(
                " #{} {} {} · {} ",
                s.id,
                time_span(s),
                widgets::clean(&s.location),
                kind_label(s)
            );
            let room = width.saturating_sub(widgets::width(&choose) + 1);
            lines.push(Line::from(vec![
                Span::styled(widgets::fit(&head, room), text.add_modifier(Modifier::BOLD)),
                Span::styled(choose, muted),
            ]));
            let cap = i64::from(s.capacity);
            let bar = width.saturating_sub(30).clamp(3, 40);
            let mut spans = vec![Span::raw(" ")];
            spans.extend(labelled_gauge(
                theme,
                tr("已签到", "checked in"),
                s.checked_in,
                cap,
                bar,
                9,
            ));
            spans.push(Span::styled(
                format!("  {} {}", tr("已排", "assigned"), s.assigned),
                muted,
            ));
            lines.push(Line::from(spans));
        }
    }
    // what the station cannot do
    if let Some(problem) = &c.keys_problem {
        for l in widgets::wrap(problem, width.saturating_sub(1)) {
            lines.push(Line::styled(format!(" {l}"), theme.style(Role::Error)));
        }
    }
    // how a student refused as not in this session is taken anyway (and, at a make-up
    // session, one checked in elsewhere is photographed again)
    let makeup = checkin_session(app).is_some_and(|s| s.makeup);
    let walk_in = match crate::i18n::lang() {
        crate::i18n::Lang::Zh if makeup => format!(
            " {} 刚被拒绝的学生：现场加入改到本场，或补采重拍（先确认）",
            key(app, &Action::WalkIn)
        ),
        crate::i18n::Lang::En if makeup => format!(
            " {} the student just refused: a walk-in here, or a make-up retake (asks first)",
            key(app, &Action::WalkIn)
        ),
        crate::i18n::Lang::Zh => format!(
            " {} 现场加入：把刚被拒绝（不在本场）的学生改到本场（先确认）",
            key(app, &Action::WalkIn)
        ),
        crate::i18n::Lang::En => format!(
            " {} walk-in: take the student just refused as not in this session (asks first)",
            key(app, &Action::WalkIn)
        ),
    };
    lines.push(Line::styled(widgets::truncate(&walk_in, width), muted));
    sync_lines(app, width, &mut lines);

    // the scan line: always focused
    let prompt = tr(" 扫码 ▶ ", " Scan ▶ ");
    let room = width.saturating_sub(widgets::width(prompt) + 1);
    // the code itself is not shown: only how much has been typed
    let typed = if c.input.is_empty() {
        Span::styled(
            tr(
                "请扫描采集码（或粘贴后按 Enter）",
                "scan a code (or paste one and press Enter)",
            ),
            muted,
        )
    } else {
        Span::styled(
            widgets::truncate_start(&widgets::clean(&c.input), room),
            text,
        )
    };
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled(prompt, theme.style(Role::Key)),
        Span::styled("▏", theme.style(Role::Key)),
        typed,
    ]));
    lines.push(Line::styled("─".repeat(width), theme.style(Role::Border)));

    // the newest answer, large
    if let Some(latest) = c.scans.first() {
        let style = answer_style(theme, latest);
        let big = shot_of(latest)
            .map(|n| big_number(i64::from(n)))
            .unwrap_or_default();
        let big_w = big.first().map(|r| widgets::width(r)).unwrap_or(0);
        let right_w = width.saturating_sub(big_w + 3);
        let mut right = vec![Line::styled(
            status_text(latest).to_string(),
            style.add_modifier(Modifier::BOLD),
        )];
        if let Some(n) = shot_of(latest) {
            right.push(Line::styled(format!("{} {n}", tr("拍摄号", "shot")), style));
        }
        if let Some(label) = &latest.label {
            right.push(Line::styled(
                format!("{} {label}", tr("暂存号", "label")),
                style.add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(note) = &slate_note {
            right.push(Line::styled(note.clone(), muted));
        }
        for l in widgets::wrap(&who_text(latest, &hints), right_w.max(1)) {
            right.push(Line::styled(
                l,
                if latest.result.as_ref().is_some_and(|r| r.is_err()) {
                    style
                } else {
                    text
                },
            ));
        }
        let rows = DIGIT_ROWS.max(right.len()).min(DIGIT_ROWS + 2);
        for i in 0..rows {
            let mut spans = vec![Span::raw(" ")];
            if big_w > 0 {
                let cell = big.get(i).cloned().unwrap_or_else(|| " ".repeat(big_w));
                spans.push(Span::styled(cell, style.add_modifier(Modifier::BOLD)));
                spans.push(Span::raw("  "));
            }
            if let Some(r) = right.get(i) {
                spans.extend(r.spans.iter().map(|s| {
                    Span::styled(
                        widgets::truncate(&s.content, right_w),
                        r.style.patch(s.style),
                    )
                }));
            }
            lines.push(Line::from(spans));
        }
        // earlier scans, one line each
        let earlier = c.scans.iter().skip(1);
        let room = (inner.height as usize).saturating_sub(lines.len() + 1);
        if room > 0 && c.scans.len() > 1 {
            lines.push(Line::styled(
                format!(" {}", tr("之前的扫码", "Earlier scans")),
                theme.style(Role::ColumnHeader),
            ));
            for scan in earlier.take(room) {
                let style = answer_style(theme, scan);
                let shot = shot_of(scan)
                    .map(|n| n.to_string())
                    .or_else(|| scan.label.clone())
                    .unwrap_or_default();
                let status = widgets::fit(status_text(scan), 16);
                let spans = vec![
                    Span::styled(format!(" {status} "), style),
                    Span::styled(
                        widgets::fit_right(&shot, 5),
                        style.add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(
                        format!("  {}", who_text(scan, &hints)),
                        if matches!(scan.result, Some(Err(_))) {
                            style
                        } else {
                            text
                        },
                    ),
                ];
                lines.push(Line::from(spans));
            }
        }
    } else {
        lines.push(Line::styled(tr(" 还没有扫码。", " No scans yet."), muted));
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::from(widgets::clip_spans(l.spans, width)).style(l.style))
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some(confirm) = &c.confirm {
        render_walk_in(app, confirm, frame, body);
    }
    if let Some(retake) = &c.retake {
        render_retake(app, retake, frame, body);
    }
}

/// The offline indicator: the server is away, or scans still wait to be sent.
fn offline_line(app: &App) -> Option<String> {
    let c = &app.checkin;
    let n = c.waiting;
    if c.offline {
        Some(match crate::i18n::lang() {
            crate::i18n::Lang::Zh => {
                format!(" ⚠ 离线 OFFLINE · {n} 条扫码待上传 · 服务器恢复后自动上传")
            }
            crate::i18n::Lang::En => {
                format!(" ⚠ OFFLINE · {n} scans wait · sent when the server is back")
            }
        })
    } else if n > 0 {
        Some(match crate::i18n::lang() {
            crate::i18n::Lang::Zh => format!(" ⇡ 正在上传 {n} 条离线扫码…"),
            crate::i18n::Lang::En => format!(" ⇡ sending {n} scans kept offline…"),
        })
    } else {
        None
    }
}

/// Conflicts shown at once; the rest are counted.
const CONFLICTS_SHOWN: usize = 3;

/// What the last send of the journal did, and the scans the server did not take.
fn sync_lines(app: &App, width: usize, lines: &mut Vec<Line<'_>>) {
    let theme = &app.theme;
    let c = &app.checkin;
    if let Some(error) = &c.sync_error {
        lines.push(Line::styled(
            widgets::truncate(&format!(" {}", widgets::clean(error)), width),
            theme.style(Role::Error),
        ));
    }
    let Some(notice) = &c.sync_notice else {
        return;
    };
    let role = if c.conflicts.is_empty() {
        Role::StatusOk
    } else {
        Role::StatusWarn
    };
    let mut head = format!(" {notice}");
    if !c.conflicts.is_empty() {
        head.push_str(tr(
            "；未签到，可重新扫码：",
            "; not checked in, scan them again:",
        ));
    }
    lines.push(Line::styled(
        widgets::truncate(&head, width),
        theme.style(role),
    ));
    for conflict in c.conflicts.iter().take(CONFLICTS_SHOWN) {
        lines.push(Line::styled(
            widgets::truncate(&format!("   {}", widgets::clean(conflict)), width),
            theme.style(Role::Error),
        ));
    }
    let more = c.conflicts.len().saturating_sub(CONFLICTS_SHOWN);
    if more > 0 {
        lines.push(Line::styled(
            format!(
                "   {} {more} {}",
                tr("另有", "and"),
                tr(
                    "条冲突（caiji sessions sync-report）",
                    "more (caiji sessions sync-report)"
                )
            ),
            theme.style(Role::Muted),
        ));
    }
}

/// A session as the station's questions name it: number, time and place.
fn describe_session(app: &App, id: i64) -> String {
    match app.sessions.rows().iter().find(|s| s.id == id) {
        Some(s) => format!("#{} {} {}", s.id, time_span(s), widgets::clean(&s.location)),
        None => format!("#{id}"),
    }
}

/// The masked name and class of a refused student, cleaned for the screen.
fn who(masked_name: &Option<String>, class: &Option<String>) -> String {
    let parts: Vec<String> = [masked_name, class]
        .into_iter()
        .flatten()
        .map(|t| widgets::clean(t).into_owned())
        .collect();
    parts.join(" ")
}

/// The width of a station question's text.
fn question_width(area: Rect) -> usize {
    62usize.min(area.width.saturating_sub(6) as usize)
}

/// A station question in a window over the screen: `lines` under `title`, and the walk-in key
/// (which answers yes, as `yes` says) and `Esc` in its frame.
fn draw_question(
    app: &App,
    frame: &mut Frame,
    area: Rect,
    lines: Vec<Line<'static>>,
    title: &str,
    yes: &str,
) {
    let inner_width = question_width(area);
    let rect = window(area, inner_width as u16 + 2, lines.len());
    let bottom = hint(
        app,
        Scope::Checkin,
        &[(Action::WalkIn, yes), (Action::Close, tr("取消", "cancel"))],
    );
    let block = frame_block(&app.theme, title, bottom, inner_width);
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).block(block), rect);
}

/// Wrapped text lines of a question, indented by one column, in `style`.
fn question_lines(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    widgets::wrap(text, width)
        .into_iter()
        .map(|l| Line::styled(format!(" {l}"), style))
        .collect()
}

/// The walk-in question: who, from which session to which, and the keys (the walk-in key
/// again takes them; Enter does not, a scanner sends it after every code).
fn render_walk_in(app: &App, c: &WalkInConfirm, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let width = question_width(area).saturating_sub(1);
    let who = who(&c.masked_name, &c.class);
    let here = describe_session(app, c.session_id);
    let zh = crate::i18n::lang() == crate::i18n::Lang::Zh;
    let question = match (c.their_session, zh) {
        (Some(theirs), true) => format!(
            "{who} 应参加场次 {}。作为现场加入在本场 {here} 签到，并把其安排改到本场？",
            describe_session(app, theirs)
        ),
        (Some(theirs), false) => format!(
            "{who} belongs to session {}. Check them in here at {here} as a walk-in, moving them to this session?",
            describe_session(app, theirs)
        ),
        (None, true) => {
            format!("{who} 未安排任何场次。作为现场加入在本场 {here} 签到，并安排到本场？")
        }
        (None, false) => format!(
            "{who} has no session. Check them in here at {here} as a walk-in, assigning them to this session?"
        ),
    };
    let note = tr(
        "会记入该学生的操作记录；原场次的名单和人数随之减少。继续扫码即取消。",
        "It goes into the student's audit trail; their old session's list and counts drop them. Scanning on cancels.",
    );
    let mut lines = question_lines(&question, width, theme.style(Role::Text));
    lines.extend(question_lines(note, width, theme.style(Role::Muted)));
    draw_question(
        app,
        frame,
        area,
        lines,
        tr("现场加入", "Walk-in"),
        tr("确认现场加入", "take them"),
    );
}

/// The make-up retake question: who, where their check-in counts now, the reason being typed
/// and the keys (the walk-in key takes them; Enter does not, a scanner sends it).
fn render_retake(app: &App, c: &RetakeConfirm, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let width = question_width(area).saturating_sub(1);
    let who = who(&c.masked_name, &c.class);
    let shot = c.shot.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let (theirs, here) = (
        describe_session(app, c.counted_session),
        describe_session(app, c.session_id),
    );
    let question = match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!(
            "{who} 已在场次 {theirs} 签到，拍摄号 {shot}。在本补采场次 {here} 重拍？原来的签到留档，以本次为准。"
        ),
        crate::i18n::Lang::En => format!(
            "{who} is checked in at session {theirs}, shot {shot}. Photograph them again at this make-up session {here}? The earlier check-in is kept as history; this one counts."
        ),
    };
    let note = tr(
        "原因会写入该学生的操作记录。",
        "The reason goes into the student's audit trail.",
    );
    let mut lines = question_lines(&question, width, theme.style(Role::Text));
    lines.extend(question_lines(note, width, theme.style(Role::Muted)));
    let prompt = tr(" 重拍原因 ▶ ", " Reason ▶ ");
    let room = width.saturating_sub(widgets::width(prompt) + 1);
    lines.push(Line::from(vec![
        Span::styled(prompt, theme.style(Role::Key)),
        Span::styled(
            widgets::truncate_start(&widgets::clean(&c.reason), room),
            theme.style(Role::Text),
        ),
        Span::styled("▏", theme.style(Role::Key)),
    ]));
    if let Some(error) = &c.error {
        lines.extend(question_lines(
            &widgets::clean(error),
            width,
            theme.style(Role::Error),
        ));
    }
    draw_question(
        app,
        frame,
        area,
        lines,
        tr("补采重拍", "Make-up retake"),
        tr("确认重拍", "retake"),
    );
}
