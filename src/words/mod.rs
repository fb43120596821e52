//! How values from below the faces read in the user's language (docs/architecture.md, "Words
//! at the edge"). The store and the domain return data — error enums with their fields — and
//! their `Display` is written here, beside the faces, which with this catalogue are the only
//! code that reads the interface language.

mod domain;
mod store;
