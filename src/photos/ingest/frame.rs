//! One camera frame, from its bytes to what the ingest needs of it (docs/ingest.md): the QR
//! codes it shows, and for a portrait frame the 480×640 photo it would become.
//!
//! The frame is decoded once, shrunk in the DCT (libjpeg-turbo's 1/8, 1/4, 1/2 scaling, as
//! libvips does) to the smallest size that still covers the 3:4 crop at the output size and
//! keeps QR codes readable. The crop is cut from the decoded frame in its stored orientation,
//! resized (Lanczos3), and only the small result is turned upright. The photo is a baseline
//! 4:2:0 JPEG with no metadata, at the highest quality whose size lies inside the spec's range.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use turbojpeg::{Compressor, Decompressor, PixelFormat, ScalingFactor, Subsamp};

use crate::domain::photo_spec::{FileFormat, JpegEnd};
use crate::photos::jpeg;

/// The long edge a frame keeps when decoded for QR detection: a phone held in the frame still
/// gives its code about four pixels a module.
pub const QR_MIN_EDGE: usize = 1000;

/// Where the 3:4 crop sits: `[photo] crop_x`, `crop_y`, `crop_scale` (docs/ingest.md).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crop {
    /// Shift of the crop's centre as a fraction of the upright frame's width (+ right).
    pub x: f64,
    /// Shift of the crop's centre as a fraction of the upright frame's height (+ down).
    pub y: f64,
    /// The crop's size relative to the largest 3:4 region of the frame (0.2–1).
    pub scale: f64,
}

impl Default for Crop {
    fn default() -> Crop {
        Crop {
            x: 0.0,
            y: 0.0,
            scale: 1.0,
        }
    }
}

/// What a frame's photo must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub width: u32,
    pub height: u32,
    pub min_bytes: u64,
    pub max_bytes: u64,
    pub crop: Crop,
}

/// A photo made from a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Photo {
    pub jpeg: Vec<u8>,
    pub quality: u8,
    /// Variance of the Laplacian of the photo's luma: higher is sharper.
    pub sharpness: f64,
    /// No quality reached the spec's smallest size (a nearly uniform picture).
    pub below_range: bool,
}

/// Why a frame cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Unusable {
    /// HEIC/HEIF (phones): caiji does not decode it; export the frame as JPEG.
    Heic,
    /// Named .jpg but something else (a PNG, a video, damaged bytes).
    NotJpeg { format: String },
    /// Cut short (a card pulled out while writing, a copy that stopped).
    Truncated,
    /// The JPEG could not be decoded.
    Undecodable { error: String },
}

/// What the analysis of one frame found.
#[derive(Debug, Clone, PartialEq)]
pub enum Analysed {
    /// The frame shows a code or a slate (the texts read, in the order found).
    Keyframe {
        texts: Vec<String>,
    },
    /// A portrait frame, with the photo it makes (None when only keyframes were asked for).
    Portrait {
        photo: Photo,
    },
    Unusable(Unusable),
}

/// Whether a QR text is caiji's (a code `CJ…:` or a slate `CJS…:`): other QR codes in the
/// background (posters, a URL on a badge) do not make a keyframe.
pub fn is_caiji_text(text: &str) -> bool {
    text.trim().to_uppercase().starts_with("CJ")
}

/// Decoders and encoders of one worker thread, reused frame after frame.
pub struct Worker {
    decompressor: Decompressor,
    compressor: Compressor,
    resizer: Resizer,
}

impl Worker {
    pub fn new() -> Result<Worker, String> {
        Ok(Worker {
            decompressor: Decompressor::new().map_err(|e| e.to_string())?,
            compressor: Compressor::new().map_err(|e| e.to_string())?,
            resizer: Resizer::new(),
        })
    }

    /// Analyses a frame; `orientation` is its EXIF orientation (1 when none).
    pub fn analyse(&mut self, bytes: &[u8], orientation: u16, target: &Target) -> Analysed {
        let facts = jpeg::examine(bytes);
        match facts.format {
            FileFormat::Jpeg => {}
            FileFormat::Heif => return Analysed::Unusable(Unusable::Heic),
            other => {
                return Analysed::Unusable(Unusable::NotJpeg {
                    format: format!("{other:?}").to_lowercase(),
                });
            }
        }
        match facts.end {
            JpegEnd::Complete => {}
            JpegEnd::Truncated => return Analysed::Unusable(Unusable::Truncated),
            JpegEnd::Damaged(d) => {
                return Analysed::Unusable(Unusable::Undecodable {
                    error: format!("{d:?}"),
                });
            }
        }
        match self.decode_and_make(bytes, orientation, target) {
            Ok(a) => a,
            Err(error) => Analysed::Unusable(Unusable::Undecodable { error }),
        }
    }

    fn decode_and_make(
        &mut self,
        bytes: &[u8],
        orientation: u16,
        target: &Target,
    ) -> Result<Analysed, String> {
        let header = self
            .decompressor
            .read_header(bytes)
            .map_err(|e| e.to_string())?;
        let (w, h) = (header.width, header.height);
        if w == 0 || h == 0 {
            return Err("empty frame".into());
        }
        let o = Orientation::from_exif(orientation);
        let (uw, uh) = o.upright_size(w as f64, h as f64);
        let crop = crop_rect(uw, uh, target);
        let stored = o.stored_rect(w as f64, h as f64, crop);
        let factor = pick_scale(w, h, stored.2, stored.3, o.swaps(), target);
        self.decompressor
            .set_scaling_factor(factor)
            .map_err(|e| e.to_string())?;
        let (sw, sh) = (factor.scale(w), factor.scale(h));
        let mut rgb = vec![0u8; sw * sh * 3];
        self.decompressor
            .decompress(
                bytes,
                turbojpeg::Image {
                    pixels: rgb.as_mut_slice(),
                    width: sw,
                    pitch: sw * 3,
                    height: sh,
                    format: PixelFormat::RGB,
                },
            )
            .map_err(|e| e.to_string())?;

        let luma = luma_of(&rgb);
        let texts = find_qr(&luma, sw, sh);
        if texts.iter().any(|t| is_caiji_text(t)) {
            return Ok(Analysed::Keyframe {
                texts: texts.into_iter().filter(|t| is_caiji_text(t)).collect(),
            });
        }
        drop(luma);

        // The crop in the decoded frame's pixels.
        let k = sw as f64 / w as f64;
        let (cx, cy, cw, ch) = (stored.0 * k, stored.1 * k, stored.2 * k, stored.3 * k);
        let (dw, dh) = if o.swaps() {
            (target.height, target.width)
        } else {
            (target.width, target.height)
        };
        let src = ImageRef::new(sw as u32, sh as u32, &rgb, PixelType::U8x3)
            .map_err(|e| e.to_string())?;
        let mut dst = Image::new(dw, dh, PixelType::U8x3);
        let options = ResizeOptions::new()
            .crop(cx, cy, cw.max(1.0), ch.max(1.0))
            .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
        self.resizer
            .resize(&src, &mut dst, &options)
            .map_err(|e| e.to_string())?;
        drop(rgb);
        let upright = o.apply(dst.buffer(), dw as usize, dh as usize);
        let (ow, oh) = (target.width as usize, target.height as usize);
        let sharpness = sharpness(&luma_of(&upright), ow, oh);
        let (jpeg, quality, below_range) =
            encode_in_range(&mut self.compressor, &upright, ow, oh, target)?;
        Ok(Analysed::Portrait {
            photo: Photo {
                jpeg,
                quality,
                sharpness,
                below_range,
            },
        })
    }
}

/// The largest DCT reduction (1/8, 1/4, 1/2, 1) that keeps the crop at least the output size
/// and the frame's long edge at least [`QR_MIN_EDGE`].
fn pick_scale(
    w: usize,
    h: usize,
    crop_w: f64,
    crop_h: f64,
    swaps: bool,
    target: &Target,
) -> ScalingFactor {
    let (need_w, need_h) = if swaps {
        (f64::from(target.height), f64::from(target.width))
    } else {
        (f64::from(target.width), f64::from(target.height))
    };
    for factor in [
        ScalingFactor::ONE_EIGHTH,
        ScalingFactor::ONE_QUARTER,
        ScalingFactor::ONE_HALF,
    ] {
        let k = factor.num() as f64 / factor.denom() as f64;
        if crop_w * k >= need_w
            && crop_h * k >= need_h
            && factor.scale(w.max(h)) >= QR_MIN_EDGE.min(w.max(h))
        {
            return factor;
        }
    }
    ScalingFactor::ONE
}

/// The 3:4 crop in the upright frame: (left, top, width, height).
pub fn crop_rect(uw: f64, uh: f64, target: &Target) -> (f64, f64, f64, f64) {
    let aspect = f64::from(target.width) / f64::from(target.height);
    let (mut cw, mut ch) = if uw / uh > aspect {
        (uh * aspect, uh)
    } else {
        (uw, uw / aspect)
    };
    let scale = if target.crop.scale.is_finite() {
        target.crop.scale.clamp(0.2, 1.0)
    } else {
        1.0
    };
    cw *= scale;
    ch *= scale;
    let shift = |v: f64| {
        if v.is_finite() {
            v.clamp(-1.0, 1.0)
        } else {
            0.0
        }
    };
    let left = ((uw - cw) / 2.0 + shift(target.crop.x) * uw).clamp(0.0, uw - cw);
    let top = ((uh - ch) / 2.0 + shift(target.crop.y) * uh).clamp(0.0, uh - ch);
    (left, top, cw, ch)
}

/// EXIF orientation: how the stored pixels map to the upright picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Normal,
    FlipH,
    Rotate180,
    FlipV,
    Transpose,
    /// The camera was turned clockwise: the stored frame needs a quarter turn clockwise.
    Rotate90,
    Transverse,
    Rotate270,
}

impl Orientation {
    pub fn from_exif(v: u16) -> Orientation {
        match v {
            2 => Orientation::FlipH,
            3 => Orientation::Rotate180,
            4 => Orientation::FlipV,
            5 => Orientation::Transpose,
            6 => Orientation::Rotate90,
            7 => Orientation::Transverse,
            8 => Orientation::Rotate270,
            _ => Orientation::Normal,
        }
    }

    /// Whether width and height trade places.
    pub fn swaps(self) -> bool {
        matches!(
            self,
            Orientation::Transpose
                | Orientation::Rotate90
                | Orientation::Transverse
                | Orientation::Rotate270
        )
    }

    fn upright_size(self, w: f64, h: f64) -> (f64, f64) {
        if self.swaps() { (h, w) } else { (w, h) }
    }

    /// The stored pixel (continuous coordinates) that shows at upright point (`x`, `y`) of a
    /// frame stored `w` × `h`.
    fn to_stored(self, w: f64, h: f64, x: f64, y: f64) -> (f64, f64) {
        match self {
            Orientation::Normal => (x, y),
            Orientation::FlipH => (w - x, y),
            Orientation::Rotate180 => (w - x, h - y),
            Orientation::FlipV => (x, h - y),
            Orientation::Transpose => (y, x),
            Orientation::Rotate90 => (y, h - x),
            Orientation::Transverse => (w - y, h - x),
            Orientation::Rotate270 => (w - y, x),
        }
    }

    /// An upright rectangle as the rectangle of stored pixels it shows.
    fn stored_rect(self, w: f64, h: f64, r: (f64, f64, f64, f64)) -> (f64, f64, f64, f64) {
        let (x0, y0) = self.to_stored(w, h, r.0, r.1);
        let (x1, y1) = self.to_stored(w, h, r.0 + r.2, r.1 + r.3);
        (x0.min(x1), y0.min(y1), (x1 - x0).abs(), (y1 - y0).abs())
    }

    /// Turns a stored-orientation RGB image of `w` × `h` upright.
    pub fn apply(self, rgb: &[u8], w: usize, h: usize) -> Vec<u8> {
        if self == Orientation::Normal {
            return rgb.to_vec();
        }
        let (uw, uh) = if self.swaps() { (h, w) } else { (w, h) };
        let mut out = vec![0u8; uw * uh * 3];
        for y in 0..uh {
            for x in 0..uw {
                // Pixel centres: the integer form of `to_stored`.
                let (sx, sy) = match self {
                    Orientation::Normal => (x, y),
                    Orientation::FlipH => (w - 1 - x, y),
                    Orientation::Rotate180 => (w - 1 - x, h - 1 - y),
                    Orientation::FlipV => (x, h - 1 - y),
                    Orientation::Transpose => (y, x),
                    Orientation::Rotate90 => (y, h - 1 - x),
                    Orientation::Transverse => (w - 1 - y, h - 1 - x),
                    Orientation::Rotate270 => (w - 1 - y, x),
                };
                let s = (sy * w + sx) * 3;
                let d = (y * uw + x) * 3;
                out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
            }
        }
        out
    }
}

/// BT.601 luma of packed RGB.
pub fn luma_of(rgb: &[u8]) -> Vec<u8> {
    rgb.chunks_exact(3)
        .map(|p| {
            ((77 * u32::from(p[0]) + 150 * u32::from(p[1]) + 29 * u32::from(p[2]) + 128) >> 8) as u8
        })
        .collect()
}

/// The caiji QR codes a grey frame shows (rxing, trying harder).
pub fn find_qr(luma: &[u8], w: usize, h: usize) -> Vec<String> {
    use rxing::{BarcodeFormat, DecodeHints};
    if w == 0 || h == 0 {
        return Vec::new();
    }
    let mut hints = DecodeHints {
        TryHarder: Some(true),
        ..DecodeHints::default()
    };
    match rxing::helpers::detect_in_luma_slice_with_hints(
        luma,
        w as u32,
        h as u32,
        Some(BarcodeFormat::QR_CODE),
        &mut hints,
    ) {
        Ok(found) => vec![found.getText().to_string()],
        Err(_) => Vec::new(),
    }
}

/// Variance of the 4-neighbour Laplacian: the usual focus measure.
pub fn sharpness(luma: &[u8], w: usize, h: usize) -> f64 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let (mut sum, mut sq, mut n) = (0f64, 0f64, 0f64);
    for y in 1..h - 1 {
        let row = y * w;
        for x in 1..w - 1 {
            let i = row + x;
            let v = 4 * i32::from(luma[i])
                - i32::from(luma[i - 1])
                - i32::from(luma[i + 1])
                - i32::from(luma[i - w])
                - i32::from(luma[i + w]);
            let v = f64::from(v);
            sum += v;
            sq += v * v;
            n += 1.0;
        }
    }
    let mean = sum / n;
    sq / n - mean * mean
}

/// The highest quality whose JPEG is at most `max_bytes`, by bisection (size grows with
/// quality). If even the lowest tried quality is too big the smallest is kept; if the highest
/// is below `min_bytes` the picture is flagged (nothing caiji can add would be honest).
fn encode_in_range(
    c: &mut Compressor,
    rgb: &[u8],
    w: usize,
    h: usize,
    target: &Target,
) -> Result<(Vec<u8>, u8, bool), String> {
    c.set_subsamp(Subsamp::Sub2x2).map_err(|e| e.to_string())?;
    let mut encode = |q: u8| -> Result<Vec<u8>, String> {
        c.set_quality(i32::from(q)).map_err(|e| e.to_string())?;
        c.compress_to_vec(turbojpeg::Image {
            pixels: rgb,
            width: w,
            pitch: w * 3,
            height: h,
            format: PixelFormat::RGB,
        })
        .map_err(|e| e.to_string())
    };
    let max = target.max_bytes as usize;
    let min = target.min_bytes as usize;
    let top = encode(100)?;
    if top.len() <= max {
        let below = top.len() < min;
        return Ok((top, 100, below));
    }
    // Invariant: quality `lo` fits (or is the floor), `hi` does not.
    let (mut lo, mut hi) = (10u8, 100u8);
    let mut best = encode(lo)?;
    if best.len() > max {
        return Ok((best, lo, false));
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        let out = encode(mid)?;
        if out.len() <= max {
            lo = mid;
            best = out;
        } else {
            hi = mid;
        }
    }
    let below = best.len() < min;
    Ok((best, lo, below))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            width: 480,
            height: 640,
            min_bytes: 20_480,
            max_bytes: 40_000,
            crop: Crop::default(),
        }
    }

    #[test]
    fn crops_are_three_by_four_centred_and_adjustable() {
        let t = target();
        assert_eq!(crop_rect(4000.0, 3000.0, &t), (875.0, 0.0, 2250.0, 3000.0));
        assert_eq!(crop_rect(3000.0, 4000.0, &t), (0.0, 0.0, 3000.0, 4000.0));
        let shifted = Target {
            crop: Crop {
                x: 0.1,
                y: 0.0,
                scale: 0.5,
            },
            ..t
        };
        let (l, top, w, h) = crop_rect(4000.0, 3000.0, &shifted);
        assert_eq!((w, h), (1125.0, 1500.0));
        assert_eq!(l, (4000.0 - 1125.0) / 2.0 + 400.0);
        assert_eq!(top, 750.0);
        // Shifted past the edge: held inside the frame.
        let far = Target {
            crop: Crop {
                x: 1.0,
                y: -1.0,
                scale: 1.0,
            },
            ..t
        };
        assert_eq!(
            crop_rect(4000.0, 3000.0, &far),
            (1750.0, 0.0, 2250.0, 3000.0)
        );
    }

    #[test]
    fn orientations_map_rectangles_and_pixels_alike() {
        // A 3 × 2 stored image whose pixels are numbered.
        let (w, h) = (3usize, 2usize);
        let rgb: Vec<u8> = (0..(w * h) as u8).flat_map(|i| [i, i, i]).collect();
        for v in 1..=8u16 {
            let o = Orientation::from_exif(v);
            let up = o.apply(&rgb, w, h);
            let (uw, uh) = if o.swaps() { (h, w) } else { (w, h) };
            for y in 0..uh {
                for x in 0..uw {
                    // The upright pixel's centre maps into the stored pixel it came from.
                    let (sx, sy) = o.to_stored(w as f64, h as f64, x as f64 + 0.5, y as f64 + 0.5);
                    let want = (sy.floor() as usize * w + sx.floor() as usize) as u8;
                    assert_eq!(up[(y * uw + x) * 3], want, "orientation {v} at {x},{y}");
                }
            }
        }
        // Orientation 6: the upright top-left is the stored bottom-left.
        let up = Orientation::from_exif(6).apply(&rgb, w, h);
        assert_eq!(up[0], 3);
    }

    #[test]
    fn sharper_pictures_score_higher() {
        let (w, h) = (64usize, 64usize);
        let edges: Vec<u8> = (0..w * h)
            .map(|i| {
                if (i % w / 4 + i / w / 4) % 2 == 0 {
                    0
                } else {
                    255
                }
            })
            .collect();
        let flat = vec![128u8; w * h];
        assert!(sharpness(&edges, w, h) > 1000.0);
        assert_eq!(sharpness(&flat, w, h), 0.0);
    }

    #[test]
    fn other_qr_codes_do_not_make_keyframes() {
        assert!(is_caiji_text("CJ1:ABC"));
        assert!(is_caiji_text(" cjs1:abc"));
        assert!(!is_caiji_text("https://example.edu/"));
    }
}
