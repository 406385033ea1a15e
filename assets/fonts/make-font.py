#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build receipt-font.bin, the bitmap font the receipt-printer simulator renders with.

Source: GNU Unifont's .hex file (Debian/Ubuntu package `unifont`, file
/usr/share/unifont/unifont.hex, optionally gzip-compressed). Each .hex line is
`XXXX:BITMAP` where BITMAP is 32 hex digits (8x16 glyph) or 64 hex digits (16x16 glyph),
row by row, most significant bit leftmost.

Usage:
    python3 assets/fonts/make-font.py [/usr/share/unifont/unifont.hex] [assets/fonts/receipt-font.bin]

The output only needs regenerating when the selection of blocks below changes; the committed
.bin is what the build uses (`include_bytes!` in drivers/src/printer/font.rs), so neither the
build nor CI needs Unifont installed.

Binary format "KRF1" (all integers little-endian):

    offset 0   4 bytes  magic b"KRF1"
    offset 4   u8       glyph height in rows (16)
    offset 5   3 bytes  reserved, zero
    offset 8   u32      number of ranges R
    offset 12  R x 12   range table, sorted by first code point, ranges do not overlap:
                          u32  first code point
                          u16  number of glyphs in the range (consecutive code points, all present)
                          u8   glyph width in dots: 8 or 16
                          u8   reserved, zero
                          u32  offset of the range's first glyph from the start of the file
    then       glyph data: per glyph `height` rows; a row is 1 byte (width 8) or 2 bytes
               (width 16, big-endian), most significant bit = leftmost dot, 1 = ink.

A range never mixes widths, so a glyph's address is offset + index * height * (width / 8).
"""

import gzip
import struct
import sys

HEIGHT = 16

# Blocks a Chinese receipt can plausibly contain: everything GB2312/GBK has outside the
# ideographs, plus the CJK Unified Ideographs block itself.
BLOCKS = [
    (0x0020, 0x007E, "ASCII"),
    (0x00A0, 0x00FF, "Latin-1 Supplement"),
    (0x0100, 0x024F, "Latin Extended-A/B (pinyin tone marks)"),
    (0x02C0, 0x02DF, "Spacing Modifier Letters"),
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x04FF, "Cyrillic"),
    (0x2000, 0x206F, "General Punctuation"),
    (0x20A0, 0x20CF, "Currency Symbols"),
    (0x2100, 0x214F, "Letterlike Symbols"),
    (0x2150, 0x218F, "Number Forms"),
    (0x2190, 0x21FF, "Arrows"),
    (0x2200, 0x22FF, "Mathematical Operators"),
    (0x2300, 0x23FF, "Miscellaneous Technical"),
    (0x2460, 0x24FF, "Enclosed Alphanumerics"),
    (0x2500, 0x257F, "Box Drawing"),
    (0x2580, 0x259F, "Block Elements"),
    (0x25A0, 0x25FF, "Geometric Shapes"),
    (0x2600, 0x26FF, "Miscellaneous Symbols"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0x3040, 0x309F, "Hiragana"),
    (0x30A0, 0x30FF, "Katakana"),
    (0x3100, 0x312F, "Bopomofo"),
    (0x3200, 0x32FF, "Enclosed CJK Letters and Months"),
    (0x3300, 0x33FF, "CJK Compatibility"),
    (0x4E00, 0x9FFF, "CJK Unified Ideographs"),
    (0xFE30, 0xFE4F, "CJK Compatibility Forms"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
    (0xFFFD, 0xFFFD, "Replacement Character"),
]


def wanted(cp):
    return any(lo <= cp <= hi for lo, hi, _ in BLOCKS)


def read_hex(path):
    opener = gzip.open if path.endswith(".gz") else open
    glyphs = {}
    with opener(path, "rt", encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            cp_text, _, bitmap = line.partition(":")
            cp = int(cp_text, 16)
            if not wanted(cp):
                continue
            if len(bitmap) == 32:
                width = 8
            elif len(bitmap) == 64:
                width = 16
            else:
                raise SystemExit(f"{path}:{lineno}: unexpected bitmap length {len(bitmap)}")
            glyphs[cp] = (width, bytes.fromhex(bitmap))
    return glyphs


def build(glyphs):
    # Group consecutive present code points of equal width into ranges.
    ranges = []  # [first, width, [data...]]
    for cp in sorted(glyphs):
        width, data = glyphs[cp]
        last = ranges[-1] if ranges else None
        if last and last[0] + len(last[2]) == cp and last[1] == width and len(last[2]) < 0xFFFF:
            last[2].append(data)
        else:
            ranges.append([cp, width, [data]])

    header_len = 12 + 12 * len(ranges)
    table = bytearray()
    body = bytearray()
    for first, width, datas in ranges:
        table += struct.pack("<IHBBI", first, len(datas), width, 0, header_len + len(body))
        for data in datas:
            assert len(data) == HEIGHT * width // 8
            body += data
    return b"KRF1" + bytes([HEIGHT, 0, 0, 0]) + struct.pack("<I", len(ranges)) + table + body, ranges


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unifont/unifont.hex"
    dst = sys.argv[2] if len(sys.argv) > 2 else "assets/fonts/receipt-font.bin"
    glyphs = read_hex(src)
    blob, ranges = build(glyphs)
    with open(dst, "wb") as f:
        f.write(blob)
    print(f"{dst}: {len(glyphs)} glyphs in {len(ranges)} ranges, {len(blob)} bytes")


if __name__ == "__main__":
    main()
