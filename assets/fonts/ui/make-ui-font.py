#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the UI fonts: subsets of Noto Sans CJK SC, Regular and Bold, as static .otf files.

Outputs (beside this script):

    NotoSansSC-Regular.otf   family "Noto Sans SC", style "Regular", usWeightClass 400
    NotoSansSC-Bold.otf      family "Noto Sans SC", style "Bold",    usWeightClass 700
    OFL.txt                  the font's copyright notice and the SIL Open Font License 1.1

Needs (the script checks and says what is missing):

    apt-get install fonts-noto-cjk      # Debian 12 "bookworm": 1:20220127+repack1-1 (Noto Sans CJK 2.004)
    pip install fonttools==4.68.0

Run from anywhere:

    python3 assets/fonts/ui/make-ui-font.py

The output is deterministic: the same source fonts, fontTools version and input texts give
byte-identical files (head.modified is kept from the source font, nothing depends on the
clock, on dict/set iteration order or on the file system's listing order).

Source: the Debian package `fonts-noto-cjk` ships the Noto Sans CJK fonts as OpenType
collections (/usr/share/fonts/opentype/noto/NotoSansCJK-{Regular,Bold}.ttc), one face per
language (JP, KR, SC, TC, HK and the Mono variants). The SC face is found by its name table
(Windows English nameID 1 == "Noto Sans CJK SC"), not by its index in the collection.

Coverage: every code point of the ranges and symbols listed below and of GB2312's non-hanzi
rows (punctuation, pinyin letters, numbered forms, Greek, Cyrillic, kana, box drawing) that the
font has, plus, required (a missing one is an error): all 6763 GB2312 hanzi and every
character of the texts the UI shows: the catalogue, the demo cards and, when present, the
Slint sources, the translation catalogues and the files of assets/pinyin/. Re-run the script after adding UI text; it exits with status 1 when a text
character has no glyph in Noto Sans CJK SC (the fonts are still written).

Subsetting: hinting dropped (CFF hints and hint-related private-dict values), layout tables
GSUB/GPOS kept for the horizontal features a shaper applies by default plus the
proportional/half-width CJK spacing features (GDEF only classifies marks the subset does not
contain, so fontTools drops it); vertical-writing tables (vhea, vmtx, VORG),
vertical features, BASE and alternate-width / localised-form substitutions are dropped
(`locl` would pull in the Japanese, Korean and Traditional Chinese glyph variants). The CFF
outlines stay CFF (CID-keyed, subroutinised), so the files are OpenType/CFF (.otf).
"""

import hashlib
import subprocess
import sys
import unicodedata
from pathlib import Path

FONTTOOLS_VERSION = "4.68.0"
DEBIAN_PACKAGE = "fonts-noto-cjk"
SOURCE_DIR = Path("/usr/share/fonts/opentype/noto")
SOURCE_FAMILY = "Noto Sans CJK SC"
DEBIAN_COPYRIGHT = Path("/usr/share/doc/fonts-noto-cjk/copyright")

FAMILY = "Noto Sans SC"
PS_FAMILY = "NotoSansSC"
WEIGHTS = [("Regular", 400), ("Bold", 700)]

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

# Ranges kept where the font has a glyph (unassigned code points simply are not there).
RANGES = [
    (0x0020, 0x007E, "ASCII printable"),
    (0x00A0, 0x00FF, "Latin-1 Supplement"),
    (0x2010, 0x206F, "General Punctuation (part)"),
    (0x2190, 0x21FF, "Arrows"),
    (0x3000, 0x303F, "CJK Symbols and Punctuation"),
    (0xFF00, 0xFFEF, "Halfwidth and Fullwidth Forms"),
]

# Single symbols a kiosk UI uses (check marks, bullets, stars, triangles, currency, keyboard
# keys), kept where the font has them.
SYMBOLS = (
    "✓✔✕✗✘×÷●○◯◎◆◇■□★☆▲△▼▽◀◁▶▷¥￥€…—–·※℃℉№°±‰≤≥≠≈∞√"
    "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
    "☐☑☒☎☏⌫⌦⏎␣"
    # Pinyin with tone marks (shown above hanzi, e.g. in the IME or a help screen).
    "āáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
    "ĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙÜǕǗǙǛ"
    "\ufffd"
)

# Texts whose every character must have a glyph: globs relative to the repository ("**" recurses).
TEXT_SOURCES = [
    "assets/catalogue/catalogue.json",
    "assets/demo/*.json",
    "kiosk-ui/ui/**/*.slint",
    "kiosk-ui/lang/**/*.po",
    "assets/pinyin/*",
]

# Horizontal shaping features kept in GSUB/GPOS.
LAYOUT_FEATURES = [
    "ccmp", "calt", "clig", "liga", "rlig", "rclt", "rvrn",
    "kern", "mark", "mkmk", "curs",
    "halt", "palt", "chws",
]
DROP_TABLES = ["BASE", "vhea", "vmtx", "VORG"]


def need(msg):
    sys.exit("make-ui-font.py: " + msg)


def import_fonttools():
    try:
        import fontTools
    except ImportError:
        need(f"fontTools is not installed: pip install fonttools=={FONTTOOLS_VERSION}")
    if fontTools.version != FONTTOOLS_VERSION:
        print(
            f"warning: fontTools {fontTools.version} is installed; the committed fonts were "
            f"made with {FONTTOOLS_VERSION} (pip install fonttools=={FONTTOOLS_VERSION}) and "
            "other versions may give different bytes",
            file=sys.stderr,
        )
    return fontTools.version


def debian_version():
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", DEBIAN_PACKAGE],
            capture_output=True, text=True, check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (dpkg-query failed)"


def english_name(font, name_id):
    rec = font["name"].getName(name_id, 3, 1, 0x409)
    return rec.toUnicode() if rec else None


def find_sc_face(path, style):
    """Index of the face in the collection whose Windows English names are SC + style."""
    from fontTools.ttLib import TTCollection

    coll = TTCollection(str(path), lazy=True)
    for index, face in enumerate(coll.fonts):
        if english_name(face, 1) == SOURCE_FAMILY and english_name(face, 2) == style:
            return index
    need(f"no face named {SOURCE_FAMILY!r} / {style!r} in {path}")


def gb2312_chars():
    """(hanzi, other): every character GB2312 encodes, by decoding each double-byte code."""
    hanzi, other = set(), set()
    for b1 in range(0xA1, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                ch = bytes([b1, b2]).decode("gb2312")
            except UnicodeDecodeError:
                continue
            (hanzi if b1 >= 0xB0 else other).add(ch)
    if len(hanzi) != 6763 or not all(0x4E00 <= ord(c) <= 0x9FFF for c in hanzi):
        need(f"the gb2312 codec gave {len(hanzi)} hanzi, expected 6763 CJK unified ideographs")
    return hanzi, other


def text_chars():
    """{char: first file it was seen in} for every printable character of the UI texts."""
    seen = {}
    files = []
    for pattern in TEXT_SOURCES:
        files.extend(sorted(p for p in REPO.glob(pattern) if p.is_file()))
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            print(f"warning: {path.relative_to(REPO)} is not UTF-8 text, skipped", file=sys.stderr)
            continue
        for ch in text:
            if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
                continue
            seen.setdefault(ch, path.relative_to(REPO).as_posix())
    return seen, [p.relative_to(REPO).as_posix() for p in files]


def subset_one(style, weight, wanted, required):
    from fontTools import subset
    from fontTools.ttLib import TTFont

    src = SOURCE_DIR / f"NotoSansCJK-{style}.ttc"
    if not src.is_file():
        need(f"{src} not found: apt-get install {DEBIAN_PACKAGE}")
    index = find_sc_face(src, style)
    # recalcTimestamp=False keeps head.modified from the source: reproducible output.
    font = TTFont(str(src), fontNumber=index, recalcTimestamp=False, lazy=False)
    src_glyphs = font["maxp"].numGlyphs
    version = english_name(font, 5)
    copyright_notice = english_name(font, 0)
    trademark = english_name(font, 7)
    cmap = font.getBestCmap()

    keep = sorted(cp for cp in wanted if cp in cmap)
    missing = sorted(cp for cp in required if cp not in cmap)

    options = subset.Options()
    options.layout_features = LAYOUT_FEATURES
    options.layout_scripts = ["*"]
    options.hinting = False
    options.drop_tables = sorted(set(options.drop_tables) | set(DROP_TABLES))
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.glyph_names = False
    options.legacy_kern = False
    options.prune_unicode_ranges = True
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=keep)
    subsetter.subset(font)

    rename(font, style, weight)

    out = HERE / f"{PS_FAMILY}-{style}.otf"
    font.save(str(out), reorderTables=True)
    check(out, style, weight, keep)
    return {
        "out": out,
        "index": index,
        "src": src,
        "src_glyphs": src_glyphs,
        "glyphs": TTFont(str(out), lazy=True)["maxp"].numGlyphs,
        "cmap": len(keep),
        "missing": missing,
        "version": version,
        "copyright": copyright_notice,
        "trademark": trademark,
    }


def rename(font, style, weight):
    """Plain family name for both weights; CFF names follow the new PostScript name."""
    name = font["name"]
    ps_name = f"{PS_FAMILY}-{style}"
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    version = english_name(font, 5) or "Version 2.004"
    unique = english_name(font, 3) or ""
    for name_id in (1, 2, 3, 4, 5, 6, 16, 17):
        name.removeNames(nameID=name_id)
    new = {
        1: FAMILY,
        2: style,
        3: unique.replace(f"NotoSansCJKsc-{style}", ps_name) + ";OpenKiosk-UI-subset",
        4: full,
        5: version + ";Open Kiosk UI subset",
        6: ps_name,
        16: FAMILY,
        17: style,
    }
    for name_id, text in new.items():
        name.setName(text, name_id, 3, 1, 0x409)
    name.names.sort(key=lambda r: (r.platformID, r.platEncID, r.langID, r.nameID))

    os2 = font["OS/2"]
    os2.usWeightClass = weight
    # fsSelection: bit 0 italic, bit 5 bold, bit 6 regular; head.macStyle bit 0 bold.
    os2.fsSelection = (os2.fsSelection & ~0b1100001) | (0b100000 if weight >= 700 else 0b1000000)
    font["head"].macStyle = 1 if weight >= 700 else 0

    cff = font["CFF "].cff
    cff.fontNames = [ps_name]
    top = cff.topDictIndex[0]
    top.FullName = full
    top.FamilyName = FAMILY
    top.Weight = style


def check(path, style, weight, keep):
    from fontTools.ttLib import TTFont

    font = TTFont(str(path))
    names = {i: english_name(font, i) for i in (1, 2, 4, 6, 16, 17)}
    want = {1: FAMILY, 2: style, 6: f"{PS_FAMILY}-{style}", 16: FAMILY, 17: style}
    for i, text in want.items():
        if names[i] != text:
            need(f"{path.name}: nameID {i} is {names[i]!r}, expected {text!r}")
    if font["OS/2"].usWeightClass != weight:
        need(f"{path.name}: usWeightClass {font['OS/2'].usWeightClass}, expected {weight}")
    if font.sfntVersion != "OTTO" or "CFF " not in font:
        need(f"{path.name}: not an OpenType/CFF font")
    cmap = font.getBestCmap()
    lost = [cp for cp in keep if cp not in cmap]
    if lost:
        need(f"{path.name}: subset lost {len(lost)} code points, e.g. U+{lost[0]:04X}")
    for tag in DROP_TABLES:
        if tag in font:
            need(f"{path.name}: table {tag} should have been dropped")


def write_licence(copyright_notice, trademark):
    """OFL.txt: the font's own copyright notice + the OFL text from Debian's copyright file."""
    if not DEBIAN_COPYRIGHT.is_file():
        need(f"{DEBIAN_COPYRIGHT} not found: apt-get install {DEBIAN_PACKAGE}")
    lines = DEBIAN_COPYRIGHT.read_text(encoding="utf-8").splitlines()
    # The stand-alone licence paragraph: "License: SIL-1.1" followed by indented text (the
    # "Files: *" paragraph has the same line followed by a blank line).
    starts = [
        i for i, line in enumerate(lines[:-1])
        if line == "License: SIL-1.1" and lines[i + 1].startswith(" ")
    ]
    if not starts:
        need(f"{DEBIAN_COPYRIGHT} has no 'License: SIL-1.1' paragraph")
    start = starts[0]
    body = []
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        line = line[1:]
        body.append("" if line == "." else line)
    while body and not body[-1]:
        body.pop()
    head = [
        "Noto Sans SC (Open Kiosk UI subset of Noto Sans CJK SC)",
        "",
        copyright_notice.replace("\u00a9", "Copyright"),
        trademark,
        "",
        "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        "This license is copied below, and is also available with a FAQ at:",
        "https://openfontlicense.org",
        "",
    ]
    (HERE / "OFL.txt").write_text("\n".join(head + body) + "\n", encoding="utf-8")


def main():
    ft_version = import_fonttools()

    hanzi, gb_other = gb2312_chars()
    texts, files = text_chars()

    optional = set()
    for lo, hi, _ in RANGES:
        optional.update(range(lo, hi + 1))
    optional.update(ord(c) for c in SYMBOLS)
    optional.update(ord(c) for c in gb_other)
    required = {ord(c) for c in hanzi} | {ord(c) for c in texts}
    wanted = optional | required

    results = [subset_one(style, weight, wanted, required) for style, weight in WEIGHTS]
    write_licence(results[0]["copyright"], results[0]["trademark"])

    print(f"fontTools {ft_version}; {DEBIAN_PACKAGE} {debian_version()}; {results[0]['version']}")
    print(f"text sources ({len(files)} files): " + ", ".join(files))
    print(
        f"requested {len(wanted)} code points: {len(hanzi)} GB2312 hanzi, "
        f"{len(gb_other)} GB2312 non-hanzi, {len(texts)} distinct text characters "
        f"({len({c for c in texts if ord(c) >= 0x80 and c not in hanzi})} outside ASCII and "
        f"GB2312 hanzi), ranges and symbols"
    )
    from fontTools.ttLib import TTFont

    saved = TTFont(str(results[0]["out"]), lazy=True).getBestCmap()
    for lo, hi, label in RANGES:
        n = sum(1 for cp in range(lo, hi + 1) if cp in saved)
        print(f"  U+{lo:04X}-U+{hi:04X} {label}: {n}")
    absent_symbols = [c for c in SYMBOLS if ord(c) not in saved]
    print("  symbols not in the font (skipped): " + ("".join(absent_symbols) or "none"))
    status = 0
    for r in results:
        data = r["out"].read_bytes()
        print(
            f"{r['out'].name}: {len(data)} bytes, {r['glyphs']} glyphs (source face "
            f"#{r['index']} of {r['src'].name}: {r['src_glyphs']} glyphs), {r['cmap']} code "
            f"points, sha256 {hashlib.sha256(data).hexdigest()}"
        )
        if r["missing"]:
            status = 1
            for cp in r["missing"]:
                ch = chr(cp)
                where = texts.get(ch, "GB2312")
                print(f"  ERROR: no glyph for U+{cp:04X} {ch!r} (from {where})")
    print("OFL.txt written")
    return status


if __name__ == "__main__":
    sys.exit(main())
