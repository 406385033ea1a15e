#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Draw the knowledge-article pictures of the catalogue (assets/catalogue/catalogue.json,
array `knowledge`, key `image`) as 960x540 PNG files beside this script.

Needs Python 3 and Pillow, pinned:

    pip install pillow==13.0.0

Run from the repository root (or from anywhere):

    python3 assets/knowledge/make-pictures.py

Outputs (this folder):

    antifraud-phone.png      phone ringing with a caller tagged 冒充社保, red cross, 挂断 button
    antifraud-subsidy.png    speech bubble 领补贴 / 先交钱, a bank card struck out, 不转账
    howto-idcard.png         ID card laid flat on the reader pad, arrows, screen tick, 平放
    howto-elderly-mode.png   screen with a big 长者模式 button being tapped, 字 -> 字 (bigger)
    policy-pension.png       smiling elderly person, growing coin stacks, calendar 每月, 养老金

Style: flat shapes, a fixed palette (blues #0d47a1 / #1565c0, warning red #c62828, warm yellow
#ffd54f, light backgrounds), only a few big words, drawn with the project's UI font
(assets/fonts/ui/NotoSansSC-Bold.otf); every word must be GB2312 (checked).

Deterministic: no randomness, no clock. Each picture is drawn at twice the size, scaled down
with a Lanczos filter (anti-aliasing), reduced to an adaptive palette of at most 128 colours
without dithering (median cut) and written as an optimised indexed PNG with no metadata
chunks (no tIME, no text), so the same Pillow version gives byte-identical files.
"""

import hashlib
import math
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin
import PIL

PILLOW_VERSION = "13.0.0"

HERE = Path(__file__).resolve().parent
FONT_DIR = HERE.parent / "fonts" / "ui"
FONT_BOLD = FONT_DIR / "NotoSansSC-Bold.otf"
FONT_REGULAR = FONT_DIR / "NotoSansSC-Regular.otf"

W, H = 960, 540          # output size
S = 2                    # supersampling factor
COLOURS = 128            # palette size of the written PNG

# Palette
BLUE_DARK = "#0d47a1"
BLUE = "#1565c0"
BLUE_MID = "#64b5f6"
BLUE_LIGHT = "#bbdefb"
BLUE_PALE = "#e3f2fd"
BG = "#f3f8fe"
BG_DECOR = "#e1eefb"
RED = "#c62828"
RED_PALE = "#ffebee"
YELLOW = "#ffd54f"
AMBER = "#f9a825"
AMBER_DARK = "#e08e0b"
GREEN = "#2e7d32"
WHITE = "#ffffff"
INK = "#263238"
SLATE = "#455a64"
GREY = "#90a4ae"
GREY_LIGHT = "#cfd8dc"
SKIN = "#f8c9a0"
SKIN_SHADE = "#e9ad80"
HAIR_WHITE = "#f1f3f4"
HAIR_RIM = "#b0bec5"
HAIR_DARK = "#37474f"


def rgb(c):
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


class Canvas:
    """A drawing surface in output coordinates (960x540 unless told), drawn at S times the size;
    bg None makes a transparent layer."""

    def __init__(self, bg=BG, w=W, h=H):
        self.w, self.h = w, h
        self.img = Image.new("RGBA", (w * S, h * S), rgb(bg) + (255,) if bg else (0, 0, 0, 0))
        self.d = ImageDraw.Draw(self.img)
        self._fonts = {}

    @staticmethod
    def p(v):
        return int(round(v * S))

    def pts(self, points):
        return [(self.p(x), self.p(y)) for x, y in points]

    def font(self, size, bold=True):
        key = (size, bold)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), self.p(size))
        return self._fonts[key]

    # primitives -----------------------------------------------------------------------------
    def rect(self, x0, y0, x1, y1, fill=None, outline=None, width=0):
        self.d.rectangle([self.p(x0), self.p(y0), self.p(x1), self.p(y1)], fill=fill, outline=outline, width=self.p(width))

    def rrect(self, x0, y0, x1, y1, r, fill=None, outline=None, width=0):
        self.d.rounded_rectangle([self.p(x0), self.p(y0), self.p(x1), self.p(y1)], radius=self.p(r), fill=fill,
                                 outline=outline, width=self.p(width))

    def ellipse(self, cx, cy, rx, ry, fill=None, outline=None, width=0):
        self.d.ellipse([self.p(cx - rx), self.p(cy - ry), self.p(cx + rx), self.p(cy + ry)], fill=fill,
                       outline=outline, width=self.p(width))

    def circle(self, cx, cy, r, fill=None, outline=None, width=0):
        self.ellipse(cx, cy, r, r, fill, outline, width)

    def arc(self, cx, cy, rx, ry, start, end, fill, width):
        self.d.arc([self.p(cx - rx), self.p(cy - ry), self.p(cx + rx), self.p(cy + ry)], start, end, fill=fill,
                   width=self.p(width))

    def chord(self, cx, cy, rx, ry, start, end, fill):
        self.d.chord([self.p(cx - rx), self.p(cy - ry), self.p(cx + rx), self.p(cy + ry)], start, end, fill=fill)

    def poly(self, points, fill=None, outline=None, width=0):
        self.d.polygon(self.pts(points), fill=fill, outline=outline, width=self.p(width))

    def line(self, points, fill, width, caps=True):
        self.d.line(self.pts(points), fill=fill, width=self.p(width), joint="curve")
        if caps:
            for x, y in (points[0], points[-1]):
                self.circle(x, y, width / 2 - 0.25, fill=fill)

    def text(self, x, y, s, size, fill, bold=True, anchor="mm", stroke=0, stroke_fill=None):
        for ch in s:
            try:
                ch.encode("gb2312")
            except UnicodeEncodeError:
                sys.exit(f"make-pictures: {ch!r} in {s!r} is not a GB2312 character")
        self.d.text((self.p(x), self.p(y)), s, font=self.font(size, bold), fill=fill, anchor=anchor,
                    stroke_width=self.p(stroke), stroke_fill=stroke_fill)

    # composite shapes -----------------------------------------------------------------------
    def bar(self, x0, y0, x1, y1, th, fill):
        """A straight bar of thickness th with round ends, from (x0, y0) to (x1, y1)."""
        dx, dy = x1 - x0, y1 - y0
        n = math.hypot(dx, dy)
        ox, oy = -dy / n * th / 2, dx / n * th / 2
        self.poly([(x0 + ox, y0 + oy), (x1 + ox, y1 + oy), (x1 - ox, y1 - oy), (x0 - ox, y0 - oy)], fill=fill)
        self.circle(x0, y0, th / 2, fill=fill)
        self.circle(x1, y1, th / 2, fill=fill)

    def cross(self, cx, cy, half, th, fill=RED, halo=WHITE, halo_w=8):
        """A big X (two crossing bars), optionally with a halo for contrast on busy ground."""
        if halo:
            for a, b in (((-1, -1), (1, 1)), ((-1, 1), (1, -1))):
                self.bar(cx + a[0] * half, cy + a[1] * half, cx + b[0] * half, cy + b[1] * half, th + 2 * halo_w, halo)
        for a, b in (((-1, -1), (1, 1)), ((-1, 1), (1, -1))):
            self.bar(cx + a[0] * half, cy + a[1] * half, cx + b[0] * half, cy + b[1] * half, th, fill)

    def tick(self, cx, cy, size, th, fill):
        """A check mark centred on (cx, cy), about size wide."""
        s = size / 2
        self.line([(cx - s * 0.95, cy + s * 0.02), (cx - s * 0.3, cy + s * 0.62), (cx + s * 0.95, cy - s * 0.6)], fill, th)

    def arrow(self, x0, y0, x1, y1, shaft, head_w, head_len, fill):
        """A straight arrow from (x0, y0) to the tip (x1, y1)."""
        dx, dy = x1 - x0, y1 - y0
        n = math.hypot(dx, dy)
        ux, uy = dx / n, dy / n
        bx, by = x1 - ux * head_len, y1 - uy * head_len
        nx, ny = -uy, ux
        self.poly([(x0 + nx * shaft / 2, y0 + ny * shaft / 2), (bx + nx * shaft / 2, by + ny * shaft / 2),
                   (bx - nx * shaft / 2, by - ny * shaft / 2), (x0 - nx * shaft / 2, y0 - ny * shaft / 2)], fill=fill)
        self.poly([(x1, y1), (bx + nx * head_w / 2, by + ny * head_w / 2), (bx - nx * head_w / 2, by - ny * head_w / 2)],
                  fill=fill)

    def no_sign(self, cx, cy, r, th, fill=RED):
        """The prohibition sign: a ring with a diagonal bar (top left to bottom right)."""
        self.circle(cx, cy, r, outline=fill, width=th)
        k = (r - th / 2) / math.sqrt(2)
        self.bar(cx - k, cy - k, cx + k, cy + k, th, fill)

    def handset(self, cx, cy, size, fill, angle=0):
        """A telephone handset, drawn on a layer and rotated by angle degrees (counter-clockwise).

        angle 0 is the "hang up" handset: horizontal, ear and mouth pieces pointing down."""
        n = self.p(size)
        layer = Image.new("RGBA", (n * 2, n * 2), (0, 0, 0, 0))
        ld = ImageDraw.Draw(layer)
        c = n  # centre of the layer
        # the arch: a thick band along the top of an ellipse
        rx, ry = 0.46 * n, 0.30 * n
        band = 0.2 * n
        oy = c + 0.10 * n
        ld.chord([c - rx, oy - ry, c + rx, oy + ry], 180, 360, fill=fill)
        ld.chord([c - rx + band, oy - ry + band, c + rx - band, oy + ry - band], 180, 360, fill=(0, 0, 0, 0))
        # the two pieces: rounded pads at both ends, a little wider than the band
        pw, ph = 0.30 * n, 0.19 * n
        for sx in (-1, 1):
            x_out = c + sx * rx
            x_in = x_out - sx * pw
            x0, x1 = min(x_out, x_in), max(x_out, x_in)
            ld.rounded_rectangle([x0, oy - 0.03 * n, x1, oy - 0.03 * n + ph], radius=int(0.09 * n), fill=fill)
            ld.rectangle([x0, oy - 0.03 * n, x1, oy + 0.06 * n], fill=fill)  # square where it meets the arch
        if angle:
            layer = layer.rotate(angle, resample=Image.BICUBIC, center=(c, c))
        self.img.alpha_composite(layer, (self.p(cx) - c, self.p(cy) - c))

    def coin(self, cx, cy, r, symbol=True):
        """A gold coin seen from the front."""
        self.circle(cx, cy, r, fill=AMBER)
        self.circle(cx, cy, r * 0.82, fill=YELLOW)
        if symbol:
            self.text(cx, cy + r * 0.02, "￥", r * 1.05, AMBER_DARK)

    def coin_stack(self, cx, base_y, rx, n, step=None):
        """A stack of n coins seen slightly from above, the bottom coin's rim resting on base_y."""
        ry = rx * 0.32
        step = step or rx * 0.34
        for i in range(n):
            y = base_y - ry - i * step
            self.ellipse(cx, y + step * 0.55, rx, ry, fill=AMBER_DARK)
            self.rect(cx - rx, y, cx + rx, y + step * 0.55, fill=AMBER_DARK)
            self.ellipse(cx, y, rx, ry, fill=AMBER)
        top = base_y - ry - (n - 1) * step
        self.ellipse(cx, top, rx * 0.92, ry * 0.86, fill=YELLOW)
        self.text(cx, top + 1, "￥", ry * 1.5, AMBER_DARK)
        return top

    def background(self, decor=BG_DECOR):
        """Light ground with two large soft circles (the shared look of all pictures)."""
        self.circle(900, -30, 250, fill=decor)
        self.circle(40, 560, 200, fill=decor)

    # people -----------------------------------------------------------------------------------
    def person(self, cx, cy, r, shirt, kind="elder", collar=WHITE):
        """A bust: head of radius r centred on (cx, cy), shoulders below it.

        kind "elder": white hair, glasses, smile; "crook": official-looking cap and an eye mask."""
        # shoulders
        self.chord(cx, cy + r * 2.35, r * 1.75, r * 1.25, 180, 360, fill=shirt)
        self.rect(cx - r * 1.75, cy + r * 2.33, cx + r * 1.75, max(cy + r * 3.4, self.h + 2), fill=shirt)
        # neck and collar
        self.rect(cx - r * 0.32, cy + r * 0.6, cx + r * 0.32, cy + r * 1.25, fill=SKIN_SHADE)
        self.poly([(cx - r * 0.55, cy + r * 1.12), (cx, cy + r * 1.55), (cx - r * 0.1, cy + r * 1.75), (cx - r * 0.7, cy + r * 1.3)],
                  fill=collar)
        self.poly([(cx + r * 0.55, cy + r * 1.12), (cx, cy + r * 1.55), (cx + r * 0.1, cy + r * 1.75), (cx + r * 0.7, cy + r * 1.3)],
                  fill=collar)
        # ears
        self.circle(cx - r * 0.95, cy + r * 0.08, r * 0.2, fill=SKIN_SHADE)
        self.circle(cx + r * 0.95, cy + r * 0.08, r * 0.2, fill=SKIN_SHADE)
        if kind != "elder":
            self.circle(cx, cy, r, fill=SKIN)
        else:
            # white hair with a thin grey rim (visible on pale ground): the back of the hair, the
            # face over it, a wavy fringe of three locks, then the crown painted again so that
            # only the fringe's lower rims show
            rim = r * 0.05
            self.chord(cx, cy - r * 0.1, r * 1.07 + rim, r * 1.05 + rim, 160, 380, fill=HAIR_RIM)
            self.chord(cx, cy - r * 0.1, r * 1.07, r * 1.05, 160, 380, fill=HAIR_WHITE)
            self.ellipse(cx, cy + r * 0.08, r * 0.9, r * 0.92, fill=SKIN)
            locks = ((-0.5, -0.58, 0.34), (0.0, -0.7, 0.36), (0.5, -0.6, 0.34))
            for dx, dy, rr in locks:
                self.ellipse(cx + dx * r, cy + dy * r, rr * r + rim, rr * r * 0.8 + rim, fill=HAIR_RIM)
            self.chord(cx, cy - r * 0.1, r * 1.07, r * 1.05, 200, 340, fill=HAIR_WHITE)
            for dx, dy, rr in locks:
                self.ellipse(cx + dx * r, cy + dy * r, rr * r, rr * r * 0.8, fill=HAIR_WHITE)
            # glasses
            gw = r * 0.075
            for sx in (-1, 1):
                self.circle(cx + sx * r * 0.38, cy + r * 0.12, r * 0.27, fill=WHITE, outline=SLATE, width=gw)
                self.circle(cx + sx * r * 0.38, cy + r * 0.14, r * 0.085, fill=INK)
            self.line([(cx - r * 0.12, cy + r * 0.1), (cx + r * 0.12, cy + r * 0.1)], SLATE, gw)
            # smile and cheeks
            self.arc(cx, cy + r * 0.42, r * 0.34, r * 0.24, 20, 160, fill=INK, width=r * 0.08)
            self.circle(cx - r * 0.62, cy + r * 0.5, r * 0.13, fill="#f4a58a")
            self.circle(cx + r * 0.62, cy + r * 0.5, r * 0.13, fill="#f4a58a")
        if kind == "crook":
            # dark hair under an official-looking peaked cap with a yellow badge
            self.chord(cx, cy - r * 0.05, r * 1.02, r * 1.0, 180, 360, fill=HAIR_DARK)
            self.chord(cx, cy - r * 0.38, r * 1.05, r * 0.95, 180, 360, fill=BLUE_DARK)
            self.rrect(cx - r * 1.2, cy - r * 0.48, cx + r * 1.2, cy - r * 0.26, r * 0.1, fill=INK)
            self.circle(cx, cy - r * 0.85, r * 0.2, fill=YELLOW)
            # the bandit's eye mask
            self.rrect(cx - r * 0.98, cy - r * 0.08, cx + r * 0.98, cy + r * 0.32, r * 0.18, fill=INK)
            for sx in (-1, 1):
                self.ellipse(cx + sx * r * 0.38, cy + r * 0.12, r * 0.17, r * 0.1, fill=WHITE)
                self.circle(cx + sx * r * 0.38 + r * 0.06, cy + r * 0.12, r * 0.07, fill=INK)
            # a sly lopsided grin
            self.arc(cx + r * 0.05, cy + r * 0.45, r * 0.32, r * 0.16, 10, 150, fill=INK, width=r * 0.08)

    def finger(self, tipx, tipy, size, angle=-30):
        """A hand with the index finger pointing at (tipx, tipy), drawn upright then rotated."""
        n = self.p(size)
        layer = Image.new("RGBA", (n * 3, n * 3), (0, 0, 0, 0))
        ld = ImageDraw.Draw(layer)
        c = n * 1.5
        u = n / 10.0
        outline = rgb(SKIN_SHADE)
        ow = int(u * 0.5)
        k = 2.6 * u  # how far the fist sits below the fingertip, beyond the finger's base
        # sleeve
        ld.rounded_rectangle([c - 3.2 * u, c + 9.5 * u + k, c + 4.6 * u, c + 15 * u + k], radius=int(u), fill=rgb(BLUE))
        ld.rectangle([c - 3.4 * u, c + 9.0 * u + k, c + 4.8 * u, c + 10.4 * u + k], fill=rgb(BLUE_DARK))
        # fist (palm and folded fingers)
        ld.rounded_rectangle([c - 3.0 * u, c + 2.6 * u + k, c + 4.4 * u, c + 9.6 * u + k], radius=int(2.2 * u),
                             fill=rgb(SKIN), outline=outline, width=ow)
        for i in range(3):
            y = c + 4.2 * u + i * 1.75 * u + k
            ld.rounded_rectangle([c + 1.2 * u, y, c + 4.8 * u, y + 1.9 * u], radius=int(0.9 * u), fill=rgb(SKIN),
                                 outline=outline, width=ow)
        # thumb, folded across the palm
        ld.rounded_rectangle([c - 3.4 * u, c + 5.6 * u + k, c + 1.0 * u, c + 7.6 * u + k], radius=int(1.0 * u),
                             fill=rgb(SKIN), outline=outline, width=ow)
        # index finger, pointing up, its tip at the layer's centre
        ld.rounded_rectangle([c - 1.0 * u, c, c + 1.3 * u, c + 5.6 * u + k], radius=int(1.15 * u), fill=rgb(SKIN),
                             outline=outline, width=ow)
        ld.rounded_rectangle([c - 0.5 * u, c + 0.5 * u, c + 0.8 * u, c + 1.8 * u], radius=int(0.5 * u), fill=rgb("#fde3cf"))
        layer = layer.rotate(angle, resample=Image.BICUBIC, center=(c, c))
        self.img.alpha_composite(layer, (self.p(tipx) - int(c), self.p(tipy) - int(c)))

    def save(self, path):
        small = self.img.convert("RGB").resize((self.w, self.h), Image.LANCZOS)
        pal = small.quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        pal.info = {}
        pal.save(path, format="PNG", optimize=True, pnginfo=PngImagePlugin.PngInfo())
        return path


# pictures ---------------------------------------------------------------------------------------
def antifraud_phone():
    c = Canvas(bg="#fdf6f3")
    c.background(decor="#fbe5df")
    # the phone
    c.rrect(132, 26, 408, 514, 40, fill=BLUE_DARK)
    c.rrect(150, 64, 390, 470, 16, fill=BLUE_PALE)
    c.rrect(238, 42, 302, 50, 4, fill=BLUE)
    c.circle(270, 492, 11, outline=BLUE, width=3)
    # ringing waves around the caller
    for i, rr in enumerate((92, 110)):
        c.arc(270, 168, rr, rr, 215, 325, fill=BLUE_MID if i else BLUE, width=7)
    # the caller: a crook dressed as an official, in a round frame
    c.circle(270, 168, 72, fill=WHITE)
    layer = Canvas(bg=None, w=144, h=144)
    layer.person(72, 66, 33, shirt=BLUE, kind="crook", collar=WHITE)
    mask = Image.new("L", layer.img.size, 0)
    ImageDraw.Draw(mask).ellipse([0, 0, c.p(144) - 1, c.p(144) - 1], fill=255)  # clip to the round frame
    face = Image.new("RGBA", layer.img.size, rgb(BLUE_LIGHT) + (255,))
    face.alpha_composite(layer.img)
    c.img.paste(face, (c.p(198), c.p(96)), mask)
    c.circle(270, 168, 72, outline=BLUE, width=5)
    # the tag: what the caller pretends to be
    c.rrect(168, 262, 372, 318, 28, fill=RED)
    c.text(270, 288, "冒充社保", 40, WHITE)
    # hang up (red, ringed in yellow) and answer (pale green) buttons
    c.circle(212, 405, 42, fill=RED)
    c.handset(212, 410, 66, rgb(WHITE))
    c.circle(212, 405, 52, outline=YELLOW, width=6)
    c.circle(328, 405, 42, fill="#9ccc9c")
    c.handset(328, 405, 62, rgb(WHITE), angle=-135)
    # a big red cross over the caller
    c.cross(346, 112, 34, 20, fill=RED, halo=WHITE, halo_w=6)
    # right: the big hang-up button and the word
    c.arrow(420, 405, 520, 290, 16, 46, 38, fill=RED)
    c.circle(680, 190, 118, fill=RED)
    c.circle(680, 190, 132, outline=YELLOW, width=10)
    c.handset(680, 204, 196, rgb(WHITE))
    c.text(680, 420, "挂断", 128, RED)
    return c


def antifraud_subsidy():
    c = Canvas(bg="#fdf6f3")
    c.background(decor="#fbe5df")
    # the crook at the bottom left, talking
    c.person(112, 430, 46, shirt=SLATE, kind="crook", collar=WHITE)
    # speech bubble with the promise
    c.poly([(150, 300), (230, 300), (168, 388)], fill=BLUE)
    c.rrect(60, 36, 500, 318, 44, fill=WHITE, outline=BLUE, width=7)
    c.poly([(160, 306), (222, 306), (172, 372)], fill=WHITE)
    # line 1: red envelope + 领补贴
    c.rrect(92, 66, 170, 164, 10, fill=RED)
    c.chord(131, 84, 39, 26, 0, 180, fill="#a91e1e")
    c.circle(131, 112, 17, fill=YELLOW)
    c.text(131, 113, "￥", 20, RED)
    c.text(326, 113, "领补贴", 84, BLUE_DARK)
    # line 2: coin + 先交钱
    c.coin(131, 238, 40)
    c.text(326, 238, "先交钱", 84, RED)
    # right: a bank card with money leaving it, prohibited
    cx, cy = 735, 178
    c.rrect(cx - 118, cy - 62, cx + 82, cy + 66, 16, fill=BLUE)
    c.rect(cx - 118, cy - 34, cx + 82, cy - 12, fill=BLUE_DARK)
    c.rrect(cx - 96, cy + 4, cx - 54, cy + 34, 6, fill=YELLOW)
    c.rrect(cx - 40, cy + 34, cx + 60, cy + 44, 5, fill=BLUE_LIGHT)
    c.arrow(cx + 26, cy - 34, cx + 66, cy - 74, 14, 38, 28, fill=AMBER)
    c.coin(cx + 80, cy - 88, 22, symbol=False)
    c.no_sign(cx, cy - 12, 146, 24)
    c.text(735, 440, "不转账", 116, RED)
    return c


def card_face(w=320, h=200):
    """A generic resident ID card (not a copy of the real design): photo, lines, chip."""
    c = Canvas(bg=None, w=w, h=h)
    c.rrect(0, 0, w - 1, h - 1, 18, fill="#e8f1fb", outline=BLUE, width=5)
    c.rect(4, 4, w - 5, 34, fill=BLUE_LIGHT)
    c.rrect(24, 56, 74, 92, 6, fill=YELLOW)
    for i, lw in enumerate((150, 120, 170)):
        c.rrect(24, 110 + i * 24, 24 + lw, 122 + i * 24, 6, fill=GREY)
    # the photo
    c.rrect(206, 50, 296, 170, 8, fill=BLUE_PALE, outline=BLUE_MID, width=3)
    c.circle(251, 96, 24, fill=SLATE)
    c.chord(251, 170, 40, 40, 180, 360, fill=SLATE)
    return c.img


def howto_idcard():
    c = Canvas()
    c.background()
    # the shelf of the terminal in perspective, with the reader pad on it
    c.poly([(120, 262), (540, 262), (610, 488), (50, 488)], fill=GREY_LIGHT)
    c.poly([(50, 488), (610, 488), (610, 512), (50, 512)], fill=GREY)
    pad = [(188, 320), (472, 320), (508, 462), (152, 462)]
    c.poly(pad, fill=INK)
    # target outline where the card goes, and the contactless symbol
    c.poly([(214, 334), (446, 334), (472, 444), (188, 444)], fill="#37505b", outline=YELLOW, width=5)
    for rr in (22, 40, 58):
        c.arc(330, 424, rr * 1.5, rr * 0.55, 200, 340, fill=BLUE_MID, width=8)
    c.ellipse(330, 424, 10, 4.5, fill=BLUE_MID)
    # the card, laid flat (same perspective), hovering above the pad
    face = card_face()
    quad_dst = [(206, 96), (454, 96), (486, 228), (174, 228)]  # tl, tr, br, bl
    fw, fh = face.size
    coeffs = _perspective_coeffs([(c.p(x), c.p(y)) for x, y in quad_dst], [(0, 0), (fw, 0), (fw, fh), (0, fh)])
    warped = face.transform(c.img.size, Image.PERSPECTIVE, coeffs, resample=Image.BICUBIC)
    c.img.alpha_composite(warped)
    # arrows: down onto the pad
    for x0, x1 in ((120, 178), (540, 482)):
        c.arrow(x0, 112, x1, 306, 20, 56, 44, fill=BLUE)
    # the screen says: read
    c.rrect(648, 52, 918, 250, 20, fill=BLUE_DARK)
    c.rrect(664, 68, 902, 234, 10, fill=WHITE)
    c.circle(783, 151, 62, fill=GREEN)
    c.tick(783, 153, 70, 18, WHITE)
    c.rect(765, 250, 801, 274, fill=BLUE)
    c.text(783, 392, "平放", 124, BLUE_DARK)
    return c


def _perspective_coeffs(dst, src):
    """Coefficients for Image.transform(PERSPECTIVE): maps output points dst to input points src."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y]); rhs.append(u)
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y]); rhs.append(v)
    # Gaussian elimination with partial pivoting (8x8)
    n = 8
    m = [rows[i] + [rhs[i]] for i in range(n)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(n):
            if r != col:
                f = m[r][col] / m[col][col]
                m[r] = [a - f * b for a, b in zip(m[r], m[col])]
    return [m[i][n] / m[i][i] for i in range(n)]


def howto_elderly_mode():
    c = Canvas()
    c.background()
    # the terminal's screen on its stand
    c.rect(280, 450, 340, 500, fill=SLATE)
    c.rrect(200, 494, 420, 516, 10, fill=SLATE)
    c.rrect(56, 30, 564, 462, 28, fill=BLUE_DARK)
    c.rrect(78, 52, 542, 440, 12, fill=WHITE)
    c.rect(78, 52, 542, 100, fill=BLUE)
    c.rrect(78, 52, 542, 100, 12, fill=BLUE)
    c.rect(78, 80, 542, 100, fill=BLUE)
    # small tiles: the normal screen
    for i in range(4):
        x = 104 + i * 108
        c.rrect(x, 124, x + 88, 204, 10, fill=BLUE_PALE)
        c.rrect(x + 14, 178, x + 74, 188, 5, fill=BLUE_LIGHT)
        c.circle(x + 44, 152, 14, fill=BLUE_LIGHT)
    # the big button
    c.rrect(104, 236, 516, 380, 26, fill=AMBER)
    c.rrect(104, 228, 516, 370, 26, fill=YELLOW)
    c.text(294, 297, "长者模式", 84, BLUE_DARK)
    for rr in (20, 34):
        c.arc(488, 356, rr, rr, 225, 315, fill=BLUE, width=5)
    c.finger(488, 356, 112, angle=20)
    # right: text gets bigger
    c.text(650, 236, "字", 58, BLUE)
    c.arrow(692, 236, 752, 236, 14, 40, 30, fill=AMBER)
    c.text(852, 230, "字", 164, BLUE_DARK)
    # voice prompts: a speaker
    sx, sy = 772, 424
    c.rect(sx - 50, sy - 22, sx - 24, sy + 22, fill=BLUE)
    c.poly([(sx - 26, sy - 22), (sx + 8, sy - 52), (sx + 8, sy + 52), (sx - 26, sy + 22)], fill=BLUE)
    for rr in (32, 58):
        c.arc(sx + 8, sy, rr, rr, -50, 50, fill=BLUE, width=10)
    return c


def policy_pension():
    c = Canvas()
    c.background()
    c.circle(190, 300, 150, fill=BLUE_PALE)
    # the pensioner
    c.person(190, 250, 82, shirt=BLUE, kind="elder", collar=WHITE)
    # title
    c.text(636, 96, "养老金", 120, BLUE_DARK)
    # growing coin stacks with an arrow up: pay more, pay longer, get more
    base = 500
    tops = []
    for i, n in enumerate((3, 6, 9)):
        tops.append(c.coin_stack(440 + i * 104, base, 42, n))
    c.rrect(384, base - 2, 704, base + 10, 6, fill=SLATE)
    c.arrow(392, 424, 700, 284, 16, 50, 42, fill=RED)
    # calendar: paid every month
    x0, y0, x1, y1 = 748, 250, 912, 446
    c.rrect(x0, y0, x1, y1, 16, fill=WHITE, outline=BLUE, width=5)
    c.rrect(x0, y0, x1, y0 + 52, 16, fill=RED)
    c.rect(x0, y0 + 30, x1, y0 + 52, fill=RED)
    for x in (x0 + 40, x1 - 40):
        c.rrect(x - 7, y0 - 16, x + 7, y0 + 16, 7, fill=SLATE)
    c.text((x0 + x1) / 2, (y0 + 52 + y1) / 2 + 2, "每月", 62, RED)
    c.coin(x1 - 8, y1 - 6, 34)
    return c


PICTURES = [
    ("antifraud-phone.png", antifraud_phone),
    ("antifraud-subsidy.png", antifraud_subsidy),
    ("howto-idcard.png", howto_idcard),
    ("howto-elderly-mode.png", howto_elderly_mode),
    ("policy-pension.png", policy_pension),
]


def main():
    if PIL.__version__ != PILLOW_VERSION:
        print(f"make-pictures: warning: Pillow {PIL.__version__} installed, the pictures were made with "
              f"{PILLOW_VERSION}; the bytes may differ", file=sys.stderr)
    for f in (FONT_BOLD, FONT_REGULAR):
        if not f.is_file():
            sys.exit(f"make-pictures: missing font {f}")
    for name, draw in PICTURES:
        path = HERE / name
        draw().save(path)
        data = path.read_bytes()
        print(f"{name:26} {len(data):7} bytes  sha256 {hashlib.sha256(data).hexdigest()[:16]}")


if __name__ == "__main__":
    main()
