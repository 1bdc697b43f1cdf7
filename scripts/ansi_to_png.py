#!/usr/bin/env python3
"""Draws a terminal screen captured with `tmux capture-pane -e -p` (text with SGR colour
sequences) as a PNG: one cell per character, DejaVu Sans Mono, block elements drawn as exact
rectangles so heatmap rows meet without gaps. Used by scripts/screenshots.sh.

    python3 scripts/ansi_to_png.py screen.ansi out.png --cols 100 --rows 30
"""
import argparse
import re

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
DEFAULT_FG = (208, 208, 208)
DEFAULT_BG = (18, 18, 18)
# xterm's 16 colours, then the 6×6×6 cube and the grey ramp of the 256-colour palette
BASE16 = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205),
          (229, 229, 229), (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255),
          (255, 0, 255), (0, 255, 255), (255, 255, 255)]
LEVELS = [0, 95, 135, 175, 215, 255]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        return (LEVELS[n // 36], LEVELS[n // 6 % 6], LEVELS[n % 6])
    g = 8 + 10 * (n - 232)
    return (g, g, g)


class Pen:
    """The SGR state while reading a line."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg, self.bg, self.bold, self.reverse = None, None, False, False

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 22:
                self.bold = False
            elif c == 7:
                self.reverse = True
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = BASE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = BASE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = BASE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = BASE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 2 and i + 4 < len(codes):
                    color = tuple(codes[i + 2:i + 5])
                    i += 4
                elif codes[i + 1] == 5 and i + 2 < len(codes):
                    color = xterm256(codes[i + 2])
                    i += 2
                else:
                    color = None
                if c == 38:
                    self.fg = color
                else:
                    self.bg = color
            i += 1

    def colors(self):
        fg, bg = self.fg or DEFAULT_FG, self.bg or DEFAULT_BG
        return (bg, fg) if self.reverse else (fg, bg)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def parse(text, cols, rows):
    """Rows of (char, fg, bg, bold) cells, padded to cols × rows."""
    screen = []
    for line in text.split("\n")[:rows]:
        pen, cells, pos = Pen(), [], 0
        for m in SGR.finditer(line):
            for ch in line[pos:m.start()]:
                cells.append((ch, *pen.colors(), pen.bold))
            pen.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            cells.append((ch, *pen.colors(), pen.bold))
        cells = cells[:cols] + [(" ", DEFAULT_FG, DEFAULT_BG, False)] * (cols - len(cells))
        screen.append(cells)
    while len(screen) < rows:
        screen.append([(" ", DEFAULT_FG, DEFAULT_BG, False)] * cols)
    return screen


def render(screen, size):
    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", size)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", size)
    cw = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    ch = ascent + descent
    image = Image.new("RGB", (cw * len(screen[0]), ch * len(screen)), DEFAULT_BG)
    draw = ImageDraw.Draw(image)
    for y, row in enumerate(screen):
        for x, (c, fg, bg, is_bold) in enumerate(row):
            x0, y0 = x * cw, y * ch
            draw.rectangle([x0, y0, x0 + cw - 1, y0 + ch - 1], fill=bg)
            if c == " ":
                continue
            # block elements as exact rectangles: rows of a heatmap meet without gaps
            if c == "▀":
                draw.rectangle([x0, y0, x0 + cw - 1, y0 + ch // 2 - 1], fill=fg)
            elif c == "▄":
                draw.rectangle([x0, y0 + ch // 2, x0 + cw - 1, y0 + ch - 1], fill=fg)
            elif c == "█":
                draw.rectangle([x0, y0, x0 + cw - 1, y0 + ch - 1], fill=fg)
            elif c == "▏":
                draw.rectangle([x0, y0, x0 + max(1, cw // 8) - 1, y0 + ch - 1], fill=fg)
            else:
                draw.text((x0, y0), c, font=bold if is_bold else regular, fill=fg)
    return image


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, default=100)
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--size", type=int, default=13, help="font size in pixels")
    ap.add_argument("--colors", type=int, default=96, help="palette size of the PNG (smaller files)")
    args = ap.parse_args()
    with open(args.capture, encoding="utf-8") as f:
        screen = parse(f.read(), args.cols, args.rows)
    image = render(screen, args.size)
    image = image.quantize(colors=args.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    image.save(args.out, optimize=True)


if __name__ == "__main__":
    main()
