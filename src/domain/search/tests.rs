use super::*;

/// (学号, name, class, college, counselor)
const ROSTER: &[(&str, &str, &str, &str, &str)] = &[
    (
        "2022010101",
        "张三",
        "计科2201",
        "计算机科学与技术学院",
        "周老师",
    ),
    (
        "2022010102",
        "张三丰",
        "计科2201",
        "计算机科学与技术学院",
        "周老师",
    ),
    (
        "2022010103",
        "王子寿",
        "计科2202",
        "计算机科学与技术学院",
        "周老师",
    ),
    (
        "2022010104",
        "单田芳",
        "计科2202",
        "计算机科学与技术学院",
        "吴老师",
    ),
    ("2022020101", "曾国藩", "英语2201", "外国语学院", "吴老师"),
    (
        "2022020102",
        "买买提·艾力",
        "英语2201",
        "外国语学院",
        "吴老师",
    ),
    (
        "2022020103",
        "John Smith",
        "英语2201",
        "外国语学院",
        "吴老师",
    ),
    ("2022020104", "欧阳娜娜", "英语2202", "外国语学院", "郑老师"),
    ("2022030101", "解缙", "机械2201", "机械工程学院", "郑老师"),
    (
        "2022030102",
        "\u{1b}[31m红\u{1b}[0m",
        "机械2201",
        "机械工程学院",
        "郑老师",
    ),
    (
        "2022030103",
        "阿卜杜热合曼·买买提明·阿不都热西提",
        "机械2201",
        "机械工程学院",
        "郑老师",
    ),
    ("2023030101", "张思", "机械2301", "机械工程学院", "郑老师"),
];

fn index() -> SearchIndex {
    SearchIndex::build(
        ROSTER
            .iter()
            .map(|(no, name, class, college, counselor)| Record {
                student_no: no,
                name,
                class,
                college,
                counselor,
            }),
    )
}

fn numbers(index: &SearchIndex, query: &str) -> Vec<&'static str> {
    index
        .search(&Query::parse(query), None)
        .ranked()
        .iter()
        .map(|&i| ROSTER[i as usize].0)
        .collect()
}

#[test]
fn queries_find_the_right_students_in_the_right_order() {
    let idx = index();
    let cases: &[(&str, &[&str])] = &[
        // initials: whole-name matches first, then clean prefixes, then the rest by 学号
        (
            "zs",
            &["2022010101", "2023030101", "2022010102", "2022010103"],
        ),
        ("zhangsan", &["2022010101", "2022010102"]),
        ("zhangsanf", &["2022010102"]),
        ("张三", &["2022010101", "2022010102"]),
        // polyphonic surnames read as surnames, and by their common reading too
        ("shan", &["2022010104"]),
        ("stf", &["2022010104"]),
        ("zgf", &["2022020101"]),
        ("xiejin", &["2022030101"]),
        ("jiejin", &["2022030101"]),
        // the · and a space in the query are not needed
        ("买买提艾力", &["2022020102"]),
        ("mmtal", &["2022020102"]),
        ("john", &["2022020103"]),
        ("smith", &["2022020103"]),
        // 学号: exact, then prefix; a substring ranks below names
        ("2022020103", &["2022020103"]),
        ("20230", &["2023030101"]),
        // class and college, by text and by pinyin initials
        ("英语2202", &["2022020104"]),
        ("jx2301", &["2023030101"]),
        (
            "外国语",
            &["2022020101", "2022020102", "2022020103", "2022020104"],
        ),
        // several words: all must match
        ("外国语 zgf", &["2022020101"]),
        ("jsj zs", &["2022010101", "2022010102", "2022010103"]),
        // the escape sequence is not part of the name
        ("红", &["2022030102"]),
        ("31m", &["2022030102"]),
        ("qqq", &[]),
    ];
    for (query, want) in cases {
        assert_eq!(numbers(&idx, query), *want, "query {query:?}");
    }
}

#[test]
fn an_empty_query_lists_everyone_in_roster_order() {
    let idx = index();
    for q in ["", "   ", "·", "\u{3000}"] {
        let r = idx.search(&Query::parse(q), None);
        assert_eq!(
            r.ranked(),
            (0..ROSTER.len() as u32).collect::<Vec<_>>().as_slice(),
            "{q:?}"
        );
    }
}

#[test]
fn queries_are_normalised() {
    let cases = [
        ("ZS", "zs"),
        ("ｚｓ", "zs"),
        ("  张  三 ", "张 三"),
        ("买买提·艾力", "买买提艾力"),
        ("a\u{1b}b", "ab"),
        ("a b c d e f g h i j", "a b c d e f g h"),
    ];
    for (input, want) in cases {
        assert_eq!(Query::parse(input).text(), want, "{input:?}");
    }
    assert_eq!(Query::parse(&"z".repeat(40)).text().len(), MAX_TOKEN_CHARS);
}

#[test]
fn narrowing_applies_only_to_extensions() {
    let q = |s: &str| Query::parse(s);
    let cases = [
        ("zh", "zha", true),
        ("zh", "zh a", true),
        ("zh", "zh ", true),
        ("", "z", true),
        ("zha", "zh", false),
        ("ab", "a b", false),
        ("zs", "sz", false),
    ];
    for (before, after, want) in cases {
        assert_eq!(q(after).narrows(&q(before)), want, "{before:?} → {after:?}");
    }
}

/// The demo school's roster, for checks on realistic data.
fn demo(n: usize) -> (Vec<crate::domain::Student>, SearchIndex) {
    let school = crate::demo::generate(n, 7, 2026);
    let index = SearchIndex::build(school.students.iter().map(|s| Record {
        student_no: &s.student_no,
        name: &s.name,
        class: &s.class,
        college: &s.college,
        counselor: &s.counselor,
    }));
    (school.students, index)
}

#[test]
fn typing_a_query_narrows_to_the_same_answer_as_searching_afresh() {
    let (students, idx) = demo(3000);
    // type the first students' names in pinyin and initials, and a 学号, one key at a time
    let mut queries = vec![
        "zhang wei".to_string(),
        "jsj 2022".to_string(),
        students[17].student_no.clone(),
    ];
    queries.push(students[5].name.clone());
    for typed in queries {
        let mut previous: Option<SearchResult> = None;
        for end in typed.char_indices().map(|(i, c)| i + c.len_utf8()) {
            let query = Query::parse(&typed[..end]);
            let narrowed = idx.search(&query, previous.as_ref());
            let fresh = idx.search(&query, None);
            assert_eq!(narrowed.ranked(), fresh.ranked(), "{:?}", &typed[..end]);
            previous = Some(narrowed);
        }
    }
}

#[test]
fn a_split_scan_ranks_like_a_plain_stable_sort() {
    // large enough for the scan to be split across threads
    let (_, idx) = demo(PARALLEL_FROM * 2 + 77);
    for query in ["z", "zh", "2", "li", "计", "wx", "xy 2"] {
        let q = Query::parse(query);
        let got = idx.search(&q, None);
        let prepared = idx.prepare(&q);
        let mut dp = score::Scratch::default();
        let mut want: Vec<(u32, u16)> = (0..idx.len() as u32)
            .map(|i| (i, idx.row_score(i, &prepared, &mut dp)))
            .filter(|h| h.1 > 0)
            .collect();
        want.sort_by_key(|h| std::cmp::Reverse(h.1));
        let want: Vec<u32> = want.into_iter().map(|h| h.0).collect();
        assert!(!want.is_empty(), "{query} should match someone");
        assert_eq!(got.ranked(), want.as_slice(), "{query}");
    }
}

#[test]
fn highlights_point_at_the_matched_characters() {
    let idx = index();
    let h = |row: usize, q: &str| idx.highlight(row, &Query::parse(q));
    assert_eq!(h(1, "zsf").name, vec![0, 1, 2]);
    assert_eq!(h(1, "sanf").name, vec![1, 2]);
    assert_eq!(h(5, "艾力").name, vec![4, 5], "after the ·");
    assert_eq!(h(6, "smi").name, vec![5, 6, 7]);
    assert_eq!(h(0, "20220101").student_no, (0..8).collect::<Vec<_>>());
    assert_eq!(h(0, "0101").student_no, vec![4, 5, 6, 7]);
    assert_eq!(h(0, "jk22").class, vec![0, 1, 2, 3]);
    let both = h(4, "外国 zgf");
    assert_eq!((both.name, both.college), (vec![0, 1, 2], vec![0, 1]));
    // the escape sequence is stripped before positions are counted, as it is when drawn
    assert_eq!(h(9, "红").name, vec![4]);
    assert_eq!(h(0, "qqq"), Highlight::default());
}

#[test]
fn field_values_are_counted_and_ordered_by_pinyin() {
    let idx = index();
    let colleges = idx.values(Field::College);
    // 计算机 (ji suan) before 机械 (ji xie): pinyin order, not code-point order
    assert_eq!(
        colleges,
        vec![
            ("计算机科学与技术学院", 4),
            ("机械工程学院", 4),
            ("外国语学院", 4)
        ]
    );
    let counselors: Vec<&str> = idx
        .values(Field::Counselor)
        .into_iter()
        .map(|v| v.0)
        .collect();
    assert_eq!(counselors, vec!["吴老师", "郑老师", "周老师"]);
    assert_eq!(
        idx.find_value(Field::Class, "英语2201"),
        idx.value_id(Field::Class, 4)
    );
    assert_eq!(idx.find_value(Field::Class, "英语9999"), None);
    assert!(idx.value_rank(Field::College, 0) < idx.value_rank(Field::College, 8));
}

#[test]
fn names_sort_by_pinyin_with_surname_readings() {
    let idx = index();
    let order: Vec<&str> = idx
        .name_order()
        .iter()
        .map(|&i| ROSTER[i as usize].1)
        .collect();
    let pos = |name: &str| order.iter().position(|n| *n == name).unwrap();
    // 单 sorts as shan (after 欧阳), 解 as xie (after 王), 曾 as zeng (before zhang)
    assert!(pos("欧阳娜娜") < pos("单田芳") && pos("单田芳") < pos("王子寿"));
    assert!(pos("王子寿") < pos("解缙") && pos("解缙") < pos("曾国藩"));
    assert!(pos("曾国藩") < pos("张三") && pos("张三") < pos("张思"));
}

#[test]
fn missing_filters_parse_and_apply() {
    let p = Progress {
        code_active: true,
        in_session: false,
        checked_in: false,
        photo_valid: true,
    };
    let cases = [
        ("code", false),
        ("session", true),
        ("checkin", true),
        ("check-in", true),
        ("PHOTO", false),
    ];
    for (word, missing) in cases {
        let m = Missing::parse(word).unwrap_or_else(|| panic!("{word}"));
        assert_eq!(m.applies(&p), missing, "{word}");
    }
    assert_eq!(Missing::parse("photos"), None);
    assert_eq!(Missing::count(&p), 2);
}

#[test]
fn text_matcher_matches_palette_words() {
    let mut m = TextMatcher::default();
    let q = |s: &str| Query::parse(s);
    assert!(m.matches("filter_college 按学院筛选", &q("xy")).is_some());
    assert_eq!(
        m.matches("按学院筛选", &q("xysx")).map(|r| r.1),
        Some(vec![1, 2, 3, 4])
    );
    assert!(m.matches("show_code 显示采集码", &q("show")).is_some());
    assert!(m.matches("quit 退出", &q("show")).is_none());
}

#[test]
fn a_streamed_search_finds_what_the_index_finds_in_the_same_order() {
    let (students, idx) = demo(5000);
    let mut queries: Vec<String> = [
        "zs", "zhangwei", "zw", "wang", "2022", "xy 2", "li 01", "", "qqqqq",
    ]
    .iter()
    .map(|q| q.to_string())
    .collect();
    queries.push(students[42].student_no.clone());
    queries.push(students[7].name.clone());
    queries.push(students[99].class.clone());
    queries.push(students[3].college.chars().take(3).collect());
    let mut found_nobody = Vec::new();
    for query in &queries {
        let q = Query::parse(query);
        let mut stream = StreamSearch::new(&q);
        for (i, s) in students.iter().enumerate() {
            let (no, name, class, college, counselor) =
                (&s.student_no, &s.name, &s.class, &s.college, &s.counselor);
            stream.push(
                Record {
                    student_no: no,
                    name,
                    class,
                    college,
                    counselor,
                },
                i as u32,
            );
        }
        let want = idx.search(&q, None);
        assert_eq!(stream.finish(), want.ranked(), "{query:?}");
        if want.is_empty() {
            found_nobody.push(query.as_str());
        }
    }
    assert_eq!(
        found_nobody,
        ["qqqqq"],
        "only the nonsense query should find nobody"
    );
    // the same on the hand-made roster with its polyphonic surnames, escapes and foreign names
    let idx = index();
    for query in [
        "zs",
        "shan",
        "xiejin",
        "mmtal",
        "john",
        "20230",
        "外国语",
        "jx2301",
        "zhang 2201",
        "红",
    ] {
        let q = Query::parse(query);
        let mut stream = StreamSearch::new(&q);
        for (i, (no, name, class, college, counselor)) in ROSTER.iter().enumerate() {
            stream.push(
                Record {
                    student_no: no,
                    name,
                    class,
                    college,
                    counselor,
                },
                i as u32,
            );
        }
        assert_eq!(stream.finish(), idx.search(&q, None).ranked(), "{query:?}");
    }
}
