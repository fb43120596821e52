//! Collection codes (采集码): token format, keyring, QR rendering (docs/token.md and docs/qr.md).
//!
//! Pure apart from the key file: `issue` seals a [`CodePayload`] into a token with the keyring's
//! current key, `verify` opens one with any key of the ring, and [`qr`] turns a token into a
//! module matrix for the terminal, PNG or SVG. Revocation lives in the store, which wraps a
//! verified payload in a [`VerifyOutcome`].

pub mod base45;
pub mod keyring;
mod pack;
pub mod payload;
pub mod qr;
pub mod slate;
pub mod token;

#[cfg(test)]
mod tests;

pub use keyring::{KeyInfo, Keyring, KeyringError};
pub use payload::{CodePayload, PayloadError};
pub use qr::{QrError, QrMatrix, render_ansi, render_plain, to_png, to_svg};
pub use slate::{Slate, SlateError, open_slate, seal_slate};
pub use token::{
    IssueError, IssuedToken, Revocation, VerifyError, VerifyOutcome, issue, normalize_input, verify,
};
