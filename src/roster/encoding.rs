//! What a roster file is, judged from its bytes alone: an XLSX workbook (a zip), an old `.xls` or
//! password-protected workbook (an OLE container), something that is not text at all, or text in
//! UTF-8, UTF-16 (Excel's "Unicode text" with its BOM, or without one, told by where the NUL bytes
//! of ASCII characters fall) or GB18030 (a superset of the GBK that Chinese Excel writes). Users
//! are never asked which encoding they saved in.
//!
//! UTF-8 without a BOM cannot be told from GBK by looking at the start alone: a roster whose first
//! megabyte is ASCII may turn GBK in its last rows. [`sniff`] scans the whole file once for UTF-8
//! validity (in constant memory). [`sniff_start`] stops after the first bytes when they are
//! UTF-8, and the reader then checks every record as it goes: a record that is not UTF-8 sends it
//! back to [`sniff`] and the start of the file (see `roster::read_source`).

use std::io::{self, Read};

/// The first bytes looked at for magic numbers, NUL bytes and control characters.
const HEAD_LEN: usize = 8 * 1024;

/// How many lines that are not UTF-8 are counted, with none that is, before the scan stops: a GBK
/// file is broken on almost every line from its start.
const MAX_BROKEN_LINES_COUNTED: u64 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    /// Mostly UTF-8 with a few broken sequences: read as UTF-8, and the rows holding the broken
    /// bytes are rejected rather than the whole file being misread as GBK.
    Utf8Damaged,
    Gb18030,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Damaged => "UTF-8",
            TextEncoding::Gb18030 => "GB18030",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Zero bytes.
    Empty,
    /// A zip archive: an `.xlsx` workbook (or another zip, which calamine then refuses).
    Zip,
    /// An OLE compound file: a `.xls` workbook, or an `.xlsx` saved with a password.
    OleContainer,
    /// Not text: NUL bytes or many control characters.
    Binary,
    /// Text; `bom_len` bytes of byte-order mark come first.
    Text {
        encoding: TextEncoding,
        bom_len: usize,
    },
}

/// What the first bytes of a file settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// The file is this, whatever follows.
    Settled(FileKind),
    /// Text without a BOM that is UTF-8 as far as the first bytes go: only the rest of the file
    /// can tell UTF-8 from GB18030.
    Utf8SoFar,
}

impl Start {
    /// How to read the file from this start: UTF-8 so far is read as UTF-8 (record by record
    /// checked, see `csv::CsvSource::stop_at_broken_utf8`).
    pub fn kind(self) -> FileKind {
        match self {
            Start::Settled(kind) => kind,
            Start::Utf8SoFar => FileKind::Text {
                encoding: TextEncoding::Utf8,
                bom_len: 0,
            },
        }
    }
}

/// Reads `input` to its end (or until the answer is certain) and says what it is.
pub fn sniff<R: Read>(input: R) -> io::Result<FileKind> {
    // the whole file is read: never `Utf8SoFar`
    Ok(look(input, false)?.kind())
}

/// As [`sniff`], but stops after the first bytes when they are UTF-8 without a BOM, and says so.
pub fn sniff_start<R: Read>(input: R) -> io::Result<Start> {
    look(input, true)
}

fn look<R: Read>(mut input: R, head_only: bool) -> io::Result<Start> {
    let settled = |kind| Ok(Start::Settled(kind));
    let mut head = vec![0u8; HEAD_LEN];
    let head_len = read_full(&mut input, &mut head)?;
    head.truncate(head_len);
    if head.is_empty() {
        return settled(FileKind::Empty);
    }
    if head.starts_with(b"PK\x03\x04") {
        return settled(FileKind::Zip);
    }
    if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return settled(FileKind::OleContainer);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return settled(FileKind::Text {
            encoding: TextEncoding::Utf16Le,
            bom_len: 2,
        });
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return settled(FileKind::Text {
            encoding: TextEncoding::Utf16Be,
            bom_len: 2,
        });
    }
    if let Some(encoding) = utf16_without_bom(&head) {
        return settled(FileKind::Text {
            encoding,
            bom_len: 0,
        });
    }
    if looks_binary(&head) {
        return settled(FileKind::Binary);
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        // A BOM says UTF-8 outright; broken sequences further on are damage, read the same way.
        return settled(FileKind::Text {
            encoding: TextEncoding::Utf8,
            bom_len: 3,
        });
    }
    let mut scan = LineScan::default();
    let mut kept = scan.feed(&head);
    if head_only && head_len == HEAD_LEN && scan.broken_lines == 0 {
        return Ok(Start::Utf8SoFar);
    }
    let mut buf = vec![0u8; 1 << 20];
    loop {
        // a GBK file breaks UTF-8 on nearly every line from the start: no need to read it all
        if scan.broken_lines >= MAX_BROKEN_LINES_COUNTED && scan.good_lines == 0 {
            break;
        }
        if kept.len() == buf.len() {
            // a line longer than the buffer: judged in pieces
            scan.line(&kept);
            kept.clear();
        }
        let carry = kept.len();
        buf[..carry].copy_from_slice(&kept);
        let n = input.read(&mut buf[carry..])?;
        if n == 0 {
            break;
        }
        kept = scan.feed(&buf[..carry + n]);
    }
    scan.line(&kept);
    let encoding = if scan.broken_lines == 0 {
        TextEncoding::Utf8
    } else if scan.good_lines > scan.broken_lines {
        // Lines of well-formed UTF-8 Chinese outnumber the broken ones: a UTF-8 file with a few
        // damaged or pasted-in rows, which are rejected by row. GBK text breaks UTF-8 on almost
        // every line that holds a Chinese character.
        TextEncoding::Utf8Damaged
    } else {
        TextEncoding::Gb18030
    };
    settled(FileKind::Text {
        encoding,
        bom_len: 0,
    })
}

/// Excel's "Unicode text" always starts with a byte-order mark, but other programs (and a BOM
/// lost by an editor) write UTF-16 without one. ASCII characters (digits of a 学号, commas, tabs,
/// line breaks) then put a NUL byte beside each of them, on the odd bytes (little-endian) or the
/// even ones (big-endian). The start is taken for UTF-16 when the NUL bytes all fall on one side
/// and it decodes to text: no NUL character, no unpaired surrogate, no control character other
/// than tab and line breaks, and at least one line break, tab or comma.
fn utf16_without_bom(head: &[u8]) -> Option<TextEncoding> {
    let units = head.len() / 2;
    if units < 2 {
        return None;
    }
    let zeros_at = |parity: usize| {
        head[..units * 2]
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros_at(0), zeros_at(1));
    let encoding = match (even, odd) {
        (0, n) if n > 0 => TextEncoding::Utf16Le,
        (n, 0) if n > 0 => TextEncoding::Utf16Be,
        _ => return None,
    };
    let unit = |i: usize| {
        let pair = [head[2 * i], head[2 * i + 1]];
        match encoding {
            TextEncoding::Utf16Le => u16::from_le_bytes(pair),
            _ => u16::from_be_bytes(pair),
        }
    };
    // the head may end inside a surrogate pair: leave its last unit out
    let mut separators = 0;
    for decoded in char::decode_utf16((0..units - 1).map(unit)) {
        let c = decoded.ok()?;
        match c {
            '\n' | '\r' | '\t' | ',' => separators += 1,
            '\0' => return None,
            c if c.is_control() && c != '\u{0C}' && c != '\u{1A}' => return None,
            _ => {}
        }
    }
    (separators > 0).then_some(encoding)
}

/// NUL bytes, or more than 2% control characters other than tab, line breaks, form feed and the
/// DOS end-of-file mark, mean the file is not a text table.
fn looks_binary(head: &[u8]) -> bool {
    if head.contains(&0) {
        return true;
    }
    let controls = head
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A)) || b == 0x7F)
        .count();
    controls * 50 > head.len()
}

fn read_full<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Counts, line by line, lines of well-formed UTF-8 holding non-ASCII characters and lines that
/// are not UTF-8.
#[derive(Default)]
struct LineScan {
    good_lines: u64,
    broken_lines: u64,
}

impl LineScan {
    /// Judges every complete line of `chunk` and returns the unfinished last line, to be put in
    /// front of the next chunk.
    fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut rest = chunk;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            self.line(&rest[..end]);
            rest = &rest[end + 1..];
        }
        rest.to_vec()
    }

    fn line(&mut self, line: &[u8]) {
        if line.is_ascii() {
            return;
        }
        match std::str::from_utf8(line) {
            Ok(_) => self.good_lines += 1,
            Err(_) => self.broken_lines += 1,
        }
    }
}

/// Turns a byte stream in `encoding` into UTF-8, streaming. Malformed input becomes U+FFFD, which
/// validation then refuses with a reason (nothing is silently guessed).
pub struct DecodingReader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    raw: Vec<u8>,
    raw_start: usize,
    raw_end: usize,
    raw_eof: bool,
    decoded: Vec<u8>,
    decoded_start: usize,
    decoded_end: usize,
    finished: bool,
}

impl<R: Read> DecodingReader<R> {
    /// `input` must start after any byte-order mark.
    pub fn new(input: R, encoding: &'static encoding_rs::Encoding) -> Self {
        DecodingReader {
            inner: input,
            decoder: encoding.new_decoder_without_bom_handling(),
            raw: vec![0; 64 * 1024],
            raw_start: 0,
            raw_end: 0,
            raw_eof: false,
            // UTF-8 output of GB18030 or UTF-16 is at most 3 bytes per 2 input bytes (plus slack).
            decoded: vec![0; 112 * 1024],
            decoded_start: 0,
            decoded_end: 0,
            finished: false,
        }
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.decoded_start < self.decoded_end {
                let n = out.len().min(self.decoded_end - self.decoded_start);
                out[..n].copy_from_slice(&self.decoded[self.decoded_start..self.decoded_start + n]);
                self.decoded_start += n;
                return Ok(n);
            }
            if self.finished || out.is_empty() {
                return Ok(0);
            }
            if self.raw_start == self.raw_end && !self.raw_eof {
                let n = loop {
                    match self.inner.read(&mut self.raw) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                self.raw_start = 0;
                self.raw_end = n;
                self.raw_eof = n == 0;
            }
            let (result, read, written, _replaced) = self.decoder.decode_to_utf8(
                &self.raw[self.raw_start..self.raw_end],
                &mut self.decoded,
                self.raw_eof,
            );
            self.raw_start += read;
            self.decoded_start = 0;
            self.decoded_end = written;
            if self.raw_eof && result == encoding_rs::CoderResult::InputEmpty {
                self.finished = true;
            }
        }
    }
}

/// The encoding_rs codec for a detected text encoding; `None` means the bytes are already UTF-8.
pub fn codec(encoding: TextEncoding) -> Option<&'static encoding_rs::Encoding> {
    match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Damaged => None,
        TextEncoding::Gb18030 => Some(encoding_rs::GB18030),
        TextEncoding::Utf16Le => Some(encoding_rs::UTF_16LE),
        TextEncoding::Utf16Be => Some(encoding_rs::UTF_16BE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn kinds_are_told_from_the_bytes() {
        let roster = "学号,姓名\n2022001,张三\n";
        let mut late_gbk = "2022001,abc\n".repeat(200_000).into_bytes(); // 2.4 MB of ASCII first
        late_gbk.extend(gbk("2022002,张三\n"));
        let mut damaged = roster.repeat(40).into_bytes();
        damaged.extend([0xFF, b'\n']);
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend(roster.as_bytes());
        let cases: Vec<(&str, Vec<u8>, FileKind)> = vec![
            ("empty", vec![], FileKind::Empty),
            (
                "utf-8",
                roster.as_bytes().to_vec(),
                FileKind::Text {
                    encoding: TextEncoding::Utf8,
                    bom_len: 0,
                },
            ),
            (
                "utf-8 bom",
                with_bom,
                FileKind::Text {
                    encoding: TextEncoding::Utf8,
                    bom_len: 3,
                },
            ),
            (
                "gbk",
                gbk(roster),
                FileKind::Text {
                    encoding: TextEncoding::Gb18030,
                    bom_len: 0,
                },
            ),
            (
                "gbk after 2 MB of ascii",
                late_gbk,
                FileKind::Text {
                    encoding: TextEncoding::Gb18030,
                    bom_len: 0,
                },
            ),
            (
                "damaged utf-8",
                damaged,
                FileKind::Text {
                    encoding: TextEncoding::Utf8Damaged,
                    bom_len: 0,
                },
            ),
            (
                "utf-16le",
                utf16le(roster, true),
                FileKind::Text {
                    encoding: TextEncoding::Utf16Le,
                    bom_len: 2,
                },
            ),
            ("xlsx", b"PK\x03\x04\x14\x00rest".to_vec(), FileKind::Zip),
            (
                "xls",
                vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0],
                FileKind::OleContainer,
            ),
            (
                "png",
                b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
                FileKind::Binary,
            ),
            (
                "utf-16 without bom",
                utf16le(roster, false),
                FileKind::Text {
                    encoding: TextEncoding::Utf16Le,
                    bom_len: 0,
                },
            ),
            (
                "utf-16be without bom",
                roster.encode_utf16().flat_map(u16::to_be_bytes).collect(),
                FileKind::Text {
                    encoding: TextEncoding::Utf16Be,
                    bom_len: 0,
                },
            ),
            (
                "utf-8 with one row pasted from a gbk file",
                {
                    let mut bytes = "学号,姓名,学院\n2022001,张三,计算机学院\n"
                        .as_bytes()
                        .to_vec();
                    bytes.extend(gbk("2022002,李四,计算机学院\n"));
                    bytes.extend("2022003,王五,计算机学院\n".as_bytes());
                    bytes
                },
                FileKind::Text {
                    encoding: TextEncoding::Utf8Damaged,
                    bom_len: 0,
                },
            ),
            (
                "nul bytes on both sides are binary",
                b"ab\0\0cd\0e\0\0\n".to_vec(),
                FileKind::Binary,
            ),
            (
                "control bytes",
                (0u8..32)
                    .cycle()
                    .skip(1)
                    .filter(|b| *b != 0)
                    .take(400)
                    .collect(),
                FileKind::Binary,
            ),
            (
                "ascii only",
                b"a,b\n1,2".to_vec(),
                FileKind::Text {
                    encoding: TextEncoding::Utf8,
                    bom_len: 0,
                },
            ),
        ];
        for (what, bytes, want) in cases {
            assert_eq!(sniff(&bytes[..]).unwrap(), want, "{what}");
        }
    }

    #[test]
    fn the_start_settles_everything_but_utf8_without_a_bom() {
        let ascii = "2022001,abc\n".repeat(1_000).into_bytes(); // 12 KB
        assert_eq!(sniff_start(&ascii[..]).unwrap(), Start::Utf8SoFar);
        let mut late_gbk = ascii.clone();
        late_gbk.extend(gbk("2022002,张三\n"));
        assert_eq!(
            sniff_start(&late_gbk[..]).unwrap(),
            Start::Utf8SoFar,
            "only the start is read"
        );
        assert_eq!(
            sniff(&late_gbk[..]).unwrap(),
            FileKind::Text {
                encoding: TextEncoding::Gb18030,
                bom_len: 0
            }
        );
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend(&late_gbk);
        let utf8_bom = FileKind::Text {
            encoding: TextEncoding::Utf8,
            bom_len: 3,
        };
        assert_eq!(
            sniff_start(&with_bom[..]).unwrap(),
            Start::Settled(utf8_bom)
        );
        assert_eq!(
            sniff(&with_bom[..]).unwrap(),
            utf8_bom,
            "a BOM settles it for the whole file too"
        );
        // a start that is not UTF-8, or a file shorter than the start, is judged whole
        let mut gbk_first = gbk("学号,姓名\n");
        gbk_first.extend(&ascii);
        let gb18030 = FileKind::Text {
            encoding: TextEncoding::Gb18030,
            bom_len: 0,
        };
        assert_eq!(
            sniff_start(&gbk_first[..]).unwrap(),
            Start::Settled(gb18030)
        );
        let short = b"a,b\n1,2\n";
        assert_eq!(
            sniff_start(&short[..]).unwrap(),
            Start::Settled(FileKind::Text {
                encoding: TextEncoding::Utf8,
                bom_len: 0
            })
        );
        assert_eq!(
            sniff_start(&b""[..]).unwrap(),
            Start::Settled(FileKind::Empty)
        );
    }

    #[test]
    fn a_sequence_split_across_chunks_is_still_valid() {
        // 8 KiB head boundary falls inside a 3-byte character
        let mut bytes = vec![b'a'; HEAD_LEN - 1];
        bytes.extend("张三\n".as_bytes());
        assert_eq!(
            sniff(&bytes[..]).unwrap(),
            FileKind::Text {
                encoding: TextEncoding::Utf8,
                bom_len: 0
            }
        );
        bytes.truncate(HEAD_LEN + 1); // cut inside 张
        assert_eq!(
            sniff(&bytes[..]).unwrap(),
            FileKind::Text {
                encoding: TextEncoding::Gb18030,
                bom_len: 0
            }
        );
    }

    #[test]
    fn decoding_reader_streams_in_small_reads() {
        let text = "学号,姓名,学院\n".to_string() + &"2022001,欧阳娜娜,计算机学院\n".repeat(10_000);
        for (encoding, bytes) in [
            (encoding_rs::GB18030, gbk(&text)),
            (encoding_rs::UTF_16LE, utf16le(&text, false)),
        ] {
            let mut reader = DecodingReader::new(&bytes[..], encoding);
            let mut out = Vec::new();
            let mut buf = [0u8; 7]; // smaller than one decoded character run
            loop {
                let n = reader.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&buf[..n]);
            }
            assert_eq!(String::from_utf8(out).unwrap(), text, "{}", encoding.name());
        }
    }

    #[test]
    fn malformed_bytes_become_replacement_characters() {
        let mut bytes = gbk("张三,");
        bytes.push(0x81); // a lead byte with no trail at the end
        let mut out = String::new();
        DecodingReader::new(&bytes[..], encoding_rs::GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "张三,\u{FFFD}");
    }
}
