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

    /// Changes only the style of the cells in `rect` (keeps glyphs).
    public mutating func restyle(_ rect: Rect, _ change: (inout Style) -> Void) {
        let x0 = max(0, rect.x), x1 = min(width, rect.maxX)
        let y0 = max(0, rect.y), y1 = min(height, rect.maxY)
        guard x0 < x1, y0 < y1 else { return }
        for y in y0..<y1 { for x in x0..<x1 { change(&cells[y * width + x].style) } }
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

    /// The one scalar a Character shows as: itself if it is a single printable single-width scalar.
    static func displayScalar(_ ch: Character) -> Unicode.Scalar {
        let scalars = ch.unicodeScalars
        guard let s = scalars.first else { return " " }
        if s.value < 0x20 || s.value == 0x7F { return "·" }
        if s.value < 0x300 { return s }   // Latin, common punctuation: single width, no combining
        // Everything we draw ourselves (blocks, box drawing, arrows, braille) is in these ranges.
        if (0x2000...0x2BFF).contains(s.value) { return s }
        return "·"   // possibly wide or combining: keep the grid aligned
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
