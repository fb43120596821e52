//! Files from outside and files caiji writes. The rules are in `docs/files.md`.
//!
//! Reading: a file given from outside (a roster, a theme, `config.toml`, the key file, a photo)
//! must be a regular file. [`open_input`] looks at the path before opening it, opens it without
//! waiting (`O_NONBLOCK`), so a FIFO or a terminal never blocks caiji, and judges the open handle
//! again, so the file judged is the file read.
//!
//! Writing: every file caiji writes goes through [`write`] (or [`stage`] and
//! [`Staged::commit`] when something, such as an audit entry, must happen between the two). What
//! is at the path decides how:
//! - nothing, or a regular file: the bytes go to a temporary file created `0600` in the same
//!   folder, which is synced and renamed over the path, so the file appears whole or not at all
//!   and holds personal data for its owner alone whatever the umask;
//! - a FIFO or a device (`/dev/null`, `/dev/stdout`): written in place, never replaced;
//! - a symbolic link: refused, naming it (a link is never replaced, and never followed to a file
//!   somebody else chose); only a link to a FIFO or a character device (`/dev/stdout`) is
//!   followed, to write into that in place;
//! - a folder or a socket: refused.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The mode of every file caiji creates: they hold ID numbers (exports, databases) or keys.
pub const PRIVATE_MODE: u32 = 0o600;

/// What a path that is not a regular file is, in words (`zh`, `en`).
fn what_it_is(file_type: &fs::FileType) -> (&'static str, &'static str) {
    if file_type.is_dir() {
        ("文件夹", "a folder")
    } else if file_type.is_fifo() {
        ("命名管道 (FIFO)", "a FIFO (named pipe)")
    } else if file_type.is_char_device() || file_type.is_block_device() {
        ("设备", "a device")
    } else if file_type.is_socket() {
        ("套接字 (socket)", "a socket")
    } else if file_type.is_symlink() {
        ("符号链接", "a symbolic link")
    } else {
        ("特殊文件", "a special file")
    }
}

/// An input path that is not a regular file. Carried inside an `io::Error` of kind
/// `InvalidInput`, so callers that only know `io::Error` keep working; [`NotRegular::of`] finds it.
#[derive(Debug)]
pub struct NotRegular {
    pub(crate) zh: &'static str,
    pub(crate) en: &'static str,
}

impl NotRegular {
    /// The `NotRegular` inside an error from [`open_input`], if that is what it is.
    pub fn of(err: &io::Error) -> Option<&NotRegular> {
        err.get_ref()?.downcast_ref::<NotRegular>()
    }
}

impl std::error::Error for NotRegular {}

/// The path of an output was swapped for something else while it was being written.
#[derive(Debug)]
pub struct ReplacedWhileWriting;

impl std::error::Error for ReplacedWhileWriting {}

fn not_regular(file_type: &fs::FileType) -> io::Error {
    let (zh, en) = what_it_is(file_type);
    io::Error::new(io::ErrorKind::InvalidInput, NotRegular { zh, en })
}

/// Opens a file from outside for reading: only a regular file (a link to one is fine), and
/// never by waiting for a writer or a device.
pub fn open_input(path: &Path) -> io::Result<File> {
    // Before opening: opening some devices does something (a tape rewinds, a FIFO waits).
    let before = fs::metadata(path)?;
    if !before.is_file() {
        return Err(not_regular(&before.file_type()));
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    // And on the handle: the path may have been swapped for something else meanwhile.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    Ok(file)
}

/// Why an output file was not written. Each names the path and says what to do.
#[derive(Debug)]
pub enum OutputError {
    /// The path is a symbolic link: never replaced, never written through.
    Symlink {
        path: PathBuf,
    },
    /// A folder or a socket: nothing caiji can write a file to.
    NotWritable {
        path: PathBuf,
        zh: &'static str,
        en: &'static str,
    },
    /// [`write_new`]: something is already there.
    Exists {
        path: PathBuf,
    },
    Io {
        path: PathBuf,
        source: io::Error,
    },
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OutputError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How the bytes reach the path.
#[derive(Debug)]
enum Route {
    /// A temporary file beside the path, renamed over it (or linked, when nothing may be replaced).
    Replace {
        temp: PathBuf,
        keep_existing: bool,
        /// Wait for the disk (the file before the rename, the folder after).
        sync: bool,
    },
    /// A FIFO or a device: opened and written as it is. `through_link`: the path is a link to
    /// a FIFO or a terminal-like device (`/dev/stdout` → `/proc/self/fd/1`), followed to write.
    InPlace { through_link: bool },
}

/// Bytes ready to become the file at a path; dropping it without [`Staged::commit`] leaves the
/// path as it was.
#[derive(Debug)]
pub struct Staged<'a> {
    path: PathBuf,
    bytes: &'a [u8],
    route: Option<Route>,
}

/// Writes `bytes` to `path` as the module comment says.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    stage(path, bytes)?.commit()
}

/// As [`write`], but without waiting for the disk: for the many files of one batch that can be
/// made again (code images, the demo's photos), where a sync per file would cost seconds. The
/// checks, the mode and the rename are the same.
pub fn write_unsynced(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    stage_with(path, bytes, false)?.commit()
}

/// Writes `bytes` to `path`, which must not exist: an existing path (a file, a link, anything)
/// is never replaced. For files whose loss would be a disaster, such as a new key file.
pub fn write_new(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(OutputError::Exists {
            path: path.to_path_buf(),
        });
    }
    let temp = private_temp(path, bytes, true)?;
    Staged {
        path: path.to_path_buf(),
        bytes,
        route: Some(Route::Replace {
            temp,
            keep_existing: true,
            sync: true,
        }),
    }
    .commit()
}

/// Checks what is at `path` and, for a regular file or a new path, writes `bytes` to the
/// temporary file that [`Staged::commit`] will put in its place.
pub fn stage<'a>(path: &Path, bytes: &'a [u8]) -> Result<Staged<'a>, OutputError> {
    stage_with(path, bytes, true)
}

fn stage_with<'a>(path: &Path, bytes: &'a [u8], sync: bool) -> Result<Staged<'a>, OutputError> {
    let route = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Route::Replace {
            temp: private_temp(path, bytes, sync)?,
            keep_existing: false,
            sync,
        },
        Err(source) => {
            return Err(OutputError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
        Ok(meta) => {
            let file_type = meta.file_type();
            if file_type.is_symlink() {
                // Never replaced. Followed only to a pipe or a character device (`/dev/stdout`,
                // `/dev/fd/1`), where there is no file to overwrite; a link to anything else
                // (a file, a disk) is refused.
                match fs::metadata(path) {
                    Ok(target)
                        if target.file_type().is_fifo() || target.file_type().is_char_device() =>
                    {
                        Route::InPlace { through_link: true }
                    }
                    _ => {
                        return Err(OutputError::Symlink {
                            path: path.to_path_buf(),
                        });
                    }
                }
            } else if file_type.is_file() {
                Route::Replace {
                    temp: private_temp(path, bytes, sync)?,
                    keep_existing: false,
                    sync,
                }
            } else if file_type.is_fifo()
                || file_type.is_char_device()
                || file_type.is_block_device()
            {
                Route::InPlace {
                    through_link: false,
                }
            } else {
                let (zh, en) = what_it_is(&file_type);
                return Err(OutputError::NotWritable {
                    path: path.to_path_buf(),
                    zh,
                    en,
                });
            }
        }
    };
    Ok(Staged {
        path: path.to_path_buf(),
        bytes,
        route: Some(route),
    })
}

impl Staged<'_> {
    /// Puts the bytes at the path: renames the temporary file over it (after looking once more
    /// that no link or folder appeared there meanwhile), or writes a FIFO or device in place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let io_error = |source| OutputError::Io {
            path: self.path.clone(),
            source,
        };
        match self.route.take() {
            None => Ok(()),
            Some(Route::InPlace { through_link }) => {
                let follow = if through_link { 0 } else { libc::O_NOFOLLOW };
                let mut file = OpenOptions::new()
                    .write(true)
                    .custom_flags(follow)
                    .open(&self.path)
                    .map_err(io_error)?;
                let meta = file.metadata().map_err(io_error)?;
                let file_type = meta.file_type();
                let allowed = file_type.is_fifo()
                    || file_type.is_char_device()
                    || (file_type.is_block_device() && !through_link);
                if !allowed {
                    // swapped for a file meanwhile: writing into it in place would leave the old
                    // file's tail behind
                    return Err(io_error(io::Error::other(ReplacedWhileWriting)));
                }
                file.write_all(self.bytes).map_err(io_error)?;
                file.flush().map_err(io_error)
            }
            Some(Route::Replace {
                temp,
                keep_existing,
                sync,
            }) => {
                let placed = (|| {
                    if keep_existing {
                        // a hard link, unlike a rename, fails when the path exists
                        fs::hard_link(&temp, &self.path).map_err(|e| {
                            if e.kind() == io::ErrorKind::AlreadyExists {
                                OutputError::Exists {
                                    path: self.path.clone(),
                                }
                            } else {
                                io_error(e)
                            }
                        })?;
                        return fs::remove_file(&temp).map_err(io_error);
                    }
                    match fs::symlink_metadata(&self.path) {
                        Ok(meta) if meta.file_type().is_symlink() => {
                            return Err(OutputError::Symlink {
                                path: self.path.clone(),
                            });
                        }
                        Ok(meta) if !meta.is_file() => {
                            let (zh, en) = what_it_is(&meta.file_type());
                            return Err(OutputError::NotWritable {
                                path: self.path.clone(),
                                zh,
                                en,
                            });
                        }
                        _ => {}
                    }
                    fs::rename(&temp, &self.path).map_err(io_error)
                })();
                if placed.is_err() {
                    let _ = fs::remove_file(&temp);
                    return placed;
                }
                if sync {
                    // the new name is durable once the folder is synced (best effort)
                    let _ = File::open(folder_of(&self.path)).and_then(|d| d.sync_all());
                }
                Ok(())
            }
        }
    }
}

impl Drop for Staged<'_> {
    fn drop(&mut self) {
        if let Some(Route::Replace { temp, .. }) = self.route.take() {
            let _ = fs::remove_file(temp);
        }
    }
}

/// The folder a path is in (`.` for a bare name).
fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Creates a new file `0600` (whatever the umask), never following or replacing anything at
/// `path`. For files that are written bit by bit, such as a log.
pub fn create_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path)?;
    // the umask may have taken bits away from the mode asked for; set it as meant
    file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))?;
    Ok(file)
}

/// Opens a file caiji appends to (the log): created `0600` when new, never a link, and never
/// waited on when it is a FIFO.
pub fn open_append_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    match options
        .clone()
        .create_new(true)
        .mode(PRIVATE_MODE)
        .open(path)
    {
        Ok(file) => {
            file.set_permissions(fs::Permissions::from_mode(PRIVATE_MODE))?;
            Ok(file)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let file = options.open(path)?;
            if !file.metadata()?.is_file() {
                return Err(not_regular(&file.metadata()?.file_type()));
            }
            Ok(file)
        }
        Err(e) => Err(e),
    }
}

/// Writes `bytes` to a new `0600` file beside `path` (synced when `sync`) and returns its path.
fn private_temp(path: &Path, bytes: &[u8], sync: bool) -> Result<PathBuf, OutputError> {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let mut name = OsString::from(".");
    name.push(path.file_name().unwrap_or_else(|| "out".as_ref()));
    name.push(format!(
        ".caiji-{}-{}.tmp",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    let temp = folder_of(path).join(name);
    let written = (|| {
        let mut file = create_private(&temp)?;
        file.write_all(bytes)?;
        if sync { file.sync_all() } else { Ok(()) }
    })();
    match written {
        Ok(()) => Ok(temp),
        Err(source) => {
            let _ = fs::remove_file(&temp);
            Err(OutputError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    }
}

/// Creates a folder for files caiji writes, `0700` when it is new (and its missing parents).
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    fn mkfifo(path: &Path) {
        let made = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("run mkfifo");
        assert!(made.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn a_new_or_regular_target_is_replaced_whole_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write(&path, b"first").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(names(dir.path()), ["out.csv"], "no temporary file left");
        let err = write(&dir.path().join("missing/out.csv"), b"x").unwrap_err();
        assert!(err.to_string().contains("missing/out.csv"), "{err}");
    }

    #[test]
    fn a_symlink_target_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        fs::write(&real, b"keep").unwrap();
        let link = dir.path().join("link.csv");
        symlink(&real, &link).unwrap();
        let err = write(&link, b"new").unwrap_err();
        assert!(matches!(err, OutputError::Symlink { .. }), "{err:?}");
        assert!(err.to_string().contains("link.csv"), "{err}");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"keep");
        // a dangling link is not followed to create its target either
        let dangling = dir.path().join("dangling.csv");
        symlink(dir.path().join("nowhere.csv"), &dangling).unwrap();
        assert!(write(&dangling, b"x").is_err());
        assert!(!dir.path().join("nowhere.csv").exists());
        assert_eq!(names(dir.path()), ["dangling.csv", "link.csv", "real.csv"]);
    }

    #[test]
    fn a_device_is_written_in_place_and_a_folder_refused() {
        // judged before anything is written, so a mistake here cannot replace the device
        let staged = stage(Path::new("/dev/null"), b"gone").unwrap();
        assert!(
            matches!(staged.route, Some(Route::InPlace { .. })),
            "{staged:?}"
        );
        staged.commit().unwrap();
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device(),
            "/dev/null is still the device"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = write(dir.path(), b"x").unwrap_err();
        assert!(matches!(err, OutputError::NotWritable { .. }), "{err:?}");
    }

    #[test]
    fn a_fifo_target_is_written_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the pipe");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());
        // a link to a pipe (as `/dev/stdout` is) is followed to write into the pipe, and stays
        let link = dir.path().join("stdout");
        symlink(&fifo, &link).unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read(fifo).unwrap())
        };
        write(&link, b"through the link").unwrap();
        assert_eq!(reader.join().unwrap(), b"through the link");
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(names(dir.path()), ["pipe", "stdout"]);
    }

    #[test]
    fn staged_bytes_appear_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("codes.csv");
        let staged = stage(&path, b"x").unwrap();
        assert!(!path.exists());
        drop(staged);
        assert!(names(dir.path()).is_empty(), "dropped: nothing left");
        stage(&path, b"y").unwrap().commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"y");
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caiji.keys");
        write_new(&path, b"one").unwrap();
        assert!(matches!(
            write_new(&path, b"two"),
            Err(OutputError::Exists { .. })
        ));
        assert_eq!(fs::read(&path).unwrap(), b"one");
        assert_eq!(mode(&path), 0o600);
    }

    #[test]
    fn inputs_must_be_regular_files_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("roster.csv");
        mkfifo(&fifo);
        // no writer: a plain open would wait here forever
        let err = open_input(&fifo).unwrap_err();
        assert!(NotRegular::of(&err).is_some(), "{err}");
        assert!(open_input(dir.path()).is_err());
        assert!(open_input(Path::new("/dev/zero")).is_err());
        let file = dir.path().join("ok.csv");
        fs::write(&file, b"a").unwrap();
        let link = dir.path().join("link.csv");
        symlink(&file, &link).unwrap();
        assert!(open_input(&file).is_ok());
        assert!(open_input(&link).is_ok(), "a link to a file is read");
    }
}
