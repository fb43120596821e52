//! The words of session planning (docs/sessions.md "Planning"): why the planner refuses its
//! input, and why no plan is made.

use std::fmt;

use crate::domain::planner::PlanError;
use crate::i18n::{Lang, lang};
use crate::ops::plan::PlanFailed;

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            PlanError::NoSlots if zh => {
                f.write_str("没有给出时间段：请用 --slots 08:30-11:30,14:00-17:00")
            }
            PlanError::NoSlots => {
                f.write_str("no time slots given: use --slots 08:30-11:30,14:00-17:00")
            }
            PlanError::BadSlot(text) if zh => write!(
                f,
                "'{text}' 不是时间段：请写成 时:分-时:分，例如 08:30-11:30"
            ),
            PlanError::BadSlot(text) => write!(
                f,
                "'{text}' is not a time slot: write it as HH:MM-HH:MM, e.g. 08:30-11:30"
            ),
            PlanError::Backwards(slot) if zh => write!(f, "时间段 {slot} 的结束早于开始"),
            PlanError::Backwards(slot) => write!(f, "the slot {slot} ends before it starts"),
            PlanError::Overlap(a, b) if zh => write!(f, "时间段 {a} 与 {b} 重叠"),
            PlanError::Overlap(a, b) => write!(f, "the slots {a} and {b} overlap"),
            PlanError::NoDays if zh => f.write_str("天数至少为 1"),
            PlanError::NoDays => f.write_str("the number of days must be at least 1"),
            PlanError::NoStations if zh => f.write_str("工位数至少为 1"),
            PlanError::NoStations => f.write_str("the number of stations must be at least 1"),
            PlanError::NoRate if zh => f.write_str("每工位每小时至少拍 1 人"),
            PlanError::NoRate => {
                f.write_str("the rate must be at least 1 student per station-hour")
            }
            PlanError::EmptySlot {
                slot,
                stations,
                rate,
            } if zh => write!(
                f,
                "时间段 {slot} 按 {stations} 个工位、每工位每小时 {rate} 人计算，一个人也排不下：请延长时间段或增加工位"
            ),
            PlanError::EmptySlot {
                slot,
                stations,
                rate,
            } => write!(
                f,
                "the slot {slot} at {stations} station(s) and {rate} per station-hour has room for no one: lengthen it or add stations"
            ),
        }
    }
}

impl fmt::Display for PlanFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zh = lang() == Lang::Zh;
        match self {
            PlanFailed::Past { from, today } if zh => {
                write!(f, "--from {from} 已经过去：场次只能从今天（{today}）起安排")
            }
            PlanFailed::Past { from, today } => write!(
                f,
                "--from {from} is in the past: sessions are planned from today ({today}) on"
            ),
            PlanFailed::Planner(e) => e.fmt(f),
            PlanFailed::Empty { flag } if zh => {
                write!(f, "{flag} 为空：请填写场次的{}", field_zh(flag))
            }
            PlanFailed::Empty { flag } => write!(
                f,
                "{flag} is empty: give the session a {}",
                flag.trim_start_matches('-')
            ),
            PlanFailed::TooLong(e) => e.fmt(f),
            PlanFailed::Store(e) => e.fmt(f),
        }
    }
}

/// A session's field, named in Chinese.
fn field_zh(flag: &str) -> &'static str {
    match flag.trim_start_matches('-') {
        "title" => "标题",
        "location" => "地点",
        _ => "内容",
    }
}
