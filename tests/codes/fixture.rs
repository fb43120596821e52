//! The test school: a CAIJI_HOME with its key file, a roster of every name shape and document
//! type on a test database, and helpers to run the built binary against it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use caiji::code::Keyring;
use caiji::domain::{IdType, Level, Student};
use caiji::store::{self, Create, Store};
use serde_json::Value;

use super::common::{self, TestDb};

pub const SCHOOL_CODE: &str = "4144010001";
pub const SCHOOL_NAME: &str = "南岭理工大学";
pub const FOREIGN_CODE: &str = "4199990001";

/// One student of the test roster with the masked forms docs/masking.md gives for them.
pub struct Case {
    pub student: Student,
    pub masked_name: &'static str,
    pub masked_id: String,
}

/// CJK, compound-surname, `·`, Latin (with hyphen) and 50-letter names; every document type.
pub fn roster() -> Vec<Case> {
    let long_id = common::resident_id("440106", "20030708", "315");
    let long_masked = format!("*****{}", &long_id[14..]);
    let rows: Vec<(&str, &str, IdType, String, &'static str, String)> = vec![
        (
            "2022000001",
            "张三",
            IdType::ResidentId,
            "11010519491231002x".into(),
            "张*",
            "*****002X".into(),
        ),
        (
            "2022000002",
            "欧阳娜娜",
            IdType::ResidencePermit,
            "810000199408230021".into(),
            "欧**娜",
            "*****0021".into(),
        ),
        (
            "2022000003",
            "买买提·艾力",
            IdType::HkMacauPermit,
            "H1234567890".into(),
            "买**·*力",
            "*****7890".into(),
        ),
        (
            "2022000004",
            "John Smith",
            IdType::TaiwanPermit,
            "87654321".into(),
            "J*** ****h",
            "*****4321".into(),
        ),
        (
            "2022000005",
            "李世民",
            IdType::Passport,
            "EA1234567".into(),
            "李*民",
            "*****4567".into(),
        ),
        (
            "2022000006",
            "Jean-Luc Picard",
            IdType::ForeignPermanent,
            "USA110090112345".into(),
            "J***-*** *****d",
            "*****2345".into(),
        ),
        (
            "2022000007",
            "司马相如",
            IdType::ResidentId,
            "44010620030708101X".into(),
            "司**如",
            "*****101X".into(),
        ),
        (
            "2022000008",
            "Wolfeschlegelsteinhausenbergerdorffwelchevoraltern",
            IdType::ResidentId,
            long_id,
            "W************************************************n",
            long_masked,
        ),
    ];
    rows.into_iter()
        .enumerate()
        .map(
            |(i, (no, name, id_type, id_number, masked_name, masked_id))| {
                let mut s = common::student(no, name);
                s.id_type = id_type;
                s.id_number = id_number;
                s.level = Level::ALL[i % Level::ALL.len()];
                s.cohort = 2026 + (i as i32 % 2);
                // A class name Excel would run as a formula: the export must neutralise it.
                if i == 7 {
                    s.class = "=SUM(A1:A9)".into();
                }
                Case {
                    student: s,
                    masked_name,
                    masked_id,
                }
            },
        )
        .collect()
}

/// A school on a test database: a CAIJI_HOME with the key file, and the roster above.
pub struct School {
    pub home: tempfile::TempDir,
    pub url: String,
    pub cases: Vec<Case>,
}

pub fn caiji_command(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_caiji"));
    cmd.env("CAIJI_HOME", home)
        .env("CAIJI_LANG", "en")
        .env("CAIJI_OPERATOR", "tester")
        .env_remove("CAIJI_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .env_remove("CAIJI_KEY_FILE")
        .env_remove("NO_COLOR");
    cmd
}

/// Runs caiji with `stdin` as its input and `env` added.
pub fn run(home: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = caiji_command(home);
    cmd.args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run caiji");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("caiji output")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 stdout")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(out),
        stderr(out)
    );
}

/// A clean failure: the exit status, one line on stderr with every expected word, no panic.
#[track_caller]
pub fn assert_fails(out: &Output, code: i32, expect: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        stdout(out)
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for word in expect {
        assert!(err.contains(word), "expected {word:?} in {err}");
    }
}

pub fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

impl School {
    pub async fn new(db: &TestDb) -> School {
        let home = tempfile::tempdir().expect("temp home");
        let cases = roster();
        let store = store::open(&db.url, Create::IfMissing)
            .await
            .expect("open the test database");
        let students: Vec<Student> = cases.iter().map(|c| c.student.clone()).collect();
        store
            .insert_students(&students)
            .await
            .expect("insert the roster");
        store.set_setting("school_code", SCHOOL_CODE).await.unwrap();
        store.set_setting("school_name", SCHOOL_NAME).await.unwrap();
        store.close().await;
        let school = School {
            home,
            url: db.url.clone(),
            cases,
        };
        assert_ok(&school.run(&["key", "generate"]));
        school
    }

    pub fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--database-url", self.url.as_str()];
        all.extend_from_slice(args);
        all
    }

    pub fn run(&self, args: &[&str]) -> Output {
        run(self.home.path(), &self.args(args), None, &[])
    }

    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        run(self.home.path(), &self.args(args), stdin, env)
    }

    pub fn key_path(&self) -> PathBuf {
        self.home.path().join("caiji.keys")
    }

    pub fn keyring(&self) -> Keyring {
        Keyring::load(&self.key_path()).expect("the school's key file")
    }

    pub async fn store(&self) -> Box<dyn Store> {
        store::open(&self.url, Create::Never)
            .await
            .expect("open the test database")
    }

    pub fn no(&self, i: usize) -> &str {
        &self.cases[i].student.student_no
    }

    pub fn token(&self, i: usize) -> String {
        let out = self.run(&["codes", "token", self.no(i)]);
        assert_ok(&out);
        let text = stdout(&out);
        assert_eq!(text.lines().count(), 1, "only the token: {text}");
        text.trim_end().to_string()
    }

    /// `codes verify --format json` over stdin: (exit status, the array).
    pub fn verify_json(&self, extra: &[&str], input: &str) -> (Option<i32>, Vec<Value>) {
        let mut args = vec!["codes", "verify", "--format", "json"];
        args.extend_from_slice(extra);
        let out = self.run_with(&args, Some(input), &[]);
        let json: Value = serde_json::from_str(&stdout(&out))
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
        (
            out.status.code(),
            json.as_array().expect("an array").clone(),
        )
    }
}
