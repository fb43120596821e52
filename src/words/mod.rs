//! How values from below the faces read in the user's language (docs/architecture.md, "Words
//! at the edge"). The store, the domain and the codes return data — error enums with their
//! fields — and their `Display` is written here, beside the faces, which with this catalogue
//! are the only code that reads the interface language.

pub mod checkin;
mod code;
mod domain;
mod files;
mod photos;
mod plan;
pub mod reports;
mod roster;
mod store;

/// One line for the user: the error and its causes, without repeats.
pub fn error_line(err: &anyhow::Error) -> String {
    cause_line(err.as_ref())
}

/// `error_line` of a typed error.
pub fn cause_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in std::iter::successors(Some(err), |e| e.source()) {
        let text = crate::config::one_line(&cause.to_string());
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
