//! The console. (stub: to be written)

use std::sync::Arc;

use crate::config::{Config, Paths};
use crate::store::Store;

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
    pub theme: Option<String>,
    pub paths: Paths,
}

pub async fn run(_ctx: TuiContext) -> anyhow::Result<()> {
    Ok(())
}
