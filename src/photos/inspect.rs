//! Reading each candidate file once: SHA-256 of its bytes, the JPEG walk, the spec check and,
//! with `--deep`, a decode and a look at the background — spread over the cores.
//!
//! The stored rows are a cache keyed by path, size and modification time: a file whose size
//! and mtime are unchanged keeps its stored hash, and if it was also judged by the same spec its
//! stored problems too, so it is not even opened.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use super::walk::{Found, SkipReason, io_reason};
use crate::domain::photo_spec::{self, Corner, FileFormat, JpegEnd, PhotoSpec, Problem};
use crate::store::PhotoRecord;

/// What is known about one file after inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspected {
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub problems: Vec<Problem>,
    /// Whether the file was opened (false: everything came from the cache).
    pub read: bool,
    /// Whether the hash was computed (false: the cached one was kept).
    pub hashed: bool,
}

/// The rules a run applies.
#[derive(Debug, Clone)]
pub struct Rules {
    pub spec: PhotoSpec,
    pub deep: bool,
    /// `spec.fingerprint(deep)`, compared with each cached row's.
    pub fingerprint: String,
}

impl Rules {
    pub fn new(spec: PhotoSpec, deep: bool) -> Rules {
        Rules {
            fingerprint: spec.fingerprint(deep),
            spec,
            deep,
        }
    }
}

/// Inspects every file on `threads` threads; results come back in the order of `files`.
pub fn inspect_all(
    files: &[Found],
    cache: &HashMap<String, PhotoRecord>,
    prefix: &str,
    rules: &Rules,
    threads: usize,
) -> Vec<Result<Inspected, SkipReason>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Inspected, SkipReason>>>> =
        Mutex::new(vec![None; files.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                // One buffer per thread, grown to the largest file and reused.
                let mut buf = Vec::with_capacity(64 * 1024);
                let mut done = Vec::new();
                loop {
                    // Small batches keep the counter cheap and the cores evenly loaded.
                    let start = next.fetch_add(16, Ordering::Relaxed);
                    if start >= files.len() {
                        break;
                    }
                    for (i, f) in files.iter().enumerate().skip(start).take(16) {
                        let cached = cache.get(&format!("{prefix}{}", f.rel));
                        done.push((i, inspect(f, cached, rules, &mut buf)));
                    }
                }
                if let Ok(mut all) = results.lock() {
                    for (i, r) in done {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    let all = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    all.into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(SkipReason::UnreadableFile {
                    error: "not inspected".into(),
                })
            })
        })
        .collect()
}

/// One file: from the cache when its size and mtime are unchanged, else from its bytes.
pub fn inspect(
    f: &Found,
    cached: Option<&PhotoRecord>,
    rules: &Rules,
    buf: &mut Vec<u8>,
) -> Result<Inspected, SkipReason> {
    let unchanged = cached.filter(|c| c.size == f.size as i64 && c.mtime == f.mtime_ns);
    if let Some(c) = unchanged.filter(|c| c.spec == rules.fingerprint)
        && let Ok(problems) = c.decoded_problems()
    {
        return Ok(Inspected {
            sha256: c.sha256.clone(),
            width: c.width,
            height: c.height,
            problems,
            read: false,
            hashed: false,
        });
    }
    read_file(&f.path, buf).map_err(|e| SkipReason::UnreadableFile {
        error: io_reason(&e),
    })?;
    if buf.is_empty() {
        // emptied between the walk and now
        return Err(SkipReason::Empty);
    }
    let (sha256, hashed) = match unchanged {
        Some(c) if c.sha256.len() == 64 => (c.sha256.clone(), false),
        _ => (hex(&Sha256::digest(&buf[..])), true),
    };
    let facts = super::jpeg::examine(buf);
    let mut problems = photo_spec::check(&facts, buf.len() as u64, &rules.spec);
    if rules.deep && facts.format == FileFormat::Jpeg && facts.end == JpegEnd::Complete {
        problems.extend(deep_check(buf));
    }
    Ok(Inspected {
        sha256,
        width: facts.frame.map(|f| i32::from(f.width)),
        height: facts.frame.map(|f| i32::from(f.height)),
        problems,
        read: true,
        hashed,
    })
}

/// Reads the whole file into `buf` (files are at most `HUGE_BYTES`, so one read call each).
fn read_file(path: &std::path::Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    buf.clear();
    // a file swapped for a FIFO since the walk is refused, not waited on
    let mut file = crate::files::open_input(path)?;
    // A file that grew past the limit since the walk is still read only up to it.
    file.by_ref()
        .take(super::walk::HUGE_BYTES + 1)
        .read_to_end(buf)?;
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Decoding at a quarter of the size still runs every entropy-coded bit through the decoder
/// (so broken data is caught) and leaves plenty of pixels for the corners, at a fraction of
/// the cost of a full decode.
const DEEP_SCALE: u16 = 4;

/// `--deep`: decodes the image and judges the background at the top corners.
pub fn deep_check(bytes: &[u8]) -> Vec<Problem> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    // A header may claim 65535×65535; refuse to allocate for that.
    decoder.set_max_decoding_buffer_size(64 * 1024 * 1024);
    let decoded = decoder.read_info().and_then(|()| {
        let info = decoder
            .info()
            .ok_or_else(|| jpeg_decoder::Error::Format("no frame header".into()))?;
        let (w, h) = decoder.scale(
            (info.width / DEEP_SCALE).max(1),
            (info.height / DEEP_SCALE).max(1),
        )?;
        let pixels = decoder.decode()?;
        let format = decoder.info().map(|i| i.pixel_format);
        Ok((usize::from(w), usize::from(h), pixels, format))
    });
    let (width, height, pixels, format) = match decoded {
        Ok(d) => d,
        Err(e) => {
            return vec![Problem::Undecodable {
                reason: e.to_string(),
            }];
        }
    };
    let channels = match format {
        Some(jpeg_decoder::PixelFormat::RGB24) => 3,
        Some(jpeg_decoder::PixelFormat::L8) => 1,
        // CMYK and 16-bit images are already refused by the spec; no background to judge.
        _ => return Vec::new(),
    };
    if pixels.len() < width * height * channels || width < 4 || height < 4 {
        return Vec::new();
    }
    let corners = [(Corner::TopLeft, 0usize), (Corner::TopRight, 1)];
    let samples: Vec<(Corner, [u8; 3])> = corners
        .iter()
        .map(|&(corner, side)| {
            (
                corner,
                corner_average(&pixels, width, height, channels, side),
            )
        })
        .collect();
    photo_spec::check_background(&samples)
}

/// The average colour of a square patch near a top corner (`side` 0 left, 1 right), inset a
/// little so a thin border or the edge's ringing does not count.
fn corner_average(
    pixels: &[u8],
    width: usize,
    height: usize,
    channels: usize,
    side: usize,
) -> [u8; 3] {
    let patch = (width / 16).clamp(2, 32).min(height / 2);
    let inset = (width / 60).min(width - patch);
    let x0 = if side == 0 {
        inset
    } else {
        width - inset - patch
    };
    let y0 = inset.min(height - patch);
    let mut sum = [0u64; 3];
    for y in y0..y0 + patch {
        for x in x0..x0 + patch {
            let p = (y * width + x) * channels;
            for (c, s) in sum.iter_mut().enumerate() {
                *s += u64::from(pixels[p + if channels == 3 { c } else { 0 }]);
            }
        }
    }
    let n = (patch * patch) as u64;
    [(sum[0] / n) as u8, (sum[1] / n) as u8, (sum[2] / n) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::photo_spec::KB;

    fn found(dir: &std::path::Path, name: &str, bytes: &[u8]) -> Found {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        use std::os::unix::fs::MetadataExt;
        Found {
            rel: name.into(),
            stem: name.trim_end_matches(".jpg").into(),
            path,
            size: meta.len(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
        }
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0xAB, 0x7F]), "00ab7f");
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_demo_photo_is_valid_and_the_cache_skips_work() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = crate::demo::photos::sample_jpeg(7, [100, 197, 255]);
        let f = found(dir.path(), "2022010101.jpg", &bytes);
        let rules = Rules::new(PhotoSpec::default(), true);
        let mut buf = Vec::new();
        let first = inspect(&f, None, &rules, &mut buf).unwrap();
        assert!(first.problems.is_empty(), "{:?}", first.problems);
        assert!(first.read && first.hashed);
        assert_eq!(first.sha256, hex(&Sha256::digest(&bytes)));
        assert_eq!((first.width, first.height), (Some(480), Some(640)));

        let mut row = PhotoRecord {
            path: "/x/2022010101.jpg".into(),
            student_id: None,
            student_no: None,
            id_number: None,
            size: f.size as i64,
            mtime: f.mtime_ns,
            sha256: first.sha256.clone(),
            width: first.width,
            height: first.height,
            status: crate::store::PhotoFileStatus::Valid,
            problems: String::new(),
            spec: rules.fingerprint.clone(),
        };
        let cached = inspect(&f, Some(&row), &rules, &mut buf).unwrap();
        assert!(
            !cached.read && !cached.hashed,
            "unchanged file is not opened"
        );
        assert_eq!(cached.sha256, first.sha256);

        // another spec: re-read and re-judged, but the hash is kept
        let other = Rules::new(
            PhotoSpec {
                min_bytes: 100 * KB,
                max_bytes: 200 * KB,
                ..PhotoSpec::default()
            },
            false,
        );
        let rejudged = inspect(&f, Some(&row), &other, &mut buf).unwrap();
        assert!(rejudged.read && !rejudged.hashed);
        assert_eq!(
            rejudged
                .problems
                .iter()
                .map(Problem::code)
                .collect::<Vec<_>>(),
            ["too_small"]
        );

        // a changed mtime: hashed again
        row.mtime += 1;
        let changed = inspect(&f, Some(&row), &rules, &mut buf).unwrap();
        assert!(changed.read && changed.hashed);
    }

    #[test]
    fn deep_check_judges_the_background() {
        let cases: [([u8; 3], &[&str]); 4] = [
            ([100, 197, 255], &[]),
            ([255, 255, 255], &[]),
            ([240, 240, 240], &[]),
            ([200, 40, 40], &["background", "background"]),
        ];
        for (bg, want) in cases {
            let bytes = crate::demo::photos::sample_jpeg(3, bg);
            let got: Vec<&str> = deep_check(&bytes).iter().map(Problem::code).collect();
            assert_eq!(got, want, "{bg:?}");
        }
        // The markers stay whole (the header walk is happy) but the first Huffman table
        // claims more codes than its segment holds: only decoding finds that out.
        let mut broken = crate::demo::photos::sample_jpeg(3, [255, 255, 255]);
        let dht = broken.windows(2).position(|w| w == [0xFF, 0xC4]).unwrap();
        for b in broken[dht + 5..dht + 21].iter_mut() {
            *b = 0xFF;
        }
        assert_eq!(crate::photos::jpeg::examine(&broken).end, JpegEnd::Complete);
        let problems = deep_check(&broken);
        assert_eq!(
            problems.iter().map(Problem::code).collect::<Vec<_>>(),
            ["undecodable"],
            "{problems:?}"
        );
    }

    #[test]
    fn work_is_spread_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let photo = crate::demo::photos::sample_jpeg(1, [255, 255, 255]);
        let files: Vec<Found> = (0..50)
            .map(|i| {
                let bytes = if i % 7 == 0 {
                    b"not a jpeg".to_vec()
                } else {
                    crate::demo::photos::with_comment(&photo, format!("{i}").as_bytes())
                };
                found(dir.path(), &format!("{i:03}.jpg"), &bytes)
            })
            .collect();
        let results = inspect_all(
            &files,
            &HashMap::new(),
            "/",
            &Rules::new(PhotoSpec::default(), false),
            2,
        );
        assert_eq!(results.len(), 50);
        for (i, r) in results.iter().enumerate() {
            let r = r.as_ref().unwrap();
            let want_sha = hex(&Sha256::digest(std::fs::read(&files[i].path).unwrap()));
            assert_eq!(r.sha256, want_sha, "result {i} belongs to file {i}");
            assert_eq!(
                r.problems.first().map(Problem::code) == Some("not_jpeg"),
                i % 7 == 0,
                "{i}"
            );
        }
    }
}
