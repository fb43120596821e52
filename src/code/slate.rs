//! Station slates (docs/slate.md): after each accepted scan the station shows the shot number
//! and a QR code for the camera to photograph. On the card that frame is a keyframe, like a
//! photographed collection code, so a student whose phone is dead is still matched.
//!
//! A slate is sealed like a code (the same header, AES-256-GCM, base45) with its own prefix
//! `CJS1:` and its own key derived from each key of the key file. Header serial: the student's
//! collection-code serial. Sealed payload: `session id varint · shot varint`, then for a scan
//! queued at an offline station its provisional label `letter u8 · number varint` (shot 0 when
//! the server has not given one yet); docs/slate.md "Format".

use super::keyring::Keyring;
use super::pack::{Reader, put_varint};
use super::qr::{QUIET_ZONE, QrMatrix};
use super::token::{IssueError, Kind, VerifyError, open, seal_kind};

/// What every slate starts with (the digit is the slate format version).
pub const PREFIX: &str = "CJS1:";

/// What a slate says: this is shot `shot` of session `session` (or, for a scan queued at an
/// offline station, the scan with provisional label `label`), the student whose code has serial
/// `serial`. At least one of `shot` and `label` is there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Slate {
    pub session: i64,
    pub shot: Option<i32>,
    pub label: Option<String>,
    pub serial: u64,
}

/// Why a slate cannot be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SlateError {
    #[error("{0}")]
    Issue(#[from] IssueError),
    #[error("a slate needs a shot number or a provisional label")]
    Empty,
    #[error("{0:?} is not a provisional label (a letter, a dash and a number, like B-017)")]
    BadLabel(String),
}

/// A provisional label `B-017` as its letter and number (docs/sessions.md "Labels").
pub fn parse_label(label: &str) -> Option<(u8, u64)> {
    let (letter, number) = label.split_once('-')?;
    let &[letter] = letter.as_bytes() else {
        return None;
    };
    if !letter.is_ascii_uppercase()
        || number.is_empty()
        || !number.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let number: u64 = number.parse().ok()?;
    (number > 0).then_some((letter, number))
}

/// The label of `letter` and `number`, as the station writes it (three digits at least).
pub fn format_label(letter: u8, number: u64) -> String {
    format!("{}-{number:03}", char::from(letter))
}

/// Seals `slate` with the keyring's current key; the text is what the QR code holds.
pub fn seal_slate(slate: &Slate, keyring: &Keyring) -> Result<String, SlateError> {
    let shot = slate
        .shot
        .and_then(|s| u64::try_from(s).ok())
        .filter(|&s| s > 0);
    let label = match &slate.label {
        Some(l) => Some(parse_label(l).ok_or_else(|| SlateError::BadLabel(l.clone()))?),
        None => None,
    };
    if shot.is_none() && label.is_none() {
        return Err(SlateError::Empty);
    }
    let mut plain = Vec::with_capacity(12);
    put_varint(&mut plain, u64::try_from(slate.session).unwrap_or(0));
    put_varint(&mut plain, shot.unwrap_or(0));
    if let Some((letter, number)) = label {
        plain.push(letter);
        put_varint(&mut plain, number);
    }
    Ok(seal_kind(Kind::Slate, &plain, slate.serial, keyring)?.text)
}

/// Opens a scanned slate. Codes, tampered slates and slates of another key file are refused
/// with the code module's reasons. Slates sealed before labels existed (two varints) still open.
pub fn open_slate(text: &str, keyring: &Keyring) -> Result<Slate, VerifyError> {
    let (serial, plain) = open(Kind::Slate, text, keyring)?;
    let mut r = Reader {
        bytes: &plain,
        pos: 0,
    };
    let corrupt = |_| VerifyError::CorruptPayload;
    let session = r.varint().map_err(corrupt)?;
    let shot = r.varint().map_err(corrupt)?;
    let label = if r.pos < plain.len() {
        let letter = r.byte().map_err(corrupt)?;
        let number = r.varint().map_err(corrupt)?;
        if !letter.is_ascii_uppercase() || number == 0 {
            return Err(VerifyError::CorruptPayload);
        }
        Some(format_label(letter, number))
    } else {
        None
    };
    if r.pos != plain.len() || (shot == 0 && label.is_none()) {
        return Err(VerifyError::CorruptPayload);
    }
    Ok(Slate {
        session: i64::try_from(session).map_err(|_| VerifyError::CorruptPayload)?,
        shot: match shot {
            0 => None,
            s => Some(i32::try_from(s).map_err(|_| VerifyError::CorruptPayload)?),
        },
        label,
        serial,
    })
}

/// Rows of the large digits.
pub const DIGIT_ROWS: usize = 5;

/// Digits 3 columns wide and 5 rows high, drawn with full blocks.
const DIGITS: [[&str; DIGIT_ROWS]; 10] = [
    ["███", "█ █", "█ █", "█ █", "███"],
    [" █ ", "██ ", " █ ", " █ ", "███"],
    ["███", "  █", "███", "█  ", "███"],
    ["███", "  █", "███", "  █", "███"],
    ["█ █", "█ █", "███", "  █", "  █"],
    ["███", "█  ", "███", "  █", "███"],
    ["███", "█  ", "███", "█ █", "███"],
    ["███", "  █", "  █", "  █", "  █"],
    ["███", "█ █", "███", "█ █", "███"],
    ["███", "█ █", "███", "  █", "███"],
];

/// `n` in large digits: five strings of equal width (4 columns a digit, the last without gap).
pub fn big_number(n: i64) -> Vec<String> {
    let text = n.to_string();
    (0..DIGIT_ROWS)
        .map(|row| {
            text.chars()
                .filter_map(|c| c.to_digit(10))
                .map(|d| DIGITS[d as usize][row])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Whether scanned text is a slate rather than a code (by its prefix only).
pub fn is_slate(text: &str) -> bool {
    text.trim().to_uppercase().starts_with(PREFIX)
}

/// The code drawn `scale` times larger than the half-block rendering: each module `scale`
/// columns wide and `scale` half-rows high, with a quiet zone of `quiet` modules. Cells as in
/// [`QrMatrix::cells`]: (upper half dark, lower half dark).
pub fn scaled_cells(m: &QrMatrix, scale: usize, quiet: usize) -> Vec<Vec<(bool, bool)>> {
    let scale = scale.max(1);
    let side = (m.size() + 2 * quiet) * scale;
    let dark = |x: usize, y: usize| {
        let (mx, my) = (x / scale, y / scale);
        y < side && mx >= quiet && my >= quiet && m.is_dark(mx - quiet, my - quiet)
    };
    (0..side.div_ceil(2))
        .map(|row| {
            (0..side)
                .map(|x| (dark(x, 2 * row), dark(x, 2 * row + 1)))
                .collect()
        })
        .collect()
}

/// The largest drawing that fits `cols` × `rows` cells: (scale, quiet zone). The full quiet
/// zone of 4 modules where it fits, else 3 (a slate on an 80 × 24 station: the camera reads a
/// 3-module quiet zone well, and the cells around it are the station's, not a busy page).
pub fn largest_scale(m: &QrMatrix, cols: usize, rows: usize) -> Option<(usize, usize)> {
    (1..=8).rev().find_map(|s| {
        [QUIET_ZONE, QUIET_ZONE - 1].into_iter().find_map(|q| {
            let side = (m.size() + 2 * q) * s;
            (side <= cols && side.div_ceil(2) <= rows).then_some((s, q))
        })
    })
}

/// Scaled cells as text: with `colour`, black and white cells as `codes show` draws them
/// (explicit foreground and background on every cell); without, half blocks whose ink is the
/// dark modules.
pub fn render_cells(cells: &[Vec<(bool, bool)>], colour: bool) -> String {
    let mut out = String::new();
    for row in cells {
        for &(top, bottom) in row {
            if colour {
                let fg = if top { 30 } else { 37 };
                let bg = if bottom { 40 } else { 47 };
                let glyph = if top == bottom { ' ' } else { '▀' };
                out.push_str(&format!("\x1b[{fg};{bg}m{glyph}"));
            } else {
                out.push(match (top, bottom) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
        }
        if colour {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

/// The cells a slate needs at least (columns, rows), for "make the terminal larger" notes.
pub fn required_size(m: &QrMatrix) -> (usize, usize) {
    let side = m.size() + 2 * (QUIET_ZONE - 1);
    (side, side.div_ceil(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::{CodePayload, issue, verify};

    fn ring(dir: &tempfile::TempDir) -> Keyring {
        Keyring::generate(&dir.path().join("caiji.keys")).unwrap()
    }

    #[test]
    fn slates_round_trip_and_are_not_codes() {
        let dir = tempfile::tempdir().unwrap();
        let ring = ring(&dir);
        let slate = Slate {
            session: 12,
            shot: Some(417),
            label: None,
            serial: 90_001,
        };
        let text = seal_slate(&slate, &ring).unwrap();
        assert!(text.starts_with(PREFIX), "{text}");
        assert!(is_slate(&text.to_lowercase()));
        assert_eq!(open_slate(&text, &ring), Ok(slate.clone()));
        // Small enough for a coarse QR code the camera reads from across the room.
        assert!(QrMatrix::encode(&text).unwrap().version() <= 3, "{text}");
        // A slate is refused as a code with its own reason, and a code as a slate.
        assert_eq!(verify(&text, &ring), Err(VerifyError::Slate));
        let code = issue(
            &CodePayload {
                serial: 90_001,
                student_no: "2022110101".into(),
                masked_name: "张*".into(),
                masked_id: "*****002X".into(),
                school_code: "4111010001".into(),
                level: crate::domain::Level::Master,
                cohort: 2026,
                issued_on: chrono::NaiveDate::from_ymd_opt(2026, 4, 20).unwrap(),
            },
            &ring,
        )
        .unwrap();
        assert_eq!(open_slate(&code.text, &ring), Err(VerifyError::NotACode));
        // The same bytes relabelled as a code do not verify: the keys differ.
        let relabelled = format!("CJ1:{}", &text[PREFIX.len()..]);
        assert_eq!(
            verify(&relabelled, &ring),
            Err(VerifyError::AuthenticationFailed)
        );
    }

    #[test]
    fn labelled_slates_round_trip_and_old_slates_still_open() {
        let dir = tempfile::tempdir().unwrap();
        let ring = ring(&dir);
        // A scan queued offline: the label only; after the sync, the shot beside it.
        for (shot, label) in [(None, "B-017"), (Some(417), "B-017"), (None, "Z-12345")] {
            let slate = Slate {
                session: 12,
                shot,
                label: Some(label.into()),
                serial: 90_001,
            };
            let text = seal_slate(&slate, &ring).unwrap();
            assert_eq!(open_slate(&text, &ring), Ok(slate), "{text}");
            assert!(QrMatrix::encode(&text).unwrap().version() <= 3, "{text}");
        }
        // A slate sealed before labels existed: session and shot only.
        let mut old = Vec::new();
        put_varint(&mut old, 12);
        put_varint(&mut old, 417);
        let text = seal_kind(Kind::Slate, &old, 90_001, &ring).unwrap().text;
        assert_eq!(
            open_slate(&text, &ring),
            Ok(Slate {
                session: 12,
                shot: Some(417),
                label: None,
                serial: 90_001,
            })
        );
        // Neither a shot nor a label, or a label that is not one: refused.
        let mut empty = Vec::new();
        put_varint(&mut empty, 12);
        put_varint(&mut empty, 0);
        let text = seal_kind(Kind::Slate, &empty, 1, &ring).unwrap().text;
        assert_eq!(open_slate(&text, &ring), Err(VerifyError::CorruptPayload));
        let mut bad = empty.clone();
        bad.push(b'7');
        put_varint(&mut bad, 3);
        let text = seal_kind(Kind::Slate, &bad, 1, &ring).unwrap().text;
        assert_eq!(open_slate(&text, &ring), Err(VerifyError::CorruptPayload));
        let none = Slate {
            session: 1,
            shot: None,
            label: None,
            serial: 1,
        };
        assert!(matches!(seal_slate(&none, &ring), Err(SlateError::Empty)));
        for bad in ["B017", "b-017", "BB-1", "B-", "B-0", "B-1x"] {
            let slate = Slate {
                label: Some(bad.into()),
                ..none.clone()
            };
            assert!(
                matches!(seal_slate(&slate, &ring), Err(SlateError::BadLabel(_))),
                "{bad}"
            );
        }
        assert_eq!(parse_label("B-017"), Some((b'B', 17)));
        assert_eq!(format_label(b'B', 17), "B-017");
    }

    #[test]
    fn foreign_and_altered_slates_are_refused() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (ours, theirs) = (ring(&a), ring(&b));
        let slate = Slate {
            session: 3,
            shot: Some(9),
            label: None,
            serial: 77,
        };
        let text = seal_slate(&slate, &theirs).unwrap();
        assert_eq!(
            open_slate(&text, &ours),
            Err(VerifyError::AuthenticationFailed)
        );
        let ok = seal_slate(&slate, &ours).unwrap();
        let mut chars: Vec<char> = ok.chars().collect();
        let last = chars.len() - 1;
        chars[last] = if chars[last] == '0' { '1' } else { '0' };
        let altered: String = chars.into_iter().collect();
        assert!(open_slate(&altered, &ours).is_err());
        assert!(matches!(
            open_slate(&ok[..ok.len() - 3], &ours),
            Err(VerifyError::Truncated)
        ));
    }

    #[test]
    fn scaled_cells_keep_every_module_square() {
        let m = QrMatrix::encode("CJS1:ABC").unwrap();
        for scale in 1..=4 {
            for quiet in [3, 4] {
                let cells = scaled_cells(&m, scale, quiet);
                let side = (m.size() + 2 * quiet) * scale;
                assert_eq!(cells.len(), side.div_ceil(2));
                // Every pixel of the scaled grid is its module; the quiet zone is light.
                for (row, line) in cells.iter().enumerate() {
                    assert_eq!(line.len(), side);
                    for (x, &(top, bottom)) in line.iter().enumerate() {
                        let module = |y: usize| {
                            let (mx, my) = (x / scale, y / scale);
                            mx >= quiet && my >= quiet && m.is_dark(mx - quiet, my - quiet)
                        };
                        assert_eq!(top, module(2 * row));
                        if 2 * row + 1 < side {
                            assert_eq!(bottom, module(2 * row + 1));
                        }
                    }
                }
            }
        }
        let full = m.full_size();
        assert_eq!(largest_scale(&m, full, full.div_ceil(2)), Some((1, 4)));
        let (cols, rows) = required_size(&m);
        assert_eq!(largest_scale(&m, cols, rows), Some((1, 3)));
        assert_eq!(largest_scale(&m, cols - 1, rows), None);
        assert_eq!(largest_scale(&m, full * 3, full * 3), Some((3, 4)));
    }
}
