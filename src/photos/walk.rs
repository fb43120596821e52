//! Walking the collector's folder: every file below it, once, without being caught by symlink
//! loops, and with a reason for everything that cannot be a photo.
//!
//! Symbolic links are followed (collectors link day folders together), but a folder is entered
//! only once, tracked by its (device, inode): a link back to an ancestor is a loop, a second
//! link to a folder already walked is reported and not walked twice.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Files larger than this are never read: no photo is, and reading a stray video would stall.
pub const HUGE_BYTES: u64 = 10 * 1024 * 1024;

/// MySQL keeps photo paths in a 700-character column; longer paths could not be recorded.
pub const MAX_PATH_CHARS: usize = 700;

/// Linux's errno for too many levels of symbolic links.
const ELOOP: i32 = 40;

/// A file that may be a photo: named `.jpg`/`.jpeg` (or `.heic`/`.heif`, which phones save:
/// matched to its student and judged, so the student is told it is HEIC rather than listed as
/// missing), regular, non-empty, not huge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Path below the folder, `/`-separated, as reports show it.
    pub rel: String,
    pub path: PathBuf,
    /// The stem the file is matched by (name without extension).
    pub stem: String,
    pub size: u64,
    /// Modification time in nanoseconds since 1970: with the size, the key of the hash cache.
    pub mtime_ns: i64,
}

/// Why an entry was not examined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// A link back to a folder that contains it.
    SymlinkLoop,
    /// A second way into a folder already walked (its first path is given).
    AlreadyWalked {
        first: String,
    },
    UnreadableFolder {
        error: String,
    },
    UnreadableFile {
        error: String,
    },
    /// A symbolic link whose target does not exist (or cannot be reached).
    BrokenLink {
        error: String,
    },
    /// A FIFO, socket or device: opening it could block, and it holds no photo.
    NotRegular {
        what: &'static str,
    },
    Empty,
    Huge {
        size: u64,
    },
    /// Not named `.jpg`, `.jpeg`, `.heic` or `.heif`.
    NotPhotoName,
    /// Hidden files (`.DS_Store`, `._name.jpg` from macOS).
    Hidden,
    /// Hidden folders (`.thumbnails`, `.Trash`): copies, not deliveries.
    HiddenFolder,
    /// The name is neither UTF-8 nor GB18030 text.
    BadName,
    PathTooLong {
        chars: usize,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rel: String,
    pub reason: SkipReason,
}

#[derive(Debug, Default)]
pub struct Walk {
    pub found: Vec<Found>,
    pub skipped: Vec<Skipped>,
}

/// A file name as text. Chinese Windows zips store names in GBK; extracted on Linux they arrive
/// as non-UTF-8 bytes, so GB18030 is tried before giving up.
fn name_text(name: &OsStr) -> Option<String> {
    if let Some(s) = name.to_str() {
        return Some(s.to_string());
    }
    use std::os::unix::ffi::OsStrExt;
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(name.as_bytes());
    (!had_errors).then(|| text.into_owned())
}

/// The stem of a name a photo may have: `x.jpg`, `x.JPEG`, and the phones' `x.heic`, `x.HEIF`
/// (whose content the spec then names as HEIC).
fn photo_stem(name: &str) -> Option<&str> {
    let (stem, ext) = name.rsplit_once('.')?;
    ["jpg", "jpeg", "heic", "heif"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
        .then_some(stem)
}

fn kind_of(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

fn mtime_ns(meta: &Metadata) -> i64 {
    meta.mtime()
        .saturating_mul(1_000_000_000)
        .saturating_add(meta.mtime_nsec())
}

struct Pending {
    path: PathBuf,
    rel: String,
    /// (device, inode) of this folder and every folder above it.
    ancestors: Vec<(u64, u64)>,
}

/// Walks `root` (already known to be a readable folder). `prefix_chars` is the length of the
/// absolute path recorded before each relative path, for the path-length limit.
pub fn walk(root: &Path, prefix_chars: usize) -> std::io::Result<Walk> {
    let root_meta = std::fs::metadata(root)?;
    // Fail early (and as an error, not a skip) when the folder itself cannot be listed.
    std::fs::read_dir(root)?;
    let root_id = (root_meta.dev(), root_meta.ino());
    let mut walked: std::collections::HashMap<(u64, u64), String> =
        std::collections::HashMap::new();
    let mut out = Walk::default();
    let mut stack = vec![Pending {
        path: root.to_path_buf(),
        rel: String::new(),
        ancestors: vec![root_id],
    }];
    // Folders reached through a link wait until every real folder is walked, so a folder is
    // reported under its real path and its links are the ones called repeats.
    let mut linked: std::collections::VecDeque<Pending> = std::collections::VecDeque::new();
    let mut seen_names: HashSet<String> = HashSet::new();

    while let Some(dir) = stack.pop().or_else(|| linked.pop_front()) {
        let id = dir.ancestors.last().copied().unwrap_or(root_id);
        if let Some(first) = walked.get(&id) {
            out.skipped.push(Skipped {
                rel: folder_rel(&dir.rel),
                reason: SkipReason::AlreadyWalked {
                    first: folder_rel(first),
                },
            });
            continue;
        }
        walked.insert(id, dir.rel.clone());
        let entries = match std::fs::read_dir(&dir.path) {
            Ok(e) => e,
            Err(e) => {
                out.skipped.push(Skipped {
                    rel: folder_rel(&dir.rel),
                    reason: SkipReason::UnreadableFolder {
                        error: io_reason(&e),
                    },
                });
                continue;
            }
        };
        let mut names: Vec<(std::ffi::OsString, std::io::Result<std::fs::FileType>)> = Vec::new();
        for entry in entries {
            match entry {
                Ok(entry) => names.push((entry.file_name(), entry.file_type())),
                Err(e) => {
                    out.skipped.push(Skipped {
                        rel: folder_rel(&dir.rel),
                        reason: SkipReason::UnreadableFolder {
                            error: io_reason(&e),
                        },
                    });
                    break;
                }
            }
        }
        // Sorted so reports and the order of work are the same on every run.
        names.sort_by(|a, b| a.0.cmp(&b.0));
        let mut subfolders = Vec::new();
        for (os_name, file_type) in names {
            let path = dir.path.join(&os_name);
            let Some(name) = name_text(&os_name) else {
                let lossy = os_name.to_string_lossy().into_owned();
                out.skipped.push(Skipped {
                    rel: join(&dir.rel, &lossy),
                    reason: SkipReason::BadName,
                });
                continue;
            };
            let rel = join(&dir.rel, &name);
            let is_link = file_type.as_ref().is_ok_and(|t| t.is_symlink());
            // Follow links; `metadata` reports ELOOP for links that chase each other.
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) if is_link => {
                    let reason = if e.raw_os_error() == Some(ELOOP) {
                        SkipReason::SymlinkLoop
                    } else {
                        SkipReason::BrokenLink {
                            error: io_reason(&e),
                        }
                    };
                    out.skipped.push(Skipped { rel, reason });
                    continue;
                }
                Err(e) => {
                    out.skipped.push(Skipped {
                        rel,
                        reason: SkipReason::UnreadableFile {
                            error: io_reason(&e),
                        },
                    });
                    continue;
                }
            };
            if meta.is_dir() {
                if name.starts_with('.') {
                    out.skipped.push(Skipped {
                        rel: folder_rel(&rel),
                        reason: SkipReason::HiddenFolder,
                    });
                    continue;
                }
                let id = (meta.dev(), meta.ino());
                if dir.ancestors.contains(&id) {
                    out.skipped.push(Skipped {
                        rel: folder_rel(&rel),
                        reason: SkipReason::SymlinkLoop,
                    });
                    continue;
                }
                let mut ancestors = dir.ancestors.clone();
                ancestors.push(id);
                let pending = Pending {
                    path,
                    rel,
                    ancestors,
                };
                if is_link {
                    linked.push_back(pending)
                } else {
                    subfolders.push(pending)
                }
                continue;
            }
            if name.starts_with('.') {
                out.skipped.push(Skipped {
                    rel,
                    reason: SkipReason::Hidden,
                });
                continue;
            }
            let Some(stem) = photo_stem(&name) else {
                out.skipped.push(Skipped {
                    rel,
                    reason: SkipReason::NotPhotoName,
                });
                continue;
            };
            let reason = if !meta.is_file() {
                Some(SkipReason::NotRegular {
                    what: kind_of(&meta),
                })
            } else if meta.len() == 0 {
                Some(SkipReason::Empty)
            } else if meta.len() > HUGE_BYTES {
                Some(SkipReason::Huge { size: meta.len() })
            } else {
                let chars = prefix_chars + rel.chars().count();
                (chars > MAX_PATH_CHARS).then_some(SkipReason::PathTooLong { chars })
            };
            if let Some(reason) = reason {
                out.skipped.push(Skipped { rel, reason });
                continue;
            }
            // A GB18030 name could decode to the same text as a UTF-8 sibling; keep the first.
            if !seen_names.insert(rel.clone()) {
                out.skipped.push(Skipped {
                    rel,
                    reason: SkipReason::BadName,
                });
                continue;
            }
            out.found.push(Found {
                stem: stem.trim().to_string(),
                rel,
                path,
                size: meta.len(),
                mtime_ns: mtime_ns(&meta),
            });
        }
        // Reversed so the stack pops them in name order.
        stack.extend(subfolders.into_iter().rev());
    }
    Ok(out)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// Folders are shown with a trailing `/` so they are not taken for files.
fn folder_rel(rel: &str) -> String {
    if rel.is_empty() || rel == "." {
        "./".into()
    } else {
        format!("{rel}/")
    }
}

/// The OS's words for an I/O error, without Rust's "(os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn write(path: &Path, bytes: &[u8]) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn stems_by_extension_in_any_case() {
        let cases = [
            ("2022010101.jpg", Some("2022010101")),
            ("2022010101.JPG", Some("2022010101")),
            ("a.b.Jpeg", Some("a.b")),
            ("张 三.jpeg", Some("张 三")),
            ("2022010101.HEIC", Some("2022010101")),
            ("2022010101.heif", Some("2022010101")),
            ("photo.png", None),
            ("jpg", None),
            ("x.jpg.txt", None),
        ];
        for (name, want) in cases {
            assert_eq!(photo_stem(name), want, "{name}");
        }
    }

    #[test]
    fn gbk_names_are_read() {
        use std::os::unix::ffi::OsStrExt;
        let (gbk, _, _) = encoding_rs::GBK.encode("张三.jpg");
        assert_eq!(
            name_text(OsStr::from_bytes(&gbk)).as_deref(),
            Some("张三.jpg")
        );
        assert_eq!(name_text(OsStr::from_bytes(&[0x81, 0x20, 0xFF])), None);
    }

    #[test]
    fn loops_links_and_leftovers_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(&root.join("a/2022010101.jpg"), b"x");
        write(&root.join("a/b/2022010102.JPG"), b"x");
        write(&root.join("notes.txt"), b"x");
        write(&root.join(".DS_Store"), b"x");
        write(&root.join(".thumbnails/2022010101.jpg"), b"x");
        write(&root.join("empty.jpg"), b"");
        symlink(root.join("a"), root.join("a/b/up")).unwrap(); // loop to an ancestor
        symlink(root.join("a/b"), root.join("again")).unwrap(); // second way into a/b
        symlink(root.join("nowhere.jpg"), root.join("dangling.jpg")).unwrap();
        symlink(root.join("self.jpg"), root.join("self.jpg")).unwrap(); // ELOOP
        symlink(root.join("a/2022010101.jpg"), root.join("linked.jpeg")).unwrap();

        let w = walk(root, 0).unwrap();
        let found: Vec<&str> = w.found.iter().map(|f| f.rel.as_str()).collect();
        assert_eq!(
            found,
            ["linked.jpeg", "a/2022010101.jpg", "a/b/2022010102.JPG"]
        );
        assert_eq!(w.found[2].stem, "2022010102");
        let skipped: Vec<(&str, &str)> = w
            .skipped
            .iter()
            .map(|s| {
                let kind = match &s.reason {
                    SkipReason::HiddenFolder => "hidden folder",
                    SkipReason::SymlinkLoop => "loop",
                    SkipReason::AlreadyWalked { .. } => "again",
                    SkipReason::BrokenLink { .. } => "broken",
                    SkipReason::Empty => "empty",
                    SkipReason::NotPhotoName => "name",
                    SkipReason::Hidden => "hidden",
                    other => panic!("unexpected {other:?}"),
                };
                (s.rel.as_str(), kind)
            })
            .collect();
        assert_eq!(
            skipped,
            [
                (".DS_Store", "hidden"),
                (".thumbnails/", "hidden folder"),
                ("dangling.jpg", "broken"),
                ("empty.jpg", "empty"),
                ("notes.txt", "name"),
                ("self.jpg", "loop"),
                ("a/b/up/", "loop"),
                ("again/", "again"),
            ]
        );
    }

    #[test]
    fn fifos_are_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("x.jpg");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status();
        if !status.is_ok_and(|s| s.success()) {
            return; // no mkfifo on this system: nothing to test
        }
        let w = walk(dir.path(), 0).unwrap();
        assert!(w.found.is_empty());
        assert_eq!(w.skipped[0].reason, SkipReason::NotRegular { what: "FIFO" });
    }

    #[test]
    fn long_paths_and_huge_files_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir.path().join("ok.jpg"), b"x");
        let big = std::fs::File::create(dir.path().join("big.jpg")).unwrap();
        big.set_len(HUGE_BYTES + 1).unwrap();
        let w = walk(dir.path(), MAX_PATH_CHARS - 5).unwrap();
        assert!(w.found.is_empty());
        assert!(
            matches!(w.skipped[0].reason, SkipReason::Huge { .. }),
            "{:?}",
            w.skipped
        );
        assert_eq!(
            w.skipped[1].reason,
            SkipReason::PathTooLong {
                chars: MAX_PATH_CHARS + 1
            }
        );
    }
}
