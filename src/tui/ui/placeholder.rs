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
        Screen::Sessions => Plan {
            what: tr(
                "这里将列出采集场次：时间、地点、容量、已分配和已签到人数；按学院、班级分配学生，自动规划场次和补采场次。",
                "This screen will list the collection sessions: time, place, capacity, students assigned and checked in; assign students by college or class, and plan sessions and make-up sessions.",
            ),
            commands: vec![
                "caiji sessions list",
                "caiji sessions plan --from DATE --days N --slots 08:30-11:30 --location L",
                "caiji sessions assign SESSION --college C",
            ],
            figure: c.map(|c| (tr("已排场次的学生", "students in a session"), c.session_assigned)),
        },
        Screen::Checkin => Plan {
            what: tr(
                "这里将用于现场签到：用扫码枪扫采集码，核验后登记签到并发放拍摄号；学生丢了采集码时，按姓名、拼音或学号找到他，在屏幕上显示二维码。",
                "This screen will check students in on site: scan a collection code, verify it, record the check-in and hand out the shot number; for a student who lost the code, find them by name, pinyin or student number and show the code on screen.",
            ),
            commands: vec![
                "caiji sessions checkin SESSION --station NAME",
                "caiji codes verify",
                "caiji codes show STUDENT_NO",
            ],
            figure: c.map(|c| (tr("已签到", "checked in"), c.checked_in)),
        },
        Screen::Photos => Plan {
            what: tr(
                "这里将核对照片：把采集回来的照片文件与名单对上，按规格检查（JPEG、480×640、20–40 KB），列出不合格、重复、对不上人的照片和缺照片的学生。",
                "This screen will reconcile photos: match the collected files to the roster, check them against the spec (JPEG, 480×640, 20–40 KB) and list invalid, duplicate and orphan files and students without a photo.",
            ),
            commands: vec!["caiji photos reconcile DIR", "caiji photos reconcile DIR --apply"],
            figure: c.map(|c| (tr("合格照片", "valid photos"), c.photo_valid)),
        },
        // these screens are drawn by their own modules
        Screen::Students | Screen::Reports => Plan { what: "", commands: Vec::new(), figure: None },
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
        lines.push(Line::styled(format!("{label} {n} / {total}"), text));
    }
    let block = Block::bordered()
        .border_style(theme.style(Role::Border))
        .title(Line::styled(format!(" {} ", screen.title()), theme.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let padded = Rect::new(inner.x + 1, inner.y + 1, inner.width.saturating_sub(2), inner.height.saturating_sub(1));
    frame.render_widget(Paragraph::new(lines), padded);
}
