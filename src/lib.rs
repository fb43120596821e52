//! caiji (采集): the library behind the `caiji` console — graduate photo collection under the
//! collection-code mode (采集码). The binary in `main.rs` only wires these modules together.
//!
//! `unsafe` code lives in one module only, `store::sqlite_raw` (docs/architecture.md).
#![deny(unsafe_code)]

pub mod cli;
pub mod clock;
pub mod code;
pub mod commands;
pub mod config;
pub mod demo;
pub mod domain;
pub mod export;
pub mod files;
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod ops;
pub mod output;
pub mod photos;
pub mod roster;
pub mod store;
pub mod tui;
pub mod words;
