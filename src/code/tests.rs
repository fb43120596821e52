//! End to end: payload → token → QR → what the terminal shows (or the PNG) → an independent
//! decoder (rqrr, finding the code in a rasterised image) → verify with the keyring.
//! Nothing is compared with a copy of itself: what was drawn is read back and checked.

use chrono::NaiveDate;
use qrcode::types::Mode;

use super::qr::{MAX_VERSION, segment_modes};
use super::token::{MAX_TOKEN_CHARS, PREFIX};
use super::*;
use crate::domain::{IdType, Level, Student};

fn student(no: &str, name: &str, id_type: IdType, id_number: &str, level: Level) -> Student {
    Student {
        student_no: no.into(),
        name: name.into(),
        id_type,
        id_number: id_number.into(),
        college: "计算机学院".into(),
        major: "软件工程".into(),
        class: "软件2201".into(),
        level,
        counselor: "王老师".into(),
        cohort: 2026,
        gender: None,
        phone: None,
    }
}

/// Screen text with SGR colours back to module rows: each line holds two rows of modules.
/// Only the codes the renderer may use are understood; anything else fails the test.
fn modules_from_ansi(text: &str) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in text.lines() {
        let (mut fg, mut bg): (Option<bool>, Option<bool>) = (None, None);
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                assert_eq!(chars.next(), Some('['), "{line:?}");
                let params: String = chars.by_ref().take_while(|&c| c != 'm').collect();
                for p in params.split(';') {
                    match p {
                        "0" => (fg, bg) = (None, None),
                        "30" => fg = Some(true),
                        "37" => fg = Some(false),
                        "40" => bg = Some(true),
                        "47" => bg = Some(false),
                        other => panic!("unexpected SGR parameter {other:?}"),
                    }
                }
                continue;
            }
            let (f, b) = (
                fg.expect("cell without a foreground colour"),
                bg.expect("cell without a background colour"),
            );
            let (t, u) = match c {
                '▀' => (f, b),
                '▄' => (b, f),
                '█' => (f, f),
                ' ' => (b, b),
                other => panic!("unexpected glyph {other:?}"),
            };
            top.push(t);
            bottom.push(u);
        }
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

/// Plain half blocks back to module rows: ink is dark. Lines may have lost trailing spaces.
fn modules_from_plain(text: &str) -> Vec<Vec<bool>> {
    let width = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<(bool, bool)> = line
            .chars()
            .map(|c| match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected glyph {other:?}"),
            })
            .chain(std::iter::repeat((false, false)))
            .take(width)
            .collect();
        rows.push(cells.iter().map(|c| c.0).collect());
        rows.push(cells.iter().map(|c| c.1).collect());
    }
    rows
}

/// Finds and decodes the one QR code in a greyscale image, as a camera-side decoder would.
fn decode_image(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code in the image");
    let (_meta, content) = grids[0].decode().expect("the QR code decodes");
    content
}

/// Rasterises module rows (dark = black) at 4 pixels per module and decodes them.
fn decode_modules(rows: &[Vec<bool>]) -> String {
    const SCALE: usize = 4;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    decode_image(width * SCALE, rows.len() * SCALE, |x, y| {
        if rows[y / SCALE].get(x / SCALE).copied().unwrap_or(false) {
            0
        } else {
            255
        }
    })
}

fn decode_png(bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Grayscale, png::BitDepth::Eight)
    );
    let (w, h) = (info.width as usize, info.height as usize);
    decode_image(w, h, |x, y| buf[y * info.line_size + x])
}

struct Case {
    name: &'static str,
    /// docs/masking.md's masked form; masking itself is tested in `domain::mask`.
    masked_name: &'static str,
    id_type: IdType,
    id_number: &'static str,
    masked_id: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "张三",
        masked_name: "张*",
        id_type: IdType::ResidentId,
        id_number: "11010519491231002X",
        masked_id: "*****002X",
    },
    Case {
        name: "李世民",
        masked_name: "李*民",
        id_type: IdType::ResidencePermit,
        id_number: "810000199408230021",
        masked_id: "*****0021",
    },
    Case {
        name: "欧阳娜娜",
        masked_name: "欧**娜",
        id_type: IdType::HkMacauPermit,
        id_number: "H1234567890",
        masked_id: "*****7890",
    },
    Case {
        name: "买买提·艾力",
        masked_name: "买**·*力",
        id_type: IdType::TaiwanPermit,
        id_number: "87654321",
        masked_id: "*****4321",
    },
    Case {
        name: "John Smith",
        masked_name: "J*** ****h",
        id_type: IdType::Passport,
        id_number: "EA1234567",
        masked_id: "*****4567",
    },
    Case {
        name: "Maximilian Alexander Wolfeschlegelsteinhausenbergs",
        masked_name: "M********* ********* ****************************s",
        id_type: IdType::ForeignPermanent,
        id_number: "USA110090112345",
        masked_id: "*****2345",
    },
    Case {
        name: "Wolfeschlegelsteinhausenbergerdorffwelchevoraltern",
        masked_name: "W************************************************n",
        id_type: IdType::ResidentId,
        id_number: "11010519491231002x",
        masked_id: "*****002X",
    },
];

#[test]
fn drawn_codes_decode_and_verify_for_every_name_shape_and_document() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
    let issued_on = NaiveDate::from_ymd_opt(2026, 4, 20).unwrap();
    let mut id_types_seen = std::collections::BTreeSet::new();
    for (i, case) in CASES.iter().enumerate() {
        assert!(case.name.chars().count() <= 50);
        let level = Level::ALL[i % Level::ALL.len()];
        let s = student(
            &format!("20221101{i:02}"),
            case.name,
            case.id_type,
            case.id_number,
            level,
        );
        let mut payload = CodePayload::for_student(1000 + i as u64, &s, "4111010001", issued_on);
        payload.masked_name = case.masked_name.into();
        let token = issue(&payload, &ring).unwrap();
        let matrix = QrMatrix::encode(&token.text).unwrap();
        assert!(
            matrix.version() <= MAX_VERSION,
            "{}: version {}",
            case.name,
            matrix.version()
        );

        let ansi = render_ansi(&matrix);
        let plain = render_plain(&matrix);
        let (cols, rows) = matrix.required_size();
        assert_eq!(plain.lines().count(), usize::from(rows));
        assert!(
            plain
                .lines()
                .all(|l| l.chars().count() == usize::from(cols))
        );

        let png = to_png(&matrix, 4).unwrap();
        let readings = [
            ("ansi", decode_modules(&modules_from_ansi(&ansi))),
            ("plain", decode_modules(&modules_from_plain(&plain))),
            // Lines stripped of trailing spaces, as copying from a terminal often does.
            (
                "plain, trimmed",
                decode_modules(&modules_from_plain(
                    &plain
                        .lines()
                        .map(str::trim_end)
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
            ),
            ("png", decode_png(&png)),
        ];
        for (how, text) in readings {
            assert_eq!(text, token.text, "{} via {how}", case.name);
            let got =
                verify(&text, &ring).unwrap_or_else(|e| panic!("{} via {how}: {e}", case.name));
            assert_eq!(got.serial, 1000 + i as u64);
            assert_eq!(got.student_no, s.student_no);
            assert_eq!(got.masked_name, case.masked_name);
            assert_eq!(got.masked_id, case.masked_id, "{}", case.name);
            assert_eq!(got.school_code, "4111010001");
            assert_eq!(
                (got.level, got.cohort, got.issued_on),
                (level, 2026, issued_on)
            );
        }
        id_types_seen.insert(case.id_type.code());
    }
    assert_eq!(
        id_types_seen.len(),
        IdType::ALL.len(),
        "every document type is covered"
    );
}

#[test]
fn for_student_carries_the_roster_fields_and_the_domain_masks() {
    let s = student(
        "2022110101",
        "欧阳娜娜",
        IdType::ResidentId,
        "11010519491231002X",
        Level::Doctor,
    );
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    let p = CodePayload::for_student(77, &s, "4111010001", day);
    assert_eq!(
        (p.serial, p.student_no.as_str(), p.school_code.as_str()),
        (77, "2022110101", "4111010001")
    );
    assert_eq!((p.level, p.cohort, p.issued_on), (Level::Doctor, 2026, day));
    assert_eq!(p.masked_name, crate::domain::mask_name("欧阳娜娜"));
    assert_eq!(p.masked_id, "*****002X");
    assert!(!p.masked_id.contains("1101051949"));
}

/// The largest payloads the budget is promised for: names up to 50 characters of any shape
/// (4-byte characters at the visible ends, as many separators as letters), 学号 up to 20
/// characters of `0-9A-Za-z-_./`, a ten-digit school code, the widest masked ID — with serials
/// below 2^28, cohorts 2000–2062 and issue dates before 2044-11-09 (one varint byte more each
/// beyond those, which only the most extreme name and 学号 together could not absorb).
fn worst_case_payloads() -> Vec<CodePayload> {
    let middles = [
        "*".repeat(48),
        "* ".repeat(24),
        "·*".repeat(24),
        "*-*".repeat(16),
        "** ***·****-".repeat(4),
    ];
    let student_nos = [
        "9".repeat(20),
        "ZY-9".repeat(5),
        "Zz-_./Yy9".repeat(3)[..20].to_string(),
        "20221101".to_string(),
    ];
    let last_two_byte_day =
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(16_383);
    let mut out = Vec::new();
    for middle in &middles {
        for (first, last) in [('𠀀', '𪚥'), ('张', '力'), ('M', 'n')] {
            for no in &student_nos {
                let masked_name = format!("{first}{middle}{last}");
                assert_eq!(masked_name.chars().count(), 50);
                out.push(CodePayload {
                    serial: (1 << 28) - 1,
                    student_no: no.clone(),
                    masked_name,
                    masked_id: "*****ZZZZ".into(),
                    school_code: "9999999999".into(),
                    level: Level::Doctor,
                    cohort: 2062,
                    issued_on: last_two_byte_day,
                });
            }
        }
    }
    out
}

#[test]
fn worst_case_codes_fit_qr_version_5_in_alphanumeric_mode() {
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
    let payloads = worst_case_payloads();
    assert!(
        payloads
            .iter()
            .any(|p| p.student_no.len() == 20 && !p.student_no.bytes().all(|b| b.is_ascii_digit()))
    );
    let mut longest = 0;
    for p in &payloads {
        let token = issue(p, &ring).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        longest = longest.max(token.text.len());
        assert!(
            token.text.len() <= MAX_TOKEN_CHARS,
            "{} characters: {p:?}",
            token.text.len()
        );
        let matrix = QrMatrix::encode(&token.text).unwrap();
        assert!(
            matrix.version() <= MAX_VERSION,
            "version {} for {p:?}",
            matrix.version()
        );
        assert!(matrix.required_size() <= qr::MAX_TERMINAL_SIZE);
        let modes = segment_modes(&token.text, matrix.version());
        assert!(
            modes
                .iter()
                .all(|m| matches!(m, Mode::Alphanumeric | Mode::Numeric)),
            "{modes:?}"
        );
        assert_eq!(verify(&token.text, &ring).as_ref(), Ok(p));
    }
    // The worst case really is at the budget, so the test notices a format that grows.
    assert!(longest > MAX_TOKEN_CHARS - 3, "longest token {longest}");
    // Past the promised ranges a code may not fit; it is refused, never drawn larger.
    let mut beyond = payloads
        .into_iter()
        .max_by_key(|p| issue(p, &ring).unwrap().text.len())
        .unwrap();
    beyond.serial = u64::MAX;
    assert!(matches!(
        issue(&beyond, &ring),
        Err(IssueError::TooLarge {
            max: MAX_TOKEN_CHARS,
            ..
        })
    ));
    // And the budget is exactly what version 5 at ECC M holds: 45 × 23 cells in the terminal.
    let full = format!("{PREFIX}{}", "A".repeat(MAX_TOKEN_CHARS - PREFIX.len()));
    let m = QrMatrix::encode(&full).unwrap();
    assert_eq!((m.version(), m.required_size()), (5, (45, 23)));
    assert_eq!(QrMatrix::encode(&format!("{full}A")).unwrap().version(), 6);
}

#[test]
fn a_version_5_code_drawn_in_the_terminal_decodes() {
    // The largest code the budget allows, through the ANSI rendering, at its documented size.
    let dir = tempfile::tempdir().unwrap();
    let ring = Keyring::generate(&dir.path().join("caiji.keys")).unwrap();
    let p = worst_case_payloads()
        .into_iter()
        .max_by_key(|p| issue(p, &ring).unwrap().text.len())
        .unwrap();
    let token = issue(&p, &ring).unwrap();
    let m = QrMatrix::encode(&token.text).unwrap();
    let ansi = render_ansi(&m);
    assert_eq!(ansi.lines().count(), usize::from(m.required_size().1));
    let text = decode_modules(&modules_from_ansi(&ansi));
    assert_eq!(verify(&text, &ring), Ok(p));
    let svg = to_svg(&m, 10);
    assert!(svg.contains(&format!("viewBox=\"0 0 {n} {n}\"", n = m.full_size())));
}
