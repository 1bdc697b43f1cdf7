// A rendered CellGrid as a picture without a terminal: SVG (text cells with fill colours, monospace)
// and one self-contained HTML file. The views draw into the grid exactly as they do for the viewer;
// only the encoding differs. `attnscope render` and the export tests use these.

import AttnTrace

/// How a grid becomes a picture: cell size in pixels and the colours the terminal's defaults stand for.
public struct GridPicture: Sendable {
    public var title: String
    public var cellWidth = 8
    public var cellHeight = 16
    /// What `.default` means: a dark terminal (light grey on black).
    public var defaultForeground = Color.rgb(0xD0, 0xD0, 0xD0)
    public var defaultBackground = Color.rgb(0x10, 0x10, 0x10)

    public init(title: String) { self.title = title }

    /// Width and height in pixels of the picture of `grid`, title line included.
    public func size(_ grid: CellGrid) -> (width: Int, height: Int) {
        (grid.width * cellWidth, (grid.height + 1) * cellHeight)
    }

    /// The colours a cell is drawn with, attributes applied (reverse swaps, dim halves towards the background).
    func colors(_ s: Style) -> (fg: (UInt8, UInt8, UInt8), bg: (UInt8, UInt8, UInt8)) {
        func rgb(_ c: Color, _ fallback: Color) -> (UInt8, UInt8, UInt8) {
            if case let .rgb(r, g, b) = c { return (r, g, b) }
            if case let .rgb(r, g, b) = fallback { return (r, g, b) }
            return (0, 0, 0)
        }
        var fg = rgb(s.fg, defaultForeground), bg = rgb(s.bg, defaultBackground)
        if s.attrs.contains(.reverse) { swap(&fg, &bg) }
        if s.attrs.contains(.dim) {
            fg = (UInt8((Int(fg.0) + Int(bg.0)) / 2), UInt8((Int(fg.1) + Int(bg.1)) / 2), UInt8((Int(fg.2) + Int(bg.2)) / 2))
        }
        return (fg, bg)
    }

    static func hex(_ c: (UInt8, UInt8, UInt8)) -> String {
        let d = Array("0123456789abcdef")
        return "#" + String([c.0, c.1, c.2].flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] })
    }

    /// Runs of equal key along one row: (start column, length, key).
    static func runs<K: Equatable>(_ width: Int, _ key: (Int) -> K) -> [(Int, Int, K)] {
        var out: [(Int, Int, K)] = []
        var x = 0
        while x < width {
            let k = key(x)
            var e = x + 1
            while e < width && key(e) == k { e += 1 }
            out.append((x, e - x, k))
            x = e
        }
        return out
    }

    // MARK: SVG

    /// One SVG document: a title line, then per row background runs as rects, half and full blocks as
    /// rects (so the heatmap does not depend on the font), and text runs in a monospace font whose
    /// width is pinned to the cells with textLength.
    public func svg(_ grid: CellGrid) -> String {
        let (w, h) = size(grid), cw = cellWidth, ch = cellHeight
        var o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        o += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
            + "font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"\(ch * 13 / 16)\">\n"
        o += "<title>\(escape(title))</title>\n"
        o += "<rect width=\"\(w)\" height=\"\(h)\" fill=\"\(Self.hex(colors(.plain).bg))\"/>\n"
        o += "<text x=\"2\" y=\"\(ch * 12 / 16)\" fill=\"\(Self.hex(colors(.plain).fg))\" font-weight=\"bold\">"
            + "\(escape(title))</text>\n"
        for y in 0..<grid.height {
            let top = (y + 1) * ch
            for (x, n, bg) in Self.runs(grid.width, { Self.hex(colors(grid[$0, y].style).bg) }) {
                o += "<rect x=\"\(x * cw)\" y=\"\(top)\" width=\"\(n * cw)\" height=\"\(ch)\" fill=\"\(bg)\"/>\n"
            }
            for x in 0..<grid.width {
                let c = grid[x, y]
                let fg = Self.hex(colors(c.style).fg)
                switch c.glyph {
                case "█": o += "<rect x=\"\(x * cw)\" y=\"\(top)\" width=\"\(cw)\" height=\"\(ch)\" fill=\"\(fg)\"/>\n"
                case "▀": o += "<rect x=\"\(x * cw)\" y=\"\(top)\" width=\"\(cw)\" height=\"\(ch / 2)\" fill=\"\(fg)\"/>\n"
                case "▄": o += "<rect x=\"\(x * cw)\" y=\"\(top + ch / 2)\" width=\"\(cw)\" height=\"\(ch - ch / 2)\" fill=\"\(fg)\"/>\n"
                default: break
                }
            }
            struct Key: Equatable { var fg: String; var bold: Bool; var text: Bool }
            let key = { (x: Int) -> Key in
                let c = grid[x, y]
                let drawn = c.glyph != " " && c.glyph != "█" && c.glyph != "▀" && c.glyph != "▄"
                return Key(fg: Self.hex(colors(c.style).fg), bold: c.style.attrs.contains(.bold), text: drawn)
            }
            for (x, n, k) in Self.runs(grid.width, key) where k.text {
                var s = ""
                for i in x..<(x + n) { s.unicodeScalars.append(grid[i, y].glyph) }
                o += "<text x=\"\(x * cw)\" y=\"\(top + ch * 12 / 16)\" fill=\"\(k.fg)\""
                    + (k.bold ? " font-weight=\"bold\"" : "")
                    + " textLength=\"\(n * cw)\" lengthAdjust=\"spacingAndGlyphs\" xml:space=\"preserve\">\(escape(s))</text>\n"
            }
        }
        return o + "</svg>\n"
    }

    // MARK: PNG

    /// The picture as PNG bytes: every cell's background, then its glyph in its foreground colour
    /// (BitmapFont: block elements as rectangles, text from the built-in 8 × 16 font; a glyph the
    /// font lacks is drawn as a hollow box). Needs the default cell size (8 × 16).
    public func png(_ grid: CellGrid) -> [UInt8] {
        let cw = 8, ch = 16
        let w = grid.width * cw, h = (grid.height + 1) * ch
        var rgb = [UInt8](repeating: 0, count: w * h * 3)
        let plain = colors(.plain)
        for i in 0..<(w * h) { rgb[3 * i] = plain.bg.0; rgb[3 * i + 1] = plain.bg.1; rgb[3 * i + 2] = plain.bg.2 }
        func drawCell(_ glyph: Unicode.Scalar, _ x: Int, _ y: Int, fg: (UInt8, UInt8, UInt8), bg: (UInt8, UInt8, UInt8)) {
            let x0 = x * cw, y0 = y * ch
            for yy in y0..<(y0 + ch) { for xx in x0..<(x0 + cw) {
                let i = (yy * w + xx) * 3
                rgb[i] = bg.0; rgb[i + 1] = bg.1; rgb[i + 2] = bg.2
            } }
            if !BitmapFont.draw(glyph, x0: x0, y0: y0, cw: cw, ch: ch, color: fg, into: &rgb, width: w) {
                _ = BitmapFont.draw("□", x0: x0, y0: y0, cw: cw, ch: ch, color: fg, into: &rgb, width: w)
            }
        }
        for (i, u) in title.unicodeScalars.prefix(grid.width).enumerated() { drawCell(u, i, 0, fg: plain.fg, bg: plain.bg) }
        for y in 0..<grid.height {
            for x in 0..<grid.width {
                let c = grid[x, y], col = colors(c.style)
                drawCell(c.glyph, x, y + 1, fg: col.fg, bg: col.bg)
            }
        }
        return PNGEncoder.encode(width: w, height: h, rgb: rgb)
    }

    // MARK: HTML

    /// One self-contained HTML file (inline style, no script, nothing fetched): the title and the grid
    /// as a <pre> of coloured spans. Well-formed XML, so a test can parse it with XMLParser.
    public func html(_ grid: CellGrid) -> String {
        let bg = Self.hex(colors(.plain).bg), fg = Self.hex(colors(.plain).fg)
        var o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n<title>\(escape(title))</title>\n"
        o += "<style>body{background:\(bg);color:\(fg);margin:1em}h1{font:bold 14px monospace}"
            + "pre{font:\(cellHeight * 13 / 16)px/\(cellHeight)px 'DejaVu Sans Mono',Menlo,Consolas,monospace;margin:0}"
            + ".b{font-weight:bold}.u{text-decoration:underline}</style>\n</head><body>\n"
        o += "<h1>\(escape(title))</h1>\n<pre>"
        struct Key: Equatable { var fg: String; var bg: String; var bold: Bool; var underline: Bool }
        for y in 0..<grid.height {
            let key = { (x: Int) -> Key in
                let s = grid[x, y].style, c = colors(s)
                return Key(fg: Self.hex(c.fg), bg: Self.hex(c.bg), bold: s.attrs.contains(.bold),
                           underline: s.attrs.contains(.underline))
            }
            for (x, n, k) in Self.runs(grid.width, key) {
                var s = ""
                for i in x..<(x + n) { s.unicodeScalars.append(grid[i, y].glyph) }
                let cls = [k.bold ? "b" : nil, k.underline ? "u" : nil].compactMap { $0 }.joined(separator: " ")
                o += "<span style=\"color:\(k.fg);background:\(k.bg)\"" + (cls.isEmpty ? "" : " class=\"\(cls)\"")
                    + ">\(escape(s))</span>"
            }
            o += "\n"
        }
        return o + "</pre>\n</body></html>\n"
    }

    /// XML/HTML text; a character XML forbids shows as "?".
    func escape(_ s: String) -> String { xmlEscape(s, forbidden: "?") }
}
