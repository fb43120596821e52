//! The school's shape: its name and code, ~10 colleges with their majors at each level, the
//! split of every level into classes of 25–40, and one counselor per few classes.

use std::collections::HashSet;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::NameGen;
use super::{Weighted, chance, choose};
use crate::domain::Level;

/// A major as a college offers it at one level. `abbr` starts the class names (计科2201), so it
/// is unique across the whole table, graduate ones ending in 硕/博.
pub(super) struct MajorDef {
    pub name: &'static str,
    pub abbr: &'static str,
    /// How popular the major is within its college.
    pub weight: u32,
    /// Programme length in years when it differs from the level's usual one (5-year medicine
    /// and architecture); 0 otherwise.
    pub years: u8,
}

const fn m(name: &'static str, abbr: &'static str, weight: u32) -> MajorDef {
    MajorDef {
        name,
        abbr,
        weight,
        years: 0,
    }
}

const fn m5(name: &'static str, abbr: &'static str, weight: u32) -> MajorDef {
    MajorDef {
        name,
        abbr,
        weight,
        years: 5,
    }
}

pub(super) struct CollegeDef {
    pub name: &'static str,
    /// Share of men among its students (engineering mostly men, languages mostly women).
    pub male_percent: u8,
    /// Typical size relative to the other colleges.
    pub size: u32,
    pub bachelor: &'static [MajorDef],
    pub associate: &'static [MajorDef],
    pub master: &'static [MajorDef],
    pub doctor: &'static [MajorDef],
}

pub(super) const COLLEGES: &[CollegeDef] = &[
    CollegeDef {
        name: "计算机科学与技术学院",
        male_percent: 72,
        size: 150,
        bachelor: &[
            m("计算机科学与技术", "计科", 30),
            m("软件工程", "软工", 28),
            m("网络工程", "网工", 14),
            m("信息安全", "信安", 12),
            m("数据科学与大数据技术", "数据", 16),
            m("人工智能", "智能", 14),
            m("物联网工程", "物联", 10),
        ],
        associate: &[m("计算机应用技术", "计应", 10), m("软件技术", "软技", 8)],
        master: &[
            m("计算机科学与技术", "计科硕", 10),
            m("软件工程", "软工硕", 8),
            m("电子信息", "电子硕", 10),
        ],
        doctor: &[m("计算机科学与技术", "计科博", 5)],
    },
    CollegeDef {
        name: "机械工程学院",
        male_percent: 86,
        size: 120,
        bachelor: &[
            m("机械设计制造及其自动化", "机制", 30),
            m("车辆工程", "车辆", 14),
            m("材料成型及控制工程", "成型", 10),
            m("机械电子工程", "机电", 14),
            m("工业设计", "工设", 8),
            m("测控技术与仪器", "测控", 10),
        ],
        associate: &[m("机电一体化技术", "机电技", 10), m("数控技术", "数控", 6)],
        master: &[m("机械工程", "机械硕", 10)],
        doctor: &[m("机械工程", "机械博", 5)],
    },
    CollegeDef {
        name: "电气与信息工程学院",
        male_percent: 78,
        size: 130,
        bachelor: &[
            m("电气工程及其自动化", "电气", 30),
            m("电子信息工程", "电信", 20),
            m("通信工程", "通信", 18),
            m("自动化", "自动化", 16),
            m("微电子科学与工程", "微电", 8),
            m("光电信息科学与工程", "光电", 8),
        ],
        associate: &[m("电气自动化技术", "电自", 8)],
        master: &[
            m("电气工程", "电气硕", 8),
            m("信息与通信工程", "信通硕", 8),
            m("控制科学与工程", "控制硕", 6),
        ],
        doctor: &[m("电气工程", "电气博", 4)],
    },
    CollegeDef {
        name: "土木与建筑工程学院",
        male_percent: 74,
        size: 110,
        bachelor: &[
            m("土木工程", "土木", 30),
            m5("建筑学", "建筑", 12),
            m5("城乡规划", "城规", 8),
            m("工程管理", "工管", 12),
            m("给排水科学与工程", "给排", 8),
            m("道路桥梁与渡河工程", "道桥", 8),
        ],
        associate: &[m("建筑工程技术", "建工", 8), m("工程造价", "造价", 8)],
        master: &[m("土木工程", "土木硕", 8), m("建筑学", "建筑硕", 4)],
        doctor: &[m("土木工程", "土木博", 3)],
    },
    CollegeDef {
        name: "经济与管理学院",
        male_percent: 36,
        size: 160,
        bachelor: &[
            m("会计学", "会计", 28),
            m("财务管理", "财管", 18),
            m("市场营销", "营销", 12),
            m("国际经济与贸易", "国贸", 14),
            m("金融学", "金融", 16),
            m("工商管理", "工商", 12),
            m("人力资源管理", "人力", 10),
            m("物流管理", "物流", 8),
        ],
        associate: &[m("大数据与会计", "数会", 10), m("电子商务", "电商", 8)],
        master: &[
            m("工商管理", "工商硕", 8),
            m("会计", "会计硕", 8),
            m("应用经济学", "经济硕", 6),
        ],
        doctor: &[m("管理科学与工程", "管科博", 4)],
    },
    CollegeDef {
        name: "文学与新闻传播学院",
        male_percent: 22,
        size: 90,
        bachelor: &[
            m("汉语言文学", "汉语言", 30),
            m("汉语国际教育", "汉教", 12),
            m("新闻学", "新闻", 14),
            m("广告学", "广告", 10),
            m("网络与新媒体", "新媒体", 10),
            m("秘书学", "秘书", 6),
        ],
        associate: &[],
        master: &[m("中国语言文学", "中文硕", 8), m("新闻与传播", "新传硕", 6)],
        doctor: &[m("中国语言文学", "中文博", 3)],
    },
    CollegeDef {
        name: "外国语学院",
        male_percent: 16,
        size: 80,
        bachelor: &[
            m("英语", "英语", 30),
            m("日语", "日语", 12),
            m("翻译", "翻译", 12),
            m("商务英语", "商英", 14),
            m("俄语", "俄语", 6),
            m("法语", "法语", 6),
        ],
        associate: &[m("应用英语", "应英", 6), m("商务日语", "商日", 4)],
        master: &[m("外国语言文学", "外语硕", 6), m("翻译", "翻译硕", 6)],
        doctor: &[],
    },
    CollegeDef {
        name: "医学院",
        male_percent: 42,
        size: 130,
        bachelor: &[
            m5("临床医学", "临床", 30),
            m("护理学", "护理", 20),
            m("药学", "药学", 14),
            m5("医学影像学", "影像", 10),
            m5("口腔医学", "口腔", 8),
            m5("预防医学", "预防", 8),
            m("医学检验技术", "医检", 8),
        ],
        associate: &[
            m("护理", "高护", 14),
            m("医学检验技术", "检验", 6),
            m("助产", "助产", 6),
        ],
        master: &[
            m("临床医学", "临床硕", 12),
            m("护理", "护理硕", 5),
            m("药学", "药学硕", 5),
        ],
        doctor: &[m("临床医学", "临床博", 6)],
    },
    CollegeDef {
        name: "数学与统计学院",
        male_percent: 52,
        size: 70,
        bachelor: &[
            m("数学与应用数学", "数学", 30),
            m("信息与计算科学", "信计", 16),
            m("统计学", "统计", 16),
            m("应用统计学", "应统", 10),
            m("金融数学", "金数", 8),
        ],
        associate: &[],
        master: &[m("数学", "数学硕", 8), m("统计学", "统计硕", 6)],
        doctor: &[m("数学", "数学博", 3)],
    },
    CollegeDef {
        name: "化学与材料工程学院",
        male_percent: 58,
        size: 90,
        bachelor: &[
            m("化学", "化学", 18),
            m("应用化学", "应化", 18),
            m("材料科学与工程", "材料", 20),
            m("高分子材料与工程", "高分子", 12),
            m("化学工程与工艺", "化工", 16),
            m("新能源材料与器件", "新能源", 8),
        ],
        associate: &[m("应用化工技术", "化工技", 8)],
        master: &[
            m("化学", "化学硕", 6),
            m("材料科学与工程", "材料硕", 8),
            m("化学工程与技术", "化工硕", 5),
        ],
        doctor: &[m("材料科学与工程", "材料博", 4)],
    },
    CollegeDef {
        name: "艺术设计学院",
        male_percent: 34,
        size: 80,
        bachelor: &[
            m("视觉传达设计", "视传", 20),
            m("环境设计", "环设", 18),
            m("产品设计", "产设", 10),
            m("数字媒体艺术", "数媒", 16),
            m("音乐学", "音乐", 10),
            m("美术学", "美术", 10),
        ],
        associate: &[m("广告艺术设计", "广设", 8), m("室内艺术设计", "室设", 6)],
        master: &[m("设计学", "设计硕", 6), m("艺术设计", "艺设硕", 4)],
        doctor: &[],
    },
    CollegeDef {
        name: "法学院",
        male_percent: 40,
        size: 70,
        bachelor: &[
            m("法学", "法学", 30),
            m("社会工作", "社工", 12),
            m("知识产权", "知产", 8),
            m("政治学与行政学", "政行", 8),
        ],
        associate: &[m("法律事务", "法务", 6)],
        master: &[m("法学", "法学硕", 8), m("法律", "法律硕", 8)],
        doctor: &[m("法学", "法学博", 3)],
    },
    CollegeDef {
        name: "生命科学学院",
        male_percent: 44,
        size: 70,
        bachelor: &[
            m("生物科学", "生科", 18),
            m("生物技术", "生技", 16),
            m("生物工程", "生工", 14),
            m("食品科学与工程", "食品", 16),
            m("食品质量与安全", "食安", 10),
        ],
        associate: &[m("食品检验检测技术", "食检", 6)],
        master: &[m("生物学", "生物硕", 8), m("食品科学与工程", "食品硕", 5)],
        doctor: &[m("生物学", "生物博", 3)],
    },
    CollegeDef {
        name: "体育学院",
        male_percent: 68,
        size: 50,
        bachelor: &[
            m("体育教育", "体教", 20),
            m("社会体育指导与管理", "社体", 12),
            m("运动训练", "运训", 12),
            m("运动康复", "康复", 8),
        ],
        associate: &[],
        master: &[m("体育", "体育硕", 6)],
        doctor: &[],
    },
];

/// Provinces a school may be placed in, with fictional place names for the school name.
const SCHOOL_PLACES: &[(u8, &[&str])] = &[
    (44, &["南岭", "岭海", "粤秀"]),
    (42, &["云梦", "楚天"]),
    (33, &["钱塘", "越溪"]),
    (32, &["秦淮", "姑苏"]),
    (51, &["岷江", "蜀川"]),
    (37, &["岱宗", "泰岳"]),
    (61, &["终南", "秦川"]),
    (43, &["衡岳", "湘麓"]),
    (41, &["嵩岳", "河洛"]),
    (35, &["闽海", "鹭江"]),
];

const SCHOOL_KINDS: &[&str] = &["大学", "理工大学", "科技大学"];

/// Real 学校标识码 use 5-digit school codes 10001–14xxx; 19xxx keeps the demo code out of that
/// range so it can never be mistaken for a real school.
const SCHOOL_CODE_BLOCK: u32 = 19_000;

pub(super) struct Identity {
    pub code: String,
    pub name: String,
    pub province: u8,
}

pub(super) fn identity(rng: &mut ChaCha8Rng) -> Identity {
    let (province, places) = choose(rng, SCHOOL_PLACES);
    let name = format!("{}{}", choose(rng, places), choose(rng, SCHOOL_KINDS));
    let school = SCHOOL_CODE_BLOCK + rng.random_range(0..1000u32);
    Identity {
        code: format!("41{province:02}0{school:05}"),
        name,
        province,
    }
}

/// A major offered at one level by one college of this school.
pub(super) struct Program {
    /// Index into [`Layout::colleges`]; the college code in 学号 is this plus one.
    pub college: usize,
    /// Two-digit code in 学号, unique within the college across levels.
    pub code: u16,
    pub major: &'static str,
    pub abbr: &'static str,
    pub level: Level,
    /// Programme length: entry year = cohort − years.
    pub years: u8,
    weight: u32,
}

pub(super) struct Class {
    pub program: usize,
    /// 1-based class number within its program.
    pub number: u16,
    pub size: u16,
    /// Index into [`Layout::counselors`].
    pub counselor: usize,
}

pub(super) struct Layout {
    pub colleges: Vec<&'static CollegeDef>,
    pub programs: Vec<Program>,
    pub classes: Vec<Class>,
    pub counselors: Vec<String>,
}

impl Layout {
    /// Digits of the class number in class names and 学号: 2, unless a major has 100+ classes.
    pub fn class_number_width(&self) -> usize {
        let max = self.classes.iter().map(|c| c.number).max().unwrap_or(1);
        max.to_string().len().max(2)
    }
}

pub(super) const MIN_CLASS: u16 = 25;
pub(super) const MAX_CLASS: u16 = 40;
/// Classes one programme may hold before the others take the rest (two-digit class numbers).
const MAX_CLASSES_PER_PROGRAM: usize = 99;

/// Level shares of a graduating cohort: ~80 % 本科, ~10 % 硕士, ~2 % 博士, the rest (~8 %) 专科.
pub(super) fn level_counts(students: usize) -> [(Level, usize); 4] {
    let share = |per_mille: usize, left: usize| ((students * per_mille + 500) / 1000).min(left);
    let bachelor = share(800, students);
    let master = share(100, students - bachelor);
    let doctor = share(20, students - bachelor - master);
    let associate = students - bachelor - master - doctor;
    [
        (Level::Bachelor, bachelor),
        (Level::Associate, associate),
        (Level::Master, master),
        (Level::Doctor, doctor),
    ]
}

/// Sizes of classes holding `count` students, every one within 25–40 whenever that is
/// possible. It is impossible only for fewer than 25 students (one small class) and for 41–49
/// (a class of 25 and a smaller last one).
pub(super) fn class_sizes(rng: &mut ChaCha8Rng, count: usize) -> Vec<u16> {
    let (min, max) = (usize::from(MIN_CLASS), usize::from(MAX_CLASS));
    if count == 0 {
        return Vec::new();
    }
    if count <= max {
        return vec![count as u16];
    }
    let fewest = count.div_ceil(max);
    let most = count / min;
    if fewest > most {
        let mut sizes = vec![MIN_CLASS; fewest - 1];
        sizes.push((count - min * (fewest - 1)) as u16);
        return sizes;
    }
    // Aim at a typical class of 28–36, then shuffle a few students between classes so the
    // sizes are uneven as real ones are, never leaving 25–40.
    let target = rng.random_range(28..=36u32) as usize;
    let k = ((count + target / 2) / target).clamp(fewest, most);
    let mut sizes: Vec<u16> = (0..k)
        .map(|i| (count / k + usize::from(i < count % k)) as u16)
        .collect();
    for _ in 0..k * 2 {
        let from = rng.random_range(0..k as u32) as usize;
        let to = rng.random_range(0..k as u32) as usize;
        let moved = rng.random_range(1..=4u16);
        if from != to && sizes[from] - moved >= MIN_CLASS && sizes[to] + moved <= MAX_CLASS {
            sizes[from] -= moved;
            sizes[to] += moved;
        }
    }
    sizes
}

/// About ten of the colleges, each with 3–6 of its undergraduate majors (its first, flagship
/// major always) and all its 专科 and graduate programmes.
fn pick_programs(rng: &mut ChaCha8Rng) -> (Vec<&'static CollegeDef>, Vec<Program>) {
    let wanted = rng.random_range(9..=11u32) as usize;
    let mut chosen: Vec<usize> = (0..COLLEGES.len()).collect();
    shuffle(rng, &mut chosen);
    chosen.truncate(wanted);
    chosen.sort_unstable();
    let colleges: Vec<&'static CollegeDef> = chosen.iter().map(|&i| &COLLEGES[i]).collect();

    let mut programs = Vec::new();
    for (index, college) in colleges.iter().enumerate() {
        // Uneven colleges: the table's typical size, scaled by 0.7–1.4 for this school.
        let college_weight = college.size * rng.random_range(70..=140u32) / 100;
        let majors = rng.random_range(3..=college.bachelor.len().min(6) as u32) as usize;
        let mut others: Vec<usize> = (1..college.bachelor.len()).collect();
        shuffle(rng, &mut others);
        others.truncate(majors - 1);
        others.sort_unstable();
        let bachelor = std::iter::once(0)
            .chain(others)
            .map(|i| &college.bachelor[i]);
        let offered = bachelor
            .map(|m| (m, Level::Bachelor))
            .chain(college.associate.iter().map(|m| (m, Level::Associate)))
            .chain(college.master.iter().map(|m| (m, Level::Master)))
            .chain(college.doctor.iter().map(|m| (m, Level::Doctor)));
        for (code, (major, level)) in offered.enumerate() {
            let years = match (major.years, level) {
                (0, Level::Bachelor | Level::Doctor) => 4,
                (0, Level::Associate | Level::Master) => 3,
                (years, _) => years,
            };
            programs.push(Program {
                college: index,
                code: code as u16 + 1,
                major: major.name,
                abbr: major.abbr,
                level,
                years,
                weight: college_weight * major.weight * rng.random_range(70..=130u32) / 100,
            });
        }
    }
    (colleges, programs)
}

/// Fisher–Yates through `u32` draws, so the order is the same on every platform.
fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i as u32) as usize;
        items.swap(i, j);
    }
}

/// How many classes each program of one level gets, given that level's class count: every
/// program at least one when there are enough, the rest by weight; when there are fewer
/// classes than programs, the classes go to distinct programs drawn by weight.
fn classes_per_program(
    rng: &mut ChaCha8Rng,
    candidates: &[usize],
    programs: &[Program],
    classes: usize,
) -> Vec<usize> {
    let mut per_program = vec![0usize; programs.len()];
    if classes == 0 {
        return per_program;
    }
    if classes >= candidates.len() {
        for &p in candidates {
            per_program[p] = 1;
        }
        // Class numbers stay two digits (and 学号 12) while the programs have room: a full
        // program leaves the draw. Only beyond 99 classes in every programme is the cap lifted.
        let mut open: Vec<usize> = candidates.to_vec();
        let mut weighted = Weighted::new(open.iter().map(|&p| (p, programs[p].weight.max(1))));
        for _ in candidates.len()..classes {
            let p = weighted.pick(rng);
            per_program[p] += 1;
            if per_program[p] == MAX_CLASSES_PER_PROGRAM && open.len() > 1 {
                open.retain(|&q| q != p);
                weighted = Weighted::new(open.iter().map(|&q| (q, programs[q].weight.max(1))));
            }
        }
    } else {
        let mut left: Vec<usize> = candidates.to_vec();
        for _ in 0..classes {
            let weighted = Weighted::new(
                left.iter()
                    .enumerate()
                    .map(|(i, &p)| (i, programs[p].weight.max(1))),
            );
            let taken = left.swap_remove(weighted.pick(rng));
            per_program[taken] = 1;
        }
    }
    per_program
}

/// Lays out the whole school: programs, classes of 25–40 per level, and counselors.
pub(super) fn plan(rng: &mut ChaCha8Rng, students: usize, names: &NameGen) -> Layout {
    let (colleges, programs) = pick_programs(rng);

    let mut counts = level_counts(students);
    // A level nobody offers at this school (possible for 专科 or 博士 with few colleges)
    // is taught as 本科 instead, so the requested number of students is always reached.
    for i in 1..counts.len() {
        let (level, count) = counts[i];
        if count > 0 && !programs.iter().any(|p| p.level == level) {
            counts[0].1 += count;
            counts[i].1 = 0;
        }
    }

    let mut classes = Vec::new();
    for (level, count) in counts {
        let mut sizes = class_sizes(rng, count);
        shuffle(rng, &mut sizes);
        let candidates: Vec<usize> = (0..programs.len())
            .filter(|&p| programs[p].level == level)
            .collect();
        let per_program = classes_per_program(rng, &candidates, &programs, sizes.len());
        let mut sizes = sizes.into_iter();
        for &p in &candidates {
            for number in 1..=per_program[p] {
                if let Some(size) = sizes.next() {
                    classes.push(Class {
                        program: p,
                        number: number as u16,
                        size,
                        counselor: 0,
                    });
                }
            }
        }
    }

    let counselors = assign_counselors(rng, &programs, &mut classes, names);
    Layout {
        colleges,
        programs,
        classes,
        counselors,
    }
}

/// One counselor per 3–6 undergraduate (本科/专科) classes and per 2–5 graduate classes of a
/// college, each with a distinct full name.
fn assign_counselors(
    rng: &mut ChaCha8Rng,
    programs: &[Program],
    classes: &mut [Class],
    names: &NameGen,
) -> Vec<String> {
    let track = |class: &Class| {
        let program = &programs[class.program];
        (
            program.college,
            matches!(program.level, Level::Master | Level::Doctor),
        )
    };
    classes.sort_by_key(|c| (track(c), c.program, c.number));

    let mut counselors: Vec<String> = Vec::new();
    let mut taken = HashSet::new();
    let mut start = 0;
    while start < classes.len() {
        let current = track(&classes[start]);
        let (low, high) = if current.1 { (2, 5) } else { (3, 6) };
        let group = rng.random_range(low..=high) as usize;
        let mut end = start;
        while end < classes.len() && end - start < group && track(&classes[end]) == current {
            end += 1;
        }
        // Counselors are younger staff, more often women; retry on the rare clash of names.
        let male = chance(rng, 450);
        let mut name = names.han(rng, male);
        for _ in 0..100 {
            if !taken.contains(&name) {
                break;
            }
            name = names.han(rng, male);
        }
        taken.insert(name.clone());
        for class in &mut classes[start..end] {
            class.counselor = counselors.len();
        }
        counselors.push(name);
        start = end;
    }
    counselors
}

#[cfg(test)]
pub(super) fn school_provinces() -> impl Iterator<Item = u8> {
    SCHOOL_PLACES.iter().map(|(p, _)| *p)
}
