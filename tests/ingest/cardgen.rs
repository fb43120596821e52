//! Camera frames made in code for the ingest tests: portraits with coloured marks where the
//! crop must put them, real EXIF (orientation, capture time), and keyframes showing a caiji QR
//! code photographed at an angle and a little blurred.

use caiji::code::QrMatrix;
use caiji::demo::photos::{draw_portrait, encode};

/// The upright size of a portrait frame: square, so the 3:4 crop is its centre.
pub const SIDE: usize = 1200;
/// The crop's left edge in the upright frame (a 900 × 1200 centre).
pub const CROP_LEFT: usize = 150;

pub const RED: [u8; 3] = [220, 20, 20];
pub const BLUE: [u8; 3] = [20, 40, 220];
pub const GREEN: [u8; 3] = [20, 200, 40];

/// An upright portrait frame: the demo's drawing scaled up, a red mark top-left and a blue mark
/// top-right inside the crop, a green band left of the crop that must be cut away.
pub fn upright_portrait(look: u64) -> Vec<u8> {
    let small = draw_portrait(300, 300, [235, 235, 235], look);
    let mut rgb = vec![0u8; SIDE * SIDE * 3];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let s = ((y / 4) * 300 + x / 4) * 3;
            let d = (y * SIDE + x) * 3;
            // Fine texture so the photo has detail to spend bytes on.
            let grain = ((x * 7 + y * 13 + (x * y) % 17) % 23) as u8;
            for c in 0..3 {
                rgb[d + c] = small[s + c].saturating_add(grain).saturating_sub(11);
            }
        }
    }
    fill(&mut rgb, SIDE, 200, 60, 120, 120, RED);
    fill(&mut rgb, SIDE, 880, 60, 120, 120, BLUE);
    fill(&mut rgb, SIDE, 0, 0, 120, SIDE, GREEN);
    rgb
}

pub fn fill(rgb: &mut [u8], w: usize, x0: usize, y0: usize, fw: usize, fh: usize, c: [u8; 3]) {
    for y in y0..y0 + fh {
        for x in x0..x0 + fw {
            let d = (y * w + x) * 3;
            rgb[d..d + 3].copy_from_slice(&c);
        }
    }
}

/// Stores an upright `w` × `h` image as a camera held with EXIF `orientation` (1, 6 or 8)
/// would: the stored pixels are the upright ones turned back.
pub fn stored_for(rgb: &[u8], w: usize, h: usize, orientation: u16) -> (Vec<u8>, usize, usize) {
    match orientation {
        // Upright = stored turned clockwise: stored = upright turned counter-clockwise.
        6 => {
            let (sw, sh) = (h, w);
            let mut out = vec![0u8; rgb.len()];
            for y in 0..h {
                for x in 0..w {
                    // upright (x, y) = stored (y, sh - 1 - x)
                    let (sx, sy) = (y, sh - 1 - x);
                    let s = (y * w + x) * 3;
                    let d = (sy * sw + sx) * 3;
                    out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
                }
            }
            (out, sw, sh)
        }
        8 => {
            let (sw, sh) = (h, w);
            let mut out = vec![0u8; rgb.len()];
            for y in 0..h {
                for x in 0..w {
                    // upright (x, y) = stored (sw - 1 - y, x)
                    let (sx, sy) = (sw - 1 - y, x);
                    let s = (y * w + x) * 3;
                    let d = (sy * sw + sx) * 3;
                    out[d..d + 3].copy_from_slice(&rgb[s..s + 3]);
                }
            }
            (out, sw, sh)
        }
        _ => (rgb.to_vec(), w, h),
    }
}

/// An APP1 EXIF segment: orientation, and DateTimeOriginal + SubSecTimeOriginal, plus the
/// camera's serial number and a GPS pointer that the output must not carry.
pub fn exif_segment(orientation: u16, taken: &str, subsec: &str) -> Vec<u8> {
    let mut tiff: Vec<u8> = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: 3 entries (Orientation, Artist, ExifIFD), next IFD 0.
    let ifd0_len = 2 + 3 * 12 + 4;
    let artist = b"CAMERA-SERIAL-0042\0";
    let artist_at = 8 + ifd0_len;
    let exif_at = artist_at + artist.len();
    let entry = |tag: u16, kind: u16, count: u32, value: u32| {
        let mut e = Vec::new();
        e.extend_from_slice(&tag.to_le_bytes());
        e.extend_from_slice(&kind.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&value.to_le_bytes());
        e
    };
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend(entry(0x0112, 3, 1, u32::from(orientation)));
    tiff.extend(entry(0x013B, 2, artist.len() as u32, artist_at as u32));
    tiff.extend(entry(0x8769, 4, 1, exif_at as u32));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(artist);
    // Exif IFD: DateTimeOriginal (20 bytes), SubSecTimeOriginal.
    let mut when = taken.as_bytes().to_vec();
    when.push(0);
    let mut sub = subsec.as_bytes().to_vec();
    sub.push(0);
    while sub.len() < 5 {
        sub.push(0);
    }
    let exif_ifd_len = 2 + 2 * 12 + 4;
    let when_at = exif_at + exif_ifd_len;
    let sub_at = when_at + when.len();
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend(entry(0x9003, 2, when.len() as u32, when_at as u32));
    tiff.extend(entry(0x9291, 2, sub.len() as u32, sub_at as u32));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&when);
    tiff.extend_from_slice(&sub);

    let mut seg = vec![0xFF, 0xE1];
    let len = (2 + 6 + tiff.len()) as u16;
    seg.extend_from_slice(&len.to_be_bytes());
    seg.extend_from_slice(b"Exif\0\0");
    seg.extend_from_slice(&tiff);
    seg
}

/// A JPEG of `rgb` with the EXIF segment right after SOI.
pub fn jpeg_with_exif(rgb: &[u8], w: usize, h: usize, exif: &[u8], quality: u8) -> Vec<u8> {
    let plain = encode(rgb, w as u16, h as u16, false, quality).expect("encode a test frame");
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(exif);
    out.extend_from_slice(&plain[2..]);
    out
}

/// A portrait frame as the camera writes it.
pub fn portrait_frame(look: u64, orientation: u16, taken: &str, subsec: &str) -> Vec<u8> {
    let up = upright_portrait(look);
    let (stored, w, h) = stored_for(&up, SIDE, SIDE, orientation);
    jpeg_with_exif(&stored, w, h, &exif_segment(orientation, taken, subsec), 90)
}

/// A blurred copy of a portrait frame (for `--pick sharpest`).
pub fn blurred_portrait_frame(look: u64, taken: &str, subsec: &str) -> Vec<u8> {
    let mut up = upright_portrait(look);
    for _ in 0..3 {
        up = box_blur(&up, SIDE, SIDE, 3);
    }
    jpeg_with_exif(&up, SIDE, SIDE, &exif_segment(1, taken, subsec), 90)
}

/// `text` as a QR code held up in front of the camera: on a grey, noisy scene of `w` × `h`,
/// the code's square (quiet zone included) mapped onto the quadrilateral `quad` (top-left,
/// top-right, bottom-right, bottom-left), then blurred.
pub fn keyframe(text: &str, w: usize, h: usize, quad: [(f64, f64); 4], taken: &str) -> Vec<u8> {
    let rgb = keyframe_rgb(text, w, h, quad);
    jpeg_with_exif(&rgb, w, h, &exif_segment(1, taken, "00"), 90)
}

/// The pixels of [`keyframe`].
pub fn keyframe_rgb(text: &str, w: usize, h: usize, quad: [(f64, f64); 4]) -> Vec<u8> {
    let m = QrMatrix::encode(text).expect("a QR code of the text");
    let n = m.full_size() as f64;
    let mut rgb = vec![0u8; w * h * 3];
    for y in 0..h {
        for x in 0..w {
            let v = 90 + ((x * 31 + y * 17) % 40) as u8;
            let d = (y * w + x) * 3;
            rgb[d..d + 3].copy_from_slice(&[v, v, v.saturating_add(10)]);
        }
    }
    let inv = invert(&square_to_quad(quad));
    for y in 0..h {
        for x in 0..w {
            let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
            let den = inv[6] * px + inv[7] * py + inv[8];
            let u = (inv[0] * px + inv[1] * py + inv[2]) / den;
            let v = (inv[3] * px + inv[4] * py + inv[5]) / den;
            if (0.0..1.0).contains(&u) && (0.0..1.0).contains(&v) {
                let (mx, my) = ((u * n) as usize, (v * n) as usize);
                let c = if m.is_dark_with_quiet_zone(mx, my) {
                    25
                } else {
                    240
                };
                let d = (y * w + x) * 3;
                rgb[d..d + 3].copy_from_slice(&[c, c, c]);
            }
        }
    }
    box_blur(&rgb, w, h, 3)
}

/// A plain tilt: the code about a third of the frame high, leaning back and rotated a little.
pub fn tilted(w: usize, h: usize) -> [(f64, f64); 4] {
    let (cx, cy) = (w as f64 * 0.55, h as f64 * 0.5);
    let s = h as f64 * 0.36;
    [
        (cx - s * 0.95, cy - s * 0.85),
        (cx + s * 0.9, cy - s * 1.0),
        (cx + s * 1.0, cy + s * 0.95),
        (cx - s * 1.0, cy + s * 0.9),
    ]
}

pub fn box_blur(rgb: &[u8], w: usize, h: usize, k: usize) -> Vec<u8> {
    let r = k / 2;
    let mut out = rgb.to_vec();
    for y in r..h - r {
        for x in r..w - r {
            for c in 0..3 {
                let mut sum = 0u32;
                for dy in 0..k {
                    for dx in 0..k {
                        sum += u32::from(rgb[((y + dy - r) * w + x + dx - r) * 3 + c]);
                    }
                }
                out[(y * w + x) * 3 + c] = (sum / (k * k) as u32) as u8;
            }
        }
    }
    out
}

/// The homography taking the unit square onto `q` (Heckbert's square-to-quad), row-major.
fn square_to_quad(q: [(f64, f64); 4]) -> [f64; 9] {
    let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
    let (dx1, dx2, dx3) = (x1 - x2, x3 - x2, x0 - x1 + x2 - x3);
    let (dy1, dy2, dy3) = (y1 - y2, y3 - y2, y0 - y1 + y2 - y3);
    let den = dx1 * dy2 - dx2 * dy1;
    let g = (dx3 * dy2 - dx2 * dy3) / den;
    let hh = (dx1 * dy3 - dx3 * dy1) / den;
    [
        x1 - x0 + g * x1,
        x3 - x0 + hh * x3,
        x0,
        y1 - y0 + g * y1,
        y3 - y0 + hh * y3,
        y0,
        g,
        hh,
        1.0,
    ]
}

fn invert(m: &[f64; 9]) -> [f64; 9] {
    let [a, b, c, d, e, f, g, h, i] = *m;
    let det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
    [
        (e * i - f * h) / det,
        (c * h - b * i) / det,
        (b * f - c * e) / det,
        (f * g - d * i) / det,
        (a * i - c * g) / det,
        (c * d - a * f) / det,
        (d * h - e * g) / det,
        (b * g - a * h) / det,
        (a * e - b * d) / det,
    ]
}
