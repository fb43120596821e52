//! Reading a drawn code back: terminal text (coloured or plain half blocks) → module rows →
//! a rasterised image → rqrr, an independent decoder that has to find the code on its own.

/// The part of each line that is the code: coloured lines end the code with a reset (`ESC[0m`);
/// plain lines are cut at the code's width, taken from the first line (quiet zone only).
pub fn code_lines(text: &str, coloured: bool, rows: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().take(rows).collect();
    assert_eq!(
        lines.len(),
        rows,
        "the output has fewer lines than the code: {text}"
    );
    if coloured {
        lines
            .iter()
            .map(|l| {
                let end = l
                    .find("\x1b[0m")
                    .unwrap_or_else(|| panic!("a coloured code line ends with a reset: {l:?}"));
                l[..end].to_string()
            })
            .collect()
    } else {
        let width = lines[0].chars().count();
        lines
            .iter()
            .map(|l| l.chars().take(width).collect())
            .collect()
    }
}

/// Coloured cells back to module rows (two per text line). Only the codes a correct rendering
/// uses are understood; a cell without both colours fails the test.
pub fn modules_from_ansi(lines: &[String]) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in lines {
        let (mut fg, mut bg): (Option<bool>, Option<bool>) = (None, None);
        let (mut top, mut bottom) = (Vec::new(), Vec::new());
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                assert_eq!(chars.next(), Some('['), "{line:?}");
                let params: String = chars.by_ref().take_while(|&c| c != 'm').collect();
                // Each cell sets both colours afresh, so nothing carries over from a cell before.
                (fg, bg) = (None, None);
                for p in params.split(';') {
                    match p {
                        "30" => fg = Some(true),
                        "37" => fg = Some(false),
                        "40" => bg = Some(true),
                        "47" => bg = Some(false),
                        other => panic!("unexpected SGR parameter {other:?} in {line:?}"),
                    }
                }
                continue;
            }
            let f = fg.unwrap_or_else(|| panic!("a cell without a foreground colour in {line:?}"));
            let b = bg.unwrap_or_else(|| panic!("a cell without a background colour in {line:?}"));
            let (t, u) = match c {
                '▀' => (f, b),
                '▄' => (b, f),
                '█' => (f, f),
                ' ' => (b, b),
                other => panic!("unexpected glyph {other:?}"),
            };
            top.push(t);
            bottom.push(u);
        }
        rows.push(top);
        rows.push(bottom);
    }
    rows
}

/// Plain half blocks back to module rows: the ink is dark.
pub fn modules_from_plain(lines: &[String]) -> Vec<Vec<bool>> {
    let mut rows = Vec::new();
    for line in lines {
        let cells: Vec<(bool, bool)> = line
            .chars()
            .map(|c| match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                ' ' => (false, false),
                other => panic!("unexpected glyph {other:?} in {line:?}"),
            })
            .collect();
        rows.push(cells.iter().map(|c| c.0).collect());
        rows.push(cells.iter().map(|c| c.1).collect());
    }
    rows
}

/// Finds and decodes the one QR code in a greyscale image.
pub fn decode_image(width: usize, height: usize, pixel: impl Fn(usize, usize) -> u8) -> String {
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(width, height, pixel);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "expected exactly one QR code in the image");
    let (_meta, content) = grids[0].decode().expect("the QR code decodes");
    content
}

/// Rasterises module rows (dark = black) at 4 pixels per module and decodes them.
pub fn decode_modules(rows: &[Vec<bool>]) -> String {
    const SCALE: usize = 4;
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    decode_image(width * SCALE, rows.len() * SCALE, |x, y| {
        if rows[y / SCALE].get(x / SCALE).copied().unwrap_or(false) {
            0
        } else {
            255
        }
    })
}

/// Decodes the QR code in a PNG file (any bit depth, greyscale).
pub fn decode_png(bytes: &[u8]) -> String {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a sane PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    decode_image(w, h, |x, y| buf[y * info.line_size + x])
}

/// The module rows of an SVG written by `codes export --svg` (one rectangle per dark run).
pub fn modules_from_svg(svg: &str) -> Vec<Vec<bool>> {
    let view = svg.split("viewBox=\"0 0 ").nth(1).expect("a viewBox");
    let n: usize = view
        .split(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a square viewBox");
    let d = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a path");
    let mut grid = vec![vec![false; n]; n];
    for rect in d.split('z').filter(|r| !r.is_empty()) {
        let rest = rect.strip_prefix('M').expect("M x y");
        let (xy, rest) = rest.split_once('h').expect("h");
        let (x, y) = xy.split_once(' ').expect("x y");
        let (len, _) = rest.split_once('v').expect("v");
        let (x, y, len): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), len.parse().unwrap());
        for cell in &mut grid[y][x..x + len] {
            *cell = true;
        }
    }
    grid
}
