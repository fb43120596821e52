//! Roster types shared by every layer: the student record, document types and levels.

use serde::{Deserialize, Serialize};

/// 证件类型: the identity documents a graduating student may be registered with (docs/roster.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdType {
    /// 居民身份证
    ResidentId,
    /// 港澳台居民居住证
    ResidencePermit,
    /// 港澳居民来往内地通行证
    HkMacauPermit,
    /// 台湾居民来往大陆通行证
    TaiwanPermit,
    /// 护照
    Passport,
    /// 外国人永久居留身份证
    ForeignPermanent,
}

impl IdType {
    pub const ALL: [IdType; 6] = [
        IdType::ResidentId,
        IdType::ResidencePermit,
        IdType::HkMacauPermit,
        IdType::TaiwanPermit,
        IdType::Passport,
        IdType::ForeignPermanent,
    ];

    /// Stable machine name, stored in the database and used in JSON.
    pub fn code(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::ResidencePermit => "residence_permit",
            IdType::HkMacauPermit => "hk_macau_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::Passport => "passport",
            IdType::ForeignPermanent => "foreign_permanent",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            IdType::ResidentId => "居民身份证",
            IdType::ResidencePermit => "港澳台居民居住证",
            IdType::HkMacauPermit => "港澳居民来往内地通行证",
            IdType::TaiwanPermit => "台湾居民来往大陆通行证",
            IdType::Passport => "护照",
            IdType::ForeignPermanent => "外国人永久居留身份证",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            IdType::ResidentId => "Resident ID card",
            IdType::ResidencePermit => "HK/Macau/Taiwan residence permit",
            IdType::HkMacauPermit => "HK/Macau travel permit",
            IdType::TaiwanPermit => "Taiwan travel permit",
            IdType::Passport => "Passport",
            IdType::ForeignPermanent => "Foreign permanent resident ID",
        }
    }

    /// Accepts the stable code, the Chinese label (and its common short forms) or the English label.
    pub fn parse(text: &str) -> Option<IdType> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        IdType::ALL
            .into_iter()
            .find(|k| {
                k.code() == lower || k.label_zh() == t || k.label_en().eq_ignore_ascii_case(t)
            })
            .or(match t {
                "身份证" | "二代身份证" | "大陆居民身份证" | "id card" => {
                    Some(IdType::ResidentId)
                }
                "居住证" | "港澳居民居住证" | "台湾居民居住证" => {
                    Some(IdType::ResidencePermit)
                }
                "回乡证" | "港澳通行证" | "港澳居民通行证" => {
                    Some(IdType::HkMacauPermit)
                }
                "台胞证" | "台湾居民通行证" => Some(IdType::TaiwanPermit),
                "永居证" | "外国人永久居留证" | "外国人永久居留身份证件" => {
                    Some(IdType::ForeignPermanent)
                }
                _ => None,
            })
    }
}

/// 层次: education level of the graduate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 专科
    Associate,
    /// 本科
    Bachelor,
    /// 硕士研究生
    Master,
    /// 博士研究生
    Doctor,
}

impl Level {
    pub const ALL: [Level; 4] = [
        Level::Associate,
        Level::Bachelor,
        Level::Master,
        Level::Doctor,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Level::Associate => "associate",
            Level::Bachelor => "bachelor",
            Level::Master => "master",
            Level::Doctor => "doctor",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Associate => "专科",
            Level::Bachelor => "本科",
            Level::Master => "硕士研究生",
            Level::Doctor => "博士研究生",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Level::Associate => "Associate",
            Level::Bachelor => "Bachelor",
            Level::Master => "Master",
            Level::Doctor => "Doctor",
        }
    }

    /// Accepts codes, Chinese labels and the usual short forms (硕士, 博士, 高职, 大专, ...).
    pub fn parse(text: &str) -> Option<Level> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        Level::ALL
            .into_iter()
            .find(|l| {
                l.code() == lower || l.label_zh() == t || l.label_en().eq_ignore_ascii_case(t)
            })
            .or(match t {
                "专科生" | "大专" | "高职" | "高职专科" | "高职(专科)" | "高职（专科）" => {
                    Some(Level::Associate)
                }
                "本科生" | "普通本科" | "undergraduate" => Some(Level::Bachelor),
                "硕士" | "硕士生" | "研究生" | "硕士研究生(学术型)" | "硕士研究生(专业型)" => {
                    Some(Level::Master)
                }
                "博士" | "博士生" => Some(Level::Doctor),
                _ => None,
            })
    }

    /// One byte for compact encodings (collection codes).
    pub fn to_byte(self) -> u8 {
        self as u8
    }

    pub fn from_byte(b: u8) -> Option<Level> {
        Level::ALL.get(b as usize).copied()
    }
}

/// A roster record as it is imported, generated or stored (without database ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Student {
    /// 学号, unique within the school.
    pub student_no: String,
    /// 姓名, with `·` already normalised.
    pub name: String,
    pub id_type: IdType,
    /// Normalised document number (upper case; 15-digit resident IDs converted to 18).
    pub id_number: String,
    pub college: String,
    pub major: String,
    /// 班级
    pub class: String,
    pub level: Level,
    pub counselor: String,
    /// 毕业年份 (届)
    pub cohort: i32,
    pub gender: Option<String>,
    pub phone: Option<String>,
}
