//! Masking exactly as docs/masking.md: what collection codes carry, what the QR screen shows and what
//! exports show by default.

use std::borrow::Cow;

use super::name::{is_mark, is_name_separator};

/// Masks a name letter by letter; separators (`·`, space, `-`) stay in place.
///
/// Every character that is not a separator counts as a letter (Han characters of any CJK block,
/// Latin letters with or without accents, anything else). Combining accents and variation
/// selectors belong to the letter before them: shown with it, or gone with it under its `*`.
/// 1 letter: shown. 2 letters: the first shown, the second `*`. 3 or more: the first and the last
/// shown, one `*` for each letter between.
pub fn mask_name(name: &str) -> String {
    let mut letters = 0usize;
    let mut prev = None;
    for c in name.chars() {
        if opens_letter(prev, c) {
            letters += 1;
        }
        prev = Some(c);
    }

    let mut out = String::with_capacity(name.len());
    let mut index = 0usize;
    let mut current_shown = false;
    let mut prev = None;
    for c in name.chars() {
        if is_name_separator(c) {
            out.push(c);
        } else if opens_letter(prev, c) {
            current_shown = index == 0 || (letters >= 3 && index == letters - 1);
            out.push(if current_shown { c } else { '*' });
            index += 1;
        } else if current_shown {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

/// A character opens a new letter unless it is a separator or a mark attached to a letter.
fn opens_letter(prev: Option<char>, c: char) -> bool {
    let attached_mark = is_mark(c) && prev.is_some_and(|p| !is_name_separator(p));
    !is_name_separator(c) && !attached_mark
}

/// Masks a document number: exactly five `*` and the last four characters in upper case
/// (`*****8746`, `*****002X`), whatever the document, so neither its length nor its type leaks.
/// Numbers shorter than four characters keep all of them after the stars.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let tail = &chars[chars.len().saturating_sub(4)..];
    let mut out = String::from("*****");
    out.extend(tail.iter().flat_map(|c| c.to_uppercase()));
    out
}

/// Masks the ID numbers in a file path (a photo named by its student's ID number) as [`mask_id`]
/// does: `2022/44010620040315001X.jpg` → `2022/*****001X.jpg`. The path is read as runs of ASCII
/// letters and digits; a run is masked whole when it equals `owner_id` (the ID number of the
/// student the file belongs to, any document type, any case), and within a run every stretch of
/// digits shaped like a resident ID number (18 characters with a final `X`, or 15 digits) is
/// masked, whoever it belongs to. Everything else stays as it is.
pub fn mask_ids_in_path<'a>(path: &'a str, owner_id: Option<&str>) -> Cow<'a, str> {
    let owner = owner_id
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_ascii_uppercase);
    let mut out = String::new();
    let mut copied = 0;
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let run = &path[start..i];
        let mut masks: Vec<(usize, usize)> = Vec::new();
        if owner.as_deref() == Some(run.to_ascii_uppercase().as_str()) {
            masks.push((start, i));
        } else {
            masks.extend(
                resident_shapes(run)
                    .into_iter()
                    .map(|(a, b)| (start + a, start + b)),
            );
        }
        for (a, b) in masks {
            out.push_str(&path[copied..a]);
            out.push_str(&mask_id(&path[a..b]));
            copied = b;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(path);
    }
    out.push_str(&path[copied..]);
    Cow::Owned(out)
}

/// The byte ranges of `run` (ASCII letters and digits) shaped like a resident ID number: a
/// stretch of exactly 17 digits followed by `X`, of exactly 18 digits, or of exactly 15 digits.
fn resident_shapes(run: &str) -> Vec<(usize, usize)> {
    let b = run.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = i - start;
        if digits == 17 && i < b.len() && b[i].eq_ignore_ascii_case(&b'X') {
            i += 1;
            found.push((start, i));
        } else if digits == 18 || digits == 15 {
            found.push((start, i));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_names_as_the_spec_says() {
        let cases = [
            // docs/masking.md examples.
            ("张三", "张*"),
            ("李世民", "李*民"),
            ("欧阳娜娜", "欧**娜"),
            ("买买提·艾力", "买**·*力"),
            ("John Smith", "J*** ****h"),
            // Compound surnames are letters like any other.
            ("司马相如", "司**如"),
            ("诸葛亮", "诸*亮"),
            ("司马光", "司*光"),
            // Middle-dot names.
            ("阿依古丽·买买提", "阿***·**提"),
            ("迪丽热巴·迪力木拉提", "迪***·****提"),
            ("艾·力", "艾·*"),
            ("艾力·买", "艾*·买"),
            // One letter.
            ("张", "张"),
            ("A", "A"),
            ("𠮷", "𠮷"),
            // CJK extension characters and variation sequences.
            ("𠮷田", "𠮷*"),
            ("王𠀀𪚥", "王*𪚥"),
            ("邉\u{E0101}見", "邉\u{E0101}*"),
            ("渡邉\u{E0101}", "渡*"),
            // Latin names with hyphens and accents.
            ("Anne-Marie Li", "A***-***** *i"),
            ("Li", "L*"),
            ("Al-Ali", "A*-**i"),
            ("José Martínez", "J*** *******z"),
            ("Zoë", "Z*ë"),
            ("Jose\u{301} Li", "J*** *i"),
            ("Le\u{301}a", "L*a"),
            // Other characters count as letters.
            ("张3三", "张*三"),
            ("", ""),
            ("·", "·"),
        ];
        for (name, want) in cases {
            assert_eq!(mask_name(name), want, "name {name:?}");
        }
    }

    /// The roster refuses what would let a masked name show the whole name: names of one letter,
    /// and letters made of blank fillers, invisible characters or piled-up marks that pad a
    /// one-letter name out to look like more.
    #[test]
    fn a_masked_name_never_equals_the_full_name() {
        let names = [
            "张三",
            "𠮷田",
            "邉\u{E0101}見",
            "Le\u{301}a",
            "Nguye\u{302}\u{303}n Li",
            "买买提·艾力",
            "Al-Ali",
            "张\u{3164}",
            "\u{3164}\u{3164}",
            "张\u{115F}",
            "张\u{200B}\u{200B}",
            "张\u{E0020}\u{E0020}",
            "张\u{301}\u{301}\u{301}\u{301}",
            "张\u{E000}",
            "张\u{2028}",
            "张",
            "J",
        ];
        for name in names {
            if let Ok(kept) = crate::domain::validate_name(name) {
                assert_ne!(mask_name(&kept), kept, "{name:?} was accepted");
            }
        }
        let accepted = names
            .iter()
            .filter(|n| crate::domain::validate_name(n).is_ok())
            .count();
        assert_eq!(accepted, 7, "the first seven are real names");
    }

    #[test]
    fn masks_a_fifty_letter_name_with_one_star_per_hidden_letter() {
        let name = format!("阿{}提", "依".repeat(48));
        let masked = mask_name(&name);
        assert_eq!(masked, format!("阿{}提", "*".repeat(48)));
        assert_eq!(masked.chars().count(), 50);
        let with_dot = format!("{}·{}", "买".repeat(25), "艾".repeat(24));
        assert_eq!(
            mask_name(&with_dot),
            format!("买{}·{}艾", "*".repeat(24), "*".repeat(23))
        );
    }

    #[test]
    fn masked_names_never_show_a_middle_letter() {
        let names = [
            "欧阳娜娜",
            "迪丽热巴·迪力木拉提",
            "Anne-Marie Li",
            "司马相如",
        ];
        for name in names {
            let letters: Vec<char> = name.chars().filter(|c| !is_name_separator(*c)).collect();
            let masked = mask_name(name);
            let shown: Vec<char> = masked
                .chars()
                .filter(|c| *c != '*' && !is_name_separator(*c))
                .collect();
            assert_eq!(
                shown,
                [letters[0], letters[letters.len() - 1]],
                "{name} -> {masked}"
            );
            assert_eq!(masked.chars().count(), name.chars().count(), "{name}");
        }
    }

    #[test]
    fn masks_every_document_type_to_five_stars_and_four_characters() {
        let cases = [
            ("110101199003078746", "*****8746"), // 居民身份证
            ("11010519491231002X", "*****002X"), // 居民身份证, X check
            ("11010519491231002x", "*****002X"), // lower-case x shows as X
            ("810000199901011236", "*****1236"), // 港澳台居民居住证
            ("H12345678", "*****5678"),          // 港澳居民来往内地通行证, 9
            ("M1234567890", "*****7890"),        // 港澳居民来往内地通行证, 11
            ("12345678", "*****5678"),           // 台湾居民来往大陆通行证
            ("E12345678", "*****5678"),          // 护照 (Chinese)
            ("ea123456x", "*****456X"),          // 护照, lower case
            ("X1234", "*****1234"),              // 护照, shortest
            ("911840199501011236", "*****1236"), // 外国人永久居留身份证 (2017)
            ("USA119501011234", "*****1234"),    // 外国人永久居留身份证 (old)
            ("ABCD", "*****ABCD"),
            ("ab1", "*****AB1"),
            ("7", "*****7"),
            ("", "*****"),
            (" 110101199003078746 ", "*****8746"),
        ];
        for (id, want) in cases {
            assert_eq!(mask_id(id), want, "id {id:?}");
        }
    }

    #[test]
    fn id_numbers_in_photo_paths_are_masked() {
        let cases = [
            // named by ID number, the legacy way: the ID part only
            ("44010620040315001X.jpg", None, "*****001X.jpg"),
            ("a/44010620040315001x.JPG", None, "a/*****001X.JPG"),
            (
                "临床2301/440106200403158746.jpeg",
                None,
                "临床2301/*****8746.jpeg",
            ),
            (
                "张三_440106200403158746 (2).jpg",
                None,
                "张三_*****8746 (2).jpg",
            ),
            ("IMG440106200403158746.jpg", None, "IMG*****8746.jpg"),
            // a first-generation 15-digit number
            ("440106040315874.jpg", None, "*****5874.jpg"),
            // an ID number as a folder
            ("440106200403158746/front.jpg", None, "*****8746/front.jpg"),
            // the owner's document of another type, any case
            ("EA1234567.jpg", Some("EA1234567"), "*****4567.jpg"),
            ("h1234567890.jpg", Some("H1234567890"), "*****7890.jpg"),
            ("87654321.jpg", Some("87654321"), "*****4321.jpg"),
            // 学号, serials, session-shot names and other numbers stay
            ("2022010101.jpg", None, "2022010101.jpg"),
            (
                "2022010101.jpg",
                Some("440106200403158746"),
                "2022010101.jpg",
            ),
            ("3-017.jpg", None, "3-017.jpg"),
            ("1234567890123456.jpg", None, "1234567890123456.jpg"),
            ("1234567890123456789.jpg", None, "1234567890123456789.jpg"),
            ("EA1234567.jpg", None, "EA1234567.jpg"),
            ("Thumbs.db", None, "Thumbs.db"),
            ("", Some(""), ""),
        ];
        for (path, owner, want) in cases {
            assert_eq!(mask_ids_in_path(path, owner), want, "{path:?} {owner:?}");
        }
    }
}
