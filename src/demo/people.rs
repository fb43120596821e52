//! Who a generated student is: background, name, identity document, gender, birth date, phone.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::ids::{self, BirthDate, Regions};
use super::names::{NATIONS, NameGen};
use super::{Weighted, chance, index};
use crate::domain::{IdType, Level};

/// One student's personal fields, consistent with each other: the gender digit of an 18-digit
/// number matches `male`, and the birth date fits the level and entry year.
pub(super) struct Person {
    pub name: String,
    pub id_type: IdType,
    pub id_number: String,
    pub male: bool,
    pub phone: Option<String>,
}

/// A student's background, which decides the name style and the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Background {
    /// Mainland student with a Han name and a resident ID.
    Han,
    /// Xinjiang student with a `given·father` name and a resident ID from Xinjiang.
    Uyghur,
    /// Tibetan student with a resident ID from Tibet or western Sichuan.
    Tibetan,
    /// Hong Kong, Macau or Taiwan resident registered with a 港澳台居民居住证.
    ResidencePermit,
    /// Hong Kong or Macau resident registered with the travel permit.
    HkMacauPermit,
    /// Taiwan resident registered with the travel permit.
    TaiwanPermit,
    /// International student registered with a passport.
    Passport,
    /// Foreign national holding a permanent residence card.
    ForeignPermanent,
}

/// Shares in units of 0.01 %: about 1 % `·` names, 0.3 % Tibetan names and 0.5 % documents other
/// than the resident ID, as the issue asks.
const BACKGROUNDS: &[(Background, u32)] = &[
    (Background::Han, 9_820),
    (Background::Uyghur, 100),
    (Background::Tibetan, 30),
    (Background::ResidencePermit, 15),
    (Background::HkMacauPermit, 10),
    (Background::TaiwanPermit, 8),
    (Background::Passport, 12),
    (Background::ForeignPermanent, 5),
];

/// Students who give a mobile number (the field is optional in the roster).
const PHONE_PER_MILLE: u32 = 900;

/// Age on entering the programme and how many years older than that students are (weights):
/// undergraduates enter at about 18, master's students at 22, doctoral students at 25 with a
/// long tail of people who worked first.
fn age_table(level: Level) -> (i32, &'static [(i32, u32)]) {
    match level {
        Level::Associate | Level::Bachelor => (18, &[(-1, 15), (0, 60), (1, 22), (2, 3)]),
        Level::Master => (22, &[(-1, 10), (0, 50), (1, 25), (2, 10), (3, 5)]),
        Level::Doctor => (
            25,
            &[
                (0, 30),
                (1, 25),
                (2, 18),
                (3, 12),
                (4, 8),
                (5, 4),
                (6, 2),
                (8, 1),
            ],
        ),
    }
}

pub(super) struct People {
    names: NameGen,
    regions: Regions,
    backgrounds: Weighted<Background>,
    /// Extra years of age per level, indexed like [`level_index`].
    ages: [(i32, Weighted<i32>); 4],
}

fn level_index(level: Level) -> usize {
    match level {
        Level::Associate => 0,
        Level::Bachelor => 1,
        Level::Master => 2,
        Level::Doctor => 3,
    }
}

impl People {
    pub fn new(home_province: u8) -> People {
        let ages = Level::ALL.map(|level| {
            let (base, extra) = age_table(level);
            (base, Weighted::new(extra.iter().copied()))
        });
        People {
            names: NameGen::new(),
            regions: Regions::new(home_province),
            backgrounds: Weighted::new(BACKGROUNDS.iter().copied()),
            ages,
        }
    }

    pub fn names(&self) -> &NameGen {
        &self.names
    }

    /// A birth date that fits a student of `level` who entered in `entry_year`.
    fn birth_date(&self, rng: &mut ChaCha8Rng, level: Level, entry_year: i32) -> BirthDate {
        let (base, extra) = &self.ages[level_index(level)];
        let older = extra.pick(rng);
        BirthDate::random_in(rng, entry_year - base - older)
    }

    /// One student; `male_percent` is the share of men in the student's college.
    pub fn draw(
        &self,
        rng: &mut ChaCha8Rng,
        level: Level,
        entry_year: i32,
        male_percent: u8,
    ) -> Person {
        let male = chance(rng, u32::from(male_percent) * 10);
        let birth = self.birth_date(rng, level, entry_year);
        let (name, id_type, id_number) = match self.backgrounds.pick(rng) {
            Background::Han => {
                let region = self.regions.han(rng);
                (
                    self.names.han(rng, male),
                    IdType::ResidentId,
                    ids::resident_id(rng, region, birth, male),
                )
            }
            Background::Uyghur => {
                let region = self.regions.xinjiang(rng);
                (
                    self.names.uyghur(rng, male),
                    IdType::ResidentId,
                    ids::resident_id(rng, region, birth, male),
                )
            }
            Background::Tibetan => {
                let region = self.regions.tibetan(rng);
                (
                    self.names.tibetan(rng, male),
                    IdType::ResidentId,
                    ids::resident_id(rng, region, birth, male),
                )
            }
            Background::ResidencePermit => {
                // Hong Kong, Macau and Taiwan students in roughly the proportions universities see.
                let place = match rng.random_range(0..100u32) {
                    0..50 => ids::PERMIT_HONG_KONG,
                    50..65 => ids::PERMIT_MACAU,
                    _ => ids::PERMIT_TAIWAN,
                };
                let number = ids::residence_permit(rng, place, birth, male);
                (self.names.han(rng, male), IdType::ResidencePermit, number)
            }
            Background::HkMacauPermit => {
                let macau = chance(rng, 250);
                (
                    self.names.han(rng, male),
                    IdType::HkMacauPermit,
                    ids::hk_macau_permit(rng, macau),
                )
            }
            Background::TaiwanPermit => (
                self.names.han(rng, male),
                IdType::TaiwanPermit,
                ids::taiwan_permit(rng),
            ),
            Background::Passport => {
                let nation = &NATIONS[index(rng, NATIONS.len())];
                (
                    self.names.foreign(rng, nation, male),
                    IdType::Passport,
                    ids::passport(rng, nation.passport),
                )
            }
            Background::ForeignPermanent => {
                let nation = &NATIONS[index(rng, NATIONS.len())];
                let number = ids::foreign_permanent(
                    rng,
                    self.regions.home_code(),
                    nation.numeric,
                    birth,
                    male,
                );
                (
                    self.names.foreign(rng, nation, male),
                    IdType::ForeignPermanent,
                    number,
                )
            }
        };
        let phone = chance(rng, PHONE_PER_MILLE).then(|| ids::mobile(rng));
        Person {
            name,
            id_type,
            id_number,
            male,
            phone,
        }
    }
}
