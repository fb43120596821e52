//! Key parsing, the default table, overrides from config and their errors.

use super::*;

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(a, k)| (a.to_string(), k.to_string()))
        .collect()
}

#[test]
fn parses_keys_as_written_in_config() {
    let cases = [
        ("q", Key::plain('q')),
        ("G", Key::plain('G')),
        ("shift-g", Key::plain('G')),
        ("?", Key::plain('?')),
        ("-", Key::plain('-')),
        ("ctrl-q", Key::ctrl('q')),
        ("Ctrl+Q", Key::ctrl('q')),
        ("C-q", Key::ctrl('q')),
        ("alt-x", Key::new(KeyCode::Char('x'), KeyModifiers::ALT)),
        ("f1", Key::code(KeyCode::F(1))),
        ("F12", Key::code(KeyCode::F(12))),
        ("pgdn", Key::code(KeyCode::PageDown)),
        ("page_up", Key::code(KeyCode::PageUp)),
        ("shift-tab", Key::code(KeyCode::BackTab)),
        ("backtab", Key::code(KeyCode::BackTab)),
        ("space", Key::plain(' ')),
        (" esc ", Key::code(KeyCode::Esc)),
        ("ctrl-up", Key::new(KeyCode::Up, KeyModifiers::CONTROL)),
    ];
    for (text, want) in cases {
        assert_eq!(Key::parse(text), Ok(want), "{text:?}");
    }
    for bad in ["", "ctrl-", "hyper-q", "f0", "f25", "pgdwn", "qq"] {
        assert!(Key::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn key_events_match_config_keys() {
    // what crossterm reports for the keys a user types
    let cases = [
        (KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT), "G"),
        (KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT), "?"),
        (
            KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL),
            "ctrl-q",
        ),
        (
            KeyEvent::new(
                KeyCode::Char('Q'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT,
            ),
            "ctrl-q",
        ),
        (
            KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT),
            "shift-tab",
        ),
        (KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE), "f1"),
    ];
    for (ev, text) in cases {
        assert_eq!(
            Key::from_event(&ev),
            Key::parse(text).unwrap(),
            "{ev:?} vs {text}"
        );
    }
}

#[test]
fn labels() {
    let cases = [
        ("ctrl-q", "Ctrl-q"),
        ("pgup", "PgUp"),
        ("shift-tab", "Shift-Tab"),
        ("f1", "F1"),
        ("space", "Space"),
        ("down", "Down"),
        ("G", "G"),
    ];
    for (text, want) in cases {
        assert_eq!(Key::parse(text).unwrap().label(), want);
    }
}

#[test]
fn every_bindable_action_is_in_the_table() {
    let map = Keymap::default();
    // palette-only actions have no key but are listed, so config can give them one
    let keyless = [
        Action::MissingCode,
        Action::MissingSession,
        Action::MissingCheckin,
        Action::MissingPhoto,
    ];
    for action in Action::BINDABLE {
        let listed = map
            .scopes
            .iter()
            .flat_map(|(_, b)| b)
            .any(|b| b.action == action);
        assert!(listed, "{:?} is in no scope", action.name());
        assert_eq!(
            map.first_key(&action).is_none(),
            keyless.contains(&action),
            "{:?}",
            action.name()
        );
    }
}

#[test]
fn printable_keys_are_text_where_text_is_typed() {
    let map = Keymap::default();
    for (_, bindings) in map.scopes.iter().filter(|(s, _)| s.takes_text()) {
        for b in bindings {
            assert!(
                !b.keys.iter().any(is_text_key),
                "{:?} binds a text key",
                b.action.name()
            );
        }
    }
    // an override with a letter keeps the letter out of the search box
    let map = Keymap::with_overrides(&overrides(&[("move_down", "n, down"), ("close", "z, esc")]))
        .unwrap();
    assert_eq!(
        map.lookup(&Scope::active(Mode::Search), Key::plain('n')),
        None
    );
    assert_eq!(
        map.lookup(&Scope::active(Mode::Search), Key::code(KeyCode::Down)),
        Some(Action::MoveDown)
    );
    assert_eq!(
        map.lookup(&Scope::active(Mode::Palette), Key::code(KeyCode::Esc)),
        Some(Action::Close)
    );
    assert_eq!(
        map.lookup(&Scope::active(Mode::Code), Key::plain('z')),
        Some(Action::Close)
    );
    assert_eq!(
        map.lookup(&Scope::active(Mode::Search), Key::plain('z')),
        None
    );
}

#[test]
fn overlays_have_their_keys() {
    let map = Keymap::default();
    let cases = [
        (Mode::Code, Key::plain('R'), Some(Action::ReissueCode)),
        (Mode::Code, Key::code(KeyCode::Esc), Some(Action::Close)),
        (Mode::Code, Key::plain('q'), Some(Action::Quit)),
        (
            Mode::Search,
            Key::code(KeyCode::Enter),
            Some(Action::Accept),
        ),
        (
            Mode::Search,
            Key::code(KeyCode::Backspace),
            Some(Action::DeleteBack),
        ),
        (Mode::Search, Key::ctrl('c'), Some(Action::Quit)),
        (Mode::Search, Key::plain('q'), None),
        (
            Mode::Reason,
            Key::code(KeyCode::Enter),
            Some(Action::Accept),
        ),
        (Mode::Picker, Key::ctrl('n'), Some(Action::MoveDown)),
        (
            Mode::Screen(Screen::Students),
            Key::plain('/'),
            Some(Action::Search),
        ),
        (
            Mode::Screen(Screen::Students),
            Key::plain(':'),
            Some(Action::Palette),
        ),
        (
            Mode::Screen(Screen::Reports),
            Key::plain(':'),
            Some(Action::Palette),
        ),
        (Mode::Screen(Screen::Reports), Key::plain('/'), None),
    ];
    for (mode, key, want) in cases {
        assert_eq!(
            map.lookup(&Scope::active(mode), key),
            want,
            "{mode:?} {key}"
        );
    }
}

#[test]
fn defaults_follow_the_spec() {
    let map = Keymap::default();
    let students = Scope::active(Mode::Screen(Screen::Students));
    let cases = [
        (Key::plain('q'), Some(Action::Quit)),
        (Key::plain('?'), Some(Action::Help)),
        (Key::plain('j'), Some(Action::MoveDown)),
        (Key::code(KeyCode::Down), Some(Action::MoveDown)),
        (Key::plain('k'), Some(Action::MoveUp)),
        (Key::code(KeyCode::PageDown), Some(Action::PageDown)),
        (Key::plain('g'), Some(Action::First)),
        (Key::plain('G'), Some(Action::Last)),
        (Key::code(KeyCode::End), Some(Action::Last)),
        (Key::code(KeyCode::Tab), Some(Action::NextScreen)),
        (Key::plain('3'), Some(Action::ScreenCheckin)),
        (Key::plain('r'), Some(Action::Reload)),
        (Key::plain('x'), Some(Action::ClearFilters)),
        (Key::plain('z'), None),
        (Key::code(KeyCode::Esc), None),
    ];
    for (key, want) in cases {
        assert_eq!(map.lookup(&students, key), want, "{key}");
    }
    // list keys do nothing on a screen without a list; Esc closes help only inside help
    assert_eq!(
        map.lookup(
            &Scope::active(Mode::Screen(Screen::Photos)),
            Key::plain('j')
        ),
        Some(Action::MoveDown)
    );
    assert_eq!(
        map.lookup(
            &Scope::active(Mode::Screen(Screen::Sessions)),
            Key::plain('j')
        ),
        Some(Action::MoveDown)
    );
    assert_eq!(
        map.lookup(&Scope::active(Mode::Help), Key::code(KeyCode::Esc)),
        Some(Action::Close)
    );
}

#[test]
fn overrides_replace_the_keys_of_an_action() {
    let map = Keymap::with_overrides(&overrides(&[
        ("quit", "ctrl-q"),
        ("help", "f1"),
        ("move_down", "n, down"),
        ("show_code", "o"),
        ("missing_photo", "ctrl-p"),
    ]))
    .unwrap();
    let scopes = Scope::active(Mode::Screen(Screen::Students));
    let cases = [
        (Key::ctrl('q'), Some(Action::Quit)),
        (Key::plain('q'), None),
        (Key::ctrl('c'), None),
        (Key::code(KeyCode::F(1)), Some(Action::Help)),
        (Key::plain('?'), None),
        (Key::plain('n'), Some(Action::MoveDown)),
        (Key::plain('j'), None),
        (Key::code(KeyCode::Down), Some(Action::MoveDown)),
        (Key::plain('o'), Some(Action::ShowCode)),
        (Key::plain('c'), None),
        // a palette-only action can be given a key
        (Key::ctrl('p'), Some(Action::MissingPhoto)),
    ];
    for (key, want) in cases {
        assert_eq!(map.lookup(&scopes, key), want, "{key}");
    }
    // the help window's scrolling moved along with the list's
    assert_eq!(
        map.lookup(&Scope::active(Mode::Help), Key::plain('n')),
        Some(Action::MoveDown)
    );
}

#[test]
fn bad_overrides_name_what_is_wrong() {
    // (overrides, words the error must contain)
    type Case = (
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
    );
    let cases: [Case; 6] = [
        (&[("qiut", "x")], &["qiut", "quit", "move_down"]),
        (
            &[("reissue_code", "esc")],
            &["Esc", "close", "reissue_code"],
        ),
        (&[("students_loaded", "x")], &["students_loaded"]),
        (&[("quit", "ctrl-qq")], &["quit", "ctrl-qq"]),
        (&[("help", "")], &["help"]),
        (&[("quit", "j")], &["j", "quit", "move_down"]),
    ];
    for (pairs, needles) in cases {
        let err = Keymap::with_overrides(&overrides(pairs))
            .unwrap_err()
            .to_string();
        for needle in needles {
            assert!(
                err.contains(needle),
                "{pairs:?}: {err:?} should mention {needle}"
            );
        }
    }
}

#[test]
fn moving_a_key_away_first_is_not_a_conflict() {
    // q becomes help and quit moves to ctrl-q in the same config: fine
    let map = Keymap::with_overrides(&overrides(&[("help", "q"), ("quit", "ctrl-q")])).unwrap();
    let scopes = Scope::active(Mode::Screen(Screen::Students));
    assert_eq!(map.lookup(&scopes, Key::plain('q')), Some(Action::Help));
    assert_eq!(map.lookup(&scopes, Key::ctrl('q')), Some(Action::Quit));
}
