//! The QR code of a token: its module matrix, terminal renderings, PNG and SVG.
//!
//! Terminal cells hold two modules stacked vertically (upper half block `▀`), with the full
//! 4-module quiet zone on every side, so a version-5 code (37 modules) needs 45 columns × 23 rows.
//!
//! Colours: every cell carries an explicit foreground AND background so the code has the right
//! polarity on dark and light themes alike. We use the basic SGR colours (30/37 foreground,
//! 40/47 background) rather than 24-bit ones: they work in every terminal and multiplexer staff
//! meet (Windows conhost, PuTTY, Xshell, tmux or screen over SSH), while 24-bit colour is
//! dropped or mangled by some of them (older macOS Terminal, screen, tmux without `Tc`), which
//! would lose the code altogether. Themes retint black and white, but never so that "black" is
//! lighter than "white", and scanners binarise by contrast, not by exact shade.
//! Cells whose two modules agree are drawn as a space on that background colour: some terminals
//! (Windows Terminal, iTerm2's minimum contrast) lighten a glyph drawn in its own background
//! colour, which would turn a solid dark cell half grey.

use std::fmt::Write as _;

use qrcode::types::Mode;
use qrcode::{EcLevel, QrCode, Version};

use super::base45;

/// Light modules around the code, as the QR standard requires for reliable scanning.
pub const QUIET_ZONE: usize = 4;
/// The largest version collection codes use (docs/token.md), and the terminal size it needs.
pub const MAX_VERSION: i16 = 5;
pub const MAX_TERMINAL_SIZE: (u16, u16) = terminal_size(17 + 4 * MAX_VERSION as usize);

const UPPER_HALF: char = '▀';
const LOWER_HALF: char = '▄';
const FULL_BLOCK: char = '█';

/// Why a QR code could not be built or exported.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error(
        "a collection code may only contain QR alphanumeric characters (A–Z, 0–9, space $%*+-./:)"
    )]
    NotAlphanumeric,
    #[error("cannot build the QR code: {0}")]
    Encode(String),
    #[error("cannot write the PNG image: {0}")]
    Png(String),
}

/// A QR code as a square of modules, `true` = dark. Coordinates exclude the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    size: usize,
    version: i16,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `token` at ECC level M in the smallest version that holds it. Tokens are made
    /// only of the alphanumeric set, so the encoder picks alphanumeric mode (or numeric for long
    /// digit runs, which is smaller still), never byte mode.
    pub fn encode(token: &str) -> Result<QrMatrix, QrError> {
        if !base45::is_alphabet(token) {
            return Err(QrError::NotAlphanumeric);
        }
        let code = QrCode::with_error_correction_level(token.as_bytes(), EcLevel::M)
            .map_err(|e| QrError::Encode(e.to_string()))?;
        let version = match code.version() {
            Version::Normal(v) => v,
            Version::Micro(_) => return Err(QrError::Encode("unexpected Micro QR version".into())),
        };
        let size = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == qrcode::Color::Dark)
            .collect();
        Ok(QrMatrix {
            size,
            version,
            dark,
        })
    }

    /// Modules per side, without the quiet zone (21 + 4 per version above 1).
    pub fn size(&self) -> usize {
        self.size
    }

    pub fn version(&self) -> i16 {
        self.version
    }

    /// The module at (`x`, `y`) counted from the top-left of the code itself; outside is light.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.size && y < self.size && self.dark[y * self.size + x]
    }

    /// The module at (`x`, `y`) counted from the top-left corner of the quiet zone.
    pub fn is_dark_with_quiet_zone(&self, x: usize, y: usize) -> bool {
        match (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) {
            (Some(x), Some(y)) => self.is_dark(x, y),
            _ => false,
        }
    }

    /// Side of the code with its quiet zone, in modules.
    pub fn full_size(&self) -> usize {
        self.size + 2 * QUIET_ZONE
    }

    /// Rows of modules including the quiet zone, `true` = dark: for drawing cell by cell.
    pub fn grid(&self) -> Vec<Vec<bool>> {
        let n = self.full_size();
        (0..n)
            .map(|y| (0..n).map(|x| self.is_dark_with_quiet_zone(x, y)).collect())
            .collect()
    }

    /// Terminal cells the half-block rendering needs: (columns, rows). Draw nothing smaller.
    pub fn required_size(&self) -> (u16, u16) {
        terminal_size(self.size)
    }

    /// The half-block cells, row by row: (top module dark, bottom module dark) per cell.
    /// The last row's bottom half lies below the quiet zone and is light.
    pub fn cells(&self) -> Vec<Vec<(bool, bool)>> {
        let n = self.full_size();
        (0..n.div_ceil(2))
            .map(|row| {
                (0..n)
                    .map(|x| {
                        (
                            self.is_dark_with_quiet_zone(x, 2 * row),
                            self.is_dark_with_quiet_zone(x, 2 * row + 1),
                        )
                    })
                    .collect()
            })
            .collect()
    }
}

const fn terminal_size(code_size: usize) -> (u16, u16) {
    let n = code_size + 2 * QUIET_ZONE;
    (n as u16, n.div_ceil(2) as u16)
}

/// Which QR modes the encoder uses for `token`'s segments at `version` (tests and diagnostics).
pub fn segment_modes(token: &str, version: i16) -> Vec<Mode> {
    qrcode::optimize::Parser::new(token.as_bytes())
        .optimize(Version::Normal(version))
        .map(|s| s.mode)
        .collect()
}

/// Half blocks with an explicit basic foreground and background colour on every cell, each line
/// ending in a reset so no colour bleeds past the code.
pub fn render_ansi(m: &QrMatrix) -> String {
    let mut out = String::with_capacity(m.full_size() * m.full_size() * 5);
    for row in m.cells() {
        for (top, bottom) in row {
            let fg = if top { 30 } else { 37 };
            let bg = if bottom { 40 } else { 47 };
            if top == bottom {
                // Same colour in both halves: an explicit fg as well, but no glyph to retint.
                let _ = write!(out, "\x1b[{fg};{bg}m ");
            } else {
                let _ = write!(out, "\x1b[{fg};{bg}m{UPPER_HALF}");
            }
        }
        out.push_str("\x1b[0m\n");
    }
    out
}

/// Plain half blocks whose ink is the dark modules, for `NO_COLOR` and output that is not a
/// terminal. Every line has the full width (quiet zone included) so the text stays a rectangle.
pub fn render_plain(m: &QrMatrix) -> String {
    let mut out = String::with_capacity(m.full_size() * m.full_size() * 2);
    for row in m.cells() {
        out.extend(row.into_iter().map(|cell| match cell {
            (true, true) => FULL_BLOCK,
            (true, false) => UPPER_HALF,
            (false, true) => LOWER_HALF,
            (false, false) => ' ',
        }));
        out.push('\n');
    }
    out
}

/// A 1-bit greyscale PNG, `scale` pixels per module, quiet zone included, for printing.
/// The image says 300 dpi, so at scale 10 a module prints 0.85 mm wide and a version-5 code
/// with its quiet zone 38 mm: easy for phones and handheld scanners.
pub fn to_png(m: &QrMatrix, scale: u32) -> Result<Vec<u8>, QrError> {
    let scale = scale.max(1) as usize;
    let side = m.full_size() * scale;
    let row_bytes = side.div_ceil(8);
    let mut data = vec![0u8; row_bytes * side];
    for (py, row) in data.chunks_mut(row_bytes).enumerate() {
        for px in 0..side {
            // 1-bit greyscale: 1 is white.
            if !m.is_dark_with_quiet_zone(px / scale, py / scale) {
                row[px / 8] |= 0x80 >> (px % 8);
            }
        }
    }
    let side = u32::try_from(side).map_err(|_| QrError::Png("image too large".into()))?;
    let mut png_bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut png_bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: 11_811,
        yppu: 11_811,
        unit: png::Unit::Meter,
    }));
    let png_err = |e: png::EncodingError| QrError::Png(e.to_string());
    let mut writer = encoder.write_header().map_err(png_err)?;
    writer.write_image_data(&data).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(png_bytes)
}

/// An SVG with a white background and one path for the dark modules (one rectangle per
/// horizontal run), `scale` user units per module, quiet zone included.
pub fn to_svg(m: &QrMatrix, scale: u32) -> String {
    let n = m.full_size();
    let px = n * scale.max(1) as usize;
    let mut path = String::new();
    for y in 0..n {
        let mut x = 0;
        while x < n {
            if m.is_dark_with_quiet_zone(x, y) {
                let start = x;
                while x < n && m.is_dark_with_quiet_zone(x, y) {
                    x += 1;
                }
                let _ = write!(path, "M{start} {y}h{}v1h-{}z", x - start, x - start);
            } else {
                x += 1;
            }
        }
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{px}\" height=\"{px}\" viewBox=\"0 0 {n} {n}\" shape-rendering=\"crispEdges\">\n\
         <rect width=\"{n}\" height=\"{n}\" fill=\"#ffffff\"/>\n\
         <path fill=\"#000000\" d=\"{path}\"/>\n\
         </svg>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_the_version() {
        assert_eq!(MAX_TERMINAL_SIZE, (45, 23));
        let m = QrMatrix::encode("CJ1:HELLO").unwrap();
        assert_eq!((m.version(), m.size()), (1, 21));
        assert_eq!(m.required_size(), (29, 15));
        let grid = m.grid();
        assert_eq!((grid.len(), grid[0].len()), (29, 29));
        let plain = render_plain(&m);
        assert_eq!(plain.lines().count(), 15);
        assert!(plain.lines().all(|l| l.chars().count() == 29));
        // The quiet zone is light on every side; the finder pattern's corner is dark.
        assert!(grid[0].iter().chain(grid[28].iter()).all(|d| !d));
        assert!(grid.iter().all(|row| !row[0] && !row[3] && !row[28]));
        assert!(grid[4][4] && m.is_dark(0, 0));
    }

    #[test]
    fn non_alphanumeric_text_is_refused() {
        for text in ["cj1:abc", "CJ1:A_B", "采集码"] {
            assert!(
                matches!(QrMatrix::encode(text), Err(QrError::NotAlphanumeric)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn every_ansi_cell_sets_both_colours() {
        let m = QrMatrix::encode("CJ1:COLOURS 123").unwrap();
        let ansi = render_ansi(&m);
        for line in ansi.lines() {
            let cells: Vec<&str> = line.split("\x1b[").skip(1).collect();
            // One SGR per cell plus the final reset.
            assert_eq!(cells.len(), m.full_size() + 1, "{line:?}");
            for cell in &cells[..cells.len() - 1] {
                let (codes, glyph) = cell.split_once('m').unwrap();
                let codes: Vec<&str> = codes.split(';').collect();
                assert!(
                    matches!(codes.as_slice(), ["30" | "37", "40" | "47"]),
                    "{cell:?}"
                );
                assert!(glyph == " " || glyph == "▀", "{cell:?}");
                // A glyph is only drawn where the halves differ.
                assert_eq!(
                    glyph == "▀",
                    (codes[0] == "30") != (codes[1] == "40"),
                    "{cell:?}"
                );
            }
            assert_eq!(cells.last(), Some(&"0m"));
        }
    }

    #[test]
    fn svg_has_white_background_and_one_rect_per_dark_run() {
        let m = QrMatrix::encode("CJ1:SVG").unwrap();
        let svg = to_svg(&m, 8);
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"232\""),
            "{svg}"
        );
        assert!(svg.contains("<rect width=\"29\" height=\"29\" fill=\"#ffffff\"/>"));
        // Rebuild the grid from the path and compare with the matrix.
        let d = svg.split("d=\"").nth(1).unwrap().split('"').next().unwrap();
        let mut grid = vec![vec![false; 29]; 29];
        for rect in d.split('z').filter(|r| !r.is_empty()) {
            let rest = rect.strip_prefix('M').unwrap();
            let (xy, rest) = rest.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let (len, _) = rest.split_once('v').unwrap();
            let (x, y, len): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
            for cell in &mut grid[y][x..x + len] {
                assert!(!*cell, "overlapping runs");
                *cell = true;
            }
        }
        assert_eq!(grid, m.grid());
    }
}
