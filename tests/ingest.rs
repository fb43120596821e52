//! `caiji photos ingest` on camera cards built here (tests/ingest/cardgen.rs): the whole
//! program on SQLite, PostgreSQL and MariaDB, with codes issued, students checked in, slates
//! sealed and keyframes photographed at an angle. Every rule of docs/ingest.md is checked on
//! the files the program writes.

#[path = "ingest/cardgen.rs"]
mod cardgen;
mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use caiji::code::{CodePayload, Keyring, Slate, seal_slate};
use caiji::store::{self, Create};
use cardgen::{BLUE, GREEN, RED, SIDE};
use common::{Server, TestDb};
use serde_json::Value;

const STUDENTS: [(&str, &str); 6] = [
    ("2026100001", "张三丰"),
    ("2026100002", "李思思"),
    ("2026100003", "王小明"),
    ("2026100004", "赵敏"),
    ("2026100005", "钱多多"),
    ("2026100006", "周芷若"),
];

/// A CAIJI_HOME with a key file, six students with codes, one session all six are assigned to.
struct School {
    _tmp: tempfile::TempDir,
    db: TestDb,
    home: PathBuf,
    card: PathBuf,
    out: PathBuf,
    tokens: BTreeMap<String, String>,
}

impl School {
    async fn new(server: Server) -> Option<School> {
        let db = TestDb::new(server).await?;
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let card = tmp.path().join("card");
        let out = tmp.path().join("上传 照片");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&card).unwrap();
        std::fs::write(
            home.join("config.toml"),
            "[school]\ncode = \"4111010001\"\nname = \"示例大学\"\n",
        )
        .unwrap();
        let s = store::open(&db.url, Create::IfMissing).await.unwrap();
        let roster: Vec<_> = STUDENTS
            .iter()
            .map(|(no, name)| common::student(no, name))
            .collect();
        s.insert_students(&roster).await.unwrap();
        s.close().await;
        let mut school = School {
            _tmp: tmp,
            db,
            home,
            card,
            out,
            tokens: BTreeMap::new(),
        };
        ok(&school.caiji(&["key", "generate"], ""), 0);
        ok(&school.caiji(&["codes", "issue", "--all"], ""), 0);
        for (no, _) in STUDENTS {
            let token = ok(&school.caiji(&["codes", "token", no], ""), 0);
            school
                .tokens
                .insert(no.to_string(), token.trim().to_string());
        }
        ok(
            &school.caiji(
                &[
                    "sessions",
                    "add",
                    "--title",
                    "上午",
                    "--location",
                    "图书馆",
                    "--start",
                    "2026-06-01 08:00",
                    "--end",
                    "2026-06-01 12:00",
                    "--capacity",
                    "50",
                ],
                "",
            ),
            0,
        );
        let mut assign = vec!["sessions", "assign", "1"];
        assign.extend(STUDENTS.iter().map(|(no, _)| *no));
        ok(&school.caiji(&assign, ""), 0);
        Some(school)
    }

    fn caiji(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_caiji"))
            .arg("--database-url")
            .arg(&self.db.url)
            .args(args)
            .env("CAIJI_HOME", &self.home)
            .env("CAIJI_LANG", "en")
            .env("CAIJI_OPERATOR", "tester")
            .env_remove("CAIJI_STATION")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run caiji");
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("caiji output")
    }

    fn token(&self, no: &str) -> String {
        self.tokens[no].clone()
    }

    /// Checks these students in at session 1 in this order; returns their shots.
    fn check_in(&self, nos: &[&str]) -> Vec<i64> {
        let lines: String = nos.iter().map(|n| format!("{}\n", self.token(n))).collect();
        let out = ok(
            &self.caiji(&["sessions", "checkin", "1", "--format", "json"], &lines),
            0,
        );
        out.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                assert_eq!(v["status"], "checked_in", "{l}");
                v["shot"].as_i64().unwrap()
            })
            .collect()
    }

    fn keyring(&self) -> Keyring {
        Keyring::load(&self.home.join("caiji.keys")).unwrap()
    }

    fn put(&self, rel: &str, bytes: &[u8]) {
        let path = self.card.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn ingest(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec![
            "photos",
            "ingest",
            self.card.to_str().unwrap(),
            "--out",
            self.out.to_str().unwrap(),
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = self.caiji(&args, "");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "JSON ({e}): {} / {stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code().unwrap_or(-1), json)
    }
}

fn ok(out: &Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stderr: {stderr}\nstdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

/// EXIF capture time of frame `n` of the day, one second apart.
fn at(n: u32) -> String {
    format!("2026:06:01 09:{:02}:{:02}", n / 60, n % 60)
}

fn keyframe_of(text: &str, n: u32) -> Vec<u8> {
    let (w, h) = (1200, 900);
    cardgen::keyframe(text, w, h, cardgen::tilted(w, h), &at(n))
}

/// Decoded RGB of a JPEG, with its size.
fn decode(bytes: &[u8]) -> (Vec<u8>, usize, usize) {
    let mut d = jpeg_decoder::Decoder::new(bytes);
    let pixels = d.decode().expect("the output decodes");
    let info = d.info().unwrap();
    (pixels, usize::from(info.width), usize::from(info.height))
}

fn near(pixel: &[u8], want: [u8; 3]) -> bool {
    pixel
        .iter()
        .zip(want)
        .all(|(&p, w)| (i32::from(p) - i32::from(w)).abs() < 60)
}

/// The photo is upright and cropped: red top-left, blue top-right, no green band.
fn assert_upright_crop(bytes: &[u8], what: &str) {
    let (rgb, w, h) = decode(bytes);
    assert_eq!((w, h), (480, 640), "{what}");
    let px = |x: usize, y: usize| &rgb[(y * w + x) * 3..(y * w + x) * 3 + 3];
    // Marks at upright (200..320, 60..180) and (880..1000, 60..180); the crop starts at 150,
    // and 900 upright pixels become 480.
    let k = 480.0 / 900.0;
    let at = |ux: usize, uy: usize| {
        (
            ((ux - cardgen::CROP_LEFT) as f64 * k) as usize,
            (uy as f64 * k) as usize,
        )
    };
    let (rx, ry) = at(260, 120);
    let (bx, by) = at(940, 120);
    assert!(near(px(rx, ry), RED), "{what}: red mark {:?}", px(rx, ry));
    assert!(near(px(bx, by), BLUE), "{what}: blue mark {:?}", px(bx, by));
    for y in (0..h).step_by(40) {
        assert!(
            !near(px(2, y), GREEN),
            "{what}: the band left of the crop shows"
        );
    }
    let _ = SIDE;
}

/// Baseline JPEG, no EXIF or other APPn but JFIF, no comment: nothing from the camera.
fn assert_stripped(bytes: &[u8], what: &str) {
    assert!(
        (20_480..=40_000).contains(&bytes.len()),
        "{what}: {} bytes",
        bytes.len()
    );
    let mut pos = 2;
    while pos + 4 <= bytes.len() {
        assert_eq!(bytes[pos], 0xFF, "{what}: marker walk");
        let marker = bytes[pos + 1];
        if marker == 0xDA {
            break;
        }
        let len = usize::from(u16::from_be_bytes([bytes[pos + 2], bytes[pos + 3]]));
        assert!(
            marker == 0xE0 || !(0xE1..=0xEF).contains(&marker) && marker != 0xFE,
            "{what}: segment {marker:02X} carries metadata"
        );
        assert_ne!(marker, 0xC2, "{what}: progressive");
        pos += 2 + len;
    }
    let text = String::from_utf8_lossy(bytes);
    assert!(
        !text.contains("CAMERA-SERIAL"),
        "{what}: camera serial kept"
    );
    assert!(!text.contains("Exif"), "{what}: EXIF kept");
}

fn files_of(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["file"].as_str().unwrap().to_string())
        .collect()
}

fn reason_of(v: &Value, file: &str) -> String {
    v["unassigned"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["file"] == file)
        .map(|x| x["reason"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{file} is not unassigned: {v:#}"))
}

fn student<'a>(v: &'a Value, no: &str) -> &'a Value {
    v["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["student_no"] == no)
        .unwrap_or_else(|| panic!("{no} has no sequence: {v:#}"))
}

fn card_digest(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.display().to_string(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// The card of a collection morning, on every backend.
#[tokio::test(flavor = "multi_thread")]
async fn a_card_becomes_photos_named_by_student_no() {
    for server in [Server::Sqlite, Server::Postgres, Server::Mysql] {
        let Some(school) = School::new(server).await else {
            continue;
        };
        a_collection_morning(&school).await;
        school.db.cleanup().await;
    }
}

async fn a_collection_morning(school: &School) {
    let [s1, s2, s3, s4, s5, s6] = STUDENTS.map(|(no, _)| no);
    let shots = school.check_in(&[s1, s2, s4, s5, s6]);
    let revoked_token = school.token(s3);
    ok(
        &school.caiji(&["codes", "revoke", s3, "--reason", "lost phone"], ""),
        0,
    );
    // Another school's code: sealed with a key file of its own.
    let other = tempfile::tempdir().unwrap();
    let foreign = caiji::code::issue(
        &CodePayload {
            serial: 1,
            student_no: s6.into(),
            masked_name: "周*若".into(),
            masked_id: "*****1234".into(),
            school_code: "4111010001".into(),
            level: caiji::domain::Level::Bachelor,
            cohort: 2026,
            issued_on: chrono::NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        },
        &Keyring::generate(&other.path().join("k")).unwrap(),
    )
    .unwrap()
    .text;
    // s4's phone is dead: the station's slate of s4's check-in is the keyframe.
    let slate = seal_slate(
        &Slate {
            session: 1,
            shot: Some(shots[2] as i32),
            label: None,
            serial: code_serial(school, s4).await,
        },
        &school.keyring(),
    )
    .unwrap();

    // Capture order is EXIF time: the names run against it, and the folder rolls over.
    let frames: Vec<(&str, Vec<u8>)> = vec![
        (
            "DCIM/100CANON/IMG_0100.JPG",
            cardgen::portrait_frame(1, 1, &at(1), "00"),
        ), // test shot
        (
            "DCIM/100CANON/IMG_0099.JPG",
            keyframe_of(&school.token(s1), 2),
        ),
        (
            "DCIM/100CANON/IMG_0098.JPG",
            cardgen::portrait_frame(2, 1, &at(3), "00"),
        ),
        (
            "DCIM/100CANON/img_0097.jpg",
            cardgen::portrait_frame(3, 6, &at(3), "50"),
        ), // same second, later
        (
            "DCIM/100CANON/IMG_0096.JPEG",
            keyframe_of(&school.token(s2), 5),
        ),
        (
            "DCIM/100CANON/IMG_0095.JPG",
            cardgen::portrait_frame(4, 8, &at(6), "00"),
        ),
        ("DCIM/100CANON/IMG_0094.JPG", {
            let f = cardgen::portrait_frame(5, 1, &at(7), "00");
            f[..f.len() * 2 / 3].to_vec()
        }),
        ("DCIM/100CANON/IMG_0093.JPG", keyframe_of(&revoked_token, 8)),
        (
            "DCIM/100CANON/IMG_0092.JPG",
            cardgen::portrait_frame(6, 1, &at(9), "00"),
        ),
        ("DCIM/100CANON/IMG_0091.JPG", keyframe_of(&foreign, 10)),
        (
            "DCIM/100CANON/IMG_0090.JPG",
            cardgen::portrait_frame(7, 1, &at(11), "00"),
        ),
        ("DCIM/101CANON/IMG_0001.JPG", keyframe_of(&slate, 12)),
        (
            "DCIM/101CANON/IMG_0002.JPG",
            cardgen::portrait_frame(8, 6, &at(13), "00"),
        ),
        (
            "DCIM/101CANON/IMG_0003.JPG",
            keyframe_of(&school.token(s1), 14),
        ), // s1's retake
        (
            "DCIM/101CANON/IMG_0004.JPG",
            cardgen::portrait_frame(9, 1, &at(15), "00"),
        ),
    ];
    for (rel, bytes) in &frames {
        school.put(rel, bytes);
    }
    school.put(
        "DCIM/101CANON/IMG_0005.HEIC",
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
    );
    let before = card_digest(&school.card);

    let (code, v) = school.ingest(&[]);
    assert_eq!(code, 3, "unassigned frames and a missing student: {v:#}");
    assert_eq!(v["frames"], 16);
    assert_eq!(v["keyframes"], 6);

    // s1: the retake wins; its chosen frame is the last of the later sequence.
    let one = student(&v, s1);
    assert_eq!(one["keyframe"], "DCIM/101CANON/IMG_0003.JPG");
    assert_eq!(one["chosen"], "DCIM/101CANON/IMG_0004.JPG");
    assert_eq!(one["output"], format!("{s1}.jpg"));
    let superseded = v["superseded"].as_array().unwrap();
    assert_eq!(superseded.len(), 1, "{v:#}");
    assert_eq!(superseded[0]["student_no"], s1);
    assert_eq!(superseded[0]["keyframe"], "DCIM/100CANON/IMG_0099.JPG");
    assert_eq!(
        superseded[0]["frames"],
        serde_json::json!(["DCIM/100CANON/IMG_0098.JPG", "DCIM/100CANON/img_0097.jpg"])
    );
    assert_eq!(superseded[0]["chosen"], "DCIM/100CANON/img_0097.jpg");

    // s2: a frame turned with orientation 8; the truncated frame after it is unassigned.
    let two = student(&v, s2);
    assert_eq!(two["keyed_by"], "code");
    assert_eq!(two["chosen"], "DCIM/100CANON/IMG_0095.JPG");
    assert_eq!(reason_of(&v, "DCIM/100CANON/IMG_0094.JPG"), "truncated");

    // s4: matched by the slate, frame turned with orientation 6.
    let four = student(&v, s4);
    assert_eq!(four["keyed_by"], "slate");
    assert_eq!(four["chosen"], "DCIM/101CANON/IMG_0002.JPG");

    // Unassigned, each with its reason.
    assert_eq!(
        reason_of(&v, "DCIM/100CANON/IMG_0100.JPG"),
        "before_first_keyframe"
    );
    assert_eq!(reason_of(&v, "DCIM/100CANON/IMG_0093.JPG"), "revoked");
    assert_eq!(reason_of(&v, "DCIM/100CANON/IMG_0092.JPG"), "revoked");
    assert_eq!(
        reason_of(&v, "DCIM/100CANON/IMG_0091.JPG"),
        "tampered_or_foreign"
    );
    assert_eq!(
        reason_of(&v, "DCIM/100CANON/IMG_0090.JPG"),
        "tampered_or_foreign"
    );
    assert_eq!(reason_of(&v, "DCIM/101CANON/IMG_0005.HEIC"), "heic");
    assert_eq!(v["unassigned"].as_array().unwrap().len(), 7, "{v:#}");

    // Checked in, on this card's session, no photo: s5 and s6 (s3 never checked in).
    let missing: Vec<&str> = v["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["student_no"].as_str().unwrap())
        .collect();
    assert_eq!(missing, vec![s5, s6]);

    // The files: upright, cropped, inside the byte range, nothing from the camera.
    for no in [s1, s2, s4] {
        let bytes = std::fs::read(school.out.join(format!("{no}.jpg"))).unwrap();
        assert_upright_crop(&bytes, no);
        assert_stripped(&bytes, no);
    }
    let written: Vec<String> = std::fs::read_dir(&school.out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        written.len(),
        3,
        "only the photos, no staging left: {written:?}"
    );
    // The reconcile of the output folder is in the same report.
    assert_eq!(v["reconcile"]["matched_valid"].as_array().unwrap().len(), 3);
    assert_eq!(v["written"], 3);

    // The card is never touched; a second run writes nothing new.
    assert_eq!(card_digest(&school.card), before);
    let mtime = |no: &str| {
        std::fs::metadata(school.out.join(format!("{no}.jpg")))
            .unwrap()
            .modified()
            .unwrap()
    };
    let first = mtime(s1);
    let (code, again) = school.ingest(&[]);
    assert_eq!(code, 3);
    assert_eq!(again["written"], 0);
    assert_eq!(again["unchanged"], 3);
    assert_eq!(mtime(s1), first);
    assert_eq!(files_of(&again, "unassigned"), files_of(&v, "unassigned"));
    assert_eq!(card_digest(&school.card), before);
}

async fn code_serial(school: &School, no: &str) -> u64 {
    let s = store::open(&school.db.url, Create::Never).await.unwrap();
    let (_, codes) = s.student_codes(no).await.unwrap().unwrap();
    s.close().await;
    codes[0].serial as u64
}

/// An empty card, and a card of test shots without a keyframe.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_card_and_a_card_without_keyframes() {
    let school = School::new(Server::Sqlite).await.unwrap();
    let (code, v) = school.ingest(&[]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["frames"], 0);
    assert!(v["students"].as_array().unwrap().is_empty());

    school.put(
        "DCIM/100CANON/IMG_0001.JPG",
        &cardgen::portrait_frame(1, 1, &at(1), "00"),
    );
    school.put(
        "DCIM/100CANON/IMG_0002.JPG",
        &cardgen::portrait_frame(2, 6, &at(2), "00"),
    );
    let (code, v) = school.ingest(&[]);
    assert_eq!(code, 3, "{v:#}");
    assert_eq!(v["keyframes"], 0);
    for f in ["DCIM/100CANON/IMG_0001.JPG", "DCIM/100CANON/IMG_0002.JPG"] {
        assert_eq!(reason_of(&v, f), "before_first_keyframe");
    }
    let none: Vec<_> = std::fs::read_dir(&school.out).unwrap().collect();
    assert!(none.is_empty(), "nothing written: {none:?}");
    // An output folder on the card is refused: the card is never written.
    let inside = school.card.join("out");
    let out = school.caiji(
        &[
            "photos",
            "ingest",
            school.card.to_str().unwrap(),
            "--out",
            inside.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("lies on the card"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!inside.exists());
    school.db.cleanup().await;
}

/// `--pick sharpest` and `--pick first` choose within the sequence; `--dry-run` writes nothing;
/// `--name-by id` names files by ID number and is audited as a reveal.
#[tokio::test(flavor = "multi_thread")]
async fn picks_dry_runs_and_id_names() {
    let school = School::new(Server::Sqlite).await.unwrap();
    let s1 = STUDENTS[0].0;
    school.check_in(&[s1]);
    school.put("c/1.jpg", &keyframe_of(&school.token(s1), 1));
    school.put("c/2.jpg", &cardgen::blurred_portrait_frame(1, &at(2), "00"));
    school.put("c/3.jpg", &cardgen::portrait_frame(2, 1, &at(3), "00"));
    school.put("c/4.jpg", &cardgen::blurred_portrait_frame(3, &at(4), "00"));

    let (code, v) = school.ingest(&["--dry-run"]);
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(student(&v, s1)["chosen"], "c/4.jpg");
    assert!(!school.out.exists(), "a dry run creates no folder");

    let (_, v) = school.ingest(&["--dry-run", "--pick", "sharpest"]);
    assert_eq!(student(&v, s1)["chosen"], "c/3.jpg");
    let (_, v) = school.ingest(&["--dry-run", "--pick", "first"]);
    assert_eq!(student(&v, s1)["chosen"], "c/2.jpg");

    let (code, v) = school.ingest(&["--name-by", "id"]);
    assert_eq!(code, 0, "{v:#}");
    let id = common::student(s1, STUDENTS[0].1).id_number;
    assert_eq!(student(&v, s1)["output"], format!("{id}.jpg"));
    assert!(school.out.join(format!("{id}.jpg")).is_file());
    let audit = ok(
        &school.caiji(&["audit", "--action", "reveal_id", "--format", "json"], ""),
        0,
    );
    assert!(audit.contains("photos ingest --name-by id"), "{audit}");
    school.db.cleanup().await;
}

/// `caiji sessions slate` draws a slate that an independent decoder reads off the text and
/// that opens with the key file to the check-in's session, shot and code serial; the check-in
/// answer carries the same slate.
#[tokio::test(flavor = "multi_thread")]
async fn the_slate_is_drawn_and_decodes() {
    let school = School::new(Server::Sqlite).await.unwrap();
    let s2 = STUDENTS[1].0;
    let shot = school.check_in(&[s2])[0];
    let out = ok(
        &school.caiji(
            &[
                "sessions",
                "slate",
                "1",
                &shot.to_string(),
                "--color",
                "never",
            ],
            "",
        ),
        0,
    );
    // The code is the block of half-block lines after the large digits.
    let text = decode_drawn(&out, 7);
    let slate = caiji::code::open_slate(&text, &school.keyring()).unwrap();
    assert_eq!(
        (slate.session, slate.shot.map(i64::from), slate.serial),
        (1, Some(shot), code_serial(&school, s2).await)
    );
    // A slate scanned at a station by mistake is named as such.
    let verify = school.caiji(&["codes", "verify", &text], "");
    let said = String::from_utf8_lossy(&verify.stdout);
    assert!(said.contains("station slate"), "{said}");
    ok(&school.caiji(&["sessions", "slate", "1", "999"], ""), 1);
    school.db.cleanup().await;
}

/// A slate shot at an offline station carries the scan's provisional label: before the sync its
/// keyframe is unassigned as waiting for sync, naming the label; after the sync (the server
/// keeps the label with the check-in) it names the student, and the check-in's shot. Every
/// backend.
#[tokio::test(flavor = "multi_thread")]
async fn a_label_slate_maps_to_the_final_shot_after_the_sync() {
    for server in [Server::Sqlite, Server::Postgres, Server::Mysql] {
        let Some(school) = School::new(server).await else {
            continue;
        };
        label_slates(&school).await;
        school.db.cleanup().await;
    }
}

async fn label_slates(school: &School) {
    let [s1, s2, s3, ..] = STUDENTS.map(|(no, _)| no);
    // s1 is checked in online first, so the final shots differ from the labels' numbers.
    let shots = school.check_in(&[s1]);
    let slate = |label: &str, serial: u64| {
        seal_slate(
            &Slate {
                session: 1,
                shot: None,
                label: Some(label.into()),
                serial,
            },
            &school.keyring(),
        )
        .unwrap()
    };
    let (serial2, serial3) = (code_serial(school, s2).await, code_serial(school, s3).await);
    let frames: Vec<(&str, Vec<u8>)> = vec![
        (
            "DCIM/100CANON/IMG_0001.JPG",
            keyframe_of(&slate("B-002", serial3), 1),
        ),
        (
            "DCIM/100CANON/IMG_0002.JPG",
            cardgen::portrait_frame(1, 1, &at(2), "00"),
        ),
        (
            "DCIM/100CANON/IMG_0003.JPG",
            keyframe_of(&school.token(s1), 3),
        ),
        (
            "DCIM/100CANON/IMG_0004.JPG",
            cardgen::portrait_frame(2, 1, &at(4), "00"),
        ),
        (
            "DCIM/100CANON/IMG_0005.JPG",
            keyframe_of(&slate("B-001", serial2), 5),
        ),
        (
            "DCIM/100CANON/IMG_0006.JPG",
            cardgen::portrait_frame(3, 1, &at(6), "00"),
        ),
    ];
    for (rel, bytes) in &frames {
        school.put(rel, bytes);
    }

    // Before the sync: both label slates wait, named by their labels; nothing is guessed.
    let (code, v) = school.ingest(&[]);
    assert_eq!(code, 3, "{v}");
    for (file, label) in [
        ("DCIM/100CANON/IMG_0001.JPG", "B-002"),
        ("DCIM/100CANON/IMG_0005.JPG", "B-001"),
    ] {
        assert_eq!(reason_of(&v, file), "slate_waiting_for_sync", "{v}");
        let message = v["unassigned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["file"] == file)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(label), "{message}");
        assert!(message.contains("caiji sessions sync"), "{message}");
    }
    let nos: Vec<&str> = v["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["student_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos, [s1], "{v}");

    // The station sends B-002 (s3) when the server is back; B-001 is still queued.
    let st = store::open(&school.db.url, Create::Never).await.unwrap();
    let nonce = "0123456789abcdef0123456789abcdef";
    let outcome = st
        .check_in_stamped(
            1,
            s3,
            "gym",
            "tester",
            false,
            None,
            &store::Stamp::queued(chrono::Utc::now(), nonce, Some("B-002")),
        )
        .await
        .unwrap();
    let shot3 = i64::from(outcome.status.shot().expect("checked in"));
    assert_eq!(shot3, shots[0] + 1);
    st.close().await;

    let (code, v) = school.ingest(&[]);
    assert_eq!(code, 3, "{v}");
    let three = student(&v, s3);
    assert_eq!(three["keyed_by"], "slate_label", "{v}");
    assert_eq!(three["frames"][0], "DCIM/100CANON/IMG_0002.JPG", "{v}");
    assert!(school.out.join(format!("{s3}.jpg")).is_file());
    assert_eq!(
        reason_of(&v, "DCIM/100CANON/IMG_0005.JPG"),
        "slate_waiting_for_sync"
    );
    assert!(
        v["students"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["student_no"] != s2)
    );

    // The slate drawn again by its label shows the final shot beside the label.
    let drawn = ok(
        &school.caiji(&["sessions", "slate", "1", "b-002", "--color", "never"], ""),
        0,
    );
    assert!(
        drawn
            .lines()
            .next()
            .unwrap()
            .contains(&format!("shot {shot3} (B-002)")),
        "{drawn}"
    );
    // A label neither the server nor this station's journal knows is refused by name.
    let out = school.caiji(&["sessions", "slate", "1", "B-001"], "");
    let said = ok_err(&out);
    assert!(said.contains("B-001"), "{said}");
    let out = school.caiji(&["sessions", "slate", "1", "B0x"], "");
    assert!(ok_err(&out).contains("provisional label"));

    // Reconcile takes a photo named by the label its slate showed, with its session or alone.
    for name in ["1-B-002.jpg", "b-002.JPG"] {
        let folder = tempfile::tempdir().unwrap();
        std::fs::copy(
            school.out.join(format!("{s3}.jpg")),
            folder.path().join(name),
        )
        .unwrap();
        let out = school.caiji(
            &[
                "photos",
                "reconcile",
                folder.path().to_str().unwrap(),
                "--format",
                "json",
            ],
            "",
        );
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out:?}"));
        let matched: Vec<&serde_json::Value> = ["matched_valid", "matched_invalid"]
            .iter()
            .flat_map(|k| v[*k].as_array().unwrap())
            .collect();
        assert_eq!(matched.len(), 1, "{name}: {v}");
        assert_eq!(matched[0]["file"], name, "{v}");
        assert_eq!(matched[0]["student_no"], s3, "{name}: {v}");
    }
}

/// The stderr of a run that failed with status 1.
fn ok_err(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scan still queued in this station's journal: `caiji sessions slate` draws its slate with
/// the label alone, said to wait for the sync, never as a shot number.
#[tokio::test(flavor = "multi_thread")]
async fn a_queued_scan_s_slate_carries_its_label() {
    let school = School::new(Server::Sqlite).await.unwrap();
    let s2 = STUDENTS[1].0;
    let mut journal =
        caiji::ops::station::journal::Journal::open(&school.home.join("station"), 1).unwrap();
    journal
        .add_scan(caiji::ops::station::journal::Scan {
            seq: 7,
            nonce: "00112233445566778899aabbccddeeff".into(),
            label: "B-007".into(),
            session: 1,
            station: "gym".into(),
            operator: "tester".into(),
            allow_walk_in: false,
            retake_reason: None,
            token: school.token(s2),
            student_no: s2.into(),
            masked_name: "李*思".into(),
            class: None,
            at: chrono::Utc::now(),
        })
        .unwrap();
    journal.flush().unwrap();
    drop(journal);
    let out = ok(
        &school.caiji(&["sessions", "slate", "1", "B-007", "--color", "never"], ""),
        0,
    );
    let mut lines = out.lines();
    let head = lines.next().unwrap();
    assert!(
        head.contains("provisional label B-007 (waiting for sync)"),
        "{out}"
    );
    assert!(head.contains("李*思"), "{out}");
    assert_eq!(lines.next(), Some("B-007"), "{out}");
    // The QR code under it opens to the label and s2's serial, with no shot.
    let text = decode_drawn(&out, 3);
    let slate = caiji::code::open_slate(&text, &school.keyring()).unwrap();
    assert_eq!(
        (slate.shot, slate.label.as_deref(), slate.serial),
        (None, Some("B-007"), code_serial(&school, s2).await)
    );
    school.db.cleanup().await;
}

/// The text of the slate drawn in `out` below its first `head` lines, read by an independent
/// decoder off the half-block characters.
fn decode_drawn(out: &str, head: usize) -> String {
    let lines: Vec<&str> = out.lines().skip(head).collect();
    let width = lines.iter().map(|l| l.chars().count()).max().unwrap();
    let mut grid = Vec::new();
    for l in &lines {
        let mut top = Vec::new();
        let mut bottom = Vec::new();
        let mut chars: Vec<char> = l.chars().collect();
        chars.resize(width, ' ');
        for c in chars {
            let (t, b) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            top.push(t);
            bottom.push(b);
        }
        grid.push(top);
        grid.push(bottom);
    }
    let h = grid.len();
    let mut img =
        rqrr::PreparedImage::prepare_from_greyscale(
            width,
            h,
            |x, y| {
                if grid[y][x] { 0 } else { 255 }
            },
        );
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "{out}");
    grids[0].decode().expect("the slate decodes").1
}
