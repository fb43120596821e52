//! Photo problems in words (docs/photo-spec.md): what is wrong with a file and what to do,
//! with the numbers that matter.

use crate::domain::photo_spec::{Corner, Damage, FileFormat, KB, Problem};
use crate::i18n::Lang;

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
