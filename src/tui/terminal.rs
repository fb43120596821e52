//! The terminal guard: raw mode, alternate screen, bracketed paste and (opt-in) mouse capture
//! go on together and come off together — when the guard drops, and when the console's thread
//! panics — so the user's shell is never left in raw mode or without a cursor.
//!
//! ratatui's own `init`/`restore` do not undo mouse capture or bracketed paste; this does.

use std::io::{self, IsTerminal, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    BeginSynchronizedUpdate, EndSynchronizedUpdate, EnterAlternateScreen, LeaveAlternateScreen,
    disable_raw_mode, enable_raw_mode,
};
use ratatui::{Frame, Terminal};

use crate::i18n::tr;

/// The terminal is in console mode (raw, alternate screen) and must be restored.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Mouse capture was switched on and must be switched off.
static MOUSE: AtomicBool = AtomicBool::new(false);
/// The thread that draws: only its panic ends the console.
static UI_THREAD: Mutex<Option<ThreadId>> = Mutex::new(None);
static HOOK: Once = Once::new();

pub struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

impl TerminalGuard {
    /// Switches the terminal to console mode; mouse capture only when `mouse` is true.
    pub fn enter(mouse: bool) -> anyhow::Result<TerminalGuard> {
        if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
            anyhow::bail!(
                "{}",
                tr(
                    "控制台需要在终端里运行（标准输入或输出被重定向了）；脚本请用子命令，例如 caiji students list",
                    "the console needs a terminal (standard input or output is redirected); scripts should use the subcommands, e.g. caiji students list"
                )
            );
        }
        install_panic_hook();
        if let Ok(mut t) = UI_THREAD.lock() {
            *t = Some(std::thread::current().id());
        }
        MOUSE.store(mouse, Ordering::SeqCst);
        ACTIVE.store(true, Ordering::SeqCst);
        let setup = || -> io::Result<Terminal<CrosstermBackend<Stdout>>> {
            enable_raw_mode()?;
            let mut out = io::stdout();
            execute!(out, EnterAlternateScreen, EnableBracketedPaste, Hide)?;
            if mouse {
                execute!(out, EnableMouseCapture)?;
            }
            Terminal::new(CrosstermBackend::new(io::stdout()))
        };
        match setup() {
            Ok(terminal) => Ok(TerminalGuard { terminal }),
            Err(e) => {
                restore();
                Err(anyhow::anyhow!(
                    "{}: {e}",
                    tr(
                        "无法把终端切换到控制台模式",
                        "cannot switch the terminal to console mode"
                    )
                ))
            }
        }
    }

    /// Columns and rows of the terminal now.
    pub fn size(&self) -> io::Result<(u16, u16)> {
        let s = self.terminal.size()?;
        Ok((s.width, s.height))
    }

    /// Draws one frame inside a synchronized update, so the terminal shows it all at once
    /// instead of painting it line by line.
    pub fn draw(&mut self, render: impl FnOnce(&mut Frame)) -> io::Result<()> {
        execute!(self.terminal.backend_mut(), BeginSynchronizedUpdate)?;
        let drawn = self.terminal.draw(render).map(|_| ());
        let ended = execute!(self.terminal.backend_mut(), EndSynchronizedUpdate);
        drawn.and(ended)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Puts the terminal back as the shell had it. Safe to call more than once.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    // Each step is attempted even if an earlier one failed: a half-restored terminal is worse.
    if MOUSE.swap(false, Ordering::SeqCst) {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, EndSynchronizedUpdate);
    let _ = execute!(out, DisableBracketedPaste);
    let _ = execute!(out, LeaveAlternateScreen);
    let _ = execute!(out, Show);
    let _ = disable_raw_mode();
}

/// A panic on the drawing thread restores the terminal before the message is printed, so the
/// message is readable and the shell usable. A panic on another thread (a database task) must
/// not scribble over the console: it is logged, and the console reports the failed task.
fn install_panic_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let on_ui_thread =
                UI_THREAD.lock().ok().and_then(|t| *t) == Some(std::thread::current().id());
            if ACTIVE.load(Ordering::SeqCst) && !on_ui_thread {
                tracing::error!("panic in a console task: {info}");
                return;
            }
            restore();
            previous(info);
        }));
    });
}
