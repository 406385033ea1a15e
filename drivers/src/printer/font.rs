//! The bitmap font the receipt renderer draws with: a subset of GNU Unifont (8x16 half-width and
//! 16x16 full-width glyphs), compiled into the crate from `assets/fonts/receipt-font.bin`.
//! Source, licence and the generator script are in `assets/fonts/`.
//!
//! Binary format "KRF1", all integers little-endian:
//!
//! ```text
//! 0   4 bytes  magic "KRF1"
//! 4   u8       glyph height in rows (16)
//! 5   3 bytes  reserved
//! 8   u32      number of ranges R
//! 12  R x 12   ranges, sorted, disjoint: u32 first code point, u16 glyph count,
//!              u8 width (8 or 16), u8 reserved, u32 offset of the first glyph in the file
//! …            glyphs: `height` rows each, 1 byte (width 8) or 2 bytes big-endian (width 16)
//!              per row, most significant bit leftmost, 1 = ink
//! ```
//!
//! The data is validated once when first used; lookups never index out of bounds.

use std::sync::OnceLock;

static FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/receipt-font.bin");

/// Why font data was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FontError {
    #[error("font data is truncated")]
    Truncated,
    #[error("not a KRF1 font")]
    BadMagic,
    #[error("glyph height {0} is not supported")]
    BadHeight(u8),
    #[error("font range {index} is invalid")]
    BadRange { index: usize },
}

#[derive(Clone, Copy, Debug)]
struct Range {
    first: u32,
    count: u32,
    width: u8,
    offset: usize,
}

/// One glyph bitmap.
#[derive(Clone, Copy, Debug)]
pub struct Glyph<'a> {
    width: u8,
    height: u8,
    rows: &'a [u8],
}

impl Glyph<'_> {
    /// 8 (half-width) or 16 (full-width).
    pub fn width(&self) -> u32 {
        self.width as u32
    }

    pub fn height(&self) -> u32 {
        self.height as u32
    }

    /// Whether the dot at (`x`, `y`) is inked; false outside the glyph.
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        if x >= self.width() || y >= self.height() {
            return false;
        }
        let bytes_per_row = self.width() as usize / 8;
        let index = y as usize * bytes_per_row + x as usize / 8;
        self.rows.get(index).is_some_and(|b| b & (0x80 >> (x % 8)) != 0)
    }
}

/// A parsed font.
#[derive(Debug)]
pub struct Font<'a> {
    data: &'a [u8],
    height: u8,
    ranges: Vec<Range>,
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, FontError> {
    let bytes = data.get(at..at + 4).ok_or(FontError::Truncated)?;
    Ok(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
}

impl<'a> Font<'a> {
    /// Parses and validates KRF1 data.
    pub fn parse(data: &'a [u8]) -> Result<Font<'a>, FontError> {
        if data.len() < 12 {
            return Err(FontError::Truncated);
        }
        if &data[..4] != b"KRF1" {
            return Err(FontError::BadMagic);
        }
        let height = data[4];
        if !(1..=64).contains(&height) {
            return Err(FontError::BadHeight(height));
        }
        let count = u32_at(data, 8)? as usize;
        let table_end = count.checked_mul(12).and_then(|n| n.checked_add(12)).ok_or(FontError::Truncated)?;
        if table_end > data.len() {
            return Err(FontError::Truncated);
        }
        let mut ranges = Vec::with_capacity(count);
        let mut next_free = 0u32;
        for index in 0..count {
            let at = 12 + index * 12;
            let first = u32_at(data, at)?;
            let glyphs = u16::from_le_bytes([data[at + 4], data[at + 5]]) as u32;
            let width = data[at + 6];
            let offset = u32_at(data, at + 8)? as usize;
            let bad = FontError::BadRange { index };
            if !(width == 8 || width == 16) || glyphs == 0 || first < next_free {
                return Err(bad);
            }
            let size = glyphs as usize * height as usize * (width as usize / 8);
            if offset < table_end || offset.checked_add(size).is_none_or(|end| end > data.len()) {
                return Err(bad);
            }
            next_free = first.checked_add(glyphs).ok_or(bad)?;
            ranges.push(Range { first, count: glyphs, width, offset });
        }
        Ok(Font { data, height, ranges })
    }

    /// A font without glyphs: every character renders as a missing-glyph box.
    pub fn empty() -> Font<'static> {
        Font { data: &[], height: 16, ranges: Vec::new() }
    }

    /// Glyph height in rows.
    pub fn height(&self) -> u32 {
        self.height as u32
    }

    /// Number of glyphs.
    pub fn len(&self) -> usize {
        self.ranges.iter().map(|r| r.count as usize).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The glyph for `c`, if the font has one.
    pub fn glyph(&self, c: char) -> Option<Glyph<'a>> {
        let cp = c as u32;
        let i = self.ranges.partition_point(|r| r.first <= cp).checked_sub(1)?;
        let r = self.ranges.get(i)?;
        let index = cp - r.first;
        if index >= r.count {
            return None;
        }
        let size = self.height as usize * (r.width as usize / 8);
        let start = r.offset + index as usize * size;
        let rows = self.data.get(start..start + size)?;
        Some(Glyph { width: r.width, height: self.height, rows })
    }
}

/// The font compiled into the crate. If its data were ever corrupt, an error is logged and an
/// empty font is used, so rendering shows boxes instead of failing.
pub fn builtin() -> &'static Font<'static> {
    static FONT: OnceLock<Font<'static>> = OnceLock::new();
    FONT.get_or_init(|| match Font::parse(FONT_DATA) {
        Ok(font) => font,
        Err(e) => {
            tracing::error!(error = %e, "built-in receipt font is invalid; rendering boxes");
            Font::empty()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_font_parses_and_covers_receipt_text() {
        let font = Font::parse(FONT_DATA).expect("valid font");
        assert_eq!(font.height(), 16);
        assert!(font.len() > 20_000, "{}", font.len());
        for c in "Aa0#中文打印机测试页，。（）￥—…①→┼".chars() {
            assert!(font.glyph(c).is_some(), "{c:?} missing");
        }
        assert_eq!(font.glyph('A').unwrap().width(), 8);
        assert_eq!(font.glyph('中').unwrap().width(), 16);
        assert!(font.glyph('\u{1F600}').is_none());
        assert!(font.glyph('\u{0}').is_none());
        // 中 has a vertical stroke through the middle column.
        let g = font.glyph('中').unwrap();
        assert!((0..16).filter(|&y| g.pixel(7, y)).count() >= 12);
        assert!(!g.pixel(16, 0) && !g.pixel(0, 16));
        assert!(std::ptr::eq(builtin(), builtin()));
        assert!(!builtin().is_empty());
    }

    #[test]
    fn corrupt_fonts_are_rejected() {
        assert_eq!(Font::parse(b"").unwrap_err(), FontError::Truncated);
        assert_eq!(Font::parse(b"XXXX\x10\0\0\0\0\0\0\0").unwrap_err(), FontError::BadMagic);
        let mut data = FONT_DATA[..4096].to_vec();
        assert!(Font::parse(&data).is_err(), "glyph data cut off");
        data = FONT_DATA.to_vec();
        data[12 + 6] = 9; // width of range 0
        assert_eq!(Font::parse(&data).unwrap_err(), FontError::BadRange { index: 0 });
        data = FONT_DATA.to_vec();
        data[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Font::parse(&data).unwrap_err(), FontError::Truncated);
        let empty = Font::empty();
        assert!(empty.glyph('A').is_none());
    }
}
