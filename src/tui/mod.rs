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
pub mod terminal;
pub mod theme;
pub mod ui;
pub mod widgets;

#[cfg(test)]
mod render_tests;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use ratatui::crossterm::event::{self, Event, KeyEventKind, MouseButton, MouseEventKind};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::AbortHandle;

use crate::config::{Config, Paths};
use crate::i18n::tr;
use crate::store::{Store, StudentFilter};
use action::{Action, Effect};
use app::{App, update};
use keymap::{Key, Keymap, Scope};
use terminal::TerminalGuard;

/// The school whose graduates are collected, as headers and codes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolInfo {
    pub code: String,
    pub name: String,
    pub cohort: i32,
}

pub struct TuiContext {
    pub store: Arc<dyn Store>,
    pub school: SchoolInfo,
    pub operator: String,
    pub config: Config,
    /// `--theme NAME|PATH`; overrides `theme` in the config.
    pub theme: Option<String>,
    pub paths: Paths,
}

/// Shortest time between two frames (about 60 per second).
const FRAME: Duration = Duration::from_millis(16);
/// How often the input thread looks up from waiting to see whether the console is closing.
const INPUT_POLL: Duration = Duration::from_millis(100);

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
    let keymap =
        Keymap::with_overrides(&ctx.config.keys).with_context(|| format!("{}", ctx.paths.config_file().display()))?;
    let theme = theme::select(
        ctx.theme.as_deref(),
        ctx.config.theme.as_deref(),
        &ctx.paths.themes_dir(),
        theme::no_color_requested(),
    )?;
    let mouse = ctx.config.mouse.unwrap_or(false);

    let mut guard = TerminalGuard::enter(mouse)?;
    let size = guard.size().context(tr("无法读取终端大小", "cannot read the terminal size"))?;
    let mut app = App::new(ctx.school, ctx.operator, ctx.store.display_url().to_string(), keymap, theme, size);

    let (tx, rx) = unbounded_channel();
    let input = InputThread::start(tx.clone());
    let result = event_loop(&mut app, &mut guard, rx, &tx, &ctx.store).await;
    input.stop();
    drop(guard);
    result
}

async fn event_loop(
    app: &mut App,
    guard: &mut TerminalGuard,
    mut rx: UnboundedReceiver<Message>,
    tx: &UnboundedSender<Message>,
    store: &Arc<dyn Store>,
) -> anyhow::Result<()> {
    let mut running: Vec<AbortHandle> = Vec::new();
    let effects = update(app, Action::Reload);
    start(effects, store, tx, &mut running);
    let mut last_draw: Option<Instant> = None;
    loop {
        if app.dirty {
            if let Some(wait) = last_draw.and_then(|t| FRAME.checked_sub(t.elapsed())) {
                // Too soon for another frame: let more events pile up and draw them all at once.
                tokio::time::sleep(wait).await;
                drain(app, &mut rx, tx, store, &mut running)?;
            }
            if app.quit {
                break;
            }
            guard.draw(|frame| ui::render(app, frame)).context(tr("无法绘制控制台", "cannot draw the console"))?;
            app.dirty = false;
            last_draw = Some(Instant::now());
        }
        let Some(message) = rx.recv().await else { break };
        handle(app, message, tx, store, &mut running)?;
        drain(app, &mut rx, tx, store, &mut running)?;
        if app.quit {
            break;
        }
    }
    for task in running {
        task.abort();
    }
    Ok(())
}

/// Applies every message already waiting, without waiting for more.
fn drain(
    app: &mut App,
    rx: &mut UnboundedReceiver<Message>,
    tx: &UnboundedSender<Message>,
    store: &Arc<dyn Store>,
    running: &mut Vec<AbortHandle>,
) -> anyhow::Result<()> {
    while let Ok(message) = rx.try_recv() {
        handle(app, message, tx, store, running)?;
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
    store: &Arc<dyn Store>,
    running: &mut Vec<AbortHandle>,
) -> anyhow::Result<()> {
    let action = match message {
        Message::Input(event) => action_for(app, &event),
        Message::Action(action) => Some(action),
        Message::InputFailed(e) => anyhow::bail!("{}: {e}", tr("无法读取键盘输入", "cannot read keyboard input")),
    };
    if let Some(action) = action {
        let effects = update(app, action);
        start(effects, store, tx, running);
    }
    Ok(())
}

/// What a terminal event means on the current screen, if anything.
fn action_for(app: &App, event: &Event) -> Option<Action> {
    match event {
        // Only presses: with keyboard enhancement some terminals also report repeats and releases.
        Event::Key(key) if key.kind == KeyEventKind::Press => {
            app.keymap.lookup(&Scope::active(app.screen, app.help_open), Key::from_event(key))
        }
        Event::Resize(w, h) => Some(Action::Resize(*w, *h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::MoveDown),
            MouseEventKind::ScrollUp => Some(Action::MoveUp),
            MouseEventKind::Down(MouseButton::Left) if !app.help_open => {
                if ui::tabs_row(app) == Some(m.row) {
                    ui::tab_at(app, m.column).map(Action::Show)
                } else {
                    ui::student_at(app, m.row).map(Action::Select)
                }
            }
            _ => None,
        },
        // A paste is text, never a stream of commands (pasted "q" must not quit).
        Event::Paste(_) | Event::Key(_) | Event::FocusGained | Event::FocusLost => None,
    }
}

/// Starts the work `update` asked for. A new load replaces any load still running.
fn start(effects: Vec<Effect>, store: &Arc<dyn Store>, tx: &UnboundedSender<Message>, running: &mut Vec<AbortHandle>) {
    for effect in effects {
        match effect {
            Effect::Load { generation, cohort } => {
                for task in running.drain(..) {
                    task.abort();
                }
                let filter = StudentFilter { cohort: Some(cohort), ..StudentFilter::default() };
                let s = store.clone();
                running.extend(spawn_query(
                    async move { s.list_students(&filter).await },
                    move |result| Action::StudentsLoaded { generation, result },
                    tx.clone(),
                ));
                let s = store.clone();
                running.extend(spawn_query(
                    async move { s.counts().await },
                    move |result| Action::CountsLoaded { generation, result },
                    tx.clone(),
                ));
            }
        }
    }
}

/// Runs one database query on a task and sends its answer back as an action. A panic in the
/// query becomes an error message instead of a silent hang.
fn spawn_query<T, F>(
    query: F,
    answer: impl FnOnce(Result<T, String>) -> Action + Send + 'static,
    tx: UnboundedSender<Message>,
) -> [AbortHandle; 2]
where
    T: Send + 'static,
    F: std::future::Future<Output = crate::store::Result<T>> + Send + 'static,
{
    let inner = tokio::spawn(query);
    let inner_abort = inner.abort_handle();
    let outer = tokio::spawn(async move {
        let result = match inner.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(crate::config::one_line(&e.to_string())),
            Err(e) if e.is_panic() => Err(tr(
                "内部错误：读取数据库的任务崩溃了，详见日志",
                "internal error: the database task crashed; see the log",
            )
            .to_string()),
            Err(_) => return, // aborted: a newer load replaced it
        };
        let _ = tx.send(Message::Action(answer(result)));
    });
    [inner_abort, outer.abort_handle()]
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
        Event::Key(KeyEvent { code, modifiers: KeyModifiers::NONE, kind, state: KeyEventState::NONE })
    }

    #[test]
    fn only_key_presses_act() {
        let app = app();
        let cases = [
            (key(KeyCode::Char('q'), KeyEventKind::Press), Some(Action::Quit)),
            (key(KeyCode::Char('q'), KeyEventKind::Release), None),
            (key(KeyCode::Char('j'), KeyEventKind::Repeat), None),
            (key(KeyCode::Char('j'), KeyEventKind::Press), Some(Action::MoveDown)),
            (Event::Paste("q".into()), None),
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
        assert_eq!(action_for(&app, &click(1, 2)), Some(Action::Show(action::Screen::Students)));
        let second_tab = ui::tab_at(&app, 12);
        assert_eq!(action_for(&app, &click(12, 2)), second_tab.map(Action::Show));
        assert_eq!(second_tab, Some(action::Screen::Sessions));
    }
}
