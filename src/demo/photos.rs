//! A demo photo folder: what a collector hands back after a few days of sessions — realistic
//! 480×640 portraits of 20–40 KB named by 学号 in class folders, a few named the old way by ID
//! number, and the usual mistakes: wrong size, too large or small, greyscale, a cut-off copy, a
//! PNG renamed `.jpg`, a red backdrop, re-shoots that duplicate a student, files named with a
//! typo or a name, an empty file and a `Thumbs.db`.
//!
//! Portraits are drawn (backdrop, shoulders, neck, face, hair) with a little sensor noise and
//! encoded once per look; each student's file is one of those with a comment segment carrying
//! the 学号, so every file has its own bytes and hash without an encode per student.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::domain::Student;
use crate::domain::photo_spec::KB;

pub const WIDTH: u16 = 480;
pub const HEIGHT: u16 = 640;

/// Students considered for the demo folder: a demo of 100,000 students should not write 3 GB.
pub const MAX_STUDENTS: usize = 800;

/// The standard backdrops: light blue, white, light grey.
const BACKDROPS: [[u8; 3]; 3] = [[100, 197, 255], [255, 255, 255], [240, 240, 240]];

/// Draws a head-and-shoulders portrait in RGB (3 bytes per pixel).
pub fn draw_portrait(width: u16, height: u16, backdrop: [u8; 3], look: u64) -> Vec<u8> {
    let (w, h) = (usize::from(width), usize::from(height));
    let mut rng = ChaCha8Rng::seed_from_u64(look);
    let skin =
        [[236, 200, 170], [222, 184, 150], [200, 160, 125]][rng.random_range(0..3u32) as usize];
    let suit = [[30, 34, 48], [20, 20, 22], [70, 72, 80], [18, 40, 90]]
        [rng.random_range(0..4u32) as usize];
    let hair = [[22, 18, 16], [40, 30, 24], [60, 44, 30]][rng.random_range(0..3u32) as usize];
    let long_hair = rng.random_bool(0.4);
    let (fw, fh) = (w as f64, h as f64);
    let (cx, cy) = (
        fw * 0.5 + f64::from(rng.random_range(0..9u32)) - 4.0,
        fh * 0.40,
    );
    let (rx, ry) = (fw * 0.19, fh * 0.19);
    let mut px = vec![0u8; w * h * 3];
    // Sensor noise from a xorshift stream: cheap enough to draw per channel of every pixel.
    let mut noise_state = (look as u32 | 1).wrapping_mul(2_654_435_761) | 1;
    let mut noise = move || {
        noise_state ^= noise_state << 13;
        noise_state ^= noise_state >> 17;
        noise_state ^= noise_state << 5;
        f64::from(noise_state % 7) - 3.0
    };
    for y in 0..h {
        for x in 0..w {
            let (xf, yf) = (x as f64, y as f64);
            // studio light: brighter in the middle, falling off towards the edges and bottom
            let light = 1.0 - 0.05 * ((xf - cx) / fw).abs() - 0.04 * (yf / fh);
            let mut c = [
                backdrop[0] as f64 * light,
                backdrop[1] as f64 * light,
                backdrop[2] as f64 * light,
            ];
            let dx = (xf - cx) / rx;
            let dy = (yf - cy) / ry;
            let in_face = dx * dx + dy * dy <= 1.0;
            // shoulders: a wide rounded slope from below the chin to the bottom edge
            let shoulder_top = fh * 0.70 + ((xf - cx) / (fw * 0.5)).powi(2) * fh * 0.10;
            let neck = (xf - cx).abs() < rx * 0.45 && yf > cy + ry * 0.7 && yf < fh * 0.76;
            let in_hair = {
                let hy = (yf - (cy - ry * 0.15)) / (ry * 1.12);
                let hx = (xf - cx) / (rx * 1.12);
                (hx * hx + hy * hy <= 1.0 && (yf < cy - ry * 0.35 || !in_face))
                    && (yf < cy + ry * if long_hair { 0.9 } else { 0.1 })
            };
            if yf > shoulder_top {
                // lapels: a lighter shirt in a V below the neck
                let v = (xf - cx).abs() < (yf - shoulder_top) * 0.35 && yf < fh * 0.92;
                let base = if v {
                    [235.0, 235.0, 238.0]
                } else {
                    suit.map(f64::from)
                };
                c = base.map(|b| b * (1.0 - 0.15 * ((yf - shoulder_top) / fh)));
            } else if in_hair {
                c = hair.map(f64::from);
            } else if in_face || neck {
                let shade = if neck {
                    0.85
                } else {
                    1.0 - 0.12 * dx.abs().powi(2) - 0.05 * dy.max(0.0)
                };
                c = skin.map(|s| f64::from(s) * shade);
                // eyes, brows and mouth
                let eye = ((dx.abs() - 0.38).powi(2) / 0.012 + (dy + 0.12).powi(2) / 0.004) <= 1.0;
                let brow = (dx.abs() - 0.38).abs() < 0.16 && (dy + 0.27).abs() < 0.025;
                let mouth = (dx.abs() < 0.22) && ((dy - 0.48).abs() < 0.03);
                if eye || brow {
                    c = [35.0, 28.0, 25.0];
                } else if mouth {
                    c = [170.0, 95.0, 90.0];
                }
            }
            let p = (y * w + x) * 3;
            for k in 0..3 {
                // sensor noise: what makes real photos cost 20–40 KB instead of 10
                px[p + k] = (c[k] + noise()).clamp(0.0, 255.0) as u8;
            }
        }
    }
    px
}

/// Encodes RGB or greyscale pixels as a baseline JPEG at `quality`.
pub fn encode(
    pixels: &[u8],
    width: u16,
    height: u16,
    grey: bool,
    quality: u8,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(48 * 1024);
    let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
    let (data, color) = if grey {
        let luma: Vec<u8> = pixels
            .chunks_exact(3)
            .map(|p| {
                ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000)
                    as u8
            })
            .collect();
        (luma, jpeg_encoder::ColorType::Luma)
    } else {
        (pixels.to_vec(), jpeg_encoder::ColorType::Rgb)
    };
    encoder
        .encode(&data, width, height, color)
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes at the quality whose file size lands in `lo..=hi` bytes (a binary search over the
/// quality; the closest found if none lands there).
pub fn encode_sized(
    pixels: &[u8],
    width: u16,
    height: u16,
    grey: bool,
    lo: u64,
    hi: u64,
) -> Result<Vec<u8>, String> {
    let (mut low, mut high) = (20u8, 97u8);
    let mut best: Option<Vec<u8>> = None;
    let target = (lo + hi) / 2;
    while low <= high {
        let q = low + (high - low) / 2;
        let bytes = encode(pixels, width, height, grey, q)?;
        let size = bytes.len() as u64;
        let better = best
            .as_ref()
            .is_none_or(|b| size.abs_diff(target) < (b.len() as u64).abs_diff(target));
        if (lo..=hi).contains(&size) {
            return Ok(bytes);
        }
        if size < lo {
            low = q + 1
        } else {
            high = q.saturating_sub(1)
        }
        if better {
            best = Some(bytes);
        }
    }
    best.ok_or_else(|| "no quality gave a JPEG".to_string())
}

/// Puts a comment segment (COM) right after SOI: another file with the same picture.
pub fn with_comment(jpeg: &[u8], text: &[u8]) -> Vec<u8> {
    let body = &text[..text.len().min(65533)];
    let mut out = Vec::with_capacity(jpeg.len() + body.len() + 4);
    out.extend_from_slice(&jpeg[..2.min(jpeg.len())]);
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&jpeg[2.min(jpeg.len())..]);
    out
}

/// One valid photo (480×640, colour, 24–34 KB) with the given backdrop. Deterministic.
pub fn sample_jpeg(look: u64, backdrop: [u8; 3]) -> Vec<u8> {
    let pixels = draw_portrait(WIDTH, HEIGHT, backdrop, look);
    // The drawing always encodes; an error here is a bug in this module's own constants.
    encode_sized(&pixels, WIDTH, HEIGHT, false, 24 * KB, 34 * KB).unwrap_or_default()
}

fn png(width: u32, height: u32, pixels: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// What `write_folder` made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoFolder {
    pub files: usize,
    pub students_with_photo: usize,
}

/// Scales RGB pixels to another size (nearest neighbour is enough for a wrong-size sample).
fn resize(pixels: &[u8], from: (u16, u16), to: (u16, u16)) -> Vec<u8> {
    let (fw, fh, tw, th) = (
        usize::from(from.0),
        usize::from(from.1),
        usize::from(to.0),
        usize::from(to.1),
    );
    let mut out = Vec::with_capacity(tw * th * 3);
    for y in 0..th {
        for x in 0..tw {
            let p = ((y * fh / th) * fw + x * fw / tw) * 3;
            out.extend_from_slice(&pixels[p..p + 3]);
        }
    }
    out
}

/// Writes the demo photo folder into `dir` (which should not exist or be empty): photos of
/// `students` (those who came to a session; about one in seven not handed back yet) and files
/// that belong to nobody on the `roster`.
pub fn write_folder(
    dir: &Path,
    students: &[Student],
    roster: &[Student],
    seed: u64,
) -> std::io::Result<DemoFolder> {
    let err = |e: String| std::io::Error::other(e);
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5048_4f54_4f53); // "PHOTOS"
    crate::files::create_private_dir(dir)?;
    let students = &students[..students.len().min(MAX_STUDENTS)];

    // Six looks: two people per backdrop.
    let mut looks = Vec::new();
    for (i, backdrop) in BACKDROPS.iter().enumerate() {
        for person in 0..2u64 {
            let pixels = draw_portrait(
                WIDTH,
                HEIGHT,
                *backdrop,
                seed.wrapping_add(i as u64 * 2 + person),
            );
            looks.push(encode_sized(&pixels, WIDTH, HEIGHT, false, 24 * KB, 36 * KB).map_err(err)?);
        }
    }
    let mut out = DemoFolder::default();
    // files written (a replaced file counts once)
    let files = std::cell::Cell::new(0usize);
    let write = |rel: &str, bytes: &[u8]| -> std::io::Result<()> {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            crate::files::create_private_dir(parent)?;
        }
        // the output helper, as for every file caiji writes; a folder of synthetic photos that
        // `demo` makes again at will needs no sync per file
        crate::files::write_unsynced(&path, bytes).map_err(std::io::Error::other)?;
        files.set(files.get() + 1);
        Ok(())
    };

    // About one student in seven has not been photographed yet.
    let mut photographed = Vec::new();
    let mut missing = Vec::new();
    for s in students {
        if rng.random_range(0..7u32) == 0 {
            missing.push(s)
        } else {
            photographed.push(s)
        }
    }
    let mut paths = Vec::with_capacity(photographed.len());
    for (n, s) in photographed.iter().enumerate() {
        let look = &looks[rng.random_range(0..looks.len() as u32) as usize];
        let padding = rng.random_range(0..1500u32) as usize;
        let mut comment = format!("caiji demo {}", s.student_no).into_bytes();
        comment.resize(comment.len() + padding, b' ');
        let bytes = with_comment(look, &comment);
        // one in twenty-five is named the old way, by ID number
        let stem = if n % 25 == 7 {
            s.id_number.clone()
        } else {
            s.student_no.clone()
        };
        let rel = format!("{}/{stem}.jpg", s.class);
        write(&rel, &bytes)?;
        paths.push(rel);
    }
    out.students_with_photo = photographed.len();

    // The usual mistakes, each on a photographed student (replacing their good file).
    let base = draw_portrait(WIDTH, HEIGHT, BACKDROPS[0], seed.wrapping_add(99));
    let mistakes: Vec<(&str, Vec<u8>)> = vec![
        (
            "600x800",
            encode_sized(
                &resize(&base, (WIDTH, HEIGHT), (600, 800)),
                600,
                800,
                false,
                26 * KB,
                38 * KB,
            )
            .map_err(err)?,
        ),
        (
            "1inch",
            encode_sized(
                &resize(&base, (WIDTH, HEIGHT), (295, 413)),
                295,
                413,
                false,
                21 * KB,
                30 * KB,
            )
            .map_err(err)?,
        ),
        (
            "large",
            encode(&base, WIDTH, HEIGHT, false, 97).map_err(err)?,
        ),
        (
            "small",
            encode(&base, WIDTH, HEIGHT, false, 25).map_err(err)?,
        ),
        (
            "grey",
            encode_sized(&base, WIDTH, HEIGHT, true, 22 * KB, 34 * KB).map_err(err)?,
        ),
        ("cut", {
            let whole = &looks[0];
            whole[..whole.len() * 3 / 5].to_vec()
        }),
        (
            "png",
            png(
                u32::from(WIDTH) / 4,
                u32::from(HEIGHT) / 4,
                &resize(&base, (WIDTH, HEIGHT), (WIDTH / 4, HEIGHT / 4)),
            )
            .map_err(err)?,
        ),
        ("red", {
            let red = draw_portrait(WIDTH, HEIGHT, [200, 30, 35], seed.wrapping_add(7));
            encode_sized(&red, WIDTH, HEIGHT, false, 24 * KB, 36 * KB).map_err(err)?
        }),
    ];
    let step = (photographed.len() / (mistakes.len() + 4)).max(1);
    for (k, (_, bytes)) in mistakes.iter().enumerate() {
        if let Some(rel) = paths.get(3 + k * step) {
            write(rel, bytes)?;
            files.set(files.get() - 1); // replaced, not added
        }
    }

    // Re-shoots: a second file for two students, one by 学号 and one by ID number.
    if let (Some(a), Some(b)) = (
        photographed.get(1),
        photographed.get(photographed.len().saturating_sub(2)),
    ) && a.student_no != b.student_no
    {
        write(
            &format!("补拍/{}.JPG", a.student_no),
            &with_comment(&looks[1], b"re-shoot"),
        )?;
        write(
            &format!("补拍/{}.jpeg", b.id_number),
            &with_comment(&looks[2], b"re-shoot"),
        )?;
    }
    // Orphans: a typo'd 学号 (last two digits swapped), a file named by name, a camera name.
    let typo = missing.iter().find_map(|s| {
        let digits: Vec<char> = s.student_no.chars().collect();
        let n = digits.len();
        // the last two digits swapped, or the two before them
        [
            (n.wrapping_sub(1), n.wrapping_sub(2)),
            (n.wrapping_sub(2), n.wrapping_sub(3)),
        ]
        .into_iter()
        .find_map(|(a, b)| {
            let mut t = digits.clone();
            if a >= n || b >= n || t[a] == t[b] {
                return None;
            }
            t.swap(a, b);
            let t: String = t.into_iter().collect();
            (!roster.iter().any(|x| x.student_no == t)).then(|| (s.class.clone(), t))
        })
    });
    if let Some((class, typo)) = typo {
        write(
            &format!("{class}/{typo}.jpg"),
            &with_comment(&looks[3], typo.as_bytes()),
        )?;
    }
    if let Some(s) = missing.get(1) {
        write(
            &format!("{}/{}.jpg", s.class, s.name),
            &with_comment(&looks[4], s.name.as_bytes()),
        )?;
    }
    write("IMG 0001.JPG", &with_comment(&looks[5], b"camera"))?;
    // Leftovers: an empty copy and Windows' thumbnail cache.
    if let Some(s) = missing.get(2) {
        write(&format!("{}/{}.jpg", s.class, s.student_no), b"")?;
    }
    write("Thumbs.db", b"\xD0\xCF\x11\xE0 thumbnail cache")?;
    out.files = files.get();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::photo_spec::{PhotoSpec, check};
    use crate::photos::jpeg::examine;

    #[test]
    fn sample_photos_meet_the_spec() {
        for (look, backdrop) in [(1, BACKDROPS[0]), (2, BACKDROPS[1]), (3, BACKDROPS[2])] {
            let bytes = sample_jpeg(look, backdrop);
            let problems = check(&examine(&bytes), bytes.len() as u64, &PhotoSpec::default());
            assert!(
                problems.is_empty(),
                "look {look}: {problems:?} ({} bytes)",
                bytes.len()
            );
        }
    }

    #[test]
    fn a_comment_changes_the_bytes_not_the_picture() {
        let bytes = sample_jpeg(5, BACKDROPS[1]);
        let a = with_comment(&bytes, b"2022010101");
        let b = with_comment(&bytes, b"2022010102");
        assert_ne!(a, b);
        assert_eq!(examine(&a), examine(&bytes));
        assert_eq!(a.len(), bytes.len() + 4 + 10);
    }
}
