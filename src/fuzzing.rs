//! The bodies of the fuzz targets in `fuzz/`: every parser of outside input, fed arbitrary
//! bytes. `cargo fuzz run <target>` calls them under libFuzzer (nightly), and
//! `tests/fuzz_corpus.rs` replays the saved corpora through the same functions on stable, so a
//! crash once found stays fixed.
//!
//! Each function must return normally for every input: a panic, an endless loop or unbounded
//! memory is a bug in the product code it calls, never something to catch here. Results are
//! used (messages formatted, values re-encoded) so that the code that shows them runs too.

pub mod seeds;

use std::path::Path;
use std::sync::OnceLock;

use crate::code::{self, Keyring};
use crate::config::Config;
use crate::domain::photo_spec::{self, PhotoSpec};
use crate::i18n::Lang;
use crate::roster::{self, Limits, ReadOptions};
use crate::tui::keymap::Keymap;
use crate::tui::theme::{self, Role};

/// A fuzz target's body: bytes in, a panic for anything wrong.
pub type Target = fn(&[u8]);

/// Every target, by the name of its `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("token", token),
    ("roster_csv", roster),
    ("roster_xlsx", roster),
    ("jpeg", jpeg),
    ("theme", theme),
    ("config", config),
    ("scanner", scanner),
    ("keyring", keyring),
];

/// The fixed test keyring of the token targets: key 1 (old) and key 2 (current).
pub const TEST_KEYRING: &str = "\
caiji-keyring 1
key 1 2026-05-01 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
key 2 2026-09-01 f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f current
";

/// The test keyring as a check-in station holds it.
fn station_keys() -> &'static crate::ops::checkin::StationKeys {
    static KEYS: OnceLock<crate::ops::checkin::StationKeys> = OnceLock::new();
    KEYS.get_or_init(|| crate::ops::checkin::StationKeys::Ready(test_keyring().clone()))
}

pub fn test_keyring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| {
        Keyring::from_text(Path::new("fuzz.keys"), TEST_KEYRING).expect("the test keyring parses")
    })
}

/// Token decoding. The first byte picks the path: even, the rest is a scanned text run through
/// `verify` (base45, header, key lookup, authentication); odd, the rest is sealed as a payload
/// with the test key first, so the payload decoder behind authentication is reached too.
pub fn token(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let ring = test_keyring();
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest);
        if let Ok(bytes) = code::base45::decode(&text) {
            assert_eq!(
                code::base45::decode(&code::base45::encode(&bytes)),
                Ok(bytes),
                "base45 round trip"
            );
        }
        show_verified(code::verify(&text, ring));
    } else {
        let (serial, plaintext) = match rest.split_first_chunk::<8>() {
            Some((serial, plaintext)) => (u64::from_be_bytes(*serial), plaintext),
            None => (0, rest),
        };
        if let Ok(issued) = code::token::seal(plaintext, serial, ring) {
            let verified = code::verify(&issued.text, ring);
            // Whatever was sealed either reads back as a payload or is refused as corrupt.
            assert!(
                matches!(verified, Ok(_) | Err(code::VerifyError::CorruptPayload)),
                "a sealed token failed as {verified:?}"
            );
            show_verified(verified);
        }
    }
}

fn show_verified(result: Result<code::CodePayload, code::VerifyError>) {
    match result {
        Ok(payload) => {
            // Anything that verifies must be a payload caiji itself could issue.
            let again =
                code::issue(&payload, test_keyring()).expect("a verified payload issues again");
            assert_eq!(
                code::verify(&again.text, test_keyring()).as_ref(),
                Ok(&payload)
            );
        }
        Err(e) => drop(e.to_string()),
    }
}

/// Roster files (CSV in any encoding, XLSX), read from memory exactly as `caiji import` reads a
/// file, with limits small enough for a fuzzer's inputs.
pub fn roster(data: &[u8]) {
    let options = ReadOptions {
        sheet: None,
        lang: crate::i18n::Lang::En,
        limits: Limits {
            max_rows: 5_000,
            max_record_bytes: 64 << 10,
            max_file_bytes: 4 << 20,
        },
    };
    match roster::read_bytes(data, "fuzz.csv", &options, &mut |_| {}) {
        Ok(outcome) => {
            for rejection in &outcome.rejections {
                drop(format!("{rejection:?}"));
            }
        }
        Err(e) => {
            drop(e.message(Lang::Zh));
            drop(e.message(Lang::En));
        }
    }
}

/// The photo checks: format sniffing, the JPEG marker walk and the spec's verdict on it.
pub fn jpeg(data: &[u8]) {
    let facts = crate::photos::jpeg::examine(data);
    for spec in [
        PhotoSpec::default(),
        PhotoSpec {
            width: 1,
            height: 1,
            min_bytes: 0,
            max_bytes: u64::MAX,
        },
    ] {
        for problem in photo_spec::check(&facts, data.len() as u64, &spec) {
            drop(problem.message(Lang::Zh));
            drop(problem.message(Lang::En));
            drop(problem.machine_text());
        }
    }
}

/// A theme file (`--theme path.toml`), on top of the built-in themes.
pub fn theme(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match theme::parse_text(
        text,
        "fuzz.toml",
        Path::new("/nonexistent/caiji-fuzz-themes"),
    ) {
        Ok(theme) => {
            for role in Role::ALL {
                theme.style(role);
            }
        }
        Err(e) => drop(e.to_string()),
    }
}

/// `config.toml`, and what the console does with it at start: the photo spec and key overrides.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Config::parse(text) {
        Ok(config) => {
            drop(PhotoSpec::from_config(&config.photo));
            if let Err(e) = Keymap::with_overrides(&config.keys) {
                drop(e.to_string());
            }
        }
        Err(e) => drop(e.to_string()),
    }
}

/// What a check-in station does with scanner input before the database: lines as the reader
/// thread splits them, decoded leniently, normalised and judged, then verified with the key.
pub fn scanner(data: &[u8]) {
    for raw in data.split_inclusive(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        if line.trim().is_empty() {
            continue;
        }
        let token = crate::ops::checkin::normalise_token(&line);
        assert_eq!(
            crate::ops::checkin::normalise_token(&token),
            token,
            "normalising is idempotent"
        );
        if let Err(refusal) = crate::ops::checkin::verify(&token, station_keys()) {
            drop(crate::domain::text::strip_controls(
                &crate::words::checkin::reason_words(
                    &refusal.reason,
                    &crate::words::checkin::Hints::command_line(),
                ),
            ));
        }
        show_verified(code::verify(&line, test_keyring()));
    }
}

/// The key file.
pub fn keyring(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Keyring::from_text(Path::new("fuzz.keys"), text) {
        Ok(ring) => {
            let list = ring.list();
            assert_eq!(
                list.iter().filter(|k| k.current).count(),
                1,
                "exactly one current key"
            );
            assert!(ring.contains(ring.current_id()));
        }
        Err(e) => {
            let message = e.to_string();
            // No message may quote the file back: a key in it would reach the screen or a log.
            // Keys are ASCII; a word of the message's own Chinese text that happens to be in
            // the file (the fuzzer found one) is not a quote.
            for word in text
                .split_whitespace()
                .filter(|w| w.len() >= 16 && w.bytes().all(|b| b.is_ascii_graphic()))
            {
                assert!(!message.contains(word), "{message}");
            }
        }
    }
}
