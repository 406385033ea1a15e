//! Renders decoded ESC/POS ([`Event`]s) into what comes out of the printer: the printed text
//! lines (UTF-8, one per printed line) and a 1-bit picture of the paper, written as PNG.
//!
//! The model follows a Chinese-mode thermal printer: Font A half-width cells are 12x24 dots
//! (font B 9x17), every multi-byte GB18030 character takes a 24x24 cell, `GS !`/`ESC !` scale
//! cells, `ESC a` aligns a line as it starts, bold and double-strike are drawn twice one dot
//! apart, lines advance by the line spacing (30 dots by default) or the tallest cell, a line
//! that would overflow the paper wraps, QR codes are drawn from the stored data with the
//! `qrcode` crate, raster images from their bits. Glyphs come from [`crate::printer::font`],
//! scaled nearest-neighbour; a character the font lacks is drawn as a box.
//!
//! In the text: alignment adds no padding, trailing spaces are trimmed, a QR code is the line
//! `[QR] <data>`, a raster image `[image WxH]`, and trailing blank lines are dropped.
//!
//! Pure and bounded: no I/O, and a receipt is cut off at [`MAX_PAPER_DOTS`] rows and
//! [`MAX_LINES`] lines however much a hostile stream feeds.

use std::borrow::Cow;
use std::io;

use encoding_rs::GB18030;

use super::decode::{Align, Decoder, Event};
use super::font::{self, Font, Glyph};
use super::receipt::{PaperWidth, Receipt, ReceiptError};

/// Default line spacing in dots (`ESC 2`).
pub const DEFAULT_LINE_SPACING: u32 = 30;
/// Longest receipt rendered, in dot rows (about 8 m of paper); the rest is dropped.
pub const MAX_PAPER_DOTS: u32 = 65_536;
/// Most text lines kept for one receipt.
pub const MAX_LINES: usize = 10_000;
/// Default QR module size in dots (`GS ( k … 31 43 n`, Epson default).
const DEFAULT_QR_MODULE: u8 = 3;
/// Default QR error correction level: 48 = L.
const DEFAULT_QR_LEVEL: u8 = 48;
/// Horizontal tab stops: every 8 half-width columns.
const TAB_DOTS: u32 = 8 * 12;

/// The `[QR] <data>` text line for QR payload `data` (UTF-8, or GB18030 if it is not UTF-8;
/// control characters escaped, trailing spaces trimmed).
pub fn qr_text_line(data: &[u8]) -> String {
    let text: Cow<'_, str> = match std::str::from_utf8(data) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => GB18030.decode_without_bom_handling(data).0,
    };
    let mut line = String::from("[QR] ");
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line.truncate(line.trim_end().len());
    line
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Style {
    bold: bool,
    double_strike: bool,
    underline: u8,
    width: u8,
    height: u8,
    font_b: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { bold: false, double_strike: false, underline: 0, width: 1, height: 1, font_b: false }
    }
}

#[derive(Clone, Copy, Debug)]
struct Cell {
    ch: char,
    full: bool,
    style: Style,
    w: u32,
    h: u32,
}

#[derive(Clone, Debug)]
struct QrState {
    module: u8,
    level: u8,
    data: Option<Vec<u8>>,
}

impl Default for QrState {
    fn default() -> Self {
        QrState { module: DEFAULT_QR_MODULE, level: DEFAULT_QR_LEVEL, data: None }
    }
}

/// Paper being printed on: a growing 1-bit bitmap plus the text lines.
#[derive(Clone, Debug)]
struct Page {
    width: u32,
    stride: usize,
    bits: Vec<u8>,
    y: u32,
    lines: Vec<String>,
    inked: bool,
    truncated: bool,
}

impl Page {
    fn new(width: u32) -> Page {
        Page {
            width,
            stride: width.div_ceil(8) as usize,
            bits: Vec::new(),
            y: 0,
            lines: Vec::new(),
            inked: false,
            truncated: false,
        }
    }

    fn set(&mut self, x: u32, y: u32) {
        if x >= self.width {
            return;
        }
        if y >= MAX_PAPER_DOTS {
            self.truncated = true;
            return;
        }
        let index = y as usize * self.stride + x as usize / 8;
        if index >= self.bits.len() {
            // Grow in steps of 256 rows.
            let rows = (y as usize + 256).min(MAX_PAPER_DOTS as usize);
            self.bits.resize(rows * self.stride, 0);
        }
        if let Some(byte) = self.bits.get_mut(index) {
            *byte |= 0x80 >> (x % 8);
            self.inked = true;
        }
    }

    fn fill(&mut self, x: u32, y: u32, w: u32, h: u32) {
        for yy in y..y.saturating_add(h) {
            for xx in x..x.saturating_add(w).min(self.width) {
                self.set(xx, yy);
            }
        }
    }

    fn advance(&mut self, dots: u32) {
        let y = self.y as u64 + dots as u64;
        if y > MAX_PAPER_DOTS as u64 {
            self.truncated = true;
        }
        self.y = y.min(MAX_PAPER_DOTS as u64) as u32;
    }

    fn push_line(&mut self, line: String) {
        if self.lines.len() < MAX_LINES {
            self.lines.push(line);
        } else {
            self.truncated = true;
        }
    }

    fn into_receipt(self) -> RenderedReceipt {
        let height = self.y.max(1);
        let mut bits = self.bits;
        bits.resize(height as usize * self.stride, 0);
        let mut lines = self.lines;
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        RenderedReceipt { lines, width: self.width, height, stride: self.stride, bits, truncated: self.truncated }
    }
}

/// One cut receipt as rendered: text lines and the paper bitmap.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedReceipt {
    lines: Vec<String>,
    width: u32,
    height: u32,
    stride: usize,
    bits: Vec<u8>,
    truncated: bool,
}

impl RenderedReceipt {
    /// The printed text lines.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }

    /// The lines joined with `\n`, with a final newline (empty for a receipt without lines).
    pub fn text(&self) -> String {
        let mut s = self.lines.join("\n");
        if !s.is_empty() {
            s.push('\n');
        }
        s
    }

    /// Paper width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Paper length in dots.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Whether the dot at (`x`, `y`) is black.
    pub fn is_ink(&self, x: u32, y: u32) -> bool {
        if x >= self.width || y >= self.height {
            return false;
        }
        let index = y as usize * self.stride + x as usize / 8;
        self.bits.get(index).is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }

    /// Number of black dots.
    pub fn ink_dots(&self) -> usize {
        self.bits.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// Nothing printed: no text and no ink (a cut on blank paper).
    pub fn is_blank(&self) -> bool {
        self.lines.iter().all(|l| l.is_empty()) && self.ink_dots() == 0
    }

    /// The receipt was longer than the renderer keeps and was cut short.
    pub fn truncated(&self) -> bool {
        self.truncated
    }

    /// The paper as a 1-bit greyscale PNG (white paper, black print).
    pub fn to_png(&self) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let mut writer = encoder.write_header().map_err(io::Error::other)?;
        // PNG greyscale: 0 is black. Our bits: 1 is ink.
        let data: Vec<u8> = self.bits.iter().map(|b| !b).collect();
        writer.write_image_data(&data).map_err(io::Error::other)?;
        writer.finish().map_err(io::Error::other)?;
        Ok(out)
    }
}

/// Applies [`Event`]s to a simulated print head and paper; yields a [`RenderedReceipt`] per cut.
pub struct Renderer {
    font: &'static Font<'static>,
    width: u32,
    style: Style,
    align: Align,
    chinese: bool,
    line_spacing: Option<u8>,
    qr: QrState,
    text_decoder: Option<encoding_rs::Decoder>,
    line: Vec<Cell>,
    line_dots: u32,
    line_align: Align,
    page: Page,
}

impl Renderer {
    pub fn new(width: PaperWidth) -> Renderer {
        Renderer::with_dots(width.dots())
    }

    /// A renderer for paper `dots` wide (at least 8).
    pub fn with_dots(dots: u32) -> Renderer {
        let width = dots.max(8);
        Renderer {
            font: font::builtin(),
            width,
            style: Style::default(),
            align: Align::Left,
            chinese: true,
            line_spacing: None,
            qr: QrState::default(),
            text_decoder: None,
            line: Vec::new(),
            line_dots: 0,
            line_align: Align::Left,
            page: Page::new(width),
        }
    }

    /// Paper width in dots.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Whether anything has been printed on the current (uncut) receipt.
    pub fn has_content(&self) -> bool {
        !self.line.is_empty() || !self.page.lines.is_empty() || self.page.inked || self.page.y > 0
    }

    /// Applies one event; returns the finished receipt when the event is a cut.
    pub fn apply(&mut self, event: &Event) -> Option<RenderedReceipt> {
        match event {
            Event::Text(bytes) => self.text(bytes),
            Event::LineFeed => self.print_line(None),
            Event::Tab => self.tab(),
            Event::Init => self.init(),
            Event::Bold(on) => self.style.bold = *on,
            Event::Underline(n) => self.style.underline = (*n).min(2),
            Event::DoubleStrike(on) => self.style.double_strike = *on,
            Event::Size { w, h } => {
                self.style.width = (*w).clamp(1, 8);
                self.style.height = (*h).clamp(1, 8);
            }
            Event::PrintMode(n) => {
                self.style.font_b = n & 0x01 != 0;
                self.style.bold = n & 0x08 != 0;
                self.style.height = if n & 0x10 != 0 { 2 } else { 1 };
                self.style.width = if n & 0x20 != 0 { 2 } else { 1 };
                self.style.underline = if n & 0x80 != 0 { 1 } else { 0 };
            }
            Event::Font(n) => self.style.font_b = matches!(n, 1 | 49),
            Event::Align(a) => self.align = *a,
            Event::Feed(n) => {
                if *n == 0 {
                    if !self.line.is_empty() {
                        self.print_line(None);
                    }
                } else {
                    for _ in 0..*n {
                        self.print_line(None);
                    }
                }
            }
            Event::FeedDots(n) => {
                if self.line.is_empty() && self.text_decoder.is_none() {
                    self.page.advance(*n as u32);
                } else {
                    self.print_line(Some(*n as u32));
                }
            }
            Event::LineSpacing(s) => self.line_spacing = *s,
            Event::Cut { feed, .. } => {
                self.flush_line();
                self.page.advance(*feed as u32);
                return Some(self.take_page());
            }
            Event::QrModel(_) => {}
            Event::QrSize(n) => self.qr.module = *n,
            Event::QrErrorLevel(n) => self.qr.level = *n,
            Event::QrStore(data) => self.qr.data = Some(data.clone()),
            Event::QrPrint => self.print_qr(),
            Event::Raster { width_bytes, height, mode, data } => self.raster(*width_bytes, *height, *mode, data),
            Event::ChineseMode(on) => {
                self.flush_decoder();
                self.chinese = *on;
            }
            Event::StatusRequest(_)
            | Event::AutoStatus(_)
            | Event::Other(_)
            | Event::Unknown(_)
            | Event::Oversized { .. } => {}
        }
        None
    }

    /// The receipt printed so far (the pending line included) without a cut; starts a new one.
    pub fn finish(&mut self) -> RenderedReceipt {
        self.flush_line();
        self.take_page()
    }

    /// Throws away the uncut receipt and the pending line (paper torn off); modes are kept.
    pub fn discard_page(&mut self) {
        self.text_decoder = None;
        self.line.clear();
        self.line_dots = 0;
        self.page = Page::new(self.width);
    }

    fn take_page(&mut self) -> RenderedReceipt {
        std::mem::replace(&mut self.page, Page::new(self.width)).into_receipt()
    }

    fn init(&mut self) {
        // ESC @ clears the line buffer and resets modes; what is already on the paper stays.
        self.text_decoder = None;
        self.line.clear();
        self.line_dots = 0;
        self.style = Style::default();
        self.align = Align::Left;
        self.chinese = true;
        self.line_spacing = None;
        self.qr = QrState::default();
    }

    fn text(&mut self, bytes: &[u8]) {
        if self.chinese {
            let decoder = self.text_decoder.get_or_insert_with(|| GB18030.new_decoder_without_bom_handling());
            let decoded = decode_chunk(decoder, bytes, false);
            for c in decoded.chars() {
                self.put_char(c, !c.is_ascii());
            }
        } else {
            for &b in bytes {
                let c = if b.is_ascii() {
                    b as char
                } else {
                    encoding_rs::WINDOWS_1252.decode_without_bom_handling(&[b]).0.chars().next().unwrap_or('\u{FFFD}')
                };
                self.put_char(c, false);
            }
        }
    }

    /// Ends a multi-byte character cut short (it prints as U+FFFD).
    fn flush_decoder(&mut self) {
        if let Some(mut decoder) = self.text_decoder.take() {
            let rest = decode_chunk(&mut decoder, &[], true);
            for c in rest.chars() {
                self.put_char(c, !c.is_ascii());
            }
        }
    }

    fn put_char(&mut self, ch: char, full: bool) {
        let (bw, bh) = if full {
            (24, 24)
        } else if self.style.font_b {
            (9, 17)
        } else {
            (12, 24)
        };
        let cell =
            Cell { ch, full, style: self.style, w: bw * self.style.width as u32, h: bh * self.style.height as u32 };
        if self.line_dots + cell.w > self.width && !self.line.is_empty() {
            self.print_line(None); // the printer wraps a full line by itself
        }
        self.push_cell(cell);
    }

    fn push_cell(&mut self, cell: Cell) {
        if self.line.is_empty() {
            self.line_align = self.align;
        }
        self.line_dots += cell.w;
        self.line.push(cell);
    }

    fn tab(&mut self) {
        let stop = (self.line_dots / TAB_DOTS + 1) * TAB_DOTS;
        if stop <= self.width {
            let w = stop - self.line_dots;
            self.push_cell(Cell { ch: '\t', full: false, style: Style::default(), w, h: 0 });
        }
    }

    /// Prints the pending line if there is one (before a QR code, an image or a cut).
    fn flush_line(&mut self) {
        if !self.line.is_empty() || self.text_decoder.is_some() {
            self.print_line(None);
        }
    }

    /// Prints the line buffer (possibly empty) and advances the paper by the line height, or by
    /// `advance` dots (`ESC J`).
    fn print_line(&mut self, advance: Option<u32>) {
        self.flush_decoder();
        let cells = std::mem::take(&mut self.line);
        let line_dots = std::mem::take(&mut self.line_dots);
        let mut text = String::new();
        for cell in &cells {
            if cell.ch == '\t' {
                text.extend(std::iter::repeat_n(' ', (cell.w / 12).max(1) as usize));
            } else {
                text.push(cell.ch);
            }
        }
        text.truncate(text.trim_end().len());
        self.page.push_line(text);

        let content = cells.iter().map(|c| c.h).max().unwrap_or(0);
        let spacing = self.line_spacing.map_or(DEFAULT_LINE_SPACING, u32::from);
        let top = self.page.y;
        let mut x = self.x_for(line_dots, self.line_align);
        for cell in &cells {
            self.draw_cell(cell, x, top + content - cell.h);
            x += cell.w;
        }
        self.page.advance(advance.unwrap_or(content.max(spacing)));
    }

    fn x_for(&self, width: u32, align: Align) -> u32 {
        let free = self.width.saturating_sub(width);
        match align {
            Align::Left => 0,
            Align::Center => free / 2,
            Align::Right => free,
        }
    }

    fn draw_cell(&mut self, cell: &Cell, x: u32, y: u32) {
        let (sx, sy) = (cell.style.width as u32, cell.style.height as u32);
        if cell.ch != ' ' && cell.ch != '\t' {
            let twice = cell.style.bold || cell.style.double_strike;
            match self.font.glyph(cell.ch) {
                Some(glyph) => {
                    // A half-width glyph in a full-width cell is centred in it.
                    let (gx, gw) = if cell.full && glyph.width() == 8 { (x + 6 * sx, 12 * sx) } else { (x, cell.w) };
                    self.draw_glyph(&glyph, gx, y, gw, cell.h, twice);
                }
                None => self.draw_box(x, y, cell.w, cell.h, 2 * sx.min(sy)),
            }
        }
        if cell.style.underline > 0 && cell.ch != '\t' {
            let u = cell.style.underline as u32;
            self.page.fill(x, y + cell.h.saturating_sub(u), cell.w, u);
        }
    }

    /// Draws `glyph` scaled (nearest neighbour) into the `w` x `h` rectangle at (`x`, `y`).
    fn draw_glyph(&mut self, glyph: &Glyph<'_>, x: u32, y: u32, w: u32, h: u32, twice: bool) {
        for ty in 0..h {
            let gy = ty * glyph.height() / h;
            for tx in 0..w {
                let gx = tx * glyph.width() / w;
                if glyph.pixel(gx, gy) {
                    self.page.set(x + tx, y + ty);
                    if twice {
                        self.page.set(x + tx + 1, y + ty);
                    }
                }
            }
        }
    }

    /// The missing-glyph box: an outline inset by `inset` dots.
    fn draw_box(&mut self, x: u32, y: u32, w: u32, h: u32, inset: u32) {
        if w <= 2 * inset || h <= 2 * inset {
            return;
        }
        let (x0, y0, x1, y1) = (x + inset, y + inset, x + w - inset - 1, y + h - inset - 1);
        for xx in x0..=x1 {
            self.page.set(xx, y0);
            self.page.set(xx, y1);
        }
        for yy in y0..=y1 {
            self.page.set(x0, yy);
            self.page.set(x1, yy);
        }
    }

    fn print_qr(&mut self) {
        self.flush_line();
        let Some(data) = self.qr.data.clone() else {
            tracing::debug!("qr print without stored data; nothing printed");
            return;
        };
        let level = match self.qr.level {
            49 => qrcode::EcLevel::M,
            50 => qrcode::EcLevel::Q,
            51 => qrcode::EcLevel::H,
            _ => qrcode::EcLevel::L,
        };
        match qrcode::QrCode::with_error_correction_level(&data, level) {
            Ok(code) => {
                let n = code.width() as u32;
                let mut module = (self.qr.module as u32).clamp(1, 16);
                while module > 1 && n * module > self.width {
                    module -= 1;
                }
                let size = n * module;
                let x0 = self.x_for(size, self.align);
                let y0 = self.page.y;
                for (i, color) in code.to_colors().iter().enumerate() {
                    if *color == qrcode::Color::Dark {
                        let (mx, my) = (i as u32 % n, i as u32 / n);
                        self.page.fill(x0 + mx * module, y0 + my * module, module, module);
                    }
                }
                self.page.advance(size);
                self.page.push_line(qr_text_line(&data));
            }
            Err(e) => {
                tracing::debug!(error = %e, len = data.len(), "qr data cannot be encoded; nothing printed");
                let line = qr_text_line(&data).replacen("[QR]", "[QR invalid]", 1);
                self.page.push_line(line);
            }
        }
    }

    fn raster(&mut self, width_bytes: u16, height: u16, mode: u8, data: &[u8]) {
        self.flush_line();
        let (sx, sy) = (1 + (mode & 1) as u32, 1 + ((mode >> 1) & 1) as u32);
        let (w, h) = (width_bytes as u32 * 8, height as u32);
        let x0 = self.x_for(w * sx, self.align);
        let y0 = self.page.y;
        let stride = width_bytes as usize;
        for row in 0..height as usize {
            for xb in 0..stride {
                let Some(&byte) = data.get(row * stride + xb) else { continue };
                if byte == 0 {
                    continue;
                }
                for bit in 0..8u32 {
                    if byte & (0x80 >> bit) != 0 {
                        let x = (xb as u32 * 8 + bit) * sx;
                        if x0 + x < self.width {
                            self.page.fill(x0 + x, y0 + row as u32 * sy, sx, sy);
                        }
                    }
                }
            }
        }
        self.page.advance(h * sy);
        self.page.push_line(format!("[image {w}x{h}]"));
    }
}

/// Decodes one chunk with a streaming decoder, growing the output as needed.
fn decode_chunk(decoder: &mut encoding_rs::Decoder, mut bytes: &[u8], last: bool) -> String {
    let mut out = String::with_capacity(decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 3 + 16));
    loop {
        let (result, read, _) = decoder.decode_to_string(bytes, &mut out, last);
        bytes = &bytes[read.min(bytes.len())..];
        match result {
            encoding_rs::CoderResult::InputEmpty => return out,
            encoding_rs::CoderResult::OutputFull => out.reserve(bytes.len() * 3 + 16),
        }
    }
}

/// Renders a byte stream: one [`RenderedReceipt`] per cut, plus whatever was printed after the
/// last cut if anything was.
pub fn render(bytes: &[u8], width: PaperWidth) -> Vec<RenderedReceipt> {
    let mut decoder = Decoder::new();
    decoder.push(bytes);
    let mut renderer = Renderer::new(width);
    let mut out = Vec::new();
    while let Some(event) = decoder.next_event() {
        if let Some(receipt) = renderer.apply(&event) {
            out.push(receipt);
        }
    }
    let rest = renderer.finish();
    if !rest.is_blank() {
        out.push(rest);
    }
    out
}

/// Renders a receipt as the printer would print it (a preview).
pub fn render_receipt(receipt: &Receipt) -> Result<RenderedReceipt, ReceiptError> {
    let bytes = receipt.encode()?;
    let mut decoder = Decoder::new();
    decoder.push(&bytes);
    let mut renderer = Renderer::new(receipt.width());
    while let Some(event) = decoder.next_event() {
        if let Some(done) = renderer.apply(&event) {
            return Ok(done);
        }
    }
    Ok(renderer.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::decode::tests::XorShift;
    use crate::printer::receipt::test_page;

    fn ink_in(r: &RenderedReceipt, x0: u32, y0: u32, w: u32, h: u32) -> usize {
        let mut n = 0;
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                n += r.is_ink(x, y) as usize;
            }
        }
        n
    }

    fn gb(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    fn one(bytes: &[u8]) -> RenderedReceipt {
        let mut all = render(bytes, PaperWidth::Mm58);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn test_page_text_matches_the_receipt_lines() {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let page = test_page(width);
            let r = render_receipt(&page).unwrap();
            assert_eq!(r.lines(), page.lines().as_slice());
            assert_eq!(r.width(), width.dots());
            assert!(r.height() > 600, "{}", r.height());
            assert!(r.ink_dots() > 10_000);
            assert!(!r.truncated());
            assert!(r.text().starts_with("打印机测试页\n"));
        }
    }

    #[test]
    fn chinese_text_is_drawn_in_full_width_cells() {
        let mut bytes = gb("中a");
        bytes.push(b'\n');
        let r = one(&bytes);
        assert_eq!(r.lines(), ["中a"]);
        assert_eq!(r.height(), DEFAULT_LINE_SPACING);
        assert!(ink_in(&r, 0, 0, 24, 24) > 60, "中 drawn in the first 24 dots");
        assert!(ink_in(&r, 24, 0, 12, 24) > 10, "a drawn in the next 12");
        assert_eq!(ink_in(&r, 36, 0, 384 - 36, 30), 0);
        // The vertical stroke of 中 runs through the cell's middle.
        assert!((0..24).filter(|&y| r.is_ink(11, y) || r.is_ink(12, y)).count() >= 18);
    }

    #[test]
    fn alignment_bold_and_size() {
        let mut bytes = vec![0x1B, b'a', 1, b'X', b'\n', 0x1B, b'a', 2, b'X', b'\n'];
        bytes.extend_from_slice(&[0x1B, b'a', 0, b'X', b'\n', 0x1B, b'E', 1, b'X', b'\n', 0x1B, b'E', 0]);
        bytes.extend_from_slice(&[0x1D, b'!', 0x11, b'X', b'\n']);
        let r = one(&bytes);
        assert_eq!(r.lines(), ["X", "X", "X", "X", "X"]);
        let row = |i: u32| i * DEFAULT_LINE_SPACING;
        assert!(ink_in(&r, 186, row(0), 12, 24) > 0 && ink_in(&r, 0, row(0), 186, 24) == 0, "centred");
        assert!(ink_in(&r, 372, row(1), 12, 24) > 0 && ink_in(&r, 0, row(1), 372, 24) == 0, "right");
        let plain = ink_in(&r, 0, row(2), 24, 24);
        let bold = ink_in(&r, 0, row(3), 24, 24);
        assert!(plain > 0 && bold > plain, "{plain} {bold}");
        // Double width and height: 24x48 cell, line advance 48.
        assert!(ink_in(&r, 0, row(4), 24, 48) > plain * 3);
        assert_eq!(r.height(), row(4) + 48);
    }

    #[test]
    fn full_lines_wrap_and_feeds_make_blank_lines() {
        let mut bytes = vec![b'a'; 40];
        bytes.extend_from_slice(&[0x1B, b'd', 3, b'b', 0x1B, b'd', 1, 0x1B, b'd', 4]);
        let r = one(&bytes);
        assert_eq!(r.lines(), ["a".repeat(32), "a".repeat(8), String::new(), String::new(), "b".to_string()]);
    }

    #[test]
    fn qr_codes_are_drawn_and_listed() {
        let receipt = Receipt::new(PaperWidth::Mm58).line("上").qr("https://example.invalid/q").line("下");
        let r = render_receipt(&receipt).unwrap();
        assert_eq!(r.lines(), ["上", "[QR] https://example.invalid/q", "下"]);
        // Version 2 (25 modules) at the chosen module size, centred under the first line.
        let code =
            qrcode::QrCode::with_error_correction_level("https://example.invalid/q", qrcode::EcLevel::M).unwrap();
        let n = code.width() as u32;
        let module = (384 / (n + 8)).min(6);
        let size = n * module;
        let (x0, y0) = ((384 - size) / 2, DEFAULT_LINE_SPACING);
        // Finder pattern: the top-left module row is dark for 7 modules, then light.
        for m in 0..7 {
            assert!(r.is_ink(x0 + m * module + module / 2, y0 + module / 2), "module {m}");
        }
        assert!(!r.is_ink(x0 + 7 * module + module / 2, y0 + module / 2));
        assert_eq!(r.height(), y0 + size + DEFAULT_LINE_SPACING + 2 * DEFAULT_LINE_SPACING);
    }

    #[test]
    fn raster_images_are_drawn_from_their_bits() {
        let mut bytes = vec![0x1D, b'v', b'0', 0, 2, 0, 2, 0];
        bytes.extend_from_slice(&[0xFF, 0x00, 0x00, 0x01]);
        bytes.extend_from_slice(&[0x1D, b'V', 0]);
        let r = one(&bytes);
        assert_eq!(r.lines(), ["[image 16x2]"]);
        assert_eq!(r.ink_dots(), 9);
        assert!(r.is_ink(0, 0) && r.is_ink(7, 0) && !r.is_ink(8, 0) && r.is_ink(15, 1));
        // Quadruple mode doubles both ways.
        let r = one(&[0x1D, b'v', b'0', 3, 1, 0, 1, 0, 0x80, 0x0A]);
        assert_eq!(r.ink_dots(), 4);
    }

    #[test]
    fn missing_glyphs_are_boxes_and_broken_text_is_replaced() {
        // U+1F600 is valid GB18030 (four bytes) but not in the font.
        let mut bytes = gb("\u{1F600}");
        bytes.extend_from_slice(&[0x81, b'\n']); // a lead byte cut short by LF
        let r = one(&bytes);
        assert_eq!(r.lines(), ["\u{1F600}\u{FFFD}"]);
        assert!(r.is_ink(2, 2) && r.is_ink(21, 21) && !r.is_ink(12, 12), "box outline");
    }

    #[test]
    fn blank_cuts_and_outside_chinese_mode() {
        let all = render(&[0x1D, b'V', 0, 0x1D, b'V', 1, b'x', 0x1D, b'V', 0], PaperWidth::Mm58);
        assert_eq!(all.len(), 3);
        assert!(all[0].is_blank() && all[1].is_blank());
        assert_eq!(all[2].lines(), ["x"]);
        let r = one(&[0x1C, b'.', b'a', 0xE9, b'\n']);
        assert_eq!(r.lines(), ["aé"]);
        assert!(ink_in(&r, 24, 0, 24, 24) == 0, "é took a half-width cell");
    }

    #[test]
    fn png_round_trips() {
        let r = render_receipt(&test_page(PaperWidth::Mm80)).unwrap();
        let png_bytes = r.to_png().unwrap();
        assert!(png_bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
        let mut reader = png::Decoder::new(png_bytes.as_slice()).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (576, r.height()));
        assert_eq!(info.bit_depth, png::BitDepth::One);
        // First row byte by byte: inverted ink bits.
        for x in 0..576 {
            let white = buf[x / 8] & (0x80 >> (x % 8)) != 0;
            assert_eq!(white, !r.is_ink(x as u32, 0));
        }
    }

    #[test]
    fn hostile_streams_stay_bounded() {
        // Endless feeds are cut off at the maximum paper length.
        let mut bytes = Vec::new();
        for _ in 0..2000 {
            bytes.extend_from_slice(&[0x1B, b'd', 255, b'x', 0x1B, b'J', 255]);
        }
        let r = one(&bytes);
        assert!(r.truncated());
        assert_eq!(r.height(), MAX_PAPER_DOTS);
        assert!(r.lines().len() <= MAX_LINES);
        // Random events never panic.
        let mut rng = XorShift(42);
        let mut renderer = Renderer::new(PaperWidth::Mm80);
        let mut decoder = Decoder::new();
        let alphabet = [0x1B, 0x1D, 0x1C, 0x0A, b'!', b'v', b'0', b'(', b'k', 0x31, 0x51, 0x50, b'a', b'J', 0xFF, 0x81];
        for _ in 0..200 {
            let chunk: Vec<u8> =
                (0..1000).map(|_| if rng.below(2) == 0 { rng.byte() } else { alphabet[rng.below(16)] }).collect();
            decoder.push(&chunk);
            while let Some(e) = decoder.next_event() {
                if let Some(r) = renderer.apply(&e) {
                    assert!(r.height() <= MAX_PAPER_DOTS);
                    r.to_png().unwrap();
                }
            }
        }
        renderer.finish().to_png().unwrap();
    }
}
