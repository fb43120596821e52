//! How values from below the faces read in the user's language (docs/architecture.md, "Words
//! at the edge"). The store, the domain and the codes return data — error enums with their
//! fields — and their `Display` is written here, beside the faces, which with this catalogue
//! are the only code that reads the interface language.

pub mod checkin;
mod code;
mod domain;
mod photos;
pub mod reports;
mod store;
