//! Where caiji keeps its files, and `config.toml`.
//!
//! The data directory holds the SQLite database, the key file and the log; `CAIJI_HOME` replaces
//! it (and the config directory) wholesale, which is what tests and scripts use.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::i18n::Lang;

/// The directories caiji uses on this machine.
#[derive(Debug, Clone)]
pub struct Paths {
    pub data_dir: PathBuf,
    pub config_dir: PathBuf,
}

impl Paths {
    pub fn from_env() -> Result<Paths> {
        if let Some(home) = std::env::var_os("CAIJI_HOME").filter(|h| !h.is_empty()) {
            let home = PathBuf::from(home);
            return Ok(Paths {
                data_dir: home.clone(),
                config_dir: home,
            });
        }
        let dirs = directories::ProjectDirs::from("", "", "caiji")
            .context("cannot find a home directory; set CAIJI_HOME to a folder caiji may use")?;
        Ok(Paths {
            data_dir: dirs.data_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.toml")
    }

    pub fn default_database(&self) -> PathBuf {
        self.data_dir.join("caiji.db")
    }

    pub fn default_database_url(&self) -> String {
        format!("sqlite://{}", self.default_database().display())
    }

    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("caiji.log")
    }

    pub fn themes_dir(&self) -> PathBuf {
        self.config_dir.join("themes")
    }

    /// Where the console writes exported reports unless `export_dir` says otherwise.
    pub fn exports_dir(&self) -> PathBuf {
        self.data_dir.join("exports")
    }

    /// As [`Paths::ensure_data_dir`], and returns the folders it made, innermost first, so that a
    /// command that in the end writes nothing can take them away again.
    pub fn create_data_dir(&self) -> Result<Vec<PathBuf>> {
        let missing: Vec<PathBuf> = self
            .data_dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err())
            .map(Path::to_path_buf)
            .collect();
        self.ensure_data_dir()?;
        Ok(missing)
    }

    /// Creates the data directory (mode 0700 on Unix: it holds the roster and the key).
    pub fn ensure_data_dir(&self) -> Result<()> {
        let dir = &self.data_dir;
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).with_context(|| {
                format!(
                    "cannot create the data directory {}; set CAIJI_HOME to a writable folder",
                    dir.display()
                )
            })?;
        }
        Ok(())
    }
}

/// Which database to use: `--database-url`, then `CAIJI_DATABASE_URL`, then `DATABASE_URL`, then
/// the SQLite file in the data directory. Returns the URL and whether it was the default.
pub fn database_url(flag: Option<&str>, paths: &Paths) -> (String, bool) {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match flag
        .map(str::to_string)
        .or_else(|| from_env("CAIJI_DATABASE_URL"))
        .or_else(|| from_env("DATABASE_URL"))
    {
        Some(url) => (url.trim().to_string(), false),
        None => (paths.default_database_url(), true),
    }
}

/// The school whose graduates are collected.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct School {
    /// 学校代码 (the ten-digit national code, e.g. 4111010001).
    pub code: String,
    pub name: String,
}

/// Overrides of the photo specification: `[photo]` in `config.toml`. The type belongs to the
/// rules (`domain::photo_spec`), which read no configuration themselves.
pub use crate::domain::photo_spec::SpecOverrides as PhotoSpecConfig;

/// A school database to sync the roster from (`caiji roster sync`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RosterSource {
    pub url: String,
    pub query: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RosterConfig {
    pub source: Option<RosterSource>,
}

/// `config.toml`. Every field is optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub school: Option<School>,
    /// 届: the graduating year the console shows by default.
    pub cohort: Option<i32>,
    pub lang: Option<Lang>,
    pub theme: Option<String>,
    pub mouse: Option<bool>,
    #[serde(default)]
    pub photo: PhotoSpecConfig,
    /// Key binding overrides: action name → key (for example `quit = "ctrl-q"`).
    #[serde(default)]
    pub keys: BTreeMap<String, String>,
    #[serde(default)]
    pub roster: RosterConfig,
    /// Where the console writes the reports it exports (default: `exports/` in the data dir).
    pub export_dir: Option<PathBuf>,
    /// How often the console reads again the counts and the screen shown, so a second
    /// console sees other stations' scans (default 5; 0: never).
    pub poll_seconds: Option<u64>,
    /// The letter of this station's provisional labels while offline (docs/sessions.md
    /// "Offline stations").
    pub station_letter: Option<String>,
}

impl Config {
    /// Reads `path`; a missing file is an empty config, a bad one an error naming line and field.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match read_settings_file(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => bail!("cannot read {}: {e}", path.display()),
        };
        Config::parse(&text)
            .with_context(|| format!("{} is not a valid caiji config", path.display()))
    }

    pub fn parse(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))
    }
}

/// A file too large to be a config or theme file (its words are in `words::files`).
#[derive(Debug)]
pub struct TooLargeForSettings;

impl std::error::Error for TooLargeForSettings {}

/// Config and theme files are a few lines; anything larger is not one.
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// Reads a config or theme file: a regular file of at most [`MAX_SETTINGS_BYTES`] of UTF-8. A
/// path that names a device (`/dev/zero`), a FIFO, a folder or a huge file is refused instead of
/// read.
pub fn read_settings_file(path: &Path) -> std::io::Result<String> {
    use std::io::{Error, ErrorKind, Read};
    // a regular file only, never waiting on a FIFO or a device (docs/files.md)
    let file = crate::files::open_input(path)?;
    let mut text = String::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(Error::new(ErrorKind::InvalidData, TooLargeForSettings));
    }
    Ok(text)
}

/// toml's messages span several lines with a source excerpt; the console wants one.
pub fn one_line(msg: &str) -> String {
    msg.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with('|') && !l.chars().all(|c| c == '^' || c == ' ')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_path_that_is_not_a_small_file_is_refused() {
        assert!(
            Config::load(Path::new("/dev/zero")).is_err(),
            "a device is not read without end"
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(
            Config::load(dir.path()).is_err(),
            "a folder is not a config"
        );
        let big = dir.path().join("config.toml");
        std::fs::write(&big, "# \n".repeat(400_000)).unwrap();
        assert!(format!("{:#}", Config::load(&big).unwrap_err()).contains("1 MiB"));
        assert!(
            Config::load(&dir.path().join("missing.toml")).is_ok(),
            "a missing file is an empty config"
        );
    }

    #[test]
    fn full_config_parses() {
        let cfg = Config::parse(
            r#"
            cohort = 2026
            lang = "en"
            theme = "light"
            [school]
            code = "4111010001"
            name = "示例大学"
            [photo]
            min_kb = 25
            [keys]
            quit = "ctrl-q"
            [roster.source]
            url = "postgres://reader@jw.example.edu/jw"
            query = "SELECT * FROM graduates"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.cohort, Some(2026));
        assert_eq!(cfg.lang, Some(Lang::En));
        assert_eq!(cfg.school.unwrap().name, "示例大学");
        assert_eq!(cfg.photo.min_kb, Some(25));
        assert_eq!(cfg.keys.get("quit").map(String::as_str), Some("ctrl-q"));
        assert!(cfg.roster.source.is_some());
    }

    #[test]
    fn bad_config_names_the_field() {
        let err = Config::parse("cohort = \"soon\"").unwrap_err().to_string();
        assert!(err.contains("cohort"), "{err}");
        let err = Config::parse("[school]\ncode = \"1\"\nnmae = \"x\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("nmae"), "{err}");
    }
}
