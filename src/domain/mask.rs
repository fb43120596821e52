//! Masking exactly as SPEC §4. (stub: to be written)

pub fn mask_name(name: &str) -> String {
    name.to_string()
}

pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect::<String>().to_uppercase();
    format!("*****{tail}")
}
