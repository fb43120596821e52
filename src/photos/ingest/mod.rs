//! `caiji photos ingest CARD --out DIR` (docs/ingest.md): from the camera card to upload-ready
//! photos named by 学号, with keyframes (a photographed collection code or station slate)
//! telling whose frames follow.
//!
//! - [`card`]: the frames in capture order;
//! - [`frame`]: one frame decoded once, its QR codes, its 480×640 photo;
//! - [`sequence`]: keyframes, sequences, the chosen frame, retakes (pure);
//! - [`report`]: what the user sees, the JSON keys and the summary the console shows.
//!
//! The card is streamed: a reader thread reads frames in capture order, worker threads (one per
//! core) analyse them, and at most a few frames are in flight at once, so memory stays flat
//! whatever the card's size. Photos wait in a staging folder inside the output folder until the
//! card is done, then each winner is renamed into place (atomic) unless an identical file is
//! already there.

pub mod card;
pub mod frame;
pub mod report;
pub mod sequence;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::code::{Keyring, VerifyError, open_slate, slate};
use crate::domain::photo_spec::PhotoSpec;
use crate::i18n::Lang;
use crate::store::{AuditEntry, Store, StudentFilter, TokenLookup};
use frame::{Analysed, Crop, Target, Unusable, Worker};
use report::{Ingested, MissingStudent, StudentPhoto, SupersededSeq, UnassignedFrame};
use sequence::{Book, Key, KeyedBy, Pick, Refusal, Sequence, Sequencer};

/// The setting that keeps the last ingest's summary (JSON) for the console's Photos screen.
pub const LAST_INGEST_SETTING: &str = "photos.last_ingest";

/// How output files are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NameBy {
    #[default]
    StudentNo,
    /// The full ID number, as CHSI wants; audited as a reveal.
    Id,
}

/// How an ingest runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub pick: Pick,
    pub name_by: NameBy,
    /// Look and report; write no file and record nothing.
    pub dry_run: bool,
    pub spec: PhotoSpec,
    pub crop: Crop,
    /// Worker threads (0: one per core).
    pub threads: usize,
    pub operator: String,
    /// The language of the report's refusals and of the errors.
    pub lang: Lang,
}

/// Where the ingest stands, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub files_done: usize,
    pub files_total: usize,
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn mb_per_s(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.bytes_done as f64 / 1e6 / s
        } else {
            0.0
        }
    }

    /// Seconds left at the pace so far.
    pub fn eta(&self) -> Option<Duration> {
        if self.bytes_done == 0 {
            return None;
        }
        let per_byte = self.elapsed.as_secs_f64() / self.bytes_done as f64;
        Some(Duration::from_secs_f64(
            per_byte * self.bytes_total.saturating_sub(self.bytes_done) as f64,
        ))
    }
}

/// A photo waiting to be placed: in the staging folder, or (dry run) only measured.
#[derive(Debug)]
struct Staged {
    path: Option<PathBuf>,
    bytes: u64,
    quality: u8,
    below_range: bool,
}

impl Staged {
    fn discard(self) {
        if let Some(p) = self.path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Frames read but not yet taken in order: the bound on memory.
struct InFlight {
    count: Mutex<usize>,
    freed: Condvar,
    limit: usize,
}

impl InFlight {
    fn acquire(&self) {
        let mut n = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= self.limit {
            n = self.freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
    }

    fn release(&self) {
        let mut n = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        self.freed.notify_one();
    }
}

/// A student as the ingest knows them.
struct Person {
    id: i64,
    student_no: String,
    name: String,
    id_number: String,
}

/// Who the keyframes can name, read once before the card.
struct Roster {
    people: Vec<Person>,
    by_no: HashMap<String, usize>,
    by_id: HashMap<i64, usize>,
    /// (session, shot) → student position.
    shots: HashMap<(i64, i64), usize>,
    /// Student position → sessions they were checked in at.
    sessions_of: HashMap<usize, Vec<i64>>,
}

impl Roster {
    async fn load(store: &dyn Store) -> Result<Roster> {
        let rows = store.list_students(&StudentFilter::default()).await?;
        let people: Vec<Person> = rows
            .into_iter()
            .map(|r| Person {
                id: r.id,
                student_no: r.student.student_no,
                name: r.student.name,
                id_number: r.student.id_number,
            })
            .collect();
        let by_no = people
            .iter()
            .enumerate()
            .map(|(i, p)| (p.student_no.clone(), i))
            .collect();
        let by_id: HashMap<i64, usize> =
            people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
        let keys = store.photo_match_keys().await?;
        let mut shots = HashMap::new();
        let mut sessions_of: HashMap<usize, Vec<i64>> = HashMap::new();
        for (session, shot, student_id) in keys.shots {
            if let Some(&i) = by_id.get(&student_id) {
                shots.insert((session, shot), i);
                sessions_of.entry(i).or_default().push(session);
            }
        }
        Ok(Roster {
            people,
            by_no,
            by_id,
            shots,
            sessions_of,
        })
    }
}

fn refusal(code: &'static str, message: String) -> Key {
    Key::Refused(Refusal { code, message })
}

/// Who one QR text names, checked like a scan at check-in (key file, then the codes table).
async fn resolve_text(
    store: &dyn Store,
    keyring: &Keyring,
    roster: &Roster,
    text: &str,
    lang: Lang,
) -> Result<Key> {
    let zh = lang == Lang::Zh;
    if slate::is_slate(text) {
        let s = match open_slate(text, keyring) {
            Ok(s) => s,
            Err(e) => return Ok(verify_refusal(&e)),
        };
        let (shot, by) = match (s.shot, &s.label) {
            (Some(shot), _) => (Some(shot), KeyedBy::Slate),
            // A slate shot offline: the server learnt the label's shot at the sync.
            (None, Some(label)) => (
                store
                    .labelled_shots(s.session)
                    .await?
                    .into_iter()
                    .find(|l| &l.label == label)
                    .map(|l| l.shot),
                KeyedBy::SlateLabel,
            ),
            (None, None) => (None, KeyedBy::Slate),
        };
        let Some(shot) = shot else {
            let label = s.label.as_deref().unwrap_or("?");
            return Ok(refusal(
                "slate_waiting_for_sync",
                if zh {
                    format!(
                        "拍摄牌：场次 {} 临时编号 {label} 尚未同步到服务器（离线工位还没上传，或上传时被拒）——请在该工位运行 caiji sessions sync 并查看 caiji sessions sync-report，然后重新导入",
                        s.session
                    )
                } else {
                    format!(
                        "slate of session {} with provisional label {label}, which the server does not know yet (the offline station has not sent it, or it was refused when sent) — run caiji sessions sync at that station, check caiji sessions sync-report, then ingest again",
                        s.session
                    )
                },
            ));
        };
        let Some(&student) = roster.shots.get(&(s.session, i64::from(shot))) else {
            return Ok(refusal(
                "slate_not_checked_in",
                if zh {
                    format!(
                        "拍摄牌：场次 {} 拍摄号 {} 没有签到记录——请核对签到，或用 caiji sessions slate 重新生成",
                        s.session, shot
                    )
                } else {
                    format!(
                        "slate of session {} shot {}, which has no check-in — check the check-ins of that session",
                        s.session, shot
                    )
                },
            ));
        };
        if let Ok(serial) = i64::try_from(s.serial)
            && let Some(code) = store.code_by_serial(serial).await?
            && code.student_no != roster.people[student].student_no
        {
            return Ok(refusal(
                "slate_mismatch",
                lang.pick(
                    "拍摄牌上的采集码编号属于另一名学生——该场次拍摄号可能被改过；请人工核对",
                    "the slate's code serial belongs to another student than its shot — check this sequence by hand",
                )
                .to_string(),
            ));
        }
        return Ok(Key::Student { student, by });
    }
    if let Err(e) = crate::code::verify(text, keyring) {
        return Ok(verify_refusal(&e));
    }
    let token = crate::code::normalize_input(text);
    Ok(match store.code_by_token(&token).await? {
        TokenLookup::Active { student_no } => match roster.by_no.get(&student_no) {
            Some(&student) => Key::Student {
                student,
                by: KeyedBy::Code,
            },
            None => refusal(
                "not_on_roster",
                if zh {
                    format!("采集码属于 {student_no}，该学生不在名单中（已退出？）")
                } else {
                    format!("the code is {student_no}'s, who is not on the roster (withdrawn?)")
                },
            ),
        },
        TokenLookup::Unknown => refusal(
            "unknown_code",
            lang.pick(
                "未登记的采集码（不是本校签发的，或已被替换）",
                "unknown code (not issued here, or replaced)",
            )
            .to_string(),
        ),
        TokenLookup::Revoked {
            student_no,
            revoked_at,
            ..
        } => {
            let when = revoked_at
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "?".into());
            refusal(
                "revoked",
                if zh {
                    format!(
                        "{student_no} 的采集码已于 {when} 作废——这些照片不归入任何学生，请人工核对"
                    )
                } else {
                    format!(
                        "{student_no}'s code was revoked on {when} — these frames go to nobody; check them by hand"
                    )
                },
            )
        }
    })
}

fn verify_refusal(e: &VerifyError) -> Key {
    let code = match e {
        VerifyError::UnknownKey { .. } => "unknown_key",
        VerifyError::AuthenticationFailed => "tampered_or_foreign",
        _ => "invalid_code",
    };
    refusal(code, e.to_string())
}

/// Who a keyframe names: every caiji text in it must agree.
async fn resolve(
    store: &dyn Store,
    keyring: &Keyring,
    roster: &Roster,
    cache: &mut HashMap<String, Key>,
    texts: &[String],
    lang: Lang,
) -> Result<Key> {
    let mut keys = Vec::new();
    for t in texts {
        let norm = crate::code::normalize_input(t);
        let key = match cache.get(&norm) {
            Some(k) => k.clone(),
            None => {
                let k = resolve_text(store, keyring, roster, &norm, lang).await?;
                cache.insert(norm, k.clone());
                k
            }
        };
        keys.push(key);
    }
    let students: BTreeSet<usize> = keys
        .iter()
        .filter_map(|k| match k {
            Key::Student { student, .. } => Some(*student),
            Key::Refused(_) => None,
        })
        .collect();
    Ok(match students.len() {
        0 => keys.into_iter().next().unwrap_or_else(|| {
            refusal(
                "invalid_code",
                lang.pick("无法读取的采集码", "unreadable code").to_string(),
            )
        }),
        1 => keys
            .into_iter()
            .find(|k| matches!(k, Key::Student { .. }))
            .unwrap_or_else(|| refusal("invalid_code", String::new())),
        _ => refusal(
            "conflicting_codes",
            lang.pick(
                "同一画面里有不同学生的码——这些照片不归入任何学生，请人工核对",
                "codes of different students in one frame — these frames go to nobody; check them by hand",
            )
            .to_string(),
        ),
    })
}

/// The card folder, the output folder (created unless `dry_run`), both absolute, and a refusal
/// of an output folder on the card.
fn folders(card: &Path, out: &Path, dry_run: bool, lang: Lang) -> Result<(PathBuf, PathBuf)> {
    let card = std::fs::canonicalize(card).with_context(|| {
        format!(
            "{} {}",
            lang.pick("无法打开存储卡文件夹", "cannot open the card folder"),
            card.display()
        )
    })?;
    if !card.is_dir() {
        bail!(
            "{} {}",
            card.display(),
            lang.pick(
                "不是文件夹；请给出存储卡（或其拷贝）的文件夹",
                "is not a folder; give the card's folder (or a copy of it)"
            )
        );
    }
    // The output folder, or the nearest folder above it that exists, made absolute.
    let mut probe = out.to_path_buf();
    let mut rest = Vec::new();
    let abs = loop {
        match std::fs::canonicalize(&probe) {
            Ok(p) => break p,
            Err(_) => match (probe.parent(), probe.file_name()) {
                (Some(parent), Some(name)) => {
                    rest.push(name.to_os_string());
                    probe = if parent.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        parent.to_path_buf()
                    };
                }
                _ => bail!("cannot resolve the output folder {}", out.display()),
            },
        }
    };
    let out_abs = rest.into_iter().rev().fold(abs, |p, n| p.join(n));
    if out_abs.starts_with(&card) {
        bail!(
            "{} {} {}",
            lang.pick("输出文件夹", "the output folder"),
            out_abs.display(),
            lang.pick(
                "在存储卡文件夹里；caiji 从不写存储卡——请换一个卡外的文件夹",
                "lies on the card; caiji never writes to the card — choose a folder outside it"
            )
        );
    }
    if !dry_run {
        std::fs::create_dir_all(&out_abs).with_context(|| {
            format!(
                "{} {}",
                lang.pick("无法创建输出文件夹", "cannot create the output folder"),
                out.display()
            )
        })?;
    }
    Ok((card, out_abs))
}

/// What the worker threads hand back for one frame.
enum Done {
    Analysed(Analysed),
    Unreadable(String),
}

/// Starts the reader and the workers; results arrive on the returned channel, in any order.
fn start_pipeline(
    frames: Arc<Vec<card::CardFrame>>,
    target: Target,
    threads: usize,
    inflight: Arc<InFlight>,
) -> (
    tokio::sync::mpsc::Receiver<(usize, Done)>,
    Vec<std::thread::JoinHandle<()>>,
) {
    let (done_tx, done_rx) = tokio::sync::mpsc::channel(threads * 2 + 2);
    let (work_tx, work_rx) = std::sync::mpsc::sync_channel::<(usize, Vec<u8>, u16)>(1);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let mut handles = Vec::new();
    {
        let done_tx = done_tx.clone();
        let inflight = inflight.clone();
        handles.push(std::thread::spawn(move || {
            for (i, f) in frames.iter().enumerate() {
                inflight.acquire();
                if f.heic {
                    if done_tx
                        .blocking_send((i, Done::Analysed(Analysed::Unusable(Unusable::Heic))))
                        .is_err()
                    {
                        return;
                    }
                    continue;
                }
                match std::fs::read(&f.path) {
                    Ok(bytes) => {
                        if work_tx.send((i, bytes, f.orientation)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        if done_tx
                            .blocking_send((i, Done::Unreadable(e.to_string())))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        }));
    }
    for _ in 0..threads {
        let work_rx = work_rx.clone();
        let done_tx = done_tx.clone();
        handles.push(std::thread::spawn(move || {
            let mut worker = match Worker::new() {
                Ok(w) => w,
                Err(e) => {
                    // Every frame this thread would take is reported unreadable.
                    loop {
                        let next = work_rx.lock().map(|rx| rx.recv());
                        match next {
                            Ok(Ok((i, _, _))) => {
                                if done_tx
                                    .blocking_send((i, Done::Unreadable(e.clone())))
                                    .is_err()
                                {
                                    return;
                                }
                            }
                            _ => return,
                        }
                    }
                }
            };
            loop {
                let next = work_rx.lock().map(|rx| rx.recv());
                let Ok(Ok((i, bytes, orientation))) = next else {
                    return;
                };
                let result = worker.analyse(&bytes, orientation, &target);
                drop(bytes);
                if done_tx.blocking_send((i, Done::Analysed(result))).is_err() {
                    return;
                }
            }
        }));
    }
    (done_rx, handles)
}

/// The largest size that is within the limit whichever way "KB" is read: a limit given in whole
/// KiB (40 × 1024) is also read as 40 × 1000, so the photos pass checkers of both kinds
/// (docs/ingest.md).
pub fn both_kb_readings(max_bytes: u64) -> u64 {
    if max_bytes.is_multiple_of(1024) {
        max_bytes / 1024 * 1000
    } else {
        max_bytes
    }
}

/// A file name that stays inside the output folder.
fn safe_name(stem: &str) -> String {
    let cleaned: String = stem
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "_".into()
    } else {
        cleaned
    }
}

/// Writes a staged photo (0600: it is a student's face).
fn stage(dir: &Path, frame: usize, jpeg: &[u8]) -> std::io::Result<PathBuf> {
    let path = dir.join(format!("{frame}.jpg"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(jpeg)?;
    Ok(path)
}

/// Reads the card, finds keyframes, writes the photos and reconciles the output folder.
pub async fn ingest(
    store: &dyn Store,
    keyring: &Keyring,
    card_dir: &Path,
    out_dir: &Path,
    options: &Options,
    progress: &(dyn Fn(&Progress) + Sync),
) -> Result<Ingested> {
    let started = Instant::now();
    let lang = options.lang;
    let (card_root, out_root) = folders(card_dir, out_dir, options.dry_run, lang)?;
    let roster = Roster::load(store).await?;
    let scan_root = card_root.clone();
    let card = tokio::task::spawn_blocking(move || card::scan(&scan_root, None))
        .await
        .context("reading the card stopped unexpectedly")?
        .with_context(|| {
            format!(
                "{} {}",
                lang.pick("无法读取存储卡文件夹", "cannot read the card folder"),
                card_root.display()
            )
        })?;
    let frames = Arc::new(card.frames);
    let bytes_total: u64 = frames.iter().map(|f| f.size).sum();
    tracing::info!(
        frames = frames.len(),
        bytes = bytes_total,
        "ingest: card scanned"
    );

    let staging = out_root.join(format!(".caiji-ingest-{}", std::process::id()));
    if !options.dry_run {
        std::fs::create_dir_all(&staging).with_context(|| {
            format!(
                "{} {}",
                lang.pick(
                    "无法在输出文件夹中写文件",
                    "cannot write in the output folder"
                ),
                out_root.display()
            )
        })?;
    }
    let result = run_card(
        store,
        keyring,
        &roster,
        frames.clone(),
        &staging,
        options,
        progress,
        started,
        bytes_total,
    )
    .await;
    let (book, before_first, unusable, keyframes, texts_seen) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let _ = texts_seen;

    // Place the winners.
    let name_of = |student: usize| -> String {
        let p = &roster.people[student];
        safe_name(match options.name_by {
            NameBy::StudentNo => &p.student_no,
            NameBy::Id => &p.id_number,
        })
    };
    let rel = |i: usize| frames[i].rel.clone();
    let mut students = Vec::new();
    let mut written = 0usize;
    let mut unchanged = 0usize;
    let mut winners: Vec<(usize, Sequence<Staged>)> = book.winners.into_iter().collect();
    winners.sort_by_key(|(_, s)| s.keyframe);
    let mut with_photo = BTreeSet::new();
    for (student, seq) in winners {
        let by = match seq.key {
            Key::Student { by, .. } => by,
            Key::Refused(_) => KeyedBy::Code,
        };
        let mut entry = StudentPhoto {
            student_no: roster.people[student].student_no.clone(),
            name: roster.people[student].name.clone(),
            keyframe: rel(seq.keyframe),
            keyed_by: by,
            frames: seq.frames.iter().map(|&i| rel(i)).collect(),
            chosen: None,
            output: None,
            bytes: None,
            quality: None,
            written: false,
            below_range: false,
        };
        if let Some((frame, staged)) = seq.chosen {
            let file = format!("{}.jpg", name_of(student));
            entry.chosen = Some(rel(frame));
            entry.output = Some(file.clone());
            entry.bytes = Some(staged.bytes);
            entry.quality = Some(staged.quality);
            entry.below_range = staged.below_range;
            with_photo.insert(student);
            if let Some(path) = &staged.path {
                let dest = out_root.join(&file);
                let same = std::fs::read(&dest)
                    .ok()
                    .zip(std::fs::read(path).ok())
                    .is_some_and(|(a, b)| a == b);
                if same {
                    unchanged += 1;
                    staged.discard();
                } else {
                    std::fs::rename(path, &dest).with_context(|| {
                        format!(
                            "{} {}",
                            lang.pick("无法写入照片", "cannot write the photo"),
                            dest.display()
                        )
                    })?;
                    written += 1;
                    entry.written = true;
                }
            }
        }
        students.push(entry);
    }
    let _ = std::fs::remove_dir_all(&staging);

    // Frames that go to nobody.
    let mut unassigned = Vec::new();
    let unusable_reason = |i: usize| -> Option<(&'static str, String)> {
        unusable.get(&i).map(|u| report::unusable_reason(u, lang))
    };
    for &i in &before_first {
        let (reason, message) = unusable_reason(i).unwrap_or((
            "before_first_keyframe",
            lang.pick(
                "在第一个关键帧之前（试拍）",
                "before the first keyframe (test shots)",
            )
            .to_string(),
        ));
        unassigned.push(UnassignedFrame {
            file: rel(i),
            reason,
            message,
            keyframe: None,
        });
    }
    for seq in &book.refused {
        let Key::Refused(r) = &seq.key else { continue };
        for i in std::iter::once(seq.keyframe)
            .chain(seq.repeats.iter().copied())
            .chain(seq.frames.iter().copied())
        {
            unassigned.push(UnassignedFrame {
                file: rel(i),
                reason: r.code,
                message: r.message.clone(),
                keyframe: Some(rel(seq.keyframe)),
            });
        }
    }
    // Unusable frames inside students' sequences.
    for s in &students {
        for f in &s.frames {
            if let Some(i) = frames.iter().position(|x| &x.rel == f)
                && let Some((reason, message)) = unusable_reason(i)
            {
                unassigned.push(UnassignedFrame {
                    file: f.clone(),
                    reason,
                    message,
                    keyframe: Some(s.keyframe.clone()),
                });
            }
        }
    }
    for skip in &card.skipped {
        unassigned.push(UnassignedFrame {
            file: skip.rel.clone(),
            reason: "unreadable",
            message: skip.reason.clone(),
            keyframe: None,
        });
    }
    let superseded: Vec<SupersededSeq> = book
        .superseded
        .iter()
        .filter_map(|s| match s.key {
            Key::Student { student, .. } => Some(SupersededSeq {
                student_no: roster.people[student].student_no.clone(),
                keyframe: rel(s.keyframe),
                frames: s.frames.iter().map(|&i| rel(i)).collect(),
                chosen: s.chosen.as_ref().map(|(i, _)| rel(*i)),
            }),
            Key::Refused(_) => None,
        })
        .collect();

    // Students of the sessions this card covers, checked in, without a photo.
    let mut sessions: BTreeSet<i64> = BTreeSet::new();
    for s in &students {
        if let Some(&i) = roster.by_no.get(&s.student_no)
            && let Some(list) = roster.sessions_of.get(&i)
        {
            sessions.extend(list.iter().copied());
        }
    }
    for s in &superseded {
        if let Some(&i) = roster.by_no.get(&s.student_no)
            && let Some(list) = roster.sessions_of.get(&i)
        {
            sessions.extend(list.iter().copied());
        }
    }
    let mut missing = Vec::new();
    let mut seen_missing = BTreeSet::new();
    for &session in &sessions {
        for st in store.session_students(session).await? {
            let Some(shot) = st.shot else { continue };
            let Some(&i) = roster.by_no.get(&st.student_no) else {
                continue;
            };
            if !with_photo.contains(&i) && seen_missing.insert(i) {
                missing.push(MissingStudent {
                    student_no: st.student_no.clone(),
                    name: st.name.clone(),
                    session,
                    shot,
                });
            }
        }
    }
    let _ = &roster.by_id;

    if options.name_by == NameBy::Id && !students.is_empty() {
        // Full ID numbers become file names: leave a trace of who asked for them.
        store
            .audit(&AuditEntry {
                operator: options.operator.clone(),
                action: "reveal_id".into(),
                student_no: None,
                detail: format!(
                    "photos ingest --name-by id: {} {} {}",
                    with_photo.len(),
                    if options.dry_run {
                        "files named (dry run) for"
                    } else {
                        "files named in"
                    },
                    out_root.display()
                ),
            })
            .await?;
    }

    let reconciled = if out_root.is_dir() {
        let ropts = crate::photos::Options {
            apply: false,
            deep: false,
            spec: options.spec,
            operator: options.operator.clone(),
            threads: options.threads,
        };
        Some(crate::photos::reconcile(store, &out_root, &ropts).await?)
    } else {
        None
    };

    let mut ingested = Ingested {
        card: card_root,
        out: out_root,
        dry_run: options.dry_run,
        pick: options.pick,
        name_by: options.name_by,
        frames: frames.len(),
        keyframes,
        bytes: bytes_total,
        elapsed: started.elapsed(),
        students,
        unassigned,
        superseded,
        missing,
        written,
        unchanged,
        reconciled,
    };
    ingested.elapsed = started.elapsed();
    if !options.dry_run {
        let summary = report::IngestSummary::new(&ingested);
        store
            .set_setting(LAST_INGEST_SETTING, &serde_json::to_string(&summary)?)
            .await?;
    }
    Ok(ingested)
}

type CardResult = (
    Book<Staged>,
    Vec<usize>,
    HashMap<usize, Unusable>,
    usize,
    usize,
);

/// Streams the card through the workers and files every frame in capture order.
#[allow(clippy::too_many_arguments)]
async fn run_card(
    store: &dyn Store,
    keyring: &Keyring,
    roster: &Roster,
    frames: Arc<Vec<card::CardFrame>>,
    staging: &Path,
    options: &Options,
    progress: &(dyn Fn(&Progress) + Sync),
    started: Instant,
    bytes_total: u64,
) -> Result<CardResult> {
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let target = Target {
        width: options.spec.width,
        height: options.spec.height,
        min_bytes: options.spec.min_bytes,
        max_bytes: both_kb_readings(options.spec.max_bytes),
        crop: options.crop,
    };
    let inflight = Arc::new(InFlight {
        count: Mutex::new(0),
        freed: Condvar::new(),
        limit: threads * 2 + 2,
    });
    let (mut rx, handles) = start_pipeline(frames.clone(), target, threads, inflight.clone());

    let mut seq: Sequencer<Staged> = Sequencer::new(options.pick);
    let mut book: Book<Staged> = Book::default();
    let mut unusable = HashMap::new();
    let mut cache = HashMap::new();
    let mut pending: BTreeMap<usize, Done> = BTreeMap::new();
    let mut next = 0usize;
    let mut keyframes = 0usize;
    let mut bytes_done = 0u64;
    let mut last_report = Instant::now() - Duration::from_secs(1);
    let total = frames.len();
    while next < total {
        let Some((i, done)) = rx.recv().await else {
            bail!("the frame workers stopped unexpectedly");
        };
        pending.insert(i, done);
        while let Some(done) = pending.remove(&next) {
            let i = next;
            next += 1;
            inflight.release();
            bytes_done += frames[i].size;
            match done {
                Done::Unreadable(e) => {
                    unusable.insert(i, Unusable::Undecodable { error: e });
                    seq.unusable(i);
                }
                Done::Analysed(Analysed::Unusable(u)) => {
                    unusable.insert(i, u);
                    seq.unusable(i);
                }
                Done::Analysed(Analysed::Keyframe { texts }) => {
                    keyframes += 1;
                    let key =
                        resolve(store, keyring, roster, &mut cache, &texts, options.lang).await?;
                    if let Some(closed) = seq.keyframe(i, key)
                        && let Some(dropped) = book.close(closed)
                    {
                        dropped.discard();
                    }
                }
                Done::Analysed(Analysed::Portrait { photo }) => {
                    let path = if options.dry_run {
                        None
                    } else {
                        Some(stage(staging, i, &photo.jpeg).with_context(|| {
                            format!(
                                "{} {}",
                                options.lang.pick(
                                    "无法在输出文件夹中写文件",
                                    "cannot write in the output folder"
                                ),
                                staging.display()
                            )
                        })?)
                    };
                    let staged = Staged {
                        path,
                        bytes: photo.jpeg.len() as u64,
                        quality: photo.quality,
                        below_range: photo.below_range,
                    };
                    if let Some(dropped) = seq.portrait(i, photo.sharpness, staged) {
                        dropped.discard();
                    }
                }
            }
            if last_report.elapsed() >= Duration::from_millis(100) || next == total {
                last_report = Instant::now();
                progress(&Progress {
                    files_done: next,
                    files_total: total,
                    bytes_done,
                    bytes_total,
                    elapsed: started.elapsed(),
                });
            }
        }
    }
    drop(rx);
    for h in handles {
        let _ = h.join();
    }
    let before_first = seq.before_first.clone();
    if let Some(last) = seq.finish()
        && let Some(dropped) = book.close(last)
    {
        dropped.discard();
    }
    Ok((book, before_first, unusable, keyframes, 0))
}
