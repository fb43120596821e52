//! Photo reconciliation: the whole program on folders made here, byte by byte, and the photo
//! store on SQLite, PostgreSQL and MariaDB.
//!
//! Unreadable files and folders: the tests run as root in CI, and root reads through `chmod 000`.
//! So when the test process is root, the `caiji` runs that need them go as the unprivileged
//! user 65534 (`nobody`) with the test folders handed to that user; a FIFO named `.jpg` and a
//! dangling symlink cover "cannot be read" for everyone.

mod common;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use caiji::demo::photos::{draw_portrait, encode, encode_sized, sample_jpeg, with_comment};
use caiji::domain::photo_spec::KB;
use caiji::store::{
    self, Create, PhotoFileStatus, PhotoFilter, PhotoRecord, PhotoStatus, StudentFilter,
};
use common::{TestDb, exec, resident_id};

// ---------- fixtures ----------

const NAMES: [&str; 20] = [
    "张三丰",
    "李思思",
    "王小明",
    "赵敏",
    "钱多多",
    "孙悟净",
    "周芷若",
    "吴用",
    "郑成功",
    "冯远征",
    "陈晓旭",
    "褚英",
    "卫青",
    "蒋欣",
    "沈括",
    "韩梅梅",
    "杨过",
    "朱自清",
    "秦岚",
    "许仙",
];

fn no(i: usize) -> String {
    format!("20260000{i:02}")
}

/// Twenty students 2026000001..20 with distinct names and ID numbers.
fn roster() -> Vec<caiji::domain::Student> {
    (1..=20)
        .map(|i| {
            let mut s = common::student(&no(i), NAMES[i - 1]);
            s.id_number = resident_id("440106", "20040315", &format!("{:03}", 100 + i));
            s
        })
        .collect()
}

/// Photos that break one rule each (and a valid one to derive them from).
struct Bytes {
    good: Vec<u8>,
}

impl Bytes {
    fn new() -> Bytes {
        Bytes {
            good: sample_jpeg(11, [100, 197, 255]),
        }
    }
    /// A valid photo with its own bytes.
    fn valid(&self, tag: &str) -> Vec<u8> {
        with_comment(&self.good, tag.as_bytes())
    }
    fn sized(&self, w: u16, h: u16) -> Vec<u8> {
        encode_sized(
            &draw_portrait(w, h, [255, 255, 255], 2),
            w,
            h,
            false,
            25 * KB,
            35 * KB,
        )
        .unwrap()
    }
    fn quality(&self, q: u8) -> Vec<u8> {
        encode(
            &draw_portrait(480, 640, [255, 255, 255], 3),
            480,
            640,
            false,
            q,
        )
        .unwrap()
    }
    fn grey(&self) -> Vec<u8> {
        encode_sized(
            &draw_portrait(480, 640, [255, 255, 255], 4),
            480,
            640,
            true,
            22 * KB,
            34 * KB,
        )
        .unwrap()
    }
    fn truncated(&self) -> Vec<u8> {
        self.good[..self.good.len() * 9 / 10].to_vec()
    }
    /// The frame header says 12 bits per sample.
    fn twelve_bit(&self) -> Vec<u8> {
        let mut b = self.valid("12");
        let sof = b.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        b[sof + 4] = 12;
        b
    }
    /// A marker byte knocked out in the header.
    fn damaged(&self) -> Vec<u8> {
        let mut b = self.valid("damaged");
        let dqt = b.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
        b[dqt] = 0x00;
        b
    }
    fn png(&self) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\xe0\0\0\x02\x80\x08\x02\0\0\0".to_vec();
        b.resize(30 * 1024, 7);
        b
    }
    fn red_backdrop(&self) -> Vec<u8> {
        encode_sized(
            &draw_portrait(480, 640, [200, 30, 35], 5),
            480,
            640,
            false,
            24 * KB,
            36 * KB,
        )
        .unwrap()
    }
    /// Markers whole, first Huffman table impossible: only decoding notices.
    fn undecodable(&self) -> Vec<u8> {
        let mut b = self.valid("undecodable");
        let dht = b.windows(2).position(|w| w == [0xFF, 0xC4]).unwrap();
        for x in b[dht + 5..dht + 21].iter_mut() {
            *x = 0xFF;
        }
        b
    }
}

fn put(dir: &Path, rel: &str, bytes: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Whether this process is root (then `chmod 000` does not stop it reading).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

const NOBODY: u32 = 65534;

/// A CAIJI_HOME with the roster in its SQLite database, and a photo folder beside it.
struct Setup {
    _tmp: tempfile::TempDir,
    home: PathBuf,
    dir: PathBuf,
    /// Run `caiji` as `nobody` (root only), so permissions mean something.
    drop_root: bool,
    /// The binary to run: a copy inside the test folder once `nobody` runs it, since the build
    /// folder (a fresh clone under a private temp dir, say) may be closed to other users.
    binary: PathBuf,
}

impl Setup {
    async fn new() -> Setup {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let dir = tmp.path().join("照片 交付");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", home.join("caiji.db").display());
        let s = store::open(&url, Create::IfMissing).await.unwrap();
        s.insert_students(&roster()).await.unwrap();
        s.close().await;
        Setup {
            _tmp: tmp,
            home,
            dir,
            drop_root: false,
            binary: PathBuf::from(env!("CARGO_BIN_EXE_caiji")),
        }
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.home.join("caiji.db").display())
    }

    /// From now on, run as `nobody` if we are root: hand everything to that user.
    fn unprivileged(&mut self) {
        if !is_root() {
            return;
        }
        let binary = self._tmp.path().join("bin").join("caiji");
        std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_caiji"), &binary)
            .expect("copy caiji where nobody can run it");
        let status = Command::new("chown")
            .args(["-R", &format!("{NOBODY}:{NOBODY}")])
            .arg(self._tmp.path())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chown the test folder to nobody"
        );
        self.binary = binary;
        self.drop_root = true;
    }

    fn caiji(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(&self.binary);
        cmd.args(args)
            .env("CAIJI_HOME", &self.home)
            .env("CAIJI_LANG", "en")
            .env("CAIJI_OPERATOR", "tester")
            .env_remove("CAIJI_DATABASE_URL")
            .env_remove("DATABASE_URL");
        if self.drop_root {
            cmd.uid(NOBODY).gid(NOBODY);
        }
        cmd.output().expect("run caiji")
    }

    fn reconcile(&self, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
        let dir = self.dir.to_str().unwrap();
        let mut args = vec!["photos", "reconcile", dir, "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.caiji(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(!stderr.contains("panicked"), "{stderr}");
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "JSON ({e}): {} / {stderr}",
                String::from_utf8_lossy(&out.stdout)
            )
        });
        (out.status.code(), json, stderr)
    }

    fn table(&self, extra: &[&str]) -> (Option<i32>, String) {
        let dir = self.dir.to_str().unwrap();
        let mut args = vec!["photos", "reconcile", dir];
        args.extend_from_slice(extra);
        let out = self.caiji(&args);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    }
}

/// The problem codes listed for `file` in `matched_invalid` (None: not there).
fn problems(json: &serde_json::Value, file: &str) -> Option<Vec<String>> {
    json["matched_invalid"]
        .as_array()?
        .iter()
        .find(|m| m["file"] == file)
        .map(|m| {
            m["problems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().split(':').next().unwrap().to_string())
                .collect()
        })
}

fn files_of(json: &serde_json::Value, key: &str) -> Vec<String> {
    json[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["file"].as_str().unwrap().to_string())
        .collect()
}

fn reason(json: &serde_json::Value, file: &str) -> String {
    json["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["file"] == file)
        .map(|s| s["reason"].as_str().unwrap().to_string())
        .unwrap_or_else(|| panic!("{file} not skipped: {}", json["skipped"]))
}

// ---------- the whole program ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_problem_is_reported_and_none_is_fatal() {
    let mut t = Setup::new().await;
    let b = Bytes::new();
    let d = &t.dir.clone();
    put(d, "2026000001.jpg", &b.valid("1"));
    put(d, "班级 一/2026000002.JPG", &b.valid("2"));
    put(d, "班级 一/2026000003.jpeg", &b.valid("3"));
    put(
        d,
        &format!("旧命名/{}.jpg", resident_id("440106", "20040315", "104")),
        &b.valid("4"),
    );
    put(d, "2026000005.jpg", &b.sized(600, 800));
    put(d, "2026000006.jpg", &b.quality(97));
    put(d, "2026000007.jpg", &b.quality(25));
    put(d, "2026000008.jpg", &b.grey());
    put(d, "2026000009.jpg", &b.truncated());
    put(d, "2026000010.jpg", &b.png());
    put(d, "2026000011.jpg", b"just some text, not a photo");
    put(d, "2026000012.jpg", b"");
    put(d, "2026000013.jpg", &b.valid("13a"));
    put(d, "补拍/2026000013.JPG", &b.valid("13b"));
    put(d, "2026000041.jpg", &b.valid("transposed 14"));
    put(d, "张三丰.jpg", &b.valid("by name"));
    put(d, "2026000017.jpg", &b.twelve_bit());
    put(d, "2026000018.jpg", &b.damaged());
    put(d, "notes.txt", b"collector's notes");
    std::fs::File::create(d.join("huge.jpg"))
        .unwrap()
        .set_len(11 * 1024 * 1024)
        .unwrap();
    symlink(d, d.join("班级 一/back to top")).unwrap();
    symlink(d.join("no such file.jpg"), d.join("dangling.jpg")).unwrap();
    let fifo_made = Command::new("mkfifo")
        .arg(d.join("pipe.jpg"))
        .status()
        .is_ok_and(|s| s.success());
    // unreadable for the user caiji runs as (see the file's header)
    put(d, "locked/2026000019.jpg", &b.valid("19"));
    put(d, "2026000020.jpg", &b.valid("20"));
    t.unprivileged();
    std::fs::set_permissions(d.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(
        d.join("2026000020.jpg"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();

    let (code, json, stderr) = t.reconcile(&[]);
    std::fs::set_permissions(d.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, Some(3), "problems found: exit 3; {stderr}");

    let valid: Vec<(String, String)> = json["matched_valid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["file"].as_str().unwrap().into(),
                v["student_no"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        valid,
        [
            ("2026000001.jpg".to_string(), no(1)),
            (
                // named by its ID number: shown with the ID part masked (docs/files.md)
                format!(
                    "旧命名/*****{}.jpg",
                    &resident_id("440106", "20040315", "104")[14..]
                ),
                no(4)
            ),
            ("班级 一/2026000002.JPG".into(), no(2)),
            ("班级 一/2026000003.jpeg".into(), no(3)),
        ],
        "upper-case .JPG, .jpeg, spaces and Unicode in paths, and the legacy ID naming all match"
    );

    let cases: [(&str, &[&str]); 9] = [
        ("2026000005.jpg", &["dimensions"]),
        ("2026000006.jpg", &["too_large"]),
        ("2026000007.jpg", &["too_small"]),
        ("2026000008.jpg", &["colour"]),
        ("2026000009.jpg", &["truncated"]),
        ("2026000010.jpg", &["not_jpeg"]),
        ("2026000011.jpg", &["not_jpeg", "too_small"]),
        ("2026000017.jpg", &["bit_depth"]),
        ("2026000018.jpg", &["damaged"]),
    ];
    for (file, want) in cases {
        assert_eq!(
            problems(&json, file).as_deref(),
            Some(&want.iter().map(|s| s.to_string()).collect::<Vec<_>>()[..]),
            "{file}"
        );
    }
    let png = json["matched_invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file"] == "2026000010.jpg")
        .unwrap();
    assert_eq!(png["problems"][0], "not_jpeg: not a JPEG (PNG)");
    assert_eq!(files_of(&json, "matched_invalid").len(), cases.len());

    assert_eq!(
        json["duplicates"],
        serde_json::json!([{"student_no": no(13), "files": ["2026000013.jpg", "补拍/2026000013.JPG"]}])
    );
    let orphans: Vec<(String, Vec<String>)> = json["orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let s = o["suggestions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect();
            (o["file"].as_str().unwrap().to_string(), s)
        })
        .collect();
    assert_eq!(orphans.len(), 2, "{orphans:?}");
    assert_eq!(orphans[0].0, "2026000041.jpg");
    assert_eq!(
        orphans[0].1.first(),
        Some(&no(14)),
        "a transposed 学号 suggests the real one first"
    );
    assert!(orphans[0].1.len() <= 3);
    assert_eq!(
        orphans[1],
        ("张三丰.jpg".to_string(), vec![no(1)]),
        "a name suggests its student"
    );

    assert!(reason(&json, "2026000012.jpg").contains("empty"));
    assert!(reason(&json, "notes.txt").contains("not named .jpg"));
    assert!(reason(&json, "huge.jpg").contains("too large"));
    assert!(reason(&json, "班级 一/back to top/").contains("symlink loop"));
    assert!(reason(&json, "dangling.jpg").contains("broken symbolic link"));
    if fifo_made {
        assert!(reason(&json, "pipe.jpg").contains("not a regular file (FIFO)"));
    }
    assert!(
        reason(&json, "locked/").contains("unreadable folder"),
        "{}",
        json["skipped"]
    );
    assert!(
        reason(&json, "2026000020.jpg").contains("unreadable file"),
        "{}",
        json["skipped"]
    );

    let mut missing: Vec<String> = json["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    missing.sort();
    assert_eq!(missing, [no(12), no(14), no(15), no(16), no(19), no(20)]);
    let skipped_files = json["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["file"].as_str().unwrap().ends_with('/'))
        .count();
    let examined =
        json["matched_valid"].as_array().unwrap().len() + cases.len() + 2 + orphans.len();
    assert_eq!(
        json["files"].as_u64(),
        Some((examined + skipped_files) as u64)
    );

    // The same folder in the table: every outcome named in words.
    let (code, table) = t.table(&[]);
    assert_eq!(code, Some(3));
    for words in [
        "Invalid photos",
        "600×800 pixels, must be 480×640",
        "Duplicates",
        "Orphans",
        "did you mean",
        "Skipped",
        "Students missing a photo",
        "symlink loop",
    ] {
        assert!(table.contains(words), "{words:?} in\n{table}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_check_decodes_and_judges_backgrounds() {
    let t = Setup::new().await;
    let b = Bytes::new();
    put(&t.dir, "2026000001.jpg", &b.valid("ok"));
    put(&t.dir, "2026000002.jpg", &b.red_backdrop());
    put(&t.dir, "2026000003.jpg", &b.undecodable());
    let (_, plain, _) = t.reconcile(&[]);
    assert_eq!(
        files_of(&plain, "matched_valid").len(),
        3,
        "the header check alone passes all three"
    );
    let (code, deep, _) = t.reconcile(&["--deep"]);
    assert_eq!(code, Some(3));
    assert_eq!(files_of(&deep, "matched_valid"), ["2026000001.jpg"]);
    assert_eq!(
        problems(&deep, "2026000002.jpg"),
        Some(vec!["background".to_string(), "background".to_string()])
    );
    assert_eq!(
        problems(&deep, "2026000003.jpg"),
        Some(vec!["undecodable".to_string()])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_is_idempotent_and_follows_the_folder() {
    let t = Setup::new().await;
    let b = Bytes::new();
    for i in 1..=6 {
        put(&t.dir, &format!("{}.jpg", no(i)), &b.valid(&i.to_string()));
    }
    put(&t.dir, &format!("{}.jpg", no(7)), &b.quality(25));
    put(&t.dir, "unknown.jpg", &b.valid("x"));
    let url = t.url();
    let audit_count = || async {
        let s = store::open(&url, Create::Never).await.unwrap();
        let n = s.audit_log(None, 1_000_000).await.unwrap().len();
        let photos = s.list_photos(&PhotoFilter::default()).await.unwrap();
        s.close().await;
        (n, photos)
    };

    let (code, first) = t.table(&["--apply"]);
    assert_eq!(code, Some(3), "{first}");
    assert!(
        first.contains("Recorded: added 8, updated 0, removed 0, unchanged 0"),
        "{first}"
    );
    assert!(first.contains("Read 8, hashed 8, from cache 0"), "{first}");
    let (audit_after_first, rows_after_first) = audit_count().await;
    assert_eq!(rows_after_first.len(), 8);
    assert_eq!(
        audit_after_first, 9,
        "one line per file and one for the run"
    );

    // Again, on the unchanged folder: nothing written, nothing hashed, nothing even read.
    let (_, second) = t.table(&["--apply"]);
    assert!(second.contains("nothing changed (8 files)"), "{second}");
    assert!(
        second.contains("Read 0, hashed 0, from cache 8"),
        "{second}"
    );
    let (audit_after_second, rows_after_second) = audit_count().await;
    assert_eq!(audit_after_second, audit_after_first);
    assert_eq!(
        rows_after_second, rows_after_first,
        "rows untouched, checked_at included"
    );

    // A replaced file updates its row; a vanished one makes its student's photo missing again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    put(&t.dir, &format!("{}.jpg", no(2)), &b.valid("re-shot"));
    std::fs::remove_file(t.dir.join(format!("{}.jpg", no(3)))).unwrap();
    let (_, third) = t.table(&["--apply"]);
    assert!(
        third.contains("Recorded: added 0, updated 1, removed 1, unchanged 6"),
        "{third}"
    );
    assert!(third.contains("Read 1, hashed 1, from cache 6"), "{third}");
    let s = store::open(&url, Create::Never).await.unwrap();
    let audit = s.audit_log(None, 3).await.unwrap();
    let actions: Vec<(&str, Option<&str>)> = audit
        .iter()
        .map(|a| (a.entry.action.as_str(), a.entry.student_no.as_deref()))
        .collect();
    assert!(
        actions.contains(&("photo_update", Some(no(2).as_str()))),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("photo_remove", Some(no(3).as_str()))),
        "{actions:?}"
    );
    let students = s.list_students(&StudentFilter::default()).await.unwrap();
    let status = |n: usize| {
        students
            .iter()
            .find(|r| r.student.student_no == no(n))
            .unwrap()
            .photo_status
    };
    assert_eq!(status(2), PhotoStatus::Valid);
    assert_eq!(status(3), PhotoStatus::Missing);
    assert_eq!(status(7), PhotoStatus::Invalid);
    let summary = caiji::photos::last_summary(s.as_ref())
        .await
        .unwrap()
        .expect("summary kept for the console");
    assert_eq!(
        (
            summary.files,
            summary.matched_valid,
            summary.matched_invalid,
            summary.orphans
        ),
        (7, 5, 1, 1)
    );
    assert_eq!(summary.orphan_files[0].file, "unknown.jpg");
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spec_overrides_and_clean_folders() {
    let t = Setup::new().await;
    let b = Bytes::new();
    for i in 1..=20 {
        put(&t.dir, &format!("{}.jpg", no(i)), &b.valid(&i.to_string()));
    }
    let (code, json, _) = t.reconcile(&[]);
    assert_eq!(code, Some(0), "all 20 valid, nobody missing: {json}");
    assert_eq!(json["matched_valid"].as_array().unwrap().len(), 20);

    // A school that wants at least 200 KB: every file is now too small.
    std::fs::write(
        t.home.join("config.toml"),
        "[photo]\nmin_kb = 200\nmax_kb = 300\n",
    )
    .unwrap();
    let (code, json, _) = t.reconcile(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(
        problems(&json, "2026000001.jpg"),
        Some(vec!["too_small".to_string()])
    );
    let msg = &json["matched_invalid"][0]["problems"][0];
    assert!(
        msg.as_str()
            .unwrap()
            .contains("under the 204,800-byte minimum"),
        "{msg}"
    );

    std::fs::write(
        t.home.join("config.toml"),
        "[photo]\nmin_kb = 50\nmax_kb = 40\n",
    )
    .unwrap();
    let out = t.caiji(&["photos", "reconcile", t.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("min_kb (50) is larger than max_kb (40)")
    );
}

/// `jpeg` with an EXIF block right after SOI whose first IFD says `Orientation = value`
/// (big-endian, as many cameras write it).
fn with_orientation(jpeg: &[u8], value: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    tiff.extend_from_slice(&value.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((tiff.len() + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `jpeg` padded with a comment to exactly `size` bytes.
fn padded_to(jpeg: &[u8], size: usize) -> Vec<u8> {
    let out = with_comment(jpeg, &vec![b'x'; size - jpeg.len() - 4]);
    assert_eq!(out.len(), size);
    out
}

/// photo_exif_orientation: a 480×640 JPEG whose EXIF says Orientation 6 is shown turned by every
/// viewer, so it is invalid with a problem of its own; Orientation 1 (or none) is upright.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_exif_orientation_is_a_problem_of_its_own() {
    let t = Setup::new().await;
    let b = Bytes::new();
    put(
        &t.dir,
        "2026000001.jpg",
        &with_orientation(&b.valid("1"), 6),
    );
    put(
        &t.dir,
        "2026000002.jpg",
        &with_orientation(&b.valid("2"), 1),
    );
    put(
        &t.dir,
        "2026000003.jpg",
        &with_orientation(&b.valid("3"), 3),
    );
    put(&t.dir, "2026000004.jpg", &b.valid("4"));
    let (code, json, _) = t.reconcile(&[]);
    assert_eq!(code, Some(3), "{json}");
    assert_eq!(
        problems(&json, "2026000001.jpg"),
        Some(vec!["orientation".to_string()]),
        "{json}"
    );
    assert_eq!(
        problems(&json, "2026000003.jpg"),
        Some(vec!["orientation".to_string()])
    );
    let turned = json["matched_invalid"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["file"] == "2026000001.jpg")
        .unwrap();
    assert!(
        turned["problems"][0]
            .as_str()
            .unwrap()
            .starts_with("orientation: EXIF orientation 6 (viewers show it turned 90° clockwise)"),
        "{turned}"
    );
    assert_eq!(
        files_of(&json, "matched_valid"),
        ["2026000002.jpg", "2026000004.jpg"]
    );
}

/// photo_heic_named: phones save `.heic`; such a file is matched to its student and reported as
/// HEIC (matched but invalid), never skipped for its name nor counted as the student's missing
/// photo. A HEIC named `.jpg` is named HEIC too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_heic_is_named_never_missing() {
    let t = Setup::new().await;
    let heic = |tag: &str| {
        let mut b = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
        b.extend_from_slice(tag.as_bytes());
        b.resize(1_500_000, 0x5A);
        b
    };
    put(&t.dir, "2026000001.HEIC", &heic("1"));
    put(&t.dir, "手机/2026000002.heic", &heic("2"));
    put(&t.dir, "2026000003.jpg", &heic("3"));
    put(&t.dir, "2026000004.jpg", &Bytes::new().valid("4"));
    let (code, json, _) = t.reconcile(&[]);
    assert_eq!(code, Some(3));
    for file in ["2026000001.HEIC", "手机/2026000002.heic", "2026000003.jpg"] {
        assert_eq!(
            problems(&json, file),
            Some(vec!["heic".to_string(), "too_large".to_string()]),
            "{file}: {json}"
        );
    }
    let missing: Vec<&str> = json["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for i in 1..=4 {
        assert!(
            !missing.contains(&no(i).as_str()),
            "{} listed missing",
            no(i)
        );
    }
    assert_eq!(json["skipped"], serde_json::json!([]), "nothing skipped");
    let (_, table) = t.table(&[]);
    assert!(table.contains("HEIC"), "{table}");
}

/// photo_size_rule: CHSI's 20–40 KB holds under both readings of KB only for 20,480–40,000
/// bytes; a 40,500-byte photo is 39.6 KB to one program and 40.5 KB to another, so it is too
/// large by default. `[photo] max_bytes` (or `max_kb`, in 1,024 bytes) says otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photo_size_rule_is_inside_both_readings_of_kb() {
    let t = Setup::new().await;
    let b = Bytes::new();
    put(&t.dir, "2026000001.jpg", &padded_to(&b.valid("1"), 40_000));
    put(&t.dir, "2026000002.jpg", &padded_to(&b.valid("2"), 40_500));
    let small = encode_sized(
        &draw_portrait(480, 640, [255, 255, 255], 6),
        480,
        640,
        false,
        17 * KB,
        20 * KB - 64,
    )
    .unwrap();
    put(&t.dir, "2026000003.jpg", &padded_to(&small, 20_480));
    put(&t.dir, "2026000004.jpg", &padded_to(&small, 20_479));
    let (code, json, _) = t.reconcile(&[]);
    assert_eq!(code, Some(3));
    assert_eq!(
        problems(&json, "2026000002.jpg"),
        Some(vec!["too_large".to_string()])
    );
    assert_eq!(
        problems(&json, "2026000004.jpg"),
        Some(vec!["too_small".to_string()])
    );
    assert_eq!(
        files_of(&json, "matched_valid"),
        ["2026000001.jpg", "2026000003.jpg"]
    );

    std::fs::write(t.home.join("config.toml"), "[photo]\nmax_bytes = 40960\n").unwrap();
    let (_, json, _) = t.reconcile(&[]);
    assert_eq!(
        files_of(&json, "matched_valid"),
        ["2026000001.jpg", "2026000002.jpg", "2026000003.jpg"],
        "{json}"
    );

    std::fs::write(
        t.home.join("config.toml"),
        "[photo]\nmax_kb = 40\nmax_bytes = 40960\n",
    )
    .unwrap();
    let out = t.caiji(&["photos", "reconcile", t.dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("both max_kb and max_bytes"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_folder_is_one_clear_error() {
    let t = Setup::new().await;
    let out = t.caiji(&["photos", "reconcile", "/no/such/folder"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("cannot open the photo folder /no/such/folder"),
        "{stderr}"
    );
    let file = t.dir.join("x.jpg");
    std::fs::write(&file, b"x").unwrap();
    let out = t.caiji(&["photos", "reconcile", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a folder"));
}

#[test]
fn the_demo_folder_has_every_kind_of_file() {
    let home = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_caiji"))
            .args(args)
            .env("CAIJI_HOME", home.path())
            .env("CAIJI_LANG", "en")
            .env_remove("CAIJI_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    let out = run(&["demo", "--no-tui", "--students", "60"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = home.path().join("demo-photos");
    let out = run(&[
        "photos",
        "reconcile",
        dir.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(3));
    let n = |key: &str| json[key].as_array().unwrap().len();
    // photos only of the students who came to a session (most of the 60: they have codes)
    assert!(n("matched_valid") >= 25, "{json}");
    assert!(
        n("matched_invalid") >= 7
            && n("duplicates") == 2
            && n("orphans") >= 3
            && n("missing") >= 3
            && n("skipped") == 2,
        "{json}"
    );
    let stem = |f: &str| {
        f.rsplit('/')
            .next()
            .unwrap()
            .split('.')
            .next()
            .unwrap()
            .to_string()
    };
    let legacy = json["matched_valid"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| stem(v["file"].as_str().unwrap()).starts_with("*****"))
        .count();
    assert!(
        legacy >= 1,
        "some files named by ID number, shown masked: {json}"
    );
    // the file a report names: one named by ID number is found by its masked form
    let real = |shown: &str| -> PathBuf {
        let path = dir.join(shown);
        if !shown.contains("*****") {
            return path;
        }
        let folder = path.parent().unwrap();
        let name = path.file_name().unwrap().to_str().unwrap();
        std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                caiji::domain::mask_ids_in_path(p.file_name().unwrap().to_str().unwrap(), None)
                    == name
            })
            .unwrap_or_else(|| panic!("no file shown as {shown}"))
    };
    // every valid demo file is a 480×640 JPEG of 20–40 KB, by the file's own bytes
    for v in json["matched_valid"].as_array().unwrap() {
        let bytes = std::fs::read(real(v["file"].as_str().unwrap())).unwrap();
        assert!(
            (20 * 1024..=40 * 1024).contains(&bytes.len()),
            "{}: {} bytes",
            v["file"],
            bytes.len()
        );
        let mut d = jpeg_decoder::Decoder::new(&bytes[..]);
        d.read_info().unwrap();
        let info = d.info().unwrap();
        assert_eq!(
            (info.width, info.height, info.pixel_format),
            (480, 640, jpeg_decoder::PixelFormat::RGB24)
        );
    }
    // the demo recorded its folder: the roster shows photo progress
    let out = run(&["students", "list", "--format", "json"]);
    let students: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let valid = students
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["photo_status"] == "valid")
        .count();
    assert_eq!(valid, n("matched_valid"));
}

// ---------- the store, on every backend ----------

async fn open(db: &TestDb) -> Box<dyn store::Store> {
    store::open(&db.url, Create::IfMissing)
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", db.url))
}

fn record(
    path: &str,
    student: Option<(i64, &str)>,
    status: PhotoFileStatus,
    sha: &str,
) -> PhotoRecord {
    PhotoRecord {
        path: path.into(),
        student_id: student.map(|s| s.0),
        student_no: student.map(|s| s.1.to_string()),
        // read back with the row (for masking its path where it is shown), never stored in it
        id_number: student.map(|s| {
            roster()
                .into_iter()
                .find(|r| r.student_no == s.1)
                .expect("a student of the roster")
                .id_number
        }),
        size: 30_000,
        mtime: 1_700_000_000_123_456_789,
        sha256: sha.repeat(64 / sha.len()),
        width: Some(480),
        height: Some(640),
        status,
        problems: String::new(),
        spec: "480x640/20480-40960".into(),
    }
}

async fn apply_writes_only_differences(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(&roster()[..4]).await.unwrap();
    let ids: Vec<(i64, String)> = s
        .list_students(&StudentFilter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.student.student_no))
        .collect();
    let who = |i: usize| Some((ids[i].0, ids[i].1.as_str()));
    let mut bad = record(
        "/照片/a b/2026000002.jpg",
        who(1),
        PhotoFileStatus::Invalid,
        "b",
    );
    bad.problems = r#"[{"kind":"too_small","size":1000,"min":20480}]"#.into();
    let first = vec![
        record(
            "/照片/a b/2026000001.jpg",
            who(0),
            PhotoFileStatus::Valid,
            "a",
        ),
        bad,
        record(
            "/照片/a b/2026000003.jpg",
            who(2),
            PhotoFileStatus::Duplicate,
            "c",
        ),
        record(
            "/照片/a b/x/2026000003.jpg",
            who(2),
            PhotoFileStatus::Duplicate,
            "d",
        ),
        record("/照片/a b/谁.jpg", None, PhotoFileStatus::Orphan, "e"),
    ];
    // a row of another folder whose name starts the same: never touched by this folder's runs
    let neighbour = vec![record(
        "/照片/a bc/2026000004.jpg",
        who(3),
        PhotoFileStatus::Valid,
        "f",
    )];
    assert_eq!(
        s.apply_photos("/照片/a bc/", &neighbour, None, "op")
            .await
            .unwrap()
            .inserted,
        1
    );

    let a = s
        .apply_photos("/照片/a b/", &first, Some(r#"{"n":1}"#), "op")
        .await
        .unwrap();
    assert_eq!(
        (a.inserted, a.updated, a.removed, a.unchanged),
        (5, 0, 0, 0)
    );
    let audit_len = s.audit_log(None, 1000).await.unwrap().len();
    assert_eq!(
        s.get_setting(store::LAST_RECONCILE_SETTING)
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"n":1}"#)
    );

    // the same again, with the same summary: nothing written
    let again = s
        .apply_photos("/照片/a b/", &first, Some(r#"{"n":1}"#), "op")
        .await
        .unwrap();
    assert_eq!(
        (
            again.inserted,
            again.updated,
            again.removed,
            again.unchanged
        ),
        (0, 0, 0, 5)
    );
    assert_eq!(s.audit_log(None, 1000).await.unwrap().len(), audit_len);

    let stored = s.photos_under("/照片/a b/").await.unwrap();
    assert_eq!(
        stored.iter().map(|r| r.path.as_str()).collect::<Vec<_>>(),
        first.iter().map(|r| r.path.as_str()).collect::<Vec<_>>()
    );
    assert_eq!(stored, first, "every field round-trips, 学号 included");

    let students = s.list_students(&StudentFilter::default()).await.unwrap();
    let statuses: Vec<PhotoStatus> = students.iter().map(|r| r.photo_status).collect();
    assert_eq!(
        statuses,
        [
            PhotoStatus::Valid,
            PhotoStatus::Invalid,
            PhotoStatus::Duplicate,
            PhotoStatus::Valid
        ],
        "duplicates are not valid, and not invalid either: one to choose"
    );

    // replace one, drop the duplicate and the orphan
    let mut second = vec![first[0].clone(), first[1].clone(), first[2].clone()];
    second[2].status = PhotoFileStatus::Valid;
    second[2].sha256 = "9".repeat(64);
    let b = s
        .apply_photos("/照片/a b/", &second, None, "op")
        .await
        .unwrap();
    assert_eq!(
        (b.inserted, b.updated, b.removed, b.unchanged),
        (0, 1, 2, 2)
    );
    let log = s.audit_log(None, 4).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "photos_reconcile",
            "photo_remove",
            "photo_remove",
            "photo_update"
        ]
    );
    assert!(
        log[3].entry.detail.contains("replaced"),
        "{}",
        log[3].entry.detail
    );
    assert_eq!(
        s.list_students(&StudentFilter::default()).await.unwrap()[2].photo_status,
        PhotoStatus::Valid
    );

    // everything gone from the folder: its students are missing again, the neighbour stays
    let c = s.apply_photos("/照片/a b/", &[], None, "op").await.unwrap();
    assert_eq!(c.removed, 3);
    let statuses: Vec<PhotoStatus> = s
        .list_students(&StudentFilter::default())
        .await
        .unwrap()
        .iter()
        .map(|r| r.photo_status)
        .collect();
    assert_eq!(
        statuses,
        [
            PhotoStatus::Missing,
            PhotoStatus::Missing,
            PhotoStatus::Missing,
            PhotoStatus::Valid
        ]
    );
    assert_eq!(s.photos_under("/照片/a bc/").await.unwrap(), neighbour);
    s.close().await;
}

async fn listing_and_match_keys(db: &TestDb) {
    let s = open(db).await;
    s.insert_students(&roster()[..3]).await.unwrap();
    for q in [
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT 501, id, 1, 'T1', 'revoked', '2026-01-01 08:00:00' FROM students WHERE student_no = '2026000001'",
        "INSERT INTO codes (serial, student_id, key_id, token, status, issued_at) SELECT 502, id, 1, 'T2', 'active', '2026-01-02 08:00:00' FROM students WHERE student_no = '2026000001'",
        "INSERT INTO sessions (title, location, starts_at, ends_at, capacity, created_at) VALUES ('第一场', '图书馆', '2026-03-01 08:30:00', '2026-03-01 11:30:00', 100, '2026-01-01 00:00:00')",
        "INSERT INTO checkins (session_id, student_id, shot, station, operator, checked_in_at) SELECT (SELECT MAX(id) FROM sessions), id, 7, 'A', 'op', '2026-03-01 08:31:00' FROM students WHERE student_no = '2026000002'",
    ] {
        exec(db, q).await.unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    let keys = s.photo_match_keys().await.unwrap();
    let rows = s.list_students(&StudentFilter::default()).await.unwrap();
    let id = |n: usize| rows[n - 1].id;
    let mut serials = keys.serials.clone();
    serials.sort();
    assert_eq!(serials, [(501, id(1)), (502, id(1))]);
    assert_eq!(keys.shots.len(), 1);
    assert_eq!((keys.shots[0].1, keys.shots[0].2), (7, id(2)));

    // the whole reconciliation on this backend: serial and session-shot names match
    let dir = tempfile::tempdir().unwrap();
    let b = Bytes::new();
    let session = keys.shots[0].0;
    put(dir.path(), "501.jpg", &b.valid("serial"));
    put(dir.path(), &format!("{session}-7.jpg"), &b.valid("shot"));
    put(dir.path(), "2026000003.jpg", &b.quality(25));
    let options = caiji::photos::Options {
        apply: true,
        deep: false,
        spec: Default::default(),
        operator: "op".into(),
        threads: 2,
    };
    let r = caiji::photos::reconcile(s.as_ref(), dir.path(), &options)
        .await
        .unwrap();
    let json = r.to_json();
    let valid: Vec<(String, String)> = json
        .matched_valid
        .iter()
        .map(|v| (v.file.clone(), v.student_no.clone()))
        .collect();
    let mut want = vec![
        (format!("{session}-7.jpg"), "2026000002".to_string()),
        ("501.jpg".into(), "2026000001".into()),
    ];
    want.sort();
    assert_eq!(valid, want);
    assert_eq!(json.matched_invalid[0].student_no, "2026000003");
    assert_eq!(r.applied.map(|a| a.inserted), Some(3));
    let again = caiji::photos::reconcile(s.as_ref(), dir.path(), &options)
        .await
        .unwrap();
    assert_eq!(
        again
            .applied
            .map(|a| (a.inserted, a.updated, a.removed, a.unchanged)),
        Some((0, 0, 0, 3))
    );
    assert_eq!(again.work.read, 0, "answered from the stored rows");

    let invalid = s
        .list_photos(&PhotoFilter {
            status: Some(PhotoFileStatus::Invalid),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(invalid.len(), 1);
    assert_eq!(invalid[0].student_no.as_deref(), Some("2026000003"));
    assert_eq!(invalid[0].name.as_deref(), Some(NAMES[2]));
    assert_eq!(
        invalid[0]
            .problems
            .iter()
            .map(|p| p.code())
            .collect::<Vec<_>>(),
        ["too_small"]
    );
    let mine = s
        .list_photos(&PhotoFilter {
            student_no: Some("2026000001".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert!(mine[0].path.ends_with("/501.jpg"));
    let summary = caiji::photos::last_summary(s.as_ref())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            summary.matched_valid,
            summary.matched_invalid,
            summary.missing
        ),
        (2, 1, 0)
    );
    s.close().await;
}

/// Photos named by ID number (the legacy way) never put a full ID number on show: the reconcile
/// table and JSON, the summary the Photos screen reads and every audit line (`caiji audit`)
/// carry the ID part masked as `*****8746`, for a resident ID, another document of the file's
/// student, a folder named by a number and an orphan named by an unknown resident ID.
async fn photo_paths_mask_id_numbers(db: &TestDb) {
    let s = open(db).await;
    let mut students = roster()[..4].to_vec();
    students[1].id_type = caiji::domain::IdType::Passport;
    students[1].id_number = "EA1234567".into();
    s.insert_students(&students).await.unwrap();
    s.close().await;
    let unknown = resident_id("110105", "19491231", "002");
    let full: Vec<String> = students
        .iter()
        .map(|st| st.id_number.clone())
        .chain([unknown.clone()])
        .collect();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join(&students[3].id_number); // a folder named by an ID number
    let b = Bytes::new();
    let id0 = &students[0].id_number;
    put(&dir, &format!("{}.jpg", id0.to_lowercase()), &b.valid("0"));
    put(&dir, "ea1234567.jpg", &b.quality(25));
    put(
        &dir,
        &format!("{}.jpg", students[2].id_number),
        &b.valid("2a"),
    );
    put(&dir, &format!("{}.jpg", no(3)), &b.valid("2b"));
    put(&dir, &format!("{unknown}.jpg"), &b.valid("u"));
    put(
        &dir,
        &format!("补拍/{}.png", students[2].id_number),
        b"not a photo",
    );

    let home = tmp.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_caiji"))
            .args(["--database-url", &db.url])
            .args(args)
            .env("CAIJI_HOME", &home)
            .env("CAIJI_LANG", "en")
            .env("CAIJI_OPERATOR", "tester")
            .output()
            .expect("run caiji");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "{args:?}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let d = dir.to_str().unwrap();
    let masked = |id: &str| format!("*****{}", id[id.len() - 4..].to_uppercase());
    let json_text = run(&["photos", "reconcile", d, "--apply", "--format", "json"]);
    let table = run(&["photos", "reconcile", d]);
    // a file goes away: its removal is audited too
    std::fs::remove_file(dir.join("ea1234567.jpg")).unwrap();
    run(&["photos", "reconcile", d, "--apply"]);
    let s = open(db).await;
    let summary = caiji::photos::last_summary(s.as_ref())
        .await
        .unwrap()
        .expect("the summary of the last --apply");
    // the folder stays as it is in the settings (the screen finds its rows by it, and masks it
    // when it shows it); the lists of files the screen shows are masked
    let summary_text = serde_json::to_string(&caiji::photos::ReconcileSummary {
        folder: String::new(),
        ..summary
    })
    .unwrap();
    let details: Vec<String> = s
        .audit_log(None, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.entry.detail)
        .collect();
    // a line an older caiji wrote, with the path unmasked: `caiji audit` masks it when it shows it
    s.audit(&caiji::store::AuditEntry {
        operator: "older".into(),
        action: "photo_add".into(),
        student_no: Some(no(1)),
        detail: format!("{d}/{id0}.jpg: valid"),
    })
    .await
    .unwrap();
    s.close().await;
    let audit = [
        run(&["audit", "--format", "json"]),
        run(&["audit", "--format", "csv"]),
        run(&["audit"]),
    ]
    .concat();
    assert!(
        audit.contains(&format!("{}.jpg: valid", masked(id0))),
        "{audit}"
    );

    for (what, text) in [
        ("JSON", &json_text),
        ("table", &table),
        ("audit", &audit),
        ("summary", &summary_text),
        ("audit_log.detail", &details.join("\n")),
    ] {
        for id in &full {
            for form in [id.clone(), id.to_lowercase()] {
                assert!(!text.contains(&form), "{what} shows {form}: {text}");
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&json_text).unwrap();
    let folder = format!("*****{}", &students[3].id_number[14..]);
    assert_eq!(
        files_of(&json, "matched_valid"),
        [format!("{}.jpg", masked(id0))]
    );
    assert_eq!(
        json["matched_invalid"][0]["file"], "*****4567.jpg",
        "the passport of the file's student"
    );
    assert_eq!(
        json["orphans"][0]["file"],
        format!("{}.jpg", masked(&unknown))
    );
    assert!(table.contains("*****4567.jpg"), "{table}");
    assert!(table.contains(&folder), "the folder is masked too: {table}");
    let photo_lines: Vec<&String> = details.iter().filter(|d| d.contains(".jpg")).collect();
    assert!(
        photo_lines
            .iter()
            .any(|d| d.contains("*****4567.jpg: file gone")),
        "{details:?}"
    );
    assert!(
        photo_lines.iter().all(|d| d.contains("*****")),
        "{details:?}"
    );
}

backend_tests! {
    photo_paths_masked => photo_paths_mask_id_numbers;
    photo_apply_writes_only_differences => apply_writes_only_differences;
    photo_listing_and_match_keys => listing_and_match_keys;
}
