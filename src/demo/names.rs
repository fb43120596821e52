//! Person names: Han names from real surname frequencies, compound surnames, Uyghur-style names
//! with `·`, Tibetan names, and Latin names for international students.

use rand_chacha::ChaCha8Rng;

use super::{Weighted, chance, choose};

/// Single-character surnames with their approximate share of the population in units of 0.01 %
/// (public-security registry rankings). 单/解/区/查/仇/朴/盖/乐/缪 are polyphonic as surnames
/// (shan, xie, ou, zha, qiu, piao, ge, yue, miao); their weights are raised a little above their
/// real share so a 3,000-student demo holds a few of each for trying pinyin search on.
const SURNAMES: &[(&str, u32)] = &[
    ("王", 712),
    ("李", 703),
    ("张", 668),
    ("刘", 538),
    ("陈", 461),
    ("杨", 308),
    ("黄", 223),
    ("赵", 204),
    ("吴", 200),
    ("周", 189),
    ("徐", 145),
    ("孙", 138),
    ("马", 129),
    ("朱", 126),
    ("胡", 116),
    ("郭", 115),
    ("何", 106),
    ("林", 100),
    ("高", 100),
    ("罗", 97),
    ("郑", 91),
    ("梁", 88),
    ("谢", 84),
    ("宋", 76),
    ("唐", 74),
    ("许", 72),
    ("韩", 71),
    ("冯", 70),
    ("邓", 70),
    ("曹", 68),
    ("彭", 65),
    ("曾", 64),
    ("肖", 63),
    ("田", 62),
    ("董", 60),
    ("袁", 58),
    ("潘", 57),
    ("于", 56),
    ("蒋", 55),
    ("蔡", 54),
    ("余", 52),
    ("杜", 51),
    ("叶", 50),
    ("程", 49),
    ("苏", 48),
    ("魏", 47),
    ("吕", 46),
    ("丁", 45),
    ("任", 44),
    ("沈", 43),
    ("姚", 42),
    ("卢", 41),
    ("姜", 40),
    ("崔", 39),
    ("钟", 38),
    ("谭", 37),
    ("陆", 36),
    ("汪", 35),
    ("范", 34),
    ("金", 33),
    ("石", 32),
    ("廖", 31),
    ("贾", 30),
    ("夏", 30),
    ("韦", 29),
    ("付", 29),
    ("方", 28),
    ("白", 28),
    ("邹", 27),
    ("孟", 27),
    ("熊", 26),
    ("秦", 26),
    ("邱", 25),
    ("江", 25),
    ("尹", 24),
    ("薛", 24),
    ("闫", 23),
    ("段", 23),
    ("雷", 22),
    ("侯", 22),
    ("龙", 21),
    ("史", 21),
    ("陶", 20),
    ("黎", 20),
    ("贺", 19),
    ("顾", 19),
    ("毛", 18),
    ("郝", 18),
    ("龚", 17),
    ("邵", 17),
    ("万", 16),
    ("钱", 16),
    ("严", 15),
    ("覃", 15),
    ("武", 15),
    ("戴", 14),
    ("莫", 14),
    ("孔", 14),
    ("向", 13),
    ("汤", 13),
    ("常", 13),
    ("温", 12),
    ("康", 12),
    ("施", 12),
    ("文", 11),
    ("牛", 11),
    ("樊", 11),
    ("葛", 10),
    ("邢", 10),
    ("安", 10),
    ("齐", 9),
    ("易", 9),
    ("乔", 9),
    ("伍", 9),
    ("庞", 9),
    ("颜", 8),
    ("倪", 8),
    ("庄", 8),
    ("聂", 8),
    ("章", 8),
    ("鲁", 7),
    ("岳", 7),
    ("翟", 7),
    ("殷", 7),
    ("詹", 7),
    ("申", 7),
    ("耿", 6),
    ("关", 6),
    ("兰", 6),
    ("焦", 6),
    ("俞", 6),
    ("左", 6),
    ("柳", 5),
    ("甘", 5),
    ("祝", 5),
    ("包", 5),
    ("宁", 5),
    ("尚", 5),
    ("符", 5),
    ("舒", 5),
    ("阮", 4),
    ("柯", 4),
    ("纪", 4),
    ("梅", 4),
    ("童", 4),
    ("凌", 4),
    ("毕", 4),
    ("单", 10),
    ("解", 10),
    ("区", 8),
    ("查", 10),
    ("仇", 5),
    ("朴", 4),
    ("盖", 3),
    ("乐", 4),
    ("缪", 4),
];

/// Compound surnames, relative weights; drawn for [`COMPOUND_PER_MILLE`] of Han names.
const COMPOUND_SURNAMES: &[(&str, u32)] = &[
    ("欧阳", 30),
    ("司马", 10),
    ("上官", 10),
    ("诸葛", 8),
    ("司徒", 8),
    ("东方", 6),
    ("皇甫", 6),
    ("公孙", 5),
    ("慕容", 5),
    ("令狐", 5),
    ("夏侯", 5),
    ("尉迟", 4),
    ("端木", 4),
    ("宇文", 4),
    ("长孙", 3),
];

/// About 2 % of generated Han names carry a compound surname (more than in the population,
/// so the demo shows how they are masked and searched).
const COMPOUND_PER_MILLE: u32 = 20;

/// Share of one-character given names among students born around 2000.
const SINGLE_GIVEN_PER_MILLE: u32 = 180;

const MALE_FIRST: &[(&str, u32)] = &[
    ("子", 40),
    ("浩", 30),
    ("宇", 25),
    ("俊", 20),
    ("志", 18),
    ("文", 18),
    ("嘉", 18),
    ("家", 16),
    ("一", 16),
    ("明", 14),
    ("天", 14),
    ("博", 14),
    ("梓", 14),
    ("晨", 12),
    ("思", 12),
    ("泽", 12),
    ("佳", 10),
    ("睿", 10),
    ("皓", 10),
    ("昊", 10),
    ("振", 8),
    ("建", 8),
    ("海", 8),
    ("鹏", 8),
    ("奕", 8),
    ("瑞", 8),
    ("宏", 8),
    ("逸", 8),
    ("伟", 8),
    ("晓", 8),
    ("永", 6),
    ("国", 6),
    ("承", 6),
    ("景", 6),
    ("书", 6),
    ("雨", 6),
    ("锦", 6),
    ("铭", 6),
    ("煜", 6),
    ("楚", 6),
];

const MALE_SECOND: &[(&str, u32)] = &[
    ("轩", 30),
    ("然", 25),
    ("宇", 25),
    ("杰", 25),
    ("涛", 18),
    ("阳", 18),
    ("鹏", 15),
    ("磊", 15),
    ("博", 15),
    ("辰", 15),
    ("豪", 15),
    ("航", 15),
    ("凯", 12),
    ("洋", 12),
    ("翔", 12),
    ("鑫", 12),
    ("浩", 12),
    ("铭", 12),
    ("晨", 12),
    ("睿", 12),
    ("强", 10),
    ("伟", 10),
    ("斌", 10),
    ("超", 10),
    ("哲", 10),
    ("昊", 10),
    ("峰", 10),
    ("龙", 10),
    ("帆", 10),
    ("明", 10),
    ("泽", 10),
    ("林", 8),
    ("彬", 8),
    ("远", 8),
    ("川", 8),
    ("成", 8),
    ("诚", 8),
    ("毅", 8),
    ("亮", 8),
    ("波", 8),
    ("东", 8),
    ("健", 8),
    ("康", 8),
    ("旭", 8),
    ("勇", 6),
    ("晖", 6),
    ("森", 6),
    ("霖", 6),
    ("源", 6),
    ("恒", 6),
    ("楠", 6),
    ("琛", 6),
    ("炜", 6),
    ("文", 6),
    ("君", 4),
];

const FEMALE_FIRST: &[(&str, u32)] = &[
    ("欣", 25),
    ("雨", 25),
    ("梓", 20),
    ("子", 20),
    ("思", 20),
    ("佳", 20),
    ("诗", 18),
    ("晓", 15),
    ("雅", 15),
    ("语", 12),
    ("嘉", 12),
    ("梦", 12),
    ("紫", 10),
    ("一", 10),
    ("可", 10),
    ("心", 10),
    ("慧", 10),
    ("若", 8),
    ("丽", 8),
    ("静", 8),
    ("婉", 8),
    ("文", 8),
    ("玉", 8),
    ("雪", 8),
    ("依", 8),
    ("艺", 6),
    ("乐", 6),
    ("美", 6),
    ("安", 6),
    ("书", 6),
    ("舒", 6),
    ("月", 6),
    ("晶", 6),
    ("海", 4),
    ("春", 4),
    ("秋", 4),
    ("淑", 4),
    ("宛", 4),
    ("靖", 4),
    ("沐", 4),
];

const FEMALE_SECOND: &[(&str, u32)] = &[
    ("怡", 30),
    ("涵", 30),
    ("萱", 20),
    ("琪", 20),
    ("婷", 20),
    ("雯", 15),
    ("颖", 15),
    ("悦", 15),
    ("琳", 15),
    ("妍", 15),
    ("晴", 12),
    ("彤", 12),
    ("瑶", 12),
    ("静", 12),
    ("欣", 12),
    ("菲", 10),
    ("楠", 10),
    ("洁", 10),
    ("敏", 10),
    ("娜", 10),
    ("雪", 10),
    ("倩", 10),
    ("然", 10),
    ("馨", 10),
    ("丹", 8),
    ("璐", 8),
    ("露", 8),
    ("薇", 8),
    ("燕", 8),
    ("芳", 8),
    ("慧", 8),
    ("月", 8),
    ("玥", 8),
    ("宁", 8),
    ("蕊", 8),
    ("媛", 8),
    ("诺", 8),
    ("蕾", 6),
    ("茜", 6),
    ("岚", 6),
    ("姗", 6),
    ("珊", 6),
    ("凡", 6),
    ("娟", 6),
    ("丽", 6),
    ("佳", 6),
    ("琦", 6),
    ("雅", 6),
    ("云", 6),
    ("灵", 4),
];

/// Uyghur given names as written in Chinese; the full name is `given·father's given name`.
const UYGHUR_MALE: &[&str] = &[
    "买买提",
    "艾力",
    "阿不都",
    "艾尔肯",
    "热合曼",
    "吐尔逊",
    "阿卜杜拉",
    "伊力哈木",
    "亚森",
    "麦麦提敏",
    "艾合买提",
    "阿迪力",
    "帕尔哈提",
    "依明",
    "努尔兰",
    "艾克拜尔",
    "阿里木",
    "吾斯曼",
    "玉素甫",
    "肉孜",
];
const UYGHUR_FEMALE: &[&str] = &[
    "阿依古丽",
    "古丽娜尔",
    "米热古丽",
    "热依拉",
    "努尔古丽",
    "迪丽努尔",
    "帕提古丽",
    "再努尔",
    "阿依努尔",
    "祖丽皮亚",
    "古丽米拉",
    "玛依拉",
    "阿娜尔古丽",
    "迪娜",
    "热孜宛古丽",
];

/// Tibetan names are two two-syllable parts written together, without `·`.
const TIBETAN_FIRST: &[&str] = &[
    "扎西", "次仁", "格桑", "尼玛", "达瓦", "旦增", "索朗", "平措", "多吉", "洛桑", "顿珠", "拉巴",
    "边巴", "普布", "米玛", "白玛", "强巴", "巴桑",
];
const TIBETAN_MALE_END: &[&str] = &[
    "顿珠", "多吉", "次仁", "平措", "罗布", "旺堆", "扎西", "群培", "朗杰", "加措",
];
const TIBETAN_FEMALE_END: &[&str] = &[
    "卓玛", "拉姆", "央金", "德吉", "曲珍", "措姆", "旺姆", "卓嘎", "玉珍", "吉宗",
];

/// How a country's passports look; every shape is letters followed by digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PassportShape {
    /// One letter and 8 digits (`M12345678`).
    Letter8(&'static str),
    /// One letter and 7 digits (`C1234567`).
    Letter7(&'static str),
    /// Two letters and 7 digits (`AB1234567`).
    TwoLetters7,
}

/// A country international students come from: ISO 3166 numeric code (used in the permanent
/// residence card number), name order, name parts and passport shape.
pub(super) struct Nation {
    pub numeric: &'static str,
    pub family_first: bool,
    pub families: &'static [&'static str],
    pub male: &'static [&'static str],
    pub female: &'static [&'static str],
    pub passport: PassportShape,
}

pub(super) const NATIONS: &[Nation] = &[
    Nation {
        numeric: "410",
        family_first: true,
        families: &["Kim", "Lee", "Park", "Choi", "Jung", "Kang"],
        male: &["Minjun", "Seojun", "Jiho", "Dohyun", "Hyunwoo"],
        female: &["Seoyeon", "Jiwoo", "Hayoon", "Minseo", "Yuna"],
        passport: PassportShape::Letter8("M"),
    },
    Nation {
        numeric: "704",
        family_first: true,
        families: &["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"],
        male: &["Van An", "Duc Minh", "Quang Huy", "Van Long"],
        female: &["Thi Lan", "Thi Huong", "Ngoc Anh", "Thu Trang"],
        passport: PassportShape::Letter7("C"),
    },
    Nation {
        numeric: "586",
        family_first: false,
        families: &["Khan", "Malik", "Hussain", "Ahmed", "Qureshi"],
        male: &["Muhammad Ali", "Usman", "Bilal", "Hamza"],
        female: &["Ayesha", "Fatima", "Zainab", "Maryam"],
        passport: PassportShape::TwoLetters7,
    },
    Nation {
        numeric: "764",
        family_first: false,
        families: &["Wongsakul", "Srisuk", "Chaiyaporn", "Boonmee"],
        male: &["Somchai", "Anan", "Krit", "Niran"],
        female: &["Ploy", "Kanya", "Malee", "Siriporn"],
        passport: PassportShape::TwoLetters7,
    },
    Nation {
        numeric: "398",
        family_first: false,
        families: &["Abenov", "Nurlanov", "Serikbayev", "Zhumabekov"],
        male: &["Nursultan", "Arman", "Daulet", "Yerlan"],
        female: &["Aigerim", "Dana", "Madina", "Aruzhan"],
        passport: PassportShape::Letter8("N"),
    },
    Nation {
        numeric: "360",
        family_first: false,
        families: &["Santoso", "Wijaya", "Saputra", "Rahmawati"],
        male: &["Budi", "Agus", "Rizky", "Dimas"],
        female: &["Siti", "Dewi", "Putri", "Ayu"],
        passport: PassportShape::Letter7("B"),
    },
    Nation {
        numeric: "840",
        family_first: false,
        families: &["Smith", "Johnson", "Williams", "Brown", "Miller"],
        male: &["John", "Michael", "David", "James"],
        female: &["Emily", "Sarah", "Olivia", "Emma"],
        passport: PassportShape::Letter8("A"),
    },
];

/// The weighted tables behind Han names, built once per generated school.
pub(super) struct NameGen {
    surnames: Weighted<&'static str>,
    compound: Weighted<&'static str>,
    male_first: Weighted<&'static str>,
    male_second: Weighted<&'static str>,
    female_first: Weighted<&'static str>,
    female_second: Weighted<&'static str>,
}

impl NameGen {
    pub fn new() -> Self {
        NameGen {
            surnames: Weighted::new(SURNAMES.iter().copied()),
            compound: Weighted::new(COMPOUND_SURNAMES.iter().copied()),
            male_first: Weighted::new(MALE_FIRST.iter().copied()),
            male_second: Weighted::new(MALE_SECOND.iter().copied()),
            female_first: Weighted::new(FEMALE_FIRST.iter().copied()),
            female_second: Weighted::new(FEMALE_SECOND.iter().copied()),
        }
    }

    /// A Han name: surname (2 % compound) and a one- or two-character gendered given name.
    pub fn han(&self, rng: &mut ChaCha8Rng, male: bool) -> String {
        let mut name = String::with_capacity(12);
        let surname = if chance(rng, COMPOUND_PER_MILLE) {
            self.compound.pick(rng)
        } else {
            self.surnames.pick(rng)
        };
        name.push_str(surname);
        let (first, second) = if male {
            (&self.male_first, &self.male_second)
        } else {
            (&self.female_first, &self.female_second)
        };
        if chance(rng, SINGLE_GIVEN_PER_MILLE) {
            name.push_str(second.pick(rng));
        } else {
            let a = first.pick(rng);
            // 子子 or 浩浩 read as mistakes; redraw the second character a few times instead.
            let mut b = second.pick(rng);
            for _ in 0..3 {
                if b != a && b != surname {
                    break;
                }
                b = second.pick(rng);
            }
            name.push_str(a);
            name.push_str(b);
        }
        name
    }

    /// A Uyghur-style name, `given·father's name`, as Xinjiang documents write it.
    pub fn uyghur(&self, rng: &mut ChaCha8Rng, male: bool) -> String {
        let given = choose(rng, if male { UYGHUR_MALE } else { UYGHUR_FEMALE });
        let mut father = choose(rng, UYGHUR_MALE);
        // A son named after his father (买买提·买买提) exists but reads like a bug in a demo.
        while father == given {
            father = choose(rng, UYGHUR_MALE);
        }
        format!("{given}·{father}")
    }

    /// A Tibetan name: usually two parts (扎西顿珠), sometimes one (达瓦).
    pub fn tibetan(&self, rng: &mut ChaCha8Rng, male: bool) -> String {
        let ends = if male {
            TIBETAN_MALE_END
        } else {
            TIBETAN_FEMALE_END
        };
        if chance(rng, 100) {
            return choose(rng, ends).to_string();
        }
        let first = choose(rng, TIBETAN_FIRST);
        let mut end = choose(rng, ends);
        if end == first {
            end = if ends[0] == first { ends[1] } else { ends[0] };
        }
        format!("{first}{end}")
    }

    /// A Latin-script name as in the student's passport, in the country's usual order.
    pub fn foreign(&self, rng: &mut ChaCha8Rng, nation: &Nation, male: bool) -> String {
        let family = choose(rng, nation.families);
        let given = choose(rng, if male { nation.male } else { nation.female });
        if nation.family_first {
            format!("{family} {given}")
        } else {
            format!("{given} {family}")
        }
    }
}

#[cfg(test)]
pub(super) fn compound_surnames() -> impl Iterator<Item = &'static str> {
    COMPOUND_SURNAMES.iter().map(|(s, _)| *s)
}
