// The in-memory screen every view draws into (ratatui's Buffer). Only the terminal backend turns it
// into bytes; tests read it back as text.

public struct CellGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// [height × width], row-major.
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width); self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    // MARK: - Drawing (everything clips to the grid and to `clip` when given)

    public mutating func set(_ x: Int, _ y: Int, _ glyph: Unicode.Scalar, _ style: Style = .plain) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        cells[y * width + x] = Cell(glyph, style)
    }

    public mutating func fill(_ rect: Rect, _ cell: Cell = .blank) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { cells[y * width + x] = cell } }
    }

    /// Writes `text` from (x, y), at most `maxWidth` cells (default: to the grid edge). Control
    /// characters and wide characters become "·" so one Character never spans two cells.
    /// Returns the x after the last written cell.
    @discardableResult
    public mutating func put(_ x: Int, _ y: Int, _ text: String, _ style: Style = .plain, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(width, x + (maxWidth ?? width))
        var cx = x
        for ch in text {
            if cx >= limit { break }
            if cx >= 0 { cells[y * width + cx] = Cell(CellGrid.displayScalar(ch), style) }
            cx += 1
        }
        return cx
    }

    /// A box-drawing border around `rect` with an optional title in the top edge.
    public mutating func box(_ rect: Rect, title: String = "", style: Style = .dim, titleStyle: Style = .bold) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        for x in rect.x + 1..<rect.maxX - 1 { set(x, rect.y, "─", style); set(x, rect.maxY - 1, "─", style) }
        for y in rect.y + 1..<rect.maxY - 1 { set(rect.x, y, "│", style); set(rect.maxX - 1, y, "│", style) }
        set(rect.x, rect.y, "┌", style); set(rect.maxX - 1, rect.y, "┐", style)
        set(rect.x, rect.maxY - 1, "└", style); set(rect.maxX - 1, rect.maxY - 1, "┘", style)
        if !title.isEmpty { put(rect.x + 2, rect.y, " \(title) ", titleStyle, maxWidth: rect.width - 4) }
    }

    /// The one scalar a Character shows as: its first scalar when that is printable and one cell
    /// wide (combining marks that follow it are dropped), else "·", so a Character never spans two
    /// cells and the grid stays aligned. East Asian wide ranges and emoji count as wide.
    static func displayScalar(_ ch: Character) -> Unicode.Scalar {
        guard let s = ch.unicodeScalars.first else { return " " }
        let v = s.value
        if v < 0x20 || (0x7F..<0xA0).contains(v) { return "·" }
        if isWideOrZeroWidth(v) { return "·" }
        return s
    }

    static func isWideOrZeroWidth(_ v: UInt32) -> Bool {
        let ranges: [ClosedRange<UInt32>] = [
            0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x200B...0x200F, 0x20D0...0x20FF, 0xFE00...0xFE0F,
            0xFE20...0xFE2F,                                                  // combining, zero width
            0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
            0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
            0xFFE0...0xFFE6, 0x1F000...0x1FAFF, 0x20000...0x3FFFD,             // East Asian wide, emoji
        ]
        return ranges.contains { $0.contains(v) }
    }

    // MARK: - Reading back (tests, snapshots)

    /// The glyphs of row `y` with trailing spaces removed.
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(self[x, y].glyph) }
        var str = String(s)
        while str.last == " " { str.removeLast() }
        return str
    }

    /// All rows, newline-separated.
    public var text: String { (0..<height).map(line).joined(separator: "\n") }
}
