//! The photo specification as pure rules: given what a file's bytes say about it (its format,
//! its JPEG frame, whether its structure is whole) and its size, which requirements it breaks —
//! each one named, so a collector knows exactly what to fix.
//!
//! The default is the national graduate image standard (教毕指〔2017〕99号): JPEG, 480×640
//! pixels (width × height), 24-bit colour (three components of 8 bits), 20–40 KB read so that
//! both meanings of KB hold (20,480–40,000 bytes), no EXIF rotation. Schools may override the
//! numbers in `config.toml` (`[photo]`). The rules are described in docs/photo-spec.md.

use serde::{Deserialize, Serialize};

/// One kilobyte as Windows Explorer counts it (and `[photo] min_kb`/`max_kb` in config.toml).
pub const KB: u64 = 1024;

/// The smallest file the default spec accepts: 20 KB is 20,000 or 20,480 bytes depending on who
/// counts; 20,480 is at least 20 KB for both.
pub const DEFAULT_MIN_BYTES: u64 = 20 * KB;

/// The largest file the default spec accepts: 40 KB is 40,000 or 40,960 bytes; 40,000 is at most
/// 40 KB for both (CHSI's upload checks count either way).
pub const DEFAULT_MAX_BYTES: u64 = 40_000;

/// Raised whenever a rule is added, so results cached under older rules are judged again.
const RULES_VERSION: u32 = 2;

/// Overrides of the photo specification (教毕指〔2017〕99号 by default), as `[photo]` in
/// `config.toml` gives them.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SpecOverrides {
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Size bounds in KB of 1,024 bytes (`min_kb = 20` is 20,480 bytes)…
    pub min_kb: Option<u32>,
    pub max_kb: Option<u32>,
    /// …or in bytes, exactly (docs/photo-spec.md).
    pub min_bytes: Option<u64>,
    pub max_bytes: Option<u64>,
    /// `photos ingest`: shift of the 3:4 crop's centre, a fraction of the frame's width
    /// (+ right) and height (+ down), -1 to 1 (docs/ingest.md).
    pub crop_x: Option<f64>,
    pub crop_y: Option<f64>,
    /// `photos ingest`: the crop's size relative to the largest 3:4 region, 0.2 to 1.
    pub crop_scale: Option<f64>,
}

/// What a valid photo must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSpec {
    pub width: u32,
    pub height: u32,
    pub min_bytes: u64,
    pub max_bytes: u64,
}

impl Default for PhotoSpec {
    fn default() -> Self {
        PhotoSpec {
            width: 480,
            height: 640,
            min_bytes: DEFAULT_MIN_BYTES,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// Why the school's `[photo]` overrides in config.toml cannot be used (`Display` words it:
/// `crate::words`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecError {
    /// Both `{name}_kb` and `{name}_bytes` are given (`name`: `min` or `max`).
    BothGiven { name: &'static str },
    /// A width or height outside 1 to 65535.
    BadSize { width: u32, height: u32 },
    /// The smallest size is larger than the largest, each named as written (`min_kb (30)`).
    MinAboveMax { min: String, max: String },
}

impl std::error::Error for SpecError {}

impl PhotoSpec {
    /// The default spec with the school's overrides; refuses overrides that no file could meet.
    pub fn from_config(config: &SpecOverrides) -> Result<PhotoSpec, SpecError> {
        let d = PhotoSpec::default();
        let bound = |kb: Option<u32>, bytes: Option<u64>, name: &'static str, default: u64| match (
            kb, bytes,
        ) {
            (Some(_), Some(_)) => Err(SpecError::BothGiven { name }),
            (Some(kb), None) => Ok(u64::from(kb) * KB),
            (None, Some(bytes)) => Ok(bytes),
            (None, None) => Ok(default),
        };
        let spec = PhotoSpec {
            width: config.width.unwrap_or(d.width),
            height: config.height.unwrap_or(d.height),
            min_bytes: bound(config.min_kb, config.min_bytes, "min", d.min_bytes)?,
            max_bytes: bound(config.max_kb, config.max_bytes, "max", d.max_bytes)?,
        };
        if spec.width == 0 || spec.height == 0 || spec.width > 65535 || spec.height > 65535 {
            return Err(SpecError::BadSize {
                width: spec.width,
                height: spec.height,
            });
        }
        if spec.min_bytes > spec.max_bytes {
            // Named as the school wrote them.
            let written = |kb: Option<u32>, bytes: u64, name: &str| match kb {
                Some(kb) => format!("{name}_kb ({kb})"),
                None => format!("{name}_bytes ({bytes})"),
            };
            return Err(SpecError::MinAboveMax {
                min: written(config.min_kb, spec.min_bytes, "min"),
                max: written(config.max_kb, spec.max_bytes, "max"),
            });
        }
        Ok(spec)
    }

    /// A short text naming everything a result depends on. Stored with each checked photo, so a
    /// changed spec (or a `--deep` run after a plain one) re-checks files instead of trusting
    /// results judged by other rules.
    pub fn fingerprint(&self, deep: bool) -> String {
        format!(
            "v{RULES_VERSION}/{}x{}/{}-{}{}",
            self.width,
            self.height,
            self.min_bytes,
            self.max_bytes,
            if deep { "/deep" } else { "" }
        )
    }
}

/// What a file's first bytes say it is. The name's extension says nothing: a PNG renamed
/// `.jpg` is a PNG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Jpeg,
    Png,
    Gif,
    Bmp,
    Webp,
    Tiff,
    /// HEIF, as iPhones and many Android phones save photos (`.heic`).
    Heif,
    Pdf,
    Unknown,
}

impl FileFormat {
    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Jpeg => "JPEG",
            FileFormat::Png => "PNG",
            FileFormat::Gif => "GIF",
            FileFormat::Bmp => "BMP",
            FileFormat::Webp => "WebP",
            FileFormat::Tiff => "TIFF",
            FileFormat::Heif => "HEIC",
            FileFormat::Pdf => "PDF",
            FileFormat::Unknown => "",
        }
    }
}

/// The frame header (SOFn) of a JPEG: what the image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub width: u16,
    pub height: u16,
    /// 1 greyscale, 3 colour (YCbCr), 4 CMYK/YCCK.
    pub components: u8,
    /// Bits per sample: 8 for ordinary photos, 12 or 16 for medical and archival ones.
    pub precision: u8,
}

/// Where and how a JPEG's marker structure breaks (a truncated file is `JpegEnd::Truncated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "snake_case")]
pub enum Damage {
    /// A byte that should start a marker (0xFF) is something else.
    NotAMarker { offset: u64 },
    /// A segment length below 2, or a frame header too short for its components.
    BadSegment { offset: u64, marker: u8 },
    /// A second start-of-image inside the image.
    SecondStart { offset: u64 },
    /// Image data (SOS) before any frame header.
    ScanBeforeFrame { offset: u64 },
    /// The file ends properly but has no frame header.
    NoFrame,
    /// The file ends properly but has no image data (SOS).
    NoScan,
}

/// How the walk through a JPEG's markers ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JpegEnd {
    /// The end-of-image marker (EOI) was reached.
    Complete,
    /// The bytes ran out first.
    Truncated,
    Damaged(Damage),
}

/// Everything the spec needs to know about a file, read from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileFacts {
    pub format: FileFormat,
    /// The first frame header, for JPEGs that have one.
    pub frame: Option<Frame>,
    /// For JPEGs: how the marker walk ended.
    pub end: JpegEnd,
    /// For JPEGs: the EXIF Orientation tag, when the file has one.
    pub orientation: Option<u16>,
}

/// Which corner of the picture a background sample comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Corner {
    TopLeft,
    TopRight,
}

/// One way a photo breaks the spec. Stored (as JSON) with the photo, and shown in the
/// operator's language by `message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    NotJpeg {
        format: FileFormat,
    },
    Truncated,
    Damaged {
        damage: Damage,
    },
    Dimensions {
        width: u32,
        height: u32,
        want_width: u32,
        want_height: u32,
    },
    /// An EXIF Orientation other than 1: every viewer turns or mirrors the picture, so what is
    /// shown is not the stored 480×640.
    Orientation {
        value: u16,
    },
    /// Not three colour components: 1 is greyscale, 4 is CMYK.
    Components {
        found: u8,
    },
    BitDepth {
        bits: u8,
    },
    TooSmall {
        size: u64,
        min: u64,
    },
    TooLarge {
        size: u64,
        max: u64,
    },
    /// `--deep`: the image data does not decode.
    Undecodable {
        reason: String,
    },
    /// `--deep`: a corner is not one of the standard background colours.
    Background {
        corner: Corner,
        rgb: [u8; 3],
    },
}

/// The background colours a graduate photo may have.
pub const BACKGROUNDS: [(&str, &str, [u8; 3]); 3] = [
    ("浅蓝", "light blue", [100, 197, 255]),
    ("白色", "white", [255, 255, 255]),
    ("浅灰", "light grey", [240, 240, 240]),
];

/// How far (Euclidean distance in RGB) a corner may be from a standard colour. Wide enough for
/// studio lighting falling off towards the corners and for JPEG's colour rounding, narrow enough
/// that a cream, dark blue or red backdrop is caught.
pub const BACKGROUND_TOLERANCE: f64 = 48.0;

impl Problem {
    /// A stable name for scripts (`--format json` starts each problem with it).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::NotJpeg {
                format: FileFormat::Heif,
            } => "heic",
            Problem::NotJpeg { .. } => "not_jpeg",
            Problem::Truncated => "truncated",
            Problem::Damaged { .. } => "damaged",
            Problem::Dimensions { .. } => "dimensions",
            Problem::Orientation { .. } => "orientation",
            Problem::Components { .. } => "colour",
            Problem::BitDepth { .. } => "bit_depth",
            Problem::TooSmall { .. } => "too_small",
            Problem::TooLarge { .. } => "too_large",
            Problem::Undecodable { .. } => "undecodable",
            Problem::Background { .. } => "background",
        }
    }
}

/// Every requirement the file breaks, in a fixed order: format and structure, then the frame
/// (size in pixels, colour, depth, EXIF orientation), then the file size. Size is judged for every format — a
/// 2 MB PNG is both the wrong format and too large.
pub fn check(facts: &FileFacts, size: u64, spec: &PhotoSpec) -> Vec<Problem> {
    let mut problems = Vec::new();
    if facts.format != FileFormat::Jpeg {
        problems.push(Problem::NotJpeg {
            format: facts.format,
        });
    } else {
        match facts.end {
            JpegEnd::Complete => {}
            JpegEnd::Truncated => problems.push(Problem::Truncated),
            JpegEnd::Damaged(damage) => problems.push(Problem::Damaged { damage }),
        }
        match facts.frame {
            Some(f) => {
                if u32::from(f.width) != spec.width || u32::from(f.height) != spec.height {
                    problems.push(Problem::Dimensions {
                        width: f.width.into(),
                        height: f.height.into(),
                        want_width: spec.width,
                        want_height: spec.height,
                    });
                }
                if f.components != 3 {
                    problems.push(Problem::Components {
                        found: f.components,
                    });
                }
                if f.precision != 8 {
                    problems.push(Problem::BitDepth { bits: f.precision });
                }
                if let Some(value) = facts.orientation.filter(|&v| v != 1) {
                    problems.push(Problem::Orientation { value });
                }
            }
            // A truncated or damaged file already says why there is no frame.
            None if facts.end == JpegEnd::Complete => problems.push(Problem::Damaged {
                damage: Damage::NoFrame,
            }),
            None => {}
        }
    }
    if size < spec.min_bytes {
        problems.push(Problem::TooSmall {
            size,
            min: spec.min_bytes,
        });
    } else if size > spec.max_bytes {
        problems.push(Problem::TooLarge {
            size,
            max: spec.max_bytes,
        });
    }
    problems
}

/// The standard background nearest to `rgb`, with its distance.
pub fn nearest_background(rgb: [u8; 3]) -> (usize, f64) {
    let distance = |c: [u8; 3]| {
        let d = |a: u8, b: u8| (f64::from(a) - f64::from(b)).powi(2);
        (d(rgb[0], c[0]) + d(rgb[1], c[1]) + d(rgb[2], c[2])).sqrt()
    };
    BACKGROUNDS
        .iter()
        .enumerate()
        .map(|(i, (_, _, c))| (i, distance(*c)))
        .fold(
            (0, f64::INFINITY),
            |best, x| if x.1 < best.1 { x } else { best },
        )
}

/// Background problems from the average colours of the top corners. Only the top corners are
/// judged: in a head-and-shoulders portrait the bottom corners are the shoulders.
pub fn check_background(corners: &[(Corner, [u8; 3])]) -> Vec<Problem> {
    corners
        .iter()
        .filter(|(_, rgb)| nearest_background(*rgb).1 > BACKGROUND_TOLERANCE)
        .map(|&(corner, rgb)| Problem::Background { corner, rgb })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn jpeg(width: u16, height: u16, components: u8, precision: u8, end: JpegEnd) -> FileFacts {
        FileFacts {
            format: FileFormat::Jpeg,
            frame: Some(Frame {
                width,
                height,
                components,
                precision,
            }),
            end,
            orientation: None,
        }
    }

    fn turned(orientation: u16) -> FileFacts {
        FileFacts {
            orientation: Some(orientation),
            ..jpeg(480, 640, 3, 8, JpegEnd::Complete)
        }
    }

    #[test]
    fn every_broken_rule_is_named() {
        let spec = PhotoSpec::default();
        let ok = 30 * KB;
        let cases: Vec<(&str, FileFacts, u64, Vec<&str>)> = vec![
            ("valid", jpeg(480, 640, 3, 8, JpegEnd::Complete), ok, vec![]),
            (
                "exactly 20 KB",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                20 * KB,
                vec![],
            ),
            (
                "exactly 40,000 bytes",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                40_000,
                vec![],
            ),
            (
                "40 KB of 1,024 bytes is over 40 KB of 1,000",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                40 * KB,
                vec!["too_large"],
            ),
            (
                "20 KB of 1,000 bytes is under 20 KB of 1,024",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                20_000,
                vec!["too_small"],
            ),
            ("EXIF upright", turned(1), ok, vec![]),
            (
                "EXIF turned 90° (stored 480×640)",
                turned(6),
                ok,
                vec!["orientation"],
            ),
            ("EXIF mirrored", turned(2), ok, vec!["orientation"]),
            (
                "HEIC from a phone",
                FileFacts {
                    format: FileFormat::Heif,
                    frame: None,
                    end: JpegEnd::Complete,
                    orientation: None,
                },
                1_800_000,
                vec!["heic", "too_large"],
            ),
            (
                "one byte under",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                20 * KB - 1,
                vec!["too_small"],
            ),
            (
                "one byte over",
                jpeg(480, 640, 3, 8, JpegEnd::Complete),
                40_000 + 1,
                vec!["too_large"],
            ),
            (
                "swapped",
                jpeg(640, 480, 3, 8, JpegEnd::Complete),
                ok,
                vec!["dimensions"],
            ),
            (
                "1-inch photo",
                jpeg(295, 413, 3, 8, JpegEnd::Complete),
                ok,
                vec!["dimensions"],
            ),
            (
                "greyscale",
                jpeg(480, 640, 1, 8, JpegEnd::Complete),
                ok,
                vec!["colour"],
            ),
            (
                "cmyk",
                jpeg(480, 640, 4, 8, JpegEnd::Complete),
                ok,
                vec!["colour"],
            ),
            (
                "12-bit",
                jpeg(480, 640, 3, 12, JpegEnd::Complete),
                ok,
                vec!["bit_depth"],
            ),
            (
                "truncated",
                jpeg(480, 640, 3, 8, JpegEnd::Truncated),
                ok,
                vec!["truncated"],
            ),
            (
                "damaged",
                jpeg(
                    480,
                    640,
                    3,
                    8,
                    JpegEnd::Damaged(Damage::NotAMarker { offset: 9 }),
                ),
                ok,
                vec!["damaged"],
            ),
            (
                "everything at once",
                jpeg(600, 800, 1, 12, JpegEnd::Truncated),
                50 * KB,
                vec![
                    "truncated",
                    "dimensions",
                    "colour",
                    "bit_depth",
                    "too_large",
                ],
            ),
            (
                "png named jpg",
                FileFacts {
                    format: FileFormat::Png,
                    frame: None,
                    end: JpegEnd::Complete,
                    orientation: None,
                },
                ok,
                vec!["not_jpeg"],
            ),
            (
                "tiny unknown",
                FileFacts {
                    format: FileFormat::Unknown,
                    frame: None,
                    end: JpegEnd::Complete,
                    orientation: None,
                },
                10,
                vec!["not_jpeg", "too_small"],
            ),
            (
                "no frame",
                FileFacts {
                    format: FileFormat::Jpeg,
                    frame: None,
                    end: JpegEnd::Complete,
                    orientation: None,
                },
                ok,
                vec!["damaged"],
            ),
            (
                "truncated before frame",
                FileFacts {
                    format: FileFormat::Jpeg,
                    frame: None,
                    end: JpegEnd::Truncated,
                    orientation: None,
                },
                ok,
                vec!["truncated"],
            ),
        ];
        for (name, facts, size, want) in cases {
            let got: Vec<&str> = check(&facts, size, &spec)
                .iter()
                .map(Problem::code)
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn overrides_change_the_rules() {
        let spec = PhotoSpec::from_config(&SpecOverrides {
            width: Some(358),
            height: Some(441),
            min_kb: Some(10),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            spec,
            PhotoSpec {
                width: 358,
                height: 441,
                min_bytes: 10 * KB,
                max_bytes: DEFAULT_MAX_BYTES
            }
        );
        assert!(check(&jpeg(358, 441, 3, 8, JpegEnd::Complete), 12 * KB, &spec).is_empty());
        assert_eq!(
            check(&jpeg(480, 640, 3, 8, JpegEnd::Complete), 12 * KB, &spec)[0].code(),
            "dimensions"
        );
        for bad in [
            SpecOverrides {
                min_kb: Some(50),
                ..Default::default()
            },
            SpecOverrides {
                width: Some(0),
                ..Default::default()
            },
            SpecOverrides {
                height: Some(70000),
                ..Default::default()
            },
            SpecOverrides {
                max_kb: Some(40),
                max_bytes: Some(40_000),
                ..Default::default()
            },
            SpecOverrides {
                min_bytes: Some(30_000),
                max_bytes: Some(29_999),
                ..Default::default()
            },
        ] {
            assert!(PhotoSpec::from_config(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn size_rule_defaults_to_both_readings_of_kb() {
        // photo_size_rule: 20–40 KB holds for KB = 1,000 and KB = 1,024 bytes alike.
        let d = PhotoSpec::default();
        assert_eq!((d.min_bytes, d.max_bytes), (20_480, 40_000));
        let exact = PhotoSpec::from_config(&SpecOverrides {
            min_bytes: Some(15_000),
            max_bytes: Some(60_000),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((exact.min_bytes, exact.max_bytes), (15_000, 60_000));
        let kib = PhotoSpec::from_config(&SpecOverrides {
            max_kb: Some(40),
            ..Default::default()
        })
        .unwrap();
        assert_eq!((kib.min_bytes, kib.max_bytes), (20_480, 40_960));
        let over = check(&jpeg(480, 640, 3, 8, JpegEnd::Complete), 40_960, &d);
        assert_eq!(
            over[0].message(Lang::En),
            "40,960-byte file (40.0 KB), over the 40,000-byte maximum"
        );
    }

    #[test]
    fn fingerprint_tells_specs_and_depth_apart() {
        let a = PhotoSpec::default();
        let b = PhotoSpec {
            min_bytes: 10 * KB,
            ..a
        };
        assert_ne!(a.fingerprint(false), b.fingerprint(false));
        assert_ne!(a.fingerprint(false), a.fingerprint(true));
        assert_eq!(
            a.fingerprint(false),
            PhotoSpec::default().fingerprint(false)
        );
    }

    #[test]
    fn messages_name_the_numbers() {
        let cases = [
            (
                Problem::Dimensions {
                    width: 600,
                    height: 800,
                    want_width: 480,
                    want_height: 640,
                },
                "600×800 pixels, must be 480×640",
                "尺寸 600×800",
            ),
            (
                Problem::TooSmall {
                    size: 15 * KB + 300,
                    min: 20 * KB,
                },
                "15,660-byte file (15.3 KB), under the 20,480-byte minimum",
                "15,660 字节（15.3 KB），小于下限 20,480 字节",
            ),
            (
                Problem::TooLarge {
                    size: 41 * KB,
                    max: DEFAULT_MAX_BYTES,
                },
                "41,984-byte file (41.0 KB), over the 40,000-byte maximum",
                "超过上限 40,000 字节",
            ),
            (
                Problem::NotJpeg {
                    format: FileFormat::Png,
                },
                "not a JPEG (PNG)",
                "是 PNG",
            ),
            (Problem::Components { found: 1 }, "greyscale", "灰度"),
            (
                Problem::Orientation { value: 6 },
                "EXIF orientation 6 (viewers show it turned 90° clockwise), must be 1 or none",
                "EXIF 方向标记为 6（看图软件会顺时针旋转 90°显示）",
            ),
            (
                Problem::NotJpeg {
                    format: FileFormat::Heif,
                },
                "a HEIC photo (phone format), not a JPEG",
                "HEIC 照片",
            ),
            (
                Problem::Background {
                    corner: Corner::TopRight,
                    rgb: [200, 30, 30],
                },
                "top-right background RGB(200,30,30)",
                "右上角",
            ),
            (
                Problem::Damaged {
                    damage: Damage::BadSegment {
                        offset: 20,
                        marker: 0xC0,
                    },
                },
                "segment FFC0 at byte 20",
                "FFC0",
            ),
        ];
        for (problem, en, zh) in cases {
            assert!(
                problem.message(Lang::En).contains(en),
                "{}",
                problem.message(Lang::En)
            );
            assert!(
                problem.message(Lang::Zh).contains(zh),
                "{}",
                problem.message(Lang::Zh)
            );
            assert!(problem.machine_text().starts_with(problem.code()));
        }
    }

    #[test]
    fn problems_round_trip_as_json() {
        let problems = vec![
            Problem::NotJpeg {
                format: FileFormat::Gif,
            },
            Problem::Damaged {
                damage: Damage::ScanBeforeFrame { offset: 4 },
            },
            Problem::Background {
                corner: Corner::TopLeft,
                rgb: [1, 2, 3],
            },
            Problem::Undecodable {
                reason: "bad huffman code".into(),
            },
            Problem::Truncated,
        ];
        let text = serde_json::to_string(&problems).unwrap();
        assert_eq!(
            serde_json::from_str::<Vec<Problem>>(&text).unwrap(),
            problems
        );
    }

    #[test]
    fn backgrounds_within_tolerance_pass() {
        let cases: [([u8; 3], bool); 8] = [
            ([100, 197, 255], true),
            ([112, 190, 245], true),
            ([255, 255, 255], true),
            ([236, 238, 236], true),
            ([250, 248, 240], true),
            ([30, 60, 160], false),
            ([200, 30, 30], false),
            ([180, 170, 140], false),
        ];
        for (rgb, ok) in cases {
            let problems = check_background(&[(Corner::TopLeft, rgb)]);
            assert_eq!(problems.is_empty(), ok, "{rgb:?}");
        }
        assert_eq!(nearest_background([98, 200, 250]).0, 0);
        assert_eq!(nearest_background([241, 240, 239]).0, 2);
    }
}
