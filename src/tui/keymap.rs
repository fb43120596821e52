//! Key bindings: one table of `{keys, action, description}` per scope.
//!
//! The same table answers "what does this key do here" for the event loop and "which keys are
//! there" for the help overlay and the status bar hint, so help cannot drift from behaviour.
//! `[keys]` in `config.toml` rebinds actions by name (`quit = "ctrl-q"`, `help = "f1"`,
//! several keys separated by commas: `move_down = "j, down"`).

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{Action, Screen};

use crate::i18n::tr;

/// One key with its modifiers, normalised so that a config string and a key event for the
/// same key compare equal (`G` is `G`, not `shift-g`; `ctrl-Q` is `ctrl-q`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        match code {
            KeyCode::Char(c) => {
                // The character already carries the shift (`?`, `G`); with ctrl, terminals
                // differ on case, so ctrl keys are always the lower-case letter.
                let mods = mods - KeyModifiers::SHIFT;
                let c = if mods.contains(KeyModifiers::CONTROL) {
                    c.to_ascii_lowercase()
                } else {
                    c
                };
                Key {
                    code: KeyCode::Char(c),
                    mods,
                }
            }
            KeyCode::BackTab => Key {
                code: KeyCode::BackTab,
                mods: mods - KeyModifiers::SHIFT,
            },
            code => Key { code, mods },
        }
    }

    pub fn plain(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    pub fn ctrl(c: char) -> Key {
        Key::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    pub fn code(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parses a key as written in `[keys]`: `q`, `G`, `?`, `ctrl-q`, `alt+x`, `f1`, `pgdn`,
    /// `shift-tab`, `space`, `esc`, ...
    pub fn parse(text: &str) -> Result<Key, String> {
        let text = text.trim();
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Key::plain(c));
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        while let Some(pos) = rest
            .find(['-', '+'])
            .filter(|&p| p > 0 && p + 1 < rest.len())
        {
            let word = rest[..pos].to_ascii_lowercase();
            let m = match word.as_str() {
                "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
                "alt" | "meta" | "option" | "m" | "a" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                _ => break,
            };
            mods |= m;
            rest = &rest[pos + 1..];
        }
        let mut chars = rest.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            let c = if mods.contains(KeyModifiers::SHIFT) && !mods.contains(KeyModifiers::CONTROL) {
                c.to_ascii_uppercase()
            } else {
                c
            };
            return Ok(Key::new(KeyCode::Char(c), mods));
        }
        let name = rest.to_ascii_lowercase().replace(['_', '-', ' '], "");
        let code = match name.as_str() {
            "space" => KeyCode::Char(' '),
            "comma" => KeyCode::Char(','),
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pgdown" | "pagedown" => KeyCode::PageDown,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            f if f.starts_with('f') => match f[1..].parse::<u8>() {
                Ok(n @ 1..=24) => KeyCode::F(n),
                _ => return Err(unknown_key(rest)),
            },
            _ => return Err(unknown_key(rest)),
        };
        Ok(Key::new(code, mods))
    }

    /// How help and the status bar write the key.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("Alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            out.push_str("Shift-");
        }
        match self.code {
            KeyCode::Char(' ') => out.push_str("Space"),
            KeyCode::Char(c) => out.push(c),
            KeyCode::F(n) => out.push_str(&format!("F{n}")),
            KeyCode::BackTab => out.push_str("Shift-Tab"),
            KeyCode::PageUp => out.push_str("PgUp"),
            KeyCode::PageDown => out.push_str("PgDn"),
            KeyCode::Delete => out.push_str("Del"),
            KeyCode::Insert => out.push_str("Ins"),
            other => out.push_str(&format!("{other:?}")),
        }
        out
    }
}

fn unknown_key(text: &str) -> String {
    format!(
        "{} '{text}' ({})",
        tr("不认识的按键", "unknown key"),
        tr(
            "可以写一个字符，或 ctrl-x、alt-x、f1–f24、up、down、left、right、pgup、pgdn、home、end、tab、shift-tab、enter、esc、space",
            "write one character, or ctrl-x, alt-x, f1–f24, up, down, left, right, pgup, pgdn, home, end, tab, shift-tab, enter, esc, space"
        )
    )
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Where a binding applies. Overlays and screens each have one; `Global` applies after the more
/// specific scope where the console is not taking typed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Students,
    Help,
    /// Typing a search on the Students screen.
    Search,
    /// The `:` command palette.
    Palette,
    /// Choosing a filter value (college, class, counselor, cohort).
    Picker,
    /// The code overlay.
    Code,
    /// Typing the reason for a reissue.
    Reason,
    /// The Sessions screen.
    Sessions,
    /// The Check-in screen: printable keys go into the scan line.
    Checkin,
    /// Typing the plan form.
    PlanForm,
    /// The Photos screen.
    Photos,
    /// The Reports screen.
    Reports,
}

/// What the console is doing, which decides the scopes in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Screen(Screen),
    Help,
    Search,
    Palette,
    Picker,
    Code,
    Reason,
    /// The plan form over the Sessions screen.
    PlanForm,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => tr("全局", "Everywhere"),
            Scope::Students => tr("学生名单", "Student list"),
            Scope::Help => tr("帮助窗口", "Help window"),
            Scope::Search => tr("输入搜索时", "While typing a search"),
            Scope::Palette => tr("命令面板", "Command palette"),
            Scope::Picker => tr("选择筛选条件", "Choosing a filter"),
            Scope::Code => tr("采集码窗口", "Code window"),
            Scope::Reason => tr("填写重新发放原因", "Typing a reissue reason"),
            Scope::Sessions => tr("采集场次", "Sessions"),
            Scope::Checkin => tr(
                "现场签到（字符键输入扫码栏）",
                "Check-in (printable keys go into the scan line)",
            ),
            Scope::PlanForm => tr("填写排场次表单", "Typing the plan form"),
            Scope::Photos => tr("照片核对", "Photos"),
            Scope::Reports => tr("完成情况报表", "Reports"),
        }
    }

    /// Scopes where typed characters are text, so printable keys cannot be bound there.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Scope::Search
                | Scope::Palette
                | Scope::Picker
                | Scope::Reason
                | Scope::Checkin
                | Scope::PlanForm
        )
    }

    /// The scopes in force, most specific first.
    pub fn active(mode: Mode) -> Vec<Scope> {
        match mode {
            Mode::Help => vec![Scope::Help, Scope::Global],
            Mode::Code => vec![Scope::Code, Scope::Global],
            Mode::Search => vec![Scope::Search],
            Mode::Palette => vec![Scope::Palette],
            Mode::Picker => vec![Scope::Picker],
            Mode::Reason => vec![Scope::Reason],
            Mode::PlanForm => vec![Scope::PlanForm],
            Mode::Screen(screen) => super::screen::of(screen).scopes(),
        }
    }
}

/// Keys that type text where text is taken: printable characters without Ctrl or Alt.
pub fn is_text_key(key: &Key) -> bool {
    matches!(key.code, KeyCode::Char(_))
        && !key
            .mods
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
}

/// One row of the table: these keys do this action, described for help.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    pub description: &'static str,
}

/// Problems with `[keys]` in `config.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeymapError {
    UnknownAction {
        name: String,
    },
    BadKey {
        action: String,
        key: String,
        reason: String,
    },
    Conflict {
        key: String,
        first: String,
        second: String,
    },
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeymapError::UnknownAction { name } => {
                let known: Vec<&str> = Action::BINDABLE.iter().filter_map(Action::name).collect();
                write!(
                    f,
                    "[keys]: {} '{name}'; {}: {}",
                    tr("没有这个动作", "there is no action"),
                    tr("可以绑定的动作", "actions that can be bound"),
                    known.join(", ")
                )
            }
            KeymapError::BadKey {
                action,
                key,
                reason,
            } => write!(f, "[keys] {action} = \"{key}\": {reason}"),
            KeymapError::Conflict { key, first, second } => write!(
                f,
                "[keys]: {key} {} '{first}' {} '{second}'; {}",
                tr("会同时触发", "would trigger both"),
                tr("和", "and"),
                tr(
                    "请把其中一个改绑到别的键",
                    "bind one of them to another key"
                )
            ),
        }
    }
}

impl std::error::Error for KeymapError {}

#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    scopes: Vec<(Scope, Vec<Binding>)>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        use KeyCode as K;
        let b = |keys: Vec<Key>, action: Action, description: &'static str| Binding {
            keys,
            action,
            description,
        };
        // The moves every list shares; `names` say what a step is: previous, next, first, last.
        let list_moves = |names: [&'static str; 4]| {
            let [up, down, first, last] = names;
            vec![
                b(vec![Key::plain('k'), Key::code(K::Up)], Action::MoveUp, up),
                b(
                    vec![Key::plain('j'), Key::code(K::Down)],
                    Action::MoveDown,
                    down,
                ),
                b(
                    vec![Key::code(K::PageUp), Key::ctrl('b')],
                    Action::PageUp,
                    tr("上一页", "previous page"),
                ),
                b(
                    vec![Key::code(K::PageDown), Key::ctrl('f')],
                    Action::PageDown,
                    tr("下一页", "next page"),
                ),
                b(
                    vec![Key::plain('g'), Key::code(K::Home)],
                    Action::First,
                    first,
                ),
                b(vec![Key::plain('G'), Key::code(K::End)], Action::Last, last),
            ]
        };
        let global = vec![
            b(
                vec![Key::plain('q'), Key::ctrl('c')],
                Action::Quit,
                tr("退出", "quit"),
            ),
            b(
                vec![Key::plain('?')],
                Action::Help,
                tr("显示或关闭本帮助", "show or close this help"),
            ),
            b(
                vec![Key::plain(':')],
                Action::Palette,
                tr(
                    "命令面板：按名称或说明查找并执行动作",
                    "command palette: find and run an action by name or description",
                ),
            ),
            b(
                vec![Key::code(K::Tab)],
                Action::NextScreen,
                tr("下一个屏幕", "next screen"),
            ),
            b(
                vec![Key::code(K::BackTab)],
                Action::PrevScreen,
                tr("上一个屏幕", "previous screen"),
            ),
            b(
                vec![Key::plain('1')],
                Action::ScreenStudents,
                tr("学生名单", "students"),
            ),
            b(
                vec![Key::plain('2')],
                Action::ScreenSessions,
                tr("采集场次", "sessions"),
            ),
            b(
                vec![Key::plain('3')],
                Action::ScreenCheckin,
                tr("现场签到", "check-in"),
            ),
            b(
                vec![Key::plain('4')],
                Action::ScreenPhotos,
                tr("照片核对", "photos"),
            ),
            b(
                vec![Key::plain('5')],
                Action::ScreenReports,
                tr("完成情况报表", "reports"),
            ),
            b(
                vec![Key::plain('r')],
                Action::Reload,
                tr("重新读取数据库", "reload from the database"),
            ),
        ];
        let students: Vec<Binding> = list_moves([
            tr("上一行", "previous row"),
            tr("下一行", "next row"),
            tr("第一行", "first row"),
            tr("最后一行", "last row"),
        ])
        .into_iter()
        .chain(vec![
            b(
                vec![Key::plain('/')],
                Action::Search,
                tr(
                    "搜索：学号、姓名、拼音或首字母、班级、学院",
                    "search: student no., name, pinyin or initials, class, college",
                ),
            ),
            b(
                vec![Key::plain('c')],
                Action::ShowCode,
                tr(
                    "显示所选学生的采集码（二维码）",
                    "show the selected student's collection code (QR)",
                ),
            ),
            b(
                vec![Key::code(K::Enter)],
                Action::ToggleDetail,
                tr(
                    "显示或隐藏所选学生的详细记录",
                    "show or hide the selected student's history",
                ),
            ),
            b(
                vec![Key::plain('m')],
                Action::CycleMissing,
                tr(
                    "依次筛选：缺采集码、未排场次、未签到、缺照片、全部",
                    "cycle filter: no code, no session, not checked in, no photo, all",
                ),
            ),
            b(
                vec![],
                Action::MissingCode,
                tr("只看缺采集码的学生", "only students without a code"),
            ),
            b(
                vec![],
                Action::MissingSession,
                tr("只看未排场次的学生", "only students without a session"),
            ),
            b(
                vec![],
                Action::MissingCheckin,
                tr("只看未签到的学生", "only students not checked in"),
            ),
            b(
                vec![],
                Action::MissingPhoto,
                tr(
                    "只看缺合格照片的学生",
                    "only students without a valid photo",
                ),
            ),
            b(
                vec![Key::plain('C')],
                Action::FilterCollege,
                tr("按学院筛选", "filter by college"),
            ),
            b(
                vec![Key::plain('L')],
                Action::FilterClass,
                tr("按班级筛选", "filter by class"),
            ),
            b(
                vec![Key::plain('T')],
                Action::FilterCounselor,
                tr("按辅导员筛选", "filter by counselor"),
            ),
            b(
                vec![Key::plain('Y')],
                Action::FilterCohort,
                tr(
                    "选择届别（毕业年份）",
                    "choose the cohort (graduation year)",
                ),
            ),
            b(
                vec![Key::plain('x')],
                Action::ClearFilters,
                tr("清除所有筛选和搜索", "clear every filter and the search"),
            ),
            b(
                vec![Key::plain('s')],
                Action::SortNext,
                tr(
                    "换排序：学号、姓名拼音、学院、班级、缺项多少",
                    "next sort order: student no., name, college, class, items missing",
                ),
            ),
            b(
                vec![Key::plain('S')],
                Action::SortReverse,
                tr("倒序排列", "reverse the order"),
            ),
            b(
                vec![Key::plain('e')],
                Action::ExportStudentsXlsx,
                tr(
                    "把当前名单（筛选和搜索后的学生，含缺项原因）导出为 XLSX",
                    "export the list shown (filters and search applied, with what each student lacks) as XLSX",
                ),
            ),
            b(
                vec![Key::plain('E')],
                Action::ExportStudentsCsv,
                tr("把当前名单导出为 CSV", "export the list shown as CSV"),
            ),
            b(
                vec![Key::plain('J')],
                Action::DetailDown,
                tr("详细记录向下滚动", "scroll the history down"),
            ),
            b(
                vec![Key::plain('K')],
                Action::DetailUp,
                tr("详细记录向上滚动", "scroll the history up"),
            ),
        ])
        .collect();
        let help = vec![
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr("关闭帮助", "close help"),
            ),
            b(
                vec![Key::plain('k'), Key::code(K::Up)],
                Action::MoveUp,
                tr("向上滚动", "scroll up"),
            ),
            b(
                vec![Key::plain('j'), Key::code(K::Down)],
                Action::MoveDown,
                tr("向下滚动", "scroll down"),
            ),
            b(
                vec![Key::code(K::PageUp), Key::ctrl('b')],
                Action::PageUp,
                tr("上一页", "page up"),
            ),
            b(
                vec![Key::code(K::PageDown), Key::ctrl('f')],
                Action::PageDown,
                tr("下一页", "page down"),
            ),
            b(
                vec![Key::plain('g'), Key::code(K::Home)],
                Action::First,
                tr("回到开头", "top"),
            ),
            b(
                vec![Key::plain('G'), Key::code(K::End)],
                Action::Last,
                tr("跳到末尾", "bottom"),
            ),
        ];
        let code = vec![
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr("关闭采集码窗口", "close the code window"),
            ),
            b(
                vec![Key::plain('R')],
                Action::ReissueCode,
                tr(
                    "重新发放采集码（先填写原因）",
                    "reissue the code (asks for the reason)",
                ),
            ),
        ];
        // Text-taking scopes: printable keys are text there, so only other keys are bound.
        let search = vec![
            b(
                vec![Key::code(K::Enter)],
                Action::Accept,
                tr("结束输入，保留搜索结果", "stop typing, keep the results"),
            ),
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr("取消搜索", "cancel the search"),
            ),
            b(
                vec![Key::code(K::Backspace)],
                Action::DeleteBack,
                tr("删除一个字", "delete a character"),
            ),
            b(
                vec![Key::ctrl('u')],
                Action::ClearInput,
                tr("清空输入", "clear what was typed"),
            ),
            b(
                vec![Key::ctrl('x')],
                Action::ClearFilters,
                tr("清除所有筛选和搜索", "clear every filter and the search"),
            ),
            b(
                vec![Key::code(K::Up)],
                Action::MoveUp,
                tr("上一行", "previous row"),
            ),
            b(
                vec![Key::code(K::Down)],
                Action::MoveDown,
                tr("下一行", "next row"),
            ),
            b(
                vec![Key::code(K::PageUp)],
                Action::PageUp,
                tr("上一页", "previous page"),
            ),
            b(
                vec![Key::code(K::PageDown)],
                Action::PageDown,
                tr("下一页", "next page"),
            ),
            b(vec![Key::ctrl('c')], Action::Quit, tr("退出", "quit")),
        ];
        // The last keys of a text field: delete a character, clear the field (`clear` says what
        // that empties), quit.
        let editing = |clear: &'static str| {
            vec![
                b(
                    vec![Key::code(K::Backspace)],
                    Action::DeleteBack,
                    tr("删除一个字", "delete a character"),
                ),
                b(vec![Key::ctrl('u')], Action::ClearInput, clear),
                b(vec![Key::ctrl('c')], Action::Quit, tr("退出", "quit")),
            ]
        };
        let chooser = |accept: &'static str, close: &'static str| {
            let mut keys = vec![
                b(vec![Key::code(K::Enter)], Action::Accept, accept),
                b(vec![Key::code(K::Esc)], Action::Close, close),
                b(
                    vec![Key::code(K::Up), Key::ctrl('p')],
                    Action::MoveUp,
                    tr("上一项", "previous item"),
                ),
                b(
                    vec![Key::code(K::Down), Key::ctrl('n')],
                    Action::MoveDown,
                    tr("下一项", "next item"),
                ),
            ];
            keys.extend(editing(tr("清空输入", "clear what was typed")));
            keys
        };
        let palette = chooser(
            tr("执行所选动作", "run the chosen action"),
            tr("关闭命令面板", "close the palette"),
        );
        let picker = chooser(
            tr("按所选条件筛选", "filter by the chosen value"),
            tr("不改筛选，关闭", "close without changing the filter"),
        );
        let mut reason = vec![
            b(
                vec![Key::code(K::Enter)],
                Action::Accept,
                tr("确认重新发放", "confirm the reissue"),
            ),
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr("取消，不重新发放", "cancel, reissue nothing"),
            ),
        ];
        reason.extend(editing(tr("清空输入", "clear what was typed")));
        let sessions: Vec<Binding> = list_moves([
            tr("上一场", "previous session"),
            tr("下一场", "next session"),
            tr("第一场", "first session"),
            tr("最后一场", "last session"),
        ])
        .into_iter()
        .chain(vec![
            b(vec![Key::plain('a')], Action::AssignFiltered, tr("把学生名单当前学院/班级筛选出的学生安排到所选场次（先确认）", "assign the students of the Students screen's college/class filter to the selected session (asks first)")),
            b(vec![Key::plain('p')], Action::PlanSessions, tr("为未排场次的学生自动排场次（先预览，确认后创建）", "plan sessions for students without one (preview first, create on confirm)")),
            b(vec![Key::code(K::Enter)], Action::Accept, tr("确认", "confirm")),
            b(vec![Key::code(K::Esc)], Action::Close, tr("取消", "cancel")),
        ])
        .collect();
        // The scan line takes every printable key: only other keys are bound here.
        let checkin = vec![
            b(
                vec![Key::code(K::Enter)],
                Action::Accept,
                tr("签到扫入的采集码", "check the scanned code in"),
            ),
            b(
                vec![Key::code(K::Backspace)],
                Action::DeleteBack,
                tr("删除一个字", "delete a character"),
            ),
            b(
                vec![Key::ctrl('u')],
                Action::ClearInput,
                tr("清空扫码栏", "clear the scan line"),
            ),
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr(
                    "清空扫码栏；已空时回到学生名单",
                    "clear the scan line; when empty, back to the student list",
                ),
            ),
            b(
                vec![Key::code(K::Up)],
                Action::MoveUp,
                tr("选择上一场次", "choose the previous session"),
            ),
            b(
                vec![Key::code(K::Down)],
                Action::MoveDown,
                tr("选择下一场次", "choose the next session"),
            ),
            b(
                // an F-key first: Ctrl-w closes the tab in a browser's SSH terminal
                vec![Key::code(K::F(6)), Key::ctrl('w')],
                Action::WalkIn,
                tr(
                    "把刚被拒绝（不在本场）的学生作为现场加入改到本场签到（先确认，再按一次即签到）；补采场次中，已在别场签到的学生填写原因后重拍",
                    "take the student just refused as not in this session as a walk-in here (asks; press again to check them in); at a make-up session, retake one checked in elsewhere (asks the reason)",
                ),
            ),
            b(
                vec![Key::code(K::Tab)],
                Action::NextScreen,
                tr("下一个屏幕", "next screen"),
            ),
            b(
                vec![Key::code(K::BackTab)],
                Action::PrevScreen,
                tr("上一个屏幕", "previous screen"),
            ),
            b(
                vec![Key::code(K::F(1))],
                Action::Help,
                tr("显示或关闭帮助", "show or close help"),
            ),
            b(
                vec![Key::code(K::F(2))],
                Action::Palette,
                tr("命令面板", "command palette"),
            ),
            b(
                vec![Key::code(K::F(5))],
                Action::Reload,
                tr("重新读取场次和统计", "reload the sessions and counts"),
            ),
            b(vec![Key::ctrl('c')], Action::Quit, tr("退出", "quit")),
        ];
        let mut plan_form = vec![
            b(
                vec![Key::code(K::Enter)],
                Action::Accept,
                tr(
                    "预览排场结果；预览后再按一次创建",
                    "preview the plan; press again after the preview to create it",
                ),
            ),
            b(
                vec![Key::code(K::Esc)],
                Action::Close,
                tr("取消，不创建", "cancel, create nothing"),
            ),
            b(
                vec![Key::code(K::Up), Key::code(K::BackTab)],
                Action::MoveUp,
                tr("上一栏", "previous field"),
            ),
            b(
                vec![Key::code(K::Down), Key::code(K::Tab)],
                Action::MoveDown,
                tr("下一栏", "next field"),
            ),
        ];
        plan_form.extend(editing(tr("清空本栏", "clear this field")));
        let photos: Vec<Binding> = list_moves([
            tr("上一行", "previous row"),
            tr("下一行", "next row"),
            tr("第一行", "first row"),
            tr("最后一行", "last row"),
        ])
        .into_iter()
        .chain(vec![
            b(vec![Key::code(K::Right), Key::plain('l'), Key::plain(']')], Action::NextPhotoList, tr("下一类：不合格、重复、对不上人、缺照片、跳过、合格", "next list: invalid, duplicate, orphan, missing, skipped, valid")),
            b(vec![Key::code(K::Left), Key::plain('h'), Key::plain('[')], Action::PrevPhotoList, tr("上一类照片列表", "previous list")),
            b(vec![Key::code(K::Enter)], Action::JumpToStudent, tr("到学生名单查看所选的学生（对不上人的照片：最可能的学生）", "show the selected student on the Students screen (an orphan: its likeliest student)")),
        ])
        .collect();
        let reports: Vec<Binding> = list_moves([
            tr("上一行", "previous row"),
            tr("下一行", "next row"),
            tr("第一行", "first row"),
            tr("最后一行", "last row"),
        ])
        .into_iter()
        .chain(vec![
            b(
                vec![Key::code(K::Enter)],
                Action::ReportDrillDown,
                tr(
                    "查看所选学院各班级的完成情况",
                    "show the classes of the selected college",
                ),
            ),
            b(
                vec![Key::plain('t')],
                Action::ReportSwitchGroup,
                tr(
                    "在班级和辅导员之间切换",
                    "switch between the college's classes and counselors",
                ),
            ),
            b(
                vec![Key::code(K::Esc), Key::code(K::Backspace)],
                Action::ReportBack,
                tr("返回学院列表", "back to the colleges"),
            ),
            b(
                vec![Key::plain('e')],
                Action::ExportReportXlsx,
                tr(
                    "把当前报表和缺项名单导出为 XLSX",
                    "export this report and the missing lists as XLSX",
                ),
            ),
            b(
                vec![Key::plain('E')],
                Action::ExportReportCsv,
                tr("把当前报表导出为 CSV", "export this report as CSV"),
            ),
        ])
        .collect();
        Keymap {
            // `first_key` looks in this order: the keys people see on the main screens first
            scopes: vec![
                (Scope::Global, global),
                (Scope::Students, students),
                (Scope::Help, help),
                (Scope::Code, code),
                (Scope::Search, search),
                (Scope::Palette, palette),
                (Scope::Picker, picker),
                (Scope::Reason, reason),
                (Scope::Sessions, sessions),
                (Scope::Checkin, checkin),
                (Scope::PlanForm, plan_form),
                (Scope::Photos, photos),
                (Scope::Reports, reports),
            ],
        }
    }
}

impl Keymap {
    /// The default bindings with `[keys]` overrides applied: each named action gets exactly the
    /// keys given, wherever it is bound.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default();
        for (name, keys_text) in overrides {
            let action = Action::from_name(name.trim())
                .ok_or_else(|| KeymapError::UnknownAction { name: name.clone() })?;
            let keys = parse_key_list(keys_text).map_err(|reason| KeymapError::BadKey {
                action: name.clone(),
                key: keys_text.clone(),
                reason,
            })?;
            for (scope, bindings) in &mut map.scopes {
                // where typing is text, printable keys stay text
                let usable: Vec<Key> = keys
                    .iter()
                    .copied()
                    .filter(|k| !(scope.takes_text() && is_text_key(k)))
                    .collect();
                for binding in bindings.iter_mut().filter(|b| b.action == action) {
                    binding.keys = usable.clone();
                }
            }
        }
        map.check_conflicts()?;
        Ok(map)
    }

    /// A key must mean one thing wherever it can be pressed.
    fn check_conflicts(&self) -> Result<(), KeymapError> {
        let together: [&[Scope]; 12] = [
            &[Scope::Students, Scope::Global],
            &[Scope::Help, Scope::Global],
            &[Scope::Code, Scope::Global],
            &[Scope::Search],
            &[Scope::Palette],
            &[Scope::Picker],
            &[Scope::Reason],
            &[Scope::Sessions, Scope::Global],
            &[Scope::Checkin],
            &[Scope::PlanForm],
            &[Scope::Photos, Scope::Global],
            &[Scope::Reports, Scope::Global],
        ];
        for scopes in together {
            let mut seen: Vec<(Key, &Action)> = Vec::new();
            for binding in scopes.iter().flat_map(|s| self.bindings(*s)) {
                for key in &binding.keys {
                    if let Some((_, other)) =
                        seen.iter().find(|(k, a)| k == key && **a != binding.action)
                    {
                        return Err(KeymapError::Conflict {
                            key: key.label(),
                            first: other.name().unwrap_or_default().to_string(),
                            second: binding.action.name().unwrap_or_default().to_string(),
                        });
                    }
                    seen.push((*key, &binding.action));
                }
            }
        }
        Ok(())
    }

    pub fn bindings(&self, scope: Scope) -> &[Binding] {
        self.scopes
            .iter()
            .find(|(s, _)| *s == scope)
            .map(|(_, b)| b.as_slice())
            .unwrap_or(&[])
    }

    /// What `key` does in these scopes (most specific first), if anything.
    pub fn lookup(&self, scopes: &[Scope], key: Key) -> Option<Action> {
        scopes
            .iter()
            .flat_map(|s| self.bindings(*s))
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action.clone())
    }

    /// The first key bound to `action` anywhere, written for hints ("? 帮助").
    pub fn first_key(&self, action: &Action) -> Option<Key> {
        self.scopes
            .iter()
            .flat_map(|(_, b)| b)
            .filter(|b| &b.action == action)
            .find_map(|b| b.keys.first().copied())
    }

    /// The first key bound to `action` in `scope`, for hints inside an overlay.
    pub fn key_in(&self, scope: Scope, action: &Action) -> Option<Key> {
        self.bindings(scope)
            .iter()
            .filter(|b| &b.action == action)
            .find_map(|b| b.keys.first().copied())
    }
}

fn parse_key_list(text: &str) -> Result<Vec<Key>, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(tr("没有写按键", "no key given").to_string());
    }
    if trimmed == "," {
        return Ok(vec![Key::plain(',')]);
    }
    trimmed
        .split(',')
        .map(|part| {
            if part.trim().is_empty() {
                Err(tr(
                    "逗号之间没有按键（逗号键写作 comma）",
                    "empty key between commas (write the comma key as comma)",
                )
                .to_string())
            } else {
                Key::parse(part)
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "keymap_tests.rs"]
mod tests;
