//! Student names: normalisation of separators and validation. (stub: to be written)

pub fn normalize_name(raw: &str) -> String {
    raw.trim().to_string()
}
