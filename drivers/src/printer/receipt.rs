//! Receipt layout and ESC/POS encoding.
//!
//! A [`Receipt`] is built fluently from blocks (title, lines, key/value pairs, separators, a QR
//! code), laid out in printer columns and encoded to the bytes a Chinese-market ESC/POS printer
//! expects: `ESC @`, `FS &` (Chinese mode), GB18030 text, native `GS ( k` QR codes, a feed and a
//! cut. Encoding goes through the `escpos` crate with a capturing driver, so this module does no
//! I/O; [`crate::printer::transport`] sends the bytes.
//!
//! Columns: Font A prints ASCII in 12x24-dot cells and, in Chinese mode, *every* non-ASCII
//! character (anything GB18030 encodes with two or four bytes: 汉字, `，`, but also `é` or `°`)
//! in a 24x24 cell. So a half-width column is 12 dots: 32 columns on 58 mm paper (384 dots),
//! 48 on 80 mm (576 dots), and [`display_width`] counts ASCII as 1 and everything else as 2.
//!
//! Invariant: the encoded job never contains `10 04` (`DLE EOT`, the real-time status request a
//! printer obeys even inside command data). User text is stripped of control characters, QR
//! data of DLE, QR data length is capped, and [`Receipt::encode`] checks the result.

use std::cell::RefCell;
use std::fmt;

use escpos::driver::Driver;
use escpos::printer::Printer as EscPrinter;
use escpos::utils::{Encoder, JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::decode::Align;
use super::render::qr_text_line;

/// `FS &`: enter Chinese character mode.
pub const FS_CHINESE_ON: [u8; 2] = [0x1C, 0x26];
/// `FS .`: leave Chinese character mode.
pub const FS_CHINESE_OFF: [u8; 2] = [0x1C, 0x2E];
/// Width of a half-width Font A cell in dots.
pub const HALF_CELL_DOTS: u32 = 12;
/// Largest QR payload a receipt accepts, in bytes. A receipt QR code is a URL or a case number;
/// the cap also keeps `pL pH` of the store command away from `10 04` (a 1037-byte payload).
pub const MAX_QR_BYTES: usize = 1000;
/// Largest QR module size the builder picks, in dots (printers accept 1..=16).
const MAX_QR_MODULE_DOTS: usize = 6;
/// Lines fed after the content so the last line clears the tear bar before the cut.
const FINAL_FEED_LINES: u8 = 2;

/// Paper roll width.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum PaperWidth {
    /// 58 mm paper, 384 printable dots.
    #[default]
    Mm58,
    /// 80 mm paper, 576 printable dots.
    Mm80,
}

impl PaperWidth {
    /// Printable width in dots.
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Half-width Font A (12x24) columns per line.
    pub fn columns(self) -> usize {
        (self.dots() / HALF_CELL_DOTS) as usize
    }

    /// Nominal paper width in millimetres.
    pub fn mm(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 58,
            PaperWidth::Mm80 => 80,
        }
    }

    /// The paper width for a nominal width in millimetres (58 or 80).
    pub fn from_mm(mm: u32) -> Option<PaperWidth> {
        match mm {
            58 => Some(PaperWidth::Mm58),
            80 => Some(PaperWidth::Mm80),
            _ => None,
        }
    }
}

impl fmt::Display for PaperWidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mm", self.mm())
    }
}

/// Serialized as the width in millimetres: `58` or `80`.
impl Serialize for PaperWidth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(self.mm())
    }
}

/// Accepts `58`, `80`, and the strings `"58"`, `"58mm"`, `"58 mm"`, `"mm58"` (likewise 80).
impl<'de> Deserialize<'de> for PaperWidth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(u64),
            Text(String),
        }
        let mm = match Repr::deserialize(deserializer)? {
            Repr::Number(n) => u32::try_from(n).ok(),
            Repr::Text(s) => {
                let s = s.trim().to_ascii_lowercase();
                let digits = s.trim_start_matches("mm").trim_end_matches("mm").trim();
                digits.parse::<u32>().ok()
            }
        };
        mm.and_then(PaperWidth::from_mm).ok_or_else(|| serde::de::Error::custom("paper width must be 58 or 80 (mm)"))
    }
}

/// How the job ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CutMode {
    /// `GS V 65 0`: feed to the cutter and cut through.
    #[default]
    Full,
    /// `GS V 66 0`: feed to the cutter and cut leaving a hinge, so the receipt hangs until taken.
    Partial,
}

/// Why a receipt could not be encoded.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("qr code data is empty")]
    QrEmpty,
    #[error("qr code data is {len} bytes, more than the {max} a receipt qr code may hold")]
    QrTooLong { len: usize, max: usize },
    #[error("cannot build a qr code from the data: {0}")]
    Qr(String),
    #[error("esc/pos encoding failed: {0}")]
    Escpos(String),
    #[error("encoded receipt contains a real-time status request (10 04) at byte {offset}")]
    RealTimeSequence { offset: usize },
}

impl From<escpos::errors::PrinterError> for ReceiptError {
    fn from(e: escpos::errors::PrinterError) -> Self {
        ReceiptError::Escpos(e.to_string())
    }
}

/// Columns `c` occupies on the paper: 1 for printable ASCII, 0 for ASCII controls, 2 for every
/// other character (Chinese-mode printers print all multi-byte GB18030 characters full-width).
pub fn char_width(c: char) -> usize {
    if c.is_ascii() { if c.is_ascii_control() { 0 } else { 1 } } else { 2 }
}

/// Columns `s` occupies on the paper; see [`char_width`].
pub fn display_width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

/// Characters after which a line may break freely (ideographs, kana, hangul, CJK punctuation,
/// fullwidth forms). Other non-space characters form words that only break at spaces.
fn is_cjk_breakable(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}

/// Punctuation that must not start a line (Chinese line-breaking rules).
fn no_line_start(c: char) -> bool {
    "，。、；：？！）】」』”’》〉〕〗〙〛｝…—％,.;:?!)]}·・～".contains(c)
}

/// Punctuation that must not end a line.
fn no_line_end(c: char) -> bool {
    "（【「『“‘《〈〔〖〘〚｛([{".contains(c)
}

#[derive(Clone, Debug)]
struct Piece {
    text: String,
    width: usize,
    space: bool,
}

#[derive(Default)]
struct LineBuf {
    pieces: Vec<Piece>,
    width: usize,
}

impl LineBuf {
    fn push(&mut self, piece: Piece) {
        self.width += piece.width;
        self.pieces.push(piece);
    }

    fn push_char(&mut self, c: char) {
        let w = char_width(c);
        match self.pieces.last_mut() {
            Some(last) if !last.space => {
                last.text.push(c);
                last.width += w;
                self.width += w;
            }
            _ => self.push(Piece { text: c.to_string(), width: w, space: false }),
        }
    }

    fn has_content(&self) -> bool {
        self.pieces.iter().any(|p| !p.space)
    }

    fn trim_trailing_spaces(&mut self) {
        while self.pieces.last().is_some_and(|p| p.space) {
            if let Some(p) = self.pieces.pop() {
                self.width -= p.width;
            }
        }
    }

    /// Takes the line out as text (trailing spaces trimmed), leaving the buffer empty.
    fn take(&mut self) -> String {
        self.trim_trailing_spaces();
        let text: String = self.pieces.iter().map(|p| p.text.as_str()).collect();
        self.pieces.clear();
        self.width = 0;
        text
    }

    /// Before breaking in front of `next`: the last piece of this line that must move down with
    /// it, if the line-breaking rules ask for one and it fits.
    fn carry_for(&mut self, next: &Piece, columns: usize) -> Option<Piece> {
        self.trim_trailing_spaces();
        if self.pieces.len() < 2 {
            return None;
        }
        let last = self.pieces.last()?;
        let starts_bad = next.text.chars().next().is_some_and(no_line_start);
        let ends_bad = last.text.chars().last().is_some_and(no_line_end);
        if !(starts_bad || ends_bad) || last.width + next.width > columns {
            return None;
        }
        let last = self.pieces.pop()?;
        self.width -= last.width;
        self.trim_trailing_spaces();
        if self.has_content() {
            Some(last)
        } else {
            self.push(last);
            None
        }
    }
}

fn tokenize(para: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    for c in para.chars() {
        let w = char_width(c);
        if c == ' ' {
            match out.last_mut() {
                Some(p) if p.space => {
                    p.text.push(c);
                    p.width += w;
                }
                _ => out.push(Piece { text: c.to_string(), width: w, space: true }),
            }
        } else if is_cjk_breakable(c) {
            out.push(Piece { text: c.to_string(), width: w, space: false });
        } else {
            match out.last_mut() {
                Some(p) if !p.space && !p.text.chars().last().is_some_and(is_cjk_breakable) => {
                    p.text.push(c);
                    p.width += w;
                }
                _ => out.push(Piece { text: c.to_string(), width: w, space: false }),
            }
        }
    }
    out
}

fn wrap_paragraph(para: &str, columns: usize, out: &mut Vec<String>) {
    let mut line = LineBuf::default();
    let mut continuation = false;
    for piece in tokenize(para) {
        if piece.space {
            if continuation && !line.has_content() {
                continue; // no leading spaces on wrapped lines
            }
            let room = columns.saturating_sub(line.width);
            let n = piece.width.min(room);
            if n > 0 {
                line.push(Piece { text: " ".repeat(n), width: n, space: true });
            }
            continue;
        }
        if line.width + piece.width <= columns {
            line.push(piece);
            continue;
        }
        if piece.width <= columns {
            let carry = line.carry_for(&piece, columns);
            if line.has_content() {
                out.push(line.take());
            } else {
                line.take();
            }
            continuation = true;
            if let Some(c) = carry {
                line.push(c);
            }
            line.push(piece);
            continue;
        }
        // A word longer than a whole line: fill the current line, then hard-break by characters.
        for c in piece.text.chars() {
            if line.width + char_width(c) > columns {
                if line.has_content() {
                    out.push(line.take());
                } else {
                    line.take();
                }
                continuation = true;
            }
            line.push_char(c);
        }
    }
    out.push(line.take());
}

/// Wraps `text` into lines of at most `columns` columns (see [`display_width`]). Explicit
/// newlines start new lines; Latin words break at spaces, CJK text between any two characters
/// (keeping closing punctuation off the start of a line where possible); a word longer than a
/// line is broken between characters. Never splits a character; a single character wider than
/// `columns` gets a line of its own. Trailing spaces are trimmed; an empty text is one empty line.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(1);
    let mut out = Vec::new();
    for para in text.split('\n') {
        wrap_paragraph(para.strip_suffix('\r').unwrap_or(para), columns, &mut out);
    }
    out
}

/// Makes user text printable: U+00A5 becomes U+FFE5 (the printer's yen/yuan sign), tabs become
/// spaces, `\n` is kept when `keep_newlines` (wrapping handles it) and is a space otherwise,
/// other control characters are dropped, private-use characters (which GB18030 printers cannot
/// print and the encoder may refuse) become `?`.
fn sanitize(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{A5}' => out.push('\u{FFE5}'),
            '\t' => out.push(' '),
            '\n' if keep_newlines => out.push('\n'),
            '\n' => out.push(' '),
            c if c.is_control() => {}
            '\u{E000}'..='\u{F8FF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Block {
    Title(String),
    Line(String),
    Bold(String),
    Center(String),
    Kv(String, String),
    Separator,
    Qr(String),
    Feed(u8),
}

/// One laid-out printed item.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Laid {
    Text { text: String, align: Align, bold: bool, double: bool },
    Qr(String),
    Blank(u8),
}

/// A receipt: blocks of content for one paper width. Build it fluently, then [`encode`] it.
///
/// [`encode`]: Receipt::encode
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    width: PaperWidth,
    cut: CutMode,
    blocks: Vec<Block>,
}

impl Receipt {
    pub fn new(width: PaperWidth) -> Receipt {
        Receipt { width, cut: CutMode::default(), blocks: Vec::new() }
    }

    pub fn width(&self) -> PaperWidth {
        self.width
    }

    /// Centred, bold, double width and height; wrapped at half the columns.
    pub fn title(mut self, text: &str) -> Self {
        self.blocks.push(Block::Title(sanitize(text, true)));
        self
    }

    /// Plain left-aligned text, wrapped.
    pub fn line(mut self, text: &str) -> Self {
        self.blocks.push(Block::Line(sanitize(text, true)));
        self
    }

    /// Bold left-aligned text, wrapped.
    pub fn bold(mut self, text: &str) -> Self {
        self.blocks.push(Block::Bold(sanitize(text, true)));
        self
    }

    /// Centred text, wrapped.
    pub fn center(mut self, text: &str) -> Self {
        self.blocks.push(Block::Center(sanitize(text, true)));
        self
    }

    /// `label` on the left and `value` right-aligned on the same line when both fit with a space
    /// between them; otherwise the label (wrapped) and then the value right-aligned below it.
    pub fn kv(mut self, label: &str, value: &str) -> Self {
        self.blocks.push(Block::Kv(sanitize(label, false), sanitize(value, false)));
        self
    }

    /// A full-width line of `-`.
    pub fn separator(mut self) -> Self {
        self.blocks.push(Block::Separator);
        self
    }

    /// A centred native QR code (model 2, error level M, module size chosen to fit). The data is
    /// sent as UTF-8; DLE characters are removed.
    pub fn qr(mut self, data: &str) -> Self {
        self.blocks.push(Block::Qr(data.chars().filter(|&c| c != '\u{10}').collect()));
        self
    }

    /// `n` blank lines.
    pub fn feed(mut self, lines: u8) -> Self {
        self.blocks.push(Block::Feed(lines));
        self
    }

    /// How the job ends (default [`CutMode::Full`]).
    pub fn cut_mode(mut self, cut: CutMode) -> Self {
        self.cut = cut;
        self
    }

    fn layout(&self) -> Vec<Laid> {
        let cols = self.width.columns();
        let mut out = Vec::new();
        let text = |text: String, align, bold, double| Laid::Text { text, align, bold, double };
        for block in &self.blocks {
            match block {
                Block::Title(t) => {
                    for l in wrap(t, cols / 2) {
                        out.push(text(l, Align::Center, true, true));
                    }
                }
                Block::Line(t) => out.extend(wrap(t, cols).into_iter().map(|l| text(l, Align::Left, false, false))),
                Block::Bold(t) => out.extend(wrap(t, cols).into_iter().map(|l| text(l, Align::Left, true, false))),
                Block::Center(t) => out.extend(wrap(t, cols).into_iter().map(|l| text(l, Align::Center, false, false))),
                Block::Kv(label, value) => {
                    let (lw, vw) = (display_width(label), display_width(value));
                    if value.is_empty() {
                        out.extend(wrap(label, cols).into_iter().map(|l| text(l, Align::Left, false, false)));
                    } else if lw + 1 + vw <= cols {
                        let pad = " ".repeat(cols - lw - vw);
                        out.push(text(format!("{label}{pad}{value}"), Align::Left, false, false));
                    } else {
                        if !label.is_empty() {
                            out.extend(wrap(label, cols).into_iter().map(|l| text(l, Align::Left, false, false)));
                        }
                        out.extend(wrap(value, cols).into_iter().map(|l| text(l, Align::Right, false, false)));
                    }
                }
                Block::Separator => out.push(text("-".repeat(cols), Align::Left, false, false)),
                Block::Qr(data) => out.push(Laid::Qr(data.clone())),
                Block::Feed(n) => {
                    if *n > 0 {
                        out.push(Laid::Blank(*n))
                    }
                }
            }
        }
        out
    }

    /// The text lines this receipt prints, as the simulator's `.txt` shows them: no alignment
    /// padding, trailing spaces trimmed, a QR code as `[QR] <data>`, trailing blank lines dropped.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for item in self.layout() {
            match item {
                Laid::Text { text, .. } => lines.push(text.trim_end().to_string()),
                Laid::Qr(data) => lines.push(qr_text_line(data.as_bytes())),
                Laid::Blank(n) => lines.extend(std::iter::repeat_n(String::new(), n as usize)),
            }
        }
        while lines.last().is_some_and(|l| l.is_empty()) {
            lines.pop();
        }
        lines
    }

    /// The complete ESC/POS job: init, Chinese mode, content, feed, cut.
    pub fn encode(&self) -> Result<Vec<u8>, ReceiptError> {
        let dots = self.width.dots() as usize;
        let mut p = EscPrinter::new(Capture::default(), Protocol::new(Encoder::new(encoding_rs::GB18030)), None);
        p.init()?;
        p.custom(&FS_CHINESE_ON)?;
        let (mut align, mut bold, mut double) = (Align::Left, false, false);
        for item in self.layout() {
            match item {
                Laid::Text { text, align: a, bold: b, double: d } => {
                    if a != align {
                        p.justify(justify(a))?;
                        align = a;
                    }
                    if b != bold {
                        p.bold(b)?;
                        bold = b;
                    }
                    if d != double {
                        if d {
                            p.size(2, 2)?
                        } else {
                            p.reset_size()?
                        };
                        double = d;
                    }
                    p.writeln(&text)?;
                }
                Laid::Qr(data) => {
                    let module = qr_module_dots(&data, dots)?;
                    if align != Align::Center {
                        p.justify(JustifyMode::CENTER)?;
                        align = Align::Center;
                    }
                    p.qrcode_option(&data, QRCodeOption::new(QRCodeModel::Model2, module, QRCodeCorrectionLevel::M))?;
                }
                Laid::Blank(n) => {
                    p.feeds(n)?;
                }
            }
        }
        if align != Align::Left {
            p.justify(JustifyMode::LEFT)?;
        }
        if bold {
            p.bold(false)?;
        }
        if double {
            p.reset_size()?;
        }
        p.feeds(FINAL_FEED_LINES)?;
        let m = match self.cut {
            CutMode::Full => 65,
            CutMode::Partial => 66,
        };
        p.custom(&[0x1D, b'V', m, 0])?;
        p.print()?;
        let bytes = p.driver().0.into_inner();
        if let Some(offset) = bytes.windows(2).position(|w| w == [0x10, 0x04]) {
            return Err(ReceiptError::RealTimeSequence { offset });
        }
        Ok(bytes)
    }
}

fn justify(a: Align) -> JustifyMode {
    match a {
        Align::Left => JustifyMode::LEFT,
        Align::Center => JustifyMode::CENTER,
        Align::Right => JustifyMode::RIGHT,
    }
}

/// Validates QR data and picks the module size (dots) so the symbol fits the paper.
fn qr_module_dots(data: &str, paper_dots: usize) -> Result<u8, ReceiptError> {
    if data.is_empty() {
        return Err(ReceiptError::QrEmpty);
    }
    if data.len() > MAX_QR_BYTES {
        return Err(ReceiptError::QrTooLong { len: data.len(), max: MAX_QR_BYTES });
    }
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ReceiptError::Qr(e.to_string()))?;
    // Leave room for a 4-module quiet zone on each side.
    let module = (paper_dots / (code.width() + 8)).clamp(1, MAX_QR_MODULE_DOTS);
    Ok(module as u8)
}

/// An `escpos` driver that only collects the bytes.
#[derive(Default)]
pub(crate) struct Capture(pub(crate) RefCell<Vec<u8>>);

impl Driver for Capture {
    fn name(&self) -> String {
        "capture".to_owned()
    }

    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }

    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }

    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

/// A printer test page: title, Chinese and mixed text, a wrapped paragraph, key/value lines, a
/// QR code, the paper width and a column ruler.
pub fn test_page(width: PaperWidth) -> Receipt {
    let cols = width.columns();
    let ruler: String = (1..=cols).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
    Receipt::new(width)
        .title("打印机测试页")
        .center("政务服务自助终端")
        .separator()
        .line("中文：欢迎使用自助服务终端。")
        .line("Mixed 中英文 ABC xyz 0123456789 #@%&*")
        .bold("粗体 Bold 12345")
        .line(
            "长段落换行测试：本终端可办理居民身份证相关业务、社保查询、公积金查询、\
             不动产登记信息查询等事项，办理完成后请妥善保管本凭条。",
        )
        .separator()
        .kv("纸张宽度", &format!("{} mm / {} dots", width.mm(), width.dots()))
        .kv("每行字符", &format!("{cols} 列 / {} 汉字", cols / 2))
        .kv("字符集", "GB18030")
        .kv("金额", "¥128.50")
        .kv("办理事项", "居民身份证换领、补领及户籍信息变更进度查询")
        .separator()
        .center("扫码查看办理进度")
        .qr("https://example.invalid/kiosk/test-page?id=20240101-0001")
        .feed(1)
        .line(&ruler)
        .center("—— 测试结束 ——")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_widths() {
        assert_eq!((PaperWidth::Mm58.dots(), PaperWidth::Mm58.columns()), (384, 32));
        assert_eq!((PaperWidth::Mm80.dots(), PaperWidth::Mm80.columns()), (576, 48));
        assert_eq!(PaperWidth::from_mm(58), Some(PaperWidth::Mm58));
        assert_eq!(PaperWidth::from_mm(80), Some(PaperWidth::Mm80));
        assert_eq!(PaperWidth::from_mm(76), None);
        assert_eq!(PaperWidth::default(), PaperWidth::Mm58);
    }

    #[test]
    fn paper_width_serde() {
        assert_eq!(serde_json::to_string(&PaperWidth::Mm80).unwrap(), "80");
        for (text, want) in [
            ("58", PaperWidth::Mm58),
            ("\"80mm\"", PaperWidth::Mm80),
            ("\"58 mm\"", PaperWidth::Mm58),
            ("\"mm80\"", PaperWidth::Mm80),
        ] {
            assert_eq!(serde_json::from_str::<PaperWidth>(text).unwrap(), want, "{text}");
        }
        assert!(serde_json::from_str::<PaperWidth>("76").is_err());
        assert!(serde_json::from_str::<PaperWidth>("\"wide\"").is_err());
    }

    #[test]
    fn display_widths() {
        assert_eq!(display_width(""), 0);
        assert_eq!(display_width("abc 123"), 7);
        assert_eq!(display_width("中文"), 4);
        assert_eq!(display_width("，。"), 4);
        assert_eq!(display_width("Ａ"), 2); // fullwidth A
        assert_eq!(display_width("é°"), 4); // multi-byte in GB18030: full-width cells
        assert_eq!(display_width("a\u{7}b"), 2);
        assert_eq!(display_width("𠀀"), 2); // CJK extension B, four GB18030 bytes
    }

    #[test]
    fn wrap_latin_at_spaces() {
        assert_eq!(wrap("the quick brown fox", 10), ["the quick", "brown fox"]);
        assert_eq!(wrap("hello world", 11), ["hello world"]);
        assert_eq!(wrap("hello world", 5), ["hello", "world"]);
        assert_eq!(wrap("a  b", 10), ["a  b"]);
        assert_eq!(wrap("trailing   ", 20), ["trailing"]);
        assert_eq!(wrap("  indented text", 20), ["  indented text"]);
        assert_eq!(wrap("aaaa bbbb    cccc", 9), ["aaaa bbbb", "cccc"]);
    }

    #[test]
    fn wrap_long_words_break_between_chars() {
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("go https://example.invalid/x", 10), ["go https:/", "/example.i", "nvalid/x"]);
    }

    #[test]
    fn wrap_cjk_counts_two_columns_and_never_splits_a_char() {
        assert_eq!(wrap("一二三四五六", 4), ["一二", "三四", "五六"]);
        assert_eq!(wrap("一二三四五", 5), ["一二", "三四", "五"]);
        assert_eq!(wrap("中文abc", 5), ["中文", "abc"]);
        assert_eq!(wrap("ab中文", 5), ["ab中", "文"]);
        // A two-column character in a one-column line still gets printed, alone.
        assert_eq!(wrap("中文", 1), ["中", "文"]);
        for cols in 1..12 {
            for line in wrap("政务服务，自助终端。Kiosk 测试 0123456789 abcdefghijklmnop", cols) {
                assert!(display_width(&line) <= cols.max(2), "{line:?} in {cols}");
            }
        }
    }

    #[test]
    fn wrap_keeps_closing_punctuation_off_line_starts() {
        // Without the rule the second line would start with "，".
        assert_eq!(wrap("一二三，四五", 6), ["一二", "三，四", "五"]);
        assert_eq!(wrap("一二（三四", 6), ["一二", "（三四"]);
    }

    #[test]
    fn wrap_keeps_explicit_newlines() {
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
        assert_eq!(wrap("a\n\nb", 10), ["a", "", "b"]);
        assert_eq!(wrap("a\r\nb\n", 10), ["a", "b", ""]);
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("x", 0), ["x"]);
    }

    #[test]
    fn sanitize_strips_controls_and_maps_yen() {
        assert_eq!(sanitize("a\u{10}\u{4}b\tc\rd\u{1b}e\u{85}", false), "ab cde");
        assert_eq!(sanitize("¥1", false), "￥1");
        assert_eq!(sanitize("x\ny", true), "x\ny");
        assert_eq!(sanitize("x\ny", false), "x y");
        assert_eq!(sanitize("\u{E5E5}", false), "?");
    }

    #[test]
    fn kv_fits_on_one_line_or_moves_value_down() {
        let r = Receipt::new(PaperWidth::Mm58).kv("金额", "￥12.00").kv(&"标签".repeat(8), "值");
        let lines = r.lines();
        assert_eq!(lines[0], format!("金额{}￥12.00", " ".repeat(32 - 4 - display_width("￥12.00"))));
        assert_eq!(display_width(&lines[0]), 32);
        assert_eq!(lines[1], "标签".repeat(8));
        assert_eq!(lines[2], "值");
    }

    #[test]
    fn lines_of_a_receipt() {
        let r = Receipt::new(PaperWidth::Mm58)
            .title("测试")
            .line("第一行")
            .separator()
            .qr("https://example.invalid/q")
            .feed(2)
            .center("完")
            .feed(3);
        assert_eq!(r.lines(), ["测试", "第一行", &"-".repeat(32), "[QR] https://example.invalid/q", "", "", "完"]);
    }

    #[test]
    fn encode_frames_the_job() {
        let bytes = Receipt::new(PaperWidth::Mm58).line("中文 ¥1").encode().unwrap();
        assert!(bytes.starts_with(&[0x1B, b'@', 0x1C, 0x26]), "{bytes:02X?}");
        assert!(bytes.ends_with(&[0x1B, b'd', FINAL_FEED_LINES, 0x1D, b'V', 65, 0]), "{bytes:02X?}");
        // GB18030 text; ¥ went out as ￥ (A3 A4); never ESC t.
        let (text, _, _) = encoding_rs::GB18030.encode("中文 ￥1");
        assert!(bytes.windows(text.len()).any(|w| w == &text[..]));
        assert!(!bytes.windows(2).any(|w| w == [0x1B, b't']));
        let partial = Receipt::new(PaperWidth::Mm58).line("x").cut_mode(CutMode::Partial).encode().unwrap();
        assert!(partial.ends_with(&[0x1D, b'V', 66, 0]));
    }

    #[test]
    fn encode_emits_the_documented_qr_sequences() {
        let data = "https://example.invalid/q";
        let bytes = Receipt::new(PaperWidth::Mm58).qr(data).encode().unwrap();
        let find = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(find(&[0x1D, 0x28, 0x6B, 0x04, 0x00, 0x31, 0x41, 0x32, 0x00]), "model 2");
        assert!(find(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x45, 49]), "error level M");
        let mut store = vec![0x1D, 0x28, 0x6B, (data.len() + 3) as u8, 0x00, 0x31, 0x50, 0x30];
        store.extend_from_slice(data.as_bytes());
        assert!(find(&store), "store");
        assert!(find(&[0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x51, 0x30]), "print");
        let size_at = bytes.windows(7).position(|w| w == [0x1D, 0x28, 0x6B, 0x03, 0x00, 0x31, 0x43]).unwrap();
        let module = bytes[size_at + 7];
        assert!((1..=6).contains(&module), "{module}");
    }

    #[test]
    fn qr_data_is_validated() {
        assert!(matches!(Receipt::new(PaperWidth::Mm58).qr("").encode(), Err(ReceiptError::QrEmpty)));
        let long = "x".repeat(MAX_QR_BYTES + 1);
        assert!(matches!(Receipt::new(PaperWidth::Mm58).qr(&long).encode(), Err(ReceiptError::QrTooLong { .. })));
        assert!(Receipt::new(PaperWidth::Mm58).qr(&"x".repeat(MAX_QR_BYTES)).encode().is_ok());
    }

    #[test]
    fn encode_never_contains_dle_eot() {
        let hostile = "\u{10}\u{4}\u{1}a\u{10}\u{4}\u{2}\u{1b}@\u{1d}V\u{0}";
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let r = Receipt::new(width)
                .title(hostile)
                .line(hostile)
                .bold(hostile)
                .center(hostile)
                .kv(hostile, hostile)
                .qr(hostile)
                .feed(16)
                .line("\u{10}")
                .feed(4);
            let bytes = r.encode().unwrap();
            assert!(!bytes.windows(2).any(|w| w == [0x10, 0x04]), "{bytes:02X?}");
            // QR payloads of every length up to the cap: pL pH never form 10 04.
            for len in (1..=MAX_QR_BYTES).step_by(37).chain([MAX_QR_BYTES]) {
                let bytes = Receipt::new(width).qr(&"7".repeat(len)).encode().unwrap();
                assert!(!bytes.windows(2).any(|w| w == [0x10, 0x04]), "qr of {len} bytes");
            }
        }
    }

    #[test]
    fn test_page_fits_both_widths() {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let page = test_page(width);
            let lines = page.lines();
            assert_eq!(lines[0], "打印机测试页");
            assert!(lines.iter().any(|l| l.starts_with("[QR] https://")));
            assert!(lines.iter().any(|l| l.contains("GB18030")));
            assert!(lines.iter().any(|l| l.contains("￥128.50")));
            assert!(lines.iter().any(|l| l.contains(&format!("{} mm", width.mm()))));
            for l in &lines {
                if !l.starts_with("[QR]") {
                    assert!(display_width(l) <= width.columns(), "{l:?}");
                }
            }
            let bytes = page.encode().unwrap();
            assert!(!bytes.windows(2).any(|w| w == [0x10, 0x04]));
        }
    }
}
