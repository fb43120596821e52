//! Queries: what was typed, split into tokens and normalised, and when a query only narrows
//! the previous one.

use super::units::{self, fold};
use super::{MAX_TOKEN_CHARS, MAX_TOKENS};

/// A parsed query: words separated by spaces, every word must match somewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The tokens joined by single spaces: what `narrows` compares.
    text: String,
    pub(super) tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) chars: Vec<char>,
    /// Letters and digits in the token (a name without them all cannot match).
    pub(super) mask: u64,
    /// The token as bytes when it is only ASCII letters and digits (it may then be part of a 学号).
    pub(super) ascii: Option<Vec<u8>>,
    /// The bit of the first character when it is an ASCII letter or digit (it must begin a
    /// reading), else 0.
    pub(super) first_bit: u64,
}

impl Query {
    /// Splits `input` into tokens: full-width ASCII folded, letters lower-cased, control
    /// characters and name separators (`·`, `-`, `.`) dropped.
    pub fn parse(input: &str) -> Query {
        let mut tokens = Vec::new();
        for word in input.split(|c: char| c.is_whitespace() || c == '\u{3000}') {
            let chars: Vec<char> = word
                .chars()
                .map(fold)
                .filter(|c| !c.is_control() && !units::is_separator(*c))
                .take(MAX_TOKEN_CHARS)
                .collect();
            if chars.is_empty() {
                continue;
            }
            if tokens.len() == MAX_TOKENS {
                break;
            }
            let ascii = chars
                .iter()
                .all(char::is_ascii_alphanumeric)
                .then(|| chars.iter().map(|c| *c as u8).collect());
            let mask = chars
                .iter()
                .filter(|c| c.is_ascii())
                .fold(0, |m, c| m | units::bit(*c as u8));
            let first_bit = chars
                .first()
                .filter(|c| c.is_ascii())
                .map_or(0, |c| units::bit(*c as u8));
            tokens.push(Token {
                chars,
                mask,
                ascii,
                first_bit,
            });
        }
        let text = tokens
            .iter()
            .map(|t| t.chars.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
        Query { text, tokens }
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The normalised query (tokens joined by single spaces).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// True when every row matching `self` also matches `previous`, so searching the previous
    /// hits is enough. Holds when `self` only adds characters at the end: a longer last token
    /// or more tokens (every kind of match is closed under dropping the last character).
    pub fn narrows(&self, previous: &Query) -> bool {
        self.text.starts_with(&previous.text)
    }
}
