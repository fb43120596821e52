//! Per-keystroke search over a 100,000-student roster, measured the way the console searches:
//! each key typed asks for the query so far, narrowing the previous answer when it can.
//! The same keystrokes are also answered by fuzzy-matcher's SkimMatcherV2 scanning one text per
//! student (学号, name, full pinyin, initials, class, college), in the same run, for comparison.
//!
//! `cargo bench --bench search [-- STUDENTS]` (default 100000). Prints medians and percentiles.

use std::time::{Duration, Instant};

use caiji::domain::search::{Query, Record, SearchIndex, SearchResult};
use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use pinyin::ToPinyin;

fn full_pinyin(name: &str) -> String {
    name.to_pinyin()
        .flatten()
        .map(|p| p.plain().replace('ü', "v"))
        .collect()
}

fn initials(name: &str) -> String {
    name.to_pinyin()
        .flatten()
        .map(|p| p.first_letter().replace('ü', "v"))
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn summary(label: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{label:<44} n={:<5} median {:>9}  p90 {:>9}  max {:>9}",
        times.len(),
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.9)),
        ms(times.last().copied().unwrap_or_default())
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let school = caiji::demo::generate(n, 2026, 2026);
    let students = &school.students;
    println!(
        "search benchmark: {} students, {} threads available",
        students.len(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let records = || {
        students.iter().map(|s| Record {
            student_no: &s.student_no,
            name: &s.name,
            class: &s.class,
            college: &s.college,
            counselor: &s.counselor,
        })
    };
    let mut builds = Vec::new();
    let mut index = None;
    for _ in 0..3 {
        let t = Instant::now();
        let built = SearchIndex::build(records());
        builds.push(t.elapsed());
        index = Some(built);
    }
    let index = index.expect("built");
    summary("index build (whole roster)", builds);

    // What staff type: full pinyin and initials of a name, a 学号, a class, a college, names in
    // characters. One typed string per sampled student, every prefix of it a keystroke.
    let mut typed: Vec<String> = Vec::new();
    for (i, s) in students
        .iter()
        .enumerate()
        .step_by((n / 40).max(1))
        .take(40)
    {
        match i % 6 {
            0 => typed.push(full_pinyin(&s.name)),
            1 => typed.push(initials(&s.name)),
            2 => typed.push(s.student_no.clone()),
            3 => typed.push(s.class.clone()),
            4 => typed.push(format!("{} {}", initials(&s.college), initials(&s.name))),
            _ => typed.push(s.name.clone()),
        }
    }

    let mut per_key = Vec::new();
    let mut first_keys = Vec::new();
    let mut hits_first = Vec::new();
    for text in &typed {
        let mut previous: Option<SearchResult> = None;
        for (k, end) in text
            .char_indices()
            .map(|(i, c)| i + c.len_utf8())
            .enumerate()
        {
            let query = Query::parse(&text[..end]);
            let t = Instant::now();
            let result = index.search(&query, previous.as_ref());
            let took = t.elapsed();
            per_key.push(took);
            if k == 0 {
                first_keys.push(took);
                hits_first.push(result.len());
            }
            previous = Some(result);
        }
        // the whole string typed at once (a paste, or a query edited in the middle)
    }
    summary("caiji search, every keystroke", per_key.clone());
    summary("caiji search, first keystroke (full scan)", first_keys);
    let mut cold = Vec::new();
    for q in ["z", "l", "w", "2", "0", "张", "计", "x"] {
        let query = Query::parse(q);
        let t = Instant::now();
        let r = index.search(&query, None);
        cold.push(t.elapsed());
        println!(
            "    cold {q:<3} {:>7} hits  {}",
            r.len(),
            ms(*cold.last().unwrap_or(&Duration::ZERO))
        );
    }
    summary("caiji search, one-character queries", cold);
    let mut fresh = Vec::new();
    for text in &typed {
        let query = Query::parse(text);
        let t = Instant::now();
        let _ = index.search(&query, None);
        fresh.push(t.elapsed());
    }
    summary("caiji search, whole query without narrowing", fresh);

    // The baseline: one haystack per student, scanned by SkimMatcherV2 on one core.
    let haystacks: Vec<String> = students
        .iter()
        .map(|s| {
            format!(
                "{} {} {} {} {} {}",
                s.student_no,
                s.name,
                full_pinyin(&s.name),
                initials(&s.name),
                s.class,
                s.college
            )
        })
        .collect();
    let matcher = SkimMatcherV2::default();
    let mut skim = Vec::new();
    for text in typed.iter().take(12) {
        for end in text.char_indices().map(|(i, c)| i + c.len_utf8()) {
            let q = &text[..end];
            let t = Instant::now();
            let mut hits: Vec<(i64, usize)> = haystacks
                .iter()
                .enumerate()
                .filter_map(|(i, h)| matcher.fuzzy_match(h, q).map(|s| (s, i)))
                .collect();
            hits.sort_unstable_by_key(|h| std::cmp::Reverse(h.0));
            skim.push(t.elapsed());
        }
    }
    summary("fuzzy-matcher SkimMatcherV2 scan, keystroke", skim);
    per_key.sort();
    let median = percentile(&per_key, 0.5);
    println!(
        "target: median per keystroke under 10 ms — {}",
        if median < Duration::from_millis(10) {
            "met"
        } else {
            "NOT met"
        }
    );
}
