//! Reading and writing files in words (docs/files.md): what an input is instead of a file, and
//! why an output was not written.

use std::fmt;

use crate::files::{NotRegular, OutputError, ReplacedWhileWriting};
use crate::i18n::{Lang, lang};

impl fmt::Display for NotRegular {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match lang() {
            Lang::Zh => write!(f, "不是普通文件，而是{}；请给出一个文件", self.zh),
            Lang::En => write!(f, "not a regular file but {}; give a file", self.en),
        }
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            OutputError::Symlink { path } if zh => write!(
                f,
                "{} 是符号链接；caiji 不替换也不经由链接写文件——请给出文件本身的路径，或先删除这个链接",
                path.display()
            ),
            OutputError::Symlink { path } => write!(
                f,
                "{} is a symbolic link; caiji neither replaces a link nor writes through one — give the path of the file itself, or remove the link first",
                path.display()
            ),
            OutputError::NotWritable { path, zh: what, .. } if zh => write!(
                f,
                "{} 是{what}，不能写成文件——请换一个文件路径",
                path.display()
            ),
            OutputError::NotWritable { path, en: what, .. } => write!(
                f,
                "{} is {what}, which cannot be written as a file — choose another file path",
                path.display()
            ),
            OutputError::Exists { path } if zh => {
                write!(f, "{} 已存在，不会被覆盖", path.display())
            }
            OutputError::Exists { path } => {
                write!(f, "{} already exists and is not replaced", path.display())
            }
            OutputError::Io { path, source } if zh => write!(
                f,
                "无法写入 {}：{source}——请确认文件夹存在且可写、磁盘有空间",
                path.display()
            ),
            OutputError::Io { path, source } => write!(
                f,
                "cannot write {}: {source} — check that the folder exists and is writable and the disk has room",
                path.display()
            ),
        }
    }
}

impl fmt::Display for ReplacedWhileWriting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::i18n::tr(
            "写入时路径被换成了别的东西，请重试",
            "the path was replaced while writing; try again",
        ))
    }
}

impl fmt::Display for crate::config::TooLargeForSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(crate::i18n::tr(
            "文件超过 1 MiB，不像设置文件",
            "larger than 1 MiB, which no settings file is",
        ))
    }
}
