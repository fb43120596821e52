//! The school whose graduates are collected, as headers and codes show it.

use crate::config::Config;
use crate::store::{Result, Store};

/// The school whose graduates are collected, as headers and codes show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolInfo {
    pub code: String,
    /// Empty when neither the configuration nor the database names the school.
    pub name: String,
    pub cohort: i32,
}

/// The school and cohort shown in headers and carried by codes: config first, then the
/// database's settings (so every station of a shared server agrees), then neutral defaults.
pub async fn school_info(config: &Config, store: &dyn Store) -> Result<SchoolInfo> {
    let setting = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let (code, name) = match &config.school {
        Some(s) => (s.code.clone(), s.name.clone()),
        None => (
            setting(store.get_setting("school_code").await?).unwrap_or_else(|| "0000000000".into()),
            setting(store.get_setting("school_name").await?).unwrap_or_default(),
        ),
    };
    let cohort = match config.cohort {
        Some(c) => c,
        None => setting(store.get_setting("cohort").await?)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(crate::demo::default_cohort),
    };
    Ok(SchoolInfo { code, name, cohort })
}
