//! Document numbers for the demo roster: resident ID numbers with real region codes, the
//! permits of Hong Kong, Macau and Taiwan residents, passports, foreign permanent residence
//! cards, and mobile numbers. Every number is built to be valid for its type.

use std::fmt::Write as _;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::PassportShape;
use super::{Weighted, chance, choose};
use crate::domain::idnum::check_char;

/// A province: its 2-digit code, population in millions (how often students come from it) and
/// a few real district or county codes of the kind printed on ID cards.
pub(super) struct Province {
    pub code: u8,
    pub population: u32,
    pub regions: &'static [&'static str],
}

pub(super) const PROVINCES: &[Province] = &[
    Province {
        code: 11,
        population: 22,
        regions: &["110101", "110102", "110105", "110106", "110108"],
    },
    Province {
        code: 12,
        population: 14,
        regions: &["120101", "120104"],
    },
    Province {
        code: 13,
        population: 75,
        regions: &["130102", "130104", "130203", "130602", "131002", "130425"],
    },
    Province {
        code: 14,
        population: 35,
        regions: &["140105", "140106", "140107"],
    },
    Province {
        code: 15,
        population: 24,
        regions: &["150102", "150203"],
    },
    Province {
        code: 21,
        population: 42,
        regions: &["210102", "210202"],
    },
    Province {
        code: 22,
        population: 24,
        regions: &["220102", "220202"],
    },
    Province {
        code: 23,
        population: 31,
        regions: &["230102", "230103"],
    },
    Province {
        code: 31,
        population: 25,
        regions: &["310101", "310104", "310115"],
    },
    Province {
        code: 32,
        population: 85,
        regions: &["320102", "320106", "320211", "320506", "320311", "321323"],
    },
    Province {
        code: 33,
        population: 65,
        regions: &["330106", "330203", "330302", "330602"],
    },
    Province {
        code: 34,
        population: 61,
        regions: &["340104", "340202", "341202", "340822"],
    },
    Province {
        code: 35,
        population: 42,
        regions: &["350102", "350203", "350503"],
    },
    Province {
        code: 36,
        population: 45,
        regions: &["360102", "360702", "360722"],
    },
    Province {
        code: 37,
        population: 102,
        regions: &["370102", "370202", "370602", "370702", "371302", "371721"],
    },
    Province {
        code: 41,
        population: 99,
        regions: &["410102", "410105", "410302", "411302", "411602", "411625"],
    },
    Province {
        code: 42,
        population: 58,
        regions: &["420102", "420106", "420111", "420502", "420602", "421182"],
    },
    Province {
        code: 43,
        population: 66,
        regions: &["430102", "430104", "430302", "430602", "430702", "431322"],
    },
    Province {
        code: 44,
        population: 126,
        regions: &[
            "440103", "440104", "440106", "440111", "440303", "440304", "440305", "440402",
            "440604", "441302", "441900", "442000", "440507", "440802", "441402", "445102",
            "441581", "440823",
        ],
    },
    Province {
        code: 45,
        population: 50,
        regions: &["450102", "450103", "450202", "450302"],
    },
    Province {
        code: 46,
        population: 10,
        regions: &["460105", "460106"],
    },
    Province {
        code: 50,
        population: 32,
        regions: &["500103", "500106", "500108"],
    },
    Province {
        code: 51,
        population: 84,
        regions: &["510104", "510105", "510107", "510703", "511302", "511323"],
    },
    Province {
        code: 52,
        population: 39,
        regions: &["520102", "520302"],
    },
    Province {
        code: 53,
        population: 47,
        regions: &["530102", "530103"],
    },
    Province {
        code: 54,
        population: 4,
        regions: &["540102"],
    },
    Province {
        code: 61,
        population: 40,
        regions: &["610102", "610113", "610302"],
    },
    Province {
        code: 62,
        population: 25,
        regions: &["620102", "620103"],
    },
    Province {
        code: 63,
        population: 6,
        regions: &["630102"],
    },
    Province {
        code: 64,
        population: 7,
        regions: &["640104"],
    },
    Province {
        code: 65,
        population: 26,
        regions: &["650102", "650103"],
    },
];

/// Where students with Uyghur-style names are registered: Ürümqi, Kashgar, Aksu, Yining, Artux, Hotan.
const XINJIANG_REGIONS: &[&str] = &[
    "650102", "650103", "653101", "652901", "654002", "653001", "653201",
];

/// Where students with Tibetan names are registered: Lhasa, Shigatse, Chamdo, Kangding.
const TIBETAN_REGIONS: &[&str] = &["540102", "540202", "540302", "513301"];

/// The first six digits of 港澳台居民居住证 numbers: Hong Kong, Macau, Taiwan.
pub(super) const PERMIT_HONG_KONG: &str = "810000";
pub(super) const PERMIT_MACAU: &str = "820000";
pub(super) const PERMIT_TAIWAN: &str = "830000";

/// Students mostly come from the school's own province; the rest from all over the country in
/// proportion to population.
const HOME_PROVINCE_PER_MILLE: u32 = 550;

/// Mobile number segments of the three carriers (13x, 15x, 17x, 18x, 19x).
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "173", "175", "176", "177", "178", "180", "181",
    "182", "183", "184", "185", "186", "187", "188", "189", "191", "193", "195", "198", "199",
];

/// Letters used in passport prefixes: I and O are left out, as most issuers do.
const PASSPORT_LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";

/// A birth date; always a real calendar day (the generator only builds valid ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BirthDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl BirthDate {
    /// A uniformly random day of `year` (clamped to four digits so numbers keep their length).
    pub fn random_in(rng: &mut ChaCha8Rng, year: i32) -> BirthDate {
        let year = year.clamp(1900, 9999);
        let month = rng.random_range(1..=12u32);
        let day = rng.random_range(1..=days_in_month(year, month));
        BirthDate { year, month, day }
    }
}

pub(super) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// The weighted choice of a student's home region, built once per school.
pub(super) struct Regions {
    national: Weighted<usize>,
    home: usize,
}

impl Regions {
    /// `home_province` is the school's province code. Every province a school can be placed in
    /// is in [`PROVINCES`] (a test checks it); an unknown code would fall back to the first.
    pub fn new(home_province: u8) -> Regions {
        let home = PROVINCES
            .iter()
            .position(|p| p.code == home_province)
            .unwrap_or(0);
        Regions {
            national: Weighted::new(PROVINCES.iter().enumerate().map(|(i, p)| (i, p.population))),
            home,
        }
    }

    pub fn han(&self, rng: &mut ChaCha8Rng) -> &'static str {
        let province = if chance(rng, HOME_PROVINCE_PER_MILLE) {
            self.home
        } else {
            self.national.pick(rng)
        };
        choose(rng, PROVINCES[province].regions)
    }

    pub fn xinjiang(&self, rng: &mut ChaCha8Rng) -> &'static str {
        choose(rng, XINJIANG_REGIONS)
    }

    pub fn tibetan(&self, rng: &mut ChaCha8Rng) -> &'static str {
        choose(rng, TIBETAN_REGIONS)
    }

    pub fn home_code(&self) -> u8 {
        PROVINCES[self.home].code
    }
}

fn push_digits(out: &mut String, rng: &mut ChaCha8Rng, count: usize) {
    for _ in 0..count {
        out.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
}

fn push_date(out: &mut String, birth: BirthDate) {
    // Writing into a String cannot fail.
    let _ = write!(out, "{:04}{:02}{:02}", birth.year, birth.month, birth.day);
}

/// 顺序码: three digits whose last is odd for men and even for women.
fn push_sequence(out: &mut String, rng: &mut ChaCha8Rng, male: bool) {
    push_digits(out, rng, 2);
    let parity = rng.random_range(0..5u8) * 2 + u8::from(male);
    out.push(char::from(b'0' + parity));
}

/// The 18-character layout shared by resident IDs, residence permits and the new permanent
/// residence cards: 17 digits, then the ISO 7064 MOD 11-2 check character.
fn finish_with_check(mut first17: String) -> String {
    debug_assert_eq!(first17.len(), 17);
    let check = check_char(&first17);
    first17.push(check);
    first17
}

/// 居民身份证: region, birth date, sequence (gender in its last digit), check character.
pub(super) fn resident_id(
    rng: &mut ChaCha8Rng,
    region: &str,
    birth: BirthDate,
    male: bool,
) -> String {
    let mut s = String::with_capacity(18);
    s.push_str(region);
    push_date(&mut s, birth);
    push_sequence(&mut s, rng, male);
    finish_with_check(s)
}

/// 港澳台居民居住证: 810000/820000/830000 in place of the region, otherwise a resident ID.
pub(super) fn residence_permit(
    rng: &mut ChaCha8Rng,
    place: &str,
    birth: BirthDate,
    male: bool,
) -> String {
    resident_id(rng, place, birth, male)
}

/// 港澳居民来往内地通行证: H (Hong Kong) or M (Macau) and 8 digits; card permits add a
/// 2-digit issue count.
pub(super) fn hk_macau_permit(rng: &mut ChaCha8Rng, macau: bool) -> String {
    let mut s = String::with_capacity(11);
    s.push(if macau { 'M' } else { 'H' });
    push_digits(&mut s, rng, 8);
    if chance(rng, 300) {
        s.push('0');
        s.push(char::from(b'1' + rng.random_range(0..3u8)));
    }
    s
}

/// 台湾居民来往大陆通行证: 8 digits.
pub(super) fn taiwan_permit(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::with_capacity(8);
    push_digits(&mut s, rng, 8);
    s
}

pub(super) fn passport(rng: &mut ChaCha8Rng, shape: PassportShape) -> String {
    let mut s = String::with_capacity(9);
    match shape {
        PassportShape::Letter8(letter) => {
            s.push_str(letter);
            push_digits(&mut s, rng, 8);
        }
        PassportShape::Letter7(letter) => {
            s.push_str(letter);
            push_digits(&mut s, rng, 7);
        }
        PassportShape::TwoLetters7 => {
            for _ in 0..2 {
                s.push(char::from(choose(rng, PASSPORT_LETTERS)));
            }
            push_digits(&mut s, rng, 7);
        }
    }
    s
}

/// 外国人永久居留身份证 (2023 layout): `9`, province of issue, 3-digit nationality, birth date,
/// sequence (gender in its last digit), MOD 11-2 check character.
pub(super) fn foreign_permanent(
    rng: &mut ChaCha8Rng,
    province: u8,
    nationality: &str,
    birth: BirthDate,
    male: bool,
) -> String {
    let mut s = String::with_capacity(18);
    let _ = write!(s, "9{province:02}{nationality}");
    push_date(&mut s, birth);
    push_sequence(&mut s, rng, male);
    finish_with_check(s)
}

/// An 11-digit mobile number.
pub(super) fn mobile(rng: &mut ChaCha8Rng) -> String {
    let mut s = String::with_capacity(11);
    s.push_str(choose(rng, MOBILE_PREFIXES));
    push_digits(&mut s, rng, 8);
    s
}
