//! Photo problems in words (docs/photo-spec.md): what is wrong with a file and what to do,
//! with the numbers that matter.

use crate::domain::photo_spec::{Corner, Damage, FileFormat, KB, Problem};
use crate::i18n::Lang;
use crate::photos::walk::{MAX_PATH_CHARS, SkipReason};

fn kb(bytes: u64) -> String {
    let tenths = (bytes * 10 + KB / 2) / KB;
    format!("{}.{} KB", tenths / 10, tenths % 10)
}

/// `40,960`: bounds are exact byte counts (20–40 KB means different numbers to different
/// programs), so sizes are shown to the byte.
fn bytes(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Problem {
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Problem::NotJpeg {
                format: FileFormat::Unknown,
            } => {
                if zh {
                    "不是 JPEG 文件（无法识别的格式）".into()
                } else {
                    "not a JPEG (unrecognised format)".into()
                }
            }
            Problem::NotJpeg {
                format: FileFormat::Heif,
            } => {
                if zh {
                    "HEIC 照片（手机格式），不是 JPEG：请在手机上改用“兼容性最佳”格式重拍或导出，或转换为 JPEG 后再交".into()
                } else {
                    "a HEIC photo (phone format), not a JPEG: export it as JPEG (on iPhone: Camera → Formats → Most Compatible) or convert it, then hand it in again".into()
                }
            }
            Problem::NotJpeg { format } => {
                if zh {
                    format!("不是 JPEG 文件（是 {}）", format.label())
                } else {
                    format!("not a JPEG ({})", format.label())
                }
            }
            Problem::Truncated => {
                if zh {
                    "文件不完整：没有 JPEG 结束标记（EOI），可能复制或传输中断".into()
                } else {
                    "the file ends before the JPEG end marker (EOI); copy it again".into()
                }
            }
            Problem::Damaged { damage } => damage_message(*damage, zh),
            Problem::Dimensions {
                width,
                height,
                want_width,
                want_height,
            } => {
                if zh {
                    format!("尺寸 {width}×{height}，应为 {want_width}×{want_height}（宽×高）")
                } else {
                    format!(
                        "{width}×{height} pixels, must be {want_width}×{want_height} (width×height)"
                    )
                }
            }
            Problem::Orientation { value } => {
                let (zh_turn, en_turn) = orientation_words(*value);
                if zh {
                    format!(
                        "EXIF 方向标记为 {value}（看图软件会{zh_turn}显示），应为 1 或没有：请把图像本身转正后去掉方向标记再保存"
                    )
                } else {
                    format!(
                        "EXIF orientation {value} (viewers show it {en_turn}), must be 1 or none: save the picture upright without the orientation tag"
                    )
                }
            }
            Problem::Components { found: 1 } => {
                if zh {
                    "灰度（黑白）图像，应为 24 位彩色".into()
                } else {
                    "greyscale, must be 24-bit colour".into()
                }
            }
            Problem::Components { found: 4 } => {
                if zh {
                    "CMYK 印刷色彩，应为 24 位彩色（RGB）".into()
                } else {
                    "CMYK colour, must be 24-bit colour (RGB)".into()
                }
            }
            Problem::Components { found } => {
                if zh {
                    format!("{found} 个颜色分量，应为 24 位彩色（3 个）")
                } else {
                    format!("{found} colour components, must be 24-bit colour (3)")
                }
            }
            Problem::BitDepth { bits } => {
                if zh {
                    format!("每个分量 {bits} 位，应为 8 位（24 位彩色）")
                } else {
                    format!("{bits} bits per component, must be 8 (24-bit colour)")
                }
            }
            Problem::TooSmall { size, min } => {
                if zh {
                    format!(
                        "文件 {} 字节（{}），小于下限 {} 字节",
                        bytes(*size),
                        kb(*size),
                        bytes(*min)
                    )
                } else {
                    format!(
                        "{}-byte file ({}), under the {}-byte minimum",
                        bytes(*size),
                        kb(*size),
                        bytes(*min)
                    )
                }
            }
            Problem::TooLarge { size, max } => {
                if zh {
                    format!(
                        "文件 {} 字节（{}），超过上限 {} 字节",
                        bytes(*size),
                        kb(*size),
                        bytes(*max)
                    )
                } else {
                    format!(
                        "{}-byte file ({}), over the {}-byte maximum",
                        bytes(*size),
                        kb(*size),
                        bytes(*max)
                    )
                }
            }
            Problem::Undecodable { reason } => {
                if zh {
                    format!("图像数据无法解码：{reason}")
                } else {
                    format!("the image data does not decode: {reason}")
                }
            }
            Problem::Background {
                corner,
                rgb: [r, g, b],
            } => {
                let (zh_corner, en_corner) = match corner {
                    Corner::TopLeft => ("左上角", "top-left"),
                    Corner::TopRight => ("右上角", "top-right"),
                };
                if zh {
                    format!("{zh_corner}背景色 RGB({r},{g},{b}) 不是标准背景色（浅蓝、白色或浅灰）")
                } else {
                    format!(
                        "{en_corner} background RGB({r},{g},{b}) is not a standard colour (light blue, white or light grey)"
                    )
                }
            }
        }
    }

    /// `code: English message`, for machine output whatever the UI language.
    pub fn machine_text(&self) -> String {
        format!("{}: {}", self.code(), self.message(Lang::En))
    }
}

/// What a viewer does to a picture with this EXIF Orientation (TIFF 6.0's eight values).
fn orientation_words(value: u16) -> (&'static str, &'static str) {
    match value {
        2 => ("左右翻转", "mirrored left to right"),
        3 => ("旋转 180°", "turned 180°"),
        4 => ("上下翻转", "mirrored top to bottom"),
        5 => ("翻转并旋转", "mirrored and turned"),
        6 => ("顺时针旋转 90°", "turned 90° clockwise"),
        7 => ("翻转并旋转", "mirrored and turned"),
        8 => ("逆时针旋转 90°", "turned 90° counter-clockwise"),
        _ => ("按未知方式", "in an undefined way"),
    }
}

fn damage_message(damage: Damage, zh: bool) -> String {
    match damage {
        Damage::NotAMarker { offset } => {
            if zh {
                format!("JPEG 结构损坏：第 {offset} 字节处应为标记")
            } else {
                format!("broken JPEG structure: no marker where one belongs at byte {offset}")
            }
        }
        Damage::BadSegment { offset, marker } => {
            if zh {
                format!("JPEG 结构损坏：第 {offset} 字节处的段（FF{marker:02X}）长度错误")
            } else {
                format!(
                    "broken JPEG structure: segment FF{marker:02X} at byte {offset} has a bad length"
                )
            }
        }
        Damage::SecondStart { offset } => {
            if zh {
                format!("JPEG 结构损坏：第 {offset} 字节处又出现文件开始标记")
            } else {
                format!("broken JPEG structure: a second start-of-image marker at byte {offset}")
            }
        }
        Damage::ScanBeforeFrame { offset } => {
            if zh {
                format!("JPEG 结构损坏：第 {offset} 字节处的图像数据在帧头之前")
            } else {
                format!(
                    "broken JPEG structure: image data at byte {offset} comes before the frame header"
                )
            }
        }
        Damage::NoFrame => {
            if zh {
                "JPEG 结构损坏：没有帧头（SOF），无法得知尺寸".into()
            } else {
                "broken JPEG structure: no frame header (SOF), so no size".into()
            }
        }
        Damage::NoScan => {
            if zh {
                "JPEG 结构损坏：没有图像数据（SOS）".into()
            } else {
                "broken JPEG structure: no image data (SOS)".into()
            }
        }
    }
}

/// Why a file of a photo folder is passed over.
impl SkipReason {
    /// In `lang`: the reconcile report's file is in English, the screens in the user's.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            SkipReason::SymlinkLoop => {
                if zh {
                    "符号链接循环：链接指回它所在的上级文件夹，已跳过".into()
                } else {
                    "symlink loop: the link points back to a folder containing it".into()
                }
            }
            SkipReason::AlreadyWalked { first } => {
                if zh {
                    format!("与已检查的文件夹 {first} 是同一个文件夹，未重复检查")
                } else {
                    format!("same folder as {first}, already walked")
                }
            }
            SkipReason::UnreadableFolder { error } => {
                if zh {
                    format!("文件夹无法读取（{error}）；请检查权限")
                } else {
                    format!("unreadable folder ({error}); check its permissions")
                }
            }
            SkipReason::UnreadableFile { error } => {
                if zh {
                    format!("文件无法读取（{error}）；请检查权限")
                } else {
                    format!("unreadable file ({error}); check its permissions")
                }
            }
            SkipReason::BrokenLink { error } => {
                if zh {
                    format!("符号链接指向的文件不存在（{error}）")
                } else {
                    format!("broken symbolic link ({error})")
                }
            }
            SkipReason::NotRegular { what } => {
                if zh {
                    format!("不是普通文件（{what}）")
                } else {
                    format!("not a regular file ({what})")
                }
            }
            SkipReason::Empty => {
                if zh {
                    "空文件（0 字节）".into()
                } else {
                    "empty file (0 bytes)".into()
                }
            }
            SkipReason::Huge { size } => {
                let mb = *size as f64 / (1024.0 * 1024.0);
                if zh {
                    format!("文件过大（{mb:.1} MB），不是照片")
                } else {
                    format!("too large to be a photo ({mb:.1} MB)")
                }
            }
            SkipReason::NotPhotoName => {
                if zh {
                    "扩展名不是 .jpg、.jpeg 或 .heic".into()
                } else {
                    "not named .jpg, .jpeg or .heic".into()
                }
            }
            SkipReason::Hidden => {
                if zh {
                    "隐藏文件".into()
                } else {
                    "hidden file".into()
                }
            }
            SkipReason::HiddenFolder => {
                if zh {
                    "隐藏文件夹（缩略图或回收站等），未检查".into()
                } else {
                    "hidden folder (thumbnails, trash and the like), not walked".into()
                }
            }
            SkipReason::BadName => {
                if zh {
                    "文件名编码无法识别（既不是 UTF-8 也不是 GBK）；请重命名".into()
                } else {
                    "the file name is neither UTF-8 nor GBK text; rename it".into()
                }
            }
            SkipReason::PathTooLong { chars } => {
                if zh {
                    format!("路径过长（{chars} 个字符，最多 {MAX_PATH_CHARS} 个）")
                } else {
                    format!("path too long ({chars} characters, at most {MAX_PATH_CHARS})")
                }
            }
        }
    }

    /// Whether the entry is a folder (folders are not counted as files).
    pub fn is_folder(&self) -> bool {
        matches!(
            self,
            SkipReason::SymlinkLoop
                | SkipReason::AlreadyWalked { .. }
                | SkipReason::UnreadableFolder { .. }
                | SkipReason::HiddenFolder
        )
    }
}

impl std::fmt::Display for crate::photos::FolderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::i18n::tr;
        use crate::photos::FolderError;
        match self {
            FolderError::Open { dir, .. } => write!(
                f,
                "{} {}",
                tr("无法打开照片文件夹", "cannot open the photo folder"),
                dir.display()
            ),
            FolderError::NotAFolder { path } => write!(
                f,
                "{} {}",
                path.display(),
                tr(
                    "不是文件夹；请给出照片所在的文件夹",
                    "is not a folder; give the folder that holds the photos"
                )
            ),
            FolderError::NotUtf8 { path } => write!(
                f,
                "{} {}",
                path.display(),
                tr(
                    "的路径不是 UTF-8 文本；请把照片移到名称为普通文字的文件夹",
                    "has a path that is not UTF-8 text; move the photos to a plainly named folder"
                )
            ),
            FolderError::Read { dir, .. } => write!(
                f,
                "{} {}",
                tr("无法读取照片文件夹", "cannot read the photo folder"),
                dir.display()
            ),
        }
    }
}
