//! An unreadable roster in words (docs/roster.md): every message names the file (and, in a
//! workbook, the sheet and cell) and says what to do.

use std::fmt;

use crate::i18n::{Lang, lang};
use crate::roster::HeaderProblem;
use crate::roster::{RosterError, SheetLimit};

impl SheetLimit {
    /// The limit in words: `1 MiB`, `column XFD`, `1000000 rows`.
    fn describe(self, zh: bool) -> String {
        let size = |b: usize| {
            if b >= 1 << 20 && b.is_multiple_of(1 << 20) {
                format!("{} MiB", b >> 20)
            } else if b >= 1 << 10 && b.is_multiple_of(1 << 10) {
                format!("{} KiB", b >> 10)
            } else {
                format!("{b} B")
            }
        };
        match (self, zh) {
            (SheetLimit::CellBytes(b), true) => format!("单元格超过 {}", size(b)),
            (SheetLimit::CellBytes(b), false) => format!("the cell is longer than {}", size(b)),
            (SheetLimit::RowBytes(b), true) => format!("这一行超过 {}", size(b)),
            (SheetLimit::RowBytes(b), false) => format!("the row is longer than {}", size(b)),
            (SheetLimit::Columns(_), true) => "超出了 Excel 的最后一列 XFD（16384 列）".to_string(),
            (SheetLimit::Columns(_), false) => {
                "it lies past column XFD, Excel's last (16384 columns)".to_string()
            }
            (SheetLimit::Rows(n), true) => format!("超过 {n} 行"),
            (SheetLimit::Rows(n), false) => format!("more than {n} rows"),
            (SheetLimit::SharedStringBytes(b), true) => {
                format!("共享字符串超过 {}", size(b))
            }
            (SheetLimit::SharedStringBytes(b), false) => {
                format!("the shared string is longer than {}", size(b))
            }
            (SheetLimit::SharedStringsBytes(b), true) => {
                format!("共享字符串表超过 {}", size(b))
            }
            (SheetLimit::SharedStringsBytes(b), false) => {
                format!("the shared-strings table is larger than {}", size(b))
            }
            (SheetLimit::SharedStrings(n), true) => format!("共享字符串超过 {n} 个"),
            (SheetLimit::SharedStrings(n), false) => {
                format!("the shared-strings table has more than {n} entries")
            }
            (SheetLimit::PartBytes(b), true) => format!("该部分超过 {}", size(b)),
            (SheetLimit::PartBytes(b), false) => format!("the part is larger than {}", size(b)),
            (SheetLimit::ZipEntries(n), true) => format!("压缩包中的文件超过 {n} 个"),
            (SheetLimit::ZipEntries(n), false) => {
                format!("the archive holds more than {n} files")
            }
        }
    }
}

impl fmt::Display for RosterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(lang()))
    }
}

impl RosterError {
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            RosterError::Open { file, reason } => {
                if zh {
                    format!("无法读取 {file}：{reason}")
                } else {
                    format!("cannot read {file}: {reason}")
                }
            }
            RosterError::Empty { file } => {
                if zh {
                    format!("{file} 是空文件，没有任何数据")
                } else {
                    format!("{file} is empty")
                }
            }
            RosterError::NotTabular { file } => {
                if zh {
                    format!(
                        "{file} 不是 CSV、XLSX 或 XLS 文件；请在 Excel 中另存为 .xlsx 或“CSV UTF-8”后再导入"
                    )
                } else {
                    format!(
                        "{file} is not a CSV, XLSX or XLS file; save the roster from Excel as .xlsx or \"CSV UTF-8\" and import that"
                    )
                }
            }
            RosterError::Encrypted { file } => {
                if zh {
                    format!(
                        "{file} 是加了密码的工作簿；请在 Excel 中去掉密码（文件 → 信息 → 保护工作簿）并保存后再导入"
                    )
                } else {
                    format!(
                        "{file} is a password-protected workbook; remove the password in Excel (File > Info > Protect Workbook), save it and import that"
                    )
                }
            }
            RosterError::NotWorkbook { file, reason } => {
                if zh {
                    format!(
                        "{file} 是压缩包但不是可读的 Excel 工作簿（{reason}）；请在 Excel 中另存为 .xlsx 后再导入"
                    )
                } else {
                    format!(
                        "{file} is a zip archive but not a readable Excel workbook ({reason}); save it from Excel as .xlsx and import that"
                    )
                }
            }
            RosterError::BrokenXls { file, reason } => {
                if zh {
                    format!(
                        "{file} 像是 Excel 97–2003（.xls）工作簿，但无法读取（{reason}）；请用 Excel 或 WPS 打开并另存为 .xlsx 后再导入"
                    )
                } else {
                    format!(
                        "{file} looks like an Excel 97–2003 (.xls) workbook but cannot be read ({reason}); open it in Excel or WPS, save it as .xlsx and import that"
                    )
                }
            }
            RosterError::NoSuchSheet {
                file,
                sheet,
                sheets,
            } => {
                if zh {
                    format!(
                        "{file} 中没有名为“{sheet}”的工作表；已有：{}",
                        sheets.join("、")
                    )
                } else {
                    format!(
                        "{file} has no sheet named '{sheet}'; its sheets are: {}",
                        sheets.join(", ")
                    )
                }
            }
            RosterError::SheetOfCsv { file } => {
                if zh {
                    format!("{file} 是 CSV 文件，没有工作表；--sheet 只用于 .xlsx 和 .xls")
                } else {
                    format!(
                        "{file} is a CSV file and has no sheets; --sheet is for .xlsx and .xls workbooks"
                    )
                }
            }
            RosterError::Header { file, problem } => header_message(file, problem, zh),
            RosterError::NoStudentRows { file, header_row } => {
                if zh {
                    format!("{file} 的表头（第 {header_row} 行）下面没有学生数据")
                } else {
                    format!("{file}: no student rows below the header (row {header_row})")
                }
            }
            RosterError::TooManyRows { file, limit } => {
                if zh {
                    format!("{file} 超过 {limit} 行，未导入任何数据；请按学院或届别拆分后分别导入")
                } else {
                    format!(
                        "{file} has more than {limit} rows; nothing was imported — split it by college or cohort and import the parts"
                    )
                }
            }
            RosterError::FileTooLarge { file, size, limit } => {
                let mib = |b: &u64| b / (1 << 20);
                if zh {
                    format!(
                        "{file} 有 {} MiB，超过名单文件的上限 {} MiB（100 万名学生约 150 MB），未导入任何数据；请确认文件是否正确，或拆分后导入",
                        mib(size),
                        mib(limit)
                    )
                } else {
                    format!(
                        "{file} is {} MiB, more than a roster file can be ({} MiB; a million students take about 150 MB); nothing was imported — check that this is the right file, or split it",
                        mib(size),
                        mib(limit)
                    )
                }
            }
            RosterError::RecordTooLong { file, row, limit } => {
                let mib = *limit as f64 / (1024.0 * 1024.0);
                if zh {
                    format!(
                        "{file} 第 {row} 行超过 {mib} MiB，未导入任何数据；多半是某个引号 \" 没有配对，使其后的内容都成了一个单元格——请检查该行"
                    )
                } else {
                    format!(
                        "{file}: row {row} is longer than {mib} MiB; nothing was imported — most likely a quote \" is not closed and the rest of the file became one cell: check that row"
                    )
                }
            }
            RosterError::SheetLimit {
                file,
                sheet,
                at,
                limit,
            } => {
                let what = limit.describe(zh);
                if zh {
                    format!(
                        "{file} 的“{sheet}”中 {at} 处{what}，未导入任何数据；这不像正常的花名册，请在 Excel 中检查该处或另存为 CSV 后导入"
                    )
                } else {
                    format!(
                        "{file}, sheet '{sheet}', at {at}: {what}; nothing was imported — this does not look like a roster: check it in Excel, or save the sheet as CSV and import that"
                    )
                }
            }
            RosterError::RowTwice { file, sheet, row } => {
                if zh {
                    format!(
                        "{file} 的“{sheet}”中第 {row} 行出现了两次（或行的顺序错乱），文件已损坏，未导入任何数据；请用 Excel 或 WPS 打开并重新保存后再导入"
                    )
                } else {
                    format!(
                        "{file}, sheet '{sheet}': row {row} appears twice (or the rows are out of order), so the file is damaged; nothing was imported — open it in Excel or WPS, save it again and import that"
                    )
                }
            }
            RosterError::CellTwice { file, sheet, cell } => {
                if zh {
                    format!(
                        "{file} 的“{sheet}”中单元格 {cell} 出现了两次（或不在它所在的行中），文件已损坏，未导入任何数据；请用 Excel 或 WPS 打开并重新保存后再导入"
                    )
                } else {
                    format!(
                        "{file}, sheet '{sheet}': cell {cell} appears twice (or outside its row), so the file is damaged; nothing was imported — open it in Excel or WPS, save it again and import that"
                    )
                }
            }
            RosterError::ChooseSheet {
                file,
                sheets,
                with_header,
            } => match (with_header.is_empty(), zh) {
                (true, true) => format!(
                    "{file} 的工作表（{}）在前 {} 个非空行中都找不到表头；请确认文件，或用 --sheet 名称 指定名单所在的工作表",
                    sheets.join("、"),
                    crate::roster::HEADER_SEARCH_ROWS
                ),
                (true, false) => format!(
                    "{file}: none of its sheets ({}) has a header row in its first {} non-empty rows; check the file, or name the roster's sheet with --sheet NAME",
                    sheets.join(", "),
                    crate::roster::HEADER_SEARCH_ROWS
                ),
                (false, true) => format!(
                    "{file} 的第一个工作表没有表头，而 {} 都像名单；请用 --sheet 名称 指定要导入的工作表（全部工作表：{}）",
                    with_header.join("、"),
                    sheets.join("、")
                ),
                (false, false) => format!(
                    "{file}: its first sheet has no header row and {} all look like rosters; name the one to import with --sheet NAME (sheets: {})",
                    with_header.join(", "),
                    sheets.join(", ")
                ),
            },
            RosterError::TooManyColumns { file, row, limit } => {
                if zh {
                    format!(
                        "{file} 第 {row} 行超过 {limit} 列，未导入任何数据；这不像花名册，请检查文件"
                    )
                } else {
                    format!(
                        "{file}: row {row} has more than {limit} columns; nothing was imported — this does not look like a roster"
                    )
                }
            }
        }
    }
}

fn header_message(file: &str, problem: &HeaderProblem, zh: bool) -> String {
    match problem {
        HeaderProblem::NotFound { searched } => {
            if zh {
                format!(
                    "{file} 的前 {searched} 个非空行中找不到表头；第一行（或标题行之下）应是列名，如 学号、姓名、证件号码、学院、专业、班级、层次、辅导员、毕业年份"
                )
            } else {
                format!(
                    "{file}: no header row in the first {searched} non-empty rows; the roster needs a row of column names such as 学号/student_no, 姓名/name, 证件号码/id_number, 学院/college, 专业/major, 班级/class, 层次/level, 辅导员/counselor, 毕业年份/cohort"
                )
            }
        }
        HeaderProblem::Missing {
            header_row,
            missing,
        } => {
            let names: Vec<String> = missing
                .iter()
                .map(|f| {
                    if zh {
                        f.label_zh().to_string()
                    } else {
                        format!("{} ({})", f.label_zh(), f.code())
                    }
                })
                .collect();
            if zh {
                format!(
                    "{file} 的表头（第 {header_row} 行）缺少必需的列：{}；请补上这些列后再导入",
                    names.join("、")
                )
            } else {
                format!(
                    "{file}: the header (row {header_row}) lacks required columns: {}; add them and import again",
                    names.join(", ")
                )
            }
        }
        HeaderProblem::Duplicate {
            header_row,
            field,
            first,
            second,
        } => {
            if zh {
                format!(
                    "{file} 的表头（第 {header_row} 行）中 {first} 和 {second} 两列都是“{}”；请删除或改名其中一列",
                    field.label_zh()
                )
            } else {
                format!(
                    "{file}: in the header (row {header_row}) columns {first} and {second} both give {} ({}); delete or rename one of them",
                    field.label_zh(),
                    field.code()
                )
            }
        }
    }
}

impl crate::roster::Field {
    /// The field's name in the current UI language (the stable key in English).
    pub fn label(self) -> &'static str {
        match lang() {
            Lang::Zh => self.label_zh(),
            Lang::En => self.code(),
        }
    }
}
