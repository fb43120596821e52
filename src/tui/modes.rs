//! What each action does in each mode of the console: the windows over a screen (help, the
//! palette, the picker, the code window, the reason prompt), the keys every screen shares, and
//! the Students screen's list and search box. Part of `update`: no I/O, work for the database
//! comes back as effects.

use super::action::{Action, Effect, Screen};
use super::app::{App, Keep, update};
use super::keymap::Mode;
use super::overlay::{self, Overlay, Palette, Pick, PickerKind, ReasonPrompt};
use super::roster::Filter;
use super::ui;
use crate::domain::search::{Field, Missing};
use crate::export::FileKind;
use crate::i18n::tr;

type Outcome = (bool, Vec<Effect>);

pub(super) fn help(app: &mut App, action: Action) -> Outcome {
    let page = ui::help::visible_lines(app).max(1);
    let to = match action {
        Action::Close => return (std::mem::replace(&mut app.help_open, false), Vec::new()),
        Action::MoveUp => app.help_scroll.saturating_sub(1),
        Action::MoveDown => app.help_scroll + 1,
        Action::PageUp => app.help_scroll.saturating_sub(page),
        Action::PageDown => app.help_scroll + page,
        Action::First => 0,
        Action::Last => usize::MAX,
        // screen switches and reload work with help open
        other => return screen(app, other),
    };
    (app.scroll_help(to), Vec::new())
}

/// Typing into `text`: the edits every text-taking overlay shares. `None` when not an edit.
fn edit(text: &mut String, action: &Action, max: usize) -> Option<bool> {
    match action {
        Action::Input(c) => {
            overlay::push_text(text, &c.to_string(), max);
            Some(true)
        }
        Action::Paste(pasted) => {
            overlay::push_text(text, pasted, max);
            Some(true)
        }
        Action::DeleteBack => Some(text.pop().is_some()),
        Action::ClearInput => Some(!std::mem::take(text).is_empty()),
        _ => None,
    }
}

pub(super) fn palette(app: &mut App, action: Action) -> Outcome {
    let Overlay::Palette(palette) = &mut app.overlay else {
        return (false, Vec::new());
    };
    if let Some(changed) = edit(&mut palette.input, &action, overlay::MAX_QUERY) {
        palette.selected = 0;
        return (changed, Vec::new());
    }
    let from = palette.from.unwrap_or(Mode::Screen(app.screen));
    let entries = overlay::palette_entries(&app.keymap, from, &palette.input);
    match action {
        Action::MoveUp => (step(&mut palette.selected, -1, entries.len()), Vec::new()),
        Action::MoveDown => (step(&mut palette.selected, 1, entries.len()), Vec::new()),
        Action::Close => {
            app.overlay = palette.under.take().map_or(Overlay::None, |u| *u);
            (true, Vec::new())
        }
        Action::Accept => {
            let chosen = entries.get(palette.selected).map(|e| e.action.clone());
            // the action runs where the palette was opened (over the code window, say)
            app.overlay = palette.under.take().map_or(Overlay::None, |u| *u);
            let effects = chosen.map(|a| update(app, a)).unwrap_or_default();
            (true, effects)
        }
        _ => (false, Vec::new()),
    }
}

/// Moves a list selection by one, within `len` items.
fn step(selected: &mut usize, by: isize, len: usize) -> bool {
    let before = *selected;
    *selected = if by < 0 {
        selected.saturating_sub(1)
    } else {
        (*selected + 1).min(len.saturating_sub(1))
    };
    before != *selected
}

pub(super) fn picker(app: &mut App, action: Action) -> Outcome {
    let Overlay::Picker(picker) = &mut app.overlay else {
        return (false, Vec::new());
    };
    if let Some(changed) = edit(&mut picker.input, &action, overlay::MAX_QUERY) {
        picker.selected = 0;
        return (changed, Vec::new());
    }
    match action {
        Action::MoveUp => {
            let len = picker.matches().len();
            (step(&mut picker.selected, -1, len), Vec::new())
        }
        Action::MoveDown => {
            let len = picker.matches().len();
            (step(&mut picker.selected, 1, len), Vec::new())
        }
        Action::Close => {
            app.overlay = Overlay::None;
            (true, Vec::new())
        }
        Action::Accept => {
            let (kind, chosen) = (picker.kind, picker.chosen());
            let Some(chosen) = chosen else {
                return (false, Vec::new());
            };
            app.overlay = Overlay::None;
            match (kind, chosen) {
                (PickerKind::Field(f), Pick::Value(v)) => app.students.filter.set(f, Some(v)),
                (PickerKind::Field(f), _) => app.students.filter.set(f, None),
                (PickerKind::Cohort, pick) => {
                    let cohort = match pick {
                        Pick::Cohort(y) => Some(y),
                        _ => None,
                    };
                    if cohort != app.students.cohort {
                        app.students.cohort = cohort;
                        return (true, app.start_load());
                    }
                    return (true, Vec::new());
                }
            }
            app.rebuild_view(Keep::Same);
            (true, app.follow_selection())
        }
        _ => (false, Vec::new()),
    }
}

pub(super) fn reason(app: &mut App, action: Action) -> Outcome {
    let Overlay::Reason(prompt) = &mut app.overlay else {
        return (false, Vec::new());
    };
    if let Some(changed) = edit(&mut prompt.input, &action, overlay::MAX_REASON) {
        prompt.error = None;
        return (changed, Vec::new());
    }
    match action {
        Action::Close => {
            let code = prompt.code.clone();
            app.overlay = Overlay::Code(code);
            (true, Vec::new())
        }
        Action::Accept => {
            let reason = prompt.input.trim().to_string();
            if reason.is_empty() {
                prompt.error = Some(tr(
                    "请先填写原因（会写入审计日志）",
                    "type the reason first (it goes into the audit log)",
                ));
                return (true, Vec::new());
            }
            let mut code = prompt.code.clone();
            code.busy = true;
            code.notice = None;
            let effect = Effect::Reissue {
                generation: code.generation,
                student_no: code.student_no.clone(),
                reason,
            };
            app.overlay = Overlay::Code(code);
            (true, vec![effect])
        }
        _ => (false, Vec::new()),
    }
}

pub(super) fn code(app: &mut App, action: Action) -> Outcome {
    let Overlay::Code(code) = &mut app.overlay else {
        return (false, Vec::new());
    };
    match action {
        Action::Close => {
            app.overlay = Overlay::None;
            (true, Vec::new())
        }
        Action::ReissueCode => {
            // only once the card is read (the prompt names the code it replaces), one at a time
            if code.busy || !matches!(code.card, Some(Ok(_))) {
                return (false, Vec::new());
            }
            let prompt = ReasonPrompt {
                code: code.clone(),
                input: String::new(),
                error: None,
            };
            app.overlay = Overlay::Reason(prompt);
            (true, Vec::new())
        }
        // the code window is opened over the student list
        other => students(app, other),
    }
}

pub(super) fn search(app: &mut App, action: Action) -> Outcome {
    if let Some(changed) = edit(&mut app.students.search.input, &action, overlay::MAX_QUERY) {
        let effects = app.search_changed();
        return (changed, effects);
    }
    match action {
        Action::Accept => {
            app.students.search.editing = false;
            (true, Vec::new())
        }
        Action::Close => {
            app.students.search.editing = false;
            app.students.search.input.clear();
            let mut effects = app.search_changed();
            effects.extend(app.follow_selection());
            (true, effects)
        }
        other => students(app, other),
    }
}

/// The keys every screen shares, where the screen leaves them: switching screens, reloading,
/// the palette. Other actions do nothing here.
pub(super) fn screen(app: &mut App, action: Action) -> Outcome {
    match action {
        Action::NextScreen => (app.show(app.screen.cycle(1)), Vec::new()),
        Action::PrevScreen => (app.show(app.screen.cycle(-1)), Vec::new()),
        Action::ScreenStudents => (app.show(Screen::Students), Vec::new()),
        Action::ScreenSessions => (app.show(Screen::Sessions), Vec::new()),
        Action::ScreenCheckin => (app.show(Screen::Checkin), Vec::new()),
        Action::ScreenPhotos => (app.show(Screen::Photos), Vec::new()),
        Action::ScreenReports => (app.show(Screen::Reports), Vec::new()),
        Action::Reload => {
            let mut effects = app.start_load();
            effects.push(super::photos::start_load(app));
            // the status line says when the reload is in
            app.reload_asked = true;
            (true, effects)
        }
        Action::Palette => {
            let from = app.mode();
            app.help_open = false;
            let from = if from == Mode::Help {
                Mode::Screen(app.screen)
            } else {
                from
            };
            let under = std::mem::replace(&mut app.overlay, Overlay::None);
            let under = (under != Overlay::None).then(|| Box::new(under));
            app.overlay = Overlay::Palette(Palette {
                input: String::new(),
                selected: 0,
                from: Some(from),
                under,
            });
            (true, Vec::new())
        }
        _ => (false, Vec::new()),
    }
}

/// The Students screen's keys: the list, its filters and sort, the history pane, the code
/// window and the export; the rest are the shared ones.
pub(super) fn students(app: &mut App, action: Action) -> Outcome {
    let list = |app: &mut App, moved: bool| -> Outcome { (moved, app.follow_selection()) };
    match action {
        Action::MoveUp => {
            let moved = app.select(app.students.selected.saturating_sub(1));
            list(app, moved)
        }
        Action::MoveDown => {
            let moved = app.select(app.students.selected + 1);
            list(app, moved)
        }
        Action::PageUp => {
            let moved = app.page(false);
            list(app, moved)
        }
        Action::PageDown => {
            let moved = app.page(true);
            list(app, moved)
        }
        Action::First => {
            let moved = app.select(0);
            list(app, moved)
        }
        Action::Last => {
            let moved = app.select(usize::MAX);
            list(app, moved)
        }
        Action::Search => {
            app.overlay = Overlay::None;
            app.students.search.editing = true;
            (true, Vec::new())
        }
        Action::ShowCode => {
            let effects = app.open_code();
            (!effects.is_empty(), effects)
        }
        Action::ExportStudentsXlsx => (true, app.export_students(FileKind::Xlsx)),
        Action::ExportStudentsCsv => (true, app.export_students(FileKind::Csv)),
        Action::DetailDown | Action::DetailUp if app.students.detail.open => {
            let before = app.students.detail.scroll;
            app.students.detail.scroll = if action == Action::DetailDown {
                (before + 1).min(ui::detail::max_scroll(app))
            } else {
                before.saturating_sub(1)
            };
            (before != app.students.detail.scroll, Vec::new())
        }
        Action::ToggleDetail => {
            app.students.detail.open = !app.students.detail.open;
            if !app.students.detail.open {
                // the generation moves on, so an answer still on its way is dropped
                app.students.detail.generation += 1;
                app.students.detail.student_no = None;
                app.students.detail.history = None;
            }
            app.scroll_into_view();
            (true, app.follow_selection())
        }
        Action::CycleMissing => {
            let next = match app.students.filter.missing {
                None => Some(Missing::Code),
                Some(Missing::Code) => Some(Missing::Session),
                Some(Missing::Session) => Some(Missing::Checkin),
                Some(Missing::Checkin) => Some(Missing::Photo),
                Some(Missing::Photo) => None,
            };
            let changed = app.set_missing(next);
            list(app, changed)
        }
        Action::MissingCode
        | Action::MissingSession
        | Action::MissingCheckin
        | Action::MissingPhoto => {
            let m = match action {
                Action::MissingCode => Missing::Code,
                Action::MissingSession => Missing::Session,
                Action::MissingCheckin => Missing::Checkin,
                _ => Missing::Photo,
            };
            // the same filter again switches it off
            let next = if app.students.filter.missing == Some(m) {
                None
            } else {
                Some(m)
            };
            let changed = app.set_missing(next);
            list(app, changed)
        }
        Action::FilterCollege => (
            app.open_picker(PickerKind::Field(Field::College)),
            Vec::new(),
        ),
        Action::FilterClass => (app.open_picker(PickerKind::Field(Field::Class)), Vec::new()),
        Action::FilterCounselor => (
            app.open_picker(PickerKind::Field(Field::Counselor)),
            Vec::new(),
        ),
        Action::FilterCohort => (app.open_picker(PickerKind::Cohort), Vec::new()),
        Action::ClearFilters => {
            let had = !app.students.filter.is_empty() || !app.students.search.input.is_empty();
            app.students.filter = Filter::default();
            app.students.search.input.clear();
            app.students.search.editing = false;
            let mut effects = app.search_changed();
            effects.extend(app.follow_selection());
            (had, effects)
        }
        Action::SortNext => {
            app.students.sort.key = app.students.sort.key.next();
            app.students.sort.reverse = false;
            app.rebuild_view(Keep::Same);
            (true, app.follow_selection())
        }
        Action::SortReverse => {
            app.students.sort.reverse = !app.students.sort.reverse;
            app.rebuild_view(Keep::Same);
            (true, app.follow_selection())
        }
        other => screen(app, other),
    }
}
