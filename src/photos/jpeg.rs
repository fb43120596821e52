//! What a file's bytes are: the format from its first bytes, and for JPEGs a walk through the
//! markers from SOI to EOI that finds the frame header and the EXIF orientation, and notices
//! truncation or damage.
//!
//! The walk reads only markers and segment lengths and skips the entropy-coded scan data, so
//! it costs a fraction of hashing the same bytes. It never panics and never reads past the
//! end: a file cut short is an answer (`JpegEnd::Truncated`), not an error.

use crate::domain::photo_spec::{Damage, FileFacts, FileFormat, Frame, JpegEnd};

/// The format by magic number.
pub fn sniff(bytes: &[u8]) -> FileFormat {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        FileFormat::Jpeg
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        FileFormat::Png
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        FileFormat::Gif
    } else if starts(b"BM") && bytes.len() >= 14 {
        FileFormat::Bmp
    } else if starts(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        FileFormat::Webp
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        FileFormat::Tiff
    } else if bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_some_and(|b| {
            matches!(
                b,
                b"heic"
                    | b"heix"
                    | b"heim"
                    | b"heis"
                    | b"hevc"
                    | b"hevx"
                    | b"hevm"
                    | b"hevs"
                    | b"mif1"
                    | b"msf1"
                    | b"avif"
            )
        })
    {
        FileFormat::Heif
    } else if starts(b"%PDF") {
        FileFormat::Pdf
    } else {
        FileFormat::Unknown
    }
}

/// Start-of-frame markers that carry the image's size: SOF0–3, 5–7, 9–11, 13–15
/// (C4 is DHT, C8 is reserved, CC is DAC).
fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;

/// Reads the format and, for a JPEG, its frame header and how its structure ends.
pub fn examine(bytes: &[u8]) -> FileFacts {
    let format = sniff(bytes);
    if format != FileFormat::Jpeg {
        return FileFacts {
            format,
            frame: None,
            end: JpegEnd::Complete,
            orientation: None,
        };
    }
    let mut orientation = None;
    let (frame, end) = walk_markers(bytes, &mut orientation);
    FileFacts {
        format,
        frame,
        end,
        orientation,
    }
}

/// APP1, where cameras and phones put EXIF (and XMP, under another signature).
const APP1: u8 = 0xE1;

/// The Orientation tag (0x0112) of the first IFD of an APP1 segment's EXIF data, or None when
/// the segment is not EXIF or has no such tag. Every offset is checked against the segment, so
/// a broken EXIF block is no orientation, never a panic.
pub fn exif_orientation(app1: &[u8]) -> Option<u16> {
    let tiff = app1.strip_prefix(b"Exif\0\0")?;
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b: [u8; 2] = tiff.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if little {
            u16::from_le_bytes(b)
        } else {
            u16::from_be_bytes(b)
        })
    };
    let u32_at = |at: usize| {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    if u16_at(2)? != 42 {
        return None;
    }
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries).find_map(|i| {
        let entry = ifd + 2 + 12 * i;
        if u16_at(entry)? != 0x0112 || u32_at(entry + 4)? == 0 {
            return None;
        }
        // SHORT as the standard says; LONG from a few writers.
        match u16_at(entry + 2)? {
            3 => u16_at(entry + 8),
            4 => u32_at(entry + 8).and_then(|v| u16::try_from(v).ok()),
            _ => None,
        }
    })
}

fn walk_markers(bytes: &[u8], orientation: &mut Option<u16>) -> (Option<Frame>, JpegEnd) {
    let mut frame: Option<Frame> = None;
    let mut scans = 0u32;
    let mut pos = 2; // after SOI
    loop {
        // A marker: 0xFF, any number of 0xFF fill bytes, then the marker code.
        let Some(&first) = bytes.get(pos) else {
            return (frame, JpegEnd::Truncated);
        };
        if first != 0xFF {
            return (
                frame,
                JpegEnd::Damaged(Damage::NotAMarker { offset: pos as u64 }),
            );
        }
        let start = pos;
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return (frame, JpegEnd::Truncated);
        };
        pos += 1;
        match marker {
            EOI => {
                let end = if frame.is_none() {
                    JpegEnd::Damaged(Damage::NoFrame)
                } else if scans == 0 {
                    JpegEnd::Damaged(Damage::NoScan)
                } else {
                    JpegEnd::Complete
                };
                return (frame, end);
            }
            SOI => {
                return (
                    frame,
                    JpegEnd::Damaged(Damage::SecondStart {
                        offset: start as u64,
                    }),
                );
            }
            // Markers without a segment: TEM and restart markers.
            0x01 | 0xD0..=0xD7 => continue,
            0x00 => {
                return (
                    frame,
                    JpegEnd::Damaged(Damage::NotAMarker {
                        offset: start as u64,
                    }),
                );
            }
            _ => {}
        }
        let Some(len) = bytes
            .get(pos..pos + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return (frame, JpegEnd::Truncated);
        };
        if len < 2 {
            return (
                frame,
                JpegEnd::Damaged(Damage::BadSegment {
                    offset: start as u64,
                    marker,
                }),
            );
        }
        let Some(body) = bytes.get(pos + 2..pos + len) else {
            return (frame, JpegEnd::Truncated);
        };
        if marker == APP1 && orientation.is_none() {
            *orientation = exif_orientation(body);
        }
        if is_sof(marker) {
            // precision(1) height(2) width(2) components(1), then 3 bytes per component
            if body.len() < 6 || body.len() < 6 + 3 * usize::from(body[5]) {
                return (
                    frame,
                    JpegEnd::Damaged(Damage::BadSegment {
                        offset: start as u64,
                        marker,
                    }),
                );
            }
            if frame.is_none() {
                frame = Some(Frame {
                    precision: body[0],
                    height: u16::from_be_bytes([body[1], body[2]]),
                    width: u16::from_be_bytes([body[3], body[4]]),
                    components: body[5],
                });
            }
        }
        pos += len;
        if marker == SOS {
            if frame.is_none() {
                return (
                    frame,
                    JpegEnd::Damaged(Damage::ScanBeforeFrame {
                        offset: start as u64,
                    }),
                );
            }
            scans += 1;
            match skip_entropy_data(bytes, pos) {
                Some(next) => pos = next,
                None => return (frame, JpegEnd::Truncated),
            }
        }
    }
}

/// The position of the first real marker after entropy-coded data starting at `pos`: in scan
/// data a 0xFF is followed by 0x00 (a stuffed byte), a restart marker, or fill bytes.
fn skip_entropy_data(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += memchr::memchr(0xFF, bytes.get(pos..)?)?;
        let mut next = pos + 1;
        while bytes.get(next) == Some(&0xFF) {
            next += 1;
        }
        match *bytes.get(next)? {
            0x00 | 0xD0..=0xD7 => pos = next + 1,
            _ => return Some(next - 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal JPEG built marker by marker: SOI, APP0, DQT, SOF0, SOS with scan bytes, EOI.
    pub(crate) fn tiny_jpeg(
        width: u16,
        height: u16,
        components: u8,
        precision: u8,
        scan: &[u8],
    ) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x10]);
        b.extend_from_slice(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
        b.extend(std::iter::repeat_n(1u8, 64));
        let sof_len = 8 + 3 * u16::from(components);
        b.extend_from_slice(&[0xFF, 0xC0]);
        b.extend_from_slice(&sof_len.to_be_bytes());
        b.push(precision);
        b.extend_from_slice(&height.to_be_bytes());
        b.extend_from_slice(&width.to_be_bytes());
        b.push(components);
        for c in 0..components {
            b.extend_from_slice(&[c + 1, 0x11, 0x00]);
        }
        let sos_len = 6 + 2 * u16::from(components);
        b.extend_from_slice(&[0xFF, 0xDA]);
        b.extend_from_slice(&sos_len.to_be_bytes());
        b.push(components);
        for c in 0..components {
            b.extend_from_slice(&[c + 1, 0x00]);
        }
        b.extend_from_slice(&[0x00, 0x3F, 0x00]);
        b.extend_from_slice(scan);
        b.extend_from_slice(&[0xFF, 0xD9]);
        b
    }

    #[test]
    fn formats_are_judged_by_content() {
        let cases: [(&[u8], FileFormat); 11] = [
            (&[0xFF, 0xD8, 0xFF, 0xE0], FileFormat::Jpeg),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", FileFormat::Png),
            (b"GIF89a\x01\x00", FileFormat::Gif),
            (
                b"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00",
                FileFormat::Bmp,
            ),
            (b"RIFF\x10\0\0\0WEBPVP8 ", FileFormat::Webp),
            (b"II*\0\x08\0\0\0", FileFormat::Tiff),
            (b"\0\0\0\x18ftypheic\0\0\0\0", FileFormat::Heif),
            (b"%PDF-1.7", FileFormat::Pdf),
            (b"hello, world", FileFormat::Unknown),
            (&[0xFF, 0xD8], FileFormat::Unknown),
            (b"", FileFormat::Unknown),
        ];
        for (bytes, want) in cases {
            assert_eq!(sniff(bytes), want, "{bytes:?}");
        }
    }

    /// An APP1 EXIF segment whose first IFD holds `entries` (tag, type, value), in either
    /// byte order.
    pub(crate) fn exif_app1(little: bool, entries: &[(u16, u16, u32)]) -> Vec<u8> {
        let u16b = |v: u16| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let u32b = |v: u32| {
            if little {
                v.to_le_bytes()
            } else {
                v.to_be_bytes()
            }
        };
        let mut tiff = Vec::new();
        tiff.extend_from_slice(if little { b"II" } else { b"MM" });
        tiff.extend_from_slice(&u16b(42));
        tiff.extend_from_slice(&u32b(8));
        tiff.extend_from_slice(&u16b(entries.len() as u16));
        for &(tag, kind, value) in entries {
            tiff.extend_from_slice(&u16b(tag));
            tiff.extend_from_slice(&u16b(kind));
            tiff.extend_from_slice(&u32b(1));
            if kind == 3 {
                tiff.extend_from_slice(&u16b(value as u16));
                tiff.extend_from_slice(&[0, 0]);
            } else {
                tiff.extend_from_slice(&u32b(value));
            }
        }
        tiff.extend_from_slice(&u32b(0));
        let mut seg = vec![0xFF, APP1];
        seg.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
        seg.extend_from_slice(b"Exif\0\0");
        seg.extend_from_slice(&tiff);
        seg
    }

    /// `tiny_jpeg` with `segment` right after SOI, where cameras write EXIF.
    pub(crate) fn with_segment(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(segment);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_orientation_is_read_in_both_byte_orders() {
        let plain = tiny_jpeg(480, 640, 3, 8, &[1, 2, 3]);
        let model = (0x0110, 2, 0); // Model, ASCII: any tag before it is stepped over
        let cases: Vec<(&str, Vec<u8>, Option<u16>)> = vec![
            ("no EXIF", plain.clone(), None),
            (
                "Motorola order, turned",
                with_segment(&plain, &exif_app1(false, &[model, (0x0112, 3, 6)])),
                Some(6),
            ),
            (
                "Intel order, turned",
                with_segment(&plain, &exif_app1(true, &[(0x0112, 3, 8)])),
                Some(8),
            ),
            (
                "upright",
                with_segment(&plain, &exif_app1(true, &[(0x0112, 3, 1)])),
                Some(1),
            ),
            (
                "written as LONG",
                with_segment(&plain, &exif_app1(false, &[(0x0112, 4, 3)])),
                Some(3),
            ),
            (
                "EXIF without the tag",
                with_segment(&plain, &exif_app1(true, &[model])),
                None,
            ),
            (
                "XMP, not EXIF",
                with_segment(
                    &plain,
                    &[&[0xFF, APP1, 0x00, 0x0A][..], b"http://x"].concat(),
                ),
                None,
            ),
        ];
        for (name, bytes, want) in cases {
            let facts = examine(&bytes);
            assert_eq!(facts.end, JpegEnd::Complete, "{name}");
            assert_eq!(facts.orientation, want, "{name}");
        }
        // Every cut of the EXIF block is no orientation, never a panic.
        let app1 = exif_app1(false, &[model, (0x0112, 3, 6)]);
        for cut in 0..app1.len() - 4 {
            let _ = exif_orientation(&app1[4..4 + cut]);
        }
        assert_eq!(exif_orientation(&app1[4..]), Some(6));
    }

    #[test]
    fn a_whole_jpeg_gives_its_frame() {
        let bytes = tiny_jpeg(480, 640, 3, 8, &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        let facts = examine(&bytes);
        assert_eq!(facts.format, FileFormat::Jpeg);
        assert_eq!(facts.end, JpegEnd::Complete);
        assert_eq!(
            facts.frame,
            Some(Frame {
                width: 480,
                height: 640,
                components: 3,
                precision: 8
            })
        );
        let grey = examine(&tiny_jpeg(295, 413, 1, 8, &[1, 2, 3]));
        assert_eq!(
            grey.frame,
            Some(Frame {
                width: 295,
                height: 413,
                components: 1,
                precision: 8
            })
        );
    }

    #[test]
    fn every_cut_of_a_jpeg_is_truncated_never_a_panic() {
        let bytes = tiny_jpeg(
            480,
            640,
            3,
            8,
            &[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0x78],
        );
        for cut in 3..bytes.len() {
            let facts = examine(&bytes[..cut]);
            assert_eq!(
                facts.end,
                JpegEnd::Truncated,
                "cut at {cut} of {}",
                bytes.len()
            );
        }
    }

    #[test]
    fn damage_is_located() {
        let good = tiny_jpeg(480, 640, 3, 8, &[1, 2, 3]);
        let sof = good.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let sos = good.windows(2).position(|w| w == [0xFF, 0xDA]).unwrap();

        let mut not_marker = good.clone();
        not_marker[sof] = 0x00;
        assert_eq!(
            examine(&not_marker).end,
            JpegEnd::Damaged(Damage::NotAMarker { offset: sof as u64 })
        );

        let mut bad_len = good.clone();
        bad_len[sof + 2] = 0;
        bad_len[sof + 3] = 1;
        assert_eq!(
            examine(&bad_len).end,
            JpegEnd::Damaged(Damage::BadSegment {
                offset: sof as u64,
                marker: 0xC0
            })
        );

        let mut short_frame = good.clone();
        short_frame[sof + 3] = 8; // room for no component although it claims 3
        assert!(matches!(examine(&short_frame).end, JpegEnd::Damaged(_)));

        let mut no_frame = good[..sof].to_vec();
        no_frame.extend_from_slice(&good[sos..]);
        assert_eq!(
            examine(&no_frame).end,
            JpegEnd::Damaged(Damage::ScanBeforeFrame { offset: sof as u64 })
        );

        let mut second_soi = good[..sos].to_vec();
        second_soi.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xD9]);
        assert_eq!(
            examine(&second_soi).end,
            JpegEnd::Damaged(Damage::SecondStart { offset: sos as u64 })
        );

        let mut no_scan = good[..sos].to_vec();
        no_scan.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(examine(&no_scan).end, JpegEnd::Damaged(Damage::NoScan));

        let only_markers = [0xFF, 0xD8, 0xFF, 0xD9];
        assert_eq!(
            examine(&only_markers).end,
            JpegEnd::Damaged(Damage::NoFrame)
        );
    }

    #[test]
    fn fill_bytes_and_trailing_data_are_accepted() {
        let mut bytes = tiny_jpeg(480, 640, 3, 8, &[9, 9]);
        // fill bytes before a marker are legal
        bytes.splice(2..2, [0xFF, 0xFF]);
        // some cameras append data after EOI; the image itself is whole
        bytes.extend_from_slice(b"trailing vendor data");
        let facts = examine(&bytes);
        assert_eq!(facts.end, JpegEnd::Complete);
        assert_eq!(facts.frame.map(|f| (f.width, f.height)), Some((480, 640)));
    }
}
