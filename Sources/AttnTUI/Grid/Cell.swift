// One character cell of the screen: a glyph, two colours and attributes.

/// Text attributes (a subset of SGR that every terminal we target supports).
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1 << 0)
    public static let dim = Attributes(rawValue: 1 << 1)
    public static let underline = Attributes(rawValue: 1 << 2)
    public static let reverse = Attributes(rawValue: 1 << 3)
}

/// Colours and attributes of a cell.
public struct Style: Hashable, Sendable {
    public var fg: Color
    public var bg: Color
    public var attrs: Attributes

    public init(fg: Color = .default, bg: Color = .default, attrs: Attributes = []) {
        self.fg = fg; self.bg = bg; self.attrs = attrs
    }
    public static let plain = Style()
    public static let bold = Style(attrs: .bold)
    public static let dim = Style(attrs: .dim)
    public static let reverse = Style(attrs: .reverse)
}

/// One screen cell. `glyph` is a single-width scalar; views never put wide characters in a cell.
public struct Cell: Hashable, Sendable {
    public var glyph: Unicode.Scalar
    public var style: Style
    public init(_ glyph: Unicode.Scalar = " ", _ style: Style = .plain) {
        self.glyph = glyph; self.style = style
    }
    public static let blank = Cell()
}
