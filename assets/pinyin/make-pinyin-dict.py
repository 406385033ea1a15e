#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build pinyin-dict.tsv, the dictionary of the on-screen keyboard's pinyin candidate bar.

Needs (the script checks and says what is missing):

    pip install pypinyin==0.55.0 jieba==0.42.1

Run from anywhere:

    python3 assets/pinyin/make-pinyin-dict.py

Sources, both MIT-licensed (see LICENSES.md):

- pypinyin 0.55.0: the readings. Single characters: every reading of its character
  dictionary (`heteronym=True`). Words: its phrase-aware conversion (`lazy_pinyin`), so
  银行 is `yinhang` and 参保 `canbao`.
- jieba 0.42.1: `jieba/dict.txt` (349 046 words, `word frequency part-of-speech`), the word
  list and the frequencies.

Output: UTF-8, one entry per line, `key<TAB>candidate<TAB>weight`, no header or comments,
sorted by key, then weight descending, then candidate (by code point); "\n" line ends.
The format and the weights are described in README.md. The output is deterministic: the same
package versions and catalogue give a byte-identical file.

What goes in:

1. Every GB2312 hanzi (all 6763, from decoding every GB2312 double-byte code) with each of its
   toneless readings.
2. The TOP_WORDS most frequent jieba words of 2-4 characters that are all GB2312 hanzi.
3. Catalogue words: the words of 2-4 GB2312 hanzi that jieba's search-engine segmentation
   (`cut_for_search`, HMM off: the precise segmentation plus the dictionary words inside each
   long word) finds in the category names, item names and item keywords of
   assets/catalogue/catalogue.json, plus those names and keywords themselves when they are 2-4
   GB2312 hanzi. Their raw weight is their jieba frequency (0 if jieba lacks them) plus the
   jieba frequency of the CATALOGUE_RANK-th most frequent 2-4 character word, so on a kiosk
   医保 comes before 一包 for `yibao`, and catalogue words keep jieba's order among themselves.
   (Plain substring matching against the dictionary was tried and rejected: it finds
   spans across word boundaries, e.g. 保证 in 社保证明.)

Weights: the raw weight of a word is its jieba frequency. The raw weight of a character
reading is the character's own jieba frequency (counted for its first, most common reading)
plus the jieba frequency of every longer word it occurs in, counted for the reading pypinyin
gives it in that word (so 行 gets 银行's frequency as `hang` and 行政's as `xing`). Raw weights
are scaled linearly so the largest becomes SCALE_MAX, rounded, and at least 1 (a reading never
seen in any word gets 1).
"""

import hashlib
import json
import sys
import unicodedata
from pathlib import Path

PYPINYIN_VERSION = "0.55.0"
JIEBA_VERSION = "0.42.1"
TOP_WORDS = 30000
CATALOGUE_RANK = 1000
SCALE_MAX = 1_000_000
MAX_BYTES = 2_000_000

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CATALOGUE = REPO / "assets" / "catalogue" / "catalogue.json"
OUT = HERE / "pinyin-dict.tsv"


def need(msg):
    sys.exit("make-pinyin-dict.py: " + msg)


def imports():
    try:
        import pypinyin
    except ImportError:
        need(f"pypinyin is not installed: pip install pypinyin=={PYPINYIN_VERSION}")
    try:
        import jieba
    except ImportError:
        need(f"jieba is not installed: pip install jieba=={JIEBA_VERSION}")
    for name, have, want in (
        ("pypinyin", pypinyin.__version__, PYPINYIN_VERSION),
        ("jieba", jieba.__version__, JIEBA_VERSION),
    ):
        if have != want:
            print(
                f"warning: {name} {have} is installed; the committed dictionary was made with "
                f"{want} (pip install {name}=={want}) and other versions may give other output",
                file=sys.stderr,
            )
    return pypinyin, jieba


def gb2312_hanzi():
    hanzi = set()
    for b1 in range(0xB0, 0xF8):
        for b2 in range(0xA1, 0xFF):
            try:
                hanzi.add(bytes([b1, b2]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    if len(hanzi) != 6763:
        need(f"the gb2312 codec gave {len(hanzi)} hanzi, expected 6763")
    return hanzi


def ascii_syllable(s):
    """Toneless pypinyin syllable -> lower-case ASCII key part (ü -> v, ê -> e), or None."""
    s = s.lower().replace("ü", "v")
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    return s if s.isascii() and s.isalpha() else None


def main():
    pypinyin, jieba = imports()
    from pypinyin import Style, lazy_pinyin, pinyin

    gb = gb2312_hanzi()

    dict_path = Path(jieba.__file__).resolve().parent / "dict.txt"
    if not dict_path.is_file():
        need(f"{dict_path} not found (jieba installed without its dictionary?)")
    dict_bytes = dict_path.read_bytes()
    freq = {}
    for line in dict_bytes.decode("utf-8").splitlines():
        parts = line.split(" ")
        if len(parts) >= 2 and parts[0]:
            freq[parts[0]] = freq.get(parts[0], 0) + int(parts[1])

    def word_syllables(word):
        """Phrase-aware toneless readings of an all-hanzi word, one per character, or None."""
        sylls = [ascii_syllable(s) for s in lazy_pinyin(word, style=Style.NORMAL)]
        if len(sylls) != len(word) or None in sylls:
            return None
        return sylls

    # 1. Readings of every GB2312 hanzi, most common first (pypinyin's order).
    readings = {}
    for ch in sorted(gb):
        rs = []
        for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            a = ascii_syllable(r)
            if a and a not in rs:
                rs.append(a)
        if not rs:
            need(f"pypinyin has no reading for {ch} U+{ord(ch):04X}")
        readings[ch] = rs

    # Character reading weights: own frequency + frequency inside longer words.
    char_raw = {(ch, r): 0 for ch, rs in readings.items() for r in rs}
    for ch, rs in readings.items():
        char_raw[(ch, rs[0])] += freq.get(ch, 0)
    extra_readings = {}
    for word in sorted(freq):
        if len(word) < 2 or not all(c in gb for c in word):
            continue
        sylls = word_syllables(word)
        if sylls is None:
            continue
        for c, r in zip(word, sylls):
            if (c, r) in char_raw:
                char_raw[(c, r)] += freq[word]
            else:
                # pypinyin's phrase dictionary reads c as r here, but r is not among its
                # single-character readings: not a key for the character alone.
                extra_readings[(c, r)] = extra_readings.get((c, r), 0) + 1

    # 2. Most frequent 2-4 character GB2312 words.
    candidates = [w for w in freq if 2 <= len(w) <= 4 and all(c in gb for c in w)]
    candidates.sort(key=lambda w: (-freq[w], w))
    words = {}
    for w in candidates:
        if len(words) >= TOP_WORDS:
            break
        sylls = word_syllables(w)
        if sylls is not None:
            words[w] = freq[w]
    floor = min(words.values())

    # 3. Catalogue words: jieba's search-engine segmentation (its precise segmentation plus the
    # dictionary words inside each long word), without HMM so every word is a dictionary word.
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    texts = [c["name"] for c in catalogue["categories"]]
    for item in catalogue["items"]:
        texts.append(item["name"])
        texts.extend(item.get("keywords", []))
    jieba.setLogLevel(60)
    catalogue_words = set()
    for text in texts:
        spans = list(jieba.cut_for_search(text, HMM=False)) + [text]
        for w in spans:
            if 2 <= len(w) <= 4 and all(c in gb for c in w):
                catalogue_words.add(w)
    boost = freq[candidates[CATALOGUE_RANK - 1]]
    added = 0
    for w in sorted(catalogue_words):
        if word_syllables(w) is None:
            continue
        if w not in words:
            added += 1
        words[w] = boost + freq.get(w, 0)

    # Entries, scaled weights.
    raw = {}
    for (ch, r), v in char_raw.items():
        raw[(r, ch)] = v
    for w, v in words.items():
        raw[("".join(word_syllables(w)), w)] = max(raw.get(("".join(word_syllables(w)), w), 0), v)
    top = max(raw.values())
    entries = [(key, cand, max(1, round(v * SCALE_MAX / top))) for (key, cand), v in raw.items()]
    entries.sort(key=lambda e: (e[0], -e[2], e[1]))

    data = "".join(f"{k}\t{c}\t{w}\n" for k, c, w in entries).encode("utf-8")
    OUT.write_bytes(data)

    single = sum(1 for _, c, _ in entries if len(c) == 1)
    print(
        f"pypinyin {pypinyin.__version__}, jieba {jieba.__version__} "
        f"(dict.txt: {len(freq)} words, sha256 {hashlib.sha256(dict_bytes).hexdigest()})"
    )
    print(
        f"{OUT.relative_to(REPO)}: {len(entries)} entries ({single} character readings of "
        f"{len(readings)} GB2312 hanzi, {len(entries) - single} words: top {TOP_WORDS} with "
        f"jieba frequency >= {floor}, {len(catalogue_words)} catalogue words of which {added} "
        f"not already in, boosted by {boost}), {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"
    )
    print(
        f"{len(extra_readings)} (character, reading) pairs read only inside words were not "
        "added as single-character keys"
    )
    for (c, r), n in sorted(extra_readings.items()):
        print(f"  {c} read {r} in {n} word(s)")
    if len(data) > MAX_BYTES:
        need(f"{OUT.name} is {len(data)} bytes, over the {MAX_BYTES} byte budget")


if __name__ == "__main__":
    main()
