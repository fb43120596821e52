//! The overlays drawn over a screen — the command palette, the filter picker, the code window
//! and the reissue reason prompt — as plain state. `app::update` changes them; `ui` draws them.

use super::action::{Action, CodeCard};
use super::keymap::{Keymap, Mode, Scope};
use super::roster::field_label;
use crate::domain::search::{Field, Query, SearchIndex, TextMatcher};
use crate::i18n::tr;

/// Text typed into an overlay: control characters never get in, and it has a sane length.
pub fn push_text(target: &mut String, text: &str, max_chars: usize) {
    for c in text.chars() {
        if target.chars().count() >= max_chars {
            break;
        }
        match c {
            '\n' | '\r' | '\t' => target.push(' '),
            c if c.is_control() => {}
            c => target.push(c),
        }
    }
}

/// The most characters a search, palette or picker query holds.
pub const MAX_QUERY: usize = 64;
/// The most characters a reissue reason holds (it goes into the audit log).
pub const MAX_REASON: usize = 200;

#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    None,
    Palette(Palette),
    Picker(Picker),
    Code(CodeView),
    Reason(ReasonPrompt),
}

/// The `:` palette: what was typed and which entry is chosen.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub input: String,
    pub selected: usize,
    /// The mode the palette was opened from: its bindings are the entries.
    pub from: Option<Mode>,
    /// The overlay the palette was opened over (the code window): back when it closes, and in
    /// place when the chosen action runs.
    pub under: Option<Box<Overlay>>,
}

/// One action the palette offers.
#[derive(Debug, Clone, PartialEq)]
pub struct PaletteEntry {
    pub action: Action,
    pub name: &'static str,
    pub description: &'static str,
    pub keys: String,
    /// Matched character positions in `name` and in `description`.
    pub name_hits: Vec<usize>,
    pub description_hits: Vec<usize>,
}

/// Actions that make no sense from the palette (they are the palette, or edit typed text).
fn palette_skips(action: &Action) -> bool {
    matches!(
        action,
        Action::Palette | Action::Accept | Action::DeleteBack | Action::ClearInput | Action::Close
    )
}

/// The palette's entries for `input`, best match first: every action bound in the scopes of
/// the mode it was opened from, matched by name and by description (pinyin initials too).
pub fn palette_entries(keymap: &Keymap, from: Mode, input: &str) -> Vec<PaletteEntry> {
    let query = Query::parse(input);
    let mut matcher = TextMatcher::default();
    let mut scored: Vec<(i32, usize, PaletteEntry)> = Vec::new();
    let mut seen: Vec<Action> = Vec::new();
    for scope in Scope::active(from) {
        for b in keymap.bindings(scope) {
            if palette_skips(&b.action) || seen.contains(&b.action) {
                continue;
            }
            let Some(name) = b.action.name() else {
                continue;
            };
            seen.push(b.action.clone());
            let name_match = matcher.matches(name, &query);
            let description_match = matcher.matches(b.description, &query);
            let score = match (&name_match, &description_match) {
                (None, None) => continue,
                (n, d) => n
                    .as_ref()
                    .map_or(i32::MIN, |m| m.0)
                    .max(d.as_ref().map_or(i32::MIN, |m| m.0)),
            };
            let keys = if b.keys.is_empty() {
                String::new()
            } else {
                b.keys
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let order = scored.len();
            scored.push((
                score,
                order,
                PaletteEntry {
                    action: b.action.clone(),
                    name,
                    description: b.description,
                    keys,
                    name_hits: name_match.map(|m| m.1).unwrap_or_default(),
                    description_hits: description_match.map(|m| m.1).unwrap_or_default(),
                },
            ));
        }
    }
    if !query.is_empty() {
        scored.sort_by_key(|(score, order, _)| (std::cmp::Reverse(*score), *order));
    }
    scored.into_iter().map(|(_, _, e)| e).collect()
}

/// What a picker chooses a value for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickerKind {
    Field(Field),
    Cohort,
}

impl PickerKind {
    pub fn title(self) -> &'static str {
        match self {
            PickerKind::Field(f) => field_label(f),
            PickerKind::Cohort => tr("届别", "cohort"),
        }
    }
}

/// A value a picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    /// No filter on this field (every cohort, for the cohort picker).
    All,
    Value(String),
    Cohort(i32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickerItem {
    pub pick: Pick,
    pub label: String,
    pub count: Option<u32>,
}

/// Choosing a filter value by typing part of it (pinyin initials work) and Enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub kind: PickerKind,
    pub items: Vec<PickerItem>,
    pub input: String,
    pub selected: usize,
}

impl Picker {
    /// A picker over the values of `field` in the roster, in pinyin order.
    pub fn for_field(field: Field, index: &SearchIndex, current: Option<&str>) -> Picker {
        let mut items = vec![PickerItem {
            pick: Pick::All,
            label: all_label(field).to_string(),
            count: None,
        }];
        items.extend(
            index
                .values(field)
                .into_iter()
                .map(|(text, count)| PickerItem {
                    pick: Pick::Value(text.to_string()),
                    label: text.to_string(),
                    count: Some(count),
                }),
        );
        let selected = current
            .and_then(|c| {
                items
                    .iter()
                    .position(|i| i.pick == Pick::Value(c.to_string()))
            })
            .unwrap_or(0);
        Picker {
            kind: PickerKind::Field(field),
            items,
            input: String::new(),
            selected,
        }
    }

    /// A picker over the cohorts around `around` (typing another year offers that year).
    pub fn for_cohort(around: i32, current: Option<i32>) -> Picker {
        let mut items = vec![PickerItem {
            pick: Pick::All,
            label: tr("全部届别", "every cohort").to_string(),
            count: None,
        }];
        for year in (around - 3..=around + 2).rev() {
            items.push(PickerItem {
                pick: Pick::Cohort(year),
                label: cohort_label(year),
                count: None,
            });
        }
        let selected = match current {
            Some(y) => items
                .iter()
                .position(|i| i.pick == Pick::Cohort(y))
                .unwrap_or(0),
            None => 0,
        };
        Picker {
            kind: PickerKind::Cohort,
            items,
            input: String::new(),
            selected,
        }
    }

    /// The items matching what was typed, best first, with the matched character positions.
    pub fn matches(&self) -> Vec<(&PickerItem, Vec<usize>)> {
        let query = Query::parse(&self.input);
        if query.is_empty() {
            return self.items.iter().map(|i| (i, Vec::new())).collect();
        }
        let mut matcher = TextMatcher::default();
        let mut scored: Vec<(i32, usize, &PickerItem, Vec<usize>)> = self
            .items
            .iter()
            .enumerate()
            .filter_map(|(order, item)| {
                matcher
                    .matches(&item.label, &query)
                    .map(|(s, at)| (s, order, item, at))
            })
            .collect();
        scored.sort_by_key(|(s, order, ..)| (std::cmp::Reverse(*s), *order));
        let mut out: Vec<(&PickerItem, Vec<usize>)> =
            scored.into_iter().map(|(_, _, i, at)| (i, at)).collect();
        // a year typed in full is offered even when it is not in the list
        if self.kind == PickerKind::Cohort
            && let Ok(year) = self.input.trim().parse::<i32>()
            && (1900..=2200).contains(&year)
            && !out.iter().any(|(i, _)| i.pick == Pick::Cohort(year))
        {
            out.insert(0, (&TYPED_YEAR, Vec::new()));
        }
        out
    }

    /// The value chosen now, if any item matches.
    pub fn chosen(&self) -> Option<Pick> {
        let matches = self.matches();
        let (item, _) = matches.get(self.selected.min(matches.len().saturating_sub(1)))?;
        if std::ptr::eq(*item, &TYPED_YEAR) {
            return self.input.trim().parse().ok().map(Pick::Cohort);
        }
        Some(item.pick.clone())
    }
}

/// Stands for "the year typed" in the cohort picker's matches.
static TYPED_YEAR: PickerItem = PickerItem {
    pick: Pick::All,
    label: String::new(),
    count: None,
};

/// True for the stand-in of a typed year (the picker draws the typed text for it).
pub fn is_typed_year(item: &PickerItem) -> bool {
    std::ptr::eq(item, &TYPED_YEAR)
}

pub fn cohort_label(year: i32) -> String {
    format!("{year}{}", tr("届", " cohort"))
}

fn all_label(field: Field) -> &'static str {
    match field {
        Field::College => tr("全部学院", "every college"),
        Field::Class => tr("全部班级", "every class"),
        Field::Counselor => tr("全部辅导员", "every counselor"),
    }
}

/// The code window of one student.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeView {
    pub generation: u64,
    pub student_no: String,
    pub name: String,
    /// The card once read (or why it could not be).
    pub card: Option<Result<CodeCard, String>>,
    /// A reissue is running.
    pub busy: bool,
    /// What the last reissue did.
    pub notice: Option<Result<String, String>>,
}

impl CodeView {
    /// The serial of the active code, if the card shows one.
    pub fn active_serial(&self) -> Option<i64> {
        match &self.card {
            Some(Ok(card)) => card
                .codes
                .iter()
                .find(|c| c.state == crate::store::CodeState::Active)
                .map(|c| c.serial),
            _ => None,
        }
    }
}

/// Asking why a code is reissued, before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonPrompt {
    pub code: CodeView,
    pub input: String,
    /// Shown when Enter was pressed with no reason.
    pub error: Option<&'static str>,
}
