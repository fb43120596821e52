//! Helper of `benches/codes.sh` (run through `cargo bench --bench codes_qr -- ...`):
//!
//! - `versions FILE.csv`: the QR version (ECC M) of every token in a `caiji codes export` CSV,
//!   counted, with the token lengths, using the same encoder the terminal and PNGs use;
//! - `seal N`: the time to make N tokens for a demo school of N students on one thread (masking,
//!   packing, AES-256-GCM, base45): the CPU part of `codes issue --all`, without the database.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use caiji::code::{CodePayload, Keyring, QrMatrix, issue};

fn main() -> ExitCode {
    // cargo passes `--bench` to bench targets; only our own words count.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["versions", file] => versions(file),
        ["seal", n] => n
            .parse()
            .map_err(|_| format!("not a number: {n}"))
            .and_then(seal),
        _ => Err("usage: codes_qr versions FILE.csv | codes_qr seal N".to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codes_qr: {e}");
            ExitCode::FAILURE
        }
    }
}

fn versions(file: &str) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let mut by_version: BTreeMap<i16, usize> = BTreeMap::new();
    let mut by_length: BTreeMap<usize, usize> = BTreeMap::new();
    // The token is the last column and never contains a comma (QR alphanumeric characters).
    for token in text
        .lines()
        .filter_map(|l| l.rsplit(',').next())
        .filter(|t| t.starts_with("CJ1:"))
    {
        let m = QrMatrix::encode(token).map_err(|e| format!("{token}: {e}"))?;
        *by_version.entry(m.version()).or_default() += 1;
        *by_length.entry(token.len()).or_default() += 1;
    }
    let total: usize = by_version.values().sum();
    if total == 0 {
        return Err(format!("{file} holds no tokens"));
    }
    println!("QR version (ECC M) of {total} codes:");
    for (v, n) in &by_version {
        let (cols, rows) = (
            17 + 4 * *v as usize + 8,
            (17 + 4 * *v as usize + 8).div_ceil(2),
        );
        println!(
            "  version {v} ({cols}×{rows} cells): {n:>7}  {:6.2}%",
            100.0 * *n as f64 / total as f64
        );
    }
    let lengths: Vec<usize> = by_length
        .iter()
        .flat_map(|(len, n)| std::iter::repeat_n(*len, *n))
        .collect();
    println!(
        "token length: min {}, median {}, max {} characters (version 5 holds 122)",
        lengths[0],
        lengths[lengths.len() / 2],
        lengths[lengths.len() - 1]
    );
    Ok(())
}

fn seal(n: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("caiji-seal-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let ring = Keyring::generate(&dir.join("bench.keys")).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    let ring = ring?;
    let school = caiji::demo::generate(n, 2026, 2026);
    let day = chrono::Local::now().date_naive();
    let started = Instant::now();
    let mut chars = 0usize;
    for (i, s) in school.students.iter().enumerate() {
        let p = CodePayload::for_student(i as u64 + 1, s, &school.code, day);
        chars += issue(&p, &ring).map_err(|e| e.to_string())?.text.len();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "sealing {n} tokens on one thread: {secs:.3}s ({:.2} µs per token, {:.1} characters on average)",
        secs * 1e6 / n as f64,
        chars as f64 / n as f64
    );
    Ok(())
}
