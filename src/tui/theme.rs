//! Themes: files of semantic roles (`border`, `selection_bg`, `status_missing`, ...).
//!
//! Built-in themes are the files in `themes/`, embedded at build time; a user theme is
//! `<config dir>/themes/NAME.toml` or any path, and may set only some roles on top of a `base`.
//! Drawing code asks for roles, never for colours, so a theme can restyle everything.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

use crate::i18n::tr;

/// The built-in themes: name and file text.
pub const BUILT_IN: [(&str, &str); 4] = [
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// The roles a theme styles. `*_fg`/`*_bg` pairs combine into one style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Text,
    Muted,
    Border,
    Title,
    HeaderFg,
    HeaderBg,
    Tab,
    TabActiveFg,
    TabActiveBg,
    ColumnHeader,
    SelectionFg,
    SelectionBg,
    StatusOk,
    StatusMissing,
    StatusWarn,
    StatusBarFg,
    StatusBarBg,
    Error,
    Key,
    SearchMatch,
}

impl Role {
    pub const ALL: [Role; 20] = [
        Role::Text,
        Role::Muted,
        Role::Border,
        Role::Title,
        Role::HeaderFg,
        Role::HeaderBg,
        Role::Tab,
        Role::TabActiveFg,
        Role::TabActiveBg,
        Role::ColumnHeader,
        Role::SelectionFg,
        Role::SelectionBg,
        Role::StatusOk,
        Role::StatusMissing,
        Role::StatusWarn,
        Role::StatusBarFg,
        Role::StatusBarBg,
        Role::Error,
        Role::Key,
        Role::SearchMatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Border => "border",
            Role::Title => "title",
            Role::HeaderFg => "header_fg",
            Role::HeaderBg => "header_bg",
            Role::Tab => "tab",
            Role::TabActiveFg => "tab_active_fg",
            Role::TabActiveBg => "tab_active_bg",
            Role::ColumnHeader => "column_header",
            Role::SelectionFg => "selection_fg",
            Role::SelectionBg => "selection_bg",
            Role::StatusOk => "status_ok",
            Role::StatusMissing => "status_missing",
            Role::StatusWarn => "status_warn",
            Role::StatusBarFg => "status_bar_fg",
            Role::StatusBarBg => "status_bar_bg",
            Role::Error => "error",
            Role::Key => "key",
            Role::SearchMatch => "search_match",
        }
    }

    fn is_background(self) -> bool {
        self.name().ends_with("_bg")
    }

    fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// Keys of a theme file that are not roles.
const META_KEYS: [&str; 3] = ["name", "description", "base"];

/// A loaded theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<Role, Style>,
}

impl Theme {
    /// The built-in theme `name`. Panics only if a file in `themes/` is broken, which the
    /// tests below rule out.
    pub fn built_in(name: &str) -> Option<Theme> {
        load_built_in(name, Path::new(""), 0)
            .map(|r| r.unwrap_or_else(|e| panic!("built-in theme {name}: {e}")))
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }

    fn pair(&self, fg: Role, bg: Role) -> Style {
        self.style(fg).patch(self.style(bg))
    }

    pub fn header(&self) -> Style {
        self.pair(Role::HeaderFg, Role::HeaderBg)
    }

    pub fn tab_active(&self) -> Style {
        self.pair(Role::TabActiveFg, Role::TabActiveBg)
    }

    pub fn selection(&self) -> Style {
        self.pair(Role::SelectionFg, Role::SelectionBg)
    }

    pub fn status_bar(&self) -> Style {
        self.pair(Role::StatusBarFg, Role::StatusBarBg)
    }
}

/// A theme that could not be found or read, with the file, line and field when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeError {
    pub file: String,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", tr("主题文件", "theme file"), self.file)?;
        if let Some(line) = self.line {
            write!(f, "{} {line}", tr("，第", ", line"))?;
            if crate::i18n::lang() == crate::i18n::Lang::Zh {
                f.write_str(" 行")?;
            }
        }
        if let Some(field) = &self.field {
            write!(f, "{} `{field}`", tr("，字段", ", field"))?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ThemeError {}

/// Picks the theme: the `--theme` flag, then `theme` in config.toml, then `mono` when `NO_COLOR`
/// is set (an explicit choice wins over NO_COLOR, as no-color.org asks), then `default`.
pub fn select(
    flag: Option<&str>,
    config: Option<&str>,
    themes_dir: &Path,
    no_color: bool,
) -> Result<Theme, ThemeError> {
    let choice = flag.or(config).map(str::trim).filter(|c| !c.is_empty());
    match choice {
        Some(c) => load(c, themes_dir),
        None if no_color => load("mono", themes_dir),
        None => load("default", themes_dir),
    }
}

/// True when the `NO_COLOR` convention asks for no colours.
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Loads a theme by NAME (user file first, then built in) or by PATH.
pub fn load(name_or_path: &str, themes_dir: &Path) -> Result<Theme, ThemeError> {
    if looks_like_path(name_or_path) {
        load_file(Path::new(name_or_path), themes_dir, 0)
    } else {
        load_named(name_or_path, themes_dir, 0)
    }
}

/// Parses theme text as a user's theme file `file` (bases are looked up in `themes_dir`).
/// For the fuzz targets.
#[doc(hidden)]
pub fn parse_text(text: &str, file: &str, themes_dir: &Path) -> Result<Theme, ThemeError> {
    parse(text, file, themes_dir, 0, false)
}

fn looks_like_path(s: &str) -> bool {
    s.contains('/') || s.contains('\\') || s.ends_with(".toml")
}

/// How deep `base` chains may go; deeper means a loop.
const MAX_DEPTH: usize = 8;

fn load_named(name: &str, themes_dir: &Path, depth: usize) -> Result<Theme, ThemeError> {
    let user = themes_dir.join(format!("{name}.toml"));
    if user.is_file() {
        return load_file(&user, themes_dir, depth);
    }
    match load_built_in(name, themes_dir, depth) {
        Some(result) => result,
        None => {
            let names: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
            Err(ThemeError {
                file: user.display().to_string(),
                line: None,
                field: None,
                message: format!(
                    "{} '{name}'; {}: {}; {}",
                    tr("没有这个主题", "there is no theme"),
                    tr("内置主题", "built-in themes"),
                    names.join(", "),
                    tr(
                        "自定义主题请放在上面这个路径",
                        "put a theme of your own at the path above"
                    )
                ),
            })
        }
    }
}

/// The built-in theme `name`, or `None` if there is none by that name.
fn load_built_in(name: &str, themes_dir: &Path, depth: usize) -> Option<Result<Theme, ThemeError>> {
    let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
    let file = format!("themes/{name}.toml ({})", tr("内置", "built in"));
    // The built-in default is the root every other theme without `base` is layered on.
    let root = name == "default";
    Some(parse(text, &file, themes_dir, depth, root))
}

fn load_file(path: &Path, themes_dir: &Path, depth: usize) -> Result<Theme, ThemeError> {
    let text = crate::config::read_settings_file(path).map_err(|e| ThemeError {
        file: path.display().to_string(),
        line: None,
        field: None,
        message: format!("{}: {e}", tr("无法读取", "cannot read it")),
    })?;
    parse(&text, &path.display().to_string(), themes_dir, depth, false)
}

/// Parses theme file `text` (called `file` in errors) on top of its base: the theme named by
/// `base`, else the built-in default (unless this is the `root` itself).
fn parse(
    text: &str,
    file: &str,
    themes_dir: &Path,
    depth: usize,
    root: bool,
) -> Result<Theme, ThemeError> {
    let err_at = |span: Option<std::ops::Range<usize>>, field: Option<String>, message: String| {
        let line = span.map(|s| line_of(text, s.start));
        let field = field.or_else(|| line.and_then(|l| key_on_line(text, l)));
        ThemeError {
            file: file.to_string(),
            line,
            field,
            message,
        }
    };
    let entries: BTreeMap<String, toml::Spanned<String>> = toml::from_str(text)
        .map_err(|e| err_at(e.span(), None, crate::config::one_line(e.message())))?;

    let base_name = entries.get("base").map(|b| b.get_ref().trim().to_string());
    let own_name = entries.get("name").map(|n| n.get_ref().clone());
    let mut theme = match &base_name {
        Some(_) if depth >= MAX_DEPTH => {
            let span = entries.get("base").map(|b| b.span());
            return Err(err_at(
                span,
                Some("base".into()),
                tr("主题的 base 形成了循环", "the base themes form a loop").into(),
            ));
        }
        Some(base) if looks_like_path(base) => load_file(Path::new(base), themes_dir, depth + 1)?,
        Some(base) => load_named(base, themes_dir, depth + 1)?,
        None if root => Theme {
            name: String::new(),
            styles: BTreeMap::new(),
        },
        None => match load_built_in("default", themes_dir, depth + 1) {
            Some(default) => default?,
            None => Theme {
                name: String::new(),
                styles: BTreeMap::new(),
            },
        },
    };
    theme.name = own_name.unwrap_or_else(|| file.to_string());

    for (key, value) in &entries {
        if META_KEYS.contains(&key.as_str()) {
            continue;
        }
        let Some(role) = Role::from_name(key) else {
            let roles: Vec<&str> = Role::ALL.iter().map(|r| r.name()).collect();
            return Err(err_at(
                Some(value.span()),
                Some(key.clone()),
                format!(
                    "{}; {}: {}",
                    tr("没有这个角色", "unknown role"),
                    tr("可用的角色", "roles"),
                    roles.join(", ")
                ),
            ));
        };
        let style = parse_style(value.get_ref(), role.is_background())
            .map_err(|message| err_at(Some(value.span()), Some(key.clone()), message))?;
        theme.styles.insert(role, style);
    }
    Ok(theme)
}

/// One role's value: at most one colour and any modifiers, separated by spaces.
fn parse_style(text: &str, background: bool) -> Result<Style, String> {
    let mut style = Style::default();
    let mut colour_seen = false;
    for word in text.split_whitespace() {
        let modifier = match word.to_ascii_lowercase().as_str() {
            "bold" => Some(Modifier::BOLD),
            "dim" => Some(Modifier::DIM),
            "italic" => Some(Modifier::ITALIC),
            "underlined" | "underline" => Some(Modifier::UNDERLINED),
            "reversed" | "reverse" => Some(Modifier::REVERSED),
            "crossed_out" | "strikethrough" => Some(Modifier::CROSSED_OUT),
            _ => None,
        };
        if let Some(m) = modifier {
            style = style.add_modifier(m);
            continue;
        }
        let colour = Color::from_str(word).map_err(|_| {
            format!(
                "'{word}' {}",
                tr(
                    "既不是颜色也不是修饰：颜色用 16 个 ANSI 名称（red、light_blue、dark_gray…）、#rrggbb 或 0–255，修饰用 bold、dim、italic、underlined、reversed、crossed_out",
                    "is neither a colour nor a modifier: colours are the 16 ANSI names (red, light_blue, dark_gray, ...), #rrggbb or 0-255; modifiers are bold, dim, italic, underlined, reversed, crossed_out"
                )
            )
        })?;
        if colour_seen {
            return Err(format!(
                "'{word}': {}",
                tr("一个角色只能有一种颜色", "a role takes one colour")
            ));
        }
        colour_seen = true;
        style = if background {
            style.bg(colour)
        } else {
            style.fg(colour)
        };
    }
    Ok(style)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).unwrap_or(text).matches('\n').count() + 1
}

/// The key written on line `line` (1-based), for errors whose span is the line.
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let l = text.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('#') && !key.starts_with('[')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSI_16: [Color; 16] = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];

    fn colours(theme: &Theme) -> Vec<Color> {
        Role::ALL
            .iter()
            .flat_map(|r| [theme.style(*r).fg, theme.style(*r).bg])
            .flatten()
            .collect()
    }

    #[test]
    fn built_in_themes_set_every_role_themselves() {
        for (name, text) in BUILT_IN {
            let table: toml::Table = toml::from_str(text).unwrap();
            for role in Role::ALL {
                assert!(
                    table.contains_key(role.name()),
                    "themes/{name}.toml does not set {}",
                    role.name()
                );
            }
            let theme = Theme::built_in(name).unwrap();
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn default_uses_only_the_16_ansi_colours_and_mono_none() {
        let default = Theme::built_in("default").unwrap();
        let used = colours(&default);
        assert!(!used.is_empty());
        for c in used {
            assert!(ANSI_16.contains(&c), "default theme uses {c:?}");
        }
        let mono = Theme::built_in("mono").unwrap();
        assert_eq!(colours(&mono), Vec::<Color>::new());
        assert!(mono.selection().add_modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn fg_and_bg_roles_combine() {
        let t = Theme::built_in("default").unwrap();
        assert_eq!(t.selection().fg, Some(Color::Black));
        assert_eq!(t.selection().bg, Some(Color::Cyan));
        assert_eq!(t.header().bg, Some(Color::Blue));
        assert!(t.header().add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn selection_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let cases = [
            (None, None, false, "default"),
            (None, None, true, "mono"),
            (None, Some("light"), true, "light"),
            (Some("high-contrast"), Some("light"), false, "high-contrast"),
            (Some("  "), None, false, "default"),
        ];
        for (flag, config, no_color, want) in cases {
            assert_eq!(
                select(flag, config, d, no_color).unwrap().name,
                want,
                "{flag:?} {config:?} {no_color}"
            );
        }
    }

    /// A `base` naming a device or a folder is refused at once instead of read without end.
    #[test]
    fn a_base_that_is_not_a_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for base in ["/dev/zero", "/dev/urandom"] {
            let path = dir.path().join("t.toml");
            std::fs::write(&path, format!("base = \"{base}\"\n")).unwrap();
            let err = load_file(&path, dir.path(), 0).unwrap_err();
            assert_eq!(err.file, base, "the error names the base file");
        }
        let big = dir.path().join("big.toml");
        std::fs::write(&big, "# \n".repeat(400_000)).unwrap();
        assert!(
            load_file(&big, dir.path(), 0)
                .unwrap_err()
                .message
                .contains("1 MiB")
        );
        assert!(
            load_file(dir.path(), dir.path(), 0).is_err(),
            "a folder is not a theme"
        );
    }

    #[test]
    fn user_themes_layer_on_a_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("campus.toml"),
            "name = \"campus\"\nbase = \"light\"\nborder = \"#008080 bold\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("plain.toml"), "status_ok = \"magenta\"\n").unwrap();
        // a user file with a built-in's name replaces it
        std::fs::write(dir.path().join("mono.toml"), "name = \"my mono\"\n").unwrap();

        let campus = load("campus", dir.path()).unwrap();
        let light = Theme::built_in("light").unwrap();
        assert_eq!(campus.name, "campus");
        assert_eq!(
            campus.style(Role::Border),
            Style::new()
                .fg(Color::Rgb(0, 0x80, 0x80))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(campus.selection(), light.selection());

        let plain = load("plain", dir.path()).unwrap();
        assert_eq!(plain.style(Role::StatusOk).fg, Some(Color::Magenta));
        assert_eq!(
            plain.style(Role::Border),
            Theme::built_in("default").unwrap().style(Role::Border)
        );

        assert_eq!(load("mono", dir.path()).unwrap().name, "my mono");

        let by_path = dir.path().join("campus.toml");
        assert_eq!(
            load(by_path.to_str().unwrap(), Path::new("/"))
                .unwrap()
                .name,
            "campus"
        );
    }

    #[test]
    fn bad_theme_files_name_file_line_and_field() {
        let cases = [
            // (file text, line, field, words in the message)
            (
                "name = \"x\"\nborder = \"bleu\"\n",
                Some(2),
                Some("border"),
                "bleu",
            ),
            (
                "border = \"blue\"\n\nbordr = \"red\"\n",
                Some(3),
                Some("bordr"),
                "selection_bg",
            ),
            ("title = \"red blue\"\n", Some(1), Some("title"), "blue"),
            ("muted = 3\n", Some(1), Some("muted"), "string"),
            ("text = \"red\"\nkey = \"bold\n", Some(2), None, ""),
            ("base = \"nosuch\"\n", None, None, "nosuch"),
        ];
        for (i, (text, line, field, needle)) in cases.into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bad.toml");
            std::fs::write(&path, text).unwrap();
            let err = load(path.to_str().unwrap(), dir.path()).unwrap_err();
            let shown = err.to_string();
            if line.is_some() {
                assert!(err.file.ends_with("bad.toml"), "case {i}: {shown}");
            }
            assert_eq!(err.line, line, "case {i}: {shown}");
            if let Some(f) = field {
                assert_eq!(err.field.as_deref(), Some(f), "case {i}: {shown}");
            }
            assert!(
                shown.contains(needle),
                "case {i}: {shown:?} should mention {needle:?}"
            );
        }
    }

    #[test]
    fn unknown_names_and_loops_are_explained() {
        let dir = tempfile::tempdir().unwrap();
        let err = load("solarized", dir.path()).unwrap_err().to_string();
        for needle in ["solarized", "default", "light", "high-contrast", "mono"] {
            assert!(err.contains(needle), "{err}");
        }
        std::fs::write(dir.path().join("a.toml"), "base = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("b.toml"), "base = \"a\"\n").unwrap();
        let err = load("a", dir.path()).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("base"), "{err}");
    }
}
