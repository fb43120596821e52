//! The console: terminal guard, event loop, state, actions, keymap, theme and screens.
//!
//! The Elm architecture: one `App`, `update(&mut App, Action) -> Vec<Effect>` without I/O, and
//! `ui::render(&App, &mut Frame)` that only reads. This file is the loop that connects them to
//! the terminal and the database: key presses and database answers arrive on one channel, each
//! drained batch is applied in order, and at most one frame is drawn per batch (and at most about
//! 60 per second). Database work runs on tokio tasks; drawing never waits for it.

pub mod action;
pub mod app;
pub mod keymap;
mod modes;
pub mod overlay;
pub mod photos;
pub mod reports;
pub mod roster;
pub mod screen;
pub mod sessions;
pub mod station;
pub mod students;
pub mod tasks;
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;

#[cfg(test)]
mod jobs_tests;
#[cfg(test)]
mod loading_tests;
#[cfg(test)]
mod office_tests;
#[cfg(test)]
mod offline_tests;
#[cfg(test)]
pub(crate) mod render_tests;
#[cfg(test)]
mod reports_tests;
#[cfg(test)]
mod sessions_tests;
#[cfg(test)]
mod station_tests;
#[cfg(test)]
mod view_render_tests;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, MouseButton, MouseEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use crate::config::{Config, Paths};
use crate::i18n::tr;
use crate::store::Store;
use action::Action;
use app::{App, update};
use keymap::{Key, Keymap, Mode, Scope};
use terminal::TerminalGuard;

pub use crate::ops::school::SchoolInfo;

pub struct TuiContext {
    pub store: Arc<dyn Store>,
    pub school: SchoolInfo,
    pub operator: String,
    pub config: Config,
    /// `--theme NAME|PATH`; overrides `theme` in the config.
    pub theme: Option<String>,
    /// `--mouse`; otherwise `mouse` in the config (off by default).
    pub mouse: bool,
    pub paths: Paths,
    /// The keyring that seals reissued codes (`<data dir>/caiji.keys` unless told otherwise).
    pub key_file: PathBuf,
}

/// Shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// How often the input thread looks up from waiting to see whether the console is closing.
const INPUT_POLL: Duration = Duration::from_millis(100);

/// How often the console reads again what it shows, unless `poll_seconds` says otherwise.
pub const DEFAULT_POLL: Duration = Duration::from_secs(5);

/// `poll_seconds` from the config: unset is the default, 0 switches polling off.
pub fn poll_interval(seconds: Option<u64>) -> Option<Duration> {
    match seconds {
        None => Some(DEFAULT_POLL),
        Some(0) => None,
        Some(n) => Some(Duration::from_secs(n)),
    }
}

/// What arrives on the console's one channel.
#[derive(Debug)]
enum Message {
    Input(Event),
    Action(Action),
    InputFailed(String),
}

/// Opens the console and runs it until the user quits.
pub async fn run(ctx: TuiContext) -> anyhow::Result<()> {
    // Everything that can be wrong in the user's files is checked before the screen changes,
    // so the error lands in a normal terminal.
    let keymap = Keymap::with_overrides(&ctx.config.keys)
        .with_context(|| format!("{}", ctx.paths.config_file().display()))?;
    let theme = theme::select(
        ctx.theme.as_deref(),
        ctx.config.theme.as_deref(),
        &ctx.paths.themes_dir(),
        theme::no_color_requested(),
    )?;
    let mouse = ctx.mouse || ctx.config.mouse.unwrap_or(false);
    // A station on a server journals scans while the server is away, labelled with the
    // command line's letter (docs/console.md "Offline"); a SQLite file has no server to lose.
    let station = if ctx.store.backend() == crate::store::Backend::Sqlite {
        None
    } else {
        let letter = crate::ops::station::station_letter(
            std::env::var("CAIJI_STATION_LETTER").ok().as_deref(),
            ctx.config.station_letter.as_deref(),
            &sessions::station_name(),
        )
        .context("CAIJI_STATION_LETTER / station_letter")?;
        Some(Arc::new(station::ConsoleStation::new(
            crate::ops::station::station_dir(&ctx.paths.data_dir),
            letter,
        )))
    };

    let mut guard = TerminalGuard::enter(mouse)?;
    let size = guard
        .size()
        .context(tr("无法读取终端大小", "cannot read the terminal size"))?;
    let mut app = App::new(
        ctx.school.clone(),
        ctx.operator.clone(),
        ctx.store.display_url().to_string(),
        keymap,
        theme,
        size,
    );
    app.plain_qr = theme::no_color_requested();
    app.poll_every = poll_interval(ctx.config.poll_seconds);
    let keys = Arc::new(crate::ops::checkin::StationKeys::load(&ctx.key_file));
    app.checkin.keys_problem = keys
        .problem()
        .map(|(path, error)| crate::words::checkin::keys_problem(path, error));
    app.checkin.journals = station.is_some();
    // scans an earlier run left in the journals are sent by this start
    app.checkin.waiting = station.as_ref().map_or(0, |s| s.leftovers());
    let export_dir = ctx
        .config
        .export_dir
        .clone()
        .unwrap_or_else(|| ctx.paths.exports_dir());
    let env = tasks::Env {
        store: ctx.store.clone(),
        school: ctx.school,
        operator: ctx.operator,
        key_file: ctx.key_file,
        keys,
        export_dir,
        station,
    };

    let (tx, rx) = unbounded_channel();
    let input = InputThread::start(tx.clone());
    let result = event_loop(&mut app, &mut guard, rx, &tx, &env).await;
    input.stop();
    drop(guard);
    result
}

async fn event_loop(
    app: &mut App,
    guard: &mut TerminalGuard,
    mut rx: UnboundedReceiver<Message>,
    tx: &UnboundedSender<Message>,
    env: &tasks::Env,
) -> anyhow::Result<()> {
    let mut running = tasks::Running::default();
    // The first frame is drawn before the roster arrives: the header, tabs and "reading…".
    let mut effects = update(app, Action::Reload);
    // the first load is not a reload the user asked for
    app.reload_asked = false;
    effects.extend(app.start_polling());
    effects.extend(sessions::sync_due(app));
    tasks::start(effects, env, &mut running, tx, Message::Action);
    let mut last_draw: Option<Instant> = None;
    loop {
        if app.dirty {
            if let Some(wait) = last_draw.and_then(|t| FRAME.checked_sub(t.elapsed())) {
                // Too soon for another frame: let more events pile up and draw them all at once.
                tokio::time::sleep(wait).await;
                drain(app, &mut rx, tx, env, &mut running)?;
            }
            if app.quit {
                break;
            }
            guard
                .draw(|frame| ui::render(app, frame))
                .context(tr("无法绘制控制台", "cannot draw the console"))?;
            app.dirty = false;
            last_draw = Some(Instant::now());
        }
        let Some(message) = rx.recv().await else {
            break;
        };
        handle(app, message, tx, env, &mut running)?;
        drain(app, &mut rx, tx, env, &mut running)?;
        if app.quit {
            break;
        }
    }
    running.abort_all();
    Ok(())
}

/// Applies every message already waiting, without waiting for more.
fn drain(
    app: &mut App,
    rx: &mut UnboundedReceiver<Message>,
    tx: &UnboundedSender<Message>,
    env: &tasks::Env,
    running: &mut tasks::Running,
) -> anyhow::Result<()> {
    while let Ok(message) = rx.try_recv() {
        handle(app, message, tx, env, running)?;
        if app.quit {
            break;
        }
    }
    Ok(())
}

fn handle(
    app: &mut App,
    message: Message,
    tx: &UnboundedSender<Message>,
    env: &tasks::Env,
    running: &mut tasks::Running,
) -> anyhow::Result<()> {
    let action = match message {
        Message::Input(event) => action_for(app, &event),
        Message::Action(action) => Some(action),
        Message::InputFailed(e) => anyhow::bail!(
            "{}: {e}",
            tr("无法读取键盘输入", "cannot read keyboard input")
        ),
    };
    if let Some(action) = action {
        let effects = update(app, action);
        tasks::start(effects, env, running, tx, Message::Action);
    }
    Ok(())
}

/// What a terminal event means in the console's current mode, if anything.
fn action_for(app: &App, event: &Event) -> Option<Action> {
    let mode = app.mode();
    let scopes = Scope::active(mode);
    let takes_text = scopes.first().is_some_and(|s| s.takes_text());
    match event {
        // Only presses: with keyboard enhancement some terminals also report repeats and releases.
        Event::Key(key) if key.kind == KeyEventKind::Press => {
            let key = Key::from_event(key);
            app.keymap.lookup(&scopes, key).or_else(|| match key.code {
                KeyCode::Char(c) if takes_text && keymap::is_text_key(&key) => {
                    Some(Action::Input(c))
                }
                _ => None,
            })
        }
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown if !takes_text || mode == Mode::Search => {
                Some(Action::MoveDown)
            }
            MouseEventKind::ScrollUp if !takes_text || mode == Mode::Search => Some(Action::MoveUp),
            MouseEventKind::Down(MouseButton::Left)
                if matches!(mode, Mode::Screen(_) | Mode::Search) =>
            {
                if ui::tabs_row(app) == Some(m.row) {
                    ui::tab_at(app, m.column).map(Action::Show)
                } else {
                    ui::student_at(app, m.row).map(Action::Select)
                }
            }
            _ => None,
        },
        // A paste is text where text is typed, and never a stream of commands elsewhere
        // (a pasted "q" must not quit).
        Event::Paste(text) if takes_text => Some(Action::Paste(text.clone())),
        Event::Paste(_) | Event::Key(_) | Event::FocusGained | Event::FocusLost => None,
    }
}

/// Reads terminal events on its own thread (crossterm's reads block) and forwards them.
struct InputThread {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<()>,
}

impl InputThread {
    fn start(tx: UnboundedSender<Message>) -> InputThread {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                let message = match event::poll(INPUT_POLL) {
                    Ok(false) => continue,
                    Ok(true) => match event::read() {
                        Ok(ev) => Message::Input(ev),
                        Err(e) => Message::InputFailed(e.to_string()),
                    },
                    Err(e) => Message::InputFailed(e.to_string()),
                };
                let failed = matches!(message, Message::InputFailed(_));
                if tx.send(message).is_err() || failed {
                    break;
                }
            }
        });
        InputThread { stop, handle }
    }

    /// Stops reading before the terminal is restored, so no keystroke meant for the shell is eaten.
    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.handle.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventState, KeyModifiers, MouseEvent};

    fn app() -> App {
        render_tests::fixture_app((80, 24))
    }

    fn key(code: KeyCode, kind: KeyEventKind) -> Event {
        Event::Key(KeyEvent {
            code,
            modifiers: KeyModifiers::NONE,
            kind,
            state: KeyEventState::NONE,
        })
    }

    #[test]
    fn only_key_presses_act() {
        let app = app();
        let cases = [
            (
                key(KeyCode::Char('q'), KeyEventKind::Press),
                Some(Action::Quit),
            ),
            (key(KeyCode::Char('q'), KeyEventKind::Release), None),
            (key(KeyCode::Char('j'), KeyEventKind::Repeat), None),
            (
                key(KeyCode::Char('j'), KeyEventKind::Press),
                Some(Action::MoveDown),
            ),
            (Event::Paste("q".into()), None),
            (
                key(KeyCode::Char('/'), KeyEventKind::Press),
                Some(Action::Search),
            ),
            (Event::Resize(100, 30), Some(Action::Resize(100, 30))),
            (Event::FocusLost, None),
        ];
        for (event, want) in cases {
            assert_eq!(action_for(&app, &event), want, "{event:?}");
        }
    }

    #[test]
    fn mouse_clicks_pick_rows_and_tabs() {
        let app = app();
        let click = |column, row| {
            Event::Mouse(MouseEvent {
                kind: MouseEventKind::Down(MouseButton::Left),
                column,
                row,
                modifiers: KeyModifiers::NONE,
            })
        };
        // rows: 0 title, 1 counts, 2 tabs, 3 border, 4 column header, 5 first student
        assert_eq!(action_for(&app, &click(10, 5)), Some(Action::Select(0)));
        assert_eq!(action_for(&app, &click(10, 7)), Some(Action::Select(2)));
        assert_eq!(action_for(&app, &click(10, 4)), None);
        assert_eq!(
            action_for(&app, &click(1, 2)),
            Some(Action::Show(action::Screen::Students))
        );
        let second_tab = ui::tab_at(&app, 12);
        assert_eq!(
            action_for(&app, &click(12, 2)),
            second_tab.map(Action::Show)
        );
        assert_eq!(second_tab, Some(action::Screen::Sessions));
    }
}
