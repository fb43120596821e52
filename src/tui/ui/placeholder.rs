//! Screens the console does not hold yet: what each will show, and the command that does the
//! job today, so the tab is a signpost rather than a blank.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

use super::super::action::Screen;
use super::super::app::App;
use super::super::theme::Role;
use super::super::widgets;
use crate::i18n::tr;

struct Plan {
    what: &'static str,
    commands: Vec<&'static str>,
    /// The roster figure this screen is about, from the counts.
    figure: Option<(&'static str, i64)>,
}

fn plan(app: &App, screen: Screen) -> Plan {
    let c = app.counts;
    match screen {
        Screen::Reports => Plan {
            what: tr(
                "这里将显示完成情况：按学院、班级、辅导员、场次或层次统计采集码、场次、签到和合格照片，并列出还缺什么的学生，导出 CSV 或 XLSX。",
                "This screen will show completion by college, class, counselor, session or level (codes, sessions, check-ins, valid photos), list who still lacks what, and export CSV or XLSX.",
            ),
            commands: vec!["caiji report --by college -o report.xlsx", "caiji report missing photo -o missing.csv"],
            figure: c.map(|c| (tr("学生总数", "students"), c.total)),
        },
        // screens drawn by their own modules
        Screen::Students | Screen::Sessions | Screen::Checkin | Screen::Photos => Plan { what: "", commands: Vec::new(), figure: None },
    }
}

pub fn render(app: &App, screen: Screen, frame: &mut Frame, area: Rect) {
    let theme = &app.theme;
    let p = plan(app, screen);
    let text = theme.style(Role::Text);
    let width = area.width.saturating_sub(4) as usize; // borders and one column of padding each side
    let mut lines: Vec<Line> = widgets::wrap(p.what, width).into_iter().map(|l| Line::styled(l, text)).collect();
    lines.push(Line::raw(""));
    let today = tr("尚未做进控制台；现在请在命令行运行：", "Not in the console yet; today, run on the command line:");
    lines.push(Line::styled(widgets::truncate(today, width), theme.style(Role::Muted)));
    for command in &p.commands {
        lines.push(Line::styled(widgets::truncate(&format!("  {command}"), width), theme.style(Role::Key)));
    }
    if let Some((label, n)) = p.figure {
        let total = app.counts.map(|c| c.total).unwrap_or(0);
        lines.push(Line::raw(""));
        let figure = if screen == Screen::Reports { format!("{label} {n}") } else { format!("{label} {n} / {total}") };
        lines.push(Line::styled(figure, text));
    }
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::styled(format!(" {} ", screen.title()), theme.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let padded = Rect::new(inner.x + 1, inner.y + 1, inner.width.saturating_sub(2), inner.height.saturating_sub(1));
    frame.render_widget(Paragraph::new(lines), padded);
}
