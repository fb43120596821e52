//! The camera card: every frame under it, in capture order (docs/ingest.md).
//!
//! Frames are `.jpg`/`.jpeg` files (any case) and `.heic`/`.heif` ones, at any depth. Capture
//! order is EXIF DateTimeOriginal with SubSecTimeOriginal, then the folder and the file name
//! (cameras roll over `100CANON` → `101CANON`, and a burst shares one second). Frames without
//! a capture time come after those with one, by folder and name. Only the first bytes of each
//! file are read here; the card is opened read-only and never written.

use std::collections::HashSet;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// Bytes read from each frame for its EXIF block (APP1 is at most 64 KiB, after APP0).
const HEAD_BYTES: u64 = 128 * 1024;

/// A frame on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFrame {
    /// Path below the card, `/`-separated.
    pub rel: String,
    pub path: PathBuf,
    pub size: u64,
    /// EXIF orientation (1 when absent).
    pub orientation: u16,
    /// `YYYYMMDDhhmmss` + sub-second digits padded to 9, when the frame has a capture time.
    pub taken: Option<String>,
    pub heic: bool,
}

/// A card entry that is not a frame to look at, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSkip {
    pub rel: String,
    pub reason: String,
}

/// The frames in capture order, and what could not be read.
#[derive(Debug, Default)]
pub struct Card {
    pub frames: Vec<CardFrame>,
    pub skipped: Vec<CardSkip>,
}

impl Card {
    pub fn bytes(&self) -> u64 {
        self.frames.iter().map(|f| f.size).sum()
    }
}

fn frame_kind(name: &str) -> Option<bool> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => Some(false),
        "heic" | "heif" => Some(true),
        _ => None,
    }
}

/// Walks `root` (following links, each folder once) and reads each frame's EXIF.
/// `exclude` is a folder not to enter (the output folder, if it lies on the card).
pub fn scan(root: &Path, exclude: Option<&Path>) -> std::io::Result<Card> {
    let mut card = Card::default();
    let mut seen = HashSet::new();
    let meta = std::fs::metadata(root)?;
    seen.insert((meta.dev(), meta.ino()));
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, rel_dir)) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                card.skipped.push(CardSkip {
                    rel: rel_dir.clone(),
                    reason: format!("unreadable folder: {e}"),
                });
                continue;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel_dir.is_empty() {
                name.clone()
            } else {
                format!("{rel_dir}/{name}")
            };
            let path = entry.path();
            let Ok(meta) = std::fs::metadata(&path) else {
                card.skipped.push(CardSkip {
                    rel,
                    reason: "broken link".into(),
                });
                continue;
            };
            if meta.is_dir() {
                if exclude.is_some_and(|x| same_file(x, &path)) {
                    continue;
                }
                if seen.insert((meta.dev(), meta.ino())) {
                    stack.push((path, rel));
                }
                continue;
            }
            let Some(heic) = frame_kind(&name) else {
                continue;
            };
            if !meta.is_file() || name.starts_with('.') {
                continue;
            }
            let (orientation, taken) = if heic { (1, None) } else { read_exif(&path) };
            card.frames.push(CardFrame {
                rel,
                path,
                size: meta.len(),
                orientation,
                taken,
                heic,
            });
        }
    }
    card.frames.sort_by(capture_order);
    Ok(card)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Capture time first (frames without one last), then folder, then file name.
pub fn capture_order(a: &CardFrame, b: &CardFrame) -> std::cmp::Ordering {
    let split = |rel: &str| -> (String, String) {
        match rel.rsplit_once('/') {
            Some((d, n)) => (d.to_string(), n.to_string()),
            None => (String::new(), rel.to_string()),
        }
    };
    let key = |f: &CardFrame| (f.taken.is_none(), f.taken.clone(), split(&f.rel));
    key(a).cmp(&key(b))
}

/// Orientation and capture time from the EXIF block at the start of a JPEG.
fn read_exif(path: &Path) -> (u16, Option<String>) {
    let mut head = Vec::new();
    let Ok(file) = std::fs::File::open(path) else {
        return (1, None);
    };
    if file.take(HEAD_BYTES).read_to_end(&mut head).is_err() {
        return (1, None);
    }
    exif_facts(&head)
}

/// Orientation and capture-time key from the first bytes of a JPEG.
pub fn exif_facts(head: &[u8]) -> (u16, Option<String>) {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut std::io::Cursor::new(head)) else {
        return (1, None);
    };
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .and_then(|v| u16::try_from(v).ok())
        .filter(|v| (1..=8).contains(v))
        .unwrap_or(1);
    let ascii = |tag| -> Option<String> {
        let field = exif.get_field(tag, exif::In::PRIMARY)?;
        match &field.value {
            exif::Value::Ascii(parts) => parts
                .first()
                .map(|p| String::from_utf8_lossy(p).trim().to_string()),
            _ => None,
        }
    };
    let taken = ascii(exif::Tag::DateTimeOriginal).and_then(|t| {
        let digits: String = t.chars().filter(char::is_ascii_digit).collect();
        (digits.len() == 14).then(|| {
            let sub: String = ascii(exif::Tag::SubSecTimeOriginal)
                .unwrap_or_default()
                .chars()
                .filter(char::is_ascii_digit)
                .take(9)
                .collect();
            format!("{digits}{sub:0<9}")
        })
    });
    (orientation, taken)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(rel: &str, taken: Option<&str>) -> CardFrame {
        CardFrame {
            rel: rel.into(),
            path: PathBuf::from(rel),
            size: 1,
            orientation: 1,
            taken: taken.map(String::from),
            heic: false,
        }
    }

    #[test]
    fn capture_time_then_folder_then_name() {
        let mut frames = [
            frame("DCIM/101CANON/IMG_0001.JPG", None),
            frame("DCIM/100CANON/IMG_9999.JPG", None),
            frame(
                "DCIM/101CANON/IMG_0002.JPG",
                Some("20260601090000000000000"),
            ),
            frame(
                "DCIM/100CANON/IMG_9998.JPG",
                Some("20260601090000500000000"),
            ),
            frame(
                "DCIM/100CANON/IMG_9997.JPG",
                Some("20260601085959000000000"),
            ),
        ];
        frames.sort_by(capture_order);
        let order: Vec<&str> = frames.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            order,
            [
                "DCIM/100CANON/IMG_9997.JPG",
                "DCIM/101CANON/IMG_0002.JPG",
                "DCIM/100CANON/IMG_9998.JPG",
                "DCIM/100CANON/IMG_9999.JPG",
                "DCIM/101CANON/IMG_0001.JPG",
            ]
        );
    }

    #[test]
    fn frame_names_in_any_case() {
        assert_eq!(frame_kind("a.JPG"), Some(false));
        assert_eq!(frame_kind("a.jpeg"), Some(false));
        assert_eq!(frame_kind("a.HEIC"), Some(true));
        assert_eq!(frame_kind("a.mov"), None);
        assert_eq!(frame_kind("README"), None);
    }
}
