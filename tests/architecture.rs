//! The layers of docs/architecture.md, checked on the source: a module may name only the
//! modules its layer is allowed to reach. A wrong arrow fails the build's tests with the file,
//! the line and the rule it breaks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Top-level modules of the crate, by layer. Each entry: the module and the modules it must not
/// name (`crate::x` in the library; the binary `main.rs` is the wiring and may name anything).
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The two faces never reach into each other.
    ("tui", &["commands", "cli"]),
    ("commands", &["tui"]),
    // Operations sit under both faces, and return data the faces put into words.
    ("ops", &["commands", "tui", "cli", "words", "i18n"]),
    // Storage, the rules and the formats know nothing of operations or faces.
    // Words at the edge: the store returns data, and its errors are worded by the faces'
    // catalogue (`words`), which nothing below the faces names.
    (
        "store",
        &["ops", "commands", "tui", "cli", "demo", "i18n", "words"],
    ),
    (
        "domain",
        &[
            "ops", "commands", "tui", "cli", "store", "export", "config", "words", "i18n",
        ],
    ),
    (
        "code",
        &[
            "ops", "commands", "tui", "cli", "store", "config", "i18n", "words",
        ],
    ),
    (
        "export",
        &["ops", "commands", "tui", "cli", "store", "config", "words"],
    ),
    ("roster", &["ops", "commands", "tui", "cli", "words"]),
    ("photos", &["ops", "commands", "tui", "cli", "words"]),
    ("demo", &["ops", "commands", "tui", "cli", "words"]),
    (
        "i18n",
        &["ops", "commands", "tui", "cli", "store", "domain", "config"],
    ),
    ("output", &["ops", "commands", "tui", "store"]),
    // The one clock (docs/time.md) is a leaf every layer reads.
    (
        "clock",
        &[
            "ops", "commands", "tui", "cli", "store", "domain", "config", "export",
        ],
    ),
    // Reading outside files and writing output files: below everything but the words.
    (
        "files",
        &[
            "ops", "commands", "tui", "cli", "store", "domain", "config", "export", "photos",
            "roster", "code", "demo",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to: `src/tui/ui/students.rs` → `tui`,
/// `src/cli.rs` → `cli`.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?;
    Some(first.trim_end_matches(".rs").to_string())
}

/// The crate modules a line names as `crate::x` (code only: text after `//` is ignored).
fn named_modules(line: &str) -> BTreeSet<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            found.insert(name);
        }
        rest = after;
    }
    found
}

/// Lines of a file that belong to the program, not to its unit tests: a file named `tests.rs`
/// or `*_tests.rs` is all test, and so is everything after a file's `#[cfg(test)]`.
fn program_lines(file: &Path, text: &str) -> Vec<(usize, String)> {
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name == "tests.rs" || name.ends_with("_tests.rs") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.to_string()))
        .collect()
}

fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Some(module) = module_of(src, &file) else {
            continue;
        };
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(m, _)| *m == module) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).expect("source file is readable");
        for (number, line) in program_lines(&file, &text) {
            for named in named_modules(&line) {
                if forbidden.contains(&named.as_str()) {
                    found.push(format!(
                        "{}:{number}: `{module}` must not use `crate::{named}` (docs/architecture.md)",
                        file.display()
                    ));
                }
            }
        }
    }
    found
}

#[test]
fn no_layer_reaches_where_docs_architecture_forbids() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "wrong arrows:\n{}", found.join("\n"));
}

#[test]
fn the_faces_do_not_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (face, other) in [("tui", "crate::commands"), ("commands", "crate::tui")] {
        let mut files = Vec::new();
        rust_files(&src.join(face), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source file is readable");
            assert!(
                !text.contains(other),
                "{} names {other}: the faces must share code through ops/",
                file.display()
            );
        }
    }
}

#[test]
fn the_checker_sees_a_wrong_arrow() {
    // A scratch tree with one console file that reaches into the command line.
    let dir = tempfile::tempdir().expect("temp dir");
    let tui = dir.path().join("tui");
    std::fs::create_dir_all(&tui).expect("mkdir");
    std::fs::write(
        tui.join("screen.rs"),
        "use crate::store::Store;\n// crate::commands in a comment is fine\nuse crate::commands::Ctx;\n#[cfg(test)]\nmod tests { use crate::commands::x; }\n",
    )
    .expect("write");
    let found = violations(dir.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("screen.rs:3") && found[0].contains("crate::commands"));
}

/// Below the faces, failures are typed values (docs/architecture.md, "Outcomes as values"):
/// `anyhow`, which turns them into text, is for the faces only.
#[test]
fn below_the_faces_errors_are_typed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for layer in ["ops", "store", "domain", "code"] {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("source file is readable");
            for (number, line) in program_lines(&file, &text) {
                let code = line.split("//").next().unwrap_or("");
                if code.contains("anyhow") {
                    found.push(format!("{}:{number}", file.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "anyhow below the faces (return a typed error):\n{}",
        found.join("\n")
    );
}

/// No global language setting is read below the faces (docs/architecture.md, "Words at the
/// edge"): only the faces, their catalogue `words/`, `i18n` itself and the wiring read it; code
/// below that needs words is handed a `Lang`.
#[test]
fn the_interface_language_is_read_only_at_the_edge() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edge = ["tui", "commands", "cli", "words", "i18n", "main"];
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut found = Vec::new();
    for file in files {
        let Some(module) = module_of(&src, &file) else {
            continue;
        };
        if edge.contains(&module.as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source file is readable");
        for (number, line) in program_lines(&file, &text) {
            let code = line.split("//").next().unwrap_or("");
            let reads = code.contains("lang()")
                || code.contains(" tr(")
                || code.contains("(tr(")
                || code.contains("::tr(");
            if reads {
                found.push(format!("{}:{number}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the interface language read below the faces (take a Lang, or word it in words/):\n{}",
        found.join("\n")
    );
}
